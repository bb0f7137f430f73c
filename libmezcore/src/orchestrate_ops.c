/* orchestrate_ops.c: the orchestrated operations: for each, what it validates, what the tensor evaluates, whom
 * it screens, which Mass write it makes and what its credential says. The pipeline (orchestrate.c) does the rest.
 *
 * Parties are never taken from the caller's word: a payer's or an entity's name comes from the Mass registry
 * (the entity the request names), so a caller cannot dodge screening by spelling a name differently. The
 * "compliance" envelope may add attributes the tensor reads (filer status, stated capital, the entity class of a
 * party the registry does not hold) and evidence, never a party's id, name or registered class. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/bank_ids.h"
#include "mez/corridor.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/tax.h"
#include "corridor_int.h"
#include "orch_int.h"

/* ---------------------------------------------------------------- helpers */

static mez_status_t need_string(orch_t *o, const json_t *obj, const char *base, const char *name, const char **out)
{
    const json_t *v = json_object_get(obj, name);
    const char *at = mez_pointer_join(o->p, base, name);
    if (!v)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.missing_field", at, "'%s' is required", name);
    if (!json_is_string(v) || !json_string_length(v))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_type", at, "'%s' must be a non-empty string",
                           name);
    *out = json_string_value(v);
    return MEZ_OK;
}

/* An id that goes into a Mass path (mez_orch_id_check). */
static mez_status_t path_safe(orch_t *o, const char *id, const char *pointer)
{
    return mez_orch_id_check(o->p, id, pointer, o->pb);
}

mez_status_t mez_orch_entity(orch_t *o, const char *id, const char *pointer, json_t **doc)
{
    mez_status_t rv;
    if ((rv = path_safe(o, id, pointer)) != MEZ_OK)
        return rv;
    rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/entities/", id, NULL), "entity", pointer ? pointer : "", doc);
    if (rv == MEZ_EINVAL && !pointer && o->pb->status == 422) {
        o->pb->status = 404;
        o->pb->code = "mass.not_found";
        o->pb->pointer = NULL;
        o->pb->detail = apr_psprintf(o->p, "there is no entity '%s' in this zone", id);
    }
    return rv;
}

static const char *entity_class_of(const char *entity_type)
{
    /* The tensor's classes are the tax law's (Income Tax Ordinance, 2001, s. 80): a company, an individual, an
     * association of persons. A partnership is a firm, an AOP under s. 80(2)(a). A trust is a company under
     * s. 80(2)(b)(vb) ("a trust, an entity or a body of persons established or constituted by or under any law"),
     * as a trust registered in the zone is; it was taken for an AOP, which the law excludes from companies. */
    if (!entity_type)
        return NULL;
    if (!strcmp(entity_type, "partnership"))
        return "aop";
    return "company";
}

/* The classes of person a threshold binds (a dealer's cash report, a bank's CDD limit: the evaluator applies a
 * class-bound threshold to the classes declared) are the zone's word about a party, which the registry does not
 * hold: an operator states them; an entity's own token would choose which of its obligations open, and a peer zone
 * sending a transfer would choose the payee's here. Undeclared, every threshold met binds (pending until
 * evidenced). */
mez_status_t mez_orch_refuse_stated_classes(apr_pool_t *p, const char *actor, const char *actor_entity,
                                            const json_t *party, const char *pointer, mez_problem_t *pb)
{
    if (!json_object_get(party, "taxpayer_classes") || !(actor_entity || (actor && !strncmp(actor, "peer:", 5))))
        return MEZ_OK;
    return mez_problem(pb, p, MEZ_EINVAL, 403, "auth.forbidden_role", pointer,
                       "a party's classes of person are stated by the zone's operators, not by an entity for itself "
                       "or by another zone");
}

/* A party for the tensor: id and name from the registry, other attributes from the envelope member. The class the
 * registry gives (entity_class, NULL for a party it does not hold, such as a beneficiary outside the zone) is not
 * the caller's to change: a payer restating its payee as an individual or an AOP would choose the withholding row
 * (and rate) it pays under. Restated the same it is harmless; where the registry has none the caller says it. */
static mez_status_t party(orch_t *o, const char *member, const char *id, const char *name, const char *entity_class,
                          json_t **out)
{
    const json_t *extra = o->compliance ? json_object_get(o->compliance, member) : NULL;
    const char *at = apr_pstrcat(o->p, "/compliance/", member, NULL);
    json_t *p = json_pack("{s:s,s:s}", "id", id, "name", name);
    if (entity_class)
        json_object_set_new(p, "entity_class", json_string(entity_class));
    if (extra) {
        const char *key;
        json_t *v;
        if (!json_is_object(extra)) {
            json_decref(p);
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.invalid_type", at, "%s must be an object", at);
        }
        json_object_foreach((json_t *)extra, key, v) {
            if (!strcmp(key, "id") || !strcmp(key, "name")) {
                json_decref(p);
                return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.not_allowed",
                                   mez_pointer_join(o->p, at, key),
                                   "a party's %s comes from the zone's registry, not from the request", key);
            }
            if (!strcmp(key, "taxpayer_classes")
                && mez_orch_refuse_stated_classes(o->p, o->req->actor, o->req->actor_entity, extra,
                                                  mez_pointer_join(o->p, at, key), o->pb) != MEZ_OK) {
                json_decref(p);
                return MEZ_EINVAL;
            }
            if (entity_class && !strcmp(key, "entity_class")
                && (!json_is_string(v) || strcmp(json_string_value(v), entity_class))) {
                json_decref(p);
                return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.entity_class_conflict",
                                   mez_pointer_join(o->p, at, key),
                                   "the zone's registry makes %s a %s for tax purposes (its entity_type); the "
                                   "request may not make it another class", id, entity_class);
            }
            json_object_set(p, key, v);
        }
    }
    *out = mez_json_pool_own(o->p, p);
    return MEZ_OK;
}

static json_t *action(orch_t *o, const char *type)
{
    json_t *doc = json_pack("{s:{s:s,s:s,s:s}}", "action", "type", type, "date", o->date, "jurisdiction",
                            o->z->zone_id);
    if (o->compliance && json_object_get(o->compliance, "evidence"))
        json_object_set(doc, "evidence", json_object_get(o->compliance, "evidence"));
    return mez_json_pool_own(o->p, doc);
}

static void set_mass(orch_t *o, const char *method, const char *path)
{
    o->mass_req.method = method;
    o->mass_req.path = path;
    o->mass_req.body = o->body;
}

static void screen_array(orch_t *o, const char *member, const char *name_member)
{
    const json_t *arr = json_object_get(o->body, member), *item;
    size_t i;
    json_array_foreach(arr, i, item)
        mez_orch_screen(o, mez_orch_str(item, name_member),
                        mez_pointer_join(o->p, mez_pointer_index(o->p, apr_pstrcat(o->p, "/", member, NULL), i),
                                         name_member));
}

/* Whether a member of bank details names a person or a bank: the contract leaves bank_details open
 * (fiscal.openapi.yaml: additionalProperties, "structure varies by jurisdiction and banking system"), so names
 * are recognised by how such members are called: "..._name" and "..._title" (account_title, bank_name,
 * intermediary_bank_name) and the parties a wire names. Identifiers (iban, swift_bic, raast_id, *_ntn) are not
 * names and are not screened. */
static int names_a_party(const char *key)
{
    static const char *const parties[] = { "account_holder", "beneficiary", "beneficiary_bank", "bank",
                                           "correspondent_bank", "intermediary", "intermediary_bank",
                                           "ultimate_beneficiary", "payee", "name", NULL };
    size_t n = strlen(key);
    if ((n > 5 && !strcmp(key + n - 5, "_name")) || (n > 6 && !strcmp(key + n - 6, "_title")))
        return 1;
    for (const char *const *k = parties; *k; k++)
        if (!strcmp(*k, key))
            return 1;
    return 0;
}

