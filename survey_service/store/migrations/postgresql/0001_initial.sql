-- PostgreSQL twin of sqlite/0001_initial.sql: same tables, same columns, same meaning, so
-- `survey-service migrate` copies rows across unchanged.

-- Questionnaire versions as first published: the canonical content is what exports and old
-- clients rely on, so it outlives the file it came from.
CREATE TABLE questionnaire_versions (
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    content BYTEA NOT NULL,
    content_hash TEXT NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (questionnaire, version)
);

-- One row per response, with no serial column: nothing records arrival order. `received` is a
-- date label (day or ISO week), never a time; `id` only makes sync idempotent.
CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    received TEXT NOT NULL,
    answers BYTEA NOT NULL,
    content_hash TEXT NOT NULL,
    batch INTEGER,
    FOREIGN KEY (questionnaire, version) REFERENCES questionnaire_versions (questionnaire, version)
);

CREATE INDEX responses_by_batch ON responses (questionnaire, batch);
