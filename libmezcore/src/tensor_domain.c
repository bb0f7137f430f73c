/* tensor_domain.c: the compliance domains, action types and the five states with their lattice.
 * Each domain is one row of one const table; the tests hold the order and spelling to the reference's. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <string.h>
#include "mez/tensor.h"

#define ACT(t) (1u << (unsigned)(t))
/* The actions that move money or set up who may: a tax assessment only states what is owed on income. */
#define TRANSACTIONS (ACT(MEZ_ACTION_PAYMENT) | ACT(MEZ_ACTION_ENTITY_FORMATION) \
                      | ACT(MEZ_ACTION_LICENCE_APPLICATION) | ACT(MEZ_ACTION_CROSS_BORDER_TRANSFER))

typedef struct {
    const char *name;
    int original;             /* one of the reference's first eight (ported from phoenix tensor.py) */
    unsigned actions;         /* action types evaluated in this domain unless the zone chooses otherwise */
} domain_row_t;

/* Default applicability is deliberately narrow: every applicable domain without a rule or evidence is
 * pending, so listing a domain here means "an action of this type cannot pass without it". Money always
 * needs aml, kyc and sanctions; tax only where a withholding regime can apply to the action itself, or the action
 * is the assessment of a tax (whose taxpayer is still screened: sanctions is evaluated for every action).
 * A zone widens or narrows this through mez_tensor_eval_options_t (its profile's domains). */
/* Designated initialisers tie each row to its enum value, so the table cannot drift out of order. */
static const domain_row_t domains[MEZ_DOMAIN_COUNT] = {
    [MEZ_DOMAIN_AML] = { "aml", 1, TRANSACTIONS },
    [MEZ_DOMAIN_KYC] = { "kyc", 1, TRANSACTIONS },
    [MEZ_DOMAIN_SANCTIONS] = { "sanctions", 1, TRANSACTIONS | ACT(MEZ_ACTION_TAX_ASSESSMENT) },
    [MEZ_DOMAIN_TAX] = { "tax", 1, ACT(MEZ_ACTION_PAYMENT) | ACT(MEZ_ACTION_CROSS_BORDER_TRANSFER)
                                   | ACT(MEZ_ACTION_TAX_ASSESSMENT) },
    [MEZ_DOMAIN_SECURITIES] = { "securities", 1, 0 },
    [MEZ_DOMAIN_CORPORATE] = { "corporate", 1, ACT(MEZ_ACTION_ENTITY_FORMATION) | ACT(MEZ_ACTION_LICENCE_APPLICATION) },
    [MEZ_DOMAIN_CUSTODY] = { "custody", 1, 0 },
    [MEZ_DOMAIN_DATA_PRIVACY] = { "data_privacy", 1, 0 },
    [MEZ_DOMAIN_LICENSING] = { "licensing", 0, ACT(MEZ_ACTION_LICENCE_APPLICATION) },
    [MEZ_DOMAIN_BANKING] = { "banking", 0, 0 },
    [MEZ_DOMAIN_PAYMENTS] = { "payments", 0, 0 },
    [MEZ_DOMAIN_CLEARING] = { "clearing", 0, 0 },
    [MEZ_DOMAIN_SETTLEMENT] = { "settlement", 0, 0 },
    [MEZ_DOMAIN_DIGITAL_ASSETS] = { "digital_assets", 0, 0 },
    [MEZ_DOMAIN_EMPLOYMENT] = { "employment", 0, 0 },
    [MEZ_DOMAIN_IMMIGRATION] = { "immigration", 0, 0 },
    [MEZ_DOMAIN_IP] = { "ip", 0, 0 },
    [MEZ_DOMAIN_CONSUMER_PROTECTION] = { "consumer_protection", 0, 0 },
    [MEZ_DOMAIN_ARBITRATION] = { "arbitration", 0, 0 },
    [MEZ_DOMAIN_TRADE] = { "trade", 0, 0 },
};

_Static_assert(sizeof(domains) / sizeof(domains[0]) == MEZ_DOMAIN_COUNT, "one table row per domain");
_Static_assert(MEZ_DOMAIN_TRADE + 1 == MEZ_DOMAIN_COUNT, "MEZ_DOMAIN_COUNT follows the enum");
_Static_assert(MEZ_DOMAIN_COUNT <= 32, "domain sets are 32-bit masks");
_Static_assert(MEZ_STATE_COMPLIANT + 1 == MEZ_STATE_COUNT, "MEZ_STATE_COUNT follows the enum");
_Static_assert(MEZ_ACTION_TAX_ASSESSMENT + 1 == MEZ_ACTION_TYPE_COUNT, "action count follows the enum");

const char *mez_domain_name(mez_domain_t d)
{
    return (unsigned)d < MEZ_DOMAIN_COUNT ? domains[d].name : NULL;
}

mez_status_t mez_domain_parse(apr_pool_t *p, const char *name, const char *pointer, mez_domain_t *out,
                              mez_problem_t *pb)
{
    /* Twenty short names: a linear scan beats hashing, and this runs on input, not per rule. */
    for (unsigned i = 0; name && i < MEZ_DOMAIN_COUNT; i++) {
        if (!strcmp(name, domains[i].name)) {
            *out = (mez_domain_t)i;
            return MEZ_OK;
        }
    }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_domain", pointer,
                       "'%s' is not a compliance domain (aml, kyc, sanctions, tax, securities, corporate, custody, "
                       "data_privacy, licensing, banking, payments, clearing, settlement, digital_assets, "
                       "employment, immigration, ip, consumer_protection, arbitration, trade; case-sensitive)",
                       name ? name : "");
}

