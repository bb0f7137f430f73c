/* mod_mez_admin.c: self-service zone provisioning on an admin virtual host: POST /admin/zones queues a zone,
 * GET /admin/zones/{id} reports its progress, GET /admin/zones lists them.
 *
 * Why a spool: this handler runs as the httpd user, which must not write the httpd configuration, other zones'
 * keys, or reload httpd. So it only checks a request (mez_provision_check, the very checks `mez deploy` starts
 * with, same codes and words) and writes <MezAdminSpool>/<id>.request.json; `mez provision` (root, or whoever
 * runs deploy) takes it, runs deploy's code in-process and leaves <id>.status.json, which GET reads back.
 *
 * Why MezAdminId: the admin host is not a zone (no key, no packs), but AuthType mez needs a name to look tokens
 * up by. The admin host has its own mod_dbd database (migrated with `mez db migrate`, either driver) holding its
 * tokens, made with `mez token create --zone <MezAdminId> --role operator`, and its audit chain: each queued
 * request appends an audit row (action zone.provision.request) in the same transaction as the spool file is
 * created. A token of a zone is never valid here, nor an admin token on a zone (different database and id).
 * Only the operator role may use these routes; the handler checks that itself too, so a configuration that
 * forgets the Require lines fails closed (401/403), not open. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mez/audit.h"
#include "mez/file.h"
#include "mez/json.h"
#include "mez/provision.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define ADMIN_ZONES "/admin/zones"
#define MAX_SPOOL_FILE (1024 * 1024)

/* ---------------------------------------------------------------- directives */

const char *mez_set_admin_id(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    (void)dc;
    if (err)
        return err;
    if (!mez_provision_zone_id_ok(arg) || arg[strlen(arg) - 1] == '-')
        return apr_psprintf(cmd->pool, "MezAdminId: '%s' is not a valid id (a-z, 0-9 and '-', as a zone id)", arg);
    mez_srv_conf(cmd->server)->admin_id = arg;
    return NULL;
}

const char *mez_set_admin_spool(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return mez_conf_existing_path(cmd, "MezAdminSpool", arg, 1, &mez_srv_conf(cmd->server)->admin_spool);
}

const char *mez_set_admin_packs_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return mez_conf_existing_path(cmd, "MezAdminPacksDir", arg, 1, &mez_srv_conf(cmd->server)->admin_packs_dir);
}

const char *mez_set_admin_peers_file(cmd_parms *cmd, void *dc, const char *arg)
{
    (void)dc;
    return mez_conf_existing_path(cmd, "MezAdminPeersFile", arg, 0, &mez_srv_conf(cmd->server)->admin_peers_file);
}

int mez_admin_post_config(apr_pool_t *pconf, server_rec *s)
{
    for (server_rec *v = s; v; v = v->next) {
        mez_srv_conf_t *sc = mez_srv_conf(v);
        if (!sc->admin_spool && !sc->admin_id)
            continue;
        if (sc->zone_id) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "MezAdminSpool/MezAdminId on a virtual host that serves "
                         "zone %s: give the admin API a virtual host of its own (no MezZone there nor in the main "
                         "server)", sc->zone_id);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!sc->admin_spool || !sc->admin_id || !sc->admin_packs_dir) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, v, "the admin API needs MezAdminId (its tokens' name), "
                         "MezAdminSpool and MezAdminPacksDir together");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!sc->sqlite_writer
            && apr_thread_mutex_create(&sc->sqlite_writer, APR_THREAD_MUTEX_DEFAULT, pconf) != APR_SUCCESS)
            return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* ---------------------------------------------------------------- spool files */

static const char *spool_path(request_rec *r, const mez_srv_conf_t *sc, const char *id, const char *suffix)
{
    return apr_pstrcat(r->pool, sc->admin_spool, "/", id, suffix, NULL);
}

/* A spool file as JSON: MEZ_OK, or MEZ_EIO with *missing set when there is none. Never through a symlink. */
static mez_status_t read_spool(request_rec *r, const char *path, json_t **doc, int *missing, mez_problem_t *pb)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    char *buf;
    ssize_t n, off = 0;
    *missing = 0;
    if (fd < 0) {
        *missing = errno == ENOENT;
        return mez_problem(pb, r->pool, MEZ_EIO, 500, "provision.spool_unreadable", NULL, "cannot read %s: %s",
                           path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_SPOOL_FILE) {
        close(fd);
        return mez_problem(pb, r->pool, MEZ_EIO, 500, "provision.spool_unreadable", NULL,
                           "%s is not a spool file", path);
    }
    buf = apr_palloc(r->pool, (apr_size_t)st.st_size + 1);
    while (off < st.st_size && (n = read(fd, buf + off, (size_t)(st.st_size - off))) > 0)
        off += n;
    close(fd);
    buf[off] = '\0';
    if (mez_json_parse(r->pool, buf, (size_t)off, doc, pb) != MEZ_OK || !json_is_object(*doc))
        return mez_problem(pb, r->pool, MEZ_EIO, 500, "provision.spool_unreadable", NULL,
                           "%s is not a JSON object", path);
    return MEZ_OK;
}

