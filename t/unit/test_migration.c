/* test_migration.c: CUnit suite for the source zone's migration store (mez/migration.h) on a migrated SQLite
 * database with one corridor: deadlines, initiation (one live migration per entity), every move through the
 * lifecycle's machine with its deadline, the compare-and-set against a stale read, the step log with evidence
 * digests recomputed here, and refusals that leave the rows unchanged. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/migration.h"
#include "mez/receipt.h"
#include "mez/vc.h"
#include "mass_unit.h"
#include "unit.h"

/* The audit event a corridor's creation requires (mez_corridor_create). */
#define CREATE unit_audit("corridor.create")

#define CID "5b0d7e2a-1c3f-4a5b-9c8d-aabbccddeeff"
#define MID "mig_00000000000000000000000000000000000000000000000000000000000000a1"
#define MID2 "mig_00000000000000000000000000000000000000000000000000000000000000a2"
#define NOW apr_time_from_sec(1782900000)        /* 2026-07-01T10:00:00Z */
#define DEADLINE apr_time_from_sec(1782900000 + 3600)

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

static mez_db_t *store(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    mez_digest_t g;
    const char *h1 = "1111111111111111111111111111111111111111111111111111111111111111",
               *h2 = "2222222222222222222222222222222222222222222222222222222222222222";
    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CID, h1, h2, parse("[]"), parse("[]"), &g, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create(p, db, CID, "ae-adgm", "did:key:z6MkPeer", h1, h2, &g, NOW, CREATE, &pb),
                          MEZ_OK);
    return db;
}

/* Who moves the migrations here: the caller's part of each step's audit row. */
static const mez_audit_event_t WHO = { "pk-sifc", 0, "tok_0123456789abcdef", "migration", NULL, NULL, "committed",
                                       "req_1", NULL };

static long rows(mez_db_t *db)
{
    return mass_unit_count(db, "mez_migration") * 1000000 + mass_unit_count(db, "mez_migration_step") * 1000
           + mass_unit_count(db, "mez_audit");
}

static mez_status_t move(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, int event, apr_time_t now,
                         const json_t *evidence, const mez_migration_update_t *u, const char **effect,
                         mez_problem_t *pb)
{
    return mez_migration_move(p, db, m, event, now, evidence, u, &WHO, effect, pb);
}

static mez_status_t initiate(mez_db_t *db, const char *id, const char *entity, mez_migration_t *m,
                             mez_problem_t *pb)
{
    memset(m, 0, sizeof(*m));
    m->migration_id = id;
    m->corridor_id = CID;
    m->entity_id = entity;
    m->destination_zone_id = "ae-adgm";
    m->deadline = DEADLINE;
    m->request = parse("{\"formation\":{\"legal_name\":\"Indus Looms Ltd\"},\"formation_digest\":\"x\"}");
    return mez_migration_create(unit_pool(), db, m, parse("{\"requested_by\":\"tok_1\"}"), NOW, &WHO, pb);
}

