/* test_mass_ownership.c: CUnit suite for the sovereign Mass store's ownership primitive: cap tables, issuances
 * within authorized shares, transfers that keep issued totals and never take a position below zero, the capital
 * gains facts, the state digest and the invariant check, through mez_mass_store_handle on SQLite. */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/mass.h"
#include "mez/tz.h"
#include "../../libmezcore/src/mass_ownership_int.h"
#include "mass_unit.h"
#include "unit.h"

#define T0 1780000000L                /* 2026-05-28T20:26:40Z: the cap tables are made */
#define T1 (T0 + 370L * 86400)        /* 2027-06-02T20:26:40Z: transfers dated 2027-06-01 are past */

static const char *cap_body =
    "{\"entity_id\":\"ent_a\",\"share_classes\":[{\"name\":\"Ordinary\",\"authorized_shares\":\"1000\","
    "\"currency\":\"PKR\",\"par_value\":\"10\",\"voting_rights\":{\"votes_per_share\":1}},"
    "{\"name\":\"Preferred\",\"authorized_shares\":\"100\",\"transfer_restrictions\":"
    "{\"board_approval_required\":true}}],"
    "\"initial_holders\":[{\"holder_id\":\"alice\",\"holder_type\":\"individual\",\"share_class_name\":\"Ordinary\","
    "\"shares\":\"600\",\"cost_basis_per_share\":\"10\"},{\"holder_id\":\"bob\",\"holder_type\":\"individual\","
    "\"share_class_name\":\"Ordinary\",\"shares\":\"100\"}]}";

static const char *class_id(const json_t *cap, const char *name)
{
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(cap, "share_classes"), i, sc)
        if (!strcmp(mass_unit_str(sc, "name"), name))
            return apr_pstrdup(unit_pool(), mass_unit_str(sc, "share_class_id"));
    return "";
}

static long shares_of(mez_db_t *db, const char *holder)
{
    return mass_unit_count(db, apr_psprintf(unit_pool(), "SELECT COALESCE(SUM(shares), -1) FROM mez_mass_holding "
                                            "WHERE holder_id = '%s'", holder));
}

static void assert_sound(mez_db_t *db)
{
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_share_class s WHERE issued_shares <> "
                                        "(SELECT COALESCE(SUM(shares), 0) FROM mez_mass_holding h WHERE "
                                        "h.share_class_id = s.share_class_id) OR issued_shares > authorized_shares"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_holding WHERE shares < 0"), 0);
}

static json_t *make_cap_table(mez_db_t *db)
{
    int st = 0;
    json_t *cap;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    cap = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table", cap_body, NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    return cap;
}

static const char *transfer_body(const char *cls, const char *from, const char *to, const char *shares,
                                 const char *price, const char *extra)
{
    return apr_psprintf(unit_pool(), "{\"entity_id\":\"ent_a\",\"share_class_id\":\"%s\",\"from_holder_id\":\"%s\","
                        "\"to_holder_id\":\"%s\",\"shares\":\"%s\",\"transfer_price_per_share\":\"%s\","
                        "\"transfer_date\":\"2027-06-01\"%s}", cls, from, to, shares, price, extra ? extra : "");
}

static void test_cap_table(void)
{
    mez_db_t *db = mass_unit_db();
    json_t *cap = make_cap_table(db), *again, *state;
    mez_digest_t d;
    int st = 0;
    CU_ASSERT_STRING_EQUAL(mass_unit_str(cap, "total_authorized_shares"), "1100");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(cap, "total_issued_shares"), "700");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(cap, "holders")), 2);
    /* The digest is of the state: the document without id and times. */
    state = json_deep_copy(cap);
    json_object_del(state, "cap_table_id");
    json_object_del(state, "created_at");
    json_object_del(state, "updated_at");
    json_object_del(state, "state_digest_sha256");
    CU_ASSERT_EQUAL(mez_digest_json(unit_pool(), state, &d, NULL), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d), mass_unit_str(cap, "state_digest_sha256"));
    json_decref(state);
    again = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table", cap_body, NULL, &st);
    CU_ASSERT_EQUAL(st, 409);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(again, "code"), "ownership.cap_table_exists");
    again = mass_unit_call(db, T0, "GET", "/v1/ownership/ent_a/cap-table", NULL, NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(again, "state_digest_sha256"), mass_unit_str(cap, "state_digest_sha256"));
    assert_sound(db);
}

