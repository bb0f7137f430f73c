/* mez/lifecycle.h: the state machines of the things a zone registers: entities, licences, migrations, watchers,
 * and the corridors between zones.
 *
 * Each machine is a table of (from state, event) -> to state, so what is allowed is data one can read and
 * test edge by edge; nothing else decides. States and events have wire names (the Mass contracts' spellings:
 * entity states are the entities contract's EntityStatus) and enum values; both forms are accepted.
 *
 * Refusals (RFC 9457 problems, mez/problem.h):
 *   409 "lifecycle.illegal_transition"  the event is not allowed from the current state; the detail names the
 *                                       machine, the current state and every event allowed from it (with the
 *                                       state each leads to), or says the state is terminal;
 *   422 "lifecycle.unknown_state" / "lifecycle.unknown_event" / "lifecycle.unknown_machine"  a name that is not
 *                                       one of the machine's;
 *   409 "lifecycle.deadline_passed"     (migration) only "timeout" is allowed once the deadline has passed, and
 *                                       "advance" from IN_TRANSIT on (the destination formed the entity);
 *   422 "lifecycle.deadline_required"   (migration) a migration without a deadline.
 *
 * Where the reference system's machines were wrong, these differ on purpose (../shared/reference/corridors.md
 * §5 and §9):
 *   entity    formation has a DRAFT state before PENDING_APPROVAL (the contract's EntityStatus); strike-off from
 *             ACTIVE or SUSPENDED; dissolution stages are counted by the caller with mez_lifecycle_entity_advance
 *             (past stage 10 the entity is DISSOLVED) and the stages' statutory minimum periods are given here
 *             for the caller to enforce (mass_entities.c does).
 *   licence   a SUSPENDED licence still expires; "renew" keeps an ACTIVE licence ACTIVE and is refused for every
 *             other state: a renewal extends a live licence in good standing — a suspended one must be
 *             reinstated first, and an EXPIRED one is terminal (its holder applies again) so a lapsed licence
 *             can never be revived by a late renewal with no review.
 *   migration the deadline is checked for every event, not only "advance" (cancel and compensate too); a
 *             cancellation or time-out after SOURCE_LOCKED names the effect "unlock_source", and a time-out
 *             while the asset is in transit names "compensate", so no asset is left locked or stranded.
 *   watcher   a SLASHED watcher may exit (unbond) rather than only rebond, and an UNBONDING watcher can still be
 *             slashed or banned for what it did while bonded (that is what the unbonding period is for);
 *             slashing is integer basis points only.
 *   corridor  every state and edge of the reference's corridor machine (corridors.md §2), plus SUSPENDED ->
 *             HALTED: a fork found while a corridor is suspended (a watcher's conflicting checkpoints, a late
 *             receipt) halts it at once, instead of forcing a resume of trade over a forked chain first. The
 *             evidence each event demands is data (mez_lifecycle_corridor_evidence) and is checked, not merely
 *             logged; the activation log digest is domain-separated (defect 3). HALTED is left only by
 *             deprecate, as in the reference: why a fork resolution never reactivates is explained at the
 *             corridor enums below.
 *
 * An effect is a short name the caller must carry out together with the move (NULL when none):
 *   "dissolution_stage_1", "dissolution_next_stage", "unlock_source", "compensate", "slash_stake",
 *   "return_stake". */
#ifndef MEZ_LIFECYCLE_H
#define MEZ_LIFECYCLE_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/problem.h"

typedef enum {
    MEZ_LIFECYCLE_ENTITY = 0,   /* "entity" */
    MEZ_LIFECYCLE_LICENCE,      /* "licence" */
    MEZ_LIFECYCLE_MIGRATION,    /* "migration" */
    MEZ_LIFECYCLE_WATCHER,      /* "watcher" */
    MEZ_LIFECYCLE_CORRIDOR,     /* "corridor" */
    MEZ_LIFECYCLE_MACHINE_COUNT
} mez_lifecycle_machine_t;

