/* cmd_provision.c: `mez provision --spool DIR`, the privileged half of POST /admin/zones. The admin API (running
 * as the httpd user) only queues <id>.request.json in the spool; this command, run with the privileges `mez
 * deploy` needs (root, from the systemd path unit in conf/systemd, or cron), takes each request and runs deploy's
 * own code in-process (mez_cmd_deploy, with --progress-file <id>.status.json), so a zone made through the API is
 * made exactly as `mez deploy` makes it, refused for the same reasons, and undone the same way when a step
 * fails.
 *
 * The spool is writable by the httpd user, so nothing in it is trusted beyond what the API could have written:
 * only the request's eight members become deploy options (as --name=value, so no value can pass for another
 * option), deploy checks them again (mez_provision_check), paths such as the data and conf dirs come from this
 * command's own options, and files are never opened through symbolic links. Where the estate's secrets go is not
 * the request's to say: deploy probes the request's Mass with the provisioner's --mass-token-file token and
 * connects to its database host with the --database-password-file password before anything is written, so a
 * request naming a Mass or a PostgreSQL host the estate did not list (--allow-mass-api, --allow-database-host) fails
 * with provision.endpoint_not_allowed before deploy runs. A request is claimed by creating its
 * status file exclusively under the request's lock: two provisioners never run the same request, a finished
 * request (succeeded or failed) is not run again (delete both files to ask again), and one a killed provisioner
 * left "running" is run again by the next. That status is the spool's, which the httpd user can forge, so it
 * decides nothing about an existing zone: deploy keeps the digest of the request it deployed in the zone's
 * deploy.json (--provision-request; root's file), and a zone whose record does not name this very request (one
 * deployed or re-deployed by hand) is never touched by a request, resumed or not (provision.zone_exists); and a
 * zone `mez zone destroy` removed is not made again by its request's "running" status (provision.zone_destroyed:
 * destroy leaves root's mark naming the request, deploy_spool.c). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/digest.h"
#include "mez/file.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mez/provision.h"
#include "deploy.h"
#include "mez_cli.h"

#define LOCK_SUFFIX ".lock"
#define MAX_REQUEST (1024 * 1024)

/* deploy's options an estate sets once for every zone it provisions; passed through as given. */
static const char *const passed[] = {
    "--data-dir", "--conf-dir", "--httpd-root", "--packs-dir", "--profile-dir", "--sql-dir", "--akn-xsd",
    "--policy-conf", "--peers", "--peer-ca", "--user", "--database-password-file", "--mass-token-file",
    "--sanctions-un", NULL,
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez provision --spool DIR [--once] [deploy options]\n"
        "Runs the zone requests POST /admin/zones queued in DIR (<zone>.request.json), one after another, with\n"
        "the code of `mez deploy`; each leaves <zone>.status.json (state running, then succeeded or failed, its\n"
        "steps, the zone's DID and endpoints, or the error and the step that failed), which GET /admin/zones/{id}\n"
        "serves: mode 0640 in the spool's group, which must be the httpd user's (install -d -o www-data -g www-data).\n"
        "A request that already has a status is not run again. Without --once it keeps polling the spool\n"
        "every --interval seconds (default 2); conf/systemd/mez-provision.path runs it on each new request.\n"
        "options:\n"
        "  --spool DIR              the admin host's MezAdminSpool\n"
        "  --once                   run what is queued now, then exit (1 when one of them failed)\n"
        "  --interval N             seconds between polls (1-3600)\n"
        "  --allow-mass-api URL     a Mass a request may name (repeatable; compared exactly, a trailing '/' aside).\n"
        "                           Given, a request whose mass_api is not sovereign and not listed fails\n"
        "                           (provision.endpoint_not_allowed at /mass_api) before deploy probes it; with\n"
        "                           --mass-token-file it is required (deploy would send the estate's token there)\n"
        "  --allow-database-host HOST[:PORT]   a PostgreSQL server a request may name (repeatable; HOST alone is\n"
        "                           HOST:5432; [v6addr]:PORT). Given, a request for a host not listed fails\n"
        "                           (provision.endpoint_not_allowed at /database) before deploy connects there; it\n"
        "                           is required while the provisioner has a database password\n"
        "                           (--database-password-file, $PGPASSWORD, or a pgpass file libpq would read)\n"
        "deploy options applied to every zone (see mez deploy --help): --data-dir --conf-dir --httpd-root\n"
        "  --packs-dir --profile-dir --sql-dir --akn-xsd --policy-conf --peers --peer-ca --user\n"
        "  --database-password-file --mass-token-file --sanctions-un (the UN list, imported into every zone whose\n"
        "  zone.yaml declares it; a production request for such a zone fails without it), and the flag --no-start\n"
        "The request gives --jurisdiction, --profile, --corridors, --mass-api, --listen, --server-name, --database,\n"
        "--mode and --public-authority; nothing else comes from the spool.\n");
}

