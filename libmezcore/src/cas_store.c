/* cas_store.c: the content-addressed store on disk: atomic, verified writes; reads that check what they return;
 * and closure verification, since an artifact is only as good as everything it names. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/file.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/pack.h"
#include "mez/yaml.h"

struct mez_cas_t {
    const char *root;      /* <datadir>/cas */
};

#define TMP_PREFIX ".tmp-"
/* rwxr-x---: the httpd group may read the store, nobody else. (APR permission bits are not octal.) */
#define DIR_PERMS (APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE | APR_FPROT_GREAD | APR_FPROT_GEXECUTE)

static const char *ioerr(apr_pool_t *p, apr_status_t st)
{
    char e[256];
    return apr_pstrdup(p, apr_strerror(st, e, sizeof(e)));
}

static mez_status_t unsafe(apr_pool_t *p, mez_problem_t *pb, const char *path)
{
    return mez_problem(pb, p, MEZ_EIO, 500, "cas.unsafe_store", NULL,
                       "%s is a symbolic link or not a directory: the store's directories must be real ones "
                       "(a link would send the store's writes elsewhere)", path);
}

mez_status_t mez_cas_open(apr_pool_t *p, const char *datadir, int create, mez_cas_t **out, mez_problem_t *pb)
{
    mez_cas_t *cas;
    apr_finfo_t fi;
    apr_status_t st;
    const char *root = apr_pstrcat(p, datadir, "/cas", NULL);

    *out = NULL;
    if (create && (st = apr_dir_make_recursive(root, DIR_PERMS, p)) != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot create %s: %s", root, ioerr(p, st));
    /* APR_FINFO_LINK: the link itself. A store whose cas/ is a symbolic link is refused, not followed: whoever
     * may write the data directory (the httpd user) could otherwise point the store, and the writes that
     * httpd's parent makes as root at start-up, anywhere. */
    if ((st = apr_stat(&fi, root, APR_FINFO_TYPE | APR_FINFO_LINK, p)) == APR_SUCCESS && fi.filetype == APR_LNK)
        return unsafe(p, pb, root);
    if (st != APR_SUCCESS || fi.filetype != APR_DIR)
        return mez_problem(pb, p, MEZ_EIO, 500, "cas.no_store", NULL, "%s is not a content-addressed store "
                           "(no cas/ directory)", datadir);
    cas = apr_pcalloc(p, sizeof(*cas));
    cas->root = root;
    *out = cas;
    return MEZ_OK;
}

int mez_cas_type_ok(const char *type)
{
    size_t n = type ? strlen(type) : 0;
    /* The type becomes a directory name: this alphabet keeps it one path segment and never hidden. */
    if (n == 0 || n > 32 || !(type[0] >= 'a' && type[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= '0' && type[i] <= '9') || type[i] == '-'))
            return 0;
    return 1;
}

static mez_status_t bad_type(apr_pool_t *p, mez_problem_t *pb, const char *type)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_type", NULL,
                       "artifact type '%s' must be lower-case letters, digits and '-' (at most 32)",
                       type ? type : "");
}

mez_status_t mez_cas_digest(apr_pool_t *p, const char *type, const void *data, size_t len, mez_digest_t *out,
                            mez_problem_t *pb)
{
    mez_pack_kind_t kind = mez_pack_kind_from_name(type);
    mez_problem_t inner = { 0 };
    if (!kind) {
        mez_digest_sha256(data, len, out);
        return MEZ_OK;
    }
    if (mez_pack_artifact_digest(p, kind, data, len, out, &inner) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_content", inner.pointer,
                           "not a %s artifact: %s", type, inner.detail ? inner.detail : "invalid");
    {
        /* Only a pack's exact CAS form is stored under a pack type: the bytes must load as a pack of that kind
         * and re-serialise to these very bytes. For a lawpack this is also what keeps its address its own (the
         * lawpack digest frames files without lengths, so a file whose bytes embed "NUL path NUL ..." could
         * spell other files under the genuine address); for a regpack or licensepack, that "regpack/<digest>"
         * is a regpack at all, not any bytes under a pack's name. */
        mez_pack_t *pack;
        const char *canon;
        size_t clen;
        if (mez_pack_load_artifact(p, kind, data, len, NULL, &pack, &inner) != MEZ_OK
            || mez_pack_artifact(p, pack, &canon, &clen, &inner) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_content", inner.pointer,
                               "not a %s artifact: %s", type, inner.detail ? inner.detail : "invalid");
        if (clen != len || memcmp(canon, data, len) || !mez_digest_equal(&pack->digest, out))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_content", NULL,
                               "not a %s artifact: the bytes are not the canonical form of the %s they hold",
                               type, type);
    }
    return MEZ_OK;
}

