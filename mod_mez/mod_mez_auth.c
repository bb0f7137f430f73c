/* mod_mez_auth.c: `AuthType mez` (bearer API tokens, checked in check_authn against the zone's database through
 * mod_dbd) and the authz provider `Require mez-role ROLE...`, both usable in ordinary httpd configuration.
 * With `MezClientCertAuth on`, a request without an Authorization header may instead present a client
 * certificate that mod_ssl verified and `mez cert map` mapped (mod_mez_clientcert.c); either way the principal
 * ends up the same: r->user (token id or certificate mapping id), notes mez-role, mez-entity and mez-auth
 * ("token" or "certificate"), so every Require works unchanged. A request without an Authorization header that
 * carries RFC 9421 Signature-Input/Signature is a zone-to-zone request of a MezPeer (mod_mez_peer.c): r->user
 * "peer:<zone-id>", notes mez-role "peer", mez-peer, mez-auth "signature"; `Require mez-peer [zone-id...]`.
 *
 * Refusals are problem+json. httpd renders 401/403 itself (ap_die -> ap_send_error_response, HTML), and the
 * 403 for a wrong role is not even ours to choose: mod_authz_core answers 401 to any denial after
 * authentication. So the refusing code records its problem in the request's module config and returns the
 * status; an error filter, added only to error responses of requests that carry such a problem, replaces
 * httpd's HTML with the problem and its status. This needs no ErrorDocument in the operator's configuration
 * and keeps the handler unaware of authentication. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "ap_provider.h"
#include "mod_auth.h"
#include "mez/clientcert.h"
#include "mez/json.h"
#include "mez/token.h"
#include "mod_mez.h"

APLOG_USE_MODULE(mez);

#define AUTH_TYPE "mez"
#define PROBLEM_FILTER "MEZ_AUTH_PROBLEM"

/* Remembers pb for the error filter and answers its status. A Require's refusal is only a candidate: in a
 * <RequireAny> a later provider may still grant (an entity token refused by `Require mez-role operator` and
 * admitted by `Require mez-entity-owner`). So nothing is logged or noted here; insert_error_filter() does both when
 * the refusal is what the client gets, and fixups() forgets a refusal that authorisation overruled. Otherwise a
 * granted request would show in the audit log and in mez_problems_total as refused. */
static int refuse(request_rec *r, const mez_problem_t *pb)
{
    mez_problem_t *keep = apr_pmemdup(r->pool, pb, sizeof(*pb));
    ap_set_module_config(r->request_config, &mez_module, keep);
    if (keep->status == HTTP_UNAUTHORIZED) {
        /* RFC 6750 §3: say which scheme is wanted and, for a presented token, why it was refused. A refused
         * client certificate is no invalid token: the client is only told that a token would do. */
        const char *zone = mez_srv_conf(r->server)->zone_id ? mez_srv_conf(r->server)->zone_id
                                                             : mez_srv_conf(r->server)->admin_id;
        int token_refused = strcmp(keep->code, "auth.missing_token") && !strstr(keep->code, "certificate") &&
                            strncmp(keep->code, "httpsig.", 8) && strncmp(keep->code, "digest.", 7);
        const char *v = apr_psprintf(r->pool, "Bearer realm=\"%s\"%s", zone ? zone : "mez",
                                     token_refused ? ", error=\"invalid_token\"" : "");
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", v);
    }
    return keep->status;
}

/* The principal a token or a certificate mapping names, where Require and the zone API look for it. */
/* The principal becomes r->user, its role and scope notes; holder and expires_at (may be NULL) are what GET
 * /v1/whoami tells the caller about itself. */
