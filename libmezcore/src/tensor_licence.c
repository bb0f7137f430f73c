/* tensor_licence.c: a licence application decided by the requirements of the licence type applied for (each
 * evidenced, a stated capital below a minimum failing it), with the type's fees. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include "tensor_int.h"

static json_t *money_json(const eval_t *ev, const pack_money_t *m)
{
    return mez_tensor_copy_value(ev->ix, m->json);
}

static json_t *licence_reason(eval_t *ev, const char *code, const licence_t *l, const row_head_t *h)
{
    json_t *o = reason(ev, MEZ_DOMAIN_LICENSING, code);
    mez_tensor_cite(ev, o, h);
    set_str(ev->ix, o, "licence_type", l->h.id);
    return o;
}

/* Whether the capital the applicant states is below a requirement's minimum. Only a decimal minimum in the
 * capital's own currency is compared: the packs carry no exchange rates and no currency's minor unit. */
static int capital_below(const mez_tensor_action_t *a, const requirement_t *r)
{
    return r->has_amount && r->amount.has_decimal && a->subject.has_capital
           && !strcmp(a->subject.capital.currency, r->amount.currency)
           && mez_tensor_decimal_cmp(&a->subject.capital.amount, &r->amount.amount) < 0;
}

static void eval_requirement(eval_t *ev, const licence_t *l, const requirement_t *r)
{
    const mez_tensor_action_t *a = ev->a;
    int below = capital_below(a, r);
    int attested = mez_tensor_evidenced(a, MEZ_DOMAIN_LICENSING, r->id, ev->as_of);
    json_t *o = licence_reason(ev, below ? "requirement_not_met" : attested ? "requirement_evidenced"
                                                                             : "requirement_unevidenced", l, &r->h);
    set_str(ev->ix, o, "requirement", r->id);
    set_str(ev->ix, o, "description", r->description);
    if (r->has_count)
        json_object_set_new(o, "count", json_integer(r->count));
    if (r->has_amount)
        json_object_set_new(o, "amount", money_json(ev, &r->amount));
    if (r->has_amount && a->subject.has_capital) {
        json_t *cap = json_object();
        set_str(ev->ix, cap, "amount", a->subject.capital.amount_text);
        set_str(ev->ix, cap, "currency", a->subject.capital.currency);
        json_object_set_new(o, "capital", cap);
        if (!below && (!r->amount.has_decimal || strcmp(a->subject.capital.currency, r->amount.currency)))
            set_str(ev->ix, o, "capital_not_compared",
                    "the minimum is not a decimal amount in the capital's currency, and "
                    "the packs carry no exchange rate or minor unit to convert with");
    }
    if (below) {
        set_str(ev->ix, o, "detail", "the capital the subject states is below this requirement's minimum");
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_NON_COMPLIANT);
    } else if (attested) {
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_COMPLIANT);
    } else {
        set_str(ev->ix, o, "detail", "give an attestation naming this requirement id in its obligations, under the "
                                     "evidence of the licensing domain");
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_PENDING);
    }
}

static json_t *sum_json(apr_pool_t *p, const mez_tensor_decimal_t *d, const char *currency)
{
    json_t *o = json_object();
    set_str(NULL, o, "amount", mez_tensor_decimal_format(p, d));
    set_str(NULL, o, "currency", currency);
    return o;
}

/* A scaled fee for the stated capital, exactly: the base amount, plus for each band the units of `per` (a part
 * counting as a whole, counted within the band) between the band's lower end and the lesser of the capital and
 * its up_to, at the band's amount; then the cap. 0, or -1 when a figure does not fit the decimal arithmetic. */
static int scaled_fee(apr_pool_t *p, const fee_t *f, const mez_tensor_decimal_t *capital, mez_tensor_decimal_t *total,
                      json_t *parts, int *capped)
{
    const fee_scale_t *sc = f->scale;
    mez_tensor_decimal_t lo = sc->included, hi, span, part;
    *total = f->amount.amount;
    *capped = 0;
    for (size_t i = 0; i < sc->n_bands && mez_tensor_decimal_cmp(capital, &lo) > 0; i++) {
        const fee_band_t *band = &sc->bands[i];
        uint64_t units;
        json_t *o;
        hi = band->open || mez_tensor_decimal_cmp(capital, &band->up_to) < 0 ? *capital : band->up_to;
        if (mez_tensor_decimal_sub(&hi, &lo, &span) || mez_tensor_decimal_units(&span, &sc->per, &units)
            || mez_tensor_decimal_times(&band->amount, units, &part) || mez_tensor_decimal_add(total, &part, total))
            return -1;
        o = json_object();
        set_str(NULL, o, "from", mez_tensor_decimal_format(p, &lo));
        set_str(NULL, o, "to", mez_tensor_decimal_format(p, &hi));
        json_object_set_new(o, "units", json_integer((json_int_t)units));
        set_str(NULL, o, "per_unit", mez_tensor_decimal_format(p, &band->amount));
        set_str(NULL, o, "subtotal", mez_tensor_decimal_format(p, &part));
        json_array_append_new(parts, o);
        if (band->open)
            break;
        lo = band->up_to;
    }
    if (sc->has_max && mez_tensor_decimal_cmp(total, &sc->max) > 0) {
        *total = sc->max;
        *capped = 1;
    }
    return 0;
}

/* The amount of a fee that grows with the capital, into o: computed for the subject's stated capital where it can
 * be, else the base amount with the reason it is only that. */
