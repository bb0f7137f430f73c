/* manifold.c: the corridor graph from its JSON document, and cheapest routes by the reference's Dijkstra rules.
 * Routes must agree with the reference system's to the dollar and the path id, so its quirks are kept and named. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/manifold.h"
#include "mez/tensor.h"

#define SAFE_INT_MAX 9007199254740992ULL      /* 2^53: the largest integer every JSON reader holds exactly */

typedef unsigned __int128 u128;

typedef struct {
    const char *id;
    uint64_t entry_fee;
    int active;
} node_t;

typedef struct {
    const char *id;
    int src, dst;
    int bidirectional, active;
    uint32_t bps, transfer_hours, finality_hours;
    uint64_t flat_fee;
} edge_t;

struct mez_manifold_t {
    node_t *nodes;
    size_t n_nodes;
    edge_t *edges;
    size_t n_edges;
    apr_hash_t *by_id;            /* jurisdiction id -> index + 1 */
    int **adj;                    /* per node: the corridors that leave it, in document order */
    size_t *n_adj;
};

/* ------------------------------------------------------------------ parsing */

static mez_status_t fail(mez_problem_t *pb, apr_pool_t *p, const char *code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static mez_status_t fail(mez_problem_t *pb, apr_pool_t *p, const char *code, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, ptr, "%s", msg);
}

static int is_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.'))
            return 0;
    }
    return 1;
}

static mez_status_t id_member(apr_pool_t *p, const json_t *o, const char *ptr, const char *name, const char **out,
                              mez_problem_t *pb)
{
    const json_t *v = json_object_get(o, name);
    const char *at = mez_pointer_join(p, ptr, name);
    if (!v)
        return fail(pb, p, "manifold.missing_field", at, "%s is required", name);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) || !is_id(json_string_value(v)))
        return fail(pb, p, "manifold.invalid_field", at, "%s is 1 to 128 of A-Z a-z 0-9 . _ -", name);
    *out = json_string_value(v);
    return MEZ_OK;
}

