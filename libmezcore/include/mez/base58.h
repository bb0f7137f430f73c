/* mez/base58.h: base58btc (Bitcoin alphabet), the encoding of multibase 'z' strings in did:key and proofs. */
#ifndef MEZ_BASE58_H
#define MEZ_BASE58_H

#include <stddef.h>
#include <apr_pools.h>

/* NUL-terminated encoding of len bytes, allocated from p. */
char *mez_base58_encode(apr_pool_t *p, const unsigned char *data, size_t len);
/* An upper bound on the length of the base58btc encoding of n bytes: n * log(256)/log(58) (1.3657...) rounded up,
 * with 1.366 for the ratio; 88 for a 64-byte signature, 47 for a 34-byte multicodec key. */
#define MEZ_BASE58_MAX_CHARS(n) (((size_t)(n) * 1366 + 999) / 1000)

/* Decodes s into a buffer from p; returns NULL on a character outside the alphabet or when the value takes more
 * than max_len bytes. Decoding is quadratic in the length of s, so the bound is checked against the length of s
 * first (MEZ_BASE58_MAX_CHARS) and the work is O(strlen(s) * max_len) at worst, whatever s a caller is handed. */
unsigned char *mez_base58_decode(apr_pool_t *p, const char *s, size_t max_len, size_t *outlen);

#endif
