-- 0010_watchers.sql (pgsql).
-- Corridor watchers (libmezcore/src/watcher.c, mez/watcher.h): parties who bond a stake, check a corridor's
-- signed checkpoints against each zone's chain and attest them with a WatcherAttestation credential, and lose
-- stake when they attest falsely or equivocate. Amounts are integers in minor units of currency (ISO 4217);
-- stake_minor is what is bonded now (after slashes), slashed_minor what slashes took in all. Times
-- "YYYY-MM-DDTHH:MM:SSZ". Statements end with ';' at the end of a line; the same schema on both drivers.
CREATE TABLE mez_watcher (
    watcher_id            TEXT PRIMARY KEY,
    did                   TEXT NOT NULL UNIQUE,
    state                 TEXT NOT NULL,
    stake_minor           BIGINT NOT NULL DEFAULT 0 CHECK (stake_minor >= 0),
    currency              TEXT,
    slashed_minor         BIGINT NOT NULL DEFAULT 0 CHECK (slashed_minor >= 0),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- Every lifecycle move of a watcher, in order: the amount it bonded, slashed or returned (0 for none), the slash
-- reason, and for a slash the evidence (canonical JSON holding the offending credentials) with its digest
-- ("sha256:<hex>" of the evidence text).
CREATE TABLE mez_watcher_event (
    watcher_id            TEXT NOT NULL REFERENCES mez_watcher (watcher_id),
    step                  INTEGER NOT NULL,
    event                 TEXT NOT NULL,
    from_state            TEXT,
    to_state              TEXT NOT NULL,
    amount_minor          BIGINT NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    reason                TEXT,
    evidence              TEXT,
    evidence_digest       TEXT,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (watcher_id, step)
);
-- Attestations that matched this zone's chain: root is the chain's root (64 hex) at tree_size, credential the
-- WatcherAttestation's canonical text and credential_digest its SHA-256 (64 hex). One per watcher, corridor and
-- size: a second with another root is equivocation, never a second row.
CREATE TABLE mez_watcher_attestation (
    watcher_id            TEXT NOT NULL REFERENCES mez_watcher (watcher_id),
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    tree_size             BIGINT NOT NULL CHECK (tree_size > 0),
    root                  TEXT NOT NULL,
    credential            TEXT NOT NULL,
    credential_digest     TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    UNIQUE (watcher_id, corridor_id, tree_size)
);
CREATE INDEX mez_watcher_attestation_corridor ON mez_watcher_attestation (corridor_id, tree_size);
