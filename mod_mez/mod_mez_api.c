/* mod_mez_api.c: the mez-api handler: routes /v1/... and the health probes to their handlers.
 * Each handler validates, calls libmezcore, persists in one transaction, and answers JSON or a problem. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/deadline.h"
#include "mez/digest.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/vc.h"
#include "mez/version.h"
#include "mez/zone.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define ANY_METHOD (-1)

typedef int route_fn(request_rec *r, mez_srv_conf_t *sc);

typedef struct {
    const char *path;
    int method;          /* M_GET or M_POST; ANY_METHOD: the handler checks the method itself */
    route_fn *fn;
} route_t;

/* Problems from the core point into the document they were given; the API wraps that document in
 * a member ("/credential"), so pointers are re-rooted to the request body. */
static void reroot(request_rec *r, mez_problem_t *pb, const char *base)
{
    if (pb->pointer)
        pb->pointer = apr_pstrcat(r->pool, base, pb->pointer, NULL);
}

static int fail(request_rec *r, mez_problem_t *pb)
{
    return mez_send_problem(r, pb, NULL);
}

static int zone_not_configured(request_rec *r)
{
    mez_problem_t pb = { 0 };
    mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                "this server has no MezZone/MezKeyFile configuration");
    return fail(r, &pb);
}

/* ---------------------------------------------------------------- probes */

static int get_healthz(request_rec *r, mez_srv_conf_t *sc)
{
    return mez_send_json(r, HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

static int get_readyz(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    int version = 0, degraded = 0;
    json_t *checks;

    if (!sc->key)
        return zone_not_configured(r);
    db = mez_request_db(r);
    if (!db) {
        mez_problem(&pb, r->pool, MEZ_EIO, 503, "ready.database_unreachable", NULL,
                    "no database connection could be had from mod_dbd");
        return fail(r, &pb);
    }
    if (mez_db_schema_version(r->pool, db, &version, &pb) != MEZ_OK) {
        pb.code = "ready.database_unreachable";
        return fail(r, &pb);
    }
    if (version != MEZ_SCHEMA_VERSION) {
        mez_problem(&pb, r->pool, MEZ_EIO, 503, "ready.schema_outdated", NULL,
                    "the database schema is at version %d, this build needs %d: run mez db migrate", version,
                    MEZ_SCHEMA_VERSION);
        return mez_send_problem(r, &pb, json_pack("{s:i,s:i}", "schema_version", version,
                                                  "schema_version_expected", MEZ_SCHEMA_VERSION));
    }
    {
        /* A node still holding a key the zone has rotated away from (httpd not reloaded after `mez key rotate`)
         * would sign with a retired key: out of a balancer's rotation until it is reloaded. */
        const char *retired = NULL;
        if (mez_db_query_value(r->pool, db, &retired, "SELECT retired_at FROM mez_zone_key WHERE did = %s AND retired_at IS NOT NULL", &pb,
                               sc->did, NULL) != MEZ_OK)
            return fail(r, &pb);
        if (retired) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "ready.key_retired", NULL,
                        "this server signs with %s, which zone %s retired at %s: reload httpd with the zone's "
                        "current key", sc->did, sc->zone_id, retired);
            return mez_send_problem(r, &pb, json_pack("{s:s,s:s}", "did", sc->did, "retired_at", retired));
        }
    }
    checks = json_pack("{s:s,s:s,s:i,s:s}", "database", "ok", "driver", db->driver_name, "schema_version", version,
                       "keys", "ok");
    /* An unreachable Mass primitive degrades the zone but does not make it unready: only the routes that
     * need that primitive answer 503 (mass.unavailable); the rest of the zone keeps serving, and a load
     * balancer must not take the whole zone out of rotation for one primitive (the reference did: defect 16). */
    json_object_set_new(checks, "mass", mez_mass_readiness(r, sc, &degraded));
    if (sc->zone) {
        /* Lists zone.yaml declares that no pack holds: the zone serves, but does not screen against them. */
        const apr_array_header_t *missing = mez_zone_missing_sanctions_imports(r->pool, sc->zone);
        json_t *lists = json_array();
        for (int i = 0; i < missing->nelts; i++)
            json_array_append_new(lists, json_string(APR_ARRAY_IDX(missing, i, const char *)));
        json_object_set_new(checks, "sanctions_imports", missing->nelts
                            ? json_pack("{s:s,s:o}", "state", "not_loaded", "missing", lists)
                            : (json_decref(lists), json_pack("{s:s}", "state", "ok")));
    }
    return mez_send_json(r, HTTP_OK, json_pack("{s:s,s:o}", "status", degraded ? "degraded" : "ready",
                                               "checks", checks));
}

