/* mass_payment.c: payments and deposits of the fiscal primitive, each one ledger transaction.
 *
 * POST /v1/fiscal/payments (InitiatePaymentRequest -> 201 Payment):
 *  - internal_account: source -gross, destination +net (and the withholding account +withheld): settled at once,
 *    status "settled" with settled_at.
 *  - external_bank / corridor_settlement: source -gross, the zone's outbound account sys_outbound_<CUR> +net: the
 *    money has left the entity's account but not the zone; status "processing" until the bank or corridor leg
 *    (outside this store) completes it, which the treasury records with POST /v1/fiscal/payments/{id}/settle or
 *    /return (mass_payment_outcome.c). No settled_at is claimed.
 *  - 422 fiscal.insufficient_funds (with available, requested, currency) when the source's available amount
 *    (balance - active holds) is short; the decision is the guarded UPDATE in mass_ledger.c, so concurrent payments
 *    on several nodes can never overdraw. 422 fiscal.currency_mismatch when the request's currency is not both
 *    accounts'; 409 fiscal.account_frozen / fiscal.account_closed for such an account on either side, 409
 *    fiscal.entity_inactive when its entity is DISSOLVED, STRUCK_OFF or REJECTED (mez_mass_entity_live).
 *  - Withholding: the store records tax, it does not decide it. Which rate and statute apply depends on the zone's
 *    law (its packs, evaluated by the compliance tensor), so the zone passes what it decided in
 *    metadata.withholding {amount, rate, statute?, section, description?, account_id, tax_year} (metadata is the
 *    contract's open extension point; withholding_override only carries the payer's claims, which the zone
 *    weighs). The store checks that amount is rate x gross (truncated or rounded up to the minor unit) and leaves
 *    something to pay (422 fiscal.withholding_exceeds_amount when it is the whole amount or more), moves it to
 *    that "withholding" account in the same ledger transaction, answers withholding_amount/net_amount (and
 *    withholding_details when the statute is named), and records a "withholding_deduction" TaxEvent for the payer's
 *    entity (GET /v1/fiscal/{entity_id}/tax-events). Without it nothing is withheld (withholding_amount "0...").
 *  - A withholding threshold on the aggregate paid to the payee in the tax year: the zone names what the payment
 *    adds to in metadata.tax_aggregate {aggregate, tax_year, paid_before} (paid_before: what the payer had paid the
 *    payee under it, as the zone read it from GET /v1/fiscal/{entity_id}/payment-aggregate and judged the payment
 *    on). The store records the aggregate and the tax year with the payer and payee (mez_mass_payee_ref; 422
 *    fiscal.payee_unidentified at /destination/bank_details for a payee it cannot recognise again), and refuses
 *    the payment, 409 fiscal.aggregate_changed, when paid_before is no longer what it holds: another payment was
 *    recorded meanwhile (mass_payment_aggregate.c).
 *  - The body's idempotency_key (a UUID, unique per source account) returns the first payment again for the same
 *    request (422 fiscal.idempotency_key_reused for another, as a reused Idempotency-Key header is); the Idempotency-Key header works as for every write.
 * POST /v1/fiscal/accounts/{id}/deposits (extension) {amount, currency, reference, source?} -> 201
 *    {deposit_id, account_id, amount, currency, reference, source?, clearing_account_id, balance, created_at}:
 *    money entering the zone from outside; the other leg is sys_clearing_<CUR>, whose balance is therefore minus
 *    everything that ever came in. 409 fiscal.entity_inactive as for a payment. */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mass_fiscal_int.h"

static const char *const payment_types[] = { "goods_payment", "service_fee", "dividend", "royalty", "profit_on_debt",
                                             "rent", "salary", "commission", "contract_payment",
                                             "capital_gains_settlement", "other", NULL };

static const char *i64(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

static int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    }
    return 1;
}

/* 409 fiscal.entity_inactive when the account's entity can no longer pay or be paid (mez_mass_entity_live). Read
 * with the account, not locked: a strike-off committing while a payment runs orders after it, as if the payment had
 * come first, which it did. */
