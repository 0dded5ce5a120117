//! Signing in and out, and changing one's password. The sign-in form uses
//! the same password check and login lockout as `POST /api/2.0/authentication`.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use spacelinks_api_types::date::now_micros;
use spacelinks_core::crypto::token_hash;
use spacelinks_core::Error;

use super::{
    error_page, render, see_other, set_cookie, ErrorParts, Layout, SignedIn, WebError, WebForm, WebResult,
    SESSION_COOKIE,
};
use crate::app::AppState;
use crate::ctx::{cookie_value, Caller, Ctx};
use crate::routes::account::{new_session, sign_in as password_sign_in, SESSION_DAYS};

/// How long a sign-in form stays valid.
const SIGNIN_FORM_MICROS: i64 = 12 * 3600 * 1_000_000;
const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 256;

/// Lets the web app's session cookie identify the person on plain page and
/// file reads outside the API (the preview on the file page streams through
/// `/filehandler.ashx`; "Sign-in only" links open for a signed-in person).
/// Only GET and HEAD: nothing that changes state is authorised by the cookie
/// alone, and the API keeps its own credentials.
///
/// It also draws the web app's error pages again inside the signed-in frame
/// (navigation and Sign out) when the visitor has a session.
pub async fn browser_caller(state: &AppState, mut req: Request, next: Next) -> Response {
    let anonymous = req.extensions().get::<Caller>().is_none_or(|c| c.user.is_none());
    let read = req.method() == Method::GET || req.method() == Method::HEAD;
    let token = cookie_value(req.headers(), SESSION_COOKIE).filter(|_| !req.uri().path().starts_with("/api/"));
    if let (Some(token), true, true) = (&token, anonymous, read) {
        if let Ok(Some(user)) = state.svc.store.session_user(&token_hash(token), now_micros()).await {
            req.extensions_mut().insert(Caller { user: Some(user), api_key: None, session: None });
        }
    }
    let res = next.run(req).await;
    match (res.extensions().get::<ErrorParts>().cloned(), token) {
        (Some(parts), Some(token)) => match state.svc.store.session_user(&token_hash(&token), now_micros()).await {
            Ok(Some(user)) => {
                let layout = Layout::signed_in(state, &user, &token, parts.heading.clone(), "");
                let mut page = error_page(layout, &parts, res.status());
                if let Some(retry) = res.headers().get(header::RETRY_AFTER) {
                    page.headers_mut().insert(header::RETRY_AFTER, retry.clone());
                }
                page
            }
            _ => res,
        },
        _ => res,
    }
}

#[derive(Template)]
#[template(path = "web/signin.html")]
struct SignInPage {
    layout: Layout,
    form_token: String,
    email: String,
    error: String,
}

fn sign_in_page(state: &AppState, email: &str, error: &str, status: StatusCode) -> Response {
    let page = SignInPage {
        layout: Layout::signed_out("Sign in"),
        form_token: sign_in_token(state, now_micros()),
        email: email.into(),
        error: error.into(),
    };
    render(&page, status)
}

/// The sign-in form's token: a timestamp and its HMAC. There is no session
/// to bind it to yet (and no cookie is set before signing in), so it proves
/// only that the form came from this server recently; the browser's
/// `Sec-Fetch-Site`/`Origin` check in `same_origin` stops other sites from
/// posting it.
fn sign_in_token(state: &AppState, now: i64) -> String {
    format!("{now}.{}", state.svc.secrets.csrf_token(&format!("signin\0{now}")))
}

fn sign_in_token_ok(state: &AppState, token: &str, now: i64) -> bool {
    let Some((ts, _)) = token.split_once('.') else { return false };
    let Ok(at) = ts.parse::<i64>() else { return false };
    (now - SIGNIN_FORM_MICROS..=now).contains(&at)
        && state.svc.secrets.check_csrf_token(&format!("signin\0{at}"), token.split_once('.').map_or("", |t| t.1))
}

