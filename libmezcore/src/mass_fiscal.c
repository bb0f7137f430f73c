/* mass_fiscal.c: the sovereign Mass store's fiscal (treasury) primitive: routes, accounts, holds, ledger reads and
 * tax events; payments and deposits are in mass_payment.c, the ledger itself in mass_ledger.c.
 *
 * Contract routes (../shared/schemas/mass/apis/fiscal.openapi.yaml):
 *   POST /v1/fiscal/accounts                  CreateTreasuryAccountRequest -> 201 TreasuryAccount. The entity must
 *        be in mez_mass_entity (422 fiscal.entity_unknown) and not DISSOLVED, STRUCK_OFF or REJECTED (409
 *        fiscal.entity_inactive); the currency must be one whose ISO 4217 minor units the store knows (422
 *        fiscal.unknown_currency). Accounts open "active" with balance 0.
 *   GET  /v1/fiscal/accounts/{id}             TreasuryAccount (balance: decimal string in the currency's minor units)
 *   POST /v1/fiscal/payments                  see mass_payment.c
 *   GET  /v1/fiscal/payments/{id}             Payment
 *   GET  /v1/fiscal/{entity_id}/tax-events    TaxEventList (tax_year, event_type, from_date, to_date, cursor, limit);
 *        from_date and to_date are days on the zone's calendar (ctx->tz), both included: an event at 20:00 UTC on
 *        30 June is one of 1 July in Karachi (UTC+5), as its tax_year already says. A caller acting for one zone
 *        of a shared store lists the events of its zone's payments only (mass_int.h: zones).
 *   POST /v1/fiscal/withholding/calculate     501 mass.not_in_store: it needs the zone's tax rules, which live in its
 *        packs and are applied by the compliance tensor, not by the record store. The zone API answers it from its
 *        packs (POST /v1/fiscal/withholding/calculate, tax_withholding.c).
 *   POST /v1/fiscal/reporting/generate        TaxReportRequest -> 200 TaxReport: the entity's tax year added up from
 *        the tax events this store recorded (mass_tax_report.c); computed, not stored.
 * Extensions (the contract has no way to bring money in, reserve it, freeze an account, read its ledger or list
 * payments):
 *   POST /v1/fiscal/accounts/{id}/deposits    {amount, currency, reference, source?} -> 201: money from outside the
 *        zone; the other leg is the zone's clearing account sys_clearing_<CUR> (see mass_payment.c).
 *   GET  /v1/fiscal/accounts/{id}/balance     {account_id, currency, balance, held, available, as_of}; any account,
 *        the zone's own included (the clearing account's balance is minus all money that entered).
 *   POST /v1/fiscal/accounts/{id}/holds       {amount, reason, expires_at?} -> 201 hold; reduces available.
 *   POST /v1/fiscal/accounts/{id}/holds/{hold_id}/release   {reason?} -> 200 hold (released).
 *        A hold whose expires_at has passed stops counting the first time the account is used after it.
 *   GET  /v1/fiscal/accounts/{id}/ledger      {account_id, currency, lines[], has_more, next_cursor?}: the account's
 *        ledger lines oldest first (limit 1..1000, default 100; cursor from the previous page).
 *   GET  /v1/fiscal/payments                  {payments[], count, has_more, next_cursor?}: payments oldest first
 *        (created_at, payment_id), filtered by status, account, entity, destination type and creation time; with
 *        status=processing, the settlement queue. See mass_payment_list.c.
 *   GET  /v1/fiscal/{entity_id}/payment-aggregate   {entity_id, payee, aggregate, tax_year, currency,
 *        gross_amount, payment_count} (payee, aggregate, tax_year, currency required): what the entity has paid the
 *        payee in the tax year under a withholding aggregate (a threshold on the aggregate paid to the payee), for
 *        the zone that judges its next payment; see mass_payment_aggregate.c.
 *   POST /v1/fiscal/accounts/{id}/status      {status: active|frozen|closed, reason?} -> 200 TreasuryAccount. Frozen
 *        and closed accounts neither pay nor receive; only an empty account (no balance, no hold) closes, for good.
 *   POST /v1/fiscal/payments/{id}/settle      {reference, settled_at?} -> 200 Payment (settled): the bank or the
 *        corridor confirmed a payment that left the zone; its net moves from sys_outbound_<CUR> to sys_clearing_<CUR>.
 *   POST /v1/fiscal/payments/{id}/return      {reason, reference?} -> 200 Payment (failed): the bank rejected it or
 *        the corridor leg failed; the payer gets the gross back and the withholding is reversed with it. Only a
 *        processing payment ends either way (409 fiscal.payment_settled / fiscal.payment_failed otherwise); see
 *        mass_payment_outcome.c.
 * An account of an entity that is DISSOLVED, STRUCK_OFF or REJECTED neither pays nor receives either (409
 * fiscal.entity_inactive naming the entity's status; mez_mass_entity_live); holds and status changes stay open
 * on it, so what it still holds can be reserved, frozen or closed. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/bank_ids.h"
#include "mez/store.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "mass_fiscal_int.h"

static const char *const account_types[] = { "operating", "escrow", "withholding", "settlement", "reserve", NULL };

int mez_fiscal_check_ntn(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name)
{
    static const char *const allowed[] = { "ntn_number", "ntn_type", "filer_status", "registration_date", "strn", NULL };
    static const char *const types[] = { "company", "individual", "aop", NULL };
    static const char *const filer[] = { "filer", "non_filer", "exempt", NULL };
    const char *ptr = mez_pointer_join(c->p, base, name), *num = NULL, *s = NULL;
    const json_t *ntn = NULL;
    if (!mez_mass_get_object(c, obj, base, name, MEZ_MASS_REQUIRED, &ntn) || !mez_mass_check_object(c, ntn, ptr, allowed)
        || !mez_mass_get_string(c, ntn, ptr, "ntn_number", MEZ_MASS_REQUIRED, 13, &num)
        || !mez_mass_get_enum(c, ntn, ptr, "ntn_type", MEZ_MASS_REQUIRED, types, &s)
        || !mez_mass_get_enum(c, ntn, ptr, "filer_status", MEZ_MASS_OPTIONAL, filer, &s))
        return 0;
    if (!mez_mass_digits(num, 7) && !mez_mass_digits(num, 13)) {
        mez_mass_refuse(c, 422, "fiscal.invalid_ntn", mez_pointer_join(c->p, ptr, "ntn_number"),
                        "an NTN has 7 digits (company) or 13 (CNIC-based), not '%s'", num);
        return 0;
    }
    s = NULL;
    if (!mez_mass_get_string(c, ntn, ptr, "registration_date", MEZ_MASS_OPTIONAL, 10, &s))
        return 0;
    if (s && !mez_mass_date_parse(s, NULL)) {
        mez_mass_refuse(c, 422, "request.invalid_date", mez_pointer_join(c->p, ptr, "registration_date"),
                        "'registration_date' must be a date YYYY-MM-DD, not '%s'", s);
        return 0;
    }
    /* A registration that has not happened yet is no registration: the NTN's filer status rests on it. */
    if (s && strcmp(s, mez_mass_latest_today(c)) > 0) {
        mez_mass_refuse(c, 422, "request.invalid_date", mez_pointer_join(c->p, ptr, "registration_date"),
                        "'registration_date' %s is later than today (%s)", s, mez_mass_latest_today(c));
        return 0;
    }
    s = NULL;
    if (!mez_mass_get_string(c, ntn, ptr, "strn", MEZ_MASS_OPTIONAL, 13, &s))
        return 0;
    if (s && !mez_mass_digits(s, 13)) {
        mez_mass_refuse(c, 422, "fiscal.invalid_strn", mez_pointer_join(c->p, ptr, "strn"),
                        "an STRN has 13 digits, not '%s'", s);
        return 0;
    }
    return 1;
}

