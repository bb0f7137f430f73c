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

int mez_cmd_peer(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *key_file = NULL, *url = NULL, *method = "GET", *body_file = NULL, *pos[1];
    const mez_cli_opt_t opts[] = {
        { "--key", &key_file, NULL }, { "--url", &url, NULL }, { "--method", &method, NULL },
        { "--body", &body_file, NULL }, { NULL, NULL, NULL },
    };
    const char *body = NULL, **headers;
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
    }

    if ((rv = mez_httpsig_sign_request(p, key, method, url, body, body_len, apr_time_now(), &headers, &pb))
        != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    for (int i = 0; headers[i]; i++)
        printf("%s\n", headers[i]);
    return MEZ_EXIT_OK;
}
