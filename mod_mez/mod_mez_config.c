/* mod_mez_config.c: the Mez* directives, validated as they are read so that httpd names the file and line
 * of a bad value at start-up, and the per-server merge. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "mez/did.h"
#include "mez/key.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mez/manifold.h"
#include "mez/residency.h"
#include "mez/tensor.h"
#include "mod_mez.h"

void *mez_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    mez_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    sc->max_body = -1;
    sc->mode = MEZ_MODE_UNSET;
    sc->client_cert_auth = -1;
    sc->db_prepare = -1;
    sc->clearance_approvers = -1;
    sc->db_timeout_ms = -1;
    sc->watcher_unbonding = -1;
    return sc;
}

void *mez_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const mez_srv_conf_t *base = basev, *add = addv;
    mez_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    /* A virtual host inherits the main server's zone unless it names its own. */
    sc->zone_id = add->zone_id ? add->zone_id : base->zone_id;
    sc->defn_name = add->zone_id ? add->defn_name : base->defn_name;
    sc->defn_line = add->zone_id ? add->defn_line : base->defn_line;
    if (add->key) {
        sc->key_file = add->key_file;
        sc->key = add->key;
        sc->did = add->did;
        sc->verification_method = add->verification_method;
    }
    else {
        sc->key_file = base->key_file;
        sc->key = base->key;
        sc->did = base->did;
        sc->verification_method = base->verification_method;
    }
    sc->data_dir = add->data_dir ? add->data_dir : base->data_dir;
    sc->max_body = add->max_body >= 0 ? add->max_body : base->max_body;
    sc->mode = add->mode != MEZ_MODE_UNSET ? add->mode : base->mode;
    sc->zone_file = add->zone_file ? add->zone_file : base->zone_file;
    sc->profile_dir = add->profile_dir ? add->profile_dir : base->profile_dir;
    sc->akn_schema_file = add->akn_schema_file ? add->akn_schema_file : base->akn_schema_file;
    sc->manifold_file = add->manifold ? add->manifold_file : base->manifold_file;
    sc->manifold = add->manifold ? add->manifold : base->manifold;
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        sc->mass_url[i] = add->mass_url[i] ? add->mass_url[i] : base->mass_url[i];
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        sc->mass_jurisdiction[i] = add->mass_jurisdiction[i] ? add->mass_jurisdiction[i] : base->mass_jurisdiction[i];
    sc->residency = add->residency ? add->residency : base->residency;
    sc->mass_token_file = add->mass_token ? add->mass_token_file : base->mass_token_file;
    sc->mass_token = add->mass_token ? add->mass_token : base->mass_token;
    sc->mass_timeout_ms = add->mass_timeout_ms ? add->mass_timeout_ms : base->mass_timeout_ms;
    sc->client_cert_auth = add->client_cert_auth != -1 ? add->client_cert_auth : base->client_cert_auth;
    sc->db_prepare = add->db_prepare != -1 ? add->db_prepare : base->db_prepare;
    sc->clearance_approvers = add->clearance_approvers != -1 ? add->clearance_approvers : base->clearance_approvers;
    sc->db_timeout_ms = add->db_timeout_ms != -1 ? add->db_timeout_ms : base->db_timeout_ms;
    sc->watcher_unbonding = add->watcher_unbonding != -1 ? add->watcher_unbonding : base->watcher_unbonding;
    sc->client_cert_defn = add->client_cert_auth != -1 ? add->client_cert_defn : base->client_cert_defn;
    sc->peers = add->peers ? add->peers : base->peers;
    sc->peer_ca_file = add->peer_ca_file ? add->peer_ca_file : base->peer_ca_file;
    sc->public_authorities = add->public_authorities ? add->public_authorities : base->public_authorities;
    sc->admin_id = add->admin_id ? add->admin_id : base->admin_id;
    sc->admin_spool = add->admin_spool ? add->admin_spool : base->admin_spool;
    sc->admin_packs_dir = add->admin_packs_dir ? add->admin_packs_dir : base->admin_packs_dir;
    sc->admin_peers_file = add->admin_peers_file ? add->admin_peers_file : base->admin_peers_file;
    return sc;
}

mez_srv_conf_t *mez_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &mez_module);
}

static mez_srv_conf_t *cmd_conf(cmd_parms *cmd)
{
    return mez_srv_conf(cmd->server);
}

