/* test_watcher.c: CUnit suite for corridor watchers (mez/watcher.h) on a migrated SQLite database holding one
 * ACTIVE corridor of five receipts that this zone ("pk-sifc") proposed: registration, bonding and the lifecycle
 * with its event log; attestations signed with real keys, recorded when they match the chain, slashed 50 % when
 * false and 100 % when the watcher equivocates, with the evidence kept; every refusal leaves the rows unchanged. */
#include <stdint.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/checkpoint.h"
#include "mez/clearance.h"
#include "mez/corridor.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key_rotation.h"
#include "mez/lifecycle.h"
#include "mez/receipt.h"
#include "mez/vc.h"
#include "mez/watcher.h"
#include "mass_unit.h"
#include "unit.h"

/* The audit event a corridor's creation requires (mez_corridor_create). */
#define CREATE unit_audit("corridor.create")

/* The audit events a corridor move and a watcher's move or attestation require. */
#define MOVE unit_audit("corridor.transition")
#define AUD unit_audit("watcher.move")

#define CID "7a1c2a4e-9b3d-4c5e-8f70-112233445566"
#define ZONE "pk-sifc"
#define ORIGIN ZONE "/corridors/" CID
#define NOW apr_time_from_sec(1782900000)   /* 2026-07-01 */

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

static const char *sha(const char *s)
{
    mez_digest_t d;
    mez_digest_sha256(s, strlen(s), &d);
    return mez_digest_format(unit_pool(), &d);
}

static mez_key_t *key(unsigned char seed_byte)
{
    unsigned char seed[MEZ_ED25519_SEED_LEN];
    mez_key_t *k = NULL;
    mez_problem_t pb = { 0 };
    memset(seed, seed_byte, sizeof(seed));
    CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(unit_pool(), seed, &k, &pb), MEZ_OK);
    return k;
}

/* An ACTIVE corridor of five receipts; roots[i] is the chain's root at size i + 1. */
static mez_db_t *corridor(mez_digest_t roots[5])
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    mez_digest_t g, head, next;
    const char *to, *h1 = "1111111111111111111111111111111111111111111111111111111111111111",
               *h2 = "2222222222222222222222222222222222222222222222222222222222222222";
    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(p, CID, h1, h2, parse("[]"), parse("[]"), &g, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create(p, db, CID, "ae-adgm", "did:key:z6MkPeer", h1, h2, &g, NOW, CREATE, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CID, "submit", parse(apr_psprintf(p,
                              "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"%s\"}",
                              sha("agreement"), sha("packs"))), NOW, MOVE, &to, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(p, db, CID, "activate", parse(apr_psprintf(p,
                              "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}",
                              sha("approval a"), sha("approval b"))), NOW, MOVE, &to, &pb), MEZ_OK);
    head = g;
    for (unsigned i = 0; i < 5; i++) {
        mez_corridor_append_t a;
        json_t *r = parse(apr_psprintf(p, "{\"type\":\"MEZCorridorStateReceipt\",\"corridor_id\":\"" CID "\","
                                          "\"sequence\":%u,\"timestamp\":\"2026-07-01T10:00:0%uZ\",\"prev_root\":"
                                          "\"%s\",\"lawpack_digest_set\":[],\"ruleset_digest_set\":[],\"transition\":"
                                          "{\"kind\":\"transfer\",\"payload\":{\"amount_minor\":%u}}}",
                                       i, i, mez_digest_hex(p, &head), 100 + i));
        CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, r, &next, &pb), MEZ_OK);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_append(p, db, CID, r, NOW, &a, &pb), MEZ_OK);
        roots[i] = a.root;
        head = next;
    }
    return db;
}

