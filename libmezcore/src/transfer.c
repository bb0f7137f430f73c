/* transfer.c: cross-border transfers over a corridor (mez/transfer.h): the sending zone's four steps, the
 * destination's preview and settlement, and asking for a settlement again. The steps are this zone's write
 * pipeline (orchestrate*.c: fiscal.payment, fiscal.inbound_transfer) and the corridor's record; this file orders
 * them and carries the peer's answers. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_exchange.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/transfer.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *own(const mez_corridor_env_t *env, json_t *v)
{
    return mez_json_pool_own(env->p, v);
}

static mez_status_t corridor_active(const mez_corridor_env_t *env, const mez_corridor_t *c, mez_problem_t *pb)
{
    if (c->state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(pb, env->p, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE",
                           c->corridor_id, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state));
    return MEZ_OK;
}

/* Asks the destination to settle the transfer at seq; *settlement says what happened either way. */
static void settle_at_peer(const mez_corridor_env_t *env, const char *corridor_id, uint64_t seq,
                           json_t **settlement)
{
    mez_problem_t pb = { 0 };
    mez_peer_answer_t ans = { 0 };
    mez_status_t st = env->call_peer(env->baton, "POST", "/v1/corridors/peers/transfers/settle", NULL,
                                     json_pack("{s:s, s:I}", "corridor_id", corridor_id, "sequence", (json_int_t)seq),
                                     &ans, &pb);
    *settlement = mez_peer_outcome("settled", st, &pb, ans.body);
    if (st == MEZ_OK)
        json_object_set(*settlement, "answer", ans.body);
}

/* The transfer's outbound payment as the treasury has it now: a payment the treasury returned (status "failed":
 * the payer got the gross back, its tax reversed) must not reach the destination, or the money would exist twice.
 * 409 transfer.payment_returned; a payment that cannot be read is the read's problem. */
static mez_status_t payment_not_returned(const mez_corridor_env_t *env, const char *payment_id, mez_problem_t *pb)
{
    json_t *pay;
    mez_status_t st;
    if (!payment_id)
        return MEZ_OK;
    if ((st = mez_orch_mass_read(env->zone, env->p, env->db, apr_pstrcat(env->p, "/v1/fiscal/payments/", payment_id,
                                                                         NULL), NULL, NULL, &pay, pb)) != MEZ_OK)
        return st;
    if (str(pay, "status") && !strcmp(str(pay, "status"), "failed"))
        return mez_problem(pb, env->p, MEZ_EINVAL, 409, "transfer.payment_returned", NULL,
                           "the transfer's payment %s was returned to the payer: the transfer is not recorded or "
                           "settled on the corridor", payment_id);
    return MEZ_OK;
}

/* The destination settled the transfer at seq: this zone's outbound payment (payment_id, status "processing", its
 * net in the outbound account sys_outbound_<CUR>) has left the zone, and the treasury records it as settled
 * (fiscal.payment_settle: the net moves to the clearing account, with the corridor's receipt as the reference), as
 * an operator records a bank's confirmation. It is the zone's own act on the corridor's word, not the caller's: an
 * entity that sent the transfer could not settle its own payment (conf/mez-policy.conf), so the actor is the
 * corridor. Once per transfer (its own Idempotency-Key); a payment settled already, by an operator or by an earlier
 * attempt whose answer was lost, counts as settled. The answer's "payment_settlement" says what happened; when it
 * failed the payment stays processing and asking for the settlement again (POST /v1/corridors/{id}/settle) finishes
 * it. */
