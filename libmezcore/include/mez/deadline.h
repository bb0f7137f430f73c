/* mez/deadline.h: days of law counted on a zone's calendar: which days are its weekend, by when an obligation's
 * deadline falls due (the forms of packs/README.md, "A deadline is exactly one of these forms"), and a term of
 * years.
 *
 * Pure functions of days (days since 1970-01-01, as mez_tz_day gives a zone's day of an instant): the caller turns
 * the instant into the zone's day first and the due day back into the instant it ends at (mez_tz_end_of_day), so
 * nothing here knows a time zone, and every answer is exact and the same on every machine.
 *
 * Counting follows the General Clauses Act 1897 (Act X of 1897), s. 9(1), as mez_tz_period_end does: a period
 * "from" an event excludes the event's day, so "7 days from the transaction" on 1 July ends with 8 July. A due day
 * that falls on a weekend is not moved: some laws allow the next day the office is open (the same Act, s. 10), but
 * that is the law of a jurisdiction, and the earlier day is never late. Business days are the days that are neither
 * the zone's weekend nor one of the public holidays its zone.yaml lists (public_holidays, below). The list is
 * complete for a stretch of days only (a moon-sighted holiday is known when its government notifies it): outside
 * that stretch a holiday is counted as a business day, so a due date mez gives may come before the true one, never
 * after it, and the result says so. */
#ifndef MEZ_DEADLINE_H
#define MEZ_DEADLINE_H

#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>

/* ------------------------------------------------------------------ weekdays and weekends */

/* Days of the week, ISO 8601 numbering: 1 Monday .. 7 Sunday. A weekend is a set of them as a bit mask. */
#define MEZ_WEEKDAY_BIT(iso) (1u << ((unsigned)(iso) - 1u))
/* Saturday and Sunday: the weekend of every shipped zone, and of a zone whose zone.yaml names none. */
#define MEZ_WEEKEND_DEFAULT (MEZ_WEEKDAY_BIT(6) | MEZ_WEEKDAY_BIT(7))

/* "monday" .. "sunday" for 1..7; NULL otherwise. */
const char *mez_weekday_name(int iso);
/* 1..7 for "monday" .. "sunday" (lower case, as zone.yaml spells them); 0 for anything else. */
int mez_weekday_parse(const char *name);
/* The ISO weekday (1..7) of a day. */
int mez_weekday_of(int64_t day);
/* The weekend to count with: mask, or MEZ_WEEKEND_DEFAULT when mask is 0 or holds every day (a week with no
 * business day would never end a period of business days). */
unsigned mez_weekend_effective(unsigned mask);
/* The weekend's days by name in ISO order (["saturday", "sunday"]); a new reference. */
json_t *mez_weekend_json(unsigned mask);

/* ------------------------------------------------------------------ counting */

/* The days a count ends within: 0001-01-01 and 9999-12-31 (days since 1970-01-01). A pack may state any number of
 * days or years up to 2^53 - 1 (the validator's bound); a count that would leave these days ends at them, so that
 * no date is written with more than four digits of year and no instant overflows. */
#define MEZ_DEADLINE_FIRST_DAY INT64_C(-719162)
#define MEZ_DEADLINE_LAST_DAY INT64_C(2932896)

/* A zone's public holidays (zone.yaml's public_holidays): the days its government has closed its offices on, other
 * than the weekend, as far as the zone's operator has listed them. from_day .. through_day is the stretch the list
 * is complete for; every listed day lies within it. */
typedef struct mez_holidays_t {
    int64_t from_day, through_day;
    const int64_t *days;       /* ascending, each once */
    const char *const *names;  /* names[i] is days[i]'s name ("Iqbal Day"); may be NULL */
    size_t n;
} mez_holidays_t;

/* "YYYY-MM-DD", a day of the proleptic Gregorian calendar from 0001 to 9999: 1 and *day (days since 1970-01-01),
 * else 0. */
int mez_deadline_day_parse(const char *s, int64_t *day);

/* The day n business days after day (n >= 0; day itself not counted, 0: day): each day of the weekend, and each of
 * the holidays (may be NULL), is passed over. At most MEZ_DEADLINE_LAST_DAY. */
int64_t mez_deadline_add_business_days(int64_t day, int64_t n, unsigned weekend, const mez_holidays_t *holidays);
/* How many of the holidays (may be NULL) fall on a business day of the week in (after, through]: the days a count
 * of business days over those days passed over besides the weekend; *first is the index of the first of them. */
size_t mez_holidays_passed(const mez_holidays_t *holidays, unsigned weekend, int64_t after, int64_t through,
                           size_t *first);
