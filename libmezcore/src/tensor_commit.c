/* tensor_commit.c: tensor commitments exactly as the reference computes them, and an RFC 9162 Merkle root
 * over many commitments (not the reference's padding rule, which lets two different lists share a root). */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <stdio.h>
#include <string.h>
#include "mez/json.h"
#include "mez/mmr.h"
#include "mez/tensor.h"

void mez_tensor_cells_fill(mez_tensor_cells_t *c, mez_state_t s)
{
    c->present = MEZ_DOMAIN_ALL;
    for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++)
        c->state[d] = s;
}

void mez_tensor_cells_clear(mez_tensor_cells_t *c)
{
    mez_tensor_cells_fill(c, MEZ_STATE_PENDING);
    c->present = 0;
}

void mez_tensor_cells_set(mez_tensor_cells_t *c, mez_domain_t d, mez_state_t s)
{
    c->present |= MEZ_DOMAIN_BIT(d);
    c->state[d] = s;
}

mez_status_t mez_tensor_cells_from_json(apr_pool_t *p, const json_t *obj, const char *pointer,
                                        mez_tensor_cells_t *out, mez_problem_t *pb)
{
    const char *key;
    json_t *v;
    mez_status_t rv;

    mez_tensor_cells_clear(out);
    if (!json_is_object(obj))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_field", pointer ? pointer : "",
                           "cells are an object of domain -> state");
    json_object_foreach((json_t *)obj, key, v) {
        const char *at = mez_pointer_join(p, pointer, key);
        mez_domain_t d;
        mez_state_t s;
        if ((rv = mez_domain_parse(p, key, at, &d, pb)) != MEZ_OK)
            return rv;
        if (!json_is_string(v))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_field", at, "a state is a string");
        if ((rv = mez_state_parse(p, json_string_value(v), at, &s, pb)) != MEZ_OK)
            return rv;
        mez_tensor_cells_set(out, d, s);
    }
    return MEZ_OK;
}

mez_status_t mez_tensor_check_jurisdiction_id(apr_pool_t *p, const char *jid, const char *pointer,
                                              mez_problem_t *pb)
{
    size_t n = jid ? strlen(jid) : 0;
    /* The narrow alphabet is what makes our RFC 8785 bytes equal the reference's MCF bytes (see below):
     * no ':' means no string can look like an RFC 3339 timestamp that MCF would rewrite, and ASCII
     * without quotes, backslashes or controls means no escaping and one key order. */
    if (n == 0 || n > 64)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char c = jid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.'))
            goto bad;
    }
    return MEZ_OK;
bad:
    return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.invalid_jurisdiction", pointer,
                       "'%s' is not a jurisdiction id (1 to 64 of A-Z a-z 0-9 . _ -, e.g. pk-sifc)", jid ? jid : "");
}

json_t *mez_tensor_commitment_payload(apr_pool_t *p, const char *jurisdiction_id, const mez_tensor_cells_t *c)
{
    json_t *cells = json_object(), *o = mez_json_pool_own(p, json_object());
    for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++)
        if (c->present & MEZ_DOMAIN_BIT(d))
            json_object_set_new(cells, mez_domain_name((mez_domain_t)d),
                                json_string(mez_state_name(c->state[d])));
    json_object_set_new(o, "cells", cells);
    json_object_set_new(o, "jurisdiction_id", json_string(jurisdiction_id));
    json_object_set_new(o, "schema_version", json_integer(1));
    return o;
}

/* Appends s at w and returns the new end (the caller has sized the buffer). */
static char *put(char *w, const char *s)
{
    size_t n = strlen(s);
    memcpy(w, s, n);
    return w + n;
}

mez_status_t mez_tensor_commitment(apr_pool_t *p, const char *jurisdiction_id, const mez_tensor_cells_t *c,
                                   mez_digest_t *out, mez_problem_t *pb)
{
    mez_status_t rv;
    /* The reference hashes MCF bytes (keys in UTF-8 byte order, floats refused, RFC 3339 strings rewritten);
     * we hash RFC 8785 bytes. For this payload they are the same bytes: every key and state is lower-case
     * ASCII (byte order = UTF-16 order), the only number is the integer 1, and the jurisdiction id is held
     * to an ASCII alphabet without ':' so nothing is escaped or rewritten. The vectors check it. */
    char buf[2048], *w = buf;
    unsigned order[MEZ_DOMAIN_COUNT], n = 0;
    int first = 1;

    if ((rv = mez_tensor_check_jurisdiction_id(p, jurisdiction_id, NULL, pb)) != MEZ_OK)
        return rv;
    /* Every evaluation is committed, so the canonical bytes are written directly rather than built as a JSON
     * tree and canonicalised (a tenth of an evaluation's cost). They equal the RFC 8785 bytes of
     * mez_tensor_commitment_payload() (unit tests compare both ways): ASCII names need no escaping, and
     * "cells" members go in byte order, which for ASCII is RFC 8785's UTF-16 order. */
    for (unsigned d = 0; d < MEZ_DOMAIN_COUNT; d++) {
        if (!(c->present & MEZ_DOMAIN_BIT(d)))
            continue;
        unsigned k = n++;
        while (k > 0 && strcmp(mez_domain_name((mez_domain_t)order[k - 1]), mez_domain_name((mez_domain_t)d)) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = d;
    }
    /* Plain copies, not sprintf: this runs for every evaluation, and printf's machinery was a visible share. */
    w = put(w, "{\"cells\":{");
    for (unsigned i = 0; i < n; i++) {
        w = put(w, first ? "\"" : ",\"");
        w = put(w, mez_domain_name((mez_domain_t)order[i]));
        w = put(w, "\":\"");
        w = put(w, mez_state_name(c->state[order[i]]));
        w = put(w, "\"");
        first = 0;
    }
    w = put(w, "},\"jurisdiction_id\":\"");
    w = put(w, jurisdiction_id);
    w = put(w, "\",\"schema_version\":1}");
    mez_digest_sha256(buf, (size_t)(w - buf), out);
    return MEZ_OK;
}

void mez_tensor_merkle_root(const mez_digest_t *leaves, size_t n, mez_digest_t *root)
{
    /* Why not the reference's rule: it pads to a power of two by repeating the last leaf and hashes
     * SHA-256(l||r) with no domain separation, so [a,b,c] and [a,b,c,c] get the same root and a leaf can
     * pass for a node. RFC 9162 prefixes leaves with 0x00 and nodes with 0x01 and splits unbalanced trees
     * instead of padding; it is the tree hash receipt chains use (DESIGN section 3), so one verifier serves
     * both, and the hashing lives in one place (mmr.c). The reference's single-leaf root is the leaf itself;
     * here it is SHA-256(0x00||leaf). */
    mez_mmr_tree_root(leaves, n, root);
}
