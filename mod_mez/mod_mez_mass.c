/* mod_mez_mass.c: the zone's sovereign Mass store over HTTP, under /mass/v1/... (base URL <zone>/mass).
 * The request is read as the contracts define it and handed to mez_mass_store_handle in one transaction,
 * committed only when the store answered with success; the answer goes back as the store wrote it.
 * Who may call it is ordinary httpd configuration (e.g. Require mez-role operator on <Location /mass>); who did
 * scopes its Idempotency-Keys, and, when its token was made for another zone (mez_request_mass_zone), which
 * zone's records it reaches. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/zone.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define MASS_PREFIX "/mass"

/* A zone is a jurisdiction of its own in the tensor's tree (pk-sifc under pk): its registry and its evaluations
 * use the zone id, so an entity formed in pk-sifc is evaluated under pk-sifc's packs and pk's. */
const char *mez_zone_jurisdiction(const mez_srv_conf_t *sc)
{
    return sc->zone_id;
}

const mez_tz_t *mez_zone_tz(const mez_srv_conf_t *sc)
{
    return sc->zone ? sc->zone->tz : NULL;
}

unsigned mez_zone_weekend(const mez_srv_conf_t *sc)
{
    return sc->zone ? sc->zone->weekend : 0;
}

int mez_mass_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    /* The caller as its audit row names it: its Idempotency-Keys are its own (mez_mass_store_handle). */
    mez_mass_store_ctx_t ctx = { sc->zone_id, mez_zone_jurisdiction(sc), r->request_time, mez_request_actor(r),
                                 mez_zone_tz(sc), mez_request_mass_zone(r) };
    mez_mass_request_t req = { 0 };
    mez_mass_response_t resp = { 0 };
    json_t *body = NULL;
    mez_db_t *db;
    mez_db_tx_t *tx;
    const char *key = apr_table_get(r->headers_in, "Idempotency-Key");

    if (!sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL, "this server has no MezZone");
        return mez_send_problem(r, &pb, NULL);
    }
    if (r->method_number != M_GET && r->method_number != M_POST && r->method_number != M_PUT) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST, PUT");
        mez_problem(&pb, r->pool, MEZ_EINVAL, 405, "request.method_not_allowed", NULL,
                    "%s is not allowed on %s", r->method, r->uri);
        return mez_send_problem(r, &pb, NULL);
    }
    if (key && mez_idem_key_check(r->pool, key, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (r->method_number != M_GET && mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);

    req.method = r->method_number == M_GET ? "GET" : r->method;
    req.path = r->uri + strlen(MASS_PREFIX);
    req.query = r->args;
    req.body = body;
    req.idempotency_key = key;
    /* No path here: %r already has it, and a space would split the log line's action= field. */
    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "mass.", req.method, NULL));

    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_mass_store_handle(r->pool, db, &ctx, &req, &resp, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        return mez_send_problem(r, &pb, NULL);
    }
    mez_json_pool_own(r->pool, resp.body);
    if (resp.status >= 400) {
        json_t *code = json_object_get(resp.body, "code");
        mez_db_rollback(r->pool, tx);
        apr_table_setn(r->notes, "mez-problem", json_is_string(code) ? json_string_value(code) : "mass.refused");
        json_object_set_new(resp.body, "instance", json_string(r->uri));
        return mez_send_json_typed(r, resp.status, "application/problem+json", resp.body);
    }
    /* A committed write leaves its audit row in the same transaction, and so does a read that wrote (resp.wrote:
     * a consent's expiry written down); other reads write nothing. */
    if ((r->method_number != M_GET || resp.wrote) && mez_audit_mass_write(r, db, &req, &resp, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_db_commit(r->pool, tx, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json_typed(r, resp.status, "application/json", resp.body);
}
