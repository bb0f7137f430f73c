/* mez/mass.h: the five Mass primitives, as one wire format served two ways.
 *
 * Mass owns the records (organizations, ownership, treasury, consent, identity); mez owns the compliance
 * decisions about them. Every call is a request in the wire form of the Mass contracts
 * (../shared/schemas/mass/apis/<primitive>.openapi.yaml: paths such as "/v1/entities", "/v1/fiscal/payments"):
 *
 *  - the zone's own, *sovereign* store answers it from the zone's database (mez_mass_store_handle), inside a
 *    transaction its caller owns, so an orchestrated write and its credential and audit row commit together;
 *    mod_mez also serves that store over HTTP under /mass/v1/... (base URL <zone>/mass);
 *  - or a remote Mass endpoint answers it over HTTPS (the Mass client, one libcurl wrapper).
 *
 * Because both speak the same requests and answers, a zone can point a primitive at another zone's sovereign
 * store, and the contract tests of one are the contract tests of the other. */
#ifndef MEZ_MASS_H
#define MEZ_MASS_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>
#include "mez/problem.h"
#include "mez/store.h"

typedef enum {
    MEZ_MASS_ENTITIES = 0,   /* organizations: formation, officers, status lifecycle, dissolution, owners */
    MEZ_MASS_OWNERSHIP,      /* cap tables, share classes, holdings, issuance, transfers */
    MEZ_MASS_FISCAL,         /* treasury: accounts, balances in minor units, payments, holds */
    MEZ_MASS_CONSENT,        /* consent requests, signatories, signatures, thresholds, expiry */
    MEZ_MASS_IDENTITY,       /* persons, national identifiers, verifications, bindings to organizations */
    MEZ_MASS_PRIMITIVE_COUNT
} mez_mass_primitive_t;

/* "entities", "ownership", "fiscal", "consent", "identity". */
const char *mez_mass_primitive_name(mez_mass_primitive_t prim);
/* MEZ_EINVAL (code "mass.unknown_primitive") for any other name. */
mez_status_t mez_mass_primitive_parse(apr_pool_t *p, const char *name, mez_mass_primitive_t *out,
                                      mez_problem_t *pb);
/* The primitive a contract path belongs to ("/v1/entities/ent_..." -> MEZ_MASS_ENTITIES), -1 for none. */
int mez_mass_primitive_of_path(const char *path);

/* prefix followed by 64 lowercase hex digits of fresh randomness ("ent_", "con_", "acc_", "lic_", ...). */
const char *mez_mass_new_id(apr_pool_t *p, const char *prefix);
/* 1 when s is prefix followed by exactly 64 lowercase hex digits (the form mez_mass_new_id makes). */
int mez_mass_is_id(const char *s, const char *prefix);

/* Matches a path against a pattern whose '*' segments match one non-empty segment each; the matched segments
 * are stored in caps (up to ncaps), and only on a match (caps is untouched otherwise). 1 on a match. Pattern example: "/v1/entities/" "*" "/status". */
int mez_mass_path_match(apr_pool_t *p, const char *path, const char *pattern, const char **caps, int ncaps);

/* One Mass request. */
typedef struct mez_mass_request_t {
    const char *method;            /* "GET", "POST", "PUT" */
    const char *path;              /* contract path, no query: "/v1/fiscal/payments" */
    const char *query;             /* raw query string (without '?'), or NULL */
    const json_t *body;            /* the request document for writes, NULL for reads */
    const char *idempotency_key;   /* writes: a repeat with the same key and body gets the first answer */
} mez_mass_request_t;

/* Its answer: any HTTP status the contract allows; a refusal (4xx) carries an RFC 9457 problem document with
 * "code" and, where a field is at fault, "pointer". */
typedef struct mez_mass_response_t {
    int status;
    json_t *body;                  /* new reference, owned by the caller; never NULL after a call returns */
    int not_sent;                  /* a failed remote call: 1 when the request certainly never reached the
                                    * endpoint (no connection, or refused before sending: data residency) */
    const char *wrote;             /* a read that wrote down what time had decided: what (the consent trail's
                                    * "consent_expired"), else NULL. Such a read's changes are committed with an
                                    * audit row, as a write's are (every persisted change has one). */
} mez_mass_response_t;

