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
#include "mass_fiscal_int.h"
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

/* The contract's request (fiscal.openapi.yaml WithholdingCalculationRequest, additionalProperties false) and
 * the zone API's compliance member. */
typedef struct {
    const char *payer, *ntn, *ntn_type, *filer, *amount, *currency, *type, *source, *destination, *date, *rule;
    const json_t *figures;        /* compliance.figures: what the payer already paid the payee (action.figures) */
    int exponent;
} request_t;

/* The body, read with the treasury's own validators (mass_store.c, mass_fiscal.c): the members this request
 * shares with the treasury's (an NTN, an amount in a currency) are accepted and refused exactly as a payment's or
 * an account's are, in the same words. */
static mez_status_t read_request(calc_t *c, apr_time_t now, const struct mez_tz_t *tz, request_t *q)
{
    static const char *const top[] = { "payer_entity_id", "payee_ntn", "amount", "currency", "payment_type",
                                       "source_jurisdiction", "destination_jurisdiction", "effective_date",
                                       "compliance", NULL };
    static const char *const compliance_members[] = { "withholding_rule", "figures", NULL };
    static const char *const payment_types[] = { "goods_payment", "service_fee", "dividend", "royalty",
                                                 "profit_on_debt", "rent", "salary", "commission", "contract_payment",
                                                 "capital_gains_settlement", "other", NULL };
    /* The zone's calendar, as its own store has it: an NTN registered "tomorrow" in Karachi is refused here too. */
    mez_mass_store_ctx_t ctx = { NULL, NULL, now, NULL, tz, NULL };
    mez_mass_response_t resp = { 0 };
    mez_mass_call_t mc = { c->p, NULL, &ctx, NULL, &resp, c->pb };
    const json_t *b = c->body, *ntn, *comp = NULL;
    int64_t units = 0;

    if (!mez_mass_check_object(&mc, b, "", top)
        || !mez_mass_get_string(&mc, b, "", "payer_entity_id", MEZ_MASS_REQUIRED, 200, &q->payer)
        || !mez_fiscal_check_ntn(&mc, b, "", "payee_ntn")
        || !mez_fiscal_get_currency(&mc, b, "", "currency", &q->currency, &q->exponent)
        || !mez_fiscal_get_amount(&mc, b, "", "amount", q->exponent, &units)
        || !mez_mass_get_enum(&mc, b, "", "payment_type", MEZ_MASS_REQUIRED, payment_types, &q->type)
        || !mez_mass_get_string(&mc, b, "", "source_jurisdiction", MEZ_MASS_OPTIONAL, 100, &q->source)
        || !mez_mass_get_string(&mc, b, "", "destination_jurisdiction", MEZ_MASS_OPTIONAL, 100, &q->destination)
        || !mez_mass_get_string(&mc, b, "", "effective_date", MEZ_MASS_OPTIONAL, 10, &q->date)
        || !mez_mass_get_object(&mc, b, "", "compliance", MEZ_MASS_OPTIONAL, &comp)
        || (comp && (!mez_mass_check_object(&mc, comp, "/compliance", compliance_members)
                     || !mez_mass_get_string(&mc, comp, "/compliance", "withholding_rule", MEZ_MASS_OPTIONAL, 200,
                                             &q->rule)
                     || !mez_mass_get_object(&mc, comp, "/compliance", "figures", MEZ_MASS_OPTIONAL, &q->figures))))
        return mez_mass_refusal_problem(&mc, c->pb);
    if (q->date && !mez_mass_date_parse(q->date, NULL))
        return bad(c, "request.invalid_date", "/effective_date",
                   apr_psprintf(c->p, "'effective_date' must be a date YYYY-MM-DD, not '%s'", q->date));
    q->amount = str(b, "amount", NULL);
    ntn = json_object_get(b, "payee_ntn");
    q->ntn = str(ntn, "ntn_number", NULL);
    q->ntn_type = str(ntn, "ntn_type", NULL);
    q->filer = str(ntn, "filer_status", NULL);
    return MEZ_OK;
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
const char *mez_tax_statute_of(apr_pool_t *p, const mez_zone_t *zone, const json_t *row)
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
    const char *detail = str(row, "source_detail", NULL), *statute = mez_tax_statute_of(p, zone, row);
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
    /* Asked for rather than answered on this payment alone: "nothing withheld" for a payment below a limit on the
     * year's payments to the payee is the answer that under-withholds when earlier payments bring it over. */
    if ((r = reason_of(tax, "aggregate_not_given")))
        return bad(c, "withholding.aggregate_needed",
                   apr_pstrcat(c->p, "/compliance/figures/", str(r, "aggregate", ""), NULL),
                   apr_psprintf(c->p, "s. %s withholds once the payments to a payee reach %s %s in aggregate during the "
                                "tax year, which this payment of %s %s alone does not: give what the payer already "
                                "paid this payee under it in the tax year as compliance.figures.%s {amount, currency} "
                                "(\"0\" for nothing; GET /v1/fiscal/{entity_id}/payment-aggregate reads it from the "
                                "treasury)", str(r, "section", "?"),
                                str(json_object_get(r, "threshold"), "amount", "?"),
                                str(json_object_get(r, "threshold"), "currency", ""), q->amount, q->currency,
                                str(r, "aggregate", "")));
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
    if ((r = reason_of(tax, "selected_rule_not_applicable")) && json_object_get(r, "threshold")) {
        const json_t *t = json_object_get(r, "threshold");
        return bad(c, "withholding.rule_not_applicable", "/compliance/withholding_rule",
                   apr_psprintf(c->p, "'%s' does not apply to a %s payment of %s %s (it applies %s %s %s), and "
                                "another row of the zone's packs does: name that row, or none", q->rule, category,
                                q->amount, q->currency, str(t, "applies", "?"), str(t, "amount", "?"),
                                str(t, "currency", "")));
    }
    if (r && json_object_get(r, "payee_class"))
        return bad(c, "withholding.rule_not_applicable", "/compliance/withholding_rule",
                   apr_psprintf(c->p, "'%s' is a withholding row for payees of another class than the payee's (%s)",
                                q->rule, q->ntn_type));
    if (r)
        return bad(c, "withholding.rule_not_applicable", "/compliance/withholding_rule",
                   apr_psprintf(c->p, "'%s' is not a withholding row for %s payments in force on that day", q->rule,
                                category));
    r = json_array_get(json_object_get(tax, "reasons"), 0);
    return bad(c, "withholding.undetermined", NULL,
               apr_psprintf(c->p, "the zone's packs do not settle this withholding (%s): %s", str(r, "code", "no reason"),
                            str(r, "detail", "see the tax domain of POST /v1/compliance/evaluate")));
}

