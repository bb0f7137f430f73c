/* mod_mez_corridor.c: the corridor protocol over HTTP (DESIGN section 6): an operator's routes that open, write,
 * sync and move a corridor, the peer routes another zone calls with RFC 9421 signed requests (AuthType mez admits
 * them as "peer" principals, mod_mez_peer.c), and the public proofs and checkpoints a watcher or a standard
 * transparency-log verifier reads. What is decided lives in libmezcore (mez/corridor_proto.h: documents and
 * signed receipts; mez/corridor.h: the store; mez/corridor_exchange.h: the sequencer's append and push, the
 * responder's take, pull and checkpoint, forks and halts); this file reads requests, gives the exchange what only
 * the server has (mez_corridor_env_of) and answers.
 *
 *   operator   POST /v1/corridors                      propose to a MezPeer (CorridorDefinition sent)
 *              POST /v1/corridors/{id}/propose         send the definition again (after a failed delivery)
 *              POST /v1/corridors/{id}/accept          the responder agrees; both zones establish -> ACTIVE
 *              POST /v1/corridors/{id}/receipts        append a transition (the responder asks the sequencer)
 *              POST /v1/corridors/{id}/sync            the sequencer pushes what its peer lacks; the responder pulls
 *              POST /v1/corridors/{id}/checkpoints     sign a checkpoint of the current chain
 *              POST /v1/corridors/{id}/transition      halt, suspend, resume, deprecate
 *              POST /v1/corridors/{id}/transfers       a cross-border transfer, both zones deciding
 *                                                      (mod_mez_transfer.c)
 *              POST /v1/corridors/{id}/settle          ask the destination again to settle a transfer
 *   readers    GET  /v1/corridors, /v1/corridors/{id}, .../documents, .../receipts[?from=&limit=],
 *              .../receipts/{seq}
 *   public     GET  .../proofs/inclusion?seq=[&size=], .../proofs/consistency?from=&to=, .../checkpoint
 *   peers      POST /v1/corridors/peers/propose|accept|receipts|transitions|transfers/evaluate|transfers/settle
 *
 * Delivery never loses a receipt: the sequencer's append commits before it pushes, the push sends everything
 * from what the peer last acknowledged, and the receiver answers a receipt it already holds as a repeat. A push
 * that fails leaves the corridor's acked_size behind; the next append or sync sends the rest. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/checkpoint.h"
#include "mez/corridor.h"
#include "mez/corridor_exchange.h"
#include "mez/corridor_handshake.h"
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/key_rotation.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "mez/mass.h"
#include "mez/orchestrate.h"
#include "mez/vc.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);


/* ------------------------------------------------------------------ small helpers */

static const char *origin_of(apr_pool_t *p, const mez_srv_conf_t *sc, const char *corridor_id)
{
    const char *origin = NULL;
    mez_problem_t pb = { 0 };
    return mez_checkpoint_origin(p, sc->zone_id, corridor_id, &origin, &pb) == MEZ_OK ? origin : NULL;
}

static json_t *corridor_json(request_rec *r, const mez_srv_conf_t *sc, const mez_corridor_t *c)
{
    apr_pool_t *p = r->pool;
    const char *origin = origin_of(p, sc, c->corridor_id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s}", "corridor_id", c->corridor_id,
                          "peer_zone_id", c->peer_zone_id, "peer_did", c->peer_did, "role",
                          c->role == MEZ_CORRIDOR_RESPONDER ? "responder" : "proposer", "state",
                          mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state), "definition_digest",
                          c->definition_digest, "size", (json_int_t)c->size, "root", mez_digest_hex(p, &c->root),
                          "peer_acknowledged_size", (json_int_t)c->acked_size, "created_at", c->created_at,
                          "updated_at", c->updated_at);
    json_object_set_new(o, "agreement_digest", c->established ? json_string(c->agreement_digest) : json_null());
    json_object_set_new(o, "genesis_root", c->established ? json_string(mez_digest_hex(p, &c->genesis_root))
                                                          : json_null());
    json_object_set_new(o, "head", c->established ? json_string(mez_digest_hex(p, &c->head)) : json_null());
    /* Who signs the next receipt: the chain's sequencer key after every zone.key_rotation it records. */
    json_object_set_new(o, "sequencer_did", json_string(c->signer_did ? c->signer_did
                                                        : c->role == MEZ_CORRIDOR_RESPONDER ? c->peer_did : sc->did));
    /* The sequencer's log: its checkpoints are signed under this origin with this verifier key. */
    if (c->role == MEZ_CORRIDOR_PROPOSER && origin) {
        json_object_set_new(o, "checkpoint_origin", json_string(origin));
        json_object_set_new(o, "checkpoint_vkey", json_string(mez_checkpoint_vkey(p, origin, sc->key)));
    }
    return o;
}

static int send_corridor(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db, const char *id, int status,
                         json_t *extra)
{
    mez_corridor_t c;
    mez_problem_t pb = { 0 };
    json_t *o;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, extra);
    o = corridor_json(r, sc, &c);
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    return mez_send_json(r, status, o);
}

static int need_db(request_rec *r, mez_db_t **db, mez_problem_t *pb)
{
    return (*db = mez_request_db_or_problem(r, NULL, pb)) != NULL;
}

/* The peer a signed request came from (AuthType mez set it); peer routes answer nobody else, whatever the
 * configuration's Require lines say. */
