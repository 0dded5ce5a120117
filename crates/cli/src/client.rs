//! HTTP to a DocSpace-compatible portal (spacelinks or ONLYOFFICE DocSpace):
//! the API key as `Authorization: Bearer`, the `{response, ...}` envelope
//! unwrapped, and every failure turned into a `CliError` with its exit code.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde_json::Value;

use crate::error::{error_chain, CliError, CliResult, Exit};

/// Where the portal is and how to sign in. Flags win over `SPACELINKS_*`,
/// which win over `DOCSPACE_*`.
#[derive(Args, Clone, Debug)]
pub struct Conn {
    /// Portal URL, e.g. https://docs.example.com [env: SPACELINKS_URL or DOCSPACE_URL]
    #[arg(long, global = true, value_name = "URL", help_heading = "Connection")]
    url: Option<String>,
    /// API key (sk-...). Prefer the environment variable: other local users can see arguments
    /// [env: SPACELINKS_API_KEY or DOCSPACE_API_KEY]
    #[arg(long, global = true, value_name = "KEY", help_heading = "Connection")]
    api_key: Option<String>,
}

fn setting(flag: &Option<String>, vars: &[&str]) -> Option<String> {
    flag.clone()
        .into_iter()
        .chain(vars.iter().filter_map(|v| std::env::var(v).ok()))
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
}

pub struct Client {
    http: reqwest::Client,
    /// The portal URL without a trailing slash; API paths are appended.
    base: String,
    auth: HeaderValue,
}

/// A success envelope: `response` (absent for deletes) and `total` (lists).
pub struct Reply {
    pub response: Option<Value>,
    pub total: Option<i64>,
}