static int entity_live(mez_mass_call_t *c, const mez_fiscal_account_t *a, const char *pointer)
{
    if (mez_mass_entity_live(a->entity_status))
        return 1;
    mez_mass_refuse(c, 409, "fiscal.entity_inactive", pointer, "account %s belongs to entity %s, which is %s",
                    a->account_id, a->entity_id ? a->entity_id : "", a->entity_status);
    return 0;
}

/* An entity account named by a request member (as read: found, a): 422 fiscal.account_unknown when there is
 * none, 409 when its entity is no longer live or it is not active. Every entity account a payment touches goes
 * through here (source, destination and withholding alike: no money reaches an entity that no longer exists);
 * the zone's own accounts (clearing, outbound) belong to no entity.
 * A caller acting for one zone names its zone's accounts only (mez_fiscal_account_visible): another zone's is
 * unknown to it, as source (it cannot spend another zone's money), as withholding account, and as destination.
 * A payment between two zones is not one the store can make for either: money leaving a zone is a payment out of
 * it (external_bank, or corridor_settlement over a corridor between the zones, whose destination zone then
 * credits its own account: POST /v1/fiscal/accounts/{id}/deposits, made by that zone as its inbound transfer), and
 * each zone records and screens its own side. Crediting another zone's account directly would move money into
 * that zone without its decision, and its answer (currency, frozen, dissolved) would describe the account to a
 * caller that may not read it. So the destination is refused as an unknown one is: the same 422. */
static int member_account(mez_mass_call_t *c, const char *id, const char *pointer, const mez_fiscal_account_t *a,
                          int found)
{
    if (!found || strcmp(a->kind, MEZ_FISCAL_ENTITY) || !mez_fiscal_account_visible(c, a)) {
        mez_mass_refuse(c, 422, "fiscal.account_unknown", pointer, "there is no treasury account '%s'", id);
        return 0;
    }
    if (!entity_live(c, a, pointer))
        return 0;
    if (strcmp(a->status, "active")) {
        mez_fiscal_refuse_line(c, id, 0, pointer);
        return 0;
    }
    return 1;
}

/* The zone's decided withholding, metadata.withholding. */
typedef struct {
    int64_t amount, rate_micro;
    const char *rate, *statute, *section, *description, *account_id, *tax_year;
} withholding_t;

