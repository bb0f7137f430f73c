/* test_consent.c: CUnit suite for the sovereign store's consent primitive (mass_consent.c) through
 * mez_mass_store_handle on a real SQLite file: creation, verified signatures, thresholds, refusals, expiry by
 * the clock, revocation and the hash-chained trail. The HTTP face and PostgreSQL: t/test_mass_consent.py. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/mass.h"
#include "mez/store.h"
#include "unit.h"

#define T0 apr_time_from_sec(1767225600)   /* 2026-01-01T00:00:00Z */

typedef struct {
    mez_db_t *db;
    mez_mass_store_ctx_t ctx;
    mez_key_t *key[4];            /* 0: requester, 1..3: signatories */
    const char *did[4];
} fixture_t;

static void setup(fixture_t *f)
{
    mez_problem_t pb = { 0 };
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE");
    int from, to;
    /* Every member not set below is NULL (no HTTP caller, no calendar, a caller of the whole store): the fixture
     * lives on the test's stack. */
    memset(f, 0, sizeof(*f));
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/c.sqlite", NULL),
                                      &f->db, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), f->db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    f->ctx.zone_id = "zone-a";
    f->ctx.jurisdiction_id = "PK";
    f->ctx.now = T0;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &f->key[i], &pb), MEZ_OK);
        f->did[i] = mez_did_key(unit_pool(), f->key[i]);
    }
}

/* One request in its own transaction, committed only below 400 (as mod_mez_mass does). */
static mez_mass_response_t call(fixture_t *f, const char *method, const char *path, json_t *body)
{
    mez_problem_t pb = { 0 };
    mez_mass_request_t req = { method, path, NULL, body, NULL };
    mez_mass_response_t resp = { 0 };
    mez_db_tx_t *tx;
    char *q = strchr(path, '?');
    if (q) {
        req.path = apr_pstrndup(unit_pool(), path, (apr_size_t)(q - path));
        req.query = q + 1;
    }
    if (body)
        mez_json_pool_own(unit_pool(), body);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), f->db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_mass_store_handle(unit_pool(), f->db, &f->ctx, &req, &resp, &pb), MEZ_OK);
    mez_json_pool_own(unit_pool(), resp.body);
    if (resp.status < 400) {
        CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    } else {
        mez_db_rollback(unit_pool(), tx);
    }
    return resp;
}

static const char *code_of(const mez_mass_response_t *r)
{
    const char *c = json_string_value(json_object_get(r->body, "code"));
    return c ? c : "";
}

static const char *status_of(const mez_mass_response_t *r)
{
    const char *s = json_string_value(json_object_get(r->body, "status"));
    return s ? s : "";
}

static json_t *request_body(fixture_t *f, const char *threshold_type, int min, const char *deadline)
{
    json_t *th = json_pack("{s:s}", "type", threshold_type);
    json_t *body;
    if (min)
        json_object_set_new(th, "minimum_count", json_integer(min));
    body = json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:b},{s:s,s:s},{s:s,s:s}],s:o,s:{s:s}}", "action_type",
                     "corporate_resolution", "title", "Approve Q1 dividend", "requester_id", f->did[0], "zone_id",
                     "zone-a", "signatories", "signatory_id", f->did[1], "role", "board_director", "required", 1,
                     "signatory_id", f->did[2], "role", "board_director", "signatory_id", f->did[3], "role",
                     "board_director", "threshold", th, "metadata", "quarter", "Q1-2026");
    if (deadline)
        json_object_set_new(body, "deadline", json_string(deadline));
    return body;
}