/* How a row judged on the aggregate paid to the payee in the tax year was judged, for its legal_basis entry (the
 * contract's answer has no member for it): the figures, and on the payment that brings the aggregate to the limit
 * the earlier payments nothing was deducted from. NULL for a row whose limit is on the payment alone. */
static const char *aggregate_note(apr_pool_t *p, const json_t *row, int withheld)
{
    const json_t *ag = json_object_get(row, "aggregate"), *t = json_object_get(row, "threshold");
    const char *limit = apr_psprintf(p, "%s %s %s", str(t, "applies", ""), str(t, "amount", ""), str(t, "currency", ""));
    const char *before = str(ag, "not_deducted_before", NULL);
    if (!ag)
        return NULL;
    if (!strcmp(str(ag, "judged_on", ""), "this_payment"))
        return apr_psprintf(p, "Withheld: the threshold (%s) is on the payments to this payee in the tax year in "
                            "aggregate, and this payment alone reaches it; what was paid before "
                            "(compliance.figures.%s) was not given, so whether earlier payments went undeducted is not "
                            "known.", limit, str(ag, "name", ""));
    return apr_psprintf(p, "%s the payments to this payee under s. %s in the tax year, %s %s before this payment and %s "
                        "with it, are %s the threshold in aggregate (%s).%s%s%s", withheld ? "Withheld from this "
                        "payment's gross amount:" : "No deduction:", str(row, "section", "?"),
                        str(ag, "paid_before", "?"), str(ag, "currency", ""), str(ag, "including_this_payment", "?"),
                        withheld ? "at or past" : "below", limit, before ? " Nothing was deducted from the earlier "
                        "payments (" : "", before ? apr_pstrcat(p, before, " ", str(ag, "currency", ""), NULL) : "",
                        before ? "): the payer accounts for the tax on them." : "");
}

