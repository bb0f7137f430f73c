/* test_tax.c: CUnit suite for mez/tax.h: the tax in minor units (half up, exact digits), rates as fractions, tax
 * years, the contract's payment types, and the withholding calculation over the shipped pk-wht-ty2026 regpack and a
 * real SQLite store (the HTTP route on both drivers, with a payment made beside it: t/test_withholding.py). */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/tax.h"
#include "mez/tz.h"
#include "mass_unit.h"
#include "unit.h"

static void test_minor_units(void)
{
    apr_pool_t *p = unit_pool();
    static const char *const cases[][3] = {
        { "10000.055", "2", "10000.06" },     /* half up */
        { "10000.054999", "2", "10000.05" },
        { "4500.0249975", "2", "4500.02" },
        { "300000", "2", "300000.00" },
        { "0.5", "0", "1" },
        { "0.4", "0", "0" },
        { "12.3456", "3", "12.346" },
        { "99.995", "2", "100.00" },           /* the carry reaches the integer part */
        { "7", "0", "7" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = mez_tax_minor_units(p, cases[i][0], atoi(cases[i][1]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_STRING_EQUAL(got, cases[i][2]);
    }
    /* Not a decimal string, or too large for the treasury's integers: no figure at all. */
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "1.", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, ".5", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "-1", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "1e5", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "1234567890123456789", 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, NULL, 2));
    CU_ASSERT_PTR_NULL(mez_tax_minor_units(p, "1", -1));
}

static void test_rates_years_and_types(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_STRING_EQUAL(mez_tax_rate_fraction(p, "30"), "0.30");
    CU_ASSERT_STRING_EQUAL(mez_tax_rate_fraction(p, "4.5"), "0.045");
    CU_ASSERT_STRING_EQUAL(mez_tax_rate_fraction(p, "100"), "1.00");
    CU_ASSERT_STRING_EQUAL(mez_tax_rate_fraction(p, "0.25"), "0.0025");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, NULL, "2026-07-01", "2026-01-15"), "2026");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, NULL, "2027-01-01", "2026-03-01"), "2026");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, NULL, NULL, "2026-11-27"), "2026");
    /* A declared start decides from the date, for a row without valid_to too: Pakistan's tax year 2027 starts on
     * 1 July 2026 (a payment at 00:30 PKT that day is dated 2026-07-01 on the zone's calendar). */
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "07-01", NULL, "2026-06-30"), "2026");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "07-01", NULL, "2026-07-01"), "2027");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "07-01", NULL, "2026-12-31"), "2027");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "07-01", NULL, "2027-01-01"), "2027");
    /* ... and over a row whose period spans several tax years, which valid_to alone would name wrongly. */
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "07-01", "2030-07-01", "2026-08-15"), "2027");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "01-01", "2030-07-01", "2026-08-15"), "2026");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "04-06", NULL, "2026-04-05"), "2026");
    CU_ASSERT_STRING_EQUAL(mez_tax_year_of(p, "04-06", NULL, "2026-04-06"), "2027");
    CU_ASSERT_STRING_EQUAL(mez_tax_payment_category("goods_payment"), "goods");
    CU_ASSERT_STRING_EQUAL(mez_tax_payment_category("royalty"), "royalty_fee_non_resident");
    CU_ASSERT_PTR_NULL(mez_tax_payment_category("other"));
    /* Commission and brokerage are s. 233, not services under s. 153(1)(b): no category until a pack holds it. */
    CU_ASSERT_PTR_NULL(mez_tax_payment_category("commission"));
    CU_ASSERT_STRING_EQUAL(mez_tax_payment_category("service_fee"), "services");
    CU_ASSERT_PTR_NULL(mez_tax_payment_category("capital_gains_settlement"));
    CU_ASSERT_PTR_NULL(mez_tax_payment_category(NULL));
    CU_ASSERT_EQUAL(mez_tax_currency_exponent("PKR"), 2);
    CU_ASSERT_EQUAL(mez_tax_currency_exponent("JPY"), 0);
    CU_ASSERT_EQUAL(mez_tax_currency_exponent("XYZ"), -1);
}

/* The zone: the shipped withholding regpack indexed, the sovereign store (no mass_call) with one entity. */
/* Built anew for each test, in that test's pool (unit_pool() is cleared between tests: a cached index would be
 * freed memory in the next). */
