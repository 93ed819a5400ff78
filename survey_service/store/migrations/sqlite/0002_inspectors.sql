-- The inspectors' side: accounts, their credentials, login throttling, batches and the audit log.

-- Passwords are Argon2 hashes; a disabled account keeps its row so the audit log still names it.
CREATE TABLE inspectors (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);

-- Sessions and API tokens. Only a SHA-256 of the secret is kept: a copy of the database does
-- not let anyone sign in. `expires` is a UTC timestamp; NULL for API tokens.
CREATE TABLE credentials (
    secret_hash TEXT PRIMARY KEY,
    inspector TEXT NOT NULL REFERENCES inspectors (name),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
    expires TEXT
);
CREATE INDEX credentials_by_inspector ON credentials (inspector);

-- Failed logins per typed name (a hash of it, so a password typed into the name field is not
-- kept), whether or not the account exists: the answer never tells the two apart.
CREATE TABLE login_failures (
    name_hash TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TEXT
);

-- Batches are numbered across the service and fixed once released (rule 6).
CREATE TABLE batches (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    questionnaire TEXT NOT NULL,
    count INTEGER NOT NULL,
    released TEXT NOT NULL
);
CREATE INDEX batches_by_questionnaire ON batches (questionnaire);

CREATE TRIGGER batches_fixed_update BEFORE UPDATE ON batches
BEGIN SELECT RAISE(ABORT, 'batches are fixed once released'); END;
CREATE TRIGGER batches_fixed_delete BEFORE DELETE ON batches
BEGIN SELECT RAISE(ABORT, 'batches are fixed once released'); END;

-- Append-only audit log (rule 9): the application can add entries, never change or remove them.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);

CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- A response joins one batch, once: batches never overlap.
CREATE TRIGGER responses_batch_fixed BEFORE UPDATE OF batch ON responses
WHEN OLD.batch IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a released response stays in its batch'); END;
