/* cmd_zone_backup.c: `mez zone backup ZONE [--out FILE]` and `mez zone restore ARCHIVE`, and the archive that
 * `mez zone destroy` keeps (the same format, so a destroyed zone is restored with the same command).
 *
 * An archive is a tar.gz of one directory <zone>/ laid out like the zone dir (see deploy.h):
 *   zone-key.pem, operator-token, deploy.json, tensor.json, pgpass, mass.token (those the zone has)
 *   packs/              the verified packs with their stack.lock
 *   vhost.conf          the zone's <VirtualHost> as deployed (its MezPeer lines name the corridors' peers)
 *   data/mez.sqlite     SQLite zones: an online-consistent copy (VACUUM INTO: one read transaction, so a zone
 *                       serving writes in WAL mode is copied as of one instant, never a torn copy of the files)
 *   database.sql        PostgreSQL zones: pg_dump (plain SQL) over the zone's own DBDParams (passfile=)
 *   logs/               only in destroy's archive
 *   MANIFEST.json       canonical JSON: format, zone, DID, time, and the SHA-256 and size of every other member
 * restore refuses an archive whose members are not exactly the manifest's (a missing, extra, changed or
 * non-regular member), then puts the files back, restores the database, and brings the zone up by running
 * `mez deploy` itself with the zone's recorded arguments: the same checks, steps, undo and readiness wait. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/store.h"
#include "deploy.h"
#include "mez_cli.h"

#define BACKUP_MANIFEST "MANIFEST.json"
#define BACKUP_FORMAT   "mez-backup/1"
#define BACKUP_VHOST    "vhost.conf"
#define BACKUP_PGDUMP   "database.sql"
#define BACKUP_SQLITE   "data/mez.sqlite"

const char *dep_pg_tool(apr_pool_t *p, const char *name)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int best = -1;
    const char *found = NULL;
    if (apr_dir_open(&d, "/usr/lib/postgresql", p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            const char *c = apr_pstrcat(p, "/usr/lib/postgresql/", fi.name, "/bin/", name, NULL);
            if (atoi(fi.name) > best && access(c, X_OK) == 0) {
                best = atoi(fi.name);
                found = c;
            }
        }
        apr_dir_close(d);
    }
    if (!found && access(apr_pstrcat(p, "/usr/bin/", name, NULL), X_OK) == 0)
        found = apr_pstrcat(p, "/usr/bin/", name, NULL);
    return found;
}

const char *dep_conf_value(apr_pool_t *p, const char *conf_text, const char *directive)
{
    const char *s = conf_text, *key = apr_pstrcat(p, directive, " ", NULL), *e;
    while (s && (s = strstr(s, key))) {
        /* only at the start of a line (after indentation) */
        const char *b = s;
        while (b > conf_text && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b == conf_text || b[-1] == '\n') {
            s += strlen(key);
            if (*s == '"') {
                e = strchr(++s, '"');
                return e ? apr_pstrndup(p, s, (apr_size_t)(e - s)) : NULL;
            }
            e = strchr(s, '\n');
            return e ? apr_pstrndup(p, s, (apr_size_t)(e - s)) : apr_pstrdup(p, s);
        }
        s += strlen(key);
    }
    return NULL;
}

/* Every regular file under root/rel, relative paths, sorted; -1 with *err on anything but files and dirs. */
static int walk(apr_pool_t *p, const char *root, const char *rel, apr_array_header_t *out, const char **err)
{
    const char *dir = *rel ? apr_pstrcat(p, root, "/", rel, NULL) : root;
    apr_dir_t *d;
    apr_finfo_t fi;
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot read %s", dir);
        return -1;
    }
    /* names only (apr_dir_read answers APR_INCOMPLETE for what it cannot fill), then lstat: a link is refused */
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *r;
        struct stat st;
        if (!strcmp(fi.name, ".") || !strcmp(fi.name, ".."))
            continue;
        r = *rel ? apr_pstrcat(p, rel, "/", fi.name, NULL) : apr_pstrdup(p, fi.name);
        if (lstat(apr_pstrcat(p, root, "/", r, NULL), &st) != 0) {
            *err = apr_psprintf(p, "cannot stat %s", r);
            apr_dir_close(d);
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (walk(p, root, r, out, err)) {
                apr_dir_close(d);
                return -1;
            }
        }
        else if (S_ISREG(st.st_mode))
            APR_ARRAY_PUSH(out, const char *) = r;
        else {
            *err = apr_psprintf(p, "%s is neither a file nor a directory", r);
            apr_dir_close(d);
            return -1;
        }
    }
    apr_dir_close(d);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *sha256_of(apr_pool_t *p, const char *path, apr_size_t *len)
{
    const char *data = dep_read(p, path, len);
    mez_digest_t dg;
    if (!data)
        return NULL;
    mez_digest_sha256(data, *len, &dg);
    return mez_digest_hex(p, &dg);
}

static int copy_file(apr_pool_t *p, const char *from, const char *to, int mode, int required, const char **err)
{
    apr_size_t len;
    const char *data = dep_read(p, from, &len);
    if (!data) {
        if (!required)
            return 0;
        *err = apr_psprintf(p, "cannot read %s", from);
        return -1;
    }
    return dep_write(p, to, data, len, mode, err);
}

/* The keys the zone has rotated from, as `mez key rotate` archived them: the previous key signs the notices a peer
 * not yet told needs (`mez key notify`), and proves what it signed; docs/08 says to keep them with the backups. */
