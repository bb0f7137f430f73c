-- 0021_mass_one_of_each.sql: what the sovereign Mass store holds once.
--  - A board resolution resolves one share transfer: a transfer that cites one (board_resolution_ref, until now
--    only in its doc) records it in a column of its own, unique per entity, so of two transfers citing one
--    resolution, however concurrent, one is kept (the store answers the other 409 ownership.resolution_used).
--  - A person holds an office of an entity once at a time, and is one of its beneficial owners once: two entries
--    of one person (one identity_ref) as a director would count twice, and a stake split in two entries can pass
--    under the beneficial-ownership threshold. identity_key is the identity_ref a row claims, unique among the
--    entity's officers in office in that role (resigned ones leave the index) and among its current owners.
-- Rows recorded before this step keep what they hold: of a resolution cited by several transfers, or a person
-- entered twice, the first (the earliest transfer, the lowest seq) takes the column and the others stay as they
-- are, without it, so that no register refuses to migrate. A new transfer citing such a resolution, or a new
-- appointment of such a person, is refused all the same: the first holds the key, and an appointment is checked
-- against every officer in office (identity_ref) before the index is reached. Officers and owners named without
-- an identity_ref are not compared: a name alone does not tell two people apart.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
ALTER TABLE mez_mass_share_transfer ADD COLUMN board_resolution_ref TEXT;
UPDATE mez_mass_share_transfer SET board_resolution_ref = json_extract(doc, '$.board_resolution_ref')
WHERE transfer_id IN (SELECT transfer_id FROM (SELECT transfer_id, ROW_NUMBER() OVER (PARTITION BY entity_id,
    json_extract(doc, '$.board_resolution_ref') ORDER BY recorded_at, transfer_id) AS n FROM mez_mass_share_transfer
    WHERE doc LIKE '%"board_resolution_ref":%' AND json_extract(doc, '$.board_resolution_ref') IS NOT NULL) x
    WHERE n = 1);
CREATE UNIQUE INDEX mez_mass_share_transfer_resolution ON mez_mass_share_transfer (entity_id, board_resolution_ref)
    WHERE board_resolution_ref IS NOT NULL;
ALTER TABLE mez_mass_entity_officer ADD COLUMN identity_key TEXT;
UPDATE mez_mass_entity_officer SET identity_key = identity_ref
WHERE officer_id IN (SELECT officer_id FROM (SELECT officer_id, ROW_NUMBER() OVER (PARTITION BY entity_id, role,
    identity_ref ORDER BY seq) AS n FROM mez_mass_entity_officer WHERE identity_ref IS NOT NULL
    AND resigned_at IS NULL) x WHERE n = 1);
CREATE UNIQUE INDEX mez_mass_entity_officer_person ON mez_mass_entity_officer (entity_id, role, identity_key)
    WHERE resigned_at IS NULL AND identity_key IS NOT NULL;
ALTER TABLE mez_mass_entity_owner ADD COLUMN identity_key TEXT;
UPDATE mez_mass_entity_owner SET identity_key = identity_ref
WHERE beneficial_owner_id IN (SELECT beneficial_owner_id FROM (SELECT beneficial_owner_id, ROW_NUMBER() OVER
    (PARTITION BY entity_id, identity_ref ORDER BY seq) AS n FROM mez_mass_entity_owner WHERE identity_ref IS NOT NULL
    AND removed_at IS NULL) x WHERE n = 1);
CREATE UNIQUE INDEX mez_mass_entity_owner_person ON mez_mass_entity_owner (entity_id, identity_key)
    WHERE removed_at IS NULL AND identity_key IS NOT NULL;