static const char *set_zone(cmd_parms *cmd, void *dc, const char *id)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    size_t n = strlen(id);
    if (err)
        return err;
    /* Zone ids appear in URLs, file names and log lines: keep them to a DNS-label alphabet. */
    if (n == 0 || n > 63)
        return "MezZone: the zone id must be 1 to 63 characters";
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)id[i]) || isdigit((unsigned char)id[i]) || id[i] == '-'))
            return apr_psprintf(cmd->pool, "MezZone: '%s' is not a valid zone id (use a-z, 0-9 and '-')", id);
    if (id[0] == '-' || id[n - 1] == '-')
        return "MezZone: a zone id must not start or end with '-'";
    sc->zone_id = id;
    sc->defn_name = cmd->directive->filename;
    sc->defn_line = (unsigned)cmd->directive->line_num;
    return NULL;
}

static const char *set_key_file(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    const char *path, *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path)
        return apr_psprintf(cmd->pool, "MezKeyFile: invalid path '%s'", arg);
    /* Loaded now, by the parent that can read the 0600 file, and kept in memory for the children. */
    if (mez_key_load_private(cmd->pool, path, &sc->key, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezKeyFile %s: %s (%s)", path, pb.detail ? pb.detail : "cannot load",
                            pb.code ? pb.code : "key.error");
    sc->key_file = path;
    sc->did = mez_did_key(cmd->pool, sc->key);
    sc->verification_method = mez_did_key_verification_method(cmd->pool, sc->key);
    return NULL;
}

static const char *set_data_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    apr_finfo_t fi;
    const char *path, *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS || fi.filetype != APR_DIR)
        return apr_psprintf(cmd->pool, "MezDataDir: '%s' is not an existing directory", arg);
    sc->data_dir = path;
    return NULL;
}

static const char *set_max_body(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    char *end = NULL;
    apr_int64_t n;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    n = apr_strtoi64(arg, &end, 10);
    if (!*arg || *end || n <= 0 || n > APR_INT64_C(1073741824))
        return apr_psprintf(cmd->pool, "MezMaxBodySize: '%s' is not a size in bytes between 1 and 1073741824",
                            arg);
    sc->max_body = (apr_off_t)n;
    return NULL;
}

static const char *set_manifold_file(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    mez_manifold_t *m;
    json_t *doc;
    const char *path, *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    path = ap_server_root_relative(cmd->pool, arg);
    /* Parsed while the configuration is read: a bad graph stops httpd naming this directive's file and line. */
    if (!path || mez_json_parse_file(cmd->pool, path, &doc, &pb) != MEZ_OK
        || mez_manifold_parse(cmd->pool, doc, &m, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezManifoldFile %s: %s (%s%s%s)", path ? path : arg,
                            pb.detail ? pb.detail : "cannot be read", pb.code ? pb.code : "manifold.invalid",
                            pb.pointer ? " at " : "", pb.pointer ? pb.pointer : "");
    sc->manifold_file = path;
    sc->manifold = m;
    return NULL;
}

static const char *set_mode(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    if (!strcasecmp(arg, "development"))
        sc->mode = MEZ_MODE_DEVELOPMENT;
    else if (!strcasecmp(arg, "production"))
        sc->mode = MEZ_MODE_PRODUCTION;
    else
        return apr_psprintf(cmd->pool, "MezMode: '%s' is neither development nor production", arg);
    return NULL;
}

/* A path the parent must be able to read at start-up; checked now so httpd names the config line. */
const char *mez_conf_existing_path(cmd_parms *cmd, const char *directive, const char *arg, int want_dir,
                                   const char **out)
{
    apr_finfo_t fi;
    const char *path, *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || (want_dir ? fi.filetype != APR_DIR : fi.filetype != APR_REG))
        return apr_psprintf(cmd->pool, "%s: '%s' is not an existing %s", directive, arg,
                            want_dir ? "directory" : "file");
    *out = path;
    return NULL;
}

static const char *set_zone_file(cmd_parms *cmd, void *dc, const char *arg)
{
    return mez_conf_existing_path(cmd, "MezZoneFile", arg, 0, &cmd_conf(cmd)->zone_file);
}

static const char *set_profile_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    return mez_conf_existing_path(cmd, "MezProfileDir", arg, 1, &cmd_conf(cmd)->profile_dir);
}

