/* mez/watcher.h: corridor watchers. A watcher is a party known by its did:key that bonds a stake with this zone,
 * reads a corridor's signed checkpoints from both zones, and attests what it saw with a WatcherAttestation
 * credential (W3C VC 2.0, eddsa-jcs-2022, signed by the watcher's own key). This zone records an attestation
 * that matches its own chain and slashes the watcher's stake for one that does not (the reference's rules,
 * mez/lifecycle.h: FALSE_ATTESTATION 5000 bp, EQUIVOCATION 10000 bp). No HTTP here: mod_mez_watcher.c serves
 * this, `mez watcher attest` is the watcher's side.
 *
 * The lifecycle is mez/lifecycle.h's watcher machine: REGISTERED -bond-> BONDED -activate-> ACTIVE; ACTIVE
 * -slash-> SLASHED; SLASHED -rebond-> BONDED; ACTIVE -unbond-> UNBONDING -complete_unbond-> DEACTIVATED (the
 * stake left is returned). Unlike the reference (corridors.md section 9 item 10: a SLASHED watcher could only
 * rebond, so whatever stake a slash left was locked for ever), a SLASHED watcher may also exit: unbond the
 * remainder (SLASHED -> UNBONDING) and complete. An UNBONDING watcher can still be slashed for what it attested
 * while bonded: a credential it offers (or anyone offers in its name) dated (validFrom) before its unbonding began
 * goes through the equivocation and false-root checks and is slashed for an offence, but is never recorded (409
 * "watcher.not_active" when it is no offence); one dated at or after that, or undated, is refused unjudged. A
 * SLASHED watcher is not judged (the lifecycle has no second slash, only a ban). Attestations are recorded only
 * from an ACTIVE watcher.
 *
 * The credential:
 *   { "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential",
 *     "WatcherAttestation"], "issuer": "<the watcher's did:key>", "validFrom": ...,
 *     "credentialSubject": { "id"?: "urn:mez:corridor:<id>", "corridor_id": "<uuid>",
 *       "origin": "<sequencer zone>/corridors/<id>", "tree_size": N >= 1, "root_hash": "<64 lower-case hex>",
 *       "checkpoint_note"?: "<the sequencer's signed note for that size and root>" },
 *     "proof": { DataIntegrityProof, eddsa-jcs-2022, verificationMethod "<issuer>#..." } }
 *
 * Amounts are integers in minor units of an ISO 4217 currency (three upper-case letters); a watcher's stake is
 * held in one currency. Slashing arithmetic is mez_lifecycle_watcher_slash's (exact, rounded down).
 *
 * Transactions: every write runs in its own transaction (do not call one inside another) and a refusal writes
 * nothing; the two slashes are the exception by design: they commit the slash, its event and its evidence and
 * then answer the 409, so the offence is kept although the attestation is refused.
 *
 * Problems (RFC 9457, mez/problem.h); pointers are relative to the credential prefixed with the caller's
 * pointer_base for attest, and name the argument ("/did", "/stake/amount_minor", ...) elsewhere:
 *   404 "watcher.not_found"            no such watcher;
 *   409 "watcher.exists"               register with a DID already registered;
 *   422 "watcher.invalid_did"          not a did:key of an Ed25519 key;
 *   422 "watcher.invalid_stake"        amount not > 0, or the stake would exceed 2^63 - 1 minor units;
 *   422 "watcher.invalid_currency"     not three upper-case letters;
 *   409 "watcher.currency_mismatch"    a rebond in another currency than the stake held;
 *   409 "lifecycle.illegal_transition" a move the watcher's state does not allow;
 *   422 "watcher.invalid_attestation"  not a WatcherAttestation of the shape above (pointer names the member);
 *   422 "vc.*"                         the credential does not verify (tampered, expired, ...: mez_vc_verify);
 *   422 "watcher.issuer_not_signer"    signed by a key that is not the issuer's own;
 *   403 "watcher.not_registered"       the issuer is no registered watcher of this zone;
 *   409 "watcher.not_active"           the watcher is not ACTIVE (nor UNBONDING with a credential dated before
 *                                      its unbonding began, pointer /validFrom), or is UNBONDING and the credential
 *                                      is no offence: nothing recorded;
 *   404 "corridor.not_found"           no such corridor here;
 *   422 "watcher.origin_mismatch"      origin is not this corridor's log origin;
 *   422 "watcher.note_mismatch"        checkpoint_note is not the sequencer's signed note of this size and root
 *                                      (its own checkpoint.* problem when it does not verify);
 *   409 "corridor.behind"              tree_size is beyond this zone's chain: nothing happens (this zone may
 *                                      just not have synced yet);
 *   409 "corridor.fork"                checkpoint_note verifies under the sequencer's key but its root is not this
 *                                      chain's at tree_size: the sequencer signed two histories. The note is kept
 *                                      as fork evidence (as sync keeps it: out->fork_evidence_digest), nothing
 *                                      recorded, nobody slashed; the caller halts the corridor. Only a root the
 *                                      sequencer never signed is the watcher's false attestation;
 *   409 "watcher.false_attestation"    root_hash is not this chain's root at tree_size: slashed 50 %;
 *   409 "watcher.equivocation"         the watcher already attested another root for this corridor and size
 *                                      here: slashed 100 %, both credentials kept as evidence. */
