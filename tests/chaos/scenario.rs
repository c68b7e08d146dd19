//! One chaos run: orders over a few products with little stock, paid and failed webhooks
//! with concurrent duplicates and retries, while processes are SIGKILLed and restarted,
//! database connections are cut and the mail server goes away for a while.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use shop_testkit::SmtpSink;
use shop_testkit::db::{Backend, TestDatabase};
use tonic::{Code, transport::Channel};
use uuid::Uuid;

use crate::{
    cluster::Cluster,
    invariants,
    monkey::{self, Mayhem},
    provider::{Delivery, Provider},
};

/// The size of a run.
pub struct Settings {
    pub products: usize,
    pub stock: i32,
    pub orders: usize,
    /// Each paid webhook is sent by up to this many concurrent senders.
    pub duplicates: usize,
    /// Orders start this far apart, so that the load spans many chaos events.
    pub pace: Duration,
}

impl Settings {
    /// The CI run: about half a minute.
    pub fn short() -> Self {
        Self {
            products: 4,
            stock: 20,
            orders: 80,
            duplicates: 4,
            pace: Duration::from_millis(200),
        }
    }

    /// The long run, sized by `SHOP_CHAOS_ORDERS` and `SHOP_CHAOS_PRODUCTS`.
    pub fn long() -> Self {
        let var = |name: &str, default: usize| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let orders = var("SHOP_CHAOS_ORDERS", 1000);
        let products = var("SHOP_CHAOS_PRODUCTS", 10).max(1);
        // Enough stock for roughly two orders in three.
        let stock = i32::try_from(orders * 3 / 2 / products)
            .unwrap_or(i32::MAX)
            .max(1);
        Self {
            products,
            stock,
            orders,
            duplicates: 6,
            pace: Duration::from_millis(50),
        }
    }
}

pub async fn run(settings: Settings) {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let sink = Arc::new(SmtpSink::start().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let cluster = Arc::new(Mutex::new(Cluster::start(
        &database.url,
        &sink.url(),
        dir.path(),
    )));
    let (inventory_addr, orders_addr, http_addr, key) = {
        let c = cluster.lock().unwrap();
        (
            c.inventory_addr.clone(),
            c.orders_addr.clone(),
            c.http_addr.clone(),
            c.key.clone(),
        )
    };
    let inventory = InventoryServiceClient::new(lazy_channel(&inventory_addr));
    let orders = OrderServiceClient::new(lazy_channel(&orders_addr));
    let started = Instant::now();

    // Products, before the chaos starts.
    let mut initial_stock = HashMap::new();
    let mut products = Vec::new();
    for i in 0..settings.products {
        let request = inv::CreateProductRequest {
            sku: format!("CHAOS-{i}"),
            name: format!("Chaos {i}"),
            stock: settings.stock,
        };
        let product = retry_grpc(|| {
            let mut client = inventory.clone();
            let request = request.clone();
            async move { client.create_product(request).await }
        })
        .await
        .expect("create product");
        initial_stock.insert(
            product.id.parse::<Uuid>().unwrap(),
            i64::from(product.stock),
        );
        products.push(product.id);
    }

    // The chaos monkey, until the load is done.
    let stop = Arc::new(AtomicBool::new(false));
    let mayhem = Arc::new(Mayhem::default());
    let monkey = tokio::spawn(monkey::chaos(
        cluster.clone(),
        sink.clone(),
        database.db.clone(),
        stop.clone(),
        mayhem.clone(),
    ));

    // The load: create each order (idempotently, across crashes), then the provider's webhooks.
    let provider = Arc::new(Provider::new(&http_addr, &key, Duration::from_secs(90)));
    let created = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let tasks = (0..settings.orders).map(|n| {
        let orders = orders.clone();
        let provider = provider.clone();
        let products = products.clone();
        let (created, refused) = (created.clone(), refused.clone());
        let duplicates = settings.duplicates;
        let start_at = started + settings.pace * u32::try_from(n).unwrap_or(u32::MAX);
        async move {
            tokio::time::sleep_until(start_at.into()).await;
            let Some(order) = create_order(&orders, &products, n).await else {
                refused.fetch_add(1, Ordering::Relaxed);
                return Vec::new();
            };
            created.fetch_add(1, Ordering::Relaxed);
            play_provider(&provider, &order, duplicates).await
        }
    });
    let unknown = (0..5).map(|_| {
        let provider = provider.clone();
        async move { vec![provider.deliver(&Uuid::new_v4().to_string(), "paid").await] }
    });
    let mut deliveries: Vec<Delivery> = futures::stream::iter(tasks)
        .buffer_unordered(64)
        .flat_map(futures::stream::iter)
        .collect()
        .await;
    for batch in futures::future::join_all(unknown).await {
        deliveries.extend(batch);
    }
    let load_time = started.elapsed();

    stop.store(true, Ordering::SeqCst);
    monkey.await.unwrap();
    // A mail outage may still be running its course.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    if !sink.is_running().await {
        sink.restart().await.unwrap();
    }
    cluster.lock().unwrap().revive();

    // Let the worker drain the outbox.
    let drain_deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending = database
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM invoice_jobs WHERE state <> 'sent'",
            ))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get::<i64>("", "n").ok());
        if pending == Some(0) || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (report, breaches) = invariants::check(&invariants::Evidence {
        db: &database.db,
        initial_stock: &initial_stock,
        deliveries: &deliveries,
        sink: &sink,
    })
    .await;
    let m = &mayhem;
    let summary = format!(
        "chaos run: {} orders attempted, {} created, {} refused for stock, in {:.1?}\n\
         webhooks: {} deliveries, answers by status {:?}\n\
         mayhem: orders SIGKILLed {}, inventory SIGKILLed {}, backend terminations {}, SMTP outages {}\n{}",
        settings.orders,
        created.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        load_time,
        deliveries.len(),
        provider.answers(),
        m.orders_killed.load(Ordering::Relaxed),
        m.inventory_killed.load(Ordering::Relaxed),
        m.backends_terminated.load(Ordering::Relaxed),
        m.smtp_outages.load(Ordering::Relaxed),
        report.join("\n"),
    );
    println!("{summary}");
    assert!(
        m.orders_killed.load(Ordering::Relaxed) + m.inventory_killed.load(Ordering::Relaxed) > 0,
        "the run ended before any process was killed:\n{summary}"
    );
    assert!(
        breaches.is_empty(),
        "{} invariant breaches:\n{}\n\n{summary}\n\n{}",
        breaches.len(),
        breaches.join("\n"),
        cluster.lock().unwrap().logs()
    );
    println!("every invariant holds");
}

