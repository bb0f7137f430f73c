/* mez/tensor.h: the compliance tensor: the 20 domains, the five states and their lattice, tensor commitments,
 * and evaluating an action against a zone's regpacks through a read-only index built once at start-up. */
#ifndef MEZ_TENSOR_H
#define MEZ_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/problem.h"

/* ------------------------------------------------------------------ domains */

/* The reference system's 20 compliance domains, in its order (mez-core domain.rs `all()`). The wire names
 * are the snake_case spellings: aml, kyc, sanctions, tax, securities, corporate, custody, data_privacy,
 * licensing, banking, payments, clearing, settlement, digital_assets, employment, immigration, ip,
 * consumer_protection, arbitration, trade. Every switch over this enum in libmezcore is compiled with
 * -Wswitch-enum, so adding a domain fails the build wherever it is not handled. */
typedef enum mez_domain_t {
    MEZ_DOMAIN_AML,
    MEZ_DOMAIN_KYC,
    MEZ_DOMAIN_SANCTIONS,
    MEZ_DOMAIN_TAX,
    MEZ_DOMAIN_SECURITIES,
    MEZ_DOMAIN_CORPORATE,
    MEZ_DOMAIN_CUSTODY,
    MEZ_DOMAIN_DATA_PRIVACY,
    MEZ_DOMAIN_LICENSING,
    MEZ_DOMAIN_BANKING,
    MEZ_DOMAIN_PAYMENTS,
    MEZ_DOMAIN_CLEARING,
    MEZ_DOMAIN_SETTLEMENT,
    MEZ_DOMAIN_DIGITAL_ASSETS,
    MEZ_DOMAIN_EMPLOYMENT,
    MEZ_DOMAIN_IMMIGRATION,
    MEZ_DOMAIN_IP,
    MEZ_DOMAIN_CONSUMER_PROTECTION,
    MEZ_DOMAIN_ARBITRATION,
    MEZ_DOMAIN_TRADE
} mez_domain_t;

#define MEZ_DOMAIN_COUNT 20
#define MEZ_DOMAIN_BIT(d) (UINT32_C(1) << (unsigned)(d))
#define MEZ_DOMAIN_ALL ((UINT32_C(1) << MEZ_DOMAIN_COUNT) - 1)

/* The wire name ("data_privacy"); NULL for a value outside the enum. */
const char *mez_domain_name(mez_domain_t d);
/* Case-sensitive, as the reference ("AML" is refused): "tensor.unknown_domain" (422) at pointer. */
mez_status_t mez_domain_parse(apr_pool_t *p, const char *name, const char *pointer, mez_domain_t *out,
                              mez_problem_t *pb);
/* 1 for the reference's original eight domains (aml .. data_privacy), 0 for the twelve extended ones. */
int mez_domain_is_original(mez_domain_t d);

/* ------------------------------------------------------------------ states and lattice */

/* Worst to best; the numeric order IS the lattice order (meet = lower, join = higher). */
typedef enum mez_state_t {
    MEZ_STATE_NON_COMPLIANT,
    MEZ_STATE_PENDING,
    MEZ_STATE_NOT_APPLICABLE,
    MEZ_STATE_EXEMPT,
    MEZ_STATE_COMPLIANT
} mez_state_t;

#define MEZ_STATE_COUNT 5

const char *mez_state_name(mez_state_t s);
/* "non_compliant" | "pending" | "not_applicable" | "exempt" | "compliant": "tensor.unknown_state" otherwise. */
mez_status_t mez_state_parse(apr_pool_t *p, const char *name, const char *pointer, mez_state_t *out,
                             mez_problem_t *pb);
mez_state_t mez_state_meet(mez_state_t a, mez_state_t b);
mez_state_t mez_state_join(mez_state_t a, mez_state_t b);
/* meet over n states; an empty set is PENDING (fail closed: nothing known is not compliance). */
mez_state_t mez_state_meet_all(const mez_state_t *s, size_t n);
/* not_applicable, exempt and compliant pass. */
int mez_state_is_passing(mez_state_t s);
/* compliant, non_compliant and exempt do not change without new evidence. */
int mez_state_is_terminal(mez_state_t s);
/* 1 when n > 0 and every state passes. */
int mez_state_all_passing(const mez_state_t *s, size_t n);

/* ------------------------------------------------------------------ cells and commitments */

/* The committed part of a tensor: a state per domain, for the domains whose bit is set in `present`
 * (the reference commits "only the domains it is given"). */
typedef struct mez_tensor_cells_t {
    uint32_t present;
    mez_state_t state[MEZ_DOMAIN_COUNT];
} mez_tensor_cells_t;

/* All 20 cells present with state s (a new tensor is all PENDING). */
void mez_tensor_cells_fill(mez_tensor_cells_t *c, mez_state_t s);
/* No cell present (the reference's empty(jid) commitment). */
void mez_tensor_cells_clear(mez_tensor_cells_t *c);
void mez_tensor_cells_set(mez_tensor_cells_t *c, mez_domain_t d, mez_state_t s);
/* {"<domain>": "<state>", ...} with any subset of domains; problems "tensor.invalid_field",
 * "tensor.unknown_domain", "tensor.unknown_state" with pointers under `pointer`. */
mez_status_t mez_tensor_cells_from_json(apr_pool_t *p, const json_t *obj, const char *pointer,
                                        mez_tensor_cells_t *out, mez_problem_t *pb);