#ifndef MEZ_WATCHER_H
#define MEZ_WATCHER_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/key.h"
#include "mez/lifecycle.h"
#include "mez/problem.h"
#include "mez/store.h"

typedef struct mez_watcher_t {
    const char *watcher_id;        /* "wat_<32 hex>" */
    const char *did;               /* "did:key:z6Mk..." */
    int state;                     /* MEZ_WATCHER_* (mez/lifecycle.h) */
    uint64_t stake_minor;          /* bonded now, after slashes */
    const char *currency;          /* NULL until bonded */
    uint64_t slashed_minor;        /* taken by slashes in all */
    const char *created_at, *updated_at;
} mez_watcher_t;

/* One row of a watcher's event log. */
typedef struct mez_watcher_log_t {
    int step;                      /* 1, 2, ... */
    const char *event;             /* "register", or a lifecycle event name ("bond", "slash", ...) */
    const char *from_state;        /* NULL for "register" */
    const char *to_state;
    uint64_t amount_minor;         /* bonded, slashed or returned; 0 for none */
    const char *reason;            /* slash reason name ("false_attestation", ...), NULL otherwise */
    const char *evidence;          /* canonical JSON text, NULL when none */
    const char *evidence_digest;   /* "sha256:<hex>" of evidence, NULL when none */
    const char *created_at;
} mez_watcher_log_t;

/* A watcher's moves. Each runs in its own transaction with the zone's audit row of it (audit: the event; its
 * resource and detail, the watcher's DID, state and stake after the move, are set here): the move and its record,
 * both or neither. audit is required (mez_audit_required: 500 "audit.invalid_event" before anything is written),
 * so a watcher's stake never changes without the zone's record of it. */
struct mez_audit_event_t;
/* Registers a DID as a watcher (REGISTERED, no stake). */
mez_status_t mez_watcher_register(apr_pool_t *p, mez_db_t *db, const char *did, apr_time_t now,
                                  const struct mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb);
/* bond (REGISTERED -> BONDED) or rebond (SLASHED -> BONDED, adding to what the slash left) amount_minor > 0 of
 * currency. */
mez_status_t mez_watcher_bond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, uint64_t amount_minor,
                              const char *currency, apr_time_t now, const struct mez_audit_event_t *audit,
                              mez_watcher_t *out, mez_problem_t *pb);
/* BONDED -> ACTIVE. */
mez_status_t mez_watcher_activate(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                  const struct mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb);
/* register, bond and activate in one transaction (an operator enrolling a watcher): all three or nothing, one
 * audit row. */
mez_status_t mez_watcher_enrol(apr_pool_t *p, mez_db_t *db, const char *did, uint64_t amount_minor,
                               const char *currency, apr_time_t now, const struct mez_audit_event_t *audit,
                               mez_watcher_t *out, mez_problem_t *pb);
/* ACTIVE | SLASHED -> UNBONDING. */
mez_status_t mez_watcher_unbond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                const struct mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb);
/* UNBONDING -> DEACTIVATED once `period` has passed since the unbonding began (earlier: 409 "watcher.unbonding",
 * saying until when the stake is held): the stake left is returned (the event's amount) and becomes 0. */
