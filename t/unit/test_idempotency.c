/* test_idempotency.c: CUnit suite for the Idempotency-Key store (mez/idempotency.h) on a real SQLite file: new,
 * replay byte for byte, conflict, in progress, abandoned intents taken over once after their lease, scopes kept
 * apart, and nothing kept from a rolled-back request. PostgreSQL and HTTP: t/test_idempotency.py. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/store.h"
#include "unit.h"

static const mez_idem_scope_t scope_a = { "zone-a", "tok_aaaaaaaaaaaaaaaa", "POST /v1/credentials/issue" };

static mez_db_t *idem_db(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE");
    int from, to;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/i.sqlite", NULL), &db,
                                      &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    return db;
}

static int records(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, "SELECT COUNT(*) FROM mez_idempotency", &pb, NULL),
                    MEZ_OK);
    return v ? atoi(v) : -1;
}

static const char *digest_of(const char *json_text)
{
    json_t *body = NULL;
    const char *d = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), json_text, strlen(json_text), &body, NULL), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_idem_request_digest(unit_pool(), "POST", "/v1/credentials/issue", body, &d, NULL),
                          MEZ_OK);
    return d;
}

/* begin in its own transaction; complete (when body) before committing. */
static mez_idem_result_t begin(mez_db_t *db, const mez_idem_scope_t *s, const char *key, const char *digest,
                               apr_time_t now, apr_interval_time_t lease, const char *body)
{
    mez_problem_t pb = { 0 };
    mez_idem_result_t res;
    mez_db_tx_t *tx;
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_idem_begin(unit_pool(), db, s, key, digest, now, lease, &res, &pb), MEZ_OK);
    if (body && (res.outcome == MEZ_IDEM_NEW || res.outcome == MEZ_IDEM_RESUME)) {
        CU_ASSERT_EQUAL_FATAL(mez_idem_complete(unit_pool(), db, s, key, 201, body, now, &pb), MEZ_OK);
    }
    CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    return res;
}

static void test_key_check(void)
{
    mez_problem_t pb = { 0 };
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), "a", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), "9f1c-4d2e retry 1", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.invalid_key");
    CU_ASSERT_EQUAL(pb.status, 400);
    longkey[255] = '\0';
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), longkey, &pb), MEZ_OK);
    longkey[255] = 'k';
    longkey[256] = '\0';
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), longkey, &pb), MEZ_EINVAL);
    /* The details name the length and the byte (APR's formatter has no %zu: it printed "%zu" and misread the
     * next argument). */
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "not 256"));
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), "tab\there", &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "(byte 3 is 0x09)"));
    CU_ASSERT_EQUAL(mez_idem_key_check(unit_pool(), "caf\xc3\xa9", &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "(byte 3 is 0xc3)"));
}

static void test_digest_is_canonical(void)
{
    const char *a = digest_of("{\"credential\":{\"b\":1,\"a\":[1,2]}}");
    const char *b = digest_of("{ \"credential\" : { \"a\" : [1, 2], \"b\" : 1 } }");
    const char *c = digest_of("{\"credential\":{\"b\":2,\"a\":[1,2]}}");
    const char *d = NULL;
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);
    CU_ASSERT_EQUAL(strncmp(a, "sha256:", 7), 0);
    /* The path is part of "the same request". */
    CU_ASSERT_EQUAL(mez_idem_request_digest(unit_pool(), "POST", "/v1/other", NULL, &d, NULL), MEZ_OK);
    CU_ASSERT_STRING_NOT_EQUAL(a, d);
}

