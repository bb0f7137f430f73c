/* tensor_withholding.c: the withholding a payment owes: the rows in force for its payment type and payee, their
 * thresholds, the band of a progressive table its amount falls in, and the exact tax at the payee's rate. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <apr_strings.h>
#include "tensor_int.h"

static json_t *rules_json(const eval_t *ev, const wht_row_t *const *rows, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        mez_tensor_cite(ev, o, &rows[i]->h);
        set_str(ev->ix, o, "section", rows[i]->section);
        set_str(ev->ix, o, "payee_class", rows[i]->payee_class);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *tax_reason(eval_t *ev, const char *code, const wht_row_t *r)
{
    json_t *o = reason(ev, MEZ_DOMAIN_TAX, code);
    if (r) {
        mez_tensor_cite(ev, o, &r->h);
        set_str(ev->ix, o, "section", r->section);
        set_str(ev->ix, o, "payment_type", r->payment_type);
        set_str(ev->ix, o, "payee_class", r->payee_class);
    }
    return o;
}

/* Pending with the reason given: the tax a payment owes cannot be settled from what is known. */
static void tax_pending(eval_t *ev, const char *code, const wht_row_t *r, const char *detail)
{
    json_t *o = tax_reason(ev, code, r);
    set_str(ev->ix, o, "detail", detail);
    decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
}

/* ------------------------------------------------------------------ thresholds on an aggregate */

/* Whether a payment reaches a row's threshold. */
typedef enum { REACH_NO, REACH_YES, REACH_UNKNOWN, REACH_OVERFLOW } reach_t;

/* What the payer already paid the payee in the tax year under the rows naming this aggregate (action.figures), or
 * NULL when the action does not say. */
static const mez_tensor_money_t *paid_before(const mez_tensor_action_t *a, const char *aggregate)
{
    for (size_t i = 0; aggregate && i < a->n_figures; i++)
        if (!strcmp(a->figures[i].name, aggregate))
            return &a->figures[i];
    return NULL;
}

/* Whether the payment reaches row r's threshold: its amount does, or, for a limit on the aggregate paid to the payee
 * in the tax year (threshold.aggregate), what was paid before and this payment together do (*total, when known).
 * Without the earlier figure the row is reached when the payment alone reaches it, since a lower limit (the only
 * kind an aggregate has) stays reached whatever came before; otherwise it cannot be told. A figure in another
 * currency is not added (mez_tensor_eval_withholding has answered currency_mismatch for it before asking). */
static reach_t reaches(const mez_tensor_action_t *a, const wht_row_t *r, mez_tensor_decimal_t *total)
{
    const mez_tensor_money_t *before;
    if (!r->has_threshold)
        return REACH_YES;
    if (!r->threshold.aggregate)
        return limit_met(&a->amount, &r->threshold) ? REACH_YES : REACH_NO;
    before = paid_before(a, r->threshold.aggregate);
    if (!before || strcmp(before->currency, r->threshold.currency))
        return limit_met(&a->amount, &r->threshold) ? REACH_YES : REACH_UNKNOWN;
    if (mez_tensor_decimal_add(&before->amount, &a->amount, total))
        return REACH_OVERFLOW;
    return limit_met(total, &r->threshold) ? REACH_YES : REACH_NO;
}

/* The aggregate's figures for a result, so that an auditor sees why the row was or was not reached: what was paid
 * before (as given), this payment, the two together, in the threshold's currency; and on the payment that brings
 * the aggregate to the limit, what the earlier payments were, from which nothing was deducted. Without the earlier
 * figure, that the row was judged on this payment alone. */
static json_t *aggregate_json(const eval_t *ev, const wht_row_t *r)
{
    const mez_tensor_action_t *a = ev->a;
    const mez_tensor_money_t *before = paid_before(a, r->threshold.aggregate);
    mez_tensor_decimal_t total;
    json_t *o = json_object();
    set_str(ev->ix, o, "name", r->threshold.aggregate);
    set_str(ev->ix, o, "currency", r->threshold.currency);
    set_str(ev->ix, o, "this_payment", a->amount_text);
    if (!before) {
        set_str(ev->ix, o, "judged_on", "this_payment");
        return o;
    }
    set_str(ev->ix, o, "judged_on", "aggregate");
    set_str(ev->ix, o, "paid_before", before->amount_text);
    if (!mez_tensor_decimal_add(&before->amount, &a->amount, &total))
        set_str(ev->ix, o, "including_this_payment", mez_tensor_decimal_format(ev->p, &total));
    return o;
}

