/* tensor_index.c: the evaluator's read-only index, built once from a zone's regpacks and licensepacks: rows keyed
 * by what an action names (payment type, tax and income class, currency, licence type id) and list names by
 * token, so an evaluation costs what applies to it. Only what the evaluator reads is checked here. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <stdarg.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "tensor_int.h"

/* ------------------------------------------------------------------ building */

typedef struct {
    apr_pool_t *p;
    mez_tensor_index_t *ix;
    pack_t *pack;
    apr_hash_t *ids;              /* row, list and entry ids already used in this pack */
    size_t seq;
    mez_problem_t *pb;
} build_t;

static mez_status_t bad(build_t *b, const char *code, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Pointers are into the pack document; the detail names the pack, since a zone loads several. */
static mez_status_t bad(build_t *b, const char *code, const char *pointer, const char *fmt, ...)
{
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(b->p, fmt, ap);
    va_end(ap);
    return mez_problem(b->pb, b->p, MEZ_EINVAL, 422, code, pointer, "pack %s: %s",
                       b->pack->id ? b->pack->id : apr_psprintf(b->p, "#%" APR_SIZE_T_FMT, b->pack->ordinal), msg);
}

static mez_status_t str_field(build_t *b, const json_t *o, const char *ptr, const char *name, int required,
                              const char **out)
{
    const json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v) {
        if (required)
            return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, name), "%s is required", name);
        return MEZ_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, name), "%s must be a non-empty string",
                   name);
    *out = mez_tensor_intern(b->ix->frozen, json_string_value(v));
    return MEZ_OK;
}

static mez_status_t date_field(build_t *b, const json_t *o, const char *ptr, const char *name, int required,
                               const char **text, int32_t *day)
{
    mez_status_t rv = str_field(b, o, ptr, name, required, text);
    *day = 0;
    if (rv != MEZ_OK || !*text)
        return rv;
    if (mez_tensor_date_parse(*text, day))
        return bad(b, "tensor.pack.invalid_date", mez_pointer_join(b->p, ptr, name),
                   "%s is '%s', not a date YYYY-MM-DD (a YAML date must be quoted)", name, *text);
    return MEZ_OK;
}

static int is_currency(const char *c)
{
    return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' && c[2] <= 'Z';
}

static mez_status_t limit_field(build_t *b, const json_t *o, const char *ptr, limit_t *l)
{
    static const char *const kinds[] = { "above", "at_or_above", "below", "at_or_below" };
    const json_t *v = json_object_get(o, "amount");
    size_t k;
    mez_status_t rv;
    if (!json_is_string(v) || mez_tensor_decimal_parse(json_string_value(v), &l->amount))
        return bad(b, "tensor.pack.invalid_amount", mez_pointer_join(b->p, ptr, "amount"),
                   "an amount is a decimal string (\"75000\"), never a YAML or JSON number");
    l->text = mez_tensor_intern(b->ix->frozen, json_string_value(v));
    if ((rv = str_field(b, o, ptr, "currency", 1, &l->currency)) != MEZ_OK)
        return rv;
    if (!is_currency(l->currency))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "currency"),
                   "currency '%s' is not an ISO 4217 code", l->currency);
    if ((rv = str_field(b, o, ptr, "applies", 1, &l->applies)) != MEZ_OK)
        return rv;
    /* No default: whether a limit is inclusive is the law's choice, and guessing it flips edge cases. */
    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k], l->applies); k++)
        ;
    if (k == sizeof(kinds) / sizeof(kinds[0]))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "applies"),
                   "applies is above, at_or_above, below or at_or_below");
    l->kind = (limit_kind_t)k;
    return MEZ_OK;
}

/* threshold.aggregate of a withholding row: the limit is on the aggregate paid to the payee in the tax year, named
 * by the figure an action gives for what was paid before (action.figures). A lower limit only: "except where the
 * payment is less than Rs 30,000 in aggregate" (s. 153(1)(b)); and never a band's, whose limits are on the figure
 * its basis names. */
static mez_status_t aggregate_field(build_t *b, const json_t *thr, const char *ptr, limit_t *l)
{
    const char *ap = mez_pointer_join(b->p, ptr, "aggregate");
    mez_status_t rv;
    if ((rv = str_field(b, thr, ptr, "aggregate", 0, &l->aggregate)) != MEZ_OK || !l->aggregate)
        return rv;
    if (!mez_pack_slug_ok(l->aggregate))
        return bad(b, "tensor.pack.invalid_field", ap,
                   "aggregate names a figure: a lower-case name (letters, digits, '_'), not '%s'", l->aggregate);
    if (l->kind != LIMIT_ABOVE && l->kind != LIMIT_AT_OR_ABOVE)
        return bad(b, "tensor.pack.invalid_field", ap,
                   "an aggregate limit is one the year's payments reach from below: applies is above or at_or_above");
    return MEZ_OK;
}

/* base_amount {amount, currency}: the fixed tax of a band, up to its lower limit (threshold). The evaluator
 * adds it to a computed tax, so it must be in the threshold's currency and the limit must be a lower one. */
static mez_status_t base_amount_field(build_t *b, const json_t *row, const char *ptr, int has_threshold,
                                      const limit_t *threshold, int *has_base, mez_tensor_decimal_t *base,
                                      const char **text)
{
    const json_t *o = json_object_get(row, "base_amount"), *v;
    const char *bp = mez_pointer_join(b->p, ptr, "base_amount"), *currency;
    mez_status_t rv;
    *has_base = 0;
    if (!o)
        return MEZ_OK;
    if (!json_is_object(o))
        return bad(b, "tensor.pack.invalid_field", bp, "base_amount is {amount, currency}");
    v = json_object_get(o, "amount");
    /* amount_minor would need the currency's minor unit, which the packs do not state and is not guessed. */
    if (!json_is_string(v) || mez_tensor_decimal_parse(json_string_value(v), base))
        return bad(b, "tensor.pack.invalid_amount", mez_pointer_join(b->p, bp, "amount"),
                   "base_amount.amount is a decimal string in the major unit (\"6000\")");
    *text = mez_tensor_intern(b->ix->frozen, json_string_value(v));
    if ((rv = str_field(b, o, bp, "currency", 1, &currency)) != MEZ_OK)
        return rv;
    if (!has_threshold)
        return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, "threshold"),
                   "a row with base_amount needs threshold: the band's lower limit");
    if (threshold->kind != LIMIT_ABOVE && threshold->kind != LIMIT_AT_OR_ABOVE)
        return bad(b, "tensor.pack.invalid_field",
                   mez_pointer_join(b->p, mez_pointer_join(b->p, ptr, "threshold"), "applies"),
                   "a band with base_amount lies above its threshold: applies is above or at_or_above");
    if (strcmp(currency, threshold->currency))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, bp, "currency"),
                   "base_amount is in %s but the threshold is in %s", currency, threshold->currency);
    *has_base = 1;
    return MEZ_OK;
}


static mez_status_t claim_id(build_t *b, const char *id, const char *ptr)
{
    if (apr_hash_get(b->ids, id, APR_HASH_KEY_STRING))
        return bad(b, "tensor.pack.duplicate_id", mez_pointer_join(b->p, ptr, "id"),
                   "id '%s' is used twice in this pack; a trace names rows by <pack>/<id>", id);
    apr_hash_set(b->ids, id, APR_HASH_KEY_STRING, "");
    return MEZ_OK;
}

