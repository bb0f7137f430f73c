/* mod_mez_transfer.c: cross-border transfers over a corridor (the routes mod_mez_corridor.c hands over).
 *
 * An entity here pays an entity in the peer zone (POST /v1/corridors/{id}/transfers):
 *   1. the destination zone evaluates the inbound side on its own packs and lists (peers/transfers/evaluate: a
 *      preview of its fiscal.inbound_transfer; its refusal is recorded there and ends the transfer here with
 *      nothing written);
 *   2. this zone runs its own write pipeline for the outbound payment (fiscal.payment to a corridor_settlement
 *      destination: its tensor, screening, the debit into its outbound settlement account, PaymentCredential and
 *      ComplianceAttestation); its refusal is answered as any payment's;
 *   3. the corridor receipt records the transfer with both zones' decisions;
 *   4. the destination settles (peers/transfers/settle): it reads the transfer from its own verified copy of the
 *      chain, runs its pipeline for real (deposit, InboundTransferCredential, attestation), exactly once per
 *      transfer (its Idempotency-Key is the transfer id, so even a transfer recorded twice on the chain is paid in
 *      once), and answers; a settlement that did not reach the peer is retried with POST .../settle {sequence}.
 * The steps are this zone's write pipeline (libmezcore/src/orchestrate*.c: fiscal.payment, fiscal.inbound_transfer)
 * and the corridor's record (mod_mez_corridor.c: mez_corridor_record, mez_corridor_pull); this file orders them
 * and carries the peer's answers. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/corridor.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/mass.h"
#include "mez/orchestrate.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

static mez_status_t orch(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *op, const json_t *body,
                         const char *actor, const char *idem_key, int preview, mez_orch_answer_t *ans,
                         mez_problem_t *pb)
{
    mez_orch_zone_t z;
    mez_orch_request_t req = { 0 };
    mez_orch_zone_of(r, sc, &z);
    req.op = op;
    req.body = body;
    req.now = r->request_time;
    req.actor = actor;
    req.actor_entity = apr_table_get(r->notes, "mez-entity");
    req.idempotency_key = idem_key;
    req.path = r->uri;
    req.request_id = mez_request_id(r);
    req.preview = preview;
    return mez_orch_run(r->pool, db, &z, &req, ans, pb);
}

static int send_orch_answer(request_rec *r, const mez_orch_answer_t *ans)
{
    if (ans->replayed)
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    if (ans->decision)
        apr_table_setn(r->notes, "mez-decision", ans->decision);
    return mez_send_text_typed(r, ans->status, ans->status >= 400 ? "application/problem+json" : "application/json",
                               ans->body_text);
}

static mez_status_t corridor_active(request_rec *r, mez_db_t *db, const char *id, mez_corridor_t *c,
                                    mez_problem_t *pb)
{
    mez_status_t st = mez_corridor_get(r->pool, db, id, c, pb);
    if (st == MEZ_OK && c->state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE",
                           id, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state));
    return st;
}

/* Asks the destination to settle the transfer at seq; *settlement says what happened either way. */
static void settle_at_peer(request_rec *r, mez_srv_conf_t *sc, const mez_peer_t *peer, const char *id, uint64_t seq,
                           json_t **settlement)
{
    mez_problem_t pb = { 0 };
    mez_peer_answer_t ans;
    if (mez_corridor_call_peer(r, sc, peer, "POST", "/v1/corridors/peers/transfers/settle", NULL,
                  json_pack("{s:s, s:I}", "corridor_id", id, "sequence", (json_int_t)seq), &ans, &pb) == MEZ_OK) {
        *settlement = json_pack("{s:b, s:O}", "settled", 1, "answer", ans.body);
        return;
    }
    *settlement = json_pack("{s:b, s:s, s:s}", "settled", 0, "code", pb.code ? pb.code : "internal", "detail",
                            pb.detail ? pb.detail : "");
    if (ans.body && json_object_get(ans.body, "code"))
        json_object_set(*settlement, "peer_problem", ans.body);
}

