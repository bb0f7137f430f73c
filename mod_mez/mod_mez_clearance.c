/* mod_mez_clearance.c: sanctions screening clearances over HTTP (mez/clearance.h decides and stores; this file
 * carries it).
 *
 *   operator, regulator  POST /v1/sanctions/clearances               {context_id, name, entry, reason, expires_at?}
 *                        POST /v1/sanctions/clearances/{id}/approve  {} (another principal than who recorded it)
 *                        POST /v1/sanctions/clearances/{id}/revoke   {reason}
 *                        GET  /v1/sanctions/clearances[?context_id=&status=active|proposed|all&limit=N]
 *                        GET  /v1/sanctions/clearances/{id}
 *
 * The three members that say what is cleared are copied from the refusal: a 422 whose sanctions_match reason
 * gives "clearance_context", "match.normalised"'s name as screened (or the name the request carried at the
 * screening's pointer) and "rule". Who may clear is conf/mez-policy.conf's business; how many principals a
 * clearance needs is MezClearanceApprovers (2 by default: it is "proposed" until a second one approves it). */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_protocol.h"
#include "mez/clearance.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mod_mez.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000

static int refuse(request_rec *r, mez_problem_t *pb, int status, const char *code, const char *pointer,
                  const char *detail)
{
    mez_problem(pb, r->pool, MEZ_EINVAL, status, code, pointer, "%s", detail);
    return mez_send_problem(r, pb, NULL);
}


/* ------------------------------------------------------------------ POST /v1/sanctions/clearances */

static int post_clearance(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t in = { 0 }, out;
    apr_time_t now = apr_time_now();
    json_t *body;

    if (!sc->tensor_index)
        return refuse(r, &pb, 503, "zone.no_packs", NULL,
                      "this zone has no packs loaded (MezZoneFile): there is no list to clear a hit of");
    if (mez_read_json_body(r, &body, &pb) != MEZ_OK
        || mez_clearance_read_request(r->pool, sc->tensor_index, sc->zone_id, body, now, mez_zone_tz(sc),
                                      &in, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    in.zone_id = sc->zone_id;
    in.cleared_by = mez_request_actor(r);
    in.approvals_required = sc->clearance_approvers == 1 ? 1 : 2;
    mez_request_audit_event(r, "sanctions.clearance.create", "screening_clearance", NULL, "committed", NULL, &aev);
    if (mez_clearance_create(r->pool, db, &in, now, &aev, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-subject", out.context_id);
    apr_table_setn(r->headers_out, "Location", apr_pstrcat(r->pool, "/v1/sanctions/clearances/", out.clearance_id,
                                                           NULL));
    return mez_send_json(r, 201, mez_clearance_json(&out, now));
}

/* ------------------------------------------------------------------ POST .../{id}/approve */

static int post_approve(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t out;
    apr_time_t now = apr_time_now();
    json_t *body;

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK || mez_clearance_read_approval(r->pool, body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "sanctions.clearance.approve", "screening_clearance", id, "committed", NULL, &aev);
    if (mez_clearance_approve(r->pool, db, id, mez_request_actor(r), now, &aev, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, mez_clearance_json(&out, now));
}

/* ------------------------------------------------------------------ POST .../{id}/revoke */

static int post_revoke(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t out;
    apr_time_t now = apr_time_now();
    const char *reason;
    json_t *body;

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK
        || mez_clearance_read_revocation(r->pool, body, &reason, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "sanctions.clearance.revoke", "screening_clearance", id, "committed", NULL, &aev);
    if (mez_clearance_revoke(r->pool, db, id, mez_request_actor(r), reason, now, &aev, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, mez_clearance_json(&out, now));
}

/* ------------------------------------------------------------------ reads */

static int get_list(request_rec *r, mez_db_t *db)
{
    static const char *const params[] = { "context_id", "status", "limit", NULL };
    mez_problem_t pb = { 0 };
    const char *context, *status;
    apr_array_header_t *list;
    apr_table_t *q;
    apr_time_t now = apr_time_now();
    apr_int64_t limit;
    json_t *arr;

    if (mez_read_query(r, params, &q, &pb) != MEZ_OK
        || mez_query_int(r, q, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if ((context = apr_table_get(q, "context_id")) && !*context)
        return refuse(r, &pb, 400, "request.invalid_parameter", "/context_id", "context_id must not be empty");
    if (!(status = apr_table_get(q, "status")))
        status = "active";
    else if (strcmp(status, "active") && strcmp(status, "proposed") && strcmp(status, "all"))
        return refuse(r, &pb, 400, "request.invalid_parameter", "/status",
                      "status is active (the default), proposed or all");
    if (mez_clearance_list(r->pool, db, context, status, now, (int)limit, &list, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < list->nelts; i++)
        json_array_append_new(arr, mez_clearance_json(&APR_ARRAY_IDX(list, i, mez_clearance_t), now));
    return mez_send_json(r, 200, json_pack("{s:o}", "clearances", arr));
}

static int get_one(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_clearance_t c;
    if (mez_clearance_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, mez_clearance_json(&c, apr_time_now()));
}

int mez_clearance_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *cap[1];
    mez_db_t *db;
    /* A clearance lifts a sanctions block: whoever records or revokes one must be someone, whatever the zone's
     * httpd configuration admits (a zone that does not include mez-policy.conf would otherwise take them from
     * anyone). */
    if (r->method_number == M_POST && !r->user)
        return refuse(r, &pb, 403, "clearance.anonymous", NULL,
                      "a clearance is recorded or revoked by an identified principal (AuthType mez with "
                      "conf/mez-policy.conf): this request has none");
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "sanctions.clearance.", r->method, NULL));
    if (!strcmp(r->uri, "/v1/sanctions/clearances")) {
        if (r->method_number == M_GET)
            return get_list(r, db);
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "GET, POST");
        return post_clearance(r, sc, db);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/sanctions/clearances/*", cap, 1)) {
        if (r->method_number != M_GET)
            return mez_send_method_not_allowed(r, "GET");
        return get_one(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/sanctions/clearances/*/approve", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_approve(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/sanctions/clearances/*/revoke", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_revoke(r, db, cap[0]);
    }
    return refuse(r, &pb, 404, "request.not_found", NULL, apr_psprintf(r->pool, "there is no resource at %s", r->uri));
}
