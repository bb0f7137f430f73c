/* mass_client.c: the Mass gateway (mez_mass_call, mez_mass_probe, mez_mass_token_load; see mez/mass.h).
 *
 * A primitive is answered by the sovereign store in the caller's transaction, or by a remote Mass endpoint
 * over HTTP. What the remote says is passed on as it said it: a 4xx problem keeps its code and pointer, and
 * an answer that cannot be passed on (5xx, not JSON) becomes a 502 that still names the upstream status and
 * code; the reference collapsed all of that into "An upstream service error occurred" (api-and-mass.md §7
 * defect 17). Readiness counts a primitive reachable only when its status probe answers 200 with JSON; the
 * reference counted any HTTP answer, even a 500 (defect 16). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/file.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mass_int.h"

#define TOKEN_FILE_MAX 8192
#define TOKEN_MAX 4096
#define CONNECT_TIMEOUT_MAX_MS 5000L

/* ---------------------------------------------------------------- token files */

mez_status_t mez_mass_token_load(apr_pool_t *p, const char *path, const char **token, mez_problem_t *pb)
{
    struct stat st;
    char *buf;
    ssize_t n;
    size_t start = 0, end;
    /* Opened without waiting (a named pipe here would hang the caller), checked on the descriptor. */
    int fd = mez_file_open_regular(path, &st);

    if (fd < 0 && errno != 0)
        return mez_problem(pb, p, MEZ_EIO, 500, "mass.token_unreadable", NULL, "cannot open token file %s: %s",
                           path, strerror(errno));
    if (fd < 0)
        return mez_problem(pb, p, MEZ_EIO, 500, "mass.token_unreadable", NULL,
                           "%s is %s, not a token file (a regular file of at most %d bytes)", path,
                           mez_file_kind(&st), TOKEN_FILE_MAX);
    if (st.st_size > TOKEN_FILE_MAX) {
        close(fd);
        return mez_problem(pb, p, MEZ_EIO, 500, "mass.token_unreadable", NULL,
                           "%s is not a token file (a regular file of at most %d bytes)", path, TOKEN_FILE_MAX);
    }
    /* A bearer token others can read is already disclosed: refused exactly as a private key would be. */
    if (st.st_mode & 077) {
        close(fd);
        return mez_problem(pb, p, MEZ_EIO, 500, "mass.token_insecure_permissions", NULL,
                           "token file %s has mode %04o and is readable or writable by group or others; "
                           "restrict it with: chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
    }
    buf = apr_palloc(p, TOKEN_FILE_MAX + 1);
    n = read(fd, buf, TOKEN_FILE_MAX + 1);
    close(fd);
    if (n < 0 || n > TOKEN_FILE_MAX)
        return mez_problem(pb, p, MEZ_EIO, 500, "mass.token_unreadable", NULL, "cannot read token file %s", path);
    end = (size_t)n;
    while (start < end && (buf[start] == ' ' || buf[start] == '\t' || buf[start] == '\n' || buf[start] == '\r'))
        start++;
    while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t' || buf[end - 1] == '\n'
                           || buf[end - 1] == '\r'))
        end--;
    if (end == start || end - start > TOKEN_MAX)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "mass.token_invalid", NULL,
                           "token file %s must hold one token of 1 to %d characters", path, TOKEN_MAX);
    /* The token goes into an HTTP header: only visible ASCII, so it can never split or inject a header. */
    for (size_t i = start; i < end; i++)
        if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e)
            return mez_problem(pb, p, MEZ_EINVAL, 400, "mass.token_invalid", NULL,
                               "token file %s holds whitespace or non-ASCII characters inside the token", path);
    *token = apr_pstrmemdup(p, buf + start, end - start);
    return MEZ_OK;
}

/* ---------------------------------------------------------------- remote calls */

mez_status_t mez_mass_request_url(apr_pool_t *p, const char *base_url, const mez_mass_request_t *req,
                                  const char **url, mez_problem_t *pb)
{
    return mez_http_url_join(p, base_url, req->path, req->query, url, pb);
}

static long probe_timeout(const mez_mass_endpoint_t *ep)
{
    long t = ep->timeout_ms > 0 ? ep->timeout_ms : MEZ_MASS_DEFAULT_TIMEOUT_MS;
    if (ep->probe_timeout_ms > 0)
        return ep->probe_timeout_ms;
    return t < MEZ_MASS_PROBE_TIMEOUT_MS ? t : MEZ_MASS_PROBE_TIMEOUT_MS;
}

static void http_options(const mez_mass_endpoint_t *ep, long timeout_ms, int retries, mez_http_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = timeout_ms;
    o->connect_timeout_ms = timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS;
    o->ca_file = ep->ca_file;
    o->max_retries = retries;
}

