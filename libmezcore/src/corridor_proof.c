/* corridor_proof.c: what a corridor's stored tree answers (roots and RFC 9162 proofs at any size so far), the
 * signed checkpoints recorded from it, and the peers' signature replay cache (mez/corridor.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/checkpoint.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/receipt.h"
#include "corridor_int.h"

static mez_status_t bad_size(apr_pool_t *p, const char *param, uint64_t v, const char *why, mez_problem_t *pb)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_size", apr_pstrcat(p, "/", param, NULL),
                       "%s %" APR_UINT64_T_FMT " %s", param, v, why);
}

mez_status_t mez_corridor_root_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                  mez_digest_t *root, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_status_t st = mez_corridor_read(p, db, corridor_id, 0, &c, pb);
    if (st != MEZ_OK)
        return st;
    if (size > c.size)
        return bad_size(p, "size", size, "is beyond the chain", pb);
    if (!size) {
        mez_digest_sha256("", 0, root);
        return MEZ_OK;
    }
    return mez_corridor_range_hash(p, db, corridor_id, 0, size, root, pb);
}

mez_status_t mez_corridor_inclusion_proof(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t seq,
                                          uint64_t size, mez_digest_t *leaf, mez_digest_t **path, size_t *len,
                                          mez_problem_t *pb)
{
    mez_corridor_t c;
    const char *hex = NULL;
    mez_status_t st = mez_corridor_read(p, db, corridor_id, 0, &c, pb);
    if (st != MEZ_OK)
        return st;
    if (size > c.size)
        return bad_size(p, "size", size, "is beyond the chain", pb);
    if (seq >= size)
        return bad_size(p, "seq", seq, "is not in the tree of that size", pb);
    if ((st = mez_db_query_value(p, db, &hex, "SELECT next_root FROM mez_corridor_receipt WHERE corridor_id = %s AND "
                                 "seq = %s", pb, corridor_id, mez_corridor_u64(p, seq), NULL)) != MEZ_OK)
        return st;
    if (!hex || mez_receipt_hex_digest(p, hex, "", leaf, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL, "receipt %" APR_UINT64_T_FMT
                           " is missing", seq);
    return mez_corridor_tree_inclusion(p, db, corridor_id, seq, size, path, len, pb);
}

mez_status_t mez_corridor_consistency_proof(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                            uint64_t to, mez_digest_t **path, size_t *len, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_status_t st = mez_corridor_read(p, db, corridor_id, 0, &c, pb);
    if (st != MEZ_OK)
        return st;
    if (to > c.size)
        return bad_size(p, "to", to, "is beyond the chain", pb);
    if (!from || from > to)
        return bad_size(p, "from", from, "must be in 1..to (RFC 9162 has no proof from the empty tree)", pb);
    return mez_corridor_tree_consistency(p, db, corridor_id, from, to, path, len, pb);
}

mez_status_t mez_corridor_last_checkpoint(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char **note,
                                          mez_problem_t *pb)
{
    /* Sizes only grow (mez_checkpoint_sign_next refuses a smaller one), so the last is the largest. */
    return mez_db_query_value(p, db, note, "SELECT note FROM mez_corridor_checkpoint WHERE corridor_id = %s "
                              "ORDER BY tree_size DESC LIMIT 1", pb, corridor_id, NULL);
}

