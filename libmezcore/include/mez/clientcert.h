/* mez/clientcert.h: client certificates (mutual TLS) mapped to principals the way bearer tokens are.
 *
 * Some government estates authenticate systems by client certificates their own CA issues, not by bearer tokens.
 * A mapping row ties one certificate, named by the SHA-256 of its DER encoding ("sha256:<64 hex>", what
 * `openssl x509 -noout -fingerprint -sha256` prints, without the colons), to a role, a zone and, for entity
 * principals, the entity it acts for; it has an expiry and a revocation time of its own, independent of the
 * certificate's, so an operator can withdraw a certificate from one zone without waiting for the CA's CRL.
 *
 * Only the certificate itself is pinned, not its subject: a CA that reissues a name to another key does not
 * thereby hand over the principal. The fingerprint is public (the certificate is sent in clear in TLS 1.2), so
 * it is an identifier, not a secret: the proof of possession is the TLS handshake, which mod_ssl verifies
 * before mod_mez ever sees the certificate (mod_mez_clientcert.c). */
#ifndef MEZ_CLIENTCERT_H
#define MEZ_CLIENTCERT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_CERT_FP_PREFIX "sha256:"
#define MEZ_CERT_FP_LEN (sizeof(MEZ_CERT_FP_PREFIX) - 1 + 64)
#define MEZ_CERT_ID_PREFIX "crt_"

typedef struct mez_cert_map_t {
    const char *id;          /* "crt_" + 16 hex characters, random: the principal's name in r->user and audit */
    const char *fingerprint; /* "sha256:<64 lowercase hex>" of the certificate's DER */
    const char *subject;     /* the certificate's subject (RFC 2253) when mapped from the certificate; else NULL */
    const char *role, *zone_id, *entity_id; /* as for tokens; entity_id NULL unless role is entity */
    const char *created_at, *expires_at, *revoked_at; /* "YYYY-MM-DDTHH:MM:SSZ"; the last two may be NULL */
    const char *holder;      /* who holds the certificate, as for tokens (mez/token.h); NULL: not named */
} mez_cert_map_t;

/* The fingerprint of the first certificate in text (PEM, or DER when it is not PEM), and its subject (subject
 * may be NULL). 400 cert.invalid when there is no certificate. */
mez_status_t mez_cert_fingerprint(apr_pool_t *p, const char *text, apr_size_t len, const char **fingerprint,
                                  const char **subject, mez_problem_t *pb);

/* Normalises a fingerprint an operator typed: "sha256:<64 hex>" or openssl's 32 colon-separated hex pairs
 * (optionally after "sha256 Fingerprint=" or "SHA256 Fingerprint="), any case. 400 cert.invalid_fingerprint. */
mez_status_t mez_cert_fingerprint_parse(apr_pool_t *p, const char *text, const char **fingerprint,
                                        mez_problem_t *pb);

/* Maps a fingerprint (already normalised) to a principal of zone_id. subject, expires_at and holder may be NULL.
 * 400 cert.invalid_role / cert.missing_zone / cert.entity_scope / cert.invalid_expiry / cert.invalid_fingerprint /
 * cert.invalid_holder; 409 cert.already_mapped when an unrevoked mapping of this certificate exists in the zone. */
mez_status_t mez_cert_map(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *fingerprint,
                          const char *subject, const char *role, const char *entity_id, const char *expires_at,
                          const char *holder, mez_cert_map_t **info, mez_problem_t *pb);

/* The principal of a verified certificate presented to zone_id: its unrevoked mapping, else its latest revoked
 * one (to say why it is refused). 401 problems: auth.unknown_certificate (no mapping in this zone, including
 * another zone's), auth.revoked_certificate, auth.expired_certificate; a database failure is 503 db.*. */
mez_status_t mez_cert_lookup(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *fingerprint,
                             mez_cert_map_t **info, mez_problem_t *pb);

/* Every mapping (zone_id NULL) or one zone's, oldest first, as mez_cert_map_t *. */
mez_status_t mez_cert_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                           mez_problem_t *pb);

/* Revokes a mapping by id (404 cert.not_found); the row stays, so audit rows naming the id still resolve.
 * Revoking twice keeps the first time. */
mez_status_t mez_cert_revoke(apr_pool_t *p, mez_db_t *db, const char *id, mez_problem_t *pb);

/* "active", "revoked" or "expired" now. */
const char *mez_cert_status(apr_pool_t *p, const mez_cert_map_t *m);

#endif
