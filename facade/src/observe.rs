//! What every webhook gets around it: a request id (the provider's `X-Request-Id`, or a new
//! one, returned in the response), a trace context (the provider's `traceparent`, or a new
//! trace) carried on to orders and inventory, a `webhook` span holding both, the
//! `shop_webhooks_total{outcome,status}` count, and its one log line.

use std::time::Instant;

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use shop_common::trace::{self, RequestContext, TraceContext};
use tracing::{Instrument, Level};

use crate::outcome::WebhookOutcome;

/// The request id header, in both directions.
pub const REQUEST_ID: &str = "x-request-id";

/// Axum middleware; see the module documentation.
pub async fn observe(request: Request, next: Next) -> Response {
    let (parent, request_id) = {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        (
            header("traceparent").and_then(TraceContext::parse),
            trace::sanitize_request_id(header(REQUEST_ID)),
        )
    };
    let trace = parent.map_or_else(TraceContext::root, |p| p.child());
    let span = tracing::info_span!(
        "webhook",
        request_id = %request_id,
        trace_id = %trace.trace_id_hex(),
        span_id = %trace.span_id_hex(),
        parent_span_id = %parent.map(|p| p.span_id_hex()).unwrap_or_default(),
    );
    let context = RequestContext {
        trace,
        request_id: Some(request_id.clone()),
    };
    let started = Instant::now();
    let mut response = trace::scope(context, next.run(request))
        .instrument(span.clone())
        .await;
    let latency = started.elapsed();
    let http_status = response.status();
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
