/* mod_mez_watcher.c: corridor watchers over HTTP (mez/watcher.h decides; this file carries it).
 *
 *   operator           POST /v1/watchers                         {did, stake: {amount_minor, currency}}:
 *                                                                register, bond and activate in one transaction
 *                      POST /v1/watchers/{id}/unbond              ACTIVE | SLASHED -> UNBONDING
 *                      POST /v1/watchers/{id}/complete-unbond     UNBONDING -> DEACTIVATED, the stake returned, once
 *                                                                MezWatcherUnbondingPeriod (default 14 days) has
 *                                                                passed since the unbonding began
 *                      POST /v1/watchers/{id}/rebond              {stake}: SLASHED -> BONDED -> ACTIVE
 *   operator, regulator GET /v1/watchers, /v1/watchers/{id}       (the latter with its event log)
 *   watcher, operator  POST /v1/corridors/{id}/attestations       {attestation: WatcherAttestation credential}
 *   readers            GET  /v1/corridors/{id}/attestations
 *
 * Who may call what is conf/mez-policy.conf's business; what an attestation proves is its signature, so any
 * caller the policy admits may deliver a watcher's credential. /v1/corridors/... is routed by mod_mez_corridor.c,
 * which hands the attestations paths to mez_watcher_corridor_serve. Each write is one transaction of the store;
 * a slash answers its 409 with the slash ("slash": reason, amount, evidence digest, the watcher's state). */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/watcher.h"
#include "mez/corridor_exchange.h"
#include "mod_mez.h"

static json_t *watcher_json(apr_pool_t *p, const mez_watcher_t *w)
{
    (void)p;
    return json_pack("{s:s, s:s, s:s, s:{s:I, s:s?}, s:I, s:s, s:s}", "watcher_id", w->watcher_id, "did", w->did,
                     "state", mez_lifecycle_state_name(MEZ_LIFECYCLE_WATCHER, w->state), "stake", "amount_minor",
                     (json_int_t)w->stake_minor, "currency", w->currency, "slashed_minor",
                     (json_int_t)w->slashed_minor, "created_at", w->created_at, "updated_at", w->updated_at);
}

static json_t *events_json(apr_pool_t *p, const apr_array_header_t *events)
{
    json_t *arr = json_array();
    for (int i = 0; i < events->nelts; i++) {
        const mez_watcher_log_t *e = &APR_ARRAY_IDX(events, i, mez_watcher_log_t);
        json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s}", "step", e->step, "event", e->event, "to_state",
                              e->to_state, "amount_minor", (json_int_t)e->amount_minor, "created_at", e->created_at);
        json_t *ev = NULL;
        json_object_set_new(o, "from_state", e->from_state ? json_string(e->from_state) : json_null());
        json_object_set_new(o, "reason", e->reason ? json_string(e->reason) : json_null());
        /* The evidence is stored as canonical JSON text: served as the JSON it is. */
        if (e->evidence && mez_json_parse(p, e->evidence, strlen(e->evidence), &ev, NULL) == MEZ_OK)
            json_object_set(o, "evidence", ev);
        else
            json_object_set_new(o, "evidence", json_null());
        json_object_set_new(o, "evidence_digest", e->evidence_digest ? json_string(e->evidence_digest) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *attestation_json(apr_pool_t *p, const mez_watcher_attestation_t *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "watcher_id", a->watcher_id, "did", a->did,
                          "corridor_id", a->corridor_id, "tree_size", (json_int_t)a->tree_size, "root_hash", a->root,
                          "credential_digest", a->credential_digest);
    json_t *vc = NULL;
    json_object_set_new(o, "created_at", a->created_at ? json_string(a->created_at) : json_null());
    if (a->credential && mez_json_parse(p, a->credential, strlen(a->credential), &vc, NULL) == MEZ_OK)
        json_object_set(o, "credential", vc);
    return o;
}



/* ------------------------------------------------------------------ /v1/watchers */

