/* test_tensor.c: CUnit suite for the tensor area: domains, the state lattice, commitments and the Merkle root
 * against the anchor vectors, exact decimals, screening, action validation and evaluation over inline packs. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/tensor.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "unit.h"
#include "../../libmezcore/src/tensor_int.h"

/* JSON written with single quotes, so fixtures read as JSON rather than as C escapes. No fixture text
 * contains an apostrophe. */
static json_t *J(const char *text)
{
    char *s = apr_pstrdup(unit_pool(), text);
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    if (mez_json_parse(unit_pool(), s, strlen(s), &v, &pb) != MEZ_OK) {
        fprintf(stderr, "fixture does not parse: %s\n%s\n", pb.detail, s);
        CU_FAIL_FATAL("fixture JSON");
    }
    return v;
}

static const char *canon(const json_t *v)
{
    const char *c = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(unit_pool(), v, &c, NULL, &pb), MEZ_OK);
    return c;
}

static void hex_to_digest(const char *hex, mez_digest_t *d)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_digest_parse(unit_pool(), apr_pstrcat(unit_pool(), "sha256:", hex, NULL), d, &pb),
                          MEZ_OK);
}

static json_t *vector(const char *name)
{
    size_t len;
    char *buf = unit_read_file(unit_shared(apr_pstrcat(unit_pool(), "vectors/anchor/", name, NULL)), &len);
    json_t *v = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), buf, len, &v, &pb), MEZ_OK);
    return v;
}

/* ------------------------------------------------------------------ domains and states */

static void test_domains_order_and_spelling(void)
{
    static const char *const reference[] = { "aml", "kyc", "sanctions", "tax", "securities", "corporate", "custody",
                                             "data_privacy", "licensing", "banking", "payments", "clearing",
                                             "settlement", "digital_assets", "employment", "immigration", "ip",
                                             "consumer_protection", "arbitration", "trade" };
    mez_problem_t pb = { 0 };
    mez_domain_t d;
    CU_ASSERT_EQUAL(sizeof(reference) / sizeof(reference[0]), MEZ_DOMAIN_COUNT);
    for (unsigned i = 0; i < MEZ_DOMAIN_COUNT; i++) {
        CU_ASSERT_STRING_EQUAL(mez_domain_name((mez_domain_t)i), reference[i]);
        CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), reference[i], "/x", &d, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(d, (mez_domain_t)i);
        CU_ASSERT_EQUAL(mez_domain_is_original((mez_domain_t)i), i < 8);
    }
    CU_ASSERT_EQUAL(MEZ_DOMAIN_AML, 0);
    CU_ASSERT_EQUAL(MEZ_DOMAIN_TRADE, 19);
    CU_ASSERT_PTR_NULL(mez_domain_name((mez_domain_t)20));
}

static void test_domain_parse_is_case_sensitive(void)
{
    mez_problem_t pb = { 0 };
    mez_domain_t d;
    CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), "AML", "/evidence/AML", &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_domain");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/evidence/AML");
    CU_ASSERT_EQUAL(pb.status, 422);
    /* The three extra values of the HEAD zone schema are not domains of the reference's enum. */
    CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), "anti_bribery", NULL, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), "sharia", NULL, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), "", NULL, &d, &pb), MEZ_EINVAL);
}

static void test_state_lattice(void)
{
    const mez_state_t order[] = { MEZ_STATE_NON_COMPLIANT, MEZ_STATE_PENDING, MEZ_STATE_NOT_APPLICABLE,
                                  MEZ_STATE_EXEMPT, MEZ_STATE_COMPLIANT };
    static const char *const names[] = { "non_compliant", "pending", "not_applicable", "exempt", "compliant" };
    mez_problem_t pb = { 0 };
    mez_state_t s;
    for (unsigned i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(mez_state_name(order[i]), names[i]);
        CU_ASSERT_EQUAL(mez_state_parse(unit_pool(), names[i], NULL, &s, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(s, order[i]);
        for (unsigned j = 0; j < 5; j++) {
            CU_ASSERT_EQUAL(mez_state_meet(order[i], order[j]), order[i < j ? i : j]);
            CU_ASSERT_EQUAL(mez_state_join(order[i], order[j]), order[i > j ? i : j]);
            CU_ASSERT_EQUAL(mez_state_meet(order[i], order[j]), mez_state_meet(order[j], order[i]));
        }
        CU_ASSERT_EQUAL(mez_state_meet(order[i], MEZ_STATE_NON_COMPLIANT), MEZ_STATE_NON_COMPLIANT);
    }
    CU_ASSERT_EQUAL(mez_state_parse(unit_pool(), "unknown", "/s", &s, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_state");
    CU_ASSERT_EQUAL(mez_state_parse(unit_pool(), "Compliant", "/s", &s, &pb), MEZ_EINVAL);

    /* The fold of nothing is pending (fail closed), never compliant. */
    CU_ASSERT_EQUAL(mez_state_meet_all(NULL, 0), MEZ_STATE_PENDING);
    CU_ASSERT_EQUAL(mez_state_meet_all(order + 3, 2), MEZ_STATE_EXEMPT);
    CU_ASSERT_EQUAL(mez_state_meet_all(order, 5), MEZ_STATE_NON_COMPLIANT);
    CU_ASSERT_FALSE(mez_state_all_passing(NULL, 0));
    CU_ASSERT_TRUE(mez_state_all_passing(order + 2, 3));
    CU_ASSERT_FALSE(mez_state_all_passing(order + 1, 4));

    CU_ASSERT_FALSE(mez_state_is_passing(MEZ_STATE_NON_COMPLIANT));
    CU_ASSERT_FALSE(mez_state_is_passing(MEZ_STATE_PENDING));
    CU_ASSERT_TRUE(mez_state_is_passing(MEZ_STATE_NOT_APPLICABLE));
    CU_ASSERT_TRUE(mez_state_is_passing(MEZ_STATE_EXEMPT));
    CU_ASSERT_TRUE(mez_state_is_passing(MEZ_STATE_COMPLIANT));
    CU_ASSERT_TRUE(mez_state_is_terminal(MEZ_STATE_NON_COMPLIANT));
    CU_ASSERT_FALSE(mez_state_is_terminal(MEZ_STATE_PENDING));
    CU_ASSERT_FALSE(mez_state_is_terminal(MEZ_STATE_NOT_APPLICABLE));
    CU_ASSERT_TRUE(mez_state_is_terminal(MEZ_STATE_EXEMPT));
}

/* ------------------------------------------------------------------ commitments (anchor vectors) */

static void test_commitment_vectors(void)
{
    json_t *v = vector("tensor_commitment.json"), *c;
    size_t i, n = 0;
    json_array_foreach(json_object_get(v, "cases"), i, c) {
        mez_problem_t pb = { 0 };
        mez_tensor_cells_t cells;
        mez_digest_t d;
        const char *jid = json_string_value(json_object_get(c, "jurisdiction_id"));
        const json_t *bytes = json_object_get(c, "canonical_bytes");
        CU_ASSERT_EQUAL_FATAL(mez_tensor_cells_from_json(unit_pool(), json_object_get(c, "cells"), "/cells", &cells,
                                                         &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_tensor_commitment(unit_pool(), jid, &cells, &d, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d),
                               json_string_value(json_object_get(c, "expected_sha256")));
        /* Where the vector spells out the reference's MCF bytes, our RFC 8785 bytes are the same. */
        if (bytes)
            CU_ASSERT_STRING_EQUAL(canon(mez_tensor_commitment_payload(unit_pool(), jid, &cells)),
                                   json_string_value(bytes));
        n++;
    }
    CU_ASSERT_EQUAL(n, 4);
}

/* The commitment writes its canonical bytes directly; they must equal RFC 8785 of the payload for any cells. */
static void test_commitment_direct_bytes_match_the_payload(void)
{
    mez_problem_t pb = { 0 };
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        mez_tensor_cells_t cells;
        mez_digest_t direct, via_json;
        mez_tensor_cells_clear(&cells);
        for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 3)
                mez_tensor_cells_set(&cells, (mez_domain_t)d, (mez_state_t)((seed >> 8) % 5));
        }
        CU_ASSERT_EQUAL_FATAL(mez_tensor_commitment(unit_pool(), round % 2 ? "pk-sifc" : "AE.adgm_1", &cells, &direct,
                                                    &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_digest_json(unit_pool(), mez_tensor_commitment_payload(unit_pool(),
                              round % 2 ? "pk-sifc" : "AE.adgm_1", &cells), &via_json, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_digest_equal(&direct, &via_json));
    }
}

static void test_commitment_helpers(void)
{
    mez_problem_t pb = { 0 };
    mez_tensor_cells_t a, b;
    mez_digest_t da, db, want;
    /* A new tensor (all 20 pending) is the first vector; cells_fill must build it. */
    mez_tensor_cells_fill(&a, MEZ_STATE_PENDING);
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "PK-REZ", &a, &da, &pb), MEZ_OK);
    hex_to_digest("d40c09695d8259deeb87223650e0f030826f829c14fbb22d7dcf884e30583c70", &want);
    CU_ASSERT_TRUE(mez_digest_equal(&da, &want));
    mez_tensor_cells_clear(&b);
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "PK-REZ", &b, &db, &pb), MEZ_OK);
    hex_to_digest("0e52670ace1d166f21e336039f5263fd879b3860ee8365a4a7b2f55eef1b153d", &want);
    CU_ASSERT_TRUE(mez_digest_equal(&db, &want));
    /* Jurisdiction ids are case-sensitive and a different id commits differently. */
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "pk-rez", &a, &db, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_digest_equal(&da, &db));
    /* An id that MCF could rewrite or that would need escaping is refused rather than hashed differently. */
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "2026-01-15T12:00:00Z", &a, &db, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.invalid_jurisdiction");
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "", &a, &db, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "pk\"x", &a, &db, &pb), MEZ_EINVAL);
    /* Bad cells. */
    CU_ASSERT_EQUAL(mez_tensor_cells_from_json(unit_pool(), J("{'Tax':'pending'}"), "", &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_domain");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/Tax");
    CU_ASSERT_EQUAL(mez_tensor_cells_from_json(unit_pool(), J("{'tax':'ok'}"), "", &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_state");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/tax");
    CU_ASSERT_EQUAL(mez_tensor_cells_from_json(unit_pool(), J("{'tax':1}"), "", &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.invalid_field");
}

static void test_mcf_basic_vector_is_jcs(void)
{
    json_t *v = vector("mcf_sha256_basic.json");
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    CU_ASSERT_STRING_EQUAL(canon(json_object_get(v, "input")), json_string_value(json_object_get(v, "canonical_bytes")));
    CU_ASSERT_EQUAL(mez_digest_json(unit_pool(), json_object_get(v, "input"), &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(unit_pool(), &d), json_string_value(json_object_get(v, "expected_sha256")));
}

/* The reference's rule, here only to reproduce its vectors and to show why mez does not use it. */
static void reference_merkle(const mez_digest_t *leaves, size_t n, mez_digest_t *root)
{
    size_t m = 1;
    mez_digest_t *level;
    while (m < n)
        m <<= 1;
    level = apr_palloc(unit_pool(), m * sizeof(*level));
    for (size_t i = 0; i < m; i++)
        level[i] = leaves[i < n ? i : n - 1];
    for (; m > 1; m /= 2)
        for (size_t i = 0; i < m / 2; i++) {
            unsigned char buf[64];
            memcpy(buf, level[2 * i].bytes, 32);
            memcpy(buf + 32, level[2 * i + 1].bytes, 32);
            mez_digest_sha256(buf, 64, &level[i]);
        }
    *root = level[0];
}

static void leaf_hash(const mez_digest_t *leaf, mez_digest_t *out)
{
    unsigned char buf[33];
    buf[0] = 0;
    memcpy(buf + 1, leaf->bytes, 32);
    mez_digest_sha256(buf, 33, out);
}

static void test_merkle_rfc9162_not_reference_padding(void)
{
    json_t *v = vector("tensor_commitment.json"), *m, *leaf;
    mez_digest_t leaves[4], want, ours, ref, h[4], n01, n23;
    size_t i, j;

    /* The reference's vectors are reproduced by its own rule, and every leaf is one of our commitments. */
    json_array_foreach(json_object_get(v, "merkle"), i, m) {
        size_t n = json_array_size(json_object_get(m, "leaves"));
        json_array_foreach(json_object_get(m, "leaves"), j, leaf)
            hex_to_digest(json_string_value(leaf), &leaves[j]);
        hex_to_digest(json_string_value(json_object_get(m, "expected_root")), &want);
        reference_merkle(leaves, n, &ref);
        CU_ASSERT_TRUE(mez_digest_equal(&ref, &want));
        mez_tensor_merkle_root(leaves, n, &ours);
        /* Deliberately different: RFC 9162 hashes even a single leaf (0x00 prefix), the reference returns it. */
        CU_ASSERT_FALSE(mez_digest_equal(&ours, &want));
        if (n == 1) {
            leaf_hash(&leaves[0], &h[0]);
            CU_ASSERT_TRUE(mez_digest_equal(&ours, &h[0]));
        }
    }

    /* [a,b,c] and [a,b,c,c]: one root under the reference's padding, two under RFC 9162. */
    json_array_foreach(json_object_get(json_array_get(json_object_get(v, "merkle"), 1), "leaves"), j, leaf)
        hex_to_digest(json_string_value(leaf), &leaves[j]);
    leaves[3] = leaves[2];
    reference_merkle(leaves, 3, &ref);
    reference_merkle(leaves, 4, &want);
    CU_ASSERT_TRUE(mez_digest_equal(&ref, &want));
    mez_tensor_merkle_root(leaves, 3, &ours);
    mez_tensor_merkle_root(leaves, 4, &ref);
    CU_ASSERT_FALSE(mez_digest_equal(&ours, &ref));

    /* RFC 9162 by hand: MTH(a,b,c,d) = H(1||H(1||h(a)||h(b))||H(1||h(c)||h(d))), MTH(a,b,c) = H(1||n01||h(c)). */
    for (i = 0; i < 4; i++)
        leaf_hash(&leaves[i], &h[i]);
    {
        unsigned char buf[65];
        buf[0] = 1;
        memcpy(buf + 1, h[0].bytes, 32);
        memcpy(buf + 33, h[1].bytes, 32);
        mez_digest_sha256(buf, 65, &n01);
        memcpy(buf + 1, h[2].bytes, 32);
        memcpy(buf + 33, h[3].bytes, 32);
        mez_digest_sha256(buf, 65, &n23);
        memcpy(buf + 1, n01.bytes, 32);
        memcpy(buf + 33, n23.bytes, 32);
        mez_digest_sha256(buf, 65, &want);
        CU_ASSERT_TRUE(mez_digest_equal(&ref, &want));
        memcpy(buf + 33, h[2].bytes, 32);
        mez_digest_sha256(buf, 65, &want);
        CU_ASSERT_TRUE(mez_digest_equal(&ours, &want));
    }
    /* The empty tree is the hash of nothing (the reference has no root at all). */
    mez_tensor_merkle_root(NULL, 0, &ours);
    hex_to_digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &want);
    CU_ASSERT_TRUE(mez_digest_equal(&ours, &want));
}

/* ------------------------------------------------------------------ dates and decimals */

static void test_dates(void)
{
    int32_t d;
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-07-01", &d), 0);
    CU_ASSERT_EQUAL(d, 20250701);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2024-02-29", &d), 0);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-02-29", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("1900-02-29", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2000-02-29", &d), 0);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-13-01", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-04-31", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-7-01", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("2025-07-01T00:00:00Z", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("01/07/2025", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse("", &d), -1);
    CU_ASSERT_EQUAL(mez_tensor_date_parse(NULL, &d), -1);
}

static const char *pct(const char *amount, const char *rate)
{
    mez_tensor_decimal_t a, r;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(amount, &a), 0);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(rate, &r), 0);
    return mez_tensor_decimal_percent_of(unit_pool(), &a, &r);
}

static int dcmp(const char *x, const char *y)
{
    mez_tensor_decimal_t a, b;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(x, &a), 0);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(y, &b), 0);
    return mez_tensor_decimal_cmp(&a, &b);
}

static void test_decimals(void)
{
    static const char *const bad[] = { "", "01", "00", "1.", ".5", "-1", "+1", "1e3", "1 000", "1,000", "0x10",
                                       "1.2.3", "1234567890123456789", "0.000000000000000001" };
    mez_tensor_decimal_t d;
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("0", &d), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("0.5", &d), 0);
    CU_ASSERT_EQUAL(d.coef, 5);
    CU_ASSERT_EQUAL(d.scale, 1);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("2500.50", &d), 0);
    CU_ASSERT_EQUAL(d.coef, 250050);
    CU_ASSERT_EQUAL(d.scale, 2);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("999999999999999999", &d), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(mez_tensor_decimal_parse(bad[i], &d), -1);

    CU_ASSERT_EQUAL(dcmp("75000", "75000.00"), 0);
    CU_ASSERT_EQUAL(dcmp("74999.99", "75000"), -1);
    CU_ASSERT_EQUAL(dcmp("75000.01", "75000"), 1);
    CU_ASSERT_EQUAL(dcmp("999999999999999999", "0.99999999999999999"), 1);

    CU_ASSERT_STRING_EQUAL(pct("1000000", "4.5"), "45000");
    CU_ASSERT_STRING_EQUAL(pct("1000000", "16"), "160000");
    CU_ASSERT_STRING_EQUAL(pct("333.33", "4.5"), "14.99985");
    CU_ASSERT_STRING_EQUAL(pct("50001", "0.6"), "300.006");
    CU_ASSERT_STRING_EQUAL(pct("0.5", "1"), "0.005");
    CU_ASSERT_STRING_EQUAL(pct("0", "15"), "0");
    CU_ASSERT_STRING_EQUAL(pct("1000", "0"), "0");
    CU_ASSERT_STRING_EQUAL(pct("200", "50"), "100");
    /* The largest operands stay exact: 18 nines times 100 % is themselves. */
    CU_ASSERT_STRING_EQUAL(pct("999999999999999999", "100"), "999999999999999999");
    CU_ASSERT_STRING_EQUAL(pct("99999999999999999.9", "99.9999999999999999"),
                           "99999999999999999.8000000000000000001");
}

/* The band arithmetic: op is '+', '-' or '%'; NULL when the exact result does not fit. */
static const char *arith(const char *x, char op, const char *y)
{
    mez_tensor_decimal_t a, b, r;
    int rc;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(x, &a), 0);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse(y, &b), 0);
    rc = op == '+' ? mez_tensor_decimal_add(&a, &b, &r) : op == '-' ? mez_tensor_decimal_sub(&a, &b, &r)
                                                               : mez_tensor_decimal_percent(&a, &b, &r);
    return rc ? NULL : mez_tensor_decimal_format(unit_pool(), &r);
}

static void test_decimal_band_arithmetic(void)
{
    CU_ASSERT_STRING_EQUAL(arith("6000", '+', "88000"), "94000");
    CU_ASSERT_STRING_EQUAL(arith("0.1", '+', "0.2"), "0.3");
    CU_ASSERT_STRING_EQUAL(arith("2500.50", '+', "0.50"), "2501");              /* trailing zeros dropped */
    CU_ASSERT_STRING_EQUAL(arith("2000000", '-', "1200000"), "800000");
    CU_ASSERT_STRING_EQUAL(arith("600000.01", '-', "600000"), "0.01");
    CU_ASSERT_STRING_EQUAL(arith("75000", '-', "75000.00"), "0");
    CU_ASSERT_PTR_NULL(arith("1", '-', "1.5"));                                 /* never negative */
    CU_ASSERT_STRING_EQUAL(arith("800000", '%', "11"), "88000");
    CU_ASSERT_STRING_EQUAL(arith("0.01", '%', "1"), "0.0001");
    CU_ASSERT_STRING_EQUAL(arith("8245678.90", '%', "35"), "2885987.615");
    /* Exact or nothing: 19 digits do not fit, and are not rounded to fit. */
    CU_ASSERT_PTR_NULL(arith("999999999999999999", '+', "1"));
    CU_ASSERT_PTR_NULL(arith("999999999999999999", '-', "0.5"));
    CU_ASSERT_STRING_EQUAL(arith("99999999999999999", '-', "0.5"), "99999999999999998.5");
    CU_ASSERT_PTR_NULL(arith("123456789.123456789", '%', "1.5"));
    CU_ASSERT_STRING_EQUAL(arith("999999999999999999", '%', "100"), "999999999999999999");
}

/* "For every Rs 100,000 or part thereof": whole units with a part counting as one, and a unit amount times a count,
 * exact or refused. */
static void test_decimal_units_and_times(void)
{
    mez_tensor_decimal_t a, u, r;
    uint64_t n = 0;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_decimal_parse("100000", &u), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("900000", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_units(&a, &u, &n), 0);
    CU_ASSERT_EQUAL(n, 9);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("900000.01", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_units(&a, &u, &n), 0);
    CU_ASSERT_EQUAL(n, 10);                                       /* a part of a unit counts as a whole */
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("0", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_units(&a, &u, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("0.5", &u), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("3", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_units(&a, &u, &n), 0);
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("0", &u), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_units(&a, &u, &n), -1);     /* no unit of nothing */
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("181.5", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_times(&a, 3, &r), 0);
    CU_ASSERT_STRING_EQUAL(mez_tensor_decimal_format(unit_pool(), &r), "544.5");
    CU_ASSERT_EQUAL(mez_tensor_decimal_times(&a, 0, &r), 0);
    CU_ASSERT_STRING_EQUAL(mez_tensor_decimal_format(unit_pool(), &r), "0");
    CU_ASSERT_EQUAL(mez_tensor_decimal_parse("700", &a), 0);
    CU_ASSERT_EQUAL(mez_tensor_decimal_times(&a, 49999, &r), 0);
    CU_ASSERT_STRING_EQUAL(mez_tensor_decimal_format(unit_pool(), &r), "34999300");
    CU_ASSERT_EQUAL(mez_tensor_decimal_times(&a, UINT64_MAX, &r), -1);   /* beyond 18 digits: refused */
}

/* ------------------------------------------------------------------ names and screening */

static void test_name_normalise(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Lashkar-e-Taiba"), "lashkar e taiba");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "  MÜLLER,  Jürgen  "), "muller jurgen");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Straße"), "strasse");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Łódź"), "lodz");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Œuvre Ægis Þór"), "oeuvre aegis thor");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Jose\xcc\x81"), "jose");        /* decomposed acute */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Al\xe2\x80\x94Qaida"), "al qaida"); /* em dash */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc"); /* ABC */
    /* Cyrillic letters drawn like Latin ones become those (a skeleton, UTS #39), in either case; the others
     * are only case-folded. */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "ИВАН Пётр"), "иbah пetp");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "иван ПЁТР"), "иbah пetp");
    /* Homoglyphs in a Latin name: Cyrillic O, Greek capital Alpha and small nu, mathematical bold A. */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "VAKHIT\xd0\x9eV"), "vakhitov");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xce\x91YRAT"), "ayrat");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "vakhito\xce\xbd"), "vakhitov");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xf0\x9d\x90\x80YRAT"), "ayrat");
    /* Arabic: harakat and tatweel dropped, alef with hamza unified. */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xd8\xa3\xd9\x8e\xd8\xad\xd9\x92\xd9\x80\xd9\x85\xd8\xaf"),
                           "\xd8\xa7\xd8\xad\xd9\x85\xd8\xaf");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "!!! ..."), "");
    /* Default-ignorable code points are deleted, not read as spaces: soft hyphen, LRE/PDF, word joiner. */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Lashkar-e-Tai\xc2\xad" "ba"), "lashkar e taiba");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xe2\x80\xaaTai\xe2\x81\xa0" "ba\xe2\x80\xac"), "taiba");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xc2\xad"), "");
    /* Apostrophes are deleted (ASCII, U+2019, U+02BC, U+02BF), but a possessive 's stays a word of its own. */
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "NIDAL AL-RABI'I"), "nidal al rabii");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Rabi\xe2\x80\x99i Rabi\xca\xbci Rabi\xca\xbfi"),
                           "rabii rabii rabii");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "Islamic State's Khorasan"), "islamic state s khorasan");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "State\xe2\x80\x99s"), "state s");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "'''"), "");
    CU_ASSERT_STRING_EQUAL(mez_tensor_name_normalise(p, "\xff\xfe A"), "a");   /* malformed bytes read as spaces */
}

