/* test_corridor_store.c: CUnit suite for the corridor store (mez/corridor.h) on a migrated SQLite database:
 * chains of 1..300 receipts whose roots and proofs, read from stored nodes only, equal mmr.h's from the full
 * leaf list and pass its verifiers; idempotent repeats; fork refusal with its evidence kept and nothing else
 * changed; lifecycle moves and refusals; checkpoints only when consistent; the nonce replay cache. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/checkpoint.h"
#include "mez/corridor.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/mmr.h"
#include "mez/receipt.h"
#include "mass_unit.h"
#include "unit.h"

/* The audit event a corridor's creation requires (mez_corridor_create). */
#define CREATE unit_audit("corridor.create")

/* The audit event a corridor move requires (mez_corridor_transition). */
#define MOVE unit_audit("corridor.transition")

#define CID "6f1c2a4e-9b3d-4c5e-8f70-112233445566"
#define OTHER "00000000-0000-4000-8000-000000000001"
#define NOW apr_time_from_sec(1782900000)   /* 2026-07-01 */

static const char *hex64(char c)
{
    char *s = apr_palloc(unit_pool(), 65);
    memset(s, c, 64);
    s[64] = '\0';
    return s;
}

static const char *sha(const char *s)
{
    mez_digest_t d;
    mez_digest_sha256(s, strlen(s), &d);
    return mez_digest_format(unit_pool(), &d);
}

static json_t *parse(const char *text)
{
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), text, strlen(text), &v, &pb), MEZ_OK);
    return v;
}

/* A sealed receipt; amount varies the content (a fork differs only there). */
static json_t *receipt(uint64_t seq, const mez_digest_t *prev, unsigned amount, mez_digest_t *next_root)
{
    mez_problem_t pb = { 0 };
    json_t *r = parse(apr_psprintf(unit_pool(),
                                   "{\"type\":\"MEZCorridorStateReceipt\",\"corridor_id\":\"" CID "\","
                                   "\"sequence\":%" APR_UINT64_T_FMT ",\"timestamp\":\"2026-07-01T10:%02u:%02uZ\","
                                   "\"prev_root\":\"%s\",\"lawpack_digest_set\":[\"%s\"],\"ruleset_digest_set\":[],"
                                   "\"transition\":{\"kind\":\"transfer\",\"payload\":{\"amount_minor\":%u,"
                                   "\"currency\":\"PKR\"}}}",
                                   seq, (unsigned)(seq / 60 % 60), (unsigned)(seq % 60),
                                   mez_digest_hex(unit_pool(), prev), hex64('a'), amount));
    CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(unit_pool(), r, next_root, &pb), MEZ_OK);
    return r;
}

static void genesis(mez_digest_t *g)
{
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL_FATAL(mez_receipt_genesis_root(unit_pool(), CID, hex64('1'), hex64('2'), parse("[]"),
                                                   parse("[]"), g, &pb), MEZ_OK);
}

static void create(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    mez_digest_t g;
    genesis(&g);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_create(unit_pool(), db, CID, "ae-adgm", "did:key:z6MkPeer", hex64('1'),
                                              hex64('2'), &g, NOW, CREATE, &pb), MEZ_OK);
}

static void move(mez_db_t *db, const char *event, const char *evidence, const char *want)
{
    mez_problem_t pb = { 0 };
    const char *to = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_transition(unit_pool(), db, CID, event, parse(evidence), NOW, MOVE, &to, &pb),
                          MEZ_OK);
    CU_ASSERT_STRING_EQUAL(to, want);
}

static const char *submit_evidence(void)
{
    return apr_psprintf(unit_pool(), "{\"bilateral_agreement_digest\":\"%s\",\"pack_trilogy_digest\":\"%s\"}",
                        sha("agreement"), sha("packs"));
}

static const char *activate_evidence(void)
{
    return apr_psprintf(unit_pool(), "{\"regulatory_approval_a\":\"%s\",\"regulatory_approval_b\":\"%s\"}",
                        sha("approval pk"), sha("approval ae"));
}

static mez_db_t *active_corridor(void)
{
    mez_db_t *db = mass_unit_db();
    create(db);
    move(db, "submit", submit_evidence(), "PENDING");
    move(db, "activate", activate_evidence(), "ACTIVE");
    return db;
}