/// Creates order `n` (1–2 random products, 1–2 units each), retrying across crashes with the
/// same `request_id`; `None` when there is not enough stock.
async fn create_order(
    orders: &OrderServiceClient<Channel>,
    products: &[String],
    n: usize,
) -> Option<ord::Order> {
    let mut chosen = products.to_vec();
    fastrand::shuffle(&mut chosen);
    let items = chosen
        .into_iter()
        .take(fastrand::usize(1..=2))
        .map(|product_id| ord::OrderItem {
            product_id,
            name: "Chaos item".into(),
            quantity: fastrand::i32(1..=2),
            unit_price_minor: 999,
            line_total_minor: 0,
            tax_rate_bp: 0,
        })
        .collect();
    let request = ord::CreateOrderRequest {
        customer_email: format!("customer{n}@example.com"),
        customer_name: format!("Customer {n}"),
        currency: "EUR".into(),
        items,
        request_id: format!("chaos-{n}-{}", Uuid::new_v4()),
        customer_address: String::new(),
    };
    match retry_grpc(|| {
        let mut client = orders.clone();
        let request = request.clone();
        async move { client.create_order(request).await }
    })
    .await
    {
        Ok(order) => Some(order),
        Err(status) if status.code() == Code::FailedPrecondition => None,
        Err(status) => panic!("CreateOrder failed for good: {status:?}"),
    }
}

/// The provider's webhooks for one order: paid (by several concurrent senders), failed
/// then paid, or failed only; a paid order's webhook is sometimes replayed a while later.
async fn play_provider(
    provider: &Provider,
    order: &ord::Order,
    duplicates: usize,
) -> Vec<Delivery> {
    let paid =
        |n: usize| futures::future::join_all((0..n).map(|_| provider.deliver(&order.id, "paid")));
    let mut all = match fastrand::u8(0..10) {
        0..7 => paid(fastrand::usize(1..=duplicates)).await,
        7..9 => {
            let mut all = vec![provider.deliver(&order.id, "failed").await];
            all.extend(paid(fastrand::usize(1..=2)).await);
            all
        }
        _ => return vec![provider.deliver(&order.id, "failed").await],
    };
    if fastrand::u8(0..3) == 0 {
        tokio::time::sleep(Duration::from_millis(500 + fastrand::u64(0..2500))).await;
        all.push(provider.deliver(&order.id, "paid").await);
    }
    all
}

/// Calls `call` until it gives an answer that is not a transient failure (or 90 s pass).
pub async fn retry_grpc<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match call().await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status)
                if matches!(
                    status.code(),
                    Code::Unavailable
                        | Code::DeadlineExceeded
                        | Code::Cancelled
                        | Code::Unknown
                        | Code::Internal
                ) && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..200))).await;
            }
            Err(status) => return Err(status),
        }
    }
}

pub fn lazy_channel(addr: &str) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .timeout(Duration::from_secs(5))
        .connect_lazy()
}

/// One product with `stock` units and `orders` orders of 2 of it each (retrying across
/// outages; `name` prefixes the SKU, e-mails and request ids): the product and the order ids.
pub async fn product_with_orders(
    inventory: &InventoryServiceClient<Channel>,
    orders: &OrderServiceClient<Channel>,
    name: &str,
    stock: i32,
    count: usize,
) -> (inv::Product, Vec<String>) {
    let product = retry_grpc(|| {
        let mut client = inventory.clone();
        let request = inv::CreateProductRequest {
            sku: format!("{name}-1"),
            name: format!("{name} mug"),
            stock,
        };
        async move { client.create_product(request).await }
    })
    .await
    .expect("create product");
    let mut order_ids = Vec::new();
    for n in 0..count {
        let request = ord::CreateOrderRequest {
            customer_email: format!("{name}{n}@example.com").to_lowercase(),
            customer_name: format!("Customer {n}"),
            currency: "EUR".into(),
            items: vec![ord::OrderItem {
                product_id: product.id.clone(),
                name: format!("{name} mug"),
                quantity: 2,
                unit_price_minor: 1250,
                line_total_minor: 0,
                tax_rate_bp: 0,
            }],
            request_id: format!("{name}-{n}"),
            customer_address: String::new(),
        };
        let order = retry_grpc(|| {
            let mut client = orders.clone();
            let request = request.clone();
            async move { client.create_order(request).await }
        })
        .await
        .expect("create order");
        order_ids.push(order.id);
    }
    (product, order_ids)
}
