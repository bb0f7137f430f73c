/* test_mass_entities.c: CUnit suite for the sovereign store's entities and identity primitives, driven through
 * mez_mass_store_handle on a migrated SQLite database (mass_unit.h): formation and name uniqueness, the status
 * lifecycle, beneficial owners, officers, the dissolution saga with its statutory periods (the request time is
 * moved forward, as only a unit test can), persons, identifiers, verifications and bindings. Every refusal is
 * checked for its code and pointer and for leaving the row counts as they were. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "mass_unit.h"
#include "unit.h"

#define T0 1767225600L   /* 2026-01-01T00:00:00Z */
#define DAY 86400L

static const char *S(const json_t *o, const char *name)
{
    return mass_unit_str(o, name);
}

/* Counts of every table these primitives write, as one string, to compare before and after a refusal. */
static const char *counts(mez_db_t *db)
{
    static const char *const tables[] = { "mez_mass_entity", "mez_mass_entity_officer", "mez_mass_entity_owner",
                                          "mez_mass_entity_history", "mez_mass_entity_dissolution",
                                          "mez_mass_person", "mez_mass_person_identifier",
                                          "mez_mass_person_verification", "mez_mass_identity_binding",
                                          "mez_idempotency", NULL };
    const char *s = "";
    for (const char *const *t = tables; *t; t++)
        s = apr_psprintf(unit_pool(), "%s%ld ", s, mass_unit_count(db, *t));
    return s;
}

/* The refusal (returned), on the calendar tz (NULL: none known). */
static json_t *expect_refusal_tz(mez_db_t *db, const mez_tz_t *tz, long now, const char *method, const char *path,
                                 const char *body, int status, const char *code, const char *pointer)
{
    const char *before = counts(db);
    int st = 0;
    json_t *r = mass_unit_call_tz(db, tz, now, method, path, body, NULL, &st);
    CU_ASSERT_EQUAL(st, status);
    CU_ASSERT_STRING_EQUAL(S(r, "code"), code);
    if (pointer)
        CU_ASSERT_STRING_EQUAL(S(r, "pointer"), pointer);
    CU_ASSERT_STRING_EQUAL(counts(db), before);
    if (st != status || strcmp(S(r, "code"), code))
        fprintf(stderr, "\n  %s %s -> %d %s\n", method, path, st, mez_json_dump(unit_pool(), r, 0));
    return r;
}

static json_t *expect_refusal(mez_db_t *db, long now, const char *method, const char *path, const char *body,
                              int status, const char *code, const char *pointer)
{
    return expect_refusal_tz(db, NULL, now, method, path, body, status, code, pointer);
}

static json_t *ok_call_tz(mez_db_t *db, const mez_tz_t *tz, long now, const char *method, const char *path,
                          const char *body, int want)
{
    int st = 0;
    json_t *r = mass_unit_call_tz(db, tz, now, method, path, body, NULL, &st);
    CU_ASSERT_EQUAL(st, want);
    if (st != want)
        fprintf(stderr, "\n  %s %s -> %d %s\n", method, path, st, mez_json_dump(unit_pool(), r, 0));
    return r;
}

static json_t *ok_call(mez_db_t *db, long now, const char *method, const char *path, const char *body, int want)
{
    return ok_call_tz(db, NULL, now, method, path, body, want);
}

static const char *form(mez_db_t *db, const char *name)
{
    json_t *r = ok_call(db, T0, "POST", "/v1/entities",
                        apr_psprintf(unit_pool(), "{\"entity_type\":\"llc\",\"legal_name\":\"%s\","
                                     "\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\"}]}", name),
                        201);
    return apr_pstrdup(unit_pool(), S(r, "entity_id"));
}

static const char *put_status(const char *id)
{
    return apr_pstrcat(unit_pool(), "/v1/entities/", id, "/status", NULL);
}

static void test_formation(void)
{
    mez_db_t *db = mass_unit_db();
    json_t *e = ok_call(db, T0, "POST", "/v1/entities",
                        "{\"entity_type\":\"llc\",\"legal_name\":\"Acme  Trading LLC\",\"trading_name\":\"Acme\","
                        "\"registered_office\":{\"address_line_1\":\"1 Road\",\"city\":\"Karachi\","
                        "\"country_code\":\"PK\"},\"share_capital\":{\"authorized_amount\":\"10000\","
                        "\"issued_amount\":\"1000.50\",\"currency\":\"PKR\"},"
                        "\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\"},"
                        "{\"name\":\"Sam Secretary\",\"role\":\"secretary\",\"nationality\":\"PK\"}],"
                        "\"beneficial_owners\":[{\"name\":\"Jane Director\",\"ownership_percentage\":\"60\","
                        "\"control_type\":\"direct\"},{\"name\":\"Ali\",\"ownership_percentage\":\"35.5\","
                        "\"control_type\":\"indirect\"}],\"metadata\":{\"k\":1}}", 201);
    const char *id = S(e, "entity_id");
    json_t *h = json_object_get(e, "history");
    CU_ASSERT_EQUAL(strlen(id), 68);
    CU_ASSERT_EQUAL(strncmp(id, "ent_", 4), 0);
    CU_ASSERT_STRING_EQUAL(S(e, "status"), "PENDING_APPROVAL");
    CU_ASSERT_STRING_EQUAL(S(e, "jurisdiction_id"), "PK");
    CU_ASSERT_STRING_EQUAL(S(e, "created_at"), "2026-01-01T00:00:00Z");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(e, "directors")), 2);
    CU_ASSERT_EQUAL(json_array_size(h), 1);
    CU_ASSERT_STRING_EQUAL(S(json_array_get(h, 0), "from_status"), "DRAFT");
    CU_ASSERT_STRING_EQUAL(S(json_array_get(h, 0), "to_status"), "PENDING_APPROVAL");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity"), 1);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity_officer"), 2);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity_owner"), 2);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT ownership_ppm FROM mez_mass_entity_owner WHERE seq = 2"), 355000);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_entity WHERE status = 'PENDING_APPROVAL'"),
                    1);
    /* The stored document is what GET answers. */
    {
        json_t *g = ok_call(db, T0 + 5, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", id, NULL), NULL, 200);
        CU_ASSERT_TRUE(json_equal(g, e));
    }
    /* The same name, folded, in the same jurisdiction: refused, nothing written. In another: fine. */
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\" acme TRADING llc\"}",
                   409, "entity.name_taken", "/legal_name");
    ok_call(db, T0, "POST", "/v1/entities",
            "{\"entity_type\":\"llc\",\"legal_name\":\"Acme Trading LLC\",\"jurisdiction_id\":\"AE\"}", 201);
}

