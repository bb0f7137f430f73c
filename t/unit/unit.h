/* unit.h: shared helpers for the CUnit suites of libmezcore (one suite per area).
 * Each test_<area>.c exports one register function that unit_main.c calls. */
#ifndef MEZ_UNIT_H
#define MEZ_UNIT_H

#include <stddef.h>
#include <apr_pools.h>
#include <CUnit/CUnit.h>

/* A pool for the current test, cleared by the runner after each test. */
apr_pool_t *unit_pool(void);

/* Path of a file under ../shared (MEZ_SHARED), e.g. unit_shared("vectors/jcs/input/arrays.json"). */
const char *unit_shared(const char *rel);
/* Reads a whole file into the test pool (NUL-terminated); NULL if it cannot be read. */
char *unit_read_file(const char *path, size_t *len);
/* A fresh empty directory for the current test. */
const char *unit_tmpdir(void);

struct mez_audit_event_t;
/* An audit event for a library call that requires one (zone "unit-zone", actor "unit-test", outcome "committed"),
 * in the test pool. */
const struct mez_audit_event_t *unit_audit(const char *action);

void unit_register_json(void);
void unit_register_mmr(void);
void unit_register_receipt(void);
void unit_register_checkpoint(void);
void unit_register_corridor_store(void);
void unit_register_corridor_proto(void);
void unit_register_key_rotation(void);
void unit_register_file(void);
void unit_register_corridor_export(void);
void unit_register_watcher(void);
void unit_register_migration(void);
void unit_register_migration_saga(void);
void unit_register_transfer(void);
void unit_register_corridor_exchange(void);
void unit_register_register_summary(void);
void unit_register_licence_terms(void);
void unit_register_tax(void);
void unit_register_tz(void);
void unit_register_deadline(void);
void unit_register_digest(void);
void unit_register_key(void);
void unit_register_httpsig(void);
void unit_register_did(void);
void unit_register_vc(void);
void unit_register_store(void);
void unit_register_pack(void);
void unit_register_cas(void);
void unit_register_tensor(void);
void unit_register_manifold(void);
void unit_register_zone(void);
void unit_register_sanctions(void);
void unit_register_token(void);
void unit_register_clientcert(void);
void unit_register_mass_fiscal(void);
void unit_register_mass_ownership(void);
void unit_register_lifecycle(void);
void unit_register_mass_entities(void);
void unit_register_http(void);
void unit_register_audit(void);
void unit_register_idempotency(void);
void unit_register_consent(void);
void unit_register_provision(void);
void unit_register_metrics_table(void);

/* Adds a suite whose tests each get a fresh unit_pool(). */
CU_pSuite unit_suite(const char *name);

#endif
