/* mod_mez.h: what the glue files of mod_mez share: the per-server configuration and the I/O helpers.
 * Everything a zone decides lives in libmezcore; this module only connects it to httpd. */
#ifndef MOD_MEZ_H
#define MOD_MEZ_H

/* How long a request waits for PostgreSQL to answer one round trip when MezDBTimeout is not set: long enough for
 * any statement a request makes on a healthy server (they take milliseconds; a lock held by a sibling, seconds at
 * most), short enough that a stalled server gives its callers an answer before their clients give up. */
#define MEZ_DB_TIMEOUT_DEFAULT_MS 30000L

/* How long a watcher's stake is held after it begins unbonding when MezWatcherUnbondingPeriod is not set: the time
 * in which evidence of what it attested while bonded may still reach the zone and be slashed (mez/watcher.h). */
#define MEZ_WATCHER_UNBONDING_DEFAULT apr_time_from_sec(14 * 86400)

#include <apr_dbd.h>
#include "httpd.h"
#include "http_config.h"
#include "mod_dbd.h"
#include "mez/corridor_env.h"
#include "mez/key.h"
#include "mez/mass.h"
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
    void *metric_cache;         /* mod_mez_metrics.c: this child's slots of the per-domain decision counters */
    /* MezMassEndpoint, MezMassTokenFile, MezMassTimeout as read (unset: NULL / 0, inherited from the main
     * server); mass is built from them in post_config and only read afterwards (NULL: all sovereign). */
    const char *mass_url[MEZ_MASS_PRIMITIVE_COUNT]; /* "" for an explicit "sovereign" */
    const char *mass_token_file;
    const char *mass_token;     /* read when MezMassTokenFile is read, by the parent */
    long mass_timeout_ms;
    const mez_mass_t *mass;
    const char *mass_jurisdiction[MEZ_MASS_PRIMITIVE_COUNT]; /* MezMassEndpointJurisdiction: where an endpoint is */
    struct mez_residency_t *residency;  /* MezDataResidency; NULL: no category restricted */
    int client_cert_auth;       /* MezClientCertAuth: -1 unset, 0 off (default), 1 on (mod_mez_clientcert.c) */
    int db_prepare;             /* MezDBPrepare: -1 unset, 0 off, 1 on (default): PostgreSQL statements prepared
                                 * once per mod_dbd connection (libmezcore/src/store_pg.c) */
    long db_timeout_ms;         /* MezDBTimeout: -1 unset (MEZ_DB_TIMEOUT_DEFAULT_MS), 0 off, else the longest one
                                 * round trip to PostgreSQL may keep a request waiting (store_pg.c) */
    apr_interval_time_t watcher_unbonding; /* MezWatcherUnbondingPeriod: -1 unset (MEZ_WATCHER_UNBONDING_DEFAULT) */
    int clearance_approvers;    /* MezClearanceApprovers: -1 unset, 1 or 2 (default): the principals a sanctions
                                 * screening clearance needs (mod_mez_clearance.c) */
    const char *client_cert_defn; /* "file:line" of that directive, for start-up messages */
    apr_array_header_t *peers;  /* MezPeer: of mez_peer_t (mod_mez_peer.c); NULL: none */
    const char *peer_ca_file;   /* MezPeerCAFile: CAs that sign peers' TLS certificates; NULL: the system store */
    apr_array_header_t *public_authorities; /* MezPublicAuthority: of const char *, the names (host[:port]) peers
                                 * address this zone by; a peer's signed request for any other is refused. NULL:
                                 * not checked (mod_mez_peer.c) */
    const char *defn_name;      /* where the zone was configured, for start-up messages */
    unsigned defn_line;
    /* The admin API (mod_mez_admin.c), on a virtual host that is no zone: MezAdminId names its tokens and audit
     * chain, MezAdminSpool is where requests are queued, MezAdminPacksDir and MezAdminPeersFile are what requests
     * are checked against (with MezProfileDir). NULL: not an admin host. */
    const char *admin_id, *admin_spool, *admin_packs_dir, *admin_peers_file;
} mez_srv_conf_t;

extern module AP_MODULE_DECLARE_DATA mez_module;
extern const command_rec mez_cmds[];

void *mez_create_srv_conf(apr_pool_t *p, server_rec *s);
void *mez_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
mez_srv_conf_t *mez_srv_conf(const server_rec *s);
/* A directive's path (server-root relative) that must exist now as a directory (want_dir) or a regular file, so
 * httpd names the config line of a bad one at start-up; NULL and *out set, or the error text. */
