/* store_db.c: a thin layer over apr_dbd so every area runs the same SQL on sqlite3 and pgsql.
 * Statements take apr_dbd placeholders (%s), never values built in with printf. On sqlite3 they are prepared per
 * call through apr_dbd; on PostgreSQL, once per connection (store_pg.c). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "store_int.h"

#define MEZ_DB_MAX_ARGS 16

/* The access mode every SELECT asks apr_dbd for: random (1), not sequential (0). Both drivers hold the whole
 * result either way (mez reads every row), but apr_dbd's pgsql driver, in sequential mode, meets an EMPTY result by
 * sleeping 100 ms (apr_sleep) and asking libpq again: every lookup that finds nothing (an account with no
 * expiring hold, an unknown id) cost 0.1 s of wall time per request on PostgreSQL. Random mode reads the result
 * with one PQexecPrepared/PQexecParams and answers "no row" at once; on sqlite3 the two modes are the same. */
#define MEZ_DB_RANDOM_ACCESS 1

const char mez_db_null_marker[] = "(null)";

/* Transactions are plain SQL rather than apr_dbd_transaction_start(): apr_dbd's sqlite3 driver opens a
 * DEFERRED transaction, so two writers that both read first deadlock on the upgrade to a write lock, and
 * its busy retries then stall for minutes. BEGIN IMMEDIATE takes the write lock up front and waits its
 * turn (busy_timeout). A pool cleanup rolls back whatever was not committed, before mod_dbd's own cleanup
 * (registered earlier, so run later) returns the connection to its pool. */
struct mez_db_tx_t {
    mez_db_t *db;
    apr_pool_t *pool;
    int open;
    int holds_writer;
    apr_uint64_t audit_rows;   /* mez_db_count_audit_row: appended in this transaction, counted at its commit */
    apr_hash_t *rows;          /* mez_db_tx_remember: key -> remembered_row_t, made on first use */
};

typedef struct {
    int ncols;
    const char **cols;
} remembered_row_t;

static void release_writer(mez_db_tx_t *tx)
{
    if (tx->holds_writer)
        apr_thread_mutex_unlock(tx->db->writer);
    tx->holds_writer = 0;
}

static mez_status_t db_fail(apr_pool_t *p, mez_db_t *db, int rv, const char *what, mez_problem_t *pb)
{
    const char *msg = db->handle ? apr_dbd_error(db->driver, db->handle, rv) : NULL;
    return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL, "%s failed on %s: %s", what, db->driver_name,
                       msg ? msg : "unknown error");
}

static apr_status_t db_close(void *data)
{
    mez_db_t *db = data;
    if (db->handle)
        apr_dbd_close(db->driver, db->handle);
    db->handle = NULL;
    return APR_SUCCESS;
}

mez_db_t *mez_db_wrap(apr_pool_t *p, const apr_dbd_driver_t *driver, apr_dbd_t *handle)
{
    mez_db_t *db = apr_pcalloc(p, sizeof(*db));
    db->driver = driver;
    db->handle = handle;
    db->driver_name = apr_dbd_name(driver);
    return db;
}

/* Runs a statement that answers rows (a PRAGMA) and drains them, as apr_dbd requires. */
static mez_status_t db_drain_select(apr_pool_t *p, mez_db_t *db, const char *sql, mez_problem_t *pb)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv = apr_dbd_select(db->driver, p, db->handle, &res, sql, 0);
    if (rv)
        return db_fail(p, db, rv, sql, pb);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0)
        ;
    return MEZ_OK;
}

/* A problem's detail goes to stderr, to deploy's progress files and from there to the admin API: a password in
 * the connection string must not go with it. Keyword form (password=secret, password = 'se cr\'et', pass\ word
 * escapes as libpq reads them; every occurrence, libpq taking the last), and the URI form's user:secret@ and
 * ?password=secret, become "***". */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

