/* test_cas.c: CUnit suite for the content-addressed store: put/get/has/verify, tamper detection, closures with
 * missing or corrupt references, and witness bundles (round trip; tampered bundles refused with nothing written). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "unit.h"

static mez_cas_t *fresh_store(const char **datadir)
{
    mez_cas_t *cas = NULL;
    mez_problem_t pb = { 0 };
    const char *dir = unit_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL_FATAL(mez_cas_open(unit_pool(), dir, 1, &cas, &pb), MEZ_OK);
    if (datadir)
        *datadir = dir;
    return cas;
}

/* Regular files under dir, recursively (what a failed operation must not have changed). */
static int count_files(const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;
    if (apr_dir_open(&d, dir, unit_pool()) != APR_SUCCESS)
        return 0;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        if (!strcmp(fi.name, ".") || !strcmp(fi.name, ".."))
            continue;
        if (fi.filetype == APR_DIR)
            n += count_files(apr_pstrcat(unit_pool(), dir, "/", fi.name, NULL));
        else
            n++;
    }
    apr_dir_close(d);
    return n;
}

static mez_digest_t put(mez_cas_t *cas, const char *type, const char *content)
{
    mez_digest_t d;
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_cas_put(unit_pool(), cas, type, content, strlen(content), NULL, &d, &pb);
    if (rv != MEZ_OK)
        fprintf(stderr, "\nput failed: %s: %s\n", pb.code, pb.detail);
    CU_ASSERT_EQUAL_FATAL(rv, MEZ_OK);
    return d;
}

/* A JSON artifact naming the given artifacts. */
static const char *node(const char *name, int n, const char *const *types, const mez_digest_t *refs)
{
    const char *list = "";
    for (int i = 0; i < n; i++)
        list = apr_psprintf(unit_pool(), "%s%s{\"type\":\"%s\",\"digest\":\"%s\",\"role\":\"part\"}", list,
                            i ? "," : "", types[i], mez_digest_format(unit_pool(), &refs[i]));
    return apr_psprintf(unit_pool(), "{\"name\":\"%s\",\"references\":[%s]}", name, list);
}

static const char *path_of(const char *datadir, const char *type, const mez_digest_t *d)
{
    return apr_pstrcat(unit_pool(), datadir, "/cas/", type, "/", mez_digest_hex(unit_pool(), d), NULL);
}

/* Overwrites a stored (read-only) artifact, as an attacker or a failing disk would. */
static void tamper(const char *path, const char *content)
{
    apr_file_t *f;
    apr_size_t n = strlen(content);
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE, APR_OS_DEFAULT, unit_pool()),
                          APR_SUCCESS);
    apr_file_write_full(f, content, n, &n);
    apr_file_close(f);
}

