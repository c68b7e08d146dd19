//! `spawn_app`: inventory, orders and the facade on random ports over one fresh database,
//! with an HTTP client for the facade and gRPC clients to arrange and check state.

use std::{net::SocketAddr, time::Duration};

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use shop_common::testing::{Backend, TestDatabase};
use shop_facade::{config::FacadeConfig, startup::Facade};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{config::OrdersConfig, startup::Orders};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as pb, order_service_client::OrderServiceClient},
};
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
    let database = TestDatabase::create(backend).await?;
    let shutdown = CancellationToken::new();

    let inventory = Inventory::build(
        InventoryConfig {
            addr: any_port(),
            ..InventoryConfig::default()
        },
        database.db.clone(),
    )
    .await
    .expect("bind inventory");
    let inventory_addr = inventory.local_addr();
    tokio::spawn(inventory.run(shutdown.child_token()));

    let orders = Orders::build(
        OrdersConfig {
            addr: any_port(),
            inventory_url: format!("http://{inventory_addr}"),
            ..OrdersConfig::default()
        },
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

    let base_url = spawn_facade(&format!("http://{orders_addr}"), &shutdown);
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
    let facade = Facade::build(FacadeConfig {
        http_addr: any_port(),
        orders_url: orders_url.to_owned(),
        webhook_key: Some(format!("{PREVIOUS_KEY}, {KEY}")),
        orders_timeout,
    })
    .expect("build the facade");
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

    /// A product with `stock` units on hand.
    pub async fn create_product(&self, stock: i32) -> inv::Product {
        let sku = format!("SKU-{}", uuid::Uuid::new_v4().simple());
        self.inventory
            .clone()
            .create_product(inv::CreateProductRequest {
                sku,
                name: "Blue mug".into(),
                stock,
            })
            .await
            .expect("create product")
            .into_inner()
    }

    pub async fn product(&self, id: &str) -> inv::Product {
        self.inventory
            .clone()
            .get_product(inv::GetProductRequest { id: id.into() })
            .await
            .expect("get product")
            .into_inner()
    }

    /// (stock, stock_reserved) of a product, read back through inventory.
    pub async fn stock(&self, id: &str) -> (i32, i32) {
        let product = self.product(id).await;
        (product.stock, product.stock_reserved)
    }

    pub async fn adjust_stock(&self, product_id: &str, delta: i32) {
        self.inventory
            .clone()
            .adjust_stock(inv::AdjustStockRequest {
                product_id: product_id.into(),
                delta,
                reason: "stock count".into(),
            })
            .await
            .expect("adjust stock");
    }

    /// An order (AWAITING_PAYMENT) of `quantity` units of `product_id`.
    pub async fn create_order(&self, product_id: &str, quantity: i32) -> pb::Order {
        self.orders
            .clone()
            .create_order(pb::CreateOrderRequest {
                customer_email: "ada@example.com".into(),
                customer_name: "Ada Lovelace".into(),
                currency: "EUR".into(),
                items: vec![pb::OrderItem {
                    product_id: product_id.into(),
                    name: "Blue mug".into(),
                    quantity,
                    unit_price_minor: 1250,
                    line_total_minor: 0,
                }],
                request_id: String::new(),
            })
            .await
            .expect("create order")
            .into_inner()
    }

    /// A product with `stock` units and an order of `quantity` of them: (product id, order id).
    pub async fn product_and_order(&self, stock: i32, quantity: i32) -> (String, String) {
        let product = self.create_product(stock).await;
        let order = self.create_order(&product.id, quantity).await;
        (product.id, order.id)
    }

    pub async fn order(&self, id: &str) -> pb::Order {
        self.orders
            .clone()
            .get_order(pb::GetOrderRequest { id: id.into() })
            .await
            .expect("get order")
            .into_inner()
    }

    pub async fn order_status(&self, id: &str) -> pb::OrderStatus {
        self.order(id).await.status()
    }

    /// Cancels an order awaiting payment (its stock goes back).
    pub async fn cancel_order(&self, id: &str) {
        self.orders
            .clone()
            .cancel_order(pb::CancelOrderRequest {
                id: id.into(),
                reason: "customer changed their mind".into(),
            })
            .await
            .expect("cancel order");
    }

    /// The outcomes of the payment events recorded for an order, oldest first.
    pub async fn payment_outcomes(&self, order_id: &str) -> Vec<pb::PaymentOutcome> {
        self.orders
            .clone()
            .list_payment_events(pb::ListPaymentEventsRequest {
                order_id: order_id.into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list payment events")
            .into_inner()
            .events
            .iter()
            .map(pb::PaymentEvent::outcome)
            .collect()
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
