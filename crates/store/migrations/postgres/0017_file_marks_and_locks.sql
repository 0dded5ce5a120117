-- A user's marks on files (issue 15): `recent` (opened or added to Recent)
-- and `favorite`; one row per user, kind and file, newest `at` first.
CREATE TABLE file_marks (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_id BIGINT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, file_id)
);
CREATE INDEX file_marks_file ON file_marks(file_id);
-- A locked file: who locked it (only they, or the file's owner, unlock it).
ALTER TABLE files ADD COLUMN locked_by TEXT;
