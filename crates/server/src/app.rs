//! Wiring: open the database and blob store, load or create the server
//! secret, make the first owner, build the router, serve until a signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use rand::RngCore;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::UserType;
use spacelinks_core::cached_store::CachedStore;
use spacelinks_core::crypto::{hash_account_password, new_password, Secrets};
use spacelinks_core::link_cache::{InvalidationBus, LinkCache};
use spacelinks_core::links::PasswordPolicy;
use spacelinks_core::service::{LockoutPolicy, Services};
use spacelinks_core::{NewUser, Store};
use spacelinks_store::cache_bus::{self, PgBus};
use spacelinks_store::{Blobs, Db};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::events::EventSink;
use crate::scope::ScopeTable;
use crate::{auth, error, jobs, limits, routes};

/// What every handler and middleware reads; one `Arc`, since axum clones
/// the state for each middleware of each request (the clones of the fields
/// themselves were a tenth of a link resolve's CPU).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub svc: Services,
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub public_url: Arc<str>,
    pub events: EventSink,
    /// Verified against when the user does not exist, so that a login for an
    /// unknown e-mail costs as much as a wrong password.
    pub dummy_hash: Arc<str>,
    /// Permits for Argon2 verifications (`auth::check_password`).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// This node's webhook outbox runner: its wake-up and claim name.
    pub webhooks: Arc<crate::webhooks::Hub>,
    /// The database pool's (size, idle) connections, for `/metrics`.
    pub pool_usage: Option<Arc<dyn Fn() -> (u32, u32) + Send + Sync>>,
    /// The link cache (`None` with `--link-cache off`) and its PostgreSQL
    /// listener, which stops when the last clone of the state is dropped.
    pub link_cache: Option<LinkCacheHandle>,
}

/// This node's link cache and the task that listens for other nodes'
/// changes (PostgreSQL only).
#[derive(Clone)]
pub struct LinkCacheHandle {
    pub cache: Arc<LinkCache>,
    _listener: Option<Arc<AbortOnDrop>>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The store the services use: the database, behind the link cache unless
/// `--link-cache off` (`core::cached_store`).
fn wrap_store(db: Db, config: &Config) -> (Arc<dyn Store>, Option<LinkCacheHandle>) {
    if !config.link_cache {
        return (Arc::new(db), None);
    }
    let cache = Arc::new(LinkCache::new());
    let node = uuid::Uuid::new_v4();
    let bus = PgBus::new(&db, &node).map(|b| Arc::new(b) as Arc<dyn InvalidationBus>);
    let listener = bus
        .is_some()
        .then(|| Arc::new(AbortOnDrop(cache_bus::spawn_listener(config.database_url(), &node, cache.clone()))));
    let store = CachedStore::new(Arc::new(db), cache.clone(), bus);
    (Arc::new(store), Some(LinkCacheHandle { cache, _listener: listener }))
}

pub struct App {
    pub state: AppState,
    pub router: Router,
}

/// Opens storage and builds the app for a server bound to `bound`.
pub async fn build(config: Config, bound: SocketAddr) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let db = Db::open(&config.database_url()).await.context("cannot open the database")?;
    let blobs = Blobs::open(&config.blob_url()).context("cannot open the blob store")?;
    let secrets = Secrets::from_master(&load_secret(&config)?);
    let pool = db.clone();
    let pool_usage: Arc<dyn Fn() -> (u32, u32) + Send + Sync> = Arc::new(move || pool.pool_usage());
    let (store, link_cache) = wrap_store(db, &config);
    ensure_owner(store.as_ref(), &config).await?;
    let svc = Services {
        store: store.clone(),
        secrets,
        passwords: PasswordPolicy { min_len: config.link_password_min_len, ..PasswordPolicy::default() },
        lockout: LockoutPolicy::default(),
        keep_versions: config.keep_versions,
    };
    let dummy_hash = tokio::task::spawn_blocking(|| hash_account_password("not a real password")).await??;
    let password_checks = Arc::new(tokio::sync::Semaphore::new(config.password_check_permits.max(1)));
    let state = AppState(Arc::new(AppStateInner {
        password_checks,
        pool_usage: Some(pool_usage),
        link_cache,
        events: EventSink::start(store),
        public_url: config.public_url(bound).into(),
        svc,
        blobs,
        config: Arc::new(config),
        dummy_hash: dummy_hash.into(),
        webhooks: Default::default(),
    }));
    let router = router(state.clone());
    Ok(App { state, router })
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let parts = routes::routes().into_parts();
    let gate = auth::AuthGate { state: state.clone(), scopes: Arc::new(ScopeTable::new(&parts.table)) };
    // Small bodies and a request timeout everywhere but the uploads, which
    // stream for as long as they keep sending. A timeout answers 408 (in
    // the JSON envelope, from `json_error_bodies`).
    // The web app's pages are not in the API's table: API keys are refused there.
    let small = parts
        .small
        .merge(crate::web::routes())
        .route_layer(DefaultBodyLimit::max(limits::SMALL_BODY_LIMIT))
        .route_layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout));
    let uploads = parts
        .uploads
        .merge(crate::web::upload_routes())
        .route_layer(DefaultBodyLimit::max(config.max_upload_bytes as usize + 64 * 1024))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), limits::idle_body_timeout));
    let routed = small.merge(uploads).layer(axum::middleware::from_fn_with_state(gate, pipeline)).with_state(state);
    // What needs no route is wrapped around the router once, not around
    // each of its routes.
    Router::new().fallback_service(routed).layer(CatchPanicLayer::custom(error::panic_response)).layer(
        SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    )
}

