/* migration_saga.c: the source zone's side of an entity's migration (mez/migration_saga.h): the formation the
 * destination is asked for, each step of the saga, and the release that undoes what a migration holds. The
 * record and its log are migration_store.c's; the server's part (the peer call, the corridor append, who drives
 * the saga) comes in the mez_corridor_env_t (mez/corridor_env.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/lifecycle.h"
#include "mez/mass.h"
#include "mez/corridor_env.h"
#include "mez/corridor_exchange.h"
#include "mez/migration_saga.h"
#include "mez/vc.h"

/* ------------------------------------------------------------------ small helpers */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *own(const mez_corridor_env_t *env, json_t *v)
{
    return mez_json_pool_own(env->p, v);
}

static const char *digest_of(apr_pool_t *p, const json_t *v)
{
    mez_problem_t pb = { 0 };
    const char *text;
    mez_digest_t d;
    if (!v || mez_json_canonicalize(p, v, &text, NULL, &pb) != MEZ_OK)
        return NULL;
    mez_digest_sha256(text, strlen(text), &d);
    return mez_digest_format(p, &d);
}

json_t *mez_saga_problem_json(apr_pool_t *p, const mez_problem_t *pb)
{
    json_t *o = json_pack("{s:i, s:s, s:s}", "status", pb->status ? pb->status : 500, "code",
                          pb->code ? pb->code : "internal", "detail", pb->detail ? pb->detail : "");
    if (pb->pointer)
        json_object_set_new(o, "pointer", json_string(pb->pointer));
    return mez_json_pool_own(p, o);
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
static mez_status_t formation_of(const mez_corridor_env_t *env, const json_t *ent, const char *mid,
                                 const char *corridor_id, const json_t *compliance, json_t **out, mez_problem_t *pb)
{
    static const char *const officer_members[] = { "name", "role", "identity_ref", "nationality", "is_resident",
                                                    NULL };
    static const char *const owner_members[] = { "name", "identity_ref", "nationality", "date_of_birth",
                                                 "ownership_percentage", "control_type", NULL };
    const char *eid = str(ent, "entity_id");
    json_t *owners, *f, *dirs = own(env, json_array()), *bos = own(env, json_array()), *x;
    size_t i;
    mez_status_t st;

    if ((st = mez_orch_mass_read(env->zone, env->p, env->db,
                                apr_pstrcat(env->p, "/v1/entities/", eid, "/beneficial-owners", NULL), NULL,
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
    f = own(env, json_pack("{s:O, s:O, s:{s:{s:s, s:s, s:s, s:s}}}", "entity_type",
                           json_object_get(ent, "entity_type"), "legal_name", json_object_get(ent, "legal_name"),
                           "metadata", "migrated_from", "zone_id", env->zone->zone_id, "entity_id", eid,
                           "migration_id", mid, "corridor_id", corridor_id));
    if (!f)
        return mez_problem(pb, env->p, MEZ_EIO, 502, "mass.unexpected_answer", "/entity_id",
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
    const mez_corridor_env_t *env;
    apr_pool_t *p;
    mez_migration_t *m;
    const char *peer_did;       /* the destination's DID, as this zone knows its peer */
} saga_t;

static const char *saga_path(const saga_t *s)
{
    return apr_pstrcat(s->p, "/v1/corridors/", s->m->corridor_id, "/migrations/", s->m->migration_id, NULL);
}

/* A status change of the source entity through this zone's pipeline, once per migration and purpose: a retry
 * (after a crash, or a lost answer) replays the first answer. */
static mez_status_t source_status(saga_t *s, const char *purpose, const char *target, const char *reason,
                                  mez_orch_answer_t *ans, json_t **doc, mez_problem_t *pb)
{
    mez_corridor_op_t c = { 0 };
    json_t *body = own(s->env, json_pack("{s:s, s:s}", "target_status", target, "reason", reason));
    if (json_object_get(s->m->request, "compliance"))
        json_object_set(body, "compliance", json_object_get(s->m->request, "compliance"));
    c.op = "entity.status";
    c.path_id = s->m->entity_id;
    c.body = body;
    c.actor = apr_pstrcat(s->p, "migration:", s->m->migration_id, NULL);
    c.idem_key = apr_pstrcat(s->p, "migration:", s->m->migration_id, ":", purpose, NULL);
    c.path = apr_pstrcat(s->p, saga_path(s), "/", purpose, NULL);
    c.now = apr_time_now();        /* a step's time, not the driving request's: the saga's calls take a while */
    return mez_corridor_env_run(s->env, &c, ans, doc, pb);
}

static json_t *decision_json(saga_t *s, const json_t *doc)
{
    const json_t *cs = json_object_get(doc, "compliance");
    json_t *o = own(s->env, json_pack("{s:s, s:O?, s:O?}", "zone_id", s->env->zone->zone_id, "decision",
                                      json_object_get(cs, "decision"), "evaluation_digest",
                                      json_object_get(cs, "evaluation_digest")));
    if (json_object_get(doc, "attestation"))
        json_object_set_new(o, "attestation_digest",
                            json_string(digest_of(s->p, json_object_get(doc, "attestation"))));
    if (json_object_get(doc, "credential"))
        json_object_set_new(o, "credential_digest", json_string(digest_of(s->p, json_object_get(doc, "credential"))));
    return o;
}

/* The evidence recorded by the move that entered state, or NULL. */
static const json_t *evidence_at(saga_t *s, const char *state)
{
    mez_problem_t pb = { 0 };
    json_t *steps, *x, *found = NULL;
    size_t i;
    if (mez_migration_steps(s->p, s->env->db, s->m->migration_id, &steps, &pb) != MEZ_OK)
        return NULL;
    json_array_foreach(steps, i, x)
        if (!strcmp(str(x, "to_state"), state))
            found = json_object_get(x, "evidence");
    return found;
}

/* Every step is the zone's action on behalf of the request that drives the saga: its audit row (the store names
 * the step) carries that request's caller and id. */
static void step_audit(const mez_corridor_env_t *env, const char *migration_id, mez_audit_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    env->audit(env->baton, "migration", "migration", migration_id, NULL, ev);
}

static mez_status_t move(saga_t *s, int event, json_t *evidence, const mez_migration_update_t *u, mez_problem_t *pb)
{
    mez_audit_event_t ev;
    step_audit(s->env, s->m->migration_id, &ev);
    return mez_migration_move(s->p, s->env->db, s->m, event, apr_time_now(), own(s->env, evidence), u, &ev, NULL,
                              pb);
}

/* The first receipt of kind for this migration in the corridor from `from` on (*found 0 when none). */
static mez_status_t find_receipt(saga_t *s, const char *kind, int64_t from, json_t **receipt, int *found,
                                 mez_problem_t *pb)
{
    uint64_t seq;
    return mez_corridor_find_transition(s->p, s->env->db, s->m->corridor_id, from < 0 ? 0 : (uint64_t)from, kind,
                                        "migration_id", s->m->migration_id, receipt, &seq, found, pb);
}

/* The reference under which the migration's receipt `what` (receipt, compensation) is recorded
 * (mez_corridor_record): an attempt whose answer was lost (this zone a responder: the sequencer appended and
 * answered, the answer never came, or this copy could not take it) leaves the receipt on the sequencer's chain but
 * not in this copy, where find_receipt looks; asked again under the same reference, the sequencer answers the
 * receipt it appended instead of appending a second one. */
static const char *ref_of(saga_t *s, const char *what)
{
    return apr_pstrcat(s->p, "migration:", s->m->migration_id, ":", what, NULL);
}

/* The compensation receipt that tells the destination never to complete the migration: the one already on the
 * corridor after its receipt, or a new one. Only a responder's append can fail for want of its peer (the
 * sequencer). The migration is undone only once the destination has said it formed nothing and never will (past
 * the deadline, or refused), so the notice is a second guard: the entity is not kept locked for it, and the
 * evidence says it is missing. */
static mez_status_t compensation_receipt(saga_t *s, json_t *evidence, mez_problem_t *pb)
{
    json_t *receipt = NULL, *delivery = NULL;
    uint64_t seq = 0;
    int found;
    mez_status_t st;

    if ((st = find_receipt(s, "entity_migration_compensation", s->m->receipt_seq + 1, &receipt, &found, pb))
        != MEZ_OK)
        return st;
    if (!found) {
        /* The same transition on every attempt (no reason in it: a cancel and a later time-out say different
         * things): it is recorded under one reference, and a retry whose first append's answer was lost is
         * answered with that first receipt, which the responder takes only if it is the transition asked for.
         * The reason stays in this step's evidence. */
        mez_problem_t rpb = { 0 };
        json_t *t = own(s->env, json_pack("{s:s, s:{s:s, s:I, s:{s:s, s:s}}}", "kind",
                                          "entity_migration_compensation", "payload", "migration_id",
                                          s->m->migration_id, "sequence", (json_int_t)s->m->receipt_seq,
                                          "source", "zone_id", s->env->zone->zone_id, "entity_id",
                                          s->m->entity_id));
        if (mez_corridor_record(s->env, s->m->corridor_id, t, ref_of(s, "compensation"), &receipt, &seq, &delivery,
                                &rpb) != MEZ_OK) {
            json_object_set_new(evidence, "compensation_receipt", json_pack("{s:b, s:s, s:s}", "recorded", 0,
                                "code", rpb.code ? rpb.code : "internal", "detail", rpb.detail ? rpb.detail : ""));
            receipt = NULL;
        }
    }
    if (receipt) {
        json_object_set_new(evidence, "compensation_sequence",
                            json_integer(json_integer_value(json_object_get(receipt, "sequence"))));
        json_object_set_new(evidence, "compensation_receipt_root",
                            json_string(str(receipt, "next_root") ? str(receipt, "next_root") : ""));
    }
    return MEZ_OK;
}

/* The source entity reinstated through the pipeline (the move that ends migration `to`), or found ACTIVE
 * already: an operator's status change reinstated it meanwhile, and nothing is left to unlock. */
static mez_status_t unlock_source(saga_t *s, int to, json_t *evidence, mez_problem_t *pb)
{
    mez_orch_answer_t ans;
    json_t *doc = NULL, *ent = NULL;
    mez_problem_t epb = { 0 };
    mez_status_t st;

    st = source_status(s, "unlock", "ACTIVE", apr_psprintf(s->p, "migration %s ended (%s): the entity is "
                       "reinstated", s->m->migration_id, mez_lifecycle_state_name(MEZ_LIFECYCLE_MIGRATION, to)),
                       &ans, &doc, pb);
    if (st != MEZ_OK && pb->status == 409
        && mez_orch_mass_read(s->env->zone, s->p, s->env->db, apr_pstrcat(s->p, "/v1/entities/", s->m->entity_id,
                                                                         NULL), NULL, NULL, &ent, &epb) == MEZ_OK
        && str(ent, "status") && !strcmp(str(ent, "status"), "ACTIVE")) {
        json_object_set_new(evidence, "unlock", json_pack("{s:s, s:s}", "zone_id", s->env->zone->zone_id,
                                                          "already", "ACTIVE"));
        return MEZ_OK;
    }
    if (st != MEZ_OK)
        return st;
    if (ans.status >= 400)
        return mez_problem(pb, s->p, MEZ_EINVAL, ans.status, "migration.unlock_refused", NULL,
                           "this zone's pipeline refused to reinstate entity %s: %s", s->m->entity_id,
                           str(doc, "detail") ? str(doc, "detail") : "(no detail)");
    json_object_set_new(evidence, "unlock", json_incref(decision_json(s, doc)));
    return MEZ_OK;
}

/* The migration's receipt when the record has no number for it yet: an attempt at SOURCE_LOCKED may have appended
 * it (here, or at the sequencer at this zone's request) and stopped before its move was recorded (a crash, a lost
 * answer, a copy that could not take it). The destination must still be told never to complete it, so it is looked
 * up on the chain: a responder first fetches what the sequencer holds beyond its copy. A pull that fails is noted
 * in the evidence, and the release goes on: the destination completes a migration only when this zone asks it
 * to, which it no longer will, so the compensation receipt is the second guard, not the only one. */
static mez_status_t receipt_appended(saga_t *s, json_t *evidence, mez_problem_t *pb)
{
    mez_problem_t ppb = { 0 };
    mez_corridor_t c;
    json_t *receipt = NULL, *pp = NULL;
    int found = 0;
    mez_status_t st;

    if ((st = mez_corridor_get(s->p, s->env->db, s->m->corridor_id, &c, pb)) != MEZ_OK)
        return st;
    if (c.role == MEZ_CORRIDOR_RESPONDER && mez_corridor_pull(s->env, s->m->corridor_id, &pp, &ppb) != MEZ_OK) {
        json_object_set_new(evidence, "receipt_lookup", json_pack("{s:b, s:s, s:s}", "pulled", 0, "code",
                                                                  ppb.code ? ppb.code : "internal", "detail",
                                                                  ppb.detail ? ppb.detail : ""));
        if (pp)
            json_decref(pp);
    }
    if ((st = find_receipt(s, "entity_migration", s->m->receipt_from, &receipt, &found, pb)) != MEZ_OK)
        return st;
    if (found)
        s->m->receipt_seq = (int64_t)json_integer_value(json_object_get(receipt, "sequence"));
    return MEZ_OK;
}

/* Releases what the migration holds, then records the move that ends it (cancel, compensate, timeout): a
 * compensation receipt once a migration receipt exists (so the destination never completes it), the source
 * entity reinstated when locked. Each effect is keyed, so a release interrupted half way is finished by the next
 * attempt without doing anything twice. */
static mez_status_t release(saga_t *s, int event, const char *why, const json_t *problem, mez_problem_t *pb)
{
    mez_migration_update_t u;
    json_t *evidence = own(s->env, json_pack("{s:s}", "reason", why));
    const char *effect = NULL;
    int to;
    mez_status_t st;

    /* The machine first: nothing is undone for a move it would refuse. */
    if ((st = mez_lifecycle_migration_step(s->p, s->m->state, event, apr_time_now(), s->m->deadline, &to, &effect,
                                           pb)) != MEZ_OK)
        return st;
    if (problem)
        json_object_set(evidence, "problem", (json_t *)problem);
    mez_migration_update_init(&u);
    if (s->m->receipt_seq < 0 && s->m->receipt_from >= 0) {
        if ((st = receipt_appended(s, evidence, pb)) != MEZ_OK)
            return st;
        u.receipt_seq = s->m->receipt_seq;
    }
    if (s->m->receipt_seq >= 0 && (st = compensation_receipt(s, evidence, pb)) != MEZ_OK)
        return st;
    if (s->m->locked && (st = unlock_source(s, to, evidence, pb)) != MEZ_OK)
        return st;
    u.locked = 0;
    u.problem = problem;
    return move(s, event, json_incref(evidence), &u, pb);
}

/* COMPLIANCE_CHECK: the destination's preview of the formation. */
static mez_status_t step_compliance(saga_t *s, mez_problem_t *pb)
{
    mez_peer_answer_t ans = { 0 };
    mez_status_t st;
    json_t *ask = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}, s:O}}", "corridor_id", s->m->corridor_id,
                            "migration", "migration_id", s->m->migration_id, "deadline", s->m->deadline_text,
                            "destination_zone_id", s->m->destination_zone_id, "source", "zone_id",
                            s->env->zone->zone_id, "entity_id", s->m->entity_id, "formation",
                            json_object_get(s->m->request, "formation"));
    st = s->env->call_peer(s->env->baton, "POST", "/v1/corridors/peers/migrations/evaluate", NULL, ask, &ans, pb);
    if (st != MEZ_OK && mez_peer_said_no(&ans))
        return release(s, MEZ_MIGRATION_EV_CANCEL, "the destination refused the formation", ans.body, pb);
    if (st != MEZ_OK)
        return st;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:{s:s, s:O?, s:O?}}", "destination", "zone_id", s->m->destination_zone_id, "decision",
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

    if ((st = mez_corridor_get(s->p, s->env->db, s->m->corridor_id, &c, pb)) != MEZ_OK)
        return st;
    st = source_status(s, "lock", "SUSPENDED", apr_psprintf(s->p, "migration %s to %s over corridor %s",
                                                            s->m->migration_id, s->m->destination_zone_id,
                                                            s->m->corridor_id), &ans, &doc, pb);
    if (st != MEZ_OK && pb->status >= 400 && pb->status < 500)     /* e.g. no longer ACTIVE */
        return release(s, MEZ_MIGRATION_EV_CANCEL, "this zone could not lock the entity",
                       mez_saga_problem_json(s->p, pb), pb);
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
    if ((st = find_receipt(s, "entity_migration", s->m->receipt_from, &receipt, &found, pb)) != MEZ_OK)
        return st;
    if (found) {
        seq = (uint64_t)json_integer_value(json_object_get(receipt, "sequence"));
        delivery = own(s->env, json_pack("{s:b}", "delivered", 0));
    } else {
        t = own(s->env, json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s, s:O, s:O?}, s:{s:s, s:O?}, s:O}}", "kind",
                                  "entity_migration", "payload", "migration_id", s->m->migration_id, "deadline",
                                  s->m->deadline_text, "source", "zone_id", s->env->zone->zone_id, "entity_id",
                                  s->m->entity_id, "entity_record_digest",
                                  json_object_get(s->m->request, "entity_record_digest"), "decision",
                                  json_object_get(locked, "source"), "destination", "zone_id",
                                  s->m->destination_zone_id, "decision", json_object_get(locked, "destination"),
                                  "formation", json_object_get(s->m->request, "formation")));
        if (!t)
            return mez_problem(pb, s->p, MEZ_EINTERNAL, 500, "migration.incomplete_evidence", NULL,
                               "migration %s lacks what its receipt records", s->m->migration_id);
        if ((st = mez_corridor_record(s->env, s->m->corridor_id, t, ref_of(s, "receipt"), &receipt, &seq, &delivery,
                                      pb)) != MEZ_OK)
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
/* The destination's DID, or one its recorded key rotations lead from to the DID it has now: a formation is
 * answered with the credential first issued, and the destination may have rotated its key since (while its
 * registrar held the entity pending approval, say), which must not leave the migration unable to go on (review). */