static void test_cap_table_over_authorized(void)
{
    mez_db_t *db = mass_unit_db();
    int st = 0;
    json_t *r;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    r = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table",
                       "{\"entity_id\":\"ent_a\",\"share_classes\":[{\"name\":\"A\",\"authorized_shares\":\"10\"}],"
                       "\"initial_holders\":[{\"holder_id\":\"x\",\"holder_type\":\"entity\",\"share_class_name\":"
                       "\"A\",\"shares\":\"6\"},{\"holder_id\":\"y\",\"holder_type\":\"entity\",\"share_class_name\":"
                       "\"A\",\"shares\":\"5\"}]}", NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.exceeds_authorized");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/initial_holders/1/shares");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_cap_table"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_holding"), 0);
}

static void test_transfer(void)
{
    mez_db_t *db = mass_unit_db();
    json_t *cap = make_cap_table(db), *r, *te;
    const char *ord = class_id(cap, "Ordinary");
    int st = 0;
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers",
                       transfer_body(ord, "alice", "carol", "200", "12.5", ",\"to_holder_type\":\"individual\""),
                       NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    te = json_object_get(r, "tax_event");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "gain_or_loss"), "500");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "cost_basis_per_share"), "10");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "total_proceeds"), "2500");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "holding_period"), "long_term");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "event_type"), "capital_gain_long_term");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(te, "currency"), "PKR");
    CU_ASSERT_EQUAL(shares_of(db, "alice"), 400);
    CU_ASSERT_EQUAL(shares_of(db, "carol"), 200);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT SUM(issued_shares) FROM mez_mass_share_class"), 700);
    /* Bob's basis is unknown: no gain is invented. */
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(ord, "bob", "carol", "100", "9", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    te = json_object_get(r, "tax_event");
    CU_ASSERT_PTR_NULL(json_object_get(te, "gain_or_loss"));
    CU_ASSERT_EQUAL(shares_of(db, "bob"), 0);
    /* Carol's averaged basis: (200 x 12.5 + 100 x 9) / 300. */
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT cost_basis_micro FROM mez_mass_holding WHERE holder_id = 'carol'"),
                    11333333);
    assert_sound(db);
}

static void test_bad_transfers_change_nothing(void)
{
    mez_db_t *db = mass_unit_db();
    json_t *cap = make_cap_table(db), *r;
    const char *ord = class_id(cap, "Ordinary"), *pref = class_id(cap, "Preferred");
    long transfers;
    int st = 0;
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(ord, "bob", "alice", "101", "1", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.insufficient_shares");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "held"), "100");
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(ord, "nobody", "alice", "1", "1", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "held"), "0");
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(ord, "bob", "dave", "1", "1", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/to_holder_type");
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(ord, "bob", "alice", "-1", "1", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.invalid_shares");
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", transfer_body(pref, "bob", "alice", "1", "1", NULL),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.currency_required");
    transfers = mass_unit_count(db, "mez_mass_share_transfer");
    CU_ASSERT_EQUAL(transfers, 0);
    CU_ASSERT_EQUAL(shares_of(db, "bob"), 100);
    CU_ASSERT_EQUAL(shares_of(db, "alice"), 600);
    assert_sound(db);
}

/* A class locked up until 2026-06-01, its only holder alice since T0 (2026-05-28). */
static const char *lockup_class(mez_db_t *db)
{
    int st = 0;
    json_t *cap;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    cap = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table",
                         "{\"entity_id\":\"ent_a\",\"share_classes\":[{\"name\":\"L\",\"authorized_shares\":"
                         "\"100\",\"currency\":\"PKR\",\"transfer_restrictions\":{\"lock_up_expiry\":"
                         "\"2026-06-01\"}}],\"initial_holders\":[{\"holder_id\":\"alice\",\"holder_type\":"
                         "\"individual\",\"share_class_name\":\"L\",\"shares\":\"100\",\"cost_basis_per_share\":"
                         "\"1\"}]}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    return class_id(cap, "L");
}

static const char *dated(const char *cls, const char *shares, const char *date)
{
    return apr_psprintf(unit_pool(), "{\"entity_id\":\"ent_a\",\"share_class_id\":\"%s\",\"from_holder_id\":"
                        "\"alice\",\"to_holder_id\":\"bob\",\"to_holder_type\":\"individual\",\"shares\":\"%s\","
                        "\"transfer_price_per_share\":\"2\",\"transfer_date\":\"%s\"}", cls, shares, date);
}

/* Refuses the transfer at now with status, code and pointer, changing nothing. */
static void refused(mez_db_t *db, long now, const char *body, int status, const char *code, const char *pointer)
{
    int st = 0;
    json_t *r = mass_unit_call(db, now, "POST", "/v1/ownership/transfers", body, NULL, &st);
    CU_ASSERT_EQUAL(st, status);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), code);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), pointer);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_share_transfer"), 0);
    CU_ASSERT_EQUAL(shares_of(db, "alice"), 100);
}

