/* orchestrate.c: the write pipeline every orchestrated route runs (see mez/orchestrate.h for the contract).
 *
 * Order, and why it is this order:
 *  1. validate: the operation's prepare() refuses bad input before anything is looked up or written;
 *  2. evaluate: the compliance tensor on the zone's packs, plus sanctions screening of every person the request
 *     names besides the action's parties (directors, owners, holders): a decision must exist before any effect;
 *  3. deny: a non_compliant decision (a sanctions hit is one, whatever else holds) is answered 422 and recorded
 *     (evaluation + audit) with nothing else written: a refusal is itself a fact the regulator may ask about;
 *  4. act: the Mass write; with the sovereign store it runs inside the same transaction as what follows, so the
 *     credential, attestation, evaluation record and audit row exist exactly when the write does;
 *  5. attest and certify: a ComplianceAttestation for the decision (citing the pack rules that decided it) and
 *     a credential for what was done (EntityFormationCredential, LicenceGrantCredential, ...) that points at the
 *     attestation, both signed with the zone key;
 *  6. commit, answer.
 *
 * Remote Mass. A database transaction cannot span an HTTP call, and holding one open across it would hold
 * SQLite's write lock for a network round trip. So with a remote primitive the write is made before the local
 * transaction begins, under an idempotency key derived from the caller's Idempotency-Key (required for such
 * writes: without it a retry could not be recognised), and the local records are the completion. If the
 * completion fails, the caller's retry repeats the Mass call with the same key (Mass answers it without doing
 * it twice) and completes. */
#include <string.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/vc.h"
#include "mez/audit.h"
#include "mez/clearance.h"
#include "mez/idempotency.h"
#include "mez/zone.h"
#include "orch_int.h"

const char *mez_orch_str(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void mez_orch_screen(orch_t *o, const char *name, const char *pointer)
{
    orch_screen_t *s;
    /* Only an absent name is passed over; "" is a name given, and refused as unscreenable (evaluate()). */
    if (!name)
        return;
    s = &APR_ARRAY_PUSH(o->screens, orch_screen_t);
    s->name = name;
    s->pointer = pointer;
}

/* A name the lists cannot be compared with ("-- . --", "...", "") would be answered pending by the tensor, and a
 * pending sanctions domain does not stop every write (a payment with its other domains evidenced goes through):
 * the money would move to a payee nobody screened. So such a name is a mistake in the request, refused before
 * anything is evaluated or written. */
mez_status_t mez_orch_screenable(orch_t *o, const char *name, const char *pointer)
{
    if (name && mez_tensor_name_too_long(name))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.name_too_long", pointer,
                           "%s is longer than the %d characters a screened name may have",
                           pointer && *pointer ? pointer : "the name", MEZ_TENSOR_NAME_MAX);
    if (name && *mez_tensor_name_normalise(o->p, name))
        return MEZ_OK;
    return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.unscreenable_name", pointer,
                       "%s has no letters or digits left to screen against the sanctions lists",
                       pointer && *pointer ? pointer : "the name");
}

/* ---------------------------------------------------------------- Mass */

static int is_remote(const orch_t *o)
{
    return o->z->mass_is_remote && o->z->mass_is_remote(o->z->mass_baton, o->op->prim);
}

/* Mass's own idempotency key for one write of this request: derived from the caller's Idempotency-Key, so that a
 * retried request repeats the very same Mass write (which Mass then answers without doing it twice), and from
 * everything that scopes the caller's key here: the zone, the principal and the route (with its path), as the
 * zone's own record is scoped. Mass scopes keys by primitive only, so a key spliced from the zone, operation and
 * caller's key alone (scheme 1, "zone:op:key[:suffix]") made two principals' or two paths' requests one Mass
 * write (a replay certified a second time, or a false key_reused), and grew past the 255 characters a key may
 * have. Scheme 2 is a digest of those members, written as a UUID (RFC 9562 version 8): fixed length, visible
 * ASCII, and the shape the Mass contracts give Idempotency-Key (format uuid).
 *
 * Upgrade: an intent committed by a build that derived scheme 1 keys and resumed by this one must send the keys
 * that build sent, or Mass would do the write a second time. Intents record their scheme as their note
 * (MASS_KEY_NOTE); one without a note predates scheme 2 and keeps scheme 1 (claim_key). */
#define MASS_KEY_NOTE "mass-key:2"

static const char *mass_key(orch_t *o, const char *suffix)
{
    json_t *members;
    const char *canon;
    mez_digest_t d;
    const unsigned char *b;

    if (o->mass_key_scheme == 1)
        return apr_pstrcat(o->p, o->z->zone_id, ":", o->op->name, ":", o->req->idempotency_key, suffix ? ":" : "",
                           suffix ? suffix : "", NULL);
    members = mez_json_pool_own(o->p, json_pack("[s,s,s,s,s,s,s]", MASS_KEY_NOTE, o->z->zone_id,
                                                o->idem_scope.principal, o->idem_scope.route, o->op->name,
                                                o->req->idempotency_key, suffix ? suffix : ""));
    if (!members || mez_json_canonicalize(o->p, members, &canon, NULL, NULL) != MEZ_OK)
        return NULL;
    mez_digest_sha256(canon, strlen(canon), &d);
    b = d.bytes;
    return apr_psprintf(o->p, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                        b[2], b[3], b[4], b[5], (b[6] & 0x0f) | 0x80, b[7], (b[8] & 0x3f) | 0x80, b[9], b[10],
                        b[11], b[12], b[13], b[14], b[15]);
}

const char *mez_orch_remote_mass_key(orch_t *o)
{
    return is_remote(o) && o->req->idempotency_key ? mass_key(o, NULL) : NULL;
}

