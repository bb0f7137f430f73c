/* mass_entity_officers.c: an entity's officers (directors, secretaries, ...), an extension of the entities
 * contract, whose Officer document has no id of its own:
 *
 *   POST /v1/entities/{id}/officers          Officer -> 201 officer record {officer_id, entity_id, the Officer's
 *        members, active, person_id?}. The entity must not be in a terminal state (409 "entity.not_live").
 *        identity_ref "per_..." must name a registry person (422 "identity.unknown_person"); a person (one
 *        identity_ref) already in office in the role is 409 "entity.duplicate_officer" at /identity_ref.
 *   GET  /v1/entities/{id}/officers          {entity_id, officers[]}: every officer record, resigned ones too.
 *   POST /v1/entities/{id}/officers/{officer_id}/resign   {reason?, resigned_at?} -> 200 officer record with
 *        resigned_at; a second resignation is 409 "entity.officer_resigned".
 * appointed_at and resigned_at are no later than the store's clock, and a resignation no earlier than its
 * appointment (422 "request.invalid_time" at the member).
 *
 * The Entity's directors array lists the officers in office (Officer documents), rewritten on every change. */
#include <string.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mass_registry.h"

static const char *const roles[] = { "director", "secretary", "treasurer", "president", "vice_president",
                                     "registered_agent", NULL };

#define OFFICER_COLS "officer_id, entity_id, doc, person_id, resigned_at, resignation_reason"

mez_status_t mez_mass_officer_input(mez_mass_call_t *c, const json_t *v, const char *base, json_t **officer,
                                    const char **person_id, int *ok)
{
    static const char *const allowed[] = { "name", "identity_ref", "role", "appointed_at", "nationality",
                                           "is_resident", NULL };
    const char *name = NULL, *ref = NULL, *role = NULL, *at = NULL, *nat = NULL;
    int resident = -1, ref_ok = 1;
    json_t *o;
    mez_status_t rv;

    *ok = 0;
    *person_id = NULL;
    if (!mez_mass_check_object(c, v, base, allowed) || !mez_mass_get_text(c, v, base, "name", MEZ_MASS_REQUIRED, 300, &name)
        || !mez_mass_get_text(c, v, base, "identity_ref", MEZ_MASS_OPTIONAL, 500, &ref)
        || !mez_mass_get_enum(c, v, base, "role", MEZ_MASS_REQUIRED, roles, &role)
        || !mez_mass_get_time(c, v, base, "appointed_at", MEZ_MASS_OPTIONAL, &at)
        || !mez_mass_get_code(c, v, base, "nationality", MEZ_MASS_OPTIONAL, 2, &nat)
        || !mez_mass_get_bool(c, v, base, "is_resident", MEZ_MASS_OPTIONAL, &resident))
        return MEZ_OK;
    /* The store lists the officers in office now: one appointed at a time still to come is not yet in office. */
    if (at && strcmp(at, mez_time_stamp(c->p, c->ctx->now)) > 0) {
        mez_mass_refuse(c, 422, "request.invalid_time", mez_pointer_join(c->p, base, "appointed_at"),
                        "appointed_at must not be in the future");
        return MEZ_OK;
    }
    if (ref && ((rv = mez_mass_identity_ref(c, ref, mez_pointer_join(c->p, base, "identity_ref"), person_id,
                                            &ref_ok)) != MEZ_OK || !ref_ok))
        return rv;
    o = mez_json_pool_own(c->p, json_pack("{s:s,s:s,s:s}", "name", name, "role", role, "appointed_at",
                                          at ? at : mez_time_stamp(c->p, c->ctx->now)));
    if (ref)
        json_object_set_new(o, "identity_ref", json_string(ref));
    if (nat)
        json_object_set_new(o, "nationality", json_string(nat));
    if (resident >= 0)
        json_object_set_new(o, "is_resident", json_boolean(resident));
    *officer = o;
    *ok = 1;
    return MEZ_OK;
}