static int get_withholding(mez_mass_call_t *c, const json_t *meta, int64_t gross, int exponent, const json_t *override,
                           withholding_t *w)
{
    static const char *const allowed[] = { "amount", "rate", "statute", "section", "description", "account_id",
                                           "tax_year", NULL };
    const char *base = "/metadata/withholding";
    const json_t *o = NULL;
    __int128 exact;
    int64_t lo, hi;

    if (!meta || !json_object_get(meta, "withholding"))
        return 1;
    if (!mez_mass_get_object(c, meta, "/metadata", "withholding", MEZ_MASS_REQUIRED, &o)
        || !mez_mass_check_object(c, o, base, allowed)
        || !mez_fiscal_get_amount(c, o, base, "amount", exponent, &w->amount)
        || !mez_mass_get_string(c, o, base, "rate", MEZ_MASS_REQUIRED, 16, &w->rate)
        || !mez_mass_get_text(c, o, base, "statute", MEZ_MASS_OPTIONAL, 256, &w->statute)
        || !mez_mass_get_text(c, o, base, "section", MEZ_MASS_REQUIRED, 128, &w->section)
        || !mez_mass_get_text(c, o, base, "description", MEZ_MASS_OPTIONAL, 1024, &w->description)
        || !mez_mass_get_string(c, o, base, "account_id", MEZ_MASS_REQUIRED, 255, &w->account_id)
        || !mez_mass_get_string(c, o, base, "tax_year", MEZ_MASS_REQUIRED, 4, &w->tax_year))
        return 0;
    if (mez_mass_decimal_parse(w->rate, 6, 6, 1000000, &w->rate_micro) != MEZ_DECIMAL_OK || w->rate_micro <= 0) {
        mez_mass_refuse(c, 422, "fiscal.invalid_rate", "/metadata/withholding/rate",
                        "rate must be a decimal string above 0 and at most 1 with up to 6 decimals, not '%s'", w->rate);
        return 0;
    }
    if (strlen(w->tax_year) != 4 || strspn(w->tax_year, "0123456789") != 4) {
        mez_mass_refuse(c, 422, "fiscal.invalid_tax_year", "/metadata/withholding/tax_year",
                        "tax_year must be four digits, not '%s'", w->tax_year);
        return 0;
    }
    /* Something must be left to pay: a withholding of the whole amount would credit the payee nothing, and a
     * ledger line of 0 is no posting (mez_mass_ledger_line's CHECK (amount <> 0) would fail the transaction as
     * a database error). Nothing left is refused as more than the payment is. */
    if (w->amount >= gross) {
        mez_mass_refuse(c, 422, "fiscal.withholding_exceeds_amount", "/metadata/withholding/amount",
                        w->amount > gross ? "the withholding is larger than the payment"
                                          : "the withholding is the whole payment: nothing would be left to pay");
        return 0;
    }
    /* rate x gross, truncated or rounded up: either is a rounding rule some tax law uses; anything else is not
     * what the zone decided. */
    exact = (__int128)gross * w->rate_micro;
    lo = (int64_t)(exact / 1000000);
    hi = lo + (exact % 1000000 != 0);
    if (w->amount != lo && w->amount != hi) {
        mez_mass_refuse(c, 422, "fiscal.withholding_inconsistent", "/metadata/withholding/amount",
                        "the withholding is not rate %s of the amount (%s or %s)", w->rate,
                        mez_mass_amount_format(c->p, lo, exponent), mez_mass_amount_format(c->p, hi, exponent));
        return 0;
    }
    if (override && json_is_true(json_object_get(override, "exempt"))) {
        mez_mass_refuse(c, 422, "fiscal.withholding_conflict", "/metadata/withholding",
                        "the payment claims exemption (withholding_override.exempt) and carries a withholding");
        return 0;
    }
    return 1;
}

static int check_override(mez_mass_call_t *c, const json_t *o)
{
    static const char *const allowed[] = { "exempt", "exemption_certificate_ref", "reduced_rate", "dta_reference",
                                           NULL };
    const char *base = "/withholding_override", *cert = NULL, *rate = NULL, *dta = NULL;
    int exempt = 0;
    int64_t v;
    if (!mez_mass_check_object(c, o, base, allowed) || !mez_mass_get_bool(c, o, base, "exempt", 0, &exempt)
        || !mez_mass_get_text(c, o, base, "exemption_certificate_ref", 0, 512, &cert)
        || !mez_mass_get_string(c, o, base, "reduced_rate", 0, 16, &rate)
        || !mez_mass_get_text(c, o, base, "dta_reference", 0, 512, &dta))
        return 0;
    if (exempt && !cert) {
        mez_mass_refuse(c, 422, "fiscal.exemption_certificate_required", "/withholding_override/exemption_certificate_ref",
                        "an exemption needs the exemption certificate's reference");
        return 0;
    }
    if (rate && mez_mass_decimal_parse(rate, 4, 0, INT64_MAX, &v) == MEZ_DECIMAL_SYNTAX) {
        mez_mass_refuse(c, 422, "fiscal.invalid_rate", "/withholding_override/reduced_rate",
                        "reduced_rate must be a decimal string such as \"0.10\", not '%s'", rate);
        return 0;
    }
    return 1;
}