/// The one middleware of every route (and of the unmatched-path fallback),
/// outermost step first: the request log and metrics, JSON error bodies,
/// authentication with the route's API-key scope, the web app's session.
/// One layer rather than four: axum clones every service below a layer for
/// each request it passes, which made four layers a tenth of a cached link
/// resolve's CPU time.
async fn pipeline(State(gate): State<auth::AuthGate>, req: Request, next: Next) -> Response {
    log_request(req, |req| {
        error::json_error_bodies(req, |req| {
            auth::authenticate(&gate, req, |req| crate::web::browser_caller(&gate.state, req, next))
        })
    })
    .await
}

/// One log line per request with the matched route template, never the raw
/// URL: share tokens and file names live in URLs.
async fn log_request<F: Future<Output = Response>>(req: Request, next: impl FnOnce(Request) -> F) -> Response {
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("(unmatched)", MatchedPath::as_str);
    let started = std::time::Instant::now();
    let res = next(req).await;
    let elapsed = started.elapsed();
    crate::metrics::record_request(&method, route, res.status().as_u16(), elapsed);
    tracing::info!(%method, route, status = res.status().as_u16(), ms = elapsed.as_millis() as u64, "request");
    res
}

const HYPER_BUF: usize = 128 * 1024;

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
pub async fn serve(listener: TcpListener, app: App) -> anyhow::Result<()> {
    serve_until(listener, app, shutdown_signal()).await
}

