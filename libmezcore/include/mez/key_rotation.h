/* mez/key_rotation.h: a zone's key rotation, as a credential both keys sign.
 *
 * A zone is named by its did:key, so a new key is a new DID. What makes the new DID the same zone is a
 * ZoneKeyRotation credential: W3C VC 2.0, issuer the previous DID, credentialSubject {id: the new DID, zone_id,
 * previous_did, previous_verification_method, new_verification_method, reason}, secured by a proof set of two
 * eddsa-jcs-2022 proofs (VC Data Integrity section 2.1.2), the first by the previous key and the second by the new
 * one. The previous key's proof says its holder names the successor; the new key's proof says the successor's
 * holder accepted (nobody can name a key they do not hold as theirs, e.g. another zone's). Both proofs sign the same
 * unsecured document, so either can be checked alone and neither can be moved to another credential.
 *
 * Where it goes (DESIGN section 6, docs/08-key-rotation.md):
 *   - this zone keeps its key history (mez_zone_key_*) and serves it at GET /v1/zone/keys;
 *   - each peer is told by a signed request with the previous key (POST /v1/corridors/peers/key-rotation),
 *     checks the credential and from then on knows the zone by the new DID (mez_peer_key_*);
 *   - every corridor records the change on its chain: a receipt whose transition is
 *     {kind "zone.key_rotation", payload {zone_id, previous_did, new_did, credential}} signed by the sequencer's
 *     key at that point of the chain. When the sequencer itself rotates, that receipt is the last its previous key
 *     signs, and every later receipt and checkpoint is signed by the new key: a verifier walking the chain
 *     (mez corridor verify, watchers, the peer's copy) follows the signer from the definition's proposer through
 *     these receipts, and needs nothing but the chain.
 *
 * Problems: 422 "key_rotation.invalid" (pointer into the credential), 409 "key_rotation.not_current" (the
 * previous DID is not the one the zone is known by), 409 "key_rotation.conflict" (a different successor of the
 * same DID is already recorded). */
#ifndef MEZ_KEY_ROTATION_H
#define MEZ_KEY_ROTATION_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/key.h"
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_KEY_ROTATION_TYPE "ZoneKeyRotation"
#define MEZ_KEY_ROTATION_KIND "zone.key_rotation"

/* What a verified rotation credential says. */
typedef struct mez_key_rotation_t {
    const char *zone_id;
    const char *previous_did, *new_did;
    const char *new_verification_method;
    mez_key_t *new_key;              /* the public key new_did names */
    const char *reason;              /* may be NULL */
    const char *digest;              /* "sha256:" of the credential's canonical text (RFC 8785) */
    const char *text;                /* that canonical text */
} mez_key_rotation_t;

/* Issues the rotation credential from previous (the zone's key in use) to next, at now, with an optional reason
 * (1..500 characters). *vc is owned by p; *out (may be NULL) gets what it says. */
mez_status_t mez_key_rotation_issue(apr_pool_t *p, const mez_key_t *previous, const mez_key_t *next,
                                    const char *zone_id, const char *reason, apr_time_t now, json_t **vc,
                                    mez_key_rotation_t *out, mez_problem_t *pb);

/* Verifies a rotation credential: the VC shape and both proofs (by the previous and the new key, in that order),
 * its type and subject, and, when given, that it is for zone_id and rotates previous_did. Pointers under base. */
mez_status_t mez_key_rotation_check(apr_pool_t *p, const json_t *vc, const char *zone_id, const char *previous_did,
                                    const char *base, mez_key_rotation_t *out, mez_problem_t *pb);

/* The corridor transition that records a rotation on a chain (a new object owned by p). */
json_t *mez_key_rotation_transition(apr_pool_t *p, const json_t *vc, const mez_key_rotation_t *rot);

/* Whether a receipt's transition records a key rotation: 1 with *vc (borrowed from the receipt), 0 when it is
 * another transition. */
int mez_key_rotation_of_receipt(const json_t *receipt, const json_t **vc);

/* The parties' DIDs along a chain: start with the definition's, then mez_key_rotation_follow each receipt. */
typedef struct mez_chain_keys_t {
    const char *proposer_zone_id, *responder_zone_id;
    const char *proposer_did, *responder_did;   /* the proposer's is the signer of the next receipt */
} mez_chain_keys_t;