static int check_destination(mez_mass_call_t *c, const json_t *d, const char **type, const char **account_id)
{
    static const char *const allowed[] = { "type", "account_id", "bank_details", "corridor_id", "destination_zone_id",
                                           NULL };
    static const char *const types[] = { "internal_account", "external_bank", "corridor_settlement", NULL };
    const char *base = "/destination", *s = NULL;
    const json_t *bank = NULL;
    if (!mez_mass_check_object(c, d, base, allowed) || !mez_mass_get_enum(c, d, base, "type", 1, types, type)
        || !mez_mass_get_string(c, d, base, "account_id", !strcmp(*type, "internal_account"), 255, account_id)
        || !mez_mass_get_object(c, d, base, "bank_details", !strcmp(*type, "external_bank"), &bank)
        || !mez_fiscal_check_bank_details(c, bank, "/destination/bank_details")
        || !mez_mass_get_string(c, d, base, "corridor_id", !strcmp(*type, "corridor_settlement"), 255, &s)
        || !mez_mass_get_string(c, d, base, "destination_zone_id", 0, 255, &s))
        return 0;
    if (strcmp(*type, "internal_account") && *account_id) {
        mez_mass_refuse(c, 422, "fiscal.destination_conflict", "/destination/account_id",
                        "account_id names an internal account; a %s destination does not take one", *type);
        return 0;
    }
    return 1;
}

/* sha256 of the canonical request: tells a repeat from another request under the same body idempotency_key. */
static const char *body_digest(mez_mass_call_t *c)
{
    mez_digest_t d;
    if (mez_digest_json(c->p, c->req->body, &d, NULL) != MEZ_OK)
        return "";
    return mez_digest_hex(c->p, &d);
}

static mez_status_t record_tax_event(mez_mass_call_t *c, const mez_fiscal_account_t *payer, const withholding_t *w,
                                     const char *payment_id, const char *tax_event_id, const char *currency,
                                     int exponent)
{
    json_t *payer_doc = mez_mass_doc_parse(c, payer->doc), *e;
    const char *now = mez_time_stamp(c->p, c->ctx->now);
    e = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "tax_event_id", tax_event_id, "entity_id",
                  payer->entity_id, "ntn", json_object_get(payer_doc, "ntn"), "event_type", "withholding_deduction",
                  "tax_year", w->tax_year, "amount", mez_mass_amount_format(c->p, w->amount, exponent), "currency",
                  currency, "occurred_at", now, "source_payment_id", payment_id, "metadata", "rate", w->rate,
                  "withholding_account_id", w->account_id, "section", w->section);
    json_decref(payer_doc);
    if (w->statute)
        json_object_set_new(e, "legal_basis",
                            json_pack("[{s:s,s:s,s:s}]", "statute", w->statute, "section", w->section, "description",
                                      w->description ? w->description : "withholding at source"));
    return mez_fiscal_tax_event_write(c, e, tax_event_id, payer->entity_id, "withholding_deduction", w->tax_year,
                                      payment_id, now);
}

mez_status_t mez_fiscal_tax_event_write(mez_mass_call_t *c, json_t *e, const char *tax_event_id,
                                        const char *entity_id, const char *event_type, const char *tax_year,
                                        const char *payment_id, const char *occurred_at)
{
    const char *text;
    mez_digest_t d;
    /* digest: sha256 of the canonical event without its digest, so anyone can recompute it. */
    if (mez_digest_json(c->p, e, &d, c->pb) != MEZ_OK) {
        json_decref(e);
        return MEZ_EINTERNAL;
    }
    json_object_set_new(e, "digest", json_string(mez_digest_hex(c->p, &d)));
    text = mez_mass_doc_text(c, e);
    json_decref(e);
    return mez_db_send(c->p, c->db,
                       "INSERT INTO mez_mass_tax_event (tax_event_id, entity_id, event_type, tax_year, payment_id, "
                       "occurred_at, doc) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                       c->pb, tax_event_id, entity_id, event_type, tax_year, payment_id, occurred_at,
                       text ? text : "{}", NULL);
}

