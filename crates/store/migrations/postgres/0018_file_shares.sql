-- A file shared with a person of this server (issue 15): one row per file
-- and user with the FileShare access they have; gone with the file or the user.
CREATE TABLE file_shares (
    file_id BIGINT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access BIGINT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (file_id, user_id)
);
CREATE INDEX file_shares_user ON file_shares(user_id, created);
