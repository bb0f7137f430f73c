/* test_did.c: CUnit suite for libmezcore's did area: base58btc, Multikey values and did:key.
 * Holds the vc-di-eddsa key pair vector and the resolver's refusals (method, fragment, alphabet, codec). */
#include <string.h>
#include <apr_strings.h>
#include <jansson.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/key.h"
#include "unit.h"

static void check_b58(const unsigned char *data, size_t len, const char *want)
{
    apr_pool_t *p = unit_pool();
    size_t n = (size_t)-1;
    const char *enc = mez_base58_encode(p, data, len);
    unsigned char *dec;
    CU_ASSERT_STRING_EQUAL(enc, want);
    dec = mez_base58_decode(p, want, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
    CU_ASSERT_EQUAL(n, len);
    if (n == len && len)
        CU_ASSERT_EQUAL(memcmp(dec, data, len), 0);
}

static void test_base58_known(void)
{
    static const unsigned char zero1[] = { 0 };
    static const unsigned char zeros3[] = { 0, 0, 0 };
    static const unsigned char lead[] = { 0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd };
    static const unsigned char one[] = { 0x01 };
    static const unsigned char b57[] = { 57 };
    static const unsigned char b58[] = { 58 };
    static const unsigned char ff[] = { 0xff };

    check_b58((const unsigned char *)"", 0, "");
    check_b58(zero1, 1, "1");
    check_b58(zeros3, 3, "111");
    check_b58(one, 1, "2");
    check_b58(b57, 1, "z");
    check_b58(b58, 1, "21");
    check_b58(ff, 1, "5Q");
    check_b58(lead, sizeof(lead), "11233QC4");
    check_b58((const unsigned char *)"Hello World!", 12, "2NEpo7TZRRrLZSi2U");
    check_b58((const unsigned char *)"The quick brown fox jumps over the lazy dog.", 44,
              "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z");
}

static void test_base58_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char buf[80];
    /* Lengths around key and signature sizes, with and without leading zeros. */
    for (size_t len = 0; len <= sizeof(buf); len++) {
        for (size_t zeros = 0; zeros <= 3 && zeros <= len; zeros++) {
            size_t n;
            unsigned char *dec;
            const char *enc;
            for (size_t i = 0; i < len; i++)
                buf[i] = i < zeros ? 0 : (unsigned char)(i * 151 + len * 7 + 1);
            enc = mez_base58_encode(p, buf, len);
            dec = mez_base58_decode(p, enc, &n);
            CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
            CU_ASSERT_EQUAL(n, len);
            if (n == len && len)
                CU_ASSERT_EQUAL(memcmp(dec, buf, len), 0);
            /* Leading '1's are exactly the leading zero bytes. */
            size_t lead = 0;
            while (lead < len && buf[lead] == 0)
                lead++;
            CU_ASSERT_EQUAL(strspn(enc, "1"), lead);
        }
    }
}

static void test_base58_rejects(void)
{
    static const char *const bad[] = { "0", "O", "I", "l", "2NEpo7TZ0RRrLZSi2U", "+", "a b", "\xc3\xa9", "z=" };
    apr_pool_t *p = unit_pool();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n;
        CU_ASSERT_PTR_NULL(mez_base58_decode(p, bad[i], &n));
    }
}

static json_t *load_keypair(void)
{
    json_error_t err;
    json_t *v = json_load_file(unit_shared("vectors/vc-di-eddsa/keyPair.json"), 0, &err);
    return v;
}

