/* mez/token.h: bearer API tokens. A token is 256 random bits shown once as "mez_<base64url>"; the database keeps
 * only its SHA-256, so a leaked table grants nothing. Each token carries a role, the zone it is valid for and,
 * for entity tokens, the entity it is scoped to.
 *
 * A zone whose sovereign Mass store other zones use as their remote Mass (MezMassEndpoint ... https://<zone>/mass,
 * MezMassTokenFile) gives each of them a token of its own made for that zone: its mass zone (`mez token create
 * --mass-zone Z`). Such a token is valid on the store (/mass) only, and there it reaches Z's own records only
 * (entities, accounts, payments, cap tables, persons, consents: mez/mass.h, caller_zone_id); a token without one is the zone's own and reaches the whole store. */
#ifndef MEZ_TOKEN_H
#define MEZ_TOKEN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_TOKEN_PREFIX "mez_"

/* 1 when role is one of operator, regulator, entity, watcher. */
int mez_token_role_valid(const char *role);

/* 1 when s is exactly "YYYY-MM-DDTHH:MM:SSZ" and a real time: the form expiries are stored in, so that they
 * compare correctly as strings (also used for client-certificate mappings, mez/clientcert.h). */
int mez_token_expiry_valid(const char *s);

typedef struct mez_token_info_t {
    const char *id;          /* public handle: 16 hex characters of the hash, safe to print and log */
    const char *role, *zone_id, *entity_id; /* entity_id NULL unless scoped */
    const char *created_at, *expires_at, *revoked_at; /* RFC 3339 UTC; expires_at/revoked_at may be NULL */
    const char *holder;      /* the person or system holding it, as the administrator named it; NULL: not named */
    const char *mass_zone_id; /* the other zone it acts for in this zone's Mass store; NULL: this zone's own */
} mez_token_info_t;

/* Creates a token. mass_zone_id (may be NULL) makes it another zone's token for this zone's Mass store (a zone id:
 * 400 token.invalid_mass_zone). expires_at (may be NULL) is "YYYY-MM-DDTHH:MM:SSZ"; holder (may be NULL) names who
 * holds it (UTF-8 text without control characters, at most 200 characters: 400 token.invalid_holder). *secret
 * receives the only copy of the token text; *info (may be NULL) what was stored. */
mez_status_t mez_token_create(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *role,
                              const char *entity_id, const char *mass_zone_id, const char *expires_at,
                              const char *holder, const char **secret, mez_token_info_t **info, mez_problem_t *pb);

/* Whether two principals (token ids or client-certificate mapping ids) are one named holder's: 1 and *holder set
 * when both name the same holder, else 0 (a principal without a holder, or unknown, is no one's). */
mez_status_t mez_token_same_holder(apr_pool_t *p, mez_db_t *db, const char *a, const char *b, int *same,
                                   const char **holder, mez_problem_t *pb);

/* Verifies a presented token for zone_id: known, not revoked, not expired, same zone. Failures are 401
 * problems: auth.invalid_token (unknown, malformed or another zone's), auth.revoked_token, auth.expired_token;
 * a database failure is a 503 db.* problem. */
mez_status_t mez_token_lookup(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *secret,
                              mez_token_info_t **info, mez_problem_t *pb);

/* Every token (zone_id NULL) or one zone's, oldest first, as mez_token_info_t *. */
mez_status_t mez_token_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                            mez_problem_t *pb);

/* Revokes by id (404 token.not_found when unknown); revoking twice keeps the first revocation time. */
mez_status_t mez_token_revoke(apr_pool_t *p, mez_db_t *db, const char *id, mez_problem_t *pb);

/* "active", "revoked" or "expired" at the current time. */
const char *mez_token_status(apr_pool_t *p, const mez_token_info_t *t);

#endif
