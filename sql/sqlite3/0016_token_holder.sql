-- 0016_token_holder.sql: who holds a token. A token is a principal; the people behind principals are what rules
-- such as four eyes are about (a sanctions clearance is approved by another person than the one who proposed
-- it), and one officer may hold several tokens (an operator's and a regulator's). `mez token create --holder`
-- records the holder as the zone's administrators name them (e.g. "A. Khan, SECP-0421"); tokens made before
-- this step, or without --holder, have none, and are told apart by their principal only.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
ALTER TABLE mez_token ADD COLUMN holder TEXT;
CREATE INDEX mez_token_holder ON mez_token (holder);
