/* httpsig_sf.c: the strict RFC 8941 subset behind Signature-Input, Signature and Content-Digest (see
 * httpsig_int.h for what is accepted). Parsing follows the algorithms of RFC 8941 §4.2; serialising §4.1, so the
 * signature base a receiver rebuilds is byte-identical to what an RFC 9421 signer wrote. */
#include <string.h>
#include <apr_strings.h>
#include "mez/pack.h"
#include "httpsig_int.h"

typedef struct {
    apr_pool_t *p;
    const char *s;
    size_t i;
    const char *why;
} sf_in_t;

static int is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* tchar of RFC 9110 §5.6.2 */
static int is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int fail(sf_in_t *in, const char *why)
{
    if (!in->why)
        in->why = apr_psprintf(in->p, "%s at offset %lu", why, (unsigned long)in->i);
    return 0;
}

static char peek(const sf_in_t *in) { return in->s[in->i]; }

static int parse_key(sf_in_t *in, const char **key)
{
    size_t start = in->i;
    char c = peek(in);
    if (!is_lcalpha(c) && c != '*')
        return fail(in, "a key must start with a lower-case letter or '*'");
    while (is_lcalpha(c = peek(in)) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*')
        in->i++;
    *key = apr_pstrmemdup(in->p, in->s + start, in->i - start);
    return 1;
}

static int parse_bare(sf_in_t *in, mez_sf_bare_t *v)
{
    char c = peek(in);
    memset(v, 0, sizeof *v);
    if (c == '-' || is_digit(c)) {
        int neg = 0, ndigits = 0;
        long long n = 0;
        if (c == '-') {
            neg = 1;
            in->i++;
        }
        while (is_digit(c = peek(in))) {
            if (++ndigits > 15)
                return fail(in, "an integer has more than 15 digits");
            n = n * 10 + (c - '0');
            in->i++;
        }
        if (!ndigits)
            return fail(in, "a '-' without digits");
        if (c == '.')
            return fail(in, "decimals are not accepted here");
        v->kind = MEZ_SF_INTEGER;
        v->integer = neg ? -n : n;
        return 1;
    }
    if (c == '"') {
        char *buf = apr_palloc(in->p, strlen(in->s + in->i) + 1);
        size_t o = 0;
        in->i++;
        for (;;) {
            c = peek(in);
            if (!c)
                return fail(in, "an unterminated string");
            in->i++;
            if (c == '"')
                break;
            if (c == '\\') {
                c = peek(in);
                if (c != '"' && c != '\\')
                    return fail(in, "a string escape other than \\\" or \\\\");
                in->i++;
            }
            else if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) {
                return fail(in, "a string holds a byte outside 0x20-0x7E");
            }
            buf[o++] = c;
        }
        buf[o] = 0;
        v->kind = MEZ_SF_STRING;
        v->string = buf;
        return 1;
    }
    if (c == ':') {
        size_t start = ++in->i;
        unsigned char *out;
        size_t n;
        while ((c = peek(in)) && c != ':')
            in->i++;
        if (c != ':')
            return fail(in, "an unterminated byte sequence");
        if (mez_pack_base64_decode(in->p, in->s + start, in->i - start, &out, &n))
            return fail(in, "a byte sequence is not canonical base64");
        in->i++;
        v->kind = MEZ_SF_BYTES;
        v->bytes = out;
        v->nbytes = n;
        return 1;
    }
    if (c == '?') {
        in->i++;
        c = peek(in);
        if (c != '0' && c != '1')
            return fail(in, "a boolean other than ?0 or ?1");
        in->i++;
        v->kind = MEZ_SF_BOOLEAN;
        v->integer = c == '1';
        return 1;
    }
    if (is_alpha(c) || c == '*') {
        size_t start = in->i;
        while (is_tchar(c = peek(in)) || c == ':' || c == '/')
            in->i++;
        v->kind = MEZ_SF_TOKEN;
        v->string = apr_pstrmemdup(in->p, in->s + start, in->i - start);
        return 1;
    }
    return fail(in, "not an integer, string, token, byte sequence or boolean");
}

static int parse_params(sf_in_t *in, apr_array_header_t **params)
{
    *params = apr_array_make(in->p, 4, sizeof(mez_sf_param_t));
    while (peek(in) == ';') {
        mez_sf_param_t *pm;
        const char *key;
        in->i++;
        while (peek(in) == ' ')
            in->i++;
        if (!parse_key(in, &key))
            return 0;
        for (int j = 0; j < (*params)->nelts; j++)
            if (!strcmp(APR_ARRAY_IDX(*params, j, mez_sf_param_t).key, key))
                return fail(in, apr_psprintf(in->p, "parameter \"%s\" given twice", key));
        pm = apr_array_push(*params);
        pm->key = key;
        if (peek(in) == '=') {
            in->i++;
            if (!parse_bare(in, &pm->value))
                return 0;
        }
        else {
            memset(&pm->value, 0, sizeof pm->value);
            pm->value.kind = MEZ_SF_BOOLEAN;
            pm->value.integer = 1;
        }
    }
    return 1;
}

static int parse_item(sf_in_t *in, mez_sf_item_t *item)
{
    return parse_bare(in, &item->value) && parse_params(in, &item->params);
}