static json_t *settle_own_payment(const mez_corridor_env_t *env, const char *corridor_id, uint64_t seq,
                                  const char *payment_id)
{
    apr_pool_t *p = env->p;
    mez_corridor_op_t op = { 0 };
    mez_orch_answer_t out = { 0 };
    mez_problem_t pb = { 0 };
    const char *ref = apr_psprintf(p, "corridor %s receipt %" APR_UINT64_T_FMT, corridor_id, seq);
    json_t *d;
    mez_status_t st;

    if (!payment_id) {
        st = mez_problem(&pb, p, MEZ_EINVAL, 409, "transfer.no_payment", NULL,
                         "the transfer's payment credential names no payment of this zone");
        return mez_peer_outcome("settled", st, &pb, NULL);
    }
    op.op = "fiscal.payment_settle";
    op.path_id = payment_id;
    op.body = own(env, json_pack("{s:s}", "reference", ref));
    op.actor = apr_pstrcat(p, "corridor:", corridor_id, NULL);
    op.idem_key = apr_psprintf(p, "transfer-settled:%s:%" APR_UINT64_T_FMT, corridor_id, seq);
    st = mez_corridor_env_run(env, &op, &out, NULL, &pb);
    if (st == MEZ_OK && out.status >= 300)
        st = mez_problem(&pb, p, MEZ_EINVAL, out.status, "transfer.payment_not_settled", NULL,
                         "the treasury answered %d to the settlement of payment %s", out.status, payment_id);
    if (st != MEZ_OK && pb.code && !strcmp(pb.code, "fiscal.payment_settled"))
        st = MEZ_OK;
    d = mez_peer_outcome("settled", st, &pb, NULL);
    json_object_set_new(d, "payment_id", json_string(payment_id));
    return d;
}

/* The transfer's answer is the problem pb, with extra's members (a new reference, taken; may be NULL). Returns 0,
 * for `return xfail(...)` in run(). */
static int xfail(const mez_corridor_env_t *env, mez_transfer_answer_t *xa, const mez_problem_t *pb, json_t *extra)
{
    json_t *doc = own(env, mez_problem_to_json(pb));
    if (extra) {
        json_object_update_missing(doc, extra);
        json_decref(extra);
    }
    if (env->path)
        json_object_set_new(doc, "instance", json_string(env->path));
    xa->problem_code = pb->code ? pb->code : "internal";
    xa->status = pb->status >= 400 && pb->status < 600 ? pb->status : 500;
    xa->text = apr_pstrcat(env->p, mez_json_dump(env->p, doc, 0), "\n", NULL);
    return 0;
}

/* The transfer's source: the account and the entity holding it, through the zone's Mass. */
static mez_status_t payer_of(const mez_corridor_env_t *env, const char *src, json_t **account, json_t **payer,
                             mez_problem_t *pb)
{
    mez_status_t st;
    const char *eid;
    if ((st = mez_orch_mass_read(env->zone, env->p, env->db, apr_pstrcat(env->p, "/v1/fiscal/accounts/", src, NULL),
                                 NULL, "/source_account_id", account, pb)) != MEZ_OK)
        return st;
    eid = str(*account, "entity_id");
    return mez_orch_mass_read(env->zone, env->p, env->db, apr_pstrcat(env->p, "/v1/entities/", eid ? eid : "-", NULL),
                              NULL, "/source_account_id", payer, pb);
}

