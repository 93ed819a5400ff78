-- PostgreSQL twin of sqlite/0005_sign_in_tokens_maintenance.sql: sign-in throttling in a
-- window that decays, tokens that expire and are revoked one by one, scheduled maintenance.

-- Failed sign-ins per typed name (a hash of it), as the UTC stamps of the attempts still in
-- the window (a JSON array, oldest first). Instances take the row's lock to count one.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    name_hash TEXT PRIMARY KEY,
    recent TEXT NOT NULL DEFAULT '[]'
);

ALTER TABLE credentials ADD COLUMN created TEXT COLLATE "C";
UPDATE credentials
SET expires = to_char(now() AT TIME ZONE 'UTC' + interval '90 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
WHERE kind = 'token' AND expires IS NULL;
CREATE INDEX credentials_by_expiry ON credentials (expires);

CREATE TABLE maintenance (
    task TEXT PRIMARY KEY,
    last_done TEXT COLLATE "C" NOT NULL
);
