//! The test harness: a server on a temporary data directory, called either
//! in-process through the router (`tower::ServiceExt::oneshot`) or over a
//! real socket bound to 127.0.0.1:0, with helpers for the usual setup steps
//! and raw SQL for states the API refuses to create.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request};
use axum::Router;
use serde_json::{json, Value};
pub use spacelinks_core::Store;
use spacelinks_server::app::AppState;
use spacelinks_server::Config;
use spacelinks_store::Db;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt;

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const OWNER_PASSWORD: &str = "owner-password-1";
/// The public URL of in-process servers; socket servers use their address.
pub const PUBLIC_URL: &str = "http://spacelinks.test";
/// A password that satisfies the default link password policy.
pub const LINK_PASSWORD: &str = "Secret-pw1";

pub struct TestServer {
    /// Owns the data directory of the first server on it.
    _dir: Option<tempfile::TempDir>,
    pub data_dir: PathBuf,
    pub config: Config,
    pub state: AppState,
    router: Router,
    /// The bound address of a real-socket server.
    pub addr: Option<SocketAddr>,
    client: reqwest::Client,
    task: Option<JoinHandle<()>>,
    owner_token: tokio::sync::OnceCell<String>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

fn base_config(dir: &Path) -> Config {
    let mut c = Config::with_data_dir(dir);
    c.owner_email = OWNER_EMAIL.into();
    c.owner_password = Some(OWNER_PASSWORD.into());
    c
}

impl TestServer {
    /// An in-process server: requests go straight into the router.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = base_config(dir.path());
        config.public_url = Some(PUBLIC_URL.into());
        tweak(&mut config);
        let bound: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let app = spacelinks_server::build(config.clone(), bound).await.expect("build app");
        TestServer {
            data_dir: dir.path().to_path_buf(),
            _dir: Some(dir),
            config,
            state: app.state,
            router: app.router,
            addr: None,
            client: client(),
            task: None,
            owner_token: Default::default(),
        }
    }

    /// A real server on 127.0.0.1:0, served by `spacelinks_server::serve`.
    pub async fn start_socket() -> Self {
        Self::start_socket_with(|_| {}).await
    }

