-- 0008_client_certs.sql (sqlite3): client certificates (mutual TLS) mapped to principals, the way mez_token maps
-- bearer tokens (libmezcore/src/clientcert.c). A row pins one certificate by the SHA-256 of its DER encoding
-- ("sha256:<64 lowercase hex>"); the certificate itself is not a secret, so the fingerprint is stored as it is.
-- A mapping has its own expiry and revocation, independent of the certificate's validity (mod_ssl checks that).
-- Rows are never deleted: audit rows name the cert_id that acted. Times are "YYYY-MM-DDTHH:MM:SSZ".
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_client_cert (
    cert_id               TEXT PRIMARY KEY,
    fingerprint           TEXT NOT NULL CHECK (length(fingerprint) = 71 AND substr(fingerprint, 1, 7) = 'sha256:'),
    subject               TEXT,
    role                  TEXT NOT NULL CHECK (role IN ('operator', 'regulator', 'entity', 'watcher')),
    zone_id               TEXT NOT NULL,
    entity_id             TEXT,
    created_at            TEXT NOT NULL,
    expires_at            TEXT,
    revoked_at            TEXT,
    CHECK ((role = 'entity') = (entity_id IS NOT NULL))
);
-- At most one live mapping per certificate and zone, whoever maps it concurrently.
CREATE UNIQUE INDEX mez_client_cert_live ON mez_client_cert (zone_id, fingerprint) WHERE revoked_at IS NULL;
-- The lookup of every certificate-authenticated request (which also reads revoked rows, to say why).
CREATE INDEX mez_client_cert_lookup ON mez_client_cert (zone_id, fingerprint, revoked_at);
