/* mez/migration_saga.h: an entity moves from this zone to a peer zone over a corridor, as the lifecycle's
 * migration saga (mez/lifecycle.h; the source's record in mez/migration.h). Each step is one move of the machine,
 * recorded with its evidence before the next begins, and each side effect is keyed so that a step repeated after
 * a crash (advance) is answered, not redone:
 *
 *   INITIATED -> COMPLIANCE_CHECK          the formation the destination will be asked for is fixed (its digest)
 *   COMPLIANCE_CHECK -> ATTESTATION_GATHERING   the destination previews that entity.formation on its own packs
 *                                          and lists (peers/migrations/evaluate); a refusal -> CANCELLED, its
 *                                          problem kept
 *   ATTESTATION_GATHERING -> SOURCE_LOCKED this zone suspends the entity through its own pipeline (entity.status
 *                                          SUSPENDED, reason "migration ..."): its decision and attestation join
 *                                          the destination's; a denial -> CANCELLED with nothing locked
 *   SOURCE_LOCKED -> IN_TRANSIT            the corridor receipt "entity_migration" (migration id, the entity
 *                                          record's digest, both decisions, the formation)
 *   IN_TRANSIT -> DESTINATION_VERIFICATION the destination forms the entity from its own verified copy of that
 *                                          receipt (peers/migrations/complete, once per receipt) and answers its
 *                                          credential, which this zone verifies
 *   DESTINATION_VERIFICATION -> DESTINATION_UNLOCK   the destination's registrar approved the entity (ACTIVE,
 *                                          or since SUSPENDED, DISSOLVING, DISSOLVED, STRUCK_OFF)
 *   DESTINATION_UNLOCK -> COMPLETED        this zone strikes its entity off (entity.status STRUCK_OFF) and issues
 *                                          an EntityMigrationCredential naming both ids
 *
 * A destination that refuses after the lock saying it formed nothing ("migration_formed": false), or whose
 * registrar rejects the entity it formed -> COMPENSATED. Past the deadline a migration before IN_TRANSIT times
 * out (-> TIMED_OUT); from IN_TRANSIT on the destination is asked first and its formation gone forward with, and
 * it times out only when the destination says it formed nothing or rejects what it formed; one that cannot be
 * asked leaves it where it is (the entity stays locked: reinstating it beside an entity the destination may hold
 * would leave it live in both zones). Whenever it ends short, and for a cancellation from SOURCE_LOCKED, the entity is reinstated through the
 * pipeline and, once a receipt exists, an "entity_migration_compensation" receipt tells the destination never to
 * complete it (a receipt appended by an attempt whose step was never recorded is looked up on the chain first).
 * Both receipts are recorded under references of the migration (migration:<id>:receipt, :compensation), so an
 * attempt whose answer was lost is answered the receipt already appended on a retry, never a second one. A
 * destination that cannot be reached leaves the migration where it is: the operator advances it again.
 *
 * The saga is the zone's own logic; what only the server can do (the signed call to the peer zone, the corridor
 * append, the request that drives it) is given to it as a mez_corridor_env_t (mez/corridor_env.h).
 * mod_mez_migration.c reads requests and answers. */
#ifndef MEZ_MIGRATION_SAGA_H
#define MEZ_MIGRATION_SAGA_H

#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>
#include "mez/corridor.h"
#include "mez/corridor_env.h"
#include "mez/migration.h"
#include "mez/orchestrate.h"
#include "mez/problem.h"
#include "mez/store.h"

/* ----------------------------------------------------------------- the source zone */

/* POST /v1/corridors/{corridor_id}/migrations with body {entity_id, deadline, compliance?, hold_at?} (members
 * already limited to these): checks it, fixes the formation the destination will be asked for (the entity as the
 * register holds it: name, type, current officers, active beneficial owners; never a reference into this zone's
 * identity registry, its registered office or capital) and records the migration in INITIATED, audited. *hold is
 * the hold_at state, -1 for none. Problems: 422 at the member's pointer, 409 "corridor.not_active",
 * "migration.entity_not_active", "migration.entity_in_migration", the Mass's 422 "mass.not_found" (/entity_id),
 * 503 "corridor.unknown_peer". */