static json_t *signature(fixture_t *f, int who, const json_t *record, const char *decision, const char *signed_at)
{
    mez_problem_t pb = { 0 };
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    const char *canon = NULL;
    json_t *payload = mez_json_pool_own(unit_pool(), json_pack(
        "{s:s,s:s,s:s,s:s,s:s}", "consent_id", json_string_value(json_object_get(record, "consent_id")),
        "digest_sha256", json_string_value(json_object_get(record, "digest_sha256")), "decision", decision,
        "signed_at", signed_at, "signatory_id", f->did[who]));
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), payload, &canon, NULL, NULL), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_sign(f->key[who], canon, strlen(canon), sig, &pb, unit_pool()), MEZ_OK);
    return json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "signatory_id", f->did[who], "decision", decision,
                     "signed_at", signed_at, "proof", "type", "Ed25519Signature2020", "created", signed_at,
                     "verification_method", mez_did_key_verification_method(unit_pool(), f->key[who]),
                     "proof_purpose", "assertionMethod", "proof_value",
                     apr_pstrcat(unit_pool(), "z", mez_base58_encode(unit_pool(), sig, sizeof(sig)), NULL));
}

static const char *sign_path(const json_t *record, const char *what)
{
    return apr_pstrcat(unit_pool(), "/v1/consent/", json_string_value(json_object_get(record, "consent_id")), what,
                       NULL);
}

static int rows(fixture_t *f, const char *table)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), f->db, &v, apr_pstrcat(unit_pool(), "SELECT COUNT(*) FROM ", table,
                                                                          NULL), &pb, NULL), MEZ_OK);
    return v ? atoi(v) : -1;
}

static void test_create_is_content_addressed(void)
{
    fixture_t f;
    mez_mass_response_t r, again;
    json_t *terms;
    const char *canon = NULL;
    mez_digest_t d;
    setup(&f);
    r = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, NULL));
    CU_ASSERT_EQUAL_FATAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "pending");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.body, "signatures_collected")), 0);
    CU_ASSERT_TRUE(json_is_false(json_object_get(r.body, "threshold_met")));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(r.body, "metadata"), "quarter")),
                           "Q1-2026");
    /* digest_sha256: the canonical request without metadata; the id is "con_" + that digest. */
    terms = mez_json_pool_own(unit_pool(), request_body(&f, "majority", 0, NULL));
    json_object_del(terms, "metadata");
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), terms, &canon, NULL, NULL), MEZ_OK);
    mez_digest_sha256(canon, strlen(canon), &d);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "digest_sha256")), mez_digest_hex(unit_pool(), &d));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "consent_id")),
                           apr_pstrcat(unit_pool(), "con_", mez_digest_hex(unit_pool(), &d), NULL));
    again = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, NULL));
    CU_ASSERT_EQUAL(again.status, 409);
    CU_ASSERT_STRING_EQUAL(code_of(&again), "consent.exists");
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent"), 1);
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent_signatory"), 3);
}

static void test_create_refusals(void)
{
    fixture_t f;
    mez_mass_response_t r;
    json_t *b;
    setup(&f);
    b = request_body(&f, "count", 4, NULL);
    r = call(&f, "POST", "/v1/consent/request", b);
    CU_ASSERT_EQUAL(r.status, 422);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.threshold_unreachable");
    b = request_body(&f, "majority", 0, NULL);
    json_object_set_new(b, "requester_id", json_string("did:msez:entity:corp-1234"));
    r = call(&f, "POST", "/v1/consent/request", b);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.invalid_did");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "pointer")), "/requester_id");
    b = request_body(&f, "majority", 0, NULL);
    json_object_set_new(b, "zone_id", json_string("zone b!"));
    r = call(&f, "POST", "/v1/consent/request", b);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.invalid_zone_id");
    r = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, "2025-12-31T00:00:00Z"));
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.deadline_passed");
    r = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, "2026-02-01T00:00:00+01:00"));
    CU_ASSERT_STRING_EQUAL(code_of(&r), "request.invalid_time");
    b = request_body(&f, "qualified_majority", 2, NULL);
    r = call(&f, "POST", "/v1/consent/request", b);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "request.missing_field");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "pointer")), "/threshold/denominator");
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent"), 0);
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent_event"), 0);
}

