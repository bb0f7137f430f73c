/* test_pack.c: CUnit suite for the YAML loader and the pack area: types and refusals with lines, each format's
 * validation errors, the reference's lawpack digest vectors, AKN validation and eId lookup, manifests, CAS form. */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/pack.h"
#include "mez/vc.h"
#include "mez/yaml.h"
#include "unit.h"

/* ------------------------------------------------------------------ helpers */

static mez_yaml_doc_t *yaml_ok(const char *text)
{
    mez_yaml_doc_t *doc = NULL;
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nunexpected YAML problem %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    return doc;
}

/* Parses text expecting a refusal with code; checks the detail names "t.yaml:LINE:" and the pointer. */
static void yaml_refused(const char *text, const char *code, int line, const char *pointer)
{
    mez_yaml_doc_t *doc = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(doc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code) || (line > 0 && !strstr(pb.detail, apr_psprintf(unit_pool(), "t.yaml:%d:", line))))
        fprintf(stderr, "\nexpected %s at line %d, got %s: %s\n", code, line, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    if (line > 0)
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, apr_psprintf(unit_pool(), "t.yaml:%d:", line)));
    if (pointer) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    }
}

/* text with the first occurrence of from replaced by to. */
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

static const mez_akn_schema_t *schema(void)
{
    const mez_akn_schema_t *s = NULL;
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_akn_schema_load(unit_pool(), unit_shared("schemas/akn/akomantoso30.xsd"), &s, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\ncannot load the AKN schema: %s\n", pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    return s;
}

/* Validates text as a pack; returns the status and fills pb and (when given) the list of all problems. */
static mez_status_t validate(const char *text, mez_problem_t *pb, apr_array_header_t *all, mez_pack_kind_t *kind)
{
    mez_pack_options_t opts = { NULL, all, 0 };
    mez_pack_kind_t k;
    return mez_pack_validate(unit_pool(), yaml_ok(text), &opts, kind ? kind : &k, pb);
}

static void invalid(const char *text, const char *code, const char *pointer, int line)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(validate(text, &pb, NULL, NULL), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code))
        fprintf(stderr, "\nexpected %s, got %s: %s\n", code, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(pb.status, 422);
    if (pointer) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    }
    if (line)
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, apr_psprintf(unit_pool(), "t.yaml:%d:", line)));
}

/* ------------------------------------------------------------------ YAML loader */

static void test_yaml_types(void)
{
    mez_yaml_doc_t *doc = yaml_ok(
        "# a comment\n"
        "nulls: [~, null, Null, NULL, ]\n"
        "empty:\n"
        "bools: [true, True, FALSE, false]\n"
        "ints: [0, -17, +42, 0o17, 0x1F, 9223372036854775807, 007]\n"
        "strings: ['1.5', \"2\", yes, no, on, 2025-07-01, 1_000, 0b101, 12:30, .5x, -, 'true']\n"
        "block: |\n"
        "  line one\n"
        "  line two\n"
        "nested: {a: {b: [1, {c: d}]}}\n");
    const json_t *r = doc->root, *v;
    size_t i;
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "nulls")), 4);     /* a trailing comma adds no item */
    json_array_foreach(json_object_get(r, "nulls"), i, v)
        CU_ASSERT_TRUE(json_is_null(v));
    CU_ASSERT_TRUE(json_is_null(json_object_get(r, "empty")));
    CU_ASSERT_TRUE(json_is_true(json_array_get(json_object_get(r, "bools"), 1)));
    CU_ASSERT_TRUE(json_is_false(json_array_get(json_object_get(r, "bools"), 2)));
    v = json_object_get(r, "ints");
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 1)), -17);
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 2)), 42);
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 3)), 15);
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 4)), 31);
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 5)), 9223372036854775807LL);
    CU_ASSERT_EQUAL(json_integer_value(json_array_get(v, 6)), 7);
    /* YAML 1.1's yes/no/on, sexagesimals, binary and timestamps are plain strings in the 1.2 core schema. */
    json_array_foreach(json_object_get(r, "strings"), i, v)
        CU_ASSERT_TRUE(json_is_string(v));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "strings"), 5)), "2025-07-01");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "block")), "line one\nline two\n");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
        json_object_get(json_object_get(json_object_get(r, "nested"), "a"), "b"), 1), "c")), "d");
}

static void test_yaml_positions(void)
{
    mez_yaml_doc_t *doc = yaml_ok("a: 1\n"
                                  "list:\n"
                                  "  - x: 1\n"
                                  "    y: 2\n"
                                  "  - z\n");
    mez_yaml_pos_t pos;
    pos = mez_yaml_position(doc, "/a");
    CU_ASSERT_EQUAL(pos.line, 1);
    CU_ASSERT_EQUAL(pos.column, 1);
    pos = mez_yaml_position(doc, "/list/0/y");
    CU_ASSERT_EQUAL(pos.line, 4);
    CU_ASSERT_EQUAL(pos.column, 5);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/list/1").line, 5);
    /* A member that is not there is reported where its object is. */
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/list/0/missing").line, 3);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/nothing/at/all").line, 1);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/list/2").line, 2);       /* no such item: the list */
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/list/x").line, 2);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/list/01").line, 2);      /* RFC 6901: no leading zero */
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/a/deeper").line, 1);     /* below a scalar: the scalar */
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "").line, 1);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, NULL).line, 1);
    /* Pointers are walked down the model, not kept: RFC 6901 escapes name keys holding '/' and '~'. */
    doc = yaml_ok("x: 1\n"
                  "\"a/b\":\n"
                  "  \"c~d\": [0,\n"
                  "    {e: 1}]\n");
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/a~1b").line, 2);
    pos = mez_yaml_position(doc, "/a~1b/c~0d/1/e");
    CU_ASSERT_EQUAL(pos.line, 4);
    CU_ASSERT_EQUAL(pos.column, 6);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/a~1b/c~0d/0").line, 3);
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/a/b").line, 1);          /* unescaped, it names nothing */
    /* A document of comments only is null at 1:1. */
    doc = yaml_ok("# nothing\n");
    CU_ASSERT_TRUE(json_is_null(doc->root));
    CU_ASSERT_EQUAL(mez_yaml_position(doc, "/a").line, 1);
}

static void test_yaml_floats_refused(void)
{
    yaml_refused("a: 1\nrate: 4.5\n", "yaml.float_not_allowed", 2, "/rate");
    yaml_refused("r: [\"1\", 1e3]\n", "yaml.float_not_allowed", 1, "/r/1");
    yaml_refused("x:\n  - .inf\n", "yaml.float_not_allowed", 2, "/x/0");
    yaml_refused("x: -.Inf\n", "yaml.float_not_allowed", 1, NULL);
    yaml_refused("x: .NaN\n", "yaml.float_not_allowed", 1, NULL);
    yaml_refused("x: 5.\n", "yaml.float_not_allowed", 1, NULL);
    yaml_refused("x: .5\n", "yaml.float_not_allowed", 1, NULL);
    yaml_refused("x: 9223372036854775808\n", "yaml.integer_out_of_range", 1, "/x");
}

static void test_yaml_refusals(void)
{
    yaml_refused("a: 1\nb: 2\na: 3\n", "yaml.duplicate_key", 3, "/a");
    yaml_refused("m:\n  k: 1\n  k: 2\n", "yaml.duplicate_key", 3, "/m/k");
    yaml_refused("a: &x 1\nb: *x\n", "yaml.anchor_not_allowed", 1, NULL);
    yaml_refused("a: *x\n", "yaml.alias_not_allowed", 1, NULL);
    yaml_refused("a: !!str 1\n", "yaml.tag_not_allowed", 1, NULL);
    yaml_refused("a: !custom {b: 1}\n", "yaml.tag_not_allowed", 1, NULL);
    yaml_refused("1: x\n", "yaml.key_not_string", 1, NULL);
    yaml_refused("? [a]\n: b\n", "yaml.key_not_string", 1, NULL);
    yaml_refused("a: 1\n---\nb: 2\n", "yaml.multiple_documents", 2, NULL);
    yaml_refused("a: [1, 2\nb: 3\n", "yaml.syntax", 0, NULL);
    yaml_refused("a:\n  b: 1\n c: 2\n", "yaml.syntax", 3, NULL);
    yaml_refused("a: \"\xff\"\n", "yaml.syntax", 0, NULL);                  /* not UTF-8 */
    /* A NUL can only be written quoted ("\0"); it is refused in any scalar, at the field it was meant for, as in
     * any key. */
    yaml_refused("id: \"pk-proscribed\\0/../evil\"\n", "yaml.nul_not_allowed", 1, "/id");
    yaml_refused("a:\n  b: [x, \"y\\0\"]\n", "yaml.nul_not_allowed", 2, "/a/b/1");
    yaml_refused("a: 'x'\nb: \"\\0\"\n", "yaml.nul_not_allowed", 2, "/b");
    yaml_refused("\"\\0\"\n", "yaml.nul_not_allowed", 1, "");
    yaml_refused("a: |\n  x\n\"\\0\": 1\n", "yaml.key_not_string", 3, NULL);
    /* Keys: at most MEZ_YAML_MAX_KEY bytes, explicit ("? key") or not; the problem quotes only the start. */
    {
        char *key = apr_palloc(unit_pool(), 64 * 1024 + 1);
        mez_yaml_doc_t *doc = NULL;
        mez_problem_t pb = { 0 };
        const char *text;
        memset(key, 'k', 64 * 1024);
        key[MEZ_YAML_MAX_KEY] = '\0';
        doc = yaml_ok(apr_psprintf(unit_pool(), "m:\n  ? %s\n  : [1, 2]\n", key));
        CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(doc->root, "m"), key)), 2);
        CU_ASSERT_EQUAL(mez_yaml_position(doc, apr_pstrcat(unit_pool(), "/m/", key, NULL)).line, 2);
        CU_ASSERT_EQUAL(mez_yaml_position(doc, apr_pstrcat(unit_pool(), "/m/", key, "/1", NULL)).line, 3);
        key[MEZ_YAML_MAX_KEY] = 'k';
        key[MEZ_YAML_MAX_KEY + 1] = '\0';
        yaml_refused(apr_psprintf(unit_pool(), "m:\n  ? %s\n  : [1, 2]\n", key), "yaml.key_too_long", 2, "/m");
        key[MEZ_YAML_MAX_KEY + 1] = 'k';
        key[64 * 1024] = '\0';
        text = apr_psprintf(unit_pool(), "format: x\n? %s\n: [0, 0, 0]\n", key);
        CU_ASSERT_EQUAL(mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "yaml.key_too_long");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "a key of 65536 bytes"));
        CU_ASSERT_TRUE(strlen(pb.detail) < 200);
        /* A key of multi-byte characters is quoted up to a character boundary. */
        text = "? \"";
        for (int i = 0; i < 600; i++)
            text = apr_pstrcat(unit_pool(), text, "\xc3\xa9", NULL);
        text = apr_pstrcat(unit_pool(), text, "\"\n: 1\n", NULL);
        CU_ASSERT_EQUAL(mez_yaml_parse(unit_pool(), "t.yaml", text, strlen(text), &doc, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "yaml.key_too_long");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "(\"\xc3\xa9"));
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "\xc3\xa9...\")"));
    }
    {
        char deep[2 * (MEZ_YAML_MAX_DEPTH + 2) + 1];
        int n = MEZ_YAML_MAX_DEPTH + 1;
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        deep[2 * n] = '\0';
        yaml_refused(deep, "yaml.too_deep", 1, NULL);
        deep[2 * n - 1] = '\0';
        memmove(deep, deep + 1, strlen(deep));   /* exactly the limit is fine */
        yaml_ok(deep);
    }
}

