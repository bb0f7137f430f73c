/* corridor_int.h: private to the corridor store: the stored tree's reads and writes (corridor_tree.c), shared
 * by the append, proofs and checkpoints (corridor_store.c, corridor_proof.c). */
#ifndef MEZ_CORRIDOR_INT_H
#define MEZ_CORRIDOR_INT_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "mez/corridor.h"
#include "mez/mmr.h"

const char *mez_corridor_u64(apr_pool_t *p, uint64_t v);
const char *mez_corridor_time(apr_pool_t *p, apr_time_t t);
/* Reads the corridor row (lock: append FOR UPDATE on PostgreSQL). */
mez_status_t mez_corridor_read(apr_pool_t *p, mez_db_t *db, const char *corridor_id, int lock, mez_corridor_t *out,
                               mez_problem_t *pb);

/* Fills a corridor from the 14 columns mez_corridor_read selects. */
mez_status_t mez_corridor_row(apr_pool_t *p, const char *const *cols, mez_corridor_t *out, mez_problem_t *pb);
/* One lifecycle move of a corridor read under its lock, in the caller's transaction: the step with its evidence
 * (pointers under "/evidence"), the transition log row and the new state. */
mez_status_t mez_corridor_move(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, int ev,
                               const json_t *evidence, const char *at, int *to, mez_problem_t *pb);

/* Keeps evidence of a fork in mez_corridor_fork, in the caller's transaction: at seq (a receipt's sequence or a
 * checkpoint's tree size) the stored and conflicting digests, the conflicting document as received, and the
 * digest of the canonical evidence object (*evidence_digest, "sha256:<hex>", what a halt cites). */
mez_status_t mez_corridor_keep_evidence(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                        const char *stored, const char *conflicting, const char *document,
                                        const json_t *evidence, apr_time_t now, const char **evidence_digest,
                                        mez_problem_t *pb);

/* Ends a write refused after it kept evidence (a fork): commits the evidence and answers the refusal st (its
 * problem in pb), or the commit's failure. */
mez_status_t mez_corridor_commit_evidence(apr_pool_t *p, mez_db_tx_t *tx, mez_status_t st, mez_problem_t *pb);

/* The stored hash of the complete subtree (level, index). */
mez_status_t mez_corridor_node_get(apr_pool_t *p, mez_db_t *db, const char *corridor_id, unsigned level,
                                   uint64_t index, mez_digest_t *out, mez_problem_t *pb);
/* MTH of leaves [start, start + n), n > 0, start a multiple of the largest power of two <= n (every range the
 * RFC 9162 recursions ask for is). */
mez_status_t mez_corridor_range_hash(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t start,
                                     uint64_t n, mez_digest_t *out, mez_problem_t *pb);
/* The compact tree (peaks) of the first n leaves, read from the stored nodes. */
mez_status_t mez_corridor_peaks(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t n, mez_mmr_t *out,
                                mez_problem_t *pb);
/* Stores leaf number index (its hash) and every subtree it completes. */
mez_status_t mez_corridor_nodes_append(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t index,
                                       const mez_digest_t *leaf_hash, mez_problem_t *pb);
/* RFC 9162 proofs from the stored nodes, 0 < size <= stored size (unchecked here). */
mez_status_t mez_corridor_tree_inclusion(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t index,
                                         uint64_t size, mez_digest_t **path, size_t *len, mez_problem_t *pb);
mez_status_t mez_corridor_tree_consistency(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                           uint64_t to, mez_digest_t **path, size_t *len, mez_problem_t *pb);

#endif