const char *mez_db_params_redacted(apr_pool_t *p, const char *params)
{
    const char *s = params ? params : "", *c = s, *scheme = strstr(s, "://");
    /* Each "***" replaces at least one character of "password=" or ":"...: at most 3 more bytes per occurrence,
     * and there are fewer occurrences than bytes / 4. */
    char *out = apr_palloc(p, strlen(s) + strlen(s) / 4 * 3 + 8), *w = out;
    int uri = scheme && !strpbrk(s, " \t\n\r\f\v");

    if (uri) {
        /* URI: scheme://[user[:password]@]host...[?...password=...&...] */
        const char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/'), *colon;
        if (at && (!slash || at < slash) && (colon = memchr(auth, ':', (size_t)(at - auth)))) {
            w = apr_cpystrn(out, s, (apr_size_t)(colon - s) + 2);      /* through the ':' */
            w = apr_cpystrn(w, "***", 4);
            c = at;
        }
        while (*c) {
            if (c > s && (c[-1] == '?' || c[-1] == '&') && !strncmp(c, "password=", 9)) {
                w = apr_cpystrn(w, "password=***", 13);
                for (c += 9; *c && *c != '&'; c++)
                    ;
                continue;
            }
            *w++ = *c++;
        }
        *w = '\0';
        return out;
    }
    while (*c) {
        /* password at the start of a keyword, then '=' (white space allowed around it), then a value */
        if ((c == s || is_space(c[-1])) && !strncmp(c, "password", 8)) {
            const char *v = c + 8;
            while (is_space(*v))
                v++;
            if (*v == '=') {
                for (v++; is_space(*v); v++)
                    ;
                if (*v == '\'') {
                    for (v++; *v && *v != '\''; v++)
                        if (*v == '\\' && v[1])
                            v++;
                    if (*v)
                        v++;
                }
                else
                    for (; *v && !is_space(*v); v++)
                        if (*v == '\\' && v[1])
                            v++;
                w = apr_cpystrn(w, "password=***", 13);
                c = v;
                continue;
            }
        }
        *w++ = *c++;
    }
    *w = '\0';
    return out;
}

mez_status_t mez_db_open(apr_pool_t *p, const char *driver_name, const char *params, mez_db_t **out,
                         mez_problem_t *pb)
{
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle = NULL;
    const char *err = NULL;
    apr_status_t rv;
    mez_db_t *db;

    *out = NULL;
    if (strcmp(driver_name, "sqlite3") && strcmp(driver_name, "pgsql"))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "db.unsupported_driver", NULL,
                           "driver '%s' is not supported: use sqlite3 or pgsql", driver_name);
    apr_dbd_init(p);
    rv = apr_dbd_get_driver(p, driver_name, &driver);
    if (rv != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 503, "db.driver_missing", NULL,
                           "the apr_dbd %s driver cannot be loaded (Debian package libaprutil1-dbd-%s)",
                           driver_name, driver_name);
    rv = apr_dbd_open_ex(driver, p, params, &handle, &err);
    if (rv != APR_SUCCESS || !handle)
        return mez_problem(pb, p, MEZ_EIO, 503, "db.unreachable", NULL, "cannot open %s database '%s': %s",
                           driver_name, mez_db_params_redacted(p, params), err ? err : "unknown error");
    db = mez_db_wrap(p, driver, handle);
    db->session_pool = p;
    apr_pool_cleanup_register(p, db, db_close, apr_pool_cleanup_null);
    if (!strcmp(driver_name, "sqlite3")) {
        /* WAL lets readers (httpd children) go on while one writer commits; the mode sticks to the file,
         * so setting it where the CLI creates and migrates the database is enough. */
        mez_status_t st = mez_db_session_setup(p, db, pb);
        if (st == MEZ_OK)
            st = db_drain_select(p, db, "PRAGMA journal_mode = WAL", pb);
        if (st != MEZ_OK)
            return st;
    }
    *out = db;
    return MEZ_OK;
}

mez_status_t mez_db_session_setup(apr_pool_t *p, mez_db_t *db, mez_problem_t *pb)
{
    if (strcmp(db->driver_name, "sqlite3"))
        return MEZ_OK;
    /* The sqlite3 driver sets no busy timeout and retries only ~1.5 s; other children may hold the lock. */
    return db_drain_select(p, db, "PRAGMA busy_timeout = 5000", pb);
}

mez_status_t mez_db_exec(apr_pool_t *p, mez_db_t *db, const char *sql, mez_problem_t *pb)
{
    int nrows = 0, rv;
    mez_status_t st = mez_pg_settle(p, db, pb);
    if (st != MEZ_OK)
        return st;
    rv = apr_dbd_query(db->driver, db->handle, &nrows, sql);
    if (rv)
        return db_fail(p, db, rv, "statement", pb);
    return MEZ_OK;
}

