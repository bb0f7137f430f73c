/* mod_mez_compliance.c: POST /v1/compliance/evaluate: the zone's tensor decides an action against the packs
 * loaded at start-up, the evaluation (and, when asked, a signed ComplianceAttestation) is recorded, then answered. */
#include <string.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/tensor.h"
#include "mez/vc.h"
#include "mez/zone.h"
#include "mez/tz.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

/* The answer is written around the canonical bytes already made for the digest (and the attestation's), so the
 * 5 KB evaluation is serialised once per request, not twice. A denial is an answer, not an error: 422 with the
 * per-domain result (DESIGN §4). */
static int send_evaluation(request_rec *r, mez_state_t decision, const char *canon, const char *digest,
                           int recorded, const char *attestation_canon)
{
    const char *text = apr_pstrcat(r->pool, "{\"evaluation\":", canon, ",\"evaluation_digest\":\"", digest,
                                   "\",\"recorded\":", recorded ? "true" : "false",
                                   attestation_canon ? ",\"attestation\":" : "",
                                   attestation_canon ? attestation_canon : "", "}\n", NULL);
    return mez_send_json_text(r, decision == MEZ_STATE_NON_COMPLIANT ? HTTP_UNPROCESSABLE_ENTITY : HTTP_OK, text,
                              strlen(text));
}

int mez_compliance_post_config(apr_pool_t *pconf, server_rec *s, mez_srv_conf_t *sc)
{
    const mez_zone_t *zone = sc->zone;
    apr_array_header_t *models;
    const char **digests;
    mez_tensor_index_t *ix;
    mez_problem_t pb = { 0 };
    uint32_t domains = 0;

    if (!zone || sc->tensor_index)
        return OK;
    /* Built once from the packs that passed the lock check, as the zone applies them (a base rule its overlay
     * overrides is cut out of the overlapping period); the index is only read afterwards, by every thread of
     * every child, so evaluation takes no lock and touches no file. */
    if (mez_zone_effective_models(pconf, zone, &models, &pb) != MEZ_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "zone %s: the overrides cannot be applied: %s (%s)", sc->zone_id,
                     pb.detail ? pb.detail : "", pb.code ? pb.code : "");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Reasons cite rules by the digest of the pack as published (the one GET /v1/packs/{digest} serves). */
    digests = apr_pcalloc(pconf, ((size_t)models->nelts + 1) * sizeof(*digests));
    for (int i = 0; i < models->nelts && i < zone->packs->nelts; i++)
        digests[i] = mez_pack_digest_string(pconf, APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).pack);
    if (mez_tensor_index_build_with_digests(pconf, (const json_t *const *)models->elts, digests,
                                            (size_t)models->nelts, &ix, &pb) != MEZ_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "zone %s: the packs cannot be indexed for evaluation: %s (%s%s%s)",
                     sc->zone_id, pb.detail ? pb.detail : "", pb.code ? pb.code : "", pb.pointer ? " at " : "",
                     pb.pointer ? pb.pointer : "");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (int i = 0; zone->compliance_domains && i < zone->compliance_domains->nelts; i++) {
        mez_domain_t d;
        if (mez_domain_parse(pconf, APR_ARRAY_IDX(zone->compliance_domains, i, const char *), NULL, &d, &pb) == MEZ_OK)
            domains |= MEZ_DOMAIN_BIT(d);
    }
    sc->tensor_index = ix;
    sc->tensor_domains = domains;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "zone %s: %d packs indexed for evaluation (%lu rows and lists)",
                 sc->zone_id, models->nelts, (unsigned long)mez_tensor_index_size(ix));
    return OK;
}

/* An entity's token acts for its own entity only (conf/mez-policy.conf). The evaluation route takes its subject
 * from the body, not from the registry as the orchestrated routes do, so an entity recording an evaluation, and
 * above all having the zone sign a ComplianceAttestation, must name itself as the subject: otherwise it could
 * file evaluations against, and obtain the zone's signed word about, another entity. A preview records and
 * signs nothing, so any action may be previewed. Returns 1 (pb filled) when the request is refused. */
