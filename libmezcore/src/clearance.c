/* clearance.c: sanctions screening clearances (mez/clearance.h): checked against the lists, stored and revoked
 * with their audit rows, and read back for the evaluation of a request. */
#include <string.h>
#include <apr_strings.h>
#include "mez/clearance.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/token.h"
#include "mez/vc.h"

#define CLEARANCE_COLS 16
#define CLEARANCE_SELECT                                                                                           \
    "SELECT clearance_id, zone_id, context_id, name, name_normalised, entry, reason, cleared_by, created_at, "  \
    "expires_at, revoked_at, revoked_by, revoke_reason, approvals_required, approved_at, approved_by "         \
    "FROM mez_screening_clearance"
/* In force: not revoked, not run out, approved when it needs a second principal. */
#define CLEARANCE_IN_FORCE                                                                                          \
    "revoked_at IS NULL AND expires_at > %s AND (approvals_required = 1 OR approved_at IS NOT NULL)"

static void from_row(const char **col, mez_clearance_t *c)
{
    c->clearance_id = col[0], c->zone_id = col[1], c->context_id = col[2], c->name = col[3];
    c->name_normalised = col[4], c->entry = col[5], c->reason = col[6], c->cleared_by = col[7];
    c->created_at = col[8], c->expires_at = col[9], c->revoked_at = col[10], c->revoked_by = col[11];
    c->revoke_reason = col[12];
    c->approvals_required = col[13] && !strcmp(col[13], "1") ? 1 : 2;
    c->approved_at = col[14], c->approved_by = col[15];
}

/* Both stamps are mez_time_stamp's fixed-width UTC form, so their text order is their time order. */
static const char *status_at(const mez_clearance_t *c, const char *now)
{
    if (c->revoked_at)
        return "revoked";
    if (strcmp(c->expires_at, now) <= 0)
        return "expired";
    return c->approvals_required > 1 && !c->approved_at ? "proposed" : "active";
}

const char *mez_clearance_status(const mez_clearance_t *c, apr_time_t now)
{
    char buf[32];
    apr_time_exp_t t;
    apr_size_t len;
    apr_time_exp_gmt(&t, now);
    apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t);
    return status_at(c, buf);
}

json_t *mez_clearance_json(const mez_clearance_t *c, apr_time_t now)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "clearance_id", c->clearance_id,
                          "zone_id", c->zone_id, "status", mez_clearance_status(c, now), "context_id", c->context_id,
                          "name", c->name, "name_normalised", c->name_normalised, "entry", c->entry, "reason",
                          c->reason, "cleared_by", c->cleared_by, "created_at", c->created_at, "expires_at",
                          c->expires_at);
    json_object_set_new(o, "approvals_required", json_integer(c->approvals_required));
    if (c->approved_at)
        json_object_set_new(o, "approved", json_pack("{s:s, s:s}", "at", c->approved_at, "by",
                                                     c->approved_by ? c->approved_by : ""));
    if (c->revoked_at)
        json_object_set_new(o, "revoked", json_pack("{s:s, s:s, s:s?}", "at", c->revoked_at, "by",
                                                    c->revoked_by ? c->revoked_by : "", "reason", c->revoke_reason));
    return o;
}

static json_t *detail_json(const mez_clearance_t *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", c->clearance_id, "cleared_by", c->cleared_by,
                          "created_at", c->created_at, "expires_at", c->expires_at, "reason", c->reason);
    if (c->approved_by)
        json_object_set_new(o, "approved_by", json_string(c->approved_by));
    return o;
}

/* ---------------------------------------------------------------- the hit it clears */