/* mez_transfer_run: every outcome is in *xa; the int is only so that each step can end it with return xfail(). */
static int run(const mez_corridor_env_t *env, const char *id, const json_t *body, const char *transfer_id,
               mez_transfer_answer_t *xa)
{
    static const char *const allowed[] = { "source_account_id", "amount", "currency", "payment_type", "destination",
                                           "compliance", NULL };
    static const char *const dest_allowed[] = { "account_id", "compliance", NULL };
    apr_pool_t *p = env->p;
    const char *zone_id = env->zone->zone_id, *peer_zone, *did;
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    mez_peer_answer_t ans = { 0 };
    mez_corridor_op_t op = { 0 };
    const json_t *dest;
    const char *src, *amount, *currency, *dest_account, *ptype, *payee_name;
    json_t *account, *payer, *inbound, *payment, *transition, *receipt = NULL, *delivery = NULL, *settlement,
           *payment_settlement;
    uint64_t seq = 0;

    memset(xa, 0, sizeof(*xa));
    if (mez_json_only_members(p, body, "", allowed, "request.unknown_field", &pb) != MEZ_OK
        || mez_corridor_get(p, env->db, id, &c, &pb) != MEZ_OK || corridor_active(env, &c, &pb) != MEZ_OK)
        return xfail(env, xa, &pb, NULL);
    dest = json_object_get(body, "destination");
    src = str(body, "source_account_id");
    amount = str(body, "amount");
    currency = str(body, "currency");
    ptype = str(body, "payment_type");
    dest_account = str(dest, "account_id");
    if (!src || !amount || !currency || !json_is_object(dest) || !dest_account) {
        mez_problem(&pb, p, MEZ_EINVAL, 422, "request.missing_field",
                    !src ? "/source_account_id" : !amount ? "/amount" : !currency ? "/currency"
                    : !json_is_object(dest) ? "/destination" : "/destination/account_id",
                    "a transfer names its source account, amount, currency and the destination account in the peer "
                    "zone");
        return xfail(env, xa, &pb, NULL);
    }
    if (mez_json_only_members(p, dest, "/destination", dest_allowed, "request.unknown_field", &pb) != MEZ_OK
        || env->peer(env->baton, c.peer_zone_id, &did, &pb) != MEZ_OK
        || payer_of(env, src, &account, &payer, &pb) != MEZ_OK)
        return xfail(env, xa, &pb, NULL);
    peer_zone = c.peer_zone_id;

    /* 1. the destination's inbound decision, before any money moves */
    inbound = own(env, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "account_id",
                                 dest_account, "amount", amount, "currency", currency, "reference", transfer_id,
                                 "source", "zone_id", zone_id, "corridor_id", id, "transfer_id", transfer_id,
                                 "payer_name", str(payer, "legal_name") ? str(payer, "legal_name") : "",
                                 "payer_entity_id", str(account, "entity_id"), "source_account_id", src));
    if (json_object_get(dest, "compliance"))
        json_object_set(inbound, "compliance", json_object_get(dest, "compliance"));
    if (env->call_peer(env->baton, "POST", "/v1/corridors/peers/transfers/evaluate", NULL,
                       json_pack("{s:s, s:O}", "corridor_id", id, "transfer", inbound), &ans, &pb) != MEZ_OK) {
        if (ans.status == 422 || ans.status == 409)
            mez_problem(&pb, p, MEZ_EINVAL, ans.status, "transfer.refused_by_destination", "/destination",
                        "zone %s refuses the inbound side: %s", peer_zone,
                        str(ans.body, "detail") ? str(ans.body, "detail") : "(no detail)");
        return xfail(env, xa, &pb, mez_peer_problem(&ans));
    }

    /* 2. this zone's outbound payment, through its own pipeline */
    if (!(payee_name = str(json_object_get(ans.body, "payee"), "legal_name"))) {
        mez_problem(&pb, p, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL, "zone %s did not name the payee",
                    peer_zone);
        return xfail(env, xa, &pb, NULL);
    }
    /* reference: the transfer, so that the treasury's record of the payment names it (a return of a transfer the
     * corridor recorded is refused: orchestrate_ops.c outcome_prepare). */
    payment = own(env, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s}}}",
                                 "source_account_id", src, "amount", amount, "currency", currency, "reference",
                                 transfer_id, "payment_type",
                                 ptype ? ptype : "goods_payment", "destination", "type", "corridor_settlement",
                                 "corridor_id", id, "destination_zone_id", peer_zone, "bank_details",
                                 "beneficiary_name", payee_name, "beneficiary_zone_id", peer_zone,
                                 "beneficiary_account_id", dest_account));
    if (json_object_get(body, "compliance"))
        json_object_set(payment, "compliance", json_object_get(body, "compliance"));
    op.op = "fiscal.payment";
    op.body = payment;
    op.actor_entity = env->actor_entity;
    /* Keyed by the transfer: a remote Mass needs a key, and the payment is made at most once for it. */
    op.idem_key = apr_pstrcat(p, "transfer:", transfer_id, NULL);
    if (mez_corridor_env_run(env, &op, &out, NULL, &pb) != MEZ_OK)
        return xfail(env, xa, &pb, NULL);       /* pointers into the payment are pointers into this body */
    if (out.status >= 400) {
        xa->status = out.status;
        xa->text = out.body_text;
        xa->decision = out.decision;
        return 0;
    }
    xa->money_moved = 1;
    xa->decision = out.decision ? out.decision : "";
    /* A retry under the transfer's key gets the payment's first answer; the treasury may have returned it since
     * (its bank leg, here the corridor, never happened): then nothing more is done for the transfer. */
    if (payment_not_returned(env, str(json_object_get(out.body, "resource"), "payment_id"), &pb) != MEZ_OK)
        return xfail(env, xa, &pb, json_pack("{s:s, s:O}", "transfer_id", transfer_id, "payment", out.body));

    /* 3. the receipt: both zones' decisions */
    transition = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:O, s:s}, "
                           "s:{s:s, s:O, s:O}}}",
                           "kind", "cross_border_transfer", "payload", "transfer_id", transfer_id, "amount", amount,
                           "currency", currency, "source", "zone_id", zone_id, "account_id", src, "entity_id",
                           str(account, "entity_id"), "payer_name", str(json_object_get(inbound, "source"),
                                                                         "payer_name"),
                           "destination", "zone_id", peer_zone, "account_id", dest_account,
                           "outbound", "zone_id", zone_id, "decision", out.decision ? out.decision : "",
                           "evaluation_digest", json_object_get(json_object_get(out.body, "compliance"),
                                                                "evaluation_digest"),
                           "credential_digest", out.credential_digest ? out.credential_digest : "",
                           "inbound", "zone_id", peer_zone, "decision",
                           json_object_get(json_object_get(ans.body, "compliance"), "decision"),
                           "evaluation_digest", json_object_get(json_object_get(ans.body, "compliance"),
                                                                "evaluation_digest"));
    if (!transition) {
        mez_problem(&pb, p, MEZ_EINTERNAL, 502, "transfer.incomplete_decisions", NULL,
                    "the zones' decisions could not be put on the receipt");
        return xfail(env, xa, &pb, NULL);
    }
    own(env, transition);
    if (json_object_get(dest, "compliance"))
        json_object_set(json_object_get(json_object_get(transition, "payload"), "destination"), "compliance",
                        json_object_get(dest, "compliance"));
    /* Recorded under the transfer's id: a resumed transfer whose receipt is on the chain already gets that one.
     * When this fails, the payment is made and attested here; only its record on the corridor is missing, and
     * the answer names the transfer and the payment for the retry that finishes it. */
    if (mez_corridor_record(env, id, transition, transfer_id, &receipt, &seq, &delivery, &pb) != MEZ_OK)
        return xfail(env, xa, &pb, json_pack("{s:s, s:O}", "transfer_id", transfer_id, "payment", out.body));

    /* 4. the destination settles from its own copy of the chain; then this zone's payment has left it. The payment
     * is looked at again first: a return committed while the receipt was being recorded (on a responder, a round
     * trip to the sequencer) would otherwise reach the destination (the receipt stays; /settle asks again and
     * refuses it the same way). */
    if (payment_not_returned(env, str(json_object_get(out.body, "resource"), "payment_id"), &pb) != MEZ_OK)
        return xfail(env, xa, &pb, json_pack("{s:s, s:I, s:O}", "transfer_id", transfer_id, "sequence",
                                             (json_int_t)seq, "receipt", receipt));
    settle_at_peer(env, id, seq, &settlement);
    payment_settlement = json_is_true(json_object_get(settlement, "settled"))
        ? settle_own_payment(env, id, seq, str(json_object_get(out.body, "resource"), "payment_id"))
        : json_pack("{s:b, s:s, s:s}", "settled", 0, "code", "transfer.not_settled_at_destination", "detail",
                    "the payment stays processing until the destination settles the transfer");
    xa->status = 201;
    xa->text = apr_pstrcat(p, mez_json_dump(p, own(env, json_pack("{s:s, s:s, s:I, s:O, s:O, s:O, s:o, s:o, s:O}",
                                                                  "transfer_id", transfer_id, "corridor_id", id,
                                                                  "sequence", (json_int_t)seq, "receipt", receipt,
                                                                  "outbound", out.body, "inbound", ans.body,
                                                                  "settlement", settlement, "payment_settlement",
                                                                  payment_settlement, "delivery", delivery)),
                                            0), "\n", NULL);
    return 0;
}

