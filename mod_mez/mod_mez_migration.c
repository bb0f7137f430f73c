/* mod_mez_migration.c: an entity moves from this zone to a peer zone over a corridor, as the lifecycle's migration
 * saga (mez/lifecycle.h; the source's record in mez/migration.h). Each step is one move of the machine, recorded
 * with its evidence before the next begins, and each side effect is keyed so that a step repeated after a crash
 * (POST .../advance) is answered, not redone:
 *
 *   INITIATED -> COMPLIANCE_CHECK          the formation the destination will be asked for is fixed (its digest)
 *   COMPLIANCE_CHECK -> ATTESTATION_GATHERING   the destination previews that entity.formation on its own packs
 *                                          and lists (peers/migrations/evaluate); a refusal -> CANCELLED, its
 *                                          problem kept
 *   ATTESTATION_GATHERING -> SOURCE_LOCKED this zone suspends the entity through its own pipeline (entity.status
 *                                          SUSPENDED, reason "migration ..."): its decision and attestation join
 *                                          the destination's; a denial -> CANCELLED with nothing locked
 *   SOURCE_LOCKED -> IN_TRANSIT            the corridor receipt "entity_migration" (migration id, the entity
 *                                          record's digest, both decisions, the formation)
 *   IN_TRANSIT -> DESTINATION_VERIFICATION the destination forms the entity from its own verified copy of that
 *                                          receipt (peers/migrations/complete, once per receipt) and answers its
 *                                          credential, which this zone verifies
 *   DESTINATION_VERIFICATION -> DESTINATION_UNLOCK   the destination's entity is ACTIVE
 *   DESTINATION_UNLOCK -> COMPLETED        this zone strikes its entity off (entity.status STRUCK_OFF: see
 *                                          retire()) and issues an EntityMigrationCredential naming both ids
 *
 * A destination that refuses after the lock -> COMPENSATED; past the deadline only "timeout" is allowed
 * (-> TIMED_OUT). Either way, and for a cancellation from SOURCE_LOCKED, the entity is reinstated through the
 * pipeline and, once a receipt exists, an "entity_migration_compensation" receipt tells the destination never
 * to complete it. A destination that cannot be reached before the deadline leaves the migration where it is
 * (503): the operator advances it again.
 *
 *   operator  POST /v1/corridors/{id}/migrations {entity_id, deadline, compliance?, hold_at?}
 *             GET  /v1/corridors/{id}/migrations/{migration_id}
 *             POST /v1/corridors/{id}/migrations/{migration_id}/advance {hold_at?}
 *             POST /v1/corridors/{id}/migrations/{migration_id}/cancel
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
#include "mez/digest.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/mass.h"
#include "mez/migration.h"
#include "mez/orchestrate.h"
#include "mez/vc.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define ENTITY_PAGE 1000      /* entities read per page when the destination checks a name */

/* ------------------------------------------------------------------ small helpers */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *own(request_rec *r, json_t *v)
{
    return mez_json_pool_own(r->pool, v);
}

static const char *digest_of(request_rec *r, const json_t *v)
{
    mez_problem_t pb = { 0 };
    const char *text;
    mez_digest_t d;
    if (!v || mez_json_canonicalize(r->pool, v, &text, NULL, &pb) != MEZ_OK)
        return NULL;
    mez_digest_sha256(text, strlen(text), &d);
    return mez_digest_format(r->pool, &d);
}

static json_t *problem_json(request_rec *r, const mez_problem_t *pb)
{
    json_t *o = json_pack("{s:i, s:s, s:s}", "status", pb->status ? pb->status : 500, "code",
                          pb->code ? pb->code : "internal", "detail", pb->detail ? pb->detail : "");
    if (pb->pointer)
        json_object_set_new(o, "pointer", json_string(pb->pointer));
    return own(r, o);
}

/* ------------------------------------------------------------------ the peer */

typedef mez_peer_answer_t peer_answer_t;

/* A signed POST to the peer (mez_corridor_call_peer): the migration's calls carry a body and no query. */
static mez_status_t call_peer(request_rec *r, const mez_srv_conf_t *sc, const mez_peer_t *peer, const char *path,
                              json_t *body, peer_answer_t *ans, mez_problem_t *pb)
{
    return mez_corridor_call_peer(r, sc, peer, "POST", path, NULL, body, ans, pb);
}

/* A definite no from the peer (a problem document with a 4xx status), as opposed to no answer at all. */
static int peer_said_no(const peer_answer_t *ans)
{
    return ans->status >= 400 && ans->status < 500 && json_is_object(ans->body) && str(ans->body, "code");
}

/* The corridor a peer names: between it and this zone, and ACTIVE. */
static mez_status_t corridor_with(request_rec *r, mez_db_t *db, const char *id, const mez_peer_t *peer,
                                  mez_corridor_t *c, mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_corridor_of_peer(r, db, id, peer, c, pb)) != MEZ_OK)
        return st;
    if (c->state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 409, "corridor.not_active", "/corridor_id",
                           "corridor %s is %s, not ACTIVE", id,
                           mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state));
    return MEZ_OK;
}

/* ------------------------------------------------------------------ this zone's pipeline and registry */

typedef struct op_call_t {
    const char *op, *path_id, *actor, *idem_key, *path;
    const json_t *body;
    int preview;
} op_call_t;

static mez_status_t run_op(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const op_call_t *c,
                           mez_orch_answer_t *ans, json_t **doc, mez_problem_t *pb)
{
    mez_orch_zone_t z;
    mez_orch_request_t req = { 0 };
    mez_status_t st;
    mez_orch_zone_of(r, sc, &z);
    req.op = c->op;
    req.path_id = c->path_id;
    req.body = c->body;
    req.now = apr_time_now();
    req.actor = c->actor;
    req.idempotency_key = c->idem_key;
    req.path = c->path;
    req.request_id = mez_request_id(r);
    req.preview = c->preview;
    if ((st = mez_orch_run(r->pool, db, &z, &req, ans, pb)) != MEZ_OK)
        return st;
    *doc = ans->body;
    /* A replay carries the first answer's bytes only. */
    if (!*doc && ans->body_text && mez_json_parse(r->pool, ans->body_text, strlen(ans->body_text), doc, pb) != MEZ_OK)
        return st;
    return MEZ_OK;
}

