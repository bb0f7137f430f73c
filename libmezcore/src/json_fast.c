/* json_fast.c: a quick reader for well-formed JSON, building the same jansson values json_loadb would.
 *
 * Every request body goes through mez_json_parse, and jansson's reader costs more than what it reads: for a
 * 470-byte compliance preview it took ~6.8 us, a seventh of the whole request's server time (bench/run, perf),
 * because it pulls each byte through a stream callback into a growing buffer and copies every string twice. This
 * reader walks the buffer once, checks UTF-8 in runs, and hands jansson each string and key with its length.
 *
 * It only ever says yes to a document json_loadb (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL) would
 * accept, with equal values; for anything else (a syntax error, bad UTF-8, a duplicate or NUL-bearing key, an
 * integer beyond 64 bits, a real that overflows, nesting deeper than jansson's limit, a locale whose decimal point
 * is not '.') it declines, and mez_json_parse asks jansson, whose error (code, line, column) is the answer. So the
 * problems clients see are jansson's, unchanged, and this file needs to be right about valid JSON only: the unit
 * suite compares it with json_loadb on every document it has and on mutations of them. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mez/json.h"

/* jansson's JSON_PARSER_MAX_DEPTH: deeper documents are left to it (it refuses them). */
#define FAST_MAX_DEPTH 2048

typedef struct {
    const unsigned char *p, *end;
    char *scratch;          /* unescaped strings; as long as the input, so always enough */
    int depth;
} reader_t;

static void skip_ws(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), 0 if it is not one: RFC 3629, no overlongs, no
 * surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n = (size_t)(end - s);
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

int mez_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        size_t k = *u < 0x80 ? 1 : utf8_seq(u, end);
        if (!k)
            return 0;
        u += k;
    }
    return 1;
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *w, unsigned cp)
{
    if (cp < 0x80)
        *w++ = (char)cp;
    else if (cp < 0x800) {
        *w++ = (char)(0xc0 | cp >> 6);
        *w++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xe0 | cp >> 12);
        *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *w++ = (char)(0xf0 | cp >> 18);
        *w++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
    }
    return w;
}

/* The string whose opening quote r->p is at: *s points into the input when it has no escape, else into
 * r->scratch; *n is its length in bytes. -1 to decline. */
static int read_string(reader_t *r, const char **s, size_t *n)
{
    const unsigned char *start = ++r->p, *q = start;
    char *w;
    /* The common case: no escape. Printable ASCII is checked a byte at a time in a tight loop. */
    while (q < r->end) {
        unsigned c = *q;
        if (c == '"') {
            *s = (const char *)start;
            *n = (size_t)(q - start);
            r->p = q + 1;
            return 0;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            return -1;
        if (c < 0x80)
            q++;
        else {
            size_t k = utf8_seq(q, r->end);
            if (!k)
                return -1;
            q += k;
        }
    }
    if (q >= r->end)
        return -1;
    /* Escapes: copy what came before, then unescape the rest into scratch. */
    w = r->scratch;
    memcpy(w, start, (size_t)(q - start));
    w += q - start;
    while (q < r->end) {
        unsigned c = *q;
        if (c == '"') {
            *s = r->scratch;
            *n = (size_t)(w - r->scratch);
            r->p = q + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c >= 0x80) {
            size_t k = utf8_seq(q, r->end);
            if (!k)
                return -1;
            memcpy(w, q, k);
            w += k;
            q += k;
            continue;
        }
        if (c != '\\') {
            *w++ = (char)c;
            q++;
            continue;
        }
        if (++q >= r->end)
            return -1;
        switch (*q++) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (r->end - q < 4 || hex4(q, &cp))
                return -1;
            q += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return -1;                 /* a low surrogate first */
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return -1;
                q += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            w = put_utf8(w, cp);
            break;
        }
        default:
            return -1;
        }
    }
    return -1;
}

/* A number, as jansson reads one: an integer (no fraction, no exponent) into json_int_t, else a double by strtod
 * of the same text. -1 to decline (bad syntax, an integer beyond 64 bits, a real that overflows). */
