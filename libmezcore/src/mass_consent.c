/* mass_consent.c: the sovereign Mass store's consent primitive: multi-party consent requests, signatures that are
 * verified, thresholds, expiry, revocation and each consent's hash-chained audit trail.
 *
 * Contract: ../shared/schemas/mass/apis/consent.openapi.yaml.
 *   POST /v1/consent/request            ConsentRequest -> 201 ConsentRecord
 *   GET  /v1/consent/{id}               -> 200 ConsentRecord
 *   POST /v1/consent/{id}/sign          ConsentSignature -> 200 ConsentRecord
 *   GET  /v1/consent/{id}/audit-trail   ?offset=&limit= -> 200 {consent_id, entries[AuditTrailEntry], total_count,
 *                                       offset, limit}
 *   POST /v1/consent/{id}/revoke        extension (the contract has the "revoked" status and a consent_revoked
 *                                       event but no path to reach them): {requester_id, reason?, signed_at,
 *                                       proof} -> 200 ConsentRecord; only the requester, only while pending.
 *
 * Deviation: the contract names parties by `did:msez:` identifiers, which resolve to no key, so no signature by
 * them could be checked. mez names them by did:key (mez/did.h): requester_id and every signatory_id must be a
 * did:key DID, and a signature's proof is a real Ed25519 signature checked against the key the signatory's DID
 * encodes. The proof keeps the contract's CryptographicProof shape:
 *   type                 "Ed25519Signature2020" (the contract's only value; here it names exactly this
 *                        construction, not the RDF-canonicalised suite of that name)
 *   created              when the proof was made (YYYY-MM-DDTHH:MM:SSZ)
 *   verification_method  "did:key:z6Mk...#z6Mk...": the signatory's own key
 *   proof_purpose        "assertionMethod" or "authentication"
 *   proof_value          multibase base58btc ("z...") of the 64-byte Ed25519 signature over the RFC 8785 canonical
 *                        JSON of {consent_id, digest_sha256, decision, signed_at, signatory_id}
 * (a revocation signs the same object with decision "revoke" and the requester as signatory_id).
 *
 * Identity of a consent: digest_sha256 is the SHA-256 (bare hex, as the contract writes it) of the canonical
 * ConsentRequest without `metadata` (the contract keeps metadata out of the digest), and consent_id is "con_" +
 * that digest: content-addressed as the contract says, so the same terms twice are one consent (409
 * "consent.exists"). Times must be in the one form mez signs and compares (YYYY-MM-DDTHH:MM:SSZ); other RFC 3339
 * forms are refused, never rewritten, because a rewritten signed_at would no longer be what was signed.
 *
 * Thresholds, over the n listed signatories: unanimous n; majority floor(n/2)+1; qualified_majority
 * ceil(n * minimum_count / denominator); count minimum_count. For unanimous and majority a minimum_count raises
 * the need further. Every signatory marked required must approve as well. A consent is approved as soon as both
 * hold, rejected as soon as they no longer can (a required signatory rejected, or too few undecided are left),
 * expired once ctx->now is past its deadline while pending, revoked by its requester. signatures_collected counts
 * approvals (the contract's definition). The deadline is an instant the requester names, compared as one: there
 * is no count of days here for a calendar to decide.
 *
 * A store several zones share (mass_int.h: zones) stamps a consent with the zone its caller acts for
 * (made_for_zone_id, migration 0025): such a caller asks for its own zone's consents only (422 consent.other_zone
 * for another zone_id, as the zone API answers) and reads, signs, revokes and lists the trail of those only
 * (another zone's is 404 mass.not_found, as an unknown id is).
 *
 * Refusals: 404 mass.not_found; 403 consent.not_a_signatory / consent.not_the_requester; 422
 * consent.bad_signature (and request.* shape problems, consent.invalid_did, consent.invalid_zone_id, ...); 409
 * consent.already_signed (a second, different decision by one signatory; the identical submission again is
 * answered 200 with the record, as the contract says), consent.expired, consent.closed (approved, rejected or
 * revoked: the problem's "consent_status" names which), consent.exists.
 *
 * Expiry is a fact of time, not of a write: an open consent past its deadline reads as expired everywhere at
 * once. A refusal cannot persist it (the caller rolls back every answer >= 400), so the first successful read
 * writes it down, with its consent_expired trail entry, guarded by "WHERE status = 'pending'" so it happens once,
 * and says so (resp->wrote): the caller commits that read with an audit row, so the zone's audit chain has a row
 * for every change kept, this one included. (Not writing it at all would leave the row 'pending' for good and the
 * trail without its end: a read would have to invent both every time.) */
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "mez/base58.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/vc.h"
#include "mez/tensor.h"
#include "mass_int.h"

#define MAX_SIGNATORIES 100
#define MAX_REFERENCE_DOCUMENTS 100
#define SIGN_SKEW (apr_time_from_sec(MEZ_CLOCK_SKEW_SEC))   /* the contract's clock-skew tolerance for signed_at */
#define PROOF_TYPE "Ed25519Signature2020"

typedef struct {
    const char *id, *role;
    int required;
    const char *decision, *signed_at, *justification, *proof;  /* NULL until signed */
} signatory_t;

typedef struct {
    const char *id, *zone_id, *requester_id, *status, *digest, *deadline, *created_at, *updated_at;
    json_t *terms;                  /* pool-owned */
    json_t *metadata;               /* pool-owned or NULL */
    apr_array_header_t *sigs;       /* signatory_t */
} consent_t;

typedef struct {
    int n, approvals, rejections, needed, required_open, required_rejected;
} tally_t;

static json_t *own(mez_mass_call_t *c, json_t *v)
{
    return mez_json_pool_own(c->p, v);
}

