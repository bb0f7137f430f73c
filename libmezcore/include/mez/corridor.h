/* mez/corridor.h: the corridor store: corridors between zones, their lifecycle moves, their receipt chains with
 * the chain's RFC 9162 tree kept node by node, signed checkpoints, and the replay cache of peers' signatures.
 * No HTTP here; mod_mez and the CLI call these.
 *
 * Transactions. Every function that writes (but the nonce ones) runs its own transaction (do not call it inside another one): an
 * append takes the corridor's row lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite,
 * DESIGN section 5), so two writers, threads or nodes, can never write one sequence number. A fork refusal
 * commits its evidence and nothing else, which a caller's own transaction would roll back with the 409.
 *
 * The tree. Leaves are the receipts' next_roots (mez/receipt.h); every complete subtree's hash is stored at
 * (level, index) as the append that completes it runs, so the root of any size up to the current one and
 * inclusion and consistency proofs between any sizes are read from O(log n) stored nodes, never the leaves.
 *
 * Problems (besides the receipt, lifecycle and checkpoint areas' own, passed through):
 *   404 "corridor.not_found"      no such corridor;
 *   409 "corridor.exists"         create with an id already taken;
 *   409 "corridor.not_active"     a new receipt while the corridor is not ACTIVE (repeats and forks are still
 *                                 recognised in every state: a fork found late must be kept);
 *   409 "corridor.fork"           a different receipt for a sequence number already taken (pointer
 *                                 "/sequence"); its evidence is kept, see mez_corridor_append_t;
 *   422 "corridor.invalid_size"   a proof or checkpoint size outside the chain (pointer names the parameter);
 *   401 "httpsig.replay"          a (keyid, nonce) already seen within the window;
 *   422 "corridor.invalid_field"  an empty or malformed argument of create / nonce (pointer names it).
 */
#ifndef MEZ_CORRIDOR_H
#define MEZ_CORRIDOR_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/problem.h"
#include "mez/store.h"

/* Which side of the corridor this zone is: the proposer writes the one chain (the sequencer), the responder keeps
 * a verified copy (mez/corridor_proto.h says why). */
typedef enum { MEZ_CORRIDOR_PROPOSER = 0, MEZ_CORRIDOR_RESPONDER = 1 } mez_corridor_role_t;

/* A corridor's row. */
typedef struct mez_corridor_t {
    const char *corridor_id, *peer_zone_id, *peer_did;
    const char *signer_did;          /* the sequencer's current DID (zone.key_rotation receipts move it); NULL
                                      * on a proposer's row while this zone's key has not changed */
    int state;                       /* MEZ_CORRIDOR_* (mez/lifecycle.h) */
    int role;                        /* mez_corridor_role_t */
    int established;                 /* 1 once the agreement set and genesis root are held (submitted) */
    const char *definition_digest;   /* 64 lower-case hex, as the genesis root's inputs */
    const char *agreement_digest;    /* NULL until established */
    mez_digest_t genesis_root;       /* all zero until established */
    mez_digest_t head;               /* last next_root, the genesis root while empty */
    uint64_t acked_size;             /* receipts the peer confirmed holding */
    uint64_t size;                   /* number of receipts: the next sequence number */
    mez_digest_t root;               /* RFC 9162 root of the next_roots (SHA-256("") while empty) */
    const char *created_at, *updated_at;
} mez_corridor_t;

struct mez_audit_event_t;
/* Creates a corridor in DRAFT with an empty chain, with the zone's audit row (audit, required: mez_audit_required)
 * in the same transaction. corridor_id is a lower-case UUID (receipts carry it so); genesis_root:
 * mez_receipt_genesis_root of the corridor's definition. Digests are 64 lower-case hex. */
mez_status_t mez_corridor_create(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *peer_zone_id,
                                 const char *peer_did, const char *definition_digest, const char *agreement_digest,
                                 const mez_digest_t *genesis_root, apr_time_t now,
                                 const struct mez_audit_event_t *audit, mez_problem_t *pb);

/* A signed document of the corridor (its CorridorDefinition, each zone's CorridorAgreement). */
typedef struct mez_corridor_doc_t {
    const char *kind;                /* "definition" | "agreement" */
    const char *issuer;              /* the issuer's DID */
    const char *payload_digest;      /* SHA-256(MCF(credential without proof)), 64 hex */
    const char *text;                /* the credential's canonical text */
} mez_corridor_doc_t;

