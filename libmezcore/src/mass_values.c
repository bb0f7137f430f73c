/* mass_values.c: decimal strings, currencies, dates and query parameters for the fiscal and ownership
 * primitives. Money never passes through a double: strings are parsed digit by digit into scaled integers. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/vc.h"
#include "mass_values.h"

/* ISO 4217 minor units of the currencies zones settle in. A code missing here is refused rather than guessed,
 * because the exponent decides what "1.5" means. */
static const struct { const char code[4]; int exponent; } currencies[] = {
    { "AED", 2 }, { "AUD", 2 }, { "BDT", 2 }, { "BHD", 3 }, { "BRL", 2 }, { "CAD", 2 }, { "CHF", 2 },
    { "CNY", 2 }, { "EGP", 2 }, { "EUR", 2 }, { "GBP", 2 }, { "HKD", 2 }, { "IDR", 2 }, { "INR", 2 },
    { "IQD", 3 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KZT", 2 },
    { "LKR", 2 }, { "LYD", 3 }, { "MUR", 2 }, { "MYR", 2 }, { "NGN", 2 }, { "NZD", 2 }, { "OMR", 3 },
    { "PHP", 2 }, { "PKR", 2 }, { "QAR", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SCR", 2 }, { "SGD", 2 },
    { "THB", 2 }, { "TND", 3 }, { "TRY", 2 }, { "UGX", 0 }, { "USD", 2 }, { "UZS", 2 }, { "VND", 0 },
    { "XAF", 0 }, { "XOF", 0 }, { "ZAR", 2 },
};

int mez_mass_currency_exponent(const char *code)
{
    for (size_t i = 0; code && i < sizeof(currencies) / sizeof(currencies[0]); i++)
        if (!strcmp(code, currencies[i].code))
            return currencies[i].exponent;
    return -1;
}

mez_decimal_rc_t mez_mass_decimal_parse(const char *s, int max_frac, int scale, int64_t max, int64_t *out)
{
    int64_t v = 0;
    int nint = 0, nfrac = 0;
    const char *q = s;

    if (!s || !*s)
        return MEZ_DECIMAL_SYNTAX;
    for (; *q >= '0' && *q <= '9'; q++, nint++) {
        if (v > (max - (*q - '0')) / 10)
            return MEZ_DECIMAL_TOO_LARGE;
        v = v * 10 + (*q - '0');
    }
    if (nint == 0)
        return MEZ_DECIMAL_SYNTAX;
    if (*q == '.') {
        if (max_frac == 0)
            return MEZ_DECIMAL_SYNTAX;
        for (q++; *q >= '0' && *q <= '9'; q++, nfrac++)
            ;
        if (nfrac == 0 || (max_frac > 0 && nfrac > max_frac))
            return MEZ_DECIMAL_SYNTAX;
    }
    if (*q)
        return MEZ_DECIMAL_SYNTAX;
    /* Scale up: the integer part, then each fraction digit in its place; digits below the scale must be 0. */
    for (int i = 0; i < scale; i++) {
        if (v > max / 10)
            return MEZ_DECIMAL_TOO_LARGE;
        v *= 10;
    }
    if (nfrac) {
        const char *f = strchr(s, '.') + 1;
        int64_t place = 1;
        for (int i = 1; i < scale; i++)
            place *= 10;
        for (int i = 0; i < nfrac; i++) {
            int d = f[i] - '0';
            if (i >= scale) {
                if (d)
                    return MEZ_DECIMAL_PRECISION;
                continue;
            }
            if (v > max - d * place)
                return MEZ_DECIMAL_TOO_LARGE;
            v += d * place;
            place /= 10;
        }
    }
    if (v > max)
        return MEZ_DECIMAL_TOO_LARGE;
    *out = v;
    return MEZ_DECIMAL_OK;
}

/* Digits of |v| / 10^scale with exactly scale fraction digits. */
static const char *format_scaled(apr_pool_t *p, __int128 v, int scale, int trim)
{
    char buf[64], *e = buf + sizeof(buf) - 1;
    unsigned __int128 u = v < 0 ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    int n = 0;

    *e = '\0';
    do {
        if (n == scale && scale > 0)
            *--e = '.';
        *--e = (char)('0' + (int)(u % 10));
        u /= 10;
        n++;
    } while (u || n <= scale);
    if (v < 0)
        *--e = '-';
    if (trim && scale > 0) {
        char *end = buf + sizeof(buf) - 1;
        while (end[-1] == '0')
            *--end = '\0';
        if (end[-1] == '.')
            end[-1] = '\0';
    }
    return apr_pstrdup(p, e);
}

const char *mez_mass_amount_format(apr_pool_t *p, __int128 v, int scale)
{
    return format_scaled(p, v, scale, 0);
}

const char *mez_mass_decimal_format(apr_pool_t *p, __int128 v, int scale)
{
    return format_scaled(p, v, scale, 1);
}

int mez_mass_digits(const char *s, size_t n)
{
    return s && strlen(s) == n && strspn(s, "0123456789") == n;
}

int mez_mass_date_parse(const char *s, long *days)
{
    long y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = strtol(s, NULL, 10);
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (d < 1 || d > mez_days_in_month(y, (int)m))
        return 0;
    if (days)
        *days = (long)mez_days_from_civil(y, (int)m, (int)d);
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *percent_decode(apr_pool_t *p, const char *s, size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

const char *mez_mass_nullable(const char *col)
{
    return col && *col ? col : NULL;
}

const char *mez_mass_query_param(apr_pool_t *p, const char *query, const char *name)
{
    size_t nlen = strlen(name);
    const char *q = query;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len >= nlen && !strncmp(q, name, nlen) && (len == nlen || q[nlen] == '='))
            return len == nlen ? "" : percent_decode(p, q + nlen + 1, len - nlen - 1);
        q = amp ? amp + 1 : NULL;
    }
    return NULL;
}
