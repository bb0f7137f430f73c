/* key.c: Ed25519 keys through OpenSSL 3 EVP: generation, PEM files with strict permissions, sign and verify.
 * The EVP_PKEY lives as long as the pool that created the mez_key_t; OpenSSL cleanses its secret on free. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "mez/file.h"
#include "mez/key.h"

struct mez_key_t {
    EVP_PKEY *pkey;
    int has_private;
    /* A signing context initialised once with the key. Each signature works on a copy of it: copying skips
     * OpenSSL's per-call algorithm lookup (about 2 us of a 30 us signature, on every credential issued), and
     * the template itself is only read, so threads may share the key. */
    EVP_MD_CTX *sign_template;
};

/* Private key files are tiny; anything this large is not one and is not worth parsing. */
#define KEY_FILE_MAX (64 * 1024)

static apr_status_t key_cleanup(void *data)
{
    mez_key_t *key = data;
    EVP_MD_CTX_free(key->sign_template);
    key->sign_template = NULL;
    EVP_PKEY_free(key->pkey);
    key->pkey = NULL;
    return APR_SUCCESS;
}

static mez_key_t *key_wrap(apr_pool_t *p, EVP_PKEY *pkey, int has_private)
{
    mez_key_t *key = apr_pcalloc(p, sizeof(*key));
    key->pkey = pkey;
    key->has_private = has_private;
    if (has_private) {
        /* Without a template (out of memory), signing falls back to a fresh context per call. */
        key->sign_template = EVP_MD_CTX_new();
        if (key->sign_template
            && EVP_DigestSignInit_ex(key->sign_template, NULL, NULL, NULL, NULL, pkey, NULL) != 1) {
            EVP_MD_CTX_free(key->sign_template);
            key->sign_template = NULL;
            ERR_clear_error();
        }
    }
    apr_pool_cleanup_register(p, key, key_cleanup, apr_pool_cleanup_null);
    return key;
}

/* OpenSSL reports through a per-thread queue; take the newest reason for the detail and empty the queue
 * so a later, unrelated call does not inherit stale errors. */
static const char *ossl_reason(apr_pool_t *p)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return apr_pstrdup(p, r ? r : "unknown OpenSSL error");
}

/* Never let OpenSSL prompt on a terminal for a passphrase (httpd has none); encrypted keys simply fail. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

static int is_ed25519(const EVP_PKEY *pkey)
{
    return EVP_PKEY_is_a(pkey, "ED25519");
}

static mez_status_t wrong_type(mez_problem_t *pb, apr_pool_t *p, const char *path, const EVP_PKEY *pkey)
{
    const char *name = EVP_PKEY_get0_type_name(pkey);
    return mez_problem(pb, p, MEZ_EIO, 500, "key.wrong_type", NULL,
                       "%s holds a %s key; mez keys are Ed25519 (create one with `mez keygen --out FILE`)",
                       path, name ? name : "non-Ed25519");
}

mez_status_t mez_key_generate(apr_pool_t *p, mez_key_t **out, mez_problem_t *pb)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pkey)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.generate_failed", NULL,
                           "Ed25519 key generation failed: %s", ossl_reason(p));
    *out = key_wrap(p, pkey, 1);
    return MEZ_OK;
}

mez_status_t mez_key_from_seed(apr_pool_t *p, const unsigned char seed[MEZ_ED25519_SEED_LEN],
                               mez_key_t **out, mez_problem_t *pb)
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, MEZ_ED25519_SEED_LEN);
    if (!pkey)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.invalid", NULL,
                           "cannot build an Ed25519 key from the seed: %s", ossl_reason(p));
    *out = key_wrap(p, pkey, 1);
    return MEZ_OK;
}

/* The encodings of the eight points of small order on edwards25519 (the curve's cofactor is 8, RFC 7748 section
 * 4.1): the identity (01 00..00), the point of order 2 (y = p - 1), the two of order 4 (y = 0, either sign) and the
 * four of order 8, as computed from the curve and as in libsodium's blocklist (ge25519_has_small_order). A key
 * that is one of them verifies a signature R = identity-ish, S = 0 over any message: it proves nothing. The last
 * two are x = 0 with the sign bit set, which RFC 8032 section 5.1.3 step 4 says must fail to decode. */