/* What the sovereign store knows about the zone it serves, and who asks. */
typedef struct mez_mass_store_ctx_t {
    const char *zone_id;
    const char *jurisdiction_id;   /* the zone's jurisdiction: the default for new entities (a caller acting for
                                    * a zone, caller_zone_id, forms them in that zone's instead) */
    apr_time_t now;                /* the request's time; every timestamp the call writes uses it */
    const char *caller;            /* who called the store over HTTP (/mass), as its audit row names it: a token or
                                    * certificate mapping id, "user:<name>", "anonymous". Its Idempotency-Keys are
                                    * its own. NULL: the zone itself (its orchestrated writes, whose keys are
                                    * derived from their own caller's, and the mez CLI). */
    const struct mez_tz_t *tz;     /* the zone's calendar (mez/tz.h): the day of `now` a date of law is (a
                                    * holding's acquisition, whether a lock-up has ended, today for a date a party
                                    * gives), and the days a statutory period counts (a dissolution's creditors'
                                    * window: mez_tz_period_end). NULL: the store knows no calendar (a zone without
                                    * a zone.yaml, the mez CLI without --timezone): periods are counted on UTC's
                                    * calendar, and the answers that name one say so, while a date a party gives
                                    * is in the future only past today at UTC+14 (a party may be anywhere). A
                                    * remote Mass is not sent the caller's calendar (the contracts carry none): it
                                    * counts on its own (a mez zone's /mass: that zone's, or UTC's as here). */
    const char *caller_zone_id;    /* the zone the caller acts for, when the store serves several zones and the
                                    * caller is one of them: its token was made for that zone (`mez token create
                                    * --mass-zone Z`, mez/token.h). Every primitive then stamps what it makes
                                    * with Z (payments, entities, persons, consents) and reads, lists and acts on
                                    * Z's records only, and on what hangs off them (an entity's accounts, cap table,
                                    * officers; a payment's tax events): another zone's answers as an unknown id
                                    * does (404 mass.not_found, or the route's own "unknown" refusal where a body
                                    * names it). NULL: a caller of the whole store (the zone itself, its own
                                    * operators, the CLI): it sees every record, and what it makes is stamped with
                                    * zone_id. */
} mez_mass_store_ctx_t;

/* The sovereign store: answers one request from the zone's database.
 * The caller owns the transaction (mez_db_begin before, commit after) and must roll it back whenever
 * resp->status >= 400: a refused request may have written part of its work before it found the fault.
 * A refusal is an answer (MEZ_OK, status 4xx, problem body); a non-MEZ_OK return means the database failed
 * (pb says how) and the caller rolls back too. Writes with an idempotency key are recorded with their answer
 * in the same transaction (mez/idempotency.h, route "mass:<primitive>", principal ctx->caller, or "mass-store"
 * for the zone itself): the same caller's same key and body again answers the first answer with nothing written;
 * the same key with another body is a 422 "idempotency.key_reused". Another caller's key is another key. */
mez_status_t mez_mass_store_handle(apr_pool_t *p, mez_db_t *db, const mez_mass_store_ctx_t *ctx,
                                   const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb);

/* The payee of a payment as the treasury tells one payee from another across payments (a withholding aggregate is
 * per payee: mass_payment_aggregate.c): "entity:<id>" for an internal_account destination (payee_entity_id, the
 * destination account's entity; NULL when not known), else from destination.bank_details: "zone:<zone>:<account>"
 * (beneficiary_zone_id and beneficiary_account_id, a corridor's payee), "iban:<IBAN>" (spaces dropped, capitals),
 * or "account:<swift_bic or bank_code>:<account_number>". NULL when the destination names none of these: such a
 * payee cannot be recognised when it is paid again. Allocated from p. */
const char *mez_mass_payee_ref(apr_pool_t *p, const json_t *destination, const char *payee_entity_id);

/* The sovereign organizations register's entities of jurisdiction_id, counted: *rows of (status, entity_type,
 * count) as `const char **` (mez_db_query_rows), in status and type order. */
mez_status_t mez_mass_entity_counts(apr_pool_t *p, mez_db_t *db, const char *jurisdiction_id,
                                    apr_array_header_t **rows, mez_problem_t *pb);

/* 1 when a read of this path may write (resp->wrote): a consent's (status and trail), the first read after its
 * deadline writing down that it expired. Such a read needs a transaction and, when it wrote, an audit row; other
 * reads write nothing. */
int mez_mass_read_may_write(const char *path);