/* Screens every name in bank details besides the beneficiary (the action's counterparty): the account title, an
 * intermediary or correspondent bank, given as a string, as an object with such members, or as an array of them
 * (a chain of intermediaries). A payment through a proscribed bank or into an account titled for a proscribed
 * organisation is refused like one to it. depth bounds the nesting looked into. */
static void screen_bank_details(orch_t *o, const json_t *v, const char *at, int party, int depth)
{
    const char *key;
    const json_t *m;
    size_t i;
    if (json_is_string(v) && party) {
        mez_orch_screen(o, json_string_value(v), at);
    } else if (json_is_array(v) && party && depth < 3) {
        json_array_foreach(v, i, m)
            screen_bank_details(o, m, mez_pointer_index(o->p, at, i), 1, depth + 1);
    } else if (json_is_object(v) && depth < 3) {
        json_object_foreach((json_t *)v, key, m)
            if (!(depth == 0 && !strcmp(key, "beneficiary_name")))
                screen_bank_details(o, m, mez_pointer_join(o->p, at, key), names_a_party(key), depth + 1);
    }
}

/* The bank identifiers bank details carry, checked before anything is evaluated or sent (mez_bank_details_check):
 * a central Mass may not check them, and a wrong IBAN found at settlement is a bounced payment. */
static mez_status_t bank_ids(orch_t *o, const json_t *bank, const char *at)
{
    return mez_bank_details_check(o->p, json_is_object(bank) ? bank : NULL, at, o->pb);
}

static void claims_from(orch_t *o, const json_t *doc, const char *const *members)
{
    if (!o->claims)
        o->claims = mez_json_pool_own(o->p, json_object());
    for (; *members; members++)
        if (json_object_get(doc, *members))
            json_object_set(o->claims, *members, json_object_get(doc, *members));
}

/* ---------------------------------------------------------------- entities */

static mez_status_t formation_prepare(orch_t *o)
{
    const char *name, *type = mez_orch_str(o->body, "entity_type");
    json_t *subject;
    mez_status_t rv;
    mez_digest_t d;

    const char *jid = mez_orch_str(o->body, "jurisdiction_id");
    if ((rv = need_string(o, o->body, "", "legal_name", &name)) != MEZ_OK
        || (rv = mez_orch_screenable(o, name, "/legal_name")) != MEZ_OK)
        return rv;
    /* A zone registers entities in its own jurisdiction, whichever Mass holds the register: the record says so
     * explicitly, so a remote store does not put its own default there. */
    if (jid && strcmp(jid, o->z->zone_id))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "entity.foreign_jurisdiction", "/jurisdiction_id",
                           "this zone forms entities in %s only, not %s", o->z->zone_id, jid);
    json_object_set_new(o->body, "jurisdiction_id", json_string(o->z->zone_id));
    o->action_doc = action(o, "entity_formation");
    /* The entity has no id until Mass creates it: the application is evaluated under an id derived from the
     * name applied for, and the attestation names the new entity. */
    mez_digest_sha256(name, strlen(name), &d);
    if ((rv = party(o, "subject", apr_pstrcat(o->p, "urn:mez:application:", mez_digest_hex(o->p, &d), NULL), name,
                    entity_class_of(type), &subject)) != MEZ_OK)
        return rv;
    json_object_set(o->action_doc, "subject", subject);
    mez_orch_screen(o, mez_orch_str(o->body, "trading_name"), "/trading_name");
    screen_array(o, "directors", "name");
    screen_array(o, "beneficial_owners", "name");
    set_mass(o, "POST", "/v1/entities");
    return MEZ_OK;
}

static mez_status_t formation_finish(orch_t *o)
{
    static const char *const members[] = { "entity_id", "legal_name", "entity_type", "jurisdiction_id", "status",
                                           NULL };
    const char *id = mez_orch_str(o->mass_resp.body, "entity_id");
    mez_status_t rv;
    o->resource_id = o->subject_id = id;
    /* Every domain passing: the registrar's approval is the evaluation itself. Otherwise the entity waits in
     * PENDING_APPROVAL for the evidence (POST /v1/entities/{id}/status with target ACTIVE re-evaluates). */
    if (mez_state_is_passing(o->decision)) {
        mez_mass_response_t r = { 0 };
        json_t *b = mez_json_pool_own(o->p, json_pack("{s:s,s:s}", "target_status", "ACTIVE", "reason",
                                                      apr_pstrcat(o->p, "compliance evaluation ",
                                                                  o->evaluation_digest, " passed", NULL)));
        if ((rv = mez_orch_mass(o, "PUT", apr_pstrcat(o->p, "/v1/entities/", id, "/status", NULL), b, "approve", &r))
            != MEZ_OK)
            return rv;
        o->mass_resp = r;
    }
    claims_from(o, o->mass_resp.body, members);
    return MEZ_OK;
}

