/* pack_akn.c: Akoma Ntoso documents through libxml2: the XSD compiled once, each act parsed safely, validated,
 * and every eId element indexed as offsets into the document's text kept once, so lookups on the request path
 * never touch libxml2. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include "mez/pack.h"

#define AKN_NS "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"

struct mez_akn_schema_t {
    xmlSchemaPtr schema;
    const char *path;
};

void mez_pack_global_init(void)
{
    LIBXML_TEST_VERSION
    xmlInitParser();
}

/* ------------------------------------------------------------------ error collection */

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_ptr;
#else
typedef xmlErrorPtr xml_error_ptr;
#endif

typedef struct xml_errors_t {
    apr_pool_t *p;
    const char *name;           /* the document (or schema) name used in messages */
    const char *code;
    apr_array_header_t *all;    /* optional: every error as a mez_problem_t */
    int count;
    int first_line;
    const char *first;          /* "NAME:LINE: message" of the first error */
} xml_errors_t;

/* libxml2 messages end in a newline and sometimes carry a "Schemas validity error : " style prefix only when
 * printed by its default handler; the structured error has just the message. */
static const char *clean_message(apr_pool_t *p, const char *m)
{
    char *s = apr_pstrdup(p, m ? m : "unknown XML error");
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

static void on_xml_error(void *ctx, xml_error_ptr err)
{
    xml_errors_t *errs = ctx;
    const char *msg;
    if (!err || err->level == XML_ERR_WARNING)
        return;
    msg = apr_psprintf(errs->p, "%s:%d: %s", errs->name, err->line, clean_message(errs->p, err->message));
    if (errs->count++ == 0) {
        errs->first = msg;
        errs->first_line = err->line;
    }
    if (errs->all && errs->count <= 1000) {
        mez_problem_t *pr = apr_array_push(errs->all);
        memset(pr, 0, sizeof(*pr));
        mez_problem(pr, errs->p, MEZ_EINVAL, 422, errs->code, NULL, "%s", msg);
    }
}

/* ------------------------------------------------------------------ the schema */

static apr_status_t schema_cleanup(void *data)
{
    mez_akn_schema_t *s = data;
    xmlSchemaFree(s->schema);
    s->schema = NULL;
    return APR_SUCCESS;
}

mez_status_t mez_akn_schema_load(apr_pool_t *p, const char *xsd_path, const mez_akn_schema_t **out,
                                 mez_problem_t *pb)
{
    xml_errors_t errs = { p, xsd_path, "pack.akn_schema_invalid", NULL, 0, 0, NULL };
    xmlSchemaParserCtxtPtr pctxt;
    mez_akn_schema_t *s;
    apr_finfo_t fi;

    *out = NULL;
    if (!xsd_path || apr_stat(&fi, xsd_path, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_REG)
        return mez_problem(pb, p, MEZ_EIO, 500, "pack.akn_schema_invalid", NULL,
                           "the Akoma Ntoso schema %s is not a readable file (set " MEZ_AKN_XSD_ENV
                           " to akomantoso30.xsd)", xsd_path ? xsd_path : "(none)");
    pctxt = xmlSchemaNewParserCtxt(xsd_path);
    if (!pctxt)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "pack.akn_schema_invalid", NULL, "out of memory");
    xmlSchemaSetParserStructuredErrors(pctxt, on_xml_error, &errs);
    s = apr_pcalloc(p, sizeof(*s));
    s->schema = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);
    if (!s->schema)
        return mez_problem(pb, p, MEZ_EIO, 500, "pack.akn_schema_invalid", NULL, "cannot compile the schema: %s",
                           errs.first ? errs.first : xsd_path);
    s->path = apr_pstrdup(p, xsd_path);
    apr_pool_cleanup_register(p, s, schema_cleanup, apr_pool_cleanup_null);
    *out = s;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ tree helpers */

static int is_akn(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, AKN_NS)
           && (!name || !strcmp((const char *)n->name, name));
}

