/* deadline.c: the days of law of mez/deadline.h: weekends, business days, terms of years, and the due day of an
 * obligation's deadline counted from the event an action fixes. Pure: days in, days out. */
#include <string.h>
#include <apr_strings.h>
#include "mez/deadline.h"
#include "mez/tensor.h"
#include "mez/vc.h"

static const char *const weekdays[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                        "sunday" };
static const char *const months[] = { "january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december" };

const char *mez_weekday_name(int iso)
{
    return iso >= 1 && iso <= 7 ? weekdays[iso - 1] : NULL;
}

int mez_weekday_parse(const char *name)
{
    for (int i = 0; name && i < 7; i++)
        if (!strcmp(name, weekdays[i]))
            return i + 1;
    return 0;
}

int mez_weekday_of(int64_t day)
{
    /* 1970-01-01 was a Thursday (ISO 4); the remainder is made non-negative for days before it. */
    int64_t r = (day + 3) % 7;
    return (int)(r < 0 ? r + 7 : r) + 1;
}

unsigned mez_weekend_effective(unsigned mask)
{
    mask &= 0x7fu;
    return mask == 0 || mask == 0x7fu ? MEZ_WEEKEND_DEFAULT : mask;
}

json_t *mez_weekend_json(unsigned mask)
{
    json_t *a = json_array();
    mask = mez_weekend_effective(mask);
    for (int i = 1; i <= 7; i++)
        if (mask & MEZ_WEEKDAY_BIT(i))
            json_array_append_new(a, json_string(weekdays[i - 1]));
    return a;
}

/* The count over the weekend alone. */
static int64_t add_weekdays(int64_t day, int64_t n, unsigned weekend)
{
    int open = 0;
    for (int i = 1; i <= 7; i++)
        open += !(weekend & MEZ_WEEKDAY_BIT(i));
    /* Whole weeks at once (each has `open` business days), leaving 1 .. open to count day by day. */
    if (n > open) {
        int64_t weeks = (n - 1) / open;
        if (weeks > (MEZ_DEADLINE_LAST_DAY - day) / 7)
            return MEZ_DEADLINE_LAST_DAY;
        day += weeks * 7;
        n -= weeks * open;
    }
    while (n > 0 && day < MEZ_DEADLINE_LAST_DAY) {
        day++;
        if (!(weekend & MEZ_WEEKDAY_BIT(mez_weekday_of(day))))
            n--;
    }
    return day > MEZ_DEADLINE_LAST_DAY ? MEZ_DEADLINE_LAST_DAY : day;
}

/* The index of the first listed day after `after` (n when there is none). */
static size_t first_after(const mez_holidays_t *h, int64_t after)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->days[mid] <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t mez_holidays_passed(const mez_holidays_t *h, unsigned weekend, int64_t after, int64_t through, size_t *first)
{
    size_t i, k = 0;
    weekend = mez_weekend_effective(weekend);
    i = h && h->n ? first_after(h, after) : 0;
    if (first)
        *first = i;
    for (; h && i < h->n && h->days[i] <= through; i++)
        k += !(weekend & MEZ_WEEKDAY_BIT(mez_weekday_of(h->days[i])));
    return k;
}

int64_t mez_deadline_add_business_days(int64_t day, int64_t n, unsigned weekend, const mez_holidays_t *holidays)
{
    int64_t end, counted_to;
    size_t k;
    weekend = mez_weekend_effective(weekend);
    end = add_weekdays(day, n, weekend);
    /* Each holiday on a business day of the week within what was counted took one of the n days: count that many
     * more after the end, which may reach further holidays in turn. The list is finite and ascending, so this ends
     * once the count has passed its last day. */
    counted_to = day;
    while (end < MEZ_DEADLINE_LAST_DAY && (k = mez_holidays_passed(holidays, weekend, counted_to, end, NULL)) > 0) {
        counted_to = end;
        end = add_weekdays(end, (int64_t)k, weekend);
    }
    return end;
}

int mez_deadline_day_parse(const char *s, int64_t *day)
{
    int32_t ymd;
    if (mez_tensor_date_parse(s, &ymd) != 0)
        return 0;
    *day = mez_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
    return 1;
}

