/* mez/base58.h: base58btc (Bitcoin alphabet), the encoding of multibase 'z' strings in did:key and proofs. */
#ifndef MEZ_BASE58_H
#define MEZ_BASE58_H

#include <stddef.h>
#include <apr_pools.h>

/* NUL-terminated encoding of len bytes, allocated from p. */
char *mez_base58_encode(apr_pool_t *p, const unsigned char *data, size_t len);
/* Decodes s into a buffer from p; returns NULL on a character outside the alphabet. */
unsigned char *mez_base58_decode(apr_pool_t *p, const char *s, size_t *outlen);

#endif
