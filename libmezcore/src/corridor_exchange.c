/* corridor_exchange.c: receipts between the two zones of a corridor (mez/corridor_exchange.h): the sequencer's
 * append and push, the responder's take, pull and checkpoint, a transition recorded from either side, and the
 * halt a fork causes. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/checkpoint.h"
#include "mez/corridor_exchange.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "corridor_int.h"

static json_t *own(const mez_corridor_env_t *env, json_t *v)
{
    return mez_json_pool_own(env->p, v);
}

/* The peer zone of corridor c, selected for env's calls. */
static mez_status_t select_peer(const mez_corridor_env_t *env, const mez_corridor_t *c, mez_problem_t *pb)
{
    return env->peer(env->baton, c->peer_zone_id, NULL, pb);
}

mez_status_t mez_corridor_definition(apr_pool_t *p, mez_db_t *db, const char *id, json_t **vc,
                                     mez_corridor_terms_t *terms, mez_problem_t *pb)
{
    apr_array_header_t *docs;
    mez_status_t st;
    if ((st = mez_corridor_documents(p, db, id, &docs, pb)) != MEZ_OK)
        return st;
    for (int i = 0; i < docs->nelts; i++) {
        const mez_corridor_doc_t *d = &APR_ARRAY_IDX(docs, i, mez_corridor_doc_t);
        if (strcmp(d->kind, "definition"))
            continue;
        if ((st = mez_json_parse(p, d->text, strlen(d->text), vc, pb)) != MEZ_OK)
            return st;
        return mez_corridor_terms_from_text(p, d->text, terms, pb);
    }
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL, "corridor %s has no definition", id);
}

/* ------------------------------------------------------------------ what may be recorded */

mez_status_t mez_corridor_transition_check(apr_pool_t *p, const json_t *t, mez_problem_t *pb)
{
    if (!json_is_object(t) || !json_is_string(json_object_get(t, "kind"))
        || !json_string_length(json_object_get(t, "kind")))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_field", "/transition",
                           "transition is an object with a non-empty kind (MSEZTransitionEnvelope)");
    /* Key rotations change who signs the chain: only the rotation itself records them (mez key rotate, the
     * peers' key-rotation notice), never a caller's transition. */
    if (!strcmp(json_string_value(json_object_get(t, "kind")), MEZ_KEY_ROTATION_KIND))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.reserved_kind", "/transition/kind",
                           "%s transitions are recorded by a key rotation, not requested", MEZ_KEY_ROTATION_KIND);
    /* Who asked is the sequencer's to record (mez_corridor_peer_may_request), never the asker's to claim. */
    if (json_object_get(t, "requested_by"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.reserved_field", "/transition/requested_by",
                           "requested_by is recorded by the sequencer for a transition the peer zone requested");
    return MEZ_OK;
}

/* Kinds that move money or an entity out of the zone their payload names as source: that zone's own decision,
 * recorded only at its request. */
static int moves_out_of_source(const char *kind)
{
    return !strcmp(kind, "cross_border_transfer") || !strcmp(kind, "entity_migration")
           || !strcmp(kind, "entity_migration_compensation");
}

static const char *zone_of(const json_t *payload, const char *member)
{
    return json_string_value(json_object_get(json_object_get(payload, member), "zone_id"));
}

/* A transfer from this zone is recorded only by this zone's own POST /v1/corridors/{id}/transfers, after its own
 * payment; the peer's decision on it is asked through peers/transfers/evaluate. */
mez_status_t mez_corridor_peer_may_request(apr_pool_t *p, const char *zone_id, const char *peer_zone_id,
                                           const json_t *t, mez_problem_t *pb)
{
    const char *kind = json_string_value(json_object_get(t, "kind")), *source, *dest, *outbound;
    const json_t *payload = json_object_get(t, "payload");
    source = zone_of(payload, "source");
    outbound = zone_of(payload, "outbound");
    dest = zone_of(payload, "destination");
    if (moves_out_of_source(kind) ? !source || strcmp(source, peer_zone_id)
                                  : json_object_get(payload, "source") && (!source || strcmp(source, peer_zone_id)))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.peer_not_source", "/transition/payload/source/zone_id",
                           "zone %s may only ask for transitions it is the source of (%s names %s): this zone's own "
                           "transfers and migrations are recorded by this zone", peer_zone_id, kind,
                           source ? source : "no source");
    if (json_object_get(payload, "outbound") && (!outbound || strcmp(outbound, peer_zone_id)))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.peer_not_source", "/transition/payload/outbound/zone_id",
                           "the outbound decision of a transfer zone %s asks for is its own, not %s's", peer_zone_id,
                           outbound ? outbound : "nobody");
    if (strcmp(kind, "entity_migration_compensation") && moves_out_of_source(kind) && (!dest || strcmp(dest, zone_id)))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.peer_not_source",
                           "/transition/payload/destination/zone_id", "a %s zone %s asks for goes to this zone %s, "
                           "not to %s", kind, peer_zone_id, zone_id, dest ? dest : "nobody");
    return MEZ_OK;
}

