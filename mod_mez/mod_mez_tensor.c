/* mod_mez_tensor.c: GET /v1/tensor/{jurisdiction}/commitment (the committed state of a subject's latest recorded
 * evaluation, for regulators and peers) and POST /v1/manifold/route (cheapest compliant corridor path). */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_script.h"
#include "mez/json.h"
#include "mez/manifold.h"
#include "mez/store.h"
#include "mez/tensor.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define TENSOR_PREFIX "/v1/tensor/"
#define COMMITMENT_SUFFIX "/commitment"

int mez_get_tensor_commitment(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *rest = r->uri + strlen(TENSOR_PREFIX), *slash = strchr(rest, '/');
    const char *jurisdiction, *subject = NULL;
    mez_evaluation_record_t rec;
    apr_table_t *args = NULL;
    mez_db_t *db;
    int found = 0;

    if (!slash || strcmp(slash, COMMITMENT_SUFFIX)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
        return mez_send_problem(r, &pb, NULL);
    }
    jurisdiction = apr_pstrndup(r->pool, rest, (apr_size_t)(slash - rest));
    if (mez_tensor_check_jurisdiction_id(r->pool, jurisdiction, NULL, &pb) != MEZ_OK) {
        pb.status = 400;
        return mez_send_problem(r, &pb, NULL);
    }
    ap_args_to_table(r, &args);
    if (args)
        subject = apr_table_get(args, "subject");
    if (!subject || !*subject) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.missing_parameter", NULL,
                    "name the subject whose committed state you want: ?subject=<id>");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!mez_utf8_valid(subject, strlen(subject))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_query", NULL, "subject is not UTF-8 text");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_store_evaluation_latest(r->pool, db, jurisdiction, subject, &rec, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!found) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "tensor.no_evaluation", NULL,
                    "no evaluation of %s in %s has been recorded", subject, jurisdiction);
        return mez_send_problem(r, &pb, NULL);
    }
    json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "jurisdiction", jurisdiction, "subject", subject,
                            "commitment", rec.commitment, "decision", rec.decision, "action_type", rec.action_type,
                            "evaluation_digest", rec.digest, "evaluated_at", rec.evaluated_at);
    if (rec.attestation_digest)
        json_object_set_new(out, "attestation_digest", json_string(rec.attestation_digest));
    return mez_send_json(r, HTTP_OK, out);
}

int mez_post_manifold_route(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_manifold_request_t req;
    mez_manifold_path_t *path;
    const char *why = NULL;
    json_t *body;

    if (!sc->manifold) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "manifold.not_configured", NULL,
                    "this zone has no corridor graph (MezManifoldFile)");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_manifold_request_parse(r->pool, body, &req, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_manifold_route(r->pool, sc->manifold, req.source, req.target, req.asset_value_usd, &req.constraints,
                           &path, &why, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, why ? json_pack("{s:s}", "why", why) : NULL);
    apr_table_setn(r->notes, "mez-action", "manifold.route");
    return mez_send_json(r, HTTP_OK, json_incref(mez_manifold_path_json(r->pool, path)));
}
