/* receipt.c: corridor receipt validation, the next_root commitment, content digests, genesis roots and the
 * append checks of a receipt chain (rules and the deliberate differences from the reference: mez/receipt.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/receipt.h"

static mez_status_t bad(apr_pool_t *p, mez_problem_t *pb, const char *code, const char *ptr, const char *what)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, ptr, "%s", what);
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int is_hex64(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) == 64 && is_lower_hex(json_string_value(v), 64);
}

mez_status_t mez_receipt_hex_digest(apr_pool_t *p, const char *hex, const char *pointer, mez_digest_t *out,
                                    mez_problem_t *pb)
{
    if (!hex || strlen(hex) != 64 || !is_lower_hex(hex, 64))
        return bad(p, pb, "receipt.invalid_digest", pointer, "a digest here is 64 lower-case hex characters");
    for (size_t i = 0; i < 32; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        out->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return MEZ_OK;
}

/* 8-4-4-4-12 lower-case hex: the text the reference's UUID type writes back. */
static int is_uuid(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        }
        else if (!is_lower_hex(s + i, 1))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ digest sets */

typedef struct {
    const char *digest;
    size_t index;
    json_t *entry;
} set_item_t;

static int item_cmp(const void *x, const void *y)
{
    const set_item_t *a = x, *b = y;
    int c = strcmp(a->digest, b->digest);
    /* The reference's sort is stable, so among equal digests the earlier entry comes first and survives. */
    return c ? c : (a->index < b->index ? -1 : 1);
}

/* Validates a digest set and returns a canonical copy of each entry (ArtifactRef re-written with only its
 * three members, as the reference re-serialises it); normalised = sorted and deduplicated. */
