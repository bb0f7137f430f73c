/* migration_saga_int.h: what the two sides of the migration saga (migration_saga.c, the source;
 * migration_inbound.c, the destination) share inside libmezcore. */
#ifndef MEZ_MIGRATION_SAGA_INT_H
#define MEZ_MIGRATION_SAGA_INT_H

#include "mez/migration_saga.h"

/* One operation of this zone's pipeline on the saga's behalf. */
typedef struct mez_saga_op_t {
    const char *op, *path_id, *actor, *idem_key, *path;
    const json_t *body;
    int preview;
} mez_saga_op_t;

/* Runs c through mez_orch_run in env's transaction context: *doc is the answer document (a replay's parsed from
 * its stored bytes). */
mez_status_t mez_saga_pipeline(const mez_saga_env_t *env, const mez_saga_op_t *c, mez_orch_answer_t *ans,
                               json_t **doc, mez_problem_t *pb);

/* o's member k as a string, or NULL. */
const char *mez_saga_str(const json_t *o, const char *k);

/* v handed to env's pool (decref'd when it is cleared), returned. */
json_t *mez_saga_own(const mez_saga_env_t *env, json_t *v);

#endif
