/* cas_bundle.c: witness bundles, a verified closure in one JSON file, so another machine (a watcher, a peer,
 * an auditor) can check and import it; an import checks everything before it writes anything. */
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/yaml.h"

static json_t *ref_json(apr_pool_t *p, const char *type, const mez_digest_t *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "digest", json_string(mez_digest_format(p, d)));
    return o;
}

mez_status_t mez_bundle_build(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *root,
                              const char **bytes, size_t *len, mez_problem_t *pb)
{
    apr_array_header_t *closure;
    json_t *bundle, *artifacts;
    mez_status_t rv;

    /* Only a closure that verifies here is worth carrying elsewhere. */
    if ((rv = mez_cas_verify_closure(p, cas, type, root, &closure, pb)) != MEZ_OK)
        return rv;
    bundle = mez_json_pool_own(p, json_object());
    artifacts = json_array();
    json_object_set_new(bundle, "format", json_string(MEZ_BUNDLE_FORMAT));
    json_object_set_new(bundle, "root", ref_json(p, type, root));
    json_object_set_new(bundle, "artifacts", artifacts);
    for (int i = 0; i < closure->nelts; i++) {
        const mez_cas_ref_t *r = &APR_ARRAY_IDX(closure, i, mez_cas_ref_t);
        const char *data;
        size_t n;
        json_t *a;
        if ((rv = mez_cas_get(p, cas, r->type, &r->digest, &data, &n, pb)) != MEZ_OK)
            return rv;
        a = ref_json(p, r->type, &r->digest);
        json_object_set_new(a, "content_base64", json_string(mez_pack_base64_encode(p, data, n)));
        json_array_append_new(artifacts, a);
    }
    return mez_json_canonicalize(p, bundle, bytes, len, pb);
}

mez_status_t mez_bundle_export(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *root,
                               const char *out_path, mez_problem_t *pb)
{
    const char *bytes;
    size_t len;
    mez_status_t rv = mez_bundle_build(p, cas, type, root, &bytes, &len, pb);
    if (rv != MEZ_OK)
        return rv;
    return mez_cas_write_file_atomic(p, out_path, bytes, len, 0644, pb);
}

/* ------------------------------------------------------------------ import */

typedef struct entry_t {
    mez_cas_ref_t ref;
    const unsigned char *data;
    size_t len;
    apr_array_header_t *refs;     /* mez_cas_ref_t */
    const char *pointer;          /* /artifacts/<i> */
    int reached;
} entry_t;

static mez_status_t invalid(apr_pool_t *p, mez_problem_t *pb, const char *pointer, const char *why)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.invalid", pointer, "not a %s bundle: %s", MEZ_BUNDLE_FORMAT,
                       why);
}

/* {type, digest} with exactly the members listed in allowed (NULL-terminated). */
static mez_status_t parse_ref(apr_pool_t *p, const json_t *o, const char *ptr, const char *const *allowed,
                              mez_cas_ref_t *out, mez_problem_t *pb)
{
    const char *key;
    json_t *val;
    /* mez_json_text: a NUL would end the C text early, so "lawpack\u0000x" would pass for lawpack. */
    const char *type = mez_json_text(json_object_get(o, "type"));
    if (!json_is_object(o))
        return invalid(p, pb, ptr, "expected an object");
    json_object_foreach((json_t *)o, key, val) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key))
            a++;
        if (!*a)
            return invalid(p, pb, mez_pointer_join(p, ptr, key), apr_psprintf(p, "unknown member '%s'", key));
    }
    if (!mez_cas_type_ok(type))
        return invalid(p, pb, mez_pointer_join(p, ptr, "type"), "type must be an artifact type");
    if (mez_digest_parse_json(p, json_object_get(o, "digest"), &out->digest, NULL) != MEZ_OK)
        return invalid(p, pb, mez_pointer_join(p, ptr, "digest"), "digest must be sha256:<64 lowercase hex>");
    out->type = apr_pstrdup(p, type);
    return MEZ_OK;
}

static const char *key_of(apr_pool_t *p, const mez_cas_ref_t *r)
{
    return apr_pstrcat(p, r->type, "/", mez_digest_hex(p, &r->digest), NULL);
}

