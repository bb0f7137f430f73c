/* mod_mez.c: the module record and its hooks: logging bridge, start-up checks, mod_dbd lookup, handler.
 * Start-up is where configuration mistakes must stop httpd, before a single request is served. */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_core.h"
#include "mez/digest.h"
#include "mez/log.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);


static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

static server_rec *log_server;

static void log_bridge(void *baton, mez_log_level_t level, const char *file, int line, const char *msg)
{
    ap_log_error(file, line, APLOG_MODULE_INDEX, (int)level, 0, log_server, "%s", msg);
}

/* Every handle a request was given, so that its committed audit rows can be counted once it is over, whatever
 * wrote them (the handlers, the orchestrator, the corridor, peer, watcher and key stores append directly). The
 * list hangs on the request's pool, which an internal redirect shares. */
#define REQUEST_DBS_KEY "mez-request-dbs"

static void remember_db(request_rec *r, mez_db_t *db)
{
    void *v = NULL;
    apr_array_header_t *dbs;
    apr_pool_userdata_get(&v, REQUEST_DBS_KEY, r->pool);
    if (!(dbs = v)) {
        dbs = apr_array_make(r->pool, 2, sizeof(mez_db_t *));
        apr_pool_userdata_setn(dbs, REQUEST_DBS_KEY, NULL, r->pool);
    }
    APR_ARRAY_PUSH(dbs, mez_db_t *) = db;
}

apr_uint64_t mez_request_audit_rows(request_rec *r)
{
    void *v = NULL;
    const apr_array_header_t *dbs;
    apr_uint64_t n = 0;
    apr_pool_userdata_get(&v, REQUEST_DBS_KEY, r->pool);
    for (int i = 0; (dbs = v) && i < dbs->nelts; i++)
        n += APR_ARRAY_IDX(dbs, i, const mez_db_t *)->audit_rows;
    return n;
}

mez_db_t *mez_request_db(request_rec *r)
{
    ap_dbd_t *dbd;
    mez_db_t *db;
    if (!dbd_acquire)
        return NULL;
    dbd = dbd_acquire(r);
    if (!dbd)
        return NULL;
    db = mez_db_wrap(r->pool, dbd->driver, dbd->handle);
    remember_db(r, db);
    db->writer = mez_srv_conf(r->server)->sqlite_writer;
    db->timeout_ms = mez_srv_conf(r->server)->db_timeout_ms < 0 ? (int)MEZ_DB_TIMEOUT_DEFAULT_MS
                                                                : (int)mez_srv_conf(r->server)->db_timeout_ms;
    /* mod_dbd's pool for this connection lives as long as the connection: its prepared statements stay there
     * (unless MezDBPrepare off: a pooler in front of PostgreSQL may not keep them). */
    if (mez_srv_conf(r->server)->db_prepare != 0)
        db->session_pool = dbd->pool;
    return db;
}

mez_db_t *mez_zone_db(request_rec *r, const mez_srv_conf_t *sc, mez_problem_t *pb)
{
    if (!sc->key || !sc->zone_id) {
        mez_problem(pb, r->pool, MEZ_EINVAL, 503, "zone.not_configured", NULL,
                    "this server has no MezZone/MezKeyFile configuration");
        return NULL;
    }
    return mez_request_db_or_problem(r, NULL, pb);
}

mez_db_t *mez_request_db_or_problem(request_rec *r, const char *needed_for, mez_problem_t *pb)
{
    mez_db_t *db = mez_request_db(r);
    if (!db)
        mez_problem(pb, r->pool, MEZ_EIO, 503, "db.unavailable", NULL,
                    "no database connection could be had%s%s (mod_dbd: see the error log)", needed_for ? " " : "",
                    needed_for ? needed_for : "");
    return db;
}

/* Every new pooled connection gets the same session settings as the CLI's. */
static apr_status_t dbd_post_connect(apr_pool_t *p, dbd_cfg_t *cfg, ap_dbd_t *dbd)
{
    mez_problem_t pb = { 0 };
    mez_db_t *db = mez_db_wrap(p, dbd->driver, dbd->handle);
    if (mez_db_session_setup(p, db, &pb) != MEZ_OK) {
        MEZ_LOG(MEZ_LOG_ERR, p, "database session setup failed: %s", pb.detail);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static void optional_fn_retrieve(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    /* The core only logs through this callback; it is set here, before any child or thread exists. */
    log_server = s;
    mez_log_set(log_bridge, NULL, MEZ_LOG_DEBUG);
    /* SHA-256 fetched once for every digest of the children's requests (freed with pconf). */
    mez_digest_global_init(pconf);
    /* httpd runs optional_fn_retrieve after the first post_config pass; look mod_dbd up here too. */
    if (!dbd_acquire)
        dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    /* Zones, profiles and packs are loaded and checked against stack.lock once, on the real pass only (the
     * first, dry pass only reads the configuration); a mismatch stops httpd here. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        int rc = mez_packs_post_config(pconf, ptemp, s);
        if (rc != OK)
            return rc;
    }

    if (mez_admin_post_config(pconf, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    for (v = s; v; v = v->next) {
        mez_srv_conf_t *sc = mez_srv_conf(v);
        if (!sc->zone_id)
            continue;
        if (!sc->key) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                         "MezZone %s (%s:%u) has no MezKeyFile: a zone cannot sign without its key",
                         sc->zone_id, sc->defn_name, sc->defn_line);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!dbd_acquire) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v,
                         "MezZone %s (%s:%u) needs mod_dbd: add LoadModule dbd_module and DBDriver/DBDParams",
                         sc->zone_id, sc->defn_name, sc->defn_line);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* Created before the children fork, so each child gets its own unlocked copy. */
        if (apr_thread_mutex_create(&sc->sqlite_writer, APR_THREAD_MUTEX_DEFAULT, pconf) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezZone %s: cannot create a mutex", sc->zone_id);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
            int rc = mez_compliance_post_config(pconf, v, sc);
            if (rc != OK)
                return rc;
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, v, "zone %s is %s", sc->zone_id, sc->did);
            if (sc->peers && !sc->public_authorities)
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, v, "MezZone %s has MezPeer lines but no "
                             "MezPublicAuthority: a peer's request signed for another zone that trusts the same "
                             "peer is not refused here (name the authorities peers address this zone by)",
                             sc->zone_id);
        }
    }
    return OK;
}

static int handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, MEZ_HANDLER))
        return DECLINED;
    return mez_api_handler(r);
}

/* The zone every request of a zone's virtual host belongs to, for the mez_audit log format, noted before
 * anything can refuse the request (a 401 is logged with its zone too). */
static int note_zone(request_rec *r)
{
    const mez_srv_conf_t *sc = mez_srv_conf(r->server);
    if (sc->zone_id)
        apr_table_setn(r->notes, "mez-zone", sc->zone_id);
    return DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_optional_fn_retrieve(optional_fn_retrieve, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(dbd, post_connect, dbd_post_connect, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(note_zone, NULL, NULL, APR_HOOK_MIDDLE);
    mez_auth_register_hooks(p);
    mez_mass_client_register_hooks(p);
    mez_metrics_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA mez_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* per-directory config */
    NULL,
    mez_create_srv_conf,
    mez_merge_srv_conf,
    mez_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
