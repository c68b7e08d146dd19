//! A database outage: `shop serve` reaches PostgreSQL through a proxy that the test switches
//! off. Requests during the outage are answered 503 (webhooks) or UNAVAILABLE (gRPC) within
//! their deadlines — not 500, not a hang — and the services recover by themselves.

use std::time::{Duration, Instant};

use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use shop_testkit::db::{Backend, TestDatabase};
use tonic::{Code, transport::Channel};

use crate::{
    proxy::Proxy,
    support::{SELLER_ENV, free_port},
};

pub async fn run() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let mut url = url::Url::parse(&database.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(upstream.parse().unwrap()).await;
    url.set_port(Some(proxy.addr.port())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (inventory_addr, orders_addr, http_addr) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_shop"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SHOP_") {
            serve.env_remove(key);
        }
    }
    let mut serve = serve
        .arg("serve")
        .env("SHOP_DATABASE_URL", url.as_str())
        .env("SHOP_INVENTORY_ADDR", &inventory_addr)
        .env("SHOP_ORDERS_ADDR", &orders_addr)
        .env("SHOP_HTTP_ADDR", &http_addr)
        .env("SHOP_WEBHOOK_KEY", "outage-key")
        .env("SHOP_MAIL_DIR", dir.path())
        .envs(SELLER_ENV)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _kill_on_exit = KillOnDrop(&mut serve);

    let channel = |addr: &str| {
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .timeout(Duration::from_secs(20))
            .connect_lazy()
    };
    let mut inventory = InventoryServiceClient::new(channel(&inventory_addr));
    let mut orders = OrderServiceClient::new(channel(&orders_addr));
    let product = eventually(|| {
        let mut inventory = inventory.clone();
        async move {
            inventory
                .create_product(inv::CreateProductRequest {
                    sku: "OUTAGE".into(),
                    name: "Outage mug".into(),
                    stock: 5,
                })
                .await
        }
    })
    .await;
    let order = orders
        .create_order(ord::CreateOrderRequest {
            customer_email: "ada@example.com".into(),
            customer_name: "Ada".into(),
            currency: "EUR".into(),
            items: vec![ord::OrderItem {
                product_id: product.id.clone(),
                name: "Mug".into(),
                quantity: 2,
                unit_price_minor: 500,
                line_total_minor: 0,
                tax_rate_bp: 0,
            }],
            request_id: String::new(),
            customer_address: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    proxy.set_down(true);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let webhook = || {
        http.post(format!("http://{http_addr}/api/webhooks/payment/"))
            .header("X-Webhook-Key", "outage-key")
            .header("Content-Type", "application/json")
            .body(format!(
                r#"{{"order_id": "{}", "status": "paid"}}"#,
                order.id
            ))
            .send()
    };
    for _ in 0..3 {
        let asked = Instant::now();
        let response = webhook().await.expect("an answer, not a hang");
        assert_eq!(response.status().as_u16(), 503, "during the outage");
        assert!(response.headers().contains_key("retry-after"));
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "answered within its deadline: {:?}",
            asked.elapsed()
        );
    }
    let status = orders
        .get_order(ord::GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let status = inventory
        .get_product(inv::GetProductRequest {
            id: product.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");

    proxy.set_down(false);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = webhook().await.expect("an answer");
        if response.status().as_u16() == 200 {
            break;
        }
        assert_eq!(response.status().as_u16(), 503);
        assert!(Instant::now() < deadline, "the services never recovered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let confirmed = orders
        .get_order(ord::GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.status(), ord::OrderStatus::Confirmed);
    let counters = inventory
        .get_product(inv::GetProductRequest { id: product.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((counters.stock, counters.stock_reserved), (3, 0));
}

async fn eventually<T, F, Fut>(mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match call().await {
            Ok(response) => return response.into_inner(),
            Err(status) if Instant::now() < deadline => {
                let _ = status;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("never answered: {status:?}"),
        }
    }
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