mez_status_t mez_clearance_check_hit(apr_pool_t *p, const mez_tensor_index_t *ix, const char *jurisdiction,
                                     const char *name, const char *entry, const char *today,
                                     const char **name_normalised, mez_problem_t *pb)
{
    mez_tensor_eval_options_t eo = { .domains = MEZ_DOMAIN_BIT(MEZ_DOMAIN_SANCTIONS), .screening_date = today };
    json_t *doc, *result = NULL, *reasons, *r, *hit = json_array();
    const char *norm;
    size_t i;
    mez_status_t rv;

    if (mez_tensor_name_too_long(name)) {
        json_decref(hit);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.name_too_long", "/name",
                           "name is longer than the %d characters a screened name may have", MEZ_TENSOR_NAME_MAX);
    }
    if (!*(norm = mez_tensor_name_normalise(p, name))) {
        json_decref(hit);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.unscreenable_name", "/name",
                           "name has no letters or digits left to screen against the sanctions lists");
    }
    /* The screening pipeline's own question (orchestrate.c, screen_one): this name, screened today. The result
     * belongs to p. */
    doc = mez_json_pool_own(p, json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s}}", "action", "type", "entity_formation",
                                         "date", today, "jurisdiction", jurisdiction, "subject", "id",
                                         "urn:mez:clearance-check", "name", name));
    rv = mez_tensor_evaluate(p, ix, doc, &eo, &result, NULL, pb);
    if (rv != MEZ_OK) {
        json_decref(hit);
        return rv;
    }
    reasons = json_object_get(json_object_get(json_object_get(result, "domains"), "sanctions"), "reasons");
    json_array_foreach(reasons, i, r) {
        const char *rule = json_string_value(json_object_get(r, "rule"));
        if (strcmp(json_string_value(json_object_get(r, "code")) ? json_string_value(json_object_get(r, "code"))
                                                                  : "", "sanctions_match") || !rule)
            continue;
        if (!strcmp(rule, entry)) {
            json_decref(hit);
            *name_normalised = norm;
            return MEZ_OK;
        }
        json_array_append_new(hit, json_string(rule));
    }
    {
        const char *hits = NULL;
        if (json_array_size(hit)) {
            json_t *v;
            json_array_foreach(hit, i, v)
                hits = apr_pstrcat(p, hits ? hits : "", hits ? ", " : "", json_string_value(v), NULL);
        }
        json_decref(hit);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "clearance.no_match", "/entry",
                           "'%s' screened today does not hit %s (%s): there is nothing to clear", name, entry,
                           hits ? apr_pstrcat(p, "it hits ", hits, NULL) : "it hits no entry");
    }
}

/* ---------------------------------------------------------------- requests */

static mez_status_t object_with(apr_pool_t *p, const json_t *body, const char *const *allowed, mez_problem_t *pb)
{
    if (!json_is_object(body))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_field", "", "the body is a JSON object");
    return mez_json_only_members(p, body, "", allowed, "request.unknown_field", pb);
}

/* A text member (mez_text_check), *out NULL when absent and not required. */
static mez_status_t text_member(apr_pool_t *p, const json_t *body, const char *name, int required, size_t max_chars,
                                const char **out, mez_problem_t *pb)
{
    const json_t *v = json_object_get(body, name);
    const char *ptr = apr_pstrcat(p, "/", name, NULL), *s;
    size_t n;
    *out = NULL;
    if (!v)
        return required ? mez_problem(pb, p, MEZ_EINVAL, 422, "request.missing_field", ptr, "%s is required", name)
                        : MEZ_OK;
    if (!json_is_string(v))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_type", ptr, "%s is a string, not %s", name,
                           mez_json_kind(v));
    s = json_string_value(v);
    n = json_string_length(v);
    if (strspn(s, " ") == n)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.empty_value", ptr, "%s must not be blank", name);
    switch (mez_text_check(s, n, max_chars, NULL)) {
    case MEZ_TEXT_CONTROL:
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_characters", ptr,
                           "%s must not contain control characters", name);
    case MEZ_TEXT_TOO_LONG:
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.too_long", ptr, "%s is at most %" APR_SIZE_T_FMT
                           " characters long", name, (apr_size_t)max_chars);
    case MEZ_TEXT_OK:
        break;
    }
    *out = s;
    return MEZ_OK;
}

