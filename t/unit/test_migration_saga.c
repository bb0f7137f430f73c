/* test_migration_saga.c: CUnit suite for the source side of the migration saga (mez/migration_saga.h) on a
 * migrated SQLite database: an ACTIVE corridor, an entity formed and activated in the sovereign store, and the
 * saga's environment given by this file. The peer's answers are scripted here (t/test_corridor_migration.py runs
 * the saga between two real zones over TLS); what is checked is the saga's own logic: what it asks the
 * destination, how a refusal, an unknown peer, a silent peer and bad requests leave the record, the entity and
 * the audit chain. */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/migration_saga.h"
#include "mez/receipt.h"
#include "mass_unit.h"
#include "unit.h"

#define CID "6c1e8f3b-2d40-4b6c-8d9e-bbccddeeff00"
#define PEER_DID "did:key:z6MkPeerOfTheSagaSuite"
#define T0 1767225600L   /* 2026-01-01T00:00:00Z: when the entity is formed */

typedef struct script_t {
    int known_peer;            /* 0: the destination is not a configured peer */
    int answer_status;         /* what the peer answers (0: nothing) */
    const char *answer;        /* its body */
    int calls, records, audits;
    const char *last_path;
    json_t *last_body;
} script_t;

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

static mez_status_t peer(void *baton, const char *zone_id, const char **did, mez_problem_t *pb)
{
    script_t *s = baton;
    if (!s->known_peer || strcmp(zone_id, "ae-adgm"))
        return mez_problem(pb, unit_pool(), MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no peer", zone_id);
    *did = PEER_DID;
    return MEZ_OK;
}

static mez_status_t call_peer(void *baton, const char *path, json_t *body, mez_saga_peer_answer_t *ans,
                              mez_problem_t *pb)
{
    script_t *s = baton;
    s->calls++;
    s->last_path = apr_pstrdup(unit_pool(), path);
    s->last_body = mez_json_pool_own(unit_pool(), body);
    ans->status = s->answer_status;
    ans->body = s->answer ? parse(s->answer) : NULL;
    if (ans->status == 0)
        return mez_problem(pb, unit_pool(), MEZ_EIO, 503, "corridor.peer_unreachable", NULL, "no answer");
    if (ans->status >= 400)
        return mez_problem(pb, unit_pool(), MEZ_EIO, 502, "corridor.peer_refused", NULL, "refused");
    return MEZ_OK;
}

static mez_status_t record(void *baton, const char *corridor_id, const json_t *transition, json_t **receipt,
                           uint64_t *seq, json_t **delivery, mez_problem_t *pb)
{
    script_t *s = baton;
    (void)corridor_id, (void)transition, (void)receipt, (void)seq, (void)delivery;
    s->records++;
    return mez_problem(pb, unit_pool(), MEZ_EINTERNAL, 500, "test.unexpected", NULL, "no receipt in this suite");
}

static void audit(void *baton, const char *migration_id, mez_audit_event_t *ev)
{
    script_t *s = baton;
    s->audits++;
    ev->zone_id = "pk-sifc";
    ev->actor = "tok_0123456789abcdef";
    ev->action = "migration";
    ev->resource_type = "migration";
    ev->resource_id = migration_id;
    ev->outcome = "committed";
    ev->request_id = "req_saga";
}

/* "sha256:<hex>" (corridor evidence) or the bare hex (definition digests). */
static const char *sha(const char *what)
{
    mez_digest_t d;
    mez_digest_sha256(what, strlen(what), &d);
    return mez_digest_format(unit_pool(), &d);
}

static const char *hex(const char *what)
{
    mez_digest_t d;
    mez_digest_sha256(what, strlen(what), &d);
    return mez_digest_hex(unit_pool(), &d);
}

/* A zone with an ACTIVE corridor to ae-adgm and one ACTIVE entity, *eid. */
static mez_db_t *zone(const char **eid)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    mez_digest_t g;
    const char *h1 = hex("definition pk"), *h2 = hex("definition ae");
    const char *to;
    int st = 0;
    json_t *e;

    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CID, h1, h2, parse("[]"), parse("[]"), &g, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create(p, db, CID, "ae-adgm", PEER_DID, h1, h2, &g, apr_time_from_sec(T0),
                                              &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CID, "submit", parse(apr_psprintf(p,
                          "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"%s\"}", sha("agreement"),
                          sha("packs"))), apr_time_from_sec(T0), &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CID, "activate", parse(apr_psprintf(p,
                          "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}", sha("approval pk"),
                          sha("approval ae"))), apr_time_from_sec(T0), &to, &pb), MEZ_OK);
    e = mass_unit_call(db, T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":\"Indus Saga "
                       "Looms Ltd\",\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\","
                       "\"nationality\":\"PK\"}]}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    *eid = apr_pstrdup(p, mass_unit_str(e, "entity_id"));
    mass_unit_call(db, T0 + 10, "PUT", apr_pstrcat(p, "/v1/entities/", *eid, "/status", NULL),
                   "{\"target_status\":\"ACTIVE\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    return db;
}

static void env_of(mez_saga_env_t *env, mez_orch_zone_t *z, mez_db_t *db, script_t *s)
{
    memset(z, 0, sizeof(*z));
    memset(env, 0, sizeof(*env));
    z->zone_id = "pk-sifc";
    z->did = "did:key:z6MkThisZone";
    env->p = unit_pool();
    env->db = db;
    env->zone = z;                       /* no mass_call: the sovereign store, as in a zone without MezMassEndpoint */
    env->actor = "tok_0123456789abcdef";
    env->baton = s;
    env->peer = peer;
    env->call_peer = call_peer;
    env->record = record;
    env->audit = audit;
}

static long rows(mez_db_t *db)
{
    return mass_unit_count(db, "mez_migration") * 1000000 + mass_unit_count(db, "mez_migration_step") * 1000
           + mass_unit_count(db, "mez_audit");
}

static const char *entity_status(mez_db_t *db, const char *eid)
{
    int st = 0;
    json_t *e = mass_unit_call(db, T0 + 20, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", eid, NULL), NULL, NULL,
                               &st);
    CU_ASSERT_EQUAL(st, 200);
    return mass_unit_str(e, "status");
}

static const char *in_an_hour(void)
{
    char buf[APR_RFC822_DATE_LEN + 8];
    apr_time_exp_t t;
    apr_size_t n;
    apr_time_exp_gmt(&t, apr_time_now() + apr_time_from_sec(3600));
    apr_strftime(buf, &n, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t);
    return apr_pstrdup(unit_pool(), buf);
}

static json_t *request(const char *eid, const char *extra)
{
    return parse(apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"deadline\":\"%s\"%s}", eid, in_an_hour(),
                              extra ? extra : ""));
}

