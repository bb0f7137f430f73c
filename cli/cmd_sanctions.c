/* cmd_sanctions.c: `mez sanctions import-un`, the UN Security Council Consolidated List turned into a regpack file
 * that zones load like any other pack; `mez sanctions clearances`, the zone's screening clearances as its
 * database holds them (mez/clearance.h), for an auditor or an operator without the HTTP API at hand. The import's
 * checks and its write are un_import.c's (`mez deploy --sanctions-un` shares them): what lands on disk always
 * loads with the digest printed. */
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
#include "un_import.h"

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

/* ------------------------------------------------------------------ import-un */

static int cmd_import_un(apr_pool_t *p, int argc, const char *const *argv)
{
    mez_un_import_t im;
    const char *out = NULL;
    mez_problem_t pb = { 0 };
    mez_status_t rv;

    memset(&im, 0, sizeof(im));
    if (mez_cli_wants_help(argc, argv)) {
        usage_import_un(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = mez_cli_option(argc, argv, &i, "--jurisdiction", &im.opts.jurisdiction_id)) == 0
            && (m = mez_cli_option(argc, argv, &i, "--out", &out)) == 0)
            m = mez_cli_option(argc, argv, &i, "--source-url", &im.opts.source_url);
        if (m < 0) {
            fprintf(stderr, "mez sanctions import-un: %s needs a value\n", argv[i]);
            return MEZ_EXIT_USAGE;
        }
        if (m > 0)
            continue;
        if (!strcmp(argv[i], "--include-low-quality"))
            im.opts.include_low_quality = 1;
        else if (!strcmp(argv[i], "--allow-shrink"))
            im.allow_shrink = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mez sanctions import-un: unknown option '%s'\n", argv[i]);
            usage_import_un(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (im.xml) {
            fprintf(stderr, "mez sanctions import-un: one list file only\n");
            return MEZ_EXIT_USAGE;
        }
        else
            im.xml = argv[i];
    }
    if (!im.xml || !out || !im.opts.jurisdiction_id) {
        usage_import_un(stderr);
        return MEZ_EXIT_USAGE;
    }
    im.yaml = ends_with(out, ".yaml") || ends_with(out, ".yml");
    if (!im.yaml && !ends_with(out, ".json")) {
        fprintf(stderr, "mez sanctions import-un: --out must end in .yaml, .yml or .json (%s)\n", out);
        return MEZ_EXIT_USAGE;
    }
    im.replaces = out;
    im.shrink_flag = "--allow-shrink";
    if ((rv = mez_un_import_prepare(p, &im, &pb)) != MEZ_OK
        || (rv = mez_un_import_write(p, &im, out, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);

    printf("list: UN Security Council Consolidated List\n");
    printf("list_date: %s\n", im.rep.list_date);
    printf("date_generated: %s\n", im.rep.date_generated);
    printf("individuals: %d\n", im.rep.individuals);
    printf("entities: %d\n", im.rep.entities);
    printf("aliases: %d\n", im.rep.aliases);
    printf("aliases_in_original_script: %d\n", im.rep.original_script);
    printf("low_quality_aliases_left_out: %d\n", im.rep.low_quality_skipped);
    printf("delisted_left_out: %d\n", im.rep.delisted_skipped);
    for (int i = 0; i < im.rep.unknown->nelts; i++) {
        const mez_sanctions_unknown_t *u = &APR_ARRAY_IDX(im.rep.unknown, i, mez_sanctions_unknown_t);
        printf("not_in_schema: %s x%d, first at line %ld\n", u->path, u->count, u->first_line);
    }
    printf("pack: %s\n", json_string_value(json_object_get(im.model, "id")));
    printf("jurisdiction: %s\n", im.opts.jurisdiction_id);
    printf("digest: %s\n", mez_digest_format(p, &im.digest));
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
