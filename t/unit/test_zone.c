/* test_zone.c: CUnit suite for the zone area: zone.yaml and profile validation (each error at its line and
 * pointer), loading a zone with its profile and packs, stack.lock written, read back, and refused when a pack,
 * the profile or the zone file changed (naming the artifact, expected and actual digest), the lookups, the
 * composition of a two-layer zone (conflicts found, overrides matched to them) and the signed pack manifests
 * stored in the CAS with a closure that ties them to their packs. */
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/deadline.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/yaml.h"
#include "mez/zone.h"
#include "unit.h"

/* ------------------------------------------------------------------ fixtures */

static const char PROFILE[] =
    "# a test profile\n"
    "format: mez-profile/1\n"
    "id: t-profile\n"
    "name: Test profile\n"
    "description: A profile for the unit tests\n"          /* 5 */
    "compliance_domains: [aml, tax, sanctions]\n"
    "pack_domains:\n"
    "  lawpacks: [tax]\n"
    "  regpacks: [tax, aml]\n"
    "  licensepacks: []\n"                                  /* 10 */
    "modules: [credentials, mass.treasury]\n";

static const char ZONE[] =
    "# a test zone\n"
    "format: mez-zone/1\n"
    "zone_id: t-zone\n"
    "zone_name: Test zone\n"
    "jurisdiction_id: pk\n"                                 /* 5 */
    "jurisdiction_stack: [pk]\n"
    "profile: t-profile\n"
    "packs:\n"
    "  lawpacks: [lawpacks/t-act]\n"
    "  regpacks: [regpacks/rates.yaml, regpacks/aml.yaml]\n" /* 10 */
    "sanctions_imports:\n"
    "  - {list: UN consolidated list, format: un-consolidated-xml}\n";

static const char AKN[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<akomaNtoso xmlns=\"http://docs.oasis-open.org/legaldocml/ns/akn/3.0\">\n"
    "  <act name=\"t\">\n"
    "    <meta>\n"
    "      <identification source=\"#mez\">\n"
    "        <FRBRWork>\n"
    "          <FRBRthis value=\"/akn/pk/act/2001/t/!main\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/t\"/>\n"
    "          <FRBRdate date=\"2001-01-01\" name=\"enactment\"/>\n"
    "          <FRBRauthor href=\"#parliament\"/>\n"
    "          <FRBRcountry value=\"pk\"/>\n"
    "        </FRBRWork>\n"
    "        <FRBRExpression>\n"
    "          <FRBRthis value=\"/akn/pk/act/2001/t/eng@2025-07-01/!main\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/t/eng@2025-07-01\"/>\n"
    "          <FRBRdate date=\"2025-07-01\" name=\"amendment\"/>\n"
    "          <FRBRauthor href=\"#parliament\"/>\n"
    "          <FRBRlanguage language=\"eng\"/>\n"
    "        </FRBRExpression>\n"
    "        <FRBRManifestation>\n"
    "          <FRBRthis value=\"/akn/pk/act/2001/t/eng@2025-07-01/!main.xml\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/t/eng@2025-07-01.xml\"/>\n"
    "          <FRBRdate date=\"2025-07-01\" name=\"transform\"/>\n"
    "          <FRBRauthor href=\"#mez\"/>\n"
    "        </FRBRManifestation>\n"
    "      </identification>\n"
    "    </meta>\n"
    "    <body>\n"
    "      <section eId=\"sec_1\">\n"
    "        <num>1.</num>\n"
    "        <heading>Deduction at source</heading>\n"
    "        <content><p>Every payer shall deduct tax.</p></content>\n"
    "      </section>\n"
    "    </body>\n"
    "  </act>\n"
    "</akomaNtoso>\n";

static const char LAWPACK[] =
    "format: mez-lawpack/1\n"
    "id: t-act\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: Test act\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: act, title: Test Act, kind: statute}\n"
    "documents:\n"
    "  - path: akn/main.xml\n"
    "    frbr_work: /akn/pk/act/2001/t\n";

static const char RATES[] =
    "format: mez-regpack/1\n"
    "id: t-rates\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: Test rates\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: fa, title: Finance Act, kind: finance_act}\n"
    "withholding_rates:\n"
    "  - id: goods\n"
    "    section: \"1\"\n"
    "    law: {lawpack: t-act, eid: sec_1}\n"
    "    payment_type: goods\n"
    "    payee_class: company\n"
    "    rates: {filer: \"5\", non_filer: \"10\"}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: fa\n";

static const char AML[] =
    "format: mez-regpack/1\n"
    "id: t-aml\n"
    "jurisdiction_id: pk\n"
    "domain: aml\n"
    "title: Test AML\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: amla, title: AML Act, kind: statute}\n"
    "thresholds:\n"
    "  - id: ctr\n"
    "    obligation: currency_transaction_report\n"
    "    amount: {amount: \"2000000\", currency: PKR, applies: at_or_above}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: amla\n";

/* ------------------------------------------------------------------ helpers */

static const char *edit(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    return apr_pstrcat(unit_pool(), apr_pstrmemdup(unit_pool(), text, (apr_size_t)(at - text)), to,
                       at + strlen(from), NULL);
}

static void write_file(const char *dir, const char *rel, const char *content)
{
    const char *path = apr_pstrcat(unit_pool(), dir, "/", rel, NULL);
    const char *slash = strrchr(path, '/');
    apr_file_t *f;
    apr_size_t n = strlen(content);
    apr_dir_make_recursive(apr_pstrmemdup(unit_pool(), path, (apr_size_t)(slash - path)), APR_OS_DEFAULT,
                           unit_pool());
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                                        APR_OS_DEFAULT, unit_pool()), APR_SUCCESS);
    CU_ASSERT_EQUAL(apr_file_write_full(f, content, n, &n), APR_SUCCESS);
    apr_file_close(f);
}

/* A zone directory with the fixtures above and profiles/ beside it; returns the zone directory. */
static const char *zone_dir(const char *zone_text)
{
    const char *root = unit_tmpdir(), *dir;
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    dir = apr_pstrcat(unit_pool(), root, "/zone", NULL);
    write_file(root, "profiles/t-profile.yaml", PROFILE);
    write_file(dir, "zone.yaml", zone_text);
    write_file(dir, "lawpacks/t-act/lawpack.yaml", LAWPACK);
    write_file(dir, "lawpacks/t-act/akn/main.xml", AKN);
    write_file(dir, "regpacks/rates.yaml", RATES);
    write_file(dir, "regpacks/aml.yaml", AML);
    return dir;
}

static const char *profiles_of(const char *dir)
{
    return apr_pstrcat(unit_pool(), dir, "/../profiles", NULL);
}

static mez_zone_t *load_ok(const char *dir)
{
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    mez_zone_t *zone = NULL;
    mez_status_t rv;
    opts.profile_dir = profiles_of(dir);
    rv = mez_zone_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/zone.yaml", NULL), &opts, &zone, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nunexpected zone problem %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    return zone;
}

/* Loads the zone in dir expecting code; checks "NAME:LINE:" in the detail (line > 0) and the pointer. */
static mez_problem_t load_refused(const char *dir, const char *code, const char *file, int line, const char *pointer)
{
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    mez_zone_t *zone = NULL;
    const char *where = line > 0 ? apr_psprintf(unit_pool(), "%s:%d:", file, line) : NULL;
    opts.profile_dir = profiles_of(dir);
    opts.problems = apr_array_make(unit_pool(), 4, sizeof(mez_problem_t));
    CU_ASSERT_NOT_EQUAL(mez_zone_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/zone.yaml", NULL), &opts, &zone,
                                      &pb), MEZ_OK);
    CU_ASSERT_PTR_NULL(zone);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code) || (where && !strstr(pb.detail, where)))
        fprintf(stderr, "\nexpected %s at %s, got %s: %s\n", code, where ? where : "-", pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    if (where)
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, where));
    if (pointer) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    }
    CU_ASSERT(opts.problems->nelts >= 1);
    return pb;
}

