-- 0002_evaluations.sql (pgsql): every compliance evaluation the zone answered, with its decision and commitment.
-- Statements end with ';' at the end of a line (mez db migrate splits on that).
CREATE TABLE mez_evaluation (
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_type           TEXT NOT NULL,
    jurisdiction          TEXT NOT NULL,
    subject_id            TEXT,
    decision              TEXT NOT NULL,
    commitment            TEXT NOT NULL,
    digest                TEXT NOT NULL,
    attestation_digest    TEXT,
    body                  TEXT NOT NULL,
    evaluated_at          TEXT NOT NULL
);
CREATE INDEX mez_evaluation_subject ON mez_evaluation (subject_id);
