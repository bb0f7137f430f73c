/* corridor_settle.c: which receipts of a corridor a zone acts on as its own. A receipt the sequencer recorded at a
 * peer zone's request says so (transition.requested_by, inside the signed transition): the destination of a
 * transfer or migration takes it only from its source, and a source settles only a transfer it sent and decided
 * itself, with the outbound evaluation and payment credential in its own records. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor.h"
#include "mez/json.h"

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* Whole strings only (mez_json_text): a zone id or kind with a NUL would compare equal to its C text. */
static const char *member_zone(const json_t *obj, const char *name)
{
    return mez_json_text(json_object_get(json_object_get(obj, name), "zone_id"));
}

int mez_corridor_requested_by_other(const json_t *transition, const char *zone_id)
{
    return json_object_get(transition, "requested_by") && !same(member_zone(transition, "requested_by"), zone_id);
}

/* How many rows a count query finds (0 when it finds none or answers no number). */
static mez_status_t count(apr_pool_t *p, mez_db_t *db, const char *sql, const char *a, const char *b, long *n,
                          mez_problem_t *pb)
{
    const char *v = NULL;
    mez_status_t st = mez_db_query_value(p, db, &v, sql, pb, a, b, NULL);
    *n = st == MEZ_OK && v ? (long)apr_atoi64(v) : 0;
    return st;
}

mez_status_t mez_corridor_own_outbound(apr_pool_t *p, mez_db_t *db, const char *zone_id, const mez_corridor_t *c,
                                       uint64_t seq, const char **payment_id, mez_problem_t *pb)
{
    const json_t *t, *payload, *outbound;
    const char *text, *eval, *cred, *vc_text = NULL, *subject, *prefix;
    json_t *receipt, *vc;
    long n_eval = 0, n_cred = 0;
    int found = 0;
    mez_status_t st;

    if ((st = mez_corridor_receipt(p, db, c->corridor_id, seq, &text, &found, pb)) != MEZ_OK)
        return st;
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.receipt_missing", "/sequence",
                           "this zone holds no receipt %" APR_UINT64_T_FMT " of corridor %s", seq, c->corridor_id);
    if ((st = mez_json_parse(p, text, strlen(text), &receipt, pb)) != MEZ_OK)
        return st;
    t = json_object_get(receipt, "transition");
    payload = json_object_get(t, "payload");
    outbound = json_object_get(payload, "outbound");
    if (!same(mez_json_text(json_object_get(t, "kind")), "cross_border_transfer")
        || !same(member_zone(payload, "source"), zone_id) || !same(member_zone(payload, "destination"), c->peer_zone_id)
        || !same(mez_json_text(json_object_get(outbound, "zone_id")), zone_id)
        || mez_corridor_requested_by_other(t, zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "transfer.not_outbound", "/sequence",
                           "receipt %" APR_UINT64_T_FMT " of corridor %s is not a transfer this zone (%s) sent to %s",
                           seq, c->corridor_id, zone_id, c->peer_zone_id);
    eval = mez_json_text(json_object_get(outbound, "evaluation_digest"));
    cred = mez_json_text(json_object_get(outbound, "credential_digest"));
    if (eval && cred
        && ((st = count(p, db, "SELECT COUNT(*) FROM mez_evaluation WHERE digest = %s AND jurisdiction = %s AND "
                        "action_type = 'fiscal.payment'", eval, zone_id, &n_eval, pb)) != MEZ_OK
            || (st = count(p, db, "SELECT COUNT(*) FROM mez_credential WHERE digest = %s", cred, NULL, &n_cred, pb))
                   != MEZ_OK))
        return st;
    if (n_eval < 1 || n_cred < 1)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "transfer.not_decided_here", "/sequence",
                           "this zone recorded no outbound evaluation and payment credential for the transfer at "
                           "receipt %" APR_UINT64_T_FMT " of corridor %s", seq, c->corridor_id);
    if (!payment_id)
        return MEZ_OK;
    *payment_id = NULL;
    if ((st = mez_db_query_value(p, db, &vc_text, "SELECT body FROM mez_credential WHERE digest = %s", pb, cred,
                                 NULL)) != MEZ_OK
        || !vc_text || (st = mez_json_parse(p, vc_text, strlen(vc_text), &vc, pb)) != MEZ_OK)
        return st;
    subject = json_string_value(json_object_get(json_object_get(vc, "credentialSubject"), "id"));
    prefix = apr_pstrcat(p, "urn:mez:", zone_id, ":", NULL);
    if (subject && !strncmp(subject, prefix, strlen(prefix)) && subject[strlen(prefix)])
        *payment_id = subject + strlen(prefix);
    return MEZ_OK;
}
