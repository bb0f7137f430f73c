/* test_corridor_exchange.c: CUnit suite for what the exchange of receipts decides on its own
 * (mez/corridor_exchange.h): which transitions a caller may ask to record, what a peer may ask the sequencer to
 * sign, when the sequencer refuses to sign, and what the peer is told. The exchange between two real zones over
 * TLS (push, pull, forks, checkpoints) is t/test_corridor_protocol.py's. */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include "mez/corridor_exchange.h"
#include "mez/corridor_export.h"
#include "mez/corridor_handshake.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/key.h"
#include "mez/key_rotation.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "mez/json.h"
#include "corridor_unit.h"
#include "mass_unit.h"
#include "unit.h"

#define parse corridor_unit_parse

/* {"agreements": agreements} as the proposer answers an acceptance (pool-owned). */
static json_t *own_pack(json_t *agreements)
{
    return mez_json_pool_own(unit_pool(), json_pack("{s:O}", "agreements", agreements));
}

static void test_what_may_be_recorded(void)
{
    struct {
        const char *transition;
        const char *code, *pointer;      /* NULL: taken */
    } cases[] = {
        { "{\"kind\":\"notice\",\"payload\":{}}", NULL, NULL },
        { "{\"kind\":\"notice\"}", NULL, NULL },
        { "[]", "request.invalid_field", "/transition" },
        { "{\"payload\":{}}", "request.invalid_field", "/transition" },
        { "{\"kind\":\"\"}", "request.invalid_field", "/transition" },
        { "{\"kind\":7}", "request.invalid_field", "/transition" },
        { "{\"kind\":\"zone.key_rotation\",\"payload\":{}}", "corridor.reserved_kind", "/transition/kind" },
        { "{\"kind\":\"notice\",\"requested_by\":{\"zone_id\":\"pk-sifc\"}}", "corridor.reserved_field",
          "/transition/requested_by" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mez_problem_t pb = { 0 };
        mez_status_t st = mez_corridor_transition_check(unit_pool(), parse(cases[i].transition), &pb);
        if (!cases[i].code) {
            CU_ASSERT_EQUAL(st, MEZ_OK);
            continue;
        }
        CU_ASSERT_EQUAL(st, MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, 422);
        CU_ASSERT_STRING_EQUAL(pb.code, cases[i].code);
        CU_ASSERT_STRING_EQUAL(pb.pointer, cases[i].pointer);
    }
}

/* This zone (pk-sifc) is the sequencer; ae-adgm asks. */
static void test_what_a_peer_may_ask_the_sequencer_to_sign(void)
{
    struct {
        const char *transition;
        const char *pointer;             /* NULL: may ask */
    } cases[] = {
        { "{\"kind\":\"notice\",\"payload\":{\"note\":1}}", NULL },
        { "{\"kind\":\"notice\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"}}}", NULL },
        { "{\"kind\":\"cross_border_transfer\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"},"
          "\"destination\":{\"zone_id\":\"pk-sifc\"},\"outbound\":{\"zone_id\":\"ae-adgm\"}}}", NULL },
        { "{\"kind\":\"entity_migration_compensation\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"}}}", NULL },
        /* speaking for this zone */
        { "{\"kind\":\"notice\",\"payload\":{\"source\":{\"zone_id\":\"pk-sifc\"}}}",
          "/transition/payload/source/zone_id" },
        { "{\"kind\":\"notice\",\"payload\":{\"source\":{}}}", "/transition/payload/source/zone_id" },
        { "{\"kind\":\"cross_border_transfer\",\"payload\":{\"source\":{\"zone_id\":\"pk-sifc\"},"
          "\"destination\":{\"zone_id\":\"ae-adgm\"}}}", "/transition/payload/source/zone_id" },
        { "{\"kind\":\"cross_border_transfer\",\"payload\":{\"destination\":{\"zone_id\":\"pk-sifc\"}}}",
          "/transition/payload/source/zone_id" },
        { "{\"kind\":\"cross_border_transfer\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"},"
          "\"destination\":{\"zone_id\":\"pk-sifc\"},\"outbound\":{\"zone_id\":\"pk-sifc\"}}}",
          "/transition/payload/outbound/zone_id" },
        /* to a third zone */
        { "{\"kind\":\"entity_migration\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"},"
          "\"destination\":{\"zone_id\":\"third-zone\"}}}", "/transition/payload/destination/zone_id" },
        { "{\"kind\":\"cross_border_transfer\",\"payload\":{\"source\":{\"zone_id\":\"ae-adgm\"}}}",
          "/transition/payload/destination/zone_id" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mez_problem_t pb = { 0 };
        mez_status_t st = mez_corridor_peer_may_request(unit_pool(), "pk-sifc", "ae-adgm",
                                                        parse(cases[i].transition), &pb);
        if (!cases[i].pointer) {
            CU_ASSERT_EQUAL(st, MEZ_OK);
            continue;
        }
        CU_ASSERT_EQUAL(st, MEZ_EINVAL);
        CU_ASSERT_EQUAL(pb.status, 403);
        CU_ASSERT_STRING_EQUAL(pb.code, "corridor.peer_not_source");
        CU_ASSERT_STRING_EQUAL(pb.pointer, cases[i].pointer);
    }
}