static int issued_by_destination(saga_t *s, const char *issuer)
{
    mez_problem_t kpb = { 0 };
    const char *current = NULL;
    if (!issuer)
        return 0;
    if (!strcmp(issuer, s->peer_did))
        return 1;
    return mez_peer_key_current(s->p, s->env->db, s->m->destination_zone_id, issuer, &current, &kpb) == MEZ_OK
           && current && !strcmp(current, s->peer_did);
}

static mez_status_t check_completion(saga_t *s, const json_t *a, mez_problem_t *pb)
{
    const json_t *f = json_object_get(a, "formation"), *vc = json_object_get(f, "credential");
    mez_vc_verify_options_t vo = { 0 };
    mez_vc_result_t res;
    if (!str(a, "entity_id") || !str(a, "status") || !json_is_object(vc)
        || !issued_by_destination(s, mez_vc_issuer_id(vc))
        || !mez_migration_same_name(s->p, str(json_object_get(f, "resource"), "legal_name"),
                                    str(json_object_get(s->m->request, "formation"), "legal_name"))
        || mez_vc_verify(s->p, vc, &vo, &res) != MEZ_OK || !res.verified)
        return mez_problem(pb, s->p, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                           "zone %s did not answer with a formation of this entity under a credential it issued",
                           s->m->destination_zone_id);
    return MEZ_OK;
}

