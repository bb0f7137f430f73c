-- 0007_zone_api.sql (pgsql): what the zone API and the sovereign Mass dispatcher keep.
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
