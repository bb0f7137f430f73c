/* tz_tzif.c: an IANA time zone read from its TZif file (RFC 8536) into an immutable table, and the zone's calendar
 * date of an instant looked up in it (mez/tz.h). Read once at zone load; a request only searches the table. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include "mez/file.h"
#include "mez/vc.h"
#include "tz_int.h"

/* A TZif file of a real zone is a few kilobytes; this bounds what a wrong path can make the loader read. */
#define TZIF_MAX_BYTES (1024 * 1024)
#define TZIF_HEADER 44

static const mez_tz_t utc = { "UTC", 0, NULL, NULL, 0, 0, { 0, 0, 0, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } } };

const mez_tz_t *mez_tz_utc(void)
{
    return &utc;
}

const char *mez_tz_name(const mez_tz_t *tz)
{
    return tz ? tz->name : "UTC";
}

int mez_tz_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0, run = 0;
    if (n == 0 || n > MEZ_TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
        return 0;
    /* The machine's own setting (a link to /etc/localtime on Debian) is not a zone's law. */
    if (!strcmp(name, "localtime"))
        return 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = name[i];
        if (ch == '/' || ch == '\0') {
            if (run == 0)
                return 0;                   /* "//" */
            run = 0;
            continue;
        }
        if (run == 0 && (ch == '.' || ch == '-'))
            return 0;                       /* ".", "..", ".hidden", "-x" */
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.'
              || ch == '_' || ch == '+' || ch == '-'))
            return 0;
        run++;
    }
    return 1;
}

/* ------------------------------------------------------------------ parsing */

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int64_t be64(const unsigned char *b)
{
    return (int64_t)((uint64_t)be32(b) << 32 | be32(b + 4));
}

typedef struct {
    uint32_t isut, isstd, leap, time, type, chars;
} counts_t;

static int header(const unsigned char *b, size_t len, char *version, counts_t *k)
{
    if (len < TZIF_HEADER || memcmp(b, "TZif", 4))
        return -1;
    *version = (char)b[4];
    k->isut = be32(b + 20);
    k->isstd = be32(b + 24);
    k->leap = be32(b + 28);
    k->time = be32(b + 32);
    k->type = be32(b + 36);
    k->chars = be32(b + 40);
    return 0;
}

/* Bytes of a data block whose times are tsize bytes wide (RFC 8536, 3.2). 64-bit arithmetic: counts are 32-bit. */
static uint64_t block_size(const counts_t *k, unsigned tsize)
{
    return (uint64_t)k->time * (tsize + 1) + (uint64_t)k->type * 6 + k->chars + (uint64_t)k->leap * (tsize + 4)
           + k->isstd + k->isut;
}

static mez_status_t bad(mez_problem_t *pb, apr_pool_t *p, const char *name, const char *why)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tz.invalid_file", NULL, "the time zone file of '%s' %s", name, why);
}

mez_status_t mez_tz_parse(apr_pool_t *p, const char *name, const unsigned char *buf, size_t len,
                          const mez_tz_t **out, mez_problem_t *pb)
{
    counts_t k1, k;
    char version, v2;
    uint64_t off1, size;
    const unsigned char *d, *types, *foot, *nl;
    mez_tz_t *tz;
    int64_t *at;
    int32_t *off;

    *out = NULL;
    if (header(buf, len, &version, &k1))
        return bad(pb, p, name, "is not a TZif file (RFC 8536)");
    if (version < '2')
        return bad(pb, p, name, "is TZif version 1, which has no 64-bit times: install a current tzdata");
    off1 = TZIF_HEADER + block_size(&k1, 4);
    if (off1 > len || header(buf + off1, len - off1, &v2, &k))
        return bad(pb, p, name, "is truncated (its version 1 data or second header is cut off)");
    size = block_size(&k, 8);
    if (size > len - off1 - TZIF_HEADER)
        return bad(pb, p, name, "is truncated (its 64-bit data is cut off)");
    if (k.type == 0 || k.chars == 0 || (k.isstd && k.isstd != k.type) || (k.isut && k.isut != k.type)
        || k.type > 256)
        return bad(pb, p, name, "has inconsistent counts in its header");
    if (k.leap)
        return bad(pb, p, name, "counts leap seconds (a \"right/\" zone): its times are not POSIX times");
    d = buf + off1 + TZIF_HEADER;
    types = d + (size_t)k.time * 9;

    tz = apr_pcalloc(p, sizeof(*tz));
    tz->name = apr_pstrdup(p, name);
    tz->n = k.time;
    tz->at = at = apr_palloc(p, (k.time + 1) * sizeof(*at));
    tz->off = off = apr_palloc(p, (k.time + 1) * sizeof(*off));
    for (uint32_t t = 0; t < k.type; t++) {
        int32_t u = (int32_t)be32(types + (size_t)t * 6);
        /* RFC 8536: never -2^31; real offsets are within a day either way. */
        if (u <= -89999 || u >= 93600 || types[t * 6 + 4] > 1 || types[t * 6 + 5] >= k.chars)
            return bad(pb, p, name, "has a local time type that is out of range");
    }
    tz->first_off = (int32_t)be32(types);
    for (uint32_t i = 0; i < k.time; i++) {
        unsigned idx = d[(size_t)k.time * 8 + i];
        at[i] = be64(d + (size_t)i * 8);
        if (idx >= k.type)
            return bad(pb, p, name, "has a transition to a local time type it does not define");
        if (i && at[i] <= at[i - 1])
            return bad(pb, p, name, "has transitions out of order");
        off[i] = (int32_t)be32(types + (size_t)idx * 6);
    }

    /* The footer: "\n" TZ "\n". An empty TZ string means the last type holds for ever. */
    foot = d + size;
    if (foot >= buf + len || *foot != '\n' || !(nl = memchr(foot + 1, '\n', (size_t)(buf + len - foot - 1))))
        return bad(pb, p, name, "is truncated (its footer is cut off)");
    if (nl > foot + 1) {
        if (mez_tz_posix_parse((const char *)foot + 1, (size_t)(nl - foot - 1), &tz->footer))
            return bad(pb, p, name, apr_psprintf(p, "has a footer rule that is not a POSIX TZ string ('%.*s')",
                                                 (int)(nl - foot - 1 > 64 ? 64 : nl - foot - 1), foot + 1));
        tz->has_footer = 1;
    }
    *out = tz;
    return MEZ_OK;
}