/* {date, name} of the holidays' i-th day (its name left out when the list has none). */
static json_t *holiday_json(apr_pool_t *p, const mez_holidays_t *h, size_t i)
{
    return json_pack("{s:s, s:s?}", "date", mez_date_of_day(p, h->days[i]), "name", h->names ? h->names[i] : NULL);
}

json_t *mez_holidays_json(apr_pool_t *p, const mez_holidays_t *h)
{
    json_t *days;
    if (!h)
        return json_null();
    days = json_array();
    for (size_t i = 0; i < h->n; i++)
        json_array_append_new(days, holiday_json(p, h, i));
    return json_pack("{s:s, s:s, s:o}", "complete_from", mez_date_of_day(p, h->from_day), "complete_through",
                     mez_date_of_day(p, h->through_day), "days", days);
}

json_t *mez_holidays_passed_json(apr_pool_t *p, const mez_holidays_t *h, unsigned weekend, int64_t after,
                                 int64_t through)
{
    json_t *a = json_array();
    size_t first;
    weekend = mez_weekend_effective(weekend);
    if (mez_holidays_passed(h, weekend, after, through, &first) == 0)
        return a;
    for (size_t i = first; i < h->n && h->days[i] <= through; i++)
        if (!(weekend & MEZ_WEEKDAY_BIT(mez_weekday_of(h->days[i]))))
            json_array_append_new(a, holiday_json(p, h, i));
    return a;
}

/* Day d of month m of year y, or the month's last day where it is shorter. */
static int64_t clamped(int64_t y, int m, int d)
{
    int last = mez_days_in_month(y, m);
    return mez_days_from_civil(y, m, d > last ? last : d);
}

int64_t mez_deadline_add_years(int64_t day, int64_t years)
{
    int64_t y;
    int m, d;
    mez_civil_from_days(day, &y, &m, &d);
    if (years > 9999 - y)
        return MEZ_DEADLINE_LAST_DAY;
    if (years < 1 - y)
        return MEZ_DEADLINE_FIRST_DAY;
    return clamped(y + years, m, d);
}

int mez_deadline_year_start(const char *s, int *month, int *day)
{
    int m, d;
    if (!s || strlen(s) != 5 || s[2] != '-' || strspn(s, "0123456789") != 2 || strspn(s + 3, "0123456789") != 2)
        return 0;
    m = (s[0] - '0') * 10 + (s[1] - '0');
    d = (s[3] - '0') * 10 + (s[4] - '0');
    if (m < 1 || m > 12 || d < 1 || d > mez_days_in_month(2001, m))   /* 2001: not a leap year */
        return 0;
    *month = m;
    *day = d;
    return 1;
}

int mez_deadline_from_json(const json_t *o, mez_deadline_t *out)
{
    static const struct {
        const char *key;
        mez_deadline_form_t form;
        int counted;
    } forms[] = {
        { "days", MEZ_DEADLINE_DAYS, 1 },
        { "business_days", MEZ_DEADLINE_BUSINESS_DAYS, 1 },
        { "without_delay", MEZ_DEADLINE_WITHOUT_DELAY, 0 },
        { "as_soon_as_practicable", MEZ_DEADLINE_AS_SOON_AS_PRACTICABLE, 0 },
        { "day_of_month", MEZ_DEADLINE_DAY_OF_MONTH, 1 },
    };
    int found = 0;
    if (!json_is_object(o))
        return -1;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const json_t *v = json_object_get(o, forms[i].key);
        if (!v)
            continue;
        if (found++)
            return -1;
        out->form = forms[i].form;
        if (forms[i].counted) {
            if (!json_is_integer(v) || json_integer_value(v) < 1
                || (out->form == MEZ_DEADLINE_DAY_OF_MONTH && json_integer_value(v) > 31))
                return -1;
            out->n = json_integer_value(v);
        } else if (!json_is_true(v)) {
            return -1;
        }
    }
    if (!found)
        return -1;
    {
        int monthly = out->form == MEZ_DEADLINE_DAY_OF_MONTH;
        const json_t *ev = json_object_get(o, monthly ? "of" : "from");
        if (!json_is_string(ev) || !json_string_length(ev) || json_object_get(o, monthly ? "from" : "of"))
            return -1;
        out->event = json_string_value(ev);
    }
    return 0;
}

