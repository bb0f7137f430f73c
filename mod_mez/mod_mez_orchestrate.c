/* mod_mez_orchestrate.c: the zone API's orchestrated writes and the reads beside them (DESIGN §4).
 * Writes go through mez_orch_run (libmezcore/src/orchestrate.c: tensor, screening, Mass, credentials, records);
 * reads are passed to the Mass primitive that holds the record. This file only maps routes, reads the body and
 * the caller, and answers. Who may call what is httpd configuration (conf/zones/example.conf): Require mez-role
 * per <Location>, and an entity token reaches only its own entity (checked here on what the record says). */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/mass.h"
#include "mez/orchestrate.h"
#include "mez/zone.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

typedef struct {
    const char *pattern;      /* '*' = one path segment: the id */
    const char *op;           /* the operation (writes) */
} write_route_t;

static const write_route_t writes[] = {
    { "/v1/entities",                        "entity.formation" },
    { "/v1/entities/*/officers",             "entity.officer" },
    { "/v1/entities/*/status",               "entity.status" },
    { "/v1/entities/*/dissolution",          "entity.dissolution" },
    { "/v1/entities/*/dissolution/advance",  "entity.dissolution_advance" },
    { "/v1/entities/*/officers/*/resign",    "entity.officer_resignation" },
    { "/v1/ownership/cap-table",             "ownership.cap_table" },
    { "/v1/ownership/*/issuances",           "ownership.issuance" },
    { "/v1/ownership/transfers",             "ownership.transfer" },
    { "/v1/fiscal/accounts",                 "fiscal.account" },
    { "/v1/fiscal/payments",                 "fiscal.payment" },
    { "/v1/fiscal/payments/*/settle",        "fiscal.payment_settle" },
    { "/v1/fiscal/payments/*/return",        "fiscal.payment_return" },
    { "/v1/consent",                         "consent.request" },
    { "/v1/consent/*/sign",                  "consent.sign" },
    { "/v1/identity/persons",                "identity.person" },
    { "/v1/identity/persons/*/verifications", "identity.verification" },
    { "/v1/licences",                        "licence.application" },
    { "/v1/licences/*/*",                    "licence.transition" },
    { NULL, NULL }
};

/* Reads answered by the primitive under the same path (the two register lists are answered here: serve_list; the
 * payments' list: serve_payments). */
static const char *const reads[] = {
    "/v1/entities", "/v1/licences", "/v1/fiscal/payments", "/v1/entities/*", "/v1/entities/*/beneficial-owners",
    "/v1/entities/*/dissolution/status", "/v1/ownership/*/cap-table", "/v1/ownership/*/share-classes", "/v1/fiscal/accounts/*",
    "/v1/fiscal/accounts/*/ledger", "/v1/fiscal/payments/*", "/v1/fiscal/*/tax-events",
    "/v1/fiscal/*/payment-aggregate", "/v1/consent/*",
    "/v1/consent/*/audit-trail",
    "/v1/identity/persons/*", "/v1/identity/entity/*", "/v1/licences/*", NULL
};

/* The zone's Mass gateway (MezMassEndpoint): the sovereign store in this request's transaction, or a remote
 * endpoint. The gateway ties the answer to r->pool; the pipeline expects a reference of its own, as the store
 * gives, hence the incref. */
static mez_status_t mass_call(void *baton, apr_pool_t *p, mez_db_t *db, const mez_mass_request_t *req,
                              mez_mass_response_t *resp, mez_problem_t *pb)
{
    request_rec *r = baton;
    mez_status_t rv;
    (void)p;
    rv = mez_request_mass_call(r, db, req, resp, pb);
    if (rv == MEZ_OK && resp->body)
        json_incref(resp->body);
    return rv;
}

static int mass_is_remote(void *baton, mez_mass_primitive_t prim)
{
    const mez_srv_conf_t *sc = mez_srv_conf(((request_rec *)baton)->server);
    return sc->mass && sc->mass->endpoint[prim].base_url != NULL;
}

