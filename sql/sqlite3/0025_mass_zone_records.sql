-- 0025_mass_zone_records.sql (sqlite3): a store several zones share keeps each zone's registers apart, not only its
-- payments (0023).
-- Which zone a record is for is decided by who calls (the token's mass zone, `mez token create --mass-zone Z`;
-- the store's own zone for its own zone API, operators and CLI), never by a request parameter. Each record a
-- caller names by its id is stamped here, or hangs off one that is:
--  - mez_mass_entity.zone_id: an entity and all that hangs off it (officers, owners, history, dissolution, its
--    treasury accounts with their balances, ledger lines, holds and deposits, its cap table, share classes,
--    holdings, transfers and issuances, its identity bindings): an account is its entity's, so its zone is read
--    through its entity (the accounts' query already reads the entity's status by key); the zone's own accounts
--    (sys_clearing_<CUR>, sys_outbound_<CUR>) belong to no entity and are the store's own zone's.
--    jurisdiction_id is not reused for it: it is a member of the request body (the contract's), which any caller
--    could set to another zone's before this step; a zone's own formations carry its zone id there (the zone API
--    sets it), and from this step on a caller acting for a zone forms entities in that jurisdiction only.
--  - mez_mass_person.zone_id: a person of the identity registry and its identifiers, verifications and bindings.
--  - mez_mass_consent.made_for_zone_id: its zone_id column is the contract's member of the consent's terms (signed,
--    part of the id's digest) that the requester names, not who called; a caller acting for a zone may name only
--    its own from this step on, so the two agree for what such callers make.
--  - mez_mass_person_identifier.zone_key: a national identifier is one person's within one zone's registry, not
--    across every zone of the store: two zones may register the same person, and one zone's refusal of an
--    identifier taken must not tell it that another zone holds it. It is the person's zone_id copied (a key column,
--    so '' for a person of no zone: a primary key's column cannot be NULL); the primary key becomes (scheme,
--    issuing_country, match_key, zone_key), whose prefix still finds an identifier in every zone for callers of the
--    whole store.
-- NULL (every record made before this step): the store did not record for whom, so no zone can claim it; only
-- callers of the whole store see it (docs/06-upgrade.md: attributing such records). Indexes: (zone_id, entity_id)
-- walks one zone's entity list in its order (the list pages by entity_id) without reading another zone's.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_mass_entity ADD COLUMN zone_id TEXT;
CREATE INDEX mez_mass_entity_zone ON mez_mass_entity (zone_id, entity_id);
ALTER TABLE mez_mass_person ADD COLUMN zone_id TEXT;
ALTER TABLE mez_mass_consent ADD COLUMN made_for_zone_id TEXT;
-- SQLite cannot change a primary key in place: the table is rebuilt with it, its rows copied (no zone: ''), and
-- its index made again (nothing refers to this table).
CREATE TABLE mez_mass_person_identifier_0025 (
    scheme                TEXT NOT NULL,
    issuing_country       TEXT NOT NULL,
    match_key             TEXT NOT NULL,
    value                 TEXT NOT NULL,
    person_id             TEXT NOT NULL REFERENCES mez_mass_person (person_id),
    seq                   INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    zone_key              TEXT NOT NULL,
    PRIMARY KEY (scheme, issuing_country, match_key, zone_key)
);
INSERT INTO mez_mass_person_identifier_0025 (scheme, issuing_country, match_key, value, person_id, seq, created_at,
    zone_key) SELECT scheme, issuing_country, match_key, value, person_id, seq, created_at, '' FROM
    mez_mass_person_identifier;
DROP TABLE mez_mass_person_identifier;
ALTER TABLE mez_mass_person_identifier_0025 RENAME TO mez_mass_person_identifier;
CREATE INDEX mez_mass_person_identifier_person ON mez_mass_person_identifier (person_id);
