-- Issue 14: one protected release that every view reads.

-- Two draws made at intake, never exported. `eligible`: the first day a batch may take the
-- response (a date, never a time): the day after its date label ends plus a random delay, so
-- no one can tell which release holds an answer (rule 6). `record_key`: 0..255, the response's
-- key in the cell key method (rule 8). Responses stored before this migration get their draws
-- now: waiting ones a random day within the next week.
ALTER TABLE responses ADD COLUMN eligible TEXT;
ALTER TABLE responses ADD COLUMN record_key INTEGER NOT NULL DEFAULT 0;
UPDATE responses SET record_key = abs(random() % 256);
UPDATE responses SET eligible = date('now', '+' || (1 + abs(random() % 7)) || ' days')
WHERE batch IS NULL;

-- What the latest release decided (rule 7): for each batch and each combination of the other
-- values that can single someone out (received period, language, quasi-identifier answers)
-- that its rows hold, what those rows show (all of it, or "[c]" for all of it) and how many
-- there are. Every file is built from
-- these, so a response looks the same in every file. `combo` and `shown` are JSON objects with
-- the same keys.
CREATE TABLE release_decisions (
    questionnaire TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches (number),
    combo TEXT NOT NULL,
    shown TEXT NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (questionnaire, batch, combo)
) WITHOUT ROWID;

-- The counts every table is made from (rule 8), over the rows as released: per combination of
-- shown quasi-identifier answers (`groups`, a JSON object), per question and category, how many
-- rows and the sum of their record keys (a cell's key). Question '' counts rows (category: the
-- questionnaire version); category '' counts the rows that answered the question.
CREATE TABLE release_cells (
    questionnaire TEXT NOT NULL,
    groups TEXT NOT NULL,
    question TEXT NOT NULL,
    category TEXT NOT NULL,
    count INTEGER NOT NULL,
    keysum INTEGER NOT NULL,
    PRIMARY KEY (questionnaire, groups, question, category)
) WITHOUT ROWID;

-- Bumped by every release and purge: a release worked out from data that changed meanwhile is
-- refused rather than stored half right. `basis`: k and the columns it was decided on (JSON);
-- when the settings or the questionnaire change it, the release is worked out again.
CREATE TABLE release_state (
    questionnaire TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    basis TEXT NOT NULL
);

-- A later release may have to hide more rows of an earlier batch (k raised, a question newly
-- marked as a quasi-identifier, rows purged): that batch's files change and say so.
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