/* IN_TRANSIT and DESTINATION_VERIFICATION: the destination forms the entity from its own copy of the receipt
 * (the same answer every time, after the deadline too: migration_inbound.c), and then its registrar must have
 * approved it there.
 *
 * Only the destination's answer tells whether it formed the entity (an earlier answer may have been lost), so it
 * is asked past the deadline too: a formation is gone forward with (mez_lifecycle_migration_step allows the
 * advance); a refusal that says it formed nothing and never will ("migration_formed": false: the pipeline refused
 * the formation for good, or nothing was begun and the migration is called off or past its deadline) compensates, or times
 * out past the deadline, and reinstates the source. Any other answer, or none (the destination down, a signature
 * it does not know yet, a formation whose remote outcome it does not know yet), leaves the migration where it is,
 * to be asked again: reinstating the source beside an entity the destination may have formed would leave it live
 * in both zones (review). Once it has formed it (DESTINATION_VERIFICATION), nothing but its own rejection of the
 * entity undoes the move. */
static mez_status_t step_destination(saga_t *s, mez_problem_t *pb)
{
    mez_migration_update_t u;
    mez_peer_answer_t ans = { 0 };
    const json_t *f;
    const char *dest = s->m->destination_zone_id, *status;
    int past, undo, nothing, formed = s->m->state == MEZ_MIGRATION_DESTINATION_VERIFICATION, entity_state = -1;
    mez_problem_t spb = { 0 };
    mez_status_t st;

    st = s->env->call_peer(s->env->baton, "POST", "/v1/corridors/peers/migrations/complete", NULL,
                           json_pack("{s:s, s:I}", "corridor_id", s->m->corridor_id, "sequence",
                                     (json_int_t)s->m->receipt_seq), &ans, pb);
    /* The clock after the answer, which may have taken a while: past the deadline only the time-out undoes. */
    past = apr_time_now() > s->m->deadline;
    undo = past ? MEZ_MIGRATION_EV_TIMEOUT : MEZ_MIGRATION_EV_COMPENSATE;
    nothing = st != MEZ_OK && mez_peer_said_no(&ans) && json_is_false(json_object_get(ans.body, "migration_formed"));
    if (nothing && !formed)
        return release(s, undo, past ? "the deadline passed and the destination formed nothing"
                                     : "the destination refused to form the entity", ans.body, pb);
    if (nothing)
        return mez_problem(pb, s->p, MEZ_EIO, 502, "migration.destination_inconsistent", NULL,
                           "zone %s formed entity %s for this migration and now says it formed nothing (%s): the "
                           "migration waits; ask that zone's operator", dest,
                           s->m->destination_entity_id ? s->m->destination_entity_id : "?",
                           str(ans.body, "code") ? str(ans.body, "code") : "no code");
    if (st != MEZ_OK || (st = check_completion(s, ans.body, pb)) != MEZ_OK)
        return st;
    f = json_object_get(ans.body, "formation");
    mez_migration_update_init(&u);
    if (s->m->state == MEZ_MIGRATION_IN_TRANSIT) {
        u.destination_entity_id = str(ans.body, "entity_id");
        return move(s, MEZ_MIGRATION_EV_ADVANCE,
                    json_pack("{s:{s:s, s:s, s:s, s:O?, s:s?, s:s?}}", "destination", "zone_id", dest,
                              "entity_id", str(ans.body, "entity_id"), "status", str(ans.body, "status"), "decision",
                              json_object_get(json_object_get(f, "compliance"), "decision"), "credential_digest",
                              digest_of(s->p, json_object_get(f, "credential")), "attestation_digest",
                              digest_of(s->p, json_object_get(f, "attestation"))), &u, pb);
    }
    status = str(ans.body, "status");
    /* Only a status of the entity machine (the Mass contract's EntityStatus) decides: any other word from the
     * destination's Mass is waited on, not guessed at, since finishing the move strikes the source off for good. */
    if (mez_lifecycle_state_parse(s->p, MEZ_LIFECYCLE_ENTITY, status, &entity_state, &spb) != MEZ_OK)
        return mez_problem(pb, s->p, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                           "zone %s answered entity %s with status '%s', which is no entity status: the migration "
                           "waits", dest, str(ans.body, "entity_id"), status);
    switch ((mez_entity_state_t)entity_state) {
    case MEZ_ENTITY_REJECTED:
        /* The destination's registrar refused the entity it formed: it never lived there, the source is
         * reinstated (compensated; timed out past the deadline). */
        return release(s, undo, apr_psprintf(s->p, "the destination's registrar rejected entity %s",
                                             str(ans.body, "entity_id")), ans.body, pb);
    case MEZ_ENTITY_DRAFT:
    case MEZ_ENTITY_PENDING_APPROVAL:
    case MEZ_ENTITY_STATE_COUNT:          /* never parsed; waiting is the safe side */
        return mez_problem(pb, s->p, MEZ_EINVAL, 409, "migration.destination_pending", NULL,
                           "entity %s in zone %s is %s: it is unlocked once that zone approves it",
                           str(ans.body, "entity_id"), dest, status);
    case MEZ_ENTITY_ACTIVE:
    case MEZ_ENTITY_SUSPENDED:
    case MEZ_ENTITY_DISSOLVING:
    case MEZ_ENTITY_DISSOLVED:
    case MEZ_ENTITY_STRUCK_OFF:
        /* Reached through its approval: it lived there, and may have gone on to a third zone or been wound up
         * since. The move is finished here, never undone (review). */
        break;
    }
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:{s:s, s:s, s:s}}", "destination", "zone_id", dest, "entity_id",
                          str(ans.body, "entity_id"), "status", status), &u, pb);
}

