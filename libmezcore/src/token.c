/* token.c: bearer API tokens stored only as SHA-256 hashes (see mez/token.h). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/token.h"
#include "mez/vc.h"
#include "mez/zone.h"

#define TOKEN_BYTES 32
#define TOKEN_COLS "token_id, role, zone_id, entity_id, created_at, expires_at, revoked_at, token_hash, holder, " \
                   "mass_zone_id"

static const char *const roles[] = { "operator", "regulator", "entity", "watcher", NULL };

int mez_token_role_valid(const char *role)
{
    for (int i = 0; role && roles[i]; i++)
        if (!strcmp(role, roles[i]))
            return 1;
    return 0;
}

static const char *b64url(apr_pool_t *p, const unsigned char *b, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *s = apr_palloc(p, (n * 4 + 2) / 3 + 1), *w = s;
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
        *w++ = a[v >> 18 & 63]; *w++ = a[v >> 12 & 63]; *w++ = a[v >> 6 & 63]; *w++ = a[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)b[i] << 16;
        *w++ = a[v >> 18 & 63]; *w++ = a[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8;
        *w++ = a[v >> 18 & 63]; *w++ = a[v >> 12 & 63]; *w++ = a[v >> 6 & 63];
    }
    *w = '\0';
    return s;
}

/* The stored form: hex SHA-256 of the whole token text, so hashing needs no decoding of untrusted input. */
static const char *hash_of(apr_pool_t *p, const char *secret)
{
    mez_digest_t d;
    mez_digest_sha256(secret, strlen(secret), &d);
    return mez_digest_hex(p, &d);
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ": stored times in this fixed form compare correctly as strings, in C and SQL. */
static int utc_stamp_valid(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    apr_time_t t;
    if (strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    return mez_time_parse_rfc3339(s, &t) == 0;
}

int mez_token_expiry_valid(const char *s)
{
    return s && utc_stamp_valid(s);
}

/* apr_dbd's pgsql driver reads SQL NULL as "", sqlite3's as NULL; no stored column is ever legitimately empty,
 * so both are taken as absent. */
static const char *col(const char *v)
{
    return v && *v ? v : NULL;
}

static mez_token_info_t *info_from(apr_pool_t *p, const char **c)
{
    mez_token_info_t *t = apr_pcalloc(p, sizeof(*t));
    for (int i = 0; i < 7; i++)
        c[i] = col(c[i]);
    t->id = c[0]; t->role = c[1]; t->zone_id = c[2]; t->entity_id = c[3];
    t->created_at = c[4]; t->expires_at = c[5]; t->revoked_at = c[6];
    t->holder = c[8] && *c[8] ? c[8] : NULL;
    t->mass_zone_id = c[9] && *c[9] ? c[9] : NULL;
    return t;
}

mez_status_t mez_token_create(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *role,
                              const char *entity_id, const char *mass_zone_id, const char *expires_at,
                              const char *holder, const char **secret, mez_token_info_t **info, mez_problem_t *pb)
{
    unsigned char raw[TOKEN_BYTES];
    const char *text, *hash, *cols[10];
    mez_status_t rv;

    *secret = NULL;
    if (!mez_token_role_valid(role))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.invalid_role", NULL,
                           "role '%s' is not one of operator, regulator, entity, watcher", role ? role : "");
    if (!zone_id || !*zone_id)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.missing_zone", NULL, "a token needs a zone");
    if (!strcmp(role, "entity") != (entity_id && *entity_id))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.entity_scope", NULL,
                           "an entity id is required for role entity and only for it");
    if (mass_zone_id && !mez_zone_id_ok(mass_zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.invalid_mass_zone", NULL,
                           "the mass zone '%s' is not a zone id (1 to 63 of a-z, 0-9 and '-', not first or last)",
                           mass_zone_id);
    if (mass_zone_id && !strcmp(mass_zone_id, zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.invalid_mass_zone", NULL,
                           "the mass zone is another zone whose Mass calls this store serves; '%s' is this token's "
                           "own zone, whose tokens reach the whole store without one", mass_zone_id);
    if (expires_at && !utc_stamp_valid(expires_at))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.invalid_expiry", NULL,
                           "expiry '%s' is not YYYY-MM-DDTHH:MM:SSZ", expires_at);
    if (holder && (!*holder || mez_text_check(holder, strlen(holder), 200, NULL) != MEZ_TEXT_OK))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "token.invalid_holder", NULL,
                           "the holder is UTF-8 text without control characters, 1 to 200 characters");
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "token.no_randomness", NULL, "RAND_bytes failed");
    text = apr_pstrcat(p, MEZ_TOKEN_PREFIX, b64url(p, raw, sizeof(raw)), NULL);
    OPENSSL_cleanse(raw, sizeof(raw));
    hash = hash_of(p, text);
    cols[0] = apr_pstrndup(p, hash, 16);
    cols[1] = role; cols[2] = zone_id; cols[3] = entity_id && *entity_id ? entity_id : NULL;
    cols[4] = mez_time_now_rfc3339(p); cols[5] = expires_at; cols[6] = NULL; cols[7] = hash; cols[8] = holder;
    cols[9] = mass_zone_id;
    rv = mez_db_execv(p, db, NULL,
                      "INSERT INTO mez_token (token_id, token_hash, role, zone_id, entity_id, created_at, expires_at, "
                      "holder, mass_zone_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", pb, cols[0], hash, role,
                      zone_id, cols[3] ? cols[3] : MEZ_DB_NULL, cols[4], expires_at ? expires_at : MEZ_DB_NULL,
                      holder ? holder : MEZ_DB_NULL, mass_zone_id ? mass_zone_id : MEZ_DB_NULL, NULL);
    if (rv != MEZ_OK)
        return rv;
    *secret = text;
    if (info)
        *info = info_from(p, cols);
    return MEZ_OK;
}