/* The earlier payments of the year to the payee under this provision were below the limit when made, so nothing was
 * deducted from them; this payment brings the aggregate to it. The tax on them is not taken from this payment (tax
 * is deducted from the gross "at the time of making the payment", and a payer cannot deduct more than it pays): the
 * payer accounts for it, which the result says, with the amount and the row's law. */
static void not_deducted_before(eval_t *ev, const wht_row_t *r, json_t *agg)
{
    const mez_tensor_money_t *before = paid_before(ev->a, r->threshold.aggregate);
    json_t *o;
    if (!before || !before->amount.coef || limit_met(&before->amount, &r->threshold))
        return;
    set_str(ev->ix, agg, "not_deducted_before", before->amount_text);
    o = tax_reason(ev, "earlier_payments_not_deducted", r);
    set_str(ev->ix, o, "aggregate", r->threshold.aggregate);
    set_str(ev->ix, o, "amount", before->amount_text);
    set_str(ev->ix, o, "currency", before->currency);
    json_object_set_new(o, "threshold", mez_tensor_limit_json(ev->ix, &r->threshold));
    set_str(ev->ix, o, "detail", apr_psprintf(ev->p, "the payments made to this payee earlier in the tax year under s. "
                                              "%s (%s %s in all) were below the threshold when made, so nothing was "
                                              "deducted from them; with this payment the aggregate reaches it. Tax is "
                                              "deducted from this payment's gross amount only: the payer accounts for "
                                              "the tax on the earlier payments", r->section, before->amount_text,
                                              before->currency));
}

/* The withholding rows in force for this payment and payee. Rows of payee class "any" and of the payee's own
 * class are all candidates: a pack lists sub-categories (dividends of an IPP, rice and edible oil among goods)
 * as rows of one payment type, and which one a payment falls under is a fact of the payment, not something to
 * guess. Returns 0 when the evaluation is settled (pending) here. */
