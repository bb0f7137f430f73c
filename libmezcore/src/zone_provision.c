/* zone_provision.c: the privilege-free checks of a zone provisioning request (mez/provision.h), shared by
 * `mez deploy` and POST /admin/zones. Nothing here writes, connects or needs more than read access to the
 * profiles, the packs and the peers registry; the details name fields the way the caller's user knows them
 * (deploy's options, or the API's members), the codes and pointers are the same for both. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/did.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/provision.h"
#include "mez/yaml.h"
#include "mez/zone.h"

/* How a field is called for the user of env: "--jurisdiction" on the command line, "jurisdiction" in the API. */
static const char *field(apr_pool_t *p, const mez_provision_env_t *env, const char *member)
{
    static const char *const cli[][2] = {
        { "jurisdiction", "--jurisdiction" }, { "profile", "--profile" }, { "corridors", "--corridors" },
        { "mass_api", "--mass-api" }, { "listen", "--listen" }, { "server_name", "--server-name" },
        { "database", "--database" }, { "mode", "--mode" }, { "public_authority", "--public-authority" },
        { NULL, NULL },
    };
    if (env->cli)
        for (int i = 0; cli[i][0]; i++)
            if (!strcmp(cli[i][0], member))
                return cli[i][1];
    return apr_pstrdup(p, member);
}

static mez_status_t invalid(mez_problem_t *pb, apr_pool_t *p, const char *code, const char *member,
                            const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, apr_pstrcat(p, "/", member, NULL), "%s", detail);
}

int mez_provision_zone_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 63 || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* A profile id names a file in the profile directory: no path separators or dots can get out of it. */
static int profile_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 100 || s[0] == '-' || s[0] == '_')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

/* A DNS name for ServerName: labels of letters, digits and '-', joined by dots. */
static int server_name_ok(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (!n || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (!label || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
        if ((c == '-' && !label) || ++label > 63)
            return 0;
    }
    return s[n - 1] != '-';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mez_status_t mez_provision_spool_requests(apr_pool_t *p, const char *spool, apr_array_header_t **ids,
                                          mez_problem_t *pb)
{
    const size_t sl = strlen(MEZ_PROVISION_REQUEST_SUFFIX);
    apr_dir_t *d;
    apr_finfo_t fi;
    *ids = apr_array_make(p, 8, sizeof(const char *));
    if (!spool || apr_dir_open(&d, spool, p) != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "provision.spool_unreadable", NULL, "the spool %s cannot be read",
                           spool ? spool : "(none)");
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        const char *id;
        if (n <= sl || strcmp(fi.name + n - sl, MEZ_PROVISION_REQUEST_SUFFIX))
            continue;
        id = apr_pstrndup(p, fi.name, n - sl);
        if (mez_provision_zone_id_ok(id))
            APR_ARRAY_PUSH(*ids, const char *) = id;
    }
    apr_dir_close(d);
    qsort((*ids)->elts, (size_t)(*ids)->nelts, sizeof(const char *), cmp_names);
    return MEZ_OK;
}

/* The profiles in dir, for the detail that names an unknown one. */
static const char *known_profiles(apr_pool_t *p, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *s = "";
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return "none";
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        if (n > 5 && !strcmp(fi.name + n - 5, ".yaml"))
            s = apr_psprintf(p, "%s%s%.*s", s, *s ? ", " : "", (int)(n - 5), fi.name);
    }
    apr_dir_close(d);
    return *s ? s : "none";
}

/* The directory under packs_dir whose zone.yaml has zone_id (and its profile), and the ids found there. */
static const char *find_jurisdiction(apr_pool_t *p, const char *packs_dir, const char *zone_id,
                                     const char **profile, const char **known)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    const char *found = NULL;
    *known = "";
    if (!packs_dir || apr_dir_open(&d, packs_dir, p) != APR_SUCCESS)
        return NULL;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *dir = apr_pstrcat(p, packs_dir, "/", fi.name, NULL), *yaml;
        apr_finfo_t st;
        mez_zone_t *z;
        mez_problem_t pb = { 0 };
        if (fi.name[0] == '.' || apr_stat(&st, dir, APR_FINFO_TYPE, p) != APR_SUCCESS || st.filetype != APR_DIR)
            continue;
        yaml = apr_pstrcat(p, dir, "/zone.yaml", NULL);
        if (apr_stat(&st, yaml, APR_FINFO_TYPE, p) != APR_SUCCESS || mez_zone_parse(p, yaml, NULL, &z, &pb) != MEZ_OK)
            continue;
        *known = **known ? apr_pstrcat(p, *known, ", ", z->zone_id, NULL) : z->zone_id;
        if (!strcmp(z->zone_id, zone_id)) {
            found = dir;
            *profile = z->profile_id;
        }
    }
    apr_dir_close(d);
    return found;
}

