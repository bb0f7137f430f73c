/* watcher.c: corridor watchers (mez/watcher.h): their rows and lifecycle moves with an event log, and the
 * attestations they sign, checked against this zone's chain. Every write reads the watcher's row under its lock
 * first (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), so what it checks is what it changes. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/rand.h>
#include "mez/checkpoint.h"
#include "mez/corridor.h"
#include "mez/audit.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/vc.h"
#include "mez/watcher.h"
#include "corridor_int.h"

#define MAX_MINOR ((uint64_t)INT64_MAX)   /* BIGINT columns */

static const char *u64s(apr_pool_t *p, uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    apr_int64_t v;
    if (!s || !*s)
        return 0;
    v = apr_strtoi64(s, &end, 10);
    if (*end || v < 0)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static const char *state_name(int s)
{
    return mez_lifecycle_state_name(MEZ_LIFECYCLE_WATCHER, s);
}

/* ------------------------------------------------------------------ rows */

#define WATCHER_COLS "watcher_id, did, state, stake_minor, currency, slashed_minor, created_at, updated_at"

static mez_status_t row_of(apr_pool_t *p, const char *const *c, mez_watcher_t *out, mez_problem_t *pb)
{
    memset(out, 0, sizeof(*out));
    out->watcher_id = c[0];
    out->did = c[1];
    out->currency = c[4];
    out->created_at = c[6];
    out->updated_at = c[7];
    if (mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_WATCHER, c[2], &out->state, pb) != MEZ_OK
        || !parse_u64(c[3], &out->stake_minor) || !parse_u64(c[5], &out->slashed_minor))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.row_damaged", NULL,
                           "watcher %s: stored row is malformed", c[0] ? c[0] : "?");
    return MEZ_OK;
}

static mez_status_t read_by(apr_pool_t *p, mez_db_t *db, const char *column, const char *value, int lock,
                            mez_watcher_t *out, int *found, mez_problem_t *pb)
{
    const char *c[8];
    mez_status_t st = mez_db_query_row(p, db, c, 8, found,
                                       apr_pstrcat(p, "SELECT " WATCHER_COLS " FROM mez_watcher WHERE ", column,
                                                   " = %s", lock ? mez_db_for_update(db) : "", NULL),
                                       pb, value, NULL);
    if (st != MEZ_OK || !*found)
        return st;
    return row_of(p, c, out, pb);
}

static mez_status_t read_id(apr_pool_t *p, mez_db_t *db, const char *watcher_id, int lock, mez_watcher_t *out,
                            mez_problem_t *pb)
{
    int found = 0;
    mez_status_t st = read_by(p, db, "watcher_id", watcher_id ? watcher_id : "", lock, out, &found, pb);
    if (st == MEZ_OK && !found)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "watcher.not_found", NULL, "no watcher %s",
                           watcher_id ? watcher_id : "");
    return st;
}

mez_status_t mez_watcher_get(apr_pool_t *p, mez_db_t *db, const char *watcher_id, mez_watcher_t *out,
                             mez_problem_t *pb)
{
    return read_id(p, db, watcher_id, 0, out, pb);
}

mez_status_t mez_watcher_get_by_did(apr_pool_t *p, mez_db_t *db, const char *did, mez_watcher_t *out,
                                    mez_problem_t *pb)
{
    int found = 0;
    mez_status_t st = read_by(p, db, "did", did ? did : "", 0, out, &found, pb);
    if (st == MEZ_OK && !found)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "watcher.not_found", NULL, "no watcher has DID %s",
                           did ? did : "");
    return st;
}

mez_status_t mez_watcher_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = mez_db_query_rows(p, db, 8, &rows, "SELECT " WATCHER_COLS " FROM mez_watcher "
                                        "ORDER BY created_at, watcher_id", pb, NULL);
    if (st != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_watcher_t));
    for (int i = 0; i < rows->nelts; i++)
        if ((st = row_of(p, APR_ARRAY_IDX(rows, i, const char **), apr_array_push(*out), pb)) != MEZ_OK)
            return st;
    return MEZ_OK;
}

mez_status_t mez_watcher_events(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_array_header_t **out,
                                mez_problem_t *pb)
{
    mez_watcher_t w;
    apr_array_header_t *rows;
    mez_status_t st;
    if ((st = read_id(p, db, watcher_id, 0, &w, pb)) != MEZ_OK
        || (st = mez_db_query_rows(p, db, 9, &rows,
                                   "SELECT step, event, from_state, to_state, amount_minor, reason, evidence, "
                                   "evidence_digest, created_at FROM mez_watcher_event WHERE watcher_id = %s "
                                   "ORDER BY step", pb, watcher_id, NULL)) != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_watcher_log_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char **c = APR_ARRAY_IDX(rows, i, const char **);
        mez_watcher_log_t *e = apr_array_push(*out);
        e->step = atoi(c[0]);
        e->event = c[1];
        e->from_state = c[2];
        e->to_state = c[3];
        if (!parse_u64(c[4], &e->amount_minor))
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.row_damaged", NULL,
                               "watcher %s: event %s is malformed", watcher_id, c[0]);
        e->reason = c[5];
        e->evidence = c[6];
        e->evidence_digest = c[7];
        e->created_at = c[8];
    }
    return MEZ_OK;
}

