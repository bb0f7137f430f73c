/* cmd_db.c: `mez db migrate|version`, applying sql/<driver>/ migrations to a SQLite file or PostgreSQL.
 * The same migrations and the same version table are what the module's /readyz checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mez/store.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez db migrate --driver sqlite3|pgsql --params PARAMS [--sql-dir DIR]\n"
        "       mez db version --driver sqlite3|pgsql --params PARAMS\n"
        "\n"
        "PARAMS is a file name for sqlite3, a libpq conninfo for pgsql\n"
        "(e.g. \"host=127.0.0.1 port=5432 dbname=mez user=mez\").\n"
        "DIR holds sqlite3/ and pgsql/ with NNNN_name.sql files (default: $MEZ_SQL_DIR or %s).\n"
        "migrate applies what is missing, each file in its own transaction, and prints the versions.\n",
        MEZ_SQL_DIR);
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

int mez_cmd_db(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *sql_dir = getenv("MEZ_SQL_DIR");
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    mez_status_t rv;
    const char *sub;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    sub = argv[1];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--driver") && i + 1 < argc) driver = argv[++i];
        else if (!strcmp(argv[i], "--params") && i + 1 < argc) params = argv[++i];
        else if (!strcmp(argv[i], "--sql-dir") && i + 1 < argc) sql_dir = argv[++i];
        else {
            fprintf(stderr, "mez db: unexpected argument '%s'\n", argv[i]);
            return usage(stderr);
        }
    }
    if (!driver || !params)
        return usage(stderr);
    if (!sql_dir || !*sql_dir)
        sql_dir = MEZ_SQL_DIR;
    if ((rv = mez_db_open(p, driver, params, &db, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);

    if (!strcmp(sub, "migrate")) {
        int from, to;
        if ((rv = mez_db_migrate(p, db, sql_dir, &from, &to, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EIO);
        if (from == to)
            printf("schema version %d: up to date\n", to);
        else
            printf("schema version %d -> %d\n", from, to);
        return MEZ_EXIT_OK;
    }
    if (!strcmp(sub, "version")) {
        int v;
        if ((rv = mez_db_schema_version(p, db, &v, &pb)) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EIO);
        printf("%d\n", v);
        return v == MEZ_SCHEMA_VERSION ? MEZ_EXIT_OK : MEZ_EXIT_INVALID;
    }
    fprintf(stderr, "mez db: unknown subcommand '%s'\n", sub);
    return usage(stderr);
}
