/* mass_ledger.c: the fiscal primitive's double-entry ledger: accounts, guarded postings, holds expiry and the
 * invariant checks. A balance changes only here, only inside a transaction whose lines sum to zero. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mass_fiscal_int.h"

static const char *i64(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

static int64_t to_i64(const char *s)
{
    return s ? (int64_t)apr_atoi64(s) : 0;
}

/* The owning entity's status comes with the account (a subselect on its primary key), so a payment learns whether
 * its entities are still live in the round trip that reads its accounts (payments are a hot path); its zone too,
 * which is the account's (mass_int.h: zones). Subselects, not a join: FOR UPDATE cannot lock the nullable side of
 * an outer join on PostgreSQL, and the zone's own accounts have no entity. */
#define ACCOUNT_SELECT "SELECT a.account_id, a.kind, a.entity_id, a.account_type, a.currency, a.status, a.doc, " \
                       "a.created_at, a.updated_at, a.balance, a.held, (SELECT e.status FROM mez_mass_entity e " \
                       "WHERE e.entity_id = a.entity_id), (SELECT e.zone_id FROM mez_mass_entity e " \
                       "WHERE e.entity_id = a.entity_id) FROM mez_mass_account a WHERE a.account_id = %s"
#define ACCOUNT_COLS 13

static void account_from(const char **col, mez_fiscal_account_t *a)
{
    a->account_id = col[0];
    a->kind = col[1];
    a->entity_id = mez_mass_nullable(col[2]);
    a->account_type = col[3];
    a->currency = col[4];
    a->status = col[5];
    a->doc = col[6];
    a->created_at = col[7];
    a->updated_at = col[8];
    a->balance = to_i64(col[9]);
    a->held = to_i64(col[10]);
    a->entity_status = mez_mass_nullable(col[11]);
    a->zone_id = mez_mass_nullable(col[12]);
    a->exponent = mez_mass_currency_exponent(a->currency);
}

int mez_fiscal_account_visible(const mez_mass_call_t *c, const mez_fiscal_account_t *a)
{
    return !c->ctx->caller_zone_id || (a->entity_id && mez_mass_zone_visible(c, a->zone_id));
}

mez_status_t mez_fiscal_account_load(mez_mass_call_t *c, const char *account_id, mez_fiscal_account_t *a,
                                     int *found)
{
    const char *col[ACCOUNT_COLS];
    mez_status_t rv = mez_db_query_row(c->p, c->db, col, ACCOUNT_COLS, found, ACCOUNT_SELECT, c->pb, account_id,
                                       NULL);
    if (rv == MEZ_OK && *found)
        account_from(col, a);
    return rv;
}

/* Each account's row lock is taken here, in account id order, before anything refers to the row. On PostgreSQL a
 * payment's INSERT takes a key-share lock on the accounts it names (the foreign keys), which does not conflict
 * with another payment's balance UPDATE; the guarded UPDATE that follows then waits for that other payment, and
 * PostgreSQL 15 can fail it when the other commits ("new multixact has more than one updating member"): two
 * nodes paying from one account saw an occasional 503 db.error. Locked here, every later statement of the
 * payment finds its rows already its own; and in id order, as the postings' UPDATEs are (mez_fiscal_post), two
 * payments in opposite directions cannot deadlock. On SQLite the transaction already holds the database. */