/* The NULL-terminated arguments into args: their number, or -1 when there are more than MEZ_DB_MAX_ARGS (a
 * caller's mistake, refused rather than run with the rest cut off; the _array forms take any number). */
static int collect_args(va_list ap, const char **args)
{
    int n = 0;
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        if (n == MEZ_DB_MAX_ARGS)
            return -1;
        args[n++] = a;
    }
    return n;
}

static mez_status_t too_many_args(apr_pool_t *p, const char *sql, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "db.too_many_arguments", NULL,
                       "a statement was given more than %d arguments (use the _array form): %.60s", MEZ_DB_MAX_ARGS,
                       sql);
}

/* apr_dbd counts NULL-terminated varargs, so SQL NULL values are passed as this marker. */
static void map_nulls(const char **args, int n)
{
    for (int i = 0; i < n; i++)
        if (args[i] == MEZ_DB_NULL)
            args[i] = NULL;
}

/* Column i of row as a string copied into p, NULL for SQL NULL. apr_dbd_get_entry cannot be used for this: the
 * pgsql driver reads NULL as "" through it; apr_dbd_datum_get answers APR_ENOENT for NULL on both drivers. */
const char *mez_db_entry(apr_pool_t *p, const mez_db_t *db, apr_dbd_row_t *row, int i)
{
    char *v = NULL;
    if (apr_dbd_datum_get(db->driver, row, i, APR_DBD_TYPE_STRING, &v) != APR_SUCCESS || !v)
        return NULL;
    return apr_pstrdup(p, v);
}

/* SQLite answers SQLITE_SCHEMA (17, "database schema has changed") to a statement on a connection opened before
 * another connection changed the schema (`mez db migrate` while httpd runs, a trigger dropped): apr_dbd prepares
 * with the legacy sqlite3_prepare, which leaves recovering to the caller. Nothing was executed, inside a
 * transaction or not, so the statement is prepared again and run once more. */
#define SQLITE_SCHEMA_CHANGED 17

static int schema_changed(const mez_db_t *db, int rv)
{
    const char *msg;
    if (strcmp(db->driver_name, "sqlite3"))
        return 0;
    if (rv == SQLITE_SCHEMA_CHANGED)
        return 1;
    msg = db->handle ? apr_dbd_error(db->driver, db->handle, rv) : NULL;
    return msg && strstr(msg, "schema has changed") != NULL;
}

/* Prepares sql (apr_dbd placeholders) for one call through apr_dbd. */
static mez_status_t prepare_stmt(apr_pool_t *p, mez_db_t *db, const char *sql, apr_dbd_prepared_t **stmt,
                                 mez_problem_t *pb)
{
    int rv = apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, stmt);
    if (rv)
        return db_fail(p, db, rv, "prepare", pb);
    return MEZ_OK;
}

/* Runs sql with args (n of them, SQL NULLs already NULL). */
static mez_status_t exec_args(apr_pool_t *p, mez_db_t *db, int *nrows, const char *sql, int n, const char **args,
                              mez_problem_t *pb)
{
    apr_dbd_prepared_t *stmt = NULL;
    int rv, rows = 0, handled;
    mez_status_t st;

    if ((st = mez_pg_run(p, db, sql, args, n, 0, 0, NULL, &rows, &handled, pb)) != MEZ_OK || handled) {
        if (st == MEZ_OK && nrows)
            *nrows = rows;
        return st;
    }
    if ((st = prepare_stmt(p, db, sql, &stmt, pb)) != MEZ_OK)
        return st;
    rv = apr_dbd_pquery(db->driver, p, db->handle, &rows, stmt, n, args);
    if (rv && schema_changed(db, rv) && apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &stmt) == 0)
        rv = apr_dbd_pquery(db->driver, p, db->handle, &rows, stmt, n, args);
    if (rv)
        return db_fail(p, db, rv, "statement", pb);
    if (nrows)
        *nrows = rows;
    return MEZ_OK;
}

