//! The file page's version history: every kept version with a download
//! link, and Restore, which makes an old version's content the newest
//! version (`core::versions`, the same service as
//! `POST files/file/{id}/restoreversion`).

use axum::extract::{Path, State};

use super::{human_time, machine_time, see_other, SignedIn, WebForm, WebResult};
use crate::app::AppState;
use crate::ctx::parse_id;
use crate::dto::human_size;
use crate::routes::files::delete_blobs;
use spacelinks_core::{Error, File, FileVersion};

/// One row of the versions table.
pub struct VersionRow {
    pub version: i64,
    pub size: String,
    pub created: String,
    pub created_at: String,
    pub comment: String,
    pub download_url: String,
    pub current: bool,
}

/// The file's versions, newest first, as the file page lists them.
pub async fn version_rows(state: &AppState, signed: &SignedIn, file: &File) -> Result<Vec<VersionRow>, Error> {
    let (_, versions) = state.svc.file_history(Some(&signed.user), file.id).await?;
    Ok(versions.iter().map(|v| row(file, v)).collect())
}

fn row(file: &File, v: &FileVersion) -> VersionRow {
    VersionRow {
        version: v.version,
        size: human_size(v.size),
        created: human_time(v.created),
        created_at: machine_time(v.created),
        comment: v.comment.clone(),
        download_url: format!("/filehandler.ashx?action=download&fileid={}&version={}", file.id, v.version),
        current: v.version == file.version,
    }
}

/// `POST /files/file/{id}/versions/{version}/restore`.
pub async fn restore_version(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((id, version)): Path<(String, String)>,
    form: WebForm,
) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let id = parse_id(&id, Error::file_not_found)?;
    let version = version.parse::<i64>().map_err(|_| Error::file_not_found())?;
    let change = state.svc.restore_version(Some(&signed.user), id, version).await?;
    // Only versions beyond the kept number lose their blobs, after the commit.
    delete_blobs(&state, &change.unused_blobs).await;
    if let Some(file) = state.svc.store.file(id).await? {
        crate::webhooks::file_event(&state, &signed.ctx, crate::webhooks::Trigger::FileUpdated, &file).await;
    }
    Ok(see_other(&format!("/files/file/{id}#versions-heading")))
}
