/* mez/receipt.h: corridor receipts as the reference system defines them (reference/corridors.md section 4),
 * its canonical form "MCF" (section 1), next_root and prev_root chaining, and the append checks.
 *
 * MCF, the reference's canonical form, differs from RFC 8785 in four places:
 *   1. every number must be an integer (1.5 and 1.0 are refused: they are floats to its parser); integers
 *      are written in full, never as doubles. One gap: the reference accepts integers up to 2^64-1, while
 *      mez_json_parse reads anything beyond 2^63-1 as a double, so here those are refused as floats;
 *   2. every string that parses as an RFC 3339 date-time, anywhere in the document, is rewritten to UTC
 *      "YYYY-MM-DDTHH:MM:SSZ" (offset applied, fraction of a second dropped, not rounded);
 *   3. object keys are sorted by UTF-8 bytes (RFC 8785: UTF-16 code units);
 *   4. escaping is the same as RFC 8785 (\" \\ \b \f \n \r \t, other controls \u00xx), so no difference.
 * mez_mcf_canonicalize reproduces it for checking the reference's documents and vectors.
 *
 * mez's own receipts are hashed with MCF, as the reference hashes them, but a receipt is refused unless its
 * MCF bytes equal its RFC 8785 bytes (mez_mcf_check_portable): DESIGN section 3 says the two forms agree on
 * every document mez hashes, and this is where that is enforced rather than assumed. A timestamp in another
 * form is refused, never rewritten (rewriting is lossy: two sub-second instants would collide).
 *
 * Receipt rules, and where mez is stricter than the reference (its defects, reference/corridors.md 9):
 *   - next_root = SHA-256(MCF(receipt without "proof" and "next_root", absent-or-null optional members
 *     omitted, both digest sets normalised: stably sorted by their digest string, later duplicates dropped,
 *     each entry kept in its form: a 64-hex string or an ArtifactRef {digest_sha256, artifact_type, uri?})).
 *   - the reference silently drops unknown top-level members and malformed digest-set entries before hashing
 *     (so they are not committed); mez refuses them ("receipt.unknown_field", "receipt.invalid_field").
 *   - proof: an object or array of objects with exactly {type, created, verificationMethod, proofPurpose, jws}
 *     (all strings), the reference's shape, so the content digest commits what its deserialiser keeps. The
 *     proof is not verified here (nor by the reference's chain); signing receipts is the protocol's step.
 *   - corridor_id is a lower-case UUID (the reference re-serialises its UUID type, which writes lower case).
 *   - content digest = SHA-256(MCF(the whole receipt, proof and next_root included)), as the reference's
 *     receipt_digest; it is NOT next_root.
 *   - append checks, in the reference's order: sequence == height, prev_root == the chain head (the genesis
 *     root for sequence 0; not the MMR root), next_root == recomputed; mez also checks corridor_id.
 *   - genesis root: defined in the reference's spec, never computed by its code; here computed as the spec
 *     says: SHA-256(MCF({tag:"msez.corridor.state.genesis.v1", corridor_id, definition_payload_sha256,
 *     agreement_set_sha256, lawpack_digest_set, ruleset_digest_set})).
 * Digests in receipts are bare lower-case hex, as the reference writes them (DESIGN section 3 allows it where
 * a reference format does).
 */
#ifndef MEZ_RECEIPT_H
#define MEZ_RECEIPT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/mmr.h"
#include "mez/problem.h"

#define MEZ_RECEIPT_TYPE "MEZCorridorStateReceipt"
#define MEZ_GENESIS_TAG  "msez.corridor.state.genesis.v1"

/* ------------------------------------------------------------------ MCF */

/* The reference's canonical bytes of v (NUL-terminated, from p). "mcf.float" with the pointer of the first
 * non-integer number. v is not modified. */
mez_status_t mez_mcf_canonicalize(apr_pool_t *p, const json_t *v, const char **out, size_t *outlen,
                                  mez_problem_t *pb);
/* SHA-256 of those bytes. */
mez_status_t mez_mcf_digest(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb);

