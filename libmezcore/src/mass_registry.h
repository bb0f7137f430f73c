/* mass_registry.h: what the sovereign store's registry files share (private to libmezcore): the entities
 * primitive (mass_entities.c, mass_entity_officers.c, mass_dissolution.c) and the identity primitive
 * (mass_identity.c). Follows mass_int.h's conventions: validators return 1 when acceptable and 0 after filling
 * the refusal; mez_status_t functions fail only when the database does. */
#ifndef MEZ_MASS_REGISTRY_H
#define MEZ_MASS_REGISTRY_H

#include "mass_int.h"

/* ---------------------------------------------------------------- values */

/* A name folded for comparison: ASCII letters lower-cased, runs of white space made one space, ends trimmed
 * ("  Acme   TRADING llc " -> "acme trading llc"). Bytes above ASCII are kept as they are. */
const char *mez_mass_name_key(apr_pool_t *p, const char *name);
/* An ISO code member of n upper-case letters (country 2, currency 3): "request.invalid_value" otherwise. */
int mez_mass_get_code(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int n, const char **out);
/* A calendar date member YYYY-MM-DD ("request.invalid_date"). */
int mez_mass_get_date(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char **out);
/* An ArtifactRef object (digest_sha256: 64 lowercase hex, artifact_type?, uri?) at pointer; *out is a clean
 * copy (pool-owned). */
int mez_mass_get_artifact_ref(mez_mass_call_t *c, const json_t *v, const char *pointer, json_t **out);

/* ---------------------------------------------------------------- persons (mass_identity.c) */

typedef struct mez_mass_person_info_t {
    const char *person_id, *full_name, *verification_status;
    const char *verified_at, *verification_method;   /* of the latest verification, NULL when none */
} mez_mass_person_info_t;

/* The person with this id; *found 0 when there is none, or when it is another zone's than the one the caller
 * acts for (mass_int.h: zones). */
mez_status_t mez_mass_person_find(mez_mass_call_t *c, const char *person_id, mez_mass_person_info_t *out,
                                  int *found);
/* An identity_ref that names a person of the registry ("per_" + 64 hex) must name one that exists:
 * *ok 0 after a 422 "identity.unknown_person" at pointer. *person_id is that person, or NULL for any other
 * kind of reference (a DID, a passport-linked reference), which is kept as given. */
mez_status_t mez_mass_identity_ref(mez_mass_call_t *c, const char *ref, const char *pointer,
                                   const char **person_id, int *ok);

/* ---------------------------------------------------------------- entities (mass_entities.c) */

typedef struct mez_mass_entity_row_t {
    const char *entity_id, *status, *legal_name, *name_key, *jurisdiction_id, *updated_at;
    const char *zone_id;  /* the zone it was made for (mass_int.h: zones); NULL for none */
    int state;        /* mez_entity_state_t */
    json_t *doc;      /* the stored Entity document, pool-owned */
} mez_mass_entity_row_t;

/* Reads an entity; with lock, the row stays locked to the end of the transaction (FOR UPDATE on PostgreSQL;
 * SQLite's BEGIN IMMEDIATE already serialises writers), so what is decided on what was read still holds at
 * commit. *found 0 when there is none, or when it is another zone's than the one the caller acts for (mass_int.h:
 * zones): every route that names an entity, and every record that hangs off one, finds it here or not at all. */
mez_status_t mez_mass_entity_load(mez_mass_call_t *c, const char *entity_id, int lock, mez_mass_entity_row_t *e,
                                  int *found);
/* Answers a path's entity: 404 unless id is well formed and names one. *e filled when *found. */
mez_status_t mez_mass_entity_for_path(mez_mass_call_t *c, const char *entity_id, int lock, mez_mass_entity_row_t *e,
                                      int *found);
/* Moves a loaded, locked entity to to_state by event: appends the StatusTransitionRecord (reason and
 * evidence_refs optional, at its time), sets status and updated_at, releases the legal name when the new state
 * is terminal (another entity may then take it), records formation_date on the first approval, and saves. */
mez_status_t mez_mass_entity_move(mez_mass_call_t *c, mez_mass_entity_row_t *e, int event, int to_state,
                                  const char *reason, json_t *evidence_refs, const char *at);
/* Rewrites the stored Entity document: e->doc's own members with directors and history read afresh from their
 * tables, and updated_at = now. */
mez_status_t mez_mass_entity_save(mez_mass_call_t *c, mez_mass_entity_row_t *e);

/* ---------------------------------------------------------------- officers (mass_entity_officers.c) */

/* Validates an Officer at pointer base: *officer is the clean Officer document (appointed_at defaulting to
 * now), *person_id set when its identity_ref names a registry person. */
mez_status_t mez_mass_officer_input(mez_mass_call_t *c, const json_t *v, const char *base, json_t **officer,
                                    const char **person_id, int *ok);
/* Inserts an officer of entity_id (the entity row locked by the caller); *officer_id its new id. A person (the
 * officer's identity_ref) already in office in the role is refused, 409 "entity.duplicate_officer" at base's
 * identity_ref, by the index (on PostgreSQL's pipeline, at the transaction's next read or COMMIT, as
 * mez_db_send_insert says; elsewhere here, c->resp set). */
mez_status_t mez_mass_officer_insert(mez_mass_call_t *c, const char *entity_id, const json_t *officer,
                                     const char *person_id, const char *base, const char **officer_id);
/* The Officer documents of the officers in office, in order of appointment (a new array, pool-owned). */
mez_status_t mez_mass_officers_current(mez_mass_call_t *c, const char *entity_id, json_t **out);
/* Routes /v1/entities/{id}/officers[/{officer_id}/resign]; *handled 0 when rest is none of these. */
mez_status_t mez_mass_officers_route(mez_mass_call_t *c, const char *entity_id, const char *rest, int *handled);

/* ---------------------------------------------------------------- dissolution (mass_dissolution.c) */

/* Routes /v1/entities/{id}/dissolution/{initiate,status,advance}; *handled 0 when rest is none of these. */
mez_status_t mez_mass_dissolution_route(mez_mass_call_t *c, const char *entity_id, const char *rest, int *handled);

#endif