/* Creates a proposed corridor: DRAFT with an empty chain, no agreement and no genesis root yet, with its
 * definition document (kind "definition") in the same transaction. The same corridor proposed again with the
 * same definition digest answers MEZ_OK with *repeated = 1 (may be NULL) and writes nothing; with another
 * definition it is 409 "corridor.exists". */
struct mez_audit_event_t;
/* audit (required: mez_audit_required): the zone's audit row of the proposal, appended in the same transaction
 * (not on a repeat). */
mez_status_t mez_corridor_create_proposed(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                          const char *peer_zone_id, const char *peer_did, mez_corridor_role_t role,
                                          const mez_corridor_doc_t *definition, apr_time_t now,
                                          const struct mez_audit_event_t *audit, int *repeated, mez_problem_t *pb);

/* Establishes a proposed corridor in one transaction under its row lock: keeps the n agreement documents, sets
 * the agreement digest (agreement_set_hex), the genesis root and the head, and moves it DRAFT -> PENDING
 * ("submit" with submit_evidence) -> ACTIVE ("activate" with activate_evidence), each move in the transition
 * log, and the audit row (required) of the establishment. Done again with the same agreement set when already
 * established it answers MEZ_OK, *repeated = 1 (may be NULL), and writes nothing; with another set, 409
 * "corridor.agreement_mismatch". */
mez_status_t mez_corridor_establish(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                    const mez_corridor_doc_t *agreements, size_t n, const char *agreement_set_hex,
                                    const mez_digest_t *genesis_root, const json_t *submit_evidence,
                                    const json_t *activate_evidence, apr_time_t now,
                                    const struct mez_audit_event_t *audit, int *repeated, mez_problem_t *pb);

/* The corridor's documents, definition first (array of mez_corridor_doc_t). */
mez_status_t mez_corridor_documents(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                    apr_array_header_t **docs, mez_problem_t *pb);

/* Records that the peer holds the first size receipts (never lowers what was recorded; size beyond the chain is
 * "corridor.invalid_size"). */
mez_status_t mez_corridor_ack(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                              mez_problem_t *pb);

/* Every corridor, oldest first (array of mez_corridor_t). */
mez_status_t mez_corridor_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb);

/* The first receipt at or after sequence from whose transition is of kind and, when member is not NULL, whose
 * payload's member is the string value: parsed into *receipt (owned by p) with its *seq; *found 0 when none. */
mez_status_t mez_corridor_find_transition(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                          const char *kind, const char *member, const char *value,
                                          json_t **receipt, uint64_t *seq, int *found, mez_problem_t *pb);
/* The canonical texts of receipts from, from + 1, ... (at most limit, in order; fewer at the chain's end). */
mez_status_t mez_corridor_receipts_from(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                        int limit, apr_array_header_t **texts, mez_problem_t *pb);

/* Reads a corridor (404 when absent). */
mez_status_t mez_corridor_get(apr_pool_t *p, mez_db_t *db, const char *corridor_id, mez_corridor_t *out,
                              mez_problem_t *pb);

struct mez_audit_event_t;
/* One lifecycle move by wire event name with its evidence (mez_lifecycle_corridor_step: 409 for an illegal
 * move, 422 for bad evidence, pointers prefixed with "/evidence"), recorded in the transition log with the
 * evidence's canonical text and log digest, and the zone's audit row of the move (audit, required: the event; its
 * detail gets the move's from/to states, event and evidence) in the same transaction: the move and its record,
 * both or neither. *to_state (may be NULL) gets the new state's wire name. */
mez_status_t mez_corridor_transition(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *event,
                                     const json_t *evidence, apr_time_t now, const struct mez_audit_event_t *audit,
                                     const char **to_state, mez_problem_t *pb);

/* What an append answered. */
typedef struct mez_corridor_append_t {
    int repeated;                    /* 1: this very receipt was already stored (nothing written) */
    uint64_t seq;                    /* the receipt's sequence number */
    mez_digest_t next_root;          /* its next_root */
    uint64_t size;                   /* the chain's size and root after the append (current ones on a repeat) */
    mez_digest_t root;
    /* On "corridor.fork" only: the stored and offered receipts' content digests (64 hex) and the digest of the
     * kept evidence ("sha256:<hex>", fit for the halt event's evidence_digest). */
    const char *stored_digest, *conflicting_digest, *evidence_digest;
} mez_corridor_append_t;

