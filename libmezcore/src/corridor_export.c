/* corridor_export.c: a stored corridor as one self-contained JSON document, and the offline verifier of such a
 * document (mez/corridor_export.h). The verifier uses no database and trusts no stated value: it recomputes the
 * genesis root, the chain, the tree and every checkpoint's root from the signed documents and receipts. */
#include <string.h>
#include <apr_strings.h>
#include "mez/checkpoint.h"
#include "mez/corridor.h"
#include "mez/corridor_export.h"
#include "mez/corridor_proto.h"
#include "mez/did.h"
#include "mez/key_rotation.h"
#include "mez/json.h"
#include "mez/mmr.h"
#include "mez/receipt.h"
#include "mez/vc.h"
#include "corridor_int.h"

/* Receipts are read from the store this many at a time, so no single query result holds the whole chain. */
#define EXPORT_PAGE 512

/* ------------------------------------------------------------------ export */

static mez_status_t checkpoints_upto(apr_pool_t *p, mez_db_t *db, const char *corridor_id, const char *max_size,
                                     apr_array_header_t **notes, mez_problem_t *pb)
{
    apr_array_header_t *rows;
    mez_status_t st = max_size
        ? mez_db_query_rows(p, db, 1, &rows, "SELECT note FROM mez_corridor_checkpoint WHERE corridor_id = %s AND "
                            "tree_size <= %s ORDER BY tree_size", pb, corridor_id, max_size, NULL)
        : mez_db_query_rows(p, db, 1, &rows, "SELECT note FROM mez_corridor_checkpoint WHERE corridor_id = %s "
                            "ORDER BY tree_size", pb, corridor_id, NULL);
    if (st != MEZ_OK)
        return st;
    *notes = apr_array_make(p, rows->nelts, sizeof(const char *));
    for (int i = 0; i < rows->nelts; i++)
        APR_ARRAY_PUSH(*notes, const char *) = APR_ARRAY_IDX(rows, i, const char **)[0];
    return MEZ_OK;
}

mez_status_t mez_corridor_checkpoints(apr_pool_t *p, mez_db_t *db, const char *corridor_id,
                                      apr_array_header_t **notes, mez_problem_t *pb)
{
    return checkpoints_upto(p, db, corridor_id, NULL, notes, pb);
}

static mez_status_t damaged(apr_pool_t *p, mez_problem_t *pb, const char *corridor_id, const char *what)
{
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL, "corridor %s: %s", corridor_id, what);
}

/* Parses a stored canonical text (stored by this zone after checking it, so a failure is damage). */
static mez_status_t stored_json(apr_pool_t *p, const char *corridor_id, const char *text, const char *what,
                                json_t **out, mez_problem_t *pb)
{
    mez_problem_t lp = { 0 };
    if (!text || mez_json_parse(p, text, strlen(text), out, &lp) != MEZ_OK)
        return damaged(p, pb, corridor_id, apr_pstrcat(p, what, " is not readable JSON", NULL));
    return MEZ_OK;
}

