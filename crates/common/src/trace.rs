//! Request context that crosses process boundaries: the W3C trace context (`traceparent`)
//! and the webhook's request id (`x-request-id`).
//!
//! The facade starts (or continues) a trace for each webhook; every gRPC call carries it in
//! its metadata; every server continues it in a span with `trace_id` and `request_id` fields,
//! so one webhook's log lines share a `trace_id` across the facade, orders and inventory. The
//! context of the request being served lives in a task-local, from which outgoing calls take
//! it ([`outgoing`]).

use std::fmt;

/// A W3C trace context: <https://www.w3.org/TR/trace-context/#traceparent-header>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace, shared by every span of one webhook.
    pub trace_id: u128,
    /// This span.
    pub span_id: u64,
    /// The `sampled` flag.
    pub sampled: bool,
}

impl TraceContext {
    /// A new trace.
    pub fn root() -> Self {
        Self {
            trace_id: nonzero(|| fastrand::u128(..)),
            span_id: nonzero(|| fastrand::u64(..)),
            sampled: true,
        }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> Self {
        Self {
            span_id: nonzero(|| fastrand::u64(..)),
            ..*self
        }
    }

    /// Parses a `traceparent` header (version 00, or a later version read as 00); `None` for
    /// anything malformed, as the specification asks.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        fn hex(s: &str, len: usize) -> Option<&str> {
            (s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then_some(s)
        }
        let version = u8::from_str_radix(hex(version, 2)?, 16).ok()?;
        if version == 0xff || (version == 0 && parts.next().is_some()) {
            return None;
        }
        let trace_id = u128::from_str_radix(hex(trace, 32)?, 16).ok()?;
        let span_id = u64::from_str_radix(hex(span, 16)?, 16).ok()?;
        let flags = u8::from_str_radix(hex(flags, 2)?, 16).ok()?;
        (trace_id != 0 && span_id != 0).then_some(Self {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
        })
    }

    /// The trace id as 32 hex digits (the form logs and tracing systems show).
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// The span id as 16 hex digits.
    pub fn span_id_hex(&self) -> String {
        format!("{:016x}", self.span_id)
    }
}

impl fmt::Display for TraceContext {
    /// The `traceparent` header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id,
            self.span_id,
            u8::from(self.sampled)
        )
    }
}

fn nonzero<T: PartialEq + Default>(mut random: impl FnMut() -> T) -> T {
    loop {
        let value = random();
        if value != T::default() {
            return value;
        }
    }
}

/// The context of the request being served.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// This request's span.
    pub trace: TraceContext,
    /// The webhook's request id, if the request descends from one.
    pub request_id: Option<String>,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// Runs `future` with `context` as the current request context.
pub async fn scope<F: Future>(context: RequestContext, future: F) -> F::Output {
    CURRENT.scope(context, future).await
}

/// The current request context, if any.
pub fn current() -> Option<RequestContext> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The `traceparent` and `x-request-id` an outgoing call carries: a child span of the
/// current request's (or a new trace when there is none).
pub fn outgoing() -> (TraceContext, Option<String>) {
    match current() {
        Some(context) => (context.trace.child(), context.request_id),
        None => (TraceContext::root(), None),
    }
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
    use super::*;

    #[test]
    fn traceparent_headers_round_trip() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = TraceContext::parse(header).unwrap();
        assert_eq!(context.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(context.span_id_hex(), "00f067aa0ba902b7");
        assert!(context.sampled);
        assert_eq!(context.to_string(), header);
    }

    #[test]
    fn malformed_traceparent_headers_are_ignored() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "xx-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad:?}");
        }
        // A later version may carry more fields.
        assert!(
            TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more")
                .is_some()
        );
    }

    #[test]
    fn children_stay_in_the_trace_with_a_new_span() {
        let root = TraceContext::root();
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
    }

    #[test]
    fn request_ids_are_kept_when_sane_and_replaced_otherwise() {
        assert_eq!(sanitize_request_id(Some("req-42")), "req-42");
        assert_ne!(sanitize_request_id(Some("bad id")), "bad id");
        assert_eq!(sanitize_request_id(Some(&"x".repeat(129))).len(), 36);
        assert_eq!(sanitize_request_id(None).len(), 36);
    }

    #[tokio::test]
    async fn outgoing_calls_continue_the_current_trace() {
        let context = RequestContext {
            trace: TraceContext::root(),
            request_id: Some("r1".into()),
        };
        let (trace, request_id) = scope(context.clone(), async { outgoing() }).await;
        assert_eq!(trace.trace_id, context.trace.trace_id);
        assert_ne!(trace.span_id, context.trace.span_id);
        assert_eq!(request_id.as_deref(), Some("r1"));
        assert!(current().is_none());
    }
}
