-- PostgreSQL twin of sqlite/0007_text_review.sql (issue 15): the reviewer role, the review of
-- each released free-text answer, and which batches have joined the review queue.
ALTER TABLE inspectors ADD COLUMN reviewer BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE text_reviews (
    handle TEXT PRIMARY KEY,
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches (number),
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'approved', 'withheld')),
    text TEXT,
    quotable BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((state = 'approved') = (text IS NOT NULL)),
    CHECK (NOT quotable OR state = 'approved'),
    UNIQUE (response_id, question)
);
CREATE INDEX text_reviews_by_state ON text_reviews (questionnaire, state, batch);

CREATE TABLE text_review_batches (
    batch INTEGER PRIMARY KEY REFERENCES batches (number)
);
