/* peer_store.c: peer zones registered at runtime (mez/corridor.h, mez_peer_*). The configuration's MezPeer
 * directives are read by mod_mez when httpd starts; these rows let an operator add a corridor partner to a running
 * zone, and revoke one, without a restart. */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/did.h"
#include "mez/http.h"
#include "corridor_int.h"

#define PEER_COLS "zone_id, url, did, registered_by, created_at, revoked_at"

static int zone_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 128)
        return 0;
    for (; *s; s++)
        if (!apr_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

static void fill(const char *const *c, mez_peer_row_t *out)
{
    out->zone_id = c[0];
    out->url = c[1];
    out->did = c[2];
    out->registered_by = c[3];
    out->created_at = c[4];
    out->revoked_at = c[5];
}

mez_status_t mez_peer_get(apr_pool_t *p, mez_db_t *db, const char *zone_id, mez_peer_row_t *out, int *found,
                          mez_problem_t *pb)
{
    const char *c[6];
    mez_status_t st = mez_db_query_row(p, db, c, 6, found, "SELECT " PEER_COLS " FROM mez_peer WHERE zone_id = %s",
                                       pb, zone_id, NULL);
    if (st == MEZ_OK && *found)
        fill(c, out);
    return st;
}

mez_status_t mez_peer_by_did(apr_pool_t *p, mez_db_t *db, const char *did, mez_peer_row_t *out, int *found,
                             mez_problem_t *pb)
{
    const char *c[6];
    mez_status_t st = mez_db_query_row(p, db, c, 6, found, "SELECT " PEER_COLS " FROM mez_peer WHERE did = %s AND "
                                       "revoked_at IS NULL", pb, did, NULL);
    if (st == MEZ_OK && *found)
        fill(c, out);
    return st;
}

mez_status_t mez_peer_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = mez_db_query_rows(p, db, 6, &rows, "SELECT " PEER_COLS " FROM mez_peer ORDER BY zone_id", pb,
                                        NULL);
    if (st != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_peer_row_t));
    for (int i = 0; i < rows->nelts; i++)
        fill(APR_ARRAY_IDX(rows, i, const char *const *), apr_array_push(*out));
    return MEZ_OK;
}

mez_status_t mez_peer_register(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *url, const char *did,
                               const char *actor, apr_time_t now, const mez_audit_event_t *audit, int *repeated,
                               mez_problem_t *pb)
{
    mez_peer_row_t row, other;
    mez_db_tx_t *tx;
    mez_key_t *key;
    const char *host, *at = mez_corridor_time(p, now);
    int found = 0, taken = 0;
    mez_status_t st;

    if (repeated)
        *repeated = 0;
    if ((st = mez_audit_required(p, audit, "a peer's registration", pb)) != MEZ_OK)
        return st;
    if (!zone_id_ok(zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "peer.invalid_field", "/zone_id",
                           "zone_id is 1..128 letters, digits, '-', '_' or '.'");
    if (!url || mez_http_base_check(p, url, &host, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "peer.invalid_field", "/url",
                           "url is the peer zone's absolute http(s) base URL, without query, fragment or credentials");
    if (!did || strncmp(did, "did:key:", 8) || strchr(did, '#') || mez_did_key_resolve(p, did, &key, pb) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "peer.invalid_field", "/did",
                           "did is the peer zone's did:key (an Ed25519 key), without a fragment");
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_peer_get(p, db, zone_id, &row, &found, pb)) != MEZ_OK
        || (st = mez_peer_by_did(p, db, did, &other, &taken, pb)) != MEZ_OK)
        goto done;
    if (found && !row.revoked_at) {
        if (!strcmp(row.url, url) && !strcmp(row.did, did)) {
            if (repeated)
                *repeated = 1;
            goto done;      /* nothing to write: rolled back */
        }
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "peer.exists", "/zone_id",
                         "peer %s is registered with another URL or DID: revoke it first", zone_id);
        goto done;
    }
    if (taken && strcmp(other.zone_id, zone_id)) {
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "peer.did_taken", "/did", "%s is the DID of peer %s", did,
                         other.zone_id);
        goto done;
    }
    st = found ? mez_db_execv(p, db, NULL, "UPDATE mez_peer SET url = %s, did = %s, registered_by = %s, "
                              "created_at = %s, revoked_at = NULL WHERE zone_id = %s", pb, url, did, actor, at,
                              zone_id, NULL)
               : mez_db_execv(p, db, NULL, "INSERT INTO mez_peer (zone_id, url, did, registered_by, created_at) "
                              "VALUES (%s, %s, %s, %s, %s)", pb, zone_id, url, did, actor, at, NULL);
    if (st == MEZ_OK)
        st = mez_audit_append(p, db, audit, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_peer_revoke(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_time_t now,
                             const mez_audit_event_t *audit, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    int n = 0;
    mez_status_t st;
    if ((st = mez_audit_required(p, audit, "a peer's revocation", pb)) != MEZ_OK
        || (st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_db_execv(p, db, &n, "UPDATE mez_peer SET revoked_at = %s WHERE zone_id = %s AND revoked_at IS NULL",
                           pb, mez_corridor_time(p, now), zone_id, NULL)) == MEZ_OK && !n)
        st = mez_problem(pb, p, MEZ_EINVAL, 404, "peer.not_found", NULL, "no active registered peer %s", zone_id);
    if (st == MEZ_OK)
        st = mez_audit_append(p, db, audit, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return st;
}