/* Writes w's state, stake and currency and logs the move that led there (from_state NULL for "register"). */
static mez_status_t save(apr_pool_t *p, mez_db_t *db, const mez_watcher_t *w, const char *event,
                         const char *from_state, uint64_t amount, const char *reason, const char *evidence,
                         const char *evidence_digest, const char *at, mez_problem_t *pb)
{
    const char *steps = NULL;
    mez_status_t st;
    if ((st = mez_db_execv(p, db, NULL,
                           "UPDATE mez_watcher SET state = %s, stake_minor = %s, currency = %s, slashed_minor = %s, "
                           "updated_at = %s WHERE watcher_id = %s", pb, state_name(w->state), u64s(p, w->stake_minor),
                           w->currency ? w->currency : MEZ_DB_NULL, u64s(p, w->slashed_minor), at, w->watcher_id,
                           NULL)) != MEZ_OK
        || (st = mez_db_query_value(p, db, &steps, "SELECT COUNT(*) FROM mez_watcher_event WHERE watcher_id = %s",
                                    pb, w->watcher_id, NULL)) != MEZ_OK)
        return st;
    return mez_db_execv(p, db, NULL,
                        "INSERT INTO mez_watcher_event (watcher_id, step, event, from_state, to_state, amount_minor, "
                        "reason, evidence, evidence_digest, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
                        "%s)", pb, w->watcher_id, apr_itoa(p, (steps ? atoi(steps) : 0) + 1), event,
                        from_state ? from_state : MEZ_DB_NULL, state_name(w->state), u64s(p, amount),
                        reason ? reason : MEZ_DB_NULL, evidence ? evidence : MEZ_DB_NULL,
                        evidence_digest ? evidence_digest : MEZ_DB_NULL, at, NULL);
}

/* ------------------------------------------------------------------ moves (inside a transaction) */

static mez_status_t new_id(apr_pool_t *p, const char **out, mez_problem_t *pb)
{
    unsigned char b[16];
    mez_digest_t d;
    if (RAND_bytes(b, sizeof(b)) != 1)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.no_randomness", NULL, "RAND_bytes failed");
    memset(&d, 0, sizeof(d));
    memcpy(d.bytes, b, sizeof(b));
    *out = apr_pstrcat(p, "wat_", apr_pstrndup(p, mez_digest_hex(p, &d), 32), NULL);
    return MEZ_OK;
}

static mez_status_t register_in(apr_pool_t *p, mez_db_t *db, const char *did, const char *at, mez_watcher_t *out,
                                mez_problem_t *pb)
{
    mez_key_t *key;
    const char *exists = NULL;
    mez_status_t st;
    /* A watcher is its key: only a bare did:key (no fragment) of an Ed25519 key names one. */
    if (!did || strncmp(did, "did:key:", 8) || strchr(did, '#')
        || mez_did_key_resolve(p, did, &key, NULL) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_did", "/did",
                           "a watcher is registered by the did:key of its Ed25519 key (no fragment)");
    if ((st = mez_db_query_value(p, db, &exists, "SELECT watcher_id FROM mez_watcher WHERE did = %s", pb, did,
                                 NULL)) != MEZ_OK)
        return st;
    if (exists)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.exists", "/did", "%s is already watcher %s", did, exists);
    memset(out, 0, sizeof(*out));
    if ((st = new_id(p, &out->watcher_id, pb)) != MEZ_OK)
        return st;
    out->did = did;
    out->state = mez_lifecycle_initial_state(MEZ_LIFECYCLE_WATCHER);
    out->created_at = out->updated_at = at;
    if ((st = mez_db_execv(p, db, NULL,
                           "INSERT INTO mez_watcher (watcher_id, did, state, stake_minor, slashed_minor, created_at, "
                           "updated_at) VALUES (%s, %s, %s, 0, 0, %s, %s)", pb, out->watcher_id, did,
                           state_name(out->state), at, at, NULL)) != MEZ_OK)
        return st;
    return save(p, db, out, "register", NULL, 0, NULL, NULL, NULL, at, pb);
}

static int is_currency(const char *c)
{
    return c && strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A'
           && c[2] <= 'Z';
}

/* A plain move with no amount (activate, unbond). */
static mez_status_t step_in(apr_pool_t *p, mez_db_t *db, mez_watcher_t *w, int ev, const char *at,
                            mez_problem_t *pb)
{
    const char *from = state_name(w->state);
    int to;
    mez_status_t st;
    if ((st = mez_lifecycle_step(p, MEZ_LIFECYCLE_WATCHER, w->state, ev, &to, NULL, pb)) != MEZ_OK)
        return st;
    w->state = to;
    w->updated_at = at;
    return save(p, db, w, mez_lifecycle_event_name(MEZ_LIFECYCLE_WATCHER, ev), from, 0, NULL, NULL, NULL, at, pb);
}