static void test_vc_di_eddsa_keypair(void)
{
    apr_pool_t *p = unit_pool();
    json_t *kp = load_keypair();
    const char *pub_mb, *priv_mb;
    mez_key_t *priv, *pub;
    mez_problem_t pb = { 0 };
    unsigned char a[32], b[32], sig[64];

    CU_ASSERT_PTR_NOT_NULL_FATAL(kp);
    pub_mb = json_string_value(json_object_get(kp, "publicKeyMultibase"));
    priv_mb = json_string_value(json_object_get(kp, "privateKeyMultibase"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(pub_mb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(priv_mb);
    pub_mb = apr_pstrdup(p, pub_mb);
    priv_mb = apr_pstrdup(p, priv_mb);
    json_decref(kp);

    CU_ASSERT_EQUAL_FATAL(mez_multikey_decode_private(p, priv_mb, &priv, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_key_has_private(priv));
    CU_ASSERT_STRING_EQUAL(mez_multikey_encode_public(p, priv), pub_mb);
    CU_ASSERT_STRING_EQUAL(mez_did_key(p, priv), apr_pstrcat(p, "did:key:", pub_mb, NULL));
    CU_ASSERT_STRING_EQUAL(mez_did_key_verification_method(p, priv),
                           apr_pstrcat(p, "did:key:", pub_mb, "#", pub_mb, NULL));

    CU_ASSERT_EQUAL_FATAL(mez_multikey_decode_public(p, pub_mb, &pub, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_key_has_private(pub));
    mez_key_public_bytes(priv, a);
    mez_key_public_bytes(pub, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
    CU_ASSERT_EQUAL_FATAL(mez_key_sign(priv, "vc", 2, sig, &pb, p), MEZ_OK);
    CU_ASSERT_TRUE(mez_key_verify(pub, "vc", 2, sig, 64));

    /* Each decoder takes only its own kind of value. */
    CU_ASSERT_NOT_EQUAL(mez_multikey_decode_private(p, pub_mb, &priv, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "did.unsupported_key_type");
    CU_ASSERT_NOT_EQUAL(mez_multikey_decode_public(p, priv_mb, &pub, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "did.unsupported_key_type");
}

static void test_did_key_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key, *resolved;
    mez_problem_t pb = { 0 };
    unsigned char a[32], b[32];
    const char *did, *vm, *mb;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    mez_key_public_bytes(key, a);
    did = mez_did_key(p, key);
    mb = mez_multikey_encode_public(p, key);
    vm = mez_did_key_verification_method(p, key);
    CU_ASSERT_EQUAL(strncmp(did, "did:key:z6Mk", 12), 0);
    CU_ASSERT_EQUAL(strncmp(mb, "z6Mk", 4), 0);
    CU_ASSERT_STRING_EQUAL(vm, apr_pstrcat(p, did, "#", mb, NULL));

    CU_ASSERT_EQUAL_FATAL(mez_did_key_resolve(p, did, &resolved, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_key_has_private(resolved));
    mez_key_public_bytes(resolved, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);

    CU_ASSERT_EQUAL_FATAL(mez_did_key_resolve(p, vm, &resolved, &pb), MEZ_OK);
    mez_key_public_bytes(resolved, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
}

static void expect_resolve_fails(const char *did_url, const char *code)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_did_key_resolve(p, did_url, &key, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(key);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_PTR_NOT_NULL(pb.detail);
}

/* "z" + base58btc(prefix || n bytes), for building values a test wants to be wrong in one way. */
static const char *multibase(apr_pool_t *p, unsigned char c0, unsigned char c1, size_t n)
{
    unsigned char buf[2 + 64];
    buf[0] = c0;
    buf[1] = c1;
    for (size_t i = 0; i < n; i++)
        buf[2 + i] = (unsigned char)(i + 1);
    return apr_pstrcat(p, "z", mez_base58_encode(p, buf, 2 + n), NULL);
}

static void test_resolve_errors(void)
{
    apr_pool_t *p = unit_pool();
    const char *good = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const char *other = "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";

    expect_resolve_fails("did:web:example.com", "did.unsupported_method");
    expect_resolve_fails("did:example:123", "did.unsupported_method");
    expect_resolve_fails("did:keys:z6Mk", "did.unsupported_method");
    expect_resolve_fails("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "did.invalid");
    expect_resolve_fails("did:key", "did.invalid");
    expect_resolve_fails("did:key:", "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", good, "#", other, NULL), "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", good, "#", NULL), "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", good, "#key-1", NULL), "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", good, "/path", NULL), "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", good, "?versionId=1", NULL), "did.invalid");
    /* Characters outside the base58btc alphabet (0, O, I, l) and a non-base58btc multibase prefix. */
    expect_resolve_fails("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "did.invalid");
    expect_resolve_fails("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTOI", "did.invalid");
    expect_resolve_fails("did:key:u7QF", "did.invalid");
    /* The Ed25519 codec with a key of the wrong length. */
    expect_resolve_fails(apr_pstrcat(p, "did:key:", multibase(p, 0xed, 0x01, 31), NULL), "did.invalid");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", multibase(p, 0xed, 0x01, 33), NULL), "did.invalid");
    expect_resolve_fails("did:key:z", "did.invalid");
    /* Other multicodecs: X25519 (0xec), P-256 (0x1200), secp256k1 (0xe7). */
    expect_resolve_fails(apr_pstrcat(p, "did:key:", multibase(p, 0xec, 0x01, 32), NULL), "did.unsupported_key_type");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", multibase(p, 0x80, 0x24, 33), NULL), "did.unsupported_key_type");
    expect_resolve_fails(apr_pstrcat(p, "did:key:", multibase(p, 0xe7, 0x01, 33), NULL), "did.unsupported_key_type");
}

static void test_resolve_known_did(void)
{
    apr_pool_t *p = unit_pool();
    const char *mb = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    mez_key_t *key;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_did_key_resolve(p, apr_pstrcat(p, "did:key:", mb, "#", mb, NULL), &key, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_multikey_encode_public(p, key), mb);
}

void unit_register_did(void)
{
    CU_pSuite s = unit_suite("did");
    CU_add_test(s, "base58btc known values", test_base58_known);
    CU_add_test(s, "base58btc round trips with leading zeros", test_base58_round_trip);
    CU_add_test(s, "base58btc rejects characters outside the alphabet", test_base58_rejects);
    CU_add_test(s, "vc-di-eddsa keyPair.json: private Multikey gives the public Multikey", test_vc_di_eddsa_keypair);
    CU_add_test(s, "did:key and verification method round trip", test_did_key_round_trip);
    CU_add_test(s, "resolve did:key:X#X", test_resolve_known_did);
    CU_add_test(s, "resolve refuses other methods, wrong fragments, bad base58, other codecs", test_resolve_errors);
}