impl Client {
    pub fn new(conn: &Conn) -> CliResult<Self> {
        let url = setting(&conn.url, &["SPACELINKS_URL", "DOCSPACE_URL"])
            .ok_or_else(|| CliError::usage("no portal URL: pass --url or set SPACELINKS_URL"))?;
        let key = setting(&conn.api_key, &["SPACELINKS_API_KEY", "DOCSPACE_API_KEY"])
            .ok_or_else(|| CliError::usage("no API key: set SPACELINKS_API_KEY (or pass --api-key)"))?;
        let parsed = Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--url {url:?} is not an http(s) URL; use for example https://docs.example.com"
                ))
            })?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(CliError::usage(format!("--url {url:?} must not have a query or fragment")));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| CliError::usage("the API key contains characters that cannot be sent in a header"))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .user_agent(concat!("spacelinks-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| CliError::other(format!("cannot start the HTTP client: {}", error_chain(&e))))?;
        Ok(Client { http, base: parsed.as_str().trim_end_matches('/').to_string(), auth })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).header(AUTHORIZATION, self.auth.clone())
    }

    /// Sends, and turns a network failure or a non-2xx answer into an error.
    /// `what` names the object for "not found" messages, e.g. "file 42".
    async fn send(&self, req: RequestBuilder, what: &str) -> CliResult<Response> {
        let res = req.send().await.map_err(|e| self.network_error(&e))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = res.text().await.unwrap_or_default();
        Err(status_error(status, &body, what, &self.base, retry_after.as_deref()))
    }

    fn network_error(&self, e: &reqwest::Error) -> CliError {
        CliError::new(Exit::Network, format!("cannot reach {}: {}", self.base, network_cause(e)))
    }

    async fn envelope(&self, req: RequestBuilder, what: &str) -> CliResult<Reply> {
        let res = self.send(req, what).await?;
        let text = res.text().await.map_err(|e| self.network_error(&e))?;
        let v: Value = serde_json::from_str(&text).map_err(|_| self.not_docspace())?;
        let Value::Object(mut map) = v else { return Err(self.not_docspace()) };
        if !map.contains_key("statusCode") && !map.contains_key("response") {
            return Err(self.not_docspace());
        }
        Ok(Reply { response: map.remove("response"), total: map.get("total").and_then(Value::as_i64) })
    }

    fn not_docspace(&self) -> CliError {
        CliError::other(format!(
            "the answer from {} is not a DocSpace API response; is --url the portal's address?",
            self.base
        ))
    }

    pub async fn get(&self, path: &str, what: &str) -> CliResult<Reply> {
        self.envelope(self.request(Method::GET, path), what).await
    }

    pub async fn put_json(&self, path: &str, body: &Value, what: &str) -> CliResult<Reply> {
        self.envelope(self.request(Method::PUT, path).json(body), what).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, what: &str) -> CliResult<Reply> {
        self.envelope(self.request(Method::POST, path).json(body), what).await
    }

    /// `POST {folder}/upload`, one multipart part named `File`, streamed from
    /// disk. `createNewIfExist=true` keeps DocSpace from turning the upload
    /// into a new version of a same-named file (whose links would then serve
    /// the new content).
    pub async fn upload(&self, folder: &str, path: &Path, name: &str) -> CliResult<Reply> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| CliError::other(format!("cannot read {}: {e}", path.display())))?;
        let meta =
            file.metadata().await.map_err(|e| CliError::other(format!("cannot read {}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(CliError::other(format!("{} is not a regular file", path.display())));
        }
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
        let part = reqwest::multipart::Part::stream_with_length(body, meta.len())
            .file_name(name.to_string())
            .mime_str("application/octet-stream")
            .map_err(|e| CliError::other(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("File", part);
        let path = format!("/api/2.0/files/{}/upload?createNewIfExist=true", segment(folder));
        self.envelope(self.request(Method::POST, &path).multipart(form), &format!("folder {folder}")).await
    }

    /// `GET /filehandler.ashx?action=download&fileid=ID`: the raw bytes.
    pub async fn download(&self, file_id: &str) -> CliResult<Response> {
        let path = format!("/filehandler.ashx?action=download&fileid={}", segment(file_id));
        self.send(self.request(Method::GET, &path), &format!("file {file_id}")).await
    }

    pub fn network(&self, e: &reqwest::Error) -> CliError {
        self.network_error(e)
    }
}

/// The useful part of a transport error: reqwest's outer layers ("error
/// sending request for url (...)", "client error (Connect)") say nothing
/// the "cannot reach" prefix does not.
fn network_cause(e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(c) = source {
        let s = c.to_string();
        if !s.starts_with("client error (") && !causes.iter().any(|p: &String| p.contains(&s)) {
            causes.push(s);
        }
        source = c.source();
    }
    if causes.is_empty() {
        error_chain(e)
    } else {
        causes.join(": ")
    }
}

/// Percent-encodes an id for use as one path segment or query value.
pub fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        // `@my` must stay readable for DocSpace's route table.
        .replace("%40", "@")
}

/// Maps a non-2xx answer to an exit code and the server's own words.
fn status_error(status: StatusCode, body: &str, what: &str, base: &str, retry_after: Option<&str>) -> CliError {
    let message = server_message(body);
    let code = status.as_u16();
    match code {
        401 => CliError::new(
            Exit::Auth,
            format!("the API key was refused by {base} (HTTP 401); check --api-key or SPACELINKS_API_KEY"),
        ),
        403 => CliError::new(
            Exit::Refused,
            message.unwrap_or_else(|| {
                "access denied (HTTP 403); the API key may lack the permission for this operation".into()
            }),
        ),
        404 => CliError::new(
            Exit::NotFound,
            match message {
                Some(m) => format!("{what}: {m}"),
                None => format!("{what} was not found (HTTP 404)"),
            },
        ),
        429 => CliError::new(
            Exit::Refused,
            format!(
                "{} (HTTP 429){}",
                message.unwrap_or_else(|| "too many requests".into()),
                retry_after.map(|s| format!("; retry after {s} seconds")).unwrap_or_default()
            ),
        ),
        400 | 405..=499 => CliError::new(
            Exit::Refused,
            message.unwrap_or_else(|| format!("the server refused the request (HTTP {code})")),
        ),
        _ => CliError::other(format!(
            "the server failed (HTTP {code}){}",
            message.map(|m| format!(": {m}")).unwrap_or_default()
        )),
    }
}

/// The error text as the server wrote it: `error.message` of the error
/// envelope, or the messages of a wrapped ASP.NET validation problem
/// (`response.errors`), or a short plain-text body.
pub fn server_message(body: &str) -> Option<String> {
    let v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => {
            let t = body.trim();
            let plain = !t.is_empty() && t.len() <= 300 && !t.starts_with('<');
            return plain.then(|| crate::output::clean(t));
        }
    };
    if let Some(m) = v.pointer("/error/message").and_then(Value::as_str).filter(|m| !m.trim().is_empty()) {
        return Some(crate::output::clean(m));
    }
    let problem = v.get("response").filter(|r| r.is_object()).unwrap_or(&v);
    if let Some(errors) = problem.get("errors").and_then(Value::as_object) {
        let parts: Vec<String> = errors
            .iter()
            .flat_map(|(field, msgs)| {
                let msgs: Vec<String> = match msgs {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => vec![],
                };
                msgs.into_iter().map(move |m| format!("{field}: {m}"))
            })
            .collect();
        if !parts.is_empty() {
            return Some(crate::output::clean(&parts.join("; ")));
        }
    }
    problem.get("title").and_then(Value::as_str).map(crate::output::clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_from_the_server() {
        let e = status_error(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"expirationDate must be in the future","type":null},"status":1,"statusCode":400}"#,
            "file 1",
            "http://h",
            None,
        );
        assert_eq!((e.exit, e.message.as_str()), (Exit::Refused, "expirationDate must be in the future"));
        let e = status_error(
            StatusCode::NOT_FOUND,
            r#"{"error":{"message":"Item not found"}}"#,
            "file 9",
            "http://h",
            None,
        );
        assert_eq!((e.exit, e.message.as_str()), (Exit::NotFound, "file 9: Item not found"));
        let e = status_error(StatusCode::UNAUTHORIZED, "", "file 9", "http://h", None);
        assert_eq!(e.exit, Exit::Auth);
        assert!(e.message.starts_with("the API key was refused"));
        let e = status_error(StatusCode::FORBIDDEN, "", "file 9", "http://h", None);
        assert_eq!(e.exit, Exit::Refused);
        let e = status_error(StatusCode::BAD_GATEWAY, "<html>", "file 9", "http://h", None);
        assert_eq!((e.exit, e.message.as_str()), (Exit::Other, "the server failed (HTTP 502)"));
        let e = status_error(StatusCode::TOO_MANY_REQUESTS, "", "x", "http://h", Some("30"));
        assert_eq!(e.message, "too many requests (HTTP 429); retry after 30 seconds");
    }

    #[test]
    fn wrapped_validation_problems_are_read() {
        let body = r#"{"response":{"title":"One or more validation errors occurred.","status":400,
            "errors":{"Count":["The field Count must be between 1 and 100."]}},"status":1,"statusCode":400}"#;
        assert_eq!(server_message(body).as_deref(), Some("Count: The field Count must be between 1 and 100."));
        assert_eq!(server_message("plain words").as_deref(), Some("plain words"));
        assert_eq!(server_message("<html><body>502</body></html>"), None);
        assert_eq!(server_message(""), None);
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("@my"), "@my");
        assert_eq!(segment("12"), "12");
        assert_eq!(segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
