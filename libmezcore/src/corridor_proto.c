/* corridor_proto.c: the establishment documents and signed receipts of a corridor (mez/corridor_proto.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/receipt.h"
#include "mez/vc.h"

#define JWS_HEADER "{\"alg\":\"EdDSA\",\"b64\":false,\"crit\":[\"b64\"]}"

static mez_status_t bad(apr_pool_t *p, mez_problem_t *pb, int status, const char *code, const char *base,
                        const char *ptr, const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, status, code, apr_pstrcat(p, base ? base : "", ptr, NULL), "%s", detail);
}

/* ------------------------------------------------------------------ base64url (RFC 4648 section 5, no padding) */

static const char *b64url_encode(apr_pool_t *p, const void *data, size_t len)
{
    char *s = apr_pstrdup(p, mez_pack_base64_encode(p, data, len)), *w = s;
    for (const char *r = s; *r; r++)
        if (*r != '=')
            *w++ = *r == '+' ? '-' : *r == '/' ? '_' : *r;
    *w = '\0';
    return s;
}

static int b64url_decode(apr_pool_t *p, const char *s, size_t len, unsigned char **out, size_t *outlen)
{
    char *t = apr_palloc(p, len + 4);
    size_t i;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+' || c == '/' || c == '=')
            return -1;      /* base64url has neither, and JWS drops the padding */
        t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (i % 4)
        t[i++] = '=';
    t[i] = '\0';
    return mez_pack_base64_decode(p, t, i, out, outlen);
}

/* ------------------------------------------------------------------ documents */

mez_status_t mez_corridor_payload_digest(apr_pool_t *p, const json_t *vc, const char **hex, mez_problem_t *pb)
{
    json_t *copy = mez_json_pool_own(p, json_copy((json_t *)vc));
    mez_digest_t d;
    mez_status_t st;
    json_object_del(copy, "proof");
    /* MCF is what the reference hashes; DESIGN section 3 allows it only where it agrees with RFC 8785. */
    if ((st = mez_mcf_check_portable(p, copy, "", pb)) != MEZ_OK || (st = mez_mcf_digest(p, copy, &d, pb)) != MEZ_OK)
        return st;
    *hex = mez_digest_hex(p, &d);
    return MEZ_OK;
}

static json_t *digest_set_or_empty(const json_t *set)
{
    return set ? json_deep_copy(set) : json_array();
}

static mez_status_t sign_credential(apr_pool_t *p, const mez_key_t *key, json_t *credential, apr_time_t now,
                                    json_t **vc, mez_problem_t *pb)
{
    mez_vc_proof_options_t opts = { 0 };
    opts.created = mez_time_stamp(p, now);
    mez_json_pool_own(p, credential);
    return mez_vc_issue(p, credential, key, NULL, &opts, vc, pb);
}

mez_status_t mez_corridor_definition_issue(apr_pool_t *p, const mez_key_t *key, const char *zone_id,
                                           const char *corridor_id, const char *peer_zone_id, const char *peer_did,
                                           const json_t *lawpack_digest_set, const json_t *ruleset_digest_set,
                                           apr_time_t now, json_t **vc, mez_corridor_terms_t *terms,
                                           mez_problem_t *pb)
{
    const char *did = mez_did_key(p, key);
    json_t *cred = json_pack("{s:[s], s:[s,s], s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], "
                             "s:o, s:o}}",
                             "@context", MEZ_VC_CONTEXT_V2, "type", "VerifiableCredential", "CorridorDefinition",
                             "id", apr_pstrcat(p, "urn:uuid:", corridor_id, NULL), "validFrom",
                             mez_time_stamp(p, now), "credentialSubject", "id",
                             apr_pstrcat(p, "urn:mez:corridor:", corridor_id, NULL), "corridor_id", corridor_id,
                             "participants", "zone_id", zone_id, "did", did, "role", "proposer", "zone_id",
                             peer_zone_id, "did", peer_did, "role", "responder", "lawpack_digest_set",
                             digest_set_or_empty(lawpack_digest_set), "ruleset_digest_set",
                             digest_set_or_empty(ruleset_digest_set));
    mez_status_t st;
    if (!cred)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "", "the definition cannot be built");
    if ((st = sign_credential(p, key, cred, now, vc, pb)) != MEZ_OK)
        return st;
    return terms ? mez_corridor_definition_check(p, *vc, did, NULL, NULL, "", terms, pb) : MEZ_OK;
}

