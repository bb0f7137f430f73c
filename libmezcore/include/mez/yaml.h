/* mez/yaml.h: YAML documents read into the JSON model (jansson) that mez hashes and validates, with a map from
 * every JSON pointer back to its line and column so later errors can say where in the file a field is. */
#ifndef MEZ_YAML_H
#define MEZ_YAML_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_hash.h>
#include <jansson.h>
#include "mez/problem.h"

/* The input is YAML 1.2 restricted to what a JSON model can hold:
 *  - mappings become objects, sequences arrays; keys must be strings; a duplicate key is refused
 *    ("yaml.duplicate_key");
 *  - quoted and block scalars are strings; plain scalars follow the YAML 1.2 core schema: null (~, null, empty),
 *    booleans (true/false), integers (decimal, 0o octal, 0x hex, within 64 bits, else
 *    "yaml.integer_out_of_range"), everything else a string. Plain scalars the core schema reads as floats
 *    (1.5, 1e3, .inf, .nan) are refused ("yaml.float_not_allowed"): mez documents carry amounts and rates as
 *    decimal strings, never binary floats;
 *  - no scalar holds a NUL (a double-quoted "\0"): "yaml.nul_not_allowed" at the value's field, and
 *    "yaml.key_not_string" for a key, since code reading the string as a C string would stop there;
 *  - anchors, aliases and tags are refused ("yaml.anchor_not_allowed", "yaml.alias_not_allowed",
 *    "yaml.tag_not_allowed"): they make what a reviewer reads differ from what a program reads;
 *  - exactly one document ("yaml.multiple_documents"), nesting at most MEZ_YAML_MAX_DEPTH ("yaml.too_deep"), keys
 *    at most MEZ_YAML_MAX_KEY bytes ("yaml.key_too_long": libyaml's own bound on a simple key, applied to explicit
 *    "? key" keys too);
 *  - anything libyaml cannot parse is "yaml.syntax".
 * Every problem is status 422 with a detail starting "FILE:LINE:COLUMN: " and, where a field is known, a pointer. */

#define MEZ_YAML_MAX_DEPTH 64
#define MEZ_YAML_MAX_KEY 1024

typedef struct mez_yaml_pos_t {
    int line;                 /* 1-based */
    int column;               /* 1-based */
} mez_yaml_pos_t;

typedef struct mez_yaml_doc_t {
    const char *name;         /* the file name used in messages */
    json_t *root;             /* the JSON model, owned by the pool given to the parser */
    apr_hash_t *positions;    /* where each member's key and each item starts, by mapping or sequence (yaml_load.c);
                               * ask mez_yaml_position(); a document read from JSON leaves it empty */
} mez_yaml_doc_t;

/* Parses buf (UTF-8, UTF-16 with BOM) as one YAML document; name is what messages call the input. */
mez_status_t mez_yaml_parse(apr_pool_t *p, const char *name, const char *buf, size_t len, mez_yaml_doc_t **out,
                            mez_problem_t *pb);

/* Reads and parses a file (at most MEZ_YAML_MAX_FILE bytes; "io.open", "io.read", "io.too_large" as MEZ_EIO). */
#define MEZ_YAML_MAX_FILE (64 * 1024 * 1024)
mez_status_t mez_yaml_parse_file(apr_pool_t *p, const char *path, mez_yaml_doc_t **out, mez_problem_t *pb);

/* Where pointer is in the file: its own position, else that of its nearest ancestor that has one (a missing
 * member is reported at the object that lacks it). Always succeeds for a parsed document. */
mez_yaml_pos_t mez_yaml_position(const mez_yaml_doc_t *doc, const char *pointer);

/* Fills pb like mez_problem() with status 422 and MEZ_EINVAL, prefixing the detail with "FILE:LINE:COLUMN: "
 * for pointer's position and appending " (at POINTER)", so every validation error names file, line and field. */
mez_status_t mez_yaml_problem(mez_problem_t *pb, apr_pool_t *p, const mez_yaml_doc_t *doc, const char *code,
                              const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Reads a whole file into p, NUL-terminated, refusing more than max bytes ("io.too_large"); the pack loader
 * reads the files beside a YAML manifest (AKN XML) with it too. Problems are MEZ_EIO "io.open" / "io.read"; a
 * named pipe, a device or a directory is "io.read" at once, never waited on (mez_file_open_regular). */
mez_status_t mez_yaml_read_file(apr_pool_t *p, const char *path, size_t max, char **buf, size_t *len,
                                mez_problem_t *pb);

#endif
