/* sanctions_un.c: the UN Security Council Consolidated List (XML) imported into a regpack `lists:` section.
 * The file is read with libxml2's streaming reader and each record expanded on its own, so memory stays at one
 * record whatever the size of the list. Names are taken as the list writes them and also split where the list
 * packs several names into one string, because screening compares whole names and their tokens: a name hidden
 * inside "A; B (C)" would otherwise never match. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include "mez/file.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/sanctions.h"
#include "mez/tensor.h"
#include "mez/yaml.h"

/* ------------------------------------------------------------------ what the published schema defines */

/* The children sc-sanctions.xsd allows in each element the importer looks into. Anything else is recorded in the
 * report (the list in ../shared carries an ENTITY_ALIAS/NOTE the schema lacks) and the import goes on: a list
 * that drifted from its schema is still the list in force. Subtrees the importer does not read (addresses,
 * documents, dates of birth) are not checked. */
static const char *const root_children[] = { "INDIVIDUALS", "ENTITIES", NULL };
static const char *const individual_children[] = {
    "DATAID", "VERSIONNUM", "FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME", "UN_LIST_TYPE",
    "REFERENCE_NUMBER", "LISTED_ON", "GENDER", "SUBMITTED_BY", "NAME_ORIGINAL_SCRIPT", "COMMENTS1", "NATIONALITY2",
    "TITLE", "DESIGNATION", "NATIONALITY", "LIST_TYPE", "LAST_DAY_UPDATED", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS",
    "INDIVIDUAL_DATE_OF_BIRTH", "INDIVIDUAL_PLACE_OF_BIRTH", "INDIVIDUAL_DOCUMENT", "SORT_KEY", "SORT_KEY_LAST_MOD",
    "DELISTED_ON", NULL
};
static const char *const entity_children[] = {
    "DATAID", "VERSIONNUM", "FIRST_NAME", "UN_LIST_TYPE", "REFERENCE_NUMBER", "LISTED_ON", "SUBMITTED_ON",
    "NAME_ORIGINAL_SCRIPT", "COMMENTS1", "LIST_TYPE", "LAST_DAY_UPDATED", "ENTITY_ALIAS", "ENTITY_ADDRESS",
    "SORT_KEY", "SORT_KEY_LAST_MOD", "DELISTED_ON", NULL
};
static const char *const individual_alias_children[] = {
    "QUALITY", "ALIAS_NAME", "DATE_OF_BIRTH", "CITY_OF_BIRTH", "COUNTRY_OF_BIRTH", "NOTE", NULL
};
static const char *const entity_alias_children[] = { "QUALITY", "ALIAS_NAME", NULL };

static int in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (!strcmp(*list, name))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ import state */

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_t;
#else
typedef xmlErrorPtr xml_error_t;
#endif

typedef struct import_t {
    apr_pool_t *p;
    apr_pool_t *scratch;          /* cleared after each record */
    const char *path;
    const mez_sanctions_un_options_t *opts;
    mez_sanctions_report_t *rep;
    apr_hash_t *unknown;          /* "PARENT/NAME" -> mez_sanctions_unknown_t * */
    apr_hash_t *ids;              /* entry id -> long * (the line of the record that took it) */
    json_t *entries;
    /* The first error libxml2 reported (its messages say what; the reader's own return code does not). */
    int xml_errors;
    long xml_error_line;
    const char *xml_error;
} import_t;

/* libxml2 reports warnings (which do not stop a well-formed read) and errors through this; only errors count. */
static void on_xml_error(void *ctx, xml_error_t err)
{
    import_t *im = ctx;
    char *msg;
    size_t n;
    if (!err || err->level == XML_ERR_WARNING || im->xml_errors++)
        return;
    msg = apr_pstrdup(im->p, err->message ? err->message : "malformed XML");
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    im->xml_error = msg;
    im->xml_error_line = err->line;
}

