/* mass_payment_aggregate.c: what one payer has paid one payee in a tax year under one withholding aggregate (a
 * threshold on the aggregate paid to the payee, not on the payment: s. 153(1)(a), (b) of the Income Tax Ordinance,
 * 2001; packs/README.md threshold.aggregate), recorded with each payment and kept as a running total for the zone
 * that judges the next one.
 *
 * The store decides no tax: the zone names the aggregate and the tax year when it pays (metadata.tax_aggregate
 * {aggregate, tax_year, paid_before}), and the store records them with the payer (the source account's entity) and
 * the payee (mez_mass_payee_ref) in the payment's own columns (migration 0024).
 *
 * What has been paid is a running total (mez_mass_payment_totals, migration 0026), one row per payer, payee,
 * aggregate, tax year and currency, which the database keeps (triggers on mez_mass_payment: a payment's row added,
 * its status become 'failed'), so reading it is one row however many payments the pair has made (adding the
 * payments up each time made every payment of a busy pair slower than the last), and it is right whichever build
 * of the store wrote the payment.
 *
 * GET /v1/fiscal/{entity_id}/payment-aggregate?payee=&aggregate=&tax_year=&currency=[&except_key=] (a store
 * extension: the Mass contract has no such read) -> 200 {entity_id, payee, aggregate, tax_year, currency,
 * gross_amount, payment_count}: the gross of entity_id's payments to payee under aggregate in tax_year, in currency,
 * that have not failed (a returned payment is "failed": it never reached the payee; one still processing was made,
 * and counts), but the payment this caller made under the Idempotency-Key except_key, if any (keyed_payment). The
 * first four parameters are required, each is given once: 400 request.missing_parameter, request.invalid_parameter,
 * request.unknown_parameter with the pointer "/<name>"; 404 mass.not_found for an entity the store does not hold.
 *
 * Two payments to one payee at once must not both escape a limit that together they reach. So the payer's entity
 * row is locked (FOR NO KEY UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already orders every write) before its
 * total is read, both here and when a payment naming an aggregate is recorded, and the payment checks that
 * paid_before, the figure the zone judged it on, is still what the store holds: with the zone's own store the read
 * and the payment are one transaction, so a second payment waits for the first and is judged with it; with a remote
 * store they are two requests, and a payment recorded in between makes the second 409 fiscal.aggregate_changed,
 * with nothing written, for the zone to judge it again. A return locks the entity row first too
 * (mass_payment_outcome.c), so a payment and a return of one payer queue rather than deadlock over the total. */
#include <string.h>
#include <apr_strings.h>
#include "mez/bank_ids.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mass_fiscal_int.h"

static const char *str_of(const json_t *o, const char *name)
{
    const char *s = mez_json_text(json_object_get(o, name));
    return s && *s ? s : NULL;
}

const char *mez_mass_payee_ref(apr_pool_t *p, const json_t *destination, const char *payee_entity_id)
{
    const json_t *bank = json_object_get(destination, "bank_details");
    const char *type = str_of(destination, "type"), *zone, *account, *iban, *number, *bank_id;
    if (type && !strcmp(type, "internal_account"))
        return payee_entity_id && *payee_entity_id ? apr_pstrcat(p, "entity:", payee_entity_id, NULL) : NULL;
    if (!json_is_object(bank))
        return NULL;
    zone = str_of(bank, "beneficiary_zone_id");
    account = str_of(bank, "beneficiary_account_id");
    if (zone && account)
        return apr_pstrcat(p, "zone:", zone, ":", account, NULL);
    if ((iban = str_of(bank, "iban")))
        return (iban = mez_bank_id_electronic(p, iban)) ? apr_pstrcat(p, "iban:", iban, NULL) : NULL;
    if ((number = str_of(bank, "account_number"))) {
        bank_id = str_of(bank, "swift_bic") ? str_of(bank, "swift_bic") : str_of(bank, "bank_code");
        if (bank_id && !(bank_id = mez_bank_id_electronic(p, bank_id)))
            return NULL;   /* a bank code that is no identifier's form names no payee to find again */
        return apr_pstrcat(p, "account:", bank_id ? bank_id : "", ":", number, NULL);
    }
    return NULL;
}

mez_status_t mez_fiscal_aggregate_lock(mez_mass_call_t *c, const char *entity_id, int any_zone, int *found)
{
    const char *id = NULL;
    mez_status_t rv;
    /* Another zone's entity is as unknown to the read as everywhere in a store several zones share (mass_int.h).
     * A payment or a return has been let at its record already (its account, the payment itself): it locks the
     * payer's row whatever zone the row was stamped with, or it would not queue with the others of that payer. */
    if (any_zone)
        rv = mez_db_query_value(c->p, c->db, &id,
                                apr_pstrcat(c->p, "SELECT entity_id FROM mez_mass_entity WHERE entity_id = %s",
                                            mez_db_for_no_key_update(c->db), NULL), c->pb, entity_id, NULL);
    else
        rv = mez_db_query_value(c->p, c->db, &id,
                                apr_pstrcat(c->p, "SELECT entity_id FROM mez_mass_entity WHERE entity_id = %s AND "
                                            MEZ_MASS_IN_ZONE("zone_id"), mez_db_for_no_key_update(c->db), NULL),
                                c->pb, entity_id, mez_mass_zone_scope(c), mez_mass_zone_scope(c), NULL);
    *found = id != NULL;
    return rv;
}

