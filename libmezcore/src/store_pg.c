/* store_pg.c: PostgreSQL statements prepared once per connection, not planned again on every call.
 *
 * apr_dbd's pgsql driver offers two ways to run a statement with parameters, and neither suits mez: without a
 * label it sends PQexecParams, so the server parses, analyses and plans the text every time (on a formation,
 * planning alone was 45 % of the statements' server time: bench/zone-api PG_STATEMENTS=1); with a label it
 * PREPAREs the text with every %s parameter declared varchar, and PostgreSQL then refuses the comparisons mez
 * makes against integer columns (bigint = character varying). So on PostgreSQL, store_db.c runs its statements
 * here: the connection's libpq handle (apr_dbd_native_handle) prepares each distinct SQL text once with PQprepare
 * and no declared types, so the server infers them exactly as it does for PQexecParams, and later calls send
 * only PQexecPrepared with the arguments. Behaviour is otherwise unchanged: the same SQL, the same text
 * arguments and NULLs, the same error text.
 *
 * Which texts a connection has prepared is remembered in the pool that lives exactly as long as the connection
 * (mez_db_t.session_pool: mod_dbd's ap_dbd_t pool, or the CLI's), so nothing is shared between threads: mod_dbd
 * hands a connection to one request at a time. A connection libpq re-established (mod_dbd's check, PQreset) is a
 * new server session without those statements: the backend's process id tells, and the memory starts over.
 *
 * Inside a transaction, a write whose outcome the caller does not read (mez_db_send) is not waited for: the
 * connection enters libpq's pipeline mode and the statement goes out with the next one that answers something (or
 * with the COMMIT), and queries that do not depend on each other's answers (mez_db_query_all) go out together. A
 * formation's twelve statements waited for the server eleven times and now wait once (its COMMIT), a sovereign
 * payment's fifteen waits are five (t/test_pg_pipeline.py counts them on the wire). BEGIN is sent the same way.
 * libpq keeps what a pipeline queues until the sync; mez_db_flush hands it over earlier, so that the server
 * works on an action's writes while httpd signs its credentials. Every
 * result is still read and checked, in order, when the pipeline is synced: the first error, whichever statement
 * met it, is what the statement that synced reports, and the server has by then skipped the rest and left the
 * transaction failed, so nothing that followed it is committed. The pipeline holds only what one request sent
 * since its last answer (a few kilobytes: far below what would fill the socket in either direction, the case
 * libpq's documentation warns about for blocking connections), and it is always synced and left before the
 * connection is used any other way: by apr_dbd (mez_pg_settle), at COMMIT or at ROLLBACK.
 *
 * Every wait for the server is bounded by mez_db_t.timeout_ms (MezDBTimeout in httpd): a PostgreSQL that stops
 * answering (a stalled host, a lock held for ever, a network that drops packets without a reset) would otherwise
 * hold each httpd thread that asks it something until every thread is held and the zone answers nobody. libpq's
 * blocking calls have no bound of their own, so results are read only once poll() says the socket has them
 * (pg_next); what a request sends is a few kilobytes, which the socket's buffer takes without waiting. A round
 * trip that outlasts the bound abandons the connection (pg_abandon): its socket is shut down under libpq, which
 * then reports it broken, mod_dbd re-establishes it before handing it out again (bounded by libpq's
 * connect_timeout, which mez deploy writes into DBDParams), and the server, meeting the end of the connection,
 * rolls back what the transaction had done. Unless the COMMIT had already been sent: the server may then commit it
 * whatever happens to the connection, so the problem says the outcome is unknown and that the same request with
 * the same Idempotency-Key tells (the key's record commits with the action). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libpq-fe.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "store_int.h"

/* Distinct texts remembered per connection. mez's statements are a few hundred fixed texts; the few that embed a
 * LIMIT or OFFSET in their text would otherwise grow the set (and the server's memory) without end. Beyond it a
 * text runs unprepared, as it did before. */
#define MEZ_PG_MAX_PREPARED 512

