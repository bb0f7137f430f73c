/* vc_verify.c: verifying VC 2.0 credentials and presentations secured with eddsa-jcs-2022 Data Integrity proofs,
 * as five named checks in order (schema, proof, key, signature, expiry), reporting the first that fails. */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/vc.h"

#define PROOF_TYPE "DataIntegrityProof"
/* The most of a caller's value a detail quotes: a verificationMethod may be as long as the request body. */
#define SHOWN 200

static const char *at(apr_pool_t *p, const char *base, const char *token)
{
    return mez_pointer_join(p, base, token);
}

/* ------------------------------------------------------------------ verification */

typedef struct {
    const json_t *proof;
    const char *ptr;         /* where the proof sits, e.g. /proof or /proof/1 */
    const char *vm;
    mez_key_t *key;
    unsigned char sig[MEZ_ED25519_SIG_LEN];
} proof_item_t;

typedef struct {
    apr_pool_t *p;
    const json_t *doc;
    const char *base;
    const char *purpose;
    const char *challenge;
    const char *domain;
    apr_time_t now;
    mez_vc_result_t *res;
    proof_item_t *proofs;
    size_t nproofs;
} verify_t;

static void passed(verify_t *v, const char *check)
{
    json_array_append_new(v->res->checks, json_string(check));
}

static void failed(verify_t *v, const char *check, const char *code, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void failed(verify_t *v, const char *check, const char *code, const char *pointer, const char *fmt, ...)
{
    va_list ap;
    const char *detail;
    va_start(ap, fmt);
    detail = apr_pvsprintf(v->p, fmt, ap);
    va_end(ap);
    v->res->failed_check = check;
    mez_problem(&v->res->problem, v->p, MEZ_EINVAL, 422, code, pointer, "%s", detail);
}

static int stage_schema(verify_t *v, int is_vp)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv = is_vp ? mez_vc_check_presentation(v->p, v->doc, v->base, &pb)
                            : mez_vc_check_credential(v->p, v->doc, v->base, 1, &pb);
    if (rv != MEZ_OK) {
        v->res->failed_check = MEZ_VC_CHECK_SCHEMA;
        v->res->problem = pb;
        return 0;
    }
    passed(v, MEZ_VC_CHECK_SCHEMA);
    return 1;
}

/* A member's value as a detail quotes it: at most SHOWN bytes, a NUL shown as \u0000 and the rest left out,
 * "(none)" when it is absent or not a string. */
static const char *shown(apr_pool_t *p, const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        return "(none)";
    if (strlen(s) != json_string_length(v))
        return apr_pstrcat(p, mez_problem_excerpt(p, s, SHOWN), "\\u0000...", NULL);
    return mez_problem_excerpt(p, s, SHOWN);
}

/* domain may be one string or a set of them (Data Integrity 1.0, section 2.1). */
static int domain_matches(const json_t *d, const char *want)
{
    size_t i;
    const json_t *s;
    if (json_is_string(d))
        return mez_json_text(d) && !strcmp(mez_json_text(d), want);
    json_array_foreach(d, i, s) {
        if (mez_json_text(s) && !strcmp(mez_json_text(s), want))
            return 1;
    }
    return 0;
}

/* The proof's @context must be the document's, exactly. vc-di-eddsa 1.0 section 3.3.2 (Verify Proof) step 4
 * only asks that the document's @context start with the proof's, and the document is then hashed with the
 * proof's @context (step 5): contexts appended to the document after signing are read by a JSON-LD consumer
 * but were never signed, and could redefine the terms the signed ones did. mez issues with the proof's
 * @context equal to the document's, and so does the W3C vector, so nothing mez verifies needs the looser rule.
 * json_equal compares strings by length and bytes, so a NUL inside an entry does not end the comparison. */
static int context_equals(const json_t *proof_ctx, const json_t *doc_ctx)
{
    return doc_ctx && json_equal(proof_ctx, doc_ctx);
}