mez_status_t mez_bundle_import(apr_pool_t *p, mez_cas_t *cas, const void *bytes, size_t len, mez_cas_ref_t *root_out,
                               int *count, mez_problem_t *pb)
{
    static const char *const top_members[] = { "format", "root", "artifacts", NULL };
    static const char *const root_members[] = { "type", "digest", NULL };
    static const char *const artifact_members[] = { "type", "digest", "content_base64", NULL };
    json_t *doc, *list, *item;
    const char *key, *fmt;
    json_t *val;
    apr_hash_t *byname = apr_hash_make(p);
    apr_array_header_t *entries, *queue;
    mez_cas_ref_t root;
    entry_t *re;
    size_t i;
    mez_status_t rv;

    if (count)
        *count = 0;
    if ((rv = mez_json_parse(p, bytes, len, &doc, pb)) != MEZ_OK)
        return invalid(p, pb, "", pb && pb->detail ? pb->detail : "not JSON");
    if (!json_is_object(doc))
        return invalid(p, pb, "", "expected an object");
    json_object_foreach(doc, key, val) {
        const char *const *a = top_members;
        while (*a && strcmp(*a, key))
            a++;
        if (!*a)
            return invalid(p, pb, mez_pointer_join(p, "", key), apr_psprintf(p, "unknown member '%s'", key));
    }
    fmt = json_string_value(json_object_get(doc, "format"));
    if (!fmt || strcmp(fmt, MEZ_BUNDLE_FORMAT))
        return invalid(p, pb, "/format", "format must be \"" MEZ_BUNDLE_FORMAT "\"");
    if ((rv = parse_ref(p, json_object_get(doc, "root"), "/root", root_members, &root, pb)) != MEZ_OK)
        return rv;
    if (!json_is_array(list = json_object_get(doc, "artifacts")) || json_array_size(list) == 0)
        return invalid(p, pb, "/artifacts", "artifacts must be a non-empty list");

    /* 1. Every artifact decodes, hashes to its name, is there once, and has well-formed references. */
    entries = apr_array_make(p, (int)json_array_size(list), sizeof(entry_t));
    json_array_foreach(list, i, item) {
        const char *ptr = mez_pointer_index(p, "/artifacts", i);
        const json_t *b64 = json_object_get(item, "content_base64");
        entry_t *e = apr_array_push(entries);
        unsigned char *data;
        mez_digest_t actual;
        mez_problem_t inner = { 0 };
        memset(e, 0, sizeof(*e));
        e->pointer = ptr;
        if ((rv = parse_ref(p, item, ptr, artifact_members, &e->ref, pb)) != MEZ_OK)
            return rv;
        if (!json_is_string(b64)
            || mez_pack_base64_decode(p, json_string_value(b64), json_string_length(b64), &data, &e->len))
            return invalid(p, pb, mez_pointer_join(p, ptr, "content_base64"), "content_base64 is not base64");
        e->data = data;
        if (apr_hash_get(byname, key_of(p, &e->ref), APR_HASH_KEY_STRING))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.duplicate", ptr, "%s/%s appears twice", e->ref.type,
                               mez_digest_format(p, &e->ref.digest));
        apr_hash_set(byname, key_of(p, &e->ref), APR_HASH_KEY_STRING, e);
        if (mez_cas_digest(p, e->ref.type, e->data, e->len, &actual, &inner) != MEZ_OK
            || !mez_digest_equal(&actual, &e->ref.digest))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.digest_mismatch", ptr,
                               "the content of %s/%s does not have that digest%s%s", e->ref.type,
                               mez_digest_format(p, &e->ref.digest), inner.detail ? ": " : "",
                               inner.detail ? inner.detail : "");
        if (mez_cas_references(p, e->data, e->len, &e->refs, &inner) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.invalid", ptr, "%s/%s: %s", e->ref.type,
                               mez_digest_format(p, &e->ref.digest), inner.detail);
    }

    /* 2. The bundle is exactly the closure of its root: every reference resolves inside it, nothing extra. */
    re = apr_hash_get(byname, key_of(p, &root), APR_HASH_KEY_STRING);
    if (!re)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.missing_reference", "/root",
                           "the root %s/%s is not among the artifacts", root.type, mez_digest_format(p, &root.digest));
    queue = apr_array_make(p, entries->nelts, sizeof(entry_t *));
    re->reached = 1;
    *(entry_t **)apr_array_push(queue) = re;
    for (int k = 0; k < queue->nelts; k++) {
        entry_t *e = APR_ARRAY_IDX(queue, k, entry_t *);
        for (int j = 0; j < e->refs->nelts; j++) {
            const mez_cas_ref_t *r = &APR_ARRAY_IDX(e->refs, j, mez_cas_ref_t);
            entry_t *t = apr_hash_get(byname, key_of(p, r), APR_HASH_KEY_STRING);
            if (!t)
                return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.missing_reference", e->pointer,
                                   "%s/%s references %s/%s, which the bundle does not hold", e->ref.type,
                                   mez_digest_format(p, &e->ref.digest), r->type, mez_digest_format(p, &r->digest));
            if (!t->reached) {
                t->reached = 1;
                *(entry_t **)apr_array_push(queue) = t;
            }
        }
    }
    for (int k = 0; k < entries->nelts; k++) {
        const entry_t *e = &APR_ARRAY_IDX(entries, k, entry_t);
        if (!e->reached)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "bundle.unreachable", e->pointer,
                               "%s/%s is not reachable from the root", e->ref.type,
                               mez_digest_format(p, &e->ref.digest));
    }

    /* 3. Only now write. Each put is atomic and content-addressed, so an I/O failure part way leaves only
     * valid artifacts behind, never a partial file. */
    for (int k = 0; k < entries->nelts; k++) {
        const entry_t *e = &APR_ARRAY_IDX(entries, k, entry_t);
        if ((rv = mez_cas_put(p, cas, e->ref.type, e->data, e->len, &e->ref.digest, NULL, pb)) != MEZ_OK)
            return rv;
    }
    if (root_out)
        *root_out = root;
    if (count)
        *count = entries->nelts;
    return MEZ_OK;
}

mez_status_t mez_bundle_import_file(apr_pool_t *p, mez_cas_t *cas, const char *path, mez_cas_ref_t *root_out,
                                    int *count, mez_problem_t *pb)
{
    char *buf;
    size_t len;
    /* base64 adds a third; a bundle may carry a few maximal artifacts. */
    mez_status_t rv = mez_yaml_read_file(p, path, (size_t)MEZ_CAS_MAX_ARTIFACT * 2, &buf, &len, pb);
    if (rv != MEZ_OK)
        return rv;
    return mez_bundle_import(p, cas, buf, len, root_out, count, pb);
}
