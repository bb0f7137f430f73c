/* cmd_deploy.c: `mez deploy`, a zone from one command. Everything that can be checked without writing is
 * checked first (profile, jurisdiction, packs against their lock, corridor peers, key, port, database, Mass);
 * then seven steps run, each journaling what it creates, and a failure undoes the journal in reverse order, so
 * a failed deploy leaves the data dir, the conf dir and httpd as they were. Every step compares what it would
 * write with what is there, so a second run with the same arguments changes nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/file.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/mass.h"
#include "mez/pack.h"
#include "mez/provision.h"
#include "mez/sanctions.h"
#include "mez/store.h"
#include "mez/token.h"
#include "mez/zone.h"
#include "deploy.h"
#include "mez_cli.h"
#include "un_import.h"

#define NSTEPS 7

/* The corridors' peers as the shared request checks resolved them (mez/provision.h). */
typedef mez_provision_peer_t peer_t;

typedef struct deploy_t {
    apr_pool_t *p;
    /* arguments */
    const char *profile, *zone_id, *packs_dir, *data_dir, *conf_dir, *listen, *server_name, *user;
    const char *database, *db_password_file, *mass_api, *mass_token_file, *corridors, *peers_file, *peer_ca;
    const char *httpd_root, *profile_dir, *sql_dir, *akn_xsd, *policy_conf, *key_file;
    const char *console_dir;     /* the regulator console's pages (NULL: none installed, none served) */
    const char *mode;            /* MezMode: development (default) or production */
    const char *console;         /* --console on|off: the regulator console in the zone's virtual host (on) */
    const char *progress_file;   /* --progress-file: the run's status document, rewritten after each step */
    const char *public_authority; /* --public-authority: more names peers address the zone by, comma-separated */
    const char *provision_request; /* --provision-request: the digest of the admin API request this run deploys */
    const char *provision_spool;   /* --provision-spool: the spool it came from (default: --progress-file's dir) */
    int dry_run, no_start;
    dep_un_t un;                 /* --sanctions-un, --sanctions-allow-shrink: the UN list zone.yaml declares */
    int packs_changed;           /* step 2 replaced the zone's packs: httpd must load them again */
    mez_provision_t prov;        /* the request as mez_provision_check read it */
    const char *err_code, *err_detail, *err_pointer; /* the pre-flight refusal, for the progress file */
    json_t *progress;            /* the status document --progress-file gets */
    /* derived */
    deploy_httpd_t httpd;
    uid_t uid;
    gid_t gid;
    const char *zone_dir, *key_path, *packs_path, *db_dir, *log_dir, *token_path, *conf_path, *src_dir;
    const char *url, *driver, *params, *cli_params, *admin_params, *pg_dbname, *pg_password, *pg_passline;
    const char *authorities;       /* MezPublicAuthority's values, space-separated */
    const char *db_desc, *mass_token, *did;
    mez_akn_schema_t *akn;
    mez_zone_t *zone;
    apr_array_header_t *peers;     /* peer_t: the corridors' peers */
    apr_array_header_t *undo;
    apr_array_header_t *cleanup;   /* const char *: removed once the deploy succeeded (packs moved aside) */
    int fresh;                     /* the zone dir did not exist */
    const char *token;
} deploy_t;

static const char *share_dir(apr_pool_t *p)
{
    /* MEZ_SQL_DIR is $(pkgdatadir)/sql: the installed content (profiles, conf, packs) sits beside it. */
    const char *sql = MEZ_SQL_DIR, *slash = strrchr(sql, '/');
    return slash ? apr_pstrndup(p, sql, (apr_size_t)(slash - sql)) : ".";
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mez deploy --profile PROFILE --jurisdiction ZONE_ID [options]\n"
        "Brings a zone up from the shipped packs in seven steps, reporting each:\n"
        "  [1/7] key        the zone's Ed25519 key, <data-dir>/<zone>/zone-key.pem (0600, owned by the httpd user);\n"
        "                   an existing key is kept (and never printed)\n"
        "  [2/7] packs      the jurisdiction's packs copied to <data-dir>/<zone>/packs and verified against their\n"
        "                   stack.lock (a mismatch names the artifact); zone.yaml's profile must be PROFILE; the UN\n"
        "                   list zone.yaml declares (sanctions_imports) imported into the copy (--sanctions-un)\n"
        "  [3/7] tensor     the compliance domains the profile and zone file select (tensor.json)\n"
        "  [4/7] database   created and migrated (SQLite in <zone>/data, or PostgreSQL), an operator token made\n"
        "                   once (<zone>/operator-token, 0600), <conf-dir>/<zone>.conf written (one <VirtualHost>),\n"
        "                   httpd's config test, httpd started or gracefully reloaded\n"
        "  [5/7] mass       every Mass primitive reachable (GET <url>/v1/<primitive>/status), or the sovereign\n"
        "                   store ready (/readyz)\n"
        "  [6/7] corridors  POST /v1/corridors to each --corridors peer (from --peers); the peer's operator accepts\n"
        "  [7/7] ready      /readyz is 200; the zone's endpoints and DID are printed\n"
        "Re-running with the same arguments changes nothing (each step says 'unchanged'). A failure at any step\n"
        "says which, and what this run created is removed again, in reverse order (files and directories it made,\n"
        "files it replaced restored, a database it created dropped, httpd stopped or reloaded back): the zone is\n"
        "either deployed or as it was before the run. Bad arguments are refused before anything is written.\n"
        "options:\n"
        "  --packs-dir DIR          where the jurisdictions' packs are (default $MEZ_PACKS_DIR, else %s/packs)\n"
        "  --data-dir DIR           default /var/lib/mez; the zone lives in DIR/<zone>\n"
        "  --conf-dir DIR           the zones' httpd confs (default <httpd-root>/zones, or /etc/apache2/mez-zones)\n"
        "  --httpd-root DIR         a self-contained httpd: DIR/httpd.conf is written (modules, Listen, the zones)\n"
        "                           and run as apache2 -d DIR -f DIR/httpd.conf; without it the system apache2\n"
        "                           (conf-available/mez-zones.conf, apache2ctl; needs a2enmod mez dbd)\n"
        "  --listen HOST:PORT       default 127.0.0.1:8080; zones on one address are name-based virtual hosts\n"
        "  --server-name NAME       default <zone>.localhost\n"
        "  --user USER              the httpd user (default: the estate's, else www-data)\n"
        "  --database sqlite|postgresql://USER@HOST:PORT/DBNAME   default sqlite; the password comes from\n"
        "                           --database-password-file FILE or $PGPASSWORD, never the command line; it is\n"
        "                           kept only in <zone>/pgpass (0600, owned by the httpd user), which the\n"
        "                           generated DBDParams name with passfile= (libpq's PGPASSFILE)\n"
        "  --mass-api sovereign|URL  default sovereign (the zone's own store); URL: a remote Mass for all five\n"
        "  --mass-token-file FILE   its bearer token (copied to <zone>/mass.token, 0600)\n"
        "  --corridors Z1,Z2        peers to propose corridors to; each must be in --peers\n"
        "  --peers FILE             peers registry, JSON: {\"<zone_id>\": {\"url\": ..., \"did\": \"did:key:...\"}}\n"
        "  --peer-ca FILE           CA bundle for the peers' https (MezPeerCAFile)\n"
        "  --public-authority H[:P],...  names peers address the zone by besides its server name and listen\n"
        "                           address (a load balancer's, say); MezPublicAuthority lists them all, and a\n"
        "                           peer's request signed for any other name is refused. Remembered in\n"
        "                           deploy.json; a re-deploy that gives it replaces the list\n"
        "  --key-file FILE          use this Ed25519 key (PEM) instead of generating one\n"
        "  --sanctions-un FILE      the UN Security Council Consolidated List (its XML, as the UN publishes it) for a\n"
        "                           zone.yaml that declares it: imported as `mez sanctions import-un` does (refused\n"
        "                           when it names no one, is not the UN list, or has fewer than half the entries of\n"
        "                           the zone's list: --sanctions-allow-shrink) into <zone>/packs/" DEPLOY_UN_LIST ",\n"
        "                           listed in its zone.yaml, stack.lock written again. A re-deploy without it keeps\n"
        "                           the list imported before. --mode production refuses a zone that declares the\n"
        "                           list and would not have it (deploy.sanctions_list_missing)\n"
        "  --profile-dir DIR, --sql-dir DIR, --akn-xsd FILE, --policy-conf FILE   content (defaults: $MEZ_PROFILE_DIR,\n"
        "                           $MEZ_SQL_DIR, $MEZ_AKN_XSD, $MEZ_POLICY_CONF, else under %s)\n"
        "  --mode development|production   MezMode (default development; production refuses a remote Mass\n"
        "                           without a token or over plain http, and lawpacks without the AKN schema;\n"
        "                           deploy refuses a plain-http Mass before its probe would send the token)\n"
        "  --console on|off         the regulator console at /regulator/ (default on, where it is installed)\n"
        "                           --policy-conf, --mode and --console are remembered in deploy.json: a re-deploy\n"
        "                           or a restore without them keeps what the zone ran on\n"
        "  --progress-file FILE     rewrite FILE (JSON: state, steps, did, endpoints, error) as the run goes; what\n"
        "                           `mez provision` leaves for GET /admin/zones/{id} (0640, its directory's group)\n"
        "  --provision-request sha256:HEX   `mez provision`'s: the digest of the request this run deploys, kept in\n"
        "                           deploy.json, where the provisioner reads which zones a request of the admin API\n"
        "                           made (a deploy without it takes the zone out of the API's hands)\n"
        "  --provision-spool DIR    with it: the admin spool the request is in (default: --progress-file's\n"
        "                           directory), kept in deploy.json for `mez zone destroy`\n"
        "  --dry-run                print the plan; write nothing\n"
        "  --no-start               everything but starting or reloading httpd (steps 5-7 skipped)\n"
        "environment: MEZ_HTTPD (apache2), MEZ_HTTPD_MODULES (/usr/lib/apache2/modules), MEZ_MODULE (mod_mez.so).\n"
        "exit codes: 0 deployed (or unchanged), 1 an argument is invalid, 2 a step failed (undone).\n",
        MEZ_SQL_DIR "/..", MEZ_SQL_DIR "/..");
}