/* How a write is sent: plainly (mez_db_send), or with what its unique index refusing it means and where to say
 * that it did when that is known at once (mez_db_send_insert). */
typedef struct {
    const mez_db_conflict_t *conflict;
    int *taken;
} send_how_t;

static const send_how_t send_plain = { NULL, NULL };

/* Sent now, or on PostgreSQL inside a transaction with the next statement that answers (store_pg.c). Sent now, an
 * INSERT with a conflict runs as ON CONFLICT DO NOTHING and a row not inserted is *taken. */
static mez_status_t send_args(apr_pool_t *p, mez_db_t *db, const char *sql, int n, const char **args,
                              const send_how_t *how, mez_problem_t *pb)
{
    int handled, rows = 0;
    mez_status_t st = mez_pg_send(p, db, sql, args, n, how->conflict, &handled, pb);
    if (st != MEZ_OK || handled)
        return st;
    if (!how->conflict)
        return exec_args(p, db, NULL, sql, n, args, pb);
    if ((st = exec_args(p, db, &rows, apr_pstrcat(p, sql, " ON CONFLICT DO NOTHING", NULL), n, args, pb)) == MEZ_OK)
        *how->taken = rows == 0;
    return st;
}

/* A statement with NULL-terminated arguments, run now (how NULL: exec_args) or sent (send_args). */
static mez_status_t run_varargs(apr_pool_t *p, mez_db_t *db, int *nrows, const send_how_t *how, const char *sql,
                                mez_problem_t *pb, va_list ap)
{
    const char *args[MEZ_DB_MAX_ARGS];
    int n = collect_args(ap, args);
    if (n < 0)
        return too_many_args(p, sql, pb);
    map_nulls(args, n);
    return how ? send_args(p, db, sql, n, args, how, pb) : exec_args(p, db, nrows, sql, n, args, pb);
}

mez_status_t mez_db_execv(apr_pool_t *p, mez_db_t *db, int *nrows, const char *sql, mez_problem_t *pb, ...)
{
    va_list ap;
    mez_status_t st;
    va_start(ap, pb);
    st = run_varargs(p, db, nrows, NULL, sql, pb, ap);
    va_end(ap);
    return st;
}

/* A caller's argument array as apr_dbd takes it: a copy with SQL NULLs as NULL (the caller's stays as it was). */
static const char **array_args(apr_pool_t *p, const char *const *args, int nargs)
{
    const char **copy = apr_pmemdup(p, args, sizeof(*args) * (size_t)(nargs > 0 ? nargs : 1));
    map_nulls(copy, nargs);
    return copy;
}

mez_status_t mez_db_exec_array(apr_pool_t *p, mez_db_t *db, int *nrows, const char *sql, int nargs,
                               const char *const *args, mez_problem_t *pb)
{
    return exec_args(p, db, nrows, sql, nargs, array_args(p, args, nargs), pb);
}

mez_status_t mez_db_send(apr_pool_t *p, mez_db_t *db, const char *sql, mez_problem_t *pb, ...)
{
    va_list ap;
    mez_status_t st;
    va_start(ap, pb);
    st = run_varargs(p, db, NULL, &send_plain, sql, pb, ap);
    va_end(ap);
    return st;
}

mez_status_t mez_db_send_array(apr_pool_t *p, mez_db_t *db, const char *sql, int nargs, const char *const *args,
                               mez_problem_t *pb)
{
    return send_args(p, db, sql, nargs, array_args(p, args, nargs), &send_plain, pb);
}

void mez_db_flush(mez_db_t *db)
{
    mez_pg_flush(db);
}

mez_status_t mez_db_send_insert(apr_pool_t *p, mez_db_t *db, const mez_db_conflict_t *conflict, int *taken,
                                const char *sql, mez_problem_t *pb, ...)
{
    /* The conflict is read when the pipeline is, later in the request: a copy in the request's pool. */
    mez_db_conflict_t *copy = apr_pmemdup(p, conflict, sizeof(*conflict));
    const send_how_t how = { copy, taken };
    va_list ap;
    mez_status_t st;

    copy->code = apr_pstrdup(p, conflict->code);
    copy->pointer = conflict->pointer ? apr_pstrdup(p, conflict->pointer) : NULL;
    copy->detail = apr_pstrdup(p, conflict->detail);
    *taken = 0;
    va_start(ap, pb);
    st = run_varargs(p, db, NULL, &how, sql, pb, ap);
    va_end(ap);
    return st;
}

