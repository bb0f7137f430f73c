/* mass_entities.c: the sovereign Mass store's entities primitive (../shared/schemas/mass/apis/entities.openapi.yaml):
 * formation, reading, listing, lifecycle status and the beneficial-ownership registry. Officers and dissolution
 * live in mass_entity_officers.c and mass_dissolution.c.
 *
 *   POST /v1/entities                        CreateEntityRequest -> 201 Entity. entity_id "ent_" + 64 hex;
 *        jurisdiction_id defaults to the zone's. A new entity is PENDING_APPROVAL (its history records the
 *        DRAFT -> PENDING_APPROVAL submission): the zone approves it (PUT status ACTIVE) once its compliance
 *        evaluation passes. The legal name is unique per jurisdiction among live entities, compared folded
 *        (case, spacing): the row is inserted with ON CONFLICT DO NOTHING against the unique (jurisdiction_id,
 *        name_key) index, so concurrent formations of one name on any number of nodes create exactly one
 *        entity and the others get 409 "entity.name_taken". Directors become officers; beneficial owners'
 *        ownership_percentage values are decimal strings (0 < p <= 100, at most 4 decimals) whose total must
 *        not exceed 100 ("entity.ownership_exceeds_total"). An identity_ref of the form "per_..." must name a
 *        person of the identity registry ("identity.unknown_person"). One person (one identity_ref) is one
 *        director per role (422 "entity.duplicate_officer") and one beneficial owner (422
 *        "entity.duplicate_beneficial_owner"), the pointer at the repeat; entries without an identity_ref are
 *        not compared (a name does not tell two people apart).
 *   GET  /v1/entities/{id}                   Entity (404 "mass.not_found").
 *   GET  /v1/entities?jurisdiction_id=&status=&limit=&cursor=   (extension) {entities[], count, next_cursor?},
 *        ordered by entity_id; limit 1..1000 (100); next_cursor is opaque, passed back as cursor. A caller acting
 *        for one zone of a shared store lists that zone's entities only, whatever jurisdiction_id says.
 * A caller acting for one zone (mass_int.h: zones) forms entities stamped with its zone, in its own jurisdiction
 * (jurisdiction_id defaults to its zone, and another is 422 "entity.foreign_jurisdiction", as the zone API
 * answers), and every route below reaches its zone's entities only: another zone's is 404 "mass.not_found" as an
 * unknown id is (mez_mass_entity_load).
 *   PUT  /v1/entities/{id}/status            UpdateEntityStatusRequest -> 200 Entity. target_status is mapped to
 *        the entity lifecycle's event from the current state (mez/lifecycle.h); none: 409
 *        "lifecycle.illegal_transition" naming the current state and the events allowed from it. DISSOLVING and
 *        DISSOLVED are reached only through the dissolution routes (422 "entity.use_dissolution_route").
 *        effective_at (not in the future, not before the last transition) dates the record; evidence items are
 *        kept as artifact references (an inline VC by the sha256 of its canonical JSON).
 *        A terminal status (DISSOLVED, STRUCK_OFF, REJECTED) releases the legal name for a new formation.
 *   GET  /v1/entities/{id}/beneficial-owners BeneficialOwnershipRegistry; include_historical, verification_status
 *        filters. An owner whose identity_ref names a registry person shows that person's verification.
 *
 * Every status change rewrites doc, status and updated_at and appends a StatusTransitionRecord to the history
 * table (the Entity's history array is read from it). Other primitives read mez_mass_entity.status to see that
 * an entity exists and is ACTIVE. */
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mass_registry.h"
#include "mass_values.h"

#define LEGAL_NAME_MAX 500
#define JURISDICTION_MAX 64
#define REASON_MAX 2000
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
#define PPM_WHOLE INT64_C(1000000)    /* 100% in millionths */
#define UBO_THRESHOLD "25.0"           /* FATF's usual ownership threshold, reported with the registry */

static const char *const entity_types[] = { "llc", "corporation", "partnership", "trust", "dao_llc", "foundation",
                                            NULL };
static const char *const control_types[] = { "direct", "indirect", "joint", "nominee", "trust_beneficiary",
                                             "voting_rights", NULL };

static json_t *own(mez_mass_call_t *c, json_t *v)
{
    return mez_json_pool_own(c->p, v);
}

static const char *now_stamp(mez_mass_call_t *c)
{
    return mez_time_stamp(c->p, c->ctx->now);
}

/* ---------------------------------------------------------------- loading and saving */

/* The entity row's columns as load reads them, and the key under which this transaction remembers the rows it
 * wrote (mez_db_tx_remember): every write of mez_mass_entity is in this file (the INSERT in create_entity, the
 * UPDATEs in save_with and mez_mass_entity_move), and each remembers the row it wrote, so a later load in the
 * same transaction (the approval that follows a formation) takes it without a round trip. The transaction holds
 * the row's lock from its write on (an INSERT is invisible to others, an UPDATE locks against every other writer
 * and FOR UPDATE reader), which is what load's FOR UPDATE is for. */
#define ENTITY_COLS 8

static const char *entity_key(mez_mass_call_t *c, const char *entity_id)
{
    return apr_pstrcat(c->p, "mez_mass_entity/", entity_id, NULL);
}

static void remember_entity(mez_mass_call_t *c, const mez_mass_entity_row_t *e, const char *text)
{
    const char *cols[ENTITY_COLS] = { e->entity_id, e->status, e->legal_name, e->name_key, e->jurisdiction_id,
                                      e->updated_at, text, e->zone_id };
    mez_db_tx_remember(c->db, entity_key(c, e->entity_id), ENTITY_COLS, cols);
}