/* ------------------------------------------------------------------ pre-flight: nothing is written */

static int refuse(deploy_t *d, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(deploy_t *d, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->err_detail = apr_pvsprintf(d->p, fmt, ap);
    va_end(ap);
    d->err_code = code;
    fprintf(stderr, "mez deploy: %s: %s\nnothing was written\n", code, d->err_detail);
    return MEZ_EXIT_INVALID;
}

/* A refusal of the shared request checks (mez/provision.h), under the deploy.* code deploy has always printed
 * for it; the progress file keeps the provision.* code and pointer the admin API answers with. */
static int refuse_provision(deploy_t *d, const mez_problem_t *pb)
{
    static const char *const names[][3] = {    /* provision code, pointer prefix, deploy code */
        { "provision.invalid_field", "/jurisdiction", "deploy.invalid_zone" },
        { "provision.invalid_field", "/database", "deploy.invalid_database" },
        { "provision.invalid_field", "/listen", "deploy.invalid_listen" },
        { "provision.invalid_field", "/mass_api", "deploy.invalid_mass" },
        { "provision.invalid_field", "/server_name", "deploy.invalid_server_name" },
        { "provision.invalid_field", "/public_authority", "deploy.invalid_public_authority" },
        { "provision.invalid_field", "/corridors", "deploy.unknown_peer" },
        { "provision.unknown_corridor", "", "deploy.unknown_peer" },
        { "provision.database_password", "", "deploy.password_on_command_line" },
        { NULL, NULL, NULL },
    };
    const char *code = apr_pstrcat(d->p, "deploy.", strchr(pb->code, '.') ? strchr(pb->code, '.') + 1 : pb->code,
                                   NULL), *ptr = pb->pointer ? pb->pointer : "";
    if (!strcmp(pb->code, "provision.invalid_field") && !strcmp(ptr, "/mode")) {
        /* A bad --mode is a usage error, as it always was. */
        fprintf(stderr, "mez deploy: %s\n", pb->detail);
        d->err_code = pb->code;
        d->err_detail = pb->detail;
        d->err_pointer = pb->pointer;
        return MEZ_EXIT_USAGE;
    }
    for (int i = 0; names[i][0]; i++)
        if (!strcmp(pb->code, names[i][0]) && !strncmp(ptr, names[i][1], strlen(names[i][1]))) {
            code = names[i][2];
            break;
        }
    refuse(d, code, "%s (%s%s%s)", pb->detail, pb->code, *ptr ? " at " : "", ptr);
    d->err_detail = pb->detail;
    d->err_code = pb->code;
    d->err_pointer = pb->pointer;
    return MEZ_EXIT_INVALID;
}

/* Loads zone.yaml under dir with its profile and packs, and checks the lock and the layers' conflicts. */
static int load_verified(deploy_t *d, const char *dir, mez_zone_t **zone, const char **why)
{
    apr_pool_t *p = d->p;
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    opts.profile_dir = d->profile_dir;
    opts.akn_schema = d->akn;
    opts.problems = apr_array_make(p, 4, sizeof(mez_problem_t));
    if (mez_zone_load(p, apr_pstrcat(p, dir, "/zone.yaml", NULL), &opts, zone, &pb) != MEZ_OK
        || mez_zone_verify_lock(p, *zone, &opts, &pb) != MEZ_OK
        || mez_zone_check_conflicts(p, *zone, &opts, &pb) != MEZ_OK) {
        const char *all = "";
        for (int i = 0; i < opts.problems->nelts; i++) {
            const mez_problem_t *x = &APR_ARRAY_IDX(opts.problems, i, mez_problem_t);
            all = apr_psprintf(p, "%s\n  %s: %s", all, x->code, x->detail);
        }
        *why = opts.problems->nelts ? all : apr_psprintf(p, "\n  %s: %s", pb.code, pb.detail);
        return -1;
    }
    return 0;
}

static const char *pg_quote(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 3), *o = out;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
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

/* The database mez_provision_check read (sqlite, or postgresql://USER@HOST[:PORT]/DBNAME): conninfo for httpd
 * (passfile, no password) and for this run. */
static int parse_database(deploy_t *d)
{
    apr_pool_t *p = d->p;
    const char *user = d->prov.db_user, *host = d->prov.db_host, *port = d->prov.db_port, *base;
    if (!strcmp(d->prov.db_driver, "sqlite3")) {
        d->driver = "sqlite3";
        d->params = apr_pstrcat(p, d->db_dir, "/mez.sqlite", NULL);
        d->cli_params = d->params;
        d->db_desc = apr_pstrcat(p, "sqlite3 ", d->params, NULL);
        return 0;
    }
    d->pg_dbname = d->prov.db_name;
    if (d->db_password_file) {
        const char *text = dep_read(p, d->db_password_file, NULL);
        char *nl;
        if (!text)
            return refuse(d, "deploy.unreadable_password_file", "cannot read --database-password-file %s",
                          d->db_password_file);
        d->pg_password = apr_pstrdup(p, text);
        if ((nl = strchr((char *)d->pg_password, '\n')))
            *nl = '\0';
    }
    else if (getenv("PGPASSWORD") && *getenv("PGPASSWORD"))
        d->pg_password = getenv("PGPASSWORD");
    d->driver = "pgsql";
    /* connect_timeout for this run's own connections too: a host that takes the TCP connection and never answers
     * would otherwise hold deploy (and `mez provision`, with every request queued after this one) for ever. */
    base = apr_psprintf(p, "host=%s port=%s user=%s connect_timeout=10", host, port, user);
    /* httpd's connections give up on a database that stops answering instead of holding a worker for ever: a
     * connection attempt after 10 s, an established one whose packets go unacknowledged after 30 s (a partition,
     * a dead host), probed when idle. All client-side keywords, so a pooler in between (PgBouncer) is fine. */
    d->params = apr_psprintf(p, "%s dbname=%s keepalives=1 keepalives_idle=30 "
                             "keepalives_interval=10 keepalives_count=3 tcp_user_timeout=30000", base, d->pg_dbname);
    if (d->pg_password) {
        d->params = apr_psprintf(p, "%s passfile=%s", d->params,
                                 pg_quote(p, apr_pstrcat(p, d->zone_dir, "/" DEPLOY_PGPASS, NULL)));
        d->pg_passline = apr_psprintf(p, "%s:%s:*:%s:%s\n", pgpass_escape(p, host), port, pgpass_escape(p, user),
                                      pgpass_escape(p, d->pg_password));
        base = apr_psprintf(p, "%s password=%s", base, pg_quote(p, d->pg_password));
    }
    /* This run's own connections carry the password in memory only; and ignore any stray PGPASSFILE. */
    d->cli_params = apr_psprintf(p, "%s dbname=%s", base, d->pg_dbname);
    d->admin_params = apr_psprintf(p, "%s dbname=postgres", base);
    d->db_desc = apr_psprintf(p, "postgresql://%s@%s:%s/%s", user, host, port, d->pg_dbname);
    return 0;
}

/* MezPublicAuthority: the names peers address the zone by, so that a request a peer signed for another zone is
 * refused here. The server name (on the default port, as through a load balancer, and on the listen port), the
 * listen address when it is one a peer can reach (not a wildcard), and --public-authority's (checked with the
 * rest of the request by mez_provision_check). */
static void public_authorities(deploy_t *d)
{
    apr_pool_t *p = d->p;
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));
    const char *port = strrchr(d->listen, ':'), *host = d->prov.listen_host;

    APR_ARRAY_PUSH(names, const char *) = d->server_name;
    if (port)
        APR_ARRAY_PUSH(names, const char *) = apr_pstrcat(p, d->server_name, port, NULL);
    if (host && strcmp(host, "*") && strcmp(host, "0.0.0.0") && strcmp(host, "[::]") && strcmp(host, "::"))
        APR_ARRAY_PUSH(names, const char *) = d->listen;
    apr_array_cat(names, d->prov.public_authority);
    for (int i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        int seen = !mez_httpsig_authority_valid(n);   /* a listen address mez_provision_check let through */
        for (int j = 0; j < i && !seen; j++)
            seen = !strcasecmp(n, APR_ARRAY_IDX(names, j, const char *));
        if (!seen)
            d->authorities = d->authorities ? apr_pstrcat(p, d->authorities, " ", n, NULL) : n;
    }
}

