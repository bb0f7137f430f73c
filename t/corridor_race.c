/* corridor_race.c: a test helper (t/test_corridor_race.py) that appends one deterministic receipt chain to a
 * corridor, so several processes running it at once are the same peer's pushes retried concurrently: each
 * sequence number must be written exactly once and every other attempt answered as a repeat.
 *   corridor-race <driver> <params> init           create the corridor and make it ACTIVE
 *   corridor-race <driver> <params> append <n>     append receipts 0..n-1; prints "new <a> repeated <b>"
 * Any refusal prints the problem and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/receipt.h"

#define CID "7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"

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

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    mez_db_t *db;
    mez_problem_t pb = { 0 };
    mez_digest_t g;
    json_t *empty;
    int rc;

    if (argc < 4 || (strcmp(argv[3], "init") && (strcmp(argv[3], "append") || argc < 5))) {
        fprintf(stderr, "usage: corridor-race <driver> <params> init | append <n>\n");
        return 2;
    }
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    if (mez_db_open(p, argv[1], argv[2], &db, &pb) != MEZ_OK)
        return fail("open", &pb);
    empty = parse(p, "[]", &pb);
    if (mez_receipt_genesis_root(p, CID, hex64(p, '1'), hex64(p, '2'), empty, empty, &g, &pb) != MEZ_OK)
        return fail("genesis", &pb);
    rc = !strcmp(argv[3], "init") ? init(p, db, &g) : append(p, db, &g, (unsigned)atoi(argv[4]));
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
