/* tensor_evidence.c: what a domain's own evidence says, by the reference's attestation rules.
 * Expiry is judged at an instant the caller gives, never "now", so the same evidence always reads the same. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include "mez/tensor.h"
#include "mez/vc.h"

int mez_tensor_attestation_expired(const mez_tensor_attestation_t *a, apr_time_t as_of)
{
    apr_time_t t;
    if (!a->expires_at)
        return 0;
    /* An unparseable expiry counts as expired, as in the reference: a typo must not buy indefinite validity. */
    if (mez_time_parse_rfc3339(a->expires_at, &t))
        return 1;
    return as_of > t;
}

mez_state_t mez_tensor_evidence_state(const mez_tensor_evidence_t *ev, apr_time_t as_of, const char **reason)
{
    int any_expired = 0;
    for (size_t i = 0; i < ev->n_attestations; i++)
        if (mez_tensor_attestation_expired(&ev->attestations[i], as_of))
            any_expired = 1;

    /* The reference reads attestations only for its original eight domains and leaves the other twelve
     * "not_implemented"; mez applies the same rule to all twenty, because its packs carry rules for them and a
     * stale attestation is as stale in licensing as in aml. */
    if (ev->has_state) {
        if (any_expired && mez_state_is_passing(ev->state)) {
            *reason = "attestation_expired";
            return MEZ_STATE_NON_COMPLIANT;
        }
        *reason = "evidence_state";
        return ev->state;
    }
    if (ev->n_attestations == 0) {
        *reason = "no_attestation";
        return MEZ_STATE_PENDING;
    }
    if (any_expired) {
        *reason = "attestation_expired";
        return MEZ_STATE_NON_COMPLIANT;
    }
    *reason = "attested";
    return MEZ_STATE_COMPLIANT;
}
