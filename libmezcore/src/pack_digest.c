/* pack_digest.c: pack digests (the reference's lawpack v1 rule; whole-pack digests for regpacks and licensepacks)
 * and the CAS form of a pack, whose digest is the pack digest so a stack.lock entry names its CAS file. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "mez/json.h"
#include "mez/pack.h"

#define LAW_PREFIX     "mez-lawpack-v1"
#define REG_PREFIX     "mez-regpack-v1"
#define LICENSE_PREFIX "mez-licensepack-v1"

/* ------------------------------------------------------------------ base64 (OpenSSL, strict on input) */

const char *mez_pack_base64_encode(apr_pool_t *p, const void *data, size_t len)
{
    char *out = apr_palloc(p, 4 * ((len + 2) / 3) + 1);
    /* EVP_EncodeBlock takes an int length; pack files are bounded far below that by the loader. */
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

int mez_pack_base64_decode(apr_pool_t *p, const char *text, size_t len, unsigned char **out, size_t *outlen)
{
    size_t pad = 0;
    unsigned char *buf;
    int n;

    /* EVP_DecodeBlock skips whitespace and does not report padding; check the alphabet and padding first so
     * exactly one text decodes to given bytes (a bundle's content must not be malleable). */
    if (len % 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '=') {
            if (i < len - 2)
                return -1;
            pad++;
        }
        else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
                          || c == '/')) {
            return -1;
        }
    }
    buf = apr_palloc(p, len / 4 * 3 + 1);
    if (len == 0) {
        *out = buf;
        *outlen = 0;
        return 0;
    }
    n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
    if (n < 0 || (size_t)n < pad)
        return -1;
    *out = buf;
    *outlen = (size_t)n - pad;
    /* Reject non-canonical encodings (unused low bits set), which would give two texts for one content. */
    if (strcmp(mez_pack_base64_encode(p, buf, *outlen), apr_pstrmemdup(p, text, len)))
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ digests */

static int path_compare(const void *a, const void *b)
{
    const mez_pack_file_t *x = a, *y = b;
    return strcmp(x->path, y->path);    /* bytewise on UTF-8, as the reference's BTreeMap<String> orders */
}

mez_status_t mez_pack_lawpack_digest(apr_pool_t *p, const mez_pack_file_t *files, size_t nfiles, mez_digest_t *out,
                                     mez_problem_t *pb)
{
    mez_pack_file_t *sorted = apr_pmemdup(p, files, (nfiles ? nfiles : 1) * sizeof(*files));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = MEZ_DIGEST_LEN;
    int ok;

    if (!md)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "digest.internal", NULL, "out of memory");
    qsort(sorted, nfiles, sizeof(*sorted), path_compare);
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, LAW_PREFIX, sizeof(LAW_PREFIX));
    for (size_t i = 0; ok && i < nfiles; i++) {
        if (i > 0 && !strcmp(sorted[i - 1].path, sorted[i].path)) {
            EVP_MD_CTX_free(md);
            return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.duplicate_path", NULL,
                               "the lawpack names the file %s twice", sorted[i].path);
        }
        /* path, NUL, bytes, NUL: strlen + 1 takes the path's own terminating NUL as the separator. */
        ok = EVP_DigestUpdate(md, sorted[i].path, strlen(sorted[i].path) + 1)
             && EVP_DigestUpdate(md, sorted[i].data, sorted[i].len) && EVP_DigestUpdate(md, "", 1);
    }
    ok = ok && EVP_DigestFinal_ex(md, out->bytes, &n);
    EVP_MD_CTX_free(md);
    if (!ok)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "digest.internal", NULL, "SHA-256 failed");
    return MEZ_OK;
}

/* SHA-256(prefix || "\0" || bytes); strlen + 1 takes the prefix's terminating NUL as the separator. */
static mez_status_t prefixed_digest(apr_pool_t *p, mez_pack_kind_t kind, const void *bytes, size_t len,
                                    mez_digest_t *out, mez_problem_t *pb)
{
    const char *prefix = kind == MEZ_PACK_REG ? REG_PREFIX : LICENSE_PREFIX;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = MEZ_DIGEST_LEN;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, prefix, strlen(prefix) + 1)
             && EVP_DigestUpdate(md, bytes, len) && EVP_DigestFinal_ex(md, out->bytes, &n);
    EVP_MD_CTX_free(md);
    if (!ok)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "digest.internal", NULL, "SHA-256 failed");
    return MEZ_OK;
}

mez_status_t mez_pack_model_digest(apr_pool_t *p, mez_pack_kind_t kind, const json_t *model, mez_digest_t *out,
                                   mez_problem_t *pb)
{
    const char *c;
    size_t n;
    mez_status_t rv;
    /* The reference (regpack.rs) hashes metadata, the sanctions snapshot, regulator ids and deadlines only, so
     * rates, reporting requirements and regulator bodies could change without changing its digest. mez hashes
     * the whole canonical model instead: any change to any row is a new digest. */
    if (kind != MEZ_PACK_REG && kind != MEZ_PACK_LICENSE)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "pack.internal", NULL,
                           "a lawpack digest covers its files, not its model");
    if ((rv = mez_json_canonicalize(p, model, &c, &n, pb)) != MEZ_OK)
        return rv;
    return prefixed_digest(p, kind, c, n, out, pb);
}

const char *mez_pack_digest_string(apr_pool_t *p, const mez_pack_t *pack)
{
    return mez_digest_format(p, &pack->digest);
}

