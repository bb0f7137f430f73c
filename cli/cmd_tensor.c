/* cmd_tensor.c: `mez tensor eval` and `mez tensor commitment`, the compliance tensor offline.
 * They build the same index and call the same evaluator as POST /v1/compliance/evaluate. */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "mez/deadline.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/tensor.h"
#include "mez/tz.h"
#include "mez/zone.h"
#include "mez/vc.h"
#include "mez_cli.h"

/* Packs are read in their JSON model: YAML pack files through the pack area's loader (validated, with
 * file:line errors, and digested as published, so reasons cite them by digest), or a JSON file holding the model
 * as is (handy for generated or test packs; it is not a published pack, so it has no digest to cite). */
typedef mez_status_t pack_loader_fn(apr_pool_t *p, const char *path, json_t **pack, const char **digest,
                                    mez_problem_t *pb);

static mez_status_t load_json_pack(apr_pool_t *p, const char *path, json_t **pack, const char **digest,
                                   mez_problem_t *pb)
{
    *digest = NULL;
    return mez_json_parse_file(p, path, pack, pb);
}

static mez_status_t load_yaml_pack(apr_pool_t *p, const char *path, json_t **pack, const char **digest,
                                   mez_problem_t *pb)
{
    mez_pack_t *loaded;
    mez_pack_options_t opts = { 0 };
    mez_status_t rv = mez_pack_load(p, path, &opts, &loaded, pb);
    if (rv == MEZ_OK) {
        *pack = loaded->model;
        *digest = mez_pack_digest_string(p, loaded);
    }
    return rv;
}

static const struct {
    const char *suffix;
    pack_loader_fn *load;
} pack_loaders[] = {
    { ".json", load_json_pack },
    { ".yaml", load_yaml_pack },
    { ".yml", load_yaml_pack },
};

static mez_status_t load_pack(apr_pool_t *p, const char *path, json_t **pack, const char **digest,
                              mez_problem_t *pb)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof(pack_loaders) / sizeof(pack_loaders[0]); i++) {
        size_t k = strlen(pack_loaders[i].suffix);
        if (n >= k && !strcmp(path + n - k, pack_loaders[i].suffix))
            return pack_loaders[i].load(p, path, pack, digest, pb);
    }
    return mez_problem(pb, p, MEZ_EIO, 400, "cli.pack_format", NULL,
                       "%s: a pack is a .yaml file (packs/README.md) or a .json file holding its model", path);
}

static void usage_eval(FILE *out)
{
    fprintf(out,
        "usage: mez tensor eval --pack PACK.yaml [--pack PACK.yaml ...] [--detail full|compact] [--timezone TZ] "
        "[--weekend DAYS] [--tax-year-start MM-DD] [--zone ZONE.yaml] [--pretty] ACTION.json|-\n"
        "Evaluates an action document against the packs (their JSON model, see packs/README.md) and prints the\n"
        "result: the decision, a state and its reasons for each of the 20 domains, withholding, the packs used and\n"
        "the tensor commitment. Output is RFC 8785 canonical JSON unless --pretty.\n"
        "  --pack FILE      a regpack, licensepack or lawpack manifest (YAML, or its model as JSON); repeat for each\n"
        "  --detail FORM    full (default): every reason copies its rule's source_detail and conflicts notes;\n"
        "                   compact: each reason cites its rule by id, pack digest, validity, law and source, and\n"
        "                   keeps source_detail only where the rule has no law to cite\n"
        "  --timezone TZ    the IANA time zone the action's date is a day of (as a zone's zone.yaml says, e.g.\n"
        "                   Asia/Karachi): evidence must hold until that day's end there, and an obligation's\n"
        "                   due date ends there (default UTC)\n"
        "  --weekend DAYS   the days that are not business days, as zone.yaml's weekend names them, comma-separated\n"
        "                   (friday,saturday); a deadline of business days passes over them (default saturday,sunday)\n"
        "  --tax-year-start MM-DD  as zone.yaml's tax_year_start: the following year of a tax obligation's deadline\n"
        "                   is the one after the tax year (default: the calendar year)\n"
        "  --zone ZONE.yaml the zone's calendar: its timezone, weekend, tax_year_start and public_holidays (which\n"
        "                   a deadline of business days passes over too), as the zone counts them; the options\n"
        "                   above, given as well, take the place of its own\n"
        "  --pretty         indented output for people\n"
        "exit codes: 0 the decision passes (compliant, exempt, not_applicable), 1 it does not (pending,\n"
        "non_compliant) or the action is invalid, 2 usage or I/O error.\n");
}