/* The listen address must be free, or already ours (this zone's, or shared with another zone of this httpd). */
static int check_listen(deploy_t *d)
{
    apr_pool_t *p = d->p;
    apr_array_header_t *others, *mine;
    const char *host = d->prov.listen_host, *owner;   /* the syntax is mez_provision_check's */
    int port = d->prov.listen_port, running = dep_httpd_running(p, &d->httpd);
    dep_httpd_zones(p, &d->httpd, d->zone_id, &others, NULL);
    dep_httpd_zones(p, &d->httpd, NULL, &mine, NULL);
    /* The admin API's deploys come through here too. */
    if ((owner = dep_httpd_name_owner(p, &d->httpd, d->zone_id, d->listen, d->server_name)))
        return refuse(d, "deploy.server_name_taken", "zone %s already serves the server name %s on %s: give this "
                      "zone another --server-name (or another --listen)", owner, d->server_name, d->listen);
    if (running)
        for (int i = 0; i < mine->nelts; i++)
            if (!strcmp(APR_ARRAY_IDX(mine, i, const char *), d->listen))
                return 0;   /* our httpd listens there already */
    if (!dep_port_free(p, host, port))
        return refuse(d, "deploy.port_in_use", "the listen address %s is in use by another program%s", d->listen,
                      running ? "" : " (the zones' httpd is not running)");
    (void)others;
    return 0;
}

/* Every Mass primitive at --mass-api answers its status probe; *why names the first that does not. */
static int probe_mass(deploy_t *d, const char **why)
{
    mez_mass_t m;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++) {
        const char *state, *detail;
        m.endpoint[i].base_url = d->mass_api;
        m.endpoint[i].token = d->mass_token;
        m.endpoint[i].timeout_ms = 5000;
        if (mez_mass_probe(d->p, &m, (mez_mass_primitive_t)i, &state, &detail) != MEZ_OK) {
            *why = apr_psprintf(d->p, "Mass %s at %s is %s: %s", mez_mass_primitive_name((mez_mass_primitive_t)i),
                                d->mass_api, state, detail);
            return -1;
        }
    }
    return 0;
}

static int check_mass(deploy_t *d)
{
    apr_pool_t *p = d->p;
    mez_problem_t pb = { 0 };
    const char *why;
    if (!d->mass_api || !strcmp(d->mass_api, "sovereign"))
        return 0;
    /* Its syntax was mez_provision_check's: here it must answer. */
    if (d->mass_token_file && mez_mass_token_load(p, d->mass_token_file, &d->mass_token, &pb) != MEZ_OK)
        return refuse(d, "deploy.unreadable_mass_token", "--mass-token-file %s: %s", d->mass_token_file, pb.detail);
    if (probe_mass(d, &why))
        return refuse(d, "deploy.mass_unreachable", "%s", why);
    return 0;
}

/* An option's list ("a,b" or "a b") as a JSON array of its items, spaces taken out of each (an empty item stays,
 * for the request's check to name). */
static json_t *split_list(apr_pool_t *p, const char *text, const char *sep)
{
    json_t *list = json_array();
    char *copy = apr_pstrdup(p, text), *save = NULL;
    for (char *t = apr_strtok(copy, sep, &save); t; t = apr_strtok(NULL, sep, &save)) {
        apr_collapse_spaces(t, t);     /* (it answers the end of the string, not its start) */
        json_array_append_new(list, json_string(t));
    }
    return list;
}

/* The options as the admin API's request document (mez/provision.h), for the checks both share. */
static json_t *request_of(deploy_t *d)
{
    json_t *req = json_pack("{s:s,s:s,s:s,s:s,s:s}", "jurisdiction", d->zone_id, "profile", d->profile, "listen",
                            d->listen, "server_name", d->server_name, "mode", d->mode);
    if (d->mass_api)
        json_object_set_new(req, "mass_api", json_string(d->mass_api));
    if (d->database)
        json_object_set_new(req, "database", json_string(d->database));
    if (d->corridors && *d->corridors)
        json_object_set_new(req, "corridors", split_list(d->p, d->corridors, ","));
    if (d->public_authority && *d->public_authority)   /* "lb.example, lb.example:8443" */
        json_object_set_new(req, "public_authority", split_list(d->p, d->public_authority, ","));
    return mez_json_pool_own(d->p, req);
}

/* An existing PostgreSQL database is this zone's to use only when it is empty or holds this zone's records (a
 * re-deploy, or another node of the same zone): a zone's register, ledger and audit chain are its own, and a
 * mistyped --database (or an admin API request naming another zone's database) must not put two zones in one store,
 * nor a zone's tables into another application's database. Which zone a mez database holds: the zone ids of its
 * tokens and audit rows (every deploy writes both). */
static int database_is_ours(deploy_t *d, apr_pool_t *sub)
{
    mez_problem_t pb = { 0 };
    const char *other = NULL, *foreign = NULL, *mez = NULL;
    mez_db_t *db;
    if (mez_db_open(sub, "pgsql", d->cli_params, &db, &pb) != MEZ_OK)
        return refuse(d, "deploy.database_refused", "the database %s refused the connection: %s", d->db_desc,
                      pb.detail);
    if (mez_db_query_value(sub, db, &foreign, "SELECT string_agg(table_schema || '.' || table_name, ', ' ORDER BY "
                           "table_schema, table_name) FROM information_schema.tables WHERE table_schema NOT IN "
                           "('pg_catalog', 'information_schema') AND table_name NOT LIKE 'mez\\_%%'", &pb, NULL)
            != MEZ_OK
        || mez_db_query_value(sub, db, &mez, "SELECT to_regclass('mez_schema_version')::text", &pb, NULL) != MEZ_OK)
        return refuse(d, "deploy.database_refused", "the database %s could not be read: %s", d->db_desc, pb.detail);
    if (foreign && *foreign)
        return refuse(d, "deploy.database_in_use", "the database %s holds tables that are not mez's (%s): a zone "
                      "gets a database of its own (name another in --database)", d->db_desc, foreign);
    if (mez && *mez
        && mez_db_query_value(sub, db, &other, "SELECT zone_id FROM mez_token WHERE zone_id <> %s UNION SELECT "
                              "zone_id FROM mez_audit WHERE zone_id <> %s LIMIT 1", &pb, d->zone_id, d->zone_id,
                              NULL) != MEZ_OK)
        return refuse(d, "deploy.database_refused", "the database %s could not be read: %s", d->db_desc, pb.detail);
    if (other)
        return refuse(d, "deploy.database_in_use", "the database %s holds zone %s's records: a zone gets a database "
                      "of its own (name another in --database)", d->db_desc, other);
    return 0;
}

static int preflight(deploy_t *d)
{
    apr_pool_t *p = d->p;
    mez_problem_t pb = { 0 };
    mez_provision_env_t env = { 0 };
    mez_zone_t *src;
    mez_key_t *k;
    const char *why;
    int rc;

    /* First what the admin API checks too, with the same codes and words. */
    env.profile_dir = d->profile_dir;
    env.packs_dir = d->packs_dir;
    env.peers_file = d->peers_file;
    env.cli = 1;
    if (mez_provision_check(p, request_of(d), &env, &d->prov, &pb) != MEZ_OK)
        return refuse_provision(d, &pb);
    d->src_dir = d->prov.src_dir;
    d->peers = d->prov.corridors;
    d->mass_api = d->prov.mass_api;
    if (geteuid() == 0 && dep_user(d->user, &d->uid, &d->gid))
        return refuse(d, "deploy.unknown_user", "--user %s: no such user", d->user);
    dep_user(d->user, &d->uid, &d->gid);
    if (!d->akn_xsd || !dep_exists(p, d->akn_xsd))
        return refuse(d, "deploy.no_akn_schema", "the Akoma Ntoso schema %s is missing (--akn-xsd or $MEZ_AKN_XSD): "
                      "lawpacks are validated against it", d->akn_xsd ? d->akn_xsd : "");
    if (mez_akn_schema_load(p, d->akn_xsd, (const mez_akn_schema_t **)&d->akn, &pb) != MEZ_OK)
        return refuse(d, "deploy.no_akn_schema", "%s: %s", d->akn_xsd, pb.detail);
    if (load_verified(d, d->src_dir, &src, &why))
        return refuse(d, "deploy.packs_invalid", "the packs of %s in %s do not verify:%s", d->zone_id, d->src_dir,
                      why);
    if (dep_un_plan(p, src, d->packs_path, &d->un, &pb) != 0)
        return refuse(d, pb.code, "%s%s%s", d->un.xml ? "--sanctions-un " : "", d->un.xml ? d->un.xml : "",
                      apr_pstrcat(p, d->un.xml ? ": " : "", pb.detail, NULL));
    /* A production zone screens against every list it declares or does not start (mod_mez refuses it): refused
     * here, before anything is written, rather than by an httpd that would then stop serving the other zones. */
    if (d->un.declared && !d->un.import && !d->un.carry && !strcmp(d->mode, "production"))
        return refuse(d, "deploy.sanctions_list_missing", "zone %s declares the sanctions list %s and --mode "
                      "production screens against it or does not start: give the UN Security Council Consolidated "
                      "List (its XML, from %s) with --sanctions-un FILE", d->zone_id, d->un.declared,
                      MEZ_SANCTIONS_UN_URL);
    {
        /* Every path deploy writes into an httpd conf, quoted there: one holding what a quoted argument cannot
         * hold as it is would make a conf httpd misreads, found only when it refuses to start. */
        const char *paths[] = { d->data_dir, d->conf_dir, d->httpd.root, d->packs_dir, d->profile_dir, d->akn_xsd,
                                d->policy_conf, d->console_dir, d->peer_ca, d->key_file };
        const char *names[] = { "--data-dir", "--conf-dir", "--httpd-root", "--packs-dir", "--profile-dir",
                                "--akn-xsd", "--policy-conf", "MEZ_CONSOLE_DIR", "--peer-ca", "--key-file" };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            if (paths[i] && !dep_conf_path_ok(paths[i]))
                return refuse(d, "deploy.unsafe_path", "%s %s: a path written into httpd's configuration may not "
                              "hold a double quote, a backslash, a dollar sign or a control character", names[i],
                              paths[i]);
    }
    if (!dep_exists(p, d->policy_conf))
        return refuse(d, "deploy.no_policy", "%s is missing (--policy-conf)", d->policy_conf);
    if (!dep_is_dir(p, d->sql_dir))
        return refuse(d, "deploy.no_sql", "the SQL migrations directory %s is missing (--sql-dir)", d->sql_dir);
    if (!d->no_start && (access(d->httpd.bin, X_OK) != 0 || (d->httpd.root && !dep_exists(p, d->httpd.mez_module))))
        return refuse(d, "deploy.no_httpd", "httpd (%s) or mod_mez (%s) not found: set MEZ_HTTPD / MEZ_MODULE",
                      d->httpd.bin, d->httpd.mez_module);
    public_authorities(d);
    if (d->peer_ca && !dep_read(p, d->peer_ca, NULL))
        return refuse(d, "deploy.unreadable_peer_ca", "cannot read --peer-ca %s", d->peer_ca);
    if (d->key_file && mez_key_load_private(p, d->key_file, &k, &pb) != MEZ_OK)
        return refuse(d, "deploy.unreadable_key", "--key-file %s: %s", d->key_file, pb.detail);
    if (dep_exists(p, d->key_path) && mez_key_load_private(p, d->key_path, &k, &pb) != MEZ_OK)
        return refuse(d, "deploy.unreadable_key", "the zone's key %s: %s", d->key_path, pb.detail);
    if (dep_exists(p, d->key_path) && d->key_file) {
        mez_key_t *given;
        mez_key_load_private(p, d->key_file, &given, &pb);
        if (strcmp(mez_did_key(p, k), mez_did_key(p, given)))
            return refuse(d, "deploy.key_mismatch", "zone %s already has a different key (%s): a zone's key is not "
                          "replaced by a deploy", d->zone_id, d->key_path);
    }
    if ((rc = parse_database(d)) != 0 || (rc = check_listen(d)) != 0)
        return rc;
    if (!strcmp(d->driver, "pgsql")) {
        mez_db_t *db;
        apr_pool_t *sub;
        const char *exists = NULL;
        apr_pool_create(&sub, p);
        if (mez_db_open(sub, "pgsql", d->admin_params, &db, &pb) != MEZ_OK) {
            apr_pool_destroy(sub);
            return refuse(d, "deploy.database_refused", "the database server refused the connection (%s): %s",
                          d->db_desc, pb.detail);
        }
        if (mez_db_query_value(sub, db, &exists, "SELECT datname FROM pg_database WHERE datname = %s", &pb,
                               d->pg_dbname, NULL) == MEZ_OK && exists && (rc = database_is_ours(d, sub)) != 0) {
            apr_pool_destroy(sub);
            return rc;
        }
        apr_pool_destroy(sub);
    }
    return check_mass(d);
}