/* GET /v1/whoami: the caller as this zone knows it (the principal AuthType mez admitted: a token, a mapped client
 * certificate or a peer zone), so a client or the regulator console can show who it acts as and until when. */
static int get_whoami(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *role = apr_table_get(r->notes, "mez-role");
    json_t *me;
    if (!r->user || !role) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", "Bearer");
        mez_problem(&pb, r->pool, MEZ_EINVAL, 401, "auth.missing_token", NULL,
                    "no caller was authenticated: GET /v1/whoami answers a caller AuthType mez admitted "
                    "(conf/mez-policy.conf)");
        return fail(r, &pb);
    }
    me = json_pack("{s:s, s:s, s:s}", "principal", r->user, "role", role, "authenticated_by",
                   apr_table_get(r->notes, "mez-auth") ? apr_table_get(r->notes, "mez-auth") : "token");
    if (sc->zone_id)
        json_object_set_new(me, "zone_id", json_string(sc->zone_id));
    if (apr_table_get(r->notes, "mez-entity"))
        json_object_set_new(me, "entity_id", json_string(apr_table_get(r->notes, "mez-entity")));
    if (apr_table_get(r->notes, "mez-peer"))
        json_object_set_new(me, "peer_zone_id", json_string(apr_table_get(r->notes, "mez-peer")));
    if (apr_table_get(r->notes, "mez-holder"))
        json_object_set_new(me, "holder", json_string(apr_table_get(r->notes, "mez-holder")));
    if (apr_table_get(r->notes, "mez-expires"))
        json_object_set_new(me, "expires_at", json_string(apr_table_get(r->notes, "mez-expires")));
    if (mez_request_mass_zone(r))
        json_object_set_new(me, "mass_zone_id", json_string(mez_request_mass_zone(r)));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return mez_send_json(r, HTTP_OK, me);
}

/* ---------------------------------------------------------------- zone */

static int get_zone(request_rec *r, mez_srv_conf_t *sc)
{
    if (!sc->key || !sc->zone_id)
        return zone_not_configured(r);
    /* The calendar the zone's law applies on, and today on it: the date a write made now is judged on (a client
     * that dates a payment by its own clock or by UTC's can be a day out); and its weekend and public holidays,
     * which the business days of an obligation's deadline pass over. */
    return mez_send_json(r, HTTP_OK,
                         json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "zone_id", sc->zone_id, "did", sc->did,
                                   "verification_method", sc->verification_method, "version", mez_version(),
                                   "mode", sc->mode == MEZ_MODE_PRODUCTION ? "production" : "development",
                                   "timezone", mez_tz_name(mez_zone_tz(sc)),
                                   "today", mez_tz_date(r->pool, mez_zone_tz(sc), r->request_time),
                                   "weekend", mez_weekend_json(mez_zone_weekend(sc)),
                                   "public_holidays", mez_holidays_json(r->pool, sc->zone ? sc->zone->holidays : NULL)));
}

static int get_openapi(request_rec *r, mez_srv_conf_t *sc)
{
    size_t n = strlen(mez_openapi_doc);
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)n);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    if (!r->header_only)
        ap_rwrite(mez_openapi_doc, (int)n, r);
    return OK;
}

/* ---------------------------------------------------------------- credentials */

