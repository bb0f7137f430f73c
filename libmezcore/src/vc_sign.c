/* vc_sign.c: adding a Data Integrity proof (cryptosuite eddsa-jcs-2022) to credentials and presentations,
 * and issuing VC 2.0 credentials (shape check, issuer, then proof), following W3C vc-di-eddsa section 3.3. */
#include <string.h>
#include <apr_strings.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/vc.h"

mez_status_t mez_vc_hash_data(apr_pool_t *p, const json_t *proof_config, const json_t *document,
                              unsigned char out[64], mez_problem_t *pb)
{
    mez_digest_t d;
    mez_status_t rv;
    /* Proof configuration hash first: the order is fixed by the cryptosuite, not by taste. */
    if ((rv = mez_digest_json(p, proof_config, &d, pb)) != MEZ_OK)
        return rv;
    memcpy(out, d.bytes, MEZ_DIGEST_LEN);
    if ((rv = mez_digest_json(p, document, &d, pb)) != MEZ_OK)
        return rv;
    memcpy(out + MEZ_DIGEST_LEN, d.bytes, MEZ_DIGEST_LEN);
    return MEZ_OK;
}

static const char *ptr(apr_pool_t *p, const char *base, const char *token)
{
    return mez_pointer_join(p, base, token);
}

/* Sets a string member, refusing text that is not valid UTF-8 (jansson would silently give NULL). */
static mez_status_t set_option(apr_pool_t *p, json_t *proof, const char *name, const char *value,
                               mez_problem_t *pb)
{
    json_t *s = json_string(value);
    if (!s)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.proof.invalid_option", NULL,
                           "the proof option %s is not valid UTF-8", name);
    json_object_set_new(proof, name, s);
    return MEZ_OK;
}

/* Adds the proof to doc, which the caller owns and which holds no proof yet. */
static mez_status_t add_proof(apr_pool_t *p, json_t *doc, const mez_key_t *key, const mez_vc_proof_options_t *opts,
                              mez_problem_t *pb)
{
    const char *vm = opts && opts->verification_method ? opts->verification_method
                                                       : mez_did_key_verification_method(p, key);
    const char *purpose = opts && opts->proof_purpose ? opts->proof_purpose : "assertionMethod";
    const char *created = opts && opts->created ? opts->created : mez_time_now_rfc3339(p);
    apr_time_t t;
    unsigned char hash[64], sig[MEZ_ED25519_SIG_LEN];
    const json_t *ctx;
    json_t *proof;
    mez_status_t rv;

    if (!mez_key_has_private(key))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "key.no_private", NULL,
                           "signing needs a private key, this one is public only");
    if (!vm)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "vc.proof.no_verification_method", NULL,
                           "no verification method could be derived from the key");
    if (opts && opts->created && mez_time_parse_rfc3339(created, &t))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.proof.invalid_created", NULL,
                           "created '%s' is not a date-time with a timezone (e.g. 2024-01-31T12:00:00Z)", created);
    if (opts && opts->expires && mez_time_parse_rfc3339(opts->expires, &t))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.proof.invalid_expires", NULL,
                           "expires '%s' is not a date-time with a timezone", opts->expires);

    /* Member order follows the W3C vector, so a pretty-printed result reads the same as theirs. */
    proof = mez_json_pool_own(p, json_object());
    json_object_set_new(proof, "type", json_string("DataIntegrityProof"));
    json_object_set_new(proof, "cryptosuite", json_string(MEZ_VC_CRYPTOSUITE));
    if ((rv = set_option(p, proof, "created", created, pb)) != MEZ_OK
        || (rv = set_option(p, proof, "verificationMethod", vm, pb)) != MEZ_OK
        || (rv = set_option(p, proof, "proofPurpose", purpose, pb)) != MEZ_OK)
        return rv;
    if (opts && opts->expires && (rv = set_option(p, proof, "expires", opts->expires, pb)) != MEZ_OK)
        return rv;
    if (opts && opts->challenge && (rv = set_option(p, proof, "challenge", opts->challenge, pb)) != MEZ_OK)
        return rv;
    if (opts && opts->domain && (rv = set_option(p, proof, "domain", opts->domain, pb)) != MEZ_OK)
        return rv;
    /* The proof configuration carries the document's @context (vc-di-eddsa 3.3.5); it stays in the proof so
     * verifiers see which contexts were signed: mez_vc_verify refuses a document whose @context is no longer
     * exactly this one. */
    if ((ctx = json_object_get(doc, "@context")) != NULL)
        json_object_set(proof, "@context", (json_t *)ctx);   /* shared, never changed */

    if ((rv = mez_vc_hash_data(p, proof, doc, hash, pb)) != MEZ_OK)
        return rv;
    if ((rv = mez_key_sign(key, hash, sizeof(hash), sig, pb, p)) != MEZ_OK)
        return rv;
    json_object_set_new(proof, "proofValue",
                        json_string(apr_pstrcat(p, "z", mez_base58_encode(p, sig, sizeof(sig)), NULL)));
    json_object_set(doc, "proof", proof);
    return MEZ_OK;
}

