/* orchestrate_licence.c: the zone's licence register, written through the same pipeline as the Mass primitives.
 * Licence types come from the zone's licensepacks; whether an applicant qualifies is the tensor's licensing
 * domain (the type's requirements against the evidence and stated capital); the states and moves are the
 * licence lifecycle (mez/lifecycle.h), so an illegal move is a 409 naming the current state.
 *
 * Operations: licence.application (POST /v1/licences {entity_id, licence_type}) and licence.transition (POST
 * /v1/licences/{id}/{review|grant|reject|suspend|reinstate|revoke|expire|surrender|renew}, body {reason?,
 * valid_until?}). Granting, reinstating and renewing re-evaluate the application with the evidence given now and
 * need every domain to pass; the other moves re-screen the holder.
 *
 * Terms (packs/README.md, licensepacks). The licence type's validity_years is the longest term the law gives it,
 * counted on the zone's calendar as a statute counts a period "from" a day (General Clauses Act 1897 s. 9, as
 * mez_tz_period_end): the grant's day is not counted, the term is the years after it, and the licence holds until
 * the last second of the corresponding day there (granted at 20:00 UTC on 30 June 2026, 1 July in Karachi, a
 * one-year licence holds until 2027-07-01T18:59:59Z). grant sets valid_from (now) and valid_until: the caller's,
 * which may be shorter but not longer than the term (422 licence.term_too_long), or by default the whole term. A
 * type without validity_years has no fixed term: without a caller's valid_until the licence has none (it holds
 * until revoked, surrendered or expired by the regulator), and the answer and the credential say so (term.fixed
 * false, no valid_until). renew extends a licence that has a term and has not lapsed (a lapsed licence must be
 * applied for again; one without a term has nothing to renew: 409 licence.no_fixed_term): the new term is counted
 * from the current expiry's day, at most validity_years, by default all of them (without validity_years the caller
 * names the new valid_until).
 *
 * renewal.lead_days is a lead time, as the reference model names it ("renewal lead time": a licence type's
 * renewal.lead_days, 90 by default there; ../shared/reference/tensor-and-packs.md): the holder is to apply for
 * renewal at least lead_days before expiry, so the last day to apply is the expiry's day less lead_days on the
 * zone's calendar, and the answer of a grant or renewal names it (term.renewal.apply_by). It is not a window before
 * which renewal is refused. No shipped licence type states one (none of their sources gives a lead time), and mez
 * records the regulator's renewal, not the holder's application, so it cannot know when the holder applied: a
 * renewal recorded after that day is accepted, since the regulator may still renew a late application, with a
 * finding (renewal_after_lead_date) in the licence's history and the credential, naming the days, for the
 * officer to check the application's date. */
#include <string.h>
#include <apr_strings.h>
#include "mez/deadline.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "orch_int.h"

/* The tensor's licence_application for the entity and type, with the caller's evidence and stated capital. */
static void evaluate_application(orch_t *o, const json_t *ent, const char *licence_type)
{
    json_t *subject = json_pack("{s:s,s:s}", "id", mez_orch_str(ent, "entity_id"), "name",
                                mez_orch_str(ent, "legal_name"));
    const json_t *extra = o->compliance ? json_object_get(o->compliance, "subject") : NULL;
    if (json_is_object(extra) && json_object_get(extra, "capital"))
        json_object_set(subject, "capital", json_object_get(extra, "capital"));
    o->action_doc = mez_json_pool_own(o->p, json_pack("{s:{s:s,s:s,s:s,s:s},s:o}", "action", "type",
                                                      "licence_application", "date", o->date, "jurisdiction",
                                                      o->z->zone_id, "licence_type", licence_type, "subject",
                                                      subject));
    if (o->compliance && json_object_get(o->compliance, "evidence"))
        json_object_set(o->action_doc, "evidence", json_object_get(o->compliance, "evidence"));
}