const char *mez_conf_existing_path(cmd_parms *cmd, const char *directive, const char *arg, int want_dir,
                                   const char **out);

/* mod_mez_io.c: JSON in and out */
/* Reads the request body as JSON within the zone's size limit (413, 415, 400 problems otherwise); a string holding
 * a NUL (\u0000) anywhere in it is 422 request.invalid_characters with its pointer (mez_refuse_nul). */
mez_status_t mez_read_json_body(request_rec *r, json_t **out, mez_problem_t *pb);
/* The same without the NUL rule: for the VC-API's credentials and presentations, signed and verified as given
 * (RFC 8785 writes a NUL as \u0000; the VC checks refuse one in the members they read, mez/vc.h). The caller
 * applies mez_refuse_nul to the rest of the body. */
mez_status_t mez_read_json_document(request_rec *r, json_t **out, mez_problem_t *pb);
/* 422 request.invalid_characters, pointer base + where, when a string in v holds a NUL; MEZ_OK otherwise. */
mez_status_t mez_refuse_nul(request_rec *r, const json_t *v, const char *base, mez_problem_t *pb);
/* The same for a body that must be an object with members from allowed only (NULL-terminated; 422
 * request.invalid_field for another JSON value, request.unknown_field for another member). */
mez_status_t mez_read_json_object(request_rec *r, const char *const *allowed, json_t **body, mez_problem_t *pb);
/* The query string as a table of name -> value: each name from allowed (NULL-terminated; 400
 * request.unknown_parameter naming them), given once, its value URL-decoded UTF-8 text without control characters
 * of at most 255 bytes (400 request.invalid_parameter); pointers are "/<name>". */
mez_status_t mez_read_query(request_rec *r, const char *const *allowed, apr_table_t **out, mez_problem_t *pb);
/* A whole-number parameter of query (from mez_read_query) within min..max, dflt when it is absent: decimal digits
 * only, without a sign, spaces or leading zeros (400 request.invalid_parameter at /name otherwise). */
mez_status_t mez_query_int(request_rec *r, apr_table_t *query, const char *name, apr_int64_t min, apr_int64_t max,
                           apr_int64_t dflt, apr_int64_t *out, mez_problem_t *pb);
int mez_send_json(request_rec *r, int status, json_t *body);
/* Sends JSON text the caller already has (e.g. canonical bytes it hashed), without a second serialisation. */
int mez_send_json_text(request_rec *r, int status, const char *text, apr_size_t len);
/* Sends text as it is (e.g. an answer stored for an Idempotency-Key replay) with the given media type. */
int mez_send_text_typed(request_rec *r, int status, const char *type, const char *text);
/* Sends body (borrowed: the caller keeps its reference) with the given media type. */
int mez_send_json_typed(request_rec *r, int status, const char *type, json_t *body);
/* Sends pb as application/problem+json; extra (may be NULL) adds members such as "checks". */
int mez_send_problem(request_rec *r, const mez_problem_t *pb, json_t *extra);
/* 405 "request.method_not_allowed" with the Allow header ("GET, POST"). */
int mez_send_method_not_allowed(request_rec *r, const char *allow);
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
/* The zone's calendar (zone.yaml's timezone, read at start-up): the dates its law applies on are days of it. NULL
 * (UTC) without a zone file. */
const struct mez_tz_t *mez_zone_tz(const mez_srv_conf_t *sc);
/* The zone's weekend (zone.yaml's weekend, mez/deadline.h): the days a deadline of business days passes over.
 * 0 (saturday and sunday) without a zone file. */
unsigned mez_zone_weekend(const mez_srv_conf_t *sc);

/* mod_mez_audit.c: the audit row of a request (mez/audit.h), appended inside the handler's transaction just
 * before it commits. The actor is the AuthType mez token id ("user:<name>" for other authentication,
 * "anonymous" without); the request id is the note mez-request-id (UNIQUE_ID, or a fresh "req_<hex>").
 * detail (may be NULL) is taken over. */
const char *mez_request_actor(request_rec *r);
/* mod_mez_auth.c: the other zone the caller acts for in this zone's Mass store (its token's mass zone, `mez token
 * create --mass-zone`; note mez-mass-zone), NULL for a caller of this zone's own. Such a caller is admitted to
 * /mass/v1/... (and /v1/whoami) only, and there reaches that zone's own records only (mez/mass.h, caller_zone_id). */