mez_status_t mez_fiscal_accounts_lock(mez_mass_call_t *c, int n, const char *const *ids, mez_fiscal_account_t *a,
                                      int *found)
{
    mez_db_query_t *q = apr_pcalloc(c->p, sizeof(*q) * (size_t)(n > 0 ? n : 1));
    const char *sql = apr_pstrcat(c->p, ACCOUNT_SELECT, mez_db_for_update(c->db), NULL);
    int *order = apr_palloc(c->p, sizeof(*order) * (size_t)(n > 0 ? n : 1));
    mez_status_t rv;
    for (int i = 0; i < n; i++) {   /* insertion sort of a payment's two or three accounts */
        int j = i;
        for (; j > 0 && strcmp(ids[order[j - 1]], ids[i]) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (int k = 0; k < n; k++) {
        q[k].sql = sql;
        q[k].nargs = 1;
        q[k].args = &ids[order[k]];
        q[k].ncols = ACCOUNT_COLS;
    }
    if ((rv = mez_db_query_all(c->p, c->db, q, n, c->pb)) != MEZ_OK)
        return rv;
    for (int k = 0; k < n; k++) {
        int i = order[k];
        if ((found[i] = q[k].rows->nelts > 0))
            account_from(APR_ARRAY_IDX(q[k].rows, 0, const char **), &a[i]);
    }
    return MEZ_OK;
}

json_t *mez_fiscal_account_json(mez_mass_call_t *c, const mez_fiscal_account_t *a)
{
    json_t *doc = mez_mass_doc_parse(c, a->doc), *out;
    /* The stored doc holds what the creator gave (ntn, bank_details, metadata); the rest is the row's. */
    out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "account_id", a->account_id, "entity_id",
                    a->entity_id ? a->entity_id : "", "account_type", a->account_type, "currency", a->currency,
                    "balance", mez_mass_amount_format(c->p, a->balance, a->exponent), "status", a->status,
                    "created_at", a->created_at, "updated_at", a->updated_at);
    if (doc) {
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v)
            if (!json_object_get(out, key))
                json_object_set(out, key, v);
        json_decref(doc);
    }
    return out;
}

mez_status_t mez_fiscal_system_account(mez_mass_call_t *c, const char *kind, const char *currency,
                                       const char **account_id)
{
    const char *now = mez_time_stamp(c->p, c->ctx->now);
    int clearing = !strcmp(kind, MEZ_FISCAL_CLEARING);
    *account_id = apr_pstrcat(c->p, clearing ? "sys_clearing_" : "sys_outbound_", currency, NULL);
    return mez_db_execv(c->p, c->db, NULL,
                        "INSERT INTO mez_mass_account (account_id, kind, entity_id, account_type, currency, status, "
                        "balance, held, line_seq, doc, created_at, updated_at) "
                        "VALUES (%s, %s, NULL, %s, %s, 'active', 0, 0, 0, '{}', %s, %s) "
                        "ON CONFLICT (account_id) DO NOTHING",
                        c->pb, *account_id, kind, clearing ? "clearing" : "settlement", currency, now, now, NULL);
}

mez_status_t mez_fiscal_expire_holds(mez_mass_call_t *c, const char *account_id)
{
    const char *now = mez_time_stamp(c->p, c->ctx->now);
    apr_array_header_t *rows;
    mez_status_t rv;
    /* On PostgreSQL one statement ends the holds and takes them out of held, and nothing in it needs reading
     * back, so it goes with the posting's next statement (mez_db_send): no round trip of its own. The UPDATE
     * ends only holds still active when it gets to them (a concurrent transaction that ended one first is waited
     * for, and its hold then no longer matches), so each hold leaves held once, as below. */
    if (mez_db_has_writable_cte(c->db))
        return mez_db_send(c->p, c->db,
                           "WITH ended AS (UPDATE mez_mass_hold SET status = 'expired', ended_at = %s "
                           "WHERE account_id = %s AND status = 'active' AND expires_at IS NOT NULL AND "
                           "expires_at <= %s RETURNING amount) "
                           "UPDATE mez_mass_account SET held = held - (SELECT SUM(amount) FROM ended), updated_at = %s "
                           "WHERE account_id = %s AND EXISTS (SELECT 1 FROM ended)",
                           c->pb, now, account_id, now, now, account_id, NULL);
    rv = mez_db_query_rows(c->p, c->db, 2, &rows,
                           "SELECT hold_id, amount FROM mez_mass_hold WHERE account_id = %s AND "
                           "status = 'active' AND expires_at IS NOT NULL AND expires_at <= %s ORDER BY hold_id",
                           c->pb, account_id, now, NULL);
    for (int i = 0; rv == MEZ_OK && i < rows->nelts; i++) {
        const char **h = APR_ARRAY_IDX(rows, i, const char **);
        int n = 0;
        /* Only the transaction that ends the hold takes it out of held: a concurrent one finds it ended. */
        rv = mez_db_execv(c->p, c->db, &n,
                          "UPDATE mez_mass_hold SET status = 'expired', ended_at = %s "
                          "WHERE hold_id = %s AND status = 'active'",
                          c->pb, now, h[0], NULL);
        if (rv == MEZ_OK && n == 1)
            rv = mez_db_execv(c->p, c->db, NULL,
                              "UPDATE mez_mass_account SET held = held - CAST(%s AS BIGINT), updated_at = %s "
                              "WHERE account_id = %s",
                              c->pb, h[1], now, account_id, NULL);
    }
    return rv;
}