static mez_status_t officer_prepare(orch_t *o)
{
    json_t *ent;
    const char *name;
    mez_status_t rv;
    if ((rv = mez_orch_entity(o, o->req->path_id, NULL, &ent)) != MEZ_OK || (rv = need_string(o, o->body, "", "name", &name))
        != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = o->req->path_id;
    mez_orch_screen(o, name, "/name");
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/entities/", o->req->path_id, "/officers", NULL));
    return MEZ_OK;
}

static mez_status_t officer_finish(orch_t *o)
{
    o->resource_id = mez_orch_str(o->mass_resp.body, "officer_id");
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->req->path_id, "officer",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

/* A status change re-screens the entity; making it ACTIVE (approval, reinstatement) re-evaluates its formation
 * with the evidence now given, and needs every domain to pass. */
static mez_status_t status_prepare(orch_t *o)
{
    json_t *ent, *subject;
    const char *target;
    mez_status_t rv;
    if ((rv = mez_orch_entity(o, o->req->path_id, NULL, &ent)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "target_status", &target)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = o->req->path_id;
    if (!strcmp(target, "ACTIVE")) {
        o->require_passing = 1;
        o->action_doc = action(o, "entity_formation");
        if ((rv = party(o, "subject", o->req->path_id, mez_orch_str(ent, "legal_name"),
                        entity_class_of(mez_orch_str(ent, "entity_type")), &subject)) != MEZ_OK)
            return rv;
        json_object_set(o->action_doc, "subject", subject);
    } else {
        mez_orch_screen(o, mez_orch_str(ent, "legal_name"), "/legal_name");
    }
    set_mass(o, "PUT", apr_pstrcat(o->p, "/v1/entities/", o->req->path_id, "/status", NULL));
    return MEZ_OK;
}

static mez_status_t status_finish(orch_t *o)
{
    static const char *const members[] = { "entity_id", "legal_name", "status", NULL };
    o->resource_id = o->req->path_id;
    claims_from(o, o->mass_resp.body, members);
    return MEZ_OK;
}

static mez_status_t dissolution_prepare(orch_t *o)
{
    json_t *ent;
    mez_status_t rv;
    if ((rv = mez_orch_entity(o, o->req->path_id, NULL, &ent)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = o->req->path_id;
    mez_orch_screen(o, mez_orch_str(ent, "legal_name"), "/legal_name");
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/entities/", o->req->path_id, "/dissolution/initiate", NULL));
    return MEZ_OK;
}

static mez_status_t dissolution_finish(orch_t *o)
{
    o->resource_id = o->req->path_id;
    o->status = 202;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->req->path_id, "dissolution",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

static mez_status_t resign_prepare(orch_t *o)
{
    json_t *ent;
    mez_status_t rv;
    if ((rv = mez_orch_entity(o, o->req->path_id, NULL, &ent)) != MEZ_OK || (rv = path_safe(o, o->req->path_verb, NULL)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = o->req->path_id;
    mez_orch_screen(o, mez_orch_str(ent, "legal_name"), "");
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/entities/", o->req->path_id, "/officers/", o->req->path_verb,
                                    "/resign", NULL));
    return MEZ_OK;
}

static mez_status_t resign_finish(orch_t *o)
{
    o->resource_id = o->req->path_verb;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->req->path_id, "officer",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

/* Each stage of a dissolution the register advances is a step the zone certifies (the last one, DISSOLVED, ends
 * the entity). */
static mez_status_t advance_prepare(orch_t *o)
{
    mez_status_t rv = dissolution_prepare(o);
    if (rv == MEZ_OK)
        set_mass(o, "POST", apr_pstrcat(o->p, "/v1/entities/", o->req->path_id, "/dissolution/advance", NULL));
    return rv;
}

static mez_status_t advance_finish(orch_t *o)
{
    mez_status_t rv = dissolution_finish(o);
    o->status = 200;
    return rv;
}

/* ---------------------------------------------------------------- ownership */

static mez_status_t body_entity(orch_t *o, json_t **ent)
{
    const char *id;
    mez_status_t rv;
    if ((rv = need_string(o, o->body, "", "entity_id", &id)) != MEZ_OK || (rv = mez_orch_entity(o, id, "/entity_id", ent))
        != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = id;
    return MEZ_OK;
}

static mez_status_t cap_table_prepare(orch_t *o)
{
    json_t *ent;
    mez_status_t rv;
    if ((rv = body_entity(o, &ent)) != MEZ_OK)
        return rv;
    screen_array(o, "initial_holders", "name");
    set_mass(o, "POST", "/v1/ownership/cap-table");
    return MEZ_OK;
}

static mez_status_t issuance_prepare(orch_t *o)
{
    json_t *ent;
    mez_status_t rv;
    if ((rv = mez_orch_entity(o, o->req->path_id, NULL, &ent)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = o->req->path_id;
    mez_orch_screen(o, mez_orch_str(o->body, "name"), "/name");
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/ownership/", o->req->path_id, "/issuances", NULL));
    return MEZ_OK;
}

/* A board resolution a transfer cites must be a consent of this zone, to a share transfer, about this entity, and
 * approved: the treasury of shares only checks that one is named, the zone checks that it holds. Another action's
 * consent (a dividend, an amendment) approved nothing about shares changing hands, and another zone's (a store may
 * keep several zones' consents) was decided under another zone's rules. That one resolution resolves one transfer
 * is the share register's to decide (409 ownership.resolution_used, mass_ownership.c): it sees every transfer,
 * including the one an idempotent retry repeats, which must get its first answer again.
 *
 * Not checked: that the signatories are this entity's directors. Signatories are did:key DIDs whose keys signed;
 * officers name persons of the identity registry (identity_ref), and the registry holds no key for a person, so
 * nothing here ties a signing key to a director. Until persons have keys, who may sign a board resolution is
 * the requester's choice of signatories, which the consent's record shows. */
static mez_status_t approved_resolution(orch_t *o, const char *ref)
{
    json_t *consent;
    const char *status, *eid, *action, *zone;
    mez_status_t rv;
    if ((rv = path_safe(o, ref, "/board_resolution_ref")) != MEZ_OK)
        return rv;
    rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/consent/", ref, NULL), "consent", "/board_resolution_ref",
                           &consent);
    if (rv != MEZ_OK)
        return rv;
    action = mez_orch_str(consent, "action_type");
    if (!action || strcmp(action, "share_transfer"))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "consent.other_action", "/board_resolution_ref",
                           "the board resolution %s is a consent to %s%s%s, not to a share_transfer", ref,
                           action ? "'" : "no action", action ? action : "", action ? "'" : "");
    zone = mez_orch_str(consent, "zone_id");
    if (!zone || strcmp(zone, o->z->zone_id))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "consent.other_zone", "/board_resolution_ref",
                           "the board resolution %s belongs to %s%s, not to this zone (%s)", ref,
                           zone ? "zone " : "no zone", zone ? zone : "", o->z->zone_id);
    /* A consent that names no entity (metadata.entity_id) resolves nothing about this one: accepting it would
     * let one approval stand for every entity's transfers. */
    eid = mez_orch_str(json_object_get(consent, "metadata"), "entity_id");
    if (!eid || strcmp(eid, o->owner_entity))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "consent.other_entity", "/board_resolution_ref",
                           "the board resolution %s is about %s%s, not %s", ref, eid ? "entity " : "no entity",
                           eid ? eid : " (its metadata.entity_id)", o->owner_entity);
    status = mez_orch_str(consent, "status");
    if (!status || strcmp(status, "approved"))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "consent.not_approved", "/board_resolution_ref",
                           "the board resolution %s is %s, not approved", ref, status ? status : "of no status");
    return MEZ_OK;
}

static mez_status_t transfer_prepare(orch_t *o)
{
    json_t *ent;
    const char *ref;
    mez_status_t rv;
    if ((rv = body_entity(o, &ent)) != MEZ_OK)
        return rv;
    if ((ref = mez_orch_str(o->body, "board_resolution_ref")) && (rv = approved_resolution(o, ref)) != MEZ_OK)
        return rv;
    mez_orch_screen(o, mez_orch_str(o->body, "to_holder_name"), "/to_holder_name");
    set_mass(o, "POST", "/v1/ownership/transfers");
    return MEZ_OK;
}

static mez_status_t ownership_finish(orch_t *o)
{
    const char *id = mez_orch_str(o->mass_resp.body, "transfer_id");
    if (id)
        o->subject_id = id;     /* a transfer is a fact of its own; the entity is in the claims */
    if (!id)
        id = mez_orch_str(o->mass_resp.body, "cap_table_id");
    o->resource_id = id ? id : o->owner_entity;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->owner_entity, "record",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

/* ---------------------------------------------------------------- fiscal */

static mez_status_t account_prepare(orch_t *o)
{
    json_t *ent;
    mez_status_t rv;
    if ((rv = body_entity(o, &ent)) != MEZ_OK || (rv = bank_ids(o, json_object_get(o->body, "bank_details"),
                                                                 "/bank_details")) != MEZ_OK)
        return rv;
    mez_orch_screen(o, mez_orch_str(ent, "legal_name"), "/entity_id");
    screen_bank_details(o, json_object_get(o->body, "bank_details"), "/bank_details", 0, 0);
    set_mass(o, "POST", "/v1/fiscal/accounts");
    return MEZ_OK;
}

/* The account id names, and the entity holding it. */
static mez_status_t account_owner(orch_t *o, const char *account_id, const char *pointer, json_t **acc, json_t **ent)
{
    mez_status_t rv;
    if ((rv = path_safe(o, account_id, pointer)) != MEZ_OK
        || (rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/fiscal/accounts/", account_id, NULL), "account", pointer,
                                   acc)) != MEZ_OK)
        return rv;
    return mez_orch_entity(o, mez_orch_str(*acc, "entity_id") ? mez_orch_str(*acc, "entity_id") : "", pointer, ent);
}

/* What a payment adds to, when a withholding row of its type is judged on the aggregate paid to the payee in the tax
 * year (a pack's threshold.aggregate: s. 153(1)(a), (b)): payment_prepare reads what was paid before, the
 * evaluation is given it, and payment_amend tells the treasury what the payment was judged on. */
typedef struct {
    const char *aggregate, *tax_year, *paid_before;
} payment_aggregate_t;

/* The payer's earlier payments to this payee in the tax year under the aggregate the payment's withholding rows
 * are judged on, read from the treasury (GET /v1/fiscal/{entity_id}/payment-aggregate: its gross, payments that did
 * not fail) and given to the evaluation as action.figures.<aggregate>. A write is never judged without it: the
 * caller cannot state it (the compliance envelope has no figures), and a payee the treasury could not recognise
 * when paid again is refused, since its aggregate could never be known. The tax year is the zone's (zone.yaml
 * tax_year_start, on its calendar), as for the withholding's tax event. With the zone's own store the read locks
 * the payer's entity row until the payment commits, so a concurrent payment of the payer waits and is judged with
 * this one; with a remote one the treasury refuses a payment whose figure changed meanwhile (409
 * fiscal.aggregate_changed, mass_payment_aggregate.c). */
static mez_status_t payment_aggregate(orch_t *o, json_t *act, const json_t *dest, const char *payee_entity,
                                      const char *currency)
{
    const char *ptype = mez_orch_str(act, "payment_type"), *payee, *path, *gross, *key;
    const mez_tensor_aggregate_t *ag = NULL;
    apr_array_header_t *ags;
    mez_mass_response_t resp = { 0 };
    payment_aggregate_t *st;
    mez_status_t rv;

    if (!ptype)
        return MEZ_OK;
    ags = mez_tensor_withholding_aggregates(o->p, o->z->tensor_index, o->z->zone_id, ptype, o->date);
    for (int i = 0; i < ags->nelts; i++) {
        const mez_tensor_aggregate_t *a = &APR_ARRAY_IDX(ags, i, mez_tensor_aggregate_t);
        if (strcmp(a->currency, currency))
            continue;   /* a limit in another currency is not judged at all (the tensor says so) */
        if (ag && strcmp(ag->name, a->name))
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.withholding_unsupported",
                               "/compliance/payment_type", "the withholding rows of payment type %s in force judge it "
                               "on two aggregates of earlier payments (%s, %s): the zone cannot tell which one this "
                               "payment adds to", ptype, ag->name, a->name);
        ag = a;
    }
    if (!ag)
        return MEZ_OK;
    if (!(payee = mez_mass_payee_ref(o->p, dest, payee_entity)))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.payee_unidentified", "/destination/bank_details",
                           "s. %s withholds once the payments to a payee reach a limit in aggregate during the tax "
                           "year, so the payee must be one the treasury recognises when it is paid again: give "
                           "bank_details.iban, or account_number with swift_bic", ag->section);
    st = apr_pcalloc(o->p, sizeof(*st));
    st->aggregate = ag->name;
    st->tax_year = mez_tax_year_of(o->p, o->z->tax_year_start, ag->valid_to, o->date);
    /* A remote treasury leaves out the payment this request's own key made there, if an earlier attempt made it:
     * resumed, the payment is judged on what it was judged on then, and so is the same request again, which Mass
     * answers with its first answer (a request judged on a figure that includes itself would be another request,
     * refused as a reused key, and never completed). */
    key = mez_orch_remote_mass_key(o);
    path = apr_pstrcat(o->p, "/v1/fiscal/", o->owner_entity, "/payment-aggregate?payee=",
                       mez_orch_query_escape(o->p, payee), "&aggregate=", mez_orch_query_escape(o->p, ag->name),
                       "&tax_year=", st->tax_year, "&currency=", mez_orch_query_escape(o->p, currency),
                       key ? "&except_key=" : "", key ? mez_orch_query_escape(o->p, key) : "", NULL);
    if ((rv = mez_orch_mass(o, "GET", path, NULL, NULL, &resp)) != MEZ_OK) {
        if (rv == MEZ_EINVAL && resp.status == 404)
            mez_problem(o->pb, o->p, MEZ_EIO, 502, "mass.unexpected_answer", NULL,
                        "the fiscal primitive does not answer GET /v1/fiscal/{entity_id}/payment-aggregate, which s. %s "
                        "needs to judge this payment: a remote treasury must be a mez store", ag->section);
        return rv == MEZ_EINVAL && resp.status == 404 ? MEZ_EIO : rv;
    }
    gross = mez_orch_str(resp.body, "gross_amount");
    /* An amount as the treasury writes one (a decimal string, read as a tax's minor units are): anything else
     * would reach the tensor as a figure the caller never sent. */
    if (!gross || !mez_tax_minor_units(o->p, gross, mez_tax_currency_exponent(currency)))
        return mez_problem(o->pb, o->p, MEZ_EIO, 502, "mass.unexpected_answer", NULL,
                           "the fiscal primitive's payment aggregate has no gross_amount in %s", currency);
    st->paid_before = gross;
    json_object_set_new(act, "figures", json_pack("{s:{s:s,s:s}}", ag->name, "amount", gross, "currency", currency));
    o->op_state = st;
    return MEZ_OK;
}

static mez_status_t payment_prepare(orch_t *o)
{
    const char *source, *amount, *currency, *ptype, *dtype, *dzone, *payee_entity = NULL;
    int cross;
    const json_t *dest = json_object_get(o->body, "destination");
    json_t *acc, *payer, *subject, *counterparty = NULL, *act;
    mez_status_t rv;

    if ((rv = need_string(o, o->body, "", "source_account_id", &source)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "amount", &amount)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "currency", &currency)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "payment_type", &ptype)) != MEZ_OK)
        return rv;
    if (!json_is_object(dest))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, dest ? "request.invalid_type" : "request.missing_field",
                           "/destination", "'destination' is required, an object");
    /* What is withheld is the zone's decision (payment_amend writes it from the tensor's result), never the
     * caller's: the treasury takes metadata.withholding as what the zone decided (mass_payment.c), so one sent
     * here would move money to an account and record a tax event under a statute the zone's law never applied. */
    if (json_object_get(json_object_get(o->body, "metadata"), "withholding"))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.not_allowed", "/metadata/withholding",
                           "what a payment withholds is decided by the zone's law (the compliance evaluation), not "
                           "by the request: leave out metadata.withholding");
    /* Nor what it adds to for a threshold on the aggregate paid to the payee (payment_aggregate): the treasury would
     * count it towards a limit the zone never judged it under. */
    if (json_object_get(json_object_get(o->body, "metadata"), "tax_aggregate"))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.not_allowed", "/metadata/tax_aggregate",
                           "what a payment adds to for a withholding threshold on the aggregate paid to the payee is "
                           "the zone's to record (from its law and the treasury's records): leave out "
                           "metadata.tax_aggregate");
    if ((rv = need_string(o, dest, "/destination", "type", &dtype)) != MEZ_OK
        || (rv = bank_ids(o, json_object_get(dest, "bank_details"), "/destination/bank_details")) != MEZ_OK
        || (rv = account_owner(o, source, "/source_account_id", &acc, &payer)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = mez_orch_str(payer, "entity_id");
    if (!strcmp(dtype, "internal_account")) {
        const char *to;
        json_t *to_acc, *payee;
        if ((rv = need_string(o, dest, "/destination", "account_id", &to)) != MEZ_OK
            || (rv = account_owner(o, to, "/destination/account_id", &to_acc, &payee)) != MEZ_OK
            || (rv = party(o, "counterparty", mez_orch_str(payee, "entity_id"), mez_orch_str(payee, "legal_name"),
                           entity_class_of(mez_orch_str(payee, "entity_type")), &counterparty)) != MEZ_OK)
            return rv;
        payee_entity = mez_orch_str(payee, "entity_id");
    } else {
        const char *bn = mez_orch_str(json_object_get(dest, "bank_details"), "beneficiary_name");
        if (!bn)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.missing_field",
                               "/destination/bank_details/beneficiary_name",
                               "a payment leaving the zone names its beneficiary, who is screened");
        if ((rv = mez_orch_screenable(o, bn, "/destination/bank_details/beneficiary_name")) != MEZ_OK
            /* The beneficiary has no record here: it is this payer's beneficiary, and a clearance of a hit on its
             * name (mez/clearance.h) is for this payer's payments to it, never for every payee of the name. */
            || (rv = party(o, "counterparty", apr_pstrcat(o->p, "urn:mez:beneficiary:", o->owner_entity, NULL), bn,
                           NULL, &counterparty)) != MEZ_OK)
            return rv;
    }
    if ((rv = party(o, "subject", o->owner_entity, mez_orch_str(payer, "legal_name"),
                    entity_class_of(mez_orch_str(payer, "entity_type")), &subject)) != MEZ_OK)
        return rv;
    /* Money leaving for another zone is a cross-border transfer, whether a corridor or a bank settles it: that is
     * the action the tensor takes a destination for (a payment given one was refused as tensor.unknown_field). A
     * destination_zone_id naming this zone is a payment at home. The tax is the same either way (the zone's own
     * law; no treaty relief is computed), and so is the withholding calculation's for a payee abroad. */
    dzone = mez_orch_str(dest, "destination_zone_id");
    cross = !strcmp(dtype, "corridor_settlement") || (dzone && strcmp(dzone, o->z->zone_id));
    o->action_doc = action(o, cross ? "cross_border_transfer" : "payment");
    act = json_object_get(o->action_doc, "action");
    if (o->compliance && mez_orch_str(o->compliance, "payment_type"))
        json_object_set(act, "payment_type", json_object_get(o->compliance, "payment_type"));
    else if (mez_tax_payment_category(ptype))
        json_object_set_new(act, "payment_type", json_string(mez_tax_payment_category(ptype)));
    else if (!strcmp(dtype, "corridor_settlement"))
        ;
    else
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.payment_type_needed", "/compliance/payment_type",
                           "payment_type '%s' has no withholding category of its own: name the pack's payment "
                           "type in compliance.payment_type", ptype);
    if (o->compliance && mez_orch_str(o->compliance, "withholding_rule"))
        json_object_set(act, "withholding_rule", json_object_get(o->compliance, "withholding_rule"));
    json_object_set_new(act, "amount", json_pack("{s:s,s:s}", "amount", amount, "currency", currency));
    if (cross && dzone)
        json_object_set_new(act, "destination_jurisdiction", json_string(dzone));
    if ((rv = payment_aggregate(o, act, dest, payee_entity, currency)) != MEZ_OK)
        return rv;
    json_object_set(o->action_doc, "subject", subject);
    json_object_set(o->action_doc, "counterparty", counterparty);
    screen_bank_details(o, json_object_get(dest, "bank_details"), "/destination/bank_details", 0, 0);
    set_mass(o, "POST", "/v1/fiscal/payments");
    return MEZ_OK;
}

