//! The share page a link recipient opens in a browser, its password form,
//! the short-link redirect and the page's stylesheet.

use crate::openapi as doc;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use spacelinks_core::links::LinkStatus;
use spacelinks_core::service::SharedFile;
use spacelinks_core::{Error, EventKind, File, Refusal};

use crate::access::{file_access, log_visit, proof, refusal, request_token, visitor, visitor_status, FileAccess};
use crate::app::AppState;
use crate::ctx::{parse_id, Ctx, QueryMap};
use crate::download::{inline_safe, mime_of};
use crate::dto::{human_size, urlencode};
use crate::error::{ApiError, ApiResult};
use crate::routes::share::proof_cookie;

const TEXT_PREVIEW_BYTES: u64 = 64 * 1024;

pub enum Preview {
    Image,
    Video,
    Audio,
    Pdf,
    Text(String),
    None,
}

pub struct FileInfo {
    title: String,
    size: String,
    kind: String,
}

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    /// `ok`, `password`, `expired` (also used up), `network`, `invalid`, `signin`, `locked`.
    state: &'static str,
    heading: String,
    message: String,
    link_title: String,
    file: Option<FileInfo>,
    file_id: i64,
    token: String,
    /// The share page itself (`/doceditor?fileid=&share=`), for "Try again".
    page_url: String,
    preview: Preview,
    view_url: String,
    download_url: String,
    upload_action: String,
    can_download: bool,
    can_edit: bool,
}

impl SharePage {
    fn bare(state: &'static str, heading: &str, message: &str) -> Self {
        SharePage {
            state,
            heading: heading.into(),
            message: message.into(),
            link_title: String::new(),
            file: None,
            file_id: 0,
            token: String::new(),
            page_url: String::new(),
            preview: Preview::None,
            view_url: String::new(),
            download_url: String::new(),
            upload_action: String::new(),
            can_download: false,
            can_edit: false,
        }
    }

    fn for_file(state: &'static str, file: &File, link_title: &str, token: &str) -> Self {
        let mut page = Self::bare(state, &file.title, "");
        page.link_title = link_title.into();
        page.file = Some(FileInfo { title: file.title.clone(), size: human_size(file.size), kind: file.kind_label() });
        page.file_id = file.id;
        page.token = token.into();
        page.page_url = format!("/doceditor?fileid={}&share={}", file.id, urlencode(token));
        page
    }

    fn invalid() -> Response {
        Self::bare(
            "invalid",
            "This link is not valid",
            "The link was deleted, mistyped or never existed. Ask the person who shared it for a new one.",
        )
        .respond(StatusCode::NOT_FOUND)
    }

    fn respond(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => with_page_headers((status, html).into_response()),
            Err(e) => ApiError(Error::internal(e)).into_response(),
        }
    }
}

/// Pages shown to link visitors leak nothing through referrers or caches
/// and cannot be framed; they run no scripts at all.
fn with_page_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; frame-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    res
}

