/* audit_anchor.c: signed anchors of the audit chain. The chain proves that no row in it was changed or removed
 * from its middle, but whoever can write the database (with the append-only triggers dropped) can remove its
 * newest rows and set the head back, and the chain still verifies. An anchor closes that: the zone signs the
 * head it has (a C2SP signed note, origin "<zone id>/audit", size the head's seq, the "root" line the head's
 * hash), an auditor or regulator keeps it, and later checks that the chain still holds that row with that hash.
 * The hash is the chain's own (audit.c), not a Merkle root: holding row N with the signed hash proves every row up
 * to N is the one that was anchored, since each row's hash covers the one before; "holding" meaning that row N
 * lies within the chain its head closes, that its hash recomputed from its members is the signed one, and that
 * the chain up to it verifies (mez_audit_verify_anchored checks all three in one pass). */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/checkpoint.h"
#include "mez/digest.h"

static mez_status_t origin_of(apr_pool_t *p, const char *zone_id, const char **origin, mez_problem_t *pb)
{
    if (!zone_id || !*zone_id || strpbrk(zone_id, " \t\n/+"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "audit.invalid_zone", NULL, "'%s' cannot name an audit log",
                           zone_id ? zone_id : "");
    *origin = apr_pstrcat(p, zone_id, "/audit", NULL);
    return MEZ_OK;
}

mez_status_t mez_audit_anchor_sign(apr_pool_t *p, mez_db_t *db, const char *zone_id, const mez_key_t *key,
                                   mez_audit_anchor_t *out, mez_problem_t *pb)
{
    const char *head[2];
    mez_checkpoint_t cp;
    int found = 0;
    mez_status_t st;

    memset(out, 0, sizeof(*out));
    if ((st = origin_of(p, zone_id, &cp.origin, pb)) != MEZ_OK
        || (st = mez_db_query_row(p, db, head, 2, &found, "SELECT seq, hash FROM mez_audit_head WHERE id = 1", pb,
                                  NULL)) != MEZ_OK)
        return st;
    if (!found)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "audit.no_head", NULL, "the audit chain has no head row");
    cp.size = (uint64_t)apr_atoi64(head[0]);
    if ((st = mez_digest_parse(p, head[1], &cp.root, pb)) != MEZ_OK
        || (st = mez_checkpoint_sign(p, &cp, cp.origin, key, &out->note, pb)) != MEZ_OK)
        return st;
    out->origin = cp.origin;
    out->seq = (apr_int64_t)cp.size;
    out->hash = head[1];
    out->vkey = mez_checkpoint_vkey(p, cp.origin, key);
    return MEZ_OK;
}

mez_status_t mez_audit_anchor_open(apr_pool_t *p, const char *note, const mez_key_t *key, mez_audit_anchor_t *out,
                                   mez_problem_t *pb)
{
    const char *nl = note ? strchr(note, '\n') : NULL;
    mez_checkpoint_t cp;
    mez_status_t st;

    memset(out, 0, sizeof(*out));
    if (!nl)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.malformed", NULL, "an anchor is a signed note");
    out->origin = apr_pstrndup(p, note, (apr_size_t)(nl - note));
    if (strlen(out->origin) < 7 || strcmp(out->origin + strlen(out->origin) - 6, "/audit"))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "audit.not_an_anchor", NULL,
                           "the note is of log %s, not of an audit chain", out->origin);
    /* The key name is the origin, as the zone signs. */
    if ((st = mez_checkpoint_open(p, note, strlen(note), out->origin, key, &cp, pb)) != MEZ_OK)
        return st;
    out->seq = (apr_int64_t)cp.size;
    out->hash = mez_digest_format(p, &cp.root);
    out->note = note;
    /* Whether the chain holds it is judged while the chain is verified (mez_audit_verify_anchored): from the
     * anchored row's recomputed hash, within the chain the head closes, not from a stored column a forger keeps. */
    return MEZ_OK;
}
