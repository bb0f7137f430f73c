/* idempotency.c: the zone API's Idempotency-Key records (mez/idempotency.h says what callers see).
 *
 * Design: intent recorded first, then the call with an idempotency key, then completion.
 *  1. mez_idem_begin inserts (scope, key, request digest, state in_progress) with INSERT ... ON CONFLICT DO
 *     NOTHING. Exactly one inserter wins the primary key; on PostgreSQL a concurrent inserter of the same key
 *     waits for the winner's transaction and then finds its row, on SQLite BEGIN IMMEDIATE has already queued
 *     it behind the winner. A statement that fails would abort a PostgreSQL transaction, hence no plain INSERT
 *     whose failure means "exists".
 *  2. The loser reads the row: another digest is a conflict; completed is a replay of the stored answer;
 *     in_progress means the winner is still at work (or died after committing its intent: see the lease).
 *  3. The winner does the work. Local work shares the transaction with the intent, so intent, effects and
 *     answer commit together or not at all, and nobody ever sees the intent alone. Remote work (a Mass
 *     elsewhere) cannot share a transaction: the intent is committed on its own first, the remote call carries
 *     a key derived from this one so the remote does the work at most once however often it is asked, and the
 *     answer is recorded afterwards (mez_idem_complete in a second transaction).
 *  4. An intent left in_progress by a process that died between its two transactions is taken over, after its
 *     lease, by exactly one retry (a conditional UPDATE on the time it last changed), which repeats the remote
 *     call with the same derived key and completes it. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/vc.h"

#define PK_WHERE "zone_id = %s AND principal = %s AND route = %s AND idempotency_key = %s"

mez_status_t mez_idem_key_check(apr_pool_t *p, const char *key, mez_problem_t *pb)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > MEZ_IDEM_KEY_MAX)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "idempotency.invalid_key", NULL,
                           "the Idempotency-Key header must have 1 to %d characters, not %" APR_SIZE_T_FMT "", MEZ_IDEM_KEY_MAX,
                           (apr_size_t)n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7e)
            return mez_problem(pb, p, MEZ_EINVAL, 400, "idempotency.invalid_key", NULL,
                               "the Idempotency-Key header may hold only visible ASCII characters and spaces "
                               "(byte %" APR_SIZE_T_FMT " is 0x%02x)", (apr_size_t)i, (unsigned)(unsigned char)key[i]);
    return MEZ_OK;
}

mez_status_t mez_idem_request_digest(apr_pool_t *p, const char *method, const char *path, const json_t *body,
                                     const char **digest, mez_problem_t *pb)
{
    const char *canon = "";
    mez_digest_t d;
    mez_status_t rv;
    if (body && (rv = mez_json_canonicalize(p, body, &canon, NULL, pb)) != MEZ_OK)
        return rv;
    canon = apr_pstrcat(p, method, "\n", path, "\n", canon, NULL);
    mez_digest_sha256(canon, strlen(canon), &d);
    *digest = mez_digest_format(p, &d);
    return MEZ_OK;
}

/* Reads the existing record and decides; *gone set when there is none (its owner rolled back meanwhile). */
static mez_status_t judge_existing(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *s, const char *key,
                                   const char *digest, apr_time_t now, apr_interval_time_t lease,
                                   mez_idem_result_t *res, int *gone, mez_problem_t *pb)
{
    const char *c[5];
    int found = 0, n = 0;
    mez_status_t rv;

    *gone = 0;
    if ((rv = mez_db_query_row(p, db, c, 5, &found,
                               "SELECT request_digest, state, status, response, updated_at FROM mez_idempotency "
                               "WHERE " PK_WHERE, pb, s->zone_id, s->principal, s->route, key, NULL)) != MEZ_OK)
        return rv;
    if (!found) {
        *gone = 1;
        return MEZ_OK;
    }
    if (!c[0] || strcmp(c[0], digest)) {
        res->outcome = MEZ_IDEM_CONFLICT;
        return MEZ_OK;
    }
    if (c[1] && !strcmp(c[1], "completed")) {
        res->outcome = MEZ_IDEM_REPLAY;
        res->status = c[2] ? atoi(c[2]) : 0;
        res->body = c[3] ? c[3] : "";
        res->body_len = strlen(res->body);
        return MEZ_OK;
    }
    res->outcome = MEZ_IDEM_IN_PROGRESS;
    res->note = c[3];
    /* Times are second stamps that order as strings: an intent last touched at or before now - lease is
     * abandoned. Taking it over changes updated_at, so of several retries only the first UPDATE matches. */
    if (lease > 0 && c[4] && strcmp(c[4], mez_time_stamp(p, now - lease)) <= 0) {
        if ((rv = mez_db_execv(p, db, &n,
                               "UPDATE mez_idempotency SET updated_at = %s WHERE " PK_WHERE
                               " AND state = 'in_progress' AND updated_at = %s",
                               pb, mez_time_stamp(p, now), s->zone_id, s->principal, s->route, key, c[4], NULL)) != MEZ_OK)
            return rv;
        if (n == 1)
            res->outcome = MEZ_IDEM_RESUME;
    }
    return MEZ_OK;
}