static void test_put_get_has_verify(void)
{
    apr_pool_t *p = unit_pool();
    const char *datadir, *data;
    mez_cas_t *cas = fresh_store(&datadir);
    mez_problem_t pb = { 0 };
    mez_digest_t d = put(cas, "note", "hello"), expected, other;
    struct stat st;
    size_t len;

    mez_digest_sha256("hello", 5, &expected);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &expected));
    CU_ASSERT_TRUE(mez_cas_has(p, cas, "note", &d));
    CU_ASSERT_FALSE(mez_cas_has(p, cas, "other", &d));
    CU_ASSERT_EQUAL(mez_cas_get(p, cas, "note", &d, &data, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_EQUAL(memcmp(data, "hello", 5), 0);
    CU_ASSERT_EQUAL(mez_cas_verify(p, cas, "note", &d, &pb), MEZ_OK);
    /* Stored read-only, under <datadir>/cas/<type>/<hex>, with no temporary file left behind. */
    CU_ASSERT_EQUAL_FATAL(stat(path_of(datadir, "note", &d), &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0444);
    CU_ASSERT_EQUAL_FATAL(stat(apr_pstrcat(p, datadir, "/cas/note", NULL), &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0700, 0700);
    CU_ASSERT_EQUAL(st.st_mode & 0007, 0);
    CU_ASSERT_EQUAL(count_files(datadir), 1);
    /* Putting it again is a no-op. */
    put(cas, "note", "hello");
    CU_ASSERT_EQUAL(count_files(datadir), 1);

    /* A wrong expected digest writes nothing. */
    mez_digest_sha256("bye", 3, &other);
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "note", "hello!", 6, &other, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.digest_mismatch");
    CU_ASSERT_EQUAL(count_files(datadir), 1);
    CU_ASSERT_EQUAL(mez_cas_get(p, cas, "note", &other, &data, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.not_found");
    CU_ASSERT_EQUAL(pb.status, 404);
    /* Types are one safe path segment. */
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "../x", "a", 1, NULL, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_type");
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "Note", "a", 1, NULL, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "", "a", 1, NULL, NULL, &pb), MEZ_EINVAL);
    /* Opening a directory that is no store, without create, fails. */
    {
        mez_cas_t *none;
        CU_ASSERT_EQUAL(mez_cas_open(p, unit_tmpdir(), 0, &none, &pb), MEZ_EIO);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.no_store");
    }
    /* Finding by digest alone. */
    {
        apr_array_header_t *types;
        CU_ASSERT_EQUAL(mez_cas_find(p, cas, &d, &types, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(types->nelts, 1);
        CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(types, 0, const char *), "note");
    }
}

/* A store's directory replaced by a symbolic link (by whoever may write the data directory: the httpd user) is
 * refused, never followed: httpd's parent writes the store as root at every start. Nothing lands behind the
 * link; the store's own files and modes are as a put leaves them. */
static void test_links_refused(void)
{
    const char *datadir, *outside = unit_tmpdir();
    mez_cas_t *cas = fresh_store(&datadir), *again = NULL;
    mez_problem_t pb = { 0 };
    mez_digest_t d = put(cas, "note", "{\"note\": \"first\"}");
    const char *file = apr_pstrcat(unit_pool(), datadir, "/cas/note/", mez_digest_hex(unit_pool(), &d), NULL);
    const char *linked = apr_pstrcat(unit_pool(), datadir, "/cas/memo", NULL);
    struct stat st;

    CU_ASSERT_EQUAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0444);
    /* cas/<type> a link to another directory. */
    CU_ASSERT_EQUAL_FATAL(symlink(outside, linked), 0);
    CU_ASSERT_EQUAL(mez_cas_put(unit_pool(), cas, "memo", "{}", 2, NULL, NULL, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.unsafe_store");
    CU_ASSERT_EQUAL(count_files(outside), 0);
    /* cas/ itself a link: refused when opened, and by a store opened before the swap. */
    CU_ASSERT_EQUAL_FATAL(rename(apr_pstrcat(unit_pool(), datadir, "/cas", NULL),
                                 apr_pstrcat(unit_pool(), datadir, "/cas.real", NULL)), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(outside, apr_pstrcat(unit_pool(), datadir, "/cas", NULL)), 0);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_cas_open(unit_pool(), datadir, 1, &again, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.unsafe_store");
    CU_ASSERT_PTR_NULL(again);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_cas_put(unit_pool(), cas, "note", "{\"note\": \"second\"}", 19, NULL, NULL, &pb),
                    MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.unsafe_store");
    CU_ASSERT_EQUAL(count_files(outside), 0);
}

static void test_tamper_detected_and_repaired(void)
{
    apr_pool_t *p = unit_pool();
    const char *datadir, *data;
    mez_cas_t *cas = fresh_store(&datadir);
    mez_problem_t pb = { 0 };
    mez_digest_t d = put(cas, "note", "the original");
    size_t len;

    tamper(path_of(datadir, "note", &d), "the forgery");
    CU_ASSERT_TRUE(mez_cas_has(p, cas, "note", &d));          /* present... */
    CU_ASSERT_EQUAL(mez_cas_verify(p, cas, "note", &d, &pb), MEZ_EINVAL);   /* ...but not valid */
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.corrupt");
    CU_ASSERT_EQUAL(mez_cas_get(p, cas, "note", &d, &data, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(data);
    /* Putting the true content replaces the corrupt file. */
    put(cas, "note", "the original");
    CU_ASSERT_EQUAL(mez_cas_verify(p, cas, "note", &d, &pb), MEZ_OK);
}

static void test_pack_types(void)
{
    apr_pool_t *p = unit_pool();
    mez_cas_t *cas = fresh_store(NULL);
    mez_problem_t pb = { 0 };
    const char *sql = getenv("MEZ_SQL_SOURCE"), *bytes;
    const char *junk = "{\"format\":\"mez-regpack/1\"}";
    mez_pack_options_t opts = { 0 };
    mez_pack_t *pack = NULL;
    mez_digest_t d;
    size_t len;
    /* A regpack is named by its pack digest (of its canonical form), not by SHA-256 of its bytes. */
    CU_ASSERT_EQUAL_FATAL(mez_pack_load(p, apr_pstrcat(p, sql && *sql ? sql : "sql",
                                                       "/../packs/pk/regpacks/pk-aml-cft.yaml", NULL),
                                        &opts, &pack, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_pack_artifact(p, pack, &bytes, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "regpack", bytes, len, NULL, &d, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&d, &pack->digest));
    CU_ASSERT_EQUAL(mez_cas_verify(p, cas, "regpack", &d, &pb), MEZ_OK);
    /* Bytes that are no regpack (here: a model that does not validate), or a regpack not in its canonical form
     * (the same model with a space), are not stored under the type. */
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "regpack", junk, strlen(junk), NULL, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_content");
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "licensepack", "not json", 8, NULL, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_content");
    {
        char *spaced = apr_pstrcat(p, " ", apr_pstrmemdup(p, bytes, len), NULL);
        CU_ASSERT_EQUAL(mez_cas_put(p, cas, "regpack", spaced, len + 1, NULL, &d, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_content");
    }
    /* A lawpack must be a canonical archive. */
    CU_ASSERT_EQUAL(mez_cas_put(p, cas, "lawpack", "not json", 8, NULL, &d, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_content");
}

static void test_closure(void)
{
    apr_pool_t *p = unit_pool();
    const char *datadir;
    mez_cas_t *cas = fresh_store(&datadir);
    mez_problem_t pb = { 0 };
    const char *const t2[] = { "note", "part" };
    apr_array_header_t *closure;
    mez_digest_t leaf, b, c, root, parts[2];
    const char *leaf_path;

    /* A diamond: root -> (leaf, b), b -> leaf; c -> leaf twice. Each artifact is verified once. */
    leaf = put(cas, "note", "leaf");
    parts[0] = leaf;
    b = put(cas, "part", node("b", 1, t2, parts));
    parts[1] = b;
    root = put(cas, "lock", node("root", 2, t2, parts));
    CU_ASSERT_EQUAL_FATAL(mez_cas_verify_closure(p, cas, "lock", &root, &closure, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(closure->nelts, 3);
    CU_ASSERT_TRUE(mez_digest_equal(&APR_ARRAY_IDX(closure, 0, mez_cas_ref_t).digest, &root));
    parts[1] = leaf;
    {
        const char *const tt[] = { "note", "note" };
        c = put(cas, "part", node("c", 2, tt, parts));
        CU_ASSERT_EQUAL(mez_cas_verify_closure(p, cas, "part", &c, &closure, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(closure->nelts, 2);
    }
    /* A corrupt leaf makes every artifact above it invalid, and says which and by whom. */
    leaf_path = path_of(datadir, "note", &leaf);
    tamper(leaf_path, "leaf?");
    CU_ASSERT_EQUAL(mez_cas_verify(p, cas, "lock", &root, &pb), MEZ_OK);      /* itself intact */
    CU_ASSERT_EQUAL(mez_cas_verify_closure(p, cas, "lock", &root, &closure, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.corrupt_reference");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, mez_digest_format(p, &leaf)));
    /* A missing one likewise. */
    CU_ASSERT_EQUAL(apr_file_remove(leaf_path, p), APR_SUCCESS);
    CU_ASSERT_EQUAL(mez_cas_verify_closure(p, cas, "part", &b, &closure, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.missing_reference");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/references/0");
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, mez_digest_format(p, &b)));
    /* A missing root is not found, not a missing reference. */
    CU_ASSERT_EQUAL(mez_cas_verify_closure(p, cas, "note", &leaf, &closure, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "cas.not_found");
    /* Malformed references are refused at the door. */
    {
        const char *bad = "{\"references\":[{\"type\":\"note\",\"digest\":\"abc\"}]}";
        CU_ASSERT_EQUAL(mez_cas_put(p, cas, "lock", bad, strlen(bad), NULL, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_references");
        CU_ASSERT_PTR_NOT_NULL_FATAL(pb.pointer);
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/references/0");
    }
    /* A reference read whole: a digest or type with a NUL and more after it is not the digest or type before it
     * (as C text it was, and the junk rode along unseen). */
    {
        const char *bad = apr_pstrcat(p, "{\"references\":[{\"type\":\"note\",\"digest\":\"",
                                      mez_digest_format(p, &b), "\\u0000junk\"}]}", NULL);
        apr_array_header_t *refs;
        CU_ASSERT_EQUAL(mez_cas_references(p, bad, strlen(bad), &refs, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_references");
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/references/0");
        bad = apr_pstrcat(p, "{\"references\":[{\"type\":\"note\\u0000x\",\"digest\":\"",
                          mez_digest_format(p, &b), "\"}]}", NULL);
        CU_ASSERT_EQUAL(mez_cas_references(p, bad, strlen(bad), &refs, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_references");
        CU_ASSERT_EQUAL(mez_cas_put(p, cas, "lock", bad, strlen(bad), NULL, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "cas.invalid_references");
    }
    /* Bytes that merely mention a digest, or are not JSON, reference nothing. */
    {
        apr_array_header_t *refs;
        const char *text = "see sha256:2d19caa7c652a889a45d841c49869256d6e98664fa6e81e95014b69e70dc5eff";
        CU_ASSERT_EQUAL(mez_cas_references(p, text, strlen(text), &refs, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(refs->nelts, 0);
    }
}

/* A store with root -> (a, b), b -> a, and an unrelated artifact. */
static mez_digest_t populate(mez_cas_t *cas)
{
    const char *const types[] = { "note", "part" };
    mez_digest_t parts[2];
    parts[0] = put(cas, "note", "alpha");
    parts[1] = put(cas, "part", node("b", 1, types, parts));
    put(cas, "note", "unrelated");
    return put(cas, "lock", node("root", 2, types, parts));
}

static const char *export_bundle(mez_cas_t *cas, const mez_digest_t *root)
{
    mez_problem_t pb = { 0 };
    const char *out = apr_pstrcat(unit_pool(), unit_tmpdir(), "/witness.json", NULL);
    CU_ASSERT_EQUAL_FATAL(mez_bundle_export(unit_pool(), cas, "lock", root, out, &pb), MEZ_OK);
    return out;
}

static void test_bundle_round_trip(void)
{
    apr_pool_t *p = unit_pool();
    mez_cas_t *src = fresh_store(NULL), *dst;
    const char *dstdir;
    mez_digest_t root = populate(src);
    mez_problem_t pb = { 0 };
    mez_cas_ref_t got;
    apr_array_header_t *closure;
    int count = 0;
    const char *file = export_bundle(src, &root);
    json_t *doc;

    CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, file, &doc, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "format")), MEZ_BUNDLE_FORMAT);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "artifacts")), 3);   /* the closure, not "unrelated" */

    dst = fresh_store(&dstdir);
    CU_ASSERT_EQUAL_FATAL(mez_bundle_import_file(p, dst, file, &got, &count, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count, 3);
    CU_ASSERT_STRING_EQUAL(got.type, "lock");
    CU_ASSERT_TRUE(mez_digest_equal(&got.digest, &root));
    CU_ASSERT_EQUAL(mez_cas_verify_closure(p, dst, "lock", &root, &closure, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(closure->nelts, 3);
    CU_ASSERT_EQUAL(count_files(dstdir), 3);
    /* Importing twice changes nothing. */
    CU_ASSERT_EQUAL(mez_bundle_import_file(p, dst, file, &got, &count, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(count_files(dstdir), 3);
    /* Exporting a closure that does not verify is refused. */
    {
        mez_digest_t missing;
        mez_digest_sha256("nothing", 7, &missing);
        CU_ASSERT_EQUAL(mez_bundle_export(p, src, "lock", &missing, apr_pstrcat(p, unit_tmpdir(), "/x.json", NULL),
                                          &pb), MEZ_EINVAL);
    }
}

/* Imports an edited copy of a good bundle into an empty store and checks it is refused with nothing written. */
static void refused_bundle(json_t *doc, const char *code)
{
    apr_pool_t *p = unit_pool();
    const char *dstdir;
    mez_cas_t *dst = fresh_store(&dstdir);
    mez_problem_t pb = { 0 };
    const char *text = mez_json_dump(p, doc, 0);
    CU_ASSERT_EQUAL(mez_bundle_import(p, dst, text, strlen(text), NULL, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code))
        fprintf(stderr, "\nexpected %s, got %s: %s\n", code, pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(count_files(dstdir), 0);
}

static void test_bundle_tampered(void)
{
    apr_pool_t *p = unit_pool();
    mez_cas_t *src = fresh_store(NULL);
    mez_digest_t root = populate(src);
    mez_problem_t pb = { 0 };
    const char *file = export_bundle(src, &root);
    json_t *good, *doc, *arts;

    CU_ASSERT_EQUAL_FATAL(mez_json_parse_file(p, file, &good, &pb), MEZ_OK);

    /* One artifact's content changed (the last, so the others would verify): nothing is written. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    arts = json_object_get(doc, "artifacts");
    json_object_set_new(json_array_get(arts, json_array_size(arts) - 1), "content_base64",
                        json_string(mez_pack_base64_encode(p, "alphA", 5)));
    refused_bundle(doc, "bundle.digest_mismatch");

    /* A referenced artifact left out. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_array_remove(json_object_get(doc, "artifacts"), 2);
    refused_bundle(doc, "bundle.missing_reference");

    /* An artifact the root does not reach. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    {
        json_t *extra = json_object();
        mez_digest_t d;
        mez_digest_sha256("stowaway", 8, &d);
        json_object_set_new(extra, "type", json_string("note"));
        json_object_set_new(extra, "digest", json_string(mez_digest_format(p, &d)));
        json_object_set_new(extra, "content_base64", json_string(mez_pack_base64_encode(p, "stowaway", 8)));
        json_array_append_new(json_object_get(doc, "artifacts"), extra);
    }
    refused_bundle(doc, "bundle.unreachable");

    /* The same artifact twice. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_array_append(json_object_get(doc, "artifacts"), json_array_get(json_object_get(doc, "artifacts"), 1));
    refused_bundle(doc, "bundle.duplicate");

    /* A root that is not in it, broken base64, an unknown member, the wrong format. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_object_set_new(json_object_get(doc, "root"), "type", json_string("part"));
    refused_bundle(doc, "bundle.missing_reference");
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_object_set_new(json_array_get(json_object_get(doc, "artifacts"), 0), "content_base64", json_string("!!"));
    refused_bundle(doc, "bundle.invalid");
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_object_set_new(doc, "signature", json_string("x"));
    refused_bundle(doc, "bundle.invalid");
    doc = mez_json_pool_own(p, json_deep_copy(good));
    json_object_set_new(doc, "format", json_string("mez-bundle/2"));
    refused_bundle(doc, "bundle.invalid");
    /* The root's digest, or an artifact's, with a NUL and junk after it: as C text it was the digest. */
    doc = mez_json_pool_own(p, json_deep_copy(good));
    {
        json_t *root_ref = json_object_get(doc, "root");
        const char *d = json_string_value(json_object_get(root_ref, "digest"));
        char *buf = apr_pstrcat(p, d, "_junk", NULL);
        buf[strlen(d)] = '\0';
        json_object_set_new(root_ref, "digest", json_stringn(buf, strlen(d) + 5));
    }
    refused_bundle(doc, "bundle.invalid");
    doc = mez_json_pool_own(p, json_deep_copy(good));
    {
        json_t *art = json_array_get(json_object_get(doc, "artifacts"), 0);
        const char *d = json_string_value(json_object_get(art, "digest"));
        char *buf = apr_pstrcat(p, d, "_junk", NULL);
        buf[strlen(d)] = '\0';
        json_object_set_new(art, "digest", json_stringn(buf, strlen(d) + 5));
    }
    refused_bundle(doc, "bundle.invalid");
    {
        const char *dstdir;
        mez_cas_t *dst = fresh_store(&dstdir);
        CU_ASSERT_EQUAL(mez_bundle_import(p, dst, "{", 1, NULL, NULL, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "bundle.invalid");
        CU_ASSERT_EQUAL(count_files(dstdir), 0);
    }
}

void unit_register_cas(void)
{
    CU_pSuite s = unit_suite("cas");
    CU_add_test(s, "put, get, has, verify; nothing written on a digest mismatch", test_put_get_has_verify);
    CU_add_test(s, "a store's directory that is a symbolic link is refused, never written through", test_links_refused);
    CU_add_test(s, "a tampered artifact is detected and repaired by a put", test_tamper_detected_and_repaired);
    CU_add_test(s, "pack types are named by their pack digest", test_pack_types);
    CU_add_test(s, "closure: shared references once, missing and corrupt ones named", test_closure);
    CU_add_test(s, "bundle: export and import round trip", test_bundle_round_trip);
    CU_add_test(s, "bundle: tampered or incomplete bundles refused, nothing written", test_bundle_tampered);
}
