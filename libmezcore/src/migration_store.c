/* migration_store.c: the source zone's migration rows and their step log (mez/migration.h). Every move is
 * decided by the lifecycle's migration machine with its deadline (mez_lifecycle_migration_step) and applied with
 * a compare-and-set on the state read, so the log never records two moves from one state. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/migration.h"
#include "mez/vc.h"
#include "mass_registry.h"

#define COLS "migration_id, corridor_id, entity_id, destination_zone_id, state, live, locked, deadline, request, " \
             "receipt_from, receipt_seq, destination_entity_id, credential, problem, created_at, updated_at"
#define NCOLS 16

void mez_migration_update_init(mez_migration_update_t *u)
{
    memset(u, 0, sizeof(*u));
    u->locked = -1;
    u->receipt_from = -1;
    u->receipt_seq = -1;
}

mez_status_t mez_migration_deadline_parse(apr_pool_t *p, const char *text, apr_time_t now, apr_time_t *out,
                                          mez_problem_t *pb)
{
    apr_time_t t;
    /* One stored form only (as every mez time): it compares as a string and signs the same way everywhere. */
    if (!text || strlen(text) != 20 || text[19] != 'Z' || mez_time_parse_rfc3339(text, &t) != 0
        || strcmp(mez_time_stamp(p, t), text))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "migration.invalid_deadline", "/deadline",
                           "deadline is a UTC time YYYY-MM-DDTHH:MM:SSZ");
    if (t <= now)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "migration.invalid_deadline", "/deadline",
                           "the deadline %s has already passed", text);
    *out = t;
    return MEZ_OK;
}

static json_t *parse_or_null(apr_pool_t *p, const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    if (!text || !*text || mez_json_parse(p, text, strlen(text), &v, &pb) != MEZ_OK)
        return NULL;
    return v;
}

static int64_t int_or(const char *s, int64_t dflt)
{
    return s && *s ? (int64_t)apr_atoi64(s) : dflt;
}

static mez_status_t from_row(apr_pool_t *p, const char **c, mez_migration_t *m, mez_problem_t *pb)
{
    memset(m, 0, sizeof(*m));
    m->migration_id = c[0];
    m->corridor_id = c[1];
    m->entity_id = c[2];
    m->destination_zone_id = c[3];
    m->state_name = c[4];
    m->live = c[5] && !strcmp(c[5], "1");
    m->locked = c[6] && !strcmp(c[6], "1");
    m->deadline_text = c[7];
    m->request = parse_or_null(p, c[8]);
    m->receipt_from = int_or(c[9], -1);
    m->receipt_seq = int_or(c[10], -1);
    m->destination_entity_id = c[11] && *c[11] ? c[11] : NULL;
    m->credential = parse_or_null(p, c[12]);
    m->problem = parse_or_null(p, c[13]);
    m->created_at = c[14];
    m->updated_at = c[15];
    if (mez_lifecycle_state_parse(p, MEZ_LIFECYCLE_MIGRATION, m->state_name, &m->state, NULL) != MEZ_OK
        || mez_time_parse_rfc3339(m->deadline_text ? m->deadline_text : "", &m->deadline) != 0 || !m->request)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "migration.row_damaged", NULL,
                           "migration %s cannot be read back", m->migration_id);
    return MEZ_OK;
}

mez_status_t mez_migration_get(apr_pool_t *p, mez_db_t *db, const char *id, mez_migration_t *m, mez_problem_t *pb)
{
    const char *c[NCOLS];
    int found = 0;
    mez_status_t st;
    if ((st = mez_db_query_row(p, db, c, NCOLS, &found, "SELECT " COLS " FROM mez_migration WHERE migration_id = %s",
                               pb, id ? id : "", NULL)) != MEZ_OK)
        return st;
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 404, "migration.not_found", NULL, "there is no migration %s",
                           id ? id : "");
    return from_row(p, c, m, pb);
}

