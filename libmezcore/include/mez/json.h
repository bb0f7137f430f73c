/* mez/json.h: strict JSON parsing and RFC 8785 (JCS) canonical serialisation over jansson values.
 * jansson's own dumper is not JCS (key order, numbers, escapes), so canonical bytes come only from here. */
#ifndef MEZ_JSON_H
#define MEZ_JSON_H

#include <stddef.h>
#include <apr_pools.h>
#include <jansson.h>
#include "mez/problem.h"

/* Parses one JSON text. Rejects duplicate object keys, invalid UTF-8 and lone surrogates,
 * numbers that overflow a double, and trailing garbage (problem code "json.invalid" or
 * "json.duplicate_key", pointer to where the parser stopped if known).
 * Integers beyond 64 bits are read as the doubles ECMAScript reads them as, and with them every other integer of
 * the document (jansson reads a document's numbers one way): for text mez wrote itself (RFC 8785 writes
 * INT64_MAX as 9223372036854776000) or a document that is only canonicalised (mez canon). Bytes from outside
 * whose values are signed, verified or acted on are read with mez_json_parse_input.
 * The value is owned by pool p (json_decref on cleanup). */
mez_status_t mez_json_parse(apr_pool_t *p, const char *buf, size_t len, json_t **out, mez_problem_t *pb);
/* The same for input (a request's body, a peer's or a Mass's answer, a credential given to verify), but an integer
 * beyond 64 bits is refused, "json.number_out_of_range" (write it as a string): read as a double it would turn the
 * document's other integers into doubles too, past the check that refuses a signed integer beyond 2^53
 * (vc_shape.c), and 18446744073709551616 and 18446744073709551617 would canonicalise, and so be signed, alike. */
mez_status_t mez_json_parse_input(apr_pool_t *p, const char *buf, size_t len, json_t **out, mez_problem_t *pb);

/* json_fast.c: well-formed JSON read quickly into the values json_loadb would make (new reference); NULL when the
 * text is not, or is beyond what this reader takes on (mez_json_parse then asks jansson, which says why). */
json_t *mez_json_fast_parse(const char *buf, size_t len);

/* Reads and parses a file, "-" meaning standard input; the second as mez_json_parse_input reads. */
mez_status_t mez_json_parse_file(apr_pool_t *p, const char *path, json_t **out, mez_problem_t *pb);
mez_status_t mez_json_parse_file_input(apr_pool_t *p, const char *path, json_t **out, mez_problem_t *pb);

/* The RFC 8785 canonical UTF-8 bytes of v, NUL-terminated, allocated from p.
 * Fails (code "json.not_canonicalizable") for NaN or infinite reals. */
mez_status_t mez_json_canonicalize(apr_pool_t *p, const json_t *v, const char **out, size_t *outlen,
                                   mez_problem_t *pb);

/* The largest integer RFC 8785 writes exactly (2^53 - 1): beyond it a number is written as its nearest double, so
 * two integers can share one canonical form, and one digest or signature. */
#define MEZ_JSON_MAX_EXACT_INT ((json_int_t)9007199254740991LL)

/* The JSON pointer (below base) of the first integer in v outside I-JSON's exact range, -(2^53 - 1) ..
 * 2^53 - 1 (RFC 7493 section 2.2), or NULL when there is none. RFC 8785 writes such an integer as its nearest
 * double, so several integers share one canonical form and one signature: what is signed must not hold one. */
const char *mez_json_find_inexact_integer(apr_pool_t *p, const json_t *v, const char *base);

/* Variants of the RFC 8785 serialiser for the reference system's canonical form (mez/receipt.h, "MCF"):
 * MEZ_JSON_SORT_UTF8 sorts object keys by UTF-8 bytes instead of UTF-16 code units; MEZ_JSON_EXACT_INTEGERS
 * writes every integer in full instead of as the nearest double beyond 2^53. Escaping is the same in both.
 * flags 0 is exactly mez_json_canonicalize. */
