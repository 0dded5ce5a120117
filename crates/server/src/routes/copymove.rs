//! Copying, moving and giving away files and folders: `POST
//! files/file/{id}/copyas`, `PUT files/fileops/copy` and `.../move`
//! (DocSpace's operations, finished before the request returns) and `POST
//! files/owner`.
//!
//! Every check runs before anything changes, as DocSpace's permission
//! check does before it starts an operation: a caller copies, moves or
//! gives away only what they own, into a folder they own. What a link grants follows the tree at each request
//! (`access::file_access` walks up from the file), so a file moved out of a
//! shared folder is out of that folder's links at once.

use crate::openapi as doc;
use axum::extract::{Path, State};
use serde_json::Value;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::{Fields, UserType};
use spacelinks_core::versions::COMMENT_UPLOADED;
use spacelinks_core::{extension_of, Entry, EntryMove, Error, File, FileOperation, Folder, User};

use crate::app::AppState;
use crate::ctx::{parse_id, Body, Ctx};
use crate::dto::folder_dto;
use crate::error::ApiResult;
use crate::fileops;
use crate::routes::fileops::ids;
use crate::routes::files::{add_file, checked_title, delete_blobs, new_blob_key, owner_dto, remove_file};
use crate::webhooks::{self, Trigger};

/// DocSpace's `FileConflictResolveType`: what happens to an item whose
/// title the destination already has.
#[derive(Clone, Copy, PartialEq)]
enum Conflict {
    Skip,
    Overwrite,
    Duplicate,
}

fn conflict(body: &Fields) -> Result<Conflict, Error> {
    let bad = || Error::BadRequest("conflictResolveType must be 0 (Skip), 1 (Overwrite) or 2 (Duplicate)".into());
    Ok(match body.raw("conflictresolvetype") {
        None | Some(Value::Null) => Conflict::Skip,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Conflict::Skip,
            Some(1) => Conflict::Overwrite,
            Some(2) => Conflict::Duplicate,
            _ => return Err(bad()),
        },
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "0" | "skip" => Conflict::Skip,
            "1" | "overwrite" => Conflict::Overwrite,
            "2" | "duplicate" => Conflict::Duplicate,
            _ => return Err(bad()),
        },
        Some(_) => return Err(bad()),
    })
}

/// A folder id given as a number or a numeric string; anything else names
/// no folder here.
fn dest_id(body: &Fields, key: &str) -> Result<i64, Error> {
    match body.raw(key) {
        Some(Value::Number(n)) => n.as_i64().filter(|n| *n > 0).ok_or_else(Error::folder_not_found),
        Some(Value::String(s)) => parse_id(s.trim(), Error::folder_not_found),
        _ => Err(Error::folder_not_found()),
    }
}

/// `name (1).ext`, `name (2).ext`, ...: the first title `taken` says is
/// free.
async fn free_title<F, Fut>(title: &str, folder: bool, taken: F) -> Result<String, Error>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<bool, Error>>,
{
    if !taken(title.to_string()).await? {
        return Ok(title.to_string());
    }
    let ext = if folder { String::new() } else { extension_of(title) };
    let stem = &title[..title.len() - ext.len()];
    for n in 1..1000 {
        let candidate = format!("{stem} ({n}){ext}");
        if !taken(candidate.clone()).await? {
            return Ok(candidate);
        }
    }
    Err(Error::BadRequest("The destination has too many items with this title".into()))
}

async fn free_file_title(state: &AppState, folder_id: i64, title: &str) -> Result<String, Error> {
    free_title(title, false, |t| async move { Ok(state.svc.store.file_by_title(folder_id, &t).await?.is_some()) }).await
}

async fn free_folder_title(state: &AppState, parent_id: i64, title: &str) -> Result<String, Error> {
    free_title(title, true, |t| async move { Ok(state.svc.store.folder_by_title(parent_id, &t).await?.is_some()) })
        .await
}