mez_status_t mez_mass_entity_load(mez_mass_call_t *c, const char *entity_id, int lock, mez_mass_entity_row_t *e,
                                  int *found)
{
    const char *cols[ENTITY_COLS];
    mez_status_t rv = MEZ_OK;
    if ((*found = mez_db_tx_recall(c->db, entity_key(c, entity_id), ENTITY_COLS, cols)) == 0)
        rv = mez_db_query_row(c->p, c->db, cols, ENTITY_COLS, found,
                              apr_pstrcat(c->p, "SELECT entity_id, status, legal_name, name_key, jurisdiction_id, "
                                          "updated_at, doc, zone_id FROM mez_mass_entity WHERE entity_id = %s",
                                          lock ? mez_db_for_update(c->db) : "", NULL),
                              c->pb, entity_id, NULL);
    if (rv != MEZ_OK || !*found)
        return rv;
    /* Another zone's entity is not there for this caller: the answers that follow are an unknown id's. (Locked
     * all the same when asked to: nothing is written to it, and the caller's answer rolls back.) */
    if (!mez_mass_zone_visible(c, cols[7])) {
        *found = 0;
        return MEZ_OK;
    }
    memset(e, 0, sizeof(*e));
    e->entity_id = cols[0];
    e->status = cols[1];
    e->legal_name = cols[2];
    e->name_key = cols[3];
    e->jurisdiction_id = cols[4];
    e->updated_at = cols[5];
    e->zone_id = mez_mass_nullable(cols[7]);
    e->doc = mez_mass_doc_parse(c, cols[6]);
    if (!e->doc || mez_lifecycle_state_parse(c->p, MEZ_LIFECYCLE_ENTITY, e->status, &e->state, NULL) != MEZ_OK)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                           "the stored record of entity %s cannot be read", entity_id);
    own(c, e->doc);
    return MEZ_OK;
}

mez_status_t mez_mass_entity_for_path(mez_mass_call_t *c, const char *entity_id, int lock, mez_mass_entity_row_t *e,
                                      int *found)
{
    mez_status_t rv;
    *found = 0;
    if (mez_mass_is_id(entity_id, "ent_") && (rv = mez_mass_entity_load(c, entity_id, lock, e, found)) != MEZ_OK)
        return rv;
    if (!*found)
        mez_mass_not_found(c, "entity", entity_id);
    return MEZ_OK;
}

static mez_status_t history_docs(mez_mass_call_t *c, const char *entity_id, json_t **out)
{
    apr_array_header_t *rows;
    json_t *a = own(c, json_array());
    mez_status_t rv = mez_db_query_rows(c->p, c->db, 1, &rows,
                                        "SELECT doc FROM mez_mass_entity_history WHERE entity_id = %s ORDER BY seq",
                                        c->pb, entity_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        json_t *d = mez_mass_doc_parse(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (!d)
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                               "a stored status transition of entity %s cannot be read", entity_id);
        json_array_append_new(a, d);
    }
    *out = a;
    return MEZ_OK;
}

#define ENTITY_UPDATE "UPDATE mez_mass_entity SET status = %s, name_key = %s, doc = %s, updated_at = %s " \
                      "WHERE entity_id = %s"

/* The document as the row will hold it: with reread, its directors and history are read back from their tables
 * first (after officers changed, or for a document that does not hold them yet). */
static mez_status_t entity_text(mez_mass_call_t *c, mez_mass_entity_row_t *e, int reread, const char **text)
{
    json_t *directors = NULL, *history = NULL;
    const char *now = now_stamp(c);
    mez_status_t rv;
    if (reread) {
        if ((rv = mez_mass_officers_current(c, e->entity_id, &directors)) != MEZ_OK
            || (rv = history_docs(c, e->entity_id, &history)) != MEZ_OK)
            return rv;
        json_object_set(e->doc, "directors", directors);
        json_object_set(e->doc, "history", history);
    }
    json_object_set_new(e->doc, "status", json_string(e->status));
    json_object_set_new(e->doc, "updated_at", json_string(now));
    if (!(*text = mez_mass_doc_text(c, e->doc)))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.answer_not_json", NULL,
                           "entity %s could not be serialised", e->entity_id);
    e->updated_at = now;
    return MEZ_OK;
}

/* Writes the entity's row (see entity_text for reread). */
static mez_status_t save_with(mez_mass_call_t *c, mez_mass_entity_row_t *e, int reread)
{
    const char *text;
    mez_status_t rv = entity_text(c, e, reread, &text);
    if (rv == MEZ_OK)
        rv = mez_db_execv(c->p, c->db, NULL, ENTITY_UPDATE, c->pb, e->status, e->name_key, text, e->updated_at,
                          e->entity_id, NULL);
    if (rv == MEZ_OK)
        remember_entity(c, e, text);
    return rv;
}

mez_status_t mez_mass_entity_save(mez_mass_call_t *c, mez_mass_entity_row_t *e)
{
    return save_with(c, e, 1);
}

/* The next sequence number in the insert itself (the entity row is locked): one round trip, not two. */
#define HISTORY_INSERT "INSERT INTO mez_mass_entity_history (transition_id, entity_id, seq, event, from_status, " \
                       "to_status, doc, transitioned_at) SELECT %s, %s, COALESCE(MAX(seq), 0) + 1, %s, %s, %s, %s, " \
                       "%s FROM mez_mass_entity_history WHERE entity_id = %s"

static json_t *history_record(mez_mass_call_t *c, const char *id, const char *from, const char *to,
                              const char *reason, json_t *evidence_refs, const char *at)
{
    json_t *rec = own(c, json_pack("{s:s,s:s,s:s,s:s}", "transition_id", id, "from_status", from, "to_status", to,
                                   "transitioned_at", at));
    if (reason)
        json_object_set_new(rec, "reason", json_string(reason));
    if (evidence_refs && json_array_size(evidence_refs))
        json_object_set(rec, "evidence_refs", evidence_refs);
    return rec;
}