static int check_one_proof(verify_t *v, proof_item_t *it)
{
    apr_pool_t *p = v->p;
    const json_t *pr = it->proof, *x;
    const char *s;
    apr_time_t t;
    unsigned char *raw;
    size_t rawlen;

    if (!json_is_object(pr)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.invalid", it->ptr, "a proof must be an object");
        return 0;
    }
    s = mez_json_text(json_object_get(pr, "type"));
    if (!s || strcmp(s, PROOF_TYPE)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.unsupported_type", at(p, it->ptr, "type"),
               "proof type '%s' is not supported; only " PROOF_TYPE, shown(p, json_object_get(pr, "type")));
        return 0;
    }
    s = mez_json_text(json_object_get(pr, "cryptosuite"));
    if (!s || strcmp(s, MEZ_VC_CRYPTOSUITE)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.unsupported_cryptosuite", at(p, it->ptr, "cryptosuite"),
               "cryptosuite '%s' is not supported; only " MEZ_VC_CRYPTOSUITE,
               shown(p, json_object_get(pr, "cryptosuite")));
        return 0;
    }
    s = mez_json_text(json_object_get(pr, "proofPurpose"));
    if (!s || strcmp(s, v->purpose)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.purpose_mismatch", at(p, it->ptr, "proofPurpose"),
               "proofPurpose is '%s', expected '%s'", shown(p, json_object_get(pr, "proofPurpose")), v->purpose);
        return 0;
    }
    x = json_object_get(pr, "verificationMethod");
    it->vm = mez_json_text(x);
    if (!it->vm || !*it->vm) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.missing_verification_method", at(p, it->ptr, "verificationMethod"),
               json_is_string(x) && *json_string_value(x) ? "the proof's verificationMethod holds a NUL character"
                                                          : "the proof must name its verificationMethod as a string");
        return 0;
    }
    /* created is optional in Data Integrity 1.0, but when given it must be a real instant. */
    if ((x = json_object_get(pr, "created")) != NULL && mez_time_parse_rfc3339(mez_json_text(x), &t)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_created", at(p, it->ptr, "created"),
               "created must be a date-time with a timezone");
        return 0;
    }
    if ((x = json_object_get(pr, "expires")) != NULL && mez_time_parse_rfc3339(mez_json_text(x), &t)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_expires", at(p, it->ptr, "expires"),
               "expires must be a date-time with a timezone");
        return 0;
    }
    /* Bounded by the longest encoding of 64 bytes before decoding, which is quadratic in its input. */
    s = mez_json_text(json_object_get(pr, "proofValue"));
    if (!s || s[0] != 'z' || strlen(s + 1) > MEZ_BASE58_MAX_CHARS(MEZ_ED25519_SIG_LEN)
        || !(raw = mez_base58_decode(p, s + 1, MEZ_ED25519_SIG_LEN, &rawlen)) || rawlen != MEZ_ED25519_SIG_LEN) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_proof_value", at(p, it->ptr, "proofValue"),
               "proofValue must be multibase base58btc ('z...') of a 64-byte Ed25519 signature");
        return 0;
    }
    memcpy(it->sig, raw, MEZ_ED25519_SIG_LEN);
    if ((x = json_object_get(pr, "@context")) != NULL
        && !context_equals(x, json_object_get(v->doc, "@context"))) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.context_mismatch", at(p, it->ptr, "@context"),
               "the proof's @context is not the document's: what the document added or changed was not signed");
        return 0;
    }
    if (v->challenge) {
        s = mez_json_text(json_object_get(pr, "challenge"));
        if (!s || strcmp(s, v->challenge)) {
            failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.challenge_mismatch", at(p, it->ptr, "challenge"),
                   "the proof's challenge is not the one expected");
            return 0;
        }
    }
    if (v->domain && !domain_matches(json_object_get(pr, "domain"), v->domain)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.domain_mismatch", at(p, it->ptr, "domain"),
               "the proof's domain is not '%s'", mez_problem_excerpt(p, v->domain, SHOWN));
        return 0;
    }
    return 1;
}