/* A date still to come neither gets round a lock-up nor buys a long holding period; a date inside the lock-up is
 * refused however late it is recorded. */
static void test_transfer_dates(void)
{
    mez_db_t *db = mass_unit_db();
    const char *cls = lockup_class(db);
    json_t *r;
    int st = 0;
    refused(db, T0, dated(cls, "1", "2099-01-02"), 422, "ownership.transfer_in_future", "/transfer_date");
    refused(db, T0, dated(cls, "1", "2026-05-30"), 422, "ownership.transfer_in_future", "/transfer_date");
    /* 2026-05-29 is already today at UTC+14 (T0 + 14 h), but the lock-up has not ended on either day. */
    refused(db, T0, dated(cls, "1", "2026-05-29"), 422, "ownership.locked_up", "/transfer_date");
    refused(db, T1, dated(cls, "1", "2026-05-31"), 422, "ownership.locked_up", "/transfer_date");
    refused(db, T1, dated(cls, "1", "2027-06-04"), 422, "ownership.transfer_in_future", "/transfer_date");
    /* Acquired 2026-05-28: long term from 2027-05-28, judged on the transfer's date. */
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", dated(cls, "1", "2027-05-27"), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(r, "tax_event"), "holding_period"), "short_term");
    r = mass_unit_call(db, T1, "POST", "/v1/ownership/transfers", dated(cls, "1", "2027-05-28"), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(r, "tax_event"), "event_type"), "capital_gain_long_term");
    CU_ASSERT_EQUAL(shares_of(db, "alice"), 98);
    assert_sound(db);
}

/* Where the store knows the zone's calendar, a transfer dated after today on it is in the future; where it knows
 * none, only a date after today at UTC+14 is. At T0 (20:26 UTC on 28 May, 01:26 on 29 May in Karachi) 29 May is
 * today in Karachi and at UTC+14 but tomorrow in a UTC zone: refused there as in the future, judged against the
 * lock-up (to 1 June) in the other two; 30 May is in the future in all three. */
static void test_transfer_dates_on_the_zones_calendar(void)
{
    mez_db_t *db = mass_unit_db();
    const char *cls = lockup_class(db);
    const mez_tz_t *pk = NULL;
    mez_problem_t pb = { 0 };
    struct { const mez_tz_t *tz; const char *code_29; } zones[3];
    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    zones[0].tz = pk, zones[0].code_29 = "ownership.locked_up";
    zones[1].tz = mez_tz_utc(), zones[1].code_29 = "ownership.transfer_in_future";
    zones[2].tz = NULL, zones[2].code_29 = "ownership.locked_up";
    for (int i = 0; i < 3; i++) {
        const char *dates[2] = { "2026-05-29", "2026-05-30" };
        for (int j = 0; j < 2; j++) {
            int st = 0;
            json_t *r = mass_unit_call_tz(db, zones[i].tz, T0, "POST", "/v1/ownership/transfers",
                                          dated(cls, "1", dates[j]), NULL, &st);
            CU_ASSERT_EQUAL(st, 422);
            CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), j ? "ownership.transfer_in_future" : zones[i].code_29);
            CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/transfer_date");
            CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_share_transfer"), 0);
            CU_ASSERT_EQUAL(shares_of(db, "alice"), 100);
        }
    }
}