/* If s is a date-time the reference would rewrite (chrono's RFC 3339 parser: 'T', 't' or ' ' between date
 * and time, any fraction, 'Z', 'z' or +-HH:MM), writes its UTC "YYYY-MM-DDTHH:MM:SSZ" form into out (21
 * bytes with the NUL) and returns 1; otherwise 0. Accepting ' ' follows RFC 3339 section 5.6's note and our
 * reading of chrono; it is not exercised by any reference vector. Years that would leave 0000..9999 after
 * the shift are not rewritten (the reference would print them signed or with five digits). */
int mez_mcf_datetime(const char *s, size_t len, char out[21]);

/* MEZ_OK when MCF(v) and RFC 8785(v) are the same bytes; otherwise "mcf.float", "mcf.timestamp_form"
 * (a date-time not already in "YYYY-MM-DDTHH:MM:SSZ" form) or "mcf.not_portable" (large integers, keys the
 * two orders sort differently), each with the member's pointer under base. */
mez_status_t mez_mcf_check_portable(apr_pool_t *p, const json_t *v, const char *base, mez_problem_t *pb);

/* ------------------------------------------------------------------ receipts */

/* Validates a receipt (see above) and returns the payload next_root commits to: a new object from p with
 * proof and next_root removed, null optionals omitted and digest sets normalised. */
mez_status_t mez_receipt_payload(apr_pool_t *p, const json_t *receipt, json_t **payload, mez_problem_t *pb);
/* next_root of a receipt: SHA-256(MCF(mez_receipt_payload)). The receipt's own next_root is ignored. */
mez_status_t mez_receipt_next_root(apr_pool_t *p, const json_t *receipt, mez_digest_t *out, mez_problem_t *pb);
/* Content digest (the reference's receipt_digest): SHA-256(MCF(whole receipt, nulls omitted)). */
mez_status_t mez_receipt_content_digest(apr_pool_t *p, const json_t *receipt, mez_digest_t *out,
                                        mez_problem_t *pb);
/* Sets receipt.next_root to the computed value (64 lower-case hex). */
mez_status_t mez_receipt_seal(apr_pool_t *p, json_t *receipt, mez_digest_t *out, mez_problem_t *pb);

/* Genesis root of a corridor, as the reference's spec defines it (digests as 64 lower-case hex; the sets
 * are arrays of digest entries and are normalised like a receipt's). */
mez_status_t mez_receipt_genesis_root(apr_pool_t *p, const char *corridor_id, const char *definition_payload_sha256,
                                      const char *agreement_set_sha256, const json_t *lawpack_digest_set,
                                      const json_t *ruleset_digest_set, mez_digest_t *out, mez_problem_t *pb);

/* 64 lower-case hex -> digest; "receipt.invalid_digest" at pointer otherwise. */
mez_status_t mez_receipt_hex_digest(apr_pool_t *p, const char *hex, const char *pointer, mez_digest_t *out,
                                    mez_problem_t *pb);

/* ------------------------------------------------------------------ the chain */

/* A corridor's chain state: head (final_state_root) and the compact Merkle tree of all next_roots.
 * Plain value; persist corridor_id, genesis, head, and the mmr (or rebuild it from stored next_roots). */
typedef struct mez_receipt_chain_t {
    const char *corridor_id;
    mez_digest_t genesis_root;
    mez_digest_t head;          /* final_state_root: genesis until the first receipt */
    mez_mmr_t mmr;              /* mmr.size is the height: the next sequence number */
} mez_receipt_chain_t;

void mez_receipt_chain_init(mez_receipt_chain_t *c, const char *corridor_id, const mez_digest_t *genesis_root);
/* Checks receipt against the chain ("receipt.corridor_mismatch", "receipt.sequence_mismatch" (409),
 * "receipt.prev_root_mismatch" (409), "receipt.next_root_mismatch"), then appends it. On any failure the
 * chain is unchanged. *next_root (if not NULL) gets the appended leaf. */
mez_status_t mez_receipt_chain_append(apr_pool_t *p, mez_receipt_chain_t *c, const json_t *receipt,
                                      mez_digest_t *next_root, mez_problem_t *pb);

#endif
