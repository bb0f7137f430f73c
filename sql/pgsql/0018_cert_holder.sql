-- 0018_cert_holder.sql: who holds a client certificate mapped to a principal (`mez cert map --holder`), as
-- 0016 records it for tokens: an officer may present a certificate and hold a token, and four eyes on a sanctions
-- clearance is about people. NULL for mappings made before this step or without --holder.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_client_cert ADD COLUMN holder TEXT;
CREATE INDEX mez_client_cert_holder ON mez_client_cert (holder);
