/* yaml_load.c: YAML to the JSON model over libyaml's event API, refusing what a JSON model cannot say plainly
 * (floats, duplicate keys, anchors, aliases, tags) and remembering where every field sits in the file. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <yaml.h>
#include "mez/file.h"
#include "mez/json.h"
#include "mez/yaml.h"

/* Where the members of one mapping, or the items of one sequence, start. doc->positions maps each mapping and
 * sequence (by its json_t address) to one of these, and the root's parent (NULL) to a one-item list holding the
 * root. JSON pointers are not kept: a pointer per node repeats every key above it, so a long key over many items
 * made memory grow with the square of the file (a 98 KB file took 2.1 GB); this is linear in it, and a pointer is
 * walked down the model when a position is asked for (mez_yaml_position). */
typedef struct node_positions_t {
    apr_array_header_t *items;  /* a sequence's (and the root's parent's): mez_yaml_pos_t by index */
    apr_hash_t *members;        /* a mapping's: key -> mez_yaml_pos_t * */
} node_positions_t;

/* One open mapping or sequence on the way down. */
typedef struct frame_t {
    json_t *node;
    node_positions_t *positions; /* made with its first member or item: an empty one costs nothing */
    const char *name;           /* how its parent names it: a member's key, or NULL for an item (then index) */
    size_t index;
    const char *key;            /* a mapping's pending key, NULL when the next scalar is a key */
    size_t keylen;
    yaml_mark_t key_mark;
} frame_t;

typedef struct loader_t {
    apr_pool_t *p;
    mez_yaml_doc_t *doc;
    mez_problem_t *pb;
    frame_t stack[MEZ_YAML_MAX_DEPTH + 1];
    int depth;
    json_t *root;               /* a reference the loader holds until the pool owns it */
} loader_t;

static node_positions_t *positions_of(const mez_yaml_doc_t *doc, const json_t *node)
{
    return apr_hash_get(doc->positions, &node, sizeof(node));
}

static mez_yaml_pos_t pos_of(yaml_mark_t mark)
{
    mez_yaml_pos_t pos = { (int)mark.line + 1, (int)mark.column + 1 };
    return pos;
}

/* Records where the next item of a sequence (key NULL), or the member key of a mapping, starts in the file. */
static void remember(loader_t *ld, const json_t *container, node_positions_t **slot, const char *key, size_t keylen,
                     yaml_mark_t mark)
{
    node_positions_t *np = *slot;
    if (!np) {
        const json_t **addr = apr_palloc(ld->p, sizeof(*addr));
        *addr = container;
        np = apr_pcalloc(ld->p, sizeof(*np));
        if (key)
            np->members = apr_hash_make(ld->p);
        else
            np->items = apr_array_make(ld->p, 1, sizeof(mez_yaml_pos_t));
        apr_hash_set(ld->doc->positions, addr, sizeof(*addr), np);
        *slot = np;
    }
    if (key) {
        mez_yaml_pos_t *pos = apr_palloc(ld->p, sizeof(*pos));
        *pos = pos_of(mark);
        apr_hash_set(np->members, key, (apr_ssize_t)keylen, pos);
    }
    else {
        APR_ARRAY_PUSH(np->items, mez_yaml_pos_t) = pos_of(mark);
    }
}

/* The JSON pointer of the open mapping or sequence at depth (0: the document), built only to report a problem. */
static const char *pointer_at(loader_t *ld, int depth)
{
    const char *ptr = "";
    for (int i = 1; i <= depth && i < ld->depth; i++)
        ptr = ld->stack[i].name ? mez_pointer_join(ld->p, ptr, ld->stack[i].name)
                                : mez_pointer_index(ld->p, ptr, ld->stack[i].index);
    return ptr;
}

static const char *top_pointer(loader_t *ld)
{
    return ld->depth ? pointer_at(ld, ld->depth - 1) : "";
}

/* The pointer of the value about to be placed: the open mapping's pending key, or the sequence's next index. */
static const char *next_pointer(loader_t *ld)
{
    const frame_t *top = ld->depth ? &ld->stack[ld->depth - 1] : NULL;
    if (!top)
        return "";
    if (json_is_array(top->node))
        return mez_pointer_index(ld->p, top_pointer(ld), json_array_size(top->node));
    return mez_pointer_join(ld->p, top_pointer(ld), top->key ? top->key : "");
}

