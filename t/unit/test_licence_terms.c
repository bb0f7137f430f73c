/* test_licence_terms.c: CUnit suite for the terms of licences (orchestrate_licence.c) through the write pipeline
 * (mez_orch_run) on a migrated SQLite store, at instants the test chooses: a grant's default term is the licence
 * type's validity_years counted on the zone's calendar (granted at 20:00 UTC on 30 June 2026, 1 July in Karachi,
 * a one-year licence holds until the end of 1 July 2027 there), a longer valid_until is refused with nothing
 * written, a type without validity_years grants no fixed term (and has nothing to renew), a renewal runs from the
 * current expiry's day, and one recorded after the lead date is accepted with a finding. */
#include <string.h>
#include <apr_strings.h>
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/orchestrate.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "mass_unit.h"
#include "unit.h"

#define T0 1767225600L   /* 2026-01-01T00:00:00Z */

#define LICENSEPACK "{'format':'mez-licensepack/1','id':'t-lic','jurisdiction_id':'PK','domain':'licensing'," \
  "'title':'Test licences','sources':[{'id':'s','title':'Test source'}],'licence_types':[" \
  "{'id':'t:annual','name':'Annual licence','regulator':'t','validity_years':1,'renewal':{'lead_days':30}," \
  "'valid_from':'2020-01-01','source':'s'}," \
  "{'id':'t:open','name':'Open-ended registration','regulator':'t','valid_from':'2020-01-01','source':'s'}]}"
#define LISTS "{'format':'mez-regpack/1','id':'t-lists','jurisdiction_id':'PK','domain':'sanctions'," \
  "'title':'Lists','sources':[{'id':'s','title':'Test source'}],'lists':[{'id':'l','title':'A list'," \
  "'list_date':'2020-01-01','source':'s','entries':[{'id':'e1','name':'Nobody Listed Here'}]}]}"
#define EVIDENCE "\"compliance\":{\"evidence\":{\"licensing\":{\"state\":\"compliant\",\"attestations\":[{\"id\":" \
  "\"urn:t:1\",\"issuer\":\"did:example:regulator\"}]}}}"

static json_t *J(const char *text)
{
    char *s = apr_pstrdup(unit_pool(), text);
    json_t *v;
    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    v = json_loads(s, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return mez_json_pool_own(unit_pool(), v);
}

static long at(int y, int m, int d, int h, int mi)
{
    return (long)(mez_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60);
}

typedef struct {
    mez_db_t *db;
    mez_orch_zone_t z;
} world_t;

static void world(world_t *w, const char *tzname)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *key = NULL;
    mez_tensor_index_t *ix = NULL;
    const json_t *packs[2];
    memset(w, 0, sizeof(*w));
    w->db = mass_unit_db();
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    packs[0] = J(LICENSEPACK);
    packs[1] = J(LISTS);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(p, packs, 2, &ix, &pb), MEZ_OK);
    w->z.zone_id = "PK";                       /* the jurisdiction mass_unit_call forms entities in */
    w->z.key = key;
    w->z.did = mez_did_key(p, key);
    w->z.verification_method = mez_did_key_verification_method(p, key);
    w->z.tensor_index = ix;
    w->z.tensor_domains = MEZ_DOMAIN_BIT(MEZ_DOMAIN_LICENSING) | MEZ_DOMAIN_BIT(MEZ_DOMAIN_SANCTIONS);
    if (tzname)
        CU_ASSERT_EQUAL_FATAL(mez_tz_load(p, NULL, tzname, &w->z.tz, &pb), MEZ_OK);
}

