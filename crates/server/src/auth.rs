//! Authentication, exactly DocSpace's dispatch on `Authorization`:
//! `Basic` → e-mail and password; `Bearer sk-…` → API key; any other
//! `Bearer x` or raw `x`, or the `asc_auth_key` cookie → session token.
//! A failure leaves the caller anonymous; routes that need a user answer 401.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use spacelinks_api_types::date::now_micros;
use spacelinks_core::crypto::{token_hash, verify_account_password};
use spacelinks_core::{Error, Result, User};

use crate::app::AppState;
use crate::ctx::{cookie_value, Caller};
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
pub async fn authenticate(State(gate): State<AuthGate>, mut req: Request, next: Next) -> Response {
    let caller = match resolve_caller(&gate.state, req.headers().clone()).await {
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
    next.run(req).await
}

async fn resolve_caller(state: &AppState, headers: axum::http::HeaderMap) -> Result<Caller> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    let anonymous = Caller::default();
    let Some(auth) = auth.filter(|a| !a.is_empty()) else {
        let Some(token) = cookie_value(&headers, "asc_auth_key") else { return Ok(anonymous) };
        return Ok(Caller { user: session_user(state, &token).await?, api_key: None });
    };
    if let Some(basic) = strip_scheme(auth, "Basic") {
        return Ok(Caller { user: basic_user(state, basic).await?, api_key: None });
    }
    let token = strip_scheme(auth, "Bearer").unwrap_or(auth);
    if token.starts_with("sk-") {
        return api_key_caller(state, token).await;
    }
    Ok(Caller { user: session_user(state, token).await?, api_key: None })
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

async fn session_user(state: &AppState, token: &str) -> Result<Option<User>> {
    state.svc.store.session_user(&token_hash(token), now_micros()).await
}

async fn basic_user(state: &AppState, encoded: &str) -> Result<Option<User>> {
    let Some((email, password)) = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(e, p)| (e.to_string(), p.to_string())))
    else {
        return Ok(None);
    };
    check_password(state, &email, password).await
}

/// Looks the user up and verifies the password with Argon2id on a blocking
/// thread. Unknown users cost the same time as wrong passwords.
pub async fn check_password(state: &AppState, email: &str, password: String) -> Result<Option<User>> {
    let user = state.svc.store.user_by_email(email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = tokio::task::spawn_blocking(move || verify_account_password(&password, &hash))
        .await
        .map_err(Error::internal)?;
    Ok(user.filter(|_| ok))
}

async fn api_key_caller(state: &AppState, key: &str) -> Result<Caller> {
    let now = now_micros();
    let found = state.svc.store.api_key_by_hash(&token_hash(key)).await?;
    let Some(mut api_key) = found.filter(|k| k.is_active && k.expires.is_none_or(|e| e > now)) else {
        return Ok(Caller::default());
    };
    let Some(user) = state.svc.store.user_by_id(&api_key.user_id).await? else { return Ok(Caller::default()) };
    // `lastUsed` at minute precision: one write per key per minute at most.
    if api_key.last_used.is_none_or(|t| now - t > 60_000_000) {
        state.svc.store.touch_api_key(&api_key.id, now).await?;
        // This request is a use too (`keys/@self` reports it).
        api_key.last_used = Some(now);
    }
    Ok(Caller { user: Some(user), api_key: Some(api_key) })
}