static mez_status_t fail_at(loader_t *ld, int status, const char *code, const char *pointer, yaml_mark_t mark,
                            const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static mez_status_t fail_at(loader_t *ld, int status, const char *code, const char *pointer, yaml_mark_t mark,
                            const char *fmt, ...)
{
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(ld->p, fmt, ap);
    va_end(ap);
    return mez_problem(ld->pb, ld->p, MEZ_EINVAL, status, code, pointer, "%s:%d:%d: %s%s%s", ld->doc->name,
                       (int)mark.line + 1, (int)mark.column + 1, msg, pointer && *pointer ? " (at " : "",
                       pointer && *pointer ? apr_pstrcat(ld->p, pointer, ")", NULL) : "");
}

/* ------------------------------------------------------------------ plain scalar resolution (YAML 1.2 core) */

static int is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return 1;
    return 0;
}

static int all_in(const char *s, const char *set)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr(set, *s))
            return 0;
    return 1;
}

/* The core schema's float forms: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?\.inf, \.nan. */
static int is_core_float(const char *s)
{
    static const char *const special[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                                           "-.INF", ".nan", ".NaN", ".NAN", NULL };
    const char *c = s;
    int mantissa_digits = 0;
    if (is_one_of(s, special))
        return 1;
    if (*c == '-' || *c == '+')
        c++;
    while (*c >= '0' && *c <= '9') {
        c++;
        mantissa_digits++;
    }
    if (*c == '.') {
        c++;
        while (*c >= '0' && *c <= '9') {
            c++;
            mantissa_digits++;
        }
    }
    else if (mantissa_digits == 0) {
        return 0;
    }
    if (mantissa_digits == 0)
        return 0;
    if (*c == 'e' || *c == 'E') {
        int exp_digits = 0;
        c++;
        if (*c == '-' || *c == '+')
            c++;
        while (*c >= '0' && *c <= '9') {
            c++;
            exp_digits++;
        }
        if (!exp_digits)
            return 0;
    }
    return *c == '\0';
}

typedef enum { PLAIN_STRING, PLAIN_VALUE, PLAIN_FLOAT, PLAIN_RANGE } plain_kind_t;

/* Resolves a plain scalar. Values that hold a NUL cannot be plain, so C strings suffice here. */
static plain_kind_t resolve_plain(const char *s, json_t **out)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const trues[] = { "true", "True", "TRUE", NULL };
    static const char *const falses[] = { "false", "False", "FALSE", NULL };
    const char *digits = s;
    int base = 10;

    *out = NULL;
    if (is_one_of(s, nulls)) {
        *out = json_null();
        return PLAIN_VALUE;
    }
    if (is_one_of(s, trues) || is_one_of(s, falses)) {
        *out = json_boolean(is_one_of(s, trues));
        return PLAIN_VALUE;
    }
    if (!strncmp(s, "0o", 2) && all_in(s + 2, "01234567")) {
        base = 8;
        digits = s + 2;
    }
    else if (!strncmp(s, "0x", 2) && all_in(s + 2, "0123456789abcdefABCDEF")) {
        base = 16;
        digits = s + 2;
    }
    else if (!all_in(*s == '-' || *s == '+' ? s + 1 : s, "0123456789")) {
        return is_core_float(s) ? PLAIN_FLOAT : PLAIN_STRING;
    }
    {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(digits, &end, base);
        if (errno == ERANGE || *end)
            return PLAIN_RANGE;
        *out = json_integer((json_int_t)v);
        return PLAIN_VALUE;
    }
}

/* ------------------------------------------------------------------ building the tree */

/* Attaches v (a new reference) to the open mapping or sequence, or makes it the root, and records where it
 * starts. A member is located at its key, which is where a reader looks for it. Fills the new node's frame
 * fields that say how its parent names it. */
static void place(loader_t *ld, const yaml_event_t *ev, json_t *v, frame_t *child)
{
    frame_t *top = ld->depth ? &ld->stack[ld->depth - 1] : NULL;
    if (!top) {
        /* One document per file (checked at DOCUMENT_START), so the root is set once. */
        node_positions_t *root = NULL;
        ld->root = v;
        remember(ld, NULL, &root, NULL, 0, ev->start_mark);
        if (child) {
            child->name = NULL;
            child->index = 0;
        }
    }
    else if (json_is_array(top->node)) {
        if (child) {
            child->name = NULL;
            child->index = json_array_size(top->node);
        }
        remember(ld, top->node, &top->positions, NULL, 0, ev->start_mark);
        json_array_append_new(top->node, v);
    }
    else {
        if (child)
            child->name = top->key;
        remember(ld, top->node, &top->positions, top->key, top->keylen, top->key_mark);
        json_object_setn_new_nocheck(top->node, top->key, top->keylen, v);
        top->key = NULL;
    }
}