    pub async fn start_socket_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Self::socket_on(dir.path(), tweak).await;
        s._dir = Some(dir);
        s
    }

    /// Another real server on the same data directory (same database, blobs
    /// and secret), like a second node behind a load balancer.
    pub async fn second_node(&self) -> Self {
        Self::socket_on(&self.data_dir, |_| {}).await
    }

    /// Stops serving (the data directory stays): a node that went down.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// `second_node` with its own settings.
    pub async fn second_node_with(&self, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::socket_on(&self.data_dir, tweak).await
    }

    async fn socket_on(dir: &Path, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = base_config(dir);
        tweak(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let app = spacelinks_server::build(config.clone(), addr).await.expect("build app");
        let state = app.state.clone();
        let router = app.router.clone();
        // The listener is bound before the task starts, so requests queue in
        // the backlog until `serve` accepts them: no readiness wait needed.
        let task = tokio::spawn(async move {
            spacelinks_server::serve(listener, app).await.expect("serve");
        });
        TestServer {
            _dir: None,
            data_dir: dir.to_path_buf(),
            config,
            state,
            router,
            addr: Some(addr),
            client: client(),
            task: Some(task),
            owner_token: Default::default(),
        }
    }

    /// `http://127.0.0.1:PORT` for socket servers, the public URL otherwise.
    pub fn base(&self) -> String {
        match self.addr {
            Some(a) => format!("http://{a}"),
            None => PUBLIC_URL.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.svc.store
    }

    /// A second connection pool on the same database, for raw SQL.
    pub async fn raw_db(&self) -> Db {
        Db::open(&self.config.database_url()).await.expect("open the database a second time")
    }

    pub async fn sql(&self, query: &str, binds: &[&str]) -> u64 {
        let db = self.raw_db().await;
        let mut q = sqlx::query(query);
        for b in binds {
            q = q.bind(b.to_string());
        }
        let n = q.execute(db.pool()).await.expect("raw SQL").rows_affected();
        self.forget_cached_links();
        n
    }

    /// Raw SQL goes around the store, so around the link cache's
    /// invalidation too: tests that change rows behind the server's back
    /// empty its cache, as a write through the server would.
    pub fn forget_cached_links(&self) {
        if let Some(c) = &self.state.link_cache {
            c.cache.invalidate_all();
        }
    }

    /// Moves a link's expiry into the past, which the API refuses to do.
    pub async fn expire_link(&self, link_id: &str) {
        let db = self.raw_db().await;
        let past = now_micros() - 3_600_000_000;
        let n = sqlx::query("UPDATE links SET expires = $1 WHERE id = $2")
            .bind(past)
            .bind(link_id.to_string())
            .execute(db.pool())
            .await
            .expect("expire link")
            .rows_affected();
        assert_eq!(n, 1, "no link {link_id} to expire");
        self.forget_cached_links();
    }

    /// Sends a request in-process or over the socket, whichever this server is.
    pub async fn send(&self, req: Req) -> Resp {
        match self.addr {
            Some(_) => self.send_socket(req).await,
            None => self.send_in_process(req).await,
        }
    }

    async fn send_in_process(&self, req: Req) -> Resp {
        let mut builder = Request::builder().method(req.method).uri(&req.path);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let mut request = builder.body(Body::from(req.body)).expect("request");
        let peer = SocketAddr::new(req.peer.unwrap_or(IpAddr::from([127, 0, 0, 1])), 40000);
        request.extensions_mut().insert(ConnectInfo(peer));
        let res = self.router.clone().oneshot(request).await.expect("infallible router");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body").to_vec();
        Resp { status, headers, body }
    }

    async fn send_socket(&self, req: Req) -> Resp {
        assert!(req.peer.is_none(), "a socket request comes from the real peer address");
        let mut r = self.client.request(req.method, self.url(&req.path));
        for (k, v) in &req.headers {
            r = r.header(k, v);
        }
        let res = r.body(req.body).send().await.expect("request over the socket");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.expect("body").to_vec();
        Resp { status, headers, body }
    }

    // ---- setup helpers -------------------------------------------------

    /// `POST /api/2.0/authentication`; returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .send(Req::post("/api/2.0/authentication").json(json!({"userName": email, "password": password})))
            .await;
        assert_eq!(res.status, 200, "login of {email}: {}", res.text());
        res.json()["response"]["token"].as_str().expect("token").to_string()
    }

    /// The owner's session token (logged in once per server).
    pub async fn owner(&self) -> String {
        self.owner_token.get_or_init(|| self.login(OWNER_EMAIL, OWNER_PASSWORD)).await.clone()
    }

    /// Creates an API key with these permissions; returns the full key and the DTO.
    pub async fn api_key(&self, token: &str, permissions: &[&str]) -> (String, Value) {
        let res = self
            .send(Req::post("/api/2.0/keys").auth(token).json(json!({"name": "test key", "permissions": permissions})))
            .await;
        assert_eq!(res.status, 200, "create key: {}", res.text());
        let dto = res.json()["response"].clone();
        (dto["key"].as_str().expect("key").to_string(), dto)
    }

    /// The owner creates a user of `user_type`; returns that user's session token.
    pub async fn user(&self, email: &str, user_type: &str) -> String {
        let owner = self.owner().await;
        let res = self
            .send(Req::post("/api/2.0/people").auth(&owner).json(json!({
                "email": email, "firstName": "Test", "lastName": "User", "type": user_type, "password": "user-password-1"
            })))
            .await;
        assert_eq!(res.status, 200, "create user: {}", res.text());
        self.login(email, "user-password-1").await
    }

    /// Uploads into My Documents; returns the FileDto.
    pub async fn upload(&self, token: &str, name: &str, content: &[u8]) -> Value {
        let res = self.send(Req::post("/api/2.0/files/@my/upload").auth(token).multipart("File", name, content)).await;
        assert_eq!(res.status, 200, "upload {name}: {}", res.text());
        res.json()["response"][0].clone()
    }

    /// Uploads into My Documents; returns the file id.
    pub async fn upload_id(&self, token: &str, name: &str, content: &[u8]) -> i64 {
        self.upload(token, name, content).await["id"].as_i64().expect("file id")
    }

    /// `PUT file/{id}/links` that must succeed with a link; returns the FileShareDto.
    pub async fn put_link(&self, token: &str, file_id: i64, body: Value) -> Value {
        let res = self.send(Req::put(&format!("/api/2.0/files/file/{file_id}/links")).auth(token).json(body)).await;
        assert_eq!(res.status, 200, "PUT links: {}", res.text());
        let v = res.json();
        assert!(v["response"].is_object(), "PUT links returned no link: {v}");
        v["response"].clone()
    }

    /// A file owned by the owner with one additional link made from `body`;
    /// returns (file id, link id, share token).
    pub async fn shared_file(&self, name: &str, content: &[u8], body: Value) -> (i64, String, String) {
        let owner = self.owner().await;
        let id = self.upload_id(&owner, name, content).await;
        let link = self.put_link(&owner, id, body).await;
        (id, link_id(&link), token(&link))
    }

    pub async fn delete_link(&self, token: &str, file_id: i64, link_id: &str) {
        let res = self
            .send(
                Req::put(&format!("/api/2.0/files/file/{file_id}/links"))
                    .auth(token)
                    .json(json!({"linkId": link_id, "access": 0})),
            )
            .await;
        assert_eq!(res.status, 200, "delete link: {}", res.text());
        assert!(res.json().get("response").is_none());
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().expect("HTTP client")
}

pub fn now_micros() -> i64 {
    spacelinks_api_types::date::now_micros()
}

/// `sharedLink.id` of a FileShareDto.
pub fn link_id(link: &Value) -> String {
    link["sharedLink"]["id"].as_str().expect("sharedLink.id").to_string()
}

/// `sharedLink.requestToken` of a FileShareDto.
pub fn token(link: &Value) -> String {
    link["sharedLink"]["requestToken"].as_str().expect("sharedLink.requestToken").to_string()
}

// ---- requests and responses ------------------------------------------------

pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Vec<u8>,
    /// In-process only: the client address the server sees.
    pub peer: Option<IpAddr>,
}