#define MEZ_JSON_SORT_UTF8      0x1u
#define MEZ_JSON_EXACT_INTEGERS 0x2u
/* The compact text of an answer (mez_json_dump), never what a digest or a signature covers: members in each
 * object's own (insertion) order, not sorted, and a real always written as one ("5.0", not "5"), so a reader gets
 * back the types it was given. */
#define MEZ_JSON_ANSWER         0x4u
mez_status_t mez_json_serialize(apr_pool_t *p, const json_t *v, unsigned flags, const char **out, size_t *outlen,
                                mez_problem_t *pb);

/* ECMAScript Number::toString of a finite double into buf (at least 32 bytes); returns length. */
size_t mez_json_format_number(double d, char *buf);

/* Whether s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 * For text that reaches mez other than as JSON (a path, a query, a signed note), which the JSON parser would
 * otherwise have checked. */
int mez_utf8_valid(const char *s, size_t n);

/* What a text member of a request may hold, whichever API takes it: no NUL (jansson admits U+0000 inside a
 * string, and every column would keep the text cut short at it) and no control character (stored, it would be
 * shown to the next reader as something else), and at most max_chars characters (0: no bound). s is n bytes of
 * valid UTF-8 (a JSON string); *chars, when given, is set to its length in characters. */
typedef enum mez_text_fault_t {
    MEZ_TEXT_OK = 0,
    MEZ_TEXT_CONTROL,        /* "request.invalid_characters" */
    MEZ_TEXT_TOO_LONG        /* "request.too_long" */
} mez_text_fault_t;
mez_text_fault_t mez_text_check(const char *s, size_t n, size_t max_chars, size_t *chars);

/* JSON strings may carry U+0000 (jansson keeps their length; object keys never hold one, jansson refuses them). Read
 * as C text, such a string ends at the NUL: "sha256:<hex>\u0000junk" would parse as the digest, "did:key:z..\u0000x"
 * compare equal to the DID, an id be stored cut short, and two different documents be taken for one.
 * mez_json_text is the string's text, or NULL when v is not a string or holds a NUL: for a member whose meaning a
 * C reader takes (an id, a digest, a DID, a date, a code), which has no use for a NUL.
 * mez_json_find_nul is the JSON pointer (below base) of the first string in v holding a NUL, or NULL when none
 * does: for a whole document none of whose strings may hold one (request bodies, peers' documents). */
const char *mez_json_text(const json_t *v);
const char *mez_json_find_nul(apr_pool_t *p, const json_t *v, const char *base);

/* Compares two UTF-8 strings by their UTF-16 code units, as RFC 8785 orders object keys. */
int mez_json_key_compare(const char *a, size_t alen, const char *b, size_t blen);

/* Ties v's lifetime to pool p: json_decref(v) when p is cleared. Returns v. */
json_t *mez_json_pool_own(apr_pool_t *p, json_t *v);

/* What a value is, in words a YAML or JSON author reads in an error: "a mapping", "a list", "a string", ... */
const char *mez_json_kind(const json_t *v);

/* Refuses any member of obj not in allowed (NULL-terminated): 422 with the caller's code (e.g.
 * "request.unknown_field", "tensor.unknown_field") and a pointer to the member. A misspelt optional field must never
 * be silently ignored ("filer_staus" would quietly make a payee a non-filer). */
mez_status_t mez_json_only_members(apr_pool_t *p, const json_t *obj, const char *pointer,
                                   const char *const *allowed, const char *code, mez_problem_t *pb);

/* JSON text for HTTP bodies (compact) and humans (pretty: CLI output, indented by two), allocated from p. Members
 * keep their insertion order; the compact form is written by mez's own writer (mez_json_serialize with
 * MEZ_JSON_ANSWER | MEZ_JSON_EXACT_INTEGERS: jansson's took a tenth of a formation's CPU in httpd for a 15 KB
 * answer), so reals appear in their shortest ECMAScript form ("0.045", not "0.044999999999999998"). */
const char *mez_json_dump(apr_pool_t *p, const json_t *v, int pretty);

#endif