/* Appends receipts 0 .. size - 1 to arr, a page at a time. */
static mez_status_t export_receipts(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                    json_t *arr, mez_problem_t *pb)
{
    apr_pool_t *page;
    uint64_t next = 0;
    mez_status_t st = MEZ_OK;
    apr_pool_create(&page, p);
    while (st == MEZ_OK && next < size) {
        apr_array_header_t *rows;
        int want = size - next < EXPORT_PAGE ? (int)(size - next) : EXPORT_PAGE;
        apr_pool_clear(page);
        if ((st = mez_db_query_rows(page, db, 2, &rows,
                                    "SELECT receipt, receipt_digest FROM mez_corridor_receipt WHERE corridor_id = %s "
                                    "AND seq >= %s AND seq < %s ORDER BY seq", pb, corridor_id,
                                    mez_corridor_u64(page, next), mez_corridor_u64(page, next + (uint64_t)want),
                                    NULL)) != MEZ_OK)
            break;
        if (rows->nelts != want) {
            st = damaged(p, pb, corridor_id, apr_psprintf(p, "receipt %" APR_UINT64_T_FMT " is missing",
                                                          next + (uint64_t)rows->nelts));
            break;
        }
        for (int i = 0; i < rows->nelts && st == MEZ_OK; i++) {
            const char *const *row = APR_ARRAY_IDX(rows, i, const char *const *);
            mez_problem_t lp = { 0 };
            mez_digest_t d;
            json_t *r;
            /* The value outlives the page: the array takes its own reference before the page drops its one. */
            if ((st = stored_json(page, corridor_id, row[0], "a receipt", &r, pb)) != MEZ_OK)
                break;
            /* The digest stored with the receipt when it was checked and appended: a text edited since (in its
             * unsigned members, say) no longer has it, and an export must not carry it as the chain's. */
            if (mez_receipt_content_digest(page, r, &d, &lp) != MEZ_OK || !row[1]
                || strcmp(row[1], mez_digest_hex(page, &d))) {
                json_decref(r);
                st = damaged(p, pb, corridor_id, apr_psprintf(p, "receipt %" APR_UINT64_T_FMT " is not the one "
                                                              "stored with digest %s", next + (uint64_t)i,
                                                              row[1] ? row[1] : "(none)"));
                break;
            }
            json_array_append(arr, r);
        }
        next += (uint64_t)want;
    }
    if (st != MEZ_OK && pb && pb->detail)
        pb->detail = apr_pstrdup(p, pb->detail);   /* the page's strings go with it */
    apr_pool_destroy(page);
    return st;
}

mez_status_t mez_corridor_export(apr_pool_t *p, mez_db_t *db, const char *corridor_id, json_t **out,
                                 mez_problem_t *pb)
{
    mez_corridor_t c;
    mez_corridor_terms_t terms;
    apr_array_header_t *docs, *notes;
    const char *origin, *definition_text = NULL;
    json_t *doc, *definition = NULL, *agreements, *receipts, *checkpoints, *v;
    mez_status_t st;

    /* The row first: its size bounds what is read next, so later appends do not tear the export. */
    if ((st = mez_corridor_get(p, db, corridor_id, &c, pb)) != MEZ_OK
        || (st = mez_corridor_documents(p, db, corridor_id, &docs, pb)) != MEZ_OK)
        return st;
    agreements = mez_json_pool_own(p, json_array());
    for (int i = 0; i < docs->nelts; i++) {
        const mez_corridor_doc_t *d = &APR_ARRAY_IDX(docs, i, mez_corridor_doc_t);
        if ((st = stored_json(p, corridor_id, d->text, d->kind, &v, pb)) != MEZ_OK)
            return st;
        if (!strcmp(d->kind, "definition")) {
            definition = v;
            definition_text = d->text;
        }
        else if (c.established)   /* agreements stored after the row was read belong to a later export */
            json_array_append(agreements, v);
    }
    if (!definition)
        return damaged(p, pb, corridor_id, "its definition is not stored");
    if (mez_corridor_terms_from_text(p, definition_text, &terms, pb) != MEZ_OK
        || mez_checkpoint_origin(p, terms.proposer_zone_id, corridor_id, &origin, pb) != MEZ_OK)
        return damaged(p, pb, corridor_id, "its stored definition does not name its proposer");

    receipts = mez_json_pool_own(p, json_array());
    checkpoints = mez_json_pool_own(p, json_array());
    if (c.established && (st = export_receipts(p, db, corridor_id, c.size, receipts, pb)) != MEZ_OK)
        return st;
    if ((st = checkpoints_upto(p, db, corridor_id, mez_corridor_u64(p, c.size), &notes, pb)) != MEZ_OK)
        return st;
    for (int i = 0; i < notes->nelts; i++)
        json_array_append_new(checkpoints, json_string(APR_ARRAY_IDX(notes, i, const char *)));

    doc = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:I, s:s, s:O, s:O, s:O, s:O}",
                    "type", MEZ_CORRIDOR_EXPORT_TYPE, "version", MEZ_CORRIDOR_EXPORT_VERSION,
                    "corridor_id", c.corridor_id, "origin", origin, "sequencer_did", terms.proposer_did,
                    "genesis_root", c.established ? json_string(mez_digest_hex(p, &c.genesis_root)) : json_null(),
                    "size", (json_int_t)c.size, "root", mez_digest_hex(p, &c.root), "definition", definition,
                    "agreements", agreements, "receipts", receipts, "checkpoints", checkpoints);
    if (!doc)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.internal", NULL, "the export cannot be built");
    *out = mez_json_pool_own(p, doc);
    return MEZ_OK;
}