static int withholding_candidates(eval_t *ev, const mez_tensor_party_t *payee, const wht_row_t ***out, size_t *n)
{
    const mez_tensor_action_t *a = ev->a;
    const char *cls = mez_entity_class_name(payee->entity_class);
    const apr_array_header_t *rows = apr_hash_get(ev->ix->wht, a->payment_type, APR_HASH_KEY_STRING);
    const wht_row_t **cand = apr_palloc(ev->p, ((rows ? (size_t)rows->nelts : 0) + 1) * sizeof(*cand));
    const apr_array_header_t *named_table = NULL;
    size_t k = 0, unknown_class = 0;
    int selected = 0;

    /* Naming one band of a progressive table names the table: which band applies is the amount's to say, and a
     * caller who named band 3 for an amount in band 4 must not get band 3's tax. */
    for (int i = 0; a->withholding_rule && rows && i < rows->nelts; i++) {
        const wht_row_t *r = APR_ARRAY_IDX(rows, i, const wht_row_t *);
        if (r->table && !strcmp(a->withholding_rule, r->h.id) && pack_applies(r->h.pack, a->jurisdiction))
            named_table = r->table;
    }
    for (int i = 0; rows && i < rows->nelts; i++) {
        const wht_row_t *r = APR_ARRAY_IDX(rows, i, const wht_row_t *);
        if (!pack_applies(r->h.pack, a->jurisdiction) || !in_force(r->h.from, r->h.to, a->day))
            continue;
        if (a->withholding_rule && strcmp(a->withholding_rule, r->h.id) && !(named_table && r->table == named_table))
            continue;
        selected = 1;
        if (!strcmp(r->payee_class, "any") || (cls && !strcmp(r->payee_class, cls)))
            cand[k++] = r;
        else if (!cls)
            unknown_class++;
    }
    if (a->withholding_rule && !selected) {
        json_t *o = tax_reason(ev, "selected_rule_not_applicable", NULL);
        set_str(ev->ix, o, "withholding_rule", a->withholding_rule);
        set_str(ev->ix, o, "payment_type", a->payment_type);
        set_str(ev->ix, o, "detail",
                "the withholding_rule named is not a row of this payment type in force on the date "
                "in this jurisdiction");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (a->withholding_rule && k == 0 && !unknown_class) {
        /* The row named is for payees of another class (a company's row named for an individual): it does not
         * apply, as a row not in force does not; "no rate" would leave the tax to the evidence. */
        json_t *o = tax_reason(ev, "selected_rule_not_applicable", NULL);
        set_str(ev->ix, o, "withholding_rule", a->withholding_rule);
        set_str(ev->ix, o, "payment_type", a->payment_type);
        set_str(ev->ix, o, "payee_class", cls);
        set_str(ev->ix, o, "detail", "the withholding_rule named is a row for payees of another class");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (unknown_class) {
        /* The rate depends on the payee's class and we do not know it: refusing to guess is the only safe
         * answer, since the lower rate would under-withhold. */
        json_t *o = tax_reason(ev, "entity_class_unknown", NULL);
        set_str(ev->ix, o, "payee", a->has_counterparty ? "counterparty" : "subject");
        set_str(ev->ix, o, "payment_type", a->payment_type);
        set_str(ev->ix, o, "detail", "the payee's entity_class decides which withholding row applies");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    *out = cand;
    *n = k;
    return 1;
}

/* Whether a row the action did not name (withholding_rule, or the table of the band named) is in force for this
 * payment and payee and reaches its amount: no threshold, or one it meets (a band of a table without a lower limit
 * always does). A threshold in another currency cannot be judged without an exchange rate, so such a row may apply
 * too. */
static int other_row_reaches(const eval_t *ev, const mez_tensor_party_t *payee, const wht_row_t *named)
{
    const mez_tensor_action_t *a = ev->a;
    const char *cls = mez_entity_class_name(payee->entity_class);
    const apr_array_header_t *rows = apr_hash_get(ev->ix->wht, a->payment_type, APR_HASH_KEY_STRING);
    mez_tensor_decimal_t total;
    for (int i = 0; rows && i < rows->nelts; i++) {
        const wht_row_t *r = APR_ARRAY_IDX(rows, i, const wht_row_t *);
        if (!strcmp(r->h.id, a->withholding_rule) || (named->table && r->table == named->table)
            || !pack_applies(r->h.pack, a->jurisdiction)
            || !in_force(r->h.from, r->h.to, a->day)
            || (strcmp(r->payee_class, "any") && (!cls || strcmp(r->payee_class, cls))))
            continue;
        /* A row whose aggregate is not known (or too large to add up) may reach the amount as well. */
        if (!r->has_threshold || strcmp(r->threshold.currency, a->currency) || reaches(a, r, &total) != REACH_NO)
            return 1;
    }
    return 0;
}

/* Bases that are the gross amount of the payment itself, which is what action.amount states; a rate on any
 * other figure cannot be applied to it without guessing. */
static int basis_is_payment(const char *basis)
{
    static const char *const gross[] = { "gross_amount", "gross_amount_including_sales_tax", "gross_rent",
                                         "gross_sale_value", "gross_export_proceeds", NULL };
    if (!basis)
        return 1;   /* the README's default basis is the gross amount */
    for (const char *const *g = gross; *g; g++)
        if (!strcmp(*g, basis))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ progressive bands */

/* Where a band starts, as an order: a band without a lower limit (no threshold, or only an upper one: "up to
 * Rs 1 million") starts below every other, "at_or_above L" starts at L and "above L" just after L. */
int mez_tensor_band_start_cmp(int has_x, const limit_t *x, int has_y, const limit_t *y)
{
    int lx = !has_x || x->kind == LIMIT_BELOW || x->kind == LIMIT_AT_OR_BELOW;
    int ly = !has_y || y->kind == LIMIT_BELOW || y->kind == LIMIT_AT_OR_BELOW;
    int c;
    if (lx || ly)
        return ly - lx;
    if ((c = mez_tensor_decimal_cmp(&x->amount, &y->amount)) != 0)
        return c;
    return (x->kind == LIMIT_ABOVE) - (y->kind == LIMIT_ABOVE);
}

/* The band of a progressive table an amount falls in: of the table's rows in force whose limit the amount
 * reaches, the one that starts highest. Its upper end is where the next band starts, and the amount does not
 * reach that band, so this is the band whose limits contain the amount; the bands of a table partition the
 * amounts, and no row order is relied on. Where the payee's status is known and the table gives its rate on
 * some rows (one row per status when filer and non_filer differ, each with its own base), only those rows
 * are bands for it. Rows sharing the highest start are all returned: two bands with one start are a fault
 * of the table, reported as rival rules rather than settled by order; with the status unknown one is enough,
 * since the status is asked for next. The rows go to out (room for ncand), their count to *n. */
static void pick_band(const mez_tensor_action_t *a, const wht_row_t *const *cand, size_t ncand,
                      const apr_array_header_t *table, int kind, const wht_row_t **out, size_t *n)
{
    const wht_row_t *best = NULL;
    int has_kind = 0, c;
    size_t i;
    *n = 0;
    for (i = 0; kind >= 0 && i < ncand; i++)
        has_kind |= cand[i]->table == table && cand[i]->has_rate[kind];
    for (i = 0; i < ncand; i++) {
        const wht_row_t *r = cand[i];
        if (r->table != table || (has_kind && !r->has_rate[kind]))
            continue;
        if (r->has_threshold && !limit_met(&a->amount, &r->threshold))
            continue;
        c = best ? mez_tensor_band_start_cmp(r->has_threshold, &r->threshold, best->has_threshold, &best->threshold)
                 : 1;
        if (c > 0) {
            best = r;
            *n = 0;
            out[(*n)++] = r;
        }
        else if (c == 0 && kind >= 0)
            out[(*n)++] = r;
    }
}

/* Whether the row's rate can be applied to action.amount; pending with the reason when not. */
static int basis_applies(eval_t *ev, const wht_row_t *r)
{
    const mez_tensor_action_t *a = ev->a;
    const char *basis = r->basis ? r->basis : "gross_amount";
    json_t *o;
    if (a->amount_basis) {
        if (!strcmp(a->amount_basis, basis))
            return 1;
        o = tax_reason(ev, "basis_not_supported", r);
        set_str(ev->ix, o, "basis", basis);
        set_str(ev->ix, o, "amount_basis", a->amount_basis);
        set_str(ev->ix, o, "detail", "the rate applies to another figure than the one action.amount is (amount_basis)");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (r->table) {
        /* Band limits are on the year's figure (annual salary, the year's rent): one payment's amount would
         * fall in too low a band, so the caller must say that the amount is that figure. */
        o = tax_reason(ev, "amount_basis_required", r);
        set_str(ev->ix, o, "basis", basis);
        set_str(ev->ix, o, "detail",
                "the bands of a progressive table are limits on a figure for the whole tax year: give "
                "that figure as action.amount with action.amount_basis naming the rows' basis");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (!basis_is_payment(r->basis)) {
        tax_pending(ev, "basis_not_supported", r,
                    "the rate applies to a figure other than the gross amount paid (e.g. net of zakat, a customs "
                    "value or a daily total), which the action does not give");
        return 0;
    }
    return 1;
}

void mez_tensor_eval_withholding(eval_t *ev)
{
    const mez_tensor_action_t *a = ev->a;
    const mez_tensor_party_t *payee = a->has_counterparty ? &a->counterparty : &a->subject;
    const char *role = a->has_counterparty ? "counterparty" : "subject";
    const wht_row_t **cand, **met, **unknown, *r;
    size_t ncand, nmet = 0, nunknown = 0, nband, i, j;
    mez_tensor_decimal_t total;
    const mez_tensor_money_t *before;
    int kind, same_pack = 1;
    mez_tensor_decimal_t excess, on_excess, tax;
    json_t *o, *w, *agg = NULL;
    const char *amount;

    if (!a->payment_type || !a->has_amount)
        return;         /* a cross-border transfer without a payment type names no withholding head */
    if (!withholding_candidates(ev, payee, &cand, &ncand))
        return;
    if (ncand == 0) {
        /* Rows for this payment type and payee that are in force on other dates (a rate card that lapsed, or is
         * not yet in force): the law withholds, this zone's packs only lack the card for this date. Said, so that
         * a zone that moves no money while the tax is undecided (MezMode production) can tell this from a payment
         * that no row withholds from at all. */
        const apr_array_header_t *rows = apr_hash_get(ev->ix->wht, a->payment_type, APR_HASH_KEY_STRING);
        const char *cls = mez_entity_class_name(payee->entity_class);
        int lapsed = 0;
        for (int k = 0; rows && k < rows->nelts && !lapsed; k++) {
            const wht_row_t *row = APR_ARRAY_IDX(rows, k, const wht_row_t *);
            lapsed = pack_applies(row->h.pack, a->jurisdiction) && !in_force(row->h.from, row->h.to, a->day)
                     && (!strcmp(row->payee_class, "any") || (cls && !strcmp(row->payee_class, cls)));
        }
        o = tax_reason(ev, "no_withholding_rate", NULL);
        set_str(ev->ix, o, "payment_type", a->payment_type);
        set_str(ev->ix, o, "payee_class", cls);
        set_str(ev->ix, o, "date", a->date);
        set_str(ev->ix, o, "detail", lapsed
                ? "no withholding row of this jurisdiction is in force on this date for this payment type and payee; "
                  "rows for them are in force on other dates (the packs lack the rate card for this date)"
                : "no withholding row of this jurisdiction is in force for this payment type and payee");
        if (lapsed)
            json_object_set_new(o, "in_force_on_other_dates", json_true());
        return;         /* no rule decides it: evidence or pending */
    }
    kind = payee->filer_status == MEZ_FILER_STATUS_FILER ? RATE_FILER
         : payee->filer_status == MEZ_FILER_STATUS_NON_FILER ? RATE_NON_FILER : -1;
    /* Thresholds first: a row whose threshold the amount does not reach does not apply at all, whatever the
     * payee's status, and sukuk rows split on the amount (up to / above Rs 1 million). */
    met = apr_palloc(ev->p, (ncand + 1) * sizeof(*met));
    unknown = apr_palloc(ev->p, (ncand + 1) * sizeof(*unknown));
    for (i = 0; i < ncand; i++) {
        r = cand[i];
        if (r->has_threshold && strcmp(r->threshold.currency, a->currency)) {
            o = tax_reason(ev, "currency_mismatch", r);
            set_str(ev->ix, o, "threshold_currency", r->threshold.currency);
            set_str(ev->ix, o, "currency", a->currency);
            set_str(ev->ix, o, "detail", "the threshold is in another currency and no exchange rate is given");
            decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
            return;
        }
        before = r->has_threshold ? paid_before(a, r->threshold.aggregate) : NULL;
        if (before && strcmp(before->currency, r->threshold.currency)) {
            o = tax_reason(ev, "currency_mismatch", r);
            set_str(ev->ix, o, "aggregate", r->threshold.aggregate);
            set_str(ev->ix, o, "threshold_currency", r->threshold.currency);
            set_str(ev->ix, o, "currency", before->currency);
            set_str(ev->ix, o, "detail", "what was paid before (action.figures) is in another currency than the "
                                         "threshold, and no exchange rate is given");
            decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
            return;
        }
        if (r->table)
            continue;
        switch (reaches(a, r, &total)) {
        case REACH_NO:
            continue;
        case REACH_UNKNOWN:
            unknown[nunknown++] = r;
            continue;
        case REACH_OVERFLOW:
            tax_pending(ev, "amount_out_of_range", r, "what was paid before and this payment add up to more than 18 "
                                                      "digits");
            return;
        case REACH_YES:
            break;
        }
        met[nmet++] = r;
    }
    if (nunknown) {
        /* The limit is on the year's payments to the payee, and this one alone does not reach it: whether it is
         * withheld from depends on what came before, which the action does not say. Judging it on this payment
         * alone is the under-withholding the law's aggregate is there to prevent; so it is not judged. */
        for (i = 0; i < nunknown; i++) {
            o = tax_reason(ev, "aggregate_not_given", unknown[i]);
            set_str(ev->ix, o, "aggregate", unknown[i]->threshold.aggregate);
            json_object_set_new(o, "threshold", mez_tensor_limit_json(ev->ix, &unknown[i]->threshold));
            set_str(ev->ix, o, "this_payment", a->amount_text);
            set_str(ev->ix, o, "detail", apr_psprintf(ev->p, "the threshold of s. %s is on the aggregate paid to the "
                                                      "payee in the tax year, which this payment alone does not "
                                                      "reach: give what the payer already paid this payee in the "
                                                      "tax year under it as action.figures.%s", unknown[i]->section,
                                                      unknown[i]->threshold.aggregate));
        }
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    /* The bands of a progressive table are not rival rules: each table contributes the one band the amount
     * falls in. */
    for (i = 0; i < ncand; i++) {
        if (!cand[i]->table)
            continue;
        for (j = 0; j < i && cand[j]->table != cand[i]->table; j++)
            ;
        if (j < i)
            continue;   /* its table is done */
        pick_band(a, cand, ncand, cand[i]->table, kind, met + nmet, &nband);
        nmet += nband;
    }
    if (nmet == 0 && a->withholding_rule && other_row_reaches(ev, payee, cand[0])) {
        /* The row named does not reach the amount but another row of the payment does: the amount is outside the
         * row named (a return of Rs 5 million under the "up to Rs 1 million" sukuk row, Rs 900,000 under the
         * "exceeding Rs 1 million" one), so that row does not govern the payment. Answering "below the threshold,
         * nothing withheld" would let the payer name its way out of the tax; the row that does apply is not
         * guessed either, as for any named row that does not apply. */
        o = tax_reason(ev, "selected_rule_not_applicable", cand[0]);
        set_str(ev->ix, o, "withholding_rule", a->withholding_rule);
        if (cand[0]->has_threshold)
            json_object_set_new(o, "threshold", mez_tensor_limit_json(ev->ix, &cand[0]->threshold));
        set_str(ev->ix, o, "detail",
                "the amount is outside the threshold of the withholding_rule named, and another row of this payment "
                "type applies to it: name that row, or none");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    if (nmet == 0) {
        for (i = 0; i < ncand; i++) {
            o = tax_reason(ev, "threshold_not_met", cand[i]);
            if (cand[i]->has_threshold)
                json_object_set_new(o, "threshold", mez_tensor_limit_json(ev->ix, &cand[i]->threshold));
            if (cand[i]->has_threshold && cand[i]->threshold.aggregate)
                json_object_set_new(o, "aggregate", aggregate_json(ev, cand[i]));
        }
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_COMPLIANT);
        return;
    }
    if (nmet > 1) {
        /* Rows of one pack are sub-categories the action must choose between (withholding_rule); rows of
         * different packs (a base and an overlay) are a conflict in the law as loaded. Neither is guessed. */
        for (i = 1; i < nmet; i++)
            same_pack &= met[i]->h.pack == met[0]->h.pack;
        o = tax_reason(ev, same_pack ? "ambiguous_rates" : "conflicting_rates", NULL);
        json_object_set_new(o, "rules", rules_json(ev, met, nmet));
        set_str(ev->ix, o, "detail", same_pack ? "several withholding rows apply to this payment; name one in "
                                         "action.withholding_rule"
                                       : "withholding rows of different packs apply to this payment");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    r = met[0];
    if (!basis_applies(ev, r))
        return;
    if (kind < 0) {
        o = tax_reason(ev, "filer_status_unknown", r);
        set_str(ev->ix, o, "payee", role);
        set_str(ev->ix, o, "detail", "the payee's filer_status (Active Taxpayers List) decides the rate");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    if (!r->has_rate[kind]) {
        o = tax_reason(ev, "rate_missing", r);
        set_str(ev->ix, o, "filer_status", mez_filer_status_name(payee->filer_status));
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    /* A band above a limit without its base would tax the whole amount at the marginal rate, far too much. */
    if (r->table && r->has_threshold && !r->has_base
        && (r->threshold.kind == LIMIT_ABOVE || r->threshold.kind == LIMIT_AT_OR_ABOVE)) {
        tax_pending(ev, "base_amount_missing", r,
                    "this band of a progressive table has a lower limit but no base_amount, so the tax on the "
                    "amount up to the limit is not stated");
        return;
    }
    if (!r->has_base)
        amount = mez_tensor_decimal_percent_of(ev->p, &a->amount, &r->rate[kind]);
    else if (mez_tensor_decimal_sub(&a->amount, &r->threshold.amount, &excess)
             || mez_tensor_decimal_percent(&excess, &r->rate[kind], &on_excess)
             || mez_tensor_decimal_add(&r->base, &on_excess, &tax)) {
        tax_pending(ev, "amount_out_of_range", r, "the exact tax does not fit in 18 digits");
        return;
    }
    else
        amount = mez_tensor_decimal_format(ev->p, &tax);
    w = json_object();
    set_str(ev->ix, w, "section", r->section);
    set_str(ev->ix, w, "rate", r->rate_text[kind]);
    set_str(ev->ix, w, "amount", amount);
    set_str(ev->ix, w, "currency", a->currency);
    set_str(ev->ix, w, "base_amount", a->amount_text);
    set_str(ev->ix, w, "basis", r->basis ? r->basis : "gross_amount");
    set_str(ev->ix, w, "filer_status", mez_filer_status_name(payee->filer_status));
    set_str(ev->ix, w, "payee", role);
    set_str(ev->ix, w, "payee_id", payee->id);
    set_str(ev->ix, w, "payee_class", r->payee_class);
    set_str(ev->ix, w, "payment_type", r->payment_type);
    if (r->final_tax >= 0)
        json_object_set_new(w, "final_tax", json_boolean(r->final_tax));
    if (r->has_threshold)
        json_object_set_new(w, "threshold", mez_tensor_limit_json(ev->ix, &r->threshold));
    if (r->has_threshold && r->threshold.aggregate) {
        agg = aggregate_json(ev, r);
        json_object_set_new(w, "aggregate", agg);
        not_deducted_before(ev, r, agg);
    }
    if (r->table) {
        /* base_amount above is the figure taxed (kept for callers of flat rates); the band's own fixed tax is
         * band.base_amount, so the sum can be checked by hand: base_amount + rate % of excess. */
        json_object_set_new(w, "progressive", json_true());
        if (r->has_base) {
            json_t *band = json_object();
            set_str(ev->ix, band, "base_amount", r->base_text);
            set_str(ev->ix, band, "excess", mez_tensor_decimal_format(ev->p, &excess));
            set_str(ev->ix, band, "tax_on_excess", mez_tensor_decimal_format(ev->p, &on_excess));
            json_object_set_new(w, "band", band);
        }
    }
    if (a->withholding_rule)
        json_object_set_new(w, "selected_by_action", json_true());
    mez_tensor_cite(ev, w, &r->h);
    json_array_append_new(ev->withholding, w);

    o = tax_reason(ev, "withholding_applies", r);
    set_str(ev->ix, o, "rate", r->rate_text[kind]);
    set_str(ev->ix, o, "filer_status", mez_filer_status_name(payee->filer_status));
    set_str(ev->ix, o, "amount", amount);
    set_str(ev->ix, o, "currency", a->currency);
    if (a->withholding_rule)
        json_object_set_new(o, "selected_by_action", json_true());
    /* The aggregate's figures again, so that the tax domain's reasons alone say why the row applies. */
    if (agg)
        json_object_set_new(o, "aggregate", json_deep_copy(agg));
    decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_COMPLIANT);
}

apr_array_header_t *mez_tensor_withholding_aggregates(apr_pool_t *p, const mez_tensor_index_t *ix,
                                                      const char *jurisdiction, const char *payment_type,
                                                      const char *date)
{
    apr_array_header_t *out = apr_array_make(p, 1, sizeof(mez_tensor_aggregate_t));
    const apr_array_header_t *rows = payment_type ? apr_hash_get(ix->wht, payment_type, APR_HASH_KEY_STRING) : NULL;
    int32_t day;
    if (!date || mez_tensor_date_parse(date, &day))
        return out;
    for (int i = 0; rows && i < rows->nelts; i++) {
        const wht_row_t *r = APR_ARRAY_IDX(rows, i, const wht_row_t *);
        mez_tensor_aggregate_t *ag;
        int k;
        if (!r->has_threshold || !r->threshold.aggregate || !pack_applies(r->h.pack, jurisdiction)
            || !in_force(r->h.from, r->h.to, day))
            continue;
        for (k = 0; k < out->nelts && strcmp(APR_ARRAY_IDX(out, k, mez_tensor_aggregate_t).name,
                                             r->threshold.aggregate); k++)
            ;
        if (k < out->nelts)
            continue;
        ag = &APR_ARRAY_PUSH(out, mez_tensor_aggregate_t);
        ag->name = r->threshold.aggregate;
        ag->section = r->section;
        ag->currency = r->threshold.currency;
        ag->valid_to = r->h.valid_to;
    }
    return out;
}
