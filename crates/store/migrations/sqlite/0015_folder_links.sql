-- Folder links live in the same table as file links: a link shares exactly
-- one entry, a file (file_id) or a folder (folder_id). SQLite cannot drop a
-- NOT NULL, so the table is rebuilt; nothing references links by key.
-- Every column an earlier migration added to `links` must be listed in
-- both the CREATE TABLE and the INSERT ... SELECT below, or it is lost.
CREATE TABLE links_new (
    id TEXT PRIMARY KEY,
    file_id INTEGER REFERENCES files(id) ON DELETE CASCADE,
    folder_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL,
    access INTEGER NOT NULL,
    title TEXT NOT NULL,
    expires INTEGER,
    password_enc TEXT,
    deny_download INTEGER NOT NULL,
    internal INTEGER NOT NULL,
    short_code TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created INTEGER NOT NULL,
    token_salt TEXT NOT NULL DEFAULT '',
    max_uses INTEGER,
    use_count INTEGER NOT NULL DEFAULT 0,
    allowed_networks TEXT NOT NULL DEFAULT '',
    CHECK ((file_id IS NULL) <> (folder_id IS NULL))
);
INSERT INTO links_new (id, file_id, folder_id, is_primary, access, title, expires, password_enc, deny_download,
    internal, short_code, created_by, created, token_salt, max_uses, use_count, allowed_networks)
SELECT id, file_id, NULL, is_primary, access, title, expires, password_enc, deny_download,
    internal, short_code, created_by, created, token_salt, max_uses, use_count, allowed_networks FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;
CREATE INDEX links_file ON links(file_id, is_primary, created);
CREATE INDEX links_folder ON links(folder_id, is_primary, created);
-- One primary link per file and per folder, enforced on every node.
CREATE UNIQUE INDEX links_one_primary ON links(file_id) WHERE is_primary = 1;
CREATE UNIQUE INDEX links_one_primary_folder ON links(folder_id) WHERE is_primary = 1;
-- The audit trail of a folder link names its folder; file_id is 0 then.
ALTER TABLE link_audit ADD COLUMN folder_id INTEGER;
CREATE INDEX link_audit_folder ON link_audit(folder_id, id);
-- Operations of `GET/PUT files/fileops` (bulk downloads), kept in the
-- database so that every node answers for them. `owner` is a user id, or
-- `link:<id>` for anonymous visitors of a link.
CREATE TABLE file_operations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    operation INTEGER NOT NULL,
    link_id TEXT,
    token_salt TEXT NOT NULL,
    folder_ids TEXT NOT NULL,
    file_ids TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX file_operations_owner ON file_operations(owner, created);