static int copy_retired_keys(apr_pool_t *p, const char *zone_dir, const char *sz, const char **err)
{
    const char *from = apr_pstrcat(p, zone_dir, "/" DEPLOY_RETIRED_KEYS, NULL);
    const char *to = apr_pstrcat(p, sz, "/" DEPLOY_RETIRED_KEYS, NULL);
    apr_dir_t *dir;
    apr_finfo_t fi;
    int rc = 0;
    if (!dep_is_dir(p, from))
        return 0;
    if ((mkdir(to, 0700) != 0 || chmod(to, 0700) != 0) || apr_dir_open(&dir, from, p) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot copy %s", from);
        return -1;
    }
    /* names only (as walk() reads them), then lstat: a link is not followed */
    while (!rc && apr_dir_read(&fi, APR_FINFO_NAME, dir) == APR_SUCCESS) {
        const char *path = apr_pstrcat(p, from, "/", fi.name, NULL);
        size_t n = strlen(fi.name);
        struct stat st;
        if (n < 5 || strcmp(fi.name + n - 4, ".pem") || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        rc = copy_file(p, path, apr_pstrcat(p, to, "/", fi.name, NULL), 0600, 1, err);
    }
    apr_dir_close(dir);
    return rc;
}

static const char *sql_quote(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 3), *o = out;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'')
            *o++ = '\'';
        *o++ = *s;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

int dep_backup(apr_pool_t *p, const char *data_dir, const char *zone, json_t *rec, const char *conf_text,
               const char *pg_dump, int with_logs, const char *out, const char **err)
{
    const char *zone_dir = apr_pstrcat(p, data_dir, "/", zone, NULL);
    const char *staging = apr_psprintf(p, "%s/.backup-%s-%ld", data_dir, zone, (long)getpid());
    const char *sz = apr_pstrcat(p, staging, "/", zone, NULL), *driver, *params, *text, *tout = NULL;
    const char *tmp = apr_pstrcat(p, out, ".tmp", NULL), *db_member;
    static const char *const secrets[] = { DEPLOY_KEY, DEPLOY_TOKEN, DEPLOY_PGPASS, DEPLOY_MASSTOKEN };
    static const char *const plain[] = { DEPLOY_RECORD, DEPLOY_TENSOR };
    apr_array_header_t *files = apr_array_make(p, 64, sizeof(const char *));
    json_t *members = json_array(), *man;
    mez_problem_t pb = { 0 };
    apr_time_exp_t tm;
    char stamp[32];
    apr_size_t sl;

    driver = json_string_value(json_object_get(json_object_get(rec, "database"), "driver"));
    params = conf_text ? dep_conf_value(p, conf_text, "DBDParams") : NULL;
    if (!params && driver && !strcmp(driver, "sqlite3")) {
        /* no conf left (removed by hand): the record names the file ("sqlite3 PATH") */
        const char *t = json_string_value(json_object_get(json_object_get(rec, "database"), "target"));
        params = t && !strncmp(t, "sqlite3 ", 8) ? t + 8 : NULL;
    }
    if (!driver || !params) {
        json_decref(members);
        *err = apr_psprintf(p, "zone %s: its conf names no database (DBDParams)", zone);
        return -1;
    }
    dep_remove_tree(p, staging);
    /* The staging dir keeps the copies private; inside, the zone's own modes (deploy's 0755 dirs: the httpd
     * user must traverse them once restored). */
    if (mkdir(staging, 0700) != 0 || mkdir(sz, 0755) != 0 || chmod(sz, 0755) != 0) {
        json_decref(members);
        *err = apr_psprintf(p, "cannot create %s", sz);
        return -1;
    }
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (copy_file(p, apr_pstrcat(p, zone_dir, "/", secrets[i], NULL), apr_pstrcat(p, sz, "/", secrets[i], NULL),
                      0600, i == 0, err))
            goto fail;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (copy_file(p, apr_pstrcat(p, zone_dir, "/", plain[i], NULL), apr_pstrcat(p, sz, "/", plain[i], NULL),
                      0644, i == 0, err))
            goto fail;
    if (copy_retired_keys(p, zone_dir, sz, err))
        goto fail;
    if (!dep_exists(p, apr_pstrcat(p, zone_dir, "/packs/stack.lock", NULL))) {
        *err = apr_psprintf(p, "%s/packs/stack.lock is missing", zone_dir);
        goto fail;
    }
    if (dep_copy_tree(p, apr_pstrcat(p, zone_dir, "/packs", NULL), apr_pstrcat(p, sz, "/packs", NULL), err)
        || (conf_text
            && dep_write(p, apr_pstrcat(p, sz, "/" BACKUP_VHOST, NULL), conf_text, strlen(conf_text), 0644, err)))
        goto fail;
    if (with_logs && dep_is_dir(p, apr_pstrcat(p, zone_dir, "/logs", NULL))
        && dep_copy_tree(p, apr_pstrcat(p, zone_dir, "/logs", NULL), apr_pstrcat(p, sz, "/logs", NULL), err))
        goto fail;

    if (!strcmp(driver, "pgsql")) {
        const char *bin = pg_dump ? pg_dump : dep_pg_tool(p, "pg_dump");
        const char *argv[] = { bin, "--no-owner", "--no-privileges", "-f",
                               apr_pstrcat(p, sz, "/" BACKUP_PGDUMP, NULL), "-d", params, NULL };
        if (!bin) {
            *err = "pg_dump not found (--pg-dump PATH)";
            goto fail;
        }
        if (dep_run(p, argv, &tout) != 0) {
            *err = apr_psprintf(p, "pg_dump failed: %s", tout);
            goto fail;
        }
        db_member = BACKUP_PGDUMP;
    }
    else {
        apr_pool_t *sub;
        mez_db_t *db;
        const char *copy = apr_pstrcat(p, sz, "/" BACKUP_SQLITE, NULL);
        int rc;
        if (!dep_exists(p, params)) {
            *err = apr_psprintf(p, "the zone's database %s is missing", params);
            goto fail;
        }
        const char *ddir = apr_pstrcat(p, sz, "/data", NULL);
        if (mkdir(ddir, 0755) != 0 || chmod(ddir, 0755) != 0) {
            *err = "cannot create the staging data dir";
            goto fail;
        }
        /* One read transaction of the live database (WAL or not): a consistent copy with the WAL folded in. */
        apr_pool_create(&sub, p);
        rc = mez_db_open(sub, "sqlite3", params, &db, &pb) == MEZ_OK
             && mez_db_exec(sub, db, apr_pstrcat(sub, "VACUUM INTO ", sql_quote(sub, copy), NULL), &pb) == MEZ_OK;
        apr_pool_destroy(sub);
        if (!rc) {
            *err = apr_psprintf(p, "copying %s: %s", params, pb.detail ? pb.detail : "failed");
            goto fail;
        }
        db_member = BACKUP_SQLITE;
    }

    /* The manifest: every member but itself, sorted, with its digest. */
    if (walk(p, sz, "", files, err))
        goto fail;
    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), cmp_str);
    for (int i = 0; i < files->nelts; i++) {
        const char *rel = APR_ARRAY_IDX(files, i, const char *), *h;
        apr_size_t len = 0;
        if (!(h = sha256_of(p, apr_pstrcat(p, sz, "/", rel, NULL), &len))) {
            *err = apr_psprintf(p, "cannot read %s", rel);
            goto fail;
        }
        json_array_append_new(members, json_pack("{s:s,s:s,s:I}", "path", rel, "sha256", h, "size",
                                                 (json_int_t)len));
    }
    apr_time_exp_gmt(&tm, apr_time_now());
    apr_strftime(stamp, &sl, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    man = mez_json_pool_own(p, json_pack("{s:s,s:s,s:O?,s:s,s:{s:s,s:O?,s:s},s:o}", "format", BACKUP_FORMAT,
                                         "zone_id", zone, "did", json_object_get(rec, "did"), "created_at", stamp,
                                         "database", "driver", driver, "target",
                                         json_object_get(json_object_get(rec, "database"), "target"), "member",
                                         db_member, "members", members));
    members = NULL;
    if (!man || mez_json_canonicalize(p, man, &text, NULL, &pb) != MEZ_OK) {
        *err = "cannot write the manifest";
        goto fail;
    }
    text = apr_pstrcat(p, text, "\n", NULL);
    if (dep_write(p, apr_pstrcat(p, sz, "/" BACKUP_MANIFEST, NULL), text, strlen(text), 0644, err))
        goto fail;
    {
        const char *argv[] = { "/bin/tar", "-czf", tmp, "-C", staging, zone, NULL };
        /* The archive holds the zone's key and tokens: it is 0600 from its first byte, made here before tar
         * writes into it (tar keeps an existing file's mode), not chmod-ed after tar made it under the umask,
         * readable by anyone meanwhile (review). */
        int fd;
        unlink(tmp);
        if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
            *err = apr_psprintf(p, "cannot create %s: %s", tmp, strerror(errno));
            goto fail;
        }
        close(fd);
        if (dep_run(p, argv, &tout) != 0) {
            *err = apr_psprintf(p, "tar failed: %s", tout);
            unlink(tmp);
            goto fail;
        }
    }
    chmod(tmp, 0600);
    if (rename(tmp, out) != 0) {
        *err = apr_psprintf(p, "cannot write %s", out);
        unlink(tmp);
        goto fail;
    }
    dep_remove_tree(p, staging);
    return 0;
