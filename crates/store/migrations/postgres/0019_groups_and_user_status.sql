-- People and groups as DocSpace's sharing needs them (issue 15).
-- A user's EmployeeStatus: 1 Active, 2 Terminated (disabled: cannot sign in,
-- API keys and sessions stop working, shares no longer reach them).
ALTER TABLE users ADD COLUMN status BIGINT NOT NULL DEFAULT 1;
-- Groups of users (`POST /api/2.0/group`); the manager is optional.
CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    manager_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created BIGINT NOT NULL
);
CREATE TABLE user_group_members (
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX user_group_members_user ON user_group_members(user_id);
-- A file shared with a group: every member gets this access (the better of
-- it and their own share wins); gone with the file or the group.
CREATE TABLE file_group_shares (
    file_id BIGINT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    access BIGINT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (file_id, group_id)
);
CREATE INDEX file_group_shares_group ON file_group_shares(group_id);
