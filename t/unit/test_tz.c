/* test_tz.c: CUnit suite for mez/tz.h: the TZif reader (RFC 8536) over the system's tzdata, the footer's POSIX
 * rule after the last transition, refusals (bad names, unknown zones, truncated or foreign files), and the zone's
 * calendar date of an instant, the date the law applies on (30 June 18:59:59 UTC is still 30 June in Karachi,
 * 19:00 is 1 July). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/tz.h"
#include "mez/vc.h"
#include "../../libmezcore/src/tz_int.h"
#include "unit.h"

/* Seconds since the epoch of y-m-d h:mi:s UTC. */
static int64_t utc(int64_t y, int m, int d, int h, int mi, int s)
{
    return mez_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

static apr_time_t at(int64_t y, int m, int d, int h, int mi, int s)
{
    return (apr_time_t)utc(y, m, d, h, mi, s) * APR_USEC_PER_SEC;
}

static const mez_tz_t *load(const char *name)
{
    mez_problem_t pb = { 0 };
    const mez_tz_t *tz = NULL;
    CU_ASSERT_EQUAL(mez_tz_load(unit_pool(), NULL, name, &tz, &pb), MEZ_OK);
    if (!tz)
        fprintf(stderr, "%s: %s %s\n", name, pb.code, pb.detail);
    return tz;
}

static void test_fixed_offset(void)
{
    apr_pool_t *p = unit_pool();
    const mez_tz_t *pk = load("Asia/Karachi"), *dubai = load("Asia/Dubai");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dubai);
    CU_ASSERT_STRING_EQUAL(mez_tz_name(pk), "Asia/Karachi");
    /* PKT is +05:00 with no daylight saving (2008-2009 had some; none since). */
    CU_ASSERT_EQUAL(mez_tz_offset(pk, utc(2026, 1, 15, 12, 0, 0)), 5 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(pk, utc(2026, 7, 15, 12, 0, 0)), 5 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(pk, utc(2300, 7, 15, 12, 0, 0)), 5 * 3600);    /* the footer, "PKT-5" */
    CU_ASSERT_EQUAL(mez_tz_offset(dubai, utc(2026, 7, 15, 12, 0, 0)), 4 * 3600);
    /* The new tax year in Pakistan starts at 19:00 UTC on 30 June. */
    CU_ASSERT_STRING_EQUAL(mez_tz_date(p, pk, at(2026, 6, 30, 18, 59, 59)), "2026-06-30");
    CU_ASSERT_STRING_EQUAL(mez_tz_date(p, pk, at(2026, 6, 30, 19, 0, 0)), "2026-07-01");
    CU_ASSERT_STRING_EQUAL(mez_tz_date(p, NULL, at(2026, 6, 30, 19, 0, 0)), "2026-06-30");
    CU_ASSERT_STRING_EQUAL(mez_tz_date(p, mez_tz_utc(), at(2026, 6, 30, 23, 59, 59)), "2026-06-30");
    CU_ASSERT_EQUAL(mez_tz_day(pk, at(2026, 6, 30, 19, 0, 0)), mez_days_from_civil(2026, 7, 1));
    /* The last second of 30 June in Karachi is 18:59:59 UTC. */
    CU_ASSERT_EQUAL(mez_tz_end_of_day(pk, mez_days_from_civil(2026, 6, 30)), at(2026, 6, 30, 18, 59, 59));
    CU_ASSERT_EQUAL(mez_tz_end_of_day(NULL, mez_days_from_civil(2026, 6, 30)), at(2026, 6, 30, 23, 59, 59));
    /* Kazakhstan moved Almaty from +06 to +05 on 1 March 2024. */
    {
        const mez_tz_t *kz = load("Asia/Almaty");
        CU_ASSERT_PTR_NOT_NULL_FATAL(kz);
        CU_ASSERT_EQUAL(mez_tz_offset(kz, utc(2024, 2, 29, 17, 59, 59)), 6 * 3600);
        CU_ASSERT_EQUAL(mez_tz_offset(kz, utc(2024, 2, 29, 18, 0, 0)), 5 * 3600);
        CU_ASSERT_EQUAL(mez_tz_offset(kz, utc(2026, 7, 1, 0, 0, 0)), 5 * 3600);
    }
}