/* Appends a receipt (mez/receipt.h rules against the stored head) in one transaction under the corridor's row
 * lock: the receipt row, its leaf and every subtree it completes, and the new head. A receipt whose sequence
 * number is taken is a repeat when its content digest equals the stored one (MEZ_OK, out->repeated = 1) and a
 * fork otherwise (409 "corridor.fork", evidence committed, out's fork members set: the caller halts). A
 * zone.key_rotation receipt is followed as mez_corridor_verify_export follows it (mez_key_rotation_follow from the
 * parties' DIDs at its place in the chain: key_rotation.invalid, .not_current, .wrong_zone otherwise), and the
 * DIDs its credential names become the corridor's signer_did / peer_did. */
mez_status_t mez_corridor_append(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                 apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb);

/* mez_corridor_append, recording which request appended the receipt (request_ref, 1..256 bytes; NULL: none): a
 * second receipt with the same reference on the corridor is refused (409 "corridor.request_repeated"), so a
 * caller that looks the reference up first (mez_corridor_receipt_by_ref) and appends only when it is absent
 * appends at most once per request, whatever crashes and retries come between. */
mez_status_t mez_corridor_append_ref(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                     const char *request_ref, apr_time_t now, mez_corridor_append_t *out,
                                     mez_problem_t *pb);
/* The responder's append of a receipt its sequencer sent (pushed or pulled), in one transaction under the row lock.
 * At a sequence number this copy holds: the very text held is a repeat (MEZ_OK, out->repeated; no key needed,
 * nothing written); any other must be signed by the key that signed at that number, and is then a repeat (the same
 * next_root) or a fork as for mez_corridor_append. The next number must be signed by the key in force now (the
 * row's signer_did, which the chain's rotations move), and is then appended as by mez_corridor_append. A signature
 * by any other key is 401 "receipt.signature_invalid" (mez_corridor_receipt_check_signature's problems, pointers
 * under the receipt), and nothing is written. */
mez_status_t mez_corridor_take(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                               apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb);
/* mez_corridor_append inside the caller's open transaction (the caller commits or rolls back everything). A fork
 * is refused as "corridor.fork" without keeping its evidence: the caller appends receipts it made itself. */
mez_status_t mez_corridor_append_in_tx(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                       apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb);
/* mez_corridor_append_ref inside the caller's open transaction (as mez_corridor_append_in_tx). */
mez_status_t mez_corridor_append_ref_in_tx(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                           const json_t *receipt, const char *request_ref, apr_time_t now,
                                           mez_corridor_append_t *out, mez_problem_t *pb);
struct mez_key_rotation_t;
/* Records a key rotation (its credential vc, checked) on the chain of every established, not deprecated corridor
 * this zone sequences (with peer_zone_id only, when given: a peer rotated), each receipt signed by signer (the
 * sequencer's key in use until this rotation), inside the caller's transaction. *recorded: the corridor ids. */
mez_status_t mez_corridor_record_rotation(apr_pool_t *p, mez_db_t *db, const mez_key_t *signer, const json_t *vc,
                                          const struct mez_key_rotation_t *rot, const char *peer_zone_id,
                                          apr_time_t now, apr_array_header_t **recorded, mez_problem_t *pb);
/* The DID that signs a corridor's checkpoint of the given size, and its receipt number size: the definition's
 * proposer, followed through the proposer's zone.key_rotation receipts among the first size receipts (read from
 * the stored chain, already verified when it was appended). */
mez_status_t mez_corridor_signer_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                    const char **did, mez_problem_t *pb);
struct mez_chain_keys_t;
/* Both parties' DIDs after the first size receipts (mez/key_rotation.h's mez_chain_keys_t): the definition's,
 * followed through the zone.key_rotation receipts among them, as the offline verifier follows them. */
mez_status_t mez_corridor_keys_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                  struct mez_chain_keys_t *keys, mez_problem_t *pb);
/* The receipt a request appended (canonical text and sequence; *found 0 when none). */
mez_status_t mez_corridor_receipt_by_ref(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                         const char *request_ref, const char **text, uint64_t *seq, int *found,
                                         mez_problem_t *pb);

