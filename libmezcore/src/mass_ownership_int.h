/* mass_ownership_int.h: what the ownership primitive's files share (private to libmezcore): the cap-table state
 * document and its digest, positions (holdings) changed only by guarded statements, and the invariant check every
 * mutation ends with. */
#ifndef MEZ_MASS_OWNERSHIP_INT_H
#define MEZ_MASS_OWNERSHIP_INT_H

#include <stdint.h>
#include "mass_int.h"
#include "mass_values.h"

/* At most this many share classes in a cap table and initial holders in its request: a real cap table has a
 * handful of classes, and the bound keeps every total of authorized or issued shares (each class at most
 * MEZ_MASS_SHARES_MAX) inside int64 with room to spare; the holders' bound keeps one request's writes bounded. */
#define MEZ_MASS_SHARE_CLASSES_MAX 100
#define MEZ_MASS_INITIAL_HOLDERS_MAX 10000
_Static_assert(MEZ_MASS_SHARES_MAX <= INT64_MAX / MEZ_MASS_SHARE_CLASSES_MAX,
               "a cap table's share totals must fit in int64");

/* Takes the cap table's row lock for this mutation (every mutation of one cap table queues here, so the digest it
 * answers is of the state it left) and counts the mutation. *version is the new count; answers 404
 * ownership.cap_table_not_found (pointer), 409 ownership.cap_table_frozen or 409 ownership.entity_inactive (the
 * entity's shares can no longer move: mez_mass_entity_shares_move) and sets *version to -1. */
mez_status_t mez_own_lock(mez_mass_call_t *c, const char *entity_id, const char *pointer, int64_t *version);

/* The CapTable document of an entity (*doc NULL when it has none), with state_digest_sha256 filled in:
 * sha256 hex of the canonical JSON (RFC 8785) of the document without cap_table_id, created_at, updated_at and
 * state_digest_sha256 - what the cap table holds, not when. fully_diluted: include fully_diluted_shares. */
mez_status_t mez_own_cap_table(mez_mass_call_t *c, const char *entity_id, int fully_diluted, json_t **doc);

/* Adds shares to a holder's position (made when new), averaging the cost basis per share: price_micro -1 when
 * unknown (an unknown on either side makes the average unknown, except into an empty position). date is the
 * acquisition date the position then carries (its latest lot, as the contract's averaged basis has it). */
mez_status_t mez_own_credit(mez_mass_call_t *c, const char *entity_id, const char *share_class_id,
                            const char *holder_id, const char *holder_type, const char *name, const char *ntn,
                            int64_t shares, int64_t price_micro, const char *date);
/* Takes shares from a position by one guarded UPDATE (never below zero); *ok 0 when the holder has fewer. */
mez_status_t mez_own_debit(mez_mass_call_t *c, const char *share_class_id, const char *holder_id, int64_t shares,
                           int *ok);

/* The invariants, in one place: for every class of the entity, issued = sum of its positions <= authorized, and no
 * position below zero. A violation (a bug) is a 500 "ownership.invariant_violated" in c->pb and *ok 0. */
mez_status_t mez_own_check(mez_mass_call_t *c, const char *entity_id, int *ok);

/* Reads a share count member ("^[0-9]+$", at most MEZ_MASS_SHARES_MAX) and a price member (decimal string, kept in
 * millionths); 1 when acceptable, 0 after refusing. positive: 0 is refused too. */
int mez_own_get_shares(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                       int positive, int64_t *out);
int mez_own_get_price(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int64_t *out);

#endif
