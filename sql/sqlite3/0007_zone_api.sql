-- 0007_zone_api.sql (sqlite3): what the zone API keeps of its own.
-- (Idempotency-Key records of the sovereign Mass store live in mez_idempotency, 0006, like the zone API's.)
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
-- mez_licence: the zone's licence register (licensepacks define the types; the zone grants them). doc is the
-- licence as the API answers it (canonical JSON, with its history). At most one live licence of a type per
-- entity: the partial unique index makes two concurrent applications create one.
CREATE TABLE mez_licence (
    licence_id            TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL,
    licence_type          TEXT NOT NULL,
    status                TEXT NOT NULL,
    valid_from            TEXT,
    valid_until           TEXT,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX mez_licence_live ON mez_licence (entity_id, licence_type) WHERE status IN ('APPLIED', 'UNDER_REVIEW', 'ACTIVE', 'SUSPENDED');
CREATE INDEX mez_licence_entity ON mez_licence (entity_id);
