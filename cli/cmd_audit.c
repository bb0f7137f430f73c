/* cmd_audit.c: `mez audit verify|show`, the auditor's side of the hash-chained audit table (mez/audit.h).
 * verify recomputes the whole chain and names each fault it finds; show prints rows as JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include "mez/audit.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/store.h"
#include "mez/yaml.h"
#include "mez_cli.h"

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez audit verify --driver D --params P [--anchor FILE [--did DID]]\n"
        "       mez audit show   --driver D --params P [--from N] [--limit K]\n"
        "\n"
        "D is sqlite3 or pgsql, P a file name or a libpq conninfo (--db-driver and --db are the same options).\n"
        "verify recomputes the audit chain and prints one line per fault: 'seq N: hash mismatch' (a changed row),\n"
        "'gap after seq N' (deleted rows), 'seq N: broken link' (a row whose prev_hash is not its predecessor's\n"
        "hash), 'rows beyond the head' (rows past the chain head: forged, or the head set back), a missing head;\n"
        "exit 0 when intact, 1 when tampered, 2 when the database cannot be used.\n"
        "--anchor FILE: an anchor kept from GET /v1/audit/anchor (its JSON answer, or the bare signed note with\n"
        "--did, the zone's did:key when it was signed): the chain must still hold the row it signed with the hash it\n"
        "signed (its hash recomputed from the row, within the chain the head closes), which catches the newest rows\n"
        "removed and the head set back (the chain alone cannot).\n"
        "show prints rows from seq N (default 1), at most K of them (default all), one JSON object a line: the log\n"
        "the chain head closes. Rows past the head (or every row, when the head is missing) are not shown as the\n"
        "log: show says so on stderr and exits 1.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

void mez_cli_audit_event(apr_pool_t *p, const char *zone_id, const char *action, const char *resource_type,
                         const char *resource_id, json_t *detail, mez_audit_event_t *ev)
{
    const char *who = getenv("SUDO_USER") && *getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");
    memset(ev, 0, sizeof(*ev));
    ev->zone_id = zone_id;
    ev->actor = apr_pstrcat(p, "cli:", who && *who ? who : "unknown", NULL);
    ev->action = action;
    ev->resource_type = resource_type;
    ev->resource_id = resource_id;
    ev->outcome = "committed";
    ev->detail = detail ? mez_json_pool_own(p, detail) : NULL;
}

mez_status_t mez_cli_audit_row(apr_pool_t *p, mez_db_t *db, const char *zone_id, const char *action,
                               const char *resource_type, const char *resource_id, json_t *detail, mez_problem_t *pb)
{
    mez_audit_event_t ev;
    mez_cli_audit_event(p, zone_id, action, resource_type, resource_id, detail, &ev);
    return mez_audit_append(p, db, &ev, pb);
}

int mez_cli_revoke(apr_pool_t *p, mez_db_t *db, const mez_cli_revocable_t *r, const char *id)
{
    const char *cols[2] = { NULL, NULL };
    mez_problem_t pb = { 0 };
    int found = 0;
    mez_db_tx_t *tx;
    mez_status_t rv;

    if ((rv = mez_db_begin(p, db, &tx, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, rv);
    /* r->table and r->id_column are the caller's constants, never input. */
    if ((rv = mez_db_query_row(p, db, cols, 2, &found, apr_psprintf(p, "SELECT zone_id, revoked_at FROM %s WHERE "
                                                                    "%s = %%s", r->table, r->id_column),
                               &pb, id, NULL)) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return mez_cli_fail(&pb, rv);
    }
    /* Revoking twice changes nothing, so it writes no second audit row: the first says when it happened. */
    if (found && cols[1] && *cols[1]) {
        mez_db_rollback(p, tx);
        printf("%s %s was already revoked at %s\n", r->what, id, cols[1]);
        return MEZ_EXIT_OK;
    }
    if ((rv = r->revoke(p, db, id, &pb)) != MEZ_OK
        || (rv = mez_cli_audit_row(p, db, found && cols[0] ? cols[0] : "-", r->action, r->resource_type, id, NULL,
                                   &pb)) != MEZ_OK
        || (rv = mez_db_commit(p, tx, &pb)) != MEZ_OK) {
        mez_db_rollback(p, tx);
        return mez_cli_fail(&pb, rv);
    }
    printf("%s %s revoked\n", r->what, id);
    return MEZ_EXIT_OK;
}

/* A whole non-negative number, or -1. */
static apr_int64_t number(const char *s)
{
    char *end = NULL;
    apr_int64_t v;
    if (!s || !*s)
        return -1;
    v = apr_strtoi64(s, &end, 10);
    return *end || v < 0 ? -1 : v;
}