static void note_unknown(import_t *im, const char *parent, const char *name, long line)
{
    const char *key = apr_pstrcat(im->scratch, parent, "/", name, NULL);
    mez_sanctions_unknown_t *u = apr_hash_get(im->unknown, key, APR_HASH_KEY_STRING);
    if (!u) {
        u = apr_array_push(im->rep->unknown);
        u->path = apr_pstrdup(im->p, key);
        u->count = 0;
        u->first_line = line;
        apr_hash_set(im->unknown, u->path, APR_HASH_KEY_STRING, u);
    }
    u->count++;
}

/* ------------------------------------------------------------------ text */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s with runs of white space (the list wraps long fields over lines) made one space, and trimmed. */
static char *collapse(apr_pool_t *p, const char *s, size_t len)
{
    char *out = apr_palloc(p, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_space(s[i])) {
            if (n && out[n - 1] != ' ')
                out[n++] = ' ';
        }
        else {
            out[n++] = s[i];
        }
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}

/* The element's text, white space collapsed; "" when it has none. */
static const char *node_text(import_t *im, xmlNodePtr n)
{
    xmlChar *c = xmlNodeGetContent(n);
    const char *s = c ? collapse(im->scratch, (const char *)c, strlen((const char *)c)) : "";
    xmlFree(c);
    return s;
}

/* A piece cut out of a name: white space collapsed, and the separators left at its edges (the "," of
 * "Name (...)," or the ":" of a dangling label) removed. */
static const char *clean_piece(apr_pool_t *p, const char *s, size_t len)
{
    char *t = collapse(p, s, len);
    size_t n = strlen(t), start = 0;
    while (n && strchr(",;: ", t[n - 1]))
        n--;
    while (start < n && strchr(",;: ", t[start]))
        start++;
    t[n] = '\0';
    return t + start;
}

/* Decodes one code point of valid UTF-8 (libxml2 hands out nothing else); returns its length. */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if ((s[0] & 0xE0) == 0xC0 && s[1]) { *cp = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu); return 2; }
    if ((s[0] & 0xF0) == 0xE0 && s[1] && s[2]) {
        *cp = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
        *cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

enum { SCRIPT_LATIN = 1, SCRIPT_OTHER = 2 };

/* Which scripts a text's letters are in (a bit each): Latin, or any other (Arabic, Cyrillic, Han, ...).
 * Punctuation of every script (typographic quotes, the Arabic comma, ideographic marks) is neither. */
static int scripts_of(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    int bits = 0;
    while (*u) {
        unsigned cp;
        u += utf8_next(u, &cp);
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7
                                                                      && cp != 0xF7))
            bits |= SCRIPT_LATIN;
        else if (cp >= 0x370 && !(cp >= 0x2000 && cp <= 0x2BFF) && !(cp >= 0x3000 && cp <= 0x303F)
                 && !(cp >= 0xFE30 && cp <= 0xFE4F) && !(cp >= 0xFF00 && cp <= 0xFF20) && cp != 0x060C
                 && cp != 0x061B && cp != 0x061F && cp != 0x066A && cp != 0x066B && cp != 0x066C && cp != 0xFFFD)
            bits |= SCRIPT_OTHER;
    }
    return bits;
}

/* The text after the first occurrence of marker (ASCII, any case) in s, or NULL. */
static const char *after_marker(const char *s, const char *marker)
{
    size_t m = strlen(marker);
    for (; *s; s++)
        if (!strncasecmp(s, marker, m))
            return s + m;
    return NULL;
}

/* ------------------------------------------------------------------ one entry's names */

typedef struct names_t {
    import_t *im;
    apr_hash_t *seen;             /* normalised forms already in the entry */
    json_t *aliases;
    int count, original;
} names_t;

/* Adds one alias unless it normalises like the name or an alias already taken: screening compares normalised
 * forms, so a second spelling that normalises alike adds nothing but size. */
