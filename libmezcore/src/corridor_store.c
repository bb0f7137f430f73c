/* corridor_store.c: corridors' rows, lifecycle moves and receipt appends (mez/corridor.h). Each write is one
 * transaction that first reads the corridor row under its lock, so what it checks is what it changes. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "corridor_int.h"

const char *mez_corridor_u64(apr_pool_t *p, uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

const char *mez_corridor_time(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900, x.tm_mon + 1, x.tm_mday, x.tm_hour,
                        x.tm_min, x.tm_sec);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = (uint64_t)apr_strtoi64(s, &end, 10);
    return !*end;
}

mez_status_t mez_corridor_read(apr_pool_t *p, mez_db_t *db, const char *corridor_id, int lock, mez_corridor_t *out,
                               mez_problem_t *pb)
{
    const char *c[15];
    int found = 0;
    mez_status_t st = mez_db_query_row(p, db, c, 15, &found,
                                       apr_pstrcat(p, "SELECT corridor_id, peer_zone_id, peer_did, state, "
                                                   "definition_digest, agreement_digest, genesis_root, head, "
                                                   "tree_size, tree_root, created_at, updated_at, role, acked_size, "
                                                   "signer_did FROM mez_corridor WHERE corridor_id = %s",
                                                   lock ? mez_db_for_update(db) : "", NULL),
                                       pb, corridor_id, NULL);
    if (st != MEZ_OK)
        return st;
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "corridor.not_found", NULL, "no corridor %s", corridor_id);
    return mez_corridor_row(p, c, out, pb);
}

/* The 15 columns above into a corridor (also used by the list). */
mez_status_t mez_corridor_row(apr_pool_t *p, const char *const *c, mez_corridor_t *out, mez_problem_t *pb)
{
    memset(out, 0, sizeof(*out));
    out->corridor_id = c[0];
    out->peer_zone_id = c[1];
    out->peer_did = c[2];
    out->definition_digest = c[4];
    out->agreement_digest = c[5];
    out->created_at = c[10];
    out->updated_at = c[11];
    out->role = c[12] && !strcmp(c[12], "responder") ? MEZ_CORRIDOR_RESPONDER : MEZ_CORRIDOR_PROPOSER;
    out->signer_did = c[14];
    /* A proposed corridor has no agreement, genesis or head yet: all three or none. */
    out->established = c[5] != NULL;
    if (mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_CORRIDOR, c[3], &out->state, pb) != MEZ_OK
        || (out->established && (!c[6] || !c[7]
                                 || mez_receipt_hex_digest(p, c[6], "", &out->genesis_root, pb) != MEZ_OK
                                 || mez_receipt_hex_digest(p, c[7], "", &out->head, pb) != MEZ_OK))
        || (!out->established && (c[6] || c[7]))
        || !parse_u64(c[8], &out->size)
        || !parse_u64(c[13], &out->acked_size)
        || mez_receipt_hex_digest(p, c[9], "", &out->root, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL,
                           "corridor %s: stored row is malformed", c[0]);
    return MEZ_OK;
}

mez_status_t mez_corridor_get(apr_pool_t *p, mez_db_t *db, const char *corridor_id, mez_corridor_t *out,
                              mez_problem_t *pb)
{
    return mez_corridor_read(p, db, corridor_id, 0, out, pb);
}