static mez_status_t uint_member(apr_pool_t *p, const json_t *o, const char *ptr, const char *name, int required,
                                uint64_t max, uint64_t *out, int *present, mez_problem_t *pb)
{
    const json_t *v = json_object_get(o, name);
    const char *at = mez_pointer_join(p, ptr, name);
    if (present)
        *present = v != NULL;
    if (!v) {
        if (required)
            return fail(pb, p, "manifold.missing_field", at, "%s is required", name);
        return MEZ_OK;
    }
    /* Fees are whole dollars and bps whole points in the reference's model; a fraction is a mistake. */
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return fail(pb, p, "manifold.invalid_field", at, "%s is an integer from 0 to %llu", name,
                    (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return MEZ_OK;
}

static mez_status_t bool_member(apr_pool_t *p, const json_t *o, const char *ptr, const char *name, int *out,
                                mez_problem_t *pb)
{
    const json_t *v = json_object_get(o, name);
    const char *at = mez_pointer_join(p, ptr, name);
    if (!v)
        return fail(pb, p, "manifold.missing_field", at, "%s is required (true or false)", name);
    if (!json_is_boolean(v))
        return fail(pb, p, "manifold.invalid_field", at, "%s is true or false", name);
    *out = json_is_true(v);
    return MEZ_OK;
}

static mez_status_t strings_member(apr_pool_t *p, const json_t *o, const char *ptr, const char *name, int domains,
                                   mez_problem_t *pb)
{
    const json_t *v = json_object_get(o, name), *e;
    const char *at = mez_pointer_join(p, ptr, name);
    size_t i;
    mez_domain_t d;
    mez_status_t rv;
    if (!v)
        return MEZ_OK;
    if (!json_is_array(v))
        return fail(pb, p, "manifold.invalid_field", at, "%s is a list of strings", name);
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return fail(pb, p, "manifold.invalid_field", mez_pointer_index(p, at, i), "%s holds strings", name);
        if (domains && (rv = mez_domain_parse(p, json_string_value(e), mez_pointer_index(p, at, i), &d, pb)) != MEZ_OK)
            return rv;
    }
    return MEZ_OK;
}

static mez_status_t optional_string(apr_pool_t *p, const json_t *o, const char *ptr, const char *name,
                                    mez_problem_t *pb)
{
    const json_t *v = json_object_get(o, name);
    if (v && !json_is_string(v))
        return fail(pb, p, "manifold.invalid_field", mez_pointer_join(p, ptr, name), "%s is a string", name);
    return MEZ_OK;
}

static mez_status_t parse_node(apr_pool_t *p, mez_manifold_t *m, const json_t *o, const char *ptr, node_t *n,
                               mez_problem_t *pb)
{
    static const char *const members[] = { "jurisdiction_id", "name", "country_code", "supported_asset_classes",
                                           "entry_fee_usd", "annual_fee_usd", "is_active", "required_domains", NULL };
    uint64_t annual;
    mez_status_t rv;
    if (!json_is_object(o))
        return fail(pb, p, "manifold.invalid_field", ptr, "a jurisdiction is an object");
    if ((rv = mez_json_only_members(p, o, ptr, members, "manifold.unknown_field", pb)) != MEZ_OK
        || (rv = id_member(p, o, ptr, "jurisdiction_id", &n->id, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "entry_fee_usd", 1, SAFE_INT_MAX, &n->entry_fee, NULL, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "annual_fee_usd", 0, SAFE_INT_MAX, &annual, NULL, pb)) != MEZ_OK
        || (rv = bool_member(p, o, ptr, "is_active", &n->active, pb)) != MEZ_OK
        || (rv = optional_string(p, o, ptr, "name", pb)) != MEZ_OK
        || (rv = optional_string(p, o, ptr, "country_code", pb)) != MEZ_OK
        || (rv = strings_member(p, o, ptr, "supported_asset_classes", 0, pb)) != MEZ_OK
        || (rv = strings_member(p, o, ptr, "required_domains", 1, pb)) != MEZ_OK)
        return rv;
    if (apr_hash_get(m->by_id, n->id, APR_HASH_KEY_STRING))
        return fail(pb, p, "manifold.duplicate_id", mez_pointer_join(p, ptr, "jurisdiction_id"),
                    "jurisdiction '%s' is listed twice", n->id);
    return MEZ_OK;
}

static mez_status_t end_member(apr_pool_t *p, const mez_manifold_t *m, const json_t *o, const char *ptr,
                               const char *name, int *out, mez_problem_t *pb)
{
    const char *id;
    mez_status_t rv;
    uintptr_t k;
    if ((rv = id_member(p, o, ptr, name, &id, pb)) != MEZ_OK)
        return rv;
    /* The reference routes through corridor ends it has no node for (entry fee 0); a corridor to nowhere is
     * a configuration error here instead. */
    if (!(k = (uintptr_t)apr_hash_get(m->by_id, id, APR_HASH_KEY_STRING)))
        return fail(pb, p, "manifold.unknown_jurisdiction", mez_pointer_join(p, ptr, name),
                    "jurisdiction '%s' is not in the graph's jurisdictions", id);
    *out = (int)(k - 1);
    return MEZ_OK;
}

static mez_status_t parse_edge(apr_pool_t *p, const mez_manifold_t *m, apr_hash_t *ids, const json_t *o,
                               const char *ptr, edge_t *e, mez_problem_t *pb)
{
    static const char *const members[] = { "corridor_id", "source_jurisdiction", "target_jurisdiction",
                                           "is_bidirectional", "is_active", "transfer_fee_bps", "flat_fee_usd",
                                           "estimated_transfer_hours", "settlement_finality_hours",
                                           "required_domains", NULL };
    uint64_t bps, th, fh;
    mez_status_t rv;
    if (!json_is_object(o))
        return fail(pb, p, "manifold.invalid_field", ptr, "a corridor is an object");
    if ((rv = mez_json_only_members(p, o, ptr, members, "manifold.unknown_field", pb)) != MEZ_OK
        || (rv = id_member(p, o, ptr, "corridor_id", &e->id, pb)) != MEZ_OK
        || (rv = end_member(p, m, o, ptr, "source_jurisdiction", &e->src, pb)) != MEZ_OK
        || (rv = end_member(p, m, o, ptr, "target_jurisdiction", &e->dst, pb)) != MEZ_OK
        || (rv = bool_member(p, o, ptr, "is_bidirectional", &e->bidirectional, pb)) != MEZ_OK
        || (rv = bool_member(p, o, ptr, "is_active", &e->active, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "transfer_fee_bps", 1, UINT32_MAX, &bps, NULL, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "flat_fee_usd", 1, SAFE_INT_MAX, &e->flat_fee, NULL, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "estimated_transfer_hours", 1, UINT32_MAX, &th, NULL, pb)) != MEZ_OK
        || (rv = uint_member(p, o, ptr, "settlement_finality_hours", 1, UINT32_MAX, &fh, NULL, pb)) != MEZ_OK
        || (rv = strings_member(p, o, ptr, "required_domains", 1, pb)) != MEZ_OK)
        return rv;
    e->bps = (uint32_t)bps;
    e->transfer_hours = (uint32_t)th;
    e->finality_hours = (uint32_t)fh;
    if (apr_hash_get(ids, e->id, APR_HASH_KEY_STRING))
        return fail(pb, p, "manifold.duplicate_id", mez_pointer_join(p, ptr, "corridor_id"),
                    "corridor '%s' is listed twice", e->id);
    apr_hash_set(ids, e->id, APR_HASH_KEY_STRING, e);
    return MEZ_OK;
}

mez_status_t mez_manifold_parse(apr_pool_t *p, const json_t *doc, mez_manifold_t **out, mez_problem_t *pb)
{
    static const char *const members[] = { "jurisdictions", "corridors", NULL };
    const json_t *nodes, *edges, *v;
    mez_manifold_t *m;
    apr_hash_t *edge_ids;
    size_t i;
    mez_status_t rv;

    *out = NULL;
    if (!json_is_object(doc))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "manifold.invalid_document", "",
                           "a manifold is a JSON object with jurisdictions and corridors");
    if ((rv = mez_json_only_members(p, doc, "", members, "manifold.unknown_field", pb)) != MEZ_OK)
        return rv;
    nodes = json_object_get(doc, "jurisdictions");
    edges = json_object_get(doc, "corridors");
    if (!json_is_array(nodes))
        return fail(pb, p, nodes ? "manifold.invalid_field" : "manifold.missing_field", "/jurisdictions",
                    "jurisdictions is a list");
    if (edges && !json_is_array(edges))
        return fail(pb, p, "manifold.invalid_field", "/corridors", "corridors is a list");

    m = apr_pcalloc(p, sizeof(*m));
    m->by_id = apr_hash_make(p);
    m->n_nodes = json_array_size(nodes);
    m->nodes = apr_pcalloc(p, (m->n_nodes + 1) * sizeof(*m->nodes));
    json_array_foreach(nodes, i, v) {
        if ((rv = parse_node(p, m, v, mez_pointer_index(p, "/jurisdictions", i), &m->nodes[i], pb)) != MEZ_OK)
            return rv;
        apr_hash_set(m->by_id, m->nodes[i].id, APR_HASH_KEY_STRING, (void *)(uintptr_t)(i + 1));
    }
    edge_ids = apr_hash_make(p);
    m->n_edges = json_array_size(edges);
    m->edges = apr_pcalloc(p, (m->n_edges + 1) * sizeof(*m->edges));
    json_array_foreach(edges, i, v) {
        if ((rv = parse_edge(p, m, edge_ids, v, mez_pointer_index(p, "/corridors", i), &m->edges[i], pb)) != MEZ_OK)
            return rv;
    }

    /* Adjacency in document order, as the reference pushes corridor ids as they are added: the order in
     * which neighbours are relaxed decides between equal-cost routes. */
    m->n_adj = apr_pcalloc(p, (m->n_nodes + 1) * sizeof(*m->n_adj));
    m->adj = apr_pcalloc(p, (m->n_nodes + 1) * sizeof(*m->adj));
    for (i = 0; i < m->n_edges; i++) {
        m->n_adj[m->edges[i].src]++;
        if (m->edges[i].bidirectional)
            m->n_adj[m->edges[i].dst]++;
    }
    for (i = 0; i < m->n_nodes; i++) {
        m->adj[i] = apr_palloc(p, (m->n_adj[i] + 1) * sizeof(int));
        m->n_adj[i] = 0;
    }
    for (i = 0; i < m->n_edges; i++) {
        const edge_t *e = &m->edges[i];
        m->adj[e->src][m->n_adj[e->src]++] = (int)i;
        if (e->bidirectional)
            m->adj[e->dst][m->n_adj[e->dst]++] = (int)i;
    }
    *out = m;
    return MEZ_OK;
}

