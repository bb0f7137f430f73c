/* corridor_race.c: a test helper (t/test_corridor_race.py) that appends one deterministic receipt chain to a
 * corridor, so several processes running it at once are the same peer's pushes retried concurrently: each
 * sequence number must be written exactly once and every other attempt answered as a repeat. And, on a corridor
 * established with real credentials, several processes sequencing at once as the sequencer (several nodes of one
 * zone): each receipt gets the next number and none is ever kept as a fork of the zone's own.
 *   corridor-race <driver> <params> init           create the corridor and make it ACTIVE
 *   corridor-race <driver> <params> append <n>     append receipts 0..n-1; prints "new <a> repeated <b>"
 *   corridor-race <driver> <params> establish      establish corridor SEQ_CID, this zone (pk-sifc) its sequencer
 *   corridor-race <driver> <params> sequence <n>   sequence n transitions on SEQ_CID; prints "sequenced <n>"
 * Any refusal prints the problem and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/corridor_exchange.h"
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/receipt.h"

#define CID "7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
#define SEQ_CID "7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8e"

static const char *hex64(apr_pool_t *p, char c)
{
    char *s = apr_palloc(p, 65);
    memset(s, c, 64);
    s[64] = '\0';
    return s;
}

static int fail(const char *what, const mez_problem_t *pb)
{
    fprintf(stderr, "corridor-race: %s: %d %s %s\n", what, pb->status, pb->code ? pb->code : "-",
            pb->detail ? pb->detail : "");
    return 1;
}

static json_t *parse(apr_pool_t *p, const char *text, mez_problem_t *pb)
{
    json_t *v = NULL;
    return mez_json_parse(p, text, strlen(text), &v, pb) == MEZ_OK ? v : NULL;
}

static int init(apr_pool_t *p, mez_db_t *db, const mez_digest_t *g)
{
    mez_problem_t pb = { 0 };
    mez_digest_t a, b;
    const char *to;
    /* The zone's audit row of the creation and of each move, as an operator's route writes them. */
    const mez_audit_event_t audit = { .zone_id = "pk-sifc", .actor = "corridor-race", .action = "corridor.race",
                                      .resource_type = "corridor", .resource_id = CID, .outcome = "committed" };
    mez_digest_sha256("approval a", 10, &a);
    mez_digest_sha256("approval b", 10, &b);
    if (mez_corridor_create(p, db, CID, "ae-adgm", "did:key:z6MkRace", hex64(p, '1'), hex64(p, '2'), g, apr_time_now(),
                            &audit, &pb) != MEZ_OK)
        return fail("create", &pb);
    if (mez_corridor_transition(p, db, CID, "submit",
                                parse(p, apr_psprintf(p, "{\"bilateral_agreement_digest\":\"%s\","
                                                      "\"pack_trilogy_digest\":\"%s\"}", mez_digest_format(p, &a),
                                                      mez_digest_format(p, &b)), &pb), apr_time_now(), &audit, &to,
                                &pb) != MEZ_OK)
        return fail("submit", &pb);
    if (mez_corridor_transition(p, db, CID, "activate",
                                parse(p, apr_psprintf(p, "{\"regulatory_approval_a\":\"%s\","
                                                      "\"regulatory_approval_b\":\"%s\"}", mez_digest_format(p, &a),
                                                      mez_digest_format(p, &b)), &pb), apr_time_now(), &audit, &to,
                                &pb) != MEZ_OK)
        return fail("activate", &pb);
    return 0;
}

static int append(apr_pool_t *p, mez_db_t *db, const mez_digest_t *g, unsigned n)
{
    mez_digest_t head = *g;
    unsigned fresh = 0, repeated = 0;
    for (unsigned i = 0; i < n; i++) {
        apr_pool_t *it;
        mez_problem_t pb = { 0 };
        mez_corridor_append_t a;
        json_t *r;
        apr_pool_create(&it, p);
        r = parse(it, apr_psprintf(it, "{\"type\":\"MEZCorridorStateReceipt\",\"corridor_id\":\"" CID "\","
                                   "\"sequence\":%u,\"timestamp\":\"2026-07-01T10:00:00Z\",\"prev_root\":\"%s\","
                                   "\"lawpack_digest_set\":[],\"ruleset_digest_set\":[],"
                                   "\"transition\":{\"kind\":\"transfer\",\"payload\":{\"amount_minor\":%u}}}",
                                   i, mez_digest_hex(it, &head), 100 + i), &pb);
        if (!r || mez_receipt_seal(it, r, &head, &pb) != MEZ_OK)
            return fail("receipt", &pb);
        if (mez_corridor_append(it, db, CID, r, apr_time_now(), &a, &pb) != MEZ_OK)
            return fail(apr_psprintf(p, "append %u", i), &pb);
        if (a.seq != i || !mez_digest_equal(&a.next_root, &head))
            return fprintf(stderr, "corridor-race: append %u answered seq %u\n", i, (unsigned)a.seq), 1;
        a.repeated ? repeated++ : fresh++;
        apr_pool_destroy(it);
    }
    printf("new %u repeated %u\n", fresh, repeated);
    return 0;
}

/* The zones' keys, the same in every process. */
static mez_key_t *zone_key(apr_pool_t *p, unsigned char b)
{
    unsigned char seed[MEZ_ED25519_SEED_LEN];
    mez_problem_t pb = { 0 };
    mez_key_t *k = NULL;
    memset(seed, b, sizeof(seed));
    return mez_key_from_seed(p, seed, &k, &pb) == MEZ_OK ? k : NULL;
}