/* What a transfer answers, kept as bytes so that an Idempotency-Key retry gets exactly them. */
typedef struct xfer_answer_t {
    int status;
    const char *text;
    int money_moved;          /* this zone's payment is made: the intent must not be forgotten */
} xfer_answer_t;

static int xfail(request_rec *r, xfer_answer_t *xa, const mez_problem_t *pb, json_t *extra)
{
    json_t *doc = mez_json_pool_own(r->pool, mez_problem_to_json(pb));
    if (extra) {
        json_object_update_missing(doc, extra);
        json_decref(extra);
    }
    json_object_set_new(doc, "instance", json_string(r->uri));
    apr_table_setn(r->notes, "mez-problem", pb->code ? pb->code : "internal");
    xa->status = pb->status >= 400 && pb->status < 600 ? pb->status : 500;
    xa->text = apr_pstrcat(r->pool, mez_json_dump(r->pool, doc, 0), "\n", NULL);
    return 0;
}

/* POST /v1/corridors/{id}/transfers {source_account_id, amount, currency, payment_type?,
 *   destination: {account_id, compliance?}, compliance?} */
static int run_transfer(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id, json_t *body,
                        const char *transfer_id, xfer_answer_t *xa)
{
    static const char *const allowed[] = { "source_account_id", "amount", "currency", "payment_type", "destination",
                                           "compliance", NULL };
    static const char *const dest_allowed[] = { "account_id", "compliance", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    mez_peer_answer_t ans;
    const mez_peer_t *peer;
    const json_t *dest;
    const char *src, *amount, *currency, *dest_account, *ptype, *payee_name;
    json_t *account, *payer, *inbound, *payment, *transition, *receipt = NULL, *delivery = NULL, *settlement;
    uint64_t seq = 0;

    if (mez_check_members(r, body, "", allowed, &pb) != MEZ_OK || corridor_active(r, db, id, &c, &pb) != MEZ_OK)
        return xfail(r, xa, &pb, NULL);
    dest = json_object_get(body, "destination");
    src = json_string_value(json_object_get(body, "source_account_id"));
    amount = json_string_value(json_object_get(body, "amount"));
    currency = json_string_value(json_object_get(body, "currency"));
    ptype = json_string_value(json_object_get(body, "payment_type"));
    dest_account = json_string_value(json_object_get(dest, "account_id"));
    if (!src || !amount || !currency || !json_is_object(dest) || !dest_account) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.missing_field",
                    !src ? "/source_account_id" : !amount ? "/amount" : !currency ? "/currency"
                    : !json_is_object(dest) ? "/destination" : "/destination/account_id",
                    "a transfer names its source account, amount, currency and the destination account in the peer "
                    "zone");
        return xfail(r, xa, &pb, NULL);
    }
    if (mez_check_members(r, dest, "/destination", dest_allowed, &pb) != MEZ_OK)
        return xfail(r, xa, &pb, NULL);
    if (!(peer = mez_peer_find(r, sc, c.peer_zone_id))) {
        mez_problem(&pb, r->pool, MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no longer a MezPeer",
                    c.peer_zone_id);
        return xfail(r, xa, &pb, NULL);
    }
    if (mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/fiscal/accounts/", src, NULL), NULL,
                             "/source_account_id", &account, &pb) != MEZ_OK
        || mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/entities/",
                                                   json_string_value(json_object_get(account, "entity_id"))
                                                       ? json_string_value(json_object_get(account, "entity_id"))
                                                       : "-", NULL),
                                NULL, "/source_account_id", &payer, &pb) != MEZ_OK)
        return xfail(r, xa, &pb, NULL);

    /* 1. the destination's inbound decision, before any money moves */
    inbound = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "account_id", dest_account,
                        "amount", amount, "currency", currency, "reference", transfer_id, "source", "zone_id",
                        sc->zone_id, "corridor_id", id, "transfer_id", transfer_id, "payer_name",
                        json_string_value(json_object_get(payer, "legal_name"))
                            ? json_string_value(json_object_get(payer, "legal_name")) : "",
                        "payer_entity_id", json_string_value(json_object_get(account, "entity_id")),
                        "source_account_id", src);
    mez_json_pool_own(r->pool, inbound);
    if (json_object_get(dest, "compliance"))
        json_object_set(inbound, "compliance", json_object_get(dest, "compliance"));
    if (mez_corridor_call_peer(r, sc, peer, "POST", "/v1/corridors/peers/transfers/evaluate", NULL,
                  json_pack("{s:s, s:O}", "corridor_id", id, "transfer", inbound), &ans, &pb) != MEZ_OK) {
        if (ans.status == 422 || ans.status == 409) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, ans.status, "transfer.refused_by_destination", "/destination",
                        "zone %s refuses the inbound side: %s", peer->zone_id,
                        json_string_value(json_object_get(ans.body, "detail"))
                            ? json_string_value(json_object_get(ans.body, "detail")) : "(no detail)");
        }
        return xfail(r, xa, &pb, mez_corridor_peer_problem(&ans));
    }

    /* 2. this zone's outbound payment, through its own pipeline */
    payee_name = json_string_value(json_object_get(json_object_get(ans.body, "payee"), "legal_name"));
    if (!payee_name) {
        mez_problem(&pb, r->pool, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                    "zone %s did not name the payee", peer->zone_id);
        return xfail(r, xa, &pb, NULL);
    }
    payment = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s}}}", "source_account_id", src,
                        "amount", amount, "currency", currency, "payment_type", ptype ? ptype : "goods_payment",
                        "destination", "type", "corridor_settlement", "corridor_id", id, "destination_zone_id",
                        peer->zone_id, "bank_details", "beneficiary_name", payee_name, "beneficiary_zone_id",
                        peer->zone_id, "beneficiary_account_id", dest_account);
    mez_json_pool_own(r->pool, payment);
    if (json_object_get(body, "compliance"))
        json_object_set(payment, "compliance", json_object_get(body, "compliance"));
    /* Keyed by the transfer: a remote Mass needs a key, and the payment is made at most once for it. */
    if (orch(r, sc, db, "fiscal.payment", payment, r->user, apr_pstrcat(r->pool, "transfer:", transfer_id, NULL), 0,
             &out, &pb) != MEZ_OK) {
        /* pointers into the payment are pointers into this body but for destination */
        return xfail(r, xa, &pb, NULL);
    }
    if (out.status >= 400) {
        xa->status = out.status;
        xa->text = out.body_text;
        return 0;
    }
    xa->money_moved = 1;

    /* 3. the receipt: both zones' decisions */
    transition = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:O, s:s}, "
                           "s:{s:s, s:O, s:O}}}",
                           "kind", "cross_border_transfer", "payload", "transfer_id", transfer_id, "amount", amount,
                           "currency", currency, "source", "zone_id", sc->zone_id, "account_id", src, "entity_id",
                           json_string_value(json_object_get(account, "entity_id")), "payer_name",
                           json_string_value(json_object_get(inbound, "source") ? json_object_get(
                               json_object_get(inbound, "source"), "payer_name") : NULL),
                           "destination", "zone_id", peer->zone_id, "account_id", dest_account,
                           "outbound", "zone_id", sc->zone_id, "decision", out.decision ? out.decision : "",
                           "evaluation_digest", json_object_get(json_object_get(out.body, "compliance"),
                                                                "evaluation_digest"),
                           "credential_digest", out.credential_digest ? out.credential_digest : "",
                           "inbound", "zone_id", peer->zone_id, "decision",
                           json_object_get(json_object_get(ans.body, "compliance"), "decision"),
                           "evaluation_digest", json_object_get(json_object_get(ans.body, "compliance"),
                                                                "evaluation_digest"));
    if (!transition) {
        mez_problem(&pb, r->pool, MEZ_EINTERNAL, 502, "transfer.incomplete_decisions", NULL,
                    "the zones' decisions could not be put on the receipt");
        return xfail(r, xa, &pb, NULL);
    }
    mez_json_pool_own(r->pool, transition);
    if (json_object_get(dest, "compliance"))
        json_object_set(json_object_get(json_object_get(transition, "payload"), "destination"), "compliance",
                        json_object_get(dest, "compliance"));
    /* Recorded under the transfer's id: a resumed transfer whose receipt is on the chain already gets that one. */
    if (mez_corridor_record(r, sc, db, id, transition, transfer_id, &receipt, &seq, &delivery, &pb) != MEZ_OK) {
        /* The payment is made and attested here; only its record on the corridor failed. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "transfer %s paid (%s) but not recorded on corridor %s: %s",
                      transfer_id, out.resource_id ? out.resource_id : "", id, pb.detail ? pb.detail : pb.code);
        return xfail(r, xa, &pb, json_pack("{s:s, s:O}", "transfer_id", transfer_id, "payment", out.body));
    }

    /* 4. the destination settles from its own copy of the chain */
    settle_at_peer(r, sc, peer, id, seq, &settlement);
    apr_table_setn(r->notes, "mez-decision", out.decision ? out.decision : "");
    xa->status = 201;
    xa->text = apr_pstrcat(r->pool, mez_json_dump(r->pool, mez_json_pool_own(r->pool, json_pack(
                               "{s:s, s:s, s:I, s:O, s:O, s:O, s:o, s:O}", "transfer_id", transfer_id, "corridor_id",
                               id, "sequence", (json_int_t)seq, "receipt", receipt, "outbound", out.body, "inbound",
                               ans.body, "settlement", settlement, "delivery", delivery)), 0), "\n", NULL);
    return 0;
}