void mez_transfer_run(const mez_corridor_env_t *env, const char *id, const json_t *body, const char *transfer_id,
                      mez_transfer_answer_t *xa)
{
    (void)run(env, id, body, transfer_id, xa);
}

mez_status_t mez_transfer_inbound_evaluate(const mez_corridor_env_t *env, const char *peer_zone_id,
                                           const mez_corridor_t *c, const json_t *body, mez_orch_answer_t *out,
                                           json_t **doc, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const json_t *transfer = json_object_get(body, "transfer");
    const char *source = str(json_object_get(transfer, "source"), "zone_id"), *acc_id, *eid;
    mez_corridor_op_t op = { 0 };
    json_t *acc, *ent;
    mez_status_t st;

    *doc = NULL;
    if ((st = corridor_active(env, c, pb)) != MEZ_OK)
        return st;
    if (!source || strcmp(source, peer_zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party", "/transfer/source/zone_id",
                           "zone %s may only ask about transfers from itself", peer_zone_id);
    op.op = "fiscal.inbound_transfer";
    op.body = transfer;
    op.actor = apr_pstrcat(p, "peer:", peer_zone_id, NULL);
    op.preview = 1;
    if ((st = mez_corridor_env_run(env, &op, out, NULL, pb)) != MEZ_OK) {
        if (pb->pointer)
            pb->pointer = apr_pstrcat(p, "/transfer", pb->pointer, NULL);
        return st;
    }
    if (out->status != 200 || !out->body)
        return MEZ_OK;
    /* The payee as this zone's registry names it: the sending zone screens the beneficiary on its own lists too,
     * and its payment record names who was paid. */
    acc_id = str(transfer, "account_id");
    if ((st = mez_orch_mass_read(env->zone, p, env->db, apr_pstrcat(p, "/v1/fiscal/accounts/", acc_id, NULL), NULL,
                                 "/transfer/account_id", &acc, pb)) != MEZ_OK)
        return st;
    if (!(eid = str(acc, "entity_id")))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "transfer.no_payee", "/transfer/account_id",
                           "account %s is held by no entity", acc_id);
    if ((st = mez_orch_mass_read(env->zone, p, env->db, apr_pstrcat(p, "/v1/entities/", eid, NULL), NULL,
                                 "/transfer/account_id", &ent, pb)) != MEZ_OK)
        return st;
    json_object_set_new(out->body, "payee", json_pack("{s:s, s:O}", "entity_id", eid, "legal_name",
                                                      json_object_get(ent, "legal_name")));
    *doc = out->body;
    return MEZ_OK;
}