static void test_screen_index(void)
{
    apr_pool_t *p = unit_pool();
    mez_tensor_screen_t *s = mez_tensor_screen_create(p);
    mez_tensor_screen_hit_t *hits;
    static const char e1[] = "entry-1", e2[] = "entry-2", e3[] = "entry-3";
    size_t n;

    mez_tensor_screen_add(s, "Lashkar-e-Taiba", 0, e1);
    mez_tensor_screen_add(s, "LeT", 1, e1);
    mez_tensor_screen_add(s, "Lashkar-i-Taiba", 1, e1);
    mez_tensor_screen_add(s, "Daesh", 0, e2);
    mez_tensor_screen_add(s, "Jaish-e-Mohammed", 0, e3);
    mez_tensor_screen_add(s, "...", 0, e3);          /* normalises to nothing: ignored */
    CU_ASSERT_EQUAL(mez_tensor_screen_size(s), 5);

    n = mez_tensor_screen_match(s, p, "LASHKAR E TAIBA", &hits);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_PTR_EQUAL(hits[0].entry, e1);
    CU_ASSERT_EQUAL(hits[0].how, MEZ_SCREEN_EXACT);
    CU_ASSERT_FALSE(hits[0].alias);
    CU_ASSERT_STRING_EQUAL(hits[0].matched_name, "Lashkar-e-Taiba");

    n = mez_tensor_screen_match(s, p, "lashkar-i-taiba", &hits);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_TRUE(hits[0].alias);
    CU_ASSERT_EQUAL(hits[0].how, MEZ_SCREEN_EXACT);

    /* Every token of a listed name, in any order, with more around it. */
    n = mez_tensor_screen_match(s, p, "Taiba Lashkar e Welfare Trust", &hits);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(hits[0].how, MEZ_SCREEN_ALL_TOKENS);
    CU_ASSERT_STRING_EQUAL(hits[0].matched_name, "Lashkar-e-Taiba");

    /* A one-word listed name matches only exactly: "Let" alone is the alias, "Let Holdings" is not. */
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "Let", &hits), 1);
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "Let Holdings Ltd", &hits), 0);
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "daesh", &hits), 1);
    CU_ASSERT_PTR_EQUAL(hits[0].entry, e2);
    /* Part of a listed name is not a hit. */
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "Taiba Textiles", &hits), 0);
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "Acme Trading", &hits), 0);
    CU_ASSERT_EQUAL(mez_tensor_screen_match(s, p, "", &hits), 0);

    /* Two entries at once come back in list order. */
    n = mez_tensor_screen_match(s, p, "Jaish e Mohammed and Lashkar e Taiba", &hits);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_PTR_EQUAL(hits[0].entry, e1);
    CU_ASSERT_PTR_EQUAL(hits[1].entry, e3);
}

/* ------------------------------------------------------------------ the action document */

#define PAYMENT_ACTION "{'type':'payment','date':'2025-09-01','jurisdiction':'pk-sifc','payment_type':'services'," \
                       "'amount':{'amount':'1000000','currency':'PKR'}}"
#define SUBJECT "{'id':'ent-1','name':'Acme Industries (Pvt) Ltd','entity_class':'company','filer_status':'filer'}"
#define PAYEE_NON_FILER "{'id':'ent-2','name':'Indus Consulting','entity_class':'company','filer_status':'non_filer'}"

static void expect_action_problem(const char *doc, const char *code, const char *pointer)
{
    mez_tensor_action_t a;
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_tensor_action_parse(unit_pool(), J(doc), &a, &pb);
    CU_ASSERT_NOT_EQUAL(rv, MEZ_OK);
    if (rv == MEZ_OK)
        return;
    if (strcmp(pb.code, code) || strcmp(pb.pointer ? pb.pointer : "(null)", pointer))
        fprintf(stderr, "\nwanted %s at %s, got %s at %s: %s\n", code, pointer, pb.code, pb.pointer, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "(null)", pointer);
}

static void test_action_parse_valid(void)
{
    mez_tensor_action_t a;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_tensor_action_parse(unit_pool(),
        J("{'action':" PAYMENT_ACTION ",'subject':" SUBJECT ",'counterparty':" PAYEE_NON_FILER ","
          "'evidence':{'kyc':{'state':'compliant','attestations':[{'id':'a1','issuer':'did:key:z6Mk',"
          "'issued_at':'2025-01-01T00:00:00Z','expires_at':'2026-01-01T00:00:00Z'}]},'aml':{}}}"), &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(a.type, MEZ_ACTION_PAYMENT);
    CU_ASSERT_EQUAL(a.day, 20250901);
    CU_ASSERT_STRING_EQUAL(a.jurisdiction, "pk-sifc");
    CU_ASSERT_STRING_EQUAL(a.payment_type, "services");
    CU_ASSERT_TRUE(a.has_amount);
    CU_ASSERT_EQUAL(a.amount.coef, 1000000);
    CU_ASSERT_STRING_EQUAL(a.currency, "PKR");
    CU_ASSERT_EQUAL(a.subject.entity_class, MEZ_ENTITY_CLASS_COMPANY);
    CU_ASSERT_EQUAL(a.counterparty.filer_status, MEZ_FILER_STATUS_NON_FILER);
    CU_ASSERT_TRUE(a.evidence[MEZ_DOMAIN_KYC].given);
    CU_ASSERT_TRUE(a.evidence[MEZ_DOMAIN_KYC].has_state);
    CU_ASSERT_EQUAL(a.evidence[MEZ_DOMAIN_KYC].n_attestations, 1);
    CU_ASSERT_STRING_EQUAL(a.evidence[MEZ_DOMAIN_KYC].attestations[0].issuer, "did:key:z6Mk");
    CU_ASSERT_TRUE(a.evidence[MEZ_DOMAIN_AML].given);
    CU_ASSERT_FALSE(a.evidence[MEZ_DOMAIN_AML].has_state);
    CU_ASSERT_FALSE(a.evidence[MEZ_DOMAIN_TAX].given);
    /* A tax assessment: income by class, the declared classes, evidence naming obligations. */
    CU_ASSERT_EQUAL_FATAL(mez_tensor_action_parse(unit_pool(),
        J("{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae-adgm','tax':'cit',"
          "'income':[{'income_class':'qualifying_income','amount':'1000000','currency':'AED'},"
          "{'income_class':'non_qualifying_income','amount':'200000.50','currency':'AED'}],"
          "'tax_period':{'start':'2025-01-01','end':'2025-12-31'},"
          "'figures':{'revenue':{'amount':'2500000','currency':'AED'}}},"
          "'subject':{'id':'tp','name':'Falcon','taxpayer_classes':['taxable_person','qualifying_free_zone_person']},"
          "'evidence':{'tax':{'attestations':[{'id':'a','issuer':'i','obligations':['qfzp-adequate-substance']}]}}}"),
        &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(a.type, MEZ_ACTION_TAX_ASSESSMENT);
    CU_ASSERT_STRING_EQUAL(a.tax, "cit");
    CU_ASSERT_EQUAL_FATAL(a.n_income, 2);
    CU_ASSERT_STRING_EQUAL(a.income[1].name, "non_qualifying_income");
    CU_ASSERT_EQUAL(a.income[1].amount.coef, 20000050);
    CU_ASSERT_STRING_EQUAL(a.income[1].currency, "AED");
    CU_ASSERT_EQUAL(a.period_from, 20250101);
    CU_ASSERT_EQUAL(a.period_to, 20251231);
    CU_ASSERT_EQUAL_FATAL(a.n_figures, 1);
    CU_ASSERT_STRING_EQUAL(a.figures[0].name, "revenue");
    CU_ASSERT_EQUAL_FATAL(a.subject.n_taxpayer_classes, 2);
    CU_ASSERT_STRING_EQUAL(a.subject.taxpayer_classes[1], "qualifying_free_zone_person");
    CU_ASSERT_EQUAL_FATAL(a.evidence[MEZ_DOMAIN_TAX].attestations[0].n_obligations, 1);
    CU_ASSERT_STRING_EQUAL(a.evidence[MEZ_DOMAIN_TAX].attestations[0].obligations[0], "qfzp-adequate-substance");
    CU_ASSERT_FALSE(a.has_amount);
    /* Without a tax period the rows in force on the date apply; the tax is income tax unless said. */
    CU_ASSERT_EQUAL_FATAL(mez_tensor_action_parse(unit_pool(),
        J("{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae',"
          "'income':[{'income_class':'taxable_income','amount':'1','currency':'AED'}]},"
          "'subject':{'id':'tp','name':'Falcon','taxpayer_classes':['taxable_person']}}"), &a, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(a.tax, "cit");
    CU_ASSERT_EQUAL(a.period_from, 20251231);
    CU_ASSERT_EQUAL(a.period_to, 20251231);
    CU_ASSERT_PTR_NULL(a.period_start);
    /* A payment may say what its amount is. */
    CU_ASSERT_EQUAL_FATAL(mez_tensor_action_parse(unit_pool(),
        J("{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'salary',"
          "'amount':{'amount':'3000000','currency':'PKR'},'amount_basis':'estimated_annual_taxable_salary'},"
          "'subject':" SUBJECT "}"), &a, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(a.amount_basis, "estimated_annual_taxable_salary");
    CU_ASSERT_PTR_NULL(a.tax);
    /* Entity formation needs no amount. */
    CU_ASSERT_EQUAL(mez_tensor_action_parse(unit_pool(),
        J("{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},'subject':" SUBJECT "}"),
        &a, &pb), MEZ_OK);
    CU_ASSERT_FALSE(a.has_amount);
}

#define TAX_ACTION(income, more) \
    "{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae-adgm','income':" income more "}"
#define AED_INCOME(cls, amount) "{'income_class':'" cls "','amount':'" amount "','currency':'AED'}"
#define TAXPAYER "{'id':'tp','name':'Falcon Trading','taxpayer_classes':['taxable_person']}"

/* Builds {"action": ..., "subject": ..., extra} from the parts, so each bad input changes one thing. */
static const char *doc_with(const char *action, const char *extra)
{
    return apr_pstrcat(unit_pool(), "{'action':", action, ",'subject':" SUBJECT, extra ? "," : "", extra ? extra : "",
                       "}", NULL);
}

static void test_action_parse_bad_inputs(void)
{
    expect_action_problem("[1,2]", "tensor.invalid_document", "");
    expect_action_problem("{'subject':" SUBJECT "}", "tensor.missing_field", "/action");
    expect_action_problem("{'action':" PAYMENT_ACTION "}", "tensor.missing_field", "/subject");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'extra':1"), "tensor.unknown_field", "/extra");
    expect_action_problem("{'action':" PAYMENT_ACTION ",'subject':{'id':'e','name':'n','filer_staus':'filer'}}",
                          "tensor.unknown_field", "/subject/filer_staus");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'x',"
                                   "'amount':{'amount':'1','currency':'PKR'},'memo':'hi'}", NULL),
                          "tensor.unknown_field", "/action/memo");
    /* Unknown action type. */
    expect_action_problem(doc_with("{'type':'teleport','date':'2025-09-01','jurisdiction':'pk'}", NULL),
                          "tensor.unknown_action_type", "/action/type");
    expect_action_problem(doc_with("{'type':'Payment','date':'2025-09-01','jurisdiction':'pk'}", NULL),
                          "tensor.unknown_action_type", "/action/type");
    /* Bad dates. */
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-02-30','jurisdiction':'pk'}", NULL),
                          "tensor.invalid_date", "/action/date");
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01T10:00:00Z','jurisdiction':'pk'}",
                                   NULL), "tensor.invalid_date", "/action/date");
    expect_action_problem(doc_with("{'type':'entity_formation','date':20250901,'jurisdiction':'pk'}", NULL),
                          "tensor.invalid_field", "/action/date");
    expect_action_problem(doc_with("{'type':'entity_formation','jurisdiction':'pk'}", NULL),
                          "tensor.missing_field", "/action/date");
    /* Amounts: floats and integers are refused, so are malformed decimals and currencies. */
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':1000.5,'currency':'PKR'}}", NULL),
                          "tensor.invalid_amount", "/action/amount/amount");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':1000,'currency':'PKR'}}", NULL),
                          "tensor.invalid_amount", "/action/amount/amount");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':'-5','currency':'PKR'}}", NULL),
                          "tensor.invalid_amount", "/action/amount/amount");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':'1e6','currency':'PKR'}}", NULL),
                          "tensor.invalid_amount", "/action/amount/amount");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':'100','currency':'pkr'}}", NULL),
                          "tensor.invalid_currency", "/action/amount/currency");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                                   "'amount':{'amount':'100','currency':'PKR','minor':1}}", NULL),
                          "tensor.unknown_field", "/action/amount/minor");
    /* What each action type takes. */
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk',"
                                   "'amount':{'amount':'100','currency':'PKR'}}", NULL),
                          "tensor.missing_field", "/action/payment_type");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods'}",
                                   NULL), "tensor.missing_field", "/action/amount");
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk',"
                                   "'payment_type':'goods'}", NULL), "tensor.unknown_field", "/action/payment_type");
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk',"
                                   "'licence_type':'x'}", NULL), "tensor.unknown_field", "/action/licence_type");
    expect_action_problem(doc_with("{'type':'cross_border_transfer','date':'2025-09-01','jurisdiction':'pk',"
                                   "'amount':{'amount':'1','currency':'USD'},'withholding_rule':'r'}", NULL),
                          "tensor.missing_field", "/action/payment_type");
    /* Jurisdiction ids. */
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk sifc'}", NULL),
                          "tensor.invalid_jurisdiction", "/action/jurisdiction");
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01','jurisdiction':''}", NULL),
                          "tensor.invalid_field", "/action/jurisdiction");
    /* Parties. */
    expect_action_problem("{'action':" PAYMENT_ACTION ",'subject':{'id':'e','name':'n','entity_class':'trust'}}",
                          "tensor.invalid_value", "/subject/entity_class");
    expect_action_problem("{'action':" PAYMENT_ACTION ",'subject':{'id':'e','name':'n','filer_status':'late'}}",
                          "tensor.invalid_value", "/subject/filer_status");
    expect_action_problem("{'action':" PAYMENT_ACTION ",'subject':{'id':'e'}}", "tensor.missing_field", "/subject/name");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'counterparty':{'name':'x'}"), "tensor.missing_field",
                          "/counterparty/id");
    /* Evidence: unknown domain, unknown state, unknown members, attestation shapes. */
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'AML':{'state':'compliant'}}"),
                          "tensor.unknown_domain", "/evidence/AML");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'anti_bribery':{}}"), "tensor.unknown_domain",
                          "/evidence/anti_bribery");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'aml':{'state':'ok'}}"), "tensor.unknown_state",
                          "/evidence/aml/state");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'aml':{'status':'compliant'}}"),
                          "tensor.unknown_field", "/evidence/aml/status");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'aml':{'attestations':[{'id':'a'}]}}"),
                          "tensor.missing_field", "/evidence/aml/attestations/0/issuer");
    expect_action_problem(doc_with(PAYMENT_ACTION,
                                   "'evidence':{'kyc':{'attestations':[{'id':'a','issuer':'i','expiry':'x'}]}}"),
                          "tensor.unknown_field", "/evidence/kyc/attestations/0/expiry");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'aml':'compliant'}"), "tensor.invalid_field",
                          "/evidence/aml");
    expect_action_problem(doc_with(PAYMENT_ACTION, "'evidence':{'tax':{'attestations':[{'id':'a','issuer':'i',"
                                                   "'obligations':'qfzp-adequate-substance'}]}}"),
                          "tensor.invalid_field", "/evidence/tax/attestations/0/obligations");
    /* amount_basis: only with an amount, and spelt as a basis. */
    expect_action_problem(doc_with("{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk',"
                                   "'amount_basis':'gross_amount'}", NULL), "tensor.unknown_field", "/action/amount_basis");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'salary',"
                                   "'amount':{'amount':'1','currency':'PKR'},'amount_basis':'Annual Salary'}", NULL),
                          "tensor.invalid_value", "/action/amount_basis");
    /* Tax assessments: income and classes are required, and belong to no other action. */
    expect_action_problem(doc_with(TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", ""), NULL),
                          "tensor.missing_field", "/subject/taxpayer_classes");
    expect_action_problem("{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae'},"
                          "'subject':" TAXPAYER "}", "tensor.missing_field", "/action/income");
    expect_action_problem("{'action':" TAX_ACTION("[]", "") ",'subject':" TAXPAYER "}", "tensor.invalid_field",
                          "/action/income");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "," AED_INCOME("taxable_income",
                          "2") "]", "") ",'subject':" TAXPAYER "}", "tensor.invalid_value", "/action/income/1/income_class");
    expect_action_problem("{'action':" TAX_ACTION("[{'income_class':'taxable_income','amount':1000,'currency':'AED'}]",
                          "") ",'subject':" TAXPAYER "}", "tensor.invalid_amount", "/action/income/0/amount");
    expect_action_problem("{'action':" TAX_ACTION("[{'income_class':'taxable_income','amount':'1','currency':'AED',"
                          "'note':'x'}]", "") ",'subject':" TAXPAYER "}", "tensor.unknown_field", "/action/income/0/note");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("Taxable Income", "1") "]", "") ",'subject':" TAXPAYER
                          "}", "tensor.invalid_value", "/action/income/0/income_class");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", ",'tax':'gst'")
                          ",'subject':" TAXPAYER "}", "tensor.invalid_value", "/action/tax");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]",
                          ",'tax_period':{'start':'2025-12-31','end':'2025-01-01'}") ",'subject':" TAXPAYER "}",
                          "tensor.invalid_value", "/action/tax_period/end");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]",
                          ",'tax_period':{'start':'2025-01-01'}") ",'subject':" TAXPAYER "}",
                          "tensor.missing_field", "/action/tax_period/end");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]",
                          ",'figures':{'taxable_income':{'amount':'1','currency':'AED'}}") ",'subject':" TAXPAYER "}",
                          "tensor.invalid_value", "/action/figures/taxable_income");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", ",'amount':{'amount':'1',"
                          "'currency':'AED'}") ",'subject':" TAXPAYER "}", "tensor.unknown_field", "/action/amount");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", "") ",'subject':{'id':'t',"
                          "'name':'n','taxpayer_classes':['taxable_person','taxable_person']}}", "tensor.invalid_value",
                          "/subject/taxpayer_classes/1");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", "") ",'subject':{'id':'t',"
                          "'name':'n','taxpayer_classes':[]}}", "tensor.invalid_field", "/subject/taxpayer_classes");
    expect_action_problem("{'action':" TAX_ACTION("[" AED_INCOME("taxable_income", "1") "]", "") ",'subject':" TAXPAYER
                          ",'counterparty':" TAXPAYER "}", "tensor.unknown_field", "/counterparty/taxpayer_classes");
    expect_action_problem(doc_with("{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'x',"
                                   "'amount':{'amount':'1','currency':'PKR'},'income':[]}", NULL),
                          "tensor.unknown_field", "/action/income");
    expect_action_problem("{'action':{'type':'licence_application','date':'2025-09-01','jurisdiction':'pk'},"
                          "'subject':" TAXPAYER "}", "tensor.unknown_field", "/subject/taxpayer_classes");
}

static void test_evidence_rules(void)
{
    mez_tensor_attestation_t fresh = { "a1", "did:key:z", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", NULL, 0 };
    mez_tensor_attestation_t stale = { "a2", "did:key:z", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", NULL, 0 };
    mez_tensor_attestation_t forever = { "a3", "did:key:z", NULL, NULL, NULL, 0 };
    mez_tensor_attestation_t garbled = { "a4", "did:key:z", NULL, "next year", NULL, 0 };
    mez_tensor_attestation_t both[2];
    mez_tensor_evidence_t ev = { 1, 0, MEZ_STATE_PENDING, NULL, 0 };
    apr_time_t now, at_expiry;
    const char *why;

    CU_ASSERT_EQUAL_FATAL(mez_time_parse_rfc3339("2025-06-01T12:00:00Z", &now), 0);
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_PENDING);
    CU_ASSERT_STRING_EQUAL(why, "no_attestation");
    ev.attestations = &fresh;
    ev.n_attestations = 1;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_COMPLIANT);
    CU_ASSERT_STRING_EQUAL(why, "attested");
    ev.attestations = &stale;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_NON_COMPLIANT);
    CU_ASSERT_STRING_EQUAL(why, "attestation_expired");
    ev.attestations = &forever;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_COMPLIANT);
    ev.attestations = &garbled;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_NON_COMPLIANT);
    both[0] = fresh;
    both[1] = stale;
    ev.attestations = both;
    ev.n_attestations = 2;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_NON_COMPLIANT);
    /* A stated state: kept, unless it passes while an attestation has expired. */
    ev.has_state = 1;
    ev.state = MEZ_STATE_EXEMPT;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_NON_COMPLIANT);
    CU_ASSERT_STRING_EQUAL(why, "attestation_expired");
    ev.state = MEZ_STATE_PENDING;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_PENDING);
    CU_ASSERT_STRING_EQUAL(why, "evidence_state");
    ev.n_attestations = 1;
    ev.state = MEZ_STATE_NOT_APPLICABLE;
    CU_ASSERT_EQUAL(mez_tensor_evidence_state(&ev, now, &why), MEZ_STATE_NOT_APPLICABLE);
    CU_ASSERT_STRING_EQUAL(why, "evidence_state");
    /* Expired means strictly after expires_at, as the reference compares. */
    CU_ASSERT_EQUAL_FATAL(mez_time_parse_rfc3339("2026-01-01T00:00:00Z", &at_expiry), 0);
    CU_ASSERT_FALSE(mez_tensor_attestation_expired(&fresh, at_expiry));
    CU_ASSERT_TRUE(mez_tensor_attestation_expired(&fresh, at_expiry + 1));
}

/* ------------------------------------------------------------------ evaluation over inline packs */

/* A withholding regpack in the packs/README.md model: services rows for two tax years, goods sub-categories
 * sharing a payment type and a class-specific rent row (rates illustrative, not law); then progressive tables
 * with the figures of packs/pk/regpacks/pk-wht-ty2026.yaml (s. 149 salary, s. 155 rent of individuals, one row
 * per band with base_amount), and an illustrative table split by filer status as packs/README.md prescribes. */
/* One band of a progressive table: section 149 salary or 155 rent of individuals, from 2025-07-01. */
#define BAND(id, sec, ptype, rates, extra) \
  "{'id':'" id "','section':'" sec "','payment_type':'" ptype "','payee_class':'individual','rates':" rates "," \
  extra "'valid_from':'2025-07-01','valid_to':'2026-07-01','source':'fa-2025'}"
#define ABOVE(amount) "'threshold':{'amount':'" amount "','currency':'PKR','applies':'above'},"
#define BASE(amount) "'base_amount':{'amount':'" amount "','currency':'PKR'},"
#define SAL "'basis':'estimated_annual_taxable_salary',"
#define SALARY_BANDS \
  BAND("s149-salary-band-1", "149(1)", "salary", "{'filer':'0','non_filer':'0'}", SAL) "," \
  BAND("s149-salary-band-2", "149(1)", "salary", "{'filer':'1','non_filer':'1'}", ABOVE("600000") BASE("0") SAL) "," \
  BAND("s149-salary-band-3", "149(1)", "salary", "{'filer':'11','non_filer':'11'}", ABOVE("1200000") BASE("6000") SAL) \
  "," BAND("s149-salary-band-4", "149(1)", "salary", "{'filer':'23','non_filer':'23'}", ABOVE("2200000") \
          BASE("116000") SAL) "," \
  BAND("s149-salary-band-5", "149(1)", "salary", "{'filer':'30','non_filer':'30'}", ABOVE("3200000") BASE("346000") \
       SAL) "," \
  BAND("s149-salary-band-6", "149(1)", "salary", "{'filer':'35','non_filer':'35'}", ABOVE("4100000") BASE("616000") \
       SAL)
#define RENT "'basis':'gross_rent',"
#define RENT_BANDS \
  BAND("s155-rent-individual-band-1", "155(1)", "rent", "{'filer':'0'}", RENT) "," \
  BAND("s155-rent-individual-band-2", "155(1)", "rent", "{'filer':'5'}", ABOVE("300000") BASE("0") RENT) "," \
  BAND("s155-rent-individual-band-3", "155(1)", "rent", "{'filer':'10'}", ABOVE("600000") BASE("15000") RENT) "," \
  BAND("s155-rent-individual-band-4", "155(1)", "rent", "{'filer':'25'}", ABOVE("2000000") BASE("155000") RENT)
/* Filer and non-filer rates differ, so the upper band is a row per status, each with its own base (the
 * Tenth Schedule doubles the whole tax); the lower band is bounded above only. Illustrative figures. */
