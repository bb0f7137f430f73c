-- 0005_mass_fiscal_ownership.sql (pgsql): the sovereign Mass store's treasury (accounts, double-entry ledger,
-- payments, holds) and ownership (cap tables, share classes, holdings, transfers).
-- Statements end with ';' at the end of a line (mez db migrate splits on that).

-- ---------------------------------------------------------------- fiscal (treasury)
-- Accounts. kind 'entity' is an entity's treasury account (the contract's TreasuryAccount); the zone's own
-- accounts, one per currency and made on first use, are the other legs of money crossing the zone's boundary:
-- 'external_clearing' (sys_clearing_<CUR>) is the outside world: a deposit moves money from it into an account,
-- so its balance is minus the money that ever entered (it alone may be negative); 'outbound_settlement'
-- (sys_outbound_<CUR>) holds what payments to banks and corridors took from their source until that leg completes.
-- Balances are integers in the currency's minor units. available = balance - held, where held is the sum of the
-- account's active holds, kept on the row so a debit is one guarded UPDATE of one row (no overdraft even with
-- several httpd nodes on one PostgreSQL); the CHECKs are the second line of defence. line_seq numbers the
-- account's ledger lines (oldest first).
CREATE TABLE mez_mass_account (
    account_id            TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL CHECK (kind IN ('entity', 'external_clearing', 'outbound_settlement')),
    entity_id             TEXT REFERENCES mez_mass_entity (entity_id),
    account_type          TEXT NOT NULL,
    currency              TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'closed', 'pending_activation')),
    balance               BIGINT NOT NULL DEFAULT 0,
    held                  BIGINT NOT NULL DEFAULT 0,
    line_seq              BIGINT NOT NULL DEFAULT 0,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK ((kind = 'entity') = (entity_id IS NOT NULL)),
    CHECK (balance >= 0 OR kind = 'external_clearing'),
    CHECK (balance <= 0 OR kind <> 'external_clearing'),
    CHECK (held >= 0),
    CHECK (held = 0 OR kind = 'entity'),
    CHECK (held <= balance OR kind = 'external_clearing')
);
CREATE INDEX mez_mass_account_entity ON mez_mass_account (entity_id);
-- One ledger transaction per movement of money; its lines sum to zero per currency.
CREATE TABLE mez_mass_ledger_txn (
    txn_id                TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL CHECK (kind IN ('deposit', 'payment', 'settlement', 'reversal')),
    payment_id            TEXT,
    reference             TEXT,
    created_at            TEXT NOT NULL
);
CREATE TABLE mez_mass_ledger_line (
    txn_id                TEXT NOT NULL REFERENCES mez_mass_ledger_txn (txn_id),
    line_no               INTEGER NOT NULL,
    account_id            TEXT NOT NULL REFERENCES mez_mass_account (account_id),
    currency              TEXT NOT NULL,
    amount                BIGINT NOT NULL CHECK (amount <> 0),
    account_seq           BIGINT NOT NULL,
    balance_after         BIGINT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (txn_id, line_no)
);
CREATE UNIQUE INDEX mez_mass_ledger_line_account ON mez_mass_ledger_line (account_id, account_seq);
-- Payments. The body's idempotency_key is unique per source account (the unique index makes a concurrent repeat
-- wait for the first and then find it); request_digest tells a repeat from a different request under that key.
CREATE TABLE mez_mass_payment (
    payment_id            TEXT PRIMARY KEY,
    source_account_id     TEXT NOT NULL REFERENCES mez_mass_account (account_id),
    destination_type      TEXT NOT NULL,
    destination_account_id TEXT REFERENCES mez_mass_account (account_id),
    currency              TEXT NOT NULL,
    gross_amount          BIGINT NOT NULL CHECK (gross_amount > 0),
    withholding_amount    BIGINT NOT NULL CHECK (withholding_amount >= 0),
    status                TEXT NOT NULL,
    idempotency_key       TEXT,
    request_digest        TEXT NOT NULL,
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK (withholding_amount <= gross_amount)
);
CREATE UNIQUE INDEX mez_mass_payment_key ON mez_mass_payment (source_account_id, idempotency_key);
-- Holds reserve part of a balance; an expired hold stops counting the first time the account is used after.
CREATE TABLE mez_mass_hold (
    hold_id               TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES mez_mass_account (account_id),
    amount                BIGINT NOT NULL CHECK (amount > 0),
    reason                TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('active', 'released', 'expired')),
    expires_at            TEXT,
    created_at            TEXT NOT NULL,
    ended_at              TEXT
);
CREATE INDEX mez_mass_hold_account ON mez_mass_hold (account_id, status);
-- Tax events the store recorded (withholding the zone decided, applied to a payment); doc is the TaxEvent.
CREATE TABLE mez_mass_tax_event (
    tax_event_id          TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL,
    event_type            TEXT NOT NULL,
    tax_year              TEXT NOT NULL,
    payment_id            TEXT,
    occurred_at           TEXT NOT NULL,
    doc                   TEXT NOT NULL
);
CREATE INDEX mez_mass_tax_event_entity ON mez_mass_tax_event (entity_id, occurred_at, tax_event_id);

