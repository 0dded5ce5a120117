//! The owner's web app: server-rendered pages over the same services as the
//! API. Every page answers `no-store` with a strict CSP (no inline script or
//! style); every state-changing form carries a CSRF token bound to the
//! session; JavaScript (`static/app.js`) only adds to pages that work
//! without it.

mod activity;
mod assets;
mod file;
mod files;
mod keys;
mod session;
mod versions;

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use spacelinks_api_types::date::now_micros;
use spacelinks_core::crypto::token_hash;
use spacelinks_core::{Error, User};

use crate::app::AppState;
use crate::ctx::{cookie_value, Ctx};

pub use session::browser_caller;

/// The web app's session cookie; its value is a session token of the
/// `sessions` table (the same kind the API login hands out).
pub const SESSION_COOKIE: &str = "spacelinks_session";

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   media-src 'self'; frame-src 'self'; connect-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route("/signin", post(session::sign_in))
        .route("/signout", post(session::sign_out))
        .route("/account/password", get(session::password_page).post(session::change_password))
        .route("/files", get(files::root))
        .route("/files/folder/{id}", get(files::folder))
        .route("/files/folder/{id}/folders", post(files::new_folder))
        .route("/files/folder/{id}/delete", get(files::confirm_delete_folder).post(files::delete_folder))
        .route("/files/file/{id}", get(file::file_page))
        .route("/files/file/{id}/versions/{version}/restore", post(versions::restore_version))
        .route("/files/file/{id}/delete", get(files::confirm_delete_file).post(files::delete_file))
        .route("/files/file/{id}/links/new", get(file::new_link_page::<false>))
        .route("/files/file/{id}/links", post(file::create_link::<false>))
        .route("/files/file/{id}/links/{link}", post(file::update_link::<false>))
        .route("/files/file/{id}/links/{link}/edit", get(file::edit_link_page::<false>))
        .route(
            "/files/file/{id}/links/{link}/revoke",
            get(file::confirm_revoke::<false>).post(file::revoke_link::<false>),
        )
        .route("/files/file/{id}/links/{link}/qr.svg", get(file::qr_code::<false>))
        // A folder's links: the same pages and forms as a file's.
        .route("/files/folder/{id}/links/new", get(file::new_link_page::<true>))
        .route("/files/folder/{id}/links", post(file::create_link::<true>))
        .route("/files/folder/{id}/links/{link}", post(file::update_link::<true>))
        .route("/files/folder/{id}/links/{link}/edit", get(file::edit_link_page::<true>))
        .route(
            "/files/folder/{id}/links/{link}/revoke",
            get(file::confirm_revoke::<true>).post(file::revoke_link::<true>),
        )
        .route("/files/folder/{id}/links/{link}/qr.svg", get(file::qr_code::<true>))
        .route("/files/file/{id}/links/{link}/activity", get(activity::activity_page))
        .route("/keys", get(keys::keys_page).post(keys::create_key))
        .route("/keys/{id}/revoke", post(keys::revoke_key))
        .route("/assets/{name}", get(assets::asset))
}

