/* tensor_screen.c: sanctions and proscription screening of names: normalisation and a token index.
 * A hit is a hard block, so matching is explainable (exact or all-tokens, on a name or an alias), never a score. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "mez/tensor.h"
#include "tensor_int.h"
#include "tensor_fold_tables.h"

/* Latin-1 Supplement and Latin Extended-A (U+00C0..U+017F) folded to their base letters, one character per
 * code point; upper-case markers stand for two letters: A ae, O oe, T th, S ss, J ij; a space is a symbol
 * (x and division signs). Folding both cases to one form is what makes "Müller", "MULLER" and "müller" meet. */
static const char latin_fold[0x180 - 0xC0 + 1] =
    "aaaaaaAceeeeiiii" "dnooooo ouuuuyTS" "aaaaaaAceeeeiiii" "dnooooo ouuuuyTy"   /* U+00C0..U+00FF */
    "aaaaaaccccccccdd" "ddeeeeeeeeeegggg" "gggghhhhiiiiiiii" "iiJJjjkkklllllll"   /* U+0100..U+013F */
    "lllnnnnnnnnnoooo" "ooOOrrrrrrssssss" "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";  /* U+0140..U+017F */

typedef struct {
    char *data;
    size_t len;
} out_t;

static void put_utf8(out_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o->data[o->len++] = (char)cp;
    }
    else if (cp < 0x800) {
        o->data[o->len++] = (char)(0xC0 | (cp >> 6));
        o->data[o->len++] = (char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000) {
        o->data[o->len++] = (char)(0xE0 | (cp >> 12));
        o->data[o->len++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o->data[o->len++] = (char)(0x80 | (cp & 0x3F));
    }
    else {
        o->data[o->len++] = (char)(0xF0 | (cp >> 18));
        o->data[o->len++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o->data[o->len++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o->data[o->len++] = (char)(0x80 | (cp & 0x3F));
    }
}

static void put_space(out_t *o)
{
    /* Collapsing here (no space first, none doubled) leaves only a possible trailing space to trim. */
    if (o->len > 0 && o->data[o->len - 1] != ' ')
        o->data[o->len++] = ' ';
}

/* Decodes one UTF-8 sequence; a malformed byte reads as a space, one at a time (jansson has already refused
 * invalid UTF-8 in JSON input, so this only guards callers passing raw C strings, and keeps the output no
 * longer than the bound below). */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
    size_t n, i;
    uint32_t c;
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if ((s[0] & 0xE0) == 0xC0) { n = 2; c = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; c = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; c = s[0] & 0x07; }
    else { *cp = ' '; return 1; }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = ' '; return 1; }
        c = c << 6 | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

/* Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15.1): characters that render as
 * nothing (soft hyphen, zero-width spaces and joiners, bidirectional controls, variation selectors, Hangul
 * fillers, tags). Inside a word they leave it looking the same while splitting or changing its bytes, so a
 * listed name written with one would not match itself: they are deleted, not read as spaces. */
static int default_ignorable(uint32_t cp)
{
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C || (cp >= 0x115F && cp <= 0x1160)
           || (cp >= 0x17B4 && cp <= 0x17B5) || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x200B && cp <= 0x200F)
           || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x3164
           || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFF8)
           || (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A)
           || (cp >= 0xE0000 && cp <= 0xE0FFF);
}

/* The Latin letter a non-Latin letter is drawn like, or 0: a subset of Unicode's confusables.txt (UTS #39,
 * Unicode Security Mechanisms, the prototypes of the "MA" table) for the letters of the scripts that mix into Latin
 * text unseen: Cyrillic, Greek, Armenian and a few Latin IPA letters. "VAKHIT\u041eV" with a Cyrillic O reads as
 * the listed VAKHITOV and must match it. Applied to the listed names as well as to the screened name (a skeleton,
 * as UTS #39 compares), so a name genuinely in Cyrillic still matches itself: "Вахитов" and "ВАХИТОВ" both become
 * "baxиtob". Cyrillic letters map alike in both cases (their small forms are small capitals), so case still
 * does not matter in Cyrillic; Greek capitals and small letters differ in shape for eta, nu, upsilon and mu
 * (H/n, N/v, Y/u, M/mu), so those map by their case: a Greek-script name in capitals and the same name in small
 * letters then differ (the lists screened hold no Greek-script names; a homoglyph in a Latin name is the risk). */
