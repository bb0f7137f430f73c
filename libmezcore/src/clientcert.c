/* clientcert.c: client-certificate mappings (see mez/clientcert.h): fingerprints of certificates and the rows
 * of mez_client_cert that turn a verified certificate into a principal. Nothing here verifies a certificate
 * chain: that is mod_ssl's job, done during the handshake against the CA the operator configured. */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "mez/store.h"
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include "mez/clientcert.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/token.h"
#include "mez/vc.h"

#define CERT_COLS "cert_id, fingerprint, subject, role, zone_id, entity_id, created_at, expires_at, revoked_at, " \
                  "holder"
#define CERT_NCOLS 10
#define ID_BYTES 8

/* The subject as one RFC 2253 line, for `mez cert list`; NULL when OpenSSL cannot print it. */
static const char *subject_of(apr_pool_t *p, X509 *x)
{
    BIO *mem = BIO_new(BIO_s_mem());
    const char *out = NULL;
    char *data;
    long n;
    if (!mem)
        return NULL;
    if (X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0
        && (n = BIO_get_mem_data(mem, &data)) > 0)
        out = apr_pstrndup(p, data, (apr_size_t)n);
    BIO_free(mem);
    return out;
}

mez_status_t mez_cert_fingerprint(apr_pool_t *p, const char *text, apr_size_t len, const char **fingerprint,
                                  const char **subject, mez_problem_t *pb)
{
    BIO *bio;
    X509 *x = NULL;
    unsigned char *der = NULL;
    int n;
    mez_digest_t d;

    *fingerprint = NULL;
    if (subject)
        *subject = NULL;
    if (!text || !len || len > INT_MAX)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid", NULL, "no certificate was given");
    if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (!x) {
        const unsigned char *q = (const unsigned char *)text;
        x = d2i_X509(NULL, &q, (long)len);
    }
    /* A failed parse leaves errors on this thread's OpenSSL queue; they must not surface in a later, unrelated
     * call (httpd threads serve many requests). */
    ERR_clear_error();
    if (!x)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid", NULL,
                           "not an X.509 certificate in PEM or DER form");
    /* The fingerprint is over the DER encoding, as `openssl x509 -fingerprint -sha256` and every TLS stack
     * compute it, so an operator can check a mapping with the tools they already have. */
    if ((n = i2d_X509(x, &der)) <= 0) {
        X509_free(x);
        ERR_clear_error();
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cert.encoding", NULL, "cannot DER-encode the certificate");
    }
    mez_digest_sha256(der, (size_t)n, &d);
    OPENSSL_free(der);
    *fingerprint = mez_digest_format(p, &d);
    if (subject)
        *subject = subject_of(p, x);
    X509_free(x);
    return MEZ_OK;
}

/* 1 when s starts with prefix, ignoring case; *rest is then what follows it. */
static int skip_prefix(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncasecmp(s, prefix, n))
        return 0;
    *rest = s + n;
    return 1;
}

mez_status_t mez_cert_fingerprint_parse(apr_pool_t *p, const char *text, const char **fingerprint,
                                        mez_problem_t *pb)
{
    const char *s = text ? text : "", *hex = NULL;
    char *out, *w;
    size_t n;

    *fingerprint = NULL;
    /* The algorithm must be named: a bare 64-hex string could be any 256-bit digest, and guessing wrong would
     * pin a certificate nobody holds. */
    if (!skip_prefix(s, MEZ_CERT_FP_PREFIX, &hex) && !skip_prefix(s, "sha256 Fingerprint=", &hex))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_fingerprint", NULL,
                           "a fingerprint is sha256:<64 hex> or openssl's \"sha256 Fingerprint=AB:CD:...\"");
    n = strlen(hex);
    out = apr_palloc(p, MEZ_CERT_FP_LEN + 1);
    memcpy(out, MEZ_CERT_FP_PREFIX, sizeof(MEZ_CERT_FP_PREFIX) - 1);
    w = out + sizeof(MEZ_CERT_FP_PREFIX) - 1;
    if (n == 64 || n == 95) {
        /* 64 hex digits, or 32 pairs separated by ':' (95 characters) */
        for (size_t i = 0; i < n; i++) {
            if (n == 95 && i % 3 == 2) {
                if (hex[i] != ':')
                    break;
                continue;
            }
            if (!isxdigit((unsigned char)hex[i]))
                break;
            *w++ = (char)tolower((unsigned char)hex[i]);
        }
    }
    if ((size_t)(w - out) != MEZ_CERT_FP_LEN)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_fingerprint", NULL,
                           "'%s' is not a SHA-256 fingerprint (64 hex digits, with or without ':' between pairs)",
                           text ? text : "");
    *w = '\0';
    *fingerprint = out;
    return MEZ_OK;
}

