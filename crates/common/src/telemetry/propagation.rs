//! The context that crosses process boundaries: the W3C trace context (`traceparent` and
//! `tracestate`, read and written by OpenTelemetry's `TraceContextPropagator`) and the
//! webhook's request id (`x-request-id`).
//!
//! The facade continues (or starts) a trace for each webhook; every gRPC call carries it in
//! its metadata, over the network or in process alike; every server continues it in its
//! span. That span's OpenTelemetry context becomes the current one while the request runs,
//! so outgoing calls ([`inject_grpc`]) and the invoice job ([`current_traceparent`]) carry
//! it on. With the OpenTelemetry layer installed the span is a real, exported span; without
//! it, a span context is made up here for the logs alone (the `trace_id` and `span_id`
//! fields), and travels the same way.

use std::{collections::HashMap, sync::Arc};

use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{SpanContext, TraceContextExt as _, TraceFlags, TraceState},
};
use opentelemetry_sdk::{
    propagation::TraceContextPropagator,
    trace::{IdGenerator as _, RandomIdGenerator},
};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing::field::display;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The request id header, in both directions.
pub const REQUEST_ID: &str = "x-request-id";

/// The webhook's request id, carried in the OpenTelemetry context of everything it causes.
#[derive(Debug, Clone)]
struct RequestId(Arc<str>);

/// HTTP headers (or gRPC metadata, which are HTTP/2 headers) to read a context from.
struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// gRPC metadata to write a context into.
struct Metadata<'a>(&'a mut MetadataMap);

