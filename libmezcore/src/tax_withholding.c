/* tax_withholding.c: the Mass treasury contract's withholding calculation (POST /v1/fiscal/withholding/calculate),
 * answered by the zone from its packs (mez/tax.h). The sovereign store cannot answer it: it keeps records, and
 * the law that decides a withholding is in the zone's packs, applied by the tensor. So the calculation is the
 * payment's own evaluation with the payee as the contract describes it (its NTN's type and filer status), and its
 * figures are those an orchestrated payment would send to the treasury (mez_tax_minor_units). Nothing is written. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/tax.h"
#include "mez/vc.h"
#include "mass_values.h"

typedef struct {
    apr_pool_t *p;
    mez_problem_t *pb;
    const json_t *body;
} calc_t;

static mez_status_t bad(calc_t *c, const char *code, const char *pointer, const char *detail)
{
    return mez_problem(c->pb, c->p, MEZ_EINVAL, 422, code, pointer, "%s", detail);
}

/* A result's string member, or dflt when it has none. */
static const char *str(const json_t *o, const char *name, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v ? v : dflt;
}

/* A string member: absent is allowed unless required; present, it is a non-empty string of at most max bytes. */
static mez_status_t text(calc_t *c, const json_t *obj, const char *base, const char *name, int required, size_t max,
                         const char **out)
{
    const json_t *v = json_object_get(obj, name);
    const char *at = mez_pointer_join(c->p, base, name);
    *out = NULL;
    if (!v)
        return required ? bad(c, "request.missing_field", at, apr_psprintf(c->p, "'%s' is required", name))
                        : MEZ_OK;
    if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > max)
        return bad(c, "request.invalid_type", at,
                   apr_psprintf(c->p, "'%s' must be a string of 1 to %u characters", name, (unsigned)max));
    *out = json_string_value(v);
    return MEZ_OK;
}

static int all_digits(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

static int one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set))
            return 1;
    return 0;
}

static mez_status_t check_enum(calc_t *c, const char *v, const char *at, const char *const *set)
{
    const char *list = "";
    if (!v || one_of(v, set))
        return MEZ_OK;
    for (const char *const *s = set; *s; s++)
        list = apr_pstrcat(c->p, list, s == set ? "" : ", ", *s, NULL);
    return bad(c, "request.invalid_field", at, apr_psprintf(c->p, "'%s' is not one of %s", v, list));
}

static mez_status_t check_date(calc_t *c, const char *v, const char *at)
{
    if (!v || mez_mass_date_parse(v, NULL))
        return MEZ_OK;
    return bad(c, "request.invalid_date", at, apr_psprintf(c->p, "'%s' is not a date YYYY-MM-DD", v));
}

/* The contract's request (fiscal.openapi.yaml WithholdingCalculationRequest, additionalProperties false) and
 * the zone API's compliance member. */
typedef struct {
    const char *payer, *ntn, *ntn_type, *filer, *amount, *currency, *type, *source, *destination, *date, *rule;
    int exponent;
} request_t;