static void test_deadline(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    apr_time_t t;
    CU_ASSERT_EQUAL(mez_migration_deadline_parse(p, "2026-07-01T11:00:00Z", NOW, &t, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(t, DEADLINE);
    static const char *const bad[] = { "2026-07-01T11:00:00+00:00", "2026-07-01T11:00:00.5Z", "2026-07-01 11:00:00Z",
                                       "2026-02-30T10:00:00Z", "tomorrow", "", "2026-07-01T10:00:00Z",
                                       "2026-06-30T23:59:59Z", NULL };
    for (int i = 0; bad[i]; i++) {
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_migration_deadline_parse(p, bad[i], NOW, &t, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "migration.invalid_deadline");
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/deadline");
    }
    CU_ASSERT_EQUAL(mez_migration_deadline_parse(p, NULL, NOW, &t, &pb), MEZ_EINVAL);
}

static void test_initiate_once_per_entity(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = store();
    mez_migration_t m, m2, got;
    json_t *steps;
    long before;

    CU_ASSERT_EQUAL_FATAL(initiate(db, MID, "ent_1", &m, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(m.state_name, "INITIATED");
    CU_ASSERT_EQUAL(m.state, MEZ_MIGRATION_INITIATED);
    CU_ASSERT_TRUE(m.live);
    CU_ASSERT_FALSE(m.locked);
    CU_ASSERT_EQUAL(m.receipt_seq, -1);
    CU_ASSERT_STRING_EQUAL(m.deadline_text, "2026-07-01T11:00:00Z");
    CU_ASSERT_EQUAL(mez_migration_get(p, db, MID, &got, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(got.request, "formation"), "legal_name"), "Indus Looms Ltd");
    CU_ASSERT_EQUAL(mez_migration_steps(p, db, MID, &steps, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(json_array_size(steps), 1);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(steps, 0), "event"), "initiate");
    CU_ASSERT_TRUE(json_is_null(json_object_get(json_array_get(steps, 0), "from_state")));
    /* the evidence digest is SHA-256 of the canonical evidence, recomputed here */
    {
        mez_digest_t d;
        const char *text = "{\"requested_by\":\"tok_1\"}";
        mez_digest_sha256(text, strlen(text), &d);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(steps, 0), "evidence_digest"), mez_digest_format(p, &d));
    }
    /* a second live migration of the entity is refused, nothing written */
    before = rows(db);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(initiate(db, MID2, "ent_1", &m2, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "migration.entity_in_migration");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, MID));
    CU_ASSERT_EQUAL(rows(db), before);
    /* unknown id */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_migration_get(p, db, MID2, &got, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_STRING_EQUAL(pb.code, "migration.not_found");
    /* once it ends, the entity may migrate again */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, NULL, &pb), MEZ_OK);
    CU_ASSERT_FALSE(m.live);
    CU_ASSERT_EQUAL(initiate(db, MID2, "ent_1", &m2, &pb), MEZ_OK);
}

static void test_moves_follow_the_machine(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = store();
    mez_migration_t m, stale;
    mez_migration_update_t u;
    const char *effect = "x";
    json_t *steps;
    long before;

    CU_ASSERT_EQUAL_FATAL(initiate(db, MID, "ent_2", &m, &pb), MEZ_OK);
    for (int i = 0; i < 3; i++) {
        mez_migration_update_init(&u);
        if (i == 2) {
            u.locked = 1;
            u.receipt_from = 7;
        }
        CU_ASSERT_EQUAL_FATAL(move(p, db, &m, MEZ_MIGRATION_EV_ADVANCE, NOW,
                                                 parse(apr_psprintf(p, "{\"i\":%d}", i)), &u, &effect, &pb), MEZ_OK);
        CU_ASSERT_PTR_NULL(effect);
    }
    CU_ASSERT_STRING_EQUAL(m.state_name, "SOURCE_LOCKED");
    CU_ASSERT_TRUE(m.locked);
    CU_ASSERT_EQUAL(m.receipt_from, 7);
    stale = m;
    mez_migration_update_init(&u);
    u.receipt_seq = 9;
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_ADVANCE, NOW, parse("{}"), &u, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(m.state_name, "IN_TRANSIT");
    CU_ASSERT_EQUAL(m.receipt_seq, 9);

    before = rows(db);
    /* a request that read SOURCE_LOCKED before the advance committed cannot record a second move from it */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(move(p, db, &stale, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "migration.concurrent_move");
    /* cancel is not allowed once in transit: the machine's 409 */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    /* past the deadline compensation is refused too (the reference skipped the check): only timeout */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_COMPENSATE, DEADLINE + 1, parse("{}"), NULL, NULL,
                                       &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.deadline_passed");
    CU_ASSERT_EQUAL(rows(db), before);
    CU_ASSERT_EQUAL(mez_migration_get(p, db, MID, &m, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(m.state_name, "IN_TRANSIT");

    mez_migration_update_init(&u);
    u.locked = 0;
    u.problem = parse("{\"code\":\"corridor.peer_unreachable\"}");
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_TIMEOUT, DEADLINE + 1, parse("{\"r\":1}"), &u,
                                       &effect, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(effect, "compensate");
    CU_ASSERT_STRING_EQUAL(m.state_name, "TIMED_OUT");
    CU_ASSERT_FALSE(m.live);
    CU_ASSERT_FALSE(m.locked);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(m.problem, "code"), "corridor.peer_unreachable");
    CU_ASSERT_EQUAL(mez_migration_steps(p, db, MID, &steps, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(json_array_size(steps), 6);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(steps, 5), "effect"), "compensate");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(steps, 5), "from_state"), "IN_TRANSIT");
    /* terminal: nothing moves it */
    before = rows(db);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_ADVANCE, NOW, parse("{}"), NULL, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_EQUAL(rows(db), before);
}

