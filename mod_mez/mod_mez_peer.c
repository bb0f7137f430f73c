/* mod_mez_peer.c: the zone's peers and their RFC 9421 signed requests as AuthType mez principals.
 *
 * `MezPeer <zone-id> <url> <did:key>` names a zone this one talks to. The DID is decoded when the directive is
 * read, so a peer whose DID names no Ed25519 key (or a zone id given twice) stops httpd.
 *
 * The keyid a peer signs with is its did:key verification method ("did:key:z6Mk...#z6Mk...", what
 * mez_did_key_verification_method gives and what the zone's own key signs credentials with); the bare DID is
 * accepted as well. Whichever form is sent, the replay cache keys the nonce by the peer's DID, so one nonce
 * cannot be spent twice by switching forms.
 *
 * The body. A covered content-digest must match the body, and mez_httpsig_verify checks that itself, so the body
 * is read here, in check_authn, within the zone's MezMaxBodySize, and handed back to the handler through the
 * input filter MEZ_PEER_KEPT_BODY: the handler (mez_read_json_body or anything else) reads it exactly as if it
 * came from the client and needs to know nothing about signatures. Verifying the digest later, in the handler,
 * would let a signed request with a wrong body through authentication and leave every handler responsible.
 *
 * The authority. With MezPublicAuthority the signature must cover @authority and name one of the zone's own
 * names: a request a peer signed for another zone (which trusts the same peer) and that was replayed here is
 * refused, 401 httpsig.wrong_authority. Without it the Host the request arrived with is all the signature binds,
 * and httpd's name-based virtual hosts, IP-addressed estates and load balancers make that the operator's to say.
 *
 * Order of checks: the signature first (parse, components, window, Ed25519, digest, authority), then the nonce:
 * a refused signature never writes the replay table. The window is MEZ_PEER_SKEW seconds either side of now; a nonce is
 * remembered for twice that, the longest a `created` can stay acceptable after it was first seen. */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/did.h"
#include "mez/httpsig.h"
#include "mez/key_rotation.h"
#include "mez/vc.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define MEZ_PEER_SKEW MEZ_CLOCK_SKEW_SEC
#define KEPT_BODY_FILTER "MEZ_PEER_KEPT_BODY"

static int zone_id_valid(const char *s)
{
    if (!*s || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!apr_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

const char *mez_set_peer(cmd_parms *cmd, void *dc, const char *zone_id, const char *url, const char *did)
{
    mez_srv_conf_t *sc = mez_srv_conf(cmd->server);
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    mez_peer_t *peer;
    (void)dc;

    if (!zone_id_valid(zone_id))
        return apr_psprintf(cmd->pool, "MezPeer: '%s' is not a zone id (letters, digits, '-', '_', '.')", zone_id);
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return apr_psprintf(cmd->pool, "MezPeer %s: '%s' is not an http(s) URL", zone_id, url);
    if (strncmp(did, "did:key:", 8) || strchr(did, '#'))
        return apr_psprintf(cmd->pool, "MezPeer %s: '%s' is not a did:key DID", zone_id, did);
    if (mez_did_key_resolve(cmd->pool, did, &key, &pb) != MEZ_OK)
        return apr_psprintf(cmd->pool, "MezPeer %s: %s (%s)", zone_id, pb.detail ? pb.detail : "bad DID", pb.code);
    if (!sc->peers)
        sc->peers = apr_array_make(cmd->pool, 4, sizeof(mez_peer_t));
    for (int i = 0; i < sc->peers->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(sc->peers, i, mez_peer_t).zone_id, zone_id))
            return apr_psprintf(cmd->pool, "MezPeer %s is given twice", zone_id);
    peer = apr_array_push(sc->peers);
    peer->zone_id = apr_pstrdup(cmd->pool, zone_id);
    peer->url = apr_pstrdup(cmd->pool, url);
    peer->did = apr_pstrdup(cmd->pool, did);
    peer->verification_method = mez_did_key_verification_method(cmd->pool, key);
    peer->key = key;
    return NULL;
}

int mez_peer_signed(const request_rec *r)
{
    return apr_table_get(r->headers_in, "Signature-Input") || apr_table_get(r->headers_in, "Signature");
}

/* ------------------------------------------------------------------ the body, read once and kept */

typedef struct kept_body_t {
    const char *buf;
    apr_size_t len, off;
} kept_body_t;

/* Serves the kept body to whoever reads the request after authentication, then EOS. The bytes live in r->pool,
 * which outlives every reader of the request, hence immortal buckets. */
static apr_status_t kept_body_in(ap_filter_t *f, apr_bucket_brigade *bb, ap_input_mode_t mode,
                                 apr_read_type_e block, apr_off_t readbytes)
{
    kept_body_t *k = f->ctx;
    apr_size_t n;
    (void)block;
    if (mode != AP_MODE_READBYTES && mode != AP_MODE_SPECULATIVE)
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    if (k->off >= k->len) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    n = k->len - k->off;
    if (readbytes > 0 && (apr_off_t)n > readbytes)
        n = (apr_size_t)readbytes;
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(k->buf + k->off, n, f->c->bucket_alloc));
    if (mode == AP_MODE_READBYTES)
        k->off += n;
    return APR_SUCCESS;
}