/* A posting's guarded balance UPDATEs (q[k]: sql with its arguments; account_id is the third) and what each left:
 * col[k] = balance, line_seq, currency, or NULL when the guard held the line back (funds, limit, status: no row
 * changed). The rows are ours until commit (locked on PostgreSQL, the database on SQLite), so what is read is
 * what this transaction wrote. */
static mez_status_t move_balances(mez_mass_call_t *c, int n, mez_db_query_t *q, const char ***col)
{
    mez_status_t rv;
    for (int k = 0; k < n; k++)
        col[k] = NULL;
    /* With RETURNING each UPDATE answers the new balance itself, and as no line's UPDATE depends on another's
     * answer, they all go together: one round trip for the posting on PostgreSQL. */
    if (mez_db_has_returning(c->db)) {
        for (int k = 0; k < n; k++) {
            q[k].sql = apr_pstrcat(c->p, q[k].sql, " RETURNING balance, line_seq, currency", NULL);
            q[k].ncols = 3;
        }
        if ((rv = mez_db_query_all(c->p, c->db, q, n, c->pb)) != MEZ_OK)
            return rv;
        for (int k = 0; k < n; k++)
            if (q[k].rows->nelts > 0)
                col[k] = APR_ARRAY_IDX(q[k].rows, 0, const char **);
        return MEZ_OK;
    }
    /* Otherwise each UPDATE, then its row read back, until one moves nothing. */
    for (int k = 0; k < n; k++) {
        apr_array_header_t *rows;
        int moved = 0;
        if ((rv = mez_db_exec_array(c->p, c->db, &moved, q[k].sql, q[k].nargs, q[k].args, c->pb)) != MEZ_OK)
            return rv;
        if (!moved)
            return MEZ_OK;
        rv = mez_db_query_rows_array(c->p, c->db, 3, &rows,
                                     "SELECT balance, line_seq, currency FROM mez_mass_account WHERE account_id = %s",
                                     1, &q[k].args[2], c->pb);
        if (rv != MEZ_OK)
            return rv;
        if (rows->nelts == 0)
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                               "account %s vanished while this transaction held it", q[k].args[2]);
        col[k] = APR_ARRAY_IDX(rows, 0, const char **);
    }
    return MEZ_OK;
}

#define LINE_VALUES 8   /* the columns of a mez_mass_ledger_line row as mez_fiscal_post writes it */

static int line_order(const void *a, const void *b)
{
    const mez_ledger_line_t *const *x = a, *const *y = b;
    return strcmp((*x)->account_id, (*y)->account_id);
}

