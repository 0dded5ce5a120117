//! The share page a link recipient opens in a browser (a file's, or a
//! shared folder's listing), its password form, the short-link redirect and
//! the page's stylesheet.

use crate::openapi as doc;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use spacelinks_core::links::LinkStatus;
use spacelinks_core::service::{Shared, SharedFile, SharedFolder, Unlockable};
use spacelinks_core::{Error, EventKind, File, Folder, Link, Refusal};

use crate::access::{
    file_access, folder_access, log_visit, proof, refusal, request_token, visitor, visitor_status, FileAccess,
    FolderAccess,
};
use crate::app::AppState;
use crate::ctx::{parse_id, Ctx, QueryMap};
use crate::download::{inline_safe, mime_of};
use crate::dto::{human_size, urlencode};
use crate::error::{ApiError, ApiResult};
use crate::routes::files::path_parts;
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
    /// The folder whose password form this is (a folder link's page).
    folder_id: i64,
    /// Back to the folder a file was opened from (a folder link), or empty.
    back_url: String,
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
            folder_id: 0,
            back_url: String::new(),
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

    fn for_folder(state: &'static str, folder: &Folder, link_title: &str, token: &str) -> Self {
        let mut page = Self::bare(state, &folder.title, "");
        page.link_title = link_title.into();
        page.folder_id = folder.id;
        page.token = token.into();
        page.page_url = folder_url(token, folder.id);
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
    // 302, as DocSpace's short links answer; a folder link opens the
    // folder's page at DocSpace's long URL.
    let location = match link.entry {
        spacelinks_core::Entry::File(id) => format!("/doceditor?fileid={id}&share={token}"),
        spacelinks_core::Entry::Folder(id) => folder_url(&token, id),
    };
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
        FileAccess::Person { file, .. } => format!("Shared by {}", file.owner.display_name),
    };
    let mut page = SharePage::for_file("ok", file, &link_title, token);
    page.message = message.into();
    if let FileAccess::Link { shared, .. } = access {
        if shared.link.entry.is_folder() {
            page.back_url = folder_url(token, file.folder_id);
        }
    }
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
    let Some(shared) = shared_file_for(state, token, file_id).await? else { return Ok(SharePage::invalid()) };
    let status = visitor_status(state, ctx, &shared);
    Ok(match closed_page(status, refusal(ctx, &shared)) {
        Some(page) => page,
        None => {
            // A visit that stops at the password form is an open too, as
            // `GET files/share/{key}` counts it (one per client and minute).
            log_visit(state, ctx, &shared.link, Some(&shared.file), EventKind::Opened, None).await;
            password_page(&shared, token, message, StatusCode::OK)
        }
    })
}

/// The file behind a token: the file link's own file, or a file below a
/// folder link's folder.
async fn shared_file_for(state: &AppState, token: &str, file_id: i64) -> Result<Option<SharedFile>, Error> {
    Ok(match state.svc.shared(token).await? {
        Some(Shared::File(s)) if s.file.id == file_id => Some(s),
        Some(Shared::Folder(f)) => match state.svc.store.file(file_id).await? {
            Some(file) => state.svc.file_in_shared_folder(&f, file).await?,
            None => None,
        },
        _ => None,
    })
}

/// The folder behind a folder link's token: its folder or one below it.
async fn shared_folder_for(state: &AppState, token: &str, folder_id: i64) -> Result<Option<SharedFolder>, Error> {
    Ok(match state.svc.shared(token).await? {
        Some(Shared::Folder(f)) => match state.svc.store.folder(folder_id).await? {
            Some(folder) => state.svc.folder_in_shared_folder(&f, folder).await?,
            None => None,
        },
        _ => None,
    })
}

