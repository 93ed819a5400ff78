-- Questionnaire versions as first published: the canonical content is what exports and old
-- clients rely on, so it outlives the file it came from.
CREATE TABLE questionnaire_versions (
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    content BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (questionnaire, version)
);

-- One row per response. No rowid (WITHOUT ROWID) so there is no arrival sequence to leak;
-- `received` is a date label (day or ISO week), never a time; `id` only makes sync idempotent.
CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    received TEXT NOT NULL,
    answers BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    batch INTEGER,
    FOREIGN KEY (questionnaire, version) REFERENCES questionnaire_versions (questionnaire, version)
) WITHOUT ROWID;

CREATE INDEX responses_by_batch ON responses (questionnaire, batch);