mez_status_t mez_clearance_read_request(apr_pool_t *p, const mez_tensor_index_t *ix, const char *jurisdiction,
                                        const json_t *body, apr_time_t now, const mez_tz_t *tz, mez_clearance_t *in,
                                        mez_problem_t *pb)
{
    static const char *const allowed[] = { "context_id", "name", "entry", "reason", "expires_at", NULL };
    const char *expires;
    apr_time_t exp;
    mez_status_t rv;

    /* The name's own bound is the screening's (request.name_too_long, mez_clearance_check_hit). */
    if ((rv = object_with(p, body, allowed, pb)) != MEZ_OK
        || (rv = text_member(p, body, "context_id", 1, 255, &in->context_id, pb)) != MEZ_OK
        || (rv = text_member(p, body, "name", 1, 0, &in->name, pb)) != MEZ_OK
        || (rv = text_member(p, body, "entry", 1, 255, &in->entry, pb)) != MEZ_OK
        || (rv = text_member(p, body, "reason", 1, MEZ_CLEARANCE_REASON_MAX, &in->reason, pb)) != MEZ_OK
        || (rv = text_member(p, body, "expires_at", 0, 64, &expires, pb)) != MEZ_OK)
        return rv;
    /* A clearance is reviewed at least yearly: by default it runs out a year from now, and none may run longer.
     * A review interval the zone sets itself, not a period of days a statute counts: an expiry is an instant
     * (expires_at), so these are durations from the instant cleared, not days of the zone's calendar. */
    if (!expires)
        exp = now + apr_time_from_sec(365 * 86400);
    else if (mez_time_parse_rfc3339(expires, &exp) != 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_time", "/expires_at",
                           "expires_at is an RFC 3339 date-time, e.g. 2027-06-30T00:00:00Z");
    else if (exp <= now)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "clearance.expires_in_past", "/expires_at",
                           "expires_at is not in the future");
    else if (exp > now + apr_time_from_sec((apr_int64_t)MEZ_CLEARANCE_MAX_DAYS * 86400))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "clearance.expires_too_late", "/expires_at",
                           "a clearance runs for at most %d days: it is reviewed again before then",
                           MEZ_CLEARANCE_MAX_DAYS);
    in->expires_at = mez_time_stamp(p, exp);
    /* Screened today as a write screens it (orchestrate.c): the day on the zone's calendar. */
    return mez_clearance_check_hit(p, ix, jurisdiction, in->name, in->entry, mez_tz_date(p, tz, now),
                                   &in->name_normalised, pb);
}

mez_status_t mez_clearance_read_revocation(apr_pool_t *p, const json_t *body, const char **reason,
                                           mez_problem_t *pb)
{
    static const char *const allowed[] = { "reason", NULL };
    mez_status_t rv = object_with(p, body, allowed, pb);
    return rv != MEZ_OK ? rv : text_member(p, body, "reason", 1, MEZ_CLEARANCE_REASON_MAX, reason, pb);
}

mez_status_t mez_clearance_read_approval(apr_pool_t *p, const json_t *body, mez_problem_t *pb)
{
    static const char *const allowed[] = { NULL };
    return object_with(p, body, allowed, pb);
}

/* ---------------------------------------------------------------- store */

static mez_status_t not_found(apr_pool_t *p, const char *clearance_id, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 404, "clearance.not_found", NULL, "there is no clearance '%s'",
                       clearance_id);
}

static mez_status_t audit_row(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *audit, const mez_clearance_t *c,
                              json_t *detail, mez_problem_t *pb)
{
    mez_audit_event_t ev = *audit;
    mez_status_t rv;
    ev.resource_type = "screening_clearance";
    ev.resource_id = c->clearance_id;
    ev.detail = detail;
    rv = mez_audit_append(p, db, &ev, pb);
    json_decref(detail);
    return rv;
}

/* The end of every change: its audit row (detail: a new reference, taken), the commit, the clearance handed out;
 * or, on any failure, the rollback. */
