//! The split topology: four `shop` processes on one database and one SMTP server, with
//! extra environment variables.

use std::{path::Path, time::Duration};

use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use tonic::transport::Channel;

use crate::{
    cluster::Component,
    support::{SELLER_ENV, free_port, request},
};

const KEY: &str = "otlp-key";

/// The four components, running until dropped.
pub struct Topology {
    components: Vec<Component>,
    inventory: InventoryServiceClient<Channel>,
    orders: OrderServiceClient<Channel>,
    http_addr: String,
}

impl Topology {
    /// Starts them, `label` naming their log files under `dir`, each with `extra` set.
    pub fn start(
        database_url: &str,
        smtp_url: &str,
        dir: &Path,
        label: &'static str,
        extra: &[(&str, String)],
    ) -> Self {
        let addr = || format!("127.0.0.1:{}", free_port());
        let (inventory_addr, orders_addr, http_addr) = (addr(), addr(), addr());
        let env = |pairs: Vec<(&str, String)>| -> Vec<(String, String)> {
            let mut env = vec![("SHOP_DATABASE_URL".to_owned(), database_url.to_owned())];
            env.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
            env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            env
        };
        let seller = SELLER_ENV.map(|(k, v)| (k, v.to_owned()));
        let settings = [
            (
                "inventory",
                vec![("SHOP_INVENTORY_ADDR", inventory_addr.clone())],
            ),
            (
                "orders",
                vec![
                    ("SHOP_ORDERS_ADDR", orders_addr.clone()),
                    ("SHOP_INVENTORY_URL", format!("http://{inventory_addr}")),
                ],
            ),
            (
                "worker",
                [
                    vec![
                        ("SHOP_SMTP_URL", smtp_url.to_owned()),
                        ("SHOP_WORKER_POLL_INTERVAL", "100ms".to_owned()),
                    ],
                    seller.to_vec(),
                ]
                .concat(),
            ),
            (
                "facade",
                vec![
                    ("SHOP_HTTP_ADDR", http_addr.clone()),
                    ("SHOP_ORDERS_URL", format!("http://{orders_addr}")),
                    ("SHOP_WEBHOOK_KEY", KEY.to_owned()),
                ],
            ),
        ];
        let mut components: Vec<Component> = settings
            .into_iter()
            .map(|(name, pairs)| Component::replica(name, 0, env(pairs), &dir.join(label)))
            .collect();
        std::fs::create_dir_all(dir.join(label)).unwrap();
        // Migrations take an advisory lock: the components may start together.
        for component in &mut components {
            component.start();
        }
        let channel = |addr: &str| {
            Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .timeout(Duration::from_secs(5))
                .connect_lazy()
        };
        Self {
            components,
            inventory: InventoryServiceClient::new(channel(&inventory_addr)),
            orders: OrderServiceClient::new(channel(&orders_addr)),
            http_addr,
        }
    }

    /// A product and an order of it (retried while the services start).
    pub async fn create_order(&self, name: &str) -> String {
        let product = retry(|| {
            let mut client = self.inventory.clone();
            let request = inv::CreateProductRequest {
                sku: format!("{name}-1"),
                name: format!("{name} mug"),
                stock: 10,
            };
            async move { client.create_product(request).await }
        })
        .await;
        let request = ord::CreateOrderRequest {
            customer_email: format!("{name}@example.com"),
            customer_name: "Trace Tester".into(),
            currency: "EUR".into(),
            items: vec![ord::OrderItem {
                product_id: product.id,
                name: format!("{name} mug"),
                quantity: 1,
                unit_price_minor: 1250,
                line_total_minor: 0,
                tax_rate_bp: 0,
            }],
            request_id: String::new(),
            customer_address: String::new(),
        };
        retry(|| {
            let mut client = self.orders.clone();
            let request = request.clone();
            async move { client.create_order(request).await }
        })
        .await
        .id
    }

    /// The payment provider's paid webhook for `order_id`, through the facade (retried while
    /// it starts); it must be answered 200.
    pub fn pay(&self, order_id: &str) {
        let body = format!(r#"{{"order_id": "{order_id}", "status": "paid"}}"#);
        let head = format!(
            "POST /api/webhooks/payment/ HTTP/1.1\r\nX-Webhook-Key: {KEY}\r\n\
             Content-Type: application/json"
        );
        for _ in 0..100 {
            if std::net::TcpStream::connect(&self.http_addr).is_ok() {
                let response = request(&self.http_addr, &head, &body);
                assert!(response.starts_with("HTTP/1.1 200"), "{response}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the facade did not start:\n{}", self.logs());
    }

    /// The last log lines of every component.
    pub fn logs(&self) -> String {
        self.components
            .iter()
            .map(|c| format!("--- {}\n{}", c.name, c.log_tail(20)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn retry<T, F, Fut>(mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    for _ in 0..300 {
        match call().await {
            Ok(response) => return response.into_inner(),
            Err(status) if status.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("{status:?}"),
        }
    }
    panic!("the services did not start");
}
