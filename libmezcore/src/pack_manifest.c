/* pack_manifest.c: a pack's manifest (what it is, whose law, as of when, its digest and sources) and the same
 * manifest issued as a credential signed with the zone key, which is what a zone publishes about its packs. */
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"

mez_status_t mez_pack_manifest(apr_pool_t *p, const mez_pack_t *pack, json_t **out, mez_problem_t *pb)
{
    json_t *m = mez_json_pool_own(p, json_object());
    const json_t *sources = json_object_get(pack->model, "sources");
    /* The pack is named by its digest, so the manifest's id is that digest as a URN (a credential subject id
     * must be a URI); the pack's own short id is pack_id. */
    json_object_set_new(m, "id", json_string(apr_pstrcat(p, "urn:mez:pack:", mez_pack_digest_string(p, pack),
                                                         NULL)));
    json_object_set_new(m, "type", json_string(mez_pack_kind_name(pack->kind)));
    json_object_set_new(m, "format", json_string(pack->format));
    json_object_set_new(m, "pack_id", json_string(pack->id));
    json_object_set_new(m, "jurisdiction_id", json_string(pack->jurisdiction_id));
    json_object_set_new(m, "domain", json_string(pack->domain));
    json_object_set_new(m, "title", json_string(pack->title));
    json_object_set_new(m, "as_of_date", json_string(pack->as_of_date));
    json_object_set_new(m, "digest", json_string(mez_pack_digest_string(p, pack)));
    /* A deep copy: loaded packs are shared read-only between threads, and a caller may edit its manifest. */
    json_object_set_new(m, "sources", sources ? json_deep_copy(sources) : json_array());
    *out = m;
    return MEZ_OK;
}

mez_status_t mez_pack_manifest_credential(apr_pool_t *p, const mez_pack_t *pack, const mez_key_t *key,
                                          const char *issuer_id, const mez_vc_proof_options_t *opts, json_t **vc,
                                          mez_problem_t *pb)
{
    json_t *manifest, *cred, *ctx, *type;
    mez_status_t rv;

    if ((rv = mez_pack_manifest(p, pack, &manifest, pb)) != MEZ_OK)
        return rv;
    cred = mez_json_pool_own(p, json_object());
    ctx = json_array();
    json_array_append_new(ctx, json_string(MEZ_VC_CONTEXT_V2));
    type = json_array();
    json_array_append_new(type, json_string("VerifiableCredential"));
    json_array_append_new(type, json_string(MEZ_PACK_MANIFEST_TYPE));
    json_object_set_new(cred, "@context", ctx);
    json_object_set_new(cred, "type", type);
    json_object_set(cred, "credentialSubject", manifest);
    return mez_vc_issue(p, cred, key, issuer_id, opts, vc, pb);
}
