/* test_deadline.c: CUnit suite for mez/deadline.h: weekdays and weekends, business days and terms of years, and the
 * due day of every deadline form the packs use, from the events an action fixes (the action's day, the end of its
 * quarter, the month after it, a month of the following calendar or tax year) and not from those it cannot date. */
#include <stdlib.h>
#include <string.h>
#include "mez/deadline.h"
#include "mez/json.h"
#include "mez/vc.h"
#include "unit.h"

static int64_t day(int64_t y, int m, int d)
{
    return mez_days_from_civil(y, m, d);
}

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return mez_json_pool_own(unit_pool(), v);
}

/* The due day of deadline text for an action on action_day (calendar NULL: calendar years, Saturday-Sunday). */
static mez_deadline_due_t due(const char *text, int64_t action_day, const mez_deadline_calendar_t *cal)
{
    mez_deadline_t dl;
    mez_deadline_due_t out;
    memset(&out, 0, sizeof(out));
    CU_ASSERT_EQUAL_FATAL(mez_deadline_from_json(J(text), &dl), 0);
    mez_deadline_due(&dl, action_day, cal, &out);
    return out;
}

static void test_weekdays(void)
{
    char *names;
    CU_ASSERT_EQUAL(mez_weekday_of(day(1970, 1, 1)), 4);         /* a Thursday */
    CU_ASSERT_EQUAL(mez_weekday_of(day(1969, 12, 28)), 7);       /* a Sunday, before the epoch */
    CU_ASSERT_EQUAL(mez_weekday_of(day(2026, 7, 1)), 3);         /* a Wednesday */
    CU_ASSERT_EQUAL(mez_weekday_of(day(2026, 7, 3)), 5);
    CU_ASSERT_EQUAL(mez_weekday_parse("saturday"), 6);
    CU_ASSERT_EQUAL(mez_weekday_parse("Saturday"), 0);           /* zone.yaml spells them in lower case */
    CU_ASSERT_EQUAL(mez_weekday_parse("sat"), 0);
    CU_ASSERT_EQUAL(mez_weekday_parse(NULL), 0);
    CU_ASSERT_STRING_EQUAL(mez_weekday_name(1), "monday");
    CU_ASSERT_PTR_NULL(mez_weekday_name(0));
    CU_ASSERT_PTR_NULL(mez_weekday_name(8));
    CU_ASSERT_EQUAL(mez_weekend_effective(0), MEZ_WEEKEND_DEFAULT);
    CU_ASSERT_EQUAL(mez_weekend_effective(0x7f), MEZ_WEEKEND_DEFAULT);    /* a week with no business day */
    CU_ASSERT_EQUAL(mez_weekend_effective(MEZ_WEEKDAY_BIT(5)), MEZ_WEEKDAY_BIT(5));
    names = json_dumps(mez_json_pool_own(unit_pool(), mez_weekend_json(MEZ_WEEKDAY_BIT(6) | MEZ_WEEKDAY_BIT(5))),
                       JSON_COMPACT);
    CU_ASSERT_STRING_EQUAL(names, "[\"friday\",\"saturday\"]");
    free(names);
}

