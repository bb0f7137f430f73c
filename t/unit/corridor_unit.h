/* corridor_unit.h: what the CUnit suites of the protocols between two zones (migration_saga, transfer) share: a
 * zone on a migrated SQLite database with an ACTIVE corridor to "ae-adgm", and a mez_corridor_env_t whose peer is
 * scripted here (the real peer, over TLS, is t/test_corridor_migration.py's and t/test_corridor_protocol.py's). */
#ifndef MEZ_CORRIDOR_UNIT_H
#define MEZ_CORRIDOR_UNIT_H

#include <jansson.h>
#include "mez/corridor_env.h"

#define CORRIDOR_UNIT_CID "6c1e8f3b-2d40-4b6c-8d9e-bbccddeeff00"
#define CORRIDOR_UNIT_PEER_DID "did:key:z6MkPeerOfTheCorridorSuites"
#define CORRIDOR_UNIT_T0 1767225600L       /* 2026-01-01T00:00:00Z: when the zone's records are made */

typedef struct corridor_unit_t {
    /* the script */
    int known_peer;            /* 0: the destination is not a configured peer */
    const char *peer_zone;     /* the configured peer: NULL for "ae-adgm" */
    const char *peer_did;      /* its DID: NULL for CORRIDOR_UNIT_PEER_DID */
    int answer_status;         /* what the peer answers (0: nothing) */
    const char *answer;        /* its body (JSON text), or NULL */
    /* what happened */
    int calls, audits, warnings;
    uint64_t counted;          /* receipts counted for the metrics */
    const char *last_method, *last_path;
    json_t *last_body;
    /* the environment */
    mez_orch_zone_t zone;
    mez_corridor_env_t env;
} corridor_unit_t;

/* A script (from the test pool): whether the destination is a configured peer, the status it answers (0: none)
 * and its body. */
corridor_unit_t *corridor_unit_script(int known_peer, int status, const char *answer);

/* A zone "pk-sifc" on a fresh database with an ACTIVE corridor CORRIDOR_UNIT_CID to ae-adgm and one ACTIVE
 * entity ("Indus Saga Looms Ltd", a director of nationality PK), *eid. */
mez_db_t *corridor_unit_zone(const char **eid);

/* u's environment over db: the sovereign store (no mass_call), actor "tok_0123456789abcdef", request "req_saga";
 * the peer answers as u's script says (a checkpoint it has none of). */
void corridor_unit_env(corridor_unit_t *u, mez_db_t *db);

/* An RFC 3339 UTC time an hour from now. */
const char *corridor_unit_in_an_hour(void);

json_t *corridor_unit_parse(const char *text);

#endif
