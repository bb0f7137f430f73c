/* mez/transfer.h: cross-border transfers over a corridor. An entity of this zone pays an entity of the peer zone:
 *
 *   1. the destination evaluates the inbound side on its own packs and lists (peers/transfers/evaluate: a preview
 *      of its fiscal.inbound_transfer; its refusal is recorded there and ends the transfer here with nothing
 *      written);
 *   2. this zone runs its own write pipeline for the outbound payment (fiscal.payment to a corridor_settlement
 *      destination: its tensor, screening, the debit into its outbound settlement account, PaymentCredential and
 *      ComplianceAttestation); its refusal is answered as any payment's;
 *   3. the corridor receipt records the transfer with both zones' decisions;
 *   4. the destination settles (peers/transfers/settle): it reads the transfer from its own verified copy of the
 *      chain, runs its pipeline for real (deposit, InboundTransferCredential, attestation), exactly once per
 *      transfer (its Idempotency-Key is the transfer id, so even a transfer recorded twice on the chain is paid in
 *      once), and answers; a settlement that did not reach the peer is asked for again (mez_transfer_settle_again).
 *
 * Every step is idempotent by the transfer id: the destination's preview writes nothing, this zone's payment is
 * keyed "transfer:<id>", the receipt is recorded under the transfer id (a second record gets the first receipt),
 * and the destination settles once per transfer. What the server provides (the peer call, the corridor's record
 * and pull) comes in a mez_corridor_env_t (mez/corridor_env.h); mod_mez_transfer.c reads requests, keeps the
 * request's Idempotency-Key (the remote-call pattern of mez/idempotency.h) and answers. */
#ifndef MEZ_TRANSFER_H
#define MEZ_TRANSFER_H

#include <stdint.h>
#include <jansson.h>
#include "mez/corridor.h"
#include "mez/corridor_env.h"
#include "mez/orchestrate.h"
#include "mez/problem.h"

/* What a transfer answers, as bytes, so that an Idempotency-Key retry gets exactly them. */
typedef struct mez_transfer_answer_t {
    int status;
    const char *text;            /* the answer document, or a problem document (status >= 400), with a newline */
    const char *problem_code;    /* the problem's code when it is one of this zone's, for the log notes */
    const char *decision;        /* this zone's decision on the payment, for the log notes, or NULL */
    int money_moved;             /* this zone's payment is made: the transfer must be finished, not forgotten */
} mez_transfer_answer_t;

/* POST /v1/corridors/{corridor_id}/transfers {source_account_id, amount, currency, payment_type?,
 * destination: {account_id, compliance?}, compliance?} as transfer_id: the four steps, every outcome in *xa
 * (201 {transfer_id, corridor_id, sequence, receipt, outbound, inbound, settlement, delivery}; a refusal of
 * either zone's; a problem: 422 at the member's pointer, 409 "corridor.not_active", 503 "corridor.unknown_peer",
 * 422/409 "transfer.refused_by_destination" with the peer's problem, the corridor's problems after the payment
 * with {transfer_id, payment}). */
void mez_transfer_run(const mez_corridor_env_t *env, const char *corridor_id, const json_t *body,
                      const char *transfer_id, mez_transfer_answer_t *xa);

/* POST /v1/corridors/peers/transfers/evaluate {corridor_id, transfer}, from peer_zone_id over corridor c (checked
 * by the caller to be between the two): this zone's preview of the inbound side. *out is the pipeline's answer;
 * when it does not deny, *doc is the answer with "payee" {entity_id, legal_name} as this zone's registry names
 * the account's holder (the sending zone screens the beneficiary on its own lists too), else NULL. */
mez_status_t mez_transfer_inbound_evaluate(const mez_corridor_env_t *env, const char *peer_zone_id,
                                           const mez_corridor_t *c, const json_t *body, mez_orch_answer_t *out,
                                           json_t **doc, mez_problem_t *pb);

/* POST /v1/corridors/peers/transfers/settle {corridor_id, sequence} (mez_corridor_sequence_member): the deposit
 * of the transfer receipt seq records, once (a responder fetches what it lacks from the sequencer first;
 * *peer_problem the sequencer's problem then). *out is the pipeline's answer. Problems: 409 "corridor.not_active"
 * (the corridor is SUSPENDED, HALTED or DEPRECATED, the detail names which: nothing is pulled or paid; after a
 * suspension the source asks again once it is resumed), 409 "corridor.receipt_missing", 422
 * "transfer.not_inbound" (at /sequence). */
mez_status_t mez_transfer_inbound_settle(const mez_corridor_env_t *env, const char *peer_zone_id,
                                         const mez_corridor_t *c, uint64_t seq, mez_orch_answer_t *out,
                                         json_t **peer_problem, mez_problem_t *pb);

/* POST /v1/corridors/{corridor_id}/settle {sequence}: asks the destination again to settle a transfer this zone
 * sent. *answer: {corridor_id, sequence, settlement: {settled, answer | code, detail, peer_problem?}}. Problems:
 * 422 at /sequence (not a receipt of the corridor), mez_corridor_own_outbound's, 503 "corridor.unknown_peer". */
mez_status_t mez_transfer_settle_again(const mez_corridor_env_t *env, const char *corridor_id, const json_t *body,
                                       json_t **answer, mez_problem_t *pb);

#endif