/* corridor_settle.c. 1 when a transition was recorded at the request of another zone than zone_id
 * (transition.requested_by, which the sequencer writes inside the signed transition for a peer's request;
 * absent on the sequencer's own receipts): not that zone's decision, whoever signed the receipt. */
int mez_corridor_requested_by_other(const json_t *transition, const char *zone_id);
/* The receipt at seq is a transfer zone_id sent and decided itself: a cross_border_transfer from zone_id to the
 * corridor's peer, requested by no other zone, whose outbound evaluation and payment credential are in this
 * zone's records. 409 corridor.receipt_missing, 422 transfer.not_outbound, 409 transfer.not_decided_here (all at
 * /sequence). *payment_id (may be NULL): the payment that credential certifies (the transfer's outbound payment,
 * its credentialSubject "urn:mez:<zone_id>:<payment id>"), NULL if it names none. */
mez_status_t mez_corridor_own_outbound(apr_pool_t *p, mez_db_t *db, const char *zone_id, const mez_corridor_t *c,
                                       uint64_t seq, const char **payment_id, mez_problem_t *pb);

/* The stored receipt with a sequence number (canonical text, *found 0 when absent). */
mez_status_t mez_corridor_receipt(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                  const char **text, int *found, mez_problem_t *pb);

/* Root of the chain's first size receipts (0 < size <= current size; size 0 answers SHA-256("")). */
mez_status_t mez_corridor_root_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                  mez_digest_t *root, mez_problem_t *pb);
/* RFC 9162 inclusion proof of receipt seq in the tree of the first size receipts (seq < size <= current):
 * *leaf gets its next_root (the leaf value mez_mmr_verify_inclusion takes), *path *len hashes from p. */
mez_status_t mez_corridor_inclusion_proof(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                          uint64_t size, mez_digest_t *leaf, mez_digest_t **path, size_t *len,
                                          mez_problem_t *pb);
/* RFC 9162 consistency proof between sizes from and to (0 < from <= to <= current). */
mez_status_t mez_corridor_consistency_proof(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                            uint64_t to, mez_digest_t **path, size_t *len, mez_problem_t *pb);

/* Signs and records a checkpoint of the chain's current size (origin "<zone_id>/corridors/<corridor_id>") only
 * through mez_checkpoint_sign_next against the last one recorded, with a consistency proof from the stored
 * nodes: a tree that does not extend the last signed one is refused ("checkpoint.inconsistent" 409) and
 * nothing is recorded. When the last checkpoint already has the current size, it is answered again. An empty
 * chain has no checkpoint ("corridor.invalid_size"). *note gets the signed note. */
mez_status_t mez_corridor_checkpoint(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *zone_id,
                                     const char *key_name, const mez_key_t *key, apr_time_t now, const char **note,
                                     mez_problem_t *pb);
/* Keeps a checkpoint the corridor's sequencer signed, in the responder's copy: the note must open with
 * (key_name, key) under origin, its size must lie within this copy of the chain and its root be this chain's root
 * at that size; it is then recorded (again: a repeat, nothing written). A size beyond this copy is 409
 * "corridor.behind" (fetch the receipts first). A root that contradicts this chain at its size is 409
 * "checkpoint.inconsistent": the sequencer signed a history other than the one it sent. Its evidence is kept in
 * mez_corridor_fork (the note as the conflicting document, the two roots as the digests) and *evidence_digest
 * (fit for the halt event) is set; the caller halts. */
mez_status_t mez_corridor_checkpoint_take(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *origin,
                                          const char *key_name, const mez_key_t *key, const char *note,
                                          apr_time_t now, const char **evidence_digest, mez_problem_t *pb);

/* The last recorded checkpoint's note (*note NULL when there is none). */
mez_status_t mez_corridor_last_checkpoint(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char **note,
                                          mez_problem_t *pb);

/* Peers an operator registers at runtime (the configuration's MezPeer directives are mod_mez's, not here). */
typedef struct mez_peer_row_t {
    const char *zone_id, *url, *did, *registered_by, *created_at;
    const char *revoked_at;          /* NULL while the peer is active */
} mez_peer_row_t;

/* Registers a peer zone: zone_id 1..128 of A-Z a-z 0-9 - _ . ("peer.invalid_field" /zone_id), url an absolute
 * http(s) base URL (/url), did a did:key naming an Ed25519 key (/did), all 422. The same active registration again
 * is a repeat (*repeated = 1, may be NULL; nothing written); another url or DID for an active zone id is 409
 * "peer.exists" (revoke it first); a DID an active peer of another zone id holds is 409 "peer.did_taken" (a key
 * speaks for one zone). A revoked zone id may be registered again.
 * Register and revoke write the zone's audit row of the change (audit, required) in the same transaction; a
 * repeat writes no row. */