/* The credential this zone issues for the move: both ids, both zones, the receipt. */
static mez_status_t migration_credential(saga_t *s, const char *retire_digest, json_t **vc, mez_problem_t *pb)
{
    const json_t *dest = json_object_get(evidence_at(s, "DESTINATION_VERIFICATION"), "destination");
    const mez_orch_zone_t *z = s->env->zone;
    mez_vc_proof_options_t opts = { 0 };
    json_t *cred = json_pack("{s:[s], s:[s,s], s:s, s:{s:s, s:s, s:s, s:O, s:{s:s, s:s, s:s, s:s}, "
                             "s:{s:s, s:s, s:s, s:O?}, s:{s:I, s:O?}}}", "@context", MEZ_VC_CONTEXT_V2, "type",
                             "VerifiableCredential", "EntityMigrationCredential", "validFrom",
                             mez_time_now_rfc3339(s->p), "credentialSubject", "id",
                             apr_pstrcat(s->p, "urn:mez:migration:", s->m->migration_id, NULL), "migration_id",
                             s->m->migration_id, "corridor_id", s->m->corridor_id, "legal_name",
                             json_object_get(json_object_get(s->m->request, "formation"), "legal_name"), "source",
                             "zone_id", z->zone_id, "entity_id", s->m->entity_id, "did", z->did,
                             "status_credential_digest", retire_digest, "destination", "zone_id",
                             s->m->destination_zone_id, "entity_id", s->m->destination_entity_id, "did", s->peer_did,
                             "formation_credential_digest", json_object_get(dest, "credential_digest"), "receipt",
                             "sequence", (json_int_t)s->m->receipt_seq, "next_root",
                             json_object_get(evidence_at(s, "IN_TRANSIT"), "receipt_root"));
    if (!cred)
        return mez_problem(pb, s->p, MEZ_EINTERNAL, 500, "migration.incomplete_evidence", NULL,
                           "migration %s lacks what its credential names", s->m->migration_id);
    own(s->env, cred);
    return mez_vc_issue(s->p, cred, z->key, NULL, &opts, vc, pb);
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

    if ((st = source_status(s, "retire", "STRUCK_OFF", apr_psprintf(s->p, "migration %s: continued in %s as %s",
                                                                    s->m->migration_id, s->m->destination_zone_id,
                                                                    s->m->destination_entity_id), &ans, &doc, pb))
        != MEZ_OK)
        return st;
    if (ans.status >= 400)
        return mez_problem(pb, s->p, MEZ_EINVAL, ans.status, "migration.retire_refused", NULL,
                           "this zone's pipeline refused to strike entity %s off: %s", s->m->entity_id,
                           str(doc, "detail") ? str(doc, "detail") : "(no detail)");
    if ((st = migration_credential(s, digest_of(s->p, json_object_get(doc, "credential")), &vc, pb)) != MEZ_OK)
        return st;
    mez_migration_update_init(&u);
    u.locked = 0;
    u.credential = vc;
    return move(s, MEZ_MIGRATION_EV_ADVANCE,
                json_pack("{s:o, s:s}", "source", json_incref(decision_json(s, doc)), "credential_digest",
                          digest_of(s->p, vc)), &u, pb);
}

