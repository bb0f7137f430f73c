/* test_audit.c: CUnit suite for the hash-chained audit table (mez/audit.h) on a real SQLite file: appends chain,
 * only committed appends exist, and verification names each kind of tampering (changed row, deleted row, broken
 * link, rows cut off the end). PostgreSQL and the HTTP wiring are covered by t/test_audit.py. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/store.h"
#include "unit.h"

/* A migrated database in a file of its own; *file (may be NULL) its name, for a second connection. */
static mez_db_t *audit_db_file(const char **file)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE"), *name;
    int from, to;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    name = apr_pstrcat(unit_pool(), dir, "/a.sqlite", NULL);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", name, &db, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    if (file)
        *file = name;
    return db;
}

static mez_db_t *audit_db(void)
{
    return audit_db_file(NULL);
}

static void exec(mez_db_t *db, const char *sql)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_db_exec(unit_pool(), db, sql, &pb), MEZ_OK);
}

static int rows(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT COUNT(*) FROM mez_audit", &pb, NULL), MEZ_OK);
    return v ? atoi(v) : -1;
}

/* The chain's last row, as read back. */
static mez_audit_row_t last_row(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *list;
    const char *seq = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_db_query_value(unit_pool(), db, &seq, "SELECT MAX(seq) FROM mez_audit", &pb, NULL),
                          MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seq);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, apr_atoi64(seq), 1, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 1);
    return APR_ARRAY_IDX(list, 0, mez_audit_row_t);
}

/* Appends one event in its own transaction, committed; the row as read back. */
static mez_audit_row_t append(mez_db_t *db, const char *action, const char *resource_id)
{
    mez_problem_t pb = { 0 };
    mez_db_tx_t *tx;
    mez_audit_event_t ev = { "zone-a", 0, "tok_0123456789abcdef", action, "credential", resource_id, "committed",
                             "req_1", NULL };
    json_t *detail = mez_json_pool_own(unit_pool(), json_pack("{s:s,s:i}", "digest", "sha256:ab", "n", 7));
    ev.detail = detail;
    ev.at = apr_time_from_sec(1767225600); /* 2026-01-01T00:00:00Z */
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    return last_row(db);
}

static mez_audit_report_t verify(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    mez_audit_report_t rep;
    CU_ASSERT_EQUAL_FATAL(mez_audit_verify(unit_pool(), db, &rep, &pb), MEZ_OK);
    return rep;
}

static const mez_audit_finding_t *only_finding(const mez_audit_report_t *rep)
{
    CU_ASSERT_EQUAL_FATAL(rep->findings->nelts, 1);
    return &APR_ARRAY_IDX(rep->findings, 0, mez_audit_finding_t);
}

/* Whoever can drop the triggers can edit rows: exactly the tampering verify must catch. */
static void drop_guards(mez_db_t *db)
{
    exec(db, "DROP TRIGGER mez_audit_no_update");
    exec(db, "DROP TRIGGER mez_audit_no_delete");
}