impl Injector for Metadata<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Continues the trace of an incoming request (its `traceparent` and `tracestate`, or a new
/// trace) in `span`, which must declare empty `trace_id` and `span_id` fields: they are
/// recorded here, for the logs. Returns the context to run the request in (see
/// `opentelemetry::context::FutureExt::with_context`); it carries `request_id` on.
pub fn continue_trace(
    span: &tracing::Span,
    headers: &http::HeaderMap,
    request_id: Option<String>,
) -> Context {
    let mut parent = TraceContextPropagator::new().extract(&Headers(headers));
    if let Some(id) = request_id {
        parent = parent.with_value(RequestId(id.into()));
    }
    continue_from(span, parent)
}

/// Continues the trace of the request that queued a job, from the `traceparent` it stored,
/// in `span` (declared as for [`continue_trace`]): the span is that request's child, and
/// also linked to it (the messaging convention for work taken from a queue). A new trace
/// when nothing (or nothing valid) was stored.
pub fn link_to_traceparent(span: &tracing::Span, traceparent: Option<&str>) -> Context {
    let fields: HashMap<String, String> = traceparent
        .map(|value| ("traceparent".to_owned(), value.to_owned()))
        .into_iter()
        .collect();
    let parent = TraceContextPropagator::new().extract(&fields);
    let queued_by = parent.span().span_context().clone();
    if queued_by.is_valid() {
        span.add_link(queued_by);
    }
    continue_from(span, parent)
}

fn continue_from(span: &tracing::Span, parent: Context) -> Context {
    let exported = match span.set_parent(parent.clone()) {
        Ok(()) => Some(span.context()),
        // No OpenTelemetry layer (traces are off), or the span is disabled.
        Err(_) => None,
    };
    let context = exported
        .filter(|context| context.span().span_context().is_valid())
        .unwrap_or_else(|| for_logs_only(&parent));
    let ids = context.span().span_context().clone();
    span.record("trace_id", display(ids.trace_id()));
    span.record("span_id", display(ids.span_id()));
    context
}

/// A child of `parent` (or a new trace) that is never exported: it only gives the logs a
/// span id, and outgoing calls the trace to continue.
fn for_logs_only(parent: &Context) -> Context {
    let ids = RandomIdGenerator::default();
    let remote = parent.span().span_context().clone();
    let (trace_id, flags, state) = if remote.is_valid() {
        (
            remote.trace_id(),
            remote.trace_flags(),
            remote.trace_state().clone(),
        )
    } else {
        (
            ids.new_trace_id(),
            TraceFlags::SAMPLED,
            TraceState::default(),
        )
    };
    parent.with_remote_span_context(SpanContext::new(
        trace_id,
        ids.new_span_id(),
        flags,
        false,
        state,
    ))
}

/// Adds the current trace context (`traceparent`, `tracestate`) and request id to an
/// outgoing gRPC call's metadata.
pub fn inject_grpc(metadata: &mut MetadataMap) {
    let context = Context::current();
    TraceContextPropagator::new().inject_context(&context, &mut Metadata(metadata));
    if let Some(RequestId(id)) = context.get::<RequestId>()
        && let Ok(value) = MetadataValue::try_from(id.as_ref())
    {
        metadata.insert(REQUEST_ID, value);
    }
}

/// Runs `future` in a trace marked "not sampled", for calls that are not worth a trace (a
/// readiness probe's): the services it calls record no spans for them (with the default,
/// parent-based, sampler).
pub fn unsampled<F: Future>(future: F) -> impl Future<Output = F::Output> {
    use opentelemetry::context::FutureExt as _;
    let ids = RandomIdGenerator::default();
    let context = Context::new().with_remote_span_context(SpanContext::new(
        ids.new_trace_id(),
        ids.new_span_id(),
        TraceFlags::NOT_SAMPLED,
        true,
        TraceState::default(),
    ));
    future.with_context(context)
}

/// The current trace context as a `traceparent` value, for work queued now and done later
/// (the invoice job); `None` outside any trace.
pub fn current_traceparent() -> Option<String> {
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(&Context::current(), &mut fields);
    fields.remove("traceparent")
}

/// A request id as clients may send it: 1–128 visible ASCII characters; anything else is
/// replaced by a fresh one.
pub fn sanitize_request_id(raw: Option<&str>) -> String {
    match raw {
        Some(id) if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) => {
            id.to_owned()
        }
        _ => uuid::Uuid::now_v7().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::context::FutureExt as _;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    fn span() -> tracing::Span {
        tracing::info_span!(
            "test",
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty
        )
    }

    #[tokio::test]
    async fn a_continued_trace_goes_on_to_outgoing_calls_with_tracestate_and_request_id() {
        let incoming = headers(&[
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("tracestate", "vendor=opaque"),
        ]);
        let context = continue_trace(&span(), &incoming, Some("req-1".into()));
        let ids = context.span().span_context().clone();
        assert_eq!(
            ids.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_ne!(ids.span_id().to_string(), "00f067aa0ba902b7");

        let mut metadata = MetadataMap::new();
        async { inject_grpc(&mut metadata) }
            .with_context(context)
            .await;
        let traceparent = metadata.get("traceparent").unwrap().to_str().unwrap();
        assert_eq!(
            traceparent,
            format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", ids.span_id())
        );
        assert_eq!(metadata.get("tracestate").unwrap(), "vendor=opaque");
        assert_eq!(metadata.get(REQUEST_ID).unwrap(), "req-1");
    }

    #[test]
    fn malformed_traceparents_start_a_new_trace() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            let context = continue_trace(&span(), &headers(&[("traceparent", bad)]), None);
            let ids = context.span().span_context().clone();
            assert!(ids.is_valid(), "{bad:?}");
            assert_ne!(
                ids.trace_id().to_string(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_queued_jobs_traceparent_is_continued_and_nothing_is_made_up_outside_a_trace() {
        assert_eq!(current_traceparent(), None);
        let stored = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = link_to_traceparent(&span(), Some(stored));
        let carried = async { current_traceparent() }
            .with_context(context)
            .await
            .unwrap();
        assert!(carried.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert_ne!(carried, stored);
        assert!(
            link_to_traceparent(&span(), None)
                .span()
                .span_context()
                .is_valid()
        );
    }

    #[tokio::test]
    async fn unsampled_calls_carry_a_trace_marked_not_sampled() {
        let mut metadata = MetadataMap::new();
        unsampled(async { inject_grpc(&mut metadata) }).await;
        let traceparent = metadata.get("traceparent").unwrap().to_str().unwrap();
        assert!(traceparent.ends_with("-00"), "{traceparent}");
    }

    #[test]
    fn request_ids_are_kept_when_sane_and_replaced_otherwise() {
        assert_eq!(sanitize_request_id(Some("req-42")), "req-42");
        assert_ne!(sanitize_request_id(Some("bad id")), "bad id");
        assert_eq!(sanitize_request_id(Some(&"x".repeat(129))).len(), 36);
        assert_eq!(sanitize_request_id(None).len(), 36);
    }
}
