//! A user's marks on files (Recent, favorites) and a file's lock and order,
//! as DocSpace's file endpoints set them.

use crate::openapi as doc;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::FolderContentDto;
use spacelinks_core::{Error, Folder, Owner};

use crate::access::file_access;
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::dto::folder_dto;
use crate::error::ApiResult;
use crate::routes::files::owner_dto;

const RECENT: &str = "recent";
const FAVORITE: &str = "favorite";

fn file_id(raw: &str) -> Result<i64, Error> {
    parse_id(raw, Error::file_not_found)
}

/// `POST files/file/{id}/recent`: anyone who may open the file (the one
/// access check: its owner, or a valid link) adds it to their Recent.
#[utoipa::path(
    post, path = "/api/2.0/files/file/{file_id}/recent", tag = "files",
    params(("file_id" = i64, Path, description = "File id"), doc::ShareQuery),
    responses(
        (status = 200, description = "The file, now first in the caller's Recent", body = doc::Envelope<doc::FileDto>),
        doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn add_recent(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    let user = ctx.user()?;
    let access = file_access(&state, &ctx, &q, file_id(&id)?).await?;
    state.svc.store.mark_file(&user.id, access.file().id, RECENT, true, now_micros()).await?;
    ctx.ok(access.dto(&state, &ctx))
}

#[utoipa::path(
    get, path = "/api/2.0/files/recent", tag = "files",
    params(doc::Paging),
    responses((status = 200, description = "The caller's Recent files, newest first", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Unauthorized)
)]
pub async fn recent(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    marked(&state, &ctx, &q, RECENT, "Recent").await
}

/// `GET files/@recent`: the same list under DocSpace's other name.
#[utoipa::path(
    get, path = "/api/2.0/files/@recent", tag = "files",
    params(doc::Paging),
    responses((status = 200, description = "The caller's Recent files, newest first", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Unauthorized)
)]
pub async fn at_recent(state: State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    recent(state, ctx, q).await
}

/// `DELETE files/recent` `{fileIds}`: removes files from the caller's
/// Recent; 204, as DocSpace. Files that are not there are skipped.
#[utoipa::path(
    delete, path = "/api/2.0/files/recent", tag = "files",
    request_body = doc::FileIdsRequest,
    responses((status = 204, description = "Removed"), doc::BadRequest, doc::Unauthorized, doc::TooLarge)
)]
pub async fn delete_recent(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    for id in file_ids(&body)? {
        state.svc.store.mark_file(&user.id, id, RECENT, false, now_micros()).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `fileIds`: a list of ids, as numbers or numeric strings.
fn file_ids(body: &spacelinks_api_types::Fields) -> Result<Vec<i64>, Error> {
    let bad = || Error::BadRequest("fileIds must be a list of file ids".into());
    match body.raw("fileids") {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => n.as_i64().ok_or_else(bad),
                serde_json::Value::String(s) => s.trim().parse().map_err(|_| bad()),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// `GET files/favorites/{id}?favorite=true|false`: marks or unmarks the file
/// as one of the caller's favorites; answers the new state.
#[utoipa::path(
    get, path = "/api/2.0/files/favorites/{file_id}", tag = "files",
    params(("file_id" = i64, Path, description = "File id"), ("favorite" = bool, Query, description = "`true` to add, `false` to remove")),
    responses((status = 200, description = "Whether the file is now a favorite", body = doc::Envelope<bool>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn toggle_favorite(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    let user = ctx.user()?;
    let on = match q.get("favorite").map(str::to_ascii_lowercase).as_deref() {
        Some("true") => true,
        Some("false") | None => false,
        Some(_) => return Err(Error::BadRequest("favorite must be true or false".into()).into()),
    };
    let access = file_access(&state, &ctx, &q, file_id(&id)?).await?;
    state.svc.store.mark_file(&user.id, access.file().id, FAVORITE, on, now_micros()).await?;
    ctx.ok(on)
}

#[utoipa::path(
    get, path = "/api/2.0/files/@favorites", tag = "files",
    params(doc::Paging),
    responses((status = 200, description = "The caller's favorite files, newest first", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Unauthorized)
)]
pub async fn favorites(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    marked(&state, &ctx, &q, FAVORITE, "Favorites").await
}

/// A page of the caller's marked files that they may still open, in a
/// folder of its own (id 0: it is a view, not a folder of the tree).
async fn marked(state: &AppState, ctx: &Ctx, q: &QueryMap, kind: &str, title: &str) -> ApiResult {
    let user = ctx.user()?;
    let (start, count) = q.paging()?;
    let (files, total) = state.svc.store.marked_files(&user.id, kind, start, count).await?;
    let now = now_micros();
    let view = Folder {
        id: 0,
        parent_id: None,
        owner: Owner { id: user.id.clone(), display_name: user.display_name(), my_folder_id: user.my_folder_id },
        title: title.into(),
        created: user.created,
        updated: now,
        has_links: false,
        has_public_links: false,
    };
    let mut dtos = Vec::with_capacity(files.len());
    for f in &files {
        match file_access(state, ctx, q, f.id).await {
            Ok(access) => dtos.push(access.dto(state, ctx)),
            Err(Error::Forbidden(_) | Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    ctx.ok(FolderContentDto {
        count: dtos.len() as i64,
        files: dtos,
        folders: Vec::new(),
        current: folder_dto(state, &view, (total, 0)),
        path_parts: Vec::new(),
        start_index: start,
        total,
        new: 0,
    })
}

/// `PUT files/file/{id}/lock` `{lockFile}`: the owner locks or unlocks the
/// file. Others get DocSpace's "You do not have enough permissions to edit
/// the file".
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}/lock", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::LockRequest,
    responses((status = 200, description = "The file; `locked` is true while it is locked", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn lock_file(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let lock = body.bool("lockfile")?.value().unwrap_or(false);
    let file = state.svc.store.file(file_id(&id)?).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::Forbidden("You do not have enough permissions to edit the file".into()).into());
    }
    state.svc.store.set_file_lock(file.id, lock.then_some(user.id.as_str())).await?;
    let file = state.svc.store.file(file.id).await?.ok_or_else(Error::file_not_found)?;
    ctx.ok(owner_dto(&state, &file))
}

/// `PUT files/{id}/order` `{order}`: DocSpace orders files by hand in
/// indexed (VDR) rooms only; spacelinks has no rooms, so the owner's valid
/// request (order ≥ 1) is answered with the file and changes nothing.
#[utoipa::path(
    put, path = "/api/2.0/files/{file_id}/order", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::OrderRequest,
    responses((status = 200, description = "The file", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn file_order(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let user = ctx.user()?;
    let order = body.int("order")?.value().unwrap_or(0);
    let file = state.svc.store.file(file_id(&id)?).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::cannot_perform().into());
    }
    if order < 1 {
        return Err(Error::BadRequest("order must be at least 1".into()).into());
    }
    ctx.ok(owner_dto(&state, &file))
}
