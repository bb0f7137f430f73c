/* bench/mez_bench.c: one-core micro-benchmark of JCS + SHA-256, Ed25519 (mez and raw EVP), credential issue and
 * verify on a 1 KB credential (rates, cycles/op), plus an HTTP load client (--http) used by bench/run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syscall(), perf_event_open */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#if defined(__linux__)
#include <linux/perf_event.h>
#endif
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <apr_general.h>
#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <openssl/evp.h>
#include <openssl/err.h>

#include "mez/base58.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/vc.h"

/* The benchmark credential: an entity-formation certificate a zone registry would issue, with the nested
 * subject, numbers, dates and a non-ASCII name that real ones carry, so JCS has realistic work to do.
 * It has no "id" (the HTTP part issues it many times; mod_mez refuses a second credential with the same id)
 * and no "issuer" (the issuing key fills it in). */
static const char CREDENTIAL[] =
    "{"
    "\"@context\":[\"https://www.w3.org/ns/credentials/v2\",\"https://schemas.mez.example/contexts/entity/v1\"],"
    "\"type\":[\"VerifiableCredential\",\"EntityFormationCredential\"],"
    "\"name\":\"Certificate of Formation\","
    "\"validFrom\":\"2025-01-15T09:30:00Z\","
    "\"validUntil\":\"2035-01-15T09:30:00Z\","
    "\"credentialSchema\":{\"id\":\"https://schemas.mez.example/entity-formation/v1.json\","
    "\"type\":\"JsonSchema\"},"
    "\"credentialSubject\":{"
    "\"id\":\"did:web:acme-logistics.example\","
    "\"type\":\"LegalEntity\","
    "\"legalName\":\"Acme Logistics Holdings Ltd\","
    "\"registrationNumber\":\"BEN-2025-004217\","
    "\"legalForm\":\"PrivateCompanyLimitedByShares\","
    "\"jurisdiction\":{\"zone\":\"bench\",\"country\":\"AE\",\"authority\":\"Bench Zone Registrar\"},"
    "\"registeredAddress\":{\"streetAddress\":\"Unit 12, Dock Road 4\",\"country\":\"AE\"},"
    "\"shareCapital\":{\"amount\":150000,\"currency\":\"USD\",\"shares\":150000},"
    "\"directors\":["
    "{\"name\":\"Amélie Durand\",\"role\":\"Director\",\"appointed\":\"2025-01-15\"}],"
    "\"activities\":[{\"scheme\":\"ISIC4\",\"code\":\"5229\"}],"
    "\"compliance\":{\"amlScreening\":\"passed\",\"beneficialOwnershipFiled\":true,\"riskScore\":0.12}"
    "}}";

/* A fixed seed keeps the key (and so every size printed) the same from run to run; this one is the secret
 * key of RFC 8032's first Ed25519 test vector, so nobody mistakes it for a key worth protecting. */
static const unsigned char SEED[MEZ_ED25519_SEED_LEN] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* ------------------------------------------------------------------ cycle counting */

typedef enum { CYC_NONE, CYC_PERF, CYC_PERF_USER, CYC_TSC } cyc_kind_t;

static cyc_kind_t cyc_kind = CYC_NONE;
static int perf_fd = -1;
static char cyc_why[160] = ""; /* why the preferred counter was not used, for the report */

#if defined(__linux__)
static int perf_open(int exclude_kernel)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_HARDWARE;
    a.size = sizeof(a);
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.exclude_kernel = exclude_kernel;
    a.exclude_hv = 1;
    /* Multiplexing with other events would undercount; the enabled/running times let us scale it back. */
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t perf_read(void)
{
    uint64_t v[3] = { 0, 0, 0 };
    if (read(perf_fd, v, sizeof(v)) != (ssize_t)sizeof(v))
        return 0;
    if (v[2] && v[2] < v[1])
        return (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]);
    return v[0];
}
#endif

static uint64_t cycles_now(void)
{
#if defined(__linux__)
    if (cyc_kind == CYC_PERF || cyc_kind == CYC_PERF_USER)
        return perf_read();
#endif
#if defined(__x86_64__)
    if (cyc_kind == CYC_TSC)
        return __rdtsc();
#endif
    return 0;
}

/* Prefers real core cycles (perf), kernel included when allowed; falls back to the TSC, which ticks at a
 * fixed reference rate whatever the core's clock, and to nothing elsewhere. */
static void cycles_init(void)
{
#if defined(__linux__)
    int user_only = 0;
    perf_fd = perf_open(0);
    if (perf_fd < 0 && (errno == EACCES || errno == EPERM)) {
        user_only = 1;
        perf_fd = perf_open(1);
    }
    if (perf_fd >= 0) {
        volatile unsigned long spin = 0;
        uint64_t c0;
        ioctl(perf_fd, PERF_EVENT_IOC_RESET, 0);
        ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
        cyc_kind = user_only ? CYC_PERF_USER : CYC_PERF;
        c0 = perf_read();
        for (unsigned long i = 0; i < 1000000; i++)
            spin += i;
        /* Some hypervisors accept the event but never count: treat that as unsupported. */
        if (perf_read() != c0)
            return;
        snprintf(cyc_why, sizeof(cyc_why), "perf cycles counter opened but does not count");
        close(perf_fd);
        perf_fd = -1;
        cyc_kind = CYC_NONE;
    }
    else {
        snprintf(cyc_why, sizeof(cyc_why), "perf_event_open(cycles): %s", strerror(errno));
    }
#else
    snprintf(cyc_why, sizeof(cyc_why), "no perf_event_open on this system");
#endif
#if defined(__x86_64__)
    cyc_kind = CYC_TSC;
#endif
}

