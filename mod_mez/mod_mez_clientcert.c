/* mod_mez_clientcert.c: client certificates (mutual TLS) as AuthType mez principals, for estates that authenticate
 * their systems by certificates from their own CA (issue 4). `MezClientCertAuth on` in a zone's server or
 * virtual host lets AuthType mez (mod_mez_auth.c) accept, from a request without an Authorization header, a
 * client certificate that mod_ssl verified, mapped to a principal with `mez cert map` (mez/clientcert.h).
 *
 * The division of labour: mod_ssl verifies the chain, the validity dates and (with SSLCARevocationFile/-Path or
 * OCSP) the CA's revocations, during the handshake, against SSLCACertificateFile; mod_mez only trusts its verdict
 * SSL_CLIENT_VERIFY == "SUCCESS" and then pins the exact certificate (SHA-256 of its DER) to a role, an entity
 * and a zone, with its own expiry and revocation. So a certificate the zone's CA issued but nobody mapped grants
 * nothing, and a mapping can be withdrawn from one zone at once, without waiting for the CA's CRL.
 *
 * The zone's TLS configuration needs (see conf/zones/example.conf):
 *     SSLEngine on, SSLCertificateFile/-KeyFile,
 *     SSLVerifyClient optional   (or require: then every request, even /healthz, needs a certificate)
 *     SSLCACertificateFile <the CA that issues client certificates>
 * With `optional`, mod_ssl still refuses during the handshake a certificate it cannot verify; with
 * `optional_no_ca` it lets it through as "GENEROUS" or "FAILED:...", which is refused here as unverified.
 *
 * Refusals are the same 401 problem+json answers as for tokens (auth.missing_token when neither a token nor a
 * certificate was presented; auth.unverified_certificate, auth.unknown_certificate, auth.revoked_certificate,
 * auth.expired_certificate), recorded by mod_mez_auth.c's refuse(). */
#include <string.h>
#include <strings.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_ssl.h"
#include "mez/clientcert.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

const char *mez_set_client_cert_auth(cmd_parms *cmd, void *dc, int on)
{
    mez_srv_conf_t *sc = mez_srv_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    sc->client_cert_auth = on ? 1 : 0;
    sc->client_cert_defn = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
    return NULL;
}

/* mod_ssl's variable, or NULL when it has none for this request (not a TLS connection, no certificate). */
static const char *ssl_var(request_rec *r, APR_OPTIONAL_FN_TYPE(ssl_var_lookup) *lookup, const char *name)
{
    char *v = lookup(r->pool, r->server, r->connection, r, apr_pstrdup(r->pool, name));
    return v && *v ? v : NULL;
}

mez_status_t mez_request_client_cert(request_rec *r, const mez_srv_conf_t *sc, const struct mez_cert_map_t **out,
                                     mez_problem_t *pb)
{
    APR_OPTIONAL_FN_TYPE(ssl_var_lookup) *lookup = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup);
    const char *verify, *pem, *fp = NULL;
    mez_cert_map_t *m;
    mez_db_t *db;
    mez_status_t rv;

    *out = NULL;
    /* check_config refused a configuration without mod_ssl; this only guards a module unloaded by a graceful
     * restart with a configuration that failed to load. */
    if (!lookup)
        return mez_problem(pb, r->pool, MEZ_EINTERNAL, 500, "auth.no_tls", NULL,
                           "MezClientCertAuth is on but mod_ssl is not loaded");
    verify = ssl_var(r, lookup, "SSL_CLIENT_VERIFY");
    if (!verify || !strcmp(verify, "NONE"))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "auth.missing_token", NULL,
                           "this route needs an Authorization: Bearer token or a verified client certificate");
    /* Only mod_ssl's own verdict counts: GENEROUS (optional_no_ca) and FAILED:<reason> are certificates whose
     * holder proved possession of a key, but nobody vouched for whose key it is. */
    if (strcmp(verify, "SUCCESS"))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "auth.unverified_certificate", NULL,
                           "the client certificate was not verified by the zone's CA (%s)", verify);
    if (!(pem = ssl_var(r, lookup, "SSL_CLIENT_CERT"))
        || mez_cert_fingerprint(r->pool, pem, strlen(pem), &fp, NULL, pb) != MEZ_OK)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "auth.unverified_certificate", NULL,
                           "mod_ssl verified a client certificate but did not hand it over");
    /* For the access log and the error log: which certificate was presented, mapped or not. */
    apr_table_setn(r->notes, "mez-client-cert", fp);
    if (!(db = mez_request_db_or_problem(r, "to check the client certificate", pb)))
        return MEZ_EIO;
    if ((rv = mez_cert_lookup(r->pool, db, sc->zone_id, fp, &m, pb)) != MEZ_OK)
        return rv;
    *out = m;
    return MEZ_OK;
}

/* Runs after the whole configuration is read and before `apache2 -t` says "Syntax OK", so a zone that asks for
 * client certificates without mod_ssl stops httpd (and fails a config test) instead of refusing every caller. */
static int check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    int have_ssl = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup) != NULL;
    for (server_rec *v = s; v; v = v->next) {
        const mez_srv_conf_t *sc = mez_srv_conf(v);
        if (sc->client_cert_auth != 1)
            continue;
        if (!have_ssl) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezClientCertAuth on (%s) needs mod_ssl: LoadModule "
                         "ssl_module, then SSLEngine on, SSLVerifyClient optional and SSLCACertificateFile in "
                         "this server", sc->client_cert_defn);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!sc->zone_id) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezClientCertAuth on (%s) where no MezZone is "
                         "configured: certificates are mapped to principals of a zone", sc->client_cert_defn);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void mez_clientcert_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
}