/* Jurisdiction ids that may be committed: 1..64 characters of [A-Za-z0-9._-], case-sensitive as stored
 * ("PK-REZ", "pk-sifc"). "tensor.invalid_jurisdiction" otherwise. */
mez_status_t mez_tensor_check_jurisdiction_id(apr_pool_t *p, const char *jid, const char *pointer,
                                              mez_problem_t *pb);
/* The payload the reference commits: {"cells":{...},"jurisdiction_id":J,"schema_version":1}, owned by p. */
json_t *mez_tensor_commitment_payload(apr_pool_t *p, const char *jurisdiction_id, const mez_tensor_cells_t *c);
/* SHA-256 of the payload's canonical bytes: the reference's TensorCommitment digest. */
mez_status_t mez_tensor_commitment(apr_pool_t *p, const char *jurisdiction_id, const mez_tensor_cells_t *c,
                                   mez_digest_t *out, mez_problem_t *pb);
/* RFC 9162 Merkle Tree Hash over n commitments (leaf = SHA-256(0x00||c), node = SHA-256(0x01||l||r),
 * empty = SHA-256 of nothing). Deliberately NOT the reference's pad-by-repeating-the-last-leaf rule,
 * under which [a,b,c] and [a,b,c,c] share a root. */
void mez_tensor_merkle_root(const mez_digest_t *leaves, size_t n, mez_digest_t *root);

/* ------------------------------------------------------------------ dates and exact decimals */

/* "YYYY-MM-DD", a real Gregorian date, as the integer yyyymmdd (so dates compare as integers);
 * 0 on success, -1 otherwise. */
int mez_tensor_date_parse(const char *s, int32_t *out);

/* A non-negative decimal: value = coef / 10^scale. Amounts and rates never pass through floating point. */
typedef struct mez_tensor_decimal_t {
    uint64_t coef;
    unsigned scale;
} mez_tensor_decimal_t;

#define MEZ_TENSOR_DECIMAL_MAX_DIGITS 18

/* "0", "1000000", "4.5", "0.125": digits with an optional fraction, no sign, exponent or leading zeros,
 * at most 18 digits in all. 0 on success, -1 otherwise. */
int mez_tensor_decimal_parse(const char *s, mez_tensor_decimal_t *out);
/* -1, 0 or 1, exactly. */
int mez_tensor_decimal_cmp(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b);
/* amount * percent / 100, exactly, as a decimal string without trailing fractional zeros ("45000",
 * "14.99985"). Rounding to a currency's minor unit is not done here: the packs do not state the rule. */
const char *mez_tensor_decimal_percent_of(apr_pool_t *p, const mez_tensor_decimal_t *amount,
                                          const mez_tensor_decimal_t *percent);
/* The arithmetic of progressive bands and portions (base + rate % of the excess over a limit), exactly, into a
 * decimal of the same limits as a parsed one (at most 18 digits, scale at most 18), with trailing fractional
 * zeros dropped. Each returns 0, or -1 when the exact result does not fit (and, for sub, when a < b): a result
 * is never rounded. */
int mez_tensor_decimal_add(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b, mez_tensor_decimal_t *out);
int mez_tensor_decimal_sub(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b, mez_tensor_decimal_t *out);
int mez_tensor_decimal_percent(const mez_tensor_decimal_t *amount, const mez_tensor_decimal_t *percent,
                               mez_tensor_decimal_t *out);
/* How many units make up amount, a part of a unit counting as a whole (ceil(amount / unit)): "Rs 700 for every
 * Rs 100,000 or part thereof". 0, or -1 when unit is zero or the count does not fit 64 bits. */
int mez_tensor_decimal_units(const mez_tensor_decimal_t *amount, const mez_tensor_decimal_t *unit, uint64_t *units);
/* amount * n, exactly; 0, or -1 when the result does not fit (as the arithmetic above). */
int mez_tensor_decimal_times(const mez_tensor_decimal_t *amount, uint64_t n, mez_tensor_decimal_t *out);
/* The decimal as text ("6000", "0.005"), trailing fractional zeros dropped; allocated from p. */
const char *mez_tensor_decimal_format(apr_pool_t *p, const mez_tensor_decimal_t *d);

/* ------------------------------------------------------------------ the action document */