mez_status_t mez_fiscal_post(mez_mass_call_t *c, const char *kind, const char *payment_id, const char *reference,
                             const char *currency, const mez_ledger_line_t *lines, int nlines, const char **txn_id,
                             int *failed)
{
    const char *now = mez_time_stamp(c->p, c->ctx->now);
    const mez_ledger_line_t **order = apr_palloc(c->p, sizeof(*order) * (size_t)nlines);
    const char **values = apr_palloc(c->p, sizeof(*values) * LINE_VALUES * (size_t)(nlines > 0 ? nlines : 1));
    const char *tuples = "", ***cols = apr_palloc(c->p, sizeof(*cols) * (size_t)(nlines > 0 ? nlines : 1));
    mez_db_query_t *moves = apr_pcalloc(c->p, sizeof(*moves) * (size_t)(nlines > 0 ? nlines : 1));
    int64_t sum = 0;
    mez_status_t rv;

    *failed = -1;
    for (int i = 0; i < nlines; i++) {
        sum += lines[i].amount;
        order[i] = &lines[i];
    }
    if (sum != 0 || nlines < 2)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                           "a ledger transaction of %d lines sums to %" APR_INT64_T_FMT ", not zero", nlines, sum);
    *txn_id = mez_mass_new_id(c->p, "txn_");
    if ((rv = mez_db_send(c->p, c->db,
                          "INSERT INTO mez_mass_ledger_txn (txn_id, kind, payment_id, reference, created_at) "
                          "VALUES (%s, %s, %s, %s, %s)",
                          c->pb, *txn_id, kind, payment_id ? payment_id : MEZ_DB_NULL,
                          reference ? reference : MEZ_DB_NULL, now, NULL)) != MEZ_OK)
        return rv;
    qsort(order, (size_t)nlines, sizeof(*order), line_order);
    /* Every line's guarded balance UPDATE, in the lines' order (so concurrent postings lock accounts in one
     * order), then what each moved. */
    for (int k = 0; k < nlines; k++) {
        const mez_ledger_line_t *l = order[k];
        const char *amount = i64(c->p, l->amount), *sql, **a = apr_palloc(c->p, sizeof(*a) * 6);
        int na;
        if (l->amount < 0) {
            const char *x = i64(c->p, -l->amount);
            /* Holds that ran out stop counting before the guard reads held. */
            if ((rv = mez_fiscal_expire_holds(c, l->account_id)) != MEZ_OK)
                return rv;
            sql = "UPDATE mez_mass_account SET balance = balance - CAST(%s AS BIGINT), line_seq = line_seq + 1, "
                  "updated_at = %s WHERE account_id = %s AND status = 'active' AND (balance - held >= CAST(%s AS "
                  "BIGINT) OR (kind = 'external_clearing' AND balance - CAST(%s AS BIGINT) >= CAST(%s AS BIGINT)))";
            a[0] = x, a[1] = now, a[2] = l->account_id, a[3] = x, a[4] = x, a[5] = i64(c->p, -MEZ_MASS_BALANCE_MAX);
            na = 6;
        } else {
            sql = "UPDATE mez_mass_account SET balance = balance + CAST(%s AS BIGINT), line_seq = line_seq + 1, "
                  "updated_at = %s WHERE account_id = %s AND status = 'active' AND balance <= CAST(%s AS BIGINT)";
            a[0] = amount, a[1] = now, a[2] = l->account_id, a[3] = i64(c->p, MEZ_MASS_BALANCE_MAX - l->amount);
            na = 4;
        }
        moves[k].sql = sql;
        moves[k].nargs = na;
        moves[k].args = a;
    }
    if ((rv = move_balances(c, nlines, moves, cols)) != MEZ_OK)
        return rv;
    for (int k = 0; k < nlines; k++) {
        const mez_ledger_line_t *l = order[k];
        const char *amount = i64(c->p, l->amount), **col = cols[k];
        if (!col) {   /* the guard held: not enough available, or the account is not active */
            *failed = (int)(l - lines);
            return MEZ_OK;
        }
        if (strcmp(col[2], currency))
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL,
                               "ledger line on account %s is not in %s", l->account_id, currency);
        /* The line, with the account's sequence number and balance after it; all lines go in one INSERT below. */
        {
            const char **v = &values[k * LINE_VALUES];
            v[0] = *txn_id, v[1] = apr_itoa(c->p, (int)(l - lines) + 1), v[2] = l->account_id, v[3] = currency;
            v[4] = amount, v[5] = col[1], v[6] = col[0], v[7] = now;
        }
        tuples = apr_pstrcat(c->p, tuples, k ? ", " : "", "(%s, %s, %s, %s, %s, %s, %s, %s)", NULL);
    }
    return mez_db_send_array(c->p, c->db,
                             apr_pstrcat(c->p, "INSERT INTO mez_mass_ledger_line (txn_id, line_no, account_id, "
                                         "currency, amount, account_seq, balance_after, created_at) VALUES ",
                                         tuples, NULL),
                             nlines * LINE_VALUES, values, c->pb);
}

