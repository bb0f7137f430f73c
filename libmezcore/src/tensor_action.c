/* tensor_action.c: validating the action document an evaluation starts from into a typed action.
 * Untrusted input enters the tensor here, so every refusal names its stable code and JSON pointer. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/tensor.h"
#include "tensor_int.h"

static mez_status_t fail(mez_problem_t *pb, apr_pool_t *p, const char *code, const char *pointer, const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, pointer, "%s", detail);
}

/* A string member: *out NULL when absent and optional. Empty strings are refused: they are never meant. */
static mez_status_t string_member(apr_pool_t *p, const json_t *obj, const char *pointer, const char *name,
                                  int required, const char **out, mez_problem_t *pb)
{
    const json_t *v = json_object_get(obj, name);
    const char *at;
    *out = NULL;
    if (v && json_is_string(v) && json_string_length(v) != 0 && strlen(json_string_value(v)) == json_string_length(v)) {
        *out = json_string_value(v);
        return MEZ_OK;
    }
    if (!v && !required)
        return MEZ_OK;
    /* The pointer is made only for a refusal: valid documents are the common case, and each field has one. */
    at = mez_pointer_join(p, pointer, name);
    if (!v)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.missing_field", at, "%s is required", at);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_field", at, "%s must be a non-empty string", at);
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_field", at, "%s contains a NUL character", at);
}

static mez_status_t object_member(apr_pool_t *p, const json_t *obj, const char *pointer, const char *name,
                                  int required, const json_t **out, mez_problem_t *pb)
{
    const json_t *v = json_object_get(obj, name);
    const char *at;
    *out = v;
    if (v ? json_is_object(v) : !required)
        return MEZ_OK;
    at = mez_pointer_join(p, pointer, name);
    if (!v)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.missing_field", at, "%s is required", at);
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_field", at, "%s must be an object", at);
}

static int is_currency(const char *c)
{
    return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' && c[2] <= 'Z';
}

static mez_status_t slug_member(apr_pool_t *p, const json_t *obj, const char *pointer, const char *name,
                                int required, const char **out, mez_problem_t *pb)
{
    mez_status_t rv = string_member(p, obj, pointer, name, required, out, pb);
    if (rv == MEZ_OK && *out && !mez_pack_slug_ok(*out))
        return fail(pb, p, "tensor.invalid_value", mez_pointer_join(p, pointer, name),
                    "a class or basis is a lower-case name: a letter, then letters, digits and '_'");
    return rv;
}

/* {amount, currency} plus the members in extra (NULL-terminated, may be NULL), which the caller reads. */
static mez_status_t parse_money(apr_pool_t *p, const json_t *obj, const char *pointer, const char *const *extra,
                                mez_tensor_money_t *m, mez_problem_t *pb)
{
    const char *members[8] = { "amount", "currency", NULL };
    const char *at = mez_pointer_join(p, pointer, "amount");
    const json_t *v = json_object_get(obj, "amount");
    size_t k = 2;
    mez_status_t rv;

    for (; extra && *extra && k < sizeof(members) / sizeof(members[0]) - 1; extra++)
        members[k++] = *extra;
    members[k] = NULL;
    if ((rv = mez_json_only_members(p, obj, pointer, members, "tensor.unknown_field", pb)) != MEZ_OK)
        return rv;
    if (!v)
        return fail(pb, p, "tensor.missing_field", at, "the amount is required, as a decimal string");
    if (json_is_number(v))
        return fail(pb, p, "tensor.invalid_amount", at,
                    "amounts are decimal strings in the major unit (\"1000000\", \"2500.50\"); JSON numbers are "
                    "refused so that no amount ever passes through floating point");
    if (!json_is_string(v) || mez_tensor_decimal_parse(json_string_value(v), &m->amount))
        return fail(pb, p, "tensor.invalid_amount", at,
                    "an amount is a non-negative decimal string without sign, exponent or leading zeros, at most "
                    "18 digits (\"1000000\", \"2500.50\")");
    m->amount_text = json_string_value(v);
    if ((rv = string_member(p, obj, pointer, "currency", 1, &m->currency, pb)) != MEZ_OK)
        return rv;
    if (!is_currency(m->currency))
        return fail(pb, p, "tensor.invalid_currency", mez_pointer_join(p, pointer, "currency"),
                    "a currency is an ISO 4217 code of three capital letters (PKR, AED, USD)");
    return MEZ_OK;
}