static void test_append_chains(void)
{
    mez_db_t *db = audit_db();
    mez_audit_row_t a = append(db, "credential.issue", "urn:uuid:1");
    mez_audit_row_t b = append(db, "credential.issue", "urn:uuid:2");
    mez_audit_row_t c = append(db, "compliance.evaluate", NULL);
    mez_audit_report_t rep;
    const char *want = NULL, *text;
    json_t *obj;
    mez_digest_t d;

    CU_ASSERT_EQUAL(a.seq, 1);
    CU_ASSERT_EQUAL(b.seq, 2);
    CU_ASSERT_EQUAL(c.seq, 3);
    CU_ASSERT_STRING_EQUAL(a.prev_hash, MEZ_AUDIT_GENESIS);
    CU_ASSERT_STRING_EQUAL(b.prev_hash, a.hash);
    CU_ASSERT_STRING_EQUAL(c.prev_hash, b.hash);
    CU_ASSERT_STRING_EQUAL(a.at, "2026-01-01T00:00:00Z");
    CU_ASSERT_STRING_EQUAL(a.detail, "{\"digest\":\"sha256:ab\",\"n\":7}");
    /* Scheme 2, written out here independently: the content is sha256 over the canonical object of the row's
     * members but seq, prev_hash, hash and hash_scheme; the hash is sha256 of prev_hash "\n" seq "\n" content. */
    CU_ASSERT_EQUAL(c.hash_scheme, 2);
    obj = mez_json_pool_own(unit_pool(), json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:s,s:s,s:{s:s,s:i}}",
                                                   "zone_id", "zone-a", "at", "2026-01-01T00:00:00Z", "actor",
                                                   "tok_0123456789abcdef", "action", "compliance.evaluate",
                                                   "resource_type", "credential", "resource_id", "outcome",
                                                   "committed", "request_id", "req_1", "detail", "digest",
                                                   "sha256:ab", "n", 7));
    CU_ASSERT_EQUAL(mez_digest_json(unit_pool(), obj, &d, NULL), MEZ_OK);
    text = apr_pstrcat(unit_pool(), b.hash, "\n3\n", mez_digest_format(unit_pool(), &d), NULL);
    mez_digest_sha256(text, strlen(text), &d);
    CU_ASSERT_STRING_EQUAL(c.hash, mez_digest_format(unit_pool(), &d));
    CU_ASSERT_EQUAL(mez_audit_row_hash(unit_pool(), &c, &want, NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(want, c.hash);
    rep = verify(db);
    CU_ASSERT_EQUAL(rep.rows, 3);
    CU_ASSERT_EQUAL(rep.last_seq, 3);
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
}

static void test_rolled_back_append_leaves_nothing(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_db_tx_t *tx;
    mez_audit_event_t ev = { "zone-a", 0, "anonymous", "credential.issue", NULL, NULL, "committed", NULL, NULL };
    append(db, "credential.issue", "urn:uuid:1");
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(last_row(db).seq, 2);   /* inside the transaction */
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(rows(db), 1);
    /* The head rolled back with the row: the next committed append is seq 2, and the chain is whole. */
    CU_ASSERT_EQUAL(append(db, "credential.issue", "urn:uuid:3").seq, 2);
    CU_ASSERT_EQUAL(verify(db).findings->nelts, 0);
}

static void test_invalid_event_refused(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_audit_event_t ev = { "zone-a", 0, NULL, "credential.issue", NULL, NULL, "committed", NULL, NULL };
    json_t *arr = mez_json_pool_own(unit_pool(), json_array());
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    ev.actor = "anonymous";
    ev.detail = arr;
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(rows(db), 0);
}

static void test_rows_are_guarded(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    append(db, "credential.issue", "urn:uuid:1");
    CU_ASSERT_NOT_EQUAL(mez_db_exec(unit_pool(), db, "UPDATE mez_audit SET actor = 'x'", &pb), MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_db_exec(unit_pool(), db, "DELETE FROM mez_audit", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rows(db), 1);
    CU_ASSERT_EQUAL(verify(db).findings->nelts, 0);
}

static void test_changed_row_named(void)
{
    mez_db_t *db = audit_db();
    const mez_audit_finding_t *f;
    mez_audit_report_t rep;
    for (int i = 0; i < 4; i++)
        append(db, "credential.issue", "urn:uuid:x");
    drop_guards(db);
    exec(db, "UPDATE mez_audit SET outcome = 'denied' WHERE seq = 2");
    rep = verify(db);
    f = only_finding(&rep);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_HASH_MISMATCH);
    CU_ASSERT_EQUAL(f->seq, 2);
    CU_ASSERT_STRING_EQUAL(f->message, "seq 2: hash mismatch (the row was changed)");
}

static void test_changed_detail_named(void)
{
    mez_db_t *db = audit_db();
    mez_audit_report_t rep;
    for (int i = 0; i < 3; i++)
        append(db, "credential.issue", "urn:uuid:x");
    drop_guards(db);
    exec(db, "UPDATE mez_audit SET detail = '{\"digest\":\"sha256:cd\",\"n\":7}' WHERE seq = 3");
    rep = verify(db);
    CU_ASSERT_EQUAL(only_finding(&rep)->fault, MEZ_AUDIT_HASH_MISMATCH);
    CU_ASSERT_EQUAL(only_finding(&rep)->seq, 3);
}

static void test_deleted_row_named(void)
{
    mez_db_t *db = audit_db();
    const mez_audit_finding_t *f;
    mez_audit_report_t rep;
    for (int i = 0; i < 5; i++)
        append(db, "credential.issue", "urn:uuid:x");
    drop_guards(db);
    exec(db, "DELETE FROM mez_audit WHERE seq IN (2, 3)");
    rep = verify(db);
    f = only_finding(&rep);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_GAP);
    CU_ASSERT_EQUAL(f->seq, 1);
    CU_ASSERT_EQUAL(f->next_seq, 4);
    CU_ASSERT_STRING_EQUAL(f->message, "gap after seq 1: seq 2..3 are missing (deleted)");
}

