/* mass_store.c: the sovereign Mass store's front door: finds the primitive a request belongs to, replays or
 * refuses a reused Idempotency-Key (through the zone's one idempotency store, mez/idempotency.h), hands the
 * request to the primitive, and records a successful write with its answer under its key (in the caller's
 * transaction). Also the small helpers every primitive's file uses. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_general.h>
#include "mez/digest.h"
#include "mez/idempotency.h"
#include "mez/json.h"
#include "mez/tz.h"
#include "mez/vc.h"
#include "mass_int.h"
#include "mass_values.h"

static const char *const primitive_names[MEZ_MASS_PRIMITIVE_COUNT] = {
    [MEZ_MASS_ENTITIES] = "entities", [MEZ_MASS_OWNERSHIP] = "ownership", [MEZ_MASS_FISCAL] = "fiscal",
    [MEZ_MASS_CONSENT] = "consent", [MEZ_MASS_IDENTITY] = "identity",
};

typedef mez_status_t handler_fn(mez_mass_call_t *c);

static handler_fn *const handlers[MEZ_MASS_PRIMITIVE_COUNT] = {
    [MEZ_MASS_ENTITIES] = mez_mass_entities_handle, [MEZ_MASS_OWNERSHIP] = mez_mass_ownership_handle,
    [MEZ_MASS_FISCAL] = mez_mass_fiscal_handle, [MEZ_MASS_CONSENT] = mez_mass_consent_handle,
    [MEZ_MASS_IDENTITY] = mez_mass_identity_handle,
};

const char *mez_mass_primitive_name(mez_mass_primitive_t prim)
{
    return (unsigned)prim < MEZ_MASS_PRIMITIVE_COUNT ? primitive_names[prim] : "unknown";
}

mez_status_t mez_mass_primitive_parse(apr_pool_t *p, const char *name, mez_mass_primitive_t *out, mez_problem_t *pb)
{
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        if (name && !strcmp(name, primitive_names[i])) {
            *out = (mez_mass_primitive_t)i;
            return MEZ_OK;
        }
    return mez_problem(pb, p, MEZ_EINVAL, 400, "mass.unknown_primitive", NULL,
                       "'%s' is not a Mass primitive (entities, ownership, fiscal, consent, identity)",
                       name ? name : "");
}

/* The first path segment after /v1/ names the primitive, as in the contracts. */
int mez_mass_primitive_of_path(const char *path)
{
    static const struct { const char *segment; mez_mass_primitive_t prim; } map[] = {
        { "entities", MEZ_MASS_ENTITIES }, { "ownership", MEZ_MASS_OWNERSHIP }, { "fiscal", MEZ_MASS_FISCAL },
        { "consent", MEZ_MASS_CONSENT },   { "identity", MEZ_MASS_IDENTITY },
    };
    if (!path || strncmp(path, "/v1/", 4))
        return -1;
    path += 4;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t n = strlen(map[i].segment);
        if (!strncmp(path, map[i].segment, n) && (path[n] == '\0' || path[n] == '/'))
            return (int)map[i].prim;
    }
    return -1;
}

int mez_mass_read_may_write(const char *path)
{
    return mez_mass_primitive_of_path(path) == MEZ_MASS_CONSENT;
}

/* ---------------------------------------------------------------- answers */

mez_status_t mez_mass_answer(mez_mass_call_t *c, int status, json_t *body)
{
    if (c->resp->body)
        json_decref(c->resp->body);
    c->resp->status = status;
    c->resp->body = body ? body : json_object();
    return MEZ_OK;
}

mez_status_t mez_mass_refuse(mez_mass_call_t *c, int status, const char *code, const char *pointer,
                             const char *fmt, ...)
{
    mez_problem_t pb = { 0 };
    va_list ap;
    va_start(ap, fmt);
    pb.detail = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    pb.status = status;
    pb.code = code;
    pb.pointer = pointer;
    return mez_mass_answer(c, status, mez_problem_to_json(&pb));
}