static const mez_tensor_index_t *wht_index(void)
{
    mez_tensor_index_t *ix = NULL;
    const char *sql = getenv("MEZ_SQL_SOURCE");
    mez_pack_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    mez_pack_t *pack = NULL;
    const json_t *models[1];
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(unit_pool(), apr_pstrcat(unit_pool(), sql && *sql ? sql : "sql",
                                                                 "/../packs/pk/regpacks/pk-wht-ty2026.yaml", NULL),
                                        &opts, &pack, &pb), MEZ_OK);
    models[0] = pack->model;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), models, 1, &ix, &pb), MEZ_OK);
    return ix;
}

static json_t *body_of(const char *payer, const char *extra)
{
    json_t *b = NULL;
    const char *text = apr_psprintf(unit_pool(), "{\"payer_entity_id\":\"%s\",\"payee_ntn\":{\"ntn_number\":"
                                    "\"1234567\",\"ntn_type\":\"company\",\"filer_status\":\"non_filer\"},"
                                    "\"amount\":\"1000000\",\"currency\":\"PKR\",\"payment_type\":\"service_fee\","
                                    "\"effective_date\":\"2026-01-15\"%s}", payer, extra ? extra : "");
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &b, NULL), MEZ_OK);
    return b;   /* the pool's (mez_json_parse) */
}

static const char *member(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name)) ? json_string_value(json_object_get(o, name)) : "";
}

static void test_calculation(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = mass_unit_db();
    mez_orch_zone_t z = { 0 };
    mez_problem_t pb = { 0 };
    json_t *out = NULL, *e;
    const json_t *basis;
    const char *eid;
    long evaluations = 0;
    int st = 0;

    e = mass_unit_call(db, 1767225600L, "POST", "/v1/entities",
                       "{\"entity_type\":\"llc\",\"legal_name\":\"Sukkur Dates Ltd\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    eid = apr_pstrdup(p, mass_unit_str(e, "entity_id"));
    z.zone_id = "pk-sifc";
    z.tensor_index = wht_index();
    evaluations = mass_unit_count(db, "mez_evaluation");

    /* s. 153(1)(b), other services, a non-filer company: 30 % of Rs 1,000,000. Without the zone, the statute is
     * the row's lawpack's id. */
    CU_ASSERT_EQUAL_FATAL(mez_tax_withholding_calculate(&z, NULL, p, db, body_of(eid, NULL), NULL,
                                                        apr_time_from_sec(1790000000L), &out, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(member(out, "withholding_rate"), "0.30");
    CU_ASSERT_STRING_EQUAL(member(out, "withholding_amount"), "300000.00");
    CU_ASSERT_STRING_EQUAL(member(out, "net_amount"), "700000.00");
    CU_ASSERT_STRING_EQUAL(member(out, "gross_amount"), "1000000.00");
    CU_ASSERT_STRING_EQUAL(member(out, "filer_status_applied"), "non_filer");
    CU_ASSERT_EQUAL(strlen(member(out, "computation_digest")), 64);
    basis = json_array_get(json_object_get(out, "legal_basis"), 0);
    CU_ASSERT_STRING_EQUAL(member(basis, "section"), "153(1)(b)");
    CU_ASSERT_STRING_EQUAL(member(basis, "rate"), "0.30");
    CU_ASSERT_STRING_EQUAL(member(basis, "statute"), "pk-ito-2001-withholding");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_evaluation"), evaluations);

    /* A payee abroad (destination_jurisdiction not the zone's): withheld as the zone's own law says, the same
     * figures (it was refused as tensor.unknown_field /action/destination_jurisdiction, a member the request does
     * not have); an id the tensor cannot take is refused at the request's member. */
    out = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_tax_withholding_calculate(&z, NULL, p, db,
                                                        body_of(eid, ",\"destination_jurisdiction\":\"AE\""), NULL,
                                                        apr_time_from_sec(1790000000L), &out, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(member(out, "withholding_amount"), "300000.00");
    CU_ASSERT_STRING_EQUAL(member(json_array_get(json_object_get(out, "legal_basis"), 0), "section"), "153(1)(b)");
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db,
                                                  body_of(eid, ",\"destination_jurisdiction\":\"Abu Dhabi\""), NULL,
                                                  apr_time_from_sec(1790000000L), &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.invalid_jurisdiction");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/destination_jurisdiction");

    /* A salary's rate is a band of a progressive table on the year's salary, not on one payment: the law as
     * loaded does not settle one payment's withholding, and the problem says why. */
    {
        json_t *b = body_of(eid, ",\"compliance\":{}");
        json_object_set_new(b, "payment_type", json_string("salary"));
        json_object_set_new(json_object_get(b, "payee_ntn"), "ntn_type", json_string("individual"));
        json_object_set_new(json_object_get(b, "payee_ntn"), "ntn_number", json_string("3520212345671"));
        out = NULL;
        CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, b, NULL, apr_time_from_sec(1790000000L), &out,
                                                      &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "withholding.undetermined");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "amount_basis_required"));
        CU_ASSERT_PTR_NULL(out);
    }

    /* An entity token for another entity; an unknown payer; no packs. */
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, body_of(eid, NULL), "ent_other",
                                                  apr_time_from_sec(1790000000L), &out, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 403);
    CU_ASSERT_STRING_EQUAL(pb.code, "auth.not_entity_owner");
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, body_of("ent_nobody", NULL), NULL,
                                                  apr_time_from_sec(1790000000L), &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "mass.not_found");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/payer_entity_id");
    z.tensor_index = NULL;
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, body_of(eid, NULL), NULL,
                                                  apr_time_from_sec(1790000000L), &out, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 503);
    CU_ASSERT_STRING_EQUAL(pb.code, "zone.no_packs");
    CU_ASSERT_PTR_NULL(out);
}

