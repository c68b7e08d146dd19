//! gRPC clients of the shop's services: lazily connected channels (one URL, or several
//! comma-separated URLs balanced across), deadlines, TLS for `https://` URLs, and an
//! interceptor that sends the bearer token and the current trace context.

use std::time::Duration;

use tonic::{
    Request, Status,
    metadata::{AsciiMetadataValue, MetadataValue},
    service::Interceptor,
    transport::{Channel, Endpoint},
};

use super::security::{GrpcSecurity, TlsFileError};
use crate::trace;

/// Why a client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A URL is not usable.
    #[error("invalid URL {url:?}: {source}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: tonic::transport::Error,
    },
    /// The list is empty.
    #[error("no URL given")]
    NoUrl,
    /// A TLS file could not be read.
    #[error(transparent)]
    Tls(#[from] TlsFileError),
}

/// A channel to the service at `urls` (comma-separated for several replicas, balanced
/// across); connects lazily and reconnects by itself. Every call fails after `timeout`.
pub fn connect_lazy(
    urls: &str,
    timeout: Duration,
    security: &GrpcSecurity,
) -> Result<Channel, ClientError> {
    let mut endpoints = Vec::new();
    for url in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let invalid = |source| ClientError::Url {
            url: url.to_owned(),
            source,
        };
        let mut endpoint = Endpoint::new(url.to_owned())
            .map_err(invalid)?
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        if url.starts_with("https://") {
            endpoint = endpoint
                .tls_config(security.client_tls()?)
                .map_err(invalid)?;
        }
        endpoints.push(endpoint);
    }
    match endpoints.len() {
        0 => Err(ClientError::NoUrl),
        1 => Ok(endpoints.remove(0).connect_lazy()),
        _ => Ok(Channel::balance_list(endpoints.into_iter())),
    }
}

/// Adds `authorization` (when a token is configured), `traceparent` and `x-request-id` to
/// every outgoing call.
#[derive(Debug, Clone, Default)]
pub struct ClientInterceptor {
    authorization: Option<AsciiMetadataValue>,
}

impl ClientInterceptor {
    /// An interceptor sending `security`'s token.
    pub fn new(security: &GrpcSecurity) -> Self {
        Self {
            authorization: security
                .token()
                .and_then(|token| MetadataValue::try_from(format!("Bearer {token}")).ok()),
        }
    }
}

impl Interceptor for ClientInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let (trace, request_id) = trace::outgoing();
        let metadata = request.metadata_mut();
        if let Ok(value) = MetadataValue::try_from(trace.to_string()) {
            metadata.insert("traceparent", value);
        }
        if let Some(value) = request_id.and_then(|id| MetadataValue::try_from(id).ok()) {
            metadata.insert("x-request-id", value);
        }
        if let Some(value) = &self.authorization {
            metadata.insert("authorization", value.clone());
        }
        Ok(request)
    }
}