/* What the tensor decided to withhold goes to the treasury with the payment (metadata.withholding, the store's
 * documented way in: mass_payment.c), so the payee receives the net and the tax sits in the payer's withholding
 * account, in one ledger transaction. */
/* A tax reason saying that a withholding row governs the payment but the facts or the packs do not settle what
 * it withholds. Not "no row withholds from this payment" (no_withholding_rate without rows in force on other
 * dates: a payment the law takes nothing from, or a jurisdiction with no withholding at all), whose pending tax
 * is for the evidence to settle as in any other domain. */
static int withholding_undecided(const json_t *r)
{
    static const char *const codes[] = { "entity_class_unknown", "basis_not_supported", "amount_basis_required",
                                         "currency_mismatch", "ambiguous_rates", "conflicting_rates",
                                         "filer_status_unknown", "rate_missing", NULL };
    const char *code = mez_orch_str(r, "code");
    if (!code)
        return 0;
    if (!strcmp(code, "no_withholding_rate"))
        return json_is_true(json_object_get(r, "in_force_on_other_dates"));
    for (int i = 0; codes[i]; i++)
        if (!strcmp(code, codes[i]))
            return 1;
    return 0;
}

/* metadata, made when the request has none. */
static json_t *payment_metadata(orch_t *o)
{
    json_t *meta = json_object_get(o->body, "metadata");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(o->body, "metadata", meta);
    }
    return meta;
}

