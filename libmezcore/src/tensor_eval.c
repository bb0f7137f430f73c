/* tensor_eval.c: evaluating an action against a zone's regpacks and licensepacks, through a read-only index built
 * once from them. Every reason names the pack row in force on the action's date, and its legal source, that
 * produced it. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "mez/json.h"
#include "mez/tensor.h"
#include "mez/vc.h"

/* ------------------------------------------------------------------ index structures */

typedef struct {
    const json_t *doc;
    size_t ordinal;
    const char *id, *format, *jurisdiction_id, *domain_name, *as_of_date;
    mez_domain_t domain;
    apr_hash_t *sources;          /* source id -> the source object in doc */
} pack_t;

/* What every dated, sourced row has: it is what a trace cites. */
typedef struct {
    const pack_t *pack;
    const json_t *row;
    const char *id;
    const char *valid_from, *valid_to;   /* as written; valid_to NULL when still in force */
    int32_t from, to;                    /* yyyymmdd; to 0 when open */
    const json_t *source;
    size_t seq;                          /* load order, for stable sorting */
} row_head_t;

enum { RATE_FILER, RATE_NON_FILER, RATE_KINDS };

/* How a pack writes a limit: {amount: "75000", currency: PKR, applies: above | at_or_above | below | at_or_below}. */
typedef enum { LIMIT_ABOVE, LIMIT_AT_OR_ABOVE, LIMIT_BELOW, LIMIT_AT_OR_BELOW } limit_kind_t;

typedef struct {
    mez_tensor_decimal_t amount;
    const char *text, *currency, *applies;
    limit_kind_t kind;
} limit_t;

typedef struct {
    row_head_t h;
    const char *section, *payment_type, *payee_class, *basis;
    int has_rate[RATE_KINDS];
    mez_tensor_decimal_t rate[RATE_KINDS];
    const char *rate_text[RATE_KINDS];
    int has_threshold;
    limit_t threshold;
    int has_base;                        /* base_amount: the fixed tax up to the threshold, below */
    mez_tensor_decimal_t base;
    const char *base_text;
    /* The rows of its progressive table when this row is a band of one: the rows of its pack with its section,
     * payment type and payee class, when any of them has base_amount. NULL for a row that stands alone. */
    const apr_array_header_t *table;
} wht_row_t;

/* The obligation a tax rate's condition names, resolved when the index is built so a trace can cite it. */
typedef struct {
    const char *id, *description;
    const json_t *row, *source;
} condition_t;

typedef struct {
    row_head_t h;
    const char *tax, *article, *taxpayer_class, *income_class, *basis;
    int exempt;
    int has_rate;
    mez_tensor_decimal_t rate;
    const char *rate_text;
    int has_threshold;
    limit_t threshold;
    const char *measure;                 /* what the threshold is measured on */
    int has_base;
    mez_tensor_decimal_t base;
    const char *base_text;
    const char **excludes;
    size_t n_excludes;
    const condition_t *conditions;
    size_t n_conditions;
} tax_row_t;

typedef struct {
    row_head_t h;
    const char *obligation;
    limit_t limit;
} threshold_row_t;

typedef struct {
    const pack_t *pack;
    const char *id, *title, *list_date, *valid_from, *valid_to;
    int32_t from, to;
    const json_t *source;
} list_t;

typedef struct {
    const list_t *list;
    const char *id, *name, *listed_on, *source_detail;
    int32_t listed_day, from, to;
    const json_t *source;                /* the entry's own source, else the list's */
} entry_t;

/* A sum a licensepack states: {amount: decimal, currency} or {amount_minor: integer, currency}. Only the first is
 * compared with anything: the minor unit of a currency is not in the packs, and is not guessed. */
typedef struct {
    const json_t *json;
    int has_decimal;
    mez_tensor_decimal_t amount;
    const char *currency;
} pack_money_t;

/* A requirement of a licence type, a row of its own: h.id is "<licence type id>/<requirement id>", so a trace
 * cites "<pack>/<licence type>/<requirement id>", and its validity is the licence type's unless it has its own. */
typedef struct {
    row_head_t h;
    const char *id, *description;
    int has_count;
    json_int_t count;
    int has_amount;
    pack_money_t amount;
} requirement_t;

typedef struct {
    row_head_t h;                        /* h.id is "<licence type id>/<fee id>"; validity the licence type's */
    const char *id;
    pack_money_t amount;
} fee_t;

typedef struct {
    row_head_t h;
    const char *name, *regulator;
    const requirement_t *reqs;
    size_t n_reqs;
    const fee_t *fees;
    size_t n_fees;
} licence_t;

struct mez_tensor_index_t {
    pack_t *packs;
    size_t npacks;
    apr_hash_t *wht;                                /* payment_type -> array of wht_row_t *, load order */
    apr_hash_t *tax_rates;                          /* "<tax>/<income_class>" -> array of tax_row_t *, load order */
    /* Per domain, currency -> array of threshold_row_t *: limits met from below (above, at_or_above) sorted
     * up, limits met from above (below, at_or_below) sorted down, so a scan stops at the first one not met. */
    apr_hash_t *thresholds_up[MEZ_DOMAIN_COUNT];
    apr_hash_t *thresholds_down[MEZ_DOMAIN_COUNT];
    apr_array_header_t *lists;                      /* list_t * */
    mez_tensor_screen_t *screen;                    /* names and aliases -> entry_t * */
    /* Licence type id -> array of licence_t *, load order: one id may be in several packs (a zone's layers),
     * and which of them binds depends on the action's jurisdiction. */
    apr_hash_t *licences;
    size_t rows;
};

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
    *out = json_string_value(v);
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
    l->text = json_string_value(v);
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
    *text = json_string_value(v);
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

/* Whether amount falls on the side of the limit where the rule applies (same currency assumed). */
static int limit_met(const mez_tensor_decimal_t *amount, const limit_t *l)
{
    int c = mez_tensor_decimal_cmp(amount, &l->amount);
    switch (l->kind) {
    case LIMIT_ABOVE: return c > 0;
    case LIMIT_AT_OR_ABOVE: return c >= 0;
    case LIMIT_BELOW: return c < 0;
    case LIMIT_AT_OR_BELOW: return c <= 0;
    }
    return 0;
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
                                   const json_t **source)
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

