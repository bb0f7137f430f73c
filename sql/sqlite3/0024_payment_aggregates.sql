-- 0024_payment_aggregates.sql (sqlite3): what a payment adds to when a withholding threshold is on the aggregate
-- paid to the payee in the tax year, not on the payment alone (Income Tax Ordinance, 2001, s. 153(1)(a) and (b):
-- "except where the payment is less than thirty thousand rupees in aggregate during a financial year"; a pack's
-- threshold.aggregate, packs/README.md). The zone names the aggregate and the tax year when it pays (the payment's
-- metadata.tax_aggregate); the store records with them the payer (the source account's entity) and the payee (the
-- destination account's entity, or the beneficiary's bank account: mass_payment_aggregate.c). GET
-- /v1/fiscal/{entity_id}/payment-aggregate adds up the gross of one payer's payments to one payee under one
-- aggregate in one tax year that have not failed: an index range, however many payments the zone holds.
-- Payments recorded before this step name no aggregate (NULL) and are in none: the store does not know which
-- provision of the law they were paid under.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
ALTER TABLE mez_mass_payment ADD COLUMN payer_entity_id TEXT;
ALTER TABLE mez_mass_payment ADD COLUMN payee_ref TEXT;
ALTER TABLE mez_mass_payment ADD COLUMN tax_aggregate TEXT;
ALTER TABLE mez_mass_payment ADD COLUMN tax_year TEXT;
CREATE INDEX mez_mass_payment_aggregate ON mez_mass_payment (payer_entity_id, payee_ref, tax_aggregate, tax_year)
    WHERE tax_aggregate IS NOT NULL;
