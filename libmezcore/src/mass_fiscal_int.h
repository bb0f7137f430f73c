/* mass_fiscal_int.h: what the fiscal primitive's files share (private to libmezcore): accounts, the double-entry
 * ledger that is the only way a balance changes, holds, and the invariant checks every write ends with. */
#ifndef MEZ_MASS_FISCAL_INT_H
#define MEZ_MASS_FISCAL_INT_H

#include <stdint.h>
#include "mass_int.h"
#include "mass_values.h"

/* Account kinds (mez_mass_account.kind). */
#define MEZ_FISCAL_ENTITY   "entity"
#define MEZ_FISCAL_CLEARING "external_clearing"    /* sys_clearing_<CUR>: the world outside the zone */
#define MEZ_FISCAL_OUTBOUND "outbound_settlement"  /* sys_outbound_<CUR>: paid out, bank/corridor leg pending */

typedef struct mez_fiscal_account_t {
    const char *account_id, *kind, *entity_id, *account_type, *currency, *status, *doc, *created_at, *updated_at;
    const char *entity_status;   /* the owning entity's lifecycle status; NULL for the zone's own accounts */
    const char *zone_id;         /* the owning entity's zone (mass_int.h: zones); NULL for none */
    int64_t balance, held;
    int exponent;
} mez_fiscal_account_t;

/* Reads an account (*found 0 when there is none), with its entity's status in the same statement. */
mez_status_t mez_fiscal_account_load(mez_mass_call_t *c, const char *account_id, mez_fiscal_account_t *a,
                                     int *found);
/* Whether the caller may name this account: a caller of the whole store any; a caller acting for one zone its
 * zone's entities' accounts only. The zone's own accounts (clearing, outbound) hold every zone's money that
 * crossed the store's boundary, so their balances and ledgers are the store's own zone's to read. The accounts a
 * request names are checked with it where they are named; an account of another zone is answered as an unknown
 * one. Those the store moves money through on its own (the clearing and outbound legs, a returned payment's) are
 * not: they are the payment's, which the caller has already been shown to reach. */
int mez_fiscal_account_visible(const mez_mass_call_t *c, const mez_fiscal_account_t *a);
/* Reads and locks, for the rest of the transaction, the n accounts a posting will move (one round trip inside a
 * transaction on PostgreSQL: mez_db_query_all): a[i] and found[i] as mez_fiscal_account_load gives them for
 * ids[i]. Call it before any statement that names the accounts (see mass_ledger.c for why). */
mez_status_t mez_fiscal_accounts_lock(mez_mass_call_t *c, int n, const char *const *ids, mez_fiscal_account_t *a,
                                      int *found);
/* The TreasuryAccount document of an entity account. */
json_t *mez_fiscal_account_json(mez_mass_call_t *c, const mez_fiscal_account_t *a);
/* The zone's clearing or outbound account for a currency, made on first use (race-free: fixed id, insert that
 * ignores a conflict). */
mez_status_t mez_fiscal_system_account(mez_mass_call_t *c, const char *kind, const char *currency,
                                       const char **account_id);
/* Ends the account's holds whose expires_at has passed (ctx->now) and takes them out of its held amount. */
mez_status_t mez_fiscal_expire_holds(mez_mass_call_t *c, const char *account_id);

/* One ledger line: a signed amount in minor units on one account. */
typedef struct mez_ledger_line_t {
    const char *account_id;
    int64_t amount;
} mez_ledger_line_t;

/* Posts one ledger transaction whose lines sum to zero (all in currency). Accounts are changed in account_id
 * order (so concurrent transactions on PostgreSQL never wait on each other in a cycle), each by one guarded
 * UPDATE: a debit only while the account is active and its available amount covers it, a credit only while it
 * is active and stays under MEZ_MASS_BALANCE_MAX; the clearing account alone may go below zero. When a guard
 * stops a line, *failed is its index and nothing is answered yet (the caller says why; the caller's rollback
 * undoes the lines already written); otherwise *failed is -1 and *txn_id names the transaction. */
mez_status_t mez_fiscal_post(mez_mass_call_t *c, const char *kind, const char *payment_id, const char *reference,
                             const char *currency, const mez_ledger_line_t *lines, int nlines, const char **txn_id,
                             int *failed);

/* Answers why a guarded line on account_id could not be posted: 409 fiscal.account_frozen / account_closed,
 * 422 fiscal.insufficient_funds (with available and requested) for a debit, 422 fiscal.balance_limit for a credit.
 * pointer names the request member that chose the account. */
mez_status_t mez_fiscal_refuse_line(mez_mass_call_t *c, const char *account_id, int64_t amount,
                                    const char *pointer);

/* The store's invariants, in one place; a violation is a bug, answered 500 "fiscal.invariant_violated" (the
 * caller rolls back). With txn_id: that transaction sums to zero per currency and each of its lines continues
 * its account's chain (previous balance_after + amount = balance_after, and the last line's balance_after is the
 * account's balance). With account_id: no balance below zero (clearing: above zero), held equals the account's
 * active holds and does not exceed the balance. Either may be NULL. *ok is 0 when one fails (pb says which). */
mez_status_t mez_fiscal_check(mez_mass_call_t *c, const char *txn_id, const char *account_id, int *ok);
/* mez_fiscal_check() of a transaction and the n accounts its posting touched, the accounts in one query. */
mez_status_t mez_fiscal_check_accounts(mez_mass_call_t *c, const char *txn_id, const char *const *account_ids,
                                       int n, int *ok);
