-- 0022_mass_payment_list.sql (sqlite3): the treasury's payment list (GET /v1/fiscal/payments,
-- mass_payment_list.c) stays an index walk however many payments the zone has made. Its order is created_at, then
-- payment_id, oldest first.
--  - (status, created_at, payment_id): the settlement queue, status=processing, read in order without touching the
--    payments that ended (settled or failed), which outnumber it more every day; a list by any one status alike.
--  - (created_at, payment_id): every payment in order, page after page (an auditor's walk), and a time window.
--  - destination_account_id: what an account, or an entity's accounts, received; what they paid is found through
--    mez_mass_payment_key (source_account_id, idempotency_key), whose first column is the source.
-- Each costs a payment one index entry, and a settle or return moves its status entry: what it buys is that no page
-- of the list reads or sorts the whole table.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE INDEX mez_mass_payment_status ON mez_mass_payment (status, created_at, payment_id);
CREATE INDEX mez_mass_payment_created ON mez_mass_payment (created_at, payment_id);
CREATE INDEX mez_mass_payment_destination ON mez_mass_payment (destination_account_id);