/* ---------------------------------------------------------------- the Mass gateway (mass_client.c)
 *
 * mez_mass_call is the only way mez reaches a Mass primitive. Each primitive is configured on its own: the
 * zone's sovereign store (the default), or a remote Mass endpoint reached over HTTP(S) through the one libcurl
 * wrapper (mez/http.h). A remote request goes to <base_url><path>[?<query>] with
 * "Authorization: Bearer <token>", "Accept: application/json", the body as JSON, and on writes an
 * Idempotency-Key (the caller's, or a fresh one for this call so that a retry of it is recognised as such).
 * Both ways give the same answers, so a caller never needs to know which one served it. */

#define MEZ_MASS_DEFAULT_TIMEOUT_MS 10000L
#define MEZ_MASS_PROBE_TIMEOUT_MS   3000L

typedef struct mez_mass_endpoint_t {
    const char *base_url;          /* NULL: the sovereign store; else e.g. "https://mass.example/mass" */
    const char *token;             /* sent as "Authorization: Bearer <token>"; NULL: no Authorization */
    long timeout_ms;               /* one attempt; 0: MEZ_MASS_DEFAULT_TIMEOUT_MS */
    long probe_timeout_ms;         /* readiness probe; 0: the smaller of timeout and MEZ_MASS_PROBE_TIMEOUT_MS */
    const char *ca_file;           /* CA bundle for https; NULL: the system store */
    int max_retries;               /* for requests safe to repeat only (mez/http.h); 0: none */
} mez_mass_endpoint_t;

/* Where each primitive is served. A NULL mez_mass_t means "all sovereign". Read-only once configured. */
typedef struct mez_mass_t {
    mez_mass_endpoint_t endpoint[MEZ_MASS_PRIMITIVE_COUNT];
} mez_mass_t;

/* Reads a bearer token from a file (surrounding whitespace removed; 1..4096 visible ASCII characters). The
 * file is refused, like a private key, when group or others may read or write it (MEZ_EIO
 * "mass.token_insecure_permissions"); "mass.token_unreadable", "mass.token_invalid" otherwise. */
mez_status_t mez_mass_token_load(apr_pool_t *p, const char *path, const char **token, mez_problem_t *pb);

/* The URL a remote request goes to (mez_http_url_join rules; "http.invalid_url" otherwise). */
mez_status_t mez_mass_request_url(apr_pool_t *p, const char *base_url, const mez_mass_request_t *req,
                                  const char **url, mez_problem_t *pb);

/* Answers one request from the primitive its path belongs to.
 *  - sovereign: mez_mass_store_handle(p, db, ctx, ...) in the caller's transaction (db and ctx required);
 *  - remote: the endpoint's answer, whatever its status, becomes *resp (a 4xx keeps the remote problem
 *    document as it came, with its code and pointer). MEZ_OK.
 * Returns non-MEZ_OK, resp->body NULL, when there is no answer to pass on:
 *  - MEZ_EIO 503 "mass.unavailable" naming the primitive, the host and the transport error;
 *  - MEZ_EIO 502 "mass.upstream_error" when the endpoint answered 5xx or something that is not a JSON object
 *    or array; the detail keeps the upstream status and, when it sent a problem, its code and detail;
 *  - MEZ_EINVAL 400 "http.invalid_url" for a path or query that cannot be sent;
 *  - the store's failures (sovereign).
 * A path that belongs to no primitive is answered 404 "request.not_found", as the store answers it. */
mez_status_t mez_mass_call(apr_pool_t *p, const mez_mass_t *mass, mez_db_t *db, const mez_mass_store_ctx_t *ctx,
                           const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb);

/* Readiness of one primitive: *state "ok" or "unreachable", *detail what was seen (never NULL).
 * Sovereign is "ok" (the database is readiness's own check). Remote: GET <base>/v1/<primitive>/status with the
 * probe timeout and no retries; only a 200 answer with a JSON object counts (a 500 is not "reachable").
 * Returns MEZ_OK when ok, MEZ_EIO when unreachable. */
mez_status_t mez_mass_probe(apr_pool_t *p, const mez_mass_t *mass, mez_mass_primitive_t prim, const char **state,
                            const char **detail);

/* Readiness of all five primitives (state[i], detail[i] as mez_mass_probe gives them, indexed by primitive), in at
 * most the largest probe timeout of the remote endpoints altogether: each probe gets what is left, a base URL
 * where nothing answered is not asked again for its other primitives, and a primitive the time no longer covers
 * is "unreachable" with a detail saying it was not probed. Returns how many are "ok". */
int mez_mass_probe_all(apr_pool_t *p, const mez_mass_t *mass, const char **state, const char **detail);

#endif
