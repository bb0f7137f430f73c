/* tz_posix.c: the POSIX TZ string of a TZif footer (RFC 8536, 3.3), which says what the zone's clock does after its
 * last listed transition: a fixed offset ("PKT-5"), or a standard and a daylight offset with the two days each year
 * the clock changes ("GMT0BST,M3.5.0/1,M10.5.0"). Only what the RFC allows is read; anything else is refused, so a
 * zone never runs on a rule half understood. */
#include "mez/vc.h"
#include "tz_int.h"

typedef struct {
    const char *s, *end;
} cur_t;

static int at_end(const cur_t *c)
{
    return c->s >= c->end;
}

static int peek(const cur_t *c)
{
    return at_end(c) ? -1 : (unsigned char)*c->s;
}

static int is_alpha(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* A designation: three or more letters, or <...> of letters, digits, '+' and '-' (three or more). Not kept: only
 * offsets matter for a date. */
static int name(cur_t *c)
{
    int n = 0;
    if (peek(c) == '<') {
        c->s++;
        while (!at_end(c) && (is_alpha(peek(c)) || is_digit(peek(c)) || peek(c) == '+' || peek(c) == '-')) {
            c->s++;
            n++;
        }
        if (peek(c) != '>')
            return -1;
        c->s++;
    }
    else {
        while (!at_end(c) && is_alpha(peek(c))) {
            c->s++;
            n++;
        }
    }
    return n >= 3 ? 0 : -1;
}

/* One to max_digits decimal digits. */
static int number(cur_t *c, int max_digits, int *out)
{
    int v = 0, n = 0;
    while (n < max_digits && is_digit(peek(c))) {
        v = v * 10 + (*c->s++ - '0');
        n++;
    }
    *out = v;
    return n ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to max_hours (24 for an offset, 167 for a transition time). */
static int hms(cur_t *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->s++ == '-' ? -1 : 1;
    if (number(c, 3, &h) || h > max_hours)
        return -1;
    if (peek(c) == ':') {
        c->s++;
        if (number(c, 2, &m) || m > 59)
            return -1;
        if (peek(c) == ':') {
            c->s++;
            if (number(c, 2, &s) || s > 59)
                return -1;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}

/* Jn, n or Mm.w.d, then an optional /time (02:00:00 when absent). */
static int rule_day(cur_t *c, tz_rule_day_t *r)
{
    int v;
    if (peek(c) == 'J') {
        c->s++;
        if (number(c, 3, &v) || v < 1 || v > 365)
            return -1;
        r->kind = 'J';
        r->day = v;
    }
    else if (peek(c) == 'M') {
        c->s++;
        r->kind = 'M';
        if (number(c, 2, &r->month) || r->month < 1 || r->month > 12 || peek(c) != '.')
            return -1;
        c->s++;
        if (number(c, 1, &r->week) || r->week < 1 || r->week > 5 || peek(c) != '.')
            return -1;
        c->s++;
        if (number(c, 1, &r->day) || r->day > 6)
            return -1;
    }
    else {
        if (number(c, 3, &v) || v > 365)
            return -1;
        r->kind = 'N';
        r->day = v;
    }
    r->time = 2 * 3600;
    if (peek(c) == '/') {
        c->s++;
        if (hms(c, 167, &r->time))
            return -1;
    }
    return 0;
}

int mez_tz_posix_parse(const char *s, size_t len, tz_posix_t *out)
{
    cur_t c = { s, s + len };
    int32_t v;
    tz_posix_t r = { 0 };

    if (name(&c) || hms(&c, 24, &v))
        return -1;
    r.std_off = -v;
    if (at_end(&c)) {
        *out = r;
        return 0;
    }
    if (name(&c))
        return -1;
    r.has_dst = 1;
    r.dst_off = r.std_off + 3600;
    if (!at_end(&c) && peek(&c) != ',') {
        if (hms(&c, 24, &v))
            return -1;
        r.dst_off = -v;
    }
    if (at_end(&c)) {
        /* POSIX leaves the days to the implementation; zic always writes them, and this is what glibc assumes. */
        r.start = (tz_rule_day_t){ 'M', 3, 2, 0, 7200 };
        r.end = (tz_rule_day_t){ 'M', 11, 1, 0, 7200 };
    }
    else if (peek(&c) != ',' || (c.s++, rule_day(&c, &r.start)) || peek(&c) != ','
             || (c.s++, rule_day(&c, &r.end)) || !at_end(&c))
        return -1;
    *out = r;
    return 0;
}

/* The day (days since the epoch) r names in year y. */
static int64_t rule_date(const tz_rule_day_t *r, int64_t y)
{
    int64_t jan1 = mez_days_from_civil(y, 1, 1), first, day;
    int leap = mez_days_in_month(y, 2) == 29, wday;
    switch (r->kind) {
    case 'J':
        return jan1 + r->day - 1 + (leap && r->day >= 60);
    case 'N':
        return jan1 + r->day;
    default:
        first = mez_days_from_civil(y, r->month, 1);
        wday = (int)((first % 7 + 7 + 4) % 7);       /* 1970-01-01 was a Thursday */
        day = first + (r->day - wday + 7) % 7 + (int64_t)(r->week - 1) * 7;
        while (day >= first + mez_days_in_month(y, r->month))
            day -= 7;                                   /* week 5: the last such weekday */
        return day;
    }
}

int32_t mez_tz_posix_offset(const tz_posix_t *r, int64_t t)
{
    int64_t y, days;
    int m, d;
    if (!r->has_dst)
        return r->std_off;
    days = mez_tz_floor_div(t + r->std_off, 86400);
    mez_civil_from_days(days, &y, &m, &d);
    /* The change days of the neighbouring years too: a transition time may be up to 167 hours from its day, and
     * a southern zone's daylight period runs from one year's start day into the next year's end day. */
    for (int64_t k = y - 1; k <= y + 1; k++) {
        int64_t start = rule_date(&r->start, k) * 86400 + r->start.time - r->std_off;
        int64_t end = rule_date(&r->end, k) * 86400 + r->end.time - r->dst_off;
        if (start >= end)
            end = rule_date(&r->end, k + 1) * 86400 + r->end.time - r->dst_off;
        if (t >= start && t < end)
            return r->dst_off;
    }
    return r->std_off;
}