/* The zone of corridor_unit.h is the proposer, the sequencer, of a corridor stored without its definition: it
 * does not sequence on it; it refuses to sign with a key the chain retired; it pushes nothing when the peer holds
 * everything; it tells the peer only of a halt or a suspension. */
static void test_sequencing_signing_and_telling(void)
{
    corridor_unit_t *u = corridor_unit_script(1, 200, "{}");
    mez_problem_t pb = { 0 };
    mez_corridor_append_t out;
    mez_corridor_t c;
    const char *eid;
    mez_db_t *db = corridor_unit_zone(&eid);
    json_t *receipt = NULL, *vc;
    mez_corridor_terms_t terms;

    corridor_unit_env(u, db);
    /* No definition document (the fixture's corridor was created without one): the row is damaged. */
    CU_ASSERT_EQUAL(mez_corridor_definition(unit_pool(), db, CORRIDOR_UNIT_CID, &vc, &terms, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.row_damaged");
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_corridor_sequence(&u->env, CORRIDOR_UNIT_CID, parse("{\"kind\":\"notice\"}"), NULL,
                                          &receipt, &out, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), 0);
    CU_ASSERT_EQUAL(u->calls, 0);
    /* A signer the chain moved to: the sequencer that still holds the old key refuses to sign. */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(unit_pool(), db, CORRIDOR_UNIT_CID, &c, &pb), MEZ_OK);
    c.signer_did = "did:key:z6MkTheRotatedKey";
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_corridor_may_sign(unit_pool(), "did:key:z6MkThisZone", &c, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.key_rotating");
    CU_ASSERT_EQUAL(pb.status, 503);
    c.signer_did = "did:key:z6MkThisZone";
    CU_ASSERT_EQUAL(mez_corridor_may_sign(unit_pool(), "did:key:z6MkThisZone", &c, &pb), MEZ_OK);
    /* Nothing to push: the peer acknowledged all of nothing, and is not called. */
    {
        json_t *pp = (json_t *)1;
        memset(&pb, 0, sizeof(pb));
        CU_ASSERT_EQUAL(mez_corridor_push(&u->env, CORRIDOR_UNIT_CID, &pp, &pb), MEZ_OK);
        CU_ASSERT_PTR_NULL(pp);
        CU_ASSERT_EQUAL(u->calls, 0);
    }
    /* Events other than halt and suspend are each zone's own: the peer is not told. */
    {
        json_t *told = mez_json_pool_own(unit_pool(), mez_corridor_tell_peer(&u->env, CORRIDOR_UNIT_CID, "resume",
                                                                             NULL));
        CU_ASSERT_TRUE(json_is_false(json_object_get(told, "notified")));
        CU_ASSERT_EQUAL(u->calls, 0);
        told = mez_json_pool_own(unit_pool(), mez_corridor_tell_peer(&u->env, CORRIDOR_UNIT_CID, "halt", NULL));
        CU_ASSERT_TRUE(json_is_true(json_object_get(told, "notified")));
        CU_ASSERT_EQUAL(u->calls, 1);
        CU_ASSERT_STRING_EQUAL(u->last_method, "POST");
        CU_ASSERT_STRING_EQUAL(u->last_path, "/v1/corridors/peers/transition");
        CU_ASSERT_STRING_EQUAL(mass_unit_str(u->last_body, "event"), "halt");
    }
}

/* A zone of its own: database, key, and its scripted peer (zone_id, peer_zone and peer_did as named). */
static corridor_unit_t *zone_with_key(const char *zone_id, const mez_key_t *key, const char *peer_zone,
                                      const char *peer_did)
{
    corridor_unit_t *u = corridor_unit_script(1, 201, "{}");
    u->peer_zone = peer_zone;
    u->peer_did = peer_did;
    corridor_unit_env(u, mass_unit_db());
    u->zone.zone_id = zone_id;
    u->zone.key = key;
    u->zone.did = mez_did_key(unit_pool(), key);
    return u;
}

static long corridor_rows(const corridor_unit_t *u)
{
    return mass_unit_count(u->env.db, "mez_corridor") * 10000 + mass_unit_count(u->env.db, "mez_corridor_document")
           * 100 + mass_unit_count(u->env.db, "mez_audit");
}

/* Two zones, each its own store and key, establish a corridor; the test carries each request to the other side
 * (what mod_mez does over HTTPS), so both run the real checks on real signatures. */
static void test_two_zones_establish_a_corridor(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *ka, *kb;
    corridor_unit_t *a, *b;
    mez_corridor_t ca, cb;
    const char *id, *taken_id;
    json_t *delivery, *pp, *agreements, *definition, *terms_vc, *tampered;
    mez_corridor_terms_t terms;
    int repeated, refused;
    long before;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &kb, &pb), MEZ_OK);
    a = zone_with_key("pk-sifc", ka, "ae-adgm", mez_did_key(p, kb));
    b = zone_with_key("ae-adgm", kb, "pk-sifc", mez_did_key(p, ka));

    /* Bad proposals write nothing. */
    before = corridor_rows(a);
    CU_ASSERT_EQUAL(mez_corridor_propose(&a->env, parse("{\"peer_zone_id\":\"nowhere\"}"), &id, &delivery, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.unknown_peer");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/peer_zone_id");
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL(mez_corridor_propose(&a->env, parse("{\"peer_zone_id\":\"ae-adgm\",\"corridor_id\":7}"), &id,
                                         &delivery, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/corridor_id");
    CU_ASSERT_EQUAL(corridor_rows(a), before);
    CU_ASSERT_EQUAL(a->calls, 0);

    /* A proposes; the definition reaches B (the script says B took it). */
    memset(&pb, 0, sizeof(pb));
    CU_ASSERT_EQUAL_FATAL(mez_corridor_propose(&a->env, parse("{\"peer_zone_id\":\"ae-adgm\"}"), &id, &delivery,
                                               &pb), MEZ_OK);
    mez_json_pool_own(p, delivery);
    CU_ASSERT_TRUE(json_is_true(json_object_get(delivery, "delivered")));
    CU_ASSERT_STRING_EQUAL(a->last_path, "/v1/corridors/peers/propose");
    definition = json_object_get(a->last_body, "definition");
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, a->env.db, id, &ca, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(ca.role, MEZ_CORRIDOR_PROPOSER);
    CU_ASSERT_EQUAL(ca.established, 0);
    CU_ASSERT_EQUAL(mez_corridor_definition(p, a->env.db, id, &terms_vc, &terms, &pb), MEZ_OK);
    CU_ASSERT_TRUE(json_equal(terms_vc, definition));

    /* B takes it once; a second delivery is a repeat; a changed one is refused as a document, kept nowhere. */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_take_proposal(&b->env, "pk-sifc", a->zone.did,
                                                     parse(mez_json_dump(p, a->last_body, 0)), &taken_id, &repeated,
                                                     &refused, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(taken_id, id);
    CU_ASSERT_EQUAL(repeated, 0);
    CU_ASSERT_EQUAL(mez_corridor_take_proposal(&b->env, "pk-sifc", a->zone.did, a->last_body, &taken_id, &repeated,
                                               &refused, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(repeated, 1);
    before = corridor_rows(b);
    tampered = json_deep_copy(a->last_body);
    mez_json_pool_own(p, tampered);
    json_object_set_new(json_object_get(json_object_get(tampered, "definition"), "credentialSubject"), "corridor_id",
                        json_string("00000000-0000-4000-8000-000000000000"));
    CU_ASSERT_EQUAL(mez_corridor_take_proposal(&b->env, "pk-sifc", a->zone.did, tampered, &taken_id, &repeated,
                                               &refused, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(refused, 1);
    /* ... and one from a zone that did not propose it is not B's to keep either. */
    CU_ASSERT_NOT_EQUAL(mez_corridor_take_proposal(&b->env, "third-zone", mez_did_key(p, kb), a->last_body, &taken_id,
                                                   &repeated, &refused, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(corridor_rows(b), before);

    /* B accepts while A cannot be reached: nothing is established on B. */
    b->answer_status = 0;
    b->answer = NULL;
    CU_ASSERT_EQUAL(mez_corridor_accept(&b->env, id, &pp, &pb), MEZ_EIO);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.peer_unreachable");
    CU_ASSERT_STRING_EQUAL(b->last_path, "/v1/corridors/peers/accept");
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(cb.established, 0);
    /* The proposer is not the one that accepts. */
    CU_ASSERT_EQUAL(mez_corridor_accept(&a->env, id, &pp, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_responder");

    /* A takes B's agreement (the request B sent) and establishes; B, told A's answer, establishes on the same
     * two agreements. */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_take_agreement(&a->env, &ca, b->zone.did, b->last_body, &agreements, &refused,
                                                      &pb), MEZ_OK);
    mez_json_pool_own(p, agreements);
    CU_ASSERT_EQUAL(json_array_size(agreements), 2);
    b->answer_status = 200;
    b->answer = mez_json_dump(p, own_pack(agreements), 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_accept(&b->env, id, &pp, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, a->env.db, id, &ca, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(ca.state, MEZ_CORRIDOR_ACTIVE);
    CU_ASSERT_EQUAL(cb.state, MEZ_CORRIDOR_ACTIVE);
    CU_ASSERT_TRUE(mez_digest_equal(&ca.genesis_root, &cb.genesis_root));
    CU_ASSERT_STRING_EQUAL(ca.agreement_digest, cb.agreement_digest);
    /* Each zone audited the establishment in its own chain. */
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "SELECT COUNT(*) FROM mez_audit WHERE action = 'corridor.establish'"), 1);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "SELECT COUNT(*) FROM mez_audit WHERE action = 'corridor.establish'"), 1);
    /* Accepting again answers the corridor as it is, and asks nobody. */
    {
        int calls = b->calls;
        CU_ASSERT_EQUAL(mez_corridor_accept(&b->env, id, &pp, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(b->calls, calls);
    }
}

/* A and B of test_two_zones_establish_a_corridor with their corridor established (A, pk-sifc, the sequencer): the
 * corridor's id. */
static const char *established(corridor_unit_t **pa, corridor_unit_t **pb_, mez_key_t **pka, mez_key_t **pkb)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_key_t *ka, *kb;
    corridor_unit_t *a, *b;
    mez_corridor_t ca;
    const char *id, *taken_id;
    json_t *delivery, *pp, *agreements;
    int repeated, refused;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &kb, &pb), MEZ_OK);
    a = zone_with_key("pk-sifc", ka, "ae-adgm", mez_did_key(p, kb));
    b = zone_with_key("ae-adgm", kb, "pk-sifc", mez_did_key(p, ka));
    CU_ASSERT_EQUAL_FATAL(mez_corridor_propose(&a->env, parse("{\"peer_zone_id\":\"ae-adgm\"}"), &id, &delivery,
                                               &pb), MEZ_OK);
    mez_json_pool_own(p, delivery);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_take_proposal(&b->env, "pk-sifc", a->zone.did, a->last_body, &taken_id,
                                                     &repeated, &refused, &pb), MEZ_OK);
    /* B's acceptance, as A receives it (A's answer scripted from A's own) */
    b->answer_status = 0;
    b->answer = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_accept(&b->env, id, &pp, &pb), MEZ_EIO);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, a->env.db, id, &ca, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_take_agreement(&a->env, &ca, b->zone.did, b->last_body, &agreements, &refused,
                                                      &pb), MEZ_OK);
    mez_json_pool_own(p, agreements);
    b->answer_status = 200;
    b->answer = mez_json_dump(p, own_pack(agreements), 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_accept(&b->env, id, &pp, &pb), MEZ_OK);
    *pa = a;
    *pb_ = b;
    if (pka)
        *pka = ka;
    if (pkb)
        *pkb = kb;
    return id;
}

/* One of the concurrent sequencers below: its own pool (and allocator) and its own connection to A's store. */
typedef struct sequencer_thread_t {
    corridor_unit_t u;
    apr_pool_t *pool;
    const char *id;
    int n, done;
    const char *failure;
} sequencer_thread_t;

static void *APR_THREAD_FUNC sequence_many(apr_thread_t *t, void *arg)
{
    sequencer_thread_t *s = arg;
    for (int i = 0; i < s->n && !s->failure; i++) {
        mez_problem_t pb = { 0 };
        mez_corridor_env_t env = s->u.env;
        mez_corridor_append_t out;
        json_t *receipt;
        apr_pool_t *it;
        apr_pool_create(&it, s->pool);
        env.p = it;
        if (mez_corridor_sequence(&env, s->id, mez_json_pool_own(it, json_pack("{s:s, s:{s:i}}", "kind", "notice",
                                                                               "payload", "n", i)),
                                  NULL, &receipt, &out, &pb) != MEZ_OK)
            s->failure = apr_psprintf(s->pool, "%s: %s", pb.code ? pb.code : "-", pb.detail ? pb.detail : "");
        else
            s->done++;
        apr_pool_destroy(it);
    }
    /* Returning rather than apr_thread_exit(): pthread_exit's unwinding trips a known ASan false positive
     * (stack-use-after-scope in sigaltstack at thread teardown; see test_tensor.c's threads). */
    (void)t;
    return NULL;
}

/* Two requests sequencing on the same corridor at once, each on its own connection to one SQLite file (two
 * threads of httpd, or two nodes): each receipt gets the next number, none is lost, and the sequencer never keeps
 * fork evidence against itself. Before the receipt was built under the row lock, the one that lost the race had
 * signed a second receipt for a taken number and its append kept it in mez_corridor_fork. */
static void test_concurrent_sequencings_get_consecutive_numbers(void)
{
    enum { THREADS = 2, EACH = 150 };
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    corridor_unit_t *a, *b;
    sequencer_thread_t s[THREADS];
    apr_thread_t *t[THREADS];
    const char *id = established(&a, &b, NULL, NULL), *file = NULL;
    mez_corridor_verify_report_t rep;
    mez_corridor_t c;
    json_t *doc;

    CU_ASSERT_EQUAL_FATAL(mez_db_query_value(p, a->env.db, &file, "SELECT file FROM pragma_database_list "
                                             "WHERE name = 'main'", &pb, NULL), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(file);
    for (int i = 0; i < THREADS; i++) {
        apr_allocator_t *al;
        memset(&s[i], 0, sizeof(s[i]));
        /* an allocator of its own: pools sharing one are not for two threads */
        CU_ASSERT_EQUAL_FATAL(apr_allocator_create(&al), APR_SUCCESS);
        CU_ASSERT_EQUAL_FATAL(apr_pool_create_ex(&s[i].pool, NULL, NULL, al), APR_SUCCESS);
        apr_allocator_owner_set(al, s[i].pool);
        s[i].u = *a;
        corridor_unit_env(&s[i].u, NULL);
        CU_ASSERT_EQUAL_FATAL(mez_db_open(s[i].pool, "sqlite3", apr_pstrdup(s[i].pool, file), &s[i].u.env.db, &pb),
                              MEZ_OK);
        s[i].u.env.p = s[i].pool;
        s[i].u.zone.zone_id = a->zone.zone_id;
        s[i].u.zone.key = a->zone.key;
        s[i].u.zone.did = a->zone.did;
        s[i].id = id;
        s[i].n = EACH;
    }
    for (int i = 0; i < THREADS; i++)
        CU_ASSERT_EQUAL_FATAL(apr_thread_create(&t[i], NULL, sequence_many, &s[i], p), APR_SUCCESS);
    for (int i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, t[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        if (s[i].failure)
            fprintf(stderr, "\n  sequencer %d: %s\n", i, s[i].failure);
        CU_ASSERT_PTR_NULL(s[i].failure);
        CU_ASSERT_EQUAL(s[i].done, EACH);
        apr_pool_destroy(s[i].pool);
    }
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "mez_corridor_fork"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "SELECT COUNT(DISTINCT seq) FROM mez_corridor_receipt"),
                    THREADS * EACH);
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "SELECT MAX(seq) FROM mez_corridor_receipt"), THREADS * EACH - 1);
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "SELECT COUNT(*) FROM mez_corridor_receipt x JOIN mez_corridor_receipt "
                                    "y ON y.corridor_id = x.corridor_id AND y.seq = x.seq + 1 "
                                    "WHERE y.prev_root <> x.next_root"), 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, a->env.db, id, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(c.state, MEZ_CORRIDOR_ACTIVE);
    /* what the peer or anyone offline would check: every receipt chained and signed */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_export(p, a->env.db, id, &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_verify_export(p, doc, &rep, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rep.receipts, THREADS * EACH);
}

/* A receipt key signs for b's copy of corridor id: the next number, on b's head. */
static json_t *next_signed_by(corridor_unit_t *b, const char *id, const mez_key_t *key, const json_t *transition)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_terms_t terms;
    mez_corridor_t c;
    json_t *vc, *r;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_definition(p, b->env.db, id, &vc, &terms, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_receipt_make(p, key, &terms, c.size, &c.head, transition, apr_time_now(), &r,
                                                    &pb), MEZ_OK);
    return r;
}

/* The transition recording from's rotation to to in zone_id (*rot, may be NULL, what it says). */
static json_t *rotation(const mez_key_t *from, const mez_key_t *to, const char *zone_id, mez_key_rotation_t *rot)
{
    mez_problem_t pb = { 0 };
    mez_key_rotation_t r;
    json_t *vc;
    CU_ASSERT_EQUAL_FATAL(mez_key_rotation_issue(unit_pool(), from, to, zone_id, NULL, apr_time_now(), &vc, &r, &pb),
                          MEZ_OK);
    if (rot)
        *rot = r;
    return mez_key_rotation_transition(unit_pool(), vc, &r);
}

/* b takes batch (pushed or pulled): answered with status and code at pointer (status 0: taken), and on a
 * refusal its copy is as it was. */
static void take(corridor_unit_t *b, const char *id, json_t *batch, int status, const char *code, const char *pointer,
                 int appended, int repeated)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_t before, after;
    long forks = mass_unit_count(b->env.db, "mez_corridor_fork");
    int a = -1, r = -1;
    mez_status_t st;
    mez_json_pool_own(p, batch);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &before, &pb), MEZ_OK);
    st = mez_corridor_take_receipts(&b->env, &before, batch, "/receipts", &a, &r, &pb);
    CU_ASSERT_EQUAL(a, appended);
    CU_ASSERT_EQUAL(r, repeated);
    if (!status) {
        if (st != MEZ_OK)
            fprintf(stderr, "\n  refused: %s %s %s\n", pb.code, pb.pointer ? pb.pointer : "-", pb.detail);
        CU_ASSERT_EQUAL(st, MEZ_OK);
        return;
    }
    CU_ASSERT_NOT_EQUAL(st, MEZ_OK);
    CU_ASSERT_EQUAL(pb.status, status);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", code);
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", pointer);
    if (!strcmp(code, "corridor.fork"))
        return;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &after, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(after.size, before.size);
    CU_ASSERT_STRING_EQUAL(after.signer_did, before.signer_did);
    CU_ASSERT_STRING_EQUAL(after.peer_did, before.peer_did);
    CU_ASSERT_EQUAL(after.state, before.state);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_fork"), forks);
}

