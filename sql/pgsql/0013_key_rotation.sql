-- 0013_key_rotation.sql: zone key rotation (libmezcore/src/key_rotation.c, zone_key.c, peer_store.c).
-- A zone's DID is its did:key, so a new key is a new DID; what ties the two is a ZoneKeyRotation credential
-- signed by both keys. This zone keeps the history of its own keys (mez_zone_key) and the rotations its peers
-- announced (mez_peer_key); corridors follow the key that signs their receipts on the chain itself.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
-- This zone's keys, oldest first: the one in use has retired_at NULL. rotation_credential: the canonical text of
-- the credential that introduced the key (NULL for the zone's first key, recorded at the first rotation).
CREATE TABLE mez_zone_key (
    did                   TEXT PRIMARY KEY,
    zone_id               TEXT NOT NULL,
    verification_method   TEXT NOT NULL,
    previous_did          TEXT,
    rotation_credential   TEXT,
    rotation_digest       TEXT,
    activated_at          TEXT,
    retired_at            TEXT
);
CREATE UNIQUE INDEX mez_zone_key_previous ON mez_zone_key (previous_did);
-- Rotations peers announced (POST /v1/corridors/peers/key-rotation, checked before they are kept): a peer zone's
-- current DID is its configured or registered DID followed through these rows. One successor per DID: a second,
-- different rotation of one DID is refused (the key's holder, or a thief, equivocated).
CREATE TABLE mez_peer_key (
    zone_id               TEXT NOT NULL,
    previous_did          TEXT NOT NULL,
    did                   TEXT NOT NULL,
    credential            TEXT NOT NULL,
    credential_digest     TEXT NOT NULL,
    received_at           TEXT NOT NULL,
    PRIMARY KEY (zone_id, previous_did)
);
CREATE INDEX mez_peer_key_did ON mez_peer_key (did);
-- The key that signs a corridor's next receipt (its sequencer's current DID), moved by the chain's own
-- zone.key_rotation receipts. NULL on a proposer's row: this zone's key, never rotated since the corridor began.
ALTER TABLE mez_corridor ADD COLUMN signer_did TEXT;
UPDATE mez_corridor SET signer_did = peer_did WHERE role = 'responder';