/* What is evaluated. The JSON document (unknown members anywhere are "tensor.unknown_field"):
 *
 * {
 *   "action": {
 *     "type": "payment" | "entity_formation" | "licence_application" | "cross_border_transfer"
 *             | "tax_assessment",       required
 *     "date": "YYYY-MM-DD",                 required; the rows in force on this date are applied
 *     "jurisdiction": "pk-sifc",            required; packs of this jurisdiction and its parents (pk) apply
 *     "payment_type": "services",           payment: required; cross_border_transfer: optional; else refused
 *     "withholding_rule": "<row id>",       optional with payment_type: names the withholding row when several
 *                                           are in force for the payment (sub-categories such as dividends
 *                                           of an IPP vs. others); the trace records the choice. Naming one
 *                                           band of a progressive table names the table (the amount picks the
 *                                           band). A row named that is not in force for the payment type, is for
 *                                           another payee class, or whose threshold the amount does not meet while
 *                                           another row of the payment reaches it, does not apply (pending
 *                                           "selected_rule_not_applicable")
 *     "amount": {"amount": "1000000", "currency": "PKR"},
 *                                           payment, cross_border_transfer: required; decimal string in the
 *                                           major unit, ISO 4217 code; JSON numbers are refused. The gross
 *                                           amount paid (sales tax included where charged): withholding rows
 *                                           on another basis (net of zakat, customs value, ...) stay pending
 *     "amount_basis": "estimated_annual_taxable_salary",
 *                                           optional where amount is: the figure amount is when it is not the
 *                                           gross amount of this one payment, spelt as the rows spell their
 *                                           basis. A row applies only when its basis is amount_basis (absent:
 *                                           a gross-payment basis). Progressive tables (rows with base_amount)
 *                                           need it: their band limits are on a figure for the whole tax year
 *                                           (the year's taxable salary, the year's gross rent), which a payment
 *                                           is not unless the caller says so
 *     "licence_type": "pk-secp:...",        licence_application only, optional: the id of a licence type of a
 *                                           loaded licensepack ("<regulator>:<slug>"); the licensing domain is
 *                                           then decided by its requirements (see mez_tensor_evaluate)
 *     "destination_jurisdiction": "ae-adgm", cross_border_transfer only, optional
 *     "income": [ {"income_class": "taxable_income", "amount": "1000000", "currency": "AED"} ],
 *                                           tax_assessment only, required, non-empty: the subject's income for
 *                                           the tax period by income class (slugs as the tax_rates rows spell
 *                                           income_class; each class once), decimal strings as for amount
 *     "tax": "cit" | "vat",                 tax_assessment only, optional (default cit): the tax assessed
 *     "tax_period": {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"},
 *                                           tax_assessment only, optional: the rows applied are those for a
 *                                           period starting on start and ending on end (valid_from <= start,
 *                                           end < valid_to: a corporate tax row governs tax periods commencing
 *                                           on or after its valid_from); absent, the rows in force on date
 *     "figures": {"revenue": {"amount": "2500000", "currency": "AED"}},
 *                                           tax_assessment, payment, cross_border_transfer, optional: other
 *                                           figures a row's threshold may be measured on, by slug, each
 *                                           {amount, currency} as for amount: a tax row's threshold.measure (looked
 *                                           up among the income classes first, then here), a threshold row's
 *                                           measure, and a withholding row's threshold.aggregate: what the payer
 *                                           already paid this payee in the tax year under the rows naming that
 *                                           aggregate, before this payment ("services_paid_to_payee": see
 *                                           mez_tensor_evaluate)
 *     "reference": "..."                    optional, the caller's own id, echoed
 *   },
 *   "subject": {                            required; the actor (for a payment: the payer; for a tax assessment:
 *                                           the taxpayer)
 *     "id": "...", "name": "...",           required, name non-empty (it is screened)
 *     "entity_class": "company" | "individual" | "aop",     optional
 *     "filer_status": "filer" | "non_filer",                optional (Active Taxpayers List status)
 *     "taxpayer_classes": ["taxable_person", "qualifying_free_zone_person"]
 *                                           tax_assessment (subject only): required, non-empty, slugs, each
 *                                           once: the classes the subject declares it belongs to. A tax_rates
 *                                           row applies when its taxpayer_class is one of them (or "any") and
 *                                           none is in its excludes; a declared class is a claim, so a row that
 *                                           has conditions also needs their evidence (below). payment,
 *                                           cross_border_transfer (subject only): optional, the same shape: the
 *                                           classes of person the subject is ("financial_institution",
 *                                           "dnfbp", ...), which a threshold's applies_to is checked against
 *                                           (see mez_tensor_evaluate)
 *     "capital": {"amount": "250000000", "currency": "PKR"}
 *                                           licence_application (subject only): optional, the applicant's paid-up
 *                                           capital as it states it, compared with the minimum amounts of the
 *                                           licence type's requirements (a figure below one fails it)
 *   },
 *   "counterparty": { same shape },         optional; for a payment, the payee; never taxpayer_classes or
 *                                           capital
 *   "evidence": {                           optional
 *     "<domain>": {
 *       "state": "<state>",                 optional
 *       "attestations": [ {"id": "...", "issuer": "...", "issued_at": "<RFC 3339>",
 *                          "expires_at": "<RFC 3339>",
 *                          "obligations": ["<obligation id>", ...]} ]
 *                                           id and issuer required, the rest optional; obligations names the
 *                                           rows of a pack's obligations section the attestation evidences: a
 *                                           tax_rates row's conditions hold when each is named by an attestation
 *                                           under the evidence of the row's pack's domain that has not expired
 *                                           at the end of the action's date (or of a later evidence_date:
 *                                           mez_tensor_eval_options_t); under licensing, they name
 *                                           the requirement ids of the licence applied for (min-directors)
 *     }
 *   }
 * }
 *
 * Problems (422 unless noted, pointer to the member): tensor.invalid_document (400, not an object),
 * tensor.unknown_field (also a member the action type does not take), tensor.missing_field,
 * tensor.invalid_field (wrong JSON type), tensor.unknown_action_type, tensor.invalid_date,
 * tensor.invalid_amount, tensor.invalid_currency, tensor.invalid_jurisdiction, tensor.invalid_value
 * (entity_class, filer_status, tax, a slug, a class or income class given twice, a tax period ending before it
 * starts), tensor.unknown_domain, tensor.unknown_state. Whether licence_type names a loaded licence type is
 * checked by the evaluation (it needs the index): tensor.unknown_licence_type. */
typedef enum mez_action_type_t {
    MEZ_ACTION_PAYMENT,
    MEZ_ACTION_ENTITY_FORMATION,
    MEZ_ACTION_LICENCE_APPLICATION,
    MEZ_ACTION_CROSS_BORDER_TRANSFER,
    MEZ_ACTION_TAX_ASSESSMENT         /* the tax on a taxpayer's income for a period (tax_rates rows) */
} mez_action_type_t;