/* What b's copy exports verifies offline (mez corridor verify). */
static void copy_verifies(corridor_unit_t *b, const char *id, uint64_t receipts, int rotations)
{
    mez_problem_t pb = { 0 };
    mez_corridor_verify_report_t rep;
    json_t *doc;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_export(unit_pool(), b->env.db, id, &doc, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_verify_export(unit_pool(), doc, &rep, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(rep.receipts, receipts);
    CU_ASSERT_EQUAL(rep.key_rotations, (uint64_t)rotations);
}

/* The responder B takes a zone.key_rotation receipt only as its own export's verification would: the credential
 * must rotate the DID the chain has for its zone, and the payload must say what the credential says; the DIDs it
 * keeps are the credential's. A's store refuses the same receipts. */
static void test_rotations_taken_as_the_verifier_takes_them(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    corridor_unit_t *a, *b;
    mez_key_t *ka, *kb, *ka2, *kb2, *kx, *ky, *k3;
    mez_key_rotation_t rot;
    mez_corridor_append_t out;
    mez_corridor_t cb;
    const char *id = established(&a, &b, &ka, &kb);
    json_t *tr, *r;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &kb2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &kx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ky, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &k3, &pb), MEZ_OK);

    /* A's rotation whose payload names a key the credential does not: the signer would move to k3, and every
     * receipt the credential's new key signs would be refused. */
    tr = rotation(ka, ka2, "pk-sifc", &rot);
    json_object_set_new(json_object_get(tr, "payload"), "new_did", json_string(mez_did_key(p, k3)));
    r = next_signed_by(b, id, ka, tr);
    take(b, id, json_pack("[O]", r), 422, "key_rotation.invalid", "/receipts/0/transition/payload/new_did", 0, 0);
    CU_ASSERT_EQUAL(mez_corridor_append(p, a->env.db, id, r, apr_time_now(), &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "key_rotation.invalid");
    CU_ASSERT_EQUAL(mass_unit_count(a->env.db, "mez_corridor_receipt"), 0);
    /* ... and one whose previous_did is not the credential's */
    tr = rotation(ka, ka2, "pk-sifc", &rot);
    json_object_set_new(json_object_get(tr, "payload"), "previous_did", json_string(mez_did_key(p, k3)));
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, tr)), 422, "key_rotation.invalid",
         "/receipts/0/transition/payload/new_did", 0, 0);
    /* B's own zone "rotated" from a key it never had: refused, though the sequencer signed it. */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(kx, ky, "ae-adgm", NULL))), 409,
         "key_rotation.not_current", "/receipts/0/transition/payload/credential/credentialSubject/previous_did", 0, 0);
    /* A's zone rotated from a key that is not the one signing its chain */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(kx, ky, "pk-sifc", NULL))), 409,
         "key_rotation.not_current", "/receipts/0/transition/payload/credential/credentialSubject/previous_did", 0, 0);
    /* a rotation of a zone that is no party of the corridor */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(kx, ky, "kz-aifc", NULL))), 422,
         "key_rotation.invalid", "/receipts/0/transition/payload/zone_id", 0, 0);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_receipt"), 0);

    /* B's own real rotation, recorded by A: taken; the sequencer and the peer are unchanged on B's copy. */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(kb, kb2, "ae-adgm", NULL))), 0, NULL, NULL, 1, 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(cb.signer_did, mez_did_key(p, ka));
    CU_ASSERT_STRING_EQUAL(cb.peer_did, mez_did_key(p, ka));
    copy_verifies(b, id, 1, 1);
    /* a second rotation from B's first key is no longer current */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(kb, ky, "ae-adgm", NULL))), 409,
         "key_rotation.not_current", "/receipts/0/transition/payload/credential/credentialSubject/previous_did", 0, 0);

    /* A's real rotation: taken, the signer and the peer are the credential's new DID, whose receipts are taken
     * next and the old key's are not. */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, rotation(ka, ka2, "pk-sifc", NULL))), 0, NULL, NULL, 1, 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(cb.signer_did, mez_did_key(p, ka2));
    CU_ASSERT_STRING_EQUAL(cb.peer_did, mez_did_key(p, ka2));
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, parse("{\"kind\":\"notice\"}"))), 401,
         "receipt.signature_invalid", "/receipts/0/proof/verificationMethod", 0, 0);
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka2, parse("{\"kind\":\"notice\"}"))), 0, NULL, NULL, 1, 0);
    copy_verifies(b, id, 3, 2);
}

