/* test_mmr.c: CUnit suite for the mmr area. The library's roots and proofs are compared with a second,
 * deliberately naive implementation written here straight from the recursive definitions of RFC 9162
 * (MTH 2.1.1, PATH 2.1.3.1, PROOF/SUBPROOF 2.1.4.1) on every size and index up to 70, and the reference
 * system's vectors (vectors/corridor/mmr.json) are reproduced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <jansson.h>
#include "mez/json.h"
#include "mez/mmr.h"
#include "mez/tensor.h"
#include "unit.h"

/* ------------------------------------------------------------------ RFC 9162, literally */

static void h_leaf(const mez_digest_t *d, mez_digest_t *out)
{
    unsigned char b[33];
    b[0] = 0;
    memcpy(b + 1, d->bytes, 32);
    mez_digest_sha256(b, 33, out);
}

static void h_node(const mez_digest_t *l, const mez_digest_t *r, mez_digest_t *out)
{
    unsigned char b[65];
    b[0] = 1;
    memcpy(b + 1, l->bytes, 32);
    memcpy(b + 33, r->bytes, 32);
    mez_digest_sha256(b, 65, out);
}

static size_t k_of(size_t n)
{
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void ref_mth(const mez_digest_t *d, size_t n, mez_digest_t *out)
{
    mez_digest_t l, r;
    size_t k;
    if (n == 0) {
        mez_digest_sha256("", 0, out);
        return;
    }
    if (n == 1) {
        h_leaf(&d[0], out);
        return;
    }
    k = k_of(n);
    ref_mth(d, k, &l);
    ref_mth(d + k, n - k, &r);
    h_node(&l, &r, out);
}

/* PATH(m, D[n]) appended to out[*len]. */
static void ref_path(size_t m, const mez_digest_t *d, size_t n, mez_digest_t *out, size_t *len)
{
    size_t k;
    if (n == 1)
        return;
    k = k_of(n);
    if (m < k) {
        ref_path(m, d, k, out, len);
        ref_mth(d + k, n - k, &out[(*len)++]);
    }
    else {
        ref_path(m - k, d + k, n - k, out, len);
        ref_mth(d, k, &out[(*len)++]);
    }
}

static void ref_subproof(size_t m, const mez_digest_t *d, size_t n, int b, mez_digest_t *out, size_t *len)
{
    size_t k;
    if (m == n) {
        if (!b)
            ref_mth(d, m, &out[(*len)++]);
        return;
    }
    k = k_of(n);
    if (m <= k) {
        ref_subproof(m, d, k, b, out, len);
        ref_mth(d + k, n - k, &out[(*len)++]);
    }
    else {
        ref_subproof(m - k, d + k, n - k, 0, out, len);
        ref_mth(d, k, &out[(*len)++]);
    }
}

#define MAXN 70

static void make_leaves(mez_digest_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char s[32];
        int l = snprintf(s, sizeof(s), "leaf-%zu", i);
        mez_digest_sha256(s, (size_t)l, &d[i]);
    }
}

static void test_root_every_size(void)
{
    mez_digest_t d[300], want, got;
    mez_mmr_t m;
    make_leaves(d, 300);
    mez_mmr_init(&m);
    mez_mmr_root(&m, &got);
    ref_mth(d, 0, &want);
    CU_ASSERT_TRUE(mez_digest_equal(&got, &want));
    for (size_t n = 1; n <= 300; n++) {
        mez_mmr_append(&m, &d[n - 1]);
        ref_mth(d, n, &want);
        mez_mmr_root(&m, &got);
        CU_ASSERT_TRUE(mez_digest_equal(&got, &want));
        mez_mmr_tree_root(d, n, &got);
        CU_ASSERT_TRUE(mez_digest_equal(&got, &want));
        CU_ASSERT_EQUAL(m.size, n);
        /* O(log n): one peak per set bit of the size. */
        CU_ASSERT_EQUAL(m.npeaks, (unsigned)__builtin_popcountll(n));
        /* The tensor's Merkle root is the same function (one implementation, in mmr.c). */
        mez_tensor_merkle_root(d, n, &got);
        CU_ASSERT_TRUE(mez_digest_equal(&got, &want));
    }
}

