/* http_client.c: mez_http_request, the libcurl wrapper every outbound call goes through (see mez/http.h for
 * the behaviour it promises: timeouts, no signals, TLS verification always on, a response size limit, and
 * retries only for requests that are safe to repeat). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_uri.h>
#include "mez/http.h"

/* ---------------------------------------------------------------- process set-up */

static apr_status_t global_cleanup(void *unused)
{
    curl_global_cleanup();
    return APR_SUCCESS;
}

mez_status_t mez_http_global_init(apr_pool_t *pconf, mez_problem_t *pb)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return mez_problem(pb, pconf, MEZ_EINTERNAL, 500, "http.init_failed", NULL,
                           "libcurl could not be initialised: %s", curl_easy_strerror(rc));
    /* libcurl counts init/cleanup pairs: each configuration cycle releases what it took. */
    apr_pool_cleanup_register(pconf, NULL, global_cleanup, apr_pool_cleanup_null);
    return MEZ_OK;
}

/* ---------------------------------------------------------------- URLs */

static int has_bad_char(const char *s, const char *also)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f || strchr(also, *s))
            return 1;
    return 0;
}

/* An absolute http(s) URL with a host and no credentials; a base (is_base) has no query or fragment. */
static mez_status_t check_url(apr_pool_t *p, const char *base, int is_base, const char **host, mez_problem_t *pb)
{
    apr_uri_t u;
    if (!base || !*base)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL, "the URL is empty");
    if (has_bad_char(base, "\"<>\\^`{|}"))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "'%s' contains whitespace, control or unsafe characters", base);
    if (apr_uri_parse(p, base, &u) != APR_SUCCESS || !u.scheme
        || (strcasecmp(u.scheme, "http") && strcasecmp(u.scheme, "https")))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "'%s' is not an absolute http:// or https:// URL", base);
    if (!u.hostname || !*u.hostname)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL, "'%s' names no host", base);
    /* Credentials in a URL end up in logs and error messages; tokens go in files (MezMassTokenFile). */
    if (u.user || u.password)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "'%s' carries a user name or password; use a token file instead", base);
    if (is_base && (u.query || u.fragment || strchr(base, '?') || strchr(base, '#')))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "'%s' must not have a query or fragment: it is a base that paths are appended to", base);
    if (host)
        *host = u.port_str ? apr_pstrcat(p, u.hostname, ":", u.port_str, NULL) : u.hostname;
    return MEZ_OK;
}

mez_status_t mez_http_base_check(apr_pool_t *p, const char *base, const char **host, mez_problem_t *pb)
{
    return check_url(p, base, 1, host, pb);
}

int mez_http_token_transport_ok(apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    if (!url || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostname)
        return 0;
    if (!strcasecmp(u.scheme, "https"))
        return 1;
    return !strcasecmp(u.scheme, "http") && (!strcmp(u.hostname, "127.0.0.1") || !strcmp(u.hostname, "::1")
                                             || !strcasecmp(u.hostname, "localhost"));
}

mez_status_t mez_http_url_join(apr_pool_t *p, const char *base, const char *path, const char *query,
                               const char **url, mez_problem_t *pb)
{
    mez_status_t rv;
    size_t n;
    if ((rv = mez_http_base_check(p, base, NULL, pb)) != MEZ_OK)
        return rv;
    if (!path || path[0] != '/' || has_bad_char(path, "?#\"<>\\^`{|}"))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "the path '%s' must start with '/' and have no query, fragment, whitespace or "
                           "control characters", path ? path : "");
    /* A request path never climbs out of the base it is appended to. */
    for (const char *s = path; (s = strstr(s, "/..")) != NULL; s += 3)
        if (s[3] == '/' || s[3] == '\0')
            return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                               "the path '%s' must not contain '..' segments", path);
    if (query && has_bad_char(query, "#\"<>\\^`{|}"))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_url", NULL,
                           "the query '%s' has a fragment, whitespace or control characters", query);
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    *url = apr_pstrcat(p, apr_pstrmemdup(p, base, n), path, query && *query ? "?" : "",
                       query && *query ? query : "", NULL);
    return MEZ_OK;
}

