//! A crash on the embedded default: `shop serve` on SQLite is SIGKILLed in the middle of a
//! webhook load and started again on the same files; the provider keeps retrying. Every paid
//! order ends confirmed once, the stock is exact, nothing stays reserved, and every invoice
//! reaches the SMTP server. Read back through the gRPC API and the SMTP sink, as a user would.

use std::{
    collections::HashSet,
    path::Path,
    process::{Child, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use shop_testkit::SmtpSink;

use crate::{
    provider::Provider,
    scenario::{lazy_channel, product_with_orders, retry_grpc},
    support::{self, free_port},
};

const ORDERS: usize = 40;
const STOCK: i32 = 500;
const KEY: &str = "crash-key";

/// The process under test, with the settings it is restarted with.
struct Serve {
    env: Vec<(&'static str, String)>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Serve {
    fn start(&mut self) {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join("serve.log"))
            .unwrap();
        let child = support::shop()
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

fn addr() -> String {
    format!("127.0.0.1:{}", free_port())
}

pub async fn run() {
    let sink = Arc::new(SmtpSink::start().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let (inventory_addr, orders_addr, http_addr) = (addr(), addr(), addr());
    let database = format!(
        "sqlite://{}?mode=rwc",
        Path::new(dir.path()).join("shop.db").display()
    );
    let mut serve = Serve {
        env: vec![
            ("SHOP_DATABASE_URL", database),
            ("SHOP_INVENTORY_ADDR", inventory_addr.clone()),
            ("SHOP_ORDERS_ADDR", orders_addr.clone()),
            ("SHOP_HTTP_ADDR", http_addr.clone()),
            ("SHOP_WEBHOOK_KEY", KEY.to_owned()),
            ("SHOP_SMTP_URL", sink.url()),
            ("SHOP_INVOICE_RETRY_DELAY", "200ms".to_owned()),
            ("SHOP_WORKER_POLL_INTERVAL", "100ms".to_owned()),
            // A job claimed by the killed process is sent again once its lease ends.
            ("SHOP_INVOICE_LEASE", "3s".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ],
        dir,
        child: None,
    };
    serve.start();
    let inventory = InventoryServiceClient::new(lazy_channel(&inventory_addr));
    let orders = OrderServiceClient::new(lazy_channel(&orders_addr));

    let (product, order_ids) =
        product_with_orders(&inventory, &orders, "CRASH", STOCK, ORDERS).await;

    // Pay one order every 50 ms, each paid twice at once; kill -9 the process half-way.
    let provider = Arc::new(Provider::new(&http_addr, KEY, Duration::from_secs(60)));
    let load = tokio::spawn(provider.clone().pay_paced(
        order_ids.clone(),
        Duration::from_millis(50),
        2,
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    serve.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    serve.start();
    let deliveries = load.await.unwrap();

    let mut breaches = Vec::new();
    assert_eq!(deliveries.len(), 2 * ORDERS, "every order paid twice");
    for delivery in &deliveries {
        if delivery.last() != 200 || delivery.answers.iter().any(|c| *c >= 500 && *c != 503) {
            breaches.push(format!(
                "{}: answers {:?}",
                delivery.order_id, delivery.answers
            ));
        }
    }
    for id in &order_ids {
        let order = retry_grpc(|| {
            let mut client = orders.clone();
            let id = id.clone();
            async move { client.get_order(ord::GetOrderRequest { id }).await }
        })
        .await
        .unwrap();
        if order.status() != ord::OrderStatus::Confirmed {
            breaches.push(format!("paid order {id} is {:?}", order.status()));
        }
    }
    let after = retry_grpc(|| {
        let mut client = inventory.clone();
        let id = product.id.clone();
        async move { client.get_product(inv::GetProductRequest { id }).await }
    })
    .await
    .unwrap();
    let expected_stock = STOCK - 2 * i32::try_from(ORDERS).unwrap();
    if (after.stock, after.stock_reserved) != (expected_stock, 0) {
        breaches.push(format!(
            "stock {} reserved {}: expected {expected_stock} and 0",
            after.stock, after.stock_reserved
        ));
    }

    // Every invoice arrives (a send cut off by the kill may arrive twice, with one Message-ID).
    let expected: HashSet<String> = order_ids
        .iter()
        .map(|id| format!("invoice-{id}@shop.invoices"))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mailed = loop {
        let mailed: HashSet<String> = sink
            .messages()
            .iter()
            .filter_map(|m| m.parse()?.message_id)
            .collect();
        if mailed == expected || Instant::now() > deadline {
            break mailed;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if mailed != expected {
        breaches.push(format!(
            "invoices: {} missing, {} unexpected",
            expected.difference(&mailed).count(),
            mailed.difference(&expected).count()
        ));
    }
    println!(
        "sqlite crash run: {} orders, answers by status {:?}, {} mails",
        ORDERS,
        provider.answers(),
        sink.messages().len()
    );
    assert!(
        breaches.is_empty(),
        "{} breaches:\n{}\n\nlog:\n{}",
        breaches.len(),
        breaches.join("\n"),
        serve.log()
    );
}
