/* test_clientcert.c: CUnit suite for client-certificate mappings (mez/clientcert.h): fingerprints of PEM and DER
 * certificates against what the openssl command prints, parsing typed fingerprints, and map / lookup / revoke /
 * expiry / zone scoping on SQLite through apr_dbd (PostgreSQL and the TLS path are covered by t/test_mtls.py). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "mez/clientcert.h"
#include "mez/store.h"
#include "unit.h"

/* A self-signed P-256 certificate made with `openssl req -x509 ... -subj "/O=mez unit/CN=unit-client"`; FP is
 * what `openssl x509 -noout -fingerprint -sha256` printed for it (colons removed, lower case), SUBJECT what
 * `-subject -nameopt RFC2253` printed: both computed by the openssl command, not by the code under test. */
static const char PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBqDCCAU+gAwIBAgIUHHpAaXEOLWOduxHte5j8HtQ/G9MwCgYIKoZIzj0EAwIw\n"
    "KTERMA8GA1UECgwIbWV6IHVuaXQxFDASBgNVBAMMC3VuaXQtY2xpZW50MCAXDTI2\n"
    "MTEyNTE4MTgwN1oYDzIxMjYxMTAxMTgxODA3WjApMREwDwYDVQQKDAhtZXogdW5p\n"
    "dDEUMBIGA1UEAwwLdW5pdC1jbGllbnQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
    "AATXPASh3A4mY9C3njWeDd1U+pT8+NGRUbl/aSragKRdZ1hVMIfff8Ff5WipFIpS\n"
    "OW8DdLsWXjIBj4XWrofCF544o1MwUTAdBgNVHQ4EFgQUW8GcxrOf1MFmQp9j2VYK\n"
    "Qd3AkEAwHwYDVR0jBBgwFoAUW8GcxrOf1MFmQp9j2VYKQd3AkEAwDwYDVR0TAQH/\n"
    "BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAGQS9UrpjsS15SqMF3K2SRrRqKPLlb\n"
    "NSkpwB55F80ByAIgScvdxbEieasxXDxb33J3x5fHtegngtN9UOrKoVkGA2Q=\n"
    "-----END CERTIFICATE-----\n";
#define OPENSSL_FP "5B:13:B0:68:BC:30:C3:AD:96:90:CC:54:32:AB:22:F9:41:B6:7F:76:25:BD:EA:C9:58:80:A0:63:45:D9:1B:38"
#define FP "sha256:5b13b068bc30c3ad9690cc5432ab22f941b67f7625bdeac95880a06345d91b38"
#define SUBJECT "CN=unit-client,O=mez unit"

static mez_db_t *fresh_db(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE");
    int from, to;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/c.sqlite", NULL),
                                      &db, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    return db;
}

static int rows(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_db_query_value(unit_pool(), db, &v, "SELECT COUNT(*) FROM mez_client_cert", &pb,
                                             NULL), MEZ_OK);
    return v ? atoi(v) : -1;
}

