/* mez/store.h: persistence over apr_dbd, the same SQL on the sqlite3 (embedded default) and pgsql drivers.
 * mod_mez passes connections it got from mod_dbd; the CLI opens its own with mez_db_open(). */
#ifndef MEZ_STORE_H
#define MEZ_STORE_H

#include <apr_pools.h>
#include <apr_dbd.h>
#include <apr_tables.h>
#include <apr_thread_mutex.h>
#include <jansson.h>
#include "mez/problem.h"

/* The schema version this build expects; /readyz answers 503 until the database has it. */
#define MEZ_SCHEMA_VERSION 26

typedef struct mez_db_t {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    const char *driver_name;   /* "sqlite3" or "pgsql" */
    /* SQLite only, optional: serialises this process's write transactions. apr_dbd's sqlite3 driver holds one
     * process-wide mutex during every statement, so a thread waiting in SQLite's busy handler for a sibling's
     * write lock would block the very sibling that must commit to release it. Queuing writers here first
     * leaves the busy handler to wait only for other processes. Owned by whoever owns the connections. */
    apr_thread_mutex_t *writer;
    /* Optional: a pool that lives exactly as long as the connection (mod_dbd's ap_dbd_t pool; the pool that
     * mez_db_open's connection closes with). On PostgreSQL, statements are then prepared once per connection
     * and remembered there, rather than planned again on every call. */
    apr_pool_t *session_pool;
    /* PostgreSQL, with a session pool: the longest one round trip may keep the caller waiting for the server, in
     * milliseconds; 0 (mez_db_wrap's and mez_db_open's default) waits as long as it takes. A round trip that
     * outlasts it answers 503 db.timeout, and the connection is closed under libpq, so the server rolls back
     * whatever its transaction had done unless the COMMIT was already on its way (store_pg.c says when). */
    int timeout_ms;
    /* The transaction open on this connection, if any (mez_db_begin sets it, its end clears it). */
    struct mez_db_tx_t *tx;
    /* Audit rows appended through this handle whose transaction committed (mez_db_count_audit_row): a row appended
     * in a transaction that then rolled back or failed its COMMIT is not counted. Per handle, so per request in
     * httpd (mod_mez wraps mod_dbd's connection anew for each request), for mez_audit_rows_total. */
    apr_uint64_t audit_rows;
} mez_db_t;

/* params with any password in it replaced by "***" (libpq keyword form and URI form), for messages. */
const char *mez_db_params_redacted(apr_pool_t *p, const char *params);

/* Opens a connection for the CLI (driver "sqlite3" with a file name, or "pgsql" with a libpq conninfo).
 * Closed when p is cleared. */
mez_status_t mez_db_open(apr_pool_t *p, const char *driver_name, const char *params, mez_db_t **out,
                         mez_problem_t *pb);
/* Wraps a connection somebody else owns (mod_dbd's). */
mez_db_t *mez_db_wrap(apr_pool_t *p, const apr_dbd_driver_t *driver, apr_dbd_t *handle);

/* Per-connection settings every connection needs (SQLite: busy timeout, so writers from several httpd
 * children wait for each other instead of failing). mez_db_open() calls it; mod_mez calls it from mod_dbd's
 * post_connect hook. */
mez_status_t mez_db_session_setup(apr_pool_t *p, mez_db_t *db, mez_problem_t *pb);

/* Runs one parameterless SQL statement. */
mez_status_t mez_db_exec(apr_pool_t *p, mez_db_t *db, const char *sql, mez_problem_t *pb);
/* Marks an SQL NULL among the string arguments below (a C NULL ends the argument list). */
extern const char mez_db_null_marker[];
#define MEZ_DB_NULL mez_db_null_marker

/* Runs a statement with apr_dbd placeholders (%s) bound to the NULL-terminated string arguments. */
mez_status_t mez_db_execv(apr_pool_t *p, mez_db_t *db, int *nrows, const char *sql, mez_problem_t *pb, ...);
/* The same with the arguments in an array (nargs of them, MEZ_DB_NULL for SQL NULL), for a statement whose number
 * of values is known only when it runs (a multi-row INSERT). */
mez_status_t mez_db_exec_array(apr_pool_t *p, mez_db_t *db, int *nrows, const char *sql, int nargs,
                               const char *const *args, mez_problem_t *pb);
