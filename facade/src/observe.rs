//! What every webhook gets around it: a request id (the provider's `X-Request-Id`, or a new
//! one, returned in the response), a trace context (the provider's `traceparent` and
//! `tracestate`, or a new trace) carried on to orders and inventory, a `webhook` span holding
//! both (exported when traces are on), the `shop_webhooks_total{outcome,status}` count, the
//! `shop_webhook_duration_seconds{outcome}` latency, and its one log line.

use std::time::Instant;

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use opentelemetry::context::FutureExt as _;
use shop_common::telemetry;
use tracing::{Instrument, Level, field::Empty};

use crate::outcome::WebhookOutcome;

/// The request id header, in both directions.
pub const REQUEST_ID: &str = telemetry::REQUEST_ID;

/// Axum middleware; see the module documentation.
pub async fn observe(request: Request, next: Next) -> Response {
    let request_id = telemetry::sanitize_request_id(
        request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok()),
    );
    let span = tracing::info_span!(
        "webhook",
        otel.name = %format_args!("{} {}", request.method(), request.uri().path()),
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        http.response.status_code = Empty,
        request_id = %request_id,
        trace_id = Empty,
        span_id = Empty,
    );
    let context = telemetry::continue_trace(&span, request.headers(), Some(request_id.clone()));
    let started = Instant::now();
    let mut response = next
        .run(request)
        .with_context(context)
        .instrument(span.clone())
        .await;
    let latency = started.elapsed();
    let http_status = response.status();
    span.record("http.response.status_code", http_status.as_u16());
    let label = match response.extensions().get::<WebhookOutcome>() {
        Some(outcome) => {
            span.in_scope(|| log(outcome, http_status.as_u16(), latency));
            outcome.label
        }
        None => "unknown",
    };
    metrics::counter!(
        "shop_webhooks_total",
        "outcome" => label,
        "status" => http_status.as_str().to_owned(),
    )
    .increment(1);
    metrics::histogram!("shop_webhook_duration_seconds", "outcome" => label)
        .record(latency.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The webhook's one log line, as loud as its outcome says.
fn log(outcome: &WebhookOutcome, http_status: u16, latency: std::time::Duration) {
    // `tracing`'s macros take the level as a constant, hence one call per level.
    macro_rules! line {
        ($macro:ident) => {
            tracing::$macro!(
                http_status,
                outcome = outcome.label,
                order_id = outcome.order_id.map(tracing::field::display),
                status = outcome.report,
                error = outcome.cause.as_deref(),
                ?latency,
                "{}",
                outcome.message
            )
        };
    }
    match outcome.level {
        Level::ERROR => line!(error),
        Level::WARN => line!(warn),
        _ => line!(info),
    }
}
