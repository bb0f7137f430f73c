-- 0023_mass_zone_scope.sql (sqlite3): a store several zones share keeps each zone's payments apart, and the
-- tax report reads an entity's tax year by index.
-- A zone's sovereign Mass store can be the remote Mass of other zones (MezMassEndpoint fiscal https://B/mass with a
-- MezMassTokenFile token of B's). Which zone a call is for is decided by who calls, never by a request parameter a
-- caller could leave out:
--  - mez_token.mass_zone_id: the other zone a token of this zone acts for in its Mass store (`mez token create
--    --mass-zone Z`): valid on /mass only, and there reaching Z's payments only. NULL (every token made before this
--    step): the zone's own token, reaching the whole store as before.
--  - mez_mass_payment.zone_id: the zone a payment was made for, written once when it is made: the token's mass zone,
--    or the store's own zone for a payment its own zone API, its own operators or the CLI made. A caller acting for
--    a zone lists, reads, settles and returns that zone's payments only (another zone's answers 404, as an unknown
--    id does), and sees the tax events of those payments only: a tax event belongs to its payment's zone and has
--    no column of its own. NULL (every payment made before this step): the store did not record for whom, so no
--    zone can claim it; only callers of the whole store see it (docs/06-upgrade.md: attributing such payments).
--  - (zone_id, status, created_at, payment_id) and (zone_id, created_at, payment_id): 0022's two walks of the
--    payment list behind the zone, so that one zone's settlement queue and pages read that zone's payments only
--    however many another zone has made.
-- The tax report (POST /v1/fiscal/reporting/generate, mass_tax_report.c) and a returned payment:
--  - (entity_id, tax_year, occurred_at, tax_event_id): an entity's own tax events of one tax year, in the report's
--    order, without reading its other years (0005's (entity_id, occurred_at, tax_event_id) stays for the listing of
--    every year).
--  - payment_id: a payment's tax events (those a return cancels), and the events of the payments an entity received
--    (found through its accounts and the payments to them: 0005's and 0022's indexes).
-- Before these, the report read every event of the tax year in the store (EXPLAIN on PostgreSQL: a sequential
-- scan of mez_mass_tax_event, and a return scanned it for its payment's events); with them both are index lookups
-- bounded by the entity and the payment (mass_tax_report.c reads the two sides as two walks).
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_token ADD COLUMN mass_zone_id TEXT;
ALTER TABLE mez_mass_payment ADD COLUMN zone_id TEXT;
CREATE INDEX mez_mass_payment_zone_status ON mez_mass_payment (zone_id, status, created_at, payment_id);
CREATE INDEX mez_mass_payment_zone_created ON mez_mass_payment (zone_id, created_at, payment_id);
CREATE INDEX mez_mass_tax_event_year ON mez_mass_tax_event (entity_id, tax_year, occurred_at, tax_event_id);
CREATE INDEX mez_mass_tax_event_payment ON mez_mass_tax_event (payment_id);