static mez_status_t resolve_source(build_t *b, const json_t *o, const char *ptr, int required,
                                   const source_t **source)
{
    const char *sid;
    mez_status_t rv;
    *source = NULL;
    if ((rv = str_field(b, o, ptr, "source", required, &sid)) != MEZ_OK || !sid)
        return rv;
    if (!(*source = apr_hash_get(b->pack->sources, sid, APR_HASH_KEY_STRING)))
        return bad(b, "tensor.pack.unknown_source", mez_pointer_join(b->p, ptr, "source"),
                   "source '%s' is not in the pack's sources", sid);
    return MEZ_OK;
}

static mez_status_t check_optional(build_t *b, const json_t *row, const char *ptr)
{
    const json_t *v;
    const char *s;
    mez_status_t rv;
    if ((rv = str_field(b, row, ptr, "source_detail", 0, &s)) != MEZ_OK
        || (rv = str_field(b, row, ptr, "conflicts", 0, &s)) != MEZ_OK)
        return rv;
    if ((v = json_object_get(row, "law")) != NULL && !json_is_object(v))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "law"),
                   "law is an object {lawpack, eid}");
    return MEZ_OK;
}

/* The parts of a row's citation besides its source, already checked by check_optional(). */
static void cite_fields(build_t *b, const json_t *row, row_head_t *h)
{
    h->law = json_object_get(row, "law");
    h->source_detail = mez_tensor_intern(b->ix->frozen, json_string_value(json_object_get(row, "source_detail")));
    h->conflicts = mez_tensor_intern(b->ix->frozen, json_string_value(json_object_get(row, "conflicts")));
}

static mez_status_t row_head(build_t *b, const json_t *row, const char *ptr, row_head_t *h)
{
    mez_status_t rv;
    if (!json_is_object(row))
        return bad(b, "tensor.pack.invalid_field", ptr, "a row is an object");
    h->pack = b->pack;
    h->row = row;
    h->seq = b->seq++;
    if ((rv = str_field(b, row, ptr, "id", 1, &h->id)) != MEZ_OK || (rv = claim_id(b, h->id, ptr)) != MEZ_OK
        || (rv = date_field(b, row, ptr, "valid_from", 1, &h->valid_from, &h->from)) != MEZ_OK
        || (rv = date_field(b, row, ptr, "valid_to", 0, &h->valid_to, &h->to)) != MEZ_OK
        || (rv = resolve_source(b, row, ptr, 1, &h->source)) != MEZ_OK || (rv = check_optional(b, row, ptr)) != MEZ_OK)
        return rv;
    if (h->to && h->to <= h->from)
        return bad(b, "tensor.pack.invalid_date", mez_pointer_join(b->p, ptr, "valid_to"),
                   "valid_to (exclusive) must come after valid_from");
    h->rule = mez_tensor_intern(b->ix->frozen, apr_pstrcat(b->p, b->pack->id, "/", h->id, NULL));
    cite_fields(b, row, h);
    return MEZ_OK;
}

static const json_t *section(build_t *b, const char *name, mez_status_t *rv)
{
    const json_t *v = json_object_get(b->pack->doc, name);
    *rv = MEZ_OK;
    if (v && !json_is_array(v))
        *rv = bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, "", name), "%s is a list", name);
    return v;
}


void mez_tensor_push(apr_pool_t *p, apr_hash_t *h, const char *key, void *item)
{
    apr_array_header_t *a = apr_hash_get(h, key, APR_HASH_KEY_STRING);
    if (!a) {
        /* Most keys hold one or a few items (a listed name, the rows of one payment type). */
        a = apr_array_make(p, 2, sizeof(void *));
        apr_hash_set(h, key, APR_HASH_KEY_STRING, a);
    }
    APR_ARRAY_PUSH(a, void *) = item;
}

static mez_status_t rate_field(build_t *b, const json_t *rates, const char *ptr, const char *name, wht_row_t *r,
                               int kind)
{
    const json_t *v = json_object_get(rates, name);
    static const mez_tensor_decimal_t hundred = { 100, 0 };
    if (!v)
        return MEZ_OK;
    if (!json_is_string(v) || mez_tensor_decimal_parse(json_string_value(v), &r->rate[kind])
        || mez_tensor_decimal_cmp(&r->rate[kind], &hundred) > 0)
        return bad(b, "tensor.pack.invalid_rate", mez_pointer_join(b->p, ptr, name),
                   "a rate is a percentage as a decimal string between \"0\" and \"100\" (\"4.5\" is 4.5 %%)");
    r->has_rate[kind] = 1;
    r->rate_text[kind] = mez_tensor_intern(b->ix->frozen, json_string_value(v));
    return MEZ_OK;
}

/* The rows of a pack naming one aggregate add up one figure (packs/README.md): the payments to a payee under one
 * provision, in one currency; and a payment type adds to one aggregate, so what a payment grows does not depend on
 * the payee's class or the date. seen: aggregate name, and "\x1f<payment type>", -> the first row naming it. */
static mez_status_t aggregate_agrees(build_t *b, const wht_row_t *r, apr_hash_t *seen, const char *ptr)
{
    const char *name = r->threshold.aggregate, *tkey = apr_pstrcat(b->p, "\x1f", r->payment_type, NULL);
    const char *ap = mez_pointer_join(b->p, mez_pointer_join(b->p, ptr, "threshold"), "aggregate");
    const wht_row_t *o;
    if (!name)
        return MEZ_OK;
    if ((o = apr_hash_get(seen, tkey, APR_HASH_KEY_STRING)) && strcmp(o->threshold.aggregate, name))
        return bad(b, "tensor.pack.invalid_field", ap, "payment type %s adds to the aggregate %s (row %s), not to %s "
                   "as well", r->payment_type, o->threshold.aggregate, o->h.id, name);
    if (!o)
        apr_hash_set(seen, tkey, APR_HASH_KEY_STRING, r);
    if (!(o = apr_hash_get(seen, name, APR_HASH_KEY_STRING))) {
        apr_hash_set(seen, name, APR_HASH_KEY_STRING, r);
        return MEZ_OK;
    }
    if (strcmp(o->section, r->section) || strcmp(o->threshold.currency, r->threshold.currency))
        return bad(b, "tensor.pack.invalid_field", ap, "the aggregate %s adds up payments under s. %s in %s (row %s); "
                   "this row is of s. %s in %s", name, o->section, o->threshold.currency, o->h.id, r->section,
                   r->threshold.currency);
    return MEZ_OK;
}

