//! What must hold after any run, however many crashes it went through — read straight from
//! the database and the SMTP sink.

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use shop_orders::{app::retake_reservation_id, domain::OrderId};
use shop_testkit::SmtpSink;
use uuid::Uuid;

use crate::provider::Delivery;

/// Everything the checks look at.
pub struct Evidence<'a> {
    pub db: &'a DatabaseConnection,
    /// Each product's stock before the run.
    pub initial_stock: &'a HashMap<Uuid, i64>,
    /// Every webhook the provider sent, with its answers.
    pub deliveries: &'a [Delivery],
    /// The SMTP sink every invoice went to.
    pub sink: &'a SmtpSink,
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Checks every invariant; returns the report lines and the breaches.
pub async fn check(evidence: &Evidence<'_>) -> (Vec<String>, Vec<String>) {
    let mut report = Vec::new();
    let mut breaches = Vec::new();
    let db = evidence.db;

    // Stock: initial − committed = stock; stock_reserved = Σ active; nothing negative.
    let sums = |state: &str| {
        format!(
            "SELECT rl.product_id, SUM(rl.quantity)::bigint AS q FROM reservation_lines rl \
             JOIN reservations r ON r.id = rl.reservation_id WHERE r.state = '{state}' GROUP BY rl.product_id"
        )
    };
    let by_product = |rows: Vec<sea_orm::QueryResult>| -> HashMap<Uuid, i64> {
        rows.iter()
            .map(|r| {
                (
                    r.try_get("", "product_id").unwrap(),
                    r.try_get("", "q").unwrap(),
                )
            })
            .collect()
    };
    let committed = by_product(rows(db, &sums("committed")).await);
    let active = by_product(rows(db, &sums("active")).await);
    for row in rows(
        db,
        "SELECT id, sku, stock, stock_reserved FROM products ORDER BY sku",
    )
    .await
    {
        let id: Uuid = row.try_get("", "id").unwrap();
        let sku: String = row.try_get("", "sku").unwrap();
        let stock: i64 = row.try_get("", "stock").unwrap();
        let reserved: i64 = row.try_get("", "stock_reserved").unwrap();
        let initial = evidence.initial_stock[&id];
        let taken = committed.get(&id).copied().unwrap_or(0);
        let held = active.get(&id).copied().unwrap_or(0);
        report.push(format!(
            "{sku}: initial {initial}, committed {taken}, stock {stock}, reserved {reserved} (active reservations {held})"
        ));
        if stock != initial - taken {
            breaches.push(format!(
                "{sku}: stock {stock} != initial {initial} - committed {taken}"
            ));
        }
        if reserved != held {
            breaches.push(format!(
                "{sku}: stock_reserved {reserved} != active reservations {held}"
            ));
        }
        if stock < 0 || reserved < 0 {
            breaches.push(format!(
                "{sku}: negative counter (stock {stock}, reserved {reserved})"
            ));
        }
    }

    // Every confirmed order's stock committed exactly once; none for the others.
    let states: HashMap<Uuid, String> = rows(db, "SELECT id, state FROM reservations")
        .await
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "state").unwrap(),
            )
        })
        .collect();
    let mut confirmed = HashSet::new();
    let mut accounted = HashSet::new();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    for row in rows(db, "SELECT id, status, reservation_id FROM orders").await {
        let id: Uuid = row.try_get("", "id").unwrap();
        let status: String = row.try_get("", "status").unwrap();
        let reservation: Uuid = row.try_get("", "reservation_id").unwrap();
        *statuses.entry(status.clone()).or_default() += 1;
        let candidates = [id, retake_reservation_id(OrderId::from_uuid(id))];
        accounted.extend(candidates);
        let committed: Vec<Uuid> = candidates
            .into_iter()
            .filter(|r| states.get(r).map(String::as_str) == Some("committed"))
            .collect();
        if status == "confirmed" {
            confirmed.insert(id);
            if committed != [reservation] {
                breaches.push(format!("confirmed order {id}: committed reservations {committed:?}, expected [{reservation}]"));
            }
        } else if !committed.is_empty() {
            breaches.push(format!(
                "{status} order {id} has committed stock: {committed:?}"
            ));
        }
    }
    for (reservation, state) in &states {
        if state == "committed" && !accounted.contains(reservation) {
            breaches.push(format!(
                "committed reservation {reservation} belongs to no order"
            ));
        }
    }
    report.push(format!("orders by status: {statuses:?}"));

    // Exactly one invoice per confirmed order, by Message-ID; every job sent. A moment's
    // grace first, so that a duplicate still in flight would be counted.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let message_ids: Vec<String> = evidence
        .sink
        .messages()
        .iter()
        .filter_map(|m| m.parse().and_then(|p| p.message_id))
        .collect();
    let mailed: HashSet<&String> = message_ids.iter().collect();
    let expected: HashSet<String> = confirmed
        .iter()
        .map(|id| format!("invoice-{id}@shop.invoices"))
        .collect();
    report.push(format!(
        "invoice mails: {} received, {} distinct Message-IDs, {} confirmed orders",
        message_ids.len(),
        mailed.len(),
        confirmed.len()
    ));
    for missing in expected.iter().filter(|m| !mailed.contains(m)) {
        breaches.push(format!("no invoice mail {missing}"));
    }
    for extra in mailed.iter().filter(|m| !expected.contains(**m)) {
        breaches.push(format!(
            "invoice mail {extra} for an order that is not confirmed"
        ));
    }
    let unsent = rows(
        db,
        "SELECT COUNT(*) AS n FROM invoice_jobs WHERE state <> 'sent'",
    )
    .await;
    let unsent: i64 = unsent[0].try_get("", "n").unwrap();
    if unsent > 0 {
        breaches.push(format!("{unsent} invoice jobs not sent"));
    }

    // The provider's view: no 500, every 503 followed by success; paid means confirmed.
    for delivery in evidence.deliveries {
        if delivery.answers.iter().any(|c| *c >= 500 && *c != 503) {
            breaches.push(format!(
                "{} {}: answers {:?}",
                delivery.status, delivery.order_id, delivery.answers
            ));
        }
        let known = delivery.last() != 404;
        if known && delivery.last() != 200 {
            breaches.push(format!(
                "{} {} never succeeded: answers {:?}",
                delivery.status, delivery.order_id, delivery.answers
            ));
        }
        if delivery.status == "paid" && delivery.last() == 200 {
            let id: Uuid = delivery.order_id.parse().unwrap();
            if !confirmed.contains(&id) {
                breaches.push(format!("paid order {id} answered 200 but is not confirmed"));
            }
        }
    }
    (report, breaches)
}