static void test_business_days_and_years(void)
{
    unsigned fri_sat = MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6);
    /* Seven working days after Wednesday 1 July 2026: 2, 3, 6, 7, 8, 9, 10 July. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 7, 0, NULL), day(2026, 7, 10));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 7, MEZ_WEEKEND_DEFAULT, NULL), day(2026, 7, 10));
    /* A Friday-Saturday weekend (the UAE's before 2022): 2, 5, 6, 7, 8, 9, 12 July. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 7, fri_sat, NULL), day(2026, 7, 12));
    /* The business day after a Friday is the Monday; after a Saturday too. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 3), 1, 0, NULL), day(2026, 7, 6));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 4), 1, 0, NULL), day(2026, 7, 6));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 4), 0, 0, NULL), day(2026, 7, 4));
    /* A year is the corresponding day; 29 February has none in a common year. */
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2026, 7, 1), 1), day(2027, 7, 1));
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2024, 2, 29), 1), day(2025, 2, 28));
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2024, 2, 29), 4), day(2028, 2, 29));
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2026, 12, 31), 5), day(2031, 12, 31));
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2026, 3, 31), -1), day(2025, 3, 31));
    /* Long counts jump whole weeks: 10 business days after Wednesday 1 July are two weeks on; a count a pack may
     * state (up to 2^53 - 1) ends at once, within the years a date can be written in. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 10, 0, NULL), day(2026, 7, 15));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 5, 0, NULL), day(2026, 7, 8));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 3), 6, 0, NULL), day(2026, 7, 13));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), 261, 0, NULL), day(2027, 7, 1));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 7, 1), INT64_C(9007199254740991), 0, NULL),
                    MEZ_DEADLINE_LAST_DAY);
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2026, 7, 1), INT64_C(9007199254740991)), MEZ_DEADLINE_LAST_DAY);
    CU_ASSERT_EQUAL(mez_deadline_add_years(day(2026, 7, 1), -INT64_C(9007199254740991)), MEZ_DEADLINE_FIRST_DAY);
    CU_ASSERT_EQUAL(MEZ_DEADLINE_LAST_DAY, day(9999, 12, 31));
    CU_ASSERT_EQUAL(MEZ_DEADLINE_FIRST_DAY, day(1, 1, 1));
    CU_ASSERT_STRING_EQUAL(mez_date_of_day(unit_pool(), day(2026, 7, 1)), "2026-07-01");
    CU_ASSERT_STRING_EQUAL(mez_date_of_day(unit_pool(), MEZ_DEADLINE_FIRST_DAY), "0001-01-01");
}

/* The arithmetic of whole weeks agrees with counting day by day, for every start day of a fortnight, every count up
 * to eight weeks and several weekends. */
static void test_business_days_agree_with_counting(void)
{
    static const unsigned weekends[] = { 0, MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6), MEZ_WEEKDAY_BIT(7),
                                         MEZ_WEEKDAY_BIT(1) | MEZ_WEEKDAY_BIT(3) | MEZ_WEEKDAY_BIT(5),
                                         0x3fu /* only Sunday open */ };
    for (size_t w = 0; w < sizeof(weekends) / sizeof(weekends[0]); w++)
        for (int64_t start = day(2026, 7, 1); start < day(2026, 7, 15); start++)
            for (int64_t n = 0; n <= 56; n++) {
                int64_t d = start, left = n;
                unsigned we = mez_weekend_effective(weekends[w]);
                while (left > 0) {
                    d++;
                    if (!(we & MEZ_WEEKDAY_BIT(mez_weekday_of(d))))
                        left--;
                }
                CU_ASSERT_EQUAL(mez_deadline_add_business_days(start, n, weekends[w], NULL), d);
            }
}

/* Public holidays are passed over as the weekend is, and the count agrees with counting day by day for every start
 * of a month and every count up to ten weeks, holidays together, apart, on a weekend day and at the list's ends. */
