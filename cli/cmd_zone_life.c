/* cmd_zone_life.c: `mez zone list|status|destroy`, the rest of a deployed zone's life (see cmd_deploy.c and
 * deploy.h for what a deployed zone is). destroy keeps an archive of everything the zone was (its key, its
 * database or a dump of it, its chains and audit rows with it, its packs and logs) before anything is removed:
 * the archive of `mez zone backup` (cmd_zone_backup.c), which `mez zone restore` brings back. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/json.h"
#include "deploy.h"
#include "mez_cli.h"

typedef struct life_t {
    const char *data_dir, *conf_dir, *httpd_root, *user, *pg_dump, *spool;
    int yes, json;
} life_t;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez zone list [--data-dir DIR]\n"
        "       mez zone status ZONE [--data-dir DIR]\n"
        "       mez zone destroy ZONE --yes [--data-dir DIR] [--pg-dump PATH] [--spool DIR]\n"
        "list:    the zones `mez deploy` made under DIR (default /var/lib/mez) and their state (ready, degraded,\n"
        "         down), one per line: zone, state, url, profile, database\n"
        "status:  one zone as JSON: /readyz, its endpoints, DID, database, corridors (with its operator token)\n"
        "destroy: stops serving the zone (removes its conf, reloads httpd; stops it when no zone is left), keeps\n"
        "         DIR/archive/<zone>-<UTC time>.tar.gz (the archive of `mez zone backup`, with the logs: key, SQLite\n"
        "         database or a pg_dump of the PostgreSQL one, packs, tokens, deploy record, MANIFEST.json), then\n"
        "         removes DIR/<zone>. Refuses without --yes. `mez zone restore ARCHIVE` brings the zone back. The\n"
        "         PostgreSQL database itself is kept (drop it when the archive is safe). A zone the admin API made\n"
        "         (POST /admin/zones): its request and status are removed from the spool it came from (--spool DIR\n"
        "         for a zone deployed before that was recorded), and DIR/archive/<zone>.destroyed.json names the\n"
        "         request, so `mez provision` does not make the zone again from a status saying running.\n"
        "exit codes: 0 ok, 1 no such zone (or status: not ready), 2 usage or I/O error.\n");
}

static int parse(int argc, const char *const *argv, life_t *a, const char **zone, const char *cmd)
{
    const char *pos[1] = { NULL };
    int npos = 0;
    const mez_cli_opt_t opts[] = {
        { "--data-dir", &a->data_dir, NULL }, { "--yes", NULL, &a->yes }, { "--pg-dump", &a->pg_dump, NULL },
        { "--spool", &a->spool, NULL },
        { NULL, NULL, NULL },
    };
    if (mez_cli_parse_args(argc, argv, opts, pos, zone ? 1 : 0, &npos, cmd) < 0)
        return -1;
    if (zone && !(*zone = pos[0])) {
        fprintf(stderr, "mez %s: which zone?\n", cmd);
        return -1;
    }
    if (zone && (strchr(*zone, '/') || !strcmp(*zone, "..") || !strcmp(*zone, "."))) {
        fprintf(stderr, "mez %s: '%s' is not a zone id\n", cmd, *zone);
        return -1;
    }
    if (!a->data_dir)
        a->data_dir = "/var/lib/mez";
    return 0;
}

/* The zone's readiness as its virtual host answers: "ready", "degraded", "not ready (503)" or "down". */
static const char *state_of(apr_pool_t *p, json_t *rec, json_t **ready)
{
    const char *url = json_string_value(json_object_get(rec, "url")), *err;
    const char *host = json_string_value(json_object_get(rec, "server_name"));
    int status = 0;
    json_t *j = NULL;
    if (!url || dep_http(p, "GET", apr_pstrcat(p, url, "/readyz", NULL), host, NULL, NULL, &status, &j, &err))
        return "down";
    if (ready)
        *ready = j;
    if (status == 200 && json_string_value(json_object_get(j, "status")))
        return json_string_value(json_object_get(j, "status"));
    return apr_psprintf(p, "not ready (%d)", status);
}

static int cmd_list(apr_pool_t *p, int argc, const char *const *argv)
{
    life_t a = { 0 };
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;
    if (parse(argc, argv, &a, NULL, "zone list"))
        return MEZ_EXIT_USAGE;
    if (apr_dir_open(&d, a.data_dir, p) != APR_SUCCESS) {
        printf("no zones (%s does not exist)\n", a.data_dir);
        return MEZ_EXIT_OK;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        json_t *rec;
        if (fi.name[0] == '.' || !(rec = dep_record_read(p, apr_pstrcat(p, a.data_dir, "/", fi.name, NULL))))
            continue;
        printf("%s\t%s\t%s\t%s\t%s\n", fi.name, state_of(p, rec, NULL),
               json_string_value(json_object_get(rec, "url")), json_string_value(json_object_get(rec, "profile")),
               json_string_value(json_object_get(json_object_get(rec, "database"), "target")));
        n++;
    }
    apr_dir_close(d);
    if (!n)
        printf("no zones in %s\n", a.data_dir);
    return MEZ_EXIT_OK;
}

