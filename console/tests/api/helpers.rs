//! `spawn_console`: inventory, orders, an invoice worker sending to an SMTP sink, and the
//! console, over one fresh database; an HTTP client with a cookie store that does not follow
//! redirects (tests look at them); gRPC clients to arrange and check state.

use std::{net::SocketAddr, time::Duration};

use reqwest::{Response, StatusCode, redirect::Policy};
use shop_common::{config::GrpcUrls, grpc::Upstream};
use shop_console::{config::ConsoleConfig, startup::Console, users::Operators};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{
    config::{OrdersConfig, WorkerConfig},
    startup::Orders,
    worker::Worker,
};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as pb, order_service_client::OrderServiceClient},
};
use shop_testkit::SmtpSink;
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// The operator the tests sign in as.
pub const OPERATOR: (&str, &str) = ("ada", "correct horse battery");

pub struct TestConsole {
    /// `http://127.0.0.1:port` of the console.
    pub base_url: String,
    pub http: reqwest::Client,
    pub orders: OrderServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    /// Where the worker sends invoices; `refuse_all` makes them fail.
    pub smtp: SmtpSink,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for TestConsole {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts everything; `None` when the backend is not available. Invoices that fail once are
/// dead at once (one attempt), so tests can resend them.
pub async fn spawn_console(backend: Backend) -> Option<TestConsole> {
    let database = TestDatabase::create(backend).await?;
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
        upstream(inventory_addr),
        database.db.clone(),
    )
    .await
    .expect("bind orders");
    let orders_addr = orders.local_addr();
    tokio::spawn(orders.run(shutdown.child_token()));

    let smtp = SmtpSink::start().await.unwrap();
    let mut worker = WorkerConfig::with_mail(shop_invoice::MailConfig {
        smtp_url: Some(smtp.url()),
        mail_from: shop_invoice::DEFAULT_MAIL_FROM.parse().unwrap(),
        mail_dir: "unused".into(),
    });
    worker.poll_interval = Duration::from_millis(50);
    worker.max_attempts = Some(1);
    let seller = worker.seller.resolve(true).expect("the demo seller");
    let worker = Worker::new(&worker, seller, database.db.clone()).expect("worker");
    tokio::spawn(worker.run(shutdown.child_token()));

    let operators = Operators::single(OPERATOR.0, OPERATOR.1);
    let console = Console::build(
        ConsoleConfig {
            addr: any_port(),
            session_key: Some("a test session key of at least 32 characters".into()),
            ..ConsoleConfig::default()
        },
        upstream(inventory_addr),
        upstream(orders_addr),
        Some(operators),
    )
    .await
    .expect("build the console");
    let base_url = format!("http://{}", console.local_addr());
    tokio::spawn(console.run(shutdown.child_token()));

    Some(TestConsole {
        base_url,
        http: browser(),
        orders: OrderServiceClient::new(channel(orders_addr).await),
        inventory: InventoryServiceClient::new(channel(inventory_addr).await),
        smtp,
        shutdown,
        _database: database,
    })
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn upstream(addr: SocketAddr) -> Upstream {
    Upstream::remote(
        GrpcUrls::parse(&format!("http://{addr}")).unwrap(),
        Default::default(),
    )
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

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

/// Where a redirect goes.
pub fn location(response: &Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

impl TestConsole {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// Posts a form; answers the response (redirects not followed).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in as [`OPERATOR`]; answers a CSRF token of the session.
    pub async fn sign_in(&self) -> String {
        let (_, form) = self.get("/login").await;
        let response = self
            .post(
                "/login",
                &[
                    ("name", OPERATOR.0),
                    ("password", OPERATOR.1),
                    ("csrf", &csrf_of(&form)),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
        let (status, page) = self.get("/products").await;
        assert_eq!(status, StatusCode::OK);
        csrf_of(&page)
    }

    pub async fn create_product(&self, sku: &str, name: &str, stock: i32) -> inv::Product {
        self.inventory
            .clone()
            .create_product(inv::CreateProductRequest {
                sku: sku.into(),
                name: name.into(),
                stock,
            })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn product(&self, id: &str) -> inv::Product {
        self.inventory
            .clone()
            .get_product(inv::GetProductRequest { id: id.into() })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn create_order(&self, product: &str, quantity: i32, email: &str) -> pb::Order {
        self.orders
            .clone()
            .create_order(pb::CreateOrderRequest {
                customer_email: email.into(),
                customer_name: "Grace Hopper".into(),
                currency: "EUR".into(),
                items: vec![pb::OrderItem {
                    product_id: product.into(),
                    name: "Mug".into(),
                    quantity,
                    unit_price_minor: 1250,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn pay(&self, order_id: &str) -> Result<pb::RecordPaymentResponse, tonic::Status> {
        self.orders
            .clone()
            .record_payment(pb::RecordPaymentRequest {
                order_id: order_id.into(),
                status: pb::PaymentStatus::Paid.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn order(&self, id: &str) -> pb::Order {
        self.orders
            .clone()
            .get_order(pb::GetOrderRequest { id: id.into() })
            .await
            .unwrap()
            .into_inner()
    }

    /// Waits until the order's invoice job is in `state`.
    pub async fn wait_for_job(&self, order_id: &str, state: pb::InvoiceJobState) -> pb::InvoiceJob {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let job = self
                .orders
                .clone()
                .get_invoice_job(pb::GetInvoiceJobRequest {
                    order_id: order_id.into(),
                })
                .await
                .unwrap()
                .into_inner();
            if job.state() == state {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job never {state:?}: {job:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