const mez_peer_t *mez_corridor_calling_peer(request_rec *r, const mez_srv_conf_t *sc, mez_problem_t *pb)
{
    const mez_peer_t *peer = mez_peer_find(r, sc, apr_table_get(r->notes, "mez-peer"));
    if (!peer)
        mez_problem(pb, r->pool, MEZ_EINVAL, 403, "corridor.peer_only", NULL,
                    "this route answers only a peer zone's signed request (MezPeer, RFC 9421)");
    return peer;
}

mez_status_t mez_corridor_of_peer(request_rec *r, mez_db_t *db, const char *id, const mez_peer_t *peer,
                                  mez_corridor_t *c, mez_problem_t *pb)
{
    mez_status_t st;
    if (!id || !*id)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/corridor_id",
                           "corridor_id is required");
    if ((st = mez_corridor_get(r->pool, db, id, c, pb)) != MEZ_OK)
        return st;
    /* The reference never checked that the sender belongs to the corridor (corridors.md section 9 item 6). */
    if (strcmp(c->peer_zone_id, peer->zone_id) || strcmp(c->peer_did, peer->did))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 403, "corridor.not_party", "/corridor_id",
                           "corridor %s is not between this zone and %s", id, peer->zone_id);
    return MEZ_OK;
}

mez_status_t mez_corridor_body(request_rec *r, const char *const *allowed, int optional, json_t **body,
                               mez_problem_t *pb)
{
    const char *len = apr_table_get(r->headers_in, "Content-Length");
    if (optional && (!len || !strcmp(len, "0")) && !apr_table_get(r->headers_in, "Transfer-Encoding")) {
        *body = mez_json_pool_own(r->pool, json_object());
        return MEZ_OK;
    }
    return mez_read_json_object(r, allowed, body, pb);
}

mez_status_t mez_corridor_peer_request(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db,
                                       const char *const *allowed, const mez_peer_t **peer, json_t **body,
                                       mez_corridor_t *c, mez_problem_t *pb)
{
    if (!(*peer = mez_corridor_calling_peer(r, sc, pb)) || mez_corridor_body(r, allowed, 0, body, pb) != MEZ_OK)
        return MEZ_EINVAL;
    return mez_corridor_of_peer(r, db, json_string_value(json_object_get(*body, "corridor_id")), *peer, c, pb);
}

/* ------------------------------------------------------------------ calling the peer */

mez_status_t mez_corridor_call_peer(request_rec *r, const mez_srv_conf_t *sc, const mez_peer_t *peer,
                                    const char *method, const char *path, const char *query, json_t *body,
                                    mez_peer_answer_t *ans, mez_problem_t *pb)
{
    mez_http_opts_t opts = { 0 };
    const char *url, *text = NULL, *resp = NULL;
    apr_size_t len = 0;
    mez_problem_t tpb = { 0 };
    mez_status_t st;

    memset(ans, 0, sizeof(*ans));
    if (body)
        mez_json_pool_own(r->pool, body);   /* callers pass a new reference */
    if ((st = mez_http_url_join(r->pool, peer->url, path, query, &url, pb)) != MEZ_OK)
        return st;
    /* Sorted as RFC 8785 writes it, but every integer in full: the peer reads input strictly (mez/json.h), and
     * RFC 8785 writes 2^63 - 1 as 9223372036854776000, beyond 64 bits, which it would refuse (review). */
    if (body && (st = mez_json_serialize(r->pool, body, MEZ_JSON_EXACT_INTEGERS, &text, NULL, pb)) != MEZ_OK)
        return st;
    opts.ca_file = sc->peer_ca_file;
    opts.max_retries = 2;
    opts.timeout_ms = 20000;
    if (mez_httpsig_call(r->pool, &opts, sc->key, method, url, text, &ans->status, &resp, &len, &tpb) != MEZ_OK) {
        mez_metrics_peer_call(r, peer->zone_id, 0);
        return mez_problem(pb, r->pool, MEZ_EIO, 503, "corridor.peer_unreachable", NULL, "peer %s (%s): %s",
                           peer->zone_id, peer->url, tpb.detail ? tpb.detail : tpb.code ? tpb.code : "no answer");
    }
    mez_metrics_peer_call(r, peer->zone_id, ans->status);
    ans->text = resp;
    if (len && mez_json_parse_input(r->pool, resp, len, &ans->body, &tpb) != MEZ_OK)
        ans->body = NULL;
    /* Ids, digests and states are read out of the answer as C strings, which a NUL would cut short (mez/json.h):
     * an answer holding one is no answer, whatever its status. */
    if (ans->body) {
        const char *at = mez_json_find_nul(r->pool, ans->body, "");
        if (at) {
            int status = ans->status;
            /* Nothing of it for the caller to act on: not a refusal (mez_peer_said_no), not a problem to record. */
            ans->body = NULL;
            ans->status = 0;
            return mez_problem(pb, r->pool, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                               "peer %s answered %s %s with HTTP %d, but a string at '%s' of its answer holds a NUL "
                               "(\\u0000)", peer->zone_id, method, path, status, at);
        }
    }
    if (ans->status >= 200 && ans->status < 300 && json_is_object(ans->body))
        return MEZ_OK;
    {
        const char *code = json_string_value(json_object_get(ans->body, "code"));
        const char *detail = json_string_value(json_object_get(ans->body, "detail"));
        /* A peer that fails (5xx) is unavailable, as one that does not answer; one that refuses (4xx) refused. */
        return mez_problem(pb, r->pool, MEZ_EIO, ans->status >= 500 ? 503 : 502,
                           ans->status >= 500 ? "corridor.peer_unavailable" : "corridor.peer_refused", NULL,
                           "peer %s answered %d %s: %s", peer->zone_id, ans->status, code ? code : "",
                           detail ? detail : "(no problem document)");
    }
}