static mez_status_t canon(apr_pool_t *p, const json_t *v, const char **text, const char **digest, mez_problem_t *pb)
{
    mez_digest_t d;
    mez_status_t st;
    if ((st = mez_json_canonicalize(p, v, text, NULL, pb)) != MEZ_OK)
        return st;
    if (digest) {
        mez_digest_sha256(*text, strlen(*text), &d);
        *digest = mez_digest_format(p, &d);
    }
    return MEZ_OK;
}

/* The zone's audit row of a step, in the step's transaction: who and which request (zone_id, actor, request_id,
 * outcome) from the caller's event, the rest from the step. Required: a migration's move is an action of the zone
 * like any other, and a step without its row would be one the audit log does not know. */
static mez_status_t audit_step(apr_pool_t *p, mez_db_t *db, const mez_audit_event_t *audit, const mez_migration_t *m,
                               const char *event, const char *from, const char *to, const char *effect,
                               const char *evidence_digest, mez_problem_t *pb)
{
    mez_audit_event_t ev;
    if (!audit)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "audit.invalid_event", NULL,
                           "migration %s: a step needs the audit event of who moves it", m->migration_id);
    ev = *audit;
    ev.action = apr_pstrcat(p, "migration.", event, NULL);
    ev.resource_type = "migration";
    ev.resource_id = m->migration_id;
    ev.detail = mez_json_pool_own(p, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:s}", "corridor_id", m->corridor_id,
                                               "entity_id", m->entity_id, "destination_zone_id",
                                               m->destination_zone_id, "from_state", from, "to_state", to, "effect",
                                               effect, "evidence_digest", evidence_digest));
    return mez_audit_append(p, db, &ev, pb);
}

/* Writes the step; *digest (may be NULL) the digest of its evidence. */
static mez_status_t insert_step(apr_pool_t *p, mez_db_t *db, const char *id, const char *event, const char *from,
                                const char *to, const char *effect, const json_t *evidence, const char *at,
                                const char **evidence_digest, mez_problem_t *pb)
{
    const char *text, *digest, *n;
    mez_status_t st;
    if (evidence_digest)
        *evidence_digest = NULL;
    if ((st = canon(p, evidence, &text, &digest, pb)) != MEZ_OK
        || (st = mez_db_query_value(p, db, &n, "SELECT COUNT(*) FROM mez_migration_step WHERE migration_id = %s", pb,
                                    id, NULL)) != MEZ_OK)
        return st;
    if (evidence_digest)
        *evidence_digest = digest;
    return mez_db_execv(p, db, NULL,
                        "INSERT INTO mez_migration_step (migration_id, step, event, from_state, to_state, effect, "
                        "evidence, evidence_digest, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", pb, id,
                        n ? n : "0", event, from ? from : MEZ_DB_NULL, to, effect ? effect : MEZ_DB_NULL, text, digest,
                        at, NULL);
}

mez_status_t mez_migration_create(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, const json_t *evidence,
                                  apr_time_t now, const mez_audit_event_t *audit, mez_problem_t *pb)
{
    const char *req_text, *at = mez_time_stamp(p, now), *busy = NULL, *digest = NULL;
    mez_db_tx_t *tx;
    int n = 0;
    mez_status_t st;

    if (m->deadline <= now)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "migration.invalid_deadline", "/deadline",
                           "the deadline has already passed");
    if ((st = canon(p, m->request, &req_text, NULL, pb)) != MEZ_OK || (st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    /* ON CONFLICT DO NOTHING against the live-entity index: of two concurrent initiations one wins, the other
     * is told which migration holds the entity. */
    st = mez_db_execv(p, db, &n,
                      "INSERT INTO mez_migration (" COLS ") VALUES (%s, %s, %s, %s, 'INITIATED', 1, 0, %s, %s, NULL, "
                      "NULL, NULL, NULL, NULL, %s, %s) ON CONFLICT DO NOTHING", pb, m->migration_id, m->corridor_id,
                      m->entity_id, m->destination_zone_id, mez_time_stamp(p, m->deadline), req_text, at, at, NULL);
    if (st == MEZ_OK && n == 0) {
        mez_problem_t qpb = { 0 };
        mez_db_query_value(p, db, &busy, "SELECT migration_id FROM mez_migration WHERE entity_id = %s AND live = 1",
                           &qpb, m->entity_id, NULL);
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "migration.entity_in_migration", "/entity_id",
                         "entity %s is already being migrated (%s)", m->entity_id, busy ? busy : "another migration");
    }
    if (st == MEZ_OK)
        st = insert_step(p, db, m->migration_id, "initiate", NULL, "INITIATED", NULL, evidence, at, &digest, pb);
    if (st == MEZ_OK)
        st = audit_step(p, db, audit, m, "initiate", NULL, "INITIATED", NULL, digest, pb);
    if (st == MEZ_OK)
        st = mez_db_commit(p, tx, pb);
    else
        mez_db_rollback(p, tx);
    return st == MEZ_OK ? mez_migration_get(p, db, m->migration_id, m, pb) : st;
}

