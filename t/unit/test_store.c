/* test_store.c: CUnit suite for the store area: migrations, transactions and the credential record,
 * against a real SQLite file through apr_dbd's sqlite3 driver (PostgreSQL is covered by t/). */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "../../libmezcore/src/store_int.h"
#include "unit.h"

static const char *sql_dir(void)
{
    const char *d = getenv("MEZ_SQL_SOURCE");
    return d && *d ? d : "sql";
}

static mez_db_t *fresh_db(int migrate)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/t.sqlite", NULL),
                                      &db, &pb), MEZ_OK);
    if (migrate) {
        int from, to;
        CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql_dir(), &from, &to, &pb), MEZ_OK);
    }
    return db;
}

static int count(mez_db_t *db, const char *table)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, apr_pstrcat(unit_pool(), "SELECT COUNT(*) FROM ",
                                                                       table, NULL), &pb, NULL), MEZ_OK);
    return v ? atoi(v) : -1;
}

/* apr_dbd's %s become $1..$n in order, %% one %, and any other apr_dbd format is left to apr_dbd (NULL). */
static void test_pg_placeholders(void)
{
    apr_pool_t *p = unit_pool();
    int n = -1;
    char *t = mez_pg_placeholders(p, "SELECT a FROM t WHERE b = %s AND c > %s LIMIT 5", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(t, "SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT 5");
    CU_ASSERT_EQUAL(n, 2);
    t = mez_pg_placeholders(p, "SELECT %s, '100%%', 5 % 3", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(t, "SELECT $1, '100%', 5 % 3");
    CU_ASSERT_EQUAL(n, 1);
    /* Eleven parameters: the tenth and eleventh are two digits. */
    t = mez_pg_placeholders(p, "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", &n);
    CU_ASSERT_STRING_EQUAL(t, "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)");
    CU_ASSERT_EQUAL(n, 11);
    t = mez_pg_placeholders(p, "SELECT 1", &n);
    CU_ASSERT_STRING_EQUAL(t, "SELECT 1");
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(mez_pg_placeholders(p, "SELECT a FROM t WHERE b = %d", &n));
    CU_ASSERT_PTR_NULL(mez_pg_placeholders(p, "SELECT a FROM t WHERE b = %s AND c = %pDt", &n));
}

/* On SQLite (and on any connection without a session pool) mez_pg_run declines and sends nothing. */
/* A connection string's password never reaches a message (deploy's progress files, the admin API). */
static void test_params_redacted(void)
{
    static const struct { const char *in, *want; } cases[] = {
        { "host=db port=5432 dbname=z user=mez password=s3cret", "host=db port=5432 dbname=z user=mez password=***" },
        { "password='se cr\\'et' host=db", "password=*** host=db" },
        { "host=db password = plain sslmode=require", "host=db password=*** sslmode=require" },
        { "host=db passwordfile=/x user=u", "host=db passwordfile=/x user=u" },
        { "host=db password=", "host=db password=***" },
        { "postgresql://mez:s3cret@db:5432/z?sslmode=require", "postgresql://mez:***@db:5432/z?sslmode=require" },
        { "postgresql://mez@db/z?sslmode=require&password=s3cret&x=1",
          "postgresql://mez@db/z?sslmode=require&password=***&x=1" },
        { "postgresql://db/z", "postgresql://db/z" },
        { "password=a password=b password=c password=d password=e password=f password=g password=h password=i "
          "password=real", "password=*** password=*** password=*** password=*** password=*** password=*** "
          "password=*** password=*** password=*** password=***" },
        { "host=db\npassword=s3cret", "host=db\npassword=***" },
        { "password=se\\ cret host=db", "password=*** host=db" },
        { "password=", "password=***" },
        { "a:", "a:" },
        { "/var/lib/mez/zone.sqlite", "/var/lib/mez/zone.sqlite" },
        { "", "" },
    };
    mez_db_t *db = NULL;
    mez_problem_t pb = { 0 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = mez_db_params_redacted(unit_pool(), cases[i].in);
        if (strcmp(got, cases[i].want))
            fprintf(stderr, "\n'%s' -> '%s', not '%s'\n", cases[i].in, got, cases[i].want);
        CU_ASSERT_STRING_EQUAL(got, cases[i].want);
    }
    /* And the refusal to connect says where, not with what. */
    if (mez_db_open(unit_pool(), "pgsql", "host=127.0.0.1 port=1 dbname=z user=u password=s3cret connect_timeout=2",
                    &db, &pb) != MEZ_OK) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.detail);
        CU_ASSERT_PTR_NULL(strstr(pb.detail, "s3cret"));
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "password=***"));
    }
}

