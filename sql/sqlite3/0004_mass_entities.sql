-- 0004_mass_entities.sql (sqlite3): the sovereign Mass store's organizations (entities, officers, beneficial owners,
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
-- Officers (directors, secretaries, ...): appointed at formation or later, never deleted; resigned_at is set when
-- one leaves office. seq keeps the order of appointment. person_id is set when identity_ref names a person of
-- the identity registry (mez_mass_person). doc is the contract's Officer document.
CREATE TABLE mez_mass_entity_officer (
    officer_id            TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL REFERENCES mez_mass_entity (entity_id),
    seq                   INTEGER NOT NULL,
    name                  TEXT NOT NULL,
    role                  TEXT NOT NULL,
    identity_ref          TEXT,
    person_id             TEXT,
    doc                   TEXT NOT NULL,
    appointed_at          TEXT NOT NULL,
    resigned_at           TEXT,
    resignation_reason    TEXT,
    UNIQUE (entity_id, seq)
);
-- Beneficial owners declared at formation. ownership_ppm is the share of the entity in millionths (100% =
-- 1000000), so percentages with up to four decimals are exact integers and their sum is checked exactly.
CREATE TABLE mez_mass_entity_owner (
    beneficial_owner_id   TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL REFERENCES mez_mass_entity (entity_id),
    seq                   INTEGER NOT NULL,
    name                  TEXT NOT NULL,
    identity_ref          TEXT,
    person_id             TEXT,
    ownership_ppm         INTEGER NOT NULL,
    control_type          TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    removed_at            TEXT,
    UNIQUE (entity_id, seq)
);
-- Every lifecycle transition of an entity, in order (append-only): doc is the StatusTransitionRecord.
CREATE TABLE mez_mass_entity_history (
    transition_id         TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL REFERENCES mez_mass_entity (entity_id),
    seq                   INTEGER NOT NULL,
    event                 TEXT NOT NULL,
    from_status           TEXT NOT NULL,
    to_status             TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    transitioned_at       TEXT NOT NULL,
    UNIQUE (entity_id, seq)
);
-- The dissolution saga of an entity (at most one): stage 1..10, doc is the DissolutionStatus document and
-- request the InitiateDissolutionRequest as accepted (reason, solvency declaration, the periods in force).
CREATE TABLE mez_mass_entity_dissolution (
    dissolution_id        TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL UNIQUE REFERENCES mez_mass_entity (entity_id),
    dissolution_type      TEXT NOT NULL,
    stage                 INTEGER NOT NULL,
    overall_status        TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    request               TEXT NOT NULL,
    initiated_at          TEXT NOT NULL,
    stage_started_at      TEXT NOT NULL,
    completed_at          TEXT,
    updated_at            TEXT NOT NULL
);
-- Identity: natural persons the zone registers. verification_status follows the latest verification
-- (unverified until the first one). doc holds the registration as given (name, date of birth, nationality).
CREATE TABLE mez_mass_person (
    person_id             TEXT PRIMARY KEY,
    full_name             TEXT NOT NULL,
    name_key              TEXT NOT NULL,
    date_of_birth         TEXT,
    nationality           TEXT,
    verification_status   TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- A national identifier belongs to one person: the primary key makes a second claim (on any node, however
-- concurrent) insert nothing. match_key is what identifies (CNIC digits, NTN without its check digit, ...);
-- value is the normalised form shown.
CREATE TABLE mez_mass_person_identifier (
    scheme                TEXT NOT NULL,
    issuing_country       TEXT NOT NULL,
    match_key             TEXT NOT NULL,
    value                 TEXT NOT NULL,
    person_id             TEXT NOT NULL REFERENCES mez_mass_person (person_id),
    seq                   INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (scheme, issuing_country, match_key)
);
CREATE INDEX mez_mass_person_identifier_person ON mez_mass_person_identifier (person_id);
-- Every verification of a person, kept (append-only); doc is the verification record.
CREATE TABLE mez_mass_person_verification (
    verification_id       TEXT PRIMARY KEY,
    person_id             TEXT NOT NULL REFERENCES mez_mass_person (person_id),
    seq                   INTEGER NOT NULL,
    method                TEXT NOT NULL,
    result                TEXT NOT NULL,
    evidence_digest       TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    verified_at           TEXT NOT NULL,
    UNIQUE (person_id, seq)
);
-- A person's role in an entity (director, shareholder, ...): one row per (person, entity, role).
CREATE TABLE mez_mass_identity_binding (
    binding_id            TEXT PRIMARY KEY,
    person_id             TEXT NOT NULL REFERENCES mez_mass_person (person_id),
    entity_id             TEXT NOT NULL REFERENCES mez_mass_entity (entity_id),
    role                  TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    UNIQUE (person_id, entity_id, role)
);
CREATE INDEX mez_mass_identity_binding_entity ON mez_mass_identity_binding (entity_id);
