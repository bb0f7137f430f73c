/* deploy_httpd.c: the httpd that serves deployed zones. Two shapes:
 *  - self-contained (--httpd-root R): R/httpd.conf is generated (modules, one Listen per distinct address of the
 *    zones, IncludeOptional <conf-dir>/NAME.conf) and httpd runs as `apache2 -d R -f R/httpd.conf -k start|graceful`;
 *  - the system's Debian apache2: /etc/apache2/conf-available/mez-zones.conf (the Listen lines and the include),
 *    enabled like a2enconf does, and apache2ctl configtest|start|graceful. mod_mez and mod_dbd must be enabled
 *    (a2enmod mez dbd).
 * Each zone's own file holds its <VirtualHost>; zones on one address are told apart by ServerName. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "deploy.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

void dep_httpd_init(apr_pool_t *p, deploy_httpd_t *h, const char *root, const char *conf_dir, const char *user)
{
    memset(h, 0, sizeof(*h));
    h->root = root && *root ? root : NULL;
    h->modules = env_or("MEZ_HTTPD_MODULES", "/usr/lib/apache2/modules");
    h->mez_module = env_or("MEZ_MODULE", apr_pstrcat(p, h->modules, "/mod_mez.so", NULL));
    if (h->root) {
        h->bin = env_or("MEZ_HTTPD", "/usr/sbin/apache2");
        h->conf_dir = conf_dir && *conf_dir ? conf_dir : apr_pstrcat(p, h->root, "/zones", NULL);
        h->main_conf = apr_pstrcat(p, h->root, "/httpd.conf", NULL);
    }
    else {
        h->bin = env_or("MEZ_APACHECTL", "/usr/sbin/apache2ctl");
        h->conf_dir = conf_dir && *conf_dir ? conf_dir : "/etc/apache2/mez-zones";
        h->main_conf = "/etc/apache2/conf-available/mez-zones.conf";
    }
    /* No user given (a deploy without --user, destroy, restore, key rotation): the estate's, the User its main
     * conf already names. The main conf is shared by every zone, so writing another user there would move all
     * of them to it, and zones deployed --user daemon would find their keys and SQLite files not theirs. */
    if (!(h->user = user)) {
        const char *text = dep_read(p, h->main_conf, NULL);
        const char *cur = text ? dep_conf_value(p, text, "User") : NULL;
        h->user = cur && *cur ? cur : "www-data";
    }
}

void dep_httpd_zones(apr_pool_t *p, const deploy_httpd_t *h, const char *skip_zone, apr_array_header_t **listens,
                     apr_array_header_t **zones)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    *listens = apr_array_make(p, 4, sizeof(const char *));
    if (zones)
        *zones = apr_array_make(p, 4, sizeof(const char *));
    if (apr_dir_open(&d, h->conf_dir, p) != APR_SUCCESS)
        return;
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        const char *text, *mark, *zone;
        char *addr, *eol;
        int seen = 0;
        if (n < 6 || strcmp(fi.name + n - 5, ".conf"))
            continue;
        zone = apr_pstrndup(p, fi.name, n - 5);
        if (skip_zone && !strcmp(zone, skip_zone))
            continue;
        text = dep_read(p, apr_pstrcat(p, h->conf_dir, "/", fi.name, NULL), NULL);
        if (!text || !(mark = strstr(text, DEPLOY_LISTEN_MARK)))
            continue;
        addr = apr_pstrdup(p, mark + strlen(DEPLOY_LISTEN_MARK));
        if ((eol = strchr(addr, '\n')))
            *eol = '\0';
        if (zones)
            APR_ARRAY_PUSH(*zones, const char *) = zone;
        for (int i = 0; i < (*listens)->nelts; i++)
            if (!strcmp(APR_ARRAY_IDX(*listens, i, const char *), addr))
                seen = 1;
        if (!seen)
            APR_ARRAY_PUSH(*listens, const char *) = addr;
    }
    apr_dir_close(d);
    /* Sorted, so that the main conf is the same text whatever order the directory lists the zones in. */
    for (int i = 1; i < (*listens)->nelts; i++)
        for (int j = i; j > 0 && strcmp(APR_ARRAY_IDX(*listens, j - 1, const char *),
                                         APR_ARRAY_IDX(*listens, j, const char *)) > 0; j--) {
            const char *t = APR_ARRAY_IDX(*listens, j, const char *);
            APR_ARRAY_IDX(*listens, j, const char *) = APR_ARRAY_IDX(*listens, j - 1, const char *);
            APR_ARRAY_IDX(*listens, j - 1, const char *) = t;
        }
}

