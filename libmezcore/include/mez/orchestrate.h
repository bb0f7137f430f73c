/* mez/orchestrate.h: the zone's write path, the product's value path (DESIGN §4):
 *
 *   validate -> compliance tensor on the zone's packs (+ sanctions screening of every named person; a hit is a
 *   hard block) -> Mass call -> credential for what was done -> ComplianceAttestation for the decision that
 *   allowed it -> evaluation record -> audit -> answer
 *
 * One function runs it for every orchestrated route (the operations below); mod_mez only authenticates, reads
 * the body, and sends the answer.
 *
 * The request body of an orchestrated write is the Mass contract's request (what is forwarded to the primitive),
 * plus one optional member the zone keeps for itself: "compliance": {"evidence": {...}, "subject": {...},
 * "counterparty": {...}, "payment_type": "...", "withholding_rule": "...", "withholding_account_id": "...",
 * "date": "YYYY-MM-DD"} — the evidence and party attributes (filer status, entity class, stated capital) the
 * tensor reads (mez/tensor.h, "the action document"), the payer's account withheld tax goes to, and the day the
 * action took effect when it is recorded later (today by default, today being the date on the zone's calendar, z->tz;
 * never a future day: it chooses the law applied, while names are screened and evidence judged as of today). It is never sent to Mass. A party's id and name are
 * never taken from it: they come from the registry the request names; so does the entity class of a party the
 * registry holds (a different one is 422 compliance.entity_class_conflict; only a party it does not hold, such as
 * a beneficiary outside the zone, has its class from here).
 *
 * Atomicity. With the sovereign store, the Mass write, the credential, the attestation, the evaluation record
 * and the audit row are one database transaction: either all exist or none. With a remote Mass a transaction
 * cannot span the network, so the write is a small saga (orchestrate.c, "remote Mass"): the intent is recorded
 * and committed first, the call carries an idempotency key derived from the intent, and the completion is a
 * second transaction; a retry of the same request finds the intent and repeats the call with the same key, so
 * Mass applies it once and the completion is written once.
 *
 * Decisions. non_compliant (a sanctions hit among them, whatever else holds) denies: 422 problem
 * "compliance.denied" (or "compliance.sanctions_hard_block") carrying the per-domain result with its cited
 * sources, recorded as an evaluation and audited, with nothing else written. pending proceeds where the
 * operation allows it and the credential says which domains are pending (a formation with pending domains
 * stays PENDING_APPROVAL; with every domain passing it is approved at once). */
#ifndef MEZ_ORCHESTRATE_H
#define MEZ_ORCHESTRATE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/key.h"
#include "mez/mass.h"
#include "mez/problem.h"
#include "mez/store.h"
#include "mez/tensor.h"
#include "mez/tz.h"

/* How the zone reaches a Mass primitive: the sovereign store in the caller's transaction, or a remote one. */
typedef mez_status_t mez_orch_mass_fn(void *baton, apr_pool_t *p, mez_db_t *db, const mez_mass_request_t *req,
                                      mez_mass_response_t *resp, mez_problem_t *pb);

typedef struct mez_orch_zone_t {
    const char *zone_id;
    const char *did;
    const char *verification_method;
    const mez_key_t *key;
    const mez_tensor_index_t *tensor_index;   /* NULL: the zone has no packs, writes are refused (503) */
    uint32_t tensor_domains;
    mez_orch_mass_fn *mass_call;              /* NULL: the sovereign store, in this transaction */
    void *mass_baton;
    int (*mass_is_remote)(void *baton, mez_mass_primitive_t prim);   /* NULL: all sovereign */
    int tax_decides_payments;                 /* 1 (MezMode production): a payment whose tax domain is pending
                                               * (the facts do not settle which row governs it, or no row is in
                                               * force on its date) is refused, 409 "compliance.tax_undecided",
                                               * rather than paid with nothing withheld; 0: it is paid, the tax
                                               * recorded pending in its evaluation and credential */
    const mez_tz_t *tz;                       /* the zone's calendar (mez_zone_t.tz): "today", the action's date,
                                               * is the date of the request's instant there. NULL: UTC */
    const char *tax_year_start;               /* "MM-DD" (mez_zone_t), NULL: none declared (mez_tax_year_of) */
    unsigned weekend;                         /* the zone's weekend (mez_zone_t.weekend, mez/deadline.h): the days
                                               * an obligation's business days pass over. 0: saturday, sunday */
    const struct mez_zone_t *zone;            /* the zone file as loaded (mez/zone.h), NULL: none; a payment's
                                               * withholding names its statute from the lawpack's title */
} mez_orch_zone_t;