static void test_formation_refusals(void)
{
    mez_db_t *db = mass_unit_db();
    form(db, "Existing Co");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\"}", 422, "request.missing_field",
                   "/legal_name");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":7}", 422,
                   "request.invalid_type", "/legal_name");
    /* The store's own check (what `mez mass call --driver` meets; over HTTP mod_mez refuses first): a NUL would cut
     * the name short, so "X\u0000Y" is refused at its member, nothing written. */
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"X\\u0000Y\"}", 422,
                   "request.invalid_characters", "/legal_name");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"colour\":1}",
                   422, "request.unknown_field", "/colour");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"gmbh\",\"legal_name\":\"X\"}", 422,
                   "request.invalid_value", "/entity_type");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"   \"}", 422,
                   "request.empty_value", "/legal_name");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   apr_psprintf(unit_pool(), "{\"entity_type\":\"llc\",\"legal_name\":\"%0501d\"}", 0), 422,
                   "request.too_long", "/legal_name");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"X\\u0007\"}", 422,
                   "request.invalid_characters", "/legal_name");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"beneficial_owners\":[{\"name\":\"A\","
                   "\"ownership_percentage\":\"60\",\"control_type\":\"direct\"},{\"name\":\"B\","
                   "\"ownership_percentage\":\"40.0001\",\"control_type\":\"direct\"}]}",
                   422, "entity.ownership_exceeds_total", "/beneficial_owners/1/ownership_percentage");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"beneficial_owners\":[{\"name\":\"A\","
                   "\"ownership_percentage\":\"1e2\",\"control_type\":\"direct\"}]}",
                   422, "request.invalid_decimal", "/beneficial_owners/0/ownership_percentage");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"beneficial_owners\":[{\"name\":\"A\","
                   "\"ownership_percentage\":\"0\",\"control_type\":\"direct\"}]}",
                   422, "entity.invalid_percentage", "/beneficial_owners/0/ownership_percentage");
    expect_refusal(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"directors\":[]}",
                   422, "request.too_few_items", "/directors");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"directors\":[{\"name\":\"D\",\"role\":\"king\"}]}",
                   422, "request.invalid_value", "/directors/0/role");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"directors\":[{\"name\":\"D\",\"role\":\"director\","
                   "\"identity_ref\":\"per_0000000000000000000000000000000000000000000000000000000000000000\"}]}",
                   422, "identity.unknown_person", "/directors/0/identity_ref");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"share_capital\":{\"authorized_amount\":\"10\","
                   "\"issued_amount\":\"11\"}}", 422, "entity.issued_exceeds_authorized", "/share_capital/issued_amount");
    expect_refusal(db, T0, "POST", "/v1/entities",
                   "{\"entity_type\":\"llc\",\"legal_name\":\"X\",\"registered_office\":{\"address_line_1\":\"a\","
                   "\"city\":\"b\",\"country_code\":\"pk\"}}", 422, "request.invalid_value",
                   "/registered_office/country_code");
    expect_refusal(db, T0, "GET", "/v1/entities/ent_nope", NULL, 404, "mass.not_found", NULL);
    expect_refusal(db, T0, "DELETE", "/v1/entities", NULL, 405, "request.method_not_allowed", NULL);
    expect_refusal(db, T0, "GET", "/v1/entities?status=ALIVE", NULL, 422, "request.invalid_query", NULL);
}

