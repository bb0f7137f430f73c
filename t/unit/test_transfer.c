/* test_transfer.c: CUnit suite for the sending zone's side of a cross-border transfer (mez/transfer.h) up to its
 * payment, on a migrated SQLite database with an ACTIVE corridor and a payer's account (corridor_unit.h). The
 * destination's answers are scripted; the transfer through both real zones, paid, recorded and settled, is
 * t/test_corridor_protocol.py's. What is checked: what the destination is asked, and that every refusal before
 * the payment (bad bodies, a corridor not ACTIVE, a zone that is no peer, the destination's no, an answer without
 * its payee) answers a problem, moves no money and writes nothing; and, on the destination's side, that a transfer
 * it holds is not settled while its corridor is not ACTIVE, even when the corridor stopped after the caller looked. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "mez/transfer.h"
#include "corridor_unit.h"
#include "mass_unit.h"
#include "unit.h"

#define CID CORRIDOR_UNIT_CID
#define parse corridor_unit_parse

/* Everything a transfer could write before or with its payment. */
static long rows(mez_db_t *db)
{
    return mass_unit_count(db, "mez_mass_payment") * 1000000 + mass_unit_count(db, "mez_mass_ledger_line") * 10000
           + mass_unit_count(db, "mez_credential") * 100 + mass_unit_count(db, "mez_audit")
           + mass_unit_count(db, "mez_corridor_receipt") * 100000000;
}

/* The zone, with a USD account of its entity: *src. */
static mez_db_t *zone(const char **src)
{
    const char *eid;
    mez_db_t *db = corridor_unit_zone(&eid);
    int st = 0;
    json_t *a = mass_unit_call(db, CORRIDOR_UNIT_T0 + 20, "POST", "/v1/fiscal/accounts",
                               apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"account_type\":\"operating\","
                                            "\"currency\":\"USD\",\"ntn\":{\"ntn_number\":\"1234567\","
                                            "\"ntn_type\":\"company\"}}", eid), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    *src = apr_pstrdup(unit_pool(), mass_unit_str(a, "account_id"));
    return db;
}

static json_t *transfer(const char *src, const char *extra)
{
    return parse(apr_psprintf(unit_pool(), "{\"source_account_id\":\"%s\",\"amount\":\"25.00\",\"currency\":\"USD\","
                              "\"destination\":{\"account_id\":\"acc_dest\"}%s}", src, extra ? extra : ""));
}

static json_t *answer_doc(const mez_transfer_answer_t *xa)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(xa->text);
    return parse(xa->text);
}