mez_status_t mez_mass_entity_move(mez_mass_call_t *c, mez_mass_entity_row_t *e, int event, int to_state,
                                  const char *reason, json_t *evidence_refs, const char *at)
{
    const char *to = mez_lifecycle_state_name(MEZ_LIFECYCLE_ENTITY, to_state);
    const char *event_name = mez_lifecycle_event_name(MEZ_LIFECYCLE_ENTITY, event), *from = e->status;
    const char *id = mez_mass_new_id(c->p, "trn_"), *record_text, *text;
    json_t *record = history_record(c, id, from, to, reason, evidence_refs, at);
    json_t *history = json_object_get(e->doc, "history");
    int reread;
    mez_status_t rv;

    record_text = mez_mass_doc_text(c, record);
    /* A move changes the history only: a document read from the locked row already holds the directors and the
     * history as of its last save (every change of either is saved), so the new record is appended here instead
     * of reading both tables back. A document that does not hold them (none does since formation writes them;
     * kept for a row of any other origin) is read, after the record is in its table. */
    reread = !json_is_array(history) || !json_is_array(json_object_get(e->doc, "directors"));
    if (!reread)
        json_array_append(history, record);
    /* A registry holds a name for live entities only: a terminal entity keeps its legal_name, but its name_key
     * becomes unique to it, so the (jurisdiction_id, name_key) index lets a new formation take the name. */
    if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_ENTITY, to_state) && !strchr(e->name_key, '#'))
        e->name_key = apr_pstrcat(c->p, e->name_key, "#", e->entity_id, NULL);
    if (event == MEZ_ENTITY_EV_APPROVE && !json_object_get(e->doc, "formation_date"))
        json_object_set_new(e->doc, "formation_date", json_stringn(at, 10));
    e->status = to;
    e->state = to_state;
    if (reread || !mez_db_has_writable_cte(c->db)) {
        if ((rv = mez_db_send(c->p, c->db, HISTORY_INSERT, c->pb, id, e->entity_id, event_name, from, to,
                              record_text, at, e->entity_id, NULL)) != MEZ_OK)
            return rv;
        return save_with(c, e, reread);
    }
    /* On PostgreSQL the history record and the entity's row go in one statement: the INSERT in a WITH (run once,
     * whether or not the UPDATE reads it), then the UPDATE. */
    if ((rv = entity_text(c, e, 0, &text)) != MEZ_OK
        || (rv = mez_db_send(c->p, c->db, "WITH recorded AS (" HISTORY_INSERT ") " ENTITY_UPDATE, c->pb, id,
                             e->entity_id, event_name, from, to, record_text, at, e->entity_id, e->status,
                             e->name_key, text, e->updated_at, e->entity_id, NULL)) != MEZ_OK)
        return rv;
    remember_entity(c, e, text);
    return MEZ_OK;
}

/* ---------------------------------------------------------------- formation */

static int get_address(mez_mass_call_t *c, const json_t *body, json_t *doc)
{
    static const char *const allowed[] = { "address_line_1", "address_line_2", "city", "state_province",
                                           "postal_code", "country_code", NULL };
    static const struct { const char *name; int required; size_t max; } lines[] = {
        { "address_line_1", 1, 500 }, { "address_line_2", 0, 500 }, { "city", 1, 200 },
        { "state_province", 0, 200 }, { "postal_code", 0, 20 },
    };
    const json_t *a = NULL;
    const char *cc = NULL;
    json_t *out;
    if (!mez_mass_get_object(c, body, "", "registered_office", MEZ_MASS_OPTIONAL, &a))
        return 0;
    if (!a)
        return 1;
    if (!mez_mass_check_object(c, a, "/registered_office", allowed))
        return 0;
    out = own(c, json_object());
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        const char *s = NULL;
        if (!mez_mass_get_text(c, a, "/registered_office", lines[i].name, lines[i].required, lines[i].max, &s))
            return 0;
        if (s)
            json_object_set_new(out, lines[i].name, json_string(s));
    }
    if (!mez_mass_get_code(c, a, "/registered_office", "country_code", MEZ_MASS_REQUIRED, 2, &cc))
        return 0;
    json_object_set_new(out, "country_code", json_string(cc));
    json_object_set(doc, "registered_office", out);
    return 1;
}

/* A non-negative decimal string (at most 4 decimals) at pointer; *scaled its value in ten-thousandths. */
static int get_decimal(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                       const char **out, int64_t *scaled)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, required, 40, &s))
        return 0;
    if (!s)
        return 1;
    if (mez_mass_decimal_parse(s, 4, 4, INT64_MAX / 2, scaled) != MEZ_DECIMAL_OK) {
        mez_mass_refuse(c, 422, "request.invalid_decimal", mez_pointer_join(c->p, base, name),
                        "'%s' must be a non-negative decimal string with at most 4 decimals, not '%s'", name, s);
        return 0;
    }
    *out = s;
    return 1;
}

static int get_share_capital(mez_mass_call_t *c, const json_t *body, json_t *doc)
{
    static const char *const allowed[] = { "authorized_amount", "issued_amount", "currency", "share_classes", NULL };
    static const char *const class_allowed[] = { "class_name", "par_value", "authorized_shares", "voting_rights",
                                                 NULL };
    const json_t *sc = NULL, *classes = NULL;
    const char *auth = NULL, *issued = NULL, *cur = NULL;
    int64_t auth_v = 0, issued_v = 0;
    json_t *out;
    if (!mez_mass_get_object(c, body, "", "share_capital", MEZ_MASS_OPTIONAL, &sc))
        return 0;
    if (!sc)
        return 1;
    if (!mez_mass_check_object(c, sc, "/share_capital", allowed)
        || !get_decimal(c, sc, "/share_capital", "authorized_amount", MEZ_MASS_OPTIONAL, &auth, &auth_v)
        || !get_decimal(c, sc, "/share_capital", "issued_amount", MEZ_MASS_OPTIONAL, &issued, &issued_v)
        || !mez_mass_get_code(c, sc, "/share_capital", "currency", MEZ_MASS_OPTIONAL, 3, &cur)
        || !mez_mass_get_array(c, sc, "/share_capital", "share_classes", MEZ_MASS_OPTIONAL, 0, &classes))
        return 0;
    if (auth && issued && issued_v > auth_v) {
        mez_mass_refuse(c, 422, "entity.issued_exceeds_authorized", "/share_capital/issued_amount",
                        "issued_amount %s exceeds authorized_amount %s", issued, auth);
        return 0;
    }
    out = own(c, json_object());
    if (auth)
        json_object_set_new(out, "authorized_amount", json_string(auth));
    if (issued)
        json_object_set_new(out, "issued_amount", json_string(issued));
    if (cur)
        json_object_set_new(out, "currency", json_string(cur));
    if (classes) {
        json_t *list = json_array();
        json_object_set_new(out, "share_classes", list);
        for (size_t i = 0; i < json_array_size(classes); i++) {
            const json_t *k = json_array_get(classes, i);
            const char *at = mez_pointer_index(c->p, "/share_capital/share_classes", i), *name = NULL, *par = NULL;
            json_int_t shares = -1;
            int voting = 1;
            int64_t par_v;
            json_t *one;
            if (!mez_mass_check_object(c, k, at, class_allowed)
                || !mez_mass_get_text(c, k, at, "class_name", MEZ_MASS_REQUIRED, 100, &name)
                || !get_decimal(c, k, at, "par_value", MEZ_MASS_OPTIONAL, &par, &par_v)
                || !mez_mass_get_int(c, k, at, "authorized_shares", MEZ_MASS_OPTIONAL, 0, MEZ_MASS_SHARES_MAX,
                                     &shares)
                || !mez_mass_get_bool(c, k, at, "voting_rights", MEZ_MASS_OPTIONAL, &voting))
                return 0;
            one = json_pack("{s:s,s:b}", "class_name", name, "voting_rights", voting);
            if (par)
                json_object_set_new(one, "par_value", json_string(par));
            if (shares >= 0)
                json_object_set_new(one, "authorized_shares", json_integer(shares));
            json_array_append_new(list, one);
        }
    }
    json_object_set(doc, "share_capital", out);
    return 1;
}

