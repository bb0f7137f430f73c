/* test_json.c: CUnit suite for libmezcore's json area: RFC 8785 canonicalisation and strict parsing.
 * Holds every vector in vectors/jcs (the six document pairs and the ES6 number file) plus the refusals. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/problem.h"
#include "unit.h"

/* Canonical form of a JSON text, or NULL (with *pb filled) when it is refused. */
static const char *canon_text(const char *text, mez_problem_t *pb)
{
    apr_pool_t *p = unit_pool();
    json_t *v;
    const char *out;
    size_t n;
    if (mez_json_parse(p, text, strlen(text), &v, pb) != MEZ_OK)
        return NULL;
    if (mez_json_canonicalize(p, v, &out, &n, pb) != MEZ_OK)
        return NULL;
    CU_ASSERT_EQUAL(strlen(out), n);
    return out;
}

static void expect_canon(const char *text, const char *want)
{
    mez_problem_t pb = { 0 };
    const char *got = canon_text(text, &pb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
}

static void expect_parse_error(const char *text, size_t len, const char *code)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL(mez_json_parse(p, text, len, &v, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (code)
        CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_PTR_NOT_NULL(pb.detail);
}

static void test_jcs_vectors(void)
{
    static const char *const names[] = { "arrays", "french", "structures", "unicode", "values", "weird" };
    apr_pool_t *p = unit_pool();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *in = unit_shared(apr_pstrcat(p, "vectors/jcs/input/", names[i], ".json", NULL));
        size_t wlen, glen;
        char *want = unit_read_file(unit_shared(apr_pstrcat(p, "vectors/jcs/output/", names[i], ".json", NULL)),
                                    &wlen);
        json_t *v;
        const char *got;
        mez_problem_t pb = { 0 };

        CU_ASSERT_PTR_NOT_NULL_FATAL(want);
        CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, in, &v, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_json_canonicalize(p, v, &got, &glen, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(glen, wlen);
        CU_ASSERT_TRUE(glen == wlen && memcmp(got, want, wlen) == 0);
        if (glen != wlen || memcmp(got, want, wlen) != 0)
            fprintf(stderr, "\njcs %s:\n got  %.*s\n want %.*s\n", names[i], (int)glen, got, (int)wlen, want);
    }
}

static void test_es6_numbers(void)
{
    size_t len, lines = 0, bad = 0;
    char *data = unit_read_file(unit_shared("vectors/jcs/es6-numbers-10k.txt"), &len);
    char *line, *save = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *comma = strchr(line, ','), buf[40];
        uint64_t bits;
        double d;
        CU_ASSERT_PTR_NOT_NULL_FATAL(comma);
        *comma = '\0';
        bits = strtoull(line, NULL, 16);
        memcpy(&d, &bits, sizeof(d));
        mez_json_format_number(d, buf);
        lines++;
        if (strcmp(buf, comma + 1) != 0) {
            if (bad++ < 10)
                fprintf(stderr, "\nes6 %s: got %s want %s\n", line, buf, comma + 1);
        }
    }
    CU_ASSERT_EQUAL(lines, 10000);
    CU_ASSERT_EQUAL(bad, 0);
}

/* A locale whose decimal point is a comma, built with localedef when the system has none (Debian ships only C
 * and POSIX); NULL when neither works here. */
static const char *comma_locale(void)
{
    static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", NULL };
    const char *dir;
    for (int i = 0; names[i]; i++)
        if (setlocale(LC_NUMERIC, names[i]))
            return names[i];
    if (!(dir = unit_tmpdir()))
        return NULL;
    if (system(apr_psprintf(unit_pool(), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir)) != 0)
        return NULL;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") ? "de_DE.UTF-8 (built with localedef)" : NULL;
}

/* Canonical numbers do not depend on the process's LC_NUMERIC: printf and strtod follow it, and a host process
 * (httpd with another module, a program linking libmezcore) may set a locale whose decimal point is a comma;
 * the canonical form must stay "1.5", or every digest and signature over a real number would change. */
static void test_numbers_whatever_the_locale(void)
{
    static const struct { double d; const char *want; } cases[] = {
        { 1.5, "1.5" }, { 0.1, "0.1" }, { 100, "100" }, { 1e21, "1e+21" }, { 123.456, "123.456" },
        { 5e-7, "5e-7" }, { 4.35e-322, "4.35e-322" },
    };
    const char *name = comma_locale(), *out;
    char buf[40];
    json_t *v;
    mez_problem_t pb = { 0 };
    if (!name) {
        fprintf(stderr, "\n    no comma locale here (localedef failed): checked in the C locale only ");
    }
    else {
        snprintf(buf, sizeof(buf), "%.1f", 1.5);
        CU_ASSERT_STRING_EQUAL(buf, "1,5");      /* the locale is in force */
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = mez_json_format_number(cases[i].d, buf);
        buf[n] = '\0';
        if (strcmp(buf, cases[i].want))
            fprintf(stderr, "\n%s: %.17g -> %s, not %s\n", name ? name : "C", cases[i].d, buf, cases[i].want);
        CU_ASSERT_STRING_EQUAL(buf, cases[i].want);
    }
    v = json_pack("{s:f,s:i}", "amount", 1.5, "n", 150000);
    CU_ASSERT_EQUAL(mez_json_canonicalize(unit_pool(), v, &out, NULL, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"amount\":1.5,\"n\":150000}");
    json_decref(v);
    setlocale(LC_NUMERIC, "C");
}

static void test_number_forms(void)
{
    /* JCS writes what ECMAScript's JSON.stringify writes. */
    expect_canon("[56.0, 1E2, -0, -0.0, 0.000001, 1e-7, 1e21, 1e20, 123456789012345680000, 4.50, 2e-3]",
                 "[56,100,0,0,0.000001,1e-7,1e+21,100000000000000000000,123456789012345680000,4.5,0.002]");
    /* Integers beyond 2^53 are read as the double an ECMAScript reader would see. */
    expect_canon("9007199254740992", "9007199254740992");
    expect_canon("9007199254740993", "9007199254740992");
    expect_canon("-9007199254740993", "-9007199254740992");
    expect_canon("9223372036854775807", "9223372036854776000");
    expect_canon("18446744073709551616", "18446744073709552000");
    expect_canon("[1, 100000000000000000000000]", "[1,1e+23]");
}

static void test_number_powers_of_two(void)
{
    /* At a power of two the gap to the next double below is half the gap above, so the nearest p-digit decimal may
     * read back as another double while the one on d's other side does not. Expected: ECMAScript's and Python's
     * repr (both shortest round-trip, closest of the shortest). */
    static const struct { int e; const char *want; } known[] = {
        { -24, "5.960464477539063e-8" }, { -44, "5.684341886080802e-14" }, { 89, "6.189700196426902e+26" },
        { -1017, "7.120236347223045e-307" }, { -1074, "5e-324" }, { 1023, "8.98846567431158e+307" },
        { -1022, "2.2250738585072014e-308" }, { -20, "9.5367431640625e-7" }, { 70, "1.1805916207174113e+21" },
        { -7, "0.0078125" },
    };
    char buf[40];
    double pow2[1074 + 1024];
    /* 2^e for e = -1074..1023, each exact: doubling a power of two is (no libm in this test binary). */
    pow2[0] = 4.9406564584124654e-324;
    for (int i = 1; i < 1074 + 1024; i++)
        pow2[i] = pow2[i - 1] * 2;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        mez_json_format_number(pow2[known[i].e + 1074], buf);
        CU_ASSERT_STRING_EQUAL(buf, known[i].want);
        if (strcmp(buf, known[i].want))
            fprintf(stderr, "\n  2^%d: got %s want %s\n", known[i].e, buf, known[i].want);
    }
    expect_canon("[5.960464477539063e-8, 5.9604644775390625e-8]", "[5.960464477539063e-8,5.960464477539063e-8]");
    /* Every power of two and its neighbours reads back to itself, in at most 17 digits. t/test_canon_numbers.py
     * compares the same sweep, and random doubles, with Python's repr digit for digit. */
    for (int e = -1074; e <= 1023; e++) {
        double d = pow2[e + 1074], around[3];
        uint64_t bits;
        around[0] = d;
        memcpy(&bits, &d, sizeof(bits));        /* the doubles either side: the bit pattern one down, one up */
        bits--;
        memcpy(&around[1], &bits, sizeof(bits));
        bits += 2;
        memcpy(&around[2], &bits, sizeof(bits));
        for (int j = 0; j < 3; j++) {
            if (!isfinite(around[j]) || around[j] == 0)
                continue;
            mez_json_format_number(around[j], buf);
            CU_ASSERT_EQUAL(strtod(buf, NULL), around[j]);
        }
    }
}

static void test_key_order_utf16(void)
{
    /* U+20AC (0x20ac) < U+1F602 (surrogates 0xd83d 0xde02) < U+FB33 (0xfb33): UTF-16 order, not code points. */
    expect_canon("{\"\\ufb33\":3,\"\\ud83d\\ude02\":2,\"\\u20ac\":1}",
                 "{\"\xe2\x82\xac\":1,\"\xf0\x9f\x98\x82\":2,\"\xef\xac\xb3\":3}");
    CU_ASSERT_TRUE(mez_json_key_compare("\xef\xac\xb3", 3, "\xf0\x9f\x98\x82", 4) > 0);
    CU_ASSERT_TRUE(mez_json_key_compare("\xe2\x82\xac", 3, "\xf0\x9f\x98\x82", 4) < 0);
    CU_ASSERT_TRUE(mez_json_key_compare("a", 1, "ab", 2) < 0);
    CU_ASSERT_TRUE(mez_json_key_compare("", 0, "", 0) == 0);
    CU_ASSERT_TRUE(mez_json_key_compare("B", 1, "a", 1) < 0);
    expect_canon("{\"b\":1,\"a\":{\"d\":[],\"c\":{}},\"\":null}", "{\"\":null,\"a\":{\"c\":{},\"d\":[]},\"b\":1}");
}

static void test_string_escaping(void)
{
    expect_canon("\"\\u0001\\b\\t\\n\\f\\r\\u001f \\\" \\\\ \\/ \\u007f \\u00e9\"",
                 "\"\\u0001\\b\\t\\n\\f\\r\\u001f \\\" \\\\ / \x7f \xc3\xa9\"");
    expect_canon("\"a\\u0000b\"", "\"a\\u0000b\"");
    /* Strings are scanned eight bytes at a time: an escape at every offset of a long string, and bytes of
     * multi-byte characters (0x80 and up) beside it, come out the same as byte by byte. */
    for (int k = 0; k < 24; k++) {
        static const char *const forms[][2] = { { "\\\"", "\\\"" }, { "\\\\", "\\\\" }, { "\\n", "\\n" },
                                                { "\\u001f", "\\u001f" }, { "\\u00e9", "\xc3\xa9" } };
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            char in[96], want[96];
            snprintf(in, sizeof(in), "\"%.*s%s%.*s\"", k, "abcdefghijklmnopqrstuvwxyz", forms[f][0], 26 - k,
                     "\xc3\xa9zyxwvutsrqponmlkjihgfedcba");
            snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", k, "abcdefghijklmnopqrstuvwxyz", forms[f][1], 26 - k,
                     "\xc3\xa9zyxwvutsrqponmlkjihgfedcba");
            expect_canon(in, want);
        }
    }
}