/* Entity (wire: the entities contract's EntityStatus). Terminal: DISSOLVED, STRUCK_OFF, REJECTED. */
typedef enum {
    MEZ_ENTITY_DRAFT = 0, MEZ_ENTITY_PENDING_APPROVAL, MEZ_ENTITY_ACTIVE, MEZ_ENTITY_SUSPENDED,
    MEZ_ENTITY_DISSOLVING, MEZ_ENTITY_DISSOLVED, MEZ_ENTITY_STRUCK_OFF, MEZ_ENTITY_REJECTED,
    MEZ_ENTITY_STATE_COUNT
} mez_entity_state_t;
typedef enum {
    MEZ_ENTITY_EV_SUBMIT = 0,             /* "submit"               DRAFT -> PENDING_APPROVAL */
    MEZ_ENTITY_EV_APPROVE,                /* "approve"              PENDING_APPROVAL -> ACTIVE */
    MEZ_ENTITY_EV_REJECT,                 /* "reject"               PENDING_APPROVAL -> REJECTED */
    MEZ_ENTITY_EV_SUSPEND,                /* "suspend"              ACTIVE -> SUSPENDED */
    MEZ_ENTITY_EV_REINSTATE,              /* "reinstate"            SUSPENDED -> ACTIVE */
    MEZ_ENTITY_EV_INITIATE_DISSOLUTION,   /* "initiate_dissolution" ACTIVE -> DISSOLVING (stage 1) */
    MEZ_ENTITY_EV_ADVANCE_DISSOLUTION,    /* "advance_dissolution"  DISSOLVING -> DISSOLVING, past stage 10 DISSOLVED */
    MEZ_ENTITY_EV_STRIKE_OFF,             /* "strike_off"           ACTIVE | SUSPENDED -> STRUCK_OFF */
    MEZ_ENTITY_EVENT_COUNT
} mez_entity_event_t;

/* Licence. Terminal: REVOKED, EXPIRED, SURRENDERED, REJECTED. */
typedef enum {
    MEZ_LICENCE_APPLIED = 0, MEZ_LICENCE_UNDER_REVIEW, MEZ_LICENCE_ACTIVE, MEZ_LICENCE_SUSPENDED,
    MEZ_LICENCE_REVOKED, MEZ_LICENCE_EXPIRED, MEZ_LICENCE_SURRENDERED, MEZ_LICENCE_REJECTED,
    MEZ_LICENCE_STATE_COUNT
} mez_licence_state_t;
typedef enum {
    MEZ_LICENCE_EV_REVIEW = 0,   /* "review"    APPLIED -> UNDER_REVIEW */
    MEZ_LICENCE_EV_GRANT,        /* "grant"     UNDER_REVIEW -> ACTIVE */
    MEZ_LICENCE_EV_REJECT,       /* "reject"    APPLIED | UNDER_REVIEW -> REJECTED */
    MEZ_LICENCE_EV_SUSPEND,      /* "suspend"   ACTIVE -> SUSPENDED */
    MEZ_LICENCE_EV_REINSTATE,    /* "reinstate" SUSPENDED -> ACTIVE */
    MEZ_LICENCE_EV_REVOKE,       /* "revoke"    ACTIVE | SUSPENDED -> REVOKED */
    MEZ_LICENCE_EV_EXPIRE,       /* "expire"    ACTIVE | SUSPENDED -> EXPIRED */
    MEZ_LICENCE_EV_SURRENDER,    /* "surrender" ACTIVE -> SURRENDERED */
    MEZ_LICENCE_EV_RENEW,        /* "renew"     ACTIVE -> ACTIVE */
    MEZ_LICENCE_EVENT_COUNT
} mez_licence_event_t;