static void test_majority_with_required_signatory(void)
{
    fixture_t f;
    mez_mass_response_t c, r;
    setup(&f);
    c = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, NULL));
    CU_ASSERT_EQUAL_FATAL(c.status, 201);
    f.ctx.now = T0 + apr_time_from_sec(60);
    /* Two of three approve, but the required one (1) has not yet: still pending. */
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 2, c.body, "approve", "2026-01-01T00:01:00Z"));
    CU_ASSERT_EQUAL(r.status, 200);
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 3, c.body, "approve", "2026-01-01T00:01:00Z"));
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "pending");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.body, "signatures_collected")), 2);
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "approve", "2026-01-01T00:01:00Z"));
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "approved");
    CU_ASSERT_TRUE(json_is_true(json_object_get(r.body, "threshold_met")));
    /* The same submission again is answered as it was; a closed consent takes no new decision. */
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "approve", "2026-01-01T00:01:00Z"));
    CU_ASSERT_EQUAL(r.status, 200);
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "reject", "2026-01-01T00:01:00Z"));
    CU_ASSERT_EQUAL(r.status, 409);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.already_signed");
}

static void test_required_rejection_rejects(void)
{
    fixture_t f;
    mez_mass_response_t c, r;
    setup(&f);
    c = call(&f, "POST", "/v1/consent/request", request_body(&f, "count", 1, NULL));
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "reject", "2026-01-01T00:00:00Z"));
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "rejected");
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 2, c.body, "approve", "2026-01-01T00:00:00Z"));
    CU_ASSERT_EQUAL(r.status, 409);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.closed");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "consent_status")), "rejected");
}

static void test_signature_refusals(void)
{
    fixture_t f;
    mez_mass_response_t c, r;
    json_t *s;
    setup(&f);
    c = call(&f, "POST", "/v1/consent/request", request_body(&f, "unanimous", 0, NULL));
    /* A requester is not a signatory. */
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 0, c.body, "approve", "2026-01-01T00:00:00Z"));
    CU_ASSERT_EQUAL(r.status, 403);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.not_a_signatory");
    /* A signature over another decision than the one claimed. */
    s = signature(&f, 1, c.body, "reject", "2026-01-01T00:00:00Z");
    json_object_set_new(s, "decision", json_string("approve"));
    r = call(&f, "POST", sign_path(c.body, "/sign"), s);
    CU_ASSERT_EQUAL(r.status, 422);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.bad_signature");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r.body, "pointer")), "/proof/proof_value");
    /* Another signatory's key under this one's name. */
    s = signature(&f, 2, c.body, "approve", "2026-01-01T00:00:00Z");
    json_object_set_new(s, "signatory_id", json_string(f.did[1]));
    r = call(&f, "POST", sign_path(c.body, "/sign"), s);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.wrong_verification_method");
    /* signed_at far in the future. */
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "approve", "2026-01-01T01:00:00Z"));
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.signed_in_future");
    r = call(&f, "POST", "/v1/consent/con_0000/sign", signature(&f, 1, c.body, "approve", "2026-01-01T00:00:00Z"));
    CU_ASSERT_EQUAL(r.status, 404);
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent_event"), 1);
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent_signatory WHERE decision IS NOT NULL"), 0);
}

static void test_expiry_by_the_clock(void)
{
    fixture_t f;
    mez_mass_response_t c, r;
    json_t *entries;
    setup(&f);
    c = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, "2026-01-02T00:00:00Z"));
    CU_ASSERT_EQUAL_FATAL(c.status, 201);
    f.ctx.now = T0 + apr_time_from_sec(2 * 86400);
    r = call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 1, c.body, "approve", "2026-01-02T23:59:00Z"));
    CU_ASSERT_EQUAL(r.status, 409);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.expired");
    r = call(&f, "GET", sign_path(c.body, ""), NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "expired");
    r = call(&f, "GET", sign_path(c.body, "/audit-trail"), NULL);
    CU_ASSERT_EQUAL_FATAL(r.status, 200);
    entries = json_object_get(r.body, "entries");
    CU_ASSERT_EQUAL_FATAL(json_array_size(entries), 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(entries, 1), "event_type")),
                           "consent_expired");
    /* Read twice, written once. */
    call(&f, "GET", sign_path(c.body, ""), NULL);
    CU_ASSERT_EQUAL(rows(&f, "mez_mass_consent_event"), 2);
}

