/* test_digest.c: CUnit suite for libmezcore's digest area: SHA-256 and the "sha256:<hex>" form.
 * Holds the FIPS 180 known answers and the vc-di-eddsa document hash over RFC 8785 bytes. */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "unit.h"

static const char ABC_HEX[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char EMPTY_HEX[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void test_sha256_known(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d;
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    mez_digest_sha256("abc", 3, &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), ABC_HEX);
    CU_ASSERT_STRING_EQUAL(mez_digest_format(p, &d), apr_pstrcat(p, "sha256:", ABC_HEX, NULL));
    mez_digest_sha256("", 0, &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), EMPTY_HEX);
    mez_digest_sha256(two, strlen(two), &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_format_parse_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d, back;
    mez_problem_t pb = { 0 };
    const char *s;

    for (int i = 0; i < 4; i++) {
        char msg[2] = { (char)('a' + i), 0 };
        mez_digest_sha256(msg, 1, &d);
        s = mez_digest_format(p, &d);
        CU_ASSERT_EQUAL(strlen(s), 7 + 64);
        CU_ASSERT_EQUAL_FATAL(mez_digest_parse(p, s, &back, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_digest_equal(&d, &back));
        CU_ASSERT_EQUAL(memcmp(d.bytes, back.bytes, MEZ_DIGEST_LEN), 0);
    }
}

static void expect_parse_refused(const char *s)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_digest_parse(p, s, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, "digest.invalid");
}

static void test_parse_rejects(void)
{
    apr_pool_t *p = unit_pool();
    char *upper = apr_pstrcat(p, "sha256:", ABC_HEX, NULL);
    upper[7] = 'B';
    expect_parse_refused(upper);                                              /* upper case */
    expect_parse_refused(apr_pstrcat(p, "SHA256:", ABC_HEX, NULL));           /* prefix case */
    expect_parse_refused(ABC_HEX);                                            /* no prefix */
    expect_parse_refused(apr_pstrcat(p, "sha512:", ABC_HEX, NULL));
    expect_parse_refused(apr_pstrcat(p, "sha256:", ABC_HEX + 1, NULL));       /* 63 digits */
    expect_parse_refused(apr_pstrcat(p, "sha256:", ABC_HEX, "0", NULL));      /* 65 digits */
    expect_parse_refused(apr_pstrcat(p, "sha256:", ABC_HEX, "\n", NULL));
    expect_parse_refused(apr_pstrcat(p, " sha256:", ABC_HEX, NULL));
    expect_parse_refused("sha256:");
    expect_parse_refused("");
    expect_parse_refused(NULL);
    char *nonhex = apr_pstrcat(p, "sha256:", ABC_HEX, NULL);
    nonhex[70] = 'g';
    expect_parse_refused(nonhex);
}

/* A digest read from JSON is the whole string: "sha256:<hex>\u0000junk" is not the digest <hex>, though its C text
 * is (what mez_digest_parse sees), and mez_digest_parse_json / _n refuse it. */
static void test_parse_json_nul(void)
{
    apr_pool_t *p = unit_pool();
    const char *good = apr_pstrcat(p, "sha256:", ABC_HEX, NULL);
    char *buf = apr_pstrcat(p, good, "_junk", NULL);
    size_t len = strlen(buf);
    json_t *v;
    mez_digest_t d, want;
    mez_problem_t pb = { 0 };

    buf[strlen(good)] = '\0';
    v = mez_json_pool_own(p, json_stringn(buf, len));
    CU_ASSERT_EQUAL_FATAL(mez_digest_parse(p, good, &want, NULL), MEZ_OK);
    /* The C text stops at the NUL: the bug this guards against. */
    CU_ASSERT_EQUAL(mez_digest_parse(p, json_string_value(v), &d, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(mez_digest_parse_json(p, v, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "digest.invalid");
    CU_ASSERT_EQUAL(mez_digest_parse_n(p, buf, len, &d, NULL), MEZ_EINVAL);
    /* A NUL inside the 71 bytes, and a NUL as the 72nd. */
    buf[20] = '\0';
    CU_ASSERT_EQUAL(mez_digest_parse_n(p, buf, 71, &d, NULL), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_digest_parse_n(p, good, 72, &d, NULL), MEZ_EINVAL);
    /* Not a string. */
    CU_ASSERT_EQUAL(mez_digest_parse_json(p, NULL, &d, NULL), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_digest_parse_json(p, mez_json_pool_own(p, json_integer(1)), &d, NULL), MEZ_EINVAL);
    /* The whole string, as it should be. */
    memset(&d, 0, sizeof(d));
    CU_ASSERT_EQUAL(mez_digest_parse_json(p, mez_json_pool_own(p, json_string(good)), &d, NULL), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &want));
    memset(&d, 0, sizeof(d));
    CU_ASSERT_EQUAL(mez_digest_parse_n(p, good, 71, &d, NULL), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &want));
}

static void test_equal(void)
{
    mez_digest_t a, b;
    mez_digest_sha256("abc", 3, &a);
    b = a;
    CU_ASSERT_TRUE(mez_digest_equal(&a, &b));
    /* A difference anywhere, first or last byte, is seen. */
    b.bytes[0] ^= 1;
    CU_ASSERT_FALSE(mez_digest_equal(&a, &b));
    b = a;
    b.bytes[MEZ_DIGEST_LEN - 1] ^= 0x80;
    CU_ASSERT_FALSE(mez_digest_equal(&a, &b));
}

static void test_vc_di_eddsa_doc_hash(void)
{
    apr_pool_t *p = unit_pool();
    json_t *doc;
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    size_t len;
    char *want = unit_read_file(unit_shared("vectors/vc-di-eddsa/eddsa-jcs-2022/docHashJCS.txt"), &len);

    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    while (len && (want[len - 1] == '\n' || want[len - 1] == '\r' || want[len - 1] == ' '))
        want[--len] = '\0';
    CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, unit_shared("vectors/vc-di-eddsa/unsigned.json"), &doc, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_digest_json(p, doc, &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), want);
    CU_ASSERT_STRING_EQUAL(mez_digest_format(p, &d), apr_pstrcat(p, "sha256:", want, NULL));
}

static void test_digest_json_refuses_nan(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    CU_ASSERT_NOT_EQUAL(mez_digest_json(p, NULL, &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "json.not_canonicalizable");
}

/* FIPS 180-2's "abc" before, with and after the once-fetched algorithm (released with its pool). */
static void test_digest_global_init(void)
{
    static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    apr_pool_t *p;
    mez_digest_t d;
    mez_digest_sha256("abc", 3, &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d), abc);
    CU_ASSERT_EQUAL_FATAL(apr_pool_create(&p, unit_pool()), APR_SUCCESS);
    mez_digest_global_init(p);
    mez_digest_global_init(p);        /* again: nothing more is fetched or registered */
    mez_digest_sha256("abc", 3, &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d), abc);
    apr_pool_destroy(p);
    mez_digest_sha256("abc", 3, &d);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d), abc);
}

void unit_register_digest(void)
{
    CU_pSuite s = unit_suite("digest");
    CU_add_test(s, "SHA-256 known answers (\"abc\", empty, two blocks)", test_sha256_known);
    CU_add_test(s, "sha256:<hex> format/parse round trip", test_format_parse_round_trip);
    CU_add_test(s, "parse refuses upper case, wrong length, missing prefix", test_parse_rejects);
    CU_add_test(s, "a digest in JSON is the whole string, a NUL inside refused", test_parse_json_nul);
    CU_add_test(s, "equality sees a difference in any byte", test_equal);
    CU_add_test(s, "vc-di-eddsa unsigned.json hash equals docHashJCS.txt", test_vc_di_eddsa_doc_hash);
    CU_add_test(s, "no digest for a value without canonical form", test_digest_json_refuses_nan);
    CU_add_test(s, "SHA-256 fetched once gives the same digests, and falls back when released",
                test_digest_global_init);
}
