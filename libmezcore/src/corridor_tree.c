/* corridor_tree.c: a corridor's RFC 9162 tree as stored nodes (sql 0009: (level, index) covers leaves
 * [index * 2^level, (index + 1) * 2^level)). Nodes are written once, by the append that completes them, and never
 * change, so every earlier tree is still readable: a range hash needs one node per set bit of its size, and a
 * proof one range per level, so roots and proofs cost O(log n) reads and never touch the leaves. */
#include <string.h>
#include <apr_strings.h>
#include "mez/receipt.h"
#include "corridor_int.h"

#define PROOF_MAX (2 * MEZ_MMR_MAX_PEAKS)

mez_status_t mez_corridor_node_get(apr_pool_t *p, mez_db_t *db, const char *corridor_id, unsigned level,
                                   uint64_t index, mez_digest_t *out, mez_problem_t *pb)
{
    const char *hex = NULL;
    mez_status_t st = mez_db_query_value(p, db, &hex,
                                         "SELECT hash FROM mez_corridor_node WHERE corridor_id = %s AND "
                                         "node_level = %s AND node_index = %s", pb, corridor_id,
                                         apr_psprintf(p, "%u", level), mez_corridor_u64(p, index), NULL);
    if (st != MEZ_OK)
        return st;
    /* A missing node means the table was changed behind the store's back: never guess a hash. */
    if (!hex || mez_receipt_hex_digest(p, hex, "", out, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.tree_damaged", NULL,
                           "corridor %s: tree node (%u, %" APR_UINT64_T_FMT ") is missing or malformed",
                           corridor_id, level, index);
    return MEZ_OK;
}

static unsigned floor_log2(uint64_t n)
{
    unsigned b = 0;
    while (n >> (b + 1))
        b++;
    return b;
}

mez_status_t mez_corridor_range_hash(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t start,
                                     uint64_t n, mez_digest_t *out, mez_problem_t *pb)
{
    /* The perfect subtrees of the range, largest first, bagged right to left: RFC 9162's split applied
     * recursively (the same argument as mez/mmr.h's peaks). */
    mez_digest_t peak[MEZ_MMR_MAX_PEAKS];
    unsigned np = 0;
    mez_status_t st;
    while (n) {
        unsigned b = floor_log2(n);
        if ((st = mez_corridor_node_get(p, db, corridor_id, b, start >> b, &peak[np++], pb)) != MEZ_OK)
            return st;
        start += (uint64_t)1 << b;
        n -= (uint64_t)1 << b;
    }
    if (!np)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.empty_range", NULL, "empty range has no subtree");
    *out = peak[np - 1];
    while (np-- > 1)
        mez_mmr_node_hash(&peak[np - 1], out, out);
    return MEZ_OK;
}

mez_status_t mez_corridor_peaks(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t n, mez_mmr_t *out,
                                mez_problem_t *pb)
{
    uint64_t start = 0;
    mez_status_t st;
    mez_mmr_init(out);
    for (int b = 63; b >= 0; b--) {
        if (!(n >> b & 1))
            continue;
        st = mez_corridor_node_get(p, db, corridor_id, (unsigned)b, start >> b, &out->peak[out->npeaks], pb);
        if (st != MEZ_OK)
            return st;
        out->height[out->npeaks++] = (unsigned)b;
        start += (uint64_t)1 << b;
    }
    out->size = n;
    return MEZ_OK;
}

static mez_status_t node_put(apr_pool_t *p, mez_db_t *db, const char *corridor_id, unsigned level, uint64_t index,
                             const mez_digest_t *h, mez_problem_t *pb)
{
    return mez_db_execv(p, db, NULL,
                        "INSERT INTO mez_corridor_node (corridor_id, node_level, node_index, hash) "
                        "VALUES (%s, %s, %s, %s)", pb, corridor_id, apr_psprintf(p, "%u", level),
                        mez_corridor_u64(p, index), mez_digest_hex(p, h), NULL);
}

mez_status_t mez_corridor_nodes_append(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t index,
                                       const mez_digest_t *leaf_hash, mez_problem_t *pb)
{
    mez_digest_t h = *leaf_hash, left;
    unsigned level = 0;
    mez_status_t st = node_put(p, db, corridor_id, 0, index, &h, pb);
    /* A right child completes its parent: climb while the node just written is one. */
    while (st == MEZ_OK && (index & 1)) {
        if ((st = mez_corridor_node_get(p, db, corridor_id, level, index - 1, &left, pb)) != MEZ_OK)
            break;
        mez_mmr_node_hash(&left, &h, &h);
        index >>= 1;
        level++;
        st = node_put(p, db, corridor_id, level, index, &h, pb);
    }
    return st;
}

typedef struct proof_t {
    apr_pool_t *p;
    mez_db_t *db;
    const char *corridor_id;
    mez_digest_t *path;
    size_t len;
} proof_t;

static mez_status_t proof_add(proof_t *pr, uint64_t start, uint64_t n, mez_problem_t *pb)
{
    if (pr->len >= PROOF_MAX)
        return mez_problem(pb, pr->p, MEZ_EINTERNAL, 500, "corridor.proof_too_long", NULL, "proof too long");
    return mez_corridor_range_hash(pr->p, pr->db, pr->corridor_id, start, n, &pr->path[pr->len++], pb);
}

/* PATH(m, D[start:start+n]) of RFC 9162 section 2.1.3.1: the inner path first, then the sibling subtree. */
static mez_status_t path_of(proof_t *pr, uint64_t m, uint64_t start, uint64_t n, mez_problem_t *pb)
{
    uint64_t k;
    mez_status_t st;
    if (n <= 1)
        return MEZ_OK;
    k = (uint64_t)1 << floor_log2(n - 1);
    if (m < k) {
        if ((st = path_of(pr, m, start, k, pb)) != MEZ_OK)
            return st;
        return proof_add(pr, start + k, n - k, pb);
    }
    if ((st = path_of(pr, m - k, start + k, n - k, pb)) != MEZ_OK)
        return st;
    return proof_add(pr, start, k, pb);
}

/* SUBPROOF(m, D[start:start+n], b) of RFC 9162 section 2.1.4.1. */
static mez_status_t subproof(proof_t *pr, uint64_t m, uint64_t start, uint64_t n, int b, mez_problem_t *pb)
{
    uint64_t k;
    mez_status_t st;
    if (m == n)
        return b ? MEZ_OK : proof_add(pr, start, n, pb);
    k = (uint64_t)1 << floor_log2(n - 1);
    if (m <= k) {
        if ((st = subproof(pr, m, start, k, b, pb)) != MEZ_OK)
            return st;
        return proof_add(pr, start + k, n - k, pb);
    }
    if ((st = subproof(pr, m - k, start + k, n - k, 0, pb)) != MEZ_OK)
        return st;
    return proof_add(pr, start, k, pb);
}

mez_status_t mez_corridor_tree_inclusion(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t index,
                                         uint64_t size, mez_digest_t **path, size_t *len, mez_problem_t *pb)
{
    proof_t pr = { p, db, corridor_id, apr_palloc(p, PROOF_MAX * sizeof(mez_digest_t)), 0 };
    mez_status_t st = path_of(&pr, index, 0, size, pb);
    if (st != MEZ_OK)
        return st;
    *path = pr.path;
    *len = pr.len;
    return MEZ_OK;
}

mez_status_t mez_corridor_tree_consistency(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                           uint64_t to, mez_digest_t **path, size_t *len, mez_problem_t *pb)
{
    proof_t pr = { p, db, corridor_id, apr_palloc(p, PROOF_MAX * sizeof(mez_digest_t)), 0 };
    mez_status_t st = subproof(&pr, from, 0, to, 1, pb);
    if (st != MEZ_OK)
        return st;
    *path = pr.path;
    *len = pr.len;
    return MEZ_OK;
}
