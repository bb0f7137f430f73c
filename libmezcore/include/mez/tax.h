/* mez/tax.h: the zone's withholding, as the treasury and its callers see it.
 *
 * The law lives in the zone's packs and the compliance tensor applies it (mez/tensor.h: a payment's "withholding"
 * lines, each citing the pack row, its law and its source). This is what the zone does with those lines: the tax
 * in a currency's minor units, the rate as a fraction, the tax year a row belongs to, and the Mass treasury
 * contract's withholding calculation (POST /v1/fiscal/withholding/calculate), which the sovereign store cannot
 * answer (it holds records, not law: mass_fiscal.c) and the zone API answers from its packs. */
#ifndef MEZ_TAX_H
#define MEZ_TAX_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/orchestrate.h"
#include "mez/problem.h"
#include "mez/store.h"
#include "mez/zone.h"

/* The withholding category of the packs (pk-wht-ty2026.yaml's payment_type) for a payment type of the Mass
 * treasury contract ("goods_payment" -> "goods", "royalty" -> "royalty_fee_non_resident"), or NULL for a type
 * that has no category of its own ("capital_gains_settlement", "other", anything unknown) or whose head of the law
 * the packs do not hold ("commission": s. 233, brokerage and commission, has no row). */
const char *mez_tax_payment_category(const char *contract_type);

/* A pack's percentage ("30", "4.5") as the fraction the treasury takes ("0.30", "0.045"). pct is a decimal string
 * as the tensor validated it. */
const char *mez_tax_rate_fraction(apr_pool_t *p, const char *pct);

/* The tax year of a payment made on date (YYYY-MM-DD) under a withholding row, named by the calendar year it ends
 * in (Pakistan's tax year 2026 runs from 1 July 2025 to 30 June 2026: Income Tax Ordinance, 2001, s. 74):
 *   - tax_year_start ("MM-DD", zone.yaml's): the year that contains date ("07-01": 2026-06-30 -> "2026",
 *     2026-07-01 -> "2027"; "01-01": the calendar year), whatever the row's period;
 *   - without it, the row's period names it when it has an end: the year of the day before its exclusive valid_to
 *     ("2026-07-01" -> "2026"; "2027-01-01" -> "2026"), as a rate card for one tax year is written;
 *   - a row without valid_to and no declared start: the calendar year of date (a tax year that is the calendar
 *     year, the default of most jurisdictions; one that is not must say so in zone.yaml).
 * date is the action's date on the zone's calendar (mez/tz.h). */
const char *mez_tax_year_of(apr_pool_t *p, const char *tax_year_start, const char *valid_to, const char *date);

/* The exact tax the tensor computed (a decimal string, any number of fraction digits) in the currency's minor
 * units: rounded half up to `exponent` fraction digits and written with exactly that many ("4500.0249975", 2 ->
 * "4500.02"). The packs state no rounding rule; half up is always the truncated or the rounded-up figure, which
 * is what the treasury accepts (mass_payment.c). NULL when tax is not a decimal string or does not fit. */
const char *mez_tax_minor_units(apr_pool_t *p, const char *tax, int exponent);

/* Minor-unit digits of an ISO 4217 currency the zone's treasury keeps (PKR 2, JPY 0, BHD 3), -1 otherwise. */
int mez_tax_currency_exponent(const char *code);