/* A SELECT's rows (at most max_rows when above 0) as `const char **` of ncols strings copied into p, NULL for SQL
 * NULL: on PostgreSQL a statement prepared once per connection (store_pg.c), else through apr_dbd. The apr_dbd
 * result is read to the end either way: apr_dbd leaves a pgsql connection busy, or an sqlite3 read open,
 * otherwise. */
static mez_status_t select_rows_args(apr_pool_t *p, mez_db_t *db, int ncols, int max_rows,
                                     apr_array_header_t **rows, const char *sql, int n, const char **args,
                                     mez_problem_t *pb)
{
    apr_dbd_prepared_t *stmt = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv, handled;
    mez_status_t st;

    *rows = apr_array_make(p, max_rows > 0 ? max_rows : 16, sizeof(const char **));
    if ((st = mez_pg_run(p, db, sql, args, n, ncols, max_rows, rows, NULL, &handled, pb)) != MEZ_OK || handled)
        return st;
    if ((st = prepare_stmt(p, db, sql, &stmt, pb)) != MEZ_OK)
        return st;
    rv = apr_dbd_pselect(db->driver, p, db->handle, &res, stmt, MEZ_DB_RANDOM_ACCESS, n, args);
    if (rv && schema_changed(db, rv) && apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &stmt) == 0)
        rv = apr_dbd_pselect(db->driver, p, db->handle, &res, stmt, MEZ_DB_RANDOM_ACCESS, n, args);
    if (rv)
        return db_fail(p, db, rv, "query", pb);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char **cols;
        if (max_rows > 0 && (*rows)->nelts >= max_rows)
            continue;
        cols = apr_pcalloc(p, sizeof(const char *) * (size_t)(ncols > 0 ? ncols : 1));
        for (int i = 0; i < ncols; i++)
            cols[i] = mez_db_entry(p, db, row, i);
        APR_ARRAY_PUSH(*rows, const char **) = cols;
    }
    return MEZ_OK;
}

static mez_status_t select_rows(apr_pool_t *p, mez_db_t *db, int ncols, int max_rows, apr_array_header_t **rows,
                                const char *sql, mez_problem_t *pb, va_list ap)
{
    const char *args[MEZ_DB_MAX_ARGS];
    int n = collect_args(ap, args);
    if (n < 0) {
        *rows = apr_array_make(p, 1, sizeof(const char **));
        return too_many_args(p, sql, pb);
    }
    map_nulls(args, n);
    return select_rows_args(p, db, ncols, max_rows, rows, sql, n, args, pb);
}

void mez_db_where_add(apr_pool_t *p, mez_db_where_t *w, const char *cond, const char *arg)
{
    if (w->nargs >= MEZ_DB_WHERE_MAX)
        abort();   /* the lists name their conditions in code: more than the bound is a bug, not an input */
    w->sql = apr_pstrcat(p, w->sql, *w->sql ? " AND " : " WHERE ", cond, NULL);
    w->args[w->nargs++] = arg;
}

mez_status_t mez_db_query_rows_array(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows,
                                     const char *sql, int nargs, const char *const *args, mez_problem_t *pb)
{
    return select_rows_args(p, db, ncols, 0, rows, sql, nargs, array_args(p, args, nargs), pb);
}

