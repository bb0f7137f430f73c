/* mod_mez_transfer.c: the HTTP routes of cross-border transfers over a corridor (the routes mod_mez_corridor.c hands
 * over). The transfer's steps (the destination's preview, this zone's payment, the receipt, the settlement) and the
 * destination's side are libmezcore's (mez/transfer.h); this file reads requests, keeps a transfer's
 * Idempotency-Key, gives the steps what only the server has (mez_corridor_env_of) and answers.
 *
 *   operator  POST /v1/corridors/{id}/transfers {source_account_id, amount, currency, payment_type?,
 *                                                destination: {account_id, compliance?}, compliance?}
 *             POST /v1/corridors/{id}/settle {sequence}
 *   peers     POST /v1/corridors/peers/transfers/evaluate {corridor_id, transfer}
 *             POST /v1/corridors/peers/transfers/settle {corridor_id, sequence} */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/corridor.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/transfer.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

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
    mez_transfer_answer_t xa = { 0 };
    mez_idem_scope_t scope = { 0 };
    mez_corridor_glue_t g;
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
    mez_corridor_env_of(r, sc, db, &g);
    mez_transfer_run(&g.env, id, body, transfer_id, &xa);
    if (xa.problem_code)
        apr_table_setn(r->notes, "mez-problem", xa.problem_code);
    if (xa.decision)
        apr_table_setn(r->notes, "mez-decision", xa.decision);
    if (xa.money_moved && xa.status >= 400)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "transfer %s paid here but not finished on corridor %s (%s): "
                      "a retry with the same Idempotency-Key finishes it", transfer_id, id,
                      xa.problem_code ? xa.problem_code : "refused");
    /* A success is recorded as the key's answer. A refusal before any money moved is forgotten: nothing was
     * done, and the same key may try again. What failed after this zone's payment (the corridor or the peer
     * unreachable) stays in progress, so that a retry after the lease resumes and finishes the same transfer. */
    if (key && (xa.status == 201 || !xa.money_moved)) {
        mez_problem_t kpb = { 0 };
        if (mez_idem_close(r->pool, db, &scope, key, xa.status == 201 ? 201 : MEZ_IDEM_FORGET, xa.text,
                           r->request_time, &kpb) != MEZ_OK)
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
    mez_corridor_glue_t g;
    const mez_peer_t *peer;
    json_t *body, *doc;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || mez_transfer_inbound_evaluate(&g.env, peer->zone_id, &c, body, &out, &doc, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (doc)
        return mez_send_json_typed(r, 200, "application/json", doc);
    return mez_send_orch_answer(r, &out);
}

/* POST /v1/corridors/peers/transfers/settle {corridor_id, sequence}: the destination's deposit, once. */
int mez_transfer_peer_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "sequence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    mez_corridor_glue_t g;
    const mez_peer_t *peer;
    json_t *body, *pp = NULL;
    uint64_t seq;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_peer_request(r, sc, db, allowed, &peer, &body, &c, &pb) != MEZ_OK
        || mez_corridor_sequence_member(r->pool, body, &seq, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_transfer_inbound_settle(&g.env, peer->zone_id, &c, seq, &out, &pp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, pp);
    return mez_send_orch_answer(r, &out);
}

/* POST /v1/corridors/{id}/settle {sequence}: asks the destination again to settle a transfer this zone sent. */
int mez_transfer_post_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id)
{
    static const char *const allowed[] = { "sequence", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_glue_t g;
    json_t *body, *answer;

    mez_corridor_env_of(r, sc, db, &g);
    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || mez_transfer_settle_again(&g.env, id, body, &answer, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, json_incref(answer));
}