#define MEZ_ACTION_TYPE_COUNT 5

const char *mez_action_type_name(mez_action_type_t t);
/* "tensor.unknown_action_type" at pointer. */
mez_status_t mez_action_type_parse(apr_pool_t *p, const char *name, const char *pointer, mez_action_type_t *out,
                                   mez_problem_t *pb);
/* The domains an action of type t is evaluated in when the zone does not choose (a bit per domain). */
uint32_t mez_action_default_domains(mez_action_type_t t);

typedef enum mez_entity_class_t {
    MEZ_ENTITY_CLASS_UNSTATED,
    MEZ_ENTITY_CLASS_COMPANY,
    MEZ_ENTITY_CLASS_INDIVIDUAL,
    MEZ_ENTITY_CLASS_AOP
} mez_entity_class_t;

typedef enum mez_filer_status_t {
    MEZ_FILER_STATUS_UNSTATED,
    MEZ_FILER_STATUS_FILER,
    MEZ_FILER_STATUS_NON_FILER
} mez_filer_status_t;

/* "company", ...; NULL for UNSTATED. */
const char *mez_entity_class_name(mez_entity_class_t c);
const char *mez_filer_status_name(mez_filer_status_t s);

/* A sum of money the action states: an income item (with its class) or a named figure. */
typedef struct mez_tensor_money_t {
    const char *name;         /* income_class, or the figure's name */
    const char *amount_text;  /* as written */
    mez_tensor_decimal_t amount;
    const char *currency;
} mez_tensor_money_t;

typedef struct mez_tensor_party_t {
    const char *id;
    const char *name;
    mez_entity_class_t entity_class;
    mez_filer_status_t filer_status;
    const char *const *taxpayer_classes;   /* declared classes (tax_assessment subject; payment or transfer
                                            * subject, optional); NULL when absent */
    size_t n_taxpayer_classes;
    int has_capital;                       /* licence_application subject: capital was given */
    mez_tensor_money_t capital;            /* name NULL */
} mez_tensor_party_t;

typedef struct mez_tensor_attestation_t {
    const char *id;
    const char *issuer;
    const char *issued_at;    /* NULL when absent */
    const char *expires_at;   /* NULL: never expires */
    const char *const *obligations;   /* obligation ids it evidences; NULL when absent */
    size_t n_obligations;
} mez_tensor_attestation_t;

typedef struct mez_tensor_evidence_t {
    int given;                /* 1 when the document has evidence for this domain */
    int has_state;
    mez_state_t state;
    const mez_tensor_attestation_t *attestations;
    size_t n_attestations;
} mez_tensor_evidence_t;

typedef struct mez_tensor_action_t {
    mez_action_type_t type;
    const char *date;         /* as written */
    int32_t day;              /* yyyymmdd */
    const char *jurisdiction;
    const char *payment_type; /* NULL when absent */
    const char *withholding_rule;   /* NULL when absent */
    int has_amount;
    const char *amount_text;  /* the decimal string as written */
    mez_tensor_decimal_t amount;
    const char *currency;
    const char *amount_basis; /* NULL when absent: the gross amount of the payment */
    const char *licence_type, *destination_jurisdiction, *reference;   /* NULL when absent */
    /* tax_assessment */
    const char *tax;          /* "cit" or "vat"; NULL for other action types */
    const char *period_start, *period_end;   /* as written; NULL when no tax_period */
    int32_t period_from, period_to;          /* yyyymmdd; both = day when no tax_period */
    const mez_tensor_money_t *income;
    size_t n_income;
    const mez_tensor_money_t *figures;
    size_t n_figures;
    mez_tensor_party_t subject;
    int has_counterparty;
    mez_tensor_party_t counterparty;
    mez_tensor_evidence_t evidence[MEZ_DOMAIN_COUNT];
} mez_tensor_action_t;

/* Validates the action document and fills *out (strings point into doc, which must outlive it). */
mez_status_t mez_tensor_action_parse(apr_pool_t *p, const json_t *doc, mez_tensor_action_t *out,
                                     mez_problem_t *pb);

/* The reference's evidence rule (evaluation.rs, evaluate_attested_domain), applied to every domain: a state
 * given with an attestation expired at as_of and a passing state -> NON_COMPLIANT "attestation_expired";
 * a state given otherwise -> that state "evidence_state"; no state and no attestations -> PENDING
 * "no_attestation"; no state and all attestations fresh -> COMPLIANT "attested", else NON_COMPLIANT
 * "attestation_expired". An attestation has expired when as_of is after its expires_at; an unparseable
 * expires_at counts as expired, a missing one never expires. *reason gets the code. */
mez_state_t mez_tensor_evidence_state(const mez_tensor_evidence_t *ev, apr_time_t as_of, const char **reason);
/* 1 when attestation a has expired at as_of (the rule above). */
int mez_tensor_attestation_expired(const mez_tensor_attestation_t *a, apr_time_t as_of);

/* ------------------------------------------------------------------ sanctions name screening */

/* The form names are compared in: case folded, Latin diacritics removed (é -> e, ß -> ss, Ł -> l), Arabic
 * harakat and tatweel removed and letter variants unified, default-ignorable code points deleted, letters of
 * other scripts drawn like Latin ones made those (a UTS #39 skeleton subset), punctuation turned into spaces,
 * spaces collapsed, no leading or trailing space. Allocated from p. */