/* Validates a zone (or profile) text expecting code at line and pointer. */
static void invalid(int profile, const char *text, const char *code, int line, const char *pointer)
{
    mez_yaml_doc_t *doc = NULL;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    CU_ASSERT_EQUAL_FATAL(mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb), MEZ_OK);
    rv = profile ? mez_profile_validate(unit_pool(), doc, NULL, &pb) : mez_zone_validate(unit_pool(), doc, NULL, &pb);
    CU_ASSERT_EQUAL(rv, MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code) || !strstr(pb.detail, apr_psprintf(unit_pool(), "t.yaml:%d:", line)))
        fprintf(stderr, "\nexpected %s at line %d, got %s: %s\n", code, line, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, apr_psprintf(unit_pool(), "t.yaml:%d:", line)));
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    CU_ASSERT_EQUAL(pb.status, 422);
}

static const char *read_text(const char *path)
{
    const char *t = unit_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

/* Verifies the lock of the zone now in dir; returns the problem (code NULL when it matches). */
static mez_problem_t verify(const char *dir, apr_array_header_t *problems)
{
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    mez_zone_t *zone = load_ok(dir);
    opts.problems = problems;
    if (mez_zone_verify_lock(unit_pool(), zone, &opts, &pb) == MEZ_OK) {
        CU_ASSERT(zone->locked);
        pb.code = NULL;
    }
    return pb;
}

/* ------------------------------------------------------------------ validation */

static void test_zone_validation(void)
{
    mez_yaml_doc_t *doc = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_yaml_parse(unit_pool(), "t.yaml", ZONE, strlen(ZONE), &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_zone_validate(unit_pool(), doc, NULL, &pb), MEZ_OK);

    invalid(0, edit(ZONE, "zone_name: Test zone\n", "zone_name: Test zone\nzone_nmae: typo\n"), "zone.unknown_key", 5,
            "/zone_nmae");
    invalid(0, edit(ZONE, "profile: t-profile\n", ""), "zone.missing_field", 2, "");
    invalid(0, edit(ZONE, "format: mez-zone/1", "format: mez-zone/2"), "zone.invalid_value", 2, "/format");
    invalid(0, edit(ZONE, "zone_id: t-zone", "zone_id: T_Zone"), "zone.invalid_value", 3, "/zone_id");
    invalid(0, edit(ZONE, "zone_name: Test zone", "zone_name: 42"), "zone.invalid_type", 4, "/zone_name");
    invalid(0, edit(ZONE, "jurisdiction_stack: [pk]", "jurisdiction_stack: [ae]"), "zone.jurisdiction_not_in_stack",
            6, "/jurisdiction_stack");
    invalid(0, edit(ZONE, "profile: t-profile\n", "profile: t-profile\ncompliance_domains: [aml, anti_bribery]\n"),
            "zone.unknown_domain", 8, "/compliance_domains/1");
    invalid(0, edit(ZONE, "profile: t-profile\n", "profile: t-profile\ncompliance_domains: [aml, aml]\n"),
            "zone.duplicate_value", 8, "/compliance_domains/1");
    invalid(0, edit(ZONE, "profile: t-profile\n", "profile: t-profile\ncompliance_domains: []\n"),
            "zone.invalid_value", 8, "/compliance_domains");
    invalid(0, edit(ZONE, "[regpacks/rates.yaml, ", "[../rates.yaml, "), "zone.invalid_path", 10,
            "/packs/regpacks/0");
    invalid(0, edit(ZONE, "[regpacks/rates.yaml, ", "[/etc/passwd, "), "zone.invalid_path", 10, "/packs/regpacks/0");
    invalid(0, edit(ZONE, "  lawpacks:", "  statutes: []\n  lawpacks:"), "zone.unknown_key", 9, "/packs/statutes");
    invalid(0, edit(ZONE, "un-consolidated-xml", "ofac-sdn-csv"), "zone.invalid_value", 12,
            "/sanctions_imports/0/format");
    invalid(0, edit(ZONE, "packs:\n", "lockfile: ../stack.lock\npacks:\n"), "zone.invalid_path", 8, "/lockfile");
    /* `mez lock` would overwrite the file the lockfile names: not the zone file, a pack, or a lawpack's file. */
    invalid(0, edit(ZONE, "packs:\n", "lockfile: t.yaml\npacks:\n"), "zone.invalid_path", 8, "/lockfile");
    invalid(0, edit(ZONE, "packs:\n", "lockfile: regpacks/aml.yaml\npacks:\n"), "zone.invalid_path", 8,
            "/lockfile");
    invalid(0, edit(ZONE, "packs:\n", "lockfile: lawpacks/t-act/stack.lock\npacks:\n"), "zone.invalid_path", 8,
            "/lockfile");
    /* A timezone is an IANA name and a tax year's start a day MM-DD, both at their line. */
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntimezone: ../../etc/passwd\n"),
            "zone.invalid_value", 6, "/timezone");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntimezone: /usr/share/zoneinfo/UTC\n"),
            "zone.invalid_value", 6, "/timezone");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntimezone: 5\n"), "zone.invalid_type", 6,
            "/timezone");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntax_year_start: \"7-1\"\n"),
            "zone.invalid_value", 6, "/tax_year_start");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntax_year_start: \"02-29\"\n"),
            "zone.invalid_value", 6, "/tax_year_start");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntax_year_start: \"13-01\"\n"),
            "zone.invalid_value", 6, "/tax_year_start");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntax_year_start: \"07-1x\"\n"),
            "zone.invalid_value", 6, "/tax_year_start");
    /* A weekend is one to six days of the week, each named once, in lower case. */
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [saturday, Sunday]\n"),
            "zone.invalid_value", 6, "/weekend/1");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [sat]\n"),
            "zone.invalid_value", 6, "/weekend/0");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [friday, friday]\n"),
            "zone.duplicate_value", 6, "/weekend/1");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: []\n"),
            "zone.invalid_value", 6, "/weekend");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [monday, tuesday, wednesday, "
                                                  "thursday, friday, saturday, sunday]\n"),
            "zone.invalid_value", 6, "/weekend");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: sunday\n"),
            "zone.invalid_type", 6, "/weekend");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [6]\n"),
            "zone.invalid_type", 6, "/weekend/0");
    /* Public holidays: the days the list is complete for, and each day in them once, YYYY-MM-DD, with a name. */
#define HOLIDAYS(from, through, days) \
    edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\npublic_holidays:\n  complete_from: " from \
         "\n  complete_through: " through "\n  days:\n" days)
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - {date: \"2026-11-31\", name: x}\n"),
            "zone.invalid_value", 10, "/public_holidays/days/0/date");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - {date: \"2027-01-01\", name: x}\n"),
            "zone.invalid_value", 10, "/public_holidays/days/0/date");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"",
                        "    - {date: \"2026-11-09\", name: x}\n    - {date: \"2026-11-09\", name: y}\n"),
            "zone.duplicate_value", 11, "/public_holidays/days/1/date");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - {date: \"2026-11-09\"}\n"),
            "zone.missing_field", 10, "/public_holidays/days/0");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - {date: \"2026-11-09\", name: \"\"}\n"),
            "zone.invalid_value", 10, "/public_holidays/days/0/name");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - {date: \"2026-11-09\", name: x, y: 1}\n"),
            "zone.unknown_key", 10, "/public_holidays/days/0/y");
    invalid(0, HOLIDAYS("\"2026-12-31\"", "\"2026-09-01\"", "    []\n"),
            "zone.invalid_value", 8, "/public_holidays/complete_through");
    invalid(0, HOLIDAYS("\"26-09-01\"", "\"2026-12-31\"", "    []\n"),
            "zone.invalid_value", 7, "/public_holidays/complete_from");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    - \"2026-11-09\"\n"),
            "zone.invalid_type", 10, "/public_holidays/days/0");
    invalid(0, HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"", "    x: 1\n"),
            "zone.invalid_type", 9, "/public_holidays/days");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\npublic_holidays: [\"2026-11-09\"]\n"),
            "zone.invalid_type", 6, "/public_holidays");
    invalid(0, edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\npublic_holidays: {days: []}\n"),
            "zone.missing_field", 6, "/public_holidays");
    {
        /* Beside them is fine, a name that merely starts like a lawpack's directory included. */
        const char *text = edit(ZONE, "packs:\n", "lockfile: lawpacks/t-act.lock\npacks:\n");
        CU_ASSERT_EQUAL_FATAL(mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_zone_validate(unit_pool(), doc, NULL, &pb), MEZ_OK);
    }
}