static mez_status_t parse_amount(apr_pool_t *p, const json_t *obj, const char *pointer, mez_tensor_action_t *a,
                                 mez_problem_t *pb)
{
    mez_tensor_money_t m = { 0 };
    mez_status_t rv = parse_money(p, obj, pointer, NULL, &m, pb);
    if (rv != MEZ_OK)
        return rv;
    a->amount = m.amount;
    a->amount_text = m.amount_text;
    a->currency = m.currency;
    a->has_amount = 1;
    return MEZ_OK;
}

/* A non-empty array of distinct strings (slugs when slugs is set): declared classes, obligation ids. */
static mez_status_t string_list(apr_pool_t *p, const json_t *obj, const char *pointer, const char *name, int slugs,
                                const char *const **out, size_t *n, mez_problem_t *pb)
{
    const json_t *v = json_object_get(obj, name), *item;
    const char *at = mez_pointer_join(p, pointer, name);
    const char **list;
    size_t i, j;

    *out = NULL;
    *n = 0;
    if (!v)
        return MEZ_OK;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(pb, p, "tensor.invalid_field", at, "a non-empty array of strings");
    list = apr_pcalloc(p, (json_array_size(v) + 1) * sizeof(*list));
    json_array_foreach(v, i, item) {
        const char *ip = mez_pointer_index(p, at, i);
        if (!json_is_string(item) || json_string_length(item) == 0
            || strlen(json_string_value(item)) != json_string_length(item))
            return fail(pb, p, "tensor.invalid_field", ip, "each item is a non-empty string");
        list[i] = json_string_value(item);
        if (slugs && !mez_pack_slug_ok(list[i]))
            return fail(pb, p, "tensor.invalid_value", ip,
                        "a class is a lower-case name: a letter, then letters, digits and '_'");
        /* A repeat is a mistake in the caller's data, and a silent one if it were accepted. */
        for (j = 0; j < i; j++)
            if (!strcmp(list[j], list[i]))
                return fail(pb, p, "tensor.invalid_value", ip, "the same item is given twice");
    }
    *out = list;
    *n = i;
    return MEZ_OK;
}

/* classes: 2 when taxpayer_classes is required (a tax assessment's taxpayer), 1 when it may be given (the subject
 * of a payment or a transfer: the classes of person an AML threshold's applies_to binds), 0 when it is refused;
 * capital: 1 when the party may state its capital (a licence applicant), 0 when it is refused. */