static mez_status_t load_withholding(build_t *b)
{
    mez_status_t rv;
    const json_t *rows = section(b, "withholding_rates", &rv), *row;
    apr_hash_t *tables = apr_hash_make(b->p);   /* "<section>\x1f<payment type>\x1f<payee class>" -> rows */
    apr_hash_t *aggregates = apr_hash_make(b->p);   /* aggregate name, or "\x1f<payment type>" -> wht_row_t * */
    size_t i;
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/withholding_rates", i), *rp;
        wht_row_t *r = apr_pcalloc(b->p, sizeof(*r));
        const json_t *rates, *thr, *ft;
        if ((rv = row_head(b, row, ptr, &r->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "section", 1, &r->section)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "payment_type", 1, &r->payment_type)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "payee_class", 1, &r->payee_class)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "basis", 0, &r->basis)) != MEZ_OK)
            return rv;
        if (strcmp(r->payee_class, "company") && strcmp(r->payee_class, "individual") && strcmp(r->payee_class, "aop")
            && strcmp(r->payee_class, "any"))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "payee_class"),
                       "payee_class is company, individual, aop or any");
        rates = json_object_get(row, "rates");
        rp = mez_pointer_join(b->p, ptr, "rates");
        if (!rates)
            return bad(b, "tensor.pack.missing_field", rp, "rates {filer, non_filer} is required");
        if (!json_is_object(rates))
            return bad(b, "tensor.pack.invalid_field", rp, "rates is {filer, non_filer}");
        if ((rv = rate_field(b, rates, rp, "filer", r, RATE_FILER)) != MEZ_OK
            || (rv = rate_field(b, rates, rp, "non_filer", r, RATE_NON_FILER)) != MEZ_OK)
            return rv;
        if (!r->has_rate[RATE_FILER] && !r->has_rate[RATE_NON_FILER])
            return bad(b, "tensor.pack.missing_field", rp, "rates needs filer, non_filer or both");
        if ((thr = json_object_get(row, "threshold")) != NULL) {
            if (!json_is_object(thr))
                return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "threshold"),
                           "threshold is {amount, currency, applies}");
            if ((rv = limit_field(b, thr, mez_pointer_join(b->p, ptr, "threshold"), &r->threshold)) != MEZ_OK
                || (rv = aggregate_field(b, thr, mez_pointer_join(b->p, ptr, "threshold"), &r->threshold)) != MEZ_OK)
                return rv;
            r->has_threshold = 1;
        }
        if ((rv = base_amount_field(b, row, ptr, r->has_threshold, &r->threshold, &r->has_base, &r->base,
                                    &r->base_text)) != MEZ_OK)
            return rv;
        if (r->has_base && r->threshold.aggregate)
            return bad(b, "tensor.pack.invalid_field",
                       mez_pointer_join(b->p, mez_pointer_join(b->p, ptr, "threshold"), "aggregate"),
                       "a band of a progressive table (base_amount) is not judged on an aggregate of payments");
        if ((rv = aggregate_agrees(b, r, aggregates, ptr)) != MEZ_OK)
            return rv;
        /* The Tenth Schedule doubles the whole tax, base included: one base cannot serve two rates. */
        if (r->has_base && r->has_rate[RATE_FILER] && r->has_rate[RATE_NON_FILER]
            && mez_tensor_decimal_cmp(&r->rate[RATE_FILER], &r->rate[RATE_NON_FILER]))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "base_amount"),
                       "base_amount is the fixed part for one rate, but filer and non_filer differ: one row per "
                       "status");
        if ((ft = json_object_get(row, "final_tax")) != NULL && !json_is_boolean(ft))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "final_tax"),
                       "final_tax is true or false");
        r->final_tax = ft ? json_is_true(ft) : -1;
        mez_tensor_push(b->p, b->ix->wht, r->payment_type, r);
        mez_tensor_push(b->p, tables,
                        apr_pstrcat(b->p, r->section, "\x1f", r->payment_type, "\x1f", r->payee_class, NULL), r);
        b->ix->rows++;
    }
    /* A progressive table is written one row per band (packs/README.md), so the rows of one section, payment
     * type and payee class in which any row has base_amount are its bands, the lowest band included (it has no
     * base: the tax below the first limit is the rate on the whole amount). Linking them here lets an
     * evaluation pick one band instead of reporting the bands as rival rules. */
    for (apr_hash_index_t *hi = apr_hash_first(b->p, tables); hi; hi = apr_hash_next(hi)) {
        const apr_array_header_t *group = apr_hash_this_val(hi);
        int banded = 0;
        for (int k = 0; k < group->nelts; k++)
            banded |= APR_ARRAY_IDX(group, k, const wht_row_t *)->has_base;
        for (int k = 0; banded && k < group->nelts; k++) {
            wht_row_t *r = APR_ARRAY_IDX(group, k, wht_row_t *);
            r->table = group;
            if (r->threshold.aggregate)
                return bad(b, "tensor.pack.invalid_field", "/withholding_rates",
                           "row %s is a band of a progressive table (s. %s, %s, %s): a band is not judged on an "
                           "aggregate of payments", r->h.id, r->section, r->payment_type, r->payee_class);
        }
    }
    return MEZ_OK;
}

/* Members of a threshold row the evaluator reads; any other (transaction_type, direction, counterparty, ...:
 * conditions some packs add) is reported with the reason as not checked, since the action does not carry
 * the facts to check it and a possibly-owed obligation must not be dropped. applies_to is read: it is checked
 * against the classes the subject declares (mez_tensor_threshold_binds). */
static int known_threshold_member(const char *k)
{
    static const char *const known[] = { "id", "obligation", "obligation_id", "amount", "measure", "percent", "combine",
                                         "valid_from", "valid_to", "source", "source_detail", "conflicts", "law",
                                         "applies_to", NULL };
    for (const char *const *q = known; *q; q++)
        if (!strcmp(*q, k))
            return 1;
    return 0;
}

/* percent: {rate, of} and combine (lower_of | higher_of), both or neither, and a measure beside them. */
static mez_status_t threshold_percent(build_t *b, const json_t *row, const char *ptr, threshold_row_t *r)
{
    static const mez_tensor_decimal_t hundred = { 100, 0 };
    const json_t *pc = json_object_get(row, "percent");
    const char *pp = mez_pointer_join(b->p, ptr, "percent"), *combine;
    mez_status_t rv;
    if ((rv = str_field(b, row, ptr, "combine", 0, &combine)) != MEZ_OK)
        return rv;
    if (!pc && !combine)
        return MEZ_OK;
    if (!json_is_object(pc) || !combine)
        return bad(b, "tensor.pack.missing_field", pc ? mez_pointer_join(b->p, ptr, "combine") : pp,
                   "a percentage limit is percent {rate, of} with combine: lower_of or higher_of");
    if (!r->measure)
        return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, "measure"),
                   "a limit with a percent of a figure is measured on a figure of the entity: name it in measure");
    if ((rv = str_field(b, pc, pp, "rate", 1, &r->percent_text)) != MEZ_OK
        || (rv = str_field(b, pc, pp, "of", 1, &r->percent_of)) != MEZ_OK)
        return rv;
    if (mez_tensor_decimal_parse(r->percent_text, &r->percent) || mez_tensor_decimal_cmp(&r->percent, &hundred) > 0)
        return bad(b, "tensor.pack.invalid_rate", mez_pointer_join(b->p, pp, "rate"),
                   "a rate is a percentage as a decimal string between \"0\" and \"100\"");
    if (strcmp(combine, "lower_of") && strcmp(combine, "higher_of"))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "combine"),
                   "combine is lower_of or higher_of");
    r->has_percent = 1;
    r->higher_of = !strcmp(combine, "higher_of");
    return MEZ_OK;
}

static mez_status_t strings_field(build_t *b, const json_t *row, const char *ptr, const char *name,
                                  const char ***out, size_t *n);