/* ---------------------------------------------------------------- retry policy */

static const char *header_value(const char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (; headers && *headers; headers++)
        if (!strncasecmp(*headers, name, n) && (*headers)[n] == ':') {
            const char *v = *headers + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    return NULL;
}

int mez_http_idempotent(const char *method, const char *const *headers)
{
    static const char *const safe[] = { "GET", "HEAD", "OPTIONS", "PUT", "DELETE", NULL };
    const char *key;
    if (!method)
        return 0;
    for (const char *const *m = safe; *m; m++)
        if (!strcmp(method, *m))
            return 1;
    /* A POST is repeatable only when the server can recognise the repeat: by its Idempotency-Key. */
    key = !strcmp(method, "POST") ? header_value(headers, "Idempotency-Key") : NULL;
    return key && *key;
}

int mez_http_should_retry(const char *method, const char *const *headers, mez_http_outcome_t outcome, int status,
                          int attempt, int max_retries)
{
    if (max_retries > MEZ_HTTP_MAX_RETRIES)
        max_retries = MEZ_HTTP_MAX_RETRIES;
    if (attempt < 1 || attempt > max_retries || !mez_http_idempotent(method, headers))
        return 0;
    if (outcome == MEZ_HTTP_TRANSIENT)
        return 1;
    /* The answers that say "not now" (a gateway or an overloaded server); anything else is the answer. */
    return outcome == MEZ_HTTP_ANSWERED && (status == 502 || status == 503 || status == 504);
}

long mez_http_backoff_ms(long backoff_ms, int retry)
{
    long ms = backoff_ms > 0 ? backoff_ms : MEZ_HTTP_DEFAULT_BACKOFF_MS;
    for (int i = 1; i < retry && i < 16; i++)
        ms *= 2;
    return ms;
}

/* ---------------------------------------------------------------- one request */

typedef struct {
    char *buf;               /* malloc'd: grown by doubling, copied into the pool once complete */
    size_t len, cap, max;
    int too_large;
} sink_t;

static size_t sink_write(char *data, size_t size, size_t nmemb, void *baton)
{
    sink_t *s = baton;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_large = 1;
        return 0;            /* curl stops with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        char *nb;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (!(nb = realloc(s->buf, cap)))
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return n;
}

static mez_http_outcome_t classify(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return MEZ_HTTP_ANSWERED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return MEZ_HTTP_TRANSIENT;
    default:
        /* TLS verification failures, malformed URLs, oversized answers: repeating changes nothing. */
        return MEZ_HTTP_PERMANENT;
    }
}

/* 1 when an attempt that ended with rc cannot have delivered any of the request: no connection was made. A
 * caller whose request changes something (a POST) needs this: only then does it know the change was not made. */
static int never_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT;
}

static struct curl_slist *header_list(const char *const *headers, int has_body)
{
    struct curl_slist *l = NULL, *t;
    for (; headers && *headers; headers++) {
        if (!(t = curl_slist_append(l, *headers)))
            goto oom;
        l = t;
    }
    /* No "Expect: 100-continue" round trip before a body: the answer would only cost a timeout. */
    if (has_body) {
        if (!(t = curl_slist_append(l, "Expect:")))
            goto oom;
        l = t;
    }
    return l;
oom:
    curl_slist_free_all(l);
    return NULL;
}

static CURLcode set_method(CURL *h, const char *method, const char *body, apr_size_t len)
{
    CURLcode rc = CURLE_OK;
    if (!strcmp(method, "GET"))
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (!strcmp(method, "HEAD"))
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    /* Every other method sends its body from memory as a POST would, under its own name. */
    if ((rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0))) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "")) != CURLE_OK)
        return rc;
    if (strcmp(method, "POST"))
        rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    return rc;
}

static int valid_method(const char *m)
{
    if (!m || !*m || strlen(m) > 16)
        return 0;
    for (; *m; m++)
        if (!isupper((unsigned char)*m))
            return 0;
    return 1;
}