/* A reference to a person in this zone's identity registry means nothing in another zone's: it stays behind. */
static void copy_members(json_t *to, const json_t *from, const char *const *members)
{
    for (; *members; members++) {
        const json_t *v = json_object_get(from, *members);
        if (!v || json_is_null(v))
            continue;
        if (!strcmp(*members, "identity_ref") && json_is_string(v) && !strncmp(json_string_value(v), "per_", 4))
            continue;
        json_object_set(to, *members, (json_t *)v);
    }
}

/* The formation the destination is asked for: the entity as this zone's registry holds it (name, type, current
 * officers, active beneficial owners), linked to its id here. The registered office and share capital are not
 * carried: an office is an address in the old jurisdiction, and capital is restated under the new one's law. */
static mez_status_t formation_of(request_rec *r, mez_db_t *db, const json_t *ent, const char *mid,
                                 const char *corridor_id, const mez_srv_conf_t *sc, const json_t *compliance,
                                 json_t **out, mez_problem_t *pb)
{
    static const char *const officer_members[] = { "name", "role", "identity_ref", "nationality", "is_resident",
                                                    NULL };
    static const char *const owner_members[] = { "name", "identity_ref", "nationality", "date_of_birth",
                                                 "ownership_percentage", "control_type", NULL };
    const char *eid = str(ent, "entity_id");
    json_t *owners, *f, *dirs = json_array(), *bos = json_array(), *x;
    size_t i;
    mez_status_t st;

    own(r, dirs);
    own(r, bos);
    if ((st = mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/entities/", eid, "/beneficial-owners", NULL), NULL,
                       "/entity_id", &owners, pb)) != MEZ_OK)
        return st;
    json_array_foreach(json_object_get(ent, "directors"), i, x) {
        json_t *d = json_object();
        copy_members(d, x, officer_members);
        json_array_append_new(dirs, d);
    }
    json_array_foreach(json_object_get(owners, "beneficial_owners"), i, x) {
        json_t *o;
        if (json_is_false(json_object_get(x, "active")))
            continue;
        o = json_object();
        copy_members(o, x, owner_members);
        json_array_append_new(bos, o);
    }
    f = own(r, json_pack("{s:O, s:O, s:{s:{s:s, s:s, s:s, s:s}}}", "entity_type", json_object_get(ent, "entity_type"),
                         "legal_name", json_object_get(ent, "legal_name"), "metadata", "migrated_from", "zone_id",
                         sc->zone_id, "entity_id", eid, "migration_id", mid, "corridor_id", corridor_id));
    if (!f)
        return mez_problem(pb, r->pool, MEZ_EIO, 502, "mass.unexpected_answer", "/entity_id",
                           "entity %s has no type or legal name", eid);
    if (str(ent, "trading_name"))
        json_object_set(f, "trading_name", json_object_get(ent, "trading_name"));
    if (json_array_size(dirs))
        json_object_set(f, "directors", dirs);
    if (json_array_size(bos))
        json_object_set(f, "beneficial_owners", bos);
    if (compliance)
        json_object_set(f, "compliance", (json_t *)compliance);
    *out = f;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ the saga */

typedef struct saga_t {
    request_rec *r;
    mez_srv_conf_t *sc;
    mez_db_t *db;
    const mez_peer_t *peer;
    mez_migration_t m;
} saga_t;

static const char *saga_path(saga_t *s)
{
    return apr_pstrcat(s->r->pool, "/v1/corridors/", s->m.corridor_id, "/migrations/", s->m.migration_id, NULL);
}

/* A status change of the source entity through this zone's pipeline, once per migration and purpose: a retry
 * (after a crash, or a lost answer) replays the first answer. */
static mez_status_t source_status(saga_t *s, const char *purpose, const char *target, const char *reason,
                                  mez_orch_answer_t *ans, json_t **doc, mez_problem_t *pb)
{
    op_call_t c = { 0 };
    json_t *body = own(s->r, json_pack("{s:s, s:s}", "target_status", target, "reason", reason));
    if (json_object_get(s->m.request, "compliance"))
        json_object_set(body, "compliance", json_object_get(s->m.request, "compliance"));
    c.op = "entity.status";
    c.path_id = s->m.entity_id;
    c.body = body;
    c.actor = apr_pstrcat(s->r->pool, "migration:", s->m.migration_id, NULL);
    c.idem_key = apr_pstrcat(s->r->pool, "migration:", s->m.migration_id, ":", purpose, NULL);
    c.path = apr_pstrcat(s->r->pool, saga_path(s), "/", purpose, NULL);
    return run_op(s->r, s->sc, s->db, &c, ans, doc, pb);
}

static json_t *decision_json(saga_t *s, const json_t *doc)
{
    const json_t *cs = json_object_get(doc, "compliance");
    json_t *o = own(s->r, json_pack("{s:s, s:O?, s:O?}", "zone_id", s->sc->zone_id, "decision",
                                    json_object_get(cs, "decision"), "evaluation_digest",
                                    json_object_get(cs, "evaluation_digest")));
    if (json_object_get(doc, "attestation"))
        json_object_set_new(o, "attestation_digest", json_string(digest_of(s->r, json_object_get(doc, "attestation"))));
    if (json_object_get(doc, "credential"))
        json_object_set_new(o, "credential_digest", json_string(digest_of(s->r, json_object_get(doc, "credential"))));
    return o;
}

/* The evidence recorded by the move that entered state, or NULL. */
static const json_t *evidence_at(saga_t *s, const char *state)
{
    mez_problem_t pb = { 0 };
    json_t *steps, *x, *found = NULL;
    size_t i;
    if (mez_migration_steps(s->r->pool, s->db, s->m.migration_id, &steps, &pb) != MEZ_OK)
        return NULL;
    json_array_foreach(steps, i, x)
        if (!strcmp(str(x, "to_state"), state))
            found = json_object_get(x, "evidence");
    return found;
}