static mez_status_t load_thresholds(build_t *b)
{
    mez_status_t rv;
    const json_t *rows = section(b, "thresholds", &rv), *row;
    size_t i;
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/thresholds", i);
        threshold_row_t *r = apr_pcalloc(b->p, sizeof(*r));
        const json_t *amount;
        const char *key;
        json_t *v;
        if ((rv = row_head(b, row, ptr, &r->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "obligation", 1, &r->obligation)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "obligation_id", 0, &r->obligation_id)) != MEZ_OK)
            return rv;
        amount = json_object_get(row, "amount");
        if (!json_is_object(amount))
            return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, "amount"),
                       "amount {amount, currency, applies} is required");
        if ((rv = limit_field(b, amount, mez_pointer_join(b->p, ptr, "amount"), &r->limit)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "measure", 0, &r->measure)) != MEZ_OK
            || (rv = threshold_percent(b, row, ptr, r)) != MEZ_OK
            || (rv = strings_field(b, row, ptr, "applies_to", &r->applies_to, &r->n_applies_to)) != MEZ_OK)
            return rv;
        if (json_object_get(row, "applies_to") && !r->n_applies_to)
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "applies_to"),
                       "applies_to names at least one class of person (absent: the limit binds whoever acts)");
        json_object_foreach((json_t *)row, key, v) {
            if (known_threshold_member(key))
                continue;
            if (!r->unchecked)
                r->unchecked = mez_json_pool_own(b->p, json_object());
            json_object_set(r->unchecked, key, v);
        }
        b->ix->rows++;
        /* A limit on the entity's revenue is not a limit on a payment: it waits for the figure, whatever the
         * action's amount (mez_tensor_eval_measured_thresholds). */
        if (r->measure) {
            APR_ARRAY_PUSH(b->ix->thresholds_measured[b->pack->domain], const threshold_row_t *) = r;
            continue;
        }
        /* A threshold belongs to its pack's domain: an aml regpack's limits trigger aml obligations. */
        mez_tensor_push(b->p, r->limit.kind == LIMIT_ABOVE || r->limit.kind == LIMIT_AT_OR_ABOVE
                       ? b->ix->thresholds_up[b->pack->domain] : b->ix->thresholds_down[b->pack->domain],
             r->limit.currency, r);
    }
    return MEZ_OK;
}

/* The pack's obligations, by id across packs: what a threshold's obligation_id and a tax rate's condition name,
 * with the deadline an evaluation dates. The deadline's form is checked here, since the evaluator reads it. */
static mez_status_t load_obligations(build_t *b)
{
    mez_status_t rv;
    const json_t *rows = section(b, "obligations", &rv), *row;
    size_t i;
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/obligations", i);
        obligation_t *o = apr_pcalloc(b->p, sizeof(*o));
        if ((rv = row_head(b, row, ptr, &o->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "regulator", 0, &o->regulator)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "channel", 0, &o->channel)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "description", 0, &o->description)) != MEZ_OK)
            return rv;
        if ((o->deadline_json = json_object_get(row, "deadline")) != NULL
            && mez_deadline_from_json(o->deadline_json, &o->deadline))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "deadline"),
                       "a deadline is exactly one of {days, from}, {business_days, from}, {without_delay: true, "
                       "from}, {as_soon_as_practicable: true, from} or {day_of_month, of}");
        if (o->deadline_json)
            o->deadline.event = mez_tensor_intern(b->ix->frozen, o->deadline.event);
        mez_tensor_push(b->p, b->ix->obligations, o->h.id, o);
        b->ix->rows++;
    }
    return MEZ_OK;
}

/* A list of non-empty strings (excludes, conditions); *n 0 when absent. */
static mez_status_t strings_field(build_t *b, const json_t *row, const char *ptr, const char *name,
                                  const char ***out, size_t *n)
{
    const json_t *v = json_object_get(row, name), *item;
    const char *lp = mez_pointer_join(b->p, ptr, name);
    size_t i;
    *out = NULL;
    *n = 0;
    if (!v)
        return MEZ_OK;
    if (!json_is_array(v))
        return bad(b, "tensor.pack.invalid_field", lp, "%s is a list", name);
    *out = apr_pcalloc(b->p, (json_array_size(v) + 1) * sizeof(**out));
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) || json_string_length(item) == 0)
            return bad(b, "tensor.pack.invalid_field", mez_pointer_index(b->p, lp, i), "an item is a non-empty string");
        (*out)[i] = mez_tensor_intern(b->ix->frozen, json_string_value(item));
    }
    *n = i;
    return MEZ_OK;
}

/* The pack's obligations by id, for the conditions of its tax rates (a condition names an obligation of its
 * own pack). Only what a citation needs is read; the pack area validates the rest. */
static mez_status_t pack_obligations(build_t *b, apr_hash_t **out)
{
    mez_status_t rv;
    const json_t *rows = section(b, "obligations", &rv), *row;
    size_t i;
    *out = apr_hash_make(b->p);
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/obligations", i);
        condition_t *c = apr_pcalloc(b->p, sizeof(*c));
        if (!json_is_object(row))
            return bad(b, "tensor.pack.invalid_field", ptr, "an obligation is an object");
        if ((rv = str_field(b, row, ptr, "id", 1, &c->id)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "description", 0, &c->description)) != MEZ_OK
            || (rv = resolve_source(b, row, ptr, 0, &c->source)) != MEZ_OK)
            return rv;
        c->row = row;
        c->rule = mez_tensor_intern(b->ix->frozen, apr_pstrcat(b->p, b->pack->id, "/", c->id, NULL));
        apr_hash_set(*out, c->id, APR_HASH_KEY_STRING, c);
    }
    return MEZ_OK;
}

