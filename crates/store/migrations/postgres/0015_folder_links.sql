-- Folder links live in the same table as file links: a link shares exactly
-- one entry, a file (file_id) or a folder (folder_id).
ALTER TABLE links ALTER COLUMN file_id DROP NOT NULL;
ALTER TABLE links ADD COLUMN folder_id BIGINT REFERENCES folders(id) ON DELETE CASCADE;
ALTER TABLE links ADD CONSTRAINT links_one_entry CHECK ((file_id IS NULL) <> (folder_id IS NULL));
CREATE INDEX links_folder ON links(folder_id, is_primary, created);
-- One primary link per folder, enforced on every node.
CREATE UNIQUE INDEX links_one_primary_folder ON links(folder_id) WHERE is_primary = 1;
-- The audit trail of a folder link names its folder; file_id is 0 then.
ALTER TABLE link_audit ADD COLUMN folder_id BIGINT;
CREATE INDEX link_audit_folder ON link_audit(folder_id, id);
-- Operations of `GET/PUT files/fileops` (bulk downloads), kept in the
-- database so that every node answers for them. `owner` is a user id, or
-- `link:<id>` for anonymous visitors of a link.
CREATE TABLE file_operations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    operation BIGINT NOT NULL,
    link_id TEXT,
    token_salt TEXT NOT NULL,
    folder_ids TEXT NOT NULL,
    file_ids TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX file_operations_owner ON file_operations(owner, created);