const char *mez_request_mass_zone(const request_rec *r);
const char *mez_request_id(request_rec *r);
struct mez_audit_event_t;
/* The audit event of r's action, for a libmezcore write that appends it inside its own transaction (detail, a new
 * reference, is taken). */
void mez_request_audit_event(request_rec *r, const char *action, const char *resource_type,
                             const char *resource_id, const char *outcome, json_t *detail,
                             struct mez_audit_event_t *ev);
/* GET /v1/audit/anchor: the audit chain's head signed with the zone key. */
int mez_audit_anchor_get(request_rec *r, mez_srv_conf_t *sc);
/* GET /v1/audit/rows: the chain's rows up to its head, with the head, read in one snapshot. */
int mez_audit_rows_get(request_rec *r, mez_srv_conf_t *sc);
mez_status_t mez_request_audit(request_rec *r, mez_db_t *db, const char *action, const char *resource_type,
                               const char *resource_id, const char *outcome, json_t *detail, mez_problem_t *pb);
/* The audit row of a committed write of the sovereign store ("mass.<METHOD> <path>"), or of a read that wrote
 * (resp->wrote, named in the row's detail). */
mez_status_t mez_audit_mass_write(request_rec *r, mez_db_t *db, const mez_mass_request_t *req,
                                  const mez_mass_response_t *resp, mez_problem_t *pb);

/* mod_mez_orchestrate.c: the zone API's orchestrated writes (entities, ownership, fiscal, consent, identity)
 * and the reads beside them */
int mez_orch_serve(request_rec *r, mez_srv_conf_t *sc);
/* mod_mez_tax.c: POST /v1/fiscal/withholding/calculate, a payment's withholding from the zone's packs; POST
 * /v1/fiscal/reporting/generate, an entity's tax report from the treasury's tax events. */
int mez_withholding_calculate(request_rec *r, mez_srv_conf_t *sc);
int mez_tax_report(request_rec *r, mez_srv_conf_t *sc);
/* Sends a Mass primitive's answer as it gave it (taking over resp->body): a refusal as problem+json, its code in
 * the log line (only a code's shape), the request's path as its instance. */
int mez_send_mass_answer(request_rec *r, mez_mass_response_t *resp);
/* GET /v1/registers/summary: the registers' numbers by state and type. */
int mez_registers_summary(request_rec *r, mez_srv_conf_t *sc);
struct mez_orch_zone_t;
/* The zone as the write pipeline sees it (mez/orchestrate.h): key, packs, and its Mass gateway for r. */
void mez_orch_zone_of(request_rec *r, const mez_srv_conf_t *sc, struct mez_orch_zone_t *z);
struct mez_orch_answer_t;
/* Sends the pipeline's answer as it gave it (a denial is a problem document), with its log notes (decision,
 * credential digest, problem) and Idempotent-Replayed for a replay. */
int mez_send_orch_answer(request_rec *r, const struct mez_orch_answer_t *ans);

/* mod_mez_keys.c: zone key rotation over HTTP: GET /v1/zone/keys (public) and the peers' signed notice
 * POST /v1/corridors/peers/key-rotation (routed by mez_corridor_serve). */
int mez_keys_get(request_rec *r, mez_srv_conf_t *sc);
int mez_keys_peer_notice(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db);

/* mod_mez_corridor.c: the corridor protocol: operators' corridor routes, peers' signed routes, public proofs and
 * checkpoints (/v1/corridors...). */
int mez_corridor_serve(request_rec *r, mez_srv_conf_t *sc);
/* What the corridor glue files (corridor, migration, watcher) share. The peer a signed request came from (403
 * "corridor.peer_only" when none: peer routes answer nobody else, whatever the Require lines say); the corridor
 * a peer names, which must be between it and this zone (422 request.missing_field, 404, 403 "corridor.not_party");
 * a JSON object body with only the allowed members (optional: an absent body is an empty object). */
struct mez_peer_t;
struct mez_corridor_t;
const struct mez_peer_t *mez_corridor_calling_peer(request_rec *r, const mez_srv_conf_t *sc, mez_problem_t *pb);
mez_status_t mez_corridor_of_peer(request_rec *r, mez_db_t *db, const char *id, const struct mez_peer_t *peer,
                                  struct mez_corridor_t *c, mez_problem_t *pb);
mez_status_t mez_corridor_body(request_rec *r, const char *const *allowed, int optional, json_t **body,
                               mez_problem_t *pb);