static const char *set_akn_schema(cmd_parms *cmd, void *dc, const char *arg)
{
    return mez_conf_existing_path(cmd, "MezAknSchema", arg, 0, &cmd_conf(cmd)->akn_schema_file);
}

/* MezMassEndpoint <primitive> sovereign|<url>: checked now, so a typo stops httpd at its line. */
static const char *set_mass_endpoint(cmd_parms *cmd, void *dc, const char *prim, const char *url)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    mez_mass_primitive_t which;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    if (mez_mass_primitive_parse(cmd->pool, prim, &which, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezMassEndpoint: %s", pb.detail);
    if (!strcasecmp(url, "sovereign")) {
        sc->mass_url[which] = "";
        return NULL;
    }
    if (mez_http_base_check(cmd->pool, url, NULL, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezMassEndpoint %s: %s (give 'sovereign' or an http:// or https:// base "
                            "URL such as https://mass.example/mass)", prim, pb.detail);
    sc->mass_url[which] = url;
    return NULL;
}

static const char *set_mass_token_file(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    const char *path, *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    path = ap_server_root_relative(cmd->pool, arg);
    /* Read now by the parent, which can read a 0600 file the children's user cannot; kept in memory. */
    if (!path || mez_mass_token_load(cmd->pool, path, &sc->mass_token, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezMassTokenFile %s: %s (%s)", path ? path : arg,
                            pb.detail ? pb.detail : "invalid path", pb.code ? pb.code : "mass.token_unreadable");
    sc->mass_token_file = path;
    return NULL;
}

static const char *set_mass_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    char *end = NULL;
    apr_int64_t n;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    n = apr_strtoi64(arg, &end, 10);
    if (!*arg || *end || n < 1 || n > 300)
        return apr_psprintf(cmd->pool, "MezMassTimeout: '%s' is not a number of seconds between 1 and 300", arg);
    sc->mass_timeout_ms = (long)n * 1000L;
    return NULL;
}

/* MezMassEndpointJurisdiction <primitive> <jurisdiction>: where a remote endpoint keeps what it is sent. */
static const char *set_mass_jurisdiction(cmd_parms *cmd, void *dc, const char *prim, const char *jurisdiction)
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    mez_mass_primitive_t which;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    if (mez_mass_primitive_parse(cmd->pool, prim, &which, &pb) != MEZ_OK
        || mez_tensor_check_jurisdiction_id(cmd->pool, jurisdiction, NULL, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezMassEndpointJurisdiction: %s", pb.detail);
    sc->mass_jurisdiction[which] = jurisdiction;
    return NULL;
}

/* MezDataResidency <category> <jurisdiction>...: the only jurisdictions that category of data may be sent to. */
static const char *set_data_residency(cmd_parms *cmd, void *dc, int argc, char *const argv[])
{
    mez_srv_conf_t *sc = cmd_conf(cmd);
    mez_problem_t pb = { 0 };
    mez_data_category_t cat;
    apr_array_header_t *list;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err)
        return err;
    if (argc < 2)
        return "MezDataResidency needs a category and at least one jurisdiction";
    if (mez_data_category_parse(cmd->pool, argv[0], &cat, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezDataResidency: %s", pb.detail);
    if (!sc->residency)
        sc->residency = apr_pcalloc(cmd->pool, sizeof(*sc->residency));
    if (sc->residency->allowed[cat]) {
        const char *line = argv[0];
        for (int i = 1; i < argc; i++)
            line = apr_pstrcat(cmd->pool, line, " ", argv[i], NULL);
        return apr_psprintf(cmd->pool, "MezDataResidency %s: %s is given twice (one line per category, listing "
                            "every jurisdiction it may go to)", line, argv[0]);
    }
    list = apr_array_make(cmd->pool, argc - 1, sizeof(const char *));
    for (int i = 1; i < argc; i++) {
        if (mez_tensor_check_jurisdiction_id(cmd->pool, argv[i], NULL, &pb) != MEZ_OK)
            return apr_psprintf(cmd->pool, "MezDataResidency %s: %s", argv[0], pb.detail);
        APR_ARRAY_PUSH(list, const char *) = apr_pstrdup(cmd->pool, argv[i]);
    }
    sc->residency->allowed[cat] = list;
    return NULL;
}

/* Read when the directive is, so a missing file stops httpd instead of failing every call to a peer later. */
static const char *set_peer_ca_file(cmd_parms *cmd, void *dc, const char *arg)
{
    mez_srv_conf_t *sc = mez_srv_conf(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;
    (void)dc;
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS || fi.filetype != APR_REG)
        return apr_psprintf(cmd->pool, "MezPeerCAFile: '%s' is not a readable file", arg);
    sc->peer_ca_file = path;
    return NULL;
}

static const char *set_db_prepare(cmd_parms *cmd, void *dc, int on)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    (void)dc;
    if (err)
        return err;
    mez_srv_conf(cmd->server)->db_prepare = on ? 1 : 0;
    return NULL;
}

/* MezDBTimeout <seconds>|off: the longest one round trip to PostgreSQL may keep a request waiting. */
static const char *set_db_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    char *end = NULL;
    apr_int64_t n;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    (void)dc;
    if (err)
        return err;
    if (!strcasecmp(arg, "off")) {
        mez_srv_conf(cmd->server)->db_timeout_ms = 0;
        return NULL;
    }
    n = apr_strtoi64(arg, &end, 10);
    if (!*arg || *end || n < 1 || n > 3600)
        return apr_psprintf(cmd->pool, "MezDBTimeout: '%s' is neither a number of seconds between 1 and 3600 nor "
                            "'off'", arg);
    mez_srv_conf(cmd->server)->db_timeout_ms = (long)n * 1000L;
    return NULL;
}

/* MezWatcherUnbondingPeriod <n>[s|m|h|d]: how long an unbonding watcher's stake is held (0: returned at once). */
static const char *set_watcher_unbonding(cmd_parms *cmd, void *dc, const char *arg)
{
    char *end = NULL;
    apr_int64_t n, unit = 1;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    (void)dc;
    if (err)
        return err;
    n = apr_strtoi64(arg, &end, 10);
    if (end && *end && !end[1])
        unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    else if (end && *end)
        unit = 0;
    if (!*arg || !apr_isdigit(*arg) || !unit || n < 0 || n > 3660L * 86400 / unit)
        return apr_psprintf(cmd->pool, "MezWatcherUnbondingPeriod: '%s' is not a period such as 14d, 36h, 90m or "
                            "0 (at most 3660 days)", arg);
    mez_srv_conf(cmd->server)->watcher_unbonding = apr_time_from_sec(n * unit);
    return NULL;
}

static const char *set_clearance_approvers(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    (void)dc;
    if (err)
        return err;
    if (strcmp(arg, "1") && strcmp(arg, "2"))
        return apr_psprintf(cmd->pool, "MezClearanceApprovers is 1 or 2 (principals per sanctions clearance), not "
                            "'%s'", arg);
    mez_srv_conf(cmd->server)->clearance_approvers = arg[0] - '0';
    return NULL;
}

const command_rec mez_cmds[] = {
    AP_INIT_TAKE1("MezZone", set_zone, NULL, RSRC_CONF,
                  "the zone this server or virtual host serves (a-z, 0-9, '-')"),
    AP_INIT_TAKE1("MezKeyFile", set_key_file, NULL, RSRC_CONF,
                  "the zone's Ed25519 private key (PEM, mode 0600)"),
    AP_INIT_TAKE1("MezDataDir", set_data_dir, NULL, RSRC_CONF,
                  "the zone's data directory (content-addressed store, SQLite file)"),
    AP_INIT_TAKE1("MezMaxBodySize", set_max_body, NULL, RSRC_CONF,
                  "the largest request body the API reads, in bytes (default 1048576)"),
    AP_INIT_TAKE1("MezManifoldFile", set_manifold_file, NULL, RSRC_CONF,
                  "the corridor graph (JSON: jurisdictions and corridors with their fees) for /v1/manifold/route"),
    AP_INIT_TAKE1("MezMode", set_mode, NULL, RSRC_CONF,
                  "development (default) or production (fail closed on anything not real)"),
    AP_INIT_TAKE1("MezZoneFile", set_zone_file, NULL, RSRC_CONF,
                  "the zone's zone.yaml: its profile and packs are loaded at start-up and must match stack.lock"),
    AP_INIT_TAKE1("MezProfileDir", set_profile_dir, NULL, RSRC_CONF,
                  "where deployment profiles (<id>.yaml) are (default: the installed profiles)"),
    AP_INIT_TAKE1("MezAknSchema", set_akn_schema, NULL, RSRC_CONF,
                  "the Akoma Ntoso 3.0 schema (akomantoso30.xsd) lawpacks are validated against at start-up"),
    AP_INIT_TAKE2("MezMassEndpoint", set_mass_endpoint, NULL, RSRC_CONF,
                  "<primitive> sovereign|<url>: where a Mass primitive (entities, ownership, fiscal, consent, "
                  "identity) is served (default: the zone's sovereign store)"),
    AP_INIT_TAKE1("MezMassTokenFile", set_mass_token_file, NULL, RSRC_CONF,
                  "the bearer token sent to remote Mass endpoints (a file of mode 0600)"),
    AP_INIT_TAKE2("MezMassEndpointJurisdiction", set_mass_jurisdiction, NULL, RSRC_CONF,
                  "<primitive> <jurisdiction>: where a remote Mass endpoint keeps what it is sent (data residency)"),
    AP_INIT_TAKE_ARGV("MezDataResidency", set_data_residency, NULL, RSRC_CONF,
                      "<personal|financial|corporate> <jurisdiction>...: where that category of data may be sent; "
                      "calls to a Mass endpoint elsewhere are refused"),
    AP_INIT_TAKE1("MezMassTimeout", set_mass_timeout, NULL, RSRC_CONF,
                  "seconds one call to a remote Mass endpoint may take (1-300, default 10)"),
    AP_INIT_TAKE1("MezClearanceApprovers", set_clearance_approvers, NULL, RSRC_CONF,
                  "how many principals a sanctions screening clearance needs: 2 (default: one records it, another "
                  "approves it) or 1"),
    AP_INIT_TAKE1("MezWatcherUnbondingPeriod", set_watcher_unbonding, NULL, RSRC_CONF,
                  "how long an unbonding corridor watcher's stake is held before it may be returned, for evidence "
                  "of what it attested to arrive (14d default; units s, m, h, d; 0: at once)"),
    AP_INIT_TAKE1("MezDBTimeout", set_db_timeout, NULL, RSRC_CONF,
                  "seconds a request waits for PostgreSQL to answer one round trip before it answers 503 db.timeout "
                  "and closes the connection (1-3600, default 30), or off"),
    AP_INIT_FLAG("MezDBPrepare", set_db_prepare, NULL, RSRC_CONF,
                 "on (default): on PostgreSQL, each statement is prepared once per mod_dbd connection; off for a "
                 "pooler that does not keep a session's prepared statements (PgBouncer in transaction mode before "
                 "1.21, or without max_prepared_statements)"),
    AP_INIT_FLAG("MezClientCertAuth", mez_set_client_cert_auth, NULL, RSRC_CONF,
                 "on: AuthType mez also accepts a client certificate mod_ssl verified and `mez cert map` mapped "
                 "(needs mod_ssl; default off)"),
    AP_INIT_TAKE1("MezPeerCAFile", set_peer_ca_file, NULL, RSRC_CONF,
                  "PEM file of the CAs that sign peer zones' TLS certificates (default: the system store)"),
    AP_INIT_TAKE3("MezPeer", mez_set_peer, NULL, RSRC_CONF,
                  "<zone-id> <url> <did:key>: a zone whose RFC 9421 signed requests AuthType mez accepts "
                  "(Require mez-peer)"),
    AP_INIT_ITERATE("MezPublicAuthority", mez_set_public_authority, NULL, RSRC_CONF,
                    "host[:port] ...: the names peers address this zone by (their MezPeer URL's authority); a peer's "
                    "signed request for any other is refused (httpsig.wrong_authority)"),
    AP_INIT_TAKE1("MezAdminId", mez_set_admin_id, NULL, RSRC_CONF,
                  "the admin API's name on a virtual host that is no zone: its tokens (mez token create --zone ID) "
                  "and audit chain"),
    AP_INIT_TAKE1("MezAdminSpool", mez_set_admin_spool, NULL, RSRC_CONF,
                  "a directory the httpd user writes: enables POST /admin/zones, which queues requests there for "
                  "`mez provision`"),
    AP_INIT_TAKE1("MezAdminPacksDir", mez_set_admin_packs_dir, NULL, RSRC_CONF,
                  "the jurisdictions' packs POST /admin/zones checks a jurisdiction against (as mez deploy's "
                  "--packs-dir)"),
    AP_INIT_TAKE1("MezAdminPeersFile", mez_set_admin_peers_file, NULL, RSRC_CONF,
                  "the peers registry POST /admin/zones resolves corridors in (as mez deploy's --peers)"),
    { NULL }
};
