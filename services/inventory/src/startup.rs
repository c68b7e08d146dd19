//! Building and running the inventory service: bind, then serve until shutdown.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use shop_common::grpc::{GrpcService, ServeError, ServerSecurity};
use shop_proto::inventory::v1::inventory_service_server::{InventoryServiceServer, SERVICE_NAME};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{config::InventoryConfig, grpc::InventoryApi, reconciler, store::Store, sweeper};

/// A bound, not yet serving, inventory service.
pub struct Inventory {
    listener: TcpListener,
    store: Store,
    config: InventoryConfig,
    security: ServerSecurity,
}

impl Inventory {
    /// Binds `config.addr` (port 0 picks a free port) over a migrated database; serves with
    /// `security`'s token and TLS.
    pub async fn build(
        config: InventoryConfig,
        security: ServerSecurity,
        db: DatabaseConnection,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Self {
            listener,
            store: Store::new(db),
            config,
            security,
        })
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves gRPC and runs the expiry sweeper until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServeError> {
        tracing::info!(addr = %self.local_addr(), "inventory service listening");
        let sweeper = tokio::spawn(sweeper::run(
            self.store.clone(),
            self.config.sweep_interval,
            shutdown.clone(),
        ));
        let reconciler = tokio::spawn(reconciler::run(
            self.store.clone(),
            self.config.check_interval,
            shutdown.clone(),
        ));
        let api = InventoryApi::new(self.store, self.config.reservation_ttl);
        let service = GrpcService {
            routes: Routes::new(InventoryServiceServer::new(api)),
            name: SERVICE_NAME,
            file_descriptor_set: shop_proto::FILE_DESCRIPTOR_SET,
            security: self.security,
        };
        let served = shop_common::grpc::serve(self.listener, service, shutdown.clone()).await;
        shutdown.cancel();
        let _ = sweeper.await;
        let _ = reconciler.await;
        served
    }
}
