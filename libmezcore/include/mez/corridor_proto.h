/* mez/corridor_proto.h: what two zones exchange to open a corridor and to write it: the signed documents of
 * establishment and the signed receipts. Portable: no HTTP and no database (mez/corridor.h keeps them, mod_mez
 * carries them between zones with RFC 9421 signed requests).
 *
 * Establishment (DESIGN section 6, reference/corridors.md section 3):
 *   1. the proposer issues a CorridorDefinition credential (W3C VC 2.0, eddsa-jcs-2022, its zone key) naming
 *      the corridor id, both zones (zone id, did:key, role "proposer" | "responder") and the digest sets every
 *      receipt will carry, and sends it to the responder;
 *   2. the responder checks it (signature, issuer = the peer that sent it, itself named as responder) and
 *      answers with its own CorridorAgreement over the definition's payload digest;
 *   3. the proposer checks that agreement and counter-signs with its own: both zones now hold the same
 *      definition and the same two agreements, so both compute the same genesis root, and both move the
 *      corridor DRAFT -> PENDING -> ACTIVE.
 * Digests: definition_payload_sha256 = SHA-256(MCF(definition without proof)), as the reference; the same for
 * each agreement. agreement_set_sha256 = SHA-256(MCF(the agreements' payload digests, 64-hex strings, sorted)):
 * the reference names this input of the genesis root but never defines it (corridors.md section 9 item 2); a
 * sorted set does not depend on which zone counts first. The genesis root is mez_receipt_genesis_root of those.
 * The reference took the genesis root from whatever the peer said (trust on first use); here each zone computes
 * it from documents it verified.
 *
 * One writer per chain. The proposer is the corridor's sequencer: it alone appends receipts; the responder keeps
 * a copy it verifies receipt by receipt (signature, chaining, next_root) and can ask the sequencer to append a
 * transition for it. Two zones appending to one chain would give out the same sequence number on both sides
 * whenever they act at the same moment: a fork by design, not by fault.
 *
 * Receipt signatures (the reference never verified receipt proofs: corridors.md section 9 item 4). Every receipt
 * the sequencer writes carries one proof in the reference's receipt shape: {type "MezEd25519Signature2025",
 * created (the receipt's timestamp), verificationMethod (the sequencer's did:key verification method),
 * proofPurpose "assertionMethod", jws}. jws is a JWS with a detached, unencoded payload (RFC 7515 appendix F,
 * RFC 7797): BASE64URL({"alg":"EdDSA","b64":false,"crit":["b64"]}) + ".." + BASE64URL(Ed25519 signature over
 * that header text + "." + the receipt's next_root as 64 hex characters). next_root commits to everything but
 * the proof, so the signature covers the whole receipt.
 *
 * Problems: 422 "corridor.definition_invalid" / "corridor.agreement_invalid" (a credential that does not verify
 * or does not say what it must; pointer into the document), 403 "corridor.not_party" (a document by or for a
 * zone that is not a party), 422 "corridor.agreement_declined" (a commitment other than "agree"), 401
 * "receipt.signature_invalid" / 422 "receipt.unsigned". */
#ifndef MEZ_CORRIDOR_PROTO_H
#define MEZ_CORRIDOR_PROTO_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/problem.h"

#define MEZ_RECEIPT_PROOF_TYPE "MezEd25519Signature2025"

/* What a verified CorridorDefinition says. */
typedef struct mez_corridor_terms_t {
    const char *corridor_id;
    const char *proposer_zone_id, *proposer_did;
    const char *responder_zone_id, *responder_did;
    json_t *lawpack_digest_set, *ruleset_digest_set;   /* arrays of digest entries (mez/receipt.h) */
    const char *definition_digest;                      /* payload digest, 64 hex */
} mez_corridor_terms_t;

/* Issues the proposer's CorridorDefinition (a new corridor id is the caller's: a lower-case UUID). The digest
 * sets may be NULL (empty). *vc is owned by p; *terms (may be NULL) gets what it says. */
