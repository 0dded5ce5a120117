-- A random salt per link, mixed into its share token, so that a link deleted
-- and created again with the same id gets a new token. Links made before
-- this migration keep an empty salt and their old tokens.
ALTER TABLE links ADD COLUMN token_salt TEXT NOT NULL DEFAULT '';
-- Every version of a file, the current one included (files.blob_key is the
-- blob of the newest row). Several rows may share a blob (a restored version).
CREATE TABLE file_versions (
    file_id BIGINT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    size BIGINT NOT NULL,
    blob_key TEXT NOT NULL,
    created BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    PRIMARY KEY (file_id, version)
);
CREATE INDEX file_versions_blob ON file_versions(blob_key);
INSERT INTO file_versions (file_id, version, size, blob_key, created, created_by, comment)
SELECT id, version, size, blob_key, updated, owner_id, CASE WHEN version = 1 THEN 'Created' ELSE 'Uploaded' END FROM files;