/* ------------------------------------------------------------------ establishment */

/* POST /v1/corridors {peer_zone_id, corridor_id?, lawpack_digest_set?, ruleset_digest_set?} */
static int post_corridor(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "peer_zone_id", "corridor_id", "lawpack_digest_set",
                                           "ruleset_digest_set", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_glue_t g;
    const char *id;
    json_t *body, *delivery;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_corridor_propose(&g.env, body, &id, &delivery, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Location", apr_pstrcat(r->pool, "/v1/corridors/", id, NULL));
    return send_corridor(r, sc, db, id, 201, json_pack("{s:o}", "delivery", delivery));
}

/* POST /v1/corridors/{id}/propose: the stored definition again, for a peer that did not get it. */
static int post_repropose(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_glue_t g;
    json_t *pp;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_propose_again(&g.env, id, &pp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, pp);
    return send_corridor(r, sc, db, id, 200, json_pack("{s:{s:b}}", "delivery", "delivered", 1));
}

/* The member of a request body a problem's pointer leads into: for "/receipts/3/proof/jws" the receipt
 * "/receipts/3", for "/definition/issuer" the definition. NULL when the pointer names nothing in it. */
static const json_t *refused_document(const json_t *body, const char *pointer)
{
    const json_t *v = body;
    char name[128];
    for (int depth = 0; v && pointer && *pointer == '/' && depth < 2; depth++) {
        size_t n = strcspn(pointer + 1, "/");
        if (n >= sizeof(name))
            return NULL;
        memcpy(name, pointer + 1, n);
        name[n] = '\0';
        pointer += n + 1;
        if (json_is_array(v)) {
            char *end;
            long i = strtol(name, &end, 10);
            v = *end || i < 0 ? NULL : json_array_get(v, (size_t)i);
        }
        else
            v = json_object_get(v, name);
        if (depth == 0 && !json_is_array(v))
            break;
    }
    return v;
}

/* Evidence of what a peer sent and this zone refused, in the zone's hash-chained audit log: the problem, the
 * peer's signature headers (the signature covers the Content-Digest of the body it sent) and the refused
 * document itself (the receipt, definition or agreement the pointer leads into). Kept even though the request
 * changed nothing else: a peer that sends tampered or misplaced receipts is a fact an operator and a regulator
 * must be able to show. */
static void keep_peer_refusal(request_rec *r, mez_db_t *db, const char *corridor_id, const json_t *body,
                              const mez_problem_t *pb)
{
    mez_problem_t apb = { 0 };
    mez_db_tx_t *tx;
    const json_t *doc = refused_document(body, pb->pointer);
    json_t *detail = json_pack("{s:s, s:s, s:i}", "code", pb->code ? pb->code : "internal", "peer",
                               apr_table_get(r->notes, "mez-peer") ? apr_table_get(r->notes, "mez-peer") : "",
                               "status", pb->status);
    const char *h;
    if (pb->pointer)
        json_object_set_new(detail, "pointer", json_string(pb->pointer));
    if (pb->detail)
        json_object_set_new(detail, "detail", json_string(pb->detail));
    if ((h = apr_table_get(r->headers_in, "Content-Digest")))
        json_object_set_new(detail, "content_digest", json_string(h));
    if ((h = apr_table_get(r->headers_in, "Signature-Input")))
        json_object_set_new(detail, "signature_input", json_string(h));
    if ((h = apr_table_get(r->headers_in, "Signature")))
        json_object_set_new(detail, "signature", json_string(h));
    if (doc && doc != body)
        json_object_set(detail, "document", (json_t *)doc);
    if (mez_db_begin(r->pool, db, &tx, &apb) != MEZ_OK) {
        json_decref(detail);    /* mez_request_audit would have taken it */
        goto fail;
    }
    if (mez_request_audit(r, db, "corridor.peer_refused", "corridor", corridor_id ? corridor_id : "", "refused",
                          detail, &apb) != MEZ_OK || mez_db_commit(r->pool, tx, &apb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        goto fail;
    }
    return;
fail:
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "evidence of a refused peer request not kept: %s",
                  apb.detail ? apb.detail : apb.code);
}

/* POST /v1/corridors/peers/propose {definition} */
static int peer_propose(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "definition", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_glue_t g;
    const mez_peer_t *peer;
    const char *id;
    json_t *body;
    int repeated, refused_document;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_take_proposal(&g.env, peer->zone_id, peer->did, body, &id, &repeated, &refused_document, &pb)
        != MEZ_OK) {
        if (refused_document && pb.status < 500)
            keep_peer_refusal(r, db, NULL, body, &pb);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_corridor(r, sc, db, id, repeated ? 200 : 201, NULL);
}

/* POST /v1/corridors/peers/accept {corridor_id, agreement}: the proposer's side of acceptance. */
static int peer_accept(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "agreement", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_corridor_glue_t g;
    const mez_peer_t *peer;
    json_t *body, *agreements;
    int refused_document;

    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_take_agreement(&g.env, &c, peer->did, body, &agreements, &refused_document, &pb) != MEZ_OK) {
        if (refused_document && pb.status < 500)
            keep_peer_refusal(r, db, c.corridor_id, body, &pb);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_corridor(r, sc, db, c.corridor_id, 200, json_pack("{s:o}", "agreements", agreements));
}

/* POST /v1/corridors/{id}/accept: the responder agrees, the proposer counter-signs, both establish. */
static int post_accept(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_glue_t g;
    json_t *pp;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_accept(&g.env, id, &pp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, pp);
    return send_corridor(r, sc, db, id, 200, NULL);
}

/* ------------------------------------------------------------------ receipts between zones */

static mez_status_t receipts_array(request_rec *r, const json_t *v, const char *ptr, mez_problem_t *pb)
{
    if (!json_is_array(v) || json_array_size(v) > MEZ_CORRIDOR_BATCH)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", ptr,
                           "receipts is an array of at most %d receipts", MEZ_CORRIDOR_BATCH);
    return MEZ_OK;
}