const char *dep_httpd_name_owner(apr_pool_t *p, const deploy_httpd_t *h, const char *skip_zone, const char *listen,
                                 const char *server_name)
{
    apr_array_header_t *listens, *zones;
    size_t n = strlen(listen);
    /* Name-based virtual hosts: on one listen address httpd gives a request to the first <VirtualHost> whose
     * ServerName matches its Host (case-insensitively), so a zone with another zone's name would take that
     * zone's traffic, or never get its own, silently. */
    dep_httpd_zones(p, h, skip_zone, &listens, &zones);
    for (int i = 0; i < zones->nelts; i++) {
        const char *zone = APR_ARRAY_IDX(zones, i, const char *);
        const char *text = dep_read(p, apr_pstrcat(p, h->conf_dir, "/", zone, ".conf", NULL), NULL);
        const char *mark = text ? strstr(text, DEPLOY_LISTEN_MARK) : NULL, *name;
        if (!mark)
            continue;
        mark += strlen(DEPLOY_LISTEN_MARK);
        if (strncmp(mark, listen, n) || (mark[n] != '\n' && mark[n] != '\0'))
            continue;
        if ((name = dep_conf_value(p, text, "ServerName")) && !strcasecmp(name, server_name))
            return zone;
    }
    return NULL;
}

/* Modules compiled into the binary (apache2 -l): loading one of them again is an error. */
static int builtin(apr_pool_t *p, const deploy_httpd_t *h, const char *mod)
{
    const char *argv[] = { h->bin, "-l", NULL }, *out = NULL;
    dep_run(p, argv, &out);
    return out && strstr(out, apr_pstrcat(p, mod, ".c", NULL)) != NULL;
}

const char *dep_httpd_main_text(apr_pool_t *p, const deploy_httpd_t *h)
{
    apr_array_header_t *listens;
    const char *t, *m = h->modules;
    dep_httpd_zones(p, h, NULL, &listens, NULL);
    if (!listens->nelts)
        return NULL;
    if (!h->root) {
        t = "# mez-zones.conf: written by `mez deploy` and `mez zone destroy` (rewritten each time): the listen\n"
            "# addresses of the deployed zones and their virtual hosts. Needs `a2enmod mez dbd`.\n";
    }
    else {
        t = apr_psprintf(p,
            "# httpd.conf: written by `mez deploy` and `mez zone destroy` (rewritten each time): one httpd for\n"
            "# the zones whose virtual hosts are in %s.\n"
            "ServerRoot \"%s\"\n"
            "ServerName localhost\n"
            "PidFile \"%s/run/httpd.pid\"\n"
            "DefaultRuntimeDir \"%s/run\"\n"
            "Mutex \"file:%s/run\" default\n"
            "ErrorLog \"%s/logs/error.log\"\n"
            "LogLevel warn\n"
            "LoadModule mpm_event_module %s/mod_mpm_event.so\n"
            "LoadModule authn_core_module %s/mod_authn_core.so\n"
            "LoadModule authz_core_module %s/mod_authz_core.so\n"
            "LoadModule dbd_module %s/mod_dbd.so\n",
            h->conf_dir, h->root, h->root, h->root, h->root, h->root, m, m, m, m);
        if (!builtin(p, h, "mod_log_config"))
            t = apr_psprintf(p, "%sLoadModule log_config_module %s/mod_log_config.so\n", t, m);
        if (!builtin(p, h, "mod_unixd"))
            t = apr_psprintf(p, "%sLoadModule unixd_module %s/mod_unixd.so\n", t, m);
        /* The regulator console's static pages (conf/mez-regulator.conf): files, their types, the index, and the
         * headers that keep the page from being framed or loading anything from elsewhere. */
        {
            static const char *const console_modules[] = { "alias", "mime", "dir", "headers" };
            for (size_t i = 0; i < sizeof(console_modules) / sizeof(console_modules[0]); i++)
                if (!builtin(p, h, apr_pstrcat(p, "mod_", console_modules[i], NULL)))
                    t = apr_psprintf(p, "%sLoadModule %s_module %s/mod_%s.so\n", t, console_modules[i], m,
                                     console_modules[i]);
            t = apr_psprintf(p, "%sTypesConfig %s\n", t,
                             access("/etc/mime.types", R_OK) == 0 ? "/etc/mime.types" : "/dev/null");
        }
        t = apr_psprintf(p, "%sLoadModule mez_module %s\n", t, h->mez_module);
        if (geteuid() == 0)
            t = apr_psprintf(p, "%sUser %s\nGroup %s\n", t, h->user, h->user);
        t = apr_pstrcat(p, t,
            "StartServers 1\nServerLimit 4\nThreadsPerChild 16\nMaxRequestWorkers 64\n"
            "MinSpareThreads 8\nMaxSpareThreads 32\nKeepAliveTimeout 2\nTimeout 30\n", NULL);
    }
    for (int i = 0; i < listens->nelts; i++)
        t = apr_psprintf(p, "%sListen %s\n", t, APR_ARRAY_IDX(listens, i, const char *));
    return apr_psprintf(p, "%sIncludeOptional \"%s/*.conf\"\n", t, h->conf_dir);
}

