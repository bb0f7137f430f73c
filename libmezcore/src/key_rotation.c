/* key_rotation.c: the ZoneKeyRotation credential (issued with a proof set by both keys, checked), the corridor
 * transition that records it, and following a chain's parties through such transitions. mez/key_rotation.h says
 * what the credential means and where it travels. */
#include <string.h>
#include <apr_strings.h>
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/vc.h"

#define CODE "key_rotation.invalid"

static mez_status_t invalid(apr_pool_t *p, mez_problem_t *pb, const char *base, const char *ptr, const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, CODE, apr_pstrcat(p, base ? base : "", ptr, NULL), "%s", detail);
}

/* NULL for a string holding a NUL, as for a missing one: C text would end at it, and "did:key:z...\u0000x" be
 * resolved, compared and recorded as the DID before it (mez/json.h). */
static const char *str(const json_t *o, const char *name)
{
    return mez_json_text(json_object_get(o, name));
}

static mez_status_t describe(apr_pool_t *p, const json_t *vc, mez_key_rotation_t *out, mez_problem_t *pb)
{
    const json_t *s = json_object_get(vc, "credentialSubject");
    mez_digest_t d;
    mez_status_t st;
    out->zone_id = str(s, "zone_id");
    out->previous_did = str(s, "previous_did");
    out->new_did = str(s, "id");
    out->new_verification_method = str(s, "new_verification_method");
    out->reason = str(s, "reason");
    if ((st = mez_json_canonicalize(p, vc, &out->text, NULL, pb)) != MEZ_OK)
        return st;
    mez_digest_sha256(out->text, strlen(out->text), &d);
    out->digest = mez_digest_format(p, &d);
    return mez_did_key_resolve(p, out->new_did, &out->new_key, pb);
}

mez_status_t mez_key_rotation_issue(apr_pool_t *p, const mez_key_t *previous, const mez_key_t *next,
                                    const char *zone_id, const char *reason, apr_time_t now, json_t **vc,
                                    mez_key_rotation_t *out, mez_problem_t *pb)
{
    mez_vc_proof_options_t opts = { 0 };
    const char *prev_did = mez_did_key(p, previous), *next_did = mez_did_key(p, next);
    json_t *doc, *by_previous, *by_next, *proofs;
    mez_key_rotation_t info;
    mez_status_t st;

    if (!zone_id || !*zone_id)
        return invalid(p, pb, "", "/credentialSubject/zone_id", "a rotation names its zone");
    if (!strcmp(prev_did, next_did))
        return invalid(p, pb, "", "/credentialSubject/id", "the new key is the key in use");
    if (reason && (!*reason || strlen(reason) > 500))
        return invalid(p, pb, "", "/credentialSubject/reason", "a reason is 1..500 characters");
    opts.created = mez_time_stamp(p, now);
    doc = mez_json_pool_own(p, json_pack("{s:[s], s:[s,s], s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "@context",
                                         MEZ_VC_CONTEXT_V2, "type", "VerifiableCredential", MEZ_KEY_ROTATION_TYPE,
                                         "issuer", prev_did, "validFrom", opts.created, "credentialSubject", "id",
                                         next_did, "zone_id", zone_id, "previous_did", prev_did,
                                         "previous_verification_method",
                                         mez_did_key_verification_method(p, previous), "new_verification_method",
                                         mez_did_key_verification_method(p, next)));
    if (reason)
        json_object_set_new(json_object_get(doc, "credentialSubject"), "reason", json_string(reason));
    /* A proof set: each key signs the same unsecured document. */
    if ((st = mez_vc_sign(p, doc, previous, &opts, &by_previous, pb)) != MEZ_OK
        || (st = mez_vc_sign(p, doc, next, &opts, &by_next, pb)) != MEZ_OK)
        return st;
    proofs = json_pack("[O,O]", json_object_get(by_previous, "proof"), json_object_get(by_next, "proof"));
    *vc = mez_json_pool_own(p, json_deep_copy(doc));
    json_object_set_new(*vc, "proof", proofs);
    if ((st = describe(p, *vc, &info, pb)) != MEZ_OK)
        return st;
    if (out)
        *out = info;
    return MEZ_OK;
}