/* Every step is the zone's action on behalf of the request that drives the saga: its audit row (the store names
 * the step) carries that request's caller and id. */
static void step_audit(saga_t *s, mez_audit_event_t *ev)
{
    mez_request_audit_event(s->r, "migration", "migration", s->m.migration_id, "committed", NULL, ev);
}

static mez_status_t move(saga_t *s, int event, json_t *evidence, const mez_migration_update_t *u, mez_problem_t *pb)
{
    mez_audit_event_t ev;
    step_audit(s, &ev);
    return mez_migration_move(s->r->pool, s->db, &s->m, event, apr_time_now(), own(s->r, evidence), u, &ev, NULL, pb);
}

/* The first receipt of kind for this migration in the corridor from `from` on (*found 0 when none). */
static mez_status_t find_receipt(saga_t *s, const char *kind, int64_t from, json_t **receipt, int *found,
                                 mez_problem_t *pb)
{
    uint64_t seq;
    return mez_corridor_find_transition(s->r->pool, s->db, s->m.corridor_id, from < 0 ? 0 : (uint64_t)from, kind,
                                        "migration_id", s->m.migration_id, receipt, &seq, found, pb);
}

/* Releases what the migration holds, then records the move that ends it (cancel, compensate, timeout): a
 * compensation receipt once a migration receipt exists (so the destination never completes it), the source
 * entity reinstated when locked. Each effect is keyed, so a release interrupted half way is finished by the next
 * attempt without doing anything twice. */
static mez_status_t release(saga_t *s, int event, const char *why, const json_t *problem, mez_problem_t *pb)
{
    mez_migration_update_t u;
    json_t *evidence = own(s->r, json_pack("{s:s}", "reason", why));
    const char *effect = NULL;
    int to;
    mez_status_t st;

    /* The machine first: nothing is undone for a move it would refuse. */
    if ((st = mez_lifecycle_migration_step(s->r->pool, s->m.state, event, apr_time_now(), s->m.deadline, &to, &effect,
                                           pb)) != MEZ_OK)
        return st;
    if (problem)
        json_object_set(evidence, "problem", (json_t *)problem);
    if (s->m.receipt_seq >= 0) {
        json_t *receipt = NULL, *delivery = NULL;
        uint64_t seq = 0;
        int found;
        if ((st = find_receipt(s, "entity_migration_compensation", s->m.receipt_seq + 1, &receipt, &found, pb))
            != MEZ_OK)
            return st;
        if (!found) {
            mez_problem_t rpb = { 0 };
            json_t *t = own(s->r, json_pack("{s:s, s:{s:s, s:I, s:s, s:{s:s, s:s}}}", "kind",
                                            "entity_migration_compensation", "payload", "migration_id",
                                            s->m.migration_id, "sequence", (json_int_t)s->m.receipt_seq, "reason",
                                            why, "source", "zone_id", s->sc->zone_id, "entity_id", s->m.entity_id));
            /* Only a responder's append can fail for want of its peer (the sequencer). The destination acts only
             * when this zone asks it to complete, and never past the deadline, so the notice is a second guard:
             * the entity is not kept locked for it, and the evidence says it is missing. */
            if (mez_corridor_record(s->r, s->sc, s->db, s->m.corridor_id, t, NULL, &receipt, &seq, &delivery, &rpb)
                != MEZ_OK) {
                json_object_set_new(evidence, "compensation_receipt", json_pack("{s:b, s:s, s:s}", "recorded", 0,
                                    "code", rpb.code ? rpb.code : "internal", "detail", rpb.detail ? rpb.detail : ""));
                receipt = NULL;
            }
        }
        if (receipt) {
            json_object_set_new(evidence, "compensation_sequence", json_integer(json_integer_value(
                                    json_object_get(receipt, "sequence"))));
            json_object_set_new(evidence, "compensation_receipt_root", json_string(str(receipt, "next_root")
                                                                                       ? str(receipt, "next_root") : ""));
        }
    }
    if (s->m.locked) {
        mez_orch_answer_t ans;
        json_t *doc = NULL;
        json_t *ent = NULL;
        mez_problem_t epb = { 0 };
        st = source_status(s, "unlock", "ACTIVE", apr_psprintf(s->r->pool, "migration %s ended (%s): the entity is "
                           "reinstated", s->m.migration_id, mez_lifecycle_state_name(MEZ_LIFECYCLE_MIGRATION, to)),
                           &ans, &doc, pb);
        /* Reinstated meanwhile by other means (an operator's status change): nothing is left to unlock. */
        if (st != MEZ_OK && pb->status == 409
            && mez_request_mass_get(s->r, s->db, apr_pstrcat(s->r->pool, "/v1/entities/", s->m.entity_id, NULL),
                                    NULL, NULL, &ent, &epb) == MEZ_OK
            && str(ent, "status") && !strcmp(str(ent, "status"), "ACTIVE")) {
            json_object_set_new(evidence, "unlock", json_pack("{s:s, s:s}", "zone_id", s->sc->zone_id, "already",
                                                              "ACTIVE"));
        } else {
            if (st != MEZ_OK)
                return st;
            if (ans.status >= 400)
                return mez_problem(pb, s->r->pool, MEZ_EINVAL, ans.status, "migration.unlock_refused", NULL,
                                   "this zone's pipeline refused to reinstate entity %s: %s", s->m.entity_id,
                                   str(doc, "detail") ? str(doc, "detail") : "(no detail)");
            json_object_set_new(evidence, "unlock", decision_json(s, doc));
        }
    }
    mez_migration_update_init(&u);
    u.locked = 0;
    u.problem = problem;
    return move(s, event, json_incref(evidence), &u, pb);
}