static mez_status_t need_text(apr_pool_t *p, const char *v, const char *name, mez_problem_t *pb)
{
    if (!v || !*v || strlen(v) > 512 || strpbrk(v, " \t\r\n"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", apr_pstrcat(p, "/", name, NULL),
                           "%s must be 1..512 characters without whitespace", name);
    return MEZ_OK;
}

/* Receipts carry the corridor id as a lower-case UUID (mez/receipt.h), so a corridor with any other id could
 * never accept one: refuse it at creation. */
static int is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

mez_status_t mez_corridor_create(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *peer_zone_id,
                                 const char *peer_did, const char *definition_digest, const char *agreement_digest,
                                 const mez_digest_t *genesis_root, apr_time_t now, const mez_audit_event_t *audit,
                                 mez_problem_t *pb)
{
    mez_digest_t d, empty;
    mez_db_tx_t *tx;
    const char *exists = NULL, *at = mez_corridor_time(p, now), *g;
    mez_status_t st;

    if ((st = mez_audit_required(p, audit, "a corridor's creation", pb)) != MEZ_OK)
        return st;
    if (!is_uuid(corridor_id))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/corridor_id",
                           "corridor_id is a lower-case UUID");
    if ((st = need_text(p, peer_zone_id, "peer_zone_id", pb)) != MEZ_OK
        || (st = need_text(p, peer_did, "peer_did", pb)) != MEZ_OK
        || (st = mez_receipt_hex_digest(p, definition_digest, "/definition_digest", &d, pb)) != MEZ_OK
        || (st = mez_receipt_hex_digest(p, agreement_digest, "/agreement_digest", &d, pb)) != MEZ_OK)
        return st;
    mez_digest_sha256("", 0, &empty);
    g = mez_digest_hex(p, genesis_root);
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    st = mez_db_query_value(p, db, &exists, "SELECT corridor_id FROM mez_corridor WHERE corridor_id = %s", pb,
                            corridor_id, NULL);
    if (st == MEZ_OK && exists)
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.exists", "/corridor_id", "corridor %s exists",
                         corridor_id);
    if (st == MEZ_OK)
        st = mez_db_execv(p, db, NULL,
                          "INSERT INTO mez_corridor (corridor_id, peer_zone_id, peer_did, state, definition_digest, "
                          "agreement_digest, genesis_root, head, tree_size, tree_root, created_at, updated_at) "
                          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s)", pb, corridor_id, peer_zone_id,
                          peer_did, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR,
                                                             mez_lifecycle_initial_state(MEZ_LIFECYCLE_CORRIDOR)),
                          definition_digest, agreement_digest, g, g, mez_digest_hex(p, &empty), at, at, NULL);
    if (st == MEZ_OK)
        st = mez_audit_append(p, db, audit, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return st;
}

static void prefix_pointer(apr_pool_t *p, mez_problem_t *pb, const char *prefix)
{
    if (pb && pb->pointer)
        pb->pointer = apr_pstrcat(p, prefix, pb->pointer, NULL);
}

mez_status_t mez_corridor_move(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, int ev,
                               const json_t *evidence, const char *at, int *to, mez_problem_t *pb)
{
    const char *log_digest = NULL, *steps = NULL, *text = "null", *to_name;
    mez_status_t st;

    if ((st = mez_lifecycle_corridor_step(p, c->state, ev, evidence, to, &log_digest, pb)) != MEZ_OK) {
        if (pb && pb->status == 422)
            prefix_pointer(p, pb, "/evidence");
        return st;
    }
    if (evidence && (st = mez_json_canonicalize(p, evidence, &text, NULL, pb)) != MEZ_OK)
        return st;
    to_name = mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, *to);
    if ((st = mez_db_query_value(p, db, &steps, "SELECT COUNT(*) FROM mez_corridor_transition WHERE corridor_id = %s",
                                 pb, c->corridor_id, NULL)) != MEZ_OK
        || (st = mez_db_execv(p, db, NULL,
                              "INSERT INTO mez_corridor_transition (corridor_id, step, from_state, to_state, event, "
                              "evidence, evidence_digest, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", pb,
                              c->corridor_id, apr_psprintf(p, "%d", (steps ? atoi(steps) : 0) + 1),
                              mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state), to_name,
                              mez_lifecycle_event_name(MEZ_LIFECYCLE_CORRIDOR, ev), text,
                              log_digest ? log_digest : MEZ_DB_NULL, at, NULL)) != MEZ_OK)
        return st;
    return mez_db_execv(p, db, NULL, "UPDATE mez_corridor SET state = %s, updated_at = %s WHERE corridor_id = %s",
                        pb, to_name, at, c->corridor_id, NULL);
}