/* Appends n receipts continuing the chain whose head is *head; leaves[] gets their next_roots. */
static void append_n(mez_db_t *db, uint64_t from, uint64_t n, mez_digest_t *head, mez_digest_t *leaves)
{
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    for (uint64_t i = from; i < from + n; i++) {
        json_t *r = receipt(i, head, 1000 + (unsigned)i, &leaves[i]);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_append(unit_pool(), db, CID, r, NOW, &a, &pb), MEZ_OK);
        CU_ASSERT_EQUAL(a.seq, i);
        CU_ASSERT_EQUAL(a.size, i + 1);
        CU_ASSERT_FALSE(a.repeated);
        *head = leaves[i];
    }
}

/* The stored tree's inclusion proof equals mmr.h's from the leaves and verifies. */
static void check_inclusion(mez_db_t *db, const mez_digest_t *leaves, uint64_t idx, uint64_t n)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t *got, *want, leaf, root;
    size_t glen, wlen;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_inclusion_proof(p, db, CID, idx, n, &leaf, &got, &glen, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_mmr_inclusion_proof(p, leaves, n, idx, &want, &wlen, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&leaf, &leaves[idx]));
    CU_ASSERT_EQUAL_FATAL(glen, wlen);
    CU_ASSERT_EQUAL(memcmp(got, want, glen * sizeof(*got)), 0);
    mez_mmr_tree_root(leaves, n, &root);
    CU_ASSERT_TRUE(mez_mmr_verify_inclusion(idx, n, &leaf, got, glen, &root));
}