/* The transfer a receipt of this corridor records, as the destination's inbound request. */
static mez_status_t transfer_of_receipt(const mez_corridor_env_t *env, const char *peer_zone_id, const char *id,
                                        uint64_t seq, const char *text, json_t **inbound, mez_problem_t *pb)
{
    json_t *receipt, *t, *payload, *source, *dest;
    mez_status_t st;
    if ((st = mez_json_parse(env->p, text, strlen(text), &receipt, pb)) != MEZ_OK)
        return st;
    t = json_object_get(receipt, "transition");
    payload = json_object_get(t, "payload");
    source = json_object_get(payload, "source");
    dest = json_object_get(payload, "destination");
    if (!str(t, "kind") || strcmp(str(t, "kind"), "cross_border_transfer")
        || !str(dest, "zone_id") || strcmp(str(dest, "zone_id"), env->zone->zone_id)
        || !str(source, "zone_id") || strcmp(str(source, "zone_id"), peer_zone_id)
        || mez_corridor_requested_by_other(t, peer_zone_id))
        return mez_problem(pb, env->p, MEZ_EINVAL, 422, "transfer.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " of corridor %s is not a transfer from %s to this zone", seq,
                           id, peer_zone_id);
    *inbound = json_pack("{s:O, s:O, s:O, s:O, s:{s:O, s:s, s:I, s:O, s:O, s:O, s:O}}", "account_id",
                         json_object_get(dest, "account_id"), "amount", json_object_get(payload, "amount"),
                         "currency", json_object_get(payload, "currency"), "reference",
                         json_object_get(payload, "transfer_id"), "source", "zone_id",
                         json_object_get(source, "zone_id"), "corridor_id", id, "sequence", (json_int_t)seq,
                         "transfer_id", json_object_get(payload, "transfer_id"), "payer_name",
                         json_object_get(source, "payer_name"), "payer_entity_id", json_object_get(source, "entity_id"),
                         "source_account_id", json_object_get(source, "account_id"));
    if (!*inbound)
        return mez_problem(pb, env->p, MEZ_EINVAL, 422, "transfer.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " lacks a member of a transfer", seq);
    own(env, *inbound);
    if (json_object_get(dest, "compliance"))
        json_object_set(*inbound, "compliance", json_object_get(dest, "compliance"));
    return MEZ_OK;
}

mez_status_t mez_transfer_inbound_settle(const mez_corridor_env_t *env, const char *peer_zone_id,
                                         const mez_corridor_t *c, uint64_t seq, mez_orch_answer_t *out,
                                         json_t **peer_problem, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_op_t op = { 0 };
    const char *text = NULL;
    json_t *inbound;
    int found = 0;
    mez_status_t st;

    *peer_problem = NULL;
    /* Settling moves money into this zone on the corridor's word: only on an ACTIVE corridor, as the preview
     * (mez_transfer_inbound_evaluate), before anything is pulled or paid. HALTED (a fork or an authority's halt: the
     * chain itself is in doubt) and DEPRECATED (the corridor has ended) refuse for good. SUSPENDED refuses too, even
     * for a transfer evaluated and recorded while the corridor was ACTIVE: a suspension is an operator's or a
     * regulator's stop on what moves over the corridor, and waiting loses nothing: the sent money stays in the
     * source zone's outbound settlement account, the deposit is made once per transfer whenever it is made, and the
     * source asks again after the resume (POST /v1/corridors/{id}/settle). This check on c (read before, without
     * the lock) spares the pull; the deposit's own (inbound_prepare, orchestrate_ops.c) re-reads the corridor under
     * its lock in the deposit's transaction, so a move committed in between is not missed. */
    if ((st = corridor_active(env, c, pb)) != MEZ_OK)
        return st;
    /* Only what this zone holds in its own verified copy is settled: fetch what it lacks first. */
    if ((st = mez_corridor_receipt(p, env->db, c->corridor_id, seq, &text, &found, pb)) != MEZ_OK)
        return st;
    if (!found && c->role == MEZ_CORRIDOR_RESPONDER) {
        if ((st = mez_corridor_pull(env, c->corridor_id, peer_problem, pb)) != MEZ_OK
            || (st = mez_corridor_receipt(p, env->db, c->corridor_id, seq, &text, &found, pb)) != MEZ_OK)
            return st;
    }
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.receipt_missing", "/sequence",
                           "this zone holds no receipt %" APR_UINT64_T_FMT " of corridor %s", seq, c->corridor_id);
    if ((st = transfer_of_receipt(env, peer_zone_id, c->corridor_id, seq, text, &inbound, pb)) != MEZ_OK)
        return st;
    op.op = "fiscal.inbound_transfer";
    op.body = inbound;
    op.actor = apr_pstrcat(p, "peer:", peer_zone_id, NULL);
    op.idem_key = apr_pstrcat(p, "transfer:", str(inbound, "reference"), NULL);
    return mez_corridor_env_run(env, &op, out, NULL, pb);
}

