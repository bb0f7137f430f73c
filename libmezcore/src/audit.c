/* audit.c: the append-only, hash-chained audit table: appending a row inside the caller's transaction, reading
 * rows back, and verifying the chain (mez/audit.h describes the row and its two hash schemes).
 *
 * Why a head row: seq and prev_hash must follow the previous row exactly, even when several httpd children and
 * several nodes append to one PostgreSQL at once. "SELECT MAX(seq)" would let two transactions read the same
 * last row and fork the chain (the unique key would then fail one of them, but only at its INSERT, aborting the
 * caller's whole action). So every append moves the one row of mez_audit_head, which PostgreSQL keeps locked
 * until the appending transaction ends: the next appender waits there, then moves the head as this one left it.
 * On SQLite, mez_db_begin's BEGIN IMMEDIATE already holds the database's only write lock. Appends touch the head
 * last in their transaction, so lock order is always "the action's own rows, then the head" and two appenders
 * cannot deadlock on it.
 *
 * Why two hash schemes: the head is the zone's one serial point, held from the moment an append takes it until
 * its transaction's commit is durable, so every write of the zone queues behind the time it is held. Scheme 1
 * hashed a whole row, seq and prev_hash included: the appender had to read and lock the head, come back to the
 * zone to hash, and then write, holding the head across a round trip and the zone's own work as well as the
 * commit. Scheme 2 (every row written since schema 14) splits the hash: the row's content is hashed in the zone
 * before anything is locked, and PostgreSQL links it to the chain in the statement that moves the head, with its
 * own sha256() (the head keeps the hash it replaced, for the row). The head is then held for that statement and
 * the commit only, and the append is not waited for at all: it goes out with the COMMIT (mez_db_send). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/vc.h"

#define ROW_COLS "seq, zone_id, at, actor, action, resource_type, resource_id, outcome, request_id, detail, " \
                 "prev_hash, hash, hash_scheme"
#define ROW_NCOLS 13
/* The statements below write the scheme appends use as the literal 2. */
_Static_assert(MEZ_AUDIT_SCHEME == 2, "APPEND_ROW and APPEND_LINKED write hash_scheme 2");
/* Where the zone links a row itself (SQLite: no sha256() in SQL; the head was read under the write lock). */
#define APPEND_ROW "INSERT INTO mez_audit (" ROW_COLS ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 2)"
/* PostgreSQL links it: the head moves (its SET expressions read the row as it was, so prev_hash takes the hash
 * being replaced) and the row takes seq, prev_hash and hash from that move. Scalar subqueries rather than
 * INSERT ... SELECT so that a missing head fails the statement (seq NOT NULL) instead of inserting nothing. The
 * link hash is link_hash() below, in SQL: the text prev_hash "\n" seq "\n" content, as UTF-8. */
#define LINK_IN_SQL "'sha256:' || encode(sha256(convert_to(hash || chr(10) || CAST(seq + 1 AS TEXT) || chr(10) " \
                    "|| CAST(%s AS TEXT), 'UTF8')), 'hex')"
#define APPEND_LINKED "WITH head AS (UPDATE mez_audit_head SET seq = seq + 1, prev_hash = hash, hash = " LINK_IN_SQL \
                      " WHERE id = 1 RETURNING seq, prev_hash, hash) INSERT INTO mez_audit (" ROW_COLS ") VALUES (" \
                      "(SELECT seq FROM head), %s, %s, %s, %s, %s, %s, %s, %s, %s, (SELECT prev_hash FROM head), " \
                      "(SELECT hash FROM head), 2)"
#define VERIFY_BATCH 500

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A row's content: every member but the chain's own (seq, prev_hash, hash, hash_scheme), with detail (a reference
 * the object takes) as given. Scheme 1 hashed this plus seq and prev_hash. */
static json_t *content_object(const mez_audit_row_t *row, json_t *detail)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "zone_id", str_or_null(row->zone_id));
    json_object_set_new(obj, "at", str_or_null(row->at));
    json_object_set_new(obj, "actor", str_or_null(row->actor));
    json_object_set_new(obj, "action", str_or_null(row->action));
    json_object_set_new(obj, "resource_type", str_or_null(row->resource_type));
    json_object_set_new(obj, "resource_id", str_or_null(row->resource_id));
    json_object_set_new(obj, "outcome", str_or_null(row->outcome));
    json_object_set_new(obj, "request_id", str_or_null(row->request_id));
    json_object_set_new(obj, "detail", detail);
    return obj;
}