static mez_status_t parse_party(apr_pool_t *p, const json_t *obj, const char *pointer, int classes, int capital,
                                mez_tensor_party_t *party, mez_problem_t *pb)
{
    static const char *const members[] = { "id", "name", "entity_class", "filer_status", "taxpayer_classes",
                                           "capital", NULL };
    const json_t *cap;
    const char *s;
    mez_status_t rv;

    memset(party, 0, sizeof(*party));
    if ((rv = mez_json_only_members(p, obj, pointer, members, "tensor.unknown_field", pb)) != MEZ_OK
        || (rv = string_member(p, obj, pointer, "id", 1, &party->id, pb)) != MEZ_OK
        || (rv = string_member(p, obj, pointer, "name", 1, &party->name, pb)) != MEZ_OK)
        return rv;
    if (mez_tensor_name_too_long(party->name))
        return fail(pb, p, "tensor.name_too_long", mez_pointer_join(p, pointer, "name"),
                    apr_psprintf(p, "a name is screened, and is at most %d characters", MEZ_TENSOR_NAME_MAX));
    /* Which tax rows apply to a taxpayer, and which thresholds bind the subject of an action with an amount
     * (applies_to), turn on the classes it declares; elsewhere they would be ignored, and a member that is ignored
     * must not be accepted. */
    if (!classes && json_object_get(obj, "taxpayer_classes"))
        return fail(pb, p, "tensor.unknown_field", mez_pointer_join(p, pointer, "taxpayer_classes"),
                    "taxpayer_classes is declared by the subject of a tax_assessment, a payment or a "
                    "cross_border_transfer only");
    if (classes == 2 && !json_object_get(obj, "taxpayer_classes"))
        return fail(pb, p, "tensor.missing_field", mez_pointer_join(p, pointer, "taxpayer_classes"),
                    "a tax_assessment needs the classes of taxpayer the subject declares it belongs to "
                    "(taxable_person, qualifying_free_zone_person, ...): the rows that apply depend on them");
    if ((rv = string_list(p, obj, pointer, "taxpayer_classes", 1, &party->taxpayer_classes,
                          &party->n_taxpayer_classes, pb)) != MEZ_OK)
        return rv;
    /* Only a licence's minimum capital is compared with it; anywhere else it would be ignored, so refused. */
    if (!capital && json_object_get(obj, "capital"))
        return fail(pb, p, "tensor.unknown_field", mez_pointer_join(p, pointer, "capital"),
                    "capital is stated by the subject of a licence_application only");
    if ((rv = object_member(p, obj, pointer, "capital", 0, &cap, pb)) != MEZ_OK)
        return rv;
    if (cap) {
        if ((rv = parse_money(p, cap, mez_pointer_join(p, pointer, "capital"), NULL, &party->capital, pb)) != MEZ_OK)
            return rv;
        party->has_capital = 1;
    }
    if ((rv = string_member(p, obj, pointer, "entity_class", 0, &s, pb)) != MEZ_OK)
        return rv;
    if (s) {
        if (!strcmp(s, "company"))
            party->entity_class = MEZ_ENTITY_CLASS_COMPANY;
        else if (!strcmp(s, "individual"))
            party->entity_class = MEZ_ENTITY_CLASS_INDIVIDUAL;
        else if (!strcmp(s, "aop"))
            party->entity_class = MEZ_ENTITY_CLASS_AOP;
        else
            return fail(pb, p, "tensor.invalid_value", mez_pointer_join(p, pointer, "entity_class"),
                        "entity_class is company, individual or aop (association of persons)");
    }
    if ((rv = string_member(p, obj, pointer, "filer_status", 0, &s, pb)) != MEZ_OK)
        return rv;
    if (s) {
        if (!strcmp(s, "filer"))
            party->filer_status = MEZ_FILER_STATUS_FILER;
        else if (!strcmp(s, "non_filer"))
            party->filer_status = MEZ_FILER_STATUS_NON_FILER;
        else
            return fail(pb, p, "tensor.invalid_value", mez_pointer_join(p, pointer, "filer_status"),
                        "filer_status is filer or non_filer (the payee's Active Taxpayers List status)");
    }
    return MEZ_OK;
}

static mez_status_t parse_evidence(apr_pool_t *p, const json_t *obj, const char *pointer, mez_tensor_action_t *a,
                                   mez_problem_t *pb)
{
    static const char *const ev_members[] = { "state", "attestations", NULL };
    static const char *const att_members[] = { "id", "issuer", "issued_at", "expires_at", "obligations", NULL };
    const char *key;
    json_t *ev;
    mez_status_t rv;

    json_object_foreach((json_t *)obj, key, ev) {
        const char *at = mez_pointer_join(p, pointer, key), *s;
        const json_t *atts;
        mez_tensor_evidence_t *e;
        mez_tensor_attestation_t *list;
        mez_domain_t d;
        size_t i;

        if ((rv = mez_domain_parse(p, key, at, &d, pb)) != MEZ_OK)
            return rv;
        if (!json_is_object(ev))
            return fail(pb, p, "tensor.invalid_field", at, "evidence for a domain is an object");
        if ((rv = mez_json_only_members(p, ev, at, ev_members, "tensor.unknown_field", pb)) != MEZ_OK)
            return rv;
        e = &a->evidence[d];
        e->given = 1;
        if ((rv = string_member(p, ev, at, "state", 0, &s, pb)) != MEZ_OK)
            return rv;
        if (s) {
            if ((rv = mez_state_parse(p, s, mez_pointer_join(p, at, "state"), &e->state, pb)) != MEZ_OK)
                return rv;
            e->has_state = 1;
        }
        atts = json_object_get(ev, "attestations");
        if (!atts)
            continue;
        if (!json_is_array(atts))
            return fail(pb, p, "tensor.invalid_field", mez_pointer_join(p, at, "attestations"),
                        "attestations are an array of objects");
        list = apr_pcalloc(p, (json_array_size(atts) + 1) * sizeof(*list));
        for (i = 0; i < json_array_size(atts); i++) {
            const json_t *att = json_array_get(atts, i);
            const char *ap = mez_pointer_index(p, mez_pointer_join(p, at, "attestations"), i);
            if (!json_is_object(att))
                return fail(pb, p, "tensor.invalid_field", ap, "an attestation is an object");
            if ((rv = mez_json_only_members(p, att, ap, att_members, "tensor.unknown_field", pb)) != MEZ_OK
                || (rv = string_member(p, att, ap, "id", 1, &list[i].id, pb)) != MEZ_OK
                || (rv = string_member(p, att, ap, "issuer", 1, &list[i].issuer, pb)) != MEZ_OK
                || (rv = string_member(p, att, ap, "issued_at", 0, &list[i].issued_at, pb)) != MEZ_OK
                || (rv = string_member(p, att, ap, "expires_at", 0, &list[i].expires_at, pb)) != MEZ_OK
                || (rv = string_list(p, att, ap, "obligations", 0, &list[i].obligations, &list[i].n_obligations,
                                     pb)) != MEZ_OK)
                return rv;
        }
        e->attestations = list;
        e->n_attestations = i;
    }
    return MEZ_OK;
}