static void push(apr_pool_t *p, apr_hash_t *h, const char *key, void *item)
{
    apr_array_header_t *a = apr_hash_get(h, key, APR_HASH_KEY_STRING);
    if (!a) {
        a = apr_array_make(p, 4, sizeof(void *));
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
    r->rate_text[kind] = json_string_value(v);
    return MEZ_OK;
}

static mez_status_t load_withholding(build_t *b)
{
    mez_status_t rv;
    const json_t *rows = section(b, "withholding_rates", &rv), *row;
    apr_hash_t *tables = apr_hash_make(b->p);   /* "<section>\x1f<payment type>\x1f<payee class>" -> rows */
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
            if ((rv = limit_field(b, thr, mez_pointer_join(b->p, ptr, "threshold"), &r->threshold)) != MEZ_OK)
                return rv;
            r->has_threshold = 1;
        }
        if ((rv = base_amount_field(b, row, ptr, r->has_threshold, &r->threshold, &r->has_base, &r->base,
                                    &r->base_text)) != MEZ_OK)
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
        push(b->p, b->ix->wht, r->payment_type, r);
        push(b->p, tables, apr_pstrcat(b->p, r->section, "\x1f", r->payment_type, "\x1f", r->payee_class, NULL), r);
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
        for (int k = 0; banded && k < group->nelts; k++)
            APR_ARRAY_IDX(group, k, wht_row_t *)->table = group;
    }
    return MEZ_OK;
}

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
        if ((rv = row_head(b, row, ptr, &r->h)) != MEZ_OK
            || (rv = str_field(b, row, ptr, "obligation", 1, &r->obligation)) != MEZ_OK)
            return rv;
        amount = json_object_get(row, "amount");
        if (!json_is_object(amount))
            return bad(b, "tensor.pack.missing_field", mez_pointer_join(b->p, ptr, "amount"),
                       "amount {amount, currency, applies} is required");
        if ((rv = limit_field(b, amount, mez_pointer_join(b->p, ptr, "amount"), &r->limit)) != MEZ_OK)
            return rv;
        /* A threshold belongs to its pack's domain: an aml regpack's limits trigger aml obligations. */
        push(b->p, r->limit.kind == LIMIT_ABOVE || r->limit.kind == LIMIT_AT_OR_ABOVE
                       ? b->ix->thresholds_up[b->pack->domain] : b->ix->thresholds_down[b->pack->domain],
             r->limit.currency, r);
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
        (*out)[i] = json_string_value(item);
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
        push(b->p, b->ix->tax_rates, apr_pstrcat(b->p, r->tax, "/", r->income_class, NULL), r);
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
                || (rv = str_field(b, item, fp, "fee_type", 0, &s)) != MEZ_OK
                || (rv = str_field(b, item, fp, "filing", 0, &s)) != MEZ_OK
                || (rv = str_field(b, item, fp, "description", 0, &s)) != MEZ_OK)
                return rv;
        }
        l->fees = fees;
        l->n_fees = k;
        push(b->p, b->ix->licences, l->h.id, l);
        b->ix->rows++;
    }
    return MEZ_OK;
}

static mez_status_t load_header(build_t *b)
{
    const json_t *doc = b->pack->doc, *sources, *sv;
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
        apr_hash_set(b->pack->sources, s, APR_HASH_KEY_STRING, sv);
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

mez_status_t mez_tensor_index_build(apr_pool_t *p, const json_t *const *packs, size_t n,
                                    mez_tensor_index_t **out, mez_problem_t *pb)
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
    }
    ix->lists = apr_array_make(p, 8, sizeof(list_t *));
    ix->screen = mez_tensor_screen_create(p);
    ix->licences = apr_hash_make(p);

    for (size_t i = 0; i < n; i++) {
        pack_t *pk = &ix->packs[i];
        pk->ordinal = i;
        b.pack = pk;
        b.ids = apr_hash_make(p);
        if (!json_is_object(packs[i]))
            return mez_problem(pb, p, MEZ_EINVAL, 400, "tensor.pack.invalid", "",
                               "pack #%" APR_SIZE_T_FMT " is not a JSON object", i);
        /* The index points into the pack's strings, so it holds a reference for as long as it lives. */
        pk->doc = mez_json_pool_own(p, json_incref((json_t *)packs[i]));
        if ((rv = load_header(&b)) != MEZ_OK)
            return rv;
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
            || (rv = load_thresholds(&b)) != MEZ_OK || (rv = load_lists(&b)) != MEZ_OK)
            return rv;
    }
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

/* ------------------------------------------------------------------ evaluation */

typedef struct {
    int evaluated;
    int has_rule_state;
    mez_state_t rule_state;
    int hard_block;
    int obligations;
    json_t *reasons;
    mez_state_t state;
} cell_t;

typedef struct {
    apr_pool_t *p;
    const mez_tensor_index_t *ix;
    const mez_tensor_action_t *a;
    cell_t cell[MEZ_DOMAIN_COUNT];
    json_t *withholding;
    json_t *income_tax;
    json_t *fees;                 /* licence application naming a licence type: the fees of that type */
    const apr_array_header_t *licences;   /* licence_t * of action.licence_type binding the jurisdiction */
    apr_time_t as_of;             /* the end of the action's date: attestations must cover it */
} eval_t;

/* A pack of jurisdiction "pk" applies to "pk" and to its zones "pk-sifc", "pk-rez": national law binds the
 * zone; a zone overlay never applies to its parent. */
static int pack_applies(const pack_t *pk, const char *jurisdiction)
{
    size_t n = strlen(pk->jurisdiction_id);
    return !strncmp(pk->jurisdiction_id, jurisdiction, n) && (jurisdiction[n] == '\0' || jurisdiction[n] == '-');
}

static int in_force(int32_t from, int32_t to, int32_t day)
{
    return (from == 0 || from <= day) && (to == 0 || day < to);
}

static void set_str(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

/* A copy of a pack value for a result. Written out rather than json_deep_copy(): some jansson versions mark
 * the values they copy to detect loops, and pack values are read by many threads at once. Pack models come
 * from JSON or YAML documents, so they hold no loops and nest shallowly. */
static json_t *copy_value(const json_t *v)
{
    const char *key;
    json_t *out, *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach((json_t *)v, key, item)
            json_object_set_new(out, key, copy_value(item));
        return out;
    case JSON_ARRAY:
        out = json_array();
        json_array_foreach(v, i, item)
            json_array_append_new(out, copy_value(item));
        return out;
    case JSON_STRING:
        return json_stringn(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return json_integer(json_integer_value(v));
    case JSON_REAL:
        return json_real(json_real_value(v));
    case JSON_TRUE:
        return json_true();
    case JSON_FALSE:
        return json_false();
    case JSON_NULL:
        return json_null();
    }
    return json_null();
}

/* {id, title, url, date} of a source. Copied, never shared: results are built by many threads at once and
 * must not touch the reference counts of the index's values. */
static json_t *source_json(const json_t *src)
{
    static const char *const keys[] = { "id", "title", "url", "date" };
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *v = json_object_get(src, keys[i]);
        if (json_is_string(v))
            set_str(o, keys[i], json_string_value(v));
    }
    return o;
}