/* The row as mez audit show prints it and scheme 1 hashed it (without hash and hash_scheme). */
static json_t *row_object(const mez_audit_row_t *row, json_t *detail)
{
    json_t *obj = content_object(row, detail);
    json_object_set_new(obj, "seq", json_integer((json_int_t)row->seq));
    json_object_set_new(obj, "prev_hash", str_or_null(row->prev_hash));
    return obj;
}

/* "sha256:<hex>" of the row's members as an object, detail parsed from its canonical text: its content alone
 * (scheme 2's content digest), or with seq and prev_hash too (scheme 1's hash). */
static mez_status_t digest_members(apr_pool_t *p, const mez_audit_row_t *row, int with_chain, const char **out,
                                   mez_problem_t *pb)
{
    json_t *detail = NULL, *obj;
    mez_digest_t d;
    mez_status_t rv;
    if (!row->detail || mez_json_parse(p, row->detail, strlen(row->detail), &detail, NULL) != MEZ_OK
        || !json_is_object(detail))
        return mez_problem(pb, p, MEZ_EINVAL, 500, "audit.detail_invalid", NULL,
                           "the detail of audit row %" APR_INT64_T_FMT " is not a JSON object", row->seq);
    obj = with_chain ? row_object(row, json_incref(detail)) : content_object(row, json_incref(detail));
    rv = mez_digest_json(p, obj, &d, pb);
    json_decref(obj);
    if (rv == MEZ_OK)
        *out = mez_digest_format(p, &d);
    return rv;
}

/* Scheme 2's link: "sha256:" + hex(SHA-256(prev_hash "\n" seq "\n" content)), as LINK_IN_SQL computes it. */
static const char *link_hash(apr_pool_t *p, const char *prev_hash, apr_int64_t seq, const char *content)
{
    const char *text = apr_psprintf(p, "%s\n%" APR_INT64_T_FMT "\n%s", prev_hash, seq, content);
    mez_digest_t d;
    mez_digest_sha256(text, strlen(text), &d);
    return mez_digest_format(p, &d);
}

mez_status_t mez_audit_row_hash(apr_pool_t *p, const mez_audit_row_t *row, const char **hash, mez_problem_t *pb)
{
    const char *content;
    mez_status_t rv;

    if (row->hash_scheme == 1)
        return digest_members(p, row, 1, hash, pb);
    if (row->hash_scheme != MEZ_AUDIT_SCHEME)
        return mez_problem(pb, p, MEZ_EINVAL, 500, "audit.scheme_unknown", NULL,
                           "audit row %" APR_INT64_T_FMT " names hash scheme %d, which this build does not know",
                           row->seq, row->hash_scheme);
    if (!row->prev_hash)
        return mez_problem(pb, p, MEZ_EINVAL, 500, "audit.detail_invalid", NULL,
                           "audit row %" APR_INT64_T_FMT " has no prev_hash", row->seq);
    if ((rv = digest_members(p, row, 0, &content, pb)) != MEZ_OK)
        return rv;
    *hash = link_hash(p, row->prev_hash, row->seq, content);
    return MEZ_OK;
}

json_t *mez_audit_row_json(const mez_audit_row_t *row)
{
    json_t *detail = row->detail ? json_loads(row->detail, JSON_DECODE_ANY, NULL) : NULL;
    json_t *obj = row_object(row, json_is_object(detail) ? json_incref(detail) : str_or_null(row->detail));
    json_object_set_new(obj, "hash", str_or_null(row->hash));
    json_object_set_new(obj, "hash_scheme", json_integer(row->hash_scheme));
    if (detail)
        json_decref(detail);
    return obj;
}