/* Reads the whole body (at most the zone's limit) and arranges for the handler to read it again. */
static mez_status_t keep_body(request_rec *r, const mez_srv_conf_t *sc, kept_body_t **out, mez_problem_t *pb)
{
    apr_off_t limit = sc->max_body > 0 ? sc->max_body : MEZ_DEFAULT_MAX_BODY, len;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_bucket_brigade *keep = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    kept_body_t *k = apr_pcalloc(r->pool, sizeof(*k));
    char *flat;
    int eos = 0;

    while (!eos) {
        apr_bucket *b, *next;
        if (ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, 8192) != APR_SUCCESS)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 400, "request.unreadable", NULL,
                               "the body could not be read completely");
        if (APR_BRIGADE_EMPTY(bb))
            break;
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
            next = APR_BUCKET_NEXT(b);
            if (APR_BUCKET_IS_EOS(b)) {
                eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b))
                continue;
            APR_BUCKET_REMOVE(b);
            if (apr_bucket_setaside(b, r->pool) != APR_SUCCESS)
                return mez_problem(pb, r->pool, MEZ_EIO, 500, "request.unreadable", NULL, "the body cannot be kept");
            APR_BRIGADE_INSERT_TAIL(keep, b);
        }
        apr_brigade_cleanup(bb);
        apr_brigade_length(keep, 1, &len);
        if (len > limit)
            return mez_problem(pb, r->pool, MEZ_EINVAL, 413, "request.too_large", NULL,
                               "the body is larger than this zone's limit of %" APR_OFF_T_FMT " bytes", limit);
    }
    if (apr_brigade_pflatten(keep, &flat, &k->len, r->pool) != APR_SUCCESS)
        return mez_problem(pb, r->pool, MEZ_EIO, 500, "request.unreadable", NULL, "the body cannot be kept");
    apr_brigade_cleanup(keep);
    k->buf = flat;
    ap_add_input_filter(KEPT_BODY_FILTER, k, r, r->connection);
    *out = k;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ verification */

typedef struct fields_t {
    apr_array_header_t *arr;
    apr_pool_t *p;
} fields_t;

static int add_field(void *ctx, const char *key, const char *value)
{
    fields_t *f = ctx;
    mez_httpsig_field_t *fl = apr_array_push(f->arr);
    char *name = apr_pstrdup(f->p, key);
    ap_str_tolower(name);
    fl->name = name;
    fl->value = value;
    return 1;
}

/* The keyid parameter of Signature-Input, only to choose which peer's key to verify with: mez_httpsig_verify
 * parses the field strictly and the keyid it returns is checked against that same peer afterwards. */