/* ------------------------------------------------------------------ verification */

static const char *const export_members[] = {
    "type", "version", "corridor_id", "origin", "sequencer_did", "genesis_root", "size", "root", "definition",
    "agreements", "receipts", "checkpoints", NULL,
};

static mez_status_t invalid(apr_pool_t *p, mez_problem_t *pb, const char *ptr, const char *detail)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor_export.invalid_field", ptr, "%s", detail);
}

static mez_status_t mismatch(apr_pool_t *p, mez_problem_t *pb, const char *ptr, const char *stated,
                             const char *computed)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor_export.mismatch", ptr,
                       "the export states %s but the verified documents give %s", stated, computed);
}

/* A problem found in a scratch pool, made again in p with its pointer put under base (a check that already
 * prefixes its pointers is given base ""; a check with no pointer gets base itself). */
static mez_status_t rebase(apr_pool_t *p, mez_problem_t *pb, mez_status_t st, const mez_problem_t *in,
                           const char *base)
{
    const char *ptr = apr_pstrcat(p, base, in->pointer ? in->pointer : "", NULL);
    return mez_problem(pb, p, st, in->status, apr_pstrdup(p, in->code ? in->code : "internal"), ptr, "%s",
                       in->detail ? in->detail : "");
}

static const char *member_string(const json_t *doc, const char *name)
{
    return json_string_value(json_object_get(doc, name));
}

/* Step 1: the members every export has, each of its kind. */
static mez_status_t check_shape(apr_pool_t *p, const json_t *doc, mez_problem_t *pb)
{
    static const char *const strings[] = { "corridor_id", "origin", "sequencer_did", "root", NULL };
    static const char *const arrays[] = { "agreements", "receipts", "checkpoints", NULL };
    const json_t *version = json_object_get(doc, "version"), *g = json_object_get(doc, "genesis_root");
    mez_status_t st;

    if (!json_is_object(doc))
        return invalid(p, pb, "", "a corridor export is a JSON object");
    if (!member_string(doc, "type") || strcmp(member_string(doc, "type"), MEZ_CORRIDOR_EXPORT_TYPE))
        return invalid(p, pb, "/type", "type is \"" MEZ_CORRIDOR_EXPORT_TYPE "\"");
    if (!json_is_integer(version))
        return invalid(p, pb, "/version", "version is an integer");
    if (json_integer_value(version) != MEZ_CORRIDOR_EXPORT_VERSION)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor_export.unsupported_version", "/version",
                           "version %" APR_INT64_T_FMT " is not known here (1 is)",
                           (apr_int64_t)json_integer_value(version));
    if ((st = mez_json_only_members(p, doc, "", export_members, "corridor_export.unknown_field", pb)) != MEZ_OK)
        return st;
    for (const char *const *s = strings; *s; s++)
        if (!member_string(doc, *s))
            return invalid(p, pb, apr_pstrcat(p, "/", *s, NULL), apr_pstrcat(p, *s, " is a string", NULL));
    for (const char *const *a = arrays; *a; a++)
        if (!json_is_array(json_object_get(doc, *a)))
            return invalid(p, pb, apr_pstrcat(p, "/", *a, NULL), apr_pstrcat(p, *a, " is an array", NULL));
    if (!json_is_string(g) && !json_is_null(g))
        return invalid(p, pb, "/genesis_root", "genesis_root is 64 hex digits, or null before establishment");
    if (!json_is_integer(json_object_get(doc, "size")) || json_integer_value(json_object_get(doc, "size")) < 0)
        return invalid(p, pb, "/size", "size is a non-negative integer");
    if (!json_is_object(json_object_get(doc, "definition")))
        return invalid(p, pb, "/definition", "definition is the CorridorDefinition credential");
    return MEZ_OK;
}