/* Runs a write whose outcome the caller does not read (no row count, no error of its own to map: a row the caller
 * made up, whose failure can only mean the transaction fails). Inside a transaction on PostgreSQL it is not
 * waited for: it goes out with the next statement that answers, or with the COMMIT, and an error it meets is
 * reported there (as db.error, naming it), the transaction then being failed. Elsewhere it runs at once. */
mez_status_t mez_db_send(apr_pool_t *p, mez_db_t *db, const char *sql, mez_problem_t *pb, ...);
mez_status_t mez_db_send_array(apr_pool_t *p, mez_db_t *db, const char *sql, int nargs, const char *const *args,
                               mez_problem_t *pb);
/* Hands the server what mez_db_send() has queued so far without waiting for anything, so that it works on those
 * statements while the caller computes (an action's writes while its credentials are signed). Nothing is read:
 * an error among them is still reported by the next statement that answers, as before. Without a pipeline (SQLite,
 * outside a transaction, MezDBPrepare off) everything ran already and this does nothing. */
void mez_db_flush(mez_db_t *db);

/* What a unique index refusing an INSERT means to the caller (a name taken): the problem to report. */
typedef struct {
    int status;
    const char *code, *pointer, *detail;
} mez_db_conflict_t;

/* An INSERT whose one expected refusal is a unique index saying such a row exists already, sent as mez_db_send
 * sends; sql is the INSERT without an ON CONFLICT clause. Where it is pipelined (PostgreSQL, in a transaction),
 * nobody waits for it: a refusal surfaces when the pipeline is next read (the transaction's next statement that
 * answers, or its COMMIT), which then reports *conflict (copied) instead of db.error, and the transaction is
 * failed as for any error there. Elsewhere it runs at once as "... ON CONFLICT DO NOTHING", and *taken is 1 when
 * it inserted nothing (the caller answers that itself); *taken is 0 otherwise. Concurrent inserts of one key
 * wait for each other either way: one is kept. */
mez_status_t mez_db_send_insert(apr_pool_t *p, mez_db_t *db, const mez_db_conflict_t *conflict, int *taken,
                                const char *sql, mez_problem_t *pb, ...);
/* First column of the first row as a string (*out NULL when there is no row). */
mez_status_t mez_db_query_value(apr_pool_t *p, mez_db_t *db, const char **out, const char *sql,
                                mez_problem_t *pb, ...);

/* Column i of a result row, copied into p; NULL for SQL NULL on both drivers. */
const char *mez_db_entry(apr_pool_t *p, const mez_db_t *db, apr_dbd_row_t *row, int i);

/* First row of a query: up to ncols columns copied into cols (NULL for SQL NULL); *found 0 when no row. */
mez_status_t mez_db_query_row(apr_pool_t *p, mez_db_t *db, const char **cols, int ncols, int *found,
                              const char *sql, mez_problem_t *pb, ...);

/* Every row of a query, as `const char **` of ncols strings copied into p (NULL for SQL NULL). */
mez_status_t mez_db_query_rows(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows, const char *sql,
                               mez_problem_t *pb, ...);
/* The same with the arguments in an array (as mez_db_exec_array), for a query whose number of values is known
 * only when it runs (an IN list). */
mez_status_t mez_db_query_rows_array(apr_pool_t *p, mez_db_t *db, int ncols, apr_array_header_t **rows,
                                     const char *sql, int nargs, const char *const *args, mez_problem_t *pb);

/* The WHERE clause of a list that filters only by what its caller asked: mez_db_where_add() appends one condition
 * with one apr_dbd %s placeholder and its argument ("status = %s", "seq < %s"), so the statement names only the
 * conditions given and each list stays a plain index walk. Start from MEZ_DB_WHERE_INIT; then use w.sql after the
 * table, and w.nargs / w.args with mez_db_query_rows_array(). */
#define MEZ_DB_WHERE_MAX 8
typedef struct mez_db_where_t {
    const char *sql;                        /* "" or " WHERE a = %s AND b < %s" */
    const char *args[MEZ_DB_WHERE_MAX];
    int nargs;
} mez_db_where_t;
#define MEZ_DB_WHERE_INIT { "", { NULL }, 0 }
/* Appends cond (one %s) with arg; a caller's mistake beyond MEZ_DB_WHERE_MAX conditions aborts. */
void mez_db_where_add(apr_pool_t *p, mez_db_where_t *w, const char *cond, const char *arg);