static json_t *read_number(reader_t *r)
{
    const unsigned char *start = r->p, *q = r->p;
    int real = 0;
    char text[64], *end;
    size_t n;
    if (q < r->end && *q == '-')
        q++;
    if (q >= r->end)
        return NULL;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    else
        return NULL;
    if (q < r->end && *q == '.') {
        real = 1;
        if (++q >= r->end || *q < '0' || *q > '9')
            return NULL;
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        if (++q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return NULL;
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    n = (size_t)(q - start);
    if (n >= sizeof(text))
        return NULL;            /* long numbers are rare: jansson reads them */
    memcpy(text, start, n);
    text[n] = '\0';
    r->p = q;
    errno = 0;
    if (!real) {
        long long v = strtoll(text, &end, 10);
        if (errno == ERANGE || end != text + n)
            return NULL;        /* beyond 64 bits: mez_json_parse's retry reads the document as reals */
        return json_integer((json_int_t)v);
    } else {
        double d = strtod(text, &end);
        if (end != text + n || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
            return NULL;
        return json_real(d);
    }
}

static json_t *read_value(reader_t *r);

/* Past the opening bracket: 1 when the list is empty (its `close` consumed), else 0 at its first item. */
static int list_open(reader_t *r, char close)
{
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 1;
    }
    return 0;
}

/* After a member or element: 1 when `close` ends the list (and is consumed), 0 after a ',' (more follow), -1 on
 * anything else (the caller declines). */
static int list_next(reader_t *r, char close)
{
    skip_ws(r);
    if (r->p >= r->end)
        return -1;
    if (*r->p == close) {
        r->p++;
        return 1;
    }
    return *r->p++ == ',' ? 0 : -1;
}

static json_t *read_array(reader_t *r)
{
    json_t *a = json_array(), *v;
    if (list_open(r, ']'))
        return a;
    for (;;) {
        int next;
        if (!(v = read_value(r)) || json_array_append_new(a, v) || (next = list_next(r, ']')) < 0)
            break;
        if (next)
            return a;
    }
    json_decref(a);
    return NULL;
}

static json_t *read_object(reader_t *r)
{
    json_t *o = json_object(), *v;
    const char *key;
    size_t klen;
    if (list_open(r, '}'))
        return o;
    for (;;) {
        char *kcopy = NULL;
        int next;
        if (r->p >= r->end || *r->p != '"' || read_string(r, &key, &klen))
            break;
        /* jansson refuses a key with NUL in it, and a duplicate: decline, so that it says so. */
        if (memchr(key, '\0', klen) || json_object_getn(o, key, klen))
            break;
        /* An unescaped key points into the input; an escaped one into scratch, which the value may reuse. */
        if (key == r->scratch) {
            if (!(kcopy = malloc(klen + 1)))
                break;
            memcpy(kcopy, key, klen);
            key = kcopy;
        }
        skip_ws(r);
        if (r->p >= r->end || *r->p++ != ':') {
            free(kcopy);
            break;
        }
        v = read_value(r);
        if (!v || json_object_setn_new_nocheck(o, key, klen, v)) {
            free(kcopy);
            break;
        }
        free(kcopy);
        if ((next = list_next(r, '}')) < 0)
            break;
        if (next)
            return o;
        skip_ws(r);
    }
    json_decref(o);
    return NULL;
}

static json_t *literal(reader_t *r, const char *word, size_t n, json_t *v)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
        return NULL;
    r->p += n;
    return v;
}

static json_t *read_value(reader_t *r)
{
    json_t *v = NULL;
    const char *s;
    size_t n;
    skip_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
    case '[':
        if (++r->depth > FAST_MAX_DEPTH)
            return NULL;
        v = *r->p == '{' ? read_object(r) : read_array(r);
        r->depth--;
        return v;
    case '"':
        return read_string(r, &s, &n) ? NULL : json_stringn_nocheck(s, n);
    case 't':
        return literal(r, "true", 4, json_true());
    case 'f':
        return literal(r, "false", 5, json_false());
    case 'n':
        return literal(r, "null", 4, json_null());
    default:
        return read_number(r);
    }
}

json_t *mez_json_fast_parse(const char *buf, size_t len)
{
    reader_t r;
    json_t *v;
    const struct lconv *lc = localeconv();
    /* strtod follows the locale's decimal point; jansson copes with one that is not '.', this reader leaves it
     * to jansson. */
    if (!lc || !lc->decimal_point || strcmp(lc->decimal_point, "."))
        return NULL;
    r.p = (const unsigned char *)buf;
    r.end = r.p + len;
    r.depth = 0;
    if (!(r.scratch = malloc(len + 1)))
        return NULL;
    v = read_value(&r);
    free(r.scratch);
    if (!v)
        return NULL;
    skip_ws(&r);
    if (r.p != r.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}

mez_text_fault_t mez_text_check(const char *s, size_t n, size_t max_chars, size_t *chars)
{
    size_t count = 0;
    for (const unsigned char *u = (const unsigned char *)s, *end = u + n; u < end; u++) {
        if (*u < 0x20 || *u == 0x7f)
            return MEZ_TEXT_CONTROL;
        count += (*u & 0xc0) != 0x80;
    }
    if (chars)
        *chars = count;
    return max_chars && count > max_chars ? MEZ_TEXT_TOO_LONG : MEZ_TEXT_OK;
}