#define TRANSFER_LEASE apr_time_from_sec(120)   /* an unfinished transfer's intent is resumed after this */

/* POST /v1/corridors/{id}/transfers, with an optional Idempotency-Key (mez/idempotency.h, the remote-call
 * pattern: the intent is committed first, the steps run, the answer is recorded). The transfer id is derived from
 * the key, and every step is idempotent by it: the destination's preview writes nothing, this zone's payment is
 * keyed "transfer:<id>", the receipt is looked up before it is appended again, and the destination settles once
 * per transfer. So a retry after a lost answer is answered the first answer, and a retry after this server died
 * mid-way (RESUME, once the lease has passed) finishes the same transfer instead of making a second one. */
int mez_transfer_post(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    mez_problem_t pb = { 0 };
    xfer_answer_t xa = { 0 };
    mez_idem_scope_t scope = { 0 };
    mez_db_tx_t *tx;
    const char *key = apr_table_get(r->headers_in, "Idempotency-Key"), *transfer_id;
    json_t *body;

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_object(body)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "", "the body is a JSON object");
        return mez_send_problem(r, &pb, NULL);
    }
    transfer_id = mez_mass_new_id(r->pool, "xfr_");
    if (key) {
        int rc;
        if (!mez_corridor_idem_open(r, sc, db, id, key, body, TRANSFER_LEASE, &scope, &transfer_id, &rc))
            return rc;
        transfer_id = apr_pstrcat(r->pool, "xfr_", transfer_id, NULL);
    }
    run_transfer(r, sc, db, id, body, transfer_id, &xa);
    /* A success is recorded as the key's answer. A refusal before any money moved is forgotten: nothing was
     * done, and the same key may try again. What failed after this zone's payment (the corridor or the peer
     * unreachable) stays in progress, so that a retry after the lease resumes and finishes the same transfer. */
    if (key && (xa.status == 201 || !xa.money_moved)) {
        mez_problem_t kpb = { 0 };
        if (mez_db_begin(r->pool, db, &tx, &kpb) == MEZ_OK
            && ((xa.status == 201 ? mez_idem_complete(r->pool, db, &scope, key, xa.status, xa.text, r->request_time,
                                                      &kpb)
                                  : mez_idem_abandon(r->pool, db, &scope, key, &kpb)) != MEZ_OK
                || mez_db_commit(r->pool, tx, &kpb) != MEZ_OK))
            mez_db_rollback(r->pool, tx);
        if (kpb.code)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "transfer %s: its Idempotency-Key record: %s", transfer_id,
                          kpb.detail ? kpb.detail : kpb.code);
    }
    return mez_send_text_typed(r, xa.status, xa.status >= 400 ? "application/problem+json" : "application/json",
                               xa.text);
}