static void add_alias(names_t *nm, const char *alias, int original_script)
{
    const char *norm;
    if (!*alias)
        return;
    norm = mez_tensor_name_normalise(nm->im->scratch, alias);
    if (!*norm || apr_hash_get(nm->seen, norm, APR_HASH_KEY_STRING))
        return;
    apr_hash_set(nm->seen, norm, APR_HASH_KEY_STRING, "");
    json_array_append_new(nm->aliases, json_string(alias));
    nm->count++;
    nm->original += original_script != 0;
}

/* Calls fn for each piece of s between top-level separators sep (';'), parentheses nesting. */
static void split_top(names_t *nm, const char *s, int original_script, int depth,
                      void (*fn)(names_t *, const char *, int, int))
{
    const char *start = s;
    int level = 0;
    for (const char *c = s;; c++) {
        if (*c == '(')
            level++;
        else if (*c == ')' && level > 0)
            level--;
        if (*c == '\0' || (*c == ';' && level == 0)) {
            const char *piece = clean_piece(nm->im->scratch, start, (size_t)(c - start));
            if (*piece)
                fn(nm, piece, original_script, depth);
            if (*c == '\0')
                return;
            start = c + 1;
        }
    }
}

static void add_piece(names_t *nm, const char *piece, int original_script, int depth);

/* A name from the list, which may hold several: "A; B", "Name (name in another script)", "X (original script:
 * Y)", "(Sheikh) Musa Hilal". Each piece is taken as written; a piece with parentheses also without them; and a
 * parenthesised part that holds names (marked as the original script, in another script than the rest, or a
 * list "A; B") also on its own. Parentheses in the same script ("(LRM)", "(third)", "(birth name)") are only cut:
 * they are remarks or acronyms, and an acronym alone would block every name that happens to spell it. */
static void add_names(names_t *nm, const char *text, int original_script, int depth)
{
    split_top(nm, text, original_script, depth, add_piece);
}

/* The list's remarks written into a name, which are not part of it: a birth ("Safia Farkash Mohammed Al-Hadad,
 * born 1 Jan. 1953 (Oman passport ...)" LYi.019, "Mohammad Ishaq Akhund born in 1963" TAi.101, "Khirullah Said
 * Wali Khairkhwa, born in Kandahar on 01 Jan.1967" TAi.093), cut with all that follows; and the label of a
 * sub-unit ("Ansar al-Mujahideen Network - sub-unit name" QDe.137), taken out. Left in, the remark's words are
 * tokens the alias must all find in a screened name, so it matched nobody, not even the person. Only these
 * forms: " born" alone is also a surname ("Max Born"), so it is cut only as ", born" or before "in", "on" or a
 * digit. */
static const char *strip_remarks(apr_pool_t *p, const char *piece)
{
    static const char *const label = "- sub-unit name";
    char *t = apr_pstrdup(p, piece), *c;
    size_t m = strlen(label), i = 0, from;
    while (t[i]) {
        c = t + i;
        if (!strncasecmp(c, label, m)) {
            for (from = i; from > 0 && t[from - 1] == ' '; from--)
                ;
            memmove(t + from, c + m, strlen(c + m) + 1);
            i = from;
            continue;
        }
        if (!strncasecmp(c, ", born ", 7)
            || (!strncasecmp(c, " born ", 6) && (!strncasecmp(c + 6, "in ", 3) || !strncasecmp(c + 6, "on ", 3)
                                                  || (c[6] >= '0' && c[6] <= '9')))) {
            *c = '\0';
            break;
        }
        i++;
    }
    return t;
}