/* 1 when fp is already in the stored form: "sha256:" and 64 lowercase hex digits. */
static int normalised(const char *fp)
{
    if (!fp || strlen(fp) != MEZ_CERT_FP_LEN || strncmp(fp, MEZ_CERT_FP_PREFIX, sizeof(MEZ_CERT_FP_PREFIX) - 1))
        return 0;
    for (const char *c = fp + sizeof(MEZ_CERT_FP_PREFIX) - 1; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

/* apr_dbd's pgsql driver may read SQL NULL as ""; no stored column is legitimately empty. */
static const char *col(const char *v)
{
    return v && *v ? v : NULL;
}

static mez_cert_map_t *map_from(apr_pool_t *p, const char *const *c)
{
    mez_cert_map_t *m = apr_pcalloc(p, sizeof(*m));
    m->id = col(c[0]); m->fingerprint = col(c[1]); m->subject = col(c[2]); m->role = col(c[3]);
    m->zone_id = col(c[4]); m->entity_id = col(c[5]); m->created_at = col(c[6]); m->expires_at = col(c[7]);
    m->revoked_at = col(c[8]); m->holder = col(c[9]);
    return m;
}

mez_status_t mez_cert_map(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *fingerprint,
                          const char *subject, const char *role, const char *entity_id, const char *expires_at,
                          const char *holder, mez_cert_map_t **info, mez_problem_t *pb)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[ID_BYTES];
    char id[sizeof(MEZ_CERT_ID_PREFIX) + 2 * ID_BYTES];
    const char *c[CERT_NCOLS], *active = NULL;
    int inserted = 0;
    mez_status_t rv;

    if (info)
        *info = NULL;
    if (!normalised(fingerprint))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_fingerprint", NULL,
                           "'%s' is not sha256:<64 lowercase hex>", fingerprint ? fingerprint : "");
    /* The same rules, in the same words, as for tokens: a certificate is another way to present a principal. */
    if (!mez_token_role_valid(role))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_role", NULL,
                           "role '%s' is not one of operator, regulator, entity, watcher", role ? role : "");
    if (!zone_id || !*zone_id)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.missing_zone", NULL, "a certificate mapping needs a zone");
    if (!strcmp(role, "entity") != (entity_id && *entity_id))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.entity_scope", NULL,
                           "an entity id is required for role entity and only for it");
    if (expires_at && !mez_token_expiry_valid(expires_at))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_expiry", NULL,
                           "expiry '%s' is not YYYY-MM-DDTHH:MM:SSZ", expires_at);
    if (holder && (!*holder || mez_text_check(holder, strlen(holder), 200, NULL) != MEZ_TEXT_OK))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "cert.invalid_holder", NULL,
                           "the holder is UTF-8 text without control characters, 1 to 200 characters");
    /* One live principal per certificate and zone, or the answer would depend on which row the database
     * returned first. The partial unique index (0008) enforces it against a concurrent mapping too. */
    rv = mez_db_query_value(p, db, &active, "SELECT cert_id FROM mez_client_cert WHERE zone_id = %s AND "
                            "fingerprint = %s AND revoked_at IS NULL", pb, zone_id, fingerprint, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (col(active))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "cert.already_mapped", NULL,
                           "this certificate is already mapped in zone %s as %s: revoke that mapping first",
                           zone_id, active);
    /* A random id rather than one derived from the fingerprint: revoking and mapping the same certificate again
     * yields a new principal, so audit rows of the old one are never attributed to the new one. */
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cert.no_randomness", NULL, "RAND_bytes failed");
    memcpy(id, MEZ_CERT_ID_PREFIX, sizeof(MEZ_CERT_ID_PREFIX) - 1);
    for (int i = 0; i < ID_BYTES; i++) {
        id[sizeof(MEZ_CERT_ID_PREFIX) - 1 + 2 * i] = hex[raw[i] >> 4];
        id[sizeof(MEZ_CERT_ID_PREFIX) + 2 * i] = hex[raw[i] & 15];
    }
    id[sizeof(id) - 1] = '\0';
    c[0] = apr_pstrdup(p, id); c[1] = fingerprint; c[2] = subject && *subject ? subject : NULL; c[3] = role;
    c[4] = zone_id; c[5] = entity_id && *entity_id ? entity_id : NULL; c[6] = mez_time_now_rfc3339(p);
    c[7] = expires_at; c[8] = NULL; c[9] = holder;
    /* A concurrent mapping of the same certificate may commit between the check above and this insert: the
     * partial unique index refuses the second, which is then the same 409, not a database error. */
    rv = mez_db_execv(p, db, &inserted,
                      "INSERT INTO mez_client_cert (cert_id, fingerprint, subject, role, zone_id, entity_id, "
                      "created_at, expires_at, holder) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO "
                      "NOTHING", pb, c[0], c[1], c[2] ? c[2] : MEZ_DB_NULL, c[3], c[4], c[5] ? c[5] : MEZ_DB_NULL,
                      c[6], c[7] ? c[7] : MEZ_DB_NULL, holder ? holder : MEZ_DB_NULL, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (inserted != 1)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "cert.already_mapped", NULL,
                           "this certificate was mapped in zone %s at the same moment: revoke that mapping first",
                           zone_id);
    if (info)
        *info = map_from(p, c);
    return MEZ_OK;
}