/* POST /v1/corridors/peers/receipts {corridor_id, receipts}: the sequencer's push. */
static int peer_receipts(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "receipts", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    const mez_peer_t *peer;
    mez_corridor_glue_t g;
    json_t *body;
    int appended, repeated;

    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || receipts_array(r, json_object_get(body, "receipts"), "/receipts", &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (c.role != MEZ_CORRIDOR_RESPONDER) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "corridor.peer_not_sequencer", "/corridor_id",
                    "this zone writes corridor %s's chain: %s cannot push receipts to it", c.corridor_id,
                    peer->zone_id);
        return mez_send_problem(r, &pb, NULL);
    }
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_take_receipts(&g.env, &c, json_object_get(body, "receipts"), "/receipts", &appended, &repeated,
                                   &pb) != MEZ_OK) {
        if (pb.status < 500)
            keep_peer_refusal(r, db, c.corridor_id, body, &pb);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_corridor(r, sc, db, c.corridor_id, 200,
                         json_pack("{s:i, s:i}", "appended", appended, "repeated", repeated));
}

/* POST /v1/corridors/peers/transitions {corridor_id, transition}: the responder asks the sequencer to append. */
static int peer_transitions(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "transition", "request_ref", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_corridor_append_t out;
    mez_corridor_glue_t g;
    const mez_peer_t *peer;
    const char *ref;
    json_t *body, *receipt, *transition;

    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || mez_corridor_transition_check(r->pool, json_object_get(body, "transition"), &pb) != MEZ_OK
        || mez_corridor_peer_may_request(r->pool, sc->zone_id, peer->zone_id, json_object_get(body, "transition"),
                                         &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    /* The receipt records who asked: a member of the transition (receipts have no free member, and a transition is
     * whatever object was asked), so receipts stored before it verify as they did. Absent: this zone's own. */
    transition = mez_json_pool_own(r->pool, json_deep_copy(json_object_get(body, "transition")));
    json_object_set_new(transition, "requested_by", json_pack("{s:s}", "zone_id", peer->zone_id));
    /* The responder's own reference for its request, kept apart from this zone's references. */
    ref = json_string_value(json_object_get(body, "request_ref"));
    if (json_object_get(body, "request_ref") && (!ref || !*ref || strlen(ref) > 200)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "/request_ref",
                    "request_ref is 1..200 characters");
        return mez_send_problem(r, &pb, NULL);
    }
    if (ref)
        ref = apr_pstrcat(r->pool, "peer:", peer->zone_id, ":", ref, NULL);
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_sequence(&g.env, c.corridor_id, transition, ref, &receipt, &out, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 201, json_pack("{s:s, s:I, s:I, s:s, s:O}", "corridor_id", c.corridor_id, "sequence",
                                           (json_int_t)out.seq, "size", (json_int_t)out.size, "root",
                                           mez_digest_hex(r->pool, &out.root), "receipt", receipt));
}

/* The Idempotency-Key of a corridor write that cannot share one transaction with its work (mez/idempotency.h, the
 * remote-call pattern): the intent is committed first. Returns 1 to go on, *ref then the request's own reference
 * (a digest of zone, caller, corridor and key: the same for every retry of it); 0 when it has answered (the first
 * answer again, or a refusal). */
int mez_corridor_idem_open(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id, const char *key,
                           const json_t *body, apr_interval_time_t lease, mez_idem_scope_t *scope,
                           const char **ref, int *rc)
{
    mez_problem_t pb = { 0 };
    mez_idem_result_t res;
    mez_digest_t d;
    const char *seed;

    scope->zone_id = sc->zone_id;
    scope->principal = mez_request_actor(r);
    scope->route = apr_pstrcat(r->pool, "POST ", r->uri, NULL);
    if (mez_idem_open(r->pool, db, scope, key, "POST", r->uri, body, r->request_time, lease, NULL, &res, &pb)
        != MEZ_OK) {
        *rc = mez_send_problem(r, &pb, NULL);
        return 0;
    }
    if (res.outcome == MEZ_IDEM_REPLAY) {
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
        *rc = mez_send_text_typed(r, res.status, res.status >= 400 ? "application/problem+json" : "application/json",
                                  res.body);
        return 0;
    }
    seed = apr_pstrcat(r->pool, sc->zone_id, "\n", scope->principal, "\n", id, "\n", key, NULL);
    mez_digest_sha256(seed, strlen(seed), &d);
    *ref = mez_digest_hex(r->pool, &d);
    return 1;
}