static const char *claimed_keyid(apr_pool_t *p, const char *input)
{
    const char *s = input ? strstr(input, "keyid=\"") : NULL, *e;
    if (!s)
        return NULL;
    s += 7;
    if (!(e = strchr(s, '"')))
        return NULL;
    return apr_pstrndup(p, s, (apr_size_t)(e - s));
}

/* A peer registered at runtime (mez_peer_register), as the configuration's peers are: its key decoded from the
 * DID, in r's pool. NULL when the row's DID no longer decodes (it did when it was registered). */
static const mez_peer_t *registered_peer(request_rec *r, const mez_peer_row_t *row)
{
    mez_problem_t pb = { 0 };
    mez_peer_t *peer = apr_pcalloc(r->pool, sizeof(*peer));
    if (mez_did_key_resolve(r->pool, row->did, &peer->key, &pb) != MEZ_OK)
        return NULL;
    peer->zone_id = row->zone_id;
    peer->url = row->url;
    peer->did = row->did;
    peer->verification_method = mez_did_key_verification_method(r->pool, peer->key);
    return peer;
}

static const mez_peer_t *configured_peer(const mez_srv_conf_t *sc, const char *zone_id)
{
    for (int i = 0; zone_id && sc->peers && i < sc->peers->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(sc->peers, i, mez_peer_t).zone_id, zone_id))
            return &APR_ARRAY_IDX(sc->peers, i, mez_peer_t);
    return NULL;
}

/* The peer as it is known now: the DID the configuration or registration gives, followed through the key
 * rotations the peer announced and this zone verified (mez_peer_key_record). NULL when the database cannot say:
 * a peer whose current key is unknown must not be trusted with its first one. */
static const mez_peer_t *current_key(request_rec *r, mez_db_t *db, const mez_peer_t *peer)
{
    mez_problem_t pb = { 0 };
    const char *did;
    mez_peer_t *now;
    if (!db)
        return peer;
    if (mez_peer_key_current(r->pool, db, peer->zone_id, peer->did, &did, &pb) != MEZ_OK)
        return NULL;
    if (!strcmp(did, peer->did))
        return peer;
    now = apr_pmemdup(r->pool, peer, sizeof(*now));
    if (mez_did_key_resolve(r->pool, did, &now->key, &pb) != MEZ_OK)
        return NULL;
    now->did = did;
    now->verification_method = mez_did_key_verification_method(r->pool, now->key);
    return now;
}

const mez_peer_t *mez_peer_find(request_rec *r, const mez_srv_conf_t *sc, const char *zone_id)
{
    const mez_peer_t *peer = configured_peer(sc, zone_id);
    mez_peer_row_t row;
    mez_problem_t pb = { 0 };
    mez_db_t *db = zone_id ? mez_request_db(r) : NULL;
    int found = 0;
    if (peer || !db)
        return peer ? current_key(r, db, peer) : NULL;
    if (mez_peer_get(r->pool, db, zone_id, &row, &found, &pb) != MEZ_OK || !found || row.revoked_at)
        return NULL;
    peer = registered_peer(r, &row);
    return peer ? current_key(r, db, peer) : NULL;
}

/* The peer whose did:key (or its verification method, "did#fragment") a signature names: a configured one, else
 * an active registered one, else the one a verified rotation gave this DID; and only while it is that peer's
 * current key. A key the peer rotated away from is refused like an unknown one: it may be why it rotated. */