mez_status_t mez_orch_licence_application_prepare(orch_t *o)
{
    static const char *const allowed[] = { "entity_id", "licence_type", "reason", NULL };
    const char *eid = mez_orch_str(o->body, "entity_id"), *type = mez_orch_str(o->body, "licence_type");
    json_t *ent;
    mez_status_t rv;
    if ((rv = mez_json_only_members(o->p, o->body, "", allowed, "request.unknown_field", o->pb)) != MEZ_OK)
        return rv;
    if (!eid || !type)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.missing_field", eid ? "/licence_type" : "/entity_id",
                           "'%s' is required, a string", eid ? "licence_type" : "entity_id");
    if ((rv = mez_orch_entity(o, eid, "/entity_id", &ent)) != MEZ_OK)
        return rv;
    if (strcmp(mez_orch_str(ent, "status") ? mez_orch_str(ent, "status") : "", "ACTIVE"))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "licence.entity_not_active", "/entity_id",
                           "entity %s is %s: only an ACTIVE entity may apply for a licence", eid,
                           mez_orch_str(ent, "status"));
    o->owner_entity = eid;
    evaluate_application(o, ent, type);
    return MEZ_OK;
}

mez_status_t mez_orch_licence_application_write(orch_t *o)
{
    const char *id = mez_mass_new_id(o->p, "lic_"), *now = mez_time_stamp(o->p, o->req->now);
    const char *type = mez_orch_str(o->body, "licence_type");
    json_t *doc = mez_json_pool_own(o->p, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:n,s:s,s:s,s:s}]}", "licence_id",
                                                    id, "entity_id", o->owner_entity, "licence_type", type, "status",
                                                    "APPLIED", "applied_at", now, "updated_at", now, "history",
                                                    "from", "to", "APPLIED", "event", "apply", "at", now));
    const char *text;
    int n = 0;
    mez_status_t rv;
    if ((rv = mez_json_canonicalize(o->p, doc, &text, NULL, o->pb)) != MEZ_OK)
        return rv;
    if ((rv = mez_db_execv(o->p, o->db, &n,
                           "INSERT INTO mez_licence (licence_id, entity_id, licence_type, status, valid_from, "
                           "valid_until, doc, created_at, updated_at) VALUES (%s, %s, %s, 'APPLIED', NULL, NULL, %s, "
                           "%s, %s) ON CONFLICT DO NOTHING",
                           o->pb, id, o->owner_entity, type, text, now, now, NULL)) != MEZ_OK)
        return rv;
    if (n == 0)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "licence.already_held", "/licence_type",
                           "entity %s already holds or has applied for a %s licence", o->owner_entity, type);
    o->mass_resp.status = 201;
    o->mass_resp.body = doc;
    o->resource_id = id;
    o->subject_id = o->owner_entity;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:s,s:s,s:s}", "licence_id", id, "entity_id",
                                                  o->owner_entity, "licence_type", type, "status", "APPLIED"));
    return MEZ_OK;
}

/* ---------------------------------------------------------------- transitions */

typedef struct {
    json_t *doc;
    const char *status, *to, *valid_until;
    json_t *term;                        /* grant, renew: what the licence's term is now (the doc's and claims' term) */
    json_t *finding;                     /* renew: a renewal recorded after the last day to apply for it */
} licence_row_t;

static mez_status_t load(orch_t *o, licence_row_t *row)
{
    const char *cols[3];
    int found = 0;
    mez_status_t rv;
    if ((rv = mez_db_query_row(o->p, o->db, cols, 3, &found,
                               "SELECT status, valid_until, doc FROM mez_licence WHERE licence_id = %s", o->pb,
                               o->req->path_id, NULL)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 404, "mass.not_found", NULL, "there is no licence '%s' in this zone",
                           o->req->path_id);
    row->status = cols[0];
    row->valid_until = cols[1];
    if (mez_json_parse(o->p, cols[2], strlen(cols[2]), &row->doc, o->pb) != MEZ_OK)
        return MEZ_EINTERNAL;
    return MEZ_OK;
}

/* The last day to apply for renewal: lead_days before the expiry's day (no earlier than 0001-01-01). */
static int64_t lead_date(int64_t expiry_day, int64_t lead_days)
{
    return lead_days > expiry_day - MEZ_DEADLINE_FIRST_DAY ? MEZ_DEADLINE_FIRST_DAY : expiry_day - lead_days;
}

/* The licence's term after a grant or renewal, the caller's valid_until (vu, NULL: none given) checked against the
 * type's and defaulted from it. from_day is the day the term is counted from on the zone's calendar: the grant's,
 * or the current expiry's for a renewal. */
static mez_status_t set_term(orch_t *o, licence_row_t *row, const mez_tensor_licence_terms_t *terms, int known,
                             int64_t from_day, const char **vu, apr_time_t *vu_t)
{
    const mez_tz_t *tz = o->z->tz;
    json_t *term = json_object();
    row->term = mez_json_pool_own(o->p, term);
    if (known && terms->validity_years) {
        int64_t last = mez_deadline_add_years(from_day, terms->validity_years);
        apr_time_t max = mez_tz_end_of_day(tz, last);
        if (*vu && *vu_t > max)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "licence.term_too_long", "/valid_until",
                               "licence type %s (%s) runs at most %" APR_INT64_T_FMT " year%s from %s: valid_until "
                               "may be at most %s, the end of %s in %s", mez_orch_str(row->doc, "licence_type"),
                               terms->rule, (apr_int64_t)terms->validity_years,
                               terms->validity_years == 1 ? "" : "s",
                               mez_date_of_day(o->p, from_day), mez_time_stamp(o->p, max), mez_date_of_day(o->p, last),
                               mez_tz_name(tz));
        if (!*vu) {
            *vu_t = max;
            *vu = mez_time_stamp(o->p, max);
        }
        json_object_set_new(term, "validity_years", json_integer((json_int_t)terms->validity_years));
    }
    json_object_set_new(term, "fixed", json_boolean(*vu != NULL));
    if (known) {
        json_object_set_new(term, "rule", json_string(terms->rule));
        if (terms->pack_digest)
            json_object_set_new(term, "pack_digest", json_string(terms->pack_digest));
    }
    json_object_set_new(term, "timezone", json_string(mez_tz_name(tz)));
    if (known && terms->has_renewal && *vu)
        json_object_set_new(term, "renewal",
                            json_pack("{s:I,s:s}", "lead_days", (json_int_t)terms->lead_days, "apply_by",
                                      mez_date_of_day(o->p, lead_date(mez_tz_day(tz, *vu_t), terms->lead_days))));
    return MEZ_OK;
}