static const char *cycles_label(void)
{
    switch (cyc_kind) {
    case CYC_PERF:      return "core cycles (perf_event_open)";
    case CYC_PERF_USER: return "core cycles, user space only (perf_event_open)";
    case CYC_TSC:       return "TSC reference cycles (rdtsc, wall time; not core cycles)";
    default:            return "n/a";
    }
}

static const char *cycles_key(void)
{
    switch (cyc_kind) {
    case CYC_PERF:      return "perf";
    case CYC_PERF_USER: return "perf_user";
    case CYC_TSC:       return "tsc";
    default:            return "none";
    }
}

/* ------------------------------------------------------------------ clocks */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ the operations */

typedef struct bench_t {
    apr_pool_t *pool;
    mez_key_t *key;
    const char *issuer_id;
    mez_vc_proof_options_t issue_opts;   /* as mod_mez issues: created now, verificationMethod precomputed */
    json_t *credential;        /* unsigned, no issuer: what an issue request carries */
    json_t *document;          /* the same with issuer: the document the issue hashes */
    json_t *issued;            /* a credential issued by key */
    EVP_PKEY *pkey;            /* the same key for the raw OpenSSL baseline */
    EVP_MD_CTX *sctx, *vctx;   /* initialised once, as `openssl speed` does */
    int evp_reinit;            /* 1 when this OpenSSL refuses to reuse a finished context */
    unsigned char msg[64];     /* 64 bytes: what eddsa-jcs-2022 signs (two SHA-256 digests) */
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    size_t canon_len, issued_len;
} bench_t;

typedef int (*op_fn)(bench_t *b, apr_pool_t *sub);

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mez-bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void die_problem(const char *what, const mez_problem_t *pb)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s (%s)", pb->detail ? pb->detail : "?", pb->code ? pb->code : "?");
    die(what, buf);
}

static int op_canon_digest(bench_t *b, apr_pool_t *sub)
{
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    const char *c;
    size_t len;
    if (mez_json_canonicalize(sub, b->document, &c, &len, &pb) != MEZ_OK)
        return -1;
    mez_digest_sha256(c, len, &d);
    return 0;
}

static int op_mez_sign(bench_t *b, apr_pool_t *sub)
{
    mez_problem_t pb = { 0 };
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    return mez_key_sign(b->key, b->msg, sizeof(b->msg), sig, &pb, sub) == MEZ_OK ? 0 : -1;
}

static int op_mez_verify(bench_t *b, apr_pool_t *sub)
{
    return mez_key_verify(b->key, b->msg, sizeof(b->msg), b->sig, sizeof(b->sig)) == 1 ? 0 : -1;
}

static int op_evp_sign(bench_t *b, apr_pool_t *sub)
{
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    size_t len = sizeof(sig);
    if (b->evp_reinit && EVP_DigestSignInit_ex(b->sctx, NULL, NULL, NULL, NULL, b->pkey, NULL) != 1)
        return -1;
    return EVP_DigestSign(b->sctx, sig, &len, b->msg, sizeof(b->msg)) == 1 ? 0 : -1;
}

static int op_evp_verify(bench_t *b, apr_pool_t *sub)
{
    if (b->evp_reinit && EVP_DigestVerifyInit_ex(b->vctx, NULL, NULL, NULL, NULL, b->pkey, NULL) != 1)
        return -1;
    return EVP_DigestVerify(b->vctx, b->sig, sizeof(b->sig), b->msg, sizeof(b->msg)) == 1 ? 0 : -1;
}

static int op_vc_issue(bench_t *b, apr_pool_t *sub)
{
    mez_problem_t pb = { 0 };
    json_t *vc;
    /* created is "now" and the verification method was derived when the key was loaded, as in mod_mez. */
    return mez_vc_issue(sub, b->credential, b->key, b->issuer_id, &b->issue_opts, &vc, &pb) == MEZ_OK ? 0 : -1;
}

static int op_vc_verify(bench_t *b, apr_pool_t *sub)
{
    mez_vc_result_t res;
    memset(&res, 0, sizeof(res));
    if (mez_vc_verify(sub, b->issued, NULL, &res) != MEZ_OK || !res.verified)
        return -1;
    return 0;
}

/* Pieces of an issue other than JCS and signing, each through the public call the issue itself makes: they
 * say where the issue's time goes beyond the raw signature when the goal is missed. */
static int op_part_vm(bench_t *b, apr_pool_t *sub)
{
    /* mez_vc_issue derives the verificationMethod from the key on every call when no option names it. */
    return mez_did_key_verification_method(sub, b->key) ? 0 : -1;
}

static int op_part_base58(bench_t *b, apr_pool_t *sub)
{
    return mez_base58_encode(sub, b->sig, sizeof(b->sig)) ? 0 : -1;
}

static int op_part_copy(bench_t *b, apr_pool_t *sub)
{
    return mez_json_pool_own(sub, json_deep_copy(b->credential)) ? 0 : -1;
}

