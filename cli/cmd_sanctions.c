/* cmd_sanctions.c: `mez sanctions import-un`, the UN Security Council Consolidated List turned into a regpack file
 * that zones load like any other pack; `mez sanctions clearances`, the zone's screening clearances as its
 * database holds them (mez/clearance.h), for an auditor or an operator without the HTTP API at hand. YAML output is written by a small emitter here (every string quoted, so
 * no name can be read back as a number, a boolean or a null) and read back through the pack loader before it
 * replaces the file, so what lands on disk always loads with the digest printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/clearance.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/sanctions.h"
#include "mez_cli.h"

static void usage_import_un(FILE *out)
{
    fprintf(out,
        "usage: mez sanctions import-un --jurisdiction J --out FILE.yaml|FILE.json [--source-url URL]\n"
        "                               [--include-low-quality] UN.xml\n"
        "Imports the UN Security Council Consolidated List (its XML, as the UN publishes it) into a regpack with one\n"
        "sanctions list, versioned by the list's own dateGenerated date, and prints what it found. The pack is\n"
        "validated and read back before FILE is replaced; its digest is printed for stack.lock.\n"
        "  --jurisdiction J        the jurisdiction whose zones screen against it (pk: also pk-sifc, pk-rez ...)\n"
        "  --out FILE              .yaml/.yml (a pack file, every string quoted) or .json (the pack's JSON model)\n"
        "  --source-url URL        where this copy of the list came from (default: the UN's XML address)\n"
        "  --include-low-quality   also take aliases the UN marks as Low quality (left out by default: too weak\n"
        "                          to identify anyone, and every screening hit is a hard block)\n"
        "  --allow-shrink          replace a list even when the new one names fewer than half its entries (without\n"
        "                          it that is refused: a truncated feed would let the names it lost through)\n"
        "exit codes: 0 written, 1 the list is invalid (malformed XML, not the UN list, a record without a name or\n"
        "reference, or half the list gone), 2 usage or I/O error.\n");
}

static void usage_sanctions(FILE *out)
{
    fprintf(out,
        "usage: mez sanctions import-un --jurisdiction J --out FILE.yaml UN.xml\n"
        "       mez sanctions clearances --driver D --params P [--context ID] [--status active|proposed|all]\n"
        "                                [--limit N]\n"
        "Run 'mez sanctions import-un --help' or 'mez sanctions clearances --help' for details.\n");
}

static int usage_clearances(FILE *out)
{
    fprintf(out,
        "usage: mez sanctions clearances --driver D --params P [--context ID] [--status active|proposed|all]\n"
        "                                [--limit N]\n"
        "Prints the zone's sanctions screening clearances, newest first, one JSON object a line as\n"
        "GET /v1/sanctions/clearances answers them (status as of now): active (in force, the default), proposed\n"
        "(awaiting a second principal's approval) or all (also expired and revoked ones); --context: of one record\n"
        "only; --limit: at most N (default 1000). Read-only: clearances are made, approved and revoked through the\n"
        "zone API, which audits each (docs/03-operate.md 3.6).\n"
        "exit codes: 0 printed (perhaps none), 2 usage or database error.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

static int cmd_clearances(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *context = NULL, *status = "active", *limit_s = NULL;
    const char *pos[1] = { NULL };
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--context", &context, NULL },
        { "--status", &status, NULL }, { "--limit", &limit_s, NULL }, { NULL, NULL, NULL },
    };
    apr_array_header_t *list;
    apr_time_t now = apr_time_now();
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    mez_db_t *db;
    long limit = 1000;
    int npos = 0;

    if (mez_cli_wants_help(argc, argv))
        return usage_clearances(stdout);
    if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "sanctions clearances") < 0 || !driver || !params)
        return usage_clearances(stderr);
    if (strcmp(status, "active") && strcmp(status, "proposed") && strcmp(status, "all")) {
        fprintf(stderr, "mez sanctions clearances: --status is active, proposed or all, not '%s'\n", status);
        return usage_clearances(stderr);
    }
    if (limit_s && !mez_cli_whole(limit_s, 1, 100000, &limit)) {
        fprintf(stderr, "mez sanctions clearances: --limit takes a whole number from 1 to 100000\n");
        return usage_clearances(stderr);
    }
    if ((rv = mez_db_open(p, driver, params, &db, &pb)) != MEZ_OK
        || (rv = mez_clearance_list(p, db, context, status, now, (int)limit, &list, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    for (int i = 0; i < list->nelts; i++) {
        json_t *o = mez_json_pool_own(p, mez_clearance_json(&APR_ARRAY_IDX(list, i, mez_clearance_t), now));
        printf("%s\n", mez_json_dump(p, o, 0));
    }
    return MEZ_EXIT_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* ------------------------------------------------------------------ YAML */

