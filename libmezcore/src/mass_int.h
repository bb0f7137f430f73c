/* mass_int.h: what the sovereign Mass store's files share (private to libmezcore).
 *
 * mass_store.c dispatches a request to the primitive its path belongs to; each primitive's file
 * (mass_entities.c, mass_identity.c, mass_fiscal.c, mass_ownership.c, mass_consent.c) routes its own paths,
 * validates the body, reads and writes its tables and fills the answer. Conventions every file follows:
 *
 *  - A refusal is an answer: fill it with mez_mass_refuse() and return MEZ_OK. Validators below return 1 when
 *    the value is acceptable and 0 when they have already filled the refusal, so a handler reads
 *    `if (!mez_mass_get_string(...)) return MEZ_OK;`.
 *  - Return non-MEZ_OK only when the database fails (c->pb says how); the caller rolls back.
 *  - The caller rolls back on any status >= 400, so a handler may refuse after writing.
 *  - Every time written is c->ctx->now, as mez_time_stamp() formats it; ids come from mez_mass_new_id().
 *  - Money and share counts are integers in the database (minor units); on the wire they are the decimal
 *    strings the contracts define. */
#ifndef MEZ_MASS_INT_H
#define MEZ_MASS_INT_H

#include "mez/mass.h"
#include "mez/vc.h"

typedef struct mez_mass_call_t {
    apr_pool_t *p;
    mez_db_t *db;
    const mez_mass_store_ctx_t *ctx;
    const mez_mass_request_t *req;
    mez_mass_response_t *resp;
    mez_problem_t *pb;             /* database failures only */
} mez_mass_call_t;

/* One handler per primitive; each answers every path of its primitive (404/405 problems for the rest). */
mez_status_t mez_mass_entities_handle(mez_mass_call_t *c);
mez_status_t mez_mass_ownership_handle(mez_mass_call_t *c);
mez_status_t mez_mass_fiscal_handle(mez_mass_call_t *c);
mez_status_t mez_mass_consent_handle(mez_mass_call_t *c);
mez_status_t mez_mass_identity_handle(mez_mass_call_t *c);

