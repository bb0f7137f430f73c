/* peer_refusal.c: the evidence a zone keeps of a peer's signed requests that it refused after their signature
 * verified (mez/corridor.h, mez_peer_refusal_*).
 *
 * Such a refusal (a replay, a request signed for another zone's authority) means someone holds a request the peer
 * signed and sends it where, or when, the peer did not: the zone's operators and regulators should see it, so the
 * first refusal is an audit row. But the audit log is append-only and hash-chained; had every resend been a row,
 * whoever captured one request could add a row per request for the whole window the signature stays fresh (at
 * the rate the zone commits). So each signature has one refusal record, and only its first refusal is audited:
 * the rest are counted in the record (and in httpd's error log and mez_problems_total, by mod_mez). */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/digest.h"
#include "corridor_int.h"

#define REFUSAL_COLS "peer, keyid, action, signature, first_at, last_at, times, request_id"

mez_status_t mez_peer_refusal_keep(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *audit, const char *keyid,
                                   const unsigned char *sig_bytes, size_t sig_len, apr_int64_t *times,
                                   mez_problem_t *pb)
{
    mez_digest_t d;
    mez_db_tx_t *tx;
    const char *sig, *at, *count = NULL;
    int n = 0;
    mez_status_t st;

    if (times)
        *times = 0;
    if ((st = mez_audit_required(p, audit, "a peer's refused request", pb)) != MEZ_OK)
        return st;
    if (!audit->resource_id || !*audit->resource_id || !keyid || !*keyid || !sig_bytes || !sig_len)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "audit.invalid_event", NULL,
                           "a peer's refused request needs the peer (the event's resource_id), the keyid and the "
                           "signature");
    /* The record keys on the digest of the signature's bytes, which identify the signed request. */
    mez_digest_sha256(sig_bytes, sig_len, &d);
    sig = mez_digest_format(p, &d);
    at = mez_corridor_time(p, audit->at ? audit->at : apr_time_now());
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    /* Concurrent refusals of one signature agree on which was first: the second INSERT waits for the first's
     * transaction on the primary key and then inserts nothing. */
    st = mez_db_execv(p, db, &n, "INSERT INTO mez_peer_refusal (keyid, signature, action, peer, first_at, last_at, "
                      "times, request_id) VALUES (%s, %s, %s, %s, %s, %s, 1, %s) ON CONFLICT DO NOTHING", pb, keyid,
                      sig, audit->action, audit->resource_id, at, at,
                      audit->request_id ? audit->request_id : MEZ_DB_NULL, NULL);
    /* The first: its audit row, appended last (it holds the chain's head until the commit). A resend: counted. */
    if (st == MEZ_OK && n)
        st = mez_audit_append(p, db, audit, pb);
    else if (st == MEZ_OK
             && (st = mez_db_execv(p, db, NULL, "UPDATE mez_peer_refusal SET times = times + 1, last_at = %s WHERE "
                                   "keyid = %s AND signature = %s AND action = %s", pb, at, keyid, sig, audit->action,
                                   NULL)) == MEZ_OK && times)
        st = mez_db_query_value(p, db, &count, "SELECT times FROM mez_peer_refusal WHERE keyid = %s AND signature = "
                                "%s AND action = %s", pb, keyid, sig, audit->action, NULL);
    if (st != MEZ_OK) {
        mez_db_rollback(p, tx);
        return st;
    }
    if ((st = mez_db_commit(p, tx, pb)) != MEZ_OK)
        return st;
    if (times)
        *times = n ? 1 : count ? apr_atoi64(count) : 0;
    return MEZ_OK;
}

mez_status_t mez_peer_refusal_list(apr_pool_t *p, mez_db_t *db, const char *peer, int limit,
                                   apr_array_header_t **out, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    const char *sql;
    mez_status_t st;

    *out = NULL;
    if (limit < 1 || limit > 1000)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "request.invalid_query", "/query/limit",
                           "limit is 1 to 1000");
    /* The limit is formatted into the text (as the other lists do): the peer is the only parameter. */
    sql = apr_psprintf(p, "SELECT " REFUSAL_COLS " FROM mez_peer_refusal%s ORDER BY last_at DESC, first_at DESC, "
                       "signature LIMIT %d", peer ? " WHERE peer = %s" : "", limit);
    st = mez_db_query_rows(p, db, 8, &rows, sql, pb, peer, NULL);     /* without a peer, the list ends at once */
    if (st != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(mez_peer_refusal_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char *const *c = APR_ARRAY_IDX(rows, i, const char *const *);
        mez_peer_refusal_t *r = apr_array_push(*out);
        r->peer = c[0];
        r->keyid = c[1];
        r->action = c[2];
        r->signature = c[3];
        r->first_at = c[4];
        r->last_at = c[5];
        r->times = c[6] ? apr_atoi64(c[6]) : 0;
        r->request_id = c[7];
    }
    return MEZ_OK;
}

json_t *mez_peer_refusal_json(const mez_peer_refusal_t *x)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s?}", "peer", x->peer, "keyid", x->keyid, "action",
                     x->action, "signature", x->signature, "first_refused_at", x->first_at, "last_refused_at",
                     x->last_at, "times", (json_int_t)x->times, "request_id", x->request_id);
}
