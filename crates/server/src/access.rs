//! Who may reach a file, and how: the one access check of every file route
//! (API, downloads, the share page), the share token and password proof a
//! request carries, the link's status for this visitor, and the event a
//! visit records. Link controls and folder links extend this module.

use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::FileDto;
use spacelinks_core::links::{LinkStatus, PasswordEvidence, Visitor};
use spacelinks_core::rights::Viewer;
use spacelinks_core::service::SharedFile;
use spacelinks_core::{Error, EventKind, File, LinkEvent, Refusal};

use crate::app::AppState;
use crate::ctx::{header_str, Ctx, QueryMap};
use crate::dto::{file_dto, Seen};
use crate::webhooks;

/// How the caller reached a file.
pub enum FileAccess {
    Owner(File),
    Link { shared: Box<SharedFile>, token: String, authenticated: bool },
}

impl FileAccess {
    pub fn file(&self) -> &File {
        match self {
            FileAccess::Owner(f) => f,
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
        }
    }

    pub fn with_file(self, file: File) -> Self {
        match self {
            FileAccess::Owner(_) => FileAccess::Owner(file),
            FileAccess::Link { mut shared, token, authenticated } => {
                shared.file = file;
                FileAccess::Link { shared, token, authenticated }
            }
        }
    }

    pub fn dto(&self, state: &AppState, ctx: &Ctx) -> FileDto {
        let link = match self {
            FileAccess::Owner(_) => None,
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
/// trusted-proxy rules), signed in or not, the file's owner or not.
pub fn visitor(ctx: &Ctx, file: &File) -> Visitor {
    let user = ctx.caller.user.as_ref();
    Visitor { ip: ctx.ip, authenticated: user.is_some(), owner: user.is_some_and(|u| u.id == file.owner.id) }
}

/// The link's status for this visitor, with whatever password proof the
/// request carries.
pub fn visitor_status(state: &AppState, ctx: &Ctx, shared: &SharedFile) -> LinkStatus {
    let proof = proof(ctx, &shared.link.id);
    let evidence = proof.as_deref().map_or(PasswordEvidence::None, PasswordEvidence::Proof);
    state.svc.status(shared, &evidence, &visitor(ctx, &shared.file))
}

/// Which link control (expiry, download limit, network) refuses this
/// visitor, if one does.
pub fn refusal(ctx: &Ctx, shared: &SharedFile) -> Option<Refusal> {
    spacelinks_core::links::refusal(&shared.link, &visitor(ctx, &shared.file), now_micros())
}

/// The access check of every file route: 404 for a missing file; the owner
/// keeps full rights; otherwise a link to this file that validates right now
/// (not expired or used up, the client inside its networks, not deleted,
/// password proven, signed in if internal); otherwise 403. A refusal by a
/// link control is logged as a `refused` event with its reason.
pub async fn file_access(state: &AppState, ctx: &Ctx, q: &QueryMap, file_id: i64) -> Result<FileAccess, Error> {
    let token = request_token(ctx, q);
    if let Some(user) = &ctx.caller.user {
        let file = state.svc.store.file(file_id).await?.ok_or_else(Error::file_not_found)?;
        if file.owner.id == user.id {
            return Ok(FileAccess::Owner(file));
        }
    }
    let shared = match &token {
        Some(t) => state.svc.shared_file(t).await?,
        None => None,
    };
    let Some(shared) = shared.filter(|s| s.file.id == file_id) else {
        return Err(if state.svc.store.file(file_id).await?.is_some() {
            Error::cannot_read_file()
        } else {
            Error::file_not_found()
        });
    };
    let authenticated = ctx.caller.user.is_some();
    if let Some(r) = refusal(ctx, &shared) {
        state.events.record(event(&shared, ctx, EventKind::Refused(r)));
        return Err(match r {
            Refusal::Expired => Error::cannot_read_file(),
            _ => Error::Forbidden(r.message().into()),
        });
    }
    if visitor_status(state, ctx, &shared) != LinkStatus::Ok {
        return Err(Error::cannot_read_file());
    }
    Ok(FileAccess::Link { shared: Box::new(shared), token: token.unwrap_or_default(), authenticated })
}

/// An access-log event of this request on the link.
pub fn event(shared: &SharedFile, ctx: &Ctx, kind: EventKind) -> LinkEvent {
    LinkEvent {
        at: now_micros(),
        link_id: shared.link.id.clone(),
        file_id: shared.file.id,
        kind,
        ip: ctx.ip.to_string(),
        user_agent: ctx.user_agent.clone(),
        bytes: None,
    }
}

/// Logs a visit in the link's activity and fires the link's webhook for
/// that kind, if it has one (`link.opened`, `link.passwordFailed`,
/// `link.lockedOut`). Every visit a person makes goes through here.
pub async fn log_visit(state: &AppState, ctx: &Ctx, shared: &SharedFile, kind: EventKind, bytes: Option<i64>) {
    state.events.record(LinkEvent { bytes, ..event(shared, ctx, kind) });
    webhooks::link_kind(state, ctx, kind, &shared.link, &shared.file).await;
}

impl FileAccess {
    /// Logs a visit when the file was reached through a link (the owner's
    /// own visits are not the link's activity).
    pub async fn record(&self, state: &AppState, ctx: &Ctx, kind: EventKind, bytes: Option<i64>) {
        if let FileAccess::Link { shared, .. } = self {
            log_visit(state, ctx, shared, kind, bytes).await;
        }
    }
}
