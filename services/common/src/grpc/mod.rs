//! The frame every gRPC server of the shop shares: server reflection (v1 and v1alpha, since
//! grpcurl releases still speak v1alpha), the standard `grpc.health.v1` service, the bearer
//! token, TLS, tracing and metrics (see `layer`), TCP_NODELAY, and graceful shutdown; and the
//! clients' side of the same (see `client`).

mod client;
mod layer;
mod security;

pub use client::{ClientError, ClientInterceptor, connect_lazy};
pub use layer::ServerLayer;
pub use security::{GrpcSecurity, TlsFileError};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    service::Routes,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::ServingStatus;

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
    pub security: GrpcSecurity,
}

/// Serves `service` plus reflection and health on `listener` until `shutdown` is cancelled,
/// then drains in-flight calls.
pub async fn serve(
    listener: TcpListener,
    service: GrpcService,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    // Advertise only what this server serves: the descriptor set describes every service.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(service.file_descriptor_set)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(service.name)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection")
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(service.name, ServingStatus::Serving)
        .await;
    health.set_service_status("", ServingStatus::Serving).await;

    let routes = service
        .routes
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let listen_addr = listener.local_addr()?;
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let name = service.name;
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
    let mut server = Server::builder();
    if let Some(tls) = service.security.server_tls()? {
        server = server.tls_config(tls)?;
    }
    if service.security.token().is_none() && !listen_addr.ip().is_loopback() {
        tracing::warn!(service = name, addr = %listen_addr, "no SHOP_GRPC_TOKEN: gRPC calls from the network are not authenticated");
    }
    server
        .layer(ServerLayer::new(service.security.token()))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, signal)
        .await?;
    Ok(())
}

/// A timestamp for the wire.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
