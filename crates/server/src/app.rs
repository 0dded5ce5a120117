//! Wiring: open the database and blob store, load or create the server
//! secret, make the first owner, build the router, serve until a signal.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use rand::RngCore;
use spacelinks_api_types::date::now_micros;
use spacelinks_api_types::UserType;
use spacelinks_core::crypto::{hash_account_password, new_password, Secrets};
use spacelinks_core::links::PasswordPolicy;
use spacelinks_core::service::{LockoutPolicy, Services};
use spacelinks_core::{NewUser, Store};
use spacelinks_store::{Blobs, Db};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;
use crate::events::EventSink;
use crate::{auth, error, routes};

#[derive(Clone)]
pub struct AppState {
    pub svc: Services,
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub public_url: Arc<str>,
    pub events: EventSink,
    /// Verified against when the user does not exist, so that a login for an
    /// unknown e-mail costs as much as a wrong password.
    pub dummy_hash: Arc<str>,
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
    let store: Arc<dyn Store> = Arc::new(db);
    ensure_owner(store.as_ref(), &config).await?;
    let svc = Services {
        store: store.clone(),
        secrets,
        passwords: PasswordPolicy { min_len: config.link_password_min_len, ..PasswordPolicy::default() },
        lockout: LockoutPolicy::default(),
    };
    let dummy_hash = tokio::task::spawn_blocking(|| hash_account_password("not a real password")).await??;
    let state = AppState {
        events: EventSink::start(store),
        public_url: config.public_url(bound).into(),
        svc,
        blobs,
        config: Arc::new(config),
        dummy_hash: dummy_hash.into(),
    };
    let router = router(state.clone());
    Ok(App { state, router })
}

pub fn router(state: AppState) -> Router {
    let max_upload = state.config.max_upload_bytes as usize;
    routes::routes()
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::browser_caller))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(DefaultBodyLimit::max(max_upload + 64 * 1024))
        .layer(axum::middleware::from_fn(error::json_error_bodies))
        .layer(axum::middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// One log line per request with the matched route template, never the raw
/// URL: share tokens and file names live in URLs.
async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".into());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::info!(%method, route, status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    res
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
pub async fn serve(listener: TcpListener, app: App) -> anyhow::Result<()> {
    let service = app.router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
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

/// The master secret: from configuration, or `secret.key` in the data
/// directory, created with 256 random bits on first start.
fn load_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &config.secret_key {
        anyhow::ensure!(s.len() >= 32, "the secret key must be at least 32 characters");
        return Ok(s.as_bytes().to_vec());
    }
    let path = config.data_dir.join("secret.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return hex::decode(s.trim()).context("secret.key is not hex");
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    write_private(&path, &hex::encode(key))?;
    Ok(key.to_vec())
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
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
