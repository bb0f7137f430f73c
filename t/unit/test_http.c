/* test_http.c: CUnit suite for the outbound HTTP wrapper and the Mass gateway's decisions that need no
 * server: which requests may be retried and when, back-off, URL building and its refusals, token files, and
 * what the gateway answers before (or instead of) sending anything. The only socket used is a loopback port
 * nobody listens on, to see a refused connection become "unreachable"; t/test_mass_client.py covers real
 * answers between two zones. */
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <apr_strings.h>
#include "mez/http.h"
#include "mez/mass.h"
#include "unit.h"

static const char *const no_headers[] = { NULL };
static const char *const with_key[] = { "Accept: application/json", "Idempotency-Key: k-1", NULL };
static const char *const with_key_lower[] = { "idempotency-key:   abc", NULL };
static const char *const empty_key[] = { "Idempotency-Key:", NULL };
static const char *const similar_name[] = { "Idempotency-Keys: abc", "X-Idempotency-Key: abc", NULL };

static void test_idempotent_methods(void)
{
    CU_ASSERT_TRUE(mez_http_idempotent("GET", NULL));
    CU_ASSERT_TRUE(mez_http_idempotent("HEAD", no_headers));
    CU_ASSERT_TRUE(mez_http_idempotent("PUT", no_headers));
    CU_ASSERT_TRUE(mez_http_idempotent("DELETE", no_headers));
    /* A POST creates or pays: only a key lets the server recognise the repeat. */
    CU_ASSERT_FALSE(mez_http_idempotent("POST", NULL));
    CU_ASSERT_FALSE(mez_http_idempotent("POST", no_headers));
    CU_ASSERT_TRUE(mez_http_idempotent("POST", with_key));
    CU_ASSERT_TRUE(mez_http_idempotent("POST", with_key_lower));
    CU_ASSERT_FALSE(mez_http_idempotent("POST", empty_key));
    CU_ASSERT_FALSE(mez_http_idempotent("POST", similar_name));
    CU_ASSERT_FALSE(mez_http_idempotent("PATCH", with_key));
    CU_ASSERT_FALSE(mez_http_idempotent("get", NULL));
    CU_ASSERT_FALSE(mez_http_idempotent(NULL, NULL));
}

static void test_retry_decisions(void)
{
    /* transient failures of safe requests, within the budget */
    CU_ASSERT_TRUE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, 1, 2));
    CU_ASSERT_TRUE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, 2, 2));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, 3, 2));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, 1, 0));
    CU_ASSERT_TRUE(mez_http_should_retry("PUT", NULL, MEZ_HTTP_TRANSIENT, 0, 1, 1));
    /* the budget is capped whatever the caller asks */
    CU_ASSERT_TRUE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, MEZ_HTTP_MAX_RETRIES, 100));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_TRANSIENT, 0, MEZ_HTTP_MAX_RETRIES + 1, 100));
    /* a POST: never without a key (defect 9: duplicate payments), with one like any safe request */
    CU_ASSERT_FALSE(mez_http_should_retry("POST", NULL, MEZ_HTTP_TRANSIENT, 0, 1, 3));
    CU_ASSERT_FALSE(mez_http_should_retry("POST", NULL, MEZ_HTTP_ANSWERED, 503, 1, 3));
    CU_ASSERT_TRUE(mez_http_should_retry("POST", with_key, MEZ_HTTP_TRANSIENT, 0, 1, 3));
    CU_ASSERT_TRUE(mez_http_should_retry("POST", with_key, MEZ_HTTP_ANSWERED, 503, 1, 3));
    /* answers: only "not now" ones */
    CU_ASSERT_TRUE(mez_http_should_retry("GET", NULL, MEZ_HTTP_ANSWERED, 502, 1, 3));
    CU_ASSERT_TRUE(mez_http_should_retry("GET", NULL, MEZ_HTTP_ANSWERED, 504, 1, 3));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_ANSWERED, 500, 1, 3));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_ANSWERED, 404, 1, 3));
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_ANSWERED, 200, 1, 3));
    /* failures that another attempt cannot mend (TLS verification, oversized answers) */
    CU_ASSERT_FALSE(mez_http_should_retry("GET", NULL, MEZ_HTTP_PERMANENT, 0, 1, 3));
}

