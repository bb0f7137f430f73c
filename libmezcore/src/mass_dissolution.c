/* mass_dissolution.c: the ten-stage dissolution saga of an entity (entities contract, tag "dissolution"):
 *
 *   POST /v1/entities/{id}/dissolution/initiate   InitiateDissolutionRequest -> 202 DissolutionStatus at stage 1
 *        (board_resolution); the entity goes ACTIVE -> DISSOLVING (any other state: the lifecycle's 409).
 *        A voluntary dissolution needs a solvency declaration that declares the company solvent, whose
 *        statement of assets does not contradict it (assets >= liabilities) and whose signatures are within
 *        its validity period (default 35 days) — "entity.not_solvent", "entity.solvency_contradicted",
 *        "entity.solvency_declaration_stale".
 *   GET  /v1/entities/{id}/dissolution/status     DissolutionStatus; 404 "mass.not_found" when none was initiated.
 *   POST /v1/entities/{id}/dissolution/advance    (extension) {outputs?: [ArtifactRef], reason?} -> 200
 *        DissolutionStatus: the current stage completes (its outputs recorded, also in documents_produced) and
 *        the next begins; completing stage 10 dissolves the entity (DISSOLVING -> DISSOLVED, overall_status
 *        completed). The statutory periods are enforced, not only documented (the reference left them
 *        unenforced): notify_creditors cannot complete before creditor_notice_period_days from the day it began
 *        (the creditors' claims window); the last stage, the company struck off the register, not before
 *        minimum_liquidation_period_days from the day of initiation nor before strike_off_notice_period_days from
 *        the day it began, when the final documents were filed (the registrar's notice: a company wound up
 *        voluntarily is dissolved "on the expiration of three months from the date of the registration" of the
 *        liquidator's return; all three default 90, mez/lifecycle.h) — 409 "entity.dissolution_period_running"
 *        naming the period that runs longest, the earliest time (earliest_completion_at, UTC), its date and the
 *        calendar it was counted on (earliest_completion_date, timezone). A period of days in law is counted in
 *        days of the calendar, the day it runs from excluded (mez_tz_period_end), not in 24-hour steps: on the
 *        zone's calendar (ctx->tz); where the store knows none (mez/mass.h) so that the period has run on every
 *        calendar (period_end), which the answer says. final_accounts_deadline_days is recorded with the request
 *        and binds no stage: it is a time allowed after the dissolution, which the contract's status cannot
 *        carry. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "mass_registry.h"
#include "mass_values.h"

#define PERIOD_DEFAULT_DAYS 90
#define PERIOD_MAX_DAYS 3650
#define SOLVENCY_VALIDITY_DEFAULT_DAYS 35

static const char *const dissolution_types[] = { "voluntary", "involuntary", "court_supervised", NULL };
static const char *const period_names[] = { "creditor_notice_period_days", "final_accounts_deadline_days",
                                            "strike_off_notice_period_days", "minimum_liquidation_period_days",
                                            NULL };

typedef struct saga_t {
    const char *dissolution_id, *initiated_at, *stage_started_at;
    int stage;
    json_t *doc;       /* DissolutionStatus */
    json_t *request;   /* the accepted request, with every period filled in */
} saga_t;

static json_t *own(mez_mass_call_t *c, json_t *v)
{
    return mez_json_pool_own(c->p, v);
}

static mez_status_t refuse_problem(mez_mass_call_t *c, const mez_problem_t *pb)
{
    return mez_mass_refuse(c, pb->status, pb->code, pb->pointer, "%s", pb->detail);
}

/* The calendar the store counts days on, as its answers name it: the zone's, or none where the store was given
 * none (mez/mass.h: the mez CLI without --timezone, a zone without a zone.yaml), which is then said. */
static const char *calendar(mez_mass_call_t *c)
{
    return c->ctx->tz ? apr_psprintf(c->p, "the %s calendar", mez_tz_name(c->ctx->tz))
                      : "no zone calendar (this store was given none: counted so that the period has run on "
                        "every calendar, from the day it began at UTC+14 to 00:00 at UTC-12)";
}