/* Creates path with text, exclusively and whole: written to a temporary name, then linked to path (which fails,
 * leaving nothing, when path exists). 0, 1 when it existed, -1 with errno otherwise. */
static int create_exclusive(request_rec *r, const char *path, const char *text)
{
    const char *tmp = apr_psprintf(r->pool, "%s.%" APR_PID_T_FMT ".%" APR_TIME_T_FMT ".tmp", path, getpid(),
                                   apr_time_now());
    int rc, saved;
    if (mez_file_create_durable(tmp, text, strlen(text), 0644) != 0)
        return -1;
    rc = link(tmp, path);
    saved = errno;
    unlink(tmp);
    errno = saved;
    return rc == 0 ? 0 : errno == EEXIST ? 1 : -1;
}

/* The status document of zone id: the provisioner's, or "queued" while only the request exists; with the request
 * and who asked for it. MEZ_EINVAL 404 provision.not_found when nothing is spooled for id. */
static mez_status_t status_of(request_rec *r, const mez_srv_conf_t *sc, const char *id, json_t **out,
                              mez_problem_t *pb)
{
    json_t *req, *st = NULL;
    int missing;
    if (read_spool(r, spool_path(r, sc, id, MEZ_PROVISION_REQUEST_SUFFIX), &req, &missing, pb) != MEZ_OK)
        return missing ? mez_problem(pb, r->pool, MEZ_EINVAL, 404, "provision.not_found", NULL,
                                     "no zone %s was asked for here", id)
                       : MEZ_EIO;
    if (read_spool(r, spool_path(r, sc, id, MEZ_PROVISION_STATUS_SUFFIX), &st, &missing, pb) != MEZ_OK) {
        if (!missing)
            return MEZ_EIO;
        st = mez_json_pool_own(r->pool, json_pack("{s:s,s:s,s:[]}", "zone_id", id, "state", "queued", "steps"));
    }
    else if (!json_is_string(json_object_get(st, "state")))
        return mez_problem(pb, r->pool, MEZ_EIO, 500, "provision.spool_unreadable", NULL,
                           "the status of zone %s has no state", id);
    json_object_set_new(st, "zone_id", json_string(id));
    json_object_set(st, "request", json_object_get(req, "request"));
    json_object_set(st, "requested_at", json_object_get(req, "requested_at"));
    if (!json_is_array(json_object_get(st, "steps")))
        json_object_set_new(st, "steps", json_array());
    *out = st;
    return MEZ_OK;
}

/* ---------------------------------------------------------------- routes */

static int not_found(request_rec *r)
{
    mez_problem_t pb = { 0 };
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}

