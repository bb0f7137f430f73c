/* zone_lock.c: stack.lock, the list of every digest a zone runs on, written by `mez lock` and compared with what
 * the files hold now whenever a zone is checked or started, naming each artifact that differs. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/json.h"
#include "zone_int.h"

/* A lock larger than this is not one mez wrote (a zone has tens of packs, each entry ~200 bytes). */
#define LOCK_MAX_BYTES (4 * 1024 * 1024)

/* ------------------------------------------------------------------ building */

static int artifact_order(const void *a, const void *b)
{
    const mez_zone_pack_t *x = *(const mez_zone_pack_t *const *)a, *y = *(const mez_zone_pack_t *const *)b;
    int c = strcmp(mez_pack_kind_name(x->kind), mez_pack_kind_name(y->kind));
    return c ? c : strcmp(x->path, y->path);
}

/* The zone's packs in the lock's order: by type name, then path. */
static const mez_zone_pack_t **sorted_packs(apr_pool_t *p, const mez_zone_t *zone)
{
    int n = zone->packs->nelts;
    const mez_zone_pack_t **v = apr_pcalloc(p, sizeof(*v) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        v[i] = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
    qsort(v, (size_t)n, sizeof(*v), artifact_order);
    return v;
}

static mez_status_t need_loaded(apr_pool_t *p, const mez_zone_t *zone, mez_problem_t *pb)
{
    if (!zone->profile)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "zone.not_loaded", NULL,
                           "zone %s was parsed but not loaded: its profile and packs are unknown", zone->zone_id);
    for (int i = 0; i < zone->packs->nelts; i++)
        if (!APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).pack)
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "zone.not_loaded", NULL,
                               "zone %s: %s is not loaded", zone->zone_id,
                               APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t).path);
    return MEZ_OK;
}

mez_status_t mez_zone_lock_build(apr_pool_t *p, const mez_zone_t *zone, json_t **out, mez_problem_t *pb)
{
    const mez_zone_pack_t **packs;
    json_t *lock, *artifacts;
    mez_status_t rv;

    *out = NULL;
    if ((rv = need_loaded(p, zone, pb)) != MEZ_OK)
        return rv;
    packs = sorted_packs(p, zone);
    artifacts = json_array();
    for (int i = 0; packs[i]; i++) {
        const mez_pack_t *pk = packs[i]->pack;
        json_array_append_new(artifacts, json_pack("{s:s,s:s,s:s,s:s}", "type", mez_pack_kind_name(pk->kind),
                                                   "id", pk->id, "path", packs[i]->path,
                                                   "digest", mez_pack_digest_string(p, pk)));
    }
    lock = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:o}", "format", MEZ_LOCK_FORMAT, "zone_id", zone->zone_id,
                     "zone_manifest", mez_digest_format(p, &zone->manifest_digest), "profile", "id",
                     zone->profile->id, "digest", mez_digest_format(p, &zone->profile->digest), "artifacts",
                     artifacts);
    if (!lock)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "internal.memory", NULL, "cannot build the lock");
    *out = mez_json_pool_own(p, lock);
    return MEZ_OK;
}

mez_status_t mez_zone_lock_write(apr_pool_t *p, const mez_zone_t *zone, const char *path, mez_digest_t *digest,
                                 mez_problem_t *pb)
{
    json_t *lock;
    const char *bytes;
    size_t len;
    mez_status_t rv;

    if ((rv = mez_zone_lock_build(p, zone, &lock, pb)) != MEZ_OK
        || (rv = mez_json_canonicalize(p, lock, &bytes, &len, pb)) != MEZ_OK)
        return rv;
    /* Exactly the canonical bytes (no trailing newline), so the file's SHA-256 is the lock's digest. */
    if ((rv = mez_cas_write_file_atomic(p, path ? path : zone->lock_path, bytes, len, 0644, pb)) != MEZ_OK)
        return rv;
    if (digest)
        mez_digest_sha256(bytes, len, digest);
    return MEZ_OK;
}

/* ------------------------------------------------------------------ signed manifests */

/* The lock pins what the zone runs; the signed manifests are what it publishes about the same packs, so they sit
 * here beside it and name exactly the digests the lock pins. */
