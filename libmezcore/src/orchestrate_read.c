/* orchestrate_read.c: reads of the zone's Mass through its gateway (mez_orch_mass_read), and which entity a record
 * read through the zone API belongs to (mez_orch_entity_may_read, see mez/orchestrate.h): the read side of the
 * rule the write pipeline applies to an entity token (orchestrate.c: the entity an operation reaches). */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/orchestrate.h"
#include "orch_int.h"

mez_status_t mez_orch_id_check(apr_pool_t *p, const char *id, const char *pointer, mez_problem_t *pb)
{
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    if (!id || !*id)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_id", pointer, "an id must not be empty");
    if (strspn(id, token) != strlen(id) || !strcmp(id, ".") || !strcmp(id, ".."))
        return mez_problem(pb, p, MEZ_EINVAL, pointer ? 422 : 404, "request.invalid_id", pointer,
                           "'%s' is not an id (letters, digits, '_', '-', '.')", id);
    return MEZ_OK;
}

mez_status_t mez_orch_mass_read(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *path,
                               const char *query, const char *pointer, json_t **doc, mez_problem_t *pb)
{
    mez_mass_request_t req = { "GET", path, query, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_mass_store_ctx_t ctx = { z->zone_id, z->zone_id, apr_time_now(), NULL, z->tz, NULL };
    mez_status_t rv = z->mass_call ? z->mass_call(z->mass_baton, p, db, &req, &resp, pb)
                                   : mez_mass_store_handle(p, db, &ctx, &req, &resp, pb);
    if (rv != MEZ_OK)
        return rv;
    if (resp.body)
        mez_json_pool_own(p, resp.body);
    if (resp.status == 404)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "mass.not_found", pointer, "%s names no record here",
                           pointer ? pointer : path);
    if (resp.status != 200 || !json_is_object(resp.body))
        return mez_problem(pb, p, MEZ_EIO, 502, "mass.unexpected_answer", pointer, "Mass answered %d to GET %s",
                           resp.status, path);
    *doc = resp.body;
    return MEZ_OK;
}

const char *const mez_orch_payment_list_params[] = { "status", "account_id", "entity_id", "destination_type",
                                                     "created_after", "created_before", "limit", "cursor", NULL };

/* v percent-encoded for a query: every byte but RFC 3986's unreserved ones (an offset's '+' becomes %2B). */
const char *mez_orch_query_escape(apr_pool_t *p, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(v) * 3 + 1), *o = out;
    for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
        if (apr_isalnum(*s) || strchr("-._~", *s)) {
            *o++ = (char)*s;
        } else {
            *o++ = '%';
            *o++ = hex[*s >> 4];
            *o++ = hex[*s & 15];
        }
    }
    *o = '\0';
    return out;
}

mez_status_t mez_orch_payment_list_query(apr_pool_t *p, apr_table_t *q, const char *scope, const char **query,
                                         mez_problem_t *pb)
{
    const char *entity = apr_table_get(q, "entity_id"), *out = "";
    if (scope && entity && *entity && strcmp(entity, scope))
        return mez_problem(pb, p, MEZ_EINVAL, 403, "auth.not_entity_owner", "/entity_id",
                           "this caller (its token or certificate) acts for entity %s only, and lists its payments "
                           "only", scope);
    for (const char *const *n = mez_orch_payment_list_params; *n; n++) {
        const char *v = apr_table_get(q, *n);
        /* An entity token's list is its entity's; an empty entity_id goes on as it is, for the primitive to refuse. */
        if (!strcmp(*n, "entity_id") && scope && (!v || *v))
            v = scope;
        if (v)
            out = apr_pstrcat(p, out, *out ? "&" : "", *n, "=", mez_orch_query_escape(p, v), NULL);
    }
    *query = out;
    return MEZ_OK;
}

/* A record of the zone's Mass, through the zone's gateway (the caller's transaction when sovereign). NULL when
 * there is none or it cannot be read: the caller then refuses, as for a record that is not the entity's. */
static const json_t *record(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *path)
{
    mez_problem_t pb = { 0 };
    json_t *doc = NULL;
    return mez_orch_mass_read(z, p, db, path, NULL, NULL, &doc, &pb) == MEZ_OK ? doc : NULL;
}

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* The entity holding an account (NULL for the zone's own accounts: withholding, clearing). */
static const char *account_holder(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *account_id)
{
    const json_t *acc = account_id ? record(z, p, db, apr_pstrcat(p, "/v1/fiscal/accounts/", account_id, NULL))
                                   : NULL;
    return json_string_value(json_object_get(acc, "entity_id"));
}

int mez_orch_entity_may_read(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, const char *path,
                             const char *id, const json_t *doc, const char *entity)
{
    static const char *const entity_paths[] = { "/v1/entities/", "/v1/identity/entity/", "/v1/ownership/", NULL };
    const char *owner = json_string_value(json_object_get(doc, "entity_id"));
    const json_t *b;
    size_t i;

    if (owner)
        return same(owner, entity);
    for (const char *const *x = entity_paths; *x; x++)
        if (!strncmp(path, *x, strlen(*x)))
            return same(id, entity);
    if (!strncmp(path, "/v1/fiscal/", 11) && strlen(path) > 22 && !strcmp(path + strlen(path) - 11, "/tax-events"))
        return same(id, entity);                                /* an entity's tax events, by its id */
    if (!strncmp(path, "/v1/fiscal/accounts/", 20))            /* .../ledger */
        return same(account_holder(z, p, db, id), entity);
    if (!strncmp(path, "/v1/fiscal/payments/", 20)) {
        const json_t *dest = json_object_get(doc, "destination");
        return same(account_holder(z, p, db, json_string_value(json_object_get(doc, "source_account_id"))), entity)
               || (same(json_string_value(json_object_get(dest, "type")), "internal_account")
                   && same(account_holder(z, p, db, json_string_value(json_object_get(dest, "account_id"))),
                           entity));
    }
    if (!strncmp(path, "/v1/consent/", 12)) {                  /* the consent, or its audit trail */
        size_t n = strlen(path);
        if (n > 12 && !strcmp(path + n - 12, "/audit-trail"))
            doc = id ? record(z, p, db, apr_pstrcat(p, "/v1/consent/", id, NULL)) : NULL;
        return same(json_string_value(json_object_get(json_object_get(doc, "metadata"), "entity_id")), entity);
    }
    if (!strncmp(path, "/v1/identity/persons/", 21))
        json_array_foreach(json_object_get(doc, "bindings"), i, b)
            if (same(json_string_value(json_object_get(b, "entity_id")), entity))
                return 1;
    return 0;
}
