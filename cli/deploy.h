/* deploy.h: what `mez deploy` and `mez zone list|status|destroy` share: where a deployed zone lives, the undo
 * journal that makes a failed deploy leave nothing behind, running httpd and other programs, and talking HTTP to
 * a zone. Private to the CLI (cmd_deploy.c, cmd_zone_life.c, deploy_util.c, deploy_httpd.c).
 *
 * A deployed zone is a directory <data-dir>/<zone-id>/:
 *   zone-key.pem     the Ed25519 key (0600, owned by the httpd user)
 *   packs/           the jurisdiction's packs as verified against their stack.lock (MezZoneFile packs/zone.yaml)
 *   tensor.json      the compliance domains the profile and zone file select, with the lock digest
 *   data/            MezDataDir (owned by the httpd user): mez.sqlite for SQLite zones
 *   logs/            the virtual host's error, access and audit logs
 *   operator-token   an operator API token (0600), made once
 *   pgpass           PostgreSQL zones with a password: libpq's password file (0600, owned by the httpd user)
 *   mass.token       a remote Mass's bearer token (0600), copied from --mass-token-file
 *   deploy.json      the record of the deployment (canonical JSON), written last
 * and one <conf-dir>/<zone-id>.conf with its <VirtualHost>. */
#ifndef MEZ_DEPLOY_H
#define MEZ_DEPLOY_H

#include <sys/types.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/problem.h"

#define DEPLOY_RECORD    "deploy.json"
#define DEPLOY_KEY       "zone-key.pem"
/* Where `mez key rotate` archives the keys a zone has rotated from (beside the key file, 0700; each 0600). */
#define DEPLOY_RETIRED_KEYS "retired-keys"
#define DEPLOY_TOKEN     "operator-token"
#define DEPLOY_PGPASS    "pgpass"
#define DEPLOY_MASSTOKEN "mass.token"
#define DEPLOY_TENSOR    "tensor.json"
/* The first line of every generated zone conf names its listen address: the main conf's Listen lines are
 * gathered from these, so zones sharing host:port share one Listen (name-based virtual hosts). */
#define DEPLOY_LISTEN_MARK "# mez-listen "

/* ---- the undo journal: every artifact a deploy creates or replaces, undone in reverse order on failure */
typedef enum {
    UNDO_REMOVE,        /* a file or directory tree that did not exist */
    UNDO_RESTORE,       /* a file that existed: put its old content back */
    UNDO_RENAME_BACK,   /* a directory moved aside: move it back over what replaced it */
    UNDO_DROP_DB,       /* a PostgreSQL database created by the deploy */
    UNDO_STOP_HTTPD,    /* httpd started by the deploy */
    UNDO_RELOAD_HTTPD   /* httpd reloaded with the new configuration: reload again once files are restored */
} undo_kind_t;

typedef struct undo_t {
    undo_kind_t kind;
    const char *path, *aside;      /* REMOVE, RESTORE (path), RENAME_BACK (aside -> path) */
    const char *content;           /* RESTORE */
    apr_size_t len;
    /* RESTORE: the replaced file's mode and owner, put back with its content (a secret such as mass.token or
     * pgpass is 0600 and the httpd user's; restored 0644 and root's it would be readable by all). */
    int mode;
    uid_t uid;
    gid_t gid;
    const char *admin_params, *dbname; /* DROP_DB */
} undo_t;

/* The httpd that serves the zones of one conf dir. */
typedef struct deploy_httpd_t {
    const char *bin;          /* apache2 */
    const char *modules;      /* its module directory */
    const char *mez_module;   /* mod_mez.so */
    const char *root;         /* --httpd-root: a self-contained httpd; NULL: the system's (Debian apache2) */
    const char *conf_dir;     /* the zones' <zone>.conf */
    const char *main_conf;    /* root/httpd.conf, or the Debian conf-available/mez-zones.conf */
    const char *user;         /* what the children run as (when we are root) */
} deploy_httpd_t;

/* ---- files (deploy_util.c) */
int dep_exists(apr_pool_t *p, const char *path);
/* Whether path can be written into an httpd conf as a quoted argument and read back as it is: no double quote,
 * backslash (both quoting's own), dollar sign (httpd expands ${NAME} even inside quotes) or control character. */
int dep_conf_path_ok(const char *path);
int dep_is_dir(apr_pool_t *p, const char *path);
/* The whole file (NUL-terminated), or NULL; NULL at once for anything but a regular file (a FIFO is not waited
 * on). */