/* Small objects are sorted by insertion, larger ones by qsort: both give the same order. */
static void test_key_order_sizes(void)
{
    for (int n = 1; n <= 40; n += 3) {
        char in[1024], want[1024];
        size_t a = 0, b = 0;
        in[a++] = '{';
        want[b++] = '{';
        for (int i = 0; i < n; i++)   /* keys k00..k(n-1) written in reverse */
            a += (size_t)snprintf(in + a, sizeof(in) - a, "%s\"k%02d\":%d", i ? "," : "", n - 1 - i, n - 1 - i);
        for (int i = 0; i < n; i++)
            b += (size_t)snprintf(want + b, sizeof(want) - b, "%s\"k%02d\":%d", i ? "," : "", i, i);
        in[a++] = '}';
        in[a] = '\0';
        want[b++] = '}';
        want[b] = '\0';
        expect_canon(in, want);
    }
}

static void test_parse_errors(void)
{
    expect_parse_error("{\"a\":1,\"a\":2}", 13, "json.duplicate_key");
    expect_parse_error("{\"x\":{\"a\":1,\"a\":1}}", 19, "json.duplicate_key");
    expect_parse_error("\"\\ud800\"", 8, NULL);
    expect_parse_error("\"\\udc00x\"", 9, NULL);
    expect_parse_error("[\"\\ud800\\u0041\"]", 16, NULL);
    expect_parse_error("{\"a\":}", 6, "json.invalid");
    expect_parse_error("[1,]", 4, "json.invalid");
    expect_parse_error("{'a':1}", 7, "json.invalid");
    expect_parse_error("NaN", 3, "json.invalid");
    expect_parse_error("[Infinity]", 10, "json.invalid");
    expect_parse_error("{} x", 4, "json.invalid");
    expect_parse_error("[1] [2]", 7, "json.invalid");
    expect_parse_error("1e400", 5, "json.number_out_of_range");
    expect_parse_error("[-1e400]", 8, "json.number_out_of_range");
    expect_parse_error("\"\xff\"", 3, NULL);
    expect_parse_error("\"\xed\xa0\x80\"", 5, NULL);   /* a surrogate written directly in UTF-8 */
    expect_parse_error("", 0, NULL);
}

