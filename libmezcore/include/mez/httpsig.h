/* mez/httpsig.h: HTTP Message Signatures (RFC 9421, Ed25519 only) and Content-Digest (RFC 9530) for the
 * zone-to-zone protocol. Portable: the caller (mod_mez, the corridor client) copies the request into
 * mez_httpsig_request_t; nothing here touches a socket, httpd or the database. The nonce and keyid of a verified
 * signature are handed back so the caller can keep its replay cache.
 *
 * Every refusal is a mez_problem with a stable code: 400 for headers that cannot be parsed
 * ("httpsig.malformed", "digest.malformed") or that use component parameters / derived components mez does not
 * implement ("httpsig.unsupported_component"), 401 for everything that means "not proven to come from the peer"
 * ("httpsig.missing", "httpsig.bad_signature", "httpsig.stale", "httpsig.not_covered", "httpsig.unknown_algorithm",
 * "httpsig.component_missing", "httpsig.wrong_authority", "digest.mismatch", "digest.unknown_algorithm",
 * "digest.missing"). */
#ifndef MEZ_HTTPSIG_H
#define MEZ_HTTPSIG_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_time.h>
#include "mez/problem.h"
#include "mez/key.h"

/* The only algorithm mez signs with, written as in the IANA HTTP Signature Algorithms registry. */
#define MEZ_HTTPSIG_ALG "ed25519"

/* One header field line. name is lower case; a field that occurs several times is given several times, in
 * order, and its values are joined with ", " as RFC 9421 §2.1 requires. */
typedef struct mez_httpsig_field_t {
    const char *name;
    const char *value;
} mez_httpsig_field_t;

/* The request as the signer addressed it / the receiver got it. Derived components come from these:
 * @method (method), @target-uri (target_uri), @authority (authority, lower-cased), @scheme (scheme, lower-cased),
 * @request-target (path + query), @path (path; "" becomes "/"), @query (query with its leading "?"; NULL or ""
 * becomes "?"). A covered derived component whose source is NULL is refused ("httpsig.component_missing"). */
typedef struct mez_httpsig_request_t {
    const char *method;
    const char *target_uri;
    const char *scheme;
    const char *authority;
    const char *path;
    const char *query;
    const mez_httpsig_field_t *fields;
    size_t nfields;
} mez_httpsig_request_t;

/* Signature parameters (RFC 9421 §2.3). components are component identifiers without parameters, in the order
 * they are covered ("@method", "content-digest", ...). Parameters are serialised in the order created, expires,
 * nonce, alg, keyid, tag; a NULL string or a has_* of 0 leaves the parameter out. */
typedef struct mez_httpsig_params_t {
    const char *const *components;
    size_t ncomponents;
    int has_created;
    long long created;
    int has_expires;
    long long expires;
    const char *nonce;
    const char *alg;
    const char *keyid;
    const char *tag;
} mez_httpsig_params_t;

/* ------------------------------------------------------------------ Content-Digest (RFC 9530) */

/* "sha-256=:<base64 of SHA-256(body)>:" */
const char *mez_content_digest(apr_pool_t *p, const void *body, size_t len);

/* Checks a received Content-Digest field value against body. Every sha-256 / sha-512 member must match
 * ("digest.mismatch"); members with other algorithms are ignored, but at least one known one must be present
 * ("digest.unknown_algorithm"). A value that is not a dictionary of byte sequences is "digest.malformed". */
mez_status_t mez_content_digest_verify(apr_pool_t *p, const char *field_value, const void *body, size_t len,
                                       mez_problem_t *pb);

/* ------------------------------------------------------------------ RFC 9421 */

/* The signature base (§2.5): one line per covered component, then the "@signature-params" line, lines joined
 * with "\n" and no trailing newline. Refuses components that are absent, duplicated or that carry values with
 * CR/LF or non-ASCII bytes. */
mez_status_t mez_httpsig_base(apr_pool_t *p, const mez_httpsig_request_t *req, const mez_httpsig_params_t *params,
                              const char **base, mez_problem_t *pb);

/* The inner list of §2.3, e.g. ("@method" "@path");created=1618884473;keyid="k". */
mez_status_t mez_httpsig_params_serialize(apr_pool_t *p, const mez_httpsig_params_t *params, const char **out,
                                          mez_problem_t *pb);

/* Signs with key (Ed25519) and returns the field values to send: Signature-Input "<label>=<inner list>" and
 * Signature "<label>=:<base64>:". label is an sf-key (lower case, e.g. "mez"). */
mez_status_t mez_httpsig_sign(apr_pool_t *p, const mez_key_t *key, const char *label,
                              const mez_httpsig_request_t *req, const mez_httpsig_params_t *params,
                              const char **signature_input, const char **signature, mez_problem_t *pb);

