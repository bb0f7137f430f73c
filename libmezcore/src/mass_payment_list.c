/* mass_payment_list.c: GET /v1/fiscal/payments, the treasury's payments page by page (a store extension: the
 * fiscal contract reads one payment by id and lists none). What it is for: the settlement queue (which payments to
 * a bank or over a corridor are still "processing", oldest first, so the treasury records the bank's word with
 * POST /v1/fiscal/payments/{id}/settle or /return), a regulator's review of an entity's payments, an auditor's walk
 * through all of them.
 *
 * Query (each at most once; another name is 400 request.unknown_parameter, a bad value 400
 * request.invalid_parameter, both with the pointer "/<name>"):
 *   status            processing | settled | failed: the statuses this store gives a payment (mass_payment.c,
 *                     mass_payment_outcome.c); the contract's other words (initiated, authorized, reversed) name
 *                     states no payment here is ever in, and are refused rather than answered with nothing.
 *   account_id        payments from or to this account (source, or an internal destination)
 *   entity_id         payments whose payer or (internal) payee is this entity, through its accounts
 *   destination_type  internal_account | external_bank | corridor_settlement
 *   created_after     RFC 3339 date-time: created strictly after it
 *   created_before    RFC 3339 date-time: created strictly before it
 *   limit             1..1000, default 100
 *   cursor            the previous page's next_cursor
 * An id that names nothing here matches nothing (an empty page), as a filter does.
 *
 * Whose payments: a caller acting for one zone of a store several zones share (ctx->caller_zone_id, its token's
 * --mass-zone) lists that zone's payments only, with every filter applying within them; a caller of the whole
 * store (the store's own zone, its operators) lists them all, payments made before 0023 included (which no zone
 * can claim: mass_fiscal_int.h). There is no parameter for it: it is who calls that decides.
 *
 * Answer: {payments: [Payment...], count, has_more, next_cursor?}, oldest first: created_at, then payment_id. The
 * order never changes under a reader (created_at and payment_id are written once), so paging with next_cursor (the
 * last payment's created_at and id) never repeats a payment; one that stops matching between pages (settled while
 * the queue is read) is simply not on a later page. One made while the pages are read may sort before the cursor
 * (created_at is the request's time, not the commit's, and ids are random within a second) and is then on no later
 * page: a reader walks again from the start for what arrived meanwhile. With status=processing
 * this is the settlement queue: the payment waiting longest comes first.
 *
 * Indexes (migration 0022): (status, created_at, payment_id) walks the queue in order reading only processing
 * payments however many have ended; (created_at, payment_id) pages the unfiltered list; destination_account_id
 * finds what an account or entity received (its payments made are in the (source_account_id, idempotency_key)
 * index from 0005). Migration 0023 adds the same two walks behind the zone, (zone_id, status, created_at,
 * payment_id) and (zone_id, created_at, payment_id), so that a small zone's queue on a store where another zone
 * made millions of payments reads its own payments only. */
#include <string.h>
#include <apr_strings.h>
#include "mez/vc.h"
#include "mass_fiscal_int.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
#define STAMP_LEN 20          /* "YYYY-MM-DDTHH:MM:SSZ", mez_time_stamp's form */

static const char *const params[] = { "status", "account_id", "entity_id", "destination_type", "created_after",
                                      "created_before", "limit", "cursor", NULL };
static const char *const statuses[] = { "processing", "settled", "failed", NULL };
static const char *const destination_types[] = { "internal_account", "external_bank", "corridor_settlement", NULL };

/* 400 at /name: the refusals of this list, pointing at the parameter as the zone API's lists do. */
static int bad(mez_mass_call_t *c, const char *name, const char *code, const char *detail)
{
    mez_mass_refuse(c, 400, code, apr_pstrcat(c->p, "/", name, NULL), "%s", detail);
    return 0;
}

