/* test_migration_saga.c: CUnit suite for the source side of the migration saga (mez/migration_saga.h) on a
 * migrated SQLite database: an ACTIVE corridor, an entity formed and activated in the sovereign store, and the
 * saga's environment given by this file. The peer's answers are scripted here (t/test_corridor_migration.py runs
 * the saga between two real zones over TLS); what is checked is the saga's own logic: what it asks the
 * destination, how a refusal, an unknown peer, a silent peer and bad requests leave the record, the entity and
 * the audit chain. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/migration_saga.h"
#include "corridor_unit.h"
#include "mass_unit.h"
#include "unit.h"

#define CID CORRIDOR_UNIT_CID
#define T0 CORRIDOR_UNIT_T0
#define parse corridor_unit_parse

static long rows(mez_db_t *db)
{
    return mass_unit_count(db, "mez_migration") * 1000000 + mass_unit_count(db, "mez_migration_step") * 1000
           + mass_unit_count(db, "mez_audit");
}

static const char *entity_status(mez_db_t *db, const char *eid)
{
    int st = 0;
    json_t *e = mass_unit_call(db, T0 + 20, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", eid, NULL), NULL, NULL,
                               &st);
    CU_ASSERT_EQUAL(st, 200);
    return mass_unit_str(e, "status");
}

static json_t *request(const char *eid, const char *extra)
{
    return parse(apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"deadline\":\"%s\"%s}", eid, corridor_unit_in_an_hour(),
                              extra ? extra : ""));
}

static void test_a_refusal_cancels_with_nothing_locked(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 409, "{\"status\":409,\"code\":\"entity.name_taken\",\"detail\":"
                                                      "\"taken\"}");
    mez_problem_t pb = { 0 };
    mez_migration_t m;
    const char *eid;
    mez_db_t *db = corridor_unit_zone(&eid);
    const json_t *f, *ask, *last;
    json_t *doc;
    int hold, stalled;

    corridor_unit_env(u, db);
    CU_ASSERT_EQUAL_FATAL(mez_saga_begin(&u->env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(hold, -1);
    CU_ASSERT_STRING_EQUAL(m.state_name, "INITIATED");
    CU_ASSERT_STRING_EQUAL(m.destination_zone_id, "ae-adgm");
    /* The formation asked for is the register's entity, linked to its id here. */
    f = json_object_get(m.request, "formation");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(f, "legal_name"), "Indus Saga Looms Ltd");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(json_object_get(f, "directors"), 0), "nationality"), "PK");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(json_object_get(f, "metadata"), "migrated_from"),
                                         "entity_id"), eid);
    CU_ASSERT_PTR_NULL(json_object_get(f, "registered_office"));
    CU_ASSERT_EQUAL(strncmp(mass_unit_str(m.request, "formation_digest"), "sha256:", 7), 0);

    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&u->env, &m, -1, 0, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 0);
    CU_ASSERT_STRING_EQUAL(m.state_name, "CANCELLED");
    CU_ASSERT_EQUAL(u->calls, 1);
    CU_ASSERT_STRING_EQUAL(u->last_path, "/v1/corridors/peers/migrations/evaluate");
    ask = json_object_get(u->last_body, "migration");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(ask, "migration_id"), m.migration_id);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(ask, "source"), "zone_id"), "pk-sifc");
    CU_ASSERT_TRUE(json_equal(json_object_get(ask, "formation"), (json_t *)f));
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), 0);           /* nothing was sent on the corridor, so nothing is called off */
    CU_ASSERT_EQUAL(m.locked, 0);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(m.problem, "code"), "entity.name_taken");
    CU_ASSERT_STRING_EQUAL(entity_status(db, eid), "ACTIVE");

    CU_ASSERT_EQUAL_FATAL(mez_saga_document(&u->env, &m, &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "steps")), 3);
    last = json_array_get(json_object_get(doc, "steps"), 2);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(last, "event"), "cancel");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(last, "evidence"), "reason"),
                           "the destination refused the formation");
    CU_ASSERT_EQUAL(u->audits, 3);            /* initiate, advance, cancel: each with the driving request's row */
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_audit WHERE action LIKE 'migration.%' AND "
                                        "request_id = 'req_saga'"), 3);

    /* Ended: advancing it is the machine's 409, and changes nothing. */
    {
        long before = rows(db);
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_saga_run(&u->env, &m, -1, 1, &stalled, &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, 409);
        CU_ASSERT_EQUAL(rows(db), before);
        CU_ASSERT_EQUAL(u->calls, 1);
    }
}