/* ------------------------------------------------------------------ regpack validation */

static const char REGPACK[] =
    "format: mez-regpack/1\n"                         /* 1 */
    "id: t-wht\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: Test withholding\n"                       /* 5 */
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - id: fa-2025\n"
    "    title: Finance Act, 2025\n"
    "    kind: finance_act\n"                         /* 10 */
    "    date: \"2025-06-26\"\n"
    "withholding_rates:\n"
    "  - id: s153-goods\n"
    "    section: \"153(1)(a)\"\n"
    "    payment_type: goods\n"                       /* 15 */
    "    payee_class: company\n"
    "    rates:\n"
    "      filer: \"5\"\n"
    "      non_filer: \"10\"\n"
    "    threshold: {amount: \"75000\", currency: PKR, applies: above}\n"  /* 20 */
    "    valid_from: \"2025-07-01\"\n"
    "    source: fa-2025\n"
    "thresholds:\n"
    "  - id: ctr-cash\n"
    "    obligation: currency_transaction_report\n" /* 25 */
    "    amount: {amount: \"2000000\", currency: PKR, applies: at_or_above}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    valid_to: \"2026-07-01\"\n"
    "    source: fa-2025\n"
    "obligations:\n"                                  /* 30 */
    "  - id: str-filing\n"
    "    description: File a suspicious transaction report\n"
    "    deadline: {days: 7, from: suspicion}\n"
    "    regulator: pk-fmu\n"
    "    valid_from: \"2025-07-01\"\n"                /* 35 */
    "    source: fa-2025\n"
    "lists:\n"
    "  - id: proscribed\n"
    "    title: Proscribed organisations\n"
    "    list_date: \"2025-10-24\"\n"                 /* 40 */
    "    source: fa-2025\n"
    "    entries:\n"
    "      - {id: fs-001, name: Example Organisation, aliases: [EO]}\n"
    "regulators:\n"
    "  - {id: pk-fbr, name: Federal Board of Revenue, jurisdiction_id: pk, url: \"https://www.fbr.gov.pk\", "
    "source: fa-2025}\n";                             /* 45 */

static void test_regpack_valid_and_digest(void)
{
    mez_problem_t pb = { 0 };
    mez_pack_kind_t kind = 0;
    mez_digest_t a, b, c;
    const char *reordered;
    CU_ASSERT_EQUAL_FATAL(validate(REGPACK, &pb, NULL, &kind), MEZ_OK);
    CU_ASSERT_EQUAL(kind, MEZ_PACK_REG);
    CU_ASSERT_EQUAL(mez_pack_model_digest(unit_pool(), MEZ_PACK_REG, yaml_ok(REGPACK)->root, &a, &pb), MEZ_OK);
    /* Comments, quoting and member order are not content: the digest covers the canonical model. */
    reordered = edit(edit(REGPACK, "id: t-wht\n", "# reviewers' note\nid: 't-wht'\n"),
                     "    title: Finance Act, 2025\n    kind: finance_act\n",
                     "    kind: finance_act\n    title: \"Finance Act, 2025\"\n");
    CU_ASSERT_EQUAL(mez_pack_model_digest(unit_pool(), MEZ_PACK_REG, yaml_ok(reordered)->root, &b, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&a, &b));
    /* Unlike the reference's regpack digest, a changed rate is a changed digest. */
    CU_ASSERT_EQUAL(mez_pack_model_digest(unit_pool(), MEZ_PACK_REG, yaml_ok(edit(REGPACK, "filer: \"5\"",
                                                                                  "filer: \"5.5\""))->root, &c, &pb),
                    MEZ_OK);
    CU_ASSERT_FALSE(mez_digest_equal(&a, &c));
    /* The definition: SHA-256("mez-regpack-v1\0" || JCS(model)). */
    {
        const char *canon;
        size_t n;
        mez_digest_t d;
        CU_ASSERT_EQUAL(mez_json_canonicalize(unit_pool(), yaml_ok(REGPACK)->root, &canon, &n, &pb), MEZ_OK);
        char *buf = apr_palloc(unit_pool(), n + 15);
        memcpy(buf, "mez-regpack-v1", 15);
        memcpy(buf + 15, canon, n);
        mez_digest_sha256(buf, n + 15, &d);
        CU_ASSERT_TRUE(mez_digest_equal(&a, &d));
        /* And the licensepack prefix differs, so the same model never has the same digest as both. */
        CU_ASSERT_EQUAL(mez_pack_model_digest(unit_pool(), MEZ_PACK_LICENSE, yaml_ok(REGPACK)->root, &d, &pb),
                        MEZ_OK);
        CU_ASSERT_FALSE(mez_digest_equal(&a, &d));
    }
}

static void test_regpack_errors(void)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *all = apr_array_make(unit_pool(), 4, sizeof(mez_problem_t));

    invalid(edit(REGPACK, "    rates:\n", "    ratess:\n"), "pack.unknown_key", "/withholding_rates/0/ratess", 17);
    CU_ASSERT_EQUAL(validate(edit(REGPACK, "    rates:\n", "    ratess:\n"), &pb, NULL, NULL), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "did you mean 'rates'"));
    invalid(edit(REGPACK, "    valid_from: \"2025-07-01\"\n    source: fa-2025\nthresholds",
                 "    valid_from: \"2025-07-01\"\nthresholds"),
            "pack.missing_source", "/withholding_rates/0/source", 13);
    invalid(edit(REGPACK, "    source: fa-2025\nobligations", "    source: fa-2024\nobligations"),
            "pack.unknown_source", "/thresholds/0/source", 29);
    invalid(edit(REGPACK, "filer: \"5\"", "filer: 5"), "pack.invalid_decimal", "/withholding_rates/0/rates/filer", 18);
    invalid(edit(REGPACK, "filer: \"5\"", "filer: \"4,5\""), "pack.invalid_decimal", "/withholding_rates/0/rates/filer",
            18);
    invalid(edit(REGPACK, "amount: \"75000\"", "amount: \"75,000\""), "pack.invalid_decimal",
            "/withholding_rates/0/threshold/amount", 20);
    invalid(edit(REGPACK, "valid_to: \"2026-07-01\"", "valid_to: \"2026-02-30\""), "pack.invalid_date",
            "/thresholds/0/valid_to", 28);
    invalid(edit(REGPACK, "valid_to: \"2026-07-01\"", "valid_to: \"2024-07-01\""), "pack.invalid_period",
            "/thresholds/0/valid_to", 28);
    invalid(edit(REGPACK, "as_of_date: \"2025-07-01\"", "as_of_date: 2025-7-1"), "pack.invalid_date",
            "/as_of_date", 6);
    invalid(edit(REGPACK, "domain: tax", "domain: taxation"), "pack.unknown_domain", "/domain", 4);
    invalid(edit(REGPACK, "format: mez-regpack/1", "format: mez-regpack/2"), "pack.unknown_format", "/format", 1);
    invalid(edit(REGPACK, "  - id: ctr-cash", "  - id: s153-goods"), "pack.duplicate_id", "/thresholds/0/id", 24);
    invalid(edit(REGPACK, "payee_class: company", "payee_class: firm"), "pack.invalid_value",
            "/withholding_rates/0/payee_class", 16);
    invalid(edit(REGPACK, "currency: PKR, applies: above", "currency: Rs, applies: above"), "pack.invalid_currency",
            "/withholding_rates/0/threshold/currency", 20);
    invalid(edit(REGPACK, "    section: \"153(1)(a)\"\n", ""), "pack.missing_field", "/withholding_rates/0/section",
            13);
    invalid(edit(REGPACK, "    section: \"153(1)(a)\"\n", "    section: 153\n"), "pack.invalid_type",
            "/withholding_rates/0/section", 14);
    invalid(edit(REGPACK, "{days: 7, from: suspicion}", "{days: 7, of: following_month}"), "pack.invalid_value",
            "/obligations/0/deadline", 33);
    /* A threshold's obligation_id names an obligation row of its own pack. */
    invalid(edit(REGPACK, "    obligation: currency_transaction_report\n",
                 "    obligation: currency_transaction_report\n    obligation_id: ctr-filing\n"),
            "pack.unknown_obligation", "/thresholds/0/obligation_id", 26);
    invalid(edit(REGPACK, "    obligation: currency_transaction_report\n",
                 "    obligation: currency_transaction_report\n    obligation_id: Str_Filing\n"),
            "pack.invalid_id", "/thresholds/0/obligation_id", 26);
    CU_ASSERT_EQUAL(validate(edit(REGPACK, "    obligation: currency_transaction_report\n",
                                  "    obligation: currency_transaction_report\n    obligation_id: str-filing\n"),
                             &pb, NULL, NULL), MEZ_OK);
    invalid(edit(REGPACK, "id: t-wht", "id: T_wht"), "pack.invalid_id", "/id", 2);
    invalid(edit(REGPACK, "jurisdiction_id: pk", "jurisdiction_id: PK"), "pack.invalid_value", "/jurisdiction_id", 3);
    invalid("- a\n", "pack.invalid_type", "", 1);

    /* All problems are reported at once, in file order, each with its own line. */
    CU_ASSERT_EQUAL(validate(edit(edit(REGPACK, "domain: tax", "domain: nope"), "    rates:\n", "    ratess:\n"), &pb,
                             all, NULL), MEZ_EINVAL);
    CU_ASSERT_TRUE(all->nelts >= 3);   /* domain, unknown key, and the rates now missing */
    CU_ASSERT_STRING_EQUAL(pb.code, APR_ARRAY_IDX(all, 0, mez_problem_t).code);
}