static int parse_inner_list(sf_in_t *in, mez_sf_member_t *m)
{
    in->i++; /* '(' */
    m->inner = apr_array_make(in->p, 8, sizeof(mez_sf_item_t));
    for (;;) {
        char c;
        while (peek(in) == ' ')
            in->i++;
        if (peek(in) == ')') {
            in->i++;
            return parse_params(in, &m->params);
        }
        if (!parse_item(in, apr_array_push(m->inner)))
            return 0;
        c = peek(in);
        if (c != ' ' && c != ')')
            return fail(in, "inner list items must be separated by spaces");
    }
}

apr_array_header_t *mez_sf_parse_dictionary(apr_pool_t *p, const char *text, const char **why)
{
    sf_in_t in = { p, text ? text : "", 0, NULL };
    apr_array_header_t *dict = apr_array_make(p, 2, sizeof(mez_sf_member_t));

    while (peek(&in) == ' ')
        in.i++;
    if (!peek(&in)) {
        *why = "the field is empty";
        return NULL;
    }
    for (;;) {
        mez_sf_member_t m;
        memset(&m, 0, sizeof m);
        if (!parse_key(&in, &m.key))
            break;
        if (mez_sf_dict_get(dict, m.key)) {
            fail(&in, apr_psprintf(p, "member \"%s\" given twice", m.key));
            break;
        }
        if (peek(&in) != '=') {
            fail(&in, "a member without a value");
            break;
        }
        in.i++;
        if (peek(&in) == '(') {
            m.is_inner_list = 1;
            if (!parse_inner_list(&in, &m))
                break;
        }
        else if (!parse_item(&in, &m.item)) {
            break;
        }
        *(mez_sf_member_t *)apr_array_push(dict) = m;
        while (peek(&in) == ' ' || peek(&in) == '\t')
            in.i++;
        if (!peek(&in))
            return dict;
        if (peek(&in) != ',') {
            fail(&in, "members must be separated by ','");
            break;
        }
        in.i++;
        while (peek(&in) == ' ' || peek(&in) == '\t')
            in.i++;
        if (!peek(&in)) {
            fail(&in, "a trailing ','");
            break;
        }
    }
    *why = in.why;
    return NULL;
}

const mez_sf_member_t *mez_sf_dict_get(const apr_array_header_t *dict, const char *key)
{
    for (int j = 0; j < dict->nelts; j++)
        if (!strcmp(APR_ARRAY_IDX(dict, j, mez_sf_member_t).key, key))
            return &APR_ARRAY_IDX(dict, j, mez_sf_member_t);
    return NULL;
}

int mez_sf_key_ok(const char *key)
{
    if (!key || (!is_lcalpha(*key) && *key != '*'))
        return 0;
    for (const char *c = key; *c; c++)
        if (!is_lcalpha(*c) && !is_digit(*c) && !strchr("_-.*", *c))
            return 0;
    return 1;
}

const char *mez_sf_serialize_string(apr_pool_t *p, const char *s)
{
    size_t n = 0;
    char *out, *o;
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            return NULL;
        n += (*c == '"' || *c == '\\') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 3);
    *o++ = '"';
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            *o++ = '\\';
        *o++ = *c;
    }
    *o++ = '"';
    *o = 0;
    return out;
}

const char *mez_sf_serialize_bare(apr_pool_t *p, const mez_sf_bare_t *v)
{
    switch (v->kind) {
    case MEZ_SF_INTEGER:
        if (v->integer > 999999999999999LL || v->integer < -999999999999999LL)
            return NULL;
        return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v->integer);
    case MEZ_SF_STRING:
        return mez_sf_serialize_string(p, v->string);
    case MEZ_SF_TOKEN:
        if (!v->string || !(is_alpha(*v->string) || *v->string == '*'))
            return NULL;
        for (const char *c = v->string; *c; c++)
            if (!is_tchar(*c) && *c != ':' && *c != '/')
                return NULL;
        return v->string;
    case MEZ_SF_BYTES:
        return apr_pstrcat(p, ":", mez_pack_base64_encode(p, v->bytes, v->nbytes), ":", NULL);
    case MEZ_SF_BOOLEAN:
        return v->integer ? "?1" : "?0";
    }
    return NULL;
}

const char *mez_sf_serialize_params(apr_pool_t *p, const apr_array_header_t *params)
{
    const char *out = "";
    for (int j = 0; params && j < params->nelts; j++) {
        const mez_sf_param_t *pm = &APR_ARRAY_IDX(params, j, mez_sf_param_t);
        const char *v;
        if (!mez_sf_key_ok(pm->key))
            return NULL;
        out = apr_pstrcat(p, out, ";", pm->key, NULL);
        if (pm->value.kind == MEZ_SF_BOOLEAN && pm->value.integer)
            continue; /* §4.1.1.2: a true parameter is written as the bare key */
        if (!(v = mez_sf_serialize_bare(p, &pm->value)))
            return NULL;
        out = apr_pstrcat(p, out, "=", v, NULL);
    }
    return out;
}

const char *mez_sf_serialize_inner_list(apr_pool_t *p, const apr_array_header_t *items,
                                        const apr_array_header_t *params)
{
    const char *out = "(", *v, *ps;
    for (int j = 0; j < items->nelts; j++) {
        const mez_sf_item_t *it = &APR_ARRAY_IDX(items, j, mez_sf_item_t);
        if (!(v = mez_sf_serialize_bare(p, &it->value)) || !(ps = mez_sf_serialize_params(p, it->params)))
            return NULL;
        out = apr_pstrcat(p, out, j ? " " : "", v, ps, NULL);
    }
    if (!(ps = mez_sf_serialize_params(p, params)))
        return NULL;
    return apr_pstrcat(p, out, ")", ps, NULL);
}
