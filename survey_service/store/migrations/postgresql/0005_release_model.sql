-- PostgreSQL twin of sqlite/0005_release_model.sql (issue 14): the intake draws that rule 6 and
-- rule 8 need, and the tables that hold what a release decided.
ALTER TABLE responses ADD COLUMN eligible TEXT COLLATE "C";
ALTER TABLE responses ADD COLUMN record_key INTEGER NOT NULL DEFAULT 0;
UPDATE responses SET record_key = floor(random() * 256)::int;
UPDATE responses SET eligible = to_char(current_date + 1 + floor(random() * 7)::int, 'YYYY-MM-DD')
WHERE batch IS NULL;

CREATE TABLE release_decisions (
    questionnaire TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches (number),
    combo TEXT NOT NULL,
    shown TEXT NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (questionnaire, batch, combo)
);

CREATE TABLE release_cells (
    questionnaire TEXT NOT NULL,
    groups TEXT NOT NULL,
    question TEXT NOT NULL,
    category TEXT NOT NULL,
    count INTEGER NOT NULL,
    keysum BIGINT NOT NULL,
    PRIMARY KEY (questionnaire, groups, question, category)
);

CREATE TABLE release_state (
    questionnaire TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    basis TEXT NOT NULL
);

CREATE TABLE batch_revisions (
    batch INTEGER NOT NULL REFERENCES batches (number),
    revised TEXT NOT NULL,
    rows INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX batch_revisions_by_batch ON batch_revisions (batch);

-- Scheduled releases (SURVEY_RELEASE_SCHEDULE): one row per period, taken by the first instance
-- that runs it, so several instances never release twice.
CREATE TABLE scheduled_releases (
    period TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