/* The proof must verify and be made by the issuer's own key: mez_vc_verify only warns when the issuer does not
 * control the key, which is not enough for a document that binds a zone. */
static mez_status_t verify_by(apr_pool_t *p, const json_t *vc, const char *type, const char *issuer_did,
                              const char *code, const char *base, mez_problem_t *pb)
{
    mez_vc_verify_options_t opts = { 0 };
    mez_vc_result_t res;
    const json_t *types = json_object_get(vc, "type"), *proof = json_object_get(vc, "proof"), *t;
    const char *issuer, *vm;
    int typed = 0;
    size_t i;

    if (!json_is_object(vc))
        return bad(p, pb, 422, code, base, "", "a credential is a JSON object");
    opts.pointer_base = base;
    if (mez_vc_verify(p, vc, &opts, &res) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "vc.internal", NULL, "the credential could not be verified");
    if (!res.verified)
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, res.problem.pointer, "%s: %s", type,
                           res.problem.detail ? res.problem.detail : res.problem.code);
    json_array_foreach(types, i, t)
        typed |= mez_json_text(t) && !strcmp(mez_json_text(t), type);
    if (!typed)
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, apr_pstrcat(p, base, "/type", NULL),
                           "the credential's type does not include %s", type);
    issuer = mez_vc_issuer_id(vc);
    if (!issuer || strcmp(issuer, issuer_did))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party", apr_pstrcat(p, base, "/issuer", NULL),
                           "the %s is issued by %s, not by %s", type, issuer ? issuer : "nobody", issuer_did);
    vm = mez_json_text(json_object_get(json_is_array(proof) ? json_array_get(proof, 0) : proof,
                                       "verificationMethod"));
    if (json_is_array(proof) && json_array_size(proof) != 1)
        return bad(p, pb, 422, code, base, "/proof", "the credential carries exactly one proof, by its issuer");
    if (!vm || strncmp(vm, issuer_did, strlen(issuer_did)) || vm[strlen(issuer_did)] != '#')
        return mez_problem(pb, p, MEZ_EINVAL, 422, code, apr_pstrcat(p, base, "/proof/verificationMethod", NULL),
                           "the %s is not signed by its issuer's key", type);
    return MEZ_OK;
}

/* NULL for a string holding a NUL, as for a missing one: C text would end at it (mez/json.h). */
static const char *subject_string(const json_t *subject, const char *name)
{
    return mez_json_text(json_object_get(subject, name));
}