#define SPLIT_BANDS \
  BAND("prize-up-to-100k", "156", "prize", "{'filer':'5','non_filer':'10'}", \
       "'threshold':{'amount':'100000','currency':'PKR','applies':'at_or_below'},") "," \
  BAND("prize-over-100k-filer", "156", "prize", "{'filer':'10'}", ABOVE("100000") BASE("5000")) "," \
  BAND("prize-over-100k-non-filer", "156", "prize", "{'non_filer':'20'}", ABOVE("100000") BASE("10000"))

#define PACK_WHT "{'format':'mez-regpack/1','id':'pk-wht-test','jurisdiction_id':'pk','domain':'tax'," \
  "'title':'Withholding test rows','as_of_date':'2025-07-01'," \
  "'sources':[{'id':'fa-2025','title':'Finance Act, 2025','url':'https://fbr.gov.pk/fa2025','date':'2025-06-29'," \
  "'kind':'finance_act','publisher':'FBR'},{'id':'fa-2024','title':'Finance Act, 2024','date':'2024-06-29'}]," \
  "'withholding_rates':[" \
  "{'id':'s153-1-b-services-company','section':'153(1)(b)','law':{'lawpack':'pk-ito','eid':'sec_153__subsec_1__para_b'}," \
  "'payment_type':'services','payee_class':'company','rates':{'filer':'8','non_filer':'16'}," \
  "'threshold':{'amount':'30000','currency':'PKR','applies':'at_or_above'},'basis':'gross_amount'," \
  "'valid_from':'2025-07-01','valid_to':'2026-07-01','source':'fa-2025','source_detail':'First Schedule, Part III, Div III'}," \
  "{'id':'s153-1-b-services-company-ty2025','section':'153(1)(b)','payee_class':'company','payment_type':'services'," \
  "'rates':{'filer':'10','non_filer':'20'},'valid_from':'2024-07-01','valid_to':'2025-07-01','source':'fa-2024'}," \
  "{'id':'s153-1-b-services-individual','section':'153(1)(b)','payment_type':'services','payee_class':'individual'," \
  "'rates':{'filer':'10','non_filer':'20'},'valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s153-1-a-goods-general','section':'153(1)(a)','payment_type':'goods','payee_class':'any'," \
  "'rates':{'filer':'5','non_filer':'10'},'valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s153-1-a-goods-rice','section':'153(1)(a)','payment_type':'goods','payee_class':'any'," \
  "'rates':{'filer':'1.5','non_filer':'3'},'valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s151-sukuk-up-to-1m','section':'151','payment_type':'sukuk','payee_class':'any'," \
  "'rates':{'filer':'10','non_filer':'20'},'threshold':{'amount':'1000000','currency':'PKR','applies':'at_or_below'}," \
  "'valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s151-sukuk-over-1m','section':'151','payment_type':'sukuk','payee_class':'any'," \
  "'rates':{'filer':'12.5','non_filer':'25'},'threshold':{'amount':'1000000','currency':'PKR','applies':'above'}," \
  "'valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s151-profit-on-debt','section':'151','payment_type':'profit_on_debt','payee_class':'any'," \
  "'rates':{'filer':'15','non_filer':'30'},'basis':'gross_amount_less_zakat','valid_from':'2025-07-01','source':'fa-2025'}," \
  "{'id':'s155-rent-company','section':'155','payment_type':'rent','payee_class':'company'," \
  "'rates':{'filer':'15','non_filer':'30'},'basis':'gross_rent','valid_from':'2025-07-01','source':'fa-2025'}," \
  SALARY_BANDS "," RENT_BANDS "," SPLIT_BANDS \
  "]}"

#define PACK_LISTS "{'format':'mez-regpack/1','id':'pk-proscribed-test','jurisdiction_id':'pk','domain':'sanctions'," \
  "'title':'Proscribed organisations','as_of_date':'2025-10-24'," \
  "'sources':[{'id':'nacta','title':'NACTA proscribed organisations','url':'https://nacta.gov.pk/proscribed-organizations/'}," \
  "{'id':'senate-2015','title':'Ministry of Interior list presented to the Senate','date':'2015-08-01'}]," \
  "'lists':[{'id':'pk-proscribed-organisations','title':'First Schedule, Anti-Terrorism Act, 1997'," \
  "'list_date':'2025-10-24','source':'nacta','entries':[" \
  "{'id':'pk-fs-004','name':'Lashkar-e-Taiba','aliases':['LeT','Lashkar-i-Taiba'],'listed_on':'2002-01-14'," \
  "'source':'senate-2015','source_detail':'S.No. 4'}," \
  "{'id':'pk-fs-099','name':'Future Front','listed_on':'2030-01-01'}]}]}"

#define PACK_AML "{'format':'mez-regpack/1','id':'pk-aml-test','jurisdiction_id':'pk','domain':'aml'," \
  "'title':'AML thresholds','sources':[{'id':'fmu-01-2025','title':'FMU Circular 01 of 2025','date':'2025-03-21'}]," \
  "'thresholds':[" \
  "{'id':'ctr-cash-2m','obligation':'currency_transaction_report','amount':{'amount':'2000000','currency':'PKR'," \
  "'applies':'at_or_above'},'valid_from':'2025-03-21','source':'fmu-01-2025','transaction_type':'cash'}," \
  "{'id':'cdd-500k','obligation':'customer_due_diligence','amount':{'amount':'500000','currency':'PKR'," \
  "'applies':'above'},'valid_from':'2021-01-27','source':'fmu-01-2025'}]," \
  "'obligations':[{'id':'str-filing','description':'File an STR','valid_from':'2020-09-24','source':'fmu-01-2025'}]}"

#define PACK_ADGM_LICENCES "{'format':'mez-licensepack/1','id':'adgm-fsra','jurisdiction_id':'ae-adgm'," \
  "'domain':'licensing','title':'FSRA licences','sources':[],'licence_types':[]}"

static mez_tensor_index_t *index_of(const char *const *packs, size_t n)
{
    const json_t **docs = apr_palloc(unit_pool(), n * sizeof(*docs));
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    for (size_t i = 0; i < n; i++)
        docs[i] = J(packs[i]);
    if (mez_tensor_index_build(unit_pool(), docs, n, &ix, &pb) != MEZ_OK)
        fprintf(stderr, "\nindex: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ix);
    return ix;
}

static mez_tensor_index_t *zone_index(void)
{
    static const char *const packs[] = { PACK_WHT, PACK_LISTS, PACK_AML, PACK_ADGM_LICENCES };
    return index_of(packs, 4);
}

static json_t *evaluate(const mez_tensor_index_t *ix, const char *doc, mez_state_t *decision)
{
    json_t *out = NULL;
    mez_problem_t pb = { 0 };
    if (mez_tensor_evaluate(unit_pool(), ix, J(doc), NULL, &out, decision, &pb) != MEZ_OK)
        fprintf(stderr, "\nevaluate: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    return out;
}

static const char *dstate(const json_t *out, const char *domain)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(out, "domains"), domain), "state"));
}

/* The first reason of a domain with this code, or NULL. */
static const json_t *dreason(const json_t *out, const char *domain, const char *code)
{
    const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), domain), "reasons"), *r;
    size_t i;
    json_array_foreach(reasons, i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "code")), code))
            return r;
    }
    return NULL;
}

static const char *sget(const json_t *o, const char *path)
{
    char *copy = apr_pstrdup(unit_pool(), path), *last, *tok;
    for (tok = apr_strtok(copy, "/", &last); tok && o; tok = apr_strtok(NULL, "/", &last))
        o = json_object_get(o, tok);
    return o ? json_string_value(o) : NULL;
}

#define PAY(date, ptype, amount, payee) \
    "{'action':{'type':'payment','date':'" date "','jurisdiction':'pk-sifc','payment_type':'" ptype "'," \
    "'amount':{'amount':'" amount "','currency':'PKR'}},'subject':" SUBJECT ",'counterparty':" payee

static void test_eval_withholding_non_filer_and_filer(void)
{
    mez_tensor_index_t *ix = zone_index();
    mez_state_t decision;
    json_t *out = evaluate(ix, PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER) "}", &decision), *w;
    const json_t *r;

    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(out, "withholding")), 1);
    w = json_array_get(json_object_get(out, "withholding"), 0);
    CU_ASSERT_STRING_EQUAL(sget(w, "section"), "153(1)(b)");
    CU_ASSERT_STRING_EQUAL(sget(w, "rate"), "16");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "160000");
    CU_ASSERT_STRING_EQUAL(sget(w, "currency"), "PKR");
    CU_ASSERT_STRING_EQUAL(sget(w, "filer_status"), "non_filer");
    CU_ASSERT_STRING_EQUAL(sget(w, "payee"), "counterparty");
    CU_ASSERT_STRING_EQUAL(sget(w, "rule"), "pk-wht-test/s153-1-b-services-company");
    CU_ASSERT_STRING_EQUAL(sget(w, "valid_from"), "2025-07-01");
    CU_ASSERT_STRING_EQUAL(sget(w, "source/id"), "fa-2025");
    CU_ASSERT_STRING_EQUAL(sget(w, "source/title"), "Finance Act, 2025");
    CU_ASSERT_STRING_EQUAL(sget(w, "source/url"), "https://fbr.gov.pk/fa2025");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(w, "source"), "publisher"));
    CU_ASSERT_STRING_EQUAL(sget(w, "source_detail"), "First Schedule, Part III, Div III");
    CU_ASSERT_STRING_EQUAL(sget(w, "law/eid"), "sec_153__subsec_1__para_b");
    r = dreason(out, "tax", "withholding_applies");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-test/s153-1-b-services-company");

    /* aml and kyc have no evidence: pending, so the decision is pending (exit 1 in the CLI). */
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "pending");
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "kyc", "no_attestation"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "pending");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_PENDING);
    /* Domains a payment is not evaluated in are not_applicable, never silently compliant. */
    CU_ASSERT_STRING_EQUAL(dstate(out, "securities"), "not_applicable");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "securities", "not_applicable_to_action"));
    CU_ASSERT_EQUAL(json_object_size(json_object_get(out, "domains")), 20);
    /* The zone pk-sifc is bound by the national pk packs; the ADGM pack is not listed. */
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "packs")), 3);

    /* The same payment to a filer: the lower rate. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000",
                           "{'id':'ent-3','name':'Indus Filer Co','entity_class':'company','filer_status':'filer'}") "}",
                   NULL);
    w = json_array_get(json_object_get(out, "withholding"), 0);
    CU_ASSERT_STRING_EQUAL(sget(w, "rate"), "8");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "80000");
}

static void test_eval_rows_in_force_on_the_date(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out = evaluate(ix, PAY("2025-03-01", "services", "1000000", PAYEE_NON_FILER) "}", NULL), *w;
    w = json_array_get(json_object_get(out, "withholding"), 0);
    CU_ASSERT_STRING_EQUAL(sget(w, "rule"), "pk-wht-test/s153-1-b-services-company-ty2025");
    CU_ASSERT_STRING_EQUAL(sget(w, "valid_from"), "2024-07-01");
    CU_ASSERT_STRING_EQUAL(sget(w, "valid_to"), "2025-07-01");
    CU_ASSERT_STRING_EQUAL(sget(w, "rate"), "20");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "200000");
    /* valid_to is exclusive: on 2025-07-01 the new row applies. */
    out = evaluate(ix, PAY("2025-07-01", "services", "1000000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "rate"), "16");
    /* Before any row: no rule decides tax, so it is pending. */
    out = evaluate(ix, PAY("2020-01-01", "services", "1000000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_withholding_rate"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
}

static void test_eval_tax_pending_and_thresholds(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out;
    const json_t *r;
    /* Unknown filer status: pending, naming the row that needs it. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000", "{'id':'x','name':'Some Co','entity_class':'company'}")
                   "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    r = dreason(out, "tax", "filer_status_unknown");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-test/s153-1-b-services-company");
    /* Unknown class where the rows differ by class. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000", "{'id':'x','name':'Some Co','filer_status':'filer'}")
                   "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "entity_class_unknown"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Below the threshold (at_or_above 30000): no withholding, tax compliant. */
    out = evaluate(ix, PAY("2025-09-01", "services", "29999.99", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "threshold_not_met"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    out = evaluate(ix, PAY("2025-09-01", "services", "30000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "4800");
    /* The payer is the payee when there is no counterparty. */
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'services',"
                       "'amount':{'amount':'100000','currency':'PKR'}},'subject':" SUBJECT "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "payee"), "subject");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "8000");
    /* A progressive table is not applied to one payment's amount: its bands are limits on the year's figure. */
    out = evaluate(ix, PAY("2025-09-01", "salary", "100000",
                           "{'id':'emp','name':'A Person','entity_class':'individual','filer_status':'filer'}") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "amount_basis_required"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "ambiguous_rates"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* A rate on a figure other than the gross amount paid is not applied to the payment. */
    out = evaluate(ix, PAY("2025-09-01", "profit_on_debt", "100000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "basis_not_supported"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    out = evaluate(ix, PAY("2025-09-01", "rent", "100000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "basis"), "gross_rent");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "30000");
    /* Sukuk rows split on the amount: at_or_below and above the same limit. */
    out = evaluate(ix, PAY("2025-09-01", "sukuk", "1000000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "rule"),
                           "pk-wht-test/s151-sukuk-up-to-1m");
    out = evaluate(ix, PAY("2025-09-01", "sukuk", "1000000.01", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "rule"),
                           "pk-wht-test/s151-sukuk-over-1m");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "250000.0025");
}

static void test_eval_ambiguous_rows_and_selection(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out = evaluate(ix, PAY("2025-09-01", "goods", "100000", PAYEE_NON_FILER) "}", NULL), *w;
    const json_t *r = dreason(out, "tax", "ambiguous_rates");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "rules")), 2);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                       "'withholding_rule':'s153-1-a-goods-rice','amount':{'amount':'100000','currency':'PKR'}},"
                       "'subject':" SUBJECT ",'counterparty':" PAYEE_NON_FILER "}", NULL);
    w = json_array_get(json_object_get(out, "withholding"), 0);
    CU_ASSERT_STRING_EQUAL(sget(w, "rule"), "pk-wht-test/s153-1-a-goods-rice");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "3000");
    CU_ASSERT_TRUE(json_is_true(json_object_get(w, "selected_by_action")));
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'goods',"
                       "'withholding_rule':'s153-1-b-services-company','amount':{'amount':'100000','currency':'PKR'}},"
                       "'subject':" SUBJECT ",'counterparty':" PAYEE_NON_FILER "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "selected_rule_not_applicable"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* A row named for an amount outside its threshold, where another row of the payment reaches the amount, is not
     * the payment's row: neither its rate nor "below the threshold, nothing withheld" (which it used to be). */
#define SUKUK(rule, amount) \
    "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'sukuk','withholding_rule':'" \
    rule "','amount':{'amount':'" amount "','currency':'PKR'}},'subject':" SUBJECT ",'counterparty':" \
    PAYEE_NON_FILER "}"
    out = evaluate(ix, SUKUK("s151-sukuk-up-to-1m", "5000000"), NULL);
    r = dreason(out, "tax", "selected_rule_not_applicable");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-test/s151-sukuk-up-to-1m");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/applies"), "at_or_below");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_not_met"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    out = evaluate(ix, SUKUK("s151-sukuk-over-1m", "900000"), NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "selected_rule_not_applicable"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Within its threshold the row named applies as before. */
    out = evaluate(ix, SUKUK("s151-sukuk-up-to-1m", "900000"), NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "180000");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
#undef SUKUK
    /* A row for payees of another class does not apply either (it was "no rate", which evidence could settle). */
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'rent',"
                       "'withholding_rule':'s155-rent-company','amount':{'amount':'100000','currency':'PKR'}},"
                       "'subject':" SUBJECT ",'counterparty':{'id':'p','name':'Ayesha Siddiqui','entity_class':"
                       "'individual','filer_status':'filer'},'evidence':{'tax':{'state':'compliant'}}}", NULL);
    r = dreason(out, "tax", "selected_rule_not_applicable");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "payee_class"), "individual");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "no_withholding_rate"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
}

/* ------------------------------------------------------------------ progressive tables */

#define EMPLOYEE(status) "{'id':'emp-1','name':'Ayesha Siddiqui','entity_class':'individual','filer_status':'" status "'}"
#define PAY_BASIS(ptype, amount, basis, payee) \
    "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk-sifc','payment_type':'" ptype "'," \
    "'amount':{'amount':'" amount "','currency':'PKR'},'amount_basis':'" basis "'},'subject':" SUBJECT \
    ",'counterparty':" payee "}"

static const json_t *wht0(const json_t *out)
{
    return json_array_get(json_object_get(out, "withholding"), 0);
}

/* The tax of a band, and the band that gave it. */
static void expect_band(const mez_tensor_index_t *ix, const char *doc, const char *rule, const char *tax)
{
    json_t *out = evaluate(ix, doc, NULL);
    const json_t *w = wht0(out);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 1);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    if (!w || strcmp(sget(w, "rule"), rule) || strcmp(sget(w, "amount"), tax))
        fprintf(stderr, "\nwanted %s from %s, got %s from %s\n", tax, rule, w ? sget(w, "amount") : "nothing",
                w ? sget(w, "rule") : "no row");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_STRING_EQUAL(sget(w, "rule"), rule);
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), tax);
    CU_ASSERT_TRUE(json_is_true(json_object_get(w, "progressive")));
}

#define SALARY(amount) PAY_BASIS("salary", amount, "estimated_annual_taxable_salary", EMPLOYEE("filer"))

/* Salary under s. 149 for a tax year, by hand from the table of pk-wht-ty2026 (Division I, Part I, First
 * Schedule): tax = base + rate % of the salary above the band's lower limit. */
static void test_eval_progressive_salary(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out;
    const json_t *w;

    /* Band 1 (up to Rs 600,000): nil; 600,000 itself is in band 1 (band 2 is "exceeding" 600,000). */
    expect_band(ix, SALARY("500000"), "pk-wht-test/s149-salary-band-1", "0");
    expect_band(ix, SALARY("600000"), "pk-wht-test/s149-salary-band-1", "0");
    /* Band 2: 0 + 1 % of the excess; a paisa above the limit is taxed exactly, 1 % of 0.01. */
    expect_band(ix, SALARY("600000.01"), "pk-wht-test/s149-salary-band-2", "0.0001");
    expect_band(ix, SALARY("1000000"), "pk-wht-test/s149-salary-band-2", "4000");          /* 1 % x 400,000 */
    expect_band(ix, SALARY("1200000"), "pk-wht-test/s149-salary-band-2", "6000");          /* = band 3's base */
    /* Band 3: 6,000 + 11 % x (2,000,000 - 1,200,000) = 6,000 + 88,000. */
    expect_band(ix, SALARY("2000000"), "pk-wht-test/s149-salary-band-3", "94000");
    /* Band 4: 116,000 + 23 % x 800,000 = 116,000 + 184,000. */
    expect_band(ix, SALARY("3000000"), "pk-wht-test/s149-salary-band-4", "300000");
    /* Band 5 at its top: 346,000 + 30 % x 900,000 = 616,000, band 6's base: the table is continuous. */
    expect_band(ix, SALARY("4100000"), "pk-wht-test/s149-salary-band-5", "616000");
    /* Band 6: 616,000 + 35 % x 8,245,678.90 = 616,000 + 2,885,987.615. */
    expect_band(ix, SALARY("12345678.90"), "pk-wht-test/s149-salary-band-6", "3501987.615");

    out = evaluate(ix, SALARY("3000000"), NULL);
    w = wht0(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "section"), "149(1)");
    CU_ASSERT_STRING_EQUAL(sget(w, "rate"), "23");
    CU_ASSERT_STRING_EQUAL(sget(w, "base_amount"), "3000000");
    CU_ASSERT_STRING_EQUAL(sget(w, "basis"), "estimated_annual_taxable_salary");
    CU_ASSERT_STRING_EQUAL(sget(w, "band/base_amount"), "116000");
    CU_ASSERT_STRING_EQUAL(sget(w, "band/excess"), "800000");
    CU_ASSERT_STRING_EQUAL(sget(w, "band/tax_on_excess"), "184000");
    CU_ASSERT_STRING_EQUAL(sget(w, "threshold/amount"), "2200000");
    CU_ASSERT_STRING_EQUAL(sget(w, "threshold/applies"), "above");
    CU_ASSERT_STRING_EQUAL(sget(w, "source/id"), "fa-2025");
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "withholding_applies"), "amount"), "300000");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "ambiguous_rates"));

    /* Naming a band names its table: the amount still picks band 4, not the band 3 named. */
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'salary',"
                       "'withholding_rule':'s149-salary-band-3','amount':{'amount':'3000000','currency':'PKR'},"
                       "'amount_basis':'estimated_annual_taxable_salary'},'subject':" SUBJECT ",'counterparty':"
                       EMPLOYEE("filer") "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(wht0(out), "rule"), "pk-wht-test/s149-salary-band-4");
    CU_ASSERT_STRING_EQUAL(sget(wht0(out), "amount"), "300000");
    CU_ASSERT_TRUE(json_is_true(json_object_get(wht0(out), "selected_by_action")));
    /* The amount must be declared as the figure the bands measure. */
    out = evaluate(ix, PAY_BASIS("salary", "3000000", "gross_amount", EMPLOYEE("filer")), NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "basis_not_supported"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    out = evaluate(ix, PAY("2025-09-01", "salary", "3000000", EMPLOYEE("filer")) "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "amount_basis_required"), "rule"),
                           "pk-wht-test/s149-salary-band-4");
    /* Out of its tax year the table is not in force. */
    out = evaluate(ix, "{'action':{'type':'payment','date':'2026-07-01','jurisdiction':'pk','payment_type':'salary',"
                       "'amount':{'amount':'3000000','currency':'PKR'},'amount_basis':'estimated_annual_taxable_salary'},"
                       "'subject':" SUBJECT ",'counterparty':" EMPLOYEE("filer") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_withholding_rate"));
    /* The employee's status is still asked for. */
    out = evaluate(ix, PAY_BASIS("salary", "3000000", "estimated_annual_taxable_salary",
                                 "{'id':'emp-2','name':'Bilal Ahmed','entity_class':'individual'}"), NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "filer_status_unknown"), "rule"), "pk-wht-test/s149-salary-band-4");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
}

#define RENT_OF(amount, status) PAY_BASIS("rent", amount, "gross_rent", EMPLOYEE(status))

/* Rent of an individual under s. 155 for a year, by hand from the table of pk-wht-ty2026 (Division V, Part III). */
static void test_eval_progressive_rent(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out;
    expect_band(ix, RENT_OF("250000", "filer"), "pk-wht-test/s155-rent-individual-band-1", "0");
    expect_band(ix, RENT_OF("300000", "filer"), "pk-wht-test/s155-rent-individual-band-1", "0");
    /* 0 + 5 % x (450,000 - 300,000). */
    expect_band(ix, RENT_OF("450000", "filer"), "pk-wht-test/s155-rent-individual-band-2", "7500");
    /* 15,000 + 10 % x (1,500,000 - 600,000). */
    expect_band(ix, RENT_OF("1500000", "filer"), "pk-wht-test/s155-rent-individual-band-3", "105000");
    /* At the top of band 3: 15,000 + 10 % x 1,400,000 = 155,000, band 4's base. */
    expect_band(ix, RENT_OF("2000000", "filer"), "pk-wht-test/s155-rent-individual-band-3", "155000");
    /* 155,000 + 25 % x (2,500,000 - 2,000,000). */
    expect_band(ix, RENT_OF("2500000", "filer"), "pk-wht-test/s155-rent-individual-band-4", "280000");
    /* The pack gives no non-filer rates for these bands: pending, never the filer's rate. */
    out = evaluate(ix, RENT_OF("1500000", "non_filer"), NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "rate_missing"), "rule"), "pk-wht-test/s155-rent-individual-band-3");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* A company's rent stays the flat s. 155 row, with or without amount_basis. */
    out = evaluate(ix, PAY_BASIS("rent", "1500000", "gross_rent", PAYEE_NON_FILER), NULL);
    CU_ASSERT_STRING_EQUAL(sget(wht0(out), "rule"), "pk-wht-test/s155-rent-company");
    CU_ASSERT_STRING_EQUAL(sget(wht0(out), "amount"), "450000");
    CU_ASSERT_PTR_NULL(json_object_get(wht0(out), "progressive"));
}