mez_status_t mez_saga_begin(const mez_corridor_env_t *env, const char *corridor_id, const json_t *body,
                            mez_migration_t *m, int *hold, mez_problem_t *pb);

/* The migration mid of corridor cid (404 "migration.not_found" for another corridor's, or none). */
mez_status_t mez_saga_open(const mez_corridor_env_t *env, const char *cid, const char *mid, mez_migration_t *m,
                           mez_problem_t *pb);

/* The hold_at member of body, or *hold -1: a live state (422 "migration.invalid_hold"). */
mez_status_t mez_saga_hold_parse(apr_pool_t *p, const json_t *body, int *hold, mez_problem_t *pb);

/* Runs the saga from where it stands until it ends, reaches hold (when advancing: after at least one step, so
 * that a migration held at a state goes on from it), or a step cannot go on now: MEZ_OK with *stalled and the
 * step's problem in pb (the saga resumes from the record). Any other status is a problem of its own: the
 * destination no longer a peer (503 "corridor.unknown_peer"), or, advancing, an ended migration (the machine's
 * 409). */
mez_status_t mez_saga_run(const mez_corridor_env_t *env, mez_migration_t *m, int hold, int advancing, int *stalled,
                          mez_problem_t *pb);

/* POST .../cancel {reason?}: releases what the migration holds and moves it to CANCELLED (the machine allows it
 * from the first four states only, and never past the deadline). reason, when given, is a non-empty string
 * (422 at /reason). */
mez_status_t mez_saga_cancel(const mez_corridor_env_t *env, mez_migration_t *m, const json_t *body,
                             mez_problem_t *pb);

/* A problem as a step's evidence and a stalled creation keep it: {status, code, detail, pointer?} (pool-owned). */
json_t *mez_saga_problem_json(apr_pool_t *p, const mez_problem_t *pb);

/* The migration as the API answers it (mez_migration_json) with its "steps" (pool-owned). */
mez_status_t mez_saga_document(const mez_corridor_env_t *env, const mez_migration_t *m, json_t **doc,
                               mez_problem_t *pb);

/* ----------------------------------------------------------------- the destination zone */

/* POST /v1/corridors/peers/migrations/evaluate {corridor_id, migration}, from peer_zone_id over a corridor already
 * checked to be ACTIVE and between the two: this zone's preview of the formation (*out: the pipeline's answer;
 * a name already on the register is 409 "entity.name_taken"). */
mez_status_t mez_saga_inbound_evaluate(const mez_corridor_env_t *env, const char *peer_zone_id, const json_t *body,
                                       mez_orch_answer_t *out, mez_problem_t *pb);

/* POST /v1/corridors/peers/migrations/complete {corridor_id, sequence} (mez_corridor_sequence_member): the
 * formation, once per receipt seq, from this zone's own verified copy of the chain (a responder pulls what the
 * sequencer holds first); a repeat answers the same formation and the entity's status now. *answer:
 * {migration_id, corridor_id, sequence, entity_id, status, formation} for a formation done; when the pipeline
 * refused, *answer is NULL and *out its answer. Problems: 409 "corridor.receipt_missing", 422
 * "migration.not_inbound", 409 "migration.compensated", "migration.deadline_passed". *formed_nothing 1 when the
 * refusal (a problem, or the pipeline's) establishes that this zone formed nothing for the receipt and never will
 * (the problem, or the pipeline's answer in *out, then says "migration_formed": false; for a problem the caller
 * adds it): the source may then reinstate its entity; every other refusal
 * (a signature, a corridor's state, an intent whose outcome is unknown) leaves it to ask again. */
mez_status_t mez_saga_inbound_complete(const mez_corridor_env_t *env, const char *peer_zone_id,
                                       const mez_corridor_t *c, uint64_t seq, mez_orch_answer_t *out,
                                       json_t **answer, int *formed_nothing, mez_problem_t *pb);

#endif