/* Migration saga. Terminal: COMPLETED, CANCELLED, COMPENSATED, TIMED_OUT. */
typedef enum {
    MEZ_MIGRATION_INITIATED = 0, MEZ_MIGRATION_COMPLIANCE_CHECK, MEZ_MIGRATION_ATTESTATION_GATHERING,
    MEZ_MIGRATION_SOURCE_LOCKED, MEZ_MIGRATION_IN_TRANSIT, MEZ_MIGRATION_DESTINATION_VERIFICATION,
    MEZ_MIGRATION_DESTINATION_UNLOCK, MEZ_MIGRATION_COMPLETED, MEZ_MIGRATION_CANCELLED,
    MEZ_MIGRATION_COMPENSATED, MEZ_MIGRATION_TIMED_OUT,
    MEZ_MIGRATION_STATE_COUNT
} mez_migration_state_t;
typedef enum {
    MEZ_MIGRATION_EV_ADVANCE = 0,   /* "advance"    each state to the next, DESTINATION_UNLOCK -> COMPLETED */
    MEZ_MIGRATION_EV_CANCEL,        /* "cancel"     INITIATED .. SOURCE_LOCKED -> CANCELLED */
    MEZ_MIGRATION_EV_COMPENSATE,    /* "compensate" IN_TRANSIT .. DESTINATION_UNLOCK -> COMPENSATED */
    MEZ_MIGRATION_EV_TIMEOUT,       /* "timeout"    any live state -> TIMED_OUT */
    MEZ_MIGRATION_EVENT_COUNT
} mez_migration_event_t;

/* Watcher. Terminal: DEACTIVATED, BANNED. */
typedef enum {
    MEZ_WATCHER_REGISTERED = 0, MEZ_WATCHER_BONDED, MEZ_WATCHER_ACTIVE, MEZ_WATCHER_SLASHED,
    MEZ_WATCHER_UNBONDING, MEZ_WATCHER_DEACTIVATED, MEZ_WATCHER_BANNED,
    MEZ_WATCHER_STATE_COUNT
} mez_watcher_state_t;
typedef enum {
    MEZ_WATCHER_EV_BOND = 0,         /* "bond"            REGISTERED -> BONDED */
    MEZ_WATCHER_EV_ACTIVATE,         /* "activate"        BONDED -> ACTIVE */
    MEZ_WATCHER_EV_SLASH,            /* "slash"           ACTIVE | UNBONDING -> SLASHED */
    MEZ_WATCHER_EV_BAN,              /* "ban"             ACTIVE | SLASHED | UNBONDING -> BANNED */
    MEZ_WATCHER_EV_REBOND,           /* "rebond"          SLASHED -> BONDED */
    MEZ_WATCHER_EV_UNBOND,           /* "unbond"          ACTIVE | SLASHED -> UNBONDING */
    MEZ_WATCHER_EV_COMPLETE_UNBOND,  /* "complete_unbond" UNBONDING -> DEACTIVATED */
    MEZ_WATCHER_EVENT_COUNT
} mez_watcher_event_t;

/* Corridor (wire: the reference's spellings; its legacy PROPOSED / OPERATIONAL are not states and are refused
 * like any unknown name). Terminal: DEPRECATED.
 *
 * Forks and disputes. Two receipts for one sequence number, or a checkpoint inconsistent with an earlier one,
 * halt the corridor (ACTIVE | SUSPENDED -> HALTED, "halt" with the fork evidence's digest). The reference's
 * fork resolver (corridors.md §4) then picks a winning branch, but its machine has no HALTED -> ACTIVE: the
 * only way out of HALTED is "deprecate", with the decision's digest. mez keeps that rule on purpose and a fork
 * resolution never reactivates the forked corridor:
 *   - a fork means two conflicting histories were signed for one corridor; once checkpoints of both exist
 *     under the corridor's log origin, a transparency-log verifier or witness rightly refuses that origin
 *     for ever, and whoever holds the losing branch can never reconcile it by appending to either;
 *   - the reference's resolver is not fit to restart trade on its own: its first rule trusts the branches'
 *     self-declared timestamps, an equivocating watcher aborts it, and attested parent roots are never
 *     checked (corridors.md §9 item 7);
 *   - the reference keeps a reversible stop (SUSPENDED: a reason, an expected resume, and resume demands a
 *     resolution attestation) apart from the emergency one, and gives only the former a way back.
 * So a dispute is resolved by a deprecation decision that names the winning branch (its digest is the
 * deprecate evidence), and trade continues, if the zones agree, on a new corridor (new id and genesis)
 * whose definition references the deprecated one. */