static void test_status_lifecycle(void)
{
    mez_db_t *db = mass_unit_db();
    const char *id = form(db, "Lifecycle Co"), *path = put_status(id);
    json_t *e = ok_call(db, T0 + 10, "PUT", path, "{\"target_status\":\"ACTIVE\",\"reason\":\"evaluation passed\","
                        "\"evidence\":[{\"type\":\"VerifiableCredential\",\"credential_ref\":{\"digest_sha256\":"
                        "\"a1b2c3d4e5f60718293a4b5c6d7e8f901234567890abcdef1234567890abcdef\",\"artifact_type\":"
                        "\"vc\"}},{\"inline_vc\":{\"a\":1}}]}", 200);
    json_t *last;
    CU_ASSERT_STRING_EQUAL(S(e, "status"), "ACTIVE");
    CU_ASSERT_STRING_EQUAL(S(e, "formation_date"), "2026-01-01");
    last = json_array_get(json_object_get(e, "history"), 1);
    CU_ASSERT_STRING_EQUAL(S(last, "reason"), "evaluation passed");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(last, "evidence_refs")), 2);
    ok_call(db, T0 + 20, "PUT", path, "{\"target_status\":\"SUSPENDED\"}", 200);
    /* SUSPENDED cannot go back to PENDING_APPROVAL: the 409 names the state and what is allowed from it. */
    {
        const char *before = counts(db);
        int st;
        json_t *r = mass_unit_call(db, T0 + 30, "PUT", path, "{\"target_status\":\"PENDING_APPROVAL\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 409);
        CU_ASSERT_STRING_EQUAL(S(r, "code"), "lifecycle.illegal_transition");
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "SUSPENDED"));
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "reinstate (-> ACTIVE)"));
        CU_ASSERT_STRING_EQUAL(counts(db), before);
    }
    expect_refusal(db, T0 + 30, "PUT", path, "{\"target_status\":\"ZOMBIE\"}", 422, "lifecycle.unknown_state",
                   "/target_status");
    expect_refusal(db, T0 + 30, "PUT", path, "{\"target_status\":\"ACTIVE\",\"effective_at\":\"2030-01-01T00:00:00Z\"}",
                   422, "entity.effective_at_out_of_order", "/effective_at");
    ok_call(db, T0 + 40, "PUT", path, "{\"target_status\":\"ACTIVE\"}", 200);
    expect_refusal(db, T0 + 50, "PUT", path, "{\"target_status\":\"DISSOLVING\"}", 422, "entity.use_dissolution_route",
                   "/target_status");
    e = ok_call(db, T0 + 60, "PUT", path, "{\"target_status\":\"STRUCK_OFF\"}", 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(e, "history")), 5);
    /* Terminal: nothing leaves it, and its name is free again. */
    {
        int st;
        json_t *r = mass_unit_call(db, T0 + 70, "PUT", path, "{\"target_status\":\"ACTIVE\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 409);
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "terminal"));
    }
    form(db, "lifecycle  co");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity"), 2);
    /* Listing with filters. */
    {
        json_t *l = ok_call(db, T0, "GET", "/v1/entities?status=STRUCK_OFF&jurisdiction_id=PK", NULL, 200);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(l, "count")), 1);
        l = ok_call(db, T0, "GET", "/v1/entities?limit=1", NULL, 200);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "entities")), 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(json_object_get(l, "next_cursor"));
        l = ok_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/entities?limit=1&cursor=",
                                               S(l, "next_cursor"), NULL), NULL, 200);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(l, "entities")), 1);
        CU_ASSERT_PTR_NULL(json_object_get(l, "next_cursor"));
    }
}

static void test_officers(void)
{
    mez_db_t *db = mass_unit_db();
    const char *id = form(db, "Officer Co"), *base = apr_pstrcat(unit_pool(), "/v1/entities/", id, "/officers", NULL);
    json_t *o = ok_call(db, T0, "POST", base, "{\"name\":\"New Director\",\"role\":\"director\"}", 201), *e;
    const char *oid = apr_pstrdup(unit_pool(), S(o, "officer_id"));
    CU_ASSERT_EQUAL(strncmp(oid, "off_", 4), 0);
    CU_ASSERT_EQUAL(json_is_true(json_object_get(o, "active")), 1);
    e = ok_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", id, NULL), NULL, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(e, "directors")), 2);
    o = ok_call(db, T0 + 5, "POST", apr_pstrcat(unit_pool(), base, "/", oid, "/resign", NULL),
                "{\"reason\":\"moving abroad\"}", 200);
    CU_ASSERT_STRING_EQUAL(S(o, "resigned_at"), "2026-01-01T00:00:05Z");
    e = ok_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", id, NULL), NULL, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(e, "directors")), 1);
    expect_refusal(db, T0 + 6, "POST", apr_pstrcat(unit_pool(), base, "/", oid, "/resign", NULL), "{}", 409,
                   "entity.officer_resigned", NULL);
    expect_refusal(db, T0 + 6, "POST", apr_pstrcat(unit_pool(), base, "/off_x/resign", NULL), "{}", 404,
                   "mass.not_found", NULL);
    o = ok_call(db, T0, "GET", base, NULL, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "officers")), 2);
}

