/* mez/http.h: the one way mez calls another server (Mass endpoints, peer zones, national adapters).
 *
 * Every outbound HTTP request goes through mez_http_request, a thin libcurl wrapper with the behaviour a
 * server module needs and nothing else:
 *  - connect and total timeouts (defaults 5 s and 30 s), CURLOPT_NOSIGNAL (threads must not get SIGALRM);
 *  - http and https only, redirects are not followed (a bearer token must not travel to another host);
 *  - TLS peer and host verification always on; a CA file can replace the system store, but there is no way
 *    to switch verification off, in any mode;
 *  - the response body is read into memory up to a limit (default 8 MiB) and refused beyond it;
 *  - bounded retries with exponential back-off, ONLY for requests that may safely be sent twice:
 *    GET, HEAD, PUT, and a POST that carries an Idempotency-Key header (the server answers a repeat with the
 *    first answer). A POST without a key is never retried: the reference client retried payments and
 *    organisation creation after timeouts and could execute them twice (api-and-mass.md §7 defect 9).
 *    Only transient failures are retried: connection refused/reset, timeouts, and 502/503/504 answers.
 * curl_global_init is not thread-safe: mez_http_global_init runs it once in the parent process (mod_mez's
 * post_config, the CLI's main); requests never call it. */
#ifndef MEZ_HTTP_H
#define MEZ_HTTP_H

#include <apr_pools.h>
#include "mez/problem.h"

#define MEZ_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define MEZ_HTTP_DEFAULT_TIMEOUT_MS         30000L
#define MEZ_HTTP_DEFAULT_MAX_RESPONSE       ((apr_size_t)8 * 1024 * 1024)
#define MEZ_HTTP_DEFAULT_BACKOFF_MS         200L
#define MEZ_HTTP_MAX_RETRIES                3     /* whatever the options say: 4 attempts at most */

typedef struct mez_http_opts_t {
    long connect_timeout_ms;     /* 0: MEZ_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;             /* the whole of one attempt; 0: MEZ_HTTP_DEFAULT_TIMEOUT_MS */
    const char *ca_file;         /* PEM bundle of trusted CAs for https; NULL: the system store */
    apr_size_t max_response;     /* largest body accepted; 0: MEZ_HTTP_DEFAULT_MAX_RESPONSE */
    int max_retries;             /* further attempts after a transient failure (capped); 0: none */
    long backoff_ms;             /* wait before the first retry, doubled each time; 0: the default */
} mez_http_opts_t;

/* Runs curl_global_init once for this configuration cycle and registers the matching cleanup on pconf.
 * Call it in the parent before threads or children exist. */
mez_status_t mez_http_global_init(apr_pool_t *pconf, mez_problem_t *pb);

/* One request. headers: NULL-terminated "Name: value" lines (or NULL); body/len: the request body (NULL/0
 * for none). On MEZ_OK the server answered: *status is its HTTP status (any, including 4xx/5xx) and
 * *resp_body its body in p, NUL-terminated (*resp_len bytes without the NUL).
 * Failures: MEZ_EINVAL 400 "http.invalid_url" (not an absolute http(s) URL); MEZ_EIO 503 "http.unreachable"
 * naming the host and curl's error (no answer at all, after the retries allowed: the request may have reached
 * the server), or 503 "http.not_connected" when no attempt got a connection (nothing of it was sent); MEZ_EIO 502
 * "http.response_too_large". */
mez_status_t mez_http_request(apr_pool_t *p, const mez_http_opts_t *opts, const char *method, const char *url,
                              const char *const *headers, const char *body, apr_size_t len, int *status,
                              const char **resp_body, apr_size_t *resp_len, mez_problem_t *pb);

/* ---- the policy decisions, separate so that they can be tested without a network */

/* 1 when sending this request twice has the effect of sending it once: GET, HEAD, PUT, DELETE... only the
 * methods HTTP defines as idempotent, plus POST with a non-empty Idempotency-Key header (case-insensitive). */
int mez_http_idempotent(const char *method, const char *const *headers);

/* How an attempt ended, for the retry decision. */
typedef enum {
    MEZ_HTTP_ANSWERED = 0,       /* an HTTP status came back */
    MEZ_HTTP_TRANSIENT,          /* no answer, and another attempt may get one: refused, reset, timed out */
    MEZ_HTTP_PERMANENT           /* no answer, and none will come: bad URL, TLS verification, too large */
} mez_http_outcome_t;

/* 1 when attempt number `attempt` (1 = the first) should be followed by another. */
int mez_http_should_retry(const char *method, const char *const *headers, mez_http_outcome_t outcome, int status,
                          int attempt, int max_retries);

/* The wait before retry number `retry` (1 = the first): backoff_ms doubled per retry. */
long mez_http_backoff_ms(long backoff_ms, int retry);

/* base (absolute http(s) URL, no query or fragment, no user:password; trailing '/' ignored) + path (starting
 * with '/', no '?', '#', "..", whitespace or control characters) + '?' + query (when not NULL or empty; no
 * '#', whitespace or control characters). MEZ_EINVAL 400 "http.invalid_url" naming what is wrong. */
mez_status_t mez_http_url_join(apr_pool_t *p, const char *base, const char *path, const char *query,
                               const char **url, mez_problem_t *pb);

/* Checks a configured base URL (the rules of mez_http_url_join's base); *host gets its host[:port]. */
mez_status_t mez_http_base_check(apr_pool_t *p, const char *base, const char **host, mez_problem_t *pb);

/* 1 when production mode lets a bearer token go to url: https, or plain http to a loopback host (127.0.0.1, ::1,
 * localhost), where nothing crosses a network. mod_mez refuses to start a production zone whose Mass endpoint
 * fails this, and `mez deploy` refuses it before its probe would send the token there. */
int mez_http_token_transport_ok(apr_pool_t *p, const char *url);

#endif