static char confusable(uint32_t cp)
{
    switch (cp) {
    /* Cyrillic, capital and small */
    case 0x0410: case 0x0430: return 'a';
    case 0x0412: case 0x0432: return 'b';
    case 0x0415: case 0x0435: case 0x0400: case 0x0450: case 0x0401: case 0x0451: return 'e';
    case 0x041A: case 0x043A: return 'k';
    case 0x041C: case 0x043C: return 'm';
    case 0x041D: case 0x043D: case 0x04BA: case 0x04BB: return 'h';
    case 0x041E: case 0x043E: return 'o';
    case 0x0420: case 0x0440: return 'p';
    case 0x0421: case 0x0441: return 'c';
    case 0x0422: case 0x0442: return 't';
    case 0x0423: case 0x0443: case 0x04AE: case 0x04AF: return 'y';
    case 0x0425: case 0x0445: return 'x';
    case 0x0405: case 0x0455: return 's';
    case 0x0406: case 0x0456: case 0x0407: case 0x0457: case 0x04C0: return 'i';
    case 0x0408: case 0x0458: return 'j';
    case 0x04CF: return 'l';
    case 0x0500: case 0x0501: return 'd';
    case 0x051A: case 0x051B: return 'q';
    case 0x051C: case 0x051D: return 'w';
    /* Greek capitals */
    case 0x0391: return 'a';
    case 0x0392: return 'b';
    case 0x0395: return 'e';
    case 0x0396: return 'z';
    case 0x0397: return 'h';
    case 0x0399: case 0x03AA: return 'i';
    case 0x039A: return 'k';
    case 0x039C: return 'm';
    case 0x039D: return 'n';
    case 0x039F: return 'o';
    case 0x03A1: return 'p';
    case 0x03A4: return 't';
    case 0x03A5: case 0x03AB: return 'y';
    case 0x03A7: return 'x';
    /* Greek small */
    case 0x03B1: return 'a';
    case 0x03B3: return 'y';
    case 0x03B5: return 'e';
    case 0x03B7: return 'n';
    case 0x03B9: case 0x03CA: return 'i';
    case 0x03BA: return 'k';
    case 0x03BD: return 'v';
    case 0x03BF: return 'o';
    case 0x03C1: return 'p';
    case 0x03C4: return 't';
    case 0x03C5: case 0x03CB: return 'u';
    case 0x03C7: return 'x';
    case 0x03C9: return 'w';
    /* Armenian small letters drawn like Latin ones */
    case 0x0570: return 'h';
    case 0x0578: return 'n';
    case 0x057D: return 'u';
    case 0x0585: return 'o';
    /* Latin IPA letters */
    case 0x0251: return 'a';
    case 0x0261: return 'g';
    case 0x0269: return 'i';
    default: return 0;
    }
}

/* Apostrophes and the marks written for them: the ASCII apostrophe and grave accent, the acute accent, the
 * typographic single quotes and prime, and the modifier letters prime to left half ring (U+02B9..U+02BF: the
 * hamza and ayn of transliterated Arabic, "Rabi'i", "Rabiʿi"). They sit inside a word and are written or left
 * out at will ("NIDAL AL-RABI'I", IQi.070, is also "Nidal al-Rabii"), so they are deleted, not read as spaces:
 * as a space they split one word into two that match neither spelling. */
static int apostrophe(uint32_t cp)
{
    return cp == 0x27 || cp == 0x60 || cp == 0xB4 || (cp >= 0x02B9 && cp <= 0x02BF) || cp == 0x2018
           || cp == 0x2019 || cp == 0x201B || cp == 0x2032;
}

static void fold(out_t *o, uint32_t cp);

/* The letters a presentation form stands for, each folded in turn (they are ordinary letters: no recursion). */
static void fold_text(out_t *o, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;
    while (*s) {
        uint32_t cp;
        s += decode(s, &cp);
        fold(o, cp);
    }
}

/* A letter with diacritics outside Latin-1 and Latin Extended-A read as its base letter, as the decomposed
 * spelling (base letter + combining marks, the marks dropped below) already reads: "Moḥammad" written with
 * U+1E25 and with h + U+0323 must meet, and so must a composed and a decomposed Cyrillic "й". Returns the code
 * point to go on with; an ASCII letter is written at once (*done). */
static uint32_t base_letter(out_t *o, uint32_t cp, int *done)
{
    char c = 0;
    uint16_t b = 0;
    *done = 0;
    if (cp >= 0x0180 && cp <= 0x024F)
        c = fold_latin_ext_b[cp - 0x0180];
    else if (cp >= 0x1E00 && cp <= 0x1EFF)
        c = fold_latin_ext_add[cp - 0x1E00];
    else if (cp >= 0x0370 && cp <= 0x04FF)
        b = fold_greek_cyrillic[cp - 0x0370];
    else if (cp >= 0x1F00 && cp <= 0x1FFF)
        b = fold_greek_ext[cp - 0x1F00];
    if (c && c != ' ') {
        o->data[o->len++] = c;
        *done = 1;
        return cp;
    }
    return b ? b : cp;
}