/* ------------------------------------------------------------------ the steps */

typedef int (*step_fn)(deploy_t *d, const char **result);

static int fail(deploy_t *d, const char **result, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(deploy_t *d, const char **result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *result = apr_pvsprintf(d->p, fmt, ap);
    va_end(ap);
    return -1;
}

static int step_key(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    const char *err;
    undo_t *u;

    if (dep_mkdir(p, d->undo, d->data_dir, 0755, &err) || dep_mkdir(p, d->undo, d->zone_dir, 0755, &err))
        return fail(d, result, "%s", err);
    if (dep_exists(p, d->key_path)) {
        if (mez_key_load_private(p, d->key_path, &key, &pb) != MEZ_OK)
            return fail(d, result, "%s: %s", d->key_path, pb.detail);
        d->did = mez_did_key(p, key);
        chmod(d->key_path, 0600);
        dep_chown(d->key_path, d->uid, d->gid, 0);
        *result = apr_psprintf(p, "unchanged (%s)", d->did);
        return 0;
    }
    if (d->key_file) {
        if (mez_key_load_private(p, d->key_file, &key, &pb) != MEZ_OK)
            return fail(d, result, "--key-file %s: %s", d->key_file, pb.detail);
    }
    else if (mez_key_generate(p, &key, &pb) != MEZ_OK)
        return fail(d, result, "%s", pb.detail);
    if (mez_key_save_private(p, key, d->key_path, &pb) != MEZ_OK)
        return fail(d, result, "%s", pb.detail);
    u = apr_array_push(d->undo);
    memset(u, 0, sizeof(*u));
    u->kind = UNDO_REMOVE;
    u->path = d->key_path;
    chmod(d->key_path, 0600);
    if (dep_chown(d->key_path, d->uid, d->gid, 0))
        return fail(d, result, "cannot give %s to %s", d->key_path, d->user);
    d->did = mez_did_key(p, key);
    *result = apr_psprintf(p, "ok (%s %s, 0600, owner %s)", d->key_file ? "imported" : "created", d->did, d->user);
    return 0;
}

/* What the packs step did with the UN list zone.yaml declares, for its line ("" when it declares none). */
static const char *un_note(deploy_t *d)
{
    if (d->un.summary)
        return apr_pstrcat(d->p, "; ", d->un.summary, NULL);
    if (d->un.declared)
        return apr_psprintf(d->p, "; warning: %s is not loaded, names are not screened against it: --sanctions-un "
                            "FILE imports it", d->un.declared);
    return "";
}

static int step_packs(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    const char *tmp = apr_pstrcat(p, d->packs_path, ".new", NULL), *err, *why;
    undo_t *u;
    dep_remove_tree(p, tmp);
    if (dep_copy_tree(p, d->src_dir, tmp, &err)) {
        dep_remove_tree(p, tmp);
        return fail(d, result, "%s", err);
    }
    /* The copy is what httpd will load: verify it, not only the source. */
    if (load_verified(d, tmp, &d->zone, &why)) {
        dep_remove_tree(p, tmp);
        return fail(d, result, "the copied packs do not verify against their stack.lock:%s", why);
    }
    /* Then the UN list zone.yaml declares goes into the copy (and its lock), which is verified again. */
    {
        mez_zone_options_t zo = { 0 };
        zo.profile_dir = d->profile_dir;
        zo.akn_schema = d->akn;
        if (dep_un_apply(p, &d->un, tmp, &zo, &err)) {
            dep_remove_tree(p, tmp);
            return fail(d, result, "the UN sanctions list: %s", err);
        }
        if ((d->un.import || d->un.carry) && load_verified(d, tmp, &d->zone, &why)) {
            dep_remove_tree(p, tmp);
            return fail(d, result, "the packs with the UN list do not verify:%s", why);
        }
    }
    if (dep_is_dir(p, d->packs_path) && dep_trees_equal(p, tmp, d->packs_path)) {
        dep_remove_tree(p, tmp);
        /* Load what stays, so the paths the zone reports are the served ones. */
        if (load_verified(d, d->packs_path, &d->zone, &why))
            return fail(d, result, "%s:%s", d->packs_path, why);
        *result = apr_psprintf(p, "unchanged (%d artifacts, lock %s%s)", d->zone->packs->nelts,
                               mez_digest_format(p, &d->zone->lock_digest), un_note(d));
        return 0;
    }
    u = apr_array_push(d->undo);
    memset(u, 0, sizeof(*u));
    if (dep_is_dir(p, d->packs_path)) {
        const char *aside = apr_psprintf(p, "%s.old.%ld", d->packs_path, (long)getpid());
        if (rename(d->packs_path, aside) != 0)
            return fail(d, result, "cannot move %s aside", d->packs_path);
        u->kind = UNDO_RENAME_BACK;
        u->aside = aside;
        APR_ARRAY_PUSH(d->cleanup, const char *) = aside;
    }
    else
        u->kind = UNDO_REMOVE;
    u->path = d->packs_path;
    if (rename(tmp, d->packs_path) != 0)
        return fail(d, result, "cannot rename %s", tmp);
    if (load_verified(d, d->packs_path, &d->zone, &why))
        return fail(d, result, "%s:%s", d->packs_path, why);
    d->packs_changed = 1;
    *result = apr_psprintf(p, "ok (%d artifacts from %s verified against stack.lock %s%s)", d->zone->packs->nelts,
                           d->src_dir, mez_digest_format(p, &d->zone->lock_digest), un_note(d));
    return 0;
}

static int step_tensor(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    json_t *o = json_object(), *domains = json_array(), *packs = json_array();
    const char *text, *err, *list = "";
    mez_problem_t pb = { 0 };
    int changed;
    for (int i = 0; i < d->zone->compliance_domains->nelts; i++) {
        const char *dom = APR_ARRAY_IDX(d->zone->compliance_domains, i, const char *);
        json_array_append_new(domains, json_string(dom));
        list = apr_psprintf(p, "%s%s%s", list, *list ? "," : "", dom);
    }
    for (int i = 0; i < d->zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(d->zone->packs, i, mez_zone_pack_t);
        json_array_append_new(packs, json_pack("{s:s,s:s,s:s,s:s}", "type", mez_pack_kind_name(zp->kind), "id",
                                               zp->pack->id, "domain", zp->pack->domain, "digest",
                                               mez_pack_digest_string(p, zp->pack)));
    }
    json_object_set_new(o, "zone_id", json_string(d->zone->zone_id));
    json_object_set_new(o, "profile", json_pack("{s:s,s:s}", "id", d->zone->profile->id, "digest",
                                                mez_digest_format(p, &d->zone->profile->digest)));
    json_object_set_new(o, "compliance_domains", domains);
    json_object_set_new(o, "domains_from", json_string(d->zone->domains_from_zone ? "zone" : "profile"));
    json_object_set_new(o, "packs", packs);
    json_object_set_new(o, "stack_lock", json_string(mez_digest_format(p, &d->zone->lock_digest)));
    mez_json_pool_own(p, o);
    if (mez_json_canonicalize(p, o, &text, NULL, &pb) != MEZ_OK)
        return fail(d, result, "%s", pb.detail);
    text = apr_pstrcat(p, text, "\n", NULL);
    if (dep_write_journaled(p, d->undo, apr_pstrcat(p, d->zone_dir, "/" DEPLOY_TENSOR, NULL), text, strlen(text),
                            0644, &changed, &err))
        return fail(d, result, "%s", err);
    *result = apr_psprintf(p, "%s (%d domains: %s; profile %s)", changed ? "ok" : "unchanged",
                           d->zone->compliance_domains->nelts, list, d->zone->profile->id);
    return 0;
}

/* conf/mez-regulator.conf: beside the policy conf (a source tree's conf/, or the installed one), else where mez's
 * confs are installed (a zone with a policy of its own keeps the shipped console). */
static const char *console_conf(deploy_t *d)
{
    const char *slash = strrchr(d->policy_conf, '/');
    const char *beside = apr_pstrcat(d->p, slash ? apr_pstrndup(d->p, d->policy_conf,
                                                                 (apr_size_t)(slash - d->policy_conf)) : ".",
                                     "/mez-regulator.conf", NULL);
    return dep_exists(d->p, beside) ? beside : apr_pstrcat(d->p, share_dir(d->p), "/conf/mez-regulator.conf", NULL);
}

static const char *conf_text(deploy_t *d)
{
    apr_pool_t *p = d->p;
    const char *t = apr_psprintf(p,
        DEPLOY_LISTEN_MARK "%s\n"
        "# %s.conf: zone %s (profile %s), written by `mez deploy` (rewritten by a re-deploy, removed by\n"
        "# `mez zone destroy`). Its files are in %s.\n"
        "<VirtualHost %s>\n"
        "    ServerName %s\n"
        /* Paths are quoted (a data directory may have a space in its name); deploy refused the characters a
         * quoted httpd argument cannot hold as they are (dep_conf_path_ok). */
        "    ErrorLog \"%s/error.log\"\n"
        "    CustomLog \"%s/access.log\" \"%%h %%l %%u %%t \\\"%%r\\\" %%>s %%b %%D\"\n"
        "    MezZone %s\n"
        "    MezKeyFile \"%s\"\n"
        "    MezDataDir \"%s\"\n"
        "    MezZoneFile \"%s/zone.yaml\"\n"
        "    MezProfileDir \"%s\"\n"
        "    MezAknSchema \"%s\"\n"
        "    MezMode %s\n"
        "    MezMaxBodySize 1048576\n"
        /* TRACE would echo a request's headers, its bearer token included, back as the body. */
        "    TraceEnable off\n",
        d->listen, d->zone_id, d->zone_id, d->profile, d->zone_dir, d->listen, d->server_name, d->log_dir,
        d->log_dir, d->zone_id, d->key_path, d->db_dir, d->packs_path, d->profile_dir, d->akn_xsd, d->mode);
    if (d->mass_api && strcmp(d->mass_api, "sovereign")) {
        for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
            t = apr_psprintf(p, "%s    MezMassEndpoint %s %s\n", t, mez_mass_primitive_name((mez_mass_primitive_t)i),
                             d->mass_api);
        if (d->mass_token)
            t = apr_psprintf(p, "%s    MezMassTokenFile \"%s/" DEPLOY_MASSTOKEN "\"\n", t, d->zone_dir);
    }
    for (int i = 0; i < d->peers->nelts; i++) {
        const peer_t *pe = &APR_ARRAY_IDX(d->peers, i, peer_t);
        t = apr_psprintf(p, "%s    MezPeer %s %s %s\n", t, pe->zone_id, pe->url, pe->did);
    }
    if (d->peer_ca)
        t = apr_psprintf(p, "%s    MezPeerCAFile \"%s\"\n", t, d->peer_ca);
    if (d->authorities)
        t = apr_psprintf(p, "%s    MezPublicAuthority %s\n", t, d->authorities);
    /* The password is not here: libpq reads it from passfile (0600, the httpd user's). */
    return apr_psprintf(p,
        "%s    DBDriver %s\n"
        "    DBDParams \"%s\"\n"
        "    DBDMin 0\n    DBDKeep 2\n    DBDMax 10\n"
        "    <Location />\n        SetHandler mez-api\n    </Location>\n"
        "    Include \"%s\"\n"
        "%s"
        "</VirtualHost>\n", t, d->driver, d->params, d->policy_conf,
        /* The regulator console (static pages at /regulator/) beside the API, with the conf shipped beside
         * mez-policy.conf. */
        d->console_dir ? apr_psprintf(p, "    Define MEZ_CONSOLE_DIR \"%s\"\n    Include \"%s\"\n", d->console_dir,
                                      console_conf(d)) : "");
}

/* Creates (PostgreSQL: when missing) and migrates the database, and makes the operator token once. */
static int database(deploy_t *d, const char **what)
{
    apr_pool_t *sub, *p = d->p;
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    const char *err, *created = "";
    int from, to, changed;
    undo_t *u;

    apr_pool_create(&sub, p);
    if (!strcmp(d->driver, "pgsql")) {
        const char *exists = NULL;
        if (d->pg_passline && dep_write_journaled(p, d->undo, apr_pstrcat(p, d->zone_dir, "/" DEPLOY_PGPASS, NULL),
                                                  d->pg_passline, strlen(d->pg_passline), 0600, &changed, &err))
            goto fail_err;
        if (d->pg_passline)
            dep_chown(apr_pstrcat(p, d->zone_dir, "/" DEPLOY_PGPASS, NULL), d->uid, d->gid, 0);
        if (mez_db_open(sub, "pgsql", d->admin_params, &db, &pb) != MEZ_OK
            || mez_db_query_value(sub, db, &exists, "SELECT datname FROM pg_database WHERE datname = %s", &pb,
                                  d->pg_dbname, NULL) != MEZ_OK)
            goto fail_pb;
        if (!exists) {
            if (mez_db_exec(sub, db, apr_psprintf(sub, "CREATE DATABASE \"%s\"", d->pg_dbname), &pb) != MEZ_OK)
                goto fail_pb;
            u = apr_array_push(d->undo);
            memset(u, 0, sizeof(*u));
            u->kind = UNDO_DROP_DB;
            u->admin_params = d->admin_params;
            u->dbname = d->pg_dbname;
            created = "created, ";
        }
    }
    else if (!dep_exists(p, d->params)) {
        /* The data dir may have existed (an earlier deploy's); the database files are this run's. */
        const char *side[] = { "", "-wal", "-shm", "-journal" };
        for (int i = 0; i < 4; i++) {
            u = apr_array_push(d->undo);
            memset(u, 0, sizeof(*u));
            u->kind = UNDO_REMOVE;
            u->path = apr_pstrcat(p, d->params, side[i], NULL);
        }
        created = "created, ";
    }
    if (mez_db_open(sub, d->driver, d->cli_params, &db, &pb) != MEZ_OK
        || mez_db_migrate(sub, db, d->sql_dir, &from, &to, &pb) != MEZ_OK)
        goto fail_pb;
    if (!dep_exists(p, d->token_path)) {
        const char *secret;
        mez_token_info_t *info;
        mez_db_tx_t *tx;
        /* The zone's first operator token, and the audit row that says deploy made it: both or neither. */
        if (mez_db_begin(sub, db, &tx, &pb) != MEZ_OK)
            goto fail_pb;
        if (mez_token_create(sub, db, d->zone_id, "operator", NULL, NULL, NULL, NULL, &secret, &info, &pb) != MEZ_OK
            || mez_cli_audit_row(sub, db, d->zone_id, "token.create", "token", info->id,
                                 json_pack("{s:s, s:s}", "role", "operator", "by", "mez deploy"), &pb) != MEZ_OK
            || mez_db_commit(sub, tx, &pb) != MEZ_OK) {
            mez_db_rollback(sub, tx);
            goto fail_pb;
        }
        d->token = apr_pstrdup(p, secret);
        if (dep_write_journaled(p, d->undo, d->token_path, apr_pstrcat(p, secret, "\n", NULL), strlen(secret) + 1,
                                0600, &changed, &err))
            goto fail_err;
        created = apr_pstrcat(p, created, "operator token made, ", NULL);
    }
    apr_pool_destroy(sub);   /* closes the connection before the files are given to the httpd user */
    if (!d->token) {
        const char *t = dep_read(p, d->token_path, NULL);
        char *nl;
        d->token = t ? apr_pstrdup(p, t) : "";
        if ((nl = strchr((char *)d->token, '\n')))
            *nl = '\0';
    }
    dep_chown(d->db_dir, d->uid, d->gid, 1);
    *what = from == to && !*created ? apr_psprintf(p, "%s at schema %d", d->db_desc, to)
                                    : apr_psprintf(p, "%s %sschema %d -> %d", d->db_desc, created, from, to);
    return from == to && !*created ? 0 : 1;
fail_pb:
    err = apr_psprintf(p, "%s: %s", d->db_desc, pb.detail ? pb.detail : pb.code);
fail_err:
    apr_pool_destroy(sub);
    *what = err;
    return -1;
}

static int step_database(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    const char *err, *dbwhat, *text, *httpd = "not started (--no-start)";
    int dbchanged, changed = 0, mchanged = 0;

    if (dep_mkdir(p, d->undo, d->db_dir, 0755, &err) || dep_mkdir(p, d->undo, d->log_dir, 0755, &err))
        return fail(d, result, "%s", err);
    dep_chown(d->db_dir, d->uid, d->gid, 0);
    dep_chown(d->log_dir, d->uid, d->gid, 0);
    if ((dbchanged = database(d, &dbwhat)) < 0)
        return fail(d, result, "the database: %s", dbwhat);
    if (d->mass_token) {
        const char *t = apr_pstrcat(p, d->mass_token, "\n", NULL);
        if (dep_write_journaled(p, d->undo, apr_pstrcat(p, d->zone_dir, "/" DEPLOY_MASSTOKEN, NULL), t, strlen(t),
                                0600, &mchanged, &err))
            return fail(d, result, "%s", err);
    }
    if (d->httpd.root && (dep_mkdir(p, d->undo, d->httpd.root, 0755, &err)
                          || dep_mkdir(p, d->undo, apr_pstrcat(p, d->httpd.root, "/run", NULL), 0755, &err)
                          || dep_mkdir(p, d->undo, apr_pstrcat(p, d->httpd.root, "/logs", NULL), 0755, &err)))
        return fail(d, result, "%s", err);
    if (dep_mkdir(p, d->undo, d->httpd.conf_dir, 0755, &err))
        return fail(d, result, "%s", err);
    text = conf_text(d);
    if (dep_write_journaled(p, d->undo, d->conf_path, text, strlen(text), 0644, &changed, &err))
        return fail(d, result, "%s", err);
    if (!d->no_start && dep_httpd_apply(p, &d->httpd, d->undo, changed || mchanged || d->packs_changed, &httpd,
                                        &err))
        return fail(d, result, "%s", err);
    *result = apr_psprintf(p, "%s (%s; %s %s; httpd %s)",
                           dbchanged || changed || mchanged || strcmp(httpd, "unchanged") ? "ok" : "unchanged",
                           dbwhat, d->conf_path, changed ? "written" : "unchanged", httpd);
    return 0;
}

/* The zone answers on its virtual host as itself (not another zone's default host, not an old generation). */
static int wait_zone(deploy_t *d, int timeout_s, const char **why)
{
    apr_pool_t *p = d->p;
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(timeout_s);
    int status = 0;
    json_t *j = NULL;
    const char *err = "no answer";
    do {
        if (dep_http(p, "GET", apr_pstrcat(p, d->url, "/v1/zone", NULL), d->server_name, NULL, NULL, &status, &j,
                     &err) == 0 && status == 200 && j
            && !strcmp(json_string_value(json_object_get(j, "zone_id")) ? json_string_value(json_object_get(j,
                       "zone_id")) : "", d->zone_id)
            && d->did && json_string_value(json_object_get(j, "did"))
            && !strcmp(json_string_value(json_object_get(j, "did")), d->did))
            return 0;
        apr_sleep(apr_time_from_msec(100));
    } while (apr_time_now() < deadline);
    *why = status ? apr_psprintf(p, "GET /v1/zone answered %d without zone %s (%s)", status, d->zone_id, d->did)
                  : apr_psprintf(p, "no answer from %s: %s", d->url, err);
    return -1;
}

static int step_mass(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    json_t *j = NULL, *mass;
    const char *why, *k;
    json_t *v;
    if (d->mass_api && strcmp(d->mass_api, "sovereign")) {
        if (probe_mass(d, &why))
            return fail(d, result, "%s", why);
        *result = apr_psprintf(p, "%s (all %d primitives reachable at %s)", d->undo->nelts ? "ok" : "unchanged",
                               MEZ_MASS_PRIMITIVE_COUNT, d->mass_api);
        return 0;
    }
    if (d->no_start) {
        *result = "skipped (--no-start; sovereign)";
        return 0;
    }
    if (wait_zone(d, 30, &why))
        return fail(d, result, "%s", why);
    if (dep_wait_ready(p, apr_pstrcat(p, d->url, "/readyz", NULL), d->server_name, 30, &j) != 200)
        return fail(d, result, "the zone's /readyz is not 200");
    mass = json_object_get(json_object_get(j, "checks"), "mass");
    json_object_foreach(mass, k, v) {
        const char *state = json_string_value(json_object_get(v, "state"));
        if (state && strcmp(state, "ok") && strcmp(state, "ready"))
            return fail(d, result, "sovereign Mass %s is %s", k, state);
    }
    /* A check writes nothing: "unchanged" when nothing before it changed either. */
    *result = apr_psprintf(p, "%s (sovereign: the zone's own store, %d primitives ready)",
                           d->undo->nelts ? "ok" : "unchanged",
                           json_is_object(mass) ? (int)json_object_size(mass) : MEZ_MASS_PRIMITIVE_COUNT);
    return 0;
}

static int step_corridors(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    const char *out = "", *err;
    json_t *list = NULL;
    int status;
    if (!d->peers->nelts) {
        *result = "unchanged (none asked for)";
        return 0;
    }
    if (d->no_start) {
        *result = "skipped (--no-start)";
        return 0;
    }
    if (dep_http(p, "GET", apr_pstrcat(p, d->url, "/v1/corridors", NULL), d->server_name, d->token, NULL, &status,
                 &list, &err) || status != 200)
        return fail(d, result, "GET /v1/corridors: %s", status ? apr_itoa(p, status) : err);
    for (int i = 0; i < d->peers->nelts; i++) {
        const peer_t *pe = &APR_ARRAY_IDX(d->peers, i, peer_t);
        json_t *c, *found = NULL, *ans = NULL;
        size_t k;
        const char *state, *verb = "unchanged";
        json_array_foreach(json_object_get(list, "corridors"), k, c) {
            const char *st = json_string_value(json_object_get(c, "state"));
            if (!strcmp(json_string_value(json_object_get(c, "peer_zone_id")) ? json_string_value(
                            json_object_get(c, "peer_zone_id")) : "", pe->zone_id)
                && st && strcasecmp(st, "DEPRECATED") && strcasecmp(st, "HALTED"))
                found = c;
        }
        if (!found) {
            const char *body = apr_psprintf(p, "{\"peer_zone_id\":\"%s\"}", pe->zone_id);
            if (dep_http(p, "POST", apr_pstrcat(p, d->url, "/v1/corridors", NULL), d->server_name, d->token, body,
                         &status, &ans, &err))
                return fail(d, result, "POST /v1/corridors for %s: %s", pe->zone_id, err);
            if (status != 201)
                return fail(d, result, "POST /v1/corridors for %s answered %d: %s", pe->zone_id, status,
                            ans ? mez_json_dump(p, ans, 0) : "");
            found = ans;
            verb = "proposed";
        }
        state = json_string_value(json_object_get(found, "state"));
        out = apr_psprintf(p, "%s%s%s %s (%s)", out, *out ? "; " : "", pe->zone_id,
                           state && !strcasecmp(state, "ACTIVE") ? "active"
                               : apr_pstrcat(p, "proposed, awaiting ", pe->zone_id, NULL),
                           json_string_value(json_object_get(found, "corridor_id")));
        if (strcmp(verb, "unchanged"))
            *result = "ok";
    }
    *result = apr_psprintf(p, "%s (%s)", *result && !strcmp(*result, "ok") ? "ok" : "unchanged", out);
    return 0;
}

/* What an earlier deploy of this zone was told and a re-deploy (or a restore) was not: the policy file, the mode
 * and the public authorities, so running again without them keeps what the zone runs on instead of falling back
 * to the defaults. */
static void remembered(deploy_t *d)
{
    mez_problem_t pb = { 0 };
    const char *path = apr_pstrcat(d->p, d->data_dir ? d->data_dir : "/var/lib/mez", "/", d->zone_id, "/"
                                   DEPLOY_RECORD, NULL), *text;
    json_t *rec;
    if (!(text = dep_read(d->p, path, NULL)) || mez_json_parse(d->p, text, strlen(text), &rec, &pb) != MEZ_OK)
        return;
    if (!d->policy_conf && json_is_string(json_object_get(rec, "policy_conf")))
        d->policy_conf = json_string_value(json_object_get(rec, "policy_conf"));
    if (!d->mode && json_is_string(json_object_get(rec, "mode")))
        d->mode = json_string_value(json_object_get(rec, "mode"));
    if (!d->public_authority && json_is_string(json_object_get(rec, "public_authority")))
        d->public_authority = json_string_value(json_object_get(rec, "public_authority"));
    if (!d->console && json_is_string(json_object_get(rec, "console")))
        d->console = json_string_value(json_object_get(rec, "console"));
}

static json_t *record(deploy_t *d)
{
    apr_pool_t *p = d->p;
    json_t *peers = json_array(), *rec;
    for (int i = 0; i < d->peers->nelts; i++)
        json_array_append_new(peers, json_string(APR_ARRAY_IDX(d->peers, i, peer_t).zone_id));
    rec = mez_json_pool_own(p, json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s?,s:s,s:o,s:s,s:s,s:s,s:s,s:s}",
        "format", "mez-deploy/1", "zone_id", d->zone_id, "profile", d->profile, "packs_source", d->src_dir,
        "listen", d->listen, "server_name", d->server_name, "url", d->url, "did", d->did,
        "database", "driver", d->driver, "target", d->db_desc, "conf_file", d->conf_path,
        "conf_dir", d->httpd.conf_dir, "httpd_root", d->httpd.root, "mass_api", d->mass_api ? d->mass_api
                                                                                          : "sovereign",
        "corridors", peers, "operator_token_file", d->token_path, "key_file", d->key_path, "mode", d->mode,
        "policy_conf", d->policy_conf, "public_authority", d->public_authority ? d->public_authority : ""));
    json_object_set_new(rec, "console", json_string(d->console ? d->console : "on"));
    /* Which admin API request made the zone: `mez provision` finishes or re-runs only a zone whose record names
     * its request. A deploy without it (by hand) writes none, and the zone is the operator's from then on. */
    if (d->provision_request)
        json_object_set_new(rec, "provision_request", json_string(d->provision_request));
    /* And the spool it came from, where `mez zone destroy` takes it out again. */
    if (d->provision_request && d->provision_spool)
        json_object_set_new(rec, "provision_spool", json_string(d->provision_spool));
    /* Every name the conf's MezPublicAuthority lists, for `mez zone status`. */
    json_object_set_new(rec, "public_authorities", split_list(p, d->authorities ? d->authorities : "", " "));
    return rec;
}

