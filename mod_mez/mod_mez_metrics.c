/* mod_mez_metrics.c: GET /metrics, Prometheus text exposition format 0.0.4, for the zone that is asked.
 *
 * Series (every one labelled zone="<MezZone>"):
 *   mez_requests_total{route,code}            every request to a zone's server, by the route table's path
 *                                             (never the raw URI, so ids cannot explode the label set) and
 *                                             final HTTP status; problems and auth refusals included
 *   mez_tensor_evaluations_total{decision}    requests that evaluated the tensor (note mez-decision holding a
 *                                             tensor state: compliant, non_compliant, pending, ...)
 *   mez_credentials_issued_total              credentials issued and committed (the note mez-credential-digest,
 *                                             which handlers set only after the commit; an attestation of a
 *                                             denial, answered 422, is a credential issued too)
 *   mez_mass_calls_total{primitive,outcome}   Mass gateway calls (mez_request_mass_call)
 *   mez_audit_rows_total                      audit rows appended (mez_metrics_count(r, MEZ_METRIC_AUDIT_ROWS))
 * and, without a zone, mez_metrics_dropped_total: events not recorded because the table below was full.
 *
 * The counters live in one anonymous shared-memory segment created by the parent in post_config, before the
 * children fork, and kept in the process pool so that a graceful restart does not reset them. Every child
 * adds to the same counters with atomic operations, so one scrape of any child sees the sum of all of them.
 * The segment is a fixed open-addressing table of (metric, zone, labels) -> count; a slot is claimed with a
 * compare-and-swap and never freed, which is what lets readers and writers in different processes go without
 * a lock. Label values are bounded (routes, status codes, states, primitives), so the table does not fill in
 * practice; when it does, the event is counted in mez_metrics_dropped_total rather than lost silently.
 *
 * A zone's /metrics shows only that zone's series: zones sharing one httpd stay private to each other.
 * Protect it like any other operator resource if the numbers are not for everyone (<Location /metrics>). */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/tensor.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define SLOTS 4096u                 /* a power of two */
#define KEY_MAX 240
#define SEP '\x1f'                  /* between the parts of a key; never in a label value we record */
#define SHM_USERDATA "mez-metrics-shm"
#define CLAIM_SPINS 1000

enum { SLOT_FREE = 0, SLOT_WRITING = 1, SLOT_READY = 2 };

typedef struct {
    uint32_t state;
    uint32_t hash;
    uint64_t value;
    char key[KEY_MAX];              /* "<metric><SEP><zone><SEP><label1><SEP><label2>" */
} slot_t;

typedef struct {
    uint64_t dropped;
    slot_t slot[SLOTS];
} table_t;

/* Set in post_config, before the children exist; only the memory it points to changes afterwards. */
static table_t *table;

static const struct {
    const char *name, *help, *label1, *label2;
} metric_info[MEZ_METRIC_COUNT] = {
    [MEZ_METRIC_REQUESTS] = { "mez_requests_total", "Requests answered, by route and HTTP status.", "route",
                              "code" },
    [MEZ_METRIC_TENSOR_EVALUATIONS] = { "mez_tensor_evaluations_total",
                                        "Compliance tensor evaluations, by overall decision.", "decision", NULL },
    [MEZ_METRIC_CREDENTIALS_ISSUED] = { "mez_credentials_issued_total", "Verifiable credentials issued.", NULL,
                                        NULL },
    [MEZ_METRIC_MASS_CALLS] = { "mez_mass_calls_total", "Calls to Mass primitives, by primitive and outcome.",
                                "primitive", "outcome" },
    [MEZ_METRIC_AUDIT_ROWS] = { "mez_audit_rows_total", "Rows appended to the audit trail.", NULL, NULL },
};

/* ---------------------------------------------------------------- recording */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int make_key(char *key, int metric, const char *zone, const char *l1, const char *l2)
{
    int n = snprintf(key, KEY_MAX, "%d%c%s%c%s%c%s", metric, SEP, zone, SEP, l1 ? l1 : "", SEP, l2 ? l2 : "");
    if (n < 0 || n >= KEY_MAX)
        return 0;
    /* A separator or line break inside a value would corrupt the key or the exposition; such values are not
     * ours to record (every caller passes table-bound constants). */
    for (int i = 0, seps = 0; i < n; i++)
        if (key[i] == '\n' || (key[i] == SEP && ++seps > 3))
            return 0;
    return 1;
}

