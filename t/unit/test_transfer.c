/* test_transfer.c: CUnit suite for the sending zone's side of a cross-border transfer (mez/transfer.h) up to its
 * payment, on a migrated SQLite database with an ACTIVE corridor and a payer's account (corridor_unit.h). The
 * destination's answers are scripted; the transfer through both real zones, paid, recorded and settled, is
 * t/test_corridor_protocol.py's. What is checked: what the destination is asked, and that every refusal before
 * the payment (bad bodies, a corridor not ACTIVE, a zone that is no peer, the destination's no, an answer without
 * its payee) answers a problem, moves no money and writes nothing. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
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

void unit_register_transfer(void)
{
    CU_pSuite s = unit_suite("transfer");
    CU_add_test(s, "the destination is asked first, and its no moves nothing",
                test_the_destination_is_asked_first_and_its_no_moves_nothing);
    CU_add_test(s, "bad transfers change nothing", test_bad_transfers_change_nothing);
    CU_add_test(s, "settling again names a receipt", test_settling_again_names_a_receipt);
}
