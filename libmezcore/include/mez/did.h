/* mez/did.h: did:key for Ed25519 (multicodec 0xed01, multibase base58btc "z6Mk...") and Multikey values. */
#ifndef MEZ_DID_H
#define MEZ_DID_H

#include <apr_pools.h>
#include "mez/key.h"
#include "mez/problem.h"

/* "z6Mk..." : multibase(base58btc, 0xed 0x01 || public key) */
const char *mez_multikey_encode_public(apr_pool_t *p, const mez_key_t *key);
/* "did:key:z6Mk..." */
const char *mez_did_key(apr_pool_t *p, const mez_key_t *key);
/* "did:key:z6Mk...#z6Mk...", the verification method that signs for a did:key */
const char *mez_did_key_verification_method(apr_pool_t *p, const mez_key_t *key);

/* Resolves a did:key DID or DID URL ("did:key:z6Mk...#z6Mk...") to its public key.
 * A fragment, when present, must equal the DID's own multibase value. Codes: "did.unsupported_method",
 * "did.invalid", "did.unsupported_key_type". */
mez_status_t mez_did_key_resolve(apr_pool_t *p, const char *did_url, mez_key_t **out, mez_problem_t *pb);

/* Decodes a Multikey public ("z6Mk...", 0xed01) or private ("z3u2...", 0x8026 ed25519-priv) value. */
mez_status_t mez_multikey_decode_public(apr_pool_t *p, const char *multibase, mez_key_t **out, mez_problem_t *pb);
mez_status_t mez_multikey_decode_private(apr_pool_t *p, const char *multibase, mez_key_t **out, mez_problem_t *pb);

#endif