/* A YAML double-quoted scalar. Besides '"' and '\', everything YAML would not read back as the same character is
 * escaped: control characters, C1 controls (NEL is a line break to YAML), the Unicode line and paragraph
 * separators and the byte-order mark. */
static void yaml_string(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    while (*u) {
        unsigned c = *u;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            u++;
        }
        else if (c == '\n') { fputs("\\n", f); u++; }
        else if (c == '\t') { fputs("\\t", f); u++; }
        else if (c == '\r') { fputs("\\r", f); u++; }
        else if (c < 0x20 || c == 0x7F) { fprintf(f, "\\x%02X", c); u++; }
        else if (c == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F) { fprintf(f, "\\x%02X", u[1]); u += 2; }
        else if (c == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)) {
            fputs(u[2] == 0xA8 ? "\\L" : "\\P", f);
            u += 3;
        }
        else if (c == 0xEF && u[1] == 0xBB && u[2] == 0xBF) { fputs("\\uFEFF", f); u += 3; }
        else if (c == 0xEF && u[1] == 0xBF && (u[2] == 0xBE || u[2] == 0xBF)) {
            fputs(u[2] == 0xBE ? "\\uFFFE" : "\\uFFFF", f);
            u += 3;
        }
        else { fputc((int)c, f); u++; }
    }
    fputc('"', f);
}

/* Keys the packs use are plain words; anything else is quoted too. */
static void yaml_key(FILE *f, const char *k)
{
    int plain = (*k >= 'a' && *k <= 'z') || *k == '_';
    for (const char *c = k; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain)
        fputs(k, f);
    else
        yaml_string(f, k);
}

/* Flow style, for scalars and lists of scalars (aliases: ["A", "B"]). 0, or -1 for a JSON real, which a pack
 * never holds (amounts and rates are decimal strings) and YAML would not give back exactly. */
static int yaml_flow(FILE *f, const json_t *v)
{
    size_t i;
    const char *k;
    const json_t *item;
    switch (json_typeof(v)) {
    case JSON_STRING: yaml_string(f, json_string_value(v)); return 0;
    case JSON_INTEGER: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); return 0;
    case JSON_TRUE: fputs("true", f); return 0;
    case JSON_FALSE: fputs("false", f); return 0;
    case JSON_NULL: fputs("null", f); return 0;
    case JSON_REAL: return -1;
    case JSON_ARRAY:
        fputc('[', f);
        json_array_foreach(v, i, item) {
            if (i)
                fputs(", ", f);
            if (yaml_flow(f, item))
                return -1;
        }
        fputc(']', f);
        return 0;
    case JSON_OBJECT:
        fputc('{', f);
        i = 0;
        json_object_foreach((json_t *)v, k, item) {
            if (i++)
                fputs(", ", f);
            yaml_key(f, k);
            fputs(": ", f);
            if (yaml_flow(f, item))
                return -1;
        }
        fputc('}', f);
        return 0;
    }
    return -1;
}

/* Block style goes on only while there are objects below: a list of rows, a row's mapping. */
static int needs_block(const json_t *v)
{
    size_t i;
    const json_t *item;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, item)
        if (json_is_object(item))
            return 1;
    return 0;
}

