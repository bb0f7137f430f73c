/* test_key_rotation.c: CUnit suite for the ZoneKeyRotation credential (mez/key_rotation.h): one issued with both
 * keys verifies and says what it must; every credential a zone must refuse is refused with the pointer to what is
 * wrong (one proof, proofs in the other order, a changed subject, the wrong zone, a previous DID the zone is not
 * known by, an issuer that is not the previous key); and a chain's parties are followed through rotation
 * receipts. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/vc.h"
#include "unit.h"

#define NOW apr_time_from_sec(1790000000)

static mez_key_t *key(void)
{
    mez_problem_t pb = { 0 };
    mez_key_t *k = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &k, &pb), MEZ_OK);
    return k;
}

static json_t *issue(mez_key_t *prev, mez_key_t *next, mez_key_rotation_t *rot)
{
    mez_problem_t pb = { 0 };
    json_t *vc = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_key_rotation_issue(unit_pool(), prev, next, "pk-sifc", "scheduled", NOW, &vc, rot, &pb),
                          MEZ_OK);
    return vc;
}

static void refused(const json_t *vc, const char *zone, const char *prev, int status, const char *code,
                    const char *pointer)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_NOT_EQUAL(mez_key_rotation_check(unit_pool(), vc, zone, prev, "/credential", NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(pb.status, status);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", code);
    if (pointer)
        CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", pointer);
}

static void test_issue_and_check(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *prev = key(), *next = key();
    mez_key_rotation_t rot, seen;
    mez_problem_t pb = { 0 };
    json_t *vc = issue(prev, next, &rot);
    const json_t *proof = json_object_get(vc, "proof");

    CU_ASSERT_STRING_EQUAL(rot.previous_did, mez_did_key(p, prev));
    CU_ASSERT_STRING_EQUAL(rot.new_did, mez_did_key(p, next));
    CU_ASSERT_STRING_EQUAL(mez_vc_issuer_id(vc), rot.previous_did);
    CU_ASSERT_EQUAL(json_array_size(proof), 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(proof, 0), "verificationMethod")),
                           mez_did_key_verification_method(p, prev));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(proof, 1), "verificationMethod")),
                           mez_did_key_verification_method(p, next));
    CU_ASSERT_EQUAL(strncmp(rot.digest, "sha256:", 7), 0);
    CU_ASSERT_EQUAL(mez_key_rotation_check(p, vc, "pk-sifc", rot.previous_did, "", &seen, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(seen.digest, rot.digest);
    CU_ASSERT_STRING_EQUAL(seen.reason, "scheduled");
    CU_ASSERT_EQUAL(mez_key_rotation_check(p, vc, NULL, NULL, "", NULL, &pb), MEZ_OK);
    /* the same key twice is no rotation */
    CU_ASSERT_NOT_EQUAL(mez_key_rotation_issue(p, prev, prev, "pk-sifc", NULL, NOW, &vc, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key_rotation.invalid");
}

static void test_refusals(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *prev = key(), *next = key(), *other = key();
    mez_key_rotation_t rot;
    json_t *vc = issue(prev, next, &rot), *x;
    const char *prev_did = mez_did_key(p, prev);

    x = json_deep_copy(vc);                 /* one proof: the new key never accepted */
    json_array_remove(json_object_get(x, "proof"), 1);
    refused(x, "pk-sifc", prev_did, 422, "key_rotation.invalid", "/credential/proof");
    json_decref(x);
    x = json_deep_copy(vc);                 /* both proofs, in the other order */
    json_array_append(json_object_get(x, "proof"), json_array_get(json_object_get(x, "proof"), 0));
    json_array_remove(json_object_get(x, "proof"), 0);
    refused(x, "pk-sifc", prev_did, 422, "key_rotation.invalid", "/credential/proof/0/verificationMethod");
    json_decref(x);
    x = json_deep_copy(vc);                 /* the subject changed after signing */
    json_object_set_new(json_object_get(x, "credentialSubject"), "reason", json_string("changed"));
    refused(x, "pk-sifc", prev_did, 422, "key_rotation.invalid", NULL);
    json_decref(x);
    x = json_deep_copy(vc);                 /* a member the credential does not define */
    json_object_set_new(json_object_get(x, "credentialSubject"), "note", json_string("x"));
    refused(x, "pk-sifc", prev_did, 422, "key_rotation.invalid", NULL);
    json_decref(x);
    refused(vc, "ae-adgm", prev_did, 403, "key_rotation.wrong_zone", "/credential/credentialSubject/zone_id");
    refused(vc, "pk-sifc", mez_did_key(p, other), 409, "key_rotation.not_current",
            "/credential/credentialSubject/previous_did");
    refused(mez_json_pool_own(p, json_string("x")), NULL, NULL, 422, "key_rotation.invalid", "/credential");
}

/* vc with its subject's member set to value, a NUL, and "x", signed again by both keys as a rotation is. */
static json_t *resigned_with_nul(const json_t *vc, mez_key_t *prev, mez_key_t *next, const char *member)
{
    apr_pool_t *p = unit_pool();
    mez_vc_proof_options_t o = { 0 };
    mez_problem_t pb = { 0 };
    json_t *doc = mez_json_pool_own(p, json_deep_copy(vc)), *a = NULL, *b = NULL, *s;
    const char *v;
    char *buf;
    json_object_del(doc, "proof");
    s = json_object_get(doc, "credentialSubject");
    v = json_string_value(json_object_get(s, member));
    buf = apr_pstrcat(p, v, "_x", NULL);
    buf[strlen(v)] = '\0';
    json_object_set_new(s, member, json_stringn(buf, strlen(v) + 2));
    o.created = mez_time_stamp(p, NOW);
    CU_ASSERT_EQUAL_FATAL(mez_vc_sign(p, doc, prev, &o, &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_vc_sign(p, doc, next, &o, &b, &pb), MEZ_OK);
    json_object_set_new(a, "proof", json_pack("[O,O]", json_object_get(a, "proof"), json_object_get(b, "proof")));
    return a;
}

/* A subject member holding a NUL: as C text it was the value before it (the zone, the previous DID, the reason
 * recorded cut short) while both keys signed the whole string. Refused, naming the member. */
static void test_nul_in_subject(void)
{
    static const char *const members[] = { "zone_id", "previous_did", "reason" };
    mez_key_t *prev = key(), *next = key();
    mez_key_rotation_t rot;
    json_t *vc = issue(prev, next, &rot);
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        refused(resigned_with_nul(vc, prev, next, members[i]), "pk-sifc", rot.previous_did, 422,
                "key_rotation.invalid",
                apr_pstrcat(unit_pool(), "/credential/credentialSubject/", members[i], NULL));
}

static void test_follow(void)
{
    apr_pool_t *p = unit_pool();
    mez_key_t *a0 = key(), *a1 = key(), *b0 = key();
    mez_key_rotation_t rot;
    mez_problem_t pb = { 0 };
    json_t *vc = issue(a0, a1, &rot);
    json_t *receipt = json_pack("{s:O}", "transition", mez_key_rotation_transition(p, vc, &rot));
    json_t *other = json_pack("{s:{s:s}}", "transition", "kind", "payment");
    mez_chain_keys_t keys = { "pk-sifc", "ae-adgm", mez_did_key(p, a0), mez_did_key(p, b0) };
    const json_t *found;
    int rotated = 0;

    CU_ASSERT_EQUAL(mez_key_rotation_of_receipt(other, &found), 0);
    CU_ASSERT_EQUAL(mez_key_rotation_follow(p, &keys, other, "/receipts/0", &rotated, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rotated, 0);
    CU_ASSERT_EQUAL(mez_key_rotation_of_receipt(receipt, &found), 1);
    CU_ASSERT_EQUAL(mez_key_rotation_follow(p, &keys, receipt, "/receipts/1", &rotated, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rotated, 1);
    CU_ASSERT_STRING_EQUAL(keys.proposer_did, mez_did_key(p, a1));
    CU_ASSERT_STRING_EQUAL(keys.responder_did, mez_did_key(p, b0));
    /* the same rotation again no longer rotates the proposer's current key */
    CU_ASSERT_NOT_EQUAL(mez_key_rotation_follow(p, &keys, receipt, "/receipts/2", &rotated, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key_rotation.not_current");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/receipts/2/transition/payload/credential/credentialSubject/previous_did");
    /* a payload that says another DID than its credential */
    keys.proposer_did = mez_did_key(p, a0);
    json_object_set_new(json_object_get(json_object_get(receipt, "transition"), "payload"), "new_did",
                        json_string(mez_did_key(p, b0)));
    CU_ASSERT_NOT_EQUAL(mez_key_rotation_follow(p, &keys, receipt, "/receipts/1", &rotated, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "key_rotation.invalid");
    json_decref(receipt);
    json_decref(other);
}

void unit_register_key_rotation(void)
{
    CU_pSuite s = unit_suite("key_rotation");
    CU_add_test(s, "issue_and_check", test_issue_and_check);
    CU_add_test(s, "refusals", test_refusals);
    CU_add_test(s, "a NUL inside a subject member", test_nul_in_subject);
    CU_add_test(s, "follow", test_follow);
}
