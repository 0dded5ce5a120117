//! Sharing a file with people of this server (issue 15), as DocSpace's
//! `PUT files/file/{id}/share` does: the owner gives users an access level,
//! changes it or takes it away (access 0). `access::file_access` lets those
//! users in; `GET files/@share` lists what was shared with the caller.

use crate::openapi as doc;
use axum::extract::{Path, State};
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::{FolderContentDto, MentionDto, UserShareDto};
use spacelinks_api_types::FileShare;
use spacelinks_core::{Error, File, Folder, Owner, User};

use crate::access::file_access;
use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx, QueryMap};
use crate::dto::folder_dto;
use crate::error::ApiResult;
use crate::routes::account::full_dto;

/// `rootFolderType` / `folderType` of DocSpace's "Shared with me" folder.
const FOLDER_TYPE_SHARE: i64 = 6;

/// The access levels a person may be given on a file in My Documents; 0 removes.
const PERSON_ACCESS: [FileShare; 5] =
    [FileShare::None, FileShare::Read, FileShare::Comment, FileShare::Review, FileShare::Editing];

/// The file, if the signed-in caller owns it; DocSpace's 403 otherwise.
async fn owned_file(state: &AppState, ctx: &Ctx, raw_id: &str) -> Result<File, Error> {
    let user = ctx.user().map_err(|e| e.0)?;
    let id = parse_id(raw_id, Error::file_not_found)?;
    let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::cannot_perform());
    }
    Ok(file)
}

/// Who an item of `share` names: DocSpace's `FileShareParams` take the
/// user's id (`shareTo`) or their `email`.
enum ShareTo {
    Id(String),
    Email(String),
}

/// One `{shareTo | email, access}` item of `share` (names case-insensitive;
/// access a number or a FileShare name).
fn share_item(v: &Value) -> Result<(ShareTo, FileShare), Error> {
    let bad = || Error::BadRequest("share must be a list of {shareTo, access}".into());
    let obj = v.as_object().ok_or_else(bad)?;
    let field = |name: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let text = |name: &str| field(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let to = match (text("shareTo"), text("email")) {
        (Some(id), _) => ShareTo::Id(id.to_string()),
        (None, Some(email)) => ShareTo::Email(email.to_string()),
        (None, None) => return Err(bad()),
    };
    let access = match field("access") {
        Some(Value::Number(n)) => n.as_i64().and_then(FileShare::from_i64),
        Some(Value::String(s)) => FileShare::parse_name(s),
        _ => None,
    };
    let access = access.filter(|a| PERSON_ACCESS.contains(a)).ok_or_else(|| {
        Error::BadRequest("access must be None (0), Read (2), Comment (6), Review (5) or Editing (10)".into())
    })?;
    Ok((to, access))
}

fn share_dto(state: &AppState, user: &User, access: FileShare, owner: bool) -> UserShareDto {
    let dto = full_dto(state, user);
    UserShareDto {
        access,
        shared_to: dto.clone(),
        shared_to_user: dto,
        is_locked: owner,
        is_owner: owner,
        can_edit_access: !owner,
        can_edit_internal: false,
        can_edit_deny_download: false,
        can_edit_expiration_date: false,
        can_revoke: false,
        subject_type: 0,
    }
}

/// The people the file is shared with and their access (users deleted
/// meanwhile are skipped).
async fn shared_people(state: &AppState, file: &File) -> Result<Vec<(User, FileShare)>, Error> {
    let mut people = Vec::new();
    for (user_id, access) in state.svc.store.file_shares(file.id).await? {
        if let (Some(u), Some(a)) = (state.svc.store.user_by_id(&user_id).await?, FileShare::from_i64(access)) {
            people.push((u, a));
        }
    }
    Ok(people)
}

/// `PUT files/file/{id}/share` `{share: [{shareTo | email, access}], notify,
/// sharingMessage}`: the owner shares the file with users of this server,
/// changes their access, or removes it (access 0). Answers the file's
/// shares, the owner first, as DocSpace. `notify` and `sharingMessage` are
/// accepted; spacelinks sends no mail.
#[utoipa::path(
    put, path = "/api/2.0/files/file/{file_id}/share", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::ShareRequest,
    responses(
        (status = 200, description = "The file's shares, the owner first", body = doc::Envelope<Vec<doc::UserShareDto>>),
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
    let items = match body.raw("share") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(share_item).collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(Error::BadRequest("share must be a list of {shareTo, access}".into()).into()),
    };
    // Every recipient is found before anything is written.
    let mut people = Vec::with_capacity(items.len());
    for (to, access) in items {
        let (user, named) = match &to {
            ShareTo::Id(id) => (state.svc.store.user_by_id(id).await?, id),
            ShareTo::Email(email) => (state.svc.store.user_by_email(email).await?, email),
        };
        match user {
            Some(u) if u.id != file.owner.id => people.push((u.id, access)),
            _ => return Err(Error::BadRequest(format!("{named} is not another user of this server")).into()),
        }
    }
    let now = now_micros();
    for (to, access) in &people {
        state.svc.store.set_file_share(file.id, to, *access as i64, now).await?;
    }
    let owner = state.svc.store.user_by_id(&file.owner.id).await?.ok_or_else(Error::file_not_found)?;
    let mut dtos = vec![share_dto(&state, &owner, FileShare::ReadWrite, true)];
    for (u, a) in shared_people(&state, &file).await? {
        dtos.push(share_dto(&state, &u, a, false));
    }
    ctx.ok(dtos)
}

/// `GET files/file/{id}/sharedusers`: the people the file is shared with
/// (the caller, its owner, is not among them), as DocSpace's
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
    ctx.ok(people.iter().map(|(u, _)| mention(u)).collect::<Vec<_>>())
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