typedef enum {
    MEZ_CORRIDOR_DRAFT = 0, MEZ_CORRIDOR_PENDING, MEZ_CORRIDOR_ACTIVE, MEZ_CORRIDOR_HALTED,
    MEZ_CORRIDOR_SUSPENDED, MEZ_CORRIDOR_DEPRECATED,
    MEZ_CORRIDOR_STATE_COUNT
} mez_corridor_state_t;
typedef enum {
    MEZ_CORRIDOR_EV_SUBMIT = 0,   /* "submit"    DRAFT -> PENDING */
    MEZ_CORRIDOR_EV_ACTIVATE,     /* "activate"  PENDING -> ACTIVE */
    MEZ_CORRIDOR_EV_HALT,         /* "halt"      ACTIVE | SUSPENDED -> HALTED */
    MEZ_CORRIDOR_EV_SUSPEND,      /* "suspend"   ACTIVE -> SUSPENDED */
    MEZ_CORRIDOR_EV_RESUME,       /* "resume"    SUSPENDED -> ACTIVE */
    MEZ_CORRIDOR_EV_DEPRECATE,    /* "deprecate" HALTED -> DEPRECATED */
    MEZ_CORRIDOR_EVENT_COUNT
} mez_corridor_event_t;

/* ---------------------------------------------------------------- names */

const char *mez_lifecycle_machine_name(mez_lifecycle_machine_t m);   /* "entity", ...; "unknown" */
mez_status_t mez_lifecycle_machine_parse(apr_pool_t *p, const char *name, mez_lifecycle_machine_t *out,
                                         mez_problem_t *pb);
int mez_lifecycle_state_count(mez_lifecycle_machine_t m);            /* 0 for an unknown machine */
int mez_lifecycle_event_count(mez_lifecycle_machine_t m);
/* Wire names ("PENDING_APPROVAL", "initiate_dissolution"); NULL when out of range. */
const char *mez_lifecycle_state_name(mez_lifecycle_machine_t m, int state);
const char *mez_lifecycle_event_name(mez_lifecycle_machine_t m, int event);
/* Exact, case-sensitive wire names; 422 "lifecycle.unknown_state" / "lifecycle.unknown_event" listing them. */
mez_status_t mez_lifecycle_state_parse(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name, int *out,
                                       mez_problem_t *pb);
/* A state named by a caller's filter (a query parameter: ?status=): as mez_lifecycle_state_parse, but 400
 * "request.invalid_parameter" at pointer, listing the states (an unknown state would silently match nothing). */
mez_status_t mez_lifecycle_state_param(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name,
                                       const char *pointer, int *out, mez_problem_t *pb);
mez_status_t mez_lifecycle_event_parse(apr_pool_t *p, mez_lifecycle_machine_t m, const char *name, int *out,
                                       mez_problem_t *pb);
/* 1 when no event leaves state (0 for out-of-range states). */
int mez_lifecycle_is_terminal(mez_lifecycle_machine_t m, int state);
/* The state a new instance starts in (entity DRAFT, licence APPLIED, migration INITIATED, watcher REGISTERED,
 * corridor DRAFT). */
int mez_lifecycle_initial_state(mez_lifecycle_machine_t m);

/* ---------------------------------------------------------------- transitions */

/* The move event makes from state from: MEZ_OK with *to (and *effect, may be NULL) set, or the 409/422 problem.
 * For the entity's advance_dissolution this answers DISSOLVING; use mez_lifecycle_entity_advance, which knows
 * the stage. For a migration this ignores the deadline; use mez_lifecycle_migration_step. */
mez_status_t mez_lifecycle_step(apr_pool_t *p, mez_lifecycle_machine_t m, int from, int event, int *to,
                                const char **effect, mez_problem_t *pb);
/* The same with wire names: unknown names are 422, an illegal move 409; *to_state is the new state's name. */
mez_status_t mez_lifecycle_transition(apr_pool_t *p, mez_lifecycle_machine_t m, const char *from_state,
                                      const char *event, const char **to_state, mez_problem_t *pb);
