//! gRPC calls within one process: `shop serve` runs every component in one process, and its
//! components call each other through the callee's own server stack (the same generated
//! service, codecs, token check, trace and metrics layer) handed over as a tower service,
//! not through a loopback TCP connection and HTTP/2. The split deployment calls the same
//! services over the network; both paths are tested and benchmarked side by side.

use std::{convert::Infallible, time::Duration};

use http::{Request, Response};
use tonic::{Status, body::Body, transport::Channel};
use tower::{BoxError, ServiceBuilder, ServiceExt as _, util::BoxCloneSyncService};

/// What a gRPC client sends its calls through: a network [`Channel`] or an [`InProcess`]
/// service.
pub type GrpcChannel = BoxCloneSyncService<Request<Body>, Response<Body>, ChannelError>;

/// Why a call through a [`GrpcChannel`] failed: the network channel's error, or an
/// in-process call's deadline (a [`Status`] in its source chain, where tonic looks).
///
/// A named type rather than a boxed error: with a trait object here, rustc cannot prove the
/// handlers' futures `Send` (its higher-ranked lifetime limitation).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChannelError(#[source] BoxError);

/// A gRPC server's full stack (routes, health, reflection, [`super::ServerLayer`]), to be
/// called from the same process.
#[derive(Clone)]
pub struct InProcess(BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>);

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

impl InProcess {
    /// Wraps a server stack.
    pub(super) fn new<S>(service: S) -> Self
    where
        S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        Self(BoxCloneSyncService::new(service))
    }

    /// A channel whose every call fails with DEADLINE_EXCEEDED after `timeout`, as the
    /// network channels' calls do.
    pub(super) fn channel(&self, timeout: Duration) -> GrpcChannel {
        let service = ServiceBuilder::new()
            .map_err(|error: BoxError| {
                if error.is::<tower::timeout::error::Elapsed>() {
                    ChannelError(Box::new(Status::deadline_exceeded("the call timed out")))
                } else {
                    ChannelError(error)
                }
            })
            .timeout(timeout)
            .service(self.0.clone());
        BoxCloneSyncService::new(service)
    }
}

/// A network channel as a [`GrpcChannel`].
pub(super) fn network(channel: Channel) -> GrpcChannel {
    BoxCloneSyncService::new(channel.map_err(|error| ChannelError(error.into())))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic::{Code, service::Routes};
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest,
    };

    use crate::{
        config::GrpcUrls,
        grpc::{ClientSecurity, GrpcService, GrpcToken, ServerSecurity, Upstream},
    };

    async fn upstream(server_token: &str, client_token: &str) -> Upstream {
        let service = GrpcService {
            routes: Routes::default(),
            name: "grpc.health.v1.Health",
            file_descriptor_set: tonic_health::pb::FILE_DESCRIPTOR_SET,
            security: ServerSecurity {
                token: GrpcToken::new(server_token),
                ..ServerSecurity::default()
            },
        };
        let prepared = service.prepare().await.unwrap();
        Upstream {
            // Never dialled: the calls go in process.
            urls: GrpcUrls::local("127.0.0.1:9".parse().unwrap(), false),
            security: ClientSecurity {
                token: GrpcToken::new(client_token),
                ..ClientSecurity::default()
            },
            in_process: Some(prepared.in_process()),
        }
    }

    async fn list_services(upstream: &Upstream) -> Result<(), tonic::Status> {
        let channel = upstream.connect_lazy(Duration::from_secs(5)).unwrap();
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new(channel)
            .server_reflection_info(futures::stream::iter([request]))
            .await?
            .into_inner();
        answers.message().await?;
        Ok(())
    }

    #[tokio::test]
    async fn in_process_calls_go_through_the_servers_own_stack_with_its_token_check() {
        let right = upstream("secret", "secret").await;
        let channel = right.connect_lazy(Duration::from_secs(5)).unwrap();
        let health = HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            health.status(),
            tonic_health::pb::health_check_response::ServingStatus::Serving
        );
        list_services(&right).await.unwrap();

        let wrong = upstream("secret", "guess").await;
        let refused = list_services(&wrong).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
    }
}
