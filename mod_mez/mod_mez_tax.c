/* mod_mez_tax.c: POST /v1/fiscal/withholding/calculate, the Mass treasury contract's withholding calculation
 * answered from the zone's packs (mez/tax.h). Reads the request, answers; mez_tax_withholding_calculate decides. */
#include "mod_mez.h"
#include "mez/tax.h"

int mez_withholding_calculate(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_orch_zone_t z;
    mez_db_t *db;
    json_t *body, *answer;

    if (r->method_number != M_POST)
        return mez_send_method_not_allowed(r, "POST");
    if (!sc->zone_id) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                    "this server has no MezZone configuration");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_read_json_body(r, &body, &pb) != MEZ_OK || !(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", "fiscal.withholding_calculate");
    mez_orch_zone_of(r, sc, &z);
    if (mez_tax_withholding_calculate(&z, sc->zone, r->pool, db, body, apr_table_get(r->notes, "mez-entity"),
                                      r->request_time, &answer, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json_typed(r, HTTP_OK, "application/json", answer);
}