fail:
    if (members)
        json_decref(members);
    dep_remove_tree(p, staging);
    return -1;
}

/* ------------------------------------------------------------------ backup */

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez zone backup ZONE [--out FILE] [--data-dir DIR] [--pg-dump PATH]\n"
        "       mez zone restore ARCHIVE [--data-dir DIR] [--conf-dir DIR] [--httpd-root DIR] [--listen HOST:PORT]\n"
        "                        [--server-name NAME] [--user USER] [--database URL --database-password-file F]\n"
        "                        [--replace --yes] [--psql PATH] [--sanctions-un UN.xml]\n"
        "backup:  a consistent archive of a deployed zone (default DIR/backup/<zone>-<UTC time>.tar.gz, 0600): its\n"
        "         key, operator token, deploy record, packs with their stack.lock, virtual host, and its database\n"
        "         (SQLite: an online copy by VACUUM INTO; PostgreSQL: pg_dump with the zone's pgpass), with\n"
        "         MANIFEST.json naming the SHA-256 of every member. The zone keeps serving.\n"
        "restore: checks every member against the manifest, refuses if the zone (or its PostgreSQL database)\n"
        "         exists -- --replace --yes archives and destroys the existing zone (and drops the database) first --,\n"
        "         puts the files back, restores the database (PostgreSQL: created, the dump loaded with psql), and\n"
        "         runs `mez deploy` with the zone's recorded profile, listen address, server name, database, Mass\n"
        "         and corridor peers (options override them), which waits for /readyz. The zone answers with the\n"
        "         same DID and data. A failed restore removes what it made. `mez zone destroy`'s archives restore\n"
        "         the same way. --httpd-root/--conf-dir as for mez deploy (default: where the zone was served).\n"
        "         The zone's mode, policy file and public authorities are kept, and a zone a provisioning request\n"
        "         made stays that request's unless --listen, --server-name or --database change what it asked for.\n"
        "         --sanctions-un: the UN list, for an archive whose packs lack the list zone.yaml declares\n"
        "exit codes: 0 ok, 1 refused (no such zone, bad archive, zone exists), 2 usage or a failed step.\n");
}