mez_status_t mez_tz_load(apr_pool_t *p, const char *dir, const char *name, const mez_tz_t **out, mez_problem_t *pb)
{
    struct stat st;
    const char *path;
    unsigned char *buf;
    size_t got = 0;
    int fd;

    *out = NULL;
    if (!mez_tz_name_ok(name))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tz.invalid_name", NULL,
                           "'%s' is not an IANA time zone name (Area/Location, such as Asia/Karachi)",
                           name ? name : "");
    path = apr_pstrcat(p, dir && *dir ? dir : MEZ_TZ_DIR, "/", name, NULL);
    if ((fd = mez_file_open_regular(path, &st)) < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == 0)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "tz.unknown", NULL,
                               "there is no time zone '%s' (no file %s: check the name against the IANA time zone "
                               "database, and that the tzdata package is installed)", name, path);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.open", NULL, "cannot open %s: %s", path, strerror(errno));
    }
    if (st.st_size > TZIF_MAX_BYTES) {
        close(fd);
        return bad(pb, p, name, "is larger than any TZif file");
    }
    buf = apr_palloc(p, (apr_size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != (size_t)st.st_size)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "cannot read %s: %s", path,
                           got < (size_t)st.st_size ? "it was cut short while being read" : strerror(errno));
    return mez_tz_parse(p, name, buf, got, out, pb);
}

/* ------------------------------------------------------------------ looking up */

int32_t mez_tz_offset(const mez_tz_t *tz, int64_t t)
{
    size_t lo, hi;
    if (!tz)
        return 0;
    if (tz->n == 0)
        return tz->has_footer ? mez_tz_posix_offset(&tz->footer, t) : tz->first_off;
    if (t < tz->at[0])
        return tz->first_off;
    if (t >= tz->at[tz->n - 1])
        return tz->has_footer ? mez_tz_posix_offset(&tz->footer, t) : tz->off[tz->n - 1];
    /* The last transition at or before t: at[lo] <= t < at[hi]. */
    lo = 0;
    hi = tz->n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->off[lo];
}

static int64_t seconds_of(apr_time_t t)
{
    return mez_tz_floor_div((int64_t)t, APR_USEC_PER_SEC);
}

int64_t mez_tz_day(const mez_tz_t *tz, apr_time_t t)
{
    int64_t s = seconds_of(t);
    return mez_tz_floor_div(s + mez_tz_offset(tz, s), 86400);
}

const char *mez_tz_date(apr_pool_t *p, const mez_tz_t *tz, apr_time_t t)
{
    return mez_date_of_day(p, mez_tz_day(tz, t));
}

apr_time_t mez_tz_end_of_day(const mez_tz_t *tz, int64_t day)
{
    /* 23:59:59 on that day's wall clock is the instant wall - offset, for the offset in force at that instant,
     * which lies within 26 hours of wall (no offset is larger): the offsets in force 26 hours either side and at
     * wall are the candidates (no zone changes its clock twice in two days). The latest candidate still on that
     * day wins (a clock set back across midnight shows 23:59:59 twice); when none is (the whole day skipped), the
     * latest before it. */
    int64_t wall = (day + 1) * 86400 - 1, best = INT64_MIN, fallback = INT64_MIN;
    int32_t cand[3] = { mez_tz_offset(tz, wall - 93600), mez_tz_offset(tz, wall), mez_tz_offset(tz, wall + 93600) };
    for (int i = 0; i < 3; i++) {
        int64_t s = wall - cand[i];
        if (mez_tz_floor_div(s + mez_tz_offset(tz, s), 86400) == day && s > best)
            best = s;
        if (mez_tz_floor_div(s + mez_tz_offset(tz, s), 86400) < day && s > fallback)
            fallback = s;
    }
    if (best == INT64_MIN)
        best = fallback == INT64_MIN ? wall : fallback;
    else if (best + mez_tz_offset(tz, best) != wall) {
        /* 23:59:59 does not exist that day: the clock jumped past it (23:30 -> 00:30, say), and the candidate
         * found is an earlier second on the day (22:59:59 by the offset after the jump). The day ends the second
         * before the jump, found by halving: the date is the day's at best and the next day's 26 hours on, and
         * moves forward only once in between (the clock jumps forward here, never back). */
        int64_t lo = best, hi = best + 93600;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (mez_tz_floor_div(mid + mez_tz_offset(tz, mid), 86400) == day)
                lo = mid;
            else
                hi = mid;
        }
        best = lo;
    }
    return (apr_time_t)best * APR_USEC_PER_SEC;
}

apr_time_t mez_tz_start_of_day(const mez_tz_t *tz, int64_t day)
{
    return mez_tz_end_of_day(tz, day - 1) + apr_time_from_sec(1);
}

apr_time_t mez_tz_period_end(const mez_tz_t *tz, apr_time_t from, int64_t days)
{
    return mez_tz_start_of_day(tz, mez_tz_day(tz, from) + days + 1);
}