int mez_send_mass_answer(request_rec *r, mez_mass_response_t *resp)
{
    mez_json_pool_own(r->pool, resp->body);
    if (resp->status >= 400) {
        const char *code = json_string_value(json_object_get(resp->body, "code"));
        /* The code is another server's text and becomes a field of the mez_audit log line: only a code's shape
         * (mod_log_config escapes quotes, not spaces, so "x decision=compliant" would forge fields). */
        apr_table_setn(r->notes, "mez-problem", mez_problem_code_ok(code) ? code : "mass.refused");
        json_object_set_new(resp->body, "instance", json_string(r->uri));
        return mez_send_json_typed(r, resp->status, "application/problem+json", resp->body);
    }
    return mez_send_json_typed(r, resp->status, "application/json", resp->body);
}

/* A read that may write (mez_mass_read_may_write: a consent's expiry written down) runs in a transaction of its
 * own, committed with the audit row of what it wrote, so the change is kept whole and audited or not at all; the
 * other reads write nothing and need none. The answer is the store's either way. */
static mez_status_t read_mass(request_rec *r, mez_db_t *db, const mez_mass_request_t *req, mez_mass_response_t *resp,
                              mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t rv;
    if (!mez_mass_read_may_write(req->path))
        return mass_call(r, r->pool, db, req, resp, pb);
    if ((rv = mez_db_begin(r->pool, db, &tx, pb)) != MEZ_OK)
        return rv;
    if ((rv = mass_call(r, r->pool, db, req, resp, pb)) != MEZ_OK || resp->status >= 400 || !resp->wrote) {
        mez_db_rollback(r->pool, tx);
        return rv;
    }
    if ((rv = mez_audit_mass_write(r, db, req, resp, pb)) != MEZ_OK)
        mez_db_rollback(r->pool, tx);
    else
        rv = mez_db_commit(r->pool, tx, pb);
    if (rv != MEZ_OK) {
        json_decref(resp->body);
        resp->body = NULL;
    }
    return rv;
}

