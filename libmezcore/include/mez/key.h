/* mez/key.h: Ed25519 keys through OpenSSL 3 EVP: generate, load, save, sign, verify.
 * Private key files are PEM (PKCS#8), created 0600 and refused when group or world readable. */
#ifndef MEZ_KEY_H
#define MEZ_KEY_H

#include <stddef.h>
#include <apr_pools.h>
#include "mez/problem.h"

#define MEZ_ED25519_PUBLIC_LEN 32
#define MEZ_ED25519_SEED_LEN   32
#define MEZ_ED25519_SIG_LEN    64

/* Opaque; the EVP_PKEY is freed (and its secret cleansed by OpenSSL) when the pool is cleared. */
typedef struct mez_key_t mez_key_t;

mez_status_t mez_key_generate(apr_pool_t *p, mez_key_t **out, mez_problem_t *pb);
mez_status_t mez_key_from_seed(apr_pool_t *p, const unsigned char seed[MEZ_ED25519_SEED_LEN],
                               mez_key_t **out, mez_problem_t *pb);
mez_status_t mez_key_from_public(apr_pool_t *p, const unsigned char pub[MEZ_ED25519_PUBLIC_LEN],
                                 mez_key_t **out, mez_problem_t *pb);

/* Loads a PEM private key. Refuses ("key.insecure_permissions") a file readable by group or others,
 * and anything that is not Ed25519 ("key.wrong_type"). */
mez_status_t mez_key_load_private(apr_pool_t *p, const char *path, mez_key_t **out, mez_problem_t *pb);
/* Writes the private key as PEM to a new file created with mode 0600; never overwrites ("key.exists"). */
mez_status_t mez_key_save_private(apr_pool_t *p, const mez_key_t *key, const char *path, mez_problem_t *pb);
/* Loads a PEM public key (SubjectPublicKeyInfo). */
mez_status_t mez_key_load_public(apr_pool_t *p, const char *path, mez_key_t **out, mez_problem_t *pb);

int mez_key_has_private(const mez_key_t *key);
void mez_key_public_bytes(const mez_key_t *key, unsigned char out[MEZ_ED25519_PUBLIC_LEN]);

/* Pure Ed25519 (RFC 8032) over msg. */
mez_status_t mez_key_sign(const mez_key_t *key, const void *msg, size_t len,
                          unsigned char sig[MEZ_ED25519_SIG_LEN], mez_problem_t *pb, apr_pool_t *p);
/* 1 when sig is a valid signature of msg by key, 0 otherwise. */
int mez_key_verify(const mez_key_t *key, const void *msg, size_t len, const unsigned char *sig, size_t siglen);

#endif