/* The citation every rule-based reason carries: which row, in force from when, under which law and source. */
static void cite(json_t *o, const row_head_t *h)
{
    const json_t *v;
    char rule[512];
    apr_snprintf(rule, sizeof(rule), "%s/%s", h->pack->id, h->id);
    set_str(o, "rule", rule);
    set_str(o, "valid_from", h->valid_from);
    set_str(o, "valid_to", h->valid_to);
    json_object_set_new(o, "source", source_json(h->source));
    if ((v = json_object_get(h->row, "source_detail")) != NULL)
        set_str(o, "source_detail", json_string_value(v));
    if ((v = json_object_get(h->row, "law")) != NULL)
        json_object_set_new(o, "law", copy_value(v));
    if ((v = json_object_get(h->row, "conflicts")) != NULL)
        set_str(o, "conflicts", json_string_value(v));
}

static json_t *reason(eval_t *ev, mez_domain_t d, const char *code)
{
    json_t *r = json_object();
    json_object_set_new(r, "code", json_string(code));
    json_array_append_new(ev->cell[d].reasons, r);
    return r;
}

static void decide(eval_t *ev, mez_domain_t d, mez_state_t s)
{
    cell_t *c = &ev->cell[d];
    /* Several rules may decide one domain; together they are as good as the worst. */
    c->rule_state = c->has_rule_state ? mez_state_meet(c->rule_state, s) : s;
    c->has_rule_state = 1;
}

static json_t *list_json(const list_t *l)
{
    json_t *o = json_object();
    set_str(o, "id", l->id);
    set_str(o, "title", l->title);
    set_str(o, "list_date", l->list_date);
    return o;
}

static void screen_party(eval_t *ev, const mez_tensor_party_t *party, const char *role, int *hits_total,
                         int *unscreenable)
{
    mez_tensor_screen_hit_t *hits;
    const char *norm = mez_tensor_name_normalise(ev->p, party->name);
    size_t n, i;

    if (!*norm) {
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "name_not_screenable");
        set_str(r, "party", role);
        set_str(r, "party_id", party->id);
        set_str(r, "detail", "the name has no letters or digits left to compare");
        (*unscreenable)++;
        return;
    }
    n = mez_tensor_screen_match(ev->ix->screen, ev->p, party->name, &hits);
    for (i = 0; i < n; i++) {
        const entry_t *e = hits[i].entry;
        const list_t *l = e->list;
        json_t *r, *entry, *match;
        char rule[512];
        /* An entry counts only where its pack binds this jurisdiction and it was listed on the action's date. */
        if (!pack_applies(l->pack, ev->a->jurisdiction) || !in_force(l->from, l->to, ev->a->day)
            || !in_force(e->from, e->to, ev->a->day) || (e->listed_day && e->listed_day > ev->a->day))
            continue;
        r = reason(ev, MEZ_DOMAIN_SANCTIONS, "sanctions_match");
        json_object_set_new(r, "hard_block", json_true());
        set_str(r, "party", role);
        set_str(r, "party_id", party->id);
        set_str(r, "screened_name", party->name);
        json_object_set_new(r, "list", list_json(l));
        entry = json_object();
        set_str(entry, "id", e->id);
        set_str(entry, "name", e->name);
        set_str(entry, "listed_on", e->listed_on);
        json_object_set_new(r, "entry", entry);
        match = json_object();
        set_str(match, "on", hits[i].alias ? "alias" : "name");
        set_str(match, "listed_name", hits[i].matched_name);
        set_str(match, "how", hits[i].how == MEZ_SCREEN_EXACT ? "exact" : "all_tokens");
        set_str(match, "normalised", norm);
        set_str(match, "listed_normalised", mez_tensor_name_normalise(ev->p, hits[i].matched_name));
        json_object_set_new(r, "match", match);
        apr_snprintf(rule, sizeof(rule), "%s/%s", l->pack->id, e->id);
        set_str(r, "rule", rule);
        json_object_set_new(r, "source", source_json(e->source));
        set_str(r, "source_detail", e->source_detail);
        (*hits_total)++;
    }
}

static void eval_sanctions(eval_t *ev)
{
    const mez_tensor_action_t *a = ev->a;
    apr_array_header_t *in_force_lists = apr_array_make(ev->p, 4, sizeof(const list_t *));
    int hits = 0, unscreenable = 0;

    for (int i = 0; i < ev->ix->lists->nelts; i++) {
        const list_t *l = APR_ARRAY_IDX(ev->ix->lists, i, const list_t *);
        if (pack_applies(l->pack, a->jurisdiction) && in_force(l->from, l->to, a->day))
            APR_ARRAY_PUSH(in_force_lists, const list_t *) = l;
    }
    if (in_force_lists->nelts == 0) {
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "no_sanctions_list");
        set_str(r, "detail", "no sanctions or proscription list of this jurisdiction is loaded; nothing was screened");
        return;
    }
    screen_party(ev, &a->subject, "subject", &hits, &unscreenable);
    if (a->has_counterparty)
        screen_party(ev, &a->counterparty, "counterparty", &hits, &unscreenable);
    if (hits) {
        ev->cell[MEZ_DOMAIN_SANCTIONS].hard_block = 1;
        decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_NON_COMPLIANT);
        return;
    }
    if (unscreenable) {
        decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_PENDING);
        return;
    }
    for (int i = 0; i < in_force_lists->nelts; i++) {
        const list_t *l = APR_ARRAY_IDX(in_force_lists, i, const list_t *);
        json_t *r = reason(ev, MEZ_DOMAIN_SANCTIONS, "sanctions_clear");
        json_t *parties = json_array();
        char rule[512];
        json_array_append_new(parties, json_string("subject"));
        if (a->has_counterparty)
            json_array_append_new(parties, json_string("counterparty"));
        json_object_set_new(r, "parties", parties);
        json_object_set_new(r, "list", list_json(l));
        apr_snprintf(rule, sizeof(rule), "%s/%s", l->pack->id, l->id);
        set_str(r, "rule", rule);
        json_object_set_new(r, "source", source_json(l->source));
    }
    decide(ev, MEZ_DOMAIN_SANCTIONS, MEZ_STATE_COMPLIANT);
}