static int stage_proof(verify_t *v)
{
    const json_t *proof = json_object_get(v->doc, "proof");
    const char *ptr = at(v->p, v->base, "proof");
    size_t i;

    if (!proof || (json_is_array(proof) && json_array_size(proof) == 0)) {
        failed(v, MEZ_VC_CHECK_PROOF, "vc.proof.missing", ptr, "the document carries no proof");
        return 0;
    }
    /* A proof set (an array) is verified proof by proof; every one must hold. */
    v->nproofs = json_is_array(proof) ? json_array_size(proof) : 1;
    v->proofs = apr_pcalloc(v->p, v->nproofs * sizeof(*v->proofs));
    for (i = 0; i < v->nproofs; i++) {
        v->proofs[i].proof = json_is_array(proof) ? json_array_get(proof, i) : proof;
        v->proofs[i].ptr = json_is_array(proof) ? mez_pointer_index(v->p, ptr, i) : ptr;
        if (!check_one_proof(v, &v->proofs[i]))
            return 0;
    }
    passed(v, MEZ_VC_CHECK_PROOF);
    return 1;
}

/* The key must be the issuer's (a credential) or the holder's (a presentation): a signature by any other key says
 * only that someone signed, and a credential naming one DID as issuer but signed by another DID's key would pass
 * for the issuer's word. mez resolves did:key only, where the DID is the key: the party controls the
 * verificationMethod exactly when the method is "<the party's DID>#...". A party of another kind (an https URL,
 * did:web) cannot be tied to any key here, so its credential is refused, not passed with a warning. In a proof
 * set, one proof by the party is enough: the others are co-signatures (a key rotation is signed by the previous
 * key, the issuer, and by the new one), each still verified against its own key. A presentation without a
 * holder claims no one, so there is nothing to tie (holder is optional in VC 2.0 section 4.13). */
static int check_controller(verify_t *v, int is_vp)
{
    const char *name = is_vp ? "holder" : "issuer";
    const char *code = is_vp ? "vc.key.holder_not_controller" : "vc.key.issuer_not_controller";
    const json_t *member = json_object_get(v->doc, name);
    const char *party = json_is_object(member) ? mez_json_text(json_object_get(member, "id")) : mez_json_text(member);
    const char *ptr = json_is_object(member) ? at(v->p, at(v->p, v->base, name), "id") : at(v->p, v->base, name);

    if (is_vp && !member)
        return 1;
    if (!party || strncmp(party, "did:key:", 8)) {
        failed(v, MEZ_VC_CHECK_KEY, code, ptr,
               "%s '%s' is not a did:key: mez resolves only did:key, so it cannot tell whether the %s controls the "
               "key that signed", name, party ? mez_problem_excerpt(v->p, party, SHOWN) : "(none)", name);
        return 0;
    }
    for (size_t i = 0; i < v->nproofs; i++) {
        const char *vm = v->proofs[i].vm, *hash = strchr(vm, '#');
        size_t n = hash ? (size_t)(hash - vm) : strlen(vm);
        if (strlen(party) == n && !strncmp(party, vm, n))
            return 1;
    }
    failed(v, MEZ_VC_CHECK_KEY, code, ptr, "%s '%s' did not sign: the verificationMethod is another DID's key ('%s')",
           name, mez_problem_excerpt(v->p, party, SHOWN), mez_problem_excerpt(v->p, v->proofs[0].vm, SHOWN));
    return 0;
}

static int stage_key(verify_t *v, int is_vp)
{
    for (size_t i = 0; i < v->nproofs; i++) {
        proof_item_t *it = &v->proofs[i];
        mez_problem_t dpb = { 0 };
        if (mez_did_key_resolve(v->p, it->vm, &it->key, &dpb) != MEZ_OK) {
            failed(v, MEZ_VC_CHECK_KEY, "vc.key.unresolvable", at(v->p, it->ptr, "verificationMethod"),
                   "verificationMethod '%s' does not resolve to an Ed25519 key (%s: %s)",
                   mez_problem_excerpt(v->p, it->vm, SHOWN), dpb.code ? dpb.code : "did.invalid",
                   dpb.detail ? dpb.detail : "");
            return 0;
        }
    }
    if (!check_controller(v, is_vp))
        return 0;
    passed(v, MEZ_VC_CHECK_KEY);
    return 1;
}

