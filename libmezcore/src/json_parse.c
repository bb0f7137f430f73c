/* json_parse.c: strict JSON input (duplicate keys, bad UTF-8, overflow rejected) and pool-owned values.
 * Parsing is where untrusted bytes enter, so every failure here becomes a precise problem. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include "mez/file.h"
#include "mez/json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *mez_json_pool_own(apr_pool_t *p, json_t *v)
{
    if (v)
        apr_pool_cleanup_register(p, v, json_cleanup, apr_pool_cleanup_null);
    return v;
}

static mez_status_t parse(apr_pool_t *p, const char *buf, size_t len, int big_integers_as_doubles, json_t **out,
                          mez_problem_t *pb)
{
    json_error_t err;
    const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL;
    json_t *v;
    int too_big_integer = 0;

    *out = NULL;
    /* Well-formed input is read by json_fast.c; anything it declines is jansson's to read or refuse. */
    if ((v = mez_json_fast_parse(buf, len)) != NULL) {
        *out = mez_json_pool_own(p, v);
        return MEZ_OK;
    }
    v = json_loadb(buf, len, flags, &err);
    if (!v && json_error_code(&err) == json_error_numeric_overflow) {
        /* "too big integer": beyond 64 bits is still a JSON number, and ECMAScript reads it as a double (as RFC
         * 8785 writes an integer beyond 2^53: INT64_MAX's canonical form, 9223372036854776000, is one). Only text
         * mez wrote itself, or a document that is canonicalised and nothing more, may be read so:
         * JSON_DECODE_INT_AS_REAL turns every integer of the document into a real, so in input an integer a
         * signature covers would escape the check that refuses integers beyond 2^53 (vc_shape.c), and
         * 18446744073709551616 and ...617 would share one signed form. A real that overflows fails again below. */
        json_error_t first = err;
        v = json_loadb(buf, len, flags | JSON_DECODE_INT_AS_REAL, &err);
        if (v && !big_integers_as_doubles) {
            json_decref(v);
            v = NULL;
            err = first;
            too_big_integer = 1;
        }
    }
    if (too_big_integer)
        return mez_problem(pb, p, MEZ_EINVAL, 400, "json.number_out_of_range", "",
                           "an integer beyond 64 bits (line %d, column %d, byte %d) has no exact value here: "
                           "write it as a string", err.line, err.column, err.position);
    if (!v) {
        const char *code = "json.invalid";
        switch (json_error_code(&err)) {
        case json_error_duplicate_key:   code = "json.duplicate_key"; break;
        case json_error_numeric_overflow: code = "json.number_out_of_range"; break;
        case json_error_invalid_utf8:    code = "json.invalid_utf8"; break;
        case json_error_premature_end_of_input: code = "json.truncated"; break;
        default: break;
        }
        return mez_problem(pb, p, MEZ_EINVAL, 400, code, "",
                           "%s (line %d, column %d, byte %d)", err.text, err.line, err.column,
                           err.position);
    }
    *out = mez_json_pool_own(p, v);
    return MEZ_OK;
}

mez_status_t mez_json_parse(apr_pool_t *p, const char *buf, size_t len, json_t **out, mez_problem_t *pb)
{
    return parse(p, buf, len, 1, out, pb);
}

mez_status_t mez_json_parse_input(apr_pool_t *p, const char *buf, size_t len, json_t **out, mez_problem_t *pb)
{
    return parse(p, buf, len, 0, out, pb);
}