static mez_status_t load_tax_rates(build_t *b)
{
    static const mez_tensor_decimal_t hundred = { 100, 0 };
    mez_status_t rv;
    const json_t *rows = section(b, "tax_rates", &rv), *row;
    apr_hash_t *obligations = NULL;
    size_t i;
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/tax_rates", i), *rate;
        tax_row_t *r = apr_pcalloc(b->p, sizeof(*r));
        const json_t *exempt, *thr;
        const char **ids;
        condition_t *conds;
        if ((rv = row_head(b, row, ptr, &r->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "tax", 1, &r->tax)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "article", 1, &r->article)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "taxpayer_class", 1, &r->taxpayer_class)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "income_class", 1, &r->income_class)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "basis", 0, &r->basis)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "rate", 0, &rate)) != MEZ_OK)
            return rv;
        if (strcmp(r->tax, "cit") && strcmp(r->tax, "vat"))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "tax"), "tax is cit or vat");
        /* An exemption is not a 0 % rate (an exempt supply is not a zero-rated one), so the two never mix. */
        exempt = json_object_get(row, "exempt");
        if (exempt && !json_is_true(exempt))
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "exempt"),
                       "exempt is true or left out");
        r->exempt = exempt != NULL;
        if (r->exempt == (rate != NULL))
            return bad(b, r->exempt ? "tensor.pack.invalid_field" : "tensor.pack.missing_field",
                       mez_pointer_join(b->p, ptr, "rate"), "a tax rate has exactly one of rate and exempt: true");
        if (rate) {
            if (mez_tensor_decimal_parse(rate, &r->rate) || mez_tensor_decimal_cmp(&r->rate, &hundred) > 0)
                return bad(b, "tensor.pack.invalid_rate", mez_pointer_join(b->p, ptr, "rate"),
                           "a rate is a percentage as a decimal string between \"0\" and \"100\"");
            r->has_rate = 1;
            r->rate_text = rate;
            if (!r->basis)
                return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, "basis"),
                           "a rate needs the basis it is applied to");
        }
        if ((thr = json_object_get(row, "threshold")) != NULL) {
            const char *tp = mez_pointer_join(b->p, ptr, "threshold");
            if (!json_is_object(thr))
                return bad(b, "tensor.pack.invalid_field", tp, "threshold is {amount, currency, applies, measure}");
            if ((rv = limit_field(b, thr, tp, &r->threshold)) != MEZ_OK
                || (rv = str_field(b, thr, tp, "measure", 1, &r->measure)) != MEZ_OK)
                return rv;
            r->has_threshold = 1;
        }
        if ((rv = base_amount_field(b, row, ptr, r->has_threshold, &r->threshold, &r->has_base, &r->base,
                                    &r->base_text)) != MEZ_OK)
            return rv;
        if (r->has_base && r->exempt)
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "base_amount"),
                       "an exemption computes no tax, so it has no base_amount");
        if ((rv = strings_field(b, row, ptr, "excludes", &r->excludes, &r->n_excludes)) != MEZ_OK
            || (rv = strings_field(b, row, ptr, "conditions", &ids, &r->n_conditions)) != MEZ_OK)
            return rv;
        if (r->n_conditions && !obligations && (rv = pack_obligations(b, &obligations)) != MEZ_OK)
            return rv;
        conds = apr_pcalloc(b->p, (r->n_conditions + 1) * sizeof(*conds));
        for (size_t k = 0; k < r->n_conditions; k++) {
            const condition_t *c = apr_hash_get(obligations, ids[k], APR_HASH_KEY_STRING);
            /* A condition nobody can evidence would make the row silently unusable. */
            if (!c)
                return bad(b, "tensor.pack.unknown_obligation",
                           mez_pointer_index(b->p, mez_pointer_join(b->p, ptr, "conditions"), k),
                           "condition '%s' is not an obligation of this pack", ids[k]);
            conds[k] = *c;
        }
        r->conditions = conds;
        mez_tensor_push(b->p, b->ix->tax_rates, apr_pstrcat(b->p, r->tax, "/", r->income_class, NULL), r);
        b->ix->rows++;
    }
    return MEZ_OK;
}

static mez_status_t load_lists(build_t *b)
{
    mez_status_t rv;
    const json_t *lists = section(b, "lists", &rv), *lv, *ev;
    size_t i, j, k;
    if (rv != MEZ_OK || !lists)
        return rv;
    json_array_foreach(lists, i, lv) {
        const char *ptr = mez_pointer_index(b->p, "/lists", i), *eptr;
        list_t *l = apr_pcalloc(b->p, sizeof(*l));
        const json_t *entries;
        int32_t day;
        if (!json_is_object(lv))
            return bad(b, "tensor.pack.invalid_field", ptr, "a list is an object");
        l->pack = b->pack;
        if ((rv = str_field(b, lv, ptr, "id", 1, &l->id)) != MEZ_OK || (rv = claim_id(b, l->id, ptr)) != MEZ_OK
            || (rv = str_field(b, lv, ptr, "title", 0, &l->title)) != MEZ_OK
            || (rv = date_field(b, lv, ptr, "list_date", 0, &l->list_date, &day)) != MEZ_OK
            || (rv = date_field(b, lv, ptr, "valid_from", 0, &l->valid_from, &l->from)) != MEZ_OK
            || (rv = date_field(b, lv, ptr, "valid_to", 0, &l->valid_to, &l->to)) != MEZ_OK
            || (rv = resolve_source(b, lv, ptr, 1, &l->source)) != MEZ_OK)
            return rv;
        l->rule = mez_tensor_intern(b->ix->frozen, apr_pstrcat(b->p, b->pack->id, "/", l->id, NULL));
        entries = json_object_get(lv, "entries");
        eptr = mez_pointer_join(b->p, ptr, "entries");
        if (!json_is_array(entries))
            return bad(b, "tensor.pack.missing_field", eptr, "entries is a list");
        json_array_foreach(entries, j, ev) {
            const char *ep = mez_pointer_index(b->p, eptr, j);
            entry_t *e = apr_pcalloc(b->p, sizeof(*e));
            const json_t *aliases, *av;
            const char *text;
            if (!json_is_object(ev))
                return bad(b, "tensor.pack.invalid_field", ep, "a list entry is an object");
            e->list = l;
            if ((rv = str_field(b, ev, ep, "id", 1, &e->id)) != MEZ_OK || (rv = claim_id(b, e->id, ep)) != MEZ_OK
                || (rv = str_field(b, ev, ep, "name", 1, &e->name)) != MEZ_OK
                || (rv = date_field(b, ev, ep, "listed_on", 0, &e->listed_on, &e->listed_day)) != MEZ_OK
                || (rv = date_field(b, ev, ep, "valid_from", 0, &text, &e->from)) != MEZ_OK
                || (rv = date_field(b, ev, ep, "valid_to", 0, &text, &e->to)) != MEZ_OK
                || (rv = str_field(b, ev, ep, "source_detail", 0, &e->source_detail)) != MEZ_OK
                || (rv = resolve_source(b, ev, ep, 0, &e->source)) != MEZ_OK)
                return rv;
            e->rule = mez_tensor_intern(b->ix->frozen, apr_pstrcat(b->p, b->pack->id, "/", e->id, NULL));
            if (!e->source)
                e->source = l->source;
            mez_tensor_screen_add(b->ix->screen, e->name, 0, e);
            aliases = json_object_get(ev, "aliases");
            if (aliases && !json_is_array(aliases))
                return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ep, "aliases"),
                           "aliases is a list of names");
            json_array_foreach(aliases, k, av) {
                if (!json_is_string(av) || json_string_length(av) == 0)
                    return bad(b, "tensor.pack.invalid_field",
                               mez_pointer_index(b->p, mez_pointer_join(b->p, ep, "aliases"), k),
                               "an alias is a non-empty string");
                mez_tensor_screen_add(b->ix->screen, json_string_value(av), 1, e);
            }
        }
        APR_ARRAY_PUSH(b->ix->lists, list_t *) = l;
    }
    return MEZ_OK;
}

