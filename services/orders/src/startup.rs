//! Building and running the orders service: bind, then serve until shutdown.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use shop_common::grpc::{GrpcService, InProcess, Prepared, ServeError, ServerSecurity, Upstream};
use shop_proto::orders::v1::order_service_server::{OrderServiceServer, SERVICE_NAME};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{
    app::OrdersApp, config::OrdersConfig, faults::Faults, grpc::OrdersApi,
    inventory::InventoryClient, store::Store, sweeper,
};

/// Why the orders service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on SHOP_ORDERS_ADDR {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The inventory URL or the client's TLS files are unusable.
    #[error("SHOP_INVENTORY_URL {url}: {source}")]
    InventoryUrl {
        /// The URL.
        url: String,
        /// The cause.
        source: shop_common::grpc::ClientError,
    },
    /// The gRPC service could not be set up.
    #[error(transparent)]
    Grpc(#[from] ServeError),
}

/// A bound, not yet serving, orders service.
pub struct Orders {
    listener: TcpListener,
    app: OrdersApp,
    faults: Faults,
    config: OrdersConfig,
    service: Prepared,
    inventory_urls: String,
}

impl Orders {
    /// Binds `config.addr` (port 0 picks a free port) over a migrated database, to serve with
    /// `security`'s token and TLS and to call `inventory`. Inventory is connected lazily: the
    /// service starts even if inventory is not up yet.
    pub async fn build(
        config: OrdersConfig,
        security: ServerSecurity,
        inventory: Upstream,
        db: DatabaseConnection,
    ) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let inventory_urls = format!("{:?}", inventory.urls);
        let inventory =
            InventoryClient::new(&inventory, config.inventory_timeout).map_err(|source| {
                StartError::InventoryUrl {
                    url: inventory_urls.clone(),
                    source,
                }
            })?;
        let faults = Faults::default();
        let app = OrdersApp::new(Store::new(db), inventory, faults.clone());
        let service = GrpcService {
            routes: Routes::new(OrderServiceServer::new(OrdersApi::new(app.clone()))),
            name: SERVICE_NAME,
            file_descriptor_set: shop_proto::FILE_DESCRIPTOR_SET,
            security,
        }
        .prepare()
        .await?;
        Ok(Self {
            listener,
            app,
            faults,
            config,
            service,
            inventory_urls,
        })
    }

    /// Its server stack, for calls from the same process (`shop serve`).
    pub fn in_process(&self) -> InProcess {
        self.service.in_process()
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// The failure-injection hook (for tests).
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// Serves gRPC and runs the expiry sweeper until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServeError> {
        tracing::info!(addr = %self.local_addr(), inventory = %self.inventory_urls, "orders service listening");
        let sweeper = tokio::spawn(sweeper::run(
            self.app.clone(),
            self.config.sweep_interval,
            shutdown.clone(),
        ));
        let served = self.service.serve(self.listener, shutdown.clone()).await;
        shutdown.cancel();
        let _ = sweeper.await;
        served
    }
}