/* A peer's signed request about a corridor: the calling peer (mez_corridor_calling_peer), its JSON body limited to
 * allowed, and the corridor its corridor_id names, which must be between this zone and that peer
 * (mez_corridor_of_peer). */
mez_status_t mez_corridor_peer_request(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db,
                                       const char *const *allowed, const struct mez_peer_t **peer, json_t **body,
                                       struct mez_corridor_t *c, mez_problem_t *pb);
/* One signed call to a peer zone (RFC 9421, the zone key; MezPeerCAFile for TLS; retried, re-signed, on transient
 * failures): MEZ_OK for a 2xx JSON object; otherwise 503 "corridor.peer_unreachable" (no answer), 503
 * "corridor.peer_unavailable" (a 5xx) or 502 "corridor.peer_refused" (a 4xx), the answer kept in *ans. body (a new
 * reference, taken) may be NULL. mez_peer_answer_t: mez/corridor_env.h. */
mez_status_t mez_corridor_call_peer(request_rec *r, const mez_srv_conf_t *sc, const struct mez_peer_t *peer,
                                    const char *method, const char *path, const char *query, json_t *body,
                                    mez_peer_answer_t *ans, mez_problem_t *pb);
/* The exchange of receipts (push, pull, record, halt) is libmezcore's: mez/corridor_exchange.h, over
 * mez_corridor_env_of. */
struct mez_idem_scope_t;
/* The Idempotency-Key of a corridor write that cannot share one transaction with its work (the remote-call pattern
 * of mez/idempotency.h): the intent is committed first. 1: go on, *ref the request's own reference (the same for
 * every retry); 0: answered already (the first answer again, or a refusal), *rc what the handler returns. */
int mez_corridor_idem_open(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id, const char *key,
                           const json_t *body, apr_interval_time_t lease, struct mez_idem_scope_t *scope,
                           const char **ref, int *rc);

/* mod_mez_transfer.c: cross-border transfers over a corridor (POST /v1/corridors/{id}/transfers and /settle, the
 * peer routes /v1/corridors/peers/transfers/evaluate|settle). */
int mez_transfer_post(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id);
int mez_transfer_post_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *id);
int mez_transfer_peer_evaluate(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db);
int mez_transfer_peer_settle(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db);

/* mod_mez_corridor_env.c: the server's part of the protocols between two zones (mez/corridor_env.h) for request
 * r: env (for mez/corridor_exchange.h, mez/migration_saga.h and mez/transfer.h) with its baton, this struct. */
typedef struct mez_corridor_glue_t {
    request_rec *r;
    mez_srv_conf_t *sc;
    mez_db_t *db;
    const struct mez_peer_t *peer;     /* the peer env.peer selected */
    mez_orch_zone_t zone;
    mez_corridor_env_t env;
} mez_corridor_glue_t;
void mez_corridor_env_of(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, mez_corridor_glue_t *g);

/* mod_mez_migration.c: entity migrations over a corridor (/v1/corridors/{id}/migrations..., and the peer routes
 * /v1/corridors/peers/migrations/...). mez_migration_route: 1 when r->uri is one of them. */
int mez_migration_route(const request_rec *r);
int mez_migration_serve(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db);

/* mod_mez_watcher.c: corridor watchers (/v1/watchers...), and the attestations of a corridor, which
 * mez_corridor_serve hands over for /v1/corridors/{id}/attestations with its database connection. */
int mez_watcher_serve(request_rec *r, mez_srv_conf_t *sc);
/* mod_mez_clearance.c: /v1/sanctions/clearances (screening clearances, mez/clearance.h) */
int mez_clearance_serve(request_rec *r, mez_srv_conf_t *sc);

/* mod_mez_evaluation.c: GET /v1/evaluations[/{seq}], the recorded compliance evaluations. */
int mez_evaluation_serve(request_rec *r, mez_srv_conf_t *sc);
int mez_watcher_corridor_serve(request_rec *r, mez_srv_conf_t *sc, mez_db_t *db, const char *corridor_id);

/* mod_mez_admin.c: POST /admin/zones, GET /admin/zones[/{id}] on the admin host (MezAdminSpool ...) */
const char *mez_set_admin_id(cmd_parms *cmd, void *dc, const char *arg);
const char *mez_set_admin_spool(cmd_parms *cmd, void *dc, const char *arg);
const char *mez_set_admin_packs_dir(cmd_parms *cmd, void *dc, const char *arg);
const char *mez_set_admin_peers_file(cmd_parms *cmd, void *dc, const char *arg);
/* Refuses an admin host that is also a zone or lacks one of its directives. */
int mez_admin_post_config(apr_pool_t *pconf, server_rec *s);
int mez_admin_serve(request_rec *r, mez_srv_conf_t *sc);