/// Serves until `signal` completes, then stops accepting, lets open
/// requests finish for up to `shutdown_grace`, and closes what is left.
/// Hyper's own connection loop (rather than `axum::serve`) for the
/// header-read timeout; `ConnectInfo<SocketAddr>` works as with
/// `axum::serve`.
pub async fn serve_until(
    listener: TcpListener,
    app: App,
    signal: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;

    let config = app.state.config.clone();
    let jobs = jobs::start(app.state.clone());
    let webhooks = crate::webhooks::deliver::start(app.state.clone());
    let mut make_service = app.router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_read_timeout);
    // What one connection may hold in hyper's buffers: reads of a request
    // and response bytes queued for the socket. Hyper's default (~400 KiB)
    // let each download hold two file chunks and more: 32 downloads kept
    // ~22 MiB resident. Chunks are 128 KiB (`store::blobs`), so one is
    // queued while the next is read.
    http.max_buf_size(HYPER_BUF);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Closing this channel closes every connection still open after the grace period.
    let (force_close, closed) = tokio::sync::watch::channel(());
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, most likely: breathe, then retry.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let Ok(service) = make_service.call(peer).await;
        let service = hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
            service,
            |req: axum::http::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
        ));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let mut closed = closed.clone();
        tokio::spawn(async move {
            tokio::select! {
                result = conn => if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                _ = closed.changed() => {}
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!(grace = ?config.shutdown_grace, "closing connections still open after the grace period");
        }
    }
    drop(force_close);
    jobs.stop().await;
    if let Some(w) = webhooks {
        w.stop().await;
    }
    app.state.events.flush().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// The master secret: `SPACELINKS_SECRET_KEY`, else `secret.key` in the
/// data directory, created with 256 random bits on first start. Both hold
/// the same format, 64 hex digits (32 bytes), so either can be copied into
/// the other; anything else is refused at start rather than used as a weak
/// or different key. `raw:<passphrase>` keeps the key of an installation
/// that set a passphrase before this format existed (used as raw bytes).
fn load_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.secret_key {
        return parse_secret(s, true).with_context(|| "SPACELINKS_SECRET_KEY is not a valid secret".to_string());
    }
    let path = config.data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(s) => return parse_secret(&s, false).with_context(|| format!("{} is not a valid secret", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    if !create_private(&path, &format!("{}\n", hex::encode(key)))? {
        // Another node created it first: use theirs.
        let s = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        return parse_secret(&s, false).with_context(|| format!("{} is not a valid secret", path.display()));
    }
    Ok(key.to_vec())
}

const SECRET_FORMAT: &str = "expected 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`";

/// 64 hex digits, surrounding white space ignored. With `allow_raw`,
/// `raw:` followed by at least 32 characters is taken as raw bytes.
fn parse_secret(value: &str, allow_raw: bool) -> anyhow::Result<Vec<u8>> {
    if let Some(raw) = value.strip_prefix("raw:").filter(|_| allow_raw) {
        anyhow::ensure!(
            raw.len() >= 32,
            "a raw: secret needs at least 32 characters after the prefix ({SECRET_FORMAT} otherwise)"
        );
        return Ok(raw.as_bytes().to_vec());
    }
    let hex_digits = value.trim();
    anyhow::ensure!(hex_digits.len() == 64, "{SECRET_FORMAT}; found {} characters", hex_digits.len());
    hex::decode(hex_digits).map_err(|_| anyhow::anyhow!("{SECRET_FORMAT}; found characters that are not hex digits"))
}

/// Creates `path` (mode 0600) with `contents`, never a half-written file:
/// written to a temporary file, synced, then linked into place, which fails
/// if `path` appeared meanwhile (two nodes starting at once). Returns false
/// when another process created `path` first.
fn create_private(path: &std::path::Path, contents: &str) -> anyhow::Result<bool> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".secret.key.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = (|| -> anyhow::Result<bool> {
        let mut f = opts.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        drop(f);
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
        // The new directory entry must survive a crash too.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(true)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

/// Creates the first owner when the database has no users. A generated
/// password is printed once, to stdout, never to the log.
async fn ensure_owner(store: &dyn Store, config: &Config) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match &config.owner_password {
        Some(p) => (p.clone(), false),
        None => (new_password(16), true),
    };
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_account_password(&pw)).await??;
    let owner = NewUser {
        email: config.owner_email.clone(),
        first_name: "Owner".into(),
        last_name: String::new(),
        password_hash: hash,
        user_type: UserType::DocSpaceAdmin,
        is_owner: true,
    };
    store.create_user(&owner, now_micros()).await?;
    if generated {
        println!("Created the owner account {} with password: {password}", config.owner_email);
        println!("(shown only once; set SPACELINKS_OWNER_PASSWORD to choose it)");
    } else {
        println!("Created the owner account {}", config.owner_email);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nodes starting at once on one data directory agree on one key, and
    /// nobody ever reads a half-written file.
    #[test]
    fn concurrent_first_starts_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::with_data_dir(dir.path());
        let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| load_secret(&config).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| k.len() == 32 && *k == keys[0]));
        let on_disk = std::fs::read_to_string(dir.path().join("secret.key")).unwrap();
        assert_eq!(hex::decode(on_disk.trim()).unwrap(), keys[0]);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["secret.key"], "temporary files left behind");
    }
}
