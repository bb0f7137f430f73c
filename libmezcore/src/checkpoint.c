/* checkpoint.c: C2SP tlog-checkpoint bodies inside C2SP signed notes with Ed25519 signatures (mez/checkpoint.h),
 * and the signer's rule that a new checkpoint must be provably consistent with the last one it signed. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/checkpoint.h"
#include "mez/json.h"
#include "mez/mmr.h"
#include "mez/pack.h"

#define SIG_TYPE_ED25519 0x01
#define EM_DASH_SPACE "\xe2\x80\x94 "   /* "— " opens every signature line */
#define MAX_SIGNATURES 100              /* signed-note verifiers bound the work a note can ask of them */

static int bad_name_char(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '+'
           || (unsigned char)c < 0x20;
}


static int valid_key_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (bad_name_char(s[i]))
            return 0;
    return 1;
}

mez_status_t mez_checkpoint_origin(apr_pool_t *p, const char *zone_id, const char *corridor_id, const char **out,
                                   mez_problem_t *pb)
{
    const char *parts[2] = { zone_id, corridor_id };
    for (int i = 0; i < 2; i++) {
        const char *s = parts[i];
        if (!s || !*s || strchr(s, '/') || !valid_key_name(s, strlen(s)))
            return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.invalid_origin", NULL,
                               "a zone id and a corridor id are non-empty, without whitespace, '/' or '+'");
    }
    *out = apr_pstrcat(p, zone_id, "/corridors/", corridor_id, NULL);
    return MEZ_OK;
}

const char *mez_checkpoint_body(apr_pool_t *p, const mez_checkpoint_t *cp)
{
    return apr_psprintf(p, "%s\n%" APR_UINT64_T_FMT "\n%s\n", cp->origin, (apr_uint64_t)cp->size,
                        mez_pack_base64_encode(p, cp->root.bytes, MEZ_DIGEST_LEN));
}

void mez_checkpoint_key_id(const char *key_name, const mez_key_t *key, unsigned char id[4])
{
    size_t n = strlen(key_name);
    unsigned char buf[1024 + 2 + MEZ_ED25519_PUBLIC_LEN], *big = NULL, *b = buf;
    mez_digest_t d;
    if (n > 1024)
        b = big = malloc(n + 2 + MEZ_ED25519_PUBLIC_LEN);
    if (!b)
        abort();
    memcpy(b, key_name, n);
    b[n] = '\n';
    b[n + 1] = SIG_TYPE_ED25519;
    mez_key_public_bytes(key, b + n + 2);
    mez_digest_sha256(b, n + 2 + MEZ_ED25519_PUBLIC_LEN, &d);
    memcpy(id, d.bytes, 4);
    free(big);
}

const char *mez_checkpoint_vkey(apr_pool_t *p, const char *key_name, const mez_key_t *key)
{
    unsigned char id[4], enc[1 + MEZ_ED25519_PUBLIC_LEN];
    mez_checkpoint_key_id(key_name, key, id);
    enc[0] = SIG_TYPE_ED25519;
    mez_key_public_bytes(key, enc + 1);
    return apr_psprintf(p, "%s+%02x%02x%02x%02x+%s", key_name, id[0], id[1], id[2], id[3],
                        mez_pack_base64_encode(p, enc, sizeof(enc)));
}

mez_status_t mez_checkpoint_vkey_parse(apr_pool_t *p, const char *vkey, const char **key_name, mez_key_t **key,
                                       mez_problem_t *pb)
{
    const char *plus1 = vkey ? strchr(vkey, '+') : NULL, *plus2 = plus1 ? strchr(plus1 + 1, '+') : NULL;
    unsigned char *raw, id[4];
    size_t rawlen;
    const char *name, *hex;

    if (!plus1 || !plus2 || plus2 - plus1 != 9 || !valid_key_name(vkey, (size_t)(plus1 - vkey)))
        goto bad;
    name = apr_pstrmemdup(p, vkey, (size_t)(plus1 - vkey));
    if (mez_pack_base64_decode(p, plus2 + 1, strlen(plus2 + 1), &raw, &rawlen)
        || rawlen != 1 + MEZ_ED25519_PUBLIC_LEN || raw[0] != SIG_TYPE_ED25519)
        goto bad;
    if (mez_key_from_public(p, raw + 1, key, pb) != MEZ_OK)
        goto bad;
    mez_checkpoint_key_id(name, *key, id);
    hex = apr_psprintf(p, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
    if (strncmp(hex, plus1 + 1, 8))
        goto bad;
    *key_name = name;
    return MEZ_OK;
bad:
    return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.invalid_vkey", NULL,
                       "not an Ed25519 verifier key \"<name>+<8 hex key id>+<base64(0x01 || key)>\"");
}