mez_status_t mez_db_query_all(apr_pool_t *p, mez_db_t *db, mez_db_query_t *q, int n, mez_problem_t *pb)
{
    int handled;
    mez_status_t st;
    mez_db_query_t *mapped = apr_pmemdup(p, q, sizeof(*q) * (size_t)(n > 0 ? n : 1));
    const char ***args = apr_palloc(p, sizeof(*args) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        mapped[i].args = args[i] = array_args(p, q[i].args, q[i].nargs);
    if ((st = mez_pg_run_all(p, db, mapped, n, &handled, pb)) == MEZ_OK && !handled)
        for (int i = 0; i < n && st == MEZ_OK; i++)
            st = select_rows_args(p, db, mapped[i].ncols, 0, &mapped[i].rows, mapped[i].sql, mapped[i].nargs,
                                  args[i], pb);
    for (int i = 0; i < n; i++)
        q[i].rows = st == MEZ_OK ? mapped[i].rows : apr_array_make(p, 1, sizeof(const char **));
    return st;
}

/* The first row's first ncols columns (NULL for SQL NULL); *found 0 when there is none. */
static mez_status_t query_row_v(apr_pool_t *p, mez_db_t *db, const char **cols, int ncols, int *found,
                                const char *sql, mez_problem_t *pb, va_list ap)
{
    apr_array_header_t *rows;
    mez_status_t st = select_rows(p, db, ncols, 1, &rows, sql, pb, ap);
    *found = st == MEZ_OK && rows->nelts > 0;
    for (int i = 0; i < ncols; i++)
        cols[i] = *found ? APR_ARRAY_IDX(rows, 0, const char **)[i] : NULL;
    return st;
}

mez_status_t mez_db_query_rows(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows, const char *sql,
                               mez_problem_t *pb, ...)
{
    va_list ap;
    mez_status_t st;
    va_start(ap, pb);
    st = select_rows(p, db, ncols, 0, rows, sql, pb, ap);
    va_end(ap);
    return st;
}

const char *mez_db_for_update(const mez_db_t *db)
{
    return strcmp(db->driver_name, "pgsql") ? "" : " FOR UPDATE";
}

const char *mez_db_for_no_key_update(const mez_db_t *db)
{
    return strcmp(db->driver_name, "pgsql") ? "" : " FOR NO KEY UPDATE";
}

int mez_db_has_returning(const mez_db_t *db)
{
    return !strcmp(db->driver_name, "pgsql");
}

int mez_db_has_writable_cte(const mez_db_t *db)
{
    return !strcmp(db->driver_name, "pgsql");
}

mez_status_t mez_db_query_value(apr_pool_t *p, mez_db_t *db, const char **out, const char *sql,
                                mez_problem_t *pb, ...)
{
    va_list ap;
    int found;
    mez_status_t st;
    va_start(ap, pb);
    st = query_row_v(p, db, out, 1, &found, sql, pb, ap);
    va_end(ap);
    /* A row whose value is SQL NULL reads as "", so callers can tell it from no row at all. */
    if (st == MEZ_OK && found && !*out)
        *out = "";
    return st;
}

mez_status_t mez_db_query_row(apr_pool_t *p, mez_db_t *db, const char **cols, int ncols, int *found,
                              const char *sql, mez_problem_t *pb, ...)
{
    va_list ap;
    mez_status_t st;
    va_start(ap, pb);
    st = query_row_v(p, db, cols, ncols, found, sql, pb, ap);
    va_end(ap);
    return st;
}

/* The transaction has ended (committed or rolled back): what it remembered goes with it. */
static void tx_closed(mez_db_tx_t *tx)
{
    tx->open = 0;
    tx->rows = NULL;
    if (tx->db->tx == tx)
        tx->db->tx = NULL;
    release_writer(tx);
}

static apr_status_t tx_cleanup(void *data)
{
    mez_db_tx_t *tx = data;
    int nrows, handled;
    if (tx->open && tx->db->handle) {
        mez_pg_end(tx->pool, tx->db, 0, &handled, NULL);
        if (!handled)
            apr_dbd_query(tx->db->driver, tx->db->handle, &nrows, "ROLLBACK");
    }
    tx_closed(tx);
    return APR_SUCCESS;
}

/* Opens a transaction with the BEGIN statement of the connection's driver. A writer (for_write) queues behind this
 * process's other writers first on SQLite (mez_db_t.writer says why); a reader takes no lock of ours. */
static mez_status_t begin_with(apr_pool_t *p, mez_db_t *db, int for_write, const char *sqlite_begin,
                               const char *pg_begin, mez_db_tx_t **tx, mez_problem_t *pb)
{
    mez_db_tx_t *t = apr_pcalloc(p, sizeof(*t));
    int sqlite = !strcmp(db->driver_name, "sqlite3"), nrows, rv, handled;
    mez_status_t st;
    t->db = db;
    if (sqlite && for_write && db->writer) {
        apr_thread_mutex_lock(db->writer);
        t->holds_writer = 1;
    }
    /* On PostgreSQL, BEGIN goes out with the transaction's first statement (store_pg.c). */
    if ((st = mez_pg_begin(p, db, pg_begin, &handled, pb)) != MEZ_OK) {
        release_writer(t);
        return st;
    }
    if (!handled && (rv = apr_dbd_query(db->driver, db->handle, &nrows, sqlite ? sqlite_begin : pg_begin))) {
        release_writer(t);
        return db_fail(p, db, rv, "BEGIN", pb);
    }
    t->pool = p;
    t->open = 1;
    db->tx = t;
    apr_pool_cleanup_register(p, t, tx_cleanup, apr_pool_cleanup_null);
    *tx = t;
    return MEZ_OK;
}

mez_status_t mez_db_begin(apr_pool_t *p, mez_db_t *db, mez_db_tx_t **tx, mez_problem_t *pb)
{
    return begin_with(p, db, 1, "BEGIN IMMEDIATE", "BEGIN", tx, pb);
}

mez_status_t mez_db_begin_read(apr_pool_t *p, mez_db_t *db, mez_db_tx_t **tx, mez_problem_t *pb)
{
    /* SQLite: a deferred BEGIN takes no lock; its first read fixes the snapshot (in WAL mode, the mode mez_db_open
     * sets) until the transaction ends, and writers go on meanwhile. PostgreSQL: REPEATABLE READ keeps the snapshot
     * of the first statement for every statement after it (READ COMMITTED would take a new one per statement). */
    return begin_with(p, db, 0, "BEGIN DEFERRED", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", tx, pb);
}

void mez_db_tx_remember(mez_db_t *db, const char *key, int ncols, const char *const *cols)
{
    mez_db_tx_t *tx = db->tx;
    remembered_row_t *row;
    if (!tx || !tx->open || ncols <= 0)
        return;
    if (!tx->rows)
        tx->rows = apr_hash_make(tx->pool);
    row = apr_palloc(tx->pool, sizeof(*row));
    row->ncols = ncols;
    row->cols = apr_palloc(tx->pool, sizeof(*row->cols) * (size_t)ncols);
    for (int i = 0; i < ncols; i++)
        row->cols[i] = cols[i] ? apr_pstrdup(tx->pool, cols[i]) : NULL;
    apr_hash_set(tx->rows, apr_pstrdup(tx->pool, key), APR_HASH_KEY_STRING, row);
}

int mez_db_tx_recall(mez_db_t *db, const char *key, int ncols, const char **cols)
{
    mez_db_tx_t *tx = db->tx;
    const remembered_row_t *row = tx && tx->open && tx->rows ? apr_hash_get(tx->rows, key, APR_HASH_KEY_STRING)
                                                              : NULL;
    if (!row || row->ncols != ncols)
        return 0;
    for (int i = 0; i < ncols; i++)
        cols[i] = row->cols[i];
    return 1;
}

mez_status_t mez_db_commit(apr_pool_t *p, mez_db_tx_t *tx, mez_problem_t *pb)
{
    int nrows, rv, handled;
    mez_status_t st;
    if (!tx->open)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "db.no_transaction", NULL, "no open transaction");
    /* Statements still on PostgreSQL's pipeline go with the COMMIT, and the first error among them fails it. */
    st = mez_pg_end(p, tx->db, 1, &handled, pb);
    if (st == MEZ_OK && !handled && (rv = apr_dbd_query(tx->db->driver, tx->db->handle, &nrows, "COMMIT")))
        st = db_fail(p, tx->db, rv, "COMMIT", pb);
    if (st != MEZ_OK) {
        mez_db_rollback(p, tx);
        return st;
    }
    tx->db->audit_rows += tx->audit_rows;
    tx_closed(tx);
    apr_pool_cleanup_kill(tx->pool, tx, tx_cleanup);
    return MEZ_OK;
}

void mez_db_count_audit_row(mez_db_t *db)
{
    if (db->tx && db->tx->open)
        db->tx->audit_rows++;
    else
        db->audit_rows++;
}

void mez_db_rollback(apr_pool_t *p, mez_db_tx_t *tx)
{
    if (!tx || !tx->open)
        return;
    tx_cleanup(tx);
    apr_pool_cleanup_kill(tx->pool, tx, tx_cleanup);
}
