//! Login, API keys and people.

use crate::openapi as doc;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use spacelinks_api_types::date::{format_plain_date, now_micros};
use spacelinks_api_types::dto::{ApiKeyDto, AuthTokenDto, EmployeeFullDto};
use spacelinks_api_types::{format_api_date, UserType};
use spacelinks_core::crypto::{new_password, new_session_token, token_hash};
use spacelinks_core::keys::NewApiKey;
use spacelinks_core::{ApiKey, Error, NewUser, User};
use std::net::IpAddr;

use crate::app::AppState;
use crate::auth::{check_password, hash_password};
use crate::ctx::{Body, Ctx};
use crate::dto::employee;
use crate::error::{json_error, ApiResult};
use crate::scope::PERMISSIONS;

pub const SESSION_DAYS: i64 = 30;
const DAY_MICROS: i64 = 86_400_000_000;

/// `POST /api/2.0/authentication`: `{userName, password}` → `{token, expires}`,
/// plus the `asc_auth_key` cookie. Wrong credentials are throttled by the
/// one lockout (`auth::check_password`), as link passwords are.
#[utoipa::path(
    post, path = "/api/2.0/authentication", tag = "accounts", security(()),
    request_body = doc::LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is also set as the `asc_auth_key` cookie", body = doc::Envelope<doc::AuthTokenDto>),
        doc::BadRequest,
        (status = 401, description = "Wrong e-mail or password (this 401 has an error body)", body = doc::ErrorBody),
        doc::TooLarge, doc::TooMany,
    )
)]
pub async fn login(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let email = body.string("username")?.value().unwrap_or_default();
    let password = body.string("password")?.value().unwrap_or_default();
    let Some(user) = sign_in(&state, &email, password, ctx.ip).await? else {
        // DocSpace's login failure is a 401 with a message, unlike other 401s.
        return Ok(json_error(StatusCode::UNAUTHORIZED, "User authentication failed"));
    };
    let (token, expires) = new_session(&state, &user).await?;
    let mut res =
        ctx.ok(AuthTokenDto { token: token.clone(), expires: format_plain_date(expires), sms: false, tfa: false })?;
    let cookie = auth_cookie(&ctx, &token, SESSION_DAYS * 86_400);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn auth_cookie(ctx: &Ctx, token: &str, max_age_secs: i64) -> String {
    let secure = if ctx.secure { "; Secure" } else { "" };
    format!("asc_auth_key={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// `POST /api/2.0/authentication/logout`: revokes the session this request
/// came with (header or cookie) and clears the cookie. Anonymous callers get
/// the same 200, as in DocSpace, whose answer has no `response` for
/// accounts without single sign-on.
#[utoipa::path(
    post, path = "/api/2.0/authentication/logout", tag = "accounts", security(()),
    responses((status = 200, description = "The session this request came with (if any) is revoked and the `asc_auth_key` cookie cleared; no `response`", body = doc::Envelope<String>))
)]
pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    if let Some(hash) = &ctx.caller.session {
        state.svc.store.delete_session(hash).await?;
    }
    let mut res = ctx.ok_empty()?;
    if let Ok(v) = HeaderValue::from_str(&auth_cookie(&ctx, "", 0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The one password sign-in, shared by the API login and the web app's
/// sign-in form: the login lockout and the Argon2id check both live in
/// `auth::check_password`. `None` for wrong credentials.
pub async fn sign_in(state: &AppState, email: &str, password: String, ip: IpAddr) -> Result<Option<User>, Error> {
    check_password(state, email, password, ip).await
}

/// A new session for `user`: the token (only the client keeps it) and its
/// expiry.
pub async fn new_session(state: &AppState, user: &User) -> Result<(String, i64), Error> {
    let token = new_session_token();
    let expires = now_micros() + SESSION_DAYS * DAY_MICROS;
    state.svc.store.create_session(&token_hash(&token), &user.id, expires).await?;
    Ok((token, expires))
}

#[utoipa::path(
    get, path = "/api/2.0/authentication", tag = "accounts", security((), ("ApiKey" = []), ("Basic" = []), ("Cookie" = []), ("Token" = []), ("RequestToken" = [])),
    responses((status = 200, description = "Whether the request is signed in", body = doc::Envelope<bool>))
)]
pub async fn is_authenticated(ctx: Ctx) -> ApiResult {
    ctx.ok(ctx.caller.user.is_some())
}

fn key_dto(state: &AppState, k: &ApiKey, owner: &User, full_key: Option<String>) -> ApiKeyDto {
    ApiKeyDto {
        id: k.id.clone(),
        name: k.name.clone(),
        key: full_key.unwrap_or_else(|| format!("sk-***{}", k.postfix)),
        key_postfix: k.postfix.clone(),
        permissions: k.permissions.clone(),
        last_used: k.last_used.map(format_api_date),
        create_on: format_api_date(k.created),
        create_by: employee(state, &owner.id, &owner.display_name()),
        expires_at: k.expires.map(format_api_date),
        is_active: k.is_active,
    }
}

/// `POST /api/2.0/keys`: the full key is in this response and nowhere else.
#[utoipa::path(
    post, path = "/api/2.0/keys", tag = "accounts",
    request_body = doc::ApiKeyRequest,
    responses(
        (status = 200, description = "The new key; `key` is the full key, shown only here", body = doc::Envelope<doc::ApiKeyDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn create_key(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let user = ctx.user()?;
    let name = body.required_string("name")?;
    let permissions = match body.raw("permissions") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().filter(|p| PERMISSIONS.contains(p)).map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::BadRequest("Permissions are not valid.".into()))?,
        Some(_) => return Err(Error::BadRequest("permissions must be a list of strings".into()).into()),
    };
    // "*" is stored as the empty list, which means full access.
    let permissions = if permissions.iter().any(|p| p == "*") { Vec::new() } else { permissions };
    let expires_in_days = body.int("expiresindays")?.value();
    let (key, full) = state.svc.create_api_key(user, NewApiKey { name, permissions, expires_in_days }).await?;
    ctx.ok(key_dto(&state, &key, user, Some(full)))
}

/// `GET /api/2.0/keys`: admins see every key, others their own.
#[utoipa::path(
    get, path = "/api/2.0/keys", tag = "accounts",
    responses(
        (status = 200, description = "The caller's keys (an admin's: every key)", body = doc::Envelope<Vec<doc::ApiKeyDto>>),
        doc::Unauthorized,
    )
)]
pub async fn list_keys(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let user = ctx.user()?;
    let keys = state.svc.store.list_api_keys((!user.is_admin()).then_some(user.id.as_str())).await?;
    let mut out = Vec::with_capacity(keys.len());
    for k in &keys {
        let owner =
            if k.user_id == user.id { Some(user.clone()) } else { state.svc.store.user_by_id(&k.user_id).await? };
        if let Some(owner) = owner {
            out.push(key_dto(&state, k, &owner, None));
        }
    }
    ctx.ok(out)
}