static int step_ready(deploy_t *d, const char **result)
{
    apr_pool_t *p = d->p;
    const char *text, *err, *why;
    mez_problem_t pb = { 0 };
    int changed;
    if (!d->no_start) {
        if (wait_zone(d, 30, &why))
            return fail(d, result, "%s", why);
        if (dep_wait_ready(p, apr_pstrcat(p, d->url, "/readyz", NULL), d->server_name, 30, NULL) != 200)
            return fail(d, result, "/readyz did not become 200 within 30 s");
    }
    if (mez_json_canonicalize(p, record(d), &text, NULL, &pb) != MEZ_OK)
        return fail(d, result, "%s", pb.detail);
    text = apr_pstrcat(p, text, "\n", NULL);
    if (dep_write_journaled(p, d->undo, apr_pstrcat(p, d->zone_dir, "/" DEPLOY_RECORD, NULL), text, strlen(text),
                            0644, &changed, &err))
        return fail(d, result, "%s", err);
    *result = d->no_start ? "skipped (--no-start)" : changed ? "ok (/readyz 200)" : "unchanged (/readyz 200)";
    return 0;
}

/* ------------------------------------------------------------------ --progress-file */

/* The status document (openapi: ZoneProvisionStatus) is rewritten whole after every change: a reader (the admin
 * API, as the httpd user) sees the previous or the next version, never half of one. The directory may be
 * writable by that less privileged user, so the temporary file is created exclusively and never followed
 * through a symbolic link someone left there; it is 0640 with the directory's group (the spool's: the httpd user
 * reads it, other local users do not). */