/* COMPLIANCE_CHECK: the destination's preview of the formation. */
static mez_status_t step_compliance(saga_t *s, mez_problem_t *pb)
{
    peer_answer_t ans;
    mez_status_t st;
    json_t *ask = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}, s:O}}", "corridor_id", s->m.corridor_id,
                            "migration", "migration_id", s->m.migration_id, "deadline", s->m.deadline_text,
                            "destination_zone_id", s->m.destination_zone_id, "source", "zone_id", s->sc->zone_id,
                            "entity_id", s->m.entity_id, "formation", json_object_get(s->m.request, "formation"));
    st = call_peer(s->r, s->sc, s->peer, "/v1/corridors/peers/migrations/evaluate", ask, &ans, pb);
    if (st != MEZ_OK && peer_said_no(&ans))
        return release(s, MEZ_MIGRATION_EV_CANCEL, "the destination refused the formation", ans.body, pb);
    if (st != MEZ_OK)
        return st;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:{s:s, s:O?, s:O?}}", "destination", "zone_id", s->peer->zone_id, "decision",
                          json_object_get(ans.body, "decision"), "evaluation_digest",
                          json_object_get(json_object_get(ans.body, "compliance"), "evaluation_digest")), NULL, pb);
}

/* ATTESTATION_GATHERING: this zone's decision, acted on: the entity is suspended so nothing acts on it. */
static mez_status_t step_lock(saga_t *s, mez_problem_t *pb)
{
    mez_migration_update_t u;
    mez_orch_answer_t ans;
    mez_corridor_t c;
    json_t *doc = NULL;
    mez_status_t st;

    if ((st = mez_corridor_get(s->r->pool, s->db, s->m.corridor_id, &c, pb)) != MEZ_OK)
        return st;
    st = source_status(s, "lock", "SUSPENDED", apr_psprintf(s->r->pool, "migration %s to %s over corridor %s",
                                                            s->m.migration_id, s->m.destination_zone_id,
                                                            s->m.corridor_id), &ans, &doc, pb);
    if (st != MEZ_OK && pb->status >= 400 && pb->status < 500)     /* e.g. no longer ACTIVE */
        return release(s, MEZ_MIGRATION_EV_CANCEL, "this zone could not lock the entity", problem_json(s->r, pb), pb);
    if (st != MEZ_OK)
        return st;
    if (ans.status >= 400)           /* this zone's own compliance denial */
        return release(s, MEZ_MIGRATION_EV_CANCEL, "this zone's pipeline refused the lock", doc, pb);
    mez_migration_update_init(&u);
    u.locked = 1;
    u.receipt_from = (int64_t)c.size;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:o, s:O?}", "source", json_incref(decision_json(s, doc)), "destination",
                          json_object_get(evidence_at(s, "ATTESTATION_GATHERING"), "destination")), &u, pb);
}

/* SOURCE_LOCKED: the receipt, with both decisions and what moves. */
static mez_status_t step_receipt(saga_t *s, mez_problem_t *pb)
{
    const json_t *locked = evidence_at(s, "SOURCE_LOCKED");
    mez_migration_update_t u;
    json_t *receipt = NULL, *delivery = NULL, *t;
    uint64_t seq = 0;
    int found = 0;
    mez_status_t st;

    /* A receipt appended before a crash is this migration's: it is not appended twice. */
    if ((st = find_receipt(s, "entity_migration", s->m.receipt_from, &receipt, &found, pb)) != MEZ_OK)
        return st;
    if (found) {
        seq = (uint64_t)json_integer_value(json_object_get(receipt, "sequence"));
        delivery = own(s->r, json_pack("{s:b}", "delivered", 0));
    } else {
        t = own(s->r, json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s, s:O, s:O?}, s:{s:s, s:O?}, s:O}}", "kind",
                                "entity_migration", "payload", "migration_id", s->m.migration_id, "deadline",
                                s->m.deadline_text, "source", "zone_id", s->sc->zone_id, "entity_id", s->m.entity_id,
                                "entity_record_digest", json_object_get(s->m.request, "entity_record_digest"),
                                "decision", json_object_get(locked, "source"), "destination", "zone_id",
                                s->m.destination_zone_id, "decision", json_object_get(locked, "destination"),
                                "formation", json_object_get(s->m.request, "formation")));
        if (!t)
            return mez_problem(pb, s->r->pool, MEZ_EINTERNAL, 500, "migration.incomplete_evidence", NULL,
                               "migration %s lacks what its receipt records", s->m.migration_id);
        if ((st = mez_corridor_record(s->r, s->sc, s->db, s->m.corridor_id, t, NULL, &receipt, &seq, &delivery, pb))
            != MEZ_OK)
            return st;
    }
    mez_migration_update_init(&u);
    u.receipt_seq = (int64_t)seq;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:I, s:s, s:O}", "sequence", (json_int_t)seq, "receipt_root",
                          str(receipt, "next_root") ? str(receipt, "next_root") : "", "delivery", delivery), &u, pb);
}

/* The destination's answer to complete: its formation credential, issued by the peer and verifying, for the
 * entity this migration sent. */
static mez_status_t check_completion(saga_t *s, const json_t *a, mez_problem_t *pb)
{
    const json_t *f = json_object_get(a, "formation"), *vc = json_object_get(f, "credential");
    mez_vc_verify_options_t vo = { 0 };
    mez_vc_result_t res;
    if (!str(a, "entity_id") || !str(a, "status") || !json_is_object(vc) || !mez_vc_issuer_id(vc)
        || strcmp(mez_vc_issuer_id(vc), s->peer->did)
        || !mez_migration_same_name(s->r->pool, str(json_object_get(f, "resource"), "legal_name"),
                                    str(json_object_get(s->m.request, "formation"), "legal_name"))
        || mez_vc_verify(s->r->pool, vc, &vo, &res) != MEZ_OK || !res.verified)
        return mez_problem(pb, s->r->pool, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                           "zone %s did not answer with a formation of this entity under a credential it issued",
                           s->peer->zone_id);
    return MEZ_OK;
}

/* IN_TRANSIT and DESTINATION_VERIFICATION: the destination forms the entity from its own copy of the receipt
 * (the same answer every time), and then it must be ACTIVE there. */
