//! The registry of `files/fileops` operations: what `PUT fileops/...`
//! starts and `GET fileops` lists. Rows live in the database
//! (`file_operations`), so every node answers for every operation. Only bulk
//! downloads exist so far; they finish at once, because the archive is built
//! while it is fetched (`crate::zip`). Other kinds (copy, move, delete) add
//! an `operation` number and their own handler.

use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::FileOperationDto;
use spacelinks_core::{Error, FileOperation, Link};

use crate::app::AppState;
use crate::ctx::Ctx;

/// DocSpace's `FileOperationType.Download`.
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
    FileOperationDto {
        id: op.id.clone(),
        operation: op.operation,
        progress: 100,
        error: None,
        processed: (op.folder_ids.len() + op.file_ids.len()).to_string(),
        finished: true,
        url: Some(format!("{}/filehandler.ashx?action=bulk&filename={}{share}", state.public_url, op.id)),
        // DistributedTaskStatus.Completed
        status: 2,
    }
}