typedef struct mez_orch_request_t {
    const char *op;              /* an operation name (mez_orch_op_names) */
    const char *path_id;         /* the id in the route's path ({entity_id}, {licence_id}, ...), or NULL */
    const char *path_verb;       /* the verb in the route's path (licences: grant, suspend, ...), or NULL */
    const json_t *body;
    apr_time_t now;
    const char *actor;           /* who asks: the token id, for the audit trail; NULL when anonymous */
    const char *actor_entity;    /* an entity token's entity: it may act only on that entity */
    const char *idempotency_key; /* the caller's Idempotency-Key, or NULL */
    const char *path;            /* the request path (Idempotency-Key scope, "instance" of problems) */
    const char *request_id;      /* for the audit row, or NULL */
    int preview;                 /* 1: validate, screen and evaluate only. A decision that does not deny is
                                  * answered 200 {operation, decision, compliance} and nothing is written; a
                                  * denial is answered, recorded and audited as always (a zone keeps its
                                  * refusals). A corridor asks its peer this before money moves. */
} mez_orch_request_t;

typedef struct mez_orch_answer_t {
    int status;                  /* 201 done, 200 done (a transition), 422 denied */
    json_t *body;                /* the answer document (pool-owned; a replay's is parsed from its stored bytes) */
    const char *body_text;       /* the bytes to send: the document serialised, or a replay's stored bytes */
    int replayed;                /* 1: the first answer to this Idempotency-Key, sent again */
    const char *decision;        /* for the log notes */
    const char *credential_digest;
    const char *resource_id;
} mez_orch_answer_t;

/* Whether mez_orch_run was asked req before under its idempotency_key (the same zone, caller and route): *begun 1
 * when it was (finished or not: a remote Mass call's outcome may be unknown yet), and for a finished one its answer,
 * *status and *body (its exact bytes; *body NULL otherwise). Reads only: for a caller that must know whether a
 * keyed write may have been made before deciding to make it. */
mez_status_t mez_orch_answered(apr_pool_t *p, mez_db_t *db, const mez_orch_zone_t *z, const mez_orch_request_t *req,
                               int *begun, int *status, const char **body, mez_problem_t *pb);

/* Runs op for req. MEZ_OK with ans filled (a denial too); otherwise pb is the problem to answer (bad input
 * 4xx with a pointer into the body, a refusal of the Mass primitive passed through, 503 mass.unavailable,
 * database failures) and nothing was kept. */
mez_status_t mez_orch_run(apr_pool_t *p, mez_db_t *db, const mez_orch_zone_t *z, const mez_orch_request_t *req,
                          mez_orch_answer_t *ans, mez_problem_t *pb);

/* The licence register's read: GET /v1/licences/{id} (404 "mass.not_found" when there is none). */
mez_status_t mez_orch_licence_get(apr_pool_t *p, mez_db_t *db, const char *id, json_t **doc, mez_problem_t *pb);

/* Which licences mez_orch_licence_list reads: each member NULL for no condition. */
typedef struct mez_licence_filter_t {
    const char *status;         /* a licence state (mez/lifecycle.h): "SUSPENDED", ... */
    const char *entity_id;      /* the holder */
    const char *licence_type;   /* a licensepack's type, "pk-secp:nbfc" */
    const char *after;          /* the last licence_id of the previous page (paging on), NULL: from the first */
    int limit;                  /* at most this many (1 when < 1) */
} mez_licence_filter_t;
/* The licence register's list: GET /v1/licences. *out is {"licences": [doc...], "count": n} in licence_id order,
 * with "next_cursor" (the last id: f->after for the next page) when more match. A status that is not a licence
 * state is 400 "request.invalid_parameter" at /status (an unknown state would silently list nothing). */
