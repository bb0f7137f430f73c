/* corridor_establish.c: a corridor from proposal to ACTIVE in the store (mez/corridor.h): the proposed row with
 * its definition, the agreements that establish it with its genesis root, and the reads the protocol needs
 * (documents, the list, receipts in order, the peer's acknowledged size). The documents themselves are checked
 * by mez/corridor_proto.h before they come here; this file keeps them and moves the lifecycle. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "corridor_int.h"

static const char *role_name(mez_corridor_role_t role)
{
    return role == MEZ_CORRIDOR_RESPONDER ? "responder" : "proposer";
}

static mez_status_t put_document(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const mez_corridor_doc_t *d,
                                 const char *at, mez_problem_t *pb)
{
    return mez_db_execv(p, db, NULL,
                        "INSERT INTO mez_corridor_document (corridor_id, kind, issuer, payload_digest, document, "
                        "created_at) VALUES (%s, %s, %s, %s, %s, %s)", pb, corridor_id, d->kind, d->issuer,
                        d->payload_digest, d->text, at, NULL);
}

mez_status_t mez_corridor_create_proposed(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                          const char *peer_zone_id, const char *peer_did, mez_corridor_role_t role,
                                          const mez_corridor_doc_t *definition, apr_time_t now,
                                          const mez_audit_event_t *audit, int *repeated, mez_problem_t *pb)
{
    mez_digest_t d, empty;
    mez_db_tx_t *tx;
    const char *row[2], *at = mez_corridor_time(p, now);
    int found = 0;
    mez_status_t st;

    if (repeated)
        *repeated = 0;
    if ((st = mez_audit_required(p, audit, "a corridor's proposal", pb)) != MEZ_OK)
        return st;
    if (!peer_zone_id || !*peer_zone_id || !peer_did || strncmp(peer_did, "did:", 4))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_field", "/peer_zone_id",
                           "a corridor needs its peer's zone id and DID");
    if ((st = mez_receipt_hex_digest(p, definition->payload_digest, "/definition_digest", &d, pb)) != MEZ_OK)
        return st;
    mez_digest_sha256("", 0, &empty);
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    st = mez_db_query_row(p, db, row, 2, &found,
                          "SELECT definition_digest, peer_zone_id FROM mez_corridor WHERE corridor_id = %s", pb,
                          corridor_id, NULL);
    if (st == MEZ_OK && found) {
        if (!strcmp(row[0], definition->payload_digest) && !strcmp(row[1], peer_zone_id)) {
            if (repeated)
                *repeated = 1;
            mez_db_rollback(p, tx);
            return MEZ_OK;
        }
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.exists", "/corridor_id",
                         "corridor %s exists with another definition", corridor_id);
    }
    if (st == MEZ_OK)
        st = mez_db_execv(p, db, NULL,
                          "INSERT INTO mez_corridor (corridor_id, peer_zone_id, peer_did, state, definition_digest, "
                          "tree_size, tree_root, created_at, updated_at, role, acked_size, signer_did) "
                          "VALUES (%s, %s, %s, %s, %s, 0, %s, %s, %s, %s, 0, %s)", pb, corridor_id, peer_zone_id,
                          peer_did, mez_lifecycle_state_name(MEZ_LIFECYCLE_CORRIDOR,
                                                             mez_lifecycle_initial_state(MEZ_LIFECYCLE_CORRIDOR)),
                          definition->payload_digest, mez_digest_hex(p, &empty), at, at, role_name(role),
                          /* the responder's copy is signed by its peer, the sequencer */
                          role == MEZ_CORRIDOR_RESPONDER ? peer_did : MEZ_DB_NULL, NULL);
    if (st == MEZ_OK)
        st = put_document(p, db, corridor_id, definition, at, pb);
    if (st == MEZ_OK)
        st = mez_audit_append(p, db, audit, pb);
    if (st == MEZ_OK)
        return mez_db_commit(p, tx, pb);
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_establish(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                    const mez_corridor_doc_t *agreements, size_t n, const char *agreement_set_hex,
                                    const mez_digest_t *genesis_root, const json_t *submit_evidence,
                                    const json_t *activate_evidence, apr_time_t now,
                                    const mez_audit_event_t *audit, int *repeated, mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_db_tx_t *tx;
    mez_digest_t d;
    const char *at = mez_corridor_time(p, now), *g = mez_digest_hex(p, genesis_root);
    int to;
    mez_status_t st;

    if (repeated)
        *repeated = 0;
    if ((st = mez_audit_required(p, audit, "a corridor's establishment", pb)) != MEZ_OK)
        return st;
    if ((st = mez_receipt_hex_digest(p, agreement_set_hex, "/agreement_digest", &d, pb)) != MEZ_OK)
        return st;
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (c.established) {
        /* A delivery that is tried again after its answer was lost: the same set is a repeat. */
        if (!strcmp(c.agreement_digest, agreement_set_hex) && mez_digest_equal(&c.genesis_root, genesis_root)) {
            if (repeated)
                *repeated = 1;
            mez_db_rollback(p, tx);
            return MEZ_OK;
        }
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "corridor.agreement_mismatch", NULL,
                         "corridor %s is established on another agreement set (%s)", corridor_id,
                         c.agreement_digest);
        goto done;
    }
    for (size_t i = 0; i < n && st == MEZ_OK; i++)
        st = put_document(p, db, corridor_id, &agreements[i], at, pb);
    if (st != MEZ_OK)
        goto done;
    if ((st = mez_db_execv(p, db, NULL,
                           "UPDATE mez_corridor SET agreement_digest = %s, genesis_root = %s, head = %s "
                           "WHERE corridor_id = %s", pb, agreement_set_hex, g, g, corridor_id, NULL)) != MEZ_OK)
        goto done;
    c.established = 1;
    if ((st = mez_corridor_move(p, db, &c, MEZ_CORRIDOR_EV_SUBMIT, submit_evidence, at, &to, pb)) != MEZ_OK)
        goto done;
    c.state = to;
    if ((st = mez_corridor_move(p, db, &c, MEZ_CORRIDOR_EV_ACTIVATE, activate_evidence, at, &to, pb)) != MEZ_OK)
        goto done;
    if ((st = mez_audit_append(p, db, audit, pb)) != MEZ_OK)
        goto done;
    return mez_db_commit(p, tx, pb);
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_documents(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                    apr_array_header_t **docs, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = mez_db_query_rows(p, db, 4, &rows,
                                        "SELECT kind, issuer, payload_digest, document FROM mez_corridor_document "
                                        "WHERE corridor_id = %s ORDER BY CASE kind WHEN 'definition' THEN 0 ELSE 1 "
                                        "END, created_at, issuer", pb, corridor_id, NULL);
    if (st != MEZ_OK)
        return st;
    *docs = apr_array_make(p, rows->nelts, sizeof(mez_corridor_doc_t));
    for (int i = 0; i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        mez_corridor_doc_t *d = apr_array_push(*docs);
        d->kind = r[0];
        d->issuer = r[1];
        d->payload_digest = r[2];
        d->text = r[3];
    }
    return MEZ_OK;
}