/* Input: an integer beyond 64 bits is refused. mez_json_parse reads it as ECMAScript would, a double, and jansson
 * then reads every integer of the document as one: a credential holding one besides its amount 9007199254740993
 * would be signed with the amount rounded, past the check that refuses integers beyond 2^53 (review). */
static void test_input_integers_beyond_64_bits(void)
{
    static const char *const refused[] = {
        "18446744073709551616", "-9223372036854775809", "[1, 18446744073709551616]",
        "{\"amount\":9007199254740993,\"pad\":18446744073709551617}",
    };
    apr_pool_t *p = unit_pool();
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        mez_problem_t pb = { 0 };
        json_t *v = NULL;
        CU_ASSERT_EQUAL(mez_json_parse_input(p, refused[i], strlen(refused[i]), &v, &pb), MEZ_EINVAL);
        CU_ASSERT_PTR_NULL(v);
        CU_ASSERT_STRING_EQUAL(pb.code, "json.number_out_of_range");
        CU_ASSERT_EQUAL(pb.status, 400);
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "write it as a string"));
        /* Text mez wrote itself is read as before: the amount becomes the double it would be in ECMAScript. */
        CU_ASSERT_EQUAL(mez_json_parse(p, refused[i], strlen(refused[i]), &v, &pb), MEZ_OK);
    }
    {
        const char *ok = "{\"amount\":9007199254740993,\"max\":9223372036854775807,\"min\":-9223372036854775808}";
        mez_problem_t pb = { 0 };
        json_t *v = NULL;
        CU_ASSERT_EQUAL_FATAL(mez_json_parse_input(p, ok, strlen(ok), &v, &pb), MEZ_OK);
        CU_ASSERT(json_is_integer(json_object_get(v, "amount")));
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "amount")), 9007199254740993LL);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "min")), INT64_MIN);
    }
    {   /* A real that overflows is still that problem. */
        mez_problem_t pb = { 0 };
        json_t *v = NULL;
        CU_ASSERT_EQUAL(mez_json_parse_input(p, "[18446744073709551616, 1e400]", 29, &v, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "json.number_out_of_range");
    }
}