mez_status_t mez_note_sign(apr_pool_t *p, const char *text, const char *key_name, const mez_key_t *key,
                           const char **note, mez_problem_t *pb)
{
    unsigned char blob[4 + MEZ_ED25519_SIG_LEN];
    size_t n = text ? strlen(text) : 0;
    mez_status_t rv;

    if (!key_name || !valid_key_name(key_name, strlen(key_name)))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.invalid_key_name", NULL,
                           "a note key name is non-empty, without whitespace or '+'");
    if (n == 0 || text[n - 1] != '\n' || strstr(text, "\n\n") || !mez_utf8_valid(text, n))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.malformed", NULL,
                           "a note text is non-empty lines, each ending in a newline");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
            return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.malformed", NULL,
                               "a note's text holds no control characters");
    mez_checkpoint_key_id(key_name, key, blob);
    if ((rv = mez_key_sign(key, text, n, blob + 4, pb, p)) != MEZ_OK)
        return rv;
    *note = apr_pstrcat(p, text, "\n", EM_DASH_SPACE, key_name, " ", mez_pack_base64_encode(p, blob, sizeof(blob)),
                        "\n", NULL);
    return MEZ_OK;
}

mez_status_t mez_checkpoint_sign(apr_pool_t *p, const mez_checkpoint_t *cp, const char *key_name,
                                 const mez_key_t *key, const char **note, mez_problem_t *pb)
{
    if (!cp->origin || !*cp->origin || strchr(cp->origin, '\n'))
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.invalid_origin", NULL, "the origin is one line");
    return mez_note_sign(p, mez_checkpoint_body(p, cp), key_name, key, note, pb);
}

static mez_status_t malformed(apr_pool_t *p, mez_problem_t *pb, const char *code, const char *what)
{
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, NULL, "%s", what);
}

/* The checkpoint lines of a verified note text: origin, decimal size, base64 root, optional non-empty
 * extension lines. */
static mez_status_t parse_body(apr_pool_t *p, const char *text, size_t len, mez_checkpoint_t *cp, mez_problem_t *pb)
{
    const char *line[3], *end = text + len, *s = text;
    size_t llen[3];
    unsigned char *raw;
    size_t rawlen;
    uint64_t size = 0;

    for (int i = 0; i < 3; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            return malformed(p, pb, "checkpoint.invalid_body", "a checkpoint has origin, size and root lines");
        line[i] = s;
        llen[i] = (size_t)(nl - s);
        s = nl + 1;
    }
    for (const char *x = s; x < end; x++)   /* extension lines: non-empty */
        if (*x == '\n' && (x == s || x[-1] == '\n'))
            return malformed(p, pb, "checkpoint.invalid_body", "an extension line is empty");
    if (llen[0] == 0)
        return malformed(p, pb, "checkpoint.invalid_body", "the origin line is empty");
    if (llen[1] == 0 || llen[1] > 20 || (llen[1] > 1 && line[1][0] == '0'))
        return malformed(p, pb, "checkpoint.invalid_body", "the size is a decimal number without leading zeros");
    for (size_t i = 0; i < llen[1]; i++) {
        unsigned dgt = (unsigned)(line[1][i] - '0');
        if (dgt > 9 || size > (UINT64_MAX - dgt) / 10)
            return malformed(p, pb, "checkpoint.invalid_body", "the size is a decimal number below 2^64");
        size = size * 10 + dgt;
    }
    if (mez_pack_base64_decode(p, line[2], llen[2], &raw, &rawlen) || rawlen != MEZ_DIGEST_LEN)
        return malformed(p, pb, "checkpoint.invalid_body", "the root hash is 32 bytes in standard base64");
    cp->origin = apr_pstrmemdup(p, line[0], llen[0]);
    cp->size = size;
    memcpy(cp->root.bytes, raw, MEZ_DIGEST_LEN);
    return MEZ_OK;
}