mez_status_t mez_transfer_settle_again(const mez_corridor_env_t *env, const char *id, const json_t *body,
                                       json_t **answer, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const json_t *v = json_object_get(body, "sequence");
    mez_corridor_t c;
    json_t *settlement;
    const char *did, *payment_id = NULL;
    uint64_t seq;
    mez_status_t st;

    if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK)
        return st;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) >= c.size)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_field", "/sequence",
                           "sequence names a receipt of this corridor (0..%" APR_UINT64_T_FMT ")",
                           c.size ? c.size - 1 : 0);
    seq = (uint64_t)json_integer_value(v);
    if ((st = mez_corridor_own_outbound(p, env->db, env->zone->zone_id, &c, seq, &payment_id, pb)) != MEZ_OK
        || (st = payment_not_returned(env, payment_id, pb)) != MEZ_OK
        || (st = env->peer(env->baton, c.peer_zone_id, &did, pb)) != MEZ_OK)
        return st;
    settle_at_peer(env, id, seq, &settlement);
    *answer = own(env, json_pack("{s:s, s:I, s:o}", "corridor_id", id, "sequence", (json_int_t)seq, "settlement",
                                 settlement));
    if (json_is_true(json_object_get(settlement, "settled")))
        json_object_set_new(*answer, "payment_settlement", settle_own_payment(env, id, seq, payment_id));
    return MEZ_OK;
}
