/* mod_mez_audit.c: the audit row of a request (mez/audit.h): the handlers say what they did and call this inside
 * their transaction, just before committing, so a row exists exactly when the action committed. This file adds
 * who (the authenticated caller), which request (its id) and which zone, and notes the row's seq for CustomLog. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mez/audit.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

const char *mez_request_actor(request_rec *r)
{
    /* AuthType mez leaves the token's id (never its secret) in r->user; another httpd authentication a name. */
    if (r->user && r->ap_auth_type && !strcasecmp(r->ap_auth_type, "mez"))
        return r->user;
    if (r->user)
        return apr_pstrcat(r->pool, "user:", r->user, NULL);
    return "anonymous";
}

const char *mez_request_id(request_rec *r)
{
    static const char hex[] = "0123456789abcdef";
    const char *id = apr_table_get(r->notes, "mez-request-id");
    unsigned char b[16];
    char *s;
    if (id)
        return id;
    /* mod_unique_id's id, when it is loaded, ties the row to httpd's own logs. */
    if ((id = apr_table_get(r->subprocess_env, "UNIQUE_ID")) == NULL) {
        if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS)
            return NULL;
        s = apr_palloc(r->pool, 4 + 2 * sizeof(b) + 1);
        memcpy(s, "req_", 4);
        for (size_t i = 0; i < sizeof(b); i++) {
            s[4 + 2 * i] = hex[b[i] >> 4];
            s[4 + 2 * i + 1] = hex[b[i] & 15];
        }
        s[4 + 2 * sizeof(b)] = '\0';
        id = s;
    }
    apr_table_setn(r->notes, "mez-request-id", id);
    return id;
}

/* The mez_audit log format's action= for a route whose handler named none: the audit row's action. */
static void note_action(request_rec *r, const char *action)
{
    if (action && !apr_table_get(r->notes, "mez-action"))
        apr_table_setn(r->notes, "mez-action", action);
}

void mez_request_audit_event(request_rec *r, const char *action, const char *resource_type,
                             const char *resource_id, const char *outcome, json_t *detail, mez_audit_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->zone_id = mez_srv_conf(r->server)->zone_id;
    ev->at = apr_time_now();
    ev->actor = mez_request_actor(r);
    ev->action = action;
    ev->resource_type = resource_type;
    ev->resource_id = resource_id;
    ev->outcome = outcome;
    ev->request_id = mez_request_id(r);
    ev->detail = detail ? mez_json_pool_own(r->pool, detail) : NULL;
    note_action(r, action);
}

mez_status_t mez_request_audit(request_rec *r, mez_db_t *db, const char *action, const char *resource_type,
                               const char *resource_id, const char *outcome, json_t *detail, mez_problem_t *pb)
{
    mez_audit_event_t ev;
    mez_request_audit_event(r, action, resource_type, resource_id, outcome, detail, &ev);
    /* The row is not asked back: on PostgreSQL it then goes with the COMMIT, not waited for on its own; it names
     * the request (request_id), which ties it to httpd's logs. It is counted once its transaction commits, with
     * every other audit row of the request (mez_request_audit_rows). */
    return mez_audit_append(r->pool, db, &ev, pb);
}

/* The store's ids are a lowercase prefix, '_' and 64 hex digits ("con_...", "ent_...": mez_mass_new_id). */
static int is_store_id(const char *s)
{
    const char *u = s;
    size_t n = 0;
    while (*u >= 'a' && *u <= 'z')
        u++;
    if (u == s || *u++ != '_')
        return 0;
    for (; (u[n] >= '0' && u[n] <= '9') || (u[n] >= 'a' && u[n] <= 'f'); n++)
        ;
    return n == 64 && u[n] == '\0';
}

/* What a sovereign-store write acted on: the store id in its path ("/v1/consent/con_.../sign"), else the one its
 * answer names first ("id", then any "..._id" member holding a store id). */
static const char *mass_resource_id(request_rec *r, const mez_mass_request_t *req, const json_t *answer)
{
    char *path = apr_pstrdup(r->pool, req->path), *save = NULL, *seg;
    const char *key;
    json_t *v;
    for (seg = apr_strtok(path, "/", &save); seg; seg = apr_strtok(NULL, "/", &save))
        if (is_store_id(seg))
            return seg;
    v = json_object_get(answer, "id");
    if (json_is_string(v) && is_store_id(json_string_value(v)))
        return json_string_value(v);
    json_object_foreach((json_t *)answer, key, v) {
        size_t n = strlen(key);
        if (n > 3 && !strcmp(key + n - 3, "_id") && json_is_string(v) && is_store_id(json_string_value(v)))
            return json_string_value(v);
    }
    return NULL;
}

