//! gRPC clients of the shop's services: lazily connected channels (one URL, or several
//! comma-separated URLs balanced across), deadlines, TLS for `https://` URLs, and an
//! interceptor that sends the bearer token and the current trace context.

use std::time::Duration;

use tonic::{
    Request, Status,
    codegen::InterceptedService,
    metadata::{AsciiMetadataValue, MetadataValue},
    service::Interceptor,
    transport::{Channel, Endpoint},
};

use super::{
    client_metrics::Timed,
    in_process::{self, GrpcChannel, InProcess},
    security::{ClientSecurity, GrpcToken, TlsFileError},
};
use crate::{config::GrpcUrls, telemetry};

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
    /// Client TLS files are configured, but no URL is `https://`: they would be ignored,
    /// and the calls sent in plain text.
    #[error(
        "SHOP_GRPC_TLS_CA or SHOP_GRPC_TLS_CLIENT_CERT is set, but {urls} is not https://: \
         use https:// URLs, or unset the TLS settings"
    )]
    TlsWithoutHttps {
        /// The URLs.
        urls: String,
    },
    /// A TLS file could not be read.
    #[error(transparent)]
    Tls(#[from] TlsFileError),
}

/// A service a component calls: where it is, and the credentials to call it with.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// Its URL, or its replicas' URLs.
    pub urls: GrpcUrls,
    /// The token and TLS settings calls carry.
    pub security: ClientSecurity,
    /// The service's server stack in this process (`shop serve`): calls go straight to it
    /// instead of to `urls`.
    pub in_process: Option<InProcess>,
}

impl Upstream {
    /// The service at `urls`, over the network.
    pub fn remote(urls: GrpcUrls, security: ClientSecurity) -> Self {
        Self {
            urls,
            security,
            in_process: None,
        }
    }

    /// A channel to it (see [`connect_lazy`], or in process; its calls timed, see
    /// `client_metrics`) and the interceptor that adds the token and the trace context.
    pub fn connect_lazy(
        &self,
        timeout: Duration,
    ) -> Result<InterceptedService<GrpcChannel, ClientInterceptor>, ClientError> {
        let channel = match &self.in_process {
            Some(local) => local.channel(timeout),
            None => in_process::network(connect_lazy(&self.urls, timeout, &self.security)?),
        };
        let channel = GrpcChannel::new(Timed(channel));
        Ok(InterceptedService::new(
            channel,
            ClientInterceptor::new(&self.security.token),
        ))
    }
}

/// A channel to the service at `urls` (several replicas are balanced across); connects
/// lazily and reconnects by itself. Every call fails after `timeout`. The TLS files are read
/// now, so a wrong path fails here, naming its variable.
pub fn connect_lazy(
    urls: &GrpcUrls,
    timeout: Duration,
    security: &ClientSecurity,
) -> Result<Channel, ClientError> {
    if security.tls.is_configured() && !urls.any_tls() {
        return Err(ClientError::TlsWithoutHttps {
            urls: urls.to_string(),
        });
    }
    let tls = if urls.any_tls() {
        Some(security.tls.config()?)
    } else {
        None
    };
    let mut endpoints = Vec::new();
    for uri in urls.uris() {
        let invalid = |source| ClientError::Url {
            url: uri.to_string(),
            source,
        };
        let mut endpoint = Endpoint::from(uri.clone())
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        if let (Some("https"), Some(tls)) = (uri.scheme_str(), &tls) {
            endpoint = endpoint.tls_config(tls.clone()).map_err(invalid)?;
        }
        endpoints.push(endpoint);
    }
    Ok(match endpoints.len() {
        1 => endpoints.remove(0).connect_lazy(),
        _ => Channel::balance_list(endpoints.into_iter()),
    })
}

/// Adds `authorization` (when a token is configured), the trace context (`traceparent`,
/// `tracestate`) and `x-request-id` to every outgoing call.
#[derive(Debug, Clone, Default)]
pub struct ClientInterceptor {
    authorization: Option<AsciiMetadataValue>,
}

impl ClientInterceptor {
    /// An interceptor sending `token`.
    pub fn new(token: &GrpcToken) -> Self {
        Self {
            authorization: token
                .get()
                .and_then(|token| MetadataValue::try_from(format!("Bearer {token}")).ok()),
        }
    }
}

impl Interceptor for ClientInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let metadata = request.metadata_mut();
        telemetry::inject_grpc(metadata);
        if let Some(value) = &self.authorization {
            metadata.insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// Logs (at ERROR) and counts a call that `target` refused for its credentials, naming the
/// settings to check: a wrong or missing `SHOP_GRPC_TOKEN`, or (for PERMISSION_DENIED) a
/// client certificate the server does not accept. Such a refusal is a misconfiguration that
/// no retry cures, so it must stand out in the logs; the caller still answers "try later",
/// since nothing is lost while it is fixed. Other codes pass silently.
pub fn report_refused_credentials(status: &Status, target: &'static str) {
    let code = match status.code() {
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
            super::code_name(status.code())
        }
        _ => return,
    };
    metrics::counter!("shop_grpc_client_refused_total", "target" => target, "code" => code)
        .increment(1);
    tracing::error!(
        target_service = target,
        grpc_code = code,
        grpc_message = status.message(),
        "the {target} service refused this component's credentials: check that SHOP_GRPC_TOKEN \
         is the same here and on {target} (and, with mutual TLS, SHOP_GRPC_TLS_CLIENT_CERT)"
    );
}