static const unsigned char SMALL_ORDER[][MEZ_ED25519_PUBLIC_LEN] = {
    { 0x01 },
    { 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
    { 0x00 },
    { [31] = 0x80 },
    { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
      0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
    { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
      0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85 },
    { 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
      0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
    { 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
      0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa },
    { 0x01, [31] = 0x80 },
    { 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};

/* 1 when the little-endian y (the sign bit cleared) is at least p = 2^255 - 19: RFC 8032 section 5.1.3 step 1
 * says decoding fails, though some decoders reduce it and take y - p, a second encoding of another key. */
static int y_not_canonical(const unsigned char pub[MEZ_ED25519_PUBLIC_LEN])
{
    if ((pub[31] & 0x7f) != 0x7f || pub[0] < 0xed)
        return 0;
    for (int i = 1; i < 31; i++)
        if (pub[i] != 0xff)
            return 0;
    return 1;
}

mez_status_t mez_key_from_public(apr_pool_t *p, const unsigned char pub[MEZ_ED25519_PUBLIC_LEN],
                                 mez_key_t **out, mez_problem_t *pb)
{
    EVP_PKEY *pkey;

    if (y_not_canonical(pub))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "key.invalid", NULL,
                           "not a usable Ed25519 public key: its y coordinate is not below p (RFC 8032 5.1.3)");
    for (size_t i = 0; i < sizeof(SMALL_ORDER) / sizeof(SMALL_ORDER[0]); i++)
        if (!memcmp(pub, SMALL_ORDER[i], MEZ_ED25519_PUBLIC_LEN))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "key.invalid", NULL,
                               "not a usable Ed25519 public key: a point of small order, which verifies forged "
                               "signatures");
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, MEZ_ED25519_PUBLIC_LEN);
    if (!pkey)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "key.invalid", NULL,
                           "not a usable Ed25519 public key: %s", ossl_reason(p));
    *out = key_wrap(p, pkey, 0);
    return MEZ_OK;
}

/* Opens path for reading and checks it is a regular file of sane size. The checks run on the open
 * descriptor (fstat), so what is checked is what is read even if the path is swapped meanwhile, and the open
 * does not wait: a named pipe given as MezKeyFile is refused instead of hanging httpd's start-up. */
static mez_status_t open_key_file(apr_pool_t *p, const char *path, int *fd_out, struct stat *st,
                                  mez_problem_t *pb)
{
    int fd = mez_file_open_regular(path, st);
    if (fd < 0 && errno == 0)
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unreadable", NULL,
                           "%s is not a key file (%s, not a regular file)", path, mez_file_kind(st));
    if (fd < 0)
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unreadable", NULL, "cannot open key file %s: %s",
                           path, strerror(errno));
    if (st->st_size > KEY_FILE_MAX) {
        close(fd);
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unreadable", NULL,
                           "%s is not a key file (larger than %d bytes)", path, KEY_FILE_MAX);
    }
    *fd_out = fd;
    return MEZ_OK;
}

/* Reads one PEM key (private or SubjectPublicKeyInfo) from an open descriptor and insists on Ed25519. */
static mez_status_t read_pem_key(apr_pool_t *p, const char *path, int fd, int private, mez_key_t **out,
                                 mez_problem_t *pb)
{
    mez_status_t rv;
    EVP_PKEY *pkey;
    BIO *bio = BIO_new_fd(fd, BIO_CLOSE);
    if (!bio) {
        close(fd);
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.unreadable", NULL, "cannot read %s: %s", path,
                           ossl_reason(p));
    }
    pkey = private ? PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL)
                   : PEM_read_bio_PUBKEY_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey)
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unreadable", NULL, "%s is not %s: %s", path,
                           private ? "an unencrypted PEM private key" : "a PEM public key (SubjectPublicKeyInfo)",
                           ossl_reason(p));
    if (!is_ed25519(pkey)) {
        rv = wrong_type(pb, p, path, pkey);
        EVP_PKEY_free(pkey);
        return rv;
    }
    *out = key_wrap(p, pkey, private);
    return MEZ_OK;
}

mez_status_t mez_key_load_private(apr_pool_t *p, const char *path, mez_key_t **out, mez_problem_t *pb)
{
    struct stat st;
    int fd;
    mez_status_t rv;

    if ((rv = open_key_file(p, path, &fd, &st, pb)) != MEZ_OK)
        return rv;
    /* A key others can read is already disclosed; refusing it makes the operator notice and fix it. */
    if (st.st_mode & 077) {
        close(fd);
        return mez_problem(pb, p, MEZ_EIO, 500, "key.insecure_permissions", NULL,
                           "private key file %s has mode %04o and is readable or writable by group or others; "
                           "restrict it with: chmod 600 %s",
                           path, (unsigned)(st.st_mode & 07777), path);
    }
    return read_pem_key(p, path, fd, 1, out, pb);
}