/* ------------------------------------------------------------------ halting, and telling the peer */

json_t *mez_corridor_tell_peer(const mez_corridor_env_t *env, const char *id, const char *event,
                               const json_t *evidence)
{
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_peer_answer_t ans = { 0 };
    json_t *out;
    if (strcmp(event, "halt") && strcmp(event, "suspend"))
        return json_pack("{s:b}", "notified", 0);
    if (mez_corridor_get(env->p, env->db, id, &c, &pb) != MEZ_OK || select_peer(env, &c, &pb) != MEZ_OK)
        return json_pack("{s:b, s:s}", "notified", 0, "code", pb.code ? pb.code : "corridor.unknown_peer");
    if (env->call_peer(env->baton, "POST", "/v1/corridors/peers/transition", NULL,
                       json_pack("{s:s, s:s, s:O}", "corridor_id", id, "event", event, "evidence",
                                 evidence ? evidence : json_null()), &ans, &pb) == MEZ_OK)
        return json_pack("{s:b, s:O?}", "notified", 1, "state", json_object_get(ans.body, "state"));
    out = json_pack("{s:b, s:s, s:s}", "notified", 0, "code", pb.code ? pb.code : "internal", "detail",
                    pb.detail ? pb.detail : "");
    if (ans.body && json_object_get(ans.body, "code"))
        json_object_set(out, "peer_problem", ans.body);
    return out;
}

void mez_corridor_halt_for_fork(const mez_corridor_env_t *env, const char *id, const char *reason,
                                const char *evidence_digest)
{
    mez_problem_t hpb = { 0 };
    json_t *ev = own(env, json_pack("{s:s, s:s, s:s}", "reason", reason, "authority", env->zone->zone_id,
                                    "evidence_digest", evidence_digest));
    mez_audit_event_t aev;
    memset(&aev, 0, sizeof(aev));
    env->audit(env->baton, "corridor.halt", "corridor", id, json_pack("{s:s}", "cause", reason), &aev);
    if (mez_corridor_transition(env->p, env->db, id, "halt", ev, apr_time_now(), &aev, NULL, &hpb) != MEZ_OK)
        env->warn(env->baton, apr_psprintf(env->p, "corridor %s: fork evidence kept but not halted: %s", id,
                                           hpb.detail ? hpb.detail : hpb.code));
    else
        json_decref(mez_corridor_tell_peer(env, id, "halt", ev));
}

/* ------------------------------------------------------------------ the sequencer */

mez_status_t mez_corridor_may_sign(apr_pool_t *p, const char *zone_did, const mez_corridor_t *c, mez_problem_t *pb)
{
    if (c->role == MEZ_CORRIDOR_PROPOSER && c->signer_did && strcmp(c->signer_did, zone_did))
        return mez_problem(pb, p, MEZ_EIO, 503, "corridor.key_rotating", NULL,
                           "corridor %s is signed by %s from now on, but this server still holds %s: reload httpd "
                           "with the zone's new key", c->corridor_id, c->signer_did, zone_did);
    return MEZ_OK;
}