static mez_status_t step_destination(saga_t *s, mez_problem_t *pb)
{
    mez_migration_update_t u;
    peer_answer_t ans;
    const json_t *f;
    mez_status_t st;

    st = call_peer(s->r, s->sc, s->peer, "/v1/corridors/peers/migrations/complete",
                   json_pack("{s:s, s:I}", "corridor_id", s->m.corridor_id, "sequence", (json_int_t)s->m.receipt_seq),
                   &ans, pb);
    if (st != MEZ_OK && peer_said_no(&ans))
        return release(s, MEZ_MIGRATION_EV_COMPENSATE, "the destination refused to form the entity", ans.body, pb);
    if (st != MEZ_OK || (st = check_completion(s, ans.body, pb)) != MEZ_OK)
        return st;
    f = json_object_get(ans.body, "formation");
    mez_migration_update_init(&u);
    if (s->m.state == MEZ_MIGRATION_IN_TRANSIT) {
        u.destination_entity_id = str(ans.body, "entity_id");
        return move(s, MEZ_MIGRATION_EV_ADVANCE,
                    json_pack("{s:{s:s, s:s, s:s, s:O?, s:s?, s:s?}}", "destination", "zone_id", s->peer->zone_id,
                              "entity_id", str(ans.body, "entity_id"), "status", str(ans.body, "status"), "decision",
                              json_object_get(json_object_get(f, "compliance"), "decision"), "credential_digest",
                              digest_of(s->r, json_object_get(f, "credential")), "attestation_digest",
                              digest_of(s->r, json_object_get(f, "attestation"))), &u, pb);
    }
    if (strcmp(str(ans.body, "status"), "ACTIVE"))
        return mez_problem(pb, s->r->pool, MEZ_EINVAL, 409, "migration.destination_pending", NULL,
                           "entity %s in zone %s is %s: it is unlocked once that zone approves it", str(ans.body,
                           "entity_id"), s->peer->zone_id, str(ans.body, "status"));
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:{s:s, s:s, s:s}}", "destination", "zone_id", s->peer->zone_id, "entity_id",
                          str(ans.body, "entity_id"), "status", "ACTIVE"), &u, pb);
}

/* The credential this zone issues for the move: both ids, both zones, the receipt. */
static mez_status_t migration_credential(saga_t *s, const char *retire_digest, json_t **vc, mez_problem_t *pb)
{
    const json_t *dest = json_object_get(evidence_at(s, "DESTINATION_VERIFICATION"), "destination");
    mez_vc_proof_options_t opts = { 0 };
    json_t *cred = json_pack("{s:[s], s:[s,s], s:s, s:{s:s, s:s, s:s, s:O, s:{s:s, s:s, s:s, s:s}, "
                             "s:{s:s, s:s, s:s, s:O?}, s:{s:I, s:O?}}}", "@context", MEZ_VC_CONTEXT_V2, "type",
                             "VerifiableCredential", "EntityMigrationCredential", "validFrom",
                             mez_time_now_rfc3339(s->r->pool), "credentialSubject", "id",
                             apr_pstrcat(s->r->pool, "urn:mez:migration:", s->m.migration_id, NULL), "migration_id",
                             s->m.migration_id, "corridor_id", s->m.corridor_id, "legal_name",
                             json_object_get(json_object_get(s->m.request, "formation"), "legal_name"), "source",
                             "zone_id", s->sc->zone_id, "entity_id", s->m.entity_id, "did", s->sc->did,
                             "status_credential_digest", retire_digest, "destination", "zone_id",
                             s->m.destination_zone_id, "entity_id", s->m.destination_entity_id, "did", s->peer->did,
                             "formation_credential_digest", json_object_get(dest, "credential_digest"), "receipt",
                             "sequence", (json_int_t)s->m.receipt_seq, "next_root",
                             json_object_get(evidence_at(s, "IN_TRANSIT"), "receipt_root"));
    if (!cred)
        return mez_problem(pb, s->r->pool, MEZ_EINTERNAL, 500, "migration.incomplete_evidence", NULL,
                           "migration %s lacks what its credential names", s->m.migration_id);
    own(s->r, cred);
    return mez_vc_issue(s->r->pool, cred, s->sc->key, NULL, &opts, vc, pb);
}

/* DESTINATION_UNLOCK: the entity lives on in the destination; here it is struck off the register. Of the
 * entity lifecycle's states (the Mass contract's EntityStatus) STRUCK_OFF is the one that says "no longer on
 * this register" without saying the company was wound up (DISSOLVED: liquidation, creditors paid) or refused
 * (REJECTED); it is terminal, so the record can never be reinstated beside its continuation in the other zone,
 * and it releases the name here. The reason and the EntityMigrationCredential say where it went. */
static mez_status_t step_retire(saga_t *s, mez_problem_t *pb)
{
    mez_migration_update_t u;
    mez_orch_answer_t ans;
    json_t *doc = NULL, *vc;
    mez_status_t st;

    if ((st = source_status(s, "retire", "STRUCK_OFF", apr_psprintf(s->r->pool, "migration %s: continued in %s as %s",
                                                                    s->m.migration_id, s->m.destination_zone_id,
                                                                    s->m.destination_entity_id), &ans, &doc, pb))
        != MEZ_OK)
        return st;
    if (ans.status >= 400)
        return mez_problem(pb, s->r->pool, MEZ_EINVAL, ans.status, "migration.retire_refused", NULL,
                           "this zone's pipeline refused to strike entity %s off: %s", s->m.entity_id,
                           str(doc, "detail") ? str(doc, "detail") : "(no detail)");
    if ((st = migration_credential(s, digest_of(s->r, json_object_get(doc, "credential")), &vc, pb)) != MEZ_OK)
        return st;
    mez_migration_update_init(&u);
    u.locked = 0;
    u.credential = vc;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:o, s:s}", "source", json_incref(decision_json(s, doc)), "credential_digest",
                          digest_of(s->r, vc)), &u, pb);
}

/* Runs the saga from where it stands until it ends, reaches hold (advance: after at least one step, so that a
 * migration held at a state goes on from it), or a step cannot go on now (MEZ_OK with *stalled, the problem in
 * pb: the operator advances again). */
