/* mod_mez_metrics.c: GET /metrics, Prometheus text exposition format 0.0.4, for the zone that is asked.
 *
 * Counters (every one labelled zone="<MezZone>"):
 *   mez_requests_total{route,code}            every request to a zone's server, by the route table's path
 *                                             (never the raw URI, so ids cannot explode the label set) and
 *                                             final HTTP status; problems and auth refusals included
 *   mez_tensor_evaluations_total{decision}    requests that evaluated the tensor (note mez-decision holding a
 *                                             tensor state: compliant, non_compliant, pending, ...)
 *   mez_tensor_domain_decisions_total{domain,decision}
 *                                             the per-domain states of those evaluations that report them (kept in
 *                                             the request pool by mez_metrics_note_domains)
 *   mez_credentials_issued_total              credentials issued and committed (the note mez-credential-digest,
 *                                             which handlers set only after the commit; an attestation of a
 *                                             denial, answered 422, is a credential issued too)
 *   mez_mass_calls_total{primitive,outcome}   Mass gateway calls (mez_request_mass_call)
 *   mez_audit_rows_total                      audit rows committed by the zone's requests, whatever appended them
 *                                             (the hook, from mez_request_audit_rows: rows of a transaction that
 *                                             rolled back or failed its COMMIT are not counted)
 *   mez_corridor_receipts_total{corridor,outcome}
 *                                             receipts appended to this zone's copy of a chain, pushed to (and
 *                                             acknowledged by) the peer, or failed (see mod_mez.h)
 *   mez_peer_calls_total{peer,outcome}        signed calls to peer zones: ok, refused (an answer that is not
 *                                             2xx), unreachable (no answer)
 *   mez_problems_total{code}                  requests answered with a problem, by its code (the note
 *                                             mez-problem): db.error, mass.unavailable, auth.* ... A code passed
 *                                             through from a remote Mass is that server's words, so a code is a
 *                                             label only when it has a code's shape (mez_problem_code_ok) and
 *                                             while fewer than PROBLEM_CODES_MAX have been labelled; the rest
 *                                             count as code="other"
 * Gauges:
 *   mez_peer_up{peer}, mez_peer_last_call_timestamp_seconds{peer}
 *                                             the outcome of the last call to each peer, recorded when calls are
 *                                             made (a scrape never calls a peer)
 *   mez_mass_primitive_up{primitive,endpoint} sovereign: the zone's database answered this scrape; remote: the
 *                                             outcome of the last call or readiness probe (absent before one)
 *   mez_database_up                           the zone's database answered this scrape
 *   mez_corridor_info{corridor,peer,role,state}, mez_corridor_chain_length{corridor},
 *   mez_corridor_peer_acked_length{corridor}, mez_corridor_checkpoint_age_seconds{corridor}
 *                                             read from the zone's database at scrape time
 * and, without a zone, mez_metrics_dropped_total: events not recorded because the table below was full.
 *
 * The counters live in one anonymous shared-memory segment created by the parent in post_config, before the
 * children fork, and kept in the process pool so that a graceful restart does not reset them. Every child
 * adds to the same counters with atomic operations, so one scrape of any child sees the sum of all of them.
 * The segment is a fixed open-addressing table of (metric name, zone, labels) -> value (metrics_table.c); a slot
 * is claimed with a compare-and-swap and never freed, which is what lets readers and writers in different processes
 * go without a lock, and a key never has two. Label values are bounded (routes, status codes, states, domains,
 * primitives, the zone's own corridors and peers), so the table does not fill in practice; when it does, or a slot
 * on a key's path stays half-written (its writer stopped or killed), the event is counted in
 * mez_metrics_dropped_total, neither lost silently nor counted in a slot that is not its key's, and the error log
 * says so (at the 1st, 2nd, 4th, 8th... such event).
 *
 * Graceful restarts: the segment is found again by a userdata key that names its layout (LAYOUT and the size
 * of the table), and slots are keyed by metric *name*, not by enum position. A reloaded module with the same
 * layout therefore reads the same counters with the same meaning, whatever metrics it added; one with a
 * different layout gets a fresh segment under its own key instead of reading a table of another shape.
 *
 * A zone's /metrics shows only that zone's series: zones sharing one httpd stay private to each other.
 * Protect it like any other operator resource if the numbers are not for everyone (<Location /metrics>). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/problem.h"
#include "mez/tensor.h"
#include "metrics_table.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define SLOTS MEZ_MT_SLOTS
#define KEY_MAX MEZ_MT_KEY_MAX
#define SEP '\x1f'                  /* between the parts of a key; never in a label value we record */
#define LAYOUT 4                    /* 1: keys by enum position; 2: keys by metric name; 3: + problem_codes;
                                     * 4: a writing slot names its writer's pid (metrics_table.h) */