mez_status_t mez_corridor_ack(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                              mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_db_tx_t *tx;
    mez_status_t st;
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = mez_corridor_read(p, db, corridor_id, 1, &c, pb)) != MEZ_OK)
        goto done;
    if (size > c.size) {
        st = mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.invalid_size", "/size",
                         "the peer cannot hold %" APR_UINT64_T_FMT " receipts of a chain of %" APR_UINT64_T_FMT,
                         size, c.size);
        goto done;
    }
    /* Only ever raised: an answer that arrives late must not forget a later acknowledgement. */
    if ((st = mez_db_execv(p, db, NULL,
                           "UPDATE mez_corridor SET acked_size = %s WHERE corridor_id = %s AND acked_size < %s", pb,
                           mez_corridor_u64(p, size), corridor_id, mez_corridor_u64(p, size), NULL)) == MEZ_OK)
        return mez_db_commit(p, tx, pb);
done:
    mez_db_rollback(p, tx);
    return st;
}

mez_status_t mez_corridor_list(apr_pool_t *p, mez_db_t *db, apr_array_header_t **out, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = mez_db_query_rows(p, db, 15, &rows,
                                        "SELECT corridor_id, peer_zone_id, peer_did, state, definition_digest, "
                                        "agreement_digest, genesis_root, head, tree_size, tree_root, created_at, "
                                        "updated_at, role, acked_size, signer_did FROM mez_corridor "
                                        "ORDER BY created_at, corridor_id", pb, NULL);
    if (st != MEZ_OK)
        return st;
    *out = apr_array_make(p, rows->nelts, sizeof(mez_corridor_t));
    for (int i = 0; i < rows->nelts; i++)
        if ((st = mez_corridor_row(p, APR_ARRAY_IDX(rows, i, const char *const *), apr_array_push(*out), pb))
            != MEZ_OK)
            return st;
    return MEZ_OK;
}