mez_status_t mez_mass_refusal_problem(mez_mass_call_t *c, mez_problem_t *pb)
{
    const json_t *b = c->resp->body;
    const char *code = json_string_value(json_object_get(b, "code"));
    const char *pointer = json_string_value(json_object_get(b, "pointer"));
    const char *detail = json_string_value(json_object_get(b, "detail"));
    mez_status_t rv = mez_problem(pb, c->p, MEZ_EINVAL, c->resp->status, code ? apr_pstrdup(c->p, code) : "mass.refused",
                                  pointer ? apr_pstrdup(c->p, pointer) : NULL, "%s", detail ? detail : "refused");
    json_decref(c->resp->body);
    c->resp->body = NULL;
    return rv;
}

mez_status_t mez_mass_not_found(mez_mass_call_t *c, const char *what, const char *id)
{
    return mez_mass_refuse(c, 404, "mass.not_found", NULL, "there is no %s '%s' in this zone", what, id);
}

mez_status_t mez_mass_no_route(mez_mass_call_t *c, int path_known)
{
    if (path_known)
        return mez_mass_refuse(c, 405, "request.method_not_allowed", NULL, "%s is not allowed on %s",
                               c->req->method, c->req->path);
    return mez_mass_refuse(c, 404, "request.not_found", NULL, "there is no Mass resource at %s", c->req->path);
}

/* ---------------------------------------------------------------- zones (mass_int.h) */

const char *mez_mass_zone_stamp(const mez_mass_call_t *c)
{
    return c->ctx->caller_zone_id ? c->ctx->caller_zone_id : c->ctx->zone_id;
}

int mez_mass_zone_visible(const mez_mass_call_t *c, const char *zone)
{
    zone = mez_mass_nullable(zone);
    return !c->ctx->caller_zone_id || (zone && !strcmp(zone, c->ctx->caller_zone_id));
}

const char *mez_mass_zone_scope(const mez_mass_call_t *c)
{
    return c->ctx->caller_zone_id ? c->ctx->caller_zone_id : "";
}

/* ---------------------------------------------------------------- ids, times, paths */

const char *mez_mass_new_id(apr_pool_t *p, const char *prefix)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[32];
    size_t n = strlen(prefix);
    char *s = apr_palloc(p, n + 65);
    /* From the kernel's generator (getrandom on Linux, through APR): an id must never be guessable, and a
     * formation makes half a dozen; OpenSSL's RAND_bytes, for which a thread first finds its DRBG, cost ~2 us a
     * call in httpd against ~0.25. Keys and tokens (secrets, not names) keep RAND_bytes. Failing means the OS
     * entropy source is unusable: stop. */
    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS)
        abort();
    memcpy(s, prefix, n);
    for (size_t i = 0; i < sizeof(b); i++) {
        s[n + 2 * i] = hex[b[i] >> 4];
        s[n + 2 * i + 1] = hex[b[i] & 15];
    }
    s[n + 64] = '\0';
    return s;
}

/* The captures are written only when the whole path matches: callers try several patterns with one caps array,
 * and a pattern that captured a segment before failing further on (the tax-events pattern, whose star is the
 * third segment, tried on "/v1/fiscal/payments/{id}/settle") must not leave that segment where an earlier match
 * put the id. */
#define PATH_CAPS_MAX 8
int mez_mass_path_match(apr_pool_t *p, const char *path, const char *pattern, const char **caps, int ncaps)
{
    const char *seg[PATH_CAPS_MAX];
    size_t len[PATH_CAPS_MAX];
    int ncap = 0;
    while (*pattern && *path) {
        if (*pattern == '*') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0)
                return 0;
            if (ncap < PATH_CAPS_MAX)
                seg[ncap] = path, len[ncap] = n;
            ncap++;
            path += n;
            pattern++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    if (*pattern != '\0' || *path != '\0')
        return 0;
    for (int i = 0; i < ncap && i < ncaps && i < PATH_CAPS_MAX; i++)
        caps[i] = apr_pstrndup(p, seg[i], len[i]);
    return 1;
}

