/* mod_mez_io.c: JSON request bodies in, JSON and RFC 9457 problem documents out.
 * Bodies are read against the zone's limit before parsing, so an oversized request costs nothing. */
#include <errno.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/json.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

/* application/json or any application/<x>+json, parameters (charset) ignored. */
static int is_json_type(const char *ct)
{
    const char *semi;
    size_t n;
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    semi = strchr(ct, ';');
    n = semi ? (size_t)(semi - ct) : strlen(ct);
    while (n && ct[n - 1] == ' ')
        n--;
    if (n == 16 && !strncasecmp(ct, "application/json", 16))
        return 1;
    return n > 17 && !strncasecmp(ct, "application/", 12) && !strncasecmp(ct + n - 5, "+json", 5);
}

mez_status_t mez_read_json_document(request_rec *r, json_t **out, mez_problem_t *pb)
{
    mez_srv_conf_t *sc = mez_srv_conf(r->server);
    apr_off_t limit = sc->max_body > 0 ? sc->max_body : MEZ_DEFAULT_MAX_BODY;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    char *buf;
    apr_off_t len = 0, cap, most;
    int rc;

    *out = NULL;
    if (!is_json_type(ct))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 415, "request.unsupported_media_type", NULL,
                           "the body must be application/json, not %s", ct ? ct : "(none)");
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return mez_problem(pb, r->pool, MEZ_EINVAL, rc, "request.unreadable", NULL, "the body cannot be read");
    if (r->remaining > limit)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 413, "request.too_large", NULL,
                           "the body is %" APR_OFF_T_FMT " bytes; this zone accepts at most %" APR_OFF_T_FMT,
                           r->remaining, limit);
    /* The buffer grows with what arrives, by doubling from 16 KiB up to the size Content-Length gave (or the limit,
     * for a chunked body), plus one byte. Reserving the whole limit for every request (1 MiB by default, up to
     * 1 GiB) made each small formation take a megabyte from the pool's allocator; reserving what Content-Length
     * claims would let a client that claims much and sends nothing have it. */
    most = (r->remaining > 0 ? r->remaining : limit) + 1;
    cap = most < 16384 ? most : 16384;
    buf = apr_palloc(r->pool, (apr_size_t)cap);
    if (ap_should_client_block(r)) {
        long n = 0;
        for (;;) {
            if (len == cap) {
                /* Full: a chunked body (or one longer than it said). Read up to one byte past the limit, so a
                 * body that is too large is recognised as such. */
                apr_off_t grown = cap * 2 < most ? cap * 2 : most;
                char *bigger;
                if (grown <= cap)
                    break;
                bigger = apr_palloc(r->pool, (apr_size_t)grown);
                memcpy(bigger, buf, (size_t)len);
                buf = bigger;
                cap = grown;
            }
            if ((n = ap_get_client_block(r, buf + len, (apr_size_t)(cap - len))) <= 0)
                break;
            len += n;
            if (len > limit) {
                /* Not read further: the connection closes after the answer rather than reading a body that
                 * may never end. */
                r->connection->keepalive = AP_CONN_CLOSE;
                return mez_problem(pb, r->pool, MEZ_EINVAL, 413, "request.too_large", NULL,
                                   "the body is larger than this zone's limit of %" APR_OFF_T_FMT " bytes", limit);
            }
        }
        if (n < 0)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.unreadable", NULL,
                               "the body could not be read completely");
    }
    if (len == cap) {
        /* The terminating NUL needs one byte more (a body exactly as long as Content-Length said). */
        char *bigger = apr_palloc(r->pool, (apr_size_t)len + 1);
        memcpy(bigger, buf, (size_t)len);
        buf = bigger;
    }
    if (len == 0)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "json.invalid", "", "the body is empty");
    buf[len] = '\0';
    return mez_json_parse_input(r->pool, buf, (size_t)len, out, pb);
}

mez_status_t mez_read_json_body(request_rec *r, json_t **out, mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_read_json_document(r, out, pb)) != MEZ_OK)
        return st;
    return mez_refuse_nul(r, *out, "", pb);
}

/* JSON lets a string carry U+0000, and every reader of a request's strings after this point takes them as C text,
 * which ends at the first NUL: an id, a digest, a DID or a zone name would be compared, looked up and stored as what
 * comes before it, while a signature or digest over the document covers the whole string. No member of any request
 * has a use for a NUL, so one is refused wherever it is, before anything reads or stores the body. */
mez_status_t mez_refuse_nul(request_rec *r, const json_t *v, const char *base, mez_problem_t *pb)
{
    const char *at = mez_json_find_nul(r->pool, v, base);
    if (!at)
        return MEZ_OK;
    return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_characters", at,
                       "the string at %s holds a NUL character (\\u0000), which no member of a request may hold",
                       *at ? at : "the root");
}

mez_status_t mez_read_json_object(request_rec *r, const char *const *allowed, json_t **body, mez_problem_t *pb)
{
    mez_status_t st;
    if ((st = mez_read_json_body(r, body, pb)) != MEZ_OK)
        return st;
    if (!json_is_object(*body))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "", "the body is a JSON object");
    return mez_check_members(r, *body, "", allowed, pb);
}

/* ------------------------------------------------------------------ query parameters */