/* Which optional action members each type takes: a member that means nothing for the type is refused,
 * because a caller who sends it believes it matters. */
typedef struct {
    int payment_type;     /* 0 refused, 1 optional, 2 required */
    int amount;
    int licence_type;
    int destination;
    int income;           /* income, and with it tax and tax_period (optional) */
    int figures;          /* figures a threshold is measured on: an entity's revenue (threshold.measure), what a
                           * payer already paid the payee in the tax year (a withholding threshold's aggregate) */
} action_shape_t;

static action_shape_t shape_of(mez_action_type_t t)
{
    action_shape_t s = { 0, 0, 0, 0, 0, 0 };
    switch (t) {
    case MEZ_ACTION_PAYMENT:
        s.payment_type = 2;
        s.amount = 2;
        s.figures = 1;
        break;
    case MEZ_ACTION_CROSS_BORDER_TRANSFER:
        s.payment_type = 1;
        s.amount = 2;
        s.destination = 1;
        s.figures = 1;
        break;
    case MEZ_ACTION_LICENCE_APPLICATION:
        s.licence_type = 1;
        break;
    case MEZ_ACTION_ENTITY_FORMATION:
        break;
    case MEZ_ACTION_TAX_ASSESSMENT:
        s.income = 2;
        s.figures = 1;
        break;
    }
    return s;
}

static mez_status_t check_shape(apr_pool_t *p, const json_t *action, const char *name, int rule,
                                mez_action_type_t t, mez_problem_t *pb)
{
    if (rule == 0 && json_object_get(action, name))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_field", mez_pointer_join(p, "/action", name),
                           "%s does not apply to %s actions", name, mez_action_type_name(t));
    if (rule == 2 && !json_object_get(action, name))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.missing_field", mez_pointer_join(p, "/action", name),
                           "%s actions need %s", mez_action_type_name(t), name);
    return MEZ_OK;
}

static mez_status_t parse_tax_period(apr_pool_t *p, const json_t *action, mez_tensor_action_t *a, mez_problem_t *pb)
{
    static const char *const members[] = { "start", "end", NULL };
    const json_t *period;
    mez_status_t rv;

    if ((rv = object_member(p, action, "/action", "tax_period", 0, &period, pb)) != MEZ_OK || !period)
        return rv;
    if ((rv = mez_json_only_members(p, period, "/action/tax_period", members, "tensor.unknown_field", pb)) != MEZ_OK
        || (rv = string_member(p, period, "/action/tax_period", "start", 1, &a->period_start, pb)) != MEZ_OK
        || (rv = string_member(p, period, "/action/tax_period", "end", 1, &a->period_end, pb)) != MEZ_OK)
        return rv;
    if (mez_tensor_date_parse(a->period_start, &a->period_from))
        return fail(pb, p, "tensor.invalid_date", "/action/tax_period/start", "the start is a date YYYY-MM-DD");
    if (mez_tensor_date_parse(a->period_end, &a->period_to))
        return fail(pb, p, "tensor.invalid_date", "/action/tax_period/end", "the end is a date YYYY-MM-DD");
    if (a->period_to < a->period_from)
        return fail(pb, p, "tensor.invalid_value", "/action/tax_period/end", "the tax period ends before it starts");
    return MEZ_OK;
}