/* A WatcherAttestation of (size, root) issued with k under issuer (NULL: k's own DID); note may be NULL. */
static json_t *attestation(const mez_key_t *k, const char *issuer, const char *origin, uint64_t size,
                           const char *root_hex, const char *note)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_vc_proof_options_t opts = { 0 };
    json_t *vc = NULL, *c = parse(apr_psprintf(p,
        "{\"@context\":[\"" MEZ_VC_CONTEXT_V2 "\"],\"type\":[\"VerifiableCredential\",\"WatcherAttestation\"],"
        "\"validFrom\":\"2026-06-30T00:00:00Z\",\"credentialSubject\":{\"id\":\"urn:mez:corridor:" CID "\","
        "\"corridor_id\":\"" CID "\",\"origin\":\"%s\",\"tree_size\":%" APR_UINT64_T_FMT ",\"root_hash\":\"%s\"}}",
        origin, size, root_hex));
    if (note)
        json_object_set_new(json_object_get(c, "credentialSubject"), "checkpoint_note", json_string(note));
    opts.created = "2026-06-30T12:00:00Z";
    if (issuer) {   /* a signature under another's name: mez_vc_issue would refuse it, so sign it bare */
        json_object_set_new(c, "issuer", json_string(issuer));
        CU_ASSERT_EQUAL_FATAL(mez_vc_sign(p, c, k, &opts, &vc, &pb), MEZ_OK);
    }
    else
        CU_ASSERT_EQUAL_FATAL(mez_vc_issue(p, c, k, NULL, &opts, &vc, &pb), MEZ_OK);
    return vc;
}

typedef struct counts_t { long watchers, events, attestations; } counts_t;

static counts_t counts(mez_db_t *db)
{
    counts_t c = { mass_unit_count(db, "mez_watcher"), mass_unit_count(db, "mez_watcher_event"),
                   mass_unit_count(db, "mez_watcher_attestation") };
    return c;
}

#define SAME_COUNTS(a, b) CU_ASSERT(a.watchers == b.watchers && a.events == b.events \
                                    && a.attestations == b.attestations)