static int one_of(mez_mass_call_t *c, const char *name, const char *v, const char *const *values)
{
    const char *list = "";
    for (const char *const *s = values; *s; s++) {
        if (!strcmp(*s, v))
            return 1;
        list = apr_pstrcat(c->p, list, s == values ? "" : ", ", *s, NULL);
    }
    return bad(c, name, "request.invalid_parameter", apr_psprintf(c->p, "%s must be one of %s", name, list));
}

/* An account or entity id: what any id of this store may be (1..255 bytes of id characters). */
static int id_param(mez_mass_call_t *c, const char *name, const char *v)
{
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    if (*v && strlen(v) <= 255 && strspn(v, token) == strlen(v))
        return 1;
    return bad(c, name, "request.invalid_parameter",
               apr_psprintf(c->p, "%s must be an id (1 to 255 letters, digits, '_', '-', '.')", name));
}

/* created_after / created_before as the stored stamp that bounds them: stored times are whole seconds, so "after
 * T" is "at or after the first whole second past T", and "before T" is "before T rounded up to a whole second".
 * A '+' of an offset must reach the store as %2B (a bare '+' in a query is a space). A bound outside the years
 * 1000..9999, which mez_time_stamp writes as four digits and no payment's time falls outside, is either no
 * condition (*out NULL: after year 0999, before year 10000) or one nothing meets (*none). */
static int time_bound(mez_mass_call_t *c, const char *name, const char *v, int after, const char **out, int *none)
{
    const int64_t lo = mez_days_from_civil(1000, 1, 1) * 86400, hi = mez_days_from_civil(9999, 12, 31) * 86400 + 86399;
    apr_time_t t;
    int64_t s;
    if (mez_time_parse_rfc3339(v, &t) != 0)
        return bad(c, name, "request.invalid_parameter",
                   apr_psprintf(c->p, "%s must be an RFC 3339 date-time such as 2026-01-15T09:30:00Z or "
                                "2026-01-15T14:30:00%%2B05:00 (%%2B: '+' in a query)", name));
    s = (int64_t)(t / APR_USEC_PER_SEC) - (t % APR_USEC_PER_SEC < 0);     /* floor, also before 1970 */
    if (after || t % APR_USEC_PER_SEC)
        s++;
    *out = NULL;
    if (after ? s > hi : s <= lo)
        *none = 1;
    else if (after ? s > lo : s <= hi)
        *out = mez_time_stamp(c->p, (apr_time_t)s * APR_USEC_PER_SEC);
    return 1;
}

/* A cursor is "<created_at>_<payment_id>" as next_cursor gave it. */
static int cursor_param(mez_mass_call_t *c, const char *v, const char **at, const char **id)
{
    apr_time_t t;
    if (strlen(v) > STAMP_LEN + 1 && v[STAMP_LEN] == '_' && mez_mass_is_id(v + STAMP_LEN + 1, "pay_")) {
        *at = apr_pstrndup(c->p, v, STAMP_LEN);
        *id = v + STAMP_LEN + 1;
        if (mez_time_parse_rfc3339(*at, &t) == 0 && !strcmp(mez_time_stamp(c->p, t), *at))
            return 1;
    }
    return bad(c, "cursor", "request.invalid_parameter", "cursor is a page's next_cursor as this list gave it");
}

static int limit_param(mez_mass_call_t *c, const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || v[0] < '0' || v[0] > '9' || (v[0] == '0' && v[1]) || n < 1 || n > LIST_LIMIT_MAX)
        return bad(c, "limit", "request.invalid_parameter",
                   apr_psprintf(c->p, "limit is a whole number from 1 to %d", LIST_LIMIT_MAX));
    *out = (int)n;
    return 1;
}