/* Reads the terms from a definition's subject; 422 code with pointers under base. */
static mez_status_t read_terms(apr_pool_t *p, const json_t *vc, const char *code, const char *base,
                               mez_corridor_terms_t *terms, mez_problem_t *pb)
{
    const json_t *subject = json_object_get(vc, "credentialSubject"), *parts, *x;
    const char *sbase = apr_pstrcat(p, base, "/credentialSubject", NULL);
    size_t i;
    mez_status_t st;

    memset(terms, 0, sizeof(*terms));
    if (!json_is_object(subject))
        return bad(p, pb, 422, code, sbase, "", "credentialSubject is an object");
    terms->corridor_id = subject_string(subject, "corridor_id");
    if (!terms->corridor_id)
        return bad(p, pb, 422, code, sbase, "/corridor_id", "corridor_id is a lower-case UUID");
    parts = json_object_get(subject, "participants");
    if (!json_is_array(parts) || json_array_size(parts) != 2)
        return bad(p, pb, 422, code, sbase, "/participants", "a corridor has exactly two participants");
    json_array_foreach(parts, i, x) {
        const char *zone = subject_string(x, "zone_id"), *did = subject_string(x, "did"),
                   *role = subject_string(x, "role");
        const char *ptr = mez_pointer_index(p, "/participants", i);
        if (!zone || !*zone || !did || strncmp(did, "did:key:", 8) || !role || json_object_size(x) != 3)
            return bad(p, pb, 422, code, sbase, ptr, "a participant is {zone_id, did (did:key), role}");
        if (!strcmp(role, "proposer") && !terms->proposer_did) {
            terms->proposer_zone_id = zone;
            terms->proposer_did = did;
        }
        else if (!strcmp(role, "responder") && !terms->responder_did) {
            terms->responder_zone_id = zone;
            terms->responder_did = did;
        }
        else
            return bad(p, pb, 422, code, sbase, apr_pstrcat(p, ptr, "/role", NULL),
                       "one participant is the proposer and the other the responder");
    }
    if (!strcmp(terms->proposer_zone_id, terms->responder_zone_id) || !strcmp(terms->proposer_did, terms->responder_did))
        return bad(p, pb, 422, code, sbase, "/participants", "a corridor joins two different zones");
    terms->lawpack_digest_set = json_object_get(subject, "lawpack_digest_set");
    terms->ruleset_digest_set = json_object_get(subject, "ruleset_digest_set");
    if (!json_is_array(terms->lawpack_digest_set))
        return bad(p, pb, 422, code, sbase, "/lawpack_digest_set", "lawpack_digest_set is an array of digests");
    if (!json_is_array(terms->ruleset_digest_set))
        return bad(p, pb, 422, code, sbase, "/ruleset_digest_set", "ruleset_digest_set is an array of digests");
    /* The genesis root commits to the id and both sets: computing it checks their form (a UUID, digest
     * entries) exactly as receipts will. */
    {
        mez_digest_t g;
        const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
        if ((st = mez_corridor_payload_digest(p, vc, &terms->definition_digest, pb)) != MEZ_OK)
            return st;
        if (mez_receipt_genesis_root(p, terms->corridor_id, terms->definition_digest, zero,
                                     terms->lawpack_digest_set, terms->ruleset_digest_set, &g, pb) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, 422, code,
                               apr_pstrcat(p, sbase, pb && pb->pointer ? pb->pointer : "", NULL), "%s",
                               pb && pb->detail ? pb->detail : "the corridor's terms are malformed");
    }
    return MEZ_OK;
}

mez_status_t mez_corridor_definition_check(apr_pool_t *p, const json_t *vc, const char *proposer_did,
                                           const char *own_zone_id, const char *own_did, const char *base,
                                           mez_corridor_terms_t *terms, mez_problem_t *pb)
{
    const char *code = "corridor.definition_invalid";
    mez_status_t st;
    base = base ? base : "";
    if ((st = verify_by(p, vc, "CorridorDefinition", proposer_did, code, base, pb)) != MEZ_OK
        || (st = read_terms(p, vc, code, base, terms, pb)) != MEZ_OK)
        return st;
    if (strcmp(terms->proposer_did, proposer_did))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party",
                           apr_pstrcat(p, base, "/credentialSubject/participants", NULL),
                           "the definition's proposer is %s, not its issuer", terms->proposer_did);
    if (own_zone_id && (strcmp(terms->responder_zone_id, own_zone_id) || strcmp(terms->responder_did, own_did)))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party",
                           apr_pstrcat(p, base, "/credentialSubject/participants", NULL),
                           "the definition's responder is %s (%s), not this zone %s (%s)", terms->responder_zone_id,
                           terms->responder_did, own_zone_id, own_did);
    return MEZ_OK;
}

mez_status_t mez_corridor_terms_from_text(apr_pool_t *p, const char *definition_text, mez_corridor_terms_t *terms,
                                          mez_problem_t *pb)
{
    json_t *vc;
    mez_status_t st;
    if ((st = mez_json_parse(p, definition_text, strlen(definition_text), &vc, pb)) != MEZ_OK)
        return st;
    return read_terms(p, vc, "corridor.definition_invalid", "", terms, pb);
}

