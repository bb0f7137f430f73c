/* test_vc.c: CUnit suite for libmezcore's vc area: dateTimeStamp parsing, the W3C vc-di-eddsa eddsa-jcs-2022
 * vectors (signing byte for byte, verifying), each check failing on its own tamper, presentations and issuing. */
#include <string.h>
#include <apr_strings.h>
#include <jansson.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/vc.h"
#include "unit.h"

#define VEC "vectors/vc-di-eddsa/"
#define VEC_VM "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
#define VEC_CREATED "2023-02-24T23:36:38Z"

static json_t *load(const char *rel)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL(mez_json_parse_file(unit_pool(), unit_shared(rel), &v, &pb), MEZ_OK);
    return v;
}

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

/* A private copy of a vector document, so a test can tamper with it. */
static json_t *load_copy(const char *rel)
{
    json_t *v = load(rel);
    return v ? mez_json_pool_own(unit_pool(), json_deep_copy(v)) : NULL;
}

static const char *jcs(const json_t *v)
{
    mez_problem_t pb = { 0 };
    const char *out = NULL;
    size_t n;
    CU_ASSERT_EQUAL(mez_json_canonicalize(unit_pool(), v, &out, &n, &pb), MEZ_OK);
    return out ? out : "";
}

static mez_key_t *vector_key(void)
{
    mez_problem_t pb = { 0 };
    mez_key_t *key = NULL;
    json_t *kp = load(VEC "keyPair.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(kp);
    CU_ASSERT_EQUAL_FATAL(mez_multikey_decode_private(unit_pool(),
                              json_string_value(json_object_get(kp, "privateKeyMultibase")), &key, &pb), MEZ_OK);
    return key;
}

static mez_vc_result_t verify(const json_t *vc)
{
    mez_vc_result_t res;
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, NULL, &res), MEZ_OK);
    return res;
}

static void expect_valid(const mez_vc_result_t *res)
{
    CU_ASSERT_EQUAL(res->verified, 1);
    CU_ASSERT_PTR_NULL(res->failed_check);
    CU_ASSERT_EQUAL(json_array_size(res->checks), 5);
    if (!res->verified)
        fprintf(stderr, "\n  unexpected failure: %s %s at %s: %s\n", res->failed_check, res->problem.code,
                res->problem.pointer, res->problem.detail);
}

/* The named check failed with this code and pointer, and exactly the checks before it passed. */
static void expect_failed(const mez_vc_result_t *res, const char *check, const char *code, const char *pointer)
{
    static const char *const order[] = { MEZ_VC_CHECK_SCHEMA, MEZ_VC_CHECK_PROOF, MEZ_VC_CHECK_KEY,
                                         MEZ_VC_CHECK_SIGNATURE, MEZ_VC_CHECK_EXPIRY };
    size_t before = 0;
    while (before < 5 && strcmp(order[before], check))
        before++;
    CU_ASSERT_EQUAL(res->verified, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res->failed_check);
    CU_ASSERT_STRING_EQUAL(res->failed_check, check);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res->problem.code);
    CU_ASSERT_STRING_EQUAL(res->problem.code, code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res->problem.pointer);
    CU_ASSERT_STRING_EQUAL(res->problem.pointer, pointer);
    CU_ASSERT_EQUAL(res->problem.status, 422);
    CU_ASSERT_EQUAL(json_array_size(res->checks), before);
    for (size_t i = 0; i < before && i < json_array_size(res->checks); i++)
        CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(res->checks, i)), order[i]);
    if (strcmp(res->problem.code, code) || strcmp(res->problem.pointer, pointer))
        fprintf(stderr, "\n  got %s at %s: %s\n", res->problem.code, res->problem.pointer, res->problem.detail);
}

static int has_warning(const mez_vc_result_t *res, const char *code)
{
    size_t i;
    json_t *w;
    json_array_foreach(res->warnings, i, w) {
        if (!strcmp(json_string_value(json_object_get(w, "code")), code))
            return 1;
    }
    return 0;
}

/* Signs doc with the vector key as the vector did (created, verificationMethod fixed). */
static json_t *sign_like_vector(const json_t *doc, const char *purpose)
{
    mez_vc_proof_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    o.created = VEC_CREATED;
    o.verification_method = VEC_VM;
    o.proof_purpose = purpose;
    CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), doc, vector_key(), &o, &out, &pb), MEZ_OK);
    return out;
}

#define VEC_DID "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

/* The vector's credential issued by its own signing key's did:key: the W3C vector's issuer is an https URL,
 * which mez cannot tie to the key, so every test of a credential that should verify starts from this twin. */
static json_t *twin(void)
{
    json_t *doc = load_copy(VEC "unsigned.json");
    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    /* A deep copy: the signed proof shares its @context with the document, as a parsed credential would not. */
    return mez_json_pool_own(unit_pool(), json_deep_copy(sign_like_vector(doc, NULL)));
}

/* Signs doc with the vector key under proof options given as JSON, byte for byte as given (a NUL inside a string
 * included), as an outside signer could: hashData of the options (with the document's @context) and the
 * document, then Ed25519. */
static json_t *sign_raw(const json_t *doc, json_t *options)
{
    mez_problem_t pb = { 0 };
    unsigned char hash[64], sig[64];
    json_t *config = mez_json_pool_own(unit_pool(), json_deep_copy(options));
    json_t *out = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
    json_object_set(config, "@context", json_object_get(doc, "@context"));
    CU_ASSERT_EQUAL_FATAL(mez_vc_hash_data(unit_pool(), config, doc, hash, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_sign(vector_key(), hash, sizeof(hash), sig, &pb, unit_pool()), MEZ_OK);
    json_object_set_new(config, "proofValue",
                        json_string(apr_pstrcat(unit_pool(), "z", mez_base58_encode(unit_pool(), sig, 64), NULL)));
    json_object_set(out, "proof", config);
    return out;
}

/* ------------------------------------------------------------------ time */

static void expect_time(const char *s, apr_time_t want)
{
    apr_time_t t = -1;
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339(s, &t), 0);
    CU_ASSERT_EQUAL(t, want);
    if (t != want)
        fprintf(stderr, "\n  %s -> %" APR_TIME_T_FMT ", want %" APR_TIME_T_FMT "\n", s, t, want);
}

