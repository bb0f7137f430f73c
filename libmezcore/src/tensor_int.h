/* tensor_int.h: what the evaluator's files share and nobody else needs: the structures of the read-only index
 * (tensor_index.c builds it), the state of one evaluation, and the helpers every domain evaluator uses to build
 * its reasons and citations (tensor_cite.c). Not installed. */
#ifndef MEZ_TENSOR_INT_H
#define MEZ_TENSOR_INT_H

#include <string.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/deadline.h"
#include "mez/tensor.h"

/* ------------------------------------------------------------------ index structures */

typedef struct {
    const json_t *doc;
    size_t ordinal;
    const char *id, *format, *jurisdiction_id, *domain_name, *as_of_date;
    const char *digest;           /* "sha256:<hex>" as published; NULL when the index was not told */
    mez_domain_t domain;
    apr_hash_t *sources;          /* source id -> source_t */
} pack_t;

/* A pack's source as a citation shows it, read once when the index is built (an evaluation makes many). */
typedef struct {
    const char *id, *title, *url, *date;  /* NULL where the pack leaves one out */
} source_t;

/* What every dated, sourced row has: it is what a trace cites. */
typedef struct {
    const pack_t *pack;
    const json_t *row;
    const char *id;
    const char *rule;                    /* "<pack id>/<id>", as reasons cite it (made once, here) */
    const char *valid_from, *valid_to;   /* as written; valid_to NULL when still in force */
    int32_t from, to;                    /* yyyymmdd; to 0 when open */
    const source_t *source;
    /* The rest of the citation, looked up once: the row's law (NULL: none), source_detail and conflicts. */
    const json_t *law;
    const char *source_detail, *conflicts;
    size_t seq;                          /* load order, for stable sorting */
} row_head_t;

enum { RATE_FILER, RATE_NON_FILER, RATE_KINDS };

/* How a pack writes a limit: {amount: "75000", currency: PKR, applies: above | at_or_above | below | at_or_below}. */
typedef enum { LIMIT_ABOVE, LIMIT_AT_OR_ABOVE, LIMIT_BELOW, LIMIT_AT_OR_BELOW } limit_kind_t;

typedef struct {
    mez_tensor_decimal_t amount;
    const char *text, *currency, *applies;
    limit_kind_t kind;
    /* A withholding row's limit on the aggregate paid to the payee in the tax year (threshold.aggregate): the name
     * of that figure, which the rows of one provision share; NULL for a limit on the amount itself. */
    const char *aggregate;
} limit_t;

typedef struct {
    row_head_t h;
    const char *section, *payment_type, *payee_class, *basis;
    int has_rate[RATE_KINDS];
    mez_tensor_decimal_t rate[RATE_KINDS];
    const char *rate_text[RATE_KINDS];
    int has_threshold;
    limit_t threshold;
    int final_tax;                       /* -1 when the row does not say, else 0 or 1 */
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
    const char *rule;                    /* "<pack id>/<obligation id>" */
    const json_t *row;
    const source_t *source;
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
    /* obligation_id: the row of the pack's obligations that is this obligation (what it requires, to whom, by
     * when); NULL when the threshold names none. Looked up when an evaluation opens it (mez_tensor_deadline), so
     * that an overlay's row of the same id that an override put in its place is the one cited. */
    const char *obligation_id;
    limit_t limit;
    /* A limit on a figure of the entity (measure: its revenue, ...), never on the action's amount; with a
     * percentage of another figure next to the money amount (de minimis rules: the lower of 5 % of total revenue
     * and AED 5,000,000). NULL measure: the limit is on the action's own amount. */
    const char *measure;
    int has_percent, higher_of;
    mez_tensor_decimal_t percent;
    const char *percent_text, *percent_of;
    /* applies_to: the classes of person the limit binds (financial_institution, dnfbp, ...); none: whoever acts
     * (mez_tensor_threshold_binds). */
    const char **applies_to;
    size_t n_applies_to;
    /* Members the evaluator does not read (transaction_type, direction, ...): reported as not checked. NULL
     * when there are none. Owned by the index; results get copies. */
    json_t *unchecked;
} threshold_row_t;