/* An optional string member: MEZ_OK with *out (NULL when absent), or provision.invalid_field. */
static mez_status_t opt_string(apr_pool_t *p, const json_t *req, const mez_provision_env_t *env, const char *member,
                               const char **out, mez_problem_t *pb)
{
    const json_t *v = json_object_get(req, member);
    *out = NULL;
    if (!v || json_is_null(v))
        return MEZ_OK;
    if (!json_is_string(v) || !*json_string_value(v))
        return invalid(pb, p, "provision.invalid_field", member,
                       apr_psprintf(p, "%s must be a non-empty string, not %s", field(p, env, member),
                                    json_is_string(v) ? "an empty one" : mez_json_kind(v)));
    *out = json_string_value(v);
    return MEZ_OK;
}

static mez_status_t check_corridors(apr_pool_t *p, const json_t *req, const mez_provision_env_t *env,
                                    mez_provision_t *out, mez_problem_t *pb)
{
    const json_t *list = json_object_get(req, "corridors"), *v;
    json_t *reg = NULL;
    json_error_t je;
    size_t i;
    out->corridors = apr_array_make(p, 4, sizeof(mez_provision_peer_t));
    if (!list || json_is_null(list))
        return MEZ_OK;
    if (!json_is_array(list))
        return invalid(pb, p, "provision.invalid_field", "corridors",
                       apr_psprintf(p, "%s must be a list of peer zone ids, not %s", field(p, env, "corridors"),
                                    mez_json_kind(list)));
    /* Every name's syntax first, then each is looked up: a typo anywhere is reported before a lookup fails. */
    json_array_foreach(list, i, v) {
        const char *id = json_string_value(v);
        if (!json_is_string(v) || !mez_provision_zone_id_ok(id))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.invalid_field",
                               mez_pointer_index(p, "/corridors", i), "corridor %" APR_SIZE_T_FMT " is not a zone id",
                               (apr_size_t)(i + 1));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(json_string_value(json_array_get(list, j)), id))
                return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.invalid_field",
                                   mez_pointer_index(p, "/corridors", i), "corridor peer '%s' is named twice", id);
    }
    json_array_foreach(list, i, v) {
        const char *ptr = mez_pointer_index(p, "/corridors", i), *id = json_string_value(v), *host;
        mez_provision_peer_t *pe;
        json_t *e;
        mez_key_t *k;
        mez_problem_t ipb = { 0 };
        if (!strcmp(id, out->zone_id))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.unknown_corridor", ptr,
                               "a zone has no corridor with itself ('%s' in %s)", id, field(p, env, "corridors"));
        if (!env->peers_file)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.unknown_corridor", ptr,
                               env->cli ? "--corridors %s needs --peers FILE naming each peer's url and did"
                                        : "unknown corridor peer '%s': no peers registry is configured", id);
        if (!reg) {
            /* Read by the shared reader (a regular file or nothing, never waited on), then parsed. */
            char *text;
            size_t len;
            mez_problem_t io = { 0 };
            if (mez_yaml_read_file(p, env->peers_file, MEZ_YAML_MAX_FILE, &text, &len, &io) != MEZ_OK)
                return mez_problem(pb, p, MEZ_EINVAL, env->cli ? 422 : 500, "provision.invalid_peers", ptr, "%s",
                                   io.detail);
            if (!(reg = json_loadb(text, len, 0, &je)) || !json_is_object(reg)) {
                if (reg)
                    json_decref(reg);
                return mez_problem(pb, p, MEZ_EINVAL, env->cli ? 422 : 500, "provision.invalid_peers", ptr,
                                   "%s: %s", env->peers_file, reg ? "not a JSON object" : je.text);
            }
            mez_json_pool_own(p, reg);
        }
        if (!json_is_object(e = json_object_get(reg, id)))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.unknown_corridor", ptr,
                               "unknown corridor peer '%s': not in the peers file %s", id, env->peers_file);
        pe = apr_array_push(out->corridors);
        pe->zone_id = id;
        pe->url = json_string_value(json_object_get(e, "url"));
        pe->did = json_string_value(json_object_get(e, "did"));
        if (!pe->url || mez_http_base_check(p, pe->url, &host, &ipb) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, env->cli ? 422 : 500, "provision.invalid_peers", ptr,
                               "peer '%s' in %s: url is not an http(s) base URL", id, env->peers_file);
        if (!pe->did || strncmp(pe->did, "did:key:", 8) || mez_did_key_resolve(p, pe->did, &k, &ipb) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, env->cli ? 422 : 500, "provision.invalid_peers", ptr,
                               "peer '%s' in %s: did is not an Ed25519 did:key", id, env->peers_file);
    }
    return MEZ_OK;
}