mez_status_t mez_cas_references(apr_pool_t *p, const void *data, size_t len, apr_array_header_t **refs,
                                mez_problem_t *pb)
{
    const char *c = data, *end = c + len;
    json_t *doc, *list, *item;
    size_t i;

    *refs = apr_array_make(p, 4, sizeof(mez_cas_ref_t));
    while (c < end && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r'))
        c++;
    /* Only JSON objects can name references; anything else (XML, binary) is a leaf. */
    if (c == end || *c != '{' || mez_json_parse(p, data, len, &doc, NULL) != MEZ_OK)
        return MEZ_OK;
    if (!(list = json_object_get(doc, "references")))
        return MEZ_OK;
    if (!json_is_array(list))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_references", "/references",
                           "references must be a list of {type, digest}");
    json_array_foreach(list, i, item) {
        const char *ptr = mez_pointer_index(p, "/references", i);
        /* Read by length: as C text, "sha256:<hex>\u0000junk" is the digest itself, so a document would name an
         * artifact in a spelling no other reader takes for it. */
        const char *type = mez_json_text(json_object_get(item, "type"));
        mez_cas_ref_t *r;
        mez_digest_t d;
        if (!mez_cas_type_ok(type) || mez_digest_parse_json(p, json_object_get(item, "digest"), &d, NULL) != MEZ_OK)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.invalid_references", ptr,
                               "each reference is {\"type\": artifact type, \"digest\": \"sha256:<hex>\"}");
        r = apr_array_push(*refs);
        r->type = apr_pstrdup(p, type);
        r->digest = d;
    }
    return MEZ_OK;
}

static const char *artifact_path(apr_pool_t *p, const mez_cas_t *cas, const char *type, const mez_digest_t *d)
{
    return apr_pstrcat(p, cas->root, "/", type, "/", mez_digest_hex(p, d), NULL);
}

static const char *name_of(apr_pool_t *p, const char *type, const mez_digest_t *d)
{
    return apr_pstrcat(p, type, "/", mez_digest_format(p, d), NULL);
}

/* ------------------------------------------------------------------ atomic files */

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        /* Makes the rename itself durable; a failure here cannot undo the rename, so it is not reported. */
        (void)fsync(fd);
        close(fd);
    }
}

mez_status_t mez_cas_write_file_atomic(apr_pool_t *p, const char *path, const void *data, size_t len, int mode,
                                       mez_problem_t *pb)
{
    const char *slash = strrchr(path, '/');
    const char *dir = slash ? (slash == path ? "/" : apr_pstrmemdup(p, path, (apr_size_t)(slash - path))) : ".";
    char *tmp = apr_pstrcat(p, dir, "/" TMP_PREFIX "XXXXXX", NULL);
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t st;
    apr_size_t written;

    st = apr_file_mktemp(&f, tmp, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL | APR_FOPEN_BINARY, p);
    if (st != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot create a file in %s: %s", dir,
                           ioerr(p, st));
    if (len)
        st = apr_file_write_full(f, data, len, &written);
    if (st == APR_SUCCESS)
        st = apr_file_sync(f);
    /* mkstemp creates 0600; the final mode is set on the descriptor, so umask does not change it. */
    if (st == APR_SUCCESS && (st = apr_os_file_get(&fd, f)) == APR_SUCCESS && fchmod(fd, (mode_t)mode) != 0)
        st = APR_FROM_OS_ERROR(errno);
    if (st != APR_SUCCESS) {
        apr_file_close(f);
        apr_file_remove(tmp, p);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot write %s: %s", tmp, ioerr(p, st));
    }
    if ((st = apr_file_close(f)) != APR_SUCCESS || (st = apr_file_rename(tmp, path, p)) != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot write %s: %s", path, ioerr(p, st));
    }
    fsync_dir(dir);
    return MEZ_OK;
}

