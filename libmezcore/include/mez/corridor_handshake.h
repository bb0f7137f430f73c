/* mez/corridor_handshake.h: how two zones establish a corridor. The proposer issues a CorridorDefinition
 * credential (mez/corridor_proto.h) and sends it to its peer, which checks and keeps it (DRAFT on both sides). The
 * responder's operator accepts: the responder issues its CorridorAgreement and sends it; the proposer checks it,
 * counter-signs its own, and both zones establish on the same two agreements (their digest set, the genesis root),
 * DRAFT -> PENDING -> ACTIVE, each in one audited transaction. An answer lost on the way is repaired by asking
 * again: a definition or agreement delivered twice is kept once, and an established corridor answers the
 * agreements it was established on.
 *
 * What the server provides (the signed calls, the request's audit identity) comes in a mez_corridor_env_t
 * (mez/corridor_env.h); mod_mez_corridor.c serves the routes and keeps evidence of a peer's refused documents. */
#ifndef MEZ_CORRIDOR_HANDSHAKE_H
#define MEZ_CORRIDOR_HANDSHAKE_H

#include <jansson.h>
#include "mez/corridor.h"
#include "mez/corridor_env.h"

/* The agreements corridor id was established on, as kept (*out: an array, a new reference; empty before). */
mez_status_t mez_corridor_agreements(apr_pool_t *p, mez_db_t *db, const char *id, json_t **out, mez_problem_t *pb);

/* POST /v1/corridors {peer_zone_id, corridor_id?, lawpack_digest_set?, ruleset_digest_set?} (members already
 * limited to these): the definition issued, the corridor kept as proposed (audited "corridor.propose") and the
 * definition sent to the peer. *id is the corridor's; *delivery {delivered, code?, detail?, peer_problem?} (a new
 * reference) says whether the peer took it (the corridor exists either way). Problems: 422
 * "corridor.unknown_peer" (/peer_zone_id), "corridor.invalid_field" (at the body's member), the store's. */
mez_status_t mez_corridor_propose(const mez_corridor_env_t *env, const json_t *body, const char **id,
                                  json_t **delivery, mez_problem_t *pb);

/* POST /v1/corridors/{id}/propose: the stored definition sent again, for a peer that did not get it (409
 * "corridor.not_proposer" on the responder's side; the peer's refusal with *peer_problem, a new reference). */
mez_status_t mez_corridor_propose_again(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                                        mez_problem_t *pb);

/* POST /v1/corridors/peers/propose {definition} from peer_zone_id (peer_did): the definition checked and kept
 * (audited "corridor.proposed_by_peer"; *repeated when the same one was kept before). *id is the corridor's.
 * *refused_document is 1 when the refusal is of the definition itself (evidence the caller keeps). */
mez_status_t mez_corridor_take_proposal(const mez_corridor_env_t *env, const char *peer_zone_id,
                                        const char *peer_did, const json_t *body, const char **id, int *repeated,
                                        int *refused_document, mez_problem_t *pb);

/* POST /v1/corridors/peers/accept {corridor_id, agreement} on the proposer, from peer_did over corridor c (checked
 * by the caller to be between the two): the responder's agreement checked, this zone's issued, both kept and
 * the corridor established, unless it is already. *agreements: both agreements as kept (a new reference).
 * *refused_document as for mez_corridor_take_proposal. */
mez_status_t mez_corridor_take_agreement(const mez_corridor_env_t *env, const mez_corridor_t *c, const char *peer_did,
                                         const json_t *body, json_t **agreements, int *refused_document,
                                         mez_problem_t *pb);

/* POST /v1/corridors/{id}/accept on the responder: its agreement issued and sent; the proposer's answer (both
 * agreements it holds) checked; both kept and the corridor established. An established corridor is answered as
 * it is. *peer_problem: the peer's refusal (a new reference), or NULL. */
mez_status_t mez_corridor_accept(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                                 mez_problem_t *pb);

#endif
