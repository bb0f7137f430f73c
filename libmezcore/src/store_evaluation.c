/* store_evaluation.c: the record of every compliance evaluation a zone answered, written in the request's
 * transaction together with the attestation credential, so a decision given is a decision kept. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
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
        memset(out, 0, sizeof(*out));
        out->jurisdiction = jurisdiction;
        out->subject_id = subject_id;
        out->decision = c[0];
        out->commitment = c[1];
        out->digest = c[2];
        out->attestation_digest = c[3];
        out->evaluated_at = c[4];
        out->action_type = c[5];
    }
    return rv;
}

#define RECORD_COLS "seq, action_type, jurisdiction, subject_id, decision, commitment, digest, attestation_digest, " \
                    "evaluated_at"
#define RECORD_NCOLS 9

static void from_row(const char **c, mez_evaluation_record_t *out)
{
    memset(out, 0, sizeof(*out));
    out->seq = apr_atoi64(c[0]);
    out->action_type = c[1];
    out->jurisdiction = c[2];
    out->subject_id = c[3];
    out->decision = c[4];
    out->commitment = c[5];
    out->digest = c[6];
    out->attestation_digest = c[7];
    out->evaluated_at = c[8];
}

mez_status_t mez_store_evaluation_list(apr_pool_t *p, mez_db_t *db, const mez_evaluation_filter_t *f,
                                       apr_array_header_t **out, mez_problem_t *pb)
{
    mez_db_where_t w = MEZ_DB_WHERE_INIT;
    apr_array_header_t *rows;
    mez_status_t rv;

    /* Only the conditions asked for are in the statement, so each list is a plain index walk (seq descending,
     * or the subject index) that stops at the limit. */
    if (f->decision)
        mez_db_where_add(p, &w, "decision = %s", f->decision);
    if (f->subject_id)
        mez_db_where_add(p, &w, "subject_id = %s", f->subject_id);
    if (f->action_type)
        mez_db_where_add(p, &w, "action_type = %s", f->action_type);
    if (f->before > 0)
        mez_db_where_add(p, &w, "seq < %s", apr_psprintf(p, "%" APR_INT64_T_FMT, f->before));
    rv = mez_db_query_rows_array(p, db, RECORD_NCOLS, &rows,
                                 apr_psprintf(p, "SELECT " RECORD_COLS " FROM mez_evaluation%s ORDER BY seq DESC "
                                              "LIMIT %d", w.sql, f->limit > 0 ? f->limit : 1),
                                 w.nargs, w.args, pb);
    if (rv != MEZ_OK)
        return rv;
    *out = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(mez_evaluation_record_t));
    for (int i = 0; i < rows->nelts; i++)
        from_row(APR_ARRAY_IDX(rows, i, const char **), &APR_ARRAY_PUSH(*out, mez_evaluation_record_t));
    return MEZ_OK;
}

mez_status_t mez_store_evaluation_get(apr_pool_t *p, mez_db_t *db, apr_int64_t seq, mez_evaluation_record_t *out,
                                      int *found, mez_problem_t *pb)
{
    const char *c[RECORD_NCOLS + 1];
    mez_status_t rv = mez_db_query_row(p, db, c, RECORD_NCOLS + 1, found,
                                       "SELECT " RECORD_COLS ", body FROM mez_evaluation WHERE seq = %s", pb,
                                       apr_psprintf(p, "%" APR_INT64_T_FMT, seq), NULL);
    if (rv == MEZ_OK && *found) {
        from_row(c, out);
        out->body = c[RECORD_NCOLS];
    }
    return rv;
}

json_t *mez_evaluation_record_json(const mez_evaluation_record_t *rec)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s*, s:s, s:s, s:s, s:s*, s:s}", "seq", (json_int_t)rec->seq,
                          "action_type", rec->action_type, "jurisdiction", rec->jurisdiction, "subject_id",
                          rec->subject_id, "decision", rec->decision, "commitment", rec->commitment, "digest",
                          rec->digest, "attestation_digest", rec->attestation_digest, "evaluated_at",
                          rec->evaluated_at);
    if (o && rec->body) {
        /* The stored canonical text, as an object: its SHA-256 is "digest" once canonicalised again (RFC 8785
         * is idempotent), which is how a reader checks that this is the evaluation the zone committed to. */
        json_t *ev = json_loads(rec->body, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "evaluation", ev ? ev : json_string(rec->body));
    }
    return o;
}
