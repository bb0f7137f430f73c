/* mez/checkpoint.h: corridor checkpoints as C2SP tlog-checkpoint signed notes (c2sp.org/tlog-checkpoint,
 * c2sp.org/signed-note), signed with the zone's Ed25519 key, so standard transparency-log verifiers and
 * witnesses can check a corridor.
 *
 *   <origin>\n                    "<zone-id>/corridors/<corridor-id>"
 *   <tree size>\n                 decimal, no leading zeros
 *   <base64 root hash>\n          RFC 9162 root of the receipts' next_roots (mez/mmr.h)
 *   \n
 *   — <key name> <base64(key id || Ed25519 signature)>\n     (U+2014 EM DASH, one line per signer)
 *
 * key id = first 4 bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key) (0x01: Ed25519); the
 * signature covers the note text, every byte up to and including the newline before the blank line. The
 * verifier key is written "<name>+<8 hex key id>+<base64(0x01 || public key)>" (mez_checkpoint_vkey).
 * The reference system's checkpoint (a JSON MEZCorridorStateCheckpoint whose digest is never serialised and
 * whose signature is never verified) is not produced here; the ReceiptCheckpoint credential comes later.
 */
#ifndef MEZ_CHECKPOINT_H
#define MEZ_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/problem.h"

typedef struct mez_checkpoint_t {
    const char *origin;
    uint64_t size;
    mez_digest_t root;
} mez_checkpoint_t;

/* "<zone-id>/corridors/<corridor-id>"; "checkpoint.invalid_origin" when either part is empty or holds
 * whitespace, '/' or '+' (key names may not hold whitespace or '+', and the origin is the key name). */
mez_status_t mez_checkpoint_origin(apr_pool_t *p, const char *zone_id, const char *corridor_id, const char **out,
                                   mez_problem_t *pb);

/* The checkpoint body (the note text that is signed). */
const char *mez_checkpoint_body(apr_pool_t *p, const mez_checkpoint_t *cp);

/* The 4-byte signed-note key id of an Ed25519 key under a name. */
void mez_checkpoint_key_id(const char *key_name, const mez_key_t *key, unsigned char id[4]);
/* The verifier key text "<name>+<hex id>+<base64(0x01||pub)>". */
const char *mez_checkpoint_vkey(apr_pool_t *p, const char *key_name, const mez_key_t *key);
/* Parses a verifier key text into a name and a public key ("checkpoint.invalid_vkey"); checks its id. */
mez_status_t mez_checkpoint_vkey_parse(apr_pool_t *p, const char *vkey, const char **key_name, mez_key_t **key,
                                       mez_problem_t *pb);

/* Generic signed notes (C2SP signed-note, Ed25519): sign a text (non-empty lines each ending in '\n') with
 * one signature line; open a note, checking that one of its signature lines is a valid signature by
 * (key_name, key), and give the length of its text. Problems as mez_checkpoint_open below. */
mez_status_t mez_note_sign(apr_pool_t *p, const char *text, const char *key_name, const mez_key_t *key,
                           const char **note, mez_problem_t *pb);
mez_status_t mez_note_open(apr_pool_t *p, const char *note, size_t len, const char *key_name, const mez_key_t *key,
                           size_t *text_len, mez_problem_t *pb);

/* Signs cp as a note with one signature line. "checkpoint.invalid_key_name" for an empty name or one with
 * whitespace or '+'. */
mez_status_t mez_checkpoint_sign(apr_pool_t *p, const mez_checkpoint_t *cp, const char *key_name,
                                 const mez_key_t *key, const char **note, mez_problem_t *pb);

/* Parses a signed note and verifies it: well-formed note ("checkpoint.malformed"), well-formed checkpoint body
 * ("checkpoint.invalid_body"), and a valid signature by (key_name, key) among its signature lines (others are
 * ignored, as signed-note verifiers do; "checkpoint.unsigned" when none is by this key, "checkpoint.bad_signature"
 * when it does not verify). *out (if not NULL) gets the checkpoint; extension lines are allowed and ignored. */
mez_status_t mez_checkpoint_open(apr_pool_t *p, const char *note, size_t len, const char *key_name,
                                 const mez_key_t *key, mez_checkpoint_t *out, mez_problem_t *pb);

/* Signs next only if it is consistent with the last checkpoint this key signed (prev_note, verified first;
 * NULL when there is none): same origin, size not smaller, the same root at the same size, and otherwise an
 * RFC 9162 consistency proof (proof, len) from prev's size to next's that verifies. Refusals:
 * "checkpoint.origin_mismatch", "checkpoint.inconsistent" (409), or prev_note's problems. A signer that keeps
 * its last signed note and only signs through here never signs two checkpoints that contradict each other. */
mez_status_t mez_checkpoint_sign_next(apr_pool_t *p, const char *prev_note, const mez_checkpoint_t *next,
                                      const mez_digest_t *proof, size_t len, const char *key_name,
                                      const mez_key_t *key, const char **note, mez_problem_t *pb);

#endif