/* A row of a regpack's obligations: what a met threshold or an unevidenced condition opens, and by when. */
typedef struct {
    row_head_t h;
    const char *regulator, *channel, *description;
    const json_t *deadline_json;         /* the pack's deadline object as written; NULL: the row sets none */
    mez_deadline_t deadline;
} obligation_t;

typedef struct {
    const pack_t *pack;
    const char *id, *title, *list_date, *valid_from, *valid_to;
    const char *rule;                    /* "<pack id>/<list id>" */
    int32_t from, to;
    const source_t *source;
} list_t;

typedef struct {
    const list_t *list;
    const char *id, *name, *listed_on, *source_detail;
    const char *rule;                    /* "<pack id>/<entry id>" */
    int32_t listed_day, from, to;
    const source_t *source;              /* the entry's own source, else the list's */
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

/* A band of a scaled fee: the amount of each unit up to up_to (inclusive; the last band is open). */
typedef struct {
    int open;
    mez_tensor_decimal_t up_to, amount;
} fee_band_t;

/* A fee that grows with the applicant's capital: the base amount covers `included`, each further `per` (a part
 * counting as a whole) costs its band's amount, and `max` (if has_max) caps the whole fee. Every sum is a decimal
 * in the fee amount's currency (the pack validator's after_fee). */
typedef struct {
    mez_tensor_decimal_t included, per, max;
    int has_max;
    const fee_band_t *bands;
    size_t n_bands;
} fee_scale_t;

typedef struct {
    row_head_t h;                        /* h.id is "<licence type id>/<fee id>"; validity the licence type's */
    const char *id;
    pack_money_t amount;
    const fee_scale_t *scale;            /* NULL: a flat fee */
} fee_t;

typedef struct {
    row_head_t h;
    const char *name, *regulator;
    int64_t validity_years;              /* 0: no fixed term */
    int has_renewal;
    int64_t lead_days;                   /* renewal.lead_days */
    const requirement_t *reqs;
    size_t n_reqs;
    const fee_t *fees;
    size_t n_fees;
} licence_t;

typedef struct mez_tensor_frozen_t mez_tensor_frozen_t;

struct mez_tensor_index_t {
    pack_t *packs;
    size_t npacks;
    apr_hash_t *wht;                                /* payment_type -> array of wht_row_t *, load order */
    apr_hash_t *tax_rates;                          /* "<tax>/<income_class>" -> array of tax_row_t *, load order */
    /* Per domain, currency -> array of threshold_row_t *: limits met from below (above, at_or_above) sorted
     * up, limits met from above (below, at_or_below) sorted down, so a scan stops at the first one not met. */
    apr_hash_t *thresholds_up[MEZ_DOMAIN_COUNT];
    apr_hash_t *thresholds_down[MEZ_DOMAIN_COUNT];
    apr_array_header_t *thresholds_measured[MEZ_DOMAIN_COUNT];  /* threshold_row_t * with a measure */
    apr_array_header_t *lists;                      /* list_t * */
    mez_tensor_screen_t *screen;                    /* names and aliases -> entry_t * */
    /* Licence type id -> array of licence_t *, load order: one id may be in several packs (a zone's layers),
     * and which of them binds depends on the action's jurisdiction. */
    apr_hash_t *licences;
    /* Obligation id -> array of obligation_t *, load order: one id may be in several packs (an overlay's row
     * replacing the base's under an override keeps its id), and which binds depends on the jurisdiction. */
    apr_hash_t *obligations;
    size_t rows;
    mez_tensor_frozen_t *frozen;                    /* the strings above as shared JSON values */
};

/* Appends item to the array under key in h, making the array on first use (index building only). */
void mez_tensor_push(apr_pool_t *p, apr_hash_t *h, const char *key, void *item);
/* mez_tensor_screen_match() for a name already normalised (mez_tensor_name_normalise), which the evaluator
 * has made anyway: a name is normalised once per evaluation, not twice. */
size_t mez_tensor_screen_match_normalised(const mez_tensor_screen_t *s, apr_pool_t *p, const char *norm,
                                          mez_tensor_screen_hit_t **hits);

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
    apr_time_t as_of;             /* the end of the later of the action's date and the evidence date
                                   * (mez_tensor_eval_options_t): attestations must cover it */
    int32_t screen_day;           /* yyyymmdd sanctions are screened as of (mez_tensor_eval_options_t) */
    mez_tensor_detail_t detail;   /* how much of each citation the result copies */
    const mez_tensor_eval_options_t *opts;   /* clearances of sanctions hits (may be NULL) */
} eval_t;

