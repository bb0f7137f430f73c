/* mez/corridor_env.h: what the protocols between two zones over a corridor (an entity's migration,
 * mez/migration_saga.h; a cross-border transfer, mez/transfer.h) need of the server that runs them.
 *
 * Their logic is libmezcore's: which step follows which, what each records, what is undone when the other zone
 * refuses. What only the server has comes in a mez_corridor_env_t: the signed HTTP call to the peer zone (its
 * URL, TLS trust and metrics are the server's), and who drives the protocol (the request's caller and id, for
 * evidence and audit rows). The exchange of receipts itself (mez/corridor_exchange.h) runs over the same
 * environment. This zone's own write pipeline (mez_orch_run) and its Mass reads
 * (mez_orch_mass_read) go through the zone's mez_orch_zone_t, as every write of the zone does. */
#ifndef MEZ_CORRIDOR_ENV_H
#define MEZ_CORRIDOR_ENV_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/orchestrate.h"
#include "mez/problem.h"
#include "mez/store.h"

struct mez_audit_event_t;

/* What a peer zone answered: status 0 when it did not answer at all. */
typedef struct mez_peer_answer_t {
    int status;
    json_t *body;             /* the parsed answer (pool-owned), NULL when it is not JSON */
    const char *text;         /* the answer as received, or NULL */
} mez_peer_answer_t;

typedef struct mez_corridor_env_t {
    apr_pool_t *p;
    mez_db_t *db;
    const mez_orch_zone_t *zone;     /* this zone: id, DID, key, packs, Mass gateway */
    const char *actor;               /* who drives the protocol (the request's caller), for evidence and the pipeline */
    const char *actor_entity;        /* an entity token's entity (it acts only on that entity), or NULL */
    const char *request_id;          /* the driving request's id, for audit rows (may be NULL) */
    const char *path;                /* the driving request's path: Idempotency-Key scope, problems' "instance" */
    apr_time_t now;                  /* the driving request's time */
    void *baton;
    /* The peer zone_id as this zone is configured to reach it, *did (may be NULL) its DID. A zone that is not a
     * configured peer is a problem (503 "corridor.unknown_peer"). It is the peer call_peer then reaches. */
    mez_status_t (*peer)(void *baton, const char *zone_id, const char **did, mez_problem_t *pb);
    /* A signed request to the selected peer: method, path, query (may be NULL) and body (a new reference, taken;
     * may be NULL). MEZ_OK for a 2xx JSON object; otherwise 503 "corridor.peer_unreachable" (no answer), 503
     * "corridor.peer_unavailable" (a 5xx) or 502 "corridor.peer_refused" (a 4xx), what the peer answered in *ans
     * (status 0 for no answer). */
    mez_status_t (*call_peer)(void *baton, const char *method, const char *path, const char *query, json_t *body,
                              mez_peer_answer_t *ans, mez_problem_t *pb);
    /* A signed GET of path at the selected peer whose answer is text, not JSON (a signed checkpoint note): MEZ_OK
     * with *status and *text for any answer; 503 "corridor.peer_unreachable" for none. */
    mez_status_t (*get_text)(void *baton, const char *path, int *status, const char **text, mez_problem_t *pb);
    /* Counts n receipts of corridor_id by outcome ("appended", "pushed", "failed") for the server's metrics. */
    void (*count)(void *baton, const char *corridor_id, const char *outcome, uint64_t n);
    /* Something the operator should know that answers no request (a halt that could not be recorded). */
    void (*warn)(void *baton, const char *message);
    /* The audit event of the driving request for action on resource_type resource_id, with detail (a new
     * reference, taken; may be NULL). */
    void (*audit)(void *baton, const char *action, const char *resource_type, const char *resource_id,
                  json_t *detail, struct mez_audit_event_t *ev);
} mez_corridor_env_t;

/* One operation of this zone's pipeline on the protocol's behalf. */
typedef struct mez_corridor_op_t {
    const char *op;              /* mez_orch_op_names */
    const char *path_id;         /* the id a route would carry in its path, or NULL */
    const json_t *body;
    const char *actor;           /* NULL: env->actor */
    const char *actor_entity;    /* an entity token's entity, or NULL */
    const char *idem_key;        /* makes the operation once per key, or NULL */
    const char *path;            /* NULL: env->path */
    apr_time_t now;              /* 0: env->now, or the clock when that is 0 too */
    int preview;
} mez_corridor_op_t;

/* Runs op through mez_orch_run in env: *ans its answer, *doc (may be NULL) the answer document (a replay's parsed
 * from its stored bytes). */
mez_status_t mez_corridor_env_run(const mez_corridor_env_t *env, const mez_corridor_op_t *op,
                                  mez_orch_answer_t *ans, json_t **doc, mez_problem_t *pb);
/* Whether op (with its idem_key) was run before, and its answer, as mez_orch_answered reads them. */
mez_status_t mez_corridor_env_answered(const mez_corridor_env_t *env, const mez_corridor_op_t *op, int *begun,
                                       int *status, const char **body, mez_problem_t *pb);

/* {"peer_problem": the peer's problem document} when it answered one (a new reference), else NULL: it travels
 * with this zone's problem, so that an operator sees both sides. */
json_t *mez_peer_problem(const mez_peer_answer_t *ans);

/* The "sequence" member of a peer's request naming a receipt: a non-negative integer (422
 * "request.invalid_field" at /sequence). */
mez_status_t mez_corridor_sequence_member(apr_pool_t *p, const json_t *body, uint64_t *seq, mez_problem_t *pb);

/* What became of something asked of the peer, under flag ("delivered", "settled"): {flag: true}, or {flag: false,
 * code, detail} from pb with "peer_problem" when the peer answered a problem document (may be NULL). A new
 * reference. */
json_t *mez_peer_outcome(const char *flag, mez_status_t st, const mez_problem_t *pb, const json_t *peer_problem);

/* A definite no from the peer (a problem document with a 4xx status), as opposed to no answer at all. */
int mez_peer_said_no(const mez_peer_answer_t *ans);

#endif