/* A table whose upper band is one row per status: the payee's status picks the row, and so the base. */
static void test_eval_progressive_split_by_status(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out;
    /* 5,000 + 10 % x 50,000 and 10,000 + 20 % x 50,000: the non-filer pays double, base included. */
    expect_band(ix, PAY_BASIS("prize", "150000", "gross_amount", EMPLOYEE("filer")), "pk-wht-test/prize-over-100k-filer",
                "10000");
    expect_band(ix, PAY_BASIS("prize", "150000", "gross_amount", EMPLOYEE("non_filer")),
                "pk-wht-test/prize-over-100k-non-filer", "20000");
    /* The lower band is bounded above (at_or_below): 100,000 is in it. */
    expect_band(ix, PAY_BASIS("prize", "100000", "gross_amount", EMPLOYEE("non_filer")), "pk-wht-test/prize-up-to-100k",
                "10000");
    /* Status unknown: asked for, not guessed (and the two status rows are not rival rules). */
    out = evaluate(ix, PAY_BASIS("prize", "150000", "gross_amount",
                                 "{'id':'w','name':'Bilal Ahmed','entity_class':'individual'}"), NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "filer_status_unknown"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "ambiguous_rates"));
}

/* Faults in a table are reported, never settled by row order. */
static void test_eval_progressive_faults(void)
{
    static const char *const packs[] = {
        "{'format':'mez-regpack/1','id':'t','jurisdiction_id':'pk','domain':'tax','sources':[{'id':'fa-2025'}],"
        "'withholding_rates':["
        BAND("a-low", "1", "x", "{'filer':'1'}", "") ","
        BAND("a-mid", "1", "x", "{'filer':'2'}", ABOVE("100") BASE("1")) ","
        BAND("a-mid-again", "1", "x", "{'filer':'3'}", ABOVE("100") BASE("1")) ","
        BAND("b-low", "2", "y", "{'filer':'1'}", "") ","
        BAND("b-high", "2", "y", "{'filer':'2'}", ABOVE("100") BASE("1")) ","
        BAND("b-no-base", "2", "y", "{'filer':'3'}", ABOVE("200")) "]}",
        PACK_LISTS
    };
    mez_tensor_index_t *ix = index_of(packs, 2);
    json_t *out = evaluate(ix, PAY_BASIS("x", "150", "gross_amount", EMPLOYEE("filer")), NULL);
    const json_t *r = dreason(out, "tax", "ambiguous_rates");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "rules")), 2);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Below the doubled band the table is sound. */
    expect_band(ix, PAY_BASIS("x", "50", "gross_amount", EMPLOYEE("filer")), "t/a-low", "0.5");
    /* A band above a limit without base_amount would tax everything at the marginal rate. */
    out = evaluate(ix, PAY_BASIS("y", "300", "gross_amount", EMPLOYEE("filer")), NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "base_amount_missing"), "rule"), "t/b-no-base");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    expect_band(ix, PAY_BASIS("y", "150", "gross_amount", EMPLOYEE("filer")), "t/b-high", "2");   /* 1 + 2 % x 50 */
}

/* ------------------------------------------------------------------ income tax (tax_rates) */

/* The UAE Corporate Tax rows of packs/ae-adgm/regpacks/ae-corporate-tax.yaml, figures as the pack writes them:
 * 0 % on taxable income up to AED 375,000 and 9 % above (not for a qualifying free zone person), 0 % / 9 % on
 * a QFZP's qualifying / non-qualifying income, small business relief up to AED 3,000,000 of revenue, and the
 * 0 % Art. 45 withholding on a non-resident's State Sourced Income. */
#define CT_ROW(id, article, cls, income, more) \
  "{'id':'" id "','tax':'cit','article':'" article "','taxpayer_class':'" cls "','income_class':'" income "'," \
  more "'valid_from':'2023-06-01','source':'ct-law'}"
#define AED_LIMIT(amount, applies, measure) \
  "'threshold':{'amount':'" amount "','currency':'AED','applies':'" applies "','measure':'" measure "'},"
#define CT_ROWS \
  CT_ROW("ct-0-up-to-375k", "3(1)(a)", "taxable_person", "taxable_income", "'rate':'0'," \
         AED_LIMIT("375000", "at_or_below", "taxable_income") "'excludes':['qualifying_free_zone_person']," \
         "'basis':'taxable_income_portion','law':{'lawpack':'ae-ct-decree-law-47-2022','eid':'art_3__para_1__point_a'},") \
  "," CT_ROW("ct-9-above-375k", "3(1)(b)", "taxable_person", "taxable_income", "'rate':'9'," \
             AED_LIMIT("375000", "above", "taxable_income") "'excludes':['qualifying_free_zone_person']," \
             "'basis':'taxable_income_portion',") \
  "," CT_ROW("sbr-0-small-business-relief", "21(1)", "small_business_relief_elector", "taxable_income", "'rate':'0'," \
             AED_LIMIT("3000000", "at_or_below", "revenue") \
             "'excludes':['qualifying_free_zone_person','mne_group_member'],'basis':'taxable_income'," \
             "'valid_to':'2027-01-01',") \
  "," CT_ROW("wht-0-non-resident", "45(1)", "non_resident_person", "state_sourced_income", "'rate':'0'," \
             "'basis':'gross_amount',")
#define QFZP_ROWS(conditions) \
  CT_ROW("qfzp-0-qualifying-income", "3(2)(a)", "qualifying_free_zone_person", "qualifying_income", "'rate':'0'," \
         "'basis':'taxable_income'," conditions) \
  "," CT_ROW("qfzp-9-non-qualifying-income", "3(2)(b)", "qualifying_free_zone_person", "non_qualifying_income", \
             "'rate':'9','basis':'taxable_income'," conditions)
#define CT_HEADER(id, jid) \
  "{'format':'mez-regpack/1','id':'" id "','jurisdiction_id':'" jid "','domain':'tax'," \
  "'sources':[{'id':'ct-law','title':'Federal Decree-Law No. 47 of 2022','date':'2022-10-03'}],"
#define CT_OBLIGATIONS \
  "'obligations':[{'id':'qfzp-adequate-substance','description':'Maintain adequate substance in the State'," \
  "'valid_from':'2023-06-01','source':'ct-law','source_detail':'Art. 18(1)(a)'}," \
  "{'id':'qfzp-transfer-pricing','description':'Comply with the arm length principle and TP documentation'," \
  "'valid_from':'2023-06-01','source':'ct-law'}]"
#define PACK_AE_CT CT_HEADER("ae-corporate-tax", "ae") "'tax_rates':[" CT_ROWS "," QFZP_ROWS("") "]," CT_OBLIGATIONS "}"
/* The same QFZP rows where the pack makes the Art. 18(1) obligations conditions of the rows, plus an
 * exemption (a VAT row modelled on the AIFC's, which is not a 0 % rate). */
#define PACK_QFZ_CONDITIONS CT_HEADER("qfz-tax", "ae") "'tax_rates':[" \
  QFZP_ROWS("'conditions':['qfzp-adequate-substance','qfzp-transfer-pricing'],") "," \
  "{'id':'vat-exempt-services','tax':'vat','article':'6','taxpayer_class':'qualifying_free_zone_person'," \
  "'income_class':'turnover_from_listed_services','exempt':true,'conditions':['qfzp-adequate-substance']," \
  "'valid_from':'2023-06-01','source':'ct-law'}]," CT_OBLIGATIONS "}"

#define INCOME(cls, amount) "{'income_class':'" cls "','amount':'" amount "','currency':'AED'}"
#define ASSESS(income, classes, more) \
  "{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae-adgm','income':[" income "]" more "}," \
  "'subject':{'id':'tp-1','name':'Falcon Trading FZ-LLC','taxpayer_classes':[" classes "]}"

static mez_tensor_index_t *ae_index(void)
{
    static const char *const packs[] = { PACK_AE_CT, PACK_ADGM_LICENCES };
    return index_of(packs, 2);
}

static const json_t *tax0(const json_t *out, size_t i)
{
    return json_array_get(json_object_get(out, "income_tax"), i);
}

/* The total assessed on one income class, from its income_tax_assessed reason. */
static const char *assessed(const json_t *out, const char *income_class)
{
    const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), "tax"), "reasons"), *r;
    size_t i;
    json_array_foreach(reasons, i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "code")), "income_tax_assessed")
            && !strcmp(sget(r, "income_class"), income_class))
            return sget(r, "amount");
    }
    return "(not assessed)";
}

static void test_eval_income_tax_uae(void)
{
    mez_tensor_index_t *ix = ae_index();
    json_t *out;
    const json_t *e;

    /* AED 1,000,000: 0 % of the first 375,000, 9 % of the 625,000 above = 56,250. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "56250");
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(out, "income_tax")), 2);
    e = tax0(out, 0);
    CU_ASSERT_STRING_EQUAL(sget(e, "rule"), "ae-corporate-tax/ct-0-up-to-375k");
    CU_ASSERT_STRING_EQUAL(sget(e, "article"), "3(1)(a)");
    CU_ASSERT_STRING_EQUAL(sget(e, "rate"), "0");
    CU_ASSERT_STRING_EQUAL(sget(e, "taxable_amount"), "375000");
    CU_ASSERT_STRING_EQUAL(sget(e, "amount"), "0");
    CU_ASSERT_STRING_EQUAL(sget(e, "threshold/measure"), "taxable_income");
    CU_ASSERT_STRING_EQUAL(sget(e, "law/eid"), "art_3__para_1__point_a");
    CU_ASSERT_STRING_EQUAL(sget(e, "source/id"), "ct-law");
    e = tax0(out, 1);
    CU_ASSERT_STRING_EQUAL(sget(e, "rule"), "ae-corporate-tax/ct-9-above-375k");
    CU_ASSERT_STRING_EQUAL(sget(e, "rate"), "9");
    CU_ASSERT_STRING_EQUAL(sget(e, "taxable_amount"), "625000");
    CU_ASSERT_STRING_EQUAL(sget(e, "amount"), "56250");
    CU_ASSERT_STRING_EQUAL(sget(e, "currency"), "AED");
    CU_ASSERT_STRING_EQUAL(sget(e, "income"), "1000000");
    CU_ASSERT_STRING_EQUAL(sget(e, "tax"), "cit");
    /* Not a payment: nothing withheld, and aml/kyc are not asked for; sanctions still is. */
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "not_applicable");
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "pending");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "action_type")), "tax_assessment");

    /* At the limit the 9 % portion is empty; a fils above, it is taxed exactly. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "375000"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "0");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "income_tax")), 1);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "threshold_not_met"), "rule"), "ae-corporate-tax/ct-9-above-375k");
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "375000.01"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "0.0009");
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "100000"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "0");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    /* 9 % x (12,345,678.90 - 375,000) = 9 % x 11,970,678.90. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "12345678.90"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "1077361.101");

    /* A qualifying free zone person: 0 % on qualifying income, 9 % on the rest (no AED 375,000 band). */
    out = evaluate(ix, ASSESS(INCOME("qualifying_income", "1000000") "," INCOME("non_qualifying_income", "200000"),
                              "'taxable_person','qualifying_free_zone_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_STRING_EQUAL(assessed(out, "qualifying_income"), "0");
    CU_ASSERT_STRING_EQUAL(assessed(out, "non_qualifying_income"), "18000");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "rule"), "ae-corporate-tax/qfzp-0-qualifying-income");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "taxpayer_class"), "qualifying_free_zone_person");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 1), "amount"), "18000");
    /* Its qualifying rows apply only to a person that declares it qualifies. */
    out = evaluate(ix, ASSESS(INCOME("qualifying_income", "1000000"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "income_tax")), 0);
    /* ... and the 375,000 band excludes it. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person','qualifying_free_zone_person'", "")
                   "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "taxpayer_class_excluded"), "excluded_class"),
                           "qualifying_free_zone_person");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "income_tax")), 0);

    /* A tax period that starts before the law's commencement is not governed by these rows. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person'",
                              ",'tax_period':{'start':'2023-01-01','end':'2023-12-31'}") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person'",
                              ",'tax_period':{'start':'2023-06-01','end':'2024-05-31'}") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "56250");

    /* Small business relief: measured on revenue (a figure), not on the income it taxes. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "300000"), "'small_business_relief_elector'",
                              ",'figures':{'revenue':{'amount':'3000000','currency':'AED'}}") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "0");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "rule"), "ae-corporate-tax/sbr-0-small-business-relief");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "threshold/measure"), "revenue");
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "300000"), "'small_business_relief_elector'",
                              ",'figures':{'revenue':{'amount':'3000000.01','currency':'AED'}}") "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "threshold_not_met"), "measured"), "3000000.01");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "300000"), "'small_business_relief_elector'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "measure_not_given"), "measure"), "revenue");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Relief for tax periods ending on or before 31 December 2026 only (valid_to 2027-01-01). */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "300000"), "'small_business_relief_elector'",
                              ",'tax_period':{'start':'2026-06-01','end':'2027-05-31'},"
                              "'figures':{'revenue':{'amount':'2000000','currency':'AED'}}") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
    /* Relief and the general rows at once: the pack does not rank them, so neither is guessed. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "300000"), "'taxable_person','small_business_relief_elector'",
                              ",'figures':{'revenue':{'amount':'2000000','currency':'AED'}}") "}", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(dreason(out, "tax", "ambiguous_tax_rates"), "rules")), 3);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Another currency than the limit's: no exchange rate is guessed. */
    out = evaluate(ix, "{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae-adgm','income':"
                       "[{'income_class':'taxable_income','amount':'1000000','currency':'USD'}]},"
                       "'subject':{'id':'tp','name':'Falcon','taxpayer_classes':['taxable_person']}}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "currency_mismatch"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* Art. 45: 0 % on a non-resident's State Sourced Income, gross. */
    out = evaluate(ix, ASSESS(INCOME("state_sourced_income", "50000"), "'non_resident_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(assessed(out, "state_sourced_income"), "0");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "basis"), "gross_amount");
    /* An item no row taxes is not hidden by the items that are taxed: a misspelt class fifty times the taxable
     * income leaves the assessment pending (it was compliant), evidence or not, and says no row names it. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000") "," INCOME("taxable_incme", "50000000"),
                              "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "56250");
    e = dreason(out, "tax", "no_tax_rate");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(sget(e, "income_class"), "taxable_incme");
    CU_ASSERT_STRING_EQUAL(sget(e, "income"), "50000000");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(e, "detail"), "names this income class"));
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000") "," INCOME("taxable_incme", "50000000"),
                              "'taxable_person'", "") ",'evidence':{'tax':{'state':'compliant'}}}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* A class rows name, but not for what the subject declares, is pending too, and says so. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000") "," INCOME("qualifying_income", "500000"),
                              "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(dreason(out, "tax", "no_tax_rate"), "detail"), "classes the subject declares"));
    /* Other actions keep their result shape: no income_tax member. */
    CU_ASSERT_PTR_NULL(json_object_get(evaluate(zone_index(), PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER)
                                                "}", NULL), "income_tax"));
}

#define QFZ_EVIDENCE(attestations) ",'evidence':{'tax':{'attestations':[" attestations "]}}"
#define ATT(id, obligations, expires) \
  "{'id':'" id "','issuer':'did:key:z6MkAuditor','obligations':[" obligations "]" expires "}"

/* A row with conditions applies only when each obligation is evidenced by a fresh attestation of the domain. */
static void test_eval_income_tax_conditions(void)
{
    static const char *const packs[] = { PACK_QFZ_CONDITIONS };
    mez_tensor_index_t *ix = index_of(packs, 1);
    json_t *out;
    const json_t *r;
    const char *qfzp = ASSESS(INCOME("qualifying_income", "1000000"), "'qualifying_free_zone_person'", "");

    out = evaluate(ix, apr_pstrcat(unit_pool(), qfzp, "}", NULL), NULL);
    r = dreason(out, "tax", "condition_not_evidenced");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "qfz-tax/qfzp-0-qualifying-income");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "conditions")), 2);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(r, "conditions"), 0), "rule"),
                           "qfz-tax/qfzp-adequate-substance");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(r, "conditions"), 0), "source/id"), "ct-law");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "income_tax")), 0);
    /* One of two evidenced: the other is still missing. */
    out = evaluate(ix, apr_pstrcat(unit_pool(), qfzp, QFZ_EVIDENCE(ATT("sub-1", "'qfzp-adequate-substance'", "")), "}",
                                   NULL), NULL);
    r = dreason(out, "tax", "condition_not_evidenced");
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(r, "conditions")), 1);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(r, "conditions"), 0), "obligation"),
                           "qfzp-transfer-pricing");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* An expired attestation evidences nothing (and makes the domain non_compliant, as any expired one). */
    out = evaluate(ix, apr_pstrcat(unit_pool(), qfzp, QFZ_EVIDENCE(ATT("old", "'qfzp-adequate-substance',"
                                                                        "'qfzp-transfer-pricing'",
                                                                        ",'expires_at':'2025-06-30T00:00:00Z'")), "}",
                                   NULL), NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "condition_not_evidenced"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "non_compliant");
    /* Evidence under another domain is not evidence of a tax condition. */
    out = evaluate(ix, apr_pstrcat(unit_pool(), qfzp, ",'evidence':{'kyc':{'attestations':["
                                   ATT("k", "'qfzp-adequate-substance','qfzp-transfer-pricing'", "") "]}}}", NULL),
                   NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "condition_not_evidenced"));
    /* Both evidenced (by two attestations): the 0 % applies. */
    out = evaluate(ix, apr_pstrcat(unit_pool(), qfzp, QFZ_EVIDENCE(ATT("sub-1", "'qfzp-adequate-substance'", "") ","
                                                                    ATT("tp-1", "'qfzp-transfer-pricing'", "")),
                                   "}", NULL), NULL);
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "condition_not_evidenced"));
    CU_ASSERT_STRING_EQUAL(assessed(out, "qualifying_income"), "0");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    /* An exemption is reported as one: no rate, and the domain is exempt rather than compliant. */
    out = evaluate(ix, "{'action':{'type':'tax_assessment','tax':'vat','date':'2025-12-31','jurisdiction':'ae',"
                       "'income':[" INCOME("turnover_from_listed_services", "800000") "]},'subject':{'id':'tp',"
                       "'name':'Falcon','taxpayer_classes':['qualifying_free_zone_person']}"
                       QFZ_EVIDENCE(ATT("sub-1", "'qfzp-adequate-substance'", "")) "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "exempt");
    CU_ASSERT_TRUE(json_is_true(json_object_get(tax0(out, 0), "exempt")));
    CU_ASSERT_PTR_NULL(json_object_get(tax0(out, 0), "rate"));
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "amount"), "0");
    CU_ASSERT_STRING_EQUAL(sget(tax0(out, 0), "tax"), "vat");
    /* The VAT row is not an income tax row: a cit assessment of that turnover finds nothing. */
    out = evaluate(ix, "{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae','income':["
                       INCOME("turnover_from_listed_services", "800000") "]},'subject':{'id':'tp','name':'Falcon',"
                       "'taxpayer_classes':['qualifying_free_zone_person']}}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "no_tax_rate"));
}

/* Portion rows that do not add up to the income are a fault of the rows, not an answer. */
static void test_eval_income_tax_portions_must_cover(void)
{
    static const char *const packs[] = {
        CT_HEADER("gap", "ae") "'tax_rates':["
        CT_ROW("low", "1", "taxable_person", "taxable_income", "'rate':'0'," AED_LIMIT("100", "at_or_below",
               "taxable_income") "'basis':'taxable_income_portion',") ","
        CT_ROW("high", "2", "taxable_person", "taxable_income", "'rate':'10'," AED_LIMIT("200", "above",
               "taxable_income") "'basis':'taxable_income_portion',") "]}"
    };
    mez_tensor_index_t *ix = index_of(packs, 1);
    json_t *out = evaluate(ix, "{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae','income':["
                               INCOME("taxable_income", "300") "]},'subject':{'id':'tp','name':'Falcon',"
                               "'taxpayer_classes':['taxable_person']}}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "portions_do_not_cover"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "income_tax")), 0);
    /* Within the first portion alone the rows do cover it. */
    out = evaluate(ix, "{'action':{'type':'tax_assessment','date':'2025-12-31','jurisdiction':'ae','income':["
                       INCOME("taxable_income", "100") "]},'subject':{'id':'tp','name':'Falcon',"
                       "'taxpayer_classes':['taxable_person']}}", NULL);
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "portions_do_not_cover"));
    CU_ASSERT_STRING_EQUAL(assessed(out, "taxable_income"), "0");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
}

#define ALL_EVIDENCE "'evidence':{'aml':{'state':'compliant','attestations':[{'id':'aml-1','issuer':'did:key:z6MkA'," \
    "'expires_at':'2026-01-01T00:00:00Z'}]},'kyc':{'attestations':[{'id':'kyc-1','issuer':'did:key:z6MkA'}]}}"

/* One row that cites a statute section (law) and one that does not, both with notes. */
#define PACK_CITED "{'format':'mez-regpack/1','id':'pk-cited','jurisdiction_id':'pk','domain':'tax','title':'Cited rows'," \
  "'sources':[{'id':'fa-2025','title':'Finance Act, 2025','url':'https://fbr.gov.pk/fa2025','date':'2025-06-29'}]," \
  "'withholding_rates':[" \
  "{'id':'services','section':'153(1)(b)','law':{'lawpack':'pk-ito','eid':'sec_153__subsec_1__para_b'}," \
  "'payment_type':'services','payee_class':'any','rates':{'filer':'8','non_filer':'16'},'valid_from':'2025-07-01'," \
  "'valid_to':'2026-07-01','source':'fa-2025','source_detail':'First Schedule, Part III, Div III, a long note'," \
  "'conflicts':'An older card says 9 %; the Finance Act governs.'}," \
  "{'id':'goods','section':'153(1)(a)','payment_type':'goods','payee_class':'any','rates':{'filer':'5'}," \
  "'valid_from':'2025-07-01','source':'fa-2025','source_detail':'Division III, clause (a)'," \
  "'conflicts':'Editors disagree on the clause number.'}]}"