/* sqlite, or postgresql://USER@HOST[:PORT]/DBNAME without a password. */
static mez_status_t check_database(apr_pool_t *p, const mez_provision_env_t *env, mez_provision_t *out,
                                   mez_problem_t *pb)
{
    const char *db = out->database, *rest, *at, *slash, *colon, *host, *f = field(p, env, "database");
    if (!strcmp(db, "sqlite") || !strcmp(db, "sqlite3")) {
        out->database = "sqlite";
        out->db_driver = "sqlite3";
        return MEZ_OK;
    }
    if (strncmp(db, "postgresql://", 13) && strncmp(db, "postgres://", 11))
        return invalid(pb, p, "provision.invalid_field", "database",
                       apr_psprintf(p, "%s '%s' is neither sqlite nor postgresql://USER@HOST:PORT/DBNAME", f, db));
    rest = strstr(db, "://") + 3;
    if (!(at = strchr(rest, '@')) || !(slash = strchr(at, '/')) || !slash[1])
        return invalid(pb, p, "provision.invalid_field", "database",
                       apr_psprintf(p, "%s '%s' must be postgresql://USER@HOST[:PORT]/DBNAME", f, db));
    out->db_user = apr_pstrndup(p, rest, (apr_size_t)(at - rest));
    if (strchr(out->db_user, ':'))
        return invalid(pb, p, "provision.database_password", "database",
                       env->cli ? "--database carries a password: give it in --database-password-file FILE or "
                                  "$PGPASSWORD, never on the command line"
                                : "database carries a password: the provisioner's password file gives it, never "
                                  "the request");
    host = apr_pstrndup(p, at + 1, (apr_size_t)(slash - at - 1));
    out->db_port = "5432";
    if ((colon = strrchr(host, ':'))) {
        out->db_port = colon + 1;
        host = apr_pstrndup(p, host, (apr_size_t)(colon - host));
    }
    out->db_host = host;
    out->db_name = slash + 1;
    for (const char *c = out->db_name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return invalid(pb, p, "provision.invalid_field", "database",
                           apr_psprintf(p, "database name '%s': use lower-case letters, digits and _",
                                        out->db_name));
    for (const char *c = out->db_port; *c; c++)
        if (*c < '0' || *c > '9')
            return invalid(pb, p, "provision.invalid_field", "database",
                           apr_psprintf(p, "%s '%s' must be postgresql://USER@HOST[:PORT]/DBNAME", f, db));
    for (const char *c = apr_pstrcat(p, out->db_user, host, NULL); *c; c++)
        if (*c <= ' ' || *c == '\'' || *c == '"' || *c == '\\' || *c == '=')
            return invalid(pb, p, "provision.invalid_field", "database",
                           apr_psprintf(p, "%s: the user and host may not contain spaces, quotes or '='", f));
    if (!*out->db_user || !*host || atoi(out->db_port) <= 0 || atoi(out->db_port) > 65535)
        return invalid(pb, p, "provision.invalid_field", "database",
                       apr_psprintf(p, "%s '%s' must be postgresql://USER@HOST[:PORT]/DBNAME", f, db));
    out->db_driver = "pgsql";
    return MEZ_OK;
}

static mez_status_t check_listen(apr_pool_t *p, const mez_provision_env_t *env, mez_provision_t *out,
                                 mez_problem_t *pb)
{
    const char *colon = strrchr(out->listen, ':'), *c;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    const char *detail = apr_psprintf(p, "%s '%s' is not HOST:PORT", field(p, env, "listen"), out->listen);
    if (!colon || colon == out->listen || !colon[1] || *end || port <= 0 || port > 65535)
        return invalid(pb, p, "provision.invalid_field", "listen", detail);
    for (c = out->listen; c < colon; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.'
              || *c == '-' || *c == ':' || *c == '[' || *c == ']' || *c == '*'))
            return invalid(pb, p, "provision.invalid_field", "listen", detail);
    out->listen_host = apr_pstrndup(p, out->listen, (apr_size_t)(colon - out->listen));
    out->listen_port = (int)port;
    return MEZ_OK;
}