static void test_deleted_first_and_last_rows_named(void)
{
    mez_db_t *db = audit_db();
    mez_audit_report_t rep;
    const mez_audit_finding_t *f;
    for (int i = 0; i < 4; i++)
        append(db, "credential.issue", "urn:uuid:x");
    drop_guards(db);
    exec(db, "DELETE FROM mez_audit WHERE seq IN (1, 4)");
    rep = verify(db);
    CU_ASSERT_EQUAL_FATAL(rep.findings->nelts, 2);
    f = &APR_ARRAY_IDX(rep.findings, 0, mez_audit_finding_t);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_GAP);
    CU_ASSERT_STRING_EQUAL(f->message, "gap after seq 0: seq 1 is missing (deleted)");
    f = &APR_ARRAY_IDX(rep.findings, 1, mez_audit_finding_t);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_TRUNCATED);
    CU_ASSERT_EQUAL(f->seq, 3);
    CU_ASSERT_EQUAL(f->next_seq, 4);
}

/* A forger who rewrites a row and recomputes its hash keeps that row consistent, but the next row's link breaks. */
static void test_broken_link_named(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_audit_row_t b;
    const char *forged = NULL;
    mez_audit_report_t rep;
    const mez_audit_finding_t *f;
    append(db, "credential.issue", "urn:uuid:1");
    b = append(db, "credential.issue", "urn:uuid:2");
    append(db, "credential.issue", "urn:uuid:3");
    drop_guards(db);
    b.actor = "someone-else";
    CU_ASSERT_EQUAL_FATAL(mez_audit_row_hash(unit_pool(), &b, &forged, NULL), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_audit SET actor = %s, hash = %s WHERE seq = 2",
                                       &pb, b.actor, forged, NULL), MEZ_OK);
    rep = verify(db);
    f = only_finding(&rep);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_BROKEN_LINK);
    CU_ASSERT_EQUAL(f->seq, 3);
    CU_ASSERT_STRING_EQUAL(f->message, "seq 3: broken link (prev_hash is not the hash of seq 2)");
}

/* n rows appended after the chain's head as a build from before schema 14 writes them: hash scheme 1 (the whole
 * row, seq and prev_hash included, hashed in one, computed here independently), the hash_scheme column left to
 * its default. */