/* The offsets of the first and the last places on Earth to reach a date (UTC+14, UTC-12), in seconds. */
#define EARTH_FIRST_OFFSET (14 * 3600)
#define EARTH_LAST_OFFSET (-12 * 3600)

/* A period of law of `days` days from `from` (mez_tz_period_end). Without the zone's calendar the store does not
 * know which day `from` fell on where the act was done, nor when the period's last day ended there, and counting
 * UTC's days would let a zone west of UTC complete a stage on its 90th day. So a period something must wait for
 * (`waits`) is counted from the latest date `from` falls on anywhere (UTC+14) to the last midnight on Earth after
 * it (UTC-12), and one something holds for (a declaration's validity) from the earliest date (UTC-12) to the first
 * midnight (UTC+14): either way the answer is right on every calendar, a day or two on the safe side. */
static apr_time_t period_end(const mez_mass_call_t *c, apr_time_t from, long days, int waits)
{
    int64_t s, day;
    if (c->ctx->tz)
        return mez_tz_period_end(c->ctx->tz, from, days);
    s = (int64_t)apr_time_sec(from) + (waits ? EARTH_FIRST_OFFSET : EARTH_LAST_OFFSET);
    day = (s >= 0 ? s : s - 86399) / 86400;
    return apr_time_from_sec((day + days + 1) * 86400 - (waits ? EARTH_LAST_OFFSET : EARTH_FIRST_OFFSET));
}

/* The date an instant a period ends at starts, as the answer names it: on the zone's calendar, or (no calendar)
 * where that instant is midnight (UTC-12 for a period that waits). */
static const char *period_end_date(const mez_mass_call_t *c, apr_time_t end)
{
    return c->ctx->tz ? mez_tz_date(c->p, c->ctx->tz, end)
                      : mez_tz_date(c->p, NULL, end + apr_time_from_sec(EARTH_LAST_OFFSET));
}

/* The earliest a dissolution begun now can complete, as the store will count it when asked (period_end: the day
 * a period runs from not counted; without a calendar, the period run everywhere): the minimum liquidation period
 * from today, or the creditors' window and then the strike-off notice, which run one after the other (stages 4
 * and 10) with the stages between them done at once. */
static apr_time_t earliest_completion(mez_mass_call_t *c, long creditors, long liquidation, long strike_off)
{
    apr_time_t by_liquidation = period_end(c, c->ctx->now, liquidation, 1);
    apr_time_t by_notices = period_end(c, period_end(c, c->ctx->now, creditors, 1), strike_off, 1);
    return by_liquidation > by_notices ? by_liquidation : by_notices;
}

/* An estimate of the day a dissolution begun now completes: `typical` days on from today on the zone's calendar
 * (one begun at 21:00 UTC on 30 June in Karachi, 1 July there, counts from 1 July), and never earlier than the
 * periods let the last stage complete (earliest). Dates compare as strings. */
static const char *estimate_date(mez_mass_call_t *c, long typical, apr_time_t earliest)
{
    const char *est = mez_date_of_day(c->p, mez_tz_day(c->ctx->tz, c->ctx->now) + typical);
    const char *floor = period_end_date(c, earliest);
    return strcmp(est, floor) >= 0 ? est : floor;
}

/* ---------------------------------------------------------------- the request */

static int get_decimal(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int64_t *out)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, MEZ_MASS_REQUIRED, 40, &s))
        return 0;
    if (mez_mass_decimal_parse(s, 4, 4, INT64_MAX / 2, out) != MEZ_DECIMAL_OK) {
        mez_mass_refuse(c, 422, "request.invalid_decimal", mez_pointer_join(c->p, base, name),
                        "'%s' must be a non-negative decimal string with at most 4 decimals, not '%s'", name, s);
        return 0;
    }
    return 1;
}