static json_t *evaluate_in(const mez_tensor_index_t *ix, const char *doc, mez_tensor_detail_t detail)
{
    json_t *out = NULL;
    mez_problem_t pb = { 0 };
    if (mez_tensor_evaluate_detail(unit_pool(), ix, J(doc), NULL, detail, &out, NULL, &pb) != MEZ_OK)
        fprintf(stderr, "\nevaluate: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    return out;
}

static void test_eval_compact_and_full_detail(void)
{
    static const char *const digests[] = {
        "sha256:1111111111111111111111111111111111111111111111111111111111111111", NULL };
    const json_t *docs[2] = { J(PACK_CITED), J(PACK_LISTS) };
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    mez_tensor_detail_t d;
    json_t *full, *compact, *w;
    const json_t *r;
    const char *fc, *cc;

    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build_with_digests(unit_pool(), docs, digests, 2, &ix, &pb), MEZ_OK);
    full = evaluate_in(ix, PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER) "}", MEZ_TENSOR_DETAIL_FULL);
    compact = evaluate_in(ix, PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER) "}",
                          MEZ_TENSOR_DETAIL_COMPACT);
    CU_ASSERT_STRING_EQUAL(sget(full, "detail"), "full");
    CU_ASSERT_STRING_EQUAL(sget(compact, "detail"), "compact");
    /* Only the citations differ: the same states, decision and commitment. */
    CU_ASSERT_STRING_EQUAL(sget(full, "commitment"), sget(compact, "commitment"));
    CU_ASSERT_STRING_EQUAL(sget(full, "decision"), sget(compact, "decision"));
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(compact, "packs"), 0), "digest"), digests[0]);
    CU_ASSERT_PTR_NULL(json_object_get(json_array_get(json_object_get(compact, "packs"), 1), "digest"));

    /* Full: the notes are copied; compact: the rule by reference, its law and source, no notes. */
    w = json_array_get(json_object_get(full, "withholding"), 0);
    CU_ASSERT_STRING_EQUAL(sget(w, "pack_digest"), digests[0]);
    CU_ASSERT_STRING_EQUAL(sget(w, "source_detail"), "First Schedule, Part III, Div III, a long note");
    CU_ASSERT_STRING_EQUAL(sget(w, "conflicts"), "An older card says 9 %; the Finance Act governs.");
    w = json_array_get(json_object_get(compact, "withholding"), 0);
    r = dreason(compact, "tax", "withholding_applies");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (int k = 0; k < 2; k++) {
        const json_t *o = k ? r : w;
        CU_ASSERT_STRING_EQUAL(sget(o, "rule"), "pk-cited/services");
        CU_ASSERT_STRING_EQUAL(sget(o, "pack_digest"), digests[0]);
        CU_ASSERT_STRING_EQUAL(sget(o, "valid_from"), "2025-07-01");
        CU_ASSERT_STRING_EQUAL(sget(o, "valid_to"), "2026-07-01");
        CU_ASSERT_STRING_EQUAL(sget(o, "section"), "153(1)(b)");
        CU_ASSERT_STRING_EQUAL(sget(o, "law/eid"), "sec_153__subsec_1__para_b");
        CU_ASSERT_STRING_EQUAL(sget(o, "source/title"), "Finance Act, 2025");
        CU_ASSERT_PTR_NULL(json_object_get(o, "source_detail"));
        CU_ASSERT_PTR_NULL(json_object_get(o, "conflicts"));
    }
    CU_ASSERT_EQUAL(mez_json_canonicalize(unit_pool(), full, &fc, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_json_canonicalize(unit_pool(), compact, &cc, NULL, &pb), MEZ_OK);
    CU_ASSERT(strlen(cc) < strlen(fc));
    CU_ASSERT_PTR_NULL(strstr(cc, "conflicts"));

    /* A rule without law keeps source_detail, its only pinpoint citation, even when compact. */
    compact = evaluate_in(ix, PAY("2025-09-01", "goods", "1000",
                                  "{'id':'ent-3','name':'Indus Traders','entity_class':'company','filer_status':'filer'}")
                          "}", MEZ_TENSOR_DETAIL_COMPACT);
    r = dreason(compact, "tax", "withholding_applies");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "Division III, clause (a)");
    CU_ASSERT_PTR_NULL(json_object_get(r, "conflicts"));
    /* So does a sanctions list entry; its pack's digest was not given, so none is cited. */
    compact = evaluate_in(ix, PAY("2025-09-01", "goods", "1000",
                                  "{'id':'bad','name':'Lashkar-e-Taiba','entity_class':'company','filer_status':'filer'}")
                          "}", MEZ_TENSOR_DETAIL_COMPACT);
    r = dreason(compact, "sanctions", "sanctions_match");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-proscribed-test/pk-fs-004");
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "S.No. 4");
    CU_ASSERT_PTR_NULL(json_object_get(r, "pack_digest"));

    CU_ASSERT_EQUAL(mez_tensor_detail_parse(unit_pool(), "compact", "/detail", &d, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(d, MEZ_TENSOR_DETAIL_COMPACT);
    CU_ASSERT_STRING_EQUAL(mez_tensor_detail_name(d), "compact");
    CU_ASSERT_EQUAL(mez_tensor_detail_parse(unit_pool(), "short", "/detail", &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_detail");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/detail");
}

static void test_eval_sanctions_hard_block(void)
{
    mez_tensor_index_t *ix = zone_index();
    mez_state_t decision;
    json_t *out;
    const json_t *r;

    /* Clean parties and full evidence: everything evaluated passes. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", &decision);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
    r = dreason(out, "sanctions", "sanctions_clear");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "list/id"), "pk-proscribed-organisations");
    CU_ASSERT_STRING_EQUAL(sget(r, "list/list_date"), "2025-10-24");
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-proscribed-test/pk-proscribed-organisations");
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "kyc", "attested"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "compliant");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_COMPLIANT);

    /* The same with a proscribed payee: sanctions and the decision are non_compliant whatever else holds. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000",
                           "{'id':'bad','name':'LASHKAR E TAIBA','entity_class':'company','filer_status':'filer'}")
                   "," ALL_EVIDENCE "}", &decision);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "non_compliant");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "non_compliant");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
    r = dreason(out, "sanctions", "sanctions_match");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(json_is_true(json_object_get(r, "hard_block")));
    CU_ASSERT_STRING_EQUAL(sget(r, "party"), "counterparty");
    CU_ASSERT_STRING_EQUAL(sget(r, "list/id"), "pk-proscribed-organisations");
    CU_ASSERT_STRING_EQUAL(sget(r, "entry/id"), "pk-fs-004");
    CU_ASSERT_STRING_EQUAL(sget(r, "entry/listed_on"), "2002-01-14");
    CU_ASSERT_STRING_EQUAL(sget(r, "match/how"), "exact");
    CU_ASSERT_STRING_EQUAL(sget(r, "match/on"), "name");
    CU_ASSERT_STRING_EQUAL(sget(r, "match/normalised"), "lashkar e taiba");
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-proscribed-test/pk-fs-004");
    /* The entry's own source is cited over the list's. */
    CU_ASSERT_STRING_EQUAL(sget(r, "source/id"), "senate-2015");
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "S.No. 4");
    /* Evidence that says compliant cannot lift the block. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000",
                           "{'id':'bad','name':'Lashkar-i-Taiba','entity_class':'company','filer_status':'filer'}")
                   ",'evidence':{'sanctions':{'state':'compliant'}}}", &decision);
    CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
    r = dreason(out, "sanctions", "sanctions_match");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "match/on"), "alias");
    CU_ASSERT_STRING_EQUAL(sget(r, "match/listed_name"), "Lashkar-i-Taiba");
    /* The subject is screened too, with all-tokens matching, on every action type. */
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':{'id':'s','name':'Taiba Lashkar e Welfare Trust'}}", &decision);
    CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
    r = dreason(out, "sanctions", "sanctions_match");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "party"), "subject");
    CU_ASSERT_STRING_EQUAL(sget(r, "match/how"), "all_tokens");
    /* An entry listed after the action's date does not apply to it. */
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':{'id':'s','name':'Future Front'}}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2030-01-02','jurisdiction':'pk'},"
                       "'subject':{'id':'s','name':'Future Front'}}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "non_compliant");
    /* Screened as of a later day (a write made today for a backdated action), the entry listed since applies,
     * while the action keeps its own date (for the tax law); the result names the day screened. */
    {
        mez_tensor_eval_options_t eo = { .screening_date = "2030-01-02" };
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix,
                                                  J("{'action':{'type':'entity_formation','date':'2025-09-01',"
                                                    "'jurisdiction':'pk'},'subject':{'id':'s','name':'Future Front'}}"),
                                                  &eo, &out, NULL, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "non_compliant");
        CU_ASSERT_STRING_EQUAL(sget(out, "date"), "2025-09-01");
        CU_ASSERT_STRING_EQUAL(sget(out, "screening_date"), "2030-01-02");
        eo.screening_date = "2030-02-30";
        CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix,
                                            J("{'action':{'type':'entity_formation','date':'2025-09-01',"
                                              "'jurisdiction':'pk'},'subject':{'id':'s','name':'Future Front'}}"),
                                            &eo, &out, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "tensor.invalid_date");
    }
    /* A clearance (mez/clearance.h) of exactly that hit (the record screened in, the name as normalised, the
     * entry) reports it cleared, with the clearance, and lets the other domains decide; the same clearance does
     * nothing for the name screened in another record. */
    {
#define TAIBA "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'}," \
              "'subject':{'id':'s','name':'Taiba Lashkar e Welfare Trust'}}"
        json_t *detail = json_pack("{s:s}", "id", "clr_unit");
        const json_t *hit;
        mez_tensor_clearance_t cl = { "s", NULL, NULL, detail };
        mez_tensor_eval_options_t eo = { .clearances = &cl, .n_clearances = 1 };
        mez_problem_t pb = { 0 };
        out = evaluate(ix, TAIBA, NULL);
        hit = dreason(out, "sanctions", "sanctions_match");
        CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
        CU_ASSERT_STRING_EQUAL(sget(hit, "clearance_context"), "s");
        CU_ASSERT_PTR_NULL(dreason(out, "sanctions", "sanctions_match_cleared"));
        cl.entry = apr_pstrdup(unit_pool(), sget(hit, "rule"));
        cl.name_normalised = mez_tensor_name_normalise(unit_pool(), "Taiba Lashkar e Welfare Trust");
        CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(TAIBA), &eo, &out, &decision, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
        CU_ASSERT_PTR_NULL(dreason(out, "sanctions", "sanctions_match"));
        hit = dreason(out, "sanctions", "sanctions_match_cleared");
        CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
        CU_ASSERT_STRING_EQUAL(sget(hit, "clearance/id"), "clr_unit");
        CU_ASSERT_TRUE(json_is_false(json_object_get(hit, "hard_block")));
        CU_ASSERT_PTR_NOT_NULL(dreason(out, "sanctions", "sanctions_clear"));
        /* Screened in another record (a director of another company's file): the hit blocks. */
        eo.clearance_context = "urn:mez:application:other";
        CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(TAIBA), &eo, &out, &decision, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
        CU_ASSERT_STRING_EQUAL(sget(dreason(out, "sanctions", "sanctions_match"), "clearance_context"),
                               "urn:mez:application:other");
        /* Another spelling of the name is another name: screened, and cleared, on its own. */
        eo.clearance_context = NULL;
        CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix,
                                                  J("{'action':{'type':'entity_formation','date':'2025-09-01',"
                                                    "'jurisdiction':'pk'},'subject':{'id':'s','name':"
                                                    "'Lashkar e Taiba Welfare Trust'}}"),
                                                  &eo, &out, &decision, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
        json_decref(detail);
#undef TAIBA
    }
    /* A name with nothing to compare cannot be cleared. */
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':{'id':'s','name':'***'}}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "sanctions", "name_not_screenable"));
}

static void test_eval_aml_thresholds_and_evidence(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *out = evaluate(ix, PAY("2025-09-01", "services", "2000000", PAYEE_NON_FILER) "}", NULL);
    const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), "aml"), "reasons"), *r;
    /* Both limits met (> 500,000 and >= 2,000,000), in amount order, then the open obligation. */
    CU_ASSERT_EQUAL_FATAL(json_array_size(reasons), 3);
    r = json_array_get(reasons, 0);
    CU_ASSERT_STRING_EQUAL(sget(r, "code"), "threshold_met");
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "customer_due_diligence");
    r = json_array_get(reasons, 1);
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "currency_transaction_report");
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-aml-test/ctr-cash-2m");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/applies"), "at_or_above");
    CU_ASSERT_STRING_EQUAL(sget(r, "unchecked_conditions/transaction_type"), "cash");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(reasons, 2), "code"), "no_attestation");
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "pending");
    /* 500,000 is not above 500,000. */
    out = evaluate(ix, PAY("2025-09-01", "services", "500000", PAYEE_NON_FILER) "}", NULL);
    CU_ASSERT_PTR_NULL(dreason(out, "aml", "threshold_met"));
    /* Evidence discharges the obligation; an expired attestation on a passing state fails it. */
    out = evaluate(ix, PAY("2025-09-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "aml", "threshold_met"));
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "aml", "evidence_state"));
    out = evaluate(ix, PAY("2026-03-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "non_compliant");
    r = dreason(out, "aml", "attestation_expired");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "expired"), 0)), "aml-1");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "non_compliant");
    /* An attestation that ends during the action's day does not cover it. */
    out = evaluate(ix, PAY("2025-12-31", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    out = evaluate(ix, PAY("2026-01-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "non_compliant");
    /* Evidence for a domain a payment is not evaluated in brings it in: pending there keeps the decision pending. */
    out = evaluate(ix, PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER)
                   ",'evidence':{'aml':{'state':'compliant'},'kyc':{'state':'compliant'},'ip':{'state':'pending'}}}",
                   NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "ip"), "pending");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "pending");
}

/* A threshold's obligation_id names the obligation row it opens; its deadline is dated from the events the action
 * fixes, on the zone's calendar and weekend, and given as the rule where it runs from one the action cannot date. */
#define PACK_AML_DEADLINES "{'format':'mez-regpack/1','id':'pk-aml-dl','jurisdiction_id':'pk','domain':'aml'," \
  "'title':'AML deadlines','sources':[{'id':'amla','title':'AML Act 2010'}]," \
  "'thresholds':[" \
  "{'id':'ctr-cash-2m','obligation':'currency_transaction_report','obligation_id':'ctr-filing'," \
  "'amount':{'amount':'2000000','currency':'PKR','applies':'at_or_above'},'valid_from':'2025-03-21','source':'amla'}," \
  "{'id':'big-10m','obligation':'suspicious_transaction_report','obligation_id':'str-filing'," \
  "'amount':{'amount':'10000000','currency':'PKR','applies':'at_or_above'},'valid_from':'2025-03-21','source':'amla'}," \
  "{'id':'later-20m','obligation':'later_report','obligation_id':'later-filing'," \
  "'amount':{'amount':'20000000','currency':'PKR','applies':'at_or_above'},'valid_from':'2025-03-21','source':'amla'}," \
  "{'id':'cdd-500k','obligation':'customer_due_diligence','amount':{'amount':'500000','currency':'PKR'," \
  "'applies':'above'},'valid_from':'2021-01-27','source':'amla'}]," \
  "'obligations':[" \
  "{'id':'ctr-filing','description':'File a CTR','deadline':{'business_days':7,'from':'transaction'}," \
  "'regulator':'pk-fmu','channel':'goAML','valid_from':'2025-03-21','source':'amla','source_detail':'s. 7'}," \
  "{'id':'str-filing','description':'File an STR','deadline':{'business_days':7,'from':'suspicion'}," \
  "'regulator':'pk-fmu','valid_from':'2015-12-09','source':'amla'}," \
  "{'id':'later-filing','description':'Not yet in force','deadline':{'days':3,'from':'transaction'}," \
  "'valid_from':'2030-01-01','source':'amla'}]}"

#define PACK_TAX_DEADLINES "{'format':'mez-regpack/1','id':'pk-tax-dl','jurisdiction_id':'pk','domain':'tax'," \
  "'title':'Tax deadlines','sources':[{'id':'ito','title':'Income Tax Ordinance, 2001'}]," \
  "'tax_rates':[{'id':'cit-29','tax':'cit','article':'18','taxpayer_class':'company','income_class':'taxable_income'," \
  "'rate':'29','basis':'taxable_income','conditions':['annual-return'],'valid_from':'2025-07-01','source':'ito'}]," \
  "'obligations':[{'id':'annual-return','description':'File the return','regulator':'pk-fbr'," \
  "'deadline':{'day_of_month':30,'of':'april_following_year'},'valid_from':'2025-07-01','source':'ito'}]}"

static json_t *evaluate_with(const mez_tensor_index_t *ix, const char *doc, const mez_tensor_eval_options_t *eo,
                             mez_tensor_detail_t detail)
{
    json_t *out = NULL;
    mez_problem_t pb = { 0 };
    if (mez_tensor_evaluate_detail(unit_pool(), ix, J(doc), eo, detail, &out, NULL, &pb) != MEZ_OK)
        fprintf(stderr, "\nevaluate: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    return out;
}

/* The threshold_met reason of an obligation, or NULL. */
static const json_t *met(const json_t *out, const char *obligation)
{
    const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), "aml"), "reasons"), *r;
    size_t i;
    json_array_foreach(reasons, i, r)
        if (!strcmp(sget(r, "code"), "threshold_met") && !strcmp(sget(r, "obligation"), obligation))
            return r;
    return NULL;
}

static void test_eval_obligation_deadlines(void)
{
    static const char *const packs[] = { PACK_AML_DEADLINES, PACK_TAX_DEADLINES };
    mez_tensor_index_t *ix = index_of(packs, 2);
    const mez_tz_t *pk = NULL;
    mez_problem_t pb = { 0 };
    mez_tensor_eval_options_t eo = { 0 };
    const json_t *r, *dl, *c;
    json_t *out;
    char *form;

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    eo.tz = pk;
    /* A cash payment on Wednesday 1 July 2026 in Karachi: the CTR is due seven business days on, Friday 10 July,
     * whose last second there is 18:59:59 UTC. */
    out = evaluate_with(ix, PAY("2026-07-01", "services", "2000000", PAYEE_NON_FILER) "}", &eo,
                        MEZ_TENSOR_DETAIL_FULL);
    r = met(out, "currency_transaction_report");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    dl = json_object_get(r, "deadline");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
    CU_ASSERT_STRING_EQUAL(sget(dl, "rule"), "pk-aml-dl/ctr-filing");
    CU_ASSERT_STRING_EQUAL(sget(dl, "valid_from"), "2025-03-21");
    CU_ASSERT_STRING_EQUAL(sget(dl, "source/id"), "amla");
    CU_ASSERT_STRING_EQUAL(sget(dl, "source_detail"), "s. 7");
    CU_ASSERT_STRING_EQUAL(sget(dl, "description"), "File a CTR");
    CU_ASSERT_STRING_EQUAL(sget(dl, "regulator"), "pk-fmu");
    CU_ASSERT_STRING_EQUAL(sget(dl, "channel"), "goAML");
    form = json_dumps(json_object_get(dl, "form"), JSON_COMPACT | JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(form, "{\"business_days\":7,\"from\":\"transaction\"}");
    free(form);
    CU_ASSERT_STRING_EQUAL(sget(dl, "from_date"), "2026-07-01");
    CU_ASSERT_TRUE(json_is_true(json_object_get(dl, "dated")));
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_date"), "2026-07-10");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_by"), "2026-07-10T18:59:59Z");
    CU_ASSERT_STRING_EQUAL(sget(dl, "timezone"), "Asia/Karachi");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(dl, "weekend"), 0)), "saturday");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(dl, "weekend"), 1)), "sunday");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(dl, "detail"), "public holidays"));
    /* A limit whose threshold names no obligation row has no deadline to give. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(met(out, "customer_due_diligence"));
    CU_ASSERT_PTR_NULL(json_object_get(met(out, "customer_due_diligence"), "deadline"));

    /* The zone's weekend counts: Friday and Saturday off, the seventh business day is Sunday 12 July. */
    eo.weekend = MEZ_WEEKDAY_BIT(5) | MEZ_WEEKDAY_BIT(6);
    out = evaluate_with(ix, PAY("2026-07-01", "services", "2000000", PAYEE_NON_FILER) "}", &eo,
                        MEZ_TENSOR_DETAIL_FULL);
    dl = json_object_get(met(out, "currency_transaction_report"), "deadline");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_date"), "2026-07-12");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(dl, "weekend"), 0)), "friday");
    eo.weekend = 0;

    /* No calendar: UTC's, whose 10 July ends at 23:59:59Z. */
    out = evaluate_with(ix, PAY("2026-07-01", "services", "2000000", PAYEE_NON_FILER) "}", NULL,
                        MEZ_TENSOR_DETAIL_FULL);
    dl = json_object_get(met(out, "currency_transaction_report"), "deadline");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_by"), "2026-07-10T23:59:59Z");
    CU_ASSERT_STRING_EQUAL(sget(dl, "timezone"), "UTC");

    /* Seven business days from forming a suspicion: the rule, no date, and why. The obligation not in force on
     * the action's date gives nothing. Compact results keep the deadline without the description. */
    out = evaluate_with(ix, PAY("2026-07-01", "services", "20000000", PAYEE_NON_FILER) "}", &eo,
                        MEZ_TENSOR_DETAIL_COMPACT);
    dl = json_object_get(met(out, "suspicious_transaction_report"), "deadline");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
    CU_ASSERT_STRING_EQUAL(sget(dl, "rule"), "pk-aml-dl/str-filing");
    CU_ASSERT_TRUE(json_is_false(json_object_get(dl, "dated")));
    CU_ASSERT_PTR_NULL(json_object_get(dl, "due_date"));
    CU_ASSERT_PTR_NULL(json_object_get(dl, "due_by"));
    CU_ASSERT_PTR_NULL(json_object_get(dl, "from_date"));
    CU_ASSERT_STRING_EQUAL(sget(dl, "form/from"), "suspicion");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(dl, "detail"), "does not date"));
    CU_ASSERT_PTR_NULL(json_object_get(dl, "description"));
    CU_ASSERT_PTR_NOT_NULL(json_object_get(met(out, "currency_transaction_report"), "deadline"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(met(out, "later_report"));
    CU_ASSERT_PTR_NULL(json_object_get(met(out, "later_report"), "deadline"));

    /* A tax return due on 30 April of the following year: the calendar year's (2027), or, where the zone names its
     * tax year (1 July to 30 June), the year after tax year 2027 (2028). */
#define ASSESS_PK "{'action':{'type':'tax_assessment','date':'2026-08-01','jurisdiction':'pk','income':[" \
    "{'income_class':'taxable_income','amount':'1000000','currency':'PKR'}]}," \
    "'subject':{'id':'tp-1','name':'Indus Traders Ltd','taxpayer_classes':['company']}}"
    out = evaluate_with(ix, ASSESS_PK, &eo, MEZ_TENSOR_DETAIL_FULL);
    c = json_array_get(json_object_get(dreason(out, "tax", "condition_not_evidenced"), "conditions"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    dl = json_object_get(c, "deadline");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
    CU_ASSERT_STRING_EQUAL(sget(dl, "rule"), "pk-tax-dl/annual-return");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_date"), "2027-04-30");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_by"), "2027-04-30T18:59:59Z");
    CU_ASSERT_PTR_NULL(json_object_get(dl, "from_date"));
    CU_ASSERT_PTR_NULL(json_object_get(dl, "tax_year_start"));
    eo.tax_year_start = "07-01";
    out = evaluate_with(ix, ASSESS_PK, &eo, MEZ_TENSOR_DETAIL_FULL);
    c = json_array_get(json_object_get(dreason(out, "tax", "condition_not_evidenced"), "conditions"), 0);
    dl = json_object_get(c, "deadline");
    CU_ASSERT_STRING_EQUAL(sget(dl, "due_date"), "2028-04-30");
    CU_ASSERT_STRING_EQUAL(sget(dl, "tax_year_start"), "07-01");
    /* An AML obligation's year stays the calendar year whatever the tax year. */
    out = evaluate_with(ix, PAY("2026-07-01", "services", "2000000", PAYEE_NON_FILER) "}", &eo,
                        MEZ_TENSOR_DETAIL_FULL);
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(met(out, "currency_transaction_report"), "deadline"),
                                       "tax_year_start"));
#undef ASSESS_PK
}

/* A deadline in no form is refused when the index is built, at its pointer. */
static void test_index_refuses_a_deadline_in_no_form(void)
{
    const json_t *doc = J("{'format':'mez-regpack/1','id':'bad-dl','jurisdiction_id':'pk','domain':'aml',"
                          "'sources':[{'id':'s','title':'S'}],'obligations':[{'id':'o','description':'d',"
                          "'deadline':{'days':7,'of':'following_month'},'valid_from':'2025-01-01','source':'s'}]}");
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_tensor_index_build(unit_pool(), &doc, 1, &ix, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.pack.invalid_field");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/obligations/0/deadline");
}

/* Evidence is relied on the day the write is made (the evidence date the pipeline passes: today), not on the day a
 * backdated action names: attestations that expired in between vouch for nothing. */
static void test_eval_evidence_judged_on_the_write_date(void)
{
#define EXPIRING_EVIDENCE "'evidence':{'kyc':{'attestations':[{'id':'kyc-1','issuer':'did:key:z6MkA'," \
    "'expires_at':'2025-12-31T00:00:00Z'}]},'aml':{'attestations':[{'id':'aml-1','issuer':'did:key:z6MkA'," \
    "'expires_at':'2025-12-31T00:00:00Z'}]}}"
    mez_tensor_index_t *ix = zone_index();
    const char *doc = PAY("2025-12-01", "services", "100000", PAYEE_NON_FILER) "," EXPIRING_EVIDENCE "}";
    mez_tensor_eval_options_t eo = { .evidence_date = "2026-03-01" };
    mez_problem_t pb = { 0 };
    json_t *out;
    const json_t *r;

    /* On the action's own date the attestations were fresh. */
    out = evaluate(ix, doc, NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "compliant");
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "kyc", "attested"));
    CU_ASSERT_PTR_NULL(json_object_get(out, "evidence_date"));
    /* Presented on 2026-03-01 they had expired: not attested, whatever the action's date; the tax law applied is
     * still the action's date's, and the result names the day the evidence was judged on. */
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(doc), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "non_compliant");
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "non_compliant");
    r = dreason(out, "kyc", "attestation_expired");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "expired"), 0)), "kyc-1");
    CU_ASSERT_PTR_NULL(dreason(out, "kyc", "attested"));
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "aml", "attestation_expired"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(out, "decision")), "non_compliant");
    CU_ASSERT_STRING_EQUAL(sget(out, "date"), "2025-12-01");
    CU_ASSERT_STRING_EQUAL(sget(out, "evidence_date"), "2026-03-01");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "valid_from"), "2025-07-01");
    /* An evidence date before the action's does not make older evidence good enough for it: the later day
     * counts, and the result is the one without the option. */
    eo.evidence_date = "2025-11-01";
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix,
                                              J(PAY("2026-01-15", "services", "100000", PAYEE_NON_FILER) ","
                                                EXPIRING_EVIDENCE "}"), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "kyc"), "non_compliant");
    CU_ASSERT_PTR_NULL(json_object_get(out, "evidence_date"));
    CU_ASSERT_STRING_EQUAL(canon(out), canon(evaluate(ix, PAY("2026-01-15", "services", "100000", PAYEE_NON_FILER)
                                                      "," EXPIRING_EVIDENCE "}", NULL)));
    eo.evidence_date = "2026-02-30";
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J(doc), &eo, &out, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.invalid_date");
#undef EXPIRING_EVIDENCE
}

