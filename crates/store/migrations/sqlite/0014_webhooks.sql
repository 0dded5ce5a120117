-- DocSpace's webhooks (settings/webhook*): the subscriptions, and their log,
-- which is also the outbox: a row is inserted with the event and delivered
-- by a background runner on some node. A runner claims due rows by setting
-- lease_until/lease_owner (FOR UPDATE SKIP LOCKED on PostgreSQL); a row
-- whose lease ran out (its node died) is claimed again.
CREATE TABLE webhooks_config (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    ssl INTEGER NOT NULL,
    triggers INTEGER NOT NULL,
    target_id TEXT,
    created_by TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    last_failure_on INTEGER,
    last_failure_content TEXT,
    last_success_on INTEGER
);
CREATE TABLE webhooks_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    config_id INTEGER NOT NULL REFERENCES webhooks_config(id) ON DELETE CASCADE,
    trigger_bit INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    uid TEXT NOT NULL,
    event_id TEXT NOT NULL,
    request_payload TEXT NOT NULL,
    request_headers TEXT,
    response_payload TEXT,
    response_headers TEXT,
    status INTEGER NOT NULL,
    delivery INTEGER,
    attempts INTEGER NOT NULL,
    next_attempt INTEGER,
    lease_until INTEGER,
    lease_owner TEXT
);
CREATE INDEX webhooks_logs_config ON webhooks_logs(config_id, id);
CREATE INDEX webhooks_logs_due ON webhooks_logs(next_attempt) WHERE next_attempt IS NOT NULL;
