//! `spawn_app`: a real inventory gRPC server on a random port over a fresh database, and a
//! tonic client connected to it over TCP.

use std::{net::SocketAddr, time::Duration};

use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_proto::inventory::v1::{self as pb, inventory_service_client::InventoryServiceClient};
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: InventoryServiceClient<Channel>,
    /// The database (deleted when the test ends), for tests that must corrupt it.
    pub database: TestDatabase,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Spawns the service with test settings (sweeper every 50 ms); `None` when the backend is
/// not available (PostgreSQL without `TEST_DATABASE_URL`).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut InventoryConfig),
) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    let mut config = InventoryConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        sweep_interval: Duration::from_millis(50),
        ..InventoryConfig::default()
    };
    configure(&mut config);
    let app = Inventory::build(config, Default::default(), database.db.clone())
        .await
        .expect("bind");
    let addr = app.local_addr();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect to the inventory service");
    Some(TestApp {
        addr,
        client: InventoryServiceClient::new(channel),
        database,
        shutdown,
    })
}

impl TestApp {
    pub async fn create_product(&self, sku: &str, stock: i32) -> pb::Product {
        self.client
            .clone()
            .create_product(pb::CreateProductRequest {
                sku: sku.into(),
                name: format!("Product {sku}"),
                stock,
            })
            .await
            .expect("create product")
            .into_inner()
    }

    pub async fn product(&self, id: &str) -> pb::Product {
        self.client
            .clone()
            .get_product(pb::GetProductRequest { id: id.into() })
            .await
            .expect("get product")
            .into_inner()
    }

    pub async fn reserve(
        &self,
        reservation_id: &str,
        lines: &[(&str, i32)],
    ) -> Result<pb::Reservation, tonic::Status> {
        self.client
            .clone()
            .reserve_stock(pb::ReserveStockRequest {
                reservation_id: reservation_id.into(),
                lines: lines
                    .iter()
                    .map(|(product_id, quantity)| pb::ReservationLine {
                        product_id: (*product_id).into(),
                        quantity: *quantity,
                    })
                    .collect(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn commit(&self, reservation_id: &str) -> Result<pb::Reservation, tonic::Status> {
        self.client
            .clone()
            .commit_reservation(pb::CommitReservationRequest {
                reservation_id: reservation_id.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn release(&self, reservation_id: &str) -> Result<pb::Reservation, tonic::Status> {
        self.client
            .clone()
            .release_reservation(pb::ReleaseReservationRequest {
                reservation_id: reservation_id.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn reservation(&self, reservation_id: &str) -> pb::Reservation {
        self.client
            .clone()
            .get_reservation(pb::GetReservationRequest {
                reservation_id: reservation_id.into(),
            })
            .await
            .expect("get reservation")
            .into_inner()
    }

    pub async fn adjust(&self, product_id: &str, delta: i32) -> Result<pb::Product, tonic::Status> {
        self.client
            .clone()
            .adjust_stock(pb::AdjustStockRequest {
                product_id: product_id.into(),
                delta,
                reason: "test".into(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Asserts a product's (stock, stock_reserved, available), read back through the API.
    pub async fn assert_counters(&self, id: &str, stock: i32, reserved: i32, available: i32) {
        let p = self.product(id).await;
        assert_eq!(
            (p.stock, p.stock_reserved, p.available),
            (stock, reserved, available),
            "(stock, stock_reserved, available) of {}",
            p.sku
        );
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `ErrorInfo.reason` attached to a status, if any.
pub fn reason(status: &tonic::Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// The fields named by a status' `BadRequest` details.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts that `result` failed with `code`, and returns the status.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: Code,
) -> tonic::Status {
    match result {
        Ok(value) => panic!("expected {code:?}, got Ok({value:?})"),
        Err(status) => {
            assert_eq!(status.code(), code, "unexpected status: {status:?}");
            status
        }
    }
}
