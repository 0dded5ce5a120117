//! The recipient's API: resolving a share token, applying a link password,
//! and the one access check every file route uses.

use crate::openapi as doc;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::dto::{ExternalShareDto, FileDto};
use spacelinks_core::links::{LinkStatus, PasswordEvidence};
use spacelinks_core::rights::Viewer;
use spacelinks_core::service::SharedFile;
use spacelinks_core::{Error, File, LinkEvent};

use crate::app::AppState;
use crate::ctx::{header_str, Body, Ctx, QueryMap};
use crate::dto::{file_dto, Seen};
use crate::error::ApiResult;

const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

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

/// The link's status for this visitor, with whatever password proof the
/// request carries.
pub fn visitor_status(state: &AppState, ctx: &Ctx, shared: &SharedFile) -> LinkStatus {
    let proof = proof(ctx, &shared.link.id);
    let evidence = proof.as_deref().map_or(PasswordEvidence::None, PasswordEvidence::Proof);
    state.svc.status(shared, &evidence, ctx.caller.user.is_some())
}

/// The access check of every file route: 404 for a missing file; the owner
/// keeps full rights; otherwise a link to this file that validates right now
/// (not expired, not deleted, password proven, signed in if internal);
/// otherwise 403.
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
    if visitor_status(state, ctx, &shared) != LinkStatus::Ok {
        return Err(Error::cannot_read_file());
    }
    Ok(FileAccess::Link { shared: Box::new(shared), token: token.unwrap_or_default(), authenticated })
}

fn share_dto(status: LinkStatus, shared: Option<&SharedFile>, authenticated: bool) -> ExternalShareDto {
    // Like DocSpace: the entry is named only when it is Ok or needs a
    // password; the link id and tenant only when Ok.
    let named = matches!(status, LinkStatus::Ok | LinkStatus::RequiredPassword).then_some(shared).flatten();
    let ok = status == LinkStatus::Ok;
    ExternalShareDto {
        status: status as i64,
        id: named.map(|s| s.file.id.to_string()),
        title: named.map(|s| s.file.title.clone()),
        kind: named.map(|_| 2),
        tenant_id: if ok { 1 } else { 0 },
        shared: ok && authenticated,
        link_id: named.filter(|_| ok).map_or(NIL_GUID.to_string(), |s| s.link.id.clone()),
        is_authenticated: authenticated,
        is_room_member: false,
    }
}

pub fn event(shared: &SharedFile, ctx: &Ctx, kind: &'static str) -> LinkEvent {
    LinkEvent {
        at: now_micros(),
        link_id: shared.link.id.clone(),
        file_id: shared.file.id,
        kind,
        ip: ctx.ip.to_string(),
        user_agent: ctx.user_agent.clone(),
    }
}

/// `GET files/share/{key}`: always 200; the outcome is in `status`.
#[utoipa::path(
    get, path = "/api/2.0/files/share/{key}", tag = "share", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("key" = String, Path, description = "The share token")),
    responses((status = 200, description = "The link as the visitor sees it; the outcome is in `status` (0 Ok, 1 Invalid, 2 Expired, 3 RequiredPassword, 4 InvalidPassword, 5 ExternalAccessDenied)", body = doc::Envelope<doc::ExternalShareDto>))
)]
pub async fn resolve_share(State(state): State<AppState>, ctx: Ctx, Path(key): Path<String>) -> ApiResult {
    let authenticated = ctx.caller.user.is_some();
    let Some(shared) = state.svc.shared_file(&key).await? else {
        return ctx.ok(share_dto(LinkStatus::Invalid, None, authenticated));
    };
    let status = visitor_status(&state, &ctx, &shared);
    state.events.record(event(&shared, &ctx, "opened"));
    ctx.ok(share_dto(status, Some(&shared), authenticated))
}

/// `POST files/share/{key}/password` `{"password"}`: on success sets the
/// `sharelink{linkId}` proof cookie. Wrong passwords are limited per link
/// and client IP; past the limit the answer is 429 with `Retry-After`.
#[utoipa::path(
    post, path = "/api/2.0/files/share/{key}/password", tag = "share", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("key" = String, Path, description = "The share token")),
    request_body = doc::SharePasswordRequest,
    responses((status = 200, description = "The link as the visitor sees it; the outcome is in `status` (0 Ok, 1 Invalid, 2 Expired, 3 RequiredPassword, 4 InvalidPassword, 5 ExternalAccessDenied)", body = doc::Envelope<doc::ExternalShareDto>), doc::BadRequest, doc::TooLarge, doc::TooMany)
)]
pub async fn apply_share_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let authenticated = ctx.caller.user.is_some();
    let password = body.string("password")?.value().unwrap_or_default();
    let Some(shared) = state.svc.shared_file(&key).await? else {
        return ctx.ok(share_dto(LinkStatus::Invalid, None, authenticated));
    };
    let proof = proof(&ctx, &shared.link.id);
    let status = match state.svc.try_password(&shared, &password, proof.as_deref(), ctx.ip, authenticated).await {
        Err(e @ Error::TooManyAttempts { .. }) => {
            state.events.record(event(&shared, &ctx, "locked_out"));
            return Err(e.into());
        }
        other => other?,
    };
    let kind = match status {
        LinkStatus::Ok => "password_ok",
        LinkStatus::InvalidPassword => "password_failed",
        _ => "opened",
    };
    state.events.record(event(&shared, &ctx, kind));
    let mut res = ctx.ok(share_dto(status, Some(&shared), authenticated))?;
    if status == LinkStatus::Ok && shared.password.is_some() {
        let cookie = proof_cookie(&state, &ctx, &shared, &password);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// `sharelink{linkId}=<proof>`: HttpOnly, SameSite=Lax (so the link still
/// works when opened again from a mail client), Secure behind https.
pub fn proof_cookie(state: &AppState, ctx: &Ctx, shared: &SharedFile, password: &str) -> String {
    let value = state.svc.secrets.password_proof(&shared.link.id, password);
    let secure = if ctx.secure { "; Secure" } else { "" };
    format!("sharelink{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}", shared.link.id)
}