static void usage_commitment(FILE *out)
{
    fprintf(out,
        "usage: mez tensor commitment --jurisdiction J [--hex] STATES.json|-\n"
        "Prints the tensor commitment of STATES.json, an object {\"<domain>\": \"<state>\", ...} with any subset of\n"
        "the 20 domains: SHA-256 of {\"cells\":...,\"jurisdiction_id\":J,\"schema_version\":1} in canonical form.\n"
        "  --jurisdiction J   the jurisdiction id, case-sensitive as stored (e.g. PK-REZ, pk-sifc)\n"
        "  --hex              print bare hex, as the reference system writes it, instead of sha256:<hex>\n"
        "exit codes: 0 ok, 1 invalid states, 2 usage or I/O error.\n");
}

static void usage_tensor(FILE *out)
{
    fprintf(out,
        "usage: mez tensor eval --pack PACK.yaml [--pack ...] [--detail full|compact] [--pretty] ACTION.json|-\n"
        "       mez tensor commitment --jurisdiction J [--hex] STATES.json|-\n"
        "Run 'mez tensor eval --help' or 'mez tensor commitment --help' for details.\n");
}

/* --weekend friday,saturday: zone.yaml's weekend, as one argument. 0 when it is not one to six distinct days. */
static unsigned weekend_arg(apr_pool_t *p, const char *v)
{
    char *copy = apr_pstrdup(p, v), *last, *tok;
    unsigned mask = 0;
    int n = 0;
    for (tok = apr_strtok(copy, ",", &last); tok; tok = apr_strtok(NULL, ",", &last), n++) {
        int day = mez_weekday_parse(tok);
        if (!day || (mask & MEZ_WEEKDAY_BIT(day)))
            return 0;
        mask |= MEZ_WEEKDAY_BIT(day);
    }
    return n >= 1 && n <= 6 ? mask : 0;
}