static const char *now_stamp(mez_mass_call_t *c)
{
    return mez_time_stamp(c->p, c->ctx->now);
}

static int is_hex64(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == 64;
}

static int valid_consent_id(const char *s)
{
    return s && !strncmp(s, "con_", 4) && is_hex64(s + 4);
}

/* ---------------------------------------------------------------- validation */

/* A date-time in the one form mez signs: *t gets its value. */
static int get_stamp(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                     const char **out, apr_time_t *t)
{
    const char *s = NULL;
    apr_time_t v;
    if (!mez_mass_get_string(c, obj, base, name, required, 64, &s))
        return 0;
    if (!s)
        return 1;
    if (mez_time_parse_rfc3339(s, &v) != 0 || strcmp(mez_time_stamp(c->p, v), s)) {
        mez_mass_refuse(c, 422, "request.invalid_time", mez_pointer_join(c->p, base, name),
                        "'%s' must be a UTC date-time of the form 2026-07-01T00:00:00Z, not '%s'", name, s);
        return 0;
    }
    *out = s;
    if (t)
        *t = v;
    return 1;
}

/* A did:key DID (no fragment): the only DIDs whose keys mez can check a signature against. */
static int get_did(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, const char **out)
{
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, MEZ_MASS_REQUIRED, 512, &s))
        return 0;
    if (strchr(s, '#') || mez_did_key_resolve(c->p, s, &key, &pb) != MEZ_OK) {
        mez_mass_refuse(c, 422, "consent.invalid_did", mez_pointer_join(c->p, base, name),
                        "'%s' must be a did:key DID (did:key:z6Mk...), whose key signatures are checked against: %s",
                        name, pb.detail ? pb.detail : "it has a fragment");
        return 0;
    }
    *out = s;
    return 1;
}

static int check_threshold(mez_mass_call_t *c, const json_t *th, size_t n)
{
    static const char *const members[] = { "type", "minimum_count", "denominator", NULL };
    static const char *const types[] = { "unanimous", "majority", "qualified_majority", "count", NULL };
    const char *type = NULL;
    json_int_t min = 0, den = 0;
    if (!mez_mass_check_object(c, th, "/threshold", members)
        || !mez_mass_get_enum(c, th, "/threshold", "type", MEZ_MASS_REQUIRED, types, &type)
        || !mez_mass_get_int(c, th, "/threshold", "minimum_count",
                             !strcmp(type, "count") || !strcmp(type, "qualified_majority"), 1, 1000000, &min)
        || !mez_mass_get_int(c, th, "/threshold", "denominator", !strcmp(type, "qualified_majority"), 1, 1000000,
                             &den))
        return 0;
    if (!strcmp(type, "qualified_majority") && min > den) {
        mez_mass_refuse(c, 422, "consent.invalid_threshold", "/threshold/minimum_count",
                        "a qualified majority of %" APR_INT64_T_FMT "/%" APR_INT64_T_FMT " is more than all",
                        (apr_int64_t)min, (apr_int64_t)den);
        return 0;
    }
    if (strcmp(type, "qualified_majority") && min > (json_int_t)n) {
        mez_mass_refuse(c, 422, "consent.threshold_unreachable", "/threshold/minimum_count",
                        "%" APR_INT64_T_FMT " approvals can never come from %" APR_SIZE_T_FMT " signatories", (apr_int64_t)min,
                        (apr_size_t)n);
        return 0;
    }
    return 1;
}

static int check_signatories(mez_mass_call_t *c, const json_t *list)
{
    static const char *const members[] = { "signatory_id", "role", "required", "delegation_allowed", NULL };
    apr_hash_t *seen = apr_hash_make(c->p);
    size_t i;
    json_t *s;
    if (json_array_size(list) > MAX_SIGNATORIES) {
        mez_mass_refuse(c, 422, "request.too_many_items", "/signatories", "at most %d signatories are accepted",
                        MAX_SIGNATORIES);
        return 0;
    }
    json_array_foreach(list, i, s) {
        const char *base = mez_pointer_index(c->p, "/signatories", i), *id = NULL, *role = NULL;
        int flag = 0;
        if (!mez_mass_check_object(c, s, base, members) || !get_did(c, s, base, "signatory_id", &id)
            || !mez_mass_get_text(c, s, base, "role", MEZ_MASS_REQUIRED, 200, &role)
            || !mez_mass_get_bool(c, s, base, "required", MEZ_MASS_OPTIONAL, &flag)
            || !mez_mass_get_bool(c, s, base, "delegation_allowed", MEZ_MASS_OPTIONAL, &flag))
            return 0;
        if (apr_hash_get(seen, id, APR_HASH_KEY_STRING)) {
            mez_mass_refuse(c, 422, "consent.duplicate_signatory", mez_pointer_join(c->p, base, "signatory_id"),
                            "%s is listed twice", id);
            return 0;
        }
        apr_hash_set(seen, id, APR_HASH_KEY_STRING, id);
    }
    return 1;
}

