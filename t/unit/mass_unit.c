/* mass_unit.c: the shared helpers of the Mass store suites (see mass_unit.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <CUnit/CUnit.h>
#include "mez/json.h"
#include "mez/store.h"
#include "mass_unit.h"
#include "unit.h"

mez_db_t *mass_unit_db(void)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    const char *dir = unit_tmpdir(), *sql = getenv("MEZ_SQL_SOURCE");
    int from, to;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_db_open(unit_pool(), "sqlite3", apr_pstrcat(unit_pool(), dir, "/m.sqlite", NULL), &db,
                                      &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_migrate(unit_pool(), db, sql && *sql ? sql : "sql", &from, &to, &pb), MEZ_OK);
    return db;
}

void mass_unit_entity(mez_db_t *db, const char *entity_id, const char *status)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(unit_pool(), db, NULL,
                                       "INSERT INTO mez_mass_entity (entity_id, entity_type, legal_name, name_key, "
                                       "jurisdiction_id, status, doc, created_at, updated_at) VALUES (%s, 'company', "
                                       "%s, %s, 'PK', %s, '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                                       &pb, entity_id, entity_id, entity_id, status, NULL), MEZ_OK);
}

json_t *mass_unit_call(mez_db_t *db, long now, const char *method, const char *path, const char *body,
                       const char *key, int *status)
{
    return mass_unit_call_tz(db, NULL, now, method, path, body, key, status);
}

static json_t *call(mez_db_t *db, const mez_mass_store_ctx_t *ctx, const char *method, const char *path,
                    const char *body, const char *key, int *status);

json_t *mass_unit_call_tz(mez_db_t *db, const struct mez_tz_t *tz, long now, const char *method, const char *path,
                          const char *body, const char *key, int *status)
{
    mez_mass_store_ctx_t ctx = { "test-zone", "PK", apr_time_from_sec(now), NULL, tz, NULL };
    return call(db, &ctx, method, path, body, key, status);
}

json_t *mass_unit_call_as(mez_db_t *db, const char *caller_zone, long now, const char *method, const char *path,
                          const char *body, int *status)
{
    mez_mass_store_ctx_t ctx = { "test-zone", "PK", apr_time_from_sec(now), NULL, NULL, NULL };
    ctx.caller = caller_zone ? apr_pstrcat(unit_pool(), "tok_", caller_zone, NULL) : NULL;
    ctx.caller_zone_id = caller_zone;
    return call(db, &ctx, method, path, body, NULL, status);
}

static json_t *call(mez_db_t *db, const mez_mass_store_ctx_t *ctx, const char *method, const char *path,
                    const char *body, const char *key, int *status)
{
    apr_pool_t *p = unit_pool();
    mez_mass_request_t req = { method, path, NULL, NULL, key };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    mez_db_tx_t *tx = NULL;
    json_t *doc = NULL;
    const char *q = strchr(path, '?');
    if (q) {
        req.path = apr_pstrndup(p, path, (apr_size_t)(q - path));
        req.query = q + 1;
    }
    if (body) {
        CU_ASSERT_EQUAL_FATAL(mez_json_parse(p, body, strlen(body), &doc, &pb), MEZ_OK);
        req.body = doc;
    }
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(p, db, &tx, &pb), MEZ_OK);
    if (mez_mass_store_handle(p, db, ctx, &req, &resp, &pb) != MEZ_OK) {
        mez_db_rollback(p, tx);
        *status = pb.status ? pb.status : 500;
        return mez_json_pool_own(p, json_pack("{s:s,s:s}", "code", pb.code ? pb.code : "", "detail",
                                              pb.detail ? pb.detail : ""));
    }
    mez_json_pool_own(p, resp.body);
    if (resp.status >= 400)
        mez_db_rollback(p, tx);
    else
        CU_ASSERT_EQUAL(mez_db_commit(p, tx, &pb), MEZ_OK);
    *status = resp.status;
    return resp.body;
}

long mass_unit_count(mez_db_t *db, const char *table_or_sql)
{
    mez_problem_t pb = { 0 };
    const char *v = NULL;
    const char *sql = strncmp(table_or_sql, "SELECT", 6) ? apr_pstrcat(unit_pool(), "SELECT COUNT(*) FROM ",
                                                                       table_or_sql, NULL) : table_or_sql;
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &v, sql, &pb, NULL), MEZ_OK);
    return v && *v ? atol(v) : 0;
}

const char *mass_unit_str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}