static const mez_peer_t *peer_by_keyid(request_rec *r, const mez_srv_conf_t *sc, const char *keyid)
{
    mez_peer_row_t row;
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    const mez_peer_t *peer;
    const char *hash, *did, *zone = NULL;
    int found = 0;
    if (!keyid || strncmp(keyid, "did:key:", 8))
        return NULL;
    hash = strchr(keyid, '#');
    did = hash ? apr_pstrndup(r->pool, keyid, (apr_size_t)(hash - keyid)) : keyid;
    for (int i = 0; sc->peers && i < sc->peers->nelts; i++) {
        const mez_peer_t *p = &APR_ARRAY_IDX(sc->peers, i, mez_peer_t);
        if (!strcmp(did, p->did))
            zone = p->zone_id;
    }
    db = mez_request_db(r);
    if (!zone && db && mez_peer_key_zone(r->pool, db, did, &zone, &found, &pb) != MEZ_OK)
        return NULL;
    if (!zone && db) {
        if (mez_peer_by_did(r->pool, db, did, &row, &found, &pb) != MEZ_OK || !found)
            return NULL;
        /* A registered peer is known by its zone id first: a zone id the configuration holds is the
         * configuration's. */
        if (configured_peer(sc, row.zone_id))
            return NULL;
        zone = row.zone_id;
    }
    if (!zone || !(peer = mez_peer_find(r, sc, zone)) || strcmp(peer->did, did)
        || (hash && strcmp(keyid, peer->verification_method)))
        return NULL;
    return peer;
}

/* A request refused although its signature verified is the peer's own signed request, sent where or when it may
 * not be: again (a replay, by whoever captured it), or to this zone when it was signed for another name (captured on
 * its way to another zone that trusts the same peer, or a peer whose MezPeer URL names this zone by a name it does
 * not answer to). That is evidence worth keeping, in the zone's audit log (action, with what the refusal knows in
 * detail, which is taken): who signed, which request, the signature's parameters. Once per signature: the same
 * request sent again is counted in its refusal record, not written again (mez_peer_refusal_keep), so one captured
 * request cannot fill the log either. A signature that does not verify is kept nowhere: anyone can send one, and
 * writing for them would let them fill the log. */
static void keep_refusal(request_rec *r, mez_db_t *db, const mez_peer_t *peer, const mez_httpsig_verified_t *v,
                         const char *action, json_t *detail)
{
    mez_problem_t apb = { 0 };
    mez_audit_event_t ev;
    apr_int64_t times = 0;
    const char *h = apr_table_get(r->headers_in, "Signature-Input");
    json_object_set_new(detail, "peer", json_string(peer->zone_id));
    json_object_set_new(detail, "request", json_string(apr_pstrcat(r->pool, r->method, " ", r->uri, NULL)));
    if (h)
        json_object_set_new(detail, "signature_input", json_string(h));
    /* Only what the peer signed: an unbound Content-Digest would be the resender's own words in the log. */
    if (v->covers_content_digest && (h = apr_table_get(r->headers_in, "Content-Digest")))
        json_object_set_new(detail, "content_digest", json_string(h));
    mez_request_audit_event(r, action, "peer", peer->zone_id, "refused", detail, &ev);
    /* The first refusal of this signature is the audit row; a resend is only counted (mez/corridor.h). */
    if (mez_peer_refusal_keep(r->pool, db, &ev, v->keyid, v->signature, v->signature_len, &times, &apb)
        != MEZ_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "evidence of a refused request from %s (%s) not kept: %s",
                      peer->zone_id, action, apb.detail ? apb.detail : apb.code);
        return;
    }
    if (times > 1)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "%s: the same request signed by peer %s refused again (%"
                      APR_INT64_T_FMT " times; its first refusal is in the audit log)", action, peer->zone_id, times);
}

const char *mez_set_public_authority(cmd_parms *cmd, void *dc, const char *authority)
{
    mez_srv_conf_t *sc = mez_srv_conf(cmd->server);
    char *lower;
    (void)dc;
    if (!mez_httpsig_authority_valid(authority))
        return apr_psprintf(cmd->pool, "MezPublicAuthority: '%s' is not " MEZ_HTTPSIG_AUTHORITY_SYNTAX, authority);
    lower = apr_pstrdup(cmd->pool, authority);
    ap_str_tolower(lower);
    if (!sc->public_authorities)
        sc->public_authorities = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(sc->public_authorities, const char *) = lower;
    return NULL;
}