/* income: [{income_class, amount, currency}], each class once. */
static mez_status_t parse_income(apr_pool_t *p, const json_t *action, mez_tensor_action_t *a, mez_problem_t *pb)
{
    static const char *const income_extra[] = { "income_class", NULL };
    const json_t *income = json_object_get(action, "income"), *v;
    mez_tensor_money_t *items;
    size_t i, j;
    mez_status_t rv;

    if (!json_is_array(income) || json_array_size(income) == 0)
        return fail(pb, p, "tensor.invalid_field", "/action/income",
                    "income is a non-empty array of {income_class, amount, currency}");
    items = apr_pcalloc(p, json_array_size(income) * sizeof(*items));
    json_array_foreach(income, i, v) {
        const char *at = mez_pointer_index(p, "/action/income", i);
        if (!json_is_object(v))
            return fail(pb, p, "tensor.invalid_field", at, "an income item is {income_class, amount, currency}");
        if ((rv = parse_money(p, v, at, income_extra, &items[i], pb)) != MEZ_OK
            || (rv = slug_member(p, v, at, "income_class", 1, &items[i].name, pb)) != MEZ_OK)
            return rv;
        for (j = 0; j < i; j++)
            if (!strcmp(items[j].name, items[i].name))
                return fail(pb, p, "tensor.invalid_value", mez_pointer_join(p, at, "income_class"),
                            "each income class is given once: add the amounts up");
    }
    a->income = items;
    a->n_income = i;
    return MEZ_OK;
}

/* figures: {name: {amount, currency}}, no name that is also an income class (a threshold's measure must name one
 * figure, not two). */
static mez_status_t parse_figures(apr_pool_t *p, const json_t *action, mez_tensor_action_t *a, mez_problem_t *pb)
{
    const json_t *figures, *v;
    mez_tensor_money_t *items;
    const char *key;
    size_t i, j;
    mez_status_t rv;

    if ((rv = object_member(p, action, "/action", "figures", 0, &figures, pb)) != MEZ_OK || !figures)
        return rv;
    items = apr_pcalloc(p, (json_object_size(figures) + 1) * sizeof(*items));
    i = 0;
    json_object_foreach((json_t *)figures, key, v) {
        const char *at = mez_pointer_join(p, "/action/figures", key);
        if (!mez_pack_slug_ok(key))
            return fail(pb, p, "tensor.invalid_value", at,
                        "a figure is named by a lower-case name (revenue, total_revenue)");
        if (!json_is_object(v))
            return fail(pb, p, "tensor.invalid_field", at, "a figure is {amount, currency}");
        for (j = 0; j < a->n_income; j++)
            if (!strcmp(a->income[j].name, key))
                return fail(pb, p, "tensor.invalid_value", at, "this figure is already an income class");
        if ((rv = parse_money(p, v, at, NULL, &items[i], pb)) != MEZ_OK)
            return rv;
        items[i++].name = key;
    }
    a->figures = items;
    a->n_figures = i;
    return MEZ_OK;
}

