//! The HTTP routes and the router that serves them (also used directly by tests).

pub mod health;
pub mod openapi;
pub mod webhook;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    middleware::{from_fn, from_fn_with_state},
    routing::{get, post},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{WebhookKeys, require_webhook_key},
    error::{ApiError, MAX_BODY_BYTES},
    orders_client::OrdersClient,
    signature::WebhookSigning,
};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The orders service.
    pub orders: OrdersClient,
    /// The accepted `X-Webhook-Key` values.
    pub keys: WebhookKeys,
    /// The secrets `X-Webhook-Signature` must be made with; `None`: no signature required.
    pub signing: Option<WebhookSigning>,
}

/// The facade's routes:
/// - `POST /api/webhooks/payment/` (and without the trailing slash): the payment webhook,
///   behind the key check and a 64 KiB body limit (and the signature check, in the handler,
///   when signing is enabled);
/// - `GET /api/openapi.json`: its OpenAPI document;
/// - `GET /metrics`: the process's Prometheus metrics;
/// - `GET /healthz` (liveness) and `GET /readyz` (the orders service is serving).
pub fn router(state: AppState) -> Router {
    // The documented path comes from the handler's `#[utoipa::path]`, so the document cannot
    // drift from what is served.
    let (webhook, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(webhook::payment_webhook))
        .split_for_parts();
    let webhook = webhook
        // Django would have redirected the slash-less path, which a POST cannot follow
        // reliably; serving both is what the provider can count on.
        .route(webhook::PATH_WITHOUT_SLASH, post(webhook::payment_webhook))
        // A route layer: only these routes need the key, and 404s stay 404s.
        .route_layer(from_fn_with_state(state.keys.clone(), require_webhook_key))
        // Outermost on the webhook routes, so refusals are counted and traced too.
        .route_layer(from_fn(crate::observe::observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let document = Arc::new(document);
    Router::new()
        .merge(webhook)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        )
        .route("/metrics", get(|| async { shop_common::metrics::render() }))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .fallback(|| async { ApiError::NoRoute })
        // For every route above; axum still adds the `Allow` header.
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}