static void progress_write(deploy_t *d)
{
    apr_pool_t *p = d->p;
    const char *text, *tmp;
    mez_problem_t pb = { 0 };
    size_t len;
    if (!d->progress_file || !d->progress)
        return;
    json_object_set_new(d->progress, "updated_at", json_string(mez_provision_now(p)));
    if (mez_json_canonicalize(p, d->progress, &text, &len, &pb) != MEZ_OK)
        return;
    tmp = apr_psprintf(p, "%s.tmp.%ld", d->progress_file, (long)getpid());
    unlink(tmp);   /* a leftover of a killed run (or a trap): removed, never written through */
    if (mez_file_create_durable_dir_group(tmp, text, len, MEZ_PROVISION_STATUS_MODE) != 0
        || rename(tmp, d->progress_file) != 0) {
        fprintf(stderr, "mez deploy: cannot write %s: %s\n", d->progress_file, strerror(errno));
        unlink(tmp);
    }
}

static void progress_start(deploy_t *d, const char *const *names)
{
    json_t *steps;
    if (!d->progress_file || d->dry_run)
        return;
    steps = json_array();
    for (int i = 0; i < NSTEPS; i++)
        json_array_append_new(steps, json_pack("{s:s,s:s}", "name", names[i], "state", "pending"));
    d->progress = mez_json_pool_own(d->p, json_pack("{s:s,s:s,s:s,s:o}", "zone_id", d->zone_id, "profile",
                                                    d->profile, "state", "running", "steps", steps));
    json_object_set_new(d->progress, "started_at", json_string(mez_provision_now(d->p)));
    progress_write(d);
}