mez_status_t mez_fiscal_aggregate_sum(mez_mass_call_t *c, const char *payer, const char *payee,
                                      const char *aggregate, const char *tax_year, const char *currency,
                                      const char *except_payment, int64_t *gross, int64_t *count)
{
    const char *col[2] = { NULL, NULL }, *own = NULL;
    int found = 0;
    mez_status_t rv = mez_db_query_row(c->p, c->db, col, 2, &found,
                                       "SELECT gross_amount, payment_count FROM mez_mass_payment_totals "
                                       "WHERE payer_entity_id = %s AND payee_ref = %s AND tax_aggregate = %s "
                                       "AND tax_year = %s AND currency = %s",
                                       c->pb, payer, payee, aggregate, tax_year, currency, NULL);
    *gross = found && col[0] ? (int64_t)apr_atoi64(col[0]) : 0;
    *count = found && col[1] ? (int64_t)apr_atoi64(col[1]) : 0;
    if (rv != MEZ_OK || !except_payment || !found)
        return rv;
    /* The payment left out is in the total when it is this pair's, under this aggregate, and has not failed. */
    if ((rv = mez_db_query_value(c->p, c->db, &own,
                                 "SELECT gross_amount FROM mez_mass_payment WHERE payment_id = %s "
                                 "AND payer_entity_id = %s AND payee_ref = %s AND tax_aggregate = %s "
                                 "AND tax_year = %s AND currency = %s AND status <> 'failed'",
                                 c->pb, except_payment, payer, payee, aggregate, tax_year, currency, NULL)) == MEZ_OK
        && own) {
        *gross -= (int64_t)apr_atoi64(own);
        *count -= 1;
    }
    return rv;
}

int mez_fiscal_get_tax_aggregate(mez_mass_call_t *c, const json_t *meta, int exponent, mez_fiscal_tax_aggregate_t *ta)
{
    static const char *const allowed[] = { "aggregate", "tax_year", "paid_before", NULL };
    const char *base = "/metadata/tax_aggregate", *paid = NULL;
    const json_t *o = NULL;

    memset(ta, 0, sizeof(*ta));
    if (!meta || !json_object_get(meta, "tax_aggregate"))
        return 1;
    if (!mez_mass_get_object(c, meta, "/metadata", "tax_aggregate", MEZ_MASS_REQUIRED, &o)
        || !mez_mass_check_object(c, o, base, allowed)
        || !mez_mass_get_string(c, o, base, "aggregate", MEZ_MASS_REQUIRED, 128, &ta->aggregate)
        || !mez_mass_get_string(c, o, base, "tax_year", MEZ_MASS_REQUIRED, 4, &ta->tax_year)
        || !mez_mass_get_string(c, o, base, "paid_before", MEZ_MASS_REQUIRED, 64, &paid))
        return 0;
    if (!mez_pack_slug_ok(ta->aggregate)) {
        mez_mass_refuse(c, 422, "request.invalid_value", "/metadata/tax_aggregate/aggregate",
                        "aggregate names a pack's threshold.aggregate: a lower-case name (letters, digits, '_'), "
                        "not '%s'", ta->aggregate);
        return 0;
    }
    if (!mez_mass_digits(ta->tax_year, 4)) {
        mez_mass_refuse(c, 422, "fiscal.invalid_tax_year", "/metadata/tax_aggregate/tax_year",
                        "tax_year must be four digits, not '%s'", ta->tax_year);
        return 0;
    }
    /* Nothing paid before is a figure too (0), unlike a payment's amount. */
    if (mez_mass_decimal_parse(paid, 4, exponent, MEZ_MASS_BALANCE_MAX, &ta->paid_before) != MEZ_DECIMAL_OK) {
        mez_mass_refuse(c, 422, "fiscal.invalid_amount", "/metadata/tax_aggregate/paid_before",
                        "paid_before must be a decimal string in the payment's currency (\"20000.00\", \"0\"), "
                        "not '%s'", paid);
        return 0;
    }
    return 1;
}

mez_status_t mez_fiscal_aggregate_check(mez_mass_call_t *c, const mez_fiscal_tax_aggregate_t *ta, const char *payer,
                                        const char *payee, const char *currency, int exponent,
                                        const char *payment_id, int *ok)
{
    int64_t gross = 0, count = 0;
    mez_status_t rv;
    *ok = 0;
    if ((rv = mez_fiscal_aggregate_sum(c, payer, payee, ta->aggregate, ta->tax_year, currency, payment_id, &gross,
                                       &count)) != MEZ_OK)
        return rv;
    if (gross == ta->paid_before) {
        *ok = 1;
        return MEZ_OK;
    }
    return mez_mass_refuse(c, 409, "fiscal.aggregate_changed", "/metadata/tax_aggregate/paid_before",
                           "the payment was judged on %s %s paid before to %s under %s in tax year %s, but the "
                           "treasury holds %s in %" APR_INT64_T_FMT " payment(s): another payment was recorded "
                           "meanwhile; the withholding must be decided again", mez_mass_amount_format(c->p,
                           ta->paid_before, exponent), currency, payee, ta->aggregate, ta->tax_year,
                           mez_mass_amount_format(c->p, gross, exponent), count);
}

