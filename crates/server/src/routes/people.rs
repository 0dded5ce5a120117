//! Sharing a file with people and groups of this server (issue 15), as
//! DocSpace's `PUT files/file/{id}/share` does: the owner gives users and
//! groups an access level, changes it or takes it away (access 0).
//! `access::file_access` lets those users in; `GET files/@share` lists what
//! was shared with the caller. The rules shared with the batch routes live
//! in `security`.

use crate::openapi as doc;
use axum::extract::{Path, State};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::{FolderContentDto, MentionDto};
use spacelinks_core::{Error, File, Folder, Owner, User};

use crate::access::file_access;
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::dto::folder_dto;
use crate::error::ApiResult;
use crate::routes::account::full_dto;
use crate::routes::security;

/// `rootFolderType` / `folderType` of DocSpace's "Shared with me" folder.
const FOLDER_TYPE_SHARE: i64 = 6;

/// The file, if the signed-in caller owns it; DocSpace's 403 otherwise.
async fn owned_file(state: &AppState, ctx: &Ctx, raw_id: &str) -> Result<File, Error> {
    let user = ctx.user().map_err(|e| e.0)?;
    let id = parse_id(raw_id, Error::file_not_found)?;
    security::owned_file(state, user, id).await?.ok_or_else(Error::file_not_found)
}

/// The people the file is shared with, directly or through a group, each
/// once (users deleted meanwhile are skipped; the owner is never listed).
async fn shared_people(state: &AppState, file: &File) -> Result<Vec<User>, Error> {
    let mut ids: Vec<String> = state.svc.store.file_shares(file.id).await?.into_iter().map(|(u, _)| u).collect();
    for (group, _) in state.svc.store.file_group_shares(file.id).await? {
        ids.extend(state.svc.store.group_member_ids(&group).await?);
    }
    let mut people = Vec::new();
    for id in ids {
        if id == file.owner.id || people.iter().any(|u: &User| u.id == id) {
            continue;
        }
        people.extend(state.svc.store.user_by_id(&id).await?);
    }
    Ok(people)
}

/// `PUT files/file/{id}/share` `{share: [{shareTo | email, access}], notify,
/// sharingMessage}`: the owner shares the file with people and groups of this
/// server (`shareTo` a user's or a group's id), changes their access, or
/// removes it (access 0). Answers the records of the subjects named, as
/// they stand afterwards (a removed one has none), as DocSpace. `notify` is
/// accepted; spacelinks sends no mail. A `sharingMessage` over 255
/// characters is DocSpace's validation 400.
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}/share", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::ShareRequest,
    responses(
        (status = 200, description = "The named subjects' shares after the change", body = doc::Envelope<Vec<doc::SubjectShareDto>>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn set_file_share(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let file = owned_file(&state, &ctx, &id).await?;
    if let Some(invalid) = security::check_sharing_message(&body, "SecurityInfoSimple.SharingMessage") {
        return Ok(invalid);
    }
    let shares = security::requested_shares(&state, &body, &file.owner.id).await?;
    security::apply_shares(&state, &file, &shares).await?;
    ctx.ok(security::changed_records(&state, &file, &shares, ctx.user()?).await?)
}

/// `GET files/file/{id}/sharedusers`: the people the file is shared with,
/// directly or through a group (the caller, its owner, is not among them), as DocSpace's
/// `MentionWrapper` (owner only).
#[utoipa::path(
    get, path = "/api/2.0/files/file/{file_id}/sharedusers", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The users the file is shared with", body = doc::Envelope<Vec<doc::MentionDto>>),
        doc::Unauthorized, doc::Forbidden, doc::NotFound,
    )
)]
pub async fn shared_users(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let file = owned_file(&state, &ctx, &id).await?;
    let people = shared_people(&state, &file).await?;
    let mention = |u: &User| {
        let user = full_dto(&state, u);
        let (email, id, image, name) =
            (u.email.clone(), u.id.clone(), user.base.avatar_medium.clone(), user.base.display_name.clone());
        // DocSpace leaves `hasAccess` unset here (false) though everyone listed has access.
        MentionDto { user, email, id, image, has_access: false, name }
    };
    ctx.ok(people.iter().map(mention).collect::<Vec<_>>())
}

/// `GET files/@share`: "Shared with me", the files people shared with the
/// caller, newest share first, each as the caller may use it.
#[utoipa::path(
    get, path = "/api/2.0/files/@share", tag = "files",
    params(doc::Paging),
    responses((status = 200, description = "The files shared with the caller", body = doc::Envelope<doc::FolderContentDto>), doc::BadRequest, doc::Unauthorized)
)]
pub async fn shared_with_me(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let user = ctx.user()?;
    let (start, count) = q.paging()?;
    let (files, total) = state.svc.store.shared_files(&user.id, start, count).await?;
    let mut dtos = Vec::with_capacity(files.len());
    for f in &files {
        // Through the one access check; the request's query carries no link.
        dtos.push(file_access(&state, &ctx, &QueryMap(Default::default()), f.id).await?.dto(&state, &ctx));
    }
    // A view (id 0), not a folder of the tree.
    let view = Folder {
        id: 0,
        parent_id: None,
        owner: Owner { id: user.id.clone(), display_name: user.display_name(), my_folder_id: user.my_folder_id },
        title: "Shared with me".into(),
        created: user.created,
        updated: now_micros(),
        has_links: false,
        has_public_links: false,
    };
    let mut current = folder_dto(&state, &view, (total, 0));
    current.entry.root_folder_type = FOLDER_TYPE_SHARE;
    ctx.ok(FolderContentDto {
        count: dtos.len() as i64,
        files: dtos,
        folders: Vec::new(),
        current,
        path_parts: Vec::new(),
        start_index: start,
        total,
        new: 0,
    })
}