mez_status_t mez_idem_begun(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            int *begun, int *status, const char **body, mez_problem_t *pb)
{
    const char *c[3];
    int found = 0;
    mez_status_t rv = mez_db_query_row(p, db, c, 3, &found,
                                       "SELECT state, status, response FROM mez_idempotency WHERE " PK_WHERE, pb,
                                       scope->zone_id, scope->principal, scope->route, key, NULL);
    int completed = found && c[0] && !strcmp(c[0], "completed");
    *begun = found;
    *status = completed && c[1] ? atoi(c[1]) : 0;
    *body = completed ? c[2] : NULL;
    return rv;
}

mez_status_t mez_idem_answer(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                             int *status, const char **body, mez_problem_t *pb)
{
    int begun;
    return mez_idem_begun(p, db, scope, key, &begun, status, body, pb);
}

mez_status_t mez_idem_begin(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            const char *request_digest, apr_time_t now, apr_interval_time_t lease,
                            mez_idem_result_t *res, mez_problem_t *pb)
{
    return mez_idem_begin_noted(p, db, scope, key, request_digest, now, lease, NULL, res, pb);
}

mez_status_t mez_idem_begin_noted(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                                  const char *request_digest, apr_time_t now, apr_interval_time_t lease,
                                  const char *note, mez_idem_result_t *res, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now);
    mez_status_t rv;

    memset(res, 0, sizeof(*res));
    if (!scope->zone_id || !scope->principal || !scope->route || !request_digest)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "idempotency.invalid_scope", NULL,
                           "an idempotency scope needs a zone, a principal and a route");
    if ((rv = mez_idem_key_check(p, key, pb)) != MEZ_OK)
        return rv;
    /* Twice at most: a record that vanished between our INSERT and SELECT belonged to a transaction that rolled
     * back, and the key is free again. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int n = 0, gone = 0;
        if ((rv = mez_db_execv(p, db, &n,
                               "INSERT INTO mez_idempotency (zone_id, principal, route, idempotency_key, "
                               "request_digest, state, status, response, created_at, updated_at) "
                               "VALUES (%s, %s, %s, %s, %s, 'in_progress', %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                               pb, scope->zone_id, scope->principal, scope->route, key, request_digest, MEZ_DB_NULL,
                               note ? note : MEZ_DB_NULL, at, at, NULL)) != MEZ_OK)
            return rv;
        if (n == 1) {
            res->outcome = MEZ_IDEM_NEW;
            return MEZ_OK;
        }
        if ((rv = judge_existing(p, db, scope, key, request_digest, now, lease, res, &gone, pb)) != MEZ_OK)
            return rv;
        if (!gone)
            return MEZ_OK;
    }
    res->outcome = MEZ_IDEM_IN_PROGRESS;
    return MEZ_OK;
}

mez_status_t mez_idem_complete(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                               int status, const char *body, apr_time_t now, mez_problem_t *pb)
{
    int n = 0;
    mez_status_t rv = mez_db_execv(p, db, &n,
                                   "UPDATE mez_idempotency SET state = 'completed', status = %s, response = %s, "
                                   "updated_at = %s WHERE " PK_WHERE " AND state = 'in_progress'",
                                   pb, apr_itoa(p, status), body ? body : "", mez_time_stamp(p, now), scope->zone_id,
                                   scope->principal, scope->route, key, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (n != 1)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "idempotency.no_intent", NULL,
                           "no in-progress intent for Idempotency-Key '%s' to complete", key);
    return MEZ_OK;
}

mez_status_t mez_idem_abandon(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                              mez_problem_t *pb)
{
    return mez_db_execv(p, db, NULL, "DELETE FROM mez_idempotency WHERE " PK_WHERE " AND state = 'in_progress'", pb,
                        scope->zone_id, scope->principal, scope->route, key, NULL);
}

mez_status_t mez_idem_hand_over(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                                mez_problem_t *pb)
{
    /* The earliest stamp there is: whatever the lease, the intent is older than it. */
    return mez_db_execv(p, db, NULL, "UPDATE mez_idempotency SET updated_at = %s WHERE " PK_WHERE
                        " AND state = 'in_progress'", pb, mez_time_stamp(p, 0), scope->zone_id, scope->principal,
                        scope->route, key, NULL);
}

