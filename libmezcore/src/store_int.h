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

/* sql with apr_dbd's %s placeholders as libpq's $1..$n (and %% as %, as apr_dbd reads it); NULL when it has any
 * other apr_dbd format (%d, %pDt, ...), which apr_dbd would type and bind differently: those run through apr_dbd. */
char *mez_pg_placeholders(apr_pool_t *p, const char *sql, int *nparams);

#endif