static const char *party_role(const mez_corridor_terms_t *terms, const char *did)
{
    return !strcmp(did, terms->proposer_did) ? "proposer" : !strcmp(did, terms->responder_did) ? "responder" : NULL;
}

mez_status_t mez_corridor_agreement_issue(apr_pool_t *p, const mez_key_t *key, const char *zone_id,
                                          const mez_corridor_terms_t *terms, apr_time_t now, json_t **vc,
                                          mez_problem_t *pb)
{
    const char *did = mez_did_key(p, key), *role = party_role(terms, did);
    json_t *cred;
    if (!role)
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party", NULL,
                           "this zone (%s) is not a party of corridor %s", did, terms->corridor_id);
    cred = json_pack("{s:[s], s:[s,s], s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s}}",
                     "@context", MEZ_VC_CONTEXT_V2, "type", "VerifiableCredential", "CorridorAgreement", "id",
                     apr_pstrcat(p, "urn:uuid:", terms->corridor_id, ":agreement:", role, NULL), "validFrom",
                     mez_time_stamp(p, now), "credentialSubject", "id",
                     apr_pstrcat(p, "urn:mez:corridor:", terms->corridor_id, NULL), "corridor_id", terms->corridor_id,
                     "definition_payload_sha256", terms->definition_digest, "party", "id", did, "zone_id", zone_id,
                     "role", role, "commitment", "agree");
    if (!cred)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "", "the agreement cannot be built");
    return sign_credential(p, key, cred, now, vc, pb);
}

mez_status_t mez_corridor_agreement_check(apr_pool_t *p, const json_t *vc, const mez_corridor_terms_t *terms,
                                          const char *signer_did, const char *base, const char **payload_digest,
                                          mez_problem_t *pb)
{
    const char *code = "corridor.agreement_invalid", *sbase, *role = party_role(terms, signer_did), *commitment;
    const json_t *subject, *party;
    mez_status_t st;

    base = base ? base : "";
    sbase = apr_pstrcat(p, base, "/credentialSubject", NULL);
    if (!role)
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party", apr_pstrcat(p, base, "/issuer", NULL),
                           "%s is not a party of corridor %s", signer_did, terms->corridor_id);
    if ((st = verify_by(p, vc, "CorridorAgreement", signer_did, code, base, pb)) != MEZ_OK)
        return st;
    subject = json_object_get(vc, "credentialSubject");
    party = json_object_get(subject, "party");
    if (!json_is_object(subject) || !subject_string(subject, "corridor_id")
        || strcmp(subject_string(subject, "corridor_id"), terms->corridor_id))
        return bad(p, pb, 422, code, sbase, "/corridor_id", "the agreement is for another corridor");
    if (!subject_string(subject, "definition_payload_sha256")
        || strcmp(subject_string(subject, "definition_payload_sha256"), terms->definition_digest))
        return bad(p, pb, 422, code, sbase, "/definition_payload_sha256",
                   "the agreement is to another definition of the corridor");
    if (!json_is_object(party) || !subject_string(party, "id") || strcmp(subject_string(party, "id"), signer_did)
        || !subject_string(party, "role") || strcmp(subject_string(party, "role"), role))
        return bad(p, pb, 422, code, sbase, "/party", "the agreement's party is its issuer, in its role");
    commitment = subject_string(subject, "commitment");
    if (!commitment)
        return bad(p, pb, 422, code, sbase, "/commitment", "an agreement states its commitment");
    /* The reference reports a blocking commitment as "<party DID>:<commitment>" (corridors.md section 3). */
    if (strcmp(commitment, "agree"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.agreement_declined",
                           apr_pstrcat(p, sbase, "/commitment", NULL), "blocked by %s:%s", signer_did, commitment);
    return mez_corridor_payload_digest(p, vc, payload_digest, pb);
}

