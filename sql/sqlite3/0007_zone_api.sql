-- 0007_zone_api.sql (sqlite3): what the zone API and the sovereign Mass dispatcher keep.
-- mez_mass_idempotency: a write the sovereign store answered, by its Idempotency-Key, so that a retried
-- request (same key, same body) gets the first answer and changes nothing, and a different body under a used
-- key is refused. Written in the same transaction as the write itself, so the record exists iff the write does.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_mass_idempotency (
    primitive             TEXT NOT NULL,
    idempotency_key       TEXT NOT NULL,
    request_digest        TEXT NOT NULL,
    status                INTEGER NOT NULL,
    response              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (primitive, idempotency_key)
);
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