/* Share classes are bounded so totals fit in int64; a stored table past int64 is a 500, never a negative total. */
static void test_share_totals_bounded(void)
{
    mez_db_t *db = mass_unit_db();
    apr_pool_t *p = unit_pool();
    const char *classes = "";
    mez_problem_t pb = { 0 };
    json_t *r;
    int st = 0;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    for (int i = 0; i <= MEZ_MASS_SHARE_CLASSES_MAX; i++)
        classes = apr_psprintf(p, "%s%s{\"name\":\"c%d\",\"authorized_shares\":\"1000000000000000\"}", classes,
                               i ? "," : "", i);
    r = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table",
                       apr_psprintf(p, "{\"entity_id\":\"ent_a\",\"share_classes\":[%s]}", classes), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "request.too_many_items");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/share_classes");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_cap_table"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_share_class"), 0);
    /* Ten classes of 10^18 written behind the store's back sum past INT64_MAX. */
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_cap_table"), 0);
    r = mass_unit_call(db, T0, "POST", "/v1/ownership/cap-table", cap_body, NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(mez_db_execv(p, db, NULL, apr_psprintf(p, "INSERT INTO mez_mass_share_class (share_class_id, "
                                     "entity_id, name, authorized_shares, issued_shares, status, doc, created_at, "
                                     "updated_at) VALUES ('shc_big%d', 'ent_a', 'big%d', 1000000000000000000, 0, "
                                     "'active', '{}', 'x', 'x')", i, i), &pb, NULL), MEZ_OK);
    r = mass_unit_call(db, T0, "GET", "/v1/ownership/ent_a/cap-table", NULL, NULL, &st);
    CU_ASSERT_EQUAL(st, 500);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.invariant_violated");
}

static void test_issuance_and_invariants(void)
{
    mez_db_t *db = mass_unit_db();
    json_t *cap = make_cap_table(db), *r;
    const char *ord = class_id(cap, "Ordinary");
    mez_mass_store_ctx_t ctx = { "z", "PK", apr_time_from_sec(T0), NULL, NULL, NULL };
    mez_mass_request_t req = { "GET", "/", NULL, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    mez_mass_call_t c = { unit_pool(), db, &ctx, &req, &resp, &pb };
    int st = 0, ok = 0;
    r = mass_unit_call(db, T0, "POST", "/v1/ownership/ent_a/issuances",
                       apr_psprintf(unit_pool(), "{\"share_class_id\":\"%s\",\"holder_id\":\"erin\",\"holder_type\":"
                                    "\"fund\",\"shares\":\"300\",\"price_per_share\":\"20\"}", ord), NULL, &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "issued_shares"), "1000");
    r = mass_unit_call(db, T0, "POST", "/v1/ownership/ent_a/issuances",
                       apr_psprintf(unit_pool(), "{\"share_class_id\":\"%s\",\"holder_id\":\"erin\",\"holder_type\":"
                                    "\"fund\",\"shares\":\"1\"}", ord), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "ownership.exceeds_authorized");
    CU_ASSERT_EQUAL(shares_of(db, "erin"), 300);
    CU_ASSERT_EQUAL(mez_own_check(&c, "ent_a", &ok), MEZ_OK);
    CU_ASSERT_TRUE(ok);
    /* A position changed behind the cap table's back is found. */
    CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_mass_holding SET shares = shares + 1 WHERE "
                                 "holder_id = 'erin'", &pb, NULL), MEZ_OK);
    CU_ASSERT_NOT_EQUAL(mez_own_check(&c, "ent_a", &ok), MEZ_OK);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_STRING_EQUAL(pb.code, "ownership.invariant_violated");
}

void unit_register_mass_ownership(void)
{
    CU_pSuite s = unit_suite("mass_ownership");
    CU_add_test(s, "cap table, digest, one per entity", test_cap_table);
    CU_add_test(s, "initial holders within authorized", test_cap_table_over_authorized);
    CU_add_test(s, "transfers and capital gains facts", test_transfer);
    CU_add_test(s, "bad transfers change nothing", test_bad_transfers_change_nothing);
    CU_add_test(s, "no future transfer dates, lock-ups held", test_transfer_dates);
    CU_add_test(s, "a transfer date's today is the zone's where the store knows it",
                test_transfer_dates_on_the_zones_calendar);
    CU_add_test(s, "share totals bounded and checked", test_share_totals_bounded);
    CU_add_test(s, "issuance within authorized, invariant check", test_issuance_and_invariants);
}