static int verify_signature(verify_t *v, proof_item_t *it)
{
    unsigned char hash[64];
    mez_problem_t pb = { 0 };
    const json_t *proof_ctx = json_object_get(it->proof, "@context");
    const json_t *doc_ctx = json_object_get(v->doc, "@context");
    /* Shallow copies: only top-level members change, the rest is shared, read-only. json_copy's parameter
     * is not const, but copying an object only takes references to its members. */
    json_t *config = mez_json_pool_own(v->p, json_copy((json_t *)it->proof));
    json_t *unsecured = mez_json_pool_own(v->p, json_copy((json_t *)v->doc));

    json_object_del(config, "proofValue");
    json_object_del(unsecured, "proof");
    /* vc-di-eddsa 3.3.2: the document is hashed with the proof's @context, the configuration with the
     * document's when the proof has none. */
    if (proof_ctx)
        json_object_set(unsecured, "@context", (json_t *)proof_ctx);
    else if (doc_ctx)
        json_object_set(config, "@context", (json_t *)doc_ctx);

    if (mez_vc_hash_data(v->p, config, unsecured, hash, &pb) != MEZ_OK) {
        failed(v, MEZ_VC_CHECK_SIGNATURE, pb.code ? pb.code : "vc.signature.invalid", it->ptr,
               "the document cannot be canonicalised: %s", pb.detail ? pb.detail : "");
        return 0;
    }
    if (!mez_key_verify(it->key, hash, sizeof(hash), it->sig, sizeof(it->sig))) {
        failed(v, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", at(v->p, it->ptr, "proofValue"),
               "the Ed25519 signature does not match the document and proof options: the document was "
               "changed after signing or signed by another key");
        return 0;
    }
    return 1;
}

static int stage_signature(verify_t *v)
{
    for (size_t i = 0; i < v->nproofs; i++)
        if (!verify_signature(v, &v->proofs[i]))
            return 0;
    passed(v, MEZ_VC_CHECK_SIGNATURE);
    return 1;
}

static int stage_expiry(verify_t *v, int is_vp)
{
    apr_time_t t;
    const char *s;

    if (!is_vp) {
        /* Already validated by the schema check; only compared here. */
        s = json_string_value(json_object_get(v->doc, "validFrom"));
        if (s && !mez_time_parse_rfc3339(s, &t) && t > v->now) {
            failed(v, MEZ_VC_CHECK_EXPIRY, "vc.expiry.not_yet_valid", at(v->p, v->base, "validFrom"),
                   "the credential is valid only from %s (now is %s)", s, mez_time_stamp(v->p, v->now));
            return 0;
        }
        s = json_string_value(json_object_get(v->doc, "validUntil"));
        if (s && !mez_time_parse_rfc3339(s, &t) && t < v->now) {
            failed(v, MEZ_VC_CHECK_EXPIRY, "vc.expiry.expired", at(v->p, v->base, "validUntil"),
                   "the credential expired at %s (now is %s)", s, mez_time_stamp(v->p, v->now));
            return 0;
        }
    }
    for (size_t i = 0; i < v->nproofs; i++) {
        s = json_string_value(json_object_get(v->proofs[i].proof, "expires"));
        if (s && !mez_time_parse_rfc3339(s, &t) && t < v->now) {
            failed(v, MEZ_VC_CHECK_EXPIRY, "vc.expiry.proof_expired", at(v->p, v->proofs[i].ptr, "expires"),
                   "the proof expired at %s (now is %s)", s, mez_time_stamp(v->p, v->now));
            return 0;
        }
        /* Data Integrity 1.0 defines created as when the proof was made and asks only for its form; a proof made
         * later than now cannot have been, whatever the signature says. Accepting one would let a signer date its
         * word after an event it should have come before (a key rotation, a revocation, a deadline) and be read so
         * at once. Clocks differ a little: MEZ_CLOCK_SKEW_SEC, no more. */
        s = json_string_value(json_object_get(v->proofs[i].proof, "created"));
        if (s && !mez_time_parse_rfc3339(s, &t) && t > v->now + apr_time_from_sec(MEZ_CLOCK_SKEW_SEC)) {
            failed(v, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", at(v->p, v->proofs[i].ptr, "created"),
                   "the proof says it was created at %s, after now (%s) by more than the %d seconds allowed for "
                   "clocks that differ", s, mez_time_stamp(v->p, v->now), MEZ_CLOCK_SKEW_SEC);
            return 0;
        }
    }
    passed(v, MEZ_VC_CHECK_EXPIRY);
    return 1;
}