typedef struct owner_in_t {
    json_t *doc;              /* BeneficialOwner members given at formation */
    const char *person_id, *name, *identity_ref, *control_type;
    int64_t ppm;
} owner_in_t;

/* "35.5" -> 355000 millionths; "0" and anything above 100 are refused. */
static mez_status_t get_owners(mez_mass_call_t *c, const json_t *body, apr_array_header_t **out, int *ok)
{
    static const char *const allowed[] = { "name", "identity_ref", "nationality", "date_of_birth",
                                           "ownership_percentage", "control_type", NULL };
    const json_t *list = NULL;
    apr_hash_t *seen = apr_hash_make(c->p);
    int64_t total = 0;
    *ok = 0;
    *out = apr_array_make(c->p, 4, sizeof(owner_in_t));
    if (!mez_mass_get_array(c, body, "", "beneficial_owners", MEZ_MASS_OPTIONAL, 0, &list))
        return MEZ_OK;
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *v = json_array_get(list, i);
        const char *at = mez_pointer_index(c->p, "/beneficial_owners", i), *pct = NULL, *nat = NULL, *dob = NULL;
        owner_in_t *o = apr_array_push(*out);
        int64_t ten_thousandths = 0;
        int ref_ok = 1;
        mez_status_t rv;
        memset(o, 0, sizeof(*o));
        if (!mez_mass_check_object(c, v, at, allowed)
            || !mez_mass_get_text(c, v, at, "name", MEZ_MASS_REQUIRED, 300, &o->name)
            || !mez_mass_get_text(c, v, at, "identity_ref", MEZ_MASS_OPTIONAL, 500, &o->identity_ref)
            || !mez_mass_get_code(c, v, at, "nationality", MEZ_MASS_OPTIONAL, 2, &nat)
            || !mez_mass_get_date(c, v, at, "date_of_birth", MEZ_MASS_OPTIONAL, &dob)
            || !get_decimal(c, v, at, "ownership_percentage", MEZ_MASS_REQUIRED, &pct, &ten_thousandths)
            || !mez_mass_get_enum(c, v, at, "control_type", MEZ_MASS_REQUIRED, control_types, &o->control_type))
            return MEZ_OK;
        o->ppm = ten_thousandths;    /* ten-thousandths of a percent are millionths of the whole */
        if (o->ppm <= 0 || o->ppm > PPM_WHOLE) {
            mez_mass_refuse(c, 422, "entity.invalid_percentage", mez_pointer_join(c->p, at, "ownership_percentage"),
                            "ownership_percentage must be above 0 and at most 100, not '%s'", pct);
            return MEZ_OK;
        }
        total += o->ppm;
        if (total > PPM_WHOLE) {
            mez_mass_refuse(c, 422, "entity.ownership_exceeds_total", mez_pointer_join(c->p, at,
                                                                                      "ownership_percentage"),
                            "the beneficial owners' percentages add up to more than 100 (%s at owner %" APR_SIZE_T_FMT ")",
                            mez_mass_decimal_format(c->p, total, 4), (apr_size_t)i);
            return MEZ_OK;
        }
        if (o->identity_ref && ((rv = mez_mass_identity_ref(c, o->identity_ref, mez_pointer_join(c->p, at,
                                                                                                "identity_ref"),
                                                            &o->person_id, &ref_ok)) != MEZ_OK || !ref_ok))
            return rv;
        /* A person is one beneficial owner: a stake entered in two parts (20 % and 15 %) would show two owners
         * each under the threshold where one holds 35 %. The repeat is refused, not added up: which entry is
         * right is the applicant's to say. */
        if (o->identity_ref) {
            const char *first = apr_hash_get(seen, o->identity_ref, APR_HASH_KEY_STRING);
            if (first) {
                mez_mass_refuse(c, 422, "entity.duplicate_beneficial_owner", mez_pointer_join(c->p, at,
                                                                                              "identity_ref"),
                                "%s is named twice as a beneficial owner (first at %s): one entry per person, with "
                                "the whole of their ownership", o->identity_ref, first);
                return MEZ_OK;
            }
            apr_hash_set(seen, o->identity_ref, APR_HASH_KEY_STRING, at);
        }
        o->doc = own(c, json_pack("{s:s,s:s,s:s}", "name", o->name, "ownership_percentage",
                                  mez_mass_decimal_format(c->p, o->ppm, 4), "control_type", o->control_type));
        if (o->identity_ref)
            json_object_set_new(o->doc, "identity_ref", json_string(o->identity_ref));
        if (nat)
            json_object_set_new(o->doc, "nationality", json_string(nat));
        if (dob)
            json_object_set_new(o->doc, "date_of_birth", json_string(dob));
    }
    *ok = 1;
    return MEZ_OK;
}