static mez_status_t finish(apr_pool_t *p, mez_db_t *db, mez_db_tx_t *tx, const mez_audit_event_t *audit,
                           const mez_clearance_t *c, json_t *detail, mez_clearance_t *out, mez_problem_t *pb)
{
    mez_status_t rv;
    if ((rv = audit_row(p, db, audit, c, detail, pb)) != MEZ_OK || (rv = mez_db_commit(p, tx, pb)) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return rv;
    }
    if (out)
        *out = *c;
    return MEZ_OK;
}

mez_status_t mez_clearance_create(apr_pool_t *p, mez_db_t *db, const mez_clearance_t *in, apr_time_t now,
                                  const mez_audit_event_t *audit, mez_clearance_t *out, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now), *col[1];
    mez_clearance_t c = *in;
    mez_db_tx_t *tx;
    int found = 0;
    mez_status_t rv;
    if ((rv = mez_audit_required(p, audit, "a screening clearance", pb)) != MEZ_OK)
        return rv;

    c.clearance_id = mez_mass_new_id(p, "clr_");
    c.created_at = at;
    c.approvals_required = c.approvals_required == 1 ? 1 : 2;
    c.approved_at = c.approved_by = NULL;
    c.revoked_at = c.revoked_by = c.revoke_reason = NULL;
    if ((rv = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    /* One active clearance per (context, name, entry): a second would hide which review the zone relies on.
     * Checked inside the write transaction (SQLite's write lock; on PostgreSQL the context's rows are locked),
     * so two reviewers clearing the same hit at once make one clearance and one 409. */
    if ((rv = mez_db_query_row(p, db, col, 1, &found,
                               apr_pstrcat(p, "SELECT clearance_id FROM mez_screening_clearance WHERE context_id = %s "
                                           "AND name_normalised = %s AND entry = %s AND revoked_at IS NULL AND "
                                           "expires_at > %s", mez_db_for_update(db), NULL),
                               pb, c.context_id, c.name_normalised, c.entry, at, NULL)) != MEZ_OK)
        goto fail;
    if (found) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 409, "clearance.exists", NULL,
                         "clearance %s already clears (or proposes to clear) '%s' against %s in %s; revoke it first "
                         "to record another",
                         col[0], c.name, c.entry, c.context_id);
        goto fail;
    }
    if ((rv = mez_db_execv(p, db, NULL,
                           "INSERT INTO mez_screening_clearance (clearance_id, zone_id, context_id, name, "
                           "name_normalised, entry, reason, cleared_by, created_at, expires_at, approvals_required) "
                           "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           pb, c.clearance_id, c.zone_id, c.context_id, c.name, c.name_normalised, c.entry, c.reason,
                           c.cleared_by, c.created_at, c.expires_at, c.approvals_required == 1 ? "1" : "2",
                           NULL)) != MEZ_OK)
        goto fail;
    return finish(p, db, tx, audit, &c,
                  json_pack("{s:s, s:s, s:s, s:s, s:i}", "context_id", c.context_id, "name", c.name, "entry", c.entry,
                            "expires_at", c.expires_at, "approvals_required", c.approvals_required), out, pb);
fail:
    mez_db_rollback(p, tx);
    return rv;
}

/* Reads one clearance; lock: for a change, locked (PostgreSQL) inside the caller's transaction. */
static mez_status_t load(apr_pool_t *p, mez_db_t *db, const char *clearance_id, int lock, mez_clearance_t *c,
                         mez_problem_t *pb)
{
    const char *col[CLEARANCE_COLS];
    int found = 0;
    mez_status_t rv = mez_db_query_row(p, db, col, CLEARANCE_COLS, &found,
                                       apr_pstrcat(p, CLEARANCE_SELECT " WHERE clearance_id = %s",
                                                   lock ? mez_db_for_update(db) : "", NULL),
                                       pb, clearance_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found)
        return not_found(p, clearance_id, pb);
    from_row(col, c);
    return MEZ_OK;
}

mez_status_t mez_clearance_get(apr_pool_t *p, mez_db_t *db, const char *clearance_id, mez_clearance_t *out,
                               mez_problem_t *pb)
{
    return load(p, db, clearance_id, 0, out, pb);
}

