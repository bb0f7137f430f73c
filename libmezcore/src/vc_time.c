/* vc_time.c: the timestamps of credentials and proofs: strict XML Schema dateTimeStamp parsing, and the
 * "YYYY-MM-DDTHH:MM:SSZ" form mez writes. Validity windows rest on these, so nothing loose is accepted. */
#include <stdint.h>
#include <apr_strings.h>
#include "mez/vc.h"

const char *mez_time_now_rfc3339(apr_pool_t *p)
{
    return mez_time_stamp(p, apr_time_now());
}

const char *mez_time_stamp(apr_pool_t *p, apr_time_t when)
{
    apr_time_exp_t t;
    char *s = apr_palloc(p, 21), *w = s;
    int year;
    /* Written digit by digit: it is stamped on every proof, and printf costs more than the rest of it. */
    apr_time_exp_gmt(&t, when);
    year = t.tm_year + 1900;
    *w++ = (char)('0' + year / 1000 % 10); *w++ = (char)('0' + year / 100 % 10);
    *w++ = (char)('0' + year / 10 % 10);   *w++ = (char)('0' + year % 10);
    *w++ = '-'; *w++ = (char)('0' + (t.tm_mon + 1) / 10); *w++ = (char)('0' + (t.tm_mon + 1) % 10);
    *w++ = '-'; *w++ = (char)('0' + t.tm_mday / 10);      *w++ = (char)('0' + t.tm_mday % 10);
    *w++ = 'T'; *w++ = (char)('0' + t.tm_hour / 10);      *w++ = (char)('0' + t.tm_hour % 10);
    *w++ = ':'; *w++ = (char)('0' + t.tm_min / 10);       *w++ = (char)('0' + t.tm_min % 10);
    *w++ = ':'; *w++ = (char)('0' + t.tm_sec / 10);       *w++ = (char)('0' + t.tm_sec % 10);
    *w++ = 'Z'; *w = '\0';
    return s;
}

/* Exactly n ASCII digits; locale-independent on purpose (isdigit is not). */
static int take_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int take_char(const char **s, char c)
{
    if (**s != c)
        return -1;
    (*s)++;
    return 0;
}

int mez_days_in_month(int64_t y, int m)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 0;
    return mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* Era-based conversions (400-year eras of 146097 days): exact for every proleptic Gregorian date, and computed
 * here rather than with timegm(), which depends on the C library and cannot go below 1970 everywhere. */
int64_t mez_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void mez_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

const char *mez_date_of_day(apr_pool_t *p, int64_t day)
{
    int64_t y;
    int m, d;
    mez_civil_from_days(day, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02d", (int)y, m, d);
}

int mez_time_parse_rfc3339(const char *s, apr_time_t *out)
{
    int year, mon, day, hour, min, sec, usec = 0, off = 0;

    if (!s)
        return -1;
    if (take_digits(&s, 4, &year) || take_char(&s, '-') || take_digits(&s, 2, &mon) || take_char(&s, '-')
        || take_digits(&s, 2, &day) || take_char(&s, 'T') || take_digits(&s, 2, &hour) || take_char(&s, ':')
        || take_digits(&s, 2, &min) || take_char(&s, ':') || take_digits(&s, 2, &sec))
        return -1;
    if (*s == '.') {
        int scale = 100000, n = 0;
        s++;
        for (; *s >= '0' && *s <= '9'; s++, n++) {
            /* Digits below the microsecond cannot be represented in apr_time_t; they are read and dropped. */
            if (scale) {
                usec += (*s - '0') * scale;
                scale /= 10;
            }
        }
        if (n == 0)
            return -1;
    }
    if (*s == 'Z') {
        s++;
    }
    else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om;
        s++;
        if (take_digits(&s, 2, &oh) || take_char(&s, ':') || take_digits(&s, 2, &om))
            return -1;
        /* XML Schema bounds offsets to +-14:00. */
        if (oh > 14 || om > 59 || (oh == 14 && om != 0))
            return -1;
        off = sign * (oh * 60 + om);
    }
    else {
        return -1;   /* dateTimeStamp requires a timezone: a local time means nothing to a verifier */
    }
    if (*s != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1)
        return -1;
    if (day > mez_days_in_month(year, mon))
        return -1;
    /* 24:00:00 and leap second 60 are refused: mez never writes them, and rejecting beats guessing. */
    if (hour > 23 || min > 59 || sec > 59)
        return -1;

    int64_t secs = mez_days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - (int64_t)off * 60;
    *out = (apr_time_t)secs * APR_USEC_PER_SEC + usec;
    return 0;
}