static void run(verify_t *v, int is_vp)
{
    if (!stage_schema(v, is_vp) || !stage_proof(v) || !stage_key(v, is_vp) || !stage_signature(v)
        || !stage_expiry(v, is_vp))
        return;
    v->res->verified = 1;
}

static void init(apr_pool_t *p, verify_t *v, const json_t *doc, const mez_vc_verify_options_t *opts,
                 mez_vc_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->checks = mez_json_pool_own(p, json_array());
    res->warnings = mez_json_pool_own(p, json_array());
    memset(v, 0, sizeof(*v));
    v->p = p;
    v->doc = doc;
    v->res = res;
    v->base = opts ? opts->pointer_base : NULL;
    v->now = opts && opts->now ? opts->now : apr_time_now();
}

mez_status_t mez_vc_verify(apr_pool_t *p, const json_t *vc, const mez_vc_verify_options_t *opts,
                           mez_vc_result_t *res)
{
    verify_t v;
    init(p, &v, vc, opts, res);
    v.purpose = opts && opts->expected_purpose ? opts->expected_purpose : "assertionMethod";
    /* A caller who asks for a challenge or domain gets it checked on a credential's proof as on a presentation's:
     * ignoring them would report valid a proof that was never bound to the caller's exchange. */
    v.challenge = opts ? opts->challenge : NULL;
    v.domain = opts ? opts->domain : NULL;
    run(&v, 0);
    return MEZ_OK;
}

mez_status_t mez_vp_verify(apr_pool_t *p, const json_t *vp, const mez_vc_verify_options_t *opts,
                           mez_vc_result_t *res)
{
    verify_t v;
    const json_t *vcs;
    size_t n;

    init(p, &v, vp, opts, res);
    v.purpose = opts && opts->expected_purpose ? opts->expected_purpose : "authentication";
    v.challenge = opts ? opts->challenge : NULL;
    v.domain = opts ? opts->domain : NULL;
    run(&v, 1);
    if (!res->verified)
        return MEZ_OK;

    /* The presentation holds; now every credential inside must, each for its issuer's purpose. */
    vcs = json_object_get(vp, "verifiableCredential");
    n = json_is_array(vcs) ? json_array_size(vcs) : vcs ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        mez_vc_verify_options_t sub = { 0 };
        mez_vc_result_t r;
        sub.now = v.now;
        sub.pointer_base = json_is_array(vcs) ? mez_pointer_index(p, at(p, v.base, "verifiableCredential"), i)
                                              : at(p, v.base, "verifiableCredential");
        mez_vc_verify(p, json_is_array(vcs) ? json_array_get(vcs, i) : vcs, &sub, &r);
        json_array_extend(res->warnings, r.warnings);
        if (!r.verified) {
            /* What passed overall is what passed for this credential: the presentation passed them all. */
            json_array_clear(res->checks);
            json_array_extend(res->checks, r.checks);
            res->verified = 0;
            res->failed_check = r.failed_check;
            res->problem = r.problem;
            return MEZ_OK;
        }
    }
    return MEZ_OK;
}