/* {amount | amount_minor, currency}: exactly one of the two figures (packs/README.md, money). */
static mez_status_t pack_money_field(build_t *b, const json_t *row, const char *ptr, int required, int *has,
                                     pack_money_t *m)
{
    const json_t *o = json_object_get(row, "amount"), *v, *minor;
    const char *mp = mez_pointer_join(b->p, ptr, "amount");
    mez_status_t rv;
    *has = 0;
    if (!o) {
        if (required)
            return bad(b, "tensor.pack.missing_field", mp, "amount is required");
        return MEZ_OK;
    }
    if (!json_is_object(o))
        return bad(b, "tensor.pack.invalid_field", mp, "amount is {amount | amount_minor, currency}");
    v = json_object_get(o, "amount");
    minor = json_object_get(o, "amount_minor");
    if ((v != NULL) == (minor != NULL))
        return bad(b, v ? "tensor.pack.invalid_field" : "tensor.pack.missing_field", mp,
                   "a sum has exactly one of amount (a decimal string) and amount_minor (an integer)");
    if (v && (!json_is_string(v) || mez_tensor_decimal_parse(json_string_value(v), &m->amount)))
        return bad(b, "tensor.pack.invalid_amount", mez_pointer_join(b->p, mp, "amount"),
                   "an amount is a decimal string (\"100000\"), never a YAML or JSON number");
    if (minor && (!json_is_integer(minor) || json_integer_value(minor) < 0))
        return bad(b, "tensor.pack.invalid_amount", mez_pointer_join(b->p, mp, "amount_minor"),
                   "amount_minor is an integer of at least 0");
    if ((rv = str_field(b, o, mp, "currency", 1, &m->currency)) != MEZ_OK)
        return rv;
    if (!is_currency(m->currency))
        return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, mp, "currency"),
                   "currency '%s' is not an ISO 4217 code", m->currency);
    m->json = o;
    m->has_decimal = v != NULL;
    *has = 1;
    return MEZ_OK;
}

/* A decimal sum {amount, currency} in the given currency, at obj[name]. */
static mez_status_t scale_sum(build_t *b, const json_t *obj, const char *ptr, const char *name, const char *currency,
                              mez_tensor_decimal_t *out)
{
    const json_t *m = json_object_get(obj, name);
    const char *mp = mez_pointer_join(b->p, ptr, name), *a = json_string_value(json_object_get(m, "amount"));
    const char *c = json_string_value(json_object_get(m, "currency"));
    if (!json_is_object(m) || !a || mez_tensor_decimal_parse(a, out) || !c || strcmp(c, currency))
        return bad(b, "tensor.pack.invalid_amount", mp,
                   "%s is a decimal {amount, currency} in the fee's currency (%s)", name, currency);
    return MEZ_OK;
}

/* A fee's scale (see fee_scale_t); NULL when the fee is flat. */
static mez_status_t fee_scale(build_t *b, const json_t *fee, const char *ptr, const pack_money_t *base,
                              const fee_scale_t **out)
{
    const json_t *s = json_object_get(fee, "scale"), *bands, *band;
    const char *sp = mez_pointer_join(b->p, ptr, "scale"), *bp;
    fee_scale_t *sc;
    fee_band_t *bs;
    size_t i;
    mez_status_t rv;
    *out = NULL;
    if (!s)
        return MEZ_OK;
    bands = json_object_get(s, "bands");
    if (!json_is_object(s) || !base->has_decimal || !json_is_array(bands) || !json_array_size(bands))
        return bad(b, "tensor.pack.invalid_field", sp,
                   "scale is {basis: capital, included, per, bands, max} on a fee with a decimal amount");
    sc = apr_pcalloc(b->p, sizeof(*sc));
    bs = apr_pcalloc(b->p, json_array_size(bands) * sizeof(*bs));
    if ((rv = scale_sum(b, s, sp, "included", base->currency, &sc->included)) != MEZ_OK
        || (rv = scale_sum(b, s, sp, "per", base->currency, &sc->per)) != MEZ_OK)
        return rv;
    if (sc->per.coef == 0)
        return bad(b, "tensor.pack.invalid_amount", mez_pointer_join(b->p, sp, "per"), "per is above zero");
    if (json_object_get(s, "max")) {
        if ((rv = scale_sum(b, s, sp, "max", base->currency, &sc->max)) != MEZ_OK)
            return rv;
        sc->has_max = 1;
    }
    json_array_foreach(bands, i, band) {
        bp = mez_pointer_index(b->p, mez_pointer_join(b->p, sp, "bands"), i);
        if ((rv = scale_sum(b, band, bp, "amount", base->currency, &bs[i].amount)) != MEZ_OK)
            return rv;
        bs[i].open = json_object_get(band, "up_to") == NULL;
        if (bs[i].open != (i + 1 == json_array_size(bands)))
            return bad(b, "tensor.pack.invalid_field", bp, "the bands ascend by up_to and only the last is open");
        if (!bs[i].open && ((rv = scale_sum(b, band, bp, "up_to", base->currency, &bs[i].up_to)) != MEZ_OK))
            return rv;
        if (!bs[i].open && mez_tensor_decimal_cmp(&bs[i].up_to, i ? &bs[i - 1].up_to : &sc->included) <= 0)
            return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, bp, "up_to"), "the bands ascend by up_to");
    }
    sc->bands = bs;
    sc->n_bands = json_array_size(bands);
    *out = sc;
    return MEZ_OK;
}

/* The head of a requirement or fee: its own id (unique in the licence type, not the pack: two types may both
 * have "min-directors"), and the type's validity and law unless it states its own. */
static mez_status_t sub_row_head(build_t *b, const licence_t *l, const json_t *row, const char *ptr,
                                 apr_hash_t *ids, const char **id, row_head_t *h)
{
    mez_status_t rv;
    if (!json_is_object(row))
        return bad(b, "tensor.pack.invalid_field", ptr, "a row is an object");
    if ((rv = str_field(b, row, ptr, "id", 1, id)) != MEZ_OK)
        return rv;
    if (apr_hash_get(ids, *id, APR_HASH_KEY_STRING))
        return bad(b, "tensor.pack.duplicate_id", mez_pointer_join(b->p, ptr, "id"),
                   "id '%s' is used twice in licence type '%s'", *id, l->h.id);
    apr_hash_set(ids, *id, APR_HASH_KEY_STRING, "");
    h->pack = b->pack;
    h->row = row;
    h->seq = b->seq++;
    h->id = apr_pstrcat(b->p, l->h.id, "/", *id, NULL);
    h->rule = mez_tensor_intern(b->ix->frozen, apr_pstrcat(b->p, b->pack->id, "/", h->id, NULL));
    cite_fields(b, row, h);
    if ((rv = date_field(b, row, ptr, "valid_from", 0, &h->valid_from, &h->from)) != MEZ_OK
        || (rv = date_field(b, row, ptr, "valid_to", 0, &h->valid_to, &h->to)) != MEZ_OK
        || (rv = resolve_source(b, row, ptr, 1, &h->source)) != MEZ_OK || (rv = check_optional(b, row, ptr)) != MEZ_OK)
        return rv;
    if (!h->valid_from) {
        h->valid_from = l->h.valid_from;
        h->from = l->h.from;
    }
    if (!h->valid_to) {
        h->valid_to = l->h.valid_to;
        h->to = l->h.to;
    }
    if (h->to && h->to <= h->from)
        return bad(b, "tensor.pack.invalid_date", mez_pointer_join(b->p, ptr, "valid_to"),
                   "valid_to (exclusive) must come after valid_from");
    return MEZ_OK;
}