static const xmlNode *akn_child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_akn(c, name))
            return c;
    return NULL;
}

static const xmlNode *first_element(const xmlNode *n)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static const char *attr(apr_pool_t *p, const xmlNode *n, const char *name)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    const char *r = v ? apr_pstrdup(p, (const char *)v) : NULL;
    xmlFree(v);
    return r;
}

/* A growing text with whitespace collapsed: runs of ASCII white space become one space, blocks become lines.
 * It grows in the pool of the caller it is rendered for. */
typedef struct text_t {
    apr_pool_t *p;
    char *buf;
    size_t len, cap;
    int line_start;       /* nothing written on the current line yet */
    int pending_space;
    int glue;             /* the last thing written was a num: the next block continues this line */
} text_t;

static void text_putc(text_t *t, char c)
{
    if (t->len + 1 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char *b = apr_palloc(t->p, cap);
        if (t->len)
            memcpy(b, t->buf, t->len);
        t->buf = b;
        t->cap = cap;
    }
    t->buf[t->len++] = c;
}

static void text_chars(text_t *t, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            t->pending_space = 1;
            continue;
        }
        if (t->pending_space && !t->line_start)
            text_putc(t, ' ');
        text_putc(t, *s);
        t->pending_space = 0;
        t->line_start = 0;
        t->glue = 0;
    }
}

static void text_break(text_t *t)
{
    /* A num stays on the line of the text it numbers, however many blocks open before that text. */
    if (t->glue) {
        t->pending_space = 1;
        return;
    }
    if (!t->line_start)
        text_putc(t, '\n');
    t->line_start = 1;
    t->pending_space = 0;
}

static const char *text_finish(text_t *t)
{
    while (t->len && t->buf[t->len - 1] == '\n')
        t->len--;
    return t->len ? apr_pstrmemdup(t->p, t->buf, t->len) : "";
}

