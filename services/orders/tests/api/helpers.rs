//! `spawn_system`: real inventory and orders gRPC servers on random ports over one fresh
//! database (as `shop serve` runs them), and tonic clients connected over TCP.

use std::{net::SocketAddr, time::Duration};

use shop_common::{
    config::GrpcUrls,
    grpc::{ClientInterceptor, ClientSecurity, ServerSecurity, Upstream},
};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{
    config::{OrdersConfig, WorkerConfig},
    faults::Faults,
    startup::Orders,
    worker::Worker,
};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as pb, order_service_client::OrderServiceClient},
};
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;
use tonic::{Code, codegen::InterceptedService, transport::Channel};

pub struct Settings {
    pub reservation_ttl: Duration,
    /// The inventory server's token and TLS.
    pub inventory_security: ServerSecurity,
    /// The orders server's token and TLS.
    pub orders_security: ServerSecurity,
    /// The token and TLS orders calls inventory with.
    pub orders_client: ClientSecurity,
    /// How often the expiry sweepers run.
    pub sweep_interval: Duration,
    /// Where to record every SQL statement the two services send to the database.
    pub statements: Option<StatementLog>,
}

/// The SQL of every statement sea-orm sent, in order (BEGIN and COMMIT excepted: sqlx sends
/// those itself).
#[derive(Clone, Default)]
pub struct StatementLog(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl StatementLog {
    /// The statements recorded so far; the log starts again empty.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn watch(&self, db: &sea_orm::DatabaseConnection) -> sea_orm::DatabaseConnection {
        let mut db = db.clone();
        let log = self.0.clone();
        db.set_metric_callback(move |info| {
            log.lock().unwrap().push(info.statement.sql.clone());
        });
        db
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            reservation_ttl: Duration::from_secs(600),
            inventory_security: ServerSecurity::default(),
            orders_security: ServerSecurity::default(),
            orders_client: ClientSecurity::default(),
            sweep_interval: Duration::from_millis(50),
            statements: None,
        }
    }
}

type Intercepted = InterceptedService<Channel, ClientInterceptor>;

pub struct TestSystem {
    /// Inventory, as a test reads it (plain, even when orders reaches it over TLS).
    pub inventory: InventoryServiceClient<Intercepted>,
    pub orders: OrderServiceClient<Intercepted>,
    pub faults: Faults,
    /// `http://` URL of the orders server.
    pub orders_url: String,
    inventory_shutdown: CancellationToken,
    orders_shutdown: CancellationToken,
    workers_shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        self.inventory_shutdown.cancel();
        self.orders_shutdown.cancel();
        self.workers_shutdown.cancel();
    }
}

pub async fn spawn_system(backend: Backend) -> Option<TestSystem> {
    spawn_system_with(backend, Settings::default()).await
}

pub async fn spawn_system_with(backend: Backend, settings: Settings) -> Option<TestSystem> {
    // Counted from the start, so tests can read the metrics (see `metric`).
    shop_common::metrics::handle();
    let database = TestDatabase::create(backend).await?;
    let connection = || match &settings.statements {
        Some(log) => log.watch(&database.db),
        None => database.db.clone(),
    };
    let inventory_tls = settings.inventory_security.tls.cert.is_some();
    let inventory_config = InventoryConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        reservation_ttl: settings.reservation_ttl,
        sweep_interval: settings.sweep_interval,
        ..InventoryConfig::default()
    };
    let inventory = Inventory::build(inventory_config, settings.inventory_security, connection())
        .await
        .unwrap();
    let inventory_addr = inventory.local_addr();
    let inventory_shutdown = CancellationToken::new();
    tokio::spawn(inventory.run(inventory_shutdown.clone()));

    let clients = settings.orders_security.token.clone();
    let orders_config = OrdersConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        inventory_timeout: Duration::from_secs(2),
        sweep_interval: settings.sweep_interval,
    };
    let inventory_upstream = Upstream {
        urls: GrpcUrls::local(inventory_addr, inventory_tls),
        security: settings.orders_client,
        in_process: None,
    };
    let orders = Orders::build(
        orders_config,
        settings.orders_security,
        inventory_upstream,
        connection(),
    )
    .await
    .unwrap();
    let orders_addr = orders.local_addr();
    let faults = orders.faults();
    let orders_shutdown = CancellationToken::new();
    tokio::spawn(orders.run(orders_shutdown.clone()));

    Some(TestSystem {
        inventory: InventoryServiceClient::with_interceptor(
            channel(inventory_addr).await,
            ClientInterceptor::new(&clients),
        ),
        orders: OrderServiceClient::with_interceptor(
            channel(orders_addr).await,
            ClientInterceptor::new(&clients),
        ),
        faults,
        orders_url: format!("http://{orders_addr}"),
        inventory_shutdown,
        orders_shutdown,
        workers_shutdown: CancellationToken::new(),
        _database: database,
    })
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

impl TestSystem {
    /// Stops the inventory server (orders keeps running and must cope), and points
    /// `self.inventory` at a second inventory server over the same database, which orders
    /// does not know, so tests can still read the counters.
    pub async fn stop_inventory(&mut self) {
        self.inventory_shutdown.cancel();
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.view_inventory_directly().await;
    }