/* A read: the record, unless an entity token asks for another entity's. */
static int serve_read(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_mass_request_t req = { "GET", r->uri, r->args, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    const char *scope = apr_table_get(r->notes, "mez-entity");
    mez_orch_zone_t z;
    size_t n = strlen(r->uri);
    /* What a payer has paid a payee: the store's read less except_key, which names one of the zone's own
     * orchestrated writes (the resume of a payment, orchestrate_ops.c) and is no caller's to give. */
    if (n > 18 && !strcmp(r->uri + n - 18, "/payment-aggregate")) {
        static const char *const aggregate_params[] = { "payee", "aggregate", "tax_year", "currency", NULL };
        apr_table_t *q;
        if (mez_read_query(r, aggregate_params, &q, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
    }
    if (read_mass(r, db, &req, &resp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_orch_zone_of(r, sc, &z);
    if (scope && resp.status < 400 && !mez_orch_entity_may_read(&z, r->pool, db, r->uri, id, resp.body, scope)) {
        json_decref(resp.body);
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                    "this caller (its token or certificate) acts for entity %s only", scope);
        return mez_send_problem(r, &pb, NULL);
    }
    apr_table_setn(r->notes, "mez-action", "mass.GET");     /* the path is in the log line's %r */
    return mez_send_mass_answer(r, &resp);
}

static int serve_licence(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    const char *scope = apr_table_get(r->notes, "mez-entity"), *owner;
    json_t *doc;
    if (mez_orch_licence_get(r->pool, db, id, &doc, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    owner = json_string_value(json_object_get(doc, "entity_id"));
    if (scope && (!owner || strcmp(owner, scope))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                    "this caller (its token or certificate) acts for entity %s only",
                    scope);
        return mez_send_problem(r, &pb, NULL);
    }
    return mez_send_json_typed(r, HTTP_OK, "application/json", doc);
}

/* A register list's page: 100 unless asked, at most 1000 (the organizations primitive's own bounds). */
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000

/* GET /v1/entities and GET /v1/licences: the zone's registers, page by page, for its operators and regulators
 * (mez-policy.conf). The entity register is the organizations primitive's list, restricted to this zone's
 * jurisdiction, wherever MezMassEndpoint puts it; the licence register is the zone's own. Both page by id with
 * an opaque cursor (the last id of a page, as next_cursor gives it). */
static int serve_list(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const entity_params[] = { "status", "limit", "cursor", NULL };
    static const char *const licence_params[] = { "status", "entity_id", "licence_type", "limit", "cursor", NULL };
    int licences = !strcmp(r->uri, "/v1/licences"), state;
    const char *prefix = licences ? "lic_" : "ent_", *status, *cursor;
    mez_problem_t pb = { 0 };
    apr_table_t *q;
    apr_int64_t limit;

    if (apr_table_get(r->notes, "mez-entity")) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                    "the %s register is read by the zone's operators and regulators; an entity reads its own records",
                    licences ? "licence" : "entity");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_read_query(r, licences ? licence_params : entity_params, &q, &pb) != MEZ_OK
        || mez_query_int(r, q, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    cursor = apr_table_get(q, "cursor");
    if (cursor && !mez_mass_is_id(cursor, prefix)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter", "/cursor",
                    "cursor is a page's next_cursor as this list gave it (%s followed by 64 hex digits)", prefix);
        return mez_send_problem(r, &pb, NULL);
    }
    status = apr_table_get(q, "status");
    apr_table_setn(r->notes, "mez-action", licences ? "licence.list" : "entity.list");
    if (licences) {
        mez_licence_filter_t f = { status, apr_table_get(q, "entity_id"), apr_table_get(q, "licence_type"), cursor,
                                   (int)limit };
        json_t *doc;
        if (mez_orch_licence_list(r->pool, db, &f, &doc, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        return mez_send_json_typed(r, HTTP_OK, "application/json", doc);
    }
    if (status && mez_lifecycle_state_param(r->pool, MEZ_LIFECYCLE_ENTITY, status, "/status", &state, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    {
        /* Every value here is a checked token (a state name, a number, an id): nothing to escape. */
        mez_mass_request_t req = { "GET", "/v1/entities",
                                   apr_psprintf(r->pool, "jurisdiction_id=%s&limit=%d%s%s%s%s", sc->zone_id,
                                                (int)limit, status ? "&status=" : "", status ? status : "",
                                                cursor ? "&cursor=" : "", cursor ? cursor : ""),
                                   NULL, NULL };
        mez_mass_response_t resp = { 0 };
        if (read_mass(r, db, &req, &resp, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        return mez_send_mass_answer(r, &resp);
    }
}

/* GET /v1/fiscal/payments: the treasury's payments page by page, oldest first (with status=processing, the
 * settlement queue), as the fiscal primitive lists them wherever MezMassEndpoint puts it. Operators and regulators
 * list all; an entity token its own entity's (mez_orch_payment_list_query decides; mez-policy.conf admits the
 * three roles). The parameters' names are checked here, their values by the primitive, whose refusals are the
 * answer. */
static int serve_payments(request_rec *r, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    mez_mass_request_t req = { "GET", "/v1/fiscal/payments", NULL, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    apr_table_t *q;
    if (mez_read_query(r, mez_orch_payment_list_params, &q, &pb) != MEZ_OK
        || mez_orch_payment_list_query(r->pool, q, apr_table_get(r->notes, "mez-entity"), &req.query, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", "fiscal.payment_list");
    if (read_mass(r, db, &req, &resp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_mass_answer(r, &resp);
}

/* GET /v1/registers/summary: the registers at a glance (mez_orch_register_summary), for the zone's operators and
 * regulators (mez-policy.conf); an entity reads its own records, not the register's numbers. */
int mez_registers_summary(request_rec *r, mez_srv_conf_t *sc)
{
    static const char *const no_params[] = { NULL };
    mez_problem_t pb = { 0 };
    mez_orch_zone_t z;
    apr_table_t *q;
    mez_db_t *db;
    json_t *doc;

    if (r->method_number != M_GET)
        return mez_send_method_not_allowed(r, "GET");
    if (apr_table_get(r->notes, "mez-entity")) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                    "the registers' numbers are read by the zone's operators and regulators");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_read_query(r, no_params, &q, &pb) != MEZ_OK || !(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", "registers.summary");
    mez_orch_zone_of(r, sc, &z);
    if (mez_orch_register_summary(&z, r->pool, db, &doc, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json_typed(r, HTTP_OK, "application/json", doc);
}

void mez_orch_zone_of(request_rec *r, const mez_srv_conf_t *sc, mez_orch_zone_t *z)
{
    memset(z, 0, sizeof(*z));
    z->zone_id = sc->zone_id;
    z->did = sc->did;
    z->verification_method = sc->verification_method;
    z->key = sc->key;
    z->tensor_index = sc->tensor_index;
    z->tensor_domains = sc->tensor_domains;
    z->mass_call = mass_call;
    z->mass_is_remote = mass_is_remote;
    z->mass_baton = r;
    z->tax_decides_payments = sc->mode == MEZ_MODE_PRODUCTION;
    z->tz = mez_zone_tz(sc);
    z->tax_year_start = sc->zone ? sc->zone->tax_year_start : NULL;
    z->weekend = mez_zone_weekend(sc);
    z->zone = sc->zone;
}

int mez_orch_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_orch_zone_t z = { 0 };
    mez_orch_request_t req = { 0 };
    mez_orch_answer_t ans = { 0 };
    const char *caps[2] = { NULL, NULL }, *allow = NULL;
    const write_route_t *w = NULL;
    json_t *body;
    mez_db_t *db;
    int is_read = 0;

    for (const write_route_t *x = writes; x->pattern && !w; x++)
        if (mez_mass_path_match(r->pool, r->uri, x->pattern, caps, 2))
            w = x;
    for (const char *const *x = reads; *x && !is_read; x++)
        if (mez_mass_path_match(r->pool, r->uri, *x, caps, 1))
            is_read = 1;
    if (w && r->method_number != M_POST && !(is_read && r->method_number == M_GET))
        allow = is_read ? "GET, HEAD, POST" : "POST";
    else if (!w && is_read && r->method_number != M_GET)
        allow = "GET, HEAD";
    if (allow) {
        apr_table_setn(r->headers_out, "Allow", allow);
        mez_problem(&pb, r->pool, MEZ_EINVAL, 405, "request.method_not_allowed", NULL, "%s is not allowed on %s",
                    r->method, r->uri);
        return mez_send_problem(r, &pb, NULL);
    }
    if (!w && !is_read) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
        return mez_send_problem(r, &pb, NULL);
    }
    if (!sc->key || !sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                    "this server has no MezZone/MezKeyFile configuration");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (r->method_number == M_GET && (!strcmp(r->uri, "/v1/entities") || !strcmp(r->uri, "/v1/licences")))
        return serve_list(r, sc, db);
    if (r->method_number == M_GET && !strcmp(r->uri, "/v1/fiscal/payments"))
        return serve_payments(r, db);
    if (r->method_number == M_GET && !strncmp(r->uri, "/v1/licences/", 13))
        return serve_licence(r, db, caps[0]);
    if (r->method_number == M_GET)
        return serve_read(r, sc, db, caps[0]);

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    req.op = w->op;
    req.path_id = caps[0];
    req.path_verb = caps[1];
    req.body = body;
    req.now = r->request_time;
    req.actor = mez_request_actor(r);     /* as every audit row names it: "user:<name>" for other authentication */
    req.actor_entity = apr_table_get(r->notes, "mez-entity");
    req.idempotency_key = apr_table_get(r->headers_in, "Idempotency-Key");
    req.path = r->uri;
    req.request_id = mez_request_id(r);
    mez_orch_zone_of(r, sc, &z);
    apr_table_setn(r->notes, "mez-action", w->op);
    if (mez_orch_run(r->pool, db, &z, &req, &ans, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (ans.status < 400 && ans.resource_id && *ans.resource_id && ans.status == HTTP_CREATED) {
        const char *loc = apr_pstrcat(r->pool, r->uri, "/", ans.resource_id, NULL);
        for (const char *const *x = reads; *x; x++)
            if (mez_mass_path_match(r->pool, loc, *x, caps, 1)) {
                apr_table_setn(r->headers_out, "Location", loc);
                break;
            }
    }
    return mez_send_orch_answer(r, &ans);
}

int mez_send_orch_answer(request_rec *r, const mez_orch_answer_t *ans)
{
    if (ans->replayed)
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    if (ans->decision)
        apr_table_setn(r->notes, "mez-decision", ans->decision);
    if (ans->credential_digest)
        apr_table_setn(r->notes, "mez-credential-digest", ans->credential_digest);
    if (ans->status >= 400) {
        apr_table_setn(r->notes, "mez-problem", ans->replayed ? "idempotency.replayed_refusal" : "compliance.denied");
        return mez_send_text_typed(r, ans->status, "application/problem+json", ans->body_text);
    }
    return mez_send_text_typed(r, ans->status, "application/json", ans->body_text);
}
