-- 0019_credential_indexes.sql: two of mez_credential's four indexes cost every credential the zone issues a B-tree
-- insert and serve no query. mez reads the record by digest only (an identical credential is recorded once) and
-- the unique credential_id exists to refuse a second credential with an id already issued; nothing looks a
-- credential up by issuer. A formation issues two credentials, so these were 4 of its 21 index inserts (bench/
-- README.md, "What a formation writes").
-- The unique credential_id becomes a partial unique index: the zone's own credentials carry no id (NULL), and
-- PostgreSQL indexes NULLs, so each of them paid for an entry that can never conflict. INSERT ... ON CONFLICT DO
-- NOTHING (store_credential.c) names no conflict target, so it applies to a partial unique index as to the
-- constraint it replaces.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
DROP INDEX mez_credential_issuer;
ALTER TABLE mez_credential DROP CONSTRAINT mez_credential_credential_id_key;
CREATE UNIQUE INDEX mez_credential_credential_id ON mez_credential (credential_id) WHERE credential_id IS NOT NULL;