/* state "running" (result NULL), or the result's first word ("ok", "unchanged", "skipped") once it is done. */
static void progress_step(deploy_t *d, int i, const char *state, const char *result)
{
    json_t *step;
    if (!d->progress)
        return;
    step = json_array_get(json_object_get(d->progress, "steps"), (size_t)i);
    if (result) {
        size_t n = strcspn(result, " ");
        state = apr_pstrndup(d->p, result, n);
        json_object_set_new(step, "result", json_string(result));
    }
    json_object_set_new(step, "state", json_string(state));
    progress_write(d);
}

static void progress_refused(deploy_t *d)
{
    json_t *err;
    if (!d->progress)
        return;
    json_object_set_new(d->progress, "state", json_string("failed"));
    err = json_pack("{s:s,s:s,s:s}", "step", "preflight", "code", d->err_code ? d->err_code : "deploy.refused",
                    "detail", d->err_detail ? d->err_detail : "the request was refused");
    if (d->err_pointer)
        json_object_set_new(err, "pointer", json_string(d->err_pointer));
    json_object_set_new(err, "nothing_written", json_true());
    json_object_set_new(d->progress, "error", err);
    progress_write(d);
}

static void progress_failed(deploy_t *d, int i, const char *name, const char *result)
{
    json_t *step;
    if (!d->progress)
        return;
    step = json_array_get(json_object_get(d->progress, "steps"), (size_t)i);
    json_object_set_new(step, "state", json_string("failed"));
    json_object_set_new(step, "result", json_string(result));
    json_object_set_new(d->progress, "state", json_string("failed"));
    json_object_set_new(d->progress, "error", json_pack("{s:s,s:s,s:s,s:b}", "step", name, "code",
                                                        "deploy.step_failed", "detail", result, "undone", 1));
    progress_write(d);
}

static void progress_succeeded(deploy_t *d)
{
    apr_pool_t *p = d->p;
    if (!d->progress)
        return;
    json_object_set_new(d->progress, "state", json_string("succeeded"));
    json_object_set_new(d->progress, "did", json_string(d->did));
    json_object_set_new(d->progress, "endpoints", json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "url", d->url, "zone", apr_pstrcat(p, d->url, "/v1/zone", NULL),
        "health", apr_pstrcat(p, d->url, "/readyz", NULL), "api", apr_pstrcat(p, d->url, "/v1/", NULL),
        "mass", d->mass_api && strcmp(d->mass_api, "sovereign") ? d->mass_api
                                                                  : apr_pstrcat(p, d->url, "/mass/v1/", NULL),
        "listen", d->listen, "server_name", d->server_name));
    json_object_set_new(d->progress, "operator_token_file", json_string(d->token_path));
    progress_write(d);
}

/* ------------------------------------------------------------------ the command */

static void print_plan(deploy_t *d)
{
    apr_pool_t *p = d->p;
    int key = dep_exists(p, d->key_path);
    printf("plan for zone %s (profile %s) -- dry run: nothing is written\n", d->zone_id, d->profile);
    printf("[1/7] key: %s %s\n", key ? "keep the existing" : d->key_file ? "import --key-file as" : "create",
           d->key_path);
    printf("[2/7] packs: copy %s to %s and verify it against its stack.lock%s%s\n", d->src_dir, d->packs_path,
           dep_is_dir(p, d->packs_path) ? " (replaced only if it differs)" : "",
           d->un.import ? apr_psprintf(p, "; import the UN list %s into it (%ld entries)", d->un.xml,
                                       d->un.import->entries)
           : d->un.carry ? "; keep the UN list imported before"
           : d->un.declared ? apr_psprintf(p, "; %s not loaded (--sanctions-un)", d->un.declared) : "");
    printf("[3/7] tensor: the compliance domains of profile %s and %s/zone.yaml -> %s/" DEPLOY_TENSOR "\n",
           d->profile, d->src_dir, d->zone_dir);
    printf("[4/7] database: %s (create if missing, migrate from %s); conf %s; httpd %s%s\n", d->db_desc,
           d->sql_dir, d->conf_path, d->no_start ? "not started (--no-start)"
           : dep_httpd_running(p, &d->httpd) ? "config test, graceful reload" : "config test, start",
           d->httpd.root ? apr_pstrcat(p, " (", d->httpd.main_conf, ")", NULL) : "");
    printf("[5/7] mass: %s\n", d->mass_api && strcmp(d->mass_api, "sovereign")
           ? apr_pstrcat(p, d->mass_api, " (all five primitives reachable now)", NULL) : "sovereign (/readyz)");
    printf("[6/7] corridors: %s\n", d->corridors && *d->corridors ? d->corridors : "none");
    printf("[7/7] ready: wait for %s/readyz (Host %s)\n", d->url, d->server_name);
}

