use std::time::Duration;

use shop_orders::faults::FaultPoint;
use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{PAID, Settings, assert_code, outcomes, spawn_system, spawn_system_with};

test_on_both_databases! {
    a_crash_between_the_inventory_commit_and_the_confirmation_heals_on_retry => crash_heals_on_retry;
    a_cancel_after_an_interrupted_payment_confirms_the_order_instead => crash_heals_on_cancel;
    an_interrupted_payment_is_confirmed_not_expired_when_the_deadline_passes => crash_heals_on_expiry;
    with_inventory_down_calls_are_unavailable_and_nothing_changes => inventory_down;
}

async fn crash_heals_on_retry(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    sys.faults.arm(FaultPoint::AfterInventoryCommit, 1);

    assert_code(sys.pay(&order.id, PAID).await, Code::Unavailable);
    assert_eq!(sys.counters(&mug).await, (6, 0), "inventory committed");
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::AwaitingPayment
    );
    assert!(sys.invoice_jobs().await.is_empty());

    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Confirmed
    );
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (6, 0), "stock taken once");
    assert_eq!(sys.invoice_jobs().await.len(), 1);
}

async fn crash_heals_on_cancel(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    sys.faults.arm(FaultPoint::AfterInventoryCommit, 1);
    assert_code(sys.pay(&order.id, PAID).await, Code::Unavailable);

    let status = assert_code(sys.cancel(&order.id).await, Code::FailedPrecondition);
    assert!(status.message().contains("paid"), "{status:?}");
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (6, 0));
    assert_eq!(sys.invoice_jobs().await.len(), 1);
    assert_eq!(outcomes(&sys.events(&order.id).await), vec![O::Confirmed]);
}

async fn crash_heals_on_expiry(backend: Backend) {
    let settings = Settings {
        reservation_ttl: Duration::from_millis(600),
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    sys.faults.arm(FaultPoint::AfterInventoryCommit, 1);
    assert_code(sys.pay(&order.id, PAID).await, Code::Unavailable);

    // The provider never retries; the deadline passes.
    let settled = sys
        .wait_for_order(&order.id, |o| {
            o.status() != pb::OrderStatus::AwaitingPayment
        })
        .await;
    assert_eq!(settled.status(), pb::OrderStatus::Confirmed);
    assert_eq!(sys.counters(&mug).await, (6, 0));
    assert_eq!(sys.invoice_jobs().await.len(), 1);
}

async fn inventory_down(backend: Backend) {
    let Some(mut sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    sys.stop_inventory().await;

    let started = std::time::Instant::now();
    assert_code(sys.pay(&order.id, PAID).await, Code::Unavailable);
    assert_code(sys.try_create_order(&[(&mug, 1)]).await, Code::Unavailable);
    assert_code(sys.cancel(&order.id).await, Code::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "answers come within the deadline"
    );

    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::AwaitingPayment
    );
    let listed = sys
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.orders.len(), 1, "no order was added");
    assert!(sys.invoice_jobs().await.is_empty());
    assert_eq!(sys.counters(&mug).await, (10, 4), "inventory unchanged");
}