static void add_piece(names_t *nm, const char *piece, int original_script, int depth)
{
    apr_pool_t *p = nm->im->scratch;
    const char *c, *open = NULL;
    char *base;
    size_t n = 0;
    int level = 0, base_scripts;
    apr_array_header_t *groups;

    piece = strip_remarks(p, piece);
    piece = clean_piece(p, piece, strlen(piece));
    if (!*piece)
        return;

    /* Inside parentheses a piece with parentheses of its own ("... (original script)") is a remark on a name:
     * only the name is taken. At the top level the piece is also kept as the list writes it. */
    if (depth == 0 || !strchr(piece, '('))
        add_alias(nm, piece, original_script);
    if (!strchr(piece, '('))
        return;
    /* The piece without its parenthesised parts, and those parts (top level only; an unclosed one runs to the
     * end, a stray ')' is kept as text). */
    base = apr_palloc(p, strlen(piece) + 1);
    groups = apr_array_make(p, 2, sizeof(const char *));
    for (c = piece; *c; c++) {
        if (*c == '(') {
            if (level++ == 0)
                open = c + 1;
            continue;
        }
        if (*c == ')' && level > 0) {
            if (--level == 0) {
                APR_ARRAY_PUSH(groups, const char *) = clean_piece(p, open, (size_t)(c - open));
                base[n++] = ' ';
            }
            continue;
        }
        if (level == 0)
            base[n++] = *c;
    }
    if (level > 0)
        APR_ARRAY_PUSH(groups, const char *) = clean_piece(p, open, strlen(open));
    base[n] = '\0';
    base = (char *)clean_piece(p, base, n);
    add_alias(nm, base, original_script);
    if (depth >= 2)
        return;     /* the list nests names two deep at most; deeper parentheses are remarks */
    base_scripts = scripts_of(base);
    for (int i = 0; i < groups->nelts; i++) {
        const char *g = APR_ARRAY_IDX(groups, i, const char *), *rest;
        int gs = scripts_of(g), listing = 0;
        if (!strncasecmp(g, "original script", 15)) {
            rest = clean_piece(p, g + 15, strlen(g + 15));
            if (*rest)
                add_names(nm, rest, 1, depth + 1);
            continue;
        }
        for (const char *q = g; *q; q++)
            listing |= *q == ';';
        if (listing || ((gs == SCRIPT_LATIN || gs == SCRIPT_OTHER) && (base_scripts == SCRIPT_LATIN
                                                                       || base_scripts == SCRIPT_OTHER)
                        && gs != base_scripts))
            add_names(nm, g, original_script || gs == SCRIPT_OTHER, depth + 1);
    }
}

/* An alias NOTE sometimes gives the alias in its own script ("original script: Абу Банат", "In Arabic: سيف
 * العدل"); that name is taken, nothing else of a note (they also hold passports, places, remarks). */
static void add_note_names(names_t *nm, const char *note)
{
    static const char *const markers[] = { "original script:", "in arabic script:", "in arabic:", NULL };
    for (const char *const *m = markers; *m; m++) {
        const char *rest = after_marker(note, *m);
        if (rest) {
            rest = clean_piece(nm->im->scratch, rest, strlen(rest));
            if (scripts_of(rest) == SCRIPT_OTHER)
                add_names(nm, rest, 1, 1);
            return;
        }
    }
}

/* ------------------------------------------------------------------ records */

/* "2015-04-07" from an xs:date, which may carry a zone ("2015-04-07-04:00", "2015-04-07Z"); NULL if it is none. */
static const char *date_of(apr_pool_t *p, const char *s)
{
    char d[11];
    if (strlen(s) < 10)
        return NULL;
    memcpy(d, s, 10);
    d[10] = '\0';
    if (!mez_pack_date_ok(d) || (s[10] && !strchr("TZ+-", s[10])))
        return NULL;
    return apr_pstrdup(p, d);
}

/* The entry id for a REFERENCE_NUMBER: "QDi.001" -> "qdi-001" (a pack row id is [a-z0-9] then [a-z0-9._-]). */
static const char *entry_id(apr_pool_t *p, const char *ref)
{
    char *id = apr_pstrdup(p, ref);
    for (char *c = id; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
        else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            *c = '-';
    }
    return id;
}

static mez_status_t bad_record(import_t *im, long line, const char *what, const char *ref, mez_problem_t *pb)
{
    return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.invalid_record", NULL, "%s:%ld: %s%s%s%s", im->path,
                       line, what, ref ? " (" : "", ref ? ref : "", ref ? ")" : "");
}