static void test_not_canonicalizable(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    const char *out;
    size_t n;
    /* jansson itself refuses to build a NaN or infinite real; either way there must be no canonical form. */
    json_t *nan = json_real(NAN), *inf = json_real(INFINITY);
    CU_ASSERT_NOT_EQUAL(mez_json_canonicalize(p, nan, &out, &n, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "json.not_canonicalizable");
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_NOT_EQUAL(mez_json_canonicalize(p, inf, &out, &n, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(pb.code, "json.not_canonicalizable");
    json_decref(nan);
    json_decref(inf);
}

/* What may be a metrics label: mez's own codes, not whatever a remote server answered. */
static void test_problem_code_shape(void)
{
    const char *good[] = { "db.error", "fiscal.insufficient_funds", "auth.not_entity_owner", "a.b.c", "x1.y_2", NULL };
    const char *bad[] = { NULL, "", "db", "db.", ".error", "db..error", "DB.error", "db.error!", "db error",
                          "db.\x1f" "error", "_db.error", "db._e", "1db.error",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" };
    for (int i = 0; good[i]; i++)
        CU_ASSERT_TRUE(mez_problem_code_ok(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_FALSE(mez_problem_code_ok(bad[i]));
}

/* A detail that is not UTF-8 (a message from outside) is kept, its stray bytes shown as U+FFFD. */
static void test_problem_detail_not_utf8(void)
{
    mez_problem_t pb = { 0 };
    json_t *doc;
    mez_problem(&pb, unit_pool(), MEZ_EIO, 503, "db.error", NULL, "caf\xc3\xa9 \xff\xfe \xc3(%s)", "\xe2\x80\xae");
    doc = mez_json_pool_own(unit_pool(), mez_problem_to_json(&pb));
    CU_ASSERT_PTR_NOT_NULL_FATAL(json_object_get(doc, "detail"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "detail")),
                           "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd(\xe2\x80\xae)");
    mez_problem(&pb, unit_pool(), MEZ_EIO, 503, "db.error", NULL, "plain");
    doc = mez_json_pool_own(unit_pool(), mez_problem_to_json(&pb));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "detail")), "plain");
}

static void test_pointer_join(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, "", "a"), "/a");
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, NULL, "a"), "/a");
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, "/x", "a/b"), "/x/a~1b");
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, "/x", "m~n"), "/x/m~0n");
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, "", "~1/"), "/~01~1");
    CU_ASSERT_STRING_EQUAL(mez_pointer_join(p, "/a", ""), "/a/");
    CU_ASSERT_STRING_EQUAL(mez_pointer_index(p, "/credentialSubject", 3), "/credentialSubject/3");
}