static int yaml_block(FILE *f, const json_t *v, int indent, int inline_first);

/* A mapping's members, one a line at indent; with inline_first the first one follows a "- " already written. */
static int yaml_map(FILE *f, const json_t *obj, int indent, int inline_first)
{
    const char *k;
    const json_t *v;
    int first = 1;
    json_object_foreach((json_t *)obj, k, v) {
        if (!(first && inline_first))
            fprintf(f, "%*s", indent, "");
        first = 0;
        yaml_key(f, k);
        fputc(':', f);
        if (needs_block(v)) {
            fputc('\n', f);
            if (yaml_block(f, v, indent + 2, 0))
                return -1;
        }
        else {
            fputc(' ', f);
            if (yaml_flow(f, v))
                return -1;
            fputc('\n', f);
        }
    }
    return 0;
}

static int yaml_block(FILE *f, const json_t *v, int indent, int inline_first)
{
    size_t i;
    const json_t *item;
    if (json_is_object(v))
        return yaml_map(f, v, indent, inline_first);
    json_array_foreach(v, i, item) {
        fprintf(f, "%*s- ", indent, "");
        if (needs_block(item)) {
            if (yaml_block(f, item, indent + 2, 1))
                return -1;
        }
        else {
            if (yaml_flow(f, item))
                return -1;
            fputc('\n', f);
        }
    }
    return 0;
}

/* The pack as YAML text, with a comment saying where it came from (reviewers read packs; programs read keys). */
static mez_status_t render_yaml(apr_pool_t *p, const json_t *model, const mez_sanctions_report_t *rep,
                                const char *xml_path, const char **text, size_t *len, mez_problem_t *pb)
{
    char *buf = NULL;
    size_t n = 0;
    const char *base = strrchr(xml_path, '/');
    FILE *f = open_memstream(&buf, &n);
    int rc;
    if (!f)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.out_of_memory", NULL, "cannot buffer the YAML output");
    fprintf(f, "# UN Security Council Consolidated List of %s (dateGenerated %s),\n"
               "# imported by `mez sanctions import-un` from %s for %s.\n"
               "# Generated data: import the list again rather than edit this file.\n",
            rep->list_date, rep->date_generated, base ? base + 1 : xml_path,
            json_string_value(json_object_get(model, "jurisdiction_id")));
    rc = yaml_block(f, model, 0, 0);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.yaml_emit", NULL,
                           "the pack model holds a value YAML output cannot carry exactly");
    }
    *text = apr_pstrmemdup(p, buf, n);
    *len = n;
    free(buf);
    return MEZ_OK;
}

/* ------------------------------------------------------------------ writing */

/* Writes bytes beside out and returns the temporary's path, readable by all (httpd reads packs). */
static mez_status_t write_temp(apr_pool_t *p, const char *out, const char *bytes, size_t len, const char **tmp,
                               mez_problem_t *pb)
{
    apr_file_t *f;
    apr_status_t st;
    char *tmpl = apr_pstrcat(p, out, ".XXXXXX", NULL), e[256];
    if ((st = apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL, p))
        != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot create a file beside %s: %s", out,
                           apr_strerror(st, e, sizeof(e)));
    /* Synced before the rename that puts it in place: after a crash the list is the old one or the new one,
     * never an empty file. */
    if ((st = apr_file_write_full(f, bytes, len, NULL)) != APR_SUCCESS || (st = apr_file_sync(f)) != APR_SUCCESS
        || (st = apr_file_close(f)) != APR_SUCCESS
        || (st = apr_file_perms_set(tmpl, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD | APR_FPROT_WREAD))
               != APR_SUCCESS) {
        apr_file_remove(tmpl, p);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.write", NULL, "cannot write %s: %s", tmpl,
                           apr_strerror(st, e, sizeof(e)));
    }
    *tmp = tmpl;
    return MEZ_OK;
}

/* A list file as a zone reads it: a pack file (yaml) loaded as a pack, or the pack's JSON model; its model and its
 * pack digest. */