static mez_status_t read_record(import_t *im, xmlNodePtr rec, int individual, mez_problem_t *pb)
{
    const char *kind = individual ? "INDIVIDUAL" : "ENTITY";
    const char *alias_el = individual ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
    const char *const *known = individual ? individual_children : entity_children;
    const char *const *alias_known = individual ? individual_alias_children : entity_alias_children;
    static const char *const name_parts[4] = { "FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME" };
    const char *part[4] = { NULL, NULL, NULL, NULL };
    const char *ref = NULL, *list_type = NULL, *listed_on = NULL, *script = NULL, *delisted = NULL;
    const char *name = "", *id, *norm;
    apr_array_header_t *aliases = apr_array_make(im->scratch, 8, sizeof(xmlNodePtr));
    long line = xmlGetLineNo(rec), *taken;
    names_t nm;
    json_t *entry;

    for (xmlNodePtr c = rec->children; c; c = c->next) {
        const char *n = (const char *)c->name;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!in_list(known, n))
            note_unknown(im, kind, n, xmlGetLineNo(c));
        for (int i = 0; i < 4; i++)
            if (!strcmp(n, name_parts[i]) && !part[i])
                part[i] = node_text(im, c);
        if (!strcmp(n, "REFERENCE_NUMBER") && !ref)
            ref = node_text(im, c);
        else if (!strcmp(n, "UN_LIST_TYPE") && !list_type)
            list_type = node_text(im, c);
        else if (!strcmp(n, "LISTED_ON") && !listed_on)
            listed_on = node_text(im, c);
        else if (!strcmp(n, "NAME_ORIGINAL_SCRIPT") && !script)
            script = node_text(im, c);
        else if (!strcmp(n, "DELISTED_ON") && !delisted)
            delisted = node_text(im, c);
        else if (!strcmp(n, alias_el))
            APR_ARRAY_PUSH(aliases, xmlNodePtr) = c;
    }
    /* A delisted record is no longer a sanction; the consolidated list normally drops them itself. */
    if (delisted && *delisted) {
        im->rep->delisted_skipped++;
        return MEZ_OK;
    }
    if (!ref || !*ref)
        return bad_record(im, line, apr_pstrcat(im->scratch, kind, " without a REFERENCE_NUMBER: an entry that "
                                                "cannot be cited cannot be screened", NULL), NULL, pb);
    for (int i = 0; i < 4; i++) {
        /* "na" is the schema's default for an absent second, third or fourth name, not a name. */
        if (!part[i] || !*part[i] || (i > 0 && !strcmp(part[i], "na")))
            continue;
        name = *name ? apr_pstrcat(im->scratch, name, " ", part[i], NULL) : part[i];
    }
    norm = mez_tensor_name_normalise(im->scratch, name);
    if (!*norm)
        return bad_record(im, line, apr_pstrcat(im->scratch, kind, " without a name (FIRST_NAME .. FOURTH_NAME)",
                                                NULL), ref, pb);
    id = entry_id(im->scratch, ref);
    if ((taken = apr_hash_get(im->ids, id, APR_HASH_KEY_STRING)) != NULL)
        return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.duplicate_reference", NULL,
                           "%s:%ld: REFERENCE_NUMBER %s is entry id %s, which the record at line %ld has already",
                           im->path, line, ref, id, *taken);
    taken = apr_palloc(im->p, sizeof(*taken));
    *taken = line;
    apr_hash_set(im->ids, apr_pstrdup(im->p, id), APR_HASH_KEY_STRING, taken);

    nm.im = im;
    nm.seen = apr_hash_make(im->scratch);
    nm.aliases = json_array();
    nm.count = nm.original = 0;
    apr_hash_set(nm.seen, norm, APR_HASH_KEY_STRING, "");
    /* The name stays as written; what splitting it gives ("NAME (ACRONYM)" without the acronym, the two names
     * of "A (X) ; B (Y)") is screened as aliases. */
    add_names(&nm, name, 0, 0);
    if (script && *script)
        add_names(&nm, script, 1, 0);
    for (int i = 0; i < aliases->nelts; i++) {
        xmlNodePtr a = APR_ARRAY_IDX(aliases, i, xmlNodePtr);
        const char *quality = "", *alias = "", *note = "";
        for (xmlNodePtr c = a->children; c; c = c->next) {
            const char *n = (const char *)c->name;
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (!in_list(alias_known, n))
                note_unknown(im, alias_el, n, xmlGetLineNo(c));
            if (!strcmp(n, "QUALITY"))
                quality = node_text(im, c);
            else if (!strcmp(n, "ALIAS_NAME"))
                alias = node_text(im, c);
            else if (!strcmp(n, "NOTE"))
                note = node_text(im, c);
        }
        if (!*alias)
            continue;   /* the list writes "no alias" as an empty INDIVIDUAL_ALIAS */
        if (!strcasecmp(quality, "low") && !im->opts->include_low_quality) {
            im->rep->low_quality_skipped++;
            continue;
        }
        add_names(&nm, alias, 0, 0);
        if (*note)
            add_note_names(&nm, note);
    }

    entry = json_object();
    json_object_set_new(entry, "id", json_string(id));
    json_object_set_new(entry, "name", json_string(name));
    if (nm.count)
        json_object_set_new(entry, "aliases", nm.aliases);
    else
        json_decref(nm.aliases);
    /* A listing date that is no date is left out: the entry then screens on every date, the safe side. */
    if (listed_on && (listed_on = date_of(im->scratch, listed_on)) != NULL)
        json_object_set_new(entry, "listed_on", json_string(listed_on));
    json_object_set_new(entry, "source_detail", json_string(list_type && *list_type
                                                             ? apr_pstrcat(im->scratch, list_type, " ", ref, NULL)
                                                             : ref));
    json_array_append_new(im->entries, entry);
    im->rep->aliases += nm.count;
    im->rep->original_script += nm.original;
    if (individual)
        im->rep->individuals++;
    else
        im->rep->entities++;
    return MEZ_OK;
}