mez_status_t mez_key_rotation_check(apr_pool_t *p, const json_t *vc, const char *zone_id, const char *previous_did,
                                    const char *base, mez_key_rotation_t *out, mez_problem_t *pb)
{
    static const char *const members[] = { "id", "zone_id", "previous_did", "previous_verification_method",
                                           "new_verification_method", "reason", NULL };
    mez_vc_verify_options_t opts = { 0 };
    mez_vc_result_t res;
    mez_key_rotation_t info;
    const json_t *types, *t, *s, *proof;
    const char *sbase, *issuer, *vm0, *vm1;
    mez_key_t *k;
    int typed = 0;
    size_t i;
    mez_status_t st;

    base = base ? base : "";
    if (!json_is_object(vc))
        return invalid(p, pb, base, "", "a rotation credential is a JSON object");
    opts.pointer_base = base;
    if (mez_vc_verify(p, vc, &opts, &res) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "vc.internal", NULL, "the credential could not be verified");
    if (!res.verified)
        return mez_problem(pb, p, MEZ_EINVAL, 422, CODE, res.problem.pointer, "ZoneKeyRotation: %s",
                           res.problem.detail ? res.problem.detail : res.problem.code);
    types = json_object_get(vc, "type");
    json_array_foreach(types, i, t)
        typed |= mez_json_text(t) && !strcmp(mez_json_text(t), MEZ_KEY_ROTATION_TYPE);
    if (!typed)
        return invalid(p, pb, base, "/type", "the credential's type does not include " MEZ_KEY_ROTATION_TYPE);
    s = json_object_get(vc, "credentialSubject");
    sbase = apr_pstrcat(p, base, "/credentialSubject", NULL);
    if (!json_is_object(s))
        return invalid(p, pb, base, "/credentialSubject", "the subject is one object");
    if ((st = mez_json_only_members(p, s, sbase, members, CODE, pb)) != MEZ_OK)
        return st;
    for (i = 0; members[i]; i++)
        if ((strcmp(members[i], "reason") || json_object_get(s, members[i])) && !str(s, members[i]))
            return invalid(p, pb, sbase, apr_pstrcat(p, "/", members[i], NULL),
                           strcmp(members[i], "reason") ? "this member is a required string, without a NUL"
                                                        : "a reason is a string, without a NUL");
    issuer = mez_vc_issuer_id(vc);
    if (!issuer || strcmp(issuer, str(s, "previous_did")))
        return invalid(p, pb, base, "/issuer", "a rotation is issued by the previous DID");
    if (!strcmp(str(s, "id"), str(s, "previous_did")))
        return invalid(p, pb, sbase, "/id", "the new DID is the previous one");
    /* Each DID must name an Ed25519 did:key, and each verification method must be that DID's. */
    if (strncmp(str(s, "id"), "did:key:", 8) || strchr(str(s, "id"), '#')
        || mez_did_key_resolve(p, str(s, "id"), &k, NULL) != MEZ_OK
        || strcmp(mez_did_key_verification_method(p, k), str(s, "new_verification_method")))
        return invalid(p, pb, sbase, "/new_verification_method", "not the verification method of the new did:key");
    if (strncmp(str(s, "previous_did"), "did:key:", 8) || strchr(str(s, "previous_did"), '#')
        || mez_did_key_resolve(p, str(s, "previous_did"), &k, NULL) != MEZ_OK
        || strcmp(mez_did_key_verification_method(p, k), str(s, "previous_verification_method")))
        return invalid(p, pb, sbase, "/previous_verification_method",
                       "not the verification method of the previous did:key");
    /* Both keys, in order: the previous names the successor, the successor accepts. mez_vc_verify checked that
     * each proof verifies with the key its verificationMethod names. */
    proof = json_object_get(vc, "proof");
    if (!json_is_array(proof) || json_array_size(proof) != 2)
        return invalid(p, pb, base, "/proof", "a rotation carries two proofs: the previous key's and the new key's");
    vm0 = str(json_array_get(proof, 0), "verificationMethod");
    vm1 = str(json_array_get(proof, 1), "verificationMethod");
    if (!vm0 || strcmp(vm0, str(s, "previous_verification_method")))
        return invalid(p, pb, base, "/proof/0/verificationMethod", "the first proof is not by the previous key");
    if (!vm1 || strcmp(vm1, str(s, "new_verification_method")))
        return invalid(p, pb, base, "/proof/1/verificationMethod", "the second proof is not by the new key");
    if (zone_id && strcmp(zone_id, str(s, "zone_id")))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "key_rotation.wrong_zone", apr_pstrcat(p, sbase, "/zone_id", NULL),
                           "the rotation is for zone %s, not %s", str(s, "zone_id"), zone_id);
    if (previous_did && strcmp(previous_did, str(s, "previous_did")))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "key_rotation.not_current",
                           apr_pstrcat(p, sbase, "/previous_did", NULL),
                           "zone %s is known by %s, not by %s", str(s, "zone_id"), previous_did,
                           str(s, "previous_did"));
    if ((st = describe(p, vc, &info, pb)) != MEZ_OK)
        return st;
    if (out)
        *out = info;
    return MEZ_OK;
}