/* Writes cas/<type>/<name> (mode 0444) through descriptors of the store's directories opened without following
 * links, so that no directory of the store can be swapped for a link between a check and the write: httpd's
 * parent stores the zone's packs as root at every start, in directories the httpd user may write. The file is
 * written under a temporary name, synced, then renamed into place, and the rename made durable. */
static mez_status_t write_artifact(apr_pool_t *p, const mez_cas_t *cas, const char *type, const char *name,
                                   const void *data, size_t len, mez_problem_t *pb)
{
    const char *dir = apr_pstrcat(p, cas->root, "/", type, NULL), *what = dir;
    const char *tmp = mez_mass_new_id(p, TMP_PREFIX);     /* 64 random hex digits: a name nobody holds */
    int root, tdir = -1, err = 0;

    root = open(cas->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        return errno == ELOOP || errno == ENOTDIR ? unsafe(p, pb, cas->root)
               : mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot open %s: %s", cas->root,
                             strerror(errno));
    /* 0750: as DIR_PERMS, before umask. */
    if (mkdirat(root, type, 0750) != 0 && errno != EEXIST)
        err = errno;
    else if ((tdir = openat(root, type, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        close(root);
        return errno == ELOOP || errno == ENOTDIR ? unsafe(p, pb, dir)
               : mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot open %s: %s", dir, strerror(errno));
    }
    close(root);
    if (err)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot create %s: %s", dir, strerror(err));

    /* Written whole and synced (mode 0444 on the descriptor, whatever the umask), then renamed into place. */
    if (mez_file_create_durable_at(tdir, tmp, data, len, 0444) != 0)
        err = errno ? errno : EIO;
    else if (renameat(tdir, tmp, tdir, name) != 0) {
        err = errno;
        what = apr_pstrcat(p, dir, "/", name, NULL);
        (void)unlinkat(tdir, tmp, 0);
    }
    if (!err)
        (void)fsync(tdir);      /* the rename made durable; a failure here cannot undo it */
    close(tdir);
    if (err)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot write %s: %s", what, strerror(err));
    return MEZ_OK;
}

/* ------------------------------------------------------------------ put, get, has, verify */

/* Reads the file of an artifact; "cas.not_found" when there is none. */
static mez_status_t read_artifact(apr_pool_t *p, const mez_cas_t *cas, const char *type, const mez_digest_t *d,
                                  char **data, size_t *len, mez_problem_t *pb)
{
    const char *path = artifact_path(p, cas, type, d);
    apr_finfo_t fi;
    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_REG)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "cas.not_found", NULL, "%s is not in the store",
                           name_of(p, type, d));
    return mez_yaml_read_file(p, path, MEZ_CAS_MAX_ARTIFACT, data, len, pb);
}

/* The recomputed digest must be the file's name. */
static mez_status_t check_content(apr_pool_t *p, const char *type, const mez_digest_t *d, const char *data,
                                  size_t len, mez_problem_t *pb)
{
    mez_digest_t actual;
    mez_problem_t inner = { 0 };
    if (mez_cas_digest(p, type, data, len, &actual, &inner) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.corrupt", NULL, "%s is corrupt: %s", name_of(p, type, d),
                           inner.detail);
    if (!mez_digest_equal(&actual, d))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.corrupt", NULL, "%s is corrupt: its content has digest %s",
                           name_of(p, type, d), mez_digest_format(p, &actual));
    return MEZ_OK;
}