/* The body's stake {amount_minor, currency}: an amount above 0 (the currency is the store's to check). */
static mez_status_t read_stake(request_rec *r, const json_t *body, uint64_t *amount, const char **currency,
                               mez_problem_t *pb)
{
    static const char *const stake_allowed[] = { "amount_minor", "currency", NULL };
    const json_t *stake = json_object_get(body, "stake"), *n;
    mez_status_t st;
    if (!json_is_object(stake))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/stake",
                           "stake {amount_minor, currency} is required");
    if ((st = mez_check_members(r, stake, "/stake", stake_allowed, pb)) != MEZ_OK)
        return st;
    n = json_object_get(stake, "amount_minor");
    if (!json_is_integer(n) || json_integer_value(n) <= 0)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "watcher.invalid_stake", "/stake/amount_minor",
                           "amount_minor is a whole number of minor units greater than 0");
    *amount = (uint64_t)json_integer_value(n);
    *currency = json_string_value(json_object_get(stake, "currency"));
    if (!*currency)
        *currency = "";
    return MEZ_OK;
}

static int post_watcher(request_rec *r, mez_db_t *db)
{
    static const char *const allowed[] = { "did", "stake", NULL };
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_watcher_t w;
    json_t *body;
    const char *did, *currency;
    uint64_t amount;

    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!(did = json_string_value(json_object_get(body, "did")))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/did", "did (the watcher's did:key) is "
                    "required");
        return mez_send_problem(r, &pb, NULL);
    }
    if (read_stake(r, body, &amount, &currency, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "watcher.enrol", "watcher", NULL, "committed", NULL, &aev);
    if (mez_watcher_enrol(r->pool, db, did, amount, currency, apr_time_now(), &aev, &w, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Location", apr_pstrcat(r->pool, "/v1/watchers/", w.watcher_id, NULL));
    return mez_send_json(r, 201, watcher_json(r->pool, &w));
}

static int get_watchers(request_rec *r, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *list;
    json_t *arr;
    if (mez_watcher_list(r->pool, db, &list, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < list->nelts; i++)
        json_array_append_new(arr, watcher_json(r->pool, &APR_ARRAY_IDX(list, i, mez_watcher_t)));
    return mez_send_json(r, 200, json_pack("{s:o}", "watchers", arr));
}

static int get_watcher(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *events;
    mez_watcher_t w;
    json_t *o;
    if (mez_watcher_get(r->pool, db, id, &w, &pb) != MEZ_OK
        || mez_watcher_events(r->pool, db, id, &events, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    o = watcher_json(r->pool, &w);
    json_object_set_new(o, "events", events_json(r->pool, events));
    return mez_send_json(r, 200, o);
}

static int post_unbond(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_watcher_t w;
    mez_request_audit_event(r, "watcher.unbond", "watcher", id, "committed", NULL, &aev);
    if (mez_watcher_unbond(r->pool, db, id, apr_time_now(), &aev, &w, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, watcher_json(r->pool, &w));
}

/* POST /v1/watchers/{id}/complete-unbond: the stake is returned once the zone's unbonding period has passed. */
static int post_complete_unbond(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_watcher_t w;
    apr_interval_time_t period = sc->watcher_unbonding >= 0 ? sc->watcher_unbonding
                                                             : MEZ_WATCHER_UNBONDING_DEFAULT;
    mez_request_audit_event(r, "watcher.complete_unbond", "watcher", id, "committed", NULL, &aev);
    if (mez_watcher_complete_unbond(r->pool, db, id, apr_time_now(), period, &aev, &w, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, watcher_json(r->pool, &w));
}

/* POST /v1/watchers/{id}/rebond {stake}: a slashed watcher bonds again and is ACTIVE. */
static int post_rebond(request_rec *r, mez_db_t *db, const char *id)
{
    static const char *const allowed[] = { "stake", NULL };
    mez_problem_t pb = { 0 };
    mez_audit_event_t aev;
    mez_watcher_t w;
    json_t *body;
    const char *currency;
    uint64_t amount;
    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK || read_stake(r, body, &amount, &currency, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_request_audit_event(r, "watcher.rebond", "watcher", id, "committed", NULL, &aev);
    if (mez_watcher_rebond(r->pool, db, id, amount, currency, apr_time_now(), &aev, &w, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, watcher_json(r->pool, &w));
}

int mez_watcher_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *cap[1];
    mez_db_t *db;
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "watcher.", r->method, NULL));
    if (!strcmp(r->uri, "/v1/watchers")) {
        if (r->method_number == M_GET)
            return get_watchers(r, db);
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "GET, POST");
        return post_watcher(r, db);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/watchers/*", cap, 1)) {
        if (r->method_number != M_GET)
            return mez_send_method_not_allowed(r, "GET");
        return get_watcher(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/watchers/*/unbond", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_unbond(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/watchers/*/complete-unbond", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_complete_unbond(r, sc, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/watchers/*/rebond", cap, 1)) {
        if (r->method_number != M_POST)
            return mez_send_method_not_allowed(r, "POST");
        return post_rebond(r, db, cap[0]);
    }
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}

/* ------------------------------------------------------------------ /v1/corridors/{id}/attestations */

static int post_attestation(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *corridor_id)
{
    static const char *const allowed[] = { "attestation", NULL };
    mez_audit_event_t aev;
    mez_watcher_zone_t zone = { sc->zone_id, sc->key, "/attestation", &aev };
    mez_problem_t pb = { 0 };
    mez_watcher_attest_t out;
    json_t *body, *vc, *o;
    const char *subject_corridor;

    if (mez_read_json_object(r, allowed, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_object(vc = json_object_get(body, "attestation"))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/attestation",
                    "attestation (a WatcherAttestation credential) is required");
        return mez_send_problem(r, &pb, NULL);
    }
    /* The credential names its corridor; posting it under another corridor's path is a mistake, not a claim. */
    subject_corridor = json_string_value(json_object_get(json_object_get(vc, "credentialSubject"), "corridor_id"));
    if (subject_corridor && strcmp(subject_corridor, corridor_id)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "watcher.corridor_mismatch",
                    "/attestation/credentialSubject/corridor_id", "the attestation is of corridor %s, not %s",
                    subject_corridor, corridor_id);
        return mez_send_problem(r, &pb, NULL);
    }
    mez_request_audit_event(r, "watcher.attest", "watcher", NULL, "committed", NULL, &aev);
    if (mez_watcher_attest(r->pool, db, &zone, vc, apr_time_now(), &out, &pb) != MEZ_OK) {
        json_t *extra = NULL;
        /* The watcher delivered the sequencer's own signature on another history: halt as sync would. */
        if (out.fork_evidence_digest) {
            mez_corridor_glue_t g;
            mez_corridor_env_of(r, sc, db, &g);
            mez_corridor_halt_for_fork(&g.env, corridor_id, "a watcher delivered a checkpoint contradicting the chain",
                                       out.fork_evidence_digest);
            return mez_send_problem(r, &pb, json_pack("{s:s}", "evidence_digest", out.fork_evidence_digest));
        }
        if (out.slash_reason)
            extra = json_pack("{s:{s:s, s:s, s:I, s:s?, s:s, s:s, s:I}}", "slash", "watcher_id",
                              out.watcher.watcher_id, "reason", out.slash_reason, "amount_minor",
                              (json_int_t)out.slashed_minor, "currency", out.watcher.currency, "evidence_digest",
                              out.evidence_digest, "state",
                              mez_lifecycle_state_name(MEZ_LIFECYCLE_WATCHER, out.watcher.state),
                              "stake_minor", (json_int_t)out.watcher.stake_minor);
        return mez_send_problem(r, &pb, extra);
    }
    o = attestation_json(r->pool, &out.attestation);
    json_object_set_new(o, "repeated", json_boolean(out.repeated));
    return mez_send_json(r, out.repeated ? 200 : 201, o);
}

static int get_attestations(request_rec *r, mez_db_t *db, const char *corridor_id)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *list;
    json_t *arr;
    if (mez_watcher_attestations(r->pool, db, corridor_id, &list, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < list->nelts; i++)
        json_array_append_new(arr, attestation_json(r->pool, &APR_ARRAY_IDX(list, i, mez_watcher_attestation_t)));
    return mez_send_json(r, 200, json_pack("{s:s, s:o}", "corridor_id", corridor_id, "attestations", arr));
}

int mez_watcher_corridor_serve(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *corridor_id)
{
    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "watcher.attestation.", r->method, NULL));
    if (r->method_number == M_GET)
        return get_attestations(r, db, corridor_id);
    if (r->method_number != M_POST)
        return mez_send_method_not_allowed(r, "GET, POST");
    return post_attestation(r, sc, db, corridor_id);
}
