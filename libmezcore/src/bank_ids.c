/* bank_ids.c: IBAN (ISO 13616-1, ISO 7064 MOD 97-10) and BIC (ISO 9362) checks, and the IBAN length of each
 * country's scheme.
 *
 * The table: country code, IBAN length, and whether the SWIFT IBAN Registry lists the country. Source: the SWIFT
 * IBAN Registry (https://www.swift.com/standards/data-standards/iban-international-bank-account-number), as
 * transcribed in ibantools' country table (github.com/Simplify/ibantools, src/ibantools.ts, April 2026): its 97
 * registry entries, which include the territories the registry files under France, Finland and the United Kingdom,
 * and its 27 national schemes outside the registry (0 in the last column); the lengths of the registry countries
 * checked against IbanNet's list (github.com/skwasjer/IbanNet, SupportedCountries.md) where both have them. A
 * country that changes its scheme changes this table, nothing else. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "mez/bank_ids.h"

static const mez_iban_country_t countries[] = {
    { "AD", 24, 1 }, { "AE", 23, 1 }, { "AL", 28, 1 }, { "AO", 25, 0 }, { "AT", 20, 1 }, { "AX", 18, 1 },
    { "AZ", 28, 1 }, { "BA", 20, 1 }, { "BE", 16, 1 }, { "BF", 28, 0 }, { "BG", 22, 1 }, { "BH", 22, 1 },
    { "BI", 27, 0 }, { "BJ", 28, 0 }, { "BL", 27, 0 }, { "BR", 29, 1 }, { "BY", 28, 1 }, { "CF", 27, 0 },
    { "CG", 27, 0 }, { "CH", 21, 1 }, { "CI", 28, 0 }, { "CM", 27, 0 }, { "CR", 22, 1 }, { "CV", 25, 0 },
    { "CY", 28, 1 }, { "CZ", 24, 1 }, { "DE", 22, 1 }, { "DJ", 27, 0 }, { "DK", 18, 1 }, { "DO", 28, 1 },
    { "DZ", 26, 0 }, { "EE", 20, 1 }, { "EG", 29, 1 }, { "ES", 24, 1 }, { "FI", 18, 1 }, { "FK", 18, 0 },
    { "FO", 18, 1 }, { "FR", 27, 1 }, { "GA", 27, 0 }, { "GB", 22, 1 }, { "GE", 22, 1 }, { "GF", 27, 1 },
    { "GI", 23, 1 }, { "GL", 18, 1 }, { "GP", 27, 1 }, { "GQ", 27, 0 }, { "GR", 27, 1 }, { "GT", 28, 1 },
    { "GW", 25, 0 }, { "HN", 28, 0 }, { "HR", 21, 1 }, { "HU", 28, 1 }, { "IE", 22, 1 }, { "IL", 23, 1 },
    { "IQ", 23, 1 }, { "IR", 26, 0 }, { "IS", 26, 1 }, { "IT", 27, 1 }, { "JO", 30, 1 }, { "KM", 27, 0 },
    { "KW", 30, 1 }, { "KZ", 20, 1 }, { "LB", 28, 1 }, { "LC", 32, 1 }, { "LI", 21, 1 }, { "LT", 20, 1 },
    { "LU", 20, 1 }, { "LV", 21, 1 }, { "LY", 25, 1 }, { "MA", 28, 0 }, { "MC", 27, 1 }, { "MD", 24, 1 },
    { "ME", 22, 1 }, { "MF", 27, 1 }, { "MG", 27, 0 }, { "MK", 19, 1 }, { "ML", 28, 0 }, { "MN", 20, 1 },
    { "MQ", 27, 1 }, { "MR", 27, 1 }, { "MT", 31, 1 }, { "MU", 30, 1 }, { "MZ", 25, 0 }, { "NC", 27, 1 },
    { "NE", 28, 0 }, { "NI", 28, 1 }, { "NL", 18, 1 }, { "NO", 15, 1 }, { "OM", 23, 1 }, { "PF", 27, 1 },
    { "PK", 24, 1 }, { "PL", 28, 1 }, { "PM", 27, 1 }, { "PS", 29, 1 }, { "PT", 25, 1 }, { "QA", 29, 1 },
    { "RE", 27, 1 }, { "RO", 24, 1 }, { "RS", 22, 1 }, { "RU", 33, 1 }, { "SA", 24, 1 }, { "SC", 31, 1 },
    { "SD", 18, 1 }, { "SE", 24, 1 }, { "SI", 19, 1 }, { "SK", 24, 1 }, { "SM", 27, 1 }, { "SN", 28, 0 },
    { "SO", 23, 1 }, { "ST", 25, 1 }, { "SV", 28, 1 }, { "TD", 27, 0 }, { "TF", 27, 1 }, { "TG", 28, 0 },
    { "TL", 23, 1 }, { "TN", 24, 1 }, { "TR", 26, 1 }, { "UA", 29, 1 }, { "VA", 22, 1 }, { "VG", 24, 1 },
    { "WF", 27, 1 }, { "XK", 20, 1 }, { "YE", 30, 1 }, { "YT", 27, 1 },
};

static int by_code(const void *key, const void *elt)
{
    return strcmp(key, ((const mez_iban_country_t *)elt)->code);
}

const mez_iban_country_t *mez_iban_country(const char *code)
{
    if (!code || strlen(code) != 2)
        return NULL;
    return bsearch(code, countries, sizeof(countries) / sizeof(countries[0]), sizeof(countries[0]), by_code);
}

static mez_status_t refused(apr_pool_t *p, const char **why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mez_status_t refused(apr_pool_t *p, const char **why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why)
        *why = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return MEZ_EINVAL;
}

char *mez_bank_id_electronic(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s), k = 0;
    char *e;
    if (n == 0 || n > 42)           /* 34 characters and 8 separators at most */
        return NULL;
    e = apr_palloc(p, n + 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            /* A separator follows a whole group of four and precedes more characters. */
            if (k == 0 || k % 4 || i + 1 == n || s[i + 1] == ' ')
                return NULL;
            continue;
        }
        if (!apr_isalnum(s[i]))
            return NULL;
        e[k++] = (char)apr_toupper(s[i]);
    }
    e[k] = '\0';
    return e;
}

