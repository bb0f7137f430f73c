-- 0017_evaluation_decision.sql: GET /v1/evaluations?decision=non_compliant (the zone's refusals, newest first,
-- for its regulators and the console) reads this index backwards from the newest refusal, instead of walking every
-- evaluation the zone recorded (approvals are the many, refusals the few) until it has a page of refusals.
-- Statements end with ';' at the end of a line (mez db migrate splits on that); the same schema on both drivers.
CREATE INDEX mez_evaluation_decision ON mez_evaluation (decision, seq);
