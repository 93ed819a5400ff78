-- Issue 15: free text reaches no file until a reviewer has read it (rule 5), and quotes.

-- Inspectors who may read released free text and decide on it: given and taken on the
-- server (`survey-service inspectors reviewer NAME [--undo]`), every change audited.
ALTER TABLE inspectors ADD COLUMN reviewer INTEGER NOT NULL DEFAULT 0;

-- One row per released free-text answer (a response and a question): whether it waits, was
-- approved (with the reviewed text, redactions applied) or withheld, and whether it may be
-- quoted. `handle` is what the review page names the text by: random, made when the text
-- joined the queue, so it says nothing of the response, its batch or when it arrived, and no
-- two texts of one response share anything. The response id never leaves the database:
-- every file gets the reviewed text through it. The text of a waiting or withheld answer is
-- never copied here. A purged response takes its reviews with it.
CREATE TABLE text_reviews (
    handle TEXT PRIMARY KEY,
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    batch INTEGER NOT NULL REFERENCES batches (number),
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'approved', 'withheld')),
    text TEXT,
    quotable INTEGER NOT NULL DEFAULT 0,
    CHECK ((state = 'approved') = (text IS NOT NULL)),
    CHECK (quotable = 0 OR state = 'approved'),
    UNIQUE (response_id, question)
) WITHOUT ROWID;
CREATE INDEX text_reviews_by_state ON text_reviews (questionnaire, state, batch);

-- The batches whose free text has joined the queue: a batch is queued once, whenever the
-- service first looks after its release (batches released before this migration too).
CREATE TABLE text_review_batches (
    batch INTEGER PRIMARY KEY REFERENCES batches (number)
);