int mez_fiscal_check_bank_details(mez_mass_call_t *c, const json_t *bank, const char *base)
{
    mez_problem_t pb = { 0 };
    if (mez_bank_details_check(c->p, bank, base, &pb) == MEZ_OK)
        return 1;
    mez_mass_refuse(c, pb.status, pb.code, pb.pointer, "%s", pb.detail);
    return 0;
}

static mez_status_t account_create(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "entity_id", "account_type", "currency", "ntn", "bank_details", "metadata",
                                            NULL };
    const json_t *b = c->req->body, *bank = NULL, *meta = NULL;
    const char *entity_id = NULL, *type = NULL, *currency = NULL, *status = NULL, *now, *id, *text;
    int exponent, found = 0;
    mez_fiscal_account_t a;
    json_t *doc;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "entity_id", MEZ_MASS_REQUIRED, 255, &entity_id)
        || !mez_mass_get_enum(c, b, "", "account_type", MEZ_MASS_REQUIRED, account_types, &type)
        || !mez_fiscal_get_currency(c, b, "", "currency", &currency, &exponent) || !mez_fiscal_check_ntn(c, b, "", "ntn")
        || !mez_mass_get_object(c, b, "", "bank_details", MEZ_MASS_OPTIONAL, &bank)
        || !mez_fiscal_check_bank_details(c, bank, "/bank_details")
        || !mez_mass_get_object(c, b, "", "metadata", MEZ_MASS_OPTIONAL, &meta))
        return MEZ_OK;
    /* Another zone's entity is as unknown as one that does not exist (mass_int.h: zones). */
    if ((rv = mez_db_query_value(c->p, c->db, &status, "SELECT status FROM mez_mass_entity WHERE entity_id = %s AND "
                                 MEZ_MASS_IN_ZONE("zone_id"), c->pb, entity_id, mez_mass_zone_scope(c),
                                 mez_mass_zone_scope(c), NULL)) != MEZ_OK)
        return rv;
    if (!status)
        return mez_mass_refuse(c, 422, "fiscal.entity_unknown", "/entity_id", "there is no entity '%s' in this zone",
                               entity_id);
    if (!mez_mass_entity_live(status))
        return mez_mass_refuse(c, 409, "fiscal.entity_inactive", "/entity_id",
                               "entity %s is %s and cannot open accounts", entity_id, status);
    doc = json_pack("{s:O}", "ntn", json_object_get(b, "ntn"));
    if (bank)
        json_object_set(doc, "bank_details", (json_t *)bank);
    if (meta)
        json_object_set(doc, "metadata", (json_t *)meta);
    text = mez_mass_doc_text(c, doc);
    json_decref(doc);
    id = mez_mass_new_id(c->p, "acc_");
    now = mez_time_stamp(c->p, c->ctx->now);
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "INSERT INTO mez_mass_account (account_id, kind, entity_id, account_type, currency, status, "
                           "balance, held, line_seq, doc, created_at, updated_at) "
                           "VALUES (%s, 'entity', %s, %s, %s, 'active', 0, 0, 0, %s, %s, %s)",
                           c->pb, id, entity_id, type, currency, text ? text : "{}", now, now, NULL)) != MEZ_OK
        || (rv = mez_fiscal_account_load(c, id, &a, &found)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 201, mez_fiscal_account_json(c, &a));
}