/* 1 when a write's outcome says Mass certainly did not make it: the request never reached Mass (no connection,
 * or refused here before it was sent), or Mass refused it with a 4xx about the request itself. Not a 408 (Mass
 * gave up waiting, its work may go on) and not an idempotency refusal (in progress, or the key already used: a
 * write under this key exists). Anything else, a 5xx, garbage, no answer after the request went out, may follow
 * the write having been made. */
static int certainly_not_written(mez_status_t rv, const mez_mass_response_t *resp)
{
    const char *code;
    if (rv != MEZ_OK)
        return resp->not_sent;
    if (resp->status < 400 || resp->status >= 500 || resp->status == 408)
        return 0;
    code = mez_orch_str(resp->body, "code");
    return !code || strncmp(code, "idempotency.", 12);
}

mez_status_t mez_orch_mass(orch_t *o, const char *method, const char *path, const json_t *body,
                           const char *key_suffix, mez_mass_response_t *resp)
{
    const char *q = strchr(path, '?');
    mez_mass_request_t req = { method, q ? apr_pstrndup(o->p, path, (apr_size_t)(q - path)) : path, q ? q + 1 : NULL,
                               body, NULL };
    mez_status_t rv;

    if (strcmp(method, "GET") && o->req->idempotency_key && !(req.idempotency_key = mass_key(o, key_suffix)))
        return mez_problem(o->pb, o->p, MEZ_EINTERNAL, 500, "orchestrate.mass_key", NULL,
                           "the Mass idempotency key for %s %s could not be derived", method, path);
    resp->not_sent = 0;
    if (o->z->mass_call)
        rv = o->z->mass_call(o->z->mass_baton, o->p, o->db, &req, resp, o->pb);
    else
        rv = mez_mass_store_handle(o->p, o->db, &o->store_ctx, &req, resp, o->pb);
    if (strcmp(method, "GET") && !certainly_not_written(rv, resp))
        o->mass_done = 1;
    if (rv != MEZ_OK)
        return rv;
    mez_json_pool_own(o->p, resp->body);
    if (resp->status >= 400) {
        /* The primitive's refusal is the answer: its status, code and pointer pass through unchanged. */
        const char *code = mez_orch_str(resp->body, "code");
        const char *detail = mez_orch_str(resp->body, "detail");
        o->pb->status = resp->status;
        o->pb->code = code ? code : "mass.refused";
        o->pb->title = NULL;
        o->pb->detail = apr_pstrcat(o->p, "Mass (", mez_mass_primitive_name(mez_mass_primitive_of_path(path) < 0
                                                     ? o->op->prim
                                                     : (mez_mass_primitive_t)mez_mass_primitive_of_path(path)),
                                    ") refused ", method, " ", path, detail ? ": " : "", detail ? detail : "", NULL);
        o->pb->pointer = mez_orch_str(resp->body, "pointer");
        return MEZ_EINVAL;
    }
    return MEZ_OK;
}

mez_status_t mez_orch_mass_get(orch_t *o, const char *path, const char *what, const char *pointer, json_t **doc)
{
    mez_mass_response_t resp = { 0 };
    mez_status_t rv = mez_orch_mass(o, "GET", path, NULL, NULL, &resp);
    if (rv == MEZ_EINVAL && resp.status == 404)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, apr_pstrcat(o->p, what, ".unknown", NULL), pointer,
                           "%s names no %s in this zone", pointer, what);
    if (rv != MEZ_OK)
        return rv;
    *doc = resp.body;
    return MEZ_OK;
}

/* ---------------------------------------------------------------- evaluation */

static mez_state_t domain_state(const json_t *result, const char *domain)
{
    mez_state_t s = MEZ_STATE_PENDING;
    const char *name = mez_orch_str(json_object_get(json_object_get(result, "domains"), domain), "state");
    if (!name || mez_state_parse(NULL, name, NULL, &s, NULL) != MEZ_OK)
        return MEZ_STATE_PENDING;
    return s;
}

/* The tensor's pointers are into the action document; the caller wrote those members under "compliance". */
static mez_status_t reroot_tensor_problem(orch_t *o, mez_status_t rv)
{
    const char *ptr = o->pb->pointer;
    if (ptr && !strcmp(ptr, "/action/licence_type"))
        o->pb->pointer = "/licence_type";
    else if (ptr && !strcmp(ptr, "/action/destination_jurisdiction"))
        o->pb->pointer = "/destination/destination_zone_id";     /* a payment's (payment_prepare) */
    else if (ptr && (!strncmp(ptr, "/evidence", 9) || !strncmp(ptr, "/subject", 8) || !strncmp(ptr, "/counterparty", 13)))
        o->pb->pointer = apr_pstrcat(o->p, "/compliance", ptr, NULL);
    else if (ptr)
        o->pb->pointer = "/compliance";
    return rv;
}

/* The record the names a request carries besides its parties (directors, holders, bank details) are screened in,
 * which a clearance of one of their hits names (mez/clearance.h): what prepare chose (a person's application),
 * else the entity acted on, else the action's subject (a formation's application), else the request's subject. */
static const char *screen_context(const orch_t *o)
{
    const char *id = mez_orch_str(json_object_get(o->action_doc, "subject"), "id");
    return o->screen_context ? o->screen_context : o->owner_entity ? o->owner_entity : id ? id : o->subject_id;
}

