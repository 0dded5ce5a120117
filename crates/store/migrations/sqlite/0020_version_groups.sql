-- DocSpace's version groups (issue 15, `PUT files/file/{id}/history`): each
-- new version starts a group of its own; "continue version" merges a later
-- version into an earlier one's group. Existing versions each get their own.
ALTER TABLE file_versions ADD COLUMN version_group INTEGER NOT NULL DEFAULT 0;
UPDATE file_versions SET version_group = version;