static const char *read_token(apr_pool_t *p, json_t *rec)
{
    const char *path = json_string_value(json_object_get(rec, "operator_token_file"));
    char *t = path ? (char *)dep_read(p, path, NULL) : NULL, *nl;
    if (t && (nl = strchr(t, '\n')))
        *nl = '\0';
    return t;
}

static int cmd_status(apr_pool_t *p, int argc, const char *const *argv)
{
    life_t a = { 0 };
    const char *zone, *url, *host, *token, *err, *state;
    json_t *rec, *out, *ready = NULL, *z = NULL, *corr = NULL;
    int status;
    if (parse(argc, argv, &a, &zone, "zone status"))
        return MEZ_EXIT_USAGE;
    if (!(rec = dep_record_read(p, apr_pstrcat(p, a.data_dir, "/", zone, NULL)))) {
        fprintf(stderr, "mez zone status: no deployed zone '%s' in %s\n", zone, a.data_dir);
        return MEZ_EXIT_INVALID;
    }
    url = json_string_value(json_object_get(rec, "url"));
    host = json_string_value(json_object_get(rec, "server_name"));
    state = state_of(p, rec, &ready);
    out = mez_json_pool_own(p, json_pack("{s:s,s:s,s:O?}", "zone_id", zone, "state", state, "readyz", ready));
    if (url && dep_http(p, "GET", apr_pstrcat(p, url, "/v1/zone", NULL), host, NULL, NULL, &status, &z, &err) == 0
        && status == 200)
        json_object_set(out, "did", json_object_get(z, "did"));
    else
        json_object_set(out, "did", json_object_get(rec, "did"));
    json_object_set_new(out, "endpoints", json_pack("{s:s,s:s,s:s,s:s}", "zone", apr_pstrcat(p, url, "/v1/zone",
                        NULL), "readyz", apr_pstrcat(p, url, "/readyz", NULL), "api", apr_pstrcat(p, url, "/v1/",
                        NULL), "mass", apr_pstrcat(p, url, "/mass/v1/", NULL)));
    json_object_set(out, "database", json_object_get(rec, "database"));
    json_object_set(out, "profile", json_object_get(rec, "profile"));
    json_object_set(out, "listen", json_object_get(rec, "listen"));
    json_object_set(out, "server_name", json_object_get(rec, "server_name"));
    if (json_object_get(rec, "public_authorities"))   /* what peers must address the zone by (MezPublicAuthority) */
        json_object_set(out, "public_authorities", json_object_get(rec, "public_authorities"));
    json_object_set(out, "conf_file", json_object_get(rec, "conf_file"));
    if ((token = read_token(p, rec)) && url
        && dep_http(p, "GET", apr_pstrcat(p, url, "/v1/corridors", NULL), host, token, NULL, &status, &corr, &err)
               == 0 && status == 200) {
        json_t *list = json_array(), *c;
        size_t i;
        json_array_foreach(json_object_get(corr, "corridors"), i, c)
            json_array_append_new(list, json_pack("{s:O?,s:O?,s:O?,s:O?}", "corridor_id",
                                                  json_object_get(c, "corridor_id"), "peer_zone_id",
                                                  json_object_get(c, "peer_zone_id"), "state",
                                                  json_object_get(c, "state"), "size", json_object_get(c, "size")));
        json_object_set_new(out, "corridors", list);
    }
    printf("%s\n", mez_json_dump(p, out, 1));
    return strcmp(state, "ready") && strcmp(state, "degraded") ? MEZ_EXIT_INVALID : MEZ_EXIT_OK;
}

static apr_status_t close_fd(void *fd)
{
    close((int)(intptr_t)fd);
    return APR_SUCCESS;
}