mez_status_t mez_corridor_sequence(const mez_corridor_env_t *env, const char *id, const json_t *transition,
                                   const char *ref, json_t **receipt, mez_corridor_append_t *out,
                                   mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_corridor_terms_t terms;
    mez_db_tx_t *tx;
    json_t *vc;
    mez_status_t st;

    if ((st = mez_corridor_definition(p, env->db, id, &vc, &terms, pb)) != MEZ_OK)
        return st;
    /* The row lock first, then the receipt built and signed on the size and head read under it (as a rotation's
     * receipt is, mez_corridor_record_rotation), then the append in the same transaction: two sequencings at once
     * get consecutive numbers. Built on a head read without the lock, the one that lost the race had signed a
     * second receipt for a number already taken, and its own append kept that as fork evidence against this zone
     * (two receipts its key signed for one sequence number) and answered corridor.fork. */
    if ((st = mez_db_begin(p, env->db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, env->db, id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (c.role != MEZ_CORRIDOR_PROPOSER) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_sequencer", NULL, "zone %s writes corridor %s's chain",
                         c.peer_zone_id, id);
        goto done;
    }
    if (c.state != MEZ_CORRIDOR_ACTIVE) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE", id,
                         mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c.state));
        goto done;
    }
    if ((st = mez_corridor_may_sign(p, env->zone->did, &c, pb)) != MEZ_OK)
        goto done;
    if (ref) {
        /* The request appended its receipt already (a retry after a lost answer or a crash): that one. */
        const char *text;
        uint64_t seq;
        int found = 0;
        if ((st = mez_corridor_receipt_by_ref(p, env->db, id, ref, &text, &seq, &found, pb)) != MEZ_OK)
            goto done;
        if (found) {
            mez_db_rollback(p, tx);
            memset(out, 0, sizeof(*out));
            out->repeated = 1;
            out->seq = seq;
            out->size = c.size;
            out->root = c.root;
            return mez_json_parse(p, text, strlen(text), receipt, pb);
        }
    }
    if ((st = mez_corridor_receipt_make(p, env->zone->key, &terms, c.size, &c.head, transition, apr_time_now(),
                                        receipt, pb)) != MEZ_OK
        || (st = mez_corridor_append_ref_in_tx(p, env->db, id, *receipt, ref, apr_time_now(), out, pb)) != MEZ_OK)
        goto done;
    if ((st = mez_db_commit(p, tx, pb)) == MEZ_OK)
        env->count(env->baton, id, "appended", 1);
    return st;
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_push(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                               mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_status_t st;

    *peer_problem = NULL;
    for (;;) {
        apr_array_header_t *texts;
        mez_peer_answer_t ans = { 0 };
        mez_digest_t ours, theirs;
        json_t *arr;
        json_int_t size;
        uint64_t sent_from;
        if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK)
            return st;
        if (c.acked_size >= c.size)
            return MEZ_OK;
        if ((st = select_peer(env, &c, pb)) != MEZ_OK
            || (st = mez_corridor_receipts_from(p, env->db, id, c.acked_size, MEZ_CORRIDOR_BATCH, &texts, pb))
               != MEZ_OK)
            return st;
        arr = json_array();
        for (int i = 0; i < texts->nelts; i++) {
            json_t *x;
            const char *t = APR_ARRAY_IDX(texts, i, const char *);
            if ((st = mez_json_parse(p, t, strlen(t), &x, pb)) != MEZ_OK) {
                json_decref(arr);
                return st;
            }
            json_array_append(arr, x);
        }
        if ((st = env->call_peer(env->baton, "POST", "/v1/corridors/peers/receipts", NULL,
                                 json_pack("{s:s, s:o}", "corridor_id", id, "receipts", arr), &ans, pb)) != MEZ_OK) {
            *peer_problem = mez_peer_problem(&ans);
            env->count(env->baton, id, "failed", (uint64_t)texts->nelts);
            return st;
        }
        size = json_integer_value(json_object_get(ans.body, "size"));
        /* Another request's push may have taken the peer beyond what this one read: compare with the chain as
         * it is now, not as it was before the call. */
        sent_from = c.acked_size;
        if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK)
            return st;
        if (size <= (json_int_t)sent_from || size > (json_int_t)c.size
            || mez_receipt_hex_digest(p, json_string_value(json_object_get(ans.body, "root")), "/root", &theirs, pb)
               != MEZ_OK
            || mez_corridor_root_at(p, env->db, id, (uint64_t)size, &ours, pb) != MEZ_OK
            || !mez_digest_equal(&ours, &theirs)) {
            env->count(env->baton, id, "failed", (uint64_t)texts->nelts);
            return mez_problem(pb, p, MEZ_EIO, 502, "corridor.peer_diverged", NULL,
                               "peer %s answered a chain of %" APR_INT64_T_FMT " receipts that is not a prefix "
                               "of this one", c.peer_zone_id, (apr_int64_t)size);
        }
        if ((st = mez_corridor_ack(p, env->db, id, (uint64_t)size, pb)) != MEZ_OK)
            return st;
        /* What this push took the peer past, not what a concurrent push already counted. */
        if ((uint64_t)size > c.acked_size)
            env->count(env->baton, id, "pushed", (uint64_t)size - c.acked_size);
    }
}