#define PROBLEM_CODES_MAX 256u      /* distinct problem codes labelled, over all zones of this httpd */
#define PEER_LAST "peer_last"       /* keys of the last-outcome gauges (not exposed under these names) */
#define MASS_LAST "mass_last"

/* A slot's key is "<metric name><SEP><zone><SEP><label1><SEP><label2>". */
typedef mez_mt_slot_t slot_t;
typedef mez_mt_table_t table_t;

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
    [MEZ_METRIC_AUDIT_ROWS] = { "mez_audit_rows_total", "Rows committed to the audit trail.", NULL, NULL },
    [MEZ_METRIC_CORRIDOR_RECEIPTS] = { "mez_corridor_receipts_total",
                                       "Corridor receipts appended to this zone's chain copy, pushed to the peer "
                                       "(acknowledged), or failed to reach the other chain.", "corridor",
                                       "outcome" },
    [MEZ_METRIC_PEER_CALLS] = { "mez_peer_calls_total", "Signed calls to peer zones, by peer and outcome.", "peer",
                                "outcome" },
    [MEZ_METRIC_TENSOR_DOMAIN_DECISIONS] = { "mez_tensor_domain_decisions_total",
                                             "Compliance tensor decisions per domain, by domain and state.",
                                             "domain", "decision" },
    [MEZ_METRIC_PROBLEMS] = { "mez_problems_total", "Requests answered with a problem, by its code.", "code",
                              NULL },
};

/* ---------------------------------------------------------------- recording */

/* The per-domain states of a request's evaluation, for log_transaction: an int per domain (its state, -1 for none)
 * in the request pool's user data. */
#define DOMAIN_STATES_KEY "mez-domain-states"

static int index_of(const char *s, int count, const char *(*name)(int))
{
    for (int i = 0; i < count; i++)
        if (!strcmp(s, name(i)))
            return i;
    return -1;
}

/* index_of, trying `likely` first: the evaluator writes a result's domains in the table's order. */
static int index_of_likely(const char *s, int likely, int count, const char *(*name)(int))
{
    if (likely >= 0 && likely < count && !strcmp(s, name(likely)))
        return likely;
    return index_of(s, count, name);
}

static const char *domain_at(int i)
{
    return mez_domain_name((mez_domain_t)i);
}

static const char *state_at(int i)
{
    return mez_state_name((mez_state_t)i);
}

static int make_key(char *key, const char *name, const char *zone, const char *l1, const char *l2)
{
    int n = snprintf(key, KEY_MAX, "%s%c%s%c%s%c%s", name, SEP, zone, SEP, l1 ? l1 : "", SEP, l2 ? l2 : "");
    if (n < 0 || n >= KEY_MAX)
        return 0;
    /* A separator or line break inside a value would corrupt the key or the exposition; such values are not
     * ours to record (every caller passes table-bound constants or ids the zone's database holds). */
    for (int i = 0, seps = 0; i < n; i++)
        if (key[i] == '\n' || (key[i] == SEP && ++seps > 3))
            return 0;
    return 1;
}

/* The slot key already has, or NULL (looking only), with why there is none (MEZ_MT_ABSENT: the key has none; BUSY:
 * a slot on its path is still being written, so it may). */
static slot_t *slot_known(const char *key, mez_mt_outcome_t *why)
{
    return mez_mt_slot(table, key, 0, MEZ_MT_WAIT, why);
}

/* An event with no slot is counted as dropped; the first, second, fourth, eighth... say so in the error log, which
 * is enough to be seen and never floods it. */
static void dropped(const char *key, const char *why)
{
    uint64_t n = __atomic_add_fetch(&table->dropped, 1, __ATOMIC_RELAXED);
    if (!(n & (n - 1)))
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL, "/metrics: an event of %.*s was not counted (%s); "
                     "%" APR_UINT64_T_FMT " so far, in mez_metrics_dropped_total", (int)strcspn(key, "\x1f"), key,
                     why, (apr_uint64_t)n);
}