/* ---------------------------------------------------------------- GET .../payment-aggregate */

static const char *const params[] = { "payee", "aggregate", "tax_year", "currency", "except_key", NULL };
#define REQUIRED_PARAMS 4

static mez_status_t bad(mez_mass_call_t *c, const char *code, const char *name, const char *detail)
{
    return mez_mass_refuse(c, 400, code, apr_pstrcat(c->p, "/", name, NULL), "%s", detail);
}

/* Every parameter is one of params, given once; *v gets them in that order. 1, or 0 after refusing. */
static int read_params(mez_mass_call_t *c, const char **v)
{
    if (!mez_mass_query_names(c, params, "the payment aggregate"))
        return 0;
    for (int i = 0; params[i]; i++)
        if ((!(v[i] = mez_mass_query_param(c->p, c->req->query, params[i])) || !*v[i]) && i < REQUIRED_PARAMS) {
            bad(c, "request.missing_parameter", params[i], apr_psprintf(c->p, "%s is required", params[i]));
            return 0;
        }
    return 1;
}

/* A payee as mez_mass_payee_ref writes one: printable ASCII without spaces, at most 600 bytes. */
static int payee_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 600)
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return 0;
    return 1;
}

/* The payment this caller made with the Idempotency-Key `key` (its recorded answer), or NULL. A zone that resumes a
 * payment it may already have made at this store (a remote Mass: orchestrate.c) asks for the aggregate without it,
 * so that it judges the payment on what it judged it on the first time and sends the same request again, which
 * this store then answers with the first answer (mass_store.c) rather than refusing it as another request. */
static mez_status_t keyed_payment(mez_mass_call_t *c, const char *key, const char **payment_id)
{
    mez_idem_scope_t scope = { c->ctx->zone_id, c->ctx->caller ? c->ctx->caller : "mass-store", "mass:fiscal" };
    const char *body = NULL;
    int status = 0;
    json_t *doc;
    mez_status_t rv;
    *payment_id = NULL;
    if ((rv = mez_idem_answer(c->p, c->db, &scope, key, &status, &body, c->pb)) != MEZ_OK || !body || status != 201)
        return rv;
    if ((doc = mez_mass_doc_parse(c, body))) {
        if (str_of(doc, "payment_id"))
            *payment_id = apr_pstrdup(c->p, str_of(doc, "payment_id"));
        json_decref(doc);
    }
    return MEZ_OK;
}

mez_status_t mez_fiscal_payment_aggregate(mez_mass_call_t *c, const char *entity_id)
{
    const char *v[5], *except = NULL;
    mez_problem_t kpb = { 0 };
    int64_t gross = 0, count = 0;
    int exponent, found = 0;
    mez_status_t rv;

    if (!read_params(c, v))
        return MEZ_OK;
    if (!payee_ok(v[0]))
        return bad(c, "request.invalid_parameter", "payee",
                   apr_psprintf(c->p, "payee is the treasury's name of a payee (entity:<id>, iban:<IBAN>, "
                                "account:<bank>:<number>, zone:<zone>:<account>), not '%s'", v[0]));
    if (!mez_pack_slug_ok(v[1]))
        return bad(c, "request.invalid_parameter", "aggregate",
                   apr_psprintf(c->p, "aggregate is a pack's threshold.aggregate, a lower-case name, not '%s'", v[1]));
    if (!mez_mass_digits(v[2], 4))
        return bad(c, "request.invalid_parameter", "tax_year",
                   apr_psprintf(c->p, "tax_year is four digits, not '%s'", v[2]));
    if ((exponent = mez_mass_currency_exponent(v[3])) < 0)
        return bad(c, "request.invalid_parameter", "currency",
                   apr_psprintf(c->p, "currency is an ISO 4217 code the treasury keeps, not '%s'", v[3]));
    if (v[4] && mez_idem_key_check(c->p, v[4], &kpb) != MEZ_OK)
        return bad(c, "request.invalid_parameter", "except_key",
                   "except_key is an Idempotency-Key this caller used: 1 to 255 visible characters");
    if ((rv = mez_fiscal_aggregate_lock(c, entity_id, 0, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "entity", entity_id);
    if ((v[4] && (rv = keyed_payment(c, v[4], &except)) != MEZ_OK)
        || (rv = mez_fiscal_aggregate_sum(c, entity_id, v[0], v[1], v[2], v[3], except, &gross, &count)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "entity_id", entity_id, "payee", v[0],
                                             "aggregate", v[1], "tax_year", v[2], "currency", v[3], "gross_amount",
                                             mez_mass_amount_format(c->p, gross, exponent), "payment_count",
                                             (json_int_t)count));
}