/* A statement this session has prepared: its server-side name and the SQL text as mez wrote it, both kept with
 * the session, so a result read later (from the pipeline) can still name the statement it belongs to. */
typedef struct {
    const char *name;
    const char *sql;
} pg_stmt_t;

/* A result the pipeline still owes, in the order the server sends them: a PREPARE, a statement whose outcome
 * nobody reads (BEGIN, mez_db_send), or the one statement whose answer the syncing caller is waiting for. */
typedef enum { PG_OWED_PREPARE, PG_OWED_SENT, PG_OWED_ANSWER } pg_owed_kind_t;

typedef struct {
    pg_owed_kind_t kind;
    const char *sql;   /* for the message and to forget a failed statement: the session's copy, a literal or NULL */
    const mez_db_conflict_t *conflict;   /* mez_db_send_insert: what its unique violation means (request pool) */
} pg_owed_t;

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *names;       /* SQL text as mez wrote it -> pg_stmt_t */
    int backend_pid;         /* the server session they were prepared in */
    unsigned next;
    int in_tx;               /* mez_pg_begin sent BEGIN and no COMMIT or ROLLBACK has followed */
    int lost_tx;             /* that transaction's session was replaced (PQreset after a broken pipeline) or
                              * abandoned (a round trip outlasted the bound) */
    int timeout_ms;          /* the bound on one round trip of the caller now using the connection; 0: none */
    apr_array_header_t *owed; /* pg_owed_t, oldest first; not empty exactly while the connection is in pipeline mode */
} pg_session_t;

/* The session's state hangs on the connection's pool under a key naming the connection itself: a pool holding two
 * connections (the CLI's deploy opens the server's admin database, then the zone's, in one pool) keeps two. */
static pg_session_t *pg_session(mez_db_t *db, PGconn *conn)
{
    void *v = NULL;
    pg_session_t *s;
    char key[48];
    snprintf(key, sizeof(key), "mez:pg-session:%p", (void *)conn);
    apr_pool_userdata_get(&v, key, db->session_pool);
    s = v;
    if (!s) {
        s = apr_pcalloc(db->session_pool, sizeof(*s));
        s->pool = db->session_pool;
        s->names = apr_hash_make(s->pool);
        s->owed = apr_array_make(s->pool, 16, sizeof(pg_owed_t));
        apr_pool_userdata_set(s, key, NULL, db->session_pool);
    }
    if (s->backend_pid != PQbackendPID(conn)) {
        /* A new session (or the first): whatever was prepared before is gone with the old one, and so is any
         * transaction or pipeline. The names keep counting up, so a forgotten one is never reused. */
        apr_hash_clear(s->names);
        apr_array_clear(s->owed);
        if (s->in_tx)
            s->lost_tx = 1;
        s->in_tx = 0;
        s->backend_pid = PQbackendPID(conn);
    }
    s->timeout_ms = db->timeout_ms;   /* whoever uses the connection now says how long it may wait */
    return s;
}

/* When the round trip starting now must have been answered; 0 when it may take as long as it takes. */
static apr_time_t pg_deadline(const pg_session_t *s)
{
    return s->timeout_ms > 0 ? apr_time_now() + apr_time_from_msec(s->timeout_ms) : 0;
}

/* The next result, as PQgetResult gives it, read only once the socket has it: NULL with *timed_out set when the
 * deadline passed first. A socket error or end is left for libpq to meet and report (PQgetResult then answers a
 * failed result or NULL at once). */
static PGresult *pg_next(PGconn *conn, apr_time_t deadline, int *timed_out)
{
    *timed_out = 0;
    while (PQisBusy(conn)) {
        struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN, .revents = 0 };
        int ms = -1, rc;
        if (pfd.fd < 0)
            break;
        if (deadline) {
            apr_interval_time_t left = deadline - apr_time_now();
            if (left <= 0) {
                *timed_out = 1;
                return NULL;
            }
            ms = (int)apr_time_as_msec(left + 999);   /* rounded up: never a busy loop of 0 ms polls */
        }
        rc = poll(&pfd, 1, ms);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0 && !PQconsumeInput(conn))
            break;
    }
    return PQgetResult(conn);
}

