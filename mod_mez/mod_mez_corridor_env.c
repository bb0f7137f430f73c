/* mod_mez_corridor_env.c: what the protocols between two zones (mez/corridor_env.h: migrations, transfers) need
 * of this server, for one request: the peer zone as configured (MezPeer), the signed call to it, the corridor's
 * record and pull (mod_mez_corridor.c), and the request's caller, id and time. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "mez/audit.h"
#include "mod_mez.h"

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

/* A signed POST to the selected peer: the protocols' calls carry a body and no query. */
static mez_status_t call_peer(void *baton, const char *path, json_t *body, mez_peer_answer_t *ans,
                              mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    if (!g->peer) {
        json_decref(body);
        memset(ans, 0, sizeof(*ans));
        return mez_problem(pb, g->r->pool, MEZ_EINTERNAL, 500, "internal", NULL, "no peer selected for %s", path);
    }
    return mez_corridor_call_peer(g->r, g->sc, g->peer, "POST", path, NULL, body, ans, pb);
}

static mez_status_t record(void *baton, const char *corridor_id, const json_t *transition, const char *ref,
                           json_t **receipt, uint64_t *seq, json_t **delivery, mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    return mez_corridor_record(g->r, g->sc, g->db, corridor_id, transition, ref, receipt, seq, delivery, pb);
}

static mez_status_t pull(void *baton, const char *corridor_id, json_t **peer_problem, mez_problem_t *pb)
{
    mez_corridor_glue_t *g = baton;
    return mez_corridor_pull(g->r, g->sc, g->db, corridor_id, peer_problem, pb);
}

static void audit(void *baton, const char *resource_id, mez_audit_event_t *ev)
{
    mez_corridor_glue_t *g = baton;
    mez_request_audit_event(g->r, g->audit_type, g->audit_type, resource_id, "committed", NULL, ev);
}

void mez_corridor_env_of(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *audit_type,
                         mez_corridor_glue_t *g)
{
    memset(g, 0, sizeof(*g));
    g->r = r;
    g->sc = sc;
    g->db = db;
    g->audit_type = audit_type;
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
    g->env.record = record;
    g->env.pull = pull;
    g->env.audit = audit;
}