static int check_reference_documents(mez_mass_call_t *c, const json_t *list)
{
    static const char *const members[] = { "document_type", "digest_sha256", "uri", "title", NULL };
    size_t i;
    json_t *d;
    if (json_array_size(list) > MAX_REFERENCE_DOCUMENTS) {
        mez_mass_refuse(c, 422, "request.too_many_items", "/reference_documents",
                        "at most %d reference documents are accepted", MAX_REFERENCE_DOCUMENTS);
        return 0;
    }
    json_array_foreach(list, i, d) {
        const char *base = mez_pointer_index(c->p, "/reference_documents", i), *s = NULL;
        if (!mez_mass_check_object(c, d, base, members)
            || !mez_mass_get_text(c, d, base, "document_type", MEZ_MASS_REQUIRED, 200, &s)
            || !mez_mass_get_string(c, d, base, "digest_sha256", MEZ_MASS_REQUIRED, 64, &s))
            return 0;
        if (!is_hex64(s)) {
            mez_mass_refuse(c, 422, "request.invalid_digest", mez_pointer_join(c->p, base, "digest_sha256"),
                            "'digest_sha256' must be 64 lowercase hex digits");
            return 0;
        }
        if (!mez_mass_get_text(c, d, base, "uri", MEZ_MASS_OPTIONAL, 2000, &s)
            || !mez_mass_get_text(c, d, base, "title", MEZ_MASS_OPTIONAL, 500, &s))
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- reading */

static mez_status_t load_consent(mez_mass_call_t *c, const char *id, int lock, consent_t **out)
{
    const char **col;
    apr_array_header_t *rows;
    consent_t *con;
    mez_status_t rv;

    *out = NULL;
    /* Read as rows (not mez_db_query_row): deadline and metadata may be SQL NULL, which must not read as "". */
    rv = mez_db_query_rows(c->p, c->db, 11, &rows,
                           apr_pstrcat(c->p, "SELECT consent_id, zone_id, requester_id, status, digest_sha256, "
                                       "deadline, terms, metadata, created_at, updated_at, made_for_zone_id "
                                       "FROM mez_mass_consent WHERE consent_id = %s",
                                       lock ? mez_db_for_update(c->db) : "", NULL),
                           c->pb, id, NULL);
    if (rv != MEZ_OK || rows->nelts == 0)
        return rv;
    col = APR_ARRAY_IDX(rows, 0, const char **);
    /* Not filtered by the store's own zone: a store may keep the consents of the zones that use it as their Mass,
     * and an id names one consent whichever zone it belongs to. But a caller acting for one zone reaches the
     * consents made for it only (made_for_zone_id, mass_int.h: zones): another zone's is not there for it, so
     * reading, signing, revoking it or its trail answers as an unknown id does, and its expiry is not written. */
    if (!mez_mass_zone_visible(c, col[10]))
        return MEZ_OK;
    con = apr_pcalloc(c->p, sizeof(*con));
    con->id = col[0];
    con->zone_id = col[1];
    con->requester_id = col[2];
    con->status = col[3];
    con->digest = col[4];
    con->deadline = col[5];
    con->created_at = col[8];
    con->updated_at = col[9];
    if (mez_json_parse(c->p, col[6] ? col[6] : "", col[6] ? strlen(col[6]) : 0, &con->terms, NULL) != MEZ_OK
        || (col[7] && mez_json_parse(c->p, col[7], strlen(col[7]), &con->metadata, NULL) != MEZ_OK))
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "consent.record_corrupt", NULL,
                           "the stored terms of %s do not parse", id);
    if ((rv = mez_db_query_rows(c->p, c->db, 7, &rows,
                                "SELECT signatory_id, role, required, decision, signed_at, justification, proof "
                                "FROM mez_mass_consent_signatory WHERE consent_id = %s ORDER BY position",
                                c->pb, id, NULL)) != MEZ_OK)
        return rv;
    con->sigs = apr_array_make(c->p, rows->nelts ? rows->nelts : 1, sizeof(signatory_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        signatory_t *s = &APR_ARRAY_PUSH(con->sigs, signatory_t);
        s->id = r[0];
        s->role = r[1];
        s->required = r[2] && atoi(r[2]) != 0;
        s->decision = r[3];
        s->signed_at = r[4];
        s->justification = r[5];
        s->proof = r[6];
    }
    *out = con;
    return MEZ_OK;
}

static signatory_t *find_signatory(consent_t *con, const char *id)
{
    for (int i = 0; i < con->sigs->nelts; i++) {
        signatory_t *s = &APR_ARRAY_IDX(con->sigs, i, signatory_t);
        if (!strcmp(s->id, id))
            return s;
    }
    return NULL;
}

static void count(const consent_t *con, tally_t *t)
{
    const json_t *th = json_object_get(con->terms, "threshold");
    const char *type = json_string_value(json_object_get(th, "type"));
    json_int_t min = json_integer_value(json_object_get(th, "minimum_count"));
    json_int_t den = json_integer_value(json_object_get(th, "denominator"));

    memset(t, 0, sizeof(*t));
    t->n = con->sigs->nelts;
    for (int i = 0; i < con->sigs->nelts; i++) {
        const signatory_t *s = &APR_ARRAY_IDX(con->sigs, i, signatory_t);
        int approve = s->decision && !strcmp(s->decision, "approve");
        int reject = s->decision && !strcmp(s->decision, "reject");
        t->approvals += approve;
        t->rejections += reject;
        if (s->required && !approve)
            t->required_open++;
        if (s->required && reject)
            t->required_rejected++;
    }
    if (type && !strcmp(type, "unanimous"))
        t->needed = t->n;
    else if (type && !strcmp(type, "majority"))
        t->needed = t->n / 2 + 1;
    else if (type && !strcmp(type, "qualified_majority") && den > 0)
        t->needed = (int)(((json_int_t)t->n * min + den - 1) / den);
    else
        t->needed = (int)min;
    if (type && (!strcmp(type, "unanimous") || !strcmp(type, "majority")) && min > t->needed)
        t->needed = (int)min;
    if (t->needed < 1)
        t->needed = 1;
}

static int threshold_met(const tally_t *t)
{
    return t->approvals >= t->needed && t->required_open == 0;
}

static int threshold_impossible(const tally_t *t)
{
    return t->required_rejected > 0 || t->approvals + (t->n - t->approvals - t->rejections) < t->needed;
}

/* The status as of now: an open consent past its deadline is expired whatever the row says yet. */
static const char *effective_status(mez_mass_call_t *c, const consent_t *con)
{
    if (!strcmp(con->status, "pending") && con->deadline && strcmp(now_stamp(c), con->deadline) > 0)
        return "expired";
    return con->status;
}

static json_t *record_json(mez_mass_call_t *c, const consent_t *con)
{
    static const char *const copied[] = { "action_type", "title", "description", "requester_id", "zone_id",
                                          "threshold", "reference_documents", "deadline", NULL };
    json_t *rec = own(c, json_object()), *sigs = json_array();
    tally_t t;
    count(con, &t);
    json_object_set_new(rec, "consent_id", json_string(con->id));
    for (const char *const *m = copied; *m; m++) {
        json_t *v = json_object_get(con->terms, *m);
        if (v)
            json_object_set(rec, *m, v);
    }
    for (int i = 0; i < con->sigs->nelts; i++) {
        const signatory_t *s = &APR_ARRAY_IDX(con->sigs, i, signatory_t);
        json_t *o = json_pack("{s:s,s:s,s:b,s:b}", "signatory_id", s->id, "role", s->role, "required", s->required,
                              "has_signed", s->decision != NULL);
        if (s->decision) {
            json_object_set_new(o, "decision", json_string(s->decision));
            json_object_set_new(o, "signed_at", json_string(s->signed_at));
            if (s->justification)
                json_object_set_new(o, "justification", json_string(s->justification));
        }
        json_array_append_new(sigs, o);
    }
    json_object_set_new(rec, "signatories", sigs);
    json_object_set_new(rec, "status", json_string(effective_status(c, con)));
    json_object_set_new(rec, "signatures_collected", json_integer(t.approvals));
    json_object_set_new(rec, "threshold_met", json_boolean(threshold_met(&t)));
    json_object_set_new(rec, "created_at", json_string(con->created_at));
    json_object_set_new(rec, "updated_at", json_string(con->updated_at));
    json_object_set_new(rec, "digest_sha256", json_string(con->digest));
    if (con->metadata)
        json_object_set(rec, "metadata", con->metadata);
    return rec;
}

static mez_status_t answer_record(mez_mass_call_t *c, int status, const consent_t *con)
{
    return mez_mass_answer(c, status, json_incref(record_json(c, con)));
}

/* ---------------------------------------------------------------- writing */

/* Appends an AuditTrailEntry: entry_digest_sha256 is the SHA-256 (hex) of the entry's canonical JSON without
 * that member, previous_entry_digest the previous entry's (absent on the first). The consent row is locked (or
 * new) whenever this runs, so a consent's trail is appended to by one transaction at a time. */
static mez_status_t trail_append(mez_mass_call_t *c, const char *consent_id, const char *event_type,
                                 const char *actor, json_t *detail, const char *snapshot)
{
    const char *last[2], *canon;
    int found = 0;
    json_t *entry;
    mez_digest_t d;
    apr_int64_t seq;
    mez_status_t rv;

    own(c, detail);
    if ((rv = mez_db_query_row(c->p, c->db, last, 2, &found,
                               "SELECT seq, entry_digest_sha256 FROM mez_mass_consent_event WHERE consent_id = %s "
                               "ORDER BY seq DESC LIMIT 1", c->pb, consent_id, NULL)) != MEZ_OK)
        return rv;
    seq = found && last[0] ? apr_atoi64(last[0]) + 1 : 1;
    entry = own(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s}", "entry_id", mez_mass_new_id(c->p, "cae_"),
                             "consent_id", consent_id, "event_type", event_type, "timestamp", now_stamp(c),
                             "actor_id", actor, "detail", detail, "snapshot_status", snapshot));
    if (found && last[1])
        json_object_set_new(entry, "previous_entry_digest", json_string(last[1]));
    if ((rv = mez_json_canonicalize(c->p, entry, &canon, NULL, c->pb)) != MEZ_OK)
        return rv;
    mez_digest_sha256(canon, strlen(canon), &d);
    json_object_set_new(entry, "entry_digest_sha256", json_string(mez_digest_hex(c->p, &d)));
    return mez_db_execv(c->p, c->db, NULL,
                        "INSERT INTO mez_mass_consent_event (consent_id, seq, entry_digest_sha256, doc) "
                        "VALUES (%s, %s, %s, %s)", c->pb, consent_id, apr_psprintf(c->p, "%" APR_INT64_T_FMT, seq),
                        mez_digest_hex(c->p, &d), mez_mass_doc_text(c, entry), NULL);
}