static void test_a_refusal_cancels_with_nothing_locked(void)
{
    script_t s = { 1, 409, "{\"status\":409,\"code\":\"entity.name_taken\",\"detail\":\"taken there\"}", 0, 0, 0,
                   NULL, NULL };
    mez_saga_env_t env;
    mez_orch_zone_t z;
    mez_problem_t pb = { 0 };
    mez_migration_t m;
    const char *eid;
    mez_db_t *db = zone(&eid);
    const json_t *f, *ask, *last;
    json_t *doc;
    int hold, stalled;

    env_of(&env, &z, db, &s);
    CU_ASSERT_EQUAL_FATAL(mez_saga_begin(&env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(hold, -1);
    CU_ASSERT_STRING_EQUAL(m.state_name, "INITIATED");
    CU_ASSERT_STRING_EQUAL(m.destination_zone_id, "ae-adgm");
    /* The formation asked for is the register's entity, linked to its id here. */
    f = json_object_get(m.request, "formation");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(f, "legal_name"), "Indus Saga Looms Ltd");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(json_object_get(f, "directors"), 0), "nationality"), "PK");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(json_object_get(f, "metadata"), "migrated_from"),
                                         "entity_id"), eid);
    CU_ASSERT_PTR_NULL(json_object_get(f, "registered_office"));
    CU_ASSERT_EQUAL(strncmp(mass_unit_str(m.request, "formation_digest"), "sha256:", 7), 0);

    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&env, &m, -1, 0, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 0);
    CU_ASSERT_STRING_EQUAL(m.state_name, "CANCELLED");
    CU_ASSERT_EQUAL(s.calls, 1);
    CU_ASSERT_STRING_EQUAL(s.last_path, "/v1/corridors/peers/migrations/evaluate");
    ask = json_object_get(s.last_body, "migration");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(ask, "migration_id"), m.migration_id);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(ask, "source"), "zone_id"), "pk-sifc");
    CU_ASSERT_TRUE(json_equal(json_object_get(ask, "formation"), (json_t *)f));
    CU_ASSERT_EQUAL(s.records, 0);           /* nothing was sent on the corridor, so nothing is called off */
    CU_ASSERT_EQUAL(m.locked, 0);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(m.problem, "code"), "entity.name_taken");
    CU_ASSERT_STRING_EQUAL(entity_status(db, eid), "ACTIVE");

    CU_ASSERT_EQUAL_FATAL(mez_saga_document(&env, &m, &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "steps")), 3);
    last = json_array_get(json_object_get(doc, "steps"), 2);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(last, "event"), "cancel");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(last, "evidence"), "reason"),
                           "the destination refused the formation");
    CU_ASSERT_EQUAL(s.audits, 3);            /* initiate, advance, cancel: each with the driving request's row */
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_audit WHERE action LIKE 'migration.%' AND "
                                        "request_id = 'req_saga'"), 3);

    /* Ended: advancing it is the machine's 409, and changes nothing. */
    {
        long before = rows(db);
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_saga_run(&env, &m, -1, 1, &stalled, &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, 409);
        CU_ASSERT_EQUAL(rows(db), before);
        CU_ASSERT_EQUAL(s.calls, 1);
    }
}