#[utoipa::path(
    get, path = "/api/2.0/keys/permissions", tag = "accounts",
    responses(
        (status = 200, description = "The scopes an API key may have", body = doc::Envelope<Vec<String>>),
        doc::Unauthorized,
    )
)]
pub async fn key_permissions(ctx: Ctx) -> ApiResult {
    ctx.user()?;
    ctx.ok(PERMISSIONS)
}

/// `GET /api/2.0/keys/@self`: the key this request came with.
#[utoipa::path(
    get, path = "/api/2.0/keys/@self", tag = "accounts",
    responses(
        (status = 200, description = "The key this request was made with", body = doc::Envelope<doc::ApiKeyDto>),
        doc::Unauthorized, doc::NotFound,
    )
)]
pub async fn current_key(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let user = ctx.user()?;
    let key = ctx
        .caller
        .api_key
        .as_ref()
        .ok_or_else(|| Error::NotFound("This request was not made with an API key".into()))?;
    ctx.ok(key_dto(&state, key, user, None))
}

/// `DELETE /api/2.0/keys/{id}`: `true` when deleted, `false` when the key
/// is not the caller's (DocSpace's answer), 404 when there is no such key.
#[utoipa::path(
    delete, path = "/api/2.0/keys/{id}", tag = "accounts",
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 200, description = "`true` when deleted, `false` when the key is someone else's", body = doc::Envelope<bool>),
        doc::BadRequest, doc::Unauthorized, doc::NotFound,
    )
)]
pub async fn delete_key(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let user = ctx.user()?;
    ctx.ok(state.svc.delete_api_key(user, &id).await?)
}