static void check_consistency(mez_db_t *db, const mez_digest_t *leaves, uint64_t m, uint64_t n)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_digest_t *got, *want, r1, r2, stored;
    size_t glen, wlen;
    CU_ASSERT_EQUAL_FATAL(mez_corridor_consistency_proof(p, db, CID, m, n, &got, &glen, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_mmr_consistency_proof(p, leaves, n, m, &want, &wlen, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(glen, wlen);
    CU_ASSERT_EQUAL(memcmp(got, want, glen * sizeof(*got)), 0);
    mez_mmr_tree_root(leaves, m, &r1);
    mez_mmr_tree_root(leaves, n, &r2);
    CU_ASSERT_TRUE(mez_mmr_verify_consistency(m, n, &r1, &r2, got, glen));
    CU_ASSERT_EQUAL(mez_corridor_root_at(p, db, CID, m, &stored, &pb), MEZ_OK);
    CU_ASSERT_TRUE(mez_digest_equal(&stored, &r1));
}

#define CHAIN 300

static void test_chain_and_proofs(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = active_corridor();
    mez_digest_t head, root, *leaves = apr_palloc(p, CHAIN * sizeof(*leaves)), *path;
    mez_problem_t pb = { 0 };
    mez_corridor_t c;
    size_t len;
    uint64_t n;

    genesis(&head);
    for (n = 1; n <= CHAIN; n++) {
        append_n(db, n - 1, 1, &head, leaves);
        CU_ASSERT_EQUAL_FATAL(mez_corridor_get(p, db, CID, &c, &pb), MEZ_OK);
        mez_mmr_tree_root(leaves, n, &root);
        CU_ASSERT_EQUAL(c.size, n);
        CU_ASSERT_TRUE(mez_digest_equal(&c.root, &root));
        CU_ASSERT_TRUE(mez_digest_equal(&c.head, &leaves[n - 1]));
        check_inclusion(db, leaves, 0, n);
        check_inclusion(db, leaves, n - 1, n);
        check_inclusion(db, leaves, n / 2, n);
        check_inclusion(db, leaves, (n * 7 + 3) % n, n);
        check_consistency(db, leaves, 1, n);
        check_consistency(db, leaves, n, n);
        if (n > 2)
            check_consistency(db, leaves, n / 2 + 1, n);
    }
    /* Every earlier tree is still answered from the nodes, at many sizes and positions. */
    for (n = 1; n <= CHAIN; n += 1 + n / 40)
        for (uint64_t i = 0; i < n; i += 1 + n / 9) {
            check_inclusion(db, leaves, i, n);
            check_consistency(db, leaves, i + 1, n);
        }
    /* A size with every bit set and the powers of two around it. */
    for (uint64_t m = 1; m <= 255; m++)
        check_consistency(db, leaves, m, 255);
    for (uint64_t i = 0; i < 256; i++)
        check_inclusion(db, leaves, i, 256);
    /* Nodes stored: 2n - popcount(n) complete subtrees for n leaves (300 = 0b100101100 has 4 bits set). */
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_node"), 2 * CHAIN - 4);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), CHAIN);
    /* Out of range: 422 with the parameter's pointer. */
    CU_ASSERT_EQUAL(mez_corridor_inclusion_proof(p, db, CID, 5, CHAIN + 1, &root, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.invalid_size");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/size");
    CU_ASSERT_EQUAL(mez_corridor_inclusion_proof(p, db, CID, 10, 10, &root, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/seq");
    CU_ASSERT_EQUAL(mez_corridor_consistency_proof(p, db, CID, 0, 10, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/from");
    CU_ASSERT_EQUAL(mez_corridor_consistency_proof(p, db, CID, 11, 10, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/from");
    CU_ASSERT_EQUAL(mez_corridor_consistency_proof(p, db, CID, 1, CHAIN + 1, &path, &len, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/to");
    /* Proofs come from the stored nodes: a node removed behind the store's back is a 500, never a guess. */
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(p, db, NULL, "DELETE FROM mez_corridor_node WHERE corridor_id = %s AND "
                                       "node_level = 1 AND node_index = 148", &pb, CID, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_inclusion_proof(p, db, CID, 299, CHAIN, &root, &path, &len, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.tree_damaged");
    CU_ASSERT_EQUAL(pb.status, 500);
    CU_ASSERT_EQUAL(mez_corridor_inclusion_proof(p, db, CID, 0, 256, &root, &path, &len, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_root_at(p, db, "no-such", 1, &root, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.not_found");
}

/* Row counts and the corridor row, to prove a refusal changed nothing. */
typedef struct snapshot_t {
    long receipts, nodes, forks, transitions, checkpoints;
    const char *row;
} snapshot_t;

static void snap(mez_db_t *db, snapshot_t *s)
{
    mez_problem_t pb = { 0 };
    s->receipts = mass_unit_count(db, "mez_corridor_receipt");
    s->nodes = mass_unit_count(db, "mez_corridor_node");
    s->forks = mass_unit_count(db, "mez_corridor_fork");
    s->transitions = mass_unit_count(db, "mez_corridor_transition");
    s->checkpoints = mass_unit_count(db, "mez_corridor_checkpoint");
    CU_ASSERT_EQUAL(mez_db_query_value(unit_pool(), db, &s->row,
                                       "SELECT state || ' ' || head || ' ' || tree_size || ' ' || tree_root || ' ' "
                                       "|| updated_at FROM mez_corridor WHERE corridor_id = %s", &pb, CID, NULL),
                    MEZ_OK);
}

static void same(const snapshot_t *a, const snapshot_t *b)
{
    CU_ASSERT_EQUAL(a->receipts, b->receipts);
    CU_ASSERT_EQUAL(a->nodes, b->nodes);
    CU_ASSERT_EQUAL(a->forks, b->forks);
    CU_ASSERT_EQUAL(a->transitions, b->transitions);
    CU_ASSERT_EQUAL(a->checkpoints, b->checkpoints);
    CU_ASSERT_STRING_EQUAL(a->row, b->row);
}

static void expect_append_refused(mez_db_t *db, json_t *r, int status, const char *code, const char *pointer)
{
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    snapshot_t before, after;
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_append(unit_pool(), db, CID, r, NOW + apr_time_from_sec(60), &a, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_EQUAL(pb.status, status);
    if (pointer)
        CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    snap(db, &after);
    same(&before, &after);
}

static void test_repeat_and_fork(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = active_corridor();
    mez_digest_t head, leaves[8], nr, g;
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    snapshot_t before, after;
    const char *stored = NULL, *text;
    int found;
    json_t *r;

    genesis(&g);
    head = g;
    append_n(db, 0, 5, &head, leaves);

    /* The same receipt again: answered, nothing written. */
    snap(db, &before);
    r = receipt(2, &leaves[1], 1002, &nr);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_append(p, db, CID, r, NOW + apr_time_from_sec(60), &a, &pb), MEZ_OK);
    CU_ASSERT_TRUE(a.repeated);
    CU_ASSERT_EQUAL(a.seq, 2);
    CU_ASSERT_EQUAL(a.size, 5);
    CU_ASSERT_TRUE(mez_digest_equal(&a.next_root, &leaves[2]));
    CU_ASSERT_PTR_NULL(a.evidence_digest);
    snap(db, &after);
    same(&before, &after);
    CU_ASSERT_EQUAL(mez_corridor_receipt(p, db, CID, 2, &text, &found, &pb), MEZ_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    {
        const char *jcs;
        CU_ASSERT_EQUAL(mez_json_canonicalize(p, r, &jcs, NULL, &pb), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(text, jcs);
    }

    /* A different receipt for seq 2 that chains correctly: a fork, refused; only the evidence is written. */
    r = receipt(2, &leaves[1], 999999, &nr);
    memset(&a, 0, sizeof(a));
    CU_ASSERT_EQUAL(mez_corridor_append(p, db, CID, r, NOW + apr_time_from_sec(60), &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.fork");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/sequence");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a.evidence_digest);
    CU_ASSERT_EQUAL(strncmp(a.evidence_digest, "sha256:", 7), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a.stored_digest, a.conflicting_digest);
    snap(db, &after);
    CU_ASSERT_EQUAL(after.forks, before.forks + 1);
    after.forks = before.forks;
    same(&before, &after);
    CU_ASSERT_EQUAL(mez_db_query_value(p, db, &stored, "SELECT conflicting_receipt FROM mez_corridor_fork "
                                       "WHERE corridor_id = %s AND seq = 2", &pb, CID, NULL), MEZ_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(stored);
    CU_ASSERT_PTR_NOT_NULL(strstr(stored, "999999"));
    /* Offered again: the same single evidence row, the same 409. */
    expect_append_refused(db, r, 409, "corridor.fork", "/sequence");

    /* At the head: skipping ahead, a wrong prev_root, a tampered receipt, another corridor. */
    expect_append_refused(db, receipt(6, &head, 7, &nr), 409, "receipt.sequence_mismatch", "/sequence");
    expect_append_refused(db, receipt(5, &leaves[3], 7, &nr), 409, "receipt.prev_root_mismatch", "/prev_root");
    r = receipt(5, &head, 7, &nr);
    json_object_set_new(json_object_get(json_object_get(r, "transition"), "payload"), "amount_minor", json_integer(8));
    expect_append_refused(db, r, 422, "receipt.next_root_mismatch", "/next_root");
    CU_ASSERT_EQUAL(mez_corridor_append(p, db, "00000000-0000-4000-8000-000000000000", receipt(5, &head, 7, &nr), NOW,
                                        &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "receipt.corridor_mismatch");
    expect_append_refused(db, parse("{\"type\":\"x\"}"), 422, "receipt.invalid_field", "/type");

    /* The caller halts with the evidence digest; then new receipts are refused but forks still recognised. */
    move(db, "halt", apr_psprintf(p, "{\"reason\":\"fork at 2\",\"authority\":\"pk-sifc\",\"evidence_digest\":\"%s\"}",
                                  a.evidence_digest ? a.evidence_digest : sha("x")), "HALTED");
    expect_append_refused(db, receipt(5, &head, 7, &nr), 409, "corridor.not_active", NULL);
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_append(p, db, CID, receipt(1, &leaves[0], 5, &nr), NOW, &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.fork");
    snap(db, &after);
    CU_ASSERT_EQUAL(after.forks, 2);
    after.forks = before.forks;
    same(&before, &after);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_corridor_transition WHERE event = 'halt' AND "
                                    "to_state = 'HALTED'"), 1);
}

static void test_lifecycle(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = mass_unit_db();
    mez_problem_t pb = { 0 };
    mez_digest_t g, nr;
    mez_corridor_t c;
    snapshot_t before, after;
    const char *to = NULL;

    genesis(&g);
    create(db);
    CU_ASSERT_EQUAL(mez_corridor_get(p, db, CID, &c, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(c.state, MEZ_CORRIDOR_DRAFT);
    CU_ASSERT_EQUAL(c.size, 0);
    CU_ASSERT_TRUE(mez_digest_equal(&c.head, &g));
    CU_ASSERT_STRING_EQUAL(c.peer_zone_id, "ae-adgm");
    /* Create twice, or with a malformed digest: refused, one row. */
    CU_ASSERT_EQUAL(mez_corridor_create(p, db, CID, "ae-adgm", "did:key:z6MkPeer", hex64('1'), hex64('2'), &g, NOW,
                                        CREATE, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.exists");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_corridor_create(p, db, OTHER, "ae-adgm", "did:key:z6MkPeer", "sha256:00", hex64('2'), &g,
                                        NOW, CREATE, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/definition_digest");
    CU_ASSERT_EQUAL(mez_corridor_create(p, db, OTHER, "", "did:key:z6MkPeer", hex64('1'), hex64('2'), &g, NOW, CREATE,
                                        &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/peer_zone_id");
    CU_ASSERT_EQUAL(mez_corridor_create(p, db, "6F1C2A4E-9B3D-4C5E-8F70-112233445566", "ae-adgm", "did:key:z6MkPeer",
                                        hex64('1'), hex64('2'), &g, NOW, CREATE, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.invalid_field");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/corridor_id");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor"), 1);

    /* Illegal move, bad evidence, unknown event, unknown corridor: refused, nothing changed. */
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, CID, "activate", parse(activate_evidence()), NOW, MOVE, &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.illegal_transition");
    CU_ASSERT_EQUAL(pb.status, 409);
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, CID, "submit",
                                            parse(apr_psprintf(p, "{\"bilateral_agreement_digest\":\"%s\"}",
                                                               sha("a"))), NOW, MOVE, &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.evidence_missing");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/evidence/pack_trilogy_digest");
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, CID, "launch", parse("{}"), NOW, MOVE, &to, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "lifecycle.unknown_event");
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, "nope", "submit", parse(submit_evidence()), NOW, MOVE, &to, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 404);
    snap(db, &after);
    same(&before, &after);

    /* Receipts need an ACTIVE corridor. */
    move(db, "submit", submit_evidence(), "PENDING");
    expect_append_refused(db, receipt(0, &g, 1, &nr), 409, "corridor.not_active", NULL);
    move(db, "activate", activate_evidence(), "ACTIVE");
    move(db, "suspend", "{\"reason\":\"maintenance\"}", "SUSPENDED");
    expect_append_refused(db, receipt(0, &g, 1, &nr), 409, "corridor.not_active", NULL);
    move(db, "resume", apr_psprintf(p, "{\"resolution_attestation_digest\":\"%s\"}", sha("resolved")), "ACTIVE");
    move(db, "halt", apr_psprintf(p, "{\"reason\":\"r\",\"authority\":\"pk-sifc\",\"evidence_digest\":\"%s\"}",
                                  sha("e")), "HALTED");
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_transition(p, db, CID, "resume",
                                            parse(apr_psprintf(p, "{\"resolution_attestation_digest\":\"%s\"}",
                                                               sha("r"))), NOW, MOVE, &to, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(pb.status, 409);
    snap(db, &after);
    same(&before, &after);
    move(db, "deprecate", apr_psprintf(p, "{\"deprecation_decision_digest\":\"%s\",\"reason\":\"fork\"}", sha("d")),
         "DEPRECATED");
    /* The log: six moves in order, each with its evidence and the lifecycle's digest (none for suspend). */
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_transition"), 6);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_corridor_transition WHERE evidence_digest IS NULL"),
                    1);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT step FROM mez_corridor_transition WHERE event = 'deprecate' AND "
                                    "from_state = 'HALTED' AND to_state = 'DEPRECATED'"), 6);
    CU_ASSERT_EQUAL(mass_unit_count(db, apr_psprintf(p, "SELECT COUNT(*) FROM mez_corridor_transition WHERE "
                                                     "event = 'submit' AND evidence_digest = '%s'", sha("agreement"))),
                    1);
}

static mez_key_t *key_of(unsigned char fill)
{
    unsigned char seed[MEZ_ED25519_SEED_LEN];
    mez_problem_t pb = { 0 };
    mez_key_t *k;
    memset(seed, fill, sizeof(seed));
    CU_ASSERT_EQUAL_FATAL(mez_key_from_seed(unit_pool(), seed, &k, &pb), MEZ_OK);
    return k;
}

static void test_checkpoints(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = active_corridor();
    mez_key_t *key = key_of(3);
    mez_digest_t head, leaves[16], root;
    mez_problem_t pb = { 0 };
    mez_checkpoint_t cp, bogus;
    snapshot_t before, after;
    const char *name = "pk-sifc/corridors/" CID, *note, *again, *forged;

    genesis(&head);
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key, NOW, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.invalid_size");
    snap(db, &after);
    same(&before, &after);

    append_n(db, 0, 3, &head, leaves);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key, NOW, &note, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_open(p, note, strlen(note), name, key, &cp, &pb), MEZ_OK);
    mez_mmr_tree_root(leaves, 3, &root);
    CU_ASSERT_EQUAL(cp.size, 3);
    CU_ASSERT_TRUE(mez_digest_equal(&cp.root, &root));
    CU_ASSERT_STRING_EQUAL(cp.origin, name);
    /* Nothing new: the same note again, one row. */
    CU_ASSERT_EQUAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key, NOW, &again, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(again, note);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_checkpoint"), 1);

    append_n(db, 3, 5, &head, leaves);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key, NOW, &note, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_open(p, note, strlen(note), name, key, &cp, &pb), MEZ_OK);
    mez_mmr_tree_root(leaves, 8, &root);
    CU_ASSERT_EQUAL(cp.size, 8);
    CU_ASSERT_TRUE(mez_digest_equal(&cp.root, &root));
    CU_ASSERT_EQUAL(mez_corridor_last_checkpoint(p, db, CID, &again, &pb), MEZ_OK);
    CU_ASSERT_STRING_EQUAL(again, note);

    /* The key signed a different tree of size 9 once (as a diverged node would have): the store's tree does not
     * extend it, so it signs nothing more. */
    append_n(db, 8, 1, &head, leaves);
    bogus.origin = name;
    bogus.size = 9;
    mez_digest_sha256("another history", 15, &bogus.root);
    CU_ASSERT_EQUAL_FATAL(mez_checkpoint_sign(p, &bogus, name, key, &forged, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_execv(p, db, NULL, "INSERT INTO mez_corridor_checkpoint (corridor_id, tree_size, root, "
                                       "note, created_at) VALUES (%s, '9', %s, %s, '2026-07-01T00:00:00Z')", &pb, CID,
                                       mez_digest_hex(p, &bogus.root), forged, NULL), MEZ_OK);
    append_n(db, 9, 3, &head, leaves);
    snap(db, &before);
    CU_ASSERT_EQUAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key, NOW, &note, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "checkpoint.inconsistent");
    CU_ASSERT_EQUAL(pb.status, 409);
    snap(db, &after);
    same(&before, &after);
    /* A note by another key is not this signer's last checkpoint: refused, not trusted. */
    CU_ASSERT_EQUAL(mez_corridor_checkpoint(p, db, CID, "pk-sifc", name, key_of(4), NOW, &note, &pb), MEZ_EINVAL);
    snap(db, &after);
    same(&before, &after);
}

static void test_nonces(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = mass_unit_db();
    mez_problem_t pb = { 0 };
    apr_interval_time_t window = apr_time_from_sec(300);
    int deleted = -1;

    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "pk-sifc-key", "n-1", NOW, window, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "pk-sifc-key", "n-1", NOW + apr_time_from_sec(10), window, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "httpsig.replay");
    CU_ASSERT_EQUAL(pb.status, 401);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_nonce"), 1);
    /* The nonce is per key. */
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "ae-adgm-key", "n-1", NOW, window, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "pk-sifc-key", "n-2", NOW + apr_time_from_sec(200), window, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_nonce"), 3);
    /* Bad arguments: 422, nothing recorded. */
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "", "n-3", NOW, window, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/keyid");
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "k", "a b", NOW, window, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/nonce");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_nonce"), 3);
    /* Past the window the first two are pruned (the caller's `created` check refuses such old signatures). */
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "pk-sifc-key", "n-3", NOW + apr_time_from_sec(301), window, &pb),
                    MEZ_OK);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_nonce"), 2);
    CU_ASSERT_EQUAL(mez_peer_nonce_check(p, db, "pk-sifc-key", "n-2", NOW + apr_time_from_sec(302), window, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_peer_nonce_prune(p, db, NOW + apr_time_from_sec(1000), &deleted, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(deleted, 2);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_nonce"), 0);
}

/* A signature's bytes, for mez_peer_refusal_keep. */
#define SIG(s) (const unsigned char *)(s), sizeof(s) - 1

/* A signature refused again is counted, not audited again; another signature or action is a record of its own. */
static void test_refusals(void)
{
    apr_pool_t *p = unit_pool();
    mez_db_t *db = mass_unit_db();
    mez_problem_t pb = { 0 };
    mez_audit_event_t ev = *unit_audit("peer.replay_refused"), wrong = *unit_audit("peer.wrong_authority_refused");
    apr_array_header_t *list;
    apr_int64_t times = -1;
    const mez_peer_refusal_t *r;

    ev.resource_type = wrong.resource_type = "peer";
    ev.resource_id = wrong.resource_id = "pk-sifc";
    ev.at = NOW;
    ev.request_id = "req-1";
    CU_ASSERT_EQUAL_FATAL(mez_peer_refusal_keep(p, db, &ev, "did:key:zA#zA", SIG("AAAA"), &times, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(times, 1);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), 1);
    ev.at = NOW + apr_time_from_sec(5);
    ev.request_id = "req-2";
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &ev, "did:key:zA#zA", SIG("AAAA"), &times, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(times, 4);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), 1);       /* the resends are counted only */
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_refusal"), 1);
    /* Another signature of the same key, and the same signature refused for another reason: each audited once. */
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &ev, "did:key:zA#zA", SIG("BBBB"), &times, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(times, 1);
    wrong.at = NOW + apr_time_from_sec(9);
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &wrong, "did:key:zA#zA", SIG("AAAA"), NULL, &pb), MEZ_OK);
    wrong.resource_id = "ae-adgm";
    wrong.at = NOW + apr_time_from_sec(2);
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &wrong, "did:key:zB#zB", SIG("CCCC"), NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), 4);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_refusal"), 4);
    /* Without its audit event, or without what it keys on: a caller's bug, nothing written. */
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, NULL, "did:key:zA#zA", SIG("DDDD"), &times, &pb), MEZ_EINTERNAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "audit.invalid_event");
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &ev, "did:key:zA#zA", SIG(""), &times, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mez_peer_refusal_keep(p, db, &ev, NULL, SIG("DDDD"), &times, &pb), MEZ_EINTERNAL);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_audit"), 4);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_peer_refusal"), 4);
    /* The list: the most recently refused first, by peer, bounded. */
    CU_ASSERT_EQUAL_FATAL(mez_peer_refusal_list(p, db, NULL, 10, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 4);
    r = &APR_ARRAY_IDX(list, 0, mez_peer_refusal_t);
    CU_ASSERT_STRING_EQUAL(r->action, "peer.wrong_authority_refused");
    CU_ASSERT_STRING_EQUAL(r->peer, "pk-sifc");
    r = &APR_ARRAY_IDX(list, 3, mez_peer_refusal_t);
    CU_ASSERT_STRING_EQUAL(r->peer, "ae-adgm");
    CU_ASSERT_EQUAL_FATAL(mez_peer_refusal_list(p, db, "pk-sifc", 10, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(list->nelts, 3);
    for (int i = 0; i < list->nelts; i++) {
        r = &APR_ARRAY_IDX(list, i, mez_peer_refusal_t);
        if (strcmp(r->action, "peer.replay_refused") || r->times != 4)
            continue;
        CU_ASSERT_STRING_EQUAL(r->first_at, "2026-07-01T10:00:00Z");
        CU_ASSERT_STRING_EQUAL(r->last_at, "2026-07-01T10:00:05Z");
        CU_ASSERT_STRING_EQUAL(r->request_id, "req-1");
        CU_ASSERT_EQUAL(strlen(r->signature), 71);
        CU_ASSERT_EQUAL(strncmp(r->signature, "sha256:", 7), 0);
        times = 0;
    }
    CU_ASSERT_EQUAL(times, 0);      /* the record of the resent signature was in the list */
    CU_ASSERT_EQUAL(mez_peer_refusal_list(p, db, NULL, 1, &list, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(list->nelts, 1);
    CU_ASSERT_EQUAL(mez_peer_refusal_list(p, db, NULL, 0, &list, &pb), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_peer_refusal_list(p, db, NULL, 1001, &list, &pb), MEZ_EINVAL);
}

/* A receipt recorded under a request's reference is found by it, and no second receipt takes the reference. */
static void test_request_ref(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_corridor_append_t a;
    mez_db_t *db = active_corridor();
    mez_digest_t head, nr1, nr2;
    const char *text = NULL;
    uint64_t seq = 99;
    int found = 1;

    genesis(&head);
    CU_ASSERT_EQUAL(mez_corridor_receipt_by_ref(p, db, CID, "key:1", &text, &seq, &found, &pb), MEZ_OK);
    CU_ASSERT_FALSE(found);
    CU_ASSERT_EQUAL_FATAL(mez_corridor_append_ref(p, db, CID, receipt(0, &head, 10, &nr1), "key:1", NOW, &a, &pb),
                          MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_receipt_by_ref(p, db, CID, "key:1", &text, &seq, &found, &pb), MEZ_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_EQUAL(seq, 0);
    CU_ASSERT_PTR_NOT_NULL(text);
    /* the same reference on a next receipt is refused, and nothing is written */
    CU_ASSERT_EQUAL(mez_corridor_append_ref(p, db, CID, receipt(1, &nr1, 11, &nr2), "key:1", NOW, &a, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.request_repeated");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_corridor_receipt"), 1);
    /* another reference, or none, appends */
    CU_ASSERT_EQUAL(mez_corridor_append_ref(p, db, CID, receipt(1, &nr1, 11, &nr2), "key:2", NOW, &a, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(mez_corridor_append_ref(p, db, CID, receipt(2, &nr2, 12, &head), "", NOW, &a, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "corridor.invalid_field");
}

static void test_find_transition(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = active_corridor();
    mez_digest_t head, leaves[4];
    json_t *r = NULL;
    uint64_t seq = 99;
    int found = 0;

    genesis(&head);
    append_n(db, 0, 4, &head, leaves);
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 2, "transfer", NULL, NULL, &r, &seq, &found, &pb),
                    MEZ_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_EQUAL(seq, 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "sequence")), 2);
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "transfer", "currency", "PKR", &r, &seq, &found, &pb),
                    MEZ_OK);
    CU_ASSERT_TRUE(found);
    CU_ASSERT_EQUAL(seq, 0);
    /* another kind, another payload value, or past the chain's end: none */
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "refund", NULL, NULL, &r, &seq, &found, &pb), MEZ_OK);
    CU_ASSERT_FALSE(found);
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "transfer", "currency", "USD", &r, &seq, &found, &pb),
                    MEZ_OK);
    CU_ASSERT_FALSE(found);
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 4, "transfer", NULL, NULL, &r, &seq, &found, &pb),
                    MEZ_OK);
    CU_ASSERT_FALSE(found);
    /* LIKE's wildcards in a value are taken literally */
    CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "transfer", "currency", "P_R", &r, &seq, &found, &pb),
                    MEZ_OK);
    CU_ASSERT_FALSE(found);
    /* A value the receipt's canonical text escapes (a quote, a backslash, a control character) is found: a peer
     * naming its migration so must not have the migration's cancellation go unseen (review). */
    {
        static const char *const ids[] = { "m\"1", "m\\2", "m\n3", "m\u00e94" };
        mez_digest_t next;
        mez_corridor_append_t a;
        for (unsigned i = 0; i < 4; i++) {
            json_t *x = receipt(4 + i, &head, 7, NULL), *t = json_object_get(x, "transition");
            json_object_del(x, "proof");
            json_object_del(x, "next_root");
            json_object_set_new(t, "kind", json_string("entity_migration_compensation"));
            json_object_set_new(json_object_get(t, "payload"), "migration_id", json_string(ids[i]));
            CU_ASSERT_EQUAL_FATAL(mez_receipt_seal(p, x, &next, &pb), MEZ_OK);
            CU_ASSERT_EQUAL_FATAL(mez_corridor_append(p, db, CID, x, NOW, &a, &pb), MEZ_OK);
            head = next;
        }
        for (unsigned i = 0; i < 4; i++) {
            CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "entity_migration_compensation",
                                                         "migration_id", ids[i], &r, &seq, &found, &pb), MEZ_OK);
            CU_ASSERT_TRUE(found);
            CU_ASSERT_EQUAL(seq, 4 + i);
        }
        /* Not UTF-8: no receipt can hold it. A start beyond 2^63 - 1: no receipt is there. */
        CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, 0, "entity_migration_compensation", "migration_id",
                                                     "m\xff", &r, &seq, &found, &pb), MEZ_OK);
        CU_ASSERT_FALSE(found);
        CU_ASSERT_EQUAL(mez_corridor_find_transition(p, db, CID, UINT64_MAX, "transfer", NULL, NULL, &r, &seq,
                                                     &found, &pb), MEZ_OK);
        CU_ASSERT_FALSE(found);
    }
}