mez_status_t mez_watcher_complete_unbond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                         apr_interval_time_t period, const struct mez_audit_event_t *audit,
                                         mez_watcher_t *out, mez_problem_t *pb);
/* SLASHED -> BONDED -> ACTIVE in one transaction: amount_minor more of the stake's currency (409
 * "watcher.currency_mismatch" for another). Another state: 409 "lifecycle.illegal_transition". */
mez_status_t mez_watcher_rebond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, uint64_t amount_minor,
                                const char *currency, apr_time_t now, const struct mez_audit_event_t *audit,
                                mez_watcher_t *out, mez_problem_t *pb);

/* Reads a watcher by id or by DID (404 "watcher.not_found"). */
mez_status_t mez_watcher_get(apr_pool_t *p, mez_db_t *db, const char *watcher_id, mez_watcher_t *out,
                             mez_problem_t *pb);
mez_status_t mez_watcher_get_by_did(apr_pool_t *p, mez_db_t *db, const char *did, mez_watcher_t *out,
                                    mez_problem_t *pb);
/* Every watcher, oldest first (array of mez_watcher_t). */
mez_status_t mez_watcher_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb);
/* A watcher's events in order (array of mez_watcher_log_t); 404 for an unknown watcher. */
mez_status_t mez_watcher_events(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_array_header_t **out,
                                mez_problem_t *pb);

/* A recorded attestation. */
typedef struct mez_watcher_attestation_t {
    const char *watcher_id, *did, *corridor_id;
    uint64_t tree_size;
    const char *root;              /* 64 hex */
    const char *credential;        /* canonical text */
    const char *credential_digest; /* 64 hex: SHA-256 of credential */
    const char *created_at;
} mez_watcher_attestation_t;

/* A corridor's recorded attestations, by size then watcher (array of mez_watcher_attestation_t; 404 for an
 * unknown corridor). */
mez_status_t mez_watcher_attestations(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                      apr_array_header_t **out, mez_problem_t *pb);

/* What attest needs of this zone to check a credential against its chain. */
typedef struct mez_watcher_zone_t {
    const char *zone_id;           /* this zone's id: the origin's zone when it is the corridor's proposer */
    const mez_key_t *key;          /* this zone's key (the sequencer's key when it is the proposer) */
    const char *pointer_base;      /* prefix of problem pointers into the credential ("/attestation"); NULL: "" */
    const struct mez_audit_event_t *audit;  /* required: the zone's audit row of the decision (recorded or
                                             * slashed), appended in its transaction; its detail is set here */
} mez_watcher_zone_t;

/* What attest did. */
typedef struct mez_watcher_attest_t {
    int repeated;                  /* 1: this watcher had attested this root for this size already (nothing
                                    * written) */
    mez_watcher_attestation_t attestation;  /* the recorded (or earlier recorded) attestation */
    /* On "watcher.false_attestation" / "watcher.equivocation": the slash. */
    const char *slash_reason;      /* "false_attestation" | "equivocation" */
    uint64_t slashed_minor;
    const char *evidence_digest;   /* "sha256:<hex>" */
    /* On "corridor.fork": the digest of the fork evidence kept (mez_corridor_keep_evidence); nobody slashed. */
    const char *fork_evidence_digest;
    mez_watcher_t watcher;         /* the watcher after the attestation or slash (when it was found) */
} mez_watcher_attest_t;

/* Takes a WatcherAttestation credential (problems and their order in the header comment). The checks: shape,
 * signature (mez_vc_verify at now, by the issuer's own key), a registered ACTIVE watcher, the corridor, the
 * origin, the optional note, then this zone's chain at tree_size: beyond it is "corridor.behind"; a root already
 * attested by this watcher for this size is a repeat (the same root) or equivocation (another one); else the
 * chain's root there is recorded, and any other root is a false attestation. */
mez_status_t mez_watcher_attest(apr_pool_t *p, mez_db_t *db, const mez_watcher_zone_t *zone, const json_t *vc,
                                apr_time_t now, mez_watcher_attest_t *out, mez_problem_t *pb);

/* The log origin of a corridor as seen from a zone: "<proposer zone>/corridors/<id>". */
mez_status_t mez_watcher_corridor_origin(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *corridor_id,
                                         const char **origin, mez_problem_t *pb);

#endif