/* ------------------------------------------------------------------ the responder */

mez_status_t mez_corridor_take_receipts(const mez_corridor_env_t *env, const mez_corridor_t *c,
                                        const json_t *receipts, const char *base, int *appended, int *repeated,
                                        mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const json_t *x;
    size_t i;
    mez_status_t st;

    *appended = *repeated = 0;
    /* Each receipt on its own under the row lock (mez_corridor_take): one this copy holds is compared with the
     * held one, a new one is checked with the key in force at its number as the chain has it then, so a batch
     * resent from a lagging acknowledgement across a rotation of the sequencer's key is taken as it was signed. */
    json_array_foreach(receipts, i, x) {
        const char *ptr = mez_pointer_index(p, base, i);
        mez_corridor_append_t out;
        st = mez_corridor_take(p, env->db, c->corridor_id, x, apr_time_now(), &out, pb);
        if (st != MEZ_OK) {
            env->count(env->baton, c->corridor_id, "failed", 1);
            /* Two signed receipts for one sequence number: the sequencer equivocated. Halt, citing the evidence
             * the store kept; the 409 still answers the push. */
            if (pb && pb->code && !strcmp(pb->code, "corridor.fork"))
                mez_corridor_halt_for_fork(env, c->corridor_id,
                                           apr_psprintf(p, "fork at sequence %" APR_UINT64_T_FMT, out.seq),
                                           out.evidence_digest);
            if (pb && pb->pointer)
                pb->pointer = apr_pstrcat(p, ptr, pb->pointer, NULL);
            return st;
        }
        if (out.repeated)
            (*repeated)++;
        else {
            (*appended)++;
            env->count(env->baton, c->corridor_id, "appended", 1);
        }
    }
    return MEZ_OK;
}

/* The responder keeps the sequencer's latest checkpoint once its own copy has caught up, after checking it
 * against that copy: a checkpoint that contradicts the receipts the same sequencer signed halts the corridor
 * with the evidence kept. */
static mez_status_t take_checkpoint(const mez_corridor_env_t *env, const mez_corridor_t *c, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const char *origin, *text = NULL, *evidence = NULL, *line2, *did;
    mez_key_t *signer;
    int status = 0;
    mez_status_t st;

    if ((st = mez_checkpoint_origin(p, c->peer_zone_id, c->corridor_id, &origin, pb)) != MEZ_OK
        || (st = env->get_text(env->baton, apr_pstrcat(p, "/v1/corridors/", c->corridor_id, "/checkpoint", NULL),
                               &status, &text, pb)) != MEZ_OK)
        return st;
    if (status == 404)
        return MEZ_OK;      /* no checkpoint signed yet */
    if (status != 200 || !text)
        return mez_problem(pb, p, MEZ_EIO, 502, "corridor.peer_refused", NULL,
                           "peer %s answered %d to GET its checkpoint", c->peer_zone_id, status);
    /* Checked with the key that signed at the note's size (the chain's rotations say which): the size is read
     * before the signature is checked only to choose that key; opening the note verifies it. */
    line2 = strchr(text, '\n');
    if ((st = mez_corridor_signer_at(p, env->db, c->corridor_id, line2 ? (uint64_t)apr_atoi64(line2 + 1) : 0, &did,
                                     pb)) != MEZ_OK
        || (st = mez_did_key_resolve(p, did, &signer, pb)) != MEZ_OK)
        return st;
    st = mez_corridor_checkpoint_take(p, env->db, c->corridor_id, origin, origin, signer, text, apr_time_now(),
                                      &evidence, pb);
    if (st != MEZ_OK && pb && pb->code && !strcmp(pb->code, "corridor.behind"))
        return MEZ_OK;      /* signed after the receipts this copy fetched: the next sync takes it */
    if (st != MEZ_OK && evidence)
        mez_corridor_halt_for_fork(env, c->corridor_id, "checkpoint contradicts the chain", evidence);
    return st;
}

