/* tensor_income.c: a tax assessment: each income item taxed by the tax_rates rows of its class that the subject's
 * declared taxpayer classes select, their conditions evidenced, thresholds, portions and bands settled exactly. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <apr_strings.h>
#include "tensor_int.h"

static json_t *income_reason(eval_t *ev, const char *code, const tax_row_t *r, const mez_tensor_money_t *item)
{
    json_t *o = reason(ev, MEZ_DOMAIN_TAX, code);
    if (r) {
        mez_tensor_cite(ev, o, &r->h);
        set_str(ev->ix, o, "tax", r->tax);
        set_str(ev->ix, o, "article", r->article);
        set_str(ev->ix, o, "taxpayer_class", r->taxpayer_class);
    }
    if (item)
        set_str(ev->ix, o, "income_class", item->name);
    return o;
}

static int declared(const mez_tensor_party_t *s, const char *cls)
{
    for (size_t i = 0; i < s->n_taxpayer_classes; i++)
        if (!strcmp(s->taxpayer_classes[i], cls))
            return 1;
    return 0;
}

/* A tax row governs a tax period that starts on or after its valid_from and ends before its valid_to (the UAE
 * rule for corporate tax, and the plain one for a row in force on a date when the period is that date). */
static int in_force_for_period(const row_head_t *h, const mez_tensor_action_t *a)
{
    return h->from <= a->period_from && (h->to == 0 || a->period_to < h->to);
}


/* A row's conditions are obligations the taxpayer must meet for the row to apply: a declared class is only a
 * claim, so each must be evidenced. Lists those that are not, and returns 0 if any. */
static int conditions_hold(eval_t *ev, const tax_row_t *r, const mez_tensor_money_t *item)
{
    json_t *missing = NULL;
    for (size_t i = 0; i < r->n_conditions; i++) {
        const condition_t *c = &r->conditions[i];
        json_t *o;
        if (mez_tensor_evidenced(ev->a, r->h.pack->domain, c->id, ev->as_of))
            continue;
        if (!missing)
            missing = json_array();
        o = json_object();
        set_str(ev->ix, o, "obligation", c->id);
        mez_tensor_cite_rule(ev->ix, o, r->h.pack, c->rule);
        set_str(ev->ix, o, "description", c->description);
        if (c->source)
            json_object_set_new(o, "source", mez_tensor_source_json(ev, c->source));
        mez_tensor_deadline(ev, o, c->id, r->h.pack);
        json_array_append_new(missing, o);
    }
    if (missing) {
        json_t *o = income_reason(ev, "condition_not_evidenced", r, item);
        json_object_set_new(o, "conditions", missing);
        set_str(ev->ix, o, "evidence_domain", r->h.pack->domain_name);
        set_str(ev->ix, o, "detail",
                "the row applies only where these obligations hold: give an attestation naming each in "
                "its obligations, under the evidence of this domain");
        return 0;
    }
    return 1;
}

/* The figure a threshold is measured on: an income item of that class, else a named figure. */
static const mez_tensor_money_t *measured(const mez_tensor_action_t *a, const char *measure)
{
    for (size_t i = 0; i < a->n_income; i++)
        if (!strcmp(a->income[i].name, measure))
            return &a->income[i];
    for (size_t i = 0; i < a->n_figures; i++)
        if (!strcmp(a->figures[i].name, measure))
            return &a->figures[i];
    return NULL;
}

static int is_portion(const tax_row_t *r)
{
    return r->basis && !strcmp(r->basis, "taxable_income_portion");
}

/* The bases a rate is applied to that an income item states: the item itself, or the part of it on one side of
 * the threshold. Any other is not computed from what the action gives. */
static int known_tax_basis(const tax_row_t *r)
{
    return r->exempt || !strcmp(r->basis, "taxable_income") || !strcmp(r->basis, "gross_amount") || is_portion(r);
}

typedef struct {
    const tax_row_t *row;
    mez_tensor_decimal_t taxable;   /* what the rate multiplies: the income, its portion, or a band's excess */
    mez_tensor_decimal_t tax;
} applied_t;

