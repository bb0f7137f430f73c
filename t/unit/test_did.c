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
    dec = mez_base58_decode(p, want, 1024, &n);
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
            dec = mez_base58_decode(p, enc, sizeof(buf), &n);
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
        CU_ASSERT_PTR_NULL(mez_base58_decode(p, bad[i], 64, &n));
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

static const char *did_key_of(apr_pool_t *p, const unsigned char pub[32])
{
    unsigned char buf[34] = { 0xed, 0x01 };
    memcpy(buf + 2, pub, 32);
    return apr_pstrcat(p, "did:key:z", mez_base58_encode(p, buf, sizeof(buf)), NULL);
}

static void test_resolve_weak_keys(void)
{
    /* Keys of small order verify a forged signature (R = the identity, S = 0) over any document, and y >= p is a
     * second spelling of another key: neither names a key anyone holds (RFC 8032 section 5.1.3). */
    static const unsigned char order8[32] = { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                              0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                              0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 };
    apr_pool_t *p = unit_pool();
    unsigned char pub[32];
    mez_key_t *key;
    mez_problem_t pb = { 0 };

    memset(pub, 0, 32);
    pub[0] = 1;                                         /* the identity */
    expect_resolve_fails(did_key_of(p, pub), "key.invalid");
    CU_ASSERT_EQUAL(mez_key_from_public(p, pub, &key, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.invalid");
    memset(pub, 0, 32);                                 /* y = 0: order 4, both signs */
    expect_resolve_fails(did_key_of(p, pub), "key.invalid");
    pub[31] = 0x80;
    expect_resolve_fails(did_key_of(p, pub), "key.invalid");
    expect_resolve_fails(did_key_of(p, order8), "key.invalid");
    memcpy(pub, order8, 32);
    pub[31] |= 0x80;
    expect_resolve_fails(did_key_of(p, pub), "key.invalid");
    /* y = p - 1 (order 2), then y = p .. 2^255 - 1, with and without the sign bit. */
    memset(pub, 0xff, 32);
    pub[0] = 0xec;
    pub[31] = 0x7f;
    expect_resolve_fails(did_key_of(p, pub), "key.invalid");
    for (unsigned low = 0xed; low <= 0xff; low++)
        for (unsigned sign = 0; sign <= 0x80; sign += 0x80) {
            pub[0] = (unsigned char)low;
            pub[31] = (unsigned char)(0x7f | sign);
            CU_ASSERT_EQUAL(mez_key_from_public(p, pub, &key, &pb), MEZ_EINVAL);
        }
    /* y = p - 2 is canonical and not of small order (whatever point it is, decoding judges it, not this list). */
    pub[0] = 0xeb;
    pub[31] = 0x7f;
    CU_ASSERT_EQUAL(mez_key_from_public(p, pub, &key, &pb), MEZ_OK);
}

static void test_resolve_long(void)
{
    /* Decoding base58 is quadratic: a verificationMethod of 160,000 characters took 6 s. Refused by length now,
     * and the detail quotes at most 200 characters of it. */
    apr_pool_t *p = unit_pool();
    size_t n = 1000000, len;
    char *big = apr_palloc(p, n + 1);
    const char *url;
    mez_key_t *key;
    mez_problem_t pb = { 0 };
    apr_time_t t0 = apr_time_now();

    memset(big, '2', n);
    big[n] = '\0';
    CU_ASSERT_PTR_NULL(mez_base58_decode(p, big, 64, &len));
    big[0] = 'z';
    url = apr_pstrcat(p, "did:key:", big, "#", big, NULL);
    CU_ASSERT_EQUAL(mez_did_key_resolve(p, url, &key, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "did.invalid");
    CU_ASSERT(strlen(pb.detail) < 1000);
    CU_ASSERT_EQUAL(mez_did_key_resolve(p, apr_pstrcat(p, "did:key:", big, NULL), &key, &pb), MEZ_EINVAL);
    CU_ASSERT(strlen(pb.detail) < 1000);
    CU_ASSERT(apr_time_now() - t0 < apr_time_from_sec(1));
    /* The bounds: one character past the longest encoding of 66 bytes (codec and key) is refused, a value that decodes past
     * max_len is refused, and max_len bytes of 0xff decode. */
    {
        unsigned char ff[64];
        memset(ff, 0xff, sizeof(ff));
        const char *enc = mez_base58_encode(p, ff, sizeof(ff));
        CU_ASSERT_EQUAL(strlen(enc), MEZ_BASE58_MAX_CHARS(64));
        CU_ASSERT_PTR_NOT_NULL(mez_base58_decode(p, enc, 64, &len));
        CU_ASSERT_EQUAL(len, 64);
        CU_ASSERT_PTR_NULL(mez_base58_decode(p, enc, 63, &len));
        CU_ASSERT_PTR_NULL(mez_base58_decode(p, "11", 1, &len));
    }
    expect_resolve_fails(apr_pstrcat(p, "did:key:z", apr_pstrndup(p, big + 1, MEZ_BASE58_MAX_CHARS(66) + 1), NULL),
                         "did.invalid");
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
    CU_add_test(s, "resolve refuses keys of small order and y >= p", test_resolve_weak_keys);
    CU_add_test(s, "resolve and base58 refuse long values before decoding", test_resolve_long);
}
