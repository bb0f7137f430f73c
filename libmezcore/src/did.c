/* did.c: did:key identifiers and Multikey values for Ed25519 (multicodec 0xed01, multibase base58btc).
 * A did:key is its own key, so resolving is pure decoding: no network, no cache, nothing to trust. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include "mez/base58.h"
#include "mez/did.h"

/* Unsigned varints of the multicodec codes ed25519-pub (0xed) and ed25519-priv (0x1300). */
static const unsigned char ED25519_PUB_PREFIX[2] = { 0xed, 0x01 };
static const unsigned char ED25519_PRIV_PREFIX[2] = { 0x80, 0x26 };

const char *mez_multikey_encode_public(apr_pool_t *p, const mez_key_t *key)
{
    unsigned char buf[2 + MEZ_ED25519_PUBLIC_LEN];
    memcpy(buf, ED25519_PUB_PREFIX, 2);
    mez_key_public_bytes(key, buf + 2);
    return apr_pstrcat(p, "z", mez_base58_encode(p, buf, sizeof(buf)), NULL);
}

const char *mez_did_key(apr_pool_t *p, const mez_key_t *key)
{
    return apr_pstrcat(p, "did:key:", mez_multikey_encode_public(p, key), NULL);
}

const char *mez_did_key_verification_method(apr_pool_t *p, const mez_key_t *key)
{
    const char *mk = mez_multikey_encode_public(p, key);
    return apr_pstrcat(p, "did:key:", mk, "#", mk, NULL);
}

/* The longest multicodec value decoded: a 2-byte codec and a 64-byte key. */
#define MULTIKEY_MAX (2 + 64)

/* Decodes a 'z' multibase value whose payload must be prefix || 32 bytes. The decoded bytes may be a
 * private seed, so the caller cleanses them (they are returned for that reason). */
static mez_status_t multibase_decode(apr_pool_t *p, const char *mb, const unsigned char prefix[2],
                                     const char *what, unsigned char **bytes, size_t *len, mez_problem_t *pb)
{
    if (!mb || mb[0] != 'z')
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "%s must be multibase base58btc (start with 'z')", what);
    /* Bounded before decoding, which is quadratic in its input: a did:key is read from requests, and one of
     * 160,000 characters held a worker for 6 s. The bound is the base58btc form of a codec and 64 key bytes, not
     * just of an Ed25519 key's 34: a P-256 or secp256k1 did:key (35 bytes) is then still named for its key type
     * below, and the work stays a few thousand steps. */
    if (strlen(mb + 1) > MEZ_BASE58_MAX_CHARS(MULTIKEY_MAX))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "%s is %" APR_SIZE_T_FMT " characters long; an Ed25519 key takes %d", what, strlen(mb),
                           (int)(1 + MEZ_BASE58_MAX_CHARS(2 + 32)));
    *bytes = mez_base58_decode(p, mb + 1, MULTIKEY_MAX, len);
    if (!*bytes)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "%s holds a character outside the base58btc alphabet", what);
    if (*len < 2) {
        OPENSSL_cleanse(*bytes, *len);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL, "%s is too short to name a key type",
                           what);
    }
    if (memcmp(*bytes, prefix, 2) != 0) {
        unsigned a = (*bytes)[0], b = (*bytes)[1];
        OPENSSL_cleanse(*bytes, *len);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.unsupported_key_type", NULL,
                           "%s has multicodec prefix 0x%02x%02x; only Ed25519 (0x%02x%02x) is supported", what,
                           a, b, prefix[0], prefix[1]);
    }
    if (*len != 2 + 32) {
        size_t n = *len;
        OPENSSL_cleanse(*bytes, *len);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "%s holds %" APR_SIZE_T_FMT " key bytes; Ed25519 needs 32", what, n - 2);
    }
    return MEZ_OK;
}

mez_status_t mez_multikey_decode_public(apr_pool_t *p, const char *multibase, mez_key_t **out, mez_problem_t *pb)
{
    unsigned char *bytes;
    size_t len;
    mez_status_t rv = multibase_decode(p, multibase, ED25519_PUB_PREFIX, "the public key value", &bytes, &len, pb);
    if (rv != MEZ_OK)
        return rv;
    return mez_key_from_public(p, bytes + 2, out, pb);
}

mez_status_t mez_multikey_decode_private(apr_pool_t *p, const char *multibase, mez_key_t **out, mez_problem_t *pb)
{
    unsigned char *bytes;
    size_t len;
    mez_status_t rv = multibase_decode(p, multibase, ED25519_PRIV_PREFIX, "the private key value", &bytes, &len,
                                       pb);
    if (rv != MEZ_OK)
        return rv;
    rv = mez_key_from_seed(p, bytes + 2, out, pb);
    OPENSSL_cleanse(bytes, len);
    return rv;
}

/* The longest did:key URL a detail quotes in full: a verificationMethod comes from a request and may be huge. */
#define SHOWN 200

mez_status_t mez_did_key_resolve(apr_pool_t *p, const char *did_url, mez_key_t **out, mez_problem_t *pb)
{
    const char *rest, *colon, *hash;
    const char *mb, *fragment = NULL, *shown = mez_problem_excerpt(p, did_url, SHOWN);

    if (!did_url || strncmp(did_url, "did:", 4) != 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL, "'%s' is not a DID",
                           did_url ? shown : "(null)");
    rest = did_url + 4;
    colon = strchr(rest, ':');
    if (!colon || colon == rest)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL, "'%s' has no DID method", shown);
    if ((size_t)(colon - rest) != 3 || strncmp(rest, "key", 3) != 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.unsupported_method", NULL,
                           "DID method '%.*s' is not supported; only did:key is resolved",
                           (int)(colon - rest > SHOWN ? SHOWN : colon - rest), rest);
    rest = colon + 1;
    hash = strchr(rest, '#');
    if (hash) {
        mb = apr_pstrmemdup(p, rest, (apr_size_t)(hash - rest));
        fragment = hash + 1;
    }
    else {
        mb = rest;
    }
    /* A path, query or version would name something other than the key itself. */
    if (!*mb || strpbrk(mb, "/?:;"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "'%s' is not a did:key identifier (did:key:z6Mk...)", shown);
    /* did:key names exactly one verification method, whose fragment is the key's own multibase value. */
    if (fragment && strcmp(fragment, mb) != 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "did.invalid", NULL,
                           "fragment '#%s' of '%s' does not name the DID's key (expected '#%s')",
                           mez_problem_excerpt(p, fragment, SHOWN), shown, mez_problem_excerpt(p, mb, SHOWN));
    return mez_multikey_decode_public(p, mb, out, pb);
}