static void legacy_rows(mez_db_t *db, int n)
{
    mez_problem_t pb = { 0 };
    const char *head[2];
    int found = 0;
    CU_ASSERT_EQUAL_FATAL(mez_db_query_row(unit_pool(), db, head, 2, &found, "SELECT seq, hash FROM mez_audit_head",
                                           &pb, NULL), MEZ_OK);
    for (int i = atoi(head[0]) + 1, last = i + n - 1; i <= last; i++) {
        json_t *obj = mez_json_pool_own(unit_pool(), json_pack("{s:i,s:s,s:s,s:s,s:s,s:n,s:n,s:s,s:n,s:{},s:s}",
                                                               "seq", i, "zone_id", "zone-a", "at",
                                                               "2025-12-31T23:59:59Z", "actor", "cli:root", "action",
                                                               "token.create", "resource_type", "resource_id",
                                                               "outcome", "committed", "request_id", "detail",
                                                               "prev_hash", head[1]));
        mez_digest_t d;
        const char *hash, *seq = apr_itoa(unit_pool(), i);
        CU_ASSERT_EQUAL_FATAL(mez_digest_json(unit_pool(), obj, &d, NULL), MEZ_OK);
        hash = mez_digest_format(unit_pool(), &d);
        CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL, "INSERT INTO mez_audit (seq, zone_id, at, actor, "
                                           "action, outcome, detail, prev_hash, hash) VALUES (%s, 'zone-a', "
                                           "'2025-12-31T23:59:59Z', 'cli:root', 'token.create', 'committed', '{}', "
                                           "%s, %s)", &pb, seq, head[1], hash, NULL), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_audit_head SET seq = %s, hash = %s",
                                           &pb, seq, hash, NULL), MEZ_OK);
        head[1] = hash;
    }
}

static void test_scheme_one_rows_still_verify(void)
{
    mez_db_t *db = audit_db();
    mez_audit_row_t r;
    mez_audit_report_t rep;
    apr_array_header_t *list;
    mez_problem_t pb = { 0 };
    legacy_rows(db, 2);
    CU_ASSERT_EQUAL(verify(db).findings->nelts, 0);
    /* The first new row links to the last old one. */
    r = append(db, "credential.issue", "urn:uuid:1");
    CU_ASSERT_EQUAL(r.seq, 3);
    CU_ASSERT_EQUAL(r.hash_scheme, 2);
    append(db, "credential.issue", "urn:uuid:2");
    rep = verify(db);
    CU_ASSERT_EQUAL(rep.rows, 4);
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 2, 2, &list, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(list, 1, mez_audit_row_t).prev_hash,
                           APR_ARRAY_IDX(list, 0, mez_audit_row_t).hash);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, 0, mez_audit_row_t).hash_scheme, 1);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, 1, mez_audit_row_t).hash_scheme, 2);
    /* A changed old row is still found. */
    drop_guards(db);
    exec(db, "UPDATE mez_audit SET actor = 'cli:mallory' WHERE seq = 1");
    rep = verify(db);
    CU_ASSERT_EQUAL(only_finding(&rep)->fault, MEZ_AUDIT_HASH_MISMATCH);
    CU_ASSERT_EQUAL(only_finding(&rep)->seq, 1);
}

/* A build from before schema 14 still appending beside a newer one (a node not yet upgraded, or a child finishing
 * its request during a graceful reload) writes scheme 1 rows among scheme 2 rows: each verifies by its own. */
static void test_schemes_interleaved_verify(void)
{
    mez_problem_t pb = { 0 };
    mez_audit_report_t rep;
    mez_db_t *db = audit_db();
    mez_audit_row_t r = { 0 };
    const char *hash = NULL;
    apr_array_header_t *list;
    append(db, "credential.issue", "urn:uuid:1");
    legacy_rows(db, 1);
    append(db, "credential.issue", "urn:uuid:2");
    legacy_rows(db, 2);
    append(db, "credential.issue", "urn:uuid:3");
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 1, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 6);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, i, mez_audit_row_t).hash_scheme, (i == 1 || i == 3 || i == 4) ? 1 : 2);
    rep = verify(db);
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
    CU_ASSERT_EQUAL(rep.rows, 6);
    CU_ASSERT_EQUAL(rep.old_scheme_rows, 3);
    /* A scheme this build does not know is not a hash it can check. */
    r.hash_scheme = 3;
    r.detail = "{}";
    r.prev_hash = MEZ_AUDIT_GENESIS;
    CU_ASSERT_NOT_EQUAL(mez_audit_row_hash(unit_pool(), &r, &hash, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.scheme_unknown");
}

static void test_read_and_json(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    apr_array_header_t *list;
    json_t *doc;
    for (int i = 0; i < 5; i++)
        append(db, "credential.issue", "urn:uuid:x");
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 2, 2, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 2);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, 0, mez_audit_row_t).seq, 2);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, 1, mez_audit_row_t).seq, 3);
    doc = mez_json_pool_own(unit_pool(), mez_audit_row_json(&APR_ARRAY_IDX(list, 0, mez_audit_row_t)));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "seq")), 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(doc, "detail"), "n")), 7);
    CU_ASSERT_TRUE(json_is_string(json_object_get(doc, "hash")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "hash_scheme")), 2);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 1, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(list->nelts, 5);
}