/* public_authority: at most 16 names, each host[:port] (mez_httpsig_authority_valid), none twice. */
static mez_status_t check_authorities(apr_pool_t *p, const json_t *req, const mez_provision_env_t *env,
                                      mez_provision_t *out, mez_problem_t *pb)
{
    const json_t *list = json_object_get(req, "public_authority"), *v;
    size_t i;
    out->public_authority = apr_array_make(p, 2, sizeof(const char *));
    if (!list || json_is_null(list))
        return MEZ_OK;
    if (!json_is_array(list) || json_array_size(list) > 16)
        return invalid(pb, p, "provision.invalid_field", "public_authority",
                       apr_psprintf(p, "%s is a list of at most 16 names (host[:port]), not %s",
                                    field(p, env, "public_authority"), mez_json_kind(list)));
    json_array_foreach(list, i, v) {
        const char *a = json_string_value(v);
        if (!json_is_string(v) || !mez_httpsig_authority_valid(a))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.invalid_field",
                               mez_pointer_index(p, "/public_authority", i), "%s: '%s' is not "
                               MEZ_HTTPSIG_AUTHORITY_SYNTAX,
                               field(p, env, "public_authority"), a ? a : mez_json_kind(v));
        for (int j = 0; j < out->public_authority->nelts; j++)
            if (!strcasecmp(APR_ARRAY_IDX(out->public_authority, j, const char *), a))
                return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.invalid_field",
                                   mez_pointer_index(p, "/public_authority", i), "%s: '%s' is named twice",
                                   field(p, env, "public_authority"), a);
        APR_ARRAY_PUSH(out->public_authority, const char *) = a;
    }
    return MEZ_OK;
}

