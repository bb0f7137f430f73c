/* mass_payment_outcome.c: how a payment that left for a bank or a corridor ends (store extensions; the contract
 * has no such routes). Such a payment moved its gross out of the payer's account, the net into the zone's
 * outbound account sys_outbound_<CUR> and any tax withheld into the payer's withholding account, and stays
 * "processing" (mass_payment.c) until the treasury hears from the bank or the corridor:
 *
 * POST /v1/fiscal/payments/{id}/settle  {reference, settled_at?} -> 200 Payment, status "settled" with settled_at
 *      (the confirmation's time, default now; not in the future, not before the payment) and settlement_evidence
 *      {outcome: "settled", reference, settled_at, recorded_at, transaction_id}. The net leaves the zone: one
 *      ledger transaction of kind "settlement", sys_outbound_<CUR> -net, sys_clearing_<CUR> +net (the clearing
 *      account's balance is minus all money in the zone, so it rises by what left).
 * POST /v1/fiscal/payments/{id}/return  {reason, reference?} -> 200 Payment, status "failed" (the contract's word
 *      for a payment that did not reach its beneficiary; "reversed" would be a settled payment undone) with
 *      settlement_evidence {outcome: "returned", reason, reference?, returned_at, transaction_id,
 *      withholding_reversed, tax_event_ids?}. One ledger transaction of kind "reversal" that is the exact
 *      negation of the payment's own posting: the payer gets the gross back, sys_outbound gives up the net and the
 *      withholding account the tax.
 *
 * The withholding of a returned payment is reversed too. The Income Tax Ordinance 2001 has the payer deduct tax
 * "at the time the amount is paid" (ss. 149-153); a payment the bank rejected or the corridor did not deliver was
 * never paid, so nothing was due to be withheld from it, and keeping the tax would charge the payer for a payment
 * that did not happen and leave its tax records stating a deduction from nobody's income. The payment's
 * withholding_deduction TaxEvent stays (the store's records are never rewritten) and an "adjustment" TaxEvent of
 * the same amount, tax year and entity cancels it (metadata.adjusts_tax_event_id), so the entity's tax events add
 * up to what it actually withheld. When the withholding account can no longer give the tax back (frozen, closed,
 * or what it holds has been paid over or reserved), the return is refused, 409 fiscal.withholding_not_returnable,
 * and nothing moves: the operator restores the account (unfreeze, release the hold, or put the tax back) and
 * returns the payment then; returning the net alone would leave a deduction recorded on a payment never made.
 *
 * Both: only a "processing" payment ends (409 fiscal.payment_settled, fiscal.payment_failed or
 * fiscal.payment_not_processing otherwise, with payment_status naming its state); 404 mass.not_found for none, and
 * for another zone's when the caller acts for one zone (mass_int.h: zones).
 * The payment's row is locked first (FOR UPDATE on PostgreSQL; on SQLite the transaction holds the database) and
 * its status changes by an UPDATE guarded on "processing", so two settles, or a settle racing a return, move the
 * money once: the second waits for the first, finds the status changed, and is refused with nothing written. */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/store.h"
#include "mass_fiscal_int.h"

/* A payment's row, as this file needs it. */
typedef struct {
    const char *payment_id, *source_id, *destination_type, *currency, *status, *doc, *created_at;
    int64_t gross, withheld;
    /* What the payment adds to (mass_payment_aggregate.c): payer, payee, aggregate, tax year; NULL: none. */
    const char *payer, *payee, *aggregate, *tax_year;
} payment_row_t;

/* The payment's row, locked for the rest of the transaction; 404 answered when there is none (*found 0), or when
 * it is another zone's than the one the caller acts for (mez_mass_zone_visible): a zone settles and returns
 * its own payments only, and learns nothing of another's, not even that it exists. */