mez_status_t mez_corridor_pull(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                               mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_status_t st;

    *peer_problem = NULL;
    for (;;) {
        mez_peer_answer_t ans = { 0 };
        const json_t *arr;
        int appended, repeated;
        if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK || (st = select_peer(env, &c, pb)) != MEZ_OK)
            return st;
        if ((st = env->call_peer(env->baton, "GET", apr_pstrcat(p, "/v1/corridors/", id, "/receipts", NULL),
                                 apr_psprintf(p, "from=%" APR_UINT64_T_FMT "&limit=%d", c.size, MEZ_CORRIDOR_BATCH),
                                 NULL, &ans, pb)) != MEZ_OK) {
            *peer_problem = mez_peer_problem(&ans);
            return st;
        }
        arr = json_object_get(ans.body, "receipts");
        if (!json_is_array(arr) || !json_array_size(arr))
            break;
        if ((st = mez_corridor_take_receipts(env, &c, arr, "/receipts", &appended, &repeated, pb)) != MEZ_OK)
            return st;
        if (!appended)
            break;
    }
    return take_checkpoint(env, &c, pb);
}

/* ------------------------------------------------------------------ either side */

mez_status_t mez_corridor_record(const mez_corridor_env_t *env, const char *id, const json_t *transition,
                                 const char *ref, json_t **receipt, uint64_t *seq, json_t **delivery,
                                 mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_problem_t dpb = { 0 };
    mez_corridor_t c;
    mez_corridor_append_t out;
    json_t *pp = NULL;
    mez_status_t st;

    if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK)
        return st;
    if (c.role == MEZ_CORRIDOR_PROPOSER) {
        if ((st = mez_corridor_sequence(env, id, transition, ref, receipt, &out, pb)) != MEZ_OK)
            return st;
        *seq = out.seq;
        st = mez_corridor_push(env, id, &pp, &dpb);
    }
    else {
        mez_peer_answer_t ans = { 0 };
        json_t *one, *ask, *asked, *got;
        int appended, repeated;
        if ((st = select_peer(env, &c, pb)) != MEZ_OK)
            return st;
        ask = json_pack("{s:s, s:O}", "corridor_id", id, "transition", transition);
        if (ref)
            json_object_set_new(ask, "request_ref", json_string(ref));
        if ((st = env->call_peer(env->baton, "POST", "/v1/corridors/peers/transitions", NULL, ask, &ans, pb))
            != MEZ_OK)
            return st;     /* pb names the peer's own problem code and detail */
        /* The sequencer's word that it recorded this transition is the receipt it signed for it, as it records a
         * peer's request (with requested_by naming this zone): a success without one, or with a receipt of
         * another transition, records nothing here. */
        got = json_object_get(ans.body, "receipt");
        asked = own(env, json_deep_copy(transition));
        json_object_set_new(asked, "requested_by", json_pack("{s:s}", "zone_id", env->zone->zone_id));
        if (!json_is_object(got))
            return mez_problem(pb, p, MEZ_EIO, 502, "corridor.peer_invalid_answer", "/receipt",
                               "zone %s answered the transition without the receipt it signed for it", c.peer_zone_id);
        if (!json_equal(json_object_get(got, "transition"), asked))
            return mez_problem(pb, p, MEZ_EIO, 502, "corridor.peer_invalid_answer", "/receipt/transition",
                               "zone %s answered a receipt of another transition than the one this zone asked for",
                               c.peer_zone_id);
        if ((st = mez_corridor_pull(env, id, &pp, pb)) != MEZ_OK) {
            if (pp)
                json_decref(pp);
            return st;
        }
        one = own(env, json_pack("[O]", got));
        if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK
            || (st = mez_corridor_take_receipts(env, &c, one, "/receipt", &appended, &repeated, pb)) != MEZ_OK)
            return st;
        /* Held in this copy now (appended or the same one already held): its number is this zone's to answer. */
        *receipt = got;
        *seq = (uint64_t)json_integer_value(json_object_get(got, "sequence"));
        st = MEZ_OK;
    }
    *delivery = mez_peer_outcome("delivered", st, &dpb, json_object_get(pp, "peer_problem"));
    if (pp)
        json_decref(pp);
    own(env, *delivery);
    return MEZ_OK;
}
