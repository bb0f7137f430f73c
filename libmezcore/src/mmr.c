/* mmr.c: RFC 9162 Merkle tree hashing, the compact (peaks) form for appends, and inclusion and
 * consistency proofs generated and verified with the algorithms of RFC 9162 sections 2.1.3 and 2.1.4. */
#include <string.h>
#include "mez/mmr.h"

void mez_mmr_leaf_hash(const mez_digest_t *leaf, mez_digest_t *out)
{
    unsigned char buf[1 + MEZ_DIGEST_LEN];
    buf[0] = 0x00;
    memcpy(buf + 1, leaf->bytes, MEZ_DIGEST_LEN);
    mez_digest_sha256(buf, sizeof(buf), out);
}

void mez_mmr_node_hash(const mez_digest_t *left, const mez_digest_t *right, mez_digest_t *out)
{
    unsigned char buf[1 + 2 * MEZ_DIGEST_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left->bytes, MEZ_DIGEST_LEN);
    memcpy(buf + 1 + MEZ_DIGEST_LEN, right->bytes, MEZ_DIGEST_LEN);
    mez_digest_sha256(buf, sizeof(buf), out);
}

void mez_mmr_init(mez_mmr_t *m)
{
    m->size = 0;
    m->npeaks = 0;
}

void mez_mmr_append(mez_mmr_t *m, const mez_digest_t *leaf)
{
    mez_digest_t h;
    mez_mmr_leaf_hash(leaf, &h);
    mez_mmr_append_hash(m, &h);
}

void mez_mmr_append_hash(mez_mmr_t *m, const mez_digest_t *leaf_hash)
{
    unsigned t = m->npeaks;
    m->peak[t] = *leaf_hash;
    m->height[t] = 0;
    /* Two peaks of one height are the two halves of a perfect subtree: merge them. At most one peak per
     * height remains, so npeaks <= 64 for any 64-bit size. */
    while (t > 0 && m->height[t - 1] == m->height[t]) {
        mez_mmr_node_hash(&m->peak[t - 1], &m->peak[t], &m->peak[t - 1]);
        m->height[t - 1]++;
        t--;
    }
    m->npeaks = t + 1;
    m->size++;
}

void mez_mmr_root(const mez_mmr_t *m, mez_digest_t *out)
{
    mez_digest_t bag;
    if (m->npeaks == 0) {
        mez_digest_sha256("", 0, out);
        return;
    }
    /* Right to left: MTH splits at the largest power of two, which is exactly the leftmost peak, and
     * recursively so for the rest; hence node(peak_i, bag(peaks after i)). */
    bag = m->peak[m->npeaks - 1];
    for (unsigned i = m->npeaks - 1; i-- > 0;)
        mez_mmr_node_hash(&m->peak[i], &bag, &bag);
    *out = bag;
}

void mez_mmr_tree_root(const mez_digest_t *leaves, uint64_t n, mez_digest_t *out)
{
    mez_mmr_t m;
    mez_mmr_init(&m);
    for (uint64_t i = 0; i < n; i++)
        mez_mmr_append(&m, &leaves[i]);
    mez_mmr_root(&m, out);
}

/* The largest power of two strictly less than n (n >= 2): RFC 9162's split point k. */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* PATH(index, D[n]) of RFC 9162 2.1.3.1. The recursion peels one level per step, so it is written as a loop
 * that records the sibling subtree of each level, from the root down, then reversed (proofs go leaf upward). */