/* ---------------------------------------------------------------- validation */

static const char *member_pointer(mez_mass_call_t *c, const char *base, const char *name)
{
    return mez_pointer_join(c->p, base ? base : "", name);
}

int mez_mass_query_names(mez_mass_call_t *c, const char *const *params, const char *what)
{
    char *q = apr_pstrdup(c->p, c->req->query ? c->req->query : ""), *save = NULL, *kv;
    const char *seen = "&";
    for (kv = apr_strtok(q, "&", &save); kv; kv = apr_strtok(NULL, "&", &save)) {
        const char *const *a;
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        for (a = params; *a && strcmp(*a, kv); a++)
            ;
        if (!*a) {
            const char *list = "";
            for (a = params; *a; a++)
                list = apr_pstrcat(c->p, list, a == params ? "" : ", ", *a, NULL);
            mez_mass_refuse(c, 400, "request.unknown_parameter", apr_pstrcat(c->p, "/", kv, NULL),
                            "'%s' is not a parameter of %s (%s)", kv, what, list);
            return 0;
        }
        /* '&' cannot be in a name, so "&name&" finds a name seen before and nothing else. */
        if (strstr(seen, apr_pstrcat(c->p, "&", kv, "&", NULL))) {
            mez_mass_refuse(c, 400, "request.invalid_parameter", apr_pstrcat(c->p, "/", kv, NULL),
                            "the parameter %s is given twice", kv);
            return 0;
        }
        seen = apr_pstrcat(c->p, seen, kv, "&", NULL);
    }
    return 1;
}

int mez_mass_check_object(mez_mass_call_t *c, const json_t *obj, const char *pointer, const char *const *allowed)
{
    mez_problem_t pb = { 0 };
    if (!json_is_object(obj)) {
        mez_mass_refuse(c, 422, "request.not_an_object", pointer ? pointer : "", "%s must be a JSON object",
                        pointer && *pointer ? pointer : "the body");
        return 0;
    }
    if (mez_json_only_members(c->p, obj, pointer, allowed, "request.unknown_field", &pb) != MEZ_OK) {
        mez_mass_refuse(c, pb.status, pb.code, pb.pointer, "%s", pb.detail);
        return 0;
    }
    return 1;
}

/* Looks up name; 1 with *v set when present, 1 with *v NULL when absent and optional, 0 after refusing. */
static int member(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                  json_t **v)
{
    *v = json_object_get(obj, name);
    if (!*v && required) {
        mez_mass_refuse(c, 422, "request.missing_field", member_pointer(c, base, name), "'%s' is required", name);
        return 0;
    }
    return 1;
}

static int wrong_type(mez_mass_call_t *c, const char *base, const char *name, const char *want, const json_t *v)
{
    mez_mass_refuse(c, 422, "request.invalid_type", member_pointer(c, base, name), "'%s' must be %s, not %s", name,
                    want, mez_json_kind(v));
    return 0;
}

int mez_mass_get_string(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                        size_t maxlen, const char **out)
{
    json_t *v;
    size_t n;
    if (!member(c, obj, base, name, required, &v))
        return 0;
    if (!v)
        return 1;
    if (!json_is_string(v))
        return wrong_type(c, base, name, "a string", v);
    n = json_string_length(v);
    if (n == 0) {
        mez_mass_refuse(c, 422, "request.empty_value", member_pointer(c, base, name), "'%s' must not be empty", name);
        return 0;
    }
    /* jansson admits U+0000 inside a string; every column would keep it cut short at the NUL (a reference
     * "INV-1\u0000; hidden" stored as "INV-1"), so no member may carry one, whatever it is. */
    if (memchr(json_string_value(v), '\0', n)) {
        mez_mass_refuse(c, 422, "request.invalid_characters", member_pointer(c, base, name),
                        "'%s' must not contain control characters", name);
        return 0;
    }
    if (maxlen && n > maxlen) {
        mez_mass_refuse(c, 422, "request.too_long", member_pointer(c, base, name),
                        "'%s' is %" APR_SIZE_T_FMT " bytes long, at most %" APR_SIZE_T_FMT " are allowed", name, (apr_size_t)n,
                        (apr_size_t)maxlen);
        return 0;
    }
    *out = apr_pstrmemdup(c->p, json_string_value(v), n);
    return 1;
}