static int op_part_schema(bench_t *b, apr_pool_t *sub)
{
    mez_problem_t pb = { 0 };
    return mez_vc_check_credential(sub, b->credential, NULL, 0, &pb) == MEZ_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ the loop */

typedef struct result_t {
    const char *key;     /* JSON member name */
    const char *label;   /* table row */
    op_fn fn;
    double share;        /* fraction of --seconds this row runs for */
    unsigned long ops;
    double wall_s, cpu_s;
    uint64_t cycles;
} result_t;

/* Runs fn for `seconds` of wall time on this thread. The subpool is cleared before every call so each
 * iteration starts from the same memory state (and RSS stays flat however long it runs); the clear is part
 * of what is measured, because every real request pays it too. */
static void run_loop(bench_t *b, result_t *r, double seconds)
{
    apr_pool_t *sub;
    double w0, c0, deadline;
    uint64_t y0;

    apr_pool_create(&sub, b->pool);
    /* Warm caches, lazy OpenSSL provider loading and the allocator's free lists before timing. */
    for (int i = 0; i < 20; i++) {
        apr_pool_clear(sub);
        if (r->fn(b, sub))
            die("operation failed during warm-up", r->label);
    }
    r->ops = 0;
    w0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    y0 = cycles_now();
    deadline = w0 + seconds * r->share;
    do {
        /* Reading the clock every 8 calls keeps its cost well under 1 % even for the fastest operation. */
        for (int i = 0; i < 8; i++) {
            apr_pool_clear(sub);
            if (r->fn(b, sub))
                die("operation failed", r->label);
        }
        r->ops += 8;
    } while (clock_s(CLOCK_MONOTONIC) < deadline);
    r->cycles = cycles_now() - y0;
    r->cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    r->wall_s = clock_s(CLOCK_MONOTONIC) - w0;
    apr_pool_destroy(sub);
}

/* Rates are per second of this thread's CPU time, as `openssl speed` divides by CPU time: a busy neighbour
 * on a 2-core machine then lowers neither figure, and the ratios compare like with like. */
static double per_s(const result_t *r) { return r->cpu_s > 0 ? (double)r->ops / r->cpu_s : 0; }
static double us_op(const result_t *r) { return r->ops ? r->cpu_s * 1e6 / (double)r->ops : 0; }
static double cyc_op(const result_t *r) { return r->ops && cyc_kind != CYC_NONE ? (double)r->cycles / (double)r->ops : 0; }

/* ------------------------------------------------------------------ set-up */

static void setup(bench_t *b, apr_pool_t *pool)
{
    mez_problem_t pb = { 0 };
    const char *canon;
    unsigned char pub[MEZ_ED25519_PUBLIC_LEN];
    size_t len;

    memset(b, 0, sizeof(*b));
    b->pool = pool;
    if (mez_key_from_seed(pool, SEED, &b->key, &pb) != MEZ_OK)
        die_problem("cannot make the key", &pb);
    b->issuer_id = mez_did_key(pool, b->key);
    b->issue_opts.verification_method = mez_did_key_verification_method(pool, b->key);
    if (mez_json_parse(pool, CREDENTIAL, strlen(CREDENTIAL), &b->credential, &pb) != MEZ_OK)
        die_problem("the built-in credential does not parse", &pb);
    b->document = mez_json_pool_own(pool, json_deep_copy(b->credential));
    json_object_set_new(b->document, "issuer", json_string(b->issuer_id));
    if (mez_json_canonicalize(pool, b->document, &canon, &b->canon_len, &pb) != MEZ_OK)
        die_problem("cannot canonicalise the credential", &pb);
    if (mez_vc_issue(pool, b->credential, b->key, b->issuer_id, NULL, &b->issued, &pb) != MEZ_OK)
        die_problem("cannot issue the credential", &pb);
    if (mez_json_canonicalize(pool, b->issued, &canon, &b->issued_len, &pb) != MEZ_OK)
        die_problem("cannot canonicalise the issued credential", &pb);

    for (size_t i = 0; i < sizeof(b->msg); i++)
        b->msg[i] = (unsigned char)(i * 7 + 1);
    if (mez_key_sign(b->key, b->msg, sizeof(b->msg), b->sig, &pb, pool) != MEZ_OK)
        die_problem("cannot sign", &pb);

    /* The baseline gets the very same key, built straight from the seed with no mez code in between. */
    if (!(b->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, SEED, sizeof(SEED))))
        die("EVP_PKEY_new_raw_private_key failed", NULL);
    mez_key_public_bytes(b->key, pub);
    len = sizeof(pub);
    {
        unsigned char evp_pub[MEZ_ED25519_PUBLIC_LEN];
        if (EVP_PKEY_get_raw_public_key(b->pkey, evp_pub, &len) != 1 || memcmp(pub, evp_pub, sizeof(pub)))
            die("the OpenSSL key differs from the mez key", NULL);
    }
    if (!(b->sctx = EVP_MD_CTX_new()) || !(b->vctx = EVP_MD_CTX_new())
        || EVP_DigestSignInit_ex(b->sctx, NULL, NULL, NULL, NULL, b->pkey, NULL) != 1
        || EVP_DigestVerifyInit_ex(b->vctx, NULL, NULL, NULL, NULL, b->pkey, NULL) != 1)
        die("cannot initialise the OpenSSL contexts", NULL);
    /* `openssl speed` reuses one context per key; newer OpenSSL releases refuse a second one-shot call on a
     * finished context, so probe twice and re-initialise per call only if we must. */
    if (op_evp_sign(b, pool) || op_evp_sign(b, pool) || op_evp_verify(b, pool) || op_evp_verify(b, pool)) {
        ERR_clear_error();
        b->evp_reinit = 1;
        if (op_evp_sign(b, pool) || op_evp_verify(b, pool))
            die("OpenSSL Ed25519 sign/verify failed", NULL);
    }
}