/* A spool file, read without following a symbolic link; NULL when absent or not a small regular file. */
static const char *read_nofollow(apr_pool_t *p, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    char *buf;
    ssize_t n, off = 0;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_REQUEST) {
        close(fd);
        return NULL;
    }
    buf = apr_palloc(p, (apr_size_t)st.st_size + 1);
    while (off < st.st_size && (n = read(fd, buf + off, (size_t)(st.st_size - off))) > 0)
        off += n;
    close(fd);
    buf[off] = '\0';
    return buf;
}

/* Whether deploy's connections could find a PostgreSQL password besides --database-password-file: $PGPASSWORD
 * (deploy reads it), or the pgpass file libpq reads when a connection gives none ($PGPASSFILE, ~/.pgpass; its
 * entries may match any host). Then a request's database host must be listed as well. */
static int holds_pg_password(apr_pool_t *p)
{
    const char *pw = getenv("PGPASSWORD"), *file = getenv("PGPASSFILE"), *home = getenv("HOME");
    struct passwd *me;
    if (pw && *pw)
        return 1;
    if (file && *file)
        return access(file, F_OK) == 0;
    /* libpq takes the home directory from $HOME, and without it (systemd leaves HOME unset for a system service)
     * from the password database, as here; older libpq always from the password database. Either may hold one. */
    if (home && *home && access(apr_pstrcat(p, home, "/.pgpass", NULL), F_OK) == 0)
        return 1;
    me = getpwuid(geteuid());
    return me && me->pw_dir && *me->pw_dir && access(apr_pstrcat(p, me->pw_dir, "/.pgpass", NULL), F_OK) == 0;
}

/* Writes a whole status document to path, replacing it (temporary file, exclusively created, then renamed). */
static void write_status(apr_pool_t *p, const char *path, json_t *doc)
{
    const char *text, *tmp = apr_psprintf(p, "%s.tmp.%ld", path, (long)getpid());
    mez_problem_t pb = { 0 };
    size_t len;
    json_object_set_new(doc, "updated_at", json_string(mez_provision_now(p)));
    if (mez_json_canonicalize(p, doc, &text, &len, &pb) != MEZ_OK)
        return;
    unlink(tmp);
    if (mez_file_create_durable_dir_group(tmp, text, len, MEZ_PROVISION_STATUS_MODE) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "mez provision: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
}

/* Whether a status file says "running": left by a provisioner that died mid-deploy when nobody holds the lock. */
static int says_running(apr_pool_t *p, const char *path)
{
    const char *text = read_nofollow(p, path), *state;
    json_t *doc = NULL;
    mez_problem_t pb = { 0 };
    return text && mez_json_parse(p, text, strlen(text), &doc, &pb) == MEZ_OK && json_is_object(doc)
           && (state = json_string_value(json_object_get(doc, "state"))) && !strcmp(state, "running");
}

/* Claims the request by creating its status file (state running); 0 claimed, 2 claimed again after an
 * interrupted run, 1 somebody else's or done, -1 error. The caller holds the request's lock (<id>.lock, flock): a status that says "running" while the lock is
 * free was left by a provisioner killed mid-deploy, and the request is run again: deploy with the same options
 * finishes what a run started (it is idempotent), or fails and undoes what it made itself. */
static int claim(apr_pool_t *p, const char *path, const char *id)
{
    json_t *doc;
    const char *text;
    mez_problem_t pb = { 0 };
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, MEZ_PROVISION_STATUS_MODE);
    int resumed = 0;
    gid_t gid;
    if (fd < 0 && errno == EEXIST && says_running(p, path) && unlink(path) == 0) {
        printf("mez provision: zone %s: resuming a provisioning interrupted mid-deploy\n", id);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, MEZ_PROVISION_STATUS_MODE);
        resumed = 1;
    }
    if (fd < 0)
        return errno == EEXIST ? 1 : -1;
    /* The spool's group (the httpd user's) reads it for GET /admin/zones/{id}; other local users do not. */
    if (mez_file_dir_group(path, &gid) == 0 && fchown(fd, (uid_t)-1, gid) != 0 && errno != EPERM)
        fprintf(stderr, "mez provision: %s: %s\n", path, strerror(errno));
    fchmod(fd, MEZ_PROVISION_STATUS_MODE);
    doc = mez_json_pool_own(p, json_pack("{s:s,s:s,s:[],s:s,s:s}", "zone_id", id, "state", "running", "steps",
                                         "started_at", mez_provision_now(p), "updated_at", mez_provision_now(p)));
    if (mez_json_canonicalize(p, doc, &text, NULL, &pb) == MEZ_OK && write(fd, text, strlen(text)) < 0)
        fprintf(stderr, "mez provision: %s: %s\n", path, strerror(errno));
    close(fd);
    return resumed ? 2 : 0;
}

