-- Issue 17: sign-in throttling in a window that decays, API tokens that expire and can be
-- listed and revoked one by one, and a record of scheduled maintenance.

-- Failed sign-ins per typed name (a hash of it), as the UTC stamps of the attempts still in
-- the window (a JSON array, oldest first). An attempt is counted before its password is
-- checked, so attempts at once cannot all get past the limit. The old counts are dropped:
-- a name that was paused is free again after this migration.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    name_hash TEXT PRIMARY KEY,
    recent TEXT NOT NULL DEFAULT '[]'
);

-- When a session or token was made, so tokens can be listed. Tokens made before had no
-- expiry: they now expire 90 days after this migration.
ALTER TABLE credentials ADD COLUMN created TEXT;
UPDATE credentials SET expires = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days')
WHERE kind = 'token' AND expires IS NULL;
CREATE INDEX credentials_by_expiry ON credentials (expires);

-- The last time each scheduled task (compaction, backup) finished, so a restart neither
-- skips nor repeats it, and `survey-service doctor` can tell when it last ran.
CREATE TABLE maintenance (
    task TEXT PRIMARY KEY,
    last_done TEXT NOT NULL
);