static int jurisdiction_ok(const char *s)
{
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-'
              || *q == '_' || *q == '.' || *q == ':'))
            return 0;
    return *s != '\0';
}

static mez_status_t create_entity(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "entity_type", "legal_name", "trading_name", "jurisdiction_id",
                                           "registered_office", "share_capital", "directors", "beneficial_owners",
                                           "metadata", NULL };
    const json_t *body = c->req->body, *directors = NULL, *metadata = NULL;
    /* A caller acting for one zone forms entities in that zone's jurisdiction (a zone's jurisdiction id is its
     * zone id, as its own zone API writes it), not in the store's: mass_int.h, zones. */
    const char *type = NULL, *name = NULL, *trading = NULL, *key, *text;
    const char *jur = c->ctx->caller_zone_id ? c->ctx->caller_zone_id : c->ctx->jurisdiction_id;
    const char *zone = mez_mass_zone_stamp(c);
    const char *id = mez_mass_new_id(c->p, "ent_"), *now = now_stamp(c);
    /* Formation submits a draft: the two states' names as the entity lifecycle spells them. */
    const char *draft = mez_lifecycle_state_name(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_DRAFT);
    const char *submitted = mez_lifecycle_state_name(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_PENDING_APPROVAL);
    apr_array_header_t *officers = apr_array_make(c->p, 4, sizeof(json_t *));
    apr_array_header_t *officer_people = apr_array_make(c->p, 4, sizeof(const char *));
    apr_hash_t *seen_officers = apr_hash_make(c->p);
    apr_array_header_t *owners;
    json_t *doc, *submission;
    mez_db_conflict_t conflict;
    int ok, taken = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_enum(c, body, "", "entity_type", MEZ_MASS_REQUIRED, entity_types, &type)
        || !mez_mass_get_text(c, body, "", "legal_name", MEZ_MASS_REQUIRED, LEGAL_NAME_MAX, &name)
        || !mez_mass_get_text(c, body, "", "trading_name", MEZ_MASS_OPTIONAL, LEGAL_NAME_MAX, &trading)
        || !mez_mass_get_string(c, body, "", "jurisdiction_id", MEZ_MASS_OPTIONAL, JURISDICTION_MAX, &jur))
        return MEZ_OK;
    key = mez_mass_name_key(c->p, name);
    if (!*key)
        return mez_mass_refuse(c, 422, "request.empty_value", "/legal_name", "legal_name must not be blank");
    if (!jur || !jurisdiction_ok(jur))
        return mez_mass_refuse(c, 422, "request.invalid_value", "/jurisdiction_id",
                               "jurisdiction_id must be letters, digits and '-', '_', '.', ':'");
    /* Another jurisdiction's register is another zone's: an entity formed there would take a name from its
     * register (its formations of that name then refused, entity.name_taken) and tell this caller which names it
     * holds. Refused as the zone API refuses it. */
    if (c->ctx->caller_zone_id && strcmp(jur, c->ctx->caller_zone_id))
        return mez_mass_refuse(c, 422, "entity.foreign_jurisdiction", "/jurisdiction_id",
                               "this caller forms entities in %s only, not %s", c->ctx->caller_zone_id, jur);
    doc = own(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "entity_id", id, "entity_type", type, "legal_name", name,
                           "status", submitted, "jurisdiction_id", jur, "created_at", now, "updated_at",
                           now));
    if (trading)
        json_object_set_new(doc, "trading_name", json_string(trading));
    if (!get_address(c, body, doc) || !get_share_capital(c, body, doc)
        || !mez_mass_get_array(c, body, "", "directors", MEZ_MASS_OPTIONAL, 1, &directors)
        || !mez_mass_get_object(c, body, "", "metadata", MEZ_MASS_OPTIONAL, &metadata))
        return MEZ_OK;
    for (size_t i = 0; directors && i < json_array_size(directors); i++) {
        json_t *officer;
        const char *person, *ref, *role, *seen_key;
        const char *at = mez_pointer_index(c->p, "/directors", i);
        if ((rv = mez_mass_officer_input(c, json_array_get(directors, i), at, &officer, &person, &ok)) != MEZ_OK
            || !ok)
            return rv;
        /* One person, one place in a role: the same identity_ref twice as a director would list and count one
         * director as two. The repeat is the mistake; the pointer names it. */
        ref = json_string_value(json_object_get(officer, "identity_ref"));
        role = json_string_value(json_object_get(officer, "role"));
        if (ref) {
            seen_key = apr_pstrcat(c->p, role, "\n", ref, NULL);
            if (apr_hash_get(seen_officers, seen_key, APR_HASH_KEY_STRING))
                return mez_mass_refuse(c, 422, "entity.duplicate_officer", mez_pointer_join(c->p, at, "identity_ref"),
                                       "%s is named twice as a %s (first at %s)", ref, role,
                                       (const char *)apr_hash_get(seen_officers, seen_key, APR_HASH_KEY_STRING));
            apr_hash_set(seen_officers, seen_key, APR_HASH_KEY_STRING, at);
        }
        APR_ARRAY_PUSH(officers, json_t *) = officer;
        APR_ARRAY_PUSH(officer_people, const char *) = person;
    }
    if ((rv = get_owners(c, body, &owners, &ok)) != MEZ_OK || !ok)
        return rv;
    if (metadata)
        json_object_set(doc, "metadata", (json_t *)metadata);

    /* Formation is the applicant's submission of its draft: DRAFT -> PENDING_APPROVAL, on the record. The draft is
     * never seen outside this transaction, so the row is written once, already submitted, with its directors
     * (the officers inserted below, in their order) and the submission as the first record of its history: one
     * write of the document instead of an INSERT and an UPDATE (each storing and compressing it again). */
    {
        json_t *current = own(c, json_array());
        for (int i = 0; i < officers->nelts; i++)
            json_array_append(current, APR_ARRAY_IDX(officers, i, json_t *));
        json_object_set(doc, "directors", current);
        submission = history_record(c, mez_mass_new_id(c->p, "trn_"), draft, submitted,
                                    "formation submitted", NULL, now);
        json_object_set_new(doc, "history", json_pack("[O]", submission));
    }
    if (!(text = mez_mass_doc_text(c, doc)))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.answer_not_json", NULL,
                           "the entity could not be serialised");
    /* The unique (jurisdiction_id, name_key) index decides between concurrent formations: the loser inserts
     * nothing (on PostgreSQL it waits for the winner's commit first), and is told so. On PostgreSQL's pipeline
     * nobody waits for the INSERT: the refusal surfaces at the transaction's next read or its COMMIT, as this
     * same 409, and nothing of the request is kept (mez_db_send_insert); elsewhere it is known at once. */
    conflict.status = 409;
    conflict.code = "entity.name_taken";
    conflict.pointer = "/legal_name";
    conflict.detail = apr_psprintf(c->p, "an entity named '%s' is already registered in jurisdiction %s", name, jur);
    if ((rv = mez_db_send_insert(c->p, c->db, &conflict, &taken,
                                 "INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, "
                                 "jurisdiction_id, status, doc, created_at, updated_at, zone_id) VALUES (%s, %s, %s, "
                                 "%s, %s, %s, %s, %s, %s, %s)",
                                 c->pb, id, type, name, key, jur, submitted, text, now, now,
                                 zone ? zone : MEZ_DB_NULL, NULL)) != MEZ_OK)
        return rv;
    if (taken)
        return mez_mass_refuse(c, 409, conflict.code, conflict.pointer, "%s", conflict.detail);
    {
        const mez_mass_entity_row_t e = { .entity_id = id, .status = submitted, .legal_name = name,
                                          .name_key = key, .jurisdiction_id = jur, .updated_at = now,
                                          .zone_id = zone };
        remember_entity(c, &e, text);
    }
    for (int i = 0; i < officers->nelts; i++) {
        const char *oid;
        if ((rv = mez_mass_officer_insert(c, id, APR_ARRAY_IDX(officers, i, json_t *),
                                          APR_ARRAY_IDX(officer_people, i, const char *),
                                          mez_pointer_index(c->p, "/directors", (size_t)i), &oid)) != MEZ_OK
            || c->resp->status)
            return rv;
    }
    for (int i = 0; i < owners->nelts; i++) {
        owner_in_t *o = &APR_ARRAY_IDX(owners, i, owner_in_t);
        const char *uid = mez_mass_new_id(c->p, "ubo_");
        json_object_set_new(o->doc, "beneficial_owner_id", json_string(uid));
        /* identity_key: the partial unique index (entity_id, identity_key) WHERE removed_at IS NULL holds one
         * entry per person among the current owners (get_owners has refused a repeat already). */
        if ((rv = mez_db_send(c->p, c->db,
                              "INSERT INTO mez_mass_entity_owner (beneficial_owner_id, entity_id, seq, name, "
                              "identity_ref, identity_key, person_id, ownership_ppm, control_type, doc, created_at) "
                              "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                              c->pb, uid, id, apr_itoa(c->p, i + 1), o->name,
                              o->identity_ref ? o->identity_ref : MEZ_DB_NULL,
                              o->identity_ref ? o->identity_ref : MEZ_DB_NULL,
                              o->person_id ? o->person_id : MEZ_DB_NULL, apr_ltoa(c->p, (long)o->ppm),
                              o->control_type, mez_mass_doc_text(c, o->doc), now, NULL)) != MEZ_OK)
            return rv;
    }
    if ((rv = mez_db_send(c->p, c->db,
                          "INSERT INTO mez_mass_entity_history (transition_id, entity_id, seq, event, from_status, "
                          "to_status, doc, transitioned_at) VALUES (%s, %s, 1, %s, %s, %s, %s, %s)",
                          c->pb, json_string_value(json_object_get(submission, "transition_id")), id,
                          mez_lifecycle_event_name(MEZ_LIFECYCLE_ENTITY, MEZ_ENTITY_EV_SUBMIT), draft, submitted,
                          mez_mass_doc_text(c, submission), now, NULL)) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 201, json_incref(doc));
}