mez_status_t mez_corridor_genesis(apr_pool_t *p, const mez_corridor_terms_t *terms, const char *agreement_a,
                                  const char *agreement_b, const char **agreement_set_hex, mez_digest_t *genesis,
                                  mez_problem_t *pb)
{
    int order = strcmp(agreement_a, agreement_b);
    json_t *set = mez_json_pool_own(p, json_pack("[s,s]", order < 0 ? agreement_a : agreement_b,
                                                 order < 0 ? agreement_b : agreement_a));
    mez_digest_t d;
    mez_status_t st;
    if (!order)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.agreement_invalid", NULL,
                           "a corridor needs two different agreements, one per zone");
    if ((st = mez_mcf_digest(p, set, &d, pb)) != MEZ_OK)
        return st;
    *agreement_set_hex = mez_digest_hex(p, &d);
    return mez_receipt_genesis_root(p, terms->corridor_id, terms->definition_digest, *agreement_set_hex,
                                    terms->lawpack_digest_set, terms->ruleset_digest_set, genesis, pb);
}

mez_status_t mez_corridor_establish_evidence(apr_pool_t *p, const mez_corridor_terms_t *terms,
                                             const char *agreement_set_hex, const char *proposer_agreement,
                                             const char *responder_agreement, json_t **submit, json_t **activate,
                                             mez_problem_t *pb)
{
    json_t *packs = mez_json_pool_own(p, json_pack("{s:O, s:O}", "lawpack_digest_set", terms->lawpack_digest_set,
                                                   "ruleset_digest_set", terms->ruleset_digest_set));
    mez_digest_t d;
    mez_status_t st;
    if (!packs)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.definition_invalid", NULL, "the terms have no digest sets");
    if ((st = mez_mcf_digest(p, packs, &d, pb)) != MEZ_OK)
        return st;
    *submit = mez_json_pool_own(p, json_pack("{s:s, s:s}", "bilateral_agreement_digest",
                                             apr_pstrcat(p, "sha256:", agreement_set_hex, NULL), "pack_trilogy_digest",
                                             mez_digest_format(p, &d)));
    *activate = mez_json_pool_own(p, json_pack("{s:s, s:s}", "regulatory_approval_a",
                                               apr_pstrcat(p, "sha256:", proposer_agreement, NULL),
                                               "regulatory_approval_b",
                                               apr_pstrcat(p, "sha256:", responder_agreement, NULL)));
    return MEZ_OK;
}

/* ------------------------------------------------------------------ receipts */

static const char *jws_signing_input(apr_pool_t *p, const char *header_b64, const mez_digest_t *next_root)
{
    return apr_pstrcat(p, header_b64, ".", mez_digest_hex(p, next_root), NULL);
}

mez_status_t mez_corridor_receipt_make(apr_pool_t *p, const mez_key_t *key, const mez_corridor_terms_t *terms,
                                       uint64_t seq, const mez_digest_t *prev_root, const json_t *transition,
                                       apr_time_t now, json_t **receipt, mez_problem_t *pb)
{
    const char *ts = mez_time_stamp(p, now), *header = b64url_encode(p, JWS_HEADER, strlen(JWS_HEADER)), *input;
    unsigned char sig[MEZ_ED25519_SIG_LEN];
    mez_digest_t next_root;
    json_t *r;
    mez_status_t st;

    r = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s, s:O, s:O}", "type", MEZ_RECEIPT_TYPE,
                                       "corridor_id", terms->corridor_id, "sequence", (json_int_t)seq, "timestamp",
                                       ts, "prev_root", mez_digest_hex(p, prev_root), "lawpack_digest_set",
                                       terms->lawpack_digest_set, "ruleset_digest_set", terms->ruleset_digest_set));
    if (!r)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "receipt.invalid", "", "the receipt cannot be built");
    if (transition && !json_is_null(transition))
        json_object_set(r, "transition", (json_t *)transition);
    if ((st = mez_receipt_seal(p, r, &next_root, pb)) != MEZ_OK)
        return st;
    input = jws_signing_input(p, header, &next_root);
    if ((st = mez_key_sign(key, input, strlen(input), sig, pb, p)) != MEZ_OK)
        return st;
    json_object_set_new(r, "proof",
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", MEZ_RECEIPT_PROOF_TYPE, "created", ts,
                                  "verificationMethod", mez_did_key_verification_method(p, key), "proofPurpose",
                                  "assertionMethod", "jws",
                                  apr_pstrcat(p, header, "..", b64url_encode(p, sig, sizeof(sig)), NULL)));
    *receipt = r;
    return MEZ_OK;
}