static void test_dissolution(void)
{
    mez_db_t *db = mass_unit_db();
    const char *id = form(db, "Wind Up Co"), *base = apr_pstrcat(unit_pool(), "/v1/entities/", id, "/dissolution",
                                                                   NULL);
    const char *init = "{\"dissolution_type\":\"voluntary\",\"reason\":\"done\",\"solvency_declaration\":{"
                       "\"declared_solvent\":true,\"directors_signing\":[{\"identity_ref\":\"did:example:d1\","
                       "\"signed_at\":\"2026-01-01T00:00:00Z\"}],\"statement_of_assets\":{\"total_assets\":\"500\","
                       "\"total_liabilities\":\"100\",\"currency\":\"PKR\"}},\"parameters\":{"
                       "\"creditor_notice_period_days\":30,\"strike_off_notice_period_days\":30}}";
    long now = T0 + DAY;
    json_t *d, *e, *r;
    int stage;
    /* Not ACTIVE yet: the lifecycle refuses, naming the state. */
    expect_refusal(db, now, "POST", apr_pstrcat(unit_pool(), base, "/initiate", NULL), init, 409,
                   "lifecycle.illegal_transition", NULL);
    ok_call(db, now, "PUT", put_status(id), "{\"target_status\":\"ACTIVE\"}", 200);
    expect_refusal(db, now, "POST", apr_pstrcat(unit_pool(), base, "/initiate", NULL),
                   "{\"dissolution_type\":\"voluntary\",\"reason\":\"done\"}", 422, "request.missing_field",
                   "/solvency_declaration");
    expect_refusal(db, T0 + 60 * DAY, "POST", apr_pstrcat(unit_pool(), base, "/initiate", NULL), init, 422,
                   "entity.solvency_declaration_stale", "/solvency_declaration/directors_signing/0/signed_at");
    expect_refusal(db, now, "GET", apr_pstrcat(unit_pool(), base, "/status", NULL), NULL, 404, "mass.not_found",
                   NULL);
    d = ok_call(db, now, "POST", apr_pstrcat(unit_pool(), base, "/initiate", NULL), init, 202);
    CU_ASSERT_STRING_EQUAL(S(d, "current_stage"), "board_resolution");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "stages")), 10);
    e = ok_call(db, now, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", id, NULL), NULL, 200);
    CU_ASSERT_STRING_EQUAL(S(e, "status"), "DISSOLVING");
    CU_ASSERT_STRING_EQUAL(S(e, "dissolution_ref"), S(d, "dissolution_id"));
    for (stage = 1; stage <= 3; stage++)
        ok_call(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL), "{}", 200);
    /* Stage 4: the creditors' claims window (30 days here) must run out first. This store was given no calendar,
     * so the period is counted to have run everywhere: the stage began at 00:00 UTC on 2 January, which is 2
     * January at UTC+14 too, that day is not counted, the 30 days are 3 January to 1 February, and the last place
     * to reach 2 February (UTC-12) does so at 12:00 UTC: 31 x 24 hours and 12 hours after the stage began. */
    r = expect_refusal(db, now + 31 * DAY + 12 * 3600 - 1, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL),
                       "{}", 409, "entity.dissolution_period_running", NULL);
    CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_at"), "2026-02-02T12:00:00Z");
    CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_date"), "2026-02-02");
    CU_ASSERT_TRUE(json_is_null(json_object_get(r, "timezone")));
    CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "the start of 2026-02-02 at UTC-12, no zone calendar (this store "
                                                  "was given none"));
    CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "creditor_notice_period_days is 30 days from 2026-01-02"));
    now += 31 * DAY + 12 * 3600;
    d = ok_call(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL),
                "{\"outputs\":[{\"digest_sha256\":\"a1b2c3d4e5f60718293a4b5c6d7e8f901234567890abcdef1234567890abcdef\","
                "\"artifact_type\":\"document\"}]}", 200);
    CU_ASSERT_STRING_EQUAL(S(d, "current_stage"), "realize_assets");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "documents_produced")), 1);
    for (stage = 5; stage <= 9; stage++)
        ok_call(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL), "{}", 200);
    /* Stage 10: no sooner than 90 days (the default) from the day of initiation, that day not counted (its 30
     * days of strike-off notice from 2 February end in March). */
    expect_refusal(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL), "{}", 409,
                   "entity.dissolution_period_running", NULL);
    r = expect_refusal(db, T0 + DAY + 91 * DAY + 12 * 3600 - 1, "POST", apr_pstrcat(unit_pool(), base, "/advance",
                                                                                   NULL), "{}",
                       409, "entity.dissolution_period_running", NULL);
    CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_at"), "2026-04-03T12:00:00Z");
    CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), "the day the dissolution began"));
    now = T0 + DAY + 91 * DAY + 12 * 3600;
    d = ok_call(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL), "{}", 200);
    CU_ASSERT_STRING_EQUAL(S(d, "overall_status"), "completed");
    CU_ASSERT_STRING_EQUAL(S(d, "current_stage"), "dissolution");
    e = ok_call(db, now, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", id, NULL), NULL, 200);
    CU_ASSERT_STRING_EQUAL(S(e, "status"), "DISSOLVED");
    expect_refusal(db, now, "POST", apr_pstrcat(unit_pool(), base, "/advance", NULL), "{}", 409,
                   "lifecycle.illegal_transition", NULL);
}

/* The estimated completion date counts from today on the zone's calendar: a dissolution begun at 20:00 UTC on 30
 * June is begun on 1 July in Karachi, and its estimate is a day later than the same dissolution's in UTC. Before,
 * it was the UTC date whatever the zone. */
