/* pack_load.c: turning a pack on disk (or its CAS bytes) into a validated, digested, read-only mez_pack_t,
 * lawpacks with their AKN documents indexed by eId; also the checks between packs (law references). */
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/pack.h"

/* Where a lawpack's documents come from: files beside the manifest, or a CAS archive. */
typedef struct doc_source_t {
    const char *dir;            /* read documents from dir/path, or */
    apr_hash_t *archive;        /* path -> const mez_pack_file_t * */
} doc_source_t;

static void note(const mez_pack_options_t *opts, const mez_problem_t *pb)
{
    if (opts)
        mez_problem_keep(opts->problems, opts->max_problems, pb);
}

static const char *member(const json_t *model, const char *name)
{
    return json_string_value(json_object_get(model, name));
}

static mez_status_t read_document(apr_pool_t *p, const doc_source_t *src, const char *path, const char **name,
                                  const char **data, size_t *len, mez_problem_t *pb)
{
    if (src->archive) {
        const mez_pack_file_t *f = apr_hash_get(src->archive, path, APR_HASH_KEY_STRING);
        if (!f)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.invalid_archive", NULL,
                               "the lawpack archive does not hold %s", path);
        *name = path;
        *data = f->data;
        *len = f->len;
        return MEZ_OK;
    }
    *name = apr_pstrcat(p, src->dir, "/", path, NULL);
    return mez_yaml_read_file(p, *name, MEZ_YAML_MAX_FILE, (char **)data, len, pb);
}

static int file_compare(const void *a, const void *b)
{
    return strcmp(((const mez_pack_file_t *)a)->path, ((const mez_pack_file_t *)b)->path);
}

/* Reads, validates and indexes every document of a lawpack, then computes its digest over the manifest's
 * canonical bytes and the documents' raw bytes. Every document is tried so all their problems are reported. */
static mez_status_t load_law_documents(apr_pool_t *p, mez_pack_t *pack, const doc_source_t *src,
                                       const mez_pack_options_t *opts, mez_problem_t *pb)
{
    const json_t *docs = json_object_get(pack->model, "documents"), *d;
    mez_pack_file_t *f;
    const char *canon;
    size_t clen, i;
    mez_status_t rv, first = MEZ_OK;
    mez_problem_t firstpb = { 0 };

    pack->sections = apr_hash_make(p);
    pack->files = apr_array_make(p, (int)json_array_size(docs) + 1, sizeof(mez_pack_file_t));
    /* The reference feeds its MCF bytes here (keys in code point order); RFC 8785 orders keys by UTF-16 code
     * units. The two agree unless keys mix characters above U+FFFF with ones in U+E000..U+FFFF, which validated
     * manifests (ASCII keys) never do, so the reference's rule is reproduced exactly. */
    if ((rv = mez_json_canonicalize(p, pack->model, &canon, &clen, pb)) != MEZ_OK)
        return rv;
    f = apr_array_push(pack->files);
    f->path = MEZ_PACK_LAW_MANIFEST;
    f->data = canon;
    f->len = clen;

    json_array_foreach(docs, i, d) {
        const char *path = member(d, "path"), *name = path, *data = NULL;
        mez_problem_t one = { 0 };
        size_t len;
        rv = read_document(p, src, path, &name, &data, &len, &one);
        if (rv == MEZ_OK) {
            /* XSD violations are appended to the list one by one inside; other failures are noted here. */
            rv = mez_akn_index(p, opts ? opts->akn_schema : NULL, name, data, len, member(d, "frbr_work"),
                               pack->sections, opts ? opts->problems : NULL, &one);
        }
        else {
            note(opts, &one);
        }
        if (rv != MEZ_OK) {
            if (first == MEZ_OK) {
                first = rv;
                firstpb = one;
            }
            continue;
        }
        f = apr_array_push(pack->files);
        f->path = path;
        f->data = data;
        f->len = len;
    }
    if (first != MEZ_OK) {
        if (pb)
            *pb = firstpb;
        return first;
    }
    qsort(pack->files->elts, (size_t)pack->files->nelts, sizeof(mez_pack_file_t), file_compare);
    return mez_pack_lawpack_digest(p, (const mez_pack_file_t *)pack->files->elts, (size_t)pack->files->nelts,
                                   &pack->digest, pb);
}

