//! Building and running the orders service: bind, then serve until shutdown.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use shop_common::grpc::{GrpcService, ServeError};
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
}

/// A bound, not yet serving, orders service.
pub struct Orders {
    listener: TcpListener,
    app: OrdersApp,
    faults: Faults,
    config: OrdersConfig,
}

impl Orders {
    /// Binds `config.addr` (port 0 picks a free port) over a migrated database. Inventory is
    /// connected lazily: the service starts even if inventory is not up yet.
    pub async fn build(config: OrdersConfig, db: DatabaseConnection) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let inventory = InventoryClient::new(
            &config.inventory_url,
            config.inventory_timeout,
            &config.security,
        )
        .map_err(|source| StartError::InventoryUrl {
            url: config.inventory_url.clone(),
            source,
        })?;
        let faults = Faults::default();
        let app = OrdersApp::new(Store::new(db), inventory, faults.clone());
        Ok(Self {
            listener,
            app,
            faults,
            config,
        })
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
        tracing::info!(addr = %self.local_addr(), inventory = %self.config.inventory_url, "orders service listening");
        let sweeper = tokio::spawn(sweeper::run(
            self.app.clone(),
            self.config.sweep_interval,
            shutdown.clone(),
        ));
        let service = GrpcService {
            routes: Routes::new(OrderServiceServer::new(OrdersApi::new(self.app))),
            name: SERVICE_NAME,
            file_descriptor_set: shop_proto::FILE_DESCRIPTOR_SET,
            security: self.config.security.clone(),
        };
        let served = shop_common::grpc::serve(self.listener, service, shutdown.clone()).await;
        shutdown.cancel();
        let _ = sweeper.await;
        served
    }
}