static void test_dissolution_estimate_is_on_the_zones_calendar(void)
{
    static const long at = 1782849600L;         /* 2026-06-30T20:00:00Z: 01:00 on 1 July in Karachi */
    const char *init = "{\"dissolution_type\":\"voluntary\",\"reason\":\"done\",\"solvency_declaration\":{"
                       "\"declared_solvent\":true,\"directors_signing\":[{\"identity_ref\":\"did:example:d1\","
                       "\"signed_at\":\"2026-06-30T12:00:00Z\"}],\"statement_of_assets\":{\"total_assets\":\"500\","
                       "\"total_liabilities\":\"100\",\"currency\":\"PKR\"}}}";
    const mez_tz_t *pk = NULL;
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    const mez_tz_t *zones[2];
    const char *expect[2];
    json_t *est;
    long typical;
    int st = 0;

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    zones[0] = pk;
    zones[1] = NULL;
    for (int i = 0; i < 2; i++) {
        const char *id = form(db, i ? "Wind Up UTC Co" : "Wind Up Karachi Co");
        json_t *d;
        ok_call(db, T0, "PUT", put_status(id), "{\"target_status\":\"ACTIVE\"}", 200);
        d = mass_unit_call_tz(db, zones[i], at, "POST", apr_pstrcat(unit_pool(), "/v1/entities/", id,
                                                                    "/dissolution/initiate", NULL), init, NULL, &st);
        CU_ASSERT_EQUAL_FATAL(st, 202);
        est = json_object_get(d, "estimated_completion");
        typical = (long)json_integer_value(json_object_get(est, "typical_days"));
        CU_ASSERT_TRUE_FATAL(typical > 0);
        /* counted from 1 July (Karachi) or 30 June (UTC), midnight UTC of that day being 1782864000 or less a day */
        expect[i] = mez_tz_date(unit_pool(), NULL, apr_time_from_sec(1782864000L - i * DAY + typical * DAY));
        CU_ASSERT_STRING_EQUAL(S(est, "estimated_completion_date"), expect[i]);
    }
    CU_ASSERT_STRING_NOT_EQUAL(expect[0], expect[1]);
    /* A minimum period longer than the typical one: the estimate is the day the last stage may complete, as the
     * store counts it (1 July, the day begun, not counted, on Karachi's calendar; without a calendar the period
     * run everywhere: begun on 1 July at UTC+14 too, so the same day), 401 days on. */
    for (int i = 0; i < 2; i++) {
        const char *id = form(db, i ? "Long Wind Up UTC Co" : "Long Wind Up Karachi Co");
        const char *body = apr_pstrcat(unit_pool(), apr_pstrndup(unit_pool(), init, strlen(init) - 1),
                                       ",\"parameters\":{\"minimum_liquidation_period_days\":400}}", NULL);
        json_t *d;
        ok_call(db, T0, "PUT", put_status(id), "{\"target_status\":\"ACTIVE\"}", 200);
        d = mass_unit_call_tz(db, zones[i], at, "POST", apr_pstrcat(unit_pool(), "/v1/entities/", id,
                                                                    "/dissolution/initiate", NULL), body, NULL, &st);
        CU_ASSERT_EQUAL_FATAL(st, 202);
        est = json_object_get(d, "estimated_completion");
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(est, "minimum_days")), 400);
        CU_ASSERT_STRING_EQUAL(S(est, "estimated_completion_date"),
                               mez_date_of_day(unit_pool(), mez_days_from_civil(2026, 7, 1) + 401));
    }
}

/* A dissolution begun, and its notify_creditors stage begun, at 23:30 on 1 March in Karachi (18:30 UTC), with a
 * 90-day creditors' window and the default 90-day minimum liquidation period. On Karachi's calendar the day it
 * began (1 March) is not counted, the 90 days are 2 March to 30 May, and the stage may complete from 00:00 on 31 May
 * there: 2026-05-30T19:00:00Z, refused a second before, allowed at it. 90 x 24 hours (what the store counted
 * before) ended at 2026-05-30T18:30:00Z, 23:30 on the 90th day, and let it complete then. In a UTC zone 1 March
 * is the day it began there too, and the stage completes from 2026-05-31T00:00:00Z. A store given no calendar
 * (which says so) counts so that the period has run everywhere: from 2 March (the date at UTC+14 when it began)
 * to 00:00 on 1 June at UTC-12, 2026-06-01T12:00:00Z. Whatever is refused writes nothing. */