mez_status_t mez_fiscal_refuse_line(mez_mass_call_t *c, const char *account_id, int64_t amount,
                                    const char *pointer)
{
    mez_fiscal_account_t a;
    int found = 0;
    mez_status_t rv = mez_fiscal_account_load(c, account_id, &a, &found);
    if (rv != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 422, "fiscal.account_unknown", pointer, "there is no account '%s'", account_id);
    if (!strcmp(a.status, "frozen") || !strcmp(a.status, "closed"))
        return mez_mass_refuse(c, 409, !strcmp(a.status, "frozen") ? "fiscal.account_frozen" : "fiscal.account_closed",
                               pointer, "account %s is %s: no money moves in or out of it", account_id, a.status);
    if (strcmp(a.status, "active"))
        return mez_mass_refuse(c, 409, "fiscal.account_inactive", pointer, "account %s is %s", account_id, a.status);
    if (amount < 0) {
        const char *avail = mez_mass_amount_format(c->p, a.balance - a.held, a.exponent);
        const char *req = mez_mass_amount_format(c->p, -amount, a.exponent);
        mez_mass_refuse(c, 422, "fiscal.insufficient_funds", pointer,
                        "account %s has %s %s available, %s %s were requested", account_id, avail, a.currency, req,
                        a.currency);
        json_object_set_new(c->resp->body, "available", json_string(avail));
        json_object_set_new(c->resp->body, "requested", json_string(req));
        json_object_set_new(c->resp->body, "currency", json_string(a.currency));
        return MEZ_OK;
    }
    return mez_mass_refuse(c, 422, "fiscal.balance_limit", pointer,
                           "account %s would exceed the largest balance the store keeps", account_id);
}

/* ---------------------------------------------------------------- invariants */

static mez_status_t violated(mez_problem_t *pb, apr_pool_t *p, int *ok, const char *what)
{
    *ok = 0;
    mez_problem(pb, p, MEZ_EINTERNAL, 500, "fiscal.invariant_violated", NULL, "ledger invariant violated: %s", what);
    return MEZ_OK;
}

/* Every line of a transaction with what it must agree with: the line before it on its account, and the account's
 * balance when it is the account's newest line; the transaction's sums per currency are added up from the same
 * rows (txn_rows_ok). */
#define TXN_LINES_SQL                                                                                               \
    "SELECT l.account_id, l.amount, l.balance_after, (SELECT q.balance_after FROM mez_mass_ledger_line q "         \
    "WHERE q.account_id = l.account_id AND q.account_seq = l.account_seq - 1), "                                   \
    "CASE WHEN a.line_seq = l.account_seq THEN a.balance END, l.currency "                                         \
    "FROM mez_mass_ledger_line l JOIN mez_mass_account a ON a.account_id = l.account_id WHERE l.txn_id = %s"
#define TXN_LINES_COLS 6

static mez_status_t txn_rows_ok(apr_pool_t *p, const char *txn_id, const apr_array_header_t *rows, int *ok,
                                mez_problem_t *pb)
{
    /* The transaction sums to zero in each of its currencies: for each line whose currency no earlier line has,
     * the sum of that currency's lines (a transaction has a handful). */
    for (int i = 0; i < rows->nelts; i++) {
        const char *currency = APR_ARRAY_IDX(rows, i, const char **)[5];
        int64_t sum = 0;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(APR_ARRAY_IDX(rows, j, const char **)[5], currency);
        for (int j = i; j < rows->nelts && !seen; j++) {
            const char **r = APR_ARRAY_IDX(rows, j, const char **);
            if (!strcmp(r[5], currency) && __builtin_add_overflow(sum, to_i64(r[1]), &sum))
                return violated(pb, p, ok, apr_psprintf(p, "transaction %s overflows in %s", txn_id, currency));
        }
        if (!seen && sum != 0)
            return violated(pb, p, ok, apr_psprintf(p, "transaction %s sums to %" APR_INT64_T_FMT " %s", txn_id, sum,
                                                    currency));
    }
    /* Each line continues its account's chain; the account's newest line carries the account's balance. */
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        if (to_i64(r[3]) + to_i64(r[1]) != to_i64(r[2]))
            return violated(pb, p, ok, apr_psprintf(p, "line of %s on %s breaks the account's chain", txn_id, r[0]));
        if (mez_mass_nullable(r[4]) && to_i64(r[4]) != to_i64(r[2]))
            return violated(pb, p, ok, apr_psprintf(p, "account %s balance differs from its newest line", r[0]));
    }
    return MEZ_OK;
}