static mez_status_t digest_set(apr_pool_t *p, const json_t *set, const char *ptr, int normalise, json_t **out,
                               mez_problem_t *pb)
{
    size_t n, i, k = 0;
    set_item_t *items;
    json_t *e, *a;

    if (!json_is_array(set))
        return bad(p, pb, "receipt.invalid_field", ptr, "a digest set is an array");
    n = json_array_size(set);
    items = apr_pcalloc(p, (n ? n : 1) * sizeof(*items));
    a = mez_json_pool_own(p, json_array());
    json_array_foreach(set, i, e) {
        const char *at = mez_pointer_index(p, ptr, i);
        json_t *c;
        if (is_hex64(e)) {
            items[i].digest = json_string_value(e);
            c = json_incref(e);
        }
        else if (json_is_object(e)) {
            const char *key;
            json_t *x, *d = json_object_get(e, "digest_sha256"), *t = json_object_get(e, "artifact_type"),
                       *u = json_object_get(e, "uri");
            json_object_foreach(e, key, x)
                if (strcmp(key, "digest_sha256") && strcmp(key, "artifact_type") && strcmp(key, "uri"))
                    return bad(p, pb, "receipt.unknown_field", mez_pointer_join(p, at, key),
                               "an artifact reference has only digest_sha256, artifact_type and uri (the "
                               "reference drops other members without committing them; mez refuses them)");
            if (!is_hex64(d))
                return bad(p, pb, "receipt.invalid_digest", mez_pointer_join(p, at, "digest_sha256"),
                           "digest_sha256 is 64 lower-case hex characters");
            if (!json_is_string(t) || json_string_length(t) == 0)
                return bad(p, pb, "receipt.invalid_field", mez_pointer_join(p, at, "artifact_type"),
                           "artifact_type is a non-empty string");
            if (u && !json_is_null(u) && !json_is_string(u))
                return bad(p, pb, "receipt.invalid_field", mez_pointer_join(p, at, "uri"), "uri is a string");
            items[i].digest = json_string_value(d);
            c = json_object();
            json_object_set(c, "digest_sha256", d);
            json_object_set(c, "artifact_type", t);
            if (json_is_string(u))
                json_object_set(c, "uri", u);
        }
        else
            return bad(p, pb, "receipt.invalid_digest", at,
                       "a digest set entry is 64 lower-case hex characters or an artifact reference (the "
                       "reference silently drops anything else; mez refuses it)");
        items[i].index = i;
        items[i].entry = mez_json_pool_own(p, c);
    }
    if (normalise && n > 1)
        qsort(items, n, sizeof(*items), item_cmp);
    for (i = 0; i < n; i++) {
        if (normalise && k > 0 && !strcmp(items[i].digest, items[k - 1].digest))
            continue;
        items[k++] = items[i];
        json_array_append(a, items[i].entry);
    }
    *out = a;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ receipts */

/* A receipt proof object as the reference types it: exactly these five string members. Anything else would
 * be dropped by its deserialiser and so left out of its content digest; mez refuses it instead. */
static mez_status_t proof_object(apr_pool_t *p, const json_t *o, const char *ptr, mez_problem_t *pb)
{
    static const char *const members[] = { "type", "created", "verificationMethod", "proofPurpose", "jws", NULL };
    const char *key;
    json_t *v;
    if (!json_is_object(o))
        return bad(p, pb, "receipt.invalid_field", ptr, "a proof is an object");
    json_object_foreach((json_t *)o, key, v) {
        int known = 0;
        for (size_t i = 0; members[i]; i++)
            known |= !strcmp(key, members[i]);
        if (!known)
            return bad(p, pb, "receipt.unknown_field", mez_pointer_join(p, ptr, key),
                       "a receipt proof has only type, created, verificationMethod, proofPurpose and jws");
    }
    for (size_t i = 0; members[i]; i++)
        if (!json_is_string(json_object_get(o, members[i])))
            return bad(p, pb, "receipt.invalid_field", mez_pointer_join(p, ptr, members[i]),
                       "every member of a receipt proof is a string");
    return MEZ_OK;
}

static const char *const receipt_members[] = {
    "type", "corridor_id", "sequence", "timestamp", "prev_root", "next_root", "lawpack_digest_set",
    "ruleset_digest_set", "proof", "transition", "transition_type_registry_digest_sha256", "zk", "anchor", NULL
};
/* Optional members whose null means absent (the reference's Option fields, omitted when None). */
static const char *const optional_members[] = {
    "transition", "transition_type_registry_digest_sha256", "zk", "anchor", NULL
};

/* Validates every member; builds the committed form (with_seal: proof and next_root kept, sets as given). */
static mez_status_t build(apr_pool_t *p, const json_t *r, int with_seal, json_t **out, mez_problem_t *pb)
{
    const char *key;
    json_t *v, *o, *set;
    mez_status_t rv;
    char dt[21];

    if (!json_is_object(r))
        return bad(p, pb, "receipt.invalid", "", "a receipt is a JSON object");
    json_object_foreach((json_t *)r, key, v) {
        int known = 0;
        for (size_t i = 0; receipt_members[i]; i++)
            known |= !strcmp(key, receipt_members[i]);
        if (!known)
            return bad(p, pb, "receipt.unknown_field", mez_pointer_join(p, "", key),
                       "not a receipt member (the reference drops unknown members without committing them; mez "
                       "refuses them)");
    }
    v = json_object_get(r, "type");
    if (!json_is_string(v) || strcmp(json_string_value(v), MEZ_RECEIPT_TYPE))
        return bad(p, pb, "receipt.invalid_field", "/type", "type is \"" MEZ_RECEIPT_TYPE "\"");
    if (!is_uuid(json_object_get(r, "corridor_id")))
        return bad(p, pb, "receipt.invalid_field", "/corridor_id", "corridor_id is a lower-case UUID");
    v = json_object_get(r, "sequence");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(p, pb, "receipt.invalid_field", "/sequence", "sequence is a non-negative integer");
    v = json_object_get(r, "timestamp");
    if (!json_is_string(v) || !mez_mcf_datetime(json_string_value(v), json_string_length(v), dt)
        || strcmp(dt, json_string_value(v)))
        return bad(p, pb, "receipt.invalid_field", "/timestamp", "timestamp is UTC YYYY-MM-DDTHH:MM:SSZ");
    if (!is_hex64(json_object_get(r, "prev_root")))
        return bad(p, pb, "receipt.invalid_digest", "/prev_root", "prev_root is 64 lower-case hex characters");
    v = json_object_get(r, "next_root");
    if (v ? !is_hex64(v) : with_seal)
        return bad(p, pb, "receipt.invalid_digest", "/next_root", "next_root is 64 lower-case hex characters");
    v = json_object_get(r, "transition_type_registry_digest_sha256");
    if (v && !json_is_null(v) && !is_hex64(v))
        return bad(p, pb, "receipt.invalid_digest", "/transition_type_registry_digest_sha256",
                   "transition_type_registry_digest_sha256 is 64 lower-case hex characters");
    v = json_object_get(r, "proof");
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            if ((rv = proof_object(p, x, mez_pointer_index(p, "/proof", i), pb)) != MEZ_OK)
                return rv;
    }
    else if (v && (rv = proof_object(p, v, "/proof", pb)) != MEZ_OK)
        return rv;
    if ((rv = mez_mcf_check_portable(p, r, "", pb)) != MEZ_OK)
        return rv;

    o = mez_json_pool_own(p, json_object());
    json_object_set(o, "type", json_object_get(r, "type"));
    json_object_set(o, "corridor_id", json_object_get(r, "corridor_id"));
    json_object_set(o, "sequence", json_object_get(r, "sequence"));
    json_object_set(o, "timestamp", json_object_get(r, "timestamp"));
    json_object_set(o, "prev_root", json_object_get(r, "prev_root"));
    if ((rv = digest_set(p, json_object_get(r, "lawpack_digest_set"), "/lawpack_digest_set", !with_seal, &set, pb))
        != MEZ_OK)
        return rv;
    json_object_set(o, "lawpack_digest_set", set);
    if ((rv = digest_set(p, json_object_get(r, "ruleset_digest_set"), "/ruleset_digest_set", !with_seal, &set, pb))
        != MEZ_OK)
        return rv;
    json_object_set(o, "ruleset_digest_set", set);
    for (size_t i = 0; optional_members[i]; i++) {
        v = json_object_get(r, optional_members[i]);
        if (v && !json_is_null(v))
            json_object_set(o, optional_members[i], v);
    }
    if (with_seal) {
        json_object_set(o, "next_root", json_object_get(r, "next_root"));
        v = json_object_get(r, "proof");
        if (v)
            json_object_set(o, "proof", v);
    }
    *out = o;
    return MEZ_OK;
}