/* The head closes the chain: rows past it are tampering, whether the head was set back over real rows (to a row's
 * own seq and hash, so everything up to it verifies) or a row was added past it. */
static void test_rows_beyond_the_head_named(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_audit_row_t r2;
    mez_audit_report_t rep;
    const mez_audit_finding_t *f;
    append(db, "credential.issue", "urn:uuid:1");
    r2 = append(db, "credential.issue", "urn:uuid:2");
    for (int i = 0; i < 3; i++)
        append(db, "credential.issue", "urn:uuid:x");
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_audit_head SET seq = 2, hash = %s", &pb,
                                       r2.hash, NULL), MEZ_OK);
    rep = verify(db);
    f = only_finding(&rep);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_BEYOND_HEAD);
    CU_ASSERT_EQUAL(f->seq, 3);
    CU_ASSERT_EQUAL(f->next_seq, 5);
    CU_ASSERT_STRING_EQUAL(f->message, "rows beyond the head: 3 rows, seq 3..5, lie past the chain head (seq 2): rows "
                                       "added outside the chain, or the head set back");
    CU_ASSERT_EQUAL(rep.rows, 5);
    CU_ASSERT_EQUAL(rep.beyond_head, 3);
    CU_ASSERT_EQUAL(rep.head_seq, 2);
    /* The head set back to nothing: every row lies past it. */
    exec(db, "UPDATE mez_audit_head SET seq = 0, hash = '" MEZ_AUDIT_GENESIS "'");
    rep = verify(db);
    CU_ASSERT_EQUAL(only_finding(&rep)->fault, MEZ_AUDIT_BEYOND_HEAD);
    CU_ASSERT_EQUAL(rep.beyond_head, 5);
}

static void test_forged_row_past_the_head_named(void)
{
    mez_db_t *db = audit_db();
    mez_audit_row_t last = { 0 };
    mez_audit_report_t rep;
    const mez_audit_finding_t *f;
    for (int i = 0; i < 5; i++)
        last = append(db, "credential.issue", "urn:uuid:x");
    /* Inserts are not guarded (appends are inserts): a copy of the last row as seq 99. */
    exec(db, apr_psprintf(unit_pool(), "INSERT INTO mez_audit (seq, zone_id, at, actor, action, resource_type, "
                          "resource_id, outcome, request_id, detail, prev_hash, hash, hash_scheme) SELECT 99, zone_id, "
                          "at, 'forger', action, resource_type, resource_id, outcome, request_id, detail, prev_hash, "
                          "'sha256:%064d', hash_scheme FROM mez_audit WHERE seq = %" APR_INT64_T_FMT, 9, last.seq));
    rep = verify(db);
    f = only_finding(&rep);
    CU_ASSERT_EQUAL(f->fault, MEZ_AUDIT_BEYOND_HEAD);
    CU_ASSERT_STRING_EQUAL(f->message, "rows beyond the head: seq 99 lies past the chain head (seq 5): a row added "
                                       "outside the chain, or the head set back");
}

static void test_deleted_head_named(void)
{
    mez_db_t *db = audit_db();
    mez_audit_report_t rep;
    exec(db, "DELETE FROM mez_audit_head");
    rep = verify(db);                          /* no rows: still the empty chain */
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
    CU_ASSERT_EQUAL(rep.head_seq, -1);
    exec(db, "INSERT INTO mez_audit_head (id, seq, hash) VALUES (1, 0, '" MEZ_AUDIT_GENESIS "')");
    for (int i = 0; i < 3; i++)
        append(db, "credential.issue", "urn:uuid:x");
    exec(db, "DELETE FROM mez_audit_head");
    rep = verify(db);
    CU_ASSERT_EQUAL(only_finding(&rep)->fault, MEZ_AUDIT_NO_HEAD);
    CU_ASSERT_EQUAL(rep.rows, 3);
}

