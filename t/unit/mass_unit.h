/* mass_unit.h: helpers the sovereign Mass store's CUnit suites share: a migrated SQLite store, requests through
 * mez_mass_store_handle in a transaction (committed only on success, as mod_mez does), row counts. */
#ifndef MEZ_MASS_UNIT_H
#define MEZ_MASS_UNIT_H

#include <jansson.h>
#include "mez/mass.h"

/* A fresh SQLite database migrated to the current schema. */
mez_db_t *mass_unit_db(void);
/* Inserts an entity row as the entities primitive would (status e.g. "ACTIVE"). */
void mass_unit_entity(mez_db_t *db, const char *entity_id, const char *status);
/* One request at time now (seconds since the epoch); body is JSON text or NULL; key an Idempotency-Key or NULL.
 * Returns the answer's body (owned by the test pool) and sets *status. */
json_t *mass_unit_call(mez_db_t *db, long now, const char *method, const char *path, const char *body,
                       const char *key, int *status);
/* The same on the zone's calendar tz (mez/tz.h; NULL: UTC, as mass_unit_call). */
json_t *mass_unit_call_tz(mez_db_t *db, const struct mez_tz_t *tz, long now, const char *method, const char *path,
                          const char *body, const char *key, int *status);
/* The same as a caller acting for one zone of a store several zones share (ctx->caller_zone_id, a token made with
 * `mez token create --mass-zone caller_zone`); caller_zone NULL: a caller of the whole store. */
json_t *mass_unit_call_as(mez_db_t *db, const char *caller_zone, long now, const char *method, const char *path,
                          const char *body, int *status);
/* COUNT(*) of a table, or of any query's first column when sql starts with SELECT. */
long mass_unit_count(mez_db_t *db, const char *table_or_sql);
/* The string member name of o, "" when absent. */
const char *mass_unit_str(const json_t *o, const char *name);

#endif
