/* mez/idempotency.h: the zone API's Idempotency-Key store, so that a retried write is answered, not redone.
 *
 * A client that did not see the answer to a POST (timeout, cut connection) sends it again with the same
 * Idempotency-Key header. The zone then answers the first answer again, byte for byte, and writes nothing;
 * the same key with a different request is refused (422 "idempotency.key_reused"); a key whose first request
 * is still being worked on is refused too (409 "idempotency.in_progress": try again shortly). Without the header
 * a request is simply executed. Keys are 1..255 visible ASCII characters (400 "idempotency.invalid_key").
 *
 * A key is scoped: zone id + the caller's principal (token id, or "anonymous") + route ("POST /v1/..."), so two
 * callers can never see, or collide with, each other's answers. "The same request" means the same digest:
 * sha256 over the method, the path and the RFC 8785 canonical body.
 *
 * Only answers of requests that committed are kept: a refused request rolls its transaction back, its intent
 * with it, and the same key may then be used again (nothing happened the first time).
 *
 * Usage, local pipeline (everything in the request's one transaction):
 *     begin tx; mez_idem_begin -> NEW: do the work, mez_idem_complete(status, body), commit, answer body
 *                              -> REPLAY: roll back, answer res.status + res.body unchanged
 *                              -> CONFLICT / IN_PROGRESS: roll back, answer mez_idem_refusal()'s problem
 * Usage, remote call (a Mass endpoint elsewhere), where no transaction can span the call:
 *     tx1: mez_idem_begin -> NEW; commit        (the intent is recorded first, durably)
 *     call the remote with an idempotency key derived from this one (so the remote too does it at most once)
 *     tx2: record the result, mez_idem_complete; commit
 * If the process dies between tx1 and tx2 the intent stays in_progress: retries get IN_PROGRESS until the
 * lease given to mez_idem_begin has passed, then exactly one of them gets RESUME, meaning "repeat the remote
 * call with the same derived key (the remote answers its first answer), then complete". */
#ifndef MEZ_IDEMPOTENCY_H
#define MEZ_IDEMPOTENCY_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_IDEM_KEY_MAX 255

typedef struct mez_idem_scope_t {
    const char *zone_id;
    const char *principal;        /* the caller: token id, DID, or "anonymous" */
    const char *route;            /* "POST /v1/credentials/issue" */
} mez_idem_scope_t;

typedef enum {
    MEZ_IDEM_NEW = 0,             /* recorded as in_progress: proceed, then mez_idem_complete */
    MEZ_IDEM_REPLAY,              /* answered before: status and body are the first answer */
    MEZ_IDEM_CONFLICT,            /* the key was used for a different request */
    MEZ_IDEM_IN_PROGRESS,         /* the first request with this key has not finished */
    MEZ_IDEM_RESUME               /* an abandoned intent (older than the lease) is now this caller's to finish */
} mez_idem_outcome_t;

typedef struct mez_idem_result_t {
    mez_idem_outcome_t outcome;
    int status;                   /* REPLAY: the stored HTTP status */
    const char *body;             /* REPLAY: the stored body, exactly as first sent */
    apr_size_t body_len;
    const char *note;             /* IN_PROGRESS, RESUME: the note the intent was begun with, or NULL */
} mez_idem_result_t;

/* 1..MEZ_IDEM_KEY_MAX characters 0x20..0x7e; otherwise 400 "idempotency.invalid_key". */
mez_status_t mez_idem_key_check(apr_pool_t *p, const char *key, mez_problem_t *pb);

/* "sha256:<hex>" over method "\n" path "\n" canonical body (body NULL: empty). */
mez_status_t mez_idem_request_digest(apr_pool_t *p, const char *method, const char *path, const json_t *body,
                                     const char **digest, mez_problem_t *pb);

/* Records the intent for key (in the caller's transaction) or says why not to proceed. lease: how long an
 * in_progress intent is trusted to be alive (0: forever, the right value when begin and complete share one
 * transaction: an uncommitted intent is invisible to everyone else). */
