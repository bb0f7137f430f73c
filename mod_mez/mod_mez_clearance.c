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
#include "mez/vc.h"
#include "mod_mez.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000

static int refuse(request_rec *r, mez_problem_t *pb, int status, const char *code, const char *pointer,
                  const char *detail)
{
    mez_problem(pb, r->pool, MEZ_EINVAL, status, code, pointer, "%s", detail);
    return mez_send_problem(r, pb, NULL);
}


/* A string member: required or not, at most max bytes, no control characters (they would be stored and shown to
 * the next reviewer as something else). *out NULL when absent and optional. */
static int text_member(request_rec *r, const json_t *body, const char *name, int required, size_t max,
                       const char **out, mez_problem_t *pb)
{
    const json_t *v = json_object_get(body, name);
    const char *ptr = apr_pstrcat(r->pool, "/", name, NULL), *s;
    *out = NULL;
    if (!v) {
        if (required)
            mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", ptr, "%s is required", name);
        return !required;
    }
    if (!json_is_string(v)) {
        mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", ptr, "%s is a string", name);
        return 0;
    }
    s = json_string_value(v);
    if (json_string_length(v) != strlen(s) || strlen(s) > max) {
        mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", ptr,
                    "%s is at most %" APR_SIZE_T_FMT " bytes, without NUL characters", name, (apr_size_t)max);
        return 0;
    }
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if ((*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f) {
            mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", ptr,
                        "%s contains a control character", name);
            return 0;
        }
    if (!*s || strspn(s, " \t\n") == strlen(s)) {
        mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.empty_value", ptr, "%s must not be blank", name);
        return 0;
    }
    *out = s;
    return 1;
}

/* ------------------------------------------------------------------ POST /v1/sanctions/clearances */

static int post_clearance(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "context_id", "name", "entry", "reason", "expires_at", NULL };
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t in = { 0 }, out;
    apr_time_t now = apr_time_now(), exp;
    const char *expires, *today;
    json_t *body;

    if (!sc->tensor_index)
        return refuse(r, &pb, 503, "zone.no_packs", NULL,
                      "this zone has no packs loaded (MezZoneFile): there is no list to clear a hit of");
    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!text_member(r, body, "context_id", 1, 255, &in.context_id, &pb)
        || !text_member(r, body, "name", 1, 4 * MEZ_TENSOR_NAME_MAX, &in.name, &pb)
        || !text_member(r, body, "entry", 1, 255, &in.entry, &pb)
        || !text_member(r, body, "reason", 1, MEZ_CLEARANCE_REASON_MAX, &in.reason, &pb)
        || !text_member(r, body, "expires_at", 0, 64, &expires, &pb))
        return mez_send_problem(r, &pb, NULL);
    /* A clearance is reviewed at least yearly: by default it runs out a year from now, and none may run longer. */
    if (!expires) {
        exp = now + apr_time_from_sec(365 * 86400);
    } else if (mez_time_parse_rfc3339(expires, &exp) != 0) {
        return refuse(r, &pb, 422, "request.invalid_time", "/expires_at",
                      "expires_at is an RFC 3339 date-time, e.g. 2027-06-30T00:00:00Z");
    } else if (exp <= now) {
        return refuse(r, &pb, 422, "clearance.expires_in_past", "/expires_at", "expires_at is not in the future");
    } else if (exp > now + apr_time_from_sec((apr_int64_t)MEZ_CLEARANCE_MAX_DAYS * 86400)) {
        return refuse(r, &pb, 422, "clearance.expires_too_late", "/expires_at",
                      apr_psprintf(r->pool, "a clearance runs for at most %d days: it is reviewed again before then",
                                   MEZ_CLEARANCE_MAX_DAYS));
    }
    today = apr_pstrndup(r->pool, mez_time_stamp(r->pool, now), 10);
    if (mez_clearance_check_hit(r->pool, sc->tensor_index, sc->zone_id, in.name, in.entry, today,
                                &in.name_normalised, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    in.zone_id = sc->zone_id;
    in.cleared_by = mez_request_actor(r);
    in.approvals_required = sc->clearance_approvers == 1 ? 1 : 2;
    in.expires_at = mez_time_stamp(r->pool, exp);
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
    static const char *const allowed[] = { NULL };
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t out;
    apr_time_t now = apr_time_now();
    json_t *body;

    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "sanctions.clearance.approve", "screening_clearance", id, "committed", NULL, &aev);
    if (mez_clearance_approve(r->pool, db, id, mez_request_actor(r), now, &aev, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, mez_clearance_json(&out, now));
}

/* ------------------------------------------------------------------ POST .../{id}/revoke */

static int post_revoke(request_rec *r, mez_db_t *db, const char *id)
{
    static const char *const allowed[] = { "reason", NULL };
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_clearance_t out;
    apr_time_t now = apr_time_now();
    const char *reason;
    json_t *body;

    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK
        || !text_member(r, body, "reason", 1, MEZ_CLEARANCE_REASON_MAX, &reason, &pb))
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "sanctions.clearance.revoke", "screening_clearance", id, "committed", NULL, &aev);
    if (mez_clearance_revoke(r->pool, db, id, mez_request_actor(r), reason, now, &aev, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, mez_clearance_json(&out, now));
}