int mez_mass_get_text(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      size_t max_chars, const char **out)
{
    const char *s = NULL;
    size_t chars = 0;
    mez_text_fault_t fault;
    if (!mez_mass_get_string(c, obj, base, name, required, 0, &s))
        return 0;
    if (!s)
        return 1;
    if ((fault = mez_text_check(s, strlen(s), max_chars, &chars)) == MEZ_TEXT_CONTROL) {
        mez_mass_refuse(c, 422, "request.invalid_characters", member_pointer(c, base, name),
                        "'%s' must not contain control characters", name);
        return 0;
    }
    if (fault == MEZ_TEXT_TOO_LONG) {
        mez_mass_refuse(c, 422, "request.too_long", member_pointer(c, base, name),
                        "'%s' is %" APR_SIZE_T_FMT " characters long, at most %" APR_SIZE_T_FMT " are allowed", name,
                        (apr_size_t)chars, (apr_size_t)max_chars);
        return 0;
    }
    *out = s;
    return 1;
}

int mez_mass_get_enum(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char *const *values, const char **out)
{
    const char *s = NULL, *list = "";
    if (!mez_mass_get_string(c, obj, base, name, required, 0, &s))
        return 0;
    if (!s)
        return 1;
    for (const char *const *v = values; *v; v++) {
        if (!strcmp(*v, s)) {
            *out = *v;
            return 1;
        }
        list = *list ? apr_pstrcat(c->p, list, ", ", *v, NULL) : *v;
    }
    mez_mass_refuse(c, 422, "request.invalid_value", member_pointer(c, base, name), "'%s' must be one of %s, not '%s'",
                    name, list, s);
    return 0;
}

int mez_mass_get_bool(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int *out)
{
    json_t *v;
    if (!member(c, obj, base, name, required, &v))
        return 0;
    if (!v)
        return 1;
    if (!json_is_boolean(v))
        return wrong_type(c, base, name, "true or false", v);
    *out = json_is_true(v);
    return 1;
}

int mez_mass_get_int(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                     json_int_t min, json_int_t max, json_int_t *out)
{
    json_t *v;
    if (!member(c, obj, base, name, required, &v))
        return 0;
    if (!v)
        return 1;
    if (!json_is_integer(v))
        return wrong_type(c, base, name, "an integer", v);
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        mez_mass_refuse(c, 422, "request.out_of_range", member_pointer(c, base, name),
                        "'%s' must be between %" APR_INT64_T_FMT " and %" APR_INT64_T_FMT, name, (apr_int64_t)min,
                        (apr_int64_t)max);
        return 0;
    }
    *out = json_integer_value(v);
    return 1;
}

int mez_mass_get_object(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                        const json_t **out)
{
    json_t *v;
    if (!member(c, obj, base, name, required, &v))
        return 0;
    if (!v)
        return 1;
    if (!json_is_object(v))
        return wrong_type(c, base, name, "an object", v);
    *out = v;
    return 1;
}

int mez_mass_get_array(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                       size_t min_items, const json_t **out)
{
    json_t *v;
    if (!member(c, obj, base, name, required, &v))
        return 0;
    if (!v)
        return 1;
    if (!json_is_array(v))
        return wrong_type(c, base, name, "an array", v);
    if (json_array_size(v) < min_items) {
        mez_mass_refuse(c, 422, "request.too_few_items", member_pointer(c, base, name),
                        "'%s' must have at least %" APR_SIZE_T_FMT " item(s)", name, (apr_size_t)min_items);
        return 0;
    }
    *out = v;
    return 1;
}