static void test_cancel_from_locked_names_the_unlock(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = store();
    mez_migration_t m;
    const char *effect = NULL;
    CU_ASSERT_EQUAL_FATAL(initiate(db, MID, "ent_3", &m, &pb), MEZ_OK);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(move(p, db, &m, MEZ_MIGRATION_EV_ADVANCE, NOW, parse("{}"), NULL, NULL,
                                                 &pb), MEZ_OK);
    CU_ASSERT_EQUAL(move(p, db, &m, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, &effect, &pb),
                    MEZ_OK);
    CU_ASSERT_STRING_EQUAL(effect, "unlock_source");
    CU_ASSERT_STRING_EQUAL(m.state_name, "CANCELLED");
}

static void test_same_name(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_TRUE(mez_migration_same_name(p, "Indus  Looms Ltd", " indus looms LTD "));
    CU_ASSERT_FALSE(mez_migration_same_name(p, "Indus Looms Ltd", "Indus Loom Ltd"));
    CU_ASSERT_FALSE(mez_migration_same_name(p, NULL, "x"));
}

/* Each step is an action of the zone with its audit row, in the step's own transaction: the initiation and every
 * move, named migration.<event>, the caller's actor and request, the migration as resource, the states in detail; a
 * refused move leaves none, and a step without an audit event is refused with nothing written. */
static void test_steps_are_audited(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = store();
    mez_migration_t m, stale;
    apr_array_header_t *list;
    const mez_audit_row_t *row;
    mez_audit_report_t rep;
    long before, first = mass_unit_count(db, "mez_audit") + 1;   /* after the fixture corridor's creation */

    CU_ASSERT_EQUAL_FATAL(initiate(db, MID, "ent_1", &m, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(p, db, first, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 1);
    row = &APR_ARRAY_IDX(list, 0, mez_audit_row_t);
    CU_ASSERT_STRING_EQUAL(row->action, "migration.initiate");
    CU_ASSERT_STRING_EQUAL(row->actor, "tok_0123456789abcdef");
    CU_ASSERT_STRING_EQUAL(row->request_id, "req_1");
    CU_ASSERT_STRING_EQUAL(row->resource_type, "migration");
    CU_ASSERT_STRING_EQUAL(row->resource_id, MID);
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"to_state\":\"INITIATED\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"entity_id\":\"ent_1\""));
    stale = m;
    CU_ASSERT_EQUAL_FATAL(move(p, db, &m, MEZ_MIGRATION_EV_ADVANCE, NOW, parse("{}"), NULL, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(p, db, first + 1, 0, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 1);
    row = &APR_ARRAY_IDX(list, 0, mez_audit_row_t);
    CU_ASSERT_STRING_EQUAL(row->action, "migration.advance");
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"from_state\":\"INITIATED\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"to_state\":\"COMPLIANCE_CHECK\""));
    /* refused (a stale read): no step, no row */
    before = rows(db);
    CU_ASSERT_EQUAL(move(p, db, &stale, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(rows(db), before);
    /* no audit event: refused, nothing written */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_migration_move(p, db, &m, MEZ_MIGRATION_EV_CANCEL, NOW, parse("{}"), NULL, NULL, NULL, &pb),
                    MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    CU_ASSERT_EQUAL(rows(db), before);
    CU_ASSERT_STRING_EQUAL(m.state_name, "COMPLIANCE_CHECK");
    CU_ASSERT_EQUAL_FATAL(mez_audit_verify(p, db, &rep, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rep.findings->nelts, 0);
    CU_ASSERT_EQUAL(rep.rows, first + 1);   /* the corridor's creation and the two steps */
}

void unit_register_migration(void)
{
    CU_pSuite s = unit_suite("migration");
    CU_add_test(s, "deadline", test_deadline);
    CU_add_test(s, "initiate once per entity", test_initiate_once_per_entity);
    CU_add_test(s, "moves follow the machine", test_moves_follow_the_machine);
    CU_add_test(s, "cancel from SOURCE_LOCKED names the unlock", test_cancel_from_locked_names_the_unlock);
    CU_add_test(s, "same name", test_same_name);
    CU_add_test(s, "every step is audited in its transaction", test_steps_are_audited);
}