mez_status_t mez_read_query(request_rec *r, const char *const *allowed, apr_table_t **out, mez_problem_t *pb)
{
    char *args = r->args ? apr_pstrdup(r->pool, r->args) : NULL, *tok, *last;
    *out = apr_table_make(r->pool, 4);
    for (tok = args ? apr_strtok(args, "&", &last) : NULL; tok; tok = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(tok, '='), *value;
        const char *const *a;
        size_t len;
        if (!eq)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter",
                               apr_pstrcat(r->pool, "/", tok, NULL), "query parameters are name=value");
        *eq = '\0';
        value = eq + 1;
        for (a = allowed; *a && strcmp(*a, tok); a++)
            ;
        if (!*a) {
            const char *names = "";
            for (a = allowed; *a; a++)
                names = apr_pstrcat(r->pool, names, a == allowed ? "" : ", ", *a, NULL);
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.unknown_parameter",
                               apr_pstrcat(r->pool, "/", tok, NULL), "the parameters are %s", names);
        }
        /* Text as every other input is (mez_text_check's rule: UTF-8, no control character), and short: a query
         * value is a name, an id or a number, never a document. */
        if (ap_unescape_url(value) != OK || (len = strlen(value)) > 255 || !mez_utf8_valid(value, len)
            || strcspn(value, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12"
                              "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != len)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter",
                               apr_pstrcat(r->pool, "/", tok, NULL),
                               "the parameter's value is not URL-encoded UTF-8 text (no control characters) of at "
                               "most 255 bytes");
        if (apr_table_get(*out, tok))
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter",
                               apr_pstrcat(r->pool, "/", tok, NULL), "the parameter %s is given twice", tok);
        apr_table_setn(*out, tok, value);
    }
    return MEZ_OK;
}

mez_status_t mez_query_int(request_rec *r, apr_table_t *query, const char *name, apr_int64_t min, apr_int64_t max,
                           apr_int64_t dflt, apr_int64_t *out, mez_problem_t *pb)
{
    const char *value = apr_table_get(query, name);
    char *end;
    apr_int64_t n;
    if (!value) {
        *out = dflt;
        return MEZ_OK;
    }
    errno = 0;
    n = apr_strtoi64(value, &end, 10);
    /* Digits only, without a sign, spaces or leading zeros: one spelling per number. */
    if (!*value || *end || !apr_isdigit(*value) || (*value == '0' && value[1]) || errno == ERANGE || n < min
        || n > max)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter",
                           apr_pstrcat(r->pool, "/", name, NULL), "%s is a whole number from %" APR_INT64_T_FMT
                           " to %" APR_INT64_T_FMT, name, min, max);
    *out = n;
    return MEZ_OK;
}

static int send_text(request_rec *r, int status, const char *type, const char *text, apr_size_t len)
{
    r->status = status;
    ap_set_content_type(r, type);
    ap_set_content_length(r, (apr_off_t)len);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only)
        ap_rwrite(text, (int)len, r);
    return OK;
}

static int send_body(request_rec *r, int status, const char *type, json_t *body)
{
    const char *text = apr_pstrcat(r->pool, mez_json_dump(r->pool, body, 0), "\n", NULL);
    return send_text(r, status, type, text, strlen(text));
}

int mez_send_json_text(request_rec *r, int status, const char *text, apr_size_t len)
{
    return send_text(r, status, "application/json", text, len);
}

int mez_send_json(request_rec *r, int status, json_t *body)
{
    mez_json_pool_own(r->pool, body);
    return send_body(r, status, "application/json", body);
}

int mez_send_text_typed(request_rec *r, int status, const char *type, const char *text)
{
    return send_text(r, status, type, text, strlen(text));
}

int mez_send_json_typed(request_rec *r, int status, const char *type, json_t *body)
{
    return send_body(r, status, type, body);
}

int mez_send_problem(request_rec *r, const mez_problem_t *pb, json_t *extra)
{
    json_t *doc = mez_json_pool_own(r->pool, mez_problem_to_json(pb));
    int status = pb->status >= 400 && pb->status < 600 ? pb->status : HTTP_INTERNAL_SERVER_ERROR;
    if (extra) {
        json_object_update_missing(doc, extra);
        json_decref(extra);
    }
    /* A path that does not decode to text is given escaped again: a problem is JSON, UTF-8. */
    json_object_set_new(doc, "instance", json_string(mez_utf8_valid(r->uri, strlen(r->uri))
                                                         ? r->uri : ap_escape_uri(r->pool, r->uri)));
    apr_table_setn(r->notes, "mez-problem", pb->code ? pb->code : "internal");
    if (status >= 500)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s: %s", pb->code ? pb->code : "internal",
                      pb->detail ? pb->detail : "");
    else
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%d %s: %s", status, pb->code ? pb->code : "",
                      pb->detail ? pb->detail : "");
    return send_body(r, status, "application/problem+json", doc);
}

int mez_send_method_not_allowed(request_rec *r, const char *allow)
{
    mez_problem_t pb = { 0 };
    apr_table_setn(r->err_headers_out, "Allow", allow);
    mez_problem(&pb, r->pool, MEZ_EINVAL, 405, "request.method_not_allowed", NULL, "%s is not allowed on %s (%s)",
                r->method, r->uri, allow);
    return mez_send_problem(r, &pb, NULL);
}

mez_status_t mez_check_members(request_rec *r, const json_t *obj, const char *pointer,
                               const char *const *allowed, mez_problem_t *pb)
{
    return mez_json_only_members(r->pool, obj, pointer, allowed, "request.unknown_field", pb);
}