static int get_solvency(mez_mass_call_t *c, const json_t *body, const char *type, json_t *request)
{
    static const char *const allowed[] = { "declared_solvent", "directors_signing", "statement_of_assets",
                                           "validity_period_days", NULL };
    static const char *const signer_allowed[] = { "identity_ref", "signed_at", NULL };
    static const char *const assets_allowed[] = { "total_assets", "total_liabilities", "currency", NULL };
    const char *B = "/solvency_declaration", *cur = NULL;
    const json_t *sd = NULL, *signers = NULL, *soa = NULL;
    json_int_t validity = SOLVENCY_VALIDITY_DEFAULT_DAYS;
    int solvent = 0;
    int64_t assets = 0, liabilities = 0;

    if (!mez_mass_get_object(c, body, "", "solvency_declaration", !strcmp(type, "voluntary"), &sd))
        return 0;
    if (!sd)
        return 1;
    if (!mez_mass_check_object(c, sd, B, allowed)
        || !mez_mass_get_bool(c, sd, B, "declared_solvent", MEZ_MASS_REQUIRED, &solvent)
        || !mez_mass_get_array(c, sd, B, "directors_signing", MEZ_MASS_REQUIRED, 1, &signers)
        || !mez_mass_get_object(c, sd, B, "statement_of_assets", MEZ_MASS_REQUIRED, &soa)
        || !mez_mass_get_int(c, sd, B, "validity_period_days", MEZ_MASS_OPTIONAL, 1, PERIOD_MAX_DAYS, &validity))
        return 0;
    if (!mez_mass_check_object(c, soa, "/solvency_declaration/statement_of_assets", assets_allowed)
        || !get_decimal(c, soa, "/solvency_declaration/statement_of_assets", "total_assets", &assets)
        || !get_decimal(c, soa, "/solvency_declaration/statement_of_assets", "total_liabilities", &liabilities)
        || !mez_mass_get_code(c, soa, "/solvency_declaration/statement_of_assets", "currency", MEZ_MASS_REQUIRED, 3,
                              &cur))
        return 0;
    for (size_t i = 0; i < json_array_size(signers); i++) {
        const json_t *s = json_array_get(signers, i);
        const char *at = mez_pointer_index(c->p, "/solvency_declaration/directors_signing", i), *ref = NULL,
                   *signed_at = NULL;
        apr_time_t signed_t = 0, until;
        if (!mez_mass_check_object(c, s, at, signer_allowed)
            || !mez_mass_get_text(c, s, at, "identity_ref", MEZ_MASS_REQUIRED, 500, &ref)
            || !mez_mass_get_time(c, s, at, "signed_at", MEZ_MASS_REQUIRED, &signed_at))
            return 0;
        /* The declaration holds for the days of its validity period from the day it was signed, that day not
         * counted, as a statute's period of days runs (mez_tz_period_end; the five weeks of the default are those
         * a declaration may precede the winding-up resolution by, e.g. the UK Insolvency Act 1986 s. 89(2)(a)):
         * one signed at 23:30 in Karachi on 1 March holds until the end of 5 April there, not 23:30 on 5 April. */
        mez_time_parse_rfc3339(signed_at, &signed_t);
        until = period_end(c, signed_t, validity, 0);
        if (signed_t > c->ctx->now || c->ctx->now >= until) {
            mez_mass_refuse(c, 422, "entity.solvency_declaration_stale", mez_pointer_join(c->p, at, "signed_at"),
                            "a solvency declaration signed at %s is not valid now: it holds for %d day%s from the "
                            "day it was signed (that day not counted, on %s), until %s, and cannot be signed in "
                            "the future", signed_at, (int)validity, validity == 1 ? "" : "s", calendar(c),
                            mez_time_stamp(c->p, until));
            return 0;
        }
    }
    /* A members' voluntary winding-up rests on the directors' word that the company can pay its debts. */
    if (!strcmp(type, "voluntary") && !solvent) {
        mez_mass_refuse(c, 422, "entity.not_solvent", "/solvency_declaration/declared_solvent",
                        "a voluntary dissolution needs the directors to declare the company solvent");
        return 0;
    }
    if (solvent && assets < liabilities) {
        mez_mass_refuse(c, 422, "entity.solvency_contradicted",
                        "/solvency_declaration/statement_of_assets/total_liabilities",
                        "the statement of assets shows liabilities above assets, which contradicts the declaration "
                        "of solvency");
        return 0;
    }
    json_object_set(request, "solvency_declaration", (json_t *)sd);
    return 1;
}

