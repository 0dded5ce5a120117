//! The web app's stylesheet and script, embedded in the binary and served
//! under a URL that names their content's hash, so browsers may cache them
//! for a year: a new build has new URLs.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use spacelinks_core::crypto::token_hash;

struct Asset {
    url: String,
    body: &'static str,
    content_type: &'static str,
}

fn embed(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = &token_hash(body)[..16];
    Asset { url: format!("/assets/{stem}.{hash}.{ext}"), body, content_type }
}

static CSS: LazyLock<Asset> =
    LazyLock::new(|| embed("app", "css", include_str!("../../static/app.css"), "text/css; charset=utf-8"));
static JS: LazyLock<Asset> =
    LazyLock::new(|| embed("app", "js", include_str!("../../static/app.js"), "text/javascript; charset=utf-8"));

pub fn css_url() -> &'static str {
    &CSS.url
}

pub fn js_url() -> &'static str {
    &JS.url
}

/// `GET /assets/{name}`: only the current hashed names exist.
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some(a) = [&*CSS, &*JS].into_iter().find(|a| a.url.strip_prefix("/assets/") == Some(name.as_str())) else {
        return crate::error::json_error(StatusCode::NOT_FOUND, "The requested resource was not found");
    };
    let mut res = a.body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    res
}
