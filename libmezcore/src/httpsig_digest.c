/* httpsig_digest.c: Content-Digest (RFC 9530). mez sends sha-256 only; a receiver checks every member whose
 * algorithm it knows (sha-256, sha-512) so a sender cannot pair a correct digest with a wrong one, and refuses a
 * field that holds no algorithm it knows rather than letting an unchecked body through. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "mez/digest.h"
#include "mez/httpsig.h"
#include "mez/pack.h"
#include "httpsig_int.h"

#define PTR_CONTENT_DIGEST "/headers/content-digest"

const char *mez_content_digest(apr_pool_t *p, const void *body, size_t len)
{
    mez_digest_t d;
    mez_digest_sha256(body ? body : "", len, &d);
    return apr_pstrcat(p, "sha-256=:", mez_pack_base64_encode(p, d.bytes, MEZ_DIGEST_LEN), ":", NULL);
}

mez_status_t mez_content_digest_verify(apr_pool_t *p, const char *field_value, const void *body, size_t len,
                                       mez_problem_t *pb)
{
    const char *why = NULL;
    apr_array_header_t *dict;
    int known = 0;

    if (!field_value)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "digest.missing", PTR_CONTENT_DIGEST,
                           "the request has a body but no Content-Digest field");
    if (!body)
        body = "";
    dict = mez_sf_parse_dictionary(p, field_value, &why);
    if (!dict)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "digest.malformed", PTR_CONTENT_DIGEST,
                           "Content-Digest is not a structured-field dictionary: %s", why);
    for (int j = 0; j < dict->nelts; j++) {
        const mez_sf_member_t *m = &APR_ARRAY_IDX(dict, j, mez_sf_member_t);
        unsigned char want[SHA512_DIGEST_LENGTH];
        size_t wlen;

        if (m->is_inner_list || m->item.value.kind != MEZ_SF_BYTES)
            return mez_problem(pb, p, MEZ_EINVAL, 400, "digest.malformed", PTR_CONTENT_DIGEST,
                               "Content-Digest member \"%s\" is not a byte sequence", m->key);
        if (!strcmp(m->key, "sha-256")) {
            SHA256(body, len, want);
            wlen = SHA256_DIGEST_LENGTH;
        }
        else if (!strcmp(m->key, "sha-512")) {
            SHA512(body, len, want);
            wlen = SHA512_DIGEST_LENGTH;
        }
        else {
            continue;
        }
        known++;
        if (m->item.value.nbytes != wlen || CRYPTO_memcmp(want, m->item.value.bytes, wlen) != 0)
            return mez_problem(pb, p, MEZ_EINVAL, 401, "digest.mismatch", PTR_CONTENT_DIGEST,
                               "the body does not match its Content-Digest %s", m->key);
    }
    if (!known)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "digest.unknown_algorithm", PTR_CONTENT_DIGEST,
                           "Content-Digest holds no sha-256 or sha-512 member");
    return MEZ_OK;
}