mez_status_t mez_http_request(apr_pool_t *p, const mez_http_opts_t *opts, const char *method, const char *url,
                              const char *const *headers, const char *body, apr_size_t len, int *status,
                              const char **resp_body, apr_size_t *resp_len, mez_problem_t *pb)
{
    static const mez_http_opts_t defaults = { 0 };
    const mez_http_opts_t *o = opts ? opts : &defaults;
    char errbuf[CURL_ERROR_SIZE];
    sink_t sink = { NULL, 0, 0, o->max_response ? o->max_response : MEZ_HTTP_DEFAULT_MAX_RESPONSE, 0 };
    struct curl_slist *hl = NULL;
    const char *host = NULL;
    mez_status_t rv;
    CURLcode rc = CURLE_OK;
    CURL *h;
    long code = 0;
    int attempt, maybe_sent = 0;

    *status = 0;
    *resp_body = NULL;
    if (resp_len)
        *resp_len = 0;
    if (!valid_method(method))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "http.invalid_method", NULL, "'%s' is not an HTTP method",
                           method ? method : "");
    if ((rv = check_url(p, url, 0, &host, pb)) != MEZ_OK)
        return rv;
    if (!(h = curl_easy_init()))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "http.init_failed", NULL, "curl_easy_init failed");
    if (!(hl = header_list(headers, body != NULL)) && ((headers && *headers) || body)) {
        curl_easy_cleanup(h);
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "http.out_of_memory", NULL, "cannot build the headers");
    }
    errbuf[0] = '\0';
    if ((rc = curl_easy_setopt(h, CURLOPT_URL, url)) != CURLE_OK
        /* Worker threads must never get SIGALRM from the resolver's timeout. */
        || (rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0
                                  ? o->connect_timeout_ms : MEZ_HTTP_DEFAULT_CONNECT_TIMEOUT_MS)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0
                                  ? o->timeout_ms : MEZ_HTTP_DEFAULT_TIMEOUT_MS)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK
        || (o->ca_file && (rc = curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file)) != CURLE_OK)
        || (rc = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink.max)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink)) != CURLE_OK
        || (rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf)) != CURLE_OK
        || (hl && (rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl)) != CURLE_OK)
        || (rc = set_method(h, method, body, len)) != CURLE_OK) {
        curl_easy_cleanup(h);
        curl_slist_free_all(hl);
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "http.init_failed", NULL, "cannot set up a request to %s: %s",
                           host, curl_easy_strerror(rc));
    }

    for (attempt = 1;; attempt++) {
        mez_http_outcome_t outcome;
        sink.len = 0;
        sink.too_large = 0;
        errbuf[0] = '\0';
        code = 0;
        rc = curl_easy_perform(h);
        outcome = classify(rc);
        maybe_sent |= !never_sent(rc);
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
            outcome = MEZ_HTTP_PERMANENT;
        if (!mez_http_should_retry(method, headers, outcome, (int)code, attempt, o->max_retries))
            break;
        apr_sleep((apr_interval_time_t)mez_http_backoff_ms(o->backoff_ms, attempt) * 1000);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);

    if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
        rv = mez_problem(pb, p, MEZ_EIO, 502, "http.response_too_large", NULL,
                         "%s answered %s %s with more than %" APR_SIZE_T_FMT " bytes", host, method, url,
                         (apr_size_t)sink.max);
    else if (rc != CURLE_OK)
        rv = mez_problem(pb, p, MEZ_EIO, 503, maybe_sent ? "http.unreachable" : "http.not_connected", NULL,
                         "no answer from %s to %s %s: %s%s", host,
                         method, url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                         attempt > 1 ? apr_psprintf(p, " (after %d attempts)", attempt) : "");
    else {
        char *out = apr_palloc(p, sink.len + 1);
        if (sink.len)
            memcpy(out, sink.buf, sink.len);
        out[sink.len] = '\0';
        *status = (int)code;
        *resp_body = out;
        if (resp_len)
            *resp_len = sink.len;
        rv = MEZ_OK;
    }
    free(sink.buf);
    return rv;
}