static int cmd_eval(apr_pool_t *p, int argc, const char *const *argv)
{
    apr_array_header_t *paths = apr_array_make(p, 4, sizeof(const char *));
    const json_t **packs;
    const char **digests;
    const char *file = NULL, *zone_file = NULL, *v;
    int pretty = 0, tz_given = 0;
    mez_tensor_detail_t detail = MEZ_TENSOR_DETAIL_FULL;
    mez_tensor_eval_options_t eo = { 0 };
    int ys_month, ys_day;   /* --tax-year-start read as zone.yaml's is (mez_deadline_year_start) */
    mez_tensor_index_t *ix;
    mez_problem_t pb = { 0 };
    mez_state_t decision;
    json_t *action, *result;
    mez_status_t rv;

    if (mez_cli_wants_help(argc, argv)) {
        usage_eval(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m = mez_cli_option(argc, argv, &i, "--pack", &v);
        if (m < 0) {
            fprintf(stderr, "mez tensor eval: --pack needs a file\n");
            return MEZ_EXIT_USAGE;
        }
        if (m > 0) {
            APR_ARRAY_PUSH(paths, const char *) = v;
            continue;
        }
        if ((m = mez_cli_option(argc, argv, &i, "--timezone", &v)) != 0) {
            if (m < 0) {
                fprintf(stderr, "mez tensor eval: --timezone needs an IANA name (Asia/Karachi)\n");
                return MEZ_EXIT_USAGE;
            }
            if ((rv = mez_tz_load(p, NULL, v, &eo.tz, &pb)) != MEZ_OK) {
                mez_cli_fail(&pb, rv);
                return MEZ_EXIT_USAGE;
            }
            tz_given = 1;
        }
        else if ((m = mez_cli_option(argc, argv, &i, "--zone", &v)) != 0) {
            if (m < 0) {
                fprintf(stderr, "mez tensor eval: --zone needs a zone.yaml\n");
                return MEZ_EXIT_USAGE;
            }
            zone_file = v;
        }
        else if ((m = mez_cli_option(argc, argv, &i, "--weekend", &v)) != 0) {
            if (m < 0 || !(eo.weekend = weekend_arg(p, v))) {
                fprintf(stderr, "mez tensor eval: --weekend is one to six days of the week, comma-separated "
                                "(friday,saturday)\n");
                return MEZ_EXIT_USAGE;
            }
        }
        else if ((m = mez_cli_option(argc, argv, &i, "--tax-year-start", &v)) != 0) {
            if (m < 0 || !mez_deadline_year_start(v, &ys_month, &ys_day)) {
                fprintf(stderr, "mez tensor eval: --tax-year-start is a day of the year MM-DD (07-01)\n");
                return MEZ_EXIT_USAGE;
            }
            eo.tax_year_start = v;
        }
        else if ((m = mez_cli_option(argc, argv, &i, "--detail", &v)) != 0) {
            if (m < 0 || mez_tensor_detail_parse(p, v, NULL, &detail, &pb) != MEZ_OK) {
                fprintf(stderr, "mez tensor eval: --detail is full or compact\n");
                return MEZ_EXIT_USAGE;
            }
        }
        else if (!strcmp(argv[i], "--pretty"))
            pretty = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mez tensor eval: unknown option '%s'\n", argv[i]);
            usage_eval(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (file) {
            fprintf(stderr, "mez tensor eval: one action file only\n");
            return MEZ_EXIT_USAGE;
        }
        else
            file = argv[i];
    }
    if (!file || paths->nelts == 0) {
        usage_eval(stderr);
        return MEZ_EXIT_USAGE;
    }
    if (zone_file) {
        /* The zone file alone (its packs are the --pack options): an auditor re-counting a deadline offline gets
         * the date the zone gave. */
        mez_zone_t *zone;
        if ((rv = mez_zone_parse(p, zone_file, NULL, &zone, &pb)) != MEZ_OK) {
            mez_cli_fail(&pb, rv);
            return MEZ_EXIT_USAGE;
        }
        if (!tz_given)
            eo.tz = zone->tz;
        if (!eo.weekend)
            eo.weekend = zone->weekend;
        if (!eo.tax_year_start)
            eo.tax_year_start = zone->tax_year_start;
        eo.holidays = zone->holidays;
    }
    packs = apr_palloc(p, (size_t)paths->nelts * sizeof(*packs));
    digests = apr_palloc(p, (size_t)paths->nelts * sizeof(*digests));
    for (int i = 0; i < paths->nelts; i++) {
        json_t *pack;
        const char *path = APR_ARRAY_IDX(paths, i, const char *);
        /* A pack that cannot be read or is malformed is the operator's set-up, not an invalid action: exit 2. */
        if ((rv = load_pack(p, path, &pack, &digests[i], &pb)) != MEZ_OK) {
            mez_cli_fail(&pb, rv);
            return MEZ_EXIT_USAGE;
        }
        packs[i] = pack;
    }
    if ((rv = mez_tensor_index_build_with_digests(p, packs, digests, (size_t)paths->nelts, &ix, &pb)) != MEZ_OK) {
        mez_cli_fail(&pb, rv);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_json_parse_file_input(p, file, &action, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if ((rv = mez_tensor_evaluate_detail(p, ix, action, &eo, detail, &result, &decision, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    if (pretty) {
        printf("%s\n", mez_json_dump(p, result, 1));
    }
    else {
        const char *c;
        size_t n;
        if ((rv = mez_json_canonicalize(p, result, &c, &n, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, rv);
        fwrite(c, 1, n, stdout);
        fputc('\n', stdout);
    }
    return mez_state_is_passing(decision) ? MEZ_EXIT_OK : MEZ_EXIT_INVALID;
}

static int cmd_commitment(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *file = NULL, *jid = NULL;
    int hex = 0;
    mez_problem_t pb = { 0 };
    mez_tensor_cells_t cells;
    mez_digest_t d;
    json_t *doc;
    mez_status_t rv;

    if (mez_cli_wants_help(argc, argv)) {
        usage_commitment(stdout);
        return MEZ_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        int m = mez_cli_option(argc, argv, &i, "--jurisdiction", &jid);
        if (m < 0) {
            fprintf(stderr, "mez tensor commitment: --jurisdiction needs a value\n");
            return MEZ_EXIT_USAGE;
        }
        if (m > 0)
            continue;
        if (!strcmp(argv[i], "--hex"))
            hex = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mez tensor commitment: unknown option '%s'\n", argv[i]);
            usage_commitment(stderr);
            return MEZ_EXIT_USAGE;
        }
        else if (file) {
            fprintf(stderr, "mez tensor commitment: one states file only\n");
            return MEZ_EXIT_USAGE;
        }
        else
            file = argv[i];
    }
    if (!file || !jid) {
        usage_commitment(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rv = mez_json_parse_file(p, file, &doc, &pb)) != MEZ_OK
        || (rv = mez_tensor_cells_from_json(p, doc, "", &cells, &pb)) != MEZ_OK
        || (rv = mez_tensor_commitment(p, jid, &cells, &d, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    printf("%s\n", hex ? mez_digest_hex(p, &d) : mez_digest_format(p, &d));
    return MEZ_EXIT_OK;
}

int mez_cmd_tensor(apr_pool_t *p, int argc, const char *const *argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage_tensor(argc < 2 ? stderr : stdout);
        return argc < 2 ? MEZ_EXIT_USAGE : MEZ_EXIT_OK;
    }
    if (!strcmp(argv[1], "eval"))
        return cmd_eval(p, argc - 1, argv + 1);
    if (!strcmp(argv[1], "commitment"))
        return cmd_commitment(p, argc - 1, argv + 1);
    fprintf(stderr, "mez tensor: unknown subcommand '%s'\n", argv[1]);
    usage_tensor(stderr);
    return MEZ_EXIT_USAGE;
}
