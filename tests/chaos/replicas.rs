//! Two replicas of every component against one PostgreSQL: the facades spread their calls
//! over both orders replicas, the orders replicas over both inventory replicas, two workers
//! share the outbox. Concurrent paid webhooks with duplicates, sent to both facades, still
//! give one confirmation, one stock decrement and one invoice per order.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use shop_testkit::SmtpSink;
use shop_testkit::db::{Backend, TestDatabase};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::{
    cluster::Component,
    invariants,
    provider::Provider,
    support::{SELLER_ENV, free_port},
};

pub async fn run() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = || format!("127.0.0.1:{}", free_port());
    let (inventory_addrs, orders_addrs, http_addrs) =
        ([addr(), addr()], [addr(), addr()], [addr(), addr()]);
    let (inventory_metrics, orders_metrics) = ([addr(), addr()], [addr(), addr()]);
    let list = |addrs: &[String; 2]| {
        addrs
            .iter()
            .map(|a| format!("http://{a}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (inventory_urls, orders_urls) = (list(&inventory_addrs), list(&orders_addrs));
    let db = |pairs: Vec<(&str, String)>| {
        let mut env = vec![("SHOP_DATABASE_URL".to_owned(), database.url.clone())];
        env.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
        env
    };
    let mut components = Vec::new();
    for n in 0..2 {
        components.push(Component::replica(
            "inventory",
            n,
            db(vec![
                ("SHOP_INVENTORY_ADDR", inventory_addrs[n].clone()),
                ("SHOP_METRICS_ADDR", inventory_metrics[n].clone()),
            ]),
            dir.path(),
        ));
        components.push(Component::replica(
            "orders",
            n,
            db(vec![
                ("SHOP_ORDERS_ADDR", orders_addrs[n].clone()),
                ("SHOP_INVENTORY_URL", inventory_urls.clone()),
                ("SHOP_METRICS_ADDR", orders_metrics[n].clone()),
            ]),
            dir.path(),
        ));
        components.push(Component::replica(
            "worker",
            n,
            db(vec![
                ("SHOP_SMTP_URL", sink.url()),
                ("SHOP_WORKER_POLL_INTERVAL", "100ms".into()),
                (SELLER_ENV[0].0, SELLER_ENV[0].1.into()),
                (SELLER_ENV[1].0, SELLER_ENV[1].1.into()),
                (SELLER_ENV[2].0, SELLER_ENV[2].1.into()),
            ]),
            dir.path(),
        ));
        components.push(Component::replica(
            "facade",
            n,
            vec![
                ("SHOP_HTTP_ADDR".into(), http_addrs[n].clone()),
                ("SHOP_ORDERS_URL".into(), orders_urls.clone()),
                ("SHOP_WEBHOOK_KEY".into(), "replica-key".into()),
            ],
            dir.path(),
        ));
    }
    // Replicas migrate one after the other (an advisory lock); start them all at once.
    for component in &mut components {
        component.start();
    }

    let channel = |urls: &str| {
        let urls = shop_common::config::GrpcUrls::parse(urls).unwrap();
        shop_common::grpc::connect_lazy(&urls, Duration::from_secs(10), &Default::default())
            .unwrap()
    };
    let inventory = InventoryServiceClient::new(channel(&inventory_urls));
    let orders = OrderServiceClient::new(channel(&orders_urls));
    let products = eventually_products(&inventory).await;
    let initial_stock: HashMap<Uuid, i64> = products
        .iter()
        .map(|p| (p.id.parse().unwrap(), i64::from(p.stock)))
        .collect();

    let mut order_ids = Vec::new();
    for n in 0..40 {
        let product = &products[n % products.len()];
        let request = ord::CreateOrderRequest {
            customer_email: format!("replica{n}@example.com"),
            customer_name: format!("Replica {n}"),
            currency: "EUR".into(),
            items: vec![ord::OrderItem {
                product_id: product.id.clone(),
                name: "Mug".into(),
                quantity: 1,
                unit_price_minor: 500,
                line_total_minor: 0,
                tax_rate_bp: 0,
            }],
            request_id: String::new(),
            customer_address: String::new(),
        };
        order_ids.push(
            orders
                .clone()
                .create_order(request)
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }

    // Every order paid 4 times at once, alternately through each facade.
    let providers = [
        Arc::new(Provider::new(
            &http_addrs[0],
            "replica-key",
            Duration::from_secs(60),
        )),
        Arc::new(Provider::new(
            &http_addrs[1],
            "replica-key",
            Duration::from_secs(60),
        )),
    ];
    let deliveries: Vec<_> = futures::stream::iter(
        order_ids
            .iter()
            .flat_map(|id| (0..4).map(move |k| (id.clone(), k))),
    )
    .map(|(id, k)| {
        let provider = providers[k % 2].clone();
        async move { provider.deliver(&id, "paid").await }
    })
    .buffer_unordered(32)
    .collect()
    .await;

    sink.wait_for(order_ids.len(), Duration::from_secs(60))
        .await
        .unwrap();
    let (report, breaches) = invariants::check(&invariants::Evidence {
        db: &database.db,
        initial_stock: &initial_stock,
        deliveries: &deliveries,
        sink: &sink,
    })
    .await;
    println!("{}", report.join("\n"));
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));

    let confirmed = database
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM orders WHERE status = 'confirmed'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        confirmed.try_get::<i64>("", "n").unwrap(),
        order_ids.len() as i64
    );

    // Both replicas of each gRPC service did part of the work.
    for (addr, series) in [
        (&orders_metrics[0], ORDERS_SERIES),
        (&orders_metrics[1], ORDERS_SERIES),
        (&inventory_metrics[0], INVENTORY_SERIES),
        (&inventory_metrics[1], INVENTORY_SERIES),
    ] {
        let served = served(addr, series);
        assert!(served > 0, "the replica behind {addr} served no {series}");
    }
    drop(components);
}

const ORDERS_SERIES: &str = r#"shop_grpc_server_requests_total{service="shop.orders.v1.OrderService",method="RecordPayment",code="OK"}"#;
const INVENTORY_SERIES: &str = r#"shop_grpc_server_requests_total{service="shop.inventory.v1.InventoryService",method="CommitReservation",code="OK"}"#;

/// The value of `series` on the replica's `/metrics` (0 when absent).
fn served(addr: &str, series: &str) -> u64 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    page.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn eventually_products(inventory: &InventoryServiceClient<Channel>) -> Vec<inv::Product> {
    let mut products = Vec::new();
    for i in 0..4 {
        let request = inv::CreateProductRequest {
            sku: format!("REPLICA-{i}"),
            name: format!("Replica {i}"),
            stock: 20,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match inventory.clone().create_product(request.clone()).await {
                Ok(product) => {
                    products.push(product.into_inner());
                    break;
                }
                Err(status) if std::time::Instant::now() < deadline => {
                    let _ = status;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(status) => panic!("inventory never answered: {status:?}"),
            }
        }
    }
    products
}