static mez_status_t parse_action(apr_pool_t *p, const json_t *action, mez_tensor_action_t *a, mez_problem_t *pb)
{
    static const char *const members[] = { "type", "date", "jurisdiction", "payment_type", "withholding_rule",
                                           "amount", "amount_basis", "licence_type", "destination_jurisdiction",
                                           "income", "tax", "tax_period", "figures", "reference", NULL };
    const char *type;
    const json_t *amount;
    action_shape_t shape;
    mez_status_t rv;

    if ((rv = mez_json_only_members(p, action, "/action", members, "tensor.unknown_field", pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "type", 1, &type, pb)) != MEZ_OK
        || (rv = mez_action_type_parse(p, type, "/action/type", &a->type, pb)) != MEZ_OK)
        return rv;
    shape = shape_of(a->type);
    if ((rv = check_shape(p, action, "payment_type", shape.payment_type, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "withholding_rule", shape.payment_type ? 1 : 0, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "amount", shape.amount, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "amount_basis", shape.amount ? 1 : 0, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "income", shape.income, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "tax", shape.income ? 1 : 0, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "tax_period", shape.income ? 1 : 0, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "figures", shape.figures, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "licence_type", shape.licence_type, a->type, pb)) != MEZ_OK
        || (rv = check_shape(p, action, "destination_jurisdiction", shape.destination, a->type, pb)) != MEZ_OK)
        return rv;

    if ((rv = string_member(p, action, "/action", "date", 1, &a->date, pb)) != MEZ_OK)
        return rv;
    if (mez_tensor_date_parse(a->date, &a->day))
        return fail(pb, p, "tensor.invalid_date", "/action/date", "the date is a calendar date YYYY-MM-DD");
    a->period_from = a->period_to = a->day;
    if ((rv = string_member(p, action, "/action", "jurisdiction", 1, &a->jurisdiction, pb)) != MEZ_OK
        || (rv = mez_tensor_check_jurisdiction_id(p, a->jurisdiction, "/action/jurisdiction", pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "payment_type", 0, &a->payment_type, pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "withholding_rule", 0, &a->withholding_rule, pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "licence_type", 0, &a->licence_type, pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "destination_jurisdiction", 0, &a->destination_jurisdiction,
                               pb)) != MEZ_OK
        || (rv = string_member(p, action, "/action", "reference", 0, &a->reference, pb)) != MEZ_OK)
        return rv;
    if (a->destination_jurisdiction
        && (rv = mez_tensor_check_jurisdiction_id(p, a->destination_jurisdiction, "/action/destination_jurisdiction",
                                                  pb)) != MEZ_OK)
        return rv;
    if (a->withholding_rule && !a->payment_type)
        return fail(pb, p, "tensor.missing_field", "/action/payment_type",
                    "withholding_rule names a row for a payment_type, which is missing");
    if ((rv = object_member(p, action, "/action", "amount", 0, &amount, pb)) != MEZ_OK)
        return rv;
    if (amount && (rv = parse_amount(p, amount, "/action/amount", a, pb)) != MEZ_OK)
        return rv;
    if ((rv = slug_member(p, action, "/action", "amount_basis", 0, &a->amount_basis, pb)) != MEZ_OK)
        return rv;
    if (!shape.income)
        return shape.figures ? parse_figures(p, action, a, pb) : MEZ_OK;
    if ((rv = string_member(p, action, "/action", "tax", 0, &a->tax, pb)) != MEZ_OK)
        return rv;
    if (!a->tax)
        a->tax = "cit";   /* a tax assessment is of income tax unless it says otherwise */
    else if (strcmp(a->tax, "cit") && strcmp(a->tax, "vat"))
        return fail(pb, p, "tensor.invalid_value", "/action/tax", "tax is cit (corporate income tax) or vat");
    if ((rv = parse_tax_period(p, action, a, pb)) != MEZ_OK || (rv = parse_income(p, action, a, pb)) != MEZ_OK
        || (rv = parse_figures(p, action, a, pb)) != MEZ_OK)
        return rv;
    return MEZ_OK;
}

mez_status_t mez_tensor_action_parse(apr_pool_t *p, const json_t *doc, mez_tensor_action_t *out,
                                     mez_problem_t *pb)
{
    static const char *const members[] = { "action", "subject", "counterparty", "evidence", NULL };
    const json_t *action, *subject, *counterparty, *evidence;
    mez_status_t rv;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(doc))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "tensor.invalid_document", "",
                           "an action document is a JSON object with action, subject, counterparty and evidence");
    if ((rv = mez_json_only_members(p, doc, "", members, "tensor.unknown_field", pb)) != MEZ_OK
        || (rv = object_member(p, doc, "", "action", 1, &action, pb)) != MEZ_OK
        || (rv = parse_action(p, action, out, pb)) != MEZ_OK
        || (rv = object_member(p, doc, "", "subject", 1, &subject, pb)) != MEZ_OK
        || (rv = parse_party(p, subject, "/subject", out->type == MEZ_ACTION_TAX_ASSESSMENT ? 2
                                                     : out->type == MEZ_ACTION_PAYMENT
                                                       || out->type == MEZ_ACTION_CROSS_BORDER_TRANSFER ? 1 : 0,
                             out->type == MEZ_ACTION_LICENCE_APPLICATION, &out->subject, pb)) != MEZ_OK
        || (rv = object_member(p, doc, "", "counterparty", 0, &counterparty, pb)) != MEZ_OK
        || (rv = object_member(p, doc, "", "evidence", 0, &evidence, pb)) != MEZ_OK)
        return rv;
    if (counterparty) {
        if ((rv = parse_party(p, counterparty, "/counterparty", 0, 0, &out->counterparty, pb)) != MEZ_OK)
            return rv;
        out->has_counterparty = 1;
    }
    if (evidence && (rv = parse_evidence(p, evidence, "/evidence", out, pb)) != MEZ_OK)
        return rv;
    return MEZ_OK;
}
