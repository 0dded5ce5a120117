//! Authentication, exactly DocSpace's dispatch on `Authorization`:
//! `Basic` → e-mail and password; `Bearer sk-…` → API key; any other
//! `Bearer x` or raw `x`, or the `asc_auth_key` cookie → session token.
//! A failure leaves the caller anonymous; routes that need a user answer 401.

use std::net::IpAddr;
use std::sync::Arc;

use std::future::Future;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use spacelinks_api_types::date::now_micros;
use spacelinks_core::crypto::{hash_account_password, token_hash, verify_account_password};
use spacelinks_core::lockout::begin_attempt;
use spacelinks_core::{Error, Result, User};

use crate::app::AppState;
use crate::ctx::{client_ip, cookie_value, Caller};
use crate::error::ApiError;
use crate::scope::ScopeTable;

/// What the auth middleware needs: the app, and the scope of every route.
#[derive(Clone)]
pub struct AuthGate {
    pub state: AppState,
    pub scopes: Arc<ScopeTable>,
}

/// Runs after routing, before every handler: resolves the caller and checks
/// an API key against the scope the matched route declares. Unmatched paths
/// pass through to the JSON 404.
pub async fn authenticate<F: Future<Output = Response>>(
    gate: &AuthGate,
    mut req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let (client, _) = client_ip(&gate.state, req.headers(), req.extensions());
    let caller = match resolve_caller(&gate.state, req.headers(), client).await {
        // A disabled user's sessions, keys and password all stop working.
        Ok(c) if c.user.as_ref().is_some_and(|u| u.disabled) => Caller::default(),
        Ok(c) => c,
        Err(e) => return ApiError(e).into_response(),
    };
    if let (Some(key), Some(route)) = (&caller.api_key, req.extensions().get::<MatchedPath>()) {
        if !gate.scopes.scope(req.method(), route.as_str()).allows(&key.permissions) {
            return ApiError(Error::Forbidden("The API key does not have the scope this request needs".into()))
                .into_response();
        }
    }
    req.extensions_mut().insert(caller);
    next(req).await
}

async fn resolve_caller(state: &AppState, headers: &axum::http::HeaderMap, client: IpAddr) -> Result<Caller> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(auth) = auth.filter(|a| !a.is_empty()) else {
        let Some(token) = cookie_value(headers, "asc_auth_key") else { return Ok(Caller::default()) };
        return session_caller(state, &token).await;
    };
    if let Some(basic) = strip_scheme(auth, "Basic") {
        return Ok(Caller { user: basic_user(state, basic, client).await?, ..Caller::default() });
    }
    let token = strip_scheme(auth, "Bearer").unwrap_or(auth);
    if token.starts_with("sk-") {
        return api_key_caller(state, token).await;
    }
    session_caller(state, token).await
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

async fn session_caller(state: &AppState, token: &str) -> Result<Caller> {
    let hash = token_hash(token);
    let user = state.svc.store.session_user(&hash, now_micros()).await?;
    let session = user.as_ref().map(|_| hash);
    Ok(Caller { user, session, api_key: None })
}

async fn basic_user(state: &AppState, encoded: &str, client: IpAddr) -> Result<Option<User>> {
    let Some((email, password)) = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(e, p)| (e.to_string(), p.to_string())))
    else {
        return Ok(None);
    };
    check_password(state, &email, password, client).await
}

/// Every account password check (login, Basic auth, and any sign-in or
/// password-change form) goes through here: under the lockout (per account
/// and client, per account, per client), then Argon2id on a blocking thread
/// once one of the few permits is free (429 after `password_check_wait`).
/// Unknown users cost the same time as wrong passwords.
pub async fn check_password(state: &AppState, email: &str, password: String, client: IpAddr) -> Result<Option<User>> {
    let attempt = begin_attempt(&state.svc.store, state.svc.lockout.login_counters(email, client)).await?;
    match verify_password(state, email, password).await {
        Ok(Some(user)) => {
            attempt.release().await?;
            Ok(Some(user))
        }
        Ok(None) => {
            attempt.failed();
            Ok(None)
        }
        // Refused for load, not judged: it does not count.
        Err(busy @ Error::TooManyAttempts { .. }) => {
            attempt.release().await?;
            Err(busy)
        }
        Err(e) => Err(e),
    }
}

async fn verify_password(state: &AppState, email: &str, password: String) -> Result<Option<User>> {
    let user = state.svc.store.user_by_email(email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = with_argon2_permit(state, move || verify_account_password(&password, &hash)).await?;
    // A disabled user's right password is refused like a wrong one.
    Ok(user.filter(|u| ok && !u.disabled))
}

/// Hashes a new account password under the same permits as the checks.
pub async fn hash_password(state: &AppState, password: String) -> Result<String> {
    with_argon2_permit(state, move || hash_account_password(&password)).await?
}

/// Runs Argon2 work (19 MiB each) on a blocking thread once one of the
/// `password_check_permits` is free; waiting longer than
/// `password_check_wait` is a 429 with Retry-After.
async fn with_argon2_permit<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let wait = state.config.password_check_wait;
    let permit = tokio::time::timeout(wait, state.password_checks.clone().acquire_owned())
        .await
        .map_err(|_| Error::TooManyAttempts { retry_after_secs: wait.as_secs().max(1) as i64 })?
        .map_err(Error::internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(Error::internal)
}

async fn api_key_caller(state: &AppState, key: &str) -> Result<Caller> {
    let now = now_micros();
    // Read from the database on every request, never cached: revoking a key
    // takes effect on the next request.
    let found = state.svc.store.api_key_with_user(&token_hash(key)).await?;
    let Some((mut api_key, user)) = found.filter(|(k, _)| k.is_active && k.expires.is_none_or(|e| e > now)) else {
        return Ok(Caller::default());
    };
    // `lastUsed` at minute precision: one write per key per minute at most.
    if api_key.last_used.is_none_or(|t| now - t > 60_000_000) {
        state.svc.store.touch_api_key(&api_key.id, now).await?;
        // This request is a use too (`keys/@self` reports it).
        api_key.last_used = Some(now);
    }
    Ok(Caller { user: Some(user), api_key: Some(api_key), session: None })
}