/* Screens one name: a sanctions-only evaluation of a party with that name, as of today (evaluate()). */
static mez_status_t screen_one(orch_t *o, const orch_screen_t *s, size_t i, const mez_tensor_clearance_t *cl,
                               size_t ncl)
{
    mez_tensor_eval_options_t eo = { .domains = MEZ_DOMAIN_BIT(MEZ_DOMAIN_SANCTIONS), .screening_date = o->today,
                                     .clearance_context = screen_context(o), .clearances = cl,
                                     .n_clearances = ncl };
    json_t *doc, *result;
    mez_state_t st;
    mez_status_t rv;

    doc = mez_json_pool_own(o->p, json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s}}", "action", "type", "entity_formation",
                                            "date", o->date, "jurisdiction", o->z->zone_id, "subject", "id",
                                            apr_psprintf(o->p, "urn:mez:screened:%" APR_SIZE_T_FMT "", (apr_size_t)i), "name", s->name));
    if ((rv = mez_tensor_evaluate(o->p, o->z->tensor_index, doc, &eo, &result, NULL, o->pb)) != MEZ_OK)
        return rv;
    st = domain_state(result, "sanctions");
    json_array_append_new(o->screenings,
                          json_pack("{s:s,s:s,s:s,s:O}", "name", s->name, "pointer", s->pointer, "state",
                                    mez_state_name(st), "reasons",
                                    json_object_get(json_object_get(json_object_get(result, "domains"), "sanctions"),
                                                    "reasons")));
    if (st == MEZ_STATE_NON_COMPLIANT) {
        o->decision = MEZ_STATE_NON_COMPLIANT;
        o->hard_block = 1;
    }
    return MEZ_OK;
}

/* The result of a screening-only operation, in the tensor's result shape: the sanctions domain decided by the
 * screenings, every other domain not applicable, and the reference commitment over those cells. */
static mez_status_t screening_result(orch_t *o)
{
    mez_tensor_cells_t cells;
    mez_digest_t d;
    mez_state_t st = o->hard_block ? MEZ_STATE_NON_COMPLIANT : MEZ_STATE_COMPLIANT;
    mez_status_t rv;

    mez_tensor_cells_fill(&cells, MEZ_STATE_NOT_APPLICABLE);
    mez_tensor_cells_set(&cells, MEZ_DOMAIN_SANCTIONS, st);
    if ((rv = mez_tensor_commitment(o->p, o->z->zone_id, &cells, &d, o->pb)) != MEZ_OK)
        return rv;
    o->decision = st;
    o->result = mez_json_pool_own(o->p, json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s,s:[{s:s,s:I}]}},s:s}",
                                                  "decision", mez_state_name(st), "action_type", o->op->name,
                                                  "jurisdiction", o->z->zone_id, "date", o->date, "domains",
                                                  "sanctions", "state", mez_state_name(st), "reasons", "code",
                                                  "names_screened", "count",
                                                  (json_int_t)json_array_size(o->screenings),
                                                  "commitment", mez_digest_format(o->p, &d)));
    return MEZ_OK;
}

/* Every name is screened as of today, the day the write is made, whatever compliance.date says: the date
 * chooses the tax law a past action is judged by, but a person listed since then is blocked now (a backdated
 * payment to someone listed yesterday is still a payment made today). Evidence likewise must hold today: a KYC
 * attestation that expired last week does not vouch for a payment made now, whatever day the payment is dated. */
static mez_status_t evaluate_with(orch_t *o, const mez_tensor_clearance_t *cl, size_t ncl)
{
    mez_tensor_eval_options_t eo = { .domains = o->z->tensor_domains, .screening_date = o->today, .clearances = cl,
                                     .n_clearances = ncl, .evidence_date = o->today, .tz = o->z->tz,
                                     .weekend = o->z->weekend, .tax_year_start = o->z->tax_year_start,
                                     .holidays = o->z->zone ? o->z->zone->holidays : NULL };
    json_t *doc;
    mez_digest_t d;
    mez_status_t rv;

    o->screenings = mez_json_pool_own(o->p, json_array());
    o->decision = MEZ_STATE_COMPLIANT;
    o->hard_block = 0;
    for (int i = 0; i < o->screens->nelts; i++)
        if ((rv = screen_one(o, &APR_ARRAY_IDX(o->screens, i, orch_screen_t), (size_t)i, cl, ncl)) != MEZ_OK)
            return rv;
    if (o->action_doc) {
        mez_state_t decision;
        if ((rv = mez_tensor_evaluate(o->p, o->z->tensor_index, o->action_doc, &eo, &o->result, &decision, o->pb))
            != MEZ_OK)
            return reroot_tensor_problem(o, rv);
        if (domain_state(o->result, "sanctions") == MEZ_STATE_NON_COMPLIANT)
            o->hard_block = 1;
        o->decision = mez_state_meet(o->decision, decision);
    } else if ((rv = screening_result(o)) != MEZ_OK) {
        return rv;
    }
    doc = mez_json_pool_own(o->p, json_pack("{s:s,s:s,s:O,s:O}", "operation", o->op->name, "decision",
                                            mez_state_name(o->decision), "evaluation", o->result, "screenings",
                                            o->screenings));
    if ((rv = mez_json_canonicalize(o->p, doc, &o->evaluation_canon, NULL, o->pb)) != MEZ_OK)
        return rv;
    mez_digest_sha256(o->evaluation_canon, strlen(o->evaluation_canon), &d);
    o->evaluation_digest = mez_digest_format(o->p, &d);
    return MEZ_OK;
}

