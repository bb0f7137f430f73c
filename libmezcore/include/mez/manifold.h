/* mez/manifold.h: the compliance manifold: jurisdictions as nodes, corridors as edges with their cost model,
 * and the cheapest route between two jurisdictions by the reference system's Dijkstra rules. */
#ifndef MEZ_MANIFOLD_H
#define MEZ_MANIFOLD_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>
#include "mez/problem.h"

/* The graph document (field names as the reference's JurisdictionNode and CorridorEdge; unknown members are
 * "manifold.unknown_field"):
 *
 * {
 *   "jurisdictions": [ {
 *     "jurisdiction_id": "pk-rez",           required, 1..128 of A-Z a-z 0-9 . _ -, unique
 *     "entry_fee_usd": 200,                  required, integer 0..2^53, paid on entering the node
 *     "is_active": true,                     required
 *     "name": "...", "country_code": "PK",   optional
 *     "annual_fee_usd": 1000,                optional (the reference never routes on it)
 *     "supported_asset_classes": ["..."],    optional
 *     "required_domains": ["kyc", "tax"]     optional, compliance domains
 *   } ],
 *   "corridors": [ {
 *     "corridor_id": "corridor-aifc-rez",    required, same alphabet, unique
 *     "source_jurisdiction": "kz-aifc", "target_jurisdiction": "pk-rez",   required, listed jurisdictions
 *     "is_bidirectional": true, "is_active": true,                          required
 *     "transfer_fee_bps": 15,                required, integer 0..2^32-1
 *     "flat_fee_usd": 50,                    required, integer 0..2^53
 *     "estimated_transfer_hours": 12, "settlement_finality_hours": 24,     required, integers 0..2^32-1
 *     "required_domains": ["aml", "tax"]     optional
 *   } ]
 * }
 *
 * The id alphabet has no ':' so path ids hash the same bytes under RFC 8785 as under the reference's MCF
 * (which rewrites any string that reads as an RFC 3339 timestamp). */
typedef struct mez_manifold_t mez_manifold_t;

/* Problems: manifold.invalid_document (400), manifold.unknown_field, manifold.missing_field,
 * manifold.invalid_field, manifold.duplicate_id, manifold.unknown_jurisdiction (a corridor end not listed),
 * tensor.unknown_domain; all 422 with a pointer. The graph is read-only afterwards and may be shared by threads. */
mez_status_t mez_manifold_parse(apr_pool_t *p, const json_t *doc, mez_manifold_t **out, mez_problem_t *pb);
size_t mez_manifold_jurisdiction_count(const mez_manifold_t *m);
size_t mez_manifold_corridor_count(const mez_manifold_t *m);

/* The reference's PathConstraint. */
typedef struct mez_manifold_constraints_t {
    size_t max_hops;                       /* a node is not expanded once its route has this many hops */
    int has_max_total_cost;
    uint64_t max_total_cost_usd;
    int has_max_per_hop_cost;
    uint64_t max_per_hop_cost_usd;
    int has_max_total_time;
    uint32_t max_total_time_hours;
    const char *const *excluded;           /* jurisdiction ids the route must not touch */
    size_t n_excluded;
} mez_manifold_constraints_t;

#define MEZ_MANIFOLD_DEFAULT_MAX_HOPS 5

/* max_hops 5, no limits, nothing excluded. */
void mez_manifold_constraints_init(mez_manifold_constraints_t *c);

typedef struct mez_manifold_hop_t {
    const char *corridor_id, *source, *target;
    uint64_t cost_usd;
    uint32_t time_hours;
} mez_manifold_hop_t;

typedef struct mez_manifold_path_t {
    const char *source, *target;
    uint64_t asset_value_usd;
    mez_manifold_hop_t *hops;
    size_t n_hops;
    uint64_t total_cost_usd;               /* saturating */
    uint32_t total_time_hours;             /* saturating */
    char path_id[17];                      /* first 16 hex of SHA-256(JCS({corridors, source, target})) */
} mez_manifold_path_t;

/* flat + floor(value * bps / 10000), computed in 128 bits and saturated to 64 (the reference's transfer_cost). */
uint64_t mez_manifold_transfer_cost(uint64_t asset_value_usd, uint32_t bps, uint64_t flat_fee_usd);

/* The cheapest route from source to target, exactly as the reference's find_path: edge cost = transfer cost +
 * entry fee of the jurisdiction entered; edge time = transfer + finality hours; a min-heap on (cost, time)
 * whose ties pop the lexicographically GREATER jurisdiction id first; inactive corridors and inactive or
 * excluded neighbours skipped; visited nodes never re-entered; a node whose route already has max_hops hops
 * is not expanded; a distance is replaced only by a strictly lower cost (so a route whose cost saturates at
 * 2^64-1 is never taken, as in the reference). Because the hop count follows the
 * cheapest route found, a cheaper long route can hide a dearer short one under a tight max_hops; that is
 * the reference's behaviour and is kept so routes agree across implementations.
 * Problems: manifold.unknown_jurisdiction (pointer "/source" or "/target"); manifold.unreachable (422,
 * pointer "/target") with the reason in the detail and, if why is not NULL, a stable word in *why:
 * "excluded", "inactive", "hop_limit", "constraints" or "no_corridor". */
mez_status_t mez_manifold_route(apr_pool_t *p, const mez_manifold_t *m, const char *source, const char *target,
                                uint64_t asset_value_usd, const mez_manifold_constraints_t *c,
                                mez_manifold_path_t **out, const char **why, mez_problem_t *pb);

/* {"path_id", "source", "target", "asset_value_usd", "total_cost_usd", "total_time_hours", "hop_count",
 *  "jurisdictions": [...], "hops": [{"corridor_id", "source", "target", "cost_usd", "time_hours"}]},
 * owned by p. Integers above 2^53, which JSON readers cannot hold exactly, are written as decimal strings. */
json_t *mez_manifold_path_json(apr_pool_t *p, const mez_manifold_path_t *path);

/* A route request, as POST /v1/manifold/route takes it:
 * {"source", "target", "asset_value_usd" (integer 0..2^53), "max_hops"?, "max_total_cost_usd"?,
 *  "max_per_hop_cost_usd"?, "max_total_time_hours"?, "excluded_jurisdictions"?: [ids]} */
typedef struct mez_manifold_request_t {
    const char *source, *target;
    uint64_t asset_value_usd;
    mez_manifold_constraints_t constraints;
} mez_manifold_request_t;

mez_status_t mez_manifold_request_parse(apr_pool_t *p, const json_t *req, mez_manifold_request_t *out,
                                        mez_problem_t *pb);

#endif