static mez_status_t read_request(calc_t *c, request_t *q)
{
    static const char *const top[] = { "payer_entity_id", "payee_ntn", "amount", "currency", "payment_type",
                                       "source_jurisdiction", "destination_jurisdiction", "effective_date",
                                       "compliance", NULL };
    static const char *const ntn_members[] = { "ntn_number", "ntn_type", "filer_status", "registration_date", "strn",
                                               NULL };
    static const char *const compliance_members[] = { "withholding_rule", NULL };
    static const char *const ntn_types[] = { "company", "individual", "aop", NULL };
    static const char *const filer_statuses[] = { "filer", "non_filer", "exempt", NULL };
    static const char *const payment_types[] = { "goods_payment", "service_fee", "dividend", "royalty",
                                                 "profit_on_debt", "rent", "salary", "commission", "contract_payment",
                                                 "capital_gains_settlement", "other", NULL };
    const json_t *b = c->body, *ntn = json_object_get(b, "payee_ntn"), *comp = json_object_get(b, "compliance");
    const char *strn = NULL, *registered = NULL;
    int64_t units = 0;
    mez_status_t rv;

    if (!json_is_object(b))
        return bad(c, "request.invalid_type", "", "the body is a JSON object (WithholdingCalculationRequest)");
    if ((rv = mez_json_only_members(c->p, b, "", top, "request.unknown_field", c->pb)) != MEZ_OK
        || (rv = text(c, b, "", "payer_entity_id", 1, 200, &q->payer)) != MEZ_OK)
        return rv;
    if (!ntn)
        return bad(c, "request.missing_field", "/payee_ntn", "'payee_ntn' is required");
    if (!json_is_object(ntn))
        return bad(c, "request.invalid_type", "/payee_ntn", "'payee_ntn' must be an object (NationalTaxNumber)");
    if ((rv = mez_json_only_members(c->p, ntn, "/payee_ntn", ntn_members, "request.unknown_field", c->pb)) != MEZ_OK
        || (rv = text(c, ntn, "/payee_ntn", "ntn_number", 1, 13, &q->ntn)) != MEZ_OK
        || (rv = text(c, ntn, "/payee_ntn", "ntn_type", 1, 20, &q->ntn_type)) != MEZ_OK
        || (rv = text(c, ntn, "/payee_ntn", "filer_status", 0, 20, &q->filer)) != MEZ_OK
        || (rv = text(c, ntn, "/payee_ntn", "registration_date", 0, 10, &registered)) != MEZ_OK
        || (rv = text(c, ntn, "/payee_ntn", "strn", 0, 13, &strn)) != MEZ_OK)
        return rv;
    if (!all_digits(q->ntn, 7) && !all_digits(q->ntn, 13))
        return bad(c, "request.invalid_field", "/payee_ntn/ntn_number",
                   "an NTN is 7 digits (a company's) or 13 (an individual's, CNIC-based)");
    if ((rv = check_enum(c, q->ntn_type, "/payee_ntn/ntn_type", ntn_types)) != MEZ_OK
        || (rv = check_enum(c, q->filer, "/payee_ntn/filer_status", filer_statuses)) != MEZ_OK
        || (rv = check_date(c, registered, "/payee_ntn/registration_date")) != MEZ_OK)
        return rv;
    if (strn && !all_digits(strn, 13))
        return bad(c, "request.invalid_field", "/payee_ntn/strn", "an STRN is 13 digits");
    if ((rv = text(c, b, "", "amount", 1, 40, &q->amount)) != MEZ_OK
        || (rv = text(c, b, "", "currency", 1, 3, &q->currency)) != MEZ_OK
        || (rv = text(c, b, "", "payment_type", 1, 40, &q->type)) != MEZ_OK
        || (rv = text(c, b, "", "source_jurisdiction", 0, 100, &q->source)) != MEZ_OK
        || (rv = text(c, b, "", "destination_jurisdiction", 0, 100, &q->destination)) != MEZ_OK
        || (rv = text(c, b, "", "effective_date", 0, 10, &q->date)) != MEZ_OK
        || (rv = check_enum(c, q->type, "/payment_type", payment_types)) != MEZ_OK
        || (rv = check_date(c, q->date, "/effective_date")) != MEZ_OK)
        return rv;
    if (strlen(q->currency) != 3 || strspn(q->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3
        || (q->exponent = mez_tax_currency_exponent(q->currency)) < 0)
        return bad(c, "fiscal.unknown_currency", "/currency",
                   apr_psprintf(c->p, "'%s' is not an ISO 4217 currency the zone's treasury keeps", q->currency));
    /* As the treasury reads a payment's amount: at most 4 decimals, none below the currency's minor unit. */
    switch (mez_mass_decimal_parse(q->amount, 4, q->exponent, MEZ_MASS_AMOUNT_MAX, &units)) {
    case MEZ_DECIMAL_OK:
        break;
    case MEZ_DECIMAL_SYNTAX:
        return bad(c, "request.invalid_field", "/amount",
                   apr_psprintf(c->p, "'amount' is a decimal string such as \"100000.00\", not '%s'", q->amount));
    case MEZ_DECIMAL_PRECISION:
        return bad(c, "fiscal.amount_precision", "/amount",
                   apr_psprintf(c->p, "'%s' has more decimals than %s's %d minor-unit digits", q->amount,
                                q->currency, q->exponent));
    case MEZ_DECIMAL_TOO_LARGE:
        return bad(c, "fiscal.amount_too_large", "/amount",
                   apr_psprintf(c->p, "'%s' is larger than a payment may be", q->amount));
    }
    if (units <= 0)
        return bad(c, "fiscal.amount_not_positive", "/amount", "'amount' must be greater than zero");
    if (comp) {
        if (!json_is_object(comp))
            return bad(c, "request.invalid_type", "/compliance", "'compliance' must be an object");
        if ((rv = mez_json_only_members(c->p, comp, "/compliance", compliance_members, "request.unknown_field",
                                        c->pb)) != MEZ_OK
            || (rv = text(c, comp, "/compliance", "withholding_rule", 0, 200, &q->rule)) != MEZ_OK)
            return rv;
    }
    return MEZ_OK;
}

/* An id that goes into a Mass path: a plain token, so that no other path can be reached through it. */
static int path_token(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:";
    return *s && strspn(s, ok) == strlen(s) && strcmp(s, ".") && strcmp(s, "..");
}

/* Whether j names the zone's own jurisdiction: its zone id, its jurisdiction or a layer of its stack, in any
 * case ("PK" as the contract writes it, "pk" as the packs do). */
static int own_jurisdiction(const mez_orch_zone_t *z, const mez_zone_t *zone, const char *j)
{
    if (!strcasecmp(j, z->zone_id) || (zone && zone->jurisdiction_id && !strcasecmp(j, zone->jurisdiction_id)))
        return 1;
    for (int i = 0; zone && zone->jurisdiction_stack && i < zone->jurisdiction_stack->nelts; i++)
        if (!strcasecmp(j, APR_ARRAY_IDX(zone->jurisdiction_stack, i, const char *)))
            return 1;
    return 0;
}

/* The act a lawpack encodes, as a person cites it: a lawpack's title names the act first and then the part of it
 * the pack holds ("Income Tax Ordinance, 2001: withholding regime (...)"), so the statute is the title before its
 * first ": ". A row whose lawpack the zone does not hold (zone NULL) is cited by the lawpack's id, and a row
 * without a lawpack by its source's title (a rate card or circular is then all the law the pack names). */
static const char *statute_of(apr_pool_t *p, const mez_zone_t *zone, const json_t *row)
{
    const char *lawpack = str(json_object_get(row, "law"), "lawpack", NULL), *colon;
    for (int i = 0; lawpack && zone && zone->packs && i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (zp->pack && zp->pack->kind == MEZ_PACK_LAW && zp->pack->title && !strcmp(zp->pack->id, lawpack))
            return (colon = strstr(zp->pack->title, ": ")) ? apr_pstrndup(p, zp->pack->title,
                                                                         (apr_size_t)(colon - zp->pack->title))
                                                          : zp->pack->title;
    }
    return lawpack ? lawpack : str(json_object_get(row, "source"), "title", NULL);
}

/* One legal_basis entry of the contract for a cited row (a withholding line or a reason naming a row). */
static json_t *basis(apr_pool_t *p, const mez_zone_t *zone, const json_t *row, const char *rate, const char *note)
{
    const char *detail = str(row, "source_detail", NULL), *statute = statute_of(p, zone, row);
    const char *description = note && detail ? apr_pstrcat(p, note, " ", detail, NULL)
                              : note ? note : detail ? detail : str(row, "rule", "");
    json_t *o = json_pack("{s:s,s:s,s:s}", "statute", statute ? statute : "", "section", str(row, "section", ""),
                          "description", description);
    if (rate)
        json_object_set_new(o, "rate", json_string(rate));
    return o;
}

static const json_t *reason_of(const json_t *tax, const char *code)
{
    const json_t *r;
    size_t i;
    json_array_foreach(json_object_get(tax, "reasons"), i, r)
        if (!strcmp(str(r, "code", ""), code))
            return r;
    return NULL;
}

/* The row ids a caller may name in compliance.withholding_rule ("<pack>/<row>" cites them; the row id names them),
 * with what each is for. */
static const char *candidates(apr_pool_t *p, const json_t *rules)
{
    const char *list = "";
    const json_t *r;
    size_t i;
    json_array_foreach(rules, i, r) {
        const char *rule = str(r, "rule", "?"), *slash = strchr(rule, '/'), *detail = str(r, "source_detail", NULL);
        list = apr_psprintf(p, "%s%s%s (s. %s%s%s)", list, i ? "; " : "", slash ? slash + 1 : rule,
                            str(r, "section", "?"), detail ? ": " : "", detail ? detail : "");
    }
    return list;
}

/* What the tensor left undecided, as the calculation's problem. */
static mez_status_t undecided(calc_t *c, const request_t *q, const char *category, const json_t *tax)
{
    const json_t *r;
    if ((r = reason_of(tax, "ambiguous_rates")))
        return bad(c, "withholding.rule_needed", "/compliance/withholding_rule",
                   apr_psprintf(c->p, "several withholding rows of the zone's packs apply to a %s payment; name the "
                                "one that governs it in compliance.withholding_rule: %s", q->type,
                                candidates(c->p, json_object_get(r, "rules"))));
    if ((r = reason_of(tax, "filer_status_unknown")))
        return bad(c, "withholding.filer_status_needed", "/payee_ntn/filer_status",
                   "the payee's filer status (Active Taxpayers List) decides the rate: give payee_ntn.filer_status");
    if ((r = reason_of(tax, "no_withholding_rate")))
        return bad(c, "withholding.no_rate", "/effective_date",
                   apr_psprintf(c->p, "no withholding row of the zone's packs is in force on %s for %s payments to "
                                "a payee of class %s", str(r, "date", "that day"), category,
                                q->ntn_type));
    if ((r = reason_of(tax, "selected_rule_not_applicable")))
        return bad(c, "withholding.rule_not_applicable", "/compliance/withholding_rule",
                   apr_psprintf(c->p, "'%s' is not a withholding row for %s payments in force on that day", q->rule,
                                category));
    r = json_array_get(json_object_get(tax, "reasons"), 0);
    return bad(c, "withholding.undetermined", NULL,
               apr_psprintf(c->p, "the zone's packs do not settle this withholding (%s): %s", str(r, "code", "no reason"),
                            str(r, "detail", "see the tax domain of POST /v1/compliance/evaluate")));
}

mez_status_t mez_tax_withholding_calculate(const mez_orch_zone_t *z, const mez_zone_t *zone, apr_pool_t *p,
                                           mez_db_t *db, const json_t *body, const char *actor_entity, apr_time_t now,
                                           json_t **out, mez_problem_t *pb)
{
    calc_t c = { p, pb, body };
    request_t q = { 0 };
    mez_tensor_eval_options_t eo = { MEZ_DOMAIN_BIT(MEZ_DOMAIN_TAX), NULL, NULL, NULL, 0 };
    apr_time_exp_t e;
    const char *category, *today, *gross, *withheld, *net, *rate;
    const json_t *lines, *line, *tax, *r;
    json_t *payer, *action, *result, *answer, *legal, *digest_doc;
    mez_digest_t d;
    int64_t g = 0, w = 0;
    size_t i;
    mez_status_t rv;

    *out = NULL;
    if ((rv = read_request(&c, &q)) != MEZ_OK)
        return rv;
    if (actor_entity && strcmp(actor_entity, q.payer))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "auth.not_entity_owner", "/payer_entity_id",
                           "an entity's token computes the withholding of its own payments only");
    if (!z->tensor_index)
        return mez_problem(pb, p, MEZ_EINVAL, 503, "zone.no_packs", NULL,
                           "this zone has no packs loaded (MezZoneFile): it has no law to compute withholding by");
    if (!(category = mez_tax_payment_category(q.type)))
        return bad(&c, "withholding.no_category", "/payment_type",
                   apr_psprintf(p, "the zone's withholding law has no head for '%s' payments of its own: compute "
                                "it for the payment type the law names (POST /v1/compliance/evaluate takes the "
                                "packs' payment types)", q.type));
    if (q.filer && !strcmp(q.filer, "exempt"))
        return bad(&c, "withholding.exempt_payee", "/payee_ntn/filer_status",
                   "an exempt payee is paid without withholding, or at a reduced rate, as its exemption "
                   "certificate says (Income Tax Ordinance, 2001, s. 159): the zone cannot tell which from an NTN; "
                   "a payment names the certificate in withholding_override");
    if (q.source && !own_jurisdiction(z, zone, q.source))
        return bad(&c, "withholding.other_jurisdiction", "/source_jurisdiction",
                   apr_psprintf(p, "this zone computes withholding under its own law (%s), for payers in it, not "
                                "under %s's", zone && zone->jurisdiction_id ? zone->jurisdiction_id : z->zone_id,
                                q.source));
    if (!path_token(q.payer))
        return bad(&c, "request.invalid_field", "/payer_entity_id",
                   "an entity id is letters, digits and - _ . : only");
    if ((rv = mez_orch_mass_read(z, p, db, apr_pstrcat(p, "/v1/entities/", q.payer, NULL), NULL, "/payer_entity_id",
                                 &payer, pb)) != MEZ_OK)
        return rv;
    apr_time_exp_gmt(&e, now);
    today = apr_psprintf(p, "%04d-%02d-%02d", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday);

    /* The payment as the orchestrated write evaluates it (orchestrate_ops.c, payment_prepare): the payer as the
     * subject, from the register; the payee as the counterparty, as the contract describes it. */
    action = mez_json_pool_own(p, json_pack("{s:{s:s,s:s,s:s,s:s,s:{s:s,s:s}},s:{s:s,s:s},s:{s:s,s:s,s:s}}",
        "action", "type", "payment", "date", q.date ? q.date : today, "jurisdiction", z->zone_id, "payment_type",
        category, "amount", "amount", q.amount, "currency", q.currency,
        "subject", "id", q.payer, "name", str(payer, "legal_name", q.payer),
        "counterparty", "id", apr_pstrcat(p, "urn:mez:ntn:", q.ntn, NULL), "name",
        apr_pstrcat(p, "NTN ", q.ntn, NULL), "entity_class", q.ntn_type));
    if (q.filer)
        json_object_set_new(json_object_get(action, "counterparty"), "filer_status", json_string(q.filer));
    if (q.rule)
        json_object_set_new(json_object_get(action, "action"), "withholding_rule", json_string(q.rule));
    if (q.destination && !own_jurisdiction(z, zone, q.destination))
        json_object_set_new(json_object_get(action, "action"), "destination_jurisdiction",
                            json_string(q.destination));
    if ((rv = mez_tensor_evaluate_detail(p, z->tensor_index, action, &eo, MEZ_TENSOR_DETAIL_FULL, &result, NULL,
                                         pb)) != MEZ_OK)
        return rv;          /* result is p's (mez_tensor_evaluate) */
    tax = json_object_get(json_object_get(result, "domains"), "tax");
    lines = json_object_get(result, "withholding");

    legal = json_array();
    mez_mass_decimal_parse(q.amount, 4, q.exponent, MEZ_MASS_AMOUNT_MAX, &g);
    if (json_array_size(lines) == 1) {
        line = json_array_get(lines, 0);
        if (!(withheld = mez_tax_minor_units(p, str(line, "amount", NULL), q.exponent))
            || mez_mass_decimal_parse(withheld, -1, q.exponent, MEZ_MASS_AMOUNT_MAX, &w) != MEZ_DECIMAL_OK
            || w > g) {
            json_decref(legal);
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "withholding.out_of_range", NULL,
                               "the tax the packs give (%s %s) is not a payable amount of this payment",
                               str(line, "amount", "?"), q.currency);
        }
        rate = mez_tax_rate_fraction(p, str(line, "rate", "0"));
        json_array_append_new(legal, basis(p, zone, line, rate, NULL));
        /* A band of a progressive table: its rate is the marginal one; the rate withheld is the effective one. */
        if (json_is_true(json_object_get(line, "progressive")))
            rate = mez_mass_decimal_format(p, (__int128)w * 1000000 / g, 6);
    }
    else if ((r = reason_of(tax, "threshold_not_met")) != NULL) {
        /* Below every row's threshold: nothing is withheld, and the rows that say so are the basis. */
        json_array_foreach(json_object_get(tax, "reasons"), i, r) {
            const json_t *t = json_object_get(r, "threshold");
            if (strcmp(str(r, "code", ""), "threshold_not_met"))
                continue;
            json_array_append_new(legal, basis(p, zone, r, NULL, t ? apr_psprintf(p, "No deduction: the amount is "
                                  "below the threshold (%s %s %s).", str(t, "applies", ""), str(t, "amount", ""),
                                  str(t, "currency", "")) : "No deduction."));
        }
        w = 0;
        rate = "0";
    }
    else {
        json_decref(legal);
        return undecided(&c, &q, category, tax);
    }
    gross = mez_mass_amount_format(p, g, q.exponent);
    withheld = mez_mass_amount_format(p, w, q.exponent);
    net = mez_mass_amount_format(p, g - w, q.exponent);
    answer = mez_json_pool_own(p, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "gross_amount", gross,
                                            "withholding_rate", rate, "withholding_amount", withheld, "net_amount",
                                            net, "currency", q.currency, "legal_basis", legal, "computed_at",
                                            mez_time_stamp(p, now)));
    if (q.filer)
        json_object_set_new(answer, "filer_status_applied", json_string(q.filer));
    /* The digest binds what was asked to what was answered: {"inputs": body, "outputs": answer} in RFC 8785. */
    digest_doc = mez_json_pool_own(p, json_pack("{s:O,s:O}", "inputs", body, "outputs", answer));
    if ((rv = mez_digest_json(p, digest_doc, &d, pb)) != MEZ_OK)
        return rv;
    json_object_set_new(answer, "computation_digest", json_string(mez_digest_hex(p, &d)));
    *out = answer;
    return MEZ_OK;
}