int mez_mass_get_time(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      const char **out)
{
    const char *s = NULL;
    apr_time_t t;
    if (!mez_mass_get_string(c, obj, base, name, required, 64, &s))
        return 0;
    if (!s)
        return 1;
    if (mez_time_parse_rfc3339(s, &t) != 0) {
        mez_mass_refuse(c, 422, "request.invalid_time", member_pointer(c, base, name),
                        "'%s' must be an RFC 3339 date-time such as 2026-07-01T00:00:00Z, not '%s'", name, s);
        return 0;
    }
    *out = mez_time_stamp(c->p, t);
    return 1;
}

/* ---------------------------------------------------------------- entity states */

const char *mez_mass_latest_today(mez_mass_call_t *c)
{
    if (c->ctx->tz)
        return mez_tz_date(c->p, c->ctx->tz, c->ctx->now);
    /* No calendar known: a Karachi signing at 02:00 PKT is still the day before in UTC, and the store cannot tell
     * a Karachi party from any other; no place on Earth is past UTC+14, so that is as lenient as need be. */
    return apr_pstrndup(c->p, mez_time_stamp(c->p, c->ctx->now + apr_time_from_sec(14 * 3600)), 10);
}

/* A DISSOLVED or STRUCK_OFF company no longer exists in law (whatever it still held vests in the state, as bona
 * vacantia) and a REJECTED one never did: nothing can be paid by or to it, and it has no members whose shares could
 * move. DRAFT and PENDING_APPROVAL are live (a company in formation opens its account and takes its subscribers'
 * money); so is SUSPENDED, which is undone by reinstatement and does not end what the entity owes: a regulator
 * stops its money by freezing the account (POST /v1/fiscal/accounts/{id}/status), which every posting obeys. */
int mez_mass_entity_live(const char *status)
{
    return !status
           || (strcmp(status, "DISSOLVED") && strcmp(status, "STRUCK_OFF") && strcmp(status, "REJECTED"));
}

/* From the start of a winding up (DISSOLVING) the liquidator still collects and pays, so money moves until the
 * entity is DISSOLVED; but a company being wound up raises no capital, and a transfer of its shares after the
 * commencement of the winding up is void unless the liquidator sanctions it (e.g. UK Insolvency Act 1986 s. 88),
 * which this store has no record of: no issuance and no transfer. */
int mez_mass_entity_shares_move(const char *status)
{
    return mez_mass_entity_live(status) && !(status && !strcmp(status, "DISSOLVING"));
}

/* ---------------------------------------------------------------- stored documents */

const char *mez_mass_doc_text(mez_mass_call_t *c, const json_t *doc)
{
    const char *text = NULL;
    /* Documents built by the store are always canonicalisable; a failure would be a bug, answered as NULL. */
    if (mez_json_canonicalize(c->p, doc, &text, NULL, NULL) != MEZ_OK)
        return NULL;
    return text;
}

json_t *mez_mass_doc_parse(mez_mass_call_t *c, const char *text)
{
    json_t *doc = NULL;
    if (!text || mez_json_parse(c->p, text, strlen(text), &doc, NULL) != MEZ_OK)
        return NULL;
    return json_incref(doc);
}

/* ---------------------------------------------------------------- the front door */

