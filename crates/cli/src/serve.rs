//! `spacelinks serve`: flags and `SPACELINKS_*` variables → `Config` → server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use spacelinks_server::Config;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SPACELINKS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Data directory: SQLite database, blobs and the server secret.
    #[arg(long, env = "SPACELINKS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "SPACELINKS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// `file:///path`, or `s3://BUCKET[/PREFIX]` with the `AWS_*` variables (AWS_ENDPOINT,
    /// AWS_REGION, AWS_ACCESS_KEY_ID, ...); default: `blobs/` in the data directory.
    #[arg(long, env = "SPACELINKS_BLOB_URL")]
    blob_url: Option<String>,
    /// Base URL in share links; default: `http://<listen>`.
    #[arg(long, env = "SPACELINKS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Proxies (IP or CIDR) whose X-Forwarded-For and X-Forwarded-Proto are believed.
    #[arg(long = "trusted-proxy", env = "SPACELINKS_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
    /// Largest upload, in MiB.
    #[arg(long, env = "SPACELINKS_MAX_UPLOAD_MB", default_value_t = 100)]
    max_upload_mb: u64,
    /// Shortest link password allowed (DocSpace's default is 8).
    #[arg(long, env = "SPACELINKS_LINK_PASSWORD_MIN", default_value_t = 8)]
    link_password_min: usize,
    /// Previous versions kept per file, besides the current one.
    #[arg(long, env = "SPACELINKS_KEEP_VERSIONS", default_value_t = 10)]
    keep_versions: u32,
    /// Days to keep the per-link access log (opens, downloads, passwords); 0 keeps it forever.
    #[arg(long, env = "SPACELINKS_EVENT_RETENTION_DAYS", default_value_t = 90)]
    event_retention_days: u32,
    /// Networks (CIDR) webhooks may be delivered to although the SSRF guard
    /// refuses private ranges (an intranet receiver, tests on loopback).
    #[arg(long = "webhook-allowed-network", env = "SPACELINKS_WEBHOOK_ALLOWED_NETWORKS", value_delimiter = ',')]
    webhook_allowed_networks: Vec<String>,
    /// Serve Prometheus metrics (`GET /metrics`, no authentication) on this
    /// address, e.g. 127.0.0.1:9090; the main address never serves them.
    #[arg(long, env = "SPACELINKS_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Keep link lookups (the link and its file) in memory for at most one
    /// second, invalidated by every change on this node and, on PostgreSQL,
    /// by LISTEN/NOTIFY from the others; `off` reads the database on every
    /// recipient request.
    #[arg(long, env = "SPACELINKS_LINK_CACHE", value_enum, default_value_t = Switch::On)]
    link_cache: Switch,
    /// Log lines as text or as JSON objects (one per line, for log shippers).
    #[arg(long, env = "SPACELINKS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr; colours only when it is a terminal (not in files or
/// the journal).
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    init_logs(args.log_format);
    // Idle blocking threads (Argon2id, file reads) exit after a second rather
    // than ten: each keeps what it allocated cached for as long as it lives
    // (19 MiB after a password check).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("spacelinks: {e:#}");
    ExitCode::FAILURE
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::with_data_dir(args.data_dir);
    config.listen = args.listen;
    config.database_url = args.database_url.filter(|s| !s.is_empty());
    config.blob_url = args.blob_url.filter(|s| !s.is_empty());
    config.public_url = args.public_url.filter(|s| !s.is_empty());
    config.trusted_proxies = spacelinks_server::config::parse_trusted_proxies(&args.trusted_proxies)?;
    config.max_upload_bytes = args.max_upload_mb * 1024 * 1024;
    config.link_password_min_len = args.link_password_min;
    config.keep_versions = i64::from(args.keep_versions);
    config.event_retention_days = args.event_retention_days;
    config.webhook_allowed_networks =
        spacelinks_server::config::parse_networks(&args.webhook_allowed_networks, "--webhook-allowed-network")?;
    config.link_cache = args.link_cache == Switch::On;
    config.owner_email = std::env::var("SPACELINKS_OWNER_EMAIL").unwrap_or_else(|_| "admin@localhost".into());
    config.owner_password = std::env::var("SPACELINKS_OWNER_PASSWORD").ok().filter(|s| !s.is_empty());
    config.secret_key = std::env::var("SPACELINKS_SECRET_KEY").ok().filter(|s| !s.is_empty());

    spacelinks_server::metrics::install();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let bound = listener.local_addr()?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await?),
        None => None,
    };
    let owner = config.owner_email.clone();
    let app = spacelinks_server::build(config, bound).await?;
    if let Some(l) = metrics_listener {
        let addr = l.local_addr()?;
        let router = spacelinks_server::metrics::router(app.state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(l, router).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        println!("Metrics on http://{addr}/metrics");
    }
    println!("spacelinks listening on {}", app.state.public_url);
    println!("Open {}/ in a browser and sign in as {owner}", app.state.public_url);
    tracing::info!(addr = %bound, backend = app.state.svc.store.backend(), "listening");
    spacelinks_server::serve(listener, app).await
}