static mez_status_t check_txn(apr_pool_t *p, mez_db_t *db, const char *txn_id, int *ok, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t rv = mez_db_query_rows(p, db, TXN_LINES_COLS, &rows, TXN_LINES_SQL, pb, txn_id, NULL);
    return rv != MEZ_OK ? rv : txn_rows_ok(p, txn_id, rows, ok, pb);
}

/* The checks of one account's row: kind, balance, held, the sum of its active holds, and the sum of its lines
 * (full) or its balance again (after a posting: check_txn has checked that each new line continues its
 * account's chain and that the newest line carries the account's balance, which by induction is the sum;
 * re-adding the whole history on every payment made payments slower as an account aged, O(lines) per posting). */
#define ACCOUNT_CHECK_COLS "kind, balance, held, (SELECT COALESCE(SUM(amount), 0) FROM mez_mass_hold h " \
                           "WHERE h.account_id = a.account_id AND h.status = 'active')"
/* After a posting: ACCOUNT_CHECK_COLS, the balance again (account_row_ok's fifth) and the account's id. */
#define POSTED_ACCOUNTS_SQL "SELECT " ACCOUNT_CHECK_COLS ", balance, account_id FROM mez_mass_account a " \
                            "WHERE account_id IN ("
#define POSTED_ACCOUNTS_COLS 6

static mez_status_t account_row_ok(apr_pool_t *p, const char *account_id, const char **col, int *ok,
                                   mez_problem_t *pb)
{
    int64_t balance = to_i64(col[1]), held = to_i64(col[2]), holds = to_i64(col[3]);
    if (strcmp(col[0], MEZ_FISCAL_CLEARING) ? balance < 0 : balance > 0)
        return violated(pb, p, ok, apr_psprintf(p, "account %s has balance %" APR_INT64_T_FMT, account_id, balance));
    if (held != holds || held < 0 || (held > balance && strcmp(col[0], MEZ_FISCAL_CLEARING)))
        return violated(pb, p, ok, apr_psprintf(p, "account %s holds %" APR_INT64_T_FMT " but its active holds sum "
                                                "to %" APR_INT64_T_FMT, account_id, held, holds));
    if (to_i64(col[4]) != balance)
        return violated(pb, p, ok, apr_psprintf(p, "account %s balance is not the sum of its ledger lines",
                                                account_id));
    return MEZ_OK;
}

/* One account, with the sum of all its lines (the audit, mez_fiscal_check_all). */
static mez_status_t check_account_full(apr_pool_t *p, mez_db_t *db, const char *account_id, int *ok,
                                       mez_problem_t *pb)
{
    const char *col[5];
    int found = 0;
    mez_status_t rv = mez_db_query_row(p, db, col, 5, &found,
                                       "SELECT " ACCOUNT_CHECK_COLS ", (SELECT COALESCE(SUM(amount), 0) FROM "
                                       "mez_mass_ledger_line l WHERE l.account_id = a.account_id) "
                                       "FROM mez_mass_account a WHERE account_id = %s",
                                       pb, account_id, NULL);
    if (rv != MEZ_OK || !found)
        return rv;
    return account_row_ok(p, account_id, col, ok, pb);
}

mez_status_t mez_fiscal_check_accounts(mez_mass_call_t *c, const char *txn_id, const char *const *account_ids,
                                       int n, int *ok)
{
    mez_db_query_t q[2] = { { TXN_LINES_SQL, 1, &txn_id, TXN_LINES_COLS, NULL },
                            { NULL, n, account_ids, POSTED_ACCOUNTS_COLS, NULL } };
    const char *in = "";
    mez_status_t rv = MEZ_OK;

    *ok = 1;
    if (n <= 0)
        return txn_id ? check_txn(c->p, c->db, txn_id, ok, c->pb) : MEZ_OK;
    /* The accounts a posting touched, in one query (a payment's three, a deposit's two), sent together with the
     * transaction's lines (one round trip on PostgreSQL); the transaction is judged first. */
    for (int i = 0; i < n; i++)
        in = apr_pstrcat(c->p, in, i ? ", %s" : "%s", NULL);
    q[1].sql = apr_pstrcat(c->p, POSTED_ACCOUNTS_SQL, in, ")", NULL);
    if ((rv = mez_db_query_all(c->p, c->db, txn_id ? q : q + 1, txn_id ? 2 : 1, c->pb)) != MEZ_OK)
        return rv;
    if (txn_id && ((rv = txn_rows_ok(c->p, txn_id, q[0].rows, ok, c->pb)) != MEZ_OK || !*ok))
        return rv;
    for (int i = 0; rv == MEZ_OK && *ok && i < q[1].rows->nelts; i++) {
        const char **col = APR_ARRAY_IDX(q[1].rows, i, const char **);
        rv = account_row_ok(c->p, col[5], col, ok, c->pb);
    }
    return rv;
}