/* ------------------------------------------------------------------ the document */

static mez_status_t xml_problem(import_t *im, xmlTextReaderPtr rd, const char *fallback, mez_problem_t *pb)
{
    long line = im->xml_error ? im->xml_error_line : (long)xmlTextReaderGetParserLineNumber(rd);
    return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.invalid_xml", NULL, "%s:%ld: %s", im->path, line,
                       im->xml_error ? im->xml_error : fallback);
}

/* Reads the whole document: the root and its date, then each record expanded alone and skipped past. */
static mez_status_t read_list(import_t *im, xmlTextReaderPtr rd, mez_problem_t *pb)
{
    int r, skip = 0, section = 0;   /* section: 1 INDIVIDUALS, 2 ENTITIES */
    int seen_root = 0, seen_sections = 0, records = 0;
    mez_status_t rv;

    for (;;) {
        const char *name;
        int depth;
        r = skip ? xmlTextReaderNext(rd) : xmlTextReaderRead(rd);
        skip = 0;
        if (r != 1)
            break;
        if (im->xml_errors)
            return xml_problem(im, rd, "malformed XML", pb);
        if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_DOCUMENT_TYPE)
            return xml_problem(im, rd, "a DOCTYPE is not allowed in the list (no entity may expand in it)", pb);
        if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT)
            continue;
        name = (const char *)xmlTextReaderConstName(rd);
        depth = xmlTextReaderDepth(rd);
        if (depth == 0) {
            xmlChar *dg;
            if (strcmp(name, "CONSOLIDATED_LIST"))
                return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.not_un_list", NULL,
                                   "%s: the root element is <%s>, not the UN list's <CONSOLIDATED_LIST>", im->path,
                                   name);
            seen_root = 1;
            dg = xmlTextReaderGetAttribute(rd, (const xmlChar *)"dateGenerated");
            im->rep->date_generated = dg ? collapse(im->p, (const char *)dg, strlen((const char *)dg)) : NULL;
            xmlFree(dg);
            if (!im->rep->date_generated
                || !(im->rep->list_date = date_of(im->p, im->rep->date_generated)))
                return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.missing_date", NULL,
                                   "%s: <CONSOLIDATED_LIST> has no dateGenerated date (it is the list's version; "
                                   "found %s%s%s)", im->path, im->rep->date_generated ? "'" : "",
                                   im->rep->date_generated ? im->rep->date_generated : "none",
                                   im->rep->date_generated ? "'" : "");
        }
        else if (depth == 1) {
            section = !strcmp(name, "INDIVIDUALS") ? 1 : !strcmp(name, "ENTITIES") ? 2 : 0;
            seen_sections |= section;
            if (!section) {
                if (!in_list(root_children, name))
                    note_unknown(im, "CONSOLIDATED_LIST", name, xmlGetLineNo(xmlTextReaderCurrentNode(rd)));
                skip = 1;
            }
        }
        else if (depth == 2) {
            const char *want = section == 1 ? "INDIVIDUAL" : "ENTITY";
            xmlNodePtr rec;
            skip = 1;
            if (strcmp(name, want)) {
                note_unknown(im, section == 1 ? "INDIVIDUALS" : "ENTITIES", name,
                             xmlGetLineNo(xmlTextReaderCurrentNode(rd)));
                continue;
            }
            /* Expanding reads the record to its end; a malformed record shows up here, not at the next read. */
            rec = xmlTextReaderExpand(rd);
            if (!rec || im->xml_errors)
                return xml_problem(im, rd, "malformed XML", pb);
            rv = read_record(im, rec, section == 1, pb);
            records++;
            apr_pool_clear(im->scratch);
            if (rv != MEZ_OK)
                return rv;
        }
    }
    if (r < 0 || im->xml_errors)
        return xml_problem(im, rd, "malformed XML", pb);
    if (!seen_root)
        return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.not_un_list", NULL,
                           "%s: no root element: not the UN list", im->path);
    /* Screening is a hard block, so a list that names no one fails open: every name passes. A feed that lost
     * its records, or wrapped them in an element this reader does not know, must stop the import, not replace
     * the zone's list with an empty one. */
    if (seen_sections != 3)
        return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.not_un_list", NULL,
                           "%s: <CONSOLIDATED_LIST> has no <%s> (the UN list has both <INDIVIDUALS> and "
                           "<ENTITIES>)", im->path, seen_sections & 1 ? "ENTITIES" : "INDIVIDUALS");
    if (records == 0)
        return mez_problem(pb, im->p, MEZ_EINVAL, 422, "sanctions.empty_list", NULL,
                           "%s: the list holds no <INDIVIDUAL> or <ENTITY> record; a list that names no one "
                           "would let every name through screening", im->path);
    return MEZ_OK;
}