static int is_block(const xmlNode *n)
{
    static const char *const blocks[] = {
        "p", "section", "subsection", "paragraph", "subparagraph", "clause", "subclause", "point", "list",
        "item", "blockList", "intro", "wrapUp", "listIntroduction", "listWrapUp", "article", "chapter", "part",
        "division", "rule", "subrule", "proviso", "tblock", "table", "tr", "hcontainer", "level", "alinea",
        "indent", "crossHeading", "blockContainer", "remark", NULL
    };
    if (!is_akn(n, NULL))
        return 0;
    for (int i = 0; blocks[i]; i++)
        if (!strcmp((const char *)n->name, blocks[i]))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ a document's text, kept once */

/* A document's text is kept as one stream of events in document order: a text node (EV_TEXT, its characters, a
 * NUL: libxml2 hands text over as C strings, so none holds a NUL), the start or end of a block (EV_BREAK) and the
 * end of a num (EV_GLUE). Replaying a stretch of it through text_t does exactly what walking that part of the tree
 * did, so an element is two offsets into the stream, and its strings are rendered when someone asks for them.
 * Keeping a string per eId instead held an element's text once for every eId above it: 200 nested hcontainers of
 * a 2 MB act took 427 MB, for the server's life. */
enum { EV_TEXT = 1, EV_BREAK = 2, EV_GLUE = 3 };

typedef struct range_t {
    size_t from, to;
} range_t;

struct mez_akn_span_t {
    const char *stream;        /* the document's events, shared by all its elements */
    range_t content;           /* the element's children */
    int has_num, has_heading;
    range_t num, heading;      /* its first <num> and <heading> children: their own content, rendered alone */
    range_t num_all, heading_all;  /* the same with the events around them, left out of the text */
};

typedef struct stream_t {
    char *buf;                 /* malloc'd while it grows, then copied into the pool once */
    size_t len, cap;
    int out_of_memory;
} stream_t;

static void stream_put(stream_t *st, const char *s, size_t n)
{
    if (st->out_of_memory)
        return;
    if (st->cap - st->len < n) {
        size_t cap = st->cap ? st->cap : 4096;
        char *b;
        while (cap - st->len < n)
            cap *= 2;
        if (!(b = realloc(st->buf, cap))) {
            st->out_of_memory = 1;
            return;
        }
        st->buf = b;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, s, n);
    st->len += n;
}

static void stream_event(stream_t *st, char ev)
{
    stream_put(st, &ev, 1);
}

/* Replays events from..to into t, leaving out the stretches skip[0] and skip[1] (either may be empty). */
static void replay(text_t *t, const char *stream, range_t r, const range_t *skip1, const range_t *skip2)
{
    size_t i = r.from;
    while (i < r.to) {
        if (skip1 && i == skip1->from && skip1->to > skip1->from) {
            i = skip1->to;
            continue;
        }
        if (skip2 && i == skip2->from && skip2->to > skip2->from) {
            i = skip2->to;
            continue;
        }
        switch (stream[i]) {
        case EV_TEXT:
            text_chars(t, stream + i + 1);
            i += strlen(stream + i + 1) + 2;
            break;
        case EV_BREAK:
            text_break(t);
            i++;
            break;
        default:   /* EV_GLUE */
            t->pending_space = 1;
            t->glue = 1;
            i++;
            break;
        }
    }
}

static const char *render(apr_pool_t *p, const char *stream, range_t r, const range_t *skip1,
                          const range_t *skip2)
{
    text_t t = { p, NULL, 0, 0, 1, 0, 0 };
    replay(&t, stream, r, skip1, skip2);
    return text_finish(&t);
}

void mez_akn_section_text(apr_pool_t *p, const mez_akn_section_t *s, mez_akn_text_t *out)
{
    const mez_akn_span_t *sp = s->span;
    if (!sp) {
        out->num = out->heading = NULL;
        out->text = "";
        return;
    }
    out->num = sp->has_num ? render(p, sp->stream, sp->num, NULL, NULL) : NULL;
    out->heading = sp->has_heading ? render(p, sp->stream, sp->heading, NULL, NULL) : NULL;
    out->text = render(p, sp->stream, sp->content, sp->has_num ? &sp->num_all : NULL,
                       sp->has_heading ? &sp->heading_all : NULL);
}

/* ------------------------------------------------------------------ indexing */

typedef struct index_ctx_t {
    apr_pool_t *p;
    const char *name;
    apr_hash_t *sections;
    mez_problem_t *pb;
    stream_t stream;
    apr_array_header_t *spans;  /* this document's spans, given the stream once it stops moving */
} index_ctx_t;

/* Appends n's content to the stream, indexing n (when it has an eId) before the elements below it, so a duplicate
 * is reported at the later of the two in document order. */
static mez_status_t index_element(index_ctx_t *ix, const xmlNode *n)
{
    const char *eid = attr(ix->p, n, "eId");
    const xmlNode *num = NULL, *heading = NULL;
    mez_akn_span_t *sp = NULL;
    if (eid) {
        mez_akn_section_t *s;
        const mez_akn_section_t *other = apr_hash_get(ix->sections, eid, APR_HASH_KEY_STRING);
        if (other)
            return mez_problem(ix->pb, ix->p, MEZ_EINVAL, 422, "pack.akn_duplicate_eid", NULL,
                               "%s:%ld: the eId %s is already used (%s:%d)", ix->name, xmlGetLineNo(n), eid,
                               other->document, other->line);
        num = akn_child(n, "num");
        heading = akn_child(n, "heading");
        sp = apr_pcalloc(ix->p, sizeof(*sp));
        sp->content.from = ix->stream.len;
        sp->has_num = num != NULL;
        sp->has_heading = heading != NULL;
        APR_ARRAY_PUSH(ix->spans, mez_akn_span_t *) = sp;
        s = apr_pcalloc(ix->p, sizeof(*s));
        s->eid = eid;
        s->element = apr_pstrdup(ix->p, (const char *)n->name);
        s->document = ix->name;
        s->line = (int)xmlGetLineNo(n);
        s->span = sp;
        apr_hash_set(ix->sections, eid, APR_HASH_KEY_STRING, s);
    }
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content && *c->content) {
                stream_event(&ix->stream, EV_TEXT);
                stream_put(&ix->stream, (const char *)c->content, strlen((const char *)c->content) + 1);
            }
        }
        else if (c->type == XML_ELEMENT_NODE) {
            size_t all = ix->stream.len, from, to;
            int block = is_block(c);
            mez_status_t rv;
            if (block)
                stream_event(&ix->stream, EV_BREAK);
            from = ix->stream.len;
            if ((rv = index_element(ix, c)) != MEZ_OK)
                return rv;
            to = ix->stream.len;
            if (is_akn(c, "num"))
                stream_event(&ix->stream, EV_GLUE);
            else if (block)
                stream_event(&ix->stream, EV_BREAK);
            if (c == num) {
                sp->num = (range_t) { from, to };
                sp->num_all = (range_t) { all, ix->stream.len };
            }
            else if (c == heading) {
                sp->heading = (range_t) { from, to };
                sp->heading_all = (range_t) { all, ix->stream.len };
            }
        }
    }
    if (sp)
        sp->content.to = ix->stream.len;
    return MEZ_OK;
}