static void test_time_parse(void)
{
    apr_time_t t;
    static const char *const bad[] = {
        "2023-01-01T00:00:00", "2023-01-01 00:00:00Z", "2023-01-01t00:00:00Z", "2023-01-01T00:00:00z",
        "2023-1-01T00:00:00Z", "23-01-01T00:00:00Z", "2023-13-01T00:00:00Z", "2023-00-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-01-00T00:00:00Z",
        "2023-01-01T24:00:00Z", "2023-01-01T23:60:00Z", "2023-12-31T23:59:60Z", "2023-01-01T00:00:00.Z",
        "2023-01-01T00:00:00+14:01", "2023-01-01T00:00:00+15:00", "2023-01-01T00:00:00+0100",
        "2023-01-01T00:00:00+01", "2023-01-01T00:00:00Z ", " 2023-01-01T00:00:00Z", "2023-01-01",
        "2023-01-01T00:00Z", "", "+2023-01-01T00:00:00Z", "2023-01-01T00:00:00+01:60",
    };
    expect_time("1970-01-01T00:00:00Z", 0);
    expect_time("2023-02-24T23:36:38Z", apr_time_from_sec(1677281798));
    expect_time("2000-02-29T12:00:00Z", apr_time_from_sec(951825600));
    expect_time("2024-02-29T00:00:00+01:00", apr_time_from_sec(1709161200));
    expect_time("2023-02-25T01:06:38+01:30", apr_time_from_sec(1677281798));
    expect_time("2023-02-24T20:36:38-03:00", apr_time_from_sec(1677281798));
    expect_time("2023-02-24T23:36:38-00:00", apr_time_from_sec(1677281798));
    expect_time("2023-02-24T23:36:38.5Z", apr_time_from_sec(1677281798) + 500000);
    expect_time("2023-02-24T23:36:38.123456789Z", apr_time_from_sec(1677281798) + 123456);
    expect_time("1969-12-31T23:59:59Z", -APR_USEC_PER_SEC);
    expect_time("0001-01-01T00:00:00Z", apr_time_from_sec(-62135596800LL));
    expect_time("9999-12-31T23:59:59+14:00", apr_time_from_sec(253402300799LL - 14 * 3600));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = mez_time_parse_rfc3339(bad[i], &t);
        CU_ASSERT_EQUAL(rc, -1);
        if (rc != -1)
            fprintf(stderr, "\n  accepted '%s'\n", bad[i]);
    }
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339(NULL, &t), -1);
}

static void test_time_now(void)
{
    apr_time_t before = apr_time_sec(apr_time_now()), t;
    const char *s = mez_time_now_rfc3339(unit_pool());
    CU_ASSERT_EQUAL(strlen(s), 20);
    CU_ASSERT_EQUAL(s[19], 'Z');
    CU_ASSERT_EQUAL_FATAL(mez_time_parse_rfc3339(s, &t), 0);
    CU_ASSERT(apr_time_sec(t) >= before && apr_time_sec(t) <= before + 2);
}

/* ------------------------------------------------------------------ the W3C vector */

static void test_sign_vector(void)
{
    json_t *unsigned_vc = load(VEC "unsigned.json"), *want = load(VEC "eddsa-jcs-2022/signedJCS.json");
    json_t *got, *config;
    const char *sig = unit_read_file(unit_shared(VEC "eddsa-jcs-2022/sigBTC58JCS.txt"), NULL);
    const char *proof_canon = unit_read_file(unit_shared(VEC "eddsa-jcs-2022/proofCanonJCS.txt"), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(unsigned_vc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
    CU_ASSERT_PTR_NOT_NULL_FATAL(proof_canon);

    got = sign_like_vector(unsigned_vc, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(got, "proof"), "proofValue")), sig);
    CU_ASSERT_STRING_EQUAL(jcs(json_object_get(got, "proof")), jcs(json_object_get(want, "proof")));
    CU_ASSERT_STRING_EQUAL(jcs(got), jcs(want));
    /* Same member order as the vector, so even the pretty form matches. */
    CU_ASSERT_STRING_EQUAL(mez_json_dump(unit_pool(), got, 1), mez_json_dump(unit_pool(), want, 1));

    config = mez_json_pool_own(unit_pool(), json_deep_copy(json_object_get(got, "proof")));
    json_object_del(config, "proofValue");
    CU_ASSERT_STRING_EQUAL(jcs(config), proof_canon);
    /* Signing works on a copy: the input is untouched. */
    CU_ASSERT_PTR_NULL(json_object_get(unsigned_vc, "proof"));
}

static void test_hash_vector(void)
{
    mez_problem_t pb = { 0 };
    unsigned char hash[64];
    mez_digest_t a, b;
    json_t *config = load(VEC "eddsa-jcs-2022/proofConfigJCS.json"), *doc = load(VEC "unsigned.json");
    const char *want = unit_read_file(unit_shared(VEC "eddsa-jcs-2022/combinedHashJCS.txt"), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    CU_ASSERT_EQUAL_FATAL(mez_vc_hash_data(unit_pool(), config, doc, hash, &pb), MEZ_OK);
    memcpy(a.bytes, hash, 32);
    memcpy(b.bytes, hash + 32, 32);
    CU_ASSERT_STRING_EQUAL(apr_pstrcat(unit_pool(), mez_digest_hex(unit_pool(), &a), mez_digest_hex(unit_pool(), &b),
                                       NULL), want);
}

static void test_verify_vector(void)
{
    json_t *vc = load(VEC "eddsa-jcs-2022/signedJCS.json"), *config, *doc;
    mez_problem_t pb = { 0 };
    mez_key_t *key = NULL;
    unsigned char hash[64], *sig;
    size_t siglen = 0;
    mez_vc_result_t res = verify(vc);

    /* The vector's signature is sound: hashData of its proof options and document verifies under its key. */
    config = mez_json_pool_own(unit_pool(), json_deep_copy(json_object_get(vc, "proof")));
    json_object_del(config, "proofValue");
    doc = mez_json_pool_own(unit_pool(), json_deep_copy(vc));
    json_object_del(doc, "proof");
    CU_ASSERT_EQUAL_FATAL(mez_vc_hash_data(unit_pool(), config, doc, hash, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_did_key_resolve(unit_pool(), VEC_VM, &key, &pb), MEZ_OK);
    sig = mez_base58_decode(unit_pool(), json_string_value(json_object_get(json_object_get(vc, "proof"),
                                                                           "proofValue")) + 1, 64, &siglen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
    CU_ASSERT_TRUE(mez_key_verify(key, hash, sizeof(hash), sig, siglen));
    /* But its issuer is an https URL and its key a did:key: mez resolves only did:key, so nothing ties the
     * issuer to the key, and the credential is not the issuer's word (it was a warning, and valid). */
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");

    /* Issued by the key's own did:key, the same credential passes all five checks. */
    res = verify(twin());
    expect_valid(&res);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(res.checks, 0)), MEZ_VC_CHECK_SCHEMA);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(res.checks, 4)), MEZ_VC_CHECK_EXPIRY);
    CU_ASSERT_EQUAL(json_array_size(res.warnings), 0);
}

static void test_verify_proof_without_context(void)
{
    /* The proof may leave out @context: the configuration then takes the document's (vc-di-eddsa 3.3.5). */
    json_t *vc = twin();
    mez_vc_result_t res;
    json_object_del(json_object_get(vc, "proof"), "@context");
    res = verify(vc);
    expect_valid(&res);
}

