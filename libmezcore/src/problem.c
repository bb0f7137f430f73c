/* problem.c: filling and rendering RFC 9457 problem details.
 * The code is the stable contract; title and detail are for people and may change. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/problem.h"

static const char *title_for(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default:  return status >= 500 ? "Internal Server Error" : "Error";
    }
}

mez_status_t mez_problem(mez_problem_t *pb, apr_pool_t *p, mez_status_t rv, int http_status,
                         const char *code, const char *pointer, const char *fmt, ...)
{
    va_list ap;
    if (!pb)
        return rv;
    pb->status = http_status;
    pb->code = code;
    pb->title = title_for(http_status);
    pb->pointer = pointer;
    va_start(ap, fmt);
    pb->detail = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return rv;
}

int mez_problem_code_ok(const char *code)
{
    size_t n = 0, words = 1, word_len = 0;
    if (!code)
        return 0;
    for (const char *c = code; *c; c++, n++) {
        if (n >= 64)
            return 0;
        if (*c == '.') {
            if (!word_len)
                return 0;
            words++;
            word_len = 0;
        }
        else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9' && word_len) || (*c == '_' && word_len))
            word_len++;
        else
            return 0;
    }
    return words >= 2 && word_len > 0;
}

const char *mez_problem_type(apr_pool_t *p, const char *code)
{
    return apr_pstrcat(p, "urn:mez:problem:", code ? code : "internal", NULL);
}

/* A problem's detail as a JSON string. It may carry bytes from outside that are not UTF-8 (a database's message in
 * another encoding, a name echoed back), and jansson refuses such a string outright, which would drop the detail
 * from the answer: each byte that begins no well-formed sequence becomes U+FFFD instead. */
static json_t *problem_text(const char *s)
{
    size_t n = strlen(s), i = 0;
    char *buf, *w;
    json_t *v;
    if (mez_utf8_valid(s, n))
        return json_string(s);
    if (!(w = buf = malloc(n * 3 + 1)))
        return json_string("(detail not shown: not UTF-8 text)");
    while (i < n) {
        size_t k = (unsigned char)s[i] < 0x80 ? 1 : 0;
        for (size_t len = 2; !k && len <= 4 && i + len <= n; len++)
            if (mez_utf8_valid(s + i, len))
                k = len;
        if (k) {
            memcpy(w, s + i, k);
            w += k;
            i += k;
        } else {
            memcpy(w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    *w = '\0';
    v = json_string(buf);
    free(buf);
    return v;
}

json_t *mez_problem_to_json(const mez_problem_t *pb)
{
    const char *code = pb->code ? pb->code : "internal";
    char type[256];
    json_t *o = json_object();
    apr_snprintf(type, sizeof(type), "urn:mez:problem:%s", code);
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(pb->title ? pb->title : title_for(pb->status)));
    json_object_set_new(o, "status", json_integer(pb->status ? pb->status : 500));
    json_object_set_new(o, "code", json_string(code));
    if (pb->detail)
        json_object_set_new(o, "detail", problem_text(pb->detail));
    if (pb->pointer)
        json_object_set_new(o, "pointer", json_string(pb->pointer));
    return o;
}

const char *mez_problem_excerpt(apr_pool_t *p, const char *s, size_t max)
{
    size_t n;
    if (!s)
        return NULL;
    n = strnlen(s, max + 1);
    if (n <= max)
        return s;
    /* Back off continuation bytes (10xxxxxx) so the cut does not split a character. */
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return apr_pstrcat(p, apr_pstrmemdup(p, s, n), "...", NULL);
}

const char *mez_pointer_join(apr_pool_t *p, const char *base, const char *token)
{
    /* RFC 6901: '~' is written "~0" and '/' is written "~1". */
    size_t n = strlen(token), extra = 0;
    for (size_t i = 0; i < n; i++)
        if (token[i] == '~' || token[i] == '/')
            extra++;
    size_t blen = base ? strlen(base) : 0;
    char *out = apr_palloc(p, blen + 1 + n + extra + 1), *w = out;
    if (blen) {
        memcpy(w, base, blen);
        w += blen;
    }
    *w++ = '/';
    for (size_t i = 0; i < n; i++) {
        if (token[i] == '~') { *w++ = '~'; *w++ = '0'; }
        else if (token[i] == '/') { *w++ = '~'; *w++ = '1'; }
        else *w++ = token[i];
    }
    *w = '\0';
    return out;
}

const char *mez_pointer_index(apr_pool_t *p, const char *base, size_t index)
{
    return apr_psprintf(p, "%s/%" APR_SIZE_T_FMT, base ? base : "", index);
}

void mez_problem_list_init(mez_problem_list_t *l, apr_array_header_t *keep, int max)
{
    memset(l, 0, sizeof(*l));
    l->keep = keep;
    l->max = max > 0 ? max : 100;
}

void mez_problem_keep(apr_array_header_t *keep, int max, const mez_problem_t *pr)
{
    if (keep && pr && pr->code && keep->nelts < (max > 0 ? max : 100))
        *(mez_problem_t *)apr_array_push(keep) = *pr;
}

void mez_problem_list_add(mez_problem_list_t *l, const mez_problem_t *pr)
{
    if (l->count++ == 0)
        l->first = *pr;
    mez_problem_keep(l->keep, l->max, pr);
}

mez_status_t mez_problem_list_result(const mez_problem_list_t *l, mez_problem_t *pb)
{
    if (!l->count)
        return MEZ_OK;
    if (pb)
        *pb = l->first;
    return MEZ_EINVAL;
}