/* What the receiver requires. */
typedef struct mez_httpsig_policy_t {
    const char *label;     /* the signature to check; NULL: the dictionaries must hold exactly one */
    long long now;         /* seconds since the epoch */
    long long skew;        /* created must lie in [now - skew, now + skew] */
    /* When has_body is set the request has a body: content-digest must be covered and must match it. */
    int has_body;
    const void *body;
    size_t body_len;
    /* The receiver's own names as its peers address it (host or host:port, mez_httpsig_authority_valid). When
     * there are any, the signature must cover @authority (or @target-uri) and the request's authority must be
     * one of them, a port that is the scheme's default (80, 443) being the same as none: a request signed for
     * another zone and replayed to this one is refused ("httpsig.wrong_authority", pointer "/headers/host")
     * even when that other zone trusts the same peer. Checked after the signature, so only a peer learns the
     * names. None: the authority is whatever the request was sent to (the signature still binds it when
     * covered). */
    const char *const *authorities;
    size_t nauthorities;
} mez_httpsig_policy_t;

/* 1 if s is an authority a receiver may name itself by: a host (a DNS name, an IPv4 address or a bracketed IPv6
 * address) with an optional port 1-65535; no scheme, user or path. */
int mez_httpsig_authority_valid(const char *s);
/* What mez_httpsig_authority_valid accepts, in the words every refusal of one uses (the directive, the
 * provisioning request, deploy's option). */
#define MEZ_HTTPSIG_AUTHORITY_SYNTAX \
    "host[:port] (a name, an IPv4 address or a bracketed IPv6 address, and a port 1-65535; no scheme or path)"

/* 1 if two authorities name the same host and port for scheme: compared without case, a port that is the
 * scheme's default (http 80, https 443) the same as none. */
int mez_httpsig_authority_same(const char *scheme, const char *a, const char *b);

/* What a verified signature said; strings live in the pool. nonce and keyid are NULL when absent. */
typedef struct mez_httpsig_verified_t {
    const char *label;
    const char *keyid;
    const char *nonce;
    const char *tag;
    long long created;
    int has_expires;
    long long expires;
    /* The verified signature's own bytes (64 for Ed25519): what identifies this signed request however the
     * Signature field around it is written (other members, parameters, spaces), since canonical base64 and
     * Ed25519's strict verification leave them no variant. */
    const unsigned char *signature;
    size_t signature_len;
    int covers_content_digest;      /* 1 when the Content-Digest field is bound by the signature */
} mez_httpsig_verified_t;

/* Verifies the request's Signature-Input and Signature fields (taken from req->fields) with the peer's public
 * key: strict parse, alg (if given) must be ed25519, @method, @path and created must be covered (and
 * content-digest when the policy says there is a body, and @query, @request-target or @target-uri when the request
 * has a query), created within the window, expires not passed, the Ed25519 signature over the rebuilt base, then
 * the body against Content-Digest (whenever content-digest is covered: against the empty body if has_body is 0).
 * On success fills out; the caller then checks keyid against the peer's DID and records nonce in its replay cache.
 * On 401 "httpsig.wrong_authority" out is filled as well: the signature verified, for another zone's name.
 * Problem pointers name the field: "/headers/signature-input", "/headers/signature", "/headers/content-digest". */
mez_status_t mez_httpsig_verify(apr_pool_t *p, const mez_key_t *peer, const mez_httpsig_request_t *req,
                                const mez_httpsig_policy_t *policy, mez_httpsig_verified_t *out,
                                mez_problem_t *pb);

/* ------------------------------------------------------------------ requests to peers */

/* Signs a request as a receiving zone requires (mod_mez_peer.c): covered @method, @authority, @path (and @query
 * when the URL has one) and content-digest when body is not NULL; created = now, a fresh random nonce, alg
 * ed25519, keyid = the key's did:key verification method, label "mez". *headers gets the NULL-terminated header
 * lines to send ("Content-Digest: ..." when there is a body, "Signature-Input: ...", "Signature: ..."). */
mez_status_t mez_httpsig_sign_request(apr_pool_t *p, const mez_key_t *key, const char *method, const char *url,
                                      const void *body, size_t len, apr_time_t now, const char ***headers,
                                      mez_problem_t *pb);

struct mez_http_opts_t;
/* Sends a signed request with a JSON body (json_body NULL: none) through mez_http_request. Retries (up to
 * opts->max_retries) only transient failures, and signs every attempt afresh so the peer's replay cache never
 * refuses a retry; the caller must only retry what is safe to repeat (every zone-to-zone write is: receivers
 * answer a repeat as a repeat). Results and problems as mez_http_request. */
mez_status_t mez_httpsig_call(apr_pool_t *p, const struct mez_http_opts_t *opts, const mez_key_t *key,
                              const char *method, const char *url, const char *json_body, int *status,
                              const char **resp_body, apr_size_t *resp_len, mez_problem_t *pb);

#endif