static mez_status_t set_status(mez_mass_call_t *c, consent_t *con, const char *status)
{
    con->status = status;
    con->updated_at = now_stamp(c);
    return mez_db_execv(c->p, c->db, NULL,
                        "UPDATE mez_mass_consent SET status = %s, updated_at = %s WHERE consent_id = %s", c->pb,
                        status, con->updated_at, con->id, NULL);
}

/* Writes down an expiry that time has already decided (see the top of this file). */
static mez_status_t settle_expiry(mez_mass_call_t *c, consent_t *con)
{
    int n = 0;
    mez_status_t rv;
    if (strcmp(effective_status(c, con), "expired") || strcmp(con->status, "pending"))
        return MEZ_OK;
    rv = mez_db_execv(c->p, c->db, &n, "UPDATE mez_mass_consent SET status = 'expired', updated_at = %s "
                      "WHERE consent_id = %s AND status = 'pending'", c->pb, now_stamp(c), con->id, NULL);
    if (rv != MEZ_OK)
        return rv;
    con->status = "expired";
    if (n != 1)                      /* somebody else wrote it down meanwhile */
        return MEZ_OK;
    con->updated_at = now_stamp(c);
    /* Said to the caller: a read that wrote is committed with an audit row like any write (mez_mass_response_t). */
    c->resp->wrote = "consent_expired";
    return trail_append(c, con->id, "consent_expired", c->ctx->zone_id,
                        json_pack("{s:s}", "deadline", con->deadline), "expired");
}

