-- Link controls: a download limit counted in the row itself (one
-- conditional UPDATE takes a use, so parallel downloads cannot overshoot),
-- a network allowlist (canonical CIDR ranges, space-separated; empty means
-- anywhere), and the reason and size of access-log events.
ALTER TABLE links ADD COLUMN max_uses BIGINT;
ALTER TABLE links ADD COLUMN use_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN allowed_networks TEXT NOT NULL DEFAULT '';
ALTER TABLE link_events ADD COLUMN reason TEXT;
ALTER TABLE link_events ADD COLUMN bytes BIGINT;