/* ------------------------------------------------------------------ report */

enum {
    R_CANON, R_EVP_SIGN, R_MEZ_SIGN, R_EVP_VERIFY, R_MEZ_VERIFY, R_ISSUE, R_VERIFY,
    R_PART_SCHEMA, R_PART_COPY, R_PART_VM, R_PART_BASE58, R_COUNT
};
#define R_FIRST_PART R_PART_SCHEMA

typedef struct ratios_t {
    double issue_vs_sign, issue_vs_mez_sign, verify_vs_verify, canon_share, parts_share, tsc_ghz, util;
    long peak_rss_kb;
} ratios_t;

static void compute_ratios(const result_t *r, ratios_t *q)
{
    struct rusage ru;
    double cyc = 0, wall = 0, cpu = 0;
    q->issue_vs_sign = per_s(&r[R_ISSUE]) / per_s(&r[R_EVP_SIGN]);
    q->issue_vs_mez_sign = per_s(&r[R_ISSUE]) / per_s(&r[R_MEZ_SIGN]);
    q->verify_vs_verify = per_s(&r[R_VERIFY]) / per_s(&r[R_EVP_VERIFY]);
    /* One canonicalise+digest of the document against one issue: the proof configuration's own (small)
     * canonicalisation is the rest of the JCS cost inside an issue. */
    q->canon_share = us_op(&r[R_CANON]) / us_op(&r[R_ISSUE]);
    /* What the measured pieces add up to against the whole issue; the rest is allocation, the proof
     * configuration's JCS, time formatting and jansson bookkeeping. */
    q->parts_share = us_op(&r[R_CANON]) + us_op(&r[R_MEZ_SIGN]);
    for (int i = R_FIRST_PART; i < R_COUNT; i++)
        q->parts_share += us_op(&r[i]);
    q->parts_share /= us_op(&r[R_ISSUE]);
    for (int i = 0; i < R_COUNT; i++) {
        cyc += (double)r[i].cycles;
        wall += r[i].wall_s;
        cpu += r[i].cpu_s;
    }
    q->tsc_ghz = cyc_kind == CYC_TSC && wall > 0 ? cyc / wall / 1e9 : 0;
    q->util = wall > 0 ? cpu / wall : 0;
    getrusage(RUSAGE_SELF, &ru);
    q->peak_rss_kb = ru.ru_maxrss;
}

static void print_table(const bench_t *b, const result_t *r, const ratios_t *q, double seconds)
{
    printf("mez-bench: one thread, %.1f s per operation, rates per CPU-second of that thread\n", seconds);
    printf("cycles:     %s", cycles_label());
    if (cyc_kind == CYC_TSC)
        printf(", TSC %.2f GHz", q->tsc_ghz);
    printf("\n");
    if (cyc_kind != CYC_PERF && cyc_why[0])
        printf("            (%s)\n", cyc_why);
    printf("credential: EntityFormationCredential, %zu bytes canonical with issuer, %zu bytes issued\n",
           b->canon_len, b->issued_len);
    if (b->evp_reinit)
        printf("note:       this OpenSSL cannot reuse an Ed25519 context; the EVP rows re-initialise per call\n");
    printf("\n%-40s %12s %10s %12s\n", "operation", "ops/s", "us/op", "cycles/op");
    for (int i = 0; i < R_COUNT; i++) {
        if (i == R_FIRST_PART)
            printf("%s\n", "inside an issue (besides JCS and signing):");
        if (cyc_kind == CYC_NONE)
            printf("%-40s %12.0f %10.2f %12s\n", r[i].label, per_s(&r[i]), us_op(&r[i]), "n/a");
        else
            printf("%-40s %12.0f %10.2f %12.0f\n", r[i].label, per_s(&r[i]), us_op(&r[i]), cyc_op(&r[i]));
    }
    printf("\n%-40s %8.3f   goal >= 0.80: %s\n", "issue / raw Ed25519 sign (EVP)", q->issue_vs_sign,
           q->issue_vs_sign >= 0.80 ? "PASS" : "BELOW GOAL");
    printf("%-40s %8.3f\n", "issue / mez_key_sign", q->issue_vs_mez_sign);
    printf("%-40s %8.3f\n", "verify / raw Ed25519 verify (EVP)", q->verify_vs_verify);
    printf("%-40s %7.1f %%\n", "canon+digest share of issue time", q->canon_share * 100);
    printf("%-40s %7.1f %%\n", "canon+sign+parts above / issue time", q->parts_share * 100);
    printf("%-40s %7.1f %%\n", "CPU time / wall time (100 % = no preempt)", q->util * 100);
    printf("%-40s %8.1f MiB\n", "peak RSS", (double)q->peak_rss_kb / 1024);
}

