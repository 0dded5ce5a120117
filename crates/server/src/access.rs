//! Who may reach a file or a folder, and how: the one access check of every
//! file and folder route (API, downloads, zips, the share page), the share
//! token and password proof a request carries, the link's status for this
//! visitor, and the event a visit records. A file is reached through a link
//! to the file itself or to any folder above it; link controls extend this
//! module.

use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::FileDto;
use spacelinks_api_types::FileShare;
use spacelinks_core::links::{LinkStatus, PasswordEvidence, Visitor};
use spacelinks_core::rights::{best_access, Viewer};
use spacelinks_core::service::{Shared, SharedFile, SharedFolder, Unlockable};
use spacelinks_core::{Error, EventKind, File, Folder, Link, LinkEvent, Refusal};

use crate::app::AppState;
use crate::ctx::{header_str, Ctx, QueryMap};
use crate::dto::{file_dto, Seen};
use crate::webhooks;

/// How the caller reached a file.
pub enum FileAccess {
    Owner(File),
    Link {
        shared: Box<SharedFile>,
        token: String,
        authenticated: bool,
    },
    /// A signed-in user the owner shared the file with.
    Person {
        file: File,
        access: FileShare,
    },
}

impl FileAccess {
    pub fn file(&self) -> &File {
        match self {
            FileAccess::Owner(f) | FileAccess::Person { file: f, .. } => f,
            FileAccess::Link { shared, .. } => &shared.file,
        }
    }

    pub fn viewer(&self) -> Viewer {
        match self {
            FileAccess::Owner(_) => Viewer::Owner,
            FileAccess::Link { shared, authenticated, .. } => Viewer::Link {
                access: shared.link.access,
                deny_download: shared.link.deny_download,
                authenticated: *authenticated,
            },
            FileAccess::Person { access, .. } => Viewer::Person { access: *access },
        }
    }

    pub fn with_file(self, file: File) -> Self {
        match self {
            FileAccess::Owner(_) => FileAccess::Owner(file),
            FileAccess::Person { access, .. } => FileAccess::Person { file, access },
            FileAccess::Link { mut shared, token, authenticated } => {
                shared.file = file;
                FileAccess::Link { shared, token, authenticated }
            }
        }
    }

    pub fn dto(&self, state: &AppState, ctx: &Ctx) -> FileDto {
        let link = match self {
            FileAccess::Owner(_) | FileAccess::Person { .. } => None,
            FileAccess::Link { shared, token, .. } => Some((&shared.link, token.as_str())),
        };
        file_dto(state, self.file(), &Seen { viewer: self.viewer(), link, show_people: ctx.caller.user.is_some() })
    }
}

