//! A file's versions, for its owner: `GET files/file/{id}/history` (a
//! FileDto per version, newest first) and `POST files/file/{id}/restoreversion
//! ?version=N` (DocSpace's EditHistoryDto list, oldest first), as DocSpace
//! names and shapes them.

use axum::extract::{Path, State};
use spacelinks_api_types::dto::{EditHistoryAuthor, EditHistoryDto, FileDto};
use spacelinks_api_types::format_api_date;
use spacelinks_core::crypto::token_hash;
use spacelinks_core::{Error, File, FileVersion};

use crate::app::AppState;
use crate::ctx::{parse_id, Ctx, QueryMap};
use crate::error::ApiResult;
use crate::routes::files::{delete_blobs, owner_dto};

const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// `GET files/file/{fileId}/history`.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/history", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    responses((status = 200, description = "Every kept version of the file, newest first", body = crate::openapi::Envelope<Vec<crate::openapi::FileDto>>), crate::openapi::BadRequest, crate::openapi::Unauthorized, crate::openapi::Forbidden, crate::openapi::NotFound)
)]
pub async fn file_history(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found)?;
    let (file, versions) = state.svc.file_history(ctx.caller.user.as_ref(), id).await?;
    let dtos: Vec<FileDto> = versions.iter().map(|v| version_dto(&state, &file, v)).collect();
    ctx.ok(dtos)
}

/// The file as it was at version `v`: its size, date and comment, and a
/// `viewUrl` that downloads that version.
fn version_dto(state: &AppState, file: &File, v: &FileVersion) -> FileDto {
    let at = File { version: v.version, size: v.size, updated: v.created, ..file.clone() };
    let mut dto = owner_dto(state, &at);
    dto.comment = Some(v.comment.clone());
    dto.view_url =
        format!("{}/filehandler.ashx?action=download&fileid={}&version={}", state.public_url, file.id, v.version);
    dto
}

/// `POST files/file/{fileId}/restoreversion?version=N`: the content of
/// version N becomes a new version. Only POST: a GET (a link in a mail, an
/// `<img>`) must not change anything.
#[utoipa::path(
    post, path = "/api/2.0/files/file/{file_id}/restoreversion", tag = "files",
    params(("file_id" = i64, Path, description = "File id"), ("version" = i64, Query, description = "The version to restore")),
    responses((status = 200, description = "The file's versions after the restore, oldest first", body = crate::openapi::Envelope<Vec<crate::openapi::EditHistoryDto>>), crate::openapi::BadRequest, crate::openapi::Unauthorized, crate::openapi::Forbidden, crate::openapi::NotFound)
)]
pub async fn restore_version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found)?;
    let version = q.int("version")?.ok_or_else(|| Error::BadRequest("version is required".into()))?;
    let change = state.svc.restore_version(ctx.caller.user.as_ref(), id, version).await?;
    delete_blobs(&state, &change.unused_blobs).await;
    if let Some(file) = state.svc.store.file(id).await? {
        crate::webhooks::file_event(&state, &ctx, crate::webhooks::Trigger::FileUpdated, &file).await;
    }
    let mut versions = state.svc.store.file_versions(id).await?;
    versions.reverse();
    let mut dtos = Vec::with_capacity(versions.len());
    for v in &versions {
        dtos.push(edit_history_dto(&state, v).await?);
    }
    ctx.ok(dtos)
}

async fn edit_history_dto(state: &AppState, v: &FileVersion) -> Result<EditHistoryDto, Error> {
    let user = match v.created_by.as_str() {
        "" => None,
        id => state.svc.store.user_by_id(id).await?,
    };
    let user = match user {
        Some(u) => EditHistoryAuthor { id: u.id.clone(), name: u.display_name() },
        None => EditHistoryAuthor { id: NIL_GUID.into(), name: "Anonymous".into() },
    };
    Ok(EditHistoryDto {
        id: v.file_id,
        // The document key of DocSpace's editor: stable per content.
        key: token_hash(&v.blob_key)[..20].to_string(),
        version: v.version,
        version_group: v.version,
        user,
        created: format_api_date(v.created),
    })
}