static void test_verify_context_appended(void)
{
    /* A context appended to the document after signing was never signed, yet a JSON-LD reader would apply it:
     * refused (vc-di-eddsa 3.3.2 step 4 would allow it; mez asks the proof's @context to be the document's). */
    json_t *vc = twin();
    mez_vc_result_t res;
    json_array_append_new(json_object_get(vc, "@context"), json_string("https://w3id.org/security/data-integrity/v2"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.context_mismatch", "/proof/@context");
    /* The same when the proof names no @context: the configuration then takes the document's, now changed, and
     * the signature no longer holds. */
    json_object_del(json_object_get(vc, "proof"), "@context");
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

/* ------------------------------------------------------------------ each check failing */

static void test_tamper_subject(void)
{
    json_t *vc = twin();
    mez_vc_result_t res;
    json_object_set_new(json_object_get(vc, "credentialSubject"), "alumniOf", json_string("Another School"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

static void test_tamper_proof_value(void)
{
    json_t *vc = twin(), *proof = json_object_get(vc, "proof");
    char *pv = apr_pstrdup(unit_pool(), json_string_value(json_object_get(proof, "proofValue")));
    mez_vc_result_t res;
    pv[10] = pv[10] == 'A' ? 'B' : 'A';
    json_object_set_new(proof, "proofValue", json_string(pv));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");

    /* Not a 64-byte base58btc value at all: the proof check catches it before any key is used. */
    json_object_set_new(proof, "proofValue", json_string("uAAAA"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_proof_value", "/proof/proofValue");
    json_object_set_new(proof, "proofValue", json_string("z0OIl"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_proof_value", "/proof/proofValue");
}

static void test_tamper_proof_options(void)
{
    /* Changing a signed proof option breaks the signature, since the configuration is hashed too. */
    json_t *vc = twin();
    mez_vc_result_t res;
    json_object_set_new(json_object_get(vc, "proof"), "created", json_string("2023-02-24T23:36:39Z"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

static void test_wrong_cryptosuite(void)
{
    json_t *vc = load_copy(VEC "eddsa-jcs-2022/signedJCS.json"), *proof = json_object_get(vc, "proof");
    mez_vc_result_t res;
    json_object_set_new(proof, "cryptosuite", json_string("eddsa-rdfc-2022"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.unsupported_cryptosuite", "/proof/cryptosuite");

    json_object_set_new(proof, "cryptosuite", json_string(MEZ_VC_CRYPTOSUITE));
    json_object_set_new(proof, "type", json_string("Ed25519Signature2020"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.unsupported_type", "/proof/type");
}

static void test_wrong_purpose(void)
{
    json_t *vc = load_copy(VEC "eddsa-jcs-2022/signedJCS.json");
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;
    o.expected_purpose = "authentication";
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.purpose_mismatch", "/proof/proofPurpose");
}

static void test_missing_proof(void)
{
    json_t *vc = load(VEC "unsigned.json");
    mez_vc_result_t res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.missing", "/proof");
}

static void test_did_web_key(void)
{
    json_t *vc = load_copy(VEC "eddsa-jcs-2022/signedJCS.json");
    mez_vc_result_t res;
    json_object_set_new(json_object_get(vc, "proof"), "verificationMethod",
                        json_string("did:web:vc.example:issuers:5678#key-1"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.unresolvable", "/proof/verificationMethod");

    /* A did:key whose fragment names another key is not this DID's verification method. */
    json_object_set_new(json_object_get(vc, "proof"), "verificationMethod",
                        json_string("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
                                    "#z6MkhxfMacSDyq1UzXr1c13Rxs89QirqDCJydraVhLz6KyTY"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.unresolvable", "/proof/verificationMethod");
}

static void test_other_key(void)
{
    /* A valid did:key, but not the issuer's: the key check says so; made the issuer too, the signature check. */
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *other;
    json_t *vc = twin();
    mez_vc_result_t res;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &other, &pb), MEZ_OK);
    json_object_set_new(json_object_get(vc, "proof"), "verificationMethod",
                        json_string(mez_did_key_verification_method(p, other)));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");
    json_object_set_new(vc, "issuer", json_string(mez_did_key(p, other)));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

static void test_issuer_not_controller(void)
{
    /* Issued in one DID's name, signed with another's key, by that key's holder: the signature holds, the
     * credential is not the issuer's (it verified, with a warning). */
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *other;
    mez_vc_result_t res;
    json_t *doc = load_copy(VEC "unsigned.json"), *vc, *set;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &other, &pb), MEZ_OK);
    json_object_set_new(doc, "issuer", json_string(mez_did_key(p, other)));
    res = verify(sign_like_vector(doc, NULL));
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");
    json_object_set_new(doc, "issuer", json_pack("{s:s, s:s}", "id", mez_did_key(p, other), "name", "Zone"));
    res = verify(sign_like_vector(doc, NULL));
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer/id");
    /* Issuers mez cannot resolve to a key: refused, whatever key signed. */
    json_object_set_new(doc, "issuer", json_string("did:web:vc.example"));
    res = verify(sign_like_vector(doc, NULL));
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");
    /* The issuer's DID with a fragment is a verification method, not the DID. */
    json_object_set_new(doc, "issuer", json_string(VEC_VM));
    res = verify(sign_like_vector(doc, NULL));
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");

    /* A proof set holds when one proof is the issuer's; the others are co-signatures. None the issuer's fails. */
    vc = twin();
    set = json_array();
    json_array_append(set, json_object_get(vc, "proof"));
    json_array_append(set, json_object_get(vc, "proof"));
    json_object_set_new(vc, "proof", set);
    res = verify(vc);
    expect_valid(&res);
    json_object_set_new(vc, "issuer", json_string(mez_did_key(p, other)));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/issuer");
}

static void test_challenge_on_credential(void)
{
    /* A caller's challenge and domain bind a credential's proof as they do a presentation's: a proof without
     * them was not made for the caller's exchange (they were ignored, and it verified). */
    mez_vc_proof_options_t po = { 0 };
    mez_vc_verify_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;
    json_t *doc = load_copy(VEC "unsigned.json"), *vc = NULL;

    o.challenge = "X";
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), twin(), &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.challenge_mismatch", "/proof/challenge");
    o.challenge = NULL;
    o.domain = "Y";
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), twin(), &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.domain_mismatch", "/proof/domain");

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    po.created = VEC_CREATED;
    po.challenge = "X";
    po.domain = "Y";
    CU_ASSERT_EQUAL_FATAL(mez_vc_sign(unit_pool(), doc, vector_key(), &po, &vc, &pb), MEZ_OK);
    o.challenge = "X";
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_valid(&res);
    o.challenge = "Z";
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.challenge_mismatch", "/proof/challenge");
}

static void test_nul_in_proof_members(void)
{
    /* JSON strings may hold U+0000; a C comparison stops there. Each proof is validly signed with the NUL in
     * place, so only the comparison can refuse it (they all verified). */
    static const struct { const char *member, *value, *code; } cases[] = {
        { "type", "DataIntegrityProof", "vc.proof.unsupported_type" },
        { "cryptosuite", MEZ_VC_CRYPTOSUITE, "vc.proof.unsupported_cryptosuite" },
        { "proofPurpose", "assertionMethod", "vc.proof.purpose_mismatch" },
        { "verificationMethod", VEC_VM, "vc.proof.missing_verification_method" },
    };
    json_t *doc = load_copy(VEC "unsigned.json"), *opts;
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    opts = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "DataIntegrityProof", "cryptosuite", MEZ_VC_CRYPTOSUITE,
                     "created", VEC_CREATED, "verificationMethod", VEC_VM, "proofPurpose", "assertionMethod");
    mez_json_pool_own(unit_pool(), opts);
    res = verify(sign_raw(doc, opts));
    expect_valid(&res);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *bad = mez_json_pool_own(unit_pool(), json_deep_copy(opts));
        /* "value\0x": the right value, a NUL, more */
        char *buf = apr_pstrcat(unit_pool(), cases[i].value, "_x", NULL);
        size_t len = strlen(buf);
        buf[strlen(cases[i].value)] = '\0';
        json_object_set_new(bad, cases[i].member, json_stringn(buf, len));
        res = verify(sign_raw(doc, bad));
        expect_failed(&res, MEZ_VC_CHECK_PROOF, cases[i].code, apr_pstrcat(unit_pool(), "/proof/", cases[i].member,
                                                                           NULL));
    }
    /* A challenge "abc\0other" is not the challenge "abc". */
    {
        json_t *bad = mez_json_pool_own(unit_pool(), json_deep_copy(opts));
        json_object_set_new(bad, "challenge", json_stringn("abc\0other", 9));
        o.challenge = "abc";
        CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), sign_raw(doc, bad), &o, &res), MEZ_OK);
        expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.challenge_mismatch", "/proof/challenge");
        json_object_set_new(bad, "challenge", json_string("abc"));
        CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), sign_raw(doc, bad), &o, &res), MEZ_OK);
        expect_valid(&res);
        json_object_set_new(bad, "domain", json_stringn("d.example\0x", 11));
        o.domain = "d.example";
        CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), sign_raw(doc, bad), &o, &res), MEZ_OK);
        expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.domain_mismatch", "/proof/domain");
    }
    /* And in @context: the first must be the VC 2.0 context, not a string that starts like it. */
    json_array_set_new(json_object_get(doc, "@context"), 0,
                       json_stringn(MEZ_VC_CONTEXT_V2 "\0x", strlen(MEZ_VC_CONTEXT_V2) + 2));
    res = verify(sign_raw(doc, opts));
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_context", "/@context/0");
}

static void test_long_values(void)
{
    /* A proofValue or verificationMethod as long as a request body: refused by length, fast, and not echoed. */
    apr_pool_t *p = unit_pool();
    size_t n = 1000000;
    char *big = apr_palloc(p, n + 1);
    json_t *vc = twin(), *proof = json_object_get(vc, "proof");
    mez_vc_result_t res;
    apr_time_t t0 = apr_time_now();

    memset(big, '2', n);
    big[0] = 'z';
    big[n] = '\0';
    json_object_set_new(proof, "proofValue", json_string(big));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_proof_value", "/proof/proofValue");
    /* One character past the longest 64-byte encoding. */
    big[1 + MEZ_BASE58_MAX_CHARS(64) + 1] = '\0';
    json_object_set_new(proof, "proofValue", json_string(big));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_proof_value", "/proof/proofValue");
    big[1 + MEZ_BASE58_MAX_CHARS(64) + 1] = '2';

    vc = twin();
    json_object_set_new(json_object_get(vc, "proof"), "verificationMethod",
                        json_string(apr_pstrcat(p, "did:key:", big, NULL)));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.unresolvable", "/proof/verificationMethod");
    CU_ASSERT(strlen(res.problem.detail) < 1000);
    CU_ASSERT(apr_time_now() - t0 < apr_time_from_sec(1));
}

static void test_expiry(void)
{
    json_t *doc = load_copy(VEC "unsigned.json"), *vc;
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    json_object_set_new(doc, "validUntil", json_string("2024-01-01T00:00:00Z"));
    vc = sign_like_vector(doc, NULL);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.expired", "/validUntil");

    /* The same credential, seen on its last valid day, and before it became valid. */
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339("2023-12-31T23:59:59Z", &o.now), 0);
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_valid(&res);
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339("2022-12-31T23:59:59Z", &o.now), 0);
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.not_yet_valid", "/validFrom");
}

static void test_proof_expires(void)
{
    json_t *doc = load_copy(VEC "unsigned.json"), *vc = NULL;
    mez_vc_proof_options_t po = { 0 };
    mez_vc_verify_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    po.created = VEC_CREATED;
    po.expires = "2024-02-24T00:00:00Z";
    CU_ASSERT_EQUAL_FATAL(mez_vc_sign(unit_pool(), doc, vector_key(), &po, &vc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(vc, "proof"), "expires")), po.expires);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.proof_expired", "/proof/expires");
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339("2024-01-01T00:00:00Z", &o.now), 0);
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_valid(&res);

    po.expires = "tomorrow";
    CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), doc, vector_key(), &po, &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.proof.invalid_expires");
    po.expires = NULL;
    po.created = "2023-02-24 23:36:38";
    CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), doc, vector_key(), &po, &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.proof.invalid_created");
}

