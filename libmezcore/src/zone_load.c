/* zone_load.c: a zone loaded whole: zone.yaml, its profile, every pack it names and the checks between them, so
 * that what is loaded at start-up is consistent before a single request is evaluated against it. */
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "zone_int.h"

#ifndef MEZ_PROFILE_DIR
#define MEZ_PROFILE_DIR "/usr/local/share/mez/profiles"
#endif

const char *mez_zone_default_profile_dir(void)
{
    return MEZ_PROFILE_DIR;
}

static int exists(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS;
}

static const char *dir_of(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    return slash == path ? "/" : apr_pstrmemdup(p, path, (apr_size_t)(slash - path));
}

/* A YAML file that cannot be read or parsed: the problem is the loader's, collected like every other. */
static mez_status_t parse_file(apr_pool_t *p, const char *path, const mez_zone_options_t *opts,
                               mez_yaml_doc_t **doc, mez_problem_t *pb)
{
    mez_problem_t pr = { 0 };
    mez_status_t rv = mez_yaml_parse_file(p, path, doc, &pr);
    if (rv != MEZ_OK) {
        mez_zone_note(opts, &pr);
        if (pb)
            *pb = pr;
    }
    return rv;
}

/* ------------------------------------------------------------------ profiles */

mez_status_t mez_profile_load(apr_pool_t *p, const char *profile_dir, const char *id, const mez_zone_options_t *opts,
                              mez_profile_t **out, mez_problem_t *pb)
{
    const char *path;
    const json_t *root, *pd;
    mez_yaml_doc_t *doc;
    mez_profile_t *prof;
    mez_status_t rv;

    *out = NULL;
    if (!profile_dir || !*profile_dir)
        profile_dir = mez_zone_default_profile_dir();
    if (!mez_zone_id_ok(id))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "profile.not_found", NULL, "'%s' is not a profile id",
                           id ? id : "");
    path = apr_pstrcat(p, profile_dir, "/", id, ".yaml", NULL);
    if (!exists(p, path))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "profile.not_found", NULL, "there is no profile '%s' (no %s)", id,
                           path);
    if ((rv = parse_file(p, path, opts, &doc, pb)) != MEZ_OK || (rv = mez_profile_validate(p, doc, opts, pb)) != MEZ_OK)
        return rv;
    root = doc->root;
    if (strcmp(json_string_value(json_object_get(root, "id")), id)) {
        mez_problem_t pr = { 0 };
        rv = mez_yaml_problem(&pr, p, doc, "profile.id_mismatch", "/id", "the profile in %s.yaml says its id is '%s'",
                              id, json_string_value(json_object_get(root, "id")));
        mez_zone_note(opts, &pr);
        if (pb)
            *pb = pr;
        return rv;
    }
    prof = apr_pcalloc(p, sizeof(*prof));
    prof->path = path;
    prof->model = doc->root;
    prof->yaml = doc;
    prof->id = json_string_value(json_object_get(root, "id"));
    prof->name = json_string_value(json_object_get(root, "name"));
    prof->description = json_string_value(json_object_get(root, "description"));
    prof->compliance_domains = mez_zone_strings(p, json_object_get(root, "compliance_domains"));
    pd = json_object_get(root, "pack_domains");
    prof->lawpack_domains = mez_zone_strings(p, json_object_get(pd, "lawpacks"));
    prof->regpack_domains = mez_zone_strings(p, json_object_get(pd, "regpacks"));
    prof->licensepack_domains = mez_zone_strings(p, json_object_get(pd, "licensepacks"));
    prof->modules = mez_zone_strings(p, json_object_get(root, "modules"));
    if ((rv = mez_digest_json(p, root, &prof->digest, pb)) != MEZ_OK)
        return rv;
    *out = prof;
    return MEZ_OK;
}

