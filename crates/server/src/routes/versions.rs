//! A file's versions, for its owner: `GET files/file/{id}/history` (a
//! FileDto per version, newest first), `PUT` of the same path (DocSpace's
//! "change version history": version groups), `GET .../edit/history` and
//! `POST .../restoreversion?version=N` (DocSpace's EditHistoryDto list,
//! oldest first), and `GET .../log` (the file's log, from its versions), as
//! DocSpace names and shapes them.

use axum::extract::{Path, State};
use spacelinks_api_types::dto::{
    EditHistoryAuthor, EditHistoryDto, FileDto, HistoryActionDto, HistoryDataDto, HistoryDto,
};
use spacelinks_api_types::format_api_date;
use spacelinks_core::crypto::token_hash;
use spacelinks_core::versions::COMMENT_CREATED;
use spacelinks_core::{Error, File, FileVersion};

use crate::access::{file_access, request_token};
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
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
    // DocSpace asks "may read the history" of the file it found, or of
    // nothing: a missing file is the same 403 as someone else's.
    let id = parse_id(&id, Error::cannot_read_file)?;
    let (file, versions) = state.svc.file_history(ctx.caller.user.as_ref(), id).await.map_err(read_denied)?;
    ctx.ok(version_dtos(&state, &file, &versions))
}

fn read_denied(e: Error) -> Error {
    match e {
        Error::NotFound(_) | Error::Forbidden(_) => Error::cannot_read_file(),
        e => e,
    }
}

fn version_dtos(state: &AppState, file: &File, versions: &[FileVersion]) -> Vec<FileDto> {
    versions.iter().map(|v| version_dto(state, file, v)).collect()
}

/// `PUT files/file/{fileId}/history` `{version, continueVersion}`: the
/// owner merges a version into the group before it (`continueVersion:
/// true`) or closes the current version's group (`false`, which repeats it
/// as a new version); answers every version, newest first, as `GET`.
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}/history", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = crate::openapi::ChangeHistoryRequest,
    responses((status = 200, description = "Every kept version of the file after the change, newest first", body = crate::openapi::Envelope<Vec<crate::openapi::FileDto>>), crate::openapi::BadRequest, crate::openapi::Unauthorized, crate::openapi::Forbidden, crate::openapi::NotFound, crate::openapi::TooLarge)
)]
pub async fn change_history(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let user = ctx.user()?;
    let id = parse_id(&id, Error::file_not_found)?;
    let version = body.int("version")?.value().unwrap_or(0);
    let continue_version = body.bool("continueversion")?.value().unwrap_or(false);
    if let Some(change) = state.svc.change_history(Some(user), id, version, continue_version).await? {
        delete_blobs(&state, &change.unused_blobs).await;
        crate::webhooks::file_event(&state, &ctx, crate::webhooks::Trigger::FileUpdated, &change.file).await;
    }
    let (file, versions) = state.svc.file_history(Some(user), id).await?;
    ctx.ok(version_dtos(&state, &file, &versions))
}

/// `GET files/file/{fileId}/edit/history`: the versions as DocSpace's
/// editor lists them (EditHistoryDto, oldest first). No editor is involved:
/// this is the version list in another shape. 404 for a missing file, 403
/// for anyone but its owner.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/edit/history", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    responses((status = 200, description = "The file's versions, oldest first", body = crate::openapi::Envelope<Vec<crate::openapi::EditHistoryDto>>), crate::openapi::Forbidden, crate::openapi::NotFound)
)]
pub async fn edit_history(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found)?;
    state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    let (_, versions) = state.svc.file_history(ctx.caller.user.as_ref(), id).await.map_err(read_denied)?;
    ctx.ok(edit_history_dtos(&state, versions).await?)
}

async fn edit_history_dtos(state: &AppState, mut versions: Vec<FileVersion>) -> Result<Vec<EditHistoryDto>, Error> {
    versions.reverse();
    let mut dtos = Vec::with_capacity(versions.len());
    for v in &versions {
        dtos.push(edit_history_dto(state, v).await?);
    }
    Ok(dtos)
}

/// `GET files/file/{fileId}/log?startIndex&count`: the file's log, newest
/// first, for anyone who may open the file (anonymous without a link
/// token: 401, as DocSpace). spacelinks keeps no audit trail
/// of files; the log is made of the versions (`FileCreated`, `FileUpdated`,
/// `FileRestoreVersion` with DocSpace's action numbers). `fromDate` and
/// `toDate` are not applied.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/log", tag = "files",
    params(("file_id" = i64, Path, description = "File id"), crate::openapi::Paging, crate::openapi::ShareQuery),
    responses((status = 200, description = "A page of the file's log, newest first", body = crate::openapi::Envelope<Vec<crate::openapi::HistoryDto>>), crate::openapi::BadRequest, crate::openapi::Unauthorized, crate::openapi::Forbidden, crate::openapi::NotFound)
)]
pub async fn file_log(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    // DocSpace's log is for signed-in people (401); spacelinks also lets a
    // link's visitor read the log of what the link opens.
    if ctx.caller.user.is_none() && request_token(&ctx, &q).is_none() {
        return Err(Error::Unauthorized.into());
    }
    let id = parse_id(&id, Error::file_not_found)?;
    let (start, count) = q.paging()?;
    let access = file_access(&state, &ctx, &q, id).await?;
    let file = access.file();
    let versions = state.svc.store.file_versions(file.id).await?;
    let total = versions.len() as i64;
    let mut page = Vec::new();
    for v in versions.iter().skip(start as usize).take(count as usize) {
        page.push(log_entry(&state, file, v).await?);
    }
    ctx.ok_page(page, total)
}

async fn log_entry(state: &AppState, file: &File, v: &FileVersion) -> Result<HistoryDto, Error> {
    let (id, key) = if v.version == 1 && v.comment == COMMENT_CREATED {
        (5000, "FileCreated")
    } else if v.comment.starts_with("Restored") {
        (5044, "FileRestoreVersion")
    } else {
        (5002, "FileUpdated")
    };
    let initiator = match v.created_by.as_str() {
        "" => None,
        by => state.svc.store.user_by_id(by).await?,
    };
    let initiator = match initiator {
        Some(u) => crate::dto::employee(state, &u.id, &u.display_name()),
        None => crate::dto::employee(state, NIL_GUID, "Anonymous"),
    };
    Ok(HistoryDto {
        // One entry per version: the version number identifies it.
        id: v.version,
        action: HistoryActionDto { id, key: key.into() },
        initiator,
        date: format_api_date(v.created),
        data: HistoryDataDto { title: file.title.clone(), version: v.version },
    })
}

/// The file as it was at version `v`: its size, date and comment, and a
/// `viewUrl` that downloads that version.
fn version_dto(state: &AppState, file: &File, v: &FileVersion) -> FileDto {
    let at = File { version: v.version, size: v.size, updated: v.created, ..file.clone() };
    let mut dto = owner_dto(state, &at);
    dto.comment = Some(v.comment.clone());
    dto.version_group = v.version_group;
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
    let versions = state.svc.store.file_versions(id).await?;
    ctx.ok(edit_history_dtos(&state, versions).await?)
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
        version_group: v.version_group,
        user,
        created: format_api_date(v.created),
    })
}