static void test_the_destination_is_asked_first_and_its_no_moves_nothing(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 422, "{\"status\":422,\"code\":\"sanctions.hit\",\"detail\":"
                                                      "\"a listed payee\"}");
    mez_transfer_answer_t xa;
    const char *src;
    mez_db_t *db = zone(&src);
    long before = rows(db);
    const json_t *t;
    json_t *doc;

    corridor_unit_env(u, db);
    mez_transfer_run(&u->env, CID, transfer(src, NULL), "xfr_unit1", &xa);
    CU_ASSERT_EQUAL(xa.status, 422);
    CU_ASSERT_EQUAL(xa.money_moved, 0);
    CU_ASSERT_STRING_EQUAL(xa.problem_code, "transfer.refused_by_destination");
    doc = answer_doc(&xa);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "pointer"), "/destination");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(doc, "peer_problem"), "code"), "sanctions.hit");
    CU_ASSERT_PTR_NOT_NULL(strstr(mass_unit_str(doc, "detail"), "a listed payee"));
    CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "instance"), u->env.path);
    /* What the destination was asked: the inbound side, named by the payer's registry entry and the transfer. */
    CU_ASSERT_EQUAL(u->calls, 1);
    CU_ASSERT_STRING_EQUAL(u->last_path, "/v1/corridors/peers/transfers/evaluate");
    t = json_object_get(u->last_body, "transfer");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(u->last_body, "corridor_id"), CID);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(t, "account_id"), "acc_dest");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(t, "reference"), "xfr_unit1");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(t, "source"), "payer_name"), "Indus Saga Looms Ltd");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(t, "source"), "zone_id"), "pk-sifc");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), 0);
    CU_ASSERT_EQUAL(rows(db), before);

    /* A destination that does not answer: 503, nothing moved. */
    u->answer_status = 0;
    u->answer = NULL;
    mez_transfer_run(&u->env, CID, transfer(src, NULL), "xfr_unit2", &xa);
    CU_ASSERT_EQUAL(xa.status, 503);
    CU_ASSERT_STRING_EQUAL(xa.problem_code, "corridor.peer_unreachable");
    CU_ASSERT_EQUAL(xa.money_moved, 0);
    /* A yes that does not name the payee: the payment would name nobody, so it is not made. */
    u->answer_status = 200;
    u->answer = "{\"decision\":\"compliant\"}";
    mez_transfer_run(&u->env, CID, transfer(src, NULL), "xfr_unit3", &xa);
    CU_ASSERT_EQUAL(xa.status, 502);
    CU_ASSERT_STRING_EQUAL(xa.problem_code, "corridor.peer_invalid_answer");
    CU_ASSERT_EQUAL(xa.money_moved, 0);
    CU_ASSERT_EQUAL(rows(db), before);
}

static void test_bad_transfers_change_nothing(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 200, "{\"payee\":{\"legal_name\":\"Gulf Payee LLC\"}}");
    mez_transfer_answer_t xa;
    const char *src;
    mez_db_t *db = zone(&src);
    long before = rows(db);
    struct {
        const char *body;
        int status;
        const char *code, *pointer;
    } bad[] = {
        { "{\"amount\":\"1.00\"}", 422, "request.missing_field", "/source_account_id" },
        { "{\"source_account_id\":\"%s\",\"currency\":\"USD\",\"destination\":{\"account_id\":\"a\"}}", 422,
          "request.missing_field", "/amount" },
        { "{\"source_account_id\":\"%s\",\"amount\":\"1.00\",\"destination\":{\"account_id\":\"a\"}}", 422,
          "request.missing_field", "/currency" },
        { "{\"source_account_id\":\"%s\",\"amount\":\"1.00\",\"currency\":\"USD\"}", 422, "request.missing_field",
          "/destination" },
        { "{\"source_account_id\":\"%s\",\"amount\":\"1.00\",\"currency\":\"USD\",\"destination\":{}}", 422,
          "request.missing_field", "/destination/account_id" },
        { "{\"source_account_id\":\"%s\",\"amount\":\"1.00\",\"currency\":\"USD\",\"destination\":{\"account_id\":"
          "\"a\",\"bank\":\"x\"}}", 422, "request.unknown_field", "/destination/bank" },
        { "{\"source_account_id\":\"%s\",\"amount\":\"1.00\",\"currency\":\"USD\",\"destination\":{\"account_id\":"
          "\"a\"},\"memo\":1}", 422, "request.unknown_field", "/memo" },
        { "{\"source_account_id\":\"acc_nope\",\"amount\":\"1.00\",\"currency\":\"USD\",\"destination\":"
          "{\"account_id\":\"a\"}}", 422, "mass.not_found", "/source_account_id" },
    };

    corridor_unit_env(u, db);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *doc;
        mez_transfer_run(&u->env, CID, parse(apr_psprintf(unit_pool(), bad[i].body, src)), "xfr_bad", &xa);
        CU_ASSERT_EQUAL(xa.status, bad[i].status);
        CU_ASSERT_STRING_EQUAL(xa.problem_code, bad[i].code);
        doc = answer_doc(&xa);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(doc, "pointer"), bad[i].pointer);
        CU_ASSERT_EQUAL(xa.money_moved, 0);
    }
    /* An unknown corridor, and a zone that is no longer a configured peer. */
    mez_transfer_run(&u->env, "00000000-0000-4000-8000-000000000000", transfer(src, NULL), "xfr_bad", &xa);
    CU_ASSERT_EQUAL(xa.status, 404);
    u->known_peer = 0;
    mez_transfer_run(&u->env, CID, transfer(src, NULL), "xfr_bad", &xa);
    CU_ASSERT_EQUAL(xa.status, 503);
    CU_ASSERT_STRING_EQUAL(xa.problem_code, "corridor.unknown_peer");
    CU_ASSERT_EQUAL(u->calls, 0);
    CU_ASSERT_EQUAL(rows(db), before);
}