static const char *active_entity(world_t *w, const char *name)
{
    int st = 0;
    json_t *e = mass_unit_call(w->db, T0, "POST", "/v1/entities",
                               apr_psprintf(unit_pool(), "{\"entity_type\":\"llc\",\"legal_name\":\"%s\"}", name),
                               NULL, &st);
    const char *id;
    CU_ASSERT_EQUAL_FATAL(st, 201);
    id = apr_pstrdup(unit_pool(), mass_unit_str(e, "entity_id"));
    mass_unit_call(w->db, T0 + 10, "PUT", apr_pstrcat(unit_pool(), "/v1/entities/", id, "/status", NULL),
                   "{\"target_status\":\"ACTIVE\",\"reason\":\"test\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    return id;
}

/* One orchestrated request at now; the answer (ans->status) or, on a refusal, *pb and MEZ_EINVAL. */
static mez_status_t run(world_t *w, long now, const char *op, const char *id, const char *verb, const char *body,
                        mez_orch_answer_t *ans, mez_problem_t *pb)
{
    mez_orch_request_t req = { 0 };
    memset(pb, 0, sizeof(*pb));
    req.op = op;
    req.path_id = id;
    req.path_verb = verb;
    req.body = J(body);
    req.now = apr_time_from_sec(now);
    req.actor = "token:operator";
    req.path = id ? apr_pstrcat(unit_pool(), "/v1/licences/", id, "/", verb, NULL) : "/v1/licences";
    return mez_orch_run(unit_pool(), w->db, &w->z, &req, ans, pb);
}

static const json_t *ok(world_t *w, long now, const char *id, const char *verb, const char *body, int status)
{
    mez_orch_answer_t ans;
    mez_problem_t pb;
    mez_status_t rv = run(w, now, "licence.transition", id, verb, body, &ans, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\n%s: %s %s\n", verb, pb.code, pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    CU_ASSERT_EQUAL(ans.status, status);
    return ans.body;
}

/* A licence of type applied for and reviewed: its id. */
static const char *reviewed(world_t *w, const char *entity, const char *type)
{
    mez_orch_answer_t ans;
    mez_problem_t pb;
    const char *id;
    CU_ASSERT_EQUAL_FATAL(run(w, T0 + 20, "licence.application", NULL, NULL,
                              apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"licence_type\":\"%s\"}", entity,
                                           type), &ans, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(ans.status, 201);
    id = apr_pstrdup(unit_pool(), json_string_value(json_object_get(ans.body, "id")));
    ok(w, T0 + 30, id, "review", "{}", 200);
    return id;
}

static const char *str_at(const json_t *o, const char *path)
{
    char *copy = apr_pstrdup(unit_pool(), path), *last, *tok;
    for (tok = apr_strtok(copy, "/", &last); tok && o; tok = apr_strtok(NULL, "/", &last))
        o = json_object_get(o, tok);
    return o ? json_string_value(o) : NULL;
}

static const json_t *last_history(const json_t *licence)
{
    const json_t *h = json_object_get(licence, "history");
    return json_array_get(h, json_array_size(h) - 1);
}

static void refused(world_t *w, long now, const char *id, const char *verb, const char *body, int status,
                    const char *code, const char *pointer)
{
    mez_orch_answer_t ans;
    mez_problem_t pb;
    long credentials = mass_unit_count(w->db, "mez_credential"), evaluations = mass_unit_count(w->db, "mez_evaluation");
    const char *doc = NULL;
    mez_problem_t qb = { 0 };
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), w->db, &doc, "SELECT doc FROM mez_licence WHERE licence_id = %s",
                                       &qb, id, NULL), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(run(w, now, "licence.transition", id, verb, body, &ans, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, status);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    if (pointer) {
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    } else {
        CU_ASSERT_PTR_NULL(pb.pointer);
    }
    /* Nothing changed: the licence's record, its credentials and evaluations are as they were. */
    {
        const char *after = NULL;
        CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), w->db, &after,
                                           "SELECT doc FROM mez_licence WHERE licence_id = %s", &qb, id, NULL), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(after, doc);
    }
    CU_ASSERT_EQUAL(mass_unit_count(w->db, "mez_credential"), credentials);
    CU_ASSERT_EQUAL(mass_unit_count(w->db, "mez_evaluation"), evaluations);
}