static mez_status_t evaluate(orch_t *o)
{
    const char *contexts[3];
    mez_tensor_clearance_t *cl;
    size_t ncl;
    mez_status_t rv;

    /* Every name is checked before any is screened, so that a refusal says what is wrong with the request
     * rather than depending on the order of its members. */
    for (int i = 0; i < o->screens->nelts; i++) {
        const orch_screen_t *s = &APR_ARRAY_IDX(o->screens, i, orch_screen_t);
        if ((rv = mez_orch_screenable(o, s->name, s->pointer)) != MEZ_OK)
            return rv;
    }
    if ((rv = evaluate_with(o, NULL, 0)) != MEZ_OK || !o->hard_block)
        return rv;
    /* A hit. Only now are the clearances of the records screened read (a request without a hit, nearly every
     * one, costs no query), and if there are any the request is evaluated again with them: a cleared hit is then
     * reported with its clearance, and only hits nobody cleared block. */
    contexts[0] = screen_context(o);
    contexts[1] = mez_orch_str(json_object_get(o->action_doc, "subject"), "id");
    contexts[2] = mez_orch_str(json_object_get(o->action_doc, "counterparty"), "id");
    if ((rv = mez_clearance_active(o->p, o->db, contexts, 3, o->req->now, &cl, &ncl, o->pb)) != MEZ_OK || !ncl)
        return rv;
    return evaluate_with(o, cl, ncl);
}

/* Domains whose state does not pass (pending, non_compliant), by name. */
static json_t *failing_domains(const orch_t *o, mez_state_t which)
{
    json_t *out = json_array(), *d;
    const char *name;
    json_object_foreach(json_object_get(o->result, "domains"), name, d) {
        mez_state_t s;
        if (mez_state_parse(NULL, mez_orch_str(d, "state"), NULL, &s, NULL) == MEZ_OK && s == which)
            json_array_append_new(out, json_string(name));
    }
    return out;
}

/* Every pack rule a reason or a withholding line cites, once each, in the order they appear: what the
 * attestation names so that an auditor can look each one up (GET /v1/packs/{digest}). */
static json_t *cited_rules(const orch_t *o)
{
    json_t *out = json_array(), *seen = json_object(), *d, *r, *w;
    const char *name;
    size_t i;
    json_object_foreach(json_object_get(o->result, "domains"), name, d) {
        json_array_foreach(json_object_get(d, "reasons"), i, r) {
            const char *rule = mez_orch_str(r, "rule");
            if (!rule || json_object_get(seen, rule))
                continue;
            json_object_set_new(seen, rule, json_true());
            json_t *c = json_pack("{s:s,s:s}", "domain", name, "rule", rule);
            if (json_object_get(r, "source"))
                json_object_set(c, "source", json_object_get(r, "source"));
            json_array_append_new(out, c);
        }
    }
    json_array_foreach(json_object_get(o->result, "withholding"), i, w) {
        const char *rule = mez_orch_str(w, "rule");
        if (!rule || json_object_get(seen, rule))
            continue;
        json_object_set_new(seen, rule, json_true());
        json_t *c = json_pack("{s:s,s:s}", "domain", "tax", "rule", rule);
        if (mez_orch_str(w, "section"))
            json_object_set(c, "section", json_object_get(w, "section"));
        if (json_object_get(w, "source"))
            json_object_set(c, "source", json_object_get(w, "source"));
        json_array_append_new(out, c);
    }
    json_decref(seen);
    return out;
}

/* ---------------------------------------------------------------- records */

static mez_status_t record_evaluation(orch_t *o, const char *attestation_digest)
{
    return mez_store_evaluation_insert(o->p, o->db, o->op->name, o->z->zone_id, o->subject_id,
                                       mez_state_name(o->decision), mez_orch_str(o->result, "commitment"),
                                       o->evaluation_digest, attestation_digest, o->evaluation_canon, o->pb);
}

/* Signs cred with the zone key: the credential, its canonical bytes and their digest, to be stored. */
static mez_status_t sign(orch_t *o, json_t *cred, json_t **vc, const char **canon, const char **digest)
{
    mez_vc_proof_options_t po = { 0 };
    mez_digest_t d;
    mez_status_t rv;

    po.verification_method = o->z->verification_method;
    if ((rv = mez_vc_issue(o->p, cred, o->z->key, o->z->did, &po, vc, o->pb)) != MEZ_OK
        || (rv = mez_json_canonicalize(o->p, *vc, canon, NULL, o->pb)) != MEZ_OK)
        return rv;
    mez_digest_sha256(*canon, strlen(*canon), &d);
    *digest = mez_digest_format(o->p, &d);
    return MEZ_OK;
}

/* The ComplianceAttestation: what the tensor decided (mez_tensor_attestation) plus what this pipeline adds:
 * the operation, the rules cited, and the names screened with their outcome. */
/* credentialSubject.id must be a URL: a zone's records are named "urn:mez:<zone>:<id>" (ids carry their kind as
 * a prefix: ent_, lic_, ...); an id that already is a URI (a DID) is used as it is. */
static const char *subject_uri(orch_t *o)
{
    if (strchr(o->subject_id, ':'))
        return o->subject_id;
    return apr_pstrcat(o->p, "urn:mez:", o->z->zone_id, ":", o->subject_id, NULL);
}

static json_t *attestation(orch_t *o)
{
    json_t *doc = o->action_doc ? json_deep_copy(o->action_doc) : json_object(), *cred, *cs;
    json_object_set_new(doc, "subject", json_pack("{s:s}", "id", subject_uri(o)));
    cred = mez_tensor_attestation(o->p, doc, o->result, o->evaluation_digest);
    json_decref(doc);
    cs = json_object_get(cred, "credentialSubject");
    json_object_set_new(cs, "operation", json_string(o->op->name));
    json_object_set_new(cs, "decision", json_string(mez_state_name(o->decision)));
    json_object_set_new(cs, "rules", cited_rules(o));
    if (json_array_size(o->screenings)) {
        json_t *screened = json_array(), *s;
        size_t i;
        json_array_foreach(o->screenings, i, s)
            json_array_append_new(screened, json_pack("{s:O,s:O}", "name", json_object_get(s, "name"), "state",
                                                      json_object_get(s, "state")));
        json_object_set_new(cs, "screened", screened);
    }
    return cred;
}