/* A peer announces its rotations as it makes them (its key-rotation notice, recorded in mez_peer_key), and the
 * chain records each later, as a receipt. When A rotated twice (ka -> ka2 -> ka3) before the chain's receipt of
 * the first arrived, B's corridor must keep ka3 as its peer: the receipt's DID (ka2) is already retired. Before, the
 * receipt set peer_did to ka2, and B then refused A's requests signed with the key A uses. */
static void test_peer_did_follows_announced_rotations(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    corridor_unit_t *a, *b;
    mez_key_t *ka, *kb, *ka2, *ka3;
    mez_key_rotation_t r1, r2;
    mez_corridor_t cb;
    const char *id = established(&a, &b, &ka, &kb);
    json_t *tr;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka3, &pb), MEZ_OK);
    tr = rotation(ka, ka2, "pk-sifc", &r1);
    (void)rotation(ka2, ka3, "pk-sifc", &r2);
    CU_ASSERT_EQUAL_FATAL(mez_peer_key_record(p, b->env.db, &r1, apr_time_now(), NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_peer_key_record(p, b->env.db, &r2, apr_time_now(), NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(cb.peer_did, mez_did_key(p, ka3));
    /* The chain's receipt of the first rotation: the sequencer's key is the credential's new one (the chain
     * follows its own receipts), the peer stays where the announced rotations lead. */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka, tr)), 0, NULL, NULL, 1, 0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(cb.signer_did, mez_did_key(p, ka2));
    CU_ASSERT_STRING_EQUAL(cb.peer_did, mez_did_key(p, ka3));
    /* ... and the second: both where A is now. */
    take(b, id, json_pack("[O]", next_signed_by(b, id, ka2, rotation(ka2, ka3, "pk-sifc", NULL))), 0, NULL, NULL, 1,
         0);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(cb.signer_did, mez_did_key(p, ka3));
    CU_ASSERT_STRING_EQUAL(cb.peer_did, mez_did_key(p, ka3));
    copy_verifies(b, id, 2, 2);
}