static void test_grant_term_on_the_zones_calendar(void)
{
    world_t w;
    const char *lic, *body;
    const json_t *a, *r, *claims;
    long grant_at = at(2026, 6, 30, 20, 0);        /* 01:00 on 1 July in Karachi */

    world(&w, "Asia/Karachi");
    lic = reviewed(&w, active_entity(&w, "Indus Traders Ltd"), "t:annual");
    /* One second beyond the end of 1 July 2027 in Karachi is beyond the one-year term: refused, nothing written. */
    body = "{\"valid_until\":\"2027-07-01T19:00:00Z\"," EVIDENCE "}";
    refused(&w, grant_at, lic, "grant", body, 422, "licence.term_too_long", "/valid_until");
    {
        mez_orch_answer_t ans;
        mez_problem_t pb;
        run(&w, grant_at, "licence.transition", lic, "grant", body, &ans, &pb);
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "2027-07-01T18:59:59Z"));
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "Asia/Karachi"));
    }
    /* By default the whole term: the grant's day (1 July) is not counted, the year after it ends with 1 July 2027,
     * whose last second in Karachi is 18:59:59 UTC. */
    a = ok(&w, grant_at, lic, "grant", "{" EVIDENCE "}", 200);
    r = json_object_get(a, "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "status"), "ACTIVE");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_from"), "2026-06-30T20:00:00Z");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2027-07-01T18:59:59Z");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "term"), "validity_years")), 1);
    CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(r, "term"), "fixed")));
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/rule"), "t-lic/t:annual");
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/timezone"), "Asia/Karachi");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(json_object_get(r, "term"), "renewal"),
                                                       "lead_days")), 30);
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/renewal/apply_by"), "2027-06-01");
    /* The credential says the same. */
    claims = json_object_get(json_object_get(a, "credential"), "credentialSubject");
    CU_ASSERT_STRING_EQUAL(str_at(claims, "valid_until"), "2027-07-01T18:59:59Z");
    CU_ASSERT_STRING_EQUAL(str_at(claims, "term/renewal/apply_by"), "2027-06-01");
    CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(claims, "term"), "fixed")));

    /* A shorter term is the regulator's to give. */
    lic = reviewed(&w, active_entity(&w, "Ravi Textiles Ltd"), "t:annual");
    a = ok(&w, grant_at, lic, "grant", "{\"valid_until\":\"2027-01-31T18:59:59Z\"," EVIDENCE "}", 200);
    CU_ASSERT_STRING_EQUAL(str_at(json_object_get(a, "resource"), "valid_until"), "2027-01-31T18:59:59Z");
    CU_ASSERT_STRING_EQUAL(str_at(json_object_get(a, "resource"), "term/renewal/apply_by"), "2027-01-01");
}

static void test_grant_term_without_a_calendar_is_utcs(void)
{
    world_t w;
    const json_t *r;
    world(&w, NULL);
    /* 20:00 UTC on 30 June is still 30 June on UTC's calendar: the term ends with 30 June 2027 there. */
    r = json_object_get(ok(&w, at(2026, 6, 30, 20, 0), reviewed(&w, active_entity(&w, "Indus Traders Ltd"),
                                                                 "t:annual"),
                           "grant", "{" EVIDENCE "}", 200), "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2027-06-30T23:59:59Z");
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/timezone"), "UTC");
}

static void test_no_fixed_term(void)
{
    world_t w;
    const char *lic;
    const json_t *a, *r, *claims;
    world(&w, "Asia/Karachi");
    lic = reviewed(&w, active_entity(&w, "Indus Traders Ltd"), "t:open");
    a = ok(&w, at(2026, 6, 30, 20, 0), lic, "grant", "{" EVIDENCE "}", 200);
    r = json_object_get(a, "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "status"), "ACTIVE");
    CU_ASSERT_PTR_NULL(json_object_get(r, "valid_until"));
    CU_ASSERT_TRUE(json_is_false(json_object_get(json_object_get(r, "term"), "fixed")));
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(r, "term"), "validity_years"));
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/rule"), "t-lic/t:open");
    claims = json_object_get(json_object_get(a, "credential"), "credentialSubject");
    CU_ASSERT_PTR_NULL(json_object_get(claims, "valid_until"));
    CU_ASSERT_TRUE(json_is_false(json_object_get(json_object_get(claims, "term"), "fixed")));
    /* Nothing to renew. */
    refused(&w, at(2027, 1, 1, 0, 0), lic, "renew", "{\"valid_until\":\"2030-01-01T00:00:00Z\"," EVIDENCE "}", 409,
            "licence.no_fixed_term", NULL);
    /* A term the regulator sets is kept, and renewed by naming the next one. */
    lic = reviewed(&w, active_entity(&w, "Ravi Textiles Ltd"), "t:open");
    r = json_object_get(ok(&w, at(2026, 6, 30, 20, 0), lic, "grant",
                           "{\"valid_until\":\"2031-06-30T18:59:59Z\"," EVIDENCE "}", 200), "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2031-06-30T18:59:59Z");
    CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(r, "term"), "fixed")));
    refused(&w, at(2027, 1, 1, 0, 0), lic, "renew", "{" EVIDENCE "}", 422, "request.missing_field", "/valid_until");
    r = json_object_get(ok(&w, at(2027, 1, 1, 0, 0), lic, "renew",
                           "{\"valid_until\":\"2041-06-30T18:59:59Z\"," EVIDENCE "}", 200), "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2041-06-30T18:59:59Z");
    CU_ASSERT_PTR_NULL(json_object_get(last_history(r), "finding"));
}

