/* mod_bench_dbd.c: the floor for the zone API benchmark (bench/zone-api), not part of the product.
 *
 * `SetHandler bench-dbd` answers every request with the least a database-backed handler can do: take a mod_dbd
 * connection for the request (ap_dbd_acquire, the same call mod_mez makes), run `SELECT 1`, read its one row and
 * answer a few bytes of JSON. Loaded in the same httpd as mod_mez, it shares the connection pool, the MPM, the
 * keep-alive and the client, so the ratio zone-API rate / this rate is what mez's own work costs.
 *
 * It reads the request body, if any, and throws it away, so a POST with a body is served as well as a GET.
 *
 * `SetHandler bench-dbd-write` is the floor for a write: one durable transaction (BEGIN; one INSERT of one small
 * row into bench_write, which bench/zone-api creates; COMMIT, which waits for the WAL flush as the zone API's
 * commits do). A formation is several such writes in one transaction plus mez's own work, so formation / this is
 * what the zone API costs over the least a durable write costs. */
#include <string.h>
#include <apr_dbd.h>
#include <apr_optional.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_dbd.h"

module AP_MODULE_DECLARE_DATA bench_dbd_module;

/* mod_dbd's ap_dbd_acquire, looked up once when modules are loaded (as mod_mez does): no link-time dependency on
 * mod_dbd, and a clear 500 when it is missing. Written once at start-up, read-only afterwards. */
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

static void retrieve_optional_fns(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

/* Reads and discards the request body. */
static int discard_body(request_rec *r)
{
    char buf[8192];
    int rv = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rv != OK)
        return rv;
    if (ap_should_client_block(r))
        while (ap_get_client_block(r, buf, sizeof(buf)) > 0)
            ;
    return OK;
}

static int bench_dbd_handler(request_rec *r)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *one = NULL;
    ap_dbd_t *dbd;
    int rv;

    if (!r->handler || strcmp(r->handler, "bench-dbd"))
        return DECLINED;
    if ((rv = discard_body(r)) != OK)
        return rv;
    if (!dbd_acquire || !(dbd = dbd_acquire(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "bench-dbd: no database connection");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    /* Sequential results (random 0), drained to the end: apr_dbd's contract, and what mod_mez does too. */
    rv = apr_dbd_select(dbd->driver, r->pool, dbd->handle, &res, "SELECT 1", 0);
    if (rv) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "bench-dbd: SELECT 1 failed: %s",
                      apr_dbd_error(dbd->driver, dbd->handle, rv));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    while (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) == 0)
        if (!one)
            one = apr_dbd_get_entry(dbd->driver, row, 0);
    if (!one || strcmp(one, "1")) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "bench-dbd: SELECT 1 answered %s", one ? one : "no row");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, 10);
    ap_rputs("{\"one\":1}\n", r);
    return OK;
}

static int run(request_rec *r, ap_dbd_t *dbd, const char *sql)
{
    int nrows = 0, rv = apr_dbd_query(dbd->driver, dbd->handle, &nrows, sql);
    if (rv)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "bench-dbd-write: %s failed: %s", sql,
                      apr_dbd_error(dbd->driver, dbd->handle, rv));
    return rv;
}

static int bench_dbd_write_handler(request_rec *r)
{
    ap_dbd_t *dbd;
    int rv;

    if (!r->handler || strcmp(r->handler, "bench-dbd-write"))
        return DECLINED;
    if ((rv = discard_body(r)) != OK)
        return rv;
    if (!dbd_acquire || !(dbd = dbd_acquire(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "bench-dbd-write: no database connection");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (run(r, dbd, "BEGIN")
        || run(r, dbd, "INSERT INTO bench_write (body) VALUES ('a durable row')")) {
        run(r, dbd, "ROLLBACK");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (run(r, dbd, "COMMIT"))
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, 12);
    ap_rputs("{\"wrote\":1}\n", r);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(retrieve_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bench_dbd_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bench_dbd_write_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_dbd_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