static int get_liquidator(mez_mass_call_t *c, const json_t *body, json_t *doc)
{
    static const char *const allowed[] = { "name", "identity_ref", "license_number", "appointed_at", NULL };
    const char *B = "/liquidator", *name = NULL, *ref = NULL, *lic = NULL, *at = NULL;
    const json_t *l = NULL;
    json_t *out;
    if (!mez_mass_get_object(c, body, "", "liquidator", MEZ_MASS_OPTIONAL, &l))
        return 0;
    if (!l)
        return 1;
    if (!mez_mass_check_object(c, l, B, allowed) || !mez_mass_get_text(c, l, B, "name", MEZ_MASS_REQUIRED, 300, &name)
        || !mez_mass_get_text(c, l, B, "identity_ref", MEZ_MASS_REQUIRED, 500, &ref)
        || !mez_mass_get_text(c, l, B, "license_number", MEZ_MASS_OPTIONAL, 100, &lic)
        || !mez_mass_get_time(c, l, B, "appointed_at", MEZ_MASS_OPTIONAL, &at))
        return 0;
    out = json_pack("{s:s,s:s}", "name", name, "identity_ref", ref);
    if (lic)
        json_object_set_new(out, "license_number", json_string(lic));
    if (at)
        json_object_set_new(out, "appointed_at", json_string(at));
    json_object_set_new(doc, "liquidator", out);
    return 1;
}

static int get_parameters(mez_mass_call_t *c, const json_t *body, json_t *request)
{
    const json_t *params = NULL;
    json_t *out = json_object();
    json_object_set_new(request, "parameters", out);
    if (!mez_mass_get_object(c, body, "", "parameters", MEZ_MASS_OPTIONAL, &params)
        || (params && !mez_mass_check_object(c, params, "/parameters", period_names)))
        return 0;
    for (const char *const *n = period_names; *n; n++) {
        json_int_t days = PERIOD_DEFAULT_DAYS;
        if (params && !mez_mass_get_int(c, params, "/parameters", *n, MEZ_MASS_OPTIONAL, 1, PERIOD_MAX_DAYS, &days))
            return 0;
        json_object_set_new(out, *n, json_integer(days));
    }
    return 1;
}

/* ---------------------------------------------------------------- the status document */

/* The stages array for a saga at stage (all complete when done); earlier stage times are kept from old. */
static json_t *stages_doc(mez_mass_call_t *c, const json_t *old, int stage, int done, const char *now)
{
    json_t *a = json_array();
    for (int i = 1; i <= MEZ_DISSOLUTION_STAGES; i++) {
        const mez_dissolution_stage_t *st = mez_lifecycle_dissolution_stage(i);
        const json_t *prev = old ? json_array_get(old, (size_t)i - 1) : NULL;
        json_t *s = prev ? json_deep_copy(prev)
                         : json_pack("{s:s,s:s,s:i,s:b,s:i}", "stage_id", st->id, "name", st->name, "sequence", i,
                                     "required", 1, "estimated_days", st->estimated_days);
        const char *status = (i < stage || done) ? "completed" : i == stage ? "in_progress" : "pending";
        json_object_set_new(s, "status", json_string(status));
        if ((i <= stage) && !json_object_get(s, "started_at"))
            json_object_set_new(s, "started_at", json_string(now));
        if (!strcmp(status, "completed") && !json_object_get(s, "completed_at"))
            json_object_set_new(s, "completed_at", json_string(now));
        json_array_append_new(a, s);
    }
    return a;
}

static void set_progress(mez_mass_call_t *c, saga_t *s, int done, const char *now)
{
    const mez_dissolution_stage_t *st = mez_lifecycle_dissolution_stage(s->stage);
    json_t *stages = stages_doc(c, json_object_get(s->doc, "stages"), s->stage, done, now);
    json_object_set_new(s->doc, "stages", stages);
    json_object_set_new(s->doc, "current_stage", json_string(st->id));
    json_object_set_new(s->doc, "stage_sequence", json_integer(s->stage));
    json_object_set_new(s->doc, "overall_status", json_string(done ? "completed" : "in_progress"));
    if (done)
        json_object_set_new(s->doc, "completed_at", json_string(now));
}

