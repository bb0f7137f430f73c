/* mez/bank_ids.h: the bank identifiers a treasury's bank details carry, checked as their standards define them:
 * the IBAN (ISO 13616-1: country, check digits by ISO 7064 MOD 97-10, and the length its country's scheme gives
 * it) and the BIC (ISO 9362). A typo in either would only be found when a settlement bounces; checked here it is a
 * 422 naming what is wrong. Portable: no database, no pool beyond the problem's text. */
#ifndef MEZ_BANK_IDS_H
#define MEZ_BANK_IDS_H

#include <apr_pools.h>
#include <jansson.h>
#include "mez/problem.h"

/* The IBAN scheme of a country: its length, and whether the SWIFT IBAN Registry lists it (0: a national scheme
 * outside the registry). NULL for a country with no IBAN scheme known here. */
typedef struct mez_iban_country_t {
    const char *code;      /* ISO 3166-1 alpha-2 */
    int length;            /* the whole IBAN, electronic format */
    int in_registry;
} mez_iban_country_t;
const mez_iban_country_t *mez_iban_country(const char *code);

/* Checks an IBAN in electronic format ("PK36SCBL0000001123456702") or print format (groups of four separated by
 * one space), letters of either case. MEZ_OK, or MEZ_EINVAL with *why (in p) saying what is wrong: the characters,
 * the country, the length its scheme gives, or the check digits. */
mez_status_t mez_iban_check(apr_pool_t *p, const char *iban, const char **why);
/* A bank identifier (an IBAN, a BIC, a bank code) in electronic format: the spaces of the print format taken out
 * (only between groups of four), letters upper-cased; NULL when the text is neither format. One identifier written
 * either way is then one string, as the treasury compares payees (mez_mass_payee_ref). */
char *mez_bank_id_electronic(apr_pool_t *p, const char *s);

/* Checks a BIC (ISO 9362): 8 or 11 characters, a 4-character party prefix (letters or digits), a 2-letter country,
 * a 2-character location and an optional 3-character branch (letters or digits), either case. MEZ_OK, or
 * MEZ_EINVAL with *why. */
mez_status_t mez_bic_check(apr_pool_t *p, const char *bic, const char **why);

/* The identifiers of a bank_details object (the Mass treasury contract leaves its members open and defines iban,
 * swift_bic): a present iban must be a string and an IBAN (422 "fiscal.invalid_iban"), swift_bic a BIC (422
 * "fiscal.invalid_bic"), else 422 "request.invalid_type"; pointers under base. bank may be NULL (nothing to check).
 * The zone's pipeline checks them before it evaluates anything (a central Mass may not), the sovereign treasury
 * again when it stores them: the same answer either way. */
mez_status_t mez_bank_details_check(apr_pool_t *p, const json_t *bank, const char *base, mez_problem_t *pb);

#endif