/* What is signed must be a JSON object without a proof: adding a second proof here would be a proof set, which
 * issuing does not do. */
static mez_status_t check_unsigned(apr_pool_t *p, const json_t *doc, const char *base, const char *what,
                                   mez_problem_t *pb)
{
    if (!json_is_object(doc))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "vc.schema.not_object", base ? base : "",
                           "a %s must be a JSON object", what);
    if (json_object_get(doc, "proof"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.already_signed", ptr(p, base, "proof"),
                           "the %s already carries a proof; only unsigned documents are signed", what);
    return MEZ_OK;
}

mez_status_t mez_vc_sign(apr_pool_t *p, const json_t *document, const mez_key_t *key,
                         const mez_vc_proof_options_t *opts, json_t **secured, mez_problem_t *pb)
{
    const char *base = opts ? opts->pointer_base : NULL;
    json_t *doc;
    mez_status_t rv;

    *secured = NULL;
    if ((rv = check_unsigned(p, document, base, "document", pb)) != MEZ_OK)
        return rv;
    doc = mez_json_pool_own(p, json_copy((json_t *)document));
    if ((rv = add_proof(p, doc, key, opts, pb)) != MEZ_OK)
        return rv;
    *secured = doc;
    return MEZ_OK;
}

mez_status_t mez_vc_issue(apr_pool_t *p, const json_t *credential, const mez_key_t *key, const char *issuer_id,
                          const mez_vc_proof_options_t *opts, json_t **vc, mez_problem_t *pb)
{
    const char *base = opts ? opts->pointer_base : NULL;
    const char *have;
    json_t *doc;
    mez_status_t rv;

    *vc = NULL;
    /* Checked before the shape: re-signing a signed credential is the likelier mistake, and says more. */
    if ((rv = check_unsigned(p, credential, base, "credential", pb)) != MEZ_OK)
        return rv;
    if ((rv = mez_vc_check_credential(p, credential, base, 0, pb)) != MEZ_OK)
        return rv;
    if (!issuer_id)
        issuer_id = mez_did_key(p, key);

    have = mez_vc_issuer_id(credential);
    if (have && strcmp(have, issuer_id)) {
        const char *at = json_is_object(json_object_get(credential, "issuer"))
                       ? ptr(p, ptr(p, base, "issuer"), "id") : ptr(p, base, "issuer");
        return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.issuer_mismatch", at,
                           "the credential names issuer '%s' but this issuer is '%s'", have, issuer_id);
    }
    /* A shallow copy: only top-level members (issuer, proof) are added, nested values are shared and
     * never changed, and copying the whole tree would cost as much as canonicalising it. */
    doc = mez_json_pool_own(p, json_copy((json_t *)credential));
    if (!have) {
        json_t *s = json_string(issuer_id);
        if (!s)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "vc.issuer_invalid", ptr(p, base, "issuer"),
                               "the issuer id is not valid UTF-8");
        json_object_set_new(doc, "issuer", s);
    }
    if ((rv = add_proof(p, doc, key, opts, pb)) != MEZ_OK)
        return rv;
    *vc = doc;
    return MEZ_OK;
}
