/* mod_mez_evaluation.c: the zone's recorded compliance evaluations, for its operators and regulators to read
 * (mez_store_evaluation_list/_get decide what is read; this file carries it).
 *
 *   operator, regulator  GET /v1/evaluations[?decision=&subject_id=&action_type=&before=&limit=]   newest first
 *                        GET /v1/evaluations/{seq}                                                the record and its body
 *
 * Every decision the zone gave is a row of mez_evaluation (the write pipeline's, approvals and refusals alike, and
 * POST /v1/compliance/evaluate's unless previewed): `decision=non_compliant` is the list of what the zone refused,
 * and each record's "evaluation" carries the per-domain result and the legal sources cited, as the 422 did. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_protocol.h"
#include "mez/mass.h"
#include "mez/store.h"
#include "mez/tensor.h"
#include "mod_mez.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

static int get_list(request_rec *r, mez_db_t *db)
{
    static const char *const params[] = { "decision", "subject_id", "action_type", "before", "limit", NULL };
    mez_problem_t pb = { 0 };
    mez_evaluation_filter_t f = { 0 };
    apr_array_header_t *list;
    apr_table_t *q;
    apr_int64_t limit;
    mez_state_t state;
    json_t *arr, *doc;

    if (mez_read_query(r, params, &q, &pb) != MEZ_OK
        || mez_query_int(r, q, "limit", 1, LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT, &limit, &pb) != MEZ_OK
        || mez_query_int(r, q, "before", 1, APR_INT64_MAX, 0, &f.before, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    f.limit = (int)limit;
    f.decision = apr_table_get(q, "decision");
    f.subject_id = apr_table_get(q, "subject_id");
    f.action_type = apr_table_get(q, "action_type");
    if (f.decision && mez_state_parse(r->pool, f.decision, "/decision", &state, &pb) != MEZ_OK) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter", "/decision",
                    "decision is a compliance state: non_compliant (the refusals), pending, not_applicable, exempt "
                    "or compliant");
        return mez_send_problem(r, &pb, NULL);
    }
    if ((f.subject_id && !*f.subject_id) || (f.action_type && !*f.action_type)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter",
                    f.subject_id && !*f.subject_id ? "/subject_id" : "/action_type", "the value must not be empty");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_store_evaluation_list(r->pool, db, &f, &list, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < list->nelts; i++)
        json_array_append_new(arr, mez_evaluation_record_json(&APR_ARRAY_IDX(list, i, mez_evaluation_record_t)));
    doc = json_pack("{s:o}", "evaluations", arr);
    /* A full page may have more behind it: the next page is the records before its last. */
    if (list->nelts == f.limit)
        json_object_set_new(doc, "next_before",
                            json_integer(APR_ARRAY_IDX(list, list->nelts - 1, mez_evaluation_record_t).seq));
    return mez_send_json(r, 200, doc);
}

static int get_one(request_rec *r, mez_db_t *db, const char *seq_text)
{
    mez_problem_t pb = { 0 };
    mez_evaluation_record_t rec;
    apr_int64_t seq;
    char *end;
    int found = 0;

    seq = apr_strtoi64(seq_text, &end, 10);
    if (*seq_text >= '1' && *seq_text <= '9' && !*end && strlen(seq_text) < 19 && seq > 0
        && mez_store_evaluation_get(r->pool, db, seq, &rec, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!found) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "evaluation.not_found", NULL,
                    "no evaluation is recorded with seq %s", seq_text);
        return mez_send_problem(r, &pb, NULL);
    }
    apr_table_setn(r->notes, "mez-subject", rec.subject_id ? rec.subject_id : "");
    return mez_send_json(r, 200, mez_evaluation_record_json(&rec));
}

int mez_evaluation_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *cap[1];
    mez_db_t *db;
    (void)sc;
    if (r->method_number != M_GET)
        return mez_send_method_not_allowed(r, "GET");
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", "evaluations.read");
    if (!strcmp(r->uri, "/v1/evaluations"))
        return get_list(r, db);
    if (mez_mass_path_match(r->pool, r->uri, "/v1/evaluations/*", cap, 1))
        return get_one(r, db, cap[0]);
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}