static int post_zone(request_rec *r, mez_srv_conf_t *sc)
{
    static const char *const allowed[] = { "jurisdiction", "profile", "corridors", "mass_api", "listen",
                                           "server_name", "database", "mode", "public_authority", NULL };
    mez_problem_t pb = { 0 };
    mez_provision_env_t env = { 0 };
    mez_provision_t prov;
    mez_audit_event_t ev;
    json_t *body, *request, *doc, *existing, *status;
    const char *text, *path, *mine, *theirs, *location;
    mez_db_t *db;
    mez_db_tx_t *tx;
    int rc, missing;

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_object(body)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.not_an_object", "", "the body must be a JSON object");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_check_members(r, body, "", allowed, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    env.profile_dir = sc->profile_dir;
    env.packs_dir = sc->admin_packs_dir;
    env.peers_file = sc->admin_peers_file;
    if (mez_provision_check(r->pool, body, &env, &prov, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    request = mez_json_pool_own(r->pool, mez_provision_request_json(&prov));
    doc = mez_json_pool_own(r->pool, json_pack("{s:s,s:O,s:s,s:s,s:s}", "format", "mez-provision-request/1",
                                                "request", request, "requested_at", mez_provision_now(r->pool),
                                                "requested_by", mez_request_actor(r), "request_id",
                                                mez_request_id(r)));
    if (mez_json_canonicalize(r->pool, doc, &text, NULL, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    text = apr_pstrcat(r->pool, text, "\n", NULL);
    path = spool_path(r, sc, prov.zone_id, MEZ_PROVISION_REQUEST_SUFFIX);
    location = apr_pstrcat(r->pool, ADMIN_ZONES "/", prov.zone_id, NULL);

    /* The audit row and the spool file: both or neither (the file is removed again if the commit fails). */
    if (!(db = mez_request_db_or_problem(r, "for the audit row", &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (mez_db_begin(r->pool, db, &tx, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    rc = create_exclusive(r, path, text);
    if (rc < 0) {
        mez_db_rollback(r->pool, tx);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r, "cannot create %s", path);
        mez_problem(&pb, r->pool, MEZ_EIO, 500, "provision.spool_unwritable", NULL,
                    "the request could not be queued (the spool is not writable)");
        return mez_send_problem(r, &pb, NULL);
    }
    if (rc == 1) {
        /* Asked for already: the same request again gets the first answer (with today's status); another
         * request for that zone is a conflict. */
        mez_db_rollback(r->pool, tx);
        if (read_spool(r, path, &existing, &missing, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        if (mez_json_canonicalize(r->pool, request, &mine, NULL, &pb) != MEZ_OK
            || !json_object_get(existing, "request")
            || mez_json_canonicalize(r->pool, json_object_get(existing, "request"), &theirs, NULL, &pb) != MEZ_OK
            || strcmp(mine, theirs)) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "provision.exists", "/jurisdiction",
                        "zone %s was asked for already, with other settings (GET %s)", prov.zone_id, location);
            return mez_send_problem(r, &pb, NULL);
        }
        if (status_of(r, sc, prov.zone_id, &status, &pb) != MEZ_OK)
            return mez_send_problem(r, &pb, NULL);
        apr_table_setn(r->notes, "mez-action", "zone.provision.replay");
        apr_table_setn(r->headers_out, "Location", location);
        return mez_send_json(r, HTTP_ACCEPTED, json_incref(status));
    }
    mez_request_audit_event(r, "zone.provision.request", "zone", prov.zone_id, "committed",
                            json_pack("{s:O}", "request", request), &ev);
    ev.zone_id = sc->admin_id;   /* the admin host's own chain */
    if (mez_audit_append(r->pool, db, &ev, &pb) != MEZ_OK || mez_db_commit(r->pool, tx, &pb) != MEZ_OK) {
        mez_db_rollback(r->pool, tx);
        unlink(path);
        return mez_send_problem(r, &pb, NULL);
    }
    apr_table_setn(r->notes, "mez-action", "zone.provision.request");
    if (status_of(r, sc, prov.zone_id, &status, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    apr_table_setn(r->headers_out, "Location", location);
    return mez_send_json(r, HTTP_ACCEPTED, json_incref(status));
}

static int list_zones(request_rec *r, mez_srv_conf_t *sc)
{
    apr_array_header_t *ids;
    mez_problem_t pb = { 0 };
    json_t *list = json_array(), *out = json_pack("{s:o}", "zones", list);
    mez_json_pool_own(r->pool, out);
    if (mez_provision_spool_requests(r->pool, sc->admin_spool, &ids, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    for (int i = 0; i < ids->nelts; i++) {
        json_t *st;
        if (status_of(r, sc, APR_ARRAY_IDX(ids, i, const char *), &st, &pb) == MEZ_OK)
            json_array_append(list, st);
    }
    return mez_send_json(r, HTTP_OK, json_incref(out));
}

static int get_zone_status(request_rec *r, mez_srv_conf_t *sc, const char *id)
{
    mez_problem_t pb = { 0 };
    json_t *st;
    if (status_of(r, sc, id, &st, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, HTTP_OK, json_incref(st));
}

int mez_admin_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *role = apr_table_get(r->notes, "mez-role"), *id;

    if (!sc->admin_spool)
        return not_found(r);   /* a zone's host, or any other: these routes exist on the admin host only */
    if (!r->user || !role) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       apr_psprintf(r->pool, "Bearer realm=\"%s\"", sc->admin_id));
        mez_problem(&pb, r->pool, MEZ_EINVAL, 401, "auth.missing_token", NULL,
                    "this route needs an Authorization: Bearer token of the operator role (AuthType mez)");
        return mez_send_problem(r, &pb, NULL);
    }
    if (strcmp(role, "operator")) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.forbidden_role", NULL,
                    "role %s may not use this route (allowed: operator)", role);
        return mez_send_problem(r, &pb, NULL);
    }
    if (!strcmp(r->uri, ADMIN_ZONES)) {
        if (r->method_number == M_GET)
            return list_zones(r, sc);
        if (r->method_number == M_POST)
            return post_zone(r, sc);
        return mez_send_method_not_allowed(r, "GET, POST");
    }
    id = r->uri + strlen(ADMIN_ZONES "/");
    if (strncmp(r->uri, ADMIN_ZONES "/", strlen(ADMIN_ZONES "/")) || !mez_provision_zone_id_ok(id))
        return not_found(r);
    if (r->method_number != M_GET)
        return mez_send_method_not_allowed(r, "GET, HEAD");
    return get_zone_status(r, sc, id);
}
