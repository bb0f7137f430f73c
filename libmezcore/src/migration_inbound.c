/* migration_inbound.c: the destination zone's side of an entity's migration (mez/migration_saga.h): the preview
 * a source zone asks for before it locks its entity, and the formation from the corridor's receipt, once per
 * receipt. The peer's signature and its party to the corridor are checked by the caller (mod_mez). */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/corridor_env.h"
#include "mez/corridor_exchange.h"
#include "mez/migration_saga.h"
#include "mez/vc.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

#define ENTITY_PAGE 1000      /* entities read per page when the destination checks a name */

/* Whether this zone's register already holds a live entity of that name (the formation would be refused). */
static mez_status_t name_free(const mez_corridor_env_t *env, const char *name, mez_problem_t *pb)
{
    const char *cursor = NULL, *zone_id = env->zone->zone_id;
    do {
        json_t *page, *x;
        size_t i;
        mez_status_t st;
        const char *q = apr_psprintf(env->p, "jurisdiction_id=%s&limit=%d%s%s", zone_id, ENTITY_PAGE,
                                     cursor ? "&cursor=" : "", cursor ? cursor : "");
        if ((st = mez_orch_mass_read(env->zone, env->p, env->db, "/v1/entities", q, NULL, &page, pb)) != MEZ_OK)
            return st;
        json_array_foreach(json_object_get(page, "entities"), i, x) {
            const char *status = str(x, "status");
            if (status && (!strcmp(status, "DISSOLVED") || !strcmp(status, "STRUCK_OFF")
                           || !strcmp(status, "REJECTED")))
                continue;
            if (mez_migration_same_name(env->p, str(x, "legal_name"), name))
                return mez_problem(pb, env->p, MEZ_EINVAL, 409, "entity.name_taken",
                                   "/migration/formation/legal_name",
                                   "an entity named '%s' is already registered in %s (%s)", name, zone_id,
                                   str(x, "entity_id"));
        }
        cursor = str(page, "next_cursor");
    } while (cursor && *cursor);
    return MEZ_OK;
}

mez_status_t mez_saga_inbound_evaluate(const mez_corridor_env_t *env, const char *peer_zone_id, const json_t *body,
                                       mez_orch_answer_t *out, mez_problem_t *pb)
{
    static const char *const mig_allowed[] = { "migration_id", "deadline", "destination_zone_id", "source",
                                               "formation", NULL };
    const json_t *mig = json_object_get(body, "migration"), *f = json_object_get(mig, "formation");
    mez_corridor_op_t call = { 0 };
    json_t *doc = NULL;
    mez_status_t st;

    if (!json_is_object(mig)
        || (st = mez_json_only_members(env->p, mig, "/migration", mig_allowed, "request.unknown_field", pb))
           != MEZ_OK
        || !json_is_object(f) || !str(f, "legal_name")) {
        if (!pb->code)
            mez_problem(pb, env->p, MEZ_EINVAL, 422, "request.invalid_field", "/migration/formation",
                        "migration.formation is the entity's formation request");
        return MEZ_EINVAL;
    }
    if (!str(json_object_get(mig, "source"), "zone_id")
        || strcmp(str(json_object_get(mig, "source"), "zone_id"), peer_zone_id)
        || !str(mig, "destination_zone_id") || strcmp(str(mig, "destination_zone_id"), env->zone->zone_id))
        return mez_problem(pb, env->p, MEZ_EINVAL, 403, "corridor.not_party", "/migration/source/zone_id",
                           "zone %s may only ask about migrations from itself to this zone", peer_zone_id);
    if ((st = name_free(env, str(f, "legal_name"), pb)) != MEZ_OK)
        return st;
    call.op = "entity.formation";
    call.body = f;
    call.actor = apr_pstrcat(env->p, "peer:", peer_zone_id, NULL);
    call.preview = 1;
    if ((st = mez_corridor_env_run(env, &call, out, &doc, pb)) != MEZ_OK) {
        if (pb->pointer)
            pb->pointer = apr_pstrcat(env->p, "/migration/formation", pb->pointer, NULL);
        return st;
    }
    return MEZ_OK;
}

