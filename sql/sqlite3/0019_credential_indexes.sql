-- 0019_credential_indexes.sql: the index on mez_credential's issuer costs every credential the zone issues a
-- B-tree insert and serves no query (mez reads the record by digest only; nothing looks a credential up by
-- issuer). PostgreSQL's step 19 also makes the unique credential_id partial (WHERE credential_id IS NOT NULL);
-- SQLite cannot drop a column's UNIQUE constraint without rebuilding the table, which would copy every
-- credential body the zone ever issued, so here the constraint stays: it refuses the same ids, and SQLite's
-- inserts were never the benchmark's bound.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
DROP INDEX mez_credential_issuer;