/* A renewal recorded after the last day to apply for it (the expiry's day less the type's lead_days). */
static void late_renewal(orch_t *o, licence_row_t *row, const mez_tensor_licence_terms_t *terms, int64_t expiry_day)
{
    const mez_tz_t *tz = o->z->tz;
    int64_t apply_by = lead_date(expiry_day, terms->lead_days), today = mez_tz_day(tz, o->req->now);
    if (today <= apply_by)
        return;
    row->finding = mez_json_pool_own(o->p, json_pack(
        "{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "code", "renewal_after_lead_date", "rule", terms->rule, "lead_days",
        (json_int_t)terms->lead_days, "expires_on", mez_date_of_day(o->p, expiry_day), "apply_by", mez_date_of_day(o->p, apply_by),
        "renewed_on", mez_date_of_day(o->p, today), "timezone", mez_tz_name(tz), "detail",
        apr_psprintf(o->p, "the licence type asks for renewal to be applied for at least %" APR_INT64_T_FMT " days "
                     "before the licence expires, by %s on the zone's calendar; this renewal is recorded on %s. mez "
                     "records the renewal, not the application: check that the holder applied in time",
                     (apr_int64_t)terms->lead_days, mez_date_of_day(o->p, apply_by), mez_date_of_day(o->p, today))));
}

static const char *credential_for(const char *verb)
{
    static const char *const map[][2] = {
        { "review", "LicenceReviewCredential" },       { "grant", "LicenceGrantCredential" },
        { "reject", "LicenceRejectionCredential" },    { "suspend", "LicenceSuspensionCredential" },
        { "reinstate", "LicenceReinstatementCredential" }, { "revoke", "LicenceRevocationCredential" },
        { "expire", "LicenceExpiryCredential" },       { "surrender", "LicenceSurrenderCredential" },
        { "renew", "LicenceRenewalCredential" },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i][0], verb))
            return map[i][1];
    return "LicenceStatusCredential";
}