/* POST /v1/fiscal/withholding/calculate: the Mass treasury contract's WithholdingCalculationRequest {payer_entity_id,
 * payee_ntn {ntn_number, ntn_type, filer_status?, registration_date?, strn?}, amount, currency, payment_type,
 * source_jurisdiction?, destination_jurisdiction?, effective_date?} plus the zone API's optional
 * "compliance": {"withholding_rule", "figures"} (which pack row governs when the law has several for one payment
 * type, as for a payment: mez/orchestrate.h; what the payer already paid this payee in the tax year under an
 * aggregate a row's threshold is on, {<aggregate>: {amount, currency}}, as the tensor's action.figures, since the
 * zone has no treasury record of a payee named by its NTN). Nothing is written.
 *
 * The payer is read through the zone's Mass gateway (z; 422 mass.not_found when the zone has no such entity); an
 * entity token (actor_entity not NULL) computes for its own entity only (403 auth.not_entity_owner). The payment is
 * evaluated by the zone's tensor on effective_date (today on the zone's calendar, z->tz, when absent) with the
 * payee as the counterparty:
 * its class from ntn_type (company, individual, aop) and its filer status from filer_status (the Active Taxpayers
 * List status the caller holds). *out (pool-owned) is the contract's WithholdingCalculation: gross_amount,
 * withholding_rate (a fraction), withholding_amount and net_amount (in the currency's minor units,
 * mez_tax_minor_units), currency, legal_basis [{statute, section, description, rate}] (the statute named by the
 * row's lawpack; zone may be NULL: then the lawpack's id), filer_status_applied, computed_at and computation_digest (hex
 * SHA-256 of the canonical {"inputs": body, "outputs": the answer without its digest}, so anyone can recompute it).
 * An amount below the row's threshold is withheld nothing, citing the row. For a threshold on the aggregate paid to
 * the payee (threshold.aggregate), the legal_basis description gives the figures it was judged on and names the
 * earlier payments nothing was deducted from; a payment below the limit alone whose figure is not given is
 * withholding.aggregate_needed (/compliance/figures/<aggregate>), and a bad figure the tensor's refusal at
 * /compliance/figures/... . Double taxation relief is not
 * computed (the packs hold no treaty rates): a payee abroad (destination_jurisdiction not the zone's) is taxed as
 * the zone's own law says, without dta_applied, evaluated as the cross_border_transfer a payment leaving for that
 * zone is (orchestrate_ops.c), so the figures are the same as that payment's.
 *
 * Problems (422 unless said): the body is read with the treasury's own validators, so its members are refused as
 * the treasury refuses them (request.* for its shape, request.invalid_id for a payer id that is not one,
 * fiscal.invalid_ntn, fiscal.invalid_strn, fiscal.invalid_amount, ...; pointers to them); withholding.no_category (/payment_type) for a type the law has no withholding head for;
 * withholding.exempt_payee (/payee_ntn/filer_status): an exempt payee's withholding is its exemption
 * certificate's; withholding.other_jurisdiction (/source_jurisdiction) when the payer is not in this zone's
 * jurisdiction; tensor.invalid_jurisdiction (/destination_jurisdiction) for a destination that is not a
 * jurisdiction id (1..64 of [A-Za-z0-9._-]);
 * withholding.filer_status_needed (/payee_ntn/filer_status), withholding.rule_needed (/compliance/withholding_rule,
 * the candidate rows named), withholding.rule_not_applicable (/compliance/withholding_rule: the row named is not in
 * force for the payment type, or the amount is outside its threshold while another row applies),
 * withholding.no_rate (/effective_date: no row of the zone's packs is in force for the payment on that day),
 * withholding.undetermined (the tensor's reason given) when the law as loaded does not
 * settle the tax; 503 zone.no_packs when the zone has none. */
/* The statute a pack row of zone cites, for a TaxEvent's legal_basis: its lawpack's title up to ": " ("Income
 * Tax Ordinance, 2001" of "Income Tax Ordinance, 2001: withholding regime ..."), the lawpack's id when the zone
 * does not hold it, the row's source title when it names no lawpack; NULL when it has none of these. */
const char *mez_tax_statute_of(apr_pool_t *p, const mez_zone_t *zone, const json_t *row);

mez_status_t mez_tax_withholding_calculate(const mez_orch_zone_t *z, const mez_zone_t *zone, apr_pool_t *p,
                                           mez_db_t *db, const json_t *body, const char *actor_entity, apr_time_t now,
                                           json_t **out, mez_problem_t *pb);

/* POST /v1/fiscal/reporting/generate: the Mass treasury contract's generateTaxReport (TaxReportRequest ->
 * TaxReport), answered by the fiscal primitive through the zone's gateway (z->mass_call; the sovereign store in db,
 * in the caller's transaction, when NULL): the report adds up the entity's tax events, which that primitive
 * records, and needs none of the zone's law. An entity token (actor_entity not NULL) has its own entity's report
 * generated only: 403 auth.not_entity_owner (/entity_id) for another. *resp is the primitive's answer, whatever
 * its status (the store's refusals: mass_tax_report.c); resp->body is a new reference. Returns non-MEZ_OK (pb)
 * only when there is no answer: the refusal above, or the gateway's or the database's failure. */
mez_status_t mez_tax_report_generate(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const json_t *body,
                                     const char *actor_entity, apr_time_t now, mez_mass_response_t *resp,
                                     mez_problem_t *pb);

#endif
