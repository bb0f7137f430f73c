/* orchestrate_summary.c: the zone's registers at a glance (mez_orch_register_summary, mez/orchestrate.h): how many
 * entities and licences there are, by state and by type, for a regulator's overview. The entity register is the
 * organizations primitive's: counted by the store when sovereign, page by page through the Mass gateway when a
 * remote Mass holds it (within a bound, and saying when the bound was reached). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/lifecycle.h"
#include "mez/orchestrate.h"
#include "mez/vc.h"

#define REMOTE_PAGE 1000         /* entities per page of the remote list (the primitive's maximum) */
#define REMOTE_PAGES_MAX 100     /* pages read at most: 100,000 entities */

/* {"total": 0, "by_status": {every state of machine: 0}, "by_type": {}} */
static json_t *tally_new(mez_lifecycle_machine_t machine)
{
    json_t *t = json_pack("{s:I, s:{}, s:{}}", "total", (json_int_t)0, "by_status", "by_type");
    json_t *by_status = json_object_get(t, "by_status");
    for (int i = 0; i < mez_lifecycle_state_count(machine); i++)
        json_object_set_new(by_status, mez_lifecycle_state_name(machine, i), json_integer(0));
    return t;
}

static void bump(json_t *counts, const char *key, json_int_t n)
{
    json_t *v = json_object_get(counts, key);
    json_object_set_new(counts, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

/* n more of state and type (either may be NULL: counted in the total only). */
static void tally_add(json_t *t, const char *state, const char *type, json_int_t n)
{
    bump(t, "total", n);
    if (state)
        bump(json_object_get(t, "by_status"), state, n);
    if (type)
        bump(json_object_get(t, "by_type"), type, n);
}

/* Rows of (state, type, count) into t. */
static void tally_rows(json_t *t, const apr_array_header_t *rows)
{
    for (int i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        tally_add(t, row[0], row[1], row[2] ? (json_int_t)apr_atoi64(row[2]) : 0);
    }
}

/* The remote register, page by page: *complete 0 when REMOTE_PAGES_MAX pages did not reach its end. */
static mez_status_t entities_remote(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, json_t *t, int *complete,
                                    mez_problem_t *pb)
{
    const char *cursor = NULL;
    int pages = 0;
    *complete = 1;
    do {
        json_t *page, *x;
        size_t i;
        mez_status_t st;
        if (pages++ == REMOTE_PAGES_MAX) {
            *complete = 0;
            return MEZ_OK;
        }
        if ((st = mez_orch_mass_read(z, p, db, "/v1/entities",
                                     apr_psprintf(p, "jurisdiction_id=%s&limit=%d%s%s", z->zone_id, REMOTE_PAGE,
                                                  cursor ? "&cursor=" : "", cursor ? cursor : ""),
                                     NULL, &page, pb)) != MEZ_OK)
            return st;
        json_array_foreach(json_object_get(page, "entities"), i, x)
            tally_add(t, json_string_value(json_object_get(x, "status")),
                      json_string_value(json_object_get(x, "entity_type")), 1);
        cursor = json_string_value(json_object_get(page, "next_cursor"));
    } while (cursor && *cursor);
    return MEZ_OK;
}

mez_status_t mez_orch_register_summary(const mez_orch_zone_t *z, apr_pool_t *p, mez_db_t *db, json_t **out,
                                       mez_problem_t *pb)
{
    json_t *entities = mez_json_pool_own(p, tally_new(MEZ_LIFECYCLE_ENTITY));
    json_t *licences = mez_json_pool_own(p, tally_new(MEZ_LIFECYCLE_LICENCE));
    int remote = z->mass_is_remote && z->mass_is_remote(z->mass_baton, MEZ_MASS_ENTITIES), complete = 1;
    apr_array_header_t *rows;
    mez_status_t st;

    if (remote)
        st = entities_remote(z, p, db, entities, &complete, pb);
    else if ((st = mez_mass_entity_counts(p, db, z->zone_id, &rows, pb)) == MEZ_OK)
        tally_rows(entities, rows);
    if (st != MEZ_OK)
        return st;
    if ((st = mez_db_query_rows(p, db, 3, &rows, "SELECT status, licence_type, COUNT(*) FROM mez_licence "
                                "GROUP BY status, licence_type ORDER BY status, licence_type", pb, NULL)) != MEZ_OK)
        return st;
    tally_rows(licences, rows);
    json_object_set_new(entities, "register", json_string(remote ? "remote" : "sovereign"));
    json_object_set_new(entities, "complete", json_boolean(complete));
    *out = mez_json_pool_own(p, json_pack("{s:s, s:s, s:O, s:O}", "zone_id", z->zone_id, "as_of",
                                          mez_time_now_rfc3339(p), "entities", entities, "licences", licences));
    return MEZ_OK;
}
