//! Liveness and readiness. `/healthz` answers as long as the process serves
//! HTTP; `/readyz` also proves the database answers a query and the blob
//! store takes a write, so a load balancer stops sending traffic to a node
//! that cannot serve it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::json_error;

pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(
    get, path = "/readyz", tag = "server", security(()),
    responses(
        (status = 200, description = "The database answers and the blob store takes a write", content_type = "text/plain", body = String, example = "ok"),
        (status = 503, description = "Not ready: the part that failed is named", body = crate::openapi::ErrorBody),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.svc.store.count_users().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "Not ready: the database does not answer");
    }
    if let Err(e) = state.blobs.probe().await {
        tracing::warn!(error = %e, "readiness: the blob store does not take a write");
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "Not ready: the blob store does not take a write");
    }
    "ok".into_response()
}
