/* test_receipt.c: CUnit suite for the receipt area: the reference's canonical form (every vector of
 * vectors/corridor/canonical.json), receipts' next_root and content digest against canonical text written
 * out by hand from the rules in reference/corridors.md, the genesis root, and the chain's append checks. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/receipt.h"
#include "unit.h"

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

static const char *mcf(const char *text, mez_problem_t *pb)
{
    const char *out;
    size_t n;
    json_t *v = parse(text);
    if (!v || mez_mcf_canonicalize(unit_pool(), v, &out, &n, pb) != MEZ_OK)
        return NULL;
    CU_ASSERT_EQUAL(strlen(out), n);
    return out;
}

static const char *sha_hex(const char *s)
{
    mez_digest_t d;
    mez_digest_sha256(s, strlen(s), &d);
    return mez_digest_hex(unit_pool(), &d);
}

static void test_canonical_vectors(void)
{
    apr_pool_t *p = unit_pool();
    size_t len, i, nd = 0, nf = 0, nt = 0;
    char *text = unit_read_file(unit_shared("vectors/corridor/canonical.json"), &len);
    json_t *v, *e;
    mez_problem_t pb = { 0 };

    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(p, text, len, &v, &pb), MEZ_OK);
    json_array_foreach(json_object_get(v, "digest_vectors"), i, e) {
        const char *in = json_string_value(json_object_get(e, "input")), *got = mcf(in, &pb), *jcs;
        mez_digest_t d;
        json_t *doc = parse(in);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_STRING_EQUAL(got, json_string_value(json_object_get(e, "canonical")));
        CU_ASSERT_EQUAL(mez_mcf_digest(p, doc, &d, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), json_string_value(json_object_get(e, "sha256")));
        /* These documents are portable: RFC 8785 gives the same bytes. */
        CU_ASSERT_EQUAL(mez_mcf_check_portable(p, doc, "", &pb), MEZ_OK);
        CU_ASSERT_EQUAL(mez_json_canonicalize(p, doc, &jcs, NULL, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(jcs, got);
        nd++;
    }
    json_array_foreach(json_object_get(v, "float_rejected"), i, e) {
        mez_problem_t fp = { 0 };
        json_t *doc = parse(json_string_value(e));
        CU_ASSERT_PTR_NULL(mcf(json_string_value(e), &fp));
        CU_ASSERT_STRING_EQUAL(fp.code, "mcf.float");
        CU_ASSERT_EQUAL(fp.status, 422);
        /* The pointer leads to a number that is not an integer. */
        {
            json_t *at = doc;
            char *ptr = apr_pstrdup(p, fp.pointer), *tok, *last;
            for (tok = apr_strtok(ptr, "/", &last); tok; tok = apr_strtok(NULL, "/", &last))
                at = json_is_array(at) ? json_array_get(at, (size_t)atoi(tok)) : json_object_get(at, tok);
            CU_ASSERT_TRUE(json_is_real(at));
        }
        memset(&fp, 0, sizeof(fp));
        CU_ASSERT_EQUAL(mez_mcf_check_portable(p, doc, "", &fp), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(fp.code, "mcf.float");
        nf++;
    }
    json_array_foreach(json_object_get(v, "datetime_normalisation_canonical_only"), i, e) {
        const char *in = json_string_value(json_object_get(e, "input")), *got = mcf(in, &pb);
        mez_problem_t tp = { 0 };
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_STRING_EQUAL(got, json_string_value(json_object_get(e, "canonical")));
        /* mez refuses such a timestamp in its own documents instead of rewriting it. */
        CU_ASSERT_EQUAL(mez_mcf_check_portable(p, parse(in), "", &tp), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(tp.code, "mcf.timestamp_form");
        CU_ASSERT_STRING_EQUAL(tp.pointer, "/ts");
        nt++;
    }
    CU_ASSERT_EQUAL(nd, 11);
    CU_ASSERT_EQUAL(nf, 8);
    CU_ASSERT_EQUAL(nt, 2);
}

static void expect_dt(const char *in, const char *want)
{
    char out[21];
    int ok = mez_mcf_datetime(in, strlen(in), out);
    if (!want) {
        CU_ASSERT_FALSE(ok);
        return;
    }
    CU_ASSERT_TRUE_FATAL(ok);
    CU_ASSERT_STRING_EQUAL(out, want);
}

static void test_datetime_rules(void)
{
    expect_dt("2026-01-15T12:00:00Z", "2026-01-15T12:00:00Z");
    expect_dt("2026-01-15t12:00:00.999999999z", "2026-01-15T12:00:00Z");   /* truncated, not rounded */
    expect_dt("2026-01-15 12:00:00+00:00", "2026-01-15T12:00:00Z");
    expect_dt("2026-01-01T01:30:00+02:00", "2025-12-31T23:30:00Z");       /* across a year */
    expect_dt("2024-02-28T23:00:00-01:30", "2024-02-29T00:30:00Z");       /* into a leap day */
    expect_dt("2025-02-28T23:00:00-01:30", "2025-03-01T00:30:00Z");
    expect_dt("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z");            /* a leap second stays one */
    expect_dt("2026-02-29T00:00:00Z", NULL);
    expect_dt("2026-13-01T00:00:00Z", NULL);
    expect_dt("2026-01-15T24:00:00Z", NULL);
    expect_dt("2026-01-15T12:00:00", NULL);                                /* no zone */
    expect_dt("2026-01-15T12:00:00.Z", NULL);
    expect_dt("2026-01-15T12:00:00+0500", NULL);
    expect_dt("2026-01-15", NULL);
    expect_dt("2026-01-15T12:00:00Z ", NULL);
    expect_dt("pk-sifc", NULL);
}

static void test_mcf_differences(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *jcs;
    /* U+E000 against U+1F600: UTF-8 bytes EE.. < F0.., UTF-16 units E000 > D83D. */
    const char *keys = "{\"\xf0\x9f\x98\x80\":1,\"\xee\x80\x80\":2}";
    CU_ASSERT_STRING_EQUAL(mcf(keys, &pb), "{\"\xee\x80\x80\":2,\"\xf0\x9f\x98\x80\":1}");
    CU_ASSERT_EQUAL(mez_json_canonicalize(p, parse(keys), &jcs, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(jcs, "{\"\xf0\x9f\x98\x80\":1,\"\xee\x80\x80\":2}");
    CU_ASSERT_EQUAL(mez_mcf_check_portable(p, parse(keys), "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "mcf.not_portable");
    /* Integers are written exactly; RFC 8785 writes the nearest double. */
    CU_ASSERT_STRING_EQUAL(mcf("{\"n\":9007199254740993}", &pb), "{\"n\":9007199254740993}");
    CU_ASSERT_EQUAL(mez_json_canonicalize(p, parse("{\"n\":9007199254740993}"), &jcs, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(jcs, "{\"n\":9007199254740992}");
    CU_ASSERT_EQUAL(mez_mcf_check_portable(p, parse("{\"a\":[0,{\"n\":9007199254740993}]}"), "", &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/a/1/n");
    /* 1.0 is a float to the reference's parser too. */
    CU_ASSERT_PTR_NULL(mcf("{\"x\":1.0}", &pb));
    CU_ASSERT_STRING_EQUAL(pb.code, "mcf.float");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/x");
    /* Escaping agrees: controls, quote, backslash; '/' and non-ASCII left alone. */
    CU_ASSERT_STRING_EQUAL(mcf("[\"\\u0001\\b\\t\\n\\f\\r\\\"\\\\/\\u00e9\\u007f\"]", &pb),
                           "[\"\\u0001\\b\\t\\n\\f\\r\\\"\\\\/\xc3\xa9\x7f\"]");
    /* A date-time nested anywhere, even in user data, is rewritten by MCF. */
    CU_ASSERT_STRING_EQUAL(mcf("{\"memo\":[\"2026-01-15T17:00:00.5+05:00\"]}", &pb),
                           "{\"memo\":[\"2026-01-15T12:00:00Z\"]}");
}

/* ------------------------------------------------------------------ receipts */

#define CID "6f1c2a4e-9b3d-4c5e-8f70-112233445566"

static const char *rep64(char c)
{
    char *s = apr_palloc(unit_pool(), 65);
    memset(s, c, 64);
    s[64] = '\0';
    return s;
}

static const char *receipt_text(unsigned seq, const char *prev, const char *extra)
{
    const char *a = rep64('a'), *b = rep64('b'), *c = rep64('c');
    return apr_psprintf(unit_pool(),
                        "{\"type\":\"MEZCorridorStateReceipt\",\"corridor_id\":\"" CID "\",\"sequence\":%u,"
                        "\"timestamp\":\"2026-03-01T10:00:0%uZ\",\"prev_root\":\"%s\","
                        "\"lawpack_digest_set\":[\"%s\",\"%s\",{\"digest_sha256\":\"%s\",\"artifact_type\":\"lawpack\"},"
                        "{\"digest_sha256\":\"%s\",\"artifact_type\":\"lawpack\",\"uri\":null}],"
                        "\"ruleset_digest_set\":[],"
                        "\"proof\":{\"type\":\"MezEd25519Signature2025\",\"created\":\"2026-03-01T10:00:00Z\","
                        "\"verificationMethod\":\"did:key:z6Mk#z6Mk\",\"proofPurpose\":\"assertionMethod\",\"jws\":\"x\"},"
                        "\"transition\":{\"kind\":\"transfer\",\"payload\":{\"amount_minor\":%u,\"currency\":\"PKR\"}},"
                        "\"zk\":null%s}",
                        seq, seq % 10, prev, b, a, a, c, 150000 + seq, extra ? extra : "");
}

/* The committed bytes, written out from the rules: proof, next_root and the null zk gone, keys in byte order,
 * the lawpack set sorted by digest with the later duplicate (the object for "aa..") dropped and the null uri
 * omitted. */
static const char *expected_payload(unsigned seq, const char *prev)
{
    return apr_psprintf(unit_pool(),
                        "{\"corridor_id\":\"" CID "\",\"lawpack_digest_set\":[\"%s\",\"%s\","
                        "{\"artifact_type\":\"lawpack\",\"digest_sha256\":\"%s\"}],\"prev_root\":\"%s\","
                        "\"ruleset_digest_set\":[],\"sequence\":%u,\"timestamp\":\"2026-03-01T10:00:0%uZ\","
                        "\"transition\":{\"kind\":\"transfer\",\"payload\":{\"amount_minor\":%u,\"currency\":\"PKR\"}},"
                        "\"type\":\"MEZCorridorStateReceipt\"}",
                        rep64('a'), rep64('b'), rep64('c'), prev, seq, seq % 10, 150000 + seq);
}

static void test_next_root(void)
{
    apr_pool_t *p = unit_pool();
    const char *g = rep64('0'), *bytes;
    json_t *r = parse(receipt_text(0, g, NULL)), *payload, *r2;
    mez_digest_t d, d2, c1, c2;
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL_FATAL(mez_receipt_payload(p, r, &payload, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_mcf_canonicalize(p, payload, &bytes, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(bytes, expected_payload(0, g));
    CU_ASSERT_EQUAL_FATAL(mez_receipt_next_root(p, r, &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), sha_hex(expected_payload(0, g)));

    /* next_root and proof are not committed; "zk": null is the same as no zk. */
    CU_ASSERT_EQUAL(mez_receipt_seal(p, r, &d2, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &d2));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "next_root")), mez_digest_hex(p, &d));
    CU_ASSERT_EQUAL(mez_receipt_content_digest(p, r, &c1, &pb), MEZ_OK);
    json_object_set_new(json_object_get(r, "proof"), "jws", json_string("y"));
    json_object_del(r, "zk");
    CU_ASSERT_EQUAL(mez_receipt_next_root(p, r, &d2, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &d2));
    /* ... but the content digest covers them (it is the reference's receipt_digest, not next_root). */
    CU_ASSERT_EQUAL(mez_receipt_content_digest(p, r, &c2, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_digest_equal(&c1, &c2));
    CU_ASSERT_FALSE(mez_digest_equal(&c1, &d));
    /* Every committed member matters: sequence, timestamp, prev_root, the transition. */
    r2 = parse(receipt_text(0, rep64('1'), NULL));
    CU_ASSERT_EQUAL(mez_receipt_next_root(p, r2, &d2, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_digest_equal(&d, &d2));
    r2 = parse(receipt_text(1, g, NULL));
    CU_ASSERT_EQUAL(mez_receipt_next_root(p, r2, &d2, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d2), sha_hex(expected_payload(1, g)));
    /* The optional members that are committed when present. */
    r2 = parse(receipt_text(0, g, ",\"anchor\":{\"chain\":\"none\"}"));
    CU_ASSERT_EQUAL(mez_receipt_next_root(p, r2, &d2, &pb), MEZ_OK);
    CU_ASSERT_FALSE(mez_digest_equal(&d, &d2));
}

static void expect_refused(const char *text, const char *code, const char *pointer)
{
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    json_t *r = parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(mez_receipt_next_root(unit_pool(), r, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    CU_ASSERT_EQUAL(pb.status, 422);
}

/* text with the first occurrence of from replaced by to. */
static const char *subst(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    return apr_psprintf(unit_pool(), "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_receipt_refusals(void)
{
    const char *g = rep64('0'), *ok = receipt_text(0, g, NULL);
    char *t;
    /* Unknown members: the reference drops them uncommitted; mez refuses. */
    expect_refused(receipt_text(0, g, ",\"memo\":\"hi\""), "receipt.unknown_field", "/memo");
    /* A float anywhere, and a date-time MCF would rewrite, inside the committed transition. */
    t = apr_pstrdup(unit_pool(), ok);
    memcpy(strstr(t, "150000"), "15.000", 6);
    expect_refused(t, "mcf.float", "/transition/payload/amount_minor");
    expect_refused(receipt_text(0, g, ",\"anchor\":{\"at\":\"2026-03-01T10:00:00.1Z\"}"), "mcf.timestamp_form",
                   "/anchor/at");
    /* The receipt's own fields. */
    t = apr_pstrdup(unit_pool(), ok);
    memcpy(strstr(t, "10:00:00Z"), "10:00:00z", 9);
    expect_refused(t, "receipt.invalid_field", "/timestamp");
    t = apr_pstrdup(unit_pool(), ok);
    memcpy(strstr(t, "6f1c"), "6F1C", 4);
    expect_refused(t, "receipt.invalid_field", "/corridor_id");
    expect_refused(receipt_text(0, rep64('A'), NULL), "receipt.invalid_digest", "/prev_root");
    expect_refused(subst(ok, "\"sequence\":0", "\"sequence\":-1"), "receipt.invalid_field", "/sequence");
    t = apr_pstrdup(unit_pool(), ok);
    memcpy(strstr(t, "MEZCorridorStateReceipt"), "MEZCorridorStateReceipX", 23);
    expect_refused(t, "receipt.invalid_field", "/type");
    /* Digest-set entries: the reference silently drops malformed ones; mez refuses them. */
    expect_refused(subst(ok, "\"ruleset_digest_set\":[]", "\"ruleset_digest_set\":7"), "receipt.invalid_field",
                   "/ruleset_digest_set");
    expect_refused(subst(ok, "\"ruleset_digest_set\":[]", "\"ruleset_digest_set\":[42]"), "receipt.invalid_digest",
                   "/ruleset_digest_set/0");
    t = apr_pstrdup(unit_pool(), ok);
    memcpy(strstr(t, "\"artifact_type\":\"lawpack\"}"), "\"artifact_typo\"", 15);
    expect_refused(t, "receipt.unknown_field", "/lawpack_digest_set/2/artifact_typo");
    expect_refused("[1]", "receipt.invalid", "");
    /* Proofs in the reference's shape only (its content digest drops anything else). */
    expect_refused(subst(ok, "\"jws\":\"x\"", "\"jws\":\"x\",\"nonce\":\"n\""), "receipt.unknown_field", "/proof/nonce");
    expect_refused(subst(ok, "\"jws\":\"x\"", "\"jws\":1"), "receipt.invalid_field", "/proof/jws");
    {
        const char *pr = strstr(ok, "\"proof\":") + 8, *end = strstr(pr, "}") + 1;
        const char *arr = apr_psprintf(unit_pool(), "%.*s[%.*s,%.*s]%s", (int)(pr - ok), ok, (int)(end - pr), pr,
                                       (int)(end - pr), pr, end);
        mez_digest_t d;
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(mez_receipt_next_root(unit_pool(), parse(arr), &d, &pb), MEZ_OK);
        expect_refused(apr_psprintf(unit_pool(), "%.*s[%.*s,7]%s", (int)(pr - ok), ok, (int)(end - pr), pr, end),
                       "receipt.invalid_field", "/proof/1");
    }
}

static void test_genesis_root(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    json_t *laws = parse(apr_psprintf(p, "[\"%s\",\"%s\",\"%s\"]", rep64('e'), rep64('d'), rep64('e')));
    json_t *rules = parse("[]");
    const char *want = apr_psprintf(p,
                                    "{\"agreement_set_sha256\":\"%s\",\"corridor_id\":\"" CID "\","
                                    "\"definition_payload_sha256\":\"%s\",\"lawpack_digest_set\":[\"%s\",\"%s\"],"
                                    "\"ruleset_digest_set\":[],\"tag\":\"msez.corridor.state.genesis.v1\"}",
                                    rep64('2'), rep64('1'), rep64('d'), rep64('e'));
    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CID, rep64('1'), rep64('2'), laws, rules, &d, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_digest_hex(p, &d), sha_hex(want));
    CU_ASSERT_EQUAL(mez_receipt_genesis_root(p, CID, "sha256:00", rep64('2'), laws, rules, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/definition_payload_sha256");
    CU_ASSERT_EQUAL(mez_receipt_genesis_root(p, "not-a-uuid", rep64('1'), rep64('2'), laws, rules, &d, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.invalid_field");
}

static void expect_append_refused(mez_receipt_chain_t *c, json_t *r, const char *code, const char *pointer,
                                  int status)
{
    mez_receipt_chain_t before = *c;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_receipt_chain_append(unit_pool(), c, r, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    CU_ASSERT_EQUAL(pb.status, status);
    /* Nothing changed. */
    CU_ASSERT_EQUAL(memcmp(&before, c, sizeof(before)), 0);
}

static void test_chain(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t genesis, nr[5], got, root, *path;
    mez_receipt_chain_t c;
    json_t *r;
    size_t len;
    const char *prev;

    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CID, rep64('1'), rep64('2'), parse("[]"), parse("[]"),
                                                   &genesis, &pb), MEZ_OK);
    mez_receipt_chain_init(&c, CID, &genesis);
    prev = mez_digest_hex(p, &genesis);
    for (unsigned i = 0; i < 5; i++) {
        r = parse(receipt_text(i, prev, NULL));
        CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, r, &nr[i], &pb), MEZ_OK);
        if (i == 2) {
            /* Replaying the previous receipt, skipping ahead, or linking to the wrong root: 409, no change. */
            json_t *old = parse(receipt_text(1, mez_digest_hex(p, &nr[0]), NULL));
            mez_receipt_seal(p, old, NULL, &pb);
            expect_append_refused(&c, old, "receipt.sequence_mismatch", "/sequence", 409);
            json_t *skip = parse(receipt_text(3, prev, NULL));
            mez_receipt_seal(p, skip, NULL, &pb);
            expect_append_refused(&c, skip, "receipt.sequence_mismatch", "/sequence", 409);
            json_t *fork = parse(receipt_text(2, mez_digest_hex(p, &nr[0]), NULL));
            mez_receipt_seal(p, fork, NULL, &pb);
            expect_append_refused(&c, fork, "receipt.prev_root_mismatch", "/prev_root", 409);
            /* A receipt changed after sealing no longer matches its next_root. */
            json_t *tampered = json_deep_copy(r);
            mez_json_pool_own(p, tampered);
            json_object_set_new(json_object_get(json_object_get(tampered, "transition"), "payload"), "amount_minor",
                                json_integer(1));
            expect_append_refused(&c, tampered, "receipt.next_root_mismatch", "/next_root", 422);
            /* Unsealed, or for another corridor. */
            json_t *unsealed = json_deep_copy(r);
            mez_json_pool_own(p, unsealed);
            json_object_del(unsealed, "next_root");
            expect_append_refused(&c, unsealed, "receipt.invalid_digest", "/next_root", 422);
            json_t *other = parse(apr_pstrcat(p, "{\"corridor_id\":\"00000000-0000-4000-8000-000000000000\"}", NULL));
            json_t *moved = json_deep_copy(r);
            mez_json_pool_own(p, moved);
            json_object_update(moved, other);
            mez_receipt_seal(p, moved, NULL, &pb);
            expect_append_refused(&c, moved, "receipt.corridor_mismatch", "/corridor_id", 409);
        }
        CU_ASSERT_EQUAL_FATAL(mez_receipt_chain_append(p, &c, r, &got, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_digest_equal(&got, &nr[i]));
        CU_ASSERT_TRUE(mez_digest_equal(&c.head, &nr[i]));
        prev = mez_digest_hex(p, &nr[i]);
    }
    CU_ASSERT_EQUAL(c.mmr.size, 5);
    CU_ASSERT_TRUE(mez_digest_equal(&c.genesis_root, &genesis));
    /* The chain's tree is the RFC 9162 tree of the next_roots; proofs against it verify. */
    mez_mmr_root(&c.mmr, &got);
    mez_mmr_tree_root(nr, 5, &root);
    CU_ASSERT_TRUE(mez_digest_equal(&got, &root));
    for (unsigned i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(mez_mmr_inclusion_proof(p, nr, 5, i, &path, &len, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_mmr_verify_inclusion(i, 5, &nr[i], path, len, &got));
    }
}

void unit_register_receipt(void)
{
    CU_pSuite s = unit_suite("receipt");
    CU_add_test(s, "vectors/corridor/canonical.json: 11 digests, 8 float refusals, 2 date-times", test_canonical_vectors);
    CU_add_test(s, "MCF date-time recognition and UTC rewriting", test_datetime_rules);
    CU_add_test(s, "MCF vs RFC 8785: key order, big integers, 1.0, escaping, nested date-times", test_mcf_differences);
    CU_add_test(s, "next_root = SHA-256 of the hand-written committed bytes; content digest differs",
                test_next_root);
    CU_add_test(s, "malformed receipts refused with code and pointer", test_receipt_refusals);
    CU_add_test(s, "genesis root as the reference's spec defines it", test_genesis_root);
    CU_add_test(s, "chain append: sequence, prev_root, next_root, corridor; refusals change nothing", test_chain);
}