/* The event that moves from one state to another, -1 when none does. */
int mez_lifecycle_event_between(mez_lifecycle_machine_t m, int from, int to);
/* "suspend (-> SUSPENDED), strike_off (-> STRUCK_OFF)" for the events allowed from a state; "" when terminal. */
const char *mez_lifecycle_allowed(apr_pool_t *p, mez_lifecycle_machine_t m, int from);

/* ---------------------------------------------------------------- entity dissolution */

#define MEZ_DISSOLUTION_STAGES 10

/* A statutory period of days a stage cannot end before. */
typedef struct mez_dissolution_period_t {
    const char *parameter;   /* the InitiateDissolutionRequest parameter giving its days; NULL ends the list */
    int from_initiation;     /* counted from the day the dissolution began; 0: from the day the stage began */
} mez_dissolution_period_t;

#define MEZ_DISSOLUTION_STAGE_PERIODS 2

typedef struct mez_dissolution_stage_t {
    int sequence;            /* 1..10 */
    const char *id;          /* the contract's stage_id: "board_resolution", ... */
    const char *name;        /* "Board Resolution", ... */
    int estimated_days;      /* the usual duration (guidance, not a limit) */
    /* The periods this stage cannot end before: notify_creditors no sooner than creditor_notice_period_days after
     * it began (the creditors' claims window); the final stage (the company struck off the register) no sooner than
     * minimum_liquidation_period_days after initiation, nor than strike_off_notice_period_days after it began, when
     * the final documents were filed (the registrar's notice before the company is dissolved: "on the expiration of
     * three months from the date of the registration of the return", the contract's default 90 days). */
    mez_dissolution_period_t periods[MEZ_DISSOLUTION_STAGE_PERIODS];
} mez_dissolution_stage_t;

/* Stage 1..10, NULL otherwise. */
const mez_dissolution_stage_t *mez_lifecycle_dissolution_stage(int sequence);
/* advance_dissolution from (state, stage): DISSOLVING stage N < 10 -> DISSOLVING stage N+1; stage 10 ->
 * DISSOLVED (*to_stage stays 10: every stage is then complete). Other states: the 409; a stage outside 1..10:
 * 422 "lifecycle.invalid_stage". */
mez_status_t mez_lifecycle_entity_advance(apr_pool_t *p, int from_state, int stage, int *to_state, int *to_stage,
                                          mez_problem_t *pb);

/* ---------------------------------------------------------------- migration deadline */

/* mez_lifecycle_step for a migration, with its mandatory deadline: once now is past the deadline every live
 * state allows only "timeout" (409 "lifecycle.deadline_passed" for anything else, cancel and compensate too),
 * and "advance" from IN_TRANSIT, DESTINATION_VERIFICATION and DESTINATION_UNLOCK: the saga advances those only on
 * the destination's formation, which is finished rather than left beside a reinstated source. */
mez_status_t mez_lifecycle_migration_step(apr_pool_t *p, int from, int event, apr_time_t now, apr_time_t deadline,
                                          int *to, const char **effect, mez_problem_t *pb);

/* ---------------------------------------------------------------- watcher slashing */

typedef enum {
    MEZ_SLASH_EQUIVOCATION = 0,     /* "equivocation"          10000 bp */
    MEZ_SLASH_AVAILABILITY_FAILURE, /* "availability_failure"    100 bp */
    MEZ_SLASH_FALSE_ATTESTATION,    /* "false_attestation"      5000 bp */
    MEZ_SLASH_COLLUSION,            /* "collusion"             10000 bp and a ban */
    MEZ_SLASH_REASON_COUNT
} mez_slash_reason_t;

const char *mez_lifecycle_slash_reason_name(mez_slash_reason_t r);
mez_status_t mez_lifecycle_slash_reason_parse(apr_pool_t *p, const char *name, mez_slash_reason_t *out,
                                              mez_problem_t *pb);