mez_status_t mez_fiscal_check(mez_mass_call_t *c, const char *txn_id, const char *account_id, int *ok)
{
    return mez_fiscal_check_accounts(c, txn_id, &account_id, account_id ? 1 : 0, ok);
}

mez_status_t mez_fiscal_check_all(apr_pool_t *p, mez_db_t *db, int *ok, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t rv;
    *ok = 1;
    if ((rv = mez_db_query_rows(p, db, 1, &rows, "SELECT txn_id FROM mez_mass_ledger_txn ORDER BY txn_id",
                                pb, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; rv == MEZ_OK && *ok && i < rows->nelts; i++)
        rv = check_txn(p, db, APR_ARRAY_IDX(rows, i, const char **)[0], ok, pb);
    if (rv != MEZ_OK || !*ok)
        return rv;
    if ((rv = mez_db_query_rows(p, db, 1, &rows, "SELECT account_id FROM mez_mass_account ORDER BY account_id",
                                pb, NULL)) != MEZ_OK)
        return rv;
    for (int i = 0; rv == MEZ_OK && *ok && i < rows->nelts; i++)
        rv = check_account_full(p, db, APR_ARRAY_IDX(rows, i, const char **)[0], ok, pb);
    return rv;
}

/* ---------------------------------------------------------------- wire values */

int mez_fiscal_get_amount(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int exponent,
                          int64_t *out)
{
    const char *s = NULL, *ptr = mez_pointer_join(c->p, base ? base : "", name);
    int64_t v = 0;
    if (!mez_mass_get_string(c, obj, base, name, MEZ_MASS_REQUIRED, 64, &s))
        return 0;
    /* The contracts' syntax: digits with at most four decimals, no sign, no exponent. */
    switch (mez_mass_decimal_parse(s, 4, exponent, MEZ_MASS_AMOUNT_MAX, &v)) {
    case MEZ_DECIMAL_OK:
        break;
    case MEZ_DECIMAL_SYNTAX:
        mez_mass_refuse(c, 422, "fiscal.invalid_amount", ptr,
                        "'%s' must be a decimal string such as \"1500.00\" (digits, at most 4 decimals), not '%s'",
                        name, s);
        return 0;
    case MEZ_DECIMAL_PRECISION:
        mez_mass_refuse(c, 422, "fiscal.amount_precision", ptr,
                        "'%s' has more decimals than the currency's %d minor-unit digits: '%s'", name, exponent, s);
        return 0;
    case MEZ_DECIMAL_TOO_LARGE:
        mez_mass_refuse(c, 422, "fiscal.amount_too_large", ptr, "'%s' is larger than the store accepts: '%s'",
                        name, s);
        return 0;
    }
    if (v <= 0) {
        mez_mass_refuse(c, 422, "fiscal.amount_not_positive", ptr, "'%s' must be greater than zero", name);
        return 0;
    }
    *out = v;
    return 1;
}

int mez_fiscal_get_currency(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name,
                            const char **code, int *exponent)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, MEZ_MASS_REQUIRED, 3, &s))
        return 0;
    if ((*exponent = mez_mass_currency_exponent(s)) < 0) {
        mez_mass_refuse(c, 422, "fiscal.unknown_currency", mez_pointer_join(c->p, base ? base : "", name),
                        "'%s' is not an ISO 4217 currency this store keeps", s);
        return 0;
    }
    *code = s;
    return 1;
}
