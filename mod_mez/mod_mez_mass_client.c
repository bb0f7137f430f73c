/* mod_mez_mass_client.c: the zone's Mass gateway inside httpd.
 *
 *   MezMassEndpoint <primitive> sovereign|<url>   where a primitive is served (default: sovereign, all five)
 *   MezMassTokenFile <file>                        the bearer token for remote endpoints (mode 0600, read by
 *                                                  the parent when the configuration is read)
 *   MezMassTimeout <seconds>                       one remote call (default 10; the readiness probe takes the
 *                                                  smaller of this and 3 s)
 *
 * post_config initialises libcurl once in the parent (before any child or thread exists) and builds each
 * zone's mez_mass_t, read-only afterwards. In MezMode production a remote endpoint needs a token and https
 * (plain http only to a loopback address, e.g. a local sidecar): a bearer token must never cross a network in
 * clear text. mez_request_mass_call is what the zone API's handlers call; /readyz reports each primitive
 * (mez_mass_readiness). */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mez/residency.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define REMOTE_RETRIES 2

/* Builds sc->mass from the directives; an endpoint production mode cannot accept stops start-up. */
static int build_mass(apr_pool_t *pconf, server_rec *v, mez_srv_conf_t *sc)
{
    mez_mass_t *m = NULL;
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        const char *url = sc->mass_url[i], *name = mez_mass_primitive_name((mez_mass_primitive_t)i);
        mez_mass_endpoint_t *ep;
        if (!url || !*url)
            continue;
        if (sc->mode == MEZ_MODE_PRODUCTION) {
            if (!sc->mass_token) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezZone %s: MezMassEndpoint %s %s needs a "
                             "MezMassTokenFile in production mode", sc->zone_id, name, url);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            if (!mez_http_token_transport_ok(pconf, url)) {   /* deploy's pre-flight applies the same rule */
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezZone %s: MezMassEndpoint %s %s: production mode "
                             "sends the Mass token only over https (or to a loopback address)", sc->zone_id,
                             name, url);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        else if (!sc->mass_token)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v, "MezZone %s: MezMassEndpoint %s %s without "
                         "MezMassTokenFile: requests carry no Authorization", sc->zone_id, name, url);
        if (!m)
            m = apr_pcalloc(pconf, sizeof(*m));
        ep = &m->endpoint[i];
        ep->base_url = url;
        ep->token = sc->mass_token;
        ep->timeout_ms = sc->mass_timeout_ms;
        ep->max_retries = REMOTE_RETRIES;
    }
    sc->mass = m;
    return OK;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    mez_problem_t pb = { 0 };
    /* libcurl's global set-up is not thread-safe: here, in the parent, once per generation of children (not on
     * httpd's first, dry configuration pass, which makes no requests); released when pconf is. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG
        && mez_http_global_init(pconf, &pb) != MEZ_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s", pb.detail);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (server_rec *v = s; v; v = v->next) {
        mez_srv_conf_t *sc = mez_srv_conf(v);
        int rc;
        if (sc->zone_id && (rc = build_mass(pconf, v, sc)) != OK)
            return rc;
    }
    return OK;
}

static const char *outcome_of(mez_status_t rv, const mez_mass_response_t *resp, const mez_problem_t *pb)
{
    if (rv == MEZ_OK)
        return resp->status < 300 ? "ok" : resp->status < 500 ? "refused" : "error";
    if (pb->code && !strcmp(pb->code, "mass.unavailable"))
        return "unavailable";
    if (pb->code && !strcmp(pb->code, "mass.upstream_error"))
        return "upstream_error";
    return "error";
}

mez_status_t mez_request_mass_call(request_rec *r, mez_db_t *db, const mez_mass_request_t *req,
                                   mez_mass_response_t *resp, mez_problem_t *pb)
{
    const mez_srv_conf_t *sc = mez_srv_conf(r->server);
    /* The zone's own call (an orchestrated write or a read): no caller of the store's (mez/mass.h). */
    mez_mass_store_ctx_t ctx = { sc->zone_id, mez_zone_jurisdiction(sc), r->request_time, NULL, mez_zone_tz(sc),
                                 NULL };
    int prim = mez_mass_primitive_of_path(req->path);
    const char *outcome;
    mez_status_t rv;

    /* Data sovereignty: a remote call that would carry a category of data where the zone does not let it go is
     * refused before it is made; the caller audits the refusal once its own transaction has ended
     * (note "mez-residency-refusal"). */
    if (prim >= 0 && sc->mass && sc->mass->endpoint[prim].base_url) {
        mez_data_category_t cat;
        if (mez_residency_check(r->pool, sc->residency, (mez_mass_primitive_t)prim, sc->mass_jurisdiction[prim],
                                &cat, pb) != MEZ_OK) {
            resp->status = 0;
            resp->body = NULL;
            resp->not_sent = 1;
            apr_table_setn(r->notes, "mez-residency-refusal",
                           apr_psprintf(r->pool, "%s %s %s", mez_mass_primitive_name((mez_mass_primitive_t)prim),
                                        mez_data_category_name(cat),
                                        sc->mass_jurisdiction[prim] ? sc->mass_jurisdiction[prim] : "undeclared"));
            mez_metrics_count2(r, MEZ_METRIC_MASS_CALLS, mez_mass_primitive_name((mez_mass_primitive_t)prim),
                               "refused_residency");
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "Mass %s %s not sent: %s", req->method, req->path,
                          pb->detail);
            return MEZ_EINVAL;
        }
    }
    rv = mez_mass_call(r->pool, sc->mass, db, &ctx, req, resp, pb);
    if (resp->body)
        mez_json_pool_own(r->pool, resp->body);
    outcome = outcome_of(rv, resp, pb);
    mez_metrics_count2(r, MEZ_METRIC_MASS_CALLS,
                       prim >= 0 ? mez_mass_primitive_name((mez_mass_primitive_t)prim) : "none", outcome);
    if (prim >= 0 && sc->mass && sc->mass->endpoint[prim].base_url)   /* a remote endpoint answered, or not */
        mez_metrics_mass_health(r, prim, !strcmp(outcome, "ok") || !strcmp(outcome, "refused"));
    if (rv != MEZ_OK)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Mass %s %s: %s: %s", req->method, req->path,
                      pb->code ? pb->code : "error", pb->detail ? pb->detail : "");
    else
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "Mass %s %s: %d", req->method, req->path, resp->status);
    return rv;
}