mez_status_t mez_peer_register(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *url, const char *did,
                               const char *actor, apr_time_t now, const struct mez_audit_event_t *audit,
                               int *repeated, mez_problem_t *pb);
/* Revokes an active peer (404 "peer.not_found" when there is none active). */
mez_status_t mez_peer_revoke(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_time_t now,
                             const struct mez_audit_event_t *audit, mez_problem_t *pb);
/* A registered peer by zone id, active or revoked (*found 0 when none). */
mez_status_t mez_peer_get(apr_pool_t *p, mez_db_t *db, const char *zone_id, mez_peer_row_t *out, int *found,
                          mez_problem_t *pb);
/* The active peer holding a DID (*found 0 when none). */
mez_status_t mez_peer_by_did(apr_pool_t *p, mez_db_t *db, const char *did, mez_peer_row_t *out, int *found,
                             mez_problem_t *pb);
/* Every registered peer, active and revoked, by zone id (array of mez_peer_row_t). */
mez_status_t mez_peer_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb);

/* The replay cache of RFC 9421 signatures (the check runs its own transaction: call it outside any other): prunes entries seen before now - window, then records (keyid, nonce)
 * (INSERT ... ON CONFLICT DO NOTHING, so concurrent receivers agree on who saw it first): MEZ_OK the first time,
 * 401 "httpsig.replay" when it is already there. A signature older than the window must be refused by the
 * caller's `created` check before coming here: a pruned nonce is forgotten. */
mez_status_t mez_peer_nonce_check(apr_pool_t *p, mez_db_t *db, const char *keyid, const char *nonce, apr_time_t now,
                                  apr_interval_time_t window, mez_problem_t *pb);
/* Deletes entries seen before `before`; *deleted (may be NULL) gets how many. */
mez_status_t mez_peer_nonce_prune(apr_pool_t *p, mez_db_t *db, apr_time_t before, int *deleted, mez_problem_t *pb);

/* A peer's signed request refused after its signature verified (a replay of a request already served, a request
 * signed for another zone's authority) is evidence that someone resends what the peer signed. Its first refusal
 * writes `audit` (required: the audit row, whose resource_id names the peer and whose action is the refusal's)
 * and the signature's refusal record in one transaction; a later refusal of the same signature (same keyid, same
 * signature bytes, same action) only counts in that record, so whoever holds one captured request cannot grow the
 * append-only audit log by resending it. `sig` is the verified signature's bytes (mez_httpsig_verified_t's
 * signature: not the Signature field's text, which a resender could write in endless equivalent ways).
 * *times (may be NULL) gets how many times the signature has now been refused (1 the first time). Runs its own
 * transaction: call it outside any other. */
mez_status_t mez_peer_refusal_keep(apr_pool_t *p, mez_db_t *db, const struct mez_audit_event_t *audit,
                                   const char *keyid, const unsigned char *sig, size_t sig_len, apr_int64_t *times,
                                   mez_problem_t *pb);

typedef struct mez_peer_refusal_t {
    const char *peer;                /* the zone id of the peer whose signature it was */
    const char *keyid, *action;
    const char *signature;           /* "sha256:<hex>" of the signature's bytes */
    const char *first_at, *last_at;  /* RFC 3339, seconds */
    apr_int64_t times;               /* every refusal of it, the first (the audited one) included */
    const char *request_id;          /* the first refusal's request, which its audit row names; may be NULL */
} mez_peer_refusal_t;

/* The refusal records, the most recently refused first, of one peer (zone id) or of all (peer NULL); at most
 * limit (1..1000) of them (array of mez_peer_refusal_t). */
mez_status_t mez_peer_refusal_list(apr_pool_t *p, mez_db_t *db, const char *peer, int limit,
                                   apr_array_header_t **out, mez_problem_t *pb);
/* A record as GET /v1/peers/refusals and `mez peer refusals` show it (a new reference): peer, keyid, action,
 * signature, first_refused_at, last_refused_at, times, request_id (null when none). */
json_t *mez_peer_refusal_json(const mez_peer_refusal_t *r);

#endif
