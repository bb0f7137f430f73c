/* mez/corridor_export.h: a corridor's whole record in one JSON document, and its offline verification.
 *
 * The export is what an auditor, a court or the other zone needs to check a corridor without trusting the zone
 * that hands it over and without any database:
 *
 *   {"type": "MezCorridorExport", "version": 1,
 *    "corridor_id", "origin" ("<proposer zone id>/corridors/<corridor id>", the checkpoints' origin and key name),
 *    "sequencer_did" (the proposer's did:key: it signs every receipt and checkpoint),
 *    "genesis_root" (64 hex, null while the corridor is not established), "size", "root" (RFC 9162, 64 hex),
 *    "definition": the CorridorDefinition credential, "agreements": [the CorridorAgreement credentials],
 *    "receipts": [every receipt, sequence 0, 1, ...], "checkpoints": [every signed note, ascending size]}
 *
 * Verification recomputes everything the stated members claim, in this order, and stops at the first failure
 * (a problem whose pointer is into the export, e.g. "/receipts/17/prev_root", "/checkpoints/2"):
 *   1. shape: the type and version, no unknown or missing top-level member;
 *   2. the definition: its proof, made by its own issuer, who is its proposer (mez_corridor_definition_check);
 *      corridor_id, sequencer_did and origin must be what it says;
 *   3. the agreements: exactly one by each party, each signed by it and to this definition
 *      (mez_corridor_agreement_check), so a stranger's agreement is 403 "corridor.not_party";
 *   4. the genesis root recomputed from the definition and both agreements equals genesis_root;
 *   5. every receipt chains from the genesis root (mez_receipt_chain_append: sequence, prev_root, next_root) and
 *      is signed by the sequencer (mez_corridor_receipt_check_signature); size and root equal the recomputed tree.
 *      The sequencer's key is the definition's proposer DID, followed through the chain's zone.key_rotation
 *      receipts (mez_key_rotation_follow: a credential both keys signed, rotating a party's current DID; a
 *      rotation receipt is the last its previous key signs);
 *   6. every checkpoint is a signed note by the sequencer's key at its size (the key after the receipts it
 *      covers) under the origin, its size is in the chain, its
 *      root is the tree's root at that size, and it is consistent with the previous checkpoint: an RFC 9162
 *      consistency proof computed from the leaves verifies between the two notes' own roots (what a standard
 *      transparency-log verifier or witness does with two checkpoints).
 * The export is self-contained: it proves that its sequencer wrote this chain, not that the sequencer is who
 * the reader expects. A reader pins that by comparing rep->sequencer_did (the CLI's --sequencer option).
 *
 * Problems (besides those of the checks it calls, with pointers into the export):
 *   422 "corridor_export.invalid_field"        a missing or ill-typed member, a wrong "type";
 *   422 "corridor_export.unsupported_version"  a version other than 1;
 *   422 "corridor_export.unknown_field"        a top-level member this version does not define;
 *   422 "corridor_export.mismatch"             a stated member that differs from what is recomputed
 *                                              (corridor_id, origin, sequencer_did, genesis_root, size, root);
 *   422 "checkpoint.origin_mismatch"           a checkpoint of another log;
 *   422 "checkpoint.invalid_size"              a checkpoint beyond the chain, of the empty tree, or not after
 *                                              the previous one;
 *   422 "checkpoint.root_mismatch"             a checkpoint root other than the tree's at its size;
 *   409 "checkpoint.inconsistent"              two checkpoints that no consistency proof joins.
 */
#ifndef MEZ_CORRIDOR_EXPORT_H
#define MEZ_CORRIDOR_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_CORRIDOR_EXPORT_TYPE    "MezCorridorExport"
#define MEZ_CORRIDOR_EXPORT_VERSION 1

/* Every checkpoint note recorded for a corridor, ascending tree size (array of const char *). */
mez_status_t mez_corridor_checkpoints(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                      apr_array_header_t **notes, mez_problem_t *pb);

/* The export of a stored corridor (404 "corridor.not_found"). Consistent without a lock: the corridor row is
 * read first and only receipts and checkpoints within its size are taken (both are append-only). *out is owned
 * by p. */
mez_status_t mez_corridor_export(apr_pool_t *p, mez_db_t *db, const char *corridor_id, json_t **out,
                                 mez_problem_t *pb);

/* What a verification established; counts are of the parts that verified before any failure. */
typedef struct mez_corridor_verify_report_t {
    const char *corridor_id, *origin, *sequencer_did;   /* as the verified definition says (NULL before) */
    int definition_ok;
    size_t agreements;               /* agreements verified */
    int established;                 /* the export has a genesis root */
    int genesis_ok;
    mez_digest_t genesis_root;
    uint64_t receipts;               /* receipts verified: chaining and signature */
    int tree_ok;                     /* size and root equal the recomputed tree */
    uint64_t size;
    mez_digest_t root;
    size_t checkpoints;              /* checkpoints verified (signature, root, consistency) */
    uint64_t checkpoint_size;        /* the largest verified checkpoint's size, 0 for none */
    size_t key_rotations;            /* zone.key_rotation receipts followed (either party's) */
    const char *sequencer_did_now;   /* the key that signs the chain's next receipt (sequencer_did if none) */
} mez_corridor_verify_report_t;

/* Verifies an export offline (see above). MEZ_OK when everything verified; otherwise the first failure in pb
 * (MEZ_EINVAL) and rep tells what verified before it. rep may not be NULL. */
mez_status_t mez_corridor_verify_export(apr_pool_t *p, const json_t *doc, mez_corridor_verify_report_t *rep,
                                        mez_problem_t *pb);

#endif