const char *dep_read(apr_pool_t *p, const char *path, apr_size_t *len);
/* Writes path atomically (temp file + rename) with mode; 0 or -1 with *err set. */
int dep_write(apr_pool_t *p, const char *path, const char *data, apr_size_t len, int mode, const char **err);
/* dep_write, journaled: REMOVE when new, RESTORE when it replaced something. *changed: 0 when the content was
 * already exactly this (nothing written). */
int dep_write_journaled(apr_pool_t *p, apr_array_header_t *undo, const char *path, const char *data,
                        apr_size_t len, int mode, int *changed, const char **err);
/* mkdir (one level) journaled as REMOVE when created. */
int dep_mkdir(apr_pool_t *p, apr_array_header_t *undo, const char *path, int mode, const char **err);
int dep_copy_tree(apr_pool_t *p, const char *from, const char *to, const char **err);
int dep_trees_equal(apr_pool_t *p, const char *a, const char *b);
int dep_remove_tree(apr_pool_t *p, const char *path);
/* lchown, as root only (0 otherwise). recursive: path and everything under it, walked from directory descriptors
 * (a directory opened O_NOFOLLOW, the rest chowned AT_SYMLINK_NOFOLLOW), so a tree the httpd user can change while
 * root walks it never hands over what a link points at. -1 when something was not given away. */
int dep_chown(const char *path, uid_t uid, gid_t gid, int recursive);
/* The httpd user's uid/gid; 0 when it exists (or we are not root: then *uid and *gid are ours). */
int dep_user(const char *user, uid_t *uid, gid_t *gid);

/* ---- programs */
/* Runs argv[0] (a path) with argv, waits; *out (may be NULL) gets stdout and stderr together. The exit code, or
 * -1 when it could not be started. */
int dep_run(apr_pool_t *p, const char *const *argv, const char **out);

/* ---- HTTP to a zone or a Mass */
/* GET/POST base+path with an optional Host and bearer token; 0 with *status and *body, or -1 with *err (no answer). */
int dep_http(apr_pool_t *p, const char *method, const char *url, const char *host, const char *token,
             const char *body, int *status, json_t **json, const char **err);
/* Waits until GET url answers 200 (or timeout_s passes); the last status (0: no answer). */
int dep_wait_ready(apr_pool_t *p, const char *url, const char *host, int timeout_s, json_t **json);
/* 1 when host:port can be bound now (nobody listens there). */
int dep_port_free(apr_pool_t *p, const char *host, int port);

/* ---- httpd (deploy_httpd.c) */
/* Fills h from options and the environment (MEZ_HTTPD, MEZ_HTTPD_MODULES, MEZ_MODULE), Debian defaults. A NULL
 * user: the User of the existing main conf (the estate's), else www-data. */
void dep_httpd_init(apr_pool_t *p, deploy_httpd_t *h, const char *root, const char *conf_dir, const char *user);
/* The listen addresses ("host:port") and server names of the zone confs in conf_dir (its *.conf files), except skip_zone's. */
void dep_httpd_zones(apr_pool_t *p, const deploy_httpd_t *h, const char *skip_zone, apr_array_header_t **listens,
                     apr_array_header_t **zones);
/* The zone (other than skip_zone) whose conf serves server_name on listen, or NULL. */
const char *dep_httpd_name_owner(apr_pool_t *p, const deploy_httpd_t *h, const char *skip_zone, const char *listen,
                                 const char *server_name);
/* The main configuration text for the zones now in conf_dir (NULL when there is none left). */
const char *dep_httpd_main_text(apr_pool_t *p, const deploy_httpd_t *h);
/* 1 when httpd is running for h. */
int dep_httpd_running(apr_pool_t *p, const deploy_httpd_t *h);
/* Config test; 0 or -1 with *out the messages. */
int dep_httpd_test(apr_pool_t *p, const deploy_httpd_t *h, const char **out);
/* "start", "graceful" or "stop"; 0 or -1 with *out. */
int dep_httpd_ctl(apr_pool_t *p, const deploy_httpd_t *h, const char *action, const char **out);
/* Rewrites the main conf for the zones in conf_dir (journaled when undo is set), then tests it and starts,
 * reloads or (no zone left) stops httpd. *what: "started", "reloaded", "stopped", "unchanged". */
int dep_httpd_apply(apr_pool_t *p, const deploy_httpd_t *h, apr_array_header_t *undo, int conf_changed,
                    const char **what, const char **err);