/* ---------------------------------------------------------------- status */

static int get_evidence(mez_mass_call_t *c, const json_t *body, json_t **refs)
{
    static const char *const allowed[] = { "type", "credential_ref", "inline_vc", NULL };
    const json_t *list = NULL;
    *refs = own(c, json_array());
    if (!mez_mass_get_array(c, body, "", "evidence", MEZ_MASS_OPTIONAL, 0, &list))
        return 0;
    for (size_t i = 0; list && i < json_array_size(list); i++) {
        const json_t *v = json_array_get(list, i), *cref, *vc = NULL;
        const char *at = mez_pointer_index(c->p, "/evidence", i), *type = NULL;
        json_t *ref;
        if (!mez_mass_check_object(c, v, at, allowed)
            || !mez_mass_get_text(c, v, at, "type", MEZ_MASS_OPTIONAL, 100, &type)
            || !mez_mass_get_object(c, v, at, "inline_vc", MEZ_MASS_OPTIONAL, &vc))
            return 0;
        if ((cref = json_object_get(v, "credential_ref"))) {
            if (!mez_mass_get_artifact_ref(c, cref, mez_pointer_join(c->p, at, "credential_ref"), &ref))
                return 0;
            json_array_append(*refs, ref);
        }
        if (vc) {
            mez_digest_t d;
            /* An inline credential is kept by what it is: the digest of its canonical form. */
            if (mez_digest_json(c->p, vc, &d, NULL) != MEZ_OK) {
                mez_mass_refuse(c, 422, "request.invalid_value", mez_pointer_join(c->p, at, "inline_vc"),
                                "inline_vc cannot be canonicalised");
                return 0;
            }
            json_array_append_new(*refs, json_pack("{s:s,s:s}", "digest_sha256", mez_digest_hex(c->p, &d),
                                                   "artifact_type", "vc"));
        }
        if (!cref && !vc) {
            mez_mass_refuse(c, 422, "request.missing_field", mez_pointer_join(c->p, at, "credential_ref"),
                            "an evidence item names a credential_ref or carries an inline_vc");
            return 0;
        }
    }
    return 1;
}

