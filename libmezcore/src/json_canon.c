/* json_canon.c: RFC 8785 canonical serialisation of jansson values.
 * Object members are sorted by the UTF-16 code units of their names, numbers use ECMAScript form,
 * and strings get the minimal escaping of RFC 8785 section 3.2.2.2. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
    unsigned flags;   /* MEZ_JSON_SORT_UTF8 / MEZ_JSON_EXACT_INTEGERS: the reference's variant; MEZ_JSON_ANSWER:
                       * answers (mez_json_serialize) */
} canon_buf_t;

static void buf_reserve(canon_buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        abort();   /* out of memory: nothing sensible to do in a serializer */
    b->data = d;
    b->cap = cap;
}

static void buf_put(canon_buf_t *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static inline void buf_putc(canon_buf_t *b, char c)
{
    if (b->len == b->cap)
        buf_reserve(b, 1);
    b->data[b->len++] = c;
}

/* Bytes RFC 8785 escapes: control characters, '"' and '\\'. Everything else, UTF-8 included, is copied. */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

/* Non-zero (in the byte's top bit) where a byte of x equals c: the usual SWAR zero-byte test on x ^ c. */
static inline uint64_t has_byte(uint64_t x, unsigned char c)
{
    uint64_t y = x ^ (0x0101010101010101ULL * c);
    return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

/* From s[i], eight bytes at a time while none of them needs an escape (a control character, '"' or '\\'): the
 * index of the first word that may hold one, or of the last few bytes. */
static inline size_t skip_plain_words(const char *s, size_t i, size_t n)
{
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if ((((x - 0x2020202020202020ULL) & ~x) | has_byte(x, 0x22) | has_byte(x, 0x5c)) & 0x8080808080808080ULL)
            break;
        i += 8;
    }
    return i;
}

/* The escaping copy, from the first byte that may need an escape: s[0..start) is plain and already written. */
static char *put_escaped(char *w, const char *s, size_t start, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = start;
    for (size_t i = start; i < n; i++) {
        unsigned char c;
        char e;
        i = skip_plain_words(s, i, n);
        if (i == n)
            break;
        c = (unsigned char)s[i];
        if (!needs_escape[c])
            continue;
        memcpy(w, s + run, i - run);
        w += i - run;
        run = i + 1;
        switch (c) {
        case '"':  e = '"'; break;
        case '\\': e = '\\'; break;
        case '\b': e = 'b'; break;
        case '\f': e = 'f'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\t': e = 't'; break;
        default:
            w[0] = '\\'; w[1] = 'u'; w[2] = '0'; w[3] = '0';
            w[4] = hex[c >> 4]; w[5] = hex[c & 0xf];
            w += 6;
            continue;
        }
        w[0] = '\\';
        w[1] = e;
        w += 2;
    }
    memcpy(w, s + run, n - run);
    return w + (n - run);
}

/* Room for the worst case (every byte a \u00XX escape) is made once, so the copy below checks nothing per byte:
 * strings are most of a document's bytes, and per-byte bookkeeping was most of their cost. Nearly every string
 * (member names, codes, dates, digests) needs no escape at all: one scan finds that, and one copy writes it. */
static void put_string(canon_buf_t *b, const char *s, size_t n)
{
    size_t i;
    char *w;
    buf_reserve(b, 6 * n + 2);
    w = b->data + b->len;
    *w++ = '"';
    i = skip_plain_words(s, 0, n);
    while (i < n && !needs_escape[(unsigned char)s[i]])
        i++;
    memcpy(w, s, i);
    w += i;
    if (i < n)
        w = put_escaped(w, s, i, n);
    *w++ = '"';
    b->len = (size_t)(w - b->data);
}

int mez_json_key_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
    size_t n = alen < blen ? alen : blen, i = 0;

    /* UTF-8 byte order is code point order, and UTF-16 code unit order agrees with it everywhere but one
     * place: a supplementary character (4-byte UTF-8, lead F0-F4, a surrogate D800-DBFF in UTF-16) sorts
     * BEFORE U+E000..U+FFFF (3-byte UTF-8, lead EE or EF) in UTF-16. Equal prefixes keep the character
     * boundaries aligned, so the first differing byte is a lead byte in both strings or a continuation
     * byte in both; only differing lead bytes can cross that boundary. */
    while (i < n && ua[i] == ub[i])
        i++;
    if (i == n)
        return alen == blen ? 0 : (alen < blen ? -1 : 1);
    if (ua[i] >= 0xf0 && (ub[i] == 0xee || ub[i] == 0xef))
        return -1;
    if (ub[i] >= 0xf0 && (ua[i] == 0xee || ua[i] == 0xef))
        return 1;
    return ua[i] < ub[i] ? -1 : 1;
}

typedef struct {
    const char *key;
    size_t len;
    json_t *value;
} member_t;

static int member_cmp(const void *x, const void *y)
{
    const member_t *a = x, *b = y;
    return mez_json_key_compare(a->key, a->len, b->key, b->len);
}

/* Plain byte order, as serde_json's BTreeMap (the reference's serialiser) sorts keys. */
static int byte_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen == blen ? 0 : (alen < blen ? -1 : 1));
}

static int member_cmp_bytes(const void *x, const void *y)
{
    const member_t *a = x, *b = y;
    return byte_compare(a->key, a->len, b->key, b->len);
}

/* Called directly, not through a pointer, so the compiler can inline the compare into the sort. */
static inline int key_order(int bytes, const member_t *a, const member_t *b)
{
    return bytes ? byte_compare(a->key, a->len, b->key, b->len) : mez_json_key_compare(a->key, a->len, b->key, b->len);
}