static mez_status_t lock_payment(mez_mass_call_t *c, const char *id, payment_row_t *pr, int *found)
{
    const char *col[14];
    mez_status_t rv = mez_db_query_row(c->p, c->db, col, 14, found,
                                       apr_pstrcat(c->p, "SELECT payment_id, source_account_id, destination_type, "
                                                   "currency, status, doc, created_at, gross_amount, "
                                                   "withholding_amount, zone_id, payer_entity_id, payee_ref, "
                                                   "tax_aggregate, tax_year FROM mez_mass_payment "
                                                   "WHERE payment_id = %s", mez_db_for_update(c->db), NULL),
                                       c->pb, id, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (*found && !mez_mass_zone_visible(c, col[9]))
        *found = 0;
    if (!*found)
        return mez_mass_not_found(c, "payment", id);
    pr->payment_id = col[0], pr->source_id = col[1], pr->destination_type = col[2], pr->currency = col[3];
    pr->status = col[4], pr->doc = col[5], pr->created_at = col[6];
    pr->gross = (int64_t)apr_atoi64(col[7]), pr->withheld = (int64_t)apr_atoi64(col[8]);
    pr->payer = col[10], pr->payee = col[11], pr->aggregate = col[12], pr->tax_year = col[13];
    return MEZ_OK;
}

/* 1 when the payment may still end; otherwise the 409 is answered. */
static int still_processing(mez_mass_call_t *c, const payment_row_t *pr, const char *verb)
{
    const char *code = !strcmp(pr->status, "settled") ? "fiscal.payment_settled"
                       : !strcmp(pr->status, "failed") ? "fiscal.payment_failed"
                                                       : "fiscal.payment_not_processing";
    if (!strcmp(pr->status, "processing"))
        return 1;
    mez_mass_refuse(c, 409, code, NULL, "payment %s is %s%s: only a payment still processing (to a bank or over a "
                    "corridor) can be %s", pr->payment_id, pr->status,
                    !strcmp(pr->destination_type, "internal_account") ? " (an internal payment settles when it is made)"
                                                                      : "",
                    verb);
    json_object_set_new(c->resp->body, "payment_status", json_string(pr->status));
    return 0;
}

/* The lines of the payment's own posting (ledger kind "payment"): what it moved, each line's account and
 * amount. A processing payment has exactly one such transaction: the source's debit, the outbound credit and
 * perhaps the withholding credit. */
static mez_status_t payment_lines(mez_mass_call_t *c, const payment_row_t *pr, mez_ledger_line_t **lines, int *n)
{
    apr_array_header_t *rows;
    mez_status_t rv = mez_db_query_rows(c->p, c->db, 2, &rows,
                                        "SELECT l.account_id, l.amount FROM mez_mass_ledger_line l "
                                        "JOIN mez_mass_ledger_txn t ON t.txn_id = l.txn_id "
                                        "WHERE t.payment_id = %s AND t.kind = 'payment' ORDER BY l.line_no",
                                        c->pb, pr->payment_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    *n = rows->nelts;
    *lines = apr_pcalloc(c->p, sizeof(**lines) * (size_t)(rows->nelts ? rows->nelts : 1));
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        (*lines)[i].account_id = r[0];
        (*lines)[i].amount = (int64_t)apr_atoi64(r[1]);
    }
    if (*n < 2 || strcmp((*lines)[0].account_id, pr->source_id) || (*lines)[0].amount != -pr->gross)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                           "processing payment %s has no posting debiting its source %s", pr->payment_id,
                           pr->source_id);
    return MEZ_OK;
}

/* The payment's new status and document, written only while it is still processing (the lock makes that
 * certain; the guard says so again in the statement that decides). */
static mez_status_t write_outcome(mez_mass_call_t *c, const payment_row_t *pr, const char *status, json_t *doc,
                                  int *changed)
{
    const char *text = mez_mass_doc_text(c, doc);
    int n = 0;
    mez_status_t rv;
    if (!text)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.answer_not_json", NULL,
                           "payment %s could not be serialised", pr->payment_id);
    rv = mez_db_execv(c->p, c->db, &n,
                      "UPDATE mez_mass_payment SET status = %s, doc = %s, updated_at = %s "
                      "WHERE payment_id = %s AND status = 'processing'",
                      c->pb, status, text, mez_time_stamp(c->p, c->ctx->now), pr->payment_id, NULL);
    *changed = n == 1;
    return rv;
}

/* Posts lines as kind and checks the transaction and its accounts (the store's invariants). A guard that holds
 * a line back is answered by refuse(line) when given, else it is a broken invariant (the zone's own accounts
 * always take what a payment put there). */
