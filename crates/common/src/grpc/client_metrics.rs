//! The latency of every gRPC call a component makes, as the caller sees it:
//! `shop_grpc_client_request_duration_seconds{service,method,code}` (until the response's
//! headers; the code is the canonical name, `OK` when a call's status only comes with its
//! trailers, as a successful call's does).

use std::{
    task::{Context, Poll},
    time::Instant,
};

use http::{Request, Response};
use tonic::{Code, body::Body};
use tower::Service;

use super::{code_name, in_process::ChannelError};

/// A client channel that times its calls.
#[derive(Clone)]
pub(super) struct Timed<S>(pub(super) S);

impl<S> Service<Request<Body>> for Timed<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = ChannelError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = ChannelError;
    type Future = futures::future::BoxFuture<'static, Result<Response<Body>, ChannelError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let (service, method) = (service.to_owned(), method.to_owned());
        let started = Instant::now();
        let call = self.0.call(request);
        Box::pin(async move {
            let result = call.await;
            let code = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|c| c.to_str().ok()?.parse::<i32>().ok())
                    .map_or(Code::Ok, Code::from),
                Err(error) => error_code(error),
            };
            metrics::histogram!(
                "shop_grpc_client_request_duration_seconds",
                "service" => service,
                "method" => method,
                "code" => code_name(code),
            )
            .record(started.elapsed().as_secs_f64());
            result
        })
    }
}

/// The code a failed call ends with: a [`tonic::Status`] in the error's source chain (an
/// in-process deadline), DEADLINE_EXCEEDED for the channel's own timeout, UNAVAILABLE for
/// anything else (no connection).
fn error_code(error: &ChannelError) -> Code {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(status) = error.downcast_ref::<tonic::Status>() {
            return status.code();
        }
        if error.is::<tonic::TimeoutExpired>() {
            return Code::DeadlineExceeded;
        }
        source = error.source();
    }
    Code::Unavailable
}