static mez_status_t payment_amend(orch_t *o)
{
    const json_t *lines = json_object_get(o->result, "withholding"), *w;
    const char *account = o->compliance ? mez_orch_str(o->compliance, "withholding_account_id") : NULL, *amount;
    const char *statute = NULL;
    const payment_aggregate_t *ag = o->op_state;
    const json_t *r;
    json_t *meta;
    int exponent;
    size_t i;
    /* The caller named the row that governs the payment and the law says it does not (not a row of this payment
     * type in force, or the amount outside its threshold while another row reaches it: a Rs 5 million sukuk
     * return under the "up to Rs 1 million" row). Paying it would withhold nothing, with the tax left pending; the
     * calculation refuses the same facts (withholding.rule_not_applicable), and so does the payment. */
    json_array_foreach(json_object_get(json_object_get(json_object_get(o->result, "domains"), "tax"), "reasons"), i, r) {
        if (!strcmp(mez_orch_str(r, "code") ? mez_orch_str(r, "code") : "", "selected_rule_not_applicable"))
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.withholding_rule_not_applicable",
                               "/compliance/withholding_rule", "withholding_rule '%s' does not govern this payment: %s",
                               mez_orch_str(r, "withholding_rule"), mez_orch_str(r, "detail"));
        /* payment_aggregate gives every aggregate the payment's rows are judged on; a row judged without it would
         * be the payment judged alone, the under-withholding the aggregate exists to stop. Never paid so. */
        if (!strcmp(mez_orch_str(r, "code") ? mez_orch_str(r, "code") : "", "aggregate_not_given"))
            return mez_problem(o->pb, o->p, MEZ_EINTERNAL, 500, "orchestrate.aggregate_missing", NULL,
                               "the payment was judged without what its payer already paid the payee under %s: "
                               "nothing was paid", mez_orch_str(r, "aggregate"));
    }
    /* Withholding is a duty of the payer the law imposes, not an option: where the zone cannot say what the law
     * withholds (the payee's filer status not given, rows that the facts do not choose between, or no rate card
     * in force on the payment's date), a production zone does not move the money with nothing withheld. */
    if (o->z->tax_decides_payments) {
        const json_t *tax = json_object_get(json_object_get(o->result, "domains"), "tax");
        const char *state = mez_orch_str(tax, "state"), *why = "";
        if (state && !strcmp(state, "pending"))
            json_array_foreach(json_object_get(tax, "reasons"), i, r)
                if (withholding_undecided(r))
                    why = apr_pstrcat(o->p, why, *why ? "; " : "", mez_orch_str(r, "code"),
                                      mez_orch_str(r, "detail") ? ": " : "",
                                      mez_orch_str(r, "detail") ? mez_orch_str(r, "detail") : "", NULL);
        if (*why)
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "compliance.tax_undecided", "/compliance",
                               "the zone's law withholds from this payment but does not settle what, and this zone "
                               "(MezMode production) moves no money until it does: %s", why);
    }
    /* Whatever it withholds, the payment adds to the aggregate it was judged on, with the figure it was judged on,
     * which the treasury checks is still what it holds (mass_payment_aggregate.c). */
    if (ag)
        json_object_set_new(payment_metadata(o), "tax_aggregate",
                            json_pack("{s:s,s:s,s:s}", "aggregate", ag->aggregate, "tax_year", ag->tax_year,
                                      "paid_before", ag->paid_before));
    if (!json_array_size(lines))
        return MEZ_OK;
    if (json_array_size(lines) > 1)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.withholding_unsupported", "/compliance",
                           "%" APR_SIZE_T_FMT " withholding rules apply to this payment; name the one that governs "
                           "it in compliance.withholding_rule", (apr_size_t)json_array_size(lines));
    w = json_array_get(lines, 0);
    /* The tensor's tax is exact; the treasury keeps minor units (mez_tax_minor_units: half up, which is the
     * truncated or the rounded-up figure the store accepts). A currency it does not keep is refused by the store. */
    exponent = mez_tax_currency_exponent(mez_orch_str(o->body, "currency"));
    if (!(amount = mez_tax_minor_units(o->p, mez_orch_str(w, "amount"), exponent)))
        amount = mez_orch_str(w, "amount");
    /* A rule whose rate is 0 % (a REIT's dividend from its SPV), or a tax under half a minor unit: nothing is
     * withheld, as the calculation says (tax_withholding.c); the rule still stands in the evaluation and in the
     * payment's credential, and no withholding account is needed to move nothing. */
    if (amount && amount[strspn(amount, "0.")] == '\0')
        return MEZ_OK;
    if (!account)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "compliance.withholding_account_required",
                           "/compliance/withholding_account_id",
                           "tax is withheld from this payment (s. %s, %s %%): name the payer's withholding account "
                           "it goes to", mez_orch_str(w, "section"), mez_orch_str(w, "rate"));
    meta = payment_metadata(o);
    /* The statute by name (the lawpack's title), so that the payer's TaxEvent carries its legal basis and a tax
     * report can break the year down by statute and section; only a row citing a lawpack names one (a source's
     * title is not a statute), and the treasury takes at most 256 characters. */
    if (mez_orch_str(json_object_get(w, "law"), "lawpack")
        && (statute = mez_tax_statute_of(o->p, o->z->zone, w)) && strlen(statute) > 256)
        statute = NULL;
    json_object_set_new(meta, "withholding",
                        json_pack("{s:s,s:s,s:O,s:s,s:s,s:O,s:s?}", "amount", amount, "rate",
                                  mez_tax_rate_fraction(o->p, mez_orch_str(w, "rate")), "section",
                                  json_object_get(w, "section"), "account_id", account, "tax_year",
                                  mez_tax_year_of(o->p, o->z->tax_year_start,
                                                  mez_orch_str(w, "valid_to"), o->date), "description",
                                  json_object_get(w, "rule"), "statute", statute));
    return MEZ_OK;
}

