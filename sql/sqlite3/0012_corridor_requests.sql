-- 0012_corridor_requests.sql: which request appended a corridor receipt (libmezcore/src/corridor_store.c,
-- mez_corridor_append_ref): an Idempotency-Key's digest or a transfer id, so that a retry of the request finds the
-- receipt its first attempt appended instead of appending another. Not part of the receipt; unique per corridor
-- (NULLs, receipts appended without a reference, are distinct).
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_corridor_receipt ADD COLUMN request_ref TEXT;
CREATE UNIQUE INDEX mez_corridor_receipt_ref ON mez_corridor_receipt (corridor_id, request_ref);
-- mez_peer (runtime peer registrations) joined 0009 after databases had been migrated past 0009 during
-- development; made here for those.
CREATE TABLE IF NOT EXISTS mez_peer (
    zone_id               TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    did                   TEXT NOT NULL,
    registered_by         TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    revoked_at            TEXT
);
CREATE INDEX IF NOT EXISTS mez_peer_did ON mez_peer (did);