/* Loads a consent for a read or a write; answers 404 itself (*con NULL then). */
static mez_status_t find(mez_mass_call_t *c, const char *id, int lock, consent_t **con)
{
    mez_status_t rv;
    *con = NULL;
    if (!valid_consent_id(id)) {
        mez_mass_not_found(c, "consent", id);
        return MEZ_OK;
    }
    if ((rv = load_consent(c, id, lock, con)) != MEZ_OK)
        return rv;
    if (!*con)
        mez_mass_not_found(c, "consent", id);
    return MEZ_OK;
}

/* ---------------------------------------------------------------- signatures */

/* Checks proof (at /proof) as the signature of signer over the consent, decision and signed_at. */
static int verify_proof(mez_mass_call_t *c, const consent_t *con, const json_t *proof, const char *signer,
                        const char *decision, const char *signed_at)
{
    static const char *const members[] = { "type", "created", "verification_method", "proof_purpose", "proof_value",
                                           NULL };
    static const char *const types[] = { PROOF_TYPE, NULL };
    static const char *const purposes[] = { "assertionMethod", "authentication", NULL };
    const char *type = NULL, *created = NULL, *vm = NULL, *purpose = NULL, *value = NULL, *hash, *canon;
    mez_problem_t pb = { 0 };
    unsigned char *sig;
    size_t siglen = 0;
    mez_key_t *key;
    json_t *payload;

    if (!mez_mass_check_object(c, proof, "/proof", members)
        || !mez_mass_get_enum(c, proof, "/proof", "type", MEZ_MASS_REQUIRED, types, &type)
        || !get_stamp(c, proof, "/proof", "created", MEZ_MASS_REQUIRED, &created, NULL)
        || !mez_mass_get_string(c, proof, "/proof", "verification_method", MEZ_MASS_REQUIRED, 600, &vm)
        || !mez_mass_get_enum(c, proof, "/proof", "proof_purpose", MEZ_MASS_REQUIRED, purposes, &purpose)
        || !mez_mass_get_string(c, proof, "/proof", "proof_value", MEZ_MASS_REQUIRED, 200, &value))
        return 0;
    /* The method must be the signer's own key: did:key names exactly one, "<did>#<its multibase>". */
    hash = strchr(vm, '#');
    if (!hash || strncmp(vm, signer, (size_t)(hash - vm)) || signer[hash - vm] != '\0'
        || mez_did_key_resolve(c->p, vm, &key, &pb) != MEZ_OK) {
        mez_mass_refuse(c, 422, "consent.wrong_verification_method", "/proof/verification_method",
                        "the verification method must be %s's own key (%s#<its multibase key>)%s%s", signer, signer,
                        pb.detail ? ": " : "", pb.detail ? pb.detail : "");
        return 0;
    }
    if (value[0] != 'z' || !(sig = mez_base58_decode(c->p, value + 1, MEZ_ED25519_SIG_LEN, &siglen))
        || siglen != MEZ_ED25519_SIG_LEN) {
        mez_mass_refuse(c, 422, "consent.bad_signature", "/proof/proof_value",
                        "proof_value must be multibase base58btc ('z...') of a 64-byte Ed25519 signature");
        return 0;
    }
    payload = own(c, json_pack("{s:s,s:s,s:s,s:s,s:s}", "consent_id", con->id, "digest_sha256", con->digest,
                               "decision", decision, "signed_at", signed_at, "signatory_id", signer));
    if (mez_json_canonicalize(c->p, payload, &canon, NULL, NULL) != MEZ_OK
        || !mez_key_verify(key, canon, strlen(canon), sig, siglen)) {
        mez_mass_refuse(c, 422, "consent.bad_signature", "/proof/proof_value",
                        "the signature is not %s's over {consent_id, digest_sha256, decision, signed_at, "
                        "signatory_id} of this consent", signer);
        return 0;
    }
    return 1;
}

/* 409 for a consent that takes no more decisions; 0 when it is open. */
static int refuse_closed(mez_mass_call_t *c, const consent_t *con)
{
    const char *status = effective_status(c, con);
    if (!strcmp(status, "pending"))
        return 0;
    if (!strcmp(status, "expired"))
        mez_mass_refuse(c, 409, "consent.expired", NULL, "consent %s expired at its deadline %s", con->id,
                        con->deadline ? con->deadline : "");
    else
        mez_mass_refuse(c, 409, "consent.closed", NULL, "consent %s is %s and takes no more decisions", con->id,
                        status);
    json_object_set_new(c->resp->body, "consent_status", json_string(status));
    return 1;
}

/* signed_at may be neither in the future (beyond the contract's 5-minute skew), nor after the deadline, nor before
 * the consent. */
