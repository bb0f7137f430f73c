/* deploy_spool.c: what `mez zone destroy` leaves so that a zone the admin API made stays destroyed (deploy.h).
 *
 * A zone made by a provisioning request has its request and status in the admin spool, which is the httpd user's:
 * a status there saying "running" makes `mez provision` run the request again (a provisioner killed mid-deploy
 * leaves exactly that), and once the zone's directory is gone nothing in root's data dir said the request had
 * already been served. So destroy (1) removes the request and its status from the spool, when it is the request
 * that made the zone and no provisioner holds its lock: GET /admin/zones/{id} no longer reports a zone that is
 * gone, and the same request may be asked for again; and (2) leaves <data-dir>/archive/<zone>.destroyed.json
 * (root's) naming that request, so that a "running" status for it, forged or left over, is refused by the
 * provisioner (provision.zone_destroyed) instead of making the zone again. A new request (one the provisioner
 * claims afresh, with no status yet) clears that mark: asking again is how a destroyed zone is made anew. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <apr_strings.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/provision.h"
#include "deploy.h"

static const char *mark_path(apr_pool_t *p, const char *data_dir, const char *zone)
{
    return apr_pstrcat(p, data_dir, "/archive/", zone, ".destroyed.json", NULL);
}

int dep_spool_lock(apr_pool_t *p, const char *spool, const char *zone)
{
    int fd = open(apr_pstrcat(p, spool, "/", zone, ".lock", NULL), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

/* The digest of the request a spooled request file holds, or NULL. */
static const char *spooled_digest(apr_pool_t *p, const char *path)
{
    apr_size_t len;
    const char *text = dep_read(p, path, &len);
    json_t *doc;
    mez_digest_t dg;
    mez_problem_t pb = { 0 };
    if (!text || mez_json_parse(p, text, len, &doc, &pb) != MEZ_OK || !json_is_object(json_object_get(doc, "request"))
        || mez_digest_json(p, json_object_get(doc, "request"), &dg, &pb) != MEZ_OK)
        return NULL;
    return mez_digest_format(p, &dg);
}

void dep_provision_forget(apr_pool_t *p, const char *data_dir, const char *zone, const char *request,
                          const char *spool, const char *archive)
{
    const char *text, *err, *rpath, *digest;
    json_t *mark = mez_json_pool_own(p, json_pack("{s:s,s:s,s:s,s:s}", "zone_id", zone, "provision_request", request,
                                                  "destroyed_at", mez_provision_now(p), "archive", archive));
    if (!(text = mez_json_dump(p, mark, 0))
        || dep_write(p, mark_path(p, data_dir, zone), apr_pstrcat(p, text, "\n", NULL), strlen(text) + 1, 0600,
                     &err))
        fprintf(stderr, "mez zone destroy: warning: cannot write %s: the provisioner could make zone %s again from "
                "a status saying running\n", mark_path(p, data_dir, zone), zone);
    if (!spool) {
        printf("zone %s: it was made by a provisioning request: remove %s%s from the admin spool (or pass --spool)\n",
               zone, zone, MEZ_PROVISION_REQUEST_SUFFIX);
        return;
    }
    rpath = apr_pstrcat(p, spool, "/", zone, MEZ_PROVISION_REQUEST_SUFFIX, NULL);
    digest = spooled_digest(p, rpath);
    /* Another request for the zone, queued since, is the admin API's to report and the provisioner's to judge. */
    if (!digest || strcmp(digest, request)) {
        if (dep_exists(p, rpath))
            printf("zone %s: %s is another request than the one that made the zone: left in place\n", zone, rpath);
        return;
    }
    if (unlink(rpath) != 0 && errno != ENOENT)
        fprintf(stderr, "mez zone destroy: warning: cannot remove %s: %s\n", rpath, strerror(errno));
    unlink(apr_pstrcat(p, spool, "/", zone, MEZ_PROVISION_STATUS_SUFFIX, NULL));
    printf("zone %s: its provisioning request removed from %s (ask again to make it anew)\n", zone, spool);
}

const char *dep_destroyed_request(apr_pool_t *p, const char *data_dir, const char *zone)
{
    apr_size_t len;
    const char *text = dep_read(p, mark_path(p, data_dir, zone), &len);
    json_t *mark;
    mez_problem_t pb = { 0 };
    if (!text || mez_json_parse(p, text, len, &mark, &pb) != MEZ_OK)
        return NULL;
    return json_string_value(json_object_get(mark, "provision_request"));
}

void dep_destroyed_clear(apr_pool_t *p, const char *data_dir, const char *zone)
{
    unlink(mark_path(p, data_dir, zone));
}