/* Step 2: the definition, and the stated members it determines. */
static mez_status_t check_definition(apr_pool_t *p, const json_t *doc, mez_corridor_terms_t *terms,
                                     mez_key_t **sequencer, mez_corridor_verify_report_t *rep, mez_problem_t *pb)
{
    const json_t *def = json_object_get(doc, "definition");
    const char *issuer = mez_vc_issuer_id(def), *origin;
    mez_problem_t lp = { 0 };
    mez_status_t st;

    if (!issuer)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.definition_invalid", "/definition/issuer",
                           "the definition names its issuer");
    /* Issued by its own proposer: whoever issued it must be the participant with role "proposer". */
    if ((st = mez_corridor_definition_check(p, def, issuer, NULL, NULL, "/definition", terms, pb)) != MEZ_OK)
        return st;
    if ((st = mez_did_key_resolve(p, terms->proposer_did, sequencer, &lp)) != MEZ_OK)
        return rebase(p, pb, st, &lp, "/definition/issuer");
    if ((st = mez_checkpoint_origin(p, terms->proposer_zone_id, terms->corridor_id, &origin, &lp)) != MEZ_OK)
        return rebase(p, pb, st, &lp, "/definition/credentialSubject/participants");
    rep->definition_ok = 1;
    rep->corridor_id = terms->corridor_id;
    rep->sequencer_did = terms->proposer_did;
    rep->origin = origin;
    if (strcmp(member_string(doc, "corridor_id"), terms->corridor_id))
        return mismatch(p, pb, "/corridor_id", member_string(doc, "corridor_id"), terms->corridor_id);
    if (strcmp(member_string(doc, "sequencer_did"), terms->proposer_did))
        return mismatch(p, pb, "/sequencer_did", member_string(doc, "sequencer_did"), terms->proposer_did);
    if (strcmp(member_string(doc, "origin"), origin))
        return mismatch(p, pb, "/origin", member_string(doc, "origin"), origin);
    return MEZ_OK;
}