const char *mez_tensor_name_normalise(apr_pool_t *p, const char *name);

/* The longest name screened, in code points. No person's or organisation's name comes near it; a longer one is
 * refused (tensor.name_too_long, request.name_too_long) rather than matched, since screening and the reasons it
 * gives grow with the name. */
#define MEZ_TENSOR_NAME_MAX 512
/* 1 when name has more than MEZ_TENSOR_NAME_MAX code points (counted without decoding the rest). */
int mez_tensor_name_too_long(const char *name);

/* A read-only index over list names and aliases, so screening one name costs what its own tokens match,
 * not the size of the lists. */
typedef struct mez_tensor_screen_t mez_tensor_screen_t;

typedef enum mez_screen_match_t {
    MEZ_SCREEN_EXACT,         /* the normalised names are equal */
    MEZ_SCREEN_ALL_TOKENS     /* every token of a listed name of two or more tokens is in the screened name */
} mez_screen_match_t;

typedef struct mez_tensor_screen_hit_t {
    const void *entry;        /* what was added with the name */
    const char *matched_name; /* the listed name or alias as written */
    int alias;                /* 1 when it matched an alias */
    mez_screen_match_t how;
} mez_tensor_screen_hit_t;

mez_tensor_screen_t *mez_tensor_screen_create(apr_pool_t *p);
/* Adds a listed name (at build time only; screening never writes). entry identifies the list entry. */
void mez_tensor_screen_add(mez_tensor_screen_t *s, const char *name, int alias, const void *entry);
/* The listed names name matches, in the order they were added; at most one hit per entry (an exact match
 * wins over all-tokens, the primary name over an alias). Returns the count; *hits is allocated from p. */
size_t mez_tensor_screen_match(const mez_tensor_screen_t *s, apr_pool_t *p, const char *name,
                               mez_tensor_screen_hit_t **hits);
size_t mez_tensor_screen_size(const mez_tensor_screen_t *s);

/* ------------------------------------------------------------------ index and evaluation */

/* The evaluator's read-only view of a zone's packs, built once (post_config / child_init, or CLI start)
 * and then shared by all threads without locks: evaluation only reads it. Rows are keyed by
 * (domain, payment type / currency, tax / income class) and lists by name token, so an evaluation costs what
 * applies to it. */
typedef struct mez_tensor_index_t mez_tensor_index_t;

/* Builds the index from n pack documents in the JSON model of packs/README.md (formats mez-regpack/1,
 * mez-licensepack/1, mez-lawpack/1; regpacks carry the rules). The index keeps a reference on each pack.
 * Only what the evaluator reads is checked here (the pack area validates the rest); problems carry a
 * pointer into the pack and name it in the detail: tensor.pack.invalid (400 when not an object),
 * tensor.pack.unknown_format, tensor.pack.missing_field, tensor.pack.invalid_field,
 * tensor.pack.duplicate_id, tensor.pack.unknown_source, tensor.pack.invalid_date, tensor.pack.invalid_amount,
 * tensor.pack.invalid_rate, tensor.pack.unknown_obligation (a tax rate's condition that is not an obligation of
 * its pack), tensor.unknown_domain. Licensepacks' licence_types are indexed by id (a requirement's id is unique
 * in its licence type; the type's id in its pack).
 *
 * Progressive tables. Withholding rows of one pack with the same section, payment type and payee class form a
 * table when any of them has base_amount; each row is a band. The band for an amount is the row in force (and,
 * when the payee's status is known and the table has rows with that status's rate, one of those) whose
 * threshold the amount meets and whose lower limit is highest: a row without threshold, or with only an upper
 * one (below, at_or_below), is the lowest band; "at_or_above L" starts at L and "above L" just after it. The
 * next band up starts above the amount, so that band's limits contain it. Its tax is, exactly,
 * base_amount + rate % of (amount - threshold.amount), or rate % of the amount for the lowest band; a band
 * above a limit without base_amount is not computed (pending "base_amount_missing"), nor are two bands that
 * start at one limit (pending "ambiguous_rates"). A table's limits are on a figure for the tax year, so the
 * action must say action.amount is that figure (amount_basis equal to the rows' basis; pending
 * "amount_basis_required" otherwise). The same band rule picks among tax_rates rows of one scheme that tax the
 * whole income. */
mez_status_t mez_tensor_index_build(apr_pool_t *p, const json_t *const *packs, size_t n,
                                    mez_tensor_index_t **out, mez_problem_t *pb);
/* The same, knowing each pack's digest as published ("sha256:<hex>", as GET /v1/packs/{digest} and stack.lock name
 * it; digests NULL, or an entry NULL, where it is not known): reasons then cite their rule's pack by it
 * ("pack_digest") and the result's packs list it. A zone's effective models may be copies with overridden rows
 * cut out; the digest is still the published pack's, and the cited validity says which period was applied. */
mez_status_t mez_tensor_index_build_with_digests(apr_pool_t *p, const json_t *const *packs,
                                                 const char *const *digests, size_t n, mez_tensor_index_t **out,
                                                 mez_problem_t *pb);
/* Rows and list names the index holds (for logs and benchmarks). */
size_t mez_tensor_index_size(const mez_tensor_index_t *ix);

/* The terms a licence type sets (packs/README.md, licensepacks): its validity_years, the longest term a grant or
 * renewal may run, and renewal.lead_days, how long before expiry renewal is to be applied for. */