/* The migration a receipt of this corridor records, if it is one from the calling peer to this zone. */
static mez_status_t migration_of_receipt(const mez_corridor_env_t *env, const char *peer_zone_id, uint64_t seq,
                                         const char *text, json_t **payload, mez_problem_t *pb)
{
    json_t *receipt, *t, *pl;
    mez_status_t st;
    if ((st = mez_json_parse(env->p, text, strlen(text), &receipt, pb)) != MEZ_OK)
        return st;
    t = json_object_get(receipt, "transition");
    pl = json_object_get(t, "payload");
    if (!str(t, "kind") || strcmp(str(t, "kind"), "entity_migration")
        || !str(json_object_get(pl, "source"), "zone_id")
        || strcmp(str(json_object_get(pl, "source"), "zone_id"), peer_zone_id)
        || !str(json_object_get(pl, "destination"), "zone_id")
        || strcmp(str(json_object_get(pl, "destination"), "zone_id"), env->zone->zone_id)
        || !str(pl, "migration_id") || !str(pl, "deadline") || !json_is_object(json_object_get(pl, "formation"))
        /* Requested of the sequencer by a zone that is not its source (this one, say). */
        || mez_corridor_requested_by_other(t, peer_zone_id))
        return mez_problem(pb, env->p, MEZ_EINVAL, 422, "migration.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " is not a migration from %s to this zone", seq,
                           peer_zone_id);
    *payload = pl;
    return MEZ_OK;
}

/* The responder's pull, the sequencer's own problem dropped: the caller answers with this zone's. */
static mez_status_t pull_quietly(const mez_corridor_env_t *env, const char *corridor_id, mez_problem_t *pb)
{
    json_t *pp = NULL;
    mez_status_t st = mez_corridor_pull(env, corridor_id, &pp, pb);
    json_decref(pp);
    return st;
}

/* A refusal recorded under a formation's key that is final: a 4xx whose work certainly did not happen. Not the
 * key's own refusals, nor a denial made after the remote Mass write (which may have created the entity). */
static int refused_for_good(apr_pool_t *p, int status, const char *body)
{
    json_t *doc = NULL;
    const char *code;
    if (status < 400 || status >= 500 || !body || mez_json_parse(p, body, strlen(body), &doc, NULL) != MEZ_OK)
        return 0;
    code = str(doc, "code");
    return code && strcmp(code, "compliance.denied_after_mass_write") && strncmp(code, "idempotency.", 12);
}