mez_status_t mez_provision_check(apr_pool_t *p, const json_t *req, const mez_provision_env_t *env,
                                 mez_provision_t *out, mez_problem_t *pb)
{
    mez_problem_t ipb = { 0 };
    mez_profile_t *prof;
    const char *known, *zprofile = NULL, *host, *profile_dir;
    mez_status_t rv;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(req))
        return mez_problem(pb, p, MEZ_EINVAL, 400, "request.not_an_object", "", "the request must be a JSON object");
    if ((rv = opt_string(p, req, env, "jurisdiction", &out->zone_id, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "profile", &out->profile, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "mass_api", &out->mass_api, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "listen", &out->listen, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "server_name", &out->server_name, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "database", &out->database, pb)) != MEZ_OK
        || (rv = opt_string(p, req, env, "mode", &out->mode, pb)) != MEZ_OK)
        return rv;
    if (!out->zone_id)
        return invalid(pb, p, "provision.missing_field", "jurisdiction",
                       apr_psprintf(p, "%s (the zone id) is required", field(p, env, "jurisdiction")));
    if (!out->profile)
        return invalid(pb, p, "provision.missing_field", "profile",
                       apr_psprintf(p, "%s is required", field(p, env, "profile")));
    if (!mez_provision_zone_id_ok(out->zone_id))
        return invalid(pb, p, "provision.invalid_field", "jurisdiction",
                       apr_psprintf(p, "%s '%s' is not a zone id", field(p, env, "jurisdiction"), out->zone_id));
    out->mode = out->mode ? out->mode : "development";
    if (strcmp(out->mode, "development") && strcmp(out->mode, "production"))
        return invalid(pb, p, "provision.invalid_field", "mode",
                       apr_psprintf(p, "%s is development or production, not '%s'", field(p, env, "mode"),
                                    out->mode));
    profile_dir = env->profile_dir ? env->profile_dir : mez_zone_default_profile_dir();
    if (!profile_id_ok(out->profile) || mez_profile_load(p, profile_dir, out->profile, NULL, &prof, &ipb) != MEZ_OK)
        return invalid(pb, p, "provision.unknown_profile", "profile",
                       apr_psprintf(p, "unknown profile '%s' (profiles in %s: %s)", out->profile, profile_dir,
                                    known_profiles(p, profile_dir)));
    if (!(out->src_dir = find_jurisdiction(p, env->packs_dir, out->zone_id, &zprofile, &known)))
        return invalid(pb, p, "provision.unknown_jurisdiction", "jurisdiction",
                       apr_psprintf(p, "unknown jurisdiction '%s': no zone.yaml under %s has it (there: %s)",
                                    out->zone_id, env->packs_dir ? env->packs_dir : "(no packs directory)",
                                    *known ? known : "none"));
    if (!zprofile || strcmp(zprofile, out->profile))
        return invalid(pb, p, "provision.profile_mismatch", "profile",
                       apr_psprintf(p, "zone %s runs profile '%s' (its zone.yaml), not '%s'", out->zone_id,
                                    zprofile ? zprofile : "", out->profile));
    if ((rv = check_corridors(p, req, env, out, pb)) != MEZ_OK)
        return rv;
    out->mass_api = out->mass_api ? out->mass_api : "sovereign";
    if (strcmp(out->mass_api, "sovereign") && mez_http_base_check(p, out->mass_api, &host, &ipb) != MEZ_OK)
        return invalid(pb, p, "provision.invalid_field", "mass_api",
                       apr_psprintf(p, "%s '%s': %s (give sovereign or an http(s) base URL)",
                                    field(p, env, "mass_api"), out->mass_api, ipb.detail ? ipb.detail : "invalid"));
    /* httpd refuses to start a production zone whose Mass would get its token in clear text; deploy probes the
     * Mass with that token before httpd ever sees the conf, so the same rule is applied here, first. */
    if (!strcmp(out->mode, "production") && strcmp(out->mass_api, "sovereign")
        && !mez_http_token_transport_ok(p, out->mass_api))
        return invalid(pb, p, "provision.invalid_field", "mass_api",
                       apr_psprintf(p, "%s '%s': production mode sends the Mass token only over https (or to a "
                                    "loopback address)", field(p, env, "mass_api"), out->mass_api));
    out->database = out->database ? out->database : "sqlite";
    if ((rv = check_database(p, env, out, pb)) != MEZ_OK)
        return rv;
    out->listen = out->listen ? out->listen : "127.0.0.1:8080";
    if ((rv = check_listen(p, env, out, pb)) != MEZ_OK)
        return rv;
    out->server_name = out->server_name ? out->server_name : apr_pstrcat(p, out->zone_id, ".localhost", NULL);
    if (!server_name_ok(out->server_name))
        return invalid(pb, p, "provision.invalid_field", "server_name",
                       apr_psprintf(p, "%s '%s' is not a DNS name", field(p, env, "server_name"), out->server_name));
    return check_authorities(p, req, env, out, pb);
}

/* HOST[:PORT] split as check_database splits a URL's host (the last ':' starts the port), except that a bracketed
 * IPv6 address is one host ("[::1]", "[::1]:5433"); the port is "5432" when absent. 0 when it is neither. */
static int split_host_entry(apr_pool_t *p, const char *s, const char **host, const char **port)
{
    const char *colon, *c;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            return 0;
        colon = close[1] ? close + 1 : NULL;
    }
    else if ((colon = strrchr(s, ':')) && memchr(s, ':', (size_t)(colon - s)))
        return 0;   /* an IPv6 address needs its brackets: "::1" would be host ":" and port 1 */
    *host = colon ? apr_pstrndup(p, s, (apr_size_t)(colon - s)) : s;
    *port = colon ? colon + 1 : "5432";
    if (!**host || !**port || strlen(*port) > 5 || atoi(*port) <= 0 || atoi(*port) > 65535)
        return 0;
    for (c = *port; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    for (c = *host; *c; c++)
        if (*c <= ' ' || *c == '\'' || *c == '"' || *c == '\\' || *c == '=' || *c == '/' || *c == ',')
            return 0;
    return 1;
}

