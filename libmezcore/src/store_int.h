/* store_int.h: inside the persistence layer (store_db.c and its PostgreSQL statements, store_pg.c). */
#ifndef MEZ_STORE_INT_H
#define MEZ_STORE_INT_H

#include "mez/store.h"

/* Runs sql (apr_dbd %s placeholders, n text arguments, NULL for SQL NULL) on PostgreSQL as a statement prepared
 * once per connection (store_pg.c says why). *handled is 0, and nothing was sent, when this connection cannot
 * (another driver, no session pool, a placeholder other than %s): the caller then runs it through apr_dbd.
 * With rows, the result's rows (at most max_rows when that is above 0) as `const char **` of ncols strings
 * copied into p, NULL for SQL NULL; with affected, the rows the statement changed. */
mez_status_t mez_pg_run(apr_pool_t *p, mez_db_t *db, const char *sql, const char *const *args, int n, int ncols,
                        int max_rows, apr_array_header_t **rows, int *affected, int *handled, mez_problem_t *pb);

/* Inside a transaction mez_pg_begin opened: queues sql on the connection's pipeline, to go out with the next
 * statement that answers (or the COMMIT), which then reports its error if it meets one (with conflict, not NULL:
 * a unique violation of this statement is reported as *conflict). *handled is 0, and nothing was sent, outside
 * such a transaction or when mez_pg_run would not take sql: the caller runs it now. */
mez_status_t mez_pg_send(apr_pool_t *p, mez_db_t *db, const char *sql, const char *const *args, int n,
                         const mez_db_conflict_t *conflict, int *handled, mez_problem_t *pb);

/* Inside a transaction mez_pg_begin opened: every query of q (args already with SQL NULLs as NULL) on the
 * pipeline, one sync, then each one's rows into q[i].rows. *handled is 0, and nothing was sent, elsewhere. */
mez_status_t mez_pg_run_all(apr_pool_t *p, mez_db_t *db, mez_db_query_t *q, int n, int *handled,
                            mez_problem_t *pb);

/* Sends begin (the BEGIN statement: "BEGIN", or one naming an isolation level) on the pipeline (*handled 1), so the
 * transaction's first statement carries it; *handled is 0 where store_pg.c does not run the connection, and the
 * caller sends it through apr_dbd. */
mez_status_t mez_pg_begin(apr_pool_t *p, mez_db_t *db, const char *begin, int *handled, mez_problem_t *pb);

/* Ends what mez_pg_begin opened, every wait within the connection's bound (mez_db_t.timeout_ms). With commit,
 * sends COMMIT with whatever still waits on the pipeline and reports the first error; without, reads and drops
 * what the pipeline held and sends ROLLBACK (*handled 1 either way). *handled is 0 where store_pg.c did not open
 * the transaction, or could not send: the caller sends COMMIT or ROLLBACK through apr_dbd. */
mez_status_t mez_pg_end(apr_pool_t *p, mez_db_t *db, int commit, int *handled, mez_problem_t *pb);

/* Sends what the pipeline holds (mez_db_flush), reading nothing. */
void mez_pg_flush(mez_db_t *db);

/* Reads whatever the pipeline holds, before the connection is used through apr_dbd; the first error it met. */
mez_status_t mez_pg_settle(apr_pool_t *p, mez_db_t *db, mez_problem_t *pb);

/* sql with apr_dbd's %s placeholders as libpq's $1..$n (and %% as %, as apr_dbd reads it); NULL when it has any
 * other apr_dbd format (%d, %pDt, ...), which apr_dbd would type and bind differently: those run through apr_dbd. */
char *mez_pg_placeholders(apr_pool_t *p, const char *sql, int *nparams);

#endif