static mez_status_t load_list_file(apr_pool_t *p, const char *path, int yaml, json_t **model, mez_digest_t *digest,
                                   mez_problem_t *pb)
{
    mez_status_t rv;
    if (yaml) {
        mez_pack_t *pack;
        mez_pack_options_t opts = { 0 };
        if ((rv = mez_pack_load(p, path, &opts, &pack, pb)) != MEZ_OK)
            return rv;
        *model = pack->model;
        *digest = pack->digest;
        return MEZ_OK;
    }
    if ((rv = mez_json_parse_file(p, path, model, pb)) != MEZ_OK)
        return rv;
    return mez_pack_model_digest(p, MEZ_PACK_REG, *model, digest, pb);
}

/* Reads the written file back as a zone would and checks it is the model imported (same pack digest). */
static mez_status_t read_back(apr_pool_t *p, const char *tmp, int yaml, const mez_digest_t *want, mez_problem_t *pb)
{
    mez_digest_t got;
    json_t *m;
    mez_status_t rv;
    if ((rv = load_list_file(p, tmp, yaml, &m, &got, pb)) != MEZ_OK)
        return rv;
    if (!mez_digest_equal(&got, want))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "cli.read_back", NULL,
                           "%s does not read back as the pack imported (digest %s, not %s)", tmp,
                           mez_digest_format(p, &got), mez_digest_format(p, want));
    return MEZ_OK;
}

/* The entries of the UN list in the pack file a new import would replace (yaml or json as written), or -1 when
 * there is none or it holds no such list. */
