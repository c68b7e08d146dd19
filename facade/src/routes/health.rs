//! Liveness and readiness probes.

use axum::{Json, extract::State};
use serde::Serialize;

use crate::{error::ApiError, routes::AppState};

/// Body of a successful probe.
#[derive(Debug, Serialize)]
pub struct Probe {
    /// `ok` (alive) or `ready`.
    pub status: &'static str,
}

/// `GET /healthz`: 200 while the process serves HTTP at all.
pub async fn live() -> Json<Probe> {
    Json(Probe { status: "ok" })
}

/// `GET /readyz`: 200 only when the orders service answers the standard health check for
/// `shop.orders.v1.OrderService` with SERVING; otherwise 503, since webhooks would fail.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Probe>, ApiError> {
    // Probes come every few seconds: no trace for them.
    match shop_common::telemetry::unsampled(state.orders.is_serving()).await {
        Ok(true) => Ok(Json(Probe { status: "ready" })),
        Ok(false) => {
            tracing::debug!("not ready: the orders service is not serving");
            Err(ApiError::Unavailable)
        }
        Err(status) => {
            tracing::debug!(grpc_code = ?status.code(), grpc_message = status.message(), "not ready: orders health check failed");
            Err(ApiError::Unavailable)
        }
    }
}