mez_status_t mez_mmr_inclusion_proof(apr_pool_t *p, const mez_digest_t *leaves, uint64_t n, uint64_t index,
                                     mez_digest_t **out, size_t *len, mez_problem_t *pb)
{
    mez_digest_t top_down[MEZ_MMR_MAX_PEAKS], *path;
    size_t k = 0;
    const mez_digest_t *d = leaves;

    if (index >= n)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "mmr.index_out_of_range", NULL,
                           "leaf index %" APR_UINT64_T_FMT " is not below the tree size %" APR_UINT64_T_FMT, (apr_uint64_t)index,
                           (apr_uint64_t)n);
    while (n > 1) {
        uint64_t s = split_point(n);
        if (index < s) {
            mez_mmr_tree_root(d + s, n - s, &top_down[k++]);
            n = s;
        }
        else {
            mez_mmr_tree_root(d, s, &top_down[k++]);
            d += s;
            index -= s;
            n -= s;
        }
    }
    path = apr_palloc(p, (k ? k : 1) * sizeof(*path));
    for (size_t i = 0; i < k; i++)
        path[i] = top_down[k - 1 - i];
    *out = path;
    *len = k;
    return MEZ_OK;
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1, again unrolled top-down. */
mez_status_t mez_mmr_consistency_proof(apr_pool_t *p, const mez_digest_t *leaves, uint64_t n, uint64_t m,
                                       mez_digest_t **out, size_t *len, mez_problem_t *pb)
{
    mez_digest_t top_down[MEZ_MMR_MAX_PEAKS + 1], *path;
    size_t k = 0;
    int whole = 1;   /* the "b" flag: the old tree is still the whole left edge, so its root is known */
    const mez_digest_t *d = leaves;

    if (m == 0 || m > n)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "mmr.size_out_of_range", NULL,
                           "no consistency proof from size %" APR_UINT64_T_FMT " to size %" APR_UINT64_T_FMT, (apr_uint64_t)m,
                           (apr_uint64_t)n);
    while (m != n) {
        uint64_t s = split_point(n);
        if (m <= s) {
            mez_mmr_tree_root(d + s, n - s, &top_down[k++]);
            n = s;
        }
        else {
            mez_mmr_tree_root(d, s, &top_down[k++]);
            d += s;
            m -= s;
            n -= s;
            whole = 0;
        }
    }
    if (!whole)
        mez_mmr_tree_root(d, m, &top_down[k++]);
    path = apr_palloc(p, (k ? k : 1) * sizeof(*path));
    for (size_t i = 0; i < k; i++)
        path[i] = top_down[k - 1 - i];
    *out = path;
    *len = k;
    return MEZ_OK;
}

int mez_mmr_verify_inclusion(uint64_t index, uint64_t n, const mez_digest_t *leaf, const mez_digest_t *path,
                             size_t len, const mez_digest_t *root)
{
    mez_digest_t h;
    mez_mmr_leaf_hash(leaf, &h);
    return mez_mmr_verify_inclusion_hash(index, n, &h, path, len, root);
}

int mez_mmr_verify_inclusion_hash(uint64_t index, uint64_t n, const mez_digest_t *leaf_hash, const mez_digest_t *path,
                                  size_t len, const mez_digest_t *root)
{
    uint64_t fn = index, sn;
    mez_digest_t r;

    if (index >= n)
        return 0;
    sn = n - 1;
    r = *leaf_hash;
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            mez_mmr_node_hash(&path[i], &r, &r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            mez_mmr_node_hash(&r, &path[i], &r);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && mez_digest_equal(&r, root);
}

static int is_power_of_two(uint64_t x)
{
    return x && !(x & (x - 1));
}

int mez_mmr_verify_consistency(uint64_t m, uint64_t n, const mez_digest_t *old_root, const mez_digest_t *new_root,
                               const mez_digest_t *path, size_t len)
{
    uint64_t fn, sn;
    mez_digest_t fr, sr;
    size_t i = 0;

    if (m == 0 || m > n)
        return 0;
    if (m == n)
        return len == 0 && mez_digest_equal(old_root, new_root);
    if (len == 0)
        return 0;
    /* When m is a power of two the old root is a node of the new tree and the proof leaves it out. */
    if (is_power_of_two(m)) {
        fr = sr = *old_root;
    }
    else {
        fr = sr = path[0];
        i = 1;
    }
    fn = m - 1;
    sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < len; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            mez_mmr_node_hash(&path[i], &fr, &fr);
            mez_mmr_node_hash(&path[i], &sr, &sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            mez_mmr_node_hash(&sr, &path[i], &sr);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && mez_digest_equal(&fr, old_root) & mez_digest_equal(&sr, new_root);
}