mez_status_t mez_corridor_transition(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *event,
                                     const json_t *evidence, apr_time_t now, const mez_audit_event_t *audit,
                                     const char **to_state, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_db_tx_t *tx;
    int ev, to;
    mez_status_t st;

    if ((st = mez_audit_required(p, audit, "a corridor's move", pb)) != MEZ_OK)
        return st;
    if ((st = mez_lifecycle_event_parse(p, MEZ_LIFECYCLE_CORRIDOR, event, &ev, pb)) != MEZ_OK) {
        prefix_pointer(p, pb, "/event");
        return st;
    }
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    /* Submitting needs the agreement set and genesis root, which only mez_corridor_establish sets with it. */
    if (ev == MEZ_CORRIDOR_EV_SUBMIT && !c.established) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_agreed", "/event",
                         "corridor %s has no agreement yet: it is submitted when both zones' agreements are held",
                         corridor_id);
        goto done;
    }
    if ((st = mez_corridor_move(p, db, &c, ev, evidence, mez_corridor_time(p, now), &to, pb)) != MEZ_OK)
        goto done;
    {
        mez_audit_event_t a = *audit;
        json_t *detail = mez_json_pool_own(p, audit->detail ? json_deep_copy(audit->detail) : json_object());
        json_object_set_new(detail, "from_state",
                            json_string(mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c.state)));
        json_object_set_new(detail, "to_state", json_string(mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, to)));
        json_object_set_new(detail, "event", json_string(event));
        if (evidence)
            json_object_set(detail, "evidence", (json_t *)evidence);
        a.detail = detail;
        if ((st = mez_audit_append(p, db, &a, pb)) != MEZ_OK)
            goto done;
    }
    if ((st = mez_db_commit(p, tx, pb)) == MEZ_OK && to_state)
        *to_state = mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, to);
    return st;
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_receipt(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                  const char **text, int *found, mez_problem_t *pb)
{
    mez_status_t st = mez_db_query_value(p, db, text, "SELECT receipt FROM mez_corridor_receipt WHERE corridor_id = %s "
                                         "AND seq = %s", pb, corridor_id, mez_corridor_u64(p, seq), NULL);
    if (st == MEZ_OK)
        *found = *text != NULL;
    return st;
}

mez_status_t mez_corridor_commit_evidence(apr_pool_t *p, mez_db_tx_t *tx, mez_status_t st, mez_problem_t *pb)
{
    mez_problem_t cpb = { 0 };
    if (mez_db_commit(p, tx, &cpb) != MEZ_OK) {
        if (pb)
            *pb = cpb;
        return MEZ_EIO;
    }
    return st;
}

mez_status_t mez_corridor_keep_evidence(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                        const char *stored, const char *conflicting, const char *document,
                                        const json_t *evidence, apr_time_t now, const char **evidence_digest,
                                        mez_problem_t *pb)
{
    const char *text;
    mez_digest_t ev;
    mez_status_t st;
    if ((st = mez_json_canonicalize(p, evidence, &text, NULL, pb)) != MEZ_OK)
        return st;
    mez_digest_sha256(text, strlen(text), &ev);
    *evidence_digest = mez_digest_format(p, &ev);
    /* The same evidence offered twice keeps one row. */
    return mez_db_execv(p, db, NULL,
                        "INSERT INTO mez_corridor_fork (corridor_id, seq, stored_digest, conflicting_digest, "
                        "conflicting_receipt, evidence_digest, detected_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT DO NOTHING", pb, corridor_id, mez_corridor_u64(p, seq), stored, conflicting,
                        document, *evidence_digest, mez_corridor_time(p, now), NULL);
}

/* A sequence number already taken: the same receipt again is answered, a different one is a fork whose
 * evidence is kept. The offered receipt must be well formed and sealed (its next_root matches its content),
 * so the evidence is a receipt somebody could have sent, not noise. */