/* Loads an entity account named in the path: 404 for none (the zone's own accounts are not TreasuryAccounts), and
 * for another zone's than the caller acts for (mez_fiscal_account_visible): its balance, ledger, holds and status
 * are not this caller's to read or change. */
static mez_status_t path_account(mez_mass_call_t *c, const char *id, int entity_only, mez_fiscal_account_t *a,
                                 int *found)
{
    mez_status_t rv = mez_fiscal_account_load(c, id, a, found);
    if (rv == MEZ_OK && *found && ((entity_only && strcmp(a->kind, MEZ_FISCAL_ENTITY))
                                   || !mez_fiscal_account_visible(c, a)))
        *found = 0;
    if (rv == MEZ_OK && !*found)
        mez_mass_not_found(c, "treasury account", id);
    return rv;
}

static mez_status_t account_get(mez_mass_call_t *c, const char *id)
{
    mez_fiscal_account_t a;
    int found = 0;
    mez_status_t rv = path_account(c, id, 1, &a, &found);
    if (rv != MEZ_OK || !found)
        return rv;
    return mez_mass_answer(c, 200, mez_fiscal_account_json(c, &a));
}

/* Reads only: holds past their expiry already do not count, whether or not a write has ended them yet. */
static mez_status_t account_balance(mez_mass_call_t *c, const char *id)
{
    mez_fiscal_account_t a;
    const char *held = NULL;
    int found = 0;
    int64_t h;
    mez_status_t rv = path_account(c, id, 0, &a, &found);
    if (rv != MEZ_OK || !found)
        return rv;
    if ((rv = mez_db_query_value(c->p, c->db, &held,
                                 "SELECT COALESCE(SUM(amount), 0) FROM mez_mass_hold WHERE account_id = %s AND "
                                 "status = 'active' AND (expires_at IS NULL OR expires_at > %s)",
                                 c->pb, id, mez_time_stamp(c->p, c->ctx->now), NULL)) != MEZ_OK)
        return rv;
    h = held ? (int64_t)apr_atoi64(held) : 0;
    return mez_mass_answer(c, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "account_id", a.account_id, "currency",
                                             a.currency, "balance", mez_mass_amount_format(c->p, a.balance, a.exponent),
                                             "held", mez_mass_amount_format(c->p, h, a.exponent), "available",
                                             mez_mass_amount_format(c->p, a.balance - h, a.exponent), "status",
                                             a.status, "as_of", mez_time_stamp(c->p, c->ctx->now)));
}