/* POST /v1/corridors/peers/transfers/evaluate {corridor_id, transfer}: the inbound preview. */
int mez_transfer_peer_evaluate(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "transfer", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    const mez_peer_t *peer;
    const json_t *source;
    json_t *body;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_corridor_of_peer(r, db, json_string_value(json_object_get(body, "corridor_id")), peer, &c, &pb)
               != MEZ_OK
        || corridor_active(r, db, c.corridor_id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    source = json_object_get(json_object_get(body, "transfer"), "source");
    if (!json_is_string(json_object_get(source, "zone_id"))
        || strcmp(json_string_value(json_object_get(source, "zone_id")), peer->zone_id)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "corridor.not_party", "/transfer/source/zone_id",
                    "zone %s may only ask about transfers from itself", peer->zone_id);
        return mez_send_problem(r, &pb, NULL);
    }
    if (orch(r, sc, db, "fiscal.inbound_transfer", json_object_get(body, "transfer"),
             apr_pstrcat(r->pool, "peer:", peer->zone_id, NULL), NULL, 1, &out, &pb) != MEZ_OK) {
        if (pb.pointer)
            pb.pointer = apr_pstrcat(r->pool, "/transfer", pb.pointer, NULL);
        return mez_send_problem(r, &pb, NULL);
    }
    if (out.status == 200 && out.body) {
        /* The payee as this zone's registry names it: the sending zone screens the beneficiary on its own
         * lists too, and its payment record names who was paid. */
        json_t *acc, *ent;
        const char *eid;
        const char *acc_id = json_string_value(json_object_get(json_object_get(body, "transfer"), "account_id"));
        if (mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/fiscal/accounts/", acc_id, NULL), NULL,
                                 "/transfer/account_id", &acc, &pb) != MEZ_OK
            || !(eid = json_string_value(json_object_get(acc, "entity_id")))
            || mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/entities/", eid, NULL), NULL,
                                    "/transfer/account_id", &ent, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        json_object_set_new(out.body, "payee", json_pack("{s:s, s:O}", "entity_id", eid, "legal_name",
                                                          json_object_get(ent, "legal_name")));
        return mez_send_json_typed(r, 200, "application/json", out.body);
    }
    return send_orch_answer(r, &out);
}