mez_status_t mez_corridor_definition_issue(apr_pool_t *p, const mez_key_t *key, const char *zone_id,
                                           const char *corridor_id, const char *peer_zone_id, const char *peer_did,
                                           const json_t *lawpack_digest_set, const json_t *ruleset_digest_set,
                                           apr_time_t now, json_t **vc, mez_corridor_terms_t *terms,
                                           mez_problem_t *pb);

/* Verifies a CorridorDefinition: its proof, its shape, that proposer_did issued it and is its proposer, and (when
 * own_zone_id is not NULL) that the zone (own_zone_id, own_did) is its responder. Pointers are under base. */
mez_status_t mez_corridor_definition_check(apr_pool_t *p, const json_t *vc, const char *proposer_did,
                                           const char *own_zone_id, const char *own_did, const char *base,
                                           mez_corridor_terms_t *terms, mez_problem_t *pb);

/* Issues this zone's CorridorAgreement to the terms (commitment "agree"). */
mez_status_t mez_corridor_agreement_issue(apr_pool_t *p, const mez_key_t *key, const char *zone_id,
                                          const mez_corridor_terms_t *terms, apr_time_t now, json_t **vc,
                                          mez_problem_t *pb);

/* Verifies a CorridorAgreement by signer_did (a party of terms) to those terms; *payload_digest (64 hex) is what
 * the agreement set is made of. Pointers are under base. */
mez_status_t mez_corridor_agreement_check(apr_pool_t *p, const json_t *vc, const mez_corridor_terms_t *terms,
                                          const char *signer_did, const char *base, const char **payload_digest,
                                          mez_problem_t *pb);

/* SHA-256(MCF(vc without proof)) as 64 hex; "mcf.*" problems for a credential the two canonical forms would
 * hash differently (mez/receipt.h). */
mez_status_t mez_corridor_payload_digest(apr_pool_t *p, const json_t *vc, const char **hex, mez_problem_t *pb);

/* The agreement set digest of two agreements' payload digests and the genesis root it gives with the terms. */
mez_status_t mez_corridor_genesis(apr_pool_t *p, const mez_corridor_terms_t *terms, const char *agreement_a,
                                  const char *agreement_b, const char **agreement_set_hex, mez_digest_t *genesis,
                                  mez_problem_t *pb);

/* The evidence of the two moves that establish a corridor (mez_corridor_establish): submit =
 * {bilateral_agreement_digest: "sha256:" agreement set, pack_trilogy_digest: "sha256:" SHA-256(MCF({lawpack_digest_set,
 * ruleset_digest_set}))}, activate = {regulatory_approval_a: "sha256:" the proposer's agreement, regulatory_approval_b:
 * "sha256:" the responder's}: each zone's authority approved by signing its agreement with the zone key. */
mez_status_t mez_corridor_establish_evidence(apr_pool_t *p, const mez_corridor_terms_t *terms,
                                             const char *agreement_set_hex, const char *proposer_agreement,
                                             const char *responder_agreement, json_t **submit, json_t **activate,
                                             mez_problem_t *pb);

/* A new receipt: sequence seq after prev_root, the terms' digest sets, the transition (an object; may be NULL),
 * timestamp now, sealed (next_root) and signed by the sequencer's key. */
mez_status_t mez_corridor_receipt_make(apr_pool_t *p, const mez_key_t *key, const mez_corridor_terms_t *terms,
                                       uint64_t seq, const mez_digest_t *prev_root, const json_t *transition,
                                       apr_time_t now, json_t **receipt, mez_problem_t *pb);

/* Checks that a receipt carries exactly one proof, of the shape above, by the sequencer's key, over its next_root
 * (recomputed: the receipt's own next_root member is not trusted here). Pointers under base. */
mez_status_t mez_corridor_receipt_check_signature(apr_pool_t *p, const json_t *receipt, const mez_key_t *sequencer,
                                                  const char *base, mez_problem_t *pb);

/* The terms of a stored definition (its canonical text), without verifying it again. */
mez_status_t mez_corridor_terms_from_text(apr_pool_t *p, const char *definition_text, mez_corridor_terms_t *terms,
                                          mez_problem_t *pb);

#endif
