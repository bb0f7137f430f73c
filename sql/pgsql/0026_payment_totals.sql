-- 0026_payment_totals.sql (pgsql): what a payer has paid a payee under a withholding aggregate in a tax year, kept
-- as a running total (mass_payment_aggregate.c) instead of added up from the payments each time. 0024 added the
-- payments up on every read: one more row to read for every earlier payment of the pair, so a payer paying one
-- supplier many times a year made each payment slower than the last (the zone API bench: payments fell from ~0.09
-- to ~0.03 of the bare handler's rate as the pair's history grew).
-- A payment naming an aggregate adds its gross and one to its row in the transaction that records it (the payer's
-- entity row is locked first, which orders two payments of one payer); a return (the payment's status becoming
-- 'failed') takes them away again in its own. Rows are per currency because amounts in two currencies do not add.
-- The rows start as the sum of what 0024's columns already hold (payments before 0024 name no aggregate and stay
-- in none). 0024's index served only the old sum and is dropped: one index fewer to write on every payment.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
CREATE TABLE mez_mass_payment_totals (
    payer_entity_id TEXT NOT NULL,
    payee_ref       TEXT NOT NULL,
    tax_aggregate   TEXT NOT NULL,
    tax_year        TEXT NOT NULL,
    currency        TEXT NOT NULL,
    gross_amount    BIGINT NOT NULL CHECK (gross_amount >= 0),
    payment_count   BIGINT NOT NULL CHECK (payment_count >= 0),
    PRIMARY KEY (payer_entity_id, payee_ref, tax_aggregate, tax_year, currency)
);
INSERT INTO mez_mass_payment_totals (payer_entity_id, payee_ref, tax_aggregate, tax_year, currency, gross_amount,
                                     payment_count)
    SELECT payer_entity_id, payee_ref, tax_aggregate, tax_year, currency, SUM(gross_amount), COUNT(*)
    FROM mez_mass_payment
    WHERE tax_aggregate IS NOT NULL AND payer_entity_id IS NOT NULL AND payee_ref IS NOT NULL
      AND tax_year IS NOT NULL AND status <> 'failed'
    GROUP BY payer_entity_id, payee_ref, tax_aggregate, tax_year, currency;
DROP INDEX mez_mass_payment_aggregate;