/* The 409 for a target no event reaches, in the lifecycle's words. */
static mez_status_t unreachable(mez_mass_call_t *c, const mez_mass_entity_row_t *e, const char *target)
{
    const char *allowed = mez_lifecycle_allowed(c->p, MEZ_LIFECYCLE_ENTITY, e->state);
    if (!*allowed)
        return mez_mass_refuse(c, 409, "lifecycle.illegal_transition", "/target_status",
                               "entity lifecycle: %s cannot become %s; %s is terminal (no event leaves it)", e->status,
                               target, e->status);
    return mez_mass_refuse(c, 409, "lifecycle.illegal_transition", "/target_status",
                           "entity lifecycle: %s cannot become %s; allowed from %s: %s", e->status, target, e->status,
                           allowed);
}

static mez_status_t put_status(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const allowed[] = { "target_status", "reason", "effective_at", "evidence", NULL };
    const json_t *body = c->req->body;
    const char *target = NULL, *reason = NULL, *at = NULL, *last = NULL;
    mez_mass_entity_row_t e;
    json_t *refs;
    int found, to, event;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", allowed)
        || !mez_mass_get_string(c, body, "", "target_status", MEZ_MASS_REQUIRED, 40, &target)
        || !mez_mass_get_text(c, body, "", "reason", MEZ_MASS_OPTIONAL, REASON_MAX, &reason)
        || !mez_mass_get_time(c, body, "", "effective_at", MEZ_MASS_OPTIONAL, &at) || !get_evidence(c, body, &refs))
        return MEZ_OK;
    if (mez_lifecycle_state_parse(c->p, MEZ_LIFECYCLE_ENTITY, target, &to, NULL) != MEZ_OK)
        return mez_mass_refuse(c, 422, "lifecycle.unknown_state", "/target_status",
                               "'%s' is not an entity status (DRAFT, PENDING_APPROVAL, ACTIVE, SUSPENDED, DISSOLVING, "
                               "DISSOLVED, STRUCK_OFF, REJECTED)", target);
    if ((rv = mez_mass_entity_for_path(c, entity_id, 1, &e, &found)) != MEZ_OK || !found)
        return rv;
    if ((event = mez_lifecycle_event_between(MEZ_LIFECYCLE_ENTITY, e.state, to)) < 0)
        return unreachable(c, &e, target);
    if (event == MEZ_ENTITY_EV_INITIATE_DISSOLUTION || event == MEZ_ENTITY_EV_ADVANCE_DISSOLUTION)
        return mez_mass_refuse(c, 422, "entity.use_dissolution_route", "/target_status",
                               "%s is reached through POST /v1/entities/%s/dissolution/%s, which keeps the "
                               "dissolution's stages", target, entity_id,
                               event == MEZ_ENTITY_EV_INITIATE_DISSOLUTION ? "initiate" : "advance");
    /* Only a transition dated by the caller needs the last one's date (to stay in order). */
    if (at && (rv = mez_db_query_value(c->p, c->db, &last,
                                       "SELECT MAX(transitioned_at) FROM mez_mass_entity_history WHERE entity_id = %s",
                                       c->pb, entity_id, NULL)) != MEZ_OK)
        return rv;
    if (at && (strcmp(at, now_stamp(c)) > 0 || (last && *last && strcmp(at, last) < 0)))
        return mez_mass_refuse(c, 422, "entity.effective_at_out_of_order", "/effective_at",
                               "effective_at must lie between the last transition (%s) and now",
                               last && *last ? last : "none");
    if ((rv = mez_mass_entity_move(c, &e, event, to, reason, refs, at ? at : now_stamp(c))) != MEZ_OK)
        return rv;
    return mez_mass_answer(c, 200, json_incref(e.doc));
}

/* ---------------------------------------------------------------- beneficial owners */

