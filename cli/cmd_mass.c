/* cmd_mass.c: `mez mass call` and `mez mass ping`, what an operator runs to check that a zone can reach its
 * Mass endpoints (and what `mez deploy` runs after configuring them).
 *
 *   mez mass call [--endpoint URL] [--token-file F] [--idempotency-key K] METHOD PATH [BODY.json|-]
 *       one request through the same gateway mod_mez uses (mez_mass_call). With --endpoint it goes to that
 *       remote Mass base URL (a zone's sovereign store is <zone>/mass); with --driver/--params/--zone instead
 *       it is answered by the sovereign store in that database, in one transaction committed only on success
 *       (a write with its audit row, mass.<METHOD> <path> as httpd writes it, actor cli:<login>), on the zone's
 *       calendar when --timezone names it (as zone.yaml's timezone does: the day a date of law is, the days a
 *       statutory period counts, mez/mass.h), else on none: periods then count UTC's days and a party's date is
 *       in the future only past UTC+14's today, as a zone without a zone.yaml does. A remote endpoint counts on
 *       its own calendar (the contracts carry none), so --timezone goes with --driver only.
 *       The answer's body goes to stdout as JSON, "HTTP <status> [<code>]" to stderr. Exit 0 for 2xx, 1 for a
 *       refusal (4xx, passed on as the endpoint sent it), 2 when there is no answer to pass on (mass.unavailable,
 *       mass.upstream_error) or for usage errors.
 *   mez mass ping --endpoint URL [--token-file F]
 *       probes GET <URL>/v1/<primitive>/status for all five primitives, one line each:
 *       "<primitive>\t<ok|unreachable>\t<detail>". Exit 0 when all five are ok, 2 otherwise.
 * The token file is refused when group or others may read it, as httpd refuses it (MezMassTokenFile). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/store.h"
#include "mez/tz.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez mass call --endpoint URL [--token-file F] [--idempotency-key K] [--timeout S] [--ca-file F]\n"
        "                     METHOD PATH [BODY.json|-]\n"
        "       mez mass call --driver D --params P --zone Z [--jurisdiction J] [--timezone TZ]\n"
        "                     [--idempotency-key K] METHOD PATH [BODY.json|-]\n"
        "       mez mass ping --endpoint URL [--token-file F] [--timeout S] [--ca-file F]\n"
        "\n"
        "URL is a Mass base URL (a zone's own store: https://<zone>/mass); PATH a contract path such as\n"
        "/v1/entities/ent_... (a query may follow '?'). call prints the answer on stdout and 'HTTP <status>' on\n"
        "stderr; exit 0 for 2xx, 1 for 4xx, 2 when no answer came. ping probes all five primitives; exit 0 when\n"
        "all are reachable.\n"
        "  --timezone TZ  (with --driver) the zone's calendar, the IANA name its zone.yaml gives as timezone (e.g.\n"
        "                 Asia/Karachi): today for a date a party gives, and the days a statutory period counts\n"
        "                 (a dissolution's creditors' window: the days after the one it began on, to midnight\n"
        "                 there). Without it the store knows no calendar: a period is counted so that it has\n"
        "                 run everywhere (from the date at UTC+14 to midnight at UTC-12), and a date is in the\n"
        "                 future only when no place on Earth has reached it (UTC+14). A remote\n"
        "                 --endpoint judges on its own calendar.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

typedef struct {
    const char *endpoint, *token_file, *key, *timeout, *ca_file;
    const char *driver, *params, *zone, *jurisdiction, *timezone;
} mass_args_t;

/* Every primitive at one base URL, as `--endpoint` means. */
static int remote_config(apr_pool_t *p, const mass_args_t *a, mez_mass_t *m)
{
    mez_problem_t pb = { 0 };
    const char *token = NULL;
    long timeout_ms = 0;
    if (a->token_file && mez_mass_token_load(p, a->token_file, &token, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    if (a->timeout) {
        char *end = NULL;
        apr_int64_t n = apr_strtoi64(a->timeout, &end, 10);
        if (!*a->timeout || *end || n < 1 || n > 300) {
            fprintf(stderr, "mez mass: --timeout '%s' is not a number of seconds between 1 and 300\n", a->timeout);
            return MEZ_EXIT_USAGE;
        }
        timeout_ms = (long)n * 1000L;
    }
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        m->endpoint[i].base_url = a->endpoint;
        m->endpoint[i].token = token;
        m->endpoint[i].timeout_ms = timeout_ms;
        m->endpoint[i].ca_file = a->ca_file;
        /* An operator's one-off call is not retried: they see the first failure and decide. */
        m->endpoint[i].max_retries = 0;
    }
    return MEZ_EXIT_OK;
}

static int ping(apr_pool_t *p, const mass_args_t *a)
{
    mez_mass_t m;
    int rc, all_ok = 1;
    if (!a->endpoint)
        return usage(stderr);
    if ((rc = remote_config(p, a, &m)) != MEZ_EXIT_OK)
        return rc;
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        const char *state, *detail;
        if (mez_mass_probe(p, &m, (mez_mass_primitive_t)i, &state, &detail) != MEZ_OK)
            all_ok = 0;
        printf("%s\t%s\t%s\n", mez_mass_primitive_name((mez_mass_primitive_t)i), state, detail);
    }
    return all_ok ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

static int print_answer(apr_pool_t *p, const mez_mass_response_t *resp)
{
    json_t *code = json_is_object(resp->body) ? json_object_get(resp->body, "code") : NULL;
    printf("%s\n", mez_json_dump(p, resp->body, 1));
    fprintf(stderr, "HTTP %d%s%s\n", resp->status, json_is_string(code) ? " " : "",
            json_is_string(code) ? json_string_value(code) : "");
    return resp->status < 300 ? MEZ_EXIT_OK : resp->status < 500 ? MEZ_EXIT_INVALID : MEZ_EXIT_USAGE;
}

/* A store id ("ent_" and 64 hex digits: mez_mass_new_id). */
static int is_store_id(const char *s)
{
    const char *u = s;
    size_t n = 0;
    while (u && *u >= 'a' && *u <= 'z')
        u++;
    if (!u || u == s || *u++ != '_')
        return 0;
    while ((u[n] >= '0' && u[n] <= '9') || (u[n] >= 'a' && u[n] <= 'f'))
        n++;
    return n == 64 && !u[n];
}

/* The audit row of a write the store committed, as httpd writes one for the same write through /mass/v1
 * (mass.<METHOD> <path>), with the operator as actor: a store written from here is no less the zone's record. The
 * resource is the store id in the path, else the one the answer names first ("id", then a "..._id"), as httpd's. */
static mez_status_t audit_store_write(apr_pool_t *p, mez_db_t *db, const mass_args_t *a, const mez_mass_request_t *req,
                                      const mez_mass_response_t *resp, mez_problem_t *pb)
{
    int prim = mez_mass_primitive_of_path(req->path);
    char *path = apr_pstrdup(p, req->path), *save = NULL, *seg;
    const char *id = NULL, *key, *v = json_string_value(json_object_get(resp->body, "id"));
    json_t *detail = json_pack("{s:i}", "status", resp->status), *m;
    for (seg = apr_strtok(path, "/", &save); seg && !id; seg = apr_strtok(NULL, "/", &save))
        if (is_store_id(seg))
            id = seg;
    if (!id && v && is_store_id(v))
        id = v;
    json_object_foreach(resp->body, key, m) {
        size_t n = strlen(key);
        if (!id && n > 3 && !strcmp(key + n - 3, "_id") && (v = json_string_value(m)) && is_store_id(v))
            id = v;
    }
    if (req->idempotency_key)
        json_object_set_new(detail, "idempotency_key", json_string(req->idempotency_key));
    return mez_cli_audit_row(p, db, a->zone, apr_pstrcat(p, "mass.", req->method, " ", req->path, NULL),
                             prim >= 0 ? mez_mass_primitive_name((mez_mass_primitive_t)prim) : "mass", id, detail, pb);
}

/* The sovereign store of a database, in one transaction committed only when the store answered success (a write
 * with its audit row). */
static int call_store(apr_pool_t *p, const mass_args_t *a, const mez_mass_request_t *req)
{
    /* No zone file here: the calendar is --timezone's, or none (mez/mass.h says what the store does then). */
    mez_mass_store_ctx_t ctx = { a->zone, a->jurisdiction ? a->jurisdiction : a->zone, apr_time_now(), NULL, NULL,
                                 NULL };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    mez_db_tx_t *tx;
    mez_db_t *db;
    mez_status_t rv;
    int rc;
    if (a->timezone && (rv = mez_tz_load(p, NULL, a->timezone, &ctx.tz, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if (mez_db_open(p, a->driver, a->params, &db, &pb) != MEZ_OK || mez_db_begin(p, db, &tx, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    if (mez_mass_call(p, NULL, db, &ctx, req, &resp, &pb) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return mez_cli_fail(&pb, MEZ_EIO);
    }
    mez_json_pool_own(p, resp.body);
    if (resp.status >= 400)
        mez_db_rollback(p, tx);
    else if ((strcmp(req->method, "GET") && strcmp(req->method, "HEAD")
              && audit_store_write(p, db, a, req, &resp, &pb) != MEZ_OK)
             || mez_db_commit(p, tx, &pb) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return mez_cli_fail(&pb, MEZ_EIO);
    }
    rc = print_answer(p, &resp);
    return rc;
}

static int call(apr_pool_t *p, const mass_args_t *a, const char *const *pos, int npos)
{
    mez_mass_request_t req = { 0 };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    json_t *body = NULL;
    char *method, *path, *q;
    mez_mass_t m;
    int rc;

    if (npos < 2 || npos > 3 || (!a->endpoint == !a->driver) || (a->driver && (!a->params || !a->zone)))
        return usage(stderr);
    if (a->timezone && a->endpoint) {
        fprintf(stderr, "mez mass call: --timezone goes with --driver: a remote Mass counts days on its own "
                        "calendar\n");
        return MEZ_EXIT_USAGE;
    }
    method = apr_pstrdup(p, pos[0]);
    for (char *c = method; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    path = apr_pstrdup(p, pos[1]);
    if ((q = strchr(path, '?')) != NULL)
        *q++ = '\0';
    if (npos == 3 && mez_json_parse_file_input(p, pos[2], &body, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EINVAL);
    req.method = method;
    req.path = path;
    req.query = q;
    req.body = body;
    req.idempotency_key = a->key;
    if (a->driver)
        return call_store(p, a, &req);
    if ((rc = remote_config(p, a, &m)) != MEZ_EXIT_OK)
        return rc;
    if (mez_mass_call(p, &m, NULL, NULL, &req, &resp, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    mez_json_pool_own(p, resp.body);
    return print_answer(p, &resp);
}

int mez_cmd_mass(apr_pool_t *p, int argc, const char *const *argv)
{
    mass_args_t a = { 0 };
    const char *pos[3] = { NULL };
    const mez_cli_opt_t opts[] = {
        { "--endpoint", &a.endpoint, NULL }, { "--token-file", &a.token_file, NULL },
        { "--idempotency-key", &a.key, NULL }, { "--timeout", &a.timeout, NULL },
        { "--ca-file", &a.ca_file, NULL }, { "--driver", &a.driver, NULL }, { "--params", &a.params, NULL },
        { "--zone", &a.zone, NULL }, { "--jurisdiction", &a.jurisdiction, NULL },
        { "--timezone", &a.timezone, NULL }, { NULL, NULL, NULL },
    };
    int npos = 0;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 3, &npos, "mass") < 0)
        return usage(stderr);
    /* ping asks an endpoint: the options of a call to a database (or of a write) mean nothing to it, and taking
     * them silently would let an operator believe they had been used. */
    if (!strcmp(argv[1], "ping"))
        return npos || a.driver || a.params || a.zone || a.jurisdiction || a.timezone || a.key ? usage(stderr)
                                                                                                : ping(p, &a);
    if (!strcmp(argv[1], "call"))
        return call(p, &a, pos, npos);
    fprintf(stderr, "mez mass: unknown subcommand '%s'\n", argv[1]);
    return usage(stderr);
}