static json_t *build_model(import_t *im)
{
    const mez_sanctions_un_options_t *o = im->opts;
    const char *date = im->rep->list_date;
    json_t *m = json_object(), *sources = json_array(), *src = json_object(), *lists = json_array(),
           *list = json_object();

    json_object_set_new(m, "format", json_string(MEZ_PACK_FORMAT_REG));
    json_object_set_new(m, "id", json_string(apr_pstrcat(im->p, MEZ_SANCTIONS_UN_PACK_PREFIX, date, NULL)));
    json_object_set_new(m, "jurisdiction_id", json_string(o->jurisdiction_id));
    json_object_set_new(m, "domain", json_string("sanctions"));
    json_object_set_new(m, "title", json_string(apr_psprintf(im->p, "UN Security Council Consolidated List of %s, "
                                                             "for screening in %s", date, o->jurisdiction_id)));
    json_object_set_new(m, "as_of_date", json_string(date));

    json_object_set_new(src, "id", json_string(MEZ_SANCTIONS_UN_SOURCE_ID));
    json_object_set_new(src, "title", json_string("Consolidated United Nations Security Council Sanctions List"));
    json_object_set_new(src, "publisher", json_string("United Nations Security Council"));
    json_object_set_new(src, "url", json_string(o->source_url ? o->source_url : MEZ_SANCTIONS_UN_URL));
    json_object_set_new(src, "date", json_string(date));
    json_object_set_new(src, "kind", json_string("list"));
    json_array_append_new(sources, src);
    json_object_set_new(m, "sources", sources);

    json_object_set_new(list, "id", json_string(MEZ_SANCTIONS_UN_LIST_ID));
    json_object_set_new(list, "title", json_string("United Nations Security Council Consolidated List"));
    json_object_set_new(list, "list_date", json_string(date));
    json_object_set_new(list, "source", json_string(MEZ_SANCTIONS_UN_SOURCE_ID));
    json_object_set_new(list, "source_detail",
                        json_string(apr_psprintf(im->p, "dateGenerated %s; %d individuals, %d entities",
                                                 im->rep->date_generated, im->rep->individuals,
                                                 im->rep->entities)));
    json_object_set(list, "entries", im->entries);
    json_array_append_new(lists, list);
    json_object_set_new(m, "lists", lists);
    return m;
}