int mez_cmd_deploy(apr_pool_t *p, int argc, const char *const *argv)
{
    deploy_t d;
    const char *pos[1];
    int npos = 0, rc;
    apr_time_t t0 = apr_time_now();
    static const char *const names[NSTEPS] = { "key", "packs", "tensor", "database", "mass", "corridors",
                                               "ready" };
    const step_fn steps[NSTEPS] = { step_key, step_packs, step_tensor, step_database, step_mass, step_corridors,
                                    step_ready };
    memset(&d, 0, sizeof(d));
    d.p = p;
    {
        const mez_cli_opt_t opts[] = {
            { "--profile", &d.profile, NULL }, { "--jurisdiction", &d.zone_id, NULL },
            { "--packs-dir", &d.packs_dir, NULL }, { "--data-dir", &d.data_dir, NULL },
            { "--conf-dir", &d.conf_dir, NULL }, { "--listen", &d.listen, NULL },
            { "--server-name", &d.server_name, NULL }, { "--user", &d.user, NULL },
            { "--database-password-file", &d.db_password_file, NULL }, { "--database", &d.database, NULL },
            { "--mass-api", &d.mass_api, NULL }, { "--mass-token-file", &d.mass_token_file, NULL },
            { "--corridors", &d.corridors, NULL }, { "--peers", &d.peers_file, NULL },
            { "--peer-ca", &d.peer_ca, NULL }, { "--httpd-root", &d.httpd_root, NULL },
            { "--profile-dir", &d.profile_dir, NULL }, { "--sql-dir", &d.sql_dir, NULL },
            { "--akn-xsd", &d.akn_xsd, NULL }, { "--policy-conf", &d.policy_conf, NULL },
            { "--key-file", &d.key_file, NULL }, { "--mode", &d.mode, NULL }, { "--dry-run", NULL, &d.dry_run },
            { "--no-start", NULL, &d.no_start }, { "--progress-file", &d.progress_file, NULL },
            { "--public-authority", &d.public_authority, NULL }, { "--console", &d.console, NULL },
            { "--provision-request", &d.provision_request, NULL },
            { "--provision-spool", &d.provision_spool, NULL },
            { "--sanctions-un", &d.un.xml, NULL }, { "--sanctions-allow-shrink", NULL, &d.un.allow_shrink },
            { NULL, NULL, NULL },
        };
        if (mez_cli_wants_help(argc, argv)) {
            usage(stdout);
            return MEZ_EXIT_OK;
        }
        if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "deploy") < 0)
            return MEZ_EXIT_USAGE;
    }
    if (!d.profile || !d.zone_id) {
        fprintf(stderr, "mez deploy: --profile and --jurisdiction are required (mez deploy --help)\n");
        return MEZ_EXIT_USAGE;
    }
    if (d.provision_request) {
        mez_digest_t dg;
        mez_problem_t pb = { 0 };
        if (mez_digest_parse(p, d.provision_request, &dg, &pb) != MEZ_OK) {
            fprintf(stderr, "mez deploy: --provision-request is sha256:<64 hex>\n");
            return MEZ_EXIT_USAGE;
        }
    }
    d.packs_dir = d.packs_dir ? d.packs_dir : env_or("MEZ_PACKS_DIR", apr_pstrcat(p, share_dir(p), "/packs", NULL));
    d.profile_dir = d.profile_dir ? d.profile_dir : env_or(MEZ_PROFILE_DIR_ENV, mez_zone_default_profile_dir());
    d.sql_dir = d.sql_dir ? d.sql_dir : env_or("MEZ_SQL_DIR", MEZ_SQL_DIR);
    d.akn_xsd = d.akn_xsd ? d.akn_xsd : env_or(MEZ_AKN_XSD_ENV, apr_pstrcat(p, share_dir(p),
                                                                        "/schemas/akn/akomantoso30.xsd", NULL));
    remembered(&d);
    d.mode = d.mode ? d.mode : "development";   /* checked with the rest by mez_provision_check */
    d.policy_conf = d.policy_conf ? d.policy_conf
                                  : env_or("MEZ_POLICY_CONF", apr_pstrcat(p, share_dir(p), "/conf/mez-policy.conf",
                                                                          NULL));
    /* The console is served where its pages and conf are installed (MEZ_CONSOLE_DIR for a source tree), unless the
     * zone is deployed without it (--console off, remembered: a re-deploy must not bring back a console the
     * operator took off, as editing the generated virtual host would not survive one). */
    if (d.console && strcmp(d.console, "on") && strcmp(d.console, "off")) {
        fprintf(stderr, "mez deploy: --console is on or off\n");
        return MEZ_EXIT_USAGE;
    }
    d.console_dir = d.console && !strcmp(d.console, "off")
                        ? NULL : env_or("MEZ_CONSOLE_DIR", apr_pstrcat(p, share_dir(p), "/htdocs/regulator", NULL));
    d.data_dir = d.data_dir ? d.data_dir : "/var/lib/mez";
    d.listen = d.listen ? d.listen : "127.0.0.1:8080";
    d.server_name = d.server_name ? d.server_name : apr_pstrcat(p, d.zone_id, ".localhost", NULL);
    /* A provisioning request's spool: its status file's directory unless given. */
    if (d.provision_request && !d.provision_spool && d.progress_file)
        d.provision_spool = strrchr(d.progress_file, '/')
                                ? apr_pstrndup(p, d.progress_file,
                                               (apr_size_t)(strrchr(d.progress_file, '/') - d.progress_file))
                                : ".";
    /* Paths in the generated confs (and the record) must not depend on the directory deploy ran in. */
    {
        const char **abs[] = { &d.packs_dir, &d.profile_dir, &d.sql_dir, &d.akn_xsd, &d.policy_conf, &d.console_dir,
                               &d.data_dir,
                               &d.conf_dir, &d.httpd_root, &d.peer_ca, &d.provision_spool };
        for (size_t i = 0; i < sizeof(abs) / sizeof(abs[0]); i++) {
            char *full;
            if (*abs[i] && **abs[i] != '/'
                && apr_filepath_merge(&full, NULL, *abs[i], APR_FILEPATH_NOTRELATIVE, p) == APR_SUCCESS)
                *abs[i] = full;
        }
    }
    /* An installation without the console's pages (or its conf beside the policy) deploys zones without it. */
    if (d.console_dir
        && (!dep_exists(p, apr_pstrcat(p, d.console_dir, "/index.html", NULL)) || !dep_exists(p, console_conf(&d))))
        d.console_dir = NULL;
    /* Without --user the estate keeps the user its httpd already runs as (dep_httpd_init reads it from the main
     * conf; www-data for a new estate): a deploy of one zone must not move the others to another user. */
    dep_httpd_init(p, &d.httpd, d.httpd_root, d.conf_dir, d.user);
    d.user = d.httpd.user;
    d.zone_dir = apr_pstrcat(p, d.data_dir, "/", d.zone_id, NULL);
    d.key_path = apr_pstrcat(p, d.zone_dir, "/" DEPLOY_KEY, NULL);
    d.packs_path = apr_pstrcat(p, d.zone_dir, "/packs", NULL);
    d.db_dir = apr_pstrcat(p, d.zone_dir, "/data", NULL);
    d.log_dir = apr_pstrcat(p, d.zone_dir, "/logs", NULL);
    d.token_path = apr_pstrcat(p, d.zone_dir, "/" DEPLOY_TOKEN, NULL);
    d.conf_path = apr_pstrcat(p, d.httpd.conf_dir, "/", d.zone_id, ".conf", NULL);
    d.url = dep_listen_url(p, d.listen);
    d.undo = apr_array_make(p, 16, sizeof(undo_t));
    d.cleanup = apr_array_make(p, 2, sizeof(const char *));

    progress_start(&d, names);
    if ((rc = preflight(&d)) != 0) {
        progress_refused(&d);
        return rc;
    }
    if (d.dry_run) {
        print_plan(&d);
        return MEZ_EXIT_OK;
    }
    printf("deploying zone %s (profile %s) into %s\n", d.zone_id, d.profile, d.zone_dir);
    for (int i = 0; i < NSTEPS; i++) {
        const char *result = NULL;
        printf("[%d/%d] %s ... ", i + 1, NSTEPS, names[i]);
        fflush(stdout);
        progress_step(&d, i, "running", NULL);
        if (steps[i](&d, &result)) {
            printf("FAILED\n");
            fprintf(stderr, "mez deploy: step %d/%d (%s) failed: %s\n", i + 1, NSTEPS, names[i], result);
            fflush(stderr);
            if (d.undo->nelts)
                printf("undoing what this run created:\n");
            dep_undo(p, d.undo, &d.httpd);
            printf("zone %s: step %d (%s) failed; what this run created was removed\n", d.zone_id, i + 1,
                   names[i]);
            progress_failed(&d, i, names[i], result);
            return MEZ_EXIT_USAGE;
        }
        printf("%s\n", result);
        progress_step(&d, i, NULL, result);
    }
    for (int i = 0; i < d.cleanup->nelts; i++)
        dep_remove_tree(p, APR_ARRAY_IDX(d.cleanup, i, const char *));
    progress_succeeded(&d);
    printf("zone %s is %s in %.1f s\n", d.zone_id, d.no_start ? "configured (httpd not started)" : "serving",
           (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
    {
        /* The zone is a name-based virtual host: its endpoints are under its ServerName; the listen address
         * answers for it only with that Host header (several zones may share the address). */
        const char *port = strrchr(d.listen, ':');
        const char *base = apr_pstrcat(p, d.url[4] == 's' ? "https://" : "http://", d.server_name, port ? port : "",
                                       NULL);
        printf("  did:            %s\n", d.did);
        printf("  zone:           %s/v1/zone\n", base);
        printf("  health:         %s/healthz, %s/readyz\n", base, base);
        printf("  api:            %s/v1/  (openapi: %s/v1/openapi.json)\n", base, base);
        if (d.console_dir)
            printf("  console:        %s/regulator/  (a regulator token: mez token create --role regulator)\n", base);
        printf("  mass:           %s\n", d.mass_api && strcmp(d.mass_api, "sovereign") ? d.mass_api
                                                                                    : apr_pstrcat(p, base, "/mass/v1/",
                                                                                                  NULL));
        printf("  virtual host:   %s (ServerName %s), %s\n", d.listen, d.server_name, d.conf_path);
        printf("  by address:     curl -H 'Host: %s' %s/v1/zone\n", d.server_name, d.url);
        /* What the zone's peers must put in their MezPeer URL (or registration) for its signed requests. */
        if (d.authorities)
            printf("  peers address:  %s (MezPublicAuthority)\n", d.authorities);
    }
    printf("  operator token: %s (0600; not shown)\n", d.token_path);
    return MEZ_EXIT_OK;
}