static mez_status_t load_licence_types(build_t *b)
{
    mez_status_t rv;
    const json_t *rows = section(b, "licence_types", &rv), *row, *list, *item;
    size_t i, k;
    if (rv != MEZ_OK || !rows)
        return rv;
    json_array_foreach(rows, i, row) {
        const char *ptr = mez_pointer_index(b->p, "/licence_types", i), *lp;
        licence_t *l = apr_pcalloc(b->p, sizeof(*l));
        requirement_t *reqs;
        fee_t *fees;
        apr_hash_t *ids = apr_hash_make(b->p);
        const char *s;
        if ((rv = row_head(b, row, ptr, &l->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "name", 0, &l->name)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "regulator", 0, &l->regulator)) != MEZ_OK)
            return rv;

        lp = mez_pointer_join(b->p, ptr, "requirements");
        if ((list = json_object_get(row, "requirements")) != NULL && !json_is_array(list))
            return bad(b, "tensor.pack.invalid_field", lp, "requirements is a list");
        reqs = apr_pcalloc(b->p, (json_array_size(list) + 1) * sizeof(*reqs));
        json_array_foreach(list, k, item) {
            const char *rp = mez_pointer_index(b->p, lp, k);
            requirement_t *r = &reqs[k];
            const json_t *count;
            if ((rv = sub_row_head(b, l, item, rp, ids, &r->id, &r->h)) != MEZ_OK
                || (rv = str_field(b, item, rp, "description", 1, &r->description)) != MEZ_OK
                || (rv = pack_money_field(b, item, rp, 0, &r->has_amount, &r->amount)) != MEZ_OK)
                return rv;
            if ((count = json_object_get(item, "count")) != NULL) {
                if (!json_is_integer(count) || json_integer_value(count) < 1)
                    return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, rp, "count"),
                               "count is an integer of at least 1");
                r->has_count = 1;
                r->count = json_integer_value(count);
            }
            /* One figure per requirement, so that "the requirement is met" has one meaning. */
            if (r->has_count && r->has_amount)
                return bad(b, "tensor.pack.invalid_field", rp, "a requirement sets count or amount, not both");
        }
        l->reqs = reqs;
        l->n_reqs = k;

        lp = mez_pointer_join(b->p, ptr, "fees");
        if ((list = json_object_get(row, "fees")) != NULL && !json_is_array(list))
            return bad(b, "tensor.pack.invalid_field", lp, "fees is a list");
        fees = apr_pcalloc(b->p, (json_array_size(list) + 1) * sizeof(*fees));
        ids = apr_hash_make(b->p);
        json_array_foreach(list, k, item) {
            const char *fp = mez_pointer_index(b->p, lp, k);
            fee_t *f = &fees[k];
            int has;
            if ((rv = sub_row_head(b, l, item, fp, ids, &f->id, &f->h)) != MEZ_OK
                || (rv = pack_money_field(b, item, fp, 1, &has, &f->amount)) != MEZ_OK
                || (rv = fee_scale(b, item, fp, &f->amount, &f->scale)) != MEZ_OK
                || (rv = str_field(b, item, fp, "fee_type", 0, &s)) != MEZ_OK
                || (rv = str_field(b, item, fp, "filing", 0, &s)) != MEZ_OK
                || (rv = str_field(b, item, fp, "description", 0, &s)) != MEZ_OK)
                return rv;
        }
        l->fees = fees;
        l->n_fees = k;
        /* The terms a grant and a renewal are held to (orchestrate_licence.c): read here, so that a licence is
         * never granted for longer than its type allows because a pack wrote a term the index did not read. */
        if ((list = json_object_get(row, "validity_years")) != NULL) {
            if (!json_is_integer(list) || json_integer_value(list) < 1)
                return bad(b, "tensor.pack.invalid_field", mez_pointer_join(b->p, ptr, "validity_years"),
                           "validity_years is a whole number of years, at least 1");
            l->validity_years = json_integer_value(list);
        }
        if ((list = json_object_get(row, "renewal")) != NULL) {
            const json_t *lead = json_object_get(list, "lead_days");
            if (!json_is_integer(lead) || json_integer_value(lead) < 0)
                return bad(b, "tensor.pack.invalid_field",
                           mez_pointer_join(b->p, mez_pointer_join(b->p, ptr, "renewal"), "lead_days"),
                           "renewal is {lead_days: a whole number of days, at least 0}");
            l->has_renewal = 1;
            l->lead_days = json_integer_value(lead);
        }
        mez_tensor_push(b->p, b->ix->licences, l->h.id, l);
        b->ix->rows++;
    }
    return MEZ_OK;
}

static mez_status_t load_header(build_t *b)
{
    const json_t *doc = b->pack->doc, *sources, *sv;
    source_t *src;
    const char *s;
    int32_t day;
    size_t i;
    mez_status_t rv;

    if ((rv = str_field(b, doc, "", "id", 1, &b->pack->id)) != MEZ_OK
        || (rv = str_field(b, doc, "", "format", 1, &b->pack->format)) != MEZ_OK)
        return rv;
    if (strcmp(b->pack->format, "mez-regpack/1") && strcmp(b->pack->format, "mez-licensepack/1")
        && strcmp(b->pack->format, "mez-lawpack/1"))
        return bad(b, "tensor.pack.unknown_format", "/format",
                   "format '%s' is not mez-regpack/1, mez-licensepack/1 or mez-lawpack/1", b->pack->format);
    if ((rv = str_field(b, doc, "", "jurisdiction_id", 1, &b->pack->jurisdiction_id)) != MEZ_OK
        || (rv = mez_tensor_check_jurisdiction_id(b->p, b->pack->jurisdiction_id, "/jurisdiction_id", b->pb)) != MEZ_OK
        || (rv = str_field(b, doc, "", "domain", 1, &b->pack->domain_name)) != MEZ_OK
        || (rv = mez_domain_parse(b->p, b->pack->domain_name, "/domain", &b->pack->domain, b->pb)) != MEZ_OK
        || (rv = date_field(b, doc, "", "as_of_date", 0, &b->pack->as_of_date, &day)) != MEZ_OK)
        return rv;
    b->pack->sources = apr_hash_make(b->p);
    sources = json_object_get(doc, "sources");
    if (sources && !json_is_array(sources))
        return bad(b, "tensor.pack.invalid_field", "/sources", "sources is a list");
    json_array_foreach(sources, i, sv) {
        const char *ptr = mez_pointer_index(b->p, "/sources", i);
        if (!json_is_object(sv))
            return bad(b, "tensor.pack.invalid_field", ptr, "a source is an object");
        if ((rv = str_field(b, sv, ptr, "id", 1, &s)) != MEZ_OK)
            return rv;
        if (apr_hash_get(b->pack->sources, s, APR_HASH_KEY_STRING))
            return bad(b, "tensor.pack.duplicate_id", mez_pointer_join(b->p, ptr, "id"), "source '%s' is listed twice", s);
        src = apr_pcalloc(b->p, sizeof(*src));
        /* What a citation shows of it; a member that is not a string is left out, as it always was. */
        src->id = mez_tensor_intern_shared(b->ix->frozen, json_string_value(json_object_get(sv, "id")));
        src->title = mez_tensor_intern_shared(b->ix->frozen, json_string_value(json_object_get(sv, "title")));
        src->url = mez_tensor_intern_shared(b->ix->frozen, json_string_value(json_object_get(sv, "url")));
        src->date = mez_tensor_intern_shared(b->ix->frozen, json_string_value(json_object_get(sv, "date")));
        apr_hash_set(b->pack->sources, s, APR_HASH_KEY_STRING, src);
    }
    return MEZ_OK;
}