/* A pack of jurisdiction "pk" applies to "pk" and to its zones "pk-sifc", "pk-rez": national law binds the
 * zone; a zone overlay never applies to its parent. */
static inline int pack_applies(const pack_t *pk, const char *jurisdiction)
{
    size_t n = strlen(pk->jurisdiction_id);
    return !strncmp(pk->jurisdiction_id, jurisdiction, n) && (jurisdiction[n] == '\0' || jurisdiction[n] == '-');
}

static inline int in_force(int32_t from, int32_t to, int32_t day)
{
    return (from == 0 || from <= day) && (to == 0 || day < to);
}

/* Whether amount falls on the side of the limit where the rule applies (same currency assumed). */
static inline int limit_met(const mez_tensor_decimal_t *amount, const limit_t *l)
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

/* The texts results repeat most as shared immortal JSON values (tensor_frozen.c): a result takes the shared
 * value instead of copying the text. Made while the index is built, read-only afterwards. */
mez_tensor_frozen_t *mez_tensor_frozen_create(apr_pool_t *p);
/* While building: the one pointer for text's content (the first seen; NULL for NULL), counted once more. Every
 * text the index keeps goes through here, so that equal texts are one pointer. */
const char *mez_tensor_intern(mez_tensor_frozen_t *fz, const char *text);
/* The same for a text every row of its pack may cite (the pack's id and digest, a source): counted as repeated. */
const char *mez_tensor_intern_shared(mez_tensor_frozen_t *fz, const char *text);
/* A word of the library's own (a reason code, a state name): always given a value, found by text or pointer. */
void mez_tensor_frozen_word(mez_tensor_frozen_t *fz, const char *word);
/* Makes the values of the interned texts that repeat, most counted first, in p (the index's pool); interning
 * ends. */
void mez_tensor_frozen_finish(mez_tensor_frozen_t *fz, apr_pool_t *p);
/* The shared value of an interned pointer (or a word's pointer); NULL for any other pointer. */
json_t *mez_tensor_frozen_get(const mez_tensor_frozen_t *fz, const char *text);
/* The shared value of a word, by its text; NULL for any other text. */
json_t *mez_tensor_frozen_get_word(const mez_tensor_frozen_t *fz, const char *word);
size_t mez_tensor_frozen_count(const mez_tensor_frozen_t *fz);

/* The value of a result's string: the index's shared value when it has one (immortal: putting it into a result
 * counts no reference), else a new copy. Unchecked: values are strings of parsed (so valid UTF-8) packs and action
 * documents or ASCII made from them; jansson's UTF-8 scan of every value was a visible part of an evaluation. */
static inline json_t *result_text(json_t *shared, const char *text)
{
    return shared ? shared : json_string_nocheck(text);
}

/* A string member of a result; the index's strings are found by address (always a copy with ix NULL, for
 * strings made during the evaluation). Keys are literals, so unchecked too. */
static inline void set_str(const mez_tensor_index_t *ix, json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new_nocheck(o, key, result_text(mez_tensor_frozen_get(ix ? ix->frozen : NULL, value), value));
}

