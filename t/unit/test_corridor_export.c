/* test_corridor_export.c: CUnit suite for a corridor's export and its offline verification
 * (mez/corridor_export.h). A real corridor is built in a migrated SQLite database with libmezcore alone: two
 * zone keys, the signed definition and agreements, establishment with the genesis root, signed receipts and
 * checkpoints signed under the origin. Its export verifies (also after a canonical round trip); then each
 * tampering, one at a time, is refused with its exact code and a pointer into the export, and the report
 * counts only what verified before it. */
#include <string.h>
#include <apr_strings.h>
#include "mez/checkpoint.h"
#include "mez/corridor.h"
#include "mez/corridor_export.h"
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/mmr.h"
#include "mez/receipt.h"
#include "mez/vc.h"
#include "mass_unit.h"
#include "unit.h"

#define CID "5d2f8e1a-7c4b-4e3d-9a1f-6b0c2d4e8f10"
#define NOW apr_time_from_sec(1790000000)
#define NRECEIPTS 20
#define ORIGIN "pk-sifc/corridors/" CID

typedef struct corridor_t {
    mez_db_t *db;
    mez_key_t *pk, *ae, *stranger;
    const char *pk_did, *ae_did;
    mez_corridor_terms_t terms;
    json_t *definition, *agreement_pk, *agreement_ae;
    mez_digest_t genesis, leaves[NRECEIPTS];
} corridor_t;

static mez_key_t *key(void)
{
    mez_problem_t pb = { 0 };
    mez_key_t *k = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &k, &pb), MEZ_OK);
    return k;
}

static const char *canonical(const json_t *v)
{
    mez_problem_t pb = { 0 };
    const char *s = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), v, &s, NULL, &pb), MEZ_OK);
    return s;
}

static mez_corridor_doc_t doc(const char *kind, const char *issuer, const json_t *vc)
{
    mez_problem_t pb = { 0 };
    mez_corridor_doc_t d = { kind, issuer, NULL, canonical(vc) };
    CU_ASSERT_EQUAL(mez_corridor_payload_digest(unit_pool(), vc, &d.payload_digest, &pb), MEZ_OK);
    return d;
}

/* Proposed and established, as the two zones' protocol leaves the proposer's store. */
static void establish(corridor_t *c)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_doc_t agreements[2];
    const char *d_pk, *d_ae, *set_hex;
    json_t *submit, *activate;

    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_issue(p, c->pk, "pk-sifc", &c->terms, NOW, &c->agreement_pk, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_issue(p, c->ae, "ae-adgm", &c->terms, NOW, &c->agreement_ae, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_check(p, c->agreement_pk, &c->terms, c->pk_did, "", &d_pk, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_agreement_check(p, c->agreement_ae, &c->terms, c->ae_did, "", &d_ae, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_genesis(p, &c->terms, d_pk, d_ae, &set_hex, &c->genesis, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_establish_evidence(p, &c->terms, set_hex, d_pk, d_ae, &submit, &activate,
                                                          &pb), MEZ_OK);
    agreements[0] = doc("agreement", c->pk_did, c->agreement_pk);
    agreements[1] = doc("agreement", c->ae_did, c->agreement_ae);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_establish(p, c->db, CID, agreements, 2, set_hex, &c->genesis, submit,
                                                 activate, NOW, unit_audit("corridor.establish"), NULL, &pb), MEZ_OK);
}

/* Appends receipts from..to-1 signed by the proposer, continuing from the stored head. */
static void append(corridor_t *c, uint64_t from, uint64_t to)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    for (uint64_t i = from; i < to; i++) {
        const mez_digest_t *prev = i ? &c->leaves[i - 1] : &c->genesis;
        json_t *t = mez_json_pool_own(p, json_pack("{s:s, s:{s:I, s:s}}", "kind", "transfer", "payload",
                                                   "amount_minor", (json_int_t)(1000 + i), "currency", "PKR"));
        json_t *r;
        CU_ASSERT_EQUAL_FATAL(mez_corridor_receipt_make(p, c->pk, &c->terms, i, prev, t, NOW + apr_time_from_sec(i),
                                                        &r, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_append(p, c->db, CID, r, NOW, &a, &pb), MEZ_OK);
        c->leaves[i] = a.next_root;
    }
}

static void checkpoint(corridor_t *c)
{
    mez_problem_t pb = { 0 };
    const char *note = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_checkpoint(unit_pool(), c->db, CID, "pk-sifc", ORIGIN, c->pk, NOW, &note,
                                                  &pb), MEZ_OK);
}

/* A proposed corridor (definition only): the state before the responder agreed. */
static void propose(corridor_t *c)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_doc_t def;
    json_t *laws = mez_json_pool_own(p, json_pack("[s]", "4e0d2c1b5a69788796a5b4c3d2e1f00112233445566778899aabbccdd"
                                                  "eeff001"));
    memset(c, 0, sizeof(*c));
    c->db = mass_unit_db();
    c->pk = key();
    c->ae = key();
    c->stranger = key();
    c->pk_did = mez_did_key(p, c->pk);
    c->ae_did = mez_did_key(p, c->ae);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_definition_issue(p, c->pk, "pk-sifc", CID, "ae-adgm", c->ae_did, laws, NULL,
                                                        NOW, &c->definition, &c->terms, &pb), MEZ_OK);
    def = doc("definition", c->pk_did, c->definition);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create_proposed(p, c->db, CID, "ae-adgm", c->ae_did, MEZ_CORRIDOR_PROPOSER,
                                                       &def, NOW, unit_audit("corridor.propose"), NULL, &pb), MEZ_OK);
}