static void test_profile_validation(void)
{
    mez_yaml_doc_t *doc = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_yaml_parse(unit_pool(), "t.yaml", PROFILE, strlen(PROFILE), &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_profile_validate(unit_pool(), doc, NULL, &pb), MEZ_OK);

    invalid(1, edit(PROFILE, "[aml, tax, sanctions]", "[aml, tax, insurance]"), "profile.unknown_domain", 6,
            "/compliance_domains/2");
    invalid(1, edit(PROFILE, "  licensepacks: []\n", ""), "profile.missing_field", 7, "/pack_domains");
    invalid(1, edit(PROFILE, "  regpacks: [tax, aml]", "  regpacks: [tax, sharia]"), "profile.unknown_domain", 9,
            "/pack_domains/regpacks/1");
    invalid(1, edit(PROFILE, "mass.treasury", "Mass.Treasury"), "profile.invalid_value", 11, "/modules/1");
    invalid(1, edit(PROFILE, "modules:", "plugins: []\nmodules:"), "profile.unknown_key", 11, "/plugins");
    invalid(1, edit(PROFILE, "description: A profile for the unit tests\n", ""), "profile.missing_field", 2, "");
}

/* ------------------------------------------------------------------ loading */

static void test_zone_load(void)
{
    const char *dir = zone_dir(ZONE);
    mez_zone_t *zone = load_ok(dir);
    const mez_zone_pack_t *zp;
    mez_problem_t pb = { 0 };

    CU_ASSERT_STRING_EQUAL(zone->zone_id, "t-zone");
    CU_ASSERT_STRING_EQUAL(zone->profile->id, "t-profile");
    CU_ASSERT_EQUAL(zone->packs->nelts, 3);
    /* No override: the profile's domains. */
    CU_ASSERT_FALSE(zone->domains_from_zone);
    CU_ASSERT_EQUAL_FATAL(zone->compliance_domains->nelts, 3);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(zone->compliance_domains, 2, const char *), "sanctions");
    CU_ASSERT_STRING_EQUAL(zone->lock_path, apr_pstrcat(unit_pool(), dir, "/stack.lock", NULL));
    for (int i = 0; i < zone->packs->nelts; i++)
        CU_ASSERT_PTR_NOT_NULL(APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).pack);

    /* Packs by digest, and the refusals the API answers with. */
    zp = &APR_ARRAY_IDX(zone->packs, 1, mez_zone_pack_t);
    CU_ASSERT_PTR_EQUAL(mez_zone_find_pack(zone, &zp->pack->digest), zp);
    CU_ASSERT_EQUAL(mez_zone_pack_by_digest(unit_pool(), zone, mez_pack_digest_string(unit_pool(), zp->pack), &zp,
                                            &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(zp->pack->id, "t-rates");
    CU_ASSERT_EQUAL(mez_zone_pack_by_digest(unit_pool(), zone, "sha256:abc", &zp, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "digest.invalid");
    CU_ASSERT_EQUAL(pb.status, 400);
    CU_ASSERT_EQUAL(mez_zone_pack_by_digest(unit_pool(), zone, "sha256:0000000000000000000000000000000000000000000000"
                                            "000000000000000000", &zp, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.not_found");
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_EQUAL(mez_zone_pack_by_digest(unit_pool(), NULL, "sha256:0000000000000000000000000000000000000000000000"
                                            "000000000000000000", &zp, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.not_found");

    /* Without a timezone the zone's calendar is UTC's, and the operator is told so. */
    CU_ASSERT_PTR_NULL(zone->timezone);
    CU_ASSERT_PTR_EQUAL(zone->tz, mez_tz_utc());
    CU_ASSERT_PTR_NULL(zone->tax_year_start);
    CU_ASSERT_EQUAL(zone->weekend, MEZ_WEEKEND_DEFAULT);      /* saturday and sunday when it names none */
    CU_ASSERT_PTR_NOT_NULL(strstr(mez_zone_timezone_warning(unit_pool(), zone), "no timezone"));
    /* With one, read at load: the date of 19:00 UTC on 30 June is 1 July in Karachi. */
    zone = load_ok(zone_dir(edit(ZONE, "jurisdiction_id: pk\n",
                                 "jurisdiction_id: pk\ntimezone: Asia/Karachi\ntax_year_start: \"07-01\"\n")));
    CU_ASSERT_STRING_EQUAL(zone->timezone, "Asia/Karachi");
    CU_ASSERT_STRING_EQUAL(mez_tz_name(zone->tz), "Asia/Karachi");
    CU_ASSERT_STRING_EQUAL(mez_tz_date(unit_pool(), zone->tz, apr_time_from_sec(1782846000)), "2026-07-01");
    CU_ASSERT_STRING_EQUAL(mez_tz_date(unit_pool(), zone->tz, apr_time_from_sec(1782845999)), "2026-06-30");
    CU_ASSERT_STRING_EQUAL(zone->tax_year_start, "07-01");
    CU_ASSERT_PTR_NULL(mez_zone_timezone_warning(unit_pool(), zone));
    zone = load_ok(zone_dir(edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\nweekend: [saturday, friday]\n")));
    CU_ASSERT_EQUAL(zone->weekend, MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6));
    CU_ASSERT_PTR_NULL(zone->holidays);
    /* Public holidays, read in any order, kept ascending with their names; a holiday on a weekend is allowed. */
    zone = load_ok(zone_dir(HOLIDAYS("\"2026-09-01\"", "\"2026-12-31\"",
                                     "    - {date: \"2026-12-25\", name: Quaid-e-Azam Day}\n"
                                     "    - {date: \"2026-11-09\", name: Iqbal Day}\n"
                                     "    - {date: \"2026-09-05\", name: A Saturday}\n")));
    CU_ASSERT_PTR_NOT_NULL_FATAL(zone->holidays);
    CU_ASSERT_EQUAL(zone->holidays->from_day, mez_days_from_civil(2026, 9, 1));
    CU_ASSERT_EQUAL(zone->holidays->through_day, mez_days_from_civil(2026, 12, 31));
    CU_ASSERT_EQUAL_FATAL(zone->holidays->n, 3);
    CU_ASSERT_EQUAL(zone->holidays->days[0], mez_days_from_civil(2026, 9, 5));
    CU_ASSERT_EQUAL(zone->holidays->days[1], mez_days_from_civil(2026, 11, 9));
    CU_ASSERT_EQUAL(zone->holidays->days[2], mez_days_from_civil(2026, 12, 25));
    CU_ASSERT_STRING_EQUAL(zone->holidays->names[1], "Iqbal Day");
    CU_ASSERT_STRING_EQUAL(zone->holidays->names[2], "Quaid-e-Azam Day");
    /* A list complete for a stretch with no holiday in it. */
    zone = load_ok(zone_dir(HOLIDAYS("\"2026-10-01\"", "\"2026-10-31\"", "    []\n")));
    CU_ASSERT_PTR_NOT_NULL_FATAL(zone->holidays);
    CU_ASSERT_EQUAL(zone->holidays->n, 0);
#undef HOLIDAYS

    /* The zone's own domain selection wins over the profile's. */
    zone = load_ok(zone_dir(edit(ZONE, "profile: t-profile\n", "profile: t-profile\ncompliance_domains: [kyc]\n")));
    CU_ASSERT_TRUE(zone->domains_from_zone);
    CU_ASSERT_EQUAL(zone->compliance_domains->nelts, 1);
}

static void test_zone_load_errors(void)
{
    const char *dir;
    mez_problem_t pb;

    /* Unknown key in zone.yaml: file, line and pointer. */
    dir = zone_dir(edit(ZONE, "zone_name: Test zone\n", "zone_name: Test zone\nowner: nobody\n"));
    load_refused(dir, "zone.unknown_key", "zone.yaml", 5, "/owner");

    /* A time zone the machine does not have: refused at load, at the line, naming the field and the name. */
    dir = zone_dir(edit(ZONE, "jurisdiction_id: pk\n", "jurisdiction_id: pk\ntimezone: Mars/Olympus\n"));
    pb = load_refused(dir, "zone.unknown_timezone", "zone.yaml", 6, "/timezone");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "timezone: there is no time zone 'Mars/Olympus'"));

    /* A profile that does not exist is reported at the zone's "profile" line. */
    dir = zone_dir(edit(ZONE, "profile: t-profile", "profile: t-nonesuch"));
    pb = load_refused(dir, "zone.unknown_profile", "zone.yaml", 7, "/profile");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "t-nonesuch.yaml"));

    /* A pack file that is not there, at its entry in the list. */
    dir = zone_dir(edit(ZONE, "regpacks/aml.yaml]", "regpacks/missing.yaml]"));
    pb = load_refused(dir, "zone.pack_not_found", "zone.yaml", 10, "/packs/regpacks/1");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "regpacks/missing.yaml"));

    /* An unknown domain in the zone's override. */
    dir = zone_dir(edit(ZONE, "profile: t-profile\n", "profile: t-profile\ncompliance_domains: [tax, insurance]\n"));
    load_refused(dir, "zone.unknown_domain", "zone.yaml", 8, "/compliance_domains/1");

    /* A profile with an unknown domain: the profile file's own line. */
    dir = zone_dir(ZONE);
    write_file(profiles_of(dir), "t-profile.yaml", edit(PROFILE, "[aml, tax, sanctions]", "[aml, tax, sharia]"));
    load_refused(dir, "profile.unknown_domain", "t-profile.yaml", 6, "/compliance_domains/2");

    /* A profile whose id is not its file name. */
    dir = zone_dir(ZONE);
    write_file(profiles_of(dir), "t-profile.yaml", edit(PROFILE, "id: t-profile", "id: t-other"));
    load_refused(dir, "profile.id_mismatch", "t-profile.yaml", 3, "/id");

    /* A regpack listed among lawpacks. */
    dir = zone_dir(edit(ZONE, "[lawpacks/t-act]", "[lawpacks/t-act, regpacks/aml.yaml]"));
    load_refused(dir, "zone.pack_kind_mismatch", "zone.yaml", 9, "/packs/lawpacks/1");

    /* A pack whose domain the profile does not select for its kind. */
    dir = zone_dir(ZONE);
    write_file(dir, "regpacks/aml.yaml", edit(AML, "domain: aml", "domain: sanctions"));
    load_refused(dir, "zone.pack_domain", "zone.yaml", 10, "/packs/regpacks/1");

    /* A pack of a jurisdiction outside the zone's stack. */
    dir = zone_dir(ZONE);
    write_file(dir, "regpacks/aml.yaml", edit(AML, "jurisdiction_id: pk", "jurisdiction_id: ae"));
    load_refused(dir, "zone.pack_jurisdiction", "zone.yaml", 10, "/packs/regpacks/1");

    /* Two packs with one id. */
    dir = zone_dir(ZONE);
    write_file(dir, "regpacks/aml.yaml", edit(edit(AML, "id: t-aml", "id: t-rates"), "domain: aml", "domain: tax"));
    load_refused(dir, "zone.duplicate_pack", "zone.yaml", 10, "/packs/regpacks/1");

    /* A rate citing a section the zone's lawpacks do not have: the regpack's own file and line. */
    dir = zone_dir(ZONE);
    write_file(dir, "regpacks/rates.yaml", edit(RATES, "eid: sec_1", "eid: sec_2"));
    load_refused(dir, "pack.unknown_eid", "rates.yaml", 12, "/withholding_rates/0/law/eid");

    /* ...or an act the zone does not load at all. */
    dir = zone_dir(edit(ZONE, "  lawpacks: [lawpacks/t-act]\n", ""));
    load_refused(dir, "pack.unknown_lawpack", "rates.yaml", 12, "/withholding_rates/0/law/lawpack");

    /* An invalid pack: the pack's problem, at its file and line. */
    dir = zone_dir(ZONE);
    write_file(dir, "regpacks/aml.yaml", edit(AML, "    source: amla\n", "    source: amla\n    colour: red\n"));
    load_refused(dir, "pack.unknown_key", "aml.yaml", 15, "/thresholds/0/colour");
}

/* ------------------------------------------------------------------ stack.lock */

static void test_lock_round_trip(void)
{
    const char *dir = zone_dir(ZONE);
    mez_zone_t *zone = load_ok(dir);
    mez_problem_t pb = { 0 };
    mez_digest_t written, file_digest;
    mez_zone_lock_t *lock;
    const char *text, *canon;
    size_t len;
    json_t *model;

    CU_ASSERT_EQUAL_FATAL(mez_zone_lock_write(unit_pool(), zone, NULL, &written, &pb), MEZ_OK);
    text = read_text(zone->lock_path);
    /* The file is exactly its canonical form, and its SHA-256 is the lock's digest. */
    mez_digest_sha256(text, strlen(text), &file_digest);
    CU_ASSERT_TRUE(mez_digest_equal(&written, &file_digest));
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &model, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), model, &canon, &len, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(canon, text);
    CU_ASSERT_PTR_NULL(strstr(text, "0000000000000000"));

    CU_ASSERT_EQUAL_FATAL(mez_zone_lock_parse(unit_pool(), "stack.lock", text, strlen(text), &lock, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(lock->zone_id, "t-zone");
    CU_ASSERT_STRING_EQUAL(lock->profile_id, "t-profile");
    CU_ASSERT_TRUE(mez_digest_equal(&lock->zone_manifest, &zone->manifest_digest));
    CU_ASSERT_TRUE(mez_digest_equal(&lock->profile_digest, &zone->profile->digest));
    /* Sorted by type, then path. */
    CU_ASSERT_EQUAL_FATAL(lock->artifacts->nelts, 3);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(lock->artifacts, 0, mez_lock_artifact_t).path, "lawpacks/t-act");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(lock->artifacts, 1, mez_lock_artifact_t).path, "regpacks/aml.yaml");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(lock->artifacts, 2, mez_lock_artifact_t).path, "regpacks/rates.yaml");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(lock->artifacts, 2, mez_lock_artifact_t).type, "regpack");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(lock->artifacts, 2, mez_lock_artifact_t).id, "t-rates");

    /* A fresh load verifies; writing again gives the same bytes. */
    CU_ASSERT_PTR_NULL(verify(dir, NULL).code);
    CU_ASSERT_EQUAL_FATAL(mez_zone_lock_write(unit_pool(), load_ok(dir), NULL, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(read_text(zone->lock_path), text);

    /* Comments and layout in zone.yaml are not part of the zone's manifest. */
    write_file(dir, "zone.yaml", apr_pstrcat(unit_pool(), "# reviewed 2025-11-25\n", ZONE, NULL));
    CU_ASSERT_PTR_NULL(verify(dir, NULL).code);
}

static void test_lock_detects_changes(void)
{
    const char *dir = zone_dir(ZONE);
    mez_zone_t *zone = load_ok(dir);
    mez_problem_t pb = { 0 };
    apr_array_header_t *problems = apr_array_make(unit_pool(), 4, sizeof(mez_problem_t));
    const char *locked, *expect;

    CU_ASSERT_EQUAL_FATAL(mez_zone_lock_write(unit_pool(), zone, NULL, NULL, &pb), MEZ_OK);
    locked = mez_pack_digest_string(unit_pool(), APR_ARRAY_IDX(zone->packs, 1, mez_zone_pack_t).pack);

    /* One rate changed: only that pack, with the digest the lock expects and the one it has now. */
    write_file(dir, "regpacks/rates.yaml", edit(RATES, "non_filer: \"10\"", "non_filer: \"12\""));
    pb = verify(dir, problems);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.digest_mismatch");
    CU_ASSERT_EQUAL(problems->nelts, 1);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/artifacts/2/digest");
    expect = apr_psprintf(unit_pool(), "regpack t-rates (regpacks/rates.yaml) does not match the lock: expected %s, "
                          "actual sha256:", locked);
    if (!strstr(pb.detail, expect))
        fprintf(stderr, "\nunexpected detail: %s\n", pb.detail);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, expect));
    write_file(dir, "regpacks/rates.yaml", RATES);
    CU_ASSERT_PTR_NULL(verify(dir, NULL).code);

    /* The act's text changed. */
    write_file(dir, "lawpacks/t-act/akn/main.xml", edit(AKN, "shall deduct tax", "may deduct tax"));
    pb = verify(dir, NULL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.digest_mismatch");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "lawpack t-act (lawpacks/t-act)"));
    write_file(dir, "lawpacks/t-act/akn/main.xml", AKN);

    /* The profile changed. */
    write_file(profiles_of(dir), "t-profile.yaml", edit(PROFILE, "name: Test profile", "name: Other profile"));
    pb = verify(dir, NULL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.digest_mismatch");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/profile/digest");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "profile t-profile"));
    write_file(profiles_of(dir), "t-profile.yaml", PROFILE);

    /* The zone file changed. */
    write_file(dir, "zone.yaml", edit(ZONE, "zone_name: Test zone", "zone_name: Renamed zone"));
    pb = verify(dir, NULL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.digest_mismatch");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/zone_manifest");

    /* A pack dropped from the zone: the lock still pins it (and the zone file changed too). */
    apr_array_clear(problems);
    write_file(dir, "zone.yaml", edit(ZONE, "[regpacks/rates.yaml, regpacks/aml.yaml]", "[regpacks/rates.yaml]"));
    pb = verify(dir, problems);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.stale_artifact");
    CU_ASSERT_EQUAL(problems->nelts, 2);

    /* A pack added to the zone that the lock does not pin. */
    write_file(dir, "regpacks/more.yaml", edit(AML, "id: t-aml", "id: t-more"));
    write_file(dir, "zone.yaml", edit(ZONE, "regpacks/aml.yaml]", "regpacks/aml.yaml, regpacks/more.yaml]"));
    pb = verify(dir, NULL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.unlocked_artifact");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "regpack t-more (regpacks/more.yaml)"));

    /* No lock at all. */
    write_file(dir, "zone.yaml", ZONE);
    CU_ASSERT_EQUAL(apr_file_remove(apr_pstrcat(unit_pool(), dir, "/stack.lock", NULL), unit_pool()), APR_SUCCESS);
    pb = verify(dir, NULL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.missing");
}

static void lock_invalid(const char *text, const char *pointer)
{
    mez_zone_lock_t *lock = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_zone_lock_parse(unit_pool(), "stack.lock", text, strlen(text), &lock, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_STRING_EQUAL(pb.code, "lock.invalid");
    if (pointer) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
        if (strcmp(pb.pointer, pointer))
            fprintf(stderr, "\nexpected %s, got %s: %s\n", pointer, pb.pointer, pb.detail);
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    }
}

static void test_lock_parse(void)
{
    const char *d = "sha256:8c844c6cdce235f979b161e7a690eda1d826d4028df4b8eb33afc80785b37833";
    const char *good = apr_psprintf(unit_pool(),
        "{\"format\": \"mez-stack-lock/1\", \"zone_id\": \"z\", \"zone_manifest\": \"%s\",\n"
        " \"profile\": {\"id\": \"p\", \"digest\": \"%s\"},\n"
        " \"artifacts\": [{\"type\": \"regpack\", \"id\": \"r\", \"path\": \"regpacks/r.yaml\", \"digest\": \"%s\"}]}",
        d, d, d);
    mez_zone_lock_t *lock;
    mez_problem_t pb = { 0 };

    /* Any JSON spelling of a lock is read (pretty-printed, members in any order). */
    CU_ASSERT_EQUAL_FATAL(mez_zone_lock_parse(unit_pool(), "stack.lock", good, strlen(good), &lock, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(lock->artifacts->nelts, 1);

    lock_invalid("[]", "");
    lock_invalid("{\"format\": ", NULL);
    lock_invalid(edit(good, "\"zone_id\"", "\"generated_at\": \"now\", \"zone_id\""), "/generated_at");
    lock_invalid(edit(good, "mez-stack-lock/1", "mez-stack-lock/2"), "/format");
    lock_invalid(edit(good, "\"zone_manifest\": \"sha256:8c", "\"zone_manifest\": \"sha256:8C"), "/zone_manifest");
    lock_invalid(edit(good, "{\"id\": \"p\", ", "{"), "/profile");
    lock_invalid(edit(good, "\"type\": \"regpack\"", "\"type\": \"module\""), "/artifacts/0/type");
    lock_invalid(edit(good, "regpacks/r.yaml", "../r.yaml"), "/artifacts/0/path");
    /* JSON spells a NUL as \u0000: the zone id and paths were read up to it, the lock's digest over all of it. */
    lock_invalid(edit(good, "\"zone_id\": \"z\"", "\"zone_id\": \"z\\u0000y\""), "/zone_id");
    lock_invalid(edit(good, "\"id\": \"r\"", "\"id\": \"r\\u0000/../x\""), "/artifacts/0/id");
    lock_invalid(edit(good, "regpacks/r.yaml", "regpacks/r.yaml\\u0000x"), "/artifacts/0/path");
    lock_invalid(edit(good, "\"digest\": \"sha256:8c844c6cdce235f979b161e7a690eda1d826d4028df4b8eb33afc80785b37833\"}]",
                      "\"digest\": \"sha256:0\"}]"), "/artifacts/0/digest");
    lock_invalid(edit(good, "}]}", "}, {\"type\": \"regpack\", \"id\": \"r2\", \"path\": \"regpacks/r.yaml\", "
                      "\"digest\": \"sha256:8c844c6cdce235f979b161e7a690eda1d826d4028df4b8eb33afc80785b37833\"}]}"),
                 "/artifacts/1");
}

/* ------------------------------------------------------------------ laws */

static void test_laws(void)
{
    const char *dir = zone_dir(edit(ZONE, "[lawpacks/t-act]", "[lawpacks/t-act, lawpacks/t-act2]"));
    const mez_pack_t *law;
    const mez_akn_section_t *sec;
    mez_akn_text_t says;
    mez_problem_t pb = { 0 };
    mez_zone_t *zone;

    write_file(dir, "lawpacks/t-act2/lawpack.yaml", edit(LAWPACK, "id: t-act", "id: t-act2"));
    write_file(dir, "lawpacks/t-act2/akn/main.xml", AKN);
    zone = load_ok(dir);
    /* Two acts with one eId: the caller must choose. */
    CU_ASSERT_EQUAL(mez_zone_law(unit_pool(), zone, "sec_1", NULL, &law, &sec, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "law.ambiguous");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL_FATAL(mez_zone_law(unit_pool(), zone, "sec_1", "t-act2", &law, &sec, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(law->id, "t-act2");
    mez_akn_section_text(unit_pool(), sec, &says);
    CU_ASSERT_STRING_EQUAL(says.heading, "Deduction at source");
    CU_ASSERT_STRING_EQUAL(says.num, "1.");
    CU_ASSERT_EQUAL(mez_zone_law(unit_pool(), zone, "sec_9", NULL, &law, &sec, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "law.not_found");
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_EQUAL(mez_zone_law(unit_pool(), zone, "sec_1", "t-other", &law, &sec, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "law.not_found");
    CU_ASSERT_EQUAL(mez_zone_law(unit_pool(), NULL, "sec_1", NULL, &law, &sec, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "law.not_found");

    zone = load_ok(zone_dir(ZONE));
    CU_ASSERT_EQUAL_FATAL(mez_zone_law(unit_pool(), zone, "sec_1", NULL, &law, &sec, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(law->id, "t-act");
}

/* ------------------------------------------------------------------ composition */

/* A two-layer zone: a national base (pk) and the zone's overlay (pk-sifc). Between them: one withholding rate
 * both set differently, one obligation both state alike, and a services rate whose base row ended the day the
 * overlay's began (no conflict). */
static const char LAYER_PROFILE[] =
    "format: mez-profile/1\n"
    "id: t-layers\n"
    "name: Layered test profile\n"
    "description: A profile for the composition tests\n"
    "compliance_domains: [aml, tax, licensing]\n"
    "pack_domains:\n"
    "  lawpacks: []\n"
    "  regpacks: [tax, aml]\n"
    "  licensepacks: [licensing]\n"
    "modules: [compliance]\n";

static const char LAYER_ZONE[] =
    "format: mez-zone/1\n"
    "zone_id: t-layers\n"
    "zone_name: Layered zone\n"
    "jurisdiction_id: pk-sifc\n"
    "jurisdiction_stack: [pk, pk-sifc]\n"                    /* 5 */
    "profile: t-layers\n"
    "packs:\n"
    "  regpacks: [regpacks/base.yaml, regpacks/overlay.yaml]\n";

static const char BASE[] =
    "format: mez-regpack/1\n"
    "id: t-base\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: National rates\n"                                /* 5 */
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: fa, title: Finance Act, kind: finance_act}\n"
    "withholding_rates:\n"
    "  - id: goods\n"                                        /* 10 */
    "    section: \"153(1)(a)\"\n"
    "    payment_type: goods\n"
    "    payee_class: company\n"
    "    rates: {filer: \"5\", non_filer: \"10\"}\n"
    "    valid_from: \"2025-07-01\"\n"                       /* 15 */
    "    source: fa\n"
    "  - id: services-old\n"
    "    section: \"153(1)(b)\"\n"
    "    payment_type: services\n"
    "    payee_class: any\n"                                 /* 20 */
    "    rates: {filer: \"6\"}\n"
    "    valid_from: \"2024-07-01\"\n"
    "    valid_to: \"2025-07-01\"\n"
    "    source: fa\n"
    "obligations:\n"                                         /* 25 */
    "  - id: str-filing\n"
    "    description: File a suspicious transaction report\n"
    "    deadline: {days: 7, from: suspicion}\n"
    "    valid_from: \"2020-01-01\"\n"
    "    source: fa\n";

static const char OVERLAY[] =
    "format: mez-regpack/1\n"
    "id: t-zone-rates\n"
    "jurisdiction_id: pk-sifc\n"
    "domain: tax\n"
    "title: Zone rates\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: sro, title: SRO 1/2025, kind: sro}\n"
    "withholding_rates:\n"
    "  - id: goods-sifc\n"                                   /* 10 */
    "    section: \"153(1)(a)\"\n"
    "    payment_type: goods\n"
    "    payee_class: company\n"
    "    rates: {filer: \"1\", non_filer: \"10\"}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: sro\n"
    "  - id: services-sifc\n"
    "    section: \"153(1)(b)\"\n"
    "    payment_type: services\n"
    "    payee_class: company\n"                             /* 20 */
    "    rates: {filer: \"3\"}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: sro\n"
    "obligations:\n"
    "  - id: str-filing\n"                                   /* 25 */
    "    description: The zone restates the national duty\n"
    "    deadline: {days: 7, from: suspicion}\n"
    "    valid_from: \"2024-01-01\"\n"
    "    source: sro\n";

static const char OVERRIDES[] =
    "overrides:\n"                                           /* 9 */
    "  - rule: t-zone-rates/goods-sifc\n"
    "    replaces: t-base/goods\n"
    "    reason: SRO 1/2025 sets a reduced rate for zone enterprises\n"
    "  - rule: t-zone-rates/str-filing\n"
    "    replaces: t-base/str-filing\n"
    "    reason: the same duty, restated by the zone\n";

static const char *layer_dir(const char *zone_text, const char *base, const char *overlay)
{
    const char *root = unit_tmpdir(), *dir;
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    dir = apr_pstrcat(unit_pool(), root, "/zone", NULL);
    write_file(root, "profiles/t-layers.yaml", LAYER_PROFILE);
    write_file(dir, "zone.yaml", zone_text);
    write_file(dir, "regpacks/base.yaml", base);
    write_file(dir, "regpacks/overlay.yaml", overlay);
    return dir;
}

static const mez_zone_conflict_t *conflict_at(const mez_zone_t *zone, int i)
{
    const apr_array_header_t *all = mez_zone_conflicts(zone);
    CU_ASSERT_FATAL(i < all->nelts);
    return &APR_ARRAY_IDX(all, i, mez_zone_conflict_t);
}

static void test_conflicts_found(void)
{
    mez_zone_t *zone = load_ok(layer_dir(LAYER_ZONE, BASE, OVERLAY));
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    const mez_zone_conflict_t *k;
    const mez_problem_t *pr;
    json_t *j;

    /* Two conflicts, in section order: the services rows never share a day, so they are not one. */
    CU_ASSERT_EQUAL_FATAL(mez_zone_conflicts(zone)->nelts, 2);
    CU_ASSERT_EQUAL(mez_zone_unresolved_conflicts(zone), 2);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(zone->packs, 0, mez_zone_pack_t).layer, 0);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(zone->packs, 1, mez_zone_pack_t).layer, 1);

    /* Values differ: the filer rate. */
    k = conflict_at(zone, 0);
    CU_ASSERT_STRING_EQUAL(k->kind, "withholding_rates");
    CU_ASSERT_STRING_EQUAL(k->base->name, "t-base/goods");
    CU_ASSERT_STRING_EQUAL(k->overlay->name, "t-zone-rates/goods-sifc");
    CU_ASSERT_STRING_EQUAL(k->base->zp->pack->jurisdiction_id, "pk");
    CU_ASSERT_STRING_EQUAL(k->overlay->zp->pack->jurisdiction_id, "pk-sifc");
    CU_ASSERT_STRING_EQUAL(k->from, "2025-07-01");
    CU_ASSERT_PTR_NULL(k->to);
    CU_ASSERT_TRUE(k->values_differ);
    CU_ASSERT_PTR_NULL(k->override);
    CU_ASSERT_STRING_EQUAL(k->subject, "section 153(1)(a), payment_type goods, payee_class company");

    /* Values equal (descriptions and sources aside): still a conflict, which source governs is undecided. The
     * period is the later start. */
    k = conflict_at(zone, 1);
    CU_ASSERT_STRING_EQUAL(k->kind, "obligations");
    CU_ASSERT_STRING_EQUAL(k->base->name, "t-base/str-filing");
    CU_ASSERT_STRING_EQUAL(k->overlay->name, "t-zone-rates/str-filing");
    CU_ASSERT_STRING_EQUAL(k->from, "2024-01-01");
    CU_ASSERT_FALSE(k->values_differ);

    /* Checking reports each one, naming both rules with their files and lines. */
    opts.problems = apr_array_make(unit_pool(), 4, sizeof(mez_problem_t));
    CU_ASSERT_EQUAL(mez_zone_check_conflicts(unit_pool(), zone, &opts, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "zone.conflict");
    CU_ASSERT_EQUAL(pb.status, 422);
    CU_ASSERT_EQUAL_FATAL(opts.problems->nelts, 2);
    pr = &APR_ARRAY_IDX(opts.problems, 0, mez_problem_t);
    CU_ASSERT_PTR_NOT_NULL(strstr(pr->detail, "t-base/goods (pk, regpacks/base.yaml:10)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pr->detail, "t-zone-rates/goods-sifc (pk-sifc, regpacks/overlay.yaml:10)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pr->detail, "from 2025-07-01 (open-ended)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pr->detail, "values differ"));
    CU_ASSERT_PTR_NOT_NULL(strstr(APR_ARRAY_IDX(opts.problems, 1, mez_problem_t).detail, "are the same"));

    j = mez_json_pool_own(unit_pool(), mez_zone_conflicts_json(unit_pool(), zone));
    CU_ASSERT_EQUAL_FATAL(json_array_size(j), 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_array_get(j, 0), "overlay"),
                                                             "jurisdiction_id")), "pk-sifc");
    CU_ASSERT_TRUE(json_is_false(json_object_get(json_array_get(j, 0), "resolved")));
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(json_array_get(j, 0), "period"), "to"));

    /* "any" covers every payee class: moved back half a year, the overlay's services rate meets the base's
     * until the base's ends (exclusive). */
    zone = load_ok(layer_dir(LAYER_ZONE, BASE, edit(OVERLAY, "    valid_from: \"2025-07-01\"\n    source: sro\nobl",
                                                     "    valid_from: \"2025-01-01\"\n    source: sro\nobl")));
    CU_ASSERT_EQUAL_FATAL(mez_zone_conflicts(zone)->nelts, 3);
    k = conflict_at(zone, 1);
    CU_ASSERT_STRING_EQUAL(k->base->name, "t-base/services-old");
    CU_ASSERT_STRING_EQUAL(k->from, "2025-01-01");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k->to);
    CU_ASSERT_STRING_EQUAL(k->to, "2025-07-01");
    CU_ASSERT_STRING_EQUAL(k->subject, "section 153(1)(b), payment_type services, payee_class any / company");

    /* Periods that do not overlap are not conflicts: the overlay's rate starts when the base's ends. */
    zone = load_ok(layer_dir(LAYER_ZONE, edit(BASE, "    valid_from: \"2025-07-01\"\n    source: fa\n",
                                              "    valid_from: \"2024-07-01\"\n    valid_to: \"2025-07-01\"\n"
                                              "    source: fa\n"), OVERLAY));
    CU_ASSERT_EQUAL_FATAL(mez_zone_conflicts(zone)->nelts, 1);
    CU_ASSERT_STRING_EQUAL(conflict_at(zone, 0)->kind, "obligations");

    /* Different payee classes govern different payments. */
    zone = load_ok(layer_dir(LAYER_ZONE, BASE, edit(OVERLAY, "    payee_class: company\n    rates: {filer: \"1\"",
                                                     "    payee_class: individual\n    rates: {filer: \"1\"")));
    CU_ASSERT_EQUAL(mez_zone_conflicts(zone)->nelts, 1);

    /* Both packs in one layer: not a composition conflict (nothing to compose). */
    zone = load_ok(layer_dir(LAYER_ZONE, BASE, edit(OVERLAY, "jurisdiction_id: pk-sifc", "jurisdiction_id: pk")));
    CU_ASSERT_EQUAL(mez_zone_conflicts(zone)->nelts, 0);
    CU_ASSERT_EQUAL(mez_zone_check_conflicts(unit_pool(), zone, NULL, &pb), MEZ_OK);

    /* A single-layer zone has none either. */
    CU_ASSERT_EQUAL(mez_zone_conflicts(load_ok(zone_dir(ZONE)))->nelts, 0);
    CU_ASSERT_EQUAL(mez_zone_conflicts(NULL)->nelts, 0);
}

static void test_overrides(void)
{
    const char *zone_text = apr_pstrcat(unit_pool(), LAYER_ZONE, OVERRIDES, NULL), *dir;
    mez_zone_t *zone = load_ok(layer_dir(zone_text, BASE, OVERLAY));
    mez_problem_t pb = { 0 };
    json_t *j;

    /* Each conflict resolved by its entry; the conflicts are still there to see. */
    CU_ASSERT_EQUAL_FATAL(zone->overrides->nelts, 2);
    CU_ASSERT_EQUAL(mez_zone_conflicts(zone)->nelts, 2);
    CU_ASSERT_EQUAL(mez_zone_unresolved_conflicts(zone), 0);
    CU_ASSERT_PTR_EQUAL(conflict_at(zone, 0)->override, &APR_ARRAY_IDX(zone->overrides, 0, mez_zone_override_t));
    CU_ASSERT_PTR_EQUAL(conflict_at(zone, 1)->override, &APR_ARRAY_IDX(zone->overrides, 1, mez_zone_override_t));
    CU_ASSERT_EQUAL(mez_zone_check_conflicts(unit_pool(), zone, NULL, &pb), MEZ_OK);
    j = mez_json_pool_own(unit_pool(), mez_zone_conflicts_json(unit_pool(), zone));
    CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(j, 0), "resolved")));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(json_array_get(j, 0), "override"),
                                                             "replaces")), "t-base/goods");
    j = mez_json_pool_own(unit_pool(), mez_zone_overrides_json(zone));
    CU_ASSERT_EQUAL(json_array_size(j), 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(j, 1), "reason")),
                           "the same duty, restated by the zone");

    /* What an evaluator reads: the replaced base rows are gone where the overlay's apply, nothing else moved. */
    {
        apr_array_header_t *models;
        const json_t *base, *overlay;
        CU_ASSERT_EQUAL_FATAL(mez_zone_effective_models(unit_pool(), zone, &models, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(models->nelts, 2);
        base = APR_ARRAY_IDX(models, 0, const json_t *);
        overlay = APR_ARRAY_IDX(models, 1, const json_t *);
        CU_ASSERT_PTR_EQUAL(overlay, APR_ARRAY_IDX(zone->packs, 1, mez_zone_pack_t).pack->model);
        CU_ASSERT_PTR_NOT_EQUAL(base, APR_ARRAY_IDX(zone->packs, 0, mez_zone_pack_t).pack->model);
        /* goods (from 2025-07-01, like the overlay's) is gone; services-old untouched. */
        CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(base, "withholding_rates")), 1);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(json_object_get(base,
                               "withholding_rates"), 0), "id")), "services-old");
        /* str-filing (from 2020) stays for the years before the overlay's (from 2024), ending there. */
        CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(base, "obligations")), 1);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(json_object_get(base,
                               "obligations"), 0), "valid_to")), "2024-01-01");
        /* The published pack is as it was. */
        CU_ASSERT_EQUAL(json_array_size(json_object_get(APR_ARRAY_IDX(zone->packs, 0, mez_zone_pack_t).pack->model,
                                                        "withholding_rates")), 2);
    }

    /* A bounded overlay cuts the base in two: before it and after it. */
    {
        apr_array_header_t *models;
        const json_t *rows;
        zone = load_ok(layer_dir(zone_text, BASE, edit(OVERLAY, "    valid_from: \"2024-01-01\"\n",
                                                        "    valid_from: \"2024-01-01\"\n"
                                                        "    valid_to: \"2024-07-01\"\n")));
        CU_ASSERT_EQUAL(mez_zone_unresolved_conflicts(zone), 0);
        CU_ASSERT_EQUAL_FATAL(mez_zone_effective_models(unit_pool(), zone, &models, &pb), MEZ_OK);
        rows = json_object_get(APR_ARRAY_IDX(models, 0, const json_t *), "obligations");
        CU_ASSERT_EQUAL_FATAL(json_array_size(rows), 2);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(rows, 0), "valid_to")), "2024-01-01");
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(rows, 1), "valid_from")),
                               "2024-07-01");
        CU_ASSERT_PTR_NULL(json_object_get(json_array_get(rows, 1), "valid_to"));
    }

    /* One override only: the other conflict stays unresolved. */
    zone = load_ok(layer_dir(apr_pstrcat(unit_pool(), LAYER_ZONE, "overrides:\n  - rule: t-zone-rates/goods-sifc\n"
                                         "    replaces: t-base/goods\n    reason: reduced rate\n", NULL), BASE,
                             OVERLAY));
    CU_ASSERT_EQUAL(mez_zone_unresolved_conflicts(zone), 1);
    CU_ASSERT_EQUAL(mez_zone_check_conflicts(unit_pool(), zone, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "t-base/str-filing"));

    /* An override naming a rule no pack has is an error at its line in zone.yaml. */
    dir = layer_dir(edit(zone_text, "rule: t-zone-rates/goods-sifc", "rule: t-zone-rates/goods-zone"), BASE,
                    OVERLAY);
    pb = load_refused(dir, "zone.unknown_rule", "zone.yaml", 10, "/overrides/0/rule");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "t-zone-rates/goods-zone"));
    dir = layer_dir(edit(zone_text, "replaces: t-base/goods", "replaces: t-national/goods"), BASE, OVERLAY);
    load_refused(dir, "zone.unknown_rule", "zone.yaml", 11, "/overrides/0/replaces");

    /* The base's rule named as the one that applies. */
    dir = layer_dir(edit(edit(zone_text, "rule: t-zone-rates/goods-sifc", "rule: t-base/goods"),
                         "replaces: t-base/goods", "replaces: t-zone-rates/goods-sifc"), BASE, OVERLAY);
    pb = load_refused(dir, "zone.invalid_override", "zone.yaml", 10, "/overrides/0");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "swap"));

    /* Two rules that exist but are not in conflict: nothing to override. */
    dir = layer_dir(edit(edit(zone_text, "rule: t-zone-rates/goods-sifc", "rule: t-zone-rates/services-sifc"),
                         "replaces: t-base/goods", "replaces: t-base/services-old"), BASE, OVERLAY);
    pb = load_refused(dir, "zone.invalid_override", "zone.yaml", 10, "/overrides/0");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "never in force on the same day"));

    /* The shape, validated before any pack is read. */
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: a/b, replaces: c/d}\n", NULL),
            "zone.missing_field", 14, "/overrides/0");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: goods, replaces: c/d, reason: r}\n", NULL),
            "zone.invalid_value", 14, "/overrides/0/rule");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: a/b, replaces: a/b, reason: r}\n", NULL),
            "zone.invalid_value", 14, "/overrides/0/replaces");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: a/b, replaces: c/d, reason: r, by: me}\n",
                           NULL), "zone.unknown_key", 14, "/overrides/0/by");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: a/b, replaces: c/d, reason: r}\n"
                           "  - {rule: a/b, replaces: c/d, reason: again}\n", NULL),
            "zone.duplicate_value", 15, "/overrides/1");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides: []\n", NULL), "zone.invalid_value", 13, "/overrides");
    invalid(0, apr_pstrcat(unit_pool(), ZONE, "overrides:\n  - {rule: a/b, replaces: c/d, reason: \"\"}\n", NULL),
            "zone.invalid_value", 14, "/overrides/0/reason");
}