mez_status_t mez_audit_required(apr_pool_t *p, const mez_audit_event_t *ev, const char *what, mez_problem_t *pb)
{
    if (!ev || !ev->zone_id || !ev->actor || !ev->action || !ev->outcome || (ev->detail && !json_is_object(ev->detail)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "audit.invalid_event", NULL,
                           "%s is recorded in the zone's audit log: the caller must give its audit event (zone_id, "
                           "actor, action, outcome)", what);
    return MEZ_OK;
}

mez_status_t mez_audit_append(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *ev, mez_problem_t *pb)
{
    mez_audit_row_t row = { 0 };
    const char *head[2], *detail = "{}", *content, *seq;
    int found = 0;
    mez_status_t rv;

    if (!ev->zone_id || !ev->actor || !ev->action || !ev->outcome || (ev->detail && !json_is_object(ev->detail)))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "audit.invalid_event", NULL,
                           "an audit event needs zone_id, actor, action and outcome, and an object as detail");
    if (ev->detail && (rv = mez_json_canonicalize(p, ev->detail, &detail, NULL, pb)) != MEZ_OK)
        return rv;
    row.zone_id = ev->zone_id;
    row.at = mez_time_stamp(p, ev->at ? ev->at : apr_time_now());
    row.actor = ev->actor;
    row.action = ev->action;
    row.resource_type = ev->resource_type;
    row.resource_id = ev->resource_id;
    row.outcome = ev->outcome;
    row.request_id = ev->request_id;
    row.detail = detail;
    row.hash_scheme = MEZ_AUDIT_SCHEME;
    /* Everything of the row but its place in the chain is hashed before the head is touched. */
    if ((rv = digest_members(p, &row, 0, &content, pb)) != MEZ_OK)
        return rv;

    if (mez_db_has_writable_cte(db)) {
        /* One statement links and writes the row, sent: it goes out with the COMMIT (where an error it meets
         * fails the transaction, and the row is then not counted either). */
        rv = mez_db_send(p, db, APPEND_LINKED, pb, content, row.zone_id, row.at, row.actor, row.action,
                         row.resource_type ? row.resource_type : MEZ_DB_NULL,
                         row.resource_id ? row.resource_id : MEZ_DB_NULL, row.outcome,
                         row.request_id ? row.request_id : MEZ_DB_NULL, row.detail, NULL);
        if (rv == MEZ_OK)
            mez_db_count_audit_row(db);
        return rv;
    }

    /* Here the zone links it: the head is read under the transaction's write lock (see the top of this file). */
    rv = mez_db_query_row(p, db, head, 2, &found,
                          apr_pstrcat(p, "SELECT seq, hash FROM mez_audit_head WHERE id = 1", mez_db_for_update(db),
                                      NULL), pb, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found || !head[0] || !head[1])
        return mez_problem(pb, p, MEZ_EIO, 503, "audit.no_head", NULL,
                           "the audit chain has no head row: run mez db migrate");
    row.seq = apr_atoi64(head[0]) + 1;
    row.prev_hash = head[1];
    row.hash = link_hash(p, row.prev_hash, row.seq, content);
    seq = apr_psprintf(p, "%" APR_INT64_T_FMT, row.seq);
    rv = mez_db_send(p, db, APPEND_ROW, pb, seq, row.zone_id, row.at, row.actor, row.action,
                     row.resource_type ? row.resource_type : MEZ_DB_NULL,
                     row.resource_id ? row.resource_id : MEZ_DB_NULL, row.outcome,
                     row.request_id ? row.request_id : MEZ_DB_NULL, row.detail, row.prev_hash, row.hash, NULL);
    if (rv == MEZ_OK)
        rv = mez_db_execv(p, db, NULL, "UPDATE mez_audit_head SET seq = %s, prev_hash = %s, hash = %s WHERE id = 1",
                          pb, seq, row.prev_hash, row.hash, NULL);
    if (rv == MEZ_OK)
        mez_db_count_audit_row(db);
    return rv;
}

static void row_from(const char **c, mez_audit_row_t *row)
{
    row->seq = c[0] ? apr_atoi64(c[0]) : 0;
    row->zone_id = c[1];
    row->at = c[2];
    row->actor = c[3];
    row->action = c[4];
    row->resource_type = c[5];
    row->resource_id = c[6];
    row->outcome = c[7];
    row->request_id = c[8];
    row->detail = c[9];
    row->prev_hash = c[10];
    row->hash = c[11];
    row->hash_scheme = c[12] ? atoi(c[12]) : 0;
}

/* Rows with after < seq <= upto (upto < 0: no bound), at most limit (<= 0: all), oldest first. Numbers are ours, so
 * they go in as literals. */
static mez_status_t read_after(apr_pool_t *p, mez_db_t *db, apr_int64_t after, apr_int64_t upto, int limit,
                               apr_array_header_t **out, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    const char *sql = apr_psprintf(p, "SELECT " ROW_COLS " FROM mez_audit WHERE seq > %" APR_INT64_T_FMT "%s"
                                   " ORDER BY seq%s", after,
                                   upto >= 0 ? apr_psprintf(p, " AND seq <= %" APR_INT64_T_FMT, upto) : "",
                                   limit > 0 ? apr_psprintf(p, " LIMIT %d", limit) : "");
    mez_status_t rv = mez_db_query_rows(p, db, ROW_NCOLS, &rows, sql, pb, NULL);
    if (rv != MEZ_OK)
        return rv;
    *out = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(mez_audit_row_t));
    for (int i = 0; i < rows->nelts; i++)
        row_from(APR_ARRAY_IDX(rows, i, const char **), &APR_ARRAY_PUSH(*out, mez_audit_row_t));
    return MEZ_OK;
}