/* The last result of a statement sent outside pipeline mode (what PQexec* would have answered), or NULL with
 * *timed_out set. */
static PGresult *pg_last(PGconn *conn, apr_time_t deadline, int *timed_out)
{
    PGresult *last = NULL, *res;
    while ((res = pg_next(conn, deadline, timed_out)) != NULL) {
        /* PQexec keeps an error over what follows it; so does this. */
        if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
            PQclear(res);
            continue;
        }
        PQclear(last);
        last = res;
    }
    if (*timed_out) {
        PQclear(last);
        return NULL;
    }
    return last;
}

/* A round trip outlasted the bound: the connection is given up. Its socket is shut down under libpq, which reads
 * the end and calls the connection broken (PQstatus CONNECTION_BAD), so nobody sends on it again before it is
 * re-established (mod_dbd's check, or mez_pg_begin for a caller holding it). The server meets the end when it
 * next reads or writes, and rolls back an open transaction unless a COMMIT was already in what it had received.
 * The statements still owed are dropped, and the transaction, if one is open, is lost: its later statements and
 * its COMMIT are refused (lost_tx) until the caller ends it. */
static mez_status_t pg_abandon(apr_pool_t *p, const mez_db_t *db, pg_session_t *s, PGconn *conn, int commit_sent,
                               mez_problem_t *pb)
{
    int fd = PQsocket(conn);
    if (fd >= 0)
        (void)shutdown(fd, SHUT_RDWR);
    (void)PQconsumeInput(conn);
    apr_array_clear(s->owed);
    if (s->in_tx)
        s->lost_tx = 1;
    if (commit_sent)
        return mez_problem(pb, p, MEZ_EIO, 503, "db.timeout", NULL,
                           "%s did not answer within %d ms (MezDBTimeout), after this transaction's COMMIT was "
                           "sent: whether it took effect is unknown. The connection was closed. Repeating the "
                           "request with the same Idempotency-Key answers what was done, or does it once",
                           db->driver_name, s->timeout_ms);
    return mez_problem(pb, p, MEZ_EIO, 503, "db.timeout", NULL,
                       "%s did not answer within %d ms (MezDBTimeout); the connection was closed%s",
                       db->driver_name, s->timeout_ms,
                       s->in_tx ? ", which rolls its transaction back: nothing of it was committed" : "");
}

/* The connection's libpq handle when statements can run here (PostgreSQL, with a session pool), else NULL. */
static PGconn *pg_conn(mez_db_t *db)
{
    if (!db->session_pool || strcmp(db->driver_name, "pgsql"))
        return NULL;
    return apr_dbd_native_handle(db->driver, db->handle);
}

char *mez_pg_placeholders(apr_pool_t *p, const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = apr_palloc(p, len * 2 + 16), *w = out;
    int n = 0;
    for (const char *c = sql; *c; c++) {
        if (*c != '%') {
            *w++ = *c;
            continue;
        }
        if (c[1] == '%') {
            *w++ = '%';
            c++;
        }
        else if (c[1] == 's') {
            w += sprintf(w, "$%d", ++n);
            c++;
        }
        else if ((c[1] >= 'a' && c[1] <= 'z') || (c[1] >= 'A' && c[1] <= 'Z'))
            return NULL;
        else
            *w++ = *c;
    }
    *w = '\0';
    *nparams = n;
    return out;
}

static mez_status_t pg_fail(apr_pool_t *p, const mez_db_t *db, const PGresult *res, PGconn *conn, const char *what,
                            mez_problem_t *pb)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL, "%s failed on %s: %s", what, db->driver_name,
                       msg && *msg ? msg : "unknown error");
}

/* A failed result's SQLSTATE, "" when it has none. */
static const char *pg_sqlstate(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state ? state : "";
}