/* bond from REGISTERED, rebond from SLASHED; any other state gets the lifecycle's 409 for "bond". */
static mez_status_t bond_in(apr_pool_t *p, mez_db_t *db, mez_watcher_t *w, uint64_t amount, const char *currency,
                            const char *at, mez_problem_t *pb)
{
    const char *from = state_name(w->state);
    int ev = w->state == MEZ_WATCHER_SLASHED ? MEZ_WATCHER_EV_REBOND : MEZ_WATCHER_EV_BOND, to;
    mez_status_t st;
    if (amount == 0 || amount > MAX_MINOR)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_stake", "/stake/amount_minor",
                           "a stake is a whole number of minor units, 1 .. 9223372036854775807");
    if (!is_currency(currency))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_currency", "/stake/currency",
                           "currency is an ISO 4217 code: three upper-case letters");
    if ((st = mez_lifecycle_step(p, MEZ_LIFECYCLE_WATCHER, w->state, ev, &to, NULL, pb)) != MEZ_OK)
        return st;
    if (w->currency && w->stake_minor + w->slashed_minor > 0 && strcmp(w->currency, currency))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.currency_mismatch", "/stake/currency",
                           "watcher %s holds its stake in %s", w->watcher_id, w->currency);
    /* stake + slashed only grows here, so bounding it bounds every later sum of the two. */
    if (amount > MAX_MINOR - w->stake_minor - w->slashed_minor)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_stake", "/stake/amount_minor",
                           "the stake would exceed 9223372036854775807 minor units");
    w->stake_minor += amount;
    w->currency = currency;
    w->state = to;
    w->updated_at = at;
    return save(p, db, w, mez_lifecycle_event_name(MEZ_LIFECYCLE_WATCHER, ev), from, amount, NULL, NULL, NULL, at,
                pb);
}

/* The stake of an UNBONDING watcher is held for `period` after its unbonding began (updated_at: every move out of
 * UNBONDING leaves it), the time in which evidence of what it attested while bonded may still arrive and be
 * slashed; only then is it returned. A protocol's duration (MezWatcherUnbondingPeriod, in seconds to days), not
 * days of law: counted from the instant, not on the zone's calendar. */
static mez_status_t complete_in(apr_pool_t *p, mez_db_t *db, mez_watcher_t *w, apr_time_t now,
                                apr_interval_time_t period, mez_problem_t *pb)
{
    const char *from = state_name(w->state), *at = mez_time_stamp(p, now);
    uint64_t returned = w->stake_minor;
    apr_time_t began;
    int to;
    mez_status_t st;
    if ((st = mez_lifecycle_step(p, MEZ_LIFECYCLE_WATCHER, w->state, MEZ_WATCHER_EV_COMPLETE_UNBOND, &to, NULL, pb))
        != MEZ_OK)
        return st;
    if (period > 0 && (!w->updated_at || mez_time_parse_rfc3339(w->updated_at, &began) || now < began + period))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.unbonding", NULL,
                           "watcher %s began unbonding at %s; its stake is held until %s (the zone's unbonding "
                           "period, MezWatcherUnbondingPeriod), while evidence of what it attested may still arrive",
                           w->watcher_id, w->updated_at ? w->updated_at : "?",
                           w->updated_at && !mez_time_parse_rfc3339(w->updated_at, &began)
                               ? mez_time_stamp(p, began + period) : "?");
    w->stake_minor = 0;
    w->state = to;
    w->updated_at = at;
    return save(p, db, w, "complete_unbond", from, returned, NULL, NULL, NULL, at, pb);
}

/* Slashes w for reason with the evidence (canonical JSON text) kept in its event. */
static mez_status_t slash_in(apr_pool_t *p, mez_db_t *db, mez_watcher_t *w, mez_slash_reason_t reason,
                             const char *evidence, const char *at, uint64_t *slashed, const char **evidence_digest,
                             mez_problem_t *pb)
{
    const char *from = state_name(w->state);
    mez_digest_t d;
    int to;
    mez_status_t st;
    if ((st = mez_lifecycle_watcher_slash(p, w->state, reason, w->stake_minor, slashed, &to, pb)) != MEZ_OK)
        return st;
    mez_digest_sha256(evidence, strlen(evidence), &d);
    *evidence_digest = mez_digest_format(p, &d);
    w->stake_minor -= *slashed;
    w->slashed_minor += *slashed;
    w->state = to;
    w->updated_at = at;
    return save(p, db, w, reason == MEZ_SLASH_COLLUSION ? "ban" : "slash", from, *slashed,
                mez_lifecycle_slash_reason_name(reason), evidence, *evidence_digest, at, pb);
}

/* ------------------------------------------------------------------ the public moves */

typedef enum { OP_BOND, OP_ACTIVATE, OP_UNBOND, OP_COMPLETE, OP_REBOND } op_t;

/* The zone's audit row of a watcher's move, naming its state and stake after it. */
static mez_status_t audit_move(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *audit, const mez_watcher_t *w,
                               mez_problem_t *pb)
{
    mez_audit_event_t ev = *audit;
    ev.resource_type = "watcher";
    ev.resource_id = w->watcher_id;
    ev.detail = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s*}", "did", w->did, "state",
                                               state_name(w->state), "stake_minor", (json_int_t)w->stake_minor,
                                               "currency", w->currency));
    return mez_audit_append(p, db, &ev, pb);
}

/* One move of an existing watcher in its own transaction, with the zone's audit row of it; *out gets the watcher
 * afterwards. period: OP_COMPLETE's unbonding period. */