static void test_settling_again_names_a_receipt(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 200, "{}");
    mez_problem_t pb = { 0 };
    const char *src;
    mez_db_t *db = zone(&src);
    json_t *answer = NULL;
    uint64_t seq = 0;
    static const char *const bad[] = { "{}", "{\"sequence\":-1}", "{\"sequence\":\"0\"}", "{\"sequence\":0}",
                                       "{\"sequence\":1099511627776}", NULL };

    corridor_unit_env(u, db);
    /* The corridor holds no receipt yet: no sequence names one. */
    for (const char *const *b = bad; *b; b++) {
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_transfer_settle_again(&u->env, CID, parse(*b), &answer, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/sequence");
        CU_ASSERT_EQUAL(pb.status, 422);
    }
    CU_ASSERT_EQUAL(u->calls, 0);
    CU_ASSERT_EQUAL(mez_corridor_sequence_member(unit_pool(), parse("{\"sequence\":7}"), &seq, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(seq, 7);
    CU_ASSERT_EQUAL(mez_corridor_sequence_member(unit_pool(), parse("{\"sequence\":-7}"), &seq, &pb), MEZ_EINVAL);
}

/* Receipt 0 of the fixture's corridor: a transfer ae-adgm sent, at its own request, to account dest of this zone. */
static void inbound_receipt(mez_db_t *db, const char *dest)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    mez_corridor_t c;
    mez_digest_t next;
    json_t *r;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, db, CID, &c, &pb), MEZ_OK);
    r = parse(apr_psprintf(p, "{\"type\":\"MEZCorridorStateReceipt\",\"corridor_id\":\"" CID "\",\"sequence\":0,"
                           "\"timestamp\":\"2026-07-01T10:00:00Z\",\"prev_root\":\"%s\",\"lawpack_digest_set\":[],"
                           "\"ruleset_digest_set\":[],\"transition\":{\"kind\":\"cross_border_transfer\","
                           "\"requested_by\":{\"zone_id\":\"ae-adgm\"},\"payload\":{\"transfer_id\":\"xfr_in1\","
                           "\"amount\":\"25.00\",\"currency\":\"USD\",\"source\":{\"zone_id\":\"ae-adgm\","
                           "\"account_id\":\"acc_ae\",\"entity_id\":\"ent_ae\",\"payer_name\":\"Gulf Payer LLC\"},"
                           "\"destination\":{\"zone_id\":\"pk-sifc\",\"account_id\":\"%s\"}}}}",
                           mez_digest_hex(p, &c.head), dest));
    CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, r, &next, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_append(p, db, CID, r, apr_time_now(), &a, &pb), MEZ_OK);
}

static void move(mez_db_t *db, const char *event, const char *evidence)
{
    mez_problem_t pb = { 0 };
    const char *to;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(unit_pool(), db, CID, event, parse(evidence), apr_time_now(),
                                                  unit_audit("corridor.transition"), &to, &pb), MEZ_OK);
}

/* The destination settles a transfer it holds the receipt of only while the corridor is ACTIVE, as it previews
 * one: SUSPENDED, HALTED and DEPRECATED are 409 corridor.not_active naming the state, nothing pulled, paid or
 * written (mez/transfer.h says why a suspension refuses too). Before, the state was not looked at. */