/* Those holidays as [{date, name}] (a new reference; [] for none or NULL). */
json_t *mez_holidays_passed_json(apr_pool_t *p, const mez_holidays_t *holidays, unsigned weekend, int64_t after,
                                 int64_t through);
/* The list as zone.yaml gives it, {complete_from, complete_through, days: [{date, name}]} ascending, or null when
 * holidays is NULL (a new reference). */
json_t *mez_holidays_json(apr_pool_t *p, const mez_holidays_t *holidays);
/* The corresponding day `years` years after day (years may be negative): the same month and day of the month,
 * or the month's last day where it has no such day (29 February in a common year is 28 February). Within
 * MEZ_DEADLINE_FIRST_DAY .. MEZ_DEADLINE_LAST_DAY. */
int64_t mez_deadline_add_years(int64_t day, int64_t years);

/* ------------------------------------------------------------------ obligations' deadlines */

typedef enum mez_deadline_form_t {
    MEZ_DEADLINE_DAYS,                    /* {days: N, from}: N calendar days after the event */
    MEZ_DEADLINE_BUSINESS_DAYS,           /* {business_days: N, from}: N business days after it */
    MEZ_DEADLINE_WITHOUT_DELAY,           /* {without_delay: true, from}: no number of days */
    MEZ_DEADLINE_AS_SOON_AS_PRACTICABLE,  /* {as_soon_as_practicable: true, from}: no number of days */
    MEZ_DEADLINE_DAY_OF_MONTH             /* {day_of_month: D, of}: day D of the month `of` names */
} mez_deadline_form_t;

typedef struct mez_deadline_t {
    mez_deadline_form_t form;
    int64_t n;                 /* days, business_days: N (>= 1); day_of_month: D (1..31); else 0 */
    const char *event;         /* from (of, for day_of_month): a slug such as "transaction", "suspicion" */
} mez_deadline_t;

/* A pack's deadline object in one of the forms (the pack validator's rule: exactly one form key, with `from`, or
 * with `of` for day_of_month); 0 and *out (event borrowed from o), or -1 when it is in none of them. */
int mez_deadline_from_json(const json_t *o, mez_deadline_t *out);

/* What an evaluation knows of the calendar besides the days: its weekend, and the year a "following year" is
 * counted from. */
typedef struct mez_deadline_calendar_t {
    unsigned weekend;          /* mask of MEZ_WEEKDAY_BIT; 0: MEZ_WEEKEND_DEFAULT */
    int year_start_month;      /* the year is the tax year starting on this month and day (zone.yaml's
                                * tax_year_start, for an obligation of a tax regpack); 0: the calendar year */
    int year_start_day;
    const mez_holidays_t *holidays;  /* the zone's public holidays; NULL: none known */
} mez_deadline_calendar_t;

/* A year's start as zone.yaml's tax_year_start writes it, "MM-DD": 1 with *month and *day set when it is a day every
 * year has (not 29 February), else 0. */
int mez_deadline_year_start(const char *mmdd, int *month, int *day);

/* The events an action fixes, from the day it is dated on (action_day): the time of every other event (a
 * suspicion formed, an internal report received, a change in registrable information) is not in the action, so
 * its deadline is given as the rule, without a date.
 *   from: transaction      the action's day;
 *   from: end_of_quarter   the last day of the calendar quarter the action's day falls in (31 March, 30 June,
 *                          30 September, 31 December);
 *   of: following_month    the month after the action's;
 *   of: <month>_following_year ("april_following_year")  the first such month that begins after the year the
 *                          action's day falls in has ended: its calendar year, or its tax year where cal names one
 *                          (a tax year of 1 July 2026 to 30 June 2027 is followed by April 2028 and by
 *                          September 2027).
 * A day_of_month beyond the month's length is its last day (31 of April is 30 April). */
typedef struct mez_deadline_due_t {
    int event_known;           /* 1: event_day is the day the time runs from */
    int64_t event_day;
    int dated;                 /* 1: due_day is the last day it may be done on */
    int64_t due_day;
    int holidays_known;        /* business days only: 1 when every day after event_day through due_day lies
                                * within the stretch cal's holidays are complete for, so due_day is exact; 0 when
                                * a holiday may have been counted as a business day (due_day may be early) */
    const char *why;           /* when not dated: why not (a static text) */
} mez_deadline_due_t;

void mez_deadline_due(const mez_deadline_t *d, int64_t action_day, const mez_deadline_calendar_t *cal,
                      mez_deadline_due_t *out);

#endif