static mez_status_t post_checked(mez_mass_call_t *c, const char *kind, const payment_row_t *pr, const char *reference,
                                 const mez_ledger_line_t *lines, int n, const char **txn_id, int *failed)
{
    const char **ids = apr_palloc(c->p, sizeof(*ids) * (size_t)n);
    int ok = 0;
    mez_status_t rv = mez_fiscal_post(c, kind, pr->payment_id, reference, pr->currency, lines, n, txn_id, failed);
    if (rv != MEZ_OK || *failed >= 0)
        return rv;
    for (int i = 0; i < n; i++)
        ids[i] = lines[i].account_id;
    if ((rv = mez_fiscal_check_accounts(c, *txn_id, ids, n, &ok)) == MEZ_OK && !ok)
        rv = MEZ_EINTERNAL;
    return rv;
}

static json_t *payment_doc(mez_mass_call_t *c, const payment_row_t *pr)
{
    json_t *doc = mez_mass_doc_parse(c, pr->doc);
    if (json_is_object(doc))
        return doc;
    json_decref(doc);
    return NULL;
}

mez_status_t mez_fiscal_payment_settle(mez_mass_call_t *c, const char *payment_id)
{
    static const char *const allowed[] = { "reference", "settled_at", NULL };
    const json_t *b = c->req->body;
    const char *reference = NULL, *settled_at = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *outbound;
    const char *clearing, *txn_id = NULL;
    payment_row_t pr;
    mez_ledger_line_t *paid, lines[2];
    int found = 0, npaid = 0, changed = 0, failed = -1;
    json_t *doc;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_text(c, b, "", "reference", MEZ_MASS_REQUIRED, 256, &reference)
        || !mez_mass_get_time(c, b, "", "settled_at", MEZ_MASS_OPTIONAL, &settled_at))
        return MEZ_OK;
    if ((rv = lock_payment(c, payment_id, &pr, &found)) != MEZ_OK || !found || !still_processing(c, &pr, "settled"))
        return rv;
    /* The bank's or corridor's time of settlement, as its confirmation states it: after the payment left, and
     * not later than now (a confirmation cannot be of the future). */
    if (!settled_at)
        settled_at = now;
    if (strcmp(settled_at, now) > 0 || strcmp(settled_at, pr.created_at) < 0)
        return mez_mass_refuse(c, 422, "fiscal.invalid_settled_at", "/settled_at",
                               "settled_at %s is not between the payment's creation (%s) and now (%s)", settled_at,
                               pr.created_at, now);
    if ((rv = payment_lines(c, &pr, &paid, &npaid)) != MEZ_OK
        || (rv = mez_fiscal_system_account(c, MEZ_FISCAL_OUTBOUND, pr.currency, &outbound)) != MEZ_OK
        || (rv = mez_fiscal_system_account(c, MEZ_FISCAL_CLEARING, pr.currency, &clearing)) != MEZ_OK)
        return rv;
    /* The net is what the payment put into the outbound account. */
    lines[0] = (mez_ledger_line_t){ outbound, 0 };
    for (int i = 0; i < npaid; i++)
        if (!strcmp(paid[i].account_id, outbound))
            lines[0].amount = -paid[i].amount;
    if (lines[0].amount >= 0)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                           "processing payment %s put nothing into %s", payment_id, outbound);
    lines[1] = (mez_ledger_line_t){ clearing, -lines[0].amount };
    if (!(doc = payment_doc(c, &pr)))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "payment %s's stored document does not parse", payment_id);
    if ((rv = post_checked(c, "settlement", &pr, reference, lines, 2, &txn_id, &failed)) != MEZ_OK || failed >= 0) {
        json_decref(doc);
        return rv != MEZ_OK ? rv
                            : mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                                          "the settlement of payment %s could not move %s", payment_id,
                                          lines[failed].account_id);
    }
    json_object_set_new(doc, "status", json_string("settled"));
    json_object_set_new(doc, "settled_at", json_string(settled_at));
    json_object_set_new(doc, "settlement_evidence",
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "outcome", "settled", "reference", reference, "settled_at",
                                  settled_at, "recorded_at", now, "transaction_id", txn_id));
    if ((rv = write_outcome(c, &pr, "settled", doc, &changed)) != MEZ_OK) {
        json_decref(doc);
        return rv;
    }
    if (!changed) {
        json_decref(doc);
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                           "payment %s changed while this transaction held it", payment_id);
    }
    return mez_mass_answer(c, 200, doc);
}