/* ------------------------------------------------------------------ signed manifests */

static void test_signed_manifests(void)
{
    const char *dir = zone_dir(ZONE);
    mez_zone_t *zone = load_ok(dir);
    mez_vc_proof_options_t po = { 0 };
    mez_vc_result_t res;
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    mez_cas_t *cas, *bare;
    apr_array_header_t *closure, *refs;
    const char *did;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(unit_pool(), &key, &pb), MEZ_OK);
    did = mez_did_key(unit_pool(), key);
    po.created = "2025-11-25T10:00:00Z";
    CU_ASSERT_EQUAL_FATAL(mez_zone_sign_manifests(unit_pool(), zone, key, did, &po, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_cas_open(unit_pool(), apr_pstrcat(unit_pool(), dir, "/data", NULL), 1, &cas, &pb),
                          MEZ_OK);
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const json_t *subject = json_object_get(zp->credential, "credentialSubject");
        const char *bytes, *type = mez_pack_kind_name(zp->pack->kind);
        size_t len;
        mez_digest_t d;
        json_t *artifact;

        /* A credential of the zone about exactly this pack, that verifies. */
        CU_ASSERT_PTR_NOT_NULL_FATAL(zp->credential);
        CU_ASSERT_STRING_EQUAL(mez_vc_issuer_id(zp->credential), did);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(subject, "digest")),
                               mez_pack_digest_string(unit_pool(), zp->pack));
        CU_ASSERT_EQUAL_FATAL(mez_vc_verify(unit_pool(), zp->credential, NULL, &res), MEZ_OK);
        CU_ASSERT_TRUE(res.verified);

        /* The artifact: canonical, named by its SHA-256, referencing the pack. */
        CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), zp->manifest_bytes, zp->manifest_len, &artifact, &pb),
                              MEZ_OK);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(artifact, "format")), MEZ_ZONE_MANIFEST_FORMAT);
        CU_ASSERT_TRUE(json_equal(json_object_get(artifact, "credential"), zp->credential));
        mez_digest_sha256(zp->manifest_bytes, zp->manifest_len, &d);
        CU_ASSERT_TRUE(mez_digest_equal(&d, &zp->manifest_digest));
        CU_ASSERT_EQUAL_FATAL(mez_cas_references(unit_pool(), zp->manifest_bytes, zp->manifest_len, &refs, &pb),
                              MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(refs->nelts, 1);
        CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(refs, 0, mez_cas_ref_t).type, type);
        CU_ASSERT_TRUE(mez_digest_equal(&APR_ARRAY_IDX(refs, 0, mez_cas_ref_t).digest, &zp->pack->digest));

        /* In the CAS with its pack, the manifest's closure is both. */
        CU_ASSERT_EQUAL_FATAL(mez_pack_artifact(unit_pool(), zp->pack, &bytes, &len, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_cas_put(unit_pool(), cas, type, bytes, len, &zp->pack->digest, NULL, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_cas_put(unit_pool(), cas, MEZ_ZONE_MANIFEST_CAS_TYPE, zp->manifest_bytes,
                                          zp->manifest_len, &zp->manifest_digest, NULL, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_cas_verify_closure(unit_pool(), cas, MEZ_ZONE_MANIFEST_CAS_TYPE, &zp->manifest_digest,
                                               &closure, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(closure->nelts, 2);
    }

    /* Without its pack a manifest does not verify: the closure names the missing pack. */
    CU_ASSERT_EQUAL_FATAL(mez_cas_open(unit_pool(), apr_pstrcat(unit_pool(), dir, "/bare", NULL), 1, &bare, &pb),
                          MEZ_OK);
    {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, 1, mez_zone_pack_t);
        CU_ASSERT_EQUAL_FATAL(mez_cas_put(unit_pool(), bare, MEZ_ZONE_MANIFEST_CAS_TYPE, zp->manifest_bytes,
                                          zp->manifest_len, NULL, NULL, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_cas_verify_closure(unit_pool(), bare, MEZ_ZONE_MANIFEST_CAS_TYPE, &zp->manifest_digest,
                                               &closure, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.missing_reference");
    }

    /* Signing needs a loaded zone. */
    {
        mez_zone_t *parsed;
        CU_ASSERT_EQUAL_FATAL(mez_zone_parse(unit_pool(), apr_pstrcat(unit_pool(), dir, "/zone.yaml", NULL), NULL,
                                             &parsed, &pb), MEZ_OK);
        CU_ASSERT_NOT_EQUAL(mez_zone_sign_manifests(unit_pool(), parsed, key, did, &po, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(pb.code, "zone.not_loaded");
    }
}

void unit_register_zone(void)
{
    CU_pSuite s = unit_suite("zone");
    CU_add_test(s, "zone.yaml validation (line, pointer)", test_zone_validation);
    CU_add_test(s, "profile validation", test_profile_validation);
    CU_add_test(s, "zone load: profile, packs, lookups", test_zone_load);
    CU_add_test(s, "zone load errors", test_zone_load_errors);
    CU_add_test(s, "stack.lock round trip", test_lock_round_trip);
    CU_add_test(s, "stack.lock detects changes", test_lock_detects_changes);
    CU_add_test(s, "stack.lock parsing", test_lock_parse);
    CU_add_test(s, "laws by eId", test_laws);
    CU_add_test(s, "composition: conflicts between layers", test_conflicts_found);
    CU_add_test(s, "composition: overrides", test_overrides);
    CU_add_test(s, "signed pack manifests in the CAS", test_signed_manifests);
}
