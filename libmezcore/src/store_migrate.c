/* store_migrate.c: applies the numbered files in sql/<driver>/ in order, each in its own transaction,
 * and records each in mez_schema_version so a half-applied step can never be mistaken for a done one. */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "mez/log.h"
#include "mez/store.h"
#include "mez/yaml.h"

typedef struct {
    int version;
    const char *name;
    const char *path;
} migration_t;

static int migration_cmp(const void *a, const void *b)
{
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

mez_status_t mez_db_schema_version(apr_pool_t *p, mez_db_t *db, int *version, mez_problem_t *pb)
{
    const char *v = NULL;
    const char *exists_sql = !strcmp(db->driver_name, "pgsql")
        ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'mez_schema_version'"
        : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'mez_schema_version'";
    mez_status_t rv;

    *version = 0;
    /* Ask the catalogue first: a failing SELECT would abort an enclosing PostgreSQL transaction. */
    if ((rv = mez_db_query_value(p, db, &v, exists_sql, pb, NULL)) != MEZ_OK)
        return rv;
    if (!v || atoi(v) == 0)
        return MEZ_OK;
    if ((rv = mez_db_query_value(p, db, &v, "SELECT MAX(version) FROM mez_schema_version", pb, NULL)) != MEZ_OK)
        return rv;
    *version = v && *v ? atoi(v) : 0;
    return MEZ_OK;
}

/* Migration files hold statements each ending with ';' at the end of a line; "--" lines are comments.
 * apr_dbd's sqlite3 driver runs only the first statement of a string, hence the split. */
static apr_array_header_t *split_statements(apr_pool_t *p, char *text)
{
    apr_array_header_t *stmts = apr_array_make(p, 8, sizeof(char *));
    char *stmt = NULL, *line, *save = NULL;
    for (line = apr_strtok(text, "\n", &save); line; line = apr_strtok(NULL, "\n", &save)) {
        char *t = line;
        size_t n;
        while (*t == ' ' || *t == '\t')
            t++;
        if (!*t || !strncmp(t, "--", 2))
            continue;
        stmt = stmt ? apr_pstrcat(p, stmt, "\n", line, NULL) : apr_pstrdup(p, line);
        n = strlen(stmt);
        while (n && (stmt[n - 1] == ' ' || stmt[n - 1] == '\r' || stmt[n - 1] == '\t'))
            stmt[--n] = '\0';
        if (n && stmt[n - 1] == ';') {
            stmt[n - 1] = '\0';
            APR_ARRAY_PUSH(stmts, char *) = stmt;
            stmt = NULL;
        }
    }
    if (stmt)
        APR_ARRAY_PUSH(stmts, char *) = stmt;
    return stmts;
}

static mez_status_t read_text(apr_pool_t *p, const char *path, char **out, mez_problem_t *pb)
{
    size_t len;
    mez_problem_t io = { 0 };
    /* The shared reader opens without waiting and reads only a regular file: a named pipe swapped in for a
     * migration after the directory was listed cannot hang `mez db migrate` or `mez deploy`. */
    if (mez_yaml_read_file(p, path, MEZ_YAML_MAX_FILE, out, &len, &io) != MEZ_OK)
        return mez_problem(pb, p, MEZ_EIO, 500, "db.migration_unreadable", NULL, "%s", io.detail);
    return MEZ_OK;
}

static mez_status_t list_migrations(apr_pool_t *p, const char *dir, apr_array_header_t **out, mez_problem_t *pb)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    char e[256];
    apr_array_header_t *list = apr_array_make(p, 8, sizeof(migration_t));
    apr_status_t rv = apr_dir_open(&d, dir, p);
    if (rv != APR_SUCCESS)
        return mez_problem(pb, p, MEZ_EIO, 500, "db.migrations_missing", NULL, "cannot open %s: %s", dir,
                           apr_strerror(rv, e, sizeof(e)));
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        size_t n = strlen(fi.name);
        migration_t *m;
        if (fi.filetype != APR_REG || n < 9 || strcmp(fi.name + n - 4, ".sql") || fi.name[4] != '_')
            continue;
        m = &APR_ARRAY_PUSH(list, migration_t);
        m->version = atoi(fi.name);
        m->name = apr_pstrndup(p, fi.name, n - 4);
        m->path = apr_pstrcat(p, dir, "/", fi.name, NULL);
    }
    apr_dir_close(d);
    qsort(list->elts, (size_t)list->nelts, sizeof(migration_t), migration_cmp);
    *out = list;
    return MEZ_OK;
}

static mez_status_t apply_one(apr_pool_t *p, mez_db_t *db, const migration_t *m, mez_problem_t *pb)
{
    char *text = NULL;
    apr_array_header_t *stmts;
    mez_db_tx_t *tx;
    mez_status_t rv;
    char now[APR_RFC822_DATE_LEN];
    apr_time_exp_t tm;
    apr_size_t len;

    if ((rv = read_text(p, m->path, &text, pb)) != MEZ_OK)
        return rv;
    stmts = split_statements(p, text);
    if ((rv = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    for (int i = 0; i < stmts->nelts; i++) {
        if ((rv = mez_db_exec(p, db, APR_ARRAY_IDX(stmts, i, char *), pb)) != MEZ_OK) {
            mez_db_rollback(p, tx);
            pb->detail = apr_psprintf(p, "%s, statement %d: %s", m->name, i + 1, pb->detail);
            return rv;
        }
    }
    apr_time_exp_gmt(&tm, apr_time_now());
    apr_strftime(now, &len, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rv = mez_db_execv(p, db, NULL, "INSERT INTO mez_schema_version (version, name, applied_at) VALUES (%d, %s, %s)",
                      pb, apr_itoa(p, m->version), m->name, now, NULL);
    if (rv != MEZ_OK) {
        mez_db_rollback(p, tx);
        return rv;
    }
    return mez_db_commit(p, tx, pb);
}

mez_status_t mez_db_migrate(apr_pool_t *p, mez_db_t *db, const char *sql_dir, int *from, int *to,
                            mez_problem_t *pb)
{
    apr_array_header_t *list;
    int version;
    mez_status_t rv;

    if ((rv = mez_db_schema_version(p, db, &version, pb)) != MEZ_OK)
        return rv;
    *from = *to = version;
    if ((rv = list_migrations(p, apr_pstrcat(p, sql_dir, "/", db->driver_name, NULL), &list, pb)) != MEZ_OK)
        return rv;
    for (int i = 0; i < list->nelts; i++) {
        const migration_t *m = &APR_ARRAY_IDX(list, i, migration_t);
        if (m->version <= version)
            continue;
        MEZ_LOG(MEZ_LOG_INFO, p, "applying migration %s", m->name);
        if ((rv = apply_one(p, db, m, pb)) != MEZ_OK)
            return rv;
        *to = m->version;
    }
    if (*to > MEZ_SCHEMA_VERSION)
        MEZ_LOG(MEZ_LOG_WARN, p, "database schema %d is newer than this build expects (%d)", *to,
                MEZ_SCHEMA_VERSION);
    return MEZ_OK;
}
