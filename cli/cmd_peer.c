/* cmd_peer.c: `mez peer sign`: the RFC 9421 signature a zone puts on a request to a peer, as header lines an
 * operator can hand to curl (-H) to call a peer's protected route by hand, and that tests use to check a zone
 * accepts what libmezcore signs. It covers what a receiving zone requires (mod_mez_peer.c): @method, @authority,
 * @path (and @query when there is one), content-digest when there is a body, created, a fresh nonce, and the key's
 * did:key verification method as keyid.
 *
 * `mez peer check`: whether a peer zone accepts this zone's signed requests at a URL, before a corridor depends on
 * it: a signed GET <url>/v1/whoami (which the shipped policy answers for a peer), and what the peer said: accepted
 * as which peer, or refused and why (an unknown key, a name it does not answer to, a clock too far off), or not
 * reached.
 *
 * `mez peer refusals`: the zone's records of peers' signed requests it refused although their signature verified
 * (mez/corridor.h, mez_peer_refusal_*), from its database, for an auditor or an operator without the HTTP API. */
#include <stdio.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_uri.h>
#include "mez/corridor.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/yaml.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez peer sign --key KEY.pem --url URL [--method METHOD] [--body FILE]\n"
        "       mez peer check --key KEY.pem --url BASE_URL [--ca-file CA.pem] [--timeout SECONDS]\n"
        "       mez peer refusals --driver D --params P [--peer ZONE] [--limit N]\n"
        "sign: prints the headers (Content-Digest when there is a body, Signature-Input, Signature) of an RFC 9421\n"
        "signature by the zone key KEY.pem over METHOD (default GET) URL and the body, one per line, ready for\n"
        "curl -H. The signature is fresh (created now, a random nonce): each request needs its own.\n"
        "check: sends a signed GET BASE_URL/v1/whoami (the URL the peer zone is called at: its MezPeer URL here)\n"
        "and says whether the peer accepts this zone's key there, as which peer, or why not (httpsig.unknown_key:\n"
        "it knows no peer with this key; httpsig.wrong_authority: it does not answer to that name; httpsig.stale:\n"
        "the clocks differ by more than 300 s). Exit 0 when accepted, 1 when refused or not reached.\n"
        "refusals: prints, from the zone's database, the peers' signed requests it refused although their\n"
        "signature verified (replayed, or signed for another zone's name), the most recently refused first, one\n"
        "JSON object a line as GET /v1/peers/refusals answers them: each signature once, with how many times it\n"
        "came and the request its audit row names; --peer: of one peer zone only; --limit: at most N (1 to 1000,\n"
        "default 1000). Read-only. Exit 0 printed (perhaps none), 2 usage or database error.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

/* What an operator does about a refusal, by its code. */
static const char *advice(const char *code)
{
    static const char *const hints[][2] = {
        { "httpsig.unknown_key", "the peer knows no zone with this key: its operator registers this zone "
                                 "(POST /v1/peers, or a MezPeer line) with the DID `mez key show` prints" },
        { "httpsig.wrong_authority", "the peer does not answer to the name in this URL: call it by one of the "
                                     "names its MezPublicAuthority lists (the problem's detail names them)" },
        { "httpsig.stale", "the two clocks differ by more than 300 s: check NTP on both hosts" },
        { "auth.forbidden_peer", "the peer knows this zone but its policy does not let it read /v1/whoami" },
        { NULL, NULL },
    };
    for (int i = 0; code && hints[i][0]; i++)
        if (!strcmp(code, hints[i][0]))
            return hints[i][1];
    return NULL;
}

/* A string member of an answer, or def. */
static const char *member(const json_t *o, const char *name, const char *def)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v ? v : def;
}

static int check(apr_pool_t *p, const mez_key_t *key, const char *base, const char *ca_file, long timeout_s)
{
    mez_http_opts_t opts = { 0 };
    mez_problem_t pb = { 0 };
    const char *url, *body = NULL, *code, *hint;
    apr_size_t len = 0;
    json_t *answer = NULL;
    int status = 0;

    while (*base && base[strlen(base) - 1] == '/')
        base = apr_pstrndup(p, base, strlen(base) - 1);
    url = apr_pstrcat(p, base, "/v1/whoami", NULL);
    opts.ca_file = ca_file;
    opts.timeout_ms = timeout_s * 1000;
    if (mez_httpsig_call(p, &opts, key, "GET", url, NULL, &status, &body, &len, &pb) != MEZ_OK) {
        printf("not reached: %s: %s (%s)\n", url, pb.detail ? pb.detail : "no answer", pb.code ? pb.code : "");
        return MEZ_EXIT_INVALID;
    }
    if (body && len)
        mez_json_parse(p, body, len, &answer, NULL);
    if (status == 200 && !strcmp(member(answer, "role", ""), "peer")) {
        printf("accepted: %s (zone %s) admits this key as peer %s\n", base, member(answer, "zone_id", "?"),
               member(answer, "peer_zone_id", "?"));
        return MEZ_EXIT_OK;
    }
    code = member(answer, "code", NULL);
    printf("refused: %s answered %d%s%s%s%s\n", url, status, code ? " " : "", code ? code : "",
           member(answer, "detail", NULL) ? ": " : "", member(answer, "detail", ""));
    if ((hint = advice(code)))
        printf("  %s\n", hint);
    else if (status == 200)
        printf("  it answered, but not as to a peer: is this a mez zone's base URL?\n");
    return MEZ_EXIT_INVALID;
}