/* One of several queries run together by mez_db_query_all(). */
typedef struct {
    const char *sql;
    int nargs;
    const char *const *args;   /* MEZ_DB_NULL for SQL NULL */
    int ncols;
    apr_array_header_t *rows;  /* out: as mez_db_query_rows() gives them */
} mez_db_query_t;

/* Runs n queries that each answer rows, in order, for statements that do not depend on each other's answers (a
 * posting's guarded balance UPDATEs, each with RETURNING). Inside a transaction on PostgreSQL all of them go in
 * one round trip (with whatever mez_db_send() left waiting); elsewhere one after another. The first error is the
 * call's, and the transaction is then failed: the caller does not go on with the rest. */
mez_status_t mez_db_query_all(apr_pool_t *p, mez_db_t *db, mez_db_query_t *q, int n, mez_problem_t *pb);

/* " FOR UPDATE" on PostgreSQL, "" on SQLite (whose BEGIN IMMEDIATE already holds the database's write lock):
 * appended to a SELECT that reads a row the transaction is about to change on the strength of what it read. */
const char *mez_db_for_update(const mez_db_t *db);

/* " FOR NO KEY UPDATE" on PostgreSQL, "" on SQLite: as mez_db_for_update, for a row locked only to order the
 * transactions that rely on it (a payer's entity row while its payments are added up), which must not hold up the
 * rows that merely reference it (a new account's foreign key takes a KEY SHARE lock, which FOR UPDATE would block). */
const char *mez_db_for_no_key_update(const mez_db_t *db);

/* Whether an INSERT, UPDATE or DELETE may end in "RETURNING ..." and be run as a query (mez_db_query_row): on
 * PostgreSQL, which saves the round trip of reading back what was just written. SQLite gained RETURNING only in
 * 3.35, and some supported systems ship an older one (RHEL 9: 3.34), so there the caller reads back. */
int mez_db_has_returning(const mez_db_t *db);

/* Whether a WITH clause may hold an INSERT whose rows the main statement (an UPDATE) uses, so that two writes go to
 * the server as one statement: on PostgreSQL. SQLite has no data-modifying WITH; there the caller runs two. */
int mez_db_has_writable_cte(const mez_db_t *db);

/* Transactions: nothing is kept unless mez_db_commit() succeeds; clearing the pool first rolls back.
 * On SQLite the write lock is taken at BEGIN (BEGIN IMMEDIATE), so writers queue instead of deadlocking. */
typedef struct mez_db_tx_t mez_db_tx_t;
mez_status_t mez_db_begin(apr_pool_t *p, mez_db_t *db, mez_db_tx_t **tx, mez_problem_t *pb);
/* A read-only transaction over one snapshot of the database, for a reader whose statements must agree with each
 * other (the audit verifier reads the chain head, then every row in batches: a row a writer commits meanwhile must
 * be seen with the head that covers it or not at all). SQLite: BEGIN DEFERRED, whose first read fixes the snapshot
 * in WAL mode without holding writers up; PostgreSQL: REPEATABLE READ, READ ONLY. It keeps old row versions alive
 * while it lasts (WAL frames, dead tuples): for readers that finish. End it with mez_db_rollback. */
mez_status_t mez_db_begin_read(apr_pool_t *p, mez_db_t *db, mez_db_tx_t **tx, mez_problem_t *pb);
mez_status_t mez_db_commit(apr_pool_t *p, mez_db_tx_t *tx, mez_problem_t *pb);
void mez_db_rollback(apr_pool_t *p, mez_db_tx_t *tx);

/* Counts one audit row appended (audit.c calls it): in the open transaction, added to db->audit_rows if and when it
 * commits; with none open, at once (the statement committed by itself). */
void mez_db_count_audit_row(mez_db_t *db);

/* Rows the open transaction wrote, kept by a key their writer chooses (e.g. "mez_mass_entity/ent_..."), so that a
 * later read in the same transaction can take its row from here instead of waiting for the database (the approval
 * that follows a formation, one round trip). Sound because a row a transaction inserted or updated is locked by it
 * until it ends: nobody else can change it meanwhile, so the copy is what the database would answer, provided
 * every statement of the transaction that writes the row also remembers it (the key's owner sees to that; the
 * entity store keeps all its writes in one file for this reason). The columns are copied. Forgotten when the
 * transaction ends, committed or not; with no transaction open, remember keeps nothing and recall finds nothing.
 * recall returns 1 and fills cols[0..ncols-1] (in the transaction's pool) when the key is known with as many
 * columns. */
