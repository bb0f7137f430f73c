/* mez/provision.h: the checks a zone provisioning request passes before anything is written, shared by
 * `mez deploy` (its pre-flight) and the admin API (POST /admin/zones), so both refuse the same things with the
 * same codes and words. Only what needs no privilege is checked here (syntax, the profile and jurisdiction
 * directories, the peers registry); what needs the zone's files, a database connection or the network (keys,
 * the packs' stack.lock, a free port, a reachable Mass) stays with deploy, which runs with those privileges.
 *
 * The request is the admin API's document; deploy builds the same document from its options:
 *   {"jurisdiction": "<zone id>",                   required; a zone.yaml under packs_dir has that zone_id
 *    "profile": "<profile id>",                     required; <profile_dir>/<id>.yaml, and zone.yaml's profile
 *    "corridors": ["<peer zone id>", ...],          each in the peers registry (JSON {"<id>": {url, did}})
 *    "mass_api": "sovereign" | "<http(s) URL>",     default sovereign; with mode production https, or http to
 *                                                   a loopback host (mez_http_token_transport_ok)
 *    "listen": "HOST:PORT",                         default 127.0.0.1:8080
 *    "server_name": "<DNS name>",                   default <zone>.localhost
 *    "public_authority": ["HOST[:PORT]", ...],      more names peers address the zone by (a load balancer's),
 *                                                   besides its server name and listen address (MezPublicAuthority)
 *    "database": "sqlite" | "postgresql://USER@HOST[:PORT]/DBNAME"   default sqlite; never a password
 *    "mode": "development" | "production"}         default development
 * Problems (status 422 unless said): provision.missing_field, provision.invalid_field, provision.unknown_profile,
 * provision.unknown_jurisdiction, provision.profile_mismatch, provision.unknown_corridor,
 * provision.database_password, and provision.invalid_peers (500: the registry itself is broken), each with a
 * JSON pointer to the request member (/profile, /jurisdiction, /corridors/1, ...); the provisioner adds
 * provision.endpoint_not_allowed (mez_provision_endpoints_check). */
#ifndef MEZ_PROVISION_H
#define MEZ_PROVISION_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/problem.h"

typedef struct mez_provision_env_t {
    const char *profile_dir;   /* NULL: mez_zone_default_profile_dir() */
    const char *packs_dir;     /* the jurisdictions' packs, one directory with a zone.yaml each */
    const char *peers_file;    /* the peers registry; NULL: no corridor can be named */
    int cli;                   /* 1: name fields as deploy's options (--jurisdiction) in the details */
} mez_provision_env_t;

typedef struct mez_provision_peer_t {
    const char *zone_id, *url, *did;
} mez_provision_peer_t;

typedef struct mez_provision_t {
    const char *zone_id, *profile, *mass_api, *listen, *server_name, *database, *mode;
    const char *src_dir;                  /* the jurisdiction's pack directory under packs_dir */
    apr_array_header_t *corridors;        /* mez_provision_peer_t, in the request's order */
    apr_array_header_t *public_authority; /* const char *, as given (mez_httpsig_authority_valid); empty: none */
    /* database: driver "sqlite3" or "pgsql"; for pgsql the parts of the URL (port "5432" when absent) */
    const char *db_driver, *db_user, *db_host, *db_port, *db_name;
    const char *listen_host;
    int listen_port;
} mez_provision_t;

/* 1 when s is a zone id (1-63 of a-z, 0-9, '-', not starting with '-'). */
int mez_provision_zone_id_ok(const char *s);

/* Checks request (a JSON object; unknown members are the caller's business) and fills out with it and the
 * defaults. MEZ_OK, or MEZ_EINVAL with pb (code, pointer, detail). */
mez_status_t mez_provision_check(apr_pool_t *p, const json_t *request, const mez_provision_env_t *env,
                                 mez_provision_t *out, mez_problem_t *pb);

/* The request document of out, with its defaults filled in (a new reference): what the admin API keeps in its
 * spool, and what two requests are compared by. */
json_t *mez_provision_request_json(const mez_provision_t *out);

/* The endpoints an estate lets a request name. A request names its Mass and its database host, and deploy hands
 * them the provisioner's Mass token (its pre-flight probe, then every call of the zone) and database password (its
 * pre-flight connection, then the zone's): without these lists, whoever may queue a request could collect both.
 * Even with no secret to give, deploy's pre-flight reaches the named host from the provisioner's network, and the
 * zone keeps talking to it: a list the estate gave binds every request. `mez provision`'s --allow-mass-api and
 * --allow-database-host fill them. */
typedef struct mez_provision_allow_t {
    const apr_array_header_t *mass_api;      /* const char *: Mass base URLs, compared without trailing '/'; when
                                              * not empty, a remote Mass must be one of them */
    const apr_array_header_t *database_host; /* const char *: HOST or HOST:PORT (HOST alone is HOST:5432); when
                                              * not empty, a PostgreSQL host must be one of them */
    int mass_token;                          /* 1: a token goes to the Mass: a URL must be listed (none: none is) */
    int database_password;                   /* 1: a password goes to the database: its host must be listed */
} mez_provision_allow_t;

/* 1 when entry is HOST or HOST:PORT as --allow-database-host takes it ([v6]:PORT; PORT 1-65535). */
int mez_provision_host_entry_ok(const char *entry);

/* Checks request's mass_api and database against allow: MEZ_OK, or MEZ_EINVAL 422 "provision.endpoint_not_allowed"
 * at /mass_api or /database (and provision.invalid_field when the member is not what mez_provision_check takes).
 * "sovereign" and sqlite send nothing anywhere and always pass; so does any endpoint when the estate neither holds
 * the secret nor gave a list. Reads the request only: nothing is connected. */
mez_status_t mez_provision_endpoints_check(apr_pool_t *p, const json_t *request, const mez_provision_allow_t *allow,
                                           mez_problem_t *pb);

/* The spool the admin API queues requests in and `mez provision` takes them from: <spool>/<zone id> plus one of
 * these suffixes (the provisioner also keeps <zone id>.lock there while it runs one). */
#define MEZ_PROVISION_REQUEST_SUFFIX ".request.json"
#define MEZ_PROVISION_STATUS_SUFFIX ".status.json"
/* A status file's mode, its group the spool's (the httpd user's, which serves it): the zone's endpoints, the
 * operator token's path and the estate's paths are not for every local user. */
#define MEZ_PROVISION_STATUS_MODE 0640

/* The zone ids with a request in spool, in name order; names that are not "<zone id>.request.json" are ignored.
 * MEZ_EIO with 500 "provision.spool_unreadable" when the directory cannot be read. */
mez_status_t mez_provision_spool_requests(apr_pool_t *p, const char *spool, apr_array_header_t **ids,
                                          mez_problem_t *pb);

/* Now as RFC 3339 UTC with seconds ("2026-11-25T22:41:43Z"), for the status documents. */
const char *mez_provision_now(apr_pool_t *p);

#endif