mez_status_t mez_fiscal_payment_list(mez_mass_call_t *c)
{
    const char *v[8], *args[13], *sql = "", *after = NULL, *before = NULL, *cur_at = NULL, *cur_id = NULL;
    int nargs = 0, limit = LIST_LIMIT_DEFAULT, none = 0;
    apr_array_header_t *rows;
    json_t *list, *out;
    mez_status_t rv;

    if (!mez_mass_query_names(c, params, "the payment list"))
        return MEZ_OK;
    for (int i = 0; params[i]; i++)
        v[i] = mez_mass_query_param(c->p, c->req->query, params[i]);
    /* v: status, account_id, entity_id, destination_type, created_after, created_before, limit, cursor */
    if ((v[0] && !one_of(c, "status", v[0], statuses)) || (v[1] && !id_param(c, "account_id", v[1]))
        || (v[2] && !id_param(c, "entity_id", v[2]))
        || (v[3] && !one_of(c, "destination_type", v[3], destination_types))
        || (v[4] && !time_bound(c, "created_after", v[4], 1, &after, &none))
        || (v[5] && !time_bound(c, "created_before", v[5], 0, &before, &none))
        || (v[6] && !limit_param(c, v[6], &limit))
        || (v[7] && !cursor_param(c, v[7], &cur_at, &cur_id)))
        return MEZ_OK;

#define COND(text) (sql = apr_pstrcat(c->p, sql, *sql ? " AND " : " WHERE ", text, NULL))
    /* Who calls, not what it asks: a caller acting for one zone lists that zone's payments only, whatever its
     * query says (mass_int.h: zones). Equality, not "(%s = '' OR ...)": the statement of
     * a caller of the whole store has no zone condition at all, and a zone's walks the zone's own indexes. */
    if (c->ctx->caller_zone_id)
        COND("zone_id = %s"), args[nargs++] = c->ctx->caller_zone_id;
    if (v[0])
        COND("status = %s"), args[nargs++] = v[0];
    if (v[1])
        COND("(source_account_id = %s OR destination_account_id = %s)"), args[nargs++] = v[1], args[nargs++] = v[1];
    if (v[2])
        COND("(source_account_id IN (SELECT account_id FROM mez_mass_account WHERE entity_id = %s) OR "
             "destination_account_id IN (SELECT account_id FROM mez_mass_account WHERE entity_id = %s))"),
            args[nargs++] = v[2], args[nargs++] = v[2];
    if (v[3])
        COND("destination_type = %s"), args[nargs++] = v[3];
    if (after)
        COND("created_at >= %s"), args[nargs++] = after;
    if (before)
        COND("created_at < %s"), args[nargs++] = before;
    /* Row comparison: one index range on (created_at, payment_id) (after status, when given) on both drivers. */
    if (cur_at)
        COND("(created_at, payment_id) > (%s, %s)"), args[nargs++] = cur_at, args[nargs++] = cur_id;
    if (none)
        COND("1 = 0");
#undef COND
    /* One more row than asked tells whether there is a next page. The limit is a parsed integer. */
    if ((rv = mez_db_query_rows_array(c->p, c->db, 3, &rows,
                                      apr_psprintf(c->p, "SELECT doc, created_at, payment_id FROM mez_mass_payment%s "
                                                   "ORDER BY created_at, payment_id LIMIT %d", sql, limit + 1),
                                      nargs, args, c->pb)) != MEZ_OK)
        return rv;
    list = json_array();
    for (int i = 0; i < rows->nelts && i < limit; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_t *d = mez_mass_doc_parse(c, r[0]);
        if (!json_is_object(d)) {
            json_decref(d);
            json_decref(list);
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                               "payment %s's stored document does not parse", r[2]);
        }
        json_array_append_new(list, d);
    }
    out = json_pack("{s:o,s:I,s:b}", "payments", list, "count", (json_int_t)json_array_size(list), "has_more",
                    rows->nelts > limit);
    if (rows->nelts > limit) {
        const char **last = APR_ARRAY_IDX(rows, limit - 1, const char **);
        json_object_set_new(out, "next_cursor", json_string(apr_pstrcat(c->p, last[1], "_", last[2], NULL)));
    }
    return mez_mass_answer(c, 200, out);
}