/* The day evidence must cover is the day on the zone's calendar (opts.tz): an attestation that ends at 00:00 UTC on
 * 1 January covers 31 December in Karachi (it ends at 05:00 PKT) and in UTC, but not in Tegucigalpa, where it ends
 * at 18:00 on 31 December; one that ends at 20:00 UTC on 31 December covers Karachi's 31 December only. */
static void test_eval_evidence_day_on_the_zone_calendar(void)
{
    mez_tensor_index_t *ix = zone_index();
    const char *doc = PAY("2025-12-31", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}";
    const char *late = PAY("2025-12-31", "services", "2000000", PAYEE_NON_FILER)
        ",'evidence':{'aml':{'state':'compliant','attestations':[{'id':'aml-1','issuer':'did:key:z6MkA',"
        "'expires_at':'2025-12-31T20:00:00Z'}]}}}";
    mez_tensor_eval_options_t eo = { 0 };
    mez_problem_t pb = { 0 };
    const mez_tz_t *pk = NULL, *hn = NULL;
    json_t *out;

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "America/Tegucigalpa", &hn, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(evaluate(ix, doc, NULL), "aml"), "compliant");
    eo.tz = pk;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(doc), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(late), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "compliant");
    eo.tz = hn;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(doc), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "non_compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "aml", "attestation_expired"));
    eo.tz = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix, J(late), &eo, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "non_compliant");
}

/* Limits on the person's revenue (packs/ae-adgm's qfzp-de-minimis and sbr-mne-group-exclusion): a payment's amount
 * never meets them; without the figures they decide nothing (measure_not_given), with them they are met or not on
 * the lower of the money amount and the percentage of the other figure. A limit on the action's amount in the same
 * pack still is one. */
#define REVENUE_THRESHOLDS \
  "'thresholds':[{'id':'qfzp-de-minimis','obligation':'qfzp_de_minimis_non_qualifying_revenue'," \
  "'amount':{'amount':'5000000','currency':'AED','applies':'above'},'measure':'non_qualifying_revenue'," \
  "'percent':{'rate':'5','of':'total_revenue'},'combine':'lower_of','valid_from':'2023-06-01','source':'ct-law'}," \
  "{'id':'sbr-mne-group-exclusion','obligation':'small_business_relief_not_available'," \
  "'amount':{'amount':'3150000000','currency':'AED','applies':'above'},'measure':'consolidated_group_revenue'," \
  "'valid_from':'2023-06-01','valid_to':'2027-01-01','source':'ct-law'}," \
  "{'id':'large-payment','obligation':'large_payment_report','amount':{'amount':'1000000','currency':'AED'," \
  "'applies':'above'},'valid_from':'2023-06-01','source':'ct-law'}]"
#define AE_PAY(amount) \
  "{'action':{'type':'payment','date':'2025-12-31','jurisdiction':'ae-adgm','payment_type':'services'," \
  "'amount':{'amount':'" amount "','currency':'AED'}},'subject':{'id':'ent-1','name':'Falcon Trading FZ-LLC'}," \
  "'counterparty':{'id':'ent-2','name':'Gulf Supplies LLC'}}"
#define FIGURES(nqr, total) \
  ",'figures':{'non_qualifying_revenue':{'amount':'" nqr "','currency':'AED'},'total_revenue':{'amount':'" total \
  "','currency':'AED'},'consolidated_group_revenue':{'amount':'900000000','currency':'AED'}}"

static void test_eval_thresholds_measured_on_revenue(void)
{
    static const char *const packs[] = { CT_HEADER("ae-ct-thresholds", "ae") "'tax_rates':[" CT_ROWS "," QFZP_ROWS("")
                                         "]," REVENUE_THRESHOLDS "," CT_OBLIGATIONS "}" };
    mez_tensor_index_t *ix = index_of(packs, 1);
    json_t *out;
    const json_t *r;

    /* AED 6,000,000 paid is above AED 5,000,000, but it is not the payer's non-qualifying revenue. */
    out = evaluate(ix, AE_PAY("6000000"), NULL);
    r = dreason(out, "tax", "threshold_met");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "large_payment_report");
    r = dreason(out, "tax", "measure_not_given");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "qfzp_de_minimis_non_qualifying_revenue");
    CU_ASSERT_STRING_EQUAL(sget(r, "measure"), "non_qualifying_revenue");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/percent/of"), "total_revenue");
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "ae-ct-thresholds/qfzp-de-minimis");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    {
        const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), "tax"), "reasons");
        size_t i, met = 0;
        json_array_foreach(reasons, i, r)
            met += !strcmp(sget(r, "code"), "threshold_met");
        CU_ASSERT_EQUAL(met, 1);
    }
    /* A payment below every limit: the revenue rows still say they are not decided, nothing is met. */
    out = evaluate(ix, AE_PAY("1000"), NULL);
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_met"));
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "measure_not_given"));

    /* An assessment that gives no figures: the income tax decides (compliant), the revenue rows decide nothing. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person'", "") "}", NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "measure_not_given"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_met"));

    /* With the figures: 5 % of AED 100,000,000 is AED 5,000,000, the lower of the two is 5,000,000, and AED
     * 4,000,000 of non-qualifying revenue is not above it. */
    out = evaluate(ix, ASSESS(INCOME("non_qualifying_income", "100000"), "'qualifying_free_zone_person'",
                              FIGURES("4000000", "100000000")) "}", NULL);
    r = dreason(out, "tax", "threshold_not_met");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "qfzp_de_minimis_non_qualifying_revenue");
    CU_ASSERT_STRING_EQUAL(sget(r, "measured"), "4000000");
    CU_ASSERT_STRING_EQUAL(sget(r, "limit_applied"), "5000000");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_met"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "measure_not_given"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    /* 5 % of AED 60,000,000 is AED 3,000,000, now the lower: AED 4,000,000 is above it, the obligation opens. */
    out = evaluate(ix, ASSESS(INCOME("non_qualifying_income", "100000"), "'qualifying_free_zone_person'",
                              FIGURES("4000000", "60000000")) "}", NULL);
    r = dreason(out, "tax", "threshold_met");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "obligation"), "qfzp_de_minimis_non_qualifying_revenue");
    CU_ASSERT_STRING_EQUAL(sget(r, "limit_applied"), "3000000");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    /* A figure in another currency is not compared. */
    out = evaluate(ix, ASSESS(INCOME("non_qualifying_income", "100000"), "'qualifying_free_zone_person'",
                              ",'figures':{'non_qualifying_revenue':{'amount':'4000000','currency':'USD'},"
                              "'total_revenue':{'amount':'60000000','currency':'AED'}}") "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "currency_mismatch"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
}
#undef REVENUE_THRESHOLDS
#undef AE_PAY
#undef FIGURES

/* s. 153(1)(a) and (b) of the Income Tax Ordinance, 2001 except a payment "less than Rs 75,000 [Rs 30,000] in
 * aggregate during a financial year": the rows name the aggregate (threshold.aggregate), and an evaluation is given
 * what the payer already paid the payee in the tax year under it (action.figures). Rates as pk-wht-ty2026.yaml's. */
#define PACK_AGG "{'format':'mez-regpack/1','id':'pk-wht-agg','jurisdiction_id':'pk','domain':'tax'," \
  "'title':'Aggregate thresholds','as_of_date':'2025-07-01','sources':[{'id':'ito','title':'Income Tax Ordinance'}]," \
  "'withholding_rates':[" \
  "{'id':'s153-1-b-services','section':'153(1)(b)','law':{'lawpack':'pk-ito','eid':'sec_153__subsec_1__para_b'}," \
  "'payment_type':'services','payee_class':'any','rates':{'filer':'15','non_filer':'30'}," \
  "'threshold':{'amount':'30000','currency':'PKR','applies':'at_or_above','aggregate':'services_paid_to_payee'}," \
  "'valid_from':'2025-07-01','valid_to':'2026-07-01','source':'ito'}," \
  "{'id':'s153-1-b-it','section':'153(1)(b)','payment_type':'services_it','payee_class':'any'," \
  "'rates':{'filer':'4','non_filer':'8'}," \
  "'threshold':{'amount':'30000','currency':'PKR','applies':'at_or_above','aggregate':'services_paid_to_payee'}," \
  "'valid_from':'2025-07-01','valid_to':'2026-07-01','source':'ito'}," \
  "{'id':'s153-1-a-goods','section':'153(1)(a)','payment_type':'goods','payee_class':'any'," \
  "'rates':{'filer':'5','non_filer':'10'}," \
  "'threshold':{'amount':'75000','currency':'PKR','applies':'at_or_above','aggregate':'goods_paid_to_payee'}," \
  "'valid_from':'2025-07-01','source':'ito'}]}"
#define AGG_PAY(ptype, amount, figures) \
    "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk-sifc','payment_type':'" ptype "'," \
    "'amount':{'amount':'" amount "','currency':'PKR'}" figures "},'subject':" SUBJECT ",'counterparty':" \
    PAYEE_NON_FILER "}"
#define PAID(name, amount) ",'figures':{'" name "':{'amount':'" amount "','currency':'PKR'}}"

static const json_t *only_line(const json_t *out)
{
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(out, "withholding")), 1);
    return json_array_get(json_object_get(out, "withholding"), 0);
}

static void test_eval_withholding_on_an_aggregate(void)
{
    static const char *const packs[] = { PACK_AGG };
    mez_tensor_index_t *ix = index_of(packs, 1);
    const json_t *w, *r;
    json_t *out;

    /* Below: the first Rs 20,000 of the year, nothing before it. Not withheld, and the figures say why. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "0")), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    r = dreason(out, "tax", "threshold_not_met");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-agg/s153-1-b-services");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/amount"), "30000");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/aggregate"), "services_paid_to_payee");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/name"), "services_paid_to_payee");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/judged_on"), "aggregate");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/paid_before"), "0");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/this_payment"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/including_this_payment"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/currency"), "PKR");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "earlier_payments_not_deducted"));
    /* Just below with what came before: Rs 9,999.99 + Rs 20,000. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "9999.99")), NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "threshold_not_met"), "aggregate/including_this_payment"),
                           "29999.99");

    /* Crossing: Rs 20,000 paid before, Rs 20,000 now, Rs 40,000 in all. Withheld at 30 % (non-filer) on this
     * payment's Rs 20,000 only; the Rs 20,000 before, from which nothing was deducted, is named. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "20000")), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    w = only_line(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "section"), "153(1)(b)");
    CU_ASSERT_STRING_EQUAL(sget(w, "rate"), "30");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "6000");
    CU_ASSERT_STRING_EQUAL(sget(w, "base_amount"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/paid_before"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/this_payment"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/including_this_payment"), "40000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/not_deducted_before"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(w, "threshold/aggregate"), "services_paid_to_payee");
    r = dreason(out, "tax", "earlier_payments_not_deducted");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-agg/s153-1-b-services");
    CU_ASSERT_STRING_EQUAL(sget(r, "section"), "153(1)(b)");
    CU_ASSERT_STRING_EQUAL(sget(r, "law/eid"), "sec_153__subsec_1__para_b");
    CU_ASSERT_STRING_EQUAL(sget(r, "amount"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(r, "currency"), "PKR");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(r, "detail"), "the payer accounts for the tax on the earlier payments"));
    r = dreason(out, "tax", "withholding_applies");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate/including_this_payment"), "40000");
    /* At the limit exactly (at_or_above): Rs 10,000 + Rs 20,000. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "10000")), NULL);
    w = only_line(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "6000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/including_this_payment"), "30000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/not_deducted_before"), "10000");
    /* After: the limit was passed before (Rs 40,000), so this payment is withheld and nothing more is owed on
     * the earlier ones here (the one that crossed said so). */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "40000")), NULL);
    w = only_line(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "6000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/including_this_payment"), "60000");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(w, "aggregate"), "not_deducted_before"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "earlier_payments_not_deducted"));
    /* A payment that reaches the limit alone, the first of the year: nothing before it was left undeducted. */
    out = evaluate(ix, AGG_PAY("services", "50000", PAID("services_paid_to_payee", "0")), NULL);
    CU_ASSERT_STRING_EQUAL(sget(only_line(out), "amount"), "15000");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "earlier_payments_not_deducted"));
    /* Another row of the same provision adds to the same aggregate: IT services at 8 %. */
    out = evaluate(ix, AGG_PAY("services_it", "20000", PAID("services_paid_to_payee", "20000")), NULL);
    w = only_line(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "rule"), "pk-wht-agg/s153-1-b-it");
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "1600");

    /* Another provision's aggregate is not this one's: what was paid for goods does not bring services to their
     * limit, and is not read as if it did. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("goods_paid_to_payee", "500000")), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "aggregate_not_given"));
    out = evaluate(ix, AGG_PAY("goods", "70000", PAID("services_paid_to_payee", "20000") ), NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "aggregate_not_given"));
    out = evaluate(ix, AGG_PAY("goods", "70000", PAID("goods_paid_to_payee", "4999.99")), NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "tax", "threshold_not_met"), "aggregate/including_this_payment"),
                           "74999.99");
    out = evaluate(ix, AGG_PAY("goods", "70000", PAID("goods_paid_to_payee", "5000")), NULL);
    CU_ASSERT_STRING_EQUAL(sget(only_line(out), "amount"), "7000");

    /* Without the figure: a payment below the limit alone cannot be judged (pending, naming what to give); one
     * that reaches it alone is withheld, judged on itself. */
    out = evaluate(ix, AGG_PAY("services", "20000", ""), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "withholding")), 0);
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_not_met"));
    r = dreason(out, "tax", "aggregate_not_given");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-wht-agg/s153-1-b-services");
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate"), "services_paid_to_payee");
    CU_ASSERT_STRING_EQUAL(sget(r, "this_payment"), "20000");
    CU_ASSERT_STRING_EQUAL(sget(r, "threshold/amount"), "30000");
    CU_ASSERT_PTR_NOT_NULL(strstr(sget(r, "detail"), "action.figures.services_paid_to_payee"));
    out = evaluate(ix, AGG_PAY("services", "30000", ""), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    w = only_line(out);
    CU_ASSERT_STRING_EQUAL(sget(w, "amount"), "9000");
    CU_ASSERT_STRING_EQUAL(sget(w, "aggregate/judged_on"), "this_payment");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(w, "aggregate"), "paid_before"));

    /* A figure in another currency is not added to a rupee limit. */
    out = evaluate(ix, AGG_PAY("services", "20000", ",'figures':{'services_paid_to_payee':{'amount':'100',"
                                                    "'currency':'USD'}}"), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    r = dreason(out, "tax", "currency_mismatch");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "aggregate"), "services_paid_to_payee");
    CU_ASSERT_STRING_EQUAL(sget(r, "currency"), "USD");
    /* A sum too large to add exactly is not guessed. */
    out = evaluate(ix, AGG_PAY("services", "20000", PAID("services_paid_to_payee", "999999999999999999")), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "amount_out_of_range"));
    /* Naming the row keeps the aggregate: named, below the limit in aggregate, nothing withheld. */
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk-sifc','payment_type':"
                       "'services','withholding_rule':'s153-1-b-services','amount':{'amount':'20000','currency':'PKR'}"
                       PAID("services_paid_to_payee", "0") "},'subject':" SUBJECT ",'counterparty':" PAYEE_NON_FILER
                       "}", NULL);
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "tax", "threshold_not_met"));
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "selected_rule_not_applicable"));

    /* The aggregates a payment needs, for the zone to fetch: one per provision, in force on the date. */
    {
        apr_array_header_t *ags = mez_tensor_withholding_aggregates(unit_pool(), ix, "pk-sifc", "services_it",
                                                                    "2025-09-01");
        const mez_tensor_aggregate_t *ag;
        CU_ASSERT_EQUAL_FATAL(ags->nelts, 1);
        ag = &APR_ARRAY_IDX(ags, 0, mez_tensor_aggregate_t);
        CU_ASSERT_STRING_EQUAL(ag->name, "services_paid_to_payee");
        CU_ASSERT_STRING_EQUAL(ag->section, "153(1)(b)");
        CU_ASSERT_STRING_EQUAL(ag->currency, "PKR");
        CU_ASSERT_STRING_EQUAL(ag->valid_to, "2026-07-01");
        ag = &APR_ARRAY_IDX(mez_tensor_withholding_aggregates(unit_pool(), ix, "pk", "goods", "2030-01-01"), 0,
                            mez_tensor_aggregate_t);
        CU_ASSERT_STRING_EQUAL(ag->name, "goods_paid_to_payee");
        CU_ASSERT_PTR_NULL(ag->valid_to);
        CU_ASSERT_EQUAL(mez_tensor_withholding_aggregates(unit_pool(), ix, "pk", "services", "2026-07-01")->nelts, 0);
        CU_ASSERT_EQUAL(mez_tensor_withholding_aggregates(unit_pool(), ix, "ae", "services", "2025-09-01")->nelts, 0);
        CU_ASSERT_EQUAL(mez_tensor_withholding_aggregates(unit_pool(), ix, "pk", "rent", "2025-09-01")->nelts, 0);
        CU_ASSERT_EQUAL(mez_tensor_withholding_aggregates(unit_pool(), ix, "pk", "services", "2025-13-01")->nelts, 0);
    }
}

/* A figure given for a payment is read as any amount is: refused at its pointer when malformed. */
static void test_action_figures_of_a_payment(void)
{
    mez_tensor_action_t a;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_tensor_action_parse(unit_pool(), J(AGG_PAY("services", "20000",
                                                                         PAID("services_paid_to_payee", "20000.50"))),
                                                  &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(a.n_figures, 1);
    CU_ASSERT_STRING_EQUAL(a.figures[0].name, "services_paid_to_payee");
    CU_ASSERT_STRING_EQUAL(a.figures[0].amount_text, "20000.50");
    expect_action_problem(AGG_PAY("services", "20000", ",'figures':{'services_paid_to_payee':{'amount':20000,"
                                                       "'currency':'PKR'}}"),
                          "tensor.invalid_amount", "/action/figures/services_paid_to_payee/amount");
    expect_action_problem(AGG_PAY("services", "20000", PAID("services_paid_to_payee", "-1")),
                          "tensor.invalid_amount", "/action/figures/services_paid_to_payee/amount");
    expect_action_problem(AGG_PAY("services", "20000", ",'figures':{'services_paid_to_payee':{'amount':'1',"
                                                       "'currency':'Rs'}}"),
                          "tensor.invalid_currency", "/action/figures/services_paid_to_payee/currency");
    expect_action_problem(AGG_PAY("services", "20000", PAID("Services Paid", "1")), "tensor.invalid_value",
                          "/action/figures/Services Paid");
    expect_action_problem(AGG_PAY("services", "20000", ",'figures':[]"), "tensor.invalid_field", "/action/figures");
    expect_action_problem("{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'"
                          PAID("x", "1") "},'subject':" SUBJECT "}", "tensor.unknown_field", "/action/figures");
}

#undef PACK_AGG
#undef AGG_PAY
#undef PAID

static void test_eval_deterministic_and_committed(void)
{
    mez_tensor_index_t *ix = zone_index();
    json_t *a = evaluate(ix, PAY("2025-09-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}", NULL);
    /* Same content, members in another order: byte-identical canonical output. */
    json_t *b = evaluate(ix, "{'evidence':{'kyc':{'attestations':[{'issuer':'did:key:z6MkA','id':'kyc-1'}]},"
                             "'aml':{'attestations':[{'expires_at':'2026-01-01T00:00:00Z','issuer':'did:key:z6MkA',"
                             "'id':'aml-1'}],'state':'compliant'}},'counterparty':" PAYEE_NON_FILER ",'subject':"
                             SUBJECT ",'action':{'amount':{'currency':'PKR','amount':'2000000'},'payment_type':'services',"
                             "'jurisdiction':'pk-sifc','date':'2025-09-01','type':'payment'}}", NULL);
    mez_tensor_cells_t cells;
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    const char *key;
    json_t *v;
    CU_ASSERT_STRING_EQUAL(canon(a), canon(b));
    /* The commitment is the reference's, over the 20 states of the result. */
    mez_tensor_cells_clear(&cells);
    json_object_foreach(json_object_get(a, "domains"), key, v) {
        mez_domain_t dom;
        mez_state_t st;
        CU_ASSERT_EQUAL(mez_domain_parse(unit_pool(), key, NULL, &dom, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_state_parse(unit_pool(), json_string_value(json_object_get(v, "state")), NULL, &st, &pb),
                        MEZ_OK);
        mez_tensor_cells_set(&cells, dom, st);
    }
    CU_ASSERT_EQUAL(cells.present, MEZ_DOMAIN_ALL);
    CU_ASSERT_EQUAL(mez_tensor_commitment(unit_pool(), "pk-sifc", &cells, &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "commitment")), mez_digest_format(unit_pool(), &d));
}

static void test_eval_jurisdictions_and_options(void)
{
    mez_tensor_index_t *ix = zone_index();
    mez_tensor_eval_options_t opts = { .domains = MEZ_DOMAIN_BIT(MEZ_DOMAIN_KYC) };
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    mez_state_t decision;

    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J("{'action':{'type':'entity_formation','date':'2025-09-01',"
                                                            "'jurisdiction':'kz-aifc'},'subject':" SUBJECT "}"),
                                        NULL, &out, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_jurisdiction");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/action/jurisdiction");
    CU_ASSERT_PTR_NULL(out);
    /* "pkx" is not a zone of "pk". */
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J("{'action':{'type':'entity_formation','date':'2025-09-01',"
                                                            "'jurisdiction':'pkx'},'subject':" SUBJECT "}"),
                                        NULL, &out, NULL, &pb), MEZ_EINVAL);
    /* An ADGM action sees only the ADGM licence pack: no lists, so sanctions cannot be cleared. */
    out = evaluate(ix, "{'action':{'type':'licence_application','date':'2025-09-01','jurisdiction':'ae-adgm'},"
                       "'subject':" SUBJECT "}", &decision);
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "sanctions", "no_sanctions_list"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "not_applicable");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_PENDING);
    /* A zone that evaluates only kyc still screens sanctions. */
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J(PAY("2025-09-01", "services", "1000000", PAYEE_NON_FILER)
                                                           ",'evidence':{'kyc':{'state':'compliant'}}}"),
                                        &opts, &out, &decision, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "not_applicable");
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_COMPLIANT);
    /* Action problems pass through. */
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J("{'action':{'type':'payment'}}"), NULL, &out, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.missing_field");
}

/* ------------------------------------------------------------------ licence applications */

#define PACK_LICENCES "{'format':'mez-licensepack/1','id':'pk-lic-test','jurisdiction_id':'pk','domain':'licensing'," \
  "'title':'Test licences','as_of_date':'2025-07-01'," \
  "'sources':[{'id':'regs','title':'Broker Regulations','url':'https://example.org/regs','date':'2018-01-01'}]," \
  "'regulators':[{'id':'pk-test','name':'Test Commission','jurisdiction_id':'pk','source':'regs'}]," \
  "'licence_types':[" \
  "{'id':'pk-test:broker','name':'Broker','regulator':'pk-test','valid_from':'2025-01-01','source':'regs'," \
  "'requirements':[" \
  "{'id':'min-directors','description':'At least two directors','count':2,'source':'regs','source_detail':'reg. 5'}," \
  "{'id':'min-capital','description':'Paid-up capital of Rs 35 million','amount':{'amount':'35000000'," \
  "'currency':'PKR'},'source':'regs','source_detail':'reg. 6'}," \
  "{'id':'later-rule','description':'Applies from 2026','valid_from':'2026-01-01','source':'regs'}]," \
  "'fees':[{'id':'registration-online','fee_type':'registration','filing':'online','amount':{'amount':'5000'," \
  "'currency':'PKR'},'source':'regs','source_detail':'Schedule 1'}]}," \
  "{'id':'pk-test:old','name':'Old licence','regulator':'pk-test','valid_from':'2020-01-01','valid_to':'2024-01-01'," \
  "'source':'regs','requirements':[{'id':'r','description':'x','source':'regs'}]}," \
  "{'id':'pk-test:bare','name':'No requirements encoded','regulator':'pk-test','valid_from':'2020-01-01'," \
  "'source':'regs'}]}"