/* A prepared statement the server no longer has (26000) or whose result columns a migration changed since it was
 * prepared (0A000, "cached plan must not change result type"): preparing again mends either. */
static int pg_stale(const PGresult *res)
{
    const char *state = pg_sqlstate(res);
    return !strcmp(state, "26000") || !strcmp(state, "0A000");
}

static void forget(pg_session_t *s, const char *sql)
{
    if (sql)
        apr_hash_set(s->names, sql, APR_HASH_KEY_STRING, NULL);
}

/* This session's prepared statement for sql, or NULL when it has none and may not prepare more. *fresh is 1 when
 * the statement is new: the caller prepares it before using it, and forgets it if that fails. */
static pg_stmt_t *pg_stmt(pg_session_t *s, const char *sql, int *fresh)
{
    pg_stmt_t *stmt = apr_hash_get(s->names, sql, APR_HASH_KEY_STRING);
    *fresh = 0;
    if (stmt || apr_hash_count(s->names) >= MEZ_PG_MAX_PREPARED)
        return stmt;
    stmt = apr_palloc(s->pool, sizeof(*stmt));
    stmt->name = apr_psprintf(s->pool, "mez_%u", s->next++);
    stmt->sql = apr_pstrdup(s->pool, sql);
    apr_hash_set(s->names, stmt->sql, APR_HASH_KEY_STRING, stmt);
    *fresh = 1;
    return stmt;
}

/* Runs sql (whose libpq form is text) as this session's prepared statement, preparing it first if need be, each
 * step a round trip within the session's bound. *failed_step names the step a failing result comes from; NULL with
 * *timed_out set when a step outlasted the bound, and NULL alone when libpq could not send (PQerrorMessage). */
static PGresult *pg_execute(pg_session_t *s, PGconn *conn, const char *sql, const char *text, int n,
                            const char *const *args, const char **failed_step, int *timed_out)
{
    int fresh;
    pg_stmt_t *stmt = pg_stmt(s, sql, &fresh);
    PGresult *res;
    *failed_step = "statement";
    *timed_out = 0;
    if (!stmt)
        return PQsendQueryParams(conn, text, n, NULL, args, NULL, NULL, 0) ? pg_last(conn, pg_deadline(s), timed_out)
                                                                           : NULL;
    if (fresh) {
        res = PQsendPrepare(conn, stmt->name, text, n, NULL) ? pg_last(conn, pg_deadline(s), timed_out) : NULL;
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            *failed_step = "prepare";
            forget(s, sql);
            return res;
        }
        PQclear(res);
    }
    return PQsendQueryPrepared(conn, stmt->name, n, args, NULL, NULL, 0) ? pg_last(conn, pg_deadline(s), timed_out)
                                                                         : NULL;
}

static void owe(pg_session_t *s, pg_owed_kind_t kind, const char *sql)
{
    pg_owed_t *o = apr_array_push(s->owed);
    o->kind = kind;
    o->sql = sql;
    o->conflict = NULL;
}

/* Queues sql on the pipeline (preparing it first when new), owing a result of the given kind. 0 when libpq
 * refused to queue it (a broken connection: PQerrorMessage says why); what was queued before stays owed. */
static int pg_queue(pg_session_t *s, PGconn *conn, const char *sql, const char *text, int n,
                    const char *const *args, pg_owed_kind_t kind)
{
    int fresh;
    pg_stmt_t *stmt;
    if (!s->owed->nelts && !PQenterPipelineMode(conn))
        return 0;
    if (!(stmt = pg_stmt(s, sql, &fresh))) {
        if (!PQsendQueryParams(conn, text, n, NULL, args, NULL, NULL, 0))
            return 0;
        owe(s, kind, NULL);
        return 1;
    }
    if (fresh) {
        if (!PQsendPrepare(conn, stmt->name, text, n, NULL)) {
            forget(s, sql);
            return 0;
        }
        owe(s, PG_OWED_PREPARE, stmt->sql);
    }
    if (!PQsendQueryPrepared(conn, stmt->name, n, args, NULL, NULL, 0))
        return 0;
    owe(s, kind, stmt->sql);
    return 1;
}