static void test_dissolution_periods_on_the_zones_calendar(void)
{
    static const long began = 1772389800L;      /* 2026-03-01T18:30:00Z: 23:30 on 1 March in Karachi */
    static const long karachi = 1780167600L;    /* 2026-05-30T19:00:00Z: 00:00 on 31 May in Karachi */
    static const long utc = 1780185600L;        /* 2026-05-31T00:00:00Z */
    static const long hours = 1780165800L;      /* 2026-05-30T18:30:00Z: began + 90 x 24 h */
    static const long anywhere = 1780315200L;   /* 2026-06-01T12:00:00Z: 00:00 on 1 June at UTC-12 */
    const char *init = "{\"dissolution_type\":\"voluntary\",\"reason\":\"done\",\"solvency_declaration\":{"
                       "\"declared_solvent\":true,\"directors_signing\":[{\"identity_ref\":\"did:example:d1\","
                       "\"signed_at\":\"2026-03-01T18:00:00Z\"}],\"statement_of_assets\":{\"total_assets\":\"500\","
                       "\"total_liabilities\":\"100\",\"currency\":\"PKR\"}},\"parameters\":{"
                       "\"creditor_notice_period_days\":90}}";
    const mez_tz_t *pk = NULL;
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    struct { const mez_tz_t *tz; long earliest, struck_off; const char *name, *date, *from, *stage_from; } zones[3];

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    zones[0].tz = pk, zones[0].earliest = karachi, zones[0].name = "Asia/Karachi";
    zones[1].tz = mez_tz_utc(), zones[1].earliest = utc, zones[1].name = "UTC";
    zones[2].tz = NULL, zones[2].earliest = anywhere, zones[2].name = NULL;
    zones[0].date = zones[1].date = "2026-05-31", zones[2].date = "2026-06-01";
    zones[0].from = zones[1].from = "2026-03-01", zones[2].from = "2026-03-02";
    zones[0].struck_off = 1788030000L;          /* 2026-08-29T19:00:00Z: 00:00 on 30 August in Karachi */
    zones[1].struck_off = 1788048000L;          /* 2026-08-30T00:00:00Z */
    zones[2].struck_off = 1788264000L;          /* 2026-09-01T12:00:00Z: 00:00 on 1 September at UTC-12 */
    zones[0].stage_from = zones[1].stage_from = "2026-05-31", zones[2].stage_from = "2026-06-02";
    for (int i = 0; i < 3; i++) {
        const mez_tz_t *tz = zones[i].tz;
        const char *id = form(db, apr_psprintf(unit_pool(), "Calendar Wind Up %d Co", i));
        const char *adv = apr_pstrcat(unit_pool(), "/v1/entities/", id, "/dissolution/advance", NULL);
        const char *at = mez_time_stamp(unit_pool(), apr_time_from_sec(zones[i].earliest));
        json_t *r, *d;
        ok_call(db, T0, "PUT", put_status(id), "{\"target_status\":\"ACTIVE\"}", 200);
        d = ok_call_tz(db, tz, began, "POST", apr_pstrcat(unit_pool(), "/v1/entities/", id, "/dissolution/initiate",
                                                           NULL), init, 202);
        CU_ASSERT_STRING_EQUAL(S(d, "initiated_at"), "2026-03-01T18:30:00Z");
        for (int stage = 1; stage <= 3; stage++)
            ok_call_tz(db, tz, began, "POST", adv, "{}", 200);
        /* 90 x 24 hours on is still the 90th day of the window in Karachi, and in UTC. */
        expect_refusal_tz(db, tz, hours, "POST", adv, "{}", 409, "entity.dissolution_period_running", NULL);
        r = expect_refusal_tz(db, tz, zones[i].earliest - 1, "POST", adv, "{}", 409,
                              "entity.dissolution_period_running", NULL);
        CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_at"), at);
        CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_date"), zones[i].date);
        if (zones[i].name) {
            CU_ASSERT_STRING_EQUAL(S(r, "timezone"), zones[i].name);
        } else {
            CU_ASSERT_TRUE(json_is_null(json_object_get(r, "timezone")));
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), apr_psprintf(unit_pool(), "cannot complete before %s, the "
                                                                   "start of %s %s", at, zones[i].date,
                                                                   zones[i].tz ? "on the" : "at UTC-12, no zone")));
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), apr_psprintf(unit_pool(), "creditor_notice_period_days is 90 "
                                                                   "days from %s", zones[i].from)));
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), zones[i].tz ? apr_psprintf(unit_pool(), "the %s calendar:",
                                                                                 zones[i].name)
                                                                  : "no zone calendar (this store was given none"));
        d = ok_call_tz(db, tz, zones[i].earliest, "POST", adv, "{}", 200);
        CU_ASSERT_STRING_EQUAL(S(d, "current_stage"), "realize_assets");
        /* The minimum liquidation period ran from the same day, but the last stage, begun now that the final
         * documents are filed, waits for the strike-off notice: 90 days from today (31 May; 2 June at UTC+14
         * without a calendar), today not counted. */
        for (int stage = 5; stage <= 9; stage++)
            ok_call_tz(db, tz, zones[i].earliest, "POST", adv, "{}", 200);
        r = expect_refusal_tz(db, tz, zones[i].struck_off - 1, "POST", adv, "{}", 409,
                              "entity.dissolution_period_running", NULL);
        CU_ASSERT_STRING_EQUAL(S(r, "earliest_completion_at"),
                               mez_time_stamp(unit_pool(), apr_time_from_sec(zones[i].struck_off)));
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), apr_psprintf(unit_pool(), "stage 10 (dissolution) cannot "
                                                                   "complete before")));
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), apr_psprintf(unit_pool(), "strike_off_notice_period_days is "
                                                                   "90 days from %s, the day the stage began",
                                                                   zones[i].stage_from)));
        d = ok_call_tz(db, tz, zones[i].struck_off, "POST", adv, "{}", 200);
        CU_ASSERT_STRING_EQUAL(S(d, "overall_status"), "completed");
    }
}

/* A solvency declaration holds for its validity period's days from the day it was signed, that day not counted:
 * signed at 23:30 on 1 March in Karachi, its 35 days are 2 March to 5 April, and it is stale from 00:00 on 6 April
 * there (2026-04-05T19:00:00Z), not from 23:30 on 5 April (35 x 24 hours); in UTC from 00:00 UTC on 6 April; in a
 * store given no calendar from the first place's 6 April (00:00 at UTC+14, 2026-04-05T10:00:00Z). */