/* Indexes the document from root, then copies its stream into the pool once, for the spans to point into. */
static mez_status_t index_document(index_ctx_t *ix, const xmlNode *root)
{
    mez_status_t rv = index_element(ix, root);
    if (rv == MEZ_OK && ix->stream.out_of_memory)
        rv = mez_problem(ix->pb, ix->p, MEZ_EINTERNAL, 500, "pack.internal", NULL,
                         "%s: out of memory while indexing its text", ix->name);
    /* Even a refused document's spans get a stream they lie in (its start, or nothing): the sections already
     * in the table stay safe to render. */
    for (int i = 0; i < ix->spans->nelts; i++) {
        mez_akn_span_t *sp = APR_ARRAY_IDX(ix->spans, i, mez_akn_span_t *);
        if (ix->stream.out_of_memory) {
            memset(sp, 0, sizeof(*sp));
            sp->stream = "";
        }
        else if (i == 0) {
            sp->stream = ix->stream.len ? apr_pmemdup(ix->p, ix->stream.buf, ix->stream.len) : "";
        }
        else {
            sp->stream = APR_ARRAY_IDX(ix->spans, 0, mez_akn_span_t *)->stream;
        }
    }
    free(ix->stream.buf);
    ix->stream.buf = NULL;
    return rv;
}

/* The act's FRBRWork must carry the work URI the manifest names, so a lawpack cannot point at another act. */
static mez_status_t check_frbr(apr_pool_t *p, const char *name, const xmlNode *act, const char *frbr_work,
                               mez_problem_t *pb)
{
    const xmlNode *work = akn_child(akn_child(akn_child(act, "meta"), "identification"), "FRBRWork");
    const char *uri = attr(p, akn_child(work, "FRBRuri"), "value");
    const char *self = attr(p, akn_child(work, "FRBRthis"), "value");
    if (!frbr_work)
        return MEZ_OK;
    if ((uri && !strcmp(uri, frbr_work)) || (self && !strcmp(self, frbr_work)))
        return MEZ_OK;
    return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.akn_frbr_mismatch", NULL,
                       "%s:%ld: the act's FRBRWork is %s, the lawpack names %s", name,
                       work ? xmlGetLineNo(work) : 0L, uri ? uri : self ? self : "(missing)", frbr_work);
}