#define RECEIPT_LEASE apr_time_from_sec(60)   /* an unfinished append's Idempotency-Key intent, then retried */

/* POST /v1/corridors/{id}/receipts {transition}, with an optional Idempotency-Key: the receipt is recorded under a
 * reference derived from the key (mez_corridor_append_ref), so a retry, whatever happened to the first attempt,
 * finds the receipt the first one appended instead of appending another; a completed one is answered its first
 * answer. */
static int post_receipt(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    static const char *const allowed[] = { "transition", NULL };
    mez_problem_t pb = { 0 }, kpb = { 0 };
    mez_idem_scope_t scope = { 0 };
    mez_corridor_t c;
    mez_corridor_glue_t g;
    const char *key = apr_table_get(r->headers_in, "Idempotency-Key"), *ref = NULL, *text;
    json_t *body, *receipt = NULL, *delivery = NULL, *answer;
    uint64_t seq = 0;

    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_corridor_transition_check(r->pool, json_object_get(body, "transition"), &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (key) {
        int rc;
        if (!mez_corridor_idem_open(r, sc, db, id, key, body, RECEIPT_LEASE, &scope, &ref, &rc))
            return rc;
        ref = apr_pstrcat(r->pool, "key:", ref, NULL);
    }
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_record(&g.env, id, json_object_get(body, "transition"), ref, &receipt, &seq, &delivery, &pb)
            != MEZ_OK
        || mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK) {
        /* Nothing is kept for the key: a retry looks its receipt up by the same reference anyway. */
        if (key)
            mez_idem_close(r->pool, db, &scope, key, MEZ_IDEM_FORGET, NULL, r->request_time, &kpb);
        return mez_send_problem(r, &pb, NULL);
    }
    answer = corridor_json(r, sc, &c);
    json_object_set(answer, "receipt", receipt);
    json_object_set_new(answer, "sequence", json_integer((json_int_t)seq));
    json_object_set(answer, "delivery", delivery);
    text = apr_pstrcat(r->pool, mez_json_dump(r->pool, mez_json_pool_own(r->pool, answer), 0), "\n", NULL);
    if (key)
        mez_idem_close(r->pool, db, &scope, key, 201, text, r->request_time, &kpb);
    if (kpb.code)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "receipt %" APR_UINT64_T_FMT " of %s: its Idempotency-Key "
                      "record: %s", seq, id, kpb.detail ? kpb.detail : kpb.code);
    apr_table_setn(r->headers_out, "Location",
                   apr_psprintf(r->pool, "/v1/corridors/%s/receipts/%" APR_UINT64_T_FMT, id, seq));
    return mez_send_text_typed(r, 201, "application/json", text);
}

/* POST /v1/corridors/{id}/sync */
static int post_sync(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_corridor_glue_t g;
    json_t *pp = NULL;
    mez_status_t st;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_corridor_env_of(r, sc, db, &g);
    st = c.role == MEZ_CORRIDOR_PROPOSER ? mez_corridor_push(&g.env, id, &pp, &pb)
                                         : mez_corridor_pull(&g.env, id, &pp, &pb);
    if (st != MEZ_OK)
        return mez_send_problem(r, &pb, pp);
    return send_corridor(r, sc, db, id, 200, NULL);
}

/* ------------------------------------------------------------------ reads, proofs, checkpoints */

/* A corridor read's query: only the parameters it names (mez_read_query: each once, URL-decoded; another is 400
 * request.unknown_parameter), each a whole number. 0 with *pb set when it is not. */
static int corridor_query(request_rec *r, const char *const *names, apr_table_t **q, mez_problem_t *pb)
{
    return mez_read_query(r, names, q, pb) == MEZ_OK;
}

static int query_u64(request_rec *r, apr_table_t *q, const char *name, int required, uint64_t dflt, uint64_t *out,
                     mez_problem_t *pb)
{
    apr_int64_t v;
    if (required && !apr_table_get(q, name)) {
        mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.missing_parameter", apr_pstrcat(r->pool, "/", name, NULL),
                    "the query parameter %s is required", name);
        return 0;
    }
    if (mez_query_int(r, q, name, 0, APR_INT64_MAX, (apr_int64_t)dflt, &v, pb) != MEZ_OK)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static json_t *path_json(apr_pool_t *p, const mez_digest_t *path, size_t len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(arr, json_string(mez_digest_hex(p, &path[i])));
    return arr;
}

static int get_inclusion(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_digest_t leaf, root, *path;
    size_t len;
    uint64_t seq, size;
    static const char *const names[] = { "seq", "size", NULL };
    apr_table_t *q;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK || !corridor_query(r, names, &q, &pb)
        || !query_u64(r, q, "seq", 1, 0, &seq, &pb) || !query_u64(r, q, "size", 0, c.size, &size, &pb)
        || mez_corridor_inclusion_proof(r->pool, db, id, seq, size, &leaf, &path, &len, &pb) != MEZ_OK
        || mez_corridor_root_at(r->pool, db, id, size, &root, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, json_pack("{s:s, s:I, s:I, s:s, s:o, s:s}", "corridor_id", id, "seq",
                                           (json_int_t)seq, "size", (json_int_t)size, "leaf",
                                           mez_digest_hex(r->pool, &leaf), "path", path_json(r->pool, path, len),
                                           "root", mez_digest_hex(r->pool, &root)));
}

