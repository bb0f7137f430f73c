/* mod_mez_migration.c: the HTTP routes of an entity's migration to a peer zone over a corridor. The saga itself
 * (its steps, what each records, the release that undoes a lock, the destination's checks) is libmezcore's
 * (mez/migration_saga.h); this file reads requests, gives the saga what only the server has (mez_corridor_env_of:
 * the signed call to the peer, the corridor append, the request's audit identity) and answers.
 *
 *   operator  POST /v1/corridors/{id}/migrations {entity_id, deadline, compliance?, hold_at?}
 *             GET  /v1/corridors/{id}/migrations/{migration_id}
 *             POST /v1/corridors/{id}/migrations/{migration_id}/advance {hold_at?}
 *             POST /v1/corridors/{id}/migrations/{migration_id}/cancel {reason?}
 *   peers     POST /v1/corridors/peers/migrations/evaluate {corridor_id, migration}
 *             POST /v1/corridors/peers/migrations/complete {corridor_id, sequence}
 *
 * hold_at (a live state) stops the saga once it gets there, for an operator who wants to look before going on. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/mass.h"
#include "mez/migration_saga.h"
#include "mez/orchestrate.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

/* ------------------------------------------------------------------ operator routes */

/* The migration with its steps. A step that could not go on now is answered as its problem carrying the
 * migration (advance), or, for the request that created the migration, as the migration with that problem as
 * "stalled" (it exists either way: advance it again). */
static int send_migration(mez_corridor_glue_t *g, const mez_migration_t *m, int status, const mez_problem_t *stalled)
{
    mez_problem_t pb = { 0 };
    json_t *o;
    if (mez_saga_document(&g->env, m, &o, &pb) != MEZ_OK)
        return mez_send_problem(g->r, &pb, NULL);
    if (stalled && status != 201)
        return mez_send_problem(g->r, stalled, json_pack("{s:O}", "migration", o));
    if (status == 201)
        json_object_set(o, "stalled", stalled ? mez_saga_problem_json(g->r->pool, stalled) : json_null());
    return mez_send_json(g->r, status, json_incref(o));
}

/* POST /v1/corridors/{id}/migrations */
static int post_migration(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid)
{
    static const char *const allowed[] = { "entity_id", "deadline", "compliance", "hold_at", NULL };
    mez_problem_t pb = { 0 }, spb = { 0 };
    mez_migration_t m;
    mez_corridor_glue_t g;
    json_t *body;
    int hold, stalled;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_saga_begin(&g.env, cid, body, &m, &hold, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Location", apr_pstrcat(r->pool, "/v1/corridors/", cid, "/migrations/",
                                                           m.migration_id, NULL));
    if (mez_saga_run(&g.env, &m, hold, 0, &stalled, &spb) != MEZ_OK)
        return mez_send_problem(r, &spb, NULL);
    return send_migration(&g, &m, 201, stalled ? &spb : NULL);
}

/* POST .../advance {hold_at?} */
static int post_advance(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    static const char *const allowed[] = { "hold_at", NULL };
    mez_problem_t pb = { 0 };
    mez_migration_t m;
    mez_corridor_glue_t g;
    json_t *body;
    int hold, stalled;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_body(r, allowed, 1, &body, &pb) != MEZ_OK || mez_saga_hold_parse(r->pool, body, &hold, &pb)
        != MEZ_OK || mez_saga_open(&g.env, cid, mid, &m, &pb) != MEZ_OK
        || mez_saga_run(&g.env, &m, hold, 1, &stalled, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_migration(&g, &m, 200, stalled ? &pb : NULL);
}

/* POST .../cancel {reason?}: from the first four states only, and never past the deadline (mez/lifecycle.h). */
static int post_cancel(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    static const char *const allowed[] = { "reason", NULL };
    mez_problem_t pb = { 0 };
    mez_migration_t m;
    mez_corridor_glue_t g;
    json_t *body;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_body(r, allowed, 1, &body, &pb) != MEZ_OK || mez_saga_open(&g.env, cid, mid, &m, &pb) != MEZ_OK
        || mez_saga_cancel(&g.env, &m, body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_migration(&g, &m, 200, NULL);
}

static int get_migration(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    mez_problem_t pb = { 0 };
    mez_migration_t m;
    mez_corridor_glue_t g;
    const char *peer = apr_table_get(r->notes, "mez-peer");

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_saga_open(&g.env, cid, mid, &m, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (peer && strcmp(peer, m.destination_zone_id)) {    /* a peer reads its own migrations only */
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "migration.not_found", NULL, "there is no migration %s", mid);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_migration(&g, &m, 200, NULL);
}

/* ------------------------------------------------------------------ the destination's routes */

/* The calling peer, its request's body and the corridor it names, which must be ACTIVE. */
static mez_status_t peer_request(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *const *allowed,
                                 const mez_peer_t **peer, json_t **body, mez_corridor_t *c, mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_corridor_peer_request(r, sc, db, allowed, peer, body, c, pb)) != MEZ_OK)
        return st;
    if (c->state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 409, "corridor.not_active", "/corridor_id",
                           "corridor %s is %s, not ACTIVE", c->corridor_id,
                           mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state));
    return MEZ_OK;
}