/* Syncs the pipeline and reads every result it owes, in order, then leaves pipeline mode. The first error is the
 * answer, whichever statement met it (the server skipped everything after it up to the sync, and the transaction
 * is failed); otherwise answers[k] (k < nanswers) is the result of the k-th statement owed as PG_OWED_ANSWER, for
 * the caller to clear. */
static mez_status_t pg_sync(apr_pool_t *p, const mez_db_t *db, pg_session_t *s, PGconn *conn, PGresult **answers,
                            int nanswers, mez_problem_t *pb)
{
    const char *msg = NULL, *what = NULL;
    const mez_db_conflict_t *conflict = NULL;
    PGresult *res;
    int i, k = 0, timed_out = 0, commit_sent = 0;
    apr_time_t deadline;

    for (int j = 0; j < nanswers; j++)
        answers[j] = NULL;
    for (i = 0; i < s->owed->nelts; i++)
        if (APR_ARRAY_IDX(s->owed, i, pg_owed_t).sql && !strcmp(APR_ARRAY_IDX(s->owed, i, pg_owed_t).sql, "COMMIT"))
            commit_sent = 1;
    if (!PQpipelineSync(conn))
        msg = apr_pstrdup(p, PQerrorMessage(conn)), what = "sync";
    deadline = pg_deadline(s);   /* the whole pipeline's answer is one round trip */
    for (i = 0; !what && i < s->owed->nelts; i++) {
        const pg_owed_t *o = &APR_ARRAY_IDX(s->owed, i, pg_owed_t);
        ExecStatusType status;
        if (!(res = pg_next(conn, deadline, &timed_out))) {
            if (timed_out)
                break;
            /* Each queued statement answers with at least one result; none means the connection is gone. */
            msg = apr_pstrdup(p, PQerrorMessage(conn));
            what = "statement";
            break;
        }
        status = PQresultStatus(res);
        if (status == PGRES_FATAL_ERROR && !msg) {
            msg = apr_pstrdup(p, PQresultErrorMessage(res));
            what = o->kind == PG_OWED_PREPARE ? "prepare"
                   : o->sql && !strcmp(o->sql, "COMMIT") ? "COMMIT"
                   : o->kind == PG_OWED_ANSWER || !o->sql ? "statement"
                   : apr_psprintf(p, "an earlier statement of this transaction (%.60s)", o->sql);
            if (pg_stale(res))   /* the server no longer has it: the next transaction prepares it again */
                forget(s, o->sql);
            /* An INSERT sent with what its unique index refusing it means (mez_db_send_insert): that, then. */
            if (o->conflict && !strcmp(pg_sqlstate(res), "23505"))
                conflict = o->conflict;
        }
        /* A PREPARE that failed, or that the server skipped after an earlier error, left no statement. */
        if (o->kind == PG_OWED_PREPARE && status != PGRES_COMMAND_OK)
            forget(s, o->sql);
        if (o->kind == PG_OWED_ANSWER && k < nanswers) {
            if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
                answers[k] = res;
                res = NULL;
            }
            k++;
        }
        PQclear(res);
        while ((res = pg_next(conn, deadline, &timed_out)) != NULL)   /* the NULL that ends its results */
            PQclear(res);
        if (timed_out)
            break;
    }
    if (!timed_out && i == s->owed->nelts && (res = pg_next(conn, deadline, &timed_out)) != NULL) {
        if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && !msg)
            msg = apr_pstrdup(p, PQresultErrorMessage(res)), what = "sync";
        PQclear(res);
    }
    if (timed_out) {
        for (int j = 0; j < nanswers; j++) {
            PQclear(answers[j]);
            answers[j] = NULL;
        }
        return pg_abandon(p, db, s, conn, commit_sent, pb);
    }
    apr_array_clear(s->owed);
    if (!PQexitPipelineMode(conn)) {
        /* Results are owed that will never come (the connection broke part way, or the sync could not be sent):
         * libpq cannot leave pipeline mode then, and in it the connection is of no use to apr_dbd or anyone. A
         * new session mends it, as mod_dbd's own check does for a connection that says it is broken; whatever
         * the transaction had done was lost with the old one, and the error below says so. Until the caller
         * ends that transaction, its statements are refused (lost_tx), not run on the new session. */
        if (!msg)
            msg = apr_pstrdup(p, PQerrorMessage(conn)), what = "pipeline";
        PQreset(conn);
    }
    if (!msg)
        return MEZ_OK;
    for (int j = 0; j < nanswers; j++) {
        PQclear(answers[j]);
        answers[j] = NULL;
    }
    if (conflict)
        return mez_problem(pb, p, MEZ_EINVAL, conflict->status, conflict->code, conflict->pointer, "%s",
                           conflict->detail);
    return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL, "%s failed on %s: %s", what, db->driver_name,
                       *msg ? msg : "unknown error");
}