/* Basis points of the available stake a reason takes. */
unsigned mez_lifecycle_slash_bps(mez_slash_reason_t r);
/* Slashes a watcher in state from: *slashed = available * bps / 10000 (exact integer arithmetic, rounded down,
 * never more than available), *to = SLASHED, or BANNED for collusion; the lifecycle's 409 when the state
 * allows no slashing. */
mez_status_t mez_lifecycle_watcher_slash(apr_pool_t *p, int from, mez_slash_reason_t reason, uint64_t available,
                                         uint64_t *slashed, int *to, mez_problem_t *pb);

/* ---------------------------------------------------------------- corridor evidence */

typedef enum {
    MEZ_EVIDENCE_DIGEST = 0,   /* "sha256:<64 lowercase hex>", not all zeros (a placeholder, never a hash) */
    MEZ_EVIDENCE_TEXT,         /* a non-empty string of at most 1024 bytes with no control characters */
    MEZ_EVIDENCE_AUTHORITY,    /* a jurisdiction id: 1..128 of A-Z a-z 0-9 . _ - (as the manifold's) */
    MEZ_EVIDENCE_TIMESTAMP,    /* a UTC date-time in mez's one stored form, 2026-07-01T00:00:00Z */
    MEZ_EVIDENCE_KIND_COUNT
} mez_evidence_kind_t;

typedef struct mez_corridor_evidence_t {
    const char *name;          /* the member of the evidence object */
    mez_evidence_kind_t kind;
    int required;              /* 0: may be absent (never null) */
} mez_corridor_evidence_t;

/* What each corridor event demands (corridors.md §2), NULL-name terminated:
 *   submit     bilateral_agreement_digest, pack_trilogy_digest (lawpack + regpack + licensepack)
 *   activate   regulatory_approval_a, regulatory_approval_b (digests, one per zone; they must differ)
 *   halt       reason, authority, evidence_digest (e.g. the digest of the fork evidence kept)
 *   suspend    reason, optional expected_resume (no digest: a suspension is an operator's call)
 *   resume     resolution_attestation_digest
 *   deprecate  deprecation_decision_digest, reason
 * Names are the reference's where corridors.md spells them; where it only describes a digest ("evidence
 * digest", "resolution_attestation digest") the member is that name with "_digest". NULL for an event out of
 * range. */
const mez_corridor_evidence_t *mez_lifecycle_corridor_evidence(int event);

/* Checks an event's evidence object. 422 problems, pointers relative to the evidence object (a caller that
 * holds it at "/evidence" prefixes that):
 *   "lifecycle.unknown_event"           event out of range;
 *   "lifecycle.evidence_invalid"        evidence is not an object (pointer ""), or a member has the wrong
 *                                       type or form (a malformed or all-zero digest, an empty reason, two
 *                                       identical regulatory approvals, ...);
 *   "lifecycle.evidence_missing"        a required member is absent or null;
 *   "lifecycle.evidence_unknown"        a member the event does not take: it would be kept but never checked. */
mez_status_t mez_lifecycle_corridor_check_evidence(apr_pool_t *p, int event, const json_t *evidence,
                                                   mez_problem_t *pb);

/* The digest a transition record keeps as its evidence_digest, after the evidence was checked: submit the
 * bilateral agreement's, halt the evidence's, resume the resolution attestation's, deprecate the decision's;
 * activate SHA-256("mez.corridor.activation.v1" NUL a b) over the two approvals' 32 raw bytes (the reference
 * hashed a || b with no domain tag); *out = NULL for suspend, which has none. */
mez_status_t mez_lifecycle_corridor_log_digest(apr_pool_t *p, int event, const json_t *evidence, const char **out,
                                               mez_problem_t *pb);

/* One corridor move with its evidence: the 409 (or unknown state/event 422) first, as mez_lifecycle_step,
 * then the evidence check; on MEZ_OK *to and *log_digest (may be NULL for suspend) are set. */
mez_status_t mez_lifecycle_corridor_step(apr_pool_t *p, int from, int event, const json_t *evidence, int *to,
                                         const char **log_digest, mez_problem_t *pb);

#endif
