//! What a paid webhook costs the database on PostgreSQL, statement by statement: every
//! round trip is CPU on both sides (BENCHMARKS.md). The statements are recorded as sea-orm
//! sends them to the real database.

use std::time::Duration;

use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::db::Backend;

use crate::helpers::{PAID, Settings, StatementLog, outcomes, spawn_system_with};

#[tokio::test]
async fn a_payment_on_postgresql_is_one_read_and_two_single_statement_writes() {
    let log = StatementLog::default();
    let settings = Settings {
        // No sweeper statements in the count.
        sweep_interval: Duration::from_secs(3600),
        statements: Some(log.clone()),
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(Backend::Postgres, settings).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let tea = sys.create_product("TEA", 5).await;
    let order = sys.create_order(&[(&mug, 3), (&tea, 2)]).await;
    log.take();

    let paid = sys.pay(&order.id, PAID).await.unwrap();
    let statements = log.take();

    assert_eq!(paid.outcome(), O::Confirmed);
    let kinds: Vec<&str> = statements
        .iter()
        .map(|sql| sql.split_whitespace().next().unwrap_or_default())
        .collect();
    // The order read; inventory's commit (reservation state and every product line in one
    // statement); the confirmation (status, invoice job and payment event in one statement).
    assert_eq!(kinds, ["SELECT", "WITH", "WITH"], "{statements:#?}");
    assert!(
        statements[1].contains("UPDATE reservations") && statements[1].contains("UPDATE products")
    );
    assert!(
        statements[2].contains("INSERT INTO invoice_jobs")
            && statements[2].contains("INSERT INTO payment_events")
    );

    // And it did all it must: read back through the APIs.
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (7, 0));
    assert_eq!(sys.counters(&tea).await, (3, 0));
    let jobs = sys.invoice_jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state(), pb::InvoiceJobState::Pending);
    assert_eq!(outcomes(&sys.events(&order.id).await), vec![O::Confirmed]);
    log.take();

    // A repeat changes nothing, through the general path.
    let again = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(again.outcome(), O::Duplicate);
    assert_eq!(sys.counters(&mug).await, (7, 0));
    assert_eq!(sys.invoice_jobs().await.len(), 1);
}