/* A row committed by another connection after a read snapshot began is not seen by it, head or row: what lets
 * verify call a row past the head tampering while the zone appends. */
static void test_read_snapshot_sees_head_and_rows_together(void)
{
    mez_problem_t pb = { 0 };
    const char *file;
    mez_db_t *db = audit_db_file(&file), *other = NULL;
    mez_db_tx_t *tx;
    apr_int64_t seq;
    const char *hash;
    int found;
    apr_array_header_t *list;
    append(db, "credential.issue", "urn:uuid:1");
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", file, &other, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin_read(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_audit_head(unit_pool(), db, &seq, &hash, &found, &pb), MEZ_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_EQUAL(seq, 1);
    append(other, "credential.issue", "urn:uuid:2");     /* committed meanwhile, through the other connection */
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 1, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(list->nelts, 1);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(unit_pool(), db, 1, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(list->nelts, 2);
    CU_ASSERT_EQUAL(verify(db).findings->nelts, 0);
}

static mez_audit_anchor_t anchor_of(mez_db_t *db, const mez_key_t *key)
{
    mez_problem_t pb = { 0 };
    mez_audit_anchor_t signed_, opened;
    CU_ASSERT_EQUAL_FATAL(mez_audit_anchor_sign(unit_pool(), db, "zone-a", key, &signed_, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_audit_anchor_open(unit_pool(), signed_.note, key, &opened, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(opened.seq, signed_.seq);
    CU_ASSERT_STRING_EQUAL(opened.hash, signed_.hash);
    return opened;
}

static mez_audit_report_t verify_anchor(mez_db_t *db, const mez_audit_anchor_t *a)
{
    mez_problem_t pb = { 0 };
    mez_audit_report_t rep;
    CU_ASSERT_EQUAL_FATAL(mez_audit_verify_anchored(unit_pool(), db, a, &rep, &pb), MEZ_OK);
    return rep;
}

/* The anchored row is judged by its hash recomputed from its members, within the chain the head closes: rewriting
 * the row while keeping its hash column, and setting the head back below it, does not pass for holding it. */
static void test_anchor_judged_by_the_recomputed_row(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_key_t *key;
    mez_audit_row_t r4;
    mez_audit_anchor_t a;
    mez_audit_report_t rep;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &key, &pb), MEZ_OK);
    for (int i = 0; i < 3; i++)
        append(db, "credential.issue", "urn:uuid:x");
    r4 = append(db, "credential.issue", "urn:uuid:4");
    append(db, "credential.issue", "urn:uuid:5");
    a = anchor_of(db, key);
    CU_ASSERT_EQUAL(a.seq, 5);
    append(db, "credential.issue", "urn:uuid:6");
    rep = verify_anchor(db, &a);
    CU_ASSERT_PTR_NULL(rep.anchor_code);
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
    drop_guards(db);
    /* Row 5 rewritten, its hash column kept: the stored column still says what the anchor signed. */
    exec(db, "UPDATE mez_audit SET actor = 'forged' WHERE seq = 5");
    rep = verify_anchor(db, &a);
    CU_ASSERT_STRING_EQUAL(rep.anchor_code, "audit.anchor_mismatch");
    /* ... and the head set back to row 4 (rows 5 and 6 deleted would be the same): row 5 is no longer in the chain. */
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_audit_head SET seq = 4, hash = %s", &pb,
                                       r4.hash, NULL), MEZ_OK);
    rep = verify_anchor(db, &a);
    CU_ASSERT_STRING_EQUAL(rep.anchor_code, "audit.anchor_missing");
    CU_ASSERT_PTR_NOT_NULL(strstr(rep.anchor_detail, "past the chain head (seq 4)"));
    CU_ASSERT_EQUAL(only_finding(&rep)->fault, MEZ_AUDIT_BEYOND_HEAD);
    /* Removed outright: missing. */
    exec(db, "DELETE FROM mez_audit WHERE seq > 4");
    rep = verify_anchor(db, &a);
    CU_ASSERT_STRING_EQUAL(rep.anchor_code, "audit.anchor_missing");
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);   /* what the chain alone can say */
}