static void test_pool_ownership(void)
{
    apr_pool_t *p = unit_pool(), *sub;
    json_t *v = json_object();
    json_incref(v);
    apr_pool_create(&sub, p);
    CU_ASSERT_PTR_EQUAL(mez_json_pool_own(sub, v), v);
    CU_ASSERT_EQUAL(v->refcount, 2);
    apr_pool_destroy(sub);
    CU_ASSERT_EQUAL(v->refcount, 1);
    json_decref(v);
}

/* ------------------------------------------------------------------ json_fast.c against jansson */

#define JANSSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* The reader's contract: whatever it accepts, jansson accepts with an equal value (same types: an integer is not a
 * real). Returns 1 when the fast reader accepted. */
static int agrees(const char *text, size_t len)
{
    json_error_t err;
    json_t *fast = mez_json_fast_parse(text, len), *slow = json_loadb(text, len, JANSSON_FLAGS, &err);
    int accepted = fast != NULL;
    if (fast) {
        CU_ASSERT_PTR_NOT_NULL(slow);
        if (slow && !json_equal(fast, slow)) {
            CU_FAIL("the fast reader and jansson read different values");
            fprintf(stderr, "\n  differ on: %.*s\n", (int)(len > 200 ? 200 : len), text);
        }
        if (!slow)
            fprintf(stderr, "\n  fast accepts what jansson refuses (%s): %.*s\n", err.text,
                    (int)(len > 200 ? 200 : len), text);
    }
    json_decref(fast);
    json_decref(slow);
    return accepted;
}

static void test_fast_reader_cases(void)
{
    static const char *const valid[] = {
        "{}", "[]", " \t\r\n{ \"a\" : [ 1 , -2 , 3.5 , -0 , 0 , 1e3 , 1E-3 , 2.5e+2 , true , false , null ] } \n",
        "\"plain\"", "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"",
        "\"nul \\u0000 inside\"", "{\"k\\u00e9y\":1,\"k\xc3\xa9y2\":{\"\":[{}]}}", "9223372036854775807", "-9223372036854775808",
        "1e-400", "0.1", "123456789012345678", "[[[[[]]]]]", "{\"a\":\"\\\\u0041\"}", "{\"esc\\\"key\":\"v\\\"w\"}",
        "17", "true", "null", "-1.0",
    };
    /* Each must be declined (jansson then refuses it, or reads it where this reader does not go). */
    static const char *const declined[] = {
        "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "[1e+]",
        "[+1]", "[0x10]", "[NaN]", "[Infinity]", "[tru]", "[nul]", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"tab\there\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xe0\x80\xaf\"", "{\"a\":1,\"a\":2}", "{\"a\\u0000b\":1}", "[1] [2]", "{} x",
        "[1e400]", "[-1e400]", "99999999999999999999", "\xef\xbb\xbf{}", "'a'", "[1,,2]", "{\"a\":}",
    };
    char *deep;
    size_t i;
    for (i = 0; i < sizeof(valid) / sizeof(*valid); i++) {
        if (!agrees(valid[i], strlen(valid[i])))
            fprintf(stderr, "\n  declined valid JSON: %s\n", valid[i]);
        {
            json_t *v = mez_json_fast_parse(valid[i], strlen(valid[i]));
            CU_ASSERT_PTR_NOT_NULL(v);
            json_decref(v);
        }
    }
    /* An embedded NUL inside a string is a control character; with an escape it is a value. */
    CU_ASSERT_EQUAL(agrees("\"a\0b\"", 5), 0);
    for (i = 0; i < sizeof(declined) / sizeof(*declined); i++) {
        json_t *v = mez_json_fast_parse(declined[i], strlen(declined[i]));
        if (v)
            fprintf(stderr, "\n  accepted: %s\n", declined[i]);
        CU_ASSERT_PTR_NULL(v);
        json_decref(v);
        agrees(declined[i], strlen(declined[i]));
    }
    /* Nesting: 2048 levels are read, 2049 are left to jansson (which refuses them). */
    deep = malloc(2 * 2049 + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
    for (int depth = 2048; depth <= 2049; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        CU_ASSERT_EQUAL(agrees(deep, 2 * (size_t)depth), depth == 2048);
    }
    free(deep);
}

/* A deterministic generator, so a failure is repeated by running the suite again. */
static uint64_t fast_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    fast_rng ^= fast_rng << 13;
    fast_rng ^= fast_rng >> 7;
    fast_rng ^= fast_rng << 17;
    return fast_rng;
}