static void test_renewal_term_and_lead_date(void)
{
    world_t w;
    const char *lic;
    const json_t *a, *r, *f;
    world(&w, "Asia/Karachi");
    lic = reviewed(&w, active_entity(&w, "Indus Traders Ltd"), "t:annual");
    ok(&w, at(2026, 6, 30, 20, 0), lic, "grant", "{" EVIDENCE "}", 200);     /* until 2027-07-01T18:59:59Z */
    /* The next term runs from the current expiry's day: at most to the end of 1 July 2028 in Karachi. */
    refused(&w, at(2027, 5, 1, 0, 0), lic, "renew", "{\"valid_until\":\"2028-07-01T19:00:00Z\"," EVIDENCE "}", 422,
            "licence.term_too_long", "/valid_until");
    /* Renewed on 1 June 2027 in Karachi (19:00 UTC on 31 May), the last day to apply (expiry less 30 days): on
     * time, no finding; by default the whole next term. */
    a = ok(&w, at(2027, 5, 31, 19, 0), lic, "renew", "{" EVIDENCE "}", 200);
    r = json_object_get(a, "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2028-07-01T18:59:59Z");
    CU_ASSERT_STRING_EQUAL(str_at(last_history(r), "event"), "renew");
    CU_ASSERT_PTR_NULL(json_object_get(last_history(r), "finding"));
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(json_object_get(a, "credential"), "credentialSubject"),
                                       "finding"));
    CU_ASSERT_STRING_EQUAL(str_at(r, "term/renewal/apply_by"), "2028-06-01");
    /* Renewed on 2 June 2028 in Karachi (19:00 UTC on 1 June), a day after the last day to apply: accepted (the
     * regulator may still renew), with a finding naming the days, in the history and the credential. */
    a = ok(&w, at(2028, 6, 1, 19, 0), lic, "renew", "{" EVIDENCE "}", 200);
    r = json_object_get(a, "resource");
    CU_ASSERT_STRING_EQUAL(str_at(r, "status"), "ACTIVE");
    CU_ASSERT_STRING_EQUAL(str_at(r, "valid_until"), "2029-07-01T18:59:59Z");
    f = json_object_get(last_history(r), "finding");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(str_at(f, "code"), "renewal_after_lead_date");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "lead_days")), 30);
    CU_ASSERT_STRING_EQUAL(str_at(f, "expires_on"), "2028-07-01");
    CU_ASSERT_STRING_EQUAL(str_at(f, "apply_by"), "2028-06-01");
    CU_ASSERT_STRING_EQUAL(str_at(f, "renewed_on"), "2028-06-02");
    CU_ASSERT_STRING_EQUAL(str_at(f, "timezone"), "Asia/Karachi");
    CU_ASSERT_STRING_EQUAL(str_at(f, "rule"), "t-lic/t:annual");
    CU_ASSERT_STRING_EQUAL(str_at(json_object_get(json_object_get(a, "credential"), "credentialSubject"),
                                  "finding/apply_by"), "2028-06-01");
    /* A lapsed licence is not renewed. */
    refused(&w, at(2029, 7, 1, 19, 0), lic, "renew", "{" EVIDENCE "}", 409, "licence.lapsed", NULL);
}

void unit_register_licence_terms(void)
{
    CU_pSuite s = unit_suite("licence terms");
    CU_add_test(s, "a grant's term is the type's years on the zone's calendar; longer is refused",
                test_grant_term_on_the_zones_calendar);
    CU_add_test(s, "without a calendar the term ends on UTC's", test_grant_term_without_a_calendar_is_utcs);
    CU_add_test(s, "a type without validity_years grants no fixed term", test_no_fixed_term);
    CU_add_test(s, "a renewal's term, and a renewal after the lead date", test_renewal_term_and_lead_date);
}
