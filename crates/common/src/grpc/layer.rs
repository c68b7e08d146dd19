//! The tower layer in front of every gRPC server: checks the bearer token, continues the
//! caller's trace in a span (with `trace_id`, `span_id` and `request_id`; exported when
//! traces are on), makes it the current context for outgoing calls, and records request
//! counts and latencies.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use http::{HeaderMap, Request, Response};
use opentelemetry::context::FutureExt as _;
use subtle::ConstantTimeEq;
use tonic::{Code, Status, body::Body};
use tower::{Layer, Service};
use tracing::{Instrument, field::Empty};

use super::code_name;
use crate::telemetry;

/// Calls to this service need no token: probes cannot send one.
const HEALTH: &str = "grpc.health.v1.Health";

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ServerLayer {
    token: Option<Arc<str>>,
}

impl ServerLayer {
    /// A layer requiring `token` (when set).
    pub fn new(token: Option<&str>) -> Self {
        Self {
            token: token.map(Arc::from),
        }
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = Observed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observed {
            inner,
            token: self.token.clone(),
        }
    }
}

/// A gRPC service behind [`ServerLayer`].
#[derive(Debug, Clone)]
pub struct Observed<S> {
    inner: S,
    token: Option<Arc<str>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for Observed<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/').to_owned();
        let (service, method) = path.split_once('/').unwrap_or((path.as_str(), ""));
        let (service, method) = (service.to_owned(), method.to_owned());

        if let Some(token) = &self.token
            && service != HEALTH
            && !bearer_matches(request.headers(), token)
        {
            tracing::warn!(%service, %method, "gRPC call refused: missing or wrong bearer token");
            record(&service, &method, Code::Unauthenticated, None);
            let status = Status::unauthenticated("missing or wrong bearer token");
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }

        let headers = request.headers();
        let request_id = header(headers, telemetry::REQUEST_ID).map(str::to_owned);
        // `tracing`'s macros take the level as a constant, hence one call per level.
        macro_rules! span {
            ($macro:ident) => {
                tracing::$macro!(
                    "grpc",
                    otel.name = %path,
                    otel.kind = "server",
                    rpc.system = "grpc",
                    rpc = %method,
                    service = %service,
                    trace_id = Empty,
                    span_id = Empty,
                    request_id = %request_id.as_deref().unwrap_or_default(),
                    grpc.code = Empty,
                )
            };
        }
        // Health checks come every few seconds from every probe: below the level that is
        // exported or logged by default.
        let span = if service == HEALTH {
            span!(debug_span)
        } else {
            span!(info_span)
        };
        let context = telemetry::continue_trace(&span, headers, request_id);
        let served = self.inner.call(request);
        Box::pin(
            async move {
                let started = Instant::now();
                let result = served.with_context(context).await;
                let code = match &result {
                    Ok(response) => header(response.headers(), "grpc-status")
                        .and_then(|c| c.parse::<i32>().ok())
                        .map_or(Code::Ok, Code::from),
                    Err(_) => Code::Unavailable,
                };
                record(&service, &method, code, Some(started));
                tracing::Span::current().record("grpc.code", code_name(code));
                tracing::debug!(code = code_name(code), latency = ?started.elapsed(), "gRPC call served");
                result
            }
            .instrument(span),
        )
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(sent) = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    sent.as_bytes().ct_eq(token.as_bytes()).into()
}

fn record(service: &str, method: &str, code: Code, started: Option<Instant>) {
    let labels = [
        ("service", service.to_owned()),
        ("method", method.to_owned()),
    ];
    metrics::counter!(
        "shop_grpc_server_requests_total",
        "service" => service.to_owned(),
        "method" => method.to_owned(),
        "code" => code_name(code),
    )
    .increment(1);
    if let Some(started) = started {
        metrics::histogram!("shop_grpc_server_request_duration_seconds", &labels)
            .record(started.elapsed().as_secs_f64());
    }
}
