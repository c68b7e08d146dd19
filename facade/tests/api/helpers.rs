//! `spawn_app`: inventory, orders and the facade on random ports over one fresh database,
//! with an HTTP client for the facade and gRPC clients to arrange and check state (those
//! helpers are in `helpers/state.rs`).

mod state;

use std::{net::SocketAddr, time::Duration};

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use shop_common::{config::GrpcUrls, grpc::Upstream};
use shop_facade::{config::FacadeConfig, startup::Facade};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{config::OrdersConfig, startup::Orders};
use shop_proto::{
    inventory::v1::inventory_service_client::InventoryServiceClient,
    orders::v1::order_service_client::OrderServiceClient,
};
use shop_testkit::db::{Backend, TestDatabase};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// The key the facade is configured with, and the one being rotated out (both accepted).
pub const KEY: &str = "test-key-current";
pub const PREVIOUS_KEY: &str = "test-key-previous";

/// The 200 body of the contract.
pub fn received() -> Value {
    serde_json::json!({"message": "Webhook received"})
}

pub struct TestApp {
    /// `http://127.0.0.1:port` of the facade.
    pub base_url: String,
    pub http: reqwest::Client,
    pub orders: OrderServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    orders_shutdown: CancellationToken,
    orders_task: Option<JoinHandle<()>>,
    shutdown: CancellationToken,
    /// Kept alive for the test: the database is deleted when it drops.
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the three components; `None` when the backend is not available (PostgreSQL
/// without `TEST_DATABASE_URL`).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_signing(backend, None).await
}

/// Like [`spawn_app`], the facade also requiring `X-Webhook-Signature` made with one of
/// `signing_secrets` (comma-separated, as `SHOP_WEBHOOK_SIGNING_SECRETS`) when given.
pub async fn spawn_app_with_signing(
    backend: Backend,
    signing_secrets: Option<&str>,
) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    // Counted from the start, so tests can read `/metrics` (see `TestApp::metric`).
    shop_common::metrics::handle();
    let shutdown = CancellationToken::new();

    let inventory = Inventory::build(
        InventoryConfig {
            addr: any_port(),
            ..InventoryConfig::default()
        },
        Default::default(),
        database.db.clone(),
    )
    .await
    .expect("bind inventory");
    let inventory_addr = inventory.local_addr();
    tokio::spawn(inventory.run(shutdown.child_token()));

    let orders = Orders::build(
        OrdersConfig {
            addr: any_port(),
            ..OrdersConfig::default()
        },
        Default::default(),
        upstream(&format!("http://{inventory_addr}")),
        database.db.clone(),
    )
    .await
    .expect("bind orders");
    let orders_addr = orders.local_addr();
    let orders_shutdown = shutdown.child_token();
    let orders_task = tokio::spawn({
        let token = orders_shutdown.clone();
        async move {
            orders.run(token).await.expect("orders service failed");
        }
    });

    let base_url = start_facade(
        FacadeConfig {
            webhook_signing_secrets: signing_secrets.map(str::to_owned),
            ..facade_config()
        },
        &format!("http://{orders_addr}"),
        &shutdown,
    );
    Some(TestApp {
        base_url,
        http: reqwest::Client::new(),
        orders: OrderServiceClient::new(channel(orders_addr).await),
        inventory: InventoryServiceClient::new(channel(inventory_addr).await),
        orders_shutdown,
        orders_task: Some(orders_task),
        shutdown,
        _database: database,
    })
}

/// Starts only a facade, calling orders at `orders_url`; returns its base URL.
pub fn spawn_facade(orders_url: &str, shutdown: &CancellationToken) -> String {
    spawn_facade_with_timeout(orders_url, Duration::from_secs(5), shutdown)
}

/// Like [`spawn_facade`], with another deadline for calls to orders.
pub fn spawn_facade_with_timeout(
    orders_url: &str,
    orders_timeout: Duration,
    shutdown: &CancellationToken,
) -> String {
    let config = FacadeConfig {
        orders_timeout,
        ..facade_config()
    };
    start_facade(config, orders_url, shutdown)
}

/// The tests' facade settings: any port, both keys, no signing.
fn facade_config() -> FacadeConfig {
    FacadeConfig {
        http_addr: any_port(),
        webhook_key: Some(format!("{PREVIOUS_KEY}, {KEY}")),
        ..FacadeConfig::default()
    }
}

/// A service at `url`, called without token or TLS.
fn upstream(url: &str) -> Upstream {
    Upstream {
        urls: GrpcUrls::parse(url).expect("a valid URL"),
        security: Default::default(),
        in_process: None,
    }
}

fn start_facade(config: FacadeConfig, orders_url: &str, shutdown: &CancellationToken) -> String {
    let facade = Facade::build(config, upstream(orders_url)).expect("build the facade");
    let base_url = format!("http://{}", facade.local_addr());
    tokio::spawn(facade.run(shutdown.child_token()));
    base_url
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect over gRPC")
}

/// A URL where nothing listens: a port that was bound, then released.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// Reads a response's status and JSON body (`Null` when the body is not JSON).
pub async fn status_and_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

impl TestApp {
    /// `POST /api/webhooks/payment/` with `key` (none when `None`), body still to be set.
    pub fn webhook(&self, key: Option<&str>) -> RequestBuilder {
        let request = self
            .http
            .post(format!("{}/api/webhooks/payment/", self.base_url));
        match key {
            Some(key) => request.header("X-Webhook-Key", key),
            None => request,
        }
    }

    /// A JSON webhook with the current key.
    pub async fn notify(&self, order_id: &str, status: &str) -> Response {
        self.webhook(Some(KEY))
            .json(&serde_json::json!({"order_id": order_id, "status": status}))
            .send()
            .await
            .expect("the facade answers")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("the facade answers")
    }

    /// One series of `GET /metrics` (`name{labels}` as rendered), if recorded: the metrics of
    /// every component in this process.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    /// Stops the orders service and waits until it has stopped.
    pub async fn stop_orders(&mut self) {
        self.orders_shutdown.cancel();
        if let Some(task) = self.orders_task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("orders stops within 10 s")
                .expect("orders stops cleanly");
        }
    }
}