static void fold(out_t *o, uint32_t cp)
{
    char c;
    int done;
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        cp -= 0xFEE0;                       /* full-width ASCII forms, common in East Asian input */
    if (cp >= 0xFB50 && cp <= 0xFEFF) {
        /* Arabic presentation forms (isolated, initial, medial, final, ligatures), as NFKC reads them: some list
         * entries are written in them, and a name typed in ordinary letters must still meet them. */
        const char *letters = cp <= 0xFDFF ? fold_arabic_pf_a[cp - 0xFB50]
                              : cp >= 0xFE70 ? fold_arabic_pf_b[cp - 0xFE70] : NULL;
        if (letters) {
            fold_text(o, letters);
            return;
        }
    }
    if (cp >= 0x0180 && ((cp = base_letter(o, cp, &done)), done))
        return;
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            o->data[o->len++] = (char)(cp + 32);
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
            o->data[o->len++] = (char)cp;
        else if (apostrophe(cp))
            ;
        else
            put_space(o);                   /* punctuation: "Lashkar-e-Taiba" reads as three words */
        return;
    }
    if (cp >= 0xAD && (default_ignorable(cp) || apostrophe(cp)))
        return;
    if (cp < 0xC0) {                        /* C1 controls, no-break space, Latin-1 punctuation and symbols */
        put_space(o);
        return;
    }
    if (cp <= 0x17F) {
        char f = latin_fold[cp - 0xC0];
        switch (f) {
        case ' ': put_space(o); return;
        case 'A': o->data[o->len++] = 'a'; o->data[o->len++] = 'e'; return;
        case 'O': o->data[o->len++] = 'o'; o->data[o->len++] = 'e'; return;
        case 'T': o->data[o->len++] = 't'; o->data[o->len++] = 'h'; return;
        case 'S': o->data[o->len++] = 's'; o->data[o->len++] = 's'; return;
        case 'J': o->data[o->len++] = 'i'; o->data[o->len++] = 'j'; return;
        default: o->data[o->len++] = f; return;
        }
    }
    if (cp >= 0x0300 && cp <= 0x036F)
        return;                             /* combining diacritics of decomposed input */
    if (cp <= 0x0585 && (c = confusable(cp)) != 0) {
        o->data[o->len++] = c;
        return;
    }
    if (cp >= 0x1D400 && cp <= 0x1D6A3) {
        /* Mathematical alphanumeric letters (bold, italic, script, ... A-Z a-z in 13 styles of 52): Latin
         * letters in another dress, as NFKC reads them. */
        uint32_t k = (cp - 0x1D400) % 52;
        o->data[o->len++] = (char)('a' + (k < 26 ? k : k - 26));
        return;
    }
    if (cp >= 0x1D7CE && cp <= 0x1D7FF) {   /* mathematical digits, five styles of ten */
        o->data[o->len++] = (char)('0' + (cp - 0x1D7CE) % 10);
        return;
    }
    if (cp >= 0x0391 && cp <= 0x03A9 && cp != 0x03A2)
        cp += 0x20;                         /* Greek capitals */
    else if (cp == 0x03C2)
        cp = 0x03C3;                        /* final sigma is a sigma */
    else if (cp >= 0x0410 && cp <= 0x042F)
        cp += 0x20;                         /* Cyrillic capitals */
    else if (cp == 0x0401 || cp == 0x0451)
        cp = 0x0435;                        /* yo is written as ye in most Russian name records */
    else if (cp >= 0x0400 && cp <= 0x040F)
        cp += 0x50;
    /* Arabic script (Arabic, Urdu, Persian names): vowel marks and the tatweel are optional in writing, and
     * the alef, teh marbuta, yeh and kaf variants are spelt interchangeably in transliterated lists. */
    else if ((cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || cp == 0x0640)
        return;
    else if (cp == 0x0622 || cp == 0x0623 || cp == 0x0625 || cp == 0x0671)
        cp = 0x0627;
    else if (cp == 0x0629)
        cp = 0x0647;
    else if (cp == 0x0649 || cp == 0x06CC)
        cp = 0x064A;
    else if (cp == 0x06A9)
        cp = 0x0643;
    else if (cp == 0x06C1 || cp == 0x06BE || cp == 0x06C3 || cp == 0x06D5)
        cp = 0x0647;                        /* Urdu heh goal, heh doachashmee, teh marbuta goal; ae: heh */
    else if (cp == 0x06D2 || cp == 0x06D3)
        cp = 0x064A;                        /* Urdu yeh barree: yeh */
    else if (cp >= 0x0660 && cp <= 0x0669)
        cp = '0' + (cp - 0x0660);
    else if (cp >= 0x06F0 && cp <= 0x06F9)
        cp = '0' + (cp - 0x06F0);
    else if (cp == 0x060C || cp == 0x061B || cp == 0x061F || (cp >= 0x066A && cp <= 0x066D) || cp == 0x06D4) {
        put_space(o);
        return;
    }
    else if ((cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000 || (cp >= 0x3001 && cp <= 0x3003)) {
        put_space(o);                       /* typographic spaces, dashes, quotes, ideographic punctuation */
        return;
    }
    put_utf8(o, cp);
}

int mez_tensor_name_too_long(const char *name)
{
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)name; s && *s; s++)
        if ((*s & 0xC0) != 0x80 && ++n > MEZ_TENSOR_NAME_MAX)
            return 1;
    return 0;
}