/* "Authorization: Bearer ...", "Accept: ...", then the extra lines; NULL-terminated. */
static const char **base_headers(apr_pool_t *p, const mez_mass_endpoint_t *ep, int extra)
{
    const char **h = apr_pcalloc(p, sizeof(*h) * (size_t)(3 + extra));
    int n = 0;
    if (ep->token)
        h[n++] = apr_pstrcat(p, "Authorization: Bearer ", ep->token, NULL);
    h[n] = "Accept: application/json, application/problem+json";
    return h;
}

static void append_header(const char **h, const char *line)
{
    while (*h)
        h++;
    *h = line;
}

/* The remote answer as JSON (an object or array), or NULL. A 204 has no body and reads as {}. An answer with a
 * string holding a NUL (\u0000) is none either (*nul_at: where; *parsed: the document as read, owned by p): the
 * zone reads ids, states and amounts out of it as C strings, which would end at the NUL and name another record
 * than the Mass meant. */
static json_t *answer_json(apr_pool_t *p, int status, const char *body, apr_size_t len, const char **nul_at,
                           const json_t **parsed)
{
    json_t *v = NULL;
    *nul_at = NULL;
    *parsed = NULL;
    if (len == 0)
        return status == 204 ? json_object() : NULL;
    if (mez_json_parse_input(p, body, len, &v, NULL) != MEZ_OK || !(json_is_object(v) || json_is_array(v)))
        return NULL;
    if ((*nul_at = mez_json_find_nul(p, v, ""))) {
        *parsed = v;
        return NULL;
    }
    return json_incref(v);
}

/* A 4xx problem document v holding a NUL, as a refusal to pass on: its code and pointer when they are whole (no
 * NUL) and well formed, a detail saying what was left out; NULL when its code is not such (the answer is then no
 * answer, and the caller keeps what it would keep for one). */
static json_t *refusal_with_nul(apr_pool_t *p, const char *prim, const char *method, const char *url, int status,
                                const json_t *v, const char *nul_at)
{
    json_t *doc;
    const char *code, *pointer;
    if (!json_is_object(v) || !(code = mez_json_text(json_object_get(v, "code"))) || !mez_problem_code_ok(code))
        return NULL;
    doc = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", apr_pstrcat(p, "urn:mez:problem:", code, NULL), "title",
                    "Mass refused the request", "status", status, "code", code, "detail",
                    apr_psprintf(p, "Mass %s refused %s %s with HTTP %d (%s); its problem document's string at '%s' "
                                 "holds a NUL (\\u0000) and is not passed on", prim, method, url, status, code, nul_at));
    if (doc && (pointer = mez_json_text(json_object_get(v, "pointer"))) && (!*pointer || *pointer == '/'))
        json_object_set_new(doc, "pointer", json_string(pointer));
    return doc;
}

/* What a remote problem document says, for a detail that keeps it: " (code: detail)" or "". */
static const char *upstream_summary(apr_pool_t *p, const char *body, apr_size_t len)
{
    json_t *v = NULL, *code, *detail;
    if (!len || mez_json_parse_input(p, body, len, &v, NULL) != MEZ_OK || !json_is_object(v))
        return len ? " (not a JSON document)" : " (empty body)";
    code = json_object_get(v, "code");
    detail = json_object_get(v, "detail");
    if (!json_is_string(code))
        return "";
    return apr_psprintf(p, " (%s%s%s)", json_string_value(code), json_is_string(detail) ? ": " : "",
                        json_is_string(detail) ? json_string_value(detail) : "");
}

static mez_status_t upstream_error(apr_pool_t *p, mez_problem_t *pb, const char *prim, const char *method,
                                   const char *url, const char *why, int status, const char *summary)
{
    mez_problem(pb, p, MEZ_EIO, 502, "mass.upstream_error", NULL,
                "Mass %s answered %s %s with HTTP %d%s%s", prim, method, url, status, why, summary);
    if (pb)
        pb->title = "Bad Gateway";
    return MEZ_EIO;
}

