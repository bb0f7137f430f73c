/* store_evaluation.c: the record of every compliance evaluation a zone answered, written in the request's
 * transaction together with the attestation credential, so a decision given is a decision kept. */
#include "mez/store.h"
#include "mez/vc.h"

mez_status_t mez_store_evaluation_insert(apr_pool_t *p, mez_db_t *db, const char *action_type,
                                         const char *jurisdiction, const char *subject_id, const char *decision,
                                         const char *commitment, const char *digest,
                                         const char *attestation_digest, const char *body, mez_problem_t *pb)
{
    return mez_db_send(p, db,
                       "INSERT INTO mez_evaluation (action_type, jurisdiction, subject_id, decision, commitment, "
                       "digest, attestation_digest, body, evaluated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       pb, action_type, jurisdiction, subject_id ? subject_id : MEZ_DB_NULL, decision, commitment,
                       digest, attestation_digest ? attestation_digest : MEZ_DB_NULL, body,
                       mez_time_now_rfc3339(p), NULL);
}

mez_status_t mez_store_evaluation_latest(apr_pool_t *p, mez_db_t *db, const char *jurisdiction,
                                         const char *subject_id, mez_evaluation_record_t *out, int *found,
                                         mez_problem_t *pb)
{
    const char *c[6];
    mez_status_t rv = mez_db_query_row(p, db, c, 6, found,
                                       "SELECT decision, commitment, digest, attestation_digest, evaluated_at, "
                                       "action_type FROM mez_evaluation WHERE jurisdiction = %s AND subject_id = %s "
                                       "ORDER BY seq DESC LIMIT 1",
                                       pb, jurisdiction, subject_id, NULL);
    if (rv == MEZ_OK && *found) {
        out->decision = c[0];
        out->commitment = c[1];
        out->digest = c[2];
        out->attestation_digest = c[3];
        out->evaluated_at = c[4];
        out->action_type = c[5];
    }
    return rv;
}