static mez_status_t run(apr_pool_t *p, mez_db_t *db, const char *watcher_id, op_t op, uint64_t amount,
                        const char *currency, apr_time_t now, apr_interval_time_t period,
                        const mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now);
    mez_watcher_t w;
    mez_db_tx_t *tx;
    mez_status_t st;
    if ((st = mez_audit_required(p, audit, "a watcher's move", pb)) != MEZ_OK
        || (st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = read_id(p, db, watcher_id, 1, &w, pb)) == MEZ_OK) {
        switch (op) {
        case OP_BOND:     st = bond_in(p, db, &w, amount, currency, at, pb); break;
        case OP_ACTIVATE: st = step_in(p, db, &w, MEZ_WATCHER_EV_ACTIVATE, at, pb); break;
        case OP_UNBOND:   st = step_in(p, db, &w, MEZ_WATCHER_EV_UNBOND, at, pb); break;
        case OP_COMPLETE: st = complete_in(p, db, &w, now, period, pb); break;
        case OP_REBOND:
            /* A slashed watcher bonds again and is back at work in one step, as an enrolment is. */
            if (w.state != MEZ_WATCHER_SLASHED)
                st = mez_problem(pb, p, MEZ_EINVAL, 409, "lifecycle.illegal_transition", NULL,
                                 "watcher %s is %s: only a SLASHED watcher rebonds", w.watcher_id,
                                 state_name(w.state));
            else if ((st = bond_in(p, db, &w, amount, currency, at, pb)) == MEZ_OK)
                st = step_in(p, db, &w, MEZ_WATCHER_EV_ACTIVATE, at, pb);
            break;
        }
    }
    if (st == MEZ_OK)
        st = audit_move(p, db, audit, &w, pb);
    if (st != MEZ_OK) {
        mez_db_rollback(p, tx);
        return st;
    }
    if ((st = mez_db_commit(p, tx, pb)) == MEZ_OK && out)
        *out = w;
    return st;
}

/* A new watcher in its own transaction: registered, and when it bonds, bonded and activated too. */
static mez_status_t enter(apr_pool_t *p, mez_db_t *db, const char *did, int bonds, uint64_t amount_minor,
                          const char *currency, apr_time_t now, const mez_audit_event_t *audit, mez_watcher_t *out,
                          mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now);
    mez_watcher_t w;
    mez_db_tx_t *tx;
    mez_status_t st;
    if ((st = mez_audit_required(p, audit, "a watcher's move", pb)) != MEZ_OK
        || (st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = register_in(p, db, did, at, &w, pb)) != MEZ_OK
        || (bonds && (st = bond_in(p, db, &w, amount_minor, currency, at, pb)) != MEZ_OK)
        || (bonds && (st = step_in(p, db, &w, MEZ_WATCHER_EV_ACTIVATE, at, pb)) != MEZ_OK)
        || (st = audit_move(p, db, audit, &w, pb)) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return st;
    }
    if ((st = mez_db_commit(p, tx, pb)) == MEZ_OK && out)
        *out = w;
    return st;
}

mez_status_t mez_watcher_register(apr_pool_t *p, mez_db_t *db, const char *did, apr_time_t now,
                                  const mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb)
{
    return enter(p, db, did, 0, 0, NULL, now, audit, out, pb);
}

mez_status_t mez_watcher_enrol(apr_pool_t *p, mez_db_t *db, const char *did, uint64_t amount_minor,
                               const char *currency, apr_time_t now, const mez_audit_event_t *audit,
                               mez_watcher_t *out, mez_problem_t *pb)
{
    return enter(p, db, did, 1, amount_minor, currency, now, audit, out, pb);
}

mez_status_t mez_watcher_bond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, uint64_t amount_minor,
                              const char *currency, apr_time_t now, const mez_audit_event_t *audit,
                              mez_watcher_t *out, mez_problem_t *pb)
{
    return run(p, db, watcher_id, OP_BOND, amount_minor, currency, now, 0, audit, out, pb);
}

mez_status_t mez_watcher_activate(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                  const mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb)
{
    return run(p, db, watcher_id, OP_ACTIVATE, 0, NULL, now, 0, audit, out, pb);
}

mez_status_t mez_watcher_unbond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                const mez_audit_event_t *audit, mez_watcher_t *out, mez_problem_t *pb)
{
    return run(p, db, watcher_id, OP_UNBOND, 0, NULL, now, 0, audit, out, pb);
}

mez_status_t mez_watcher_complete_unbond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, apr_time_t now,
                                         apr_interval_time_t period, const mez_audit_event_t *audit,
                                         mez_watcher_t *out, mez_problem_t *pb)
{
    return run(p, db, watcher_id, OP_COMPLETE, 0, NULL, now, period, audit, out, pb);
}

mez_status_t mez_watcher_rebond(apr_pool_t *p, mez_db_t *db, const char *watcher_id, uint64_t amount_minor,
                                const char *currency, apr_time_t now, const mez_audit_event_t *audit,
                                mez_watcher_t *out, mez_problem_t *pb)
{
    return run(p, db, watcher_id, OP_REBOND, amount_minor, currency, now, 0, audit, out, pb);
}

/* ------------------------------------------------------------------ attestations */

mez_status_t mez_watcher_corridor_origin(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *corridor_id,
                                         const char **origin, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_status_t st;
    if ((st = mez_corridor_get(p, db, corridor_id, &c, pb)) != MEZ_OK)
        return st;
    /* The proposer writes the chain and signs its checkpoints under its own zone id (mez/corridor.h). */
    return mez_checkpoint_origin(p, c.role == MEZ_CORRIDOR_PROPOSER ? zone_id : c.peer_zone_id, corridor_id, origin,
                                 pb);
}