/// A copy of a blob under a new key: a blob belongs to one file's versions
/// (deleting a file deletes its blobs), so copies never share one.
async fn copy_blob(state: &AppState, key: &str) -> Result<String, Error> {
    let new = new_blob_key();
    let body = state.blobs.get(key, None).await?;
    state.blobs.put_stream(&new, body, u64::MAX).await?;
    Ok(new)
}

/// A copy of `file` named `title` in `dest`, owned by `user`.
async fn copy_file_into(
    state: &AppState,
    user: &User,
    file: &File,
    dest: &Folder,
    title: String,
) -> Result<File, Error> {
    let key = copy_blob(state, &file.blob_key).await?;
    add_file(state, user, dest, title, key, file.size).await
}

/// `POST files/file/{fileId}/copyas` `{destTitle, destFolderId}`: a copy of
/// a file the caller owns, in a folder they own (DocSpace lets anyone who
/// may read the file copy it; spacelinks copies and moves only what the
/// caller manages, as `fileops/copy`). DocSpace converts
/// when the extension changes; spacelinks converts nothing, so `destTitle`
/// keeps the source's extension (added when missing; another one is 400).
#[utoipa::path(
    post, path = "/api/2.0/files/file/{file_id}/copyas", tag = "files",
    params(("file_id" = i64, Path, description = "File id")),
    request_body = doc::CopyAsRequest,
    responses((status = 200, description = "The copy", body = doc::Envelope<doc::FileDto>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn copy_as(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let file = state.svc.store.file(parse_id(&id, Error::file_not_found)?).await?.ok_or_else(Error::file_not_found)?;
    if file.owner.id != user.id {
        return Err(Error::Forbidden("You don't have enough permission to copy the file".into()).into());
    }
    let file = &file;
    let dest = state.svc.store.folder(dest_id(&body, "destfolderid")?).await?.ok_or_else(Error::folder_not_found)?;
    if dest.owner.id != user.id {
        return Err(Error::Forbidden("You don't have enough permission to create".into()).into());
    }
    let mut title = checked_title(body.required_string("desttitle")?)?;
    let ext = file.extension();
    let dest_ext = extension_of(&title);
    if dest_ext.is_empty() {
        title.push_str(&ext);
    } else if !dest_ext.eq_ignore_ascii_case(&ext) {
        let msg = format!("spacelinks converts no formats: destTitle must keep the extension {ext}");
        return Err(Error::BadRequest(msg).into());
    }
    let title = checked_title(title)?;
    let copy = copy_file_into(&state, user, file, &dest, title).await?;
    webhooks::file_event(&state, &ctx, Trigger::FileCreated, &copy).await;
    ctx.ok(owner_dto(&state, &copy))
}

/// What a batch names, checked: folders and files the caller owns.
struct Batch {
    folders: Vec<Folder>,
    files: Vec<File>,
}

async fn checked_batch(state: &AppState, user: &User, body: &Fields, copy: bool) -> Result<Batch, Error> {
    let what = if copy { "copy" } else { "move" };
    let mut folders = Vec::new();
    for id in ids(body, "folderids", Error::folder_not_found)? {
        let folder = state.svc.store.folder(id).await?.ok_or_else(Error::folder_not_found)?;
        if folder.owner.id != user.id || folder.is_root() {
            return Err(Error::Forbidden(format!("You don't have enough permission to {what} the folder")));
        }
        folders.push(folder);
    }
    let mut files = Vec::new();
    for id in ids(body, "fileids", Error::file_not_found)? {
        let file = state.svc.store.file(id).await?.ok_or_else(Error::file_not_found)?;
        if file.owner.id != user.id {
            return Err(Error::Forbidden(format!("You don't have enough permission to {what} the file")));
        }
        files.push(file);
    }
    Ok(Batch { folders, files })
}

/// `PUT files/fileops/copy` `{folderIds, fileIds, destFolderId,
/// conflictResolveType, returnSingleOperation}`.
#[utoipa::path(
    put, path = "/api/2.0/files/fileops/copy", tag = "files",
    request_body = doc::BatchRequest,
    responses((status = 200, description = "The caller's copy operations (or only this one with `returnSingleOperation`), finished, with the entries made", body = doc::Envelope<Vec<doc::FileOperationDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn copy_batch(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    batch(&state, &ctx, &body, true).await
}

/// `PUT files/fileops/move`, the same body as `copy`.
#[utoipa::path(
    put, path = "/api/2.0/files/fileops/move", tag = "files",
    request_body = doc::BatchRequest,
    responses((status = 200, description = "The caller's move operations (or only this one with `returnSingleOperation`), finished, with the entries moved", body = doc::Envelope<Vec<doc::FileOperationDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn move_batch(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    batch(&state, &ctx, &body, false).await
}

/// Checks the whole batch (404 for a missing item or destination, 403 for
/// an item or destination the caller does not own, or a folder into its own
/// subtree), then copies or moves each item and registers the finished
/// operation.
async fn batch(state: &AppState, ctx: &Ctx, body: &Fields, copy: bool) -> ApiResult {
    let user = ctx.user()?;
    let resolve = conflict(body)?;
    let single = body.bool("returnsingleoperation")?.value().unwrap_or(false);
    let dest = state.svc.store.folder(dest_id(body, "destfolderid")?).await?.ok_or_else(Error::folder_not_found)?;
    if dest.owner.id != user.id {
        let what = if copy { "copy" } else { "move" };
        return Err(Error::Forbidden(format!("You don't have permission to {what} to this folder")).into());
    }
    let batch = checked_batch(state, user, body, copy).await?;
    for folder in &batch.folders {
        if state.svc.store.folder_within(dest.id, folder.id).await? {
            return Err(Error::Forbidden("You cannot copy the folder to its subfolder".into()).into());
        }
    }
    let mut op = FileOperation {
        id: uuid::Uuid::new_v4().to_string(),
        owner: user.id.clone(),
        operation: if copy { fileops::COPY } else { fileops::MOVE },
        link_id: None,
        token_salt: String::new(),
        folder_ids: Vec::new(),
        file_ids: Vec::new(),
        created: now_micros(),
    };
    for folder in &batch.folders {
        if let Some(id) = folder_item(state, ctx, user, folder, &dest, copy, resolve).await? {
            op.folder_ids.push(id);
        }
    }
    for file in &batch.files {
        if let Some(id) = file_item(state, ctx, user, file, &dest, copy, resolve).await? {
            op.file_ids.push(id);
        }
    }
    fileops::register(state, &op).await?;
    if single {
        return ctx.ok(vec![fileops::dto_with_entries(state, &op).await?]);
    }
    let mut dtos = Vec::new();
    for o in fileops::list(state, &user.id).await?.iter().filter(|o| o.operation == op.operation) {
        dtos.push(fileops::dto_with_entries(state, o).await?);
    }
    ctx.ok(dtos)
}

/// Copies or moves one file into `dest`; the id of the file that holds its
/// content there, or `None` when it was skipped.
async fn file_item(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    file: &File,
    dest: &Folder,
    copy: bool,
    resolve: Conflict,
) -> Result<Option<i64>, Error> {
    if !copy && file.folder_id == dest.id {
        return Ok(Some(file.id));
    }
    let mut title = file.title.clone();
    if let Some(existing) = state.svc.store.file_by_title(dest.id, &file.title).await? {
        match resolve {
            Conflict::Skip => return Ok(None),
            Conflict::Overwrite if existing.id == file.id => return Ok(Some(file.id)),
            Conflict::Overwrite => {
                // The destination's file gets the content as its next
                // version; a move then removes the source.
                let key = copy_blob(state, &file.blob_key).await?;
                let change =
                    match state.svc.add_version(existing.id, file.size, &key, Some(user), COMMENT_UPLOADED).await {
                        Ok(c) => c,
                        Err(e) => {
                            delete_blobs(state, std::slice::from_ref(&key)).await;
                            return Err(e);
                        }
                    };
                delete_blobs(state, &change.unused_blobs).await;
                webhooks::file_event(state, ctx, Trigger::FileUpdated, &change.file).await;
                if !copy {
                    remove_file(state, file.id).await?;
                    webhooks::file_event(state, ctx, Trigger::FileDeleted, file).await;
                }
                return Ok(Some(existing.id));
            }
            Conflict::Duplicate => title = free_file_title(state, dest.id, &file.title).await?,
        }
    }
    if copy {
        let made = copy_file_into(state, user, file, dest, title).await?;
        webhooks::file_event(state, ctx, Trigger::FileCopied, &made).await;
        return Ok(Some(made.id));
    }
    if !move_into(state, Entry::File(file.id), dest, &title).await? {
        return Err(Error::file_not_found());
    }
    if let Some(moved) = state.svc.store.file(file.id).await? {
        webhooks::file_event(state, ctx, Trigger::FileMoved, &moved).await;
    }
    Ok(Some(file.id))
}

/// Copies (with everything below) or moves one folder into `dest`. A title
/// the destination has: skipped, or (Overwrite and Duplicate alike) the
/// folder gets a free title; DocSpace merges on Overwrite.
async fn folder_item(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    folder: &Folder,
    dest: &Folder,
    copy: bool,
    resolve: Conflict,
) -> Result<Option<i64>, Error> {
    if !copy && folder.parent_id == Some(dest.id) {
        return Ok(Some(folder.id));
    }
    let mut title = folder.title.clone();
    if state.svc.store.folder_by_title(dest.id, &folder.title).await?.is_some() {
        if resolve == Conflict::Skip {
            return Ok(None);
        }
        title = free_folder_title(state, dest.id, &folder.title).await?;
    }
    if copy {
        let made = copy_tree(state, user, folder, dest, &title).await?;
        webhooks::folder_event(state, ctx, Trigger::FolderCopied, &made).await;
        return Ok(Some(made.id));
    }
    if !move_into(state, Entry::Folder(folder.id), dest, &title).await? {
        return Err(Error::folder_not_found());
    }
    if let Some(moved) = state.svc.store.folder(folder.id).await? {
        webhooks::folder_event(state, ctx, Trigger::FolderMoved, &moved).await;
    }
    Ok(Some(folder.id))
}

/// Moves one entry (with what is below it) into `dest` as `title`, keeping
/// its owner; false when it is gone.
async fn move_into(state: &AppState, entry: Entry, dest: &Folder, title: &str) -> Result<bool, Error> {
    let m = EntryMove { entry, parent_id: dest.id, title, owner: None, folders: &[], files: &[], now: now_micros() };
    state.svc.store.move_entry(&m).await
}

/// A copy of `folder` and everything below it, named `title`, in `dest`.
async fn copy_tree(
    state: &AppState,
    user: &User,
    folder: &Folder,
    dest: &Folder,
    title: &str,
) -> Result<Folder, Error> {
    let (folders, files) = state.svc.store.folder_tree(folder.id).await?;
    let top = state.svc.store.create_folder(dest, title, now_micros()).await?;
    // Old folder id -> its copy, filled top-down: a folder is copied once
    // its parent's copy exists.
    let mut made = std::collections::HashMap::from([(folder.id, top.clone())]);
    let mut left: Vec<&Folder> = folders.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        let mut next = Vec::new();
        for f in left {
            match f.parent_id.and_then(|p| made.get(&p)).cloned() {
                Some(parent) => {
                    let copy = state.svc.store.create_folder(&parent, &f.title, now_micros()).await?;
                    made.insert(f.id, copy);
                }
                None => next.push(f),
            }
        }
        if next.len() == before {
            break;
        }
        left = next;
    }
    for f in &files {
        if let Some(parent) = made.get(&f.folder_id) {
            copy_file_into(state, user, f, parent, f.title.clone()).await?;
        }
    }
    Ok(top)
}

/// `POST files/owner` `{userId, folderIds, fileIds}`: the caller gives files
/// and folders they own (a folder with everything below it) to another
/// person of the server, into that person's My Documents (a free title if
/// theirs has the same one). DocSpace refuses a new owner it cannot use
/// ("You cannot select this user"): a missing, disabled or guest user. The links
/// stay with the items and are managed by the new owner; links of folders
/// of the previous owner no longer reach them.
#[utoipa::path(
    post, path = "/api/2.0/files/owner", tag = "files",
    request_body = doc::ChangeOwnerRequest,
    responses((status = 200, description = "The entries, now the new owner's: folders, then files", body = doc::Envelope<Vec<doc::FileEntryDto>>), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooLarge)
)]
pub async fn change_owner(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let cannot_select = || Error::Forbidden("You cannot select this user".into());
    let new_owner_id = body.string("userid")?.value().unwrap_or_default();
    let new_owner = state.svc.store.user_by_id(new_owner_id.trim()).await?.ok_or_else(cannot_select)?;
    if new_owner.user_type == UserType::Guest || new_owner.disabled {
        return Err(cannot_select().into());
    }
    let batch = checked_batch(&state, user, &body, false).await.map_err(|e| match e {
        Error::Forbidden(_) => Error::cannot_perform(),
        e => e,
    })?;
    let home = state.svc.store.folder(new_owner.my_folder_id).await?.ok_or_else(Error::folder_not_found)?;
    // Giving to oneself changes nothing, as in DocSpace.
    let same = new_owner.id == user.id;
    let mut out = Vec::new();
    for folder in &batch.folders {
        if same {
            let counts = state.svc.store.folder_counts(folder.id).await?;
            out.push(serde_json::to_value(folder_dto(&state, folder, counts)).map_err(Error::internal)?);
            continue;
        }
        let (below, files) = state.svc.store.folder_tree(folder.id).await?;
        let title = free_folder_title(&state, home.id, &folder.title).await?;
        let below: Vec<i64> = below.iter().map(|f| f.id).collect();
        let files: Vec<i64> = files.iter().map(|f| f.id).collect();
        give(&state, Entry::Folder(folder.id), &home, &title, &new_owner, &below, &files).await?;
        if let Some(f) = state.svc.store.folder(folder.id).await? {
            webhooks::folder_event(&state, &ctx, Trigger::FolderUpdated, &f).await;
            let counts = state.svc.store.folder_counts(f.id).await?;
            out.push(serde_json::to_value(folder_dto(&state, &f, counts)).map_err(Error::internal)?);
        }
    }
    for file in &batch.files {
        if same {
            out.push(serde_json::to_value(owner_dto(&state, file)).map_err(Error::internal)?);
            continue;
        }
        let title = free_file_title(&state, home.id, &file.title).await?;
        give(&state, Entry::File(file.id), &home, &title, &new_owner, &[], &[]).await?;
        if let Some(f) = state.svc.store.file(file.id).await? {
            webhooks::file_event(&state, &ctx, Trigger::FileUpdated, &f).await;
            out.push(serde_json::to_value(owner_dto(&state, &f)).map_err(Error::internal)?);
        }
    }
    ctx.ok(out)
}

async fn give(
    state: &AppState,
    entry: Entry,
    home: &Folder,
    title: &str,
    owner: &User,
    folders: &[i64],
    files: &[i64],
) -> Result<(), Error> {
    let m = EntryMove { entry, parent_id: home.id, title, owner: Some(&owner.id), folders, files, now: now_micros() };
    state.svc.store.move_entry(&m).await?;
    Ok(())
}