mez_status_t mez_zone_sign_manifests(apr_pool_t *p, mez_zone_t *zone, const mez_key_t *key, const char *issuer_id,
                                     const mez_vc_proof_options_t *opts, mez_problem_t *pb)
{
    mez_status_t rv;

    if ((rv = need_loaded(p, zone, pb)) != MEZ_OK)
        return rv;
    for (int i = 0; i < zone->packs->nelts; i++) {
        mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        json_t *vc, *artifact;
        const char *bytes;
        size_t len;
        if ((rv = mez_pack_manifest_credential(p, zp->pack, key, issuer_id, opts, &vc, pb)) != MEZ_OK)
            return rv;
        /* The references tie the manifest to the pack in the CAS: its closure holds only when the pack is there
         * and intact. */
        artifact = json_pack("{s:s,s:O,s:[{s:s,s:s}]}", "format", MEZ_ZONE_MANIFEST_FORMAT, "credential", vc,
                             "references", "type", mez_pack_kind_name(zp->pack->kind), "digest",
                             mez_pack_digest_string(p, zp->pack));
        if (!artifact)
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "internal.memory", NULL, "cannot build a manifest");
        mez_json_pool_own(p, artifact);
        if ((rv = mez_json_canonicalize(p, artifact, &bytes, &len, pb)) != MEZ_OK)
            return rv;
        zp->credential = vc;
        zp->manifest_bytes = bytes;
        zp->manifest_len = len;
        mez_digest_sha256(bytes, len, &zp->manifest_digest);
    }
    return MEZ_OK;
}

/* ------------------------------------------------------------------ reading */

typedef struct lock_ctx_t {
    apr_pool_t *p;
    const char *name;
    int failed;
    mez_problem_t first;
} lock_ctx_t;

static void invalid(lock_ctx_t *c, const char *ptr, const char *fmt, const char *arg)
{
    if (c->failed++)
        return;
    mez_problem(&c->first, c->p, MEZ_EINVAL, 422, "lock.invalid", ptr, "%s: %s (at %s)", c->name,
                apr_psprintf(c->p, fmt, arg), ptr && *ptr ? ptr : "/");
}

/* obj must hold exactly the members in keys (all required). */
static int exact_members(lock_ctx_t *c, const json_t *obj, const char *ptr, const char *what,
                         const char *const *keys)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj)) {
        invalid(c, ptr, "%s must be an object", what);
        return 0;
    }
    json_object_foreach((json_t *)obj, key, v) {
        int known = 0;
        for (const char *const *k = keys; *k && !known; k++)
            known = !strcmp(*k, key);
        if (!known) {
            invalid(c, mez_pointer_join(c->p, ptr, key), "unknown member '%s'", key);
            return 0;
        }
    }
    for (const char *const *k = keys; *k; k++)
        if (!json_object_get(obj, *k)) {
            invalid(c, ptr, apr_pstrcat(c->p, what, " needs '%s'", NULL), *k);
            return 0;
        }
    return 1;
}

static const char *str(lock_ctx_t *c, const json_t *obj, const char *ptr, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        invalid(c, mez_pointer_join(c->p, ptr, name), "'%s' must be a non-empty string", name);
        return NULL;
    }
    /* JSON may spell a NUL (\u0000); read as a C string the value would stop there while the lock's digest
     * covers the whole of it. */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        invalid(c, mez_pointer_join(c->p, ptr, name), "'%s' holds a NUL character (\\u0000)", name);
        return NULL;
    }
    return json_string_value(v);
}

static int digest_member(lock_ctx_t *c, const json_t *obj, const char *ptr, const char *name, mez_digest_t *out)
{
    const char *s = str(c, obj, ptr, name);
    if (!s)
        return 0;
    if (mez_digest_parse(c->p, s, out, NULL) != MEZ_OK) {
        invalid(c, mez_pointer_join(c->p, ptr, name), "'%s' is not sha256:<64 lowercase hex digits>", s);
        return 0;
    }
    return 1;
}