/* The adjustment cancelling one withholding_deduction of the returned payment (see the head of the file). */
static mez_status_t cancel_tax_event(mez_mass_call_t *c, const payment_row_t *pr, const char **e, const char *reason,
                                     const char **id)
{
    json_t *orig = mez_mass_doc_parse(c, e[2]), *adj, *meta;
    const char *now = mez_time_stamp(c->p, c->ctx->now);
    if (!json_is_object(orig)) {
        json_decref(orig);
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "tax event %s's stored document does not parse", e[0]);
    }
    *id = mez_mass_new_id(c->p, "txe_");
    meta = json_pack("{s:s,s:s,s:s}", "adjusts_tax_event_id", e[0], "adjusts_event_type", "withholding_deduction",
                     "reason", apr_pstrcat(c->p, "payment returned, never paid: ", reason, NULL));
    if (json_object_get(json_object_get(orig, "metadata"), "withholding_account_id"))
        json_object_set(meta, "withholding_account_id",
                        json_object_get(json_object_get(orig, "metadata"), "withholding_account_id"));
    if (json_object_get(json_object_get(orig, "metadata"), "section"))
        json_object_set(meta, "section", json_object_get(json_object_get(orig, "metadata"), "section"));
    adj = json_pack("{s:s,s:O,s:O,s:s,s:s,s:O,s:O,s:s,s:s,s:o}", "tax_event_id", *id, "entity_id",
                    json_object_get(orig, "entity_id"), "ntn", json_object_get(orig, "ntn"), "event_type",
                    "adjustment", "tax_year", e[1], "amount", json_object_get(orig, "amount"), "currency",
                    json_object_get(orig, "currency"), "occurred_at", now, "source_payment_id", pr->payment_id,
                    "metadata", meta);
    if (adj && json_object_get(orig, "legal_basis"))
        json_object_set(adj, "legal_basis", json_object_get(orig, "legal_basis"));
    json_decref(orig);
    if (!adj)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "tax event %s lacks a member of a tax event", e[0]);
    return mez_fiscal_tax_event_write(c, adj, *id, e[3], "adjustment", e[1], pr->payment_id, now);
}

/* Why line i of the reversal could not be posted: the payer's account not taking its money back (frozen,
 * closed: mez_fiscal_refuse_line's 409s), or the withholding account not giving the tax back. */
static mez_status_t refuse_reversal(mez_mass_call_t *c, const payment_row_t *pr, const mez_ledger_line_t *l)
{
    mez_fiscal_account_t a;
    int found = 0;
    mez_status_t rv;
    if (!strcmp(l->account_id, pr->source_id))
        return mez_fiscal_refuse_line(c, l->account_id, l->amount, NULL);
    if ((rv = mez_fiscal_account_load(c, l->account_id, &a, &found)) != MEZ_OK)
        return rv;
    if (!found || strcmp(a.kind, MEZ_FISCAL_ENTITY))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                           "the return of payment %s could not take %s back from %s", pr->payment_id,
                           mez_mass_amount_format(c->p, -l->amount, mez_mass_currency_exponent(pr->currency)),
                           l->account_id);
    return mez_mass_refuse(c, 409, "fiscal.withholding_not_returnable", NULL,
                           "the tax withheld from payment %s (%s %s) cannot be taken back from withholding account "
                           "%s, which is %s with %s %s available: a returned payment gives its withholding back "
                           "with it; restore the account first", pr->payment_id,
                           mez_mass_amount_format(c->p, -l->amount, a.exponent), a.currency, a.account_id, a.status,
                           mez_mass_amount_format(c->p, a.balance - a.held, a.exponent), a.currency);
}