static void test_regpack_float_refused_on_load(void)
{
    const char *dir = unit_tmpdir();
    mez_pack_options_t opts = { NULL, NULL, 0 };
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    write_file(dir, "r.yaml", edit(REGPACK, "filer: \"5\"", "filer: 4.5"));
    CU_ASSERT_EQUAL(mez_pack_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/r.yaml", NULL), &opts, &pack, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.float_not_allowed");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/withholding_rates/0/rates/filer");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "r.yaml:18:"));
    /* And a missing file is an I/O problem, not an invalid pack. */
    CU_ASSERT_EQUAL(mez_pack_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/none.yaml", NULL), &opts, &pack, &pb),
                    MEZ_EIO);
}

/* ------------------------------------------------------------------ licensepack validation */

static const char LICENSEPACK[] =
    "format: mez-licensepack/1\n"
    "id: t-secp\n"
    "jurisdiction_id: pk\n"
    "domain: licensing\n"
    "title: Test licences\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: ca-2017, title: \"Companies Act, 2017\", kind: statute}\n"
    "regulators:\n"
    "  - {id: pk-secp, name: SECP, jurisdiction_id: pk, source: ca-2017}\n"    /* 10 */
    "licence_types:\n"
    "  - id: pk-secp:private-limited-company\n"
    "    name: Private limited company\n"
    "    regulator: pk-secp\n"
    "    requirements:\n"                                                     /* 15 */
    "      - {id: min-directors, description: At least two directors, source: ca-2017, source_detail: s. 154}\n"
    "    fees:\n"
    "      - {id: registration, amount: {amount: \"1000\", currency: PKR}, source: ca-2017}\n"
    "    validity_years: 1\n"
    "    renewal: {lead_days: 90}\n"                                          /* 20 */
    "    valid_from: \"2017-05-31\"\n"
    "    source: ca-2017\n";

static void test_licensepack(void)
{
    mez_pack_kind_t kind = 0;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(validate(LICENSEPACK, &pb, NULL, &kind), MEZ_OK);
    CU_ASSERT_EQUAL(kind, MEZ_PACK_LICENSE);
    invalid(edit(LICENSEPACK, "    regulator: pk-secp\n", "    regulator: pk-sbp\n"), "pack.unknown_regulator",
            "/licence_types/0/regulator", 14);
    invalid(edit(LICENSEPACK, "  - id: pk-secp:private", "  - id: pk-sbp:private"), "pack.invalid_id",
            "/licence_types/0/id", 12);
    invalid(edit(LICENSEPACK, "description: At least two directors, source: ca-2017, ",
                 "description: At least two directors, "),
            "pack.missing_source", "/licence_types/0/requirements/0/source", 16);
    invalid(edit(LICENSEPACK, "amount: {amount: \"1000\", currency: PKR}", "amount: {amount: \"1000\"}"),
            "pack.missing_field", "/licence_types/0/fees/0/amount/currency", 18);
    invalid(edit(LICENSEPACK, "amount: {amount: \"1000\", currency: PKR}",
                 "amount: {amount: \"1000\", amount_minor: 100000, currency: PKR}"),
            "pack.invalid_value", "/licence_types/0/fees/0/amount", 18);
    invalid(edit(LICENSEPACK, "validity_years: 1", "validity_years: 0"), "pack.invalid_value",
            "/licence_types/0/validity_years", 19);
    invalid(edit(LICENSEPACK, "  - {id: ca-2017, title: \"Companies Act, 2017\", kind: statute}\n",
                 "  - {id: ca-2017, title: \"Companies Act, 2017\", kind: law}\n"),
            "pack.invalid_value", "/sources/0/kind", 8);
    invalid(edit(LICENSEPACK, "sources:\n  - {id: ca-2017, title: \"Companies Act, 2017\", kind: statute}\n",
                 "sources: []\n"), "pack.missing_field", "/sources", 7);
}

/* ------------------------------------------------------------------ the fields the format grew */

/* The 1-based line of the first occurrence of needle in text (the fixtures' expected lines). */
static int line_at(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    int line = 1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    for (const char *c = text; c < at; c++)
        line += *c == '\n';
    return line;
}

/* invalid() with the line where needle is in the text. */
static void invalid_at(const char *text, const char *code, const char *pointer, const char *needle)
{
    invalid(text, code, pointer, line_at(text, needle));
}

/* One regpack using every key added for ae-adgm, kz-aifc and pk: tax rates (a rate with a measured threshold,
 * excludes, conditions and a band base amount; an exemption), qualifying activities, thresholds with transaction
 * type, classes, counterparty, direction and a percent limit, every deadline form, retention, channel, and
 * regulators with a parent authority. */
static const char REGPACK_EXT[] =
    "format: mez-regpack/1\n"
    "id: t-ext\n"
    "jurisdiction_id: ae-adgm\n"
    "domain: tax\n"
    "title: Test extensions\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: ct-law, title: Corporate Tax Law, kind: statute}\n"
    "regulators:\n"
    "  - {id: ae-cbuae, name: Central Bank, jurisdiction_id: ae, source: ct-law}\n"
    "  - {id: ae-fiu, name: FIU, jurisdiction_id: ae, parent_authority: ae-cbuae, source: ct-law}\n"
    "withholding_rates:\n"
    "  - id: salary-band-3\n"
    "    section: \"149(1)\"\n"
    "    payment_type: salary\n"
    "    payee_class: individual\n"
    "    rates: {filer: \"11\", non_filer: \"11.0\"}\n"
    "    threshold: {amount: \"1200000\", currency: PKR, applies: above}\n"
    "    base_amount: {amount: \"6000\", currency: PKR}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ct-law\n"
    "  - id: sukuk-small\n"
    "    section: \"151(1A)\"\n"
    "    payment_type: profit_on_debt\n"
    "    payee_class: individual\n"
    "    rates: {filer: \"10\"}\n"
    "    threshold: {amount: \"1000000\", currency: PKR, applies: at_or_below}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ct-law\n"
    "tax_rates:\n"
    "  - id: ct-9-above\n"
    "    tax: cit\n"
    "    article: \"3(1)(b)\"\n"
    "    taxpayer_class: taxable_person\n"
    "    income_class: taxable_income\n"
    "    rate: \"9\"\n"
    "    threshold: {amount: \"375000\", currency: AED, applies: above, measure: taxable_income}\n"
    "    base_amount: {amount: \"0\", currency: AED}\n"
    "    excludes: [qualifying_free_zone_person, mne_group_member]\n"
    "    conditions: [substance]\n"
    "    basis: taxable_income_portion\n"
    "    valid_from: \"2023-06-01\"\n"
    "    source: ct-law\n"
    "  - id: vat-exempt\n"
    "    tax: vat\n"
    "    article: \"6\"\n"
    "    taxpayer_class: aifc_participant\n"
    "    income_class: financial_services_turnover\n"
    "    exempt: true\n"
    "    valid_from: \"2015-12-07\"\n"
    "    valid_to: \"2066-01-01\"\n"
    "    source: ct-law\n"
    "thresholds:\n"
    "  - id: de-minimis\n"
    "    obligation: qfzp_de_minimis\n"
    "    amount: {amount: \"5000000\", currency: AED, applies: above}\n"
    "    measure: non_qualifying_revenue\n"
    "    percent: {rate: \"5\", of: total_revenue}\n"
    "    combine: lower_of\n"
    "    valid_from: \"2023-06-01\"\n"
    "    source: ct-law\n"
    "  - id: offshore\n"
    "    obligation: threshold_transaction_report\n"
    "    transaction_type: wire_transfer\n"
    "    applies_to: [financial_institution, dnfbp]\n"
    "    counterparty: offshore_zone\n"
    "    direction: either\n"
    "    amount: {amount: \"5000000\", currency: KZT, applies: at_or_above}\n"
    "    valid_from: \"2015-10-30\"\n"
    "    source: ct-law\n"
    "obligations:\n"
    "  - id: substance\n"
    "    description: Keep adequate substance\n"
    "    valid_from: \"2023-06-01\"\n"
    "    source: ct-law\n"
    "  - id: str\n"
    "    description: Report without delay\n"
    "    deadline: {without_delay: true, from: suspicion}\n"
    "    channel: goAML\n"
    "    regulator: ae-fiu\n"
    "    valid_from: \"2019-02-10\"\n"
    "    source: ct-law\n"
    "  - id: sar\n"
    "    description: Report as soon as practicable\n"
    "    deadline: {as_soon_as_practicable: true, from: internal_notification}\n"
    "    valid_from: \"2015-10-21\"\n"
    "    source: ct-law\n"
    "  - id: ctr\n"
    "    description: Report within seven working days\n"
    "    deadline: {business_days: 7, from: transaction}\n"
    "    valid_from: \"2024-11-21\"\n"
    "    source: ct-law\n"
    "  - id: records\n"
    "    description: Keep records five years\n"
    "    retention: {years: 5, from: end_of_relationship_or_transaction}\n"
    "    valid_from: \"2019-02-10\"\n"
    "    source: ct-law\n"
    "  - id: aml-return\n"
    "    description: Annual return\n"
    "    deadline: {day_of_month: 30, of: april_following_year}\n"
    "    valid_from: \"2020-02-01\"\n"
    "    source: ct-law\n"
    "qualifying_activities:\n"
    "  - id: qa-logistics\n"
    "    name: Logistics services\n"
    "    valid_from: \"2023-06-01\"\n"
    "    source: ct-law\n"
    "    conflicts: \"MD 229/2025 changed the list\"\n";