mez_status_t mez_cert_lookup(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *fingerprint,
                             mez_cert_map_t **info, mez_problem_t *pb)
{
    const char *c[CERT_NCOLS];
    mez_cert_map_t *m;
    int found = 0;
    mez_status_t rv;

    *info = NULL;
    if (!normalised(fingerprint) || !zone_id)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.unknown_certificate", NULL,
                           "the client certificate is not mapped to a principal of this zone");
    /* The unrevoked mapping if there is one (at most one: 0008's partial unique index), else the latest revoked
     * one, only to say "revoked" rather than "unknown" to the operator reading the log. Rows of other zones are
     * never read: another zone's principal is answered like an unknown one and says nothing about that zone. */
    rv = mez_db_query_row(p, db, c, CERT_NCOLS, &found,
                          "SELECT " CERT_COLS " FROM mez_client_cert WHERE zone_id = %s AND fingerprint = %s "
                          "ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, revoked_at DESC, cert_id "
                          "LIMIT 1", pb, zone_id, fingerprint, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.unknown_certificate", NULL,
                           "the client certificate %s is not mapped to a principal of this zone", fingerprint);
    m = map_from(p, c);
    if (m->revoked_at)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.revoked_certificate", NULL,
                           "the mapping %s of this client certificate was revoked at %s", m->id, m->revoked_at);
    if (m->expires_at && strcmp(m->expires_at, mez_time_now_rfc3339(p)) <= 0)
        return mez_problem(pb, p, MEZ_EINVAL, 401, "auth.expired_certificate", NULL,
                           "the mapping %s of this client certificate expired at %s", m->id, m->expires_at);
    *info = m;
    return MEZ_OK;
}

mez_status_t mez_cert_list(apr_pool_t *p, mez_db_t *db, const char *zone_id, apr_array_header_t **out,
                           mez_problem_t *pb)
{
    apr_array_header_t *rows, *a;
    mez_status_t rv;

    *out = NULL;
    if (zone_id)
        rv = mez_db_query_rows(p, db, CERT_NCOLS, &rows, "SELECT " CERT_COLS " FROM mez_client_cert WHERE "
                               "zone_id = %s ORDER BY created_at, cert_id", pb, zone_id, NULL);
    else
        rv = mez_db_query_rows(p, db, CERT_NCOLS, &rows, "SELECT " CERT_COLS " FROM mez_client_cert "
                               "ORDER BY created_at, cert_id", pb, NULL);
    if (rv != MEZ_OK)
        return rv;
    a = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(mez_cert_map_t *));
    for (int i = 0; i < rows->nelts; i++)
        APR_ARRAY_PUSH(a, mez_cert_map_t *) = map_from(p, APR_ARRAY_IDX(rows, i, const char **));
    *out = a;
    return MEZ_OK;
}

mez_status_t mez_cert_revoke(apr_pool_t *p, mez_db_t *db, const char *id, mez_problem_t *pb)
{
    const char *found = NULL;
    mez_status_t rv = mez_db_query_value(p, db, &found, "SELECT COUNT(*) FROM mez_client_cert WHERE cert_id = %s",
                                         pb, id ? id : "", NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found || apr_atoi64(found) == 0)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "cert.not_found", NULL, "no certificate mapping has id '%s'",
                           id ? id : "");
    return mez_db_execv(p, db, NULL, "UPDATE mez_client_cert SET revoked_at = %s WHERE cert_id = %s AND "
                        "revoked_at IS NULL", pb, mez_time_now_rfc3339(p), id, NULL);
}

const char *mez_cert_status(apr_pool_t *p, const mez_cert_map_t *m)
{
    if (m->revoked_at)
        return "revoked";
    if (m->expires_at && strcmp(m->expires_at, mez_time_now_rfc3339(p)) <= 0)
        return "expired";
    return "active";
}
