//! Per-request context (who is calling, from where, which URL) and the
//! lenient body and query extractors. Success replies are built here and
//! only here, so every one goes through the same envelope.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use spacelinks_api_types::{write_envelope, Fields};
use spacelinks_core::{ApiKey, Error, User};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

/// Who is calling. Set once per request by the auth middleware.
#[derive(Clone, Default)]
pub struct Caller {
    pub user: Option<User>,
    /// The hash of the session token this request came with, if any
    /// (what sign-out revokes).
    pub session: Option<String>,
    /// The API key this request authenticated with, if any.
    pub api_key: Option<ApiKey>,
}

impl Caller {
    /// Whether this caller holds `scope`: always for sessions, cookies and
    /// Basic auth; for an API key, when its permissions grant it. For a
    /// handler that does more than its route's declared scope covers.
    pub fn may(&self, scope: crate::scope::Scope) -> bool {
        self.api_key.as_ref().is_none_or(|k| scope.allows(&k.permissions))
    }
}

#[derive(Clone)]
pub struct Ctx {
    pub caller: Caller,
    /// The full public URL of this request, for the envelope's `links`.
    pub href: String,
    pub method: Method,
    pub ip: IpAddr,
    pub user_agent: String,
    /// The request came over https (directly or via a trusted proxy).
    pub secure: bool,
    pub headers: HeaderMap,
}

impl Ctx {
    pub fn user(&self) -> Result<&User, ApiError> {
        self.caller.user.as_ref().ok_or(ApiError(Error::Unauthorized))
    }

    /// The signed-in user unless a guest: DocSpace refuses guests groups and
    /// templates with "Access denied".
    pub fn not_guest(&self) -> Result<&User, Error> {
        let user = self.user().map_err(|e| e.0)?;
        if user.user_type == spacelinks_api_types::UserType::Guest {
            return Err(Error::access_denied());
        }
        Ok(user)
    }

    pub fn ok(&self, value: impl Serialize) -> ApiResult {
        self.reply(Some(&value), None)
    }

    /// A paged list: `count` is the page length and `total` the whole.
    pub fn ok_page(&self, value: impl Serialize, total: i64) -> ApiResult {
        self.reply(Some(&value), Some(total))
    }

    /// 200 with no `response` key (a delete, or a no-op).
    pub fn ok_empty(&self) -> ApiResult {
        self.reply::<()>(None, None)
    }

    /// 400 the way ASP.NET's model validation answers in DocSpace (one
    /// builder for the whole server: `error::validation_error`).
    pub fn validation_error(&self, field: &str, message: &str) -> Response {
        crate::error::validation_error(field, message)
    }

    fn reply<T: Serialize>(&self, value: Option<&T>, total: Option<i64>) -> ApiResult {
        let body = write_envelope(value, total, &self.href, self.method.as_str(), 200).map_err(Error::internal)?;
        let mut res = (StatusCode::OK, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        Ok(res)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_value(&self.headers, name)
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_string())
    })
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (ip, trusted) = client_ip(state, &parts.headers, &parts.extensions);
        let forwarded_https = trusted
            && parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        Ok(Ctx {
            caller: parts.extensions.get::<Caller>().cloned().unwrap_or_default(),
            href: format!("{}{}", state.public_url, path),
            method: parts.method.clone(),
            ip,
            user_agent: first_chars(
                parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default(),
                512,
            )
            .to_string(),
            secure: state.public_url.starts_with("https://") || forwarded_https,
            headers: parts.headers.clone(),
        })
    }
}

/// The first `n` characters of `s`.
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(end, _)| &s[..end])
}

/// The client's address (through trusted proxies), and whether the peer is
/// a trusted proxy.
pub fn client_ip(state: &AppState, headers: &HeaderMap, extensions: &axum::http::Extensions) -> (IpAddr, bool) {
    // A dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`, which no
    // IPv4 network contains: canonical form first, for the proxy check and
    // for the address that limits and logs see.
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let trusted = state.config.trusted_proxies.iter().any(|n| n.contains(&peer));
    let ip = if trusted { forwarded_client(headers, &state.config.trusted_proxies).unwrap_or(peer) } else { peer };
    (ip, trusted)
}

/// The right-most `X-Forwarded-For` hop that is not itself a trusted proxy.
pub fn forwarded_client(headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let chain = header_str(headers, "x-forwarded-for")?;
    chain
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok().map(|ip| ip.to_canonical()))
        .find(|ip| !trusted.iter().any(|n| n.contains(ip)))
}

pub fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A JSON body read the ASP.NET way (see `Fields`). Malformed JSON is a 400
/// in the error envelope; an empty body counts as `{}`.
pub struct Body(pub Fields);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            crate::error::json_error(
                status,
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "The request body is too large".to_string()
                } else {
                    e.body_text()
                },
            )
        })?;
        Fields::from_slice(&bytes).map(Body).map_err(|e| ApiError(e.into()).into_response())
    }
}

/// Query parameters with lower-cased names; the last value of a name wins.
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let q = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
            .map_err(|_| ApiError(Error::BadRequest("The query string is malformed".into())).into_response())?;
        Ok(QueryMap(pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect()))
    }
}

impl QueryMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| Error::BadRequest(format!("{key} must be an integer"))),
        }
    }

    /// `count` (1..=100, default 100) and `startIndex` (default 0), as DocSpace.
    pub fn paging(&self) -> Result<(i64, i64), Error> {
        let count = self.int("count")?.unwrap_or(100);
        if !(1..=100).contains(&count) {
            return Err(Error::BadRequest("The field Count must be between 1 and 100.".into()));
        }
        Ok((self.int("startindex")?.unwrap_or(0).max(0), count))
    }
}

/// Numeric ids in paths: anything else is 404, as DocSpace's int-constrained
/// routes do.
pub fn parse_id(raw: &str, not_found: fn() -> Error) -> Result<i64, Error> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(not_found)
}