size_t mez_manifold_jurisdiction_count(const mez_manifold_t *m)
{
    return m->n_nodes;
}

size_t mez_manifold_corridor_count(const mez_manifold_t *m)
{
    return m->n_edges;
}

void mez_manifold_constraints_init(mez_manifold_constraints_t *c)
{
    memset(c, 0, sizeof(*c));
    c->max_hops = MEZ_MANIFOLD_DEFAULT_MAX_HOPS;
}

/* ------------------------------------------------------------------ routing */

static uint64_t sat_add64(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint32_t sat_add32(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

uint64_t mez_manifold_transfer_cost(uint64_t asset_value_usd, uint32_t bps, uint64_t flat_fee_usd)
{
    u128 v = (u128)asset_value_usd * bps / 10000;
    return sat_add64(flat_fee_usd, v > UINT64_MAX ? UINT64_MAX : (uint64_t)v);
}

static uint64_t edge_cost(const mez_manifold_t *m, const edge_t *e, uint64_t value, int entered)
{
    return sat_add64(mez_manifold_transfer_cost(value, e->bps, e->flat_fee), m->nodes[entered].entry_fee);
}

typedef struct {
    uint64_t cost;
    uint32_t time;
    int node;
} qentry_t;

typedef struct {
    qentry_t *e;
    size_t n, cap;
    const node_t *nodes;
} heap_t;

/* 1 when a pops before b: lower cost, then lower time, then the GREATER jurisdiction id (the reference's
 * Ord compares ids the other way round from cost and time, inside a max-heap). */
static int before(const heap_t *h, const qentry_t *a, const qentry_t *b)
{
    if (a->cost != b->cost)
        return a->cost < b->cost;
    if (a->time != b->time)
        return a->time < b->time;
    return strcmp(h->nodes[a->node].id, h->nodes[b->node].id) > 0;
}

static void heap_push(apr_pool_t *p, heap_t *h, qentry_t x)
{
    size_t i;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        qentry_t *e = apr_palloc(p, cap * sizeof(*e));
        if (h->n)
            memcpy(e, h->e, h->n * sizeof(*e));
        h->e = e;
        h->cap = cap;
    }
    i = h->n++;
    while (i > 0 && before(h, &x, &h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = x;
}

static qentry_t heap_pop(heap_t *h)
{
    qentry_t top = h->e[0], last = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h, &h->e[c + 1], &h->e[c]))
            c++;
        if (!before(h, &h->e[c], &last))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->n)
        h->e[i] = last;
    return top;
}

