//! A real PostgreSQL restart under webhook load, through the split processes: the test's own
//! cluster is stopped (fast, then immediate) and started again while the provider pays
//! orders. During each outage webhooks get 503 with Retry-After, never 500; afterwards 200;
//! the components recover without a restart; the books balance, and every confirmed order's
//! invoice is mailed exactly once, the outbox drained within 30 s of the database's return.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_proto::{
    inventory::v1::inventory_service_client::InventoryServiceClient,
    orders::v1::order_service_client::OrderServiceClient,
};
use shop_testkit::SmtpSink;
use uuid::Uuid;

use crate::{
    cluster::Cluster,
    invariants,
    pg_cluster::{PgCluster, Shutdown},
    provider::Provider,
    scenario::{lazy_channel, product_with_orders},
};

/// Orders paid during the run; each outage lasts [`OUTAGE`].
const ORDERS: usize = 60;
const OUTAGE: Duration = Duration::from_secs(3);

pub async fn run() {
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        eprintln!("skipped: TEST_DATABASE_URL is not set (PostgreSQL tests are off)");
        return;
    }
    let Some(pg) = PgCluster::start().map(Arc::new) else {
        return;
    };
    let sink = Arc::new(SmtpSink::start().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(&pg.url(), &sink.url(), dir.path());
    let inventory = InventoryServiceClient::new(lazy_channel(&cluster.inventory_addr));
    let orders = OrderServiceClient::new(lazy_channel(&cluster.orders_addr));

    let (product, order_ids) =
        product_with_orders(&inventory, &orders, "RESTART", 1000, ORDERS).await;

    // The provider pays one order every 100 ms while the database goes away twice.
    let provider = Arc::new(Provider::new(
        &cluster.http_addr,
        &cluster.key,
        Duration::from_secs(90),
    ));
    let load = tokio::spawn(provider.clone().pay_paced(
        order_ids.clone(),
        Duration::from_millis(100),
        1,
    ));
    let mut back_at = Instant::now();
    for mode in [Shutdown::Fast, Shutdown::Immediate] {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let stop = pg.clone();
        tokio::task::spawn_blocking(move || stop.stop(mode))
            .await
            .unwrap();
        tokio::time::sleep(OUTAGE).await;
        let start = pg.clone();
        tokio::task::spawn_blocking(move || start.start_server())
            .await
            .unwrap();
        back_at = Instant::now();
    }
    let deliveries = load.await.unwrap();

    // The outbox drains within 30 s of the database's return.
    let db = sea_orm::Database::connect(pg.url()).await.unwrap();
    let drained = loop {
        let pending = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM invoice_jobs WHERE state <> 'sent'",
            ))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get::<i64>("", "n").ok());
        if pending == Some(0) {
            break back_at.elapsed();
        }
        assert!(
            back_at.elapsed() < Duration::from_secs(30),
            "{pending:?} invoice jobs still pending 30 s after the database came back\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let initial_stock = HashMap::from([(product.id.parse::<Uuid>().unwrap(), 1000)]);
    let (report, mut breaches) = invariants::check(&invariants::Evidence {
        db: &db,
        initial_stock: &initial_stock,
        deliveries: &deliveries,
        sink: &sink,
    })
    .await;
    // No process was killed here: every invoice goes out exactly once, not merely at least once.
    let mut sent: HashMap<String, usize> = HashMap::new();
    for message_id in sink.messages().iter().filter_map(|m| m.parse()?.message_id) {
        *sent.entry(message_id).or_default() += 1;
    }
    breaches.extend(
        sent.iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, n)| format!("invoice {id} mailed {n} times")),
    );
    let answers = provider.answers();
    if provider.unavailable_without_retry_after() > 0 {
        breaches.push(format!(
            "{} answers of 503 without Retry-After",
            provider.unavailable_without_retry_after()
        ));
    }
    if !answers.contains_key(&503) {
        breaches.push(format!("no webhook met the outage (answers {answers:?})"));
    }
    for component in [
        &mut cluster.inventory,
        &mut cluster.orders,
        &mut cluster.worker,
        &mut cluster.facade,
    ] {
        if component.starts != 1 || !component.is_running() {
            breaches.push(format!(
                "{} did not ride out the restarts on its own",
                component.name
            ));
        }
    }
    println!(
        "restart run: {} webhooks, answers by status {answers:?}, outbox drained {drained:.1?} after \
         the database came back\n{}",
        deliveries.len(),
        report.join("\n")
    );
    assert!(
        breaches.is_empty(),
        "{} breaches:\n{}\n\n{}",
        breaches.len(),
        breaches.join("\n"),
        cluster.logs()
    );
}