static mez_status_t taken(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, uint64_t seq, const char *text,
                          const mez_digest_t *digest, const mez_digest_t *next_root, apr_time_t now,
                          mez_corridor_append_t *out, int *keep, mez_problem_t *pb)
{
    const char *row[2], *hex = mez_digest_hex(p, digest);
    int found = 0;
    mez_digest_t stored_next;
    json_t *evidence;
    mez_status_t st = mez_db_query_row(p, db, row, 2, &found,
                                       "SELECT receipt_digest, next_root FROM mez_corridor_receipt "
                                       "WHERE corridor_id = %s AND seq = %s", pb, c->corridor_id,
                                       mez_corridor_u64(p, seq), NULL);
    if (st != MEZ_OK)
        return st;
    if (!found || mez_receipt_hex_digest(p, row[1], "", &stored_next, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL,
                           "corridor %s: receipt %" APR_UINT64_T_FMT " is missing", c->corridor_id, seq);
    out->seq = seq;
    out->size = c->size;
    out->root = c->root;
    /* Judged by what the sequencer signed, next_root: two texts with one next_root differ only in the proof,
     * whose signed part (jws over next_root, by the checked key) is then the same, and whose other members are
     * pinned (mez_corridor_receipt_check_signature). */
    if (mez_digest_equal(&stored_next, next_root)) {
        out->repeated = 1;
        out->next_root = stored_next;
        return MEZ_OK;
    }
    out->next_root = *next_root;
    evidence = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s}", "type", "mez.corridor.fork.v1",
                                              "corridor_id", c->corridor_id, "sequence", (json_int_t)seq,
                                              "stored_receipt_digest", row[0], "conflicting_receipt_digest", hex));
    out->stored_digest = row[0];
    out->conflicting_digest = hex;
    if ((st = mez_corridor_keep_evidence(p, db, c->corridor_id, seq, row[0], hex, text, evidence, now,
                                         &out->evidence_digest, pb)) != MEZ_OK)
        return st;
    *keep = 1;
    return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.fork", "/sequence",
                       "corridor %s already holds a different receipt %" APR_UINT64_T_FMT " (%s, offered %s); "
                       "evidence %s kept: halt the corridor", c->corridor_id, seq, row[0], hex,
                       out->evidence_digest);
}

mez_status_t mez_corridor_append(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                 apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb)
{
    return mez_corridor_append_ref(p, db, corridor_id, receipt, NULL, now, out, pb);
}

mez_status_t mez_corridor_receipt_by_ref(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                         const char *request_ref, const char **text, uint64_t *seq, int *found,
                                         mez_problem_t *pb)
{
    const char *row[2];
    mez_status_t st = mez_db_query_row(p, db, row, 2, found, "SELECT seq, receipt FROM mez_corridor_receipt "
                                       "WHERE corridor_id = %s AND request_ref = %s", pb, corridor_id, request_ref,
                                       NULL);
    if (st == MEZ_OK && *found) {
        *seq = (uint64_t)apr_atoi64(row[0]);
        *text = row[1];
    }
    return st;
}

/* What needs no database: the receipt's form, its sealing and its digests. */
static mez_status_t append_prepare(apr_pool_t *p, const char *corridor_id, const json_t *receipt,
                                   const char *request_ref, const char **text, mez_digest_t *digest,
                                   mez_digest_t *next_root, uint64_t *seq, mez_problem_t *pb)
{
    json_t *seq_v = json_object_get(receipt, "sequence");
    mez_digest_t claimed;
    mez_status_t st;
    if (request_ref && (!*request_ref || strlen(request_ref) > 256))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/request_ref",
                           "a request reference is 1..256 bytes");
    if ((st = mez_receipt_next_root(p, receipt, next_root, pb)) != MEZ_OK
        || (st = mez_receipt_content_digest(p, receipt, digest, pb)) != MEZ_OK
        || (st = mez_json_canonicalize(p, receipt, text, NULL, pb)) != MEZ_OK)
        return st;
    if (!json_is_integer(seq_v) || json_integer_value(seq_v) < 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "receipt.invalid_field", "/sequence",
                           "sequence must be a non-negative integer");
    *seq = (uint64_t)json_integer_value(seq_v);
    if ((st = mez_receipt_hex_digest(p, json_string_value(json_object_get(receipt, "next_root")), "/next_root",
                                     &claimed, pb)) != MEZ_OK)
        return st;
    if (!mez_digest_equal(&claimed, next_root))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "receipt.next_root_mismatch", "/next_root",
                           "next_root is not the digest of the receipt's content");
    if (strcmp(json_string_value(json_object_get(receipt, "corridor_id")), corridor_id))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "receipt.corridor_mismatch", "/corridor_id",
                           "the receipt is for another corridor");
    return MEZ_OK;
}