/* Answers status with body (the reference is taken over). Returns MEZ_OK. */
mez_status_t mez_mass_answer(mez_mass_call_t *c, int status, json_t *body);
/* Answers a problem: status, stable code, JSON pointer into the request body (or NULL). Returns MEZ_OK. */
mez_status_t mez_mass_refuse(mez_mass_call_t *c, int status, const char *code, const char *pointer,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The refusal a validator below wrote into c->resp, as the problem it says (status, code, pointer, detail), for a
 * caller outside the store that reads a contract's members with the store's own validators (tax_withholding.c).
 * Returns MEZ_EINVAL; the refusal's body is given back. */
mez_status_t mez_mass_refusal_problem(mez_mass_call_t *c, mez_problem_t *pb);
/* 404 "mass.not_found" naming what was looked for. */
mez_status_t mez_mass_not_found(mez_mass_call_t *c, const char *what, const char *id);
/* 405 "request.method_not_allowed" (path known, method not) or 404 "request.not_found". */
mez_status_t mez_mass_no_route(mez_mass_call_t *c, int path_known);



/* Which zone a record is for. A store that is the remote Mass of several zones (each calling it with a token made
 * for it, `mez token create --mass-zone Z`: ctx->caller_zone_id) keeps their records apart by who calls, never by a
 * parameter a caller could leave out or set. The records a zone makes are stamped with it when made (migrations
 * 0023 and 0025: payments, entities, persons, consents; what hangs off them is theirs: an entity's officers,
 * history, dissolution, accounts (their balances, ledger, holds), cap table, and a person's identifiers,
 * verifications and bindings), and a caller acting for one zone reads, lists and acts on that zone's records only:
 * another zone's record is answered exactly as an id that names nothing, so ids tell it nothing and it changes
 * nothing there. A caller of the whole store (ctx->caller_zone_id NULL: the store's own zone API, its operators'
 * tokens without --mass-zone, the CLI) sees them all.
 *  - mez_mass_zone_stamp: the zone what this call makes is stamped with: the caller's zone; for a caller of the
 *    whole store, the store's own (ctx->zone_id): what its own zone API makes is its own. NULL when neither is
 *    known (a caller outside any zone: nothing made so).
 *  - a record stamped with no zone (NULL; "" as the pgsql driver reads NULL) was made before its table had the
 *    column: the store did not record for whom, so no zone can claim it and only callers of the whole store see it
 *    (docs/06-upgrade.md: how an operator attributes such records).
 *  - mez_mass_zone_scope: the caller's zone as a bound value for MEZ_MASS_IN_ZONE(column) ("(%s = '' OR column =
 *    %s)", the value passed twice): "" for a caller of the whole store, whose condition then holds for every row. */
const char *mez_mass_zone_stamp(const mez_mass_call_t *c);
int mez_mass_zone_visible(const mez_mass_call_t *c, const char *zone);
const char *mez_mass_zone_scope(const mez_mass_call_t *c);
#define MEZ_MASS_IN_ZONE(column) "(%s = '' OR " column " = %s)"

/* Body validation. Each returns 1 when acceptable, 0 after filling a 422 refusal whose pointer is
 * base + "/" + name. A missing optional member leaves *out untouched (set a default first). */
#define MEZ_MASS_REQUIRED 1
#define MEZ_MASS_OPTIONAL 0
/* The query's parameter names: each one of params (NULL-terminated) and given once, 0 after a 400 refusal
 * at "/<name>" (request.unknown_parameter, naming what, "the payment list", and the parameters it takes;
 * request.invalid_parameter for one given twice). 1 when every name is known. */
int mez_mass_query_names(mez_mass_call_t *c, const char *const *params, const char *what);
/* The body must be an object ("request.not_an_object") whose members are all in allowed ("request.unknown_field"). */
int mez_mass_check_object(mez_mass_call_t *c, const json_t *obj, const char *pointer, const char *const *allowed);
/* A string of 1..maxlen bytes (maxlen 0: no limit) with no NUL in it ("request.invalid_characters"). */
int mez_mass_get_string(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                        size_t maxlen, const char **out);
/* A free-text member (names, titles, descriptions, references, reasons, narrations): a string of 1..max_chars
 * Unicode characters (0: no limit) with no control characters ("request.invalid_characters": no NUL, no line
 * break, no terminal escape), so what is stored prints and compares as what it looks like. */
int mez_mass_get_text(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      size_t max_chars, const char **out);
/* One of values (NULL-terminated); "request.invalid_value" lists them. */
int mez_mass_get_enum(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char *const *values, const char **out);
int mez_mass_get_bool(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int *out);
/* An integer in [min, max]. */
int mez_mass_get_int(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                     json_int_t min, json_int_t max, json_int_t *out);
/* An object / an array (with minimum size); *out borrowed from obj. */
int mez_mass_get_object(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                        const json_t **out);
int mez_mass_get_array(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                       size_t min_items, const json_t **out);
/* A date-time in RFC 3339 form; *out is its normalised stamp (mez_time_stamp form). */
int mez_mass_get_time(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char **out);

/* What an entity's lifecycle state (its status text; NULL for no entity, as for the zone's own accounts) still lets
 * the store record for it. mez_mass_entity_live: accounts, cap tables and money in or out, refused (409
 * *.entity_inactive) once it is DISSOLVED, STRUCK_OFF or REJECTED. mez_mass_entity_shares_move: issuances and
 * transfers, refused from the start of a winding up (DISSOLVING) as well. See mass_store.c for why. */
int mez_mass_entity_live(const char *status);
int mez_mass_entity_shares_move(const char *status);

/* The latest date (YYYY-MM-DD) a party may give for something done (a transfer, a registration) without it being
 * in the future. Where the store knows the zone's calendar (ctx->tz: the zone's own store, in mod_mez or the
 * zone API, or the mez CLI given --timezone), today on it: the zone's day is the day its law and its parties
 * act on. Where it knows none (ctx->tz NULL: a zone without a zone.yaml, the mez CLI without --timezone), the
 * party's day may be any place's, so the date at the store's clock in the time zone furthest ahead (UTC+14): a
 * party's own local day is never refused, while UTC's may be one behind it. */
const char *mez_mass_latest_today(mez_mass_call_t *c);

/* A JSON document stored in a TEXT column and read back (canonical JSON text). */
const char *mez_mass_doc_text(mez_mass_call_t *c, const json_t *doc);
json_t *mez_mass_doc_parse(mez_mass_call_t *c, const char *text);

#endif