mez_status_t mez_mass_officer_insert(mez_mass_call_t *c, const char *entity_id, const json_t *officer,
                                     const char *person_id, const char *base, const char **officer_id)
{
    const char *id = mez_mass_new_id(c->p, "off_"), *ref, *role;
    mez_db_conflict_t conflict;
    int taken = 0;
    mez_status_t rv;
    ref = json_string_value(json_object_get(officer, "identity_ref"));
    role = json_string_value(json_object_get(officer, "role"));
    /* identity_key claims the person's place in the role among the officers in office: the partial unique index
     * (entity_id, role, identity_key) WHERE resigned_at IS NULL is the store's last word on a person holding one
     * office twice at once, whoever checked before (the callers do, to answer with the pointer and the officer). */
    conflict.status = 409;
    conflict.code = "entity.duplicate_officer";
    conflict.pointer = mez_pointer_join(c->p, base, "identity_ref");
    conflict.detail = apr_psprintf(c->p, "%s is already a %s of entity %s, in office", ref ? ref : "", role,
                                   entity_id);
    /* The next sequence number in the insert itself (the entity row is locked), and nothing read back: sent with
     * the transaction's next statement on PostgreSQL (mez_db_send_insert). */
    if ((rv = mez_db_send_insert(c->p, c->db, &conflict, &taken,
                                 "INSERT INTO mez_mass_entity_officer (officer_id, entity_id, seq, name, role, "
                                 "identity_ref, identity_key, person_id, doc, appointed_at) SELECT %s, %s, "
                                 "COALESCE(MAX(seq), 0) + 1, %s, %s, %s, %s, %s, %s, %s FROM mez_mass_entity_officer "
                                 "WHERE entity_id = %s",
                                 c->pb, id, entity_id, json_string_value(json_object_get(officer, "name")), role,
                                 ref ? ref : MEZ_DB_NULL, ref ? ref : MEZ_DB_NULL, person_id ? person_id : MEZ_DB_NULL,
                                 mez_mass_doc_text(c, officer),
                                 json_string_value(json_object_get(officer, "appointed_at")), entity_id, NULL))
        != MEZ_OK)
        return rv;
    if (taken)
        return mez_mass_refuse(c, conflict.status, conflict.code, conflict.pointer, "%s", conflict.detail);
    *officer_id = id;
    return MEZ_OK;
}

static json_t *parse_doc(mez_mass_call_t *c, const char *text)
{
    json_t *d = mez_mass_doc_parse(c, text);
    return d ? mez_json_pool_own(c->p, d) : NULL;
}

static mez_status_t corrupt(mez_mass_call_t *c, const char *entity_id)
{
    return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                       "a stored officer of entity %s cannot be read", entity_id);
}