mez_status_t mez_corridor_receipt_check_signature(apr_pool_t *p, const json_t *receipt, const mez_key_t *sequencer,
                                                  const char *base, mez_problem_t *pb)
{
    const json_t *proof = json_object_get(receipt, "proof");
    const char *jws, *dots, *vm, *want_vm = mez_did_key_verification_method(p, sequencer), *hdr_want;
    unsigned char *sig;
    size_t siglen;
    mez_digest_t next_root;
    mez_status_t st;

    base = base ? base : "";
    if (json_is_array(proof) && json_array_size(proof) == 1)
        proof = json_array_get(proof, 0);
    if (!json_is_object(proof))
        return bad(p, pb, 422, "receipt.unsigned", base, "/proof", "a corridor receipt carries its sequencer's proof");
    if (!mez_json_text(json_object_get(proof, "type"))
        || strcmp(mez_json_text(json_object_get(proof, "type")), MEZ_RECEIPT_PROOF_TYPE))
        return bad(p, pb, 422, "receipt.unsigned", base, "/proof/type", "the proof type is " MEZ_RECEIPT_PROOF_TYPE);
    /* The signature covers next_root only, so the proof's other members are pinned to what receipt_make writes
     * (every receipt mez ever signed has them so): an offline edit of them, or a re-push differing only there,
     * is refused instead of being taken for the sequencer's word or for a second receipt. Each is read whole
     * (mez_json_text): an edit after a NUL would otherwise pass every comparison below. */
    if (!mez_json_text(json_object_get(proof, "created")) || !mez_json_text(json_object_get(receipt, "timestamp"))
        || strcmp(mez_json_text(json_object_get(proof, "created")),
                  mez_json_text(json_object_get(receipt, "timestamp"))))
        return bad(p, pb, 422, "receipt.proof_mismatch", base, "/proof/created",
                   "a receipt proof's created is the receipt's timestamp (it is not signed)");
    if (!mez_json_text(json_object_get(proof, "proofPurpose"))
        || strcmp(mez_json_text(json_object_get(proof, "proofPurpose")), "assertionMethod"))
        return bad(p, pb, 422, "receipt.proof_mismatch", base, "/proof/proofPurpose",
                   "a receipt proof's proofPurpose is assertionMethod (it is not signed)");
    vm = mez_json_text(json_object_get(proof, "verificationMethod"));
    if (!vm || strcmp(vm, want_vm))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "receipt.signature_invalid",
                           apr_pstrcat(p, base, "/proof/verificationMethod", NULL),
                           "the receipt is signed by %s, not by the corridor's sequencer %s", vm ? vm : "nobody",
                           want_vm);
    if ((st = mez_receipt_next_root(p, receipt, &next_root, pb)) != MEZ_OK)
        return st;
    jws = mez_json_text(json_object_get(proof, "jws"));
    hdr_want = b64url_encode(p, JWS_HEADER, strlen(JWS_HEADER));
    dots = jws ? strstr(jws, "..") : NULL;
    if (!dots || (size_t)(dots - jws) != strlen(hdr_want) || strncmp(jws, hdr_want, strlen(hdr_want))
        || b64url_decode(p, dots + 2, strlen(dots + 2), &sig, &siglen) || siglen != MEZ_ED25519_SIG_LEN)
        return bad(p, pb, 401, "receipt.signature_invalid", base, "/proof/jws",
                   "jws is a detached EdDSA JWS with the unencoded next_root as its payload");
    {
        const char *input = jws_signing_input(p, hdr_want, &next_root);
        if (!mez_key_verify(sequencer, input, strlen(input), sig, siglen))
            return bad(p, pb, 401, "receipt.signature_invalid", base, "/proof/jws",
                       "the receipt's signature does not verify over its content");
    }
    return MEZ_OK;
}