static mez_status_t akn_fail(apr_pool_t *p, mez_problem_t *pb, apr_array_header_t *problems, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static mez_status_t akn_fail(apr_pool_t *p, mez_problem_t *pb, apr_array_header_t *problems, const char *fmt, ...)
{
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    if (problems) {
        mez_problem_t *pr = apr_array_push(problems);
        memset(pr, 0, sizeof(*pr));
        mez_problem(pr, p, MEZ_EINVAL, 422, "pack.akn_invalid", NULL, "%s", msg);
    }
    return mez_problem(pb, p, MEZ_EINVAL, 422, "pack.akn_invalid", NULL, "%s", msg);
}

mez_status_t mez_akn_index(apr_pool_t *p, const mez_akn_schema_t *schema, const char *name, const char *buf,
                           size_t len, const char *frbr_work, apr_hash_t *sections, apr_array_header_t *problems,
                           mez_problem_t *pb)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;
    const xmlNode *root, *act;
    index_ctx_t ix = { p, name, sections, pb, { NULL, 0, 0, 0 }, NULL };
    mez_status_t rv = MEZ_OK;
    /* No network, no DTD loading, no entity substitution; errors go to the context, not stderr; line numbers
     * past 65535 kept (acts are long). */
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;

    if (len > (size_t)MEZ_YAML_MAX_FILE)
        return akn_fail(p, pb, problems, "%s: larger than %d bytes", name, MEZ_YAML_MAX_FILE);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return mez_problem(pb, p, MEZ_EINTERNAL, 500, "pack.internal", NULL, "out of memory");
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL, options);
    if (!doc || !ctxt->wellFormed || !ctxt->nsWellFormed) {
        xml_error_ptr e = xmlCtxtGetLastError(ctxt);
        rv = akn_fail(p, pb, problems, "%s:%d: malformed XML: %s", name, e ? e->line : 0,
                      clean_message(p, e ? e->message : NULL));
        goto done;
    }
    if (doc->intSubset || doc->extSubset) {
        /* AKN needs no DTD; refusing one removes entity tricks from the input entirely. */
        rv = akn_fail(p, pb, problems, "%s:%ld: a DOCTYPE is not allowed in an Akoma Ntoso document", name,
                      doc->intSubset ? xmlGetLineNo((xmlNodePtr)doc->intSubset) : 1L);
        goto done;
    }
    if (schema) {
        xml_errors_t errs = { p, name, "pack.akn_invalid", problems, 0, 0, NULL };
        xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema->schema);
        int r;
        if (!v) {
            rv = mez_problem(pb, p, MEZ_EINTERNAL, 500, "pack.internal", NULL, "out of memory");
            goto done;
        }
        xmlSchemaSetValidStructuredErrors(v, on_xml_error, &errs);
        r = xmlSchemaValidateDoc(v, doc);
        xmlSchemaFreeValidCtxt(v);
        if (r != 0) {
            rv = mez_problem(pb, p, MEZ_EINVAL, 422, "pack.akn_invalid", NULL, "%s (not valid against %s)%s",
                             errs.first ? errs.first : apr_pstrcat(p, name, ": invalid", NULL), schema->path,
                             errs.count > 1 ? apr_psprintf(p, " and %d more", errs.count - 1) : "");
            goto done;
        }
    }
    root = xmlDocGetRootElement(doc);
    act = first_element(root);
    if (!is_akn(root, "akomaNtoso") || !is_akn(act, "act")) {
        rv = akn_fail(p, pb, problems, "%s:%ld: a lawpack document is <akomaNtoso><act> in namespace " AKN_NS,
                      name, root ? xmlGetLineNo(root) : 0L);
        goto done;
    }
    if ((rv = check_frbr(p, name, act, frbr_work, pb)) != MEZ_OK)
        goto done;
    ix.spans = apr_array_make(p, 64, sizeof(mez_akn_span_t *));
    rv = index_document(&ix, root);
done:
    if (rv != MEZ_OK && problems && pb && strcmp(pb->code, "pack.akn_invalid")) {
        mez_problem_t *pr = apr_array_push(problems);
        *pr = *pb;
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rv;
}
