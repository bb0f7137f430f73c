/* mass_values.h: wire values the fiscal and ownership primitives share (private to libmezcore): ISO 4217
 * currencies and their minor units, decimal strings <-> scaled integers, dates, and query parameters. */
#ifndef MEZ_MASS_VALUES_H
#define MEZ_MASS_VALUES_H

#include <stdint.h>
#include <apr_pools.h>

/* Largest amount one request may move (minor units), and the largest balance an account may reach: far below
 * INT64_MAX so no sum the store forms can overflow (SQLite would silently turn it into a float). */
#define MEZ_MASS_AMOUNT_MAX  INT64_C(1000000000000000)
#define MEZ_MASS_BALANCE_MAX INT64_C(4000000000000000000)
/* Share counts and prices (prices are kept in millionths of a currency unit). */
#define MEZ_MASS_SHARES_MAX  INT64_C(1000000000000000)
#define MEZ_MASS_PRICE_SCALE 6
#define MEZ_MASS_PRICE_MAX   INT64_C(1000000000000000000)

/* Minor-unit exponent of an ISO 4217 currency code (PKR 2, JPY 0, BHD 3, ...), -1 for a code the store
 * does not know. */
int mez_mass_currency_exponent(const char *code);

typedef enum {
    MEZ_DECIMAL_OK = 0,
    MEZ_DECIMAL_SYNTAX,     /* not digits[.digits], or more fraction digits than the syntax allows */
    MEZ_DECIMAL_PRECISION,  /* a non-zero digit below the scale (e.g. "1.234" PKR) */
    MEZ_DECIMAL_TOO_LARGE   /* above max, or too many digits */
} mez_decimal_rc_t;

/* Parses an unsigned decimal string "D+(.D{1,max_frac})?" into an integer scaled by 10^scale. max_frac 0: no
 * fraction allowed at all; -1: any number of fraction digits. Trailing fraction zeros below the scale are
 * exact and accepted. */
mez_decimal_rc_t mez_mass_decimal_parse(const char *s, int max_frac, int scale, int64_t max, int64_t *out);

/* v / 10^scale as a decimal string with exactly scale fraction digits ("-12.50"), the wire form of money. v is wider
 * than a balance so that a sum of many (a tax report's year) is written the same way. */
const char *mez_mass_amount_format(apr_pool_t *p, __int128 v, int scale);
/* The same without trailing fraction zeros ("12.5", "3"): the wire form of prices and gains. */
const char *mez_mass_decimal_format(apr_pool_t *p, __int128 v, int scale);

/* 1 when s is exactly n decimal digits (an NTN, an STRN, a tax year). */
int mez_mass_digits(const char *s, size_t n);

/* 1 when s is a valid calendar date YYYY-MM-DD; *days (if not NULL) its day number (days since 1970-01-01). */
int mez_mass_date_parse(const char *s, long *days);

/* A nullable column as read: apr_dbd's pgsql driver reads SQL NULL as "", sqlite3's as NULL; the store
 * never writes an empty string, so both mean "no value" (NULL). */
const char *mez_mass_nullable(const char *col);

/* The percent-decoded value of name in a raw query string, NULL when absent. */
const char *mez_mass_query_param(apr_pool_t *p, const char *query, const char *name);

#endif
