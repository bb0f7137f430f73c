/* test_key.c: CUnit suite for libmezcore's key area (Ed25519 through OpenSSL EVP).
 * Holds the RFC 8032 known answers and the file rules: 0600 on creation, no overwrite, no group/world access. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "mez/key.h"
#include "unit.h"

static void hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

/* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one octet). */
static const struct {
    const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
    { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      "",
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
    { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      "72",
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

static void test_rfc8032_vectors(void)
{
    apr_pool_t *p = unit_pool();
    for (size_t t = 0; t < sizeof(rfc8032) / sizeof(rfc8032[0]); t++) {
        unsigned char seed[32], pub[32], want_pub[32], msg[8], sig[64], want_sig[64];
        size_t mlen = strlen(rfc8032[t].msg) / 2;
        mez_key_t *key, *pubkey;
        mez_problem_t pb = { 0 };

        hex_to_bytes(rfc8032[t].seed, seed, 32);
        hex_to_bytes(rfc8032[t].pub, want_pub, 32);
        hex_to_bytes(rfc8032[t].msg, msg, mlen);
        hex_to_bytes(rfc8032[t].sig, want_sig, 64);

        CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(p, seed, &key, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_key_has_private(key));
        mez_key_public_bytes(key, pub);
        CU_ASSERT_EQUAL(memcmp(pub, want_pub, 32), 0);
        CU_ASSERT_EQUAL_FATAL(mez_key_sign(key, msg, mlen, sig, &pb, p), MEZ_OK);
        CU_ASSERT_EQUAL(memcmp(sig, want_sig, 64), 0);

        /* The published signature verifies under the public key alone. */
        CU_ASSERT_EQUAL_FATAL(mez_key_from_public(p, want_pub, &pubkey, &pb), MEZ_OK);
        CU_ASSERT_FALSE(mez_key_has_private(pubkey));
        CU_ASSERT_TRUE(mez_key_verify(pubkey, msg, mlen, want_sig, 64));
    }
}

static void test_sign_verify_tamper(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key, *other;
    mez_problem_t pb = { 0 };
    const char msg[] = "mez signs canonical bytes";
    unsigned char sig[64], bad[64];
    char tampered[sizeof(msg)];

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &other, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_sign(key, msg, strlen(msg), sig, &pb, p), MEZ_OK);
    CU_ASSERT_TRUE(mez_key_verify(key, msg, strlen(msg), sig, 64));

    memcpy(tampered, msg, sizeof(msg));
    tampered[0] ^= 1;
    CU_ASSERT_FALSE(mez_key_verify(key, tampered, strlen(tampered), sig, 64));
    CU_ASSERT_FALSE(mez_key_verify(key, msg, strlen(msg) - 1, sig, 64));

    for (size_t i = 0; i < 64; i += 21) {
        memcpy(bad, sig, 64);
        bad[i] ^= 0x80;
        CU_ASSERT_FALSE(mez_key_verify(key, msg, strlen(msg), bad, 64));
    }
    CU_ASSERT_FALSE(mez_key_verify(key, msg, strlen(msg), sig, 63));
    CU_ASSERT_FALSE(mez_key_verify(key, msg, strlen(msg), NULL, 0));
    CU_ASSERT_FALSE(mez_key_verify(other, msg, strlen(msg), sig, 64));
}

static void test_public_only_cannot_sign(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key, *pub;
    unsigned char raw[32], sig[64];
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    mez_key_public_bytes(key, raw);
    CU_ASSERT_EQUAL_FATAL(mez_key_from_public(p, raw, &pub, &pb), MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_key_sign(pub, "x", 1, sig, &pb, p), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.no_private");
    CU_ASSERT_NOT_EQUAL(mez_key_save_private(p, pub, apr_pstrcat(p, unit_tmpdir(), "/k.pem", NULL), &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.no_private");
}

static void test_save_load_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    const char *path = apr_pstrcat(p, unit_tmpdir(), "/zone.pem", NULL);
    mez_key_t *key, *loaded;
    mez_problem_t pb = { 0 };
    unsigned char a[32], b[32], sig[64];
    struct stat st;
    char *pem;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_save_private(p, key, path, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    pem = unit_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
    CU_ASSERT_PTR_NOT_NULL(strstr(pem, "-----BEGIN PRIVATE KEY-----"));   /* PKCS#8 */

    CU_ASSERT_EQUAL_FATAL(mez_key_load_private(p, path, &loaded, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_key_has_private(loaded));
    mez_key_public_bytes(key, a);
    mez_key_public_bytes(loaded, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
    CU_ASSERT_EQUAL_FATAL(mez_key_sign(loaded, "m", 1, sig, &pb, p), MEZ_OK);
    CU_ASSERT_TRUE(mez_key_verify(key, "m", 1, sig, 64));
}

static void test_overwrite_refused(void)
{
    apr_pool_t *p = unit_pool();
    const char *path = apr_pstrcat(p, unit_tmpdir(), "/zone.pem", NULL);
    mez_key_t *k1, *k2, *loaded;
    mez_problem_t pb = { 0 };
    unsigned char a[32], b[32];

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &k1, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &k2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_save_private(p, k1, path, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_key_save_private(p, k2, path, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.exists");
    /* The first key is still there, untouched. */
    CU_ASSERT_EQUAL_FATAL(mez_key_load_private(p, path, &loaded, &pb), MEZ_OK);
    mez_key_public_bytes(k1, a);
    mez_key_public_bytes(loaded, b);
    CU_ASSERT_EQUAL(memcmp(a, b, 32), 0);
}

static void test_insecure_permissions_refused(void)
{
    static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0602 };
    apr_pool_t *p = unit_pool();
    const char *path = apr_pstrcat(p, unit_tmpdir(), "/zone.pem", NULL);
    mez_key_t *key, *loaded = NULL;
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_save_private(p, key, path, &pb), MEZ_OK);
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL_FATAL(chmod(path, modes[i]), 0);
        CU_ASSERT_EQUAL(mez_key_load_private(p, path, &loaded, &pb), MEZ_EIO);
        CU_ASSERT_PTR_NULL(loaded);
        CU_ASSERT_STRING_EQUAL(pb.code, "key.insecure_permissions");
        CU_ASSERT_PTR_NOT_NULL(pb.detail && strstr(pb.detail, path));
        CU_ASSERT_PTR_NOT_NULL(pb.detail && strstr(pb.detail, apr_psprintf(p, "%04o", (unsigned)modes[i])));
        CU_ASSERT_PTR_NOT_NULL(pb.detail && strstr(pb.detail, "chmod 600"));
    }
    /* 0400 is stricter than needed and fine. */
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0400), 0);
    CU_ASSERT_EQUAL(mez_key_load_private(p, path, &loaded, &pb), MEZ_OK);
}

static const char *write_pem_0600(apr_pool_t *p, const char *name, EVP_PKEY *pkey, int public_only)
{
    const char *path = apr_pstrcat(p, unit_tmpdir(), "/", name, NULL);
    BIO *bio = BIO_new_file(path, "w");
    int ok;
    if (!bio)
        return NULL;
    ok = public_only ? PEM_write_bio_PUBKEY(bio, pkey) : PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
                                                                                  NULL);
    BIO_free(bio);
    if (!ok || chmod(path, 0600) != 0)
        return NULL;
    return path;
}

static void test_wrong_type_refused(void)
{
    apr_pool_t *p = unit_pool();
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    const char *priv, *pub;
    mez_key_t *key = NULL;
    mez_problem_t pb = { 0 };

    CU_ASSERT_PTR_NOT_NULL_FATAL(ec);
    priv = write_pem_0600(p, "ec.pem", ec, 0);
    pub = write_pem_0600(p, "ec-pub.pem", ec, 1);
    EVP_PKEY_free(ec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(priv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pub);

    CU_ASSERT_NOT_EQUAL(mez_key_load_private(p, priv, &key, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.wrong_type");
    CU_ASSERT_PTR_NULL(key);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_NOT_EQUAL(mez_key_load_public(p, pub, &key, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.wrong_type");
    CU_ASSERT_PTR_NULL(key);
}

static void test_load_public(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char seed[32], pub[32], want[32], sig[64];
    EVP_PKEY *pkey;
    const char *path;
    mez_key_t *key, *loaded;
    mez_problem_t pb = { 0 };

    hex_to_bytes(rfc8032[0].seed, seed, 32);
    hex_to_bytes(rfc8032[0].pub, want, 32);
    hex_to_bytes(rfc8032[0].sig, sig, 64);
    pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
    path = write_pem_0600(p, "pub.pem", pkey, 1);
    EVP_PKEY_free(pkey);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    /* Public keys may be world-readable. */
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);

    CU_ASSERT_EQUAL_FATAL(mez_key_load_public(p, path, &loaded, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_key_has_private(loaded));
    mez_key_public_bytes(loaded, pub);
    CU_ASSERT_EQUAL(memcmp(pub, want, 32), 0);
    CU_ASSERT_TRUE(mez_key_verify(loaded, "", 0, sig, 64));

    /* A public key file is not a private key. */
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0600), 0);
    CU_ASSERT_NOT_EQUAL(mez_key_load_private(p, path, &key, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");
}

static void test_unreadable(void)
{
    apr_pool_t *p = unit_pool();
    const char *dir = unit_tmpdir();
    const char *missing = apr_pstrcat(p, dir, "/missing.pem", NULL);
    const char *garbage = apr_pstrcat(p, dir, "/garbage.pem", NULL);
    mez_key_t *key = NULL;
    mez_problem_t pb = { 0 };
    FILE *f;

    CU_ASSERT_EQUAL(mez_key_load_private(p, missing, &key, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, missing));
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_key_load_public(p, missing, &key, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");

    f = fopen(garbage, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(chmod(garbage, 0600), 0);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_key_load_private(p, garbage, &key, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");
    /* A directory is not a key file. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_key_load_private(p, dir, &key, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unreadable");
    CU_ASSERT_PTR_NULL(key);
}

static void test_save_unwritable(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_key_save_private(p, key, apr_pstrcat(p, unit_tmpdir(), "/no/such/dir/k.pem", NULL), &pb),
                    MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "key.unwritable");
}

static void test_generated_keys_differ(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *a, *b;
    unsigned char pa[32], pbytes[32];
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &b, &pb), MEZ_OK);
    mez_key_public_bytes(a, pa);
    mez_key_public_bytes(b, pbytes);
    CU_ASSERT_NOT_EQUAL(memcmp(pa, pbytes, 32), 0);
}

void unit_register_key(void)
{
    CU_pSuite s = unit_suite("key");
    CU_add_test(s, "RFC 8032 7.1 TEST 1 and 2: seed -> public key, signature", test_rfc8032_vectors);
    CU_add_test(s, "sign/verify; tampered message or signature fails", test_sign_verify_tamper);
    CU_add_test(s, "a public-only key cannot sign or be saved", test_public_only_cannot_sign);
    CU_add_test(s, "save (0600, PKCS#8) and load round trip", test_save_load_round_trip);
    CU_add_test(s, "existing key file is never overwritten", test_overwrite_refused);
    CU_add_test(s, "group/world-accessible key file refused", test_insecure_permissions_refused);
    CU_add_test(s, "non-Ed25519 (EC P-256) key refused", test_wrong_type_refused);
    CU_add_test(s, "load a PEM public key", test_load_public);
    CU_add_test(s, "missing, garbage and directory key files", test_unreadable);
    CU_add_test(s, "save into a missing directory", test_save_unwritable);
    CU_add_test(s, "generated keys are distinct", test_generated_keys_differ);
}