static json_t *limit_json(const limit_t *l)
{
    json_t *t = json_object();
    set_str(t, "amount", l->text);
    set_str(t, "currency", l->currency);
    set_str(t, "applies", l->applies);
    return t;
}

static json_t *rules_json(const wht_row_t *const *rows, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        cite(o, &rows[i]->h);
        set_str(o, "section", rows[i]->section);
        set_str(o, "payee_class", rows[i]->payee_class);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *tax_reason(eval_t *ev, const char *code, const wht_row_t *r)
{
    json_t *o = reason(ev, MEZ_DOMAIN_TAX, code);
    if (r) {
        cite(o, &r->h);
        set_str(o, "section", r->section);
        set_str(o, "payment_type", r->payment_type);
        set_str(o, "payee_class", r->payee_class);
    }
    return o;
}

/* Pending with the reason given: the tax a payment owes cannot be settled from what is known. */
static void tax_pending(eval_t *ev, const char *code, const wht_row_t *r, const char *detail)
{
    json_t *o = tax_reason(ev, code, r);
    set_str(o, "detail", detail);
    decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
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
        set_str(o, "withholding_rule", a->withholding_rule);
        set_str(o, "payment_type", a->payment_type);
        set_str(o, "detail", "the withholding_rule named is not a row of this payment type in force on the date "
                             "in this jurisdiction");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (unknown_class) {
        /* The rate depends on the payee's class and we do not know it: refusing to guess is the only safe
         * answer, since the lower rate would under-withhold. */
        json_t *o = tax_reason(ev, "entity_class_unknown", NULL);
        set_str(o, "payee", a->has_counterparty ? "counterparty" : "subject");
        set_str(o, "payment_type", a->payment_type);
        set_str(o, "detail", "the payee's entity_class decides which withholding row applies");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    *out = cand;
    *n = k;
    return 1;
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
static int band_start_cmp(int has_x, const limit_t *x, int has_y, const limit_t *y)
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
        c = best ? band_start_cmp(r->has_threshold, &r->threshold, best->has_threshold, &best->threshold) : 1;
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
        set_str(o, "basis", basis);
        set_str(o, "amount_basis", a->amount_basis);
        set_str(o, "detail", "the rate applies to another figure than the one action.amount is (amount_basis)");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return 0;
    }
    if (r->table) {
        /* Band limits are on the year's figure (annual salary, the year's rent): one payment's amount would
         * fall in too low a band, so the caller must say that the amount is that figure. */
        o = tax_reason(ev, "amount_basis_required", r);
        set_str(o, "basis", basis);
        set_str(o, "detail", "the bands of a progressive table are limits on a figure for the whole tax year: give "
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

static void eval_withholding(eval_t *ev)
{
    const mez_tensor_action_t *a = ev->a;
    const mez_tensor_party_t *payee = a->has_counterparty ? &a->counterparty : &a->subject;
    const char *role = a->has_counterparty ? "counterparty" : "subject";
    const wht_row_t **cand, **met, *r;
    size_t ncand, nmet = 0, nband, i, j;
    int kind, same_pack = 1;
    mez_tensor_decimal_t excess, on_excess, tax;
    json_t *o, *w;
    const char *amount;

    if (!a->payment_type || !a->has_amount)
        return;         /* a cross-border transfer without a payment type names no withholding head */
    if (!withholding_candidates(ev, payee, &cand, &ncand))
        return;
    if (ncand == 0) {
        o = tax_reason(ev, "no_withholding_rate", NULL);
        set_str(o, "payment_type", a->payment_type);
        set_str(o, "payee_class", mez_entity_class_name(payee->entity_class));
        set_str(o, "date", a->date);
        set_str(o, "detail", "no withholding row of this jurisdiction is in force for this payment type and payee");
        return;         /* no rule decides it: evidence or pending */
    }
    kind = payee->filer_status == MEZ_FILER_STATUS_FILER ? RATE_FILER
         : payee->filer_status == MEZ_FILER_STATUS_NON_FILER ? RATE_NON_FILER : -1;
    /* Thresholds first: a row whose threshold the amount does not reach does not apply at all, whatever the
     * payee's status, and sukuk rows split on the amount (up to / above Rs 1 million). */
    met = apr_palloc(ev->p, (ncand + 1) * sizeof(*met));
    for (i = 0; i < ncand; i++) {
        r = cand[i];
        if (r->has_threshold && strcmp(r->threshold.currency, a->currency)) {
            o = tax_reason(ev, "currency_mismatch", r);
            set_str(o, "threshold_currency", r->threshold.currency);
            set_str(o, "currency", a->currency);
            set_str(o, "detail", "the threshold is in another currency and no exchange rate is given");
            decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
            return;
        }
        if (r->table || (r->has_threshold && !limit_met(&a->amount, &r->threshold)))
            continue;
        met[nmet++] = r;
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
    if (nmet == 0) {
        for (i = 0; i < ncand; i++) {
            o = tax_reason(ev, "threshold_not_met", cand[i]);
            if (cand[i]->has_threshold)
                json_object_set_new(o, "threshold", limit_json(&cand[i]->threshold));
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
        json_object_set_new(o, "rules", rules_json(met, nmet));
        set_str(o, "detail", same_pack ? "several withholding rows apply to this payment; name one in "
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
        set_str(o, "payee", role);
        set_str(o, "detail", "the payee's filer_status (Active Taxpayers List) decides the rate");
        decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_PENDING);
        return;
    }
    if (!r->has_rate[kind]) {
        o = tax_reason(ev, "rate_missing", r);
        set_str(o, "filer_status", mez_filer_status_name(payee->filer_status));
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
    set_str(w, "section", r->section);
    set_str(w, "rate", r->rate_text[kind]);
    set_str(w, "amount", amount);
    set_str(w, "currency", a->currency);
    set_str(w, "base_amount", a->amount_text);
    set_str(w, "basis", r->basis ? r->basis : "gross_amount");
    set_str(w, "filer_status", mez_filer_status_name(payee->filer_status));
    set_str(w, "payee", role);
    set_str(w, "payee_id", payee->id);
    set_str(w, "payee_class", r->payee_class);
    set_str(w, "payment_type", r->payment_type);
    if (json_is_boolean(json_object_get(r->h.row, "final_tax")))
        json_object_set_new(w, "final_tax", json_boolean(json_is_true(json_object_get(r->h.row, "final_tax"))));
    if (r->has_threshold)
        json_object_set_new(w, "threshold", limit_json(&r->threshold));
    if (r->table) {
        /* base_amount above is the figure taxed (kept for callers of flat rates); the band's own fixed tax is
         * band.base_amount, so the sum can be checked by hand: base_amount + rate % of excess. */
        json_object_set_new(w, "progressive", json_true());
        if (r->has_base) {
            json_t *band = json_object();
            set_str(band, "base_amount", r->base_text);
            set_str(band, "excess", mez_tensor_decimal_format(ev->p, &excess));
            set_str(band, "tax_on_excess", mez_tensor_decimal_format(ev->p, &on_excess));
            json_object_set_new(w, "band", band);
        }
    }
    if (a->withholding_rule)
        json_object_set_new(w, "selected_by_action", json_true());
    cite(w, &r->h);
    json_array_append_new(ev->withholding, w);

    o = tax_reason(ev, "withholding_applies", r);
    set_str(o, "rate", r->rate_text[kind]);
    set_str(o, "filer_status", mez_filer_status_name(payee->filer_status));
    set_str(o, "amount", amount);
    set_str(o, "currency", a->currency);
    if (a->withholding_rule)
        json_object_set_new(o, "selected_by_action", json_true());
    decide(ev, MEZ_DOMAIN_TAX, MEZ_STATE_COMPLIANT);
}

/* ------------------------------------------------------------------ income tax (tax_rates) */

static json_t *income_reason(eval_t *ev, const char *code, const tax_row_t *r, const mez_tensor_money_t *item)
{
    json_t *o = reason(ev, MEZ_DOMAIN_TAX, code);
    if (r) {
        cite(o, &r->h);
        set_str(o, "tax", r->tax);
        set_str(o, "article", r->article);
        set_str(o, "taxpayer_class", r->taxpayer_class);
    }
    if (item)
        set_str(o, "income_class", item->name);
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

/* Whether an attestation under the evidence of domain d names the obligation and has not expired at as_of. */
static int evidenced(const mez_tensor_action_t *a, mez_domain_t d, const char *obligation, apr_time_t as_of)
{
    const mez_tensor_evidence_t *e = &a->evidence[d];
    for (size_t i = 0; i < e->n_attestations; i++) {
        const mez_tensor_attestation_t *att = &e->attestations[i];
        if (mez_tensor_attestation_expired(att, as_of))
            continue;
        for (size_t j = 0; j < att->n_obligations; j++)
            if (!strcmp(att->obligations[j], obligation))
                return 1;
    }
    return 0;
}

/* A row's conditions are obligations the taxpayer must meet for the row to apply: a declared class is only a
 * claim, so each must be evidenced. Lists those that are not, and returns 0 if any. */
static int conditions_hold(eval_t *ev, const tax_row_t *r, const mez_tensor_money_t *item)
{
    json_t *missing = NULL;
    for (size_t i = 0; i < r->n_conditions; i++) {
        const condition_t *c = &r->conditions[i];
        json_t *o;
        char rule[512];
        if (evidenced(ev->a, r->h.pack->domain, c->id, ev->as_of))
            continue;
        if (!missing)
            missing = json_array();
        o = json_object();
        apr_snprintf(rule, sizeof(rule), "%s/%s", r->h.pack->id, c->id);
        set_str(o, "obligation", c->id);
        set_str(o, "rule", rule);
        set_str(o, "description", c->description);
        if (c->source)
            json_object_set_new(o, "source", source_json(c->source));
        json_array_append_new(missing, o);
    }
    if (missing) {
        json_t *o = income_reason(ev, "condition_not_evidenced", r, item);
        json_object_set_new(o, "conditions", missing);
        set_str(o, "evidence_domain", r->h.pack->domain_name);
        set_str(o, "detail", "the row applies only where these obligations hold: give an attestation naming each in "
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

static json_t *tax_rules_json(const applied_t *ap, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        cite(o, &ap[i].row->h);
        set_str(o, "article", ap[i].row->article);
        set_str(o, "taxpayer_class", ap[i].row->taxpayer_class);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *tax_limit_json(const tax_row_t *r)
{
    json_t *t = limit_json(&r->threshold);
    set_str(t, "measure", r->measure);
    return t;
}

/* Pending for the item, naming the rows: the income is taxed, but not in a way this evaluation can settle. */
static void income_pending(eval_t *ev, const char *code, const applied_t *ap, size_t n,
                           const mez_tensor_money_t *item, const char *detail)
{
    json_t *o = income_reason(ev, code, NULL, item);
    json_object_set_new(o, "rules", tax_rules_json(ap, n));
    set_str(o, "detail", detail);
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
        int c = band_start_cmp(ap[i].row->has_threshold, &ap[i].row->threshold, ap[best].row->has_threshold,
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
            set_str(o, "excluded_class", excluded);
            continue;
        }
        if (!conditions_hold(ev, r, item)) {
            blocked++;
            continue;
        }
        if (!known_tax_basis(r)) {
            o = income_reason(ev, "basis_not_supported", r, item);
            set_str(o, "basis", r->basis);
            set_str(o, "detail", "the rate applies to a figure the income item does not state");
            blocked++;
            continue;
        }
        ap[n].row = r;
        ap[n].taxable = item->amount;
        if (r->has_threshold) {
            if (!(m = measured(a, r->measure))) {
                o = income_reason(ev, "measure_not_given", r, item);
                set_str(o, "measure", r->measure);
                set_str(o, "detail", "the row's threshold is measured on a figure the action does not give (an "
                                     "income class or action.figures)");
                blocked++;
                continue;
            }
            if (strcmp(m->currency, r->threshold.currency)) {
                o = income_reason(ev, "currency_mismatch", r, item);
                set_str(o, "threshold_currency", r->threshold.currency);
                set_str(o, "currency", m->currency);
                set_str(o, "detail", "the threshold is in another currency and no exchange rate is given");
                blocked++;
                continue;
            }
            /* A portion, or a band's excess, is of the income itself: a limit on another figure cannot cut it. */
            if ((is_portion(r) || r->has_base) && m != item) {
                o = income_reason(ev, "basis_not_supported", r, item);
                set_str(o, "measure", r->measure);
                set_str(o, "detail", "the row taxes part of the income by a limit measured on another figure");
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
                json_object_set_new(o, "threshold", tax_limit_json(r));
                set_str(o, "measured", m->amount_text);
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
        o = income_reason(ev, "no_tax_rate", NULL, item);
        set_str(o, "tax", a->tax);
        set_str(o, "detail", "no tax row of this jurisdiction in force for the period applies to this income and the "
                             "classes the subject declares");
        return;         /* no rule decides it: evidence or pending */
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
        char rule[512];
        /* Income that does not pass a portion row's lower limit leaves that row nothing to tax. */
        if (is_portion(r) && ap[i].taxable.coef == 0 && r->has_threshold
            && (r->threshold.kind == LIMIT_ABOVE || r->threshold.kind == LIMIT_AT_OR_ABOVE)) {
            o = income_reason(ev, "threshold_not_met", r, item);
            json_object_set_new(o, "threshold", tax_limit_json(r));
            set_str(o, "measured", item->amount_text);
            continue;
        }
        all_exempt &= r->exempt;
        e = json_object();
        set_str(e, "tax", r->tax);
        set_str(e, "article", r->article);
        set_str(e, "taxpayer_class", r->taxpayer_class);
        set_str(e, "income_class", r->income_class);
        if (r->exempt)
            json_object_set_new(e, "exempt", json_true());
        else {
            set_str(e, "rate", r->rate_text);
            set_str(e, "basis", r->basis);
        }
        set_str(e, "amount", mez_tensor_decimal_format(ev->p, &ap[i].tax));
        set_str(e, "currency", item->currency);
        set_str(e, "income", item->amount_text);
        if (!r->exempt)
            set_str(e, "taxable_amount", mez_tensor_decimal_format(ev->p, &ap[i].taxable));
        if (r->has_base)
            set_str(e, "base_amount", r->base_text);
        if (r->has_threshold)
            json_object_set_new(e, "threshold", tax_limit_json(r));
        cite(e, &r->h);
        json_array_append_new(ev->income_tax, e);
        apr_snprintf(rule, sizeof(rule), "%s/%s", r->h.pack->id, r->h.id);
        json_array_append_new(rules, json_string(rule));
    }
    o = income_reason(ev, "income_tax_assessed", NULL, item);
    set_str(o, "tax", a->tax);
    set_str(o, "income", item->amount_text);
    set_str(o, "amount", mez_tensor_decimal_format(ev->p, &total));
    set_str(o, "currency", item->currency);
    json_object_set_new(o, "rules", rules);
    /* An exemption is the law's, and the lattice has a state for it; a 0 % rate is not one. */
    decide(ev, MEZ_DOMAIN_TAX, all_exempt ? MEZ_STATE_EXEMPT : MEZ_STATE_COMPLIANT);
}

static void eval_income_tax(eval_t *ev)
{
    if (ev->a->type != MEZ_ACTION_TAX_ASSESSMENT)
        return;
    for (size_t i = 0; i < ev->a->n_income; i++)
        assess_income(ev, &ev->a->income[i]);
}

/* ------------------------------------------------------------------ licensing */

static json_t *money_json(const pack_money_t *m)
{
    return copy_value(m->json);
}

static json_t *licence_reason(eval_t *ev, const char *code, const licence_t *l, const row_head_t *h)
{
    json_t *o = reason(ev, MEZ_DOMAIN_LICENSING, code);
    cite(o, h);
    set_str(o, "licence_type", l->h.id);
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
    int attested = evidenced(a, MEZ_DOMAIN_LICENSING, r->id, ev->as_of);
    json_t *o = licence_reason(ev, below ? "requirement_not_met" : attested ? "requirement_evidenced"
                                                                             : "requirement_unevidenced", l, &r->h);
    set_str(o, "requirement", r->id);
    set_str(o, "description", r->description);
    if (r->has_count)
        json_object_set_new(o, "count", json_integer(r->count));
    if (r->has_amount)
        json_object_set_new(o, "amount", money_json(&r->amount));
    if (r->has_amount && a->subject.has_capital) {
        json_t *cap = json_object();
        set_str(cap, "amount", a->subject.capital.amount_text);
        set_str(cap, "currency", a->subject.capital.currency);
        json_object_set_new(o, "capital", cap);
        if (!below && (!r->amount.has_decimal || strcmp(a->subject.capital.currency, r->amount.currency)))
            set_str(o, "capital_not_compared", "the minimum is not a decimal amount in the capital's currency, and "
                                               "the packs carry no exchange rate or minor unit to convert with");
    }
    if (below) {
        set_str(o, "detail", "the capital the subject states is below this requirement's minimum");
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_NON_COMPLIANT);
    } else if (attested) {
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_COMPLIANT);
    } else {
        set_str(o, "detail", "give an attestation naming this requirement id in its obligations, under the "
                             "evidence of the licensing domain");
        decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_PENDING);
    }
}

static void licence_fees(eval_t *ev, const licence_t *l)
{
    for (size_t i = 0; i < l->n_fees; i++) {
        const fee_t *f = &l->fees[i];
        const json_t *v;
        json_t *o = json_object();
        cite(o, &f->h);
        set_str(o, "licence_type", l->h.id);
        set_str(o, "id", f->id);
        json_object_set_new(o, "amount", money_json(&f->amount));
        if ((v = json_object_get(f->h.row, "fee_type")) != NULL)
            set_str(o, "fee_type", json_string_value(v));
        if ((v = json_object_get(f->h.row, "filing")) != NULL)
            set_str(o, "filing", json_string_value(v));
        if ((v = json_object_get(f->h.row, "description")) != NULL)
            set_str(o, "description", json_string_value(v));
        json_array_append_new(ev->fees, o);
    }
}

/* A licence application is decided by the requirements of the licence type applied for: each must be
 * evidenced, since the applicant's word is not proof, and a minimum its own stated capital misses fails it. */
static void eval_licensing(eval_t *ev)
{
    for (int i = 0; ev->licences && i < ev->licences->nelts; i++) {
        const licence_t *l = APR_ARRAY_IDX(ev->licences, i, const licence_t *);
        size_t in_force_reqs = 0;
        json_t *o;
        if (!in_force(l->h.from, l->h.to, ev->a->day)) {
            o = licence_reason(ev, "licence_type_not_in_force", l, &l->h);
            set_str(o, "detail", "the licence type was not available on the action's date");
            decide(ev, MEZ_DOMAIN_LICENSING, MEZ_STATE_NON_COMPLIANT);
            continue;
        }
        o = licence_reason(ev, "licence_type", l, &l->h);
        set_str(o, "name", l->name);
        set_str(o, "regulator", l->regulator);
        for (size_t k = 0; k < l->n_reqs; k++) {
            if (!in_force(l->reqs[k].h.from, l->reqs[k].h.to, ev->a->day))
                continue;
            eval_requirement(ev, l, &l->reqs[k]);
            in_force_reqs++;
        }
        /* No requirement encoded is not "no requirement": the domain is left to the evidence, as before. */
        if (!in_force_reqs)
            set_str(o, "detail", "the pack states no requirement in force for this licence type on this date");
        licence_fees(ev, l);
    }
}

/* Members of a threshold row the evaluator reads; any other (transaction_type, applies_to, direction, ...:
 * conditions some packs add) is reported with the reason as not checked, since the action does not carry
 * the facts to check it and a possibly-owed obligation must not be dropped. */
static int known_threshold_member(const char *k)
{
    static const char *const known[] = { "id", "obligation", "amount", "valid_from", "valid_to", "source",
                                         "source_detail", "conflicts", "law", NULL };
    for (const char *const *q = known; *q; q++)
        if (!strcmp(*q, k))
            return 1;
    return 0;
}

static void threshold_reasons(eval_t *ev, mez_domain_t d, const apr_array_header_t *rows)
{
    const mez_tensor_action_t *a = ev->a;
    for (int i = 0; rows && i < rows->nelts; i++) {
        const threshold_row_t *r = APR_ARRAY_IDX(rows, i, const threshold_row_t *);
        const char *key;
        json_t *o, *v, *unchecked = NULL;
        if (!limit_met(&a->amount, &r->limit)) {
            /* Sorted so that once one limit is not met, none further along is; equal amounts with a stricter
             * inclusiveness are the only exception, so those are skipped rather than ending the scan. */
            if (mez_tensor_decimal_cmp(&a->amount, &r->limit.amount) != 0)
                break;
            continue;
        }
        if (!pack_applies(r->h.pack, a->jurisdiction) || !in_force(r->h.from, r->h.to, a->day))
            continue;
        o = reason(ev, d, "threshold_met");
        set_str(o, "obligation", r->obligation);
        json_object_set_new(o, "threshold", limit_json(&r->limit));
        cite(o, &r->h);
        json_object_foreach((json_t *)r->h.row, key, v) {
            if (known_threshold_member(key))
                continue;
            if (!unchecked)
                unchecked = json_object();
            json_object_set_new(unchecked, key, copy_value(v));
        }
        if (unchecked)
            json_object_set_new(o, "unchecked_conditions", unchecked);
        ev->cell[d].obligations++;
    }
}

static void eval_thresholds(eval_t *ev, mez_domain_t d)
{
    if (!ev->a->has_amount)
        return;
    /* Only limits in the action's own currency: there is no exchange rate in the packs to convert with. */
    threshold_reasons(ev, d, apr_hash_get(ev->ix->thresholds_up[d], ev->a->currency, APR_HASH_KEY_STRING));
    threshold_reasons(ev, d, apr_hash_get(ev->ix->thresholds_down[d], ev->a->currency, APR_HASH_KEY_STRING));
}

/* The rule evaluators a domain has beyond thresholds. The switch lists every domain on purpose: with
 * -Wswitch-enum a new domain does not compile until someone decides here what evaluates it. */
static void eval_domain_rules(eval_t *ev, mez_domain_t d)
{
    switch (d) {
    case MEZ_DOMAIN_SANCTIONS:
        eval_sanctions(ev);
        break;
    case MEZ_DOMAIN_TAX:
        eval_withholding(ev);
        eval_income_tax(ev);
        break;
    case MEZ_DOMAIN_LICENSING:
        eval_licensing(ev);
        break;
    case MEZ_DOMAIN_AML:
    case MEZ_DOMAIN_KYC:
    case MEZ_DOMAIN_SECURITIES:
    case MEZ_DOMAIN_CORPORATE:
    case MEZ_DOMAIN_CUSTODY:
    case MEZ_DOMAIN_DATA_PRIVACY:
    case MEZ_DOMAIN_BANKING:
    case MEZ_DOMAIN_PAYMENTS:
    case MEZ_DOMAIN_CLEARING:
    case MEZ_DOMAIN_SETTLEMENT:
    case MEZ_DOMAIN_DIGITAL_ASSETS:
    case MEZ_DOMAIN_EMPLOYMENT:
    case MEZ_DOMAIN_IMMIGRATION:
    case MEZ_DOMAIN_IP:
    case MEZ_DOMAIN_CONSUMER_PROTECTION:
    case MEZ_DOMAIN_ARBITRATION:
    case MEZ_DOMAIN_TRADE:
        break;          /* thresholds and evidence only, for now */
    }
    eval_thresholds(ev, d);
}

/* Rules and evidence into one state. Rules that decide (a screen, a rate) can only be made worse by
 * evidence; obligations a rule opens (a threshold met) wait for evidence; with neither, the domain is
 * pending. A sanctions hit is final whatever the evidence says. */
static void combine(eval_t *ev, mez_domain_t d, apr_time_t as_of)
{
    cell_t *c = &ev->cell[d];
    const mez_tensor_evidence_t *e = &ev->a->evidence[d];
    mez_state_t es = MEZ_STATE_PENDING;
    const char *ereason = NULL;

    if (e->given) {
        json_t *r, *ids = json_array(), *expired = json_array();
        es = mez_tensor_evidence_state(e, as_of, &ereason);
        r = reason(ev, d, ereason);
        if (e->has_state)
            set_str(r, "state_given", mez_state_name(e->state));
        for (size_t i = 0; i < e->n_attestations; i++) {
            json_array_append_new(ids, json_string(e->attestations[i].id));
            if (mez_tensor_attestation_expired(&e->attestations[i], as_of))
                json_array_append_new(expired, json_string(e->attestations[i].id));
        }
        json_object_set_new(r, "attestations", ids);
        json_object_set_new(r, "expired", expired);
    }
    if (c->hard_block) {
        c->state = MEZ_STATE_NON_COMPLIANT;
        return;
    }
    if (c->obligations || !c->has_rule_state) {
        if (!e->given) {
            json_t *r = reason(ev, d, "no_attestation");
            set_str(r, "detail", c->obligations ? "an obligation above is open until evidence of it is given"
                                                : "no rule decides this domain and no evidence was given");
        }
        c->state = e->given ? es : MEZ_STATE_PENDING;
        if (c->has_rule_state)
            c->state = mez_state_meet(c->state, c->rule_state);
        return;
    }
    c->state = e->given ? mez_state_meet(c->rule_state, es) : c->rule_state;
}

static apr_time_t end_of_day(const char *date)
{
    apr_time_t t = 0;
    char buf[32];
    /* The action carries a date, not a time: an attestation must cover the whole day to count (fail closed). */
    apr_snprintf(buf, sizeof(buf), "%sT23:59:59Z", date);
    mez_time_parse_rfc3339(buf, &t);
    return t;
}

mez_status_t mez_tensor_evaluate_action(apr_pool_t *p, const mez_tensor_index_t *ix, const mez_tensor_action_t *a,
                                        const mez_tensor_eval_options_t *opts, json_t **result,
                                        mez_state_t *decision_out, mez_problem_t *pb)
{
    eval_t ev;
    /* The action type says which domains are relevant to it; a zone can only narrow that down to the domains it
     * enforces (evaluating, say, "trade" for every payment would leave every payment pending for no reason). */
    uint32_t mask = mez_action_default_domains(a->type) & (opts && opts->domains ? opts->domains : ~UINT32_C(0));
    apr_time_t as_of = end_of_day(a->date);
    mez_state_t states[MEZ_DOMAIN_COUNT], decision;
    mez_tensor_cells_t cells;
    mez_digest_t commitment;
    json_t *out, *domains, *packs;
    apr_array_header_t *licences = NULL;
    size_t n = 0, i;
    int known = 0, blocked = 0;
    mez_status_t rv;

    *result = NULL;
    packs = json_array();
    for (i = 0; i < ix->npacks; i++) {
        const pack_t *pk = &ix->packs[i];
        json_t *o;
        if (!pack_applies(pk, a->jurisdiction))
            continue;
        known = 1;
        o = json_object();
        set_str(o, "id", pk->id);
        set_str(o, "jurisdiction_id", pk->jurisdiction_id);
        set_str(o, "domain", pk->domain_name);
        set_str(o, "as_of_date", pk->as_of_date);
        json_array_append_new(packs, o);
    }
    if (!known) {
        json_decref(packs);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_jurisdiction", "/action/jurisdiction",
                           "no loaded pack covers jurisdiction '%s'", a->jurisdiction);
    }
    if (a->type == MEZ_ACTION_LICENCE_APPLICATION && a->licence_type) {
        /* One hash lookup, then only the packs of that id: the cost does not grow with the licensepacks. */
        const apr_array_header_t *all = apr_hash_get(ix->licences, a->licence_type, APR_HASH_KEY_STRING);
        licences = apr_array_make(p, 2, sizeof(const licence_t *));
        for (int k = 0; all && k < all->nelts; k++) {
            const licence_t *l = APR_ARRAY_IDX(all, k, const licence_t *);
            if (pack_applies(l->h.pack, a->jurisdiction))
                APR_ARRAY_PUSH(licences, const licence_t *) = l;
        }
        /* A licence type that cannot be found is a mistake in the request, not a pending licence. */
        if (licences->nelts == 0) {
            json_decref(packs);
            return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_licence_type", "/action/licence_type",
                               "no loaded licensepack binding jurisdiction '%s' has licence type '%s'",
                               a->jurisdiction, a->licence_type);
        }
    }

    memset(&ev, 0, sizeof(ev));
    ev.p = p;
    ev.ix = ix;
    ev.a = a;
    ev.withholding = json_array();
    ev.income_tax = json_array();
    ev.fees = json_array();
    ev.licences = licences;
    ev.as_of = as_of;
    /* Evidence makes its domain count: it can only lower the meet, never hide a failing domain. */
    mask |= MEZ_DOMAIN_BIT(MEZ_DOMAIN_SANCTIONS);
    for (i = 0; i < MEZ_DOMAIN_COUNT; i++)
        if (a->evidence[i].given)
            mask |= MEZ_DOMAIN_BIT(i);

    for (i = 0; i < MEZ_DOMAIN_COUNT; i++) {
        cell_t *c = &ev.cell[i];
        c->reasons = json_array();
        if (!(mask & MEZ_DOMAIN_BIT(i))) {
            json_t *r = reason(&ev, (mez_domain_t)i, "not_applicable_to_action");
            set_str(r, "action_type", mez_action_type_name(a->type));
            c->state = MEZ_STATE_NOT_APPLICABLE;
            continue;
        }
        c->evaluated = 1;
        eval_domain_rules(&ev, (mez_domain_t)i);
        combine(&ev, (mez_domain_t)i, as_of);
        states[n++] = c->state;
        blocked |= c->hard_block;
    }
    decision = blocked ? MEZ_STATE_NON_COMPLIANT : mez_state_meet_all(states, n);

    out = mez_json_pool_own(p, json_object());
    domains = json_object();
    mez_tensor_cells_clear(&cells);
    for (i = 0; i < MEZ_DOMAIN_COUNT; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "state", json_string(mez_state_name(ev.cell[i].state)));
        json_object_set_new(o, "reasons", ev.cell[i].reasons);
        json_object_set_new(domains, mez_domain_name((mez_domain_t)i), o);
        mez_tensor_cells_set(&cells, (mez_domain_t)i, ev.cell[i].state);
    }
    json_object_set_new(out, "decision", json_string(mez_state_name(decision)));
    set_str(out, "action_type", mez_action_type_name(a->type));
    set_str(out, "jurisdiction", a->jurisdiction);
    set_str(out, "date", a->date);
    set_str(out, "reference", a->reference);
    json_object_set_new(out, "domains", domains);
    json_object_set_new(out, "withholding", ev.withholding);
    /* Only a tax assessment has income: other results keep the members (and bytes) they always had. */
    if (a->type == MEZ_ACTION_TAX_ASSESSMENT)
        json_object_set_new(out, "income_tax", ev.income_tax);
    else
        json_decref(ev.income_tax);
    /* Likewise fees: only a licence application that names a licence type has them. */
    if (licences)
        json_object_set_new(out, "fees", ev.fees);
    else
        json_decref(ev.fees);
    json_object_set_new(out, "packs", packs);
    if ((rv = mez_tensor_commitment(p, a->jurisdiction, &cells, &commitment, pb)) != MEZ_OK)
        return rv;
    set_str(out, "commitment", mez_digest_format(p, &commitment));
    *result = out;
    if (decision_out)
        *decision_out = decision;
    return MEZ_OK;
}

mez_status_t mez_tensor_evaluate(apr_pool_t *p, const mez_tensor_index_t *ix, const json_t *action_doc,
                                 const mez_tensor_eval_options_t *opts, json_t **result, mez_state_t *decision,
                                 mez_problem_t *pb)
{
    mez_tensor_action_t a;
    mez_status_t rv;
    *result = NULL;
    if ((rv = mez_tensor_action_parse(p, action_doc, &a, pb)) != MEZ_OK)
        return rv;
    return mez_tensor_evaluate_action(p, ix, &a, opts, result, decision, pb);
}