static mez_status_t load_saga(mez_mass_call_t *c, const char *entity_id, saga_t *s, int *found)
{
    const char *cols[6];
    mez_status_t rv = mez_db_query_row(c->p, c->db, cols, 6, found,
                                       "SELECT dissolution_id, initiated_at, stage_started_at, stage, doc, request "
                                       "FROM mez_mass_entity_dissolution WHERE entity_id = %s",
                                       c->pb, entity_id, NULL);
    if (rv != MEZ_OK || !*found)
        return rv;
    s->dissolution_id = cols[0];
    s->initiated_at = cols[1];
    s->stage_started_at = cols[2];
    s->stage = (int)apr_atoi64(cols[3]);
    s->doc = mez_mass_doc_parse(c, cols[4]);
    s->request = mez_mass_doc_parse(c, cols[5]);
    if (!s->doc || !s->request || !mez_lifecycle_dissolution_stage(s->stage))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "the stored dissolution of entity %s cannot be read", entity_id);
    own(c, s->doc);
    own(c, s->request);
    return MEZ_OK;
}

static long period(const saga_t *s, const char *name)
{
    json_t *v = json_object_get(json_object_get(s->request, "parameters"), name);
    return json_is_integer(v) ? (long)json_integer_value(v) : PERIOD_DEFAULT_DAYS;
}

/* ---------------------------------------------------------------- routes */

/* 409: the stage's period of days has not run yet. The earliest time is answered as the instant (UTC) and as the
 * date it begins on the calendar counted on, with that calendar's name, in the detail and as members. */
static mez_status_t period_running(mez_mass_call_t *c, int stage, const mez_dissolution_stage_t *st,
                                   const mez_dissolution_period_t *pd, long days, apr_time_t began,
                                   apr_time_t earliest)
{
    const char *at = mez_time_stamp(c->p, earliest), *date = period_end_date(c, earliest);
    /* The day the period ran from, as it was counted: the zone's, or (no calendar) the latest date anywhere. */
    const char *from = c->ctx->tz ? mez_tz_date(c->p, c->ctx->tz, began)
                                  : mez_tz_date(c->p, NULL, began + apr_time_from_sec(EARTH_FIRST_OFFSET));
    mez_mass_refuse(c, 409, "entity.dissolution_period_running", NULL,
                    "stage %d (%s) cannot complete before %s, the start of %s %s %s: %s is %ld day%s from %s, the "
                    "day the %s began, which is not counted", stage, st->id, at, date, c->ctx->tz ? "on" : "at UTC-12,",
                    calendar(c), pd->parameter, days, days == 1 ? "" : "s", from,
                    pd->from_initiation ? "dissolution" : "stage");
    json_object_set_new(c->resp->body, "earliest_completion_at", json_string(at));
    json_object_set_new(c->resp->body, "earliest_completion_date", json_string(date));
    /* null: no calendar was counted on (a zone whose calendar is UTC says "UTC"). */
    json_object_set_new(c->resp->body, "timezone", c->ctx->tz ? json_string(mez_tz_name(c->ctx->tz)) : json_null());
    return MEZ_OK;
}

