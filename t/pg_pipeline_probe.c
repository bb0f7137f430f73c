/* pg_pipeline_probe.c: a test helper (t/test_pg_pipeline.py) that drives libmezcore's PostgreSQL pipeline
 * (store_pg.c) directly, where the request paths cannot show what it does. One line per step on stdout
 * ("<step> <status> <code> <detail>"); exit 1 at the first step that answers otherwise than it must.
 *
 *   pg-pipeline-probe lost-tx <conninfo> <table>
 *     Loses the server session in the middle of a pipelined transaction. A row is sent (mez_db_send: queued on
 *     the pipeline), then the transaction's next query ends its own server session (pg_terminate_backend).
 *     libpq cannot finish the pipeline, so store_pg.c resets the connection; the transaction is gone with the
 *     old session. What must follow: that query fails; a later statement of the same transaction, and its
 *     COMMIT, are refused rather than run (or "committed") on the new session; once the caller has ended the
 *     transaction, the next one works on the new session.
 *
 *   pg-pipeline-probe flush|hold <conninfo> <table>
 *     Sends a row inside a transaction and, with flush, hands it to the server (mez_db_flush); prints
 *     "sent <backend pid>" and waits for a line on stdin, so that the test can look at the server meanwhile
 *     (has that backend begun a transaction and written?), then commits and prints what the COMMIT answered. */
#include <stdio.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "mez/store.h"

static int said(const char *step, mez_status_t rv, const mez_problem_t *pb)
{
    printf("%s %d %s %s\n", step, rv == MEZ_OK ? 0 : pb->status, rv == MEZ_OK ? "-" : pb->code ? pb->code : "-",
           rv == MEZ_OK ? "" : pb->detail ? pb->detail : "");
    fflush(stdout);
    return rv == MEZ_OK;
}

static int expect_refused(const char *step, mez_status_t rv, mez_problem_t *pb)
{
    int ok = !said(step, rv, pb) && pb->status == 503 && pb->code && !strcmp(pb->code, "db.error");
    memset(pb, 0, sizeof(*pb));
    if (!ok)
        fprintf(stderr, "pg-pipeline-probe: %s was not refused with 503 db.error\n", step);
    return ok;
}

static int expect_ok(const char *step, mez_status_t rv, mez_problem_t *pb)
{
    if (said(step, rv, pb))
        return 1;
    fprintf(stderr, "pg-pipeline-probe: %s failed\n", step);
    return 0;
}

static int lost_tx(apr_pool_t *p, const char *conninfo, const char *table)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    mez_db_tx_t *tx = NULL;
    const char *value = NULL;
    int n = 0;

    if (!expect_ok("open", mez_db_open(p, "pgsql", conninfo, &db, &pb), &pb)
        || !expect_ok("create", mez_db_exec(p, db, apr_psprintf(p, "CREATE TABLE %s (v TEXT)", table), &pb), &pb)
        || !expect_ok("begin", mez_db_begin(p, db, &tx, &pb), &pb)
        || !expect_ok("send", mez_db_send(p, db, apr_psprintf(p, "INSERT INTO %s VALUES (%%s)", table), &pb, "lost",
                                          NULL), &pb)
        || !expect_refused("terminate", mez_db_query_value(p, db, &value, "SELECT pg_terminate_backend("
                                                           "pg_backend_pid())::text", &pb, NULL), &pb)
        /* The transaction went with the old session: neither a write nor a read of it may run on the new one. */
        || !expect_refused("after", mez_db_execv(p, db, &n, apr_psprintf(p, "INSERT INTO %s VALUES (%%s)", table),
                                                 &pb, "after", NULL), &pb)
        || !expect_refused("read", mez_db_query_value(p, db, &value, apr_psprintf(p, "SELECT COUNT(*) FROM %s",
                                                                                   table), &pb, NULL), &pb)
        || !expect_refused("commit", mez_db_commit(p, tx, &pb), &pb))
        return 1;
    mez_db_rollback(p, tx);    /* the failed commit rolled back already: a second end is harmless */
    if (!expect_ok("begin-again", mez_db_begin(p, db, &tx, &pb), &pb)
        || !expect_ok("send-again", mez_db_send(p, db, apr_psprintf(p, "INSERT INTO %s VALUES (%%s)", table), &pb,
                                                "next", NULL), &pb)
        || !expect_ok("commit-again", mez_db_commit(p, tx, &pb), &pb)
        || !expect_ok("count", mez_db_query_value(p, db, &value, apr_psprintf(p, "SELECT string_agg(v, ',') FROM %s",
                                                                               table), &pb, NULL), &pb))
        return 1;
    printf("rows %s\n", value ? value : "");
    return 0;
}

static int flush(apr_pool_t *p, const char *conninfo, const char *table, int hand_over)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    mez_db_tx_t *tx = NULL;
    const char *pid = NULL;
    char line[16];

    if (!expect_ok("open", mez_db_open(p, "pgsql", conninfo, &db, &pb), &pb)
        || !expect_ok("create", mez_db_exec(p, db, apr_psprintf(p, "CREATE TABLE %s (v TEXT PRIMARY KEY)", table),
                                            &pb), &pb)
        || !expect_ok("pid", mez_db_query_value(p, db, &pid, "SELECT pg_backend_pid()::text", &pb, NULL), &pb)
        || !expect_ok("begin", mez_db_begin(p, db, &tx, &pb), &pb)
        || !expect_ok("send", mez_db_send(p, db, apr_psprintf(p, "INSERT INTO %s VALUES (%%s)", table), &pb,
                                          "early", NULL), &pb))
        return 1;
    if (hand_over)
        mez_db_flush(db);
    printf("sent %s\n", pid ? pid : "");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        return 1;
    said("commit", mez_db_commit(p, tx, &pb), &pb);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    int rc;

    if (argc != 4 || (strcmp(argv[1], "lost-tx") && strcmp(argv[1], "flush") && strcmp(argv[1], "hold"))) {
        fprintf(stderr, "usage: pg-pipeline-probe lost-tx|flush|hold <conninfo> <table>\n");
        return 2;
    }
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    rc = !strcmp(argv[1], "lost-tx") ? lost_tx(p, argv[2], argv[3]) : flush(p, argv[2], argv[3],
                                                                          !strcmp(argv[1], "flush"));
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