static mez_status_t account_status(mez_mass_call_t *c, const char *id)
{
    static const char *const allowed[] = { "status", "reason", NULL };
    static const char *const statuses[] = { "active", "frozen", "closed", NULL };
    const char *status = NULL, *reason = NULL;
    mez_fiscal_account_t a;
    int found = 0, n = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, c->req->body, "", allowed)
        || !mez_mass_get_enum(c, c->req->body, "", "status", MEZ_MASS_REQUIRED, statuses, &status)
        || !mez_mass_get_text(c, c->req->body, "", "reason", MEZ_MASS_OPTIONAL, 1024, &reason))
        return MEZ_OK;
    if ((rv = path_account(c, id, 1, &a, &found)) != MEZ_OK || !found)
        return rv;
    if (!strcmp(a.status, "closed"))
        return mez_mass_refuse(c, 409, "fiscal.account_closed", "/status", "account %s is closed for good", id);
    if ((rv = mez_fiscal_expire_holds(c, id)) != MEZ_OK)
        return rv;
    /* Closing is guarded in the statement itself, so a payment landing concurrently cannot be closed over. */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "UPDATE mez_mass_account SET status = %s, updated_at = %s WHERE account_id = %s AND "
                           "status <> 'closed' AND (%s <> 'closed' OR (balance = 0 AND held = 0))",
                           c->pb, status, mez_time_stamp(c->p, c->ctx->now), id, status, NULL)) != MEZ_OK)
        return rv;
    if (n != 1)
        return mez_mass_refuse(c, 409, "fiscal.account_not_empty", "/status",
                               "account %s still has a balance or holds and cannot be closed", id);
    if ((rv = mez_fiscal_account_load(c, id, &a, &found)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 200, mez_fiscal_account_json(c, &a));
}

/* ---------------------------------------------------------------- holds */

static json_t *hold_json(mez_mass_call_t *c, const char **h, int exponent, const char *currency)
{
    /* h: hold_id, account_id, amount, reason, status, expires_at, created_at, ended_at */
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "hold_id", h[0], "account_id", h[1], "amount",
                          mez_mass_amount_format(c->p, (int64_t)apr_atoi64(h[2]), exponent), "currency", currency,
                          "reason", h[3], "status", h[4], "created_at", h[6]);
    if (mez_mass_nullable(h[5]))
        json_object_set_new(o, "expires_at", json_string(h[5]));
    if (mez_mass_nullable(h[7]))
        json_object_set_new(o, "ended_at", json_string(h[7]));
    return o;
}

