/* mez/corridor_exchange.h: receipts between the two zones of a corridor. One zone, the sequencer (the proposer),
 * writes the chain: it signs each receipt on its head and pushes what the other has not acknowledged. The other,
 * the responder, keeps a verified copy: it takes receipts the sequencer signed (pushed to it, or pulled), asks the
 * sequencer to record its own transitions, and keeps the sequencer's latest checkpoint once it has checked it
 * against its copy. Two signed receipts for one sequence number, or a checkpoint that contradicts the receipts,
 * halt the corridor with the evidence kept, and the peer is told.
 *
 * The store is mez/corridor.h's; what the server provides (the signed calls to the peer, metrics, the request's
 * audit identity) comes in a mez_corridor_env_t (mez/corridor_env.h). mod_mez_corridor.c serves the routes. */
#ifndef MEZ_CORRIDOR_EXCHANGE_H
#define MEZ_CORRIDOR_EXCHANGE_H

#include <stdint.h>
#include <jansson.h>
#include "mez/corridor.h"
#include "mez/corridor_env.h"
#include "mez/corridor_proto.h"

#define MEZ_CORRIDOR_BATCH 100      /* receipts per push or pull request, and per page of GET .../receipts */

/* The corridor's definition credential (*vc, pool-owned) and the terms it fixes (500 "corridor.row_damaged" when
 * the corridor has none). */
mez_status_t mez_corridor_definition(apr_pool_t *p, mez_db_t *db, const char *corridor_id, json_t **vc,
                                     mez_corridor_terms_t *terms, mez_problem_t *pb);

/* A transition a caller asks to record: an object with a non-empty kind that is not a key rotation's (those are
 * recorded by the rotation itself) and without requested_by (the sequencer's to record). 422 otherwise. */
mez_status_t mez_corridor_transition_check(apr_pool_t *p, const json_t *transition, mez_problem_t *pb);

/* What peer_zone_id may ask this zone (zone_id), the sequencer, to sign: the sequencer's signature on a receipt is
 * this zone's word, so a transition a peer requests must not speak for this zone. Whatever its kind, its
 * payload's source (and a transfer's outbound decision) is the requesting peer; a transfer or a migration must
 * name one, and goes from the peer to this zone, never to a third. 403 "corridor.peer_not_source" otherwise. */
mez_status_t mez_corridor_peer_may_request(apr_pool_t *p, const char *zone_id, const char *peer_zone_id,
                                           const json_t *transition, mez_problem_t *pb);

/* On the sequencer: 503 "corridor.key_rotating" while the chain says another key than zone_did's signs (this
 * zone's key was rotated and the server has not been reloaded with the new one yet): signing with the retired
 * key would make receipts and checkpoints nobody accepts. */
mez_status_t mez_corridor_may_sign(apr_pool_t *p, const char *zone_did, const mez_corridor_t *c, mez_problem_t *pb);

/* The sequencer appends transition to corridor id: in one transaction under the corridor's row lock, the receipt
 * is built and signed on the size and head read under that lock and appended, so concurrent sequencings get
 * consecutive numbers and none is ever taken for a fork of this zone's own. ref (may be NULL): a request's
 * reference; when a receipt was already appended under it, that one is answered (out->repeated). */
mez_status_t mez_corridor_sequence(const mez_corridor_env_t *env, const char *id, const json_t *transition,
                                   const char *ref, json_t **receipt, mez_corridor_append_t *out,
                                   mez_problem_t *pb);

/* The responder takes receipts the sequencer signed (pushed or pulled), in order, each under the row lock
 * (mez_corridor_take): one this copy holds is compared with the held one (the same text: a repeat, whatever key
 * signed it; another, checked with the key that signed at that number: a repeat or a fork), a new one must be
 * signed by the key that signs at its place in the chain (a recorded rotation moves it). A fork halts the corridor with its evidence (the
 * refusal is answered, pointers under base); *appended and *repeated count what happened before any refusal. */
mez_status_t mez_corridor_take_receipts(const mez_corridor_env_t *env, const mez_corridor_t *c,
                                        const json_t *receipts, const char *base, int *appended, int *repeated,
                                        mez_problem_t *pb);

/* The sequencer pushes every receipt from what the peer acknowledged; the peer's answer (its size and root, which
 * must be this chain's at that size) raises the acknowledgement. *peer_problem: the peer's own problem (a new
 * reference) when it refused, else NULL. */
mez_status_t mez_corridor_push(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                               mez_problem_t *pb);

/* The responder fetches what the sequencer has beyond its own copy, then its latest checkpoint. *peer_problem as
 * for mez_corridor_push. */
mez_status_t mez_corridor_pull(const mez_corridor_env_t *env, const char *id, json_t **peer_problem,
                               mez_problem_t *pb);

/* Records a transition on corridor id from either side: the sequencer appends and pushes; the responder asks
 * the sequencer, whose answer must carry the receipt it signed for this very transition (recorded with
 * requested_by naming this zone; else 502 "corridor.peer_invalid_answer", pointer "/receipt" or
 * "/receipt/transition", nothing taken), then takes that receipt into its own copy (after whatever it lacked), and
 * answers its *receipt and *seq only once it holds it. *delivery
 * ({delivered, code?, detail?, peer_problem?}) says whether the peer holds it (the sequencer's push); the
 * receipt is recorded either way. ref as for mez_corridor_sequence. */
mez_status_t mez_corridor_record(const mez_corridor_env_t *env, const char *id, const json_t *transition,
                                 const char *ref, json_t **receipt, uint64_t *seq, json_t **delivery,
                                 mez_problem_t *pb);

/* Halts corridor id for a fork whose evidence is kept (evidence_digest), audited ("corridor.halt"), and tells the
 * peer; a halt that cannot be recorded is a warning, the evidence staying kept. */
void mez_corridor_halt_for_fork(const mez_corridor_env_t *env, const char *id, const char *reason,
                                const char *evidence_digest);

/* After this zone halted or suspended its copy, the peer is told (best effort): {notified, state | code, detail,
 * peer_problem?} (a new reference). Other events are not sent ({notified: false}): each zone decides those for
 * its own copy. */
json_t *mez_corridor_tell_peer(const mez_corridor_env_t *env, const char *id, const char *event,
                               const json_t *evidence);

#endif