mez_status_t mez_peer_authenticate(request_rec *r, const mez_srv_conf_t *sc, const mez_peer_t **out,
                                   mez_problem_t *pb)
{
    const char *host = apr_table_get(r->headers_in, "Host"), *scheme = ap_http_scheme(r), *keyid;
    const mez_peer_t *peer, *named;
    apr_time_t now = apr_time_now();
    mez_httpsig_request_t req = { 0 };
    mez_httpsig_policy_t policy = { 0 };
    mez_httpsig_verified_t v = { 0 };
    fields_t fields;
    kept_body_t *body = NULL;
    mez_db_t *db;
    mez_status_t st;

    if (!apr_table_get(r->headers_in, "Signature-Input") || !apr_table_get(r->headers_in, "Signature"))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "httpsig.missing",
                           apr_table_get(r->headers_in, "Signature") ? "/headers/signature-input"
                                                                     : "/headers/signature",
                           "a signed request needs both Signature-Input and Signature");
    keyid = claimed_keyid(r->pool, apr_table_get(r->headers_in, "Signature-Input"));
    if (!(peer = peer_by_keyid(r, sc, keyid)))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "httpsig.unknown_key", "/headers/signature-input",
                           "keyid %s is not the verification method of any MezPeer of this zone",
                           keyid ? keyid : "(none)");
    if (ap_request_has_body(r) && (st = keep_body(r, sc, &body, pb)) != MEZ_OK)
        return st;

    fields.p = r->pool;
    fields.arr = apr_array_make(r->pool, 16, sizeof(mez_httpsig_field_t));
    apr_table_do(add_field, &fields, r->headers_in, NULL);
    req.method = r->method;
    req.scheme = scheme;
    req.authority = host;
    req.path = r->parsed_uri.path ? r->parsed_uri.path : "/";
    req.query = r->parsed_uri.query ? apr_pstrcat(r->pool, "?", r->parsed_uri.query, NULL) : NULL;
    req.target_uri = host ? apr_pstrcat(r->pool, scheme, "://", host, r->unparsed_uri, NULL) : NULL;
    req.fields = (const mez_httpsig_field_t *)fields.arr->elts;
    req.nfields = (size_t)fields.arr->nelts;

    /* One clock for the signature's window and for the replay cache's: with two readings a second apart, a
     * signature at the far end of its window could outlive its nonce by that second. */
    policy.now = (long long)apr_time_sec(now);
    policy.skew = MEZ_PEER_SKEW;
    if (sc->public_authorities) {
        policy.authorities = (const char *const *)sc->public_authorities->elts;
        policy.nauthorities = (size_t)sc->public_authorities->nelts;
    }
    if (body) {
        policy.has_body = 1;
        policy.body = body->buf;
        policy.body_len = body->len;
    }
    if ((st = mez_httpsig_verify(r->pool, peer->key, &req, &policy, &v, pb)) != MEZ_OK) {
        if (pb && pb->code && !strcmp(pb->code, "httpsig.wrong_authority")
            && (db = mez_request_db(r)))
            keep_refusal(r, db, peer, &v, "peer.wrong_authority_refused",
                         json_pack("{s:s}", "signed_for", host ? host : ""));
        return st;
    }
    if (!v.keyid || !(named = peer_by_keyid(r, sc, v.keyid)) || strcmp(named->zone_id, peer->zone_id))
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "httpsig.unknown_key", "/headers/signature-input",
                           "the signature's keyid is not the verification method of MezPeer %s", peer->zone_id);
    if (!v.nonce || !*v.nonce)
        return mez_problem(pb, r->pool, MEZ_EINVAL, 401, "httpsig.nonce_missing", "/headers/signature-input",
                           "a peer's signature must carry a nonce (replay protection)");
    if (!(db = mez_request_db_or_problem(r, "to check the signature's nonce", pb)))
        return MEZ_EIO;
    if ((st = mez_peer_nonce_check(r->pool, db, peer->did, v.nonce, now,
                                   apr_time_from_sec(2 * MEZ_PEER_SKEW), pb)) != MEZ_OK) {
        if (pb && pb->code && !strcmp(pb->code, "httpsig.replay"))
            keep_refusal(r, db, peer, &v, "peer.replay_refused",
                         json_pack("{s:s, s:s, s:I}", "keyid", v.keyid, "nonce", v.nonce, "created",
                                   (json_int_t)v.created));
        return st;
    }
    *out = peer;
    return MEZ_OK;
}