mez_status_t mez_note_open(apr_pool_t *p, const char *note, size_t len, const char *key_name, const mez_key_t *key,
                           size_t *text_len, mez_problem_t *pb)
{
    size_t split = 0, textlen, nsig = 0;
    const char *s, *end = note + len;
    unsigned char id[4];
    int found = 0, good = 0;

    /* The signature block starts after the LAST blank line; the text before it ends with its newline. */
    for (size_t i = len; i-- > 1;)
        if (note[i] == '\n' && note[i - 1] == '\n') {
            split = i;
            break;
        }
    if (split == 0 || len == 0 || note[len - 1] != '\n')
        return malformed(p, pb, "checkpoint.malformed", "a signed note is text, a blank line and signature lines");
    /* signed-note requires well-formed UTF-8 of the whole note: a verifier that accepted other bytes could
     * disagree with others on the text. */
    if (!mez_utf8_valid(note, len))
        return malformed(p, pb, "checkpoint.malformed", "a signed note is UTF-8");
    textlen = split;   /* up to and including the newline before the blank line */
    for (size_t i = 0; i < textlen; i++)
        if ((unsigned char)note[i] < 0x20 && note[i] != '\n')
            return malformed(p, pb, "checkpoint.malformed", "a note's text holds no control characters");
    mez_checkpoint_key_id(key_name, key, id);
    for (s = note + split + 1; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s)), *name, *sp;
        unsigned char *blob;
        size_t bloblen, dl = strlen(EM_DASH_SPACE);
        if (!nl || (size_t)(nl - s) < dl || memcmp(s, EM_DASH_SPACE, dl) || ++nsig > MAX_SIGNATURES)
            return malformed(p, pb, "checkpoint.malformed", "a signature line is \"— <name> <base64>\"");
        name = s + dl;
        sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp || !valid_key_name(name, (size_t)(sp - name))
            || mez_pack_base64_decode(p, sp + 1, (size_t)(nl - sp - 1), &blob, &bloblen) || bloblen < 5)
            return malformed(p, pb, "checkpoint.malformed", "a signature line is \"— <name> <base64>\"");
        if ((size_t)(sp - name) == strlen(key_name) && !memcmp(name, key_name, (size_t)(sp - name))
            && !memcmp(blob, id, 4)) {
            found = 1;
            if (bloblen == 4 + MEZ_ED25519_SIG_LEN && mez_key_verify(key, note, textlen, blob + 4, MEZ_ED25519_SIG_LEN))
                good = 1;
        }
        s = nl + 1;
    }
    if (nsig == 0)
        return malformed(p, pb, "checkpoint.malformed", "a signed note has at least one signature line");
    if (!found)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.unsigned", NULL,
                           "no signature by key %s on this note", key_name);
    if (!good)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "checkpoint.bad_signature", NULL,
                           "the signature by key %s does not verify", key_name);
    *text_len = textlen;
    return MEZ_OK;
}

mez_status_t mez_checkpoint_open(apr_pool_t *p, const char *note, size_t len, const char *key_name,
                                 const mez_key_t *key, mez_checkpoint_t *out, mez_problem_t *pb)
{
    size_t textlen;
    mez_checkpoint_t cp;
    mez_status_t rv;
    if ((rv = mez_note_open(p, note, len, key_name, key, &textlen, pb)) != MEZ_OK
        || (rv = parse_body(p, note, textlen, &cp, pb)) != MEZ_OK)
        return rv;
    if (out)
        *out = cp;
    return MEZ_OK;
}

mez_status_t mez_checkpoint_sign_next(apr_pool_t *p, const char *prev_note, const mez_checkpoint_t *next,
                                      const mez_digest_t *proof, size_t len, const char *key_name,
                                      const mez_key_t *key, const char **note, mez_problem_t *pb)
{
    mez_checkpoint_t prev;
    mez_status_t rv;

    if (prev_note) {
        if ((rv = mez_checkpoint_open(p, prev_note, strlen(prev_note), key_name, key, &prev, pb)) != MEZ_OK)
            return rv;
        if (!next->origin || strcmp(prev.origin, next->origin))
            return mez_problem(pb, p, MEZ_EINVAL, 409, "checkpoint.origin_mismatch", NULL,
                               "the last checkpoint is for %s", prev.origin);
        /* The empty tree is a prefix of every tree; otherwise RFC 9162 decides (equal sizes: equal roots). */
        if (prev.size > 0 && !mez_mmr_verify_consistency(prev.size, next->size, &prev.root, &next->root, proof, len))
            return mez_problem(pb, p, MEZ_EINVAL, 409, "checkpoint.inconsistent", NULL,
                               "the tree of size %" APR_UINT64_T_FMT " is not proven to extend the signed tree of size %" APR_UINT64_T_FMT,
                               (apr_uint64_t)next->size, (apr_uint64_t)prev.size);
    }
    return mez_checkpoint_sign(p, next, key_name, key, note, pb);
}
