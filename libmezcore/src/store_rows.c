/* store_rows.c: multi-row queries and the row-lock clause, the same SQL on sqlite3 and pgsql.
 * Results are always read to the end: apr_dbd leaves a pgsql connection busy, or an sqlite3 read open, otherwise.
 * SQL NULL comes back as NULL on both drivers (mez_db_entry). */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "store_rows.h"

#define ROWS_MAX_ARGS 16

mez_status_t mez_db_query_rows(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows, const char *sql,
                               mez_problem_t *pb, ...)
{
    const char *args[ROWS_MAX_ARGS], *a;
    apr_dbd_prepared_t *stmt = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    va_list ap;
    int n = 0, rv;

    *rows = apr_array_make(p, 16, sizeof(const char **));
    va_start(ap, pb);
    while ((a = va_arg(ap, const char *)) != NULL && n < ROWS_MAX_ARGS)
        args[n++] = a == MEZ_DB_NULL ? NULL : a;
    va_end(ap);
    if ((rv = apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &stmt)) != 0
        || (rv = apr_dbd_pselect(db->driver, p, db->handle, &res, stmt, MEZ_DB_RANDOM_ACCESS, n, args)) != 0) {
        const char *msg = apr_dbd_error(db->driver, db->handle, rv);
        return mez_problem(pb, p, MEZ_EIO, 503, "db.error", NULL, "query failed on %s: %s", db->driver_name,
                           msg ? msg : "unknown error");
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char **cols = apr_pcalloc(p, sizeof(const char *) * (size_t)(ncols > 0 ? ncols : 1));
        for (int i = 0; i < ncols; i++)
            cols[i] = mez_db_entry(p, db, row, i);
        APR_ARRAY_PUSH(*rows, const char **) = cols;
    }
    return MEZ_OK;
}

const char *mez_db_for_update(const mez_db_t *db)
{
    return strcmp(db->driver_name, "pgsql") ? "" : " FOR UPDATE";
}
