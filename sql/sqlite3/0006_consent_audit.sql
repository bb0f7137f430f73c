-- 0006_consent_audit.sql (sqlite3): the sovereign Mass store's consents (requests, signatories, signatures), the
-- append-only hash-chained audit table and the zone API's Idempotency-Key records.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
-- Times are "YYYY-MM-DDTHH:MM:SSZ" so they compare correctly as strings.
--
-- mez_mass_consent: one row per consent request. terms is the canonical ConsentRequest without metadata (what
-- digest_sha256 and the id are computed over, what signatories sign); status is the stored state (an open
-- consent past its deadline reads as expired before the row says so: see mass_consent.c).
CREATE TABLE mez_mass_consent (
    consent_id            TEXT PRIMARY KEY,
    zone_id               TEXT NOT NULL,
    requester_id          TEXT NOT NULL,
    action_type           TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'revoked')),
    digest_sha256         TEXT NOT NULL,
    deadline              TEXT,
    terms                 TEXT NOT NULL,
    metadata              TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- One row per listed signatory, in the order of the request; the decision columns are filled once, by a verified
-- signature (proof holds the submitted CryptographicProof as canonical JSON).
CREATE TABLE mez_mass_consent_signatory (
    consent_id            TEXT NOT NULL REFERENCES mez_mass_consent (consent_id),
    position              INTEGER NOT NULL,
    signatory_id          TEXT NOT NULL,
    role                  TEXT NOT NULL,
    required              INTEGER NOT NULL,
    decision              TEXT CHECK (decision IN ('approve', 'reject')),
    signed_at             TEXT,
    justification         TEXT,
    proof                 TEXT,
    recorded_at           TEXT,
    PRIMARY KEY (consent_id, signatory_id)
);
-- The consent's own hash-chained audit trail (AuditTrailEntry of the contract), seq 1, 2, 3... per consent.
CREATE TABLE mez_mass_consent_event (
    consent_id            TEXT NOT NULL REFERENCES mez_mass_consent (consent_id),
    seq                   INTEGER NOT NULL,
    entry_digest_sha256   TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    PRIMARY KEY (consent_id, seq)
);
--
-- mez_audit: the zone's append-only audit trail, one row per committed action, hash-chained (audit.c says how).
-- mez_audit_head holds the chain's last seq and hash: appenders lock it, so rows chain linearly whoever writes.
CREATE TABLE mez_audit (
    seq                   INTEGER PRIMARY KEY,
    zone_id               TEXT NOT NULL,
    at                    TEXT NOT NULL,
    actor                 TEXT NOT NULL,
    action                TEXT NOT NULL,
    resource_type         TEXT,
    resource_id           TEXT,
    outcome               TEXT NOT NULL,
    request_id            TEXT,
    detail                TEXT NOT NULL,
    prev_hash             TEXT NOT NULL,
    hash                  TEXT NOT NULL UNIQUE
);
CREATE TABLE mez_audit_head (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    seq                   INTEGER NOT NULL,
    hash                  TEXT NOT NULL
);
INSERT INTO mez_audit_head (id, seq, hash) VALUES (1, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
-- Append-only as far as the database can say so; whoever can drop these triggers can edit rows, which is what
-- `mez audit verify` is for.
CREATE TRIGGER mez_audit_no_update BEFORE UPDATE ON mez_audit BEGIN SELECT RAISE(ABORT, 'mez_audit is append-only'); END;
CREATE TRIGGER mez_audit_no_delete BEFORE DELETE ON mez_audit BEGIN SELECT RAISE(ABORT, 'mez_audit is append-only'); END;
--
-- mez_idempotency: the zone API's Idempotency-Key records (idempotency.c), scoped by zone, caller and route.
CREATE TABLE mez_idempotency (
    zone_id               TEXT NOT NULL,
    principal             TEXT NOT NULL,
    route                 TEXT NOT NULL,
    idempotency_key       TEXT NOT NULL,
    request_digest        TEXT NOT NULL,
    state                 TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
    status                INTEGER,
    response              TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (zone_id, principal, route, idempotency_key)
);
