/* store_rows.h: multi-row queries over apr_dbd for the areas that read lists (audit chain, consent signatories
 * and trail). Private to libmezcore; store.h's single-row helpers stay the way to read one value. */
#ifndef MEZ_STORE_ROWS_H
#define MEZ_STORE_ROWS_H

#include <apr_tables.h>
#include "mez/store.h"

/* The access mode every mez SELECT asks apr_dbd for: random (1), not sequential (0). Both drivers hold the whole
 * result either way (mez reads every row), but apr_dbd's pgsql driver, in sequential mode, meets an EMPTY result by
 * sleeping 100 ms (apr_sleep) and asking libpq again: every lookup that finds nothing (an account with no
 * expiring hold, an unknown id) cost 0.1 s of wall time per request on PostgreSQL. Random mode reads the result
 * with one PQexecPrepared/PQexecParams and answers "no row" at once; on sqlite3 the two modes are the same. */
#define MEZ_DB_RANDOM_ACCESS 1

/* Runs sql (apr_dbd %s placeholders bound to the NULL-terminated string arguments, MEZ_DB_NULL for SQL NULL) and
 * returns every row in *rows as `const char **` of ncols strings copied into p (NULL for SQL NULL). */
mez_status_t mez_db_query_rows(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows, const char *sql,
                               mez_problem_t *pb, ...);

/* " FOR UPDATE" on PostgreSQL, "" on SQLite (whose BEGIN IMMEDIATE already holds the database's write lock):
 * appended to a SELECT that reads a row the transaction is about to change on the strength of what it read. */
const char *mez_db_for_update(const mez_db_t *db);

#endif
