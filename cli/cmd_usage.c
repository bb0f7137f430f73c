/* cmd_usage.c: `mez usage`, a zone's billing figures per day (UTC) for a period, from the zone's database.
 *
 * Billing reads only what the database keeps durably, never /metrics (whose counters live in shared memory and
 * start again at zero when httpd stops):
 *   requests     API requests the zone recorded: one per request id in its audit trail (mez_audit, zone_id Z;
 *                not the operators' own changes made with the mez command, actor "cli:..."),
 *                i.e. every committed write and every recorded refusal. Reads change nothing and are not
 *                billed (they are counted in mez_requests_total for monitoring).
 *   evaluations  compliance evaluations recorded (mez_evaluation; previews are not recorded)
 *   credentials  verifiable credentials the zone issued (mez_credential)
 *   receipts     corridor receipts appended to the zone's chains, either role (mez_corridor_receipt)
 *   mass_calls   committed writes to Mass primitives: audit rows of the zone whose resource type is a
 *                primitive and whose outcome is "committed" (direct /mass/v1 writes and orchestrated ones).
 * The audit trail is hash-chained and append-only, and each row is written in the same transaction as the
 * change it records, so a figure can neither count work that was rolled back nor lose work that committed;
 * no extra write per request is needed to meter. */
#include <stdio.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/store.h"
#include "mez_cli.h"

#define MAX_DAYS 366
#define NFIG 5

static const char *const fig_name[NFIG] = { "requests", "evaluations", "credentials", "receipts", "mass_calls" };

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez usage --zone Z --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|json] --driver D --params P\n"
        "\n"
        "Billing figures of zone Z for each day from --from to --to (both included, UTC, at most %d days), read\n"
        "from the zone's database (D is sqlite3 or pgsql, P a file name or a libpq conninfo; --db-driver and --db\n"
        "are the same options). csv (the default): a header line, then one line per day:\n"
        "  date,zone,requests,evaluations,credentials,receipts,mass_calls\n"
        "json: {\"zone\", \"from\", \"to\", \"days\": [{\"date\", <figures>}...], \"totals\": {<figures>}}.\n"
        "requests: requests the audit trail recorded (writes and recorded refusals; reads are not billed);\n"
        "evaluations, credentials, receipts: rows recorded that day; mass_calls: committed Mass writes.\n"
        "Exit 0 ok, 1 for a bad argument (e.g. usage.invalid_date, usage.unknown_zone), 2 when the database\n"
        "cannot be used.\n", MAX_DAYS);
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