static int check_signed_at(mez_mass_call_t *c, const consent_t *con, const char *signed_at, apr_time_t t)
{
    if (t > c->ctx->now + SIGN_SKEW) {
        mez_mass_refuse(c, 422, "consent.signed_in_future", "/signed_at",
                        "signed_at %s is more than 5 minutes after the zone's clock (%s)", signed_at, now_stamp(c));
        return 0;
    }
    /* A decision dated after the deadline came too late, even while the skew allowed for clocks lets it in before
     * the store's own clock reaches the deadline. */
    if (con->deadline && strcmp(signed_at, con->deadline) > 0) {
        mez_mass_refuse(c, 409, "consent.expired", "/signed_at", "signed_at %s is after the deadline %s of consent %s",
                        signed_at, con->deadline, con->id);
        return 0;
    }
    if (strcmp(signed_at, con->created_at) < 0) {
        mez_mass_refuse(c, 422, "consent.signed_before_creation", "/signed_at",
                        "signed_at %s is before the consent was created (%s)", signed_at, con->created_at);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- handlers */

static mez_status_t post_request(mez_mass_call_t *c)
{
    static const char *const members[] = { "action_type", "title", "description", "requester_id", "zone_id",
                                           "signatories", "threshold", "reference_documents", "deadline",
                                           "metadata", NULL };
    const json_t *body = c->req->body, *sigs = NULL, *th = NULL, *refs = NULL, *meta = NULL;
    const char *s = NULL, *requester = NULL, *zone = NULL, *deadline = NULL, *canon, *digest, *id, *now;
    apr_time_t deadline_t = 0;
    json_t *terms;
    consent_t *con;
    mez_digest_t d;
    size_t i;
    json_t *sv;
    int n = 0;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", members)
        || !mez_mass_get_text(c, body, "", "action_type", MEZ_MASS_REQUIRED, 200, &s)
        || !mez_mass_get_text(c, body, "", "title", MEZ_MASS_REQUIRED, 500, &s)
        || !mez_mass_get_text(c, body, "", "description", MEZ_MASS_OPTIONAL, 5000, &s)
        || !get_did(c, body, "", "requester_id", &requester)
        || !mez_mass_get_string(c, body, "", "zone_id", MEZ_MASS_REQUIRED, 200, &zone)
        || !mez_mass_get_array(c, body, "", "signatories", MEZ_MASS_REQUIRED, 1, &sigs)
        || !check_signatories(c, sigs)
        || !mez_mass_get_object(c, body, "", "threshold", MEZ_MASS_REQUIRED, &th)
        || !check_threshold(c, th, json_array_size(sigs))
        || !mez_mass_get_array(c, body, "", "reference_documents", MEZ_MASS_OPTIONAL, 0, &refs)
        || (refs && !check_reference_documents(c, refs))
        || !get_stamp(c, body, "", "deadline", MEZ_MASS_OPTIONAL, &deadline, &deadline_t)
        || !mez_mass_get_object(c, body, "", "metadata", MEZ_MASS_OPTIONAL, &meta))
        return MEZ_OK;
    /* A store may keep the consents of several zones (a central Mass, or a peer's sovereign store that a zone
     * points its consent primitive at): zone_id names the zone the consent belongs to, and must be one. */
    if (mez_tensor_check_jurisdiction_id(c->p, zone, "/zone_id", c->pb) != MEZ_OK)
        return mez_mass_refuse(c, 422, "consent.invalid_zone_id", "/zone_id",
                               "'%s' is not a zone id (1..64 of letters, digits, '.', '_', '-')", zone);
    /* A caller acting for one zone asks for that zone's consents only, as that zone's API does (consent.other_zone
     * there too): the terms it has signed name the zone they bind, and a consent named for another would be made
     * for this caller (made_for_zone_id) yet speak for that zone. It also keeps two zones' terms apart, so that
     * one zone's request never meets another's consent under the same content-addressed id. */
    if (c->ctx->caller_zone_id && strcmp(zone, c->ctx->caller_zone_id))
        return mez_mass_refuse(c, 422, "consent.other_zone", "/zone_id",
                               "this caller asks for consents of %s only, not of %s", c->ctx->caller_zone_id, zone);
    if (deadline && deadline_t <= c->ctx->now)
        return mez_mass_refuse(c, 422, "consent.deadline_passed", "/deadline", "the deadline %s has already passed",
                               deadline);

    /* The terms: what the id and digest name and what signatories sign (metadata stays out, as the contract says). */
    terms = own(c, json_deep_copy(body));
    json_object_del(terms, "metadata");
    if ((rv = mez_json_canonicalize(c->p, terms, &canon, NULL, c->pb)) != MEZ_OK)
        return rv;
    mez_digest_sha256(canon, strlen(canon), &d);
    digest = mez_digest_hex(c->p, &d);
    id = apr_pstrcat(c->p, "con_", digest, NULL);
    now = now_stamp(c);

    /* ON CONFLICT: the same terms sent twice at once must make one consent and one clean refusal, not a failed
     * statement (which would abort a PostgreSQL transaction). */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "INSERT INTO mez_mass_consent (consent_id, zone_id, requester_id, action_type, status, "
                           "digest_sha256, deadline, terms, metadata, created_at, updated_at, made_for_zone_id) "
                           "VALUES (%s, %s, %s, %s, 'pending', %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                           c->pb, id, zone, requester, json_string_value(json_object_get(body, "action_type")),
                           digest, deadline ? deadline : MEZ_DB_NULL, canon,
                           meta ? mez_mass_doc_text(c, meta) : MEZ_DB_NULL, now, now,
                           mez_mass_zone_stamp(c) ? mez_mass_zone_stamp(c) : MEZ_DB_NULL, NULL)) != MEZ_OK)
        return rv;
    /* The same terms are the same consent, whoever asked: terms name their zone (a caller acting for one zone may
     * name only its own, above), so this meets another zone's request only where the store's own callers made
     * that zone's consent, or one was made before migration 0025 named no caller's zone. */
    if (n != 1) {
        mez_mass_refuse(c, 409, "consent.exists", NULL,
                        "a consent with these very terms exists already: %s (its id is the digest of its terms)", id);
        json_object_set_new(c->resp->body, "consent_id", json_string(id));
        return MEZ_OK;
    }
    json_array_foreach(sigs, i, sv) {
        json_t *req = json_object_get(sv, "required");
        if ((rv = mez_db_execv(c->p, c->db, NULL,
                               "INSERT INTO mez_mass_consent_signatory (consent_id, position, signatory_id, role, "
                               "required) VALUES (%s, %s, %s, %s, %s)", c->pb, id, apr_itoa(c->p, (int)i),
                               json_string_value(json_object_get(sv, "signatory_id")),
                               json_string_value(json_object_get(sv, "role")), json_is_true(req) ? "1" : "0",
                               NULL)) != MEZ_OK)
            return rv;
    }
    if ((rv = trail_append(c, id, "consent_created", requester,
                           json_pack("{s:s,s:i,s:O}", "digest_sha256", digest, "signatory_count",
                                     (int)json_array_size(sigs), "threshold", th), "pending")) != MEZ_OK
        || (rv = load_consent(c, id, 0, &con)) != MEZ_OK)
        return rv;
    if (!con)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "consent.lost", NULL, "%s vanished after its insert", id);
    return answer_record(c, 201, con);
}