/* The transfer a receipt of this corridor records, as the destination's inbound request. */
static mez_status_t transfer_of_receipt(request_rec *r, mez_srv_conf_t *sc, const mez_peer_t *peer,
                                        const char *id, uint64_t seq, const char *text, json_t **inbound,
                                        mez_problem_t *pb)
{
    json_t *receipt, *t, *payload, *source, *dest;
    mez_status_t st;
    if ((st = mez_json_parse(r->pool, text, strlen(text), &receipt, pb)) != MEZ_OK)
        return st;
    t = json_object_get(receipt, "transition");
    payload = json_object_get(t, "payload");
    source = json_object_get(payload, "source");
    dest = json_object_get(payload, "destination");
    if (!json_is_string(json_object_get(t, "kind"))
        || strcmp(json_string_value(json_object_get(t, "kind")), "cross_border_transfer")
        || !json_is_string(json_object_get(dest, "zone_id"))
        || strcmp(json_string_value(json_object_get(dest, "zone_id")), sc->zone_id)
        || !json_is_string(json_object_get(source, "zone_id"))
        || strcmp(json_string_value(json_object_get(source, "zone_id")), peer->zone_id)
        || mez_corridor_requested_by_other(t, peer->zone_id))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "transfer.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " of corridor %s is not a transfer from %s to this zone", seq,
                           id, peer->zone_id);
    *inbound = json_pack("{s:O, s:O, s:O, s:O, s:{s:O, s:s, s:I, s:O, s:O, s:O, s:O}}", "account_id",
                         json_object_get(dest, "account_id"), "amount", json_object_get(payload, "amount"),
                         "currency", json_object_get(payload, "currency"), "reference",
                         json_object_get(payload, "transfer_id"), "source", "zone_id",
                         json_object_get(source, "zone_id"), "corridor_id", id, "sequence", (json_int_t)seq,
                         "transfer_id", json_object_get(payload, "transfer_id"), "payer_name",
                         json_object_get(source, "payer_name"), "payer_entity_id", json_object_get(source, "entity_id"),
                         "source_account_id", json_object_get(source, "account_id"));
    if (!*inbound)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "transfer.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " lacks a member of a transfer", seq);
    mez_json_pool_own(r->pool, *inbound);
    if (json_object_get(dest, "compliance"))
        json_object_set(*inbound, "compliance", json_object_get(dest, "compliance"));
    return MEZ_OK;
}