/* Reads {"<member>": {...}, "options": {...}} and checks its shape; *options may be NULL. */
static mez_status_t read_envelope(request_rec *r, const char *member, const char *const *allowed_options,
                                  json_t **doc, json_t **options, mez_problem_t *pb)
{
    static const char *const none[] = { NULL };
    const char *allowed[] = { member, "options", NULL };
    const char *ptr = apr_pstrcat(r->pool, "/", member, NULL);
    json_t *body;
    mez_status_t rv;

    /* The credential or presentation as given (a claim may hold a NUL; the VC checks refuse one where they read,
     * mez/vc.h); everything else in the body under the request rule. */
    if ((rv = mez_read_json_document(r, &body, pb)) != MEZ_OK)
        return rv;
    if (!json_is_object(body))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.not_an_object", "",
                           "the body must be a JSON object");
    if ((rv = mez_check_members(r, body, "", allowed, pb)) != MEZ_OK)
        return rv;
    *doc = json_object_get(body, member);
    if (!*doc)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", ptr, "'%s' is required", member);
    if (!json_is_object(*doc))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", ptr, "'%s' must be an object",
                           member);
    *options = json_object_get(body, "options");
    if (*options && (rv = mez_refuse_nul(r, *options, "/options", pb)) != MEZ_OK)
        return rv;
    if (*options) {
        if (!json_is_object(*options))
            return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/options",
                               "'options' must be an object");
        if ((rv = mez_check_members(r, *options, "/options", allowed_options ? allowed_options : none, pb)) != MEZ_OK)
            return rv;
        for (const char *const *o = allowed_options; o && *o; o++) {
            json_t *v = json_object_get(*options, *o);
            if (v && !json_is_string(v))
                return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type",
                                   mez_pointer_join(r->pool, "/options", *o), "'%s' must be a string", *o);
        }
    }
    return MEZ_OK;
}

#define ISSUE_ROUTE "POST /v1/credentials/issue"

/* An Idempotency-Key retry is answered the first answer, byte for byte, and writes nothing (mez/idempotency.h).
 * Returns DECLINED to go on, with tx open and the intent recorded in it; otherwise it has answered (and rolled
 * back), and returns what the answer's sender returned. */
