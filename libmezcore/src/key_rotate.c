/* key_rotate.c: a key rotation kept in one transaction, on either side (mez/key_rotation.h). The zone that
 * rotates records its key history, a receipt on every corridor it sequences and its audit row; a peer that is
 * told records the rotation, a receipt on every corridor it sequences with that zone and its audit row. Either all
 * of it is kept or none: a chain that names a signer the key history does not, or the reverse, cannot happen. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/key_rotation.h"

static json_t *ids_json(const apr_array_header_t *ids)
{
    json_t *a = json_array();
    for (int i = 0; ids && i < ids->nelts; i++)
        json_array_append_new(a, json_string(APR_ARRAY_IDX(ids, i, const char *)));
    return a;
}

static mez_status_t audit_rotation(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *audit,
                                   const mez_key_rotation_t *rot, const apr_array_header_t *recorded,
                                   mez_problem_t *pb)
{
    mez_audit_event_t ev = *audit;
    ev.detail = mez_json_pool_own(p, json_pack("{s:s, s:s, s:s, s:o}", "previous_did", rot->previous_did, "new_did",
                                               rot->new_did, "credential_digest", rot->digest, "corridors",
                                               ids_json(recorded)));
    return mez_audit_append(p, db, &ev, pb);
}

static mez_status_t finish(apr_pool_t *p, mez_db_tx_t *tx, mez_status_t st, mez_problem_t *pb)
{
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_zone_key_rotate(apr_pool_t *p, mez_db_t *db, const mez_key_t *previous, const json_t *vc,
                                 const mez_key_rotation_t *rot, apr_time_t now, const mez_audit_event_t *audit,
                                 apr_array_header_t **recorded, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t st;
    *recorded = NULL;
    if ((st = mez_audit_required(p, audit, "a key rotation", pb)) != MEZ_OK)
        return st;
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_zone_key_record(p, db, vc, rot, now, pb)) == MEZ_OK
        && (st = mez_corridor_record_rotation(p, db, previous, vc, rot, NULL, now, recorded, pb)) == MEZ_OK)
        st = audit_rotation(p, db, audit, rot, *recorded, pb);
    return finish(p, tx, st, pb);
}

mez_status_t mez_peer_key_accept(apr_pool_t *p, mez_db_t *db, const mez_key_t *own, const char *known_did,
                                 const json_t *vc, const mez_key_rotation_t *rot, apr_time_t now,
                                 const mez_audit_event_t *audit, int *repeated, apr_array_header_t **recorded,
                                 mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t st;
    *recorded = NULL;
    *repeated = 0;
    if ((st = mez_audit_required(p, audit, "a peer's key rotation", pb)) != MEZ_OK)
        return st;
    /* The rotation of exactly the key the peer is known by; or, told again after the change (signed with the new
     * key then, the old one being refused), the rotation that made the key it is known by. */
    if (strcmp(rot->previous_did, known_did) && strcmp(rot->new_did, known_did))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.not_current",
                           "/credential/credentialSubject/previous_did", "zone %s is known by %s, not by %s",
                           rot->zone_id, known_did, rot->previous_did);
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    /* Told again: nothing to write, not even an audit row. */
    if ((st = mez_peer_key_record(p, db, rot, now, repeated, pb)) == MEZ_OK && !*repeated
        && (st = mez_corridor_record_rotation(p, db, own, vc, rot, rot->zone_id, now, recorded, pb)) == MEZ_OK)
        st = audit_rotation(p, db, audit, rot, *recorded, pb);
    return finish(p, tx, st, pb);
}