static int expecting_key(const loader_t *ld)
{
    const frame_t *top = ld->depth ? &ld->stack[ld->depth - 1] : NULL;
    return top && json_is_object(top->node) && !top->key;
}

static mez_status_t refuse_decorations(loader_t *ld, const yaml_event_t *ev, const yaml_char_t *anchor,
                                       const yaml_char_t *tag)
{
    if (anchor)
        return fail_at(ld, 422, "yaml.anchor_not_allowed", NULL, ev->start_mark,
                       "anchor &%s: anchors and aliases are not allowed, write the value out", (const char *)anchor);
    if (tag)
        return fail_at(ld, 422, "yaml.tag_not_allowed", NULL, ev->start_mark,
                       "tag %s: tags are not allowed; quote strings instead", (const char *)tag);
    return MEZ_OK;
}

static mez_status_t on_scalar(loader_t *ld, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    json_t *v = NULL;
    mez_status_t rv;

    if ((rv = refuse_decorations(ld, ev, ev->data.scalar.anchor, ev->data.scalar.tag)) != MEZ_OK)
        return rv;

    if (expecting_key(ld)) {
        frame_t *top = &ld->stack[ld->depth - 1];
        /* libyaml caps a simple key at 1024 characters but not an explicit one ("? key"); a key that long is no
         * field of any mez document, and every problem under it would repeat it. */
        if (len > MEZ_YAML_MAX_KEY) {
            int shown = 40;
            while (shown > 0 && ((unsigned char)text[shown] & 0xC0) == 0x80)
                shown--;        /* the excerpt ends between characters, so the message stays UTF-8 */
            return fail_at(ld, 422, "yaml.key_too_long", top_pointer(ld), ev->start_mark,
                           "a key of %lu bytes (\"%.*s...\"); keys are at most %d bytes", (unsigned long)len,
                           shown, text, MEZ_YAML_MAX_KEY);
        }
        if (plain) {
            plain_kind_t k = resolve_plain(text, &v);
            if (k != PLAIN_STRING) {
                json_decref(v);
                return fail_at(ld, 422, "yaml.key_not_string", top_pointer(ld), ev->start_mark,
                               "the key '%s' is not a string; quote it", text);
            }
        }
        if (memchr(text, '\0', len))
            return fail_at(ld, 422, "yaml.key_not_string", top_pointer(ld), ev->start_mark,
                           "a key holds a NUL character");
        if (json_object_get(top->node, text))
            return fail_at(ld, 422, "yaml.duplicate_key", mez_pointer_join(ld->p, top_pointer(ld), text),
                           ev->start_mark, "duplicate key '%s'", text);
        top->key = apr_pstrmemdup(ld->p, text, len);
        top->keylen = len;
        top->key_mark = ev->start_mark;
        return MEZ_OK;
    }

    /* Only a double-quoted scalar can spell one ("\0"): code reading the value as a C string would see the part before
     * it while a digest covers all of it (an id "pk-proscribed\0/../evil" built as pk-proscribed). */
    if (memchr(text, '\0', len))
        return fail_at(ld, 422, "yaml.nul_not_allowed", next_pointer(ld), ev->start_mark,
                       "the value holds a NUL character (\\0); no string may");
    if (plain) {
        plain_kind_t kind = resolve_plain(text, &v);
        if (kind == PLAIN_STRING) {
            v = json_stringn(text, len);
        }
        else if (kind != PLAIN_VALUE) {
            /* Report at the field the number was meant for. */
            const char *pointer = next_pointer(ld);
            if (kind == PLAIN_FLOAT)
                return fail_at(ld, 422, "yaml.float_not_allowed", pointer, ev->start_mark,
                               "%s is a floating-point number; write amounts and rates as quoted decimal strings "
                               "(\"%s\")", text, text);
            return fail_at(ld, 422, "yaml.integer_out_of_range", pointer, ev->start_mark,
                           "the integer %s does not fit in 64 bits", text);
        }
    }
    else {
        v = json_stringn(text, len);
    }
    if (!v)
        return fail_at(ld, 422, "yaml.invalid_utf8", NULL, ev->start_mark, "the scalar is not valid UTF-8");
    place(ld, ev, v, NULL);
    return MEZ_OK;
}

