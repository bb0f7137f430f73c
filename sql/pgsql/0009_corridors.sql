-- 0009_corridors.sql (pgsql): corridors between zones and their receipt chains (libmezcore/src/corridor_store.c).
-- A corridor row is the chain's head and the row every append locks (DESIGN section 5), so two writers can never
-- give out one sequence number. The Merkle tree of the chain (RFC 9162, leaves = receipts' next_roots) is kept
-- as every complete subtree: (node_level, node_index) covers leaves [index * 2^level, (index + 1) * 2^level),
-- level 0 holding leaf hashes. A node never changes once written, so any earlier tree's root and proofs are read
-- from O(log n) rows. Digests are 64 lower-case hex (as receipts write them); times "YYYY-MM-DDTHH:MM:SSZ".
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
-- A corridor is proposed (DRAFT) before its agreement exists: agreement_digest, genesis_root and head stay NULL
-- until both zones' CorridorAgreements are held and the corridor is submitted (they are set together, once).
-- role: 'proposer' writes the chain (the sequencer), 'responder' keeps a verified copy (mez/corridor_proto.h).
-- acked_size: how many receipts the peer has confirmed holding (the sequencer pushes from there).
CREATE TABLE mez_corridor (
    corridor_id           TEXT PRIMARY KEY,
    peer_zone_id          TEXT NOT NULL,
    peer_did              TEXT NOT NULL,
    state                 TEXT NOT NULL,
    definition_digest     TEXT NOT NULL,
    agreement_digest      TEXT,
    genesis_root          TEXT,
    head                  TEXT,
    role                  TEXT NOT NULL DEFAULT 'proposer' CHECK (role IN ('proposer', 'responder')),
    acked_size            BIGINT NOT NULL DEFAULT 0 CHECK (acked_size >= 0),
    tree_size             BIGINT NOT NULL DEFAULT 0 CHECK (tree_size >= 0),
    tree_root             TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
-- The signed documents that made the corridor: its CorridorDefinition and each zone's CorridorAgreement, as
-- the canonical text of the credential; payload_digest = SHA-256(MCF(credential without proof)), 64 hex.
CREATE TABLE mez_corridor_document (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    kind                  TEXT NOT NULL CHECK (kind IN ('definition', 'agreement')),
    issuer                TEXT NOT NULL,
    payload_digest        TEXT NOT NULL,
    document              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (corridor_id, kind, issuer)
);
-- The transition log: every lifecycle move with its checked evidence and the digest the lifecycle keeps for it.
CREATE TABLE mez_corridor_transition (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    step                  INTEGER NOT NULL,
    from_state            TEXT NOT NULL,
    to_state              TEXT NOT NULL,
    event                 TEXT NOT NULL,
    evidence              TEXT NOT NULL,
    evidence_digest       TEXT,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (corridor_id, step)
);
CREATE TABLE mez_corridor_receipt (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    seq                   BIGINT NOT NULL CHECK (seq >= 0),
    receipt               TEXT NOT NULL,
    receipt_digest        TEXT NOT NULL,
    prev_root             TEXT NOT NULL,
    next_root             TEXT NOT NULL,
    leaf_hash             TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    UNIQUE (corridor_id, seq)
);
CREATE TABLE mez_corridor_node (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    node_level            INTEGER NOT NULL CHECK (node_level >= 0 AND node_level < 64),
    node_index            BIGINT NOT NULL CHECK (node_index >= 0),
    hash                  TEXT NOT NULL,
    PRIMARY KEY (corridor_id, node_level, node_index)
);
-- Fork evidence: a second, different receipt offered for a sequence number already taken. Kept even though the
-- append is refused (the refusal commits only this row), so the halt that follows can cite it.
CREATE TABLE mez_corridor_fork (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    seq                   BIGINT NOT NULL,
    stored_digest         TEXT NOT NULL,
    conflicting_digest    TEXT NOT NULL,
    conflicting_receipt   TEXT NOT NULL,
    evidence_digest       TEXT NOT NULL,
    detected_at           TEXT NOT NULL,
    PRIMARY KEY (corridor_id, seq, conflicting_digest)
);
CREATE TABLE mez_corridor_checkpoint (
    corridor_id           TEXT NOT NULL REFERENCES mez_corridor (corridor_id),
    tree_size             BIGINT NOT NULL,
    root                  TEXT NOT NULL,
    note                  TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    PRIMARY KEY (corridor_id, tree_size)
);
-- Peers an operator registered at runtime (POST /v1/peers), beside the MezPeer directives of the configuration
-- (which win: a zone id configured there cannot be registered here). A revoked peer keeps its row, with revoked_at,
-- so that its corridors still name who it was; it can no longer sign requests to this zone nor be called.
CREATE TABLE mez_peer (
    zone_id               TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    did                   TEXT NOT NULL,
    registered_by         TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    revoked_at            TEXT
);
CREATE INDEX mez_peer_did ON mez_peer (did);
-- RFC 9421 replay cache of peers' signatures: a (keyid, nonce) seen within the window is a replay.
-- seen_at is Unix seconds, so pruning is one range delete.
CREATE TABLE mez_peer_nonce (
    keyid                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    seen_at               BIGINT NOT NULL,
    PRIMARY KEY (keyid, nonce)
);
CREATE INDEX mez_peer_nonce_seen ON mez_peer_nonce (seen_at);