mez_status_t mez_key_load_public(apr_pool_t *p, const char *path, mez_key_t **out, mez_problem_t *pb)
{
    struct stat st;
    int fd;
    mez_status_t rv;

    if ((rv = open_key_file(p, path, &fd, &st, pb)) != MEZ_OK)
        return rv;
    return read_pem_key(p, path, fd, 0, out, pb);
}

mez_status_t mez_key_save_private(apr_pool_t *p, const mez_key_t *key, const char *path, mez_problem_t *pb)
{
    int fd, ok;
    BIO *bio;
    const char *why = NULL;

    if (!key->has_private)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.no_private", NULL,
                           "cannot save %s: the key has no private part", path);
    /* O_EXCL: an existing key may be the only copy of a zone's identity, so it is never replaced;
     * 0600 at creation leaves no window in which the secret is readable by others. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return mez_problem(pb, p, MEZ_EIO, 409, "key.exists", NULL,
                               "%s already exists; refusing to overwrite a key (remove it first or pick another name)",
                               path);
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unwritable", NULL, "cannot create %s: %s", path,
                           strerror(errno));
    }
    bio = BIO_new_fd(fd, BIO_NOCLOSE);
    ok = bio && PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) && BIO_flush(bio) == 1;
    if (!ok)
        why = ossl_reason(p);
    BIO_free(bio);
    if (ok && fsync(fd) != 0) {
        ok = 0;
        why = apr_pstrdup(p, strerror(errno));
    }
    if (close(fd) != 0 && ok) {
        ok = 0;
        why = apr_pstrdup(p, strerror(errno));
    }
    if (!ok) {
        /* A truncated key file would later fail to load with a confusing message; remove it now. */
        unlink(path);
        return mez_problem(pb, p, MEZ_EIO, 500, "key.unwritable", NULL, "cannot write %s: %s", path, why);
    }
    return MEZ_OK;
}

int mez_key_has_private(const mez_key_t *key)
{
    return key->has_private;
}

void mez_key_public_bytes(const mez_key_t *key, unsigned char out[MEZ_ED25519_PUBLIC_LEN])
{
    size_t len = MEZ_ED25519_PUBLIC_LEN;
    if (EVP_PKEY_get_raw_public_key(key->pkey, out, &len) != 1 || len != MEZ_ED25519_PUBLIC_LEN) {
        /* Cannot happen for a key this file built; zeros never verify anything. */
        memset(out, 0, MEZ_ED25519_PUBLIC_LEN);
        ERR_clear_error();
    }
}

mez_status_t mez_key_sign(const mez_key_t *key, const void *msg, size_t len,
                          unsigned char sig[MEZ_ED25519_SIG_LEN], mez_problem_t *pb, apr_pool_t *p)
{
    EVP_MD_CTX *ctx;
    size_t siglen = MEZ_ED25519_SIG_LEN;
    int ok;

    if (!key->has_private)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.no_private", NULL,
                           "cannot sign: the key has no private part");
    if (!(ctx = EVP_MD_CTX_new()))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.sign_failed", NULL, "out of memory");
    /* Pure Ed25519 hashes internally, so no digest is named and the one-shot call is required. */
    ok = (key->sign_template ? EVP_MD_CTX_copy_ex(ctx, key->sign_template) == 1
                             : EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1)
         && EVP_DigestSign(ctx, sig, &siglen, msg ? msg : (const void *)"", len) == 1
         && siglen == MEZ_ED25519_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "key.sign_failed", NULL, "Ed25519 signing failed: %s",
                           ossl_reason(p));
    return MEZ_OK;
}

int mez_key_verify(const mez_key_t *key, const void *msg, size_t len, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx;
    int ok;

    if (!sig || siglen != MEZ_ED25519_SIG_LEN)
        return 0;
    if (!(ctx = EVP_MD_CTX_new()))
        return 0;
    ok = EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1
         && EVP_DigestVerify(ctx, sig, siglen, msg ? msg : (const void *)"", len) == 1;
    EVP_MD_CTX_free(ctx);
    /* A bad signature is an answer, not an error; do not leave it in the thread's error queue. */
    ERR_clear_error();
    return ok;
}