static void test_pg_run_not_pgsql(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    const char *args[1] = { "x" };
    apr_array_header_t *rows = NULL;
    int handled = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(db->session_pool);
    CU_ASSERT_EQUAL(mez_pg_run(unit_pool(), db, "SELECT %s", args, 1, 1, 0, &rows, NULL, &handled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(handled, 0);
    CU_ASSERT_PTR_NULL(rows);
}

/* The migration files of the sqlite3 driver (NNNN_*.sql), as mez db migrate lists them. */
static int migration_files(void)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;
    CU_ASSERT_EQUAL_FATAL(apr_dir_open(&d, apr_pstrcat(unit_pool(), sql_dir(), "/sqlite3", NULL), unit_pool()),
                          APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS)
        n += fi.filetype == APR_REG && strlen(fi.name) > 9 && fi.name[4] == '_'
             && !strcmp(fi.name + strlen(fi.name) - 4, ".sql");
    apr_dir_close(d);
    return n;
}

static void test_migrate_from_empty_and_again(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    int v = -1, from = -1, to = -1;
    CU_ASSERT_EQUAL(mez_db_schema_version(unit_pool(), db, &v, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(mez_db_migrate(unit_pool(), db, sql_dir(), &from, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(from, 0);
    CU_ASSERT_EQUAL(to, MEZ_SCHEMA_VERSION);
    /* A second run finds nothing to do and changes nothing. */
    CU_ASSERT_EQUAL(mez_db_migrate(unit_pool(), db, sql_dir(), &from, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(from, MEZ_SCHEMA_VERSION);
    CU_ASSERT_EQUAL(to, MEZ_SCHEMA_VERSION);
    /* One row per migration file (numbers may skip one that another branch owns), the last one the build's. */
    CU_ASSERT_EQUAL(count(db, "mez_schema_version"), migration_files());
    {
        const char *max = NULL;
        CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &max, "SELECT MAX(version) FROM mez_schema_version", &pb,
                                           NULL), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(max ? max : "", apr_itoa(unit_pool(), MEZ_SCHEMA_VERSION));
    }
}

static void test_migrate_missing_dir(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    int from, to;
    CU_ASSERT_EQUAL(mez_db_migrate(unit_pool(), db, "/nonexistent/sql", &from, &to, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.migrations_missing");
}

static void test_broken_migration_rolls_back(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(1);
    const char *dir = unit_tmpdir();
    const char *sub = apr_pstrcat(unit_pool(), dir, "/sqlite3", NULL);
    apr_file_t *f;
    int from, to, v;
    /* On top of the shipped schema, a step 99 whose second statement fails must leave no trace. */
    CU_ASSERT_EQUAL_FATAL(apr_dir_make(sub, APR_OS_DEFAULT, unit_pool()), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, apr_pstrcat(unit_pool(), sub, "/0099_broken.sql", NULL),
                                        APR_FOPEN_WRITE | APR_FOPEN_CREATE, APR_OS_DEFAULT, unit_pool()),
                          APR_SUCCESS);
    apr_file_puts("CREATE TABLE mez_half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n", f);
    apr_file_close(f);
    CU_ASSERT_EQUAL(mez_db_migrate(unit_pool(), db, dir, &from, &to, &pb), MEZ_EIO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.detail);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "0099_broken"));
    CU_ASSERT_EQUAL(mez_db_schema_version(unit_pool(), db, &v, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(v, MEZ_SCHEMA_VERSION);
    {
        const char *n = NULL;
        mez_db_query_value(unit_pool(), db, &n,
                           "SELECT COUNT(*) FROM sqlite_master WHERE name = 'mez_half'", &pb, NULL);
        CU_ASSERT_STRING_EQUAL(n, "0");
    }
}

static void test_credential_insert_and_duplicate(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(1);
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, "urn:uuid:1", "did:key:z6Mkx",
                                                "sha256:00", "{}", NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, NULL, "did:key:z6Mkx", "sha256:01", "{}", NULL, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 2);
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, "urn:uuid:1", "did:key:z6Mkx",
                                                "sha256:02", "{}", NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "credential.duplicate_id");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credential/id");
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 2);
    {
        const char *n = NULL;
        mez_db_query_value(unit_pool(), db, &n,
                           "SELECT COUNT(*) FROM mez_credential WHERE credential_id IS NULL", &pb, NULL);
        CU_ASSERT_STRING_EQUAL(n, "1");
    }
}

static void test_transaction_rollback_and_commit(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(1);
    mez_db_tx_t *tx;
    apr_pool_t *sub;

    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, NULL, "i", "sha256:a", "{}", NULL, &pb), MEZ_OK);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 0);

    /* A transaction whose pool goes away without a commit must roll back, never commit. */
    apr_pool_create(&sub, unit_pool());
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(sub, db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_store_credential_insert(sub, db, NULL, "i", "sha256:b", "{}", NULL, &pb), MEZ_OK);
    apr_pool_destroy(sub);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 0);

    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, NULL, "i", "sha256:c", "{}", NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 1);
}