/* Moves keys past a receipt that records a rotation (after its signature was checked with keys->proposer_did):
 * the credential must verify and rotate one party's current DID. A receipt with another transition changes
 * nothing. *rotated (may be NULL) is 1 when keys changed. Pointers under base. */
mez_status_t mez_key_rotation_follow(apr_pool_t *p, mez_chain_keys_t *keys, const json_t *receipt,
                                     const char *base, int *rotated, mez_problem_t *pb);

/* ------------------------------------------------------------------ this zone's keys (zone_key.c) */

typedef struct mez_zone_key_row_t {
    const char *did, *verification_method, *previous_did;
    const char *rotation_credential, *rotation_digest;   /* NULL for the zone's first key */
    const char *activated_at, *retired_at;               /* activated_at NULL: the first key, before history */
} mez_zone_key_row_t;

/* The zone's keys, oldest first (array of mez_zone_key_row_t); empty when it never rotated. */
mez_status_t mez_zone_key_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                               mez_problem_t *pb);

/* Records a rotation of this zone inside the caller's transaction: the previous key (kept as the first row when
 * the history is empty) retired at now, the new key in use, the credential in the credential store. The previous
 * DID must be the key in use ("key_rotation.not_current"). */
mez_status_t mez_zone_key_record(apr_pool_t *p, mez_db_t *db, const json_t *vc, const mez_key_rotation_t *rot,
                                 apr_time_t now, mez_problem_t *pb);

/* ------------------------------------------------------------------ the rotation kept (key_rotate.c) */

struct mez_audit_event_t;
/* This zone's rotation in one transaction: mez_zone_key_record, a zone.key_rotation receipt signed by previous on
 * every corridor the zone sequences (mez_corridor_record_rotation) and the audit row (audit: the event, required
 * (mez_audit_required); its detail, the DIDs, the credential's digest and the corridors, is set here).
 * *recorded: corridor ids. */
mez_status_t mez_zone_key_rotate(apr_pool_t *p, mez_db_t *db, const mez_key_t *previous, const json_t *vc,
                                 const mez_key_rotation_t *rot, apr_time_t now,
                                 const struct mez_audit_event_t *audit, apr_array_header_t **recorded,
                                 mez_problem_t *pb);
/* A peer's rotation (its credential checked by the caller, mez_key_rotation_check) accepted in one transaction:
 * it must rotate known_did, the DID this zone knows the peer by (or have made it: a repeat), else 409
 * "key_rotation.not_current"; then mez_peer_key_record and, unless it is a repeat (*repeated, nothing written), a
 * receipt signed by own on every corridor with that peer this zone sequences and the audit row (as above). */
mez_status_t mez_peer_key_accept(apr_pool_t *p, mez_db_t *db, const mez_key_t *own, const char *known_did,
                                 const json_t *vc, const mez_key_rotation_t *rot, apr_time_t now,
                                 const struct mez_audit_event_t *audit, int *repeated,
                                 apr_array_header_t **recorded, mez_problem_t *pb);

/* ------------------------------------------------------------------ peers' keys (peer_key.c) */

/* Records a verified rotation of peer zone rot->zone_id inside the caller's transaction, and moves the corridors
 * with that peer that still name the previous DID to the new one. The same rotation again sets *repeated (may be
 * NULL) and writes nothing; another successor of the same previous DID is 409 "key_rotation.conflict". */
mez_status_t mez_peer_key_record(apr_pool_t *p, mez_db_t *db, const mez_key_rotation_t *rot, apr_time_t now,
                                 int *repeated, mez_problem_t *pb);

/* The DID peer zone_id is known by now: did (its configured or registered DID) followed through the rotations
 * recorded for it. */
mez_status_t mez_peer_key_current(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *did,
                                  const char **current, mez_problem_t *pb);

/* The peer zone a rotation gave this DID (*found 0 when none did). */
mez_status_t mez_peer_key_zone(apr_pool_t *p, mez_db_t *db, const char *did, const char **zone_id, int *found,
                               mez_problem_t *pb);

#endif