mez_status_t mez_cas_put(apr_pool_t *p, mez_cas_t *cas, const char *type, const void *data, size_t len,
                         const mez_digest_t *expected, mez_digest_t *out, mez_problem_t *pb)
{
    mez_digest_t d;
    apr_array_header_t *refs;
    char *old;
    size_t oldlen;
    mez_status_t rv;

    if (!mez_cas_type_ok(type))
        return bad_type(p, pb, type);
    if (len > MEZ_CAS_MAX_ARTIFACT)
        return mez_problem(pb, p, MEZ_EINVAL, 413, "cas.too_large", NULL, "an artifact is at most %d bytes",
                           MEZ_CAS_MAX_ARTIFACT);
    if ((rv = mez_cas_digest(p, type, data, len, &d, pb)) != MEZ_OK)
        return rv;
    if (expected && !mez_digest_equal(expected, &d))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "cas.digest_mismatch", NULL,
                           "the content's digest is %s, not the expected %s", mez_digest_format(p, &d),
                           mez_digest_format(p, expected));
    /* An artifact with malformed references could never verify; refuse it now rather than store a dead file. */
    if ((rv = mez_cas_references(p, data, len, &refs, pb)) != MEZ_OK)
        return rv;
    if (out)
        *out = d;

    if (read_artifact(p, cas, type, &d, &old, &oldlen, NULL) == MEZ_OK
        && check_content(p, type, &d, old, oldlen, NULL) == MEZ_OK)
        return MEZ_OK;
    return write_artifact(p, cas, type, mez_digest_hex(p, &d), data, len, pb);
}

mez_status_t mez_cas_get(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d, const char **data,
                         size_t *len, mez_problem_t *pb)
{
    char *buf;
    size_t n;
    mez_status_t rv;
    *data = NULL;
    *len = 0;
    if (!mez_cas_type_ok(type))
        return bad_type(p, pb, type);
    if ((rv = read_artifact(p, cas, type, d, &buf, &n, pb)) != MEZ_OK
        || (rv = check_content(p, type, d, buf, n, pb)) != MEZ_OK)
        return rv;
    *data = buf;
    *len = n;
    return MEZ_OK;
}

int mez_cas_has(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d)
{
    apr_finfo_t fi;
    return mez_cas_type_ok(type) && apr_stat(&fi, artifact_path(p, cas, type, d), APR_FINFO_TYPE, p) == APR_SUCCESS
           && fi.filetype == APR_REG;
}

mez_status_t mez_cas_verify(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d,
                            mez_problem_t *pb)
{
    const char *data;
    size_t len;
    return mez_cas_get(p, cas, type, d, &data, &len, pb);
}

/* ------------------------------------------------------------------ closure */

typedef struct visit_t {
    mez_cas_ref_t ref;
    int parent;            /* index of the artifact that named it, -1 for the root */
    size_t ref_index;      /* its index in the parent's references */
} visit_t;

