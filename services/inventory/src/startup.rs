//! Building and running the inventory service: bind, then serve until shutdown.

use std::net::SocketAddr;

use sea_orm::DatabaseConnection;
use shop_common::grpc::{GrpcService, InProcess, Prepared, ServeError, ServerSecurity};
use shop_proto::inventory::v1::inventory_service_server::{InventoryServiceServer, SERVICE_NAME};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::{config::InventoryConfig, grpc::InventoryApi, reconciliation, store::Store, sweeper};

/// A bound, not yet serving, inventory service.
pub struct Inventory {
    listener: TcpListener,
    store: Store,
    config: InventoryConfig,
    service: Prepared,
}

impl Inventory {
    /// Binds `config.addr` (port 0 picks a free port) over a migrated database; serves with
    /// `security`'s token and TLS.
    pub async fn build(
        config: InventoryConfig,
        security: ServerSecurity,
        db: DatabaseConnection,
    ) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(config.addr).await?;
        let store = Store::new(db);
        let api = InventoryApi::new(store.clone(), config.reservation_ttl);
        let service = GrpcService {
            routes: Routes::new(InventoryServiceServer::new(api)),
            name: SERVICE_NAME,
            file_descriptor_set: shop_proto::FILE_DESCRIPTOR_SET,
            security,
        }
        .prepare()
        .await?;
        Ok(Self {
            listener,
            store,
            config,
            service,
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

    /// Serves gRPC and runs the expiry sweeper until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServeError> {
        tracing::info!(addr = %self.local_addr(), "inventory service listening");
        let sweeper = tokio::spawn(sweeper::run(
            self.store.clone(),
            self.config.sweep_interval,
            shutdown.clone(),
        ));
        let reconciliation = tokio::spawn(reconciliation::run(
            self.store.clone(),
            self.config.check_interval,
            shutdown.clone(),
        ));
        let served = self.service.serve(self.listener, shutdown.clone()).await;
        shutdown.cancel();
        let _ = sweeper.await;
        let _ = reconciliation.await;
        served
    }
}