static void test_backoff(void)
{
    CU_ASSERT_EQUAL(mez_http_backoff_ms(0, 1), MEZ_HTTP_DEFAULT_BACKOFF_MS);
    CU_ASSERT_EQUAL(mez_http_backoff_ms(0, 2), 2 * MEZ_HTTP_DEFAULT_BACKOFF_MS);
    CU_ASSERT_EQUAL(mez_http_backoff_ms(100, 1), 100);
    CU_ASSERT_EQUAL(mez_http_backoff_ms(100, 3), 400);
}

static const char *join(const char *base, const char *path, const char *query)
{
    mez_problem_t pb = { 0 };
    const char *url = NULL;
    if (mez_http_url_join(unit_pool(), base, path, query, &url, &pb) != MEZ_OK) {
        CU_ASSERT_STRING_EQUAL(pb.code, "http.invalid_url");
        CU_ASSERT_EQUAL(pb.status, 400);
        CU_ASSERT_PTR_NOT_NULL(pb.detail);
        return NULL;
    }
    return url;
}

static void test_url_join(void)
{
    const char *u;
    CU_ASSERT_STRING_EQUAL(join("https://mass.example/mass", "/v1/entities", NULL),
                           "https://mass.example/mass/v1/entities");
    CU_ASSERT_STRING_EQUAL(join("https://mass.example/mass//", "/v1/entities", ""),
                           "https://mass.example/mass/v1/entities");
    CU_ASSERT_STRING_EQUAL(join("http://127.0.0.1:8080", "/v1/fiscal/payments", "account_id=acc_1&limit=5"),
                           "http://127.0.0.1:8080/v1/fiscal/payments?account_id=acc_1&limit=5");
    CU_ASSERT_STRING_EQUAL(join("HTTPS://Mass.Example", "/v1/entities/..x", NULL),
                           "HTTPS://Mass.Example/v1/entities/..x");
    /* bases */
    CU_ASSERT_PTR_NULL(join("ftp://mass.example", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("mass.example/mass", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://user:secret@mass.example", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example/mass?x=1", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example/mass#top", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example/ma ss", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("", "/v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join(NULL, "/v1/entities", NULL));
    /* paths and queries */
    CU_ASSERT_PTR_NULL(join("https://mass.example", "v1/entities", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/../admin", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities/..", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities?x=1", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities#x", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/ent ities", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities\r\nX-Evil: 1", NULL));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities", "a=1#frag"));
    CU_ASSERT_PTR_NULL(join("https://mass.example", "/v1/entities", "a=1 2"));
    CU_ASSERT_PTR_NULL(join("https://mass.example", NULL, NULL));
    u = join("https://mass.example", "/v1/entities", NULL);
    CU_ASSERT_PTR_NOT_NULL(u);
}

static void test_base_check_host(void)
{
    mez_problem_t pb = { 0 };
    const char *host = NULL;
    CU_ASSERT_EQUAL(mez_http_base_check(unit_pool(), "http://127.0.0.1:8081/mass", &host, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1:8081");
    CU_ASSERT_EQUAL(mez_http_base_check(unit_pool(), "https://mass.example", &host, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(host, "mass.example");
}

/* What production mode lets a Mass token travel over: the rule httpd's start-up and deploy's pre-flight share. */
static void test_token_transport(void)
{
    apr_pool_t *p = unit_pool();
    CU_ASSERT_TRUE(mez_http_token_transport_ok(p, "https://mass.example/api"));
    CU_ASSERT_TRUE(mez_http_token_transport_ok(p, "HTTPS://mass.example"));
    CU_ASSERT_TRUE(mez_http_token_transport_ok(p, "http://127.0.0.1:8081/mass"));
    CU_ASSERT_TRUE(mez_http_token_transport_ok(p, "http://[::1]:8081"));
    CU_ASSERT_TRUE(mez_http_token_transport_ok(p, "http://LocalHost:8081"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, "http://mass.example"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, "http://127.0.0.2:8081"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, "http://localhost.attacker.example"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, "ftp://127.0.0.1"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, "sovereign"));
    CU_ASSERT_FALSE(mez_http_token_transport_ok(p, NULL));
}

static void test_mass_request_url(void)
{
    mez_problem_t pb = { 0 };
    mez_mass_request_t req = { "GET", "/v1/entities/ent_1", "include=officers", NULL, NULL };
    const char *url = NULL;
    CU_ASSERT_EQUAL(mez_mass_request_url(unit_pool(), "https://b.example/mass/", &req, &url, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(url, "https://b.example/mass/v1/entities/ent_1?include=officers");
}

static const char *token_file(const char *content, mode_t mode)
{
    const char *path = apr_pstrcat(unit_pool(), unit_tmpdir(), "/token", NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
    CU_ASSERT_FATAL(chmod(path, mode) == 0);
    return path;
}

static const char *token_code(const char *content, mode_t mode, const char **token)
{
    mez_problem_t pb = { 0 };
    *token = NULL;
    if (mez_mass_token_load(unit_pool(), token_file(content, mode), token, &pb) == MEZ_OK)
        return "ok";
    CU_ASSERT_PTR_NULL(*token);
    return pb.code;
}

static void test_token_files(void)
{
    mez_problem_t pb = { 0 };
    const char *t;
    CU_ASSERT_STRING_EQUAL(token_code("  mez_abc123-XYZ\n", 0600, &t), "ok");
    CU_ASSERT_STRING_EQUAL(t, "mez_abc123-XYZ");
    CU_ASSERT_STRING_EQUAL(token_code("mez_abc", 0400, &t), "ok");
    CU_ASSERT_STRING_EQUAL(token_code("mez_abc\n", 0640, &t), "mass.token_insecure_permissions");
    CU_ASSERT_STRING_EQUAL(token_code("mez_abc\n", 0604, &t), "mass.token_insecure_permissions");
    CU_ASSERT_STRING_EQUAL(token_code("mez_abc\n", 0620, &t), "mass.token_insecure_permissions");
    CU_ASSERT_STRING_EQUAL(token_code(" \n\n", 0600, &t), "mass.token_invalid");
    CU_ASSERT_STRING_EQUAL(token_code("two words\n", 0600, &t), "mass.token_invalid");
    CU_ASSERT_STRING_EQUAL(token_code("line\nbreak\n", 0600, &t), "mass.token_invalid");
    CU_ASSERT_STRING_EQUAL(token_code("caf\xc3\xa9", 0600, &t), "mass.token_invalid");
    CU_ASSERT_EQUAL(mez_mass_token_load(unit_pool(), "/nonexistent/mez-token", &t, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "mass.token_unreadable");
}

static mez_mass_t *all_remote(const char *base)
{
    mez_mass_t *m = apr_pcalloc(unit_pool(), sizeof(*m));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        m->endpoint[i].base_url = base;
        m->endpoint[i].token = "t0ken";
        m->endpoint[i].timeout_ms = 2000;
    }
    return m;
}

static void test_gateway_without_sending(void)
{
    mez_mass_request_t req = { "GET", "/v2/nothing", NULL, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    mez_mass_t *m = all_remote("https://mass.invalid");

    /* no primitive: answered 404 here, as the store would, without a request going out */
    CU_ASSERT_EQUAL(mez_mass_call(unit_pool(), m, NULL, NULL, &req, &resp, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(resp.status, 404);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(resp.body, "code")), "request.not_found");
    json_decref(resp.body);
    /* a path that cannot be sent */
    req.path = "/v1/entities/a b";
    CU_ASSERT_EQUAL(mez_mass_call(unit_pool(), m, NULL, NULL, &req, &resp, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "http.invalid_url");
    CU_ASSERT_PTR_NULL(resp.body);
    /* sovereign without a database */
    req.path = "/v1/entities";
    CU_ASSERT_EQUAL(mez_mass_call(unit_pool(), NULL, NULL, NULL, &req, &resp, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "mass.no_store");
    /* a sovereign primitive is ready by definition (the database is readiness's own check) */
    {
        const char *state, *detail;
        CU_ASSERT_EQUAL(mez_mass_probe(unit_pool(), NULL, MEZ_MASS_FISCAL, &state, &detail), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(state, "ok");
    }
}

/* A loopback port with no listener: bound, then closed. */
static int closed_port(void)
{
    struct sockaddr_in a = { 0 };
    socklen_t n = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&a, &n) == 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void test_refused_connection(void)
{
    mez_problem_t pb = { 0 };
    const char *base = apr_psprintf(unit_pool(), "http://127.0.0.1:%d/mass", closed_port());
    const char *body = NULL, *state = NULL, *detail = NULL;
    mez_http_opts_t o = { 1000, 2000, NULL, 0, 1, 10 };
    mez_mass_request_t req = { "POST", "/v1/fiscal/payments", NULL, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    apr_size_t len = 0;
    int status = -1;
    json_t *doc = json_pack("{s:s}", "amount", "10.00");

    CU_ASSERT_EQUAL_FATAL(mez_http_global_init(unit_pool(), &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_http_request(unit_pool(), &o, "GET", apr_pstrcat(unit_pool(), base, "/v1/x", NULL), NULL,
                                     NULL, 0, &status, &body, &len, &pb), MEZ_EIO);
    CU_ASSERT_EQUAL(pb.status, 503);
    CU_ASSERT_STRING_EQUAL(pb.code, "http.not_connected");     /* refused: nothing of the request was sent */
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "127.0.0.1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "after 2 attempts"));   /* one retry allowed for a GET */
    CU_ASSERT_EQUAL(status, 0);
    CU_ASSERT_PTR_NULL(body);
    CU_ASSERT_EQUAL(mez_http_request(unit_pool(), &o, "POST", apr_pstrcat(unit_pool(), base, "/v1/x", NULL), NULL,
                                     "{}", 2, &status, &body, &len, &pb), MEZ_EIO);
    CU_ASSERT_PTR_NULL(strstr(pb.detail, "attempts"));                /* a keyless POST: one attempt only */
    CU_ASSERT_EQUAL(mez_http_request(unit_pool(), &o, "get", base, NULL, NULL, 0, &status, &body, &len, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "http.invalid_method");

    /* the gateway names the primitive, and the readiness probe says unreachable */
    req.body = doc;
    CU_ASSERT_EQUAL(mez_mass_call(unit_pool(), all_remote(base), NULL, NULL, &req, &resp, &pb), MEZ_EIO);
    CU_ASSERT_EQUAL(pb.status, 503);
    CU_ASSERT_STRING_EQUAL(pb.code, "mass.unavailable");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, "fiscal"));
    CU_ASSERT_PTR_NULL(resp.body);
    CU_ASSERT_EQUAL(resp.not_sent, 1);      /* the caller knows its write was not made */
    CU_ASSERT_EQUAL(mez_mass_probe(unit_pool(), all_remote(base), MEZ_MASS_ENTITIES, &state, &detail), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(state, "unreachable");
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "127.0.0.1:"));
    json_decref(doc);
}

/* A loopback port that takes connections (the kernel completes them from the backlog) and never answers: a
 * Mass that hangs. The caller closes fd. */
static int silent_port(int *fd)
{
    struct sockaddr_in a = { 0 };
    socklen_t n = sizeof(a);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(*fd >= 0 && bind(*fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(*fd, 16) == 0);
    CU_ASSERT_FATAL(getsockname(*fd, (struct sockaddr *)&a, &n) == 0);
    return ntohs(a.sin_port);
}

/* Readiness of five primitives behind Mass endpoints that never answer takes one probe timeout, not five: one
 * endpoint is asked once, and distinct ones share what is left of the time. */
static void test_probe_all_is_bounded(void)
{
    const char *state[MEZ_MASS_PRIMITIVE_COUNT], *detail[MEZ_MASS_PRIMITIVE_COUNT];
    mez_problem_t pb = { 0 };
    int fds[MEZ_MASS_PRIMITIVE_COUNT];
    mez_mass_t *m;
    apr_time_t t0;

    CU_ASSERT_EQUAL_FATAL(mez_http_global_init(unit_pool(), &pb), MEZ_OK);
    m = all_remote(apr_psprintf(unit_pool(), "http://127.0.0.1:%d/mass", silent_port(&fds[0])));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        m->endpoint[i].probe_timeout_ms = 400;
    m->endpoint[MEZ_MASS_CONSENT].base_url = NULL;                    /* one sovereign primitive */
    t0 = apr_time_now();
    CU_ASSERT_EQUAL(mez_mass_probe_all(unit_pool(), m, state, detail), 1);
    CU_ASSERT_TRUE(apr_time_as_msec(apr_time_now() - t0) < 1000);
    CU_ASSERT_STRING_EQUAL(state[MEZ_MASS_CONSENT], "ok");
    CU_ASSERT_STRING_EQUAL(state[MEZ_MASS_ENTITIES], "unreachable");
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        if (i != MEZ_MASS_CONSENT && i != MEZ_MASS_ENTITIES) {
            CU_ASSERT_STRING_EQUAL(state[i], "unreachable");
            CU_ASSERT_PTR_NOT_NULL(strstr(detail[i], "did not answer"));
        }
    close(fds[0]);

    /* five endpoints, each silent: the first takes the time, the others are not probed past it */
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        m->endpoint[i].base_url = apr_psprintf(unit_pool(), "http://127.0.0.1:%d/mass", silent_port(&fds[i]));
        m->endpoint[i].probe_timeout_ms = 300;
    }
    t0 = apr_time_now();
    CU_ASSERT_EQUAL(mez_mass_probe_all(unit_pool(), m, state, detail), 0);
    CU_ASSERT_TRUE(apr_time_as_msec(apr_time_now() - t0) < 900);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail[MEZ_MASS_PRIMITIVE_COUNT - 1], "not probed"));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        CU_ASSERT_STRING_EQUAL(state[i], "unreachable");
        close(fds[i]);
    }
    /* all sovereign: ready at once */
    CU_ASSERT_EQUAL(mez_mass_probe_all(unit_pool(), NULL, state, detail), MEZ_MASS_PRIMITIVE_COUNT);
}

/* A listener that never answers: the connection is made (the kernel accepts it into the backlog) and the request
 * sent, then the attempt times out. The request may have reached the server, so this is not "not connected". */
static void test_silent_server_may_have_the_request(void)
{
    mez_problem_t pb = { 0 };
    int fd, status = 0;
    mez_http_opts_t o = { 1000, 300, NULL, 0, 0, 10 };
    mez_mass_request_t req = { "POST", "/v1/fiscal/payments", NULL, NULL, "k-1" };
    mez_mass_response_t resp = { 0 };
    const char *body = NULL, *base;
    apr_size_t len = 0;
    base = apr_psprintf(unit_pool(), "http://127.0.0.1:%d/mass", silent_port(&fd));
    CU_ASSERT_EQUAL(mez_http_request(unit_pool(), &o, "POST", apr_pstrcat(unit_pool(), base, "/v1/x", NULL), NULL,
                                     "{}", 2, &status, &body, &len, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "http.unreachable");
    {
        mez_mass_t m = { 0 };
        m.endpoint[MEZ_MASS_FISCAL].base_url = base;
        m.endpoint[MEZ_MASS_FISCAL].timeout_ms = 300;
        CU_ASSERT_EQUAL(mez_mass_call(unit_pool(), &m, NULL, NULL, &req, &resp, &pb), MEZ_EIO);
        CU_ASSERT_STRING_EQUAL(pb.code, "mass.unavailable");
        CU_ASSERT_EQUAL(resp.not_sent, 0);
    }
    close(fd);
}

void unit_register_http(void)
{
    CU_pSuite s = unit_suite("http client and Mass gateway");
    CU_add_test(s, "idempotent requests", test_idempotent_methods);
    CU_add_test(s, "retry decisions", test_retry_decisions);
    CU_add_test(s, "back-off", test_backoff);
    CU_add_test(s, "URL building and refusals", test_url_join);
    CU_add_test(s, "base URL host", test_base_check_host);
    CU_add_test(s, "production's token transport", test_token_transport);
    CU_add_test(s, "Mass request URL", test_mass_request_url);
    CU_add_test(s, "token files", test_token_files);
    CU_add_test(s, "gateway answers without sending", test_gateway_without_sending);
    CU_add_test(s, "refused connection", test_refused_connection);
    CU_add_test(s, "readiness of all primitives is bounded", test_probe_all_is_bounded);
    CU_add_test(s, "a silent server may have the request", test_silent_server_may_have_the_request);
}