static int admit(request_rec *r, const char *id, const char *role, const char *entity_id, const char *how,
                 const char *holder, const char *expires_at, const char *mass_zone)
{
    r->user = apr_pstrdup(r->pool, id);
    r->ap_auth_type = (char *)AUTH_TYPE;
    apr_table_setn(r->notes, "mez-role", role);
    if (entity_id)
        apr_table_setn(r->notes, "mez-entity", entity_id);
    apr_table_setn(r->notes, "mez-auth", how);
    if (holder)
        apr_table_setn(r->notes, "mez-holder", holder);
    if (expires_at)
        apr_table_setn(r->notes, "mez-expires", expires_at);
    if (mass_zone)
        apr_table_setn(r->notes, "mez-mass-zone", mass_zone);
    return OK;
}

const char *mez_request_mass_zone(const request_rec *r)
{
    return apr_table_get(r->notes, "mez-mass-zone");
}

static int check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *hdr, *token, *realm;
    mez_srv_conf_t *sc;
    mez_problem_t pb = { 0 };
    mez_token_info_t *info;
    mez_db_t *db;

    if (!type || strcasecmp(type, AUTH_TYPE))
        return DECLINED;
    sc = mez_srv_conf(r->server);
    /* Tokens belong to a zone, or to the admin host (MezAdminId, mod_mez_admin.c), which is no zone. */
    realm = sc->zone_id ? sc->zone_id : sc->admin_id;
    if (!realm) {
        mez_problem(&pb, r->pool, MEZ_EINTERNAL, 500, "auth.no_zone", NULL,
                    "AuthType mez is used where no MezZone (or MezAdminId) is configured");
        return refuse(r, &pb);
    }
    hdr = apr_table_get(r->headers_in, "Authorization");
    /* A bearer token, when present, decides alone, even on a connection with a valid client certificate: the
     * token is what the client chose to present for this request (a gateway holding a machine certificate
     * relays an entity's token to act with that entity's narrower scope), and a refused token must stay
     * refused rather than fall back silently to the connection's principal. */
    /* A zone-to-zone request signed per RFC 9421 by a MezPeer (mod_mez_peer.c); a bearer token still wins. */
    /* Peers and certificate mappings belong to zones: the admin host (no MezZone) takes tokens only. */
    if ((!hdr || !*hdr) && sc->zone_id && mez_peer_signed(r)) {
        const mez_peer_t *peer;
        if (mez_peer_authenticate(r, sc, &peer, &pb) != MEZ_OK)
            return refuse(r, &pb);
        apr_table_setn(r->notes, "mez-peer", peer->zone_id);
        return admit(r, apr_pstrcat(r->pool, "peer:", peer->zone_id, NULL), "peer", NULL, "signature", NULL, NULL,
                     NULL);
    }
    if ((!hdr || !*hdr) && sc->zone_id && sc->client_cert_auth == 1) {
        const mez_cert_map_t *m;
        if (mez_request_client_cert(r, sc, &m, &pb) != MEZ_OK)
            return refuse(r, &pb);
        return admit(r, m->id, m->role, m->entity_id, "certificate", m->holder, m->expires_at, NULL);
    }
    if (!hdr || !*hdr) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 401, "auth.missing_token", NULL,
                    "this route needs an Authorization: Bearer token");
        return refuse(r, &pb);
    }
    if (strncasecmp(hdr, "Bearer ", 7)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 401, "auth.invalid_token", NULL,
                    "the Authorization header is not a Bearer token");
        return refuse(r, &pb);
    }
    for (token = hdr + 7; *token == ' '; token++)
        ;
    if (!(db = mez_request_db_or_problem(r, "to check the token", &pb)))
        return refuse(r, &pb);
    if (mez_token_lookup(r->pool, db, realm, token, &info, &pb) != MEZ_OK)
        return refuse(r, &pb);
    return admit(r, info->id, info->role, info->entity_id, "token", info->holder, info->expires_at,
                 info->mass_zone_id);
}

/* authz_core also calls this when a Require denies an authenticated user; answer as RFC 6750 asks. */
static int note_auth_failure(request_rec *r, const char *type)
{
    if (!type || strcasecmp(type, AUTH_TYPE))
        return DECLINED;
    if (!apr_table_get(r->err_headers_out, "WWW-Authenticate"))
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", "Bearer");
    return OK;
}