mez_status_t mez_watcher_attestations(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                      apr_array_header_t **out, mez_problem_t *pb)
{
    mez_corridor_t c;
    apr_array_header_t *rows;
    mez_status_t st;
    if ((st = mez_corridor_get(p, db, corridor_id, &c, pb)) != MEZ_OK
        || (st = mez_db_query_rows(p, db, 8, &rows,
                                   "SELECT a.watcher_id, w.did, a.corridor_id, a.tree_size, a.root, a.credential, "
                                   "a.credential_digest, a.created_at FROM mez_watcher_attestation a JOIN mez_watcher "
                                   "w ON w.watcher_id = a.watcher_id WHERE a.corridor_id = %s "
                                   "ORDER BY a.tree_size, a.watcher_id", pb, corridor_id, NULL)) != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_watcher_attestation_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        mez_watcher_attestation_t *a = apr_array_push(*out);
        a->watcher_id = r[0];
        a->did = r[1];
        a->corridor_id = r[2];
        if (!parse_u64(r[3], &a->tree_size))
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.row_damaged", NULL,
                               "an attestation of corridor %s is malformed", corridor_id);
        a->root = r[4];
        a->credential = r[5];
        a->credential_digest = r[6];
        a->created_at = r[7];
    }
    return MEZ_OK;
}

/* What a WatcherAttestation says, once its shape is checked. */
typedef struct claim_t {
    const char *issuer, *corridor_id, *origin, *root_hex, *note;
    uint64_t tree_size;
    mez_digest_t root;
} claim_t;

static mez_status_t bad(apr_pool_t *p, const char *base, const char *ptr, mez_problem_t *pb, const char *what)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_attestation", apr_pstrcat(p, base, ptr, NULL),
                       "a WatcherAttestation %s", what);
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static mez_status_t claim_of(apr_pool_t *p, const json_t *vc, const char *base, claim_t *cl, mez_problem_t *pb)
{
    static const char *const members[] = { "id", "corridor_id", "origin", "tree_size", "root_hash",
                                           "checkpoint_note", NULL };
    const json_t *type = json_object_get(vc, "type"), *s = json_object_get(vc, "credentialSubject"), *v;
    int typed = 0;
    size_t i;
    json_t *t;
    memset(cl, 0, sizeof(*cl));
    json_array_foreach(type, i, t)
        if (mez_json_text(t) && !strcmp(mez_json_text(t), "WatcherAttestation"))
            typed = 1;
    if (!typed)
        return bad(p, base, "/type", pb, "has the type WatcherAttestation");
    if (!json_is_object(s))
        return bad(p, base, "/credentialSubject", pb, "has one credentialSubject object");
    if (mez_json_only_members(p, s, apr_pstrcat(p, base, "/credentialSubject", NULL), members,
                              "watcher.invalid_attestation", pb) != MEZ_OK)
        return MEZ_EINVAL;
    /* Every string read whole (mez_json_text): the claim is compared with the chain and kept as evidence, and a
     * NUL would end it early for the one and not for the other. */
    if ((v = json_object_get(s, "id")) && !mez_json_text(v))
        return bad(p, base, "/credentialSubject/id", pb, "subject id is a string without a NUL");
    if (!(cl->corridor_id = mez_json_text(json_object_get(s, "corridor_id"))) || !*cl->corridor_id)
        return bad(p, base, "/credentialSubject/corridor_id", pb, "names the corridor_id");
    if (!(cl->origin = mez_json_text(json_object_get(s, "origin"))) || !*cl->origin)
        return bad(p, base, "/credentialSubject/origin", pb, "names the corridor's log origin");
    v = json_object_get(s, "tree_size");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return bad(p, base, "/credentialSubject/tree_size", pb, "has a tree_size, an integer >= 1");
    cl->tree_size = (uint64_t)json_integer_value(v);
    v = json_object_get(s, "root_hash");
    if (!(cl->root_hex = mez_json_text(v)) || !is_hex64(cl->root_hex))
        return bad(p, base, "/credentialSubject/root_hash", pb, "has a root_hash of 64 lower-case hex");
    for (i = 0; i < 32; i++) {
        unsigned x;
        sscanf(cl->root_hex + 2 * i, "%2x", &x);
        cl->root.bytes[i] = (unsigned char)x;
    }
    if ((v = json_object_get(s, "checkpoint_note")) && (!(cl->note = mez_json_text(v)) || !*cl->note))
        return bad(p, base, "/credentialSubject/checkpoint_note", pb, "checkpoint_note is the signed note's text");
    cl->issuer = mez_vc_issuer_id(vc);
    return MEZ_OK;
}

/* The credential must verify, and by the issuer's own key: mez_vc_verify only warns when the issuer does not
 * control the signing key, and a watcher answers for what its own key signed. */
static mez_status_t verify_vc(apr_pool_t *p, const json_t *vc, const char *base, apr_time_t now, mez_problem_t *pb)
{
    mez_vc_verify_options_t vo = { 0 };
    mez_vc_result_t res = { 0 };
    const json_t *proof;
    const char *issuer, *vm, *hash;
    mez_status_t st;
    vo.now = now;
    vo.pointer_base = *base ? base : NULL;
    if ((st = mez_vc_verify(p, vc, &vo, &res)) != MEZ_OK) {
        if (pb)
            *pb = res.problem;
        return st;
    }
    if (!res.verified) {
        if (pb)
            *pb = res.problem;
        return MEZ_EINVAL;
    }
    issuer = mez_vc_issuer_id(vc);
    proof = json_object_get(vc, "proof");
    if (!json_is_object(proof))
        return bad(p, base, "/proof", pb, "carries one proof, by its issuer");
    vm = mez_json_text(json_object_get(proof, "verificationMethod"));
    hash = vm ? strchr(vm, '#') : NULL;
    if (!issuer || strncmp(issuer, "did:key:", 8) || !hash || strlen(issuer) != (size_t)(hash - vm)
        || strncmp(vm, issuer, (size_t)(hash - vm)))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.issuer_not_signer",
                           apr_pstrcat(p, base, "/proof/verificationMethod", NULL),
                           "a WatcherAttestation is signed by its issuer's own did:key");
    return MEZ_OK;
}