void mez_peer_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_register_input_filter(KEPT_BODY_FILTER, kept_body_in, NULL, AP_FTYPE_RESOURCE);
}

/* ------------------------------------------------------------------ the peers routes */

static json_t *peer_json(const char *zone_id, const char *url, const char *did, const char *source,
                         const char *created_at, const char *revoked_at)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "zone_id", zone_id, "url", url, "did", did, "source", source);
    json_object_set_new(o, "registered_at", created_at ? json_string(created_at) : json_null());
    json_object_set_new(o, "revoked_at", revoked_at ? json_string(revoked_at) : json_null());
    return o;
}

static int peers_list(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *rows;
    json_t *arr = json_array();
    if (mez_peer_list(r->pool, db, &rows, &pb) != MEZ_OK) {
        json_decref(arr);
        return mez_send_problem(r, &pb, NULL);
    }
    for (int i = 0; sc->peers && i < sc->peers->nelts; i++) {
        const mez_peer_t *p = &APR_ARRAY_IDX(sc->peers, i, mez_peer_t);
        json_array_append_new(arr, peer_json(p->zone_id, p->url, p->did, "configuration", NULL, NULL));
    }
    for (int i = 0; i < rows->nelts; i++) {
        const mez_peer_row_t *p = &APR_ARRAY_IDX(rows, i, mez_peer_row_t);
        json_array_append_new(arr, peer_json(p->zone_id, p->url, p->did, "registered", p->created_at,
                                             p->revoked_at));
    }
    return mez_send_json(r, 200, json_pack("{s:o}", "peers", arr));
}

