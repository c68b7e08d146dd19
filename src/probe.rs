//! `shop probe`: the container healthcheck of every component, in the image's one binary.
//! It exits 0 only when the component says it is healthy — a gRPC server that answers
//! SERVING on `grpc.health.v1`, an HTTP endpoint that answers 200 — not merely when a port
//! accepts a connection.

use std::time::Duration;

use anyhow::{Context, bail};
use http_body_util::Empty;
use hyper::{Request, body::Bytes};
use hyper_util::rt::TokioIo;
use shop_common::{
    config::{GrpcUrls, parse_duration},
    grpc::{ClientSecurity, ClientTls, GrpcToken},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// What to probe.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    #[command(subcommand)]
    target: Target,

    /// How long the probe may take before it counts as failed.
    #[arg(long, default_value = "3s", value_parser = parse_duration, global = true)]
    timeout: Duration,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    /// A gRPC server's standard health check (no token needed): healthy when SERVING.
    Grpc {
        /// The server, e.g. http://127.0.0.1:50052 (https:// with the client TLS settings).
        #[arg(value_parser = GrpcUrls::parse)]
        url: GrpcUrls,
        /// The service to ask about; empty: the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
        #[command(flatten)]
        tls: ClientTls,
    },
    /// An HTTP endpoint, e.g. http://127.0.0.1:8080/readyz: healthy when it answers 200.
    Http {
        /// The URL (http:// only: the probes run inside the component's own container).
        url: hyper::Uri,
    },
}

/// Probes; an error (exit status 1) says why the component is not healthy.
pub async fn run(args: ProbeArgs) -> anyhow::Result<()> {
    let timeout = args.timeout;
    let probe = async move {
        match args.target {
            Target::Grpc { url, service, tls } => grpc(url, service, tls, timeout).await,
            Target::Http { url } => http(&url).await,
        }
    };
    tokio::time::timeout(timeout, probe)
        .await
        .with_context(|| format!("no answer within {timeout:?}"))?
}

async fn grpc(
    url: GrpcUrls,
    service: String,
    tls: ClientTls,
    timeout: Duration,
) -> anyhow::Result<()> {
    let security = ClientSecurity {
        token: GrpcToken::default(),
        tls,
    };
    let channel = shop_common::grpc::connect_lazy(&url, timeout, &security)?;
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.clone(),
        })
        .await
        .with_context(|| format!("health check of {url} failed"))?
        .into_inner()
        .status();
    if status != ServingStatus::Serving {
        bail!("{url} reports {} for {service:?}", status.as_str_name());
    }
    Ok(())
}

async fn http(url: &hyper::Uri) -> anyhow::Result<()> {
    if url.scheme_str() != Some("http") {
        bail!("{url}: expected an http:// URL");
    }
    let host = url.host().context("the URL has no host")?;
    let port = url.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .with_context(|| format!("cannot connect to {host}:{port}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let request = Request::get(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::USER_AGENT, "shop-probe")
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await.context("GET")?;
    if response.status() != hyper::StatusCode::OK {
        bail!("GET {url} answered {}", response.status());
    }
    Ok(())
}