mez_status_t mez_orch_licence_list(apr_pool_t *p, mez_db_t *db, const mez_licence_filter_t *f, json_t **out,
                                   mez_problem_t *pb);

/* GET /v1/fiscal/payments through the zone API: the parameters it takes (NULL-terminated: status, account_id,
 * entity_id, destination_type, created_after, created_before, limit, cursor), and the query it sends the fiscal
 * primitive's GET /v1/fiscal/payments (mass_payment_list.c), which checks the values and answers. q: the request's
 * parameters, name -> value (each name one of those, given once). scope: the entity an entity token acts for, NULL for
 * operators and regulators. An entity token lists its own entity's payments (made or received) only: without
 * entity_id the list is restricted to it, another entity_id is 403 "auth.not_entity_owner" at /entity_id; filtering
 * silently would answer a question other than the one asked. Values are sent percent-encoded. */
/* The classes of person a threshold binds (a party's taxpayer_classes: which of its obligations open) are the zone's
 * word about the party: an operator states them, an entity's own token (actor_entity) or a peer zone (actor
 * "peer:...") may not. 403 "auth.forbidden_role" at pointer when party carries them and the caller may not;
 * MEZ_OK otherwise. The write pipeline checks every party it takes; POST /v1/compliance/evaluate the subject of an
 * evaluation it records or signs. */
mez_status_t mez_orch_refuse_stated_classes(apr_pool_t *p, const char *actor, const char *actor_entity,
                                            const json_t *party, const char *pointer, mez_problem_t *pb);

extern const char *const mez_orch_payment_list_params[];
mez_status_t mez_orch_payment_list_query(apr_pool_t *p, apr_table_t *q, const char *scope, const char **query,
                                         mez_problem_t *pb);

/* Whether an entity token for `entity` may read doc, the record a GET of path (id: the path's id) answered. A
 * record names its entity in one of a few ways, by kind: most carry entity_id; a path under an entity names it;
 * a ledger is its account's; an entity's tax events (/v1/fiscal/{entity_id}/tax-events) its own; a payment belongs to the holders of its source and (internal) destination accounts;
 * a consent (or its audit trail) to metadata.entity_id, what board resolutions are checked against; a person to
 * the entities it is bound to. Anything else is not the entity's to read. Records it needs besides doc are read
 * through the zone's gateway (z->mass_call, or the sovereign store in db). 1 when it may. */
int mez_orch_entity_may_read(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *path,
                             const char *id, const json_t *doc, const char *entity);

/* An id that goes into a Mass gateway path ("/v1/entities/<id>"): letters, digits, '_', '-' and '.', and not "." or
 * "..", so that no other path can be reached through it (a remote Mass's httpd would resolve a dot segment). 422
 * "request.invalid_id" at pointer, or 404 when pointer is NULL (the id came in the route's own path). */
mez_status_t mez_orch_id_check(apr_pool_t *p, const char *id, const char *pointer, mez_problem_t *pb);

/* A record of the zone's Mass read through its gateway (z->mass_call; the sovereign store in db when NULL): *doc
 * (pool-owned) for a 200 JSON object. A 404 is 422 "mass.not_found" at pointer (the member that named it), any
 * other answer 502 "mass.unexpected_answer"; the gateway's own problems (503 "mass.unavailable", ...) pass. */
mez_status_t mez_orch_mass_read(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *path,
                               const char *query, const char *pointer, json_t **doc, mez_problem_t *pb);

/* The zone's registers at a glance: GET /v1/registers/summary. *out (pool-owned) is {zone_id, as_of,
 * entities: {total, by_status (every entity state, 0 included), by_type, register: "sovereign" | "remote",
 * complete}, licences: {total, by_status (every licence state), by_type}}. Entities are those of the zone's
 * jurisdiction: counted by the sovereign store, or read page by page from a remote organizations primitive, up to
 * 100,000 (complete false beyond: the counts are of those read). */
mez_status_t mez_orch_register_summary(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, json_t **out,
                                       mez_problem_t *pb);

/* The operations, NULL-terminated (for the route table and the documentation). */
extern const char *const mez_orch_op_names[];

#endif