static mez_status_t build(apr_pool_t *p, const mez_yaml_doc_t *doc, const char *path, const doc_source_t *src,
                          const mez_pack_options_t *opts, mez_pack_t **out, mez_problem_t *pb)
{
    mez_pack_t *pack = apr_pcalloc(p, sizeof(*pack));
    mez_pack_kind_t kind;
    mez_status_t rv;

    if ((rv = mez_pack_validate(p, doc, opts, &kind, pb)) != MEZ_OK)
        return rv;
    pack->kind = kind;
    pack->model = doc->root;
    pack->yaml = doc;
    pack->path = path;
    pack->format = member(doc->root, "format");
    pack->id = member(doc->root, "id");
    pack->jurisdiction_id = member(doc->root, "jurisdiction_id");
    pack->domain = member(doc->root, "domain");
    pack->title = member(doc->root, "title");
    pack->as_of_date = member(doc->root, "as_of_date");
    if (kind == MEZ_PACK_LAW)
        rv = load_law_documents(p, pack, src, opts, pb);
    else
        rv = mez_pack_model_digest(p, kind, pack->model, &pack->digest, pb);
    if (rv == MEZ_OK)
        *out = pack;
    return rv;
}

/* The YAML loader is shared with zone.yaml and speaks of YAML; pack authors get the pack code the format
 * documents for "amounts and rates are decimal strings". */
static void rename_float(mez_problem_t *pb)
{
    if (pb && pb->code && !strcmp(pb->code, "yaml.float_not_allowed"))
        pb->code = "pack.float_not_allowed";
}

mez_status_t mez_pack_load(apr_pool_t *p, const char *path, const mez_pack_options_t *opts, mez_pack_t **out,
                           mez_problem_t *pb)
{
    apr_finfo_t fi;
    doc_source_t src = { NULL, NULL };
    const char *yaml_path = path, *slash;
    mez_yaml_doc_t *doc;
    mez_status_t rv;
    char e[256];
    apr_status_t st;

    *out = NULL;
    if ((st = apr_stat(&fi, path, APR_FINFO_TYPE, p)) != APR_SUCCESS) {
        rv = mez_problem(pb, p, MEZ_EIO, 500, "io.open", NULL, "cannot open %s: %s", path,
                         apr_strerror(st, e, sizeof(e)));
        note(opts, pb);
        return rv;
    }
    if (fi.filetype == APR_DIR) {
        src.dir = path;
        yaml_path = apr_pstrcat(p, path, "/" MEZ_PACK_LAW_MANIFEST, NULL);
    }
    else {
        slash = strrchr(path, '/');
        src.dir = slash ? apr_pstrmemdup(p, path, (apr_size_t)(slash - path)) : ".";
    }
    if ((rv = mez_yaml_parse_file(p, yaml_path, &doc, pb)) != MEZ_OK) {
        rename_float(pb);
        note(opts, pb);
        return rv;
    }
    return build(p, doc, yaml_path, &src, opts, out, pb);
}

/* A JSON text (CAS bytes) as a document without positions: problems then carry the pointer only. */
static mez_status_t json_doc(apr_pool_t *p, const char *name, const void *bytes, size_t len, mez_yaml_doc_t **out,
                             mez_problem_t *pb)
{
    mez_yaml_doc_t *doc = apr_pcalloc(p, sizeof(*doc));
    mez_status_t rv = mez_json_parse(p, bytes, len, &doc->root, pb);
    if (rv != MEZ_OK)
        return rv;
    doc->name = name;
    doc->positions = apr_hash_make(p);
    *out = doc;
    return MEZ_OK;
}

