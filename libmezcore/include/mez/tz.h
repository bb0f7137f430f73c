/* mez/tz.h: a zone's time zone, for the dates the law applies on.
 *
 * An action's legal date (the day a payment is made, the rate card in force, the tax year, the day evidence must
 * hold on) is the date on the zone's own calendar, not UTC's: at 02:00 in Karachi on 1 July it is still 30 June in
 * UTC, and a payment judged by the UTC date would fall under the previous tax year's rows. Timestamps stay UTC
 * (credentials, audit, stored times); only the calendar date of an instant is the zone's.
 *
 * The IANA zone is read once, at zone load, from its TZif file (RFC 8536: the version 2+ 64-bit data and the
 * footer's POSIX TZ string, which governs every instant after the last transition) into a small immutable table;
 * converting an instant is then a binary search in it. Nothing here reads or changes the process's TZ, tzset() or
 * localtime(): those are global state, and a request thread must not depend on them. */
#ifndef MEZ_TZ_H
#define MEZ_TZ_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include "mez/problem.h"

/* Where the system's TZif files are (Debian and RPM's tzdata package). */
#define MEZ_TZ_DIR "/usr/share/zoneinfo"
/* The longest IANA name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define MEZ_TZ_NAME_MAX 64

typedef struct mez_tz_t mez_tz_t;

/* 1 when name has the shape of an IANA time zone name: components of letters, digits, '.', '_', '+' and '-'
 * separated by single '/', none of them "." or "..", none starting with '-' or '.', not absolute, at most
 * MEZ_TZ_NAME_MAX bytes. Only such a name is joined under the zoneinfo directory. */
int mez_tz_name_ok(const char *name);

/* Reads dir/name (dir NULL: MEZ_TZ_DIR) into *out, allocated from p and read-only afterwards (shareable between
 * threads). Problems (all 422 except io.*):
 *   tz.invalid_name  name fails mez_tz_name_ok;
 *   tz.unknown       there is no such file (no zone of that name: check the name, or install tzdata);
 *   tz.invalid_file  the file is not a TZif file mez can use (see mez_tz_parse);
 *   io.open, io.read the file exists but cannot be read (mez_file_open_regular_or_problem). */
mez_status_t mez_tz_load(apr_pool_t *p, const char *dir, const char *name, const mez_tz_t **out, mez_problem_t *pb);

/* Parses the bytes of a TZif file of version 2 or later for the zone called name. "tz.invalid_file" (422) when
 * the data is truncated or inconsistent, is version 1 only (no 64-bit data), carries leap seconds (a "right/"
 * zone: its times are not POSIX times), or has a footer TZ string that is not a POSIX TZ string. */
mez_status_t mez_tz_parse(apr_pool_t *p, const char *name, const unsigned char *buf, size_t len,
                          const mez_tz_t **out, mez_problem_t *pb);

/* UTC: no offset, ever. A static constant (immutable). */
const mez_tz_t *mez_tz_utc(void);

/* The name it was loaded as ("Asia/Karachi"); "UTC" for mez_tz_utc() and for NULL. */
const char *mez_tz_name(const mez_tz_t *tz);

/* The offset from UTC, in seconds east, in force at the instant unix_sec (seconds since 1970-01-01T00:00:00Z).
 * tz NULL: 0. */
int32_t mez_tz_offset(const mez_tz_t *tz, int64_t unix_sec);

/* The zone's calendar day of instant t, as days since 1970-01-01 (tz NULL: UTC's). */
int64_t mez_tz_day(const mez_tz_t *tz, apr_time_t t);

/* The zone's calendar date of instant t, "YYYY-MM-DD" (tz NULL: UTC's). */
const char *mez_tz_date(apr_pool_t *p, const mez_tz_t *tz, apr_time_t t);

/* The last whole second (as an apr_time_t) whose date on the zone's calendar is day (days since 1970-01-01): the
 * instant an attestation must still hold at to cover that whole day. Where the zone's clock is set back across
 * midnight, the later of the two; where midnight is skipped, the last second before the jump. tz NULL: UTC. */
apr_time_t mez_tz_end_of_day(const mez_tz_t *tz, int64_t day);

/* The start of day on the zone's calendar: the second after mez_tz_end_of_day(tz, day - 1), so where midnight is
 * skipped the instant the clock jumps to, and where the clock is set back just after midnight into the previous day
 * (a few zones did, before 2011) the second time 00:00 of day is reached, not the first. tz NULL: UTC. */
apr_time_t mez_tz_start_of_day(const mez_tz_t *tz, int64_t day);

/* A period of law of `days` days "from" the instant `from`, counted on the zone's calendar: the day `from` falls
 * on is not counted, the period is the `days` whole days after it, and what must wait for the period may be done
 * from the first second of the day after its last: the instant returned (mez_tz_start_of_day of
 * mez_tz_day(tz, from) + days + 1). Statutes count periods of days so, not in 24-hour steps: Pakistan's General
 * Clauses Act 1897 (Act X of 1897), s. 9(1), makes the word "from" exclude the first in a series of days, so a
 * 90-day period from a stage begun at 23:30 on 1 March in Karachi is 2 March to 30 May, and the stage may complete
 * from 00:00 on 31 May there (2026-05-30T19:00:00Z), neither at 23:30 on 30 May (90 x 24 hours on) nor later.
 * tz NULL: UTC's calendar. `days` is a period of law (0 to a few thousand): the caller bounds it, as a value far
 * beyond any calendar overflows the instant. */
apr_time_t mez_tz_period_end(const mez_tz_t *tz, apr_time_t from, int64_t days);

#endif