mez_status_t mez_migration_steps(apr_pool_t *p, mez_db_t *db, const char *id, json_t **steps, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    json_t *arr;
    mez_status_t st;
    if ((st = mez_db_query_rows(p, db, 8, &rows,
                                "SELECT step, event, from_state, to_state, effect, evidence, evidence_digest, "
                                "created_at FROM mez_migration_step WHERE migration_id = %s ORDER BY step", pb, id,
                                NULL)) != MEZ_OK)
        return st;
    arr = mez_json_pool_own(p, json_array());
    for (int i = 0; i < rows->nelts; i++) {
        const char **c = APR_ARRAY_IDX(rows, i, const char **);
        json_t *ev = parse_or_null(p, c[5]);
        json_t *o = json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:O?, s:s, s:s}", "step", (json_int_t)int_or(c[0], 0),
                              "event", c[1], "from_state", c[2] && *c[2] ? c[2] : NULL, "to_state", c[3], "effect",
                              c[4] && *c[4] ? c[4] : NULL, "evidence", ev, "evidence_digest", c[6], "created_at", c[7]);
        if (!o)
            return mez_problem(pb, p, MEZ_EINTERNAL, 500, "migration.row_damaged", NULL,
                               "a step of migration %s cannot be read back", id);
        if (!c[2] || !*c[2])
            json_object_set_new(o, "from_state", json_null());
        if (!c[4] || !*c[4])
            json_object_set_new(o, "effect", json_null());
        json_array_append_new(arr, o);
    }
    *steps = arr;
    return MEZ_OK;
}

/* Writes u's changes to m's row (inside the caller's transaction). */
static mez_status_t apply_update(apr_pool_t *p, mez_db_t *db, const mez_migration_t *m,
                                 const mez_migration_update_t *u, const char *at, mez_problem_t *pb)
{
    const char *text;
    mez_status_t st;
    if (!u)
        return MEZ_OK;
    if (u->locked >= 0 && (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET locked = %s, updated_at = %s "
                                             "WHERE migration_id = %s", pb, u->locked ? "1" : "0", at,
                                             m->migration_id, NULL)) != MEZ_OK)
        return st;
    if (u->receipt_from >= 0
        && (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET receipt_from = %s, updated_at = %s WHERE "
                              "migration_id = %s", pb, apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)u->receipt_from),
                              at, m->migration_id, NULL)) != MEZ_OK)
        return st;
    if (u->receipt_seq >= 0
        && (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET receipt_seq = %s, updated_at = %s WHERE "
                              "migration_id = %s", pb, apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)u->receipt_seq),
                              at, m->migration_id, NULL)) != MEZ_OK)
        return st;
    if (u->destination_entity_id
        && (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET destination_entity_id = %s, updated_at = %s "
                              "WHERE migration_id = %s", pb, u->destination_entity_id, at, m->migration_id, NULL))
               != MEZ_OK)
        return st;
    if (u->credential && ((st = canon(p, u->credential, &text, NULL, pb)) != MEZ_OK
                          || (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET credential = %s, updated_at = "
                                                "%s WHERE migration_id = %s", pb, text, at, m->migration_id, NULL))
                                 != MEZ_OK))
        return st;
    if (u->problem && ((st = canon(p, u->problem, &text, NULL, pb)) != MEZ_OK
                       || (st = mez_db_execv(p, db, NULL, "UPDATE mez_migration SET problem = %s, updated_at = %s "
                                             "WHERE migration_id = %s", pb, text, at, m->migration_id, NULL))
                              != MEZ_OK))
        return st;
    return MEZ_OK;
}