static void test_lifecycle(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t roots[5];
    mez_db_t *db = corridor(roots);
    const char *did = mez_did_key(p, key(7));
    mez_watcher_t w, w2;
    apr_array_header_t *events;
    counts_t before;

    CU_ASSERT_EQUAL_FATAL(mez_watcher_register(p, db, did, NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_REGISTERED);
    CU_ASSERT_EQUAL(w.stake_minor, 0);
    CU_ASSERT_EQUAL(strncmp(w.watcher_id, "wat_", 4), 0);
    before = counts(db);
    /* Refusals write nothing. */
    CU_ASSERT_EQUAL(mez_watcher_register(p, db, did, NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.exists");
    CU_ASSERT_EQUAL(mez_watcher_register(p, db, "did:web:example.org", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_did");
    CU_ASSERT_EQUAL(mez_watcher_register(p, db, apr_pstrcat(p, did, "#x", NULL), NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 0, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_stake");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/stake/amount_minor");
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, (uint64_t)INT64_MAX + 1, "USD", NOW, AUD, NULL, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 10, "usd", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_currency");
    CU_ASSERT_EQUAL(mez_watcher_activate(p, db, w.watcher_id, NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, "wat_nobody", 10, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
    SAME_COUNTS(before, counts(db));

    CU_ASSERT_EQUAL_FATAL(mez_watcher_bond(p, db, w.watcher_id, 250000, "USD", NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_BONDED);
    CU_ASSERT_EQUAL(w.stake_minor, 250000);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_activate(p, db, w.watcher_id, NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_ACTIVE);
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 10, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_EQUAL(mez_watcher_complete_unbond(p, db, w.watcher_id, NOW, 0, AUD, NULL, &pb), MEZ_EINVAL);
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL_FATAL(mez_watcher_unbond(p, db, w.watcher_id, NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_UNBONDING);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_complete_unbond(p, db, w.watcher_id, NOW, 0, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_DEACTIVATED);
    CU_ASSERT_EQUAL(w.stake_minor, 0);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_events(p, db, w.watcher_id, &events, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(events->nelts, 5);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(events, 0, mez_watcher_log_t).event, "register");
    CU_ASSERT_PTR_NULL(APR_ARRAY_IDX(events, 0, mez_watcher_log_t).from_state);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(events, 1, mez_watcher_log_t).event, "bond");
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(events, 1, mez_watcher_log_t).amount_minor, 250000);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(events, 4, mez_watcher_log_t).event, "complete_unbond");
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(events, 4, mez_watcher_log_t).to_state, "DEACTIVATED");
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(events, 4, mez_watcher_log_t).amount_minor, 250000);   /* returned */

    /* enrol: register, bond and activate, all or nothing. */
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_enrol(p, db, mez_did_key(p, key(8)), 0, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_stake");
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL_FATAL(mez_watcher_enrol(p, db, mez_did_key(p, key(8)), 42, "EUR", NOW, AUD, &w2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w2.state, MEZ_WATCHER_ACTIVE);
    CU_ASSERT_EQUAL(counts(db).events, before.events + 3);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_get_by_did(p, db, mez_did_key(p, key(8)), &w, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(w.watcher_id, w2.watcher_id);
    CU_ASSERT_STRING_EQUAL(w.currency, "EUR");

    /* An exit's stake is held for the unbonding period from when the exit began, to the second. */
    CU_ASSERT_EQUAL_FATAL(mez_watcher_unbond(p, db, w2.watcher_id, NOW, AUD, &w2, &pb), MEZ_OK);
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_complete_unbond(p, db, w2.watcher_id, NOW + apr_time_from_sec(86399),
                                                apr_time_from_sec(86400), AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.unbonding");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, mez_time_stamp(p, NOW + apr_time_from_sec(86400))));
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL_FATAL(mez_watcher_complete_unbond(p, db, w2.watcher_id, NOW + apr_time_from_sec(86400),
                                                      apr_time_from_sec(86400), AUD, &w2, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w2.state, MEZ_WATCHER_DEACTIVATED);
    CU_ASSERT_EQUAL(counts(db).events, before.events + 1);
    /* Only a SLASHED watcher rebonds (test_attest rebonds one). */
    CU_ASSERT_EQUAL(mez_watcher_rebond(p, db, w2.watcher_id, 5, "EUR", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
}

/* Every change a library caller can make to a watcher, a corridor or a peer carries the zone's audit row of it:
 * without an audit event (or with one lacking its members) the call is refused before anything is written. */
static void test_audit_required(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t roots[5];
    mez_db_t *db = corridor(roots);
    const char *did = mez_did_key(p, key(9));
    const mez_audit_event_t bad = { .zone_id = ZONE, .actor = "unit-test" };   /* no action, no outcome */
    mez_watcher_zone_t zone = { ZONE, key(1), NULL, NULL };
    mez_corridor_t c;
    apr_array_header_t *rows;
    const mez_audit_row_t *row;
    mez_watcher_t w;
    counts_t before = counts(db);
    long audit = mass_unit_count(db, "mez_audit"), peers = mass_unit_count(db, "mez_peer");

    CU_ASSERT_EQUAL(mez_watcher_enrol(p, db, did, 10, "USD", NOW, NULL, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    CU_ASSERT_EQUAL(pb.status, 500);
    CU_ASSERT_EQUAL(mez_watcher_enrol(p, db, did, 10, "USD", NOW, &bad, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mez_watcher_register(p, db, did, NOW, NULL, NULL, &pb), MEZ_EINTERNAL);
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), audit);

    /* With it: one row, naming the watcher and its state and stake after the move. */
    CU_ASSERT_EQUAL_FATAL(mez_watcher_enrol(p, db, did, 10, "USD", NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), audit + 1);
    CU_ASSERT_EQUAL_FATAL(mez_audit_read(p, db, 0, 0, &rows, &pb), MEZ_OK);
    row = &APR_ARRAY_IDX(rows, rows->nelts - 1, mez_audit_row_t);
    CU_ASSERT_STRING_EQUAL(row->action, "watcher.move");
    CU_ASSERT_STRING_EQUAL(row->resource_type, "watcher");
    CU_ASSERT_STRING_EQUAL(row->resource_id, w.watcher_id);
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"state\":\"ACTIVE\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(row->detail, "\"stake_minor\":10"));

    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_unbond(p, db, w.watcher_id, NOW, NULL, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 5, "USD", NOW, &bad, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, parse("{}"), NOW, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL_FATAL(mez_watcher_get(p, db, w.watcher_id, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_ACTIVE);

    /* A corridor's move and a peer's registration and revocation, likewise. */
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, CID, "suspend", parse("{\"reason\":\"maintenance\"}"), NOW, NULL,
                                            NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, db, CID, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(c.state, MEZ_CORRIDOR_ACTIVE);
    CU_ASSERT_EQUAL(mez_peer_register(p, db, "kz-aifc", "https://kz-aifc.example", mez_did_key(p, key(10)), "unit",
                                      NOW, NULL, NULL, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mez_peer_revoke(p, db, "kz-aifc", NOW, &bad, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer"), peers);
    /* The other changes of a zone's records that libmezcore makes for its callers. */
    {
        mez_corridor_doc_t doc = { 0 };
        mez_key_rotation_t rot = { 0 };
        apr_array_header_t *recorded;
        int repeated;
        CU_ASSERT_EQUAL(mez_corridor_create_proposed(p, db, "9a1c2a4e-9b3d-4c5e-8f70-112233445566", "ae-adgm",
                                                     mez_did_key(p, key(11)), MEZ_CORRIDOR_PROPOSER, &doc, NOW, NULL,
                                                     NULL, &pb), MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_corridor_establish(p, db, CID, &doc, 1, "00", &roots[0], NULL, NULL, NOW, &bad, NULL,
                                               &pb), MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_corridor_create(p, db, "9a1c2a4e-9b3d-4c5e-8f70-112233445566", "ae-adgm",
                                            mez_did_key(p, key(11)), mez_digest_hex(p, &roots[1]),
                                            mez_digest_hex(p, &roots[2]), &roots[0], NOW, NULL, &pb), MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_clearance_revoke(p, db, "clr_none", "unit", "test", NOW, NULL, NULL, &pb), MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_clearance_approve(p, db, "clr_none", "unit", NOW, &bad, NULL, &pb), MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_zone_key_rotate(p, db, key(1), parse("{}"), &rot, NOW, NULL, &recorded, &pb),
                        MEZ_EINTERNAL);
        CU_ASSERT_EQUAL(mez_peer_key_accept(p, db, key(1), "did:key:z", parse("{}"), &rot, NOW, NULL, &repeated,
                                            &recorded, &pb), MEZ_EINTERNAL);
        CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    }
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor"), 1);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), audit + 1);
}

static void test_attest(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t roots[5];
    mez_db_t *db = corridor(roots);
    mez_key_t *zk = key(1), *wk = key(2), *stranger = key(3);
    mez_watcher_zone_t zone = { ZONE, zk, "/attestation", AUD };
    mez_watcher_attest_t out;
    mez_watcher_t w;
    apr_array_header_t *list, *events;
    const char *did = mez_did_key(p, wk), *r3 = mez_digest_hex(p, &roots[2]), *r4 = mez_digest_hex(p, &roots[3]);
    const char *note, *origin;
    counts_t before;
    json_t *vc, *ev;

    CU_ASSERT_EQUAL_FATAL(mez_watcher_corridor_origin(p, db, ZONE, CID, &origin, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(origin, ORIGIN);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_enrol(p, db, did, 1000001, "USD", NOW, AUD, &w, &pb), MEZ_OK);

    /* A true attestation is recorded once; its repeat writes nothing. */
    before = counts(db);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 3, r3, NULL), NOW, &out,
                                             &pb), MEZ_OK);
    CU_ASSERT_FALSE(out.repeated);
    CU_ASSERT_STRING_EQUAL(out.attestation.root, r3);
    CU_ASSERT_EQUAL(counts(db).attestations, before.attestations + 1);
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 3, r3, NULL), NOW, &out, &pb),
                    MEZ_OK);
    CU_ASSERT_TRUE(out.repeated);
    SAME_COUNTS(before, counts(db));

    /* With the sequencer's signed note: this zone signs its checkpoint of size 5. */
    CU_ASSERT_EQUAL_FATAL(mez_corridor_checkpoint(p, db, CID, ZONE, ORIGIN, zk, NOW, &note, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 5, mez_digest_hex(p, &roots[4]),
                                                                 note), NOW, &out, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(counts(db).attestations, before.attestations + 1);

    /* Refusals, each changing nothing. */
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 4, r4, note), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.note_mismatch");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/attestation/credentialSubject/checkpoint_note");
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 6, r4, NULL), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.behind");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, "ae-adgm/corridors/" CID, 4, r4, NULL),
                                       NOW, &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.origin_mismatch");
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(stranger, NULL, ORIGIN, 4, r4, NULL), NOW, &out,
                                       &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.not_registered");
    CU_ASSERT_EQUAL(pb.status, 403);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/attestation/issuer");
    /* a stranger's key under the watcher's name: mez_vc_verify refuses it before the watcher's own check */
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(stranger, did, ORIGIN, 4, r4, NULL), NOW, &out,
                                       &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.key.issuer_not_controller");
    /* tampered after signing: a false root pasted into a true attestation */
    vc = attestation(wk, NULL, ORIGIN, 4, r4, NULL);
    json_object_set_new(json_object_get(vc, "credentialSubject"), "root_hash", json_string(r3));
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, vc, NOW, &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "vc.signature.invalid");
    /* not a WatcherAttestation */
    vc = attestation(wk, NULL, ORIGIN, 4, r4, NULL);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 0, r4, NULL), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_attestation");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/attestation/credentialSubject/tree_size");
    /* The origin or root with a NUL and more, signed so: as C text they were the corridor's, and the attestation
     * was recorded as a true one. */
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN "\\u0000x", 4, r4, NULL), NOW,
                                       &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_attestation");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/attestation/credentialSubject/origin");
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 4, apr_pstrcat(p, r4, "\\u0000",
                                                                                              NULL), NULL),
                                       NOW, &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_attestation");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/attestation/credentialSubject/root_hash");
    SAME_COUNTS(before, counts(db));

    /* A false root: slashed 50 % (rounded down), evidence kept, the attestation not recorded. */
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 4, r3, NULL), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.false_attestation");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(out.slashed_minor, 500000);
    CU_ASSERT_EQUAL(out.watcher.stake_minor, 500001);
    CU_ASSERT_EQUAL(out.watcher.state, MEZ_WATCHER_SLASHED);
    CU_ASSERT_EQUAL(counts(db).attestations, before.attestations);
    CU_ASSERT_EQUAL(counts(db).events, before.events + 1);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_events(p, db, w.watcher_id, &events, &pb), MEZ_OK);
    {
        const mez_watcher_log_t *e = &APR_ARRAY_IDX(events, events->nelts - 1, mez_watcher_log_t);
        CU_ASSERT_STRING_EQUAL(e->event, "slash");
        CU_ASSERT_STRING_EQUAL(e->reason, "false_attestation");
        CU_ASSERT_EQUAL(e->amount_minor, 500000);
        CU_ASSERT_STRING_EQUAL(e->evidence_digest, sha(e->evidence));
        CU_ASSERT_STRING_EQUAL(e->evidence_digest, out.evidence_digest);
        ev = parse(e->evidence);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(ev, "chain_root"), r4);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(ev, "attested_root"), r3);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(ev, "credential"), "issuer"), did);
    }
    /* A slashed watcher attests nothing until it rebonds. */
    before = counts(db);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 4, r4, NULL), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.not_active");
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 10, "EUR", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.currency_mismatch");
    SAME_COUNTS(before, counts(db));
    CU_ASSERT_EQUAL(mez_watcher_rebond(p, db, w.watcher_id, 0, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_stake");
    SAME_COUNTS(before, counts(db));
    /* rebond: bonded again and active in one step */
    CU_ASSERT_EQUAL_FATAL(mez_watcher_rebond(p, db, w.watcher_id, 99999, "USD", NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.stake_minor, 600000);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_ACTIVE);
    CU_ASSERT_EQUAL(counts(db).events, before.events + 2);

    /* Another root for size 3, which it attested truly before: equivocation takes everything. */
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 3, r4, NULL), NOW, &out, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.equivocation");
    CU_ASSERT_EQUAL(out.slashed_minor, 600000);
    CU_ASSERT_EQUAL(out.watcher.stake_minor, 0);
    CU_ASSERT_EQUAL(out.watcher.slashed_minor, 1100000);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_events(p, db, w.watcher_id, &events, &pb), MEZ_OK);
    ev = parse(APR_ARRAY_IDX(events, events->nelts - 1, mez_watcher_log_t).evidence);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(ev, "kind"), "equivocation");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(ev, "credentials")), 2);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(json_array_get(json_object_get(ev, "credentials"), 0),
                                                         "credentialSubject"), "root_hash"), r3);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(json_array_get(json_object_get(ev, "credentials"), 1),
                                                         "credentialSubject"), "root_hash"), r4);
    /* Unlike the reference, a slashed watcher may leave. */
    CU_ASSERT_EQUAL_FATAL(mez_watcher_unbond(p, db, w.watcher_id, NOW, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_UNBONDING);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_complete_unbond(p, db, w.watcher_id, NOW, 0, AUD, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.state, MEZ_WATCHER_DEACTIVATED);

    CU_ASSERT_EQUAL_FATAL(mez_watcher_attestations(p, db, CID, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(list->nelts, 2);
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(list, 0, mez_watcher_attestation_t).tree_size, 3);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(list, 0, mez_watcher_attestation_t).did, did);
    CU_ASSERT_EQUAL(mez_watcher_attestations(p, db, "00000000-0000-4000-8000-000000000009", &list, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
}

/* The largest stake: the slash is exact (no 64-bit overflow of stake * bps). */
static void test_slash_arithmetic(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t roots[5];
    mez_db_t *db = corridor(roots);
    mez_key_t *wk = key(4);
    mez_watcher_zone_t zone = { ZONE, key(1), NULL, AUD };
    mez_watcher_attest_t out;
    mez_watcher_t w;
    CU_ASSERT_EQUAL_FATAL(mez_watcher_enrol(p, db, mez_did_key(p, wk), (uint64_t)INT64_MAX, "USD", NOW, AUD, &w, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL(mez_watcher_attest(p, db, &zone, attestation(wk, NULL, ORIGIN, 2, mez_digest_hex(p, &roots[0]),
                                                                 NULL), NOW, &out, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.false_attestation");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/credentialSubject/root_hash");
    CU_ASSERT_EQUAL(out.slashed_minor, (uint64_t)INT64_MAX / 2);
    CU_ASSERT_EQUAL_FATAL(mez_watcher_get(p, db, w.watcher_id, &w, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(w.stake_minor, (uint64_t)INT64_MAX - (uint64_t)INT64_MAX / 2);
    CU_ASSERT_EQUAL(w.slashed_minor, (uint64_t)INT64_MAX / 2);
    /* A rebond that would take stake + slashed past 2^63 - 1 is refused. */
    CU_ASSERT_EQUAL(mez_watcher_bond(p, db, w.watcher_id, 1, "USD", NOW, AUD, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "watcher.invalid_stake");
}

void unit_register_watcher(void)
{
    CU_pSuite s = unit_suite("watcher");
    CU_add_test(s, "register, bond, activate, unbond, events; refusals write nothing", test_lifecycle);
    CU_add_test(s, "every move needs its audit event; refused without one, nothing written", test_audit_required);
    CU_add_test(s, "attest: recorded, repeated, refused, false (50 %), equivocation (100 %)", test_attest);
    CU_add_test(s, "slash of the largest stake is exact", test_slash_arithmetic);
}