/* A receipt recording a key rotation is checked as the offline verifier checks it (mez_corridor_verify_export):
 * mez_key_rotation_follow from both parties' DIDs at this point of the chain, so the credential, signed by both
 * keys, must rotate the DID its zone has there, and the payload must repeat the credential. A store that kept
 * what its own export's verification refuses would hold a chain nobody can check, and a payload naming a key the
 * credential never named would move the signer to it and wedge the corridor. *keys: the parties after it. */
static mez_status_t rotation_check(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, const json_t *receipt,
                                   mez_chain_keys_t *keys, int *rotated, mez_problem_t *pb)
{
    const json_t *vc;
    mez_status_t st;
    *rotated = 0;
    if (!mez_key_rotation_of_receipt(receipt, &vc))
        return MEZ_OK;
    if ((st = mez_corridor_keys_at(p, db, c->corridor_id, c->size, keys, pb)) != MEZ_OK)
        return st;
    return mez_key_rotation_follow(p, keys, receipt, "", rotated, pb);
}

/* The checked rotation moves the corridor's view of the parties, with the DIDs the credential names: the peer's
 * DID when the peer rotated, the signer of the next receipts when the sequencer (the proposer) did (the peer on a
 * responder's copy, this zone on the proposer's). */
static mez_status_t follow_rotation(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, const json_t *receipt,
                                    const mez_chain_keys_t *keys, mez_problem_t *pb)
{
    const char *zone = json_string_value(json_object_get(json_object_get(json_object_get(receipt, "transition"),
                                                                         "payload"), "zone_id"));
    int proposer = !strcmp(zone, keys->proposer_zone_id);
    const char *did = proposer ? keys->proposer_did : keys->responder_did, *current;
    mez_status_t st;
    /* The peer's DID is where the rotations it announced lead from the chain's: the peer may have announced
     * further rotations (its key-rotation notice, mez_peer_key_record, which moved peer_did already) before this
     * receipt recorded the first of them, and setting the chain's DID would step peer_did back to a retired key. */
    if (!strcmp(zone, c->peer_zone_id)
        && ((st = mez_peer_key_current(p, db, c->peer_zone_id, did, &current, pb)) != MEZ_OK
            || (st = mez_db_execv(p, db, NULL, "UPDATE mez_corridor SET peer_did = %s WHERE corridor_id = %s", pb,
                                  current, c->corridor_id, NULL)) != MEZ_OK))
        return st;
    if (proposer && (st = mez_db_execv(p, db, NULL, "UPDATE mez_corridor SET signer_did = %s WHERE corridor_id = %s",
                                       pb, did, c->corridor_id, NULL)) != MEZ_OK)
        return st;
    return MEZ_OK;
}

/* The append itself, to corridor c read under its lock in the caller's transaction. *keep: a fork's evidence row
 * was written (commit it). */