/* mod_mez_api.c: the mez-api handler */
int mez_api_handler(request_rec *r);
/* The route table's path r->uri falls under ("/v1/packs/" for any pack), or "unmatched": a metrics label
 * whose values are bounded by the table, never the raw URI. */
const char *mez_api_route_label(const request_rec *r);

/* mod_mez_mass_client.c: the zone's Mass gateway (MezMassEndpoint ...).
 * mez_request_mass_call answers req from the primitive's configured endpoint (mez_mass_call): the sovereign
 * store in the caller's transaction on db, or the remote endpoint. resp->body belongs to r->pool (do not
 * json_decref it). Counts mez_mass_calls_total{primitive,outcome}; outcome "ok" (2xx), "refused" (4xx),
 * "unavailable" (503 mass.unavailable), "upstream_error" (502), "error" (anything else). */
mez_status_t mez_request_mass_call(request_rec *r, mez_db_t *db, const mez_mass_request_t *req,
                                   mez_mass_response_t *resp, mez_problem_t *pb);
/* A record read through the gateway (GET path?query): 422 "mass.not_found" at pointer (the request member that
 * named it) when there is none, 502 "mass.unexpected_answer" for anything but a 200 JSON object. *doc belongs to
 * r->pool. */
mez_status_t mez_request_mass_get(request_rec *r, mez_db_t *db, const char *path, const char *query,
                                  const char *pointer, json_t **doc, mez_problem_t *pb);
/* /readyz's checks.mass: {"<primitive>": {"endpoint", "state", "detail"}}; *degraded set when one is
 * unreachable. */
json_t *mez_mass_readiness(request_rec *r, const mez_srv_conf_t *sc, int *degraded);
void mez_mass_client_register_hooks(apr_pool_t *p);

/* mod_mez_metrics.c: /metrics (Prometheus text 0.0.4) from counters in shared memory that every child adds
 * to. Requests (mez_requests_total{zone,route,code}), tensor evaluations (requests that left the note
 * mez-decision with a tensor state) and credentials issued (the note mez-credential-digest, set once committed) are
 * counted by a log_transaction hook, and so are the audit rows the request committed (mez_request_audit_rows);
 * other code counts its events with mez_metrics_count (peer calls, Mass calls, receipts). Safe from any thread
 * of any child; a no-op for a server without MezZone. */
enum {
    MEZ_METRIC_REQUESTS = 0,         /* labels: route, code (counted by the hook, not by callers) */
    MEZ_METRIC_TENSOR_EVALUATIONS,   /* label: decision */
    MEZ_METRIC_CREDENTIALS_ISSUED,   /* no label */
    MEZ_METRIC_MASS_CALLS,           /* labels: primitive, outcome (mez_metrics_count2) */
    MEZ_METRIC_AUDIT_ROWS,           /* no label (counted by the hook, not by callers) */
    MEZ_METRIC_CORRIDOR_RECEIPTS,    /* labels: corridor, outcome: "appended" (committed to this zone's copy of the
                                      * chain, either role), "pushed" (acknowledged by the peer after a push),
                                      * "failed" (a push batch the peer did not acknowledge, or a pushed or pulled
                                      * receipt this zone refused) */
    MEZ_METRIC_PEER_CALLS,           /* labels: peer, outcome (mez_metrics_peer_call, not directly) */
    MEZ_METRIC_TENSOR_DOMAIN_DECISIONS, /* labels: domain, decision (the hook, from mez_metrics_note_domains) */
    MEZ_METRIC_PROBLEMS,             /* label: code (the hook, from the note mez-problem) */
    MEZ_METRIC_COUNT                 /* new metrics go here, at the end; the shm keys them by name */
};
void mez_metrics_count(request_rec *r, int metric, const char *label);
void mez_metrics_count2(request_rec *r, int metric, const char *label1, const char *label2);
void mez_metrics_add(request_rec *r, int metric, const char *label1, const char *label2, uint64_t n);
/* A signed call to a peer zone was made: http_status is its answer's status, 0 when none came (transport
 * failure). Counts mez_peer_calls_total and records mez_peer_up / mez_peer_last_call_timestamp_seconds. */
