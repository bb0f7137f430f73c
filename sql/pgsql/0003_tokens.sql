-- 0003_tokens.sql (pgsql): bearer API tokens, kept only as the SHA-256 of the token text (never the text itself).
-- Times are "YYYY-MM-DDTHH:MM:SSZ" so they compare correctly as strings.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_token (
    token_id              TEXT PRIMARY KEY,
    token_hash            TEXT NOT NULL UNIQUE,
    role                  TEXT NOT NULL CHECK (role IN ('operator', 'regulator', 'entity', 'watcher')),
    zone_id               TEXT NOT NULL,
    entity_id             TEXT,
    created_at            TEXT NOT NULL,
    expires_at            TEXT,
    revoked_at            TEXT
);