static void test_solvency_validity_on_the_zones_calendar(void)
{
    const char *init = "{\"dissolution_type\":\"voluntary\",\"reason\":\"done\",\"solvency_declaration\":{"
                       "\"declared_solvent\":true,\"directors_signing\":[{\"identity_ref\":\"did:example:d1\","
                       "\"signed_at\":\"2026-03-01T18:30:00Z\"}],\"statement_of_assets\":{\"total_assets\":\"500\","
                       "\"total_liabilities\":\"100\",\"currency\":\"PKR\"}}}";
    static const long stale[3] = { 1775415600L,   /* 2026-04-05T19:00:00Z: 00:00 on 6 April in Karachi */
                                   1775433600L,   /* 2026-04-06T00:00:00Z */
                                   /* no calendar: signed on 1 March wherever it was signed (06:30 at UTC-12), so
                                    * stale from the first midnight of 6 April anywhere, 00:00 at UTC+14 */
                                   1775383200L }; /* 2026-04-05T10:00:00Z */
    const mez_tz_t *pk = NULL, *zones[3];
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    zones[0] = pk;
    zones[1] = mez_tz_utc();
    zones[2] = NULL;
    for (int i = 0; i < 3; i++) {
        const char *id = form(db, apr_psprintf(unit_pool(), "Solvent Calendar %d Co", i));
        const char *path = apr_pstrcat(unit_pool(), "/v1/entities/", id, "/dissolution/initiate", NULL);
        json_t *r;
        ok_call(db, T0, "PUT", put_status(id), "{\"target_status\":\"ACTIVE\"}", 200);
        r = expect_refusal_tz(db, zones[i], stale[i], "POST", path, init, 422, "entity.solvency_declaration_stale",
                              "/solvency_declaration/directors_signing/0/signed_at");
        CU_ASSERT_PTR_NOT_NULL(strstr(S(r, "detail"), mez_time_stamp(unit_pool(), apr_time_from_sec(stale[i]))));
        /* the second before: still valid (35 x 24 hours, 2026-04-05T18:30:00Z, has passed) */
        ok_call_tz(db, zones[i], stale[i] - 1, "POST", path, init, 202);
    }
}

static void test_identity(void)
{
    mez_db_t *db = mass_unit_db();
    const char *ent = form(db, "Identity Co"), *pid, *vpath;
    json_t *p = ok_call(db, T0, "POST", "/v1/identity/persons",
                        "{\"full_name\":\"Ayesha  Khan\",\"date_of_birth\":\"1990-05-01\",\"nationality\":\"PK\","
                        "\"identifiers\":[{\"scheme\":\"cnic\",\"value\":\"42101-1234567-1\"},"
                        "{\"scheme\":\"ntn\",\"value\":\"1234567-8\"},"
                        "{\"scheme\":\"passport\",\"value\":\"ab1234567\",\"issuing_country\":\"PK\"}]}", 201), *r;
    pid = apr_pstrdup(unit_pool(), S(p, "person_id"));
    CU_ASSERT_STRING_EQUAL(S(p, "verification_status"), "unverified");
    CU_ASSERT_STRING_EQUAL(S(json_array_get(json_object_get(p, "identifiers"), 0), "value"), "4210112345671");
    CU_ASSERT_STRING_EQUAL(S(json_array_get(json_object_get(p, "identifiers"), 2), "value"), "AB1234567");
    /* One identifier, one person: written differently, it is still taken. */
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"Someone Else\",\"identifiers\":[{\"scheme\":\"cnic\",\"value\":\"4210112345671\"}]}",
                   409, "identity.identifier_taken", "/identifiers/0/value");
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"X\",\"identifiers\":[{\"scheme\":\"ntn\",\"value\":\"1234567\"}]}",
                   409, "identity.identifier_taken", "/identifiers/0/value");
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"X\",\"identifiers\":[{\"scheme\":\"cnic\",\"value\":\"4210-11234567-1\"}]}",
                   422, "identity.invalid_identifier", "/identifiers/0/value");
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"X\",\"identifiers\":[{\"scheme\":\"emirates_id\",\"value\":\"784-1990-1234567-0\"}]}",
                   422, "identity.invalid_identifier", "/identifiers/0/value");
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"X\",\"identifiers\":[{\"scheme\":\"passport\",\"value\":\"AB12345\"}]}",
                   422, "request.missing_field", "/identifiers/0/issuing_country");
    expect_refusal(db, T0, "POST", "/v1/identity/persons",
                   "{\"full_name\":\"X\",\"identifiers\":[{\"scheme\":\"cnic\",\"value\":\"4210112345672\","
                   "\"issuing_country\":\"IN\"}]}", 422, "identity.issuing_country_mismatch",
                   "/identifiers/0/issuing_country");
    /* Valid check digits for the schemes that carry one: Luhn for the Emirates ID, mod 11 for the IIN. */
    ok_call(db, T0, "POST", "/v1/identity/persons",
            "{\"full_name\":\"Omar\",\"identifiers\":[{\"scheme\":\"emirates_id\",\"value\":\"784199012345676\"},"
            "{\"scheme\":\"iin\",\"value\":\"900501300011\"}]}", 201);
    /* Registered but not verified: the answer says so. */
    r = ok_call(db, T0, "POST", "/v1/identity/cnic/verify", "{\"cnic\":\"4210112345671\",\"name\":\"ayesha khan\"}",
                200);
    CU_ASSERT_EQUAL(json_is_false(json_object_get(r, "verified")), 1);
    CU_ASSERT_STRING_EQUAL(S(r, "registration_status"), "unverified");
    CU_ASSERT_EQUAL(json_is_true(json_object_get(r, "name_match")), 1);
    vpath = apr_pstrcat(unit_pool(), "/v1/identity/persons/", pid, "/verifications", NULL);
    expect_refusal(db, T0, "POST", vpath, "{\"method\":\"document\",\"result\":\"verified\",\"evidence\":{\"type\":"
                   "\"cnic_card\",\"digest\":\"sha256:abc\"}}", 422, "request.invalid_digest", "/evidence/digest");
    r = ok_call(db, T0 + 1, "POST", vpath, "{\"method\":\"registry\",\"result\":\"verified\",\"evidence\":{\"type\":"
                "\"nadra_extract\",\"digest\":\"sha256:a1b2c3d4e5f60718293a4b5c6d7e8f901234567890abcdef1234567890abcdef\"},"
                "\"verifier\":\"registrar\"}", 201);
    CU_ASSERT_STRING_EQUAL(S(r, "person_verification_status"), "verified");
    r = ok_call(db, T0, "POST", "/v1/identity/cnic/verify", "{\"cnic\":\"4210112345671\",\"name\":\"AYESHA KHAN \"}",
                200);
    CU_ASSERT_EQUAL(json_is_true(json_object_get(r, "verified")), 1);
    r = ok_call(db, T0, "POST", "/v1/identity/cnic/verify", "{\"cnic\":\"4210112345671\",\"name\":\"Ayesha Kahn\"}",
                200);
    CU_ASSERT_EQUAL(json_is_false(json_object_get(r, "verified")), 1);
    CU_ASSERT_EQUAL(json_is_false(json_object_get(r, "name_match")), 1);
    r = ok_call(db, T0, "POST", "/v1/identity/ntn/verify", "{\"ntn\":\"1234567\",\"entity_name\":\"Ayesha Khan\"}",
                200);
    CU_ASSERT_EQUAL(json_is_true(json_object_get(r, "verified")), 1);
    r = ok_call(db, T0, "POST", "/v1/identity/cnic/verify", "{\"cnic\":\"3520212345678\",\"name\":\"Nobody\"}", 200);
    CU_ASSERT_STRING_EQUAL(S(r, "registration_status"), "not_registered");
    expect_refusal(db, T0, "POST", "/v1/identity/cnic/verify", "{\"cnic\":\"12345\"}", 422,
                   "identity.invalid_identifier", "/cnic");
    /* Bindings: both ends must exist, once. */
    ok_call(db, T0, "POST", "/v1/identity/bindings",
            apr_psprintf(unit_pool(), "{\"person_id\":\"%s\",\"entity_id\":\"%s\",\"role\":\"director\"}", pid, ent),
            201);
    expect_refusal(db, T0, "POST", "/v1/identity/bindings",
                   apr_psprintf(unit_pool(), "{\"person_id\":\"%s\",\"entity_id\":\"%s\",\"role\":\"director\"}", pid,
                                ent), 409, "identity.binding_exists", "/role");
    expect_refusal(db, T0, "POST", "/v1/identity/bindings",
                   apr_psprintf(unit_pool(), "{\"person_id\":\"%s\",\"entity_id\":\"ent_x\",\"role\":\"director\"}",
                                pid), 422, "identity.unknown_entity", "/entity_id");
    r = ok_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/identity/entity/", ent, NULL), NULL, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "verifications")), 3);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "persons")), 1);
    /* A registry person named as an officer shows up as such; and as a verified beneficial owner. */
    {
        json_t *e = ok_call(db, T0, "POST", "/v1/entities",
                            apr_psprintf(unit_pool(), "{\"entity_type\":\"llc\",\"legal_name\":\"Owned Co\","
                                         "\"beneficial_owners\":[{\"name\":\"Ayesha Khan\",\"identity_ref\":\"%s\","
                                         "\"ownership_percentage\":\"100\",\"control_type\":\"direct\"}]}", pid),
                            201);
        json_t *reg = ok_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", S(e, "entity_id"),
                                                         "/beneficial-owners", NULL), NULL, 200);
        json_t *o = json_array_get(json_object_get(reg, "beneficial_owners"), 0);
        CU_ASSERT_STRING_EQUAL(S(o, "verification_status"), "verified");
        CU_ASSERT_STRING_EQUAL(S(o, "verification_method"), "registry");
        CU_ASSERT_STRING_EQUAL(S(o, "ownership_percentage"), "100");
    }
}