typedef struct mez_tensor_licence_terms_t {
    const char *rule;            /* "<pack id>/<licence type id>": the version the terms are from */
    const char *pack_digest;     /* its pack's digest, where the index knows it; NULL otherwise */
    int64_t validity_years;      /* 0: no fixed term (the type states none) */
    int has_renewal;
    int64_t lead_days;           /* renewal.lead_days, when has_renewal */
} mez_tensor_licence_terms_t;
/* The terms of licence type `type` in force on date (YYYY-MM-DD) in a licensepack binding jurisdiction: 0 and
 * *out, or -1 when no such version is loaded (the application's evaluation then says why: unknown or not in force).
 * A zone's layers leave one version in force (a conflict between them is refused until overridden); should several
 * be, the strictest terms apply: the shortest fixed term and the longest lead time. */
int mez_tensor_licence_terms(const mez_tensor_index_t *ix, const char *jurisdiction, const char *type,
                             const char *date, mez_tensor_licence_terms_t *out);

/* How much of each rule's citation a result copies. Both forms name, in every reason that comes from a pack row,
 * the rule ("<pack id>/<row id>"), its pack's digest where the index knows it, the validity of the row version
 * applied (valid_from, valid_to), its legal source (source: its id and title) and its pinpoint citation: law
 * {lawpack, eid} (the statute section) where the row has one. FULL also copies each source's url and date and
 * every row's source_detail and conflicts notes, and repeats the action type in each domain not evaluated.
 * COMPACT copies source_detail only where the row has no law (it is then the row's only pinpoint: a regulation
 * number, a list entry's notification) and never conflicts (an editor's note on how the pack chose between
 * sources): the pack keeps them, and its digest finds it (GET /v1/packs/{digest} lists its sources). */
typedef enum mez_tensor_detail_t {
    MEZ_TENSOR_DETAIL_FULL,
    MEZ_TENSOR_DETAIL_COMPACT
} mez_tensor_detail_t;

/* "full" | "compact"; NULL outside the enum. */
const char *mez_tensor_detail_name(mez_tensor_detail_t d);
/* "tensor.unknown_detail" (422) at pointer for anything but "full" and "compact". */
mez_status_t mez_tensor_detail_parse(apr_pool_t *p, const char *name, const char *pointer, mez_tensor_detail_t *out,
                                     mez_problem_t *pb);

/* A screening clearance (libmezcore/include/mez/clearance.h) as the evaluation uses it: a hit on the list entry
 * `entry` ("<pack id>/<entry id>", the hit's "rule") for a name that normalises to name_normalised
 * (mez_tensor_name_normalise), screened in the record `context`, is not the listed person or organisation:
 * someone accountable looked and said so. detail (an object) is copied into the reason as "clearance". */
typedef struct mez_tensor_clearance_t {
    const char *context, *name_normalised, *entry;
    const json_t *detail;
} mez_tensor_clearance_t;

typedef struct mez_tensor_eval_options_t {
    uint32_t domains;         /* the zone's domains (MEZ_DOMAIN_BIT set), intersected with
                               * mez_action_default_domains() of the action; 0: those defaults alone.
                               * sanctions is always evaluated: its hard block cannot be configured away */
    const char *screening_date;   /* YYYY-MM-DD the names are screened as of; NULL: the action's date.
                               * The tax law of a past action is the law of its date, but a sanction binds from
                               * the day it is listed whatever the action says: a write screens as of the day it
                               * is made (the zone's pipeline passes today), so that backdating an action cannot
                               * clear a person listed since. The CLI screens as of the action's date. Which lists
                               * are in force, which entries are listed and which were listed by then are all
                               * judged on this day. The result then has "screening_date" when it differs from
                               * the action's date. */
    /* Clearances of sanctions hits. Every sanctions_match reason names the record its name was screened in as
     * "clearance_context": clearance_context when set (a name a request carries besides its parties, such as a
     * director's, is screened in the file of the entity or application the request is about), else the party's
     * id. A hit that one of the clearances names exactly (context, normalised name, entry) is reported as
     * "sanctions_match_cleared" with the clearance, and does not block; any other hit blocks as always. */
    const char *clearance_context;
    const mez_tensor_clearance_t *clearances;
    size_t n_clearances;
    const char *evidence_date;    /* YYYY-MM-DD the evidence is presented on; NULL: the action's date. An
                               * attestation counts only if unexpired at the end of the later of this day and the
                               * action's date: a write relies on its evidence the day it is made, so a backdated
                               * action cannot revive an attestation that has expired since (the zone's pipeline
                               * passes today, as for screening_date). Every evidence rule of the evaluation uses
                               * it: the domains' evidence, tax rows' conditions, licence requirements. The result
                               * then has "evidence_date" when it is later than the action's date. */
    const struct mez_tz_t *tz;    /* the zone's calendar (mez/tz.h), which the dates above are days of: an
                               * attestation must hold until the last second of that day there, and an obligation's
                               * due date ends with the last second of its day there. NULL: UTC. */
    unsigned weekend;             /* the zone's weekend (mez/deadline.h, MEZ_WEEKDAY_BIT): the days a deadline of
                               * business days passes over. 0: saturday and sunday */
    const struct mez_holidays_t *holidays;  /* the zone's public holidays (mez/deadline.h), which it passes over
                               * too; NULL: none known (they count as business days, and the result says so) */
    const char *tax_year_start;   /* "MM-DD" (zone.yaml), NULL: none. The year an obligation of a tax regpack is
                               * due in the "following year" of is then the tax year, else the calendar year */
} mez_tensor_eval_options_t;