static void test_missing_type(void)
{
    json_t *vc = load_copy(VEC "eddsa-jcs-2022/signedJCS.json");
    mez_vc_result_t res;
    json_object_del(vc, "type");
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.missing_type", "/type");

    json_object_set_new(vc, "type", json_string("AlumniCredential"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_type", "/type");
}

static void test_proof_context_not_prefix(void)
{
    json_t *vc = load_copy(VEC "eddsa-jcs-2022/signedJCS.json");
    json_t *ctx = json_object_get(json_object_get(vc, "proof"), "@context");
    mez_vc_result_t res;
    /* Same contexts, other order. */
    json_array_remove(ctx, 0);
    json_array_append_new(ctx, json_string(MEZ_VC_CONTEXT_V2));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.context_mismatch", "/proof/@context");
    /* Longer than the document's. */
    json_array_clear(ctx);
    json_array_extend(ctx, json_object_get(vc, "@context"));
    json_array_append_new(ctx, json_string("https://w3id.org/security/data-integrity/v2"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.context_mismatch", "/proof/@context");
}

static void test_proof_set(void)
{
    json_t *vc = twin(), *set = json_array(), *bad;
    json_t *proof = json_object_get(vc, "proof");
    mez_vc_result_t res;

    json_array_append(set, proof);
    json_array_append(set, proof);
    json_object_set_new(vc, "proof", set);
    res = verify(vc);
    expect_valid(&res);

    bad = json_deep_copy(proof);
    json_object_set_new(bad, "created", json_string("2023-02-24T23:36:39Z"));
    json_array_set_new(set, 1, bad);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/1/proofValue");

    json_array_set_new(set, 1, json_string("not a proof"));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid", "/proof/1");

    json_array_clear(set);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.missing", "/proof");
}

static void test_verify_pointer_base(void)
{
    json_t *vc = twin();
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;
    o.pointer_base = "/verifiableCredential";
    json_object_set_new(json_object_get(vc, "credentialSubject"), "alumniOf", json_string("x"));
    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), vc, &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/verifiableCredential/proof/proofValue");

    CU_ASSERT_EQUAL(mez_vc_verify(unit_pool(), parse("\"x\""), &o, &res), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(res.failed_check, MEZ_VC_CHECK_SCHEMA);
    CU_ASSERT_STRING_EQUAL(res.problem.code, "vc.schema.not_object");
    CU_ASSERT_STRING_EQUAL(res.problem.pointer, "/verifiableCredential");
    CU_ASSERT_EQUAL(res.problem.status, 400);
}

/* ------------------------------------------------------------------ presentations */

static json_t *presentation(const json_t *vc)
{
    json_t *vp = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"],"
                       " \"type\": [\"VerifiablePresentation\"],"
                       " \"holder\": \"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2\"}");
    json_t *list = json_array();
    json_array_append(list, (json_t *)vc);
    json_object_set_new(vp, "verifiableCredential", list);
    return vp;
}

static json_t *sign_vp(const json_t *vp, const char *challenge, const char *domain)
{
    mez_vc_proof_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    o.created = "2024-05-01T10:00:00Z";
    o.proof_purpose = "authentication";
    o.challenge = challenge;
    o.domain = domain;
    CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), vp, vector_key(), &o, &out, &pb), MEZ_OK);
    return out;
}