/* Role names are checked when the configuration is read, so a typo stops httpd instead of locking everyone out. */
static const char *role_parse(cmd_parms *cmd, const char *args, const void **parsed)
{
    const char *line = args, *w;
    int n = 0;
    while (*(w = ap_getword_conf(cmd->temp_pool, &line))) {
        if (!mez_token_role_valid(w))
            return apr_psprintf(cmd->pool, "Require mez-role: '%s' is not one of operator, regulator, entity, "
                                "watcher", w);
        n++;
    }
    if (!n)
        return "Require mez-role needs at least one role";
    *parsed = apr_pstrdup(cmd->pool, args);
    return NULL;
}

static authz_status role_check(request_rec *r, const char *require_args, const void *parsed)
{
    const char *line = parsed ? parsed : require_args, *role, *w;
    mez_problem_t pb = { 0 };
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    /* Only a user that AuthType mez authenticated has a role; anyone else (Basic, ...) simply has none. */
    if (!(role = apr_table_get(r->notes, "mez-role")))
        return AUTHZ_DENIED;
    while (*(w = ap_getword_conf(r->pool, &line)))
        if (!strcmp(w, role))
            return AUTHZ_GRANTED;
    mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.forbidden_role", NULL,
                "role %s may not use this route (allowed: %s)", role, parsed ? (const char *)parsed : require_args);
    refuse(r, &pb);
    return AUTHZ_DENIED;
}

static const authz_provider role_provider = { role_check, role_parse };

/* The entity a path names: the segment after /v1/entities/, /v1/ownership/ or /v1/fiscal/ (an entity's tax events,
 * what it has paid a payee) when it is an entity id, so that an entity token asking for another entity's is refused
 * before anything is read (after the read, an unknown id would answer 404 where a known one answered 403). Other
 * routes name their entity in the body (a payment's source account) or in the record (a licence): the zone API
 * checks those itself against the same token scope (mod_mez_orchestrate.c, orchestrate.c). */
static const char *path_entity(request_rec *r)
{
    static const char *const prefixes[] = { "/v1/entities/", "/v1/ownership/", "/v1/fiscal/", NULL };
    for (const char *const *p = prefixes; *p; p++) {
        size_t n = strlen(*p);
        if (!strncmp(r->uri, *p, n) && !strncmp(r->uri + n, "ent_", 4)) {
            const char *end = strchr(r->uri + n, '/');
            return end ? apr_pstrndup(r->pool, r->uri + n, (apr_size_t)(end - r->uri - n)) : r->uri + n;
        }
    }
    return NULL;
}

/* Require mez-entity-owner: an entity token, acting on its own entity. */
static authz_status owner_check(request_rec *r, const char *require_args, const void *parsed)
{
    const char *role = apr_table_get(r->notes, "mez-role"), *ent = apr_table_get(r->notes, "mez-entity"), *pe;
    mez_problem_t pb = { 0 };
    (void)require_args;
    (void)parsed;
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    if (!role || strcmp(role, "entity") || !ent) {
        /* Not an entity token: another Require in the same block (a role) may still grant. */
        if (!ap_get_module_config(r->request_config, &mez_module)) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.forbidden_role", NULL,
                        "role %s may not use this route", role ? role : "(none)");
            refuse(r, &pb);
        }
        return AUTHZ_DENIED;
    }
    if ((pe = path_entity(r)) && strcmp(pe, ent)) {
        mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_entity_owner", NULL,
                    "this caller (its token or certificate) acts for entity %s only, not %s", ent, pe);
        refuse(r, &pb);
        return AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

static const authz_provider owner_provider = { owner_check, NULL };