static const char *canonical(apr_pool_t *p, const json_t *v)
{
    const char *text = NULL;
    return mez_json_canonicalize(p, v, &text, NULL, NULL) == MEZ_OK ? text : NULL;
}

/* The slash of an offending attestation, its evidence built from what was offered and what was known. */
static mez_status_t offence(apr_pool_t *p, mez_db_t *db, mez_watcher_t *w, mez_slash_reason_t reason,
                            json_t *evidence, const char *at, mez_watcher_attest_t *out, mez_problem_t *pb)
{
    const char *text;
    mez_status_t st;
    mez_json_pool_own(p, evidence);
    if (!(text = canonical(p, evidence)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.evidence", NULL, "the evidence cannot be written");
    if ((st = slash_in(p, db, w, reason, text, at, &out->slashed_minor, &out->evidence_digest, pb)) != MEZ_OK)
        return st;
    out->slash_reason = mez_lifecycle_slash_reason_name(reason);
    out->watcher = *w;
    return MEZ_OK;
}

mez_status_t mez_watcher_attest(apr_pool_t *p, mez_db_t *db, const mez_watcher_zone_t *zone, const json_t *vc,
                                apr_time_t now, mez_watcher_attest_t *out, mez_problem_t *pb)
{
    const char *base = zone && zone->pointer_base ? zone->pointer_base : "", *origin, *text, *at;
    const char *sub = apr_pstrcat(p, base, "/credentialSubject", NULL), *prior[2];
    mez_watcher_attest_t tmp;
    mez_watcher_t w;
    mez_corridor_t c;
    mez_digest_t chain_root, d;
    mez_db_tx_t *tx;
    claim_t cl;
    int found = 0, slash = 0, unbonding = 0;
    mez_status_t st;

    if (!out)
        out = &tmp;
    memset(out, 0, sizeof(*out));
    if (!now)
        now = apr_time_now();
    at = mez_time_stamp(p, now);
    if (!zone || !zone->zone_id)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.no_zone", NULL, "attest needs this zone's id");
    if ((st = mez_audit_required(p, zone->audit, "a watcher's attestation", pb)) != MEZ_OK)
        return st;
    if ((st = verify_vc(p, vc, base, now, pb)) != MEZ_OK || (st = claim_of(p, vc, base, &cl, pb)) != MEZ_OK)
        return st;
    if (!(text = canonical(p, vc)))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.invalid_attestation", *base ? base : "",
                           "the credential has no canonical form");
    mez_digest_sha256(text, strlen(text), &d);

    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = read_by(p, db, "did", cl.issuer, 1, &w, &found, pb)) != MEZ_OK)
        goto fail;
    if (!found) {
        st = mez_problem(pb, p, MEZ_EINVAL, 403, "watcher.not_registered", apr_pstrcat(p, base, "/issuer", NULL),
                         "%s is not a registered watcher of this zone", cl.issuer);
        goto fail;
    }
    out->watcher = w;
    /* An UNBONDING watcher's stake is held for what it attested while bonded: its credentials are still judged
     * (and an offence slashed), but none is recorded. One dated (validFrom) at or after the unbonding began, or
     * undated, is not the bonded watcher's word and is refused as from any inactive watcher. updated_at is when
     * it began: every move out of UNBONDING leaves it. A SLASHED watcher is not judged again: the lifecycle has no
     * second slash (only a ban, for collusion), and it rebonds or leaves. */
    if (w.state == MEZ_WATCHER_UNBONDING) {
        const char *vf = json_string_value(json_object_get(vc, "validFrom"));
        apr_time_t signed_at, left;
        if (!vf || mez_time_parse_rfc3339(vf, &signed_at) || !w.updated_at
            || mez_time_parse_rfc3339(w.updated_at, &left) || signed_at >= left) {
            st = mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.not_active", apr_pstrcat(p, base, "/validFrom", NULL),
                             "watcher %s is UNBONDING since %s: only what it signed before is judged", w.watcher_id,
                             w.updated_at ? w.updated_at : "?");
            goto fail;
        }
        unbonding = 1;
    }
    else if (w.state != MEZ_WATCHER_ACTIVE) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.not_active", apr_pstrcat(p, base, "/issuer", NULL),
                         "watcher %s is %s: only an ACTIVE watcher attests", w.watcher_id, state_name(w.state));
        goto fail;
    }
    if ((st = mez_corridor_get(p, db, cl.corridor_id, &c, pb)) != MEZ_OK) {
        if (pb && pb->status == 404)
            pb->pointer = apr_pstrcat(p, sub, "/corridor_id", NULL);
        goto fail;
    }
    if ((st = mez_checkpoint_origin(p, c.role == MEZ_CORRIDOR_PROPOSER ? zone->zone_id : c.peer_zone_id,
                                    c.corridor_id, &origin, pb)) != MEZ_OK)
        goto fail;
    if (strcmp(origin, cl.origin)) {
        st = mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.origin_mismatch", apr_pstrcat(p, sub, "/origin", NULL),
                         "corridor %s's checkpoints are signed under %s", c.corridor_id, origin);
        goto fail;
    }
    if (cl.note) {
        /* The sequencer's note, checked with the sequencer's key: this zone's own when it proposed the corridor,
         * else the peer's did:key. */
        const mez_key_t *seq_key = zone->key;
        mez_key_t *peer_key = NULL;
        mez_checkpoint_t cp;
        const char *signer_did = NULL;
        mez_problem_t spb = { 0 };
        /* The key that signed at the note's size: the chain's zone.key_rotation receipts say which. A corridor
         * made without the protocol's documents has no such history: its sequencer's key is the one it has. */
        if (mez_corridor_signer_at(p, db, c.corridor_id, cl.tree_size, &signer_did, &spb) == MEZ_OK) {
            if ((st = mez_did_key_resolve(p, signer_did, &peer_key, pb)) != MEZ_OK)
                goto fail;
            seq_key = peer_key;
        }
        else if (c.role == MEZ_CORRIDOR_RESPONDER) {
            if ((st = mez_did_key_resolve(p, c.signer_did ? c.signer_did : c.peer_did, &peer_key, pb)) != MEZ_OK)
                goto fail;
            seq_key = peer_key;
        }
        if (!seq_key) {
            st = mez_problem(pb, p, MEZ_EINTERNAL, 500, "watcher.no_zone", NULL, "attest needs this zone's key");
            goto fail;
        }
        if ((st = mez_checkpoint_open(p, cl.note, strlen(cl.note), origin, seq_key, &cp, pb)) != MEZ_OK) {
            if (pb) {
                pb->status = 422;
                pb->pointer = apr_pstrcat(p, sub, "/checkpoint_note", NULL);
            }
            st = MEZ_EINVAL;
            goto fail;
        }
        if (cp.size != cl.tree_size || !mez_digest_equal(&cp.root, &cl.root) || strcmp(cp.origin, origin)) {
            st = mez_problem(pb, p, MEZ_EINVAL, 422, "watcher.note_mismatch",
                             apr_pstrcat(p, sub, "/checkpoint_note", NULL),
                             "the note signs size %" APR_UINT64_T_FMT " and another root than the subject's",
                             cp.size);
            goto fail;
        }
    }
    if (cl.tree_size > c.size) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.behind", apr_pstrcat(p, sub, "/tree_size", NULL),
                         "this zone holds %" APR_UINT64_T_FMT " receipts of corridor %s, not %" APR_UINT64_T_FMT,
                         c.size, c.corridor_id, cl.tree_size);
        goto fail;
    }
    if ((st = mez_corridor_root_at(p, db, c.corridor_id, cl.tree_size, &chain_root, pb)) != MEZ_OK)
        goto fail;
    if (cl.note && !mez_digest_equal(&chain_root, &cl.root)) {
        /* The sequencer's own signature on another root for a size this chain has: the sequencer forked, and the
         * watcher proved it. Kept as sync keeps the same note (the same evidence, one row), the attestation not
         * recorded, nobody slashed; the caller halts the corridor. */
        const char *ours_hex = mez_digest_hex(p, &chain_root);
        json_t *ev = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s}", "type",
                                                    "mez.corridor.checkpoint_fork.v1", "corridor_id", c.corridor_id,
                                                    "tree_size", (json_int_t)cl.tree_size, "chain_root", ours_hex,
                                                    "checkpoint_root", cl.root_hex));
        if ((st = mez_corridor_keep_evidence(p, db, c.corridor_id, cl.tree_size, ours_hex, cl.root_hex, cl.note, ev,
                                             now, &out->fork_evidence_digest, pb)) != MEZ_OK)
            goto fail;
        {   /* the zone's audit row of the fork it was shown */
            mez_audit_event_t aev = *zone->audit;
            aev.resource_type = "watcher";
            aev.resource_id = w.watcher_id;
            aev.outcome = "denied";
            aev.detail = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "watcher_id",
                                                        w.watcher_id, "corridor_id", c.corridor_id, "tree_size",
                                                        (json_int_t)cl.tree_size, "root", cl.root_hex, "outcome",
                                                        "fork_evidence", "evidence_digest",
                                                        out->fork_evidence_digest));
            if ((st = mez_audit_append(p, db, &aev, pb)) != MEZ_OK)
                goto fail;
        }
        if ((st = mez_db_commit(p, tx, pb)) != MEZ_OK)
            return st;
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.fork", apr_pstrcat(p, sub, "/checkpoint_note", NULL),
                           "the sequencer signed root %s for size %" APR_UINT64_T_FMT " of corridor %s, whose chain "
                           "gives %s: evidence %s kept, the corridor halts; the watcher is not at fault",
                           cl.root_hex, cl.tree_size, c.corridor_id, ours_hex, out->fork_evidence_digest);
    }
    if ((st = mez_db_query_row(p, db, prior, 2, &found,
                               "SELECT root, credential FROM mez_watcher_attestation WHERE watcher_id = %s AND "
                               "corridor_id = %s AND tree_size = %s", pb, w.watcher_id, c.corridor_id,
                               u64s(p, cl.tree_size), NULL)) != MEZ_OK)
        goto fail;
    if (unbonding && (found ? !strcmp(prior[0], cl.root_hex) : mez_digest_equal(&chain_root, &cl.root))) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.not_active", apr_pstrcat(p, base, "/issuer", NULL),
                         "watcher %s is UNBONDING: its attestations are judged, not recorded", w.watcher_id);
        goto fail;
    }
    if (found && !strcmp(prior[0], cl.root_hex)) {
        /* Already said: a repeat writes nothing. */
        mez_db_rollback(p, tx);
        out->repeated = 1;
        out->attestation.watcher_id = w.watcher_id;
        out->attestation.did = w.did;
        out->attestation.corridor_id = c.corridor_id;
        out->attestation.tree_size = cl.tree_size;
        out->attestation.root = prior[0];
        out->attestation.credential = prior[1];
        {
            mez_digest_t pd;
            mez_digest_sha256(prior[1], strlen(prior[1]), &pd);
            out->attestation.credential_digest = mez_digest_hex(p, &pd);
        }
        return MEZ_OK;
    }
    if (found) {
        /* Two roots for one size, both signed by this watcher: the earlier one matched this chain (only such
         * are recorded), so this one is false too, but equivocation is the graver offence and takes it all. */
        json_t *earlier = NULL;
        if ((st = mez_json_parse(p, prior[1], strlen(prior[1]), &earlier, pb)) != MEZ_OK)
            goto fail;
        st = offence(p, db, &w, MEZ_SLASH_EQUIVOCATION,
                     json_pack("{s:s, s:s, s:s, s:I, s:[s,s], s:[O,O]}", "kind", "equivocation", "corridor_id",
                               c.corridor_id, "watcher", w.did, "tree_size", (json_int_t)cl.tree_size, "roots",
                               prior[0], cl.root_hex, "credentials", earlier, vc),
                     at, out, pb);
        slash = 1;
    }
    else {
        if (mez_digest_equal(&chain_root, &cl.root)) {
            st = mez_db_execv(p, db, NULL,
                              "INSERT INTO mez_watcher_attestation (watcher_id, corridor_id, tree_size, root, "
                              "credential, credential_digest, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)", pb,
                              w.watcher_id, c.corridor_id, u64s(p, cl.tree_size), cl.root_hex, text,
                              mez_digest_hex(p, &d), at, NULL);
            out->attestation.watcher_id = w.watcher_id;
            out->attestation.did = w.did;
            out->attestation.corridor_id = c.corridor_id;
            out->attestation.tree_size = cl.tree_size;
            out->attestation.root = cl.root_hex;
            out->attestation.credential = text;
            out->attestation.credential_digest = mez_digest_hex(p, &d);
            out->attestation.created_at = at;
        }
        else {
            st = offence(p, db, &w, MEZ_SLASH_FALSE_ATTESTATION,
                         json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:O}", "kind", "false_attestation", "corridor_id",
                                   c.corridor_id, "watcher", w.did, "tree_size", (json_int_t)cl.tree_size,
                                   "attested_root", cl.root_hex, "chain_root", mez_digest_hex(p, &chain_root),
                                   "credential", vc),
                         at, out, pb);
            slash = 1;
        }
    }
    if (st != MEZ_OK)
        goto fail;
    /* The zone's audit row of what it decided about the attestation, with the decision's rows. */
    {
        mez_audit_event_t ev = *zone->audit;
        json_t *detail = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s}", "watcher_id", w.watcher_id,
                                                        "corridor_id", c.corridor_id, "tree_size",
                                                        (json_int_t)cl.tree_size, "root", cl.root_hex, "outcome",
                                                        slash ? "slashed" : "recorded"));
        if (slash) {
            json_object_set_new(detail, "slash_reason", json_string(out->slash_reason));
            json_object_set_new(detail, "slashed_minor", json_integer((json_int_t)out->slashed_minor));
            json_object_set_new(detail, "evidence_digest", json_string(out->evidence_digest));
        }
        ev.resource_type = "watcher";
        ev.resource_id = w.watcher_id;
        ev.outcome = slash ? "denied" : "committed";
        ev.detail = detail;
        if ((st = mez_audit_append(p, db, &ev, pb)) != MEZ_OK)
            goto fail;
    }
    if ((st = mez_db_commit(p, tx, pb)) != MEZ_OK)
        return st;
    if (!slash)
        return MEZ_OK;
    /* The slash is committed; the attestation is refused. */
    if (!strcmp(out->slash_reason, "equivocation"))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.equivocation",
                           apr_pstrcat(p, sub, "/root_hash", NULL),
                           "watcher %s already attested another root for size %" APR_UINT64_T_FMT " of corridor %s: "
                           "slashed %" APR_UINT64_T_FMT " minor units (evidence %s)", w.watcher_id, cl.tree_size,
                           c.corridor_id, out->slashed_minor, out->evidence_digest);
    return mez_problem(pb, p, MEZ_EINVAL, 409, "watcher.false_attestation", apr_pstrcat(p, sub, "/root_hash", NULL),
                       "corridor %s's root at size %" APR_UINT64_T_FMT " is %s here: watcher %s slashed %"
                       APR_UINT64_T_FMT " minor units (evidence %s)", c.corridor_id, cl.tree_size,
                       mez_digest_hex(p, &chain_root), w.watcher_id, out->slashed_minor, out->evidence_digest);
fail:
    mez_db_rollback(p, tx);
    return st;
}