mez_status_t mez_zone_lock_parse(apr_pool_t *p, const char *name, const char *buf, size_t len, mez_zone_lock_t **out,
                                 mez_problem_t *pb)
{
    static const char *const top[] = { "format", "zone_id", "zone_manifest", "profile", "artifacts", NULL };
    static const char *const prof[] = { "id", "digest", NULL };
    static const char *const art[] = { "type", "id", "path", "digest", NULL };
    lock_ctx_t c = { p, name ? name : "stack.lock", 0, { 0 } };
    mez_problem_t jp = { 0 };
    mez_zone_lock_t *lock;
    const json_t *root, *list, *item;
    const char *s;
    size_t i;
    mez_status_t rv;

    *out = NULL;
    if ((rv = mez_json_parse(p, buf, len, (json_t **)&root, &jp)) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "lock.invalid", jp.pointer, "%s: not a JSON lock: %s", c.name,
                           jp.detail ? jp.detail : "invalid JSON");
    lock = apr_pcalloc(p, sizeof(*lock));
    lock->name = c.name;
    lock->model = (json_t *)root;
    lock->artifacts = apr_array_make(p, 8, sizeof(mez_lock_artifact_t));
    if (!exact_members(&c, root, "", "a lock", top))
        goto done;
    if ((s = str(&c, root, "", "format")) && strcmp(s, MEZ_LOCK_FORMAT))
        invalid(&c, "/format", "format is '%s', expected '" MEZ_LOCK_FORMAT "'", s);
    if ((lock->zone_id = str(&c, root, "", "zone_id")) && !mez_zone_id_ok(lock->zone_id))
        invalid(&c, "/zone_id", "'%s' is not a zone id", lock->zone_id);
    digest_member(&c, root, "", "zone_manifest", &lock->zone_manifest);
    if (exact_members(&c, json_object_get(root, "profile"), "/profile", "'profile'", prof)) {
        const json_t *pr = json_object_get(root, "profile");
        lock->profile_id = str(&c, pr, "/profile", "id");
        digest_member(&c, pr, "/profile", "digest", &lock->profile_digest);
    }
    list = json_object_get(root, "artifacts");
    if (!json_is_array(list)) {
        invalid(&c, "/artifacts", "%s must be a list", "'artifacts'");
        goto done;
    }
    json_array_foreach(list, i, item) {
        const char *ip = mez_pointer_index(p, "/artifacts", i);
        mez_lock_artifact_t a = { 0 };
        if (!exact_members(&c, item, ip, "an artifact", art))
            continue;
        a.type = str(&c, item, ip, "type");
        a.id = str(&c, item, ip, "id");
        a.path = str(&c, item, ip, "path");
        if (!digest_member(&c, item, ip, "digest", &a.digest) || !a.type || !a.id || !a.path)
            continue;
        if (!mez_pack_kind_from_name(a.type)) {
            invalid(&c, mez_pointer_join(p, ip, "type"), "'%s' is not lawpack, regpack or licensepack", a.type);
            continue;
        }
        if (!mez_pack_path_ok(a.path)) {
            invalid(&c, mez_pointer_join(p, ip, "path"), "'%s' is not a relative path inside the zone", a.path);
            continue;
        }
        for (int j = 0; j < lock->artifacts->nelts; j++) {
            const mez_lock_artifact_t *o = &APR_ARRAY_IDX(lock->artifacts, j, mez_lock_artifact_t);
            if (!strcmp(o->type, a.type) && !strcmp(o->path, a.path))
                invalid(&c, ip, "%s is locked twice", a.path);
        }
        *(mez_lock_artifact_t *)apr_array_push(lock->artifacts) = a;
    }
done:
    if (c.failed) {
        if (pb)
            *pb = c.first;
        return MEZ_EINVAL;
    }
    if ((rv = mez_digest_json(p, root, &lock->digest, pb)) != MEZ_OK)
        return rv;
    *out = lock;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ comparing */

typedef struct cmp_ctx_t {
    apr_pool_t *p;
    const mez_zone_options_t *opts;
    const mez_zone_lock_t *lock;
    mez_problem_list_t problems;
} cmp_ctx_t;

static void differs(cmp_ctx_t *c, const char *code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void differs(cmp_ctx_t *c, const char *code, const char *ptr, const char *fmt, ...)
{
    mez_problem_t pr = { 0 };
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    mez_problem(&pr, c->p, MEZ_EINVAL, 422, code, ptr, "%s: %s", c->lock->name, msg);
    mez_problem_list_add(&c->problems, &pr);
}

static void digest_differs(cmp_ctx_t *c, const char *ptr, const char *what, const mez_digest_t *expected,
                           const mez_digest_t *actual)
{
    differs(c, "lock.digest_mismatch", ptr, "%s does not match the lock: expected %s, actual %s", what,
            mez_digest_format(c->p, expected), mez_digest_format(c->p, actual));
}

mez_status_t mez_zone_lock_compare(apr_pool_t *p, const mez_zone_t *zone, const mez_zone_lock_t *lock,
                                   const mez_zone_options_t *opts, mez_problem_t *pb)
{
    cmp_ctx_t c = { p, opts, lock, { 0 } };
    int n = lock->artifacts->nelts;
    char *matched = apr_pcalloc(p, (size_t)n + 1);
    mez_status_t rv;

    mez_problem_list_init(&c.problems, opts ? opts->problems : NULL, opts ? opts->max_problems : 0);
    if ((rv = need_loaded(p, zone, pb)) != MEZ_OK)
        return rv;
    if (strcmp(lock->zone_id, zone->zone_id))
        differs(&c, "lock.zone_mismatch", "/zone_id", "the lock is for zone '%s', %s is zone '%s'", lock->zone_id,
                zone->path, zone->zone_id);
    /* Artifacts first: a changed rate or act is the mismatch an operator most needs to see named. */
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const char *type = mez_pack_kind_name(zp->pack->kind);
        const char *what = apr_psprintf(p, "%s %s (%s)", type, zp->pack->id, zp->path);
        int found = -1;
        for (int j = 0; j < n && found < 0; j++) {
            const mez_lock_artifact_t *a = &APR_ARRAY_IDX(lock->artifacts, j, mez_lock_artifact_t);
            if (!matched[j] && !strcmp(a->type, type) && !strcmp(a->path, zp->path))
                found = j;
        }
        if (found < 0) {
            differs(&c, "lock.unlocked_artifact", "/artifacts",
                    "%s (digest %s) is not in the lock: run `mez lock` and review the change", what,
                    mez_pack_digest_string(p, zp->pack));
            continue;
        }
        matched[found] = 1;
        const mez_lock_artifact_t *a = &APR_ARRAY_IDX(lock->artifacts, found, mez_lock_artifact_t);
        const char *ap = mez_pointer_index(p, "/artifacts", (size_t)found);
        if (!mez_digest_equal(&a->digest, &zp->pack->digest))
            digest_differs(&c, mez_pointer_join(p, ap, "digest"), what, &a->digest, &zp->pack->digest);
        else if (strcmp(a->id, zp->pack->id))
            differs(&c, "lock.invalid", mez_pointer_join(p, ap, "id"), "%s is locked under id '%s'", what, a->id);
    }
    for (int j = 0; j < n; j++) {
        const mez_lock_artifact_t *a = &APR_ARRAY_IDX(lock->artifacts, j, mez_lock_artifact_t);
        if (!matched[j])
            differs(&c, "lock.stale_artifact", mez_pointer_index(p, "/artifacts", (size_t)j),
                    "%s %s (%s) is locked but the zone no longer uses it", a->type, a->id, a->path);
    }
    if (strcmp(lock->profile_id, zone->profile->id))
        differs(&c, "lock.profile_mismatch", "/profile/id", "the lock pins profile '%s', the zone runs '%s'",
                lock->profile_id, zone->profile->id);
    else if (!mez_digest_equal(&lock->profile_digest, &zone->profile->digest))
        digest_differs(&c, "/profile/digest", apr_psprintf(p, "profile %s (%s)", zone->profile->id,
                                                           zone->profile->path),
                       &lock->profile_digest, &zone->profile->digest);
    if (!mez_digest_equal(&lock->zone_manifest, &zone->manifest_digest))
        digest_differs(&c, "/zone_manifest", apr_psprintf(p, "zone manifest %s", zone->path), &lock->zone_manifest,
                       &zone->manifest_digest);
    return mez_problem_list_result(&c.problems, pb);
}

mez_status_t mez_zone_verify_lock(apr_pool_t *p, mez_zone_t *zone, const mez_zone_options_t *opts, mez_problem_t *pb)
{
    apr_finfo_t fi;
    char *buf;
    size_t len;
    mez_zone_lock_t *lock;
    mez_problem_t pr = { 0 };
    mez_status_t rv;

    if (apr_stat(&fi, zone->lock_path, APR_FINFO_TYPE, p) != APR_SUCCESS) {
        rv = mez_problem(&pr, p, MEZ_EINVAL, 422, "lock.missing", NULL,
                         "zone %s has no lock at %s: run `mez lock %s` and review what it pins", zone->zone_id,
                         zone->lock_path, zone->path);
        goto fail;
    }
    if ((rv = mez_yaml_read_file(p, zone->lock_path, LOCK_MAX_BYTES, &buf, &len, &pr)) != MEZ_OK
        || (rv = mez_zone_lock_parse(p, zone->lock_path, buf, len, &lock, &pr)) != MEZ_OK)
        goto fail;
    if ((rv = mez_zone_lock_compare(p, zone, lock, opts, pb)) != MEZ_OK)
        return rv;
    zone->lock_digest = lock->digest;
    zone->locked = 1;
    return MEZ_OK;
fail:
    mez_zone_note(opts, &pr);
    if (pb)
        *pb = pr;
    return rv;
}