static mez_status_t initiate(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const allowed[] = { "dissolution_type", "reason", "solvency_declaration", "liquidator",
                                           "parameters", NULL };
    const json_t *body = c->req->body;
    const char *type = NULL, *reason = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *effect;
    mez_mass_entity_row_t e;
    mez_problem_t lpb = { 0 };
    saga_t s = { 0 };
    json_t *request = own(c, json_object());
    long typical = 0, minimum;
    int found, to;
    mez_status_t rv;

    if ((rv = mez_mass_entity_for_path(c, entity_id, 1, &e, &found)) != MEZ_OK || !found)
        return rv;
    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_enum(c, body, "", "dissolution_type", MEZ_MASS_REQUIRED, dissolution_types, &type)
        || !mez_mass_get_text(c, body, "", "reason", MEZ_MASS_REQUIRED, 2000, &reason))
        return MEZ_OK;
    s.dissolution_id = mez_mass_new_id(c->p, "diss_");
    s.stage = 1;
    s.doc = own(c, json_pack("{s:s,s:s,s:s,s:s,s:[]}", "entity_id", entity_id, "dissolution_id", s.dissolution_id,
                             "dissolution_type", type, "initiated_at", now, "documents_produced"));
    json_object_set_new(request, "dissolution_type", json_string(type));
    json_object_set_new(request, "reason", json_string(reason));
    if (!get_solvency(c, body, type, request) || !get_liquidator(c, body, s.doc) || !get_parameters(c, body, request))
        return MEZ_OK;
    s.request = request;   /* the periods the estimate counts are the ones asked for (period()), not the defaults */
    if (mez_lifecycle_step(c->p, MEZ_LIFECYCLE_ENTITY, e.state, MEZ_ENTITY_EV_INITIATE_DISSOLUTION, &to, &effect,
                           &lpb) != MEZ_OK)
        return refuse_problem(c, &lpb);
    set_progress(c, &s, 0, now);
    for (int i = 1; i <= MEZ_DISSOLUTION_STAGES; i++)
        typical += mez_lifecycle_dissolution_stage(i)->estimated_days;
    /* The fewest days the periods allow: the minimum liquidation period, or the creditors' window and the
     * strike-off notice one after the other. */
    minimum = period(&s, "creditor_notice_period_days") + period(&s, "strike_off_notice_period_days");
    if (period(&s, "minimum_liquidation_period_days") > minimum)
        minimum = period(&s, "minimum_liquidation_period_days");
    if (minimum > typical)
        typical = minimum;
    json_object_set_new(s.doc, "estimated_completion",
                        json_pack("{s:i,s:i,s:s}", "minimum_days", (json_int_t)minimum, "typical_days",
                                  (json_int_t)typical, "estimated_completion_date",
                                  estimate_date(c, typical,
                                                earliest_completion(c, period(&s, "creditor_notice_period_days"),
                                                                    period(&s, "minimum_liquidation_period_days"),
                                                                    period(&s, "strike_off_notice_period_days")))));
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "INSERT INTO mez_mass_entity_dissolution (dissolution_id, entity_id, dissolution_type, "
                           "stage, overall_status, doc, request, initiated_at, stage_started_at, updated_at) "
                           "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           c->pb, s.dissolution_id, entity_id, type, "1", "in_progress", mez_mass_doc_text(c, s.doc),
                           mez_mass_doc_text(c, request), now, now, now, NULL)) != MEZ_OK)
        return rv;
    json_object_set_new(e.doc, "dissolution_ref", json_string(s.dissolution_id));
    if ((rv = mez_mass_entity_move(c, &e, MEZ_ENTITY_EV_INITIATE_DISSOLUTION, to, reason, NULL, now)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 202, json_incref(s.doc));
}