static mez_status_t on_start(loader_t *ld, const yaml_event_t *ev, int is_mapping)
{
    const yaml_char_t *anchor = is_mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = is_mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    frame_t *frame;
    mez_status_t rv;

    if ((rv = refuse_decorations(ld, ev, anchor, tag)) != MEZ_OK)
        return rv;
    if (expecting_key(ld))
        return fail_at(ld, 422, "yaml.key_not_string", top_pointer(ld), ev->start_mark, "a %s cannot be a key",
                       is_mapping ? "mapping" : "sequence");
    if (ld->depth >= MEZ_YAML_MAX_DEPTH)
        return fail_at(ld, 422, "yaml.too_deep", NULL, ev->start_mark, "nesting deeper than %d levels",
                       MEZ_YAML_MAX_DEPTH);
    frame = &ld->stack[ld->depth];
    memset(frame, 0, sizeof(*frame));
    frame->node = is_mapping ? json_object() : json_array();
    place(ld, ev, frame->node, frame);
    ld->depth++;
    return MEZ_OK;
}

static mez_status_t syntax_error(loader_t *ld, const yaml_parser_t *parser)
{
    yaml_mark_t mark = parser->problem_mark;
    const char *what = parser->problem ? parser->problem : "cannot parse";
    if (parser->error == YAML_READER_ERROR) {
        /* Reader errors count bytes, not lines; say so rather than print a wrong line. */
        return mez_problem(ld->pb, ld->p, MEZ_EINVAL, 400, "yaml.syntax", NULL, "%s: %s at byte %lu", ld->doc->name,
                           what, (unsigned long)parser->problem_offset);
    }
    if (parser->context)
        return fail_at(ld, 400, "yaml.syntax", NULL, mark, "%s %s", what, parser->context);
    return fail_at(ld, 400, "yaml.syntax", NULL, mark, "%s", what);
}

mez_status_t mez_yaml_parse(apr_pool_t *p, const char *name, const char *buf, size_t len, mez_yaml_doc_t **out,
                            mez_problem_t *pb)
{
    yaml_parser_t parser;
    loader_t *ld = apr_pcalloc(p, sizeof(*ld));
    mez_status_t rv = MEZ_OK;
    int done = 0, documents = 0;

    *out = NULL;
    ld->p = p;
    ld->pb = pb;
    ld->doc = apr_pcalloc(p, sizeof(*ld->doc));
    ld->doc->name = name ? apr_pstrdup(p, name) : "<yaml>";
    ld->doc->positions = apr_hash_make(p);

    if (!yaml_parser_initialize(&parser))
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "yaml.internal", NULL, "cannot initialise libyaml");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

    while (!done && rv == MEZ_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rv = syntax_error(ld, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                rv = fail_at(ld, 422, "yaml.multiple_documents", NULL, ev.start_mark,
                             "only one YAML document is allowed per file");
            break;
        case YAML_SCALAR_EVENT:
            rv = on_scalar(ld, &ev);
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            rv = on_start(ld, &ev, ev.type == YAML_MAPPING_START_EVENT);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            ld->depth--;
            break;
        case YAML_ALIAS_EVENT:
            rv = fail_at(ld, 422, "yaml.alias_not_allowed", NULL, ev.start_mark,
                         "alias *%s: anchors and aliases are not allowed, write the value out",
                         (const char *)ev.data.alias.anchor);
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    if (rv != MEZ_OK) {
        json_decref(ld->root);
        return rv;
    }
    if (!ld->root) {
        /* A file of comments only: an empty document, which YAML reads as null. */
        yaml_mark_t m = { 0, 0, 0 };
        node_positions_t *root = NULL;
        ld->root = json_null();
        remember(ld, NULL, &root, NULL, 0, m);
    }
    ld->doc->root = mez_json_pool_own(p, ld->root);
    *out = ld->doc;
    return MEZ_OK;
}

mez_status_t mez_yaml_read_file(apr_pool_t *p, const char *path, size_t max, char **buf, size_t *len,
                                mez_problem_t *pb)
{
    struct stat sb;
    size_t n, got = 0;
    int fd;

    *buf = NULL;
    *len = 0;
    /* Opened without waiting and checked on the descriptor: a named pipe or a device where a pack, an act, a zone
     * file or a lock belongs is refused at once instead of hanging httpd's start-up or the CLI. */
    if ((fd = mez_file_open_regular_or_problem(p, path, &sb, pb)) < 0)
        return MEZ_EIO;
    if ((apr_uint64_t)sb.st_size > (apr_uint64_t)max) {
        close(fd);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.too_large", NULL, "%s is larger than %lu bytes", path,
                           (unsigned long)max);
    }
    n = (size_t)sb.st_size;
    *buf = apr_palloc(p, n + 1);
    while (got < n) {
        ssize_t r = read(fd, *buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            close(fd);
            *buf = NULL;
            return mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "cannot read %s: %s", path,
                               e ? strerror(e) : "it became shorter while being read");
        }
        got += (size_t)r;
    }
    close(fd);
    (*buf)[n] = '\0';
    *len = n;
    return MEZ_OK;
}