static mez_status_t fiscal_finish(orch_t *o)
{
    /* The credentials are about the payment (or account) itself, so that two identical payments in one second
     * are two attested facts, not one; the payer is in the claims. */
    o->resource_id = o->subject_id = mez_orch_str(o->mass_resp.body, o->op->id_member);
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->owner_entity, "record",
                                                  o->mass_resp.body));
    if (json_object_get(o->result, "withholding"))
        json_object_set(o->claims, "withholding", json_object_get(o->result, "withholding"));
    return MEZ_OK;
}

/* A payment that left the zone (to a bank, over a corridor) settled or returned: POST
 * /v1/fiscal/payments/{id}/settle and /return, the treasury's record of what the bank or the corridor said
 * (mass_payment_outcome.c). The payment's parties were screened and its withholding decided when it was made (its
 * PaymentCredential); nothing new is decided about them now, so the evaluation is a screening of nobody, and the
 * credential certifies the outcome, about the payment, with the payer in its claims. Only the zone's treasury
 * operators record it (conf/mez-policy.conf), and an entity token is refused here as well, so that a zone whose
 * policy forgot the route still does not let a payer confirm its own bank payment or take its money back. The body
 * is the treasury's; a compliance envelope has nothing to say about it and is refused. */
/* A corridor transfer's payment whose transfer the corridor recorded (a cross_border_transfer receipt whose payload
 * names the transfer, the payment's reference: transfer.c, and the payment's source account) ends as the corridor
 * says, not by hand: the destination may have credited the payee already, or will when asked (POST
 * /v1/corridors/{id}/settle, which then settles the payment too), so returning it would give the payer money the
 * payee also got, and settling it by hand would count as gone money the destination may never have credited. The
 * receipt is found by its content, not by the request that appended it, so a responder's copy (which records no
 * request) finds it as the sequencer's does. The corridor's own settlement (actor "corridor:<id>") passes. A
 * transfer the corridor never recorded in this zone's copy is this zone's alone: its payment is returned or settled
 * as any other (a responder whose copy lags the sequencer's pulls first: POST /v1/corridors/{id}/sync). */
static mez_status_t corridor_outcome_check(orch_t *o, const json_t *payment, const char *verb)
{
    const json_t *dest = json_object_get(payment, "destination");
    const char *cid = mez_orch_str(dest, "corridor_id"), *ref = mez_orch_str(payment, "reference"), *src;
    json_t *receipt = NULL;
    uint64_t seq = 0, from = 0;
    int found = 0;
    mez_status_t rv;
    if (!mez_orch_str(dest, "type") || strcmp(mez_orch_str(dest, "type"), "corridor_settlement") || !cid || !ref
        || (o->req->actor && !strncmp(o->req->actor, "corridor:", 9)))
        return MEZ_OK;
    /* The transfer id is the caller's reference on a payment made by hand: it must be this payment's transfer,
     * from this payment's source account, for the corridor to decide it (another payer naming a transfer it did not
     * send only stops its own return, but is not taken for that transfer either). */
    src = mez_orch_str(payment, "source_account_id");
    for (;;) {
        const json_t *source;
        if ((rv = mez_corridor_find_transition(o->p, o->db, cid, from, "cross_border_transfer", "transfer_id", ref,
                                               &receipt, &seq, &found, o->pb)) != MEZ_OK || !found)
            return rv;
        source = json_object_get(json_object_get(json_object_get(receipt, "transition"), "payload"), "source");
        if (src && mez_orch_str(source, "account_id") && !strcmp(mez_orch_str(source, "account_id"), src))
            break;
        from = seq + 1;
    }
    return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "transfer.recorded_on_corridor", NULL,
                       "payment %s is transfer %s, which receipt %" APR_UINT64_T_FMT " of corridor %s records: it "
                       "is settled as the destination settles it (POST /v1/corridors/%s/settle {\"sequence\": %"
                       APR_UINT64_T_FMT "}), not %s by hand", o->req->path_id, ref, seq, cid, cid, seq,
                       !strcmp(verb, "settle") ? "settled" : "returned");
}

static mez_status_t outcome_prepare(orch_t *o)
{
    const char *verb = strcmp(o->op->name, "fiscal.payment_settle") ? "return" : "settle", *eid;
    json_t *payment, *acc;
    mez_status_t rv;

    if (o->req->actor_entity)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 403, "auth.forbidden_role", NULL,
                           "a payment's %s is recorded by the zone's treasury operators, not by an entity", verb);
    if (o->compliance)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "request.unknown_field", "/compliance",
                           "a payment's %s takes no compliance envelope: the payment was decided when it was made",
                           verb);
    if ((rv = path_safe(o, o->req->path_id, NULL)) != MEZ_OK)
        return rv;
    rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/fiscal/payments/", o->req->path_id, NULL), "payment", "",
                           &payment);
    if (rv == MEZ_EINVAL && o->pb->status == 422) {      /* the payment is the path's: an unknown one is a 404 */
        o->pb->status = 404;
        o->pb->code = "mass.not_found";
        o->pb->pointer = NULL;
        o->pb->detail = apr_psprintf(o->p, "there is no payment '%s' in this zone", o->req->path_id);
    }
    if (rv != MEZ_OK)
        return rv;
    /* The payer, for the credential's claims and the record's owner: the source account's entity. */
    if ((rv = path_safe(o, mez_orch_str(payment, "source_account_id") ? mez_orch_str(payment, "source_account_id")
                                                                      : "", "")) != MEZ_OK
        || (rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/fiscal/accounts/",
                                                  mez_orch_str(payment, "source_account_id"), NULL),
                                   "account", "", &acc)) != MEZ_OK)
        return rv;
    eid = mez_orch_str(acc, "entity_id");
    o->owner_entity = eid && *eid ? eid : NULL;
    o->subject_id = o->req->path_id;
    if ((rv = corridor_outcome_check(o, payment, verb)) != MEZ_OK)
        return rv;
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/fiscal/payments/", o->req->path_id, "/", verb, NULL));
    return MEZ_OK;
}

static mez_status_t outcome_finish(orch_t *o)
{
    o->resource_id = o->subject_id = o->req->path_id;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s?,s:O}", "entity_id", o->owner_entity, "record",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