/* Require mez-peer [zone-id...]: a request a MezPeer signed (mod_mez_peer.c); with zone ids, one of those peers. */
static authz_status peer_check(request_rec *r, const char *require_args, const void *parsed)
{
    const char *peer = apr_table_get(r->notes, "mez-peer"), *line = require_args, *w;
    mez_problem_t pb = { 0 };
    int named = 0;
    (void)parsed;
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    if (!peer) {
        /* Not a peer: another Require in the same block may still grant. */
        if (!ap_get_module_config(r->request_config, &mez_module)) {
            mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.not_peer", NULL,
                        "this route is for the zone's peers (an RFC 9421 signed request)");
            refuse(r, &pb);
        }
        return AUTHZ_DENIED;
    }
    while (*(w = ap_getword_conf(r->pool, &line))) {
        named = 1;
        if (!strcmp(w, peer))
            return AUTHZ_GRANTED;
    }
    if (!named)
        return AUTHZ_GRANTED;
    mez_problem(&pb, r->pool, MEZ_EINVAL, 403, "auth.forbidden_peer", NULL,
                "peer %s may not use this route (allowed: %s)", peer, require_args);
    refuse(r, &pb);
    return AUTHZ_DENIED;
}

static const authz_provider peer_provider = { peer_check, NULL };

/* Authentication and authorisation passed: a refusal recorded on the way was overruled by another Require. */
static int forget_overruled_refusal(request_rec *r)
{
    ap_set_module_config(r->request_config, &mez_module, NULL);
    return DECLINED;
}

static void insert_error_filter(request_rec *r)
{
    const mez_problem_t *pb = ap_get_module_config(r->request_config, &mez_module);
    /* A 403 problem arrives as 401: authz_core's answer to any denial after authentication (see top). A problem
     * whose status matches nothing here belongs to a refusal that did not decide the answer: leave it be. */
    if (pb && (r->status == pb->status || (pb->status == HTTP_FORBIDDEN && r->status == HTTP_UNAUTHORIZED))) {
        /* The refusal is the answer: now it is the request's problem (mez_audit log format, mez_problems_total). */
        apr_table_setn(r->notes, "mez-problem", pb->code ? pb->code : "internal");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "refused (%s): %s", pb->code, pb->detail);
        ap_add_output_filter(PROBLEM_FILTER, (void *)pb, r, r->connection);
    }
}

/* Replaces httpd's HTML error page by the problem. Status and headers are set on the first call, before anything
 * reaches the HTTP header filter; httpd's body is dropped and the problem is put in front of EOS. */
static apr_status_t problem_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const mez_problem_t *pb = f->ctx;
    apr_bucket *b, *next;

    if (pb->status != r->status) {
        r->status = pb->status;
        r->status_line = NULL;
        if (pb->status != HTTP_UNAUTHORIZED)
            apr_table_unset(r->headers_out, "WWW-Authenticate");
    }
    ap_set_content_type(r, "application/problem+json");
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = next) {
        next = APR_BUCKET_NEXT(b);
        if (APR_BUCKET_IS_EOS(b)) {
            json_t *doc = mez_json_pool_own(r->pool, mez_problem_to_json(pb));
            const char *text = apr_pstrcat(r->pool, mez_json_dump(r->pool, doc, 0), "\n", NULL);
            APR_BUCKET_INSERT_BEFORE(b, apr_bucket_pool_create(text, strlen(text), r->pool,
                                                                 f->c->bucket_alloc));
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(b))
            apr_bucket_delete(b);
    }
    if (APR_BRIGADE_EMPTY(bb))
        return APR_SUCCESS;
    return ap_pass_brigade(f->next, bb);
}

void mez_auth_register_hooks(apr_pool_t *p)
{
    ap_hook_check_authn(check_authn, NULL, NULL, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "mez-role", AUTHZ_PROVIDER_VERSION, &role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "mez-entity-owner", AUTHZ_PROVIDER_VERSION, &owner_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "mez-peer", AUTHZ_PROVIDER_VERSION, &peer_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(forget_overruled_refusal, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(insert_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(PROBLEM_FILTER, problem_filter, NULL, AP_FTYPE_CONTENT_SET);
    mez_clientcert_register_hooks(p);
    mez_peer_register_hooks(p);
}