/* POST /v1/corridors/peers/migrations/evaluate {corridor_id, migration: {migration_id, deadline,
 * destination_zone_id, source: {zone_id, entity_id}, formation}}: this zone's preview of the formation. */
static int peer_evaluate(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "migration", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    const mez_peer_t *peer;
    mez_corridor_glue_t g;
    json_t *body;

    mez_corridor_env_of(r, sc, db, &g);
    if (peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || mez_saga_inbound_evaluate(&g.env, peer->zone_id, body, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_orch_answer(r, &out);
}

/* POST /v1/corridors/peers/migrations/complete {corridor_id, sequence}: the formation, once per receipt, from
 * this zone's own verified copy of the chain; a repeat answers the same formation and the entity's status now. */
static int peer_complete(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "sequence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    const mez_peer_t *peer;
    mez_corridor_glue_t g;
    json_t *body, *answer;
    uint64_t seq;
    int formed_nothing = 0;

    mez_corridor_env_of(r, sc, db, &g);
    if (peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || mez_corridor_sequence_member(r->pool, body, &seq, &pb) != MEZ_OK
        || mez_saga_inbound_complete(&g.env, peer->zone_id, &c, seq, &out, &answer, &formed_nothing, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, formed_nothing ? json_pack("{s:b}", "migration_formed", 0) : NULL);
    if (!answer)
        return mez_send_text_typed(r, out.status, "application/problem+json", out.body_text);
    if (out.decision)
        apr_table_setn(r->notes, "mez-decision", out.decision);
    return mez_send_json(r, 200, json_incref(answer));
}

/* ------------------------------------------------------------------ routing */

int mez_migration_route(const request_rec *r)
{
    const char *cap[3];
    return !strncmp(r->uri, "/v1/corridors/peers/migrations/", 31)
        || (strncmp(r->uri, "/v1/corridors/peers/", 20)
            && (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations", cap, 1)
                || mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations/*", cap, 2)
                || mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations/*/*", cap, 3)));
}


int mez_migration_serve(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    const char *cap[3];

    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "migration.", r->method, NULL));
    if (!strncmp(r->uri, "/v1/corridors/peers/migrations/", 31)) {
        const char *what = r->uri + 31;
        if (!strcmp(what, "evaluate") || !strcmp(what, "complete")) {
            if (r->method_number != M_POST)
                return mez_send_method_not_allowed(r, "POST");
            return !strcmp(what, "evaluate") ? peer_evaluate(r, sc, db) : peer_complete(r, sc, db);
        }
    } else if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_migration(r, sc, db, cap[0]);
    } else if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations/*", cap, 2)) {
        if (r->method_number != M_GET)
            return mez_send_method_not_allowed(r, "GET");
        return get_migration(r, sc, db, cap[0], cap[1]);
    } else if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/migrations/*/*", cap, 3)
               && (!strcmp(cap[2], "advance") || !strcmp(cap[2], "cancel"))) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return !strcmp(cap[2], "advance") ? post_advance(r, sc, db, cap[0], cap[1])
                                          : post_cancel(r, sc, db, cap[0], cap[1]);
    }
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}