mez_status_t mez_idem_begin(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            const char *request_digest, apr_time_t now, apr_interval_time_t lease,
                            mez_idem_result_t *res, mez_problem_t *pb);

/* mez_idem_begin, with a note kept on the intent while it is in progress (in the record's response column,
 * which only a completion fills): what a process resuming it must know about how it was begun, e.g. which
 * scheme derived the remote call's idempotency key. A RESUME hands it back in res->note. */
mez_status_t mez_idem_begin_noted(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                                  const char *request_digest, apr_time_t now, apr_interval_time_t lease,
                                  const char *note, mez_idem_result_t *res, mez_problem_t *pb);

/* The answer recorded for key (a completed request): *status and *body (the exact bytes), *body NULL when there is
 * none (never used, or still in progress). Reads only; for a reader that must tell what a keyed write made (the
 * payment a resumed request made at Mass: mass_payment_aggregate.c). */
mez_status_t mez_idem_answer(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                             int *status, const char **body, mez_problem_t *pb);

/* Whether key was begun at all (*begun: a record in any state, an intent in progress included), and for a completed
 * one its answer as mez_idem_answer gives it (*status 0 and *body NULL otherwise). Reads only. */
mez_status_t mez_idem_begun(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            int *begun, int *status, const char **body, mez_problem_t *pb);

/* Records the answer (status, exact body bytes) of the intent begun for key. */
mez_status_t mez_idem_complete(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                               int status, const char *body, apr_time_t now, mez_problem_t *pb);

/* Forgets an in_progress intent whose work certainly did not happen (e.g. the remote refused it), so the key
 * can be used again. A completed record is kept. */
mez_status_t mez_idem_abandon(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                              mez_problem_t *pb);

/* Gives up an in_progress intent whose work may have been done but could not be finished (its remote call
 * failed without saying whether it did the work): the next mez_idem_begin with a lease takes it over at once
 * (RESUME) instead of waiting out the lease, and repeats the remote call to find out. */
mez_status_t mez_idem_hand_over(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                                mez_problem_t *pb);

/* The remote-call pattern's first step, whole: checks the key (400 "idempotency.invalid_key"), digests the request
 * (method, path, body as mez_idem_request_digest) and records the intent in a transaction of its own, committed
 * before it returns, so that the intent is durable before the caller does anything it cannot undo. Then:
 *   MEZ_OK, NEW or RESUME: go on (res->note as mez_idem_begin_noted gives it), and end with mez_idem_close;
 *   MEZ_OK, REPLAY: answer res->status and res->body, exactly as first sent, and do nothing;
 *   an error, pb filled: answer pb (a refusal of CONFLICT or IN_PROGRESS, a bad key, or the store's failure);
 *   nothing was recorded. */
mez_status_t mez_idem_open(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                           const char *method, const char *path, const json_t *body, apr_time_t now,
                           apr_interval_time_t lease, const char *note, mez_idem_result_t *res, mez_problem_t *pb);

/* How mez_idem_close ends an intent that has no answer to keep. */
#define MEZ_IDEM_FORGET     0     /* mez_idem_abandon: the work certainly did not happen */
#define MEZ_IDEM_HAND_OVER (-1)   /* mez_idem_hand_over: it may have; the next retry takes over and finds out */

/* The remote-call pattern's last step, in a transaction of its own: status > 0 records the answer (status and the
 * exact body bytes, mez_idem_complete); MEZ_IDEM_FORGET or MEZ_IDEM_HAND_OVER end it without one. On failure
 * nothing is changed and pb says why: the caller's answer stands, and a retry with the key finds the intent
 * still in progress. */
mez_status_t mez_idem_close(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            int status, const char *body, apr_time_t now, mez_problem_t *pb);

/* The problem to answer for CONFLICT (422 "idempotency.key_reused", pointer NULL: the header is at fault) or
 * IN_PROGRESS (409 "idempotency.in_progress"). Returns MEZ_EINVAL. */
mez_status_t mez_idem_refusal(apr_pool_t *p, const mez_idem_result_t *res, const char *key, mez_problem_t *pb);

#endif
