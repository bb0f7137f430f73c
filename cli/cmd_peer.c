/* cmd_peer.c: `mez peer sign`: the RFC 9421 signature a zone puts on a request to a peer, as header lines an
 * operator can hand to curl (-H) to call a peer's protected route by hand, and that tests use to check a zone
 * accepts what libmezcore signs. It covers what a receiving zone requires (mod_mez_peer.c): @method, @authority,
 * @path (and @query when there is one), content-digest when there is a body, created, a fresh nonce, and the key's
 * did:key verification method as keyid. */
#include <stdio.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_uri.h>
#include <openssl/rand.h>
#include "mez/did.h"
#include "mez/httpsig.h"
#include "mez/key.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez peer sign --key KEY.pem --url URL [--method METHOD] [--body FILE]\n"
        "Prints the headers (Content-Digest when there is a body, Signature-Input, Signature) of an RFC 9421\n"
        "signature by the zone key KEY.pem over METHOD (default GET) URL and the body, one per line, ready for\n"
        "curl -H. The signature is fresh (created now, a random nonce): each request needs its own.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

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

int mez_cmd_peer(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *key_file = NULL, *url = NULL, *method = "GET", *body_file = NULL, *pos[1];
    const mez_cli_opt_t opts[] = {
        { "--key", &key_file, NULL }, { "--url", &url, NULL }, { "--method", &method, NULL },
        { "--body", &body_file, NULL }, { NULL, NULL, NULL },
    };
    const char *components[5], *sig_input, *sig, *digest = NULL, *body = NULL;
    mez_httpsig_field_t field;
    mez_httpsig_request_t req = { 0 };
    mez_httpsig_params_t params = { 0 };
    mez_problem_t pb = { 0 };
    apr_size_t body_len = 0;
    apr_uri_t u;
    mez_key_t *key;
    mez_status_t rv;
    int npos = 0;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2 || strcmp(argv[1], "sign"))
        return usage(stderr);
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 0, &npos, "peer sign") < 0 || !key_file || !url)
        return usage(stderr);
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostinfo
        || (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))) {
        fprintf(stderr, "mez peer sign: '%s' is not an http:// or https:// URL\n", url);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_key_load_private(p, key_file, &key, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (body_file) {
        apr_file_t *f;
        apr_finfo_t fi;
        char *buf;
        if (apr_file_open(&f, body_file, APR_FOPEN_READ, 0, p) != APR_SUCCESS
            || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
            fprintf(stderr, "mez peer sign: cannot read %s\n", body_file);
            return MEZ_EXIT_USAGE;
        }
        body_len = (apr_size_t)fi.size;
        buf = apr_palloc(p, body_len + 1);
        if (body_len && apr_file_read_full(f, buf, body_len, &body_len) != APR_SUCCESS) {
            fprintf(stderr, "mez peer sign: cannot read %s\n", body_file);
            return MEZ_EXIT_USAGE;
        }
        body = buf;
        digest = mez_content_digest(p, body, body_len);
    }

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
    if (digest) {
        field.name = "content-digest";
        field.value = digest;
        req.fields = &field;
        req.nfields = 1;
        components[params.ncomponents++] = "content-digest";
    }
    params.components = components;
    params.has_created = 1;
    params.created = (long long)apr_time_sec(apr_time_now());
    if (!(params.nonce = fresh_nonce(p))) {
        fprintf(stderr, "mez peer sign: no randomness for a nonce\n");
        return MEZ_EXIT_USAGE;
    }
    params.alg = MEZ_HTTPSIG_ALG;
    params.keyid = mez_did_key_verification_method(p, key);
    if ((rv = mez_httpsig_sign(p, key, "mez", &req, &params, &sig_input, &sig, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (digest)
        printf("Content-Digest: %s\n", digest);
    printf("Signature-Input: %s\nSignature: %s\n", sig_input, sig);
    return MEZ_EXIT_OK;
}