mez_status_t mez_audit_read(apr_pool_t *p, mez_db_t *db, apr_int64_t from, int limit, apr_array_header_t **rows,
                            mez_problem_t *pb)
{
    return read_after(p, db, from > 0 ? from - 1 : 0, -1, limit, rows, pb);
}

mez_status_t mez_audit_read_upto(apr_pool_t *p, mez_db_t *db, apr_int64_t from, apr_int64_t upto, int limit,
                                 apr_array_header_t **rows, mez_problem_t *pb)
{
    return read_after(p, db, from > 0 ? from - 1 : 0, upto, limit, rows, pb);
}

mez_status_t mez_audit_head(apr_pool_t *p, mez_db_t *db, apr_int64_t *seq, const char **hash, int *found,
                            mez_problem_t *pb)
{
    const char *head[2];
    mez_status_t rv = mez_db_query_row(p, db, head, 2, found, "SELECT seq, hash FROM mez_audit_head WHERE id = 1", pb,
                                       NULL);
    if (rv != MEZ_OK)
        return rv;
    /* Both columns are NOT NULL; a row without them is no head either. */
    *found = *found && head[0] && head[1];
    *seq = *found ? apr_atoi64(head[0]) : -1;
    *hash = *found ? head[1] : NULL;
    return MEZ_OK;
}

mez_status_t mez_audit_beyond(apr_pool_t *p, mez_db_t *db, apr_int64_t after, apr_int64_t *count, apr_int64_t *first,
                              apr_int64_t *last, mez_problem_t *pb)
{
    const char *c[3];
    int found = 0;
    const char *sql = apr_psprintf(p, "SELECT COUNT(*), MIN(seq), MAX(seq) FROM mez_audit WHERE seq > %"
                                   APR_INT64_T_FMT, after);
    mez_status_t rv = mez_db_query_row(p, db, c, 3, &found, sql, pb, NULL);
    if (rv != MEZ_OK)
        return rv;
    *count = found && c[0] ? apr_atoi64(c[0]) : 0;
    *first = *count && c[1] ? apr_atoi64(c[1]) : 0;
    *last = *count && c[2] ? apr_atoi64(c[2]) : 0;
    return MEZ_OK;
}

mez_status_t mez_audit_extent(apr_pool_t *p, mez_db_t *db, mez_audit_extent_t *out, mez_problem_t *pb)
{
    mez_status_t rv;
    memset(out, 0, sizeof(*out));
    if ((rv = mez_audit_head(p, db, &out->head_seq, &out->head_hash, &out->have_head, pb)) != MEZ_OK)
        return rv;
    if (!out->have_head) {
        out->head_seq = 0;
        out->head_hash = NULL;
    }
    return mez_audit_beyond(p, db, out->head_seq, &out->beyond, &out->beyond_first, &out->beyond_last, pb);
}