static void test_regpack_extensions_valid(void)
{
    mez_problem_t pb = { 0 };
    mez_pack_kind_t kind = 0;
    mez_status_t rv = validate(REGPACK_EXT, &pb, NULL, &kind);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nunexpected %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL(rv, MEZ_OK);
    CU_ASSERT_EQUAL(kind, MEZ_PACK_REG);
    /* A rate of exactly 100 is a percentage; the other limit kinds are accepted on any limit. */
    CU_ASSERT_EQUAL(validate(edit(REGPACK_EXT, "rate: \"9\"", "rate: \"100.00\""), &pb, NULL, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(validate(edit(REGPACK_EXT, "combine: lower_of", "combine: higher_of"), &pb, NULL, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(validate(edit(REGPACK_EXT, "applies: at_or_above}", "applies: below}"), &pb, NULL, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(validate(edit(REGPACK_EXT, "base_amount: {amount: \"6000\", currency: PKR}",
                                  "base_amount: {amount_minor: 600000, currency: PKR}"), &pb, NULL, NULL), MEZ_OK);
}

static void test_regpack_extensions_errors(void)
{
    const char *t = REGPACK_EXT, *x;

    /* withholding_rates: rates are percentages; base_amount needs a lower limit, its currency, one rate. */
    invalid_at(edit(t, "filer: \"11\"", "filer: \"110\""), "pack.invalid_value", "/withholding_rates/0/rates/filer",
               "filer: \"110\"");
    invalid_at(edit(t, "filer: \"11\"", "filer: 11"), "pack.invalid_decimal", "/withholding_rates/0/rates/filer",
               "filer: 11");
    x = edit(t, "    threshold: {amount: \"1200000\", currency: PKR, applies: above}\n", "");
    invalid_at(x, "pack.missing_field", "/withholding_rates/0/threshold", "  - id: salary-band-3");
    x = edit(t, "currency: PKR, applies: above}", "currency: PKR, applies: below}");
    invalid_at(x, "pack.invalid_value", "/withholding_rates/0/threshold/applies", "applies: below}");
    x = edit(t, "base_amount: {amount: \"6000\", currency: PKR}", "base_amount: {amount: \"6000\", currency: AED}");
    invalid_at(x, "pack.invalid_value", "/withholding_rates/0/base_amount/currency", "amount: \"6000\"");
    x = edit(t, "non_filer: \"11.0\"", "non_filer: \"22\"");
    invalid_at(x, "pack.invalid_value", "/withholding_rates/0/base_amount", "base_amount: {amount: \"6000\"");
    x = edit(t, "base_amount: {amount: \"6000\", currency: PKR}", "base_amount: {amount: \"6000\", currency: PKR, "
             "applies: above}");
    invalid_at(x, "pack.unknown_key", "/withholding_rates/0/base_amount/applies", "applies: above}\n    valid");
    x = edit(t, "currency: PKR, applies: at_or_below}", "currency: PKR}");
    invalid_at(x, "pack.missing_field", "/withholding_rates/1/threshold/applies", "amount: \"1000000\"");
    x = edit(t, "currency: PKR, applies: at_or_below}", "currency: PKR, applies: up_to}");
    invalid_at(x, "pack.invalid_value", "/withholding_rates/1/threshold/applies", "applies: up_to");

    /* tax_rates */
    invalid_at(edit(t, "    tax: cit\n", ""), "pack.missing_field", "/tax_rates/0/tax", "  - id: ct-9-above");
    invalid_at(edit(t, "tax: cit", "tax: income"), "pack.invalid_value", "/tax_rates/0/tax", "tax: income");
    invalid_at(edit(t, "    article: \"3(1)(b)\"\n", "    article: 3\n"), "pack.invalid_type", "/tax_rates/0/article",
               "article: 3");
    invalid_at(edit(t, "rate: \"9\"", "rate: \"9%\""), "pack.invalid_decimal", "/tax_rates/0/rate", "rate: \"9%\"");
    invalid_at(edit(t, "rate: \"9\"", "rate: \"100.5\""), "pack.invalid_value", "/tax_rates/0/rate",
               "rate: \"100.5\"");
    /* finer than the treasury keeps a rate (a millionth as a fraction) */
    invalid_at(edit(t, "rate: \"9\"", "rate: \"9.12345\""), "pack.invalid_value", "/tax_rates/0/rate",
               "rate: \"9.12345\"");
    {
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(validate(edit(t, "rate: \"9\"", "rate: \"9.1234\""), &pb, NULL, NULL), MEZ_OK);
    }
    x = edit(t, "    rate: \"9\"\n", "");
    invalid_at(x, "pack.missing_field", "/tax_rates/0/rate", "  - id: ct-9-above");
    x = edit(t, "    exempt: true\n", "    exempt: true\n    rate: \"0\"\n");
    invalid_at(x, "pack.invalid_value", "/tax_rates/1/rate", "rate: \"0\"");
    invalid_at(edit(t, "exempt: true", "exempt: false"), "pack.invalid_value", "/tax_rates/1/exempt",
               "exempt: false");
    invalid_at(edit(t, "exempt: true", "exempt: \"yes\""), "pack.invalid_type", "/tax_rates/1/exempt",
               "exempt: \"yes\"");
    invalid_at(edit(t, "    basis: taxable_income_portion\n", ""), "pack.missing_field", "/tax_rates/0/basis",
               "  - id: ct-9-above");
    x = edit(t, "    exempt: true\n", "    exempt: true\n    basis: taxable_turnover\n");
    invalid_at(x, "pack.invalid_value", "/tax_rates/1/basis", "basis: taxable_turnover");
    x = edit(t, "    exempt: true\n", "    exempt: true\n    base_amount: {amount: \"1\", currency: KZT}\n");
    invalid_at(x, "pack.invalid_value", "/tax_rates/1/base_amount", "base_amount: {amount: \"1\"");
    invalid_at(edit(t, ", measure: taxable_income}", "}"), "pack.missing_field", "/tax_rates/0/threshold/measure",
               "amount: \"375000\"");
    invalid_at(edit(t, "measure: taxable_income", "measure: Taxable-Income"), "pack.invalid_value",
               "/tax_rates/0/threshold/measure", "measure: Taxable");
    invalid_at(edit(t, "base_amount: {amount: \"0\", currency: AED}", "base_amount: {amount: \"0\", currency: USD}"),
               "pack.invalid_value", "/tax_rates/0/base_amount/currency", "amount: \"0\", currency: USD");
    invalid_at(edit(t, "excludes: [qualifying_free_zone_person, mne_group_member]", "excludes: []"),
               "pack.missing_field", "/tax_rates/0/excludes", "excludes: []");
    invalid_at(edit(t, "excludes: [qualifying_free_zone_person, mne_group_member]",
                    "excludes: [qualifying_free_zone_person, qualifying_free_zone_person]"),
               "pack.invalid_value", "/tax_rates/0/excludes/1", "excludes:");
    invalid_at(edit(t, "excludes: [qualifying_free_zone_person, mne_group_member]", "excludes: qualifying"),
               "pack.invalid_type", "/tax_rates/0/excludes", "excludes: qualifying");
    invalid_at(edit(t, "conditions: [substance]", "conditions: [substance-test]"), "pack.unknown_obligation",
               "/tax_rates/0/conditions/0", "conditions:");
    invalid_at(edit(t, "conditions: [substance]", "conditions: [Substance]"), "pack.invalid_id",
               "/tax_rates/0/conditions/0", "conditions:");
    invalid_at(edit(t, "    tax: vat\n", "    tax: vat\n    slabs: []\n"), "pack.unknown_key", "/tax_rates/1/slabs",
               "slabs: []");

    /* thresholds */
    invalid_at(edit(t, "    combine: lower_of\n", ""), "pack.missing_field", "/thresholds/0/combine",
               "  - id: de-minimis");
    invalid_at(edit(t, "    percent: {rate: \"5\", of: total_revenue}\n", ""), "pack.missing_field",
               "/thresholds/0/percent", "  - id: de-minimis");
    /* A percentage of one figure limits another figure of the person, never a payment: measure says which. */
    invalid_at(edit(t, "    measure: non_qualifying_revenue\n", ""), "pack.missing_field", "/thresholds/0/measure",
               "  - id: de-minimis");
    invalid_at(edit(t, "combine: lower_of", "combine: min"), "pack.invalid_value", "/thresholds/0/combine",
               "combine: min");
    invalid_at(edit(t, "percent: {rate: \"5\", of: total_revenue}", "percent: {rate: \"5\"}"), "pack.missing_field",
               "/thresholds/0/percent/of", "percent: {rate");
    invalid_at(edit(t, "percent: {rate: \"5\", of: total_revenue}", "percent: {rate: \"500\", of: total_revenue}"),
               "pack.invalid_value", "/thresholds/0/percent/rate", "percent: {rate");
    invalid_at(edit(t, "percent: {rate: \"5\", of: total_revenue}", "percent: \"5\""), "pack.invalid_type",
               "/thresholds/0/percent", "percent: \"5\"");
    invalid_at(edit(t, "transaction_type: wire_transfer", "transaction_type: swift"), "pack.invalid_value",
               "/thresholds/1/transaction_type", "transaction_type: swift");
    invalid_at(edit(t, "applies_to: [financial_institution, dnfbp]", "applies_to: [financial_institution, DNFBP]"),
               "pack.invalid_value", "/thresholds/1/applies_to/1", "applies_to:");
    invalid_at(edit(t, "applies_to: [financial_institution, dnfbp]", "applies_to: financial_institution"),
               "pack.invalid_type", "/thresholds/1/applies_to", "applies_to:");
    invalid_at(edit(t, "counterparty: offshore_zone", "counterparty: [offshore_zone]"), "pack.invalid_type",
               "/thresholds/1/counterparty", "counterparty:");
    invalid_at(edit(t, "direction: either", "direction: both"), "pack.invalid_value", "/thresholds/1/direction",
               "direction: both");

    /* obligations: deadline forms, retention, channel */
    x = edit(t, "{without_delay: true, from: suspicion}", "{without_delay: false, from: suspicion}");
    invalid_at(x, "pack.invalid_value", "/obligations/1/deadline/without_delay", "without_delay: false");
    x = edit(t, "{without_delay: true, from: suspicion}", "{without_delay: true}");
    invalid_at(x, "pack.invalid_value", "/obligations/1/deadline", "deadline: {without_delay");
    x = edit(t, "{without_delay: true, from: suspicion}", "{without_delay: true, days: 7, from: suspicion}");
    invalid_at(x, "pack.invalid_value", "/obligations/1/deadline", "deadline: {without_delay");
    x = edit(t, "{as_soon_as_practicable: true, from: internal_notification}",
             "{as_soon_as_practicable: 1, from: internal_notification}");
    invalid_at(x, "pack.invalid_type", "/obligations/2/deadline/as_soon_as_practicable", "as_soon_as_practicable: 1");
    x = edit(t, "{business_days: 7, from: transaction}", "{business_days: 0, from: transaction}");
    invalid_at(x, "pack.invalid_value", "/obligations/3/deadline/business_days", "business_days: 0");
    x = edit(t, "{business_days: 7, from: transaction}", "{business_days: 7, of: following_month}");
    invalid_at(x, "pack.invalid_value", "/obligations/3/deadline", "deadline: {business_days");
    x = edit(t, "{business_days: 7, from: transaction}", "{working_days: 7, from: transaction}");
    invalid_at(x, "pack.unknown_key", "/obligations/3/deadline/working_days", "working_days");
    x = edit(t, "{day_of_month: 30, of: april_following_year}", "{day_of_month: 30, from: april_following_year}");
    invalid_at(x, "pack.invalid_value", "/obligations/5/deadline", "deadline: {day_of_month");
    x = edit(t, "retention: {years: 5, from: end_of_relationship_or_transaction}", "retention: {years: 5}");
    invalid_at(x, "pack.missing_field", "/obligations/4/retention/from", "retention:");
    x = edit(t, "retention: {years: 5, from: end_of_relationship_or_transaction}",
             "retention: {years: \"5\", from: end_of_relationship_or_transaction}");
    invalid_at(x, "pack.invalid_type", "/obligations/4/retention/years", "retention:");
    x = edit(t, "retention: {years: 5, from: end_of_relationship_or_transaction}",
             "retention: {months: 60, from: end_of_relationship_or_transaction}");
    invalid_at(x, "pack.unknown_key", "/obligations/4/retention/months", "retention:");
    invalid_at(edit(t, "channel: goAML", "channel: [goAML]"), "pack.invalid_type", "/obligations/1/channel",
               "channel:");

    /* qualifying_activities */
    invalid_at(edit(t, "    name: Logistics services\n", ""), "pack.missing_field", "/qualifying_activities/0/name",
               "  - id: qa-logistics");
    invalid_at(edit(t, "    source: ct-law\n    conflicts: \"MD", "    conflicts: \"MD"), "pack.missing_source",
               "/qualifying_activities/0/source", "  - id: qa-logistics");
    invalid_at(edit(t, "  - id: qa-logistics", "  - id: str"), "pack.duplicate_id", "/qualifying_activities/0/id",
               "  - id: str\n    name");

    /* regulators: parent_authority names another regulator of the pack, without a loop */
    x = edit(t, "parent_authority: ae-cbuae", "parent_authority: ae-mof");
    invalid_at(x, "pack.unknown_regulator", "/regulators/1/parent_authority", "parent_authority: ae-mof");
    x = edit(t, "parent_authority: ae-cbuae", "parent_authority: ae-fiu");
    invalid_at(x, "pack.invalid_value", "/regulators/1/parent_authority", "parent_authority: ae-fiu");
    x = edit(t, "jurisdiction_id: ae, source: ct-law}\n  - {id: ae-fiu",
             "jurisdiction_id: ae, parent_authority: ae-fiu, source: ct-law}\n  - {id: ae-fiu");
    invalid_at(x, "pack.invalid_value", "/regulators/0/parent_authority", "parent_authority: ae-fiu");
}

/* The licensepack keys added for ae-adgm and kz-aifc: requirement counts, amounts and dates; fee types and filing. */
static const char LICENSEPACK_EXT[] =
    "format: mez-licensepack/1\n"
    "id: t-aifc\n"
    "jurisdiction_id: kz-aifc\n"
    "domain: licensing\n"
    "title: Test licences\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: regs, title: Companies Regulations, kind: statute}\n"
    "regulators:\n"
    "  - {id: kz-afsa, name: AFSA, jurisdiction_id: kz-aifc, source: regs}\n"
    "  - {id: kz-aifc-registrar, name: Registrar, jurisdiction_id: kz-aifc, parent_authority: kz-afsa, source: regs}\n"
    "licence_types:\n"
    "  - id: kz-aifc-registrar:public-company\n"
    "    name: Public Company\n"
    "    regulator: kz-aifc-registrar\n"
    "    requirements:\n"
    "      - {id: min-directors, description: At least two directors, count: 2, source: regs}\n"
    "      - id: min-share-capital\n"
    "        description: Minimum share capital\n"
    "        amount: {amount: \"100000\", currency: USD}\n"
    "        valid_to: \"2025-08-19\"\n"
    "        source: regs\n"
    "      - id: min-share-capital-2025\n"
    "        description: Minimum share capital\n"
    "        amount: {amount: \"50000\", currency: USD}\n"
    "        valid_from: \"2025-08-19\"\n"
    "        source: regs\n"
    "    fees:\n"
    "      - {id: registration-online, fee_type: registration, filing: online,\n"
    "         amount: {amount: \"300\", currency: USD}, source: regs}\n"
    "      - {id: annual, fee_type: annual_supervision, amount: {amount: \"1000\", currency: USD}, source: regs}\n"
    "    valid_from: \"2018-01-01\"\n"
    "    source: regs\n";

/* Thresholds on the aggregate paid to the payee in the tax year (s. 153(1)(a) and (b): "except where the payment is
 * less than Rs 30,000 in aggregate during a financial year"): threshold.aggregate names the figure, which the rows of
 * one provision share. */
static const char REGPACK_AGG[] =
    "format: mez-regpack/1\n"
    "id: t-agg\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: Test aggregates\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: ito, title: Income Tax Ordinance, kind: statute}\n"
    "withholding_rates:\n"
    "  - id: services-other\n"
    "    section: \"153(1)(b)\"\n"
    "    payment_type: services\n"
    "    payee_class: any\n"
    "    rates: {filer: \"15\", non_filer: \"30\"}\n"
    "    threshold: {amount: \"30000\", currency: PKR, applies: at_or_above, aggregate: services_paid_to_payee}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "  - id: services-it\n"
    "    section: \"153(1)(b)\"\n"
    "    payment_type: services_it\n"
    "    payee_class: any\n"
    "    rates: {filer: \"4\", non_filer: \"8\"}\n"
    "    threshold: {amount: \"30000\", currency: PKR, applies: above, aggregate: services_paid_to_payee}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "  - id: goods-company\n"
    "    section: \"153(1)(a)\"\n"
    "    payment_type: goods\n"
    "    payee_class: company\n"
    "    rates: {filer: \"5\", non_filer: \"10\"}\n"
    "    threshold: {amount: \"75000\", currency: PKR, applies: at_or_above, aggregate: goods_paid_to_payee}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "  - id: salary-band-1\n"
    "    section: \"149(1)\"\n"
    "    payment_type: salary\n"
    "    payee_class: individual\n"
    "    rates: {filer: \"0\"}\n"
    "    threshold: {amount: \"600000\", currency: PKR, applies: at_or_below}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "  - id: salary-band-2\n"
    "    section: \"149(1)\"\n"
    "    payment_type: salary\n"
    "    payee_class: individual\n"
    "    rates: {filer: \"1\"}\n"
    "    threshold: {amount: \"600000\", currency: PKR, applies: above}\n"
    "    base_amount: {amount: \"0\", currency: PKR}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "tax_rates:\n"
    "  - id: ct\n"
    "    tax: cit\n"
    "    article: \"3\"\n"
    "    taxpayer_class: taxable_person\n"
    "    income_class: taxable_income\n"
    "    rate: \"9\"\n"
    "    basis: taxable_income\n"
    "    threshold: {amount: \"375000\", currency: PKR, applies: above, measure: taxable_income}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n"
    "thresholds:\n"
    "  - id: ctr\n"
    "    obligation: currency_transaction_report\n"
    "    amount: {amount: \"2000000\", currency: PKR, applies: at_or_above}\n"
    "    valid_from: \"2025-07-01\"\n"
    "    source: ito\n";

static void test_regpack_aggregates(void)
{
    const char *t = REGPACK_AGG;
    mez_problem_t pb = { 0 };
    mez_status_t rv = validate(t, &pb, NULL, NULL);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nunexpected %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL(rv, MEZ_OK);
    /* A lower limit only: an upper limit on a sum that grows through the year would stop applying mid-year. */
    invalid_at(edit(t, "applies: above, aggregate", "applies: at_or_below, aggregate"), "pack.invalid_value",
               "/withholding_rates/1/threshold/aggregate", "applies: at_or_below, aggregate");
    /* A name of a figure: a slug. */
    invalid_at(edit(t, "aggregate: goods_paid_to_payee", "aggregate: Goods-Paid"), "pack.invalid_value",
               "/withholding_rates/2/threshold/aggregate", "aggregate: Goods-Paid");
    /* Rows naming one aggregate are of one provision, and in one currency. */
    invalid_at(edit(t, "aggregate: goods_paid_to_payee", "aggregate: services_paid_to_payee"), "pack.invalid_value",
               "/withholding_rates/2/threshold/aggregate", "currency: PKR, applies: at_or_above, aggregate: services"
               "_paid_to_payee}\n    valid_from: \"2025-07-01\"\n    source: ito\n  - id: salary-band-1");
    invalid_at(edit(t, "currency: PKR, applies: above, aggregate", "currency: USD, applies: above, aggregate"),
               "pack.invalid_value", "/withholding_rates/1/threshold/aggregate", "currency: USD");
    /* A payment type adds to one aggregate. */
    invalid_at(edit(edit(t, "payment_type: services_it", "payment_type: services"), "applies: above, aggregate: "
                    "services_paid_to_payee", "applies: above, aggregate: it_paid_to_payee"), "pack.invalid_value",
               "/withholding_rates/1/threshold/aggregate", "aggregate: it_paid_to_payee");
    /* A band of a progressive table is on the figure its basis names, never on an aggregate: the band with
     * base_amount, and the lowest band of its table (no base_amount) alike. */
    invalid_at(edit(t, "600000\", currency: PKR, applies: above}", "600000\", currency: PKR, applies: above, "
                    "aggregate: salary_paid}"), "pack.invalid_value", "/withholding_rates/4/threshold/aggregate",
               "aggregate: salary_paid}");
    invalid_at(edit(t, "600000\", currency: PKR, applies: at_or_below}", "600000\", currency: PKR, applies: "
                    "above, aggregate: salary_paid}"), "pack.invalid_value", "/withholding_rates/3/threshold/aggregate",
               "aggregate: salary_paid}");
    /* Only a withholding rate's limit is on payments to a payee. */
    invalid_at(edit(t, "measure: taxable_income}", "measure: taxable_income, aggregate: x}"), "pack.unknown_key",
               "/tax_rates/0/threshold/aggregate", "measure: taxable_income, aggregate");
    invalid_at(edit(t, "2000000\", currency: PKR, applies: at_or_above}", "2000000\", currency: PKR, applies: "
                    "at_or_above, aggregate: x}"), "pack.unknown_key", "/thresholds/0/amount/aggregate",
               "aggregate: x}");
}

static void test_licensepack_extensions(void)
{
    mez_problem_t pb = { 0 };
    const char *t = LICENSEPACK_EXT, *x;
    mez_status_t rv = validate(t, &pb, NULL, NULL);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nunexpected %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL(rv, MEZ_OK);

    invalid_at(edit(t, "count: 2", "count: 0"), "pack.invalid_value", "/licence_types/0/requirements/0/count",
               "count: 0");
    invalid_at(edit(t, "count: 2", "count: \"2\""), "pack.invalid_type", "/licence_types/0/requirements/0/count",
               "count: \"2\"");
    invalid_at(edit(t, "count: 2", "count: 2, amount: {amount: \"1\", currency: USD}"), "pack.invalid_value",
               "/licence_types/0/requirements/0/amount", "count: 2");
    invalid_at(edit(t, "amount: {amount: \"100000\", currency: USD}", "amount: {amount: 100000, currency: USD}"),
               "pack.invalid_decimal", "/licence_types/0/requirements/1/amount/amount", "amount: {amount: 100000");
    invalid_at(edit(t, "amount: {amount: \"100000\", currency: USD}",
                    "amount: {amount: \"100000\", currency: USD, applies: at_or_above}"),
               "pack.unknown_key", "/licence_types/0/requirements/1/amount/applies", "applies: at_or_above");
    invalid_at(edit(t, "valid_to: \"2025-08-19\"", "valid_to: \"2025-19-08\""), "pack.invalid_date",
               "/licence_types/0/requirements/1/valid_to", "valid_to: \"2025-19-08\"");
    x = edit(t, "        valid_from: \"2025-08-19\"\n",
             "        valid_from: \"2025-08-19\"\n        valid_to: \"2024-01-01\"\n");
    invalid_at(x, "pack.invalid_period", "/licence_types/0/requirements/2/valid_to", "valid_to: \"2024-01-01\"");
    invalid_at(edit(t, "fee_type: registration,", "fee_type: registration_online,"), "pack.invalid_value",
               "/licence_types/0/fees/0/fee_type", "fee_type: registration_online");
    invalid_at(edit(t, "filing: online", "filing: portal"), "pack.invalid_value", "/licence_types/0/fees/0/filing",
               "filing: portal");
    invalid_at(edit(t, "amount: {amount: \"300\", currency: USD}", "amount: {amount: \"300\", currency: USD, "
                    "applies: above}"), "pack.unknown_key", "/licence_types/0/fees/0/amount/applies", "applies: above");
    invalid_at(edit(t, "parent_authority: kz-afsa", "parent_authority: kz-gov"), "pack.unknown_regulator",
               "/regulators/1/parent_authority", "parent_authority: kz-gov");
}

/* ------------------------------------------------------------------ lawpack digest vectors */

static void test_lawpack_digest_vectors(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    json_t *vec, *c;
    size_t i;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, unit_shared("vectors/anchor/lawpack_digest.json"), &vec, &pb),
                          MEZ_OK);
    CU_ASSERT_TRUE(json_array_size(json_object_get(vec, "cases")) >= 2);
    json_array_foreach(json_object_get(vec, "cases"), i, c) {
        const json_t *files = json_object_get(c, "files_utf8");
        mez_pack_file_t *fs = apr_pcalloc(p, sizeof(*fs) * (json_object_size(files) + 1));
        const char *path;
        json_t *content;
        size_t n = 0;
        mez_digest_t d;
        json_object_foreach((json_t *)files, path, content) {
            fs[n].path = path;
            fs[n].data = json_string_value(content);
            fs[n].len = json_string_length(content);
            n++;
        }
        CU_ASSERT_EQUAL(mez_pack_lawpack_digest(p, fs, n, &d, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), json_string_value(json_object_get(c, "expected_sha256")));
    }
    /* The same path twice is refused, not hashed twice. */
    {
        mez_pack_file_t two[2] = { { "a", "x", 1 }, { "a", "y", 1 } };
        mez_digest_t d;
        CU_ASSERT_EQUAL(mez_pack_lawpack_digest(p, two, 2, &d, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "pack.duplicate_path");
    }
}

static void test_mcf_vector(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    json_t *vec;
    mez_digest_t d;
    const char *canon;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, unit_shared("vectors/anchor/mcf_sha256_basic.json"), &vec, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL(mez_json_canonicalize(p, json_object_get(vec, "input"), &canon, &n, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(canon, json_string_value(json_object_get(vec, "canonical_bytes")));
    CU_ASSERT_EQUAL(mez_digest_json(p, json_object_get(vec, "input"), &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), json_string_value(json_object_get(vec, "expected_sha256")));
}

/* ------------------------------------------------------------------ lawpacks and AKN */

static const char AKN_ACT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<akomaNtoso xmlns=\"http://docs.oasis-open.org/legaldocml/ns/akn/3.0\">\n"
    "  <act name=\"test\">\n"
    "    <meta>\n"
    "      <identification source=\"#mez\">\n"
    "        <FRBRWork>\n"
    "          <FRBRthis value=\"/akn/pk/act/2001/xlix/!main\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/xlix\"/>\n"
    "          <FRBRdate date=\"2001-09-13\" name=\"enactment\"/>\n"
    "          <FRBRauthor href=\"#parliament\"/>\n"                          /* 10 */
    "          <FRBRcountry value=\"pk\"/>\n"
    "        </FRBRWork>\n"
    "        <FRBRExpression>\n"
    "          <FRBRthis value=\"/akn/pk/act/2001/xlix/eng@2025-07-01/!main\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/xlix/eng@2025-07-01\"/>\n"
    "          <FRBRdate date=\"2025-07-01\" name=\"amendment\"/>\n"
    "          <FRBRauthor href=\"#parliament\"/>\n"
    "          <FRBRlanguage language=\"eng\"/>\n"
    "        </FRBRExpression>\n"
    "        <FRBRManifestation>\n"                                          /* 20 */
    "          <FRBRthis value=\"/akn/pk/act/2001/xlix/eng@2025-07-01/!main.xml\"/>\n"
    "          <FRBRuri value=\"/akn/pk/act/2001/xlix/eng@2025-07-01.xml\"/>\n"
    "          <FRBRdate date=\"2025-07-01\" name=\"transform\"/>\n"
    "          <FRBRauthor href=\"#mez\"/>\n"
    "        </FRBRManifestation>\n"
    "      </identification>\n"
    "    </meta>\n"
    "    <body>\n"
    "      <section eId=\"sec_149\">\n"
    "        <num>149.</num>\n"                                              /* 30 */
    "        <heading>Salary</heading>\n"
    "        <subsection eId=\"sec_149__subsec_1\">\n"
    "          <num>(1)</num>\n"
    "          <intro><p>Every employer paying   salary\n shall deduct tax \xe2\x80\x94</p></intro>\n"
    "          <paragraph eId=\"sec_149__subsec_1__para_a\">\n"
    "            <num>(a)</num>\n"
    "            <content><p>at the rate in the First Schedule.</p></content>\n"
    "          </paragraph>\n"
    "        </subsection>\n"
    "      </section>\n"                                                    /* 40 */
    "    </body>\n"
    "  </act>\n"
    "</akomaNtoso>\n";

static const char LAWPACK[] =
    "format: mez-lawpack/1\n"
    "id: t-ito\n"
    "jurisdiction_id: pk\n"
    "domain: tax\n"
    "title: Test act\n"
    "as_of_date: \"2025-07-01\"\n"
    "sources:\n"
    "  - {id: ito-2001, title: \"Income Tax Ordinance, 2001\", kind: statute}\n"
    "documents:\n"
    "  - path: akn/main.xml\n"
    "    frbr_work: /akn/pk/act/2001/xlix\n";

static const char *lawpack_dir(const char *xml)
{
    const char *dir = unit_tmpdir();
    write_file(dir, "law/lawpack.yaml", LAWPACK);
    write_file(dir, "law/akn/main.xml", xml);
    return apr_pstrcat(unit_pool(), dir, "/law", NULL);
}

static mez_status_t load_law(const char *xml, const mez_akn_schema_t *s, mez_pack_t **pack, mez_problem_t *pb)
{
    mez_pack_options_t opts = { s, NULL, 0 };
    return mez_pack_load(unit_pool(), lawpack_dir(xml), &opts, pack, pb);
}

static void test_lawpack_load_and_digest(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    const char *canon;
    size_t n;
    mez_pack_file_t files[2];
    mez_digest_t d;
    mez_status_t rv = load_law(AKN_ACT, schema(), &pack, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\n%s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    CU_ASSERT_EQUAL(pack->kind, MEZ_PACK_LAW);
    CU_ASSERT_STRING_EQUAL(pack->id, "t-ito");
    CU_ASSERT_EQUAL(pack->files->nelts, 2);
    /* Digest v1 over lawpack.yaml's canonical JSON and the raw XML, in path order (akn/ before lawpack.yaml). */
    CU_ASSERT_EQUAL(mez_json_canonicalize(p, yaml_ok(LAWPACK)->root, &canon, &n, &pb), MEZ_OK);
    files[0] = (mez_pack_file_t) { "lawpack.yaml", canon, n };
    files[1] = (mez_pack_file_t) { "akn/main.xml", AKN_ACT, strlen(AKN_ACT) };
    CU_ASSERT_EQUAL(mez_pack_lawpack_digest(p, files, 2, &d, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &pack->digest));
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(pack->files, 0, mez_pack_file_t).path, "akn/main.xml");
    /* Loading the lawpack.yaml file itself is the same pack. */
    {
        mez_pack_t *again;
        mez_pack_options_t opts = { NULL, NULL, 0 };
        CU_ASSERT_EQUAL(mez_pack_load(p, apr_pstrcat(p, pack->path, NULL), &opts, &again, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_digest_equal(&again->digest, &pack->digest));
    }
}

static void test_lawpack_sections(void)
{
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    const mez_akn_section_t *s;
    mez_akn_text_t t;
    CU_ASSERT_EQUAL_FATAL(load_law(AKN_ACT, NULL, &pack, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(apr_hash_count(pack->sections), 3);
    CU_ASSERT_EQUAL_FATAL(mez_pack_law_section(unit_pool(), pack, "sec_149", &s, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(s->element, "section");
    mez_akn_section_text(unit_pool(), s, &t);
    CU_ASSERT_STRING_EQUAL(t.num, "149.");
    CU_ASSERT_STRING_EQUAL(t.heading, "Salary");
    CU_ASSERT_STRING_EQUAL(t.text, "(1) Every employer paying salary shall deduct tax \xe2\x80\x94\n"
                                   "(a) at the rate in the First Schedule.");
    CU_ASSERT_EQUAL(s->line, 29);
    /* A level down: its own num left out, its paragraph's num on the paragraph's line. */
    CU_ASSERT_EQUAL_FATAL(mez_pack_law_section(unit_pool(), pack, "sec_149__subsec_1", &s, &pb), MEZ_OK);
    mez_akn_section_text(unit_pool(), s, &t);
    CU_ASSERT_STRING_EQUAL(t.num, "(1)");
    CU_ASSERT_PTR_NULL(t.heading);
    CU_ASSERT_STRING_EQUAL(t.text, "Every employer paying salary shall deduct tax \xe2\x80\x94\n"
                                   "(a) at the rate in the First Schedule.");
    CU_ASSERT_EQUAL_FATAL(mez_pack_law_section(unit_pool(), pack, "sec_149__subsec_1__para_a", &s, &pb), MEZ_OK);
    mez_akn_section_text(unit_pool(), s, &t);
    CU_ASSERT_STRING_EQUAL(t.num, "(a)");
    CU_ASSERT_PTR_NULL(t.heading);
    CU_ASSERT_STRING_EQUAL(t.text, "at the rate in the First Schedule.");
    CU_ASSERT_EQUAL(mez_pack_law_section(unit_pool(), pack, "sec_150", &s, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.unknown_eid");
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_PTR_NULL(s);
}

static void akn_refused(const char *xml, const mez_akn_schema_t *s, const char *code, const char *where)
{
    mez_problem_t pb = { 0 };
    mez_pack_t *pack = NULL;
    CU_ASSERT_EQUAL(load_law(xml, s, &pack, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(pack);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code))
        fprintf(stderr, "\nexpected %s, got %s: %s\n", code, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    if (where && !strstr(pb.detail, where))
        fprintf(stderr, "\nexpected '%s' in: %s\n", where, pb.detail);
    if (where)
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, where));
}

static void test_akn_invalid(void)
{
    const mez_akn_schema_t *s = schema();
    /* Malformed: the line of the error is named. */
    akn_refused(edit(AKN_ACT, "<heading>Salary</heading>", "<heading>Salary</head>"), s, "pack.akn_invalid",
                "main.xml:31:");
    /* Well-formed but not valid against the schema: an element the schema does not allow, at its line. */
    akn_refused(edit(AKN_ACT, "<heading>Salary</heading>", "<heading>Salary</heading><rate>5</rate>"), s,
                "pack.akn_invalid", "main.xml:31:");
    akn_refused(edit(AKN_ACT, "<FRBRuri value=\"/akn/pk/act/2001/xlix\"/>", ""), s, "pack.akn_invalid", "main.xml:");
    /* Without a schema the XSD violation passes, but structure checks still hold. */
    {
        mez_problem_t pb = { 0 };
        mez_pack_t *pack;
        CU_ASSERT_EQUAL(load_law(edit(AKN_ACT, "<heading>Salary</heading>", "<heading>Salary</heading><rate>5</rate>"),
                                 NULL, &pack, &pb), MEZ_OK);
    }
    akn_refused(edit(AKN_ACT, "<FRBRuri value=\"/akn/pk/act/2001/xlix\"/>",
                     "<FRBRuri value=\"/akn/pk/act/2001/l\"/>"), s, "pack.akn_frbr_mismatch", "/akn/pk/act/2001/l");
    akn_refused(edit(AKN_ACT, "eId=\"sec_149__subsec_1__para_a\"", "eId=\"sec_149__subsec_1\""), NULL,
                "pack.akn_duplicate_eid", "main.xml:36:");
    akn_refused(edit(AKN_ACT, "<akomaNtoso", "<!DOCTYPE akomaNtoso [<!ENTITY x \"y\">]>\n<akomaNtoso"), NULL,
                "pack.akn_invalid", "DOCTYPE");
    akn_refused(edit(edit(AKN_ACT, "<act name=\"test\">", "<bill name=\"test\">"), "</act>", "</bill>"), NULL,
                "pack.akn_invalid", "<act>");
    /* A document the manifest names but that is not there is an I/O problem. */
    {
        const char *dir = unit_tmpdir();
        mez_pack_options_t opts = { NULL, NULL, 0 };
        mez_problem_t pb = { 0 };
        mez_pack_t *pack;
        write_file(dir, "lawpack.yaml", LAWPACK);
        CU_ASSERT_EQUAL(mez_pack_load(unit_pool(), dir, &opts, &pack, &pb), MEZ_EIO);
    }
}

static void test_akn_schema_missing(void)
{
    const mez_akn_schema_t *s;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_akn_schema_load(unit_pool(), "/nonexistent/akomantoso30.xsd", &s, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.akn_schema_invalid");
    CU_ASSERT_PTR_NULL(s);
}

static void test_law_refs(void)
{
    mez_problem_t pb = { 0 };
    mez_pack_t *law, *reg;
    mez_pack_options_t opts = { NULL, NULL, 0 };
    const char *dir = unit_tmpdir();
    const char *withlaw = edit(REGPACK, "    payment_type: goods\n",
                               "    payment_type: goods\n    law: {lawpack: t-ito, eid: sec_149__subsec_1}\n");
    CU_ASSERT_EQUAL_FATAL(load_law(AKN_ACT, NULL, &law, &pb), MEZ_OK);
    write_file(dir, "ok.yaml", withlaw);
    write_file(dir, "bad.yaml", edit(withlaw, "eid: sec_149__subsec_1}", "eid: sec_999}"));
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/ok.yaml", NULL), &opts, &reg,
                                        &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_check_law_refs(unit_pool(), reg, &law, 1, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_check_law_refs(unit_pool(), reg, NULL, 0, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.unknown_lawpack");
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(unit_pool(), apr_pstrcat(unit_pool(), dir, "/bad.yaml", NULL), &opts, &reg,
                                        &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_check_law_refs(unit_pool(), reg, &law, 1, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.unknown_eid");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/withholding_rates/0/law/eid");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "bad.yaml:16:"));
}

/* ------------------------------------------------------------------ manifest and CAS form */

static void test_manifest_credential(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    mez_key_t *key;
    json_t *vc, *m;
    mez_vc_result_t res;
    mez_pack_options_t opts = { NULL, NULL, 0 };
    const char *dir = unit_tmpdir();
    write_file(dir, "r.yaml", REGPACK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(p, apr_pstrcat(p, dir, "/r.yaml", NULL), &opts, &pack, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_manifest(p, pack, &m, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "digest")), mez_pack_digest_string(p, pack));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "pack_id")), "t-wht");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "type")), "regpack");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(m, "sources")), 1);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &key, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_manifest_credential(p, pack, key, NULL, NULL, &vc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(vc, "type"), 1)), MEZ_PACK_MANIFEST_TYPE);
    CU_ASSERT_TRUE(json_equal(json_object_get(vc, "credentialSubject"), m));
    CU_ASSERT_EQUAL(mez_vc_verify(p, vc, NULL, &res), MEZ_OK);
    CU_ASSERT_TRUE(res.verified);
    /* Changing the subject's digest breaks the signature. */
    json_object_set_new(json_object_get(vc, "credentialSubject"), "digest",
                        json_string("sha256:0000000000000000000000000000000000000000000000000000000000000000"));
    CU_ASSERT_EQUAL(mez_vc_verify(p, vc, NULL, &res), MEZ_OK);
    CU_ASSERT_FALSE(res.verified);
}

static void test_artifacts(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_pack_options_t opts = { NULL, NULL, 0 };
    mez_pack_t *law, *back, *reg;
    const char *bytes;
    size_t len;
    mez_digest_t d;
    const char *dir = unit_tmpdir();

    CU_ASSERT_EQUAL_FATAL(load_law(AKN_ACT, NULL, &law, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_artifact(p, law, &bytes, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_artifact_digest(p, MEZ_PACK_LAW, bytes, len, &d, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &law->digest));
    CU_ASSERT_EQUAL_FATAL(mez_pack_load_artifact(p, MEZ_PACK_LAW, bytes, len, &opts, &back, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&back->digest, &law->digest));
    CU_ASSERT_EQUAL(apr_hash_count(back->sections), 3);
    /* A lawpack archive that is not canonical is refused: one pack, one CAS form. */
    CU_ASSERT_EQUAL(mez_pack_artifact_digest(p, MEZ_PACK_LAW, apr_pstrcat(p, " ", bytes, NULL), len + 1, &d, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.invalid_archive");
    CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_REG, bytes, len, &opts, &back, &pb), MEZ_EINVAL);

    write_file(dir, "r.yaml", REGPACK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(p, apr_pstrcat(p, dir, "/r.yaml", NULL), &opts, &reg, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_artifact(p, reg, &bytes, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_artifact_digest(p, MEZ_PACK_REG, bytes, len, &d, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &reg->digest));
    CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_REG, bytes, len, &opts, &back, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_LICENSE, bytes, len, &opts, &back, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.wrong_kind");
    /* A pack read from JSON may spell NUL (\u0000) in any string: refused, naming the field, before any check reads
     * the part before it ("pk-proscribed\u0000/../evil" was checked as pk-proscribed). */
    {
        const char *nul = edit(bytes, "\"id\":\"t-wht\"", "\"id\":\"t-wht\\u0000/../evil\"");
        apr_array_header_t *all = apr_array_make(p, 4, sizeof(mez_problem_t));
        mez_pack_options_t keep = { NULL, all, 0 };
        CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_REG, nul, strlen(nul), &keep, &back, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "pack.nul_not_allowed");
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/id");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "'id' holds a NUL character"));
        CU_ASSERT_EQUAL(all->nelts, 1);
        nul = edit(bytes, "\"aliases\":[\"EO\"]", "\"aliases\":[\"EO\",\"E\\u0000\"]");
        CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_REG, nul, strlen(nul), &opts, &back, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "pack.nul_not_allowed");
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/lists/0/entries/0/aliases/1");
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "item 1 of 'aliases' holds"));
    }
    /* Pretty-printed JSON of the same model is not the artifact. */
    CU_ASSERT_EQUAL(mez_pack_load_artifact(p, MEZ_PACK_REG, mez_json_dump(p, reg->model, 1),
                                           strlen(mez_json_dump(p, reg->model, 1)), &opts, &back, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "pack.invalid_archive");
}

static void test_base64_and_paths(void)
{
    apr_pool_t *p = unit_pool();
    unsigned char *out;
    size_t n;
    CU_ASSERT_STRING_EQUAL(mez_pack_base64_encode(p, "ab", 2), "YWI=");
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "YWI=", 4, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(memcmp(out, "ab", 2), 0);
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "", 0, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "YWJ=", 4, &out, &n), -1);   /* non-zero unused bits */
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "YW I=", 5, &out, &n), -1);
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "Y=WI", 4, &out, &n), -1);
    CU_ASSERT_EQUAL(mez_pack_base64_decode(p, "YWI", 3, &out, &n), -1);
    CU_ASSERT_TRUE(mez_pack_path_ok("akn/main.xml"));
    CU_ASSERT_FALSE(mez_pack_path_ok("../main.xml"));
    CU_ASSERT_FALSE(mez_pack_path_ok("/etc/passwd"));
    CU_ASSERT_FALSE(mez_pack_path_ok("akn//main.xml"));
    CU_ASSERT_FALSE(mez_pack_path_ok("akn/./main.xml"));
    CU_ASSERT_FALSE(mez_pack_path_ok(""));
    CU_ASSERT_TRUE(mez_pack_date_ok("2024-02-29"));
    CU_ASSERT_FALSE(mez_pack_date_ok("2025-02-29"));
    CU_ASSERT_FALSE(mez_pack_date_ok("2025-13-01"));
    CU_ASSERT_TRUE(mez_pack_domain_known("consumer_protection"));
    CU_ASSERT_FALSE(mez_pack_domain_known("Tax"));
}

