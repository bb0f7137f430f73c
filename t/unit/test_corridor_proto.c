/* test_corridor_proto.c: CUnit suite for the corridor's establishment documents and signed receipts
 * (mez/corridor_proto.h): a definition and two agreements that verify and give one genesis root whichever side
 * computes it, and every refusal a zone must make of what a peer sends (another issuer, another responder,
 * tampered content, an agreement to another definition, a declined commitment, a receipt signed by another key
 * or changed after signing). */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/receipt.h"
#include "mez/vc.h"
#include "unit.h"

#define CID "0b5e7c1a-2d3f-4a6b-8c9d-0e1f2a3b4c5d"
#define NOW apr_time_from_sec(1790000000)

typedef struct fixture_t {
    mez_key_t *pk, *ae, *stranger;
    const char *pk_did, *ae_did;
    json_t *definition;
    mez_corridor_terms_t terms;
} fixture_t;

static mez_key_t *key(void)
{
    mez_problem_t pb = { 0 };
    mez_key_t *k = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &k, &pb), MEZ_OK);
    return k;
}

static void setup(fixture_t *f)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    json_t *laws = json_pack("[s]", "4e0d2c1b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff001");
    f->pk = key();
    f->ae = key();
    f->stranger = key();
    f->pk_did = mez_did_key(p, f->pk);
    f->ae_did = mez_did_key(p, f->ae);
    mez_json_pool_own(p, laws);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_definition_issue(p, f->pk, "pk-sifc", CID, "ae-adgm", f->ae_did, laws, NULL,
                                                        NOW, &f->definition, &f->terms, &pb), MEZ_OK);
}

static json_t *copy(const json_t *v)
{
    return mez_json_pool_own(unit_pool(), json_deep_copy(v));
}