/// `GET /s/{code}` → 302 to the share page of the link.
#[utoipa::path(
    get, path = "/s/{code}", tag = "pages", security(()),
    params(("code" = String, Path, description = "The link's short code")),
    responses(
        (status = 302, description = "To the share page", headers(("Location" = String))),
        doc::BadRequest,
        (status = 404, description = "No such link (a page)", content_type = "text/html", body = String),
    )
)]
pub async fn short_link(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult {
    let Some(link) = state.svc.store.link_by_code(&code).await? else { return Ok(SharePage::invalid()) };
    let token = state.svc.share_token(&link);
    // 302, as DocSpace's short links answer.
    let location = format!("/doceditor?fileid={}&share={token}", link.file_id);
    let mut res = StatusCode::FOUND.into_response();
    let h = res.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_str(&location).map_err(Error::internal)?);
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /share/preview/{id}?share=` is where DocSpace sends images and media.
#[utoipa::path(
    get, path = "/share/preview/{file_id}", tag = "pages", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("file_id" = i64, Path, description = "File id"), doc::ShareQuery),
    responses(
        (status = 200, description = "The share page: preview and download, or the password form", content_type = "text/html", body = String),
        doc::BadRequest,
        (status = 403, description = "The link is for signed-in members only, or not for the client's network (a page)", content_type = "text/html", body = String),
        (status = 404, description = "No valid link for this file (a page)", content_type = "text/html", body = String),
        (status = 410, description = "The link has expired or is used up (a page)", content_type = "text/html", body = String),
    )
)]
pub async fn share_preview(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, q: QueryMap) -> ApiResult {
    let id = parse_id(&id, Error::file_not_found).unwrap_or(0);
    render(&state, &ctx, &q, id, "").await
}

/// `GET /doceditor?fileid=ID&share=TOKEN`: the share page.
#[utoipa::path(
    get, path = "/doceditor", tag = "pages", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(doc::PageQuery),
    responses(
        (status = 200, description = "The share page: preview and download, or the password form", content_type = "text/html", body = String),
        doc::BadRequest,
        (status = 403, description = "The link is for signed-in members only, or not for the client's network (a page)", content_type = "text/html", body = String),
        (status = 404, description = "No valid link for this file (a page)", content_type = "text/html", body = String),
        (status = 410, description = "The link has expired or is used up (a page)", content_type = "text/html", body = String),
    )
)]
pub async fn share_page(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let id = q.get("fileid").and_then(|v| v.parse().ok()).unwrap_or(0);
    render(&state, &ctx, &q, id, "").await
}

async fn render(state: &AppState, ctx: &Ctx, q: &QueryMap, file_id: i64, message: &str) -> ApiResult {
    let token = request_token(ctx, q).unwrap_or_default();
    match file_access(state, ctx, q, file_id).await {
        Ok(access) => {
            access.record(state, ctx, EventKind::Opened, None).await;
            ok_page(state, &access, &token, message).await
        }
        Err(Error::Forbidden(_)) | Err(Error::NotFound(_)) => refusal_page(state, ctx, &token, file_id, message).await,
        Err(e) => Err(e.into()),
    }
}

async fn ok_page(state: &AppState, access: &FileAccess, token: &str, message: &str) -> ApiResult {
    let file = access.file();
    let link_title = match access {
        FileAccess::Link { shared, .. } => shared.link.title.clone(),
        FileAccess::Owner(_) => "Your file".into(),
    };
    let mut page = SharePage::for_file("ok", file, &link_title, token);
    page.message = message.into();
    let share_q = if token.is_empty() { String::new() } else { format!("&share={}", urlencode(token)) };
    page.view_url = format!("/filehandler.ashx?action=view&fileid={}{share_q}", file.id);
    page.download_url = format!("/filehandler.ashx?action=download&fileid={}{share_q}", file.id);
    page.upload_action = format!("/share/upload?fileid={}{share_q}", file.id);
    page.can_download = access.viewer().can("Download");
    page.can_edit = access.viewer().can("Edit");
    page.preview = preview_of(state, file).await?;
    Ok(page.respond(StatusCode::OK))
}

pub(crate) async fn preview_of(state: &AppState, file: &File) -> Result<Preview, Error> {
    let mime = mime_of(&file.title);
    if !inline_safe(&mime) {
        return Ok(Preview::None);
    }
    Ok(match mime.split('/').next().unwrap_or("") {
        "image" => Preview::Image,
        "video" => Preview::Video,
        "audio" => Preview::Audio,
        _ if mime == "application/pdf" => Preview::Pdf,
        // A blob that cannot be read (replaced by a concurrent new version,
        // lost) costs the preview, not the page: this is an HTML route and
        // must not answer with a JSON error.
        _ => match state.blobs.head_bytes(&file.blob_key, file.size as u64, TEXT_PREVIEW_BYTES).await {
            Ok(bytes) => Preview::Text(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => {
                tracing::warn!(file_id = file.id, error = %e, "cannot read the file for its preview");
                Preview::None
            }
        },
    })
}

/// Why the visitor cannot see the file, as a page. The link is judged again
/// here so the page can say what to do (type a password, sign in…).
async fn refusal_page(state: &AppState, ctx: &Ctx, token: &str, file_id: i64, message: &str) -> ApiResult {
    let Some(shared) = state.svc.shared_file(token).await?.filter(|s| s.file.id == file_id) else {
        return Ok(SharePage::invalid());
    };
    let status = visitor_status(state, ctx, &shared);
    Ok(match (status, refusal(ctx, &shared)) {
        (_, Some(Refusal::UsedUp)) => SharePage::bare(
            "expired",
            "This link has been used up",
            "It allowed a set number of downloads, and all of them have been made. Ask the person who shared it for a new link.",
        )
        .respond(StatusCode::GONE),
        (_, Some(Refusal::Network)) => SharePage::bare(
            "network",
            "This link cannot be opened from here",
            "The person who shared it allows it only from certain networks.",
        )
        .respond(StatusCode::FORBIDDEN),
        (LinkStatus::Expired, _) => {
            SharePage::bare("expired", "This link has expired", "Ask the person who shared it for a new link.")
                .respond(StatusCode::GONE)
        }
        (LinkStatus::ExternalAccessDenied, _) => SharePage::bare(
            "signin",
            "Sign in to open this link",
            "This link works only for signed-in members of this portal.",
        )
        .respond(StatusCode::FORBIDDEN),
        (LinkStatus::RequiredPassword | LinkStatus::InvalidPassword, _) => {
            // A visit that stops at the password form is an open too, as
            // `GET files/share/{key}` counts it (one per client and minute).
            log_visit(state, ctx, &shared, EventKind::Opened, None).await;
            password_page(&shared, token, message, StatusCode::OK)
        }
        (LinkStatus::Ok | LinkStatus::Invalid, _) => SharePage::invalid(),
    })
}

fn password_page(shared: &SharedFile, token: &str, message: &str, status: StatusCode) -> Response {
    let mut page = SharePage::for_file("password", &shared.file, &shared.link.title, token);
    page.message = message.into();
    page.respond(status)
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    share: String,
    #[serde(default)]
    fileid: String,
    #[serde(default)]
    password: String,
}

/// The password form: a correct password sets the proof cookie and returns
/// to the page (303, so a reload does not resend the password); a wrong one
/// shows the form again with an error; past the limit, a lockout page.
#[utoipa::path(
    post, path = "/share/password", tag = "pages", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    request_body(content = doc::SharePasswordForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Correct: back to the share page, with the password proof cookie", headers(("Location" = String))),
        (status = 200, description = "Wrong password: the form again", content_type = "text/html", body = String),
        doc::BadRequest,
        (status = 403, description = "The link is for signed-in members only, or not for the client's network (a page)", content_type = "text/html", body = String),
        (status = 404, description = "No valid link for this file (a page)", content_type = "text/html", body = String),
        (status = 410, description = "The link has expired or is used up (a page)", content_type = "text/html", body = String),
        doc::TooLarge,
        (status = 415, description = "Not a form", body = doc::ErrorBody),
        (status = 422, description = "The form cannot be read", body = doc::ErrorBody),
        (status = 429, description = "Too many wrong passwords (a page)", content_type = "text/html", body = String, headers(("Retry-After" = u64))),
    )
)]
pub async fn submit_password(State(state): State<AppState>, ctx: Ctx, Form(form): Form<PasswordForm>) -> ApiResult {
    let file_id = form.fileid.parse().unwrap_or(0);
    let Some(shared) = state.svc.shared_file(&form.share).await?.filter(|s| s.file.id == file_id) else {
        return Ok(SharePage::invalid());
    };
    let proof = proof(&ctx, &shared.link.id);
    let who = visitor(&ctx, &shared.file);
    let status = match state.svc.try_password(&shared, &form.password, proof.as_deref(), &who).await {
        Ok(s) => s,
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            log_visit(&state, &ctx, &shared, EventKind::LockedOut, None).await;
            let mut page = SharePage::for_file("locked", &shared.file, &shared.link.title, &form.share);
            page.message = format!("Too many wrong passwords. Please wait {retry_after_secs} seconds and try again.");
            let mut res = page.respond(StatusCode::TOO_MANY_REQUESTS);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let kind = match (status, refusal(&ctx, &shared)) {
        (_, Some(r)) => EventKind::Refused(r),
        (LinkStatus::Ok, _) => EventKind::PasswordAccepted,
        (LinkStatus::InvalidPassword, _) => EventKind::PasswordFailed,
        _ => EventKind::Opened,
    };
    log_visit(&state, &ctx, &shared, kind, None).await;
    match status {
        LinkStatus::Ok => {
            let mut res =
                Redirect::to(&format!("/doceditor?fileid={file_id}&share={}", urlencode(&form.share))).into_response();
            if shared.password.is_some() {
                if let Ok(v) = HeaderValue::from_str(&proof_cookie(&state, &ctx, &shared, &form.password)) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(with_page_headers(res))
        }
        LinkStatus::InvalidPassword | LinkStatus::RequiredPassword => {
            Ok(password_page(&shared, &form.share, "That password is not correct. Try again.", StatusCode::OK))
        }
        _ => refusal_page(&state, &ctx, &form.share, file_id, "").await,
    }
}

/// The share page's upload form for links with Editing access.
#[utoipa::path(
    post, path = "/share/upload", tag = "pages", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(("fileid" = i64, Query, description = "File id"), doc::ShareQuery),
    request_body(content = inline(doc::UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 303, description = "Uploaded: back to the share page", headers(("Location" = String))),
        doc::BadRequest, doc::Forbidden, doc::NotFound, doc::TooLarge,
    )
)]
pub async fn upload_version(State(state): State<AppState>, ctx: Ctx, q: QueryMap, multipart: Multipart) -> ApiResult {
    let file_id = parse_id(q.get("fileid").unwrap_or(""), Error::file_not_found)?;
    crate::routes::files::new_version(&state, &ctx, &q, file_id, multipart).await?;
    let token = request_token(&ctx, &q).map(|t| format!("&share={}", urlencode(&t))).unwrap_or_default();
    Ok(with_page_headers(Redirect::to(&format!("/doceditor?fileid={file_id}{token}")).into_response()))
}

#[utoipa::path(
    get, path = "/static/share.css", tag = "pages", security(()),
    responses((status = 200, description = "The share page's stylesheet", content_type = "text/css", body = String))
)]
pub async fn stylesheet() -> Response {
    let mut res = include_str!("../../static/share.css").into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}