static mez_status_t get_owners_registry(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const statuses[] = { "verified", "pending", "expired", "unverified", NULL };
    const char *hist = mez_mass_query_param(c->p, c->req->query, "include_historical");
    const char *want = mez_mass_query_param(c->p, c->req->query, "verification_status");
    mez_mass_entity_row_t e;
    apr_array_header_t *rows;
    json_t *list = own(c, json_array());
    int found, historical = 0, known = !want;
    mez_status_t rv;

    if (hist && strcmp(hist, "true") && strcmp(hist, "false"))
        return mez_mass_refuse(c, 422, "request.invalid_query", NULL, "include_historical must be true or false");
    historical = hist && !strcmp(hist, "true");
    for (const char *const *s = statuses; want && *s; s++)
        known |= !strcmp(*s, want);
    if (!known)
        return mez_mass_refuse(c, 422, "request.invalid_query", NULL,
                               "verification_status must be verified, pending, expired or unverified");
    if ((rv = mez_mass_entity_for_path(c, entity_id, 0, &e, &found)) != MEZ_OK || !found)
        return rv;
    if ((rv = mez_db_query_rows(c->p, c->db, 3, &rows,
                                "SELECT doc, person_id, removed_at FROM mez_mass_entity_owner WHERE entity_id = %s "
                                "ORDER BY seq", c->pb, entity_id, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        json_t *o = mez_mass_doc_parse(c, r[0]);
        const char *vs = "unverified";
        /* apr_dbd's pgsql driver reads SQL NULL as "": both mean "none" here. */
        for (int k = 1; k < 3; k++)
            if (r[k] && !*r[k])
                r[k] = NULL;
        if (!o)
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                               "a stored beneficial owner of entity %s cannot be read", entity_id);
        own(c, o);
        if (r[2] && !historical)
            continue;
        json_object_set_new(o, "active", json_boolean(!r[2]));
        if (r[2])
            json_object_set_new(o, "removed_at", json_string(r[2]));
        /* An owner known to the identity registry carries that person's standing; a bare reference is
         * unverified as far as this zone knows. A person not yet verified is pending; a rejected one is
         * unverified. */
        if (r[1]) {
            mez_mass_person_info_t pi;
            int pfound;
            if ((rv = mez_mass_person_find(c, r[1], &pi, &pfound)) != MEZ_OK)
                return rv;
            if (pfound && !strcmp(pi.verification_status, "verified")) {
                vs = "verified";
                json_object_set_new(o, "verified_at", json_string(pi.verified_at));
                json_object_set_new(o, "verification_method", json_string(pi.verification_method));
            } else if (pfound && !strcmp(pi.verification_status, "unverified")) {
                vs = "pending";
            }
        }
        json_object_set_new(o, "verification_status", json_string(vs));
        if (want && strcmp(want, vs))
            continue;
        json_array_append(list, o);
    }
    return mez_mass_answer(c, 200, json_pack("{s:s,s:s,s:O,s:s}", "entity_id", entity_id, "threshold_percentage",
                                             UBO_THRESHOLD, "beneficial_owners", list, "as_of", now_stamp(c)));
}

/* ---------------------------------------------------------------- list */

static mez_status_t list_entities(mez_mass_call_t *c)
{
    const char *jur = mez_mass_query_param(c->p, c->req->query, "jurisdiction_id");
    const char *status = mez_mass_query_param(c->p, c->req->query, "status");
    const char *lim = mez_mass_query_param(c->p, c->req->query, "limit");
    const char *cursor = mez_mass_query_param(c->p, c->req->query, "cursor");
    mez_db_where_t w = MEZ_DB_WHERE_INIT;
    apr_array_header_t *rows;
    json_t *list = own(c, json_array()), *out;
    int state, limit = LIST_LIMIT_DEFAULT;
    mez_status_t rv;

    if (status && mez_lifecycle_state_parse(c->p, MEZ_LIFECYCLE_ENTITY, status, &state, NULL) != MEZ_OK)
        return mez_mass_refuse(c, 422, "request.invalid_query", NULL, "status '%s' is not an entity status", status);
    if (lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (!*lim || *end || v < 1 || v > LIST_LIMIT_MAX)
            return mez_mass_refuse(c, 422, "request.invalid_query", NULL, "limit must be an integer from 1 to %d",
                                   LIST_LIMIT_MAX);
        limit = (int)v;
    }
    if (cursor && !mez_mass_is_id(cursor, "ent_"))
        return mez_mass_refuse(c, 422, "request.invalid_query", NULL, "cursor is not one this store gave out");
    if (jur && !*jur)
        jur = NULL;
    /* Who calls, not what it asks: a caller acting for one zone lists that zone's entities, and jurisdiction_id
     * narrows them further, never wider. Naming another zone's jurisdiction lists nothing, as a jurisdiction
     * nobody uses does; refusing it instead would tell the caller that the jurisdiction has a register here.
     * Equality, so that the zone's list walks its own index (zone_id, entity_id), migration 0025. */
    if (c->ctx->caller_zone_id)
        mez_db_where_add(c->p, &w, "zone_id = %s", c->ctx->caller_zone_id);
    mez_db_where_add(c->p, &w, "entity_id > %s", cursor ? cursor : "");
    if (jur)
        mez_db_where_add(c->p, &w, "jurisdiction_id = %s", jur);
    if (status)
        mez_db_where_add(c->p, &w, "status = %s", status);
    /* One more row than asked tells whether there is a next page. The limit is a parsed integer. */
    rv = mez_db_query_rows_array(c->p, c->db, 1, &rows,
                                 apr_psprintf(c->p, "SELECT doc FROM mez_mass_entity%s ORDER BY entity_id LIMIT %d",
                                              w.sql, limit + 1),
                                 w.nargs, w.args, c->pb);
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts && i < limit; i++) {
        json_t *d = mez_mass_doc_parse(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (!d)
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "mass.record_corrupt", NULL,
                               "a stored entity cannot be read");
        json_array_append_new(list, d);
    }
    out = json_pack("{s:O,s:i}", "entities", list, "count", (json_int_t)json_array_size(list));
    if (rows->nelts > limit)
        json_object_set(out, "next_cursor",
                        json_object_get(json_array_get(list, json_array_size(list) - 1), "entity_id"));
    return mez_mass_answer(c, 200, out);
}

/* ---------------------------------------------------------------- routes */

mez_status_t mez_mass_entities_handle(mez_mass_call_t *c)
{
    const char *m = c->req->method, *path = c->req->path, *caps[1], *rest;
    int get = !strcmp(m, "GET"), handled = 0;
    mez_mass_entity_row_t e;
    int found;
    mez_status_t rv;

    if (!strcmp(path, "/v1/entities")) {
        if (!strcmp(m, "POST"))
            return create_entity(c);
        return get ? list_entities(c) : mez_mass_no_route(c, 1);
    }
    if (mez_mass_path_match(c->p, path, "/v1/entities/*", caps, 1)) {
        if (!get)
            return mez_mass_no_route(c, 1);
        if ((rv = mez_mass_entity_for_path(c, caps[0], 0, &e, &found)) != MEZ_OK || !found)
            return rv;
        return mez_mass_answer(c, 200, json_incref(e.doc));
    }
    if (strncmp(path, "/v1/entities/", 13) || !(rest = strchr(path + 13, '/')))
        return mez_mass_no_route(c, 0);
    caps[0] = apr_pstrndup(c->p, path + 13, (apr_size_t)(rest - (path + 13)));
    if (!strcmp(rest, "/status"))
        return !strcmp(m, "PUT") ? put_status(c, caps[0]) : mez_mass_no_route(c, 1);
    if (!strcmp(rest, "/beneficial-owners"))
        return get ? get_owners_registry(c, caps[0]) : mez_mass_no_route(c, 1);
    if ((rv = mez_mass_dissolution_route(c, caps[0], rest, &handled)) != MEZ_OK || handled)
        return rv;
    if ((rv = mez_mass_officers_route(c, caps[0], rest, &handled)) != MEZ_OK || handled)
        return rv;
    return mez_mass_no_route(c, 0);
}

mez_status_t mez_mass_entity_counts(apr_pool_t *p, mez_db_t *db, const char *jurisdiction_id,
                                    apr_array_header_t **rows, mez_problem_t *pb)
{
    return mez_db_query_rows(p, db, 3, rows,
                             "SELECT status, entity_type, COUNT(*) FROM mez_mass_entity WHERE jurisdiction_id = %s "
                             "GROUP BY status, entity_type ORDER BY status, entity_type", pb, jurisdiction_id, NULL);
}
