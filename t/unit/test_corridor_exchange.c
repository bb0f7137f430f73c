/* test_corridor_exchange.c: CUnit suite for what the exchange of receipts decides on its own
 * (mez/corridor_exchange.h): which transitions a caller may ask to record, what a peer may ask the sequencer to
 * sign, when the sequencer refuses to sign, and what the peer is told. The exchange between two real zones over
 * TLS (push, pull, forks, checkpoints) is t/test_corridor_protocol.py's. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor_exchange.h"
#include "mez/json.h"
#include "corridor_unit.h"
#include "mass_unit.h"
#include "unit.h"

#define parse corridor_unit_parse

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

void unit_register_corridor_exchange(void)
{
    CU_pSuite s = unit_suite("corridor exchange");
    CU_add_test(s, "what may be recorded", test_what_may_be_recorded);
    CU_add_test(s, "what a peer may ask the sequencer to sign", test_what_a_peer_may_ask_the_sequencer_to_sign);
    CU_add_test(s, "sequencing, signing and telling the peer", test_sequencing_signing_and_telling);
}