static mez_status_t status(mez_mass_call_t *c, const char *entity_id)
{
    mez_mass_entity_row_t e;
    saga_t s = { 0 };
    int found;
    mez_status_t rv;
    if ((rv = mez_mass_entity_for_path(c, entity_id, 0, &e, &found)) != MEZ_OK || !found
        || (rv = load_saga(c, entity_id, &s, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "dissolution of entity", entity_id);
    return mez_mass_answer(c, 200, json_incref(s.doc));
}

static mez_status_t advance(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const allowed[] = { "outputs", "reason", NULL };
    const json_t *body = c->req->body, *outputs = NULL;
    const char *now = mez_time_stamp(c->p, c->ctx->now), *reason = NULL;
    const mez_dissolution_stage_t *st;
    mez_mass_entity_row_t e;
    mez_problem_t lpb = { 0 };
    saga_t s = { 0 };
    json_t *refs = own(c, json_array());
    int found, to_state, to_stage, done;
    mez_status_t rv;

    if ((rv = mez_mass_entity_for_path(c, entity_id, 1, &e, &found)) != MEZ_OK || !found)
        return rv;
    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_array(c, body, "", "outputs", MEZ_MASS_OPTIONAL, 0, &outputs)
        || !mez_mass_get_text(c, body, "", "reason", MEZ_MASS_OPTIONAL, 2000, &reason))
        return MEZ_OK;
    for (size_t i = 0; outputs && i < json_array_size(outputs); i++) {
        json_t *ref;
        if (!mez_mass_get_artifact_ref(c, json_array_get(outputs, i), mez_pointer_index(c->p, "/outputs", i), &ref))
            return MEZ_OK;
        json_array_append(refs, ref);
    }
    if ((rv = load_saga(c, entity_id, &s, &found)) != MEZ_OK)
        return rv;
    /* No saga: the lifecycle explains (an entity is DISSOLVING exactly when it has one). */
    if (mez_lifecycle_entity_advance(c->p, e.state, found ? s.stage : 1, &to_state, &to_stage, &lpb) != MEZ_OK)
        return refuse_problem(c, &lpb);
    if (!found)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "entity %s is DISSOLVING without a dissolution record", entity_id);
    st = mez_lifecycle_dissolution_stage(s.stage);
    {
        /* Of the stage's periods still running, the one that runs longest is the one to name. */
        const mez_dissolution_period_t *longest = NULL;
        apr_time_t longest_began = 0, longest_end = 0;
        long longest_days = 0;
        for (int k = 0; k < MEZ_DISSOLUTION_STAGE_PERIODS && st->periods[k].parameter; k++) {
            const mez_dissolution_period_t *pd = &st->periods[k];
            const char *from = pd->from_initiation ? s.initiated_at : s.stage_started_at;
            long days = period(&s, pd->parameter);
            apr_time_t began, earliest;
            /* The initiation checked the periods (1 to PERIOD_MAX_DAYS): another value is not this store's
             * writing. */
            if (days < 1 || days > PERIOD_MAX_DAYS || mez_time_parse_rfc3339(from, &began) != 0)
                return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                                   "the stored dissolution of entity %s has no readable start time or period",
                                   entity_id);
            earliest = period_end(c, began, days, 1);
            if (c->ctx->now < earliest && earliest > longest_end)
                longest = pd, longest_began = began, longest_end = earliest, longest_days = days;
        }
        if (longest)
            return period_running(c, s.stage, st, longest, longest_days, longest_began, longest_end);
    }
    if (json_array_size(refs)) {
        json_t *cur = json_array_get(json_object_get(s.doc, "stages"), (size_t)s.stage - 1);
        json_t *docs = json_object_get(s.doc, "documents_produced");
        json_object_set(cur, "outputs", refs);
        json_array_extend(docs, refs);
    }
    done = to_state == MEZ_ENTITY_DISSOLVED;
    s.stage = to_stage;
    set_progress(c, &s, done, now);
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "UPDATE mez_mass_entity_dissolution SET stage = %s, overall_status = %s, doc = %s, "
                           "stage_started_at = %s, completed_at = %s, updated_at = %s WHERE dissolution_id = %s",
                           c->pb, apr_itoa(c->p, s.stage), done ? "completed" : "in_progress",
                           mez_mass_doc_text(c, s.doc), done ? s.stage_started_at : now, done ? now : MEZ_DB_NULL, now,
                           s.dissolution_id, NULL)) != MEZ_OK)
        return rv;
    /* Within DISSOLVING the entity itself does not change; the last stage's completion is its move. */
    if (done && (rv = mez_mass_entity_move(c, &e, MEZ_ENTITY_EV_ADVANCE_DISSOLUTION, to_state,
                                           reason ? reason : "dissolution completed", refs, now)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 200, json_incref(s.doc));
}

mez_status_t mez_mass_dissolution_route(mez_mass_call_t *c, const char *entity_id, const char *rest, int *handled)
{
    int post = !strcmp(c->req->method, "POST");
    *handled = 1;
    if (!strcmp(rest, "/dissolution/initiate"))
        return post ? initiate(c, entity_id) : mez_mass_no_route(c, 1);
    if (!strcmp(rest, "/dissolution/advance"))
        return post ? advance(c, entity_id) : mez_mass_no_route(c, 1);
    if (!strcmp(rest, "/dissolution/status"))
        return !strcmp(c->req->method, "GET") ? status(c, entity_id) : mez_mass_no_route(c, 1);
    *handled = 0;
    return MEZ_OK;
}