int mez_provision_host_entry_ok(const char *entry)
{
    apr_pool_t *p;
    const char *host, *port;
    int ok;
    if (!entry || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return 0;
    ok = split_host_entry(p, entry, &host, &port);
    apr_pool_destroy(p);
    return ok;
}

/* A base URL without its trailing slashes: "https://mass.example/api/" and ".../api" are one Mass. */
static const char *no_trailing_slash(apr_pool_t *p, const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return apr_pstrndup(p, url, n);
}

/* 1 when the estate gave a list (an empty one is none). */
static int listing(const apr_array_header_t *list)
{
    return list && list->nelts > 0;
}

mez_status_t mez_provision_endpoints_check(apr_pool_t *p, const json_t *req, const mez_provision_allow_t *allow,
                                           mez_problem_t *pb)
{
    mez_provision_env_t env = { 0 };
    mez_provision_t db = { 0 };
    const char *mass, *host, *port;
    mez_status_t rv;
    int listed = 0;

    if ((rv = opt_string(p, req, &env, "mass_api", &mass, pb)) != MEZ_OK)
        return rv;
    /* With a token, a list is needed (without one nothing is allowed); without a token, a list the estate gave
     * still binds: deploy's pre-flight probes the Mass from the provisioner's network, and the zone calls it. */
    if ((allow->mass_token || listing(allow->mass_api)) && mass && strcmp(mass, "sovereign")) {
        /* Exact, not a prefix or a host: https://mass.example.attacker.net shares a prefix with the estate's. */
        const char *want = no_trailing_slash(p, mass);
        for (int i = 0; allow->mass_api && i < allow->mass_api->nelts && !listed; i++)
            listed = !strcmp(want, no_trailing_slash(p, APR_ARRAY_IDX(allow->mass_api, i, const char *)));
        if (!listed)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.endpoint_not_allowed", "/mass_api",
                               "mass_api '%s' is not one of the estate's Mass APIs (mez provision --allow-mass-api)"
                               "%s", mass, allow->mass_token ? ": the provisioner sends its Mass token only to those"
                                                             : ": a request names only those");
    }
    if ((rv = opt_string(p, req, &env, "database", &db.database, pb)) != MEZ_OK || !db.database)
        return rv;
    if ((rv = check_database(p, &env, &db, pb)) != MEZ_OK)
        return rv;
    if ((!allow->database_password && !listing(allow->database_host)) || strcmp(db.db_driver, "pgsql"))
        return MEZ_OK;
    listed = 0;
    for (int i = 0; allow->database_host && i < allow->database_host->nelts && !listed; i++)
        listed = split_host_entry(p, APR_ARRAY_IDX(allow->database_host, i, const char *), &host, &port)
                 && !strcasecmp(host, db.db_host) && atoi(port) == atoi(db.db_port);
    if (!listed)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "provision.endpoint_not_allowed", "/database",
                           "the database host %s:%s is not one of the estate's database servers (mez provision "
                           "--allow-database-host)%s", db.db_host, db.db_port,
                           allow->database_password ? ": the provisioner gives its database password only to those"
                                                    : ": a request names only those");
    return MEZ_OK;
}

json_t *mez_provision_request_json(const mez_provision_t *out)
{
    json_t *cor = json_array(), *doc;
    for (int i = 0; out->corridors && i < out->corridors->nelts; i++)
        json_array_append_new(cor, json_string(APR_ARRAY_IDX(out->corridors, i, mez_provision_peer_t).zone_id));
    doc = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s}", "jurisdiction", out->zone_id, "profile", out->profile,
                    "corridors", cor, "mass_api", out->mass_api, "listen", out->listen, "server_name",
                    out->server_name, "database", out->database, "mode", out->mode);
    /* Only when given: a request spooled before the member existed compares equal to the same request now. */
    if (out->public_authority && out->public_authority->nelts) {
        json_t *list = json_array();
        for (int i = 0; i < out->public_authority->nelts; i++)
            json_array_append_new(list, json_string(APR_ARRAY_IDX(out->public_authority, i, const char *)));
        json_object_set_new(doc, "public_authority", list);
    }
    return doc;
}

const char *mez_provision_now(apr_pool_t *p)
{
    apr_time_exp_t t;
    apr_time_exp_gmt(&t, apr_time_now());
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                        t.tm_min, t.tm_sec);
}