int mez_profile_selects_pack(const mez_profile_t *profile, mez_pack_kind_t kind, const char *domain)
{
    const apr_array_header_t *list = NULL;
    switch (kind) {
    case MEZ_PACK_LAW: list = profile->lawpack_domains; break;
    case MEZ_PACK_REG: list = profile->regpack_domains; break;
    case MEZ_PACK_LICENSE: list = profile->licensepack_domains; break;
    }
    for (int i = 0; list && domain && i < list->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(list, i, const char *), domain))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ zone.yaml */

static void add_packs(apr_pool_t *p, mez_zone_t *zone, const json_t *packs, const char *name, mez_pack_kind_t kind)
{
    const json_t *list = json_object_get(packs, name), *item;
    const char *lp = mez_pointer_join(p, "/packs", name);
    size_t i;
    json_array_foreach(list, i, item) {
        mez_zone_pack_t *zp = apr_array_push(zone->packs);
        zp->kind = kind;
        zp->path = json_string_value(item);
        zp->pointer = mez_pointer_index(p, lp, i);
        zp->pack = NULL;
    }
}

mez_status_t mez_zone_parse(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                            mez_problem_t *pb)
{
    mez_yaml_doc_t *doc;
    const json_t *root, *v;
    mez_zone_t *zone;
    mez_status_t rv;

    *out = NULL;
    if ((rv = parse_file(p, path, opts, &doc, pb)) != MEZ_OK || (rv = mez_zone_validate(p, doc, opts, pb)) != MEZ_OK)
        return rv;
    root = doc->root;
    zone = apr_pcalloc(p, sizeof(*zone));
    zone->path = path;
    zone->dir = dir_of(p, path);
    zone->model = doc->root;
    zone->yaml = doc;
    zone->zone_id = json_string_value(json_object_get(root, "zone_id"));
    zone->zone_name = json_string_value(json_object_get(root, "zone_name"));
    zone->jurisdiction_id = json_string_value(json_object_get(root, "jurisdiction_id"));
    zone->profile_id = json_string_value(json_object_get(root, "profile"));
    if ((v = json_object_get(root, "jurisdiction_stack"))) {
        zone->jurisdiction_stack = mez_zone_strings(p, v);
    }
    else {
        zone->jurisdiction_stack = apr_array_make(p, 1, sizeof(const char *));
        *(const char **)apr_array_push(zone->jurisdiction_stack) = zone->jurisdiction_id;
    }
    if ((v = json_object_get(root, "compliance_domains"))) {
        zone->compliance_domains = mez_zone_strings(p, v);
        zone->domains_from_zone = 1;
    }
    zone->packs = apr_array_make(p, 8, sizeof(mez_zone_pack_t));
    v = json_object_get(root, "packs");
    add_packs(p, zone, v, "lawpacks", MEZ_PACK_LAW);
    add_packs(p, zone, v, "regpacks", MEZ_PACK_REG);
    add_packs(p, zone, v, "licensepacks", MEZ_PACK_LICENSE);
    v = json_object_get(root, "lockfile");
    zone->lockfile = v ? json_string_value(v) : MEZ_ZONE_LOCKFILE;
    zone->lock_path = apr_pstrcat(p, zone->dir, "/", zone->lockfile, NULL);
    /* The lock pins the zone file by its model, not its bytes: comments and layout may change freely. */
    if ((rv = mez_digest_json(p, root, &zone->manifest_digest, pb)) != MEZ_OK)
        return rv;
    *out = zone;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ the whole zone */

/* The first problem of a load that goes on after problems, and its status. */
typedef struct first_t {
    mez_status_t rv;
    mez_problem_t pb;
} first_t;

static void keep_first(first_t *f, mez_status_t rv, const mez_problem_t *pr)
{
    if (f->rv == MEZ_OK) {
        f->rv = rv;
        f->pb = *pr;
    }
}

/* Checks one loaded pack against the zone that names it and the profile the zone runs. */
static void check_pack(mez_zone_vctx_t *c, const mez_zone_t *zone, const mez_zone_pack_t *zp, int index)
{
    const mez_pack_t *pack = zp->pack;
    int in_stack = 0;
    if (pack->kind != zp->kind) {
        mez_zone_vfail(c, "pack_kind_mismatch", zp->pointer, "%s is a %s (%s), listed among the %ss", zp->path,
                       mez_pack_kind_name(pack->kind), pack->id, mez_pack_kind_name(zp->kind));
        return;
    }
    for (int i = 0; i < index; i++) {
        const mez_zone_pack_t *o = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (o->pack && o->pack->kind == pack->kind && !strcmp(o->pack->id, pack->id)) {
            mez_zone_vfail(c, "duplicate_pack", zp->pointer, "%s and %s are both %s '%s'", o->path, zp->path,
                           mez_pack_kind_name(pack->kind), pack->id);
            return;
        }
    }
    for (int i = 0; i < zone->jurisdiction_stack->nelts && !in_stack; i++)
        in_stack = !strcmp(APR_ARRAY_IDX(zone->jurisdiction_stack, i, const char *), pack->jurisdiction_id);
    if (!in_stack)
        mez_zone_vfail(c, "pack_jurisdiction", zp->pointer,
                       "%s '%s' is law of '%s', which is not in the zone's jurisdiction stack", mez_pack_kind_name(pack->kind),
                       pack->id, pack->jurisdiction_id);
    /* A profile says which kinds of law a zone of its kind enforces; a pack outside it is a configuration
     * mistake, not something to evaluate quietly. */
    if (!mez_profile_selects_pack(zone->profile, pack->kind, pack->domain))
        mez_zone_vfail(c, "pack_domain", zp->pointer,
                       "%s '%s' is of domain '%s', which profile '%s' does not select for %ss",
                       mez_pack_kind_name(pack->kind), pack->id, pack->domain, zone->profile->id,
                       mez_pack_kind_name(pack->kind));
}

mez_status_t mez_zone_load(apr_pool_t *p, const char *path, const mez_zone_options_t *opts, mez_zone_t **out,
                           mez_problem_t *pb)
{
    static const mez_zone_options_t none = { 0 };
    mez_pack_options_t popts = { 0 };
    mez_zone_vctx_t c;
    mez_zone_t *zone;
    mez_problem_t pr = { 0 };
    mez_status_t rv;
    first_t first = { MEZ_OK, { 0 } };
    apr_array_header_t *laws;

    *out = NULL;
    if (!opts)
        opts = &none;
    if ((rv = mez_zone_parse(p, path, opts, &zone, pb)) != MEZ_OK)
        return rv;
    mez_zone_vctx_init(&c, p, zone->yaml, "zone", opts);

    /* The profile first: the packs are checked against its selection. */
    rv = mez_profile_load(p, opts->profile_dir, zone->profile_id, opts, &zone->profile, &pr);
    if (rv != MEZ_OK) {
        if (pr.code && !strcmp(pr.code, "profile.not_found")) {
            mez_zone_vfail(&c, "unknown_profile", "/profile", "%s", pr.detail);
            pr = c.first;
        }
        if (pb)
            *pb = pr;
        return rv;
    }
    if (!zone->domains_from_zone)
        zone->compliance_domains = zone->profile->compliance_domains;

    popts.akn_schema = opts->akn_schema;
    popts.problems = opts->problems;
    popts.max_problems = opts->max_problems;
    laws = apr_array_make(p, 4, sizeof(mez_pack_t *));
    for (int i = 0; i < zone->packs->nelts; i++) {
        mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const char *full = apr_pstrcat(p, zone->dir, "/", zp->path, NULL);
        int before = c.failures;
        if (!exists(p, full)) {
            mez_zone_vfail(&c, "pack_not_found", zp->pointer, "%s %s does not exist (%s)",
                           mez_pack_kind_name(zp->kind), zp->path, full);
            keep_first(&first, MEZ_EINVAL, &c.first);
            continue;
        }
        /* Pack problems name the pack's own file and line; mez_pack_load collects them in the same list. */
        if ((rv = mez_pack_load(p, full, &popts, &zp->pack, &pr)) != MEZ_OK) {
            keep_first(&first, rv, &pr);
            continue;
        }
        check_pack(&c, zone, zp, i);
        if (c.failures > before) {
            keep_first(&first, MEZ_EINVAL, &c.first);
            zp->pack = NULL;  /* not this zone's pack: later checks must not count it */
            continue;
        }
        if (zp->pack->kind == MEZ_PACK_LAW)
            *(mez_pack_t **)apr_array_push(laws) = zp->pack;
    }
    /* A rate that cites a section of an act the zone does not load points nowhere; check every citation. */
    for (int i = 0; i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (!zp->pack || zp->pack->kind == MEZ_PACK_LAW)
            continue;
        if ((rv = mez_pack_check_law_refs(p, zp->pack, (mez_pack_t *const *)laws->elts, (size_t)laws->nelts, &popts,
                                          &pr)) != MEZ_OK)
            keep_first(&first, rv, &pr);
    }
    if (first.rv != MEZ_OK) {
        if (pb)
            *pb = first.pb;
        return first.rv;
    }
    *out = zone;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ lookups (request path: read-only) */

const mez_zone_pack_t *mez_zone_find_pack(const mez_zone_t *zone, const mez_digest_t *digest)
{
    /* A zone has a handful of packs: a scan in constant-time comparisons is simpler than an index and as fast. */
    for (int i = 0; zone && i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        if (zp->pack && mez_digest_equal(&zp->pack->digest, digest))
            return zp;
    }
    return NULL;
}

mez_status_t mez_zone_pack_by_digest(apr_pool_t *p, const mez_zone_t *zone, const char *text,
                                     const mez_zone_pack_t **out, mez_problem_t *pb)
{
    mez_digest_t d;
    *out = NULL;
    if (mez_digest_parse(p, text, &d, NULL) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "digest.invalid", NULL,
                           "'%s' is not a digest: packs are named sha256:<64 lowercase hex digits>", text ? text : "");
    if (!(*out = mez_zone_find_pack(zone, &d)))
        return mez_problem(pb, p, MEZ_EINVAL, 404, "pack.not_found", NULL, "this zone has no pack with digest %s",
                           text);
    return MEZ_OK;
}

mez_status_t mez_zone_law(apr_pool_t *p, const mez_zone_t *zone, const char *eid, const char *lawpack_id,
                          const mez_pack_t **lawpack, const mez_akn_section_t **section, mez_problem_t *pb)
{
    const char *names = NULL;
    int found = 0;
    *lawpack = NULL;
    *section = NULL;
    for (int i = 0; zone && eid && i < zone->packs->nelts; i++) {
        const mez_zone_pack_t *zp = &APR_ARRAY_IDX(zone->packs, i, mez_zone_pack_t);
        const mez_akn_section_t *s;
        if (!zp->pack || zp->pack->kind != MEZ_PACK_LAW || !zp->pack->sections
            || (lawpack_id && strcmp(lawpack_id, zp->pack->id)))
            continue;
        if (!(s = apr_hash_get(zp->pack->sections, eid, APR_HASH_KEY_STRING)))
            continue;
        if (!found++) {
            *lawpack = zp->pack;
            *section = s;
            names = zp->pack->id;
        }
        else {
            names = apr_pstrcat(p, names, ", ", zp->pack->id, NULL);
        }
    }
    if (found > 1) {
        *lawpack = NULL;
        *section = NULL;
        return mez_problem(pb, p, MEZ_EINVAL, 409, "law.ambiguous", NULL,
                           "eId %s is in several lawpacks (%s): name one with ?lawpack=", eid, names);
    }
    if (!found) {
        if (lawpack_id)
            return mez_problem(pb, p, MEZ_EINVAL, 404, "law.not_found", NULL,
                               "this zone has no lawpack '%s' with an element %s", lawpack_id, eid ? eid : "");
        return mez_problem(pb, p, MEZ_EINVAL, 404, "law.not_found", NULL,
                           "no lawpack of this zone has an element with eId %s", eid ? eid : "");
    }
    return MEZ_OK;
}