/* How a search is run: the caller's constraints, or relaxed ones when explaining a failure. */
typedef struct {
    const mez_manifold_constraints_t *c;
    size_t max_hops;
    int use_limits;               /* the cost and time limits */
    int use_activity;             /* skip inactive corridors and jurisdictions */
    int use_exclusions;
    const unsigned char *excluded;
} search_t;

/* The reference's find_path. prev_node/prev_edge receive the route tree; returns 1 when target was reached. */
static int dijkstra(apr_pool_t *p, const mez_manifold_t *m, int src, int dst, uint64_t value, const search_t *s,
                    int *prev_node, int *prev_edge)
{
    size_t n = m->n_nodes;
    uint64_t *dist = apr_palloc(p, (n + 1) * sizeof(*dist));
    uint32_t *time = apr_palloc(p, (n + 1) * sizeof(*time));
    unsigned char *visited = apr_pcalloc(p, n + 1);
    heap_t h = { NULL, 0, 0, m->nodes };
    size_t i;

    for (i = 0; i < n; i++) {
        dist[i] = UINT64_MAX;
        time[i] = UINT32_MAX;
        prev_node[i] = prev_edge[i] = -1;
    }
    dist[src] = 0;
    time[src] = 0;
    heap_push(p, &h, (qentry_t){ 0, 0, src });
    while (h.n) {
        qentry_t cur = heap_pop(&h);
        size_t hops = 0;
        if (visited[cur.node])
            continue;
        visited[cur.node] = 1;
        if (cur.node == dst)
            break;
        for (int k = cur.node; prev_node[k] >= 0; k = prev_node[k])
            hops++;
        if (hops >= s->max_hops)
            continue;
        for (i = 0; i < m->n_adj[cur.node]; i++) {
            int ei = m->adj[cur.node][i], nb;
            const edge_t *e = &m->edges[ei];
            uint64_t ec, nc;
            uint32_t nt;
            if (e->src == cur.node)
                nb = e->dst;
            else if (e->bidirectional && e->dst == cur.node)
                nb = e->src;
            else
                continue;
            if (s->use_exclusions && s->excluded[nb])
                continue;
            if (s->use_activity && (!e->active || !m->nodes[nb].active))
                continue;
            if (visited[nb])
                continue;   /* allow_loops is false in the reference's default, and not offered here */
            ec = edge_cost(m, e, value, nb);
            if (s->use_limits && s->c->has_max_per_hop_cost && ec > s->c->max_per_hop_cost_usd)
                continue;
            nc = sat_add64(cur.cost, ec);
            nt = sat_add32(cur.time, sat_add32(e->transfer_hours, e->finality_hours));
            if (s->use_limits && s->c->has_max_total_cost && nc > s->c->max_total_cost_usd)
                continue;
            if (s->use_limits && s->c->has_max_total_time && nt > s->c->max_total_time_hours)
                continue;
            if (nc < dist[nb]) {
                dist[nb] = nc;
                time[nb] = nt;
                prev_node[nb] = cur.node;
                prev_edge[nb] = ei;
                heap_push(p, &h, (qentry_t){ nc, nt, nb });
            }
        }
    }
    return dist[dst] != UINT64_MAX;
}