/* The same for an array element. */
static inline void append_str(const mez_tensor_index_t *ix, json_t *a, const char *value)
{
    json_array_append_new(a, result_text(mez_tensor_frozen_get(ix->frozen, value), value));
}

/* A reason of domain d with its code. Codes are literals written at many call sites, so they are found by text
 * (tensor_frozen.c). */
static inline json_t *reason(eval_t *ev, mez_domain_t d, const char *code)
{
    json_t *r = json_object();
    json_object_set_new_nocheck(r, "code", result_text(mez_tensor_frozen_get_word(ev->ix->frozen, code), code));
    json_array_append_new(ev->cell[d].reasons, r);
    return r;
}

static inline void decide(eval_t *ev, mez_domain_t d, mez_state_t s)
{
    cell_t *c = &ev->cell[d];
    /* Several rules may decide one domain; together they are as good as the worst. */
    c->rule_state = c->has_rule_state ? mez_state_meet(c->rule_state, s) : s;
    c->has_rule_state = 1;
}

/* Result building (tensor_cite.c). */
json_t *mez_tensor_copy_value(const mez_tensor_index_t *ix, const json_t *v);
json_t *mez_tensor_source_json(const eval_t *ev, const source_t *src);
/* "rule" (the "<pack id>/<id>" made at index time) and, where the index knows it, "pack_digest": the reference
 * an auditor looks up. */
void mez_tensor_cite_rule(const mez_tensor_index_t *ix, json_t *o, const pack_t *pk, const char *rule);
/* The full citation of a row, as much of it as ev->detail asks for (see mez_tensor_detail_t). */
void mez_tensor_cite(const eval_t *ev, json_t *o, const row_head_t *h);
json_t *mez_tensor_limit_json(const mez_tensor_index_t *ix, const limit_t *l);

/* Whether an attestation under the evidence of domain d names the obligation and has not expired at as_of
 * (tensor_eval.c). */
int mez_tensor_evidenced(const mez_tensor_action_t *a, mez_domain_t d, const char *obligation, apr_time_t as_of);

/* Thresholds measured on a figure of the entity (tensor_income.c): met, not met, or open while the action does not
 * give the figure. */
void mez_tensor_eval_measured_thresholds(eval_t *ev, mez_domain_t d);
/* Whether threshold row r binds the action's subject, its applies_to against subject.taxpayer_classes
 * (tensor_eval.c): 1 when r has no applies_to, when the subject declares a class r names (*cls: that class) and
 * when it declares none (*cls NULL: not known, so the obligation may be owed); 0 when it declares classes and r
 * binds none of them. */
int mez_tensor_threshold_binds(const eval_t *ev, const threshold_row_t *r, const char **cls);
/* Adds to a threshold's reason o what its applies_to decided (binds and cls as mez_tensor_threshold_binds gave
 * them); nothing for a row without applies_to. */
void mez_tensor_threshold_classes(const eval_t *ev, json_t *o, const threshold_row_t *r, int binds, const char *cls);

/* The deadline of the obligation row obligation_id (tensor_deadline.c): the version in force on the action's date
 * that binds its jurisdiction, of pack where it has one, else of any pack. When that row has a deadline, o gets
 * "deadline": its citation, the form as written and, where the action fixes the event it runs from, its due date
 * on the zone's calendar (mez/deadline.h); otherwise nothing. */
void mez_tensor_deadline(eval_t *ev, json_t *o, const char *obligation_id, const pack_t *pack);

/* The rule evaluators of the domains that have more than thresholds: each adds its reasons and decides. */
void mez_tensor_eval_withholding(eval_t *ev);          /* tensor_withholding.c */
void mez_tensor_eval_income_tax(eval_t *ev);           /* tensor_income.c */
void mez_tensor_eval_licensing(eval_t *ev);            /* tensor_licence.c */
/* Where a band of a progressive table starts, as an order (tensor_withholding.c; income tax bands too). */
int mez_tensor_band_start_cmp(int has_x, const limit_t *x, int has_y, const limit_t *y);

#endif