json_t *mez_mass_readiness(request_rec *r, const mez_srv_conf_t *sc, int *degraded)
{
    json_t *out = json_object();
    const char *states[MEZ_MASS_PRIMITIVE_COUNT], *details[MEZ_MASS_PRIMITIVE_COUNT];
    *degraded = 0;
    mez_mass_probe_all(r->pool, sc->mass, states, details);
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        mez_mass_primitive_t prim = (mez_mass_primitive_t)i;
        const mez_mass_endpoint_t *ep = sc->mass ? &sc->mass->endpoint[i] : NULL;
        const char *state = states[i], *detail = details[i];
        int ok = !strcmp(state, "ok");
        if (ep && ep->base_url)
            mez_metrics_mass_health(r, i, ok);
        if (!ok) {
            *degraded = 1;
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "readiness: Mass %s is unreachable: %s",
                          mez_mass_primitive_name(prim), detail);
        }
        json_object_set_new(out, mez_mass_primitive_name(prim),
                            json_pack("{s:s,s:s,s:s}", "endpoint", ep && ep->base_url ? ep->base_url : "sovereign",
                                      "state", state, "detail", detail));
    }
    return out;
}

void mez_mass_client_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

mez_status_t mez_request_mass_get(request_rec *r, mez_db_t *db, const char *path, const char *query,
                                  const char *pointer, json_t **doc, mez_problem_t *pb)
{
    mez_mass_request_t req = { "GET", path, query, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_status_t st;
    if ((st = mez_request_mass_call(r, db, &req, &resp, pb)) != MEZ_OK)
        return st;
    if (resp.status == 404)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "mass.not_found", pointer, "%s names no record here",
                           pointer);
    if (resp.status != 200 || !json_is_object(resp.body))
        return mez_problem(pb, r->pool, MEZ_EIO, 502, "mass.unexpected_answer", pointer,
                           "Mass answered %d to GET %s", resp.status, path);
    *doc = resp.body;
    return MEZ_OK;
}