mez_status_t mez_audit_mass_write(request_rec *r, mez_db_t *db, const mez_mass_request_t *req,
                                  const mez_mass_response_t *resp, mez_problem_t *pb)
{
    int prim = mez_mass_primitive_of_path(req->path);
    json_t *detail = json_pack("{s:i}", "status", resp->status);
    if (req->idempotency_key)
        json_object_set_new(detail, "idempotency_key", json_string(req->idempotency_key));
    if (resp->wrote)
        json_object_set_new(detail, "wrote", json_string(resp->wrote));
    /* The zone a caller of the store acted for: what its payments are stamped with (mass_fiscal_int.h). */
    if (mez_request_mass_zone(r))
        json_object_set_new(detail, "mass_zone_id", json_string(mez_request_mass_zone(r)));
    return mez_request_audit(r, db, apr_pstrcat(r->pool, "mass.", req->method, " ", req->path, NULL),
                             prim >= 0 ? mez_mass_primitive_name((mez_mass_primitive_t)prim) : "mass",
                             mass_resource_id(r, req, resp->body), "committed", detail, pb);
}

/* GET /v1/audit/anchor: the chain's head signed with the zone key (mez_audit_anchor_sign), for auditors and
 * regulators to keep outside the zone; `mez audit verify --anchor FILE` later checks that the chain still holds
 * what was signed. */
int mez_audit_anchor_get(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    mez_audit_anchor_t a;
    mez_db_t *db;
    if (!(db = mez_zone_db(r, sc, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_audit_anchor_sign(r->pool, db, sc->zone_id, sc->key, &a, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->notes, "mez-action", "audit.anchor");
    return mez_send_json(r, 200, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "zone_id", sc->zone_id, "origin",
                                           a.origin, "seq", (json_int_t)a.seq, "hash", a.hash, "note", a.note,
                                           "did", sc->did, "vkey", a.vkey));
}

/* GET /v1/audit/rows[?from=&limit=]: the log as the chain head closes it, read with the head in one snapshot (as
 * `mez audit show` reads it), oldest first from `from`; without `from`, the last `limit` rows. Each row carries
 * prev_hash, hash and hash_scheme, so whoever reads it can recompute the links (mez_audit_row_hash's rule, DESIGN
 * and docs/06) and hold the zone to an anchor they kept. Rows past the head are not the log (a forged row, or the
 * head set back over real ones): they are counted in "beyond_head", never shown as if they were. */
int mez_audit_rows_get(request_rec *r, mez_srv_conf_t *sc)
{
    static const char *const params[] = { "from", "limit", NULL };
    mez_problem_t pb = { 0 };
    mez_audit_extent_t ext;
    apr_int64_t from, limit;
    apr_array_header_t *rows;
    apr_table_t *q;
    mez_db_t *db;
    json_t *arr, *doc;

    if (mez_read_query(r, params, &q, &pb) != MEZ_OK
        || mez_query_int(r, q, "limit", 1, 500, 100, &limit, &pb) != MEZ_OK
        || mez_query_int(r, q, "from", 1, APR_INT64_MAX, 0, &from, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!(db = mez_zone_db(r, sc, &pb)))
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->notes, "mez-action", "audit.rows");
    if (mez_audit_page(r->pool, db, from, (int)limit, &ext, &rows, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < rows->nelts; i++)
        json_array_append_new(arr, mez_audit_row_json(&APR_ARRAY_IDX(rows, i, mez_audit_row_t)));
    doc = json_pack("{s:o, s:o, s:I}", "head",
                    ext.have_head ? json_pack("{s:I, s:s}", "seq", (json_int_t)ext.head_seq, "hash", ext.head_hash)
                                  : json_null(),
                    "rows", arr, "beyond_head", (json_int_t)ext.beyond);
    if (rows->nelts) {
        apr_int64_t next = APR_ARRAY_IDX(rows, rows->nelts - 1, mez_audit_row_t).seq + 1;
        if (next <= ext.head_seq)
            json_object_set_new(doc, "next_from", json_integer(next));
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return mez_send_json(r, 200, doc);
}