static int lookup(const mez_manifold_t *m, const char *id)
{
    uintptr_t k = id ? (uintptr_t)apr_hash_get(m->by_id, id, APR_HASH_KEY_STRING) : 0;
    return k ? (int)(k - 1) : -1;
}

static size_t route_hops(const int *prev_node, int dst)
{
    size_t n = 0;
    for (int k = dst; prev_node[k] >= 0; k = prev_node[k])
        n++;
    return n;
}

/* The inactive corridors and jurisdictions on a route, for telling the caller what blocked it. */
static const char *inactive_on_route(apr_pool_t *p, const mez_manifold_t *m, const int *prev_node,
                                     const int *prev_edge, int dst)
{
    const char *list = "";
    for (int k = dst; prev_node[k] >= 0; k = prev_node[k]) {
        if (!m->edges[prev_edge[k]].active)
            list = apr_pstrcat(p, " corridor ", m->edges[prev_edge[k]].id, list, NULL);
        if (!m->nodes[k].active)
            list = apr_pstrcat(p, " jurisdiction ", m->nodes[k].id, list, NULL);
    }
    return list;
}

static const char *excluded_on_route(apr_pool_t *p, const mez_manifold_t *m, const int *prev_node,
                                     const unsigned char *excluded, int dst)
{
    const char *list = "";
    for (int k = prev_node[dst]; k >= 0 && prev_node[k] >= 0; k = prev_node[k])
        if (excluded[k])
            list = apr_pstrcat(p, " ", m->nodes[k].id, list, NULL);
    return list;
}