mez_status_t mez_receipt_payload(apr_pool_t *p, const json_t *receipt, json_t **payload, mez_problem_t *pb)
{
    return build(p, receipt, 0, payload, pb);
}

mez_status_t mez_receipt_next_root(apr_pool_t *p, const json_t *receipt, mez_digest_t *out, mez_problem_t *pb)
{
    json_t *payload;
    mez_status_t rv = build(p, receipt, 0, &payload, pb);
    return rv == MEZ_OK ? mez_mcf_digest(p, payload, out, pb) : rv;
}

mez_status_t mez_receipt_content_digest(apr_pool_t *p, const json_t *receipt, mez_digest_t *out,
                                        mez_problem_t *pb)
{
    json_t *whole;
    mez_status_t rv = build(p, receipt, 1, &whole, pb);
    return rv == MEZ_OK ? mez_mcf_digest(p, whole, out, pb) : rv;
}

mez_status_t mez_receipt_seal(apr_pool_t *p, json_t *receipt, mez_digest_t *out, mez_problem_t *pb)
{
    mez_digest_t d;
    mez_status_t rv = mez_receipt_next_root(p, receipt, &d, pb);
    if (rv != MEZ_OK)
        return rv;
    json_object_set_new(receipt, "next_root", json_string(mez_digest_hex(p, &d)));
    if (out)
        *out = d;
    return MEZ_OK;
}