/* An inbound cross-border transfer (mod_mez_corridor.c): money a peer zone sent over a corridor reaches an
 * account here. The payee, the account's holder, is the subject; the payer, as the sending zone names it, is the
 * counterparty, screened against this zone's own lists; the action is a cross_border_transfer on this zone's
 * packs (the sending zone evaluated its outbound side on its own). The Mass write is a deposit whose other leg is
 * the zone's clearing account. Body: {account_id, amount, currency, reference, source: {zone_id, corridor_id,
 * payer_name, ...}} plus the compliance envelope; source is kept on the deposit as given. Money reaches a zone
 * only over a corridor (transfer.c is the only caller), so source names one, checked by inbound_corridor. */
/* The corridor the money came over must be ACTIVE, and with the sending zone, when the deposit is made, not
 * only when the caller (mez_transfer_inbound_settle, mez_transfer_inbound_evaluate) looked at it: a suspension or
 * a halt committed in between would otherwise still credit the money. With the sovereign store o->tx is open
 * before prepare runs and the deposit is made in it, so the row is read under its lock (FOR UPDATE on PostgreSQL;
 * on SQLite BEGIN IMMEDIATE already holds the only write lock): a move of the corridor (mez_corridor_move, under
 * the same lock) is ordered entirely before this deposit, and seen here, or entirely after it.
 *
 * With a remote Mass o->tx is NULL here: a transaction cannot span the Mass call (orchestrate.c says why), so the
 * row is read as committed just before the deposit is asked for. A move committed during that round trip does not
 * stop the deposit at Mass; the guarantee is then that a deposit begun after a suspension or halt committed is
 * refused, and the deposit is made at most once per transfer (its Idempotency-Key, "transfer:<id>"). */
static mez_status_t inbound_corridor(orch_t *o, const json_t *source, const char *zone)
{
    const char *id;
    mez_corridor_t c;
    mez_status_t rv;

    if ((rv = need_string(o, source, "/source", "corridor_id", &id)) != MEZ_OK)
        return rv;
    if ((rv = mez_corridor_read(o->p, o->db, id, o->tx != NULL, &c, o->pb)) != MEZ_OK) {
        if (o->pb->status == 404)       /* the body names it: a bad member, not a missing route */
            return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, "corridor.not_found", "/source/corridor_id",
                               "this zone holds no corridor %s", id);
        return rv;
    }
    if (strcmp(c.peer_zone_id, zone))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 403, "corridor.not_party", "/source/zone_id",
                           "corridor %s is with %s, not with %s", id, c.peer_zone_id, zone);
    if (c.state != MEZ_CORRIDOR_ACTIVE)
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE",
                           id, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c.state));
    return MEZ_OK;
}

static mez_status_t inbound_prepare(orch_t *o)
{
    const char *account, *amount, *currency, *reference, *zone, *payer;
    const json_t *source = json_object_get(o->body, "source");
    json_t *acc, *payee, *subject, *counterparty, *act, *mass_body;
    mez_status_t rv;

    if ((rv = need_string(o, o->body, "", "account_id", &account)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "amount", &amount)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "currency", &currency)) != MEZ_OK
        || (rv = need_string(o, o->body, "", "reference", &reference)) != MEZ_OK)
        return rv;
    if (!json_is_object(source))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, source ? "request.invalid_type" : "request.missing_field",
                           "/source", "'source' is required, an object naming the sending zone and the payer");
    if ((rv = need_string(o, source, "/source", "zone_id", &zone)) != MEZ_OK
        || (rv = need_string(o, source, "/source", "payer_name", &payer)) != MEZ_OK
        || (rv = mez_orch_screenable(o, payer, "/source/payer_name")) != MEZ_OK
        || (rv = inbound_corridor(o, source, zone)) != MEZ_OK
        || (rv = account_owner(o, account, "/account_id", &acc, &payee)) != MEZ_OK)
        return rv;
    o->owner_entity = o->subject_id = mez_orch_str(payee, "entity_id");
    if ((rv = party(o, "subject", o->owner_entity, mez_orch_str(payee, "legal_name"),
                    entity_class_of(mez_orch_str(payee, "entity_type")), &subject)) != MEZ_OK
        || (rv = party(o, "counterparty", mez_orch_str(source, "payer_entity_id") ? mez_orch_str(source,
                       "payer_entity_id") : "urn:mez:payer", payer, NULL, &counterparty)) != MEZ_OK)
        return rv;
    o->action_doc = action(o, "cross_border_transfer");
    act = json_object_get(o->action_doc, "action");
    if (o->compliance && mez_orch_str(o->compliance, "payment_type"))
        json_object_set(act, "payment_type", json_object_get(o->compliance, "payment_type"));
    json_object_set_new(act, "amount", json_pack("{s:s,s:s}", "amount", amount, "currency", currency));
    json_object_set(o->action_doc, "subject", subject);
    json_object_set(o->action_doc, "counterparty", counterparty);
    mass_body = mez_json_pool_own(o->p, json_pack("{s:s, s:s, s:s, s:O}", "amount", amount, "currency", currency,
                                                  "reference", reference, "source", source));
    o->mass_req.method = "POST";
    o->mass_req.path = apr_pstrcat(o->p, "/v1/fiscal/accounts/", account, "/deposits", NULL);
    o->mass_req.body = mass_body;
    return MEZ_OK;
}

static mez_status_t inbound_finish(orch_t *o)
{
    o->resource_id = o->subject_id = mez_orch_str(o->mass_resp.body, "deposit_id");
    o->claims = mez_json_pool_own(o->p, json_pack("{s:s,s:O}", "entity_id", o->owner_entity, "record",
                                                  o->mass_resp.body));
    return MEZ_OK;
}

/* ---------------------------------------------------------------- consent and identity */

static mez_status_t consent_request_prepare(orch_t *o)
{
    const json_t *zone = json_object_get(o->body, "zone_id");
    /* A consent asked for through this zone's API is this zone's, decided under its rules and cited as its
     * board resolution (consent.other_zone otherwise): the zone names itself when the request does not, and a
     * request naming another zone is refused here. The Mass store itself may keep several zones' consents (a
     * central Mass), each made through that zone or at the store; this zone's API does not speak for others. */
    if (zone && (!json_is_string(zone) || strcmp(json_string_value(zone), o->z->zone_id)))
        return mez_problem(o->pb, o->p, MEZ_EINVAL, 422, json_is_string(zone) ? "consent.other_zone"
                                                                              : "request.invalid_type",
                           "/zone_id", "this zone's API asks for consents of %s only (zone_id may be left out); "
                           "a consent of another zone is asked for through that zone", o->z->zone_id);
    if (!zone)
        json_object_set_new(o->body, "zone_id", json_string(o->z->zone_id));
    /* Parties to a consent are DIDs, not names: nothing to screen; the record is still evaluated (sanctions
     * clear by construction) so that its credential carries a decision like every other. */
    set_mass(o, "POST", "/v1/consent/request");
    o->owner_entity = mez_orch_str(json_object_get(o->body, "metadata"), "entity_id");
    return MEZ_OK;
}

static mez_status_t consent_sign_prepare(orch_t *o)
{
    mez_status_t rv;
    json_t *consent;
    if ((rv = path_safe(o, o->req->path_id, NULL)) != MEZ_OK)
        return rv;
    /* An entity's system may relay its signatories' decisions on the entity's own consents (metadata.entity_id,
     * as board resolutions are checked); the signatures decide, the token only says whose consents it reaches.
     * Operators reach any, so only an entity token costs the read. */
    if (o->req->actor_entity) {
        if ((rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/consent/", o->req->path_id, NULL), "consent", "",
                                    &consent)) != MEZ_OK)
            return rv;
        o->owner_entity = mez_orch_str(json_object_get(consent, "metadata"), "entity_id");
    }
    o->subject_id = o->req->path_id;
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/consent/", o->req->path_id, "/sign", NULL));
    return MEZ_OK;
}

static mez_status_t consent_finish(orch_t *o)
{
    const char *id = mez_orch_str(o->mass_resp.body, "consent_id");
    o->resource_id = o->subject_id = id ? id : o->req->path_id;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:O}", "consent", o->mass_resp.body));
    return MEZ_OK;
}

