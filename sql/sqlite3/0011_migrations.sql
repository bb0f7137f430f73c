-- 0011_migrations.sql (sqlite3).
-- Entity migrations between two zones over a corridor (libmezcore/src/migration_store.c, mez/migration.h,
-- mod_mez/mod_mez_migration.c): the source zone's record of each saga (mez/lifecycle.h, the migration machine),
-- so that a migration interrupted by a crash resumes from the state it reached. deadline and times are
-- "YYYY-MM-DDTHH:MM:SSZ". live is 1 until a terminal state: one live migration per entity. locked is 1 while the
-- source entity is suspended by this migration and not yet released (reinstated or struck off). receipt_from is
-- the corridor's size when the source locked (its receipt is looked for from there on a retry); receipt_seq the
-- receipt's sequence number once recorded. request: canonical JSON of what the operator asked (compliance
-- envelope, formation document sent to the destination); problem: the last refusal (RFC 9457 JSON).
-- Statements end with ';' at the end of a line; the same schema on both drivers.
CREATE TABLE mez_migration (
    migration_id          TEXT PRIMARY KEY,
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    entity_id             TEXT NOT NULL,
    destination_zone_id   TEXT NOT NULL,
    state                 TEXT NOT NULL,
    live                  INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    locked                INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    deadline              TEXT NOT NULL,
    request               TEXT NOT NULL,
    receipt_from          BIGINT CHECK (receipt_from >= 0),
    receipt_seq           BIGINT CHECK (receipt_seq >= 0),
    destination_entity_id TEXT,
    credential            TEXT,
    problem               TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX mez_migration_live_entity ON mez_migration (entity_id) WHERE live = 1;
-- Every move of a migration, in order (step 0 is its initiation): the event, the states, the effect the move
-- carried out (unlock_source, compensate) and its evidence as canonical JSON with "sha256:<hex>" of that text.
CREATE TABLE mez_migration_step (
    migration_id          TEXT NOT NULL REFERENCES mez_migration (migration_id),
    step                  INTEGER NOT NULL CHECK (step >= 0),
    event                 TEXT NOT NULL,
    from_state            TEXT,
    to_state              TEXT NOT NULL,
    effect                TEXT,
    evidence              TEXT NOT NULL,
    evidence_digest       TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (migration_id, step)
);
