//! The registry of `files/fileops` operations: what `PUT fileops/...`
//! starts and `GET fileops` lists. Rows live in the database
//! (`file_operations`), so every node answers for every operation. Only bulk
//! downloads exist so far; they finish at once, because the archive is built
//! while it is fetched (`crate::zip`). Copies and moves
//! (`routes::copymove`) run before their request returns and are
//! registered finished, with the entries they made or moved.

use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::FileOperationDto;
use spacelinks_core::{Error, FileOperation, Link};

use crate::app::AppState;
use crate::ctx::Ctx;

/// DocSpace's `FileOperationType`: Move, Copy, Delete, Download.
pub const MOVE: i64 = 0;
pub const COPY: i64 = 1;
pub const DELETE: i64 = 2;
pub const DOWNLOAD: i64 = 3;
/// How long an operation is listed and its archive can be fetched: DocSpace
/// keeps a prepared archive for an hour.
pub const LIFETIME_MICROS: i64 = 3600 * 1_000_000;

/// Whose operations these are: the signed-in user, else the link an
/// anonymous visitor came through (DocSpace keys them by an anonymous
/// session cookie; the link is what spacelinks' visitors share).
pub fn owner(ctx: &Ctx, link: Option<&Link>) -> Option<String> {
    match (&ctx.caller.user, link) {
        (Some(user), _) => Some(user.id.clone()),
        (None, Some(link)) => Some(format!("link:{}", link.id)),
        (None, None) => None,
    }
}

/// Registers a new operation (and forgets the expired ones).
pub async fn register(state: &AppState, op: &FileOperation) -> Result<(), Error> {
    state.svc.store.purge_operations(now_micros() - LIFETIME_MICROS).await?;
    state.svc.store.insert_operation(op).await
}

/// The owner's live operations, oldest first.
pub async fn list(state: &AppState, owner: &str) -> Result<Vec<FileOperation>, Error> {
    state.svc.store.operations(owner, now_micros() - LIFETIME_MICROS).await
}

/// An operation that has not expired.
pub async fn find(state: &AppState, id: &str) -> Result<Option<FileOperation>, Error> {
    Ok(state.svc.store.operation(id).await?.filter(|op| op.created > now_micros() - LIFETIME_MICROS))
}

/// The operation on the wire: finished, with the archive's absolute URL
/// (carrying the link's token for a link's visitor, so that a browser can
/// fetch it without headers).
pub fn dto(state: &AppState, op: &FileOperation) -> FileOperationDto {
    let share = match &op.link_id {
        Some(id) => format!("&share={}", state.svc.secrets.share_token(id, &op.token_salt)),
        None => String::new(),
    };
    let url = (op.operation == DOWNLOAD)
        .then(|| format!("{}/filehandler.ashx?action=bulk&filename={}{share}", state.public_url, op.id));
    FileOperationDto {
        id: op.id.clone(),
        operation: op.operation,
        progress: 100,
        error: None,
        processed: (op.folder_ids.len() + op.file_ids.len()).to_string(),
        finished: true,
        url,
        files: None,
        folders: None,
        // DistributedTaskStatus.Completed
        status: 2,
    }
}

/// The operation on the wire with, for a copy or move, the entries it made
/// or moved that still exist and still belong to `owner` (a later move or
/// owner change is not reported as this operation's).
pub async fn dto_with_entries(state: &AppState, op: &FileOperation) -> Result<FileOperationDto, Error> {
    let mut dto = dto(state, op);
    if op.operation != MOVE && op.operation != COPY {
        return Ok(dto);
    }
    let mut folders = Vec::new();
    for id in &op.folder_ids {
        if let Some(f) = state.svc.store.folder(*id).await?.filter(|f| f.owner.id == op.owner) {
            let counts = state.svc.store.folder_counts(f.id).await?;
            folders.push(crate::dto::folder_dto(state, &f, counts));
        }
    }
    let mut files = Vec::new();
    for id in &op.file_ids {
        if let Some(f) = state.svc.store.file(*id).await?.filter(|f| f.owner.id == op.owner) {
            files.push(crate::routes::files::owner_dto(state, &f));
        }
    }
    dto.files = Some(files);
    dto.folders = Some(folders);
    Ok(dto)
}