/* A LIKE pattern matching the canonical text `"name":"value"` anywhere (RFC 8785 writes no spaces), with the
 * pattern's own characters escaped. The value is written as RFC 8785 writes it in the receipt: a quote, a
 * backslash or a control character in it is escaped there, so the raw value would match no row, and a peer that
 * named its migration `m"1` would have its cancellation never found (review). NULL when the value is no string
 * a receipt can hold (not UTF-8): no row matches it. name is one of this file's literals. */
static const char *member_pattern(apr_pool_t *p, const char *name, const char *value)
{
    json_t *v = json_string(value);
    const char *canon = NULL, *text;
    size_t n;
    mez_problem_t pb = { 0 };
    char *out, *o;
    if (!v)
        return NULL;
    if (mez_json_canonicalize(p, v, &canon, &n, &pb) != MEZ_OK)
        canon = NULL;
    json_decref(v);
    if (!canon)
        return NULL;
    text = apr_pstrcat(p, "\"", name, "\":", canon, NULL);
    out = apr_palloc(p, 2 * strlen(text) + 3);
    o = out;
    *o++ = '%';
    for (const char *c = text; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '!')
            *o++ = '!';
        *o++ = *c;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

mez_status_t mez_corridor_find_transition(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                          const char *kind, const char *member, const char *value,
                                          json_t **receipt, uint64_t *seq, int *found, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    const char *kind_like = member_pattern(p, "kind", kind), *member_like = member ? member_pattern(p, member, value)
                                                                                   : "%";
    mez_status_t st;

    *found = 0;
    if (!kind_like || !member_like || from > (uint64_t)INT64_MAX)
        return MEZ_OK;
    /* The text match narrows the rows read to the few that can match (a corridor's chain is long); the parse
     * decides. */
    if ((st = mez_db_query_rows(p, db, 2, &rows,
                                "SELECT seq, receipt FROM mez_corridor_receipt WHERE corridor_id = %s AND seq >= %s "
                                "AND receipt LIKE %s ESCAPE '!' AND receipt LIKE %s ESCAPE '!' ORDER BY seq", pb,
                                corridor_id, mez_corridor_u64(p, from), kind_like, member_like, NULL)) != MEZ_OK)
        return st;
    for (int i = 0; i < rows->nelts; i++) {
        const char *const *row = APR_ARRAY_IDX(rows, i, const char *const *);
        const json_t *t, *v;
        json_t *x;
        if (mez_json_parse(p, row[1], strlen(row[1]), &x, NULL) != MEZ_OK)
            continue;
        t = json_object_get(x, "transition");
        if (!json_is_string(json_object_get(t, "kind")) || strcmp(json_string_value(json_object_get(t, "kind")), kind))
            continue;
        v = member ? json_object_get(json_object_get(t, "payload"), member) : NULL;
        if (member && (!json_is_string(v) || strcmp(json_string_value(v), value)))
            continue;
        *receipt = x;
        *seq = (uint64_t)apr_atoi64(row[0]);
        *found = 1;
        return MEZ_OK;
    }
    return MEZ_OK;
}

mez_status_t mez_corridor_receipts_from(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t from,
                                        int limit, apr_array_header_t **texts, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    uint64_t last;
    mez_status_t st;

    /* Sequence numbers are SQL bigints: a window beyond 2^63 - 1 holds no receipt, and its bound written as a
     * number PostgreSQL cannot take as one would fail the read (a 500 for `from` near 2^63: review). */
    *texts = apr_array_make(p, limit > 0 ? limit : 1, sizeof(const char *));
    if (limit <= 0 || from > (uint64_t)INT64_MAX)
        return MEZ_OK;
    last = (uint64_t)INT64_MAX - from < (uint64_t)limit - 1 ? (uint64_t)INT64_MAX : from + (uint64_t)limit - 1;
    if ((st = mez_db_query_rows(p, db, 1, &rows,
                                "SELECT receipt FROM mez_corridor_receipt WHERE corridor_id = %s AND "
                                "seq >= %s AND seq <= %s ORDER BY seq", pb, corridor_id, mez_corridor_u64(p, from),
                                mez_corridor_u64(p, last), NULL)) != MEZ_OK)
        return st;
    for (int i = 0; i < rows->nelts; i++)
        APR_ARRAY_PUSH(*texts, const char *) = APR_ARRAY_IDX(rows, i, const char **)[0];
    return MEZ_OK;
}