static slot_t *find(const char *name, const char *zone, const char *l1, const char *l2)
{
    char key[KEY_MAX];
    mez_mt_outcome_t why;
    slot_t *s;
    if (!table || !zone)
        return NULL;
    if (!make_key(key, name, zone, l1, l2)) {
        dropped(name, "its labels make no key");
        return NULL;
    }
    if (!(s = mez_mt_slot(table, key, 1, MEZ_MT_WAIT, &why)))
        dropped(key, why == MEZ_MT_BUSY ? "a slot on its path stayed half-written: its writer is stopped or was "
                                          "killed while writing"
                                        : "the table is full");
    return s;
}

static void add(int metric, const char *zone, const char *l1, const char *l2, uint64_t n)
{
    slot_t *s;
    if (metric < 0 || metric >= MEZ_METRIC_COUNT || !n)
        return;
    if ((s = find(metric_info[metric].name, zone, l1, l2)))
        __atomic_add_fetch(&s->value, n, __ATOMIC_RELAXED);
}

/* A last-outcome gauge: (milliseconds since the epoch << 1) | up, kept only when newer than what is there, so
 * that children racing to record leave the latest call's outcome. */
static void record_last(const char *name, const char *zone, const char *label, int up)
{
    slot_t *s = find(name, zone, label, NULL);
    uint64_t now = (uint64_t)(apr_time_now() / 1000), v, old;
    if (!s)
        return;
    v = (now << 1) | (up ? 1u : 0u);
    old = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
    while ((old >> 1) <= now
           && !__atomic_compare_exchange_n(&s->value, &old, v, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static const char *zone_of(const request_rec *r)
{
    return mez_srv_conf(r->server)->zone_id;
}

void mez_metrics_count2(request_rec *r, int metric, const char *label1, const char *label2)
{
    add(metric, zone_of(r), label1, label2, 1);
}

void mez_metrics_count(request_rec *r, int metric, const char *label)
{
    add(metric, zone_of(r), label, NULL, 1);
}

void mez_metrics_add(request_rec *r, int metric, const char *label1, const char *label2, uint64_t n)
{
    add(metric, zone_of(r), label1, label2, n);
}

void mez_metrics_peer_call(request_rec *r, const char *peer_zone_id, int http_status)
{
    const char *zone = zone_of(r);
    if (!peer_zone_id)
        return;
    add(MEZ_METRIC_PEER_CALLS, zone, peer_zone_id,
        !http_status ? "unreachable" : http_status >= 200 && http_status < 300 ? "ok" : "refused", 1);
    record_last(PEER_LAST, zone, peer_zone_id, http_status != 0);
}

void mez_metrics_mass_health(request_rec *r, int primitive, int up)
{
    if (primitive < 0 || primitive >= MEZ_MASS_PRIMITIVE_COUNT)
        return;
    record_last(MASS_LAST, zone_of(r), mez_mass_primitive_name((mez_mass_primitive_t)primitive), up);
}

static int is_tensor_state(const char *s)
{
    for (int i = 0; i < MEZ_STATE_COUNT; i++)
        if (!strcmp(s, mez_state_name((mez_state_t)i)))
            return 1;
    return 0;
}

void mez_metrics_note_domains(request_rec *r, const json_t *result)
{
    const json_t *domains = json_object_get(result, "domains"), *v;
    const char *name;
    int *states = apr_palloc(r->pool, sizeof(int) * MEZ_DOMAIN_COUNT), any = 0, next = 0;
    for (int i = 0; i < MEZ_DOMAIN_COUNT; i++)
        states[i] = -1;
    json_object_foreach((json_t *)domains, name, v) {
        const char *state = json_string_value(json_object_get(v, "state"));
        int d, st;
        /* Only the zone's own vocabulary becomes a label value: 20 domains times 5 states at most. */
        if (!state || (d = index_of_likely(name, next, MEZ_DOMAIN_COUNT, domain_at)) < 0
            || (st = index_of(state, MEZ_STATE_COUNT, state_at)) < 0)
            continue;
        next = d + 1;
        states[d] = st;
        any = 1;
    }
    if (any)
        apr_pool_userdata_setn(states, DOMAIN_STATES_KEY, NULL, r->pool);
}

/* Every evaluation counts one decision per domain, so the slot of each (domain, state) is looked up in the shared
 * table once per child and kept (sc->metric_cache, made at child start): a key built, hashed and compared per
 * domain per request cost a tenth of an evaluation's time. Children filling one entry at once store the same
 * pointer. */
static void count_domains(mez_srv_conf_t *sc, const int *states)
{
    slot_t **cache = sc->metric_cache;
    for (int d = 0; d < MEZ_DOMAIN_COUNT; d++) {
        int st = states[d];
        slot_t *s;
        if (st < 0)
            continue;
        if (!cache) {
            add(MEZ_METRIC_TENSOR_DOMAIN_DECISIONS, sc->zone_id, domain_at(d), state_at(st), 1);
            continue;
        }
        s = __atomic_load_n(&cache[d * MEZ_STATE_COUNT + st], __ATOMIC_ACQUIRE);
        if (!s && (s = find(metric_info[MEZ_METRIC_TENSOR_DOMAIN_DECISIONS].name, sc->zone_id, domain_at(d),
                            state_at(st))))
            __atomic_store_n(&cache[d * MEZ_STATE_COUNT + st], s, __ATOMIC_RELEASE);
        if (s)
            __atomic_add_fetch(&s->value, 1, __ATOMIC_RELAXED);
    }
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    for (server_rec *v = s; v; v = v->next) {
        mez_srv_conf_t *sc = mez_srv_conf(v);
        if (sc->zone_id && !sc->metric_cache)
            sc->metric_cache = apr_pcalloc(pchild, sizeof(slot_t *) * MEZ_DOMAIN_COUNT * MEZ_STATE_COUNT);
    }
}

/* The label a problem code is counted under: the code itself when it has a code's shape and either has its slot
 * already or fewer than PROBLEM_CODES_MAX codes have been given one; else "other". The count of codes labelled is
 * shared by every child, so the table cannot be filled with codes (a remote Mass's refusals pass through with
 * whatever code its answer says) and crowd out the other metrics. Two children meeting one new code at once may
 * both count it: the cap is then reached a little early, never passed. */
static const char *problem_label(const char *zone, const char *code)
{
    char key[KEY_MAX];
    if (!mez_problem_code_ok(code) || !make_key(key, metric_info[MEZ_METRIC_PROBLEMS].name, zone, code, NULL))
        return "other";
    mez_mt_outcome_t why = MEZ_MT_OK;
    if (slot_known(key, &why))
        return code;
    /* Only a code known to have no slot uses up the budget: behind a slot stuck in writing (BUSY) the code may
     * well have one, and counting each such event would spend the budget of every zone's codes on one. */
    if (why != MEZ_MT_ABSENT || __atomic_fetch_add(&table->problem_codes, 1, __ATOMIC_RELAXED) >= PROBLEM_CODES_MAX)
        return "other";
    return code;
}

/* Runs once per request after the answer went out, whatever answered it (a handler, a problem, auth). */
static int log_transaction(request_rec *r)
{
    const request_rec *last = r;
    const char *zone = zone_of(r), *decision, *problem;
    if (!table || !zone)
        return DECLINED;
    /* After an internal redirect the final request holds the status sent and the handler's notes. */
    while (last->next)
        last = last->next;
    add(MEZ_METRIC_REQUESTS, zone, mez_api_route_label(last), apr_itoa(r->pool, last->status), 1);
    decision = apr_table_get(last->notes, "mez-decision");
    if (decision && is_tensor_state(decision)) {
        add(MEZ_METRIC_TENSOR_EVALUATIONS, zone, decision, NULL, 1);
        void *states = NULL;
        if (apr_pool_userdata_get(&states, DOMAIN_STATES_KEY, last->pool) == APR_SUCCESS && states)
            count_domains(mez_srv_conf(last->server), states);
    }
    if (apr_table_get(last->notes, "mez-credential-digest") && last->status < 500)
        add(MEZ_METRIC_CREDENTIALS_ISSUED, zone, NULL, NULL, 1);
    add(MEZ_METRIC_AUDIT_ROWS, zone, NULL, NULL, mez_request_audit_rows(r));
    if ((problem = apr_table_get(last->notes, "mez-problem")))
        add(MEZ_METRIC_PROBLEMS, zone, problem_label(zone, problem), NULL, 1);
    return DECLINED;
}

/* ---------------------------------------------------------------- start-up */

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *pproc = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    void *data = NULL;
    /* The layout in the key: a module of another layout, loaded by a graceful restart, never reads this one. */
    const char *userdata = apr_psprintf(pproc, "mez-metrics-shm/%d/%" APR_SIZE_T_FMT, LAYOUT,
                                        (apr_size_t)sizeof(table_t));

    /* Kept in the process pool: created once, inherited by every generation of children, so the counters
     * survive a graceful restart (the module itself is reloaded then, which is why it is looked up here). */
    apr_pool_userdata_get(&data, userdata, pproc);
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
    apr_pool_userdata_set(shm, userdata, apr_pool_cleanup_null, pproc);
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

static void family(request_rec *r, const char *name, const char *type, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: zone first, then the NULL-terminated name/value label pairs (NULL: none). */
static void sample(request_rec *r, const char *name, const char *zone, const char *const *pairs, apr_int64_t value)
{
    const char *labels = apr_psprintf(r->pool, "zone=\"%s\"", escape(r->pool, zone));
    for (; pairs && pairs[0]; pairs += 2)
        labels = apr_psprintf(r->pool, "%s,%s=\"%s\"", labels, pairs[0], escape(r->pool, pairs[1] ? pairs[1] : ""));
    ap_rprintf(r, "%s{%s} %" APR_INT64_T_FMT "\n", name, labels, value);
}

#define LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The samples of one key prefix ("<name><SEP><zone><SEP>"), split into their two label values. */
typedef void (*each_fn)(request_rec *r, const char *l1, const char *l2, uint64_t value, void *baton);

static int each(request_rec *r, const apr_array_header_t *samples, const char *name, const char *zone, each_fn fn,
                void *baton)
{
    char prefix[KEY_MAX];
    int n = snprintf(prefix, sizeof(prefix), "%s%c%s%c", name, SEP, zone, SEP), shown = 0;
    for (int i = 0; n > 0 && n < (int)sizeof(prefix) && i < samples->nelts; i++) {
        const sample_t *x = &APR_ARRAY_IDX(samples, i, sample_t);
        char *rest, *l2;
        if (strncmp(x->key, prefix, (size_t)n))
            continue;
        rest = apr_pstrdup(r->pool, x->key + n);
        l2 = strchr(rest, SEP);
        if (l2)
            *l2++ = '\0';
        fn(r, rest, l2 ? l2 : "", x->value, baton);
        shown++;
    }
    return shown;
}

typedef struct {
    int metric;
    const char *zone;
} counter_baton_t;

static void write_counter(request_rec *r, const char *l1, const char *l2, uint64_t value, void *baton)
{
    const counter_baton_t *b = baton;
    const char *pairs[] = { metric_info[b->metric].label1, l1, metric_info[b->metric].label2, l2, NULL };
    sample(r, metric_info[b->metric].name, b->zone, pairs, (apr_int64_t)value);
}

typedef struct {
    const char *zone, *metric, *label;
    int timestamp;            /* 1: the call's time in seconds; 0: up */
} last_baton_t;

static void write_last(request_rec *r, const char *l1, const char *l2, uint64_t value, void *baton)
{
    const last_baton_t *b = baton;
    (void)l2;
    if (!value)
        return;     /* claimed by a child that has not stored its outcome yet */
    sample(r, b->metric, b->zone, LABELS(b->label, l1),
           b->timestamp ? (apr_int64_t)((value >> 1) / 1000) : (apr_int64_t)(value & 1));
}

static void find_last(request_rec *r, const char *l1, const char *l2, uint64_t value, void *baton)
{
    (void)r;
    (void)l2;
    if (value && !strcmp(l1, ((const char **)baton)[0]))
        ((const char **)baton)[1] = (value & 1) ? "1" : "0";
}

/* "YYYY-MM-DDTHH:MM:SS..." (UTC, as the corridor store writes times) to seconds since the epoch; -1 if not. */
static apr_int64_t parse_utc(const char *s)
{
    apr_time_exp_t t = { 0 };
    apr_time_t out;
    int y, mo, d, h, mi, se;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    t.tm_sec = se;
    if (apr_time_exp_gmt_get(&out, &t) != APR_SUCCESS)
        return -1;
    return (apr_int64_t)apr_time_sec(out);
}

/* The corridor gauges, read from the zone's database now. 1 when the database answered. */
static int corridor_gauges(request_rec *r, const char *zone, mez_db_t *db)
{
    apr_array_header_t *rows = NULL, *cps = NULL;
    mez_problem_t pb = { 0 };
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    static const char *const families[][3] = {
        { "mez_corridor_info", "gauge", "The zone's corridors (1 each), with their peer, role and state." },
        { "mez_corridor_chain_length", "gauge", "Receipts in this zone's copy of the corridor's chain." },
        { "mez_corridor_peer_acked_length", "gauge",
          "Receipts the peer has acknowledged holding (corridors this zone sequences)." },
        { "mez_corridor_checkpoint_age_seconds", "gauge",
          "Seconds since the corridor's latest checkpoint (absent before the first)." },
    };

    if (db && (mez_db_query_rows(r->pool, db, 6, &rows,
                                 "SELECT corridor_id, peer_zone_id, role, state, tree_size, acked_size "
                                 "FROM mez_corridor ORDER BY corridor_id", &pb, NULL) != MEZ_OK
               || mez_db_query_rows(r->pool, db, 2, &cps,
                                    "SELECT corridor_id, MAX(created_at) FROM mez_corridor_checkpoint "
                                    "GROUP BY corridor_id", &pb, NULL) != MEZ_OK)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "/metrics: corridors not read: %s",
                      pb.detail ? pb.detail : "database error");
        rows = cps = NULL;
    }
    for (int f = 0; f < 4; f++) {
        family(r, families[f][0], families[f][1], families[f][2]);
        for (int i = 0; rows && i < rows->nelts; i++) {
            const char **c = APR_ARRAY_IDX(rows, i, const char **);
            if (f == 0)
                sample(r, families[f][0], zone, LABELS("corridor", c[0], "peer", c[1], "role", c[2], "state", c[3]), 1);
            else if (f == 1)
                sample(r, families[f][0], zone, LABELS("corridor", c[0]), apr_atoi64(c[4]));
            else if (f == 2 && c[2] && !strcmp(c[2], "proposer"))
                sample(r, families[f][0], zone, LABELS("corridor", c[0]), apr_atoi64(c[5]));
            else if (f == 3)
                for (int j = 0; cps && j < cps->nelts; j++) {
                    const char **k = APR_ARRAY_IDX(cps, j, const char **);
                    apr_int64_t at = parse_utc(k[1]);
                    if (strcmp(k[0], c[0]) || at < 0)
                        continue;
                    sample(r, families[f][0], zone, LABELS("corridor", c[0]), now > at ? now - at : 0);
                }
        }
    }
    return rows != NULL;
}

int mez_get_metrics(request_rec *r, mez_srv_conf_t *sc)
{
    apr_array_header_t *samples;
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    int db_up;

    if (!table || !sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "metrics.unavailable", NULL,
                    "this server has no MezZone whose metrics could be shown");
        return mez_send_problem(r, &pb, NULL);
    }
    samples = apr_array_make(r->pool, 64, sizeof(sample_t));
    for (uint32_t i = 0; i < SLOTS; i++) {
        slot_t *s = &table->slot[i];
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != MEZ_MT_READY)
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
        counter_baton_t b = { m, sc->zone_id };
        family(r, metric_info[m].name, "counter", metric_info[m].help);
        /* A counter without labels exists from the start: a scraper sees 0, not an absent series. */
        if (!each(r, samples, metric_info[m].name, sc->zone_id, write_counter, &b) && !metric_info[m].label1)
            sample(r, metric_info[m].name, sc->zone_id, NULL, 0);
    }

    {
        last_baton_t up = { sc->zone_id, "mez_peer_up", "peer", 0 },
                     at = { sc->zone_id, "mez_peer_last_call_timestamp_seconds", "peer", 1 };
        family(r, up.metric, "gauge", "1 when the last call to the peer got an answer, 0 when it got none.");
        each(r, samples, PEER_LAST, sc->zone_id, write_last, &up);
        family(r, at.metric, "gauge", "When the last call to the peer was made (Unix seconds).");
        each(r, samples, PEER_LAST, sc->zone_id, write_last, &at);
    }

    /* The database is asked only here, by the scrape itself: one connection, two reads. */
    db = mez_request_db(r);
    db_up = corridor_gauges(r, sc->zone_id, db);
    family(r, "mez_database_up", "gauge", "1 when the zone's database answered this scrape.");
    sample(r, "mez_database_up", sc->zone_id, NULL, db_up);

    family(r, "mez_mass_primitive_up", "gauge",
           "Mass primitive health: sovereign, the zone's database answers; remote, the last call or readiness "
           "probe succeeded.");
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        const char *name = mez_mass_primitive_name((mez_mass_primitive_t)i);
        int remote = sc->mass && sc->mass->endpoint[i].base_url;
        const char *found[2] = { name, NULL };
        if (remote)
            each(r, samples, MASS_LAST, sc->zone_id, find_last, (void *)found);
        if (!remote || found[1])
            sample(r, "mez_mass_primitive_up", sc->zone_id,
                   LABELS("primitive", name, "endpoint", remote ? "remote" : "sovereign"),
                   remote ? found[1][0] == '1' : db_up);
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
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
