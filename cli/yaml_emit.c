/* yaml_emit.c: JSON models written as YAML for people to read (the UN list's regpack, a deployed zone's zone.yaml):
 * every string double-quoted, so no name can be read back as a number, a boolean or a null, and block style only
 * where there are mappings below, so a pack reads like the hand-written ones. What is written is always read back
 * by the pack or zone loader before it is used. */
#include <stdio.h>
#include <jansson.h>
#include "mez_cli.h"

/* A YAML double-quoted scalar. Besides '"' and '\', everything YAML would not read back as the same character is
 * escaped: control characters, C1 controls (NEL is a line break to YAML), the Unicode line and paragraph
 * separators and the byte-order mark. */
static void yaml_string(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    while (*u) {
        unsigned c = *u;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            u++;
        }
        else if (c == '\n') { fputs("\\n", f); u++; }
        else if (c == '\t') { fputs("\\t", f); u++; }
        else if (c == '\r') { fputs("\\r", f); u++; }
        else if (c < 0x20 || c == 0x7F) { fprintf(f, "\\x%02X", c); u++; }
        else if (c == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F) { fprintf(f, "\\x%02X", u[1]); u += 2; }
        else if (c == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)) {
            fputs(u[2] == 0xA8 ? "\\L" : "\\P", f);
            u += 3;
        }
        else if (c == 0xEF && u[1] == 0xBB && u[2] == 0xBF) { fputs("\\uFEFF", f); u += 3; }
        else if (c == 0xEF && u[1] == 0xBF && (u[2] == 0xBE || u[2] == 0xBF)) {
            fputs(u[2] == 0xBE ? "\\uFFFE" : "\\uFFFF", f);
            u += 3;
        }
        else { fputc((int)c, f); u++; }
    }
    fputc('"', f);
}

/* Keys the packs use are plain words; anything else is quoted too. */
static void yaml_key(FILE *f, const char *k)
{
    int plain = (*k >= 'a' && *k <= 'z') || *k == '_';
    for (const char *c = k; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain)
        fputs(k, f);
    else
        yaml_string(f, k);
}

/* Flow style, for scalars and lists of scalars (aliases: ["A", "B"]). 0, or -1 for a JSON real, which a pack
 * never holds (amounts and rates are decimal strings) and YAML would not give back exactly. */
static int yaml_flow(FILE *f, const json_t *v)
{
    size_t i;
    const char *k;
    const json_t *item;
    switch (json_typeof(v)) {
    case JSON_STRING: yaml_string(f, json_string_value(v)); return 0;
    case JSON_INTEGER: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); return 0;
    case JSON_TRUE: fputs("true", f); return 0;
    case JSON_FALSE: fputs("false", f); return 0;
    case JSON_NULL: fputs("null", f); return 0;
    case JSON_REAL: return -1;
    case JSON_ARRAY:
        fputc('[', f);
        json_array_foreach(v, i, item) {
            if (i)
                fputs(", ", f);
            if (yaml_flow(f, item))
                return -1;
        }
        fputc(']', f);
        return 0;
    case JSON_OBJECT:
        fputc('{', f);
        i = 0;
        json_object_foreach((json_t *)v, k, item) {
            if (i++)
                fputs(", ", f);
            yaml_key(f, k);
            fputs(": ", f);
            if (yaml_flow(f, item))
                return -1;
        }
        fputc('}', f);
        return 0;
    }
    return -1;
}

/* Block style goes on only while there are objects below: a list of rows, a row's mapping. */
static int needs_block(const json_t *v)
{
    size_t i;
    const json_t *item;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, item)
        if (json_is_object(item))
            return 1;
    return 0;
}

static int yaml_block(FILE *f, const json_t *v, int indent, int inline_first);

/* A mapping's members, one a line at indent; with inline_first the first one follows a "- " already written. */
static int yaml_map(FILE *f, const json_t *obj, int indent, int inline_first)
{
    const char *k;
    const json_t *v;
    int first = 1;
    json_object_foreach((json_t *)obj, k, v) {
        if (!(first && inline_first))
            fprintf(f, "%*s", indent, "");
        first = 0;
        yaml_key(f, k);
        fputc(':', f);
        if (needs_block(v)) {
            fputc('\n', f);
            if (yaml_block(f, v, indent + 2, 0))
                return -1;
        }
        else {
            fputc(' ', f);
            if (yaml_flow(f, v))
                return -1;
            fputc('\n', f);
        }
    }
    return 0;
}

static int yaml_block(FILE *f, const json_t *v, int indent, int inline_first)
{
    size_t i;
    const json_t *item;
    if (json_is_object(v))
        return yaml_map(f, v, indent, inline_first);
    json_array_foreach(v, i, item) {
        fprintf(f, "%*s- ", indent, "");
        if (needs_block(item)) {
            if (yaml_block(f, item, indent + 2, 1))
                return -1;
        }
        else {
            if (yaml_flow(f, item))
                return -1;
            fputc('\n', f);
        }
    }
    return 0;
}

int mez_cli_yaml_emit(FILE *f, const json_t *v)
{
    return yaml_block(f, v, 0, 0);
}