/* Valid JSON documents from ../shared, every shape the product reads and writes. */
static const char *const corpus[] = {
    "vectors/corridor/mmr.json", "vectors/corridor/canonical.json", "vectors/anchor/lawpack_digest.json",
    "vectors/anchor/tensor_commitment.json", "vectors/anchor/manifold_paths.json",
    "vectors/anchor/mcf_sha256_basic.json", "vectors/vc-di-eddsa/unsigned.json",
    "vectors/vc-di-eddsa/eddsa-jcs-2022/proofConfigJCS.json", "vectors/vc-di-eddsa/eddsa-jcs-2022/signedJCS.json",
    "vectors/vc-di-eddsa/keyPair.json", "vectors/jcs/input/weird.json", "vectors/jcs/input/unicode.json",
    "vectors/jcs/input/values.json", "vectors/jcs/input/structures.json", "vectors/jcs/input/arrays.json",
    "vectors/jcs/input/french.json", "schemas/mass/templating-engine.openapi.json",
    "schemas/mass/investment-info.openapi.json", "schemas/mass/treasury-info.openapi.json",
    "schemas/mass/organization-info.openapi.json", "schemas/mass/consent-info.openapi.json",
};

static void test_fast_reader_differential(void)
{
    static const char *const *files = corpus;
    /* Bytes a mutation inserts or substitutes: the ones JSON's grammar and UTF-8 turn on. */
    static const char alphabet[] = "{}[],:\"\\/ \t\n0123456789-+.eEtrufalsn\x00\x01\x1f\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf4\xff"
                                   "ubfDd";
    size_t nfiles = sizeof(corpus) / sizeof(*corpus), accepted_mutants = 0, mutants = 0;
    for (size_t f = 0; f < nfiles; f++) {
        size_t len = 0;
        char *text = unit_read_file(unit_shared(files[f]), &len), *m;
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        /* Every document of the corpus is valid JSON, and the fast reader reads it (none has a 20-digit number). */
        CU_ASSERT_EQUAL(agrees(text, len), 1);
        m = malloc(len + 8);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        /* Mutants of the small documents mostly (the grammar is the same in a large one, only slower to read). */
        for (int k = 0, n_mut = len < 8192 ? 6000 : 100; k < n_mut; k++) {
            size_t n = len, at = (size_t)(next_rand() % (len ? len : 1));
            char c = alphabet[next_rand() % (sizeof(alphabet) - 1)];
            memcpy(m, text, len);
            switch (next_rand() % 4) {
            case 0:                                     /* substitute */
                m[at] = c;
                break;
            case 1:                                     /* insert */
                memmove(m + at + 1, m + at, len - at);
                m[at] = c;
                n = len + 1;
                break;
            case 2:                                     /* delete */
                memmove(m + at, m + at + 1, len - at - 1);
                n = len - 1;
                break;
            default:                                    /* truncate */
                n = at;
                break;
            }
            mutants++;
            accepted_mutants += (size_t)agrees(m, n);
        }
        free(m);
    }
    /* Some mutants are still JSON (a digit for a digit, a space added): the comparison covered accepted ones too. */
    CU_ASSERT(accepted_mutants > 100);
    fprintf(stderr, "(%zu mutants, %zu read by both) ", mutants, accepted_mutants);
}

static int has_real(const json_t *v)
{
    const char *k;
    const json_t *x;
    size_t i;
    if (json_is_real(v))
        return 1;
    json_object_foreach((json_t *)v, k, x)
        if (has_real(x))
            return 1;
    json_array_foreach(v, i, x)
        if (has_real(x))
            return 1;
    return 0;
}

/* An answer's compact text (mez_json_dump, mez's writer): the members in their order, integers exact, reals in
 * their shortest form and still reals, the same values read back, and otherwise byte for byte what jansson's json_dumps wrote (control characters aside, which
 * jansson escapes in upper-case hex), on every document of the corpus. */
