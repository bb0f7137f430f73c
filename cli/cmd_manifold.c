/* cmd_manifold.c: `mez manifold route`, the cheapest corridor route between two jurisdictions, offline.
 * Same graph parser and router as POST /v1/manifold/route; an unreachable target says why. */
#include <stdio.h>
#include <string.h>
#include <apr_tables.h>
#include "mez/json.h"
#include "mez/manifold.h"
#include "mez_cli.h"

static void usage_route(FILE *out)
{
    fprintf(out,
        "usage: mez manifold route --graph GRAPH.json --from A --to B --value-usd N [--max-hops N]\n"
        "                          [--exclude J ...] [--max-cost N] [--max-hop-cost N] [--max-hours N] [--pretty]\n"
        "Finds the cheapest route from A to B through the corridors of GRAPH.json (jurisdictions and corridors,\n"
        "see mez/manifold.h) for a transfer of N US dollars, and prints it: hops, costs, hours and the path id.\n"
        "  --graph FILE       the manifold document\n"
        "  --from A, --to B   jurisdiction ids\n"
        "  --value-usd N      the value moved, a whole number of dollars (it prices the basis-point fees)\n"
        "  --max-hops N       hop limit (default 5)\n"
        "  --exclude J        a jurisdiction the route must avoid; repeat for more\n"
        "  --max-cost N, --max-hop-cost N, --max-hours N   limits on total cost, cost per hop, total hours\n"
        "  --pretty           indented output for people (default: RFC 8785 canonical JSON)\n"
        "exit codes: 0 a route was found, 1 none (the reason is printed) or invalid input, 2 usage or I/O error.\n");
}

static void usage_manifold(FILE *out)
{
    fprintf(out,
        "usage: mez manifold route --graph GRAPH.json --from A --to B --value-usd N [--max-hops N] ...\n"
        "Run 'mez manifold route --help' for details.\n");
}

/* Digits only, at most max: strtoull would take signs, spaces and hex, none of which a fee is. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int cmd_route(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *graph_file = NULL, *from = NULL, *to = NULL, *value_s = NULL, *hops_s = NULL, *cost_s = NULL,
               *hop_cost_s = NULL, *hours_s = NULL, *v;
    apr_array_header_t *excluded = apr_array_make(p, 4, sizeof(const char *));
    mez_manifold_constraints_t c;
    mez_manifold_path_t *path;
    mez_manifold_t *m;
    mez_problem_t pb = { 0 };
    uint64_t value, n;
    json_t *doc, *out;
    int pretty = 0;
    mez_status_t rv;

    if (mez_cli_wants_help(argc, argv)) {
        usage_route(stdout);
        return MEZ_EXIT_OK;
    }
    mez_manifold_constraints_init(&c);
    for (int i = 1; i < argc; i++) {
        int k;
        if ((k = mez_cli_option(argc, argv, &i, "--graph", &graph_file)) || (k = mez_cli_option(argc, argv, &i, "--from", &from))
            || (k = mez_cli_option(argc, argv, &i, "--to", &to)) || (k = mez_cli_option(argc, argv, &i, "--value-usd", &value_s))
            || (k = mez_cli_option(argc, argv, &i, "--max-hops", &hops_s))
            || (k = mez_cli_option(argc, argv, &i, "--max-cost", &cost_s))
            || (k = mez_cli_option(argc, argv, &i, "--max-hop-cost", &hop_cost_s))
            || (k = mez_cli_option(argc, argv, &i, "--max-hours", &hours_s))) {
            if (k < 0) {
                fprintf(stderr, "mez manifold route: %s needs a value\n", argv[i]);
                return MEZ_EXIT_USAGE;
            }
        }
        else if ((k = mez_cli_option(argc, argv, &i, "--exclude", &v)) != 0) {
            if (k < 0) {
                fprintf(stderr, "mez manifold route: --exclude needs a jurisdiction\n");
                return MEZ_EXIT_USAGE;
            }
            APR_ARRAY_PUSH(excluded, const char *) = v;
        }
        else if (!strcmp(argv[i], "--pretty"))
            pretty = 1;
        else {
            fprintf(stderr, "mez manifold route: unexpected argument '%s'\n", argv[i]);
            usage_route(stderr);
            return MEZ_EXIT_USAGE;
        }
    }
    if (!graph_file || !from || !to || !value_s) {
        usage_route(stderr);
        return MEZ_EXIT_USAGE;
    }
    if (parse_uint(value_s, 9007199254740992ULL, &value)) {
        fprintf(stderr, "mez manifold route: --value-usd is a whole number of dollars up to 2^53\n");
        return MEZ_EXIT_USAGE;
    }
    if (hops_s) {
        if (parse_uint(hops_s, 64, &n)) {
            fprintf(stderr, "mez manifold route: --max-hops is a number from 0 to 64\n");
            return MEZ_EXIT_USAGE;
        }
        c.max_hops = (size_t)n;
    }
    if (cost_s) {
        if (parse_uint(cost_s, UINT64_MAX, &c.max_total_cost_usd)) {
            fprintf(stderr, "mez manifold route: --max-cost is a whole number of dollars\n");
            return MEZ_EXIT_USAGE;
        }
        c.has_max_total_cost = 1;
    }
    if (hop_cost_s) {
        if (parse_uint(hop_cost_s, UINT64_MAX, &c.max_per_hop_cost_usd)) {
            fprintf(stderr, "mez manifold route: --max-hop-cost is a whole number of dollars\n");
            return MEZ_EXIT_USAGE;
        }
        c.has_max_per_hop_cost = 1;
    }
    if (hours_s) {
        if (parse_uint(hours_s, UINT32_MAX, &n)) {
            fprintf(stderr, "mez manifold route: --max-hours is a whole number of hours\n");
            return MEZ_EXIT_USAGE;
        }
        c.has_max_total_time = 1;
        c.max_total_time_hours = (uint32_t)n;
    }
    c.excluded = (const char *const *)excluded->elts;
    c.n_excluded = (size_t)excluded->nelts;

    /* An unreadable or invalid graph is the operator's set-up, not the route asked for: exit 2. */
    if ((rv = mez_json_parse_file_input(p, graph_file, &doc, &pb)) != MEZ_OK
        || (rv = mez_manifold_parse(p, doc, &m, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_manifold_route(p, m, from, to, value, &c, &path, NULL, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    out = mez_manifold_path_json(p, path);
    if (pretty) {
        printf("%s\n", mez_json_dump(p, out, 1));
    }
    else {
        const char *s;
        size_t len;
        if ((rv = mez_json_canonicalize(p, out, &s, &len, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        fwrite(s, 1, len, stdout);
        fputc('\n', stdout);
    }
    return MEZ_EXIT_OK;
}

int mez_cmd_manifold(apr_pool_t *p, int argc, const char *const *argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage_manifold(argc < 2 ? stderr : stdout);
        return argc < 2 ? MEZ_EXIT_USAGE : MEZ_EXIT_OK;
    }
    if (!strcmp(argv[1], "route"))
        return cmd_route(p, argc - 1, argv + 1);
    fprintf(stderr, "mez manifold: unknown subcommand '%s'\n", argv[1]);
    usage_manifold(stderr);
    return MEZ_EXIT_USAGE;
}
