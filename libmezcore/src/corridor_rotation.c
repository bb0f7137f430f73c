/* corridor_rotation.c: a zone key rotation recorded on the chains of the corridors this zone sequences, inside
 * the caller's transaction (with the rotation's other records, so that either all of it happened or none).
 *
 * Who signs the receipt: the sequencer's key at that point of the chain. When this zone rotates, that is its
 * previous key, and the receipt is the last the previous key signs; when a peer rotates, this zone's own key.
 * Corridors not yet established (no chain) are left alone: their definition names the previous DID, and the
 * proposal must be made again. A deprecated corridor takes no receipt at all. */
#include <string.h>
#include <apr_strings.h>
#include "mez/corridor.h"
#include "mez/corridor_proto.h"
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/key_rotation.h"
#include "corridor_int.h"

static mez_status_t terms_of(apr_pool_t *p, mez_db_t *db, const char *id, mez_corridor_terms_t *terms,
                             mez_problem_t *pb)
{
    apr_array_header_t *docs;
    mez_status_t st = mez_corridor_documents(p, db, id, &docs, pb);
    if (st != MEZ_OK)
        return st;
    for (int i = 0; i < docs->nelts; i++) {
        const mez_corridor_doc_t *d = &APR_ARRAY_IDX(docs, i, mez_corridor_doc_t);
        if (!strcmp(d->kind, "definition"))
            return mez_corridor_terms_from_text(p, d->text, terms, pb);
    }
    return mez_problem(pb, p, MEZ_EINTERNAL, 500, "corridor.row_damaged", NULL, "corridor %s has no definition", id);
}

mez_status_t mez_corridor_record_rotation(apr_pool_t *p, mez_db_t *db, const mez_key_t *signer, const json_t *vc,
                                          const mez_key_rotation_t *rot, const char *peer_zone_id, apr_time_t now,
                                          apr_array_header_t **recorded, mez_problem_t *pb)
{
    apr_array_header_t *all;
    json_t *transition = mez_key_rotation_transition(p, vc, rot);
    mez_status_t st;

    *recorded = apr_array_make(p, 4, sizeof(const char *));
    if ((st = mez_corridor_list(p, db, &all, pb)) != MEZ_OK)
        return st;
    for (int i = 0; i < all->nelts; i++) {
        const mez_corridor_t *listed = &APR_ARRAY_IDX(all, i, mez_corridor_t);
        mez_corridor_t c;
        mez_corridor_terms_t terms;
        mez_corridor_append_t out;
        json_t *receipt;
        if (listed->role != MEZ_CORRIDOR_PROPOSER || !listed->established
            || listed->state == MEZ_CORRIDOR_DEPRECATED
            || (peer_zone_id && strcmp(listed->peer_zone_id, peer_zone_id)))
            continue;
        /* Under the row lock: the head this receipt chains to is the head it is appended to. */
        if ((st = mez_corridor_read(p, db, listed->corridor_id, 1, &c, pb)) != MEZ_OK
            || (st = terms_of(p, db, c.corridor_id, &terms, pb)) != MEZ_OK
            || (st = mez_corridor_receipt_make(p, signer, &terms, c.size, &c.head, transition, now, &receipt, pb))
                   != MEZ_OK
            || (st = mez_corridor_append_in_tx(p, db, c.corridor_id, receipt, now, &out, pb)) != MEZ_OK)
            return st;
        APR_ARRAY_PUSH(*recorded, const char *) = c.corridor_id;
    }
    return MEZ_OK;
}

mez_status_t mez_corridor_keys_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                  mez_chain_keys_t *keys, mez_problem_t *pb)
{
    mez_corridor_terms_t terms;
    mez_status_t st;

    if ((st = terms_of(p, db, corridor_id, &terms, pb)) != MEZ_OK)
        return st;
    keys->proposer_zone_id = terms.proposer_zone_id;
    keys->responder_zone_id = terms.responder_zone_id;
    keys->proposer_did = terms.proposer_did;
    keys->responder_did = terms.responder_did;
    /* The rotations among the first size receipts, in order: each names its party's key from then on. Their
     * payloads are read as stored: the append checked each (its credential rotates the party's DID at that point
     * of the chain, and the payload repeats the credential) before it kept it. */
    for (uint64_t from = 0;;) {
        json_t *receipt;
        const json_t *payload;
        const char *zone, *next;
        uint64_t seq;
        int found = 0;
        if ((st = mez_corridor_find_transition(p, db, corridor_id, from, MEZ_KEY_ROTATION_KIND, NULL, NULL, &receipt,
                                               &seq, &found, pb)) != MEZ_OK)
            return st;
        if (!found || seq >= size)
            break;
        payload = json_object_get(json_object_get(receipt, "transition"), "payload");
        zone = json_string_value(json_object_get(payload, "zone_id"));
        next = json_string_value(json_object_get(payload, "new_did"));
        if (zone && next && !strcmp(zone, keys->proposer_zone_id))
            keys->proposer_did = next;
        else if (zone && next && !strcmp(zone, keys->responder_zone_id))
            keys->responder_did = next;
        from = seq + 1;
    }
    return MEZ_OK;
}

mez_status_t mez_corridor_signer_at(apr_pool_t *p, mez_db_t *db, const char *corridor_id, uint64_t size,
                                    const char **did, mez_problem_t *pb)
{
    mez_chain_keys_t keys;
    mez_status_t st = mez_corridor_keys_at(p, db, corridor_id, size, &keys, pb);
    if (st == MEZ_OK)
        *did = keys.proposer_did;
    return st;
}
