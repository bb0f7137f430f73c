/* mez/digest.h: SHA-256 digests written "sha256:<64 lowercase hex>", compared in constant time. */
#ifndef MEZ_DIGEST_H
#define MEZ_DIGEST_H

#include <stddef.h>
#include <apr_pools.h>
#include <jansson.h>
#include "mez/problem.h"

#define MEZ_DIGEST_LEN 32

typedef struct mez_digest_t {
    unsigned char bytes[MEZ_DIGEST_LEN];
} mez_digest_t;

void mez_digest_sha256(const void *data, size_t len, mez_digest_t *out);

/* Fetches OpenSSL's SHA-256 once, for mez_digest_sha256 to use from then on: without it, every call looks the
 * algorithm up in the provider store again (under its lock), which for the small inputs most digests are (tree
 * nodes, commitments) cost as much as the hashing. Call it at start-up, before any thread exists (mod_mez's
 * post_config, the CLI's main); the fetched algorithm is freed when pool is cleared. Without it, mez_digest_sha256
 * still works, only slower. */
void mez_digest_global_init(apr_pool_t *pool);

/* SHA-256 of the RFC 8785 canonical bytes of v. */
mez_status_t mez_digest_json(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb);

/* "sha256:<hex>" */
const char *mez_digest_format(apr_pool_t *p, const mez_digest_t *d);
/* 64 lowercase hex characters, no prefix (how the reference system writes digests). */
const char *mez_digest_hex(apr_pool_t *p, const mez_digest_t *d);

/* Parses "sha256:<64 lowercase hex>" (code "digest.invalid" otherwise). s is C text (a command-line argument, a
 * database column, a path segment): a digest read from a JSON document goes through mez_digest_parse_json, since a
 * JSON string may hold a NUL after which C text ends ("sha256:<hex>\u0000junk" would read as the digest). */
mez_status_t mez_digest_parse(apr_pool_t *p, const char *s, mez_digest_t *out, mez_problem_t *pb);
/* The same over n bytes of s, which must be exactly the 71 of the text form (a NUL among them is refused). */
mez_status_t mez_digest_parse_n(apr_pool_t *p, const char *s, size_t n, mez_digest_t *out, mez_problem_t *pb);
/* The same for a JSON value: a string, the whole of it (its length, not its first NUL), else "digest.invalid". */
mez_status_t mez_digest_parse_json(apr_pool_t *p, const json_t *v, mez_digest_t *out, mez_problem_t *pb);

/* 1 when equal; runs in time independent of where they differ. */
int mez_digest_equal(const mez_digest_t *a, const mez_digest_t *b);

#endif