/* Steps 3 and 4: one agreement by each party, and the genesis root they give with the definition. */
static mez_status_t check_agreements(apr_pool_t *p, const json_t *doc, const mez_corridor_terms_t *terms,
                                     mez_digest_t *genesis, mez_corridor_verify_report_t *rep, mez_problem_t *pb)
{
    const json_t *agreements = json_object_get(doc, "agreements"), *stated = json_object_get(doc, "genesis_root");
    const char *digest[2] = { NULL, NULL }, *set_hex;
    size_t n = json_array_size(agreements);
    mez_digest_t g;
    mez_status_t st;

    if (n == 0) {
        /* Not established yet: there is no genesis root, so there can be no chain. */
        if (!json_is_null(stated))
            return invalid(p, pb, "/agreements", "a corridor with a genesis root holds both zones' agreements");
        return MEZ_OK;
    }
    if (n != 2)
        return invalid(p, pb, "/agreements", "an established corridor holds exactly two agreements, one per zone");
    for (size_t i = 0; i < n; i++) {
        const json_t *vc = json_array_get(agreements, i);
        const char *base = mez_pointer_index(p, "/agreements", i), *issuer = mez_vc_issuer_id(vc), *d;
        int slot;
        if (!issuer)
            return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.agreement_invalid",
                               apr_pstrcat(p, base, "/issuer", NULL), "an agreement names its issuer");
        if ((st = mez_corridor_agreement_check(p, vc, terms, issuer, base, &d, pb)) != MEZ_OK)
            return st;
        slot = strcmp(issuer, terms->proposer_did) ? 1 : 0;
        if (digest[slot])
            return mez_problem(pb, p, MEZ_EINVAL, 422, "corridor.agreement_invalid",
                               apr_pstrcat(p, base, "/issuer", NULL),
                               "a second agreement by the %s: each zone agrees once", slot ? "responder" : "proposer");
        digest[slot] = d;
        rep->agreements++;
    }
    if ((st = mez_corridor_genesis(p, terms, digest[0], digest[1], &set_hex, &g, pb)) != MEZ_OK)
        return st;
    if (!json_is_string(stated))
        return mismatch(p, pb, "/genesis_root", "none", mez_digest_hex(p, &g));
    if (strcmp(json_string_value(stated), mez_digest_hex(p, &g)))
        return mismatch(p, pb, "/genesis_root", json_string_value(stated), mez_digest_hex(p, &g));
    *genesis = g;
    rep->established = 1;
    rep->genesis_ok = 1;
    rep->genesis_root = g;
    return MEZ_OK;
}

/* The sequencer's key changes along the chain: from size `from` on, `key` signs (receipts and checkpoints). */
typedef struct signer_span_t {
    uint64_t from;
    const mez_key_t *key;
} signer_span_t;

/* The key that signed a checkpoint of size n: the one in use after the first n receipts. */
static const mez_key_t *signer_at(const apr_array_header_t *spans, uint64_t n)
{
    const mez_key_t *key = APR_ARRAY_IDX(spans, 0, signer_span_t).key;
    for (int i = 1; i < spans->nelts; i++)
        if (APR_ARRAY_IDX(spans, i, signer_span_t).from <= n)
            key = APR_ARRAY_IDX(spans, i, signer_span_t).key;
    return key;
}