static void add(int metric, const char *zone, const char *l1, const char *l2)
{
    char key[KEY_MAX];
    uint32_t h;
    if (!table || !zone || metric < 0 || metric >= MEZ_METRIC_COUNT)
        return;
    if (!make_key(key, metric, zone, l1, l2)) {
        __atomic_add_fetch(&table->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    h = fnv1a(key);
    for (uint32_t probe = 0; probe < SLOTS; probe++) {
        slot_t *s = &table->slot[(h + probe) & (SLOTS - 1)];
        uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        if (st == SLOT_FREE) {
            uint32_t expect = SLOT_FREE;
            if (__atomic_compare_exchange_n(&s->state, &expect, SLOT_WRITING, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                memcpy(s->key, key, sizeof(key));
                s->hash = h;
                s->value = 1;
                __atomic_store_n(&s->state, SLOT_READY, __ATOMIC_RELEASE);
                return;
            }
            st = expect;
        }
        /* Another thread or child is writing this slot's key: a memcpy away. A child killed in between would
         * leave it half-written for ever, so the wait is bounded and the slot then passed over. */
        for (int spin = 0; st == SLOT_WRITING && spin < CLAIM_SPINS; spin++) {
            sched_yield();
            st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        }
        if (st == SLOT_READY && s->hash == h && !strcmp(s->key, key)) {
            __atomic_add_fetch(&s->value, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_add_fetch(&table->dropped, 1, __ATOMIC_RELAXED);
}

static const char *zone_of(const request_rec *r)
{
    return mez_srv_conf(r->server)->zone_id;
}

void mez_metrics_count2(request_rec *r, int metric, const char *label1, const char *label2)
{
    add(metric, zone_of(r), label1, label2);
}

void mez_metrics_count(request_rec *r, int metric, const char *label)
{
    add(metric, zone_of(r), label, NULL);
}

static int is_tensor_state(const char *s)
{
    for (int i = 0; i < MEZ_STATE_COUNT; i++)
        if (!strcmp(s, mez_state_name((mez_state_t)i)))
            return 1;
    return 0;
}

/* Runs once per request after the answer went out, whatever answered it (a handler, a problem, auth). */
static int log_transaction(request_rec *r)
{
    const request_rec *last = r;
    const char *zone = zone_of(r), *decision;
    if (!table || !zone)
        return DECLINED;
    /* After an internal redirect the final request holds the status sent and the handler's notes. */
    while (last->next)
        last = last->next;
    add(MEZ_METRIC_REQUESTS, zone, mez_api_route_label(last), apr_itoa(r->pool, last->status));
    decision = apr_table_get(last->notes, "mez-decision");
    if (decision && is_tensor_state(decision))
        add(MEZ_METRIC_TENSOR_EVALUATIONS, zone, decision, NULL);
    if (apr_table_get(last->notes, "mez-credential-digest") && last->status < 500)
        add(MEZ_METRIC_CREDENTIALS_ISSUED, zone, NULL, NULL);
    return DECLINED;
}

/* ---------------------------------------------------------------- start-up */

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *pproc = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    void *data = NULL;

    /* Kept in the process pool: created once, inherited by every generation of children, so the counters
     * survive a graceful restart (the module itself is reloaded then, which is why it is looked up here). */
    apr_pool_userdata_get(&data, SHM_USERDATA, pproc);
    if (data) {
        table = apr_shm_baseaddr_get(data);
        return OK;
    }
    if ((rv = apr_shm_create(&shm, sizeof(table_t), NULL, pproc)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "cannot create the shared memory for /metrics "
                     "(%" APR_SIZE_T_FMT " bytes)", (apr_size_t)sizeof(table_t));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    table = apr_shm_baseaddr_get(shm);
    memset(table, 0, sizeof(*table));
    apr_pool_userdata_set(shm, SHM_USERDATA, apr_pool_cleanup_null, pproc);
    return OK;
}

/* ---------------------------------------------------------------- exposition */

typedef struct {
    const char *key;
    uint64_t value;
} sample_t;

static int compare_samples(const void *a, const void *b)
{
    return strcmp(((const sample_t *)a)->key, ((const sample_t *)b)->key);
}

/* A label value as the text format wants it: backslash, double quote and line feed escaped. */
static const char *escape(apr_pool_t *p, const char *v)
{
    char *out = apr_palloc(p, strlen(v) * 2 + 1), *o = out;
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            *o++ = '\\';
        if (*v == '\n') {
            *o++ = '\\';
            *o++ = 'n';
            continue;
        }
        *o++ = *v;
    }
    *o = '\0';
    return out;
}

static void write_sample(request_rec *r, int metric, const char *zone, const char *l1, const char *l2,
                         uint64_t value)
{
    const char *name = metric_info[metric].name, *labels = apr_psprintf(r->pool, "zone=\"%s\"", escape(r->pool, zone));
    if (metric_info[metric].label1)
        labels = apr_psprintf(r->pool, "%s,%s=\"%s\"", labels, metric_info[metric].label1, escape(r->pool, l1));
    if (metric_info[metric].label2)
        labels = apr_psprintf(r->pool, "%s,%s=\"%s\"", labels, metric_info[metric].label2, escape(r->pool, l2));
    ap_rprintf(r, "%s{%s} %" APR_UINT64_T_FMT "\n", name, labels, (apr_uint64_t)value);
}

int mez_get_metrics(request_rec *r, mez_srv_conf_t *sc)
{
    apr_array_header_t *samples;
    mez_problem_t pb = { 0 };
    char prefix[KEY_MAX];

    if (!table || !sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "metrics.unavailable", NULL,
                    "this server has no MezZone whose metrics could be shown");
        return mez_send_problem(r, &pb, NULL);
    }
    samples = apr_array_make(r->pool, 64, sizeof(sample_t));
    for (uint32_t i = 0; i < SLOTS; i++) {
        slot_t *s = &table->slot[i];
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_READY)
            continue;
        sample_t *x = apr_array_push(samples);
        x->key = apr_pstrndup(r->pool, s->key, KEY_MAX);
        x->value = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
    }
    qsort(samples->elts, (size_t)samples->nelts, sizeof(sample_t), compare_samples);

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only)
        return OK;
    for (int m = 0; m < MEZ_METRIC_COUNT; m++) {
        int n = snprintf(prefix, sizeof(prefix), "%d%c%s%c", m, SEP, sc->zone_id, SEP), shown = 0;
        ap_rprintf(r, "# HELP %s %s\n# TYPE %s counter\n", metric_info[m].name, metric_info[m].help,
                   metric_info[m].name);
        for (int i = 0; n > 0 && n < (int)sizeof(prefix) && i < samples->nelts; i++) {
            const sample_t *x = &APR_ARRAY_IDX(samples, i, sample_t);
            char *rest, *l2;
            if (strncmp(x->key, prefix, (size_t)n))
                continue;
            rest = apr_pstrdup(r->pool, x->key + n);
            l2 = strchr(rest, SEP);
            if (l2)
                *l2++ = '\0';
            write_sample(r, m, sc->zone_id, rest, l2 ? l2 : "", x->value);
            shown++;
        }
        /* A counter without labels exists from the start: a scraper sees 0, not an absent series. */
        if (!shown && !metric_info[m].label1)
            write_sample(r, m, sc->zone_id, "", "", 0);
    }
    ap_rprintf(r, "# HELP mez_metrics_dropped_total Events not counted because the metrics table was full.\n"
                  "# TYPE mez_metrics_dropped_total counter\nmez_metrics_dropped_total %" APR_UINT64_T_FMT "\n",
               (apr_uint64_t)__atomic_load_n(&table->dropped, __ATOMIC_RELAXED));
    return OK;
}

void mez_metrics_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
}
