/* zone_key.c: this zone's key history (mez_zone_key): which did:key signed for the zone when, and the rotation
 * credential that introduced each. The history starts at the first rotation: until then the zone's only key is the
 * one its configuration names and nothing needs recording. */
#include <string.h>
#include <apr_strings.h>
#include "mez/did.h"
#include "mez/key_rotation.h"
#include "mez/vc.h"

#define KEY_COLS "did, verification_method, previous_did, rotation_credential, rotation_digest, activated_at, " \
                 "retired_at"

mez_status_t mez_zone_key_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                               mez_problem_t *pb)
{
    apr_array_header_t *rows;
    /* Oldest first: the first key has no activated_at, every later one was activated after its predecessor. */
    mez_status_t st = mez_db_query_rows(p, db, 7, &rows, "SELECT " KEY_COLS " FROM mez_zone_key WHERE zone_id = %s "
                                        "ORDER BY (activated_at IS NOT NULL), activated_at, did", pb, zone_id, NULL);
    if (st != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_zone_key_row_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char *const *c = APR_ARRAY_IDX(rows, i, const char *const *);
        mez_zone_key_row_t *k = apr_array_push(*out);
        k->did = c[0];
        k->verification_method = c[1];
        k->previous_did = c[2];
        k->rotation_credential = c[3];
        k->rotation_digest = c[4];
        k->activated_at = c[5];
        k->retired_at = c[6];
    }
    /* The history is a chain (each key names its predecessor, once: mez_zone_key_previous): put it in that order.
     * activated_at has whole seconds, so two rotations within one second sorted by the DID after it, and the list
     * could name the previous key last (the key in use, to a reader taking the last). */
    for (int i = 1; i < (*out)->nelts; i++) {
        const char *prev = APR_ARRAY_IDX(*out, i - 1, mez_zone_key_row_t).did;
        for (int j = i; j < (*out)->nelts; j++) {
            mez_zone_key_row_t *k = &APR_ARRAY_IDX(*out, j, mez_zone_key_row_t);
            if (k->previous_did && !strcmp(k->previous_did, prev)) {
                mez_zone_key_row_t t = *k;
                *k = APR_ARRAY_IDX(*out, i, mez_zone_key_row_t);
                APR_ARRAY_IDX(*out, i, mez_zone_key_row_t) = t;
                break;
            }
        }
    }
    return MEZ_OK;
}

mez_status_t mez_zone_key_record(apr_pool_t *p, mez_db_t *db, const json_t *vc, const mez_key_rotation_t *rot,
                                 apr_time_t now, mez_problem_t *pb)
{
    const char *in_use = NULL, *at = mez_time_stamp(p, now), *prev_vm;
    mez_key_t *prev;
    mez_status_t st;

    (void)vc;
    if ((st = mez_db_query_value(p, db, &in_use, apr_pstrcat(p, "SELECT did FROM mez_zone_key WHERE zone_id = %s "
                                                             "AND retired_at IS NULL", mez_db_for_update(db), NULL),
                                 pb, rot->zone_id, NULL)) != MEZ_OK)
        return st;
    if (in_use && strcmp(in_use, rot->previous_did))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.not_current", "/credentialSubject/previous_did",
                           "zone %s signs with %s, not with %s", rot->zone_id, in_use, rot->previous_did);
    if ((st = mez_did_key_resolve(p, rot->previous_did, &prev, pb)) != MEZ_OK)
        return st;
    prev_vm = mez_did_key_verification_method(p, prev);
    if (!in_use
        && (st = mez_db_execv(p, db, NULL, "INSERT INTO mez_zone_key (did, zone_id, verification_method) VALUES "
                              "(%s, %s, %s)", pb, rot->previous_did, rot->zone_id, prev_vm, NULL)) != MEZ_OK)
        return st;
    if ((st = mez_db_execv(p, db, NULL, "UPDATE mez_zone_key SET retired_at = %s WHERE did = %s", pb, at,
                           rot->previous_did, NULL)) != MEZ_OK)
        return st;
    /* A DID that was this zone's before cannot come back: its key is retired, perhaps because it leaked. */
    if ((st = mez_db_query_value(p, db, &in_use, "SELECT did FROM mez_zone_key WHERE did = %s", pb, rot->new_did,
                                 NULL)) != MEZ_OK)
        return st;
    if (in_use)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.key_reused", "/credentialSubject/id",
                           "%s was a key of this zone before: a rotation needs a new key", rot->new_did);
    if ((st = mez_db_execv(p, db, NULL, "INSERT INTO mez_zone_key (did, zone_id, verification_method, previous_did, "
                           "rotation_credential, rotation_digest, activated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                           pb, rot->new_did, rot->zone_id, rot->new_verification_method, rot->previous_did,
                           rot->text, rot->digest, at, NULL)) != MEZ_OK)
        return st;
    return mez_store_credential_insert(p, db, NULL, rot->previous_did, rot->digest, rot->text, NULL, pb);
}
