-- One counter row per (scope, key) replaces a row per wrong password: an
-- attempt is counted with one upsert (INSERT ... ON CONFLICT DO UPDATE ...
-- RETURNING), so parallel guesses cannot all read a stale count.
DROP TABLE password_failures;
CREATE TABLE lockout_counters (
    scope TEXT NOT NULL,
    counter_key TEXT NOT NULL,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    PRIMARY KEY (scope, counter_key)
);
CREATE INDEX lockout_counters_end ON lockout_counters(window_end);
-- Repeated opens by one client within a minute share a key; the unique
-- index keeps the first one.
ALTER TABLE link_events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX link_events_dedupe ON link_events(dedupe_key) WHERE dedupe_key IS NOT NULL;
-- The purge job deletes by age.
CREATE INDEX link_events_at ON link_events(at);
CREATE INDEX sessions_expires ON sessions(expires);