static mez_status_t append_row(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, const json_t *receipt,
                               const char *text, const mez_digest_t *digest, const mez_digest_t *next_root,
                               uint64_t seq, const char *request_ref, apr_time_t now, mez_corridor_append_t *out,
                               int *keep, mez_problem_t *pb)
{
    const char *corridor_id = c->corridor_id;
    mez_receipt_chain_t chain;
    mez_chain_keys_t keys;
    mez_digest_t leaf;
    const json_t *rotation_vc;
    const char *seq_s;
    int rotated = 0;
    mez_status_t st;

    if (seq < c->size)
        return taken(p, db, c, seq, text, digest, next_root, now, out, keep, pb);
    if (request_ref) {
        const char *had = NULL;
        if ((st = mez_db_query_value(p, db, &had, "SELECT seq FROM mez_corridor_receipt WHERE corridor_id = %s AND "
                                     "request_ref = %s", pb, corridor_id, request_ref, NULL)) != MEZ_OK)
            return st;
        if (had)
            return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.request_repeated", NULL,
                               "receipt %s of corridor %s was appended by this request already", had, corridor_id);
    }
    /* A key rotation is recorded whatever the corridor's state short of its end: a halted corridor resumed later
     * must still know who signs its next receipt. */
    if (c->state != MEZ_CORRIDOR_ACTIVE
        && !(mez_key_rotation_of_receipt(receipt, &rotation_vc) && c->established
             && c->state != MEZ_CORRIDOR_DEPRECATED))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.not_active", NULL, "corridor %s is %s, not ACTIVE",
                           corridor_id, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR, c->state));
    /* The chain as stored (head and peaks), then receipt.h's own checks and append. */
    mez_receipt_chain_init(&chain, c->corridor_id, &c->genesis_root);
    chain.head = c->head;
    if ((st = mez_corridor_peaks(p, db, corridor_id, c->size, &chain.mmr, pb)) != MEZ_OK
        || (st = mez_receipt_chain_append(p, &chain, receipt, NULL, pb)) != MEZ_OK
        || (st = rotation_check(p, db, c, receipt, &keys, &rotated, pb)) != MEZ_OK)
        return st;
    mez_mmr_leaf_hash(next_root, &leaf);
    mez_mmr_root(&chain.mmr, &out->root);
    out->seq = seq;
    out->next_root = *next_root;
    out->size = chain.mmr.size;
    seq_s = mez_corridor_u64(p, seq);
    if ((st = mez_db_execv(p, db, NULL,
                           "INSERT INTO mez_corridor_receipt (corridor_id, seq, receipt, receipt_digest, prev_root, "
                           "next_root, leaf_hash, created_at, request_ref) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
                           "%s)", pb, corridor_id, seq_s, text, mez_digest_hex(p, digest),
                           json_string_value(json_object_get(receipt, "prev_root")), mez_digest_hex(p, next_root),
                           mez_digest_hex(p, &leaf), mez_corridor_time(p, now),
                           request_ref ? request_ref : MEZ_DB_NULL, NULL)) != MEZ_OK
        || (st = mez_corridor_nodes_append(p, db, corridor_id, seq, &leaf, pb)) != MEZ_OK
        || (st = mez_db_execv(p, db, NULL,
                              "UPDATE mez_corridor SET head = %s, tree_size = %s, tree_root = %s, updated_at = %s "
                              "WHERE corridor_id = %s", pb, mez_digest_hex(p, next_root),
                              mez_corridor_u64(p, out->size), mez_digest_hex(p, &out->root),
                              mez_corridor_time(p, now), corridor_id, NULL)) != MEZ_OK)
        return st;
    return rotated ? follow_rotation(p, db, c, receipt, &keys, pb) : MEZ_OK;
}

/* append_row after reading the corridor under its lock. */
static mez_status_t append_locked(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                  const char *text, const mez_digest_t *digest, const mez_digest_t *next_root,
                                  uint64_t seq, const char *request_ref, apr_time_t now, mez_corridor_append_t *out,
                                  int *keep, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_status_t st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        return st;
    return append_row(p, db, &c, receipt, text, digest, next_root, seq, request_ref, now, out, keep, pb);
}

/* Prepares and appends receipt inside the caller's transaction; *keep says a refusal left evidence to commit. */
static mez_status_t append_in_tx(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                 const char *request_ref, apr_time_t now, mez_corridor_append_t *out, int *keep,
                                 mez_problem_t *pb)
{
    mez_digest_t digest, next_root;
    const char *text;
    uint64_t seq;
    mez_status_t st;

    memset(out, 0, sizeof(*out));
    *keep = 0;
    if ((st = append_prepare(p, corridor_id, receipt, request_ref, &text, &digest, &next_root, &seq, pb)) != MEZ_OK)
        return st;
    return append_locked(p, db, corridor_id, receipt, text, &digest, &next_root, seq, request_ref, now, out, keep,
                         pb);
}