mez_status_t mez_clearance_list(apr_pool_t *p, mez_db_t *db, const char *context_id, const char *status,
                                apr_time_t now, int limit, apr_array_header_t **out, mez_problem_t *pb)
{
    mez_db_where_t w = MEZ_DB_WHERE_INIT;
    apr_array_header_t *rows;
    mez_status_t rv;

    if (context_id)
        mez_db_where_add(p, &w, "context_id = %s", context_id);
    if (!status || strcmp(status, "all"))
        mez_db_where_add(p, &w, status && !strcmp(status, "proposed")
                                    ? "revoked_at IS NULL AND expires_at > %s AND approvals_required = 2 AND "
                                      "approved_at IS NULL"
                                    : CLEARANCE_IN_FORCE,
                         mez_time_stamp(p, now));
    rv = mez_db_query_rows_array(p, db, CLEARANCE_COLS, &rows,
                                 apr_psprintf(p, "%s%s ORDER BY created_at DESC, clearance_id DESC LIMIT %d",
                                              CLEARANCE_SELECT, w.sql, limit > 0 ? limit : 1),
                                 w.nargs, w.args, pb);
    if (rv != MEZ_OK)
        return rv;
    *out = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(mez_clearance_t));
    for (int i = 0; i < rows->nelts; i++)
        from_row(APR_ARRAY_IDX(rows, i, const char **), &APR_ARRAY_PUSH(*out, mez_clearance_t));
    return MEZ_OK;
}

/* The start of a change to one clearance: its transaction, and the clearance read and locked in it. */
static mez_status_t begin_change(apr_pool_t *p, mez_db_t *db, const char *clearance_id, mez_db_tx_t **tx,
                                 mez_clearance_t *c, mez_problem_t *pb)
{
    mez_status_t rv;
    if ((rv = mez_db_begin(p, db, tx, pb)) != MEZ_OK)
        return rv;
    if ((rv = load(p, db, clearance_id, 1, c, pb)) != MEZ_OK)
        mez_db_rollback(p, *tx);
    return rv;
}

mez_status_t mez_clearance_approve(apr_pool_t *p, mez_db_t *db, const char *clearance_id, const char *approved_by,
                                   apr_time_t now, const mez_audit_event_t *audit, mez_clearance_t *out,
                                   mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now), *st;
    mez_clearance_t c;
    mez_db_tx_t *tx;
    mez_status_t rv;
    if ((rv = mez_audit_required(p, audit, "a clearance's approval", pb)) != MEZ_OK)
        return rv;

    if ((rv = begin_change(p, db, clearance_id, &tx, &c, pb)) != MEZ_OK)
        return rv;
    st = status_at(&c, at);
    if (strcmp(st, "proposed")) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 409,
                         !strcmp(st, "revoked") ? "clearance.revoked"
                         : !strcmp(st, "expired") ? "clearance.expired" : "clearance.not_proposed", NULL,
                         "clearance %s is %s%s", clearance_id, st,
                         !strcmp(st, "active") ? (c.approved_by ? apr_pstrcat(p, " (approved by ", c.approved_by, ")",
                                                                              NULL)
                                                                : " (this zone needs no second principal)")
                                               : ": there is nothing to approve");
        goto fail;
    }
    /* Four eyes: the principal who recorded the clearance is not the one who approves it, nor another token of
     * the same holder (one officer holding an operator's and a regulator's token is still one pair of eyes). */
    if (!strcmp(c.cleared_by, approved_by)) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 409, "clearance.self_approval", NULL,
                         "clearance %s was recorded by %s: another principal approves it", clearance_id, approved_by);
        goto fail;
    }
    {
        const char *holder;
        int same = 0;
        if ((rv = mez_token_same_holder(p, db, c.cleared_by, approved_by, &same, &holder, pb)) != MEZ_OK)
            goto fail;
        if (same) {
            rv = mez_problem(pb, p, MEZ_EINVAL, 409, "clearance.self_approval", NULL,
                             "clearance %s was recorded by %s, a token %s also holds: another person approves it",
                             clearance_id, c.cleared_by, holder);
            goto fail;
        }
    }
    c.approved_at = at, c.approved_by = approved_by;
    if ((rv = mez_db_execv(p, db, NULL,
                           "UPDATE mez_screening_clearance SET approved_at = %s, approved_by = %s WHERE clearance_id "
                           "= %s",
                           pb, at, approved_by, clearance_id, NULL)) != MEZ_OK)
        goto fail;
    return finish(p, db, tx, audit, &c,
                  json_pack("{s:s, s:s, s:s, s:s}", "context_id", c.context_id, "name", c.name, "entry", c.entry,
                            "cleared_by", c.cleared_by), out, pb);