/* A list member as deploy's comma-separated option value: "" when absent or empty, NULL when an item is not a
 * string or holds a comma (mez_provision_check refused such a request before it was queued). */
static const char *comma_list(apr_pool_t *p, const json_t *arr)
{
    const char *list = "";
    const json_t *v;
    size_t i;
    if (!json_is_array(arr))
        return list;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || strchr(json_string_value(v), ','))
            return NULL;
        list = apr_pstrcat(p, list, *list ? "," : "", json_string_value(v), NULL);
    }
    return list;
}

/* The deploy command line for a request: its members as --name=value, then the estate's options. */
static int deploy_argv(apr_pool_t *p, const json_t *req, const char *digest, const apr_array_header_t *extra,
                       const char *status, apr_array_header_t **argv)
{
    static const char *const members[][2] = {
        { "jurisdiction", "--jurisdiction" }, { "profile", "--profile" }, { "mass_api", "--mass-api" },
        { "listen", "--listen" }, { "server_name", "--server-name" }, { "database", "--database" },
        { "mode", "--mode" }, { NULL, NULL },
    };
    const json_t *cor = json_object_get(req, "corridors"), *auth = json_object_get(req, "public_authority");
    const char *list;
    *argv = apr_array_make(p, 32, sizeof(const char *));
    APR_ARRAY_PUSH(*argv, const char *) = "deploy";
    for (int m = 0; members[m][0]; m++) {
        const json_t *x = json_object_get(req, members[m][0]);
        if (!x)
            continue;
        if (!json_is_string(x))
            return -1;
        APR_ARRAY_PUSH(*argv, const char *) = apr_pstrcat(p, members[m][1], "=", json_string_value(x), NULL);
    }
    if ((list = comma_list(p, cor)) == NULL)
        return -1;
    if (*list)
        APR_ARRAY_PUSH(*argv, const char *) = apr_pstrcat(p, "--corridors=", list, NULL);
    if ((list = comma_list(p, auth)) == NULL)
        return -1;
    if (*list)
        APR_ARRAY_PUSH(*argv, const char *) = apr_pstrcat(p, "--public-authority=", list, NULL);
    for (int k = 0; k < extra->nelts; k++)
        APR_ARRAY_PUSH(*argv, const char *) = APR_ARRAY_IDX(extra, k, const char *);
    APR_ARRAY_PUSH(*argv, const char *) = apr_pstrcat(p, "--provision-request=", digest, NULL);
    APR_ARRAY_PUSH(*argv, const char *) = apr_pstrcat(p, "--progress-file=", status, NULL);
    APR_ARRAY_PUSH(*argv, const char *) = NULL;
    return 0;
}

