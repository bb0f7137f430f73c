/* test_register_summary.c: CUnit suite for the registers at a glance (mez_orch_register_summary, mez/orchestrate.h)
 * on a migrated SQLite database: entities formed in the sovereign store (and one of another jurisdiction, which
 * is not the zone's) and licences, counted by the store; then the same register read page by page as a remote
 * primitive is (the zone's Mass gateway pointed at the same store), which must give the same numbers. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/orchestrate.h"
#include "mass_unit.h"
#include "unit.h"

#define T0 1767225600L   /* 2026-01-01T00:00:00Z */

static const char *form(mez_db_t *db, const char *name, const char *type)
{
    int st = 0;
    json_t *e = mass_unit_call(db, T0, "POST", "/v1/entities",
                               apr_psprintf(unit_pool(), "{\"entity_type\":\"%s\",\"legal_name\":\"%s\"}", type, name),
                               NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    return apr_pstrdup(unit_pool(), mass_unit_str(e, "entity_id"));
}

static void move(mez_db_t *db, const char *id, const char *target)
{
    int st = 0;
    mass_unit_call(db, T0 + 10, "PUT", apr_pstrcat(unit_pool(), "/v1/entities/", id, "/status", NULL),
                   apr_psprintf(unit_pool(), "{\"target_status\":\"%s\",\"reason\":\"test\"}", target), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
}

static void licence(mez_db_t *db, const char *id, const char *entity, const char *type, const char *status)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL,
                                       "INSERT INTO mez_licence (licence_id, entity_id, licence_type, status, doc, "
                                       "created_at, updated_at) VALUES (%s, %s, %s, %s, '{}', '2026-01-01T00:00:00Z', "
                                       "'2026-01-01T00:00:00Z')", &pb, id, entity, type, status, NULL), MEZ_OK);
}

/* The zone's Mass gateway as a remote primitive is reached: each call a request of its own, answered by the
 * store (which here happens to be the same database), the page size the caller asked. */
static int pages_read;
static mez_status_t remote_call(void *baton, apr_pool_t *p, mez_db_t *db, const mez_mass_request_t *req,
                                mez_mass_response_t *resp, mez_problem_t *pb)
{
    mez_mass_store_ctx_t ctx = { "test-zone", "PK", apr_time_from_sec(T0 + 100), NULL, NULL, NULL };
    (void)baton;
    pages_read++;
    return mez_mass_store_handle(p, db, &ctx, req, resp, pb);
}

static int always_remote(void *baton, mez_mass_primitive_t prim)
{
    (void)baton;
    return prim == MEZ_MASS_ENTITIES;
}

static json_int_t count_of(const json_t *tally, const char *member, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(tally, member), key));
}

static void test_the_registers_counted(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    mez_orch_zone_t z = { 0 };
    const char *a, *b, *c;
    json_t *s, *e, *l, *remote;

    z.zone_id = "PK";        /* the jurisdiction mass_unit_call forms its entities in */
    /* Empty: every state present, all 0. */
    CU_ASSERT_EQUAL_FATAL(mez_orch_register_summary(&z, p, db, &s, &pb), MEZ_OK);
    e = json_object_get(s, "entities");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "total")), 0);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(e, "by_status")), 8);
    CU_ASSERT_EQUAL(count_of(e, "by_status", "ACTIVE"), 0);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(json_object_get(s, "licences"), "by_status")), 8);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(e, "register"), "sovereign");

    a = form(db, "Summary One Ltd", "llc");
    b = form(db, "Summary Two Ltd", "llc");
    c = form(db, "Summary Three Ltd", "corporation");
    move(db, a, "ACTIVE");
    move(db, b, "ACTIVE");
    move(db, b, "SUSPENDED");
    /* Another jurisdiction's entity is not this zone's. */
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(p, db, NULL, "INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, "
                                       "name_key, jurisdiction_id, status, doc, created_at, updated_at) VALUES "
                                       "('ent_elsewhere', 'llc', 'Elsewhere Ltd', 'elsewhere ltd', 'AE', 'ACTIVE', "
                                       "'{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", &pb, NULL), MEZ_OK);
    licence(db, "lic_1", a, "pk-secp:nbfc", "ACTIVE");
    licence(db, "lic_2", b, "pk-secp:nbfc", "SUSPENDED");
    licence(db, "lic_3", c, "pk-secp:private-limited-company", "APPLIED");

    CU_ASSERT_EQUAL_FATAL(mez_orch_register_summary(&z, p, db, &s, &pb), MEZ_OK);
    e = json_object_get(s, "entities");
    l = json_object_get(s, "licences");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "total")), 3);
    CU_ASSERT_EQUAL(count_of(e, "by_status", "ACTIVE"), 1);
    CU_ASSERT_EQUAL(count_of(e, "by_status", "SUSPENDED"), 1);
    CU_ASSERT_EQUAL(count_of(e, "by_status", mass_unit_str(mass_unit_call(db, T0, "GET",
                    apr_pstrcat(p, "/v1/entities/", c, NULL), NULL, NULL, &(int){ 0 }), "status")), 1);
    CU_ASSERT_EQUAL(count_of(e, "by_type", "llc"), 2);
    CU_ASSERT_EQUAL(count_of(e, "by_type", "corporation"), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(l, "total")), 3);
    CU_ASSERT_EQUAL(count_of(l, "by_status", "ACTIVE"), 1);
    CU_ASSERT_EQUAL(count_of(l, "by_status", "REVOKED"), 0);
    CU_ASSERT_EQUAL(count_of(l, "by_type", "pk-secp:nbfc"), 2);
    CU_ASSERT_TRUE(json_is_true(json_object_get(e, "complete")));

    /* The same register read as a remote one: page by page through the gateway, the same numbers. */
    z.mass_call = remote_call;
    z.mass_is_remote = always_remote;
    pages_read = 0;
    CU_ASSERT_EQUAL_FATAL(mez_orch_register_summary(&z, p, db, &remote, &pb), MEZ_OK);
    CU_ASSERT_TRUE(pages_read >= 1);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(remote, "entities"), "register"), "remote");
    json_object_set_new(json_object_get(remote, "entities"), "register", json_string("sovereign"));
    CU_ASSERT_TRUE(json_equal(json_object_get(remote, "entities"), e));
}

void unit_register_register_summary(void)
{
    CU_pSuite s = unit_suite("register summary");
    CU_add_test(s, "the registers counted, by the store and through a remote gateway", test_the_registers_counted);
}