impl Req {
    pub fn new(method: Method, path: &str) -> Self {
        Req { method, path: path.to_string(), headers: Vec::new(), body: Vec::new(), peer: None }
    }
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }
    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    pub fn header(mut self, name: impl TryInto<HeaderName>, value: impl Into<String>) -> Self {
        let name = name.try_into().ok().expect("header name");
        self.headers.push((name, value.into()));
        self
    }

    /// `Authorization: Bearer <token>` (a session token or an `sk-` key).
    pub fn auth(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }

    pub fn cookie(self, cookie: &str) -> Self {
        self.header(header::COOKIE, cookie)
    }

    pub fn share(self, token: &str) -> Self {
        self.header("request-token", token)
    }

    pub fn json(self, v: Value) -> Self {
        self.body("application/json", serde_json::to_vec(&v).unwrap())
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header(header::CONTENT_TYPE, content_type)
    }

    /// A multipart body with one file part.
    pub fn multipart(self, field: &str, file_name: &str, content: &[u8]) -> Self {
        let boundary = "----spacelinks-test-boundary-7d1f";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.body(&format!("multipart/form-data; boundary={boundary}"), body)
    }

    pub fn peer(mut self, ip: &str) -> Self {
        self.peer = Some(ip.parse().expect("IP address"));
        self
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII header").to_string())
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// The `name=value` part of the first Set-Cookie named `name`.
    pub fn cookie_pair(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .filter_map(|c| c.split(';').next().map(str::to_string))
            .find(|pair| pair.split_once('=').is_some_and(|(k, _)| k == name))
    }

    /// Asserts the DocSpace error envelope with this status, and returns its message.
    #[track_caller]
    pub fn assert_error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert!(self.content_type().starts_with("application/json"), "content type {:?}", self.content_type());
        let v = self.json();
        let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["error", "status", "statusCode"], "{v}");
        let err_keys: Vec<&str> = v["error"].as_object().expect("error object").keys().map(String::as_str).collect();
        assert_eq!(err_keys, ["message", "type", "stack", "hresult"], "{v}");
        assert_eq!(v["status"], 1);
        assert_eq!(v["statusCode"], status);
        let msg = v["error"]["message"].as_str().expect("message").to_string();
        assert!(!msg.is_empty());
        msg
    }

    /// Asserts an empty-bodied answer with this status (DocSpace's 401 and 429).
    #[track_caller]
    pub fn assert_empty(&self, status: u16) {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert!(self.body.is_empty(), "expected an empty body, got {:?}", self.text());
    }
}

// ---- comparing JSON with volatile values ----------------------------------