static void test_open_errors(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    CU_ASSERT_EQUAL(mez_db_open(unit_pool(), "oracle", "x", &db, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.unsupported_driver");
    CU_ASSERT_EQUAL(mez_db_open(unit_pool(), "sqlite3", "/nonexistent/dir/x.sqlite", &db, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.unreachable");
}

static void test_identical_credential_recorded_once(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(1);
    int again = -1;
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, "urn:uuid:7", "i", "sha256:07", "{}", &again, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(again, 0);
    /* The same signed credential again (same request within the same second): one record, no error. */
    CU_ASSERT_EQUAL(mez_store_credential_insert(unit_pool(), db, "urn:uuid:7", "i", "sha256:07", "{}", &again, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(again, 1);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 1);
}

/* Two credentials issued together go in one statement; a pair of which one or both are there already (the same
 * request within a second) is recorded as each would be alone: nothing twice, nothing refused. */
static void test_credential_pair(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(1);
    const char *v = NULL;
    CU_ASSERT_EQUAL(mez_store_credential_insert_pair(unit_pool(), db, "did:key:z6Mkx", "sha256:a1", "{\"a\":1}",
                                                     "sha256:b1", "{\"b\":1}", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 2);
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT body FROM mez_credential WHERE digest = %s", &pb,
                                       "sha256:b1", NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v, "{\"b\":1}");
    /* Both again, then one old and one new. */
    CU_ASSERT_EQUAL(mez_store_credential_insert_pair(unit_pool(), db, "did:key:z6Mkx", "sha256:a1", "{\"a\":1}",
                                                     "sha256:b1", "{\"b\":1}", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 2);
    CU_ASSERT_EQUAL(mez_store_credential_insert_pair(unit_pool(), db, "did:key:z6Mkx", "sha256:a1", "{\"a\":1}",
                                                     "sha256:c1", "{\"c\":1}", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "mez_credential"), 3);
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT COUNT(*) FROM mez_credential WHERE digest = %s",
                                       &pb, "sha256:c1", NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v, "1");
}

/* A statement whose values are counted at run time: three rows of eight values in one INSERT (more than the
 * variadic form takes), SQL NULL by marker, a wrong count refused by the database, nothing half written. */
static void test_exec_array_multi_row(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    const char *args[24], *v = NULL;
    int n = 0;
    CU_ASSERT_EQUAL_FATAL(mez_db_exec(unit_pool(), db, "CREATE TABLE t (a, b, c, d, e, f, g, h)", &pb), MEZ_OK);
    for (int i = 0; i < 24; i++)
        args[i] = i == 13 ? MEZ_DB_NULL : apr_itoa(unit_pool(), i);
    CU_ASSERT_EQUAL(mez_db_exec_array(unit_pool(), db, &n,
                                      "INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s, %s), "
                                      "(%s, %s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s, %s)",
                                      24, args, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(count(db, "t"), 3);
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT COUNT(*) FROM t WHERE f IS NULL", &pb, NULL),
                    MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v, "1");
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT h FROM t WHERE a = '16'", &pb, NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(v, "23");
    /* The caller's array is left as it was (the NULL marker is mapped in a copy). */
    CU_ASSERT_PTR_EQUAL(args[13], MEZ_DB_NULL);
    CU_ASSERT_NOT_EQUAL(mez_db_exec_array(unit_pool(), db, NULL, "INSERT INTO t VALUES (%s, %s)", 2, args, &pb),
                        MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "t"), 3);
    /* The variadic form takes at most 16: more is refused with a code, not run with the rest cut off. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s, %s), "
                                 "(%s, %s, %s, %s, %s, %s, %s, %s), (%s, %s, %s, %s, %s, %s, %s, %s)", &pb,
                                 args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8],
                                 args[9], args[10], args[11], args[12], args[14], args[15], args[16], args[17],
                                 NULL), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.too_many_arguments");
    CU_ASSERT_EQUAL(count(db, "t"), 3);
}

/* mez_db_send where there is no pipeline (SQLite, as PostgreSQL outside a transaction): the statement runs at
 * once, its error is the call's own, and inside a transaction it is rolled back with the rest. */
static void test_send_runs_at_once_without_a_pipeline(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    mez_db_tx_t *tx = NULL;
    const char *args[4] = { "1", "2", "3", MEZ_DB_NULL };
    CU_ASSERT_EQUAL_FATAL(mez_db_exec(unit_pool(), db, "CREATE TABLE t (a UNIQUE, b)", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_send(unit_pool(), db, "INSERT INTO t VALUES (%s, %s)", &pb, "0", "x", NULL), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "t"), 1);
    CU_ASSERT_EQUAL(mez_db_send(unit_pool(), db, "INSERT INTO t VALUES (%s, %s)", &pb, "0", "y", NULL), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.error");
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_send_array(unit_pool(), db, "INSERT INTO t VALUES (%s, %s), (%s, %s)", 4, args, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "t"), 3);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(count(db, "t"), 1);
    /* More than 16 values through the variadic form is refused, as for mez_db_execv. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_db_send(unit_pool(), db, "INSERT INTO t VALUES (%s, %s)", &pb, "a", "b", "c", "d", "e",
                                "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", NULL), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.too_many_arguments");
    CU_ASSERT_EQUAL(count(db, "t"), 1);
}

/* Without a pipeline (SQLite here) an INSERT sent with its conflict runs at once as ON CONFLICT DO NOTHING: a
 * row the unique index refuses is reported as taken (the caller answers it), not as an error, and inside a
 * transaction that goes on; the conflict's problem is PostgreSQL's pipeline's to report (t/test_pg_pipeline.py). */
static void test_send_insert_without_a_pipeline(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    mez_db_tx_t *tx = NULL;
    const mez_db_conflict_t conflict = { 409, "thing.taken", "/name", "the name is taken" };
    int taken = -1;
    CU_ASSERT_EQUAL_FATAL(mez_db_exec(unit_pool(), db, "CREATE TABLE u (name TEXT UNIQUE, v TEXT)", &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_send_insert(unit_pool(), db, &conflict, &taken, "INSERT INTO u VALUES (%s, %s)", &pb,
                                       "a", "1", NULL), MEZ_OK);
    CU_ASSERT_EQUAL(taken, 0);
    CU_ASSERT_EQUAL(mez_db_send_insert(unit_pool(), db, &conflict, &taken, "INSERT INTO u VALUES (%s, %s)", &pb,
                                       "a", "2", NULL), MEZ_OK);
    CU_ASSERT_EQUAL(taken, 1);
    CU_ASSERT_PTR_NULL(pb.code);
    CU_ASSERT_EQUAL(mez_db_send_insert(unit_pool(), db, &conflict, &taken, "INSERT INTO u VALUES (%s, %s)", &pb,
                                       "b", MEZ_DB_NULL, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(taken, 0);
    CU_ASSERT_EQUAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count(db, "u"), 2);
    CU_ASSERT_EQUAL(count(db, "u WHERE v IS NULL"), 1);
    CU_ASSERT_EQUAL(mez_db_send_insert(unit_pool(), db, &conflict, &taken, "INSERT INTO u VALUES (%s, %s)", &pb,
                                       "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
                                       "q", NULL), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "db.too_many_arguments");
}

/* What a transaction remembers of the rows it wrote is its own: nothing outside a transaction, a copy of the
 * columns inside (the caller's strings may change after), the last remembered row per key, nothing under a key with
 * another column count, and nothing once it has ended, committed or rolled back. */
static void test_transaction_remembers_its_rows(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = fresh_db(0);
    mez_db_tx_t *tx = NULL;
    char status[16] = "DRAFT";
    const char *cols[3] = { "ent_1", status, NULL }, *got[3] = { 0 };

    mez_db_tx_remember(db, "row/ent_1", 3, cols);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 0);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 0);
    mez_db_tx_remember(db, "row/ent_1", 3, cols);
    strcpy(status, "CHANGED");
    CU_ASSERT_EQUAL_FATAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 1);
    CU_ASSERT_STRING_EQUAL(got[0], "ent_1");
    CU_ASSERT_STRING_EQUAL(got[1], "DRAFT");
    CU_ASSERT_PTR_NULL(got[2]);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 2, got), 0);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_2", 3, got), 0);
    cols[1] = "ACTIVE";
    mez_db_tx_remember(db, "row/ent_1", 3, cols);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 1);
    CU_ASSERT_STRING_EQUAL(got[1], "ACTIVE");
    CU_ASSERT_EQUAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 0);
    /* The next transaction starts with nothing, and a rolled-back one forgets what it remembered. */
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 0);
    mez_db_tx_remember(db, "row/ent_1", 3, cols);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 1);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(mez_db_tx_recall(db, "row/ent_1", 3, got), 0);
    CU_ASSERT_PTR_NULL(db->tx);
}

