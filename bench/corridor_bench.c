/* bench/corridor_bench.c: one-core benchmark of a corridor's RFC 9162 tree (issue 5): the raw SHA-256 rate of the
 * two inputs the tree hashes (the baseline, measured in the same run), appends of 10^6 leaves with mez/mmr.h, and
 * inclusion and consistency proofs at n = 10^3 .. 10^6: generation and verification rates, proof lengths beside
 * ceil(log2 n), and verification hashing as a fraction of the SHA-256 limit.
 *
 * Proofs are generated the way the corridor store does it (libmezcore/src/corridor_tree.c): from a table of every
 * complete subtree's hash, (level, index) covering leaves [index * 2^level, (index + 1) * 2^level), each written once
 * by the append that completes it. Here the table lives in memory, so the figures are those of the algorithm, not of
 * the database. libmezcore's mez_mmr_inclusion_proof / mez_mmr_consistency_proof work from the full leaf list
 * (O(n) per proof); they are run on a sample at every n, must give the same proofs, and their rate is printed
 * beside the table's for contrast. Every proof generated in a timed loop is verified with mez_mmr_verify_*, and
 * the run exits non-zero unless all verify, so the rates are rates of correct proofs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime's thread CPU clock, getrusage */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <openssl/evp.h>

#include "mez/digest.h"
#include "mez/mmr.h"

/* Proofs generated per timed batch (then verified, untimed by the generation clock): big enough that the clock
 * reads are noise, small enough that a batch's paths stay in cache-friendly memory (~4 MB). */
#define BATCH 1024
/* A path never exceeds 2 * 64 hashes (RFC 9162 consistency proofs on 64-bit sizes are shorter still). */
#define PATH_MAX_HASHES (2 * MEZ_MMR_MAX_PEAKS)
#define MAX_SIZES 8

/* ------------------------------------------------------------------ small helpers */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mez-corridor-bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* splitmix64: the leaves' bytes and the proofs' positions; fixed seeds make every run prove the same tree. */
static uint64_t mix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned floor_log2(uint64_t n)
{
    unsigned b = 0;
    while (n >> (b + 1))
        b++;
    return b;
}

static unsigned ceil_log2(uint64_t n)
{
    return n <= 1 ? 0 : floor_log2(n - 1) + 1;
}