mez_status_t mez_audit_page(apr_pool_t *p, mez_db_t *db, apr_int64_t from, int limit, mez_audit_extent_t *ext,
                            apr_array_header_t **rows, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t rv;
    *rows = apr_array_make(p, 1, sizeof(mez_audit_row_t));
    if ((rv = mez_db_begin_read(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    if ((rv = mez_audit_extent(p, db, ext, pb)) == MEZ_OK && ext->head_seq > 0) {
        if (from <= 0)
            from = ext->head_seq > limit ? ext->head_seq - limit + 1 : 1;
        rv = mez_audit_read_upto(p, db, from, ext->head_seq, limit, rows, pb);
    }
    mez_db_rollback(p, tx);
    return rv;
}

static void finding(mez_audit_report_t *rep, apr_pool_t *p, mez_audit_fault_t fault, apr_int64_t seq,
                    apr_int64_t next_seq, const char *message)
{
    mez_audit_finding_t *f = &APR_ARRAY_PUSH(rep->findings, mez_audit_finding_t);
    f->fault = fault;
    f->seq = seq;
    f->next_seq = next_seq;
    f->message = apr_pstrdup(p, message);
}

static const char *gap_message(apr_pool_t *p, apr_int64_t after, apr_int64_t next)
{
    if (next == after + 2)
        return apr_psprintf(p, "gap after seq %" APR_INT64_T_FMT ": seq %" APR_INT64_T_FMT " is missing (deleted)",
                            after, after + 1);
    return apr_psprintf(p, "gap after seq %" APR_INT64_T_FMT ": seq %" APR_INT64_T_FMT "..%" APR_INT64_T_FMT
                        " are missing (deleted)", after, after + 1, next - 1);
}

/* Whether the chain holds the anchor's row: judged from the row's recomputed hash (want, NULL when it could not be
 * recomputed), never from its stored hash column, which whoever rewrites the row leaves as it was. */
static void judge_anchor(apr_pool_t *p, mez_audit_report_t *rep, const mez_audit_anchor_t *anchor,
                         const mez_audit_row_t *row, const char *want)
{
    if (!want || strcmp(want, anchor->hash)) {
        rep->anchor_code = "audit.anchor_mismatch";
        rep->anchor_detail = apr_psprintf(p, "the anchor signed row %" APR_INT64_T_FMT " as %s; the chain's row %"
                                          APR_INT64_T_FMT " hashes to %s: the chain up to it was replaced",
                                          anchor->seq, anchor->hash, row->seq, want ? want : "nothing (unreadable)");
    }
}

/* Verifies inside the read snapshot the caller opened (mez_audit_verify_anchored). */
static mez_status_t verify_snapshot(apr_pool_t *p, mez_db_t *db, const mez_audit_anchor_t *anchor,
                                    mez_audit_report_t *rep, mez_problem_t *pb)
{
    const char *head_hash = NULL, *prev_hash = MEZ_AUDIT_GENESIS, *last_hash = NULL;
    apr_int64_t head_seq, prev_seq = 0, chain_end;
    int have_head = 0, anchor_seen = 0;
    mez_status_t rv;

    /* The head and the rows come from one snapshot: every row up to the head's seq was committed with it, and a row
     * committed after the snapshot is not seen at all, so a row past the head can only be tampering. */
    if ((rv = mez_audit_head(p, db, &head_seq, &head_hash, &have_head, pb)) != MEZ_OK)
        return rv;
    rep->head_seq = head_seq;
    /* Without a head nothing closes the chain: every row is read as the chain, and the missing head is reported
     * below (when there are rows: a migrated, never written table may lack nothing else). */
    chain_end = have_head ? head_seq : APR_INT64_MAX;

    for (;;) {
        apr_pool_t *batch;
        apr_array_header_t *rows;
        int done = 0;
        apr_pool_create(&batch, p);
        if ((rv = read_after(batch, db, prev_seq, chain_end == APR_INT64_MAX ? -1 : chain_end, VERIFY_BATCH, &rows,
                             pb)) != MEZ_OK) {
            if (pb && pb->detail)
                pb->detail = apr_pstrdup(p, pb->detail);
            apr_pool_destroy(batch);
            return rv;
        }
        for (int i = 0; i < rows->nelts; i++) {
            const mez_audit_row_t *row = &APR_ARRAY_IDX(rows, i, mez_audit_row_t);
            const char *want = NULL;
            int computed;
            rep->rows++;
            rep->old_scheme_rows += row->hash_scheme == 1;
            if (row->seq != prev_seq + 1)
                finding(rep, p, MEZ_AUDIT_GAP, prev_seq, row->seq, gap_message(batch, prev_seq, row->seq));
            else if (!row->prev_hash || strcmp(row->prev_hash, prev_hash))
                finding(rep, p, MEZ_AUDIT_BROKEN_LINK, row->seq, 0,
                        apr_psprintf(batch, "seq %" APR_INT64_T_FMT ": broken link (prev_hash is not the hash of "
                                     "seq %" APR_INT64_T_FMT ")", row->seq, prev_seq));
            /* Each row by its own scheme: a build from before schema 14 (a node not yet upgraded, a child
             * finishing its request during a graceful reload) still appends scheme 1 rows, as valid as any. */
            computed = mez_audit_row_hash(batch, row, &want, NULL) == MEZ_OK;
            if (!computed || !row->hash || strcmp(want, row->hash))
                finding(rep, p, MEZ_AUDIT_HASH_MISMATCH, row->seq, 0,
                        apr_psprintf(batch, "seq %" APR_INT64_T_FMT ": hash mismatch (the row was changed)",
                                     row->seq));
            if (anchor && row->seq == anchor->seq) {
                anchor_seen = 1;
                judge_anchor(p, rep, anchor, row, computed ? want : NULL);
            }
            prev_seq = row->seq;
            prev_hash = apr_pstrdup(p, row->hash ? row->hash : "");
            last_hash = prev_hash;
        }
        if (rows->nelts < VERIFY_BATCH)
            done = 1;
        apr_pool_destroy(batch);
        if (done)
            break;
    }
    rep->last_seq = prev_seq;
    if (!have_head) {
        if (rep->rows)
            finding(rep, p, MEZ_AUDIT_NO_HEAD, prev_seq, 0,
                    "the chain head (mez_audit_head) is missing: it was deleted, and rows cut off the end can no "
                    "longer be told");
    }
    else if (prev_seq < head_seq)
        finding(rep, p, MEZ_AUDIT_TRUNCATED, prev_seq, head_seq,
                prev_seq + 1 == head_seq
                    ? apr_psprintf(p, "gap after seq %" APR_INT64_T_FMT ": seq %" APR_INT64_T_FMT " is missing "
                                   "(deleted from the end; the chain head records it)", prev_seq, head_seq)
                    : apr_psprintf(p, "gap after seq %" APR_INT64_T_FMT ": seq %" APR_INT64_T_FMT "..%"
                                   APR_INT64_T_FMT " are missing (deleted from the end; the chain head records them)",
                                   prev_seq, prev_seq + 1, head_seq));
    else if (head_seq > 0 && (!last_hash || strcmp(last_hash, head_hash)))
        finding(rep, p, MEZ_AUDIT_HEAD_MISMATCH, prev_seq, 0,
                apr_psprintf(p, "seq %" APR_INT64_T_FMT ": the chain head records another hash for the last row",
                             prev_seq));
    if (have_head) {
        apr_int64_t first, last;
        if ((rv = mez_audit_beyond(p, db, head_seq, &rep->beyond_head, &first, &last, pb)) != MEZ_OK)
            return rv;
        rep->rows += rep->beyond_head;
        if (rep->beyond_head)
            finding(rep, p, MEZ_AUDIT_BEYOND_HEAD, first, last,
                    rep->beyond_head == 1
                        ? apr_psprintf(p, "rows beyond the head: seq %" APR_INT64_T_FMT " lies past the chain head "
                                       "(seq %" APR_INT64_T_FMT "): a row added outside the chain, or the head set "
                                       "back", first, head_seq)
                        : apr_psprintf(p, "rows beyond the head: %" APR_INT64_T_FMT " rows, seq %" APR_INT64_T_FMT
                                       "..%" APR_INT64_T_FMT ", lie past the chain head (seq %" APR_INT64_T_FMT "): "
                                       "rows added outside the chain, or the head set back", rep->beyond_head, first,
                                       last, head_seq));
    }
    if (anchor && anchor->seq > 0 && !anchor_seen) {
        rep->anchor_code = "audit.anchor_missing";
        rep->anchor_detail =
            have_head && anchor->seq > head_seq
                ? apr_psprintf(p, "the anchor signed row %" APR_INT64_T_FMT " (%s), past the chain head (seq %"
                               APR_INT64_T_FMT "): rows were removed, or the head set back", anchor->seq,
                               anchor->hash, head_seq)
                : apr_psprintf(p, "the anchor signed row %" APR_INT64_T_FMT " (%s), which the chain no longer holds: "
                               "rows were removed", anchor->seq, anchor->hash);
    }
    return MEZ_OK;
}

mez_status_t mez_audit_verify_anchored(apr_pool_t *p, mez_db_t *db, const mez_audit_anchor_t *anchor,
                                       mez_audit_report_t *rep, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t rv;

    memset(rep, 0, sizeof(*rep));
    rep->head_seq = -1;
    rep->findings = apr_array_make(p, 4, sizeof(mez_audit_finding_t));
    if ((rv = mez_db_begin_read(p, db, &tx, pb)) != MEZ_OK)
        return rv;
    rv = verify_snapshot(p, db, anchor, rep, pb);
    /* Nothing was written: the snapshot is let go either way. */
    mez_db_rollback(p, tx);
    return rv;
}

mez_status_t mez_audit_verify(apr_pool_t *p, mez_db_t *db, mez_audit_report_t *rep, mez_problem_t *pb)
{
    return mez_audit_verify_anchored(p, db, NULL, rep, pb);
}