-- ---------------------------------------------------------------- ownership (cap tables)
-- One cap table per entity; version counts its mutations (every mutation takes this row's lock first, so the
-- state digest a mutation reports is the state it left).
CREATE TABLE mez_mass_cap_table (
    cap_table_id          TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL UNIQUE REFERENCES mez_mass_entity (entity_id),
    status                TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'dissolved')),
    version               BIGINT NOT NULL DEFAULT 0,
    track_fully_diluted   INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- Share classes; doc holds the terms (par value, voting, preferences, restrictions) as the contract writes them.
CREATE TABLE mez_mass_share_class (
    share_class_id        TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL REFERENCES mez_mass_entity (entity_id),
    name                  TEXT NOT NULL,
    authorized_shares     BIGINT NOT NULL CHECK (authorized_shares >= 0),
    issued_shares         BIGINT NOT NULL CHECK (issued_shares >= 0),
    currency              TEXT,
    status                TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    doc                   TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK (issued_shares <= authorized_shares)
);
CREATE UNIQUE INDEX mez_mass_share_class_name ON mez_mass_share_class (entity_id, name);
-- Positions: one row per holder and class (kept at zero shares once sold, for its cost basis and history).
-- cost_basis_micro is the weighted average cost per share in millionths of the currency unit, NULL when unknown.
CREATE TABLE mez_mass_holding (
    share_class_id        TEXT NOT NULL REFERENCES mez_mass_share_class (share_class_id),
    holder_id             TEXT NOT NULL,
    entity_id             TEXT NOT NULL,
    holder_type           TEXT NOT NULL,
    name                  TEXT,
    ntn                   TEXT,
    shares                BIGINT NOT NULL CHECK (shares >= 0),
    cost_basis_micro      BIGINT CHECK (cost_basis_micro >= 0),
    acquisition_date      TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (share_class_id, holder_id)
);
CREATE INDEX mez_mass_holding_entity ON mez_mass_holding (entity_id);
-- Transfers (doc: the OwnershipTransferResponse); a sender's nonce is accepted once.
CREATE TABLE mez_mass_share_transfer (
    transfer_id           TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL,
    share_class_id        TEXT NOT NULL REFERENCES mez_mass_share_class (share_class_id),
    from_holder_id        TEXT NOT NULL,
    to_holder_id          TEXT NOT NULL,
    shares                BIGINT NOT NULL CHECK (shares > 0),
    nonce                 TEXT,
    doc                   TEXT NOT NULL,
    recorded_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX mez_mass_share_transfer_nonce ON mez_mass_share_transfer (entity_id, from_holder_id, nonce);
-- Issuances of new shares out of a class's authorized but unissued shares.
CREATE TABLE mez_mass_share_issuance (
    issuance_id           TEXT PRIMARY KEY,
    entity_id             TEXT NOT NULL,
    share_class_id        TEXT NOT NULL REFERENCES mez_mass_share_class (share_class_id),
    holder_id             TEXT NOT NULL,
    shares                BIGINT NOT NULL CHECK (shares > 0),
    doc                   TEXT NOT NULL,
    recorded_at           TEXT NOT NULL
);
