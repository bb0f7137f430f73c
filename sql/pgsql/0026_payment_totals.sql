-- 0026_payment_totals.sql (pgsql): what a payer has paid a payee under a withholding aggregate in a tax year, kept
-- as a running total (mass_payment_aggregate.c) instead of added up from the payments each time. 0024 added the
-- payments up on every read: one more row to read for every earlier payment of the pair, so a payer paying one
-- supplier many times a year made each payment slower than the last.
-- The database keeps the total, by triggers on mez_mass_payment: a payment naming an aggregate adds its gross and
-- one to its row when it is recorded, and takes them away when its status becomes 'failed' (returned: it never
-- reached the payee). Triggers rather than the store's C code, so that the total is right whichever build writes:
-- between `mez db migrate` and the reload that brings the new module, the old one still records and returns
-- payments, and would otherwise leave the total short (under-withholding) or a later return unable to take its
-- payment away. Rows are per currency because amounts in two currencies do not add.
-- The rows start as the sum of what 0024's columns already hold (payments before 0024 name no aggregate and stay
-- in none). 0024's index stays: it is what an operator's reconciliation of the totals against the payments reads
-- (the same GROUP BY as below), and dropping it here would take the payments' strongest lock in the middle of
-- the migration, behind which writers waiting on the first lock would deadlock with it.
-- Statements end with ';' at the end of a line (mez db migrate splits on that): inside a trigger's body the
-- statements are separated by a ';' at the start of a line.
-- The payments are locked against writes (SHARE ROW EXCLUSIVE, the lock CREATE TRIGGER takes anyway, taken first
-- and never upgraded: reads, and rows locked for update, go on) until the migration commits, so that none is
-- recorded or returned between the sum and the triggers: the sum reads one snapshot, and a write committed after
-- it and before the triggers would be in neither.
LOCK TABLE mez_mass_payment IN SHARE ROW EXCLUSIVE MODE;
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
CREATE FUNCTION mez_mass_payment_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO mez_mass_payment_totals (payer_entity_id, payee_ref, tax_aggregate, tax_year, currency,
                                             gross_amount, payment_count)
            VALUES (NEW.payer_entity_id, NEW.payee_ref, NEW.tax_aggregate, NEW.tax_year, NEW.currency,
                    NEW.gross_amount, 1)
            ON CONFLICT (payer_entity_id, payee_ref, tax_aggregate, tax_year, currency) DO UPDATE
            SET gross_amount = mez_mass_payment_totals.gross_amount + excluded.gross_amount,
                payment_count = mez_mass_payment_totals.payment_count + 1
    ; ELSE
        UPDATE mez_mass_payment_totals SET gross_amount = gross_amount - OLD.gross_amount,
                                           payment_count = payment_count - 1
            WHERE payer_entity_id = OLD.payer_entity_id AND payee_ref = OLD.payee_ref
              AND tax_aggregate = OLD.tax_aggregate AND tax_year = OLD.tax_year AND currency = OLD.currency
    ; END IF
    ; RETURN NULL
    ; END
$$;
CREATE TRIGGER mez_mass_payment_totals_paid AFTER INSERT ON mez_mass_payment FOR EACH ROW
    WHEN (NEW.tax_aggregate IS NOT NULL AND NEW.payer_entity_id IS NOT NULL AND NEW.payee_ref IS NOT NULL
          AND NEW.tax_year IS NOT NULL AND NEW.status <> 'failed')
    EXECUTE FUNCTION mez_mass_payment_totals_change();
CREATE TRIGGER mez_mass_payment_totals_returned AFTER UPDATE OF status ON mez_mass_payment FOR EACH ROW
    WHEN (OLD.status <> 'failed' AND NEW.status = 'failed' AND OLD.tax_aggregate IS NOT NULL
          AND OLD.payer_entity_id IS NOT NULL AND OLD.payee_ref IS NOT NULL AND OLD.tax_year IS NOT NULL)
    EXECUTE FUNCTION mez_mass_payment_totals_change();
