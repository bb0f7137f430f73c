/* tensor_deadline.c: by when an obligation an evaluation opens must be met: the obligation row's deadline, dated
 * on the zone's calendar from the event the action fixes (mez/deadline.h), or given as the rule where the action
 * cannot date that event. A compliance officer reads the due date; a result never guesses one. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <apr_strings.h>
#include "mez/tz.h"
#include "mez/vc.h"
#include "tensor_int.h"

/* The version of the obligation in force on the action's date that binds its jurisdiction: pack's own first (the
 * threshold or tax rate naming it is of that pack), else another's (an overlay's row that replaced it). */
static const obligation_t *obligation_in_force(const eval_t *ev, const char *id, const pack_t *pack)
{
    const apr_array_header_t *rows = apr_hash_get(ev->ix->obligations, id, APR_HASH_KEY_STRING);
    const obligation_t *best = NULL;
    for (int i = 0; rows && i < rows->nelts; i++) {
        const obligation_t *o = APR_ARRAY_IDX(rows, i, const obligation_t *);
        if (!pack_applies(o->h.pack, ev->a->jurisdiction) || !in_force(o->h.from, o->h.to, ev->a->day))
            continue;
        if (!best || (o->h.pack == pack && best->h.pack != pack))
            best = o;
    }
    return best;
}

/* The calendar the deadline is counted on: the zone's weekend, and its tax year for an obligation of a tax regpack
 * (the "following year" of a tax return is the one after the tax year, not after the calendar year). */
static void calendar_for(const eval_t *ev, const obligation_t *o, mez_deadline_calendar_t *cal)
{
    const char *s = ev->opts ? ev->opts->tax_year_start : NULL;
    cal->weekend = ev->opts ? ev->opts->weekend : 0;
    cal->holidays = ev->opts ? ev->opts->holidays : NULL;
    if (!(s && o->h.pack->domain == MEZ_DOMAIN_TAX
          && mez_deadline_year_start(s, &cal->year_start_month, &cal->year_start_day)))
        cal->year_start_month = cal->year_start_day = 0;
}

/* The public holidays a dated count of business days passed over ("public_holidays": date and name of each), whether
 * the due date is exact ("public_holidays_known": the zone's list is complete for every day counted), and a detail
 * that says which. A holiday the list does not hold was counted as a business day: the due date may then be early,
 * never late, which is the side a compliance officer can act on. */
static void business_days_holidays(eval_t *ev, json_t *dl, const mez_deadline_calendar_t *cal,
                                   const mez_deadline_due_t *due)
{
    const mez_holidays_t *h = cal->holidays;
    json_object_set_new_nocheck(dl, "public_holidays",
                                mez_holidays_passed_json(ev->p, h, cal->weekend, due->event_day, due->due_day));
    json_object_set_new_nocheck(dl, "public_holidays_known", json_boolean(due->holidays_known));
    if (!h)
        set_str(NULL, dl, "detail", "business days are the days that are not the zone's weekend: the zone lists no "
                "public holidays (zone.yaml's public_holidays), so they are counted as business days and the last "
                "day the law allows may be later, never earlier");
    else if (due->holidays_known)
        set_str(NULL, dl, "detail", apr_psprintf(ev->p, "business days are the days that are neither the zone's "
                "weekend nor one of its public holidays (zone.yaml's public_holidays, complete from %s through %s)",
                mez_date_of_day(ev->p, h->from_day), mez_date_of_day(ev->p, h->through_day)));
    else
        set_str(NULL, dl, "detail", apr_psprintf(ev->p, "business days are the days that are neither the zone's "
                "weekend nor one of its public holidays, which the zone lists from %s through %s only (zone.yaml's "
                "public_holidays): a holiday outside those days is counted as a business day, so the last day the "
                "law allows may be later, never earlier", mez_date_of_day(ev->p, h->from_day),
                mez_date_of_day(ev->p, h->through_day)));
}

void mez_tensor_deadline(eval_t *ev, json_t *o, const char *obligation_id, const pack_t *pack)
{
    const obligation_t *ob = obligation_id ? obligation_in_force(ev, obligation_id, pack) : NULL;
    const mez_tz_t *tz = ev->opts ? ev->opts->tz : NULL;
    const mez_tensor_action_t *a = ev->a;
    mez_deadline_calendar_t cal;
    mez_deadline_due_t due;
    json_t *dl;
    int64_t action_day;

    if (!ob || !ob->deadline_json)
        return;
    calendar_for(ev, ob, &cal);
    action_day = mez_days_from_civil(a->day / 10000, a->day / 100 % 100, a->day % 100);
    mez_deadline_due(&ob->deadline, action_day, &cal, &due);
    dl = json_object();
    mez_tensor_cite(ev, dl, &ob->h);
    if (ev->detail == MEZ_TENSOR_DETAIL_FULL)
        set_str(ev->ix, dl, "description", ob->description);
    set_str(ev->ix, dl, "regulator", ob->regulator);
    set_str(ev->ix, dl, "channel", ob->channel);
    json_object_set_new_nocheck(dl, "form", mez_tensor_copy_value(ev->ix, ob->deadline_json));
    if (due.event_known)
        set_str(NULL, dl, "from_date", mez_date_of_day(ev->p, due.event_day));
    json_object_set_new_nocheck(dl, "dated", json_boolean(due.dated));
    if (due.dated) {
        set_str(NULL, dl, "due_date", mez_date_of_day(ev->p, due.due_day));
        /* The last second of that day where the zone is: Karachi's 10 July ends at 18:59:59 UTC. */
        set_str(NULL, dl, "due_by", mez_time_stamp(ev->p, mez_tz_end_of_day(tz, due.due_day)));
    }
    set_str(NULL, dl, "timezone", mez_tz_name(tz));
    if (cal.year_start_month && ob->deadline.form == MEZ_DEADLINE_DAY_OF_MONTH)
        set_str(NULL, dl, "tax_year_start", ev->opts->tax_year_start);
    switch (ob->deadline.form) {
    case MEZ_DEADLINE_BUSINESS_DAYS:
        json_object_set_new_nocheck(dl, "weekend", mez_weekend_json(cal.weekend));
        if (due.dated)
            business_days_holidays(ev, dl, &cal, &due);
        else
            set_str(NULL, dl, "detail", due.why);
        break;
    case MEZ_DEADLINE_DAYS:
    case MEZ_DEADLINE_WITHOUT_DELAY:
    case MEZ_DEADLINE_AS_SOON_AS_PRACTICABLE:
    case MEZ_DEADLINE_DAY_OF_MONTH:
        set_str(NULL, dl, "detail", due.why);
        break;
    }
    json_object_set_new_nocheck(o, "deadline", dl);
}