/* Receipt seq of corridor id as key signs it, after the receipt prev (NULL: after the genesis root of b's copy). */
static json_t *signed_at(corridor_unit_t *b, const char *id, const mez_key_t *key, uint64_t seq, const json_t *prev,
                         const json_t *transition)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_terms_t terms;
    mez_corridor_t c;
    mez_digest_t head;
    json_t *vc, *r;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_definition(p, b->env.db, id, &vc, &terms, &pb), MEZ_OK);
    head = c.genesis_root;
    if (prev)
        CU_ASSERT_EQUAL_FATAL(mez_receipt_hex_digest(p, json_string_value(json_object_get(prev, "next_root")), "",
                                                     &head, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_receipt_make(p, key, &terms, seq, &head, transition, apr_time_now(), &r, &pb),
                          MEZ_OK);
    return r;
}

/* The sequencer resends from what the responder acknowledged, which can lag behind what the responder holds (a
 * push whose answer was lost, or a pull in between): after the sequencer's rotation such a batch starts with
 * receipts its previous key signed. Those are the held ones, answered as repeats; each new one is checked with the
 * key in force at its number. A different receipt at a held number is a fork only when the key that signed at that
 * number signed it. Before, every receipt of a batch was checked with the current key, and every later push failed
 * 401 receipt.signature_invalid for ever. */