static void print_json(FILE *f, const bench_t *b, const result_t *r, const ratios_t *q, double seconds)
{
    /* One line, unique member names: bench/run reads it with sed, no JSON tool needed. */
    fprintf(f, "{\"seconds\":%.3f,\"cycles_source\":\"%s\",\"tsc_ghz\":%.3f,\"credential_canonical_bytes\":%zu,"
            "\"issued_canonical_bytes\":%zu,\"evp_reinit\":%s,\"operations\":{",
            seconds, cycles_key(), q->tsc_ghz, b->canon_len, b->issued_len, b->evp_reinit ? "true" : "false");
    for (int i = 0; i < R_COUNT; i++) {
        fprintf(f, "%s\"%s\":{\"ops\":%lu,\"cpu_s\":%.4f,\"wall_s\":%.4f,\"ops_per_s\":%.1f,\"us_per_op\":%.3f,",
                i ? "," : "", r[i].key, r[i].ops, r[i].cpu_s, r[i].wall_s, per_s(&r[i]), us_op(&r[i]));
        if (cyc_kind == CYC_NONE)
            fprintf(f, "\"cycles_per_op\":null}");
        else
            fprintf(f, "\"cycles_per_op\":%.0f}", cyc_op(&r[i]));
    }
    fprintf(f, "},\"ratios\":{\"issue_vs_raw_sign\":%.4f,\"issue_vs_mez_sign\":%.4f,\"verify_vs_raw_verify\":%.4f,"
            "\"canon_digest_share_of_issue\":%.4f,\"parts_share_of_issue\":%.4f,\"goal_issue_vs_raw_sign\":0.80,\"goal_met\":%s},"
            "\"cpu_utilisation\":%.4f,\"peak_rss_kb\":%ld}\n",
            q->issue_vs_sign, q->issue_vs_mez_sign, q->verify_vs_verify, q->canon_share, q->parts_share,
            q->issue_vs_sign >= 0.80 ? "true" : "false", q->util, q->peak_rss_kb);
}

/* ------------------------------------------------------------------ HTTP load (--http) */

/* ab sends one body over and over, but issuing the very same credential twice within a second yields the
 * very same signed credential (Ed25519 is deterministic, `created` has one-second resolution), which the
 * zone cannot record twice. So issue load comes from here: keep-alive HTTP/1.1 connections, one thread each,
 * every request's body made unique by writing a counter over a marker of the same length. */

typedef struct http_conf_t {
    apr_sockaddr_t *sa;
    const char *url, *host, *path;
    const char *body;            /* NULL: GET */
    size_t body_len;
    long vary_off;               /* offset of the marker in the body, -1: send the body as it is */
    size_t vary_len;
    const char *headers;         /* extra header lines (--header), each ending in CRLF; "" for none */
    int expect, concurrency;
    double deadline;
} http_conf_t;

typedef struct http_worker_t {
    const http_conf_t *c;
    apr_pool_t *pool;
    int index;
    unsigned long quota;         /* requests this connection sends (--requests), 0: until the deadline */
    unsigned long requests, unexpected, errors, connects;
    double lat_sum, lat_max;
    char first_bad[240];         /* the first unexpected answer or error, for the report */
} http_worker_t;

static void http_note(http_worker_t *w, const char *what, const char *detail)
{
    if (!w->first_bad[0])
        snprintf(w->first_bad, sizeof(w->first_bad), "%s: %s", what, detail);
}

/* Reads one response; returns its status, 0 on a broken or unreadable one. *close_after when the server
 * closes the connection after it (Connection: close, or a body delimited by the close). */