static void test_the_destination_settles_only_on_an_active_corridor(void)
{
    static const char *const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    corridor_unit_t *u = corridor_unit_script(1, 200, "{}");
    mez_problem_t pb = { 0 };
    mez_orch_answer_t out;
    mez_corridor_t c;
    const char *dest;
    mez_db_t *db = zone(&dest);
    json_t *pp = NULL;
    struct {
        const char *event, *evidence, *state;
    } moves[] = {
        { "suspend", "{\"reason\":\"regulator's review\"}", "SUSPENDED" },
        { "halt", NULL, "HALTED" },
        { "deprecate", NULL, "DEPRECATED" },
    };
    moves[1].evidence = apr_psprintf(unit_pool(), "{\"reason\":\"fork\",\"authority\":\"pk-sifc\","
                                     "\"evidence_digest\":\"%s\"}", digest);
    moves[2].evidence = apr_psprintf(unit_pool(), "{\"deprecation_decision_digest\":\"%s\",\"reason\":\"ended\"}",
                                     digest);

    inbound_receipt(db, dest);
    corridor_unit_env(u, db);
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
        long before;
        move(db, moves[i].event, moves[i].evidence);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_get(unit_pool(), db, CID, &c, &pb), MEZ_OK);
        before = rows(db);
        memset(&pb, 0, sizeof(pb));
        memset(&out, 0, sizeof(out));
        CU_ASSERT_EQUAL(mez_transfer_inbound_settle(&u->env, "ae-adgm", &c, 0, &out, &pp, &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, 409);
        CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "corridor.not_active");
        CU_ASSERT_PTR_NOT_NULL(pb.detail ? strstr(pb.detail, moves[i].state) : NULL);
        CU_ASSERT_PTR_NULL(pp);
        CU_ASSERT_EQUAL(rows(db), before);
        CU_ASSERT_EQUAL(mass_unit_count(db, "mez_idempotency"), 0);
    }
    CU_ASSERT_EQUAL(u->calls, 0);
}

/* The zone decides writes: a key and packs (one AML threshold, illustrative), so that its pipeline makes deposits. */
static void deciding(corridor_unit_t *u)
{
    static const char pack[] = "{\"format\":\"mez-regpack/1\",\"id\":\"pk-aml-unit\",\"jurisdiction_id\":\"pk-sifc\","
                               "\"domain\":\"aml\",\"title\":\"AML\",\"sources\":[{\"id\":\"s\",\"title\":\"S\"}],"
                               "\"thresholds\":[{\"id\":\"cdd\",\"obligation\":\"customer_due_diligence\","
                               "\"amount\":{\"amount\":\"500000\",\"currency\":\"PKR\",\"applies\":\"above\"},"
                               "\"valid_from\":\"2020-01-01\",\"source\":\"s\"}]}";
    const json_t *packs[1] = { parse(pack) };
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    mez_key_t *key = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), packs, 1, &ix, &pb), MEZ_OK);
    u->zone.key = key;
    u->zone.did = mez_did_key(unit_pool(), key);
    u->zone.verification_method = mez_did_key_verification_method(unit_pool(), key);
    u->zone.tensor_index = ix;
}

/* The deposit itself re-reads the corridor under its lock (inbound_prepare, orchestrate_ops.c): a suspension
 * committed after the settlement's caller read the corridor ACTIVE (here: the row it was handed is stale) is seen,
 * and the deposit refused, 409 corridor.not_active naming the state, nothing written. Before, the check was on the
 * row read before the pipeline's transaction, and the money was credited on the suspended corridor. Resumed, the
 * same stale row settles (so the refusal was the corridor's state, not the fixture). The operation refuses a body
 * that names no corridor, one this zone does not hold, and one with another zone than the source. */