void unit_register_pack(void)
{
    CU_pSuite s = unit_suite("pack");
    /* libxml2's process-wide initialisation, as main() does before any thread starts. */
    mez_pack_global_init();
    CU_add_test(s, "yaml: plain scalars follow the YAML 1.2 core schema", test_yaml_types);
    CU_add_test(s, "yaml: pointer to line and column", test_yaml_positions);
    CU_add_test(s, "yaml: floats refused with line and pointer", test_yaml_floats_refused);
    CU_add_test(s, "yaml: duplicates, anchors, aliases, tags, keys, documents, syntax", test_yaml_refusals);
    CU_add_test(s, "regpack: valid, digest covers the whole canonical model", test_regpack_valid_and_digest);
    CU_add_test(s, "regpack: each error with its code, pointer and line", test_regpack_errors);
    CU_add_test(s, "regpack: a float rate is pack.float_not_allowed", test_regpack_float_refused_on_load);
    CU_add_test(s, "licensepack: valid and its errors", test_licensepack);
    CU_add_test(s, "regpack: tax rates, bands, thresholds, deadlines, retention, parents (valid)",
                test_regpack_extensions_valid);
    CU_add_test(s, "regpack: each invalid form of the added fields, with code, pointer and line",
                test_regpack_extensions_errors);
    CU_add_test(s, "licensepack: requirement counts, amounts and dates; fee types and filing",
                test_licensepack_extensions);
    CU_add_test(s, "regpack: thresholds on the aggregate paid to a payee, and their invalid forms",
                test_regpack_aggregates);
    CU_add_test(s, "vector: lawpack digest v1 (anchor)", test_lawpack_digest_vectors);
    CU_add_test(s, "vector: MCF SHA-256 basic (anchor)", test_mcf_vector);
    CU_add_test(s, "lawpack: load, XSD, digest over canonical manifest and raw XML", test_lawpack_load_and_digest);
    CU_add_test(s, "lawpack: sections by eId", test_lawpack_sections);
    CU_add_test(s, "lawpack: malformed, XSD-invalid and inconsistent AKN refused", test_akn_invalid);
    CU_add_test(s, "lawpack: missing schema file", test_akn_schema_missing);
    CU_add_test(s, "packs: law citations resolve to eIds", test_law_refs);
    CU_add_test(s, "manifest: issued as a verifiable credential", test_manifest_credential);
    CU_add_test(s, "artifacts: CAS form digests to the pack digest and loads back", test_artifacts);
    CU_add_test(s, "helpers: base64, paths, dates, domains", test_base64_and_paths);
}
