/* pack_akn.c: Akoma Ntoso documents through libxml2: the XSD compiled once, each act parsed safely, validated,
 * and every eId element indexed as plain strings, so lookups on the request path never touch libxml2. */
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

/* A growing text with whitespace collapsed: runs of ASCII white space become one space, blocks become lines. */
typedef struct text_t {
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
        char *b = realloc(t->buf, cap);
        if (!b)
            abort();      /* out of memory while indexing at start-up: nothing sensible to do */
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

static const char *text_finish(apr_pool_t *p, text_t *t)
{
    const char *r;
    while (t->len && t->buf[t->len - 1] == '\n')
        t->len--;
    r = apr_pstrmemdup(p, t->buf ? t->buf : "", t->len);
    free(t->buf);
    return r;
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

static void collect_text(text_t *t, const xmlNode *n, const xmlNode *skip1, const xmlNode *skip2)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c == skip1 || c == skip2)
            continue;
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content)
                text_chars(t, (const char *)c->content);
        }
        else if (c->type == XML_ELEMENT_NODE) {
            int block = is_block(c);
            if (block)
                text_break(t);
            collect_text(t, c, NULL, NULL);
            if (is_akn(c, "num")) {
                t->pending_space = 1;
                t->glue = 1;
            }
            else if (block) {
                text_break(t);
            }
        }
    }
}

static const char *inline_text(apr_pool_t *p, const xmlNode *n)
{
    text_t t = { NULL, 0, 0, 1, 0, 0 };
    if (!n)
        return NULL;
    collect_text(&t, n, NULL, NULL);
    return text_finish(p, &t);
}

/* ------------------------------------------------------------------ indexing */

typedef struct index_ctx_t {
    apr_pool_t *p;
    const char *name;
    apr_hash_t *sections;
    mez_problem_t *pb;
} index_ctx_t;

static mez_status_t index_element(index_ctx_t *ix, const xmlNode *n)
{
    const char *eid = attr(ix->p, n, "eId");
    if (eid) {
        mez_akn_section_t *s;
        const xmlNode *num = akn_child(n, "num"), *heading = akn_child(n, "heading");
        text_t t = { NULL, 0, 0, 1, 0, 0 };
        const mez_akn_section_t *other = apr_hash_get(ix->sections, eid, APR_HASH_KEY_STRING);
        if (other)
            return mez_problem(ix->pb, ix->p, MEZ_EINVAL, 422, "pack.akn_duplicate_eid", NULL,
                               "%s:%ld: the eId %s is already used (%s:%d)", ix->name, xmlGetLineNo(n), eid,
                               other->document, other->line);
        s = apr_pcalloc(ix->p, sizeof(*s));
        s->eid = eid;
        s->element = apr_pstrdup(ix->p, (const char *)n->name);
        s->num = inline_text(ix->p, num);
        s->heading = inline_text(ix->p, heading);
        collect_text(&t, n, num, heading);
        s->text = text_finish(ix->p, &t);
        s->document = ix->name;
        s->line = (int)xmlGetLineNo(n);
        apr_hash_set(ix->sections, eid, APR_HASH_KEY_STRING, s);
    }
    for (const xmlNode *c = n->children; c; c = c->next) {
        mez_status_t rv;
        if (c->type == XML_ELEMENT_NODE && (rv = index_element(ix, c)) != MEZ_OK)
            return rv;
    }
    return MEZ_OK;
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
    index_ctx_t ix = { p, name, sections, pb };
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
    rv = index_element(&ix, root);
done:
    if (rv != MEZ_OK && problems && pb && strcmp(pb->code, "pack.akn_invalid")) {
        mez_problem_t *pr = apr_array_push(problems);
        *pr = *pb;
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rv;
}