/* A calendar date "YYYY-MM-DD" to midnight UTC; 0 when it is not one (2026-02-30 is not). */
static int parse_date(const char *s, apr_time_t *out)
{
    apr_time_exp_t t = { 0 }, back;
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[4] != '-'
        || s[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    if (apr_time_exp_gmt_get(out, &t) != APR_SUCCESS || apr_time_exp_gmt(&back, *out) != APR_SUCCESS)
        return 0;
    /* apr normalises 02-30 to 03-02: a date that does not come back as written is not a date. */
    return back.tm_year == t.tm_year && back.tm_mon == t.tm_mon && back.tm_mday == t.tm_mday;
}

static const char *day_of(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02d", x.tm_year + 1900, x.tm_mon + 1, x.tm_mday);
}

/* As MezZone accepts them: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'. */
static int zone_id_ok(const char *z)
{
    size_t n = strlen(z);
    if (!n || n > 63 || z[0] == '-' || z[n - 1] == '-')
        return 0;
    for (; *z; z++)
        if (!((*z >= 'a' && *z <= 'z') || (*z >= '0' && *z <= '9') || *z == '-'))
            return 0;
    return 1;
}

static int refuse(apr_pool_t *p, const char *code, const char *pointer, const char *detail)
{
    mez_problem_t pb = { 0 };
    mez_problem(&pb, p, MEZ_EINVAL, 422, code, pointer, "%s", detail);
    return mez_cli_fail(&pb, MEZ_EINVAL);
}

/* Adds one grouped query's (day, count) rows into figure f of the days' table. */
static mez_status_t tally(apr_pool_t *p, mez_db_t *db, apr_hash_t *days, int f, const char *sql, const char *zone,
                          const char *lo, const char *hi, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = zone ? mez_db_query_rows(p, db, 2, &rows, sql, pb, zone, lo, hi, NULL)
                           : mez_db_query_rows(p, db, 2, &rows, sql, pb, lo, hi, NULL);
    if (st != MEZ_OK)
        return st;
    for (int i = 0; i < rows->nelts; i++) {
        const char **c = APR_ARRAY_IDX(rows, i, const char **);
        apr_int64_t *fig = c[0] ? apr_hash_get(days, c[0], APR_HASH_KEY_STRING) : NULL;
        if (fig)
            fig[f] += apr_atoi64(c[1]);
    }
    return MEZ_OK;
}

int mez_cmd_usage(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *zone = NULL,
               *from_s = NULL, *to_s = NULL, *format = NULL, *lo, *hi, *found = NULL, *prims = "";
    const char *pos[1] = { NULL };
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--db-driver", &driver, NULL },
        { "--db", &params, NULL }, { "--zone", &zone, NULL }, { "--from", &from_s, NULL },
        { "--to", &to_s, NULL }, { "--format", &format, NULL }, { NULL, NULL, NULL },
    };
    apr_time_t from, to;
    apr_hash_t *days = apr_hash_make(p);
    apr_array_header_t *order = apr_array_make(p, 32, sizeof(const char *));
    apr_int64_t total[NFIG] = { 0 };
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    int npos = 0, json_out;
    json_t *doc, *list;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "usage") < 0)
        return usage(stderr);
    if (!driver || !params || !zone || !from_s || !to_s)
        return usage(stderr);

    /* Every argument is checked before the database is opened. */
    if (!zone_id_ok(zone))
        return refuse(p, "usage.invalid_zone", "--zone", apr_psprintf(p, "'%s' is not a zone id (1 to 63 of a-z, "
                                                                      "0-9 and '-')", zone));
    if (!parse_date(from_s, &from))
        return refuse(p, "usage.invalid_date", "--from",
                      apr_psprintf(p, "'%s' is not a calendar date YYYY-MM-DD", from_s));
    if (!parse_date(to_s, &to))
        return refuse(p, "usage.invalid_date", "--to",
                      apr_psprintf(p, "'%s' is not a calendar date YYYY-MM-DD", to_s));
    if (to < from)
        return refuse(p, "usage.invalid_period", "--to", apr_psprintf(p, "the period ends (%s) before it starts "
                                                                      "(%s)", to_s, from_s));
    if ((to - from) / apr_time_from_sec(86400) + 1 > MAX_DAYS)
        return refuse(p, "usage.period_too_long", "--to",
                      apr_psprintf(p, "at most %d days at a time", MAX_DAYS));
    if (format && strcmp(format, "csv") && strcmp(format, "json"))
        return refuse(p, "usage.invalid_format", "--format", apr_psprintf(p, "'%s' is not csv or json", format));
    json_out = format && !strcmp(format, "json");

    if (mez_db_open(p, driver, params, &db, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    /* A database is one zone's: refuse to bill Z from a database whose audit trail names other zones only. */
    if (mez_db_query_value(p, db, &found, "SELECT zone_id FROM mez_audit WHERE zone_id <> %s LIMIT 1", &pb, zone,
                           NULL) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    if (found) {
        const char *ours = NULL;
        if (mez_db_query_value(p, db, &ours, "SELECT zone_id FROM mez_audit WHERE zone_id = %s LIMIT 1", &pb, zone,
                               NULL) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EIO);
        if (!ours)
            return refuse(p, "usage.unknown_zone", "--zone",
                          apr_psprintf(p, "this database is zone %s's, not %s's", found, zone));
    }

    for (apr_time_t t = from; t <= to; t += apr_time_from_sec(86400)) {
        const char *d = day_of(p, t);
        apr_hash_set(days, d, APR_HASH_KEY_STRING, apr_pcalloc(p, NFIG * sizeof(apr_int64_t)));
        APR_ARRAY_PUSH(order, const char *) = d;
    }
    /* Times are "YYYY-MM-DDTHH:MM:SS...Z" text on both drivers: a day is a string prefix, a period a range. */
    lo = from_s;
    hi = day_of(p, to + apr_time_from_sec(86400));
    for (int i = 0; i < MEZ_MASS_PRIMITIVE_COUNT; i++)
        prims = apr_pstrcat(p, prims, i ? ", '" : "'", mez_mass_primitive_name((mez_mass_primitive_t)i), "'", NULL);
    if (tally(p, db, days, 0,
              "SELECT substr(at, 1, 10), COUNT(DISTINCT COALESCE(request_id, 'seq:' || CAST(seq AS TEXT))) "
              "FROM mez_audit WHERE zone_id = %s AND at >= %s AND at < %s AND actor NOT LIKE 'cli:%%' "
              "GROUP BY substr(at, 1, 10)",
              zone, lo, hi, &pb) != MEZ_OK
        || tally(p, db, days, 1,
                 "SELECT substr(evaluated_at, 1, 10), COUNT(*) FROM mez_evaluation "
                 "WHERE evaluated_at >= %s AND evaluated_at < %s GROUP BY substr(evaluated_at, 1, 10)",
                 NULL, lo, hi, &pb) != MEZ_OK
        || tally(p, db, days, 2,
                 "SELECT substr(issued_at, 1, 10), COUNT(*) FROM mez_credential "
                 "WHERE issued_at >= %s AND issued_at < %s GROUP BY substr(issued_at, 1, 10)",
                 NULL, lo, hi, &pb) != MEZ_OK
        || tally(p, db, days, 3,
                 "SELECT substr(created_at, 1, 10), COUNT(*) FROM mez_corridor_receipt "
                 "WHERE created_at >= %s AND created_at < %s GROUP BY substr(created_at, 1, 10)",
                 NULL, lo, hi, &pb) != MEZ_OK
        || tally(p, db, days, 4,
                 apr_psprintf(p, "SELECT substr(at, 1, 10), COUNT(*) FROM mez_audit WHERE zone_id = %%s "
                                 "AND at >= %%s AND at < %%s AND outcome = 'committed' AND resource_type IN (%s) "
                                 "GROUP BY substr(at, 1, 10)", prims),
                 zone, lo, hi, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);

    doc = mez_json_pool_own(p, json_pack("{s:s, s:s, s:s, s:[]}", "zone", zone, "from", from_s, "to", to_s,
                                         "days"));
    list = json_object_get(doc, "days");
    if (!json_out)
        printf("date,zone,%s,%s,%s,%s,%s\n", fig_name[0], fig_name[1], fig_name[2], fig_name[3], fig_name[4]);
    for (int i = 0; i < order->nelts; i++) {
        const char *d = APR_ARRAY_IDX(order, i, const char *);
        const apr_int64_t *fig = apr_hash_get(days, d, APR_HASH_KEY_STRING);
        json_t *day = json_pack("{s:s}", "date", d);
        for (int f = 0; f < NFIG; f++) {
            json_object_set_new(day, fig_name[f], json_integer((json_int_t)fig[f]));
            total[f] += fig[f];
        }
        json_array_append_new(list, day);
        if (!json_out)
            printf("%s,%s,%" APR_INT64_T_FMT ",%" APR_INT64_T_FMT ",%" APR_INT64_T_FMT ",%" APR_INT64_T_FMT
                   ",%" APR_INT64_T_FMT "\n", d, zone, fig[0], fig[1], fig[2], fig[3], fig[4]);
    }
    if (json_out) {
        json_t *totals = json_object();
        for (int f = 0; f < NFIG; f++)
            json_object_set_new(totals, fig_name[f], json_integer((json_int_t)total[f]));
        json_object_set_new(doc, "totals", totals);
        printf("%s\n", mez_json_dump(p, doc, 1));
    }
    return MEZ_EXIT_OK;
}
