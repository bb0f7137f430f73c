/* orch_int.h: what the write pipeline (orchestrate.c) and its operations (orchestrate_ops.c) share.
 * An operation prepares (validates its body, names the action the tensor evaluates and the people it screens,
 * builds the Mass request) and finishes (follow-up Mass writes, what its credential says); the pipeline does
 * everything else the same way for all of them. */
#ifndef MEZ_ORCH_INT_H
#define MEZ_ORCH_INT_H

#include <apr_tables.h>
#include "mez/idempotency.h"
#include "mez/orchestrate.h"

typedef struct orch_t orch_t;

typedef struct orch_op_t {
    const char *name;                    /* "entity.formation" */
    mez_mass_primitive_t prim;           /* the primitive it writes */
    const char *credential_type;         /* the credential it issues: "EntityFormationCredential", ... */
    int created;                         /* 1: answers 201 (a new resource), 0: 200 */
    const char *id_member;               /* created: the member of the Mass answer naming the new record; an
                                          * answer without it is refused (502), never certified */
    mez_status_t (*prepare)(orch_t *o);
    mez_status_t (*finish)(orch_t *o);   /* may be NULL: the Mass answer is the whole result */
    mez_status_t (*amend)(orch_t *o);    /* may be NULL: after the decision, before the write: puts what the zone
                                          * decided (a payment's withholding) into the Mass request */
    mez_status_t (*write)(orch_t *o);    /* NULL: the Mass call prepare built; else the zone's own registry write,
                                          * in the transaction, filling mass_resp as a Mass answer would */
} orch_op_t;

/* A person or organization named in the request, screened against the zone's sanctions lists. */
typedef struct orch_screen_t {
    const char *name;
    const char *pointer;                 /* where the name is in the request body */
} orch_screen_t;

struct orch_t {
    apr_pool_t *p;
    mez_db_t *db;
    const mez_orch_zone_t *z;
    const mez_orch_request_t *req;
    mez_problem_t *pb;
    const orch_op_t *op;
    mez_mass_store_ctx_t store_ctx;
    const char *date;                    /* the action's date, YYYY-MM-DD: today or compliance.date */
    const char *today;                   /* the day of req->now, YYYY-MM-DD: names are screened as of it */

    json_t *body;                        /* the request without "compliance": what Mass receives (pool-owned) */
    const json_t *compliance;            /* the zone's envelope, or NULL */

    /* set by prepare */
    json_t *action_doc;                  /* the tensor's action document, or NULL (screening only) */
    apr_array_header_t *screens;         /* orch_screen_t */
    mez_mass_request_t mass_req;
    const char *owner_entity;            /* the entity acted on, checked against an entity token's scope */
    const char *subject_id;              /* credentialSubject.id once known (the resource, the entity) */
    const char *screen_context;          /* the record screened names are cleared in, when prepare knows better
                                          * than the pipeline (orchestrate.c, screen_context) */
    int require_passing;                 /* 1: a decision with pending domains is refused before acting (409) */

    /* set by the pipeline */
    mez_mass_response_t mass_resp;       /* the Mass write's answer (body pool-owned) */
    json_t *result;                      /* the evaluation: the tensor's result or the screening's */
    json_t *screenings;                  /* one entry per screened name */
    mez_state_t decision;
    int hard_block;
    const char *evaluation_digest;
    const char *evaluation_canon;

    /* set by finish (or defaulted from the Mass answer) */
    const char *resource_id;
    json_t *claims;                      /* credentialSubject members besides id and compliance */
    int status;                          /* the HTTP status to answer, when finish wants another (202) */
    const char *credential_type;         /* overrides the operation's (licence transitions) */
    void *op_state;                      /* what an operation's prepare hands to its write */
    mez_db_tx_t *tx;                     /* the request's transaction (the completion's, with a remote Mass) */
    mez_idem_scope_t idem_scope;
    int intent_committed;                /* remote: the Idempotency-Key intent is committed on its own */
    int intent_resumed;                  /* remote: the intent was an earlier attempt's, taken over (RESUME) */
    int mass_key_scheme;                 /* how Mass idempotency keys are derived (orchestrate.c, mass_key) */
    int mass_done;                       /* a Mass write happened, or may have: never forget its intent after this */
    json_t *unreconciled;                /* a resumed intent denied now: the Mass write an earlier attempt may have
                                          * made, for the answer and the audit row (deny) */
};

/* orchestrate_licence.c: the zone's licence register */
mez_status_t mez_orch_licence_application_prepare(orch_t *o);
mez_status_t mez_orch_licence_application_write(orch_t *o);
mez_status_t mez_orch_licence_transition_prepare(orch_t *o);
mez_status_t mez_orch_licence_transition_write(orch_t *o);

/* Looks up an operation by name. */
const orch_op_t *mez_orch_op_find(const char *name);

/* A Mass call through the zone's gateway (sovereign store in this transaction, or remote). A refusal is
 * returned as a problem (MEZ_EINVAL with the primitive's status, code, pointer), an answer as resp. A read's path
 * may end in "?<query>" (its values percent-encoded: mez_orch_query_escape). */
mez_status_t mez_orch_mass(orch_t *o, const char *method, const char *path, const json_t *body,
                           const char *key_suffix, mez_mass_response_t *resp);
/* The Idempotency-Key the operation's own Mass write carries when its primitive is a remote Mass (derived from the
 * caller's key: orchestrate.c, mass_key), NULL otherwise: a resumed request may have made that write already. */
const char *mez_orch_remote_mass_key(orch_t *o);
/* GET path and return its document (pool-owned); a 404 becomes a 422 "<what>.unknown" at pointer. */
mez_status_t mez_orch_mass_get(orch_t *o, const char *path, const char *what, const char *pointer,
                               json_t **doc);
/* The entity id names, fetched from the Mass registry (doc pool-owned). pointer NULL: the id is in the path, an
 * unknown one is a 404; otherwise it is in the body at pointer, an unknown one is a 422 "entity.unknown". A
 * malformed id is "request.invalid_id" either way. */
mez_status_t mez_orch_entity(orch_t *o, const char *id, const char *pointer, json_t **doc);
/* Adds a name to screen (skips NULL: a member absent; "" is refused as unscreenable). */
void mez_orch_screen(orch_t *o, const char *name, const char *pointer);
/* Refuses a name of a party the request carries that screening cannot compare: 422 request.unscreenable_name
 * at pointer when nothing is left of it once normalised, request.name_too_long when longer than
 * MEZ_TENSOR_NAME_MAX characters. Names given to mez_orch_screen are checked alike. */
mez_status_t mez_orch_screenable(orch_t *o, const char *name, const char *pointer);
/* v percent-encoded for a query: every byte but RFC 3986's unreserved ones (orchestrate_read.c). */
const char *mez_orch_query_escape(apr_pool_t *p, const char *v);
/* A string member of the body (borrowed), or NULL. */
const char *mez_orch_str(const json_t *obj, const char *name);

#endif