mez_status_t mez_mass_officers_current(mez_mass_call_t *c, const char *entity_id, json_t **out)
{
    apr_array_header_t *rows;
    json_t *a = mez_json_pool_own(c->p, json_array());
    mez_status_t rv = mez_db_query_rows(c->p, c->db, 1, &rows,
                                        "SELECT doc FROM mez_mass_entity_officer WHERE entity_id = %s AND "
                                        "resigned_at IS NULL ORDER BY seq", c->pb, entity_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        json_t *d = parse_doc(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (!d)
            return corrupt(c, entity_id);
        json_array_append(a, d);
    }
    *out = a;
    return MEZ_OK;
}

/* The extension's officer record from a row (OFFICER_COLS). */
static json_t *record(mez_mass_call_t *c, const char **r)
{
    json_t *rec = parse_doc(c, r[2]);
    if (!rec)
        return NULL;
    /* apr_dbd's pgsql driver reads SQL NULL as "": both mean "none" here. */
    for (int i = 3; i < 6; i++)
        if (r[i] && !*r[i])
            r[i] = NULL;
    rec = mez_json_pool_own(c->p, json_deep_copy(rec));
    json_object_set_new(rec, "officer_id", json_string(r[0]));
    json_object_set_new(rec, "entity_id", json_string(r[1]));
    json_object_set_new(rec, "active", json_boolean(!r[4]));
    if (r[3])
        json_object_set_new(rec, "person_id", json_string(r[3]));
    if (r[4])
        json_object_set_new(rec, "resigned_at", json_string(r[4]));
    if (r[5])
        json_object_set_new(rec, "resignation_reason", json_string(r[5]));
    return rec;
}

static mez_status_t answer_officer(mez_mass_call_t *c, int status, const char *officer_id)
{
    const char *cols[6];
    int found;
    json_t *rec;
    mez_status_t rv = mez_db_query_row(c->p, c->db, cols, 6, &found,
                                       "SELECT " OFFICER_COLS " FROM mez_mass_entity_officer WHERE officer_id = %s",
                                       c->pb, officer_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found || !(rec = record(c, cols)))
        return corrupt(c, officer_id);
    return mez_mass_answer(c, status, json_incref(rec));
}

static mez_status_t appoint(mez_mass_call_t *c, const char *entity_id)
{
    mez_mass_entity_row_t e;
    json_t *officer;
    const char *person, *id, *ref;
    int found, ok;
    mez_status_t rv;
    if ((rv = mez_mass_entity_for_path(c, entity_id, 1, &e, &found)) != MEZ_OK || !found)
        return rv;
    if ((rv = mez_mass_officer_input(c, c->req->body, "", &officer, &person, &ok)) != MEZ_OK || !ok)
        return rv;
    if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_ENTITY, e.state))
        return mez_mass_refuse(c, 409, "entity.not_live", NULL, "entity %s is %s: it can have no new officers",
                               entity_id, e.status);
    /* A person holds an office once at a time: a second appointment to it would list them twice among the
     * entity's directors (and count them twice wherever directors are counted). Read by identity_ref, not by the
     * index's key, so that officers in office since before schema 21 count too (0021 keyed only the first of a
     * person entered twice). The entity row is locked: nobody appoints beside this. A name alone is not compared:
     * it does not tell two people apart. */
    if ((ref = json_string_value(json_object_get(officer, "identity_ref")))) {
        const char *held = NULL, *role = json_string_value(json_object_get(officer, "role"));
        if ((rv = mez_db_query_value(c->p, c->db, &held,
                                     "SELECT officer_id FROM mez_mass_entity_officer WHERE entity_id = %s AND "
                                     "role = %s AND identity_ref = %s AND resigned_at IS NULL", c->pb, entity_id,
                                     role, ref, NULL)) != MEZ_OK)
            return rv;
        if (held)
            return mez_mass_refuse(c, 409, "entity.duplicate_officer", "/identity_ref",
                                   "%s is already a %s of entity %s, in office (officer %s)", ref, role, entity_id,
                                   held);
    }
    if ((rv = mez_mass_officer_insert(c, entity_id, officer, person, "", &id)) != MEZ_OK || c->resp->status
        || (rv = mez_mass_entity_save(c, &e)) != MEZ_OK)
        return rv;
    return answer_officer(c, 201, id);
}

