//! The recipient's API: resolving a share token and applying a link
//! password. The access check itself lives in `crate::access`.

use crate::openapi as doc;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use spacelinks_api_types::dto::ExternalShareDto;
use spacelinks_core::links::LinkStatus;
use spacelinks_core::service::{Shared, Unlockable};
use spacelinks_core::{Error, EventKind, Link};

use crate::access::{log_visit, proof, refusal, visitor, visitor_status};
use crate::app::AppState;
use crate::ctx::{Body, Ctx};
use crate::error::ApiResult;

const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// The entry a share key leads to: (id, title, `type`: 1 folder, 2 file).
fn entry_of(shared: &Shared) -> (i64, &str, i64) {
    match shared {
        Shared::File(s) => (s.file.id, &s.file.title, 2),
        Shared::Folder(s) => (s.folder.id, &s.folder.title, 1),
    }
}

fn share_dto(status: LinkStatus, shared: Option<&Shared>, authenticated: bool) -> ExternalShareDto {
    // Like DocSpace: the entry is named only when it is Ok or needs a
    // password; the link id and tenant only when Ok.
    let named = matches!(status, LinkStatus::Ok | LinkStatus::RequiredPassword).then_some(shared).flatten();
    let ok = status == LinkStatus::Ok;
    ExternalShareDto {
        status: status as i64,
        id: named.map(|s| entry_of(s).0.to_string()),
        title: named.map(|s| entry_of(s).1.to_string()),
        kind: named.map(|s| entry_of(s).2),
        tenant_id: if ok { 1 } else { 0 },
        shared: ok && authenticated,
        link_id: named.filter(|_| ok).map_or(NIL_GUID.to_string(), |s| s.link().id.clone()),
        is_authenticated: authenticated,
        is_room_member: false,
    }
}

/// Logs a visit of a share key: about a file link's file, or a folder
/// link's folder as a whole.
async fn log(state: &AppState, ctx: &Ctx, shared: &Shared, kind: EventKind) {
    let file = match shared {
        Shared::File(s) => Some(&s.file),
        Shared::Folder(_) => None,
    };
    log_visit(state, ctx, shared.link(), file, kind, None).await;
}

/// `GET files/share/{key}`: always 200; the outcome is in `status`. A
/// folder link answers `type: 1` and the folder's id and title.
#[utoipa::path(
    get, path = "/api/2.0/files/share/{key}", tag = "share", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("key" = String, Path, description = "The share token")),
    responses((status = 200, description = "The link as the visitor sees it; the outcome is in `status` (0 Ok, 1 Invalid, 2 Expired, 3 RequiredPassword, 4 InvalidPassword, 5 ExternalAccessDenied)", body = doc::Envelope<doc::ExternalShareDto>))
)]
pub async fn resolve_share(State(state): State<AppState>, ctx: Ctx, Path(key): Path<String>) -> ApiResult {
    let authenticated = ctx.caller.user.is_some();
    let Some(shared) = state.svc.shared(&key).await? else {
        return ctx.ok(share_dto(LinkStatus::Invalid, None, authenticated));
    };
    let status = visitor_status(&state, &ctx, &shared);
    // A visit a link control turns away is logged as such, with the reason.
    let kind = refusal(&ctx, &shared).map_or(EventKind::Opened, EventKind::Refused);
    log(&state, &ctx, &shared, kind).await;
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
    let Some(shared) = state.svc.shared(&key).await? else {
        return ctx.ok(share_dto(LinkStatus::Invalid, None, authenticated));
    };
    let proof = proof(&ctx, &shared.link().id);
    let who = visitor(&ctx, &shared);
    let status = match state.svc.try_password(&shared, &password, proof.as_deref(), &who).await {
        Err(e @ Error::TooManyAttempts { .. }) => {
            log(&state, &ctx, &shared, EventKind::LockedOut).await;
            return Err(e.into());
        }
        other => other?,
    };
    let kind = match (status, refusal(&ctx, &shared)) {
        (_, Some(r)) => EventKind::Refused(r),
        (LinkStatus::Ok, _) => EventKind::PasswordAccepted,
        (LinkStatus::InvalidPassword, _) => EventKind::PasswordFailed,
        _ => EventKind::Opened,
    };
    log(&state, &ctx, &shared, kind).await;
    let mut res = ctx.ok(share_dto(status, Some(&shared), authenticated))?;
    if status == LinkStatus::Ok && shared.password().is_some() {
        let cookie = proof_cookie(&state, &ctx, shared.link(), &password);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// `sharelink{linkId}=<proof>`: HttpOnly, SameSite=Lax (so the link still
/// works when opened again from a mail client), Secure behind https. For a
/// folder link, this one proof unlocks everything below the folder.
pub fn proof_cookie(state: &AppState, ctx: &Ctx, link: &Link, password: &str) -> String {
    let value = state.svc.secrets.password_proof(&link.id, password);
    let secure = if ctx.secure { "; Secure" } else { "" };
    format!("sharelink{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}", link.id)
}