static void test_a_corridor_stopped_after_the_check_settles_nothing(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 200, "{}");
    mez_problem_t pb = { 0 };
    mez_orch_answer_t out;
    mez_corridor_t c;
    mez_corridor_op_t op = { 0 };
    const char *dest;
    mez_db_t *db = zone(&dest);
    json_t *pp = NULL;
    long before;
    struct {
        const char *source;
        int status;
        const char *code, *pointer;
    } bad[] = {
        { "{\"zone_id\":\"ae-adgm\",\"payer_name\":\"Gulf Payer LLC\"}", 422, "request.missing_field",
          "/source/corridor_id" },
        { "{\"zone_id\":\"ae-adgm\",\"payer_name\":\"Gulf Payer LLC\",\"corridor_id\":7}", 422,
          "request.invalid_type", "/source/corridor_id" },
        { "{\"zone_id\":\"ae-adgm\",\"payer_name\":\"Gulf Payer LLC\",\"corridor_id\":"
          "\"00000000-0000-4000-8000-000000000000\"}", 422, "corridor.not_found", "/source/corridor_id" },
        { "{\"zone_id\":\"qa-qfc\",\"payer_name\":\"Gulf Payer LLC\",\"corridor_id\":\"" CID "\"}", 403,
          "corridor.not_party", "/source/zone_id" },
    };

    inbound_receipt(db, dest);
    corridor_unit_env(u, db);
    deciding(u);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(unit_pool(), db, CID, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(c.state, MEZ_CORRIDOR_ACTIVE);
    move(db, "suspend", "{\"reason\":\"regulator's review\"}");
    before = rows(db);
    memset(&out, 0, sizeof(out));
    CU_ASSERT_EQUAL(mez_transfer_inbound_settle(&u->env, "ae-adgm", &c, 0, &out, &pp, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "corridor.not_active");
    CU_ASSERT_PTR_NOT_NULL(pb.detail ? strstr(pb.detail, "SUSPENDED") : NULL);
    CU_ASSERT_EQUAL(rows(db), before);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_ledger_txn"), 0);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        op.op = "fiscal.inbound_transfer";
        op.body = parse(apr_psprintf(unit_pool(), "{\"account_id\":\"%s\",\"amount\":\"25.00\",\"currency\":\"USD\","
                                     "\"reference\":\"xfr_bad\",\"source\":%s}", dest, bad[i].source));
        op.actor = "peer:ae-adgm";
        op.idem_key = "transfer:xfr_bad";
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_corridor_env_run(&u->env, &op, &out, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, bad[i].status);
        CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", bad[i].code);
        CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", bad[i].pointer);
        CU_ASSERT_EQUAL(rows(db), before);
    }

    move(db, "resume", "{\"resolution_attestation_digest\":\"sha256:"
                       "5555555555555555555555555555555555555555555555555555555555555555\"}");
    memset(&pb, 0, sizeof(pb));
    memset(&out, 0, sizeof(out));
    CU_ASSERT_EQUAL(mez_transfer_inbound_settle(&u->env, "ae-adgm", &c, 0, &out, &pp, &pb), MEZ_OK);
    if (pb.code)
        fprintf(stderr, "\nsettle: %d %s at %s: %s\n", pb.status, pb.code, pb.pointer, pb.detail);
    CU_ASSERT_EQUAL(out.status, 201);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_ledger_txn"), 1);
    CU_ASSERT_EQUAL(u->calls, 0);
}

void unit_register_transfer(void)
{
    CU_pSuite s = unit_suite("transfer");
    CU_add_test(s, "the destination is asked first, and its no moves nothing",
                test_the_destination_is_asked_first_and_its_no_moves_nothing);
    CU_add_test(s, "bad transfers change nothing", test_bad_transfers_change_nothing);
    CU_add_test(s, "settling again names a receipt", test_settling_again_names_a_receipt);
    CU_add_test(s, "the destination settles only on an ACTIVE corridor",
                test_the_destination_settles_only_on_an_active_corridor);
    CU_add_test(s, "a corridor stopped after the check settles nothing",
                test_a_corridor_stopped_after_the_check_settles_nothing);
}
