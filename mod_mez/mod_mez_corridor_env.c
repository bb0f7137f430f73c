/* mod_mez_corridor_env.c: what the protocols between two zones (mez/corridor_env.h: the exchange of receipts,
 * migrations, transfers) need of this server, for one request: the peer zone as configured (MezPeer), the signed
 * calls to it (the zone key, MezPeerCAFile), the metrics, the error log, and the request's caller, id and time for
 * evidence and audit rows. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_log.h"
#include "mez/audit.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

static mez_status_t select_peer(void *baton, const char *zone_id, const char **did, mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    if (!(g->peer = mez_peer_find(g->r, g->sc, zone_id)))
        return mez_problem(pb, g->r->pool, MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no longer a MezPeer",
                           zone_id);
    if (did)
        *did = g->peer->did;
    return MEZ_OK;
}

static mez_status_t no_peer(mez_corridor_glue_t *g, const char *path, mez_problem_t *pb)
{
    return mez_problem(pb, g->r->pool, MEZ_EINTERNAL, 500, "internal", NULL, "no peer selected for %s", path);
}

static mez_status_t call_peer(void *baton, const char *method, const char *path, const char *query, json_t *body,
                              mez_peer_answer_t *ans, mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    if (!g->peer) {
        json_decref(body);
        memset(ans, 0, sizeof(*ans));
        return no_peer(g, path, pb);
    }
    return mez_corridor_call_peer(g->r, g->sc, g->peer, method, path, query, body, ans, pb);
}

/* A signed GET whose answer is text (a checkpoint note): its status counts for the peer's health, a 404 (nothing
 * signed yet) as an answer. */
static mez_status_t get_text(void *baton, const char *path, int *status, const char **text, mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    mez_http_opts_t opts = { 0 };
    mez_problem_t tpb = { 0 };
    const char *url;
    apr_size_t len = 0;
    mez_status_t st;

    *status = 0;
    *text = NULL;
    if (!g->peer)
        return no_peer(g, path, pb);
    if ((st = mez_http_url_join(g->r->pool, g->peer->url, path, NULL, &url, pb)) != MEZ_OK)
        return st;
    opts.ca_file = g->sc->peer_ca_file;
    opts.max_retries = 2;
    if (mez_httpsig_call(g->r->pool, &opts, g->sc->key, "GET", url, NULL, status, text, &len, &tpb) != MEZ_OK) {
        mez_metrics_peer_call(g->r, g->peer->zone_id, 0);
        return mez_problem(pb, g->r->pool, MEZ_EIO, 503, "corridor.peer_unreachable", NULL, "peer %s (%s): %s",
                           g->peer->zone_id, g->peer->url, tpb.detail ? tpb.detail : "no answer");
    }
    mez_metrics_peer_call(g->r, g->peer->zone_id, *status == 404 ? 200 : *status);
    return MEZ_OK;
}

static void count(void *baton, const char *corridor_id, const char *outcome, uint64_t n)
{
    mez_corridor_glue_t *g = baton;
    mez_metrics_add(g->r, MEZ_METRIC_CORRIDOR_RECEIPTS, corridor_id, outcome, n);
}

static void warn(void *baton, const char *message)
{
    mez_corridor_glue_t *g = baton;
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, g->r, "%s", message);
}

static void audit(void *baton, const char *action, const char *resource_type, const char *resource_id,
                  json_t *detail, mez_audit_event_t *ev)
{
    mez_corridor_glue_t *g = baton;
    mez_request_audit_event(g->r, action, resource_type, resource_id, "committed", detail, ev);
}

void mez_corridor_env_of(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, mez_corridor_glue_t *g)
{
    memset(g, 0, sizeof(*g));
    g->r = r;
    g->sc = sc;
    g->db = db;
    mez_orch_zone_of(r, sc, &g->zone);
    g->env.p = r->pool;
    g->env.db = db;
    g->env.zone = &g->zone;
    g->env.actor = mez_request_actor(r);
    g->env.actor_entity = apr_table_get(r->notes, "mez-entity");
    g->env.request_id = mez_request_id(r);
    g->env.path = r->uri;
    g->env.now = r->request_time;
    g->env.baton = g;
    g->env.peer = select_peer;
    g->env.call_peer = call_peer;
    g->env.get_text = get_text;
    g->env.count = count;
    g->env.warn = warn;
    g->env.audit = audit;
}