/* A result's rows and changed-row count, copied into p (mez_pg_run says how). */
static void pg_take(apr_pool_t *p, PGresult *res, int ncols, int max_rows, apr_array_header_t **rows, int *affected)
{
    int ntuples, nfields;
    if (affected)
        *affected = atoi(PQcmdTuples(res));
    if (!rows)
        return;
    ntuples = PQntuples(res);
    nfields = PQnfields(res);
    *rows = apr_array_make(p, ntuples > 0 ? ntuples : 1, sizeof(const char **));
    for (int r = 0; r < ntuples && (max_rows <= 0 || r < max_rows); r++) {
        const char **cols = apr_pcalloc(p, sizeof(const char *) * (size_t)(ncols > 0 ? ncols : 1));
        for (int i = 0; i < ncols && i < nfields; i++)
            if (!PQgetisnull(res, r, i))
                cols[i] = apr_pstrmemdup(p, PQgetvalue(res, r, i), (apr_size_t)PQgetlength(res, r, i));
        APR_ARRAY_PUSH(*rows, const char **) = cols;
    }
}

static mez_status_t queue_failed(apr_pool_t *p, const mez_db_t *db, pg_session_t *s, PGconn *conn,
                                 mez_problem_t *pb)
{
    const char *msg = apr_pstrdup(p, PQerrorMessage(conn));
    if (s->owed->nelts)
        pg_sync(p, db, s, conn, NULL, 0, NULL);
    else if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(conn);
    return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL, "statement failed on %s: %s", db->driver_name,
                       *msg ? msg : "unknown error");
}

/* A statement or COMMIT of a transaction whose session is gone: refused until the transaction is ended, so that
 * nothing a caller sends after the error runs on the new session outside it (and no COMMIT there "succeeds"). */
static mez_status_t lost(apr_pool_t *p, const mez_db_t *db, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL,
                       "the connection to %s broke during this transaction, and nothing of it was kept",
                       db->driver_name);
}

/* Where every statement entry point starts: the connection and its session, or NULL with *st MEZ_OK where
 * store_pg.c does not run this connection (*handled 0: the caller uses apr_dbd), or NULL with *st the problem
 * (*handled 1) when the session's transaction was lost. */
static pg_session_t *enter(apr_pool_t *p, mez_db_t *db, PGconn **conn, int *handled, mez_status_t *st,
                           mez_problem_t *pb)
{
    pg_session_t *s;
    *handled = 0;
    *st = MEZ_OK;
    if (!(*conn = pg_conn(db)))
        return NULL;
    s = pg_session(db, *conn);
    if (s->lost_tx) {
        *handled = 1;
        *st = lost(p, db, pb);
        return NULL;
    }
    return s;
}

mez_status_t mez_pg_settle(apr_pool_t *p, mez_db_t *db, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    mez_status_t st;
    int handled;
    if (!(s = enter(p, db, &conn, &handled, &st, pb)))
        return st;
    return s->owed->nelts ? pg_sync(p, db, s, conn, NULL, 0, pb) : MEZ_OK;
}