static int is_power_of_two(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* ------------------------------------------------------------------ the SHA-256 baseline */

/* EVP_Digest with SHA-256 fetched once is exactly what mez_digest_sha256 calls after mez_digest_global_init (as
 * in httpd and the CLI), so this is the limit mez's tree could reach if hashing were all it did. Each output is fed
 * back into the next input so no call can be skipped or hoisted; the prefix byte stays what RFC 9162 puts there. */
static double sha256_rate(size_t len, double seconds, unsigned long *ops_out)
{
    unsigned char buf[1 + 2 * MEZ_DIGEST_LEN], out[MEZ_DIGEST_LEN];
    unsigned int olen;
    unsigned long ops = 0;
    double t0, t;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (!md)
        die("SHA-256 cannot be fetched", NULL);

    memset(buf, 0x5a, sizeof(buf));
    buf[0] = len == 1 + MEZ_DIGEST_LEN ? 0x00 : 0x01;
    t0 = cpu_now();
    do {
        for (int i = 0; i < 1024; i++) {
            olen = MEZ_DIGEST_LEN;
            if (!EVP_Digest(buf, len, out, &olen, md, NULL))
                die("EVP_Digest failed", NULL);
            memcpy(buf + 1, out, MEZ_DIGEST_LEN);
        }
        ops += 1024;
        t = cpu_now() - t0;
    } while (t < seconds);
    EVP_MD_free(md);
    *ops_out = ops;
    return (double)ops / t;
}

/* ------------------------------------------------------------------ the node table */

/* Every complete subtree of the first `leaves` leaves: level[l][i] = hash of leaves [i * 2^l, (i + 1) * 2^l).
 * Level 0 holds the leaf hashes. Since a node never changes once complete, the table of the largest tree holds
 * every node of each of its prefixes: one table serves every n. */
typedef struct table_t {
    uint64_t leaves;
    unsigned levels;
    mez_digest_t *level[MEZ_MMR_MAX_PEAKS];
} table_t;

static void table_alloc(apr_pool_t *p, table_t *t, uint64_t leaves)
{
    t->leaves = leaves;
    t->levels = floor_log2(leaves) + 1;
    for (unsigned l = 0; l < t->levels; l++)
        t->level[l] = apr_palloc(p, (apr_size_t)((leaves >> l) ? (leaves >> l) : 1) * sizeof(mez_digest_t));
}

/* The store's append, in memory: write the leaf hash, then each parent the new node completes (a right child
 * completes its parent). The same hashes as mez_mmr_append, plus a write per node. */
static void table_append(table_t *t, uint64_t index, const mez_digest_t *leaf)
{
    unsigned l = 0;
    mez_mmr_leaf_hash(leaf, &t->level[0][index]);
    while (index & 1) {
        mez_mmr_node_hash(&t->level[l][index - 1], &t->level[l][index], &t->level[l + 1][index >> 1]);
        index >>= 1;
        l++;
    }
}

/* MTH of leaves [start, start + n): one stored node per set bit of n, largest first, bagged right to left. The
 * ranges a proof asks for start at a multiple of the largest power of two in n, so each piece is a stored node.
 * *hashes counts the bagging hashes (the only hashing a generation does). */
static void range_hash(const table_t *t, uint64_t start, uint64_t n, mez_digest_t *out, unsigned long *hashes)
{
    const mez_digest_t *peak[MEZ_MMR_MAX_PEAKS];
    unsigned np = 0;
    while (n) {
        unsigned b = floor_log2(n);
        peak[np++] = &t->level[b][start >> b];
        start += (uint64_t)1 << b;
        n -= (uint64_t)1 << b;
    }
    *out = *peak[np - 1];
    while (np-- > 1) {
        mez_mmr_node_hash(peak[np - 1], out, out);
        (*hashes)++;
    }
}

/* The ranges of a proof are found from the root down (one per level), but the path lists them leaf upward:
 * collect top-down, then hash them in reverse order into the path. */
typedef struct ranges_t {
    uint64_t start[PATH_MAX_HASHES], n[PATH_MAX_HASHES];
    unsigned count;
} ranges_t;

static void ranges_emit(const table_t *t, const ranges_t *r, mez_digest_t *path, size_t *len, unsigned long *hashes)
{
    for (unsigned i = 0; i < r->count; i++)
        range_hash(t, r->start[r->count - 1 - i], r->n[r->count - 1 - i], &path[i], hashes);
    *len = r->count;
}

/* PATH(m, D[0:n]) of RFC 9162 section 2.1.3.1: at each level, the sibling of the half holding leaf m. */
static void table_inclusion(const table_t *t, uint64_t m, uint64_t n, mez_digest_t *path, size_t *len,
                            unsigned long *hashes)
{
    ranges_t r;
    uint64_t start = 0;
    r.count = 0;
    while (n > 1) {
        uint64_t k = (uint64_t)1 << floor_log2(n - 1);
        if (m < k) {
            r.start[r.count] = start + k;
            r.n[r.count++] = n - k;
            n = k;
        }
        else {
            r.start[r.count] = start;
            r.n[r.count++] = k;
            start += k;
            m -= k;
            n -= k;
        }
    }
    ranges_emit(t, &r, path, len, hashes);
}

/* PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) of RFC 9162 section 2.1.4.1. */
static void table_consistency(const table_t *t, uint64_t m, uint64_t n, mez_digest_t *path, size_t *len,
                              unsigned long *hashes)
{
    ranges_t r;
    uint64_t start = 0;
    int whole = 1;   /* the old tree is still the whole left edge: the verifier knows its root */
    r.count = 0;
    while (m != n) {
        uint64_t k = (uint64_t)1 << floor_log2(n - 1);
        if (m <= k) {
            r.start[r.count] = start + k;
            r.n[r.count++] = n - k;
            n = k;
        }
        else {
            r.start[r.count] = start;
            r.n[r.count++] = k;
            start += k;
            m -= k;
            n -= k;
            whole = 0;
        }
    }
    if (!whole) {
        r.start[r.count] = start;
        r.n[r.count++] = m;
    }
    ranges_emit(t, &r, path, len, hashes);
}

/* How many node hashes mez_mmr_verify_consistency computes for a proof of this shape: the loop of RFC 9162
 * section 2.1.4.2 without the hashing (two hashes when the path element extends both roots, one otherwise). */
static unsigned long consistency_verify_hashes(uint64_t m, uint64_t n, size_t len)
{
    uint64_t fn, sn;
    unsigned long h = 0;
    size_t i = is_power_of_two(m) ? 0 : 1;
    if (m == n)
        return 0;
    fn = m - 1;
    sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < len; i++) {
        if ((fn & 1) || fn == sn) {
            h += 2;
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            h += 1;
        fn >>= 1;
        sn >>= 1;
    }
    return h;
}

/* ------------------------------------------------------------------ proofs at one size */

enum { K_INCLUSION, K_CONSISTENCY, K_COUNT };
static const char *const KIND_KEY[K_COUNT] = { "inclusion", "consistency" };

typedef struct proof_fig_t {
    unsigned long proofs;          /* generated (and verified) in the timed batches */
    double gen_cpu, ver_cpu;
    unsigned long len_sum, len_max;
    unsigned long gen_hashes;      /* bagging hashes spent generating */
    unsigned long ver_leaf_hashes, ver_node_hashes;
    double ver_limit_s;            /* what those hashes cost at the baseline rates */
    unsigned long full_samples;    /* proofs also made by libmezcore from the full leaf list, all equal */
    double full_cpu;
} proof_fig_t;

typedef struct size_fig_t {
    uint64_t n;
    mez_digest_t root;             /* from the table, checked against mez_mmr_root at the same size */
    proof_fig_t k[K_COUNT];
} size_fig_t;

typedef struct batch_t {
    uint64_t pos[BATCH];           /* leaf index (inclusion) or old size m (consistency) */
    size_t len[BATCH];
    mez_digest_t old_root[BATCH];  /* consistency: root of the first m leaves, which a verifier already holds */
    mez_digest_t *path;            /* BATCH * PATH_MAX_HASHES */
} batch_t;

typedef struct ctx_t {
    apr_pool_t *pool;
    const mez_digest_t *leaves;
    table_t table;
    double r33, r65;               /* the baseline: SHA-256 per second of a leaf input and of a node input */
    double seconds;
    uint64_t rng;
} ctx_t;

static void check_equal_paths(const char *what, uint64_t n, uint64_t pos, const mez_digest_t *a, size_t alen,
                              const mez_digest_t *b, size_t blen)
{
    char buf[160];
    if (alen == blen && (alen == 0 || memcmp(a, b, alen * sizeof(*a)) == 0))
        return;
    snprintf(buf, sizeof(buf), "n=%llu at %llu: table path (%zu hashes) differs from libmezcore's (%zu hashes)",
             (unsigned long long)n, (unsigned long long)pos, alen, blen);
    die(what, buf);
}

/* A few proofs from libmezcore's full-leaf generator (O(n) hashes each), which must equal the table's: the first
 * two at the edges (first and last leaf, sizes 1 and n - 1), the rest at random. Their rate is the contrast. */
static void sample_full(ctx_t *c, size_fig_t *s, int kind, unsigned long samples)
{
    mez_digest_t mine[PATH_MAX_HASHES], *theirs;
    size_t mlen, tlen;
    unsigned long dummy = 0;
    mez_problem_t pb;
    apr_pool_t *sub;
    proof_fig_t *f = &s->k[kind];
    apr_pool_create(&sub, c->pool);
    for (unsigned long i = 0; i < samples; i++) {
        uint64_t pos;
        double t0;
        mez_status_t st;
        if (kind == K_INCLUSION)
            pos = i == 0 ? 0 : i == 1 ? s->n - 1 : mix64(&c->rng) % s->n;
        else
            pos = i == 0 ? 1 : i == 1 ? s->n - 1 : 1 + mix64(&c->rng) % (s->n - 1);
        t0 = cpu_now();
        st = kind == K_INCLUSION ? mez_mmr_inclusion_proof(sub, c->leaves, s->n, pos, &theirs, &tlen, &pb)
                                 : mez_mmr_consistency_proof(sub, c->leaves, s->n, pos, &theirs, &tlen, &pb);
        f->full_cpu += cpu_now() - t0;
        if (st != MEZ_OK)
            die("libmezcore refused a proof", pb.detail);
        if (kind == K_INCLUSION)
            table_inclusion(&c->table, pos, s->n, mine, &mlen, &dummy);
        else
            table_consistency(&c->table, pos, s->n, mine, &mlen, &dummy);
        check_equal_paths(KIND_KEY[kind], s->n, pos, mine, mlen, theirs, tlen);
        f->full_samples++;
        apr_pool_clear(sub);
    }
    apr_pool_destroy(sub);
}

/* Batches of BATCH proofs at random positions until generation + verification have used c->seconds of CPU:
 * generation timed, then each proof verified (timed apart) and required to verify. One proof per size is then
 * tampered with (one bit of one hash) and must fail: a verifier that accepts everything would be fast too. */
static void run_proofs(ctx_t *c, size_fig_t *s, int kind, batch_t *b)
{
    proof_fig_t *f = &s->k[kind];
    const table_t *t = &c->table;
    uint64_t n = s->n;
    char buf[120];

    do {
        double t0;
        for (int i = 0; i < BATCH; i++)
            b->pos[i] = kind == K_INCLUSION ? mix64(&c->rng) % n : 1 + mix64(&c->rng) % (n - 1);
        t0 = cpu_now();
        if (kind == K_INCLUSION)
            for (int i = 0; i < BATCH; i++)
                table_inclusion(t, b->pos[i], n, b->path + (size_t)i * PATH_MAX_HASHES, &b->len[i], &f->gen_hashes);
        else
            for (int i = 0; i < BATCH; i++)
                table_consistency(t, b->pos[i], n, b->path + (size_t)i * PATH_MAX_HASHES, &b->len[i],
                                  &f->gen_hashes);
        f->gen_cpu += cpu_now() - t0;

        if (kind == K_CONSISTENCY) {
            /* The verifier's side: the old root it signed off earlier. Not part of either timing. */
            unsigned long dummy = 0;
            for (int i = 0; i < BATCH; i++)
                range_hash(t, 0, b->pos[i], &b->old_root[i], &dummy);
        }

        t0 = cpu_now();
        for (int i = 0; i < BATCH; i++) {
            const mez_digest_t *path = b->path + (size_t)i * PATH_MAX_HASHES;
            int ok = kind == K_INCLUSION
                         ? mez_mmr_verify_inclusion(b->pos[i], n, &c->leaves[b->pos[i]], path, b->len[i], &s->root)
                         : mez_mmr_verify_consistency(b->pos[i], n, &b->old_root[i], &s->root, path, b->len[i]);
            if (!ok) {
                snprintf(buf, sizeof(buf), "n=%llu, position %llu", (unsigned long long)n,
                         (unsigned long long)b->pos[i]);
                die(kind == K_INCLUSION ? "an inclusion proof does not verify" : "a consistency proof does not verify",
                    buf);
            }
        }
        f->ver_cpu += cpu_now() - t0;

        for (int i = 0; i < BATCH; i++) {
            unsigned long nh = kind == K_INCLUSION ? b->len[i] : consistency_verify_hashes(b->pos[i], n, b->len[i]);
            f->len_sum += b->len[i];
            if (b->len[i] > f->len_max)
                f->len_max = b->len[i];
            f->ver_node_hashes += nh;
            f->ver_leaf_hashes += kind == K_INCLUSION;
            f->ver_limit_s += (kind == K_INCLUSION ? 1.0 / c->r33 : 0) + (double)nh / c->r65;
        }
        f->proofs += BATCH;
    } while (f->gen_cpu + f->ver_cpu < c->seconds);

    /* The last proof of the batch, one bit flipped in its middle hash. */
    {
        int i = BATCH - 1, ok;
        mez_digest_t *path = b->path + (size_t)i * PATH_MAX_HASHES;
        if (b->len[i] == 0)
            return;
        path[b->len[i] / 2].bytes[7] ^= 0x10;
        ok = kind == K_INCLUSION
                 ? mez_mmr_verify_inclusion(b->pos[i], n, &c->leaves[b->pos[i]], path, b->len[i], &s->root)
                 : mez_mmr_verify_consistency(b->pos[i], n, &b->old_root[i], &s->root, path, b->len[i]);
        if (ok)
            die("a tampered proof verifies", KIND_KEY[kind]);
    }
}

/* ------------------------------------------------------------------ report */

typedef struct append_fig_t {
    uint64_t leaves;
    unsigned long appends, node_hashes;   /* over all passes */
    double cpu, store_cpu;
    unsigned long store_appends;
} append_fig_t;

static double fig_len_mean(const proof_fig_t *f)
{
    return f->proofs ? (double)f->len_sum / (double)f->proofs : 0;
}

static double fig_per_s(unsigned long ops, double cpu)
{
    return cpu > 0 ? (double)ops / cpu : 0;
}

static void print_table(const ctx_t *c, const append_fig_t *a, const size_fig_t *s, int ns, unsigned long ops33,
                        unsigned long ops65, double util, long rss_kb)
{
    double per_append_limit = 1.0 / c->r33 + ((double)a->node_hashes / (double)a->appends) / c->r65;
    printf("mez-corridor-bench: one thread, rates per CPU-second of that thread, %.1f s per measured row\n",
           c->seconds);
    printf("tree:  RFC 9162 (leaf = SHA-256(0x00||32 B), node = SHA-256(0x01||32 B||32 B)), %llu leaves\n\n",
           (unsigned long long)a->leaves);
    printf("%-52s %12s %9s\n", "baseline: raw SHA-256 (OpenSSL EVP_Digest, as mez)", "hashes/s", "ns/hash");
    printf("%-52s %12.0f %9.1f   (%lu hashes)\n", "  65 B input (a node: 0x01||left||right)", c->r65, 1e9 / c->r65,
           ops65);
    printf("%-52s %12.0f %9.1f   (%lu hashes)\n", "  33 B input (a leaf: 0x00||value)", c->r33, 1e9 / c->r33, ops33);
    printf("\n%-52s %12s %9s\n", "append", "appends/s", "us/append");
    printf("%-52s %12.0f %9.3f\n", "  mez_mmr_append (peaks only)", fig_per_s(a->appends, a->cpu),
           a->cpu * 1e6 / (double)a->appends);
    printf("%-52s %12.0f %9.3f\n", "  append + keep every node (the store's table)",
           fig_per_s(a->store_appends, a->store_cpu), a->store_cpu * 1e6 / (double)a->store_appends);
    printf("%-52s %12.0f %9.3f   (1 leaf + %.3f node hashes per append)\n", "  hash limit", 1.0 / per_append_limit,
           per_append_limit * 1e6, (double)a->node_hashes / (double)a->appends);
    printf("%-52s %8.3f\n", "  mez_mmr_append / hash limit", fig_per_s(a->appends, a->cpu) * per_append_limit);
    printf("%-52s %8.3f\n", "  append + table / hash limit", fig_per_s(a->store_appends, a->store_cpu) * per_append_limit);

    for (int k = 0; k < K_COUNT; k++) {
        printf("\n%s proofs (%s)\n", KIND_KEY[k],
               k == K_INCLUSION ? "leaf at a random index of the tree of size n"
                                : "from a random size m in [1, n-1] to n");
        printf("%9s %5s %6s %4s %6s %11s %9s %11s %9s %12s %7s %12s\n", "n", "log2n", "mean", "max", "bytes",
               "generate/s", "gen us", "verify/s", "ver us", "ver hashes/s", "of SHA", "full-list/s");
        for (int i = 0; i < ns; i++) {
            const proof_fig_t *f = &s[i].k[k];
            double ver_h = (double)(f->ver_leaf_hashes + f->ver_node_hashes);
            printf("%9llu %5u %6.2f %4lu %6.0f %11.0f %9.3f %11.0f %9.3f %12.0f %6.1f%% %12.1f\n",
                   (unsigned long long)s[i].n, ceil_log2(s[i].n), fig_len_mean(f), f->len_max,
                   fig_len_mean(f) * MEZ_DIGEST_LEN, fig_per_s(f->proofs, f->gen_cpu),
                   f->gen_cpu * 1e6 / (double)f->proofs, fig_per_s(f->proofs, f->ver_cpu),
                   f->ver_cpu * 1e6 / (double)f->proofs, ver_h / f->ver_cpu, 100 * f->ver_limit_s / f->ver_cpu,
                   fig_per_s(f->full_samples, f->full_cpu));
        }
    }
    printf("\nmean/max/bytes: proof length in hashes and its mean size; log2n = ceil(log2 n).\n");
    printf("of SHA: the verification's hashes at the baseline rates over its measured time (100 %% = pure hashing).\n");
    printf("full-list/s: libmezcore's mez_mmr_*_proof from all n leaves (O(n)), on a sample; same proofs.\n");
    printf("\n%-52s %7.1f %%\n", "CPU time / wall time (100 % = no preempt)", util * 100);
    printf("%-52s %7.1f MiB\n", "peak RSS", (double)rss_kb / 1024);
}

static void print_json(FILE *out, const ctx_t *c, const append_fig_t *a, const size_fig_t *s, int ns, double util,
                       long rss_kb)
{
    double per_append_limit = 1.0 / c->r33 + ((double)a->node_hashes / (double)a->appends) / c->r65;
    fprintf(out, "{\"seconds\":%.3f,\"sha256_node65_per_s\":%.1f,\"sha256_leaf33_per_s\":%.1f,"
            "\"append\":{\"leaves\":%llu,\"appends\":%lu,\"per_s\":%.1f,\"node_hashes_per_append\":%.4f,"
            "\"hash_limit_per_s\":%.1f,\"vs_hash_limit\":%.4f,\"table_per_s\":%.1f,\"table_vs_hash_limit\":%.4f},"
            "\"sizes\":[",
            c->seconds, c->r65, c->r33, (unsigned long long)a->leaves, a->appends, fig_per_s(a->appends, a->cpu),
            (double)a->node_hashes / (double)a->appends, 1.0 / per_append_limit,
            fig_per_s(a->appends, a->cpu) * per_append_limit, fig_per_s(a->store_appends, a->store_cpu),
            fig_per_s(a->store_appends, a->store_cpu) * per_append_limit);
    for (int i = 0; i < ns; i++) {
        fprintf(out, "%s{\"n\":%llu,\"ceil_log2\":%u", i ? "," : "", (unsigned long long)s[i].n, ceil_log2(s[i].n));
        for (int k = 0; k < K_COUNT; k++) {
            const proof_fig_t *f = &s[i].k[k];
            fprintf(out, ",\"%s\":{\"proofs\":%lu,\"len_mean\":%.3f,\"len_max\":%lu,\"bytes_mean\":%.1f,"
                    "\"generate_per_s\":%.1f,\"verify_per_s\":%.1f,\"generate_hashes_per_proof\":%.3f,"
                    "\"verify_hashes_per_s\":%.1f,\"verify_vs_sha256\":%.4f,\"full_list_samples\":%lu,"
                    "\"full_list_per_s\":%.2f}",
                    KIND_KEY[k], f->proofs, fig_len_mean(f), f->len_max, fig_len_mean(f) * MEZ_DIGEST_LEN,
                    fig_per_s(f->proofs, f->gen_cpu), fig_per_s(f->proofs, f->ver_cpu),
                    (double)f->gen_hashes / (double)f->proofs,
                    (double)(f->ver_leaf_hashes + f->ver_node_hashes) / f->ver_cpu, f->ver_limit_s / f->ver_cpu,
                    f->full_samples, fig_per_s(f->full_samples, f->full_cpu));
        }
        fprintf(out, "}");
    }
    fprintf(out, "],\"all_proofs_verified\":true,\"cpu_utilisation\":%.4f,\"peak_rss_kb\":%ld}\n", util, rss_kb);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mez-corridor-bench [--seconds S] [--leaves N] [--json] [--json-out FILE]\n"
            "  --seconds S     CPU time per baseline row and per proof row (generation + verification), default 1\n"
            "  --leaves N      tree size for appends and the largest proof size, default 1000000 (min 1000);\n"
            "                  proofs are measured at 10^3, 10^4, ... up to N (and at N)\n"
            "  --json          print only the figures as one JSON line\n"
            "  --json-out FILE also write that JSON line to FILE\n"
            "Exits 2 unless every generated proof verifies, equals libmezcore's on the sample, and a tampered\n"
            "proof fails.\n");
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    ctx_t c;
    append_fig_t a;
    size_fig_t s[MAX_SIZES];
    mez_mmr_t snap[MAX_SIZES], m;
    mez_digest_t *leaves;
    batch_t *b;
    uint64_t nleaves = 1000000, seed = 20260101;
    unsigned long ops33, ops65;
    int ns = 0, json = 0;
    const char *json_out = NULL;
    double wall0, cpu0, util;
    struct rusage ru;

    memset(&c, 0, sizeof(c));
    c.seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            char *end;
            c.seconds = strtod(argv[++i], &end);
            if (*end || c.seconds <= 0)
                die("--seconds wants a positive number", argv[i]);
        }
        else if (!strcmp(argv[i], "--leaves") && i + 1 < argc) {
            char *end;
            nleaves = strtoull(argv[++i], &end, 10);
            if (*end || nleaves < 1000 || nleaves > ((uint64_t)1 << 32))
                die("--leaves wants a count from 1000 to 2^32", argv[i]);
        }
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--json-out") && i + 1 < argc)
            json_out = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        else {
            usage(stderr);
            return 2;
        }
    }
    for (uint64_t n = 1000; n < nleaves && ns < MAX_SIZES - 1; n *= 10)
        s[ns++].n = n;
    s[ns++].n = nleaves;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    /* SHA-256 fetched once, as mod_mez and the CLI do. */
    mez_digest_global_init(pool);
    c.pool = pool;
    c.rng = 0x5eed;
    wall0 = clock_s(CLOCK_MONOTONIC);
    cpu0 = cpu_now();

    /* The leaves: 32-byte values that look like receipts' next_roots (uniform bytes), fixed by the seed. */
    leaves = apr_palloc(pool, (apr_size_t)nleaves * sizeof(*leaves));
    for (uint64_t i = 0; i < nleaves; i++)
        for (int j = 0; j < MEZ_DIGEST_LEN; j += 8) {
            uint64_t v = mix64(&seed);
            memcpy(leaves[i].bytes + j, &v, 8);
        }
    c.leaves = leaves;

    c.r65 = sha256_rate(1 + 2 * MEZ_DIGEST_LEN, c.seconds, &ops65);
    c.r33 = sha256_rate(1 + MEZ_DIGEST_LEN, c.seconds, &ops33);

    /* Appends with mez/mmr.h, the peaks copied at each proof size on the first pass (outside the clock), then
     * whole passes again until the row has had its time. */
    memset(&a, 0, sizeof(a));
    a.leaves = nleaves;
    do {
        uint64_t i = 0;
        mez_mmr_init(&m);
        for (int k = 0; k < ns; k++) {
            double t0 = cpu_now();
            for (; i < s[k].n; i++)
                mez_mmr_append(&m, &leaves[i]);
            a.cpu += cpu_now() - t0;
            if (a.appends == 0)
                snap[k] = m;
        }
        a.appends += nleaves;
        a.node_hashes += nleaves - (unsigned long)__builtin_popcountll(nleaves);
    } while (a.cpu < c.seconds);

    /* The store's append: the same hashes, every completed node kept. One pass builds the table proofs use. */
    table_alloc(pool, &c.table, nleaves);
    do {
        double t0 = cpu_now();
        for (uint64_t i = 0; i < nleaves; i++)
            table_append(&c.table, i, &leaves[i]);
        a.store_cpu += cpu_now() - t0;
        a.store_appends += nleaves;
    } while (a.store_cpu < c.seconds);

    /* The table's root at every size must be the tree's root (mez_mmr_root of the peaks at that size). */
    for (int k = 0; k < ns; k++) {
        mez_digest_t r;
        unsigned long dummy = 0;
        range_hash(&c.table, 0, s[k].n, &s[k].root, &dummy);
        mez_mmr_root(&snap[k], &r);
        if (snap[k].size != s[k].n || !mez_digest_equal(&r, &s[k].root))
            die("the node table's root differs from mez_mmr_root", NULL);
        memset(s[k].k, 0, sizeof(s[k].k));
    }

    b = apr_palloc(pool, sizeof(*b));
    b->path = apr_palloc(pool, (apr_size_t)BATCH * PATH_MAX_HASHES * sizeof(mez_digest_t));
    for (int k = 0; k < ns; k++) {
        /* Samples against libmezcore's full-leaf proofs: ~2 * 10^5 leaves' worth of hashing per size and kind,
         * so at least the two edge cases everywhere and a few hundred proofs at small n. */
        unsigned long samples = (unsigned long)(200000 / s[k].n);
        if (samples < 2)
            samples = 2;
        for (int kind = 0; kind < K_COUNT; kind++) {
            sample_full(&c, &s[k], kind, samples);
            run_proofs(&c, &s[k], kind, b);
        }
    }

    util = (cpu_now() - cpu0) / (clock_s(CLOCK_MONOTONIC) - wall0);
    getrusage(RUSAGE_SELF, &ru);
    if (!json) {
        print_table(&c, &a, s, ns, ops33, ops65, util, ru.ru_maxrss);
        printf("\n");
    }
    print_json(stdout, &c, &a, s, ns, util, ru.ru_maxrss);
    if (json_out) {
        FILE *f = fopen(json_out, "w");
        if (!f)
            die("cannot write", json_out);
        print_json(f, &c, &a, s, ns, util, ru.ru_maxrss);
        if (fclose(f))
            die("cannot write", json_out);
    }
    apr_pool_destroy(pool);
    return 0;
}