static mez_status_t parse_file(apr_pool_t *p, const char *path, int big_integers_as_doubles, json_t **out,
                               mez_problem_t *pb)
{
    apr_file_t *f;
    apr_status_t rv;
    char *buf = NULL;
    apr_size_t len = 0, cap = 0;

    if (!strcmp(path, "-")) {
        rv = apr_file_open_stdin(&f, p);
    }
    else {
        /* "-" is the way to read a stream. A named pipe or a device given as a file is refused at once: opening
         * one waits for a writer (httpd reads MezManifoldFile at start-up with this). */
        struct stat sb;
        int fd = mez_file_open_regular(path, &sb);
        if (fd < 0 && errno == 0)
            return mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "%s is %s, not a regular file", path,
                               mez_file_kind(&sb));
        rv = fd < 0 ? APR_FROM_OS_ERROR(errno) : apr_os_file_put(&f, &fd, APR_FOPEN_READ, p);
        if (rv != APR_SUCCESS && fd >= 0)
            close(fd);
    }
    if (rv != APR_SUCCESS) {
        char e[256];
        return mez_problem(pb, p, MEZ_EIO, 500, "io.open", NULL, "cannot open %s: %s", path,
                           apr_strerror(rv, e, sizeof(e)));
    }
    for (;;) {
        apr_size_t n;
        if (cap - len < 65536) {
            apr_size_t ncap = cap ? cap * 2 : 65536;
            char *nb = apr_palloc(p, ncap);
            if (len)
                memcpy(nb, buf, len);
            buf = nb;
            cap = ncap;
        }
        n = cap - len;
        rv = apr_file_read(f, buf + len, &n);
        len += n;
        if (rv == APR_EOF)
            break;
        if (rv != APR_SUCCESS) {
            char e[256];
            if (strcmp(path, "-"))
                apr_file_close(f);
            return mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "cannot read %s: %s", path,
                               apr_strerror(rv, e, sizeof(e)));
        }
    }
    if (strcmp(path, "-"))
        apr_file_close(f);
    return parse(p, buf ? buf : "", len, big_integers_as_doubles, out, pb);
}

mez_status_t mez_json_parse_file(apr_pool_t *p, const char *path, json_t **out, mez_problem_t *pb)
{
    return parse_file(p, path, 1, out, pb);
}

mez_status_t mez_json_parse_file_input(apr_pool_t *p, const char *path, json_t **out, mez_problem_t *pb)
{
    return parse_file(p, path, 0, out, pb);
}

const char *mez_json_dump(apr_pool_t *p, const json_t *v, int pretty)
{
    char *s;
    const char *r;
    if (!pretty && v && mez_json_serialize(p, v, MEZ_JSON_ANSWER | MEZ_JSON_EXACT_INTEGERS, &r, NULL, NULL)
                            == MEZ_OK)
        return r;
    s = json_dumps(v, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
    if (!s)
        return "null";
    r = apr_pstrdup(p, s);
    free(s);
    return r;
}

const char *mez_json_text(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && !memchr(s, '\0', json_string_length(v)) ? s : NULL;
}

/* 1 when v holds a string with a NUL; *path is then its pointer below v, built on the way back up, so that the
 * walk (every request body takes it) allocates nothing when there is none. */
static int nul_below(apr_pool_t *p, const json_t *v, const char **path)
{
    const char *key;
    const json_t *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (!memchr(json_string_value(v), '\0', json_string_length(v)))
            return 0;
        *path = "";
        return 1;
    case JSON_ARRAY:
        json_array_foreach(v, i, item)
            if (nul_below(p, item, path)) {
                *path = apr_pstrcat(p, mez_pointer_index(p, "", i), *path, NULL);
                return 1;
            }
        return 0;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, item)
            if (nul_below(p, item, path)) {
                *path = apr_pstrcat(p, mez_pointer_join(p, "", key), *path, NULL);
                return 1;
            }
        return 0;
    default:
        return 0;
    }
}

const char *mez_json_find_nul(apr_pool_t *p, const json_t *v, const char *base)
{
    const char *path;
    if (!v || !nul_below(p, v, &path))
        return NULL;
    return apr_pstrcat(p, base ? base : "", path, NULL);
}

const char *mez_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

mez_status_t mez_json_only_members(apr_pool_t *p, const json_t *obj, const char *pointer,
                                   const char *const *allowed, const char *code, mez_problem_t *pb)
{
    const char *key;
    json_t *v;
    pointer = pointer ? pointer : "";
    json_object_foreach((json_t *)obj, key, v) {
        const char *const *a = allowed;
        /* The first letter rules out most names without a call: every action document is checked this way. */
        while (*a && (**a != *key || strcmp(*a, key)))
            a++;
        if (!*a)
            return mez_problem(pb, p, MEZ_EINVAL, 422, code, mez_pointer_join(p, pointer, key),
                               "'%s' is not a member of %s", key, *pointer ? pointer : "the document");
    }
    return MEZ_OK;
}
