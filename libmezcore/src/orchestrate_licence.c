/* orchestrate_licence.c: the zone's licence register, written through the same pipeline as the Mass primitives.
 * Licence types come from the zone's licensepacks; whether an applicant qualifies is the tensor's licensing
 * domain (the type's requirements against the evidence and stated capital); the states and moves are the
 * licence lifecycle (mez/lifecycle.h), so an illegal move is a 409 naming the current state.
 *
 * Operations: licence.application (POST /v1/licences {entity_id, licence_type}) and licence.transition (POST
 * /v1/licences/{id}/{review|grant|reject|suspend|reinstate|revoke|expire|surrender|renew}, body {reason?,
 * valid_until?}). Granting, reinstating and renewing re-evaluate the application with the evidence given now and
 * need every domain to pass; the other moves re-screen the holder. grant sets valid_from (now) and valid_until
 * (the body's, default one year); renew needs a valid_until later than the current one and a licence that has
 * not lapsed (a lapsed licence must be applied for again). */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/lifecycle.h"
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
    json_t *ent;
    mez_status_t rv;
    apr_time_t t;

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
    if (!strcmp(verb, "renew")) {
        if (row->valid_until && strcmp(row->valid_until, mez_time_stamp(o->p, o->req->now)) < 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "licence.lapsed", NULL,
                               "licence %s lapsed at %s: apply again", o->req->path_id, row->valid_until);
        if (!vu)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.missing_field", "/valid_until",
                               "a renewal names the new valid_until");
        if (row->valid_until && strcmp(vu, row->valid_until) <= 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_time", "/valid_until",
                               "a renewal extends the licence: valid_until must be after %s", row->valid_until);
    }
    /* A grant that names no term runs a year: a default that stands in for the licence's own terms (its
     * valid_until, an instant), not a period of days a statute counts, so a duration from the grant's instant. */
    if (!strcmp(verb, "grant") && !vu)
        vu = mez_time_stamp(o->p, o->req->now + apr_time_from_sec(365 * 86400));
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
