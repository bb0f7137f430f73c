/* tensor_attest.c: the ComplianceAttestation credential (unsigned) that states what an evaluation decided.
 * The HTTP API and any other caller sign it with the zone key (mez_vc_issue); what it says is decided here. */
#include <string.h>
#include "mez/json.h"
#include "mez/tensor.h"
#include "mez/vc.h"

/* The attestation says what was decided and commits to the full evaluation by its digest, so the credential
 * stays small while the evaluation record it points at can be produced and checked later. */
static json_t *attestation_subject(const json_t *req, const json_t *result, const char *evaluation_digest)
{
    const json_t *subject = json_object_get(req, "subject");
    const json_t *subject_id = json_object_get(subject, "id");
    json_t *states = json_object(), *domains = json_object_get(result, "domains");
    const char *name;
    json_t *d;
    json_object_foreach(domains, name, d) {
        const char *st = json_string_value(json_object_get(d, "state"));
        if (st && strcmp(st, "not_applicable"))
            json_object_set_new(states, name, json_string(st));
    }
    json_t *s = json_pack("{s:s,s:O,s:O,s:O,s:o,s:O,s:s}", "type", "ComplianceEvaluation",
                          "action_type", json_object_get(result, "action_type"),
                          "jurisdiction", json_object_get(result, "jurisdiction"),
                          "date", json_object_get(result, "date"), "domains", states,
                          "decision", json_object_get(result, "decision"), "evaluation", evaluation_digest);
    json_object_set(s, "commitment", json_object_get(result, "commitment"));
    if (json_is_string(subject_id))
        json_object_set(s, "id", (json_t *)subject_id);
    return s;
}

json_t *mez_tensor_attestation(apr_pool_t *p, const json_t *action_doc, const json_t *result,
                               const char *evaluation_digest)
{
    json_t *cred = json_pack("{s:[s],s:[s,s],s:s,s:o}", "@context", MEZ_VC_CONTEXT_V2, "type", "VerifiableCredential",
                             "ComplianceAttestation", "validFrom", mez_time_now_rfc3339(p), "credentialSubject",
                             attestation_subject(action_doc, result, evaluation_digest));
    return mez_json_pool_own(p, cred);
}