mez_status_t mez_sanctions_import_un(apr_pool_t *p, const char *path, const mez_sanctions_un_options_t *opts,
                                     json_t **model, mez_sanctions_report_t *report, mez_problem_t *pb)
{
    import_t im;
    mez_sanctions_report_t local;
    xmlTextReaderPtr rd;
    struct stat sb;
    int fd;
    mez_yaml_doc_t doc;
    mez_pack_kind_t kind;
    mez_status_t rv;
    json_t *m;

    *model = NULL;
    memset(&im, 0, sizeof(im));
    memset(report ? report : &local, 0, sizeof(local));
    im.rep = report ? report : &local;
    im.rep->unknown = apr_array_make(p, 4, sizeof(mez_sanctions_unknown_t));
    if (!opts || !opts->jurisdiction_id || !*opts->jurisdiction_id)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "sanctions.invalid_options", NULL,
                           "the jurisdiction the list is imported for is required");
    /* libxml2 would say little more than "failed to load" for a file it cannot open, and would wait forever on a
     * named pipe: the file is opened here, without waiting, checked, and handed to libxml2 as a descriptor. */
    if ((fd = mez_file_open_regular_or_problem(p, path, &sb, pb)) < 0)
        return MEZ_EIO;

    im.p = p;
    im.path = path;
    im.opts = opts;
    im.unknown = apr_hash_make(p);
    im.ids = apr_hash_make(p);
    im.entries = mez_json_pool_own(p, json_array());
    apr_pool_create(&im.scratch, p);
    /* No network, no DTD loading, no entity substitution; big line numbers so errors point at the right line
     * however long the list grows. */
    rd = xmlReaderForFd(fd, path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    if (!rd) {
        close(fd);
        apr_pool_destroy(im.scratch);
        return mez_problem(pb, p, MEZ_EIO, 500, "io.open", NULL, "cannot open %s as XML", path);
    }
    xmlTextReaderSetStructuredErrorHandler(rd, on_xml_error, &im);
    rv = read_list(&im, rd, pb);
    xmlFreeTextReader(rd);
    close(fd);            /* the reader leaves its descriptor open */
    apr_pool_destroy(im.scratch);
    if (rv != MEZ_OK)
        return rv;

    m = mez_json_pool_own(p, build_model(&im));
    /* The pack validator is the judge of what a regpack is; a model it refuses is a bug here (or a jurisdiction
     * id that is none), and must not reach a zone. Positions are unknown, so its problems carry pointers. */
    doc.name = apr_pstrcat(p, "regpack imported from ", path, NULL);
    doc.root = m;
    doc.positions = apr_hash_make(p);
    if ((rv = mez_pack_validate(p, &doc, NULL, &kind, pb)) != MEZ_OK)
        return rv;
    *model = m;
    return MEZ_OK;
}