static void test_a_silent_destination_stalls_where_it_is(void)
{
    script_t s = { 1, 0, NULL, 0, 0, 0, NULL, NULL };
    mez_saga_env_t env;
    mez_orch_zone_t z;
    mez_problem_t pb = { 0 };
    mez_migration_t m, again;
    const char *eid;
    mez_db_t *db = zone(&eid);
    int hold, stalled;
    long before;

    env_of(&env, &z, db, &s);
    CU_ASSERT_EQUAL_FATAL(mez_saga_begin(&env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&env, &m, -1, 0, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 1);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.peer_unreachable");
    CU_ASSERT_STRING_EQUAL(m.state_name, "COMPLIANCE_CHECK");
    /* Advanced again with no answer: the same place, one more call, nothing recorded. */
    before = rows(db);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_open(&env, CID, m.migration_id, &again, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_saga_run(&env, &again, -1, 1, &stalled, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(stalled, 1);
    CU_ASSERT_STRING_EQUAL(again.state_name, "COMPLIANCE_CHECK");
    CU_ASSERT_EQUAL(s.calls, 2);
    CU_ASSERT_EQUAL(rows(db), before);
    /* Held where it stands: hold_at the current state stops only after a step. */
    CU_ASSERT_EQUAL(mez_saga_open(&env, "00000000-0000-4000-8000-000000000000", m.migration_id, &again, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "migration.not_found");
    /* Cancelled by the operator: from COMPLIANCE_CHECK nothing is locked, so nothing is unlocked. */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_open(&env, CID, m.migration_id, &again, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_saga_cancel(&env, &again, parse("{\"reason\":\"\"}"), &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/reason");
    CU_ASSERT_EQUAL(rows(db), before);
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_saga_cancel(&env, &again, parse("{\"reason\":\"the board changed its mind\"}"), &pb),
                          MEZ_OK);
    CU_ASSERT_STRING_EQUAL(again.state_name, "CANCELLED");
    CU_ASSERT_STRING_EQUAL(entity_status(db, eid), "ACTIVE");
    CU_ASSERT_EQUAL(s.records, 0);
}

static void test_bad_requests_change_nothing(void)
{
    script_t s = { 1, 200, "{}", 0, 0, 0, NULL, NULL };
    mez_saga_env_t env;
    mez_orch_zone_t z;
    mez_migration_t m;
    const char *eid;
    mez_db_t *db = zone(&eid);
    long before;
    int hold, st = 0;
    struct {
        const char *body;
        int status;
        const char *code, *pointer;
    } bad[] = {
        { "{\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "request.missing_field", "/entity_id" },
        { "{\"entity_id\":\"%s\"}", 422, "migration.invalid_deadline", "/deadline" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2020-01-01T00:00:00Z\"}", 422, "migration.invalid_deadline",
          "/deadline" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2030-01-01T00:00:00Z\",\"hold_at\":\"COMPLETED\"}", 422,
          "migration.invalid_hold", "/hold_at" },
        { "{\"entity_id\":\"%s\",\"deadline\":\"2030-01-01T00:00:00Z\",\"compliance\":[]}", 422,
          "request.invalid_type", "/compliance" },
        { "{\"entity_id\":\"../x\",\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "request.invalid_id", "/entity_id" },
        { "{\"entity_id\":\"ent_nope\",\"deadline\":\"2030-01-01T00:00:00Z\"}", 422, "mass.not_found", "/entity_id" },
    };

    env_of(&env, &z, db, &s);
    before = rows(db);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(mez_saga_begin(&env, CID, parse(apr_psprintf(unit_pool(), bad[i].body, eid)), &m, &hold,
                                       &pb), MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, bad[i].status);
        CU_ASSERT_STRING_EQUAL(pb.code, bad[i].code);
        CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", bad[i].pointer);
    }
    /* Not a configured peer: refused before anything is written. */
    s.known_peer = 0;
    {
        mez_problem_t pb = { 0 };
        CU_ASSERT_NOT_EQUAL(mez_saga_begin(&env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(pb.code, "corridor.unknown_peer");
    }
    s.known_peer = 1;
    /* An entity that is not ACTIVE does not migrate. */
    mass_unit_call(db, T0 + 30, "PUT", apr_pstrcat(unit_pool(), "/v1/entities/", eid, "/status", NULL),
                   "{\"target_status\":\"SUSPENDED\",\"reason\":\"inspection\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    {
        mez_problem_t pb = { 0 };
        CU_ASSERT_EQUAL(mez_saga_begin(&env, CID, request(eid, NULL), &m, &hold, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "migration.entity_not_active");
    }
    CU_ASSERT_EQUAL(rows(db), before);
    CU_ASSERT_EQUAL(s.calls, 0);
    CU_ASSERT_EQUAL(s.audits, 0);
}

static void test_inbound_sequence(void)
{
    mez_problem_t pb = { 0 };
    uint64_t seq = 0;
    static const char *const bad[] = { "{}", "{\"sequence\":-1}", "{\"sequence\":\"1\"}", "{\"sequence\":1.5}",
                                       "{\"sequence\":null}", NULL };
    CU_ASSERT_EQUAL(mez_saga_inbound_sequence(unit_pool(), parse("{\"sequence\":5}"), &seq, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(seq, 5);
    for (const char *const *b = bad; *b; b++) {
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_saga_inbound_sequence(unit_pool(), parse(*b), &seq, &pb), MEZ_EINVAL);
        CU_ASSERT_STRING_EQUAL(pb.pointer, "/sequence");
    }
}

void unit_register_migration_saga(void)
{
    CU_pSuite s = unit_suite("migration saga");
    CU_add_test(s, "a destination's refusal cancels with nothing locked", test_a_refusal_cancels_with_nothing_locked);
    CU_add_test(s, "a silent destination stalls the saga where it is", test_a_silent_destination_stalls_where_it_is);
    CU_add_test(s, "bad requests change nothing", test_bad_requests_change_nothing);
    CU_add_test(s, "the inbound sequence", test_inbound_sequence);
}