static json_t *certificate(orch_t *o, const char *attestation_digest)
{
    json_t *cs = o->claims ? json_deep_copy(o->claims) : json_object();
    json_object_set_new(cs, "id", json_string(subject_uri(o)));
    json_object_set_new(cs, "operation", json_string(o->op->name));
    json_object_set_new(cs, "zone", json_string(o->z->zone_id));
    json_object_set_new(cs, "compliance",
                        json_pack("{s:s,s:s,s:s,s:o}", "decision", mez_state_name(o->decision), "evaluation",
                                  o->evaluation_digest, "attestation", attestation_digest, "pending_domains",
                                  failing_domains(o, MEZ_STATE_PENDING)));
    return mez_json_pool_own(o->p, json_pack("{s:[s],s:[s,s],s:s,s:o}", "@context", MEZ_VC_CONTEXT_V2, "type",
                                             "VerifiableCredential",
                                             o->credential_type ? o->credential_type : o->op->credential_type,
                                             "validFrom",
                                             mez_time_stamp(o->p, o->req->now), "credentialSubject", cs));
}

static json_t *compliance_summary(orch_t *o)
{
    return json_pack("{s:s,s:b,s:s,s:O,s:o,s:o,s:O,s:O}", "decision", mez_state_name(o->decision), "hard_block",
                     o->hard_block, "evaluation_digest", o->evaluation_digest, "commitment",
                     json_object_get(o->result, "commitment"), "pending_domains",
                     failing_domains(o, MEZ_STATE_PENDING), "non_compliant_domains",
                     failing_domains(o, MEZ_STATE_NON_COMPLIANT), "evaluation", o->result, "screenings",
                     o->screenings);
}

/* ---------------------------------------------------------------- outcomes */

/* The answer as the bytes that will be sent, so that an Idempotency-Key replay sends exactly them again. */
static void finish_answer(orch_t *o, mez_orch_answer_t *ans, int status, json_t *body)
{
    ans->status = status;
    ans->body = body;
    ans->body_text = apr_pstrcat(o->p, mez_json_dump(o->p, body, 0), "\n", NULL);
    ans->decision = mez_state_name(o->decision);
}

/* The audit row and the Idempotency-Key record of what this request did: the last writes of its transaction. */
static mez_status_t close_records(orch_t *o, const char *outcome, const char *credential_digest,
                                  const mez_orch_answer_t *ans)
{
    mez_audit_event_t ev = { 0 };
    json_t *detail = mez_json_pool_own(o->p, json_pack("{s:s,s:s}", "decision", mez_state_name(o->decision),
                                                       "evaluation", o->evaluation_digest));
    mez_status_t rv;
    if (credential_digest)
        json_object_set_new(detail, "credential", json_string(credential_digest));
    if (o->req->idempotency_key)
        json_object_set_new(detail, "idempotency_key", json_string(o->req->idempotency_key));
    if (o->unreconciled)
        json_object_set_new(detail, "mass_write_may_exist", json_incref(o->unreconciled));
    ev.zone_id = o->z->zone_id;
    ev.at = o->req->now;
    ev.actor = o->req->actor ? o->req->actor : "anonymous";
    ev.action = o->op->name;
    ev.resource_type = mez_mass_primitive_name(o->op->prim);
    ev.resource_id = o->resource_id && *o->resource_id ? o->resource_id : o->subject_id;
    ev.outcome = outcome;
    ev.request_id = o->req->request_id;
    ev.detail = detail;
    if ((rv = mez_audit_append(o->p, o->db, &ev, o->pb)) != MEZ_OK)
        return rv;
    if (o->req->idempotency_key)
        return mez_idem_complete(o->p, o->db, &o->idem_scope, o->req->idempotency_key, ans->status, ans->body_text,
                                 o->req->now, o->pb);
    return MEZ_OK;
}

/* A denial: the evaluation is recorded and audited, nothing else is written, and the answer is a 422 problem
 * carrying the per-domain result with its cited sources. Runs in o->tx.
 *
 * A resumed intent (remote Mass) is the retry of an attempt that reached Mass, or may have, under a decision that
 * allowed it; if the decision now denies (a clearance revoked, an entry listed since), the zone certifies
 * nothing, as for any denial, but it must not pretend the write never happened: the answer is 422
 * compliance.denied_after_mass_write naming the Mass write (primitive, method, path and the Mass idempotency
 * key it went under), the audit row says the write may exist, and an operator reconciles the record at Mass. */
static mez_status_t deny(orch_t *o, mez_orch_answer_t *ans)
{
    mez_problem_t pbx = { 0 };
    json_t *problem;
    mez_status_t rv;

    /* A refusal is recorded under what it refused: the entity acted on, else the application (a formation's
     * urn:mez:application:..., the record a clearance of its hits names), so a reader of that record finds it. */
    if (!o->subject_id)
        o->subject_id = o->owner_entity ? o->owner_entity : screen_context(o);
    if (o->intent_resumed && !o->op->write && o->mass_req.path)
        o->unreconciled = mez_json_pool_own(
            o->p, json_pack("{s:s, s:s, s:s, s:s?}", "primitive", mez_mass_primitive_name(o->op->prim), "method",
                            o->mass_req.method, "path", o->mass_req.path, "idempotency_key", mass_key(o, NULL)));
    if (o->unreconciled)
        mez_problem(&pbx, o->p, MEZ_EINVAL, 422, "compliance.denied_after_mass_write", NULL,
                    "%s is now %s, but an earlier attempt with this Idempotency-Key reached Mass (%s %s) under the "
                    "decision it had then: the zone certifies nothing; the record it may have made at Mass is to be "
                    "reconciled there (mass_write names it)", o->op->name,
                    o->hard_block ? "blocked by a sanctions or proscription list" : "denied", o->mass_req.method,
                    o->mass_req.path);
    else
        mez_problem(&pbx, o->p, MEZ_EINVAL, 422,
                    o->hard_block ? "compliance.sanctions_hard_block" : "compliance.denied", NULL,
                    o->hard_block ? "%s is blocked: a party is on a sanctions or proscription list the zone enforces"
                                  : "%s is denied by the zone's compliance evaluation",
                    o->op->name);
    problem = mez_json_pool_own(o->p, mez_problem_to_json(&pbx));
    if (o->unreconciled)
        json_object_set(problem, "mass_write", o->unreconciled);
    json_object_set_new(problem, "operation", json_string(o->op->name));
    json_object_set_new(problem, "compliance", compliance_summary(o));
    json_object_set_new(problem, "recorded", json_true());
    if (o->req->path)
        json_object_set_new(problem, "instance", json_string(o->req->path));
    finish_answer(o, ans, 422, problem);
    if ((rv = record_evaluation(o, NULL)) != MEZ_OK || (rv = close_records(o, "denied", NULL, ans)) != MEZ_OK)
        return rv;
    return mez_db_commit(o->p, o->tx, o->pb);
}

