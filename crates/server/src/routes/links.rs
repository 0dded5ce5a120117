//! The owner side of external links: the four routes of the seed document,
//! and the same four for folders (`folder/{id}/links`, `folder/{id}/link`).

use crate::openapi as doc;
use axum::extract::{Path, State};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::Fields;
use spacelinks_core::links::LinkRequest;
use spacelinks_core::service::ManagedLink;
use spacelinks_core::{Entry, Error};

use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::dto::{link_dto, link_event_dto};
use crate::error::ApiResult;
use crate::scope::{Area, Scope};

fn file_id(raw: &str) -> Result<i64, Error> {
    parse_id(raw, Error::item_not_found)
}

fn reply(state: &AppState, ctx: &Ctx, link: Option<ManagedLink>) -> ApiResult {
    match link {
        Some(l) => ctx.ok(link_dto(state, &l)),
        None => ctx.ok_empty(),
    }
}

/// `GET file/{id}/links?count&startIndex`: primary first; `total` in the envelope.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/links", tag = "links",
    params(("file_id" = i64, Path, description = "File id"), doc::Paging),
    responses(
        (status = 200, description = "A page of the file's links, primary first; `total` counts them all", body = doc::Envelope<Vec<doc::FileShareDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn list_file_links(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    let user = ctx.user()?;
    let (start, count) = q.paging()?;
    let (links, total) = state.svc.list_links(user, Entry::File(file_id(&id)?), start, count).await?;
    let dtos: Vec<_> = links.iter().map(|l| link_dto(&state, l)).collect();
    ctx.ok_page(dtos, total)
}

/// `GET file/{id}/links/{linkId}/activity?count&startIndex`: the link's
/// access log, newest first, for those who may manage the file's links. A
/// spacelinks extension (DocSpace keeps no per-link log).
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/links/{link_id}/activity", tag = "links",
    params(("file_id" = i64, Path, description = "File id"), ("link_id" = String, Path, description = "Link id"), doc::Paging),
    responses(
        (status = 200, description = "A page of the link's events, newest first; `total` counts them all", body = doc::Envelope<Vec<doc::LinkEventDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn link_activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, link_id)): Path<(String, String)>,
    q: QueryMap,
) -> ApiResult {
    let user = ctx.user()?;
    let (start, count) = q.paging()?;
    let activity = state.svc.link_activity(user, file_id(&id)?, &link_id, start, count).await?;
    let dtos: Vec<_> = activity.events.iter().map(link_event_dto).collect();
    ctx.ok_page(dtos, activity.total)
}

/// `PUT file/{id}/links`: create, update (merging) or delete one link.
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}/links", tag = "links",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::LinkRequest,
    responses((status = 200, description = "The link; no `response` when the request deleted a link or changed nothing", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn set_file_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    set_link(&state, &ctx, Entry::File(file_id(&id)?), &body).await
}

/// `GET file/{id}/link`: the primary link, created with Read if missing.
/// Anyone who may not manage the file's links (anonymous callers included)
/// gets 200 with `count: 0` and no `response`, as from DocSpace.
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/link", tag = "links",
    params(("file_id" = i64, Path, description = "File id"), doc::Paging),
    responses((status = 200, description = "The link; no `response` for a caller who may not manage the file's links", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Forbidden, doc::NotFound)
)]
pub async fn get_primary_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    q.paging()?;
    let id = file_id(&id)?;
    match state.svc.managed_file(ctx.caller.user.as_ref(), id).await {
        Err(Error::Forbidden(_)) => return ctx.ok_empty(),
        other => other?,
    };
    let may_create = ctx.caller.may(Scope::Write(Area::Files));
    let link = state.svc.primary_link(ctx.caller.user.as_ref(), Entry::File(id), None, may_create).await?;
    reply(&state, &ctx, link)
}

/// `POST file/{id}/link`: creates the primary link from the body if missing.
#[utoipa::path(
    post, path = "/api/2.0/files/file/{file_id}/link", tag = "links",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::LinkRequest,
    responses((status = 200, description = "The link; no `response` when the request deleted a link or changed nothing", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn create_primary_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    create_primary(&state, &ctx, Entry::File(file_id(&id)?), &body).await
}

/// `GET folder/{id}/links`: the folder's links, primary first. No paging,
/// as DocSpace: `count`/`startIndex` are ignored, there is no `total`, and
/// at most 100 links are read (a folder has at most 7).
#[utoipa::path(
    get, path = "/api/2.0/files/folder/{folder_id}/links", tag = "links",
    params(("folder_id" = i64, Path, description = "Folder id")),
    responses(
        (status = 200, description = "The folder's links, primary first (empty for a caller who may not manage them)", body = doc::Envelope<Vec<doc::FileShareDto>>),
        doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn list_folder_links(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let user = ctx.user()?;
    let (links, _) = state.svc.list_links(user, Entry::Folder(file_id(&id)?), 0, 100).await?;
    let dtos: Vec<_> = links.iter().map(|l| link_dto(&state, l)).collect();
    ctx.ok(dtos)
}

/// `PUT folder/{id}/links`: create, update (merging) or delete one link of
/// a folder; the body and rules are a file link's (the password is trimmed).
#[utoipa::path(
    put, path = "/api/2.0/files/folder/{folder_id}/links", tag = "links",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::LinkRequest,
    responses((status = 200, description = "The link; no `response` when the request deleted a link or changed nothing", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn set_folder_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    set_link(&state, &ctx, Entry::Folder(file_id(&id)?), &body).await
}

/// `GET folder/{id}/link`: the folder's primary link, created with Read if missing.
#[utoipa::path(
    get, path = "/api/2.0/files/folder/{folder_id}/link", tag = "links",
    params(("folder_id" = i64, Path, description = "Folder id"), doc::Paging),
    responses((status = 200, description = "The primary link", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound)
)]
pub async fn get_folder_primary_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    q: QueryMap,
) -> ApiResult {
    q.paging()?;
    let may_create = ctx.caller.may(Scope::Write(Area::Files));
    let link = state.svc.primary_link(ctx.caller.user.as_ref(), Entry::Folder(file_id(&id)?), None, may_create).await?;
    reply(&state, &ctx, link)
}

/// `POST folder/{id}/link`: creates the folder's primary link from the body
/// if missing; unlike a file's, `title` is honoured (trimmed).
#[utoipa::path(
    post, path = "/api/2.0/files/folder/{folder_id}/link", tag = "links",
    params(("folder_id" = i64, Path, description = "Folder id")),
    request_body = doc::LinkRequest,
    responses((status = 200, description = "The primary link; no `response` when the body's access is None", body = doc::Envelope<doc::FileShareDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn create_folder_primary_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    create_primary(&state, &ctx, Entry::Folder(file_id(&id)?), &body).await
}

/// `PUT .../links` of a file or a folder: create, update (merging) or
/// delete one link.
async fn set_link(state: &AppState, ctx: &Ctx, entry: Entry, body: &Fields) -> ApiResult {
    let user = ctx.user()?;
    let req = LinkRequest::parse(body, now_micros())?;
    let link = state.svc.set_link(user, entry, &req).await?;
    reply(state, ctx, link)
}

/// `POST .../link` of a file or a folder: the primary link, created from
/// the body if missing.
async fn create_primary(state: &AppState, ctx: &Ctx, entry: Entry, body: &Fields) -> ApiResult {
    let user = ctx.user()?;
    let req = LinkRequest::parse(body, now_micros())?;
    let link = state.svc.primary_link(Some(user), entry, Some(&req), true).await?;
    reply(state, ctx, link)
}
