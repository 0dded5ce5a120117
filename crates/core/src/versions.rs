//! Versions of a file: every new content keeps the previous ones (up to
//! `Services::keep_versions`), which the owner lists and restores. The HTTP
//! routes (`files/file/{id}/history`, `.../restoreversion`) and the owner's
//! pages both call these.

use spacelinks_api_types::date::{format_api_date, now_micros};

use crate::service::Services;
use crate::{Error, File, FileVersion, NewVersion, Result, User};

/// DocSpace's version comments.
pub const COMMENT_CREATED: &str = "Created";
pub const COMMENT_UPLOADED: &str = "Uploaded";

/// What a change of content leaves to do after its commit.
pub struct VersionChange {
    pub file: File,
    /// Blobs no version uses any more: delete them now that the database no
    /// longer points at them.
    pub unused_blobs: Vec<String>,
}

impl Services {
    /// The file's versions, newest first, for its owner (403 for anyone
    /// else, 404 for a missing file).
    pub async fn file_history(&self, user: Option<&User>, file_id: i64) -> Result<(File, Vec<FileVersion>)> {
        let file = self.managed_file(user, file_id).await?;
        let versions = self.store.file_versions(file_id).await?;
        Ok((file, versions))
    }

    /// One stored version, for its owner; 404 when it was never made or has
    /// been dropped.
    pub async fn file_version(&self, user: Option<&User>, file_id: i64, version: i64) -> Result<(File, FileVersion)> {
        let file = self.managed_file(user, file_id).await?;
        let v = self.store.file_version(file_id, version).await?.ok_or_else(Error::file_not_found)?;
        Ok((file, v))
    }

    /// New content (already in the blob store under `blob_key`) becomes the
    /// file's next version. `by` is the user who sent it, `None` through a
    /// link. Checking that the caller may do it is the caller's job.
    pub async fn add_version(
        &self,
        file_id: i64,
        size: i64,
        blob_key: &str,
        by: Option<&User>,
        comment: &str,
    ) -> Result<VersionChange> {
        let new = NewVersion {
            size,
            blob_key: blob_key.to_string(),
            now: now_micros(),
            created_by: by.map(|u| u.id.clone()).unwrap_or_default(),
            comment: comment.to_string(),
        };
        let unused_blobs = self
            .store
            .replace_file_content(file_id, &new, self.keep_versions)
            .await?
            .ok_or_else(Error::file_not_found)?;
        let file = self.store.file(file_id).await?.ok_or_else(Error::file_not_found)?;
        Ok(VersionChange { file, unused_blobs })
    }

    /// Restores `version` as DocSpace does: its content becomes a new
    /// version on top ("Restored from the revision of <date>"), the
    /// versions in between stay. The blob is shared, not copied (blobs are
    /// never changed in place). 400 for the current version or a version
    /// below 1, 404 for one that does not exist (any more).
    pub async fn restore_version(&self, user: Option<&User>, file_id: i64, version: i64) -> Result<VersionChange> {
        if version < 1 {
            return Err(Error::BadRequest("version must be a version number of the file (1 or more)".into()));
        }
        let file = self.managed_file(user, file_id).await?;
        if version == file.version {
            return Err(Error::BadRequest("The new version cannot be the same as the current one".into()));
        }
        self.restore_as_new(user, &file, version).await
    }

    /// `PUT files/file/{id}` with `lastVersion: N`, DocSpace's
    /// `UpdateToVersion`: the content of version min(N, current) becomes a
    /// new version, so a `lastVersion` above the current one repeats the
    /// current content as the next version (what DocSpace's own test suite
    /// uses to make a second version). N equal to the current version is
    /// 400, as in DocSpace.
    pub async fn update_to_version(&self, user: Option<&User>, file_id: i64, last: i64) -> Result<VersionChange> {
        if last < 1 {
            return Err(Error::BadRequest("version must be a version number of the file (1 or more)".into()));
        }
        let file = self.managed_file(user, file_id).await?;
        if last == file.version {
            return Err(Error::BadRequest("The new version cannot be the same as the current one".into()));
        }
        self.restore_as_new(user, &file, last.min(file.version)).await
    }

    /// `PUT files/file/{id}/history` `{version, continueVersion}`, DocSpace's
    /// "change version history". `continueVersion: true` merges the version
    /// after `version` into its group (when the file has more than one
    /// group); `false` on the current version closes its group by repeating
    /// it as a new version with a group of its own; `false` on an older
    /// version changes nothing. Version 0 means the current one. Returns
    /// the change's unused blobs (none) and the file.
    pub async fn change_history(
        &self,
        user: Option<&User>,
        file_id: i64,
        version: i64,
        continue_version: bool,
    ) -> Result<Option<VersionChange>> {
        let file = match self.store.file(file_id).await? {
            Some(_) => self.managed_file(user, file_id).await.map_err(|_| Error::edit_file_denied())?,
            None => return Err(Error::file_not_found()),
        };
        let version = if version > 0 { version } else { file.version };
        let versions = self.store.file_versions(file_id).await?;
        let Some(chosen) = versions.iter().find(|v| v.version == version) else {
            return Err(Error::file_not_found());
        };
        if continue_version {
            if versions.first().is_some_and(|newest| newest.version_group > 1) {
                self.store.continue_version(file_id, chosen.version).await?;
            }
            return Ok(None);
        }
        if chosen.version != file.version {
            return Ok(None);
        }
        Ok(Some(self.restore_as_new(user, &file, chosen.version).await?))
    }

    async fn restore_as_new(&self, user: Option<&User>, file: &File, version: i64) -> Result<VersionChange> {
        let old = self.store.file_version(file.id, version).await?.ok_or_else(Error::file_not_found)?;
        let comment = format!("Restored from the revision of {}", format_api_date(old.created));
        self.add_version(file.id, old.size, &old.blob_key, user, &comment).await
    }
}
