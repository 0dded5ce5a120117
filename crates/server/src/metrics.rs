//! Prometheus metrics. Code records through the `metrics` facade
//! (`metrics::counter!` and friends, also in the store crate); this module
//! installs the recorder once per process and renders the text format.
//!
//! Label values come from small fixed sets only: the route *template*
//! (`/api/2.0/files/file/{fileId}/links`), the method, the status code, an
//! event kind. Never an id, a token, a file name or an address.
//!
//! `/metrics` is served only on the separate `--metrics-listen` address,
//! without authentication: bind it to loopback or a private network that
//! only the scraper reaches. The main listener does not serve it.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock, RwLock};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Latency buckets in seconds: from a cached link lookup to a large download.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Installs the process-wide recorder (once; later calls reuse it). Before
/// this, recorded values go nowhere.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .expect("non-empty buckets");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed (an embedding program's):
        // then ours renders nothing, which is all we can do.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        // Histogram samples wait in buckets until a render or an upkeep
        // drains them: without this, a server nobody scrapes grew by every
        // request's latency sample (about 10 MiB per 500,000 requests).
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        });
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("spacelinks_http_requests_total", "HTTP requests by method, route template and status");
    describe_histogram!(
        "spacelinks_http_request_duration_seconds",
        Unit::Seconds,
        "Time to the response head, by method and route template"
    );
    describe_counter!(
        "spacelinks_link_events_total",
        "Link events by kind: opened, password_ok, password_failed, locked_out, downloaded, uploaded, refused"
    );
    describe_counter!("spacelinks_bytes_served_total", Unit::Bytes, "File content bytes sent to clients");
    describe_counter!("spacelinks_blob_errors_total", "Blob store failures by operation");
    describe_gauge!("spacelinks_db_pool_connections", "Database pool connections by state (in_use, idle)");
}

/// The router of the metrics listener: `GET /metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    install();
    Router::new().route("/metrics", get(render)).with_state(state)
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let (size, idle) = state.pool_usage.as_ref().map(|f| f()).unwrap_or((0, 0));
    metrics::gauge!("spacelinks_db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("spacelinks_db_pool_connections", "state" => "idle").set(f64::from(idle));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], install().render())
}

/// Counts one request; called by the request-log middleware.
pub fn record_request(method: &axum::http::Method, route: &str, status: u16, elapsed: std::time::Duration) {
    let method = method_label(method);
    let (requests, duration) = request_handles(method, route, status);
    requests.increment(1);
    duration.record(elapsed.as_secs_f64());
}

/// The handles of one (route, method, status): looked up in the recorder
/// once, then kept, since building the labels and finding them again cost
/// a few per cent of a cached link resolve. Routes and methods are a fixed
/// set and statuses a small one, so this map stays small.
fn request_handles(method: &'static str, route: &str, status: u16) -> (Counter, Histogram) {
    type Handles = HashMap<Box<str>, Vec<(&'static str, u16, Counter, Histogram)>>;
    static HANDLES: LazyLock<RwLock<Handles>> = LazyLock::new(Default::default);
    let find = |map: &Handles| {
        map.get(route)?.iter().find(|h| h.0 == method && h.1 == status).map(|h| (h.2.clone(), h.3.clone()))
    };
    kept(&HANDLES, find, |map| {
        let route_label = route.to_string();
        let requests = metrics::counter!("spacelinks_http_requests_total",
            "method" => method, "route" => route_label.clone(), "status" => status.to_string());
        let duration =
            metrics::histogram!("spacelinks_http_request_duration_seconds", "method" => method, "route" => route_label);
        map.entry(route.into()).or_default().push((method, status, requests.clone(), duration.clone()));
        (requests, duration)
    })
}

/// The counter of link events of one kind (`EventKind::stored`), kept as
/// the request handles are: a visit counts one on the hot path.
pub fn link_events(kind: &'static str) -> Counter {
    static HANDLES: LazyLock<RwLock<Vec<(&'static str, Counter)>>> = LazyLock::new(Default::default);
    let find = |list: &Vec<(&'static str, Counter)>| list.iter().find(|h| h.0 == kind).map(|h| h.1.clone());
    kept(&HANDLES, find, |list| {
        let counter = metrics::counter!("spacelinks_link_events_total", "kind" => kind);
        list.push((kind, counter.clone()));
        counter
    })
}

/// A kept handle: `find` under the read lock, else under the write lock
/// `find` again or `make` it (and keep it). Made only once our recorder is
/// installed: a handle made against the no-op recorder stays no-op.
fn kept<M, H>(handles: &RwLock<M>, find: impl Fn(&M) -> Option<H>, make: impl FnOnce(&mut M) -> H) -> H {
    if let Some(found) = find(&handles.read().unwrap_or_else(|e| e.into_inner())) {
        return found;
    }
    install();
    let mut map = handles.write().unwrap_or_else(|e| e.into_inner());
    find(&map).unwrap_or_else(|| make(&mut map))
}

/// The counter of file bytes sent to clients.
pub fn bytes_served() -> Counter {
    static HANDLE: LazyLock<Counter> = LazyLock::new(|| {
        install();
        metrics::counter!("spacelinks_bytes_served_total")
    });
    HANDLE.clone()
}

/// The method as a label from a fixed set: anything unusual is `other`.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
