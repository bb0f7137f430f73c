/* tax.c: what the zone does with the tensor's withholding lines: the contract's payment types as the packs'
 * categories, rates as fractions, the tax year of a row, the tax in a currency's minor units (mez/tax.h). The
 * orchestrated payment (orchestrate_ops.c) and the withholding calculation (tax_withholding.c) both use them, so
 * what a preview says is what a payment does. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/tax.h"
#include "mass_values.h"

const char *mez_tax_payment_category(const char *contract_type)
{
    /* The contract's payment types, as the withholding regime names what is paid for (packs/README.md); a caller
     * whose payment is a finer category (services_it_ites) names it in compliance.payment_type. Commission and
     * brokerage are not a service under s. 153(1)(b) but a head of their own, s. 233 of the Income Tax Ordinance,
     * 2001 (the lawpack's sec_233), whose rate no shipped pack holds: mapping them to services taxed them at
     * another section's rate. They have no category, so the caller names the payment type the law applies. */
    static const char *const map[][2] = {
        { "goods_payment", "goods" }, { "service_fee", "services" }, { "dividend", "dividend" },
        { "royalty", "royalty_fee_non_resident" }, { "profit_on_debt", "profit_on_debt" }, { "rent", "rent" },
        { "salary", "salary" }, { "contract_payment", "contracts" },
    };
    for (size_t i = 0; contract_type && i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], contract_type))
            return map[i][1];
    return NULL;
}

const char *mez_tax_rate_fraction(apr_pool_t *p, const char *pct)
{
    const char *dot = strchr(pct, '.');
    size_t ip = dot ? (size_t)(dot - pct) : strlen(pct);
    const char *frac = dot ? dot + 1 : "";
    char *digits = apr_pstrcat(p, apr_pstrndup(p, pct, ip), frac, NULL);
    size_t point = ip >= 2 ? ip - 2 : 0, lead = ip >= 2 ? 0 : 2 - ip;
    return apr_pstrcat(p, point ? apr_pstrndup(p, digits, point) : "0", ".", apr_pstrndup(p, "00", lead),
                       digits + point, NULL);
}

const char *mez_tax_year_of(apr_pool_t *p, const char *tax_year_start, const char *valid_to, const char *date)
{
    if (tax_year_start && strlen(tax_year_start) == 5 && date && strlen(date) == 10) {
        int y = atoi(date);
        /* Fixed-width MM-DD compares as text: on or after the start day, the year that ends next calendar year. */
        return apr_itoa(p, strcmp(tax_year_start, "01-01") && strcmp(date + 5, tax_year_start) >= 0 ? y + 1 : y);
    }
    if (valid_to && strlen(valid_to) == 10) {
        int y = atoi(valid_to);
        return apr_itoa(p, !strcmp(valid_to + 4, "-01-01") ? y - 1 : y);
    }
    return apr_pstrndup(p, date, 4);
}

int mez_tax_currency_exponent(const char *code)
{
    return mez_mass_currency_exponent(code);
}

const char *mez_tax_minor_units(apr_pool_t *p, const char *tax, int exponent)
{
    const char *dot;
    size_t ip, fp;
    char *digits;
    int64_t units = 0;

    if (!tax || exponent < 0 || exponent > 6 || !*tax)
        return NULL;
    dot = strchr(tax, '.');
    ip = dot ? (size_t)(dot - tax) : strlen(tax);
    fp = dot ? strlen(dot + 1) : 0;
    if (ip == 0 || ip + (size_t)exponent > 18 || (dot && fp == 0) || strspn(tax, "0123456789") != ip
        || (dot && strspn(dot + 1, "0123456789") != fp))
        return NULL;
    /* The integer part and the first `exponent` fraction digits are the units; the next digit rounds them. */
    digits = apr_pstrcat(p, apr_pstrndup(p, tax, ip), dot ? dot + 1 : "", NULL);
    for (size_t i = 0; i < ip + (size_t)exponent; i++) {
        char d = i < ip + fp ? digits[i] : '0';
        units = units * 10 + (d - '0');
    }
    if ((size_t)exponent < fp && digits[ip + (size_t)exponent] >= '5')
        units++;
    return mez_mass_amount_format(p, units, exponent);
}