/// A POST made by a page of another site is refused: browsers say where a
/// request comes from in `Sec-Fetch-Site`, older ones in `Origin`.
fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match (get("origin"), get("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// `GET /`: the sign-in form, or the files for someone signed in.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> WebResult {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        if state.svc.store.session_user(&token_hash(&token), now_micros()).await?.is_some() {
            return Ok(see_other("/files"));
        }
    }
    Ok(sign_in_page(&state, "", "", StatusCode::OK))
}

/// `POST /signin`: e-mail and password → the session cookie and the files.
pub async fn sign_in(State(state): State<AppState>, ctx: Ctx, form: WebForm) -> WebResult {
    if !sign_in_token_ok(&state, form.get("csrf"), now_micros()) || !same_origin(&ctx.headers) {
        return Err(WebError::csrf(false));
    }
    let email = form.get("email").trim().to_string();
    let user = match password_sign_in(&state, &email, form.get("password").to_string(), ctx.ip).await {
        Ok(u) => u,
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            let message = format!("Too many failed sign-ins. Wait {retry_after_secs} seconds and try again.");
            let mut res = sign_in_page(&state, &email, &message, StatusCode::TOO_MANY_REQUESTS);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(user) = user else {
        return Ok(sign_in_page(&state, &email, "The e-mail or password is not correct.", StatusCode::UNAUTHORIZED));
    };
    let (token, _) = new_session(&state, &user).await?;
    let mut res = see_other("/files");
    let secure = if ctx.secure { "; Secure" } else { "" };
    set_cookie(
        &mut res,
        &format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            SESSION_DAYS * 86_400
        ),
    );
    Ok(res)
}

/// `POST /signout`: ends the session (its row is deleted) and forgets the cookie.
pub async fn sign_out(State(state): State<AppState>, signed: SignedIn, form: WebForm) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    state.svc.store.delete_session(&signed.session_hash()).await?;
    let mut res = see_other("/");
    let secure = if signed.ctx.secure { "; Secure" } else { "" };
    set_cookie(&mut res, &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"));
    Ok(res)
}

#[derive(Template)]
#[template(path = "web/password.html")]
struct PasswordPage {
    layout: Layout,
    current_error: String,
    new_error: String,
    done: bool,
    min: usize,
}

fn password_form(
    state: &AppState,
    signed: &SignedIn,
    current_error: &str,
    new_error: &str,
    done: bool,
) -> PasswordPage {
    PasswordPage {
        layout: signed.layout(state, "Change my password", "account"),
        current_error: current_error.into(),
        new_error: new_error.into(),
        done,
        min: MIN_PASSWORD,
    }
}

/// `GET /account/password`.
pub async fn password_page(State(state): State<AppState>, signed: SignedIn) -> WebResult {
    Ok(render(&password_form(&state, &signed, "", "", false), StatusCode::OK))
}

/// `POST /account/password`: the current password (under the login
/// lockout) and a new one; every other session of the person ends.
pub async fn change_password(State(state): State<AppState>, signed: SignedIn, form: WebForm) -> WebResult {
    signed.check_csrf(&state, Some(form.get("csrf")))?;
    let new = form.get("new_password").to_string();
    let len = new.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&len) {
        let message = format!("The new password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.");
        return Ok(render(&password_form(&state, &signed, "", &message, false), StatusCode::BAD_REQUEST));
    }
    let current = form.get("current_password").to_string();
    match password_sign_in(&state, &signed.user.email, current, signed.ctx.ip).await? {
        Some(_) => {}
        None => {
            let page = password_form(&state, &signed, "The current password is not correct.", "", false);
            return Ok(render(&page, StatusCode::BAD_REQUEST));
        }
    }
    let hash = crate::auth::hash_password(&state, new).await?;
    state.svc.store.set_user_password(&signed.user.id, &hash, &signed.session_hash()).await?;
    Ok(render(&password_form(&state, &signed, "", "", true), StatusCode::OK))
}
