/* mez/migration.h: the source zone's record of entity migrations between zones (the migration saga of
 * mez/lifecycle.h, carried out by mez/migration_saga.h over a corridor).
 *
 * Each migration is a row holding its state and what the saga has established so far (the receipt's sequence
 * number, the destination's entity id, whether the source entity is locked), and a log of steps, one per move,
 * each with its evidence (canonical JSON) and that evidence's digest. Every move goes through
 * mez_lifecycle_migration_step, so the deadline is checked for every event (cancel and compensate too) and a
 * move from SOURCE_LOCKED or later names the effect the caller carries out (unlock_source, compensate). A move
 * is applied only from the state the caller read (compare-and-set), so two requests advancing one migration at
 * once cannot both record a step: the loser gets 409 "migration.concurrent_move" and nothing changes.
 *
 * Problems (RFC 9457, mez/problem.h):
 *   422 "migration.invalid_deadline" (/deadline)  not "YYYY-MM-DDTHH:MM:SSZ" or not after now;
 *   404 "migration.not_found";
 *   409 "migration.entity_in_migration" (/entity_id)  the entity already has a live migration;
 *   409 "migration.concurrent_move";
 *   the lifecycle's 409 "lifecycle.illegal_transition" / "lifecycle.deadline_passed";
 *   503 "db.*" from the store. */
#ifndef MEZ_MIGRATION_H
#define MEZ_MIGRATION_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/problem.h"
#include "mez/store.h"

typedef struct mez_migration_t {
    const char *migration_id;          /* "mig_" + 64 hex */
    const char *corridor_id;
    const char *entity_id;             /* the entity in the source zone */
    const char *destination_zone_id;
    int state;                         /* mez_migration_state_t */
    const char *state_name;
    int live;                          /* 0 once terminal */
    int locked;                        /* 1 while this migration holds the source entity suspended */
    apr_time_t deadline;
    const char *deadline_text;         /* "YYYY-MM-DDTHH:MM:SSZ" */
    json_t *request;                   /* what the operator asked (pool-owned) */
    int64_t receipt_from;              /* -1: not set */
    int64_t receipt_seq;               /* -1: no receipt yet */
    const char *destination_entity_id; /* NULL until the destination formed it */
    json_t *credential;                /* the EntityMigrationCredential once COMPLETED (pool-owned), or NULL */
    json_t *problem;                   /* the last refusal kept (pool-owned), or NULL */
    const char *created_at, *updated_at;
} mez_migration_t;

/* What a move changes besides the state; members left at their "unchanged" value are not written. */
typedef struct mez_migration_update_t {
    int locked;                        /* -1 unchanged */
    int64_t receipt_from;              /* -1 unchanged */
    int64_t receipt_seq;               /* -1 unchanged */
    const char *destination_entity_id; /* NULL unchanged */
    const json_t *credential;          /* NULL unchanged */
    const json_t *problem;             /* NULL unchanged */
} mez_migration_update_t;

/* An update that changes nothing. */
void mez_migration_update_init(mez_migration_update_t *u);

/* Parses a deadline ("YYYY-MM-DDTHH:MM:SSZ", UTC, whole seconds) that must lie after now. */
mez_status_t mez_migration_deadline_parse(apr_pool_t *p, const char *text, apr_time_t now, apr_time_t *out,
                                          mez_problem_t *pb);

struct mez_audit_event_t;
/* Records a new migration in INITIATED with step 0 ("initiate", evidence as given), and the zone's audit row of it
 * ("migration.initiate"), in one transaction. m->migration_id, corridor_id, entity_id, destination_zone_id,
 * deadline and request are read; the rest is set. audit (required; 500 "audit.invalid_event" without it) says who
 * and which request: its zone_id, actor, request_id and outcome are used; action ("migration.<event>"), resource
 * ("migration", the migration id) and detail (corridor, entity, destination, from_state, to_state, effect,
 * evidence_digest) are the step's. */
mez_status_t mez_migration_create(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, const json_t *evidence,
                                  apr_time_t now, const struct mez_audit_event_t *audit, mez_problem_t *pb);

mez_status_t mez_migration_get(apr_pool_t *p, mez_db_t *db, const char *id, mez_migration_t *m, mez_problem_t *pb);

/* The steps in order: [{step, event, from_state, to_state, effect, evidence, evidence_digest, created_at}]. */
mez_status_t mez_migration_steps(apr_pool_t *p, mez_db_t *db, const char *id, json_t **steps, mez_problem_t *pb);

/* Moves m (as read: its state is the compare-and-set expectation) by event at now, writing u's changes, a step
 * with evidence and the zone's audit row of the step ("migration.<event>", audit as for mez_migration_create), in
 * one transaction. On MEZ_OK *m is the migration as now stored and *effect (may be NULL) the lifecycle's effect
 * of the move. */
mez_status_t mez_migration_move(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, int event, apr_time_t now,
                                const json_t *evidence, const mez_migration_update_t *u,
                                const struct mez_audit_event_t *audit, const char **effect, mez_problem_t *pb);

/* Writes u's changes without a move (e.g. the corridor size noted before a receipt is appended): the saga's own
 * bookkeeping between two steps, not an action of the zone, so no audit row (the next step has one). */
mez_status_t mez_migration_note(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, const mez_migration_update_t *u,
                                apr_time_t now, mez_problem_t *pb);

/* 1 when two legal names are the same name for a register (folded as the Mass entities register compares). */
int mez_migration_same_name(apr_pool_t *p, const char *a, const char *b);

/* The migration as the API answers it: {migration_id, corridor_id, entity_id, destination_zone_id, state,
 * deadline, locked, sequence, destination_entity_id, credential, problem, created_at, updated_at} (absent
 * members are null). */
json_t *mez_migration_json(apr_pool_t *p, const mez_migration_t *m);

#endif
