/* tensor_value.c: the dates and exact decimals rules are written in: "YYYY-MM-DD" days and non-negative
 * decimal strings. Withholding is money owed to a state, so no amount or rate ever passes through a double. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <string.h>
#include <apr_strings.h>
#include "mez/tensor.h"
#include "mez/vc.h"

typedef unsigned __int128 u128;   /* 18 x 18 digits need 120 bits: products and scaled compares stay exact */

int mez_tensor_date_parse(const char *s, int32_t *out)
{
    int v[8];
    /* Exactly ten characters: the fixed width is what lets dates compare as integers and strings alike. */
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0, k = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v[k++] = s[i] - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mez_days_in_month(y, m))
        return -1;
    *out = (int32_t)(y * 10000 + m * 100 + d);
    return 0;
}

int mez_tensor_decimal_parse(const char *s, mez_tensor_decimal_t *out)
{
    uint64_t coef = 0;
    unsigned digits = 0, scale = 0;
    const char *c = s;

    if (!s || !*s)
        return -1;
    /* "0" or a non-zero first digit: "007" is more likely a mistake than a number, so it is refused. */
    if (*c == '0' && c[1] >= '0' && c[1] <= '9')
        return -1;
    for (; *c >= '0' && *c <= '9'; c++, digits++) {
        if (digits >= MEZ_TENSOR_DECIMAL_MAX_DIGITS)
            return -1;
        coef = coef * 10 + (uint64_t)(*c - '0');
    }
    if (digits == 0)
        return -1;
    if (*c == '.') {
        c++;
        if (!(*c >= '0' && *c <= '9'))
            return -1;
        for (; *c >= '0' && *c <= '9'; c++, digits++, scale++) {
            if (digits >= MEZ_TENSOR_DECIMAL_MAX_DIGITS)
                return -1;
            coef = coef * 10 + (uint64_t)(*c - '0');
        }
    }
    if (*c != '\0')
        return -1;
    out->coef = coef;
    out->scale = scale;
    return 0;
}

static u128 pow10_u128(unsigned n)
{
    u128 r = 1;
    while (n--)
        r *= 10;
    return r;
}

int mez_tensor_decimal_cmp(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b)
{
    /* Both scales are at most 18 and both coefficients below 10^18, so scaling to the larger scale stays
     * below 10^36 < 2^128. */
    u128 x = (u128)a->coef, y = (u128)b->coef;
    if (a->scale < b->scale)
        x *= pow10_u128(b->scale - a->scale);
    else if (b->scale < a->scale)
        y *= pow10_u128(a->scale - b->scale);
    return x < y ? -1 : x > y ? 1 : 0;
}

/* coef / 10^scale as text, trailing fractional zeros dropped. */
static const char *format_u128(apr_pool_t *p, u128 coef, unsigned scale)
{
    char digits[48], *out;
    size_t n = 0, k = 0;
    if (coef == 0)
        return "0";
    do {
        digits[n++] = (char)('0' + (int)(coef % 10));
        coef /= 10;
    } while (coef);
    /* Trailing zeros of the fraction carry no value; dropping them gives one spelling per number. */
    while (scale > 0 && n > 0 && digits[0] == '0') {
        memmove(digits, digits + 1, --n);
        scale--;
    }
    while (n <= scale)
        digits[n++] = '0';    /* a leading "0." */
    out = apr_palloc(p, n + 2);
    while (n > 0) {
        if (n == scale)
            out[k++] = '.';
        out[k++] = digits[--n];
    }
    out[k] = '\0';
    return out;
}

const char *mez_tensor_decimal_percent_of(apr_pool_t *p, const mez_tensor_decimal_t *amount,
                                          const mez_tensor_decimal_t *percent)
{
    /* amount * percent / 100 is the product of the coefficients at scale a + p + 2: exact, with no
     * division, and below 10^36 for 18-digit operands. */
    return format_u128(p, (u128)amount->coef * (u128)percent->coef, amount->scale + percent->scale + 2);
}

/* Trailing fractional zeros dropped, then held to the limits of a parsed decimal (18 digits, scale 18): the
 * band and portion arithmetic feeds its results back into more arithmetic, which relies on those limits to
 * stay within 128 bits. */
static int fit(u128 coef, unsigned scale, mez_tensor_decimal_t *out)
{
    static const u128 limit = (u128)1000000000000000000ULL;   /* 10^18 */
    while (scale > 0 && coef % 10 == 0) {
        coef /= 10;
        scale--;
    }
    if (coef >= limit || scale > MEZ_TENSOR_DECIMAL_MAX_DIGITS)
        return -1;
    out->coef = (uint64_t)coef;
    out->scale = scale;
    return 0;
}

/* Both to the larger scale: coefficients below 10^18 times at most 10^18 stay below 10^36 < 2^128. */
static unsigned align(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b, u128 *x, u128 *y)
{
    unsigned scale = a->scale > b->scale ? a->scale : b->scale;
    *x = (u128)a->coef * pow10_u128(scale - a->scale);
    *y = (u128)b->coef * pow10_u128(scale - b->scale);
    return scale;
}

int mez_tensor_decimal_add(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b, mez_tensor_decimal_t *out)
{
    u128 x, y;
    unsigned scale = align(a, b, &x, &y);
    return fit(x + y, scale, out);
}

int mez_tensor_decimal_sub(const mez_tensor_decimal_t *a, const mez_tensor_decimal_t *b, mez_tensor_decimal_t *out)
{
    u128 x, y;
    unsigned scale = align(a, b, &x, &y);
    if (x < y)
        return -1;      /* decimals are non-negative: a band's excess below its limit is a caller's error */
    return fit(x - y, scale, out);
}

int mez_tensor_decimal_percent(const mez_tensor_decimal_t *amount, const mez_tensor_decimal_t *percent,
                               mez_tensor_decimal_t *out)
{
    return fit((u128)amount->coef * (u128)percent->coef, amount->scale + percent->scale + 2, out);
}

int mez_tensor_decimal_units(const mez_tensor_decimal_t *amount, const mez_tensor_decimal_t *unit, uint64_t *units)
{
    u128 x, y, q;
    align(amount, unit, &x, &y);
    if (y == 0)
        return -1;
    q = x / y + (x % y != 0);
    if (q > UINT64_MAX)
        return -1;
    *units = (uint64_t)q;
    return 0;
}

int mez_tensor_decimal_times(const mez_tensor_decimal_t *amount, uint64_t n, mez_tensor_decimal_t *out)
{
    /* amount->coef < 10^18 and n < 2^64 (< 1.9 * 10^19): the product stays below 2^128. */
    return fit((u128)amount->coef * (u128)n, amount->scale, out);
}

const char *mez_tensor_decimal_format(apr_pool_t *p, const mez_tensor_decimal_t *d)
{
    return format_u128(p, (u128)d->coef, d->scale);
}