static int issue_idempotency(request_rec *r, mez_srv_conf_t *sc, const char *key, const json_t *credential,
                             const json_t *options, mez_db_t *db, mez_db_tx_t *tx, mez_idem_scope_t *scope)
{
    mez_problem_t pb = { 0 };
    mez_idem_result_t res;
    const char *digest;
    json_t *body = mez_json_pool_own(r->pool, json_pack("{s:O}", "credential", credential));

    if (options)
        json_object_set(body, "options", (json_t *)options);
    scope->zone_id = sc->zone_id;
    scope->principal = mez_request_actor(r);
    scope->route = ISSUE_ROUTE;
    if (mez_idem_request_digest(r->pool, "POST", "/v1/credentials/issue", body, &digest, &pb) != MEZ_OK
        || mez_idem_begin(r->pool, db, scope, key, digest, r->request_time, 0, &res, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        return fail(r, &pb);
    }
    if (res.outcome == MEZ_IDEM_NEW)
        return DECLINED;
    mez_db_rollback(r->pool, tx);
    if (res.outcome == MEZ_IDEM_REPLAY) {
        apr_table_setn(r->notes, "mez-action", "credential.issue.replay");
        return mez_send_json_text(r, res.status, res.body, res.body_len);
    }
    mez_idem_refusal(r->pool, &res, key, &pb);
    return fail(r, &pb);
}

static int post_issue(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_vc_proof_options_t popts = { 0 };
    mez_idem_scope_t scope = { 0 };
    json_t *credential, *options, *vc;
    mez_digest_t digest;
    const char *canon, *id, *answer, *key = apr_table_get(r->headers_in, "Idempotency-Key");
    mez_db_t *db;
    mez_db_tx_t *tx;
    json_t *idv;
    int rc;

    if (!sc->key || !sc->zone_id)
        return zone_not_configured(r);
    if (key && mez_idem_key_check(r->pool, key, &pb) != MEZ_OK)
        return fail(r, &pb);
    if (read_envelope(r, "credential", NULL, &credential, &options, &pb) != MEZ_OK)
        return fail(r, &pb);
    /* The verification method was derived once, when the key was loaded. */
    popts.verification_method = sc->verification_method;
    if (mez_vc_issue(r->pool, credential, sc->key, sc->did, &popts, &vc, &pb) != MEZ_OK) {
        reroot(r, &pb, "/credential");
        return fail(r, &pb);
    }
    if (mez_json_canonicalize(r->pool, vc, &canon, NULL, &pb) != MEZ_OK)
        return fail(r, &pb);
    mez_digest_sha256(canon, strlen(canon), &digest);
    idv = json_object_get(vc, "id");
    id = json_is_string(idv) ? json_string_value(idv) : NULL;
    /* The answer's exact bytes: what is sent now and what a retry with the same Idempotency-Key gets. */
    answer = apr_pstrcat(r->pool, mez_json_dump(r->pool, mez_json_pool_own(r->pool, json_pack("{s:O}",
                         "verifiableCredential", vc)), 0), "\n", NULL);

    /* Nothing is answered until the record is committed; any failure rolls the transaction back. */
    if (!(db = mez_request_db_or_problem(r, "to record the credential", &pb)))
        return fail(r, &pb);
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK)
        return fail(r, &pb);
    if (key && (rc = issue_idempotency(r, sc, key, credential, options, db, tx, &scope)) != DECLINED)
        return rc;
    if (mez_store_credential_insert(r->pool, db, id, sc->did, mez_digest_format(r->pool, &digest), canon, NULL,
                                    &pb) != MEZ_OK
        || mez_request_audit(r, db, "credential.issue", "credential", id ? id : mez_digest_format(r->pool, &digest),
                             "committed", json_pack("{s:s,s:s}", "digest", mez_digest_format(r->pool, &digest),
                                                    "issuer", sc->did), &pb) != MEZ_OK
        || (key && mez_idem_complete(r->pool, db, &scope, key, HTTP_CREATED, answer, r->request_time, &pb) != MEZ_OK)
        || mez_db_commit(r->pool, tx, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        return fail(r, &pb);
    }
    apr_table_setn(r->notes, "mez-action", "credential.issue");
    apr_table_setn(r->notes, "mez-credential-digest", mez_digest_format(r->pool, &digest));
    if (id)
        apr_table_setn(r->notes, "mez-credential-id", id);
    return mez_send_json_text(r, HTTP_CREATED, answer, strlen(answer));
}

/* Answers a verification: 200 with checks when valid, 422 problem naming the failed check otherwise. */
static int answer_verification(request_rec *r, mez_vc_result_t *res, const char *base)
{
    json_t *warnings = res->warnings ? json_incref(res->warnings) : json_array();
    json_t *checks = res->checks ? json_incref(res->checks) : json_array();
    apr_table_setn(r->notes, "mez-decision", res->verified ? "valid" : "invalid");
    if (res->verified)
        return mez_send_json(r, HTTP_OK,
                             json_pack("{s:o,s:o,s:[]}", "checks", checks, "warnings", warnings, "errors"));
    reroot(r, &res->problem, base);
    if (!res->problem.status)
        res->problem.status = 422;
    json_t *err = mez_problem_to_json(&res->problem);
    return mez_send_problem(r, &res->problem,
                            json_pack("{s:s,s:o,s:o,s:[o]}", "failed_check",
                                      res->failed_check ? res->failed_check : "unknown", "checks", checks,
                                      "warnings", warnings, "errors", err));
}

static const char *option_string(json_t *options, const char *name)
{
    json_t *v = options ? json_object_get(options, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int post_verify(request_rec *r, mez_srv_conf_t *sc)
{
    static const char *const allowed[] = { "challenge", "domain", NULL };
    mez_problem_t pb = { 0 };
    mez_vc_verify_options_t vo = { 0 };
    mez_vc_result_t res = { 0 };
    json_t *vc, *options;

    if (read_envelope(r, "verifiableCredential", allowed, &vc, &options, &pb) != MEZ_OK)
        return fail(r, &pb);
    vo.challenge = option_string(options, "challenge");
    vo.domain = option_string(options, "domain");
    apr_table_setn(r->notes, "mez-action", "credential.verify");
    if (mez_vc_verify(r->pool, vc, &vo, &res) != MEZ_OK)
        return fail(r, &res.problem);
    return answer_verification(r, &res, "/verifiableCredential");
}

static int post_vp_verify(request_rec *r, mez_srv_conf_t *sc)
{
    static const char *const allowed[] = { "challenge", "domain", NULL };
    mez_problem_t pb = { 0 };
    mez_vc_verify_options_t vo = { 0 };
    mez_vc_result_t res = { 0 };
    json_t *vp, *options;

    if (read_envelope(r, "verifiablePresentation", allowed, &vp, &options, &pb) != MEZ_OK)
        return fail(r, &pb);
    vo.challenge = option_string(options, "challenge");
    vo.domain = option_string(options, "domain");
    apr_table_setn(r->notes, "mez-action", "presentation.verify");
    if (mez_vp_verify(r->pool, vp, &vo, &res) != MEZ_OK)
        return fail(r, &res.problem);
    return answer_verification(r, &res, "/verifiablePresentation");
}

/* ---------------------------------------------------------------- routing */

static const route_t routes[] = {
    { "/healthz",                  M_GET,  get_healthz },
    { "/readyz",                   M_GET,  get_readyz },
    { "/metrics",                  M_GET,  mez_get_metrics },
    { "/v1/zone",                  M_GET,  get_zone },
    { "/v1/zone/keys",             M_GET,  mez_keys_get },
    { "/v1/whoami",                M_GET,  get_whoami },
    { "/v1/audit/anchor",          M_GET,  mez_audit_anchor_get },
    { "/v1/audit/rows",            M_GET,  mez_audit_rows_get },
    { "/v1/openapi.json",          M_GET,  get_openapi },
    { "/v1/credentials/issue",     M_POST, post_issue },
    { "/v1/credentials/verify",    M_POST, post_verify },
    { "/v1/presentations/verify",  M_POST, post_vp_verify },
    { "/v1/packs",                 M_GET,  mez_get_packs },
    { "/v1/packs/",                M_GET,  mez_get_pack },   /* a path ending in '/' is a prefix */
    { "/v1/laws/",                 M_GET,  mez_get_law },
    { "/v1/compliance/evaluate",   M_POST, mez_post_evaluate },
    { "/v1/manifold/route",        M_POST, mez_post_manifold_route },
    { "/v1/tensor/",               M_GET,  mez_get_tensor_commitment },
    { "/mass/v1/",                 ANY_METHOD, mez_mass_serve },
    { "/v1/entities",              ANY_METHOD, mez_orch_serve },   /* orchestrated writes and their reads */
    { "/v1/entities/",             ANY_METHOD, mez_orch_serve },
    { "/v1/ownership/",            ANY_METHOD, mez_orch_serve },
    { "/v1/fiscal/withholding/calculate", ANY_METHOD, mez_withholding_calculate },   /* before the prefix */
    { "/v1/fiscal/reporting/generate", ANY_METHOD, mez_tax_report },                  /* before the prefix */
    { "/v1/fiscal/",               ANY_METHOD, mez_orch_serve },
    { "/v1/consent",               ANY_METHOD, mez_orch_serve },
    { "/v1/consent/",              ANY_METHOD, mez_orch_serve },
    { "/v1/identity/",             ANY_METHOD, mez_orch_serve },
    { "/v1/licences",              ANY_METHOD, mez_orch_serve },
    { "/v1/licences/",             ANY_METHOD, mez_orch_serve },
    { "/v1/registers/summary",     ANY_METHOD, mez_registers_summary },
    { "/v1/peers",                 ANY_METHOD, mez_peers_serve },
    { "/v1/peers/",                ANY_METHOD, mez_peers_serve },
    { "/v1/corridors",             ANY_METHOD, mez_corridor_serve },
    { "/v1/corridors/",            ANY_METHOD, mez_corridor_serve },
    { "/v1/watchers",              ANY_METHOD, mez_watcher_serve },
    { "/v1/watchers/",             ANY_METHOD, mez_watcher_serve },
    { "/v1/sanctions/clearances",  ANY_METHOD, mez_clearance_serve },
    { "/v1/evaluations",           ANY_METHOD, mez_evaluation_serve },
    { "/v1/evaluations/",          ANY_METHOD, mez_evaluation_serve },
    { "/v1/sanctions/clearances/", ANY_METHOD, mez_clearance_serve },
    { "/admin/zones",              ANY_METHOD, mez_admin_serve },  /* the admin host only (MezAdminSpool) */
    { "/admin/zones/",             ANY_METHOD, mez_admin_serve },
    { NULL, 0, NULL }
};

/* The routing rule of mez_api_handler, without the method. */
static int route_matches(const route_t *rt, const char *uri)
{
    size_t n = strlen(rt->path);
    /* "/v1/packs/" matches "/v1/packs/<name>": the handler reads the name from the rest of the URI. */
    return rt->path[n - 1] == '/' ? !strncmp(uri, rt->path, n) && uri[n] : !strcmp(uri, rt->path);
}

const char *mez_api_route_label(const request_rec *r)
{
    for (const route_t *rt = routes; r->uri && rt->path; rt++)
        if (route_matches(rt, r->uri))
            return rt->path;
    return "unmatched";
}

/* A Mass call refused for data residency (mod_mez_mass_client.c notes it) is audited here, once the route has
 * answered, in a transaction of its own: the request's own has ended by then (rolled back, since the request
 * failed). One place for every route that can call Mass: the zone API's writes and reads, corridor transfers
 * and settlements, entity migrations and their peer steps. */
static int audit_residency_refusal(request_rec *r, int answer)
{
    const char *what = apr_table_get(r->notes, "mez-residency-refusal");
    mez_audit_event_t ev;
    mez_problem_t pb = { 0 };
    mez_db_tx_t *tx;
    char *prim, *cat, *dest, *last;
    mez_db_t *db;
    if (!what)
        return answer;
    if (!(db = mez_request_db_or_problem(r, "to audit a residency refusal", &pb)))
        goto fail;
    prim = apr_strtok(apr_pstrdup(r->pool, what), " ", &last);
    cat = apr_strtok(NULL, " ", &last);
    dest = apr_strtok(NULL, " ", &last);
    mez_request_audit_event(r, "mass.outbound_refused", prim, NULL, "refused",
                            json_pack("{s:s,s:s,s:s,s:s,s:s}", "primitive", prim, "category", cat, "destination",
                                      dest, "method", r->method, "path", r->uri), &ev);
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK)
        goto fail;
    if (mez_audit_append(r->pool, db, &ev, &pb) != MEZ_OK || mez_db_commit(r->pool, tx, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        goto fail;
    }
    return answer;
fail:
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "the residency refusal could not be audited: %s", pb.detail);
    return answer;
}

int mez_api_handler(request_rec *r)
{
    mez_srv_conf_t *sc = mez_srv_conf(r->server);
    mez_problem_t pb = { 0 };
    const char *allow = NULL;

    /* Every id mez stores is text: a path whose escapes decode to something else (%ff) names nothing, and
     * must not reach a database that would refuse it as a server error. */
    if (!mez_utf8_valid(r->uri, strlen(r->uri))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL,
                    "there is no resource at %s: the path is not UTF-8 text", ap_escape_uri(r->pool, r->uri));
        return fail(r, &pb);
    }
    for (const route_t *rt = routes; rt->path; rt++) {
        size_t n = strlen(rt->path);
        /* "/v1/packs/" matches "/v1/packs/<name>": the handler reads the name from the rest of the URI. */
        if (rt->path[n - 1] == '/' ? strncmp(r->uri, rt->path, n) || !r->uri[n] : strcmp(r->uri, rt->path) != 0)
            continue;
        /* A token made for another zone's calls to this zone's Mass store (mez_request_mass_zone) is that zone's
         * key to the store, not a principal of this zone: anywhere else it would act as this zone's own operator
         * (its zone API would list every zone's payments for it). It may still ask who it is. */
        if (mez_request_mass_zone(r) && rt->fn != mez_mass_serve && rt->fn != get_whoami) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.mass_zone_token", NULL,
                        "this token acts for zone %s in this zone's Mass store, and is valid on /mass/v1/... only",
                        mez_request_mass_zone(r));
            return fail(r, &pb);
        }
        if (rt->method == ANY_METHOD || r->method_number == rt->method)
            return audit_residency_refusal(r, rt->fn(r, sc));
        allow = rt->method == M_GET ? "GET, HEAD" : "POST";
    }
    if (allow) {
        apr_table_setn(r->headers_out, "Allow", allow);
        mez_problem(&pb, r->pool, MEZ_EINVAL, 405, "request.method_not_allowed", NULL,
                    "%s is not allowed on %s (allowed: %s)", r->method, r->uri, allow);
        return fail(r, &pb);
    }
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return fail(r, &pb);
}
