-- 0020_peer_refusals.sql: a peer's signed request refused after its signature verified (a replay of a request
-- already served, a request signed for another zone's authority) is evidence that someone resends what the peer
-- signed, and its first refusal is an audit row. Every later refusal of the same signature is counted here
-- instead: one row per (keyid, signature, action), so whoever holds one captured request cannot grow the
-- append-only audit log by sending it again and again within the signature's window.
-- signature is "sha256:<hex>" of the Signature header's value; times counts every refusal, the first included;
-- request_id is the first refusal's (its audit row names it).
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_peer_refusal (
    keyid                 TEXT NOT NULL,
    signature             TEXT NOT NULL,
    action                TEXT NOT NULL,
    peer                  TEXT NOT NULL,
    first_at              TEXT NOT NULL,
    last_at               TEXT NOT NULL,
    times                 BIGINT NOT NULL,
    request_id            TEXT,
    PRIMARY KEY (keyid, signature, action)
);
CREATE INDEX mez_peer_refusal_last ON mez_peer_refusal (last_at);