static void scaled_fee_json(eval_t *ev, const fee_t *f, json_t *o)
{
    const mez_tensor_party_t *s = &ev->a->subject;
    json_t *sc = json_object(), *parts = json_array();
    mez_tensor_decimal_t total;
    int capped;
    set_str(ev->ix, sc, "basis", "capital");
    set_str(ev->ix, sc, "included", mez_tensor_decimal_format(ev->p, &f->scale->included));
    set_str(ev->ix, sc, "per", mez_tensor_decimal_format(ev->p, &f->scale->per));
    json_object_set_new(o, "base_amount", money_json(ev, &f->amount));
    if (!s->has_capital || strcmp(s->capital.currency, f->amount.currency)
        || scaled_fee(ev->p, f, &s->capital.amount, &total, parts, &capped)) {
        json_decref(parts);
        json_object_set_new(o, "amount", money_json(ev, &f->amount));
        json_object_set_new(sc, "computed", json_false());
        set_str(ev->ix, sc, "detail", !s->has_capital
                ? "the fee grows with the capital: the amount is the base, for capital up to 'included'; state the "
                  "subject's capital to have it computed"
                : strcmp(s->capital.currency, f->amount.currency)
                ? "the capital is stated in another currency than the fee's, and the packs carry no exchange rate"
                : "the capital is beyond what the fee arithmetic can compute exactly");
        json_object_set_new(o, "scale", sc);
        return;
    }
    json_object_set_new(o, "amount", sum_json(ev->p, &total, f->amount.currency));
    json_object_set_new(sc, "computed", json_true());
    set_str(ev->ix, sc, "capital", s->capital.amount_text);
    json_object_set_new(sc, "bands", parts);
    if (f->scale->has_max)
        set_str(ev->ix, sc, "max", mez_tensor_decimal_format(ev->p, &f->scale->max));
    json_object_set_new(sc, "capped", json_boolean(capped));
    json_object_set_new(o, "scale", sc);
}

static void licence_fees(eval_t *ev, const licence_t *l)
{
    for (size_t i = 0; i < l->n_fees; i++) {
        const fee_t *f = &l->fees[i];
        const json_t *v;
        json_t *o;
        /* A fee is the one in force on the action's date: schedules change, as rates do. */
        if (!in_force(f->h.from, f->h.to, ev->a->day))
            continue;
        o = json_object();
        mez_tensor_cite(ev, o, &f->h);
        set_str(ev->ix, o, "licence_type", l->h.id);
        set_str(ev->ix, o, "id", f->id);
        if (f->scale)
            scaled_fee_json(ev, f, o);
        else
            json_object_set_new(o, "amount", money_json(ev, &f->amount));
        if ((v = json_object_get(f->h.row, "fee_type")) != NULL)
            set_str(ev->ix, o, "fee_type", json_string_value(v));
        if ((v = json_object_get(f->h.row, "filing")) != NULL)
            set_str(ev->ix, o, "filing", json_string_value(v));
        if ((v = json_object_get(f->h.row, "description")) != NULL)
            set_str(ev->ix, o, "description", json_string_value(v));
        json_array_append_new(ev->fees, o);
    }
}

/* A licence application is decided by the requirements of the licence type applied for: each must be
 * evidenced, since the applicant's word is not proof, and a minimum its own stated capital misses fails it. */
void mez_tensor_eval_licensing(eval_t *ev)
{
    for (int i = 0; ev->licences && i < ev->licences->nelts; i++) {
        const licence_t *l = APR_ARRAY_IDX(ev->licences, i, const licence_t *);
        size_t in_force_reqs = 0;
        json_t *o;
        if (!in_force(l->h.from, l->h.to, ev->a->day)) {
            o = licence_reason(ev, "licence_type_not_in_force", l, &l->h);
            set_str(ev->ix, o, "detail", "the licence type was not available on the action's date");
            decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_NON_COMPLIANT);
            continue;
        }
        o = licence_reason(ev, "licence_type", l, &l->h);
        set_str(ev->ix, o, "name", l->name);
        set_str(ev->ix, o, "regulator", l->regulator);
        for (size_t k = 0; k < l->n_reqs; k++) {
            if (!in_force(l->reqs[k].h.from, l->reqs[k].h.to, ev->a->day))
                continue;
            eval_requirement(ev, l, &l->reqs[k]);
            in_force_reqs++;
        }
        /* No requirement encoded is not "no requirement": the domain is left to the evidence, as before. */
        if (!in_force_reqs)
            set_str(ev->ix, o, "detail", "the pack states no requirement in force for this licence type on this date");
        licence_fees(ev, l);
    }
}

int mez_tensor_licence_terms(const mez_tensor_index_t *ix, const char *jurisdiction, const char *type,
                             const char *date, mez_tensor_licence_terms_t *out)
{
    const apr_array_header_t *all = type ? apr_hash_get(ix->licences, type, APR_HASH_KEY_STRING) : NULL;
    int32_t day;
    int found = 0;
    memset(out, 0, sizeof(*out));
    if (!all || !jurisdiction || !date || mez_tensor_date_parse(date, &day))
        return -1;
    for (int i = 0; i < all->nelts; i++) {
        const licence_t *l = APR_ARRAY_IDX(all, i, const licence_t *);
        if (!pack_applies(l->h.pack, jurisdiction) || !in_force(l->h.from, l->h.to, day))
            continue;
        /* The strictest of several: a fixed term beats none, a shorter one a longer. */
        if (!found++ || (l->validity_years && (!out->validity_years || l->validity_years < out->validity_years))) {
            out->rule = l->h.rule;
            out->pack_digest = l->h.pack->digest;
            out->validity_years = l->validity_years;
        }
        if (l->has_renewal && (!out->has_renewal || l->lead_days > out->lead_days)) {
            out->has_renewal = 1;
            out->lead_days = l->lead_days;
        }
    }
    return found ? 0 : -1;
}