mez_status_t mez_mass_store_handle(apr_pool_t *p, mez_db_t *db, const mez_mass_store_ctx_t *ctx,
                                   const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb)
{
    mez_mass_call_t c = { p, db, ctx, req, resp, pb };
    int prim = mez_mass_primitive_of_path(req->path);
    int write = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
    mez_idem_scope_t scope = { 0 };
    mez_idem_result_t res = { 0 };
    int keyed = 0;
    mez_status_t rv;

    resp->status = 0;
    resp->body = NULL;
    resp->wrote = NULL;
    if (prim < 0)
        return mez_mass_no_route(&c, 0);
    /* GET /v1/<primitive>/status: the probe a Mass client's readiness check calls (identity answers its own,
     * which its contract defines). */
    if (prim != MEZ_MASS_IDENTITY && !strcmp(req->method, "GET")
        && !strcmp(req->path + 4 + strlen(mez_mass_primitive_name(prim)), "/status"))
        return mez_mass_answer(&c, 200, json_pack("{s:s,s:s,s:s,s:s}", "primitive", mez_mass_primitive_name(prim),
                                                  "status", "ok", "store", "sovereign", "zone_id", ctx->zone_id));
    /* A write with an Idempotency-Key uses the zone's one idempotency store (mez/idempotency.h), in the caller's
     * transaction (lease 0: an uncommitted intent is invisible to everyone else). Scope: the store's zone, the
     * caller as principal, the primitive as route. A key is its caller's: shared by every caller of /mass, one
     * caller's key would be answered with another's record (their entity, their payment) or refused as reused
     * because another caller had picked the same key. The zone's own calls (ctx->caller NULL) keep "mass-store":
     * no HTTP caller is named so (mez_request_actor), and the keys of its orchestrated writes are derived from
     * their own caller, route and key already. */
    if (write && req->idempotency_key) {
        const char *digest;
        scope.zone_id = ctx->zone_id;
        scope.principal = ctx->caller ? ctx->caller : "mass-store";
        scope.route = apr_pstrcat(p, "mass:", mez_mass_primitive_name(prim), NULL);
        if ((rv = mez_idem_key_check(p, req->idempotency_key, pb)) != MEZ_OK
            || (rv = mez_idem_request_digest(p, req->method,
                                             req->query ? apr_pstrcat(p, req->path, "?", req->query, NULL)
                                                        : req->path,
                                             req->body, &digest, pb)) != MEZ_OK)
            return rv == MEZ_EINVAL ? mez_mass_refuse(&c, pb->status, pb->code, pb->pointer, "%s", pb->detail) : rv;
        if ((rv = mez_idem_begin(p, db, &scope, req->idempotency_key, digest, ctx->now, 0, &res, pb)) != MEZ_OK)
            return rv;
        if (res.outcome == MEZ_IDEM_CONFLICT || res.outcome == MEZ_IDEM_IN_PROGRESS) {
            mez_idem_refusal(p, &res, req->idempotency_key, pb);
            return mez_mass_refuse(&c, pb->status, pb->code, pb->pointer, "%s", pb->detail);
        }
        if (res.outcome == MEZ_IDEM_REPLAY) {
            json_t *body = mez_mass_doc_parse(&c, apr_pstrmemdup(p, res.body, res.body_len));
            if (!body)
                return mez_problem(pb, p, MEZ_EINTERNAL, 500, "mass.idempotency_record_corrupt", NULL,
                                   "the answer recorded for Idempotency-Key '%s' does not parse",
                                   req->idempotency_key);
            return mez_mass_answer(&c, res.status, body);
        }
        keyed = 1;
    }
    if ((rv = handlers[prim](&c)) != MEZ_OK) {
        if (resp->body)
            json_decref(resp->body);
        resp->body = NULL;
        return rv;
    }
    if (!resp->status)
        mez_mass_no_route(&c, 0);
    if (keyed && resp->status < 400) {
        const char *text = mez_mass_doc_text(&c, resp->body);
        if (!text)
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "mass.answer_not_json", NULL,
                               "the store's answer could not be serialised");
        if ((rv = mez_idem_complete(p, db, &scope, req->idempotency_key, resp->status, text, ctx->now, pb))
            != MEZ_OK) {
            json_decref(resp->body);
            resp->body = NULL;
            return rv;
        }
    }
    return MEZ_OK;
}