/* The same over the whole store (every transaction and every account): for tests and `mez` audits. */
mez_status_t mez_fiscal_check_all(apr_pool_t *p, mez_db_t *db, int *ok, mez_problem_t *pb);

/* Reads a wire amount member (decimal string) in a currency with the given exponent: > 0, <= MEZ_MASS_AMOUNT_MAX.
 * 1 when acceptable, 0 after refusing (fiscal.invalid_amount, fiscal.amount_precision, fiscal.amount_too_large,
 * fiscal.amount_not_positive). */
int mez_fiscal_get_amount(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int exponent,
                          int64_t *out);
/* The identifiers of a bank_details object (mez_bank_details_check: fiscal.invalid_iban, fiscal.invalid_bic,
 * request.invalid_type under base). 1 when it may be kept, else 0 with the refusal in c. */
int mez_fiscal_check_bank_details(mez_mass_call_t *c, const json_t *bank, const char *base);
/* Reads a NationalTaxNumber member {ntn_number (7 or 13 digits), ntn_type, filer_status?, registration_date? (not
 * later than today), strn? (13 digits)}: 1 when acceptable, 0 after refusing (request.*, fiscal.invalid_ntn,
 * fiscal.invalid_strn, request.invalid_date). */
int mez_fiscal_check_ntn(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name);
/* Reads a currency member: three capital letters the store knows (fiscal.unknown_currency otherwise). */
int mez_fiscal_get_currency(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name,
                            const char **code, int *exponent);

/* Which zone a payment is for: mass_int.h's zones. mez_mass_payment.zone_id (migration 0023) is stamped with
 * mez_mass_zone_stamp when the payment is made; a caller acting for one zone lists, reads, settles and returns only
 * that zone's payments, and the tax events that record them (a tax event is its payment's record and has no zone
 * of its own); a payment made before 0023 is no zone's. Its accounts are their entity's zone's (migration 0025):
 * such a caller pays from, to and withholds into its own zone's accounts only (mass_payment.c says why). */

/* Route handlers in mass_payment.c. */
mez_status_t mez_fiscal_payment_create(mez_mass_call_t *c);
/* Writes tax event e (taken: released here) with its digest, sha256 of the canonical event without it so that
 * anyone can recompute it, as one more statement of the write's pipeline (mez_db_send). */
mez_status_t mez_fiscal_tax_event_write(mez_mass_call_t *c, json_t *e, const char *tax_event_id,
                                        const char *entity_id, const char *event_type, const char *tax_year,
                                        const char *payment_id, const char *occurred_at);
mez_status_t mez_fiscal_payment_get(mez_mass_call_t *c, const char *payment_id);
mez_status_t mez_fiscal_deposit(mez_mass_call_t *c, const char *account_id);
/* GET /v1/fiscal/payments, in mass_payment_list.c: the payments page by page, oldest first (the settlement queue). */
mez_status_t mez_fiscal_payment_list(mez_mass_call_t *c);
/* Route handlers in mass_payment_outcome.c: a processing payment settled or returned. */
mez_status_t mez_fiscal_payment_settle(mez_mass_call_t *c, const char *payment_id);
mez_status_t mez_fiscal_payment_return(mez_mass_call_t *c, const char *payment_id);
/* Withholding aggregates, in mass_payment_aggregate.c (see there): what a payment adds to when a threshold is on
 * the aggregate paid to the payee in the tax year. */
typedef struct mez_fiscal_tax_aggregate_t {
    const char *aggregate;        /* NULL: the payment names none */
    const char *tax_year;
    int64_t paid_before;          /* minor units: what the zone judged the payment on */
} mez_fiscal_tax_aggregate_t;
/* metadata.tax_aggregate {aggregate, tax_year, paid_before} of a payment in a currency with that exponent: 1 when
 * acceptable (ta->aggregate NULL when absent), 0 after refusing (request.*, fiscal.invalid_tax_year,
 * fiscal.invalid_amount at its member). */
int mez_fiscal_get_tax_aggregate(mez_mass_call_t *c, const json_t *meta, int exponent,
                                 mez_fiscal_tax_aggregate_t *ta);
/* Locks the payer's entity row for the rest of the transaction (PostgreSQL; SQLite's write lock is held already),
 * before what it has paid is read or changed (a payment, a return: each takes it first); *found 0 when the store
 * has no such entity, or (any_zone 0: the read) none the caller's zone may see. */
mez_status_t mez_fiscal_aggregate_lock(mez_mass_call_t *c, const char *entity_id, int any_zone, int *found);
/* The gross (minor units) and count of payer's payments to payee under aggregate in tax_year in currency that have
 * not failed, but except_payment (NULL: none). */
mez_status_t mez_fiscal_aggregate_sum(mez_mass_call_t *c, const char *payer, const char *payee,
                                      const char *aggregate, const char *tax_year, const char *currency,
                                      const char *except_payment, int64_t *gross, int64_t *count);
/* After payment_id is written (and added to the total): whether ta->paid_before is what the store holds besides
 * it; *ok 0 after refusing, 409 fiscal.aggregate_changed. */
mez_status_t mez_fiscal_aggregate_check(mez_mass_call_t *c, const mez_fiscal_tax_aggregate_t *ta, const char *payer,
                                        const char *payee, const char *currency, int exponent,
                                        const char *payment_id, int *ok);
/* GET /v1/fiscal/{entity_id}/payment-aggregate. */
mez_status_t mez_fiscal_payment_aggregate(mez_mass_call_t *c, const char *entity_id);

/* POST /v1/fiscal/reporting/generate, in mass_tax_report.c. */
mez_status_t mez_fiscal_tax_report(mez_mass_call_t *c);

#endif
