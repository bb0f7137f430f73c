/* store_rows.h: multi-row queries over apr_dbd for the areas that read lists (audit chain, consent signatories
 * and trail). Private to libmezcore; store.h's single-row helpers stay the way to read one value. */
#ifndef MEZ_STORE_ROWS_H
#define MEZ_STORE_ROWS_H

#include <apr_tables.h>
#include "mez/store.h"

/* Runs sql (apr_dbd %s placeholders bound to the NULL-terminated string arguments, MEZ_DB_NULL for SQL NULL) and
 * returns every row in *rows as `const char **` of ncols strings copied into p (NULL for SQL NULL). */
mez_status_t mez_db_query_rows(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows, const char *sql,
                               mez_problem_t *pb, ...);

/* " FOR UPDATE" on PostgreSQL, "" on SQLite (whose BEGIN IMMEDIATE already holds the database's write lock):
 * appended to a SELECT that reads a row the transaction is about to change on the strength of what it read. */
const char *mez_db_for_update(const mez_db_t *db);

#endif