static int pid_of(apr_pool_t *p, const deploy_httpd_t *h)
{
    const char *path = h->root ? apr_pstrcat(p, h->root, "/run/httpd.pid", NULL)
                               : env_or("MEZ_APACHE_PIDFILE", "/var/run/apache2/apache2.pid");
    const char *text = dep_read(p, path, NULL);
    int pid = text ? atoi(text) : 0;
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) ? pid : 0;
}

int dep_httpd_running(apr_pool_t *p, const deploy_httpd_t *h)
{
    return pid_of(p, h) != 0;
}

int dep_httpd_test(apr_pool_t *p, const deploy_httpd_t *h, const char **out)
{
    const char *self[] = { h->bin, "-t", "-d", h->root, "-f", h->main_conf, NULL };
    const char *sys[] = { h->bin, "configtest", NULL };
    return dep_run(p, h->root ? self : sys, out) == 0 ? 0 : -1;
}

int dep_httpd_ctl(apr_pool_t *p, const deploy_httpd_t *h, const char *action, const char **out)
{
    const char *self[] = { h->bin, "-d", h->root, "-f", h->main_conf, "-k", action, NULL };
    const char *sys[] = { h->bin, action, NULL };
    int pid = pid_of(p, h), rc = dep_run(p, h->root ? self : sys, out);
    if (rc != 0)
        return -1;
    /* -k stop only signals: wait for the parent to be gone, so the ports are free when we return. */
    if (!strcmp(action, "stop") && pid)
        for (int i = 0; i < 200 && (kill(pid, 0) == 0); i++)
            apr_sleep(apr_time_from_msec(50));
    return 0;
}

