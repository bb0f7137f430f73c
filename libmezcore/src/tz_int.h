/* tz_int.h: what the two halves of the time zone reader share (tz_tzif.c reads the TZif file and looks instants up
 * in its transitions, tz_posix.c reads and applies the footer's POSIX TZ string). Not installed. */
#ifndef MEZ_TZ_INT_H
#define MEZ_TZ_INT_H

#include <stddef.h>
#include <stdint.h>
#include "mez/tz.h"

/* One end of a POSIX daylight-saving period: the day ('J' Julian 1..365 never counting 29 February; 'N' zero-based
 * 0..365 counting it; 'M' the d-th weekday (0 Sunday) of week w (1..5, 5 the last) of month m) and the local time
 * of day the change happens at, in seconds (RFC 8536 allows -167..167 hours). */
typedef struct tz_rule_day_t {
    char kind;
    int month, week, day;
    int32_t time;
} tz_rule_day_t;

/* A POSIX TZ string ("PKT-5", "GMT0BST,M3.5.0/1,M10.5.0"): the standard offset, and when has_dst the daylight
 * offset and the two days it runs between. Offsets are seconds east of UTC (the string's sign is the opposite). */
typedef struct tz_posix_t {
    int32_t std_off, dst_off;
    int has_dst;
    tz_rule_day_t start, end;
} tz_posix_t;

struct mez_tz_t {
    const char *name;
    size_t n;                 /* transitions */
    const int64_t *at;        /* their instants, seconds since the epoch, strictly ascending */
    const int32_t *off;       /* the offset in force from at[i] on */
    int32_t first_off;        /* before at[0]: time type 0 (RFC 8536, 3.2) */
    int has_footer;           /* 1: footer governs every instant from the last transition on (or all of them) */
    tz_posix_t footer;
};

/* Parses s[0..len) as a POSIX TZ string as RFC 8536 section 3.3 allows it; 0, or -1 when it is not one. */
int mez_tz_posix_parse(const char *s, size_t len, tz_posix_t *out);
/* The offset rule r gives at instant t. */
int32_t mez_tz_posix_offset(const tz_posix_t *r, int64_t t);

/* floor(a / b) for b > 0, whatever a's sign (C's '/' truncates towards zero). */
static inline int64_t mez_tz_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

#endif