int mez_domain_is_original(mez_domain_t d)
{
    return (unsigned)d < MEZ_DOMAIN_COUNT && domains[d].original;
}

uint32_t mez_action_default_domains(mez_action_type_t t)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < MEZ_DOMAIN_COUNT; i++)
        if (domains[i].actions & ACT(t))
            mask |= MEZ_DOMAIN_BIT(i);
    return mask;
}

const char *mez_action_type_name(mez_action_type_t t)
{
    switch (t) {
    case MEZ_ACTION_PAYMENT: return "payment";
    case MEZ_ACTION_ENTITY_FORMATION: return "entity_formation";
    case MEZ_ACTION_LICENCE_APPLICATION: return "licence_application";
    case MEZ_ACTION_CROSS_BORDER_TRANSFER: return "cross_border_transfer";
    case MEZ_ACTION_TAX_ASSESSMENT: return "tax_assessment";
    }
    return NULL;
}

mez_status_t mez_action_type_parse(apr_pool_t *p, const char *name, const char *pointer, mez_action_type_t *out,
                                   mez_problem_t *pb)
{
    for (unsigned t = 0; name && t < MEZ_ACTION_TYPE_COUNT; t++) {
        if (!strcmp(name, mez_action_type_name((mez_action_type_t)t))) {
            *out = (mez_action_type_t)t;
            return MEZ_OK;
        }
    }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_action_type", pointer,
                       "'%s' is not an action type (payment, entity_formation, licence_application, "
                       "cross_border_transfer, tax_assessment)", name ? name : "");
}

const char *mez_entity_class_name(mez_entity_class_t c)
{
    switch (c) {
    case MEZ_ENTITY_CLASS_UNSTATED: return NULL;
    case MEZ_ENTITY_CLASS_COMPANY: return "company";
    case MEZ_ENTITY_CLASS_INDIVIDUAL: return "individual";
    case MEZ_ENTITY_CLASS_AOP: return "aop";
    }
    return NULL;
}

const char *mez_filer_status_name(mez_filer_status_t s)
{
    switch (s) {
    case MEZ_FILER_STATUS_UNSTATED: return NULL;
    case MEZ_FILER_STATUS_FILER: return "filer";
    case MEZ_FILER_STATUS_NON_FILER: return "non_filer";
    }
    return NULL;
}

const char *mez_state_name(mez_state_t s)
{
    switch (s) {
    case MEZ_STATE_NON_COMPLIANT: return "non_compliant";
    case MEZ_STATE_PENDING: return "pending";
    case MEZ_STATE_NOT_APPLICABLE: return "not_applicable";
    case MEZ_STATE_EXEMPT: return "exempt";
    case MEZ_STATE_COMPLIANT: return "compliant";
    }
    return NULL;
}

mez_status_t mez_state_parse(apr_pool_t *p, const char *name, const char *pointer, mez_state_t *out,
                             mez_problem_t *pb)
{
    for (unsigned s = 0; name && s < MEZ_STATE_COUNT; s++) {
        if (!strcmp(name, mez_state_name((mez_state_t)s))) {
            *out = (mez_state_t)s;
            return MEZ_OK;
        }
    }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_state", pointer,
                       "'%s' is not a compliance state (non_compliant, pending, not_applicable, exempt, compliant)",
                       name ? name : "");
}

mez_state_t mez_state_meet(mez_state_t a, mez_state_t b)
{
    return a <= b ? a : b;
}

mez_state_t mez_state_join(mez_state_t a, mez_state_t b)
{
    return a >= b ? a : b;
}

mez_state_t mez_state_meet_all(const mez_state_t *s, size_t n)
{
    mez_state_t m = MEZ_STATE_COMPLIANT;
    if (n == 0)
        return MEZ_STATE_PENDING;   /* the reference's P0-TENSOR-001: an empty fold must not read as compliant */
    for (size_t i = 0; i < n; i++)
        m = mez_state_meet(m, s[i]);
    return m;
}

int mez_state_is_passing(mez_state_t s)
{
    switch (s) {
    case MEZ_STATE_NOT_APPLICABLE:
    case MEZ_STATE_EXEMPT:
    case MEZ_STATE_COMPLIANT:
        return 1;
    case MEZ_STATE_NON_COMPLIANT:
    case MEZ_STATE_PENDING:
        return 0;
    }
    return 0;
}

int mez_state_is_terminal(mez_state_t s)
{
    switch (s) {
    case MEZ_STATE_NON_COMPLIANT:
    case MEZ_STATE_EXEMPT:
    case MEZ_STATE_COMPLIANT:
        return 1;
    case MEZ_STATE_PENDING:
    case MEZ_STATE_NOT_APPLICABLE:
        return 0;
    }
    return 0;
}

int mez_state_all_passing(const mez_state_t *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!mez_state_is_passing(s[i]))
            return 0;
    return 1;
}