void mez_db_tx_remember(mez_db_t *db, const char *key, int ncols, const char *const *cols);
int mez_db_tx_recall(mez_db_t *db, const char *key, int ncols, const char **cols);

/* Schema version recorded in the database, 0 when the schema-version table does not exist. */
mez_status_t mez_db_schema_version(apr_pool_t *p, mez_db_t *db, int *version, mez_problem_t *pb);
/* Applies sql_dir/<driver>/NNNN_*.sql files above the current version, each in its own transaction.
 * *from and *to report the versions before and after. */
mez_status_t mez_db_migrate(apr_pool_t *p, mez_db_t *db, const char *sql_dir, int *from, int *to,
                            mez_problem_t *pb);

/* Records an issued credential (id may be NULL). Ed25519 is deterministic and `created` has one-second
 * resolution, so the same request repeated within a second yields the very same signed credential: that is
 * recorded once and *already_recorded (if not NULL) set to 1. A different credential reusing an id is refused
 * ("credential.duplicate_id", 409). */
mez_status_t mez_store_credential_insert(apr_pool_t *p, mez_db_t *db, const char *credential_id,
                                         const char *issuer, const char *digest, const char *body,
                                         int *already_recorded, mez_problem_t *pb);

/* Records two credentials issued together without ids (an action's ComplianceAttestation and its certificate)
 * in one statement: what mez_store_credential_insert() does for each (a digest recorded already stays as it
 * is), sent as mez_db_send() sends. */
mez_status_t mez_store_credential_insert_pair(apr_pool_t *p, mez_db_t *db, const char *issuer,
                                              const char *digest_a, const char *body_a, const char *digest_b,
                                              const char *body_b, mez_problem_t *pb);

/* Records a compliance evaluation (subject_id and attestation_digest may be NULL). */
mez_status_t mez_store_evaluation_insert(apr_pool_t *p, mez_db_t *db, const char *action_type,
                                         const char *jurisdiction, const char *subject_id, const char *decision,
                                         const char *commitment, const char *digest,
                                         const char *attestation_digest, const char *body, mez_problem_t *pb);

/* A recorded evaluation. body is the canonical JSON text of the evaluation (its SHA-256 is digest); seq orders
 * the records as they were committed. */
typedef struct mez_evaluation_record_t {
    apr_int64_t seq;
    const char *decision, *commitment, *digest, *attestation_digest, *evaluated_at, *action_type;
    const char *jurisdiction, *subject_id, *body;
} mez_evaluation_record_t;
/* The latest evaluation recorded for a subject in a jurisdiction (body not read). */
mez_status_t mez_store_evaluation_latest(apr_pool_t *p, mez_db_t *db, const char *jurisdiction,
                                         const char *subject_id, mez_evaluation_record_t *out, int *found,
                                         mez_problem_t *pb);

/* Which records mez_store_evaluation_list reads: each member NULL (or 0) for no condition. */
typedef struct mez_evaluation_filter_t {
    const char *decision;         /* a compliance state name: "non_compliant" for the refusals */
    const char *subject_id;
    const char *action_type;
    apr_int64_t before;           /* records with seq < before only (paging back), 0: from the newest */
    int limit;                    /* at most this many (1 when < 1) */
} mez_evaluation_filter_t;
/* Recorded evaluations, newest first, as mez_evaluation_record_t (body not read: a list is for finding one). */
mez_status_t mez_store_evaluation_list(apr_pool_t *p, mez_db_t *db, const mez_evaluation_filter_t *f,
                                       apr_array_header_t **out, mez_problem_t *pb);
/* One recorded evaluation with its body; *found 0 when there is none with that seq. */
mez_status_t mez_store_evaluation_get(apr_pool_t *p, mez_db_t *db, apr_int64_t seq, mez_evaluation_record_t *out,
                                      int *found, mez_problem_t *pb);
/* The record as JSON (new reference): its columns, and with the body as "evaluation" when it was read. */
json_t *mez_evaluation_record_json(const mez_evaluation_record_t *rec);

#endif