static long entries_replaced(apr_pool_t *p, const char *out, int yaml)
{
    json_t *m, *l;
    mez_digest_t d;
    size_t i;
    mez_problem_t pb = { 0 };
    apr_finfo_t fi;
    if (apr_stat(&fi, out, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_REG
        || load_list_file(p, out, yaml, &m, &d, &pb) != MEZ_OK)
        return -1;
    json_array_foreach(json_object_get(m, "lists"), i, l) {
        const char *id = json_string_value(json_object_get(l, "id"));
        if (id && !strcmp(id, MEZ_SANCTIONS_UN_LIST_ID))
            return (long)json_array_size(json_object_get(l, "entries"));
    }
    return -1;
}

/* ------------------------------------------------------------------ import-un */

static int cmd_import_un(apr_pool_t *p, int argc, const char *const *argv)
{
    mez_sanctions_un_options_t opts = { 0 };
    mez_sanctions_report_t rep;
    const char *out = NULL, *xml = NULL, *text = NULL, *tmp = NULL;
    size_t len = 0;
    int yaml, allow_shrink = 0;
    json_t *model;
    mez_digest_t digest;
    mez_problem_t pb = { 0 };
    mez_status_t rv;
    apr_status_t st;
    char e[256];

    if (mez_cli_wants_help(argc, argv)) {
        usage_import_un(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = mez_cli_option(argc, argv, &i, "--jurisdiction", &opts.jurisdiction_id)) == 0
            && (m = mez_cli_option(argc, argv, &i, "--out", &out)) == 0)
            m = mez_cli_option(argc, argv, &i, "--source-url", &opts.source_url);
        if (m < 0) {
            fprintf(stderr, "mez sanctions import-un: %s needs a value\n", argv[i]);
            return MEZ_EXIT_USAGE;
        }
        if (m > 0)
            continue;
        if (!strcmp(argv[i], "--include-low-quality"))
            opts.include_low_quality = 1;
        else if (!strcmp(argv[i], "--allow-shrink"))
            allow_shrink = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mez sanctions import-un: unknown option '%s'\n", argv[i]);
            usage_import_un(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (xml) {
            fprintf(stderr, "mez sanctions import-un: one list file only\n");
            return MEZ_EXIT_USAGE;
        }
        else
            xml = argv[i];
    }
    if (!xml || !out || !opts.jurisdiction_id) {
        usage_import_un(stderr);
        return MEZ_EXIT_USAGE;
    }
    yaml = ends_with(out, ".yaml") || ends_with(out, ".yml");
    if (!yaml && !ends_with(out, ".json")) {
        fprintf(stderr, "mez sanctions import-un: --out must end in .yaml, .yml or .json (%s)\n", out);
        return MEZ_EXIT_USAGE;
    }

    if ((rv = mez_sanctions_import_un(p, xml, &opts, &model, &rep, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    /* The UN list changes by a few names at a time; one that lost half of them is far likelier a truncated or
     * mangled download than the Council's decision, and screening against it would let the lost names through. */
    {
        long before = entries_replaced(p, out, yaml);
        long now = (long)json_array_size(json_object_get(json_array_get(json_object_get(model, "lists"), 0),
                                                         "entries"));
        if (before > 0 && now * 2 < before && !allow_shrink) {
            fprintf(stderr, "mez: sanctions.list_shrank: %s names %ld entries, the list in %s %ld: more than half "
                    "would be gone, which a truncated feed does and the Security Council does not; check the "
                    "download, or pass --allow-shrink to replace it anyway (%s unchanged)\n", xml, now, out, before,
                    out);
            return MEZ_EXIT_INVALID;
        }
    }
    if ((rv = mez_pack_model_digest(p, MEZ_PACK_REG, model, &digest, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (yaml)
        rv = render_yaml(p, model, &rep, xml, &text, &len, &pb);
    else {
        text = apr_pstrcat(p, mez_json_dump(p, model, 1), "\n", NULL);
        len = strlen(text);
    }
    if (rv != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    /* The new list replaces the old one only whole and only once it loads: a zone never reads half a list. */
    if ((rv = write_temp(p, out, text, len, &tmp, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if ((rv = read_back(p, tmp, yaml, &digest, &pb)) != MEZ_OK) {
        apr_file_remove(tmp, p);
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((st = apr_file_rename(tmp, out, p)) != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        fprintf(stderr, "mez: io.write: cannot replace %s: %s\n", out, apr_strerror(st, e, sizeof(e)));
        return MEZ_EXIT_USAGE;
    }

    printf("list: UN Security Council Consolidated List\n");
    printf("list_date: %s\n", rep.list_date);
    printf("date_generated: %s\n", rep.date_generated);
    printf("individuals: %d\n", rep.individuals);
    printf("entities: %d\n", rep.entities);
    printf("aliases: %d\n", rep.aliases);
    printf("aliases_in_original_script: %d\n", rep.original_script);
    printf("low_quality_aliases_left_out: %d\n", rep.low_quality_skipped);
    printf("delisted_left_out: %d\n", rep.delisted_skipped);
    for (int i = 0; i < rep.unknown->nelts; i++) {
        const mez_sanctions_unknown_t *u = &APR_ARRAY_IDX(rep.unknown, i, mez_sanctions_unknown_t);
        printf("not_in_schema: %s x%d, first at line %ld\n", u->path, u->count, u->first_line);
    }
    printf("pack: %s\n", json_string_value(json_object_get(model, "id")));
    printf("jurisdiction: %s\n", opts.jurisdiction_id);
    printf("digest: %s\n", mez_digest_format(p, &digest));
    printf("wrote: %s\n", out);
    return MEZ_EXIT_OK;
}

int mez_cmd_sanctions(apr_pool_t *p, int argc, const char *const *argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage_sanctions(argc < 2 ? stderr : stdout);
        return argc < 2 ? MEZ_EXIT_USAGE : MEZ_EXIT_OK;
    }
    if (!strcmp(argv[1], "import-un"))
        return cmd_import_un(p, argc - 1, argv + 1);
    if (!strcmp(argv[1], "clearances"))
        return cmd_clearances(p, argc - 1, argv + 1);
    fprintf(stderr, "mez sanctions: unknown subcommand '%s'\n", argv[1]);
    usage_sanctions(stderr);
    return MEZ_EXIT_USAGE;
}