/* Marks a claimed request failed when deploy stopped before writing a status of its own (a usage error). */
static void ensure_final(apr_pool_t *p, const char *path, const char *id, const char *code, const char *pointer,
                         const char *detail)
{
    const char *text = read_nofollow(p, path);
    json_t *doc = NULL;
    mez_problem_t pb = { 0 };
    const char *state;
    if (text && mez_json_parse(p, text, strlen(text), &doc, &pb) == MEZ_OK && json_is_object(doc)
        && (state = json_string_value(json_object_get(doc, "state"))) && strcmp(state, "running"))
        return;
    doc = mez_json_pool_own(p, json_pack("{s:s,s:s,s:[],s:{s:s,s:s,s:s,s:b}}", "zone_id", id, "state", "failed",
                                         "steps", "error", "step", "preflight", "code", code, "detail", detail,
                                         "nothing_written", 1));
    if (pointer)
        json_object_set_new(json_object_get(doc, "error"), "pointer", json_string(pointer));
    write_status(p, path, doc);
}

static apr_status_t close_lock(void *fd)
{
    close((int)(intptr_t)fd);
    return APR_SUCCESS;
}

/* Runs one request: 0 succeeded, 1 failed, -1 not run (claimed elsewhere, or not a request). */
static int run_one(apr_pool_t *p, const char *spool, const char *id, const apr_array_header_t *extra,
                   const mez_provision_allow_t *allow)
{
    const char *rpath = apr_pstrcat(p, spool, "/", id, MEZ_PROVISION_REQUEST_SUFFIX, NULL);
    const char *spath = apr_pstrcat(p, spool, "/", id, MEZ_PROVISION_STATUS_SUFFIX, NULL), *text, *jur, *digest;
    mez_digest_t dg;
    apr_array_header_t *argv;
    mez_problem_t pb = { 0 };
    json_t *doc, *req;
    int rc, lock_fd, claimed;

    /* One provisioner per request at a time; the lock goes with the process, however it ends. */
    lock_fd = open(apr_pstrcat(p, spool, "/", id, LOCK_SUFFIX, NULL), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                   0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd >= 0)
            close(lock_fd);
        return -1;
    }
    apr_pool_cleanup_register(p, (void *)(intptr_t)lock_fd, close_lock, apr_pool_cleanup_null);
    if ((claimed = claim(p, spath, id)) != 0 && claimed != 2)
        return -1;
    printf("mez provision: zone %s\n", id);
    fflush(stdout);
    if (!(text = read_nofollow(p, rpath)) || mez_json_parse(p, text, strlen(text), &doc, &pb) != MEZ_OK
        || !json_is_object(req = json_object_get(doc, "request"))) {
        ensure_final(p, spath, id, "provision.invalid_request", NULL, "the spooled request is not a request document");
        return 1;
    }
    jur = json_string_value(json_object_get(req, "jurisdiction"));
    if (!jur || strcmp(jur, id)) {
        ensure_final(p, spath, id, "provision.invalid_request", NULL, "the spooled request is for another zone");
        return 1;
    }
    /* Before deploy probes the request's Mass with the estate's token or logs in to its database host. */
    if (mez_provision_endpoints_check(p, req, allow, &pb) != MEZ_OK) {
        ensure_final(p, spath, id, pb.code, pb.pointer, pb.detail);
        /* The code and pointer, not the detail: it quotes the spool's text, which may hold a line break. */
        printf("mez provision: zone %s failed: %s at %s\n", id, pb.code, pb.pointer ? pb.pointer : "");
        return 1;
    }
    if (mez_digest_json(p, req, &dg, &pb) != MEZ_OK) {
        ensure_final(p, spath, id, "provision.invalid_request", NULL, "the spooled request cannot be digested");
        return 1;
    }
    digest = mez_digest_format(p, &dg);
    /* The API makes zones; it does not change one an operator deployed by hand (with other options, deploy would
     * reconfigure it). A run resumed after an interruption may find the zone its first attempt made: the zone's
     * record (root's) says so, never the status file (the httpd user's, which may say "running" for any zone). */
    {
        const char *data_dir = "/var/lib/mez", *record, *made_by = NULL, *gone;
        json_t *rec;
        for (int i = 0; i < extra->nelts; i++)
            if (!strncmp(APR_ARRAY_IDX(extra, i, const char *), "--data-dir=", 11))
                data_dir = APR_ARRAY_IDX(extra, i, const char *) + 11;
        record = apr_pstrcat(p, data_dir, "/", id, "/deploy.json", NULL);
        /* A zone this request made and `mez zone destroy` removed: a "running" status (left in the spool, or
         * forged there) must not make it again; a request claimed afresh is asked for anew, and clears the mark. */
        if ((gone = dep_destroyed_request(p, data_dir, id)) && !strcmp(gone, digest)) {
            if (claimed == 2 && access(record, F_OK) != 0) {
                ensure_final(p, spath, id, "provision.zone_destroyed", NULL,
                             apr_psprintf(p, "zone %s, which this request made, was destroyed (mez zone destroy; "
                                          "%s/archive): a status saying running does not make it again. Delete the "
                                          "request and its status and ask again to make it anew", id, data_dir));
                printf("mez provision: zone %s failed: it was destroyed\n", id);
                return 1;
            }
            if (claimed == 0)
                dep_destroyed_clear(p, data_dir, id);
        }
        if (access(record, F_OK) == 0 && (text = read_nofollow(p, record))
            && mez_json_parse(p, text, strlen(text), &rec, &pb) == MEZ_OK)
            made_by = json_string_value(json_object_get(rec, "provision_request"));
        if (access(record, F_OK) == 0 && (!made_by || strcmp(made_by, digest))) {
            ensure_final(p, spath, id, "provision.zone_exists", NULL,
                         apr_psprintf(p, "zone %s is already deployed in %s, not by this request: it is changed "
                                      "with mez deploy, not by a request", id, data_dir));
            printf("mez provision: zone %s failed: it is deployed already\n", id);
            return 1;
        }
    }
    if (deploy_argv(p, req, digest, extra, spath, &argv) != 0) {
        ensure_final(p, spath, id, "provision.invalid_request", NULL, "a member of the spooled request is not a string");
        return 1;
    }
    rc = mez_cmd_deploy(p, argv->nelts - 1, (const char *const *)argv->elts);
    fflush(stdout);
    fflush(stderr);
    ensure_final(p, spath, id, "deploy.refused", NULL, "mez deploy refused the request (see the provisioner's log)");
    printf("mez provision: zone %s %s\n", id, rc == MEZ_EXIT_OK ? "succeeded" : "failed");
    fflush(stdout);
    return rc == MEZ_EXIT_OK ? 0 : 1;
}