mez_status_t mez_fiscal_payment_return(mez_mass_call_t *c, const char *payment_id)
{
    static const char *const allowed[] = { "reason", "reference", NULL };
    const json_t *b = c->req->body;
    const char *reason = NULL, *reference = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *txn_id = NULL;
    payment_row_t pr;
    mez_ledger_line_t *paid, *lines;
    apr_array_header_t *events;
    int found = 0, npaid = 0, changed = 0, failed = -1, exponent;
    json_t *doc, *evidence, *adjusted;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_text(c, b, "", "reason", MEZ_MASS_REQUIRED, 1024, &reason)
        || !mez_mass_get_text(c, b, "", "reference", MEZ_MASS_OPTIONAL, 256, &reference))
        return MEZ_OK;
    if ((rv = lock_payment(c, payment_id, &pr, &found)) != MEZ_OK || !found || !still_processing(c, &pr, "returned"))
        return rv;
    /* The return takes the payment out of what its payer has paid the payee (the total's trigger, when the status
     * becomes 'failed' below). A payment of the same payer locks the payer's entity row, then its accounts, then
     * (its own row's trigger) the total; the return locks the entity row too, first, so that the two queue whole
     * rather than each hold what the other waits for (a return holding the payer's outbound or second account and
     * waiting on the total a payment holds: deadlocked, one refused). A return of a payment that names no aggregate
     * touches no total, but queues the same way: its freedom from deadlock then rests on no order of account ids
     * (mass_ledger.c locks accounts sorted, and an entity's accounts sort before the system's only by their
     * prefixes). */
    if (pr.payer) {
        int held = 0;
        if ((rv = mez_fiscal_aggregate_lock(c, pr.payer, 1, &held)) != MEZ_OK)
            return rv;
    }
    if ((rv = payment_lines(c, &pr, &paid, &npaid)) != MEZ_OK)
        return rv;
    /* The exact negation of what the payment moved: the payer +gross, sys_outbound -net, withholding -tax. */
    lines = apr_palloc(c->p, sizeof(*lines) * (size_t)npaid);
    for (int i = 0; i < npaid; i++)
        lines[i] = (mez_ledger_line_t){ paid[i].account_id, -paid[i].amount };
    if ((rv = post_checked(c, "reversal", &pr, reference, lines, npaid, &txn_id, &failed)) != MEZ_OK)
        return rv;
    if (failed >= 0)
        return refuse_reversal(c, &pr, &lines[failed]);
    if ((rv = mez_db_query_rows(c->p, c->db, 4, &events,
                                "SELECT tax_event_id, tax_year, doc, entity_id FROM mez_mass_tax_event "
                                "WHERE payment_id = %s AND event_type = 'withholding_deduction' "
                                "ORDER BY tax_event_id",
                                c->pb, payment_id, NULL)) != MEZ_OK)
        return rv;
    adjusted = json_array();
    for (int i = 0; i < events->nelts; i++) {
        const char *id = NULL;
        if ((rv = cancel_tax_event(c, &pr, APR_ARRAY_IDX(events, i, const char **), reason, &id)) != MEZ_OK) {
            json_decref(adjusted);
            return rv;
        }
        json_array_append_new(adjusted, json_string(id));
    }
    if (!(doc = payment_doc(c, &pr))) {
        json_decref(adjusted);
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "payment %s's stored document does not parse", payment_id);
    }
    exponent = mez_mass_currency_exponent(pr.currency);
    evidence = json_pack("{s:s,s:s,s:s,s:s,s:s}", "outcome", "returned", "reason", reason, "returned_at", now,
                         "transaction_id", txn_id, "withholding_reversed",
                         mez_mass_amount_format(c->p, pr.withheld, exponent));
    if (reference)
        json_object_set_new(evidence, "reference", json_string(reference));
    if (json_array_size(adjusted))
        json_object_set(evidence, "tax_event_ids", adjusted);
    json_decref(adjusted);
    json_object_set_new(doc, "status", json_string("failed"));
    json_object_set_new(doc, "settlement_evidence", evidence);
    if ((rv = write_outcome(c, &pr, "failed", doc, &changed)) != MEZ_OK || !changed) {
        json_decref(doc);
        return rv != MEZ_OK ? rv
                            : mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                                          "payment %s changed while this transaction held it", payment_id);
    }
    /* A payment that never reached the payee was not paid to it: its status become 'failed' took it out of what
     * the payer has paid the payee (the total's trigger, migration 0026). */
    return mez_mass_answer(c, 200, doc);
}