static void test_business_days_over_public_holidays(void)
{
    /* Pakistan's federal holidays of autumn 2026 and two invented ones that make a run of three with a weekend. */
    static const int64_t ymd[][3] = { { 2026, 9, 1 }, { 2026, 9, 2 }, { 2026, 9, 4 }, { 2026, 9, 5 },
                                      { 2026, 11, 9 }, { 2026, 12, 25 } };
    int64_t days[6];
    mez_holidays_t h = { day(2026, 9, 1), day(2026, 12, 31), days, NULL, 6 };
    mez_deadline_calendar_t cal = { 0, 0, 0, &h };
    mez_deadline_due_t d;
    size_t first;
    for (int i = 0; i < 6; i++)
        days[i] = day(ymd[i][0], ymd[i][1], ymd[i][2]);

    /* Seven working days after Friday 6 November 2026: Monday 9 November (Iqbal Day) is not one, so 10 .. 13, 16,
     * 17, 18 November; without the holiday, 17 November. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 11, 6), 7, 0, &h), day(2026, 11, 18));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 11, 6), 7, 0, NULL), day(2026, 11, 17));
    /* One working day after Thursday 24 December 2026: Friday 25 is a holiday, then the weekend: Monday 28. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 12, 24), 1, 0, &h), day(2026, 12, 28));
    /* Saturday 5 September is a holiday on the weekend: it takes no day. Days 1, 2 and 4 September (Tuesday,
     * Wednesday, Friday) do: one working day after 31 August is Thursday 3 September, two is Monday 7. */
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 8, 31), 1, 0, &h), day(2026, 9, 3));
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 8, 31), 2, 0, &h), day(2026, 9, 7));
    CU_ASSERT_EQUAL(mez_holidays_passed(&h, 0, day(2026, 8, 31), day(2026, 9, 7), &first), 3);
    CU_ASSERT_EQUAL(first, 0);
    CU_ASSERT_EQUAL(mez_holidays_passed(&h, 0, day(2026, 9, 5), day(2026, 11, 8), &first), 0);
    CU_ASSERT_EQUAL(first, 4);
    CU_ASSERT_EQUAL(mez_holidays_passed(&h, 0, day(2026, 12, 25), day(2027, 1, 31), &first), 0);
    CU_ASSERT_EQUAL(first, 6);
    CU_ASSERT_EQUAL(mez_holidays_passed(NULL, 0, day(2026, 1, 1), day(2027, 1, 1), &first), 0);
    /* A Friday-Saturday weekend: Friday 4 September takes no day, Saturday 5 none, Sunday 6 is one. */
    CU_ASSERT_EQUAL(mez_holidays_passed(&h, MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6), day(2026, 8, 31),
                                        day(2026, 9, 7), NULL), 2);
    CU_ASSERT_EQUAL(mez_deadline_add_business_days(day(2026, 12, 24), INT64_C(9007199254740991), 0, &h),
                    MEZ_DEADLINE_LAST_DAY);

    for (int64_t start = day(2026, 8, 25); start <= day(2026, 12, 28); start += 3)
        for (int64_t n = 0; n <= 50; n++) {
            int64_t dd = start, left = n;
            while (left > 0) {
                int holiday = 0;
                dd++;
                for (int i = 0; i < 6; i++)
                    holiday |= days[i] == dd;
                if (!holiday && !(MEZ_WEEKEND_DEFAULT & MEZ_WEEKDAY_BIT(mez_weekday_of(dd))))
                    left--;
            }
            CU_ASSERT_EQUAL(mez_deadline_add_business_days(start, n, 0, &h), dd);
        }

    /* Dated within the list's days: exact. Counted past its last day: a holiday of 2027 may have been missed. */
    d = due("{\"business_days\": 7, \"from\": \"transaction\"}", day(2026, 11, 6), &cal);
    CU_ASSERT(d.dated && d.holidays_known);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 11, 18));
    d = due("{\"business_days\": 7, \"from\": \"transaction\"}", day(2026, 12, 24), &cal);
    CU_ASSERT(d.dated && !d.holidays_known);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 1, 5));
    /* Counted from the day before the list begins: every day counted is in it. */
    d = due("{\"business_days\": 1, \"from\": \"transaction\"}", day(2026, 8, 31), &cal);
    CU_ASSERT(d.dated && d.holidays_known);
    d = due("{\"business_days\": 1, \"from\": \"transaction\"}", day(2026, 8, 30), &cal);
    CU_ASSERT(d.dated && !d.holidays_known);
    /* Calendar days know nothing of holidays. */
    d = due("{\"days\": 7, \"from\": \"transaction\"}", day(2026, 11, 6), &cal);
    CU_ASSERT(d.dated && !d.holidays_known);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 11, 13));
}