/* The saga over m with its destination selected as the peer that call_peer reaches. */
static mez_status_t saga_of(const mez_corridor_env_t *env, mez_migration_t *m, saga_t *s, mez_problem_t *pb)
{
    s->env = env;
    s->p = env->p;
    s->m = m;
    s->peer_did = NULL;
    return env->peer(env->baton, m->destination_zone_id, &s->peer_did, pb);
}

/* ------------------------------------------------------------------ the public calls */

mez_status_t mez_saga_hold_parse(apr_pool_t *p, const json_t *body, int *hold, mez_problem_t *pb)
{
    const json_t *v = json_object_get(body, "hold_at");
    *hold = -1;
    if (!v)
        return MEZ_OK;
    if (!json_is_string(v)
        || mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_MIGRATION, json_string_value(v), hold, NULL) != MEZ_OK
        || mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, *hold))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "migration.invalid_hold", "/hold_at",
                           "hold_at is a live state of the migration saga (INITIATED .. DESTINATION_UNLOCK)");
    return MEZ_OK;
}

mez_status_t mez_saga_begin(const mez_corridor_env_t *env, const char *corridor_id, const json_t *body,
                            mez_migration_t *m, int *hold, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_audit_event_t aev;
    const char *eid, *mid = mez_mass_new_id(p, "mig_"), *did;
    json_t *ent, *formation = NULL, *request;
    mez_status_t st;

    memset(m, 0, sizeof(*m));
    if ((st = mez_saga_hold_parse(p, body, hold, pb)) != MEZ_OK)
        return st;
    if (!(eid = str(body, "entity_id")) || !*eid)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.missing_field", "/entity_id",
                           "entity_id names the entity of this zone that moves");
    if (json_object_get(body, "compliance") && !json_is_object(json_object_get(body, "compliance")))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_type", "/compliance",
                           "compliance is an object (the pipeline's envelope)");
    if ((st = mez_migration_deadline_parse(p, str(body, "deadline"), apr_time_now(), &m->deadline, pb)) != MEZ_OK
        || (st = mez_corridor_get(p, env->db, corridor_id, &c, pb)) != MEZ_OK)
        return st;
    if (c.state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE",
                           corridor_id, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c.state));
    m->destination_zone_id = c.peer_zone_id;
    if ((st = env->peer(env->baton, m->destination_zone_id, &did, pb)) != MEZ_OK)
        return st;
    if ((st = mez_orch_id_check(p, eid, "/entity_id", pb)) != MEZ_OK
        || (st = mez_orch_mass_read(env->zone, p, env->db, apr_pstrcat(p, "/v1/entities/", eid, NULL), NULL,
                                "/entity_id", &ent, pb)) != MEZ_OK)
        return st;
    if (!str(ent, "status") || strcmp(str(ent, "status"), "ACTIVE"))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "migration.entity_not_active", "/entity_id",
                           "entity %s is %s: only an ACTIVE entity migrates", eid,
                           str(ent, "status") ? str(ent, "status") : "?");
    if ((st = formation_of(env, ent, mid, corridor_id, json_object_get(body, "compliance"), &formation, pb))
        != MEZ_OK)
        return st;
    request = own(env, json_pack("{s:O, s:s, s:s}", "formation", formation, "formation_digest",
                                 digest_of(p, formation), "entity_record_digest", digest_of(p, ent)));
    if (json_object_get(body, "compliance"))
        json_object_set(request, "compliance", json_object_get(body, "compliance"));
    m->migration_id = mid;
    m->corridor_id = corridor_id;
    m->entity_id = eid;
    m->request = request;
    step_audit(env, mid, &aev);
    return mez_migration_create(p, env->db, m, own(env, json_pack("{s:s, s:s, s:s}", "requested_by", env->actor,
                                                                  "entity_record_digest",
                                                                  str(request, "entity_record_digest"), "deadline",
                                                                  str(body, "deadline"))), apr_time_now(), &aev, pb);
}