/* ------------------------------------------------------------------ reads */

static int get_list(request_rec *r, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    char *args = r->args ? apr_pstrdup(r->pool, r->args) : NULL, *tok, *last;
    const char *context = NULL, *status = "active";
    apr_array_header_t *list;
    apr_time_t now = apr_time_now();
    int limit = LIST_LIMIT_DEFAULT;
    json_t *arr;

    for (tok = args ? apr_strtok(args, "&", &last) : NULL; tok; tok = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(tok, '='), *value;
        if (!eq)
            return refuse(r, &pb, 400, "request.invalid_parameter", apr_pstrcat(r->pool, "/", tok, NULL),
                          "query parameters are name=value");
        *eq = '\0';
        value = eq + 1;
        if (ap_unescape_url(value) != OK || strlen(value) > 255 || !mez_utf8_valid(value, strlen(value))
            || strcspn(value, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12"
                              "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != strlen(value))
            return refuse(r, &pb, 400, "request.invalid_parameter", apr_pstrcat(r->pool, "/", tok, NULL),
                          "the parameter's value is not URL-encoded UTF-8 text (no control characters) of at most "
                          "255 bytes");
        if (!strcmp(tok, "context_id") && *value) {
            context = value;
        } else if (!strcmp(tok, "status")
                   && (!strcmp(value, "active") || !strcmp(value, "proposed") || !strcmp(value, "all"))) {
            status = value;
        } else if (!strcmp(tok, "limit")) {
            char *end;
            apr_int64_t n = apr_strtoi64(value, &end, 10);
            if (!*value || *end || n < 1 || n > LIST_LIMIT_MAX)
                return refuse(r, &pb, 400, "request.invalid_parameter", "/limit",
                              apr_psprintf(r->pool, "limit is a whole number from 1 to %d", LIST_LIMIT_MAX));
            limit = (int)n;
        } else if (!strcmp(tok, "context_id") || !strcmp(tok, "status")) {
            return refuse(r, &pb, 400, "request.invalid_parameter", apr_pstrcat(r->pool, "/", tok, NULL),
                          !strcmp(tok, "status") ? "status is active (the default), proposed or all"
                                                 : "context_id must not be empty");
        } else {
            return refuse(r, &pb, 400, "request.unknown_parameter", apr_pstrcat(r->pool, "/", tok, NULL),
                          "the parameters are context_id, status and limit");
        }
    }
    if (mez_clearance_list(r->pool, db, context, status, now, limit, &list, &pb) != MEZ_OK)
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