static void test_daylight_saving(void)
{
    apr_pool_t *p = unit_pool();
    const mez_tz_t *ny = load("America/New_York"), *lon = load("Europe/London"), *syd = load("Australia/Sydney");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ny);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lon);
    CU_ASSERT_PTR_NOT_NULL_FATAL(syd);
    /* 2026: New York springs forward at 07:00 UTC on 8 March and falls back at 06:00 UTC on 1 November. */
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2026, 3, 8, 6, 59, 59)), -5 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2026, 3, 8, 7, 0, 0)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2026, 11, 1, 5, 59, 59)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2026, 11, 1, 6, 0, 0)), -5 * 3600);
    /* London: BST from 01:00 UTC on the last Sunday of March (29 March 2026) to that of October (25 October). */
    CU_ASSERT_EQUAL(mez_tz_offset(lon, utc(2026, 3, 29, 0, 59, 59)), 0);
    CU_ASSERT_EQUAL(mez_tz_offset(lon, utc(2026, 3, 29, 1, 0, 0)), 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(lon, utc(2026, 10, 25, 0, 59, 59)), 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(lon, utc(2026, 10, 25, 1, 0, 0)), 0);
    CU_ASSERT_STRING_EQUAL(mez_tz_date(p, lon, at(2026, 6, 30, 23, 0, 0)), "2026-07-01");
    /* Long after the file's last transition the footer rule decides: 2100's dates, by "EST5EDT,M3.2.0,M11.1.0". */
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2100, 3, 14, 6, 59, 59)), -5 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2100, 3, 14, 7, 0, 0)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2100, 11, 7, 5, 59, 59)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(ny, utc(2100, 11, 7, 6, 0, 0)), -5 * 3600);
    /* A southern zone's summer spans the new year ("AEST-10AEDT,M10.1.0,M4.1.0/3"). */
    CU_ASSERT_EQUAL(mez_tz_offset(syd, utc(2100, 1, 15, 0, 0, 0)), 11 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(syd, utc(2100, 4, 3, 15, 59, 59)), 11 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(syd, utc(2100, 4, 3, 16, 0, 0)), 10 * 3600);
    CU_ASSERT_EQUAL(mez_tz_offset(syd, utc(2100, 7, 1, 0, 0, 0)), 10 * 3600);
    /* The end of a day whose clock is set back: New York's 1 November 2026 ends at 04:59:59 UTC the next day. */
    CU_ASSERT_EQUAL(mez_tz_end_of_day(ny, mez_days_from_civil(2026, 11, 1)), at(2026, 11, 2, 4, 59, 59));
    CU_ASSERT_EQUAL(mez_tz_end_of_day(ny, mez_days_from_civil(2026, 3, 8)), at(2026, 3, 9, 3, 59, 59));
}

/* The reader against the C library's own, over centuries and many zones: every offset must agree. Only a test
 * sets TZ; the library never does. */
