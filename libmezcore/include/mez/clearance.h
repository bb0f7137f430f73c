/* clearance.h: sanctions screening clearances. Screening compares names, and a name can meet a listed name
 * without being that person or organisation ("Abdul Rahman" is a listed alias and the name of many thousands of
 * people). A hit is a hard block (DESIGN §4) until someone accountable has looked at the evidence (a date of
 * birth, a national identity number, the listing's narrative) and recorded that this name, screened in this
 * record, is not that entry: a clearance. It names
 *   context_id       the record the name was screened in, as the 422's sanctions_match reason gives it in
 *                    "clearance_context": an entity's id, a person's id, or a formation's application
 *                    ("urn:mez:application:<hex>", from the legal name applied for);
 *   name             the name, kept as given and as screening normalises it (the clearance covers that name
 *                    only: another spelling is screened, and cleared, on its own);
 *   entry            the list entry as the hit cites it ("rule": "<pack id>/<entry id>");
 * with who cleared it, why, and until when (at most MEZ_CLEARANCE_MAX_DAYS). Clearances are never edited: a
 * wrong one is revoked (who, when, why) and the hit blocks again. A clearance that needs two principals
 * (approvals_required 2, the default of a zone: MezClearanceApprovers) is "proposed" until another principal
 * than the one who recorded it approves it; only then does it apply. Each create, approval and revoke is one
 * transaction with its audit row. The zone's pipeline (orchestrate.c) applies the clearances of the records a request screens in,
 * and the attestation of what it then did carries the clearance it relied on. */
#ifndef MEZ_CLEARANCE_H
#define MEZ_CLEARANCE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/audit.h"
#include "mez/problem.h"
#include "mez/store.h"
#include "mez/tensor.h"
#include "mez/tz.h"

#define MEZ_CLEARANCE_MAX_DAYS 366        /* a clearance is reviewed at least yearly */
#define MEZ_CLEARANCE_REASON_MAX 4000     /* bytes of the reviewer's reasons */

typedef struct mez_clearance_t {
    const char *clearance_id, *zone_id, *context_id, *name, *name_normalised, *entry, *reason, *cleared_by;
    const char *created_at, *expires_at;                  /* RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ" */
    int approvals_required;                               /* 1 or 2 principals */
    const char *approved_at, *approved_by;                /* NULL until a second principal approved it */
    const char *revoked_at, *revoked_by, *revoke_reason;  /* NULL until revoked */
} mez_clearance_t;

/* "proposed" (awaiting its second principal), "active", "expired" or "revoked" at now. */
const char *mez_clearance_status(const mez_clearance_t *c, apr_time_t now);
/* The clearance as the API answers it (with "status" at now); new reference. */
json_t *mez_clearance_json(const mez_clearance_t *c, apr_time_t now);

/* A clearance request's body, {context_id, name, entry, reason, expires_at?}, read as every request of the zone
 * API is (an object with those members only; request.missing_field, request.invalid_type, request.empty_value,
 * request.invalid_characters, request.too_long, each with its pointer), its expiry bounded (default a year from
 * now; 422 request.invalid_time, clearance.expires_in_past, clearance.expires_too_late at /expires_at), and its
 * name checked against the zone's lists as of today, the date of now on the zone's calendar tz (NULL: UTC's;
 * mez_clearance_check_hit). Sets in's context_id, name,
 * name_normalised, entry, reason and expires_at; who clears it and how many principals it needs are the
 * caller's. */
mez_status_t mez_clearance_read_request(apr_pool_t *p, const mez_tensor_index_t *ix, const char *jurisdiction,
                                        const json_t *body, apr_time_t now, const mez_tz_t *tz, mez_clearance_t *in,
                                        mez_problem_t *pb);
/* A revocation's body, {reason}, read the same way. */
mez_status_t mez_clearance_read_revocation(apr_pool_t *p, const json_t *body, const char **reason,
                                           mez_problem_t *pb);
/* An approval's body: {} (the approver is the caller). */
mez_status_t mez_clearance_read_approval(apr_pool_t *p, const json_t *body, mez_problem_t *pb);

/* Checks a clearance request against the zone's lists before anything is stored: the name must be screenable
 * (422 request.unscreenable_name / request.name_too_long at /name) and must, screened today in jurisdiction,
 * hit the entry (422 clearance.no_match at /entry, naming the entries it does hit: a clearance of a hit that does
 * not happen would clear nothing, or clear the wrong entry). On success *name_normalised is set. */
mez_status_t mez_clearance_check_hit(apr_pool_t *p, const mez_tensor_index_t *ix, const char *jurisdiction,
                                     const char *name, const char *entry, const char *today,
                                     const char **name_normalised, mez_problem_t *pb);

/* Create, approve and revoke each write their audit row (audit, required: mez_audit_required) in the change's
 * transaction.
 * Stores a new clearance (in: every member but clearance_id, created_at and the revocation; name_normalised
 * from mez_clearance_check_hit) with its audit row (audit: resource_id and detail are filled in here), in one
 * transaction. 409 clearance.exists when a clearance in force or proposed already names the same context, name
 * and entry. */
mez_status_t mez_clearance_create(apr_pool_t *p, mez_db_t *db, const mez_clearance_t *in, apr_time_t now,
                                  const mez_audit_event_t *audit, mez_clearance_t *out, mez_problem_t *pb);
/* 404 clearance.not_found when there is none. */
mez_status_t mez_clearance_get(apr_pool_t *p, mez_db_t *db, const char *clearance_id, mez_clearance_t *out,
                               mez_problem_t *pb);
/* Clearances, newest first, as mez_clearance_t: of one context (or all with context_id NULL), with status
 * "active" (in force at now; NULL means this), "proposed" (awaiting approval) or "all"; at most limit (> 0). */
mez_status_t mez_clearance_list(apr_pool_t *p, mez_db_t *db, const char *context_id, const char *status,
                                apr_time_t now, int limit, apr_array_header_t **out, mez_problem_t *pb);
/* A second principal approves a proposed clearance, with its audit row, in one transaction: 409
 * clearance.self_approval when approved_by is who recorded it, clearance.not_proposed when it needs no approval
 * or has one, clearance.revoked, clearance.expired. */
mez_status_t mez_clearance_approve(apr_pool_t *p, mez_db_t *db, const char *clearance_id, const char *approved_by,
                                   apr_time_t now, const mez_audit_event_t *audit, mez_clearance_t *out,
                                   mez_problem_t *pb);
/* Revokes a clearance (409 clearance.revoked when it already is) with its audit row, in one transaction. An
 * expired one may still be revoked: the record then says it was withdrawn, not only that it ran out. */
mez_status_t mez_clearance_revoke(apr_pool_t *p, mez_db_t *db, const char *clearance_id, const char *revoked_by,
                                  const char *reason, apr_time_t now, const mez_audit_event_t *audit,
                                  mez_clearance_t *out, mez_problem_t *pb);
/* The clearances active at now for any of the n contexts, as the evaluation takes them (*out NULL and *nout 0 when
 * none); the detail each reason copies is {id, cleared_by, created_at, expires_at, reason}. */
mez_status_t mez_clearance_active(apr_pool_t *p, mez_db_t *db, const char *const *contexts, int n, apr_time_t now,
                                  mez_tensor_clearance_t **out, size_t *nout, mez_problem_t *pb);

#endif