/// Replaces every string equal to one of `subs`' keys by its placeholder,
/// inside other strings too (URLs carry tokens), and every ApiDateTime
/// string by `<date>`.
pub fn scrub(v: &mut Value, subs: &[(&str, &str)]) {
    match v {
        Value::String(s) => {
            if is_api_date(s) {
                *s = "<date>".into();
                return;
            }
            for (from, to) in subs {
                if !from.is_empty() && s.contains(from) {
                    *s = s.replace(from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| scrub(i, subs)),
        Value::Object(m) => m.values_mut().for_each(|i| scrub(i, subs)),
        _ => {}
    }
}

/// `2026-06-30T10:13:11.1234560Z`.
pub fn is_api_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            27 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

pub fn header_value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

/// Equal as JSON *and* in key order (DocSpace clients do not depend on key
/// order, but the envelope's order is part of what we promise).
#[track_caller]
pub fn assert_json_exact(actual: &Value, expected: &Value) {
    let (a, e) = (serde_json::to_string_pretty(actual).unwrap(), serde_json::to_string_pretty(expected).unwrap());
    assert!(a == e, "JSON differs\n--- actual\n{a}\n--- expected\n{e}");
}

// ---- PostgreSQL --------------------------------------------------------------

/// A fresh schema in the PostgreSQL of `SPACELINKS_TEST_DATABASE_URL`, and a
/// database URL confined to it; `None` (after saying so) when unset.
pub struct PgSchema {
    pub url: String,
    admin: sqlx::PgPool,
    schema: String,
}

impl PgSchema {
    pub async fn create(test: &str) -> Option<PgSchema> {
        let url = match std::env::var("SPACELINKS_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                println!("skipped {test} on PostgreSQL: SPACELINKS_TEST_DATABASE_URL is unset");
                return None;
            }
        };
        let admin = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.expect("postgres");
        let schema = format!("spacelinks_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.expect("create schema");
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        Some(PgSchema { url, admin, schema })
    }

    /// Drops the schema. A server just dropped may still be flushing its
    /// access log into it, which PostgreSQL can report as a deadlock with
    /// the DROP: that is retried.
    pub async fn drop_schema(self) {
        let sql = format!("DROP SCHEMA {} CASCADE", self.schema);
        for _ in 0..20 {
            match sqlx::query(&sql).execute(&self.admin).await {
                Ok(_) => return,
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("40P01") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                Err(e) => panic!("drop schema: {e}"),
            }
        }
        panic!("drop schema: still deadlocked after 20 tries");
    }
}

// ---- A webhook receiver -------------------------------------------------------

/// One POST a `Receiver` got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver on 127.0.0.1:0: answers HEAD with 200 (DocSpace's
/// probe) and each POST with the next scripted status (200 once the script
/// is used up), recording what it got.
pub struct Receiver {
    pub url: String,
    got: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Delivery>>,
    script: Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Self {
        use axum::http::StatusCode;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let script: Arc<std::sync::Mutex<std::collections::VecDeque<u16>>> = Default::default();
        let answers = script.clone();
        let handler = move |method: Method, headers: HeaderMap, body: axum::body::Bytes| {
            let (tx, answers) = (tx.clone(), answers.clone());
            async move {
                if method != Method::POST {
                    return StatusCode::OK;
                }
                let _ = tx.send(Delivery { headers, body: body.to_vec() });
                let code = answers.lock().unwrap().pop_front().unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        };
        let app = Router::new().route("/hook", axum::routing::any(handler));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Receiver { url, got: tokio::sync::Mutex::new(rx), script, task }
    }

    /// The next POSTs are answered with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    /// The next delivery (a minute at most: a failure, not a timing check).
    pub async fn next(&self) -> Delivery {
        let mut rx = self.got.lock().await;
        tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
            .await
            .expect("no webhook delivery within a minute")
            .expect("receiver stopped")
    }

    /// A delivery already received, if any.
    pub async fn try_next(&self) -> Option<Delivery> {
        self.got.lock().await.try_recv().ok()
    }

    /// Deliveries until one with this `event.trigger` arrives.
    pub async fn next_of(&self, trigger: &str) -> Delivery {
        loop {
            let d = self.next().await;
            if d.json()["event"]["trigger"] == trigger {
                return d;
            }
        }
    }
}

/// Loopback is private; test servers deliver there.
pub fn allow_loopback(c: &mut Config) {
    c.webhook_allowed_networks = vec!["127.0.0.0/8".parse().unwrap()];
}