static void test_day_parse(void)
{
    int64_t d = 0;
    CU_ASSERT(mez_deadline_day_parse("2026-12-25", &d));
    CU_ASSERT_EQUAL(d, day(2026, 12, 25));
    CU_ASSERT(mez_deadline_day_parse("2028-02-29", &d));
    CU_ASSERT(mez_deadline_day_parse("0001-01-01", &d));
    CU_ASSERT_EQUAL(d, MEZ_DEADLINE_FIRST_DAY);
    CU_ASSERT_FALSE(mez_deadline_day_parse("2027-02-29", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse("0000-01-01", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse("2026-13-01", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse("2026-12-25T00:00:00Z", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse("2026-1-25", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse("+026-12-25", &d));
    CU_ASSERT_FALSE(mez_deadline_day_parse(NULL, &d));
}

static void test_days_from_the_action(void)
{
    mez_deadline_calendar_t fri_sat = { MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6), 0, 0, NULL };
    mez_deadline_due_t d;
    /* "within seven days of the transaction": the transaction's day is not counted. */
    d = due("{\"days\": 7, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.event_known && d.dated);
    CU_ASSERT_EQUAL(d.event_day, day(2026, 7, 1));
    CU_ASSERT_EQUAL(d.due_day, day(2026, 7, 8));
    CU_ASSERT_PTR_NULL(d.why);
    d = due("{\"business_days\": 7, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.dated);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 7, 10));
    d = due("{\"business_days\": 7, \"from\": \"transaction\"}", day(2026, 7, 1), &fri_sat);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 7, 12));
    /* Kazakhstan's "no later than the business day following": a Friday's report is due on Monday. */
    d = due("{\"business_days\": 1, \"from\": \"transaction\"}", day(2026, 7, 3), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 7, 6));
    /* Fifteen days from the end of the calendar quarter. */
    d = due("{\"days\": 15, \"from\": \"end_of_quarter\"}", day(2026, 5, 20), NULL);
    CU_ASSERT(d.event_known && d.dated);
    CU_ASSERT_EQUAL(d.event_day, day(2026, 6, 30));
    CU_ASSERT_EQUAL(d.due_day, day(2026, 7, 15));
    d = due("{\"days\": 15, \"from\": \"end_of_quarter\"}", day(2026, 12, 31), NULL);
    CU_ASSERT_EQUAL(d.event_day, day(2026, 12, 31));
    CU_ASSERT_EQUAL(d.due_day, day(2027, 1, 15));
    d = due("{\"days\": 15, \"from\": \"end_of_quarter\"}", day(2024, 1, 1), NULL);
    CU_ASSERT_EQUAL(d.event_day, day(2024, 3, 31));
    /* Without delay: the event is the action's day, but the law sets no number of days. */
    d = due("{\"without_delay\": true, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.event_known && !d.dated);
    CU_ASSERT_EQUAL(d.event_day, day(2026, 7, 1));
    CU_ASSERT_PTR_NOT_NULL(d.why);
    d = due("{\"as_soon_as_practicable\": true, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.event_known && !d.dated && d.why);
    /* The largest count a pack may state: no date beyond the year 9999, and said so. */
    d = due("{\"days\": 9007199254740991, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.event_known && !d.dated);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "9999"));
    d = due("{\"business_days\": 9007199254740991, \"from\": \"transaction\"}", day(2026, 7, 1), NULL);
    CU_ASSERT(d.event_known && !d.dated);
    d = due("{\"days\": 9, \"from\": \"transaction\"}", day(9999, 12, 30), NULL);
    CU_ASSERT(!d.dated);
}

static void test_events_the_action_does_not_date(void)
{
    static const char *const rows[] = {
        "{\"days\": 7, \"from\": \"suspicion\"}",
        "{\"business_days\": 7, \"from\": \"suspicion\"}",
        "{\"without_delay\": true, \"from\": \"suspicion\"}",
        "{\"as_soon_as_practicable\": true, \"from\": \"internal_notification\"}",
        "{\"days\": 14, \"from\": \"becoming_beneficial_owner\"}",
        "{\"days\": 14, \"from\": \"change_in_registrable_information\"}",
        "{\"day_of_month\": 15, \"of\": \"month_of_the_agm\"}",
        "{\"day_of_month\": 15, \"of\": \"smarch_following_year\"}",
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        mez_deadline_due_t d = due(rows[i], day(2026, 7, 1), NULL);
        CU_ASSERT(!d.dated && !d.event_known);
        CU_ASSERT_PTR_NOT_NULL(d.why);
    }
}

static void test_day_of_month(void)
{
    mez_deadline_calendar_t pk = { 0, 7, 1, NULL };      /* a tax year from 1 July (Pakistan, ITO 2001 s. 74) */
    mez_deadline_due_t d;
    /* The annual return of calendar year 2026 by 30 April 2027, whatever day of 2026 the action is on. */
    d = due("{\"day_of_month\": 30, \"of\": \"april_following_year\"}", day(2026, 11, 25), NULL);
    CU_ASSERT(d.dated && !d.event_known);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 4, 30));
    d = due("{\"day_of_month\": 30, \"of\": \"april_following_year\"}", day(2026, 1, 1), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 4, 30));
    d = due("{\"day_of_month\": 31, \"of\": \"march_following_year\"}", day(2026, 12, 31), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 3, 31));
    /* Tax year 2027 runs 1 July 2026 to 30 June 2027: the first April after it is 2028's, the first September
     * 2027's; 30 June 2026 is still in tax year 2026. */
    d = due("{\"day_of_month\": 30, \"of\": \"april_following_year\"}", day(2026, 8, 1), &pk);
    CU_ASSERT_EQUAL(d.due_day, day(2028, 4, 30));
    d = due("{\"day_of_month\": 30, \"of\": \"september_following_year\"}", day(2026, 8, 1), &pk);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 9, 30));
    d = due("{\"day_of_month\": 30, \"of\": \"april_following_year\"}", day(2026, 6, 30), &pk);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 4, 30));
    d = due("{\"day_of_month\": 30, \"of\": \"june_following_year\"}", day(2026, 7, 1), &pk);
    CU_ASSERT_EQUAL(d.due_day, day(2028, 6, 30));
    /* A day the month does not have is its last. */
    d = due("{\"day_of_month\": 31, \"of\": \"following_month\"}", day(2026, 1, 15), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2026, 2, 28));
    d = due("{\"day_of_month\": 31, \"of\": \"following_month\"}", day(2026, 12, 10), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2027, 1, 31));
    d = due("{\"day_of_month\": 29, \"of\": \"february_following_year\"}", day(2027, 3, 1), NULL);
    CU_ASSERT_EQUAL(d.due_day, day(2028, 2, 29));
}