static int cmd_backup(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *pos[1] = { NULL }, *zone, *data_dir = NULL, *out = NULL, *pg_dump = NULL, *zone_dir, *conf, *text;
    const char *err;
    int npos = 0;
    json_t *rec;
    const mez_cli_opt_t opts[] = {
        { "--data-dir", &data_dir, NULL }, { "--out", &out, NULL }, { "--pg-dump", &pg_dump, NULL },
        { NULL, NULL, NULL },
    };
    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "zone backup") < 0)
        return MEZ_EXIT_USAGE;
    if (!(zone = pos[0]) || strchr(zone, '/') || zone[0] == '.') {
        fprintf(stderr, "mez zone backup: which zone? (a zone id)\n");
        return MEZ_EXIT_USAGE;
    }
    data_dir = data_dir ? data_dir : "/var/lib/mez";
    zone_dir = apr_pstrcat(p, data_dir, "/", zone, NULL);
    if (!(rec = dep_record_read(p, zone_dir))) {
        fprintf(stderr, "mez zone backup: no deployed zone '%s' in %s\n", zone, data_dir);
        return MEZ_EXIT_INVALID;
    }
    conf = json_string_value(json_object_get(rec, "conf_file"));
    if (!conf || !(text = dep_read(p, conf, NULL))) {
        fprintf(stderr, "mez zone backup: cannot read the zone's conf %s\n", conf ? conf : "(none recorded)");
        return MEZ_EXIT_USAGE;
    }
    if (!out) {
        apr_time_exp_t tm;
        char stamp[32];
        apr_size_t sl;
        apr_time_exp_gmt(&tm, apr_time_now());
        apr_strftime(stamp, &sl, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        if (dep_mkdir(p, NULL, apr_pstrcat(p, data_dir, "/backup", NULL), 0700, &err)) {
            fprintf(stderr, "mez zone backup: %s\n", err);
            return MEZ_EXIT_USAGE;
        }
        out = apr_psprintf(p, "%s/backup/%s-%s.tar.gz", data_dir, zone, stamp);
    }
    if (dep_backup(p, data_dir, zone, rec, text, pg_dump, 0, out, &err)) {
        fprintf(stderr, "mez zone backup: %s\nno archive written\n", err);
        return MEZ_EXIT_USAGE;
    }
    printf("zone %s: backed up to %s (%s)\n", zone, out,
           json_string_value(json_object_get(json_object_get(rec, "database"), "driver")));
    return MEZ_EXIT_OK;
}

/* ------------------------------------------------------------------ restore */

typedef struct restore_t {
    const char *archive, *data_dir, *conf_dir, *httpd_root, *listen, *server_name, *user, *database, *pw_file;
    const char *psql, *profile_dir, *sql_dir, *akn_xsd, *policy_conf, *sanctions_un;
    int replace, yes;
} restore_t;

/* The archive's one top directory (a zone id), every member under it, nothing absolute or climbing. */
static const char *archive_zone(apr_pool_t *p, const char *archive, const char **err)
{
    const char *argv[] = { "/bin/tar", "-tzf", archive, NULL }, *list = NULL, *zone = NULL;
    char *copy, *line, *save = NULL;
    if (dep_run(p, argv, &list) != 0) {
        *err = apr_psprintf(p, "%s is not a readable tar.gz: %s", archive, list);
        return NULL;
    }
    copy = apr_pstrdup(p, list);
    for (line = apr_strtok(copy, "\n", &save); line; line = apr_strtok(NULL, "\n", &save)) {
        const char *slash = strchr(line, '/');
        const char *top = slash ? apr_pstrndup(p, line, (apr_size_t)(slash - line)) : line;
        if (line[0] == '/' || strstr(line, "..") || !*top || top[0] == '.' || (zone && strcmp(zone, top))) {
            *err = apr_psprintf(p, "%s: member '%s' is not under one zone directory", archive, line);
            return NULL;
        }
        zone = top;
    }
    if (!zone)
        *err = apr_psprintf(p, "%s is empty", archive);
    return zone;
}

/* Every file under dir is a member of the manifest with its digest, and every member is there. */
static int verify_manifest(apr_pool_t *p, const char *dir, const char *zone, json_t **manifest, const char **err)
{
    json_error_t je;
    apr_size_t mlen = 0;
    /* dep_read: a member of an archive may be a named pipe, which is refused, never waited on. */
    const char *mtext = dep_read(p, apr_pstrcat(p, dir, "/" BACKUP_MANIFEST, NULL), &mlen);
    json_t *man = mtext ? json_loadb(mtext, mlen, 0, &je) : NULL, *m;
    apr_array_header_t *files = apr_array_make(p, 64, sizeof(const char *));
    size_t i, n = 0;
    if (!man || !json_is_object(man)) {
        *err = "the archive has no readable " BACKUP_MANIFEST;
        if (man)
            json_decref(man);
        return -1;
    }
    mez_json_pool_own(p, man);
    if (!json_string_value(json_object_get(man, "format"))
        || strcmp(json_string_value(json_object_get(man, "format")), BACKUP_FORMAT)
        || !json_string_value(json_object_get(man, "zone_id"))
        || strcmp(json_string_value(json_object_get(man, "zone_id")), zone)
        || !json_is_array(json_object_get(man, "members"))) {
        *err = "the manifest is not a " BACKUP_FORMAT " manifest of the archived zone";
        return -1;
    }
    if (walk(p, dir, "", files, err))
        return -1;
    json_array_foreach(json_object_get(man, "members"), i, m) {
        const char *path = json_string_value(json_object_get(m, "path"));
        const char *want = json_string_value(json_object_get(m, "sha256")), *got;
        apr_size_t len = 0;
        if (!path || !want || strstr(path, "..") || path[0] == '/') {
            *err = apr_psprintf(p, "manifest member %" APR_SIZE_T_FMT " is malformed", (apr_size_t)i);
            return -1;
        }
        got = sha256_of(p, apr_pstrcat(p, dir, "/", path, NULL), &len);
        if (!got) {
            *err = apr_psprintf(p, "member %s is missing from the archive", path);
            return -1;
        }
        if (strcmp(got, want)) {
            *err = apr_psprintf(p, "member %s does not match the manifest (sha256 %s, manifest %s)", path, got,
                                want);
            return -1;
        }
        n++;
    }
    if ((size_t)files->nelts != n + 1) {
        for (int k = 0; k < files->nelts; k++) {
            const char *f = APR_ARRAY_IDX(files, k, const char *);
            int listed = !strcmp(f, BACKUP_MANIFEST);
            json_array_foreach(json_object_get(man, "members"), i, m)
                if (!strcmp(json_string_value(json_object_get(m, "path")), f))
                    listed = 1;
            if (!listed) {
                *err = apr_psprintf(p, "member %s is not in the manifest", f);
                return -1;
            }
        }
        *err = "the archive's members are not the manifest's";
        return -1;
    }
    *manifest = man;
    return 0;
}