mez_status_t mez_idem_open(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                           const char *method, const char *path, const json_t *body, apr_time_t now,
                           apr_interval_time_t lease, const char *note, mez_idem_result_t *res, mez_problem_t *pb)
{
    const char *digest;
    mez_db_tx_t *tx;
    mez_status_t rv;

    memset(res, 0, sizeof(*res));
    if ((rv = mez_idem_key_check(p, key, pb)) != MEZ_OK
        || (rv = mez_idem_request_digest(p, method, path, body, &digest, pb)) != MEZ_OK
        || (rv = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    rv = mez_idem_begin_noted(p, db, scope, key, digest, now, lease, note, res, pb);
    if (rv == MEZ_OK && (res->outcome == MEZ_IDEM_CONFLICT || res->outcome == MEZ_IDEM_IN_PROGRESS))
        rv = mez_idem_refusal(p, res, key, pb);
    /* Only a new or resumed intent has anything to keep; a replay or a refusal rolls back what it read. */
    if (rv == MEZ_OK && (res->outcome == MEZ_IDEM_NEW || res->outcome == MEZ_IDEM_RESUME))
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return rv;
}

mez_status_t mez_idem_close(apr_pool_t *p, mez_db_t *db, const mez_idem_scope_t *scope, const char *key,
                            int status, const char *body, apr_time_t now, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t rv;

    if ((rv = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    rv = status > 0 ? mez_idem_complete(p, db, scope, key, status, body, now, pb)
         : status == MEZ_IDEM_HAND_OVER ? mez_idem_hand_over(p, db, scope, key, pb)
                                        : mez_idem_abandon(p, db, scope, key, pb);
    if (rv == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return rv;
}

mez_status_t mez_idem_refusal(apr_pool_t *p, const mez_idem_result_t *res, const char *key, mez_problem_t *pb)
{
    if (res->outcome == MEZ_IDEM_CONFLICT)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "idempotency.key_reused", NULL,
                           "the Idempotency-Key '%s' was already used for a different request; use a new key for "
                           "a new request", key);
    return mez_problem(pb, p, MEZ_EINVAL, 409, "idempotency.in_progress", NULL,
                       "the request first sent with Idempotency-Key '%s' is still being processed; retry shortly",
                       key);
}