static void test_forms_refused(void)
{
    static const char *const bad[] = {
        "{}", "[]", "{\"from\": \"transaction\"}",
        "{\"days\": 7}",                                               /* no event */
        "{\"days\": 0, \"from\": \"transaction\"}",
        "{\"days\": \"7\", \"from\": \"transaction\"}",
        "{\"days\": 7, \"business_days\": 7, \"from\": \"transaction\"}",
        "{\"days\": 7, \"of\": \"following_month\"}",
        "{\"days\": 7, \"from\": \"transaction\", \"of\": \"following_month\"}",
        "{\"without_delay\": false, \"from\": \"suspicion\"}",
        "{\"day_of_month\": 32, \"of\": \"following_month\"}",
        "{\"day_of_month\": 5, \"from\": \"transaction\"}",
        "{\"days\": 7, \"from\": \"\"}",
    };
    mez_deadline_t dl;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(mez_deadline_from_json(J(bad[i]), &dl), -1);
    CU_ASSERT_EQUAL(mez_deadline_from_json(NULL, &dl), -1);
    CU_ASSERT_EQUAL(mez_deadline_from_json(J("{\"day_of_month\": 31, \"of\": \"march_following_year\"}"), &dl), 0);
    CU_ASSERT_EQUAL(dl.form, MEZ_DEADLINE_DAY_OF_MONTH);
    CU_ASSERT_EQUAL(dl.n, 31);
    CU_ASSERT_STRING_EQUAL(dl.event, "march_following_year");
}

void unit_register_deadline(void)
{
    CU_pSuite s = unit_suite("deadline");
    CU_add_test(s, "weekdays, weekends and their names", test_weekdays);
    CU_add_test(s, "business days over weekends, and terms of years", test_business_days_and_years);
    CU_add_test(s, "business days by whole weeks agree with counting day by day",
                test_business_days_agree_with_counting);
    CU_add_test(s, "business days over public holidays, and whether the list covers the count",
                test_business_days_over_public_holidays);
    CU_add_test(s, "a day written YYYY-MM-DD", test_day_parse);
    CU_add_test(s, "days and business days from the action's day and its quarter's end", test_days_from_the_action);
    CU_add_test(s, "events the action does not date give the rule without a date",
                test_events_the_action_does_not_date);
    CU_add_test(s, "a day of the following month or of a month of the following calendar or tax year",
                test_day_of_month);
    CU_add_test(s, "deadlines in no form are refused", test_forms_refused);
}