static mez_status_t get_consent(mez_mass_call_t *c, const char *id)
{
    consent_t *con;
    mez_status_t rv;
    if ((rv = find(c, id, 0, &con)) != MEZ_OK || !con)
        return rv;
    if ((rv = settle_expiry(c, con)) != MEZ_OK)
        return rv;
    return answer_record(c, 200, con);
}

static mez_status_t post_sign(mez_mass_call_t *c, const char *id)
{
    static const char *const members[] = { "signatory_id", "decision", "justification", "signed_at", "proof", NULL };
    static const char *const decisions[] = { "approve", "reject", NULL };
    const json_t *body = c->req->body, *proof = NULL;
    const char *signer = NULL, *decision = NULL, *why = NULL, *signed_at = NULL, *proof_text;
    apr_time_t signed_t = 0;
    consent_t *con;
    signatory_t *me;
    tally_t t;
    mez_status_t rv;
    json_t *detail;

    if (!mez_mass_check_object(c, body, "", members) || !get_did(c, body, "", "signatory_id", &signer)
        || !mez_mass_get_enum(c, body, "", "decision", MEZ_MASS_REQUIRED, decisions, &decision)
        || !mez_mass_get_text(c, body, "", "justification", MEZ_MASS_OPTIONAL, 5000, &why)
        || !get_stamp(c, body, "", "signed_at", MEZ_MASS_REQUIRED, &signed_at, &signed_t)
        || !mez_mass_get_object(c, body, "", "proof", MEZ_MASS_REQUIRED, &proof))
        return MEZ_OK;
    /* Locked: decisions on one consent are counted one transaction at a time, on every node. */
    if ((rv = find(c, id, 1, &con)) != MEZ_OK || !con)
        return rv;
    if (!(me = find_signatory(con, signer)))
        return mez_mass_refuse(c, 403, "consent.not_a_signatory", "/signatory_id",
                               "%s is not a signatory of consent %s", signer, id);
    if (!verify_proof(c, con, proof, signer, decision, signed_at))
        return MEZ_OK;
    proof_text = mez_mass_doc_text(c, proof);
    if (me->decision) {
        /* The very same submission again (a retry) is answered as it was; anything else is a second decision. */
        if (!strcmp(me->decision, decision) && me->signed_at && !strcmp(me->signed_at, signed_at) && me->proof
            && proof_text && !strcmp(me->proof, proof_text))
            return answer_record(c, 200, con);
        mez_mass_refuse(c, 409, "consent.already_signed", "/signatory_id",
                        "%s already decided '%s' on consent %s at %s; a decision cannot be changed", signer,
                        me->decision, id, me->signed_at ? me->signed_at : "");
        return MEZ_OK;
    }
    if (refuse_closed(c, con) || !check_signed_at(c, con, signed_at, signed_t))
        return MEZ_OK;

    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "UPDATE mez_mass_consent_signatory SET decision = %s, signed_at = %s, justification = %s, "
                           "proof = %s, recorded_at = %s WHERE consent_id = %s AND signatory_id = %s "
                           "AND decision IS NULL", c->pb, decision, signed_at, why ? why : MEZ_DB_NULL, proof_text,
                           now_stamp(c), id, signer, NULL)) != MEZ_OK)
        return rv;
    me->decision = decision;
    me->signed_at = signed_at;
    me->justification = why;
    me->proof = proof_text;
    count(con, &t);
    detail = json_pack("{s:s,s:s,s:s,s:s}", "signatory_id", signer, "decision", decision, "signed_at", signed_at,
                       "proof_value", json_string_value(json_object_get(proof, "proof_value")));
    if (why)
        json_object_set_new(detail, "justification", json_string(why));
    if ((rv = trail_append(c, id, "signature_submitted", signer, detail, "pending")) != MEZ_OK)
        return rv;
    if (threshold_met(&t)) {
        if ((rv = trail_append(c, id, "threshold_met", c->ctx->zone_id,
                               json_pack("{s:i,s:i}", "approvals", t.approvals, "needed", t.needed), "approved"))
                != MEZ_OK
            || (rv = trail_append(c, id, "consent_approved", c->ctx->zone_id,
                                  json_pack("{s:i,s:i}", "approvals", t.approvals, "needed", t.needed), "approved"))
                != MEZ_OK
            || (rv = set_status(c, con, "approved")) != MEZ_OK)
            return rv;
    } else if (threshold_impossible(&t)) {
        const char *reason = t.required_rejected ? "a required signatory rejected"
                                                 : "too few signatories are left to reach the threshold";
        if ((rv = trail_append(c, id, "consent_rejected", c->ctx->zone_id,
                               json_pack("{s:i,s:i,s:i,s:s}", "approvals", t.approvals, "rejections", t.rejections,
                                         "needed", t.needed, "reason", reason), "rejected")) != MEZ_OK
            || (rv = set_status(c, con, "rejected")) != MEZ_OK)
            return rv;
    } else if ((rv = set_status(c, con, "pending")) != MEZ_OK) {
        return rv;
    }
    return answer_record(c, 200, con);
}