/* Re-runs the search with constraints lifted one at a time to say which one stood in the way. */
static mez_status_t unreachable(apr_pool_t *p, const mez_manifold_t *m, int src, int dst, uint64_t value,
                                search_t s, int *prev_node, int *prev_edge, const char **why, mez_problem_t *pb)
{
    const char *from = m->nodes[src].id, *to = m->nodes[dst].id;
#define UNREACHABLE(w, ...)                                                                                         \
    do {                                                                                                            \
        if (why)                                                                                                    \
            *why = (w);                                                                                             \
        return mez_problem(pb, p, MEZ_EINVAL, 422, "manifold.unreachable", "/target", __VA_ARGS__);                 \
    } while (0)

    s.max_hops = SIZE_MAX;
    if (dijkstra(p, m, src, dst, value, &s, prev_node, prev_edge))
        UNREACHABLE("hop_limit", "no route from %s to %s within max_hops %" APR_SIZE_T_FMT
                    "; the cheapest route has %" APR_SIZE_T_FMT " hops", from, to, s.c->max_hops,
                    route_hops(prev_node, dst));
    s.use_limits = 0;
    if (dijkstra(p, m, src, dst, value, &s, prev_node, prev_edge))
        UNREACHABLE("constraints", "every route from %s to %s exceeds the cost or time limits given", from, to);
    s.use_activity = 0;
    if (dijkstra(p, m, src, dst, value, &s, prev_node, prev_edge))
        UNREACHABLE("inactive", "the routes from %s to %s pass inactive corridors or jurisdictions:%s", from, to,
                    inactive_on_route(p, m, prev_node, prev_edge, dst));
    s.use_exclusions = 0;
    if (dijkstra(p, m, src, dst, value, &s, prev_node, prev_edge))
        UNREACHABLE("excluded", "the routes from %s to %s pass excluded jurisdictions:%s", from, to,
                    excluded_on_route(p, m, prev_node, s.excluded, dst));
    UNREACHABLE("no_corridor", "no corridors connect %s to %s", from, to);
#undef UNREACHABLE
}

static void path_id(apr_pool_t *p, mez_manifold_path_t *path)
{
    json_t *doc = mez_json_pool_own(p, json_object()), *ids = json_array();
    mez_digest_t d;
    /* Canonical JSON of ASCII ids without ':' is the same bytes under RFC 8785 and the reference's MCF. */
    for (size_t i = 0; i < path->n_hops; i++)
        json_array_append_new(ids, json_string(path->hops[i].corridor_id));
    json_object_set_new(doc, "corridors", ids);
    json_object_set_new(doc, "source", json_string(path->source));
    json_object_set_new(doc, "target", json_string(path->target));
    if (mez_digest_json(p, doc, &d, NULL) == MEZ_OK)
        memcpy(path->path_id, mez_digest_hex(p, &d), 16);
    path->path_id[16] = '\0';
}