static int peers_register(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db)
{
    static const char *const allowed[] = { "zone_id", "url", "did", NULL };
    mez_problem_t pb = { 0 };
    mez_peer_row_t row;
    mez_audit_event_t ev;
    const char *zone_id;
    json_t *body;
    int repeated = 0, found = 0;

    if (mez_read_json_body(r, &body, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!json_is_object(body)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 422, "request.invalid_field", "", "the body is a JSON object");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_check_members(r, body, "", allowed, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    zone_id = json_string_value(json_object_get(body, "zone_id"));
    if (zone_id && (configured_peer(sc, zone_id) || (sc->zone_id && !strcmp(zone_id, sc->zone_id)))) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "peer.configured", "/zone_id",
                    "%s is %s: it cannot be registered", zone_id,
                    configured_peer(sc, zone_id) ? "a MezPeer of this zone's configuration" : "this zone itself");
        return mez_send_problem(r, &pb, NULL);
    }
    mez_request_audit_event(r, "peer.register", "peer", zone_id ? zone_id : "", "committed",
                            json_pack("{s:O, s:O}", "url", json_object_get(body, "url") ? json_object_get(body, "url")
                                                                                          : json_null(),
                                      "did", json_object_get(body, "did") ? json_object_get(body, "did")
                                                                          : json_null()), &ev);
    if (mez_peer_register(r->pool, db, zone_id, json_string_value(json_object_get(body, "url")),
                          json_string_value(json_object_get(body, "did")), mez_request_actor(r), apr_time_now(), &ev,
                          &repeated, &pb) != MEZ_OK
        || mez_peer_get(r->pool, db, zone_id, &row, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if (!repeated)
        apr_table_setn(r->headers_out, "Location", apr_pstrcat(r->pool, "/v1/peers/", zone_id, NULL));
    return mez_send_json(r, repeated ? 200 : 201, peer_json(row.zone_id, row.url, row.did, "registered",
                                                            row.created_at, row.revoked_at));
}

static int peers_revoke(request_rec *r, const mez_srv_conf_t *sc, mez_db_t *db, const char *zone_id)
{
    mez_audit_event_t ev;
    mez_problem_t pb = { 0 };
    mez_peer_row_t row;
    int found = 0;
    if (configured_peer(sc, zone_id)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 409, "peer.configured", NULL,
                    "%s is a MezPeer of this zone's configuration: remove the directive and reload httpd", zone_id);
        return mez_send_problem(r, &pb, NULL);
    }
    mez_request_audit_event(r, "peer.revoke", "peer", zone_id, "committed", NULL, &ev);
    if (mez_peer_revoke(r->pool, db, zone_id, apr_time_now(), &ev, &pb) != MEZ_OK
        || mez_peer_get(r->pool, db, zone_id, &row, &found, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    return mez_send_json(r, 200, peer_json(row.zone_id, row.url, row.did, "registered", row.created_at,
                                           row.revoked_at));
}

/* GET /v1/peers/refusals[?peer=&limit=]: the refusal records of peers' signed requests refused after their signature
 * verified (replays, another zone's authority), the most recently refused first: each signature once, with how
 * many times it came; its first refusal is the audit row that request_id names. */
static int peers_refusals(request_rec *r, mez_db_t *db)
{
    static const char *const params[] = { "peer", "limit", NULL };
    mez_problem_t pb = { 0 };
    apr_array_header_t *list;
    apr_table_t *q;
    apr_int64_t limit;
    const char *peer;
    json_t *arr;

    if (mez_read_query(r, params, &q, &pb) != MEZ_OK
        || mez_query_int(r, q, "limit", 1, 1000, 100, &limit, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    if ((peer = apr_table_get(q, "peer")) && !*peer) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 400, "request.invalid_parameter", "/peer", "peer must not be empty");
        return mez_send_problem(r, &pb, NULL);
    }
    if (mez_peer_refusal_list(r->pool, db, peer, (int)limit, &list, &pb) != MEZ_OK)
        return mez_send_problem(r, &pb, NULL);
    arr = json_array();
    for (int i = 0; i < list->nelts; i++)
        json_array_append_new(arr, mez_peer_refusal_json(&APR_ARRAY_IDX(list, i, mez_peer_refusal_t)));
    return mez_send_json(r, 200, json_pack("{s:o}", "refusals", arr));
}

int mez_peers_serve(request_rec *r, mez_srv_conf_t *sc)
{
    mez_problem_t pb = { 0 };
    const char *cap[1];
    mez_db_t *db;
    if (!(db = mez_request_db_or_problem(r, NULL, &pb)))
        return mez_send_problem(r, &pb, NULL);
    if (!strcmp(r->uri, "/v1/peers")) {
        if (r->method_number == M_GET)
            return peers_list(r, sc, db);
        if (r->method_number == M_POST)
            return peers_register(r, sc, db);
        return mez_send_method_not_allowed(r, "GET, POST");
    }
    if (!strcmp(r->uri, "/v1/peers/refusals")) {
        if (r->method_number == M_GET)
            return peers_refusals(r, db);
        return mez_send_method_not_allowed(r, "GET");
    }
    if (mez_mass_path_match(r->pool, r->uri, "/v1/peers/*/revoke", cap, 1)) {
        if (r->method_number == M_POST)
            return peers_revoke(r, sc, db, cap[0]);
        return mez_send_method_not_allowed(r, "POST");
    }
    mez_problem(&pb, r->pool, MEZ_EINVAL, 404, "request.not_found", NULL, "there is no resource at %s", r->uri);
    return mez_send_problem(r, &pb, NULL);
}
