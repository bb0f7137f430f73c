/* corridor_unit.c: the shared fixture of the corridor protocols' CUnit suites (corridor_unit.h). */
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/receipt.h"
#include "corridor_unit.h"
#include "mass_unit.h"
#include "unit.h"

/* The audit event a corridor's creation requires (mez_corridor_create). */
#define CREATE unit_audit("corridor.create")

/* The audit event a corridor move requires (mez_corridor_transition). */
#define MOVE unit_audit("corridor.transition")

json_t *corridor_unit_parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

static mez_status_t peer(void *baton, const char *zone_id, const char **did, mez_problem_t *pb)
{
    corridor_unit_t *u = baton;
    if (!u->known_peer || strcmp(zone_id, u->peer_zone ? u->peer_zone : "ae-adgm"))
        return mez_problem(pb, unit_pool(), MEZ_EIO, 503, "corridor.unknown_peer", NULL, "%s is no peer", zone_id);
    if (did)
        *did = u->peer_did ? u->peer_did : CORRIDOR_UNIT_PEER_DID;
    return MEZ_OK;
}

static mez_status_t call_peer(void *baton, const char *method, const char *path, const char *query, json_t *body,
                              mez_peer_answer_t *ans, mez_problem_t *pb)
{
    corridor_unit_t *u = baton;
    (void)query;
    u->calls++;
    u->last_method = apr_pstrdup(unit_pool(), method);
    u->last_path = apr_pstrdup(unit_pool(), path);
    u->last_body = mez_json_pool_own(unit_pool(), body);
    ans->status = u->answer_status;
    ans->body = u->answer ? corridor_unit_parse(u->answer) : NULL;
    ans->text = u->answer;
    if (ans->status == 0)
        return mez_problem(pb, unit_pool(), MEZ_EIO, 503, "corridor.peer_unreachable", NULL, "no answer");
    if (ans->status >= 400)
        return mez_problem(pb, unit_pool(), MEZ_EIO, 502, "corridor.peer_refused", NULL, "refused");
    return MEZ_OK;
}

/* No signed checkpoint: these suites' peers have none. */
static mez_status_t get_text(void *baton, const char *path, int *status, const char **text, mez_problem_t *pb)
{
    corridor_unit_t *u = baton;
    (void)path, (void)pb;
    u->calls++;
    *status = 404;
    *text = NULL;
    return MEZ_OK;
}

static void count(void *baton, const char *corridor_id, const char *outcome, uint64_t n)
{
    corridor_unit_t *u = baton;
    (void)corridor_id, (void)outcome;
    u->counted += n;
}

static void warn(void *baton, const char *message)
{
    corridor_unit_t *u = baton;
    (void)message;
    u->warnings++;
}

static void audit(void *baton, const char *action, const char *resource_type, const char *resource_id,
                  json_t *detail, mez_audit_event_t *ev)
{
    corridor_unit_t *u = baton;
    u->audits++;
    ev->zone_id = "pk-sifc";
    ev->actor = "tok_0123456789abcdef";
    ev->action = action;
    ev->resource_type = resource_type;
    ev->detail = mez_json_pool_own(unit_pool(), detail);
    ev->resource_id = resource_id;
    ev->outcome = "committed";
    ev->request_id = "req_saga";
}

/* "sha256:<hex>" (corridor evidence) or the bare hex (definition digests). */
static const char *sha(const char *what, int bare)
{
    mez_digest_t d;
    mez_digest_sha256(what, strlen(what), &d);
    return bare ? mez_digest_hex(unit_pool(), &d) : mez_digest_format(unit_pool(), &d);
}

mez_db_t *corridor_unit_zone(const char **eid)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    mez_digest_t g;
    const char *h1 = sha("definition pk", 1), *h2 = sha("definition ae", 1), *to;
    apr_time_t t0 = apr_time_from_sec(CORRIDOR_UNIT_T0);
    int st = 0;
    json_t *e;

    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CORRIDOR_UNIT_CID, h1, h2, corridor_unit_parse("[]"),
                                                   corridor_unit_parse("[]"), &g, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create(p, db, CORRIDOR_UNIT_CID, "ae-adgm", CORRIDOR_UNIT_PEER_DID, h1, h2, &g,
                                              t0, CREATE, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CORRIDOR_UNIT_CID, "submit", corridor_unit_parse(apr_psprintf(
                          p, "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"%s\"}",
                          sha("agreement", 0), sha("packs", 0))), t0, MOVE, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CORRIDOR_UNIT_CID, "activate", corridor_unit_parse(
                          apr_psprintf(p, "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}",
                                       sha("approval pk", 0), sha("approval ae", 0))), t0, MOVE, &to, &pb), MEZ_OK);
    e = mass_unit_call(db, CORRIDOR_UNIT_T0, "POST", "/v1/entities", "{\"entity_type\":\"llc\",\"legal_name\":"
                       "\"Indus Saga Looms Ltd\",\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\","
                       "\"nationality\":\"PK\"}]}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    *eid = apr_pstrdup(p, mass_unit_str(e, "entity_id"));
    mass_unit_call(db, CORRIDOR_UNIT_T0 + 10, "PUT", apr_pstrcat(p, "/v1/entities/", *eid, "/status", NULL),
                   "{\"target_status\":\"ACTIVE\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    return db;
}

void corridor_unit_env(corridor_unit_t *u, mez_db_t *db)
{
    memset(&u->zone, 0, sizeof(u->zone));
    memset(&u->env, 0, sizeof(u->env));
    u->zone.zone_id = "pk-sifc";
    u->zone.did = "did:key:z6MkThisZone";
    u->env.p = unit_pool();
    u->env.db = db;
    u->env.zone = &u->zone;          /* no mass_call: the sovereign store, as in a zone without MezMassEndpoint */
    u->env.actor = "tok_0123456789abcdef";
    u->env.request_id = "req_saga";
    u->env.path = "/v1/corridors/" CORRIDOR_UNIT_CID "/test";
    u->env.now = apr_time_now();
    u->env.baton = u;
    u->env.peer = peer;
    u->env.call_peer = call_peer;
    u->env.get_text = get_text;
    u->env.count = count;
    u->env.warn = warn;
    u->env.audit = audit;
}

const char *corridor_unit_in_an_hour(void)
{
    char buf[64];
    apr_time_exp_t t;
    apr_size_t n;
    apr_time_exp_gmt(&t, apr_time_now() + apr_time_from_sec(3600));
    apr_strftime(buf, &n, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t);
    return apr_pstrdup(unit_pool(), buf);
}

corridor_unit_t *corridor_unit_script(int known_peer, int status, const char *answer)
{
    corridor_unit_t *u = apr_pcalloc(unit_pool(), sizeof(*u));
    u->known_peer = known_peer;
    u->answer_status = status;
    u->answer = answer;
    return u;
}
