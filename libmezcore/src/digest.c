/* digest.c: SHA-256 over canonical bytes and the "sha256:<hex>" text form used in every mez document. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"

#define PREFIX "sha256:"
#define PREFIX_LEN 7

/* Set at start-up (mez_digest_global_init), before any thread exists, and only read afterwards; a fetched
 * algorithm may be used by any number of threads at once. NULL: OpenSSL's implicit fetch on every call. */
static EVP_MD *sha256_fetched;

static apr_status_t sha256_release(void *unused)
{
    (void)unused;
    EVP_MD_free(sha256_fetched);
    sha256_fetched = NULL;
    return APR_SUCCESS;
}

void mez_digest_global_init(apr_pool_t *pool)
{
    if (sha256_fetched || !(sha256_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL)))
        return;
    if (pool)
        apr_pool_cleanup_register(pool, NULL, sha256_release, apr_pool_cleanup_null);
}

void mez_digest_sha256(const void *data, size_t len, mez_digest_t *out)
{
    unsigned int n = MEZ_DIGEST_LEN;
    EVP_Digest(data, len, out->bytes, &n, sha256_fetched ? sha256_fetched : EVP_sha256(), NULL);
}

mez_status_t mez_digest_json(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb)
{
    const char *c;
    size_t n;
    mez_status_t rv = mez_json_canonicalize(p, v, &c, &n, pb);
    if (rv == MEZ_OK)
        mez_digest_sha256(c, n, out);
    return rv;
}

const char *mez_digest_hex(apr_pool_t *p, const mez_digest_t *d)
{
    static const char hex[] = "0123456789abcdef";
    char *s = apr_palloc(p, MEZ_DIGEST_LEN * 2 + 1);
    for (int i = 0; i < MEZ_DIGEST_LEN; i++) {
        s[2 * i] = hex[d->bytes[i] >> 4];
        s[2 * i + 1] = hex[d->bytes[i] & 0xf];
    }
    s[MEZ_DIGEST_LEN * 2] = '\0';
    return s;
}

const char *mez_digest_format(apr_pool_t *p, const mez_digest_t *d)
{
    return apr_pstrcat(p, PREFIX, mez_digest_hex(p, d), NULL);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;    /* upper case is not the canonical form and is refused */
}

static mez_status_t invalid(apr_pool_t *p, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "digest.invalid", NULL,
                       "a digest is written sha256:<64 lowercase hex digits>");
}

mez_status_t mez_digest_parse(apr_pool_t *p, const char *s, mez_digest_t *out, mez_problem_t *pb)
{
    return s ? mez_digest_parse_n(p, s, strlen(s), out, pb) : invalid(p, pb);
}

mez_status_t mez_digest_parse_json(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb)
{
    return json_is_string(v) ? mez_digest_parse_n(p, json_string_value(v), json_string_length(v), out, pb)
                             : invalid(p, pb);
}

/* The length is the caller's, never strlen: every one of the n bytes is read, so a NUL is a non-hex byte. */
mez_status_t mez_digest_parse_n(apr_pool_t *p, const char *s, size_t n, mez_digest_t *out, mez_problem_t *pb)
{
    if (!s || n != PREFIX_LEN + 2 * MEZ_DIGEST_LEN || memcmp(s, PREFIX, PREFIX_LEN))
        return invalid(p, pb);
    s += PREFIX_LEN;
    for (int i = 0; i < MEZ_DIGEST_LEN; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return invalid(p, pb);
        out->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return MEZ_OK;
}

int mez_digest_equal(const mez_digest_t *a, const mez_digest_t *b)
{
    return CRYPTO_memcmp(a->bytes, b->bytes, MEZ_DIGEST_LEN) == 0;
}