#define LICENCE_APP(type, subject, evidence) \
    "{'action':{'type':'licence_application','date':'2025-09-01','jurisdiction':'pk-sifc','licence_type':'" type \
    "'},'subject':" subject ",'evidence':{" evidence "}}"
#define APPLICANT(capital) "{'id':'ent-1','name':'Acme Brokers (Pvt) Ltd','entity_class':'company'" capital "}"
#define ATTEST(id, expires, obligations) \
    "{'id':'" id "','issuer':'did:key:z','expires_at':'" expires "','obligations':[" obligations "]}"
#define BOTH "'min-directors','min-capital'"

static mez_tensor_index_t *licence_index(void)
{
    static const char *const packs[] = { PACK_LISTS, PACK_LICENCES };
    return index_of(packs, 2);
}

/* The reason of a domain with this code and requirement, or NULL. */
static const json_t *req_reason(const json_t *out, const char *code, const char *requirement)
{
    const json_t *reasons =
        json_object_get(json_object_get(json_object_get(out, "domains"), "licensing"), "reasons"), *r;
    size_t i;
    json_array_foreach(reasons, i, r) {
        if (!strcmp(sget(r, "code"), code) && sget(r, "requirement") && !strcmp(sget(r, "requirement"), requirement))
            return r;
    }
    return NULL;
}

static void test_eval_licence_pending_without_evidence(void)
{
    mez_tensor_index_t *ix = licence_index();
    mez_state_t decision;
    json_t *out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(""), ""), &decision);
    const json_t *r, *fees;
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_PENDING);
    r = dreason(out, "licensing", "licence_type");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-lic-test/pk-test:broker");
    CU_ASSERT_STRING_EQUAL(sget(r, "regulator"), "pk-test");
    /* Every requirement in force is cited with its figure and source, and waits for its evidence. */
    r = req_reason(out, "requirement_unevidenced", "min-directors");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-lic-test/pk-test:broker/min-directors");
    CU_ASSERT_STRING_EQUAL(sget(r, "description"), "At least two directors");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "count")), 2);
    CU_ASSERT_STRING_EQUAL(sget(r, "source/id"), "regs");
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "reg. 5");
    CU_ASSERT_STRING_EQUAL(sget(r, "valid_from"), "2025-01-01");
    r = req_reason(out, "requirement_unevidenced", "min-capital");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "amount/amount"), "35000000");
    CU_ASSERT_STRING_EQUAL(sget(r, "amount/currency"), "PKR");
    CU_ASSERT_PTR_NULL(json_object_get(r, "count"));
    /* Not yet in force on the date: not a requirement of this application. */
    CU_ASSERT_PTR_NULL(req_reason(out, "requirement_unevidenced", "later-rule"));
    fees = json_object_get(out, "fees");
    CU_ASSERT_EQUAL_FATAL(json_array_size(fees), 1);
    r = json_array_get(fees, 0);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-lic-test/pk-test:broker/registration-online");
    CU_ASSERT_STRING_EQUAL(sget(r, "fee_type"), "registration");
    CU_ASSERT_STRING_EQUAL(sget(r, "filing"), "online");
    CU_ASSERT_STRING_EQUAL(sget(r, "amount/amount"), "5000");
    CU_ASSERT_STRING_EQUAL(sget(r, "source/id"), "regs");
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "Schedule 1");
    /* Other domains are as before. */
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "not_applicable");
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
    /* One requirement attested: the other is still pending. */
    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(""),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", "'min-directors'")
                                   "]}"), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
    CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_evidenced", "min-directors"));
    CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_unevidenced", "min-capital"));
    /* An attestation expired before the date evidences nothing, and fails the domain (the evidence rule). */
    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(""),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", "'min-directors'")
                                   "," ATTEST("a2", "2025-08-31T00:00:00Z", "'min-capital'") "]}"), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "non_compliant");
    CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_unevidenced", "min-capital"));
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "licensing", "attestation_expired"));
    /* Fresh on the application's date but expired by the day it is presented (the evidence date): a requirement
     * it names is not evidenced either. */
    {
        mez_tensor_eval_options_t eo = { .evidence_date = "2025-10-01" };
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(unit_pool(), ix,
                                                  J(LICENCE_APP("pk-test:broker", APPLICANT(""),
                                                                "'licensing':{'attestations':["
                                                                ATTEST("a1", "2030-01-01T00:00:00Z", "'min-directors'")
                                                                "," ATTEST("a2", "2025-09-30T00:00:00Z",
                                                                           "'min-capital'") "]}")),
                                                  &eo, &out, NULL, &pb), MEZ_OK);
        CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_evidenced", "min-directors"));
        CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_unevidenced", "min-capital"));
        CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "non_compliant");
    }
    /* Evidence stated without attestations names no requirement. */
    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(""), "'licensing':{'state':'compliant'}"), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
}

static void test_eval_licence_compliant_and_capital(void)
{
    mez_tensor_index_t *ix = licence_index();
    mez_state_t decision;
    json_t *out;
    const json_t *r;

    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(",'capital':{'amount':'35000000','currency':'PKR'}"),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", BOTH) "]}"),
                   &decision);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "compliant");
    /* corporate, which no rule decides, still waits for its own evidence. */
    CU_ASSERT_EQUAL(decision, MEZ_STATE_PENDING);
    CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_evidenced", "min-directors"));
    r = req_reason(out, "requirement_evidenced", "min-capital");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "capital/amount"), "35000000");
    CU_ASSERT_PTR_NULL(json_object_get(r, "capital_not_compared"));

    /* Below the minimum by the applicant's own figure: fails, whatever is attested. */
    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(",'capital':{'amount':'34999999.99','currency':'PKR'}"),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", BOTH) "]}"),
                   &decision);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "non_compliant");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
    r = req_reason(out, "requirement_not_met", "min-capital");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "rule"), "pk-lic-test/pk-test:broker/min-capital");
    CU_ASSERT_STRING_EQUAL(sget(r, "source_detail"), "reg. 6");
    CU_ASSERT_PTR_NOT_NULL(req_reason(out, "requirement_evidenced", "min-directors"));

    /* Another currency is not converted: not compared, so the attestation decides. */
    out = evaluate(ix, LICENCE_APP("pk-test:broker", APPLICANT(",'capital':{'amount':'1','currency':'USD'}"),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", BOTH) "]}"),
                   NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "compliant");
    r = req_reason(out, "requirement_evidenced", "min-capital");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "capital_not_compared"));
}

static void test_eval_licence_not_in_force_and_unknown(void)
{
    mez_tensor_index_t *ix = licence_index();
    mez_problem_t pb = { 0 };
    json_t *out = NULL;
    const json_t *r;

    out = evaluate(ix, LICENCE_APP("pk-test:old", APPLICANT(""),
                                   "'licensing':{'attestations':[" ATTEST("a1", "2030-01-01T00:00:00Z", "'r'") "]}"),
                   NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "non_compliant");
    r = dreason(out, "licensing", "licence_type_not_in_force");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sget(r, "valid_to"), "2024-01-01");
    CU_ASSERT_PTR_NULL(dreason(out, "licensing", "requirement_evidenced"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(out, "fees")), 0);

    /* No requirement encoded: the evidence decides, as for a domain no rule decides. */
    out = evaluate(ix, LICENCE_APP("pk-test:bare", APPLICANT(""), ""), NULL);
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
    CU_ASSERT_PTR_NOT_NULL(dreason(out, "licensing", "licence_type"));

    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, J(LICENCE_APP("pk-test:nope", APPLICANT(""), "")), NULL,
                                        &out, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_licence_type");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/action/licence_type");
    CU_ASSERT_PTR_NULL(out);
    /* A Pakistani licence type is unknown in a jurisdiction its pack does not bind. */
    pb = (mez_problem_t){ 0 };
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix,
                                        J("{'action':{'type':'licence_application','date':'2025-09-01',"
                                          "'jurisdiction':'pkx','licence_type':'pk-test:broker'},'subject':" SUBJECT "}"),
                                        NULL, &out, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.unknown_jurisdiction");

    /* No licence type named, or not a licence application: no fees member, as before. */
    out = evaluate(ix, "{'action':{'type':'licence_application','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':" SUBJECT "}", NULL);
    CU_ASSERT_PTR_NULL(json_object_get(out, "fees"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "licensing"), "pending");
    CU_ASSERT_PTR_NULL(dreason(out, "licensing", "licence_type"));
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':" SUBJECT "}", NULL);
    CU_ASSERT_PTR_NULL(json_object_get(out, "fees"));

    /* capital is the applicant's alone. */
    expect_action_problem("{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                          "'subject':" APPLICANT(",'capital':{'amount':'1','currency':'PKR'}") "}",
                          "tensor.unknown_field", "/subject/capital");
    expect_action_problem("{'action':{'type':'licence_application','date':'2025-09-01','jurisdiction':'pk'},"
                          "'subject':" SUBJECT ",'counterparty':" APPLICANT(",'capital':{'amount':'1','currency':'PKR'}")
                          "}", "tensor.unknown_field", "/counterparty/capital");
    expect_action_problem(LICENCE_APP("pk-test:broker", APPLICANT(",'capital':{'amount':1,'currency':'PKR'}"), ""),
                          "tensor.invalid_amount", "/subject/capital/amount");
}

static void expect_pack_problem(const char *pack, const char *code, const char *pointer);

static void expect_pack_problem(const char *pack, const char *code, const char *pointer)
{
    const json_t *doc = J(pack);
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_tensor_index_build(unit_pool(), &doc, 1, &ix, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(ix);
    if (!pb.code)
        return;
    if (strcmp(pb.code, code) || strcmp(pb.pointer ? pb.pointer : "(null)", pointer))
        fprintf(stderr, "\nwanted %s at %s, got %s at %s: %s\n", code, pointer, pb.code, pb.pointer, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "(null)", pointer);
}

#define HDR "'format':'mez-regpack/1','id':'p','jurisdiction_id':'pk','domain':'tax','sources':[{'id':'s'}]"
#define ROW "'id':'r','section':'1','payment_type':'x','payee_class':'any','valid_from':'2025-07-01','source':'s'"
#define TAXROW "'id':'t','tax':'cit','article':'3','taxpayer_class':'taxable_person','income_class':'taxable_income'," \
               "'valid_from':'2023-06-01','source':'s'"

#define LHDR "'format':'mez-licensepack/1','id':'l','jurisdiction_id':'pk','domain':'licensing','sources':[{'id':'s'}]"
#define LTYPE "'id':'pk-x:y','regulator':'pk-x','valid_from':'2025-01-01','source':'s'"

/* AML limits for classes of person (packs/README.md thresholds applies_to; figures illustrative, shaped as
 * packs/ae-adgm/regpacks/ae-aml-cft.yaml's), one for whoever acts, and a revenue limit for one taxpayer class. */
#define PACK_CLASSES "{'format':'mez-regpack/1','id':'ae-aml-classes','jurisdiction_id':'ae','domain':'aml'," \
  "'sources':[{'id':'cd-10','title':'Cabinet Decision 10/2019'}],'thresholds':[" \
  "{'id':'cdd-occasional','obligation':'customer_due_diligence','transaction_type':'occasional_transaction'," \
  "'applies_to':['financial_institution','dnfbp'],'amount':{'amount':'55000','currency':'AED','applies':'at_or_above'}," \
  "'valid_from':'2019-02-10','source':'cd-10'}," \
  "{'id':'dpms-report','obligation':'dpms_report_goaml','applies_to':['dpms'],'amount':{'amount':'55000'," \
  "'currency':'AED','applies':'at_or_above'},'valid_from':'2019-02-10','source':'cd-10'}," \
  "{'id':'large-transfer','obligation':'large_transfer_record','amount':{'amount':'1000','currency':'AED'," \
  "'applies':'above'},'valid_from':'2019-02-10','source':'cd-10'}]}"
#define PACK_CLASS_REVENUE CT_HEADER("ae-ct-classes", "ae") "'tax_rates':[" CT_ROWS "]," \
  "'thresholds':[{'id':'qfzp-revenue','obligation':'qfzp_revenue_review','applies_to':['qualifying_free_zone_person']," \
  "'amount':{'amount':'5000000','currency':'AED','applies':'above'},'measure':'total_revenue'," \
  "'valid_from':'2023-06-01','source':'ct-law'}]}"
#define CLASS_PAY(classes) \
  "{'action':{'type':'payment','date':'2025-12-31','jurisdiction':'ae-adgm','payment_type':'services'," \
  "'amount':{'amount':'60000','currency':'AED'}},'subject':{'id':'ent-1','name':'Falcon Trading FZ-LLC'" classes "}," \
  "'counterparty':{'id':'ent-2','name':'Gulf Supplies LLC'}}"

/* sget, "(none)" for a member that is not there (so that a failed check fails rather than crashes). */
static const char *sv(const json_t *o, const char *path)
{
    const char *v = o ? sget(o, path) : NULL;
    return v ? v : "(none)";
}

/* The threshold_met or threshold_class_not_bound reason of rule "ae-aml-classes/<id>" in the aml domain. */
static const json_t *class_reason(const json_t *out, const char *code, const char *id)
{
    const json_t *reasons = json_object_get(json_object_get(json_object_get(out, "domains"), "aml"), "reasons"), *r;
    const char *rule = apr_pstrcat(unit_pool(), "ae-aml-classes/", id, NULL);
    size_t i;
    json_array_foreach(reasons, i, r)
        if (!strcmp(sv(r, "code"), code) && !strcmp(sv(r, "rule"), rule))
            return r;
    return NULL;
}

/* A threshold's applies_to names the classes of person it binds: checked against the classes the subject declares
 * (subject.taxpayer_classes). A limit for another class opens nothing (threshold_class_not_bound); one for the
 * subject's class opens its obligation naming the class; a subject that declares none leaves the binding open, so
 * each limit met opens its obligation, as one that may be owed (the treatment of the rows' other conditions the
 * action carries no facts for). Before, applies_to was only reported among unchecked_conditions. */
static void test_eval_threshold_applies_to(void)
{
    static const char *const packs[] = { PACK_CLASSES, PACK_CLASS_REVENUE };
    mez_tensor_index_t *ix = index_of(packs, 2);
    const json_t *r;
    json_t *out;

    /* A financial institution: the CDD limit binds it, the DPMS report does not; the limit without applies_to
     * binds whoever acts. */
    out = evaluate(ix, CLASS_PAY(",'taxpayer_classes':['financial_institution']"), NULL);
    r = class_reason(out, "threshold_met", "cdd-occasional");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sv(r, "subject_class"), "financial_institution");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "applies_to")), 2);
    CU_ASSERT_STRING_EQUAL(sv(r, "unchecked_conditions/transaction_type"), "occasional_transaction");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(r, "unchecked_conditions"), "applies_to"));
    CU_ASSERT_PTR_NULL(class_reason(out, "threshold_met", "dpms-report"));
    r = class_reason(out, "threshold_class_not_bound", "dpms-report");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "applies_to"), 0)), "dpms");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "subject_classes"), 0)),
                           "financial_institution");
    CU_ASSERT_STRING_EQUAL(sv(r, "obligation"), "dpms_report_goaml");
    CU_ASSERT_STRING_EQUAL(sv(r, "threshold/amount"), "55000");
    r = class_reason(out, "threshold_met", "large-transfer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_PTR_NULL(json_object_get(r, "applies_to"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "pending");

    /* A dealer in precious metals: the other way round; a subject of two classes is bound by either's limits. */
    out = evaluate(ix, CLASS_PAY(",'taxpayer_classes':['dpms']"), NULL);
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_class_not_bound", "cdd-occasional"));
    CU_ASSERT_STRING_EQUAL(sv(class_reason(out, "threshold_met", "dpms-report"), "subject_class"), "dpms");
    out = evaluate(ix, CLASS_PAY(",'taxpayer_classes':['dpms','dnfbp']"), NULL);
    CU_ASSERT_STRING_EQUAL(sv(class_reason(out, "threshold_met", "cdd-occasional"), "subject_class"), "dnfbp");
    CU_ASSERT_STRING_EQUAL(sv(class_reason(out, "threshold_met", "dpms-report"), "subject_class"), "dpms");

    /* Bound by none: no obligation of these limits is the subject's; only the one for whoever acts is open. */
    out = evaluate(ix, CLASS_PAY(",'taxpayer_classes':['traveller']"), NULL);
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_class_not_bound", "cdd-occasional"));
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_class_not_bound", "dpms-report"));
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_met", "large-transfer"));
    CU_ASSERT_PTR_NULL(class_reason(out, "threshold_met", "cdd-occasional"));

    /* No class given: whom the limits bind is not known, so each met limit opens its obligation, saying so. */
    out = evaluate(ix, CLASS_PAY(""), NULL);
    r = class_reason(out, "threshold_met", "cdd-occasional");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_PTR_NULL(json_object_get(r, "subject_class"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "applies_to")), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(sv(r, "detail"), "declares none"));
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_met", "dpms-report"));
    CU_ASSERT_PTR_NULL(class_reason(out, "threshold_class_not_bound", "dpms-report"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "aml"), "pending");
    CU_ASSERT_PTR_NOT_NULL(strstr(sv(dreason(out, "aml", "no_attestation"), "detail"), "obligation above is open"));

    /* A transfer's subject declares its classes too; a payee (counterparty) and a formation's subject do not. */
    out = evaluate(ix, "{'action':{'type':'cross_border_transfer','date':'2025-12-31','jurisdiction':'ae-adgm',"
                       "'payment_type':'services','amount':{'amount':'60000','currency':'AED'}},'subject':{'id':'e',"
                       "'name':'Falcon Trading FZ-LLC','taxpayer_classes':['traveller']}}", NULL);
    CU_ASSERT_PTR_NOT_NULL(class_reason(out, "threshold_class_not_bound", "cdd-occasional"));
    expect_action_problem("{'action':{'type':'payment','date':'2025-12-31','jurisdiction':'ae','payment_type':'x',"
                          "'amount':{'amount':'1','currency':'AED'}},'subject':{'id':'e','name':'n'},'counterparty':"
                          "{'id':'c','name':'m','taxpayer_classes':['dpms']}}", "tensor.unknown_field",
                          "/counterparty/taxpayer_classes");
    expect_action_problem("{'action':{'type':'entity_formation','date':'2025-12-31','jurisdiction':'ae'},'subject':"
                          "{'id':'e','name':'n','taxpayer_classes':['dpms']}}", "tensor.unknown_field",
                          "/subject/taxpayer_classes");
    expect_action_problem(CLASS_PAY(",'taxpayer_classes':[]"), "tensor.invalid_field", "/subject/taxpayer_classes");

    /* A limit on a taxpayer's figure for one class of taxpayer: not the limit of another class. */
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person'",
                              ",'figures':{'total_revenue':{'amount':'9000000','currency':'AED'}}") "}", NULL);
    r = dreason(out, "tax", "threshold_class_not_bound");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sv(r, "rule"), "ae-ct-classes/qfzp-revenue");
    CU_ASSERT_PTR_NULL(dreason(out, "tax", "threshold_met"));
    CU_ASSERT_STRING_EQUAL(dstate(out, "tax"), "compliant");
    out = evaluate(ix, ASSESS(INCOME("taxable_income", "1000000"), "'taxable_person','qualifying_free_zone_person'",
                              ",'figures':{'total_revenue':{'amount':'9000000','currency':'AED'}}") "}", NULL);
    r = dreason(out, "tax", "threshold_met");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(sv(r, "subject_class"), "qualifying_free_zone_person");

    /* applies_to in a pack: a non-empty list of classes. */
    expect_pack_problem("{'format':'mez-regpack/1','id':'p','jurisdiction_id':'ae','domain':'aml','sources':[{'id':'s'}],"
                        "'thresholds':[{'id':'t','obligation':'o','applies_to':[],'amount':{'amount':'1','currency':"
                        "'AED','applies':'above'},'valid_from':'2020-01-01','source':'s'}]}", "tensor.pack.invalid_field",
                        "/thresholds/0/applies_to");
    expect_pack_problem("{'format':'mez-regpack/1','id':'p','jurisdiction_id':'ae','domain':'aml','sources':[{'id':'s'}],"
                        "'thresholds':[{'id':'t','obligation':'o','applies_to':'dnfbp','amount':{'amount':'1','currency':"
                        "'AED','applies':'above'},'valid_from':'2020-01-01','source':'s'}]}", "tensor.pack.invalid_field",
                        "/thresholds/0/applies_to");
    expect_pack_problem("{'format':'mez-regpack/1','id':'p','jurisdiction_id':'ae','domain':'aml','sources':[{'id':'s'}],"
                        "'thresholds':[{'id':'t','obligation':'o','applies_to':['dnfbp',''],'amount':{'amount':'1',"
                        "'currency':'AED','applies':'above'},'valid_from':'2020-01-01','source':'s'}]}",
                        "tensor.pack.invalid_field", "/thresholds/0/applies_to/1");
}

