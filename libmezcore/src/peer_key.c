/* peer_key.c: the keys peer zones rotated to (mez_peer_key). A peer is configured or registered under one DID;
 * each verified rotation it announced leads from a DID to its successor, so the DID it signs with now is found by
 * following those rows from the one the operator gave. */
#include <string.h>
#include <apr_strings.h>
#include "mez/key_rotation.h"
#include "mez/vc.h"

/* A chain of rotations longer than this is a loop or damage, not a zone's history. */
#define MAX_ROTATIONS 256

mez_status_t mez_peer_key_record(apr_pool_t *p, mez_db_t *db, const mez_key_rotation_t *rot, apr_time_t now,
                                 int *repeated, mez_problem_t *pb)
{
    const char *had = NULL, *taken = NULL;
    mez_status_t st;

    if (repeated)
        *repeated = 0;
    if ((st = mez_db_query_value(p, db, &had, "SELECT did FROM mez_peer_key WHERE zone_id = %s AND previous_did = %s",
                                 pb, rot->zone_id, rot->previous_did, NULL)) != MEZ_OK)
        return st;
    if (had && !strcmp(had, rot->new_did)) {
        if (repeated)
            *repeated = 1;
        return MEZ_OK;
    }
    if (had)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.conflict", "/credential/credentialSubject/id",
                           "%s of zone %s was rotated to %s already, not to %s", rot->previous_did, rot->zone_id,
                           had, rot->new_did);
    /* A DID names one key: it cannot become a second zone's, nor come back to an earlier place in this one's. */
    if ((st = mez_db_query_value(p, db, &taken, "SELECT zone_id FROM mez_peer_key WHERE did = %s OR "
                                 "previous_did = %s", pb, rot->new_did, rot->new_did, NULL)) != MEZ_OK)
        return st;
    if (taken)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.key_reused", "/credential/credentialSubject/id",
                           "%s is already a key of zone %s", rot->new_did, taken);
    if ((st = mez_db_execv(p, db, NULL, "INSERT INTO mez_peer_key (zone_id, previous_did, did, credential, "
                           "credential_digest, received_at) VALUES (%s, %s, %s, %s, %s, %s)", pb, rot->zone_id,
                           rot->previous_did, rot->new_did, rot->text, rot->digest, mez_time_stamp(p, now), NULL))
        != MEZ_OK)
        return st;
    /* The corridors' own notion of the peer moves with it; their chains record it too (zone.key_rotation). */
    return mez_db_execv(p, db, NULL, "UPDATE mez_corridor SET peer_did = %s WHERE peer_zone_id = %s AND peer_did = %s",
                        pb, rot->new_did, rot->zone_id, rot->previous_did, NULL);
}

mez_status_t mez_peer_key_current(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *did,
                                  const char **current, mez_problem_t *pb)
{
    *current = did;
    for (int i = 0; i < MAX_ROTATIONS; i++) {
        const char *next = NULL;
        mez_status_t st = mez_db_query_value(p, db, &next, "SELECT did FROM mez_peer_key WHERE zone_id = %s AND "
                                             "previous_did = %s", pb, zone_id, *current, NULL);
        if (st != MEZ_OK)
            return st;
        if (!next)
            return MEZ_OK;
        *current = next;
    }
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key_rotation.loop", NULL,
                       "zone %s's recorded key rotations do not end", zone_id);
}

mez_status_t mez_peer_key_zone(apr_pool_t *p, mez_db_t *db, const char *did, const char **zone_id, int *found,
                               mez_problem_t *pb)
{
    mez_status_t st = mez_db_query_value(p, db, zone_id, "SELECT zone_id FROM mez_peer_key WHERE did = %s", pb, did,
                                         NULL);
    *found = st == MEZ_OK && *zone_id;
    return st;
}
