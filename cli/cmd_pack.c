/* cmd_pack.c: `mez pack build|verify|show|manifest|section`, the pack trilogy checked offline with the same
 * library code mod_mez loads packs with, so an author sees every problem (file, line, field) before deploying. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "mez/cas.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/pack.h"
#include "mez_cli.h"

/* ------------------------------------------------------------------ arguments */

/* The AKN schema from --akn-xsd or MEZ_AKN_XSD. required: lawpacks cannot be built without it. */
static int load_schema(apr_pool_t *p, const char *path, const mez_akn_schema_t **schema)
{
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    *schema = NULL;
    if (!path || !*path)
        path = getenv(MEZ_AKN_XSD_ENV);
    if (!path || !*path)
        return MEZ_EXIT_OK;
    if ((rv = mez_akn_schema_load(p, path, schema, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

/* ------------------------------------------------------------------ build */

static void usage_build(FILE *out)
{
    fprintf(out,
        "usage: mez pack build [--akn-xsd XSD] [--datadir D] PATH...\n"
        "Validates packs and prints each one's kind, id, digest and a summary. PATH is a lawpack directory\n"
        "(holding lawpack.yaml), a regpack, licensepack or lawpack YAML file, or a jurisdiction directory\n"
        "(packs/pk): then every lawpacks/*/lawpack.yaml, regpacks/*.yaml and licensepacks/*.yaml under it is\n"
        "built, and each `law: {lawpack, eid}` citation is checked against the lawpacks found.\n"
        "Every problem is printed with its file, line, column and JSON pointer.\n"
        "  --akn-xsd XSD   Akoma Ntoso schema (akomantoso30.xsd); default $" MEZ_AKN_XSD_ENV "; lawpacks need it\n"
        "  --datadir D     also store each valid pack in the CAS under D/cas/<kind>/<digest>\n"
        "exit codes: 0 all valid, 1 a pack is invalid, 2 usage or I/O error.\n");
}

static int is_dir(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS && fi.filetype == APR_DIR;
}

static int is_file(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS && fi.filetype == APR_REG;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends, sorted, dir/<entry><suffix> for each entry of dir (directories when want_dir, else *.yaml files). */
static void scan(apr_pool_t *p, const char *dir, int want_dir, const char *suffix, apr_array_header_t *out)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_array_header_t *found = apr_array_make(p, 8, sizeof(const char *));
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        const char *path;
        if (fi.name[0] == '.')
            continue;
        if (want_dir) {
            path = apr_pstrcat(p, dir, "/", fi.name, suffix, NULL);
            if (fi.filetype == APR_DIR && is_file(p, path))
                *(const char **)apr_array_push(found) = path;
        }
        else if (fi.filetype == APR_REG && ((n > 5 && !strcmp(fi.name + n - 5, ".yaml"))
                                            || (n > 4 && !strcmp(fi.name + n - 4, ".yml")))) {
            *(const char **)apr_array_push(found) = apr_pstrcat(p, dir, "/", fi.name, NULL);
        }
    }
    apr_dir_close(d);
    qsort(found->elts, (size_t)found->nelts, sizeof(const char *), cmp_str);
    apr_array_cat(out, found);
}

static void print_summary(apr_pool_t *p, const mez_pack_t *pack)
{
    static const char *const sections[] = { "documents", "regulators", "withholding_rates", "thresholds",
                                            "obligations", "lists", "licence_types", NULL };
    const char *line = "";
    printf("%s %s %s\n", mez_pack_kind_name(pack->kind), pack->id, mez_pack_digest_string(p, pack));
    printf("  %s: %s (%s, %s, as of %s)\n", pack->path, pack->title, pack->jurisdiction_id, pack->domain,
           pack->as_of_date);
    for (int i = 0; sections[i]; i++) {
        const json_t *rows = json_object_get(pack->model, sections[i]);
        if (json_is_array(rows)) {
            size_t n = json_array_size(rows);
            if (!strcmp(sections[i], "lists")) {
                size_t entries = 0, k;
                const json_t *l;
                json_array_foreach(rows, k, l)
                    entries += json_array_size(json_object_get(l, "entries"));
                line = apr_psprintf(p, "%s%s%s %lu (%lu entries)", line, *line ? ", " : "", sections[i],
                                    (unsigned long)n, (unsigned long)entries);
            }
            else {
                line = apr_psprintf(p, "%s%s%s %lu", line, *line ? ", " : "", sections[i], (unsigned long)n);
            }
        }
    }
    printf("  sources %lu%s%s%s\n", (unsigned long)json_array_size(json_object_get(pack->model, "sources")),
           *line ? ", " : "", line,
           pack->sections ? apr_psprintf(p, ", eIds %u", apr_hash_count(pack->sections)) : "");
}

static int store(apr_pool_t *p, mez_cas_t *cas, const mez_pack_t *pack)
{
    const char *bytes;
    size_t len;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    if ((rv = mez_pack_artifact(p, pack, &bytes, &len, &pb)) != MEZ_OK
        || (rv = mez_cas_put(p, cas, mez_pack_kind_name(pack->kind), bytes, len, &pack->digest, NULL, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("  stored %s/%s\n", mez_pack_kind_name(pack->kind), mez_pack_digest_string(p, pack));
    return MEZ_EXIT_OK;
}

static int cmd_build(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *xsd = NULL, *datadir = NULL, *pos[64];
    const mez_cli_opt_t opts[] = { { "--akn-xsd", &xsd, NULL }, { "--datadir", &datadir, NULL }, { NULL, NULL, NULL } };
    const mez_akn_schema_t *schema;
    apr_array_header_t *paths = apr_array_make(p, 16, sizeof(const char *));
    apr_array_header_t *loaded = apr_array_make(p, 16, sizeof(mez_pack_t *));
    mez_cas_t *cas = NULL;
    int npos, rc = MEZ_EXIT_OK, scanned = 0;

    if (mez_cli_wants_help(argc, argv)) {
        usage_build(stdout);
        return MEZ_EXIT_OK;
    }
    if (mez_cli_parse_args(argc, argv, opts, pos, 64, &npos, "pack build") || npos == 0) {
        usage_build(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load_schema(p, xsd, &schema)) != MEZ_EXIT_OK)
        return rc;
    if (datadir) {
        mez_problem_t pb = { 0 };
        mez_status_t rv = mez_cas_open(p, datadir, 1, &cas, &pb);
        if (rv != MEZ_OK)
            return mez_cli_fail(&pb, rv);
    }
    for (int i = 0; i < npos; i++) {
        if (is_dir(p, pos[i]) && !is_file(p, apr_pstrcat(p, pos[i], "/" MEZ_PACK_LAW_MANIFEST, NULL))) {
            int before = paths->nelts;
            scan(p, apr_pstrcat(p, pos[i], "/lawpacks", NULL), 1, "/" MEZ_PACK_LAW_MANIFEST, paths);
            scan(p, apr_pstrcat(p, pos[i], "/regpacks", NULL), 0, NULL, paths);
            scan(p, apr_pstrcat(p, pos[i], "/licensepacks", NULL), 0, NULL, paths);
            if (paths->nelts == before) {
                fprintf(stderr, "mez pack build: no lawpacks/, regpacks/ or licensepacks/ packs under %s\n", pos[i]);
                return MEZ_EXIT_USAGE;
            }
            scanned = 1;
        }
        else {
            *(const char **)apr_array_push(paths) = pos[i];
        }
    }

    for (int i = 0; i < paths->nelts; i++) {
        const char *path = APR_ARRAY_IDX(paths, i, const char *);
        mez_pack_options_t lo = { schema, apr_array_make(p, 8, sizeof(mez_problem_t)), 100 };
        mez_problem_t pb = { 0 };
        mez_pack_t *pack;
        mez_status_t rv = mez_pack_load(p, path, &lo, &pack, &pb);
        if (rv == MEZ_OK && pack->kind == MEZ_PACK_LAW && !schema) {
            fprintf(stderr, "mez pack build: %s: a lawpack needs the Akoma Ntoso schema (--akn-xsd or $"
                    MEZ_AKN_XSD_ENV ")\n", path);
            rc = MEZ_EXIT_USAGE;
            continue;
        }
        /* Summaries go to stdout, problems to stderr; flushing keeps them in order when both go to one file. */
        fflush(stdout);
        if (rv != MEZ_OK) {
            fprintf(stderr, "INVALID %s (%d problem%s)\n", path, lo.problems->nelts ? lo.problems->nelts : 1,
                    lo.problems->nelts > 1 ? "s" : "");
            mez_cli_print_problems(lo.problems, &pb);
            if (rc != MEZ_EXIT_USAGE)
                rc = mez_cli_exit_for(rv);
            continue;
        }
        print_summary(p, pack);
        *(mez_pack_t **)apr_array_push(loaded) = pack;
    }

    /* Citations of statute sections hold only when every pack of a jurisdiction is built together. */
    if (scanned) {
        mez_pack_t **all = (mez_pack_t **)loaded->elts;
        for (int i = 0; i < loaded->nelts; i++) {
            mez_pack_options_t lo = { schema, apr_array_make(p, 8, sizeof(mez_problem_t)), 100 };
            mez_problem_t pb = { 0 };
            if (all[i]->kind == MEZ_PACK_LAW)
                continue;
            if (mez_pack_check_law_refs(p, all[i], all, (size_t)loaded->nelts, &lo, &pb) != MEZ_OK) {
                fflush(stdout);
                fprintf(stderr, "INVALID %s (%d unresolved law citation%s)\n", all[i]->path, lo.problems->nelts,
                        lo.problems->nelts > 1 ? "s" : "");
                mez_cli_print_problems(lo.problems, &pb);
                if (rc == MEZ_EXIT_OK)
                    rc = MEZ_EXIT_INVALID;
                all[i] = NULL;
            }
        }
    }
    if (cas && rc == MEZ_EXIT_OK) {
        for (int i = 0; i < loaded->nelts; i++) {
            int r = store(p, cas, APR_ARRAY_IDX(loaded, i, mez_pack_t *));
            if (r != MEZ_EXIT_OK)
                return r;
        }
    }
    else if (cas) {
        fprintf(stderr, "mez pack build: nothing stored, since not every pack is valid\n");
    }
    return rc;
}

/* ------------------------------------------------------------------ verify, show, manifest, section */

/* Loads one pack for the commands below, printing its problems. */
static int load_one(apr_pool_t *p, const char *path, const mez_akn_schema_t *schema, mez_pack_t **pack)
{
    mez_pack_options_t lo = { schema, apr_array_make(p, 8, sizeof(mez_problem_t)), 100 };
    mez_problem_t pb = { 0 };
    mez_status_t rv = mez_pack_load(p, path, &lo, pack, &pb);
    if (rv != MEZ_OK) {
        fflush(stdout);
        fprintf(stderr, "INVALID %s\n", path);
        mez_cli_print_problems(lo.problems, &pb);
        return mez_cli_exit_for(rv);
    }
    return MEZ_EXIT_OK;
}

static void usage_verify(FILE *out)
{
    fprintf(out,
        "usage: mez pack verify [--akn-xsd XSD] --digest sha256:<hex> PATH\n"
        "Validates the pack at PATH (as `mez pack build` does) and checks that its digest is the one given.\n"
        "exit codes: 0 valid with that digest, 1 invalid or another digest, 2 usage or I/O error.\n");
}

static int cmd_verify(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *xsd = NULL, *digest = NULL, *pos[1];
    const mez_cli_opt_t opts[] = { { "--akn-xsd", &xsd, NULL }, { "--digest", &digest, NULL }, { NULL, NULL, NULL } };
    const mez_akn_schema_t *schema;
    mez_problem_t pb = { 0 };
    mez_digest_t want;
    mez_pack_t *pack;
    mez_status_t rv;
    int npos, rc;

    if (mez_cli_wants_help(argc, argv)) {
        usage_verify(stdout);
        return MEZ_EXIT_OK;
    }
    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "pack verify") || npos != 1 || !digest) {
        usage_verify(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_digest_parse(p, digest, &want, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load_schema(p, xsd, &schema)) != MEZ_EXIT_OK || (rc = load_one(p, pos[0], schema, &pack)) != MEZ_EXIT_OK)
        return rc;
    if (pack->kind == MEZ_PACK_LAW && !schema) {
        fprintf(stderr, "mez pack verify: a lawpack needs the Akoma Ntoso schema (--akn-xsd or $" MEZ_AKN_XSD_ENV ")\n");
        return MEZ_EXIT_USAGE;
    }
    if (!mez_digest_equal(&want, &pack->digest)) {
        fprintf(stderr, "mez: pack.digest_mismatch: %s has digest %s, not %s\n", pos[0],
                mez_pack_digest_string(p, pack), digest);
        return MEZ_EXIT_INVALID;
    }
    printf("ok %s %s %s\n", mez_pack_kind_name(pack->kind), pack->id, mez_pack_digest_string(p, pack));
    return MEZ_EXIT_OK;
}

static void usage_show(FILE *out)
{
    fprintf(out,
        "usage: mez pack show [--akn-xsd XSD] [--manifest] PATH\n"
        "Prints the pack's validated JSON model (what its digest covers), or with --manifest its manifest.\n"
        "exit codes: 0 ok, 1 invalid, 2 usage or I/O error.\n");
}

static int cmd_show(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *xsd = NULL, *pos[1];
    int manifest = 0, npos, rc;
    const mez_cli_opt_t opts[] = { { "--akn-xsd", &xsd, NULL }, { "--manifest", NULL, &manifest }, { NULL, NULL, NULL } };
    const mez_akn_schema_t *schema;
    mez_pack_t *pack;

    if (mez_cli_wants_help(argc, argv)) {
        usage_show(stdout);
        return MEZ_EXIT_OK;
    }
    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "pack show") || npos != 1) {
        usage_show(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load_schema(p, xsd, &schema)) != MEZ_EXIT_OK || (rc = load_one(p, pos[0], schema, &pack)) != MEZ_EXIT_OK)
        return rc;
    if (manifest) {
        json_t *m;
        mez_problem_t pb = { 0 };
        mez_status_t rv = mez_pack_manifest(p, pack, &m, &pb);
        if (rv != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        printf("%s\n", mez_json_dump(p, m, 1));
    }
    else {
        printf("%s\n", mez_json_dump(p, pack->model, 1));
    }
    return MEZ_EXIT_OK;
}

static void usage_manifest(FILE *out)
{
    fprintf(out,
        "usage: mez pack manifest --key KEY.pem [--issuer ID] [--created TS] [--akn-xsd XSD] PATH\n"
        "Validates the pack and prints its manifest issued as a PackManifestCredential (VC 2.0,\n"
        "eddsa-jcs-2022) signed with the zone key KEY.pem.\n"
        "exit codes: 0 ok, 1 invalid, 2 usage or I/O error.\n");
}

static int cmd_manifest(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *xsd = NULL, *key_path = NULL, *issuer = NULL, *pos[1];
    mez_vc_proof_options_t vo = { 0 };
    const mez_cli_opt_t opts[] = { { "--akn-xsd", &xsd, NULL }, { "--key", &key_path, NULL }, { "--issuer", &issuer, NULL },
                           { "--created", &vo.created, NULL }, { NULL, NULL, NULL } };
    const mez_akn_schema_t *schema;
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    mez_key_t *key;
    json_t *vc;
    mez_status_t rv;
    int npos, rc;

    if (mez_cli_wants_help(argc, argv)) {
        usage_manifest(stdout);
        return MEZ_EXIT_OK;
    }
    if (mez_cli_parse_args(argc, argv, opts, pos, 1, &npos, "pack manifest") || npos != 1 || !key_path) {
        usage_manifest(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_key_load_private(p, key_path, &key, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load_schema(p, xsd, &schema)) != MEZ_EXIT_OK || (rc = load_one(p, pos[0], schema, &pack)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_pack_manifest_credential(p, pack, key, issuer, &vo, &vc, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("%s\n", mez_json_dump(p, vc, 1));
    return MEZ_EXIT_OK;
}

static void usage_section(FILE *out)
{
    fprintf(out,
        "usage: mez pack section [--akn-xsd XSD] LAWPACK EID\n"
        "Prints the element of the lawpack with that eId (num, heading, text) as JSON.\n"
        "exit codes: 0 found, 1 invalid pack or no such eId, 2 usage or I/O error.\n");
}

static int cmd_section(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *xsd = NULL, *pos[2];
    const mez_cli_opt_t opts[] = { { "--akn-xsd", &xsd, NULL }, { NULL, NULL, NULL } };
    const mez_akn_schema_t *schema;
    const mez_akn_section_t *s;
    mez_akn_text_t says;
    mez_problem_t pb = { 0 };
    mez_pack_t *pack;
    mez_status_t rv;
    json_t *o;
    int npos, rc;

    if (mez_cli_wants_help(argc, argv)) {
        usage_section(stdout);
        return MEZ_EXIT_OK;
    }
    if (mez_cli_parse_args(argc, argv, opts, pos, 2, &npos, "pack section") || npos != 2) {
        usage_section(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = load_schema(p, xsd, &schema)) != MEZ_EXIT_OK || (rc = load_one(p, pos[0], schema, &pack)) != MEZ_EXIT_OK)
        return rc;
    if ((rv = mez_pack_law_section(p, pack, pos[1], &s, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    mez_akn_section_text(p, s, &says);
    o = mez_json_pool_own(p, json_object());
    json_object_set_new(o, "eId", json_string(s->eid));
    json_object_set_new(o, "element", json_string(s->element));
    json_object_set_new(o, "num", says.num ? json_string(says.num) : json_null());
    json_object_set_new(o, "heading", says.heading ? json_string(says.heading) : json_null());
    json_object_set_new(o, "text", json_string(says.text));
    json_object_set_new(o, "document", json_string(s->document));
    json_object_set_new(o, "line", json_integer(s->line));
    printf("%s\n", mez_json_dump(p, o, 1));
    return MEZ_EXIT_OK;
}

static void usage_pack(FILE *out)
{
    fprintf(out,
        "usage: mez pack build [--akn-xsd XSD] [--datadir D] PATH...\n"
        "       mez pack verify [--akn-xsd XSD] --digest sha256:<hex> PATH\n"
        "       mez pack show [--akn-xsd XSD] [--manifest] PATH\n"
        "       mez pack manifest --key KEY.pem [--issuer ID] [--akn-xsd XSD] PATH\n"
        "       mez pack section [--akn-xsd XSD] LAWPACK EID\n"
        "Run 'mez pack <command> --help' for details.\n");
}

int mez_cmd_pack(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "build")) return cmd_build(p, argc - 1, argv + 1);
    if (!strcmp(sub, "verify")) return cmd_verify(p, argc - 1, argv + 1);
    if (!strcmp(sub, "show")) return cmd_show(p, argc - 1, argv + 1);
    if (!strcmp(sub, "manifest")) return cmd_manifest(p, argc - 1, argv + 1);
    if (!strcmp(sub, "section")) return cmd_section(p, argc - 1, argv + 1);
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        usage_pack(stdout);
        return MEZ_EXIT_OK;
    }
    usage_pack(stderr);
    return MEZ_EXIT_USAGE;
}