mez_status_t mez_corridor_append_ref(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                     const char *request_ref, apr_time_t now, mez_corridor_append_t *out,
                                     mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    int keep = 0;
    mez_status_t st;

    memset(out, 0, sizeof(*out));
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    st = append_in_tx(p, db, corridor_id, receipt, request_ref, now, out, &keep, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    if (keep)      /* the fork's refusal keeps its evidence: commit that row, then answer the 409 */
        return mez_corridor_commit_evidence(p, tx, st, pb);
    mez_db_rollback(p, tx);
    return st;
}

/* The key that signed receipt seq of corridor c (read under its lock): the signer the row names for the next one,
 * else the one the chain's rotations lead to by then. */
static mez_status_t signer_of(apr_pool_t *p, mez_db_t *db, const mez_corridor_t *c, uint64_t seq, mez_key_t **key,
                              mez_problem_t *pb)
{
    const char *did = seq == c->size ? c->signer_did : NULL;
    mez_status_t st;
    if (!did && (st = mez_corridor_signer_at(p, db, c->corridor_id, seq, &did, pb)) != MEZ_OK)
        return st;
    return mez_did_key_resolve(p, did, key, pb);
}

mez_status_t mez_corridor_take(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                               apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb)
{
    mez_digest_t digest, next_root;
    mez_corridor_t c;
    mez_db_tx_t *tx;
    mez_key_t *key;
    const char *text;
    uint64_t seq;
    int keep = 0;
    mez_status_t st;

    memset(out, 0, sizeof(*out));
    if ((st = append_prepare(p, corridor_id, receipt, NULL, &text, &digest, &next_root, &seq, pb)) != MEZ_OK)
        return st;
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (seq < c.size) {
        /* Held already: the sequencer resends from what this copy acknowledged, which can lag (a lost answer, or a
         * pull in between), so a batch may start with receipts signed before a rotation. The very text held is the
         * same receipt (taken answers it as a repeat, nothing written): no key needed. Any other text is checked
         * with the key that signed at that number: one differing only in its proof must still be the proof that
         * key makes (its unsigned members pinned, a repeat if so), and another receipt is a fork only if that key
         * signed it, else it is nobody's word and no evidence. */
        const char *row[1] = { NULL };
        int held = 0;
        if ((st = mez_db_query_row(p, db, row, 1, &held, "SELECT receipt FROM mez_corridor_receipt "
                                   "WHERE corridor_id = %s AND seq = %s", pb, corridor_id, mez_corridor_u64(p, seq),
                                   NULL)) != MEZ_OK)
            goto done;
        if ((!held || !row[0] || strcmp(row[0], text))
            && ((st = signer_of(p, db, &c, seq, &key, pb)) != MEZ_OK
                || (st = mez_corridor_receipt_check_signature(p, receipt, key, "", pb)) != MEZ_OK))
            goto done;
    }
    /* The next one is checked with the key in force now, read under the lock: a rotation taken just before (in
     * this batch or another request) moved it. A gap is left to the append to refuse. */
    else if (seq == c.size && ((st = signer_of(p, db, &c, seq, &key, pb)) != MEZ_OK
                               || (st = mez_corridor_receipt_check_signature(p, receipt, key, "", pb)) != MEZ_OK))
        goto done;
    st = append_row(p, db, &c, receipt, text, &digest, &next_root, seq, NULL, now, out, &keep, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    if (keep)
        return mez_corridor_commit_evidence(p, tx, st, pb);
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_append_ref_in_tx(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                           const json_t *receipt, const char *request_ref, apr_time_t now,
                                           mez_corridor_append_t *out, mez_problem_t *pb)
{
    int keep;
    return append_in_tx(p, db, corridor_id, receipt, request_ref, now, out, &keep, pb);
}

mez_status_t mez_corridor_append_in_tx(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const json_t *receipt,
                                       apr_time_t now, mez_corridor_append_t *out, mez_problem_t *pb)
{
    return mez_corridor_append_ref_in_tx(p, db, corridor_id, receipt, NULL, now, out, pb);
}