/* Step 5: every receipt chained and signed; leaves[] gets their next_roots; spans gets the sequencer's keys. */
static mez_status_t check_receipts(apr_pool_t *p, const json_t *doc, const mez_corridor_terms_t *terms,
                                   apr_array_header_t *spans, mez_corridor_verify_report_t *rep,
                                   mez_digest_t *leaves, mez_problem_t *pb)
{
    const mez_key_t *sequencer = APR_ARRAY_IDX(spans, 0, signer_span_t).key;
    mez_chain_keys_t keys;
    const json_t *receipts = json_object_get(doc, "receipts");
    mez_receipt_chain_t chain;
    apr_pool_t *scratch;
    mez_status_t st = MEZ_OK;
    mez_digest_t root;
    const char *hex;

    if (json_array_size(receipts) && !rep->established)
        return invalid(p, pb, "/receipts", "a corridor that is not established has no receipts");
    keys.proposer_zone_id = terms->proposer_zone_id;
    keys.responder_zone_id = terms->responder_zone_id;
    keys.proposer_did = terms->proposer_did;
    keys.responder_did = terms->responder_did;
    rep->sequencer_did_now = terms->proposer_did;
    mez_receipt_chain_init(&chain, terms->corridor_id, &rep->genesis_root);
    /* Receipts are checked in a scratch pool cleared each time: a long chain must not grow memory per receipt. */
    apr_pool_create(&scratch, p);
    for (size_t i = 0; i < json_array_size(receipts); i++) {
        const json_t *r = json_array_get(receipts, i);
        const char *base;
        mez_problem_t lp = { 0 };
        apr_pool_clear(scratch);
        base = mez_pointer_index(scratch, "/receipts", i);
        if (!json_is_object(r)) {
            st = invalid(p, pb, mez_pointer_index(p, "/receipts", i), "a receipt is a JSON object");
            break;
        }
        /* Chaining first: a receipt changed after sealing is named by its next_root, a precise finding; the
         * signature is then checked over content known to be what next_root commits to. */
        if ((st = mez_receipt_chain_append(scratch, &chain, r, &leaves[i], &lp)) != MEZ_OK) {
            st = rebase(p, pb, st, &lp, mez_pointer_index(p, "/receipts", i));
            break;
        }
        if ((st = mez_corridor_receipt_check_signature(scratch, r, sequencer, base, &lp)) != MEZ_OK) {
            st = rebase(p, pb, st, &lp, "");
            break;
        }
        {
            /* A rotation (rare): followed in p, since what it yields outlives this receipt's scratch pool. */
            const json_t *vc;
            const char *before = keys.proposer_did;
            int rotated = 0;
            if (mez_key_rotation_of_receipt(r, &vc)) {
                if ((st = mez_key_rotation_follow(p, &keys, r, mez_pointer_index(p, "/receipts", i), &rotated, pb))
                    != MEZ_OK)
                    break;
                rep->key_rotations += rotated;
            }
            if (strcmp(before, keys.proposer_did)) {
                signer_span_t *span = apr_array_push(spans);
                mez_key_t *next;
                if ((st = mez_did_key_resolve(p, keys.proposer_did, &next, pb)) != MEZ_OK)
                    break;
                span->from = (uint64_t)i + 1;
                span->key = sequencer = next;
                rep->sequencer_did_now = keys.proposer_did;
            }
        }
        rep->receipts++;
    }
    apr_pool_destroy(scratch);
    if (st != MEZ_OK)
        return st;
    mez_mmr_root(&chain.mmr, &root);
    if ((uint64_t)json_integer_value(json_object_get(doc, "size")) != chain.mmr.size)
        return mismatch(p, pb, "/size", apr_psprintf(p, "%" APR_INT64_T_FMT,
                                                     (apr_int64_t)json_integer_value(json_object_get(doc, "size"))),
                        apr_psprintf(p, "%" APR_UINT64_T_FMT " receipts", chain.mmr.size));
    hex = mez_digest_hex(p, &root);
    if (strcmp(member_string(doc, "root"), hex))
        return mismatch(p, pb, "/root", member_string(doc, "root"), hex);
    rep->tree_ok = 1;
    rep->size = chain.mmr.size;
    rep->root = root;
    return MEZ_OK;
}