/* ------------------------------------------------------------------ CAS form */

mez_status_t mez_pack_artifact(apr_pool_t *p, const mez_pack_t *pack, const char **bytes, size_t *len,
                               mez_problem_t *pb)
{
    json_t *archive, *files;
    if (pack->kind != MEZ_PACK_LAW)
        return mez_json_canonicalize(p, pack->model, bytes, len, pb);
    archive = mez_json_pool_own(p, json_object());
    files = json_array();
    json_object_set_new(archive, "format", json_string(MEZ_PACK_LAW_ARCHIVE));
    json_object_set_new(archive, "files", files);
    for (int i = 0; i < pack->files->nelts; i++) {
        const mez_pack_file_t *f = &APR_ARRAY_IDX(pack->files, i, mez_pack_file_t);
        json_t *entry = json_object();
        json_object_set_new(entry, "path", json_string(f->path));
        json_object_set_new(entry, "content_base64", json_string(mez_pack_base64_encode(p, f->data, f->len)));
        json_array_append_new(files, entry);
    }
    return mez_json_canonicalize(p, archive, bytes, len, pb);
}

static mez_status_t bad_archive(apr_pool_t *p, mez_problem_t *pb, const char *pointer, const char *why)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.invalid_archive", pointer, "not a %s document: %s",
                       MEZ_PACK_LAW_ARCHIVE, why);
}

mez_status_t mez_pack_archive_files(apr_pool_t *p, const void *bytes, size_t len, apr_array_header_t **files,
                                    mez_problem_t *pb)
{
    json_t *doc, *list, *entry;
    const char *canon;
    size_t clen, i;
    mez_status_t rv;

    if ((rv = mez_json_parse(p, bytes, len, &doc, pb)) != MEZ_OK)
        return bad_archive(p, pb, "", pb && pb->detail ? pb->detail : "not JSON");
    /* Only the canonical bytes are accepted, so one lawpack has exactly one CAS form. */
    if ((rv = mez_json_canonicalize(p, doc, &canon, &clen, pb)) != MEZ_OK || clen != len
        || memcmp(canon, bytes, len))
        return bad_archive(p, pb, "", "the bytes are not RFC 8785 canonical JSON");
    if (!json_is_object(doc) || json_object_size(doc) != 2
        || !json_is_string(json_object_get(doc, "format"))
        || strcmp(json_string_value(json_object_get(doc, "format")), MEZ_PACK_LAW_ARCHIVE)
        || !json_is_array(list = json_object_get(doc, "files")))
        return bad_archive(p, pb, "", "it must be {\"format\": \"" MEZ_PACK_LAW_ARCHIVE "\", \"files\": [...]}");
    *files = apr_array_make(p, (int)json_array_size(list) + 1, sizeof(mez_pack_file_t));
    /* The lawpack digest frames each file as path NUL bytes NUL, in path order, without lengths. An archive
     * must therefore list its files exactly as the digest reads them (strictly sorted by path, each once) and
     * no path may hold a NUL (JSON allows \u0000, and the digest would stop at it): otherwise a reordered list,
     * or a path with "\u0000junk" appended, is a second archive with the genuine CAS address. */
    json_array_foreach(list, i, entry) {
        const char *ptr = mez_pointer_index(p, "/files", i);
        const json_t *path = json_object_get(entry, "path"), *b64 = json_object_get(entry, "content_base64");
        mez_pack_file_t *f;
        unsigned char *data;
        size_t dlen;
        if (!json_is_object(entry) || json_object_size(entry) != 2 || !json_is_string(path) || !json_is_string(b64))
            return bad_archive(p, pb, ptr, "each file is {\"path\", \"content_base64\"}");
        if (memchr(json_string_value(path), '\0', json_string_length(path)))
            return bad_archive(p, pb, ptr, "a file path must not contain NUL");
        if (!mez_pack_path_ok(json_string_value(path)))
            return bad_archive(p, pb, ptr, "a file path must be relative, without '..' or empty segments");
        if (i > 0 && strcmp(APR_ARRAY_IDX(*files, (int)i - 1, mez_pack_file_t).path, json_string_value(path)) >= 0)
            return bad_archive(p, pb, ptr, "the files must be listed once each, sorted by path");
        if (mez_pack_base64_decode(p, json_string_value(b64), json_string_length(b64), &data, &dlen))
            return bad_archive(p, pb, ptr, "content_base64 is not canonical base64");
        f = apr_array_push(*files);
        f->path = apr_pstrdup(p, json_string_value(path));
        f->data = data;
        f->len = dlen;
    }
    return MEZ_OK;
}

mez_status_t mez_pack_artifact_digest(apr_pool_t *p, mez_pack_kind_t kind, const void *bytes, size_t len,
                                      mez_digest_t *out, mez_problem_t *pb)
{
    apr_array_header_t *files;
    mez_status_t rv;
    switch (kind) {
    case MEZ_PACK_REG:
    case MEZ_PACK_LICENSE:
        return prefixed_digest(p, kind, bytes, len, out, pb);
    case MEZ_PACK_LAW:
        if ((rv = mez_pack_archive_files(p, bytes, len, &files, pb)) != MEZ_OK)
            return rv;
        return mez_pack_lawpack_digest(p, (const mez_pack_file_t *)files->elts, (size_t)files->nelts, out, pb);
    }
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "pack.internal", NULL, "unknown pack kind");
}