mez_status_t mez_saga_open(const mez_corridor_env_t *env, const char *cid, const char *mid, mez_migration_t *m,
                           mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_migration_get(env->p, env->db, mid, m, pb)) != MEZ_OK)
        return st;
    if (strcmp(m->corridor_id, cid))
        return mez_problem(pb, env->p, MEZ_EINVAL, 404, "migration.not_found", NULL,
                           "there is no migration %s on corridor %s", mid, cid);
    return MEZ_OK;
}

mez_status_t mez_saga_run(const mez_corridor_env_t *env, mez_migration_t *m, int hold, int advancing, int *stalled,
                          mez_problem_t *pb)
{
    saga_t s;
    mez_status_t st;
    int to;

    *stalled = 0;
    if ((st = saga_of(env, m, &s, pb)) != MEZ_OK)
        return st;
    /* An ended migration is not advanced: the machine's own 409 says so. */
    if (advancing && mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, m->state)) {
        if ((st = mez_lifecycle_step(env->p, MEZ_LIFECYCLE_MIGRATION, m->state, MEZ_MIGRATION_EV_ADVANCE, &to, NULL,
                                     pb)) == MEZ_OK)
            st = mez_problem(pb, env->p, MEZ_EINTERNAL, 500, "internal", NULL, "migration %s ended, yet moves",
                             m->migration_id);
        return st;
    }
    for (int steps = 0;; steps++) {
        if (mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, m->state)
            || (hold >= 0 && (steps || !advancing) && m->state == hold))
            return MEZ_OK;
        /* Past the deadline a migration times out unless the destination may have formed the entity: from
         * IN_TRANSIT on, the steps below ask it (step_destination) or finish what it formed (step_retire). */
        if (apr_time_now() > m->deadline && m->state < MEZ_MIGRATION_IN_TRANSIT)
            st = release(&s, MEZ_MIGRATION_EV_TIMEOUT, "the deadline passed", NULL, pb);
        else if (m->state == MEZ_MIGRATION_INITIATED)
            st = move(&s, MEZ_MIGRATION_EV_ADVANCE,
                      json_pack("{s:s, s:O, s:O}", "destination_zone_id", m->destination_zone_id, "formation_digest",
                                json_object_get(m->request, "formation_digest"), "entity_record_digest",
                                json_object_get(m->request, "entity_record_digest")), NULL, pb);
        else if (m->state == MEZ_MIGRATION_COMPLIANCE_CHECK)
            st = step_compliance(&s, pb);
        else if (m->state == MEZ_MIGRATION_ATTESTATION_GATHERING)
            st = step_lock(&s, pb);
        else if (m->state == MEZ_MIGRATION_SOURCE_LOCKED)
            st = step_receipt(&s, pb);
        else if (m->state == MEZ_MIGRATION_IN_TRANSIT || m->state == MEZ_MIGRATION_DESTINATION_VERIFICATION)
            st = step_destination(&s, pb);
        else
            st = step_retire(&s, pb);
        if (st != MEZ_OK) {
            /* The step is where it was: what stopped it is answered, and the saga resumes from the record. */
            *stalled = 1;
            return MEZ_OK;
        }
    }
}

mez_status_t mez_saga_cancel(const mez_corridor_env_t *env, mez_migration_t *m, const json_t *body,
                             mez_problem_t *pb)
{
    saga_t s;
    const char *why = str(body, "reason");
    mez_status_t st;

    if ((st = saga_of(env, m, &s, pb)) != MEZ_OK)
        return st;
    if (json_object_get(body, "reason") && (!why || !*why))
        return mez_problem(pb, env->p, MEZ_EINVAL, 422, "request.invalid_type", "/reason",
                           "reason is a non-empty string");
    return release(&s, MEZ_MIGRATION_EV_CANCEL, apr_pstrcat(env->p, "cancelled by ", env->actor, why ? ": " : "",
                                                           why ? why : "", NULL), NULL, pb);
}

mez_status_t mez_saga_document(const mez_corridor_env_t *env, const mez_migration_t *m, json_t **doc,
                               mez_problem_t *pb)
{
    json_t *o = mez_migration_json(env->p, m), *steps;
    mez_status_t st;
    if ((st = mez_migration_steps(env->p, env->db, m->migration_id, &steps, pb)) != MEZ_OK)
        return st;
    json_object_set(o, "steps", steps);
    *doc = o;
    return MEZ_OK;
}