static int get_consistency(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_digest_t r1, r2, *path;
    size_t len;
    uint64_t from, to;
    static const char *const names[] = { "from", "to", NULL };
    apr_table_t *q;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK || !corridor_query(r, names, &q, &pb)
        || !query_u64(r, q, "from", 1, 0, &from, &pb) || !query_u64(r, q, "to", 0, c.size, &to, &pb)
        || mez_corridor_consistency_proof(r->pool, db, id, from, to, &path, &len, &pb) != MEZ_OK
        || mez_corridor_root_at(r->pool, db, id, from, &r1, &pb) != MEZ_OK
        || mez_corridor_root_at(r->pool, db, id, to, &r2, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, json_pack("{s:s, s:I, s:I, s:s, s:s, s:o}", "corridor_id", id, "from",
                                           (json_int_t)from, "to", (json_int_t)to, "from_root",
                                           mez_digest_hex(r->pool, &r1), "to_root", mez_digest_hex(r->pool, &r2),
                                           "path", path_json(r->pool, path, len)));
}

/* GET .../checkpoint: the last signed note as text/plain, what transparency-log witnesses fetch. */
static int get_checkpoint(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    const char *note = NULL;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK
        || mez_corridor_last_checkpoint(r->pool, db, id, &note, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!note) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "corridor.no_checkpoint", NULL,
                    "corridor %s has no signed checkpoint yet", id);
        return mez_send_problem(r, &pb, NULL);
    }
    return mez_send_text_typed(r, 200, "text/plain; charset=utf-8", note);
}

/* The checkpoint as a ReceiptCheckpoint credential (DESIGN section 3): for verifiers of credentials rather than
 * of transparency logs. It carries the signed note itself, so both forms say the same thing by construction. */
static json_t *receipt_checkpoint_credential(request_rec *r, const mez_srv_conf_t *sc, const char *id,
                                             const char *origin, const mez_checkpoint_t *cp, const char *note,
                                             mez_problem_t *pb)
{
    mez_vc_proof_options_t opts = { 0 };
    mez_digest_t d;
    json_t *cred, *vc;
    mez_digest_sha256(note, strlen(note), &d);
    cred = json_pack("{s:[s], s:[s,s], s:s, s:{s:s, s:s, s:s, s:I, s:s, s:s, s:s}}", "@context", MEZ_VC_CONTEXT_V2,
                     "type", "VerifiableCredential", "ReceiptCheckpoint", "validFrom", mez_time_now_rfc3339(r->pool),
                     "credentialSubject", "id", apr_pstrcat(r->pool, "urn:mez:corridor:", id, NULL), "corridor_id",
                     id, "origin", origin, "tree_size", (json_int_t)cp->size, "root_hash",
                     mez_digest_hex(r->pool, &cp->root), "note_sha256", mez_digest_hex(r->pool, &d),
                     "checkpoint_note", note);
    mez_json_pool_own(r->pool, cred);
    return mez_vc_issue(r->pool, cred, sc->key, NULL, &opts, &vc, pb) == MEZ_OK ? vc : NULL;
}

static int post_checkpoint(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_checkpoint_t cp;
    const char *note, *origin;
    json_t *vc;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (c.role != MEZ_CORRIDOR_PROPOSER) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.not_sequencer", NULL,
                    "zone %s writes corridor %s's chain and signs its checkpoints", c.peer_zone_id, id);
        return mez_send_problem(r, &pb, NULL);
    }
    origin = origin_of(r->pool, sc, id);
    if (mez_corridor_may_sign(r->pool, sc->did, &c, &pb) != MEZ_OK
        || mez_corridor_checkpoint(r->pool, db, id, sc->zone_id, origin, sc->key, apr_time_now(), &note, &pb) != MEZ_OK
        || mez_checkpoint_open(r->pool, note, strlen(note), origin, sc->key, &cp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!(vc = receipt_checkpoint_credential(r, sc, id, origin, &cp, note, &pb)))
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 201, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:O}", "corridor_id", id, "origin",
                                           origin, "size", (json_int_t)cp.size, "root",
                                           mez_digest_hex(r->pool, &cp.root), "note", note, "vkey",
                                           mez_checkpoint_vkey(r->pool, origin, sc->key), "credential", vc));
}

static int get_receipts(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    apr_array_header_t *texts;
    uint64_t from, limit;
    static const char *const names[] = { "from", "limit", NULL };
    apr_table_t *q;
    json_t *arr;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK || !corridor_query(r, names, &q, &pb)
        || !query_u64(r, q, "from", 0, 0, &from, &pb) || !query_u64(r, q, "limit", 0, MEZ_CORRIDOR_BATCH, &limit, &pb))
        return mez_send_problem(r, &pb, NULL);
    if (!limit || limit > MEZ_CORRIDOR_BATCH) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter", "/limit",
                    "limit is 1..%d", MEZ_CORRIDOR_BATCH);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_corridor_receipts_from(r->pool, db, id, from, (int)limit, &texts, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < texts->nelts; i++) {
        const char *t = APR_ARRAY_IDX(texts, i, const char *);
        json_t *x;
        if (mez_json_parse(r->pool, t, strlen(t), &x, &pb) != MEZ_OK) {
            json_decref(arr);
            return mez_send_problem(r, &pb, NULL);
        }
        json_array_append(arr, x);
    }
    return mez_send_json(r, 200, json_pack("{s:s, s:I, s:I, s:o}", "corridor_id", id, "from", (json_int_t)from,
                                           "size", (json_int_t)c.size, "receipts", arr));
}