    /// Points `self.inventory` at a second, plain inventory server over the same database,
    /// which orders does not know (e.g. when orders reaches its own over TLS).
    pub async fn view_inventory_directly(&mut self) {
        let config = InventoryConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..InventoryConfig::default()
        };
        let reader = Inventory::build(config, ServerSecurity::default(), self._database.db.clone())
            .await
            .unwrap();
        let addr = reader.local_addr();
        self.inventory_shutdown = CancellationToken::new();
        tokio::spawn(reader.run(self.inventory_shutdown.clone()));
        self.inventory = InventoryServiceClient::with_interceptor(
            channel(addr).await,
            ClientInterceptor::default(),
        );
    }

    /// Starts an invoice worker over the system's database, sharing the system's faults
    /// (quick polls and retries for tests, the [`SELLER`] as seller; `configure` adjusts
    /// them).
    pub fn spawn_worker(
        &self,
        mail: shop_invoice::MailConfig,
        configure: impl FnOnce(&mut WorkerConfig),
    ) {
        let mut config = WorkerConfig::with_mail(mail);
        config.seller = seller();
        config.poll_interval = Duration::from_millis(50);
        config.retry_delay = Duration::from_millis(100);
        configure(&mut config);
        let seller = config.seller.resolve(false).expect("the test seller");
        let worker = Worker::new(&config, seller, self._database.db.clone())
            .expect("worker")
            .with_faults(self.faults.clone());
        tokio::spawn(worker.run(self.workers_shutdown.clone()));
    }

    /// Stops every worker started so far, as if their processes had died (a batch in
    /// progress is finished first); later `spawn_worker`s start new ones.
    pub fn stop_workers(&mut self) {
        self.workers_shutdown.cancel();
        self.workers_shutdown = CancellationToken::new();
    }

    pub async fn create_product(&self, sku: &str, stock: i32) -> String {
        self.inventory
            .clone()
            .create_product(inv::CreateProductRequest {
                sku: sku.into(),
                name: format!("Product {sku}"),
                stock,
            })
            .await
            .unwrap()
            .into_inner()
            .id
    }

    pub async fn product(&self, id: &str) -> inv::Product {
        self.inventory
            .clone()
            .get_product(inv::GetProductRequest { id: id.into() })
            .await
            .unwrap()
            .into_inner()
    }

    /// (stock, stock_reserved) of a product, read through the inventory API.
    pub async fn counters(&self, id: &str) -> (i32, i32) {
        let p = self.product(id).await;
        (p.stock, p.stock_reserved)
    }

    pub async fn adjust(&self, product_id: &str, delta: i32) {
        self.inventory
            .clone()
            .adjust_stock(inv::AdjustStockRequest {
                product_id: product_id.into(),
                delta,
                reason: "test".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    pub async fn try_create_order(
        &self,
        items: &[(&str, i32)],
    ) -> Result<pb::Order, tonic::Status> {
        self.orders
            .clone()
            .create_order(order_request(items))
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn create_order(&self, items: &[(&str, i32)]) -> pb::Order {
        self.try_create_order(items).await.expect("create order")
    }

    pub async fn order(&self, id: &str) -> pb::Order {
        self.orders
            .clone()
            .get_order(pb::GetOrderRequest { id: id.into() })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn pay(
        &self,
        order_id: &str,
        status: pb::PaymentStatus,
    ) -> Result<pb::RecordPaymentResponse, tonic::Status> {
        self.orders
            .clone()
            .record_payment(pb::RecordPaymentRequest {
                order_id: order_id.into(),
                status: status.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn cancel(&self, order_id: &str) -> Result<pb::Order, tonic::Status> {
        self.orders
            .clone()
            .cancel_order(pb::CancelOrderRequest {
                id: order_id.into(),
                reason: "changed my mind".into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn events(&self, order_id: &str) -> Vec<pb::PaymentEvent> {
        self.orders
            .clone()
            .list_payment_events(pb::ListPaymentEventsRequest {
                order_id: order_id.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events
    }

    pub async fn invoice_jobs(&self) -> Vec<pb::InvoiceJob> {
        self.orders
            .clone()
            .list_invoice_jobs(pb::ListInvoiceJobsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .jobs
    }

    /// Waits until `check` holds for the order, or fails after 10 s.
    pub async fn wait_for_order(&self, id: &str, check: impl Fn(&pb::Order) -> bool) -> pb::Order {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let order = self.order(id).await;
            if check(&order) {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order never got there: {order:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The seller the test workers print: (name, address, tax id).
pub const SELLER: (&str, &str, &str) = (
    "Teströsterei GmbH",
    "Prüfweg 3; 10115 Berlin",
    "DE999999999",
);

/// [`SELLER`] as worker settings.
pub fn seller() -> shop_invoice::SellerConfig {
    shop_invoice::SellerConfig {
        name: Some(SELLER.0.into()),
        address: Some(SELLER.1.into()),
        tax_id: Some(SELLER.2.into()),
        logo: None,
    }
}

/// A valid CreateOrder request: each item at 12.50 EUR.
pub fn order_request(items: &[(&str, i32)]) -> pb::CreateOrderRequest {
    pb::CreateOrderRequest {
        customer_email: "ada@example.com".into(),
        customer_name: "Ada Lovelace".into(),
        currency: "EUR".into(),
        items: items
            .iter()
            .map(|(product_id, quantity)| pb::OrderItem {
                product_id: (*product_id).into(),
                name: "Mug".into(),
                quantity: *quantity,
                unit_price_minor: 1250,
                line_total_minor: 0,
                tax_rate_bp: 0,
            })
            .collect(),
        request_id: String::new(),
        customer_address: String::new(),
    }
}

/// The value of one metric of this process (`name{labels}` as rendered), if recorded.
pub fn metric(series: &str) -> Option<f64> {
    shop_common::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Outcomes of an order's payment events, oldest first.
pub fn outcomes(events: &[pb::PaymentEvent]) -> Vec<pb::PaymentOutcome> {
    events.iter().map(|e| e.outcome()).collect()
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

pub const PAID: pb::PaymentStatus = pb::PaymentStatus::Paid;
pub const FAILED: pb::PaymentStatus = pb::PaymentStatus::Failed;