static mez_status_t hold_answer(mez_mass_call_t *c, int status, const char *hold_id, const mez_fiscal_account_t *a0)
{
    const char *h[8];
    int found = 0, ok = 0;
    mez_fiscal_account_t a;
    json_t *o;
    mez_status_t rv = mez_db_query_row(c->p, c->db, h, 8, &found,
                                       "SELECT hold_id, account_id, amount, reason, status, expires_at, created_at, "
                                       "ended_at FROM mez_mass_hold WHERE hold_id = %s",
                                       c->pb, hold_id, NULL);
    if (rv != MEZ_OK || (rv = mez_fiscal_account_load(c, a0->account_id, &a, &found)) != MEZ_OK
        || (rv = mez_fiscal_check(c, NULL, a.account_id, &ok)) != MEZ_OK)
        return rv;
    if (!ok)
        return MEZ_EINTERNAL;
    o = hold_json(c, h, a.exponent, a.currency);
    json_object_set_new(o, "account_available", json_string(mez_mass_amount_format(c->p, a.balance - a.held,
                                                                                    a.exponent)));
    return mez_mass_answer(c, status, o);
}

static mez_status_t hold_place(mez_mass_call_t *c, const char *id)
{
    static const char *const allowed[] = { "amount", "reason", "expires_at", NULL };
    const json_t *b = c->req->body;
    const char *reason = NULL, *expires = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *hold_id, *x;
    mez_fiscal_account_t a;
    int found = 0, n = 0;
    int64_t amount = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed))
        return MEZ_OK;
    if ((rv = path_account(c, id, 1, &a, &found)) != MEZ_OK || !found)
        return rv;
    if (!mez_fiscal_get_amount(c, b, "", "amount", a.exponent, &amount)
        || !mez_mass_get_text(c, b, "", "reason", MEZ_MASS_REQUIRED, 1024, &reason)
        || !mez_mass_get_time(c, b, "", "expires_at", MEZ_MASS_OPTIONAL, &expires))
        return MEZ_OK;
    if (expires && strcmp(expires, now) <= 0)
        return mez_mass_refuse(c, 422, "fiscal.hold_expired", "/expires_at", "expires_at %s is not in the future",
                               expires);
    if ((rv = mez_fiscal_expire_holds(c, id)) != MEZ_OK)
        return rv;
    x = apr_psprintf(c->p, "%" APR_INT64_T_FMT, amount);
    /* Same guard as a debit: a hold can reserve only what is available. */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "UPDATE mez_mass_account SET held = held + CAST(%s AS BIGINT), updated_at = %s "
                           "WHERE account_id = %s AND status = 'active' AND balance - held >= CAST(%s AS BIGINT)",
                           c->pb, x, now, id, x, NULL)) != MEZ_OK)
        return rv;
    if (n != 1)
        return mez_fiscal_refuse_line(c, id, -amount, "/amount");
    hold_id = mez_mass_new_id(c->p, "hld_");
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "INSERT INTO mez_mass_hold (hold_id, account_id, amount, reason, status, expires_at, "
                           "created_at) VALUES (%s, %s, %s, %s, 'active', %s, %s)",
                           c->pb, hold_id, id, x, reason, expires ? expires : MEZ_DB_NULL, now, NULL)) != MEZ_OK)
        return rv;
    return hold_answer(c, 201, hold_id, &a);
}