/* libpq keeps what a pipeline queues in its output buffer until a sync (or 64 KiB), so the server would start on an
 * action's writes only when the action commits. Sent now, they run on the server while the caller works. A flush
 * that fails (a broken connection) is left for the sync, which reads the error. */
void mez_pg_flush(mez_db_t *db)
{
    PGconn *conn = pg_conn(db);
    pg_session_t *s;
    if (!conn)
        return;
    s = pg_session(db, conn);
    if (s->owed->nelts && !s->lost_tx)
        (void)PQflush(conn);
}

mez_status_t mez_pg_run(apr_pool_t *p, mez_db_t *db, const char *sql, const char *const *args, int n, int ncols,
                        int max_rows, apr_array_header_t **rows, int *affected, int *handled, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    PGresult *res;
    ExecStatusType status;
    const char *text, *step;
    int nparams = 0, timed_out;
    mez_status_t st;

    if (!(s = enter(p, db, &conn, handled, &st, pb)))
        return st;
    if (!(text = mez_pg_placeholders(p, sql, &nparams)) || nparams != n)
        /* apr_dbd runs it: whatever the pipeline holds goes first. */
        return s->owed->nelts ? pg_sync(p, db, s, conn, NULL, 0, pb) : MEZ_OK;
    *handled = 1;
    if (s->owed->nelts) {
        /* Statements sent earlier are waiting: this one joins them, and one round trip answers all. */
        if (!pg_queue(s, conn, sql, text, n, args, PG_OWED_ANSWER))
            return queue_failed(p, db, s, conn, pb);
        if ((st = pg_sync(p, db, s, conn, &res, 1, pb)) != MEZ_OK)
            return st;
        pg_take(p, res, ncols, max_rows, rows, affected);
        PQclear(res);
        return MEZ_OK;
    }
    res = pg_execute(s, conn, sql, text, n, args, &step, &timed_out);
    status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && res && pg_stale(res)) {
        /* Forget it either way; outside a transaction nothing was lost, so prepare it again and run it now.
         * Inside one the transaction is already aborted: the caller's error stands, and its retry prepares. */
        forget(s, sql);
        if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
            PQclear(res);
            res = pg_execute(s, conn, sql, text, n, args, &step, &timed_out);
            status = PQresultStatus(res);
        }
    }
    if (timed_out)
        return pg_abandon(p, db, s, conn, 0, pb);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        st = pg_fail(p, db, res, conn, step, pb);
        PQclear(res);
        return st;
    }
    pg_take(p, res, ncols, max_rows, rows, affected);
    PQclear(res);
    return MEZ_OK;
}