/* ISO 7064 MOD 97-10 of the IBAN with its first four characters moved to the end, letters as 10..35. */
static int mod97(const char *e)
{
    size_t n = strlen(e);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        char c = e[(i + 4) % n];
        if (apr_isdigit(c))
            r = (r * 10 + (c - '0')) % 97;
        else
            r = (r * 100 + (c - 'A' + 10)) % 97;
    }
    return r;
}

mez_status_t mez_iban_check(apr_pool_t *p, const char *iban, const char **why)
{
    const mez_iban_country_t *cc;
    char *e, code[3];
    size_t n;

    if (!iban || !(e = mez_bank_id_electronic(p, iban)))
        return refused(p, why, "an IBAN is letters and digits, in groups of four when spaced ('%s' is not)",
                       iban ? iban : "");
    n = strlen(e);
    if (n < 5 || n > 34 || !apr_isalpha(e[0]) || !apr_isalpha(e[1]) || !apr_isdigit(e[2]) || !apr_isdigit(e[3]))
        return refused(p, why, "an IBAN is a country code, two check digits and an account number of at most 30 "
                       "characters ('%s' is not)", iban);
    memcpy(code, e, 2);
    code[2] = '\0';
    if (!(cc = mez_iban_country(code)))
        return refused(p, why, "%s is not a country with an IBAN scheme (SWIFT IBAN Registry)", code);
    if ((int)n != cc->length)
        return refused(p, why, "an IBAN of %s has %d characters, not %" APR_SIZE_T_FMT, code, cc->length, n);
    if (mod97(e) != 1)
        return refused(p, why, "the check digits of %s do not match its account number (ISO 7064 MOD 97-10): a "
                       "character is wrong or two are swapped", iban);
    return MEZ_OK;
}

mez_status_t mez_bic_check(apr_pool_t *p, const char *bic, const char **why)
{
    size_t n = bic ? strlen(bic) : 0;
    if (n != 8 && n != 11)
        return refused(p, why, "a BIC has 8 or 11 characters ('%s' has %" APR_SIZE_T_FMT ")", bic ? bic : "", n);
    for (size_t i = 0; i < n; i++)
        if (!apr_isalnum(bic[i]) || ((i == 4 || i == 5) && !apr_isalpha(bic[i])))
            return refused(p, why, "a BIC is a 4-character party prefix, a 2-letter country code, a 2-character "
                           "location and an optional 3-character branch, letters and digits ('%s' is not)", bic);
    return MEZ_OK;
}

mez_status_t mez_bank_details_check(apr_pool_t *p, const json_t *bank, const char *base, mez_problem_t *pb)
{
    static const struct {
        const char *member, *code;
        mez_status_t (*check)(apr_pool_t *, const char *, const char **);
    } ids[] = { { "iban", "fiscal.invalid_iban", mez_iban_check },
                { "swift_bic", "fiscal.invalid_bic", mez_bic_check } };
    for (size_t i = 0; bank && i < sizeof(ids) / sizeof(ids[0]); i++) {
        const json_t *v = json_object_get(bank, ids[i].member);
        const char *at = mez_pointer_join(p, base, ids[i].member), *why = NULL;
        if (!v)
            continue;
        if (!json_is_string(v))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_type", at, "'%s' must be a string",
                               ids[i].member);
        if (ids[i].check(p, json_string_value(v), &why) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, 422, ids[i].code, at, "%s", why);
    }
    return MEZ_OK;
}