static json_t *tax_rules_json(const eval_t *ev, const applied_t *ap, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        mez_tensor_cite(ev, o, &ap[i].row->h);
        set_str(ev->ix, o, "article", ap[i].row->article);
        set_str(ev->ix, o, "taxpayer_class", ap[i].row->taxpayer_class);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *tax_limit_json(const eval_t *ev, const tax_row_t *r)
{
    json_t *t = mez_tensor_limit_json(ev->ix, &r->threshold);
    set_str(ev->ix, t, "measure", r->measure);
    return t;
}

/* Pending for the item, naming the rows: the income is taxed, but not in a way this evaluation can settle. */
static void income_pending(eval_t *ev, const char *code, const applied_t *ap, size_t n,
                           const mez_tensor_money_t *item, const char *detail)
{
    json_t *o = income_reason(ev, code, NULL, item);
    json_object_set_new(o, "rules", tax_rules_json(ev, ap, n));
    set_str(ev->ix, o, "detail", detail);
    decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
}

/* Which rows of one scheme tax the item, and on what: a row on the portion of income on one side of a limit
 * taxes that portion, and such rows together must cover the income exactly; otherwise the rows are bands (the
 * one the income falls in applies, with its base and its rate on the excess) or a single rate on the whole
 * income. Returns the number of rows that tax it (moved to the front of ap), 0 when pending. */
static size_t settle_scheme(eval_t *ev, applied_t *ap, size_t n, const mez_tensor_money_t *item)
{
    size_t portions = 0, i, best = 0, ties = 0;
    mez_tensor_decimal_t covered = { 0, 0 };
    for (i = 0; i < n; i++)
        portions += is_portion(ap[i].row);
    if (portions && portions != n) {
        income_pending(ev, "ambiguous_tax_rates", ap, n, item,
                       "rows taxing a portion of the income and rows taxing all of it apply together");
        return 0;
    }
    if (portions) {
        for (i = 0; i < n; i++)
            if (mez_tensor_decimal_add(&covered, &ap[i].taxable, &covered)) {
                income_pending(ev, "amount_out_of_range", ap, n, item, "the exact tax does not fit in 18 digits");
                return 0;
            }
        /* Portions that overlap or leave a gap would tax some income twice or not at all. */
        if (mez_tensor_decimal_cmp(&covered, &item->amount)) {
            income_pending(ev, "portions_do_not_cover", ap, n, item,
                           "the portions of the rows in force do not add up to the income");
            return 0;
        }
        return n;
    }
    for (i = 1; i < n; i++) {
        int c = mez_tensor_band_start_cmp(ap[i].row->has_threshold, &ap[i].row->threshold, ap[best].row->has_threshold,
                               &ap[best].row->threshold);
        if (c > 0) {
            best = i;
            ties = 0;
        }
        else if (c == 0)
            ties++;
    }
    if (ties) {
        income_pending(ev, "ambiguous_tax_rates", ap, n, item, "several rows apply to this income and none is a "
                                                                "band above the others");
        return 0;
    }
    ap[0] = ap[best];
    if (ap[0].row->has_base && mez_tensor_decimal_sub(&item->amount, &ap[0].row->threshold.amount, &ap[0].taxable)) {
        income_pending(ev, "amount_out_of_range", ap, 1, item, "the income is below the band's limit");
        return 0;
    }
    return 1;
}

static void assess_income(eval_t *ev, const mez_tensor_money_t *item)
{
    const mez_tensor_action_t *a = ev->a;
    const apr_array_header_t *rows = apr_hash_get(ev->ix->tax_rates, apr_pstrcat(ev->p, a->tax, "/", item->name, NULL),
                                                  APR_HASH_KEY_STRING);
    applied_t *ap = apr_pcalloc(ev->p, ((rows ? (size_t)rows->nelts : 0) + 1) * sizeof(*ap));
    mez_tensor_decimal_t total = { 0, 0 };
    size_t n = 0, blocked = 0, i, k;
    int same_pack = 1, rival = 0, all_exempt = 1;
    json_t *o, *rules;

    for (int ri = 0; rows && ri < rows->nelts; ri++) {
        const tax_row_t *r = APR_ARRAY_IDX(rows, ri, const tax_row_t *);
        const mez_tensor_money_t *m;
        const char *excluded = NULL;
        if (!pack_applies(r->h.pack, a->jurisdiction) || !in_force_for_period(&r->h, a))
            continue;
        if (strcmp(r->taxpayer_class, "any") && !declared(&a->subject, r->taxpayer_class))
            continue;   /* a row for another class of taxpayer */
        for (k = 0; k < r->n_excludes && !excluded; k++)
            if (declared(&a->subject, r->excludes[k]))
                excluded = r->excludes[k];
        if (excluded) {
            o = income_reason(ev, "taxpayer_class_excluded", r, item);
            set_str(ev->ix, o, "excluded_class", excluded);
            continue;
        }
        if (!conditions_hold(ev, r, item)) {
            blocked++;
            continue;
        }
        if (!known_tax_basis(r)) {
            o = income_reason(ev, "basis_not_supported", r, item);
            set_str(ev->ix, o, "basis", r->basis);
            set_str(ev->ix, o, "detail", "the rate applies to a figure the income item does not state");
            blocked++;
            continue;
        }
        ap[n].row = r;
        ap[n].taxable = item->amount;
        if (r->has_threshold) {
            if (!(m = measured(a, r->measure))) {
                o = income_reason(ev, "measure_not_given", r, item);
                set_str(ev->ix, o, "measure", r->measure);
                set_str(ev->ix, o, "detail", "the row's threshold is measured on a figure the action does not give (an "
                                             "income class or action.figures)");
                blocked++;
                continue;
            }
            if (strcmp(m->currency, r->threshold.currency)) {
                o = income_reason(ev, "currency_mismatch", r, item);
                set_str(ev->ix, o, "threshold_currency", r->threshold.currency);
                set_str(ev->ix, o, "currency", m->currency);
                set_str(ev->ix, o, "detail", "the threshold is in another currency and no exchange rate is given");
                blocked++;
                continue;
            }
            /* A portion, or a band's excess, is of the income itself: a limit on another figure cannot cut it. */
            if ((is_portion(r) || r->has_base) && m != item) {
                o = income_reason(ev, "basis_not_supported", r, item);
                set_str(ev->ix, o, "measure", r->measure);
                set_str(ev->ix, o, "detail", "the row taxes part of the income by a limit measured on another figure");
                blocked++;
                continue;
            }
            if (is_portion(r)) {
                if (r->threshold.kind == LIMIT_ABOVE || r->threshold.kind == LIMIT_AT_OR_ABOVE) {
                    if (mez_tensor_decimal_sub(&item->amount, &r->threshold.amount, &ap[n].taxable))
                        ap[n].taxable = (mez_tensor_decimal_t){ 0, 0 };
                }
                else if (mez_tensor_decimal_cmp(&item->amount, &r->threshold.amount) > 0)
                    ap[n].taxable = r->threshold.amount;
            }
            else if (!limit_met(&m->amount, &r->threshold)) {
                o = income_reason(ev, "threshold_not_met", r, item);
                json_object_set_new(o, "threshold", tax_limit_json(ev, r));
                set_str(ev->ix, o, "measured", m->amount_text);
                continue;
            }
        }
        n++;
    }
    /* A row that may apply but cannot be settled leaves the whole item open: taxing it by the other rows alone
     * could be the wrong tax. The reasons above say what is missing. */
    if (blocked) {
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    if (n == 0) {
        /* An item no row taxes leaves the assessment undecided, whatever the other items say: they tax what they
         * are, not this income, and evidence cannot say what tax it owes. Left to combine() as "no rule decides",
         * it was hidden by the others (taxable_income taxed, a misspelt "taxable_incme" of fifty times as much
         * ignored: compliant). Pending rather than refused as an unknown class: the evaluator answers for the law
         * as loaded, and a class no row names may be income the packs do not cover as well as a misspelling (an
         * unknown payment type is likewise no rate, not a refusal); the reason says which, so a misspelling shows. */
        int named = 0;
        for (int ri = 0; rows && ri < rows->nelts && !named; ri++)
            named = pack_applies(APR_ARRAY_IDX(rows, ri, const tax_row_t *)->h.pack, a->jurisdiction);
        o = income_reason(ev, "no_tax_rate", NULL, item);
        set_str(ev->ix, o, "tax", a->tax);
        set_str(ev->ix, o, "income", item->amount_text);
        set_str(ev->ix, o, "currency", item->currency);
        set_str(ev->ix, o, "detail", named ? "no tax row of this jurisdiction in force for the period applies to this "
                                             "income and the classes the subject declares"
                                           : "no tax row of this jurisdiction names this income class (for this tax): "
                                             "check its spelling against the rows' income_class");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    /* One scheme taxes an item: the rows of one pack for one taxpayer class. Rows of several (a small business
     * relief elector who also declares taxable_person) are alternatives the pack does not rank. */
    for (i = 1; i < n; i++) {
        same_pack &= ap[i].row->h.pack == ap[0].row->h.pack;
        rival |= ap[i].row->h.pack != ap[0].row->h.pack || strcmp(ap[i].row->taxpayer_class, ap[0].row->taxpayer_class);
    }
    if (rival) {
        income_pending(ev, same_pack ? "ambiguous_tax_rates" : "conflicting_tax_rates", ap, n, item,
                       same_pack ? "rows for several declared taxpayer classes apply to this income and the pack does "
                                   "not say which prevails: declare only the classes that govern this assessment"
                                 : "tax rows of different packs apply to this income");
        return;
    }
    if ((n = settle_scheme(ev, ap, n, item)) == 0)
        return;
    for (i = 0; i < n; i++) {
        const tax_row_t *r = ap[i].row;
        if (r->exempt)
            ap[i].tax = (mez_tensor_decimal_t){ 0, 0 };
        else if (mez_tensor_decimal_percent(&ap[i].taxable, &r->rate, &ap[i].tax)
                 || (r->has_base && mez_tensor_decimal_add(&r->base, &ap[i].tax, &ap[i].tax))
                 || mez_tensor_decimal_add(&total, &ap[i].tax, &total)) {
            income_pending(ev, "amount_out_of_range", ap, n, item, "the exact tax does not fit in 18 digits");
            return;
        }
    }
    rules = json_array();
    for (i = 0; i < n; i++) {
        const tax_row_t *r = ap[i].row;
        json_t *e;
        /* Income that does not pass a portion row's lower limit leaves that row nothing to tax. */
        if (is_portion(r) && ap[i].taxable.coef == 0 && r->has_threshold
            && (r->threshold.kind == LIMIT_ABOVE || r->threshold.kind == LIMIT_AT_OR_ABOVE)) {
            o = income_reason(ev, "threshold_not_met", r, item);
            json_object_set_new(o, "threshold", tax_limit_json(ev, r));
            set_str(ev->ix, o, "measured", item->amount_text);
            continue;
        }
        all_exempt &= r->exempt;
        e = json_object();
        set_str(ev->ix, e, "tax", r->tax);
        set_str(ev->ix, e, "article", r->article);
        set_str(ev->ix, e, "taxpayer_class", r->taxpayer_class);
        set_str(ev->ix, e, "income_class", r->income_class);
        if (r->exempt)
            json_object_set_new(e, "exempt", json_true());
        else {
            set_str(ev->ix, e, "rate", r->rate_text);
            set_str(ev->ix, e, "basis", r->basis);
        }
        set_str(ev->ix, e, "amount", mez_tensor_decimal_format(ev->p, &ap[i].tax));
        set_str(ev->ix, e, "currency", item->currency);
        set_str(ev->ix, e, "income", item->amount_text);
        if (!r->exempt)
            set_str(ev->ix, e, "taxable_amount", mez_tensor_decimal_format(ev->p, &ap[i].taxable));
        if (r->has_base)
            set_str(ev->ix, e, "base_amount", r->base_text);
        if (r->has_threshold)
            json_object_set_new(e, "threshold", tax_limit_json(ev, r));
        mez_tensor_cite(ev, e, &r->h);
        json_array_append_new(ev->income_tax, e);
        append_str(ev->ix, rules, r->h.rule);
    }
    o = income_reason(ev, "income_tax_assessed", NULL, item);
    set_str(ev->ix, o, "tax", a->tax);
    set_str(ev->ix, o, "income", item->amount_text);
    set_str(ev->ix, o, "amount", mez_tensor_decimal_format(ev->p, &total));
    set_str(ev->ix, o, "currency", item->currency);
    json_object_set_new(o, "rules", rules);
    /* An exemption is the law's, and the lattice has a state for it; a 0 % rate is not one. */
    decide(ev, MEZ_DOMAIN_TAX, all_exempt ? MEZ_STATE_EXEMPT : MEZ_STATE_COMPLIANT);
}

void mez_tensor_eval_income_tax(eval_t *ev)
{
    if (ev->a->type != MEZ_ACTION_TAX_ASSESSMENT)
        return;
    for (size_t i = 0; i < ev->a->n_income; i++)
        assess_income(ev, &ev->a->income[i]);
}

/* ------------------------------------------------------------------ thresholds on the entity's figures */

/* The row's limit as the result shows it: the money amount, what it is measured on, and the percentage beside it. */
static json_t *measured_limit_json(const eval_t *ev, const threshold_row_t *r)
{
    json_t *t = mez_tensor_limit_json(ev->ix, &r->limit);
    set_str(ev->ix, t, "measure", r->measure);
    if (r->has_percent) {
        json_t *pc = json_object();
        set_str(ev->ix, pc, "rate", r->percent_text);
        set_str(ev->ix, pc, "of", r->percent_of);
        json_object_set_new(t, "percent", pc);
        set_str(ev->ix, t, "combine", r->higher_of ? "higher_of" : "lower_of");
    }
    return t;
}

static json_t *measured_reason(eval_t *ev, mez_domain_t d, const char *code, const threshold_row_t *r)
{
    json_t *o = reason(ev, d, code);
    set_str(ev->ix, o, "obligation", r->obligation);
    json_object_set_new(o, "threshold", measured_limit_json(ev, r));
    mez_tensor_cite(ev, o, &r->h);
    if (r->unchecked)
        json_object_set_new(o, "unchecked_conditions", mez_tensor_copy_value(ev->ix, r->unchecked));
    return o;
}

void mez_tensor_eval_measured_thresholds(eval_t *ev, mez_domain_t d)
{
    const mez_tensor_action_t *a = ev->a;
    const apr_array_header_t *rows = ev->ix->thresholds_measured[d];
    for (int i = 0; rows && i < rows->nelts; i++) {
        const threshold_row_t *r = APR_ARRAY_IDX(rows, i, const threshold_row_t *);
        const mez_tensor_money_t *m, *of = NULL;
        limit_t lim;
        const char *cls;
        int binds;
        json_t *o;
        if (!pack_applies(r->h.pack, a->jurisdiction) || !in_force(r->h.from, r->h.to, a->day))
            continue;
        /* A limit on the figures of a class of person the taxpayer is not (applies_to) is not its limit. */
        if (!(binds = mez_tensor_threshold_binds(ev, r, &cls))) {
            mez_tensor_threshold_classes(ev, measured_reason(ev, d, "threshold_class_not_bound", r), r, 0, NULL);
            continue;
        }
        m = measured(a, r->measure);
        if (r->has_percent)
            of = measured(a, r->percent_of);
        /* A payment's amount is not the entity's revenue: without the figure the limit is neither met nor not
         * met. The row decides nothing (it neither opens its obligation nor clears it: whom it binds, a free zone
         * person for a de minimis rule, is not a fact the evaluator has) and says so; the domain is what its
         * other rules decide, pending when none does. */
        if (!m || (r->has_percent && !of)) {
            o = measured_reason(ev, d, "measure_not_given", r);
            set_str(ev->ix, o, "measure", !m ? r->measure : r->percent_of);
            set_str(ev->ix, o, "detail", "the limit is measured on a figure of the entity that the action does not "
                                         "give (action.figures), never on the action's amount: not decided");
            continue;
        }
        if (strcmp(m->currency, r->limit.currency) || (of && strcmp(of->currency, r->limit.currency))) {
            o = measured_reason(ev, d, "currency_mismatch", r);
            set_str(ev->ix, o, "threshold_currency", r->limit.currency);
            set_str(ev->ix, o, "currency", strcmp(m->currency, r->limit.currency) ? m->currency : of->currency);
            set_str(ev->ix, o, "detail", "the threshold is in another currency and no exchange rate is given");
            decide(ev, d, MEZ_STATE_PENDING);
            continue;
        }
        lim = r->limit;
        if (of) {
            mez_tensor_decimal_t pv;
            if (mez_tensor_decimal_percent(&of->amount, &r->percent, &pv)) {
                o = measured_reason(ev, d, "basis_not_supported", r);
                set_str(ev->ix, o, "detail", "the percentage of the figure has more digits than the evaluator keeps");
                decide(ev, d, MEZ_STATE_PENDING);
                continue;
            }
            if (r->higher_of ? mez_tensor_decimal_cmp(&pv, &lim.amount) > 0
                             : mez_tensor_decimal_cmp(&pv, &lim.amount) < 0)
                lim.amount = pv;
        }
        o = measured_reason(ev, d, limit_met(&m->amount, &lim) ? "threshold_met" : "threshold_not_met", r);
        if (limit_met(&m->amount, &lim))
            mez_tensor_threshold_classes(ev, o, r, binds, cls);
        set_str(ev->ix, o, "measured", m->amount_text);
        if (of)
            set_str(ev->ix, o, "limit_applied", mez_tensor_decimal_format(ev->p, &lim.amount));
        if (limit_met(&m->amount, &lim)) {
            ev->cell[d].obligations++;
            mez_tensor_deadline(ev, o, r->obligation_id, r->h.pack);
        }
    }
}