const char *mez_tensor_name_normalise(apr_pool_t *p, const char *name)
{
    const unsigned char *s = (const unsigned char *)(name ? name : "");
    size_t n = strlen((const char *)s);
    out_t o;
    /* A code point never grows by more than its own bytes, except the Arabic presentation forms: a ligature of
     * 3 bytes reads as up to 33 (U+FDFA, a whole phrase; tensor_fold_tables.h), so 11n + 1 bounds every case.
     * Screened names are at most MEZ_TENSOR_NAME_MAX characters. */
    o.data = apr_palloc(p, 11 * n + 1);
    o.len = 0;
    while (*s) {
        uint32_t cp;
        s += decode(s, &cp);
        /* The English possessive ("Islamic State's Khorasan Province", QDe.161) keeps reading as the word and an
         * "s", so that the name still holds the word "state"; an apostrophe anywhere else is deleted. */
        if (apostrophe(cp) && (s[0] == 's' || s[0] == 'S')
            && !((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9')
                 || s[1] >= 0x80))
            put_space(&o);
        else
            fold(&o, cp);
    }
    if (o.len > 0 && o.data[o.len - 1] == ' ')
        o.len--;
    o.data[o.len] = '\0';
    return o.data;
}

typedef struct {
    const char *norm;
    const char **tokens;
    size_t ntok;
    const char *name;
    int alias;
    const void *entry;
    size_t seq;
} listed_t;

struct mez_tensor_screen_t {
    apr_pool_t *p;
    apr_hash_t *exact;      /* normalised name -> array of listed_t * */
    apr_hash_t *by_token;   /* one token of each multi-token name -> array of listed_t * */
    size_t count;
};

mez_tensor_screen_t *mez_tensor_screen_create(apr_pool_t *p)
{
    mez_tensor_screen_t *s = apr_pcalloc(p, sizeof(*s));
    s->p = p;
    s->exact = apr_hash_make(p);
    s->by_token = apr_hash_make(p);
    return s;
}

/* Splits a normalised name (single spaces, no edges) into its tokens, in place in a copy. */
static const char **tokenise(apr_pool_t *p, const char *norm, size_t *ntok)
{
    char *copy = apr_pstrdup(p, norm), *c;
    size_t n = 1, k = 0;
    const char **toks;
    for (c = copy; *c; c++)
        n += *c == ' ';
    toks = apr_palloc(p, n * sizeof(*toks));
    toks[k++] = copy;
    for (c = copy; *c; c++) {
        if (*c == ' ') {
            *c = '\0';
            toks[k++] = c + 1;
        }
    }
    *ntok = k;
    return toks;
}

void mez_tensor_screen_add(mez_tensor_screen_t *s, const char *name, int alias, const void *entry)
{
    listed_t *l;
    const char *norm = mez_tensor_name_normalise(s->p, name);
    size_t longest = 0;
    if (!*norm)
        return;             /* nothing left to compare: such a name can never be matched, by design */
    l = apr_pcalloc(s->p, sizeof(*l));
    l->norm = norm;
    l->name = name;
    l->alias = alias;
    l->entry = entry;
    l->seq = s->count++;
    l->tokens = tokenise(s->p, norm, &l->ntok);
    mez_tensor_push(s->p, s->exact, norm, l);
    if (l->ntok < 2)
        return;             /* one word ("Daesh") matches only exactly: a lone word inside a name says too little */
    /* A name whose every token is in the screened name has in particular its longest token there, so one
     * posting per name suffices; the longest token is the rarest in practice, which keeps postings short. */
    for (size_t i = 1; i < l->ntok; i++)
        if (strlen(l->tokens[i]) > strlen(l->tokens[longest]))
            longest = i;
    mez_tensor_push(s->p, s->by_token, l->tokens[longest], l);
}

size_t mez_tensor_screen_size(const mez_tensor_screen_t *s)
{
    return s->count;
}

typedef struct {
    const listed_t *l;
    mez_screen_match_t how;
} found_t;

/* Lower is better: an exact match, then the primary name, then the earlier listed name. */
static int better(const listed_t *a, mez_screen_match_t ha, const listed_t *b, mez_screen_match_t hb)
{
    if (ha != hb)
        return ha == MEZ_SCREEN_EXACT;
    if (a->alias != b->alias)
        return !a->alias;
    return a->seq < b->seq;
}

static void note(apr_pool_t *p, apr_hash_t *by_entry, const listed_t *l, mez_screen_match_t how)
{
    found_t *f = apr_hash_get(by_entry, &l->entry, sizeof(l->entry));
    if (f && !better(l, how, f->l, f->how))
        return;
    if (!f) {
        f = apr_palloc(p, sizeof(*f));
        apr_hash_set(by_entry, &l->entry, sizeof(l->entry), f);
    }
    f->l = l;
    f->how = how;
}

static int hit_cmp(const void *x, const void *y)
{
    const found_t *const *a = x, *const *b = y;
    return (*a)->l->seq < (*b)->l->seq ? -1 : (*a)->l->seq > (*b)->l->seq;
}

size_t mez_tensor_screen_match(const mez_tensor_screen_t *s, apr_pool_t *p, const char *name,
                               mez_tensor_screen_hit_t **hits)
{
    return mez_tensor_screen_match_normalised(s, p, mez_tensor_name_normalise(p, name), hits);
}

size_t mez_tensor_screen_match_normalised(const mez_tensor_screen_t *s, apr_pool_t *p, const char *norm,
                                          mez_tensor_screen_hit_t **hits)
{
    apr_hash_t *have, *by_entry;
    apr_array_header_t *a;
    apr_hash_index_t *hi;
    const char **toks;
    found_t **found;
    size_t ntok, i, j, n = 0;

    *hits = NULL;
    if (!*norm)
        return 0;
    toks = tokenise(p, norm, &ntok);
    have = apr_hash_make(p);
    for (i = 0; i < ntok; i++)
        apr_hash_set(have, toks[i], APR_HASH_KEY_STRING, "");
    by_entry = apr_hash_make(p);

    if ((a = apr_hash_get(s->exact, norm, APR_HASH_KEY_STRING)) != NULL)
        for (i = 0; i < (size_t)a->nelts; i++)
            note(p, by_entry, APR_ARRAY_IDX(a, i, listed_t *), MEZ_SCREEN_EXACT);
    for (i = 0; i < ntok; i++) {
        if (apr_hash_get(have, toks[i], APR_HASH_KEY_STRING) == NULL)
            continue;
        /* Each distinct token once: a repeated word must not report the same candidates twice. */
        apr_hash_set(have, toks[i], APR_HASH_KEY_STRING, NULL);
        if ((a = apr_hash_get(s->by_token, toks[i], APR_HASH_KEY_STRING)) == NULL)
            continue;
        for (j = 0; j < (size_t)a->nelts; j++) {
            const listed_t *l = APR_ARRAY_IDX(a, j, listed_t *);
            size_t k;
            if (!strcmp(l->norm, norm))
                continue;   /* already an exact hit */
            for (k = 0; k < l->ntok; k++) {
                size_t m;
                for (m = 0; m < ntok && strcmp(toks[m], l->tokens[k]); m++)
                    ;
                if (m == ntok)
                    break;
            }
            if (k == l->ntok)
                note(p, by_entry, l, MEZ_SCREEN_ALL_TOKENS);
        }
    }

    n = apr_hash_count(by_entry);
    if (n == 0)
        return 0;
    found = apr_palloc(p, n * sizeof(*found));
    for (i = 0, hi = apr_hash_first(p, by_entry); hi; hi = apr_hash_next(hi))
        found[i++] = apr_hash_this_val(hi);
    /* Hash order is not stable across runs; the output must be, so hits come back in list order. */
    qsort(found, n, sizeof(*found), hit_cmp);
    *hits = apr_palloc(p, n * sizeof(**hits));
    for (i = 0; i < n; i++) {
        (*hits)[i].entry = found[i]->l->entry;
        (*hits)[i].matched_name = found[i]->l->name;
        (*hits)[i].alias = found[i]->l->alias;
        (*hits)[i].how = found[i]->how;
    }
    return n;
}