static mez_status_t hold_release(mez_mass_call_t *c, const char *id, const char *hold_id)
{
    static const char *const allowed[] = { "reason", NULL };
    const char *reason = NULL, *col[2], *now = mez_time_stamp(c->p, c->ctx->now);
    mez_fiscal_account_t a;
    int found = 0, n = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, c->req->body, "", allowed)
        || !mez_mass_get_text(c, c->req->body, "", "reason", MEZ_MASS_OPTIONAL, 1024, &reason))
        return MEZ_OK;
    if ((rv = path_account(c, id, 1, &a, &found)) != MEZ_OK || !found)
        return rv;
    if ((rv = mez_fiscal_expire_holds(c, id)) != MEZ_OK
        || (rv = mez_db_query_row(c->p, c->db, col, 2, &found,
                                  "SELECT status, amount FROM mez_mass_hold WHERE hold_id = %s AND account_id = %s",
                                  c->pb, hold_id, id, NULL)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "hold", hold_id);
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "UPDATE mez_mass_hold SET status = 'released', ended_at = %s "
                           "WHERE hold_id = %s AND status = 'active'",
                           c->pb, now, hold_id, NULL)) != MEZ_OK)
        return rv;
    if (n != 1)
        return mez_mass_refuse(c, 409, "fiscal.hold_not_active", NULL, "hold %s is already %s", hold_id, col[0]);
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "UPDATE mez_mass_account SET held = held - CAST(%s AS BIGINT), updated_at = %s "
                           "WHERE account_id = %s",
                           c->pb, col[1], now, id, NULL)) != MEZ_OK)
        return rv;
    return hold_answer(c, 200, hold_id, &a);
}

/* ---------------------------------------------------------------- reads with pages */

/* limit query parameter in [1, max] (default def); 0 after refusing. */
static int query_limit(mez_mass_call_t *c, int def, int max, int *out)
{
    const char *s = mez_mass_query_param(c->p, c->req->query, "limit");
    char *end;
    long v;
    *out = def;
    if (!s)
        return 1;
    v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > max) {
        mez_mass_refuse(c, 400, "request.invalid_query", NULL, "limit must be an integer from 1 to %d, not '%s'", max,
                        s);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static mez_status_t account_ledger(mez_mass_call_t *c, const char *id)
{
    const char *cursor = mez_mass_query_param(c->p, c->req->query, "cursor");
    apr_array_header_t *rows;
    mez_fiscal_account_t a;
    int found = 0, limit;
    json_t *lines, *out;
    mez_status_t rv;

    if ((rv = path_account(c, id, 0, &a, &found)) != MEZ_OK || !found)
        return rv;
    if (!query_limit(c, 100, 1000, &limit))
        return MEZ_OK;
    if (cursor && (!*cursor || strspn(cursor, "0123456789") != strlen(cursor) || strlen(cursor) > 18))
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL, "cursor '%s' is not one this store gave",
                               cursor);
    if ((rv = mez_db_query_rows(c->p, c->db, 8, &rows,
                                "SELECT l.txn_id, t.kind, t.payment_id, t.reference, l.amount, l.balance_after, "
                                "l.account_seq, l.created_at FROM mez_mass_ledger_line l "
                                "JOIN mez_mass_ledger_txn t ON t.txn_id = l.txn_id "
                                "WHERE l.account_id = %s AND l.account_seq > CAST(%s AS BIGINT) "
                                "ORDER BY l.account_seq LIMIT CAST(%s AS BIGINT)",
                                c->pb, id, cursor ? cursor : "0", apr_itoa(c->p, limit + 1), NULL)) != MEZ_OK)
        return rv;
    lines = json_array();
    for (int i = 0; i < rows->nelts && i < limit; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_t *l = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "transaction_id", r[0], "kind", r[1], "amount",
                              mez_mass_amount_format(c->p, (int64_t)apr_atoi64(r[4]), a.exponent), "balance_after",
                              mez_mass_amount_format(c->p, (int64_t)apr_atoi64(r[5]), a.exponent), "seq",
                              (json_int_t)apr_atoi64(r[6]), "created_at", r[7]);
        if (mez_mass_nullable(r[2]))
            json_object_set_new(l, "payment_id", json_string(r[2]));
        if (mez_mass_nullable(r[3]))
            json_object_set_new(l, "reference", json_string(r[3]));
        json_array_append_new(lines, l);
    }
    out = json_pack("{s:s,s:s,s:o,s:b}", "account_id", id, "currency", a.currency, "lines", lines, "has_more",
                    rows->nelts > limit);
    if (rows->nelts > limit)
        json_object_set_new(out, "next_cursor",
                            json_string(APR_ARRAY_IDX(rows, limit - 1, const char **)[6]));
    return mez_mass_answer(c, 200, out);
}

