//! Replays and concurrent deliveries of one paid webhook confirm the order exactly once.

use reqwest::StatusCode;
use shop_proto::orders::v1::{OrderStatus, PaymentOutcome};
use shop_testkit::db::Backend;

use crate::helpers::{received, spawn_app, status_and_json};

shop_testkit::test_on_both_databases! {
    a_replayed_paid_webhook_gets_200_and_confirms_once => replay;
    twenty_parallel_paid_webhooks_all_get_200_and_confirm_once => parallel;
}

async fn replay(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;

    for _ in 0..3 {
        assert_eq!(
            status_and_json(app.notify(&order, "paid").await).await,
            (StatusCode::OK, received())
        );
    }

    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
    assert_eq!(app.stock(&product).await, (7, 0));
    assert_eq!(
        app.payment_outcomes(&order).await,
        [
            PaymentOutcome::Confirmed,
            PaymentOutcome::Duplicate,
            PaymentOutcome::Duplicate
        ]
    );
}

async fn parallel(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;

    let deliveries =
        (0..20).map(|_| async { status_and_json(app.notify(&order, "paid").await).await });
    let answers = futures::future::join_all(deliveries).await;

    for answer in answers {
        assert_eq!(answer, (StatusCode::OK, received()));
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
    assert_eq!(app.stock(&product).await, (7, 0), "stock taken once");
    let outcomes = app.payment_outcomes(&order).await;
    let confirmed = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Confirmed)
        .count();
    assert_eq!(confirmed, 1, "{outcomes:?}");
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == PaymentOutcome::Duplicate)
        .count();
    assert_eq!(duplicates, 19, "every delivery is recorded: {outcomes:?}");
}