static void test_receipts_held_before_a_rotation_are_repeats(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    corridor_unit_t *a, *b;
    mez_key_t *ka, *kb, *ka2;
    mez_corridor_t cb;
    const char *id = established(&a, &b, &ka, &kb);
    json_t *r0, *r1, *r2, *other;

    CU_ASSERT_EQUAL_FATAL(mez_key_generate(p, &ka2, &pb), MEZ_OK);
    r0 = signed_at(b, id, ka, 0, NULL, parse("{\"kind\":\"notice\",\"payload\":{\"n\":0}}"));
    r1 = signed_at(b, id, ka, 1, r0, rotation(ka, ka2, "pk-sifc", NULL));
    r2 = signed_at(b, id, ka2, 2, r1, parse("{\"kind\":\"notice\",\"payload\":{\"n\":2}}"));

    take(b, id, json_pack("[O, O]", r0, r1), 0, NULL, NULL, 2, 0);
    /* the answer was lost: the same push again, then with the receipt the new key signed */
    take(b, id, json_pack("[O, O]", r0, r1), 0, NULL, NULL, 0, 2);
    take(b, id, json_pack("[O, O, O]", r0, r1, r2), 0, NULL, NULL, 1, 2);
    take(b, id, json_pack("[O]", r0), 0, NULL, NULL, 0, 1);
    take(b, id, json_pack("[O, O, O]", r0, r1, r2), 0, NULL, NULL, 0, 3);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(cb.size, 3);
    CU_ASSERT_STRING_EQUAL(cb.signer_did, mez_did_key(p, ka2));
    copy_verifies(b, id, 3, 1);

    /* Another receipt 0 signed by the new key, which did not sign receipt 0: nobody's word, no evidence. */
    other = signed_at(b, id, ka2, 0, NULL, parse("{\"kind\":\"notice\",\"payload\":{\"n\":\"other\"}}"));
    take(b, id, json_pack("[O]", other), 401, "receipt.signature_invalid", "/receipts/0/proof/verificationMethod", 0,
         0);
    /* Another receipt 1 signed by the previous key, which signed receipt 1: the sequencer equivocated. */
    other = signed_at(b, id, ka, 1, r0, parse("{\"kind\":\"notice\",\"payload\":{\"n\":\"other\"}}"));
    take(b, id, json_pack("[O, O]", r0, other), 409, "corridor.fork", "/receipts/1/sequence", 0, 1);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_fork"), 1);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, b->env.db, id, &cb, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(cb.state, MEZ_CORRIDOR_HALTED);
    CU_ASSERT_EQUAL(cb.size, 3);
}