static int http_read_response(apr_socket_t *sock, char **buf, size_t *cap, int *close_after, char *snippet,
                              size_t snippet_len)
{
    size_t have = 0, head = 0, need;
    long clen = -1;
    int status;
    char *h;

    *close_after = 0;
    for (;;) {
        apr_size_t n;
        char *end;
        if (have + 4096 > *cap) {
            *cap *= 2;
            if (!(*buf = realloc(*buf, *cap)))
                return 0;
        }
        n = *cap - have - 1;
        if (apr_socket_recv(sock, *buf + have, &n) != APR_SUCCESS && n == 0)
            return 0;
        have += n;
        (*buf)[have] = '\0';
        if ((end = strstr(*buf, "\r\n\r\n")) != NULL) {
            head = (size_t)(end - *buf) + 4;
            break;
        }
    }
    if (sscanf(*buf, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    /* Header names are case-insensitive; walk the lines rather than trusting one spelling. */
    for (h = strstr(*buf, "\r\n") + 2; h < *buf + head - 2; h = strstr(h, "\r\n") + 2) {
        const char *eol = strstr(h, "\r\n");
        if (!strncasecmp(h, "Content-Length:", 15))
            clen = strtol(h + 15, NULL, 10);
        else if (!strncasecmp(h, "Transfer-Encoding:", 18))
            return 0; /* mod_mez sends whole bodies with a length; chunked would be news worth failing on */
        else if (!strncasecmp(h, "Connection:", 11) && memmem(h, (size_t)(eol - h), "close", 5))
            *close_after = 1;
    }
    if (clen < 0)
        *close_after = 1;
    need = clen < 0 ? (size_t)-1 : head + (size_t)clen;
    while (have < need) {
        apr_size_t n;
        if (have + 4096 > *cap) {
            *cap *= 2;
            if (!(*buf = realloc(*buf, *cap)))
                return 0;
        }
        n = *cap - have - 1;
        if (apr_socket_recv(sock, *buf + have, &n) != APR_SUCCESS && n == 0) {
            if (clen < 0)
                break;
            return 0;
        }
        have += n;
    }
    (*buf)[have] = '\0';
    snprintf(snippet, snippet_len, "%s", *buf + head);
    return status;
}

static void *APR_THREAD_FUNC http_worker(apr_thread_t *t, void *data)
{
    http_worker_t *w = data;
    const http_conf_t *c = w->c;
    apr_socket_t *sock = NULL;
    apr_pool_t *conn_pool;
    size_t cap = 65536, req_len, head_len, vary_at = 0;
    char *resp = malloc(cap), *req, snippet[200];
    const char *head;
    unsigned long n = 0;

    /* Header and body go out in one send, so no request waits on a delayed ACK between two segments. */
    head = c->body ? apr_psprintf(w->pool, "POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
                                  "Content-Length: %" APR_SIZE_T_FMT "\r\n\r\n", c->path, c->host, c->headers,
                                  c->body_len)
                   : apr_psprintf(w->pool, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", c->path, c->host, c->headers);
    head_len = strlen(head);
    req_len = head_len + (c->body ? c->body_len : 0);
    req = apr_palloc(w->pool, req_len + 1);
    memcpy(req, head, head_len);
    if (c->body) {
        memcpy(req + head_len, c->body, c->body_len);
        vary_at = head_len + (size_t)c->vary_off;
    }
    /* Sockets live in a pool cleared at every reconnection (httpd closes a keep-alive connection after
     * MaxKeepAliveRequests), so a long run does not grow. */
    apr_pool_create(&conn_pool, w->pool);
    while (resp && clock_s(CLOCK_MONOTONIC) < c->deadline && (!w->quota || n < w->quota)) {
        apr_size_t left = req_len, sent = 0;
        int status, close_after;
        double t0;

        if (!sock) {
            apr_pool_clear(conn_pool);
            if (apr_socket_create(&sock, c->sa->family, SOCK_STREAM, APR_PROTO_TCP, conn_pool) != APR_SUCCESS
                || apr_socket_opt_set(sock, APR_TCP_NODELAY, 1) != APR_SUCCESS
                || apr_socket_timeout_set(sock, apr_time_from_sec(30)) != APR_SUCCESS
                || apr_socket_connect(sock, c->sa) != APR_SUCCESS) {
                w->errors++;
                http_note(w, "cannot connect", c->url);
                break;
            }
            w->connects++;
        }
        if (c->body && c->vary_off >= 0) {
            /* Interleaved counters keep every request of every connection distinct. */
            char digits[32];
            unsigned long v = n * (unsigned long)c->concurrency + (unsigned long)w->index;
            snprintf(digits, sizeof(digits), "%0*lu", (int)c->vary_len, v);
            memcpy(req + vary_at, digits + strlen(digits) - c->vary_len, c->vary_len);
        }
        t0 = clock_s(CLOCK_MONOTONIC);
        while (left > 0) {
            apr_size_t k = left;
            if (apr_socket_send(sock, req + sent, &k) != APR_SUCCESS && k == 0)
                break;
            sent += k;
            left -= k;
        }
        status = left ? 0 : http_read_response(sock, &resp, &cap, &close_after, snippet, sizeof(snippet));
        if (status) {
            double lat = clock_s(CLOCK_MONOTONIC) - t0;
            w->requests++;
            w->lat_sum += lat;
            if (lat > w->lat_max)
                w->lat_max = lat;
            if (status != c->expect && !w->unexpected++) {
                char what[32];
                snprintf(what, sizeof(what), "status %d", status);
                http_note(w, what, snippet);
            }
        }
        else {
            w->errors++;
            http_note(w, "broken or unreadable response", c->url);
            close_after = 1;
        }
        n++;
        if (close_after) {
            apr_socket_close(sock);
            sock = NULL;
        }
    }
    if (sock)
        apr_socket_close(sock);
    free(resp);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static char *read_file(apr_pool_t *p, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        die("cannot read", path);
    buf = apr_palloc(p, (apr_size_t)size + 1);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        die("cannot read", path);
    fclose(f);
    buf[size] = '\0';
    /* A trailing newline from the shell is not part of the JSON body. */
    while (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == '\r'))
        buf[--size] = '\0';
    *len = (size_t)size;
    return buf;
}

static int http_load(apr_pool_t *pool, const char *url, const char *body_file, const char *vary,
                     const char *headers, unsigned long total, int concurrency, int expect, double seconds, int json)
{
    http_conf_t c;
    http_worker_t *w;
    apr_thread_t **threads;
    const char *hp, *slash, *colon;
    char *host;
    apr_port_t port = 80;
    unsigned long requests = 0, unexpected = 0, errors = 0, connects = 0;
    double lat_sum = 0, lat_max = 0, t0, wall;
    const char *first_bad = NULL;

    memset(&c, 0, sizeof(c));
    c.url = url;
    if (strncmp(url, "http://", 7))
        die("--http wants an http://host:port/path URL", url);
    hp = url + 7;
    slash = strchr(hp, '/');
    c.path = slash ? slash : "/";
    host = apr_pstrndup(pool, hp, slash ? (apr_size_t)(slash - hp) : strlen(hp));
    c.host = host;
    if ((colon = strrchr(host, ':')) != NULL) {
        port = (apr_port_t)atoi(colon + 1);
        host[colon - host] = '\0';
    }
    if (apr_sockaddr_info_get(&c.sa, host, APR_UNSPEC, port, 0, pool) != APR_SUCCESS)
        die("cannot resolve", host);
    c.host = apr_psprintf(pool, "%s:%u", host, port);
    c.vary_off = -1;
    if (body_file) {
        c.body = read_file(pool, body_file, &c.body_len);
        if (vary) {
            const char *at = strstr(c.body, vary);
            if (!at || !*vary)
                die("the --vary marker is not in the body", vary);
            c.vary_off = at - c.body;
            c.vary_len = strlen(vary);
        }
    }
    c.headers = headers ? headers : "";
    c.expect = expect;
    c.concurrency = concurrency;

    w = apr_pcalloc(pool, sizeof(*w) * (size_t)concurrency);
    threads = apr_pcalloc(pool, sizeof(*threads) * (size_t)concurrency);
    t0 = clock_s(CLOCK_MONOTONIC);
    c.deadline = t0 + seconds;
    for (int i = 0; i < concurrency; i++) {
        w[i].c = &c;
        w[i].index = i;
        /* --requests N: the connections share N between them as evenly as it divides. */
        w[i].quota = total ? total / (unsigned long)concurrency + ((unsigned long)i < total % (unsigned long)concurrency)
                           : 0;
        if (total && !w[i].quota)
            continue;
        /* Each thread allocates only from its own pool, created here because creation is not thread-safe. */
        apr_pool_create(&w[i].pool, pool);
        if (apr_thread_create(&threads[i], NULL, http_worker, &w[i], pool) != APR_SUCCESS)
            die("cannot start a thread", NULL);
    }
    for (int i = 0; i < concurrency; i++) {
        apr_status_t trv;
        if (!threads[i])
            continue;
        apr_thread_join(&trv, threads[i]);
        requests += w[i].requests;
        unexpected += w[i].unexpected;
        errors += w[i].errors;
        connects += w[i].connects;
        lat_sum += w[i].lat_sum;
        if (w[i].lat_max > lat_max)
            lat_max = w[i].lat_max;
        if (!first_bad && w[i].first_bad[0])
            first_bad = w[i].first_bad;
    }
    wall = clock_s(CLOCK_MONOTONIC) - t0;

    if (json)
        printf("{\"url\":\"%s\",\"concurrency\":%d,\"seconds\":%.3f,\"requests\":%lu,\"requests_per_s\":%.1f,"
               "\"mean_ms\":%.3f,\"max_ms\":%.3f,\"unexpected_status\":%lu,\"errors\":%lu,\"connections\":%lu}\n",
               url, concurrency, wall, requests, (double)requests / wall, requests ? lat_sum * 1e3 / (double)requests : 0,
               lat_max * 1e3, unexpected, errors, connects);
    else
        printf("%s %s: %d connections, %.1f s: %lu requests, %.1f req/s, mean %.3f ms, max %.3f ms, "
               "%lu not %d, %lu errors, %lu connects\n",
               body_file ? "POST" : "GET", url, concurrency, wall, requests, (double)requests / wall,
               requests ? lat_sum * 1e3 / (double)requests : 0, lat_max * 1e3, unexpected, expect, errors, connects);
    if (first_bad)
        fprintf(stderr, "mez-bench: first failure: %s\n", first_bad);
    return unexpected || errors || !requests ? 1 : 0;
}

/* 1 when name is one of the comma-separated names in list. */
static int name_in_list(const char *name, const char *list)
{
    size_t n = strlen(name);
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && !strncmp(s, name, n))
            return 1;
        s += len + (e ? 1 : 0);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mez-bench [--seconds S] [--json] [--json-out FILE] [--only NAME[,NAME...]]\n"
            "       mez-bench --emit-credential\n"
            "       mez-bench --http URL [--body FILE [--vary MARKER]] [--header 'Name: value']...\n"
            "                 [--concurrency N] [--expect STATUS] [--seconds S] [--requests N] [--json]\n"
            "Times, on one thread, canonical JSON + SHA-256 of a ~1 KB VC 2.0 credential, Ed25519 sign/verify\n"
            "(mez and raw OpenSSL EVP), and mez_vc_issue / mez_vc_verify of that credential.\n"
            "  --seconds S        time per operation (default 1.0)\n"
            "  --json             print the figures as one JSON object instead of the table\n"
            "  --json-out FILE    print the table and also write the JSON object to FILE\n"
            "  --only NAMES       run only these operations and print their rates, no ratios (for profiling):\n"
            "                     canon_digest evp_sign mez_sign evp_verify mez_verify vc_issue vc_verify\n"
            "                     part_schema part_copy part_vm part_base58\n"
            "  --emit-credential  print the unsigned benchmark credential (no id, no issuer) and exit\n"
            "HTTP load mode (--http): N keep-alive connections, one thread each, for S seconds; GET, or POST of\n"
            "FILE as application/json with MARKER overwritten by a per-request counter of the same length (so\n"
            "each issue request carries a distinct credential). --header adds a request header (repeatable;\n"
            "e.g. an Authorization bearer token). --requests N stops after N requests in all, or at --seconds,\n"
            "whichever comes first. Exit status 1 on any status other than --expect (default 200) or any\n"
            "broken response.\n");
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    bench_t b;
    ratios_t q;
    double seconds = 1.0;
    int json = 0, emit = 0;
    const char *json_out = NULL, *only = NULL;
    const char *http = NULL, *body = NULL, *vary = NULL, *headers = NULL;
    unsigned long total = 0;
    char header_buf[2048] = "";
    int concurrency = 2, expect = 200;
    /* The small pieces of an issue run for half the time: they are cheap and only explain the big rows. */
    result_t r[R_COUNT] = {
        [R_CANON]       = { "canon_digest", "canonicalise + SHA-256, credential",   op_canon_digest, 1, 0, 0, 0, 0 },
        [R_EVP_SIGN]    = { "evp_sign",     "Ed25519 sign 64 B, raw OpenSSL EVP",   op_evp_sign,     1, 0, 0, 0, 0 },
        [R_MEZ_SIGN]    = { "mez_sign",     "Ed25519 sign 64 B, mez_key_sign",      op_mez_sign,     1, 0, 0, 0, 0 },
        [R_EVP_VERIFY]  = { "evp_verify",   "Ed25519 verify 64 B, raw OpenSSL EVP", op_evp_verify,   1, 0, 0, 0, 0 },
        [R_MEZ_VERIFY]  = { "mez_verify",   "Ed25519 verify 64 B, mez_key_verify",  op_mez_verify,   1, 0, 0, 0, 0 },
        [R_ISSUE]       = { "vc_issue",     "credential issue (mez_vc_issue)",      op_vc_issue,     1, 0, 0, 0, 0 },
        [R_VERIFY]      = { "vc_verify",    "credential verify (mez_vc_verify)",    op_vc_verify,    1, 0, 0, 0, 0 },
        [R_PART_SCHEMA] = { "part_schema",  "  VC 2.0 shape check",                 op_part_schema,  0.5, 0, 0, 0, 0 },
        [R_PART_COPY]   = { "part_copy",    "  deep copy of the credential",        op_part_copy,    0.5, 0, 0, 0, 0 },
        [R_PART_VM]     = { "part_vm",      "  did:key verificationMethod from key", op_part_vm,     0.5, 0, 0, 0, 0 },
        [R_PART_BASE58] = { "part_base58",  "  base58btc proofValue (64 B)",        op_part_base58,  0.5, 0, 0, 0, 0 },
    };

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            char *end;
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds > 0 && seconds <= 600)) {
                fprintf(stderr, "mez-bench: --seconds wants a number of seconds in (0, 600]\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--json-out") && i + 1 < argc)
            json_out = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--http") && i + 1 < argc)
            http = argv[++i];
        else if (!strcmp(argv[i], "--body") && i + 1 < argc)
            body = argv[++i];
        else if (!strcmp(argv[i], "--vary") && i + 1 < argc)
            vary = argv[++i];
        else if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
            char *end;
            const char *v = argv[++i];
            total = strtoul(v, &end, 10);
            if (!*v || *end || v[0] == '-' || total == 0) {
                fprintf(stderr, "mez-bench: --requests wants a positive integer\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--header") && i + 1 < argc) {
            const char *h = argv[++i];
            if (!strchr(h, ':') || strpbrk(h, "\r\n")) {
                fprintf(stderr, "mez-bench: --header wants one 'Name: value' line\n");
                return 2;
            }
            size_t have = strlen(header_buf);
            if (have + strlen(h) + 3 > sizeof(header_buf)) {
                fprintf(stderr, "mez-bench: too many or too long --header lines\n");
                return 2;
            }
            snprintf(header_buf + have, sizeof(header_buf) - have, "%s\r\n", h);
            headers = header_buf;
        }
        else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc) {
            concurrency = atoi(argv[++i]);
            if (concurrency < 1 || concurrency > 256) {
                fprintf(stderr, "mez-bench: --concurrency wants 1 to 256\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--expect") && i + 1 < argc)
            expect = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--emit-credential"))
            emit = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        else {
            usage(stderr);
            return 2;
        }
    }

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS)
        die("cannot initialise APR", NULL);
    atexit(apr_terminate);
    /* SHA-256 fetched once, as mod_mez and the CLI do. */
    mez_digest_global_init(pool);

    if (http)
        return http_load(pool, http, body, vary, headers, total, concurrency, expect, seconds, json);

    if (emit) {
        mez_problem_t pb = { 0 };
        json_t *cred;
        const char *canon;
        size_t len;
        if (mez_json_parse(pool, CREDENTIAL, strlen(CREDENTIAL), &cred, &pb) != MEZ_OK
            || mez_json_canonicalize(pool, cred, &canon, &len, &pb) != MEZ_OK)
            die_problem("the built-in credential is broken", &pb);
        fwrite(canon, 1, len, stdout);
        putchar('\n');
        return 0;
    }

    setup(&b, pool);
    cycles_init();
    for (int i = 0; i < R_COUNT; i++) {
        if (only && !name_in_list(r[i].key, only))
            continue;
        run_loop(&b, &r[i], seconds);
    }
    if (only) {
        /* A partial run is for profiling one operation (perf record); ratios need every row. */
        for (int i = 0; i < R_COUNT; i++)
            if (r[i].ops)
                printf("%-40s %12.0f ops/s %10.2f us/op\n", r[i].label, per_s(&r[i]), us_op(&r[i]));
        return 0;
    }
    compute_ratios(r, &q);

    if (json)
        print_json(stdout, &b, r, &q, seconds);
    else
        print_table(&b, r, &q, seconds);
    if (json_out) {
        FILE *f = fopen(json_out, "w");
        if (!f)
            die("cannot write", json_out);
        print_json(f, &b, r, &q, seconds);
        if (fclose(f))
            die("cannot write", json_out);
    }
    EVP_MD_CTX_free(b.sctx);
    EVP_MD_CTX_free(b.vctx);
    EVP_PKEY_free(b.pkey);
    return 0;
}