/* Step 6: the checkpoints, each against the tree and against the one before it. */
static mez_status_t check_checkpoints(apr_pool_t *p, const json_t *doc, const char *origin,
                                      const apr_array_header_t *spans, const mez_digest_t *leaves,
                                      mez_corridor_verify_report_t *rep, mez_problem_t *pb)
{
    const json_t *notes = json_object_get(doc, "checkpoints");
    mez_mmr_t tree;
    mez_checkpoint_t prev = { 0 };
    apr_pool_t *scratch;
    mez_status_t st = MEZ_OK;

    mez_mmr_init(&tree);
    apr_pool_create(&scratch, p);
    for (size_t i = 0; i < json_array_size(notes) && st == MEZ_OK; i++) {
        const char *note = json_string_value(json_array_get(notes, i)), *ptr = mez_pointer_index(p, "/checkpoints", i);
        mez_problem_t lp = { 0 };
        mez_checkpoint_t cp;
        mez_digest_t root, *path;
        size_t len;

        apr_pool_clear(scratch);
        if (!note) {
            st = invalid(p, pb, ptr, "a checkpoint is a signed note's text");
            break;
        }
        /* The key name is the origin, as the sequencer signs (mez_corridor_checkpoint). The note says its size
         * only inside the signed text, so the size is read first without trusting it, to choose the key that
         * must have signed at that size; the note is then opened (verified) with that key. */
        {
            const char *line2 = strchr(note, '\n');
            uint64_t claimed = line2 ? (uint64_t)apr_atoi64(line2 + 1) : 0;
            if ((st = mez_checkpoint_open(scratch, note, strlen(note), origin, signer_at(spans, claimed), &cp, &lp))
                != MEZ_OK) {
                st = rebase(p, pb, st, &lp, ptr);
                break;
            }
        }
        if (strcmp(cp.origin, origin)) {
            st = mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.origin_mismatch", ptr,
                             "the checkpoint is of log %s, not of %s", cp.origin, origin);
            break;
        }
        if (!cp.size || cp.size > rep->size || cp.size <= prev.size) {
            st = mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.invalid_size", ptr,
                             "checkpoint size %" APR_UINT64_T_FMT " is not in %" APR_UINT64_T_FMT "..%" APR_UINT64_T_FMT
                             " (after the previous checkpoint, within the chain)", cp.size, prev.size + 1, rep->size);
            break;
        }
        while (tree.size < cp.size)
            mez_mmr_append(&tree, &leaves[tree.size]);
        mez_mmr_root(&tree, &root);
        if (!mez_digest_equal(&root, &cp.root)) {
            st = mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.root_mismatch", ptr,
                             "the checkpoint's root at size %" APR_UINT64_T_FMT " is %s, the receipts give %s",
                             cp.size, mez_digest_hex(p, &cp.root), mez_digest_hex(p, &root));
            break;
        }
        /* As a witness would: the two notes' own roots joined by an RFC 9162 proof. With both roots already
         * matched to the leaves this cannot fail unless mmr.h's proof and root disagree, which is the point of
         * checking it the standard way rather than assuming it. */
        if (prev.size) {
            if ((st = mez_mmr_consistency_proof(scratch, leaves, cp.size, prev.size, &path, &len, &lp)) != MEZ_OK) {
                st = rebase(p, pb, st, &lp, ptr);
                break;
            }
            if (!mez_mmr_verify_consistency(prev.size, cp.size, &prev.root, &cp.root, path, len)) {
                st = mez_problem(pb, p, MEZ_EINVAL, 409, "checkpoint.inconsistent", ptr,
                                 "the checkpoint of size %" APR_UINT64_T_FMT " does not extend the one of size %"
                                 APR_UINT64_T_FMT, cp.size, prev.size);
                break;
            }
        }
        prev.size = cp.size;
        prev.root = cp.root;
        rep->checkpoints++;
        rep->checkpoint_size = cp.size;
    }
    apr_pool_destroy(scratch);
    return st;
}

mez_status_t mez_corridor_verify_export(apr_pool_t *p, const json_t *doc, mez_corridor_verify_report_t *rep,
                                        mez_problem_t *pb)
{
    mez_corridor_terms_t terms;
    mez_key_t *sequencer = NULL;
    mez_digest_t *leaves;
    apr_array_header_t *spans;
    signer_span_t *first;
    mez_status_t st;

    memset(rep, 0, sizeof(*rep));
    memset(&terms, 0, sizeof(terms));
    if ((st = check_shape(p, doc, pb)) != MEZ_OK
        || (st = check_definition(p, doc, &terms, &sequencer, rep, pb)) != MEZ_OK
        || (st = check_agreements(p, doc, &terms, &rep->genesis_root, rep, pb)) != MEZ_OK)
        return st;
    /* One next_root per receipt: the leaves the checkpoints' roots and proofs are computed from. */
    leaves = apr_palloc(p, (json_array_size(json_object_get(doc, "receipts")) + 1) * sizeof(*leaves));
    spans = apr_array_make(p, 2, sizeof(signer_span_t));
    first = apr_array_push(spans);
    first->from = 0;
    first->key = sequencer;
    if ((st = check_receipts(p, doc, &terms, spans, rep, leaves, pb)) != MEZ_OK)
        return st;
    return check_checkpoints(p, doc, rep->origin, spans, leaves, rep, pb);
}