static void test_fingerprint_pem_and_der(void)
{
    mez_problem_t pb = { 0 };
    const char *fp = NULL, *subject = NULL, *b64;
    char *body, *w;
    unsigned char der[2048];
    int n;

    CU_ASSERT_EQUAL(mez_cert_fingerprint(unit_pool(), PEM, strlen(PEM), &fp, &subject, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(fp, FP);
    CU_ASSERT_STRING_EQUAL(subject, SUBJECT);
    /* The same certificate as DER: the base64 between the armour lines, decoded here by EVP_DecodeBlock. */
    b64 = strstr(PEM, "\n") + 1;
    body = apr_pstrndup(unit_pool(), b64, (apr_size_t)(strstr(PEM, "-----END") - b64));
    for (w = body; *b64 && b64 < strstr(PEM, "-----END"); b64++)
        if (*b64 != '\n')
            *w++ = *b64;
    *w = '\0';
    n = EVP_DecodeBlock(der, (const unsigned char *)body, (int)strlen(body));
    CU_ASSERT_FATAL(n > 0);
    /* EVP_DecodeBlock counts the padding as zero bytes; DER carries its own length and ignores them. */
    CU_ASSERT_EQUAL(mez_cert_fingerprint(unit_pool(), (const char *)der, (apr_size_t)n, &fp, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(fp, FP);
}

static void test_fingerprint_rejects_non_certificates(void)
{
    mez_problem_t pb = { 0 };
    const char *fp = "x";
    char *cut = apr_pstrdup(unit_pool(), PEM);
    cut[200] = '\0'; /* a truncated PEM */
    CU_ASSERT_EQUAL(mez_cert_fingerprint(unit_pool(), cut, strlen(cut), &fp, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cert.invalid");
    CU_ASSERT_EQUAL(pb.status, 400);
    CU_ASSERT_PTR_NULL(fp);
    CU_ASSERT_EQUAL(mez_cert_fingerprint(unit_pool(), "hello", 5, &fp, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_cert_fingerprint(unit_pool(), "", 0, &fp, NULL, &pb), MEZ_EINVAL);
}

static const char *parsed(const char *text)
{
    mez_problem_t pb = { 0 };
    const char *fp = NULL;
    if (mez_cert_fingerprint_parse(unit_pool(), text, &fp, &pb) != MEZ_OK) {
        CU_ASSERT_STRING_EQUAL(pb.code, "cert.invalid_fingerprint");
        CU_ASSERT_EQUAL(pb.status, 400);
        return pb.code;
    }
    return fp;
}

static void test_fingerprint_parse(void)
{
    CU_ASSERT_STRING_EQUAL(parsed(FP), FP);
    CU_ASSERT_STRING_EQUAL(parsed("SHA256:5B13B068BC30C3AD9690CC5432AB22F941B67F7625BDEAC95880A06345D91B38"), FP);
    CU_ASSERT_STRING_EQUAL(parsed("sha256 Fingerprint=" OPENSSL_FP), FP);
    CU_ASSERT_STRING_EQUAL(parsed("sha256:" OPENSSL_FP), FP);
    /* No algorithm named, another algorithm, wrong lengths, non-hex, misplaced separators. */
    CU_ASSERT_STRING_EQUAL(parsed(FP + 7), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed(OPENSSL_FP), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed("sha1:5b13b068bc30c3ad9690cc5432ab22f941b67f76"), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed("sha256:5b13"), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed(FP "00"), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed("sha256:5b13b068bc30c3ad9690cc5432ab22f941b67f7625bdeac95880a06345d91b3g"),
                           "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed("sha256:5B13:B0:68:BC:30:C3:AD:96:90:CC:54:32:AB:22:F9:41:B6:7F:76:25:BD:EA:C9:"
                                  "58:80:A0:63:45:D9:1B:38:"), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed(""), "cert.invalid_fingerprint");
    CU_ASSERT_STRING_EQUAL(parsed(NULL), "cert.invalid_fingerprint");
}

static mez_cert_map_t *map(mez_db_t *db, const char *zone, const char *role, const char *entity, const char *expires)
{
    mez_problem_t pb = { 0 };
    mez_cert_map_t *m = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_cert_map(unit_pool(), db, zone, FP, SUBJECT, role, entity, expires, NULL, &m, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

static const char *lookup_code(mez_db_t *db, const char *zone, const char *fp, mez_cert_map_t **out)
{
    mez_problem_t pb = { 0 };
    mez_cert_map_t *m = NULL;
    if (mez_cert_lookup(unit_pool(), db, zone, fp, &m, &pb) == MEZ_OK) {
        if (out)
            *out = m;
        return "ok";
    }
    CU_ASSERT_EQUAL(pb.status, 401);
    CU_ASSERT_PTR_NULL(m);
    return pb.code;
}

static void test_map_and_lookup(void)
{
    mez_db_t *db = fresh_db();
    mez_cert_map_t *made = map(db, "z1", "entity", "ent_1", NULL), *got = NULL;
    CU_ASSERT_EQUAL(strncmp(made->id, "crt_", 4), 0);
    CU_ASSERT_EQUAL(strlen(made->id), 4 + 16);
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", FP, &got), "ok");
    CU_ASSERT_STRING_EQUAL(got->id, made->id);
    CU_ASSERT_STRING_EQUAL(got->role, "entity");
    CU_ASSERT_STRING_EQUAL(got->entity_id, "ent_1");
    CU_ASSERT_STRING_EQUAL(got->subject, SUBJECT);
    CU_ASSERT_STRING_EQUAL(got->zone_id, "z1");
    CU_ASSERT_PTR_NULL(got->revoked_at);
    /* Another zone's mapping reads as unknown; so does a certificate nobody mapped, or a malformed fingerprint. */
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z2", FP, NULL), "auth.unknown_certificate");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", "sha256:" "00000000000000000000000000000000"
                                       "00000000000000000000000000000000", NULL), "auth.unknown_certificate");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", "SHA256:X", NULL), "auth.unknown_certificate");
}

static void test_map_refusals_change_nothing(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_cert_map_t *m = NULL;
    map(db, "z1", "operator", NULL, NULL);
    CU_ASSERT_EQUAL(rows(db), 1);
#define REFUSED(zone, fp, role, entity, expires, want_status, want_code)                                   \
    do {                                                                                                       \
        memset(&pb, 0, sizeof(pb));                                                                            \
        CU_ASSERT_EQUAL(mez_cert_map(unit_pool(), db, zone, fp, NULL, role, entity, expires, NULL, &m, &pb),         \
                        MEZ_EINVAL);                                                                           \
        CU_ASSERT_EQUAL(pb.status, want_status);                                                               \
        CU_ASSERT_STRING_EQUAL(pb.code, want_code);                                                            \
        CU_ASSERT_PTR_NULL(m);                                                                                 \
    } while (0)
    REFUSED("z1", FP, "operator", NULL, NULL, 409, "cert.already_mapped");
    REFUSED("z1", FP, "regulator", NULL, NULL, 409, "cert.already_mapped");
    REFUSED("z1", "sha256:ABC", "operator", NULL, NULL, 400, "cert.invalid_fingerprint");
    REFUSED("z1", FP + 7, "operator", NULL, NULL, 400, "cert.invalid_fingerprint");
    REFUSED("z3", FP, "admin", NULL, NULL, 400, "cert.invalid_role");
    REFUSED("", FP, "operator", NULL, NULL, 400, "cert.missing_zone");
    REFUSED("z3", FP, "entity", NULL, NULL, 400, "cert.entity_scope");
    REFUSED("z3", FP, "operator", "ent_1", NULL, 400, "cert.entity_scope");
    REFUSED("z3", FP, "operator", NULL, "2030-01-01", 400, "cert.invalid_expiry");
    REFUSED("z3", FP, "operator", NULL, "2030-02-30T00:00:00Z", 400, "cert.invalid_expiry");
#undef REFUSED
    CU_ASSERT_EQUAL(rows(db), 1);
    /* The same certificate in another zone is another principal. */
    map(db, "z2", "watcher", NULL, NULL);
    CU_ASSERT_EQUAL(rows(db), 2);
}

static void test_revoke_expire_and_map_again(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_cert_map_t *first = map(db, "z1", "operator", NULL, NULL), *again, *got = NULL;
    apr_array_header_t *all = NULL;
    const char *revoked_at = NULL;

    CU_ASSERT_EQUAL(mez_cert_revoke(unit_pool(), db, first->id, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", FP, NULL), "auth.revoked_certificate");
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &revoked_at, "SELECT revoked_at FROM mez_client_cert "
                                       "WHERE cert_id = %s", &pb, first->id, NULL), MEZ_OK);
    /* Revoking twice keeps the first time; an unknown id is a 404 and changes nothing. */
    CU_ASSERT_EQUAL(mez_cert_revoke(unit_pool(), db, first->id, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_cert_revoke(unit_pool(), db, "crt_0000000000000000", &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_STRING_EQUAL(pb.code, "cert.not_found");
    /* A revoked certificate may be mapped again, as a new principal with a new id. */
    again = map(db, "z1", "regulator", NULL, NULL);
    CU_ASSERT_STRING_NOT_EQUAL(again->id, first->id);
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", FP, &got), "ok");
    CU_ASSERT_STRING_EQUAL(got->id, again->id);
    CU_ASSERT_STRING_EQUAL(got->role, "regulator");
    CU_ASSERT_EQUAL(mez_cert_list(unit_pool(), db, "z1", &all, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(all->nelts, 2);
    /* Both rows may carry the same created_at second: find each by id, not by position. */
    for (int i = 0; i < all->nelts; i++) {
        const mez_cert_map_t *m = APR_ARRAY_IDX(all, i, mez_cert_map_t *);
        int is_first = !strcmp(m->id, first->id);
        CU_ASSERT(is_first || !strcmp(m->id, again->id));
        CU_ASSERT_STRING_EQUAL(mez_cert_status(unit_pool(), m), is_first ? "revoked" : "active");
        if (is_first) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(m->revoked_at);
            CU_ASSERT_PTR_NOT_NULL_FATAL(revoked_at);
            CU_ASSERT_STRING_EQUAL(m->revoked_at, revoked_at);
        }
        else
            CU_ASSERT_PTR_NULL(m->revoked_at);
    }
    CU_ASSERT_EQUAL(mez_cert_list(unit_pool(), db, "z9", &all, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(all->nelts, 0);
    /* The database itself refuses a second live mapping, whoever bypasses mez_cert_map. */
    CU_ASSERT_NOT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "INSERT INTO mez_client_cert (cert_id, fingerprint, "
                                     "role, zone_id, created_at) VALUES ('crt_x', %s, 'watcher', 'z1', "
                                     "'2026-01-01T00:00:00Z')", &pb, FP, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(rows(db), 2);
}

static void test_expired_mapping(void)
{
    mez_db_t *db = fresh_db();
    mez_problem_t pb = { 0 };
    mez_cert_map_t *m = map(db, "z1", "operator", NULL, "2020-01-01T00:00:00Z");
    apr_array_header_t *all = NULL;
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z1", FP, NULL), "auth.expired_certificate");
    CU_ASSERT_EQUAL(mez_cert_list(unit_pool(), db, NULL, &all, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(all->nelts, 1);
    CU_ASSERT_STRING_EQUAL(mez_cert_status(unit_pool(), APR_ARRAY_IDX(all, 0, mez_cert_map_t *)), "expired");
    /* An expired mapping is still the live one: replacing it takes a revocation first. */
    CU_ASSERT_EQUAL(mez_cert_map(unit_pool(), db, "z1", FP, NULL, "operator", NULL, NULL, NULL, &m, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cert.already_mapped");
    map(db, "z2", "operator", NULL, "2999-01-01T00:00:00Z");
    CU_ASSERT_STRING_EQUAL(lookup_code(db, "z2", FP, NULL), "ok");
}

void unit_register_clientcert(void)
{
    CU_pSuite s = unit_suite("clientcert");
    CU_add_test(s, "fingerprint of PEM and DER equals openssl's", test_fingerprint_pem_and_der);
    CU_add_test(s, "fingerprint refuses what is no certificate", test_fingerprint_rejects_non_certificates);
    CU_add_test(s, "typed fingerprints are normalised or refused", test_fingerprint_parse);
    CU_add_test(s, "map and lookup, zone scoping", test_map_and_lookup);
    CU_add_test(s, "refused mappings change nothing", test_map_refusals_change_nothing);
    CU_add_test(s, "revoke, then map again", test_revoke_expire_and_map_again);
    CU_add_test(s, "expired mapping", test_expired_mapping);
}