pub fn full_dto(state: &AppState, u: &User) -> EmployeeFullDto {
    EmployeeFullDto {
        base: employee(state, &u.id, &u.display_name()),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        user_name: u.email.clone(),
        email: u.email.clone(),
        // EmployeeStatus: 1 Active, 2 Terminated (disabled).
        status: if u.disabled { 2 } else { 1 },
        activation_status: 1,
        department: String::new(),
        is_admin: !u.is_owner && u.user_type == UserType::DocSpaceAdmin,
        is_room_admin: u.user_type == UserType::RoomAdmin,
        is_ldap: false,
        is_owner: u.is_owner,
        is_visitor: u.user_type == UserType::Guest,
        is_collaborator: u.user_type == UserType::User,
        is_sso: false,
        mobile_phone_activation_status: 0,
        registration_date: format_api_date(u.created),
        has_personal_folder: true,
        login_event_id: 0,
        theme: "Base",
    }
}

#[utoipa::path(
    get, path = "/api/2.0/people/@self", tag = "accounts",
    responses((status = 200, description = "The signed-in user", body = doc::Envelope<doc::EmployeeFullDto>), doc::Unauthorized)
)]
pub async fn me(State(state): State<AppState>, ctx: Ctx) -> ApiResult {
    let user = ctx.user()?;
    ctx.ok(full_dto(&state, user))
}

/// `POST /api/2.0/people`: the owner creates any type; a DocSpace admin
/// creates everything but admins; nobody else creates users.
#[utoipa::path(
    post, path = "/api/2.0/people", tag = "accounts",
    request_body = doc::NewUserRequest,
    responses(
        (status = 200, description = "The new user", body = doc::Envelope<doc::EmployeeFullDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn create_user(State(state): State<AppState>, ctx: Ctx, Body(body): Body) -> ApiResult {
    let caller = ctx.user()?;
    let email = body.required_string("email")?.trim().to_string();
    if email.len() > 255 || !email.contains('@') {
        return Err(Error::BadRequest("email must be a valid e-mail address".into()).into());
    }
    let user_type = match body.enum_text("type")?.value() {
        None => UserType::User,
        Some(t) => UserType::parse(&t)
            .ok_or_else(|| Error::BadRequest("type must be one of DocSpaceAdmin, RoomAdmin, User, Guest".into()))?,
    };
    let allowed =
        caller.is_owner || (caller.user_type == UserType::DocSpaceAdmin && user_type != UserType::DocSpaceAdmin);
    if !allowed {
        return Err(Error::access_denied().into());
    }
    let password = body.string("password")?.value().filter(|p| !p.is_empty()).unwrap_or_else(|| new_password(16));
    if password.chars().count() < 8 {
        return Err(Error::BadRequest("password must be at least 8 characters".into()).into());
    }
    let hash = hash_password(&state, password).await?;
    let new = NewUser {
        email,
        first_name: body.string("firstname")?.value().unwrap_or_default(),
        last_name: body.string("lastname")?.value().unwrap_or_default(),
        password_hash: hash,
        user_type,
        is_owner: false,
    };
    let user = state.svc.store.create_user(&new, now_micros()).await?;
    ctx.ok(full_dto(&state, &user))
}

/// `POST /api/2.0/people/active`: DocSpace's route for adding a member who
/// is active at once (the official test suite adds guests through it); the
/// same rules and answer as `POST /api/2.0/people`.
#[utoipa::path(
    post, path = "/api/2.0/people/active", tag = "accounts",
    request_body = doc::NewUserRequest,
    responses(
        (status = 200, description = "The new user", body = doc::Envelope<doc::EmployeeFullDto>),
        doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::TooLarge,
    )
)]
pub async fn create_active_user(state: State<AppState>, ctx: Ctx, body: Body) -> ApiResult {
    create_user(state, ctx, body).await
}