mez_status_t mez_orch_licence_transition_prepare(orch_t *o)
{
    static const char *const allowed[] = { "reason", "valid_until", NULL };
    const char *verb = o->req->path_verb, *to, *vu = NULL;
    licence_row_t *row = apr_pcalloc(o->p, sizeof(*row));
    mez_tensor_licence_terms_t terms;
    int known = 0, grant = !strcmp(verb, "grant"), renew = !strcmp(verb, "renew");
    json_t *ent;
    mez_status_t rv;
    apr_time_t t = 0;

    if ((rv = mez_json_only_members(o->p, o->body, "", allowed, "request.unknown_field", o->pb)) != MEZ_OK || (rv = load(o, row)) != MEZ_OK)
        return rv;
    if ((rv = mez_lifecycle_transition(o->p, MEZ_LIFECYCLE_LICENCE, row->status, verb, &to, o->pb)) != MEZ_OK) {
        if (o->pb->status == 422)       /* an unknown verb is an unknown path, not a bad body */
            o->pb->status = 404;
        return rv;
    }
    if (json_object_get(o->body, "valid_until")) {
        if (strcmp(verb, "grant") && strcmp(verb, "renew"))
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.unknown_field", "/valid_until",
                               "valid_until is given only when granting or renewing");
        vu = mez_orch_str(o->body, "valid_until");
        if (!vu || mez_time_parse_rfc3339(vu, &t) != 0 || t <= o->req->now)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_time", "/valid_until",
                               "valid_until must be an RFC 3339 date-time in the future");
        vu = mez_time_stamp(o->p, t);
    }
    /* The terms of the licence type in force on the action's date (today, or compliance.date). */
    if (grant || renew)
        known = mez_tensor_licence_terms(o->z->tensor_index, o->z->zone_id, mez_orch_str(row->doc, "licence_type"),
                                         o->date, &terms) == 0;
    if (renew) {
        apr_time_t expiry;
        if (row->valid_until && strcmp(row->valid_until, mez_time_stamp(o->p, o->req->now)) < 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "licence.lapsed", NULL,
                               "licence %s lapsed at %s: apply again", o->req->path_id, row->valid_until);
        if (!row->valid_until || mez_time_parse_rfc3339(row->valid_until, &expiry) != 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "licence.no_fixed_term", NULL,
                               "licence %s has no fixed term (it holds until it is revoked, surrendered or expired): "
                               "there is nothing to renew", o->req->path_id);
        if (vu && strcmp(vu, row->valid_until) <= 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_time", "/valid_until",
                               "a renewal extends the licence: valid_until must be after %s", row->valid_until);
        /* The next term runs from the current one's last day, on the zone's calendar. */
        if ((rv = set_term(o, row, &terms, known, mez_tz_day(o->z->tz, expiry), &vu, &t)) != MEZ_OK)
            return rv;
        if (!vu)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.missing_field", "/valid_until",
                               "licence type %s has no fixed term (validity_years): a renewal names the new "
                               "valid_until", mez_orch_str(row->doc, "licence_type"));
        if (known && terms.has_renewal)
            late_renewal(o, row, &terms, mez_tz_day(o->z->tz, expiry));
    }
    /* A grant's term is counted from its day on the zone's calendar; without validity_years and without the
     * caller's valid_until the licence has no fixed term. */
    if (grant && (rv = set_term(o, row, &terms, known, mez_tz_day(o->z->tz, o->req->now), &vu, &t)) != MEZ_OK)
        return rv;
    row->to = to;
    row->valid_until = vu ? vu : row->valid_until;
    o->owner_entity = o->subject_id = mez_orch_str(row->doc, "entity_id");
    if ((rv = mez_orch_entity(o, o->owner_entity, "", &ent)) != MEZ_OK)
        return rv;
    if (!strcmp(verb, "grant") || !strcmp(verb, "renew") || !strcmp(verb, "reinstate")) {
        o->require_passing = 1;
        evaluate_application(o, ent, mez_orch_str(row->doc, "licence_type"));
    } else {
        mez_orch_screen(o, mez_orch_str(ent, "legal_name"), "");
    }
    o->credential_type = credential_for(verb);
    o->op_state = row;                       /* carried to the write step */
    return MEZ_OK;
}