static const mez_audit_event_t race_audit = { .zone_id = "pk-sifc", .actor = "corridor-race",
                                              .action = "corridor.race", .resource_type = "corridor",
                                              .resource_id = SEQ_CID, .outcome = "committed" };

/* SEQ_CID between pk-sifc (key 0x0a, the proposer and sequencer, this store) and ae-adgm (key 0x0b), established
 * on both zones' agreements as the handshake leaves it. */
static int establish(apr_pool_t *p, mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    mez_key_t *ka = zone_key(p, 0x0a), *kb = zone_key(p, 0x0b);
    mez_corridor_terms_t terms;
    mez_corridor_doc_t def, docs[2];
    json_t *vc, *pa, *ra, *submit, *activate;
    const char *pa_d, *ra_d, *set;
    mez_digest_t g;
    apr_time_t now = apr_time_now();
    if (!ka || !kb)
        return fail("keys", &pb);
    if (mez_corridor_definition_issue(p, ka, "pk-sifc", SEQ_CID, "ae-adgm", mez_did_key(p, kb), NULL, NULL, now, &vc,
                                      &terms, &pb) != MEZ_OK)
        return fail("definition", &pb);
    def.kind = "definition";
    def.issuer = mez_did_key(p, ka);
    def.payload_digest = terms.definition_digest;
    if (mez_json_canonicalize(p, vc, &def.text, NULL, &pb) != MEZ_OK
        || mez_corridor_create_proposed(p, db, SEQ_CID, "ae-adgm", mez_did_key(p, kb), MEZ_CORRIDOR_PROPOSER, &def,
                                        now, &race_audit, NULL, &pb) != MEZ_OK)
        return fail("propose", &pb);
    if (mez_corridor_agreement_issue(p, ka, "pk-sifc", &terms, now, &pa, &pb) != MEZ_OK
        || mez_corridor_agreement_issue(p, kb, "ae-adgm", &terms, now, &ra, &pb) != MEZ_OK
        || mez_corridor_payload_digest(p, pa, &pa_d, &pb) != MEZ_OK
        || mez_corridor_payload_digest(p, ra, &ra_d, &pb) != MEZ_OK
        || mez_corridor_genesis(p, &terms, pa_d, ra_d, &set, &g, &pb) != MEZ_OK
        || mez_corridor_establish_evidence(p, &terms, set, pa_d, ra_d, &submit, &activate, &pb) != MEZ_OK)
        return fail("agreements", &pb);
    docs[0].kind = docs[1].kind = "agreement";
    docs[0].issuer = mez_did_key(p, ka);
    docs[0].payload_digest = pa_d;
    docs[1].issuer = mez_did_key(p, kb);
    docs[1].payload_digest = ra_d;
    if (mez_json_canonicalize(p, pa, &docs[0].text, NULL, &pb) != MEZ_OK
        || mez_json_canonicalize(p, ra, &docs[1].text, NULL, &pb) != MEZ_OK
        || mez_corridor_establish(p, db, SEQ_CID, docs, 2, set, &g, submit, activate, now, &race_audit, NULL, &pb)
           != MEZ_OK)
        return fail("establish", &pb);
    return 0;
}

static void count(void *baton, const char *corridor_id, const char *outcome, uint64_t n)
{
    (void)baton, (void)corridor_id, (void)outcome, (void)n;
}

/* n transitions sequenced on SEQ_CID as pk-sifc's server does (mez_corridor_sequence), no request reference. */
static int sequence(apr_pool_t *p, mez_db_t *db, unsigned n)
{
    mez_orch_zone_t zone = { 0 };
    mez_corridor_env_t env = { 0 };
    zone.zone_id = "pk-sifc";
    zone.key = zone_key(p, 0x0a);
    zone.did = mez_did_key(p, zone.key);
    env.db = db;
    env.zone = &zone;
    env.count = count;
    for (unsigned i = 0; i < n; i++) {
        mez_problem_t pb = { 0 };
        mez_corridor_append_t a;
        json_t *r;
        apr_pool_t *it;
        apr_pool_create(&it, p);
        env.p = it;
        if (mez_corridor_sequence(&env, SEQ_CID, mez_json_pool_own(it, json_pack("{s:s, s:{s:i}}", "kind", "notice",
                                                                                "payload", "n", (int)i)),
                                  NULL, &r, &a, &pb) != MEZ_OK)
            return fail(apr_psprintf(p, "sequence %u", i), &pb);
        apr_pool_destroy(it);
    }
    printf("sequenced %u\n", n);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    mez_db_t *db;
    mez_problem_t pb = { 0 };
    mez_digest_t g;
    json_t *empty;
    int rc;

    if (argc < 4 || (strcmp(argv[3], "init") && strcmp(argv[3], "establish")
                     && ((strcmp(argv[3], "append") && strcmp(argv[3], "sequence")) || argc < 5))) {
        fprintf(stderr, "usage: corridor-race <driver> <params> init | append <n> | establish | sequence <n>\n");
        return 2;
    }
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    if (mez_db_open(p, argv[1], argv[2], &db, &pb) != MEZ_OK)
        return fail("open", &pb);
    empty = parse(p, "[]", &pb);
    if (mez_receipt_genesis_root(p, CID, hex64(p, '1'), hex64(p, '2'), empty, empty, &g, &pb) != MEZ_OK)
        return fail("genesis", &pb);
    rc = !strcmp(argv[3], "init") ? init(p, db, &g)
         : !strcmp(argv[3], "establish") ? establish(p, db)
         : !strcmp(argv[3], "sequence") ? sequence(p, db, (unsigned)atoi(argv[4]))
         : append(p, db, &g, (unsigned)atoi(argv[4]));
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