static void test_definition_checks(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_terms_t t;
    fixture_t f;
    json_t *bad;

    setup(&f);
    CU_ASSERT_STRING_EQUAL(f.terms.corridor_id, CID);
    CU_ASSERT_STRING_EQUAL(f.terms.proposer_zone_id, "pk-sifc");
    CU_ASSERT_STRING_EQUAL(f.terms.responder_did, f.ae_did);
    CU_ASSERT_EQUAL(strlen(f.terms.definition_digest), 64);
    /* the responder's check */
    CU_ASSERT_EQUAL(mez_corridor_definition_check(p, f.definition, f.pk_did, "ae-adgm", f.ae_did, "/definition", &t,
                                                  &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(t.definition_digest, f.terms.definition_digest);
    /* sent by another zone than its issuer */
    CU_ASSERT_EQUAL(mez_corridor_definition_check(p, f.definition, f.ae_did, NULL, NULL, "/definition", &t, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_party");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/definition/issuer");
    /* naming another zone as responder */
    CU_ASSERT_EQUAL(mez_corridor_definition_check(p, f.definition, f.pk_did, "kz-aifc", f.ae_did, "", &t, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_party");
    CU_ASSERT_EQUAL(pb.status, 403);
    /* changed after signing */
    bad = copy(f.definition);
    json_object_set_new(json_object_get(bad, "credentialSubject"), "ruleset_digest_set",
                        json_pack("[s]", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
    CU_ASSERT_EQUAL(mez_corridor_definition_check(p, bad, f.pk_did, NULL, NULL, "/definition", &t, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.definition_invalid");
    CU_ASSERT_EQUAL(pb.status, 422);
    /* a malformed id cannot be proposed */
    CU_ASSERT_EQUAL(mez_corridor_definition_issue(p, f.pk, "pk-sifc", "NOT-A-UUID", "ae-adgm", f.ae_did, NULL, NULL,
                                                  NOW, &bad, &t, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.definition_invalid");
}

static void test_agreements_and_genesis(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    fixture_t f;
    json_t *pa, *ra, *declined, *other;
    const char *pa_d, *ra_d, *set1, *set2, *d;
    mez_digest_t g1, g2;
    mez_corridor_terms_t t2;

    setup(&f);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_issue(p, f.pk, "pk-sifc", &f.terms, NOW, &pa, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_issue(p, f.ae, "ae-adgm", &f.terms, NOW, &ra, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_agreement_check(p, pa, &f.terms, f.pk_did, "", &pa_d, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_agreement_check(p, ra, &f.terms, f.ae_did, "", &ra_d, &pb), MEZ_OK);
    /* the same genesis whichever side counts first */
    CU_ASSERT_EQUAL(mez_corridor_genesis(p, &f.terms, pa_d, ra_d, &set1, &g1, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_genesis(p, &f.terms, ra_d, pa_d, &set2, &g2, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(set1, set2);
    CU_ASSERT_TRUE(mez_digest_equal(&g1, &g2));
    CU_ASSERT_EQUAL(mez_corridor_genesis(p, &f.terms, pa_d, pa_d, &set1, &g1, &pb), MEZ_EINVAL);
    /* an agreement by a party checked as the other's */
    CU_ASSERT_EQUAL(mez_corridor_agreement_check(p, pa, &f.terms, f.ae_did, "/agreement", &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_party");
    /* a stranger is no party */
    CU_ASSERT_EQUAL(mez_corridor_agreement_issue(p, f.stranger, "kz-aifc", &f.terms, NOW, &other, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_party");
    /* an agreement to another definition of the same corridor */
    {
        json_t *def2;
        CU_ASSERT_EQUAL_FATAL(mez_corridor_definition_issue(p, f.pk, "pk-sifc", CID, "ae-adgm", f.ae_did, NULL, NULL,
                                                            NOW + apr_time_from_sec(1), &def2, &t2, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_issue(p, f.ae, "ae-adgm", &t2, NOW, &other, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_corridor_agreement_check(p, other, &f.terms, f.ae_did, "/agreement", &d, &pb),
                        MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "corridor.agreement_invalid");
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/agreement/credentialSubject/definition_payload_sha256");
    }
    /* a declined commitment, properly signed, blocks with the reference's "<did>:<commitment>" */
    declined = copy(ra);
    json_object_del(declined, "proof");
    json_object_set_new(json_object_get(declined, "credentialSubject"), "commitment", json_string("decline"));
    {
        mez_vc_proof_options_t o = { 0 };
        json_t *signed_;
        CU_ASSERT_EQUAL_FATAL(mez_vc_sign(p, declined, f.ae, &o, &signed_, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_corridor_agreement_check(p, signed_, &f.terms, f.ae_did, "", &d, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "corridor.agreement_declined");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, apr_pstrcat(p, f.ae_did, ":decline", NULL)));
    }
}

static void test_signed_receipts(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    fixture_t f;
    mez_digest_t prev, nr;
    json_t *r, *bad, *transition = mez_json_pool_own(p, json_pack("{s:s, s:{s:i}}", "kind", "payment", "payload",
                                                                  "amount_minor", 1500));

    setup(&f);
    mez_digest_sha256("genesis", 7, &prev);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_receipt_make(p, f.pk, &f.terms, 0, &prev, transition, NOW, &r, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, r, f.pk, "", &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_receipt_next_root(p, r, &nr, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "next_root")), mez_digest_hex(p, &nr));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "prev_root")), mez_digest_hex(p, &prev));
    /* not the sequencer's key */
    CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, r, f.ae, "/receipts/0", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.signature_invalid");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/receipts/0/proof/verificationMethod");
    CU_ASSERT_EQUAL(pb.status, 401);
    /* changed after signing, next_root recomputed to match: the signature no longer does */
    bad = copy(r);
    json_object_set_new(json_object_get(json_object_get(bad, "transition"), "payload"), "amount_minor",
                        json_integer(150000));
    CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, bad, &nr, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, bad, f.pk, "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.signature_invalid");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/proof/jws");
    /* a mangled jws */
    bad = copy(r);
    json_object_set_new(json_object_get(bad, "proof"), "jws", json_string("e30..AAAA"));
    CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, bad, f.pk, "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.signature_invalid");
    /* The proof's unsigned members read whole: each with a NUL and more after its right value is a changed proof
     * (as C text it passed, and a re-push differing only there was taken for the same receipt). */
    {
        static const char *const members[] = { "type", "created", "proofPurpose", "verificationMethod", "jws" };
        static const char *const codes[] = { "receipt.unsigned", "receipt.proof_mismatch", "receipt.proof_mismatch",
                                             "receipt.signature_invalid", "receipt.signature_invalid" };
        for (size_t i = 0; i < 5; i++) {
            json_t *proof;
            const char *v;
            char *buf;
            bad = copy(r);
            proof = json_object_get(bad, "proof");
            v = json_string_value(json_object_get(proof, members[i]));
            buf = apr_pstrcat(p, v, "_x", NULL);
            buf[strlen(v)] = '\0';
            json_object_set_new(proof, members[i], json_stringn(buf, strlen(v) + 2));
            pb.code = NULL;
            CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, bad, f.pk, "", &pb), MEZ_EINVAL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
            CU_ASSERT_STRING_EQUAL(pb.code, codes[i]);
            CU_ASSERT_STRING_EQUAL(pb.pointer, apr_pstrcat(p, "/proof/", members[i], NULL));
        }
    }
    /* unsigned */
    bad = copy(r);
    json_object_del(bad, "proof");
    CU_ASSERT_EQUAL(mez_corridor_receipt_check_signature(p, bad, f.pk, "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.unsigned");
    CU_ASSERT_EQUAL(pb.status, 422);
}

void unit_register_corridor_proto(void)
{
    CU_pSuite s = unit_suite("corridor_proto");
    CU_add_test(s, "definition_checks", test_definition_checks);
    CU_add_test(s, "agreements_and_genesis", test_agreements_and_genesis);
    CU_add_test(s, "signed_receipts", test_signed_receipts);
}