static void test_agrees_with_libc(void)
{
    static const char *const zones[] = { "Asia/Karachi", "Asia/Dubai", "Asia/Almaty", "America/Tegucigalpa",
                                         "Indian/Mahe", "Europe/London", "America/New_York", "Australia/Sydney",
                                         "Australia/Lord_Howe", "America/Santiago", "Africa/Casablanca",
                                         "Pacific/Chatham", "America/Nuuk", "Asia/Tehran", "Europe/Dublin", NULL };
    const char *saved = getenv("TZ");
    char *keep = saved ? strdup(saved) : NULL;
    int mismatches = 0;
    for (const char *const *z = zones; *z; z++) {
        const mez_tz_t *tz = load(*z);
        CU_ASSERT_PTR_NOT_NULL_FATAL(tz);
        setenv("TZ", *z, 1);
        tzset();
        for (int64_t t = utc(1960, 1, 1, 0, 0, 0); t < utc(2140, 1, 1, 0, 0, 0); t += 86400 * 7 + 3607) {
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            if (tm.tm_gmtoff != mez_tz_offset(tz, t) && mismatches++ < 5)
                fprintf(stderr, "%s at %lld: libc %ld, mez %d\n", *z, (long long)t, (long)tm.tm_gmtoff,
                        mez_tz_offset(tz, t));
        }
    }
    if (keep) {
        setenv("TZ", keep, 1);
        free(keep);
    }
    else
        unsetenv("TZ");
    tzset();
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_refusals(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const mez_tz_t *tz;
    static const char *const bad_names[] = { "", "/etc/passwd", "../etc/passwd", "Asia/../../etc/passwd",
                                             "Asia//Karachi", "Asia/", "./Asia/Karachi", "Asia/.Karachi",
                                             "Asia/Kara chi", "localtime", "-Asia", NULL };
    const char *dir = unit_tmpdir(), *path;
    size_t len;
    unsigned char *buf;

    CU_ASSERT_TRUE(mez_tz_name_ok("Asia/Karachi"));
    CU_ASSERT_TRUE(mez_tz_name_ok("America/Argentina/Buenos_Aires"));
    CU_ASSERT_TRUE(mez_tz_name_ok("Etc/GMT+5"));
    CU_ASSERT_TRUE(mez_tz_name_ok("UTC"));
    for (const char *const *n = bad_names; *n; n++) {
        CU_ASSERT_FALSE(mez_tz_name_ok(*n));
        CU_ASSERT_EQUAL(mez_tz_load(p, NULL, *n, &tz, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "tz.invalid_name");
        CU_ASSERT_PTR_NULL(tz);
    }
    CU_ASSERT_FALSE(mez_tz_name_ok(NULL));
    CU_ASSERT_EQUAL(mez_tz_load(p, NULL, "Mars/Olympus", &tz, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tz.unknown");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "Mars/Olympus"));
    /* A directory of zones is not a zone. */
    CU_ASSERT_EQUAL(mez_tz_load(p, NULL, "Asia", &tz, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tz.unknown");

    /* Cut short anywhere, the file is refused, never half read. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf = (unsigned char *)unit_read_file(MEZ_TZ_DIR "/Asia/Karachi", &len));
    CU_ASSERT_EQUAL(mez_tz_parse(p, "Asia/Karachi", buf, len, &tz, &pb), MEZ_OK);
    for (size_t cut = 0; cut < len; cut += (cut < 60 ? 1 : 7)) {
        CU_ASSERT_EQUAL(mez_tz_parse(p, "Asia/Karachi", buf, cut, &tz, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "tz.invalid_file");
        CU_ASSERT_PTR_NULL(tz);
    }
    /* A truncated file in a zoneinfo directory is refused by name at load. */
    path = apr_pstrcat(p, dir, "/Asia", NULL);
    CU_ASSERT_EQUAL(apr_dir_make(path, APR_OS_DEFAULT, p), APR_SUCCESS);
    {
        FILE *f = fopen(apr_pstrcat(p, path, "/Karachi", NULL), "wb");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fwrite(buf, 1, len / 2, f);
        fclose(f);
    }
    CU_ASSERT_EQUAL(mez_tz_load(p, dir, "Asia/Karachi", &tz, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tz.invalid_file");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "Asia/Karachi"));
    /* Version 1 only, and a foreign file. */
    buf[4] = '\0';
    CU_ASSERT_EQUAL(mez_tz_parse(p, "Asia/Karachi", buf, len, &tz, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "version 1"));
    CU_ASSERT_EQUAL(mez_tz_parse(p, "x", (const unsigned char *)"format: mez-zone/1\n", 19, &tz, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tz.invalid_file");
}

static void test_posix_rules(void)
{
    static const char *const good[] = { "PKT-5", "<+05>-5", "GMT0BST,M3.5.0/1,M10.5.0", "EST5EDT,M3.2.0,M11.1.0",
                                        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "IST-2IDT,M3.4.4/26,M10.5.0",
                                        "EST5EDT,0/0,J365/25", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "AAA3BBB",
                                        "XXX-5:30:15", NULL };
    static const char *const bad[] = { "", "P-5", "PKT", "PKT-25", "PKT-5X", "EST5EDT,M3.2.0",
                                       "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365",
                                       "EST5EDT,366,J365", "EST5EDT,M3.2.0/168,M11.1.0", "<+5>-5", "<+05-5", NULL };
    tz_posix_t r;
    for (const char *const *s = good; *s; s++) {
        int ok = mez_tz_posix_parse(*s, strlen(*s), &r) == 0;
        CU_ASSERT_TRUE(ok);
        if (!ok)
            fprintf(stderr, "refused: %s\n", *s);
    }
    for (const char *const *s = bad; *s; s++) {
        int ok = mez_tz_posix_parse(*s, strlen(*s), &r) == 0;
        CU_ASSERT_FALSE(ok);
        if (ok)
            fprintf(stderr, "accepted: %s\n", *s);
    }
    CU_ASSERT_EQUAL(mez_tz_posix_parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 36, &r), 0);
    CU_ASSERT_EQUAL(r.std_off, 10 * 3600 + 1800);
    CU_ASSERT_EQUAL(r.dst_off, 11 * 3600);
    /* DST all year: 1 January 00:00 standard to 31 December 25:00 daylight. */
    CU_ASSERT_EQUAL(mez_tz_posix_parse("EST5EDT,0/0,J365/25", 19, &r), 0);
    CU_ASSERT_EQUAL(mez_tz_posix_offset(&r, utc(2200, 1, 1, 12, 0, 0)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_posix_offset(&r, utc(2200, 12, 31, 23, 0, 0)), -4 * 3600);
    CU_ASSERT_EQUAL(mez_tz_posix_offset(&r, utc(2200, 7, 1, 0, 0, 0)), -4 * 3600);
}

/* A zone whose clock jumps across midnight at a time that is not on the hour (XST0XDT: at 23:30 on the second
 * Sunday of March it goes to 00:30), as a TZif file of no transitions and that footer rule: the day ends at
 * 23:29:59, the last second its date shows, not at 22:59:59 (23:59:59 less the offset after the jump), which
 * would leave half an hour of the day to an attestation that expired within it. */
static void test_end_of_day_when_the_clock_jumps_past_midnight(void)
{
    static const char footer[] = "\nXST0XDT,M3.2.0/23:30,M11.1.0/1\n";
    unsigned char buf[256], *q = buf;
    mez_problem_t pb = { 0 };
    const mez_tz_t *tz = NULL;
    for (int part = 0; part < 2; part++) {
        /* header: magic, version '2', 15 reserved, then isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
        static const unsigned char counts[24] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                                                  0, 0, 0, 4 };
        memcpy(q, "TZif2", 5);
        memset(q + 5, 0, 15);
        memcpy(q + 20, counts, 24);
        q += 44;
        memcpy(q, "\0\0\0\0\0\0XST", 10);     /* one type: utoff 0, isdst 0, designation at 0; "XST\0" */
        q[9] = 0;
        q += 10;
    }
    memcpy(q, footer, sizeof(footer) - 1);
    q += sizeof(footer) - 1;
    CU_ASSERT_EQUAL_FATAL(mez_tz_parse(unit_pool(), "Test/Jump", buf, (size_t)(q - buf), &tz, &pb), MEZ_OK);
    /* 10 March 2030 is the second Sunday of March */
    CU_ASSERT_EQUAL(mez_tz_offset(tz, utc(2030, 3, 10, 23, 29, 59)), 0);
    CU_ASSERT_EQUAL(mez_tz_offset(tz, utc(2030, 3, 10, 23, 30, 0)), 3600);
    CU_ASSERT_EQUAL(mez_tz_end_of_day(tz, mez_days_from_civil(2030, 3, 10)), at(2030, 3, 10, 23, 29, 59));
    /* an ordinary day still ends at 23:59:59 on its wall clock */
    CU_ASSERT_EQUAL(mez_tz_end_of_day(tz, mez_days_from_civil(2030, 3, 11)), at(2030, 3, 11, 22, 59, 59));
    CU_ASSERT_EQUAL(mez_tz_end_of_day(tz, mez_days_from_civil(2030, 1, 15)), at(2030, 1, 15, 23, 59, 59));
    /* and the next day starts at the jump, 00:30 on its wall clock */
    CU_ASSERT_EQUAL(mez_tz_start_of_day(tz, mez_days_from_civil(2030, 3, 11)), at(2030, 3, 10, 23, 30, 0));
}

/* A period of days from an instant is counted in days of the zone's calendar, the first day not counted
 * (General Clauses Act 1897 s. 9(1)): 90 days from 23:30 on 1 March in Karachi (18:30 UTC) are 2 March to 30 May,
 * over at 00:00 on 31 May there (19:00 UTC on 30 May), not 90 x 24 hours on (18:30 UTC on 30 May). Any instant of
 * 1 March in Karachi gives the same end; the first second of 2 March there, a day later. On UTC's calendar the same
 * instant is on 1 March too, and the period is over at 00:00 UTC on 31 May. Across a change of the clock the days
 * are still whole days: 7 days from noon on 1 March in New York are over at 00:00 EDT on 9 March (04:00 UTC). */
static void test_period_end(void)
{
    const mez_tz_t *pk = load("Asia/Karachi"), *ny = load("America/New_York");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ny);
    CU_ASSERT_EQUAL(mez_tz_period_end(pk, at(2026, 3, 1, 18, 30, 0), 90), at(2026, 5, 30, 19, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(pk, at(2026, 2, 28, 19, 0, 0), 90), at(2026, 5, 30, 19, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(pk, at(2026, 3, 1, 18, 59, 59), 90), at(2026, 5, 30, 19, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(pk, at(2026, 3, 1, 19, 0, 0), 90), at(2026, 5, 31, 19, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(mez_tz_utc(), at(2026, 3, 1, 18, 30, 0), 90), at(2026, 5, 31, 0, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(NULL, at(2026, 3, 1, 18, 30, 0), 90), at(2026, 5, 31, 0, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(NULL, at(2026, 3, 1, 0, 0, 0), 1), at(2026, 3, 3, 0, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_start_of_day(pk, mez_days_from_civil(2026, 5, 31)), at(2026, 5, 30, 19, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(ny, at(2026, 3, 1, 17, 0, 0), 7), at(2026, 3, 9, 4, 0, 0));
    CU_ASSERT_EQUAL(mez_tz_period_end(ny, at(2026, 10, 25, 16, 0, 0), 7), at(2026, 11, 2, 5, 0, 0));
}

void unit_register_tz(void)
{
    CU_pSuite s = unit_suite("tz");
    CU_add_test(s, "a fixed-offset zone, and the local date either side of its midnight", test_fixed_offset);
    CU_add_test(s, "daylight saving either side of transitions, and the footer rule after the last",
                test_daylight_saving);
    CU_add_test(s, "the reader agrees with the C library over 180 years of 15 zones", test_agrees_with_libc);
    CU_add_test(s, "bad and unknown names, truncated and foreign files", test_refusals);
    CU_add_test(s, "POSIX TZ strings of the footer", test_posix_rules);
    CU_add_test(s, "the end of a day whose clock jumps past midnight", test_end_of_day_when_the_clock_jumps_past_midnight);
    CU_add_test(s, "a period of days from an instant, on the zone's calendar", test_period_end);
}