/// The pages that take a file body: no request timeout, the idle-body
/// timeout instead (`app::router`).
pub fn upload_routes() -> Router<AppState> {
    Router::new().route(
        "/files/folder/{id}/upload",
        // The size limit is enforced per file while streaming, and the
        // rest of an oversized body is read, so the browser gets the
        // answer instead of a reset connection.
        post(files::upload).layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// What every page's frame needs: the title, the signed-in person (for the
/// navigation) and the hashed asset URLs.
pub struct Layout {
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    /// `files` or `keys`: which navigation link is the current page.
    pub nav: &'static str,
    pub css: &'static str,
    pub js: &'static str,
}

impl Layout {
    pub fn signed_in(state: &AppState, user: &User, token: &str, title: impl Into<String>, nav: &'static str) -> Self {
        Layout {
            title: title.into(),
            user: Some(user.email.clone()),
            csrf: state.svc.secrets.csrf_token(token),
            nav,
            css: assets::css_url(),
            js: assets::js_url(),
        }
    }

    pub fn signed_out(title: &str) -> Self {
        Layout {
            title: title.into(),
            user: None,
            csrf: String::new(),
            nav: "",
            css: assets::css_url(),
            js: assets::js_url(),
        }
    }
}

/// Renders a page with the page headers.
pub fn render(page: &impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => with_page_headers((status, html).into_response()),
        Err(e) => {
            tracing::error!(%e, "template");
            with_page_headers((StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response())
        }
    }
}

/// Headers of every page: never cached, never framed, no referrer, and a
/// CSP that allows only our own files.
pub fn with_page_headers(mut res: Response) -> Response {
    let redirect = res.status().is_redirection();
    let h = res.headers_mut();
    if !redirect {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

/// 303 See Other: after a form POST the browser GETs the next page.
pub fn see_other(to: &str) -> Response {
    with_page_headers(Redirect::to(to).into_response())
}

fn set_cookie(res: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A signed-in person, from the session cookie. Pages that need one take
/// this; without a valid session the visitor is sent to the sign-in page
/// (an XHR asking for JSON gets a 401 JSON answer instead).
pub struct SignedIn {
    pub user: User,
    /// The session token (the cookie's value), which CSRF tokens are bound to.
    token: String,
    pub ctx: Ctx,
}

impl SignedIn {
    pub fn csrf(&self, state: &AppState) -> String {
        state.svc.secrets.csrf_token(&self.token)
    }

    /// 403 unless `token` is this session's CSRF token.
    pub fn check_csrf(&self, state: &AppState, token: Option<&str>) -> Result<(), WebError> {
        if state.svc.secrets.check_csrf_token(&self.token, token.unwrap_or("")) {
            Ok(())
        } else {
            Err(WebError::csrf(wants_json(&self.ctx.headers)))
        }
    }

    pub fn layout(&self, state: &AppState, title: impl Into<String>, nav: &'static str) -> Layout {
        Layout::signed_in(state, &self.user, &self.token, title, nav)
    }

    pub fn session_hash(&self) -> String {
        token_hash(&self.token)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let json = wants_json(&parts.headers);
        let ctx = Ctx::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let token = cookie_value(&parts.headers, SESSION_COOKIE).unwrap_or_default();
        let user = if token.is_empty() {
            None
        } else {
            state
                .svc
                .store
                .session_user(&token_hash(&token), now_micros())
                .await
                .map_err(|e| WebError { error: e, json }.into_response())?
        };
        match user {
            Some(user) => Ok(SignedIn { user, token, ctx }),
            None if json => Err(json_reply(StatusCode::UNAUTHORIZED, "Sign in again: your session has ended.")),
            None => Err(see_other("/")),
        }
    }
}

/// The request asks for JSON (the upload script does).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

pub fn json_reply(status: StatusCode, error: &str) -> Response {
    let body = serde_json::json!({ "error": error }).to_string();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A urlencoded form body, read leniently: a malformed body is a 400 page,
/// never axum's plain-text rejection.
pub struct WebForm(pub HashMap<String, String>);

impl WebForm {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }
    pub fn checked(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

impl<S: Send + Sync> FromRequest<S> for WebForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bad = || WebError::from(Error::BadRequest("The form could not be read.".into())).into_response();
        let bytes = Bytes::from_request(req, state).await.map_err(|_| bad())?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad())?;
        Ok(WebForm(pairs.into_iter().collect()))
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

/// A domain error as a readable page (or as `{"error"}` for scripts).
pub struct WebError {
    pub error: Error,
    pub json: bool,
}

impl WebError {
    fn csrf(json: bool) -> Self {
        WebError {
            error: Error::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.".into(),
            ),
            json,
        }
    }
}

impl From<Error> for WebError {
    fn from(error: Error) -> Self {
        WebError { error, json: false }
    }
}

impl From<spacelinks_api_types::FieldError> for WebError {
    fn from(e: spacelinks_api_types::FieldError) -> Self {
        WebError::from(Error::from(e))
    }
}

pub type WebResult = Result<Response, WebError>;

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let (heading, message) = match &self.error {
            Error::Unauthorized => return see_other("/"),
            Error::BadRequest(m) => ("That did not work", m.clone()),
            Error::Forbidden(m) => ("Not allowed", m.clone()),
            Error::NotFound(m) => ("Not found", m.clone()),
            Error::TooLarge(m) => ("The upload is too large", m.clone()),
            Error::TooManyAttempts { retry_after_secs } => {
                ("Too many attempts", format!("Please wait {retry_after_secs} seconds and try again."))
            }
            Error::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ("Something went wrong", "The server could not finish this request. Please try again.".into())
            }
        };
        if self.json {
            return json_reply(status, &message);
        }
        let parts = ErrorParts { heading: heading.into(), message };
        let mut res = error_page(Layout::signed_out(heading), &parts, status);
        // `session::browser_caller` renders it again with the navigation
        // when the visitor is signed in.
        res.extensions_mut().insert(parts);
        res
    }
}

/// What an error page says, kept on the response so that it can be drawn
/// again inside the signed-in frame.
#[derive(Clone)]
pub struct ErrorParts {
    pub heading: String,
    pub message: String,
}

pub fn error_page(layout: Layout, parts: &ErrorParts, status: StatusCode) -> Response {
    let page = ErrorPage { layout, heading: parts.heading.clone(), message: parts.message.clone() };
    render(&page, status)
}

/// `12.3 MB`-style sizes for messages.
pub fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// An instant as people read it, in UTC: `2026-12-01 06:30 UTC`.
pub fn human_time(micros: i64) -> String {
    let s = spacelinks_api_types::format_api_date(micros);
    format!("{} {} UTC", &s[..10], &s[11..16])
}

/// An instant for `<time datetime>`.
pub fn machine_time(micros: i64) -> String {
    let s = spacelinks_api_types::format_api_date(micros);
    format!("{}Z", &s[..19])
}