/// The page for a link that does not open: `None` when it wants a password.
/// A link control's refusal says which control refused.
fn closed_page(status: LinkStatus, refusal: Option<Refusal>) -> Option<Response> {
    Some(match (status, refusal) {
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
        (LinkStatus::RequiredPassword | LinkStatus::InvalidPassword, _) => return None,
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
    folderid: String,
    #[serde(default)]
    password: String,
}

/// What a password form unlocks: a file (a file link's, or one below a
/// folder link's folder) or a folder below a folder link's folder.
enum Target {
    File(SharedFile),
    Folder(SharedFolder),
}

impl Unlockable for Target {
    fn link(&self) -> &Link {
        match self {
            Target::File(s) => &s.link,
            Target::Folder(s) => &s.link,
        }
    }
    fn password(&self) -> Option<&str> {
        match self {
            Target::File(s) => s.password(),
            Target::Folder(s) => s.password(),
        }
    }
    fn owner_id(&self) -> &str {
        match self {
            Target::File(s) => s.owner_id(),
            Target::Folder(s) => s.owner_id(),
        }
    }
}

impl Target {
    fn page(&self, state: &'static str, token: &str) -> SharePage {
        match self {
            Target::File(s) => SharePage::for_file(state, &s.file, &s.link.title, token),
            Target::Folder(s) => SharePage::for_folder(state, &s.folder, &s.link.title, token),
        }
    }
    fn url(&self, token: &str) -> String {
        match self {
            Target::File(s) => format!("/doceditor?fileid={}&share={}", s.file.id, urlencode(token)),
            Target::Folder(s) => folder_url(token, s.folder.id),
        }
    }
    /// Logs the visit: about the file, or the folder link's folder.
    async fn log(&self, state: &AppState, ctx: &Ctx, kind: EventKind) {
        let file = match self {
            Target::File(s) => Some(&s.file),
            Target::Folder(_) => None,
        };
        log_visit(state, ctx, self.link(), file, kind, None).await;
    }
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
    let target = if file_id == 0 {
        let folder_id = form.folderid.parse().unwrap_or(0);
        shared_folder_for(&state, &form.share, folder_id).await?.map(Target::Folder)
    } else {
        shared_file_for(&state, &form.share, file_id).await?.map(Target::File)
    };
    let Some(target) = target else { return Ok(SharePage::invalid()) };
    let proof = proof(&ctx, &target.link().id);
    let who = visitor(&ctx, &target);
    let status = match state.svc.try_password(&target, &form.password, proof.as_deref(), &who).await {
        Ok(s) => s,
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            target.log(&state, &ctx, EventKind::LockedOut).await;
            let mut page = target.page("locked", &form.share);
            page.message = format!("Too many wrong passwords. Please wait {retry_after_secs} seconds and try again.");
            let mut res = page.respond(StatusCode::TOO_MANY_REQUESTS);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let kind = match (status, refusal(&ctx, &target)) {
        (_, Some(r)) => EventKind::Refused(r),
        (LinkStatus::Ok, _) => EventKind::PasswordAccepted,
        (LinkStatus::InvalidPassword, _) => EventKind::PasswordFailed,
        _ => EventKind::Opened,
    };
    target.log(&state, &ctx, kind).await;
    match status {
        LinkStatus::Ok => {
            let mut res = Redirect::to(&target.url(&form.share)).into_response();
            if target.password().is_some() {
                if let Ok(v) = HeaderValue::from_str(&proof_cookie(&state, &ctx, target.link(), &form.password)) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(with_page_headers(res))
        }
        LinkStatus::InvalidPassword | LinkStatus::RequiredPassword => {
            let mut page = target.page("password", &form.share);
            page.message = "That password is not correct. Try again.".into();
            Ok(page.respond(StatusCode::OK))
        }
        other => Ok(closed_page(other, refusal(&ctx, &target)).unwrap_or_else(SharePage::invalid)),
    }
}

/// A folder's page for a folder link's visitor (DocSpace's long URL).
pub fn folder_url(token: &str, folder_id: i64) -> String {
    format!("/rooms/share?key={}&folder={folder_id}", urlencode(token))
}

/// The most entries a folder page lists; the rest are in the zip.
const FOLDER_PAGE_ENTRIES: i64 = 1000;

pub struct Row {
    title: String,
    url: String,
    download_url: String,
    size: String,
    date: String,
    is_folder: bool,
}

pub struct Crumb {
    title: String,
    url: String,
}

#[derive(Template)]
#[template(path = "share_folder.html")]
struct FolderPage {
    heading: String,
    link_title: String,
    message: String,
    crumbs: Vec<Crumb>,
    rows: Vec<Row>,
    more: i64,
    zip_url: String,
    can_download: bool,
}

fn short_date(micros: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

/// `GET /rooms/share?key=TOKEN[&folder=ID]`: a shared folder's page: its
/// contents with sizes and dates, breadcrumbs from the shared folder down,
/// a preview page per file, Download all (the zip) and per-file downloads
/// unless the link denies downloads; the password form when the link has
/// one.
#[utoipa::path(
    get, path = "/rooms/share", tag = "pages", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    params(
        ("key" = String, Query, description = "The folder link's share token"),
        ("folder" = Option<i64>, Query, description = "A folder at or below the shared folder (default: the shared folder)"),
    ),
    responses(
        (status = 200, description = "The folder's page, or the password form", content_type = "text/html", body = String),
        doc::BadRequest,
        (status = 403, description = "The link is for signed-in members only (a page)", content_type = "text/html", body = String),
        (status = 404, description = "No valid link for this folder (a page)", content_type = "text/html", body = String),
        (status = 410, description = "The link has expired (a page)", content_type = "text/html", body = String),
    )
)]
pub async fn folder_share_page(State(state): State<AppState>, ctx: Ctx, q: QueryMap) -> ApiResult {
    let token = q.get("key").or_else(|| q.get("share")).unwrap_or("").to_string();
    let Some(Shared::Folder(top)) = state.svc.shared(&token).await? else { return Ok(SharePage::invalid()) };
    let folder_id = match q.get("folder") {
        Some(v) => v.parse().unwrap_or(0),
        None => top.folder.id,
    };
    // The access check reads the token where every route does.
    let q = QueryMap([("share".to_string(), token.clone())].into_iter().collect());
    let access = match folder_access(&state, &ctx, &q, folder_id).await {
        Ok(a @ FolderAccess::Link { .. }) => a,
        // The owner browsing their own link sees what visitors see.
        Ok(FolderAccess::Owner(_)) | Err(Error::Forbidden(_)) | Err(Error::NotFound(_)) => {
            let Some(shared) = shared_folder_for(&state, &token, folder_id).await? else {
                return Ok(SharePage::invalid());
            };
            let status = visitor_status(&state, &ctx, &shared);
            if status == LinkStatus::Ok {
                let authenticated = ctx.caller.user.is_some();
                FolderAccess::Link { shared: Box::new(shared), token: token.clone(), authenticated }
            } else {
                return Ok(match closed_page(status, refusal(&ctx, &shared)) {
                    Some(page) => page,
                    None => {
                        log_visit(&state, &ctx, &shared.link, None, EventKind::Opened, None).await;
                        SharePage::for_folder("password", &shared.folder, &shared.link.title, &token)
                            .respond(StatusCode::OK)
                    }
                });
            }
        }
        Err(e) => return Err(e.into()),
    };
    access.record(&state, &ctx, EventKind::Opened, None);
    let folder = access.folder();
    let link_title = access.link().map(|(l, _)| l.title.clone()).unwrap_or_default();
    let can_download = access.viewer().can("Download");
    let (folders, files, total) = state.svc.store.folder_page(folder.id, 0, FOLDER_PAGE_ENTRIES).await?;
    let share_q = format!("&share={}", urlencode(&token));
    let mut rows: Vec<Row> = folders
        .iter()
        .map(|f| Row {
            title: f.title.clone(),
            url: folder_url(&token, f.id),
            download_url: format!("/filehandler.ashx?action=bulk&folderid={}{share_q}", f.id),
            size: String::new(),
            date: short_date(f.updated),
            is_folder: true,
        })
        .collect();
    rows.extend(files.iter().map(|f| Row {
        title: f.title.clone(),
        url: format!("/doceditor?fileid={}{share_q}", f.id),
        download_url: format!("/filehandler.ashx?action=download&fileid={}{share_q}", f.id),
        size: human_size(f.size),
        date: short_date(f.updated.max(f.created)),
        is_folder: false,
    }));
    let crumbs = path_parts(&state, folder, access.top())
        .await?
        .into_iter()
        .map(|p| Crumb { title: p.title, url: folder_url(&token, p.id) })
        .collect();
    let page = FolderPage {
        heading: folder.title.clone(),
        link_title,
        message: String::new(),
        crumbs,
        more: total - rows.len() as i64,
        rows,
        zip_url: format!("/filehandler.ashx?action=bulk&folderid={}{share_q}", folder.id),
        can_download,
    };
    match page.render() {
        Ok(html) => Ok(with_page_headers((StatusCode::OK, html).into_response())),
        Err(e) => Err(Error::internal(e).into()),
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