static void test_new_then_replay_byte_for_byte(void)
{
    mez_db_t *db = idem_db();
    const char *d = digest_of("{\"credential\":{}}");
    const char *answer = "{\"verifiableCredential\":{\"id\":\"urn:x\"}}\n";
    mez_idem_result_t r1 = begin(db, &scope_a, "k1", d, apr_time_from_sec(1000), 0, answer);
    mez_idem_result_t r2 = begin(db, &scope_a, "k1", d, apr_time_from_sec(1001), 0, NULL);
    CU_ASSERT_EQUAL(r1.outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL(r2.outcome, MEZ_IDEM_REPLAY);
    CU_ASSERT_EQUAL(r2.status, 201);
    CU_ASSERT_EQUAL(r2.body_len, strlen(answer));
    CU_ASSERT_STRING_EQUAL(r2.body, answer);
    CU_ASSERT_EQUAL(records(db), 1);
}

static void test_conflict(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    mez_idem_result_t r;
    begin(db, &scope_a, "k1", digest_of("{\"credential\":{\"a\":1}}"), apr_time_from_sec(1000), 0, "{}");
    r = begin(db, &scope_a, "k1", digest_of("{\"credential\":{\"a\":2}}"), apr_time_from_sec(1001), 0, NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_CONFLICT);
    CU_ASSERT_EQUAL(mez_idem_refusal(unit_pool(), &r, "k1", &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.key_reused");
    CU_ASSERT_EQUAL(records(db), 1);
}

/* The remote-call shape: the intent is committed alone, the answer comes later (or never). */
static void test_in_progress_and_lease(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    const char *d = digest_of("{\"credential\":{}}");
    mez_idem_result_t r;
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1000), 0, NULL).outcome, MEZ_IDEM_NEW);
    r = begin(db, &scope_a, "k1", d, apr_time_from_sec(1005), 0, NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_IN_PROGRESS);
    CU_ASSERT_EQUAL(mez_idem_refusal(unit_pool(), &r, "k1", &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.in_progress");
    /* Within the lease the first owner is trusted to be alive. */
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1020), apr_time_from_sec(30), NULL).outcome,
                    MEZ_IDEM_IN_PROGRESS);
    /* After it, exactly one retry takes the intent over; the next one finds it freshly taken. */
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1040), apr_time_from_sec(30), NULL).outcome,
                    MEZ_IDEM_RESUME);
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1040), apr_time_from_sec(30), NULL).outcome,
                    MEZ_IDEM_IN_PROGRESS);
    /* The owner completes; from then on a replay. */
    {
        mez_db_tx_t *tx;
        CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_idem_complete(unit_pool(), db, &scope_a, "k1", 201, "{\"ok\":true}",
                                          apr_time_from_sec(1041), &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    }
    r = begin(db, &scope_a, "k1", d, apr_time_from_sec(1042), apr_time_from_sec(30), NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_REPLAY);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"ok\":true}");
}