static mez_vc_result_t verify_vp(const json_t *vp, const char *challenge, const char *domain)
{
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;
    o.challenge = challenge;
    o.domain = domain;
    CU_ASSERT_EQUAL(mez_vp_verify(unit_pool(), vp, &o, &res), MEZ_OK);
    return res;
}

static void test_vp(void)
{
    json_t *vc = twin();
    json_t *vp = sign_vp(presentation(vc), "c0ffee-1", "verifier.example");
    mez_vc_result_t res;
    CU_ASSERT_PTR_NOT_NULL_FATAL(vp);

    res = verify_vp(vp, "c0ffee-1", "verifier.example");
    expect_valid(&res);
    CU_ASSERT_EQUAL(json_array_size(res.warnings), 0);
    res = verify_vp(vp, NULL, NULL);
    expect_valid(&res);

    res = verify_vp(vp, "c0ffee-2", "verifier.example");
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.challenge_mismatch", "/proof/challenge");
    res = verify_vp(vp, "c0ffee-1", "other.example");
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.domain_mismatch", "/proof/domain");

    /* A presentation proof made for assertion is not an authentication. */
    {
        mez_vc_proof_options_t o = { 0 };
        mez_problem_t pb = { 0 };
        json_t *wrong = NULL;
        CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), presentation(vc), vector_key(), &o, &wrong, &pb), MEZ_OK);
        res = verify_vp(wrong, NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.purpose_mismatch", "/proof/proofPurpose");
    }

    /* Tampering with the presentation after signing breaks its own signature. */
    json_object_set_new(vp, "id", json_string("urn:uuid:7f3c1e2a-0000-4000-8000-000000000001"));
    res = verify_vp(vp, "c0ffee-1", "verifier.example");
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");

    /* A holder who did not sign: another DID (it was a warning), or one mez cannot tie to a key. */
    vp = presentation(vc);
    json_object_set_new(vp, "holder", json_string("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"));
    res = verify_vp(sign_vp(vp, "c0ffee-1", NULL), "c0ffee-1", NULL);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.holder_not_controller", "/holder");
    json_object_set_new(vp, "holder", json_pack("{s:s}", "id", "https://holder.example"));
    res = verify_vp(sign_vp(vp, "c0ffee-1", NULL), "c0ffee-1", NULL);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.holder_not_controller", "/holder/id");
    /* No holder claims no one: the presentation holds on its signature. */
    json_object_del(vp, "holder");
    res = verify_vp(sign_vp(vp, "c0ffee-1", NULL), "c0ffee-1", NULL);
    expect_valid(&res);
    /* The credentials inside are held to their issuers: the W3C vector's https issuer is refused there. */
    vp = presentation(load(VEC "eddsa-jcs-2022/signedJCS.json"));
    res = verify_vp(sign_vp(vp, NULL, NULL), NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_KEY, "vc.key.issuer_not_controller", "/verifiableCredential/0/issuer");
}