/* The last day of the year action_day falls in: its calendar year, or the tax year that starts on month/day. */
static int64_t year_end(int64_t action_day, const mez_deadline_calendar_t *cal)
{
    int64_t y;
    int m, d;
    mez_civil_from_days(action_day, &y, &m, &d);
    if (!cal || cal->year_start_month < 1 || cal->year_start_month > 12 || cal->year_start_day < 1)
        return mez_days_from_civil(y, 12, 31);
    {
        int64_t start = clamped(y, cal->year_start_month, cal->year_start_day);
        /* On or after this year's start day the tax year ends the day before next year's; else before this one. */
        return (action_day >= start ? clamped(y + 1, cal->year_start_month, cal->year_start_day) : start) - 1;
    }
}

/* "april_following_year" -> 4; 0 for anything else. */
static int following_year_month(const char *of)
{
    static const char suffix[] = "_following_year";
    size_t n = strlen(of), s = sizeof(suffix) - 1;
    if (n <= s || strcmp(of + n - s, suffix))
        return 0;
    for (int i = 0; i < 12; i++)
        if (strlen(months[i]) == n - s && !strncmp(of, months[i], n - s))
            return i + 1;
    return 0;
}

void mez_deadline_due(const mez_deadline_t *dl, int64_t action_day, const mez_deadline_calendar_t *cal,
                      mez_deadline_due_t *out)
{
    int64_t y;
    int m, d;

    memset(out, 0, sizeof(*out));
    mez_civil_from_days(action_day, &y, &m, &d);
    if (dl->form == MEZ_DEADLINE_DAY_OF_MONTH) {
        int month;
        if (!strcmp(dl->event, "following_month")) {
            out->dated = 1;
            out->due_day = m == 12 ? clamped(y + 1, 1, (int)dl->n) : clamped(y, m + 1, (int)dl->n);
        } else if ((month = following_year_month(dl->event)) != 0) {
            int64_t ey;
            int em, ed;
            /* The first such month that begins after the year has ended. */
            mez_civil_from_days(year_end(action_day, cal), &ey, &em, &ed);
            out->dated = 1;
            out->due_day = clamped(month > em ? ey : ey + 1, month, (int)dl->n);
        } else {
            out->why = "the month is named by an event the action does not date";
        }
        if (out->dated && out->due_day > MEZ_DEADLINE_LAST_DAY) {
            out->dated = 0;
            out->due_day = 0;
            out->why = "the due date would be after the year 9999";
        }
        return;
    }
    if (!strcmp(dl->event, "transaction")) {
        out->event_day = action_day;
    } else if (!strcmp(dl->event, "end_of_quarter")) {
        int qm = (m - 1) / 3 * 3 + 3;          /* the quarter's last month: 3, 6, 9, 12 */
        out->event_day = mez_days_from_civil(y, qm, mez_days_in_month(y, qm));
    } else {
        out->why = "the time runs from an event the action does not date: mez cannot know when it happened";
        return;
    }
    out->event_known = 1;
    switch (dl->form) {
    case MEZ_DEADLINE_DAYS:
    case MEZ_DEADLINE_BUSINESS_DAYS:
        out->due_day = dl->form == MEZ_DEADLINE_DAYS
                       ? (dl->n > MEZ_DEADLINE_LAST_DAY - out->event_day ? MEZ_DEADLINE_LAST_DAY + 1
                                                                         : out->event_day + dl->n)
                       : mez_deadline_add_business_days(out->event_day, dl->n, cal ? cal->weekend : 0,
                                                        cal ? cal->holidays : NULL);
        if (out->due_day >= MEZ_DEADLINE_LAST_DAY) {
            out->due_day = 0;
            out->why = "the due date would be after the year 9999";
            break;
        }
        out->dated = 1;
        if (dl->form == MEZ_DEADLINE_BUSINESS_DAYS && cal && cal->holidays)
            out->holidays_known = out->event_day >= cal->holidays->from_day - 1
                                  && out->due_day <= cal->holidays->through_day;
        break;
    case MEZ_DEADLINE_WITHOUT_DELAY:
        out->why = "the law sets no number of days: without delay from the event";
        break;
    case MEZ_DEADLINE_AS_SOON_AS_PRACTICABLE:
        out->why = "the law sets no number of days: as soon as practicable after the event";
        break;
    case MEZ_DEADLINE_DAY_OF_MONTH:
        break;                                  /* handled above */
    }
}
