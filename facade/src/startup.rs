//! Building and running the facade: check the settings and bind, then serve until shutdown.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::{Request, State},
    middleware::Next,
};
use shop_common::foreground::Foreground;
use shop_common::grpc::Upstream;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

use crate::{
    auth::WebhookKeys,
    config::FacadeConfig,
    orders_client::OrdersClient,
    routes::{AppState, router},
    signature::WebhookSigning,
};

/// Why the facade cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No usable webhook key: every webhook would be refused, or worse, accepted.
    #[error("SHOP_WEBHOOK_KEY is not set: the facade refuses to start without a webhook key")]
    MissingWebhookKey,
    /// `SHOP_WEBHOOK_SIGNING_SECRETS` is set but holds no secret: signing was asked for, so
    /// quietly running without it would accept unsigned webhooks.
    #[error("SHOP_WEBHOOK_SIGNING_SECRETS is set but holds no secret")]
    NoSigningSecret,
    /// The orders URLs or the TLS settings to call them with are not usable.
    #[error("cannot call orders at SHOP_ORDERS_URL {url}: {source}")]
    Orders {
        /// The URLs, passwords (if any) redacted.
        url: String,
        /// Why.
        #[source]
        source: shop_common::grpc::ClientError,
    },
    /// The HTTP address cannot be bound.
    #[error("cannot listen on SHOP_HTTP_ADDR {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A bound, not yet serving, facade.
#[derive(Debug)]
pub struct Facade {
    listener: TcpListener,
    router: Router,
    http: shop_common::http_server::HttpLimits,
}

impl Facade {
    /// Checks `config` and binds `config.http_addr` (port 0 picks a free port), to call the
    /// orders service at `orders` with its credentials. The orders service is not contacted:
    /// it may come up later.
    ///
    /// Must be called inside a Tokio runtime.
    pub fn build(config: FacadeConfig, orders: Upstream) -> Result<Self, StartError> {
        let keys = config
            .webhook_key
            .as_deref()
            .and_then(WebhookKeys::parse)
            .ok_or(StartError::MissingWebhookKey)?;
        let signing = config
            .webhook_signing_secrets
            .as_deref()
            .map(|raw| WebhookSigning::parse(raw).ok_or(StartError::NoSigningSecret))
            .transpose()?;
        let orders =
            OrdersClient::connect_lazy(&orders, config.orders_timeout).map_err(|source| {
                StartError::Orders {
                    url: format!("{:?}", orders.urls),
                    source,
                }
            })?;
        let listener = bind(config.http_addr).map_err(|source| StartError::Bind {
            addr: config.http_addr,
            source,
        })?;
        tracing::debug!(keys = keys.len(), "webhook keys loaded");
        match &signing {
            Some(signing) => tracing::info!(
                secrets = signing.len(),
                "signed webhooks required (X-Webhook-Signature)"
            ),
            None => tracing::debug!("webhook signatures not required"),
        }
        Ok(Self {
            listener,
            http: config.http,
            router: router(AppState {
                orders,
                keys,
                signing,
            }),
        })
    }

    /// Marks each request in flight on `foreground`, so that background work of the same
    /// process (the invoice worker in `shop serve`) waits for a pause.
    pub fn with_foreground(mut self, foreground: Foreground) -> Self {
        self.router = self.router.layer(axum::middleware::from_fn_with_state(
            foreground,
            |State(foreground): State<Foreground>, request: Request, next: Next| async move {
                let _in_flight = foreground.enter();
                next.run(request).await
            },
        ));
        self
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves HTTP until `shutdown` is cancelled, then lets in-flight requests finish; with
    /// the header, body and idle timeouts and the connection cap of `SHOP_HTTP_*` (see
    /// [`crate::server`]).
    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        shop_common::http_server::serve(self.listener, self.router, self.http, "facade", shutdown)
            .await
    }
}

/// Binds like `TcpListener::bind` (SO_REUSEADDR on Unix, so a restart does not wait for
/// TIME_WAIT), but synchronously.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shop_common::{config::GrpcUrls, grpc::ClientSecurity};

    use super::*;

    fn orders() -> Upstream {
        Upstream {
            urls: GrpcUrls::parse("http://127.0.0.1:50051").unwrap(),
            security: ClientSecurity::default(),
            in_process: None,
        }
    }

    fn config(key: Option<&str>) -> FacadeConfig {
        FacadeConfig {
            http_addr: "127.0.0.1:0".parse().unwrap(),
            webhook_key: key.map(str::to_owned),
            ..FacadeConfig::default()
        }
    }

    #[tokio::test]
    async fn it_refuses_to_start_without_a_webhook_key() {
        for key in [None, Some(""), Some(" , ")] {
            let error = Facade::build(config(key), orders()).expect_err("no usable key");
            assert!(matches!(error, StartError::MissingWebhookKey));
            assert!(error.to_string().contains("SHOP_WEBHOOK_KEY"), "{error}");
        }
    }

    #[tokio::test]
    async fn it_refuses_to_start_with_signing_secrets_set_but_blank() {
        for secrets in ["", " , "] {
            let config = FacadeConfig {
                webhook_signing_secrets: Some(secrets.to_owned()),
                ..config(Some("k"))
            };
            let error = Facade::build(config, orders()).expect_err("no usable secret");
            assert!(matches!(error, StartError::NoSigningSecret), "{secrets:?}");
            assert!(
                error.to_string().contains("SHOP_WEBHOOK_SIGNING_SECRETS"),
                "{error}"
            );
        }
    }

    #[tokio::test]
    async fn it_refuses_tls_files_it_cannot_read_naming_the_variable() {
        let mut orders = Upstream {
            urls: GrpcUrls::parse("https://orders:50051").unwrap(),
            ..orders()
        };
        orders.security.tls.ca = Some("/nonexistent".into());
        let error = Facade::build(config(Some("k")), orders).expect_err("no such file");
        let source = std::error::Error::source(&error).expect("the cause");
        let error = format!("{error}: {source}");
        assert!(error.contains("SHOP_ORDERS_URL"), "{error}");
        assert!(error.contains("SHOP_GRPC_TLS_CA /nonexistent"), "{error}");
    }

    #[tokio::test]
    async fn an_address_in_use_is_reported_under_its_variable() {
        let taken = Facade::build(config(Some("k")), orders()).unwrap();
        let config = FacadeConfig {
            http_addr: taken.local_addr(),
            ..config(Some("k"))
        };
        let error = Facade::build(config, orders()).expect_err("address in use");
        assert!(error.to_string().contains("SHOP_HTTP_ADDR"), "{error}");
    }

    #[tokio::test]
    async fn it_serves_http_until_shutdown_even_with_orders_down() {
        let facade = Facade::build(config(Some("k")), orders()).unwrap();
        let url = format!("http://{}/healthz", facade.local_addr());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(facade.run(shutdown.clone()));

        let response = reqwest::get(&url).await.expect("the facade answers");
        assert_eq!(response.status(), reqwest::StatusCode::OK);

        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops promptly")
            .expect("does not panic")
            .expect("stops cleanly");
        assert!(reqwest::get(&url).await.is_err(), "still listening");
    }
}