static void test_idempotency(void)
{
    mez_db_t *db = mass_unit_db();
    const char *body = "{\"entity_type\":\"llc\",\"legal_name\":\"Once Co\"}";
    int st1, st2, st3;
    json_t *a = mass_unit_call(db, T0, "POST", "/v1/entities", body, "key-1", &st1);
    json_t *b = mass_unit_call(db, T0 + 3, "POST", "/v1/entities", body, "key-1", &st2);
    json_t *c;
    CU_ASSERT_EQUAL(st1, 201);
    CU_ASSERT_EQUAL(st2, 201);
    CU_ASSERT_TRUE(json_equal(a, b));
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity"), 1);
    c = mass_unit_call(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"Other Co\"}",
                       "key-1", &st3);
    CU_ASSERT_EQUAL(st3, 422);
    CU_ASSERT_STRING_EQUAL(S(c, "code"), "idempotency.key_reused");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_entity"), 1);
}

void unit_register_mass_entities(void)
{
    CU_pSuite s = unit_suite("mass entities and identity");
    CU_add_test(s, "formation", test_formation);
    CU_add_test(s, "formation refusals", test_formation_refusals);
    CU_add_test(s, "status lifecycle", test_status_lifecycle);
    CU_add_test(s, "officers", test_officers);
    CU_add_test(s, "dissolution saga", test_dissolution);
    CU_add_test(s, "a dissolution's estimated completion date is on the zone's calendar",
                test_dissolution_estimate_is_on_the_zones_calendar);
    CU_add_test(s, "a dissolution's statutory periods are days of the zone's calendar",
                test_dissolution_periods_on_the_zones_calendar);
    CU_add_test(s, "a solvency declaration's validity is days of the zone's calendar",
                test_solvency_validity_on_the_zones_calendar);
    CU_add_test(s, "identity registry", test_identity);
    CU_add_test(s, "idempotency", test_idempotency);
}