static int refuse_other_subject(request_rec *r, const mez_srv_conf_t *sc, const json_t *body, mez_problem_t *pb)
{
    const char *role = apr_table_get(r->notes, "mez-role"), *own = apr_table_get(r->notes, "mez-entity"), *id;
    if (!role || strcmp(role, "entity"))
        return 0;
    id = json_string_value(json_object_get(json_object_get(body, "subject"), "id"));
    if (own && id
        && (!strcmp(id, own) || !strcmp(id, apr_pstrcat(r->pool, "urn:mez:", sc->zone_id, ":", own, NULL))))
        return 0;
    mez_problem(pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", "/subject/id",
                "this caller acts for entity %s only: a recorded or attested evaluation names it as subject.id "
                "(%s or urn:mez:%s:%s); a preview may name any subject", own ? own : "(none)",
                own ? own : "(none)", sc->zone_id, own ? own : "(none)");
    return 1;
}

int mez_post_evaluate(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_tensor_eval_options_t eo = { .tz = mez_zone_tz(sc), .weekend = mez_zone_weekend(sc),
                                     .tax_year_start = sc->zone ? sc->zone->tax_year_start : NULL,
                                     .holidays = sc->zone ? sc->zone->holidays : NULL };
    json_t *body, *action_doc, *result, *attest, *preview, *detail_v, *vc = NULL;
    mez_tensor_detail_t detail = MEZ_TENSOR_DETAIL_COMPACT;
    mez_state_t decision;
    const char *canon, *vc_canon = NULL, *subject_id = NULL, *evaluation_digest, *vc_digest = NULL;
    mez_digest_t d;
    mez_db_t *db;
    mez_db_tx_t *tx;
    int want_attestation = 0;

    if (!sc->key || !sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                    "this server has no MezZone/MezKeyFile configuration");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!sc->tensor_index) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.no_packs", NULL,
                    "this zone has no packs loaded (MezZoneFile): nothing to evaluate against");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_object(body)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.not_an_object", "", "the body must be a JSON object");
        return mez_send_problem(r, &pb, NULL);
    }
    /* "attest" belongs to the request, not to the action the tensor reads. */
    attest = json_object_get(body, "attest");
    if (attest && !json_is_boolean(attest)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/attest", "'attest' must be true or false");
        return mez_send_problem(r, &pb, NULL);
    }
    want_attestation = json_is_true(attest);
    /* A preview answers "what would the zone decide" without recording or attesting anything: a client's
     * pre-flight check. A decision that is acted on must be a recorded one. */
    preview = json_object_get(body, "preview");
    if (preview && !json_is_boolean(preview)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/preview", "'preview' must be true or false");
        return mez_send_problem(r, &pb, NULL);
    }
    if (json_is_true(preview) && want_attestation) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.conflicting_options", "/preview",
                    "a preview is not recorded, so it cannot be attested: drop 'preview' or 'attest'");
        return mez_send_problem(r, &pb, NULL);
    }
    if (!json_is_true(preview) && refuse_other_subject(r, sc, body, &pb))
        return mez_send_problem(r, &pb, NULL);
    /* In an evaluation the zone records or signs, the subject's classes of person are the operators' to state
     * (mez_orch_refuse_stated_classes); a preview may ask "what if". */
    if (!json_is_true(preview)
        && mez_orch_refuse_stated_classes(r->pool, mez_request_actor(r), apr_table_get(r->notes, "mez-entity"),
                                          json_object_get(body, "subject"), "/subject/taxpayer_classes", &pb)
               != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    /* Compact by default: every reason still names its rule (with its pack digest and validity) and legal source,
     * without copying the pack's long notes. An attestation is signed once and checked for years, after the
     * zone may have moved to other packs, so the evaluation it commits to is the full one, readable alone. */
    detail_v = json_object_get(body, "detail");
    if (detail_v && !json_is_string(detail_v)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_type", "/detail",
                    "'detail' is \"full\" or \"compact\"");
        return mez_send_problem(r, &pb, NULL);
    }
    if (detail_v && mez_tensor_detail_parse(r->pool, json_string_value(detail_v), "/detail", &detail, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (want_attestation) {
        if (detail_v && detail != MEZ_TENSOR_DETAIL_FULL) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.conflicting_options", "/detail",
                        "an attested evaluation is the full one, readable without the packs: drop 'detail' or "
                        "'attest'");
            return mez_send_problem(r, &pb, NULL);
        }
        detail = MEZ_TENSOR_DETAIL_FULL;
    }
    action_doc = mez_json_pool_own(r->pool, json_copy(body));
    json_object_del(action_doc, "attest");
    json_object_del(action_doc, "preview");
    json_object_del(action_doc, "detail");

    eo.domains = sc->tensor_domains;
    /* The action's date chooses the law; names are screened, and evidence must hold, as of today on the zone's
     * calendar, as the write pipeline judges them (orchestrate.c evaluate_with): an evaluation the zone records, or
     * signs as a ComplianceAttestation, dated last year would otherwise clear a person listed since and revive
     * a KYC attestation that has expired, under today's signature. A preview answers what a write would be told,
     * so it is judged the same way. (`mez tensor eval` still screens as of the action's date: it is the offline
     * tool for asking what the law said then.) */
    eo.screening_date = eo.evidence_date = mez_tz_date(r->pool, eo.tz, r->request_time);
    if (mez_tensor_evaluate_detail(r->pool, sc->tensor_index, action_doc, &eo, detail, &result, &decision, &pb)
            != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_json_canonicalize(r->pool, result, &canon, NULL, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    mez_metrics_note_domains(r, result);    /* counted only once mez-decision is set below */
    mez_digest_sha256(canon, strlen(canon), &d);
    evaluation_digest = mez_digest_format(r->pool, &d);
    subject_id = json_string_value(json_object_get(json_object_get(body, "subject"), "id"));

    if (want_attestation) {
        mez_vc_proof_options_t po = { 0 };
        json_t *cred = mez_tensor_attestation(r->pool, body, result, evaluation_digest);
        po.verification_method = sc->verification_method;
        if (mez_vc_issue(r->pool, cred, sc->key, sc->did, &po, &vc, &pb) != MEZ_OK
            || mez_json_canonicalize(r->pool, vc, &vc_canon, NULL, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        mez_digest_sha256(vc_canon, strlen(vc_canon), &d);
        vc_digest = mez_digest_format(r->pool, &d);
    }

    if (json_is_true(preview)) {
        apr_table_setn(r->notes, "mez-action", "compliance.preview");
        apr_table_setn(r->notes, "mez-decision", mez_state_name(decision));
        return send_evaluation(r, decision, canon, evaluation_digest, 0, NULL);
    }

    /* The evaluation and its attestation are kept in one transaction before anything is answered. */
    if (!(db = mez_request_db_or_problem(r, "to record the evaluation", &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (mez_store_evaluation_insert(r->pool, db, json_string_value(json_object_get(result, "action_type")),
                                    json_string_value(json_object_get(result, "jurisdiction")), subject_id,
                                    mez_state_name(decision), json_string_value(json_object_get(result, "commitment")),
                                    evaluation_digest, vc_digest, canon, &pb) != MEZ_OK
        || (vc && mez_store_credential_insert(r->pool, db, NULL, sc->did, vc_digest, vc_canon, NULL, &pb) != MEZ_OK)
        || mez_request_audit(r, db, "compliance.evaluate", "evaluation", evaluation_digest,
                             decision == MEZ_STATE_NON_COMPLIANT ? "denied" : "committed",
                             json_pack("{s:s,s:s*,s:s*,s:s*}", "decision", mez_state_name(decision), "subject_id",
                                       subject_id, "action_type",
                                       json_string_value(json_object_get(result, "action_type")),
                                       "attestation_digest", vc_digest), &pb) != MEZ_OK
        || mez_db_commit(r->pool, tx, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        return mez_send_problem(r, &pb, NULL);
    }

    apr_table_setn(r->notes, "mez-action", "compliance.evaluate");
    apr_table_setn(r->notes, "mez-decision", mez_state_name(decision));
    if (vc_digest)
        apr_table_setn(r->notes, "mez-credential-digest", vc_digest);
    return send_evaluation(r, decision, canon, evaluation_digest, 1, vc_canon);
}
