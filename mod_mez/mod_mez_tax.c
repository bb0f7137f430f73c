/* mod_mez_tax.c: the Mass treasury contract's two tax operations on the zone API (mez/tax.h):
 * POST /v1/fiscal/withholding/calculate, answered from the zone's packs (mez_tax_withholding_calculate decides), and
 * POST /v1/fiscal/reporting/generate, an entity's tax report, answered by the fiscal primitive through the zone's
 * Mass gateway (mez_tax_report_generate decides who may ask). Reads the request, answers, and audits a report. */
#include <apr_strings.h>
#include "http_protocol.h"
#include "mod_mez.h"
#include "mez/json.h"
#include "mez/tax.h"

/* What both routes begin with: a POST to a configured zone, its JSON body and a database handle, the action noted
 * for the log and the zone as the library sees it. 1: go on; 0: answered, *rc the handler's return. */
static int begin(request_rec *r, mez_srv_conf_t *sc, const char *action, json_t **body, mez_db_t **db,
                 mez_orch_zone_t *z, int *rc)
{
    mez_problem_t pb = { 0 };
    if (r->method_number != M_POST) {
        *rc = mez_send_method_not_allowed(r, "POST");
        return 0;
    }
    if (!sc->zone_id)
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                    "this server has no MezZone configuration");
    else if (mez_read_json_body(r, body, &pb) == MEZ_OK)
        *db = mez_request_db_or_problem(r, NULL, &pb);
    if (!sc->zone_id || !*body || !*db) {
        *rc = mez_send_problem(r, &pb, NULL);
        return 0;
    }
    apr_table_setn(r->notes, "mez-action", action);
    mez_orch_zone_of(r, sc, z);
    return 1;
}

int mez_withholding_calculate(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_orch_zone_t z;
    mez_db_t *db = NULL;
    json_t *body = NULL, *answer;
    int rc;

    if (!begin(r, sc, "fiscal.withholding_calculate", &body, &db, &z, &rc))
        return rc;
    if (mez_tax_withholding_calculate(&z, sc->zone, r->pool, db, body, apr_table_get(r->notes, "mez-entity"),
                                      r->request_time, &answer, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json_typed(r, HTTP_OK, "application/json", answer);
}

/* The report is computed, not kept (it adds up records that do not change, so it can be generated again); what
 * the zone keeps is that it was generated, for whom and by whom, and its digest: an audit row, so that a report
 * someone shows later can be held to the zone's chain. The report is asked for outside a transaction (it writes
 * nothing, and no write lock is held while it is added up or while a remote Mass answers); the row is written in
 * one of its own once there is a report. A refusal is answered as the primitive gave it and records nothing. */
int mez_tax_report(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_mass_response_t resp = { 0 };
    mez_orch_zone_t z;
    mez_db_tx_t *tx;
    mez_db_t *db = NULL;
    json_t *body = NULL;
    const json_t *b;
    int rc;

    if (!begin(r, sc, "fiscal.tax_report", &body, &db, &z, &rc))
        return rc;
    if (mez_tax_report_generate(&z, r->pool, db, body, apr_table_get(r->notes, "mez-entity"), r->request_time,
                                &resp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (resp.status >= 400)
        return mez_send_mass_answer(r, &resp);
    b = resp.body;      /* ours until mez_send_mass_answer takes it */
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK) {
        json_decref(resp.body);
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_request_audit(r, db, "fiscal.tax_report", "tax_report",
                          json_string_value(json_object_get(b, "report_id")), "committed",
                          json_pack("{s:s*,s:s*,s:s*,s:s*}", "entity_id",
                                    json_string_value(json_object_get(b, "entity_id")), "tax_year",
                                    json_string_value(json_object_get(b, "tax_year")), "output_format",
                                    json_string_value(json_object_get(b, "output_format")), "report_digest",
                                    json_string_value(json_object_get(b, "report_digest"))), &pb) != MEZ_OK
        || mez_db_commit(r->pool, tx, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        json_decref(resp.body);
        return mez_send_problem(r, &pb, NULL);
    }
    return mez_send_mass_answer(r, &resp);
}