mez_status_t mez_fiscal_payment_create(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "source_account_id", "destination", "amount", "currency", "payment_type",
                                           "reference", "narration", "withholding_override", "idempotency_key",
                                           "metadata", NULL };
    const json_t *b = c->req->body, *dest = NULL, *override = NULL, *meta = NULL;
    const char *source_id = NULL, *currency = NULL, *ptype = NULL, *reference = NULL, *narration = NULL;
    const char *key = NULL, *dtype = NULL, *dest_id = NULL, *payment_id, *tax_event_id = NULL, *txn_id, *digest;
    const char *now = mez_time_stamp(c->p, c->ctx->now), *text, *credit_id, *credit_ptr;
    mez_fiscal_account_t src, dst, wacc, acc[3];
    const char *account_ids[3];
    int known[3] = { 0 }, nids = 0, at_dest = 0, at_w = 0;
    withholding_t w = { 0 };
    mez_fiscal_tax_aggregate_t ta;
    const char *payee_ref = NULL;
    mez_ledger_line_t lines[3];
    int exponent, nlines = 0, failed = -1, n = 0, ok = 0, internal;
    int64_t gross = 0, net;
    json_t *doc, *dest_doc;
    mez_status_t rv = MEZ_OK;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "source_account_id", 1, 255, &source_id)
        || !mez_mass_get_object(c, b, "", "destination", 1, &dest) || !check_destination(c, dest, &dtype, &dest_id)
        || !mez_fiscal_get_currency(c, b, "", "currency", &currency, &exponent)
        || !mez_fiscal_get_amount(c, b, "", "amount", exponent, &gross)
        || !mez_mass_get_enum(c, b, "", "payment_type", 1, payment_types, &ptype)
        || !mez_mass_get_text(c, b, "", "reference", 0, 256, &reference)
        || !mez_mass_get_text(c, b, "", "narration", 0, 1024, &narration)
        || !mez_mass_get_object(c, b, "", "withholding_override", 0, &override)
        || (override && !check_override(c, override))
        || !mez_mass_get_string(c, b, "", "idempotency_key", 0, 36, &key)
        || !mez_mass_get_object(c, b, "", "metadata", 0, &meta)
        || !get_withholding(c, meta, gross, exponent, override, &w)
        || !mez_fiscal_get_tax_aggregate(c, meta, exponent, &ta))
        return MEZ_OK;
    if (key && !is_uuid(key))
        return mez_mass_refuse(c, 422, "fiscal.invalid_idempotency_key", "/idempotency_key",
                               "idempotency_key must be a UUID, not '%s'", key);
    internal = !strcmp(dtype, "internal_account");
    /* A payment the zone judged on what its payer already paid the payee: the payer's entity is locked before its
     * accounts (mass_payment_aggregate.c says why), so that what the payment is checked against below cannot
     * change until it commits. An unknown source is refused below as for any payment. */
    if (ta.aggregate) {
        int found = 0, held = 0;
        if ((rv = mez_fiscal_account_load(c, source_id, &src, &found)) != MEZ_OK)
            return rv;
        if (found && src.entity_id && (rv = mez_fiscal_aggregate_lock(c, src.entity_id, 1, &held)) != MEZ_OK)
            return rv;
    }

    /* The accounts: entity accounts, active, in the payment's currency, all different. They are read and locked
     * together (one round trip on PostgreSQL; none of the reads depends on another) and checked in this order. */
    account_ids[nids++] = source_id;
    if (internal && strcmp(dest_id, source_id))
        at_dest = nids, account_ids[nids++] = dest_id;
    if (w.account_id)
        at_w = nids, account_ids[nids++] = w.account_id;
    if ((rv = mez_fiscal_accounts_lock(c, nids, account_ids, acc, known)) != MEZ_OK)
        return rv;
    src = acc[0];
    if (!member_account(c, source_id, "/source_account_id", &src, known[0]))
        return MEZ_OK;
    if (strcmp(src.currency, currency))
        return mez_mass_refuse(c, 422, "fiscal.currency_mismatch", "/currency",
                               "the payment is in %s but account %s is in %s", currency, source_id, src.currency);
    if (internal) {
        if (!strcmp(dest_id, source_id))
            return mez_mass_refuse(c, 422, "fiscal.same_account", "/destination/account_id",
                                   "a payment cannot go to its own source account");
        dst = acc[at_dest];
        if (!member_account(c, dest_id, "/destination/account_id", &dst, known[at_dest]))
            return MEZ_OK;
        if (strcmp(dst.currency, currency))
            return mez_mass_refuse(c, 422, "fiscal.currency_mismatch", "/destination/account_id",
                                   "the payment is in %s but account %s is in %s", currency, dest_id, dst.currency);
    }
    if (w.account_id) {
        wacc = acc[at_w];
        if (!member_account(c, w.account_id, "/metadata/withholding/account_id", &wacc, known[at_w]))
            return MEZ_OK;
        if (strcmp(wacc.account_type, "withholding") || strcmp(wacc.currency, currency)
            || !strcmp(w.account_id, source_id) || (internal && !strcmp(w.account_id, dest_id)))
            return mez_mass_refuse(c, 422, "fiscal.withholding_account_invalid", "/metadata/withholding/account_id",
                                   "account %s is not a separate %s withholding account", w.account_id, currency);
        /* The payer withholds: the tax sits in its own withholding account until it is paid over. Another
         * entity's would be credited with money that is not its own, and its tax records with a deduction it
         * never made. */
        if (!wacc.entity_id || !src.entity_id || strcmp(wacc.entity_id, src.entity_id))
            return mez_mass_refuse(c, 422, "fiscal.withholding_account_invalid", "/metadata/withholding/account_id",
                                   "account %s is not a withholding account of the payer %s", w.account_id,
                                   src.entity_id ? src.entity_id : "(none)");
    }

    if (ta.aggregate && !(payee_ref = mez_mass_payee_ref(c->p, dest, internal ? dst.entity_id : NULL)))
        return mez_mass_refuse(c, 422, "fiscal.payee_unidentified", "/destination/bank_details",
                               "the payment adds to what its payer paid this payee in the tax year "
                               "(metadata.tax_aggregate), so the payee must be one the treasury recognises when it is "
                               "paid again: bank_details.iban, account_number, or beneficiary_zone_id with "
                               "beneficiary_account_id");

    /* The payment document, complete before any money moves. */
    payment_id = mez_mass_new_id(c->p, "pay_");
    net = gross - w.amount;
    dest_doc = json_deep_copy(dest);
    doc = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "payment_id", payment_id, "source_account_id",
                    source_id, "destination", dest_doc, "gross_amount", mez_mass_amount_format(c->p, gross, exponent),
                    "withholding_amount", mez_mass_amount_format(c->p, w.amount, exponent), "net_amount",
                    mez_mass_amount_format(c->p, net, exponent), "currency", currency, "payment_type", ptype,
                    "status", internal ? "settled" : "processing", "created_at", now);
    if (internal)
        json_object_set_new(doc, "settled_at", json_string(now));
    if (reference)
        json_object_set_new(doc, "reference", json_string(reference));
    if (narration)
        json_object_set_new(doc, "narration", json_string(narration));
    if (meta)
        json_object_set(doc, "metadata", (json_t *)meta);
    if (w.account_id) {
        tax_event_id = mez_mass_new_id(c->p, "txe_");
        json_object_set_new(doc, "tax_event_id", json_string(tax_event_id));
        if (w.statute)
            json_object_set_new(doc, "withholding_details",
                                json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s}],s:s}", "gross_amount",
                                          mez_mass_amount_format(c->p, gross, exponent), "withholding_rate", w.rate,
                                          "withholding_amount", mez_mass_amount_format(c->p, w.amount, exponent),
                                          "net_amount", mez_mass_amount_format(c->p, net, exponent), "currency",
                                          currency, "legal_basis", "statute", w.statute, "section", w.section,
                                          "description", w.description ? w.description : "withholding at source",
                                          "rate", w.rate, "computed_at", now));
    }
    if (!internal) {
        if ((rv = mez_fiscal_system_account(c, MEZ_FISCAL_OUTBOUND, currency, &dest_id)) != MEZ_OK) {
            json_decref(doc);
            return rv;
        }
        json_object_set_new(dest_doc, "settlement_account_id", json_string(dest_id));
    }
    text = mez_mass_doc_text(c, doc);
    digest = body_digest(c);
    /* With a body key, the row goes in first: a concurrent repeat waits on the unique index, then finds it. */
    {
        const char *args[] = { payment_id, source_id, dtype, internal ? dest_id : MEZ_DB_NULL, currency,
                               i64(c->p, gross), i64(c->p, w.amount), internal ? "settled" : "processing",
                               key ? key : MEZ_DB_NULL, digest, text ? text : "{}", now, now,
                               mez_mass_zone_stamp(c) ? mez_mass_zone_stamp(c) : MEZ_DB_NULL,
                               ta.aggregate && src.entity_id ? src.entity_id : MEZ_DB_NULL,
                               ta.aggregate ? payee_ref : MEZ_DB_NULL, ta.aggregate ? ta.aggregate : MEZ_DB_NULL,
                               ta.aggregate ? ta.tax_year : MEZ_DB_NULL };
        rv = mez_db_exec_array(c->p, c->db, &n,
                               "INSERT INTO mez_mass_payment (payment_id, source_account_id, destination_type, "
                               "destination_account_id, currency, gross_amount, withholding_amount, status, "
                               "idempotency_key, request_digest, doc, created_at, updated_at, zone_id, "
                               "payer_entity_id, payee_ref, tax_aggregate, tax_year) VALUES (%s, %s, %s, %s, %s, %s, "
                               "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source_account_id, "
                               "idempotency_key) DO NOTHING",
                               (int)(sizeof(args) / sizeof(args[0])), args, c->pb);
    }
    if (rv != MEZ_OK || n != 1) {
        const char *col[3];
        int found = 0;
        json_decref(doc);
        if (rv != MEZ_OK)
            return rv;
        if ((rv = mez_db_query_row(c->p, c->db, col, 3, &found,
                                   "SELECT request_digest, doc, zone_id FROM mez_mass_payment WHERE "
                                   "source_account_id = %s AND idempotency_key = %s",
                                   c->pb, source_id, key ? key : "", NULL)) != MEZ_OK)
            return rv;
        /* Another zone's payment under this key is answered as another request's would be: its document is not
         * this caller's to see. */
        if (!found || strcmp(col[0], digest) || !mez_mass_zone_visible(c, col[2]))
            return mez_mass_refuse(c, 422, "fiscal.idempotency_key_reused", "/idempotency_key",
                                   "idempotency_key %s was already used for another payment from %s", key ? key : "",
                                   source_id);
        return mez_mass_answer(c, 201, mez_mass_doc_parse(c, col[1]));
    }
    /* Checked once the row is in (a repeat of this request under its idempotency_key was answered above with the
     * first payment, which the figures already include): the total besides this payment (the row's trigger added
     * it, migration 0026) is what the zone judged it on, or it is refused and rolled back. */
    if (ta.aggregate) {
        int same = 0;
        if ((rv = mez_fiscal_aggregate_check(c, &ta, src.entity_id, payee_ref, currency, exponent, payment_id,
                                             &same)) != MEZ_OK || !same) {
            json_decref(doc);
            return rv;
        }
    }

    lines[nlines++] = (mez_ledger_line_t){ source_id, -gross };
    lines[nlines++] = (mez_ledger_line_t){ dest_id, net };
    if (w.account_id)
        lines[nlines++] = (mez_ledger_line_t){ w.account_id, w.amount };
    if ((rv = mez_fiscal_post(c, "payment", payment_id, reference, currency, lines, nlines, &txn_id, &failed))
        != MEZ_OK) {
        json_decref(doc);
        return rv;
    }
    if (failed >= 0) {
        json_decref(doc);
        credit_id = lines[failed].account_id;
        credit_ptr = failed == 0 ? "/source_account_id"
                     : failed == 1 ? (internal ? "/destination/account_id" : "/destination")
                                   : "/metadata/withholding/account_id";
        return mez_fiscal_refuse_line(c, credit_id, lines[failed].amount, credit_ptr);
    }
    if (w.account_id && (rv = record_tax_event(c, &src, &w, payment_id, tax_event_id, currency, exponent)) != MEZ_OK) {
        json_decref(doc);
        return rv;
    }
    {
        const char *ids[sizeof(lines) / sizeof(lines[0])];
        for (int i = 0; i < nlines; i++)
            ids[i] = lines[i].account_id;
        if ((rv = mez_fiscal_check_accounts(c, txn_id, ids, nlines, &ok)) == MEZ_OK && !ok)
            rv = MEZ_EINTERNAL;
    }
    if (rv != MEZ_OK) {
        json_decref(doc);
        return rv;
    }
    return mez_mass_answer(c, 201, doc);
}

