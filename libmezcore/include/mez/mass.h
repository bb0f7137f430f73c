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
} mez_mass_response_t;

/* What the sovereign store knows about the zone it serves. */
typedef struct mez_mass_store_ctx_t {
    const char *zone_id;
    const char *jurisdiction_id;   /* the zone's jurisdiction: the default for new entities */
    apr_time_t now;                /* the request's time; every timestamp the call writes uses it */
} mez_mass_store_ctx_t;

/* The sovereign store: answers one request from the zone's database.
 * The caller owns the transaction (mez_db_begin before, commit after) and must roll it back whenever
 * resp->status >= 400: a refused request may have written part of its work before it found the fault.
 * A refusal is an answer (MEZ_OK, status 4xx, problem body); a non-MEZ_OK return means the database failed
 * (pb says how) and the caller rolls back too. Writes with an idempotency key are recorded with their answer
 * in the same transaction (mez_mass_idempotency): the same key and body again answers the first answer with
 * nothing written; the same key with another body is a 422 "mass.idempotency_key_reused". */
mez_status_t mez_mass_store_handle(apr_pool_t *p, mez_db_t *db, const mez_mass_store_ctx_t *ctx,
                                   const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb);

#endif