mez_status_t mez_pack_load_artifact(apr_pool_t *p, mez_pack_kind_t kind, const void *bytes, size_t len,
                                    const mez_pack_options_t *opts, mez_pack_t **out, mez_problem_t *pb)
{
    doc_source_t src = { NULL, NULL };
    const char *name = apr_pstrcat(p, "<", mez_pack_kind_name(kind), " artifact>", NULL);
    mez_yaml_doc_t *doc;
    mez_digest_t artifact;
    mez_pack_t *pack;
    mez_status_t rv;

    *out = NULL;
    if (kind == MEZ_PACK_LAW) {
        apr_array_header_t *files;
        const mez_pack_file_t *manifest = NULL;
        if ((rv = mez_pack_archive_files(p, bytes, len, &files, pb)) != MEZ_OK)
            return rv;
        src.archive = apr_hash_make(p);
        for (int i = 0; i < files->nelts; i++) {
            const mez_pack_file_t *f = &APR_ARRAY_IDX(files, i, mez_pack_file_t);
            apr_hash_set(src.archive, f->path, APR_HASH_KEY_STRING, f);
            if (!strcmp(f->path, MEZ_PACK_LAW_MANIFEST))
                manifest = f;
        }
        if (!manifest)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.invalid_archive", NULL,
                               "the lawpack archive has no " MEZ_PACK_LAW_MANIFEST);
        rv = json_doc(p, name, manifest->data, manifest->len, &doc, pb);
    }
    else {
        rv = json_doc(p, name, bytes, len, &doc, pb);
    }
    if (rv != MEZ_OK)
        return rv;
    if ((rv = build(p, doc, name, &src, opts, &pack, pb)) != MEZ_OK)
        return rv;
    if (pack->kind != kind)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.wrong_kind", "/format", "the artifact is a %s, not a %s",
                           mez_pack_kind_name(pack->kind), mez_pack_kind_name(kind));
    /* The artifact's own digest must be the pack's: this refuses non-canonical bytes and archives holding files
     * the manifest does not name, either of which would give one pack two CAS names. */
    if ((rv = mez_pack_artifact_digest(p, kind, bytes, len, &artifact, pb)) != MEZ_OK)
        return rv;
    if (!mez_digest_equal(&artifact, &pack->digest))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.invalid_archive", NULL,
                           "the artifact is not the canonical form of the pack it holds");
    *out = pack;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ between packs, and lookups */

static const mez_pack_t *find_lawpack(mez_pack_t *const *lawpacks, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (lawpacks[i] && lawpacks[i]->kind == MEZ_PACK_LAW && !strcmp(lawpacks[i]->id, id))
            return lawpacks[i];
    return NULL;
}

typedef struct refs_ctx_t {
    apr_pool_t *p;
    const mez_pack_t *pack;
    mez_pack_t *const *lawpacks;
    size_t n;
    mez_problem_list_t problems;
} refs_ctx_t;

static void refs_fail(refs_ctx_t *c, const char *code, const char *ptr, const char *msg)
{
    mez_problem_t pr = { 0 };
    mez_yaml_problem(&pr, c->p, c->pack->yaml, code, ptr, "%s", msg);
    mez_problem_list_add(&c->problems, &pr);
}

/* Validation allows `law` only where a rule cites a section, so every `law` member found is such a citation. */
static void walk_refs(refs_ctx_t *c, const json_t *v, const char *ptr)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child) {
            const char *cp = mez_pointer_join(c->p, ptr, key);
            if (!strcmp(key, "law") && json_is_object(child) && ptr[0]) {
                const char *lp = member(child, "lawpack"), *eid = member(child, "eid");
                const mez_pack_t *law = lp ? find_lawpack(c->lawpacks, c->n, lp) : NULL;
                if (!lp || !eid)
                    continue;
                if (!law)
                    refs_fail(c, "pack.unknown_lawpack", mez_pointer_join(c->p, cp, "lawpack"),
                              apr_psprintf(c->p, "lawpack '%s' is not among the lawpacks loaded", lp));
                else if (!apr_hash_get(law->sections, eid, APR_HASH_KEY_STRING))
                    refs_fail(c, "pack.unknown_eid", mez_pointer_join(c->p, cp, "eid"),
                              apr_psprintf(c->p, "lawpack '%s' has no element with eId '%s'", lp, eid));
            }
            else {
                walk_refs(c, child, cp);
            }
        }
    }
    else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
            walk_refs(c, child, mez_pointer_index(c->p, ptr, i));
    }
}

mez_status_t mez_pack_check_law_refs(apr_pool_t *p, const mez_pack_t *pack, mez_pack_t *const *lawpacks,
                                     size_t nlawpacks, const mez_pack_options_t *opts, mez_problem_t *pb)
{
    refs_ctx_t c = { p, pack, lawpacks, nlawpacks, { 0 } };
    mez_problem_list_init(&c.problems, opts ? opts->problems : NULL, opts ? opts->max_problems : 0);
    walk_refs(&c, pack->model, "");
    return mez_problem_list_result(&c.problems, pb);
}

mez_status_t mez_pack_law_section(apr_pool_t *p, const mez_pack_t *law, const char *eid,
                                  const mez_akn_section_t **out, mez_problem_t *pb)
{
    const mez_akn_section_t *s = law && law->sections && eid
                                     ? apr_hash_get(law->sections, eid, APR_HASH_KEY_STRING) : NULL;
    *out = s;
    if (!s)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "pack.unknown_eid", NULL, "lawpack %s has no element with eId %s",
                           law && law->id ? law->id : "(none)", eid ? eid : "(none)");
    return MEZ_OK;
}