static void test_inclusion_every_index(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d[MAXN], want[2 * 64], root, *path, bad;
    size_t len, wlen;
    mez_problem_t pb = { 0 };
    make_leaves(d, MAXN);
    for (size_t n = 1; n <= MAXN; n++) {
        ref_mth(d, n, &root);
        for (size_t i = 0; i < n; i++) {
            wlen = 0;
            ref_path(i, d, n, want, &wlen);
            CU_ASSERT_EQUAL_FATAL(mez_mmr_inclusion_proof(p, d, n, i, &path, &len, &pb), MEZ_OK);
            CU_ASSERT_EQUAL_FATAL(len, wlen);
            for (size_t j = 0; j < len; j++)
                CU_ASSERT_TRUE(mez_digest_equal(&path[j], &want[j]));
            CU_ASSERT_TRUE(mez_mmr_verify_inclusion(i, n, &d[i], path, len, &root));
            /* Wrong leaf, index, size, root, or any path entry changed: refused. */
            CU_ASSERT_FALSE(mez_mmr_verify_inclusion(i, n, &d[(i + 1) % MAXN], path, len, &root));
            if (n > 1)
                CU_ASSERT_FALSE(mez_mmr_verify_inclusion((i + 1) % n, n, &d[i], path, len, &root));
            /* (A proof may also fit another size of the same shape, e.g. 3 and 4 for leaf 0: RFC 9162 binds the
             * size to the root through the signed checkpoint, not through the proof, so that is not tested.) */
            CU_ASSERT_FALSE(mez_mmr_verify_inclusion(n, n, &d[i], path, len, &root));
            bad = root;
            bad.bytes[0] ^= 1;
            CU_ASSERT_FALSE(mez_mmr_verify_inclusion(i, n, &d[i], path, len, &bad));
            for (size_t j = 0; j < len; j++) {
                path[j].bytes[31] ^= 0x80;
                CU_ASSERT_FALSE(mez_mmr_verify_inclusion(i, n, &d[i], path, len, &root));
                path[j].bytes[31] ^= 0x80;
            }
            if (len > 0) {
                CU_ASSERT_FALSE(mez_mmr_verify_inclusion(i, n, &d[i], path, len - 1, &root));
            }
        }
    }
    CU_ASSERT_EQUAL(mez_mmr_inclusion_proof(p, d, 5, 5, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "mmr.index_out_of_range");
}

static void test_consistency_every_pair(void)
{
    apr_pool_t *p = unit_pool();
    mez_digest_t d[MAXN], want[2 * 64], r1, r2, *path, other;
    size_t len, wlen;
    mez_problem_t pb = { 0 };
    make_leaves(d, MAXN);
    for (size_t n = 1; n <= MAXN; n++) {
        ref_mth(d, n, &r2);
        for (size_t m = 1; m <= n; m++) {
            ref_mth(d, m, &r1);
            wlen = 0;
            ref_subproof(m, d, n, 1, want, &wlen);
            CU_ASSERT_EQUAL_FATAL(mez_mmr_consistency_proof(p, d, n, m, &path, &len, &pb), MEZ_OK);
            CU_ASSERT_EQUAL_FATAL(len, wlen);
            for (size_t j = 0; j < len; j++)
                CU_ASSERT_TRUE(mez_digest_equal(&path[j], &want[j]));
            CU_ASSERT_TRUE(mez_mmr_verify_consistency(m, n, &r1, &r2, path, len));
            /* Swapped roots, another old root, any entry changed, a shorter proof: refused. */
            if (m < n) {
                CU_ASSERT_FALSE(mez_mmr_verify_consistency(m, n, &r2, &r1, path, len));
                ref_mth(d, m - 1, &other);
                CU_ASSERT_FALSE(mez_mmr_verify_consistency(m, n, &other, &r2, path, len));
                CU_ASSERT_FALSE(mez_mmr_verify_consistency(m, n, &r1, &r2, path, len - 1));
                CU_ASSERT_FALSE(mez_mmr_verify_consistency(n, m, &r2, &r1, path, len));
                if (n < MAXN) {
                    ref_mth(d, n + 1, &other);
                    CU_ASSERT_FALSE(mez_mmr_verify_consistency(m, n + 1, &r1, &other, path, len));
                }
            }
            for (size_t j = 0; j < len; j++) {
                path[j].bytes[0] ^= 1;
                CU_ASSERT_FALSE(mez_mmr_verify_consistency(m, n, &r1, &r2, path, len));
                path[j].bytes[0] ^= 1;
            }
        }
        /* A different history of the same size is not a prefix: a fork is caught. */
        if (n >= 2) {
            mez_digest_t e[MAXN];
            memcpy(e, d, n * sizeof(*e));
            e[0].bytes[5] ^= 1;
            ref_mth(e, n - 1, &other);
            CU_ASSERT_EQUAL_FATAL(mez_mmr_consistency_proof(p, d, n, n - 1, &path, &len, &pb), MEZ_OK);
            CU_ASSERT_FALSE(mez_mmr_verify_consistency(n - 1, n, &other, &r2, path, len));
        }
    }
    CU_ASSERT_EQUAL(mez_mmr_consistency_proof(p, d, 5, 0, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "mmr.size_out_of_range");
    CU_ASSERT_EQUAL(mez_mmr_consistency_proof(p, d, 5, 6, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_FALSE(mez_mmr_verify_consistency(0, 5, &r1, &r2, NULL, 0));
}

/* A larger tree: proof length is log2(n) rounded up, and proofs verify. */
static void test_large_tree(void)
{
    apr_pool_t *p = unit_pool();
    size_t n = 100003;
    mez_digest_t *d = apr_palloc(p, n * sizeof(*d)), root, old, *path;
    size_t len;
    mez_problem_t pb = { 0 };
    make_leaves(d, n);
    mez_mmr_tree_root(d, n, &root);
    CU_ASSERT_EQUAL(mez_mmr_inclusion_proof(p, d, n, 77777, &path, &len, &pb), MEZ_OK);
    CU_ASSERT_TRUE(len <= 17);
    CU_ASSERT_TRUE(mez_mmr_verify_inclusion(77777, n, &d[77777], path, len, &root));
    mez_mmr_tree_root(d, 65537, &old);
    CU_ASSERT_EQUAL(mez_mmr_consistency_proof(p, d, n, 65537, &path, &len, &pb), MEZ_OK);
    CU_ASSERT_TRUE(len <= 34);
    CU_ASSERT_TRUE(mez_mmr_verify_consistency(65537, n, &old, &root, path, len));
}

/* ------------------------------------------------------------------ RFC 6962 test data */

/* The certificate-transparency project's tree of eight leaves (raw data of various lengths, so leaf hashes are
 * computed here), its published roots for sizes 1..8, and its published inclusion and consistency proofs:
 * a third party's numbers for the RFC 9162 verification algorithms. */
static const char *const ct_leaves[8] = { "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f" };
static const char *const ct_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void hex_any(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        CU_ASSERT_EQUAL_FATAL(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

static void ct_hash(size_t i, mez_digest_t *out)
{
    unsigned char b[1 + 16];
    size_t n = strlen(ct_leaves[i]) / 2;
    b[0] = 0;
    hex_any(ct_leaves[i], b + 1, n);
    mez_digest_sha256(b, 1 + n, out);
}

static size_t ct_path(const char *const *hexes, mez_digest_t *out)
{
    size_t n = 0;
    for (; hexes[n]; n++)
        hex_any(hexes[n], out[n].bytes, 32);
    return n;
}

static void test_rfc6962_vectors(void)
{
    static const struct { uint64_t index, size; const char *path[4]; } incl[] = {
        { 0, 1, { NULL } },
        { 0, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", NULL } },
        { 5, 8, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", NULL } },
        { 2, 3, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", NULL } },
        { 1, 5, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", NULL } },
    };
    static const struct { uint64_t m, n; const char *path[4]; } cons[] = {
        { 1, 1, { NULL } },
        { 1, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", NULL } },
        { 6, 8, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", NULL } },
        { 2, 5, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", NULL } },
    };
    mez_digest_t h[8], roots[8], path[4];
    mez_mmr_t m;
    size_t i, len;

    /* Roots: the compact tree fed with the leaf hashes. */
    mez_mmr_init(&m);
    for (i = 0; i < 8; i++) {
        ct_hash(i, &h[i]);
        hex_any(ct_roots[i], roots[i].bytes, 32);
    }
    for (i = 0; i < 8; i++) {
        mez_digest_t bag;
        mez_mmr_append_hash(&m, &h[i]);
        mez_mmr_root(&m, &bag);
        CU_ASSERT_TRUE(mez_digest_equal(&bag, &roots[i]));
    }
    for (i = 0; i < sizeof(incl) / sizeof(*incl); i++) {
        len = ct_path(incl[i].path, path);
        CU_ASSERT_TRUE(mez_mmr_verify_inclusion_hash(incl[i].index, incl[i].size, &h[incl[i].index], path, len,
                                                     &roots[incl[i].size - 1]));
        CU_ASSERT_FALSE(mez_mmr_verify_inclusion_hash(incl[i].index, incl[i].size, &h[(incl[i].index + 1) % 8], path,
                                                      len, &roots[incl[i].size - 1]));
    }
    for (i = 0; i < sizeof(cons) / sizeof(*cons); i++) {
        len = ct_path(cons[i].path, path);
        CU_ASSERT_TRUE(mez_mmr_verify_consistency(cons[i].m, cons[i].n, &roots[cons[i].m - 1], &roots[cons[i].n - 1],
                                                  path, len));
        if (cons[i].m < cons[i].n)
            CU_ASSERT_FALSE(mez_mmr_verify_consistency(cons[i].m, cons[i].n, &roots[cons[i].m], &roots[cons[i].n - 1],
                                                       path, len));
    }
}

/* ------------------------------------------------------------------ the reference's vectors */

/* Hex of either case to bytes: the reference accepts upper case, so its vector does too. */
static void any_hex(const char *s, mez_digest_t *d)
{
    hex_any(s, d->bytes, 32);
}

static const char *hex(const mez_digest_t *d)
{
    return mez_digest_hex(unit_pool(), d);
}

static json_t *load_mmr_json(void)
{
    mez_problem_t pb = { 0 };
    size_t len;
    json_t *v;
    char *text = unit_read_file(unit_shared("vectors/corridor/mmr.json"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, len, &v, &pb), MEZ_OK);
    return v;
}

static void test_reference_vectors(void)
{
    apr_pool_t *p = unit_pool();
    json_t *v = load_mmr_json(), *x, *e;
    mez_digest_t nr[17], d, l, r, got, *path;
    const char *key;
    size_t i, len;
    mez_mmr_t m;
    mez_problem_t pb = { 0 };

    /* The 17 stand-in next_roots are SHA-256("receipt-<i>"). */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "next_root_preimage_format")), "receipt-{i}");
    json_array_foreach(json_object_get(v, "next_roots_1_to_17"), i, e) {
        const char *pre = apr_psprintf(p, "receipt-%u", (unsigned)(i + 1));
        mez_digest_sha256(pre, strlen(pre), &nr[i]);
        CU_ASSERT_STRING_EQUAL(hex(&nr[i]), json_string_value(e));
    }
    CU_ASSERT_EQUAL_FATAL(i, 17);
    json_object_foreach(json_object_get(v, "leaf_hashes"), key, e) {
        mez_mmr_leaf_hash(&nr[atoi(key) - 1], &d);
        CU_ASSERT_STRING_EQUAL(hex(&d), json_string_value(e));
    }
    x = json_object_get(v, "leaf_hash_uppercase_input");
    any_hex(json_string_value(json_object_get(x, "input")), &d);
    mez_mmr_leaf_hash(&d, &got);
    CU_ASSERT_STRING_EQUAL(hex(&got), json_string_value(json_object_get(x, "leaf_hash")));
    x = json_object_get(v, "node_hash");
    any_hex(json_string_value(json_object_get(x, "left")), &l);
    any_hex(json_string_value(json_object_get(x, "right")), &r);
    mez_mmr_node_hash(&l, &r, &got);
    CU_ASSERT_STRING_EQUAL(hex(&got), json_string_value(json_object_get(x, "hash")));

    /* Roots and peaks: the reference's bagged MMR root is the RFC 9162 root. */
    json_object_foreach(json_object_get(v, "roots"), key, x) {
        size_t n = (size_t)atoi(key);
        json_t *heights = json_object_get(x, "peak_heights"), *peaks = json_object_get(x, "peaks");
        mez_mmr_init(&m);
        for (i = 0; i < n; i++)
            mez_mmr_append(&m, &nr[i]);
        mez_mmr_root(&m, &got);
        CU_ASSERT_STRING_EQUAL(hex(&got), json_string_value(json_object_get(x, "root")));
        ref_mth(nr, n, &d);
        CU_ASSERT_TRUE(mez_digest_equal(&got, &d));
        if (heights) {
            CU_ASSERT_EQUAL(json_array_size(heights), m.npeaks);
            json_array_foreach(heights, i, e)
                CU_ASSERT_EQUAL(m.height[i], (unsigned)json_integer_value(e));
        }
        if (peaks) {
            CU_ASSERT_EQUAL(json_array_size(peaks), m.npeaks);
            json_array_foreach(peaks, i, e) {
                CU_ASSERT_EQUAL(m.height[i], (unsigned)json_integer_value(json_object_get(e, "height")));
                CU_ASSERT_STRING_EQUAL(hex(&m.peak[i]), json_string_value(json_object_get(e, "hash")));
            }
        }
    }
    /* Peak plan: the binary decomposition of the size, largest first. */
    json_object_foreach(json_object_get(v, "peak_plan"), key, x) {
        size_t n = (size_t)atoi(key);
        mez_mmr_init(&m);
        for (i = 0; i < n; i++)
            mez_mmr_append(&m, &nr[0]);
        CU_ASSERT_EQUAL(json_array_size(x), m.npeaks);
        json_array_foreach(x, i, e) {
            CU_ASSERT_EQUAL(m.height[i], (unsigned)json_integer_value(json_array_get(e, 0)));
            CU_ASSERT_EQUAL((json_int_t)1 << m.height[i], json_integer_value(json_array_get(e, 1)));
        }
    }
    /* Inclusion proofs at 17: the reference's path inside the leaf's peak is the first path_len entries of
     * the RFC 9162 path (folding them gives the peak); the remaining entries stand for the other peaks. */
    any_hex(json_string_value(json_object_get(json_object_get(json_object_get(v, "roots"), "17"), "root")), &r);
    json_array_foreach(json_object_get(v, "inclusion_proofs_n17"), i, x) {
        size_t idx = (size_t)json_integer_value(json_object_get(x, "leaf_index"));
        size_t plen = (size_t)json_integer_value(json_object_get(x, "path_len"));
        size_t pi = (size_t)json_integer_value(json_object_get(x, "peak_index"));
        size_t fn = idx;
        json_t *cpr = json_object_get(x, "computed_peak_root");
        mez_mmr_init(&m);
        for (size_t j = 0; j < 17; j++)
            mez_mmr_append(&m, &nr[j]);
        CU_ASSERT_EQUAL(m.height[pi], (unsigned)json_integer_value(json_object_get(x, "peak_height")));
        CU_ASSERT_EQUAL_FATAL(mez_mmr_inclusion_proof(p, nr, 17, idx, &path, &len, &pb), MEZ_OK);
        CU_ASSERT_TRUE(mez_mmr_verify_inclusion(idx, 17, &nr[idx], path, len, &r));
        mez_mmr_leaf_hash(&nr[idx], &d);
        CU_ASSERT_STRING_EQUAL(hex(&d), json_string_value(json_object_get(x, "leaf_hash")));
        CU_ASSERT_TRUE(len >= plen);
        for (size_t j = 0; j < plen; j++, fn >>= 1) {
            if (fn & 1)
                mez_mmr_node_hash(&path[j], &d, &d);
            else
                mez_mmr_node_hash(&d, &path[j], &d);
        }
        CU_ASSERT_TRUE(mez_digest_equal(&d, &m.peak[pi]));
        if (cpr)
            CU_ASSERT_STRING_EQUAL(hex(&d), json_string_value(cpr));
    }
    /* The one place the reference differs: its empty root is "", RFC 9162's is SHA-256 of nothing. */
    mez_mmr_init(&m);
    mez_mmr_root(&m, &got);
    CU_ASSERT_STRING_EQUAL(hex(&got), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

void unit_register_mmr(void)
{
    CU_pSuite s = unit_suite("mmr");
    CU_add_test(s, "compact append root = RFC 9162 MTH, sizes 0..300; tensor root shares it", test_root_every_size);
    CU_add_test(s, "inclusion proofs = RFC 9162 PATH, every index of sizes 1..70; tampering refused",
                test_inclusion_every_index);
    CU_add_test(s, "consistency proofs = RFC 9162 PROOF, every pair up to 70; forks refused",
                test_consistency_every_pair);
    CU_add_test(s, "100003 leaves: proofs of log size verify", test_large_tree);
    CU_add_test(s, "RFC 6962 test data (certificate-transparency): roots, inclusion and consistency proofs",
                test_rfc6962_vectors);
    CU_add_test(s, "vectors/corridor/mmr.json reproduced (leaves, nodes, roots, peaks, proofs)",
                test_reference_vectors);
}