static int threshold_cmp(const void *x, const void *y)
{
    const threshold_row_t *a = *(threshold_row_t *const *)x, *b = *(threshold_row_t *const *)y;
    int c = mez_tensor_decimal_cmp(&a->limit.amount, &b->limit.amount);
    if (c)
        return c;
    return a->h.seq < b->h.seq ? -1 : a->h.seq > b->h.seq;
}

static int threshold_cmp_down(const void *x, const void *y)
{
    const threshold_row_t *a = *(threshold_row_t *const *)x, *b = *(threshold_row_t *const *)y;
    int c = mez_tensor_decimal_cmp(&b->limit.amount, &a->limit.amount);
    if (c)
        return c;
    return a->h.seq < b->h.seq ? -1 : a->h.seq > b->h.seq;
}

static void sort_thresholds(apr_pool_t *p, apr_hash_t *h, int (*cmp)(const void *, const void *))
{
    for (apr_hash_index_t *hi = apr_hash_first(p, h); hi; hi = apr_hash_next(hi)) {
        apr_array_header_t *a = apr_hash_this_val(hi);
        qsort(a->elts, (size_t)a->nelts, sizeof(void *), cmp);
    }
}

/* Reason codes and other words of results that no pack holds (see mez_tensor_frozen_finish()). */
static const char *const result_words[] = {
    "not_applicable_to_action", "evidence_state", "threshold_met", "threshold_not_met", "sanctions_clear",
    "sanctions_match", "no_sanctions_list", "name_not_screenable", "withholding_applies", "no_withholding_rate",
    "rate_missing", "ambiguous_rates", "filer_status_unknown", "entity_class_unknown", "currency_mismatch",
    "basis_not_supported", "amount_basis_required", "selected_rule_not_applicable", "no_attestation",
    "condition_not_evidenced", "requirement_not_met", "licence_type", "licence_type_not_in_force",
    "income_tax_assessed", "no_tax_rate", "measure_not_given", "taxpayer_class_excluded",
    "threshold_class_not_bound", "aggregate_not_given", "earlier_payments_not_deducted", "this_payment", "aggregate",
    "subject", "counterparty", "name", "alias", "exact", "all_tokens",
};

mez_status_t mez_tensor_index_build(apr_pool_t *p, const json_t *const *packs, size_t n,
                                    mez_tensor_index_t **out, mez_problem_t *pb)
{
    return mez_tensor_index_build_with_digests(p, packs, NULL, n, out, pb);
}

mez_status_t mez_tensor_index_build_with_digests(apr_pool_t *p, const json_t *const *packs,
                                                 const char *const *digests, size_t n, mez_tensor_index_t **out,
                                                 mez_problem_t *pb)
{
    mez_tensor_index_t *ix = apr_pcalloc(p, sizeof(*ix));
    apr_hash_t *pack_ids = apr_hash_make(p);
    build_t b = { p, ix, NULL, NULL, 0, pb };
    mez_status_t rv;

    *out = NULL;
    ix->packs = apr_pcalloc(p, (n + 1) * sizeof(*ix->packs));
    ix->wht = apr_hash_make(p);
    ix->tax_rates = apr_hash_make(p);
    for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++) {
        ix->thresholds_up[d] = apr_hash_make(p);
        ix->thresholds_down[d] = apr_hash_make(p);
        ix->thresholds_measured[d] = apr_array_make(p, 2, sizeof(const threshold_row_t *));
    }
    ix->lists = apr_array_make(p, 8, sizeof(list_t *));
    ix->screen = mez_tensor_screen_create(p);
    ix->licences = apr_hash_make(p);
    ix->obligations = apr_hash_make(p);
    ix->frozen = mez_tensor_frozen_create(p);
    /* The words a result spells with the library's own strings: every result has several. A word missing here
     * is only copied. */
    for (int s = 0; s < MEZ_STATE_COUNT; s++)
        mez_tensor_frozen_word(ix->frozen, mez_state_name((mez_state_t)s));
    for (int t = 0; t < MEZ_ACTION_TYPE_COUNT; t++)
        mez_tensor_frozen_word(ix->frozen, mez_action_type_name((mez_action_type_t)t));
    mez_tensor_frozen_word(ix->frozen, mez_tensor_detail_name(MEZ_TENSOR_DETAIL_FULL));
    mez_tensor_frozen_word(ix->frozen, mez_tensor_detail_name(MEZ_TENSOR_DETAIL_COMPACT));
    for (size_t k = 0; k < sizeof(result_words) / sizeof(result_words[0]); k++)
        mez_tensor_frozen_word(ix->frozen, result_words[k]);
    for (size_t i = 0; i < n; i++) {
        pack_t *pk = &ix->packs[i];
        pk->ordinal = i;
        pk->digest = digests ? digests[i] : NULL;
        b.pack = pk;
        b.ids = apr_hash_make(p);
        if (!json_is_object(packs[i]))
            return mez_problem(pb, p, MEZ_EINVAL, 400, "tensor.pack.invalid", "",
                               "pack #%" APR_SIZE_T_FMT " is not a JSON object", i);
        /* The index points into the pack's strings, so it holds a reference for as long as it lives. */
        pk->doc = mez_json_pool_own(p, json_incref((json_t *)packs[i]));
        if ((rv = load_header(&b)) != MEZ_OK)
            return rv;
        /* What every reason citing the pack, and every result listing it, repeats. */
        pk->digest = mez_tensor_intern_shared(ix->frozen, pk->digest);
        pk->id = mez_tensor_intern_shared(ix->frozen, pk->id);
        pk->jurisdiction_id = mez_tensor_intern_shared(ix->frozen, pk->jurisdiction_id);
        pk->domain_name = mez_tensor_intern_shared(ix->frozen, pk->domain_name);
        pk->as_of_date = mez_tensor_intern_shared(ix->frozen, pk->as_of_date);
        if (apr_hash_get(pack_ids, pk->id, APR_HASH_KEY_STRING))
            return bad(&b, "tensor.pack.duplicate_id", "/id", "another loaded pack has the id '%s'", pk->id);
        apr_hash_set(pack_ids, pk->id, APR_HASH_KEY_STRING, pk);
        ix->npacks = i + 1;
        /* Law packs make their jurisdiction known but carry no rows the evaluator applies; licensepacks carry
         * the licence types a licence application is decided by. */
        if (!strcmp(pk->format, "mez-licensepack/1")) {
            if ((rv = load_licence_types(&b)) != MEZ_OK)
                return rv;
            continue;
        }
        if (strcmp(pk->format, "mez-regpack/1"))
            continue;
        if ((rv = load_withholding(&b)) != MEZ_OK || (rv = load_tax_rates(&b)) != MEZ_OK
            || (rv = load_thresholds(&b)) != MEZ_OK || (rv = load_obligations(&b)) != MEZ_OK
            || (rv = load_lists(&b)) != MEZ_OK)
            return rv;
    }
    mez_tensor_frozen_finish(ix->frozen, p);
    /* Thresholds sorted by amount let an evaluation stop at the first limit its amount does not meet. */
    for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++) {
        sort_thresholds(p, ix->thresholds_up[d], threshold_cmp);
        sort_thresholds(p, ix->thresholds_down[d], threshold_cmp_down);
    }
    *out = ix;
    return MEZ_OK;
}

size_t mez_tensor_index_size(const mez_tensor_index_t *ix)
{
    return ix->rows + mez_tensor_screen_size(ix->screen);
}