/* POST /v1/corridors/peers/transfers/settle {corridor_id, sequence}: the destination's deposit, once. */
int mez_transfer_peer_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "sequence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    const mez_peer_t *peer;
    const char *text = NULL;
    json_t *body, *inbound, *pp = NULL;
    json_int_t seq;
    int found = 0;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_corridor_of_peer(r, db, json_string_value(json_object_get(body, "corridor_id")), peer, &c, &pb)
               != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    seq = json_integer_value(json_object_get(body, "sequence"));
    if (!json_is_integer(json_object_get(body, "sequence")) || seq < 0) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "/sequence",
                    "sequence is the receipt's sequence number");
        return mez_send_problem(r, &pb, NULL);
    }
    /* Only what this zone holds in its own verified copy is settled: fetch what it lacks first. */
    if (mez_corridor_receipt(r->pool, db, c.corridor_id, (uint64_t)seq, &text, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!found && c.role == MEZ_CORRIDOR_RESPONDER) {
        if (mez_corridor_pull(r, sc, db, c.corridor_id, &pp, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, pp);
        if (mez_corridor_receipt(r->pool, db, c.corridor_id, (uint64_t)seq, &text, &found, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
    }
    if (!found) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.receipt_missing", "/sequence",
                    "this zone holds no receipt %" APR_INT64_T_FMT " of corridor %s", (apr_int64_t)seq,
                    c.corridor_id);
        return mez_send_problem(r, &pb, NULL);
    }
    if (transfer_of_receipt(r, sc, peer, c.corridor_id, (uint64_t)seq, text, &inbound, &pb) != MEZ_OK
        || orch(r, sc, db, "fiscal.inbound_transfer", inbound, apr_pstrcat(r->pool, "peer:", peer->zone_id, NULL),
                apr_pstrcat(r->pool, "transfer:", json_string_value(json_object_get(inbound, "reference")), NULL), 0,
                &out, &pb)
               != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_orch_answer(r, &out);
}

/* POST /v1/corridors/{id}/settle {sequence}: asks the destination again to settle a transfer this zone sent. */
int mez_transfer_post_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    static const char *const allowed[] = { "sequence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    const mez_peer_t *peer;
    json_t *body, *settlement;
    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK || mez_corridor_get(r->pool, db, id, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_integer(json_object_get(body, "sequence")) || json_integer_value(json_object_get(body, "sequence")) < 0
        || (uint64_t)json_integer_value(json_object_get(body, "sequence")) >= c.size) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "/sequence",
                    "sequence names a receipt of this corridor (0..%" APR_UINT64_T_FMT ")", c.size ? c.size - 1 : 0);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_corridor_own_outbound(r->pool, db, sc->zone_id, &c, (uint64_t)json_integer_value(json_object_get(body,
                                  "sequence")), &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!(peer = mez_peer_find(r, sc, c.peer_zone_id))) {
        mez_problem(&pb, r->pool, MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no longer a MezPeer",
                    c.peer_zone_id);
        return mez_send_problem(r, &pb, NULL);
    }
    settle_at_peer(r, sc, peer, id, (uint64_t)json_integer_value(json_object_get(body, "sequence")), &settlement);
    return mez_send_json(r, 200, json_pack("{s:s, s:I, s:o}", "corridor_id", id, "sequence",
                                           json_integer_value(json_object_get(body, "sequence")), "settlement",
                                           settlement));
}