/* The first (end 0) or last (end 1) second of day (days since 1970-01-01) on the zone's calendar, as the stored
 * occurred_at stamps are written (mez_time_stamp, UTC), so that a string comparison is a comparison of instants. */
static const char *day_bound(mez_mass_call_t *c, long day, int end)
{
    apr_time_t t = end ? mez_tz_end_of_day(c->ctx->tz, day) : mez_tz_start_of_day(c->ctx->tz, day);
    return mez_time_stamp(c->p, t);
}

static mez_status_t tax_events(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const types[] = { "withholding_deduction", "capital_gains", "dividend_distribution",
                                         "royalty_payment", "service_fee", "goods_payment", "penalty", "refund",
                                         "adjustment", NULL };
    const char *year = mez_mass_query_param(c->p, c->req->query, "tax_year");
    const char *type = mez_mass_query_param(c->p, c->req->query, "event_type");
    const char *from = mez_mass_query_param(c->p, c->req->query, "from_date");
    const char *to = mez_mass_query_param(c->p, c->req->query, "to_date");
    const char *cursor = mez_mass_query_param(c->p, c->req->query, "cursor");
    const char *cur_at = "", *cur_id = "", *exists = NULL, *total = NULL;
    apr_array_header_t *rows;
    json_t *events, *out;
    int limit, known = 0;
    long from_day = 0, to_day = 0;
    mez_status_t rv;

    if (!query_limit(c, 50, 500, &limit))
        return MEZ_OK;
    if (year && !mez_mass_digits(year, 4))
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL, "tax_year must be four digits, not '%s'", year);
    for (const char *const *t = types; type && *t; t++)
        known |= !strcmp(*t, type);
    if (type && !known)
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL, "event_type '%s' is not a tax event type", type);
    if ((from && !mez_mass_date_parse(from, &from_day)) || (to && !mez_mass_date_parse(to, &to_day)))
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL, "from_date and to_date are dates YYYY-MM-DD");
    if (cursor) {
        const char *sep = strchr(cursor, '_');
        if (!sep || sep - cursor != 20) /* "<occurred_at>_<tax_event_id>" */
            return mez_mass_refuse(c, 400, "request.invalid_query", NULL, "cursor '%s' is not one this store gave",
                                   cursor);
        cur_at = apr_pstrndup(c->p, cursor, 20);
        cur_id = sep + 1;
    }
    if ((rv = mez_db_query_value(c->p, c->db, &exists, "SELECT entity_id FROM mez_mass_entity WHERE entity_id = %s "
                                 "AND " MEZ_MASS_IN_ZONE("zone_id"), c->pb, entity_id, mez_mass_zone_scope(c),
                                 mez_mass_zone_scope(c), NULL)) != MEZ_OK)
        return rv;
    if (!exists)   /* none, or another zone's (mass_int.h: zones) */
        return mez_mass_not_found(c, "entity", entity_id);
    {
        const char *fy = year ? year : "", *ty = type ? type : "";
        /* The dates are the zone's: UTC's midnights would put an evening's events (UTC+5: from 19:00 UTC) on the
         * previous day, and leave the first five hours of the zone's day out of it. */
        const char *fd = from ? day_bound(c, from_day, 0) : "";
        const char *td = to ? day_bound(c, to_day, 1) : "", *zone = mez_mass_zone_scope(c);
        /* A caller acting for one zone sees the events of that zone's payments only (a tax event is its payment's
         * record, mass_int.h: zones); the entity's index still finds the rows. */
#define TAX_FILTER "entity_id = %s AND (%s = '' OR tax_year = %s) AND (%s = '' OR event_type = %s) " \
                   "AND (%s = '' OR occurred_at >= %s) AND (%s = '' OR occurred_at <= %s) " \
                   "AND (%s = '' OR EXISTS (SELECT 1 FROM mez_mass_payment p WHERE " \
                   "p.payment_id = mez_mass_tax_event.payment_id AND p.zone_id = %s))"
        if ((rv = mez_db_query_value(c->p, c->db, &total, "SELECT COUNT(*) FROM mez_mass_tax_event WHERE " TAX_FILTER,
                                     c->pb, entity_id, fy, fy, ty, ty, fd, fd, td, td, zone, zone, NULL)) != MEZ_OK)
            return rv;
        if ((rv = mez_db_query_rows(c->p, c->db, 3, &rows,
                                    "SELECT doc, occurred_at, tax_event_id FROM mez_mass_tax_event WHERE " TAX_FILTER
                                    " AND (%s = '' OR occurred_at > %s OR (occurred_at = %s AND tax_event_id > %s)) "
                                    "ORDER BY occurred_at, tax_event_id LIMIT CAST(%s AS BIGINT)",
                                    c->pb, entity_id, fy, fy, ty, ty, fd, fd, td, td, zone, zone, cur_at, cur_at,
                                    cur_at, cur_id, apr_itoa(c->p, limit + 1), NULL)) != MEZ_OK)
            return rv;
#undef TAX_FILTER
    }
    events = json_array();
    for (int i = 0; i < rows->nelts && i < limit; i++) {
        json_t *e = mez_mass_doc_parse(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (e)
            json_array_append_new(events, e);
    }
    out = json_pack("{s:o,s:I,s:b}", "events", events, "total_count", (json_int_t)apr_atoi64(total ? total : "0"),
                    "has_more", rows->nelts > limit);
    if (rows->nelts > limit) {
        const char **last = APR_ARRAY_IDX(rows, limit - 1, const char **);
        json_object_set_new(out, "next_cursor", json_string(apr_pstrcat(c->p, last[1], "_", last[2], NULL)));
    }
    return mez_mass_answer(c, 200, out);
}

