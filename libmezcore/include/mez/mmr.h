/* mez/mmr.h: the append-only Merkle tree of a receipt chain, whose root is the RFC 9162 Merkle Tree Hash.
 *
 * Leaves are 32-byte values (a receipt's next_root, a tensor commitment). leaf hash = SHA-256(0x00 || leaf),
 * node = SHA-256(0x01 || left || right) (RFC 9162 section 2.1.1, DESIGN section 3).
 *
 * The reference system calls this a Merkle Mountain Range: it keeps the perfect subtrees ("peaks", one per
 * set bit of the size, largest first) and bags them right to left, bag = node(peak, bag). That bagging is
 * the RFC 9162 split at the largest power of two below n applied recursively, so its root equals MTH(D[n])
 * for every size (the unit tests check both on every size and on every reference vector). Differences
 * from the reference, on purpose:
 *   - empty tree: the reference's root is the empty string; here it is MTH({}) = SHA-256(""), as RFC 9162;
 *   - proofs: the reference's inclusion proof is {path inside the leaf's peak, all peaks} and it has no
 *     consistency proof; here inclusion and consistency proofs are RFC 9162 audit paths (2.1.3, 2.1.4), so
 *     a standard transparency-log verifier checks them. The reference's peak path for a leaf is the first
 *     part of the RFC 9162 path; the rest is the bag of the peaks to its right (one hash) and then each
 *     peak to its left, right to left (test_mmr.c checks the first part against the reference's vectors).
 *   - hex input: the reference accepts upper-case hex for leaves; mez documents carry lower case only,
 *     so the check belongs to whoever parses the hex (mez_receipt_*), not to this binary API.
 */
#ifndef MEZ_MMR_H
#define MEZ_MMR_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include "mez/digest.h"
#include "mez/problem.h"

/* A proof never holds more than 2 * 64 hashes (sizes are 64-bit). */
#define MEZ_MMR_MAX_PEAKS 64

void mez_mmr_leaf_hash(const mez_digest_t *leaf, mez_digest_t *out);
void mez_mmr_node_hash(const mez_digest_t *left, const mez_digest_t *right, mez_digest_t *out);

/* The compact form of a tree: its size and one hash per perfect subtree (peak), O(log n) storage.
 * Appending and the root need nothing else; proofs need the leaves (below). Plain value, no pool. */
typedef struct mez_mmr_t {
    uint64_t size;
    unsigned npeaks;
    mez_digest_t peak[MEZ_MMR_MAX_PEAKS];   /* largest (leftmost) first */
    unsigned height[MEZ_MMR_MAX_PEAKS];     /* peak[i] covers 2^height[i] leaves */
} mez_mmr_t;

void mez_mmr_init(mez_mmr_t *m);
/* Appends one leaf (hashes it with the 0x00 prefix and merges equal-height peaks). */
void mez_mmr_append(mez_mmr_t *m, const mez_digest_t *leaf);
/* Appends a leaf by its hash (SHA-256(0x00 || leaf data)): for leaves that are not 32-byte values. */
void mez_mmr_append_hash(mez_mmr_t *m, const mez_digest_t *leaf_hash);
/* MTH of the leaves appended so far: peaks bagged right to left; SHA-256("") when empty. */
void mez_mmr_root(const mez_mmr_t *m, mez_digest_t *out);

/* MTH(D[n]) of an array of leaves, in O(n) time and O(log n) space. */
void mez_mmr_tree_root(const mez_digest_t *leaves, uint64_t n, mez_digest_t *out);

/* RFC 9162 inclusion proof PATH(index, D[n]) for leaves[index]: *out gets *len hashes from p (0 for a
 * one-leaf tree). "mmr.index_out_of_range" when index >= n. */
mez_status_t mez_mmr_inclusion_proof(apr_pool_t *p, const mez_digest_t *leaves, uint64_t n, uint64_t index,
                                     mez_digest_t **out, size_t *len, mez_problem_t *pb);
/* RFC 9162 consistency proof PROOF(m, D[n]) between the first m leaves and all n. Empty for m == n.
 * "mmr.size_out_of_range" unless 0 < m <= n (RFC 9162 defines no proof from the empty tree). */
mez_status_t mez_mmr_consistency_proof(apr_pool_t *p, const mez_digest_t *leaves, uint64_t n, uint64_t m,
                                       mez_digest_t **out, size_t *len, mez_problem_t *pb);

/* RFC 9162 section 2.1.3.2: 1 when leaf (the leaf VALUE; it is hashed here) at index of a tree of size n
 * with root is proven by path, else 0. */
int mez_mmr_verify_inclusion(uint64_t index, uint64_t n, const mez_digest_t *leaf, const mez_digest_t *path,
                             size_t len, const mez_digest_t *root);
/* The same with the leaf's hash (SHA-256(0x00 || leaf data)) instead of its value: for leaves that are not
 * 32-byte values, or verifiers that hold only hashes. */
int mez_mmr_verify_inclusion_hash(uint64_t index, uint64_t n, const mez_digest_t *leaf_hash, const mez_digest_t *path,
                                  size_t len, const mez_digest_t *root);
/* RFC 9162 section 2.1.4.2: 1 when the tree of size m with old_root is a prefix of the tree of size n with
 * new_root according to path, else 0. m == n needs an empty path and equal roots. */
int mez_mmr_verify_consistency(uint64_t m, uint64_t n, const mez_digest_t *old_root, const mez_digest_t *new_root,
                               const mez_digest_t *path, size_t len);

#endif