/// The share token of this request: `Request-Token` header, else `share`.
pub fn request_token(ctx: &Ctx, q: &QueryMap) -> Option<String> {
    header_str(&ctx.headers, "request-token")
        .or_else(|| q.get("share").map(str::to_string))
        .map(|t| t.split(',').next().unwrap_or("").trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The password proof for `link_id`: the `sharelink{id}` cookie, or a
/// header of the same name (DocSpace accepts both).
pub fn proof(ctx: &Ctx, link_id: &str) -> Option<String> {
    let name = format!("sharelink{link_id}");
    ctx.cookie(&name).or_else(|| header_str(&ctx.headers, &name))
}

/// The caller as the link rules see them: the client IP (`Ctx` applies the
/// trusted-proxy rules), signed in or not, the shared entry's owner or not.
pub fn visitor(ctx: &Ctx, shared: &impl Unlockable) -> Visitor {
    let user = ctx.caller.user.as_ref();
    Visitor { ip: ctx.ip, authenticated: user.is_some(), owner: user.is_some_and(|u| u.id == shared.owner_id()) }
}

/// The link's status for this visitor, with whatever password proof the
/// request carries.
pub fn visitor_status(state: &AppState, ctx: &Ctx, shared: &impl Unlockable) -> LinkStatus {
    let proof = proof(ctx, &shared.link().id);
    let evidence = proof.as_deref().map_or(PasswordEvidence::None, PasswordEvidence::Proof);
    state.svc.status(shared, &evidence, &visitor(ctx, shared))
}

/// Which link control (expiry, download limit, network) refuses this
/// visitor, if one does.
pub fn refusal(ctx: &Ctx, shared: &impl Unlockable) -> Option<Refusal> {
    spacelinks_core::links::refusal(shared.link(), &visitor(ctx, shared), now_micros())
}

/// The error for a visitor a link control refuses: an expired (or used-up)
/// link reads as any unreadable entry, a network refusal says so.
fn refused(r: Refusal, unreadable: Error) -> Error {
    match r {
        Refusal::Expired => unreadable,
        _ => Error::Forbidden(r.message().into()),
    }
}

/// The access check of every file route: 404 for a missing file; the owner
/// keeps full rights; otherwise a link to this file, or to a folder the file
/// lies in at any depth, that validates right now (not expired or used up,
/// the client inside its networks, not deleted, password proven, signed in if
/// internal); otherwise 403. A refusal by a link control is logged as a
/// `refused` event with its reason. A signed-in user the owner shared the
/// file with reaches it at that share's access; a link they bring is tried
/// first and the share is what remains when the link does not validate.
pub async fn file_access(state: &AppState, ctx: &Ctx, q: &QueryMap, file_id: i64) -> Result<FileAccess, Error> {
    let token = request_token(ctx, q);
    let mut person = None;
    if let Some(user) = &ctx.caller.user {
        let file = state.svc.store.file(file_id).await?.ok_or_else(Error::file_not_found)?;
        if file.owner.id == user.id {
            return Ok(FileAccess::Owner(file));
        }
        // Their own share and their groups' shares: the best one counts.
        let held = state.svc.store.person_accesses(file_id, &user.id).await?;
        let share = best_access(held.into_iter().filter_map(FileShare::from_i64));
        person = share.map(|access| FileAccess::Person { file, access });
    }
    match (person, token) {
        (Some(p), None) => Ok(p),
        (Some(p), Some(t)) => match link_access(state, ctx, file_id, Some(t)).await {
            Err(Error::Forbidden(_) | Error::NotFound(_)) => Ok(p),
            r => r,
        },
        (None, token) => link_access(state, ctx, file_id, token).await,
    }
}

/// The link half of `file_access`.
async fn link_access(state: &AppState, ctx: &Ctx, file_id: i64, token: Option<String>) -> Result<FileAccess, Error> {
    let shared = match &token {
        Some(t) => state.svc.shared(t).await?,
        None => None,
    };
    let shared = match shared {
        Some(Shared::File(s)) if s.file.id == file_id => Some(s),
        Some(Shared::Folder(f)) => match state.svc.store.file(file_id).await? {
            Some(file) => state.svc.file_in_shared_folder(&f, file).await?,
            None => None,
        },
        _ => None,
    };
    let Some(shared) = shared else {
        return Err(if state.svc.store.file(file_id).await?.is_some() {
            Error::cannot_read_file()
        } else {
            Error::file_not_found()
        });
    };
    let authenticated = ctx.caller.user.is_some();
    if let Some(r) = refusal(ctx, &shared) {
        state.events.record(event(&shared, ctx, EventKind::Refused(r)));
        return Err(refused(r, Error::cannot_read_file()));
    }
    if visitor_status(state, ctx, &shared) != LinkStatus::Ok {
        return Err(Error::cannot_read_file());
    }
    Ok(FileAccess::Link { shared: Box::new(shared), token: token.unwrap_or_default(), authenticated })
}

/// An access-log event of this request on the link.
pub fn event(shared: &SharedFile, ctx: &Ctx, kind: EventKind) -> LinkEvent {
    link_event(&shared.link, shared.file.id, ctx, kind)
}

/// An event of `link` about `file_id` (0: a folder link's folder as a whole).
pub fn link_event(link: &Link, file_id: i64, ctx: &Ctx, kind: EventKind) -> LinkEvent {
    LinkEvent {
        at: now_micros(),
        link_id: link.id.clone(),
        file_id,
        kind,
        ip: ctx.ip.to_string(),
        user_agent: ctx.user_agent.clone(),
        bytes: None,
    }
}

/// Logs a visit in the link's activity and, for a file, fires the link's
/// webhook for that kind if it has one (`link.opened`,
/// `link.passwordFailed`, `link.lockedOut`). `file` is `None` for a folder
/// link's folder as a whole. Every visit a person makes goes through here.
pub async fn log_visit(
    state: &AppState,
    ctx: &Ctx,
    link: &Link,
    file: Option<&File>,
    kind: EventKind,
    bytes: Option<i64>,
) {
    state.events.record(LinkEvent { bytes, ..link_event(link, file.map_or(0, |f| f.id), ctx, kind) });
    if let Some(file) = file {
        webhooks::link_kind(state, ctx, kind, link, file).await;
    }
}

impl FileAccess {
    /// Logs a visit when the file was reached through a link (the owner's
    /// own visits, and a person's it was shared with, are not the link's
    /// activity).
    pub async fn record(&self, state: &AppState, ctx: &Ctx, kind: EventKind, bytes: Option<i64>) {
        if let FileAccess::Link { shared, .. } = self {
            log_visit(state, ctx, &shared.link, Some(&shared.file), kind, bytes).await;
        }
    }
}

/// How the caller reached a folder.
pub enum FolderAccess {
    Owner(Folder),
    Link { shared: Box<SharedFolder>, token: String, authenticated: bool },
}

impl FolderAccess {
    pub fn folder(&self) -> &Folder {
        match self {
            FolderAccess::Owner(f) => f,
            FolderAccess::Link { shared, .. } => &shared.folder,
        }
    }

    pub fn viewer(&self) -> Viewer {
        match self {
            FolderAccess::Owner(_) => Viewer::Owner,
            FolderAccess::Link { shared, authenticated, .. } => Viewer::Link {
                access: shared.link.access,
                deny_download: shared.link.deny_download,
                authenticated: *authenticated,
            },
        }
    }

    /// The link and token a visitor came with; `None` for the owner.
    pub fn link(&self) -> Option<(&Link, &str)> {
        match self {
            FolderAccess::Owner(_) => None,
            FolderAccess::Link { shared, token, .. } => Some((&shared.link, token.as_str())),
        }
    }

    /// The top of what this caller may see: the link's folder, or the
    /// owner's My Documents (`None`).
    pub fn top(&self) -> Option<i64> {
        self.link().and_then(|(l, _)| l.entry.folder_id())
    }

    /// A file's access as this folder's visitor has it (the file must lie
    /// below the folder: check it with `Store::folder_within`).
    pub fn file_access(&self, file: File) -> FileAccess {
        match self {
            FolderAccess::Owner(_) => FileAccess::Owner(file),
            FolderAccess::Link { shared, token, authenticated } => FileAccess::Link {
                shared: Box::new(SharedFile { link: shared.link.clone(), file, password: shared.password.clone() }),
                token: token.clone(),
                authenticated: *authenticated,
            },
        }
    }

    /// Logs a visit of the folder as a whole (a listing, a zip) when it
    /// was reached through a link.
    pub fn record(&self, state: &AppState, ctx: &Ctx, kind: EventKind, bytes: Option<i64>) {
        if let Some((link, _)) = self.link() {
            state.events.record(LinkEvent { bytes, ..link_event(link, 0, ctx, kind) });
        }
    }
}

/// "You don't have enough permission to view the folder content", as
/// DocSpace refuses a folder's listing.
pub fn cannot_read_folder() -> Error {
    Error::Forbidden("You don't have enough permission to view the folder content".into())
}

/// The access check of every folder route, as `file_access` for files: the
/// owner; otherwise a folder link to this folder or one above it that
/// validates right now; otherwise 403. A missing folder is 404 for signed-in
/// callers and 403 for anonymous ones (DocSpace turns it into a security
/// error for them, so a visitor cannot probe ids).
pub async fn folder_access(state: &AppState, ctx: &Ctx, q: &QueryMap, folder_id: i64) -> Result<FolderAccess, Error> {
    let token = request_token(ctx, q);
    let folder = state.svc.store.folder(folder_id).await?;
    if let Some(user) = &ctx.caller.user {
        let folder = folder.clone().ok_or_else(Error::folder_not_found)?;
        if folder.owner.id == user.id {
            return Ok(FolderAccess::Owner(folder));
        }
    }
    let shared = match (&token, folder) {
        (Some(t), Some(folder)) => match state.svc.shared(t).await? {
            Some(Shared::Folder(f)) => state.svc.folder_in_shared_folder(&f, folder).await?,
            _ => None,
        },
        _ => None,
    };
    let Some(shared) = shared else { return Err(cannot_read_folder()) };
    if let Some(r) = refusal(ctx, &shared) {
        state.events.record(link_event(&shared.link, 0, ctx, EventKind::Refused(r)));
        return Err(refused(r, cannot_read_folder()));
    }
    if visitor_status(state, ctx, &shared) != LinkStatus::Ok {
        return Err(cannot_read_folder());
    }
    let authenticated = ctx.caller.user.is_some();
    Ok(FolderAccess::Link { shared: Box::new(shared), token: token.unwrap_or_default(), authenticated })
}
