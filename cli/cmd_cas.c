/* cmd_cas.c: `mez cas put|get|has|verify` and `mez bundle export|import`, the content-addressed store and its
 * witness bundles from the command line, over the same library functions the zone uses. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/cas.h"
#include "mez/digest.h"
#include "mez/yaml.h"
#include "mez_cli.h"

static int open_store(apr_pool_t *p, const char *datadir, int create, mez_cas_t **cas)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_cas_open(p, datadir, create, cas, &pb);
    if (rv != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

static int parse_digest(apr_pool_t *p, const char *s, mez_digest_t *d)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_digest_parse(p, s, d, &pb);
    if (rv != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

/* The artifact's type: given, or the one type the store holds the digest under. */
static int resolve_type(apr_pool_t *p, mez_cas_t *cas, const char *given, const mez_digest_t *d, const char **type,
                        int missing_rc)
{
    apr_array_header_t *types;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    if (given) {
        *type = given;
        return MEZ_EXIT_OK;
    }
    if ((rv = mez_cas_find(p, cas, d, &types, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (types->nelts == 1) {
        *type = APR_ARRAY_IDX(types, 0, const char *);
        return MEZ_EXIT_OK;
    }
    if (types->nelts == 0) {
        fprintf(stderr, "mez: cas.not_found: %s is not in the store\n", mez_digest_format(p, d));
        return missing_rc;
    }
    fprintf(stderr, "mez: the store holds %s under several types; name one with --type\n", mez_digest_format(p, d));
    return MEZ_EXIT_USAGE;
}

static int read_input(apr_pool_t *p, const char *path, char **buf, size_t *len)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    if (strcmp(path, "-")) {
        rv = mez_yaml_read_file(p, path, MEZ_CAS_MAX_ARTIFACT, buf, len, &pb);
        if (rv != MEZ_OK) {
            mez_cli_fail(&pb, rv);
            return MEZ_EXIT_USAGE;
        }
        return MEZ_EXIT_OK;
    }
    {
        apr_file_t *in;
        size_t cap = 65536;
        *buf = apr_palloc(p, cap + 1);
        *len = 0;
        if (apr_file_open_stdin(&in, p) != APR_SUCCESS) {
            fprintf(stderr, "mez: cannot read standard input\n");
            return MEZ_EXIT_USAGE;
        }
        for (;;) {
            apr_size_t n = cap - *len;
            apr_status_t st = apr_file_read(in, *buf + *len, &n);
            *len += n;
            if (st == APR_EOF)
                break;
            if (st != APR_SUCCESS || *len > MEZ_CAS_MAX_ARTIFACT) {
                fprintf(stderr, "mez: cannot read standard input (or more than %d bytes)\n", MEZ_CAS_MAX_ARTIFACT);
                return MEZ_EXIT_USAGE;
            }
            if (*len == cap) {
                char *nb = apr_palloc(p, cap * 2 + 1);
                memcpy(nb, *buf, *len);
                *buf = nb;
                cap *= 2;
            }
        }
        (*buf)[*len] = '\0';
        return MEZ_EXIT_OK;
    }
}

/* ------------------------------------------------------------------ cas */

static void usage_cas(FILE *out)
{
    fprintf(out,
        "usage: mez cas put --datadir D --type T [--digest sha256:<hex>] FILE|-\n"
        "       mez cas get --datadir D [--type T] [--out F] sha256:<hex>\n"
        "       mez cas has --datadir D [--type T] sha256:<hex>\n"
        "       mez cas verify --datadir D [--type T] [--shallow] sha256:<hex>\n"
        "The store keeps artifacts under D/cas/<type>/<hex>. Packs (types lawpack, regpack, licensepack) are\n"
        "named by their pack digest (store them with `mez pack build --datadir D`); other types by SHA-256 of\n"
        "the bytes. An artifact that is a JSON object with \"references\": [{type, digest}] is valid only when\n"
        "every artifact it references is present and valid, transitively.\n"
        "  put      stores FILE atomically and prints its digest; --digest: refuse unless it has that digest\n"
        "  get      prints the artifact (or writes it to F) after checking its digest\n"
        "  has      exit 0 when the store holds it, 1 when not\n"
        "  verify   recomputes the digest of the artifact and of its whole closure (--shallow: itself only)\n"
        "  --type T is needed by get, has and verify only when the digest is stored under several types.\n"
        "exit codes: 0 ok, 1 invalid, missing or corrupt, 2 usage or I/O error.\n");
}

static int cas_put(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *datadir = NULL, *type = NULL, *digest = NULL, *pos[1];
    const mez_cli_opt_t opts[] = { { "--datadir", &datadir, NULL }, { "--type", &type, NULL }, { "--digest", &digest, NULL },
                           { NULL, NULL, NULL } };
    mez_digest_t want, got;
    mez_problem_t pb = { 0 };
    mez_cas_t *cas;
    mez_status_t rv;
    char *buf;
    size_t len;
    int npos, rc;

    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "cas put") || npos != 1 || !datadir || !type) {
        usage_cas(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((digest && (rc = parse_digest(p, digest, &want)) != MEZ_EXIT_OK)
        || (rc = read_input(p, pos[0], &buf, &len)) != MEZ_EXIT_OK || (rc = open_store(p, datadir, 1, &cas)))
        return rc;
    if ((rv = mez_cas_put(p, cas, type, buf, len, digest ? &want : NULL, &got, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("%s\n", mez_digest_format(p, &got));
    return MEZ_EXIT_OK;
}

static int cas_read(apr_pool_t *p, int argc, const char *const *argv, const char *what)
{
    const char *datadir = NULL, *type = NULL, *out = NULL, *pos[1];
    int shallow = 0, npos, rc;
    const mez_cli_opt_t opts[] = { { "--datadir", &datadir, NULL }, { "--type", &type, NULL }, { "--out", &out, NULL },
                           { "--shallow", NULL, &shallow }, { NULL, NULL, NULL } };
    const char *cmd = apr_pstrcat(p, "cas ", what, NULL);
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    mez_cas_t *cas;
    mez_status_t rv;

    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, cmd) || npos != 1 || !datadir
        || (out && strcmp(what, "get")) || (shallow && strcmp(what, "verify"))) {
        usage_cas(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = parse_digest(p, pos[0], &d)) != MEZ_EXIT_OK || (rc = open_store(p, datadir, 0, &cas)) != MEZ_EXIT_OK
        || (rc = resolve_type(p, cas, type, &d, &type, MEZ_EXIT_INVALID)) != MEZ_EXIT_OK)
        return rc;

    if (!strcmp(what, "has")) {
        int has = mez_cas_has(p, cas, type, &d);
        printf("%s %s/%s\n", has ? "present" : "absent", type, mez_digest_format(p, &d));
        return has ? MEZ_EXIT_OK : MEZ_EXIT_INVALID;
    }
    if (!strcmp(what, "get")) {
        const char *data;
        size_t len;
        if ((rv = mez_cas_get(p, cas, type, &d, &data, &len, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        if (out) {
            /* Whole or not at all: written beside --out, synced and renamed over it (a link at --out is replaced,
             * not written through), so a failed write never leaves half an artifact where a whole one was. Only
             * over a file: a device or pipe (/dev/null) would be replaced by one; standard output is "no --out". */
            struct stat st;
            if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
                fprintf(stderr, "mez cas get: --out %s is not a regular file; leave --out out to write to standard "
                        "output\n", out);
                return MEZ_EXIT_USAGE;
            }
            if ((rv = mez_cas_write_file_atomic(p, out, data, len, 0644, &pb)) != MEZ_OK)
                return mez_cli_fail(&pb, rv);
        }
        else if (len && fwrite(data, 1, len, stdout) != len) {
            return MEZ_EXIT_USAGE;
        }
        return MEZ_EXIT_OK;
    }
    if (shallow) {
        if ((rv = mez_cas_verify(p, cas, type, &d, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        printf("ok %s/%s\n", type, mez_digest_format(p, &d));
    }
    else {
        apr_array_header_t *closure;
        if ((rv = mez_cas_verify_closure(p, cas, type, &d, &closure, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        printf("ok %s/%s (closure of %d artifact%s)\n", type, mez_digest_format(p, &d), closure->nelts,
               closure->nelts == 1 ? "" : "s");
        for (int i = 1; i < closure->nelts; i++) {
            const mez_cas_ref_t *r = &APR_ARRAY_IDX(closure, i, mez_cas_ref_t);
            printf("  %s/%s\n", r->type, mez_digest_format(p, &r->digest));
        }
    }
    return MEZ_EXIT_OK;
}

int mez_cmd_cas(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (mez_cli_wants_help(argc, argv)) {
        usage_cas(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "put")) return cas_put(p, argc - 1, argv + 1);
    if (!strcmp(sub, "get") || !strcmp(sub, "has") || !strcmp(sub, "verify"))
        return cas_read(p, argc - 1, argv + 1, sub);
    usage_cas(stderr);
    return MEZ_EXIT_USAGE;
}

/* ------------------------------------------------------------------ bundle */

static void usage_bundle(FILE *out)
{
    fprintf(out,
        "usage: mez bundle export --datadir D --root sha256:<hex> [--type T] --out F\n"
        "       mez bundle import --datadir D F\n"
        "A witness bundle is one JSON file {format: \"" MEZ_BUNDLE_FORMAT "\", root: {type, digest},\n"
        "artifacts: [{type, digest, content_base64}]} holding exactly the closure of its root.\n"
        "  export   verifies the closure of the root artifact in the store and writes it to F\n"
        "  import   checks every artifact of F (digest, references inside the bundle, all reachable from the\n"
        "           root) and only then stores them all; if anything fails, nothing is written\n"
        "exit codes: 0 ok, 1 invalid (the store is unchanged), 2 usage or I/O error.\n");
}

static int bundle_export(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *datadir = NULL, *root = NULL, *type = NULL, *out = NULL, *pos[1];
    const mez_cli_opt_t opts[] = { { "--datadir", &datadir, NULL }, { "--root", &root, NULL }, { "--type", &type, NULL },
                           { "--out", &out, NULL }, { NULL, NULL, NULL } };
    mez_problem_t pb = { 0 };
    mez_digest_t d;
    mez_cas_t *cas;
    mez_status_t rv;
    int npos, rc;

    if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "bundle export") || !datadir || !root || !out) {
        usage_bundle(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = parse_digest(p, root, &d)) != MEZ_EXIT_OK || (rc = open_store(p, datadir, 0, &cas)) != MEZ_EXIT_OK
        || (rc = resolve_type(p, cas, type, &d, &type, MEZ_EXIT_INVALID)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_bundle_export(p, cas, type, &d, out, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("exported %s/%s to %s\n", type, mez_digest_format(p, &d), out);
    return MEZ_EXIT_OK;
}

static int bundle_import(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *datadir = NULL, *pos[1];
    const mez_cli_opt_t opts[] = { { "--datadir", &datadir, NULL }, { NULL, NULL, NULL } };
    mez_problem_t pb = { 0 };
    mez_cas_ref_t root;
    mez_cas_t *cas;
    mez_status_t rv;
    int npos, rc, count;

    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "bundle import") || npos != 1 || !datadir) {
        usage_bundle(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = open_store(p, datadir, 1, &cas)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_bundle_import_file(p, cas, pos[0], &root, &count, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("imported %d artifact%s, root %s/%s\n", count, count == 1 ? "" : "s", root.type,
           mez_digest_format(p, &root.digest));
    return MEZ_EXIT_OK;
}

int mez_cmd_bundle(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (mez_cli_wants_help(argc, argv)) {
        usage_bundle(stdout);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "export")) return bundle_export(p, argc - 1, argv + 1);
    if (!strcmp(sub, "import")) return bundle_import(p, argc - 1, argv + 1);
    usage_bundle(stderr);
    return MEZ_EXIT_USAGE;
}