static void test_where_names_only_what_was_asked(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_where_t none = MEZ_DB_WHERE_INIT, w = MEZ_DB_WHERE_INIT;
    CU_ASSERT_STRING_EQUAL(none.sql, "");
    CU_ASSERT_EQUAL(none.nargs, 0);
    mez_db_where_add(p, &w, "status = %s", "ACTIVE");
    CU_ASSERT_STRING_EQUAL(w.sql, " WHERE status = %s");
    mez_db_where_add(p, &w, "seq < %s", "42");
    CU_ASSERT_STRING_EQUAL(w.sql, " WHERE status = %s AND seq < %s");
    CU_ASSERT_EQUAL_FATAL(w.nargs, 2);
    CU_ASSERT_STRING_EQUAL(w.args[0], "ACTIVE");
    CU_ASSERT_STRING_EQUAL(w.args[1], "42");
}

void unit_register_store(void)
{
    CU_pSuite s = unit_suite("store");
    CU_add_test(s, "migrate from empty, then again", test_migrate_from_empty_and_again);
    CU_add_test(s, "PostgreSQL placeholders from apr_dbd's", test_pg_placeholders);
    CU_add_test(s, "statements of a connection without PostgreSQL run through apr_dbd", test_pg_run_not_pgsql);
    CU_add_test(s, "a connection string's password never reaches a message", test_params_redacted);
    CU_add_test(s, "migrations directory missing", test_migrate_missing_dir);
    CU_add_test(s, "a failing migration leaves no trace", test_broken_migration_rolls_back);
    CU_add_test(s, "credential insert and duplicate id", test_credential_insert_and_duplicate);
    CU_add_test(s, "transactions roll back unless committed", test_transaction_rollback_and_commit);
    CU_add_test(s, "open errors", test_open_errors);
    CU_add_test(s, "an identical credential is recorded once", test_identical_credential_recorded_once);
    CU_add_test(s, "two credentials in one statement; a recorded digest stays as it is", test_credential_pair);
    CU_add_test(s, "a statement of values counted at run time", test_exec_array_multi_row);
    CU_add_test(s, "a list's WHERE names only the conditions asked for", test_where_names_only_what_was_asked);
    CU_add_test(s, "a write sent without a pipeline runs at once", test_send_runs_at_once_without_a_pipeline);
    CU_add_test(s, "a transaction remembers the rows it wrote, until it ends", test_transaction_remembers_its_rows);
    CU_add_test(s, "an INSERT sent with its conflict, without a pipeline: taken, not an error",
                test_send_insert_without_a_pipeline);
}