static int cmd_destroy(apr_pool_t *p, int argc, const char *const *argv)
{
    life_t a = { 0 };
    deploy_httpd_t h;
    const char *zone, *zone_dir, *conf, *archive_dir, *archive, *err, *what, *old, *driver, *request, *spool;
    apr_size_t oldlen = 0;
    apr_time_exp_t tm;
    json_t *rec;
    char stamp[32];
    apr_size_t sl;

    if (parse(argc, argv, &a, &zone, "zone destroy"))
        return MEZ_EXIT_USAGE;
    zone_dir = apr_pstrcat(p, a.data_dir, "/", zone, NULL);
    if (!(rec = dep_record_read(p, zone_dir))) {
        fprintf(stderr, "mez zone destroy: no deployed zone '%s' in %s\n", zone, a.data_dir);
        return MEZ_EXIT_INVALID;
    }
    if (!a.yes) {
        fprintf(stderr, "mez zone destroy: this stops serving zone %s and removes %s (an archive is kept in "
                "%s/archive): confirm with --yes\n", zone, zone_dir, a.data_dir);
        return MEZ_EXIT_USAGE;
    }
    /* A zone a provisioning request made: no provisioner may be deploying it while it is destroyed (the lock is
     * held to the end, and the request is taken out of the spool once the zone is gone). */
    request = json_string_value(json_object_get(rec, "provision_request"));
    spool = a.spool ? a.spool : json_string_value(json_object_get(rec, "provision_spool"));
    if (request && spool) {
        int fd = dep_spool_lock(p, spool, zone);
        if (fd == -2) {
            fprintf(stderr, "mez zone destroy: a provisioner is working on zone %s's request (%s/%s.lock): destroy "
                    "it once that run is over\n", zone, spool, zone);
            return MEZ_EXIT_USAGE;
        }
        if (fd >= 0)
            apr_pool_cleanup_register(p, (void *)(intptr_t)fd, close_fd, apr_pool_cleanup_null);
    }
    conf = json_string_value(json_object_get(rec, "conf_file"));
    driver = json_string_value(json_object_get(json_object_get(rec, "database"), "driver"));
    dep_httpd_init(p, &h, json_string_value(json_object_get(rec, "httpd_root")),
                   json_string_value(json_object_get(rec, "conf_dir")), NULL);

    /* 1. Stop serving it, so what is archived is what the zone ended with. */
    old = conf ? dep_read(p, conf, &oldlen) : NULL;
    if (old) {
        if (unlink(conf) != 0) {
            fprintf(stderr, "mez zone destroy: cannot remove %s\n", conf);
            return MEZ_EXIT_USAGE;
        }
        if (dep_httpd_apply(p, &h, NULL, 1, &what, &err)) {
            fprintf(stderr, "mez zone destroy: %s\nputting %s back\n", err, conf);
            dep_write(p, conf, old, oldlen, 0644, &err);
            dep_httpd_apply(p, &h, NULL, 1, &what, &err);
            return MEZ_EXIT_USAGE;
        }
        printf("zone %s: %s removed, httpd %s\n", zone, conf, what);
    }
    /* 2. The archive: the same as `mez zone backup` writes (so `mez zone restore` brings the zone back), with
     * its logs too. A PostgreSQL zone's database (its chains, audit rows, registers) is dumped into it. */
    archive_dir = apr_pstrcat(p, a.data_dir, "/archive", NULL);
    if (dep_mkdir(p, NULL, archive_dir, 0700, &err)) {
        fprintf(stderr, "mez zone destroy: %s\nnothing removed\n", err);
        goto restore;
    }
    apr_time_exp_gmt(&tm, apr_time_now());
    apr_strftime(stamp, &sl, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    archive = apr_psprintf(p, "%s/%s-%s.tar.gz", archive_dir, zone, stamp);
    if (dep_backup(p, a.data_dir, zone, rec, old, a.pg_dump, 1, archive, &err)) {
        fprintf(stderr, "mez zone destroy: %s\nnothing removed\n", err);
        goto restore;
    }
    printf("zone %s: archived to %s\n", zone, archive);
    /* 3. Only now the zone's files. */
    if (dep_remove_tree(p, zone_dir) != 0) {
        fprintf(stderr, "mez zone destroy: could not remove all of %s\n", zone_dir);
        return MEZ_EXIT_USAGE;
    }
    printf("zone %s: %s removed%s\n", zone, zone_dir,
           driver && !strcmp(driver, "pgsql") ? " (its PostgreSQL database is kept; the archive has a dump)" : "");
    if (request)
        dep_provision_forget(p, a.data_dir, zone, request, spool, archive);
    return MEZ_EXIT_OK;
restore:
    if (old) {
        dep_write(p, conf, old, oldlen, 0644, &err);
        dep_httpd_apply(p, &h, NULL, 1, &what, &err);
        printf("zone %s: serving again (%s restored)\n", zone, conf);
    }
    return MEZ_EXIT_USAGE;
}

int mez_cmd_zone_life(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (mez_cli_wants_help(argc, argv)) {
        usage(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "list")) return cmd_list(p, argc - 1, argv + 1);
    if (!strcmp(sub, "status")) return cmd_status(p, argc - 1, argv + 1);
    if (!strcmp(sub, "destroy")) return cmd_destroy(p, argc - 1, argv + 1);
    usage(stderr);
    return MEZ_EXIT_USAGE;
}
