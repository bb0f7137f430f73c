/* mod_mez_packs.c: the zone's packs: loaded once in post_config, refused when stack.lock does not match or when
 * its layers conflict without an override, their manifests signed with the zone key, packs and signed manifests
 * stored in the zone's CAS, then served read-only (GET /v1/packs, /v1/packs/{digest}, /v1/laws/{eId}) without
 * file I/O. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "unixd.h"
#include "mez/cas.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/zone.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define PACKS_PREFIX "/v1/packs/"
#define LAWS_PREFIX  "/v1/laws/"

/* ---------------------------------------------------------------- start-up */

/* Logs every problem collected (or the one in pb) at EMERG: what an operator reads when httpd will not start. */
static void log_problems(server_rec *s, const char *what, const apr_array_header_t *problems, const mez_problem_t *pb)
{
    if (!problems || !problems->nelts) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: %s: %s", what, pb->code ? pb->code : "error",
                     pb->detail ? pb->detail : "");
        return;
    }
    for (int i = 0; i < problems->nelts; i++) {
        const mez_problem_t *pr = &APR_ARRAY_IDX(problems, i, mez_problem_t);
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: %s: %s", what, pr->code, pr->detail);
    }
}

/* The CAS is written by the parent, which runs as root; the children (the httpd User) must be able to read it
 * and, for imports, to write it, so what start-up creates is handed to that user, as mod_md does with its store.
 * lchown, never chown: the httpd user may replace anything in the store with a symbolic link between two starts,
 * and chown would follow it, handing whatever it names (/etc) to that user at the next start. */
