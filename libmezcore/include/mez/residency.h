/* mez/residency.h: data sovereignty: where each category of a zone's data may go.
 *
 * A zone declares, per category, the jurisdictions its data may be sent to (MezDataResidency in httpd's
 * configuration); a remote Mass endpoint declares where it is (MezMassEndpointJurisdiction). Before any call to a
 * remote endpoint, every category the primitive's records carry is checked against the declaration: a call that
 * would send a category elsewhere is refused before it is made (403 "data.residency_violation", naming the
 * category, the destination and the jurisdictions allowed) and the refusal is audited.
 *
 * A category without a declaration is unrestricted. A jurisdiction allows its sub-jurisdictions: "pk" allows
 * "pk-sifc" (ids are hyphen-separated paths, as the tensor's jurisdiction tree spells them). An endpoint of
 * unknown location satisfies no declared category. */
#ifndef MEZ_RESIDENCY_H
#define MEZ_RESIDENCY_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "mez/mass.h"
#include "mez/problem.h"

typedef enum {
    MEZ_DATA_PERSONAL = 0,   /* "personal": natural persons: names, national identifiers, verification evidence */
    MEZ_DATA_FINANCIAL,      /* "financial": accounts, balances, payments, prices */
    MEZ_DATA_CORPORATE,      /* "corporate": organisations, their officers' roles, cap tables, resolutions */
    MEZ_DATA_CATEGORY_COUNT
} mez_data_category_t;

#define MEZ_DATA_BIT(c) (1u << (c))

const char *mez_data_category_name(mez_data_category_t c);
/* 400 "data.unknown_category" for any other name. */
mez_status_t mez_data_category_parse(apr_pool_t *p, const char *name, mez_data_category_t *out, mez_problem_t *pb);

/* The categories a primitive's records carry: entities corporate + personal (officers, owners), identity
 * personal, fiscal financial, ownership corporate + financial + personal (holders are often people), consent
 * corporate + personal (signatories). */
uint32_t mez_mass_primitive_categories(mez_mass_primitive_t prim);

/* Per category, the jurisdictions (const char *) its data may go to; NULL: unrestricted. */
typedef struct mez_residency_t {
    apr_array_header_t *allowed[MEZ_DATA_CATEGORY_COUNT];
} mez_residency_t;

/* 1 when jurisdiction is allowed itself or lies under it ("pk" allows "pk" and "pk-sifc", not "pkx"). */
int mez_residency_covers(const char *allowed, const char *jurisdiction);

/* MEZ_OK when a call to a primitive served from destination (NULL: not declared) may be made; otherwise 403
 * "data.residency_violation" naming the first category refused. *category (may be NULL) receives it. */
mez_status_t mez_residency_check(apr_pool_t *p, const mez_residency_t *policy, mez_mass_primitive_t prim,
                                 const char *destination, mez_data_category_t *category, mez_problem_t *pb);

#endif
