/* store_credential.c: the record of every credential the zone issued, written in the same transaction
 * as the rest of the request so an answer is never given for a credential that was not kept. */
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/store.h"
#include "mez/vc.h"

mez_status_t mez_store_credential_insert(apr_pool_t *p, mez_db_t *db, const char *credential_id,
                                         const char *issuer, const char *digest, const char *body,
                                         int *already_recorded, mez_problem_t *pb)
{
    const char *found = NULL;
    int inserted = 0;
    mez_status_t rv;

    if (already_recorded)
        *already_recorded = 0;
    /* One statement in the usual case (a new credential): the unique digest and id decide, and only when the row
     * was not inserted is it worth asking which of the two it was. */
    rv = mez_db_execv(p, db, &inserted,
                      "INSERT INTO mez_credential (credential_id, issuer, digest, body, issued_at) "
                      "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                      pb, credential_id ? credential_id : MEZ_DB_NULL, issuer, digest, body, mez_time_now_rfc3339(p),
                      NULL);
    if (rv != MEZ_OK || inserted == 1)
        return rv;
    rv = mez_db_query_value(p, db, &found, "SELECT COUNT(*) FROM mez_credential WHERE digest = %s", pb, digest,
                            NULL);
    if (rv != MEZ_OK)
        return rv;
    if (found && apr_atoi64(found) > 0) {
        if (already_recorded)
            *already_recorded = 1;
        return MEZ_OK;
    }
    return mez_problem(pb, p, MEZ_EINVAL, 409, "credential.duplicate_id", "/credential/id",
                       "a credential with id %s was already issued", credential_id ? credential_id : "");
}

mez_status_t mez_store_credential_insert_pair(apr_pool_t *p, mez_db_t *db, const char *issuer,
                                              const char *digest_a, const char *body_a, const char *digest_b,
                                              const char *body_b, mez_problem_t *pb)
{
    const char *now = mez_time_now_rfc3339(p);
    /* Without ids the only conflict is a digest the zone has recorded already (the same request repeated within
     * a second), which is the answer mez_store_credential_insert gives too: so nothing needs reading back, and on
     * PostgreSQL the INSERT goes with the transaction's next statement (mez_db_send). */
    return mez_db_send(p, db,
                       "INSERT INTO mez_credential (credential_id, issuer, digest, body, issued_at) "
                       "VALUES (NULL, %s, %s, %s, %s), (NULL, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                       pb, issuer, digest_a, body_a, now, issuer, digest_b, body_b, now, NULL);
}
