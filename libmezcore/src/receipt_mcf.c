/* receipt_mcf.c: the reference system's canonical form (MCF, see mez/receipt.h) on top of the RFC 8785
 * serialiser in json_canon.c: a pre-pass refuses non-integers and rewrites date-times, then the serialiser
 * writes with byte-ordered keys and exact integers. Also the check that a document's two forms agree. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/receipt.h"
#include "mez/vc.h"

/* ------------------------------------------------------------------ RFC 3339 date-times */

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int mez_mcf_datetime(const char *s, size_t len, char out[21])
{
    int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
    size_t i = 19;
    long days, secs, y;
    int leap_second;

    /* YYYY-MM-DD?HH:MM:SS is 19 bytes; then an optional fraction and a mandatory zone. */
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return 0;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return 0;
    if (!digits(s, 4, &Y) || !digits(s + 5, 2, &M) || !digits(s + 8, 2, &D) || !digits(s + 11, 2, &h)
        || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return 0;
    if (M < 1 || M > 12 || D < 1 || D > mez_days_in_month(Y, M) || h > 23 || mi > 59 || sec > 60)
        return 0;
    if (s[i] == '.') {
        size_t f = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f)
            return 0;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z'))
        i++;
    else if (i < len && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '-' ? -1 : 1;
        if (len - i < 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23
            || om > 59)
            return 0;
        i += 6;
    }
    else
        return 0;
    if (i != len)
        return 0;
    /* A leap second stays one: the parser keeps it as second 59 plus one second of fraction, and the
     * formatter prints it as 60 after shifting the minutes. */
    leap_second = sec == 60;
    if (leap_second)
        sec = 59;
    secs = mez_days_from_civil(Y, M, D) * 86400L + h * 3600L + mi * 60L + sec - sign * (oh * 3600L + om * 60L);
    days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    secs -= days * 86400;
    {
        int64_t yy;
        mez_civil_from_days(days, &yy, &M, &D);
        y = (long)yy;
    }
    if (y < 0 || y > 9999)
        return 0;   /* the reference would print a signed or 5-digit year; such strings are left as they are */
    apr_snprintf(out, 21, "%04ld-%02d-%02dT%02ld:%02ld:%02ldZ", y, M, D, secs / 3600, secs / 60 % 60,
                 secs % 60 + leap_second);
    return 1;
}

/* ------------------------------------------------------------------ the MCF pre-pass */

static mez_status_t refuse_float(apr_pool_t *p, const char *ptr, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "mcf.float", ptr,
                       "a number that is not an integer has no canonical form here (amounts are integers in minor "
                       "units or decimal strings)");
}

/* A new value equal to v with every date-time string rewritten; fails on the first non-integer. */
static mez_status_t coerce(apr_pool_t *p, const json_t *v, const char *ptr, json_t **out, mez_problem_t *pb)
{
    mez_status_t rv;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *x, *o = json_object();
        json_object_foreach((json_t *)v, key, x) {
            json_t *c;
            if ((rv = coerce(p, x, mez_pointer_join(p, ptr, key), &c, pb)) != MEZ_OK) {
                json_decref(o);
                return rv;
            }
            json_object_set_new(o, key, c);
        }
        *out = o;
        return MEZ_OK;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x, *a = json_array();
        json_array_foreach(v, i, x) {
            json_t *c;
            if ((rv = coerce(p, x, mez_pointer_index(p, ptr, i), &c, pb)) != MEZ_OK) {
                json_decref(a);
                return rv;
            }
            json_array_append_new(a, c);
        }
        *out = a;
        return MEZ_OK;
    }
    case JSON_STRING: {
        char dt[21];
        if (mez_mcf_datetime(json_string_value(v), json_string_length(v), dt))
            *out = json_string(dt);
        else
            *out = json_incref((json_t *)v);
        return MEZ_OK;
    }
    case JSON_REAL:
        return refuse_float(p, ptr, pb);
    case JSON_INTEGER:
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        *out = json_incref((json_t *)v);
        return MEZ_OK;
    }
    return MEZ_EINTERNAL;
}

mez_status_t mez_mcf_canonicalize(apr_pool_t *p, const json_t *v, const char **out, size_t *outlen,
                                  mez_problem_t *pb)
{
    json_t *c;
    mez_status_t rv;
    if (!v)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "json.not_canonicalizable", "", "no JSON value");
    if ((rv = coerce(p, v, "", &c, pb)) != MEZ_OK)
        return rv;
    rv = mez_json_serialize(p, c, MEZ_JSON_SORT_UTF8 | MEZ_JSON_EXACT_INTEGERS, out, outlen, pb);
    json_decref(c);
    return rv;
}

mez_status_t mez_mcf_digest(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb)
{
    const char *bytes;
    size_t len;
    mez_status_t rv = mez_mcf_canonicalize(p, v, &bytes, &len, pb);
    if (rv == MEZ_OK)
        mez_digest_sha256(bytes, len, out);
    return rv;
}

/* ------------------------------------------------------------------ portability: MCF bytes == RFC 8785 bytes */

static int has_lead(const char *s, unsigned char lo, unsigned char hi)
{
    for (; *s; s++)
        if ((unsigned char)*s >= lo && (unsigned char)*s <= hi)
            return 1;
    return 0;
}

mez_status_t mez_mcf_check_portable(apr_pool_t *p, const json_t *v, const char *base, mez_problem_t *pb)
{
    mez_status_t rv;
    const char *ptr = base ? base : "";
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *x;
        int astral = 0, high_bmp = 0;
        json_object_foreach((json_t *)v, key, x) {
            astral |= has_lead(key, 0xf0, 0xf4);
            high_bmp |= has_lead(key, 0xee, 0xef);
            if ((rv = mez_mcf_check_portable(p, x, mez_pointer_join(p, ptr, key), pb)) != MEZ_OK)
                return rv;
        }
        /* Only keys with characters above U+FFFF next to keys with U+E000..U+FFFF can sort differently by
         * UTF-8 bytes and by UTF-16 units; refusing the mix is simpler than proving each order equal. */
        if (astral && high_bmp)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "mcf.not_portable", ptr,
                               "member names mix characters above U+FFFF with U+E000..U+FFFF, which the two "
                               "canonical forms order differently");
        return MEZ_OK;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            if ((rv = mez_mcf_check_portable(p, x, mez_pointer_index(p, ptr, i), pb)) != MEZ_OK)
                return rv;
        return MEZ_OK;
    }
    case JSON_STRING: {
        char dt[21];
        if (mez_mcf_datetime(json_string_value(v), json_string_length(v), dt) && strcmp(dt, json_string_value(v)))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "mcf.timestamp_form", ptr,
                               "'%s' is a date-time not in the form YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds); "
                               "it is refused rather than rewritten", json_string_value(v));
        return MEZ_OK;
    }
    case JSON_REAL:
        return refuse_float(p, ptr, pb);
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(v);
        if (x > 9007199254740992LL || x < -9007199254740992LL)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "mcf.not_portable", ptr,
                               "integers beyond 2^53 are written differently by the two canonical forms");
        return MEZ_OK;
    }
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return MEZ_OK;
    }
    return MEZ_EINTERNAL;
}
