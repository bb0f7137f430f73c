/* httpsig_request.c: signing a request to a peer zone the way a receiving zone requires (mod_mez_peer.c), and
 * sending it. Shared by mod_mez (corridor protocol) and the CLI (`mez peer sign`). */
#include <string.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <openssl/rand.h>
#include "mez/did.h"
#include "mez/http.h"
#include "mez/httpsig.h"

static const char *fresh_nonce(apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    char *s = apr_palloc(p, sizeof(b) * 2 + 1);
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NULL;
    for (size_t i = 0; i < sizeof(b); i++) {
        s[2 * i] = hex[b[i] >> 4];
        s[2 * i + 1] = hex[b[i] & 15];
    }
    s[sizeof(b) * 2] = '\0';
    return s;
}

mez_status_t mez_httpsig_sign_request(apr_pool_t *p, const mez_key_t *key, const char *method, const char *url,
                                      const void *body, size_t len, apr_time_t now, const char ***headers,
                                      mez_problem_t *pb)
{
    const char *components[5], *sig_input, *sig, *digest = NULL, **h;
    mez_httpsig_field_t field;
    mez_httpsig_request_t req = { 0 };
    mez_httpsig_params_t params = { 0 };
    apr_uri_t u;
    mez_status_t st;
    int n = 0;

    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostinfo
        || (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL, "'%s' is not an http(s) URL", url);
    req.method = method;
    req.target_uri = url;
    req.scheme = u.scheme;
    req.authority = u.hostinfo;
    req.path = u.path && *u.path ? u.path : "/";
    req.query = u.query ? apr_pstrcat(p, "?", u.query, NULL) : NULL;
    components[params.ncomponents++] = "@method";
    components[params.ncomponents++] = "@authority";
    components[params.ncomponents++] = "@path";
    if (req.query)
        components[params.ncomponents++] = "@query";
    if (body) {
        digest = mez_content_digest(p, body, len);
        field.name = "content-digest";
        field.value = digest;
        req.fields = &field;
        req.nfields = 1;
        components[params.ncomponents++] = "content-digest";
    }
    params.components = components;
    params.has_created = 1;
    params.created = (long long)apr_time_sec(now);
    if (!(params.nonce = fresh_nonce(p)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "httpsig.no_randomness", NULL, "no randomness for a nonce");
    params.alg = MEZ_HTTPSIG_ALG;
    params.keyid = mez_did_key_verification_method(p, key);
    if ((st = mez_httpsig_sign(p, key, "mez", &req, &params, &sig_input, &sig, pb)) != MEZ_OK)
        return st;
    h = apr_pcalloc(p, 4 * sizeof(*h));
    if (digest)
        h[n++] = apr_pstrcat(p, "Content-Digest: ", digest, NULL);
    h[n++] = apr_pstrcat(p, "Signature-Input: ", sig_input, NULL);
    h[n++] = apr_pstrcat(p, "Signature: ", sig, NULL);
    *headers = h;
    return MEZ_OK;
}

mez_status_t mez_httpsig_call(apr_pool_t *p, const mez_http_opts_t *opts, const mez_key_t *key, const char *method,
                              const char *url, const char *json_body, int *status, const char **resp_body,
                              apr_size_t *resp_len, mez_problem_t *pb)
{
    mez_http_opts_t once = opts ? *opts : (mez_http_opts_t){ 0 };
    int retries = opts ? opts->max_retries : 0;
    long backoff = opts && opts->backoff_ms ? opts->backoff_ms : MEZ_HTTP_DEFAULT_BACKOFF_MS;
    mez_status_t st;

    if (retries > MEZ_HTTP_MAX_RETRIES)
        retries = MEZ_HTTP_MAX_RETRIES;
    /* Each attempt is signed afresh: a retried request with the same nonce would be refused as a replay
     * whenever the first attempt reached the peer and only its answer was lost. */
    once.max_retries = 0;
    for (int attempt = 0;; attempt++) {
        const char **sig, *headers[8];
        size_t len = json_body ? strlen(json_body) : 0;
        int n = 0;
        if ((st = mez_httpsig_sign_request(p, key, method, url, json_body, len, apr_time_now(), &sig, pb)) != MEZ_OK)
            return st;
        for (int i = 0; sig[i]; i++)
            headers[n++] = sig[i];
        headers[n++] = "Accept: application/json, application/problem+json";
        if (json_body)
            headers[n++] = "Content-Type: application/json";
        headers[n] = NULL;
        st = mez_http_request(p, &once, method, url, headers, json_body, len, status, resp_body, resp_len, pb);
        if (attempt >= retries || (st == MEZ_OK && *status != 502 && *status != 503 && *status != 504)
            || (st != MEZ_OK && (!pb || pb->status != 503)))
            return st;
        apr_sleep(apr_time_from_msec(mez_http_backoff_ms(backoff, attempt + 1)));
    }
}