static int get_receipt(request_rec *r, mez_db_t *db, const char *id, const char *seq_s)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    const char *text = NULL;
    char *end;
    apr_int64_t seq = apr_strtoi64(seq_s, &end, 10);
    int found = 0;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (*end || seq < 0 || (seq_s[0] == '0' && seq_s[1]) || seq_s[0] == '+' || seq_s[0] == '-') {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "corridor.receipt_not_found", NULL, "no receipt %s", seq_s);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_corridor_receipt(r->pool, db, id, (uint64_t)seq, &text, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!found) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "corridor.receipt_not_found", NULL,
                    "corridor %s has %" APR_UINT64_T_FMT " receipts", id, c.size);
        return mez_send_problem(r, &pb, NULL);
    }
    return mez_send_json_text(r, 200, text, strlen(text));
}

static int get_documents(request_rec *r, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_corridor_terms_t terms;
    json_t *definition, *agreements;
    if (mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK
        || mez_corridor_definition(r->pool, db, id, &definition, &terms, &pb) != MEZ_OK
        || mez_corridor_agreements(r->pool, db, id, &agreements, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, json_pack("{s:s, s:O, s:o}", "corridor_id", id, "definition", definition,
                                           "agreements", agreements));
}

static int get_list(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *all;
    json_t *arr;
    if (mez_corridor_list(r->pool, db, &all, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < all->nelts; i++) {
        const mez_corridor_t *c = &APR_ARRAY_IDX(all, i, mez_corridor_t);
        const char *peer = apr_table_get(r->notes, "mez-peer");
        if (!peer || !strcmp(peer, c->peer_zone_id))     /* a peer sees its own corridors only */
            json_array_append_new(arr, corridor_json(r, sc, c));
    }
    return mez_send_json(r, 200, json_pack("{s:o}", "corridors", arr));
}

/* POST /v1/corridors/{id}/transition {event, evidence}: the moves an operator or regulator decides. Submitting
 * and activating are the protocol's (accept); they are refused here so that no corridor is activated without
 * both zones' agreements. */
static int post_transition(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_audit_event_t aev;
    static const char *const allowed[] = { "event", "evidence", NULL };
    mez_problem_t pb = { 0 };
    const char *event;
    mez_corridor_glue_t g;
    json_t *body;
    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    event = json_string_value(json_object_get(body, "event"));
    if (!event) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/event",
                    "event is one of halt, suspend, resume, deprecate");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!strcmp(event, "submit") || !strcmp(event, "activate")) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.establish_by_protocol", "/event",
                    "a corridor is submitted and activated when both zones' agreements are held "
                    "(POST /v1/corridors/%s/accept), not by hand", id);
        return mez_send_problem(r, &pb, NULL);
    }
    mez_request_audit_event(r, apr_pstrcat(r->pool, "corridor.", event, NULL), "corridor", id, "committed", NULL,
                            &aev);
    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_transition(r->pool, db, id, event, json_object_get(body, "evidence"), apr_time_now(), &aev,
                                NULL, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_corridor(r, sc, db, id, 200,
                         json_pack("{s:o}", "peer", mez_corridor_tell_peer(&g.env, id, event,
                                                                           json_object_get(body, "evidence"))));
}

/* POST /v1/corridors/peers/transition {corridor_id, event, evidence}: the other zone halted or suspended its copy
 * of the corridor; this copy follows, with the same evidence in its own transition log. Only the moves that stop a
 * corridor travel: resuming or deprecating is each zone's own decision (its regulator's), never taken on a peer's
 * word. A copy already in the state the move leads to answers as it is (a notification sent twice). */