mez_status_t mez_manifold_route(apr_pool_t *p, const mez_manifold_t *m, const char *source, const char *target,
                                uint64_t asset_value_usd, const mez_manifold_constraints_t *c,
                                mez_manifold_path_t **out, const char **why, mez_problem_t *pb)
{
    mez_manifold_constraints_t defaults;
    int src = lookup(m, source), dst = lookup(m, target);
    int *prev_node, *prev_edge, *seq;
    unsigned char *excluded;
    mez_manifold_path_t *path;
    search_t s;
    size_t i, n;

    *out = NULL;
    if (why)
        *why = NULL;
    if (!c) {
        mez_manifold_constraints_init(&defaults);
        c = &defaults;
    }
    if (src < 0)
        return fail(pb, p, "manifold.unknown_jurisdiction", "/source", "jurisdiction '%s' is not in the manifold",
                    source ? source : "");
    if (dst < 0)
        return fail(pb, p, "manifold.unknown_jurisdiction", "/target", "jurisdiction '%s' is not in the manifold",
                    target ? target : "");
    excluded = apr_pcalloc(p, m->n_nodes + 1);
    for (i = 0; i < c->n_excluded; i++) {
        int k = lookup(m, c->excluded[i]);
        if (k >= 0)
            excluded[k] = 1;
    }
    if (excluded[src] || excluded[dst]) {
        if (why)
            *why = "excluded";
        return fail(pb, p, "manifold.unreachable", excluded[src] ? "/source" : "/target",
                    "the %s jurisdiction %s is itself excluded", excluded[src] ? "source" : "target",
                    excluded[src] ? source : target);
    }

    s.c = c;
    s.max_hops = c->max_hops;
    s.use_limits = s.use_activity = s.use_exclusions = 1;
    s.excluded = excluded;
    prev_node = apr_palloc(p, (m->n_nodes + 1) * sizeof(int));
    prev_edge = apr_palloc(p, (m->n_nodes + 1) * sizeof(int));
    if (!dijkstra(p, m, src, dst, asset_value_usd, &s, prev_node, prev_edge))
        return unreachable(p, m, src, dst, asset_value_usd, s, prev_node, prev_edge, why, pb);

    n = route_hops(prev_node, dst);
    seq = apr_palloc(p, (n + 1) * sizeof(int));
    for (int k = dst, j = (int)n; prev_node[k] >= 0; k = prev_node[k])
        seq[--j] = k;
    path = apr_pcalloc(p, sizeof(*path));
    path->source = m->nodes[src].id;
    path->target = m->nodes[dst].id;
    path->asset_value_usd = asset_value_usd;
    path->n_hops = n;
    path->hops = apr_pcalloc(p, (n + 1) * sizeof(*path->hops));
    for (i = 0; i < n; i++) {
        int to = seq[i], from = prev_node[to];
        const edge_t *e = &m->edges[prev_edge[to]];
        mez_manifold_hop_t *hop = &path->hops[i];
        hop->corridor_id = e->id;
        hop->source = m->nodes[from].id;
        hop->target = m->nodes[to].id;
        hop->cost_usd = edge_cost(m, e, asset_value_usd, to);
        hop->time_hours = sat_add32(e->transfer_hours, e->finality_hours);
        path->total_cost_usd = sat_add64(path->total_cost_usd, hop->cost_usd);
        path->total_time_hours = sat_add32(path->total_time_hours, hop->time_hours);
    }
    path_id(p, path);
    *out = path;
    return MEZ_OK;
}

static json_t *uint_json(uint64_t v)
{
    char buf[24];
    if (v <= SAFE_INT_MAX)
        return json_integer((json_int_t)v);
    apr_snprintf(buf, sizeof(buf), "%" APR_UINT64_T_FMT, v);
    return json_string(buf);
}

