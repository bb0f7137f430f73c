-- 0004_mass_entities.sql (pgsql): the sovereign Mass store's organizations (entities, officers, beneficial owners,
-- status history, dissolution) and identity (persons, national identifiers, verifications, bindings).
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
-- One row per organization. name_key is the legal name folded for comparison (lower case, single spaces), so a
-- registry cannot hold two live entities whose names differ only in case or spacing: the unique index makes
-- concurrent formations with one name create exactly one entity, on every node. doc is the Entity document
-- (canonical JSON) as the contract defines it; the columns beside it are what queries and invariants need.
CREATE TABLE mez_mass_entity (
    entity_id             TEXT PRIMARY KEY,
    entity_type           TEXT NOT NULL,
    legal_name            TEXT NOT NULL,
    name_key              TEXT NOT NULL,
    jurisdiction_id       TEXT NOT NULL,
    status                TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX mez_mass_entity_name ON mez_mass_entity (jurisdiction_id, name_key);