static void test_dump_compact(void)
{
    apr_pool_t *p = unit_pool();
    json_t *v = json_loads("{\"b\":1,\"a\":[0.045,-0.0,5.0,1e21,9007199254740993,-9223372036854775808],\"\":"
                           "\"line\\nbreak \\\"q\\\" caf\u00e9\",\"t\":true,\"n\":null,\"o\":{\"z\":{},\"y\":[]}}", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_STRING_EQUAL(mez_json_dump(p, v, 0),
                           "{\"b\":1,\"a\":[0.045,0.0,5.0,1e+21,9007199254740993,-9223372036854775808],\"\":"
                           "\"line\\nbreak \\\"q\\\" caf\xc3\xa9\",\"t\":true,\"n\":null,\"o\":{\"z\":{},\"y\":[]}}");
    json_decref(v);
    v = json_string("x");
    CU_ASSERT_STRING_EQUAL(mez_json_dump(p, v, 0), "\"x\"");
    json_decref(v);
    for (size_t f = 0; f < sizeof(corpus) / sizeof(*corpus); f++) {
        size_t len = 0;
        char *text = unit_read_file(unit_shared(corpus[f]), &len), *theirs;
        json_t *doc, *back;
        const char *ours;
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        doc = json_loadb(text, len, JANSSON_FLAGS, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
        ours = mez_json_dump(p, doc, 0);
        theirs = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
        back = json_loads(ours, JSON_DECODE_ANY, NULL);
        CU_ASSERT(back && json_equal(back, doc));
        if (!has_real(doc) && !strstr(theirs, "\\u00") && strcmp(ours, theirs)) {
            CU_FAIL("mez_json_dump and json_dumps differ");
            fprintf(stderr, "\n  on %s\n", corpus[f]);
        }
        free(theirs);
        json_decref(back);
        json_decref(doc);
    }
}

/* The UTF-8 check paths, queries and signed notes go through: RFC 3629's well-formed sequences only. */
static void test_utf8_valid(void)
{
    static const struct { const char *s; size_t n; int ok; } cases[] = {
        { "", 0, 1 }, { "plain ascii", 11, 1 }, { "caf\xc3\xa9", 5, 1 }, { "\xe2\x80\xae", 3, 1 },
        { "\xf0\x9f\x98\x80", 4, 1 }, { "\xf4\x8f\xbf\xbf", 4, 1 },          /* U+10FFFF, the last */
        { "\xff", 1, 0 }, { "\x80", 1, 0 },                                      /* no lead byte */
        { "\xc0\xaf", 2, 0 }, { "\xe0\x80\xaf", 3, 0 },                       /* overlong '/' */
        { "\xed\xa0\x80", 3, 0 },                                             /* a surrogate */
        { "\xf4\x90\x80\x80", 4, 0 },                                         /* above U+10FFFF */
        { "caf\xc3", 4, 0 }, { "\xe2\x80", 2, 0 },                               /* cut short */
        { "a\xc3\x28", 3, 0 },                                                 /* a bad continuation */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CU_ASSERT_EQUAL(mez_utf8_valid(cases[i].s, cases[i].n), cases[i].ok);
}

/* The one rule every API applies to a text member: control characters (NUL included) refused, length counted in
 * characters, not bytes. */
/* mez_json_text: a string's text only when it holds no NUL; mez_json_find_nul: where the first such string is. */
static void test_find_nul(void)
{
    apr_pool_t *p = unit_pool();
    json_t *doc;
    mez_problem_t pb = { 0 };
    const char *text = "{\"a\":1,\"b/c\":[\"x\",{\"d~e\":\"ok\"},{\"f\":\"p\\u0000q\"}],\"g\":\"\\u0000\"}";

    CU_ASSERT_EQUAL_FATAL(mez_json_parse(p, text, strlen(text), &doc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(mez_json_find_nul(p, doc, NULL), "/b~1c/2/f");
    CU_ASSERT_STRING_EQUAL(mez_json_find_nul(p, doc, "/body"), "/body/b~1c/2/f");
    CU_ASSERT_STRING_EQUAL(mez_json_find_nul(p, json_object_get(doc, "g"), NULL), "");
    CU_ASSERT_PTR_NULL(mez_json_find_nul(p, json_array_get(json_object_get(doc, "b/c"), 1), NULL));
    CU_ASSERT_PTR_NULL(mez_json_find_nul(p, json_object_get(doc, "a"), NULL));
    CU_ASSERT_PTR_NULL(mez_json_find_nul(p, NULL, NULL));
    CU_ASSERT_PTR_NULL(mez_json_text(json_object_get(doc, "g")));
    CU_ASSERT_PTR_NULL(mez_json_text(json_object_get(json_array_get(json_object_get(doc, "b/c"), 2), "f")));
    CU_ASSERT_PTR_NULL(mez_json_text(json_object_get(doc, "a")));
    CU_ASSERT_PTR_NULL(mez_json_text(NULL));
    CU_ASSERT_STRING_EQUAL(mez_json_text(json_array_get(json_object_get(doc, "b/c"), 0)), "x");
    /* An empty string is text; a key can never hold a NUL (the parser refuses it). */
    CU_ASSERT_STRING_EQUAL(mez_json_text(mez_json_pool_own(p, json_string(""))), "");
    CU_ASSERT_EQUAL(mez_json_parse(p, "{\"a\\u0000\":1}", 13, &doc, &pb), MEZ_EINVAL);
}

static void test_text_check(void)
{
    size_t chars = 0;
    CU_ASSERT_EQUAL(mez_text_check("Abdul Rahman", 12, 12, &chars), MEZ_TEXT_OK);
    CU_ASSERT_EQUAL(chars, 12);
    CU_ASSERT_EQUAL(mez_text_check("Abdul Rahman", 12, 11, NULL), MEZ_TEXT_TOO_LONG);
    CU_ASSERT_EQUAL(mez_text_check("\xd8\xb9\xd8\xa8\xd8\xaf", 6, 3, &chars), MEZ_TEXT_OK);   /* three Arabic letters */
    CU_ASSERT_EQUAL(chars, 3);
    CU_ASSERT_EQUAL(mez_text_check("INV-1\0; hidden", 14, 0, NULL), MEZ_TEXT_CONTROL);
    CU_ASSERT_EQUAL(mez_text_check("line\nbreak", 10, 0, NULL), MEZ_TEXT_CONTROL);
    CU_ASSERT_EQUAL(mez_text_check("del\x7f", 4, 0, NULL), MEZ_TEXT_CONTROL);
    CU_ASSERT_EQUAL(mez_text_check("", 0, 0, &chars), MEZ_TEXT_OK);
    CU_ASSERT_EQUAL(chars, 0);
}

void unit_register_json(void)
{
    CU_pSuite s = unit_suite("json");
    CU_add_test(s, "vectors/jcs: six input/output pairs byte for byte", test_jcs_vectors);
    CU_add_test(s, "vectors/jcs/es6-numbers-10k.txt through mez_json_format_number", test_es6_numbers);
    CU_add_test(s, "number forms, integers beyond 2^53 and 2^64", test_number_forms);
    CU_add_test(s, "numbers are the same in a locale whose decimal point is a comma", test_numbers_whatever_the_locale);
    CU_add_test(s, "numbers at powers of two: shortest that reads back, not only the nearest", test_number_powers_of_two);
    CU_add_test(s, "object keys in UTF-16 code-unit order", test_key_order_utf16);
    CU_add_test(s, "minimal string escaping", test_string_escaping);
    CU_add_test(s, "object keys sorted at every size", test_key_order_sizes);
    CU_add_test(s, "input: an integer beyond 64 bits refused, as no other integer of the document may become a double",
                test_input_integers_beyond_64_bits);
    CU_add_test(s, "duplicate keys, lone surrogates, invalid JSON, trailing garbage, 1e400 refused",
                test_parse_errors);
    CU_add_test(s, "NaN and Infinity have no canonical form", test_not_canonicalizable);
    CU_add_test(s, "the fast reader agrees with jansson (cases)", test_fast_reader_cases);
    CU_add_test(s, "the fast reader agrees with jansson (corpus and ~100,000 mutations)", test_fast_reader_differential);
    CU_add_test(s, "JSON pointer escaping (~0 ~1)", test_pointer_join);
    CU_add_test(s, "the shape of a problem code", test_problem_code_shape);
    CU_add_test(s, "a problem's detail that is not UTF-8 is kept, as U+FFFD", test_problem_detail_not_utf8);
    CU_add_test(s, "pool-owned values are released with the pool", test_pool_ownership);
    CU_add_test(s, "an answer's compact text keeps member order, as jansson's did", test_dump_compact);
    CU_add_test(s, "well-formed UTF-8 only (paths, queries, notes)", test_utf8_valid);
    CU_add_test(s, "text members: no control characters, length in characters", test_text_check);
    CU_add_test(s, "strings holding a NUL: mez_json_text refuses, mez_json_find_nul points", test_find_nul);
}