/* The URL the signing subcommands (sign, check) take (an absolute http(s) URL) and the zone key they sign with. */
static int url_and_key(apr_pool_t *p, const char *sub, const char *url, const char *key_file, mez_key_t **key)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    apr_uri_t u;
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostinfo
        || (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))) {
        fprintf(stderr, "mez peer %s: '%s' is not an http:// or https:// URL\n", sub, url);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_key_load_private(p, key_file, key, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    return MEZ_EXIT_OK;
}

/* mez peer refusals: the refusal records (mez_peer_refusal_list), one JSON line each. */
static int refusals(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *peer = NULL, *limit_s = NULL;
    const char *pos[1] = { NULL };
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--peer", &peer, NULL },
        { "--limit", &limit_s, NULL }, { NULL, NULL, NULL },
    };
    apr_array_header_t *list;
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    long limit = 1000;
    int npos = 0;

    if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "peer refusals") < 0 || !driver || !params)
        return usage(stderr);
    if (limit_s && !mez_cli_whole(limit_s, 1, 1000, &limit)) {
        fprintf(stderr, "mez peer refusals: --limit takes a whole number from 1 to 1000\n");
        return MEZ_EXIT_USAGE;
    }
    if (peer && !*peer) {
        fprintf(stderr, "mez peer refusals: --peer names a zone\n");
        return MEZ_EXIT_USAGE;
    }
    if (mez_db_open(p, driver, params, &db, &pb) != MEZ_OK
        || mez_peer_refusal_list(p, db, peer, (int)limit, &list, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    for (int i = 0; i < list->nelts; i++) {
        json_t *o = mez_json_pool_own(p, mez_peer_refusal_json(&APR_ARRAY_IDX(list, i, mez_peer_refusal_t)));
        printf("%s\n", mez_json_dump(p, o, 0));
    }
    return MEZ_EXIT_OK;
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
    mez_key_t *key;
    mez_status_t rv;
    int npos = 0, rc;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc >= 2 && !strcmp(argv[1], "refusals"))
        return refusals(p, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "check")) {
        const char *ca_file = NULL, *timeout = "10";
        const mez_cli_opt_t copts[] = {
            { "--key", &key_file, NULL }, { "--url", &url, NULL }, { "--ca-file", &ca_file, NULL },
            { "--timeout", &timeout, NULL }, { NULL, NULL, NULL },
        };
        long secs;
        if (mez_cli_parse_args(argc - 1, argv + 1, copts, pos, 0, &npos, "peer check") < 0 || !key_file || !url)
            return usage(stderr);
        if (!mez_cli_whole(timeout, 1, 600, &secs)) {
            fprintf(stderr, "mez peer check: --timeout is 1 to 600 seconds, not '%s'\n", timeout);
            return MEZ_EXIT_USAGE;
        }
        if ((rc = url_and_key(p, "check", url, key_file, &key)) != MEZ_EXIT_OK)
            return rc;
        return check(p, key, url, ca_file, secs);
    }
    if (argc < 2 || strcmp(argv[1], "sign"))
        return usage(stderr);
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 0, &npos, "peer sign") < 0 || !key_file || !url)
        return usage(stderr);
    if ((rc = url_and_key(p, "sign", url, key_file, &key)) != MEZ_EXIT_OK)
        return rc;
    if (body_file) {
        /* The shared reader: a regular file only, so a named pipe is refused rather than waited on. */
        char *buf;
        size_t n;
        if (mez_yaml_read_file(p, body_file, MEZ_YAML_MAX_FILE, &buf, &n, &pb) != MEZ_OK) {
            fprintf(stderr, "mez peer sign: %s\n", pb.detail);
            return MEZ_EXIT_USAGE;
        }
        body = buf;
        body_len = n;
    }

    if ((rv = mez_httpsig_sign_request(p, key, method, url, body, body_len, apr_time_now(), &headers, &pb))
        != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    for (int i = 0; headers[i]; i++)
        printf("%s\n", headers[i]);
    return MEZ_EXIT_OK;
}
