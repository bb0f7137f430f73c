-- 0001_init.sql (pgsql): the schema-version table and the record of issued credentials.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_schema_version (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
);
CREATE TABLE mez_credential (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credential_id  TEXT UNIQUE,
    issuer         TEXT NOT NULL,
    digest         TEXT NOT NULL UNIQUE,
    body           TEXT NOT NULL,
    issued_at      TEXT NOT NULL
);
CREATE INDEX mez_credential_issuer ON mez_credential (issuer);