static mez_status_t list(mez_mass_call_t *c, const char *entity_id)
{
    mez_mass_entity_row_t e;
    apr_array_header_t *rows;
    json_t *a = mez_json_pool_own(c->p, json_array());
    int found;
    mez_status_t rv;
    if ((rv = mez_mass_entity_for_path(c, entity_id, 0, &e, &found)) != MEZ_OK || !found)
        return rv;
    if ((rv = mez_db_query_rows(c->p, c->db, 6, &rows,
                                "SELECT " OFFICER_COLS " FROM mez_mass_entity_officer WHERE entity_id = %s "
                                "ORDER BY seq", c->pb, entity_id, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        json_t *rec = record(c, APR_ARRAY_IDX(rows, i, const char **));
        if (!rec)
            return corrupt(c, entity_id);
        json_array_append(a, rec);
    }
    return mez_mass_answer(c, 200, json_pack("{s:s,s:O}", "entity_id", entity_id, "officers", a));
}

/* An officer resigns from an office held: resigned_at before the stored appointment (both in mez_time_stamp form,
 * so they compare as text) is a 422 request.invalid_time at /resigned_at. 1 when acceptable, 0 after refusing; a
 * document that does not parse is left for answer_officer to report. */
static int resigns_after_appointment(mez_mass_call_t *c, const char *doc_text, const char *at)
{
    json_t *doc = parse_doc(c, doc_text);
    const char *appointed = doc ? json_string_value(json_object_get(doc, "appointed_at")) : NULL;
    if (appointed && strcmp(at, appointed) < 0) {
        mez_mass_refuse(c, 422, "request.invalid_time", "/resigned_at",
                        "resigned_at %s is before the officer's appointment at %s", at, appointed);
        return 0;
    }
    return 1;
}

static mez_status_t resign(mez_mass_call_t *c, const char *entity_id, const char *officer_id)
{
    static const char *const allowed[] = { "reason", "resigned_at", NULL };
    const char *reason = NULL, *at = NULL, *cols[6];
    mez_mass_entity_row_t e;
    int found;
    mez_status_t rv;
    if ((rv = mez_mass_entity_for_path(c, entity_id, 1, &e, &found)) != MEZ_OK || !found)
        return rv;
    if (!mez_mass_check_object(c, c->req->body, "", allowed)
        || !mez_mass_get_text(c, c->req->body, "", "reason", MEZ_MASS_OPTIONAL, 2000, &reason)
        || !mez_mass_get_time(c, c->req->body, "", "resigned_at", MEZ_MASS_OPTIONAL, &at))
        return MEZ_OK;
    if ((rv = mez_db_query_row(c->p, c->db, cols, 6, &found,
                               "SELECT " OFFICER_COLS " FROM mez_mass_entity_officer WHERE officer_id = %s AND "
                               "entity_id = %s", c->pb, officer_id, entity_id, NULL)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_not_found(c, "officer", officer_id);
    if (cols[4] && *cols[4])
        return mez_mass_refuse(c, 409, "entity.officer_resigned", NULL, "officer %s resigned at %s", officer_id,
                               cols[4]);
    if (!at)
        at = mez_time_stamp(c->p, c->ctx->now);
    else if (strcmp(at, mez_time_stamp(c->p, c->ctx->now)) > 0)
        return mez_mass_refuse(c, 422, "request.invalid_time", "/resigned_at", "resigned_at must not be in the future");
    if (!resigns_after_appointment(c, cols[2], at))
        return MEZ_OK;
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "UPDATE mez_mass_entity_officer SET resigned_at = %s, resignation_reason = %s "
                           "WHERE officer_id = %s", c->pb, at, reason ? reason : MEZ_DB_NULL, officer_id, NULL))
            != MEZ_OK
        || (rv = mez_mass_entity_save(c, &e)) != MEZ_OK)
        return rv;
    return answer_officer(c, 200, officer_id);
}

mez_status_t mez_mass_officers_route(mez_mass_call_t *c, const char *entity_id, const char *rest, int *handled)
{
    const char *caps[1];
    int get = !strcmp(c->req->method, "GET"), post = !strcmp(c->req->method, "POST");
    *handled = 1;
    if (!strcmp(rest, "/officers"))
        return post ? appoint(c, entity_id) : get ? list(c, entity_id) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, rest, "/officers/*/resign", caps, 1))
        return post ? resign(c, entity_id, caps[0]) : mez_mass_no_route(c, 1);
    *handled = 0;
    return MEZ_OK;
}