static void test_revoke_and_trail_chain(void)
{
    fixture_t f;
    mez_mass_response_t c, r;
    json_t *rev, *entries, *e;
    size_t i;
    const char *prev = NULL;
    setup(&f);
    c = call(&f, "POST", "/v1/consent/request", request_body(&f, "majority", 0, NULL));
    call(&f, "POST", sign_path(c.body, "/sign"), signature(&f, 2, c.body, "approve", "2026-01-01T00:00:00Z"));
    /* Only the requester, by its own signature over decision "revoke". */
    rev = signature(&f, 2, c.body, "revoke", "2026-01-01T00:00:00Z");
    json_object_set_new(rev, "requester_id", json_string(f.did[2]));
    json_object_del(rev, "signatory_id");
    json_object_del(rev, "decision");
    r = call(&f, "POST", sign_path(c.body, "/revoke"), rev);
    CU_ASSERT_EQUAL(r.status, 403);
    CU_ASSERT_STRING_EQUAL(code_of(&r), "consent.not_the_requester");
    rev = signature(&f, 0, c.body, "revoke", "2026-01-01T00:00:00Z");
    json_object_set_new(rev, "requester_id", json_string(f.did[0]));
    json_object_set_new(rev, "reason", json_string("withdrawn"));
    json_object_del(rev, "signatory_id");
    json_object_del(rev, "decision");
    r = call(&f, "POST", sign_path(c.body, "/revoke"), rev);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(status_of(&r), "revoked");
    r = call(&f, "GET", sign_path(c.body, "/audit-trail?limit=500"), NULL);
    CU_ASSERT_EQUAL_FATAL(r.status, 200);
    entries = json_object_get(r.body, "entries");
    CU_ASSERT_EQUAL_FATAL(json_array_size(entries), 3);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.body, "total_count")), 3);
    /* Each entry's digest is the SHA-256 of its canonical JSON without that member; each links the previous. */
    json_array_foreach(entries, i, e) {
        json_t *copy = mez_json_pool_own(unit_pool(), json_deep_copy(e));
        const char *canon = NULL, *given = json_string_value(json_object_get(e, "entry_digest_sha256"));
        mez_digest_t d;
        json_object_del(copy, "entry_digest_sha256");
        CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), copy, &canon, NULL, NULL), MEZ_OK);
        mez_digest_sha256(canon, strlen(canon), &d);
        CU_ASSERT_STRING_EQUAL(given, mez_digest_hex(unit_pool(), &d));
        if (prev) {
            CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "previous_entry_digest")), prev);
        } else {
            CU_ASSERT_PTR_NULL(json_object_get(e, "previous_entry_digest"));
        }
        prev = given;
    }
    r = call(&f, "GET", sign_path(c.body, "/audit-trail?limit=0"), NULL);
    CU_ASSERT_EQUAL(r.status, 400);
    r = call(&f, "GET", sign_path(c.body, "/audit-trail?offset=2&limit=1"), NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r.body, "entries")), 1);
}

void unit_register_consent(void)
{
    CU_pSuite s = unit_suite("mass consent");
    CU_add_test(s, "a consent is named by the digest of its terms", test_create_is_content_addressed);
    CU_add_test(s, "bad requests are refused and write nothing", test_create_refusals);
    CU_add_test(s, "majority with a required signatory", test_majority_with_required_signatory);
    CU_add_test(s, "a required rejection rejects; closed takes no more", test_required_rejection_rejects);
    CU_add_test(s, "bad, foreign and misplaced signatures are refused", test_signature_refusals);
    CU_add_test(s, "expiry comes from the clock and is written once", test_expiry_by_the_clock);
    CU_add_test(s, "revocation by the requester; the trail is a hash chain", test_revoke_and_trail_chain);
}
