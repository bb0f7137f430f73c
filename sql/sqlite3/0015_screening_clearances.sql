-- 0015_screening_clearances.sql: sanctions screening clearances (libmezcore/src/clearance.c, POST
-- /v1/sanctions/clearances). A name screened against the lists can meet a listed name without being that person
-- or organisation: "Abdul Rahman" and "Muhammad Yusuf" are listed aliases and the names of many thousands of
-- people. A hit stays a hard block until someone accountable has looked at the evidence and recorded, here, that
-- this name in this file is not that entry: the clearance. It names the record the name was screened in
-- (context_id: an entity, a person, or a formation's application), the name as screening normalises it, and the
-- list entry as the hit cites it ("<pack id>/<entry id>"); it expires, and it can be revoked, never edited.
-- Unless the zone says one officer decides (MezClearanceApprovers 1), it applies only once a second principal
-- has approved it (approved_at, approved_by): the four-eyes rule of sanctions dispositions.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
CREATE TABLE mez_screening_clearance (
    clearance_id          TEXT PRIMARY KEY,
    zone_id               TEXT NOT NULL,
    context_id            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    name_normalised       TEXT NOT NULL,
    entry                 TEXT NOT NULL,
    reason                TEXT NOT NULL,
    cleared_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    expires_at            TEXT NOT NULL,
    approvals_required    INTEGER NOT NULL CHECK (approvals_required IN (1, 2)),
    approved_at           TEXT,
    approved_by           TEXT,
    revoked_at            TEXT,
    revoked_by            TEXT,
    revoke_reason         TEXT
);
CREATE INDEX mez_screening_clearance_context ON mez_screening_clearance (context_id, revoked_at);