mez_status_t mez_cas_verify_closure(apr_pool_t *p, mez_cas_t *cas, const char *type, const mez_digest_t *d,
                                    apr_array_header_t **closure, mez_problem_t *pb)
{
    apr_array_header_t *queue = apr_array_make(p, 8, sizeof(visit_t));
    apr_hash_t *seen = apr_hash_make(p);
    apr_pool_t *scratch;
    visit_t *v = apr_array_push(queue);
    mez_status_t rv = MEZ_OK;

    if (closure)
        *closure = NULL;
    if (!mez_cas_type_ok(type))
        return bad_type(p, pb, type);
    v->ref.type = type;
    v->ref.digest = *d;
    v->parent = -1;
    v->ref_index = 0;
    apr_hash_set(seen, name_of(p, type, d), APR_HASH_KEY_STRING, "");
    /* Breadth first over an explicit queue with a seen set: each artifact is read once, a cycle (which digests
     * make impossible in practice, but a broken store need not respect) ends, and depth costs no stack.
     * Contents are read into a scratch pool cleared per artifact, so a large closure needs little memory. */
    apr_pool_create(&scratch, p);
    for (int i = 0; i < queue->nelts && rv == MEZ_OK; i++) {
        visit_t cur = APR_ARRAY_IDX(queue, i, visit_t);
        const char *data;
        size_t len;
        apr_array_header_t *refs;
        mez_problem_t inner = { 0 };
        apr_pool_clear(scratch);
        if ((rv = mez_cas_get(scratch, cas, cur.ref.type, &cur.ref.digest, &data, &len, &inner)) != MEZ_OK) {
            if (cur.parent < 0) {
                mez_problem(pb, p, rv, inner.status, inner.code, NULL, "%s", inner.detail);
            }
            else {
                const visit_t *par = &APR_ARRAY_IDX(queue, cur.parent, visit_t);
                int missing = !strcmp(inner.code, "cas.not_found");
                mez_problem(pb, p, MEZ_EINVAL, 422, missing ? "cas.missing_reference" : "cas.corrupt_reference",
                            mez_pointer_index(p, "/references", cur.ref_index), "%s, referenced by %s, is %s",
                            name_of(p, cur.ref.type, &cur.ref.digest), name_of(p, par->ref.type, &par->ref.digest),
                            missing ? "missing" : apr_pstrcat(p, "corrupt (", inner.detail, ")", NULL));
            }
            break;
        }
        if ((rv = mez_cas_references(scratch, data, len, &refs, &inner)) != MEZ_OK) {
            mez_problem(pb, p, rv, 422, inner.code, inner.pointer, "%s: %s",
                        name_of(p, cur.ref.type, &cur.ref.digest), inner.detail);
            break;
        }
        for (int j = 0; j < refs->nelts; j++) {
            const mez_cas_ref_t *r = &APR_ARRAY_IDX(refs, j, mez_cas_ref_t);
            const char *key = name_of(p, r->type, &r->digest);
            visit_t *nv;
            if (apr_hash_get(seen, key, APR_HASH_KEY_STRING))
                continue;
            apr_hash_set(seen, key, APR_HASH_KEY_STRING, "");
            nv = apr_array_push(queue);
            nv->ref.type = apr_pstrdup(p, r->type);
            nv->ref.digest = r->digest;
            nv->parent = i;
            nv->ref_index = (size_t)j;
        }
    }
    apr_pool_destroy(scratch);
    if (rv != MEZ_OK)
        return rv;
    if (closure) {
        *closure = apr_array_make(p, queue->nelts, sizeof(mez_cas_ref_t));
        for (int i = 0; i < queue->nelts; i++)
            *(mez_cas_ref_t *)apr_array_push(*closure) = APR_ARRAY_IDX(queue, i, visit_t).ref;
    }
    return MEZ_OK;
}

mez_status_t mez_cas_find(apr_pool_t *p, mez_cas_t *cas, const mez_digest_t *d, apr_array_header_t **types,
                          mez_problem_t *pb)
{
    apr_dir_t *dir;
    apr_finfo_t fi;
    apr_status_t st;

    *types = apr_array_make(p, 2, sizeof(const char *));
    if ((st = apr_dir_open(&dir, cas->root, p)) != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "cannot list %s: %s", cas->root, ioerr(p, st));
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
        if (fi.filetype != APR_DIR || !mez_cas_type_ok(fi.name))
            continue;
        if (mez_cas_has(p, cas, fi.name, d))
            *(const char **)apr_array_push(*types) = apr_pstrdup(p, fi.name);
    }
    apr_dir_close(dir);
    return MEZ_OK;
}