/* The password of the single line of a pgpass file (host:port:db:user:password, with \: and \\). */
static const char *pgpass_password(apr_pool_t *p, const char *line)
{
    int field = 0;
    char *out = apr_palloc(p, strlen(line) + 1), *o = out;
    for (const char *s = line; *s && *s != '\n'; s++) {
        if (*s == '\\' && s[1]) {
            if (field == 4)
                *o++ = s[1];
            s++;
        }
        else if (*s == ':' && field < 4)
            field++;
        else if (field == 4)
            *o++ = *s;
    }
    *o = '\0';
    return field == 4 ? out : NULL;
}

static const char *pgpass_escape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (*s == ':' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

typedef struct pgtarget_t {
    const char *user, *host, *port, *dbname, *admin, *conn, *url;
} pgtarget_t;

static int pg_target(apr_pool_t *p, const char *url, pgtarget_t *t)
{
    const char *rest = strstr(url, "://"), *at, *slash, *colon;
    if (!rest || !(at = strchr(rest + 3, '@')) || !(slash = strchr(at, '/')) || !slash[1])
        return -1;
    t->url = url;
    t->user = apr_pstrndup(p, rest + 3, (apr_size_t)(at - rest - 3));
    t->host = apr_pstrndup(p, at + 1, (apr_size_t)(slash - at - 1));
    t->port = "5432";
    if ((colon = strrchr(t->host, ':'))) {
        t->port = colon + 1;
        t->host = apr_pstrndup(p, t->host, (apr_size_t)(colon - t->host));
    }
    t->dbname = slash + 1;
    for (const char *c = t->dbname; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return -1;
    return strchr(t->user, ':') ? -1 : 0;
}

static int restore_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int restore_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mez zone restore: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return -1;
}

static int cmd_restore(apr_pool_t *p, int argc, const char *const *argv)
{
    restore_t a;
    const char *pos[1] = { NULL }, *zone, *err = NULL, *staging, *sz, *zone_dir, *conf_text, *driver, *out = NULL;
    const char *pw = NULL, *passfile = NULL, *packs_dir, *src, *request = NULL;
    int npos = 0, rc = MEZ_EXIT_USAGE, made_db = 0, moved = 0, made_data_dir = 0, made_sub = 0;
    mez_problem_t pb = { 0 };
    mez_db_t *db = NULL;
    apr_pool_t *sub = NULL;
    const char *exists = NULL, *psql = NULL;
    json_t *man = NULL, *rec;
    pgtarget_t pg;
    apr_array_header_t *dargv;
    memset(&a, 0, sizeof(a));
    memset(&pg, 0, sizeof(pg));
    {
        const mez_cli_opt_t opts[] = {
            { "--data-dir", &a.data_dir, NULL }, { "--conf-dir", &a.conf_dir, NULL },
            { "--httpd-root", &a.httpd_root, NULL }, { "--listen", &a.listen, NULL },
            { "--server-name", &a.server_name, NULL }, { "--user", &a.user, NULL },
            { "--database-password-file", &a.pw_file, NULL }, { "--database", &a.database, NULL },
            { "--psql", &a.psql, NULL }, { "--profile-dir", &a.profile_dir, NULL },
            { "--sql-dir", &a.sql_dir, NULL }, { "--akn-xsd", &a.akn_xsd, NULL },
            { "--policy-conf", &a.policy_conf, NULL }, { "--replace", NULL, &a.replace }, { "--yes", NULL, &a.yes },
            { "--sanctions-un", &a.sanctions_un, NULL },
            { NULL, NULL, NULL },
        };
        if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "zone restore") < 0)
            return MEZ_EXIT_USAGE;
    }
    if (!(a.archive = pos[0])) {
        fprintf(stderr, "mez zone restore: which archive?\n");
        return MEZ_EXIT_USAGE;
    }
    if (a.replace && !a.yes) {
        fprintf(stderr, "mez zone restore: --replace archives and destroys the existing zone first: confirm with "
                "--yes\n");
        return MEZ_EXIT_USAGE;
    }
    a.data_dir = a.data_dir ? a.data_dir : "/var/lib/mez";
    {
        char *full;
        if (a.data_dir[0] != '/' && apr_filepath_merge(&full, NULL, a.data_dir, APR_FILEPATH_NOTRELATIVE, p)
                                        == APR_SUCCESS)
            a.data_dir = full;
    }
    if (!(zone = archive_zone(p, a.archive, &err))) {
        restore_fail("%s", err);
        return MEZ_EXIT_INVALID;
    }
    zone_dir = apr_pstrcat(p, a.data_dir, "/", zone, NULL);
    if (!dep_is_dir(p, a.data_dir)) {
        if (dep_mkdir(p, NULL, a.data_dir, 0755, &err)) {
            restore_fail("%s", err);
            return MEZ_EXIT_USAGE;
        }
        made_data_dir = 1;
    }
    staging = apr_psprintf(p, "%s/.restore-%s-%ld", a.data_dir, zone, (long)getpid());
    sz = apr_pstrcat(p, staging, "/", zone, NULL);
    dep_remove_tree(p, staging);
    if (mkdir(staging, 0700) != 0) {
        restore_fail("cannot create %s", staging);
        goto out;
    }
    {
        const char *targv[] = { "/bin/tar", "-xzf", a.archive, "-C", staging, "--no-same-owner", NULL };
        if (dep_run(p, targv, &out) != 0) {
            restore_fail("tar could not extract %s: %s", a.archive, out);
            goto out;
        }
    }
    if (verify_manifest(p, sz, zone, &man, &err)) {
        restore_fail("%s: %s; nothing restored", a.archive, err);
        rc = MEZ_EXIT_INVALID;
        goto out;
    }
    printf("zone %s: archive %s verified (%zu members match its manifest)\n", zone, a.archive,
           json_array_size(json_object_get(man, "members")));
    if (!(conf_text = dep_read(p, apr_pstrcat(p, sz, "/" BACKUP_VHOST, NULL), NULL)))
        conf_text = "";   /* an archive of a zone whose conf was gone: no peers to name */
    if (!(rec = dep_record_read(p, sz)) || !json_string_value(json_object_get(rec, "profile"))) {
        restore_fail("the archive has no deploy record");
        rc = MEZ_EXIT_INVALID;
        goto out;
    }
    driver = json_string_value(json_object_get(json_object_get(man, "database"), "driver"));
    driver = driver ? driver : "";

    /* Every check that can still refuse runs before --replace destroys the live zone: a restore refused
     * afterwards would leave the zone neither live nor restored (only its archive). */
    if (!strcmp(driver, "pgsql")) {
        const char *target = a.database ? a.database
                                        : json_string_value(json_object_get(json_object_get(man, "database"),
                                                                            "target"));
        psql = a.psql ? a.psql : dep_pg_tool(p, "psql");
        if (!target || pg_target(p, target, &pg)) {
            restore_fail("the database %s is not postgresql://USER@HOST[:PORT]/DBNAME", target ? target : "(none)");
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
        if (!psql) {
            restore_fail("psql not found (--psql PATH)");
            goto out;
        }
        if (a.pw_file) {
            char *nl;
            if (!(pw = dep_read(p, a.pw_file, NULL))) {
                restore_fail("cannot read --database-password-file %s", a.pw_file);
                goto out;
            }
            pw = apr_pstrdup(p, pw);
            if ((nl = strchr((char *)pw, '\n')))
                *nl = '\0';
        }
        else if (getenv("PGPASSWORD") && *getenv("PGPASSWORD"))
            pw = getenv("PGPASSWORD");
        else {
            const char *line = dep_read(p, apr_pstrcat(p, sz, "/" DEPLOY_PGPASS, NULL), NULL);
            pw = line ? pgpass_password(p, line) : NULL;
        }
        /* The password reaches libpq and psql through a 0600 passfile, never argv. */
        if (pw) {
            const char *line = apr_psprintf(p, "%s:%s:*:%s:%s\n", pgpass_escape(p, pg.host), pg.port,
                                            pgpass_escape(p, pg.user), pgpass_escape(p, pw));
            passfile = apr_pstrcat(p, staging, "/pgpass.restore", NULL);
            if (dep_write(p, passfile, line, strlen(line), 0600, &err)
                || dep_write(p, apr_pstrcat(p, staging, "/password", NULL), pw, strlen(pw), 0600, &err)) {
                restore_fail("%s", err);
                goto out;
            }
        }
        pg.admin = apr_psprintf(p, "host=%s port=%s user=%s dbname=postgres%s%s", pg.host, pg.port, pg.user,
                                passfile ? " passfile=" : "", passfile ? passfile : "");
        pg.conn = apr_psprintf(p, "host=%s port=%s user=%s dbname=%s%s%s", pg.host, pg.port, pg.user, pg.dbname,
                               passfile ? " passfile=" : "", passfile ? passfile : "");
        apr_pool_create(&sub, p);
        made_sub = 1;
        if (mez_db_open(sub, "pgsql", pg.admin, &db, &pb) != MEZ_OK
            || mez_db_query_value(sub, db, &exists, "SELECT datname FROM pg_database WHERE datname = %s", &pb,
                                  pg.dbname, NULL) != MEZ_OK) {
            restore_fail("the database server refused the connection (%s): %s", pg.url, pb.detail);
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
        if (exists && !a.replace) {
            restore_fail("the database %s exists (mez zone destroy keeps it): drop it, or --replace --yes", pg.url);
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
    }
    else if (!dep_exists(p, apr_pstrcat(p, sz, "/" BACKUP_SQLITE, NULL))) {
        restore_fail("the archive has no database");
        rc = MEZ_EXIT_INVALID;
        goto out;
    }

    {
        /* deploy's listen checks, against the estate as it will be once the zone is gone: its server name
         * taken by another zone on the address, the address in use by another program */
        deploy_httpd_t h;
        apr_array_header_t *mine;
        const char *listen = a.listen ? a.listen : json_string_value(json_object_get(rec, "listen"));
        const char *name = a.server_name ? a.server_name : json_string_value(json_object_get(rec, "server_name"));
        const char *colon = listen ? strrchr(listen, ':') : NULL, *owner;
        int ours = 0;
        dep_httpd_init(p, &h, a.httpd_root || a.conf_dir ? a.httpd_root
                                                         : json_string_value(json_object_get(rec, "httpd_root")),
                       a.httpd_root || a.conf_dir ? a.conf_dir : json_string_value(json_object_get(rec, "conf_dir")),
                       a.user);
        if (!colon || !name) {
            restore_fail("no listen address or server name (the record has none: --listen, --server-name)");
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
        if ((owner = dep_httpd_name_owner(p, &h, zone, listen, name))) {
            restore_fail("zone %s already serves the server name %s on %s (--server-name, --listen); nothing "
                         "restored", owner, name, listen);
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
        dep_httpd_zones(p, &h, NULL, &mine, NULL);
        if (dep_httpd_running(p, &h))
            for (int i = 0; i < mine->nelts; i++)
                ours |= !strcmp(APR_ARRAY_IDX(mine, i, const char *), listen);
        if (!ours && !dep_port_free(p, apr_pstrndup(p, listen, (apr_size_t)(colon - listen)), atoi(colon + 1))) {
            restore_fail("the listen address %s is in use by another program; nothing restored", listen);
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
    }

    /* The zone must not exist; --replace --yes destroys it (with its own archive) first. */
    if (dep_exists(p, zone_dir)) {
        const char *dargs[] = { "zone", "destroy", zone, "--data-dir", a.data_dir, "--yes", NULL };
        if (!a.replace) {
            restore_fail("zone %s exists in %s: destroy it first, or --replace --yes (which archives it)", zone,
                         a.data_dir);
            rc = MEZ_EXIT_INVALID;
            goto out;
        }
        printf("zone %s: replacing the existing zone (destroyed with an archive first)\n", zone);
        if (mez_cmd_zone_life(p, 6, dargs) != MEZ_EXIT_OK) {
            restore_fail("could not destroy the existing zone %s; nothing restored", zone);
            goto out;
        }
    }

    /* PostgreSQL: the database is created and the dump loaded, before any file is in place. */
    if (!strcmp(driver, "pgsql")) {
        if (exists && dep_pg_drop(p, pg.admin, pg.dbname)) {
            restore_fail("cannot drop the existing database %s", pg.dbname);
            goto out;
        }
        if (mez_db_exec(sub, db, apr_psprintf(sub, "CREATE DATABASE \"%s\"", pg.dbname), &pb) != MEZ_OK) {
            restore_fail("CREATE DATABASE %s: %s", pg.dbname, pb.detail);
            goto out;
        }
        made_db = 1;
        apr_pool_destroy(sub);   /* the maintenance connection, opened by the checks */
        made_sub = 0;
        {
            const char *pargv[] = { psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f",
                                    apr_pstrcat(p, sz, "/" BACKUP_PGDUMP, NULL), "-d", pg.conn, NULL };
            if (dep_run(p, pargv, &out) != 0) {
                restore_fail("loading the dump into %s failed: %s", pg.dbname, out);
                goto out;
            }
        }
        printf("zone %s: database %s restored from the dump\n", zone, pg.url);
    }

    /* The files, as the zone had them (deploy writes its record and conf again). */
    unlink(apr_pstrcat(p, sz, "/" BACKUP_MANIFEST, NULL));
    unlink(apr_pstrcat(p, sz, "/" BACKUP_VHOST, NULL));
    unlink(apr_pstrcat(p, sz, "/" BACKUP_PGDUMP, NULL));
    unlink(apr_pstrcat(p, sz, "/" DEPLOY_RECORD, NULL));
    if (rename(sz, zone_dir) != 0) {
        restore_fail("cannot move the restored files to %s", zone_dir);
        goto out;
    }
    moved = 1;
    /* whatever modes the archive carried: the httpd user traverses these (secrets inside stay 0600) */
    chmod(zone_dir, 0755);
    if (dep_is_dir(p, apr_pstrcat(p, zone_dir, "/data", NULL)))
        chmod(apr_pstrcat(p, zone_dir, "/data", NULL), 0755);

    /* The packs it ran on: the recorded source when it still holds the same tree, else the archived copy
     * itself (--packs-dir <zone dir>: its packs/ has the zone.yaml). */
    src = json_string_value(json_object_get(rec, "packs_source"));
    if (src && dep_trees_equal(p, src, apr_pstrcat(p, zone_dir, "/packs", NULL)) && strrchr(src, '/'))
        packs_dir = apr_pstrndup(p, src, (apr_size_t)(strrchr(src, '/') - src));
    else
        packs_dir = zone_dir;

    dargv = apr_array_make(p, 40, sizeof(const char *));
#define ARG(x) (APR_ARRAY_PUSH(dargv, const char *) = (x))
    ARG("deploy");
    ARG("--profile"); ARG(json_string_value(json_object_get(rec, "profile")));
    ARG("--jurisdiction"); ARG(zone);
    ARG("--data-dir"); ARG(a.data_dir);
    ARG("--packs-dir"); ARG(packs_dir);
    ARG("--listen"); ARG(a.listen ? a.listen : json_string_value(json_object_get(rec, "listen")));
    ARG("--server-name"); ARG(a.server_name ? a.server_name : json_string_value(json_object_get(rec,
                                                                                                "server_name")));
    if (!a.httpd_root && !a.conf_dir) {
        /* where the zone was served, as recorded */
        a.httpd_root = json_string_value(json_object_get(rec, "httpd_root"));
        a.conf_dir = json_string_value(json_object_get(rec, "conf_dir"));
    }
    if (a.httpd_root) { ARG("--httpd-root"); ARG(a.httpd_root); }
    if (a.conf_dir) { ARG("--conf-dir"); ARG(a.conf_dir); }
    if (a.user) { ARG("--user"); ARG(a.user); }
    if (a.profile_dir) { ARG("--profile-dir"); ARG(a.profile_dir); }
    if (a.sql_dir) { ARG("--sql-dir"); ARG(a.sql_dir); }
    if (a.akn_xsd) { ARG("--akn-xsd"); ARG(a.akn_xsd); }
    if (a.policy_conf) { ARG("--policy-conf"); ARG(a.policy_conf); }
    /* The archived packs hold the UN list the zone had; an archive made without one needs it given (production). */
    if (a.sanctions_un) { ARG("--sanctions-un"); ARG(a.sanctions_un); }
    if (!strcmp(driver, "pgsql")) {
        ARG("--database"); ARG(pg.url);
        if (pw) { ARG("--database-password-file"); ARG(apr_pstrcat(p, staging, "/password", NULL)); }
    }
    {
        const char *mass = json_string_value(json_object_get(rec, "mass_api"));
        if (mass && strcmp(mass, "sovereign")) {
            ARG("--mass-api"); ARG(mass);
            if (dep_exists(p, apr_pstrcat(p, zone_dir, "/" DEPLOY_MASSTOKEN, NULL))) {
                ARG("--mass-token-file"); ARG(apr_pstrcat(p, zone_dir, "/" DEPLOY_MASSTOKEN, NULL));
            }
        }
    }
    {
        /* The corridors' peers as the virtual host named them (MezPeer zone url did). */
        json_t *peers = json_object(), *c;
        const char *list = "", *s = conf_text, *ca;
        size_t i;
        while ((s = strstr(s, "MezPeer "))) {
            char zid[128], url[1024], did[256];
            if (sscanf(s + 8, "%127s %1023s %255s", zid, url, did) == 3)
                json_object_set_new(peers, zid, json_pack("{s:s,s:s}", "url", url, "did", did));
            s += 8;
        }
        mez_json_pool_own(p, peers);
        json_array_foreach(json_object_get(rec, "corridors"), i, c)
            if (json_string_value(c))
                list = apr_pstrcat(p, list, *list ? "," : "", json_string_value(c), NULL);
        if (*list) {
            const char *file = apr_pstrcat(p, staging, "/peers.json", NULL), *text = mez_json_dump(p, peers, 0);
            if (dep_write(p, file, text, strlen(text), 0600, &err)) {
                restore_fail("%s", err);
                goto out;
            }
            ARG("--corridors"); ARG(list);
            ARG("--peers"); ARG(file);
        }
        if ((ca = dep_conf_value(p, conf_text, "MezPeerCAFile"))) {
            ARG("--peer-ca"); ARG(ca);
        }
    }
    {
        /* What the zone ran on besides: its mode, its policy file, whether it served the regulator console and the
         * names peers address it by (deploy reads them from the record, which is not in place yet: deploy writes
         * it again). */
        const char *mode = json_string_value(json_object_get(rec, "mode"));
        const char *policy = json_string_value(json_object_get(rec, "policy_conf"));
        const char *names = json_string_value(json_object_get(rec, "public_authority"));
        const char *console = json_string_value(json_object_get(rec, "console"));
        if (mode) { ARG("--mode"); ARG(mode); }
        if (console && (!strcmp(console, "on") || !strcmp(console, "off"))) { ARG("--console"); ARG(console); }
        if (!a.policy_conf && policy && dep_exists(p, policy)) { ARG("--policy-conf"); ARG(policy); }
        if (names && *names) { ARG("--public-authority"); ARG(names); }
    }
    if ((request = json_string_value(json_object_get(rec, "provision_request")))) {
        /* A zone a provisioning request made stays that request's (its own "running" status resumes it, the same
         * request asked again finds it made), unless the restore gives it settings the request did not ask for:
         * then the request would move it back, and it is the operator's from now on, as after a deploy by hand. */
        const char *target = json_string_value(json_object_get(json_object_get(rec, "database"), "target"));
        const char *spool = json_string_value(json_object_get(rec, "provision_spool"));
        if ((a.listen && strcmp(a.listen, json_string_value(json_object_get(rec, "listen")) ?
                                              json_string_value(json_object_get(rec, "listen")) : ""))
            || (a.server_name && strcasecmp(a.server_name, json_string_value(json_object_get(rec, "server_name")) ?
                                                             json_string_value(json_object_get(rec, "server_name"))
                                                             : ""))
            || (a.database && (!target || !pg.url || strcmp(pg.url, target)))) {
            printf("zone %s: restored with settings its provisioning request did not ask for: the admin API's "
                   "requests no longer reach it\n", zone);
            request = NULL;
        }
        else {
            ARG(apr_pstrcat(p, "--provision-request=", request, NULL));
            if (spool)
                ARG(apr_pstrcat(p, "--provision-spool=", spool, NULL));
        }
    }
#undef ARG
    APR_ARRAY_PUSH(dargv, const char *) = NULL;
    printf("zone %s: bringing it up with mez deploy\n", zone);
    fflush(stdout);
    if (mez_cmd_deploy(p, dargv->nelts - 1, (const char *const *)dargv->elts) != MEZ_EXIT_OK) {
        restore_fail("the deploy of the restored zone failed (above); what the restore made is removed");
        goto out;
    }
    if (request)   /* made again: no longer the destroyed zone a "running" status must not bring back */
        dep_destroyed_clear(p, a.data_dir, zone);
    printf("zone %s restored from %s: %s\n", zone, a.archive,
           json_string_value(json_object_get(man, "did")) ? json_string_value(json_object_get(man, "did")) : "");
    rc = MEZ_EXIT_OK;
out:
    if (made_sub)
        apr_pool_destroy(sub);
    if (rc != MEZ_EXIT_OK) {
        if (moved)
            dep_remove_tree(p, zone_dir);
        if (made_db)
            dep_pg_drop(p, pg.admin, pg.dbname);
    }
    dep_remove_tree(p, staging);
    if (made_data_dir && rc != MEZ_EXIT_OK)
        rmdir(a.data_dir);
    return rc;
}

int mez_cmd_zone_backup(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (mez_cli_wants_help(argc, argv)) {
        usage(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "backup")) return cmd_backup(p, argc - 1, argv + 1);
    if (!strcmp(sub, "restore")) return cmd_restore(p, argc - 1, argv + 1);
    usage(stderr);
    return MEZ_EXIT_USAGE;
}
