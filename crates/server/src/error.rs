//! The single mapping from domain errors to HTTP responses, and the layer
//! that turns every other error response (axum rejections, unknown routes,
//! wrong methods, panics) into the DocSpace error envelope.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use std::future::Future;

use axum::response::{IntoResponse, Response};
use spacelinks_api_types::ErrorBody;
use spacelinks_core::Error;

pub struct ApiError(pub Error);

pub type ApiResult<T = Response> = Result<T, ApiError>;

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::to_vec(&ErrorBody::new(status.as_u16(), message)).unwrap_or_default();
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    res
}

/// ASP.NET's model-validation 400, as DocSpace answers a field that breaks
/// its request DTO's attributes (a `[StringLength]`, say): the problem
/// details under `response`, the field's path as the key of `errors`. The
/// usual `error` object is there too, so clients reading `error.message`
/// find the same text.
pub fn validation_error(field: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "response": {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "errors": { field: [message] },
        },
        "error": ErrorBody::new(400, message).error,
        "status": 1,
        "statusCode": 400,
    });
    let mut res = Response::new(Body::from(body.to_string()));
    *res.status_mut() = StatusCode::BAD_REQUEST;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::BadRequest(m) => json_error(StatusCode::BAD_REQUEST, m),
            // DocSpace answers 401 with an empty body; clients only read the status.
            Error::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Error::Forbidden(m) => json_error(StatusCode::FORBIDDEN, m),
            Error::NotFound(m) => json_error(StatusCode::NOT_FOUND, m),
            Error::TooLarge(m) => json_error(StatusCode::PAYLOAD_TOO_LARGE, m),
            Error::TooManyAttempts { retry_after_secs } => {
                let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            Error::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
        }
    }
}

/// Gives every bodiless or plain-text error response a JSON error body,
/// except 401 and 429, which DocSpace sends empty. HTML pages keep theirs.
pub async fn json_error_bodies<F: Future<Output = Response>>(
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let res = next(req).await;
    let status = res.status();
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let plain = content_type.is_empty() || content_type.starts_with("text/plain");
    let keep = !(status.is_client_error() || status.is_server_error())
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::TOO_MANY_REQUESTS
        || !plain;
    if keep {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    // Axum's rejections explain themselves in plain text; keep their words.
    let text = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match status {
        // Axum says "length limit exceeded"; say what the client must change.
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large".into(),
        _ if !text.is_empty() && status.is_client_error() => text,
        StatusCode::NOT_FOUND => "The requested resource was not found".into(),
        StatusCode::METHOD_NOT_ALLOWED => "The HTTP method is not allowed on this resource".into(),
        s if s.is_server_error() => "Internal server error".into(),
        _ => status.canonical_reason().unwrap_or("Bad request").to_string(),
    };
    let mut out = json_error(status, message);
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// A panic in a handler becomes a generic 500 envelope; the cause is logged.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
}