static mez_status_t run(saga_t *s, int hold, int advancing, int *stalled, mez_problem_t *pb)
{
    *stalled = 0;
    for (int steps = 0;; steps++) {
        mez_status_t st;
        if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, s->m.state)
            || (hold >= 0 && (steps || !advancing) && s->m.state == hold))
            return MEZ_OK;
        if (apr_time_now() > s->m.deadline)
            st = release(s, MEZ_MIGRATION_EV_TIMEOUT, "the deadline passed", NULL, pb);
        else if (s->m.state == MEZ_MIGRATION_INITIATED)
            st = move(s, MEZ_MIGRATION_EV_ADVANCE,
                      json_pack("{s:s, s:O, s:O}", "destination_zone_id", s->m.destination_zone_id, "formation_digest",
                                json_object_get(s->m.request, "formation_digest"), "entity_record_digest",
                                json_object_get(s->m.request, "entity_record_digest")), NULL, pb);
        else if (s->m.state == MEZ_MIGRATION_COMPLIANCE_CHECK)
            st = step_compliance(s, pb);
        else if (s->m.state == MEZ_MIGRATION_ATTESTATION_GATHERING)
            st = step_lock(s, pb);
        else if (s->m.state == MEZ_MIGRATION_SOURCE_LOCKED)
            st = step_receipt(s, pb);
        else if (s->m.state == MEZ_MIGRATION_IN_TRANSIT || s->m.state == MEZ_MIGRATION_DESTINATION_VERIFICATION)
            st = step_destination(s, pb);
        else
            st = step_retire(s, pb);
        if (st != MEZ_OK) {
            /* The step is where it was: what stopped it is answered, and the saga resumes from the record. */
            *stalled = 1;
            return MEZ_OK;
        }
    }
}

/* ------------------------------------------------------------------ operator routes */

/* The migration with its steps. A step that could not go on now is answered as its problem carrying the
 * migration (advance), or, for the request that created the migration, as the migration with that problem as
 * "stalled" (it exists either way: advance it again). */
static int send_migration(saga_t *s, int status, const mez_problem_t *stalled)
{
    mez_problem_t pb = { 0 };
    json_t *o = mez_migration_json(s->r->pool, &s->m), *steps;
    if (mez_migration_steps(s->r->pool, s->db, s->m.migration_id, &steps, &pb) != MEZ_OK)
        return mez_send_problem(s->r, &pb, NULL);
    json_object_set(o, "steps", steps);
    if (stalled && status != 201)
        return mez_send_problem(s->r, stalled, json_pack("{s:O}", "migration", o));
    if (status == 201)
        json_object_set(o, "stalled", stalled ? problem_json(s->r, stalled) : json_null());
    return mez_send_json(s->r, status, json_incref(o));
}

static mez_status_t hold_of(request_rec *r, const json_t *body, int *hold, mez_problem_t *pb)
{
    const json_t *v = json_object_get(body, "hold_at");
    *hold = -1;
    if (!v)
        return MEZ_OK;
    if (!json_is_string(v)
        || mez_lifecycle_state_parse(r->pool, MEZ_LIFECYCLE_MIGRATION, json_string_value(v), hold, NULL) != MEZ_OK
        || mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, *hold))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "migration.invalid_hold", "/hold_at",
                           "hold_at is a live state of the migration saga (INITIATED .. DESTINATION_UNLOCK)");
    return MEZ_OK;
}

static mez_status_t saga_peer(saga_t *s, mez_problem_t *pb)
{
    if (!(s->peer = mez_peer_find(s->r, s->sc, s->m.destination_zone_id)))
        return mez_problem(pb, s->r->pool, MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no longer a MezPeer",
                           s->m.destination_zone_id);
    return MEZ_OK;
}

/* POST /v1/corridors/{id}/migrations */
static int post_migration(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid)
{
    static const char *const allowed[] = { "entity_id", "deadline", "compliance", "hold_at", NULL };
    mez_problem_t pb = { 0 }, spb = { 0 };
    mez_corridor_t c;
    saga_t s = { r, sc, db, NULL, { 0 } };
    mez_audit_event_t aev;
    const char *eid, *mid = mez_mass_new_id(r->pool, "mig_");
    json_t *body, *ent, *formation = NULL, *request;
    int hold, stalled;

    if (mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK || hold_of(r, body, &hold, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!(eid = str(body, "entity_id")) || !*eid) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.missing_field", "/entity_id",
                    "entity_id names the entity of this zone that moves");
        return mez_send_problem(r, &pb, NULL);
    }
    if (json_object_get(body, "compliance") && !json_is_object(json_object_get(body, "compliance"))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/compliance",
                    "compliance is an object (the pipeline's envelope)");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_migration_deadline_parse(r->pool, str(body, "deadline"), apr_time_now(), &s.m.deadline, &pb) != MEZ_OK
        || mez_corridor_get(r->pool, db, cid, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (c.state != MEZ_CORRIDOR_ACTIVE) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE", cid,
                    mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c.state));
        return mez_send_problem(r, &pb, NULL);
    }
    s.m.destination_zone_id = c.peer_zone_id;
    if (saga_peer(&s, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (strspn(eid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(eid)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_id", "/entity_id", "'%s' is not an id", eid);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/entities/", eid, NULL), NULL, "/entity_id", &ent, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!str(ent, "status") || strcmp(str(ent, "status"), "ACTIVE")) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "migration.entity_not_active", "/entity_id",
                    "entity %s is %s: only an ACTIVE entity migrates", eid, str(ent, "status") ? str(ent, "status") : "?");
        return mez_send_problem(r, &pb, NULL);
    }
    if (formation_of(r, db, ent, mid, cid, sc, json_object_get(body, "compliance"), &formation, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    request = own(r, json_pack("{s:O, s:s, s:s}", "formation", formation, "formation_digest",
                               digest_of(r, formation), "entity_record_digest", digest_of(r, ent)));
    if (json_object_get(body, "compliance"))
        json_object_set(request, "compliance", json_object_get(body, "compliance"));
    s.m.migration_id = mid;
    s.m.corridor_id = cid;
    s.m.entity_id = eid;
    s.m.request = request;
    step_audit(&s, &aev);
    if (mez_migration_create(r->pool, db, &s.m, own(r, json_pack("{s:s, s:s, s:s}", "requested_by",
                                                                 mez_request_actor(r), "entity_record_digest",
                                                                 str(request, "entity_record_digest"), "deadline",
                                                                 str(body, "deadline"))), apr_time_now(), &aev, &pb)
        != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Location", saga_path(&s));
    if (run(&s, hold, 0, &stalled, &spb) != MEZ_OK)
        return mez_send_problem(r, &spb, NULL);
    return send_migration(&s, 201, stalled ? &spb : NULL);
}

static mez_status_t load(saga_t *s, const char *cid, const char *mid, mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_migration_get(s->r->pool, s->db, mid, &s->m, pb)) != MEZ_OK)
        return st;
    if (strcmp(s->m.corridor_id, cid))
        return mez_problem(pb, s->r->pool, MEZ_EINVAL, 404, "migration.not_found", NULL,
                           "there is no migration %s on corridor %s", mid, cid);
    return MEZ_OK;
}

