//! Streaming a file's bytes: single byte ranges (206), a Content-Disposition
//! that survives any file name, and inline display only for types that are
//! safe to render from our origin.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use spacelinks_core::File;
use spacelinks_store::BlobRange;

use crate::app::AppState;
use crate::error::{json_error, ApiResult};

/// A `Range` header we cannot serve: answered with 416.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Parses `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` against `size`.
/// `Ok(None)` means "send it all".
pub fn parse_range(value: Option<&str>, size: u64) -> Result<Option<BlobRange>, Unsatisfiable> {
    let Some(v) = value else { return Ok(None) };
    let Some(spec) = v.trim().strip_prefix("bytes=") else { return Err(Unsatisfiable) };
    if spec.contains(',') {
        // Multi-range responses are not worth their complexity here.
        return Err(Unsatisfiable);
    }
    let (a, b) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| Unsatisfiable)?;
        if n == 0 {
            return Err(Unsatisfiable);
        }
        BlobRange { start: size.saturating_sub(n), end: size }
    } else {
        let start: u64 = a.parse().map_err(|_| Unsatisfiable)?;
        let end =
            if b.is_empty() { size } else { b.parse::<u64>().map_err(|_| Unsatisfiable)?.saturating_add(1).min(size) };
        BlobRange { start, end }
    };
    if range.start >= size || range.start >= range.end {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Types a browser may render inline without running anything of ours.
pub fn inline_safe(mime: &str) -> bool {
    (mime.starts_with("image/") && mime != "image/svg+xml")
        || mime.starts_with("audio/")
        || mime.starts_with("video/")
        || mime == "application/pdf"
        || mime == "text/plain"
}

pub fn mime_of(title: &str) -> String {
    let m = mime_guess::from_path(title).first_or_octet_stream();
    // Text of any kind is shown as plain text, never interpreted.
    if m.type_() == mime_guess::mime::TEXT {
        return "text/plain".into();
    }
    m.essence_str().to_string()
}

pub async fn stream_file(state: &AppState, file: &File, inline: bool, headers: &HeaderMap) -> ApiResult {
    let size = file.size.max(0) as u64;
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = match parse_range(range_header, size) {
        Ok(r) => r,
        Err(Unsatisfiable) => {
            let mut res = json_error(StatusCode::RANGE_NOT_SATISFIABLE, "The requested range is not satisfiable");
            res.headers_mut().insert(header::CONTENT_RANGE, hv(&format!("bytes */{size}")));
            return Ok(res);
        }
    };
    let body = if size == 0 {
        Body::empty()
    } else {
        let served = crate::metrics::bytes_served();
        let content = state.blobs.get(&file.blob_key, range).await?;
        Body::from_stream(futures::StreamExt::inspect(content, move |chunk| {
            if let Ok(bytes) = chunk {
                served.increment(bytes.len() as u64);
            }
        }))
    };
    let mime = mime_of(&file.title);
    let inline = inline && inline_safe(&mime);
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, hv(&mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_DISPOSITION,
        hv(&content_disposition(if inline { "inline" } else { "attachment" }, &file.title)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // A file is data, never a page of ours: no scripts, no plugins.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; plugin-types application/pdf; frame-ancestors 'self'"));
    match range {
        Some(r) => {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = res.headers_mut();
            h.insert(header::CONTENT_RANGE, hv(&format!("bytes {}-{}/{size}", r.start, r.end - 1)));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(r.end - r.start));
        }
        None => {
            res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    Ok(res)
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |s| parse_range(Some(s), 100);
        assert_eq!(r("bytes=0-9"), Ok(Some(BlobRange { start: 0, end: 10 })));
        assert_eq!(r("bytes=90-"), Ok(Some(BlobRange { start: 90, end: 100 })));
        assert_eq!(r("bytes=-10"), Ok(Some(BlobRange { start: 90, end: 100 })));
        assert_eq!(r("bytes=95-200"), Ok(Some(BlobRange { start: 95, end: 100 })));
        assert_eq!(r("bytes=100-"), Err(Unsatisfiable));
        assert_eq!(r("bytes=5-1"), Err(Unsatisfiable));
        assert_eq!(r("bytes=0-1,3-4"), Err(Unsatisfiable));
        assert_eq!(r("items=0-1"), Err(Unsatisfiable));
        assert_eq!(parse_range(None, 100), Ok(None));
    }

    #[test]
    fn dispositions_survive_any_name() {
        assert_eq!(
            content_disposition("attachment", "a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b%2Etxt"
        );
        let d = content_disposition("attachment", "отчёт \"q\".pdf");
        assert!(d.starts_with("attachment; filename=\"_____ _q_.pdf\"; filename*=UTF-8''%D0%BE"));
        assert!(HeaderValue::from_str(&d).is_ok());
    }
}