/* Evaluates an action document (above) against the index and returns the result, owned by p:
 *
 * {
 *   "decision": "<state>",                  meet of the evaluated domains; non_compliant on a sanctions hit
 *   "action_type": "payment", "jurisdiction": "pk-sifc", "date": "YYYY-MM-DD", "reference": "..." (if given),
 *   "domains": { every one of the 20: "<domain>": {"state": "<state>", "reasons": [ {"code": "...", ...} ]} },
 *   "withholding": [ {"section", "rate", "amount", "currency", "base_amount" (the figure taxed: action.amount),
 *                     "filer_status", "payee", "payee_class", "payment_type", "rule", "valid_from", "law",
 *                     "source", "source_detail", ...; a band of a progressive table adds "progressive": true and,
 *                     with a base, "band": {"base_amount", "excess", "tax_on_excess"}; a row whose threshold is on
 *                     an aggregate adds "aggregate" (below)} ],
 *   "income_tax": [ {"tax", "article", "taxpayer_class", "income_class", "rate" | "exempt": true, "basis",
 *                    "amount" (the tax), "currency", "income", "taxable_amount", "base_amount", "threshold"
 *                    {amount, currency, applies, measure}, "rule", "valid_from", "law", "source", ...} ]
 *                                           tax_assessment only: the rows that tax each income item.
 *   "packs": [ {"id", "jurisdiction_id", "domain", "as_of_date", "digest" (where known)} ]   the packs that
 *                                           applied
 *   "detail": "full" | "compact"            how much of each citation the result copies (see mez_tensor_detail_t)
 *   "commitment": "sha256:<hex>"            the reference's tensor commitment over the 20 states
 * }
 *
 * A reason that comes from a pack row names it as "rule": "<pack id>/<row id>" with "pack_digest" (where known),
 * the row's valid_from (and valid_to), "law" and "source" {id, title, url, date}, and "source_detail" and
 * "conflicts" as the detail asks (see mez_tensor_detail_t); so do withholding, income_tax and fees entries,
 * sanctions list entries ("<pack id>/<list or entry id>") and unevidenced conditions. Domains the action is not
 * evaluated in are not_applicable ("not_applicable_to_action"); an evaluated domain that no rule decides and
 * no evidence supports is pending. The same input gives byte-identical canonical output.
 *
 * A tax assessment taxes each income item by the tax_rates rows of action.tax and its income_class in force
 * for the period whose taxpayer_class the subject declares (or "any") and none of whose excludes it declares.
 * A row with conditions applies only when each is evidenced (pending "condition_not_evidenced" otherwise, as
 * for a threshold measured on a figure not given, another currency, or an unknown basis: an item with such a
 * row is not taxed by the others alone). A row's threshold on a whole-income basis is a condition of the row
 * ("threshold_not_met" when not met); a taxable_income_portion row taxes the part of the income on its side of
 * the limit, and the portions of the rows in force must add up to the income ("portions_do_not_cover"). Rows
 * of more than one taxpayer class (or pack) for one item are not ranked ("ambiguous_tax_rates",
 * "conflicting_tax_rates"). Each item taxed gives "income_tax_assessed" with its total; the tax domain is
 * compliant, or exempt when every row is an exemption; an item no row applies to makes it pending ("no_tax_rate",
 * whose detail says when no row names the item's class at all), whatever the other items and the evidence say.
 *
 * A withholding row whose threshold names an aggregate (threshold.aggregate: packs/README.md, "thresholds on the
 * aggregate paid to a payee"; s. 153(1)(a) and (b): "except where the payment is less than Rs 30,000 in aggregate
 * during a financial year") is reached when what the payer already paid the payee in the tax year under that
 * aggregate (action.figures.<aggregate>, in the threshold's currency) plus this payment reaches the limit, and its
 * tax is then the rate on this payment's own amount: the earlier payments are not taxed again here. The withholding
 * line and its "withholding_applies" reason, or the row's "threshold_not_met" reason, carry "aggregate": {"name",
 * "currency", "this_payment", "judged_on": "aggregate" | "this_payment", "paid_before", "including_this_payment",
 * "not_deducted_before"}: the figures an auditor checks the decision by. On the payment that brings the aggregate
 * to the limit (what was paid before was more than nothing and below it), not_deducted_before is that amount and
 * the reason "earlier_payments_not_deducted" (citing the row, with amount, currency, threshold and a detail) says
 * that nothing was deducted from those payments and the payer accounts for their tax. Without the figure a row is
 * decided only when this payment alone reaches the limit (judged_on "this_payment": a lower limit stays reached
 * whatever came before); otherwise the tax domain is pending with "aggregate_not_given" (the aggregate, threshold,
 * this payment, and a detail naming the figure to give): judging it on the payment alone would under-withhold. A
 * figure in another currency than the threshold is pending "currency_mismatch" (with "aggregate").
 *
 * A threshold row with applies_to (packs/README.md: the classes of person the limit binds) binds the subject only
 * if it declares one of them (subject.taxpayer_classes): one it does not bind is reported, when its limit is met,
 * as "threshold_class_not_bound" (with applies_to and the classes declared) and opens nothing. A subject that
 * declares no classes is treated as for the row's other conditions the action carries no facts for: the limit met
 * opens its obligation ("threshold_met" with applies_to and a detail saying the class was not given), as one that
 * may be owed, pending until evidence discharges it; it is never dropped on a guess. A met limit that binds the
 * subject names the class in "subject_class".
 *
 * A met threshold that binds the subject and names its obligation row (obligation_id), and each unevidenced
 * condition of a tax rate, carries "deadline" when that row (the version in force on the action's date binding its
 * jurisdiction) has one: the row's citation, "form" (the pack's deadline as written), "dated", and where the action
 * fixes the event it runs from (mez/deadline.h) "from_date", "due_date" (the last day, on the zone's calendar: opts
 * tz, weekend, and tax_year_start for a tax regpack's "following year") and "due_by" (the last second of that day
 * there, UTC); otherwise "detail" says why there is no date. "timezone" names the calendar; business days add
 * "weekend" and a detail saying that public holidays are counted as business days.
 *
 * A licence application naming a licence_type is decided, in the licensing domain, by the licence types of that
 * id in the loaded licensepacks that bind the jurisdiction (looked up by id, so the cost does not grow with the
 * packs). Not in force on the date: non_compliant "licence_type_not_in_force". Otherwise "licence_type" cites
 * it, and every requirement in force on the date is a reason citing "<pack>/<licence type>/<requirement id>"
 * with its description, count or amount (a minimum), source and source_detail:
 * "requirement_not_met" (non_compliant) when subject.capital is in the requirement's currency and below its
 * amount; "requirement_evidenced" when an attestation under the licensing evidence, unexpired at the end of the
 * date (or of a later evidence_date), names the requirement id in its obligations; "requirement_unevidenced"
 * (pending) otherwise. Stated capital at or above a minimum is still only a claim, so it needs its attestation
 * too. With every requirement evidenced the domain is compliant (the evidence rule above still applies: an expired
 * attestation fails it); a
 * type with no requirement in force is left to the evidence, as a domain no rule decides. The result then has "fees": [ {"licence_type", "id", "rule", "fee_type",
 * "filing", "amount" {amount | amount_minor, currency}, "description", "source", "source_detail"} ] (empty when
 * the type states none); other actions have no fees member.
 * Problems: those of mez_tensor_action_parse, tensor.unknown_jurisdiction when no loaded pack covers the
 * jurisdiction, and tensor.unknown_licence_type (at /action/licence_type) when no loaded licensepack binding the
 * jurisdiction has the licence type.
 * decision (optional) receives the decision. The result is to be read, not changed: members may share one value
 * (the domains the action is not evaluated in share theirs), so json_deep_copy() it first to edit it. */
