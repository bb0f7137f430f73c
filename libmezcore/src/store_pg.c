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
 * new server session without those statements: the backend's process id tells, and the memory starts over. */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "store_int.h"

/* Distinct texts remembered per connection. mez's statements are a few hundred fixed texts; the few that embed a
 * LIMIT or OFFSET in their text would otherwise grow the set (and the server's memory) without end. Beyond it a
 * text runs unprepared, as it did before. */
#define MEZ_PG_MAX_PREPARED 512

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *names;   /* SQL text as mez wrote it -> server-side statement name */
    int backend_pid;     /* the server session they were prepared in */
    unsigned next;
} pg_session_t;

static const char session_key[] = "mez:pg-prepared";

static pg_session_t *pg_session(mez_db_t *db, PGconn *conn)
{
    void *v = NULL;
    pg_session_t *s;
    apr_pool_userdata_get(&v, session_key, db->session_pool);
    s = v;
    if (!s) {
        s = apr_pcalloc(db->session_pool, sizeof(*s));
        s->pool = db->session_pool;
        s->names = apr_hash_make(s->pool);
        apr_pool_userdata_setn(s, session_key, NULL, db->session_pool);
    }
    if (s->backend_pid != PQbackendPID(conn)) {
        /* A new session (or the first): whatever was prepared before is gone with the old one. The names keep
         * counting up, so a forgotten one is never reused. */
        apr_hash_clear(s->names);
        s->backend_pid = PQbackendPID(conn);
    }
    return s;
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

/* A prepared statement the server no longer has (26000) or whose result columns a migration changed since it was
 * prepared (0A000, "cached plan must not change result type"): preparing again mends either. */
static int pg_stale(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && (!strcmp(state, "26000") || !strcmp(state, "0A000"));
}

/* Runs sql (whose libpq form is text) as this session's prepared statement, preparing it first if need be.
 * *failed_step names the step a failing result comes from. */
static PGresult *pg_execute(pg_session_t *s, PGconn *conn, const char *sql, const char *text, int n,
                            const char *const *args, const char **failed_step)
{
    const char *name = apr_hash_get(s->names, sql, APR_HASH_KEY_STRING);
    PGresult *res;
    *failed_step = "statement";
    if (!name) {
        if (apr_hash_count(s->names) >= MEZ_PG_MAX_PREPARED)
            return PQexecParams(conn, text, n, NULL, args, NULL, NULL, 0);
        name = apr_psprintf(s->pool, "mez_%u", s->next++);
        res = PQprepare(conn, name, text, n, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            *failed_step = "prepare";
            return res;
        }
        PQclear(res);
        apr_hash_set(s->names, apr_pstrdup(s->pool, sql), APR_HASH_KEY_STRING, name);
    }
    return PQexecPrepared(conn, name, n, args, NULL, NULL, 0);
}

mez_status_t mez_pg_run(apr_pool_t *p, mez_db_t *db, const char *sql, const char *const *args, int n, int ncols,
                        int max_rows, apr_array_header_t **rows, int *affected, int *handled, mez_problem_t *pb)
{
    PGconn *conn;
    pg_session_t *s;
    PGresult *res;
    ExecStatusType status;
    const char *text, *step;
    int nparams = 0, ntuples, nfields;

    *handled = 0;
    if (!db->session_pool || strcmp(db->driver_name, "pgsql") || !(conn = apr_dbd_native_handle(db->driver, db->handle)))
        return MEZ_OK;
    if (!(text = mez_pg_placeholders(p, sql, &nparams)) || nparams != n)
        return MEZ_OK;
    *handled = 1;
    s = pg_session(db, conn);
    res = pg_execute(s, conn, sql, text, n, args, &step);
    status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && pg_stale(res)) {
        /* Forget it either way; outside a transaction nothing was lost, so prepare it again and run it now.
         * Inside one the transaction is already aborted: the caller's error stands, and its retry prepares. */
        apr_hash_set(s->names, sql, APR_HASH_KEY_STRING, NULL);
        if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
            PQclear(res);
            res = pg_execute(s, conn, sql, text, n, args, &step);
            status = PQresultStatus(res);
        }
    }
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        mez_status_t st = pg_fail(p, db, res, conn, step, pb);
        PQclear(res);
        return st;
    }
    if (affected)
        *affected = atoi(PQcmdTuples(res));
    if (rows) {
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
    PQclear(res);
    return MEZ_OK;
}