json_t *mez_manifold_path_json(apr_pool_t *p, const mez_manifold_path_t *path)
{
    json_t *o = mez_json_pool_own(p, json_object()), *hops = json_array(), *js = json_array();
    json_object_set_new(o, "path_id", json_string(path->path_id));
    json_object_set_new(o, "source", json_string(path->source));
    json_object_set_new(o, "target", json_string(path->target));
    json_object_set_new(o, "asset_value_usd", uint_json(path->asset_value_usd));
    json_object_set_new(o, "total_cost_usd", uint_json(path->total_cost_usd));
    json_object_set_new(o, "total_time_hours", json_integer(path->total_time_hours));
    json_object_set_new(o, "hop_count", json_integer((json_int_t)path->n_hops));
    json_array_append_new(js, json_string(path->source));
    for (size_t i = 0; i < path->n_hops; i++) {
        json_t *h = json_object();
        json_object_set_new(h, "corridor_id", json_string(path->hops[i].corridor_id));
        json_object_set_new(h, "source", json_string(path->hops[i].source));
        json_object_set_new(h, "target", json_string(path->hops[i].target));
        json_object_set_new(h, "cost_usd", uint_json(path->hops[i].cost_usd));
        json_object_set_new(h, "time_hours", json_integer(path->hops[i].time_hours));
        json_array_append_new(hops, h);
        json_array_append_new(js, json_string(path->hops[i].target));
    }
    json_object_set_new(o, "jurisdictions", js);
    json_object_set_new(o, "hops", hops);
    return o;
}

mez_status_t mez_manifold_request_parse(apr_pool_t *p, const json_t *req, mez_manifold_request_t *out,
                                        mez_problem_t *pb)
{
    static const char *const members[] = { "source", "target", "asset_value_usd", "max_hops", "max_total_cost_usd",
                                           "max_per_hop_cost_usd", "max_total_time_hours",
                                           "excluded_jurisdictions", NULL };
    mez_manifold_constraints_t *c = &out->constraints;
    const json_t *ex, *v;
    uint64_t hops = MEZ_MANIFOLD_DEFAULT_MAX_HOPS, t = 0;
    int has_hops;
    const char **ids;
    size_t i;
    mez_status_t rv;

    memset(out, 0, sizeof(*out));
    mez_manifold_constraints_init(c);
    if (!json_is_object(req))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "manifold.invalid_document", "",
                           "a route request is a JSON object");
    if ((rv = mez_json_only_members(p, req, "", members, "manifold.unknown_field", pb)) != MEZ_OK
        || (rv = id_member(p, req, "", "source", &out->source, pb)) != MEZ_OK
        || (rv = id_member(p, req, "", "target", &out->target, pb)) != MEZ_OK
        || (rv = uint_member(p, req, "", "asset_value_usd", 1, SAFE_INT_MAX, &out->asset_value_usd, NULL, pb))
               != MEZ_OK
        || (rv = uint_member(p, req, "", "max_hops", 0, 64, &hops, &has_hops, pb)) != MEZ_OK
        || (rv = uint_member(p, req, "", "max_total_cost_usd", 0, SAFE_INT_MAX, &c->max_total_cost_usd,
                             &c->has_max_total_cost, pb)) != MEZ_OK
        || (rv = uint_member(p, req, "", "max_per_hop_cost_usd", 0, SAFE_INT_MAX, &c->max_per_hop_cost_usd,
                             &c->has_max_per_hop_cost, pb)) != MEZ_OK
        || (rv = uint_member(p, req, "", "max_total_time_hours", 0, UINT32_MAX, &t, &c->has_max_total_time, pb))
               != MEZ_OK)
        return rv;
    c->max_hops = (size_t)hops;
    c->max_total_time_hours = (uint32_t)t;
    if ((ex = json_object_get(req, "excluded_jurisdictions")) != NULL) {
        if (!json_is_array(ex))
            return fail(pb, p, "manifold.invalid_field", "/excluded_jurisdictions", "a list of jurisdiction ids");
        ids = apr_palloc(p, (json_array_size(ex) + 1) * sizeof(*ids));
        json_array_foreach(ex, i, v) {
            if (!json_is_string(v) || !is_id(json_string_value(v)))
                return fail(pb, p, "manifold.invalid_field", mez_pointer_index(p, "/excluded_jurisdictions", i),
                            "a jurisdiction id");
            ids[i] = json_string_value(v);
        }
        c->excluded = ids;
        c->n_excluded = json_array_size(ex);
    }
    return MEZ_OK;
}
