/* test_checkpoint.c: CUnit suite for checkpoints as C2SP signed notes. An independent check: the published
 * example of Go's golang.org/x/mod/sumdb/note (the "PeterNeumann" key and note) is reproduced byte for byte
 * (Ed25519 is deterministic). Checkpoints are also rebuilt here from the spec text with OpenSSL directly. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "mez/checkpoint.h"
#include "mez/mmr.h"
#include "mez/pack.h"
#include "unit.h"

/* golang.org/x/mod/sumdb/note, note_test.go and package documentation. */
#define GO_SKEY_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"   /* from PRIVATE+KEY+PeterNeumann+c74f20a3+... */
#define GO_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_TEXT "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
#define GO_NOTE GO_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

static mez_key_t *seed_key(unsigned char fill)
{
    unsigned char seed[32];
    mez_key_t *k;
    mez_problem_t pb = { 0 };
    memset(seed, fill, sizeof(seed));
    CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(unit_pool(), seed, &k, &pb), MEZ_OK);
    return k;
}

static void test_go_note_vector(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char *raw;
    size_t rawlen, textlen;
    mez_key_t *key, *pub;
    const char *note, *name;
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL_FATAL(mez_pack_base64_decode(p, GO_SKEY_B64, strlen(GO_SKEY_B64), &raw, &rawlen), 0);
    CU_ASSERT_EQUAL_FATAL(rawlen, 33);
    CU_ASSERT_EQUAL(raw[0], 0x01);
    CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(p, raw + 1, &key, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_checkpoint_vkey(p, "PeterNeumann", key), GO_VKEY);
    CU_ASSERT_EQUAL_FATAL(mez_note_sign(p, GO_TEXT, "PeterNeumann", key, &note, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(note, GO_NOTE);
    /* Verifying the published note with only the published verifier key. */
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_vkey_parse(p, GO_VKEY, &name, &pub, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(name, "PeterNeumann");
    CU_ASSERT_FALSE(mez_key_has_private(pub));
    CU_ASSERT_EQUAL(mez_note_open(p, GO_NOTE, strlen(GO_NOTE), name, pub, &textlen, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(textlen, strlen(GO_TEXT));
    /* The Go test's mangled verifier keys: a wrong id, a changed key. */
    CU_ASSERT_EQUAL(mez_checkpoint_vkey_parse(p, "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                                              &name, &pub, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.invalid_vkey");
    CU_ASSERT_EQUAL(mez_checkpoint_vkey_parse(p, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
                                              &name, &pub, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_checkpoint_vkey_parse(p, "PeterNeumann+c74f20a3", &name, &pub, &pb), MEZ_EINVAL);
}

/* The note for cp, assembled here from the C2SP texts with OpenSSL only. */
static const char *spec_note(const mez_checkpoint_t *cp, const char *name, unsigned char fill)
{
    apr_pool_t *p = unit_pool();
    unsigned char seed[32], pub[32], blob[68], root64[64], blob64[128], idin[256];
    size_t publen = 32, siglen = 64, nlen = strlen(name);
    EVP_PKEY *k;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *body;
    unsigned char dig[32];
    unsigned int diglen;

    memset(seed, fill, 32);
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_PKEY_get_raw_public_key(k, pub, &publen);
    EVP_EncodeBlock(root64, cp->root.bytes, 32);
    body = apr_psprintf(p, "%s\n%" APR_UINT64_T_FMT "\n%s\n", cp->origin, (apr_uint64_t)cp->size, root64);
    memcpy(idin, name, nlen);
    idin[nlen] = '\n';
    idin[nlen + 1] = 0x01;
    memcpy(idin + nlen + 2, pub, 32);
    EVP_Digest(idin, nlen + 34, dig, &diglen, EVP_sha256(), NULL);
    memcpy(blob, dig, 4);
    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k);
    EVP_DigestSign(ctx, blob + 4, &siglen, (const unsigned char *)body, strlen(body));
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    EVP_EncodeBlock(blob64, blob, 68);
    return apr_psprintf(p, "%s\n\xe2\x80\x94 %s %s\n", body, name, blob64);
}

static void leaves(mez_digest_t *d, size_t n, unsigned salt)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v[2] = { (unsigned)i, salt };
        mez_digest_sha256(v, sizeof(v), &d[i]);
    }
}

static void test_checkpoint_note(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key = seed_key(7), *other = seed_key(8);
    mez_digest_t d[17];
    mez_checkpoint_t cp, back;
    const char *origin, *note, *name = NULL;
    mez_problem_t pb = { 0 };
    size_t n;

    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_origin(p, "pk-sifc", "6f1c2a4e-9b3d-4c5e-8f70-112233445566", &origin, &pb),
                          MEZ_OK);
    CU_ASSERT_STRING_EQUAL(origin, "pk-sifc/corridors/6f1c2a4e-9b3d-4c5e-8f70-112233445566");
    CU_ASSERT_EQUAL(mez_checkpoint_origin(p, "pk sifc", "c", &name, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.invalid_origin");
    CU_ASSERT_EQUAL(mez_checkpoint_origin(p, "pk-sifc", "a/b", &name, &pb), MEZ_EINVAL);

    leaves(d, 17, 1);
    cp.origin = origin;
    cp.size = 17;
    mez_mmr_tree_root(d, 17, &cp.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &cp, origin, key, &note, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(note, spec_note(&cp, origin, 7));
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_open(p, note, strlen(note), origin, key, &back, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(back.origin, origin);
    CU_ASSERT_EQUAL(back.size, 17);
    CU_ASSERT_TRUE(mez_digest_equal(&back.root, &cp.root));

    /* Any one byte changed, anywhere: refused. */
    n = strlen(note);
    for (size_t i = 0; i < n; i++) {
        char *t = apr_pstrdup(p, note);
        mez_problem_t fp = { 0 };
        t[i] ^= (t[i] == '\n') ? 0x21 : 0x01;
        CU_ASSERT_NOT_EQUAL(mez_checkpoint_open(p, t, n, origin, key, NULL, &fp), MEZ_OK);
        CU_ASSERT_PTR_NOT_NULL(fp.code);
    }
    /* Truncated. */
    CU_ASSERT_EQUAL(mez_checkpoint_open(p, note, n - 1, origin, key, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.malformed");
    /* Another key, or the right key under another name: not signed by it. */
    CU_ASSERT_EQUAL(mez_checkpoint_open(p, note, n, origin, other, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.unsigned");
    CU_ASSERT_EQUAL(mez_checkpoint_open(p, note, n, "someone-else", key, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.unsigned");
    /* A second signer's line (a witness cosignature, say) is ignored by a verifier that does not know it. */
    {
        const char *other_note = spec_note(&cp, "witness", 8);
        const char *both = apr_pstrcat(p, note, strstr(other_note, "\n\n") + 2, NULL);
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, both, strlen(both), origin, key, NULL, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, both, strlen(both), "witness", other, NULL, &pb), MEZ_OK);
    }
    /* Extension lines are signed and allowed; malformed bodies are refused even when signed. */
    {
        const char *ext = apr_pstrcat(p, mez_checkpoint_body(p, &cp), "timestamp 1700000000\n", NULL), *sn;
        const char *bodies[] = { "o\n017\nAAAA\n", "o\n1\n", "o\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                                 "o\n1\nAAAA\n", "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" };
        CU_ASSERT_EQUAL(mez_note_sign(p, ext, origin, key, &sn, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, sn, strlen(sn), origin, key, &back, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(back.size, 17);
        for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
            mez_problem_t bp = { 0 };
            if (mez_note_sign(p, bodies[i], origin, key, &sn, &bp) != MEZ_OK) {
                CU_ASSERT_STRING_EQUAL(bp.code, "checkpoint.malformed");   /* an empty first line */
                continue;
            }
            CU_ASSERT_EQUAL(mez_checkpoint_open(p, sn, strlen(sn), origin, key, NULL, &bp), MEZ_EINVAL);
            CU_ASSERT_STRING_EQUAL(bp.code, "checkpoint.invalid_body");
        }
        /* The empty tree's checkpoint: size 0, root SHA-256(""). */
        cp.size = 0;
        mez_mmr_tree_root(d, 0, &cp.root);
        CU_ASSERT_EQUAL(mez_checkpoint_sign(p, &cp, origin, key, &sn, &pb), MEZ_OK);
        CU_ASSERT_TRUE(strstr(sn, "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n") != NULL);
    }
    /* Not UTF-8, or no signature at all: malformed. */
    CU_ASSERT_EQUAL(mez_note_sign(p, "o\xc0\xaf\n1\n", origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.malformed");
    {
        const char *t = "o\xed\xa0\x80\n\n\xe2\x80\x94 k AAAAAAAA\n", *u = "o\n1\n\n";
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, t, strlen(t), "k", key, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.malformed");
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, u, strlen(u), "k", key, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.malformed");
    }
    CU_ASSERT_EQUAL(mez_checkpoint_sign(p, &cp, "bad name", key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.invalid_key_name");
    CU_ASSERT_EQUAL(mez_checkpoint_sign(p, &cp, "a+b", key, &note, &pb), MEZ_EINVAL);
}

static void test_sign_only_consistent(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *key = seed_key(9);
    const char *origin = "ae-adgm/corridors/c-1", *n10, *n15, *note;
    mez_digest_t d[20], forked[20], *proof;
    size_t len;
    mez_checkpoint_t cp10 = { origin, 10, { { 0 } } }, cp15 = { origin, 15, { { 0 } } }, cp, empty;
    mez_problem_t pb = { 0 };

    leaves(d, 20, 1);
    memcpy(forked, d, sizeof(d));
    forked[3].bytes[0] ^= 1;   /* a different 4th receipt: a history that rewrites what size 10 covered */
    mez_mmr_tree_root(d, 10, &cp10.root);
    mez_mmr_tree_root(d, 15, &cp15.root);

    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign_next(p, NULL, &cp10, NULL, 0, origin, key, &n10, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_mmr_consistency_proof(p, d, 15, 10, &proof, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign_next(p, n10, &cp15, proof, len, origin, key, &n15, &pb), MEZ_OK);
    /* A proof for another pair of sizes does not do. */
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n10, &cp15, proof, len - 1, origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.inconsistent");
    CU_ASSERT_EQUAL(pb.status, 409);

    /* The forked tree of size 15 (with its own, internally valid proof) is refused. */
    cp = cp15;
    mez_mmr_tree_root(forked, 15, &cp.root);
    CU_ASSERT_EQUAL_FATAL(mez_mmr_consistency_proof(p, forked, 15, 10, &proof, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n10, &cp, proof, len, origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.inconsistent");
    /* Smaller, or the same size with another root: refused; the same checkpoint again: fine. */
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n15, &cp10, NULL, 0, origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.inconsistent");
    cp.size = 15;
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n15, &cp, NULL, 0, origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n15, &cp15, NULL, 0, origin, key, &note, &pb), MEZ_OK);
    /* Another corridor's origin; a previous note that does not verify. */
    cp = cp15;
    cp.origin = "ae-adgm/corridors/c-2";
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, n10, &cp, NULL, 0, origin, key, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.origin_mismatch");
    {
        char *t = apr_pstrdup(p, n10);
        strstr(t, "\n10\n")[2] = '1';
        CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, t, &cp15, NULL, 0, origin, key, &note, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.bad_signature");
    }
    /* Every tree extends the empty one. */
    empty.origin = origin;
    empty.size = 0;
    mez_mmr_tree_root(d, 0, &empty.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign_next(p, NULL, &empty, NULL, 0, origin, key, &note, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_checkpoint_sign_next(p, note, &cp10, NULL, 0, origin, key, &note, &pb), MEZ_OK);
}

void unit_register_checkpoint(void)
{
    CU_pSuite s = unit_suite("checkpoint");
    CU_add_test(s, "Go sumdb/note published example reproduced byte for byte", test_go_note_vector);
    CU_add_test(s, "tlog-checkpoint note = the spec rebuilt with OpenSSL; any changed byte refused",
                test_checkpoint_note);
    CU_add_test(s, "never sign a checkpoint not proven consistent with the last one", test_sign_only_consistent);
}