/* A new record's Mass answer must name it: a 2xx without its id (a misbehaving or foreign Mass) cannot be
 * certified, since the credential would be about nothing (or, worse, about the path's or the owner's id). The
 * write did happen, so the intent stays for the retry; the answer is the gateway's for an unusable answer. */
static mez_status_t answer_names_record(orch_t *o)
{
    const char *id;
    if (o->op->write || !o->op->id_member)
        return MEZ_OK;
    id = mez_orch_str(o->mass_resp.body, o->op->id_member);
    if (id && *id)
        return MEZ_OK;
    mez_problem(o->pb, o->p, MEZ_EIO, 502, "mass.upstream_error", NULL,
                "Mass %s answered %s %s with HTTP %d but without its %s: nothing was certified; a retry with the "
                "same Idempotency-Key completes it once Mass answers it properly",
                mez_mass_primitive_name(o->op->prim), o->mass_req.method, o->mass_req.path, o->mass_resp.status,
                o->op->id_member);
    o->pb->title = "Bad Gateway";
    return MEZ_EIO;
}

/* The action: the Mass write (or the zone's own register write), then its attestation, credential and records.
 * With the sovereign store o->tx is already open and holds everything; with a remote primitive the writes are
 * made first and o->tx begins after the last of them (the completion). */
static mez_status_t act(orch_t *o, mez_orch_answer_t *ans)
{
    json_t *att_vc, *vc, *body;
    const char *att_digest, *vc_digest, *att_canon, *vc_canon;
    mez_status_t rv;

    if (o->op->write)
        rv = o->op->write(o);
    else
        rv = mez_orch_mass(o, o->mass_req.method, o->mass_req.path, o->mass_req.body, NULL, &o->mass_resp);
    if (rv != MEZ_OK)
        return rv;
    o->mass_done = 1;
    if ((rv = answer_names_record(o)) != MEZ_OK)
        return rv;
    /* finish() may make follow-up Mass writes (a formation's approval). With the sovereign store o->tx is open
     * and they are part of it; with a remote primitive they are made before the completion's transaction begins,
     * which would otherwise hold the zone's write lock (SQLite's, for every other write) across the network. */
    if (o->op->finish && (rv = o->op->finish(o)) != MEZ_OK)
        return rv;
    if (!o->tx && (rv = mez_db_begin(o->p, o->db, &o->tx, o->pb)) != MEZ_OK)
        return rv;
    if (!o->resource_id)
        o->resource_id = "";
    if (!o->subject_id)
        o->subject_id = *o->resource_id ? o->resource_id : o->owner_entity;
    /* Defence in depth: every operation names what its credential is about; one that does not is a bug here,
     * answered as such, never a credential about nothing. */
    if (!o->subject_id || !*o->subject_id)
        return mez_problem(o->pb, o->p, MEZ_EINTERNAL, 500, "orchestrate.no_subject", NULL,
                           "%s has no subject to certify", o->op->name);
    /* The action's writes go to the server now, to run there while the two credentials are signed here. */
    mez_db_flush(o->db);
    /* The certificate names its attestation's digest, so the attestation is signed first; both are stored in
     * one statement. */
    if ((rv = sign(o, attestation(o), &att_vc, &att_canon, &att_digest)) != MEZ_OK
        || (rv = sign(o, certificate(o, att_digest), &vc, &vc_canon, &vc_digest)) != MEZ_OK
        || (rv = mez_store_credential_insert_pair(o->p, o->db, o->z->did, att_digest, att_canon, vc_digest, vc_canon,
                                                  o->pb)) != MEZ_OK
        || (rv = record_evaluation(o, att_digest)) != MEZ_OK)
        return rv;
    body = mez_json_pool_own(o->p, json_pack("{s:s,s:s,s:O,s:o,s:O,s:O}", "operation", o->op->name, "id",
                                             o->resource_id, "resource", o->mass_resp.body, "compliance",
                                             compliance_summary(o), "credential", vc, "attestation", att_vc));
    finish_answer(o, ans, o->status ? o->status : o->op->created ? 201 : 200, body);
    ans->credential_digest = vc_digest;
    ans->resource_id = o->resource_id;
    if ((rv = close_records(o, "committed", vc_digest, ans)) != MEZ_OK)
        return rv;
    return mez_db_commit(o->p, o->tx, o->pb);
}

/* ---------------------------------------------------------------- the entry point */