/* ---------------------------------------------------------------- routes */

mez_status_t mez_mass_fiscal_handle(mez_mass_call_t *c)
{
    const char *m = c->req->method, *path = c->req->path, *cap[2];
    int get = !strcmp(m, "GET"), post = !strcmp(m, "POST");

    if (!strcmp(path, "/v1/fiscal/accounts"))
        return post ? account_create(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/fiscal/payments"))
        return post ? mez_fiscal_payment_create(c) : get ? mez_fiscal_payment_list(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/fiscal/reporting/generate"))
        return post ? mez_fiscal_tax_report(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/fiscal/withholding/calculate")) {
        if (!post)
            return mez_mass_no_route(c, 1);
        return mez_mass_refuse(c, 501, "mass.not_in_store", NULL,
                               "%s needs the zone's tax rules, which the Mass store does not hold: the zone's "
                               "compliance tensor applies them, and a payment carries the withholding it decided in "
                               "metadata.withholding; the zone API answers this request from its packs: POST "
                               "/v1/fiscal/withholding/calculate", path);
    }
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*", cap, 1))
        return get ? account_get(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/balance", cap, 1))
        return get ? account_balance(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/ledger", cap, 1))
        return get ? account_ledger(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/status", cap, 1))
        return post ? account_status(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/deposits", cap, 1))
        return post ? mez_fiscal_deposit(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/holds", cap, 1))
        return post ? hold_place(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/accounts/*/holds/*/release", cap, 2))
        return post ? hold_release(c, cap[0], cap[1]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/payments/*", cap, 1))
        return get ? mez_fiscal_payment_get(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/payments/*/settle", cap, 1))
        return post ? mez_fiscal_payment_settle(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/payments/*/return", cap, 1))
        return post ? mez_fiscal_payment_return(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/*/tax-events", cap, 1))
        return get ? tax_events(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/fiscal/*/payment-aggregate", cap, 1))
        return get ? mez_fiscal_payment_aggregate(c, cap[0]) : mez_mass_no_route(c, 1);
    return mez_mass_no_route(c, 0);
}