/* The anchor file: the JSON answer of GET /v1/audit/anchor (note and did), or a bare note (did from --did), opened
 * (its signature checked) into *a. MEZ_EXIT_OK when it opened; MEZ_EXIT_INVALID when its signature or origin is
 * refused (said on stdout: the chain is still verified); MEZ_EXIT_USAGE when it cannot be read at all. */
static int open_anchor(apr_pool_t *p, const char *file, const char **did, mez_audit_anchor_t *a)
{
    mez_problem_t pb = { 0 };
    mez_key_t *key;
    char *text = NULL;
    size_t len = 0;
    const char *note;
    json_t *doc = NULL;
    /* The shared reader: a regular file of at most 64 KB, a named pipe refused rather than waited on. */
    if (mez_yaml_read_file(p, file, 65536, &text, &len, &pb) != MEZ_OK) {
        fprintf(stderr, "mez audit verify: the anchor %s is not readable (%s)\n", file, pb.detail);
        return MEZ_EXIT_USAGE;
    }
    note = text;
    if (text[0] == '{' && mez_json_parse(p, text, len, &doc, &pb) == MEZ_OK && json_is_object(doc)) {
        note = json_string_value(json_object_get(doc, "note"));
        *did = *did ? *did : json_string_value(json_object_get(doc, "did"));
    }
    if (!note || !*did) {
        fprintf(stderr, "mez audit verify: the anchor needs its note and the zone's DID (--did)\n");
        return MEZ_EXIT_USAGE;
    }
    if (mez_did_key_resolve(p, *did, &key, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EINVAL);
    if (mez_audit_anchor_open(p, note, key, a, &pb) != MEZ_OK) {
        printf("anchor %s: %s%s%s\n", file, pb.code ? pb.code : "refused", pb.detail ? ": " : "",
               pb.detail ? pb.detail : "");
        return MEZ_EXIT_INVALID;
    }
    return MEZ_EXIT_OK;
}

static int verify(apr_pool_t *p, mez_db_t *db, const char *anchor, const char *did)
{
    mez_problem_t pb = { 0 };
    mez_audit_report_t rep;
    mez_audit_anchor_t a;
    int arc = MEZ_EXIT_OK, anchor_held;
    if (anchor && (arc = open_anchor(p, anchor, &did, &a)) == MEZ_EXIT_USAGE)
        return arc;
    if (mez_audit_verify_anchored(p, db, anchor && arc == MEZ_EXIT_OK ? &a : NULL, &rep, &pb) != MEZ_OK) {
        mez_cli_fail(&pb, MEZ_EIO);
        return MEZ_EXIT_USAGE;
    }
    anchor_held = anchor && arc == MEZ_EXIT_OK && !rep.anchor_code;
    if (anchor_held)
        printf("anchor %s: row %" APR_INT64_T_FMT " (%s), signed by %s, is in the chain\n", anchor, a.seq, a.hash,
               did);
    else if (anchor && arc == MEZ_EXIT_OK)
        printf("anchor %s: %s: %s\n", anchor, rep.anchor_code, rep.anchor_detail);
    for (int i = 0; i < rep.findings->nelts; i++)
        printf("%s\n", APR_ARRAY_IDX(rep.findings, i, mez_audit_finding_t).message);
    if (rep.findings->nelts || (anchor && !anchor_held)) {
        printf("audit chain TAMPERED: %d fault(s) in %" APR_INT64_T_FMT " rows%s\n", rep.findings->nelts, rep.rows,
               anchor && !anchor_held ? ", and the anchor does not hold" : "");
        return MEZ_EXIT_INVALID;
    }
    if (rep.rows && rep.old_scheme_rows)
        printf("audit chain intact: %" APR_INT64_T_FMT " rows, seq 1..%" APR_INT64_T_FMT " (%" APR_INT64_T_FMT
               " in hash scheme 1, from before schema 14)\n", rep.rows, rep.last_seq, rep.old_scheme_rows);
    else if (rep.rows)
        printf("audit chain intact: %" APR_INT64_T_FMT " rows, seq 1..%" APR_INT64_T_FMT "\n", rep.rows,
               rep.last_seq);
    else
        printf("audit chain intact: empty (no row written yet)\n");
    return MEZ_EXIT_OK;
}

/* The log, rows from..: what the chain head closes, read with the head in one snapshot (as verify reads). Rows past
 * the head are not the log (a forged row, or the head set back over real ones): they are not printed as if they
 * were, and are told on stderr with exit 1, as a missing head is. The rows themselves are still in the table for
 * whoever investigates. */
static int show(apr_pool_t *p, mez_db_t *db, apr_int64_t from, apr_int64_t limit)
{
    mez_problem_t pb = { 0 };
    apr_int64_t shown = 0, next = from;
    mez_audit_extent_t ext;
    mez_db_tx_t *tx;
    if (mez_db_begin_read(p, db, &tx, &pb) != MEZ_OK || mez_audit_extent(p, db, &ext, &pb) != MEZ_OK) {
        mez_cli_fail(&pb, MEZ_EIO);
        return MEZ_EXIT_USAGE;
    }
    if (!ext.have_head && ext.beyond) {
        fprintf(stderr, "mez audit show: the chain head (mez_audit_head) is missing while %" APR_INT64_T_FMT
                " rows exist: the log's end cannot be known, no row is shown as the log (run mez audit verify)\n",
                ext.beyond);
        mez_db_rollback(p, tx);
        return MEZ_EXIT_INVALID;
    }
    /* In pages, so a long trail never sits in memory whole. */
    for (;;) {
        apr_pool_t *page;
        apr_array_header_t *rows;
        int want = limit > 0 && limit - shown < 500 ? (int)(limit - shown) : 500;
        apr_pool_create(&page, p);
        if (mez_audit_read_upto(page, db, next, ext.head_seq, want, &rows, &pb) != MEZ_OK) {
            mez_cli_fail(&pb, MEZ_EIO);
            apr_pool_destroy(page);
            return MEZ_EXIT_USAGE;
        }
        for (int i = 0; i < rows->nelts; i++) {
            const mez_audit_row_t *row = &APR_ARRAY_IDX(rows, i, mez_audit_row_t);
            json_t *doc = mez_json_pool_own(page, mez_audit_row_json(row));
            const char *text = NULL;
            if (mez_json_canonicalize(page, doc, &text, NULL, NULL) != MEZ_OK)
                text = mez_json_dump(page, doc, 0);
            printf("%s\n", text);
            next = row->seq + 1;
        }
        shown += rows->nelts;
        apr_pool_destroy(page);
        if (rows->nelts < want || (limit > 0 && shown >= limit))
            break;
    }
    mez_db_rollback(p, tx);
    if (ext.beyond) {
        fprintf(stderr, "mez audit show: %" APR_INT64_T_FMT " row(s), seq %" APR_INT64_T_FMT "..%" APR_INT64_T_FMT
                ", lie past the chain head (seq %" APR_INT64_T_FMT ") and are not the log: not shown (rows added "
                "outside the chain, or the head set back; run mez audit verify)\n", ext.beyond, ext.beyond_first,
                ext.beyond_last, ext.head_seq);
        return MEZ_EXIT_INVALID;
    }
    return MEZ_EXIT_OK;
}

int mez_cmd_audit(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *driver = NULL, *params = NULL, *from_s = NULL,
               *limit_s = NULL, *anchor = NULL, *did = NULL, *sub;
    const char *pos[1] = { NULL };
    const mez_cli_opt_t opts[] = {
        { "--driver", &driver, NULL }, { "--params", &params, NULL }, { "--db-driver", &driver, NULL },
        { "--db", &params, NULL }, { "--from", &from_s, NULL }, { "--limit", &limit_s, NULL },
        { "--anchor", &anchor, NULL }, { "--did", &did, NULL },
        { NULL, NULL, NULL },
    };
    apr_int64_t from = 1, limit = 0;
    mez_problem_t pb = { 0 };
    mez_db_t *db;
    int npos = 0;

    if (mez_cli_wants_help(argc, argv))
        return usage(stdout);
    if (argc < 2)
        return usage(stderr);
    sub = argv[1];
    if (mez_cli_parse_args(argc - 1, argv + 1, opts, pos, 0, &npos, "audit") < 0)
        return usage(stderr);
    if (!driver || !params)
        return usage(stderr);
    if (strcmp(sub, "verify") && strcmp(sub, "show")) {
        fprintf(stderr, "mez audit: unknown subcommand '%s'\n", sub);
        return usage(stderr);
    }
    if ((anchor || did) && strcmp(sub, "verify")) {
        fprintf(stderr, "mez audit show: --anchor and --did belong to verify\n");
        return usage(stderr);
    }
    if ((from_s || limit_s) && strcmp(sub, "show")) {
        fprintf(stderr, "mez audit verify: --from and --limit belong to show\n");
        return usage(stderr);
    }
    if ((from_s && (from = number(from_s)) < 1) || (limit_s && (limit = number(limit_s)) < 1)) {
        fprintf(stderr, "mez audit show: --from and --limit take a whole number of at least 1\n");
        return usage(stderr);
    }
    if (mez_db_open(p, driver, params, &db, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    return !strcmp(sub, "verify") ? verify(p, db, anchor, did) : show(p, db, from, limit);
}
