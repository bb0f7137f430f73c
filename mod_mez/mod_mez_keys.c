/* mod_mez_keys.c: zone key rotation as seen over HTTP (mez/key_rotation.h).
 *
 *   GET  /v1/zone/keys                        public: the zone's key history and the rotation credentials that
 *                                             link each key to the one before (anyone can check the chain of
 *                                             keys from a DID they trusted to the one signing now)
 *   POST /v1/corridors/peers/key-rotation     a peer announces its new key: {credential}, a signed request with
 *                                             the key it is leaving (the one this zone knows it by)
 *
 * The rotation itself is `mez key rotate` (cli/cmd_key.c): the new key must reach the key file and httpd must be
 * reloaded, neither of which a child running as the httpd user may do.
 *
 * Accepting a peer's rotation is mez_peer_key_accept's one transaction (from then on the peer is known by the new
 * DID and its old key is refused; a zone.key_rotation receipt on every corridor with that peer which this zone
 * sequences; the audit row). The receipts are then pushed to the peer; a push that fails is caught up by the next
 * sync, as any other. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/corridor_exchange.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

int mez_keys_get(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *rows;
    mez_db_t *db;
    json_t *keys, *rotations;

    if (!(db = mez_zone_db(r, sc, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_zone_key_list(r->pool, db, sc->zone_id, &rows, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    keys = json_array();
    rotations = json_array();
    for (int i = 0; i < rows->nelts; i++) {
        const mez_zone_key_row_t *k = &APR_ARRAY_IDX(rows, i, mez_zone_key_row_t);
        json_t *vc = NULL;
        json_array_append_new(keys, json_pack("{s:s, s:s, s:s*, s:s*, s:s*, s:s*}", "did", k->did,
                                              "verification_method", k->verification_method, "previous_did",
                                              k->previous_did, "activated_at", k->activated_at, "retired_at",
                                              k->retired_at, "rotation_digest", k->rotation_digest));
        if (k->rotation_credential
            && mez_json_parse(r->pool, k->rotation_credential, strlen(k->rotation_credential), &vc, &pb) == MEZ_OK)
            json_array_append(rotations, vc);
    }
    /* A zone that never rotated has one key: the one it signs with. */
    if (!rows->nelts)
        json_array_append_new(keys, json_pack("{s:s, s:s}", "did", sc->did, "verification_method",
                                              sc->verification_method));
    return mez_send_json(r, HTTP_OK, json_pack("{s:s, s:s, s:o, s:o}", "zone_id", sc->zone_id, "did", sc->did,
                                               "keys", keys, "rotations", rotations));
}

int mez_keys_peer_notice(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "credential", NULL };
    mez_problem_t pb = { 0 };
    const mez_peer_t *peer;
    mez_key_rotation_t rot;
    mez_audit_event_t ev;
    apr_array_header_t *recorded = NULL;
    mez_corridor_glue_t g;
    json_t *body, *vc, *delivery;
    int repeated = 0;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    vc = json_object_get(body, "credential");
    mez_request_audit_event(r, "peer.key_rotated", "peer", peer->zone_id, "committed", NULL, &ev);
    if (mez_key_rotation_check(r->pool, vc, peer->zone_id, NULL, "/credential", &rot, &pb) != MEZ_OK
        || mez_peer_key_accept(r->pool, db, sc->key, peer->did, vc, &rot, apr_time_now(), &ev, &repeated, &recorded,
                               &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "peer %s rotated its key from %s to %s (%s)%s", peer->zone_id,
                  rot.previous_did, rot.new_did, rot.digest, repeated ? ", told again" : "");
    /* The chain's record of the rotation goes to the peer now when it can; otherwise with the next sync. */
    mez_corridor_env_of(r, sc, db, &g);
    delivery = json_array();
    for (int i = 0; recorded && i < recorded->nelts; i++) {
        const char *id = APR_ARRAY_IDX(recorded, i, const char *);
        mez_problem_t dpb = { 0 };
        json_t *peer_problem = NULL;
        int ok = mez_corridor_push(&g.env, id, &peer_problem, &dpb) == MEZ_OK;
        json_decref(peer_problem);
        json_array_append_new(delivery, json_pack("{s:s, s:b, s:s*}", "corridor_id", id, "delivered", ok, "code",
                                                  ok ? NULL : dpb.code));
    }
    return mez_send_json(r, HTTP_OK, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "zone_id", peer->zone_id,
                                               "previous_did", rot.previous_did, "new_did", rot.new_did,
                                               "credential_digest", rot.digest, "repeated", repeated, "corridors",
                                               delivery));
}
