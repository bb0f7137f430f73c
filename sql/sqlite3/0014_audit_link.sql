-- 0014_audit_link.sql: the audit chain's second hash scheme (libmezcore/src/audit.c says why and how).
-- Scheme 1 (rows written before this step) hashed the canonical JSON of a whole row, seq and prev_hash included,
-- so the appender had to read the chain head, lock it, and compute the hash in the zone before it could write:
-- the head stayed locked across a round trip to the zone and back as well as the commit. Scheme 2 hashes the
-- row's content in the zone before the head is touched, and links it in the database, in the one statement that
-- moves the head:  hash = "sha256:" + hex(SHA-256(prev_hash || "\n" || seq || "\n" || content digest)).
-- Both schemes verify; a row records the one it was written with. The head keeps the hash it replaced
-- (prev_hash) so that statement can hand it to the row it inserts.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_audit ADD COLUMN hash_scheme INTEGER NOT NULL DEFAULT 1 CHECK (hash_scheme IN (1, 2));
ALTER TABLE mez_audit_head ADD COLUMN prev_hash TEXT;