/* The payee's NTN registration date is judged on the zone's calendar, as the zone's own store judges an account's:
 * at 17:00 on 28 May in Karachi (12:00 UTC) a registration "on 29 May" is in the future there, although it is
 * already 29 May at UTC+14 (what a store without a calendar accepts). */
static void test_calculation_dates_on_the_zones_calendar(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = mass_unit_db();
    mez_orch_zone_t z = { 0 };
    mez_problem_t pb = { 0 };
    json_t *out = NULL, *e, *b;
    const apr_time_t now = apr_time_from_sec(1779969600L);   /* 2026-05-28T12:00:00Z */
    const char *eid;
    int st = 0;

    e = mass_unit_call(db, 1767225600L, "POST", "/v1/entities",
                       "{\"entity_type\":\"llc\",\"legal_name\":\"Hunza Cherries Ltd\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    eid = apr_pstrdup(p, mass_unit_str(e, "entity_id"));
    z.zone_id = "pk-sifc";
    z.tensor_index = wht_index();
    CU_ASSERT_EQUAL_FATAL(mez_tz_load(p, NULL, "Asia/Karachi", &z.tz, &pb), MEZ_OK);
    b = body_of(eid, NULL);
    json_object_set_new(json_object_get(b, "payee_ntn"), "registration_date", json_string("2026-05-29"));
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, b, NULL, now, &out, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_STRING_EQUAL(pb.code, "request.invalid_date");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/payee_ntn/registration_date");
    CU_ASSERT_PTR_NULL(out);
    /* Today in Karachi is accepted, and so is 29 May by a zone that declares no calendar. */
    json_object_set_new(json_object_get(b, "payee_ntn"), "registration_date", json_string("2026-05-28"));
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, b, NULL, now, &out, &pb), MEZ_OK);
    z.tz = NULL;
    out = NULL;
    json_object_set_new(json_object_get(b, "payee_ntn"), "registration_date", json_string("2026-05-29"));
    CU_ASSERT_EQUAL(mez_tax_withholding_calculate(&z, NULL, p, db, b, NULL, now, &out, &pb), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL(out);
}

void unit_register_tax(void)
{
    CU_pSuite s = unit_suite("tax");
    CU_add_test(s, "the tax in minor units: half up, exact digits, refusals", test_minor_units);
    CU_add_test(s, "rates as fractions, tax years, the contract's payment types", test_rates_years_and_types);
    CU_add_test(s, "the withholding calculation over the shipped regpack", test_calculation);
    CU_add_test(s, "the calculation judges an NTN's registration date on the zone's calendar",
                test_calculation_dates_on_the_zones_calendar);
}
