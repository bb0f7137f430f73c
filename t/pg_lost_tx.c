/* pg_lost_tx.c: a test helper (t/test_pg_pipeline.py) that loses its PostgreSQL session in the middle of a
 * pipelined transaction, through libmezcore alone, and says what the store answered at each step:
 *   pg-lost-tx <conninfo> <table>
 * A row is sent (mez_db_send: queued on the pipeline), then the transaction's next query ends its own server
 * session (pg_terminate_backend). libpq cannot finish the pipeline, so store_pg.c resets the connection; the
 * transaction is gone with the old session. What must follow: that query fails; a later statement of the same
 * transaction, and its COMMIT, are refused rather than run (or "committed") on the new session; once the caller
 * has ended the transaction, the next one works on the new session. One line per step on stdout
 * ("<step> <status> <code> <detail>"); exit 1 at the first step that answers otherwise. */
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
        fprintf(stderr, "pg-lost-tx: %s was not refused with 503 db.error\n", step);
    return ok;
}

static int expect_ok(const char *step, mez_status_t rv, mez_problem_t *pb)
{
    if (said(step, rv, pb))
        return 1;
    fprintf(stderr, "pg-lost-tx: %s failed\n", step);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    mez_db_tx_t *tx = NULL;
    const char *value = NULL, *table;
    int n = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: pg-lost-tx <conninfo> <table>\n");
        return 2;
    }
    table = argv[2];
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    if (!expect_ok("open", mez_db_open(p, "pgsql", argv[1], &db, &pb), &pb)
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
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