static mez_status_t remote_call(apr_pool_t *p, mez_mass_primitive_t prim, const mez_mass_endpoint_t *ep,
                                const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb)
{
    const char *name = mez_mass_primitive_name(prim);
    int write = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
    const char *url, *body = NULL, *rbody = NULL, *key = req->idempotency_key, *nul_at = NULL;
    const json_t *parsed = NULL;
    const char **headers = base_headers(p, ep, 2);
    apr_size_t rlen = 0;
    mez_http_opts_t o;
    int status = 0;
    mez_status_t rv;
    json_t *doc;

    if ((rv = mez_mass_request_url(p, ep->base_url, req, &url, pb)) != MEZ_OK)
        return rv;
    /* A write always carries a key: the caller's, or one for this call alone, so that the endpoint recognises
     * our own retry of it (mez/http.h retries a POST only when it has one). */
    if (write && !key)
        key = mez_mass_new_id(p, "mez-");
    if (write && key)
        append_header(headers, apr_pstrcat(p, "Idempotency-Key: ", key, NULL));
    if (req->body) {
        body = mez_json_dump(p, req->body, 0);
        append_header(headers, "Content-Type: application/json");
    }
    http_options(ep, ep->timeout_ms > 0 ? ep->timeout_ms : MEZ_MASS_DEFAULT_TIMEOUT_MS, ep->max_retries, &o);
    rv = mez_http_request(p, &o, req->method, url, headers, body, body ? strlen(body) : 0, &status, &rbody, &rlen,
                          pb);
    if (rv != MEZ_OK) {
        resp->not_sent = pb && pb->code && !strcmp(pb->code, "http.not_connected");
        if (pb && pb->code && (resp->not_sent || !strcmp(pb->code, "http.unreachable")))
            return mez_problem(pb, p, MEZ_EIO, 503, "mass.unavailable", NULL, "Mass %s is unavailable: %s", name,
                               pb->detail);
        if (pb && pb->code && !strcmp(pb->code, "http.response_too_large")) {
            pb->code = "mass.upstream_error";
            pb->detail = apr_psprintf(p, "Mass %s: %s", name, pb->detail);
            pb->title = "Bad Gateway";
        }
        return rv;
    }
    if (status >= 500)
        return upstream_error(p, pb, name, req->method, url, "", status, upstream_summary(p, rbody, rlen));
    if (status < 200 || (status >= 300 && status < 400))
        return upstream_error(p, pb, name, req->method, url, ", which is not an answer to pass on", status, "");
    /* A refusal (4xx) whose problem document holds a NUL is still a refusal, with its code (an idempotency.*
     * refusal keeps the caller's intent, any other frees its key: orchestrate.c), its pointer where they are
     * whole and well formed; the rest of its document is not passed on. */
    if (!(doc = answer_json(p, status, rbody, rlen, &nul_at, &parsed)) && nul_at && status >= 400
        && (doc = refusal_with_nul(p, name, req->method, url, status, parsed, nul_at)) == NULL)
        return upstream_error(p, pb, name, req->method, url, apr_psprintf(p, ", a refusal whose code cannot be read "
                              "(a string at '%s' of its answer holds a NUL, \\u0000)", nul_at), status, "");
    if (!doc)
        return upstream_error(p, pb, name, req->method, url,
                              nul_at ? apr_psprintf(p, ", but a string at '%s' of its answer holds a NUL (\\u0000)",
                                                    nul_at)
                                     : ", but not with a JSON object or array", status, "");
    resp->status = status;
    resp->body = doc;
    return MEZ_OK;
}

/* ---------------------------------------------------------------- the gateway */

mez_status_t mez_mass_call(apr_pool_t *p, const mez_mass_t *mass, mez_db_t *db, const mez_mass_store_ctx_t *ctx,
                           const mez_mass_request_t *req, mez_mass_response_t *resp, mez_problem_t *pb)
{
    int prim;
    const mez_mass_endpoint_t *ep;

    resp->status = 0;
    resp->body = NULL;
    resp->not_sent = 0;
    resp->wrote = NULL;            /* a remote store audits its own writes */
    if (!req->method || !req->path)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "mass.invalid_request", NULL,
                           "a Mass request needs a method and a path");
    prim = mez_mass_primitive_of_path(req->path);
    if (prim < 0) {
        mez_problem_t nf = { 0 };
        mez_problem(&nf, p, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no Mass resource at %s",
                    req->path);
        resp->status = 404;
        resp->body = mez_problem_to_json(&nf);
        return MEZ_OK;
    }
    ep = mass ? &mass->endpoint[prim] : NULL;
    if (ep && ep->base_url)
        return remote_call(p, (mez_mass_primitive_t)prim, ep, req, resp, pb);
    if (!db || !ctx)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "mass.no_store", NULL,
                           "Mass %s is the zone's sovereign store, which needs the zone's database",
                           mez_mass_primitive_name((mez_mass_primitive_t)prim));
    return mez_mass_store_handle(p, db, ctx, req, resp, pb);
}

/* One probe of a remote primitive within timeout_ms; *no_answer is set when nothing answered at all (no
 * connection, or none within the time), which says the same of every primitive behind that base URL. */
