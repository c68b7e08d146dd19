//! The frame every gRPC server of the shop shares: server reflection (v1 and v1alpha, since
//! grpcurl releases still speak v1alpha), the standard `grpc.health.v1` service, the bearer
//! token, TLS, tracing and metrics (see `layer`), TCP_NODELAY, and graceful shutdown; and the
//! clients' side of the same (see `client`).

mod client;
mod client_metrics;
mod in_process;
mod layer;
mod security;

pub use client::{
    ClientError, ClientInterceptor, Upstream, connect_lazy, report_refused_credentials,
};
pub use in_process::{GrpcChannel, InProcess};
pub use layer::ServerLayer;
pub use security::{ClientSecurity, ClientTls, GrpcToken, ServerSecurity, ServerTls, TlsFileError};

use std::time::Duration;

use futures::StreamExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    service::Routes,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::ServingStatus;

/// How long a gRPC server pauses after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Why a gRPC server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file descriptor set could not be decoded for reflection.
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// A TLS file could not be read.
    #[error(transparent)]
    Tls(#[from] TlsFileError),
    /// The listener failed.
    #[error("gRPC listener: {0}")]
    Io(#[from] std::io::Error),
}

/// A gRPC service to serve: its routes and the fully-qualified name health checks report on.
pub struct GrpcService {
    /// The service's routes (e.g. `Routes::new(InventoryServiceServer::new(..))`).
    pub routes: Routes,
    /// Its fully-qualified name, e.g. `shop.inventory.v1.InventoryService`.
    pub name: &'static str,
    /// Encoded `FileDescriptorSet` that describes it, for reflection.
    pub file_descriptor_set: &'static [u8],
    /// Token and TLS.
    pub security: ServerSecurity,
}

/// A [`GrpcService`] with reflection and health added, reporting SERVING: served on a
/// listener by [`Prepared::serve`], and callable in process by [`Prepared::in_process`].
pub struct Prepared {
    routes: Routes,
    health: tonic_health::server::HealthReporter,
    name: &'static str,
    security: ServerSecurity,
}

impl GrpcService {
    /// Adds reflection (advertising only this service, health and reflection itself) and
    /// the standard health service.
    pub async fn prepare(self) -> Result<Prepared, ServeError> {
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(self.file_descriptor_set)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name(self.name)
                .with_service_name("grpc.health.v1.Health")
                .with_service_name("grpc.reflection.v1.ServerReflection")
                .with_service_name("grpc.reflection.v1alpha.ServerReflection")
        };
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;

        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status(self.name, ServingStatus::Serving)
            .await;
        health.set_service_status("", ServingStatus::Serving).await;

        let routes = self
            .routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
        Ok(Prepared {
            routes,
            health,
            name: self.name,
            security: self.security,
        })
    }
}

/// Serves `service` plus reflection and health on `listener` until `shutdown` is cancelled,
/// then drains in-flight calls.
pub async fn serve(
    listener: TcpListener,
    service: GrpcService,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    service.prepare().await?.serve(listener, shutdown).await
}

impl Prepared {
    /// The same stack, [`ServerLayer`] included, for calls from this process.
    pub fn in_process(&self) -> InProcess {
        let layer = ServerLayer::new(self.security.token.get());
        InProcess::new(tower::Layer::layer(&layer, self.routes.clone()))
    }

    /// Serves on `listener` until `shutdown` is cancelled, then drains in-flight calls.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), ServeError> {
        let Prepared {
            routes,
            health,
            name,
            security,
        } = self;
        let listen_addr = listener.local_addr()?;
        // TCP keep-alive: a peer that vanished (power loss, a dropped NAT entry) is found even
        // on a connection HTTP/2 pings do not reach yet.
        let incoming = TcpIncoming::from(listener)
            .with_nodelay(Some(true))
            .with_keepalive(Some(Duration::from_secs(60)));
        // tonic's accept loop retries a failed accept at once (logging at trace level), so out
        // of file descriptors it would spin: log, count and pause before handing it the error.
        let incoming = incoming.then(|accepted| async move {
            if let Err(error) = &accepted {
                metrics::counter!("shop_grpc_accept_errors_total").increment(1);
                tracing::warn!(%error, "cannot accept a gRPC connection; pausing {ACCEPT_BACKOFF:?}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
            accepted
        });
        let signal = async move {
            shutdown.cancelled().await;
            tracing::info!(service = name, "shutting down: draining in-flight calls");
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
        };
        let mut server = Server::builder()
            // HTTP/2 pings on an idle connection: a dead peer's connection is closed within
            // 30 s + 10 s instead of holding its file descriptor and streams for ever.
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            // One client cannot run more than this many calls at once on one connection.
            .max_concurrent_streams(256)
            // Safety net above every caller's deadline (5 s by default): no call runs for ever.
            .timeout(Duration::from_secs(60));
        if let Some(tls) = security.tls.config()? {
            server = server.tls_config(tls)?;
        }
        if security.token.get().is_none() && !listen_addr.ip().is_loopback() {
            tracing::warn!(service = name, addr = %listen_addr, "no SHOP_GRPC_TOKEN: gRPC calls from the network are not authenticated");
        }
        server
            .layer(ServerLayer::new(security.token.get()))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal)
            .await?;
        Ok(())
    }
}

/// A gRPC status code's canonical name (`OK`, `UNAVAILABLE`, …), as metrics labels and span
/// attributes show it: the names of the gRPC specification, not Rust's `Debug` form.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A timestamp for the wire.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