mez_status_t mez_receipt_genesis_root(apr_pool_t *p, const char *corridor_id, const char *definition_payload_sha256,
                                      const char *agreement_set_sha256, const json_t *lawpack_digest_set,
                                      const json_t *ruleset_digest_set, mez_digest_t *out, mez_problem_t *pb)
{
    json_t *o = mez_json_pool_own(p, json_object()), *set, *id = mez_json_pool_own(p, json_string(corridor_id));
    mez_digest_t scratch;
    mez_status_t rv;

    if (!is_uuid(id))
        return bad(p, pb, "receipt.invalid_field", "/corridor_id", "corridor_id is a lower-case UUID");
    if ((rv = mez_receipt_hex_digest(p, definition_payload_sha256, "/definition_payload_sha256", &scratch, pb))
            != MEZ_OK
        || (rv = mez_receipt_hex_digest(p, agreement_set_sha256, "/agreement_set_sha256", &scratch, pb)) != MEZ_OK)
        return rv;
    json_object_set_new(o, "tag", json_string(MEZ_GENESIS_TAG));
    json_object_set(o, "corridor_id", id);
    json_object_set_new(o, "definition_payload_sha256", json_string(definition_payload_sha256));
    json_object_set_new(o, "agreement_set_sha256", json_string(agreement_set_sha256));
    if ((rv = digest_set(p, lawpack_digest_set, "/lawpack_digest_set", 1, &set, pb)) != MEZ_OK)
        return rv;
    json_object_set(o, "lawpack_digest_set", set);
    if ((rv = digest_set(p, ruleset_digest_set, "/ruleset_digest_set", 1, &set, pb)) != MEZ_OK)
        return rv;
    json_object_set(o, "ruleset_digest_set", set);
    return mez_mcf_digest(p, o, out, pb);
}

/* ------------------------------------------------------------------ the chain */

void mez_receipt_chain_init(mez_receipt_chain_t *c, const char *corridor_id, const mez_digest_t *genesis_root)
{
    c->corridor_id = corridor_id;
    c->genesis_root = *genesis_root;
    c->head = *genesis_root;
    mez_mmr_init(&c->mmr);
}

mez_status_t mez_receipt_chain_append(apr_pool_t *p, mez_receipt_chain_t *c, const json_t *receipt,
                                      mez_digest_t *next_root, mez_problem_t *pb)
{
    json_t *whole;
    mez_digest_t computed, claimed, prev;
    mez_status_t rv;
    json_int_t seq;

    /* Full validation first (next_root required): nothing below can fail on shape. */
    if ((rv = build(p, receipt, 1, &whole, pb)) != MEZ_OK)
        return rv;
    if (strcmp(json_string_value(json_object_get(receipt, "corridor_id")), c->corridor_id))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "receipt.corridor_mismatch", "/corridor_id",
                           "the receipt belongs to corridor %s, not %s",
                           json_string_value(json_object_get(receipt, "corridor_id")), c->corridor_id);
    seq = json_integer_value(json_object_get(receipt, "sequence"));
    if ((uint64_t)seq != c->mmr.size)
        return mez_problem(pb, p, MEZ_EINVAL, 409, "receipt.sequence_mismatch", "/sequence",
                           "sequence %" APR_INT64_T_FMT " is not the chain height %" APR_UINT64_T_FMT, (apr_int64_t)seq,
                           (apr_uint64_t)c->mmr.size);
    mez_receipt_hex_digest(p, json_string_value(json_object_get(receipt, "prev_root")), "/prev_root", &prev, pb);
    if (!mez_digest_equal(&prev, &c->head))
        return mez_problem(pb, p, MEZ_EINVAL, 409, "receipt.prev_root_mismatch", "/prev_root",
                           "prev_root is not the chain head %s", mez_digest_hex(p, &c->head));
    if ((rv = mez_receipt_next_root(p, receipt, &computed, pb)) != MEZ_OK)
        return rv;
    mez_receipt_hex_digest(p, json_string_value(json_object_get(receipt, "next_root")), "/next_root", &claimed, pb);
    if (!mez_digest_equal(&computed, &claimed))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "receipt.next_root_mismatch", "/next_root",
                           "next_root does not commit to this receipt (computed %s)", mez_digest_hex(p, &computed));
    mez_mmr_append(&c->mmr, &computed);
    c->head = computed;
    if (next_root)
        *next_root = computed;
    return MEZ_OK;
}