static void test_anchor_refused_under_another_key(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_key_t *key, *other;
    mez_audit_anchor_t a, b;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &other, &pb), MEZ_OK);
    append(db, "credential.issue", "urn:uuid:1");
    CU_ASSERT_EQUAL_FATAL(mez_audit_anchor_sign(unit_pool(), db, "zone-a", key, &a, &pb), MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_audit_anchor_open(unit_pool(), a.note, other, &b, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.code, "checkpoint."));
}

/* The handle counts the audit rows its committed transactions appended (mod_mez's mez_audit_rows_total): a row
 * appended in a transaction rolled back is not counted. */
static void test_committed_rows_counted(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = audit_db();
    mez_db_tx_t *tx;
    mez_audit_event_t ev = { "zone-a", 0, "anonymous", "credential.issue", NULL, NULL, "committed", NULL, NULL };
    CU_ASSERT_EQUAL(db->audit_rows, 0);
    append(db, "credential.issue", "urn:uuid:1");
    append(db, "credential.issue", "urn:uuid:2");
    CU_ASSERT_EQUAL(db->audit_rows, 2);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(db->audit_rows, 2);     /* not before the commit */
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(db->audit_rows, 2);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_audit_append(unit_pool(), db, &ev, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(db->audit_rows, 4);
    CU_ASSERT_EQUAL(rows(db), 4);
}

static void test_verify_needs_the_table(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    mez_audit_report_t rep;
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), unit_tmpdir(), "/e.sqlite",
                                                                        NULL), &db, &pb), MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_audit_verify(unit_pool(), db, &rep, &pb), MEZ_OK);
}

void unit_register_audit(void)
{
    CU_pSuite s = unit_suite("audit");
    CU_add_test(s, "appends chain by seq and hash", test_append_chains);
    CU_add_test(s, "a rolled-back append leaves no row and no gap", test_rolled_back_append_leaves_nothing);
    CU_add_test(s, "an incomplete event is refused", test_invalid_event_refused);
    CU_add_test(s, "triggers refuse UPDATE and DELETE", test_rows_are_guarded);
    CU_add_test(s, "a changed row is named by seq", test_changed_row_named);
    CU_add_test(s, "a changed detail is named by seq", test_changed_detail_named);
    CU_add_test(s, "deleted rows are named as a gap", test_deleted_row_named);
    CU_add_test(s, "deleted first and last rows are named", test_deleted_first_and_last_rows_named);
    CU_add_test(s, "a re-hashed forgery breaks the next link", test_broken_link_named);
    CU_add_test(s, "rows of hash scheme 1 still verify, and chain on in scheme 2", test_scheme_one_rows_still_verify);
    CU_add_test(s, "rows of both schemes interleaved verify (an older node beside a newer)",
                test_schemes_interleaved_verify);
    CU_add_test(s, "rows read back, as JSON", test_read_and_json);
    CU_add_test(s, "verify needs a migrated database", test_verify_needs_the_table);
    CU_add_test(s, "the handle counts the audit rows of committed transactions", test_committed_rows_counted);
    CU_add_test(s, "rows past the chain head are named (head set back)", test_rows_beyond_the_head_named);
    CU_add_test(s, "a row forged past the chain head is named", test_forged_row_past_the_head_named);
    CU_add_test(s, "a deleted head over rows is named; over none the chain is empty", test_deleted_head_named);
    CU_add_test(s, "a read snapshot sees the head and the rows of one moment",
                test_read_snapshot_sees_head_and_rows_together);
    CU_add_test(s, "an anchor is judged by its row recomputed, within the chain",
                test_anchor_judged_by_the_recomputed_row);
    CU_add_test(s, "an anchor under another key is refused", test_anchor_refused_under_another_key);
}