/* 20 receipts with checkpoints at sizes 5, 13 and 20. */
static void build(corridor_t *c)
{
    propose(c);
    establish(c);
    append(c, 0, 5);
    checkpoint(c);
    append(c, 5, 13);
    checkpoint(c);
    append(c, 13, NRECEIPTS);
    checkpoint(c);
}

static json_t *export_of(corridor_t *c)
{
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_export(unit_pool(), c->db, CID, &out, &pb), MEZ_OK);
    return out;
}

static json_t *copy(const json_t *v)
{
    return mez_json_pool_own(unit_pool(), json_deep_copy(v));
}

static json_t *at(json_t *doc, const char *member, size_t i)
{
    return json_array_get(json_object_get(doc, member), i);
}

/* Verifies doc expecting a refusal with this code, status and pointer; returns the report. */
static mez_corridor_verify_report_t refused(const json_t *doc, const char *code, int status, const char *pointer)
{
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    CU_ASSERT_EQUAL(mez_corridor_verify_export(unit_pool(), doc, &rep, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(pb.status, status);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    if (strcmp(pb.code, code) || strcmp(pb.pointer, pointer))
        fprintf(stderr, "\n  expected %s at %s, got %s at %s: %s\n", code, pointer, pb.code, pb.pointer,
                pb.detail);
    return rep;
}

static const char *const tables[] = {
    "mez_corridor", "mez_corridor_document", "mez_corridor_transition", "mez_corridor_receipt", "mez_corridor_node",
    "mez_corridor_checkpoint", "mez_corridor_fork", NULL,
};

static void test_export_and_verify(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    apr_array_header_t *notes;
    corridor_t c;
    json_t *doc, *again;
    long before[8];
    mez_digest_t root;
    mez_checkpoint_t cp;

    build(&c);
    for (int i = 0; tables[i]; i++)
        before[i] = mass_unit_count(c.db, tables[i]);
    doc = export_of(&c);
    /* Reading changes nothing. */
    for (int i = 0; tables[i]; i++)
        CU_ASSERT_EQUAL(mass_unit_count(c.db, tables[i]), before[i]);

    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "type"), "MezCorridorExport");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "version")), 1);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "corridor_id"), CID);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "origin"), ORIGIN);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "sequencer_did"), c.pk_did);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "genesis_root"), mez_digest_hex(p, &c.genesis));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "size")), NRECEIPTS);
    mez_mmr_tree_root(c.leaves, NRECEIPTS, &root);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "root"), mez_digest_hex(p, &root));
    CU_ASSERT_STRING_EQUAL(canonical(json_object_get(doc, "definition")), canonical(c.definition));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "agreements")), 2);
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "receipts")), NRECEIPTS);
    for (size_t i = 0; i < NRECEIPTS; i++) {
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(at(doc, "receipts", i), "sequence")), (json_int_t)i);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(at(doc, "receipts", i), "next_root"), mez_digest_hex(p, &c.leaves[i]));
    }
    /* Every checkpoint, ascending, as stored. */
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "checkpoints")), 3);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_checkpoints(p, c.db, CID, &notes, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(notes->nelts, 3);
    for (size_t i = 0; i < 3; i++) {
        const uint64_t sizes[3] = { 5, 13, 20 };
        const char *note = json_string_value(at(doc, "checkpoints", i));
        CU_ASSERT_STRING_EQUAL(note, APR_ARRAY_IDX(notes, (int)i, const char *));
        CU_ASSERT_EQUAL(mez_checkpoint_open(p, note, strlen(note), ORIGIN, c.pk, &cp, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(cp.size, sizes[i]);
    }

    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_corridor_verify_export(p, doc, &rep, &pb), MEZ_OK);
    if (pb.code)
        fprintf(stderr, "\n  %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_TRUE(rep.definition_ok);
    CU_ASSERT_EQUAL(rep.agreements, 2);
    CU_ASSERT_TRUE(rep.genesis_ok);
    CU_ASSERT_TRUE(mez_digest_equal(&rep.genesis_root, &c.genesis));
    CU_ASSERT_EQUAL(rep.receipts, NRECEIPTS);
    CU_ASSERT_TRUE(rep.tree_ok);
    CU_ASSERT_EQUAL(rep.size, NRECEIPTS);
    CU_ASSERT_TRUE(mez_digest_equal(&rep.root, &root));
    CU_ASSERT_EQUAL(rep.checkpoints, 3);
    CU_ASSERT_EQUAL(rep.checkpoint_size, NRECEIPTS);
    CU_ASSERT_STRING_EQUAL(rep.sequencer_did, c.pk_did);
    CU_ASSERT_STRING_EQUAL(rep.origin, ORIGIN);

    /* The canonical text, read back as a verifier would from a file, verifies too. */
    {
        const char *text = canonical(doc);
        CU_ASSERT_EQUAL_FATAL(mez_json_parse(p, text, strlen(text), &again, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_corridor_verify_export(p, again, &rep, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(rep.receipts, NRECEIPTS);
    }

    /* An unknown corridor. */
    CU_ASSERT_EQUAL(mez_corridor_export(p, c.db, "00000000-0000-4000-8000-0000000000ff", &again, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_found");
    CU_ASSERT_EQUAL(pb.status, 404);
}

static void test_tampered_receipts(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    corridor_t c;
    json_t *doc, *bad, *forged;

    build(&c);
    doc = export_of(&c);

    /* A transition changed after sealing: next_root no longer commits to it. */
    bad = copy(doc);
    json_object_set_new(json_object_get(json_object_get(at(bad, "receipts", 7), "transition"), "payload"),
                        "amount_minor", json_integer(999999));
    rep = refused(bad, "receipt.next_root_mismatch", 422, "/receipts/7/next_root");
    CU_ASSERT_EQUAL(rep.receipts, 7);
    CU_ASSERT_EQUAL(rep.agreements, 2);
    CU_ASSERT_TRUE(rep.genesis_ok);
    CU_ASSERT_FALSE(rep.tree_ok);

    /* ... and sealed again by whoever changed it: the sequencer's signature no longer verifies. */
    CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, at(bad, "receipts", 7), NULL, &pb), MEZ_OK);
    rep = refused(bad, "receipt.signature_invalid", 401, "/receipts/7/proof/jws");
    CU_ASSERT_EQUAL(rep.receipts, 7);

    /* Another receipt's signature in place of its own. */
    bad = copy(doc);
    json_object_set(json_object_get(at(bad, "receipts", 11), "proof"), "jws",
                    json_object_get(json_object_get(at(doc, "receipts", 12), "proof"), "jws"));
    rep = refused(bad, "receipt.signature_invalid", 401, "/receipts/11/proof/jws");
    CU_ASSERT_EQUAL(rep.receipts, 11);

    /* A receipt with the same content signed by another key. */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_receipt_make(p, c.stranger, &c.terms, 3, &c.leaves[2],
                                                    json_object_get(at(doc, "receipts", 3), "transition"),
                                                    NOW + apr_time_from_sec(3), &forged, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_set(json_object_get(bad, "receipts"), 3, forged);
    rep = refused(bad, "receipt.signature_invalid", 401, "/receipts/3/proof/verificationMethod");
    CU_ASSERT_EQUAL(rep.receipts, 3);

    /* prev_root changed. */
    bad = copy(doc);
    json_object_set_new(at(bad, "receipts", 17), "prev_root", json_string(mez_digest_hex(p, &c.leaves[3])));
    rep = refused(bad, "receipt.prev_root_mismatch", 409, "/receipts/17/prev_root");
    CU_ASSERT_EQUAL(rep.receipts, 17);

    /* A dropped receipt: the next one is out of sequence. */
    bad = copy(doc);
    json_array_remove(json_object_get(bad, "receipts"), 9);
    rep = refused(bad, "receipt.sequence_mismatch", 409, "/receipts/9/sequence");
    CU_ASSERT_EQUAL(rep.receipts, 9);

    /* The last receipt dropped: a chain that verifies but is not the stated size. */
    bad = copy(doc);
    json_array_remove(json_object_get(bad, "receipts"), NRECEIPTS - 1);
    rep = refused(bad, "corridor_export.mismatch", 422, "/size");
    CU_ASSERT_EQUAL(rep.receipts, NRECEIPTS - 1);
    CU_ASSERT_FALSE(rep.tree_ok);

    /* A stated root that is not the tree's. */
    bad = copy(doc);
    json_object_set_new(bad, "root", json_string(mez_digest_hex(p, &c.leaves[0])));
    rep = refused(bad, "corridor_export.mismatch", 422, "/root");
    CU_ASSERT_EQUAL(rep.receipts, NRECEIPTS);

    /* A receipt that is not an object. */
    bad = copy(doc);
    json_array_set_new(json_object_get(bad, "receipts"), 2, json_string("receipt"));
    refused(bad, "corridor_export.invalid_field", 422, "/receipts/2");
}

static void test_tampered_checkpoints(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    mez_checkpoint_t cp;
    corridor_t c;
    json_t *doc, *bad, *arr;
    const char *note;

    build(&c);
    doc = export_of(&c);

    /* The right tree, signed by another key under the origin's name. */
    cp.origin = ORIGIN;
    cp.size = 13;
    mez_mmr_tree_root(c.leaves, 13, &cp.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &cp, ORIGIN, c.stranger, &note, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_set_new(json_object_get(bad, "checkpoints"), 1, json_string(note));
    rep = refused(bad, "checkpoint.unsigned", 422, "/checkpoints/1");
    CU_ASSERT_EQUAL(rep.checkpoints, 1);
    CU_ASSERT_EQUAL(rep.checkpoint_size, 5);
    CU_ASSERT_EQUAL(rep.receipts, NRECEIPTS);
    CU_ASSERT_TRUE(rep.tree_ok);

    /* Signed by the sequencer, with a wrong root for its size. */
    mez_mmr_tree_root(c.leaves, 12, &cp.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &cp, ORIGIN, c.pk, &note, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_set_new(json_object_get(bad, "checkpoints"), 1, json_string(note));
    rep = refused(bad, "checkpoint.root_mismatch", 422, "/checkpoints/1");
    CU_ASSERT_EQUAL(rep.checkpoints, 1);

    /* Signed by the sequencer, beyond the chain. */
    cp.size = NRECEIPTS + 1;
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &cp, ORIGIN, c.pk, &note, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_append_new(json_object_get(bad, "checkpoints"), json_string(note));
    rep = refused(bad, "checkpoint.invalid_size", 422, "/checkpoints/3");
    CU_ASSERT_EQUAL(rep.checkpoints, 3);

    /* Of another log (signed by the sequencer's key under the right name, but another origin in its body). */
    cp.origin = "pk-sifc/corridors/00000000-0000-4000-8000-000000000001";
    cp.size = 13;
    mez_mmr_tree_root(c.leaves, 13, &cp.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &cp, ORIGIN, c.pk, &note, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_set_new(json_object_get(bad, "checkpoints"), 1, json_string(note));
    refused(bad, "checkpoint.origin_mismatch", 422, "/checkpoints/1");

    /* Out of order: size 5 after size 13. */
    bad = copy(doc);
    arr = json_object_get(bad, "checkpoints");
    json_array_insert(arr, 0, json_array_get(arr, 1));
    json_array_remove(arr, 2);
    rep = refused(bad, "checkpoint.invalid_size", 422, "/checkpoints/1");
    CU_ASSERT_EQUAL(rep.checkpoints, 1);
    CU_ASSERT_EQUAL(rep.checkpoint_size, 13);

    /* A changed note: its signature no longer verifies. */
    bad = copy(doc);
    note = apr_pstrdup(p, json_string_value(at(doc, "checkpoints", 2)));
    CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(note, "\n20\n"));
    memcpy(strstr(note, "\n20\n"), "\n19\n", 4);
    json_array_set_new(json_object_get(bad, "checkpoints"), 2, json_string(note));
    refused(bad, "checkpoint.bad_signature", 422, "/checkpoints/2");

    /* Not a note at all. */
    bad = copy(doc);
    json_array_set_new(json_object_get(bad, "checkpoints"), 0, json_integer(5));
    refused(bad, "corridor_export.invalid_field", 422, "/checkpoints/0");
}

static void test_tampered_documents(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    mez_vc_proof_options_t opts = { 0 };
    corridor_t c;
    json_t *doc, *bad, *cred, *strange;
    const char *stranger_did;

    build(&c);
    doc = export_of(&c);
    stranger_did = mez_did_key(p, c.stranger);

    /* An agreement by a zone that is not a party, to this very definition, signed by its own key. */
    cred = copy(c.agreement_ae);
    json_object_del(cred, "proof");
    json_object_del(cred, "issuer");
    json_object_set_new(json_object_get(json_object_get(cred, "credentialSubject"), "party"), "id",
                        json_string(stranger_did));
    opts.created = mez_time_stamp(p, NOW);
    CU_ASSERT_EQUAL_FATAL(mez_vc_issue(p, cred, c.stranger, NULL, &opts, &strange, &pb), MEZ_OK);
    bad = copy(doc);
    json_array_set(json_object_get(bad, "agreements"), 1, strange);
    rep = refused(bad, "corridor.not_party", 403, "/agreements/1/issuer");
    CU_ASSERT_TRUE(rep.definition_ok);
    CU_ASSERT_EQUAL(rep.agreements, 1);
    CU_ASSERT_FALSE(rep.genesis_ok);
    CU_ASSERT_EQUAL(rep.receipts, 0);

    /* The proposer's agreement twice. */
    bad = copy(doc);
    json_array_set(json_object_get(bad, "agreements"), 1, json_array_get(json_object_get(doc, "agreements"), 0));
    refused(bad, "corridor.agreement_invalid", 422, "/agreements/1/issuer");

    /* Only one agreement. */
    bad = copy(doc);
    json_array_remove(json_object_get(bad, "agreements"), 1);
    refused(bad, "corridor_export.invalid_field", 422, "/agreements");

    /* An agreement changed after signing. */
    bad = copy(doc);
    json_object_set_new(json_object_get(at(bad, "agreements", 0), "credentialSubject"), "commitment",
                        json_string("agree "));
    rep = refused(bad, "corridor.agreement_invalid", 422, "/agreements/0/proof/proofValue");
    CU_ASSERT_EQUAL(rep.agreements, 0);

    /* The stated genesis root changed. */
    bad = copy(doc);
    json_object_set_new(bad, "genesis_root", json_string(mez_digest_hex(p, &c.leaves[0])));
    rep = refused(bad, "corridor_export.mismatch", 422, "/genesis_root");
    CU_ASSERT_EQUAL(rep.agreements, 2);
    CU_ASSERT_FALSE(rep.genesis_ok);

    /* ... or left out while both agreements are there. */
    bad = copy(doc);
    json_object_set_new(bad, "genesis_root", json_null());
    refused(bad, "corridor_export.mismatch", 422, "/genesis_root");

    /* The definition changed after signing. */
    bad = copy(doc);
    json_object_set_new(json_object_get(json_object_get(bad, "definition"), "credentialSubject"), "corridor_id",
                        json_string("00000000-0000-4000-8000-000000000001"));
    rep = refused(bad, "corridor.definition_invalid", 422, "/definition/proof/proofValue");
    CU_ASSERT_FALSE(rep.definition_ok);

    /* A definition signed by the responder (it names the proposer, so its issuer is not its proposer). */
    cred = copy(c.definition);
    json_object_del(cred, "proof");
    json_object_del(cred, "issuer");
    CU_ASSERT_EQUAL_FATAL(mez_vc_issue(p, cred, c.ae, NULL, &opts, &strange, &pb), MEZ_OK);
    bad = copy(doc);
    json_object_set(bad, "definition", strange);
    refused(bad, "corridor.not_party", 403, "/definition/credentialSubject/participants");

    /* Stated members the definition contradicts. */
    bad = copy(doc);
    json_object_set_new(bad, "sequencer_did", json_string(c.ae_did));
    rep = refused(bad, "corridor_export.mismatch", 422, "/sequencer_did");
    CU_ASSERT_TRUE(rep.definition_ok);
    bad = copy(doc);
    json_object_set_new(bad, "origin", json_string("ae-adgm/corridors/" CID));
    refused(bad, "corridor_export.mismatch", 422, "/origin");
    bad = copy(doc);
    json_object_set_new(bad, "corridor_id", json_string("00000000-0000-4000-8000-000000000001"));
    refused(bad, "corridor_export.mismatch", 422, "/corridor_id");
}

static void test_shape(void)
{
    corridor_t c;
    json_t *doc, *bad;

    build(&c);
    doc = export_of(&c);
    bad = copy(doc);
    json_object_set_new(bad, "note", json_string("trust me"));
    refused(bad, "corridor_export.unknown_field", 422, "/note");
    bad = copy(doc);
    json_object_set_new(bad, "type", json_string("MezCorridorImport"));
    refused(bad, "corridor_export.invalid_field", 422, "/type");
    bad = copy(doc);
    json_object_set_new(bad, "version", json_integer(2));
    refused(bad, "corridor_export.unsupported_version", 422, "/version");
    bad = copy(doc);
    json_object_set_new(bad, "version", json_string("1"));
    refused(bad, "corridor_export.invalid_field", 422, "/version");
    bad = copy(doc);
    json_object_del(bad, "receipts");
    refused(bad, "corridor_export.invalid_field", 422, "/receipts");
    bad = copy(doc);
    json_object_set_new(bad, "size", json_integer(-1));
    refused(bad, "corridor_export.invalid_field", 422, "/size");
    refused(mez_json_pool_own(unit_pool(), json_array()), "corridor_export.invalid_field", 422, "");
}

/* A corridor only proposed: its export has a definition and nothing else, and verifies as such. */
static void test_not_established(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    corridor_t c;
    json_t *doc, *bad;

    propose(&c);
    doc = export_of(&c);
    CU_ASSERT_TRUE(json_is_null(json_object_get(doc, "genesis_root")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(doc, "size")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "agreements")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "receipts")), 0);
    CU_ASSERT_EQUAL(mez_corridor_verify_export(p, doc, &rep, &pb), MEZ_OK);
    CU_ASSERT_TRUE(rep.definition_ok);
    CU_ASSERT_FALSE(rep.established);
    CU_ASSERT_TRUE(rep.tree_ok);
    CU_ASSERT_EQUAL(rep.size, 0);

    /* Receipts without an established corridor. */
    {
        corridor_t full;
        build(&full);
        bad = copy(doc);
        json_array_append(json_object_get(bad, "receipts"), at(export_of(&full), "receipts", 0));
        refused(bad, "corridor_export.invalid_field", 422, "/receipts");
    }
    /* A genesis root with no agreements behind it. */
    bad = copy(doc);
    json_object_set_new(bad, "genesis_root", json_string(mez_digest_hex(p, &c.leaves[0])));
    refused(bad, "corridor_export.invalid_field", 422, "/agreements");
}

void unit_register_corridor_export(void)
{
    CU_pSuite s = unit_suite("corridor_export");
    CU_add_test(s, "export_and_verify", test_export_and_verify);
    CU_add_test(s, "tampered_receipts", test_tampered_receipts);
    CU_add_test(s, "tampered_checkpoints", test_tampered_checkpoints);
    CU_add_test(s, "tampered_documents", test_tampered_documents);
    CU_add_test(s, "shape", test_shape);
    CU_add_test(s, "not_established", test_not_established);
}