int dep_httpd_apply(apr_pool_t *p, const deploy_httpd_t *h, apr_array_header_t *undo, int conf_changed,
                    const char **what, const char **err)
{
    const char *text = dep_httpd_main_text(p, h), *out = NULL;
    int running = dep_httpd_running(p, h), changed = 0;
    undo_t *u;

    if (!text) {
        /* No zone left: nothing to serve (httpd would refuse to start without a Listen). The self-contained
         * httpd is stopped with the configuration it runs on, which is removed only once it is gone. */
        if (!h->root) {
            unlink(h->main_conf);
            unlink("/etc/apache2/conf-enabled/mez-zones.conf");
            if (running && dep_httpd_ctl(p, h, "graceful", &out)) {
                *err = apr_psprintf(p, "apache2ctl graceful failed: %s", out);
                return -1;
            }
            *what = "reloaded";
            return 0;
        }
        if (running && dep_httpd_ctl(p, h, "stop", &out)) {
            *err = apr_psprintf(p, "httpd -k stop failed: %s", out);
            return -1;
        }
        unlink(h->main_conf);
        *what = running ? "stopped" : "unchanged";
        return 0;
    }
    if (dep_write_journaled(p, undo, h->main_conf, text, strlen(text), 0644, &changed, err))
        return -1;
    if (!h->root && !dep_exists(p, "/etc/apache2/conf-enabled/mez-zones.conf")) {
        if (symlink("../conf-available/mez-zones.conf", "/etc/apache2/conf-enabled/mez-zones.conf") != 0) {
            *err = apr_psprintf(p, "cannot enable mez-zones.conf: %s", strerror(errno));
            return -1;
        }
        if (undo) {
            u = apr_array_push(undo);
            memset(u, 0, sizeof(*u));
            u->kind = UNDO_REMOVE;
            u->path = "/etc/apache2/conf-enabled/mez-zones.conf";
        }
    }
    if (running && !changed && !conf_changed) {
        *what = "unchanged";
        return 0;
    }
    /* The whole configuration must pass before a running httpd is asked to read it: a graceful restart into a
     * broken configuration would stop every zone it serves. */
    if (dep_httpd_test(p, h, &out)) {
        *err = apr_psprintf(p, "httpd's config test failed:\n%s", out);
        return -1;
    }
    if (dep_httpd_ctl(p, h, running ? "graceful" : "start", &out)) {
        *err = apr_psprintf(p, "httpd %s failed:\n%s", running ? "graceful" : "start", out);
        return -1;
    }
    if (undo) {
        u = apr_array_push(undo);
        memset(u, 0, sizeof(*u));
        u->kind = running ? UNDO_RELOAD_HTTPD : UNDO_STOP_HTTPD;
    }
    *what = running ? "reloaded" : "started";
    return 0;
}

void dep_undo(apr_pool_t *p, apr_array_header_t *undo, const deploy_httpd_t *h)
{
    int reload = 0, stop = 0;
    const char *out, *err;
    for (int i = undo->nelts - 1; i >= 0; i--) {
        const undo_t *u = &APR_ARRAY_IDX(undo, i, undo_t);
        switch (u->kind) {
        case UNDO_STOP_HTTPD:
            stop = 1;
            printf("  undo: stopping the httpd this deploy started\n");
            dep_httpd_ctl(p, h, "stop", &out);
            break;
        case UNDO_RELOAD_HTTPD:
            reload = 1;   /* once every file is back */
            break;
        case UNDO_REMOVE:
            printf("  undo: removing %s\n", u->path);
            dep_remove_tree(p, u->path);
            break;
        case UNDO_RESTORE:
            printf("  undo: restoring %s\n", u->path);
            /* The mode is set before the content lands (dep_write's temp file), the owner right after:
             * a secret is never readable by others on the way back. */
            if (dep_write(p, u->path, u->content, u->len, u->mode, &err))
                fprintf(stderr, "  undo: %s\n", err);
            else if (dep_chown(u->path, u->uid, u->gid, 0))
                fprintf(stderr, "  undo: cannot give %s back to its owner: %s\n", u->path, strerror(errno));
            break;
        case UNDO_RENAME_BACK:
            printf("  undo: restoring %s\n", u->path);
            dep_remove_tree(p, u->path);
            rename(u->aside, u->path);
            break;
        case UNDO_DROP_DB:
            printf("  undo: dropping the database %s\n", u->dbname);
            dep_pg_drop(p, u->admin_params, u->dbname);
            break;
        }
    }
    if (reload && !stop) {
        const char *what;
        printf("  undo: reloading httpd with the previous configuration\n");
        if (dep_httpd_apply(p, h, NULL, 1, &what, &err))
            fprintf(stderr, "  undo: %s\n", err);
    }
    apr_array_clear(undo);
}