/* One pass over the spool, in name order; the number of requests that failed, or -1 when it is unreadable. */
static int pass(apr_pool_t *parent, const char *spool, const apr_array_header_t *extra,
                const mez_provision_allow_t *allow)
{
    apr_pool_t *p;
    apr_array_header_t *ids;
    mez_problem_t pb = { 0 };
    int failed = 0;
    apr_pool_create(&p, parent);
    if (mez_provision_spool_requests(p, spool, &ids, &pb) != MEZ_OK) {
        apr_pool_destroy(p);
        return -1;
    }
    for (int i = 0; i < ids->nelts; i++) {
        apr_pool_t *one;
        apr_pool_create(&one, p);   /* each deploy in its own pool: a long-running provisioner does not grow */
        if (run_one(one, spool, APR_ARRAY_IDX(ids, i, const char *), extra, allow) == 1)
            failed++;
        apr_pool_destroy(one);
    }
    apr_pool_destroy(p);
    return failed;
}

int mez_cmd_provision(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *spool = NULL, *interval_s = NULL, *v;
    apr_array_header_t *extra = apr_array_make(p, 16, sizeof(const char *));
    apr_array_header_t *mass_ok = apr_array_make(p, 4, sizeof(const char *));
    apr_array_header_t *db_ok = apr_array_make(p, 4, sizeof(const char *));
    mez_provision_allow_t allow = { 0 };
    int once = 0, interval = 2, failed;

    if (mez_cli_wants_help(argc, argv)) {
        usage(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m = 0;
        if (!strcmp(argv[i], "--once")) {
            once = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-start")) {   /* deploy's flag: configure zones, leave httpd alone */
            APR_ARRAY_PUSH(extra, const char *) = "--no-start";
            continue;
        }
        if ((m = mez_cli_option(argc, argv, &i, "--allow-mass-api", &v)) == 1) {
            mez_problem_t pb = { 0 };
            if (mez_http_base_check(p, v, NULL, &pb) != MEZ_OK) {
                fprintf(stderr, "mez provision: --allow-mass-api %s: %s\n", v, pb.detail);
                return MEZ_EXIT_USAGE;
            }
            APR_ARRAY_PUSH(mass_ok, const char *) = v;
            continue;
        }
        if (m == 0 && (m = mez_cli_option(argc, argv, &i, "--allow-database-host", &v)) == 1) {
            if (!mez_provision_host_entry_ok(v)) {
                fprintf(stderr, "mez provision: --allow-database-host %s is not HOST or HOST:PORT ([v6addr]:PORT)\n",
                        v);
                return MEZ_EXIT_USAGE;
            }
            APR_ARRAY_PUSH(db_ok, const char *) = v;
            continue;
        }
        if (m == 0 && (m = mez_cli_option(argc, argv, &i, "--spool", &spool)) == 0
            && (m = mez_cli_option(argc, argv, &i, "--interval", &interval_s)) == 0)
            for (const char *const *o = passed; *o && m == 0; o++)
                if ((m = mez_cli_option(argc, argv, &i, *o, &v)) == 1)
                    APR_ARRAY_PUSH(extra, const char *) = apr_pstrcat(p, *o, "=", v, NULL);
        if (m < 0) {
            fprintf(stderr, "mez provision: %s needs a value\n", argv[i]);
            return MEZ_EXIT_USAGE;
        }
        if (m == 0) {
            fprintf(stderr, "mez provision: unknown argument '%s' (mez provision --help)\n", argv[i]);
            return MEZ_EXIT_USAGE;
        }
    }
    if (!spool) {
        fprintf(stderr, "mez provision: --spool DIR is required (mez provision --help)\n");
        return MEZ_EXIT_USAGE;
    }
    if (interval_s && ((interval = atoi(interval_s)) < 1 || interval > 3600)) {
        fprintf(stderr, "mez provision: --interval is a number of seconds from 1 to 3600\n");
        return MEZ_EXIT_USAGE;
    }
    allow.mass_api = mass_ok;
    allow.database_host = db_ok;
    for (int k = 0; k < extra->nelts; k++) {
        const char *o = APR_ARRAY_IDX(extra, k, const char *);
        allow.mass_token |= !strncmp(o, "--mass-token-file=", 18);
        allow.database_password |= !strncmp(o, "--database-password-file=", 25);
    }
    allow.database_password |= holds_pg_password(p);
    {
        struct stat st;
        /* Status files are 0640 with the spool's group: a spool left in root's group (install -d -o www-data
         * without -g) would make every status unreadable to the admin API. */
        if (stat(spool, &st) == 0 && st.st_gid == 0 && geteuid() == 0)
            fprintf(stderr, "mez provision: warning: the spool %s is in group root: the status files (0640, the "
                    "spool's group) cannot be read by the admin API; give the spool the httpd user's group (chgrp "
                    "www-data %s)\n", spool, spool);
    }
    for (;;) {
        if ((failed = pass(p, spool, extra, &allow)) < 0) {
            fprintf(stderr, "mez provision: cannot read the spool %s\n", spool);
            return MEZ_EXIT_USAGE;
        }
        if (once)
            return failed ? MEZ_EXIT_INVALID : MEZ_EXIT_OK;
        apr_sleep(apr_time_from_sec(interval));
    }
}