fail:
    mez_db_rollback(p, tx);
    return rv;
}

mez_status_t mez_clearance_revoke(apr_pool_t *p, mez_db_t *db, const char *clearance_id, const char *revoked_by,
                                  const char *reason, apr_time_t now, const mez_audit_event_t *audit,
                                  mez_clearance_t *out, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now);
    mez_clearance_t c;
    mez_db_tx_t *tx;
    mez_status_t rv;
    if ((rv = mez_audit_required(p, audit, "a clearance's revocation", pb)) != MEZ_OK)
        return rv;

    if ((rv = begin_change(p, db, clearance_id, &tx, &c, pb)) != MEZ_OK)
        return rv;
    if (c.revoked_at) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 409, "clearance.revoked", NULL, "clearance %s was revoked at %s by %s",
                         clearance_id, c.revoked_at, c.revoked_by ? c.revoked_by : "(unknown)");
        goto fail;
    }
    c.revoked_at = at, c.revoked_by = revoked_by, c.revoke_reason = reason;
    if ((rv = mez_db_execv(p, db, NULL,
                           "UPDATE mez_screening_clearance SET revoked_at = %s, revoked_by = %s, revoke_reason = %s "
                           "WHERE clearance_id = %s",
                           pb, at, revoked_by, reason ? reason : MEZ_DB_NULL, clearance_id, NULL)) != MEZ_OK)
        goto fail;
    return finish(p, db, tx, audit, &c,
                  json_pack("{s:s, s:s, s:s, s:s?}", "context_id", c.context_id, "name", c.name, "entry", c.entry,
                            "reason", reason), out, pb);
fail:
    mez_db_rollback(p, tx);
    return rv;
}

mez_status_t mez_clearance_active(apr_pool_t *p, mez_db_t *db, const char *const *contexts, int n, apr_time_t now,
                                  mez_tensor_clearance_t **out, size_t *nout, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now), **args, *in = "";
    apr_array_header_t *rows;
    int nargs = 0;
    mez_status_t rv;

    *out = NULL;
    *nout = 0;
    if (n <= 0)
        return MEZ_OK;
    args = apr_palloc(p, sizeof(*args) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        if (!contexts[i])
            continue;
        in = apr_pstrcat(p, in, nargs ? ", " : "", "%s", NULL);
        args[nargs++] = contexts[i];
    }
    if (!nargs)
        return MEZ_OK;
    args[nargs++] = at;
    if ((rv = mez_db_query_rows_array(p, db, CLEARANCE_COLS, &rows,
                                      apr_pstrcat(p, CLEARANCE_SELECT " WHERE context_id IN (", in, ") AND ",
                                                  CLEARANCE_IN_FORCE, NULL),
                                      nargs, args, pb)) != MEZ_OK)
        return rv;
    if (!rows->nelts)
        return MEZ_OK;
    *out = apr_pcalloc(p, sizeof(**out) * (size_t)rows->nelts);
    for (int i = 0; i < rows->nelts; i++) {
        mez_clearance_t c;
        from_row(APR_ARRAY_IDX(rows, i, const char **), &c);
        if (strcmp(status_at(&c, at), "active"))
            continue;
        (*out)[*nout].context = c.context_id;
        (*out)[*nout].name_normalised = c.name_normalised;
        (*out)[*nout].entry = c.entry;
        (*out)[*nout].detail = mez_json_pool_own(p, detail_json(&c));
        (*nout)++;
    }
    return MEZ_OK;
}
