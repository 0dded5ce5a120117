-- Instants are microseconds since the Unix epoch; flags are 0/1 integers so
-- that both backends decode them the same way.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    user_type TEXT NOT NULL,
    is_owner INTEGER NOT NULL,
    my_folder_id INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires INTEGER NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    postfix TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER,
    last_used INTEGER,
    is_active INTEGER NOT NULL
);
CREATE TABLE folders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE INDEX folders_parent ON folders(parent_id);
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    size INTEGER NOT NULL,
    version INTEGER NOT NULL,
    blob_key TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE INDEX files_folder ON files(folder_id);
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL,
    access INTEGER NOT NULL,
    title TEXT NOT NULL,
    expires INTEGER,
    password_enc TEXT,
    deny_download INTEGER NOT NULL,
    internal INTEGER NOT NULL,
    short_code TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX links_file ON links(file_id, is_primary, created);
-- One primary link per file, enforced by the database on every node.
CREATE UNIQUE INDEX links_one_primary ON links(file_id) WHERE is_primary = 1;
CREATE TABLE link_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    link_id TEXT NOT NULL,
    action TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX link_audit_file ON link_audit(file_id, id);
CREATE TABLE link_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    link_id TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX link_events_link ON link_events(link_id, id);
CREATE TABLE password_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX password_failures_link ON password_failures(link_id, at);