static int peer_transition(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    mez_audit_event_t aev;
    static const char *const allowed[] = { "corridor_id", "event", "evidence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    const mez_peer_t *peer;
    const char *event;
    json_t *body;
    int to_state;

    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    event = json_string_value(json_object_get(body, "event"));
    if (!event || (strcmp(event, "halt") && strcmp(event, "suspend"))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.local_decision", "/event",
                    "a peer may tell this zone that it halted or suspended the corridor; other moves are this "
                    "zone's own decision");
        return mez_send_problem(r, &pb, NULL);
    }
    to_state = !strcmp(event, "halt") ? MEZ_CORRIDOR_HALTED : MEZ_CORRIDOR_SUSPENDED;
    if (c.state == to_state || (to_state == MEZ_CORRIDOR_SUSPENDED && c.state == MEZ_CORRIDOR_HALTED))
        return send_corridor(r, sc, db, c.corridor_id, 200, NULL);
    mez_request_audit_event(r, apr_pstrcat(r->pool, "corridor.", event, NULL), "corridor", c.corridor_id,
                            "committed", json_pack("{s:s}", "told_by", peer->zone_id), &aev);
    if (mez_corridor_transition(r->pool, db, c.corridor_id, event, json_object_get(body, "evidence"),
                                apr_time_now(), &aev, NULL, &pb) != MEZ_OK) {
        if (pb.status < 500)
            keep_peer_refusal(r, db, c.corridor_id, body, &pb);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_corridor(r, sc, db, c.corridor_id, 200, NULL);
}

/* ------------------------------------------------------------------ routing */


#define ONLY(m, allow) \
    do { if (r->method_number != (m)) return mez_send_method_not_allowed(r, allow); } while (0)

/* A peer zone's signed read reaches only corridors between it and this zone: the answer is the same 404 as for
 * a corridor that does not exist, so a peer learns nothing of this zone's other corridors. */
static int peer_may_read(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db, const char *id, mez_problem_t *pb)
{
    const char *zone = apr_table_get(r->notes, "mez-peer");
    mez_corridor_t c;
    (void)sc;
    if (!zone)
        return 1;
    if (mez_corridor_get(r->pool, db, id, &c, pb) != MEZ_OK)
        return 0;
    if (!strcmp(c.peer_zone_id, zone))
        return 1;
    mez_problem(pb, r->pool, MEZ_EINVAL, 404, "corridor.not_found", NULL, "no corridor %s", id);
    return 0;
}

int mez_corridor_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *cap[2];
    mez_db_t *db;

    if (!sc->zone_id || !sc->key) {
        mez_problem(&pb, r->pool, MEZ_EINTERNAL, 503, "corridor.no_zone", NULL,
                    "corridors need MezZone and MezKeyFile");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!need_db(r, &db, &pb))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", apr_pstrcat(r->pool, "corridor.", r->method, NULL));
    if (mez_migration_route(r))     /* entity migrations (mod_mez_migration.c) */
        return mez_migration_serve(r, sc, db);
    if (!strcmp(r->uri, "/v1/corridors")) {
        if (r->method_number == M_GET)
            return get_list(r, sc, db);
        ONLY(M_POST, "GET, POST");
        return post_corridor(r, sc, db);
    }
    if (!strncmp(r->uri, "/v1/corridors/peers/", 20)) {
        const char *what = r->uri + 20;
        if (!strcmp(what, "transfers/evaluate") || !strcmp(what, "transfers/settle")) {
            ONLY(M_POST, "POST");
            return !strcmp(what, "transfers/evaluate") ? mez_transfer_peer_evaluate(r, sc, db)
                                                         : mez_transfer_peer_settle(r, sc, db);
        }
        if (!strcmp(what, "transition")) {
            ONLY(M_POST, "POST");
            return peer_transition(r, sc, db);
        }
        if (!strcmp(what, "key-rotation")) {
            ONLY(M_POST, "POST");
            return mez_keys_peer_notice(r, sc, db);
        }
        if (strcmp(what, "propose") && strcmp(what, "accept") && strcmp(what, "receipts")
            && strcmp(what, "transitions")) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s",
                        r->uri);
            return mez_send_problem(r, &pb, NULL);
        }
        ONLY(M_POST, "POST");
        return !strcmp(what, "propose") ? peer_propose(r, sc, db)
             : !strcmp(what, "accept")  ? peer_accept(r, sc, db)
             : !strcmp(what, "receipts") ? peer_receipts(r, sc, db)
             : peer_transitions(r, sc, db);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*", cap, 1)
        || mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/*", cap, 1)
        || mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/*/*", cap, 1))
        if (!peer_may_read(r, sc, db, cap[0], &pb))
            return mez_send_problem(r, &pb, NULL);
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*", cap, 1)) {
        ONLY(M_GET, "GET");
        return send_corridor(r, sc, db, cap[0], 200, NULL);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/receipts/*", cap, 2)) {
        ONLY(M_GET, "GET");
        return get_receipt(r, db, cap[0], cap[1]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/proofs/inclusion", cap, 1)) {
        ONLY(M_GET, "GET");
        return get_inclusion(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/proofs/consistency", cap, 1)) {
        ONLY(M_GET, "GET");
        return get_consistency(r, db, cap[0]);
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/*", cap, 2)) {
        const char *id = cap[0], *what = cap[1];
        if (!strcmp(what, "receipts")) {
            if (r->method_number == M_GET)
                return get_receipts(r, db, id);
            ONLY(M_POST, "GET, POST");
            return post_receipt(r, sc, db, id);
        }
        if (!strcmp(what, "documents")) {
            ONLY(M_GET, "GET");
            return get_documents(r, db, id);
        }
        if (!strcmp(what, "checkpoint")) {
            ONLY(M_GET, "GET");
            return get_checkpoint(r, db, id);
        }
        if (!strcmp(what, "checkpoints")) {
            ONLY(M_POST, "POST");
            return post_checkpoint(r, sc, db, id);
        }
        if (!strcmp(what, "transfers")) {
            ONLY(M_POST, "POST");
            return mez_transfer_post(r, sc, db, id);
        }
        if (!strcmp(what, "settle")) {
            ONLY(M_POST, "POST");
            return mez_transfer_post_settle(r, sc, db, id);
        }
        if (!strcmp(what, "propose") || !strcmp(what, "accept") || !strcmp(what, "sync")
            || !strcmp(what, "transition")) {
            ONLY(M_POST, "POST");
            return !strcmp(what, "propose") ? post_repropose(r, sc, db, id)
                 : !strcmp(what, "accept")  ? post_accept(r, sc, db, id)
                 : !strcmp(what, "sync")    ? post_sync(r, sc, db, id)
                 : post_transition(r, sc, db, id);
        }
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/corridors/*/attestations", cap, 1))   /* mod_mez_watcher.c */
        return mez_watcher_corridor_serve(r, sc, db, cap[0]);
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}