static void test_vp_tampered_credential(void)
{
    json_t *vc = twin(), *vp;
    mez_vc_result_t res;
    json_object_set_new(json_object_get(vc, "credentialSubject"), "alumniOf", json_string("Another School"));
    /* The holder signs over the tampered credential, so only the credential's own proof can catch it. */
    vp = sign_vp(presentation(vc), "n-1", NULL);
    res = verify_vp(vp, "n-1", NULL);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/verifiableCredential/0/proof/proofValue");

    json_object_del(json_object_get(json_array_get(json_object_get(vp, "verifiableCredential"), 0), "proof"), "type");
    res = verify_vp(vp, "n-1", NULL);
    /* The presentation's own signature now fails first, since the credential is part of what it signed. */
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

static void test_vp_shape(void)
{
    json_t *vc = twin();
    json_t *vp = presentation(vc);
    mez_vc_result_t res;

    res = verify_vp(vp, NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.missing", "/proof");

    json_object_set_new(vp, "verifiableCredential", json_string("x"));
    res = verify_vp(vp, NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_verifiable_credential", "/verifiableCredential");

    /* A credential is not a presentation. */
    res = verify_vp(vc, NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_type", "/type");

    /* A document is one or the other. A "credential" that also calls itself a presentation, signed by someone
     * with any key and no holder, must not pass as a presentation (where no issuer is checked) nor as a
     * credential; a presentation that carries a credential's members is refused as well. */
    {
        json_t *both = load_copy(VEC "unsigned.json"), *signed_both;
        json_object_set_new(both, "type", json_pack("[s,s]", "VerifiableCredential", "VerifiablePresentation"));
        signed_both = sign_vp(both, NULL, NULL);
        res = verify_vp(signed_both, NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_type", "/type");
        res = verify(signed_both);
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_type", "/type");
        json_object_set_new(both, "type", json_pack("[s]", "VerifiablePresentation"));
        res = verify_vp(sign_vp(both, NULL, NULL), NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.credential_member", "/issuer");
        json_object_del(both, "issuer");
        res = verify_vp(sign_vp(both, NULL, NULL), NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.credential_member", "/credentialSubject");
        /* A type compared whole: a NUL inside is another type. */
        vp = presentation(vc);
        json_object_set_new(vp, "type", json_stringn("VerifiablePresentation\0x", 24));
        res = verify_vp(sign_vp(vp, NULL, NULL), NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.invalid_type", "/type");
        CU_ASSERT(mez_vc_type_includes(json_object_get(presentation(vc), "type"), "VerifiablePresentation"));
        CU_ASSERT(!mez_vc_type_includes(json_object_get(vp, "type"), "VerifiablePresentation"));
    }

    /* One credential as an object, not in an array, is allowed; a bad one is named without an index. */
    {
        json_t *one = twin(), *signed_vp;
        json_object_set_new(one, "validUntil", json_string("2020-01-01T00:00:00Z"));
        json_object_set_new(one, "validFrom", json_string("2019-01-01T00:00:00Z"));
        vp = presentation(vc);
        json_object_set(vp, "verifiableCredential", one);
        signed_vp = sign_vp(vp, NULL, NULL);
        res = verify_vp(signed_vp, NULL, NULL);
        expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/verifiableCredential/proof/proofValue");
    }
}

/* ------------------------------------------------------------------ issuing */

static mez_status_t issue(const json_t *cred, const char *issuer, const char *base, json_t **out, mez_problem_t *pb)
{
    mez_vc_proof_options_t o = { 0 };
    o.pointer_base = base;
    o.created = VEC_CREATED;
    return mez_vc_issue(unit_pool(), cred, vector_key(), issuer, &o, out, pb);
}

/* A proof dated after now is refused, as the expiry check's failure (vc.expiry.created_in_future), past the five
 * minutes allowed for clocks that differ; at the bound it verifies. A presentation's proof and a proof set's second
 * proof too. It failed nowhere: a proof "created" next year verified. */
static json_t *signed_at(const json_t *doc, const char *created, const char *purpose)
{
    mez_vc_proof_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    o.created = created;
    o.verification_method = VEC_VM;
    o.proof_purpose = purpose;
    CU_ASSERT_EQUAL_FATAL(mez_vc_sign(unit_pool(), doc, vector_key(), &o, &out, &pb), MEZ_OK);
    return out;
}

static void test_proof_created_in_future(void)
{
    apr_pool_t *p = unit_pool();
    json_t *doc = load_copy(VEC "unsigned.json"), *vc, *set;
    mez_vc_verify_options_t o = { 0 };
    mez_vc_result_t res;
    apr_time_t created;

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    CU_ASSERT_EQUAL_FATAL(mez_time_parse_rfc3339(VEC_CREATED, &created), 0);
    vc = signed_at(doc, VEC_CREATED, NULL);
    /* Checked at the proof's own second, and up to 300 s before it: valid. */
    o.now = created;
    CU_ASSERT_EQUAL(mez_vc_verify(p, vc, &o, &res), MEZ_OK);
    expect_valid(&res);
    o.now = created - apr_time_from_sec(MEZ_CLOCK_SKEW_SEC);
    CU_ASSERT_EQUAL(mez_vc_verify(p, vc, &o, &res), MEZ_OK);
    expect_valid(&res);
    /* One second more, and the proof is from the future: every other check passed, the reason says when. */
    o.now = created - apr_time_from_sec(MEZ_CLOCK_SKEW_SEC + 1);
    CU_ASSERT_EQUAL(mez_vc_verify(p, vc, &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", "/proof/created");
    CU_ASSERT_PTR_NOT_NULL(strstr(res.problem.detail, VEC_CREATED));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.problem.detail, "2023-02-24T23:31:37Z"));

    /* Against the clock: next year is refused, four minutes ahead is a clock that runs fast. */
    vc = signed_at(doc, mez_time_stamp(p, apr_time_now() + apr_time_from_sec(366 * 86400)), NULL);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", "/proof/created");
    res = verify(signed_at(doc, mez_time_stamp(p, apr_time_now() + apr_time_from_sec(240)), NULL));
    expect_valid(&res);
    /* A timezone offset is read: 12:00+14:00 is 22:00 the day before in UTC. */
    o.now = 0;
    CU_ASSERT_EQUAL(mez_time_parse_rfc3339("2030-01-01T00:00:00Z", &o.now), 0);
    CU_ASSERT_EQUAL(mez_vc_verify(p, signed_at(doc, "2030-01-01T12:00:00+14:00", NULL), &o, &res), MEZ_OK);
    expect_valid(&res);
    CU_ASSERT_EQUAL(mez_vc_verify(p, signed_at(doc, "2030-01-01T12:00:00Z", NULL), &o, &res), MEZ_OK);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", "/proof/created");

    /* In a proof set, the second proof. */
    vc = mez_json_pool_own(p, json_deep_copy(signed_at(doc, VEC_CREATED, NULL)));
    set = json_pack("[O,O]", json_object_get(vc, "proof"),
                    json_object_get(signed_at(doc, "2099-01-01T00:00:00Z", NULL), "proof"));
    json_object_set_new(vc, "proof", set);
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", "/proof/1/created");

    /* A presentation's own proof, and a credential inside one. */
    vc = twin();
    res = verify_vp(sign_vp(presentation(vc), NULL, NULL), NULL, NULL);
    expect_valid(&res);
    res = verify_vp(signed_at(presentation(vc), "2099-01-01T00:00:00Z", "authentication"), NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future", "/proof/created");
    res = verify_vp(sign_vp(presentation(signed_at(doc, "2099-01-01T00:00:00Z", NULL)), NULL, NULL), NULL, NULL);
    expect_failed(&res, MEZ_VC_CHECK_EXPIRY, "vc.expiry.created_in_future",
                  "/verifiableCredential/0/proof/created");
}

/* An integer beyond 2^53 - 1 has no exact RFC 8785 form: 4611686018427387904 and ...8160 canonicalise alike, so
 * one signature would cover both. Refused when issuing and when verifying, with the pointer; 2^53 - 1 is fine. */
static void test_inexact_integers(void)
{
    json_t *cred = load_copy(VEC "unsigned.json"), *vc = NULL, *good;
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;

    json_object_del(cred, "issuer");
    json_object_set_new(json_object_get(cred, "credentialSubject"), "amount_minor",
                        json_integer(4611686018427387904LL));
    CU_ASSERT_EQUAL(issue(cred, NULL, NULL, &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.schema.inexact_integer");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credentialSubject/amount_minor");
    CU_ASSERT_PTR_NULL(vc);
    json_object_set_new(json_object_get(cred, "credentialSubject"), "amount_minor",
                        json_pack("[i,I]", 1, (json_int_t)-9007199254740992LL));
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(issue(cred, NULL, NULL, &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credentialSubject/amount_minor/1");
    json_object_set_new(json_object_get(cred, "credentialSubject"), "amount_minor",
                        json_integer(9007199254740991LL));
    CU_ASSERT_EQUAL_FATAL(issue(cred, NULL, NULL, &vc, &pb), MEZ_OK);
    res = verify(vc);
    expect_valid(&res);
    /* The same credential carrying a larger integer after signing: refused at the schema check. */
    good = json_deep_copy(vc);
    json_object_set_new(json_object_get(good, "credentialSubject"), "amount_minor",
                        json_integer(9007199254740993LL));
    res = verify(good);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.inexact_integer", "/credentialSubject/amount_minor");
    json_decref(good);
}

static void test_issue_sets_issuer(void)
{
    json_t *cred = load_copy(VEC "unsigned.json"), *vc = NULL;
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;
    const char *did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    json_object_del(cred, "issuer");
    CU_ASSERT_EQUAL_FATAL(issue(cred, NULL, NULL, &vc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vc, "issuer")), did);
    CU_ASSERT_PTR_NULL(json_object_get(cred, "issuer"));
    res = verify(vc);
    expect_valid(&res);
    CU_ASSERT(!has_warning(&res, "vc.issuer_not_controller"));

    /* The vector's own issuer, named explicitly, signs to the vector's bytes. */
    cred = load(VEC "unsigned.json");
    CU_ASSERT_EQUAL_FATAL(issue(cred, "https://vc.example/issuers/5678", NULL, &vc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(jcs(vc), jcs(load(VEC "eddsa-jcs-2022/signedJCS.json")));

    /* An issuer object with a matching id is kept as it is. */
    cred = load_copy(VEC "unsigned.json");
    json_object_set_new(cred, "issuer", json_pack("{s:s, s:s}", "id", did, "name", "Example Zone"));
    CU_ASSERT_EQUAL_FATAL(issue(cred, NULL, NULL, &vc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(vc, "issuer"), "name")), "Example Zone");
    res = verify(vc);
    expect_valid(&res);
}

static void test_issue_refusals(void)
{
    json_t *cred = load_copy(VEC "unsigned.json"), *vc = NULL;
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL(issue(cred, NULL, "/credential", &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.issuer_mismatch");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credential/issuer");
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_PTR_NULL(vc);

    json_object_set_new(cred, "issuer", json_pack("{s:s}", "id", "https://elsewhere.example"));
    CU_ASSERT_EQUAL(issue(cred, NULL, "/credential", &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.issuer_mismatch");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credential/issuer/id");

    CU_ASSERT_EQUAL(issue(load(VEC "eddsa-jcs-2022/signedJCS.json"), NULL, "/credential", &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.already_signed");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credential/proof");

    CU_ASSERT_EQUAL(issue(parse("[]"), NULL, "/credential", &vc, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.schema.not_object");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credential");
    CU_ASSERT_EQUAL(pb.status, 400);

    /* mez_vc_sign refuses a signed document too. */
    CU_ASSERT_EQUAL(mez_vc_sign(unit_pool(), load(VEC "eddsa-jcs-2022/signedJCS.json"), vector_key(), NULL, &vc, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.already_signed");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/proof");
}

/* "<value>\0x": value, a NUL, more. Read as C text it is value; it is not. */
static json_t *with_nul(const char *value)
{
    char *buf = apr_pstrcat(unit_pool(), value, "_x", NULL);
    size_t len = strlen(buf);
    buf[strlen(value)] = '\0';
    return json_stringn(buf, len);
}

/* The problem a refusal left: its code and pointer (FATAL when there is none, as when the call passed). */
static void expect_problem(const mez_problem_t *pb, const char *code, const char *pointer)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb->code);
    CU_ASSERT_STRING_EQUAL(pb->code, code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb->pointer);
    CU_ASSERT_STRING_EQUAL(pb->pointer, pointer);
}

/* An id, issuer, holder or date holding a NUL: its C text would be stored, compared and resolved as the value
 * before the NUL while the signature covers the whole string, so two credentials differing after it would share
 * one id. Refused by the shape check, issuing (nothing signed) and verifying, with the member's pointer. */
static void test_nul_in_ids_and_dates(void)
{
    static const struct { const char *member, *value, *code, *pointer; } cases[] = {
        { "id", "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33", "vc.schema.invalid_id", "/id" },
        { "issuer", VEC_DID, "vc.schema.invalid_issuer", "/issuer" },
        { "validFrom", "2023-01-01T00:00:00Z", "vc.schema.invalid_valid_from", "/validFrom" },
        { "validUntil", "2099-01-01T00:00:00Z", "vc.schema.invalid_valid_until", "/validUntil" },
    };
    json_t *doc = load_copy(VEC "unsigned.json"), *vc = NULL, *bad, *opts;
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;

    json_object_set_new(doc, "issuer", json_string(VEC_DID));
    opts = mez_json_pool_own(unit_pool(), json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "DataIntegrityProof",
                                                    "cryptosuite", MEZ_VC_CRYPTOSUITE, "created", VEC_CREATED,
                                                    "verificationMethod", VEC_VM, "proofPurpose", "assertionMethod"));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* Without the NUL the value is fine. */
        bad = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
        json_object_set_new(bad, cases[i].member, json_string(cases[i].value));
        res = verify(sign_raw(bad, opts));
        expect_valid(&res);
        json_object_set_new(bad, cases[i].member, with_nul(cases[i].value));
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_vc_check_credential(unit_pool(), bad, NULL, 1, &pb), MEZ_EINVAL);
        expect_problem(&pb, cases[i].code, cases[i].pointer);
        res = verify(sign_raw(bad, opts));
        expect_failed(&res, MEZ_VC_CHECK_SCHEMA, cases[i].code, cases[i].pointer);
        vc = NULL;
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(issue(bad, VEC_DID, "/credential", &vc, &pb), MEZ_EINVAL);
        expect_problem(&pb, cases[i].code, apr_pstrcat(unit_pool(), "/credential", cases[i].pointer, NULL));
        CU_ASSERT_PTR_NULL(vc);
    }
    /* The subject's id, an issuer object's id, a credentialSchema id. */
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
    json_object_set_new(json_object_get(bad, "credentialSubject"), "id", with_nul("did:example:subject"));
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_vc_check_credential(unit_pool(), bad, NULL, 1, &pb), MEZ_EINVAL);
    expect_problem(&pb, "vc.schema.invalid_id", "/credentialSubject/id");
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
    json_object_set_new(bad, "issuer", json_pack("{s:o}", "id", with_nul(VEC_DID)));
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(issue(bad, VEC_DID, NULL, &vc, &pb), MEZ_EINVAL);
    expect_problem(&pb, "vc.schema.invalid_issuer", "/issuer/id");
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
    json_object_set_new(bad, "credentialSchema", json_pack("{s:o, s:s}", "id", with_nul("https://s.example/x"),
                                                           "type", "JsonSchema"));
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_vc_check_credential(unit_pool(), bad, NULL, 1, &pb), MEZ_EINVAL);
    expect_problem(&pb, "vc.schema.invalid_credential_schema", "/credentialSchema/id");
    /* The proof's created and expires. */
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(opts));
    json_object_set_new(bad, "created", with_nul(VEC_CREATED));
    res = verify(sign_raw(doc, bad));
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_created", "/proof/created");
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(opts));
    json_object_set_new(bad, "expires", with_nul("2099-01-01T00:00:00Z"));
    res = verify(sign_raw(doc, bad));
    expect_failed(&res, MEZ_VC_CHECK_PROOF, "vc.proof.invalid_expires", "/proof/expires");
    /* A claim may hold a NUL: it is signed and verified as given (RFC 8785 writes it \u0000). */
    bad = mez_json_pool_own(unit_pool(), json_deep_copy(doc));
    json_object_set_new(json_object_get(bad, "credentialSubject"), "note", json_stringn("a\0b", 3));
    CU_ASSERT_EQUAL_FATAL(issue(bad, VEC_DID, NULL, &vc, &pb), MEZ_OK);
    res = verify(vc);
    expect_valid(&res);
    json_object_set_new(json_object_get(vc, "credentialSubject"), "note", json_stringn("a\0c", 3));
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SIGNATURE, "vc.signature.invalid", "/proof/proofValue");
}

static void test_issue_public_key_only(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *pub = NULL;
    json_t *vc = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_multikey_decode_public(p, "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", &pub, &pb),
                          MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_vc_sign(p, load(VEC "unsigned.json"), pub, NULL, &vc, &pb), MEZ_OK);
    CU_ASSERT_PTR_NULL(vc);
}

/* Each bad shape, issued inside a VC-API body, names its code and where. */
static void test_issue_schema(void)
{
    static const struct { const char *json, *code, *pointer; } cases[] = {
        { "{\"type\":[\"VerifiableCredential\"],\"credentialSubject\":{\"a\":1}}",
          "vc.schema.missing_context", "/credential/@context" },
        { "{\"@context\":\"https://www.w3.org/ns/credentials/v2\",\"type\":[\"VerifiableCredential\"],"
          "\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_context", "/credential/@context" },
        { "{\"@context\":[\"https://www.w3.org/2018/credentials/v1\"],\"type\":[\"VerifiableCredential\"],"
          "\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_context", "/credential/@context/0" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\", 5],\"type\":[\"VerifiableCredential\"],"
          "\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_context", "/credential/@context/1" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"credentialSubject\":{\"a\":1}}",
          "vc.schema.missing_type", "/credential/type" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":[\"VerifiableCredential\", 1],"
          "\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_type", "/credential/type" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\"}",
          "vc.schema.missing_credential_subject", "/credential/credentialSubject" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialSubject\":[]}", "vc.schema.invalid_credential_subject", "/credential/credentialSubject" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialSubject\":\"x\"}", "vc.schema.invalid_credential_subject", "/credential/credentialSubject" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialSubject\":[{\"a\":1}, 2]}", "vc.schema.invalid_credential_subject",
          "/credential/credentialSubject/1" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialSubject\":{\"id\":\"not a url\"}}", "vc.schema.invalid_id", "/credential/credentialSubject/id" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"id\":\"12345\",\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_id", "/credential/id" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"issuer\":5,\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_issuer", "/credential/issuer" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"issuer\":{\"name\":\"x\"},\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_issuer",
          "/credential/issuer/id" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"validFrom\":\"2023-01-01\",\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_valid_from",
          "/credential/validFrom" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"validUntil\":\"2023-01-01T00:00:00\",\"credentialSubject\":{\"a\":1}}",
          "vc.schema.invalid_valid_until", "/credential/validUntil" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"validFrom\":\"2024-01-01T00:00:00Z\",\"validUntil\":\"2023-01-01T00:00:00Z\","
          "\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_validity_period", "/credential/validUntil" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialStatus\":{\"id\":\"https://s.example/1\"},\"credentialSubject\":{\"a\":1}}",
          "vc.schema.invalid_credential_status", "/credential/credentialStatus/type" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"credentialSchema\":[{\"type\":\"JsonSchema\"}],\"credentialSubject\":{\"a\":1}}",
          "vc.schema.invalid_credential_schema", "/credential/credentialSchema/0/id" },
        { "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":\"VerifiableCredential\","
          "\"name\":7,\"credentialSubject\":{\"a\":1}}", "vc.schema.invalid_name", "/credential/name" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mez_problem_t pb = { 0 };
        json_t *vc = NULL;
        mez_status_t rv = issue(parse(cases[i].json), NULL, "/credential", &vc, &pb);
        CU_ASSERT_EQUAL(rv, MEZ_EINVAL);
        CU_ASSERT_PTR_NULL(vc);
        CU_ASSERT_EQUAL(pb.status, 422);
        if (rv == MEZ_OK || strcmp(pb.code, cases[i].code) || strcmp(pb.pointer, cases[i].pointer)) {
            CU_FAIL("wrong problem for a bad credential");
            fprintf(stderr, "\n  case %zu: got %s at %s\n", i, rv == MEZ_OK ? "ok" : pb.code,
                    rv == MEZ_OK ? "" : pb.pointer);
        }
    }
}

static void test_issue_minimal(void)
{
    /* The smallest credential the data model allows issues and verifies, with issuer as an object. */
    json_t *vc = NULL;
    mez_problem_t pb = { 0 };
    mez_vc_result_t res;
    CU_ASSERT_EQUAL_FATAL(issue(parse("{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],"
                                      "\"type\":\"VerifiableCredential\",\"credentialSubject\":[{\"x\":true}]}"),
                                NULL, NULL, &vc, &pb), MEZ_OK);
    res = verify(vc);
    expect_valid(&res);
    json_object_del(vc, "issuer");
    res = verify(vc);
    expect_failed(&res, MEZ_VC_CHECK_SCHEMA, "vc.schema.missing_issuer", "/issuer");
}

void unit_register_vc(void)
{
    CU_pSuite s = unit_suite("vc");
    CU_add_test(s, "time: dateTimeStamp parsing", test_time_parse);
    CU_add_test(s, "time: now", test_time_now);
    CU_add_test(s, "vector: sign reproduces signedJCS byte for byte", test_sign_vector);
    CU_add_test(s, "vector: hashData equals combinedHashJCS", test_hash_vector);
    CU_add_test(s, "vector: signedJCS verifies, five checks", test_verify_vector);
    CU_add_test(s, "verify: proof without @context", test_verify_proof_without_context);
    CU_add_test(s, "verify: document @context appended after signing is refused", test_verify_context_appended);
    CU_add_test(s, "verify: changed credentialSubject", test_tamper_subject);
    CU_add_test(s, "verify: changed proofValue", test_tamper_proof_value);
    CU_add_test(s, "verify: changed proof option", test_tamper_proof_options);
    CU_add_test(s, "verify: wrong cryptosuite and type", test_wrong_cryptosuite);
    CU_add_test(s, "verify: wrong purpose", test_wrong_purpose);
    CU_add_test(s, "verify: no proof", test_missing_proof);
    CU_add_test(s, "verify: did:web and foreign fragment", test_did_web_key);
    CU_add_test(s, "verify: another did:key", test_other_key);
    CU_add_test(s, "verify: issuer does not control the signing key", test_issuer_not_controller);
    CU_add_test(s, "verify: challenge and domain on a credential", test_challenge_on_credential);
    CU_add_test(s, "verify: NUL inside proof members and @context", test_nul_in_proof_members);
    CU_add_test(s, "verify: proofValue and verificationMethod of a megabyte", test_long_values);
    CU_add_test(s, "shape: NUL inside ids, issuer and dates, issued and verified", test_nul_in_ids_and_dates);
    CU_add_test(s, "verify: validUntil and validFrom", test_expiry);
    CU_add_test(s, "verify: proof expires", test_proof_expires);
    CU_add_test(s, "verify: a proof created in the future, past the clock skew", test_proof_created_in_future);
    CU_add_test(s, "verify: missing type", test_missing_type);
    CU_add_test(s, "verify: proof @context not a prefix", test_proof_context_not_prefix);
    CU_add_test(s, "verify: proof sets", test_proof_set);
    CU_add_test(s, "verify: pointer base", test_verify_pointer_base);
    CU_add_test(s, "vp: challenge, domain, purpose", test_vp);
    CU_add_test(s, "vp: tampered credential inside", test_vp_tampered_credential);
    CU_add_test(s, "vp: shape and missing proof", test_vp_shape);
    CU_add_test(s, "issue and verify: integers beyond 2^53 - 1 refused", test_inexact_integers);
    CU_add_test(s, "issue: sets issuer", test_issue_sets_issuer);
    CU_add_test(s, "issue: refusals", test_issue_refusals);
    CU_add_test(s, "issue: public key only", test_issue_public_key_only);
    CU_add_test(s, "issue: schema problems with pointers", test_issue_schema);
    CU_add_test(s, "issue: minimal credential", test_issue_minimal);
}