mez_status_t mez_saga_inbound_complete(const mez_corridor_env_t *env, const char *peer_zone_id,
                                       const mez_corridor_t *c, uint64_t seq, mez_orch_answer_t *out,
                                       json_t **answer, int *formed_nothing, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const char *corridor_id = c->corridor_id;
    const char *text = NULL, *eid, *mid, *formed_body = NULL;
    mez_corridor_op_t call = { 0 };
    json_t *payload = NULL, *doc = NULL, *ent, *later;
    apr_time_t deadline;
    uint64_t at;
    int found = 0, formed_status = 0, begun = 0;
    mez_status_t st;

    *answer = NULL;
    *formed_nothing = 0;
    /* What the sequencer holds beyond this copy first: the receipt, and any compensation after it. */
    if (c->role == MEZ_CORRIDOR_RESPONDER && (st = pull_quietly(env, corridor_id, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_receipt(p, env->db, corridor_id, seq, &text, &found, pb)) != MEZ_OK)
        return st;
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.receipt_missing", "/sequence",
                           "this zone holds no receipt %" APR_UINT64_T_FMT " of corridor %s", seq, corridor_id);
    if ((st = migration_of_receipt(env, peer_zone_id, seq, text, &payload, pb)) != MEZ_OK)
        return st;
    mid = str(payload, "migration_id");
    call.op = "entity.formation";
    call.body = json_object_get(payload, "formation");
    call.actor = apr_pstrcat(p, "peer:", peer_zone_id, NULL);
    call.idem_key = apr_psprintf(p, "migration:%s:%" APR_UINT64_T_FMT, corridor_id, seq);
    /* A formation made already, or begun (a remote Mass's answer still unknown), is answered again (or finished)
     * whatever has happened since: the source asks after its deadline (or after a lost answer) precisely to learn
     * whether this zone formed the entity, and goes forward if it did; refusing now would have it reinstate its
     * own beside this one, live in both zones (review). Only where nothing was begun, or the pipeline refused it
     * for good, do the compensation and the deadline decide. */
    if ((st = mez_corridor_env_answered(env, &call, &begun, &formed_status, &formed_body, pb)) != MEZ_OK)
        return st;
    if (!begun || refused_for_good(p, formed_status, formed_body)) {
        /* A later receipt of the corridor that calls the migration off. */
        if ((st = mez_corridor_find_transition(p, env->db, corridor_id, seq + 1, "entity_migration_compensation",
                                               "migration_id", mid, &later, &at, &found, pb)) != MEZ_OK)
            return st;
        if (found) {
            *formed_nothing = 1;
            return mez_problem(pb, p, MEZ_EINVAL, 409, "migration.compensated", "/sequence",
                               "migration %s was called off on the corridor after receipt %" APR_UINT64_T_FMT, mid,
                               seq);
        }
        if (mez_time_parse_rfc3339(str(payload, "deadline"), &deadline) != 0 || apr_time_now() > deadline) {
            /* Formed nothing, and never will. One gap is left (review): an attempt that passed this check just
             * before the deadline and is still forming the entity is not seen here until it commits (the sovereign
             * store's one transaction), so a second attempt of the source's, sent meanwhile because the first one's
             * answer did not come back in time, may be told nothing was formed. */
            *formed_nothing = 1;
            return mez_problem(pb, p, MEZ_EINVAL, 409, "migration.deadline_passed", "/sequence",
                               "migration %s had to be completed by %s", mid, str(payload, "deadline"));
        }
    }
    st = mez_corridor_env_run(env, &call, out, &doc, pb);
    if (st != MEZ_OK || out->status >= 400 || !(eid = str(doc, "id"))) {
        /* A refusal, the pipeline's answer or a problem. It is of a formation that did not happen only when it
         * left no intent behind, or recorded a refusal that is final: a remote Mass may hold an entity whose
         * attempt was refused after its write (the approval refused, a denial after the write), and then the
         * intent is kept, or the refusal says so (compliance.denied_after_mass_write) (review). */
        int status = st != MEZ_OK ? pb->status : out->status;
        const char *code = st != MEZ_OK ? pb->code : NULL;
        mez_problem_t rpb = { 0 };
        if (status >= 400 && status < 500 && !(code && !strncmp(code, "idempotency.", 12))
            && mez_corridor_env_answered(env, &call, &begun, &formed_status, &formed_body, &rpb) == MEZ_OK)
            *formed_nothing = !begun || refused_for_good(p, formed_status, formed_body);
        /* The pipeline's own refusal is answered as it is, with what the source needs to know of it. */
        if (st == MEZ_OK && *formed_nothing && out->body_text
            && mez_json_parse(p, out->body_text, strlen(out->body_text), &doc, NULL) == MEZ_OK
            && json_is_object(doc)) {
            json_object_set_new(doc, "migration_formed", json_false());
            out->body = doc;
            out->body_text = mez_json_dump(p, doc, 0);
        }
        return st;
    }
    if ((st = mez_orch_mass_read(env->zone, p, env->db, apr_pstrcat(p, "/v1/entities/", eid, NULL), NULL, NULL, &ent,
                                pb)) != MEZ_OK)
        return st;
    *answer = mez_json_pool_own(env->p, json_pack("{s:s, s:s, s:I, s:s, s:O, s:O}", "migration_id", mid, "corridor_id",
                                          corridor_id, "sequence", (json_int_t)seq, "entity_id", eid, "status",
                                          json_object_get(ent, "status"), "formation", doc));
    if (!*answer)
        return mez_problem(pb, p, MEZ_EIO, 502, "mass.unexpected_answer", NULL, "entity %s has no status", eid);
    return MEZ_OK;
}