static void test_rollback_and_abandon_free_the_key(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    const char *d = digest_of("{\"credential\":{}}");
    mez_idem_result_t r;
    mez_db_tx_t *tx;
    /* A refused request rolls back: its intent goes with it. */
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_begin(unit_pool(), db, &scope_a, "k1", d, apr_time_from_sec(1000), 0, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_NEW);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(records(db), 0);
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1001), 0, NULL).outcome, MEZ_IDEM_NEW);
    /* An intent whose remote call certainly failed is abandoned: the key is free again. */
    CU_ASSERT_EQUAL(mez_idem_abandon(unit_pool(), db, &scope_a, "k1", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(records(db), 0);
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1002), 0, "{}").outcome, MEZ_IDEM_NEW);
    /* A completed record is never abandoned. */
    CU_ASSERT_EQUAL(mez_idem_abandon(unit_pool(), db, &scope_a, "k1", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(records(db), 1);
}

static void test_scopes_apart(void)
{
    mez_db_t *db = idem_db();
    const char *d = digest_of("{\"credential\":{}}");
    mez_idem_scope_t other_caller = scope_a, other_route = scope_a, other_zone = scope_a;
    other_caller.principal = "anonymous";
    other_route.route = "POST /v1/compliance/evaluate";
    other_zone.zone_id = "zone-b";
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k1", d, apr_time_from_sec(1000), 0, "{\"a\":1}").outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL(begin(db, &other_caller, "k1", d, apr_time_from_sec(1000), 0, "{}").outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL(begin(db, &other_route, "k1", d, apr_time_from_sec(1000), 0, "{}").outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL(begin(db, &other_zone, "k1", d, apr_time_from_sec(1000), 0, "{}").outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL(records(db), 4);
}

static void test_complete_needs_an_intent(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    CU_ASSERT_EQUAL(mez_idem_complete(unit_pool(), db, &scope_a, "nope", 201, "{}", apr_time_from_sec(1), &pb),
                    MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.no_intent");
    CU_ASSERT_EQUAL(records(db), 0);
}

/* A note begun with an intent comes back to whoever finds it in progress or resumes it, until it completes. */
static void test_note_comes_back_while_in_progress(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    const char *d = digest_of("{\"credential\":{}}");
    mez_idem_result_t r;
    mez_db_tx_t *tx;
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_begin_noted(unit_pool(), db, &scope_a, "k1", d, apr_time_from_sec(1000),
                                         apr_time_from_sec(30), "mass-key:2", &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_NEW);
    CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    r = begin(db, &scope_a, "k1", d, apr_time_from_sec(1010), apr_time_from_sec(30), NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_IN_PROGRESS);
    CU_ASSERT_STRING_EQUAL(r.note, "mass-key:2");
    r = begin(db, &scope_a, "k1", d, apr_time_from_sec(1040), apr_time_from_sec(30), "{\"ok\":true}");
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_RESUME);
    CU_ASSERT_STRING_EQUAL(r.note, "mass-key:2");
    r = begin(db, &scope_a, "k1", d, apr_time_from_sec(1041), apr_time_from_sec(30), NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_REPLAY);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"ok\":true}");
    /* Without a note (mez_idem_begin, or a record from before notes existed) there is none to give back. */
    CU_ASSERT_EQUAL(begin(db, &scope_a, "k2", d, apr_time_from_sec(1000), 0, NULL).outcome, MEZ_IDEM_NEW);
    r = begin(db, &scope_a, "k2", d, apr_time_from_sec(1040), apr_time_from_sec(30), NULL);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_RESUME);
    CU_ASSERT_PTR_NULL(r.note);
}


/* The remote-call pattern in two calls: mez_idem_open commits the intent on its own (so it outlives whatever the
 * caller then does), answers a replay and refuses a conflict or an unfinished intent with nothing recorded;
 * mez_idem_close keeps the answer, forgets, or hands over. */
static void test_open_and_close(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = idem_db();
    mez_idem_result_t r;
    json_t *body = json_pack("{s:s}", "transition", "x"), *other = json_pack("{s:s}", "transition", "y");
    const char *path = "/v1/corridors/c1/receipts";
    apr_interval_time_t lease = apr_time_from_sec(60);
    mez_db_tx_t *tx;

    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k1", "POST", path, body, apr_time_from_sec(100),
                                  lease, "n1", &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_NEW);
    /* Committed: a transaction the caller then rolls back does not take it away. */
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    mez_db_rollback(unit_pool(), tx);
    CU_ASSERT_EQUAL(records(db), 1);
    /* In progress within the lease, and the same key with another body: refused, pb filled, nothing recorded. */
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k1", "POST", path, body, apr_time_from_sec(110),
                                  lease, NULL, &r, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.in_progress");
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k1", "POST", path, other, apr_time_from_sec(110),
                                  lease, NULL, &r, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.key_reused");
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "", "POST", path, body, apr_time_from_sec(110),
                                  lease, NULL, &r, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "idempotency.invalid_key");
    CU_ASSERT_EQUAL(records(db), 1);
    /* Handed over: the next retry takes it over at once, with the note it was begun with. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_idem_close(unit_pool(), db, &scope_a, "k1", MEZ_IDEM_HAND_OVER, NULL, apr_time_from_sec(111),
                                   &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k1", "POST", path, body, apr_time_from_sec(112),
                                  lease, NULL, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_RESUME);
    CU_ASSERT_STRING_EQUAL(r.note, "n1");
    /* Completed: every later open is the first answer, byte for byte. */
    CU_ASSERT_EQUAL(mez_idem_close(unit_pool(), db, &scope_a, "k1", 201, "{\"sequence\": 7}\n",
                                   apr_time_from_sec(113), &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k1", "POST", path, body, apr_time_from_sec(114),
                                  lease, NULL, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_REPLAY);
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"sequence\": 7}\n");
    /* A completed record is kept by a forget; an open intent forgotten frees its key. */
    CU_ASSERT_EQUAL(mez_idem_close(unit_pool(), db, &scope_a, "k1", MEZ_IDEM_FORGET, NULL, apr_time_from_sec(115),
                                   &pb), MEZ_OK);
    CU_ASSERT_EQUAL(records(db), 1);
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k2", "POST", path, body, apr_time_from_sec(116),
                                  lease, NULL, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(records(db), 2);
    CU_ASSERT_EQUAL(mez_idem_close(unit_pool(), db, &scope_a, "k2", MEZ_IDEM_FORGET, NULL, apr_time_from_sec(117),
                                   &pb), MEZ_OK);
    CU_ASSERT_EQUAL(records(db), 1);
    CU_ASSERT_EQUAL(mez_idem_open(unit_pool(), db, &scope_a, "k2", "POST", path, other, apr_time_from_sec(118),
                                  lease, NULL, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(r.outcome, MEZ_IDEM_NEW);
    json_decref(body);
    json_decref(other);
}

void unit_register_idempotency(void)
{
    CU_pSuite s = unit_suite("idempotency");
    CU_add_test(s, "keys: 1..255 visible ASCII", test_key_check);
    CU_add_test(s, "request digest is over canonical JSON", test_digest_is_canonical);
    CU_add_test(s, "new, then replay byte for byte", test_new_then_replay_byte_for_byte);
    CU_add_test(s, "same key, other body: conflict", test_conflict);
    CU_add_test(s, "in progress; taken over once after the lease", test_in_progress_and_lease);
    CU_add_test(s, "rollback and abandon free the key", test_rollback_and_abandon_free_the_key);
    CU_add_test(s, "zone, caller and route scope a key", test_scopes_apart);
    CU_add_test(s, "complete without an intent is a bug", test_complete_needs_an_intent);
    CU_add_test(s, "an intent's note comes back while it is in progress", test_note_comes_back_while_in_progress);
    CU_add_test(s, "the remote-call pattern: open commits the intent, close ends it", test_open_and_close);
}