mez_status_t mez_pg_run_all(apr_pool_t *p, mez_db_t *db, mez_db_query_t *q, int n, int *handled,
                            mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    PGresult **res;
    const char **texts;
    mez_status_t st;
    int nparams;

    if (!(s = enter(p, db, &conn, handled, &st, pb)) || !s->in_tx)
        return st;
    texts = apr_palloc(p, sizeof(*texts) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        if (!(texts[i] = mez_pg_placeholders(p, q[i].sql, &nparams)) || nparams != q[i].nargs)
            return MEZ_OK;
    *handled = 1;
    for (int i = 0; i < n; i++)
        if (!pg_queue(s, conn, q[i].sql, texts[i], q[i].nargs, q[i].args, PG_OWED_ANSWER))
            return queue_failed(p, db, s, conn, pb);
    res = apr_pcalloc(p, sizeof(*res) * (size_t)(n > 0 ? n : 1));
    if ((st = pg_sync(p, db, s, conn, res, n, pb)) != MEZ_OK)
        return st;
    for (int i = 0; i < n; i++) {
        pg_take(p, res[i], q[i].ncols, 0, &q[i].rows, NULL);
        PQclear(res[i]);
    }
    return MEZ_OK;
}

mez_status_t mez_pg_send(apr_pool_t *p, mez_db_t *db, const char *sql, const char *const *args, int n,
                         const mez_db_conflict_t *conflict, int *handled, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    const char *text;
    int nparams = 0;
    mez_status_t st;

    if (!(s = enter(p, db, &conn, handled, &st, pb)))
        return st;
    if (!s->in_tx || !(text = mez_pg_placeholders(p, sql, &nparams)) || nparams != n)
        return MEZ_OK;
    *handled = 1;
    if (!pg_queue(s, conn, sql, text, n, args, PG_OWED_SENT))
        return queue_failed(p, db, s, conn, pb);
    APR_ARRAY_IDX(s->owed, s->owed->nelts - 1, pg_owed_t).conflict = conflict;
    return MEZ_OK;
}

mez_status_t mez_pg_begin(apr_pool_t *p, mez_db_t *db, const char *begin, int *handled, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    mez_status_t st;

    *handled = 0;
    if (!(conn = pg_conn(db)))
        return MEZ_OK;
    /* A connection that broke in an earlier transaction (its server session ended while the pipeline was being
     * answered, and libpq could leave pipeline mode all the same) is re-established before a new one begins, as
     * mod_dbd's check does when it hands a connection out; a caller holding one connection for several
     * transactions (the CLI, a test) gets the same. */
    if (PQstatus(conn) == CONNECTION_BAD)
        PQreset(conn);
    s = pg_session(db, conn);
    s->lost_tx = 0;   /* a new transaction: whatever was lost before was reported then */
    if (s->owed->nelts && (st = pg_sync(p, db, s, conn, NULL, 0, pb)) != MEZ_OK)
        return st;
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        return MEZ_OK;   /* not where a BEGIN belongs: apr_dbd sends it, and the server says what it thinks */
    if (!pg_queue(s, conn, begin, begin, 0, NULL, PG_OWED_SENT))
        return queue_failed(p, db, s, conn, pb);
    s->in_tx = 1;
    *handled = 1;
    return MEZ_OK;
}

mez_status_t mez_pg_end(apr_pool_t *p, mez_db_t *db, int commit, int *handled, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;

    PGresult *res;
    int was_in_tx, timed_out;

    *handled = 0;
    if (!(conn = pg_conn(db)))
        return MEZ_OK;
    s = pg_session(db, conn);
    was_in_tx = s->in_tx;
    s->in_tx = 0;
    if (s->lost_tx) {
        s->lost_tx = 0;
        *handled = commit;   /* no COMMIT on the new session; a ROLLBACK there is harmless */
        return commit ? lost(p, db, pb) : MEZ_OK;
    }
    if (!was_in_tx && !s->owed->nelts)
        return MEZ_OK;   /* a transaction apr_dbd began: apr_dbd ends it */
    if (!commit) {
        /* Whatever the pipeline held is read and dropped; then the ROLLBACK, within the same bound as the rest.
         * (Not on the pipeline: after an error there the server skips everything up to the sync.) */
        if (s->owed->nelts)
            pg_sync(p, db, s, conn, NULL, 0, NULL);
        if (!was_in_tx || PQstatus(conn) != CONNECTION_OK)
            return MEZ_OK;   /* apr_dbd's ROLLBACK: on a broken connection it fails at once, harmlessly */
        *handled = 1;
        timed_out = 0;
        res = PQsendQuery(conn, "ROLLBACK") ? pg_last(conn, pg_deadline(s), &timed_out) : NULL;
        PQclear(res);
        if (timed_out)
            (void)pg_abandon(p, db, s, conn, 0, NULL);   /* the server rolls back when it meets the end */
        else if (!res)
            *handled = 0;   /* libpq could not send it: apr_dbd tries, and fails at once on a broken connection */
        return MEZ_OK;
    }
    *handled = 1;
    if (!pg_queue(s, conn, "COMMIT", "COMMIT", 0, NULL, PG_OWED_ANSWER))
        return queue_failed(p, db, s, conn, pb);
    return pg_sync(p, db, s, conn, NULL, 0, pb);
}