mez_status_t mez_orch_licence_transition_write(orch_t *o)
{
    licence_row_t *row = o->op_state;
    const char *now = mez_time_stamp(o->p, o->req->now), *text;
    json_t *doc = row->doc, *entry;
    int n = 0;
    mez_status_t rv;

    entry = json_pack("{s:s,s:s,s:s,s:s}", "from", row->status, "to", row->to, "event", o->req->path_verb, "at", now);
    if (mez_orch_str(o->body, "reason"))
        json_object_set(entry, "reason", json_object_get(o->body, "reason"));
    if (row->finding)
        json_object_set(entry, "finding", row->finding);
    if (row->term)
        json_object_set(doc, "term", row->term);
    json_array_append_new(json_object_get(doc, "history"), entry);
    json_object_set_new(doc, "status", json_string(row->to));
    json_object_set_new(doc, "updated_at", json_string(now));
    if (!strcmp(o->req->path_verb, "grant"))
        json_object_set_new(doc, "valid_from", json_string(now));
    if (row->valid_until)
        json_object_set_new(doc, "valid_until", json_string(row->valid_until));
    if ((rv = mez_json_canonicalize(o->p, doc, &text, NULL, o->pb)) != MEZ_OK)
        return rv;
    /* Guarded by the state read: a concurrent move in between leaves no row to update, and is answered 409. */
    if ((rv = mez_db_execv(o->p, o->db, &n,
                           "UPDATE mez_licence SET status = %s, valid_from = %s, valid_until = %s, doc = %s, "
                           "updated_at = %s WHERE licence_id = %s AND status = %s",
                           o->pb, row->to,
                           mez_orch_str(doc, "valid_from") ? mez_orch_str(doc, "valid_from") : MEZ_DB_NULL,
                           row->valid_until ? row->valid_until : MEZ_DB_NULL, text, now, o->req->path_id,
                           row->status, NULL)) != MEZ_OK)
        return rv;
    if (n == 0)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "lifecycle.concurrent_change", NULL,
                           "licence %s changed while this request was decided; read it again", o->req->path_id);
    o->mass_resp.status = 200;
    o->mass_resp.body = doc;
    o->resource_id = o->req->path_id;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O,s:O,s:s,s:s}", "licence_id", o->req->path_id,
                                                  "entity_id", json_object_get(doc, "entity_id"), "licence_type",
                                                  json_object_get(doc, "licence_type"), "status", row->to,
                                                  "event", o->req->path_verb));
    if (row->valid_until)
        json_object_set_new(o->claims, "valid_until", json_string(row->valid_until));
    if (row->term)
        json_object_set(o->claims, "term", row->term);
    if (row->finding)
        json_object_set(o->claims, "finding", row->finding);
    return MEZ_OK;
}

mez_status_t mez_orch_licence_get(apr_pool_t *p, mez_db_t *db, const char *id, json_t **doc, mez_problem_t *pb)
{
    const char *text = NULL;
    mez_status_t rv = mez_db_query_value(p, db, &text, "SELECT doc FROM mez_licence WHERE licence_id = %s", pb, id,
                                         NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!text)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "mass.not_found", NULL, "there is no licence '%s' in this zone", id);
    return mez_json_parse(p, text, strlen(text), doc, pb);
}

mez_status_t mez_orch_licence_list(apr_pool_t *p, mez_db_t *db, const mez_licence_filter_t *f, json_t **out,
                                   mez_problem_t *pb)
{
    mez_db_where_t w = MEZ_DB_WHERE_INIT;
    apr_array_header_t *rows;
    json_t *list;
    int state, limit = f->limit > 0 ? f->limit : 1;
    mez_status_t rv;

    if (f->status && mez_lifecycle_state_param(p, MEZ_LIFECYCLE_LICENCE, f->status, "/status", &state, pb) != MEZ_OK)
        return MEZ_EINVAL;
    /* Only the conditions asked for are in the statement; paging is by licence_id, the primary key. */
    if (f->status)
        mez_db_where_add(p, &w, "status = %s", f->status);
    if (f->entity_id)
        mez_db_where_add(p, &w, "entity_id = %s", f->entity_id);
    if (f->licence_type)
        mez_db_where_add(p, &w, "licence_type = %s", f->licence_type);
    if (f->after)
        mez_db_where_add(p, &w, "licence_id > %s", f->after);
    /* One more row than asked tells whether there is a next page. */
    rv = mez_db_query_rows_array(p, db, 1, &rows,
                                 apr_psprintf(p, "SELECT doc FROM mez_licence%s ORDER BY licence_id LIMIT %d", w.sql,
                                              limit + 1),
                                 w.nargs, w.args, pb);
    if (rv != MEZ_OK)
        return rv;
    list = json_array();
    for (int i = 0; i < rows->nelts && i < limit; i++) {
        const char *text = APR_ARRAY_IDX(rows, i, const char **)[0];
        json_t *doc;
        if (!text || mez_json_parse(p, text, strlen(text), &doc, pb) != MEZ_OK) {
            json_decref(list);
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                               "a stored licence cannot be read");
        }
        json_array_append(list, doc);
    }
    *out = mez_json_pool_own(p, json_pack("{s:o,s:i}", "licences", list, "count", (json_int_t)json_array_size(list)));
    if (rows->nelts > limit)
        json_object_set(*out, "next_cursor",
                        json_object_get(json_array_get(list, json_array_size(list) - 1), "licence_id"));
    return MEZ_OK;
}