static mez_status_t read_envelope(orch_t *o)
{
    static const char *const allowed[] = { "evidence", "subject", "counterparty", "payment_type",
                                           "withholding_rule", "withholding_account_id", "date", NULL };
    mez_status_t rv;
    if (!json_is_object(o->req->body))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 400, "request.not_an_object", "", "the body must be a JSON object");
    o->body = mez_json_pool_own(o->p, json_deep_copy(o->req->body));
    o->compliance = json_object_get(o->req->body, "compliance");
    json_object_del(o->body, "compliance");
    if (!o->compliance)
        return MEZ_OK;
    if (!json_is_object(o->compliance))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_type", "/compliance",
                           "'compliance' must be an object");
    if ((rv = mez_json_only_members(o->p, o->compliance, "/compliance", allowed, "request.unknown_field", o->pb))
        != MEZ_OK)
        return rv;
    /* The action's date is today unless the caller records something that took effect earlier (a payment made
     * on its value date): then the law in force on that day applies. Never a future day: law not yet in force
     * cannot be applied to what is done now. Sanctions are screened, and evidence must be unexpired, as of today
     * all the same (evaluate()). */
    if (json_object_get(o->compliance, "date")) {
        const char *d = mez_orch_str(o->compliance, "date");
        int32_t day;
        if (!d || mez_tensor_date_parse(d, &day) != 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_date", "/compliance/date",
                               "compliance.date must be a date YYYY-MM-DD");
        if (strcmp(d, o->date) > 0)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.future_date", "/compliance/date",
                               "compliance.date %s is after today (%s)", d, o->date);
        o->date = d;
    }
    return MEZ_OK;
}

/* A replay's answer as a first answer's is read: its document, decision, credential digest and resource id,
 * recovered from the stored bytes (a caller that builds on the answer, such as a corridor transfer resuming after a
 * crash, needs them as much as the first time). Nothing here can fail the replay: what cannot be read stays NULL. */
static void replayed_facts(orch_t *o, mez_orch_answer_t *ans)
{
    mez_problem_t pb = { 0 };
    const json_t *vc;
    const char *canon;
    json_t *doc;
    if (mez_json_parse(o->p, ans->body_text, strlen(ans->body_text), &doc, &pb) != MEZ_OK || !json_is_object(doc))
        return;
    ans->body = doc;
    ans->decision = json_string_value(json_object_get(json_object_get(doc, "compliance"), "decision"));
    ans->resource_id = json_string_value(json_object_get(doc, "id"));
    if ((vc = json_object_get(doc, "credential")) && mez_json_canonicalize(o->p, vc, &canon, NULL, &pb) == MEZ_OK) {
        mez_digest_t d;
        mez_digest_sha256(canon, strlen(canon), &d);
        ans->credential_digest = mez_digest_format(o->p, &d);
    }
}

/* The Idempotency-Key, first thing: a replay is answered before anything is evaluated or written again.
 * Sovereign: the intent lives in the request's one transaction (lease 0: uncommitted, nobody else sees it).
 * Remote: the intent is committed on its own first (lease: an intent older than that is presumed abandoned). */
#define REMOTE_INTENT_LEASE apr_time_from_sec(120)

/* Whose key it is: the zone, the caller, and the route it came by (or the operation, for a call of the library). */
static void idem_scope_of(apr_pool_t *p, const mez_orch_zone_t *z, const mez_orch_request_t *req,
                          mez_idem_scope_t *scope)
{
    scope->zone_id = z->zone_id;
    scope->principal = req->actor ? req->actor : "anonymous";
    scope->route = apr_pstrcat(p, "POST ", req->path ? req->path : req->op, NULL);
}

mez_status_t mez_orch_answered(apr_pool_t *p, mez_db_t *db, const mez_orch_zone_t *z, const mez_orch_request_t *req,
                               int *begun, int *status, const char **body, mez_problem_t *pb)
{
    mez_idem_scope_t scope;
    *begun = *status = 0;
    *body = NULL;
    if (!req->idempotency_key)
        return MEZ_OK;
    idem_scope_of(p, z, req, &scope);
    return mez_idem_begun(p, db, &scope, req->idempotency_key, begun, status, body, pb);
}

static mez_status_t claim_key(orch_t *o, int remote, mez_orch_answer_t *ans, int *answered)
{
    mez_idem_result_t res = { 0 };
    const char *key = o->req->idempotency_key, *path, *digest;
    mez_status_t rv;

    *answered = 0;
    idem_scope_of(o->p, o->z, o->req, &o->idem_scope);
    path = o->idem_scope.route + 5;
    if (remote)
        rv = mez_idem_open(o->p, o->db, &o->idem_scope, key, "POST", path, o->req->body, o->req->now,
                           REMOTE_INTENT_LEASE, MASS_KEY_NOTE, &res, o->pb);
    else if ((rv = mez_idem_key_check(o->p, key, o->pb)) == MEZ_OK
             && (rv = mez_idem_request_digest(o->p, "POST", path, o->req->body, &digest, o->pb)) == MEZ_OK
             && (rv = mez_idem_begin(o->p, o->db, &o->idem_scope, key, digest, o->req->now, 0, &res, o->pb))
                    == MEZ_OK
             && (res.outcome == MEZ_IDEM_CONFLICT || res.outcome == MEZ_IDEM_IN_PROGRESS))
        rv = mez_idem_refusal(o->p, &res, key, o->pb);
    if (rv != MEZ_OK)
        return rv;
    /* A resumed intent keeps the Mass keys its first attempt sent (mass_key, "Upgrade"). */
    if (res.outcome == MEZ_IDEM_RESUME) {
        o->intent_resumed = 1;
        o->mass_key_scheme = res.note && !strcmp(res.note, MASS_KEY_NOTE) ? 2 : 1;
    }
    if (res.outcome == MEZ_IDEM_REPLAY) {
        ans->status = res.status;
        ans->body_text = apr_pstrmemdup(o->p, res.body, res.body_len);
        ans->replayed = 1;
        *answered = 1;
        replayed_facts(o, ans);
    }
    else if (remote)
        o->intent_committed = 1;
    return MEZ_OK;
}