void mez_metrics_peer_call(request_rec *r, const char *peer_zone_id, int http_status);
/* The outcome of a call or readiness probe of a remote Mass primitive (mez_mass_primitive_up). */
void mez_metrics_mass_health(request_rec *r, int primitive, int up);
/* Notes an evaluation result's per-domain states ("domains": {"<domain>": {"state": ...}}) for
 * mez_tensor_domain_decisions_total; counted with the request's mez-decision. */
void mez_metrics_note_domains(request_rec *r, const json_t *result);
int mez_get_metrics(request_rec *r, mez_srv_conf_t *sc);
void mez_metrics_register_hooks(apr_pool_t *p);

/* mod_mez_auth.c: AuthType mez, Require mez-role, and problem+json for their 401/403 answers. */
void mez_auth_register_hooks(apr_pool_t *p);

/* mod_mez_clientcert.c: MezClientCertAuth, client certificates mod_ssl verified as AuthType mez principals.
 * mez_request_client_cert: the mapping (mez/clientcert.h) of the certificate presented on r's connection, or
 * a 401 problem (auth.missing_token without one, auth.unverified_certificate, auth.unknown_certificate,
 * auth.revoked_certificate, auth.expired_certificate) or 503 db.unavailable. Notes mez-client-cert. */
const char *mez_set_client_cert_auth(cmd_parms *cmd, void *dc, int on);
struct mez_cert_map_t;
mez_status_t mez_request_client_cert(request_rec *r, const mez_srv_conf_t *sc, const struct mez_cert_map_t **out,
                                     mez_problem_t *pb);
void mez_clientcert_register_hooks(apr_pool_t *p);

/* Audit rows committed through the handles mez_request_db gave this request (mez_db_t.audit_rows). */
apr_uint64_t mez_request_audit_rows(request_rec *r);
/* A database connection from mod_dbd's pool for this request (NULL when none can be had). */
mez_db_t *mez_request_db(request_rec *r);
/* The same, or NULL with 503 "db.unavailable" in pb (every route answers that one code when mod_dbd has no
 * connection for it); needed_for, if not NULL, says what for ("to check the token"). */
mez_db_t *mez_request_db_or_problem(request_rec *r, const char *needed_for, mez_problem_t *pb);
/* The same for a route that acts as the zone: NULL with 503 "zone.not_configured" (no MezZone/MezKeyFile) or 503
 * "db.unavailable" in pb. */
mez_db_t *mez_zone_db(request_rec *r, const mez_srv_conf_t *sc, mez_problem_t *pb);

/* mod_mez_peer.c: the zone's peers (MezPeer <zone-id> <url> <did:key>) and RFC 9421 signed zone-to-zone
 * requests as AuthType mez principals. */
typedef struct mez_peer_t {
    const char *zone_id;
    const char *url;
    const char *did;                  /* "did:key:z6Mk..." */
    const char *verification_method;  /* "did:key:z6Mk...#z6Mk..." */
    mez_key_t *key;                   /* the public key the DID names, decoded when the directive is read */
} mez_peer_t;
const char *mez_set_peer(cmd_parms *cmd, void *dc, const char *zone_id, const char *url, const char *did);
/* MezPublicAuthority host[:port] ...: each value checked (mez_httpsig_authority_valid) and kept lower-cased. */
const char *mez_set_public_authority(cmd_parms *cmd, void *dc, const char *authority);
/* Whether r carries a Signature-Input or Signature header (then AuthType mez checks it instead of a token). */
int mez_peer_signed(const request_rec *r);
/* The peer zone with this id: a MezPeer of the configuration, else one an operator registered and has not revoked
 * (mez_peer_register); NULL when neither. Registered peers are read from the database for each request. */
const mez_peer_t *mez_peer_find(request_rec *r, const mez_srv_conf_t *sc, const char *zone_id);
/* GET /v1/peers, POST /v1/peers, POST /v1/peers/{zone_id}/revoke. */
int mez_peers_serve(request_rec *r, mez_srv_conf_t *sc);
/* Verifies r's signature against the zone's peers and records its nonce; *out gets the peer. 401 problems
 * httpsig.* / digest.* (mez/httpsig.h: httpsig.wrong_authority with MezPublicAuthority) plus httpsig.unknown_key,
 * httpsig.nonce_missing, httpsig.replay;
 * 413 request.too_large; 503 db.unavailable. */
mez_status_t mez_peer_authenticate(request_rec *r, const mez_srv_conf_t *sc, const mez_peer_t **out,
                                   mez_problem_t *pb);
void mez_peer_register_hooks(apr_pool_t *p);

#endif