mez_status_t mez_tax_withholding_calculate(const mez_orch_zone_t *z, const mez_zone_t *zone, apr_pool_t *p,
                                           mez_db_t *db, const json_t *body, const char *actor_entity, apr_time_t now,
                                           json_t **out, mez_problem_t *pb)
{
    calc_t c = { p, pb, body };
    request_t q = { 0 };
    mez_tensor_eval_options_t eo = { .domains = MEZ_DOMAIN_BIT(MEZ_DOMAIN_TAX), .tz = z->tz,
                                     .weekend = z->weekend, .tax_year_start = z->tax_year_start,
                                     .holidays = zone ? zone->holidays : NULL };
    const char *category, *today, *gross, *withheld, *net, *rate;
    const json_t *lines, *line, *tax, *r;
    json_t *payer, *action, *result, *answer, *legal, *digest_doc;
    mez_digest_t d;
    int64_t g = 0, w = 0;
    size_t i;
    mez_status_t rv;

    *out = NULL;
    if ((rv = read_request(&c, now, z->tz, &q)) != MEZ_OK)
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
    if ((rv = mez_orch_id_check(p, q.payer, "/payer_entity_id", pb)) != MEZ_OK
        || (rv = mez_orch_mass_read(z, p, db, apr_pstrcat(p, "/v1/entities/", q.payer, NULL), NULL, "/payer_entity_id",
                                 &payer, pb)) != MEZ_OK)
        return rv;
    /* Without an effective_date, the payment is made today: the date on the zone's calendar, as for a payment. */
    today = mez_tz_date(p, z->tz, now);

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
    /* What the payer already paid the payee (a threshold on the aggregate paid in the tax year), as the caller
     * knows it: the tensor reads it as action.figures, and refuses it at its member. */
    if (q.figures)
        json_object_set_new(json_object_get(action, "action"), "figures", json_deep_copy(q.figures));
    /* A payee abroad: the payment path evaluates money leaving for another zone as a cross_border_transfer (the
     * only action that takes a destination; a payment given one was refused as tensor.unknown_field at a pointer
     * the request does not have), withheld as the zone's own law says. So is the calculation, so that it stays
     * what the payment withholds; an id the tensor cannot take is refused at the member that gave it. */
    if (q.destination && !own_jurisdiction(z, zone, q.destination)) {
        json_t *act = json_object_get(action, "action");
        if ((rv = mez_tensor_check_jurisdiction_id(p, q.destination, "/destination_jurisdiction", pb)) != MEZ_OK)
            return rv;
        json_object_set_new(act, "type", json_string("cross_border_transfer"));
        json_object_set_new(act, "destination_jurisdiction", json_string(q.destination));
    }
    if ((rv = mez_tensor_evaluate_detail(p, z->tensor_index, action, &eo, MEZ_TENSOR_DETAIL_FULL, &result, NULL,
                                         pb)) != MEZ_OK) {
        /* The only member of the action the request gives as it is: its pointer is the request's. */
        if (pb->pointer && !strncmp(pb->pointer, "/action/figures", 15))
            pb->pointer = apr_pstrcat(p, "/compliance/figures", pb->pointer + 15, NULL);
        return rv;          /* result is p's (mez_tensor_evaluate) */
    }
    tax = json_object_get(json_object_get(result, "domains"), "tax");
    lines = json_object_get(result, "withholding");

    legal = json_array();
    mez_mass_decimal_parse(q.amount, 4, q.exponent, MEZ_MASS_AMOUNT_MAX, &g);
    if (json_array_size(lines) == 1) {
        line = json_array_get(lines, 0);
        if (!(withheld = mez_tax_minor_units(p, str(line, "amount", NULL), q.exponent))
            || mez_mass_decimal_parse(withheld, -1, q.exponent, MEZ_MASS_AMOUNT_MAX, &w) != MEZ_DECIMAL_OK
            || w > g || (g > 0 && w == g)) {
            /* The whole amount withheld would leave nothing to pay: the treasury refuses such a payment
             * (fiscal.withholding_exceeds_amount), so the calculation does not answer it either. */
            json_decref(legal);
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "withholding.out_of_range", NULL,
                               "the tax the packs give (%s %s) is not a payable amount of this payment",
                               str(line, "amount", "?"), q.currency);
        }
        rate = mez_tax_rate_fraction(p, str(line, "rate", "0"));
        json_array_append_new(legal, basis(p, zone, line, rate, aggregate_note(p, line, 1)));
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
            json_array_append_new(legal, basis(p, zone, r, NULL, json_object_get(r, "aggregate")
                                  ? aggregate_note(p, r, 0)
                                  : t ? apr_psprintf(p, "No deduction: the amount is below the threshold (%s %s %s).",
                                                     str(t, "applies", ""), str(t, "amount", ""),
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