mez_status_t mez_tensor_evaluate(apr_pool_t *p, const mez_tensor_index_t *ix, const json_t *action_doc,
                                 const mez_tensor_eval_options_t *opts, json_t **result, mez_state_t *decision,
                                 mez_problem_t *pb);
/* The same for an already parsed action. */
mez_status_t mez_tensor_evaluate_action(apr_pool_t *p, const mez_tensor_index_t *ix, const mez_tensor_action_t *a,
                                        const mez_tensor_eval_options_t *opts, json_t **result,
                                        mez_state_t *decision, mez_problem_t *pb);
/* Both of the above give the FULL form; these give the form asked for. (The detail is an argument rather than a
 * member of the options so that callers initialising the options positionally keep compiling.) */
mez_status_t mez_tensor_evaluate_detail(apr_pool_t *p, const mez_tensor_index_t *ix, const json_t *action_doc,
                                        const mez_tensor_eval_options_t *opts, mez_tensor_detail_t detail,
                                        json_t **result, mez_state_t *decision, mez_problem_t *pb);
mez_status_t mez_tensor_evaluate_action_detail(apr_pool_t *p, const mez_tensor_index_t *ix,
                                               const mez_tensor_action_t *a, const mez_tensor_eval_options_t *opts,
                                               mez_tensor_detail_t detail, json_t **result, mez_state_t *decision,
                                               mez_problem_t *pb);

/* An aggregate a withholding row's threshold is judged on (threshold.aggregate). */
typedef struct mez_tensor_aggregate_t {
    const char *name;         /* the figure's name: action.figures.<name> */
    const char *section;      /* the section of the rows naming it ("153(1)(b)") */
    const char *currency;     /* their threshold's currency */
    const char *valid_to;     /* of the first row naming it in force on the date, NULL when open (a tax year is
                               * named by it when the zone declares no tax_year_start: mez/tax.h) */
} mez_tensor_aggregate_t;

/* The aggregates the withholding rows of payment_type in force on date (YYYY-MM-DD) in packs that apply to
 * jurisdiction are judged on, each name once, as an array of mez_tensor_aggregate_t (empty when none, or when date
 * is not a date): the figures an evaluation of such a payment needs in action.figures, which the zone's payments
 * give from the treasury's records (orchestrate_ops.c). */
apr_array_header_t *mez_tensor_withholding_aggregates(apr_pool_t *p, const mez_tensor_index_t *ix,
                                                      const char *jurisdiction, const char *payment_type,
                                                      const char *date);

/* An unsigned ComplianceAttestation credential (VC 2.0) for an evaluation: its subject is the action's subject id,
 * the action type, jurisdiction and date, the state of every evaluated domain, the decision, the commitment and
 * the digest of the full (canonical) evaluation it attests. Owned by p. Sign it with mez_vc_issue. */
json_t *mez_tensor_attestation(apr_pool_t *p, const json_t *action_doc, const json_t *result,
                               const char *evaluation_digest);

#endif