static mez_status_t probe_remote(apr_pool_t *p, const mez_mass_endpoint_t *ep, mez_mass_primitive_t prim,
                                 long timeout_ms, const char **state, const char **detail, int *no_answer)
{
    const char *name = mez_mass_primitive_name(prim), *url, *body = NULL;
    mez_problem_t pb = { 0 };
    apr_size_t len = 0;
    mez_http_opts_t o;
    int status = 0;
    json_t *doc = NULL;

    *state = "unreachable";
    *no_answer = 0;
    if (mez_http_url_join(p, ep->base_url, apr_pstrcat(p, "/v1/", name, "/status", NULL), NULL, &url, &pb)
        != MEZ_OK) {
        *detail = pb.detail;
        return MEZ_EIO;
    }
    /* One short attempt: readiness must answer quickly, and a retry would only hide a flapping endpoint. */
    http_options(ep, timeout_ms, 0, &o);
    if (mez_http_request(p, &o, "GET", url, base_headers(p, ep, 0), NULL, 0, &status, &body, &len, &pb) != MEZ_OK) {
        *detail = pb.detail;
        *no_answer = 1;
        return MEZ_EIO;
    }
    if (status != 200) {
        *detail = apr_psprintf(p, "GET %s answered HTTP %d%s", url, status, upstream_summary(p, body, len));
        return MEZ_EIO;
    }
    if (mez_json_parse_input(p, body, len, &doc, NULL) != MEZ_OK || !json_is_object(doc)) {
        *detail = apr_psprintf(p, "GET %s answered HTTP 200 without a JSON object", url);
        return MEZ_EIO;
    }
    *state = "ok";
    *detail = apr_psprintf(p, "GET %s answered HTTP 200", url);
    return MEZ_OK;
}

mez_status_t mez_mass_probe(apr_pool_t *p, const mez_mass_t *mass, mez_mass_primitive_t prim, const char **state,
                            const char **detail)
{
    const mez_mass_endpoint_t *ep = mass && (unsigned)prim < MEZ_MASS_PRIMITIVE_COUNT ? &mass->endpoint[prim] : NULL;
    int no_answer;
    if (!ep || !ep->base_url) {
        *state = "ok";
        *detail = "served by the zone's sovereign store";
        return MEZ_OK;
    }
    return probe_remote(p, ep, prim, probe_timeout(ep), state, detail, &no_answer);
}

/* All five within one probe timeout (the largest of the endpoints'), not five: a load balancer's health check
 * gives up after a few seconds, and a zone whose one Mass accepts connections but never answers must read
 * "degraded" (still in rotation), not time out as if the zone were down. So each probe gets what is left of the
 * budget, and a base URL where nothing answered is not asked again for its other primitives (they share its
 * server); what the budget no longer covers is reported unreachable, saying so. */
int mez_mass_probe_all(apr_pool_t *p, const mez_mass_t *mass, const char **state, const char **detail)
{
    long budget = 0;
    apr_time_t deadline;
    int ok = 0;

    for (int i = 0; mass && i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        if (mass->endpoint[i].base_url && probe_timeout(&mass->endpoint[i]) > budget)
            budget = probe_timeout(&mass->endpoint[i]);
    deadline = apr_time_now() + apr_time_from_msec(budget);
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        const mez_mass_endpoint_t *ep = mass ? &mass->endpoint[i] : NULL;
        long left = (long)apr_time_as_msec(deadline - apr_time_now()), t;
        int j, no_answer = 0;
        if (!ep || !ep->base_url) {
            ok += mez_mass_probe(p, mass, (mez_mass_primitive_t)i, &state[i], &detail[i]) == MEZ_OK;
            continue;
        }
        for (j = 0; j < i; j++)
            if (mass->endpoint[j].base_url && !strcmp(mass->endpoint[j].base_url, ep->base_url)
                && !strcmp(state[j], "no_answer"))
                break;
        if (j < i) {
            state[i] = "unreachable";
            detail[i] = apr_psprintf(p, "not probed: %s, behind the same endpoint, did not answer (%s)",
                                     mez_mass_primitive_name((mez_mass_primitive_t)j), detail[j]);
            continue;
        }
        if (left <= 0) {
            state[i] = "unreachable";
            detail[i] = apr_psprintf(p, "not probed: the readiness probes' %ld ms were spent on the primitives "
                                     "before it", budget);
            continue;
        }
        t = probe_timeout(ep) < left ? probe_timeout(ep) : left;
        if (probe_remote(p, ep, (mez_mass_primitive_t)i, t, &state[i], &detail[i], &no_answer) == MEZ_OK)
            ok++;
        else if (no_answer)
            state[i] = "no_answer";     /* marked for the loop above; reported as unreachable below */
    }
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        if (!strcmp(state[i], "no_answer"))
            state[i] = "unreachable";
    return ok;
}