mez_status_t mez_migration_move(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, int event, apr_time_t now,
                                const json_t *evidence, const mez_migration_update_t *u,
                                const mez_audit_event_t *audit, const char **effect, mez_problem_t *pb)
{
    const char *at = mez_time_stamp(p, now), *to_name, *eff = NULL, *event_name, *digest = NULL;
    mez_db_tx_t *tx;
    int to, n = 0;
    mez_status_t st;

    if (effect)
        *effect = NULL;
    if ((st = mez_lifecycle_migration_step(p, m->state, event, now, m->deadline, &to, &eff, pb)) != MEZ_OK)
        return st;
    to_name = mez_lifecycle_state_name(MEZ_LIFECYCLE_MIGRATION, to);
    event_name = mez_lifecycle_event_name(MEZ_LIFECYCLE_MIGRATION, event);
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    st = mez_db_execv(p, db, &n, "UPDATE mez_migration SET state = %s, live = %s, updated_at = %s WHERE "
                      "migration_id = %s AND state = %s", pb, to_name,
                      mez_lifecycle_is_terminal(MEZ_LIFECYCLE_MIGRATION, to) ? "0" : "1", at, m->migration_id,
                      m->state_name, NULL);
    if (st == MEZ_OK && n != 1)
        st = mez_problem(pb, p, MEZ_EINVAL, 409, "migration.concurrent_move", NULL,
                         "migration %s left %s while this request was deciding; read it again", m->migration_id,
                         m->state_name);
    if (st == MEZ_OK)
        st = apply_update(p, db, m, u, at, pb);
    if (st == MEZ_OK)
        st = insert_step(p, db, m->migration_id, event_name, m->state_name, to_name, eff, evidence, at, &digest, pb);
    if (st == MEZ_OK)
        st = audit_step(p, db, audit, m, event_name, m->state_name, to_name, eff, digest, pb);
    if (st == MEZ_OK)
        st = mez_db_commit(p, tx, pb);
    else
        mez_db_rollback(p, tx);
    if (st != MEZ_OK)
        return st;
    if (effect)
        *effect = eff;
    return mez_migration_get(p, db, m->migration_id, m, pb);
}

mez_status_t mez_migration_note(apr_pool_t *p, mez_db_t *db, mez_migration_t *m, const mez_migration_update_t *u,
                                apr_time_t now, mez_problem_t *pb)
{
    mez_db_tx_t *tx;
    mez_status_t st;
    if ((st = mez_db_begin(p, db, &tx, pb)) != MEZ_OK)
        return st;
    if ((st = apply_update(p, db, m, u, mez_time_stamp(p, now), pb)) == MEZ_OK)
        st = mez_db_commit(p, tx, pb);
    else
        mez_db_rollback(p, tx);
    return st == MEZ_OK ? mez_migration_get(p, db, m->migration_id, m, pb) : st;
}

int mez_migration_same_name(apr_pool_t *p, const char *a, const char *b)
{
    return a && b && !strcmp(mez_mass_name_key(p, a), mez_mass_name_key(p, b));
}

json_t *mez_migration_json(apr_pool_t *p, const mez_migration_t *m)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "migration_id", m->migration_id,
                          "corridor_id", m->corridor_id, "entity_id", m->entity_id, "destination_zone_id",
                          m->destination_zone_id, "state", m->state_name, "deadline", m->deadline_text, "live",
                          m->live, "locked", m->locked, "created_at", m->created_at, "updated_at", m->updated_at);
    json_object_set_new(o, "sequence", m->receipt_seq >= 0 ? json_integer((json_int_t)m->receipt_seq) : json_null());
    json_object_set_new(o, "destination_entity_id",
                        m->destination_entity_id ? json_string(m->destination_entity_id) : json_null());
    json_object_set(o, "credential", m->credential ? m->credential : json_null());
    json_object_set(o, "problem", m->problem ? m->problem : json_null());
    return mez_json_pool_own(p, o);
}
