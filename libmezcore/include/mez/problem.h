/* mez/problem.h: status codes and RFC 9457 problem details shared by every area.
 * Core functions fill a mez_problem_t; mod_mez renders it as problem+json, the CLI prints it. */
#ifndef MEZ_PROBLEM_H
#define MEZ_PROBLEM_H

#include <apr_pools.h>
#include <jansson.h>

typedef int mez_status_t;

#define MEZ_OK        0
#define MEZ_EINVAL    1   /* the input is invalid: a clear answer, CLI exit 1 */
#define MEZ_EIO       2   /* a file, database or peer could not be used: CLI exit 2 */
#define MEZ_EINTERNAL 3   /* a bug or resource exhaustion */

typedef struct mez_problem_t {
    int status;           /* HTTP status the API answers with */
    const char *code;     /* stable machine code, e.g. "json.duplicate_key" */
    const char *title;    /* short human summary of the code */
    const char *detail;   /* what exactly went wrong, for this input */
    const char *pointer;  /* RFC 6901 JSON pointer to the offending field, or NULL */
} mez_problem_t;

/* Fills pb (if not NULL) and returns rv, so callers can write `return mez_problem(...)`. */
mez_status_t mez_problem(mez_problem_t *pb, apr_pool_t *p, mez_status_t rv, int http_status,
                         const char *code, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The problem as an RFC 9457 JSON object (new reference). */
json_t *mez_problem_to_json(const mez_problem_t *pb);

/* 1 when code has the shape of a problem code: lower-case words of letters, digits and '_', joined by '.', at
 * least two of them ("db.error", "fiscal.insufficient_funds"), at most 64 characters in all. A code from elsewhere
 * (a remote Mass's answer passed through) may be anything; this is how a caller tells one it can use as a label. */
int mez_problem_code_ok(const char *code);

/* "urn:mez:problem:<code>": the problem type URI for a code. */
const char *mez_problem_type(apr_pool_t *p, const char *code);

/* s itself when it holds at most max bytes, else its first max bytes (cut back to a UTF-8 character boundary)
 * followed by "...": for quoting a caller's value in a detail without echoing a megabyte of it back. */
const char *mez_problem_excerpt(apr_pool_t *p, const char *s, size_t max);

/* Appends an escaped reference token to a JSON pointer: ("/a", "b/c") -> "/a/b~1c". */
const char *mez_pointer_join(apr_pool_t *p, const char *base, const char *token);
const char *mez_pointer_index(apr_pool_t *p, const char *base, size_t index);

/* Collecting every problem of an input rather than stopping at the first, so an author sees them all at once: the
 * first is kept for the caller's single answer, and each is appended to the caller's list (when it keeps one)
 * while the list holds fewer than max. Several collectors may share one caller's list. */
#include <apr_tables.h>
typedef struct mez_problem_list_t {
    apr_array_header_t *keep;      /* the caller's array of mez_problem_t, may be NULL */
    int max;                       /* the most the caller's array is given (<= 0: 100) */
    int count;                     /* problems noted */
    mez_problem_t first;
} mez_problem_list_t;
void mez_problem_list_init(mez_problem_list_t *l, apr_array_header_t *keep, int max);
void mez_problem_list_add(mez_problem_list_t *l, const mez_problem_t *pr);
/* Appends pr to keep (may be NULL) while it holds fewer than max (<= 0: 100): a single problem from elsewhere. */
void mez_problem_keep(apr_array_header_t *keep, int max, const mez_problem_t *pr);
/* MEZ_OK when nothing was noted, else MEZ_EINVAL with the first problem in pb (may be NULL). */
mez_status_t mez_problem_list_result(const mez_problem_list_t *l, mez_problem_t *pb);

#endif