mez_status_t mez_yaml_parse_file(apr_pool_t *p, const char *path, mez_yaml_doc_t **out, mez_problem_t *pb)
{
    char *buf;
    size_t len;
    mez_status_t rv;
    *out = NULL;
    if ((rv = mez_yaml_read_file(p, path, MEZ_YAML_MAX_FILE, &buf, &len, pb)) != MEZ_OK)
        return rv;
    return mez_yaml_parse(p, path, buf, len, out, pb);
}

mez_yaml_pos_t mez_yaml_position(const mez_yaml_doc_t *doc, const char *pointer)
{
    mez_yaml_pos_t best = { 1, 1 };
    const node_positions_t *np = positions_of(doc, NULL);
    const json_t *node = doc->root;

    if (!np || !np->items || np->items->nelts < 1)
        return best;
    best = APR_ARRAY_IDX(np->items, 0, mez_yaml_pos_t);
    /* Walk down the pointer one reference token at a time for as long as the model has the node and its
     * position is known: a missing member is reported where the nearest ancestor that has one is. */
    while (pointer && *pointer == '/' && node && (np = positions_of(doc, node)) != NULL) {
        const char *tok = pointer + 1, *end = strchr(tok, '/');
        size_t n = end ? (size_t)(end - tok) : strlen(tok);
        const json_t *child = NULL;
        const mez_yaml_pos_t *pos = NULL;
        if (json_is_object(node) && np->members) {
            /* RFC 6901: "~1" is '/', "~0" is '~'. A token longer than any key cannot name a member. */
            char key[MEZ_YAML_MAX_KEY + 1];
            size_t k = 0;
            for (size_t i = 0; i < n && k <= MEZ_YAML_MAX_KEY; i++) {
                if (tok[i] == '~' && i + 1 < n && (tok[i + 1] == '0' || tok[i + 1] == '1'))
                    key[k++] = tok[++i] == '0' ? '~' : '/';
                else
                    key[k++] = tok[i];
            }
            if (k > MEZ_YAML_MAX_KEY)
                break;
            key[k] = '\0';
            child = json_object_get(node, key);
            pos = apr_hash_get(np->members, key, (apr_ssize_t)k);
        }
        else if (json_is_array(node) && np->items && n > 0 && n <= 19 && strspn(tok, "0123456789") >= n
                 && (n == 1 || tok[0] != '0')) {   /* RFC 6901: an index has no leading zero */
            size_t index = 0;
            for (size_t i = 0; i < n; i++)
                index = index * 10 + (size_t)(tok[i] - '0');
            child = json_array_get(node, index);
            pos = index < (size_t)np->items->nelts ? &APR_ARRAY_IDX(np->items, (int)index, mez_yaml_pos_t) : NULL;
        }
        if (!child || !pos)
            break;
        best = *pos;
        node = child;
        pointer = tok + n;
    }
    return best;
}

mez_status_t mez_yaml_problem(mez_problem_t *pb, apr_pool_t *p, const mez_yaml_doc_t *doc, const char *code,
                              const char *pointer, const char *fmt, ...)
{
    va_list ap;
    const char *msg;
    mez_yaml_pos_t pos = mez_yaml_position(doc, pointer);
    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return mez_problem(pb, p, MEZ_EINVAL, 422, code, pointer, "%s:%d:%d: %s%s%s", doc->name, pos.line, pos.column,
                       msg, pointer && *pointer ? " (at " : "",
                       pointer && *pointer ? apr_pstrcat(p, pointer, ")", NULL) : "");
}