mez_status_t mez_corridor_checkpoint(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *zone_id,
                                     const char *key_name, const mez_key_t *key, apr_time_t now, const char **note,
                                     mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_checkpoint_t cp, prev;
    mez_db_tx_t *tx;
    mez_digest_t *proof = NULL;
    size_t len = 0;
    const char *prev_note = NULL;
    mez_status_t st;

    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (!c.size) {
        st = bad_size(p, "size", 0, "has no checkpoint: the chain is empty", pb);
        goto done;
    }
    if ((st = mez_checkpoint_origin(p, zone_id, corridor_id, &cp.origin, pb)) != MEZ_OK
        || (st = mez_corridor_last_checkpoint(p, db, corridor_id, &prev_note, pb)) != MEZ_OK)
        goto done;
    cp.size = c.size;
    cp.root = c.root;
    if (prev_note) {
        /* After a key rotation the last note is the previous key's: this key has signed nothing yet, so there
         * is nothing of its own to stay consistent with (the tree itself is, whoever signs it). */
        const char *line2 = strchr(prev_note, '\n'), *signer = NULL;
        mez_problem_t spb = { 0 };
        if (mez_corridor_signer_at(p, db, corridor_id, line2 ? (uint64_t)apr_atoi64(line2 + 1) : 0, &signer, &spb)
                == MEZ_OK
            && strcmp(signer, mez_did_key(p, key)))
            prev_note = NULL;
    }
    if (prev_note) {
        /* The proof is from the size the last note claims; sign_next verifies the note and the proof. */
        if ((st = mez_checkpoint_open(p, prev_note, strlen(prev_note), key_name, key, &prev, pb)) != MEZ_OK)
            goto done;
        if (prev.size == c.size && mez_digest_equal(&prev.root, &c.root) && !strcmp(prev.origin, cp.origin)) {
            *note = prev_note;
            goto done;
        }
        if (prev.size && prev.size < c.size
            && (st = mez_corridor_tree_consistency(p, db, corridor_id, prev.size, c.size, &proof, &len, pb)) != MEZ_OK)
            goto done;
    }
    if ((st = mez_checkpoint_sign_next(p, prev_note, &cp, proof, len, key_name, key, note, pb)) != MEZ_OK
        || (st = mez_db_execv(p, db, NULL,
                              "INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, note, created_at) "
                              "VALUES (%s, %s, %s, %s, %s)", pb, corridor_id, mez_corridor_u64(p, c.size),
                              mez_digest_hex(p, &c.root), *note, mez_corridor_time(p, now), NULL)) != MEZ_OK)
        goto done;
    return mez_db_commit(p, tx, pb);
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_checkpoint_take(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *origin,
                                          const char *key_name, const mez_key_t *key, const char *note,
                                          apr_time_t now, const char **evidence_digest, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_checkpoint_t cp;
    mez_digest_t ours;
    mez_db_tx_t *tx;
    const char *at = mez_corridor_time(p, now), *ours_hex, *theirs_hex;
    json_t *evidence;
    int keep = 0;
    mez_status_t st;

    *evidence_digest = NULL;
    if ((st = mez_checkpoint_open(p, note, strlen(note), key_name, key, &cp, pb)) != MEZ_OK)
        return st;
    if (strcmp(cp.origin, origin))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "checkpoint.origin_mismatch", NULL,
                           "the checkpoint is of log %s, not %s", cp.origin, origin);
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (!cp.size || cp.size > c.size) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.behind", NULL,
                         "the checkpoint is of %" APR_UINT64_T_FMT " receipts; this copy holds %" APR_UINT64_T_FMT,
                         cp.size, c.size);
        goto done;
    }
    if ((st = mez_corridor_root_at(p, db, corridor_id, cp.size, &ours, pb)) != MEZ_OK)
        goto done;
    ours_hex = mez_digest_hex(p, &ours);
    theirs_hex = mez_digest_hex(p, &cp.root);
    if (!mez_digest_equal(&ours, &cp.root)) {
        /* Signed by the sequencer, contradicting the receipts it signed: keep the proof of it. */
        evidence = mez_json_pool_own(p, json_pack("{s:s, s:s, s:I, s:s, s:s}", "type",
                                                  "mez.corridor.checkpoint_fork.v1", "corridor_id", corridor_id,
                                                  "tree_size", (json_int_t)cp.size, "chain_root", ours_hex,
                                                  "checkpoint_root", theirs_hex));
        if ((st = mez_corridor_keep_evidence(p, db, corridor_id, cp.size, ours_hex, theirs_hex, note, evidence, now,
                                             evidence_digest, pb)) != MEZ_OK)
            goto done;
        keep = 1;
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "checkpoint.inconsistent", NULL,
                         "the sequencer's checkpoint of %" APR_UINT64_T_FMT " receipts has root %s, but the receipts "
                         "it sent give %s; evidence %s kept: halt the corridor", cp.size, theirs_hex, ours_hex,
                         *evidence_digest);
        goto done;
    }
    if ((st = mez_db_execv(p, db, NULL,
                           "INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, note, created_at) "
                           "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", pb, corridor_id,
                           mez_corridor_u64(p, cp.size), theirs_hex, note, at, NULL)) != MEZ_OK)
        goto done;
    return mez_db_commit(p, tx, pb);
done:
    if (keep)
        return mez_corridor_commit_evidence(p, tx, st, pb);
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_peer_nonce_prune(apr_pool_t *p, mez_db_t *db, apr_time_t before, int *deleted, mez_problem_t *pb)
{
    int n = 0;
    mez_status_t st = mez_db_execv(p, db, &n, "DELETE FROM mez_peer_nonce WHERE seen_at < %s", pb,
                                   apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(before)), NULL);
    if (st == MEZ_OK && deleted)
        *deleted = n;
    return st;
}

static int nonce_text_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

mez_status_t mez_peer_nonce_check(apr_pool_t *p, mez_db_t *db, const char *keyid, const char *nonce, apr_time_t now,
                                  apr_interval_time_t window, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    int n = 0;
    mez_status_t st;
    if (!nonce_text_ok(keyid))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/keyid",
                           "keyid must be 1..256 printable ASCII characters");
    if (!nonce_text_ok(nonce))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/nonce",
                           "nonce must be 1..256 printable ASCII characters");
    /* Its own transaction, for SQLite's sake: mez_db_begin queues this process's writers (mez/store.h); an
     * autocommit INSERT would wait for the write lock inside apr_dbd's per-statement mutex, blocking the very
     * sibling whose commit it waits for, until the busy timeout. */
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_peer_nonce_prune(p, db, now - window, NULL, pb)) != MEZ_OK
        || (st = mez_db_execv(p, db, &n, "INSERT INTO mez_peer_nonce (keyid, nonce, seen_at) VALUES (%s, %s, %s) "
                              "ON CONFLICT DO NOTHING", pb, keyid, nonce,
                              apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(now)), NULL)) != MEZ_OK
        || (st = mez_db_commit(p, tx, pb)) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return st;
    }
    if (!n)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "httpsig.replay", NULL,
                           "nonce already seen for key %s within the replay window", keyid);
    return MEZ_OK;
}