/* A window of receipts reaching past 2^63 - 1 (the column is a bigint) reads what is there and fails nothing. */
static void test_receipts_window_at_the_end_of_bigint(void)
{
    apr_pool_t *p = unit_pool();
    mez_problem_t pb = { 0 };
    mez_db_t *db = active_corridor();
    mez_digest_t head, leaves[3];
    apr_array_header_t *texts = NULL;

    genesis(&head);
    append_n(db, 0, 3, &head, leaves);
    CU_ASSERT_EQUAL(mez_corridor_receipts_from(p, db, CID, 1, 100, &texts, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(texts->nelts, 2);
    CU_ASSERT_EQUAL(mez_corridor_receipts_from(p, db, CID, (uint64_t)INT64_MAX, 100, &texts, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(texts->nelts, 0);
    CU_ASSERT_EQUAL(mez_corridor_receipts_from(p, db, CID, (uint64_t)INT64_MAX - 50, 100, &texts, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(texts->nelts, 0);
    CU_ASSERT_EQUAL(mez_corridor_receipts_from(p, db, CID, UINT64_MAX, 100, &texts, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(texts->nelts, 0);
}

void unit_register_corridor_store(void)
{
    CU_pSuite s = unit_suite("corridor_store");
    CU_add_test(s, "chain of 1..300 receipts, proofs from stored nodes", test_chain_and_proofs);
    CU_add_test(s, "idempotent repeat, fork refused with evidence kept", test_repeat_and_fork);
    CU_add_test(s, "lifecycle moves, illegal moves and the transition log", test_lifecycle);
    CU_add_test(s, "checkpoints signed only when consistent", test_checkpoints);
    CU_add_test(s, "nonce replay cache", test_nonces);
    CU_add_test(s, "a refused signature audited once, its resends counted", test_refusals);
    CU_add_test(s, "a request reference appends once", test_request_ref);
    CU_add_test(s, "the first receipt of a transition kind and payload member", test_find_transition);
    CU_add_test(s, "a window of receipts reaching past 2^63 - 1", test_receipts_window_at_the_end_of_bigint);
}