mez_status_t mez_fiscal_payment_get(mez_mass_call_t *c, const char *payment_id)
{
    const char *col[2];
    int found = 0;
    mez_status_t rv = mez_db_query_row(c->p, c->db, col, 2, &found,
                                       "SELECT doc, zone_id FROM mez_mass_payment WHERE payment_id = %s", c->pb,
                                       payment_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    /* Another zone's payment is not there for this caller (mez_mass_zone_visible): the same 404. */
    if (!found || !mez_mass_zone_visible(c, col[1]))
        return mez_mass_not_found(c, "payment", payment_id);
    return mez_mass_answer(c, 200, mez_mass_doc_parse(c, col[0]));
}

mez_status_t mez_fiscal_deposit(mez_mass_call_t *c, const char *account_id)
{
    static const char *const allowed[] = { "amount", "currency", "reference", "source", NULL };
    const json_t *b = c->req->body, *source = NULL;
    const char *currency = NULL, *reference = NULL, *clearing, *txn_id;
    mez_fiscal_account_t a;
    mez_ledger_line_t lines[2];
    int exponent, found = 0, failed = -1, ok = 0;
    int64_t amount = 0;
    json_t *out;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_fiscal_get_currency(c, b, "", "currency", &currency, &exponent)
        || !mez_fiscal_get_amount(c, b, "", "amount", exponent, &amount)
        || !mez_mass_get_text(c, b, "", "reference", 1, 256, &reference)
        || !mez_mass_get_object(c, b, "", "source", 0, &source))
        return MEZ_OK;
    if ((rv = mez_fiscal_account_load(c, account_id, &a, &found)) != MEZ_OK)
        return rv;
    /* Another zone's account is unknown to a caller acting for one zone: a corridor's inbound transfer is
     * deposited by the destination zone itself, into its own account (mass_int.h: zones). */
    if (!found || strcmp(a.kind, MEZ_FISCAL_ENTITY) || !mez_fiscal_account_visible(c, &a))
        return mez_mass_not_found(c, "treasury account", account_id);
    if (!entity_live(c, &a, NULL))
        return MEZ_OK;
    if (strcmp(a.currency, currency))
        return mez_mass_refuse(c, 422, "fiscal.currency_mismatch", "/currency",
                               "the deposit is in %s but account %s is in %s", currency, account_id, a.currency);
    if ((rv = mez_fiscal_system_account(c, MEZ_FISCAL_CLEARING, currency, &clearing)) != MEZ_OK)
        return rv;
    lines[0] = (mez_ledger_line_t){ account_id, amount };
    lines[1] = (mez_ledger_line_t){ clearing, -amount };
    if ((rv = mez_fiscal_post(c, "deposit", NULL, reference, currency, lines, 2, &txn_id, &failed)) != MEZ_OK)
        return rv;
    if (failed >= 0)
        return mez_fiscal_refuse_line(c, lines[failed].account_id, lines[failed].amount, failed ? "/amount" : NULL);
    {
        const char *ids[2] = { account_id, clearing };
        if ((rv = mez_fiscal_check_accounts(c, txn_id, ids, 2, &ok)) != MEZ_OK || !ok)
            return rv != MEZ_OK ? rv : MEZ_EINTERNAL;
    }
    if ((rv = mez_fiscal_account_load(c, account_id, &a, &found)) != MEZ_OK)
        return rv;
    out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "deposit_id", txn_id, "account_id", account_id, "amount",
                    mez_mass_amount_format(c->p, amount, exponent), "currency", currency, "reference", reference,
                    "clearing_account_id", clearing, "balance", mez_mass_amount_format(c->p, a.balance, exponent),
                    "created_at", mez_time_stamp(c->p, c->ctx->now));
    if (source)
        json_object_set(out, "source", (json_t *)source);
    return mez_mass_answer(c, 201, out);
}