static mez_status_t person_prepare(orch_t *o)
{
    const char *name;
    mez_status_t rv;
    const char *canon;
    json_t *who;
    mez_digest_t d;
    if ((rv = need_string(o, o->body, "", "full_name", &name)) != MEZ_OK)
        return rv;
    /* The person has no id until Mass registers them: their names are screened in an application identified by
     * who they say they are (name, date of birth, identity documents), so that a clearance of a hit binds to the
     * documents the reviewer checked, not to everyone of the name. */
    who = mez_json_pool_own(o->p, json_object());
    for (const char *const *m = (const char *const[]){ "full_name", "date_of_birth", "identifiers", NULL }; *m; m++)
        if (json_object_get(o->body, *m))
            json_object_set(who, *m, json_object_get(o->body, *m));
    if ((rv = mez_json_canonicalize(o->p, who, &canon, NULL, o->pb)) != MEZ_OK)
        return rv;
    mez_digest_sha256(canon, strlen(canon), &d);
    o->screen_context = apr_pstrcat(o->p, "urn:mez:application:", mez_digest_hex(o->p, &d), NULL);
    mez_orch_screen(o, name, "/full_name");
    set_mass(o, "POST", "/v1/identity/persons");
    return MEZ_OK;
}

static mez_status_t verification_prepare(orch_t *o)
{
    json_t *person;
    mez_status_t rv;
    if ((rv = path_safe(o, o->req->path_id, NULL)) != MEZ_OK)
        return rv;
    rv = mez_orch_mass_get(o, apr_pstrcat(o->p, "/v1/identity/persons/", o->req->path_id, NULL), "person", "",
                           &person);
    if (rv == MEZ_EINVAL && o->pb->status == 422) {
        o->pb->status = 404;
        o->pb->code = "mass.not_found";
        o->pb->pointer = NULL;
    }
    if (rv != MEZ_OK)
        return rv;
    o->subject_id = o->req->path_id;
    mez_orch_screen(o, mez_orch_str(person, "full_name"), "/full_name");
    set_mass(o, "POST", apr_pstrcat(o->p, "/v1/identity/persons/", o->req->path_id, "/verifications", NULL));
    return MEZ_OK;
}

static mez_status_t identity_finish(orch_t *o)
{
    const char *id = mez_orch_str(o->mass_resp.body, "person_id");
    o->resource_id = o->subject_id = id ? id : o->req->path_id;
    o->claims = mez_json_pool_own(o->p, json_pack("{s:O}", "record", o->mass_resp.body));
    return MEZ_OK;
}

/* ---------------------------------------------------------------- the table */

static const orch_op_t ops[] = {
    { .name = "entity.formation", .prim = MEZ_MASS_ENTITIES, .credential_type = "EntityFormationCredential",
      .created = 1, .id_member = "entity_id", .prepare = formation_prepare, .finish = formation_finish },
    { .name = "entity.officer", .prim = MEZ_MASS_ENTITIES, .credential_type = "OfficerAppointmentCredential",
      .created = 1, .id_member = "officer_id", .prepare = officer_prepare, .finish = officer_finish },
    { .name = "entity.status", .prim = MEZ_MASS_ENTITIES, .credential_type = "EntityStatusCredential",
      .prepare = status_prepare, .finish = status_finish },
    { .name = "entity.dissolution", .prim = MEZ_MASS_ENTITIES, .credential_type = "EntityDissolutionCredential",
      .prepare = dissolution_prepare, .finish = dissolution_finish },
    { .name = "entity.officer_resignation", .prim = MEZ_MASS_ENTITIES,
      .credential_type = "OfficerResignationCredential", .prepare = resign_prepare, .finish = resign_finish },
    { .name = "entity.dissolution_advance", .prim = MEZ_MASS_ENTITIES,
      .credential_type = "EntityDissolutionCredential", .prepare = advance_prepare, .finish = advance_finish },
    { .name = "ownership.cap_table", .prim = MEZ_MASS_OWNERSHIP, .credential_type = "CapTableCredential",
      .created = 1, .id_member = "cap_table_id", .prepare = cap_table_prepare, .finish = ownership_finish },
    { .name = "ownership.issuance", .prim = MEZ_MASS_OWNERSHIP, .credential_type = "ShareIssuanceCredential",
      .created = 1, .id_member = "issuance_id", .prepare = issuance_prepare, .finish = ownership_finish },
    { .name = "ownership.transfer", .prim = MEZ_MASS_OWNERSHIP, .credential_type = "ShareTransferCredential",
      .created = 1, .id_member = "transfer_id", .prepare = transfer_prepare, .finish = ownership_finish },
    { .name = "fiscal.account", .prim = MEZ_MASS_FISCAL, .credential_type = "TreasuryAccountCredential",
      .created = 1, .id_member = "account_id", .prepare = account_prepare, .finish = fiscal_finish },
    { .name = "fiscal.payment", .prim = MEZ_MASS_FISCAL, .credential_type = "PaymentCredential", .created = 1,
      .id_member = "payment_id", .prepare = payment_prepare, .amend = payment_amend, .finish = fiscal_finish },
    { .name = "fiscal.inbound_transfer", .prim = MEZ_MASS_FISCAL, .credential_type = "InboundTransferCredential",
      .created = 1, .id_member = "deposit_id", .prepare = inbound_prepare, .finish = inbound_finish },
    { .name = "fiscal.payment_settle", .prim = MEZ_MASS_FISCAL, .credential_type = "PaymentSettlementCredential",
      .prepare = outcome_prepare, .finish = outcome_finish },
    { .name = "fiscal.payment_return", .prim = MEZ_MASS_FISCAL, .credential_type = "PaymentReturnCredential",
      .prepare = outcome_prepare, .finish = outcome_finish },
    { .name = "consent.request", .prim = MEZ_MASS_CONSENT, .credential_type = "ConsentRequestCredential",
      .created = 1, .id_member = "consent_id", .prepare = consent_request_prepare, .finish = consent_finish },
    { .name = "consent.sign", .prim = MEZ_MASS_CONSENT, .credential_type = "ConsentDecisionCredential",
      .prepare = consent_sign_prepare, .finish = consent_finish },
    { .name = "identity.person", .prim = MEZ_MASS_IDENTITY, .credential_type = "IdentityRecordCredential",
      .created = 1, .id_member = "person_id", .prepare = person_prepare, .finish = identity_finish },
    { .name = "identity.verification", .prim = MEZ_MASS_IDENTITY,
      .credential_type = "IdentityVerificationCredential", .created = 1, .id_member = "verification_id",
      .prepare = verification_prepare, .finish = identity_finish },
    /* The zone's own register: no Mass primitive is written (prim names the one whose records it reads). */
    { .name = "licence.application", .prim = MEZ_MASS_ENTITIES, .credential_type = "LicenceApplicationCredential",
      .created = 1, .prepare = mez_orch_licence_application_prepare, .write = mez_orch_licence_application_write },
    { .name = "licence.transition", .prim = MEZ_MASS_ENTITIES, .credential_type = "LicenceStatusCredential",
      .prepare = mez_orch_licence_transition_prepare, .write = mez_orch_licence_transition_write },
};

const char *const mez_orch_op_names[] = {
    "entity.formation", "entity.officer", "entity.status", "entity.dissolution", "entity.officer_resignation",
    "entity.dissolution_advance", "ownership.cap_table",
    "ownership.issuance", "ownership.transfer", "fiscal.account", "fiscal.payment", "fiscal.inbound_transfer",
    "fiscal.payment_settle", "fiscal.payment_return", "consent.request",
    "consent.sign", "identity.person", "identity.verification", "licence.application", "licence.transition", NULL,
};

const orch_op_t *mez_orch_op_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(ops[i].name, name))
            return &ops[i];
    return NULL;
}
