/* mod_mez.h: what the glue files of mod_mez share: the per-server configuration and the I/O helpers.
 * Everything a zone decides lives in libmezcore; this module only connects it to httpd. */
#ifndef MOD_MEZ_H
#define MOD_MEZ_H

#include <apr_dbd.h>
#include "httpd.h"
#include "http_config.h"
#include "mod_dbd.h"
#include "mez/key.h"
#include "mez/problem.h"
#include "mez/store.h"

#define MEZ_HANDLER "mez-api"
#define MEZ_DEFAULT_MAX_BODY (1024 * 1024)

typedef enum { MEZ_MODE_UNSET = -1, MEZ_MODE_DEVELOPMENT = 0, MEZ_MODE_PRODUCTION = 1 } mez_mode_t;

/* Per virtual host; filled while the configuration is read, read-only once children run. */
typedef struct mez_srv_conf_t {
    const char *zone_id;
    const char *key_file;
    mez_key_t *key;             /* loaded when MezKeyFile is read, so a bad key stops start-up */
    const char *did;
    const char *verification_method;
    const char *data_dir;
    apr_off_t max_body;         /* -1: unset */
    mez_mode_t mode;
    const struct mez_tensor_index_t *tensor_index; /* the zone's packs as the evaluator reads them */
    uint32_t tensor_domains;    /* the zone's compliance domains (MEZ_DOMAIN_BIT); 0: per action type */
    const char *zone_file;      /* MezZoneFile: zone.yaml, whose profile and packs the zone runs on */
    const char *profile_dir;    /* MezProfileDir; NULL: the installed profiles */
    const char *akn_schema_file; /* MezAknSchema: akomantoso30.xsd, lawpacks are validated with it at start-up */
    const struct mez_zone_t *zone; /* loaded and checked against stack.lock in post_config; NULL without
                                    * MezZoneFile. Read-only afterwards, shared by every thread */
    const char *manifold_file;  /* MezManifoldFile */
    const struct mez_manifold_t *manifold; /* parsed when the directive is read; only read afterwards */
    apr_thread_mutex_t *sqlite_writer; /* per process: queues SQLite write transactions (see mez_db_t) */
    const char *defn_name;      /* where the zone was configured, for start-up messages */
    unsigned defn_line;
} mez_srv_conf_t;

extern module AP_MODULE_DECLARE_DATA mez_module;
extern const command_rec mez_cmds[];

void *mez_create_srv_conf(apr_pool_t *p, server_rec *s);
void *mez_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
mez_srv_conf_t *mez_srv_conf(const server_rec *s);

/* mod_mez_io.c: JSON in and out */
/* Reads the request body as JSON within the zone's size limit (413, 415, 400 problems otherwise). */
mez_status_t mez_read_json_body(request_rec *r, json_t **out, mez_problem_t *pb);
int mez_send_json(request_rec *r, int status, json_t *body);
/* Sends JSON text the caller already has (e.g. canonical bytes it hashed), without a second serialisation. */
int mez_send_json_text(request_rec *r, int status, const char *text, apr_size_t len);
/* Sends body (borrowed: the caller keeps its reference) with the given media type. */
int mez_send_json_typed(request_rec *r, int status, const char *type, json_t *body);
/* Sends pb as application/problem+json; extra (may be NULL) adds members such as "checks". */
int mez_send_problem(request_rec *r, const mez_problem_t *pb, json_t *extra);
/* Refuses members of obj not in the NULL-terminated allowed list ("request.unknown_field"). */
mez_status_t mez_check_members(request_rec *r, const json_t *obj, const char *pointer,
                               const char *const *allowed, mez_problem_t *pb);

/* openapi_doc.c (generated): openapi/mez.openapi.json, NUL-terminated */
extern const char mez_openapi_doc[];

/* mod_mez_compliance.c */
/* Builds the zone's evaluation index from its loaded packs (after mez_packs_post_config). */
int mez_compliance_post_config(apr_pool_t *pconf, server_rec *s, mez_srv_conf_t *sc);
int mez_post_evaluate(request_rec *r, mez_srv_conf_t *sc);

/* mod_mez_packs.c: the zone's packs, loaded and verified against stack.lock at start-up, then served
 * read-only: GET /v1/packs, /v1/packs/{digest}, /v1/laws/{eId}. */
int mez_packs_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
int mez_get_packs(request_rec *r, mez_srv_conf_t *sc);
int mez_get_pack(request_rec *r, mez_srv_conf_t *sc);
int mez_get_law(request_rec *r, mez_srv_conf_t *sc);

/* mod_mez_tensor.c */
int mez_get_tensor_commitment(request_rec *r, mez_srv_conf_t *sc);
int mez_post_manifold_route(request_rec *r, mez_srv_conf_t *sc);

/* mod_mez_mass.c: the sovereign Mass store under /mass/v1/... */
int mez_mass_serve(request_rec *r, mez_srv_conf_t *sc);
/* The zone's jurisdiction (zone.yaml's jurisdiction_id; the zone id without a zone file). */
const char *mez_zone_jurisdiction(const mez_srv_conf_t *sc);

/* mod_mez_api.c: the mez-api handler */
int mez_api_handler(request_rec *r);

/* mod_mez_auth.c: AuthType mez, Require mez-role, and problem+json for their 401/403 answers. */
void mez_auth_register_hooks(apr_pool_t *p);

/* A database connection from mod_dbd's pool for this request (NULL when none can be had). */
mez_db_t *mez_request_db(request_rec *r);

#endif