static mez_status_t post_revoke(mez_mass_call_t *c, const char *id)
{
    static const char *const members[] = { "requester_id", "reason", "signed_at", "proof", NULL };
    const json_t *body = c->req->body, *proof = NULL;
    const char *requester = NULL, *reason = NULL, *signed_at = NULL;
    apr_time_t signed_t = 0;
    consent_t *con;
    json_t *detail;
    mez_status_t rv;

    if (!mez_mass_check_object(c, body, "", members) || !get_did(c, body, "", "requester_id", &requester)
        || !mez_mass_get_text(c, body, "", "reason", MEZ_MASS_OPTIONAL, 5000, &reason)
        || !get_stamp(c, body, "", "signed_at", MEZ_MASS_REQUIRED, &signed_at, &signed_t)
        || !mez_mass_get_object(c, body, "", "proof", MEZ_MASS_REQUIRED, &proof))
        return MEZ_OK;
    if ((rv = find(c, id, 1, &con)) != MEZ_OK || !con)
        return rv;
    if (strcmp(requester, con->requester_id))
        return mez_mass_refuse(c, 403, "consent.not_the_requester", "/requester_id",
                               "only the requester of consent %s (%s) may revoke it", id, con->requester_id);
    if (!verify_proof(c, con, proof, requester, "revoke", signed_at) || refuse_closed(c, con)
        || !check_signed_at(c, con, signed_at, signed_t))
        return MEZ_OK;
    detail = json_pack("{s:s,s:s}", "signed_at", signed_at, "proof_value",
                       json_string_value(json_object_get(proof, "proof_value")));
    if (reason)
        json_object_set_new(detail, "reason", json_string(reason));
    if ((rv = trail_append(c, id, "consent_revoked", requester, detail, "revoked")) != MEZ_OK
        || (rv = set_status(c, con, "revoked")) != MEZ_OK)
        return rv;
    return answer_record(c, 200, con);
}

/* offset and limit from the query string (the contract's defaults 0 and 100, limit at most 500). */
static int parse_paging(mez_mass_call_t *c, int *offset, int *limit)
{
    char *q = apr_pstrdup(c->p, c->req->query ? c->req->query : ""), *save = NULL, *kv;
    *offset = 0;
    *limit = 100;
    for (kv = apr_strtok(q, "&", &save); kv; kv = apr_strtok(NULL, "&", &save)) {
        char *eq = strchr(kv, '='), *end = NULL;
        const char *name = kv, *val = eq ? eq + 1 : "";
        long v;
        if (eq)
            *eq = '\0';
        v = strtol(val, &end, 10);
        if (strcmp(name, "offset") && strcmp(name, "limit")) {
            mez_mass_refuse(c, 400, "request.unknown_parameter", NULL,
                            "'%s' is not a parameter of the audit trail (offset, limit)", name);
            return 0;
        }
        if (!*val || *end || v < (strcmp(name, "limit") ? 0 : 1) || v > (strcmp(name, "limit") ? 1000000000 : 500)) {
            mez_mass_refuse(c, 400, "request.invalid_parameter", NULL,
                            strcmp(name, "limit") ? "offset must be an integer of at least 0, not '%s'"
                                                  : "limit must be an integer from 1 to 500, not '%s'", val);
            return 0;
        }
        *(strcmp(name, "limit") ? offset : limit) = (int)v;
    }
    return 1;
}

static mez_status_t get_trail(mez_mass_call_t *c, const char *id)
{
    consent_t *con;
    apr_array_header_t *rows;
    const char *total = NULL;
    int offset, limit;
    json_t *entries;
    mez_status_t rv;

    if ((rv = find(c, id, 0, &con)) != MEZ_OK || !con)
        return rv;
    if (!parse_paging(c, &offset, &limit))
        return MEZ_OK;
    if ((rv = settle_expiry(c, con)) != MEZ_OK
        || (rv = mez_db_query_value(c->p, c->db, &total,
                                    "SELECT COUNT(*) FROM mez_mass_consent_event WHERE consent_id = %s", c->pb, id,
                                    NULL)) != MEZ_OK
        || (rv = mez_db_query_rows(c->p, c->db, 1, &rows,
                                   apr_psprintf(c->p, "SELECT doc FROM mez_mass_consent_event WHERE consent_id = %%s "
                                                "ORDER BY seq LIMIT %d OFFSET %d", limit, offset),
                                   c->pb, id, NULL)) != MEZ_OK)
        return rv;
    entries = json_array();
    for (int i = 0; i < rows->nelts; i++) {
        json_t *e = mez_mass_doc_parse(c, APR_ARRAY_IDX(rows, i, const char **)[0]);
        if (!e) {
            json_decref(entries);
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "consent.record_corrupt", NULL,
                               "an audit trail entry of %s does not parse", id);
        }
        json_array_append_new(entries, e);
    }
    return mez_mass_answer(c, 200, json_pack("{s:s,s:o,s:I,s:i,s:i}", "consent_id", id, "entries", entries,
                                             "total_count", (json_int_t)apr_atoi64(total ? total : "0"), "offset",
                                             offset, "limit", limit));
}

mez_status_t mez_mass_consent_handle(mez_mass_call_t *c)
{
    const char *path = c->req->path, *id = NULL;
    int get = !strcmp(c->req->method, "GET"), post = !strcmp(c->req->method, "POST");

    if (!strcmp(path, "/v1/consent/request"))
        return post ? post_request(c) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/consent/*", &id, 1))
        return get ? get_consent(c, id) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/consent/*/sign", &id, 1))
        return post ? post_sign(c, id) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/consent/*/revoke", &id, 1))
        return post ? post_revoke(c, id) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/consent/*/audit-trail", &id, 1))
        return get ? get_trail(c, id) : mez_mass_no_route(c, 1);
    return mez_mass_no_route(c, 0);
}
