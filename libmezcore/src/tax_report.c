/* tax_report.c: the zone API's POST /v1/fiscal/reporting/generate (mez/tax.h): who may have an entity's tax report
 * generated, and the request passed to the fiscal primitive that holds the tax events (the sovereign store's
 * mass_tax_report.c, or a remote Mass), whose answer is the report. The report adds up records; no law of the
 * zone's is applied, so the zone adds nothing to it. */
#include <string.h>
#include "mez/tax.h"

#define REPORT_PATH "/v1/fiscal/reporting/generate"

mez_status_t mez_tax_report_generate(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const json_t *body,
                                     const char *actor_entity, apr_time_t now, mez_mass_response_t *resp,
                                     mez_problem_t *pb)
{
    mez_mass_request_t req = { "POST", REPORT_PATH, NULL, body, NULL };
    mez_mass_store_ctx_t ctx = { z->zone_id, z->zone_id, now, NULL, z->tz, NULL };
    const char *entity_id = json_string_value(json_object_get(body, "entity_id"));

    resp->status = 0;
    resp->body = NULL;
    /* Only a named other entity is refused here: a body without entity_id is the store's to refuse (422), which
     * tells an entity token nothing about anyone else. */
    if (actor_entity && entity_id && strcmp(actor_entity, entity_id))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "auth.not_entity_owner", "/entity_id",
                           "an entity's token has the tax report of its own entity generated only");
    return z->mass_call ? z->mass_call(z->mass_baton, p, db, &req, resp, pb)
                        : mez_mass_store_handle(p, db, &ctx, &req, resp, pb);
}