mez_status_t mez_token_lookup(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *secret,
                              mez_token_info_t **info, mez_problem_t *pb)
{
    const char *cols[10], *hash;
    mez_token_info_t *t;
    int found = 0;
    mez_status_t rv;

    *info = NULL;
    if (!secret || strncmp(secret, MEZ_TOKEN_PREFIX, sizeof(MEZ_TOKEN_PREFIX) - 1) || strlen(secret) > 128)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.invalid_token", NULL, "the bearer token is not a mez token");
    hash = hash_of(p, secret);
    /* The index lookup runs on the SHA-256 of the presented text, so its timing tells a guesser only about hashes
     * of its own guesses, never about a stored secret. The match is then confirmed in constant time, so a
     * database that compares case-insensitively or pads could not let a near-miss through. */
    rv = mez_db_query_row(p, db, cols, 10, &found, "SELECT " TOKEN_COLS " FROM mez_token WHERE token_hash = %s",
                          pb, hash, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found || !cols[7] || strlen(cols[7]) != strlen(hash) || CRYPTO_memcmp(cols[7], hash, strlen(hash)))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.invalid_token", NULL, "the bearer token is not known");
    t = info_from(p, cols);
    /* Another zone's token is answered like an unknown one: it says nothing about other zones. */
    if (strcmp(t->zone_id, zone_id))
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.invalid_token", NULL, "the bearer token is not known");
    if (t->revoked_at)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.revoked_token", NULL, "token %s was revoked at %s",
                           t->id, t->revoked_at);
    if (t->expires_at && strcmp(t->expires_at, mez_time_now_rfc3339(p)) <= 0)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.expired_token", NULL, "token %s expired at %s",
                           t->id, t->expires_at);
    *info = t;
    return MEZ_OK;
}

mez_status_t mez_token_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                            mez_problem_t *pb)
{
    apr_array_header_t *rows, *a = apr_array_make(p, 8, sizeof(mez_token_info_t *));
    mez_status_t rv = mez_db_query_rows(p, db, 10, &rows,
                                        "SELECT " TOKEN_COLS " FROM mez_token ORDER BY created_at, token_id", pb,
                                        NULL);
    *out = NULL;
    if (rv != MEZ_OK)
        return rv;
    for (int i = 0; i < rows->nelts; i++) {
        const char **c = APR_ARRAY_IDX(rows, i, const char **);
        if (!zone_id || (c[2] && !strcmp(c[2], zone_id)))
            APR_ARRAY_PUSH(a, mez_token_info_t *) = info_from(p, c);
    }
    *out = a;
    return MEZ_OK;
}

mez_status_t mez_token_revoke(apr_pool_t *p, mez_db_t *db, const char *id, mez_problem_t *pb)
{
    const char *found = NULL;
    mez_status_t rv = mez_db_query_value(p, db, &found, "SELECT COUNT(*) FROM mez_token WHERE token_id = %s", pb,
                                         id, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found || apr_atoi64(found) == 0)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "token.not_found", NULL, "no token has id '%s'", id);
    return mez_db_execv(p, db, NULL, "UPDATE mez_token SET revoked_at = %s WHERE token_id = %s AND revoked_at IS NULL",
                        pb, mez_time_now_rfc3339(p), id, NULL);
}

const char *mez_token_status(apr_pool_t *p, const mez_token_info_t *t)
{
    if (t->revoked_at)
        return "revoked";
    if (t->expires_at && strcmp(t->expires_at, mez_time_now_rfc3339(p)) <= 0)
        return "expired";
    return "active";
}

mez_status_t mez_token_same_holder(apr_pool_t *p, mez_db_t *db, const char *a, const char *b, int *same,
                                   const char **holder, mez_problem_t *pb)
{
    const char *c[1];
    /* A principal is a token or a client-certificate mapping (mez/clientcert.h): one officer may hold both. */
#define PRINCIPALS "(SELECT token_id AS id, holder FROM mez_token UNION ALL SELECT cert_id, holder FROM " \
                   "mez_client_cert)"
    mez_status_t rv = mez_db_query_row(p, db, c, 1, same,
                                       "SELECT x.holder FROM " PRINCIPALS " x JOIN " PRINCIPALS " y ON y.holder = "
                                       "x.holder WHERE x.id = %s AND y.id = %s AND x.holder IS NOT NULL",
                                       pb, a, b, NULL);
#undef PRINCIPALS
    if (holder)
        *holder = rv == MEZ_OK && *same ? c[0] : NULL;
    return rv;
}
