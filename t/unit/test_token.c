/* test_token.c: CUnit suite for bearer API tokens: create, lookup (expiry, revocation, zone), list, and that
 * only hashes reach the database. SQLite through apr_dbd; PostgreSQL is covered by t/test_auth.py. */
#include <stdlib.h>
#include <string.h>
#include <apr_dbd.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mez/clientcert.h"
#include "mez/token.h"
#include "unit.h"

static mez_db_t *fresh_db(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE");
    int from, to;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/t.sqlite", NULL),
                                      &db, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    return db;
}

static const char *make(mez_db_t *db, const char *zone, const char *role, const char *entity, const char *expires,
                        mez_token_info_t **info)
{
    mez_problem_t pb = { 0 };
    const char *secret = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_token_create(unit_pool(), db, zone, role, entity, NULL, expires, NULL, &secret, info,
                                           &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
    return secret;
}

static const char *lookup_code(mez_db_t *db, const char *zone, const char *secret)
{
    mez_problem_t pb = { 0 };
    mez_token_info_t *info = NULL;
    if (mez_token_lookup(unit_pool(), db, zone, secret, &info, &pb) == MEZ_OK)
        return "ok";
    CU_ASSERT_EQUAL(pb.status, 401);
    return pb.code;
}

static void test_create_and_lookup(void)
{
    mez_db_t *db = fresh_db();
    mez_token_info_t *made = NULL, *got = NULL;
    mez_problem_t pb = { 0 };
    const char *secret = make(db, "z1", "operator", NULL, NULL, &made), *other;
    /* mez_ + 43 base64url characters: 256 bits, no padding. */
    CU_ASSERT_EQUAL(strlen(secret), 4 + 43);
    CU_ASSERT_EQUAL(strncmp(secret, "mez_", 4), 0);
    CU_ASSERT_EQUAL(strspn(secret + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    CU_ASSERT_EQUAL(mez_token_lookup(unit_pool(), db, "z1", secret, &got, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got->id, made->id);
    CU_ASSERT_STRING_EQUAL(got->role, "operator");
    CU_ASSERT_PTR_NULL(got->entity_id);
    other = make(db, "z1", "entity", "ent-1", NULL, &made);
    CU_ASSERT_STRING_NOT_EQUAL(other, secret);
    CU_ASSERT_EQUAL(mez_token_lookup(unit_pool(), db, "z1", other, &got, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(got->entity_id, "ent-1");
}

static void test_bad_tokens(void)
{
    mez_db_t *db = fresh_db();
    const char *secret = make(db, "z1", "watcher", NULL, NULL, NULL);
    char *flipped = apr_pstrdup(unit_pool(), secret);
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", flipped), "auth.invalid_token");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", "Bearer"), "auth.invalid_token");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", ""), "auth.invalid_token");
    /* Another zone's token reads as unknown. */
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z2", secret), "auth.invalid_token");
}

static void test_expiry(void)
{
    mez_db_t *db = fresh_db();
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", make(db, "z1", "operator", NULL, "2000-01-01T00:00:00Z", NULL)),
                           "auth.expired_token");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", make(db, "z1", "operator", NULL, "2999-01-01T00:00:00Z", NULL)),
                           "ok");
}

static void test_revoke_and_list(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_token_info_t *info = NULL;
    apr_array_header_t *a = NULL;
    const char *secret = make(db, "z1", "regulator", NULL, NULL, &info);
    make(db, "z2", "operator", NULL, "2000-01-01T00:00:00Z", NULL);
    CU_ASSERT_EQUAL(mez_token_revoke(unit_pool(), db, info->id, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", secret), "auth.revoked_token");
    CU_ASSERT_EQUAL(mez_token_revoke(unit_pool(), db, info->id, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_token_revoke(unit_pool(), db, "nope", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "token.not_found");
    CU_ASSERT_EQUAL(mez_token_list(unit_pool(), db, NULL, &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(a->nelts, 2);
    CU_ASSERT_EQUAL(mez_token_list(unit_pool(), db, "z2", &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(a->nelts, 1);
    CU_ASSERT_STRING_EQUAL(mez_token_status(unit_pool(), APR_ARRAY_IDX(a, 0, mez_token_info_t *)), "expired");
    CU_ASSERT_EQUAL(mez_token_list(unit_pool(), db, "z1", &a, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_token_status(unit_pool(), APR_ARRAY_IDX(a, 0, mez_token_info_t *)), "revoked");
}

static void test_create_refusals(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    const char *s = NULL;
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "admin", NULL, NULL, NULL, NULL, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "token.invalid_role");
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "entity", NULL, NULL, NULL, NULL, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "token.entity_scope");
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", "e", NULL, NULL, NULL, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, "2030-01-01", NULL, &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "token.invalid_expiry");
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, "2030-13-01T00:00:00Z", NULL, &s, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(s);
}

/* Every column of every row, as text: the secret (and its base64url body) must appear in none of them. */
static void test_only_hashes_stored(void)
{
    mez_db_t *db = fresh_db();
    const char *secret = make(db, "z1", "entity", "ent-9", "2999-01-01T00:00:00Z", NULL);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rows = 0, ncols;
    CU_ASSERT_EQUAL_FATAL(apr_dbd_select(db->driver, unit_pool(), db->handle, &res, "SELECT * FROM mez_token", 0), 0);
    ncols = apr_dbd_num_cols(db->driver, res);
    CU_ASSERT(ncols >= 8);
    while (apr_dbd_get_row(db->driver, unit_pool(), res, &row, -1) == 0) {
        rows++;
        for (int i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(db->driver, row, i);
            CU_ASSERT(!v || (!strstr(v, secret) && !strstr(v, secret + 4)));
        }
    }
    CU_ASSERT_EQUAL(rows, 1);
}

/* A holder names who holds a token; two tokens of one holder are one person to rules such as four eyes. */
static void test_holder(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_token_info_t *a1, *a2, *b, *none, *seen = NULL;
    const char *s, *holder = NULL;
    int same = -1;

    CU_ASSERT_EQUAL_FATAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, NULL, "A. Khan, SECP-0421", &s,
                                           &a1, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(a1->holder, "A. Khan, SECP-0421");
    CU_ASSERT_EQUAL_FATAL(mez_token_lookup(unit_pool(), db, "z", s, &seen, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(seen->holder, "A. Khan, SECP-0421");
    CU_ASSERT_EQUAL_FATAL(mez_token_create(unit_pool(), db, "z", "regulator", NULL, NULL, NULL, "A. Khan, SECP-0421", &s,
                                           &a2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_token_create(unit_pool(), db, "z", "regulator", NULL, NULL, NULL, "B. Malik", &s, &b, &pb),
                          MEZ_OK);
    make(db, "z", "operator", NULL, NULL, &none);
    CU_ASSERT_PTR_NULL(none->holder);
    CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, a1->id, a2->id, &same, &holder, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(same, 1);
    CU_ASSERT_STRING_EQUAL(holder, "A. Khan, SECP-0421");
    CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, a1->id, b->id, &same, &holder, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(same, 0);
    CU_ASSERT_PTR_NULL(holder);
    /* Tokens without a holder are no one's, not each other's; a principal that is no token neither. */
    CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, none->id, none->id, &same, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(same, 0);
    CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, "cert:abc", a1->id, &same, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(same, 0);
    /* A client-certificate mapping of the same holder is the same person; of no holder, no one's. */
    {
        mez_cert_map_t *m = NULL;
        CU_ASSERT_EQUAL_FATAL(mez_cert_map(unit_pool(), db, "z", "sha256:" "0123456789abcdef0123456789abcdef"
                                           "0123456789abcdef0123456789abcdef", NULL, "regulator", NULL, NULL,
                                           "A. Khan, SECP-0421", &m, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(m->holder, "A. Khan, SECP-0421");
        CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, a1->id, m->id, &same, &holder, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(same, 1);
        CU_ASSERT_EQUAL(mez_token_same_holder(unit_pool(), db, m->id, b->id, &same, NULL, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(same, 0);
        CU_ASSERT_EQUAL(mez_cert_map(unit_pool(), db, "z", "sha256:" "1123456789abcdef0123456789abcdef"
                                     "0123456789abcdef0123456789abcdef", NULL, "regulator", NULL, NULL, "A\x01",
                                     &m, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cert.invalid_holder");
    }
    /* Text, not a document: empty, a control character, over 200 characters are refused. */
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, NULL, "", &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "token.invalid_holder");
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, NULL, "A\nB", &s, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "z", "operator", NULL, NULL, NULL,
                                     apr_psprintf(unit_pool(), "%0201d", 0), &s, NULL, &pb), MEZ_EINVAL);
}

/* A token made for another zone's calls to this zone's Mass store carries that zone (mez/token.h): what the store
 * scopes its payments by. A token without one is the zone's own; a mass zone that is no zone id is refused and
 * nothing is stored. */
static void test_mass_zone(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_token_info_t *made = NULL, *got = NULL;
    apr_array_header_t *a;
    const char *s = NULL, *own = make(db, "store-b", "operator", NULL, NULL, NULL), *n = NULL;
    /* ... and the store's own zone: its own tokens reach the whole store already, without one. */
    static const char *const bad[] = { "", "Zone-A", "-zone-a", "zone-a-", "zone_a", "zone a", "store-b", NULL };
    CU_ASSERT_EQUAL_FATAL(mez_token_create(unit_pool(), db, "store-b", "operator", NULL, "zone-a", NULL, "zone A's "
                                           "gateway", &s, &made, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(made->mass_zone_id, "zone-a");
    CU_ASSERT_STRING_EQUAL(made->zone_id, "store-b");
    CU_ASSERT_EQUAL_FATAL(mez_token_lookup(unit_pool(), db, "store-b", s, &got, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(got->id, made->id);
    CU_ASSERT_STRING_EQUAL(got->mass_zone_id, "zone-a");
    /* It is a token of the store's zone: another zone's lookup does not know it, the zone it acts for included. */
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "zone-a", s), "auth.invalid_token");
    CU_ASSERT_EQUAL_FATAL(mez_token_lookup(unit_pool(), db, "store-b", own, &got, &pb), MEZ_OK);
    CU_ASSERT_PTR_NULL(got->mass_zone_id);
    CU_ASSERT_EQUAL_FATAL(mez_token_list(unit_pool(), db, "store-b", &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(a->nelts, 2);
    for (int i = 0; i < a->nelts; i++) {
        const mez_token_info_t *t = APR_ARRAY_IDX(a, i, mez_token_info_t *);
        if (!strcmp(t->id, made->id)) {
            CU_ASSERT_STRING_EQUAL(t->mass_zone_id, "zone-a");
        } else {
            CU_ASSERT_PTR_NULL(t->mass_zone_id);
        }
    }
    for (const char *const *b = bad; *b; b++) {
        s = NULL;
        CU_ASSERT_EQUAL(mez_token_create(unit_pool(), db, "store-b", "operator", NULL, *b, NULL, NULL, &s, NULL, &pb),
                        MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "token.invalid_mass_zone");
        CU_ASSERT_PTR_NULL(s);
    }
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &n, "SELECT COUNT(*) FROM mez_token", &pb, NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(n, "2");
}

void unit_register_token(void)
{
    CU_pSuite s = unit_suite("token");
    CU_add_test(s, "create and look up", test_create_and_lookup);
    CU_add_test(s, "holders", test_holder);
    CU_add_test(s, "unknown, malformed and other-zone tokens", test_bad_tokens);
    CU_add_test(s, "expiry", test_expiry);
    CU_add_test(s, "revoke and list", test_revoke_and_list);
    CU_add_test(s, "create refuses bad input", test_create_refusals);
    CU_add_test(s, "only hashes are stored", test_only_hashes_stored);
    CU_add_test(s, "tokens for another zone's Mass calls", test_mass_zone);
}