static void test_a_silent_destination_stalls_where_it_is(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 0, NULL);
    mez_problem_t pb = { 0 };
    mez_migration_t m, again;
    const char *eid;
    mez_db_t *db = corridor_unit_zone(&eid);
    int hold, stalled;
    long before;

    corridor_unit_env(u, db);
    CU_ASSERT_EQUAL_FATAL(mez_saga_begin(&u->env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&u->env, &m, -1, 0, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 1);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.peer_unreachable");
    CU_ASSERT_STRING_EQUAL(m.state_name, "COMPLIANCE_CHECK");
    /* Advanced again with no answer: the same place, one more call, nothing recorded. */
    before = rows(db);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_open(&u->env, CID, m.migration_id, &again, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&u->env, &again, -1, 1, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 1);
    CU_ASSERT_STRING_EQUAL(again.state_name, "COMPLIANCE_CHECK");
    CU_ASSERT_EQUAL(u->calls, 2);
    CU_ASSERT_EQUAL(rows(db), before);
    /* Held where it stands: hold_at the current state stops only after a step. */
    CU_ASSERT_EQUAL(mez_saga_open(&u->env, "00000000-0000-4000-8000-000000000000", m.migration_id, &again, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "migration.not_found");
    /* Cancelled by the operator: from COMPLIANCE_CHECK nothing is locked, so nothing is unlocked. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_open(&u->env, CID, m.migration_id, &again, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_saga_cancel(&u->env, &again, parse("{\"reason\":\"\"}"), &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/reason");
    CU_ASSERT_EQUAL(rows(db), before);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_cancel(&u->env, &again, parse("{\"reason\":\"the board changed its mind\"}"), &pb),
                          MEZ_OK);
    CU_ASSERT_STRING_EQUAL(again.state_name, "CANCELLED");
    CU_ASSERT_STRING_EQUAL(entity_status(db, eid), "ACTIVE");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), 0);
}

static void test_bad_requests_change_nothing(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 200, "{}");
    mez_migration_t m;
    const char *eid;
    mez_db_t *db = corridor_unit_zone(&eid);
    long before;
    int hold, st = 0;
    struct {
        const char *body;
        int status;
        const char *code, *pointer;
    } bad[] = {
        { "{\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "request.missing_field", "/entity_id" },
        { "{\"entity_id\":\"%s\"}", 422, "migration.invalid_deadline", "/deadline" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2020-01-01T00:00:00Z\"}", 422, "migration.invalid_deadline",
          "/deadline" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2030-01-01T00:00:00Z\",\"hold_at\":\"COMPLETED\"}", 422,
          "migration.invalid_hold", "/hold_at" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2030-01-01T00:00:00Z\",\"compliance\":[]}", 422,
          "request.invalid_type", "/compliance" },
        { "{\"entity_id\":\"../x\",\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "request.invalid_id", "/entity_id" },
        { "{\"entity_id\":\"ent_nope\",\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "mass.not_found", "/entity_id" },
    };

    corridor_unit_env(u, db);
    before = rows(db);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(mez_saga_begin(&u->env, CID, parse(apr_psprintf(unit_pool(), bad[i].body, eid)), &m, &hold,
                                       &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, bad[i].status);
        CU_ASSERT_STRING_EQUAL(pb.code, bad[i].code);
        CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", bad[i].pointer);
    }
    /* Not a configured peer: refused before anything is written. */
    u->known_peer = 0;
    {
        mez_problem_t pb = { 0 };
        CU_ASSERT_NOT_EQUAL(mez_saga_begin(&u->env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(pb.code, "corridor.unknown_peer");
    }
    u->known_peer = 1;
    /* An entity that is not ACTIVE does not migrate. */
    mass_unit_call(db, T0 + 30, "PUT", apr_pstrcat(unit_pool(), "/v1/entities/", eid, "/status", NULL),
                   "{\"target_status\":\"SUSPENDED\",\"reason\":\"inspection\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    {
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(mez_saga_begin(&u->env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "migration.entity_not_active");
    }
    CU_ASSERT_EQUAL(rows(db), before);
    CU_ASSERT_EQUAL(u->calls, 0);
    CU_ASSERT_EQUAL(u->audits, 0);
}

static void test_inbound_sequence(void)
{
    mez_problem_t pb = { 0 };
    uint64_t seq = 0;
    static const char *const bad[] = { "{}", "{\"sequence\":-1}", "{\"sequence\":\"1\"}", "{\"sequence\":1.5}",
                                       "{\"sequence\":null}", NULL };
    CU_ASSERT_EQUAL(mez_corridor_sequence_member(unit_pool(), parse("{\"sequence\":5}"), &seq, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(seq, 5);
    for (const char *const *b = bad; *b; b++) {
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_corridor_sequence_member(unit_pool(), parse(*b), &seq, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/sequence");
    }
}

void unit_register_migration_saga(void)
{
    CU_pSuite s = unit_suite("migration saga");
    CU_add_test(s, "a destination's refusal cancels with nothing locked", test_a_refusal_cancels_with_nothing_locked);
    CU_add_test(s, "a silent destination stalls the saga where it is", test_a_silent_destination_stalls_where_it_is);
    CU_add_test(s, "bad requests change nothing", test_bad_requests_change_nothing);
    CU_add_test(s, "the inbound sequence", test_inbound_sequence);
}