static void put_value(canon_buf_t *b, const json_t *v);

/* Decimal text of x (amounts in minor units are the common case, so no printf). */
static size_t format_integer(json_int_t x, char *out)
{
    char tmp[24];
    size_t n = 0, k = 0;
    /* Negated as unsigned: -x itself overflows for the most negative integer (written whole with
     * MEZ_JSON_EXACT_INTEGERS). */
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* Most objects are small and many arrive in order already: insertion sort does them in a few compares, where
 * qsort's general machinery (an indirect call per compare, element copies through a buffer) cost more than
 * writing the object out. The result is the same order. */
static void sort_members(member_t *m, size_t n, int bytes)
{
    if (n > 32) {
        qsort(m, n, sizeof(*m), bytes ? member_cmp_bytes : member_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        member_t t = m[i];
        size_t k = i;
        while (k > 0 && key_order(bytes, &m[k - 1], &t) > 0) {
            m[k] = m[k - 1];
            k--;
        }
        m[k] = t;
    }
}

static void put_object(canon_buf_t *b, const json_t *v)
{
    size_t n = json_object_size(v), i = 0;
    member_t small[32];
    member_t *m = n <= 32 ? small : malloc(n * sizeof(*m));
    int bytes = (b->flags & MEZ_JSON_SORT_UTF8) != 0;
    void *it;
    if (!m)
        abort();
    for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it), i++) {
        m[i].key = json_object_iter_key(it);
        m[i].len = json_object_iter_key_len(it);
        m[i].value = json_object_iter_value(it);
    }
    /* An answer keeps its members in the order they were set; everything else is in RFC 8785 key order. */
    if (!(b->flags & MEZ_JSON_ANSWER))
        sort_members(m, n, bytes);
    buf_putc(b, '{');
    for (i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        put_string(b, m[i].key, m[i].len);
        buf_putc(b, ':');
        put_value(b, m[i].value);
    }
    buf_putc(b, '}');
    if (m != small)
        free(m);
}

static void put_value(canon_buf_t *b, const json_t *v)
{
    char num[40];
    size_t i, n;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_object(b, v);
        break;
    case JSON_ARRAY:
        buf_putc(b, '[');
        n = json_array_size(v);
        for (i = 0; i < n; i++) {
            if (i)
                buf_putc(b, ',');
            put_value(b, json_array_get(v, i));
        }
        buf_putc(b, ']');
        break;
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(v);
        /* Beyond 2^53 an ECMAScript reader sees the nearest double, so print that. */
        if (!(b->flags & MEZ_JSON_EXACT_INTEGERS) && (x > 9007199254740992LL || x < -9007199254740992LL))
            n = mez_json_format_number((double)x, num);
        else
            n = format_integer(x, num);
        buf_put(b, num, n);
        break;
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        if (!isfinite(d)) {
            b->failed = 1;
            return;
        }
        n = mez_json_format_number(d, num);
        if ((b->flags & MEZ_JSON_ANSWER) && !memchr(num, '.', n) && !memchr(num, 'e', n)) {
            num[n++] = '.';
            num[n++] = '0';
        }
        buf_put(b, num, n);
        break;
    }
    case JSON_TRUE:
        buf_put(b, "true", 4);
        break;
    case JSON_FALSE:
        buf_put(b, "false", 5);
        break;
    case JSON_NULL:
        buf_put(b, "null", 4);
        break;
    }
}

static int inexact(const json_t *v)
{
    const json_t *item;
    const char *key;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return json_integer_value(v) > MEZ_JSON_MAX_EXACT_INT || json_integer_value(v) < -MEZ_JSON_MAX_EXACT_INT;
    case JSON_ARRAY:
        json_array_foreach(v, i, item)
            if (inexact(item))
                return 1;
        return 0;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, item)
            if (inexact(item))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* The walk allocates nothing unless it finds one (it runs on every credential issued and verified); the
 * pointer is built on the way back down to it. */
const char *mez_json_find_inexact_integer(apr_pool_t *p, const json_t *v, const char *base)
{
    const char *at = base ? base : "", *key;
    const json_t *item;
    size_t i;
    if (!inexact(v))
        return NULL;
    if (json_is_array(v))
        json_array_foreach(v, i, item)
            if (inexact(item))
                return mez_json_find_inexact_integer(p, item, mez_pointer_index(p, at, i));
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key, item)
            if (inexact(item))
                return mez_json_find_inexact_integer(p, item, mez_pointer_join(p, at, key));
    return at;
}

mez_status_t mez_json_canonicalize(apr_pool_t *p, const json_t *v, const char **out, size_t *outlen,
                                   mez_problem_t *pb)
{
    return mez_json_serialize(p, v, 0, out, outlen, pb);
}

mez_status_t mez_json_serialize(apr_pool_t *p, const json_t *v, unsigned flags, const char **out, size_t *outlen,
                                mez_problem_t *pb)
{
    canon_buf_t b = { NULL, 0, 0, 0, flags };
    if (!v)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "json.not_canonicalizable", "", "no JSON value");
    put_value(&b, v);
    if (b.failed) {
        free(b.data);
        return mez_problem(pb, p, MEZ_EINVAL, 422, "json.not_canonicalizable", "",
                           "NaN and Infinity have no RFC 8785 form");
    }
    char *s = apr_palloc(p, b.len + 1);
    if (b.len)
        memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    free(b.data);
    *out = s;
    if (outlen)
        *outlen = b.len;
    return MEZ_OK;
}