static void give_to_httpd_user(apr_pool_t *p, server_rec *s, const char *path)
{
    struct stat st;
    (void)p;
    if (geteuid() != 0)
        return;
    /* Nor a file with another name elsewhere (a hard link the httpd user made to a file it does not own, where
     * the kernel allows that): deploy's chown (dep_chown) keeps the same rule. */
    if (lstat(path, &st) != 0 || (!S_ISDIR(st.st_mode) && st.st_nlink > 1))
        return;
    if (lchown(path, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, "cannot hand %s to the httpd user", path);
}

/* Stores one artifact and hands its directory and file to the httpd user. */
static int store_one(apr_pool_t *ptemp, server_rec *s, mez_cas_t *cas, const char *cas_dir, const mez_zone_t *zone,
                     const char *type, const char *what, const void *bytes, size_t len, const mez_digest_t *digest)
{
    mez_problem_t pb = { 0 };
    if (mez_cas_put(ptemp, cas, type, bytes, len, digest, NULL, &pb) != MEZ_OK) {
        log_problems(s, apr_psprintf(ptemp, "zone %s: cannot store %s in the CAS", zone->zone_id, what), NULL, &pb);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    give_to_httpd_user(ptemp, s, apr_pstrcat(ptemp, cas_dir, "/", type, NULL));
    give_to_httpd_user(ptemp, s, apr_pstrcat(ptemp, cas_dir, "/", type, "/", mez_digest_hex(ptemp, digest), NULL));
    return OK;
}

/* Stores every pack of the zone in <datadir>/cas/<type>/<hex>, so a zone's content can be exported as witness
 * bundles and checked by others with exactly the bytes the lock pins; then each signed manifest, which
 * references its pack, so the closure of a manifest is the manifest and the pack it vouches for. */
static int store_packs(apr_pool_t *ptemp, server_rec *s, mez_srv_conf_t *sc, const mez_zone_t *zone)
{
    mez_problem_t pb = { 0 };
    mez_cas_t *cas;
    const char *cas_dir = apr_pstrcat(ptemp, sc->data_dir, "/cas", NULL);

    if (mez_cas_open(ptemp, sc->data_dir, 1, &cas, &pb) != MEZ_OK) {
        log_problems(s, apr_psprintf(ptemp, "zone %s: MezDataDir %s", zone->zone_id, sc->data_dir), NULL, &pb);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    give_to_httpd_user(ptemp, s, cas_dir);
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const mez_pack_t *pack = zp->pack;
        const char *type = mez_pack_kind_name(pack->kind), *bytes;
        const char *what = apr_pstrcat(ptemp, type, " ", pack->id, NULL);
        size_t len;
        int rc;
        if (mez_pack_artifact(ptemp, pack, &bytes, &len, &pb) != MEZ_OK) {
            log_problems(s, apr_psprintf(ptemp, "zone %s: cannot store %s in the CAS", zone->zone_id, what), NULL,
                         &pb);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((rc = store_one(ptemp, s, cas, cas_dir, zone, type, what, bytes, len, &pack->digest)) != OK)
            return rc;
        /* After the pack: a manifest whose pack is missing would be stored but invalid. */
        if (zp->manifest_bytes
            && (rc = store_one(ptemp, s, cas, cas_dir, zone, MEZ_ZONE_MANIFEST_CAS_TYPE,
                               apr_pstrcat(ptemp, "the signed manifest of ", what, NULL), zp->manifest_bytes,
                               zp->manifest_len, &zp->manifest_digest)) != OK)
            return rc;
    }
    return OK;
}

static int has_lawpacks(const mez_zone_t *zone)
{
    for (int i = 0; i < zone->packs->nelts; i++)
        if (APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).kind == MEZ_PACK_LAW)
            return 1;
    return 0;
}

/* Loads one zone: zone.yaml, profile, packs (validated, AKN against MezAknSchema), then stack.lock, then the
 * conflicts between its layers; signs the packs' manifests with the zone key (created: started, the start-up
 * time) and stores packs and manifests in the CAS. */
static int load_zone(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s, mez_srv_conf_t *sc, apr_hash_t *schemas,
                     const char *started, mez_zone_t **out)
{
    mez_zone_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    const char *what = apr_psprintf(ptemp, "MezZoneFile %s", sc->zone_file);
    mez_zone_t *zone;
    int rc;

    opts.profile_dir = sc->profile_dir;
    opts.problems = apr_array_make(ptemp, 8, sizeof(mez_problem_t));
    opts.max_problems = 50;
    if (sc->akn_schema_file) {
        /* The compiled schema is only needed while lawpacks are validated, so it lives in ptemp. */
        const mez_akn_schema_t *schema = apr_hash_get(schemas, sc->akn_schema_file, APR_HASH_KEY_STRING);
        if (!schema) {
            if (mez_akn_schema_load(ptemp, sc->akn_schema_file, &schema, &pb) != MEZ_OK) {
                log_problems(s, apr_psprintf(ptemp, "MezAknSchema %s", sc->akn_schema_file), NULL, &pb);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            apr_hash_set(schemas, sc->akn_schema_file, APR_HASH_KEY_STRING, schema);
        }
        opts.akn_schema = schema;
    }
    if (mez_zone_load(pconf, sc->zone_file, &opts, &zone, &pb) != MEZ_OK) {
        log_problems(s, what, opts.problems, &pb);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (strcmp(zone->zone_id, sc->zone_id)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s is zone '%s', but MezZone (%s:%u) says '%s'", what,
                     zone->zone_id, sc->defn_name, sc->defn_line, sc->zone_id);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (has_lawpacks(zone) && !opts.akn_schema) {
        /* The lock guarantees the acts are the bytes `mez lock` validated; production still wants to see it. */
        if (sc->mode == MEZ_MODE_PRODUCTION) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: zone %s has lawpacks and MezMode production: set "
                         "MezAknSchema to akomantoso30.xsd so they are validated at start-up", what, zone->zone_id);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: no MezAknSchema: lawpacks are indexed but not validated "
                     "against Akoma Ntoso (their digests are still checked against stack.lock)", what);
    }
    apr_array_clear(opts.problems);
    if (mez_zone_verify_lock(ptemp, zone, &opts, &pb) != MEZ_OK) {
        log_problems(s, apr_psprintf(ptemp, "zone %s refuses to start (%s)", zone->zone_id, zone->lock_path),
                     opts.problems, &pb);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Two layers that both govern one thing, and zone.yaml says nothing of which applies: evaluating either
     * would be a choice nobody made. Each conflict is logged naming both rules. */
    apr_array_clear(opts.problems);
    if (mez_zone_check_conflicts(ptemp, zone, &opts, &pb) != MEZ_OK) {
        log_problems(s, apr_psprintf(ptemp, "zone %s refuses to start (%d unresolved conflict%s between the layers "
                                     "of %s)", zone->zone_id, mez_zone_unresolved_conflicts(zone),
                                     mez_zone_unresolved_conflicts(zone) > 1 ? "s" : "", zone->path),
                     opts.problems, &pb);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    {
        /* A list zone.yaml says the zone screens against, which no pack holds: nothing screens against it. Said at
         * every start (and by /readyz and `mez zone check`) rather than left for the operator to believe; and
         * production fails closed, as it does without MezAknSchema: every screening hit is a hard block, and a
         * zone that screens against nothing in the list's place lets the listed names through. */
        const apr_array_header_t *missing = mez_zone_missing_sanctions_imports(ptemp, zone);
        const char *tzw = mez_zone_timezone_warning(ptemp, zone);
        for (int i = 0; i < missing->nelts; i++) {
            const char *one = APR_ARRAY_IDX(missing, i, const char *);
            if (sc->mode == MEZ_MODE_PRODUCTION) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: %s", what,
                             mez_zone_sanctions_import_refusal(ptemp, zone, one));
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s", mez_zone_sanctions_import_warning(ptemp, zone, one));
        }
        if (tzw)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s", tzw);
    }
    /* Without a key post_config refuses the zone right after this; there is nothing to sign with. */
    if (sc->key) {
        mez_vc_proof_options_t po = { 0 };
        po.verification_method = sc->verification_method;
        po.created = started;
        /* pconf: the credentials are served for as long as the zone runs. */
        if (mez_zone_sign_manifests(pconf, zone, sc->key, sc->did, &po, &pb) != MEZ_OK) {
            log_problems(s, apr_psprintf(ptemp, "zone %s: cannot sign the pack manifests", zone->zone_id), NULL,
                         &pb);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (sc->data_dir && (rc = store_packs(ptemp, s, sc, zone)) != OK)
        return rc;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "zone %s: profile %s, %d packs verified against %s (%s), %d "
                 "conflicts between layers resolved by overrides%s", zone->zone_id, zone->profile->id,
                 zone->packs->nelts, zone->lock_path, mez_digest_format(ptemp, &zone->lock_digest),
                 mez_zone_conflicts(zone)->nelts, sc->data_dir ? ", stored in the CAS" : "");
    *out = zone;
    return OK;
}

int mez_packs_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    /* Virtual hosts that inherit one MezZoneFile share one loaded zone (and its manifests, signed with one key). */
    apr_hash_t *loaded = apr_hash_make(ptemp), *schemas = apr_hash_make(ptemp);
    server_rec *orphan = NULL;
    /* One signing time for every manifest of this start-up. */
    const char *started = mez_time_now_rfc3339(ptemp);

    /* libxml2's global set-up, before any child or thread exists (it is not thread-safe itself). */
    mez_pack_global_init();
    for (server_rec *v = s; v; v = v->next) {
        mez_srv_conf_t *sc = mez_srv_conf(v);
        const char *key;
        mez_zone_t *zone;
        int rc;

        sc->zone = NULL;
        if (!sc->zone_file)
            continue;
        /* A virtual host that serves no zone may inherit the main server's MezZoneFile: nothing to load there. */
        if (!sc->zone_id) {
            orphan = orphan ? orphan : v;
            continue;
        }
        key = apr_pstrcat(ptemp, sc->zone_file, "\n", sc->profile_dir ? sc->profile_dir : "", "\n",
                          sc->akn_schema_file ? sc->akn_schema_file : "", "\n", sc->zone_id, "\n",
                          sc->data_dir ? sc->data_dir : "", "\n", sc->key_file ? sc->key_file : "", NULL);
        if ((zone = apr_hash_get(loaded, key, APR_HASH_KEY_STRING))) {
            sc->zone = zone;
            continue;
        }
        if ((rc = load_zone(pconf, ptemp, v, sc, schemas, started, &zone)) != OK)
            return rc;
        apr_hash_set(loaded, key, APR_HASH_KEY_STRING, zone);
        sc->zone = zone;
    }
    if (orphan && !apr_hash_count(loaded)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, orphan, "MezZoneFile %s is set but no server has MezZone (the "
                     "zone's id)", mez_srv_conf(orphan)->zone_file);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* ---------------------------------------------------------------- answers */

/* Sets a strong ETag and answers 304 when the client has it: packs are content-addressed, so it never goes stale
 * while the server runs. Returns OK to go on with the answer. */
static int etag(request_rec *r, const char *tag)
{
    apr_table_setn(r->headers_out, "ETag", apr_pstrcat(r->pool, "\"", tag, "\"", NULL));
    return ap_meets_conditions(r);
}

static json_t *pack_summary(apr_pool_t *p, const mez_pack_t *pack)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", mez_pack_kind_name(pack->kind), "id", pack->id,
                     "jurisdiction_id", pack->jurisdiction_id, "domain", pack->domain, "as_of_date", pack->as_of_date,
                     "digest", mez_pack_digest_string(p, pack), "title", pack->title);
}

int mez_get_packs(request_rec *r, mez_srv_conf_t *sc)
{
    const mez_zone_t *zone = sc->zone;
    json_t *list = json_array(), *body;
    int rc;

    if (!zone)
        return mez_send_json(r, HTTP_OK, json_pack("{s:o,s:[],s:[]}", "packs", list, "conflicts", "overrides"));
    if ((rc = etag(r, mez_digest_format(r->pool, &zone->lock_digest))) != OK) {
        json_decref(list);
        return rc;
    }
    for (int i = 0; i < zone->packs->nelts; i++)
        json_array_append_new(list, pack_summary(r->pool, APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).pack));
    /* The ETag still holds: conflicts and overrides follow from the packs and zone.yaml, which the lock pins. */
    body = json_pack("{s:s,s:s,s:o,s:o,s:o}", "zone_id", zone->zone_id, "stack_lock",
                     mez_digest_format(r->pool, &zone->lock_digest), "packs", list, "conflicts",
                     mez_zone_conflicts_json(r->pool, zone), "overrides", mez_zone_overrides_json(zone));
    return mez_send_json(r, HTTP_OK, body);
}

int mez_get_pack(request_rec *r, mez_srv_conf_t *sc)
{
    const char *name = r->uri + strlen(PACKS_PREFIX);
    const mez_zone_pack_t *zp;
    mez_problem_t pb = { 0 };
    json_t *manifest;
    int rc;

    if (mez_zone_pack_by_digest(r->pool, sc->zone, name, &zp, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    /* The signed manifest is made at start-up, so the answer changes with each start: its digest is the tag. */
    if ((rc = etag(r, zp->credential ? mez_digest_format(r->pool, &zp->manifest_digest)
                                     : mez_pack_digest_string(r->pool, zp->pack))) != OK)
        return rc;
    /* The manifest deep-copies what it takes from the shared model, so this request owns all of it. */
    if (mez_pack_manifest(r->pool, zp->pack, &manifest, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (zp->credential) {
        /* A copy too: the credential is shared by every thread. */
        json_object_set_new(manifest, "credential", json_deep_copy(zp->credential));
        json_object_set_new(manifest, "manifest_artifact",
                            json_pack("{s:s,s:s}", "type", MEZ_ZONE_MANIFEST_CAS_TYPE, "digest",
                                      mez_digest_format(r->pool, &zp->manifest_digest)));
    }
    return mez_send_json(r, HTTP_OK, json_incref(manifest));
}

/* ?lawpack=<id> is the only parameter: it chooses among lawpacks that share an eId. */
static mez_status_t law_args(request_rec *r, const char **lawpack, mez_problem_t *pb)
{
    char *args, *tok, *state = NULL;
    *lawpack = NULL;
    if (!r->args || !*r->args)
        return MEZ_OK;
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&", &state); tok; tok = apr_strtok(NULL, "&", &state)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq++ = '\0';
        if (strcmp(tok, "lawpack") || !eq || !*eq || ap_unescape_url(eq) != OK)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter", NULL,
                               "the only query parameter here is lawpack=<lawpack id>");
        *lawpack = eq;
    }
    return MEZ_OK;
}

/* The lawpack document a section is in, as lawpack.yaml names it (documents[].path, relative to the lawpack: the
 * server's own file names are nobody's business), and that document's FRBR work URI. */
static const json_t *law_document(const mez_pack_t *law, const char *document)
{
    const json_t *docs = json_object_get(law->model, "documents"), *d;
    size_t i, n = document ? strlen(document) : 0;
    json_array_foreach(docs, i, d) {
        const char *path = json_string_value(json_object_get(d, "path"));
        size_t k = path ? strlen(path) : 0;
        if (k && (!strcmp(path, document)
                  || (n > k && document[n - k - 1] == '/' && !strcmp(document + n - k, path))))
            return d;
    }
    return NULL;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int mez_get_law(request_rec *r, mez_srv_conf_t *sc)
{
    const char *eid = r->uri + strlen(LAWS_PREFIX), *lawpack_id, *work = NULL, *document = NULL;
    const json_t *doc;
    const mez_pack_t *law;
    const mez_akn_section_t *sec;
    mez_akn_text_t says;
    mez_problem_t pb = { 0 };
    json_t *source, *body;
    int rc;

    if (law_args(r, &lawpack_id, &pb) != MEZ_OK
        || mez_zone_law(r->pool, sc->zone, eid, lawpack_id, &law, &sec, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if ((rc = etag(r, apr_pstrcat(r->pool, mez_pack_digest_string(r->pool, law), "#", sec->eid, NULL))) != OK)
        return rc;
    if ((doc = law_document(law, sec->document))) {
        document = json_string_value(json_object_get(doc, "path"));
        work = json_string_value(json_object_get(doc, "frbr_work"));
    }
    mez_akn_section_text(r->pool, sec, &says);
    source = json_pack("{s:s,s:i}", "document", document ? document : "", "line", sec->line);
    if (work)
        json_object_set_new(source, "frbr_work", json_string(work));
    body = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o}", "lawpack", law->id, "lawpack_digest",
                     mez_pack_digest_string(r->pool, law), "eId", sec->eid, "element", sec->element,
                     "num", string_or_null(says.num), "heading", string_or_null(says.heading), "text", says.text,
                     "source", source);
    return mez_send_json(r, HTTP_OK, body);
}
