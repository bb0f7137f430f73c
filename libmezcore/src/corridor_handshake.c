/* corridor_handshake.c: two zones establish a corridor (mez/corridor_handshake.h): the proposal sent and taken,
 * the agreements exchanged, and both sides established on the same two agreements. The documents themselves are
 * corridor_proto.c's; the store is corridor_establish.c and corridor_store.c (the rows). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/rand.h>
#include "mez/audit.h"
#include "mez/corridor_handshake.h"
#include "mez/corridor_exchange.h"
#include "mez/corridor_proto.h"
#include "mez/json.h"
#include "mez/vc.h"

static const char *new_uuid(apr_pool_t *p)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NULL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 9562 variant */
    return apr_psprintf(p, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                        b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void audit(const mez_corridor_env_t *env, const char *action, const char *id, json_t *detail,
                  mez_audit_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    env->audit(env->baton, action, "corridor", id, detail, ev);
}

static mez_status_t deliver_definition(const mez_corridor_env_t *env, const json_t *definition,
                                       mez_peer_answer_t *ans, mez_problem_t *pb)
{
    return env->call_peer(env->baton, "POST", "/v1/corridors/peers/propose", NULL,
                          json_pack("{s:O}", "definition", definition), ans, pb);
}

mez_status_t mez_corridor_propose(const mez_corridor_env_t *env, const json_t *body, const char **id,
                                  json_t **delivery, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const mez_orch_zone_t *z = env->zone;
    const char *peer_zone = json_string_value(json_object_get(body, "peer_zone_id")), *peer_did = NULL;
    mez_problem_t dpb = { 0 };
    mez_corridor_terms_t terms;
    mez_corridor_doc_t doc;
    mez_peer_answer_t ans = { 0 };
    mez_audit_event_t aev;
    json_t *vc;
    mez_status_t st;

    *delivery = NULL;
    if (!peer_zone || env->peer(env->baton, peer_zone, &peer_did, &dpb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.unknown_peer", "/peer_zone_id",
                           "peer_zone_id names no MezPeer of this zone");
    *id = json_string_value(json_object_get(body, "corridor_id"));
    if (json_object_get(body, "corridor_id") && !*id)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/corridor_id",
                           "corridor_id is a lower-case UUID");
    if (!*id && !(*id = new_uuid(p)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.no_randomness", NULL, "no randomness for an id");
    if ((st = mez_corridor_definition_issue(p, z->key, z->zone_id, *id, peer_zone, peer_did,
                                            json_object_get(body, "lawpack_digest_set"),
                                            json_object_get(body, "ruleset_digest_set"), apr_time_now(), &vc, &terms,
                                            pb)) != MEZ_OK) {
        /* The definition's own pointers are under /credentialSubject; the caller gave the body's members. */
        if (pb->pointer && !strncmp(pb->pointer, "/credentialSubject", 18))
            pb->pointer = pb->pointer + 18;
        if (pb->code && !strcmp(pb->code, "corridor.definition_invalid"))
            pb->code = "corridor.invalid_field";
        return st;
    }
    doc.kind = "definition";
    doc.issuer = z->did;
    doc.payload_digest = terms.definition_digest;
    audit(env, "corridor.propose", *id, json_pack("{s:s, s:s, s:s}", "peer_zone_id", peer_zone, "peer_did", peer_did,
                                                  "definition_digest", terms.definition_digest), &aev);
    if ((st = mez_json_canonicalize(p, vc, &doc.text, NULL, pb)) != MEZ_OK
        || (st = mez_corridor_create_proposed(p, env->db, *id, peer_zone, peer_did, MEZ_CORRIDOR_PROPOSER, &doc,
                                              apr_time_now(), &aev, NULL, pb)) != MEZ_OK)
        return st;
    st = deliver_definition(env, vc, &ans, &dpb);
    *delivery = mez_peer_outcome("delivered", st, &dpb, ans.body);
    return MEZ_OK;
}

mez_status_t mez_corridor_propose_again(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                                        mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_corridor_terms_t terms;
    mez_peer_answer_t ans = { 0 };
    json_t *vc;
    mez_status_t st;

    *peer_problem = NULL;
    if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK
        || (st = mez_corridor_definition(p, env->db, id, &vc, &terms, pb)) != MEZ_OK)
        return st;
    if (c.role != MEZ_CORRIDOR_PROPOSER)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_proposer", NULL,
                           "corridor %s was proposed by %s: only the proposer sends its definition", id,
                           c.peer_zone_id);
    if ((st = env->peer(env->baton, c.peer_zone_id, NULL, pb)) != MEZ_OK)
        return st;
    if ((st = deliver_definition(env, vc, &ans, pb)) != MEZ_OK)
        *peer_problem = mez_peer_problem(&ans);
    return st;
}

mez_status_t mez_corridor_take_proposal(const mez_corridor_env_t *env, const char *peer_zone_id,
                                        const char *peer_did, const json_t *body, const char **id, int *repeated,
                                        int *refused_document, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    const mez_orch_zone_t *z = env->zone;
    const json_t *definition = json_object_get(body, "definition");
    mez_corridor_terms_t terms;
    mez_corridor_doc_t doc;
    mez_audit_event_t aev;
    mez_status_t st;

    *repeated = *refused_document = 0;
    if ((st = mez_corridor_definition_check(p, definition, peer_did, z->zone_id, z->did, "/definition", &terms, pb))
        != MEZ_OK) {
        *refused_document = 1;
        return st;
    }
    if (strcmp(terms.proposer_zone_id, peer_zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "corridor.not_party", "/definition/credentialSubject/participants",
                           "the definition's proposer is zone %s, but %s sent it", terms.proposer_zone_id,
                           peer_zone_id);
    doc.kind = "definition";
    doc.issuer = peer_did;
    doc.payload_digest = terms.definition_digest;
    audit(env, "corridor.proposed_by_peer", terms.corridor_id,
          json_pack("{s:s, s:s, s:s}", "peer_zone_id", peer_zone_id, "peer_did", peer_did, "definition_digest",
                    terms.definition_digest), &aev);
    *id = terms.corridor_id;
    if ((st = mez_json_canonicalize(p, definition, &doc.text, NULL, pb)) != MEZ_OK)
        return st;
    return mez_corridor_create_proposed(p, env->db, terms.corridor_id, peer_zone_id, peer_did, MEZ_CORRIDOR_RESPONDER,
                                        &doc, apr_time_now(), &aev, repeated, pb);
}

static mez_status_t doc_of(apr_pool_t *p, const json_t *vc, const char *issuer, const char *digest,
                           mez_corridor_doc_t *d, mez_problem_t *pb)
{
    d->kind = "agreement";
    d->issuer = issuer;
    d->payload_digest = digest;
    return mez_json_canonicalize(p, vc, &d->text, NULL, pb);
}

/* Both agreements checked: keep them, compute the genesis and move DRAFT -> PENDING -> ACTIVE. */
static mez_status_t establish(const mez_corridor_env_t *env, const mez_corridor_terms_t *terms, const json_t *pa,
                              const char *pa_digest, const json_t *ra, const char *ra_digest, mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_doc_t docs[2];
    const char *set;
    mez_digest_t genesis;
    mez_audit_event_t aev;
    json_t *submit, *activate;
    mez_status_t st;
    if ((st = doc_of(p, pa, terms->proposer_did, pa_digest, &docs[0], pb)) != MEZ_OK
        || (st = doc_of(p, ra, terms->responder_did, ra_digest, &docs[1], pb)) != MEZ_OK
        || (st = mez_corridor_genesis(p, terms, pa_digest, ra_digest, &set, &genesis, pb)) != MEZ_OK
        || (st = mez_corridor_establish_evidence(p, terms, set, pa_digest, ra_digest, &submit, &activate, pb))
               != MEZ_OK)
        return st;
    /* The zone's audit chain says when its corridor came into force and on which agreements. */
    audit(env, "corridor.establish", terms->corridor_id,
          json_pack("{s:s, s:s, s:s, s:s}", "proposer_zone_id", terms->proposer_zone_id, "responder_zone_id",
                    terms->responder_zone_id, "agreement_set_digest", set, "genesis_root",
                    mez_digest_hex(p, &genesis)), &aev);
    return mez_corridor_establish(p, env->db, terms->corridor_id, docs, 2, set, &genesis, submit, activate,
                                  apr_time_now(), &aev, NULL, pb);
}

mez_status_t mez_corridor_agreements(apr_pool_t *p, mez_db_t *db, const char *id, json_t **out, mez_problem_t *pb)
{
    apr_array_header_t *docs;
    json_t *arr;
    mez_status_t st;
    if ((st = mez_corridor_documents(p, db, id, &docs, pb)) != MEZ_OK)
        return st;
    arr = json_array();
    for (int i = 0; i < docs->nelts; i++) {
        const mez_corridor_doc_t *d = &APR_ARRAY_IDX(docs, i, mez_corridor_doc_t);
        json_t *vc;
        if (strcmp(d->kind, "agreement"))
            continue;
        if ((st = mez_json_parse(p, d->text, strlen(d->text), &vc, pb)) != MEZ_OK) {
            json_decref(arr);
            return st;
        }
        json_array_append(arr, vc);
    }
    *out = arr;
    return MEZ_OK;
}

mez_status_t mez_corridor_take_agreement(const mez_corridor_env_t *env, const mez_corridor_t *c, const char *peer_did,
                                         const json_t *body, json_t **agreements, int *refused_document,
                                         mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_terms_t terms;
    const char *ra_digest, *pa_digest;
    json_t *vc, *pa;
    mez_status_t st;

    *refused_document = 0;
    *agreements = NULL;
    if (c->role != MEZ_CORRIDOR_PROPOSER)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_proposer", "/corridor_id",
                           "this zone did not propose corridor %s: its proposer accepts agreements", c->corridor_id);
    if (!c->established) {
        if ((st = mez_corridor_definition(p, env->db, c->corridor_id, &vc, &terms, pb)) != MEZ_OK)
            return st;
        if ((st = mez_corridor_agreement_check(p, json_object_get(body, "agreement"), &terms, peer_did, "/agreement",
                                               &ra_digest, pb)) != MEZ_OK) {
            *refused_document = 1;
            return st;
        }
        if ((st = mez_corridor_agreement_issue(p, env->zone->key, env->zone->zone_id, &terms, apr_time_now(), &pa,
                                               pb)) != MEZ_OK
            || (st = mez_corridor_payload_digest(p, pa, &pa_digest, pb)) != MEZ_OK
            || (st = establish(env, &terms, pa, pa_digest, json_object_get(body, "agreement"), ra_digest, pb))
               != MEZ_OK)
            return st;
    }
    /* Established (now or by an earlier delivery whose answer was lost): both agreements as kept. */
    return mez_corridor_agreements(p, env->db, c->corridor_id, agreements, pb);
}

mez_status_t mez_corridor_accept(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                                 mez_problem_t *pb)
{
    apr_pool_t *p = env->p;
    mez_corridor_t c;
    mez_corridor_terms_t terms;
    mez_peer_answer_t ans = { 0 };
    const char *pa_digest = NULL, *ra_digest = NULL;
    const json_t *pa = NULL, *ra = NULL, *agreements, *x;
    json_t *vc, *mine;
    size_t i;
    mez_status_t st;

    *peer_problem = NULL;
    if ((st = mez_corridor_get(p, env->db, id, &c, pb)) != MEZ_OK)
        return st;
    if (c.role != MEZ_CORRIDOR_RESPONDER)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_responder", NULL,
                           "this zone proposed corridor %s: its peer %s accepts it", id, c.peer_zone_id);
    if (c.established)
        return MEZ_OK;
    if ((st = env->peer(env->baton, c.peer_zone_id, NULL, pb)) != MEZ_OK
        || (st = mez_corridor_definition(p, env->db, id, &vc, &terms, pb)) != MEZ_OK
        || (st = mez_corridor_agreement_issue(p, env->zone->key, env->zone->zone_id, &terms, apr_time_now(), &mine,
                                              pb)) != MEZ_OK)
        return st;
    if ((st = env->call_peer(env->baton, "POST", "/v1/corridors/peers/accept", NULL,
                             json_pack("{s:s, s:O}", "corridor_id", id, "agreement", mine), &ans, pb)) != MEZ_OK) {
        *peer_problem = mez_peer_problem(&ans);
        return st;
    }
    /* The proposer answers with both agreements it holds. Ours may be one sent earlier whose answer was lost:
     * whichever it kept is the one the corridor is established on, and it must still be ours. */
    agreements = json_object_get(ans.body, "agreements");
    json_array_foreach(agreements, i, x) {
        const char *issuer = mez_vc_issuer_id(x);
        if (issuer && !strcmp(issuer, terms.proposer_did) && !pa)
            pa = x;
        else if (issuer && !strcmp(issuer, terms.responder_did) && !ra)
            ra = x;
    }
    if (!pa || !ra)
        return mez_problem(pb, p, MEZ_EIO, 502, "corridor.peer_invalid_answer", NULL,
                           "peer %s did not answer with both agreements", c.peer_zone_id);
    if ((st = mez_corridor_agreement_check(p, pa, &terms, terms.proposer_did, "/agreements", &pa_digest, pb))
            != MEZ_OK
        || (st = mez_corridor_agreement_check(p, ra, &terms, terms.responder_did, "/agreements", &ra_digest, pb))
               != MEZ_OK) {
        pb->status = 502;
        pb->code = "corridor.peer_invalid_answer";
        return MEZ_EIO;
    }
    return establish(env, &terms, pa, pa_digest, ra, ra_digest, pb);
}