static void test_index_bad_packs(void)
{
    const json_t *two[2];
    mez_tensor_index_t *ix;
    mez_problem_t pb = { 0 };
    expect_pack_problem("[]", "tensor.pack.invalid", "");
    /* Licence types: the requirements and fees the evaluator cites. */
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'requirements':[{'id':'r','description':'d','count':2,"
                        "'amount':{'amount':'1','currency':'PKR'},'source':'s'}]}]}", "tensor.pack.invalid_field",
                        "/licence_types/0/requirements/0");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'requirements':[{'id':'r','description':'d','source':'s'},"
                        "{'id':'r','description':'e','source':'s'}]}]}", "tensor.pack.duplicate_id",
                        "/licence_types/0/requirements/1/id");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'requirements':[{'id':'r','description':'d'}]}]}",
                        "tensor.pack.missing_field", "/licence_types/0/requirements/0/source");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'requirements':[{'id':'r','description':'d','count':0,"
                        "'source':'s'}]}]}", "tensor.pack.invalid_field", "/licence_types/0/requirements/0/count");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'requirements':[{'id':'r','description':'d',"
                        "'amount':{'amount':100,'currency':'PKR'},'source':'s'}]}]}", "tensor.pack.invalid_amount",
                        "/licence_types/0/requirements/0/amount/amount");
    /* A term and a renewal lead time the index reads (validity_years, renewal.lead_days): whole numbers. */
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'validity_years':0}]}", "tensor.pack.invalid_field",
                        "/licence_types/0/validity_years");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'validity_years':'1'}]}", "tensor.pack.invalid_field",
                        "/licence_types/0/validity_years");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'renewal':{'lead_days':-1}}]}",
                        "tensor.pack.invalid_field", "/licence_types/0/renewal/lead_days");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'renewal':{}}]}", "tensor.pack.invalid_field",
                        "/licence_types/0/renewal/lead_days");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE ",'fees':[{'id':'f','source':'s'}]}]}",
                        "tensor.pack.missing_field", "/licence_types/0/fees/0/amount");
    expect_pack_problem("{" LHDR ",'licence_types':[{" LTYPE "},{" LTYPE "}]}", "tensor.pack.duplicate_id",
                        "/licence_types/1/id");
    expect_pack_problem("{" LHDR ",'licence_types':[{'id':'pk-x:y','source':'s'}]}", "tensor.pack.missing_field",
                        "/licence_types/0/valid_from");
    expect_pack_problem("{'format':'mez-regpack/2','id':'p','jurisdiction_id':'pk','domain':'tax'}",
                        "tensor.pack.unknown_format", "/format");
    expect_pack_problem("{'format':'mez-regpack/1','id':'p','jurisdiction_id':'pk','domain':'Tax'}",
                        "tensor.unknown_domain", "/domain");
    expect_pack_problem("{'format':'mez-regpack/1','id':'p','domain':'tax'}", "tensor.pack.missing_field",
                        "/jurisdiction_id");
    expect_pack_problem("{" HDR ",'as_of_date':'2025-7-1'}", "tensor.pack.invalid_date", "/as_of_date");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':4.5}}]}", "tensor.pack.invalid_rate",
                        "/withholding_rates/0/rates/filer");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'150'}}]}",
                        "tensor.pack.invalid_rate", "/withholding_rates/0/rates/filer");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW "}]}", "tensor.pack.missing_field",
                        "/withholding_rates/0/rates");
    expect_pack_problem("{" HDR ",'withholding_rates':[{'id':'r','section':'1','payment_type':'x','payee_class':'any',"
                        "'valid_from':'2025-07-01','source':'nope','rates':{'filer':'1'}}]}",
                        "tensor.pack.unknown_source", "/withholding_rates/0/source");
    expect_pack_problem("{" HDR ",'withholding_rates':[{'id':'r','section':'1','payment_type':'x','payee_class':'any',"
                        "'source':'s','rates':{'filer':'1'}}]}", "tensor.pack.missing_field",
                        "/withholding_rates/0/valid_from");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'valid_to':'2025-07-01','rates':{'filer':'1'}}]}",
                        "tensor.pack.invalid_date", "/withholding_rates/0/valid_to");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'}},{" ROW ",'rates':{'filer':'2'}}]}",
                        "tensor.pack.duplicate_id", "/withholding_rates/1/id");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'over'}}]}", "tensor.pack.invalid_field",
                        "/withholding_rates/0/threshold/applies");
    expect_pack_problem("{" HDR ",'thresholds':[{'id':'t','obligation':'o','valid_from':'2025-01-01','source':'s',"
                        "'amount':{'amount':2000000,'currency':'PKR','applies':'above'}}]}", "tensor.pack.invalid_amount",
                        "/thresholds/0/amount/amount");
    expect_pack_problem("{" HDR ",'lists':[{'id':'l','source':'s','entries':[{'id':'e1'}]}]}",
                        "tensor.pack.missing_field", "/lists/0/entries/0/name");
    expect_pack_problem("{" HDR ",'lists':[{'id':'l','source':'s','entries':[{'id':'e1','name':'n','aliases':[1]}]}]}",
                        "tensor.pack.invalid_field", "/lists/0/entries/0/aliases/0");
    /* base_amount: a band above a lower limit in its currency, for one rate. */
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'base_amount':{'amount':'6000',"
                        "'currency':'PKR'}}]}", "tensor.pack.missing_field", "/withholding_rates/0/threshold");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'at_or_below'},'base_amount':{'amount':'6000','currency':'PKR'}}]}",
                        "tensor.pack.invalid_field", "/withholding_rates/0/threshold/applies");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'above'},'base_amount':{'amount':'6000','currency':'USD'}}]}",
                        "tensor.pack.invalid_field", "/withholding_rates/0/base_amount/currency");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'above'},'base_amount':{'amount_minor':600000,'currency':'PKR'}}]}",
                        "tensor.pack.invalid_amount", "/withholding_rates/0/base_amount/amount");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'10','non_filer':'20'},"
                        "'threshold':{'amount':'1','currency':'PKR','applies':'above'},'base_amount':{'amount':'6000',"
                        "'currency':'PKR'}}]}", "tensor.pack.invalid_field", "/withholding_rates/0/base_amount");
    /* The slabs of an earlier draft are not a rate: a row needs rates. */
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'slabs':{'currency':'PKR','bands':[]}}]}",
                        "tensor.pack.missing_field", "/withholding_rates/0/rates");
    /* tax_rates: exactly one of rate and exempt, a basis with a rate, a known tax, conditions that exist. */
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'rate':'9','exempt':true,'basis':'taxable_income'}]}",
                        "tensor.pack.invalid_field", "/tax_rates/0/rate");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW "}]}", "tensor.pack.missing_field", "/tax_rates/0/rate");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'exempt':false}]}", "tensor.pack.invalid_field",
                        "/tax_rates/0/exempt");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'rate':'9'}]}", "tensor.pack.missing_field",
                        "/tax_rates/0/basis");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'rate':'101','basis':'taxable_income'}]}",
                        "tensor.pack.invalid_rate", "/tax_rates/0/rate");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'rate':'9','basis':'taxable_income','threshold':{"
                        "'amount':'375000','currency':'AED','applies':'above'}}]}", "tensor.pack.missing_field",
                        "/tax_rates/0/threshold/measure");
    expect_pack_problem("{" HDR ",'tax_rates':[{'id':'t','tax':'gst','article':'1','taxpayer_class':'a',"
                        "'income_class':'b','rate':'1','basis':'x','valid_from':'2025-07-01','source':'s'}]}",
                        "tensor.pack.invalid_field", "/tax_rates/0/tax");
    expect_pack_problem("{" HDR ",'tax_rates':[{" TAXROW ",'exempt':true,'conditions':['nope']}],"
                        "'obligations':[{'id':'other','description':'d','valid_from':'2025-01-01','source':'s'}]}",
                        "tensor.pack.unknown_obligation", "/tax_rates/0/conditions/0");
    /* Two packs with one id. */
    two[0] = J("{" HDR "}");
    two[1] = J("{" HDR "}");
    CU_ASSERT_EQUAL(mez_tensor_index_build(unit_pool(), two, 2, &ix, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.pack.duplicate_id");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "pack p"));
}

/* A pack of n rows of distinct payment types, n tax rates of distinct income classes and n list entries:
 * evaluation looks up only its own rows. */
/* The index refuses an aggregate it could not judge. */
static void test_index_aggregate_faults(void)
{
#define AGGROW(id, ptype, sec, thr) "{'id':'" id "','section':'" sec "','payment_type':'" ptype "','payee_class':'any'," \
    "'rates':{'filer':'1'},'threshold':{'amount':'1','currency':'PKR'," thr "},'valid_from':'2025-07-01','source':'s'}"
    expect_pack_problem("{" HDR ",'withholding_rates':[" AGGROW("a", "x", "1", "'applies':'above','aggregate':'X y'")
                        "]}", "tensor.pack.invalid_field", "/withholding_rates/0/threshold/aggregate");
    expect_pack_problem("{" HDR ",'withholding_rates':[" AGGROW("a", "x", "1", "'applies':'at_or_below','aggregate':"
                        "'paid'") "]}", "tensor.pack.invalid_field", "/withholding_rates/0/threshold/aggregate");
    expect_pack_problem("{" HDR ",'withholding_rates':[" AGGROW("a", "x", "1", "'applies':'above','aggregate':'paid'")
                        "," AGGROW("b", "y", "2", "'applies':'above','aggregate':'paid'") "]}",
                        "tensor.pack.invalid_field", "/withholding_rates/1/threshold/aggregate");
    expect_pack_problem("{" HDR ",'withholding_rates':[" AGGROW("a", "x", "1", "'applies':'above','aggregate':'paid'")
                        "," AGGROW("b", "x", "1", "'applies':'above','aggregate':'other'") "]}",
                        "tensor.pack.invalid_field", "/withholding_rates/1/threshold/aggregate");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'above','aggregate':'paid'},'base_amount':{'amount':'0',"
                        "'currency':'PKR'}}]}", "tensor.pack.invalid_field", "/withholding_rates/0/threshold/aggregate");
    expect_pack_problem("{" HDR ",'withholding_rates':[{" ROW ",'rates':{'filer':'1'},'threshold':{'amount':'1',"
                        "'currency':'PKR','applies':'above','aggregate':'paid'}},{'id':'r2','section':'1',"
                        "'payment_type':'x','payee_class':'any','valid_from':'2025-07-01','source':'s','rates':"
                        "{'filer':'2'},'threshold':{'amount':'9','currency':'PKR','applies':'above'},'base_amount':"
                        "{'amount':'0','currency':'PKR'}}]}", "tensor.pack.invalid_field", "/withholding_rates");
#undef AGGROW
}
static void test_index_large_pack(void)
{
    enum { N = 20000 };
    json_t *pack = J("{" HDR "}"), *rows = json_array(), *entries = json_array(), *list = json_object();
    json_t *tax_rows = json_array();
    const json_t *doc = pack;
    mez_tensor_index_t *ix;
    mez_problem_t pb = { 0 };
    json_t *out;
    char buf[64];
    for (int i = 0; i < N; i++) {
        json_t *r = json_object(), *rates = json_object(), *e = json_object();
        apr_snprintf(buf, sizeof(buf), "r%d", i);
        json_object_set_new(r, "id", json_string(buf));
        json_object_set_new(r, "section", json_string("153"));
        apr_snprintf(buf, sizeof(buf), "type-%d", i);
        json_object_set_new(r, "payment_type", json_string(buf));
        json_object_set_new(r, "payee_class", json_string("any"));
        apr_snprintf(buf, sizeof(buf), "%d.5", i % 50);
        json_object_set_new(rates, "filer", json_string(buf));
        json_object_set_new(r, "rates", rates);
        json_object_set_new(r, "valid_from", json_string("2025-07-01"));
        json_object_set_new(r, "source", json_string("s"));
        json_array_append_new(rows, r);
        r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", apr_psprintf(unit_pool(), "t%d", i),
                      "tax", "cit", "article", "3", "taxpayer_class", "taxable_person",
                      "income_class", apr_psprintf(unit_pool(), "class_%d", i), "basis", "taxable_income",
                      "valid_from", "2025-07-01", "source", "s");
        json_object_set_new(r, "rate", json_string(apr_psprintf(unit_pool(), "%d", i % 50)));
        json_array_append_new(tax_rows, r);
        apr_snprintf(buf, sizeof(buf), "e%d", i);
        json_object_set_new(e, "id", json_string(buf));
        apr_snprintf(buf, sizeof(buf), "Listed Organisation Number %d", i);
        json_object_set_new(e, "name", json_string(buf));
        json_array_append_new(entries, e);
    }
    json_object_set_new(list, "id", json_string("big-list"));
    json_object_set_new(list, "source", json_string("s"));
    json_object_set_new(list, "entries", entries);
    json_object_set_new(pack, "withholding_rates", rows);
    json_object_set_new(pack, "tax_rates", tax_rows);
    json_object_set_new(pack, "lists", json_pack("[o]", list));
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), &doc, 1, &ix, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_tensor_index_size(ix), 3 * N);
    out = evaluate(ix, "{'action':{'type':'tax_assessment','date':'2025-09-01','jurisdiction':'pk','income':"
                       "[{'income_class':'class_12345','amount':'1000','currency':'PKR'}]},"
                       "'subject':{'id':'s','name':'Clean Trader','taxpayer_classes':['taxable_person']}}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "income_tax"), 0), "rule"), "p/t12345");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "income_tax"), 0), "amount"), "450");
    out = evaluate(ix, "{'action':{'type':'payment','date':'2025-09-01','jurisdiction':'pk','payment_type':'type-12345',"
                       "'amount':{'amount':'1000','currency':'PKR'}},'subject':{'id':'s','name':'Clean Trader',"
                       "'filer_status':'filer'}}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "rule"), "p/r12345");
    CU_ASSERT_STRING_EQUAL(sget(json_array_get(json_object_get(out, "withholding"), 0), "amount"), "455");
    CU_ASSERT_STRING_EQUAL(dstate(out, "sanctions"), "compliant");
    out = evaluate(ix, "{'action':{'type':'entity_formation','date':'2025-09-01','jurisdiction':'pk'},"
                       "'subject':{'id':'s','name':'listed organisation number 19999'}}", NULL);
    CU_ASSERT_STRING_EQUAL(sget(dreason(out, "sanctions", "sanctions_match"), "entry/id"), "e19999");
}

/* The index is shared read-only by threads: concurrent evaluations give the single-threaded bytes. */
typedef struct {
    const mez_tensor_index_t *ix;
    const json_t *doc;
    const char *want;
    apr_pool_t *pool;
    int mismatches;
} thread_job_t;

static void *APR_THREAD_FUNC eval_thread(apr_thread_t *t, void *data)
{
    thread_job_t *job = data;
    for (int i = 0; i < 50; i++) {
        apr_pool_t *p;
        json_t *out = NULL;
        const char *c = NULL;
        apr_pool_create(&p, job->pool);
        if (mez_tensor_evaluate(p, job->ix, job->doc, NULL, &out, NULL, NULL) != MEZ_OK
            || mez_json_canonicalize(p, out, &c, NULL, NULL) != MEZ_OK || strcmp(c, job->want))
            job->mismatches++;
        apr_pool_destroy(p);
    }
    /* Returning rather than apr_thread_exit(): pthread_exit's unwinding trips a known ASan false positive
     * (stack-use-after-scope in sigaltstack at thread teardown). */
    return NULL;
}

static void test_eval_threads_share_index(void)
{
    enum { T = 4 };
    mez_tensor_index_t *ix = zone_index();
    const char *doc_text = PAY("2025-09-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}";
    thread_job_t jobs[T];
    apr_thread_t *threads[T];
    const char *want = canon(evaluate(ix, doc_text, NULL));
    for (int i = 0; i < T; i++) {
        jobs[i].ix = ix;
        /* Each thread its own input document: jansson values are not shared across threads. */
        jobs[i].doc = J(doc_text);
        jobs[i].want = want;
        jobs[i].mismatches = 0;
        apr_pool_create_unmanaged(&jobs[i].pool);
        CU_ASSERT_EQUAL_FATAL(apr_thread_create(&threads[i], NULL, eval_thread, &jobs[i], unit_pool()), APR_SUCCESS);
    }
    for (int i = 0; i < T; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        CU_ASSERT_EQUAL(jobs[i].mismatches, 0);
        apr_pool_destroy(jobs[i].pool);
    }
}

/* ------------------------------------------------------------------ shared texts (tensor_frozen.c) */

static int immortal(const json_t *v)
{
    return v && v->refcount == (size_t)-1;
}

static void test_frozen_interning_and_choice(void)
{
    apr_pool_t *p;
    mez_tensor_frozen_t *fz;
    char *a1, *a2, *once, *shared, *other;
    json_t *v;
    apr_pool_create(&p, unit_pool());
    fz = mez_tensor_frozen_create(p);
    a1 = apr_pstrdup(p, "2025-07-01");
    a2 = apr_pstrdup(p, "2025-07-01");
    once = apr_pstrdup(p, "pk-wht/s153-services-company");
    shared = apr_pstrdup(p, "Finance Act 2025");
    other = apr_pstrdup(p, "Finance Act 2025");
    /* Equal texts become the first pointer seen, so the table needs one entry per text, not per row. */
    CU_ASSERT_PTR_EQUAL(mez_tensor_intern(fz, a1), a1);
    CU_ASSERT_PTR_EQUAL(mez_tensor_intern(fz, a2), a1);
    CU_ASSERT_PTR_EQUAL(mez_tensor_intern(fz, once), once);
    CU_ASSERT_PTR_EQUAL(mez_tensor_intern_shared(fz, shared), shared);
    CU_ASSERT_PTR_NULL(mez_tensor_intern(fz, NULL));
    mez_tensor_frozen_word(fz, "threshold_met");
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get(fz, a1));     /* nothing is chosen before finishing */
    mez_tensor_frozen_finish(fz, p);

    /* Repeated and shared texts have an immortal value; a text of one row has none. */
    v = mez_tensor_frozen_get(fz, a1);
    CU_ASSERT_TRUE(immortal(v));
    CU_ASSERT_STRING_EQUAL(json_string_value(v), "2025-07-01");
    CU_ASSERT_TRUE(immortal(mez_tensor_frozen_get(fz, shared)));
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get(fz, once));
    /* By address only: an equal text elsewhere (an action's string) is not the index's, and is copied. */
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get(fz, a2));
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get(fz, other));
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get(fz, NULL));
    /* Words are found by text, wherever the literal is. */
    v = mez_tensor_frozen_get_word(fz, apr_pstrdup(p, "threshold_met"));
    CU_ASSERT_TRUE(immortal(v));
    CU_ASSERT_STRING_EQUAL(json_string_value(v), "threshold_met");
    CU_ASSERT_PTR_NULL(mez_tensor_frozen_get_word(fz, "threshold_unknown"));
    CU_ASSERT_EQUAL(mez_tensor_frozen_count(fz), 3);
    /* Interning ended with the choice: later texts are returned unchanged and get nothing. */
    CU_ASSERT_PTR_EQUAL(mez_tensor_intern(fz, a2), a2);
    /* Counting references leaves an immortal value alone: nothing is written, nothing is freed. */
    v = mez_tensor_frozen_get(fz, a1);
    json_incref(v);
    json_decref(v);
    json_decref(v);
    CU_ASSERT_TRUE(immortal(v));
    apr_pool_destroy(p);   /* frees the values (ASan's leak check would say otherwise) */
}

/* Walks a result: every string value, shared or not, with its member name. */
static void count_strings(const json_t *v, size_t *shared, size_t *copied, const json_t **state_value)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            if (!strcmp(key, "state") && json_is_string(item) && !*state_value)
                *state_value = item;
            count_strings(item, shared, copied, state_value);
        }
    }
    else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            count_strings(item, shared, copied, state_value);
    }
    else if (json_is_string(v))
        (*(immortal(v) ? shared : copied))++;
}

static void test_frozen_results_share_and_outlive_nothing(void)
{
    static const char *const packs[] = { PACK_WHT, PACK_LISTS, PACK_AML, PACK_ADGM_LICENCES };
    const char *doc_text = PAY("2025-09-01", "services", "2000000", PAYEE_NON_FILER) "," ALL_EVIDENCE "}";
    apr_pool_t *ip, *rp;
    const json_t **docs = apr_palloc(unit_pool(), 4 * sizeof(*docs));
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    json_t *r1 = NULL, *r2 = NULL;
    const json_t *s1 = NULL, *s2 = NULL;
    size_t shared = 0, copied = 0, shared2 = 0, copied2 = 0;
    const char *c1;

    apr_pool_create(&ip, unit_pool());
    apr_pool_create(&rp, unit_pool());
    for (size_t i = 0; i < 4; i++)
        docs[i] = J(packs[i]);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(ip, docs, 4, &ix, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(rp, ix, J(doc_text), NULL, &r1, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_tensor_evaluate(rp, ix, J(doc_text), NULL, &r2, NULL, &pb), MEZ_OK);
    count_strings(r1, &shared, &copied, &s1);
    count_strings(r2, &shared2, &copied2, &s2);
    /* Most of a result's strings are the index's (codes, states, dates, sources, digests); the action's own
     * (the parties' names and ids) are copies. */
    CU_ASSERT_TRUE(shared > copied);
    CU_ASSERT_TRUE(copied > 0);
    CU_ASSERT_EQUAL(shared, shared2);
    /* Two results hold the very same value for a state, not two copies of it. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
    CU_ASSERT_PTR_EQUAL(s1, s2);
    CU_ASSERT_TRUE(immortal(s1));
    /* The action's date and jurisdiction are the action's strings, and the commitment is made per result: copies. */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r1, "date")), "2025-09-01");
    CU_ASSERT_FALSE(immortal(json_object_get(r1, "date")));
    CU_ASSERT_FALSE(immortal(json_object_get(r1, "jurisdiction")));
    CU_ASSERT_FALSE(immortal(json_object_get(r1, "commitment")));
    /* The decision and the action type are the library's words; each reason's code too. */
    CU_ASSERT_TRUE(immortal(json_object_get(r1, "decision")));
    CU_ASSERT_TRUE(immortal(json_object_get(r1, "action_type")));
    c1 = apr_pstrdup(unit_pool(), canon(r1));
    CU_ASSERT_STRING_EQUAL(c1, canon(r2));
    /* A copy of a result is a result of its own: changing it changes no shared value. */
    {
        json_t *copy = json_deep_copy(r1);
        json_object_set_new(json_object_get(json_object_get(copy, "domains"), "aml"), "state", json_string("x"));
        CU_ASSERT_STRING_EQUAL(canon(r1), c1);
        json_decref(copy);
    }
    /* Results go with their request pools, the shared values with the index's pool: in that order, nothing
     * dangles (ASan), and the first result's bytes did not depend on the second's. */
    apr_pool_destroy(rp);
    apr_pool_destroy(ip);
}

void unit_register_tensor(void)
{
    CU_pSuite s = unit_suite("tensor");
    CU_add_test(s, "domains: order and spelling", test_domains_order_and_spelling);
    CU_add_test(s, "domains: parsing is case-sensitive", test_domain_parse_is_case_sensitive);
    CU_add_test(s, "states: lattice, fold, passing", test_state_lattice);
    CU_add_test(s, "commitment: anchor vectors", test_commitment_vectors);
    CU_add_test(s, "commitment: helpers and bad input", test_commitment_helpers);
    CU_add_test(s, "commitment bytes written directly equal RFC 8785 of the payload", test_commitment_direct_bytes_match_the_payload);
    CU_add_test(s, "commitment: MCF basic vector is JCS", test_mcf_basic_vector_is_jcs);
    CU_add_test(s, "merkle: RFC 9162, not the reference padding", test_merkle_rfc9162_not_reference_padding);
    CU_add_test(s, "values: dates", test_dates);
    CU_add_test(s, "values: exact decimals", test_decimals);
    CU_add_test(s, "values: band arithmetic, exact or refused", test_decimal_band_arithmetic);
    CU_add_test(s, "decimal units and multiples (scaled fees)", test_decimal_units_and_times);
    CU_add_test(s, "screen: name normalisation", test_name_normalise);
    CU_add_test(s, "screen: index and matches", test_screen_index);
    CU_add_test(s, "action: valid documents", test_action_parse_valid);
    CU_add_test(s, "action: bad inputs, codes and pointers", test_action_parse_bad_inputs);
    CU_add_test(s, "evidence: the reference's attestation rules", test_evidence_rules);
    CU_add_test(s, "eval: withholding for non-filer and filer", test_eval_withholding_non_filer_and_filer);
    CU_add_test(s, "eval: rows in force on the date", test_eval_rows_in_force_on_the_date);
    CU_add_test(s, "eval: tax pending and thresholds", test_eval_tax_pending_and_thresholds);
    CU_add_test(s, "eval: ambiguous rows and selection", test_eval_ambiguous_rows_and_selection);
    CU_add_test(s, "eval: progressive salary bands (s. 149)", test_eval_progressive_salary);
    CU_add_test(s, "eval: progressive rent bands (s. 155)", test_eval_progressive_rent);
    CU_add_test(s, "eval: progressive bands split by status", test_eval_progressive_split_by_status);
    CU_add_test(s, "eval: progressive table faults", test_eval_progressive_faults);
    CU_add_test(s, "eval: income tax, UAE corporate tax rows", test_eval_income_tax_uae);
    CU_add_test(s, "eval: income tax, conditions and exemptions", test_eval_income_tax_conditions);
    CU_add_test(s, "eval: income tax, portions must cover the income", test_eval_income_tax_portions_must_cover);
    CU_add_test(s, "eval: compact and full citations", test_eval_compact_and_full_detail);
    CU_add_test(s, "eval: sanctions hard block", test_eval_sanctions_hard_block);
    CU_add_test(s, "eval: aml thresholds and evidence", test_eval_aml_thresholds_and_evidence);
    CU_add_test(s, "eval: the deadlines of the obligations an evaluation opens", test_eval_obligation_deadlines);
    CU_add_test(s, "index: a deadline in no form", test_index_refuses_a_deadline_in_no_form);
    CU_add_test(s, "eval: evidence judged on the write date", test_eval_evidence_judged_on_the_write_date);
    CU_add_test(s, "eval: evidence covers the day on the zone's calendar", test_eval_evidence_day_on_the_zone_calendar);
    CU_add_test(s, "eval: thresholds measured on revenue, never on a payment",
                test_eval_thresholds_measured_on_revenue);
    CU_add_test(s, "eval: withholding on the aggregate paid to the payee in the tax year",
                test_eval_withholding_on_an_aggregate);
    CU_add_test(s, "action: a payment's figures, and their bad forms", test_action_figures_of_a_payment);
    CU_add_test(s, "index: aggregates it could not judge", test_index_aggregate_faults);
    CU_add_test(s, "eval: deterministic and committed", test_eval_deterministic_and_committed);
    CU_add_test(s, "eval: jurisdictions and zone options", test_eval_jurisdictions_and_options);
    CU_add_test(s, "eval: licence application pending without evidence", test_eval_licence_pending_without_evidence);
    CU_add_test(s, "eval: licence application compliant, capital", test_eval_licence_compliant_and_capital);
    CU_add_test(s, "eval: licence type not in force or unknown", test_eval_licence_not_in_force_and_unknown);
    CU_add_test(s, "eval: a threshold binds the classes of person in its applies_to", test_eval_threshold_applies_to);
    CU_add_test(s, "index: bad packs", test_index_bad_packs);
    CU_add_test(s, "index: large pack", test_index_large_pack);
    CU_add_test(s, "eval: threads share one index", test_eval_threads_share_index);
    CU_add_test(s, "frozen: interning and which texts are shared", test_frozen_interning_and_choice);
    CU_add_test(s, "frozen: results share the index's texts, outlive nothing", test_frozen_results_share_and_outlive_nothing);
}