/* After a failure with a remote primitive. An intent whose Mass write certainly did not happen is forgotten, so
 * the key can be used again (for a corrected request too). Any other stays: its write happened or may have
 * (mez_orch_mass, certainly_not_written), and only a retry with the same key can find out and complete it; nor is
 * a resumed intent ever forgotten, whatever this attempt saw, since an earlier attempt may have made the write.
 * An intent that stays is handed over: this attempt has given up on it, so the next retry takes it over at once
 * rather than after the lease (the lease is for a process that died without saying so). */
static void release_intent(orch_t *o)
{
    mez_problem_t pbx = { 0 };
    int keep = o->mass_done || o->intent_resumed;
    if (!o->intent_committed)
        return;
    if (keep)
        o->pb->detail = apr_pstrcat(o->p, o->pb->detail ? o->pb->detail : "", o->pb->detail ? "; " : "",
                                    "the write may have been made at Mass: a retry with the same Idempotency-Key "
                                    "completes it, once", NULL);
    mez_idem_close(o->p, o->db, &o->idem_scope, o->req->idempotency_key, keep ? MEZ_IDEM_HAND_OVER : MEZ_IDEM_FORGET,
                   NULL, o->req->now, &pbx);
}

mez_status_t mez_orch_run(apr_pool_t *p, mez_db_t *db, const mez_orch_zone_t *z, const mez_orch_request_t *req,
                          mez_orch_answer_t *ans, mez_problem_t *pb)
{
    orch_t o = { 0 };
    int remote, answered = 0;
    mez_status_t rv;

    memset(ans, 0, sizeof(*ans));
    o.p = p;
    o.db = db;
    o.z = z;
    o.req = req;
    o.pb = pb;
    if (!(o.op = mez_orch_op_find(req->op)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "orchestrate.unknown_operation", NULL,
                           "no operation '%s'", req->op);
    if (!z->tensor_index || !z->key)
        return mez_problem(pb, p, MEZ_EINVAL, 503, "zone.no_packs", NULL,
                           "this zone has no packs loaded (MezZoneFile) or no key: it cannot decide writes");
    /* The day the law applies on is the zone's: at 02:00 in Karachi on 1 July it is still 30 June in UTC, and a
     * payment judged on the UTC date would fall under the previous tax year's rows. */
    o.date = o.today = mez_tz_date(p, z->tz, req->now);
    o.store_ctx.zone_id = z->zone_id;
    o.store_ctx.jurisdiction_id = z->zone_id;
    o.store_ctx.now = req->now;
    o.store_ctx.tz = z->tz;
    o.mass_key_scheme = 2;
    o.screens = apr_array_make(p, 4, sizeof(orch_screen_t));
    remote = !o.op->write && is_remote(&o);
    if (remote && !req->idempotency_key && !req->preview)
        return mez_problem(pb, p, MEZ_EINVAL, 428, "request.idempotency_key_required", NULL,
                           "this zone's %s primitive is a remote Mass: a write to it needs an Idempotency-Key "
                           "header, so that a retry cannot apply it twice", mez_mass_primitive_name(o.op->prim));
    if (!remote && (rv = mez_db_begin(p, db, &o.tx, pb)) != MEZ_OK)
        return rv;
    if (req->idempotency_key && ((rv = claim_key(&o, remote, ans, &answered)) != MEZ_OK || answered))
        goto done;
    if ((rv = read_envelope(&o)) != MEZ_OK || (rv = o.op->prepare(&o)) != MEZ_OK)
        goto done;
    /* An entity token acts for its entity only (Require mez-entity-owner checks ids in the path; this checks
     * the entity the body's operation reaches, e.g. the owner of a payment's source account). */
    if (req->actor_entity && (!o.owner_entity || strcmp(req->actor_entity, o.owner_entity))) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                         "this caller (its token or certificate) acts for entity %s only; %s reaches %s",
                         req->actor_entity, o.op->name,
                         o.owner_entity ? o.owner_entity : "no existing entity");
        goto done;
    }
    if ((rv = evaluate(&o)) != MEZ_OK)
        goto done;
    if (o.decision == MEZ_STATE_NON_COMPLIANT) {
        if (!o.tx && (rv = mez_db_begin(p, db, &o.tx, pb)) != MEZ_OK)
            goto done;
        rv = deny(&o, ans);
        o.tx = rv == MEZ_OK ? NULL : o.tx;
        goto done;
    }
    if (req->preview) {         /* o.tx stays open: rolled back below, so nothing of the preview is kept */
        finish_answer(&o, ans, 200, mez_json_pool_own(p, json_pack("{s:s, s:s, s:o}", "operation", o.op->name,
                                                                   "decision", mez_state_name(o.decision),
                                                                   "compliance", compliance_summary(&o))));
        goto done;
    }
    if (o.require_passing && !mez_state_is_passing(o.decision)) {
        rv = mez_problem(pb, p, MEZ_EINVAL, 409, "compliance.incomplete", "/compliance/evidence",
                         "%s needs every domain to pass; pending: %s", o.op->name,
                         mez_json_dump(p, mez_json_pool_own(p, failing_domains(&o, MEZ_STATE_PENDING)), 0));
        goto done;
    }
    if (o.op->amend && (rv = o.op->amend(&o)) != MEZ_OK)
        goto done;
    rv = act(&o, ans);
    if (rv == MEZ_OK)
        o.tx = NULL;
done:
    if (o.tx)                   /* not committed: nothing of this request is kept */
        mez_db_rollback(p, o.tx);
    if (rv != MEZ_OK && remote)
        release_intent(&o);
    return rv;
}
