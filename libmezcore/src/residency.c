/* residency.c: data sovereignty rules (see mez/residency.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/residency.h"

static const char *const names[MEZ_DATA_CATEGORY_COUNT] = {
    [MEZ_DATA_PERSONAL] = "personal", [MEZ_DATA_FINANCIAL] = "financial", [MEZ_DATA_CORPORATE] = "corporate",
};

const char *mez_data_category_name(mez_data_category_t c)
{
    return (unsigned)c < MEZ_DATA_CATEGORY_COUNT ? names[c] : "unknown";
}

mez_status_t mez_data_category_parse(apr_pool_t *p, const char *name, mez_data_category_t *out, mez_problem_t *pb)
{
    for (int i = 0; i < MEZ_DATA_CATEGORY_COUNT; i++)
        if (name && !strcmp(name, names[i])) {
            *out = (mez_data_category_t)i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 400, "data.unknown_category", NULL,
                       "'%s' is not a data category (personal, financial, corporate)", name ? name : "");
}

uint32_t mez_mass_primitive_categories(mez_mass_primitive_t prim)
{
    switch (prim) {
    case MEZ_MASS_ENTITIES:
        return MEZ_DATA_BIT(MEZ_DATA_CORPORATE) | MEZ_DATA_BIT(MEZ_DATA_PERSONAL);
    case MEZ_MASS_IDENTITY:
        return MEZ_DATA_BIT(MEZ_DATA_PERSONAL);
    case MEZ_MASS_FISCAL:
        return MEZ_DATA_BIT(MEZ_DATA_FINANCIAL);
    case MEZ_MASS_OWNERSHIP:
        return MEZ_DATA_BIT(MEZ_DATA_CORPORATE) | MEZ_DATA_BIT(MEZ_DATA_FINANCIAL) | MEZ_DATA_BIT(MEZ_DATA_PERSONAL);
    case MEZ_MASS_CONSENT:
        return MEZ_DATA_BIT(MEZ_DATA_CORPORATE) | MEZ_DATA_BIT(MEZ_DATA_PERSONAL);
    case MEZ_MASS_PRIMITIVE_COUNT:
        break;
    }
    /* Unknown: treat as carrying everything, so no rule can be sidestepped by a new primitive. */
    return MEZ_DATA_BIT(MEZ_DATA_CATEGORY_COUNT) - 1;
}

int mez_residency_covers(const char *allowed, const char *jurisdiction)
{
    size_t n = strlen(allowed);
    return jurisdiction && !strncmp(allowed, jurisdiction, n) && (jurisdiction[n] == '\0' || jurisdiction[n] == '-');
}

mez_status_t mez_residency_check(apr_pool_t *p, const mez_residency_t *policy, mez_mass_primitive_t prim,
                                 const char *destination, mez_data_category_t *category, mez_problem_t *pb)
{
    uint32_t carried = mez_mass_primitive_categories(prim);
    if (!policy)
        return MEZ_OK;
    for (int c = 0; c < MEZ_DATA_CATEGORY_COUNT; c++) {
        const apr_array_header_t *a = policy->allowed[c];
        const char *list = "";
        int ok = 0;
        if (!(carried & MEZ_DATA_BIT(c)) || !a)
            continue;
        for (int i = 0; i < a->nelts && !ok; i++) {
            const char *j = APR_ARRAY_IDX(a, i, const char *);
            ok = mez_residency_covers(j, destination);
            list = *list ? apr_pstrcat(p, list, ", ", j, NULL) : j;
        }
        if (ok)
            continue;
        if (category)
            *category = (mez_data_category_t)c;
        return mez_problem(pb, p, MEZ_EINVAL, 403, "data.residency_violation", NULL,
                           "the %s primitive carries %s data, which this zone keeps in %s; its Mass endpoint is %s%s",
                           mez_mass_primitive_name(prim), names[c], list, destination ? "in " : "of undeclared location",
                           destination ? destination : " (MezMassEndpointJurisdiction)");
    }
    return MEZ_OK;
}
