/* zone_int.h: what the zone_*.c files share and nobody else needs: problem collection over a YAML document and
 * the small field checks the zone, profile and lock readers all use. Not installed. */
#ifndef MEZ_ZONE_INT_H
#define MEZ_ZONE_INT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "mez/zone.h"

/* Collects every problem found in one document (each at its line), so an author sees them all at once. */
typedef struct mez_zone_vctx_t {
    apr_pool_t *p;
    const mez_yaml_doc_t *doc;
    const char *area;                 /* problem code prefix: "zone", "profile" */
    const mez_zone_options_t *opts;
    mez_problem_list_t problems;      /* every problem (count, first), into opts->problems when kept */
} mez_zone_vctx_t;

void mez_zone_vctx_init(mez_zone_vctx_t *c, apr_pool_t *p, const mez_yaml_doc_t *doc, const char *area,
                        const mez_zone_options_t *opts);
/* Records "<area>.<what>" at pointer's position in the document. */
void mez_zone_vfail(mez_zone_vctx_t *c, const char *what, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* MEZ_OK, or MEZ_EINVAL with the first problem in pb. */
mez_status_t mez_zone_vresult(const mez_zone_vctx_t *c, mez_problem_t *pb);

/* Appends pr to opts->problems when the caller collects them (up to max_problems). */
void mez_zone_note(const mez_zone_options_t *opts, const mez_problem_t *pr);

/* 1 when s is a rule name "<pack id>/<row id>" (the form zone.yaml's overrides use). */
int mez_zone_rule_name_ok(const char *s);

/* The strings of a list that validation has accepted (const char *); empty for NULL. */
apr_array_header_t *mez_zone_strings(apr_pool_t *p, const json_t *list);

#endif