/* POST .../advance {hold_at?} */
static int post_advance(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    static const char *const allowed[] = { "hold_at", NULL };
    mez_problem_t pb = { 0 };
    saga_t s = { r, sc, db, NULL, { 0 } };
    json_t *body;
    int hold, stalled, to;

    if (mez_corridor_body(r, allowed, 1, &body, &pb) != MEZ_OK || hold_of(r, body, &hold, &pb) != MEZ_OK
        || load(&s, cid, mid, &pb) != MEZ_OK || saga_peer(&s, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    /* An ended migration is not advanced: the machine's own 409 says so. */
    if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, s.m.state)) {
        mez_lifecycle_step(r->pool, MEZ_LIFECYCLE_MIGRATION, s.m.state, MEZ_MIGRATION_EV_ADVANCE, &to, NULL, &pb);
        return mez_send_problem(r, &pb, NULL);
    }
    if (run(&s, hold, 1, &stalled, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_migration(&s, 200, stalled ? &pb : NULL);
}

/* POST .../cancel: from the first four states only, and never past the deadline (mez/lifecycle.h). */
static int post_cancel(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    static const char *const allowed[] = { "reason", NULL };
    mez_problem_t pb = { 0 };
    saga_t s = { r, sc, db, NULL, { 0 } };
    json_t *body;
    const char *why;

    if (mez_corridor_body(r, allowed, 1, &body, &pb) != MEZ_OK || load(&s, cid, mid, &pb) != MEZ_OK
        || saga_peer(&s, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    why = str(body, "reason");
    if (json_object_get(body, "reason") && (!why || !*why)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/reason", "reason is a non-empty string");
        return mez_send_problem(r, &pb, NULL);
    }
    if (release(&s, MEZ_MIGRATION_EV_CANCEL, apr_pstrcat(r->pool, "cancelled by ", mez_request_actor(r),
                                                         why ? ": " : "", why ? why : "", NULL), NULL, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return send_migration(&s, 200, NULL);
}

static int get_migration(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *cid, const char *mid)
{
    mez_problem_t pb = { 0 };
    saga_t s = { r, sc, db, NULL, { 0 } };
    const char *peer = apr_table_get(r->notes, "mez-peer");
    if (load(&s, cid, mid, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (peer && strcmp(peer, s.m.destination_zone_id)) {    /* a peer reads its own migrations only */
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "migration.not_found", NULL, "there is no migration %s", mid);
        return mez_send_problem(r, &pb, NULL);
    }
    return send_migration(&s, 200, NULL);
}

/* ------------------------------------------------------------------ the destination's routes */

/* Whether this zone's register already holds a live entity of that name (the formation would be refused). */
static mez_status_t name_free(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *name, mez_problem_t *pb)
{
    const char *cursor = NULL;
    do {
        json_t *page, *x;
        size_t i;
        mez_status_t st;
        const char *q = apr_psprintf(r->pool, "jurisdiction_id=%s&limit=%d%s%s", sc->zone_id, ENTITY_PAGE,
                                     cursor ? "&cursor=" : "", cursor ? cursor : "");
        if ((st = mez_request_mass_get(r, db, "/v1/entities", q, NULL, &page, pb)) != MEZ_OK)
            return st;
        json_array_foreach(json_object_get(page, "entities"), i, x) {
            const char *status = str(x, "status");
            if (status && (!strcmp(status, "DISSOLVED") || !strcmp(status, "STRUCK_OFF") || !strcmp(status, "REJECTED")))
                continue;
            if (mez_migration_same_name(r->pool, str(x, "legal_name"), name))
                return mez_problem(pb, r->pool, MEZ_EINVAL, 409, "entity.name_taken", "/migration/formation/legal_name",
                                   "an entity named '%s' is already registered in %s (%s)", name, sc->zone_id,
                                   str(x, "entity_id"));
        }
        cursor = str(page, "next_cursor");
    } while (cursor && *cursor);
    return MEZ_OK;
}

/* POST /v1/corridors/peers/migrations/evaluate {corridor_id, migration: {migration_id, deadline,
 * destination_zone_id, source: {zone_id, entity_id}, formation}}: this zone's preview of the formation. */
static int peer_evaluate(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "corridor_id", "migration", NULL };
    static const char *const mig_allowed[] = { "migration_id", "deadline", "destination_zone_id", "source",
                                               "formation", NULL };
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    mez_orch_answer_t out;
    const mez_peer_t *peer;
    const json_t *mig, *f;
    op_call_t call = { 0 };
    json_t *body, *doc = NULL;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || corridor_with(r, db, str(body, "corridor_id"), peer, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mig = json_object_get(body, "migration");
    f = json_object_get(mig, "formation");
    if (!json_is_object(mig) || mez_check_members(r, mig, "/migration", mig_allowed, &pb) != MEZ_OK
        || !json_is_object(f) || !str(f, "legal_name")) {
        if (!pb.code)
            mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "/migration/formation",
                        "migration.formation is the entity's formation request");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!str(json_object_get(mig, "source"), "zone_id")
        || strcmp(str(json_object_get(mig, "source"), "zone_id"), peer->zone_id)
        || !str(mig, "destination_zone_id") || strcmp(str(mig, "destination_zone_id"), sc->zone_id)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "corridor.not_party", "/migration/source/zone_id",
                    "zone %s may only ask about migrations from itself to this zone", peer->zone_id);
        return mez_send_problem(r, &pb, NULL);
    }
    if (name_free(r, sc, db, str(f, "legal_name"), &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    call.op = "entity.formation";
    call.body = f;
    call.actor = apr_pstrcat(r->pool, "peer:", peer->zone_id, NULL);
    call.path = r->uri;
    call.preview = 1;
    if (run_op(r, sc, db, &call, &out, &doc, &pb) != MEZ_OK) {
        if (pb.pointer)
            pb.pointer = apr_pstrcat(r->pool, "/migration/formation", pb.pointer, NULL);
        return mez_send_problem(r, &pb, NULL);
    }
    if (out.decision)
        apr_table_setn(r->notes, "mez-decision", out.decision);
    return mez_send_text_typed(r, out.status, out.status >= 400 ? "application/problem+json" : "application/json",
                               out.body_text);
}

/* The migration a receipt of this corridor records, if it is one from the calling peer to this zone. */
static mez_status_t migration_of_receipt(request_rec *r, mez_srv_conf_t *sc, const mez_peer_t *peer, uint64_t seq,
                                         const char *text, json_t **payload, mez_problem_t *pb)
{
    json_t *receipt, *t, *pl;
    mez_status_t st;
    if ((st = mez_json_parse(r->pool, text, strlen(text), &receipt, pb)) != MEZ_OK)
        return st;
    t = json_object_get(receipt, "transition");
    pl = json_object_get(t, "payload");
    if (!str(t, "kind") || strcmp(str(t, "kind"), "entity_migration")
        || !str(json_object_get(pl, "source"), "zone_id")
        || strcmp(str(json_object_get(pl, "source"), "zone_id"), peer->zone_id)
        || !str(json_object_get(pl, "destination"), "zone_id")
        || strcmp(str(json_object_get(pl, "destination"), "zone_id"), sc->zone_id)
        || !str(pl, "migration_id") || !str(pl, "deadline") || !json_is_object(json_object_get(pl, "formation"))
        /* Requested of the sequencer by a zone that is not its source (this one, say). */
        || mez_corridor_requested_by_other(t, peer->zone_id))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "migration.not_inbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " is not a migration from %s to this zone", seq,
                           peer->zone_id);
    *payload = pl;
    return MEZ_OK;
}

/* A later receipt of the corridor that calls the migration off. */
static mez_status_t compensated(request_rec *r, mez_db_t *db, const char *cid, uint64_t seq, const char *mid,
                                int *found, mez_problem_t *pb)
{
    json_t *receipt;
    uint64_t at;
    return mez_corridor_find_transition(r->pool, db, cid, seq + 1, "entity_migration_compensation", "migration_id",
                                        mid, &receipt, &at, found, pb);
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
    const char *text = NULL, *eid;
    op_call_t call = { 0 };
    json_t *body, *payload = NULL, *doc = NULL, *ent;
    apr_time_t deadline;
    json_int_t seq;
    int found = 0, off = 0;

    if (!(peer = mez_corridor_calling_peer(r, sc, &pb)) || mez_corridor_body(r, allowed, 0, &body, &pb) != MEZ_OK
        || corridor_with(r, db, str(body, "corridor_id"), peer, &c, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    seq = json_integer_value(json_object_get(body, "sequence"));
    if (!json_is_integer(json_object_get(body, "sequence")) || seq < 0) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "/sequence",
                    "sequence is the migration receipt's sequence number");
        return mez_send_problem(r, &pb, NULL);
    }
    /* What the sequencer holds beyond this copy first: the receipt, and any compensation after it. */
    if (c.role == MEZ_CORRIDOR_RESPONDER && mez_corridor_pull(r, sc, db, c.corridor_id, NULL, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_corridor_receipt(r->pool, db, c.corridor_id, (uint64_t)seq, &text, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!found) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "corridor.receipt_missing", "/sequence",
                    "this zone holds no receipt %" APR_INT64_T_FMT " of corridor %s", (apr_int64_t)seq, c.corridor_id);
        return mez_send_problem(r, &pb, NULL);
    }
    if (migration_of_receipt(r, sc, peer, (uint64_t)seq, text, &payload, &pb) != MEZ_OK
        || compensated(r, db, c.corridor_id, (uint64_t)seq, str(payload, "migration_id"), &off, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (off) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "migration.compensated", "/sequence",
                    "migration %s was called off on the corridor after receipt %" APR_INT64_T_FMT,
                    str(payload, "migration_id"), (apr_int64_t)seq);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_time_parse_rfc3339(str(payload, "deadline"), &deadline) != 0 || apr_time_now() > deadline) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "migration.deadline_passed", "/sequence",
                    "migration %s had to be completed by %s", str(payload, "migration_id"), str(payload, "deadline"));
        return mez_send_problem(r, &pb, NULL);
    }
    call.op = "entity.formation";
    call.body = json_object_get(payload, "formation");
    call.actor = apr_pstrcat(r->pool, "peer:", peer->zone_id, NULL);
    call.idem_key = apr_psprintf(r->pool, "migration:%s:%" APR_INT64_T_FMT, c.corridor_id, (apr_int64_t)seq);
    call.path = r->uri;
    if (run_op(r, sc, db, &call, &out, &doc, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (out.status >= 400 || !(eid = str(doc, "id")))
        return mez_send_text_typed(r, out.status, "application/problem+json", out.body_text);
    if (mez_request_mass_get(r, db, apr_pstrcat(r->pool, "/v1/entities/", eid, NULL), NULL, NULL, &ent, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (out.decision)
        apr_table_setn(r->notes, "mez-decision", out.decision);
    return mez_send_json(r, 200, json_pack("{s:s, s:s, s:I, s:s, s:O, s:O}", "migration_id",
                                           str(payload, "migration_id"), "corridor_id", c.corridor_id, "sequence", seq,
                                           "entity_id", eid, "status", json_object_get(ent, "status"), "formation",
                                           doc));
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