/* DROP DATABASE dbname (forcing its sessions off) over a connection to the maintenance database. */
int dep_pg_drop(apr_pool_t *p, const char *admin_params, const char *dbname);

/* Undoes the journal in reverse order, printing each step. */
void dep_undo(apr_pool_t *p, apr_array_header_t *undo, const deploy_httpd_t *h);

/* ---- backups (cmd_zone_backup.c): the archive `mez zone backup` writes and `mez zone destroy` keeps */
/* Writes the archive of zone (record rec, <VirtualHost> text conf_text, NULL when gone) to out: its files,
 * its database (SQLite: VACUUM INTO; PostgreSQL: pg_dump, the given binary or one found), logs/ when with_logs,
 * and MANIFEST.json (SHA-256 of every member). 0, or -1 with *err (no archive written). */
int dep_backup(apr_pool_t *p, const char *data_dir, const char *zone, json_t *rec, const char *conf_text,
               const char *pg_dump, int with_logs, const char *out, const char **err);
/* A PostgreSQL client program (pg_dump, psql) in the newest /usr/lib/postgresql/N/bin or /usr/bin, or NULL. */
const char *dep_pg_tool(apr_pool_t *p, const char *name);
/* The value of a directive at the start of a line of an httpd conf text (unquoted), or NULL. */
const char *dep_conf_value(apr_pool_t *p, const char *conf_text, const char *directive);

/* ---- the sanctions lists zone.yaml declares (deploy_sanctions.c) */
/* Where deploy puts the UN list it imports, in the zone's packs (and names it in their zone.yaml). */
#define DEPLOY_UN_LIST "regpacks/un-consolidated.yaml"
struct mez_zone_t;
struct mez_zone_options_t;
struct mez_un_import_t;
typedef struct dep_un_t {
    const char *xml;              /* --sanctions-un: the UN list's XML; NULL: none given */
    int allow_shrink;             /* --sanctions-allow-shrink */
    const char *source_zone;      /* the source's zone.yaml, named in the copy's */
    const char *declared;         /* the declaration no pack of the source holds ("/sanctions_imports/0: ..."),
                                   * NULL when there is none */
    const char *carry;            /* without --sanctions-un: the list an earlier deploy imported, kept */
    struct mez_un_import_t *import; /* with it: the import, read and checked, not yet written */
    const char *summary;          /* what was done, for the packs step's line */
} dep_un_t;
/* Decides what the packs step does with the UN list, writing nothing: with u->xml (a declared list missing from
 * src), the import is read and checked against the list it replaces in packs_path (sanctions.* problems); without
 * it, an earlier import in packs_path is kept (u->carry). u->declared and neither: the zone would have no list. */
int dep_un_plan(apr_pool_t *p, const struct mez_zone_t *src, const char *packs_path, dep_un_t *u, mez_problem_t *pb);
/* Puts the planned list into the packs copy at dir (its regpacks/, zone.yaml and stack.lock); 0 when there is
 * nothing to do or it was done (u->summary), -1 with *err. */
int dep_un_apply(apr_pool_t *p, dep_un_t *u, const char *dir, const struct mez_zone_options_t *opts,
                 const char **err);

/* ---- a zone the admin API made, destroyed (deploy_spool.c) */
/* Takes <spool>/<zone>.lock as a provisioner does: the descriptor (hold it while working), -2 when a provisioner
 * holds it, -1 when it cannot be opened. */
int dep_spool_lock(apr_pool_t *p, const char *spool, const char *zone);
/* After the zone (made by the request whose digest is request) was archived to archive and removed: leaves
 * <data-dir>/archive/<zone>.destroyed.json naming the request, and removes that request and its status from spool
 * (NULL: not known; said). */
void dep_provision_forget(apr_pool_t *p, const char *data_dir, const char *zone, const char *request,
                          const char *spool, const char *archive);
/* The digest of the request whose zone was destroyed (that mark), or NULL; and the mark removed. */
const char *dep_destroyed_request(apr_pool_t *p, const char *data_dir, const char *zone);
void dep_destroyed_clear(apr_pool_t *p, const char *data_dir, const char *zone);

/* ---- records */
/* The record <data-dir>/<zone>/deploy.json, or NULL. */
json_t *dep_record_read(apr_pool_t *p, const char *zone_dir);
/* "http://host:port" as a client reaches a listen address (a wildcard host becomes 127.0.0.1). */
const char *dep_listen_url(apr_pool_t *p, const char *listen);

#endif