json_t *mez_key_rotation_transition(apr_pool_t *p, const json_t *vc, const mez_key_rotation_t *rot)
{
    return mez_json_pool_own(p, json_pack("{s:s, s:{s:s, s:s, s:s, s:O}}", "kind", MEZ_KEY_ROTATION_KIND, "payload",
                                          "zone_id", rot->zone_id, "previous_did", rot->previous_did, "new_did",
                                          rot->new_did, "credential", vc));
}

int mez_key_rotation_of_receipt(const json_t *receipt, const json_t **vc)
{
    const json_t *t = json_object_get(receipt, "transition");
    if (!json_is_object(t) || !str(t, "kind") || strcmp(str(t, "kind"), MEZ_KEY_ROTATION_KIND))
        return 0;
    *vc = json_object_get(json_object_get(t, "payload"), "credential");
    return 1;
}

mez_status_t mez_key_rotation_follow(apr_pool_t *p, mez_chain_keys_t *keys, const json_t *receipt,
                                     const char *base, int *rotated, mez_problem_t *pb)
{
    const json_t *vc = NULL, *payload = json_object_get(json_object_get(receipt, "transition"), "payload");
    const char *zone, *current, *pbase = apr_pstrcat(p, base ? base : "", "/transition/payload", NULL);
    mez_key_rotation_t rot;
    mez_status_t st;
    int proposer;

    if (rotated)
        *rotated = 0;
    if (!mez_key_rotation_of_receipt(receipt, &vc))
        return MEZ_OK;
    zone = str(payload, "zone_id");
    if (!zone || (strcmp(zone, keys->proposer_zone_id) && strcmp(zone, keys->responder_zone_id)))
        return invalid(p, pb, pbase, "/zone_id", "the rotated zone is not a party of the corridor");
    proposer = !strcmp(zone, keys->proposer_zone_id);
    current = proposer ? keys->proposer_did : keys->responder_did;
    if ((st = mez_key_rotation_check(p, vc, zone, current, apr_pstrcat(p, pbase, "/credential", NULL), &rot, pb))
        != MEZ_OK)
        return st;
    /* The payload repeats what the credential says (for readers of the chain): it must not say anything else. */
    if (!str(payload, "previous_did") || strcmp(str(payload, "previous_did"), rot.previous_did)
        || !str(payload, "new_did") || strcmp(str(payload, "new_did"), rot.new_did))
        return invalid(p, pb, pbase, "/new_did", "the payload's DIDs are not the credential's");
    if (proposer)
        keys->proposer_did = rot.new_did;
    else
        keys->responder_did = rot.new_did;
    if (rotated)
        *rotated = 1;
    return MEZ_OK;
}