/* B, the responder, records a transition by asking A; A's answer, scripted here, is all B has to go on. */
static void record_refused(corridor_unit_t *b, const char *id, const json_t *asked, const char *answer,
                           const char *pointer)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    json_t *receipt = NULL, *delivery = NULL;
    uint64_t seq = 99;
    long before = mass_unit_count(b->env.db, "mez_corridor_receipt");
    b->answer_status = 201;
    b->answer = answer;
    CU_ASSERT_EQUAL(mez_corridor_record(&b->env, id, asked, NULL, &receipt, &seq, &delivery, &pb), MEZ_EIO);
    CU_ASSERT_EQUAL(pb.status, 502);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "corridor.peer_invalid_answer");
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "", pointer);
    CU_ASSERT_EQUAL(seq, 99);
    CU_ASSERT_PTR_NULL(receipt);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_receipt"), before);
    (void)p;
}

/* The sequencer's answer to a responder's transition is the receipt it signed for that very transition, recorded
 * as the responder's request: without it, or with a receipt of anything else (even one the sequencer signed),
 * nothing is recorded and no number is answered. Before, an answer without a receipt was a success at sequence 0. */
static void test_the_responder_records_only_the_receipt_it_asked_for(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    corridor_unit_t *a, *b;
    mez_key_t *ka, *kb;
    const char *id = established(&a, &b, &ka, &kb);
    json_t *asked = parse("{\"kind\":\"notice\",\"payload\":{\"n\":1}}"), *recorded, *receipt = NULL;
    json_t *delivery = NULL, *good;
    uint64_t seq = 99;

    recorded = json_deep_copy(asked);
    json_object_set_new(recorded, "requested_by", json_pack("{s:s}", "zone_id", "ae-adgm"));
    mez_json_pool_own(p, recorded);
    record_refused(b, id, asked, "{}", "/receipt");
    record_refused(b, id, asked, "{\"receipt\":null}", "/receipt");
    /* A's own receipt of the same transition (not at B's request), one of another transition, one requested by
     * another zone */
    record_refused(b, id, asked, mez_json_dump(p, mez_json_pool_own(p, json_pack("{s:O}", "receipt",
                   next_signed_by(b, id, ka, asked))), 0), "/receipt/transition");
    record_refused(b, id, asked, mez_json_dump(p, mez_json_pool_own(p, json_pack("{s:O}", "receipt",
                   next_signed_by(b, id, ka, parse("{\"kind\":\"notice\",\"payload\":{\"n\":2},"
                                                   "\"requested_by\":{\"zone_id\":\"ae-adgm\"}}")))), 0),
                   "/receipt/transition");
    record_refused(b, id, asked, mez_json_dump(p, mez_json_pool_own(p, json_pack("{s:O}", "receipt",
                   next_signed_by(b, id, ka, parse("{\"kind\":\"notice\",\"payload\":{\"n\":1},"
                                                   "\"requested_by\":{\"zone_id\":\"kz-aifc\"}}")))), 0),
                   "/receipt/transition");
    CU_ASSERT_STRING_EQUAL(b->last_path, "/v1/corridors/peers/transitions");

    /* the receipt of what was asked: held in B's copy, and its number answered */
    good = next_signed_by(b, id, ka, recorded);
    b->answer = mez_json_dump(p, mez_json_pool_own(p, json_pack("{s:O}", "receipt", good)), 0);
    CU_ASSERT_EQUAL(mez_corridor_record(&b->env, id, asked, NULL, &receipt, &seq, &delivery, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(seq, 0);
    CU_ASSERT_TRUE(json_equal(receipt, good));
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_receipt"), 1);
    copy_verifies(b, id, 1, 0);
    /* ... but signed by another key than the sequencer's: refused as any pushed receipt, no number */
    seq = 99;
    b->answer = mez_json_dump(p, mez_json_pool_own(p, json_pack("{s:O}", "receipt",
                                                                next_signed_by(b, id, kb, recorded))), 0);
    CU_ASSERT_EQUAL(mez_corridor_record(&b->env, id, asked, NULL, &receipt, &seq, &delivery, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "receipt.signature_invalid");
    CU_ASSERT_EQUAL(seq, 99);
    CU_ASSERT_EQUAL(mass_unit_count(b->env.db, "mez_corridor_receipt"), 1);
}

void unit_register_corridor_exchange(void)
{
    CU_pSuite s = unit_suite("corridor exchange");
    CU_add_test(s, "what may be recorded", test_what_may_be_recorded);
    CU_add_test(s, "what a peer may ask the sequencer to sign", test_what_a_peer_may_ask_the_sequencer_to_sign);
    CU_add_test(s, "sequencing, signing and telling the peer", test_sequencing_signing_and_telling);
    CU_add_test(s, "two zones establish a corridor", test_two_zones_establish_a_corridor);
    CU_add_test(s, "concurrent sequencings get consecutive numbers",
                test_concurrent_sequencings_get_consecutive_numbers);
    CU_add_test(s, "rotations taken as the verifier takes them", test_rotations_taken_as_the_verifier_takes_them);
    CU_add_test(s, "the peer's DID follows its announced rotations", test_peer_did_follows_announced_rotations);
    CU_add_test(s, "receipts held before a rotation are repeats", test_receipts_held_before_a_rotation_are_repeats);
    CU_add_test(s, "the responder records only the receipt it asked for",
                test_the_responder_records_only_the_receipt_it_asked_for);
}
