-- 0021_mass_one_of_each.sql: what the sovereign Mass store holds once.
--  - A board resolution resolves one share transfer: a transfer that cites one (board_resolution_ref, until now
--    only in its doc) records it in a column of its own, unique per entity, so of two transfers citing one
--    resolution, however concurrent, one is kept (the store answers the other 409 ownership.resolution_used).
-- Transfers recorded before this step keep what they hold: of a resolution cited by several, the earliest takes
-- the column and the others stay as they are, without it, so that no register refuses to migrate.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
ALTER TABLE mez_mass_share_transfer ADD COLUMN board_resolution_ref TEXT;
UPDATE mez_mass_share_transfer SET board_resolution_ref = json_extract(doc, '$.board_resolution_ref')
WHERE transfer_id IN (SELECT transfer_id FROM (SELECT transfer_id, ROW_NUMBER() OVER (PARTITION BY entity_id,
    json_extract(doc, '$.board_resolution_ref') ORDER BY recorded_at, transfer_id) AS n FROM mez_mass_share_transfer
    WHERE doc LIKE '%"board_resolution_ref":%' AND json_extract(doc, '$.board_resolution_ref') IS NOT NULL) x
    WHERE n = 1);
CREATE UNIQUE INDEX mez_mass_share_transfer_resolution ON mez_mass_share_transfer (entity_id, board_resolution_ref)
    WHERE board_resolution_ref IS NOT NULL;
