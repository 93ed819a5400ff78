-- As in SQLite's 0004: the batch index holds released rows only, so storing a new response
-- (no batch yet) writes no index entry; exports ask for `batch = ANY(...)`, which implies
-- NOT NULL, so they still use it.
DROP INDEX responses_by_batch;
CREATE INDEX responses_by_batch ON responses (questionnaire, batch) WHERE batch IS NOT NULL;
