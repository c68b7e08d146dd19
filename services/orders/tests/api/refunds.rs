//! Money that arrives for an order whose goods cannot follow: the order ends cancelled with
//! `refund_required`, one REFUND_REQUIRED event lists it, and repeats change nothing.

use std::time::Duration;

use futures::future::join_all;
use shop_orders::faults::FaultPoint;
use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{
    PAID, Settings, TestSystem, assert_code, metric, outcomes, spawn_system, spawn_system_with,
};

test_on_both_databases! {
    a_paid_order_whose_stock_cannot_be_committed_is_refused_cancelled_and_flagged_for_refund => unfillable;
    concurrent_payments_for_an_order_that_cannot_be_filled_flag_it_once => unfillable_concurrently;
    a_crash_between_the_release_and_the_refund_flag_is_completed_by_the_retry => crash_before_flag;
    a_payment_after_cancellation_without_stock_is_flagged_for_refund_once => paid_after_cancel;
    a_payment_after_the_deadline_without_stock_is_flagged_for_refund_once => paid_after_deadline;
    a_replayed_payment_for_a_confirmed_order_stays_a_duplicate_without_stock => confirmed_replay;
}

/// Every REFUND_REQUIRED event, as operators list them.
async fn refund_events(sys: &TestSystem) -> Vec<pb::PaymentEvent> {
    sys.orders
        .clone()
        .list_payment_events(pb::ListPaymentEventsRequest {
            outcome: O::RefundRequired.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events
}

async fn unfillable(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 8)]).await;
    // A stock count finds fewer units than are reserved.
    sys.adjust(&mug, -5).await;
    assert_eq!(sys.counters(&mug).await, (5, 8));

    let status = assert_code(sys.pay(&order.id, PAID).await, Code::FailedPrecondition);
    assert!(
        status.message().contains(&mug),
        "names the product: {status:?}"
    );

    let flagged = sys.order(&order.id).await;
    assert_eq!(flagged.status(), pb::OrderStatus::Cancelled);
    assert!(flagged.refund_required);
    assert_eq!(
        flagged.cancel_reason,
        "paid, but its stock was unavailable: the payment must be refunded"
    );
    assert_eq!(sys.counters(&mug).await, (5, 0), "reservation released");
    assert!(sys.invoice_jobs().await.is_empty());
    let refunds = refund_events(&sys).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].order_id, order.id);
    assert!(refunds[0].detail.contains(&mug), "{:?}", refunds[0].detail);
    assert!(metric(r#"shop_refunds_required_total{reason="stock_unavailable"}"#) >= Some(1.0));

    // The provider retries, even once restocked: recorded, nothing changes.
    let again = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(again.outcome(), O::Duplicate);
    sys.adjust(&mug, 5).await;
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Duplicate
    );
    assert_eq!(sys.order(&order.id).await, flagged);
    assert_eq!(sys.counters(&mug).await, (10, 0), "no stock taken");
    assert_eq!(
        outcomes(&sys.events(&order.id).await),
        vec![O::RefundRequired, O::Duplicate, O::Duplicate]
    );
    assert_eq!(refund_events(&sys).await.len(), 1);
}

async fn unfillable_concurrently(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 3).await;
    let order = sys.create_order(&[(&mug, 3)]).await;
    sys.adjust(&mug, -2).await;

    let results = join_all((0..10).map(|_| sys.pay(&order.id, PAID))).await;
    let (mut flagged_by, mut duplicates) = (Vec::new(), 0);
    for result in results {
        match result {
            Err(status) if status.code() == Code::FailedPrecondition => {
                flagged_by.push("refused at the commit")
            }
            // A call that found the reservation already released by a concurrent refusal
            // completes the flag, as the retry after a crash does.
            Ok(response) if response.outcome() == O::RefundRequired => {
                flagged_by.push("completed after a concurrent release")
            }
            Ok(response) => {
                assert_eq!(response.outcome(), O::Duplicate);
                duplicates += 1;
            }
            Err(status) => panic!("unexpected answer {status:?}"),
        }
    }
    assert_eq!(flagged_by.len(), 1, "one call flagged it: {flagged_by:?}");
    assert_eq!(duplicates, 9);
    let events = outcomes(&sys.events(&order.id).await);
    assert_eq!(events.len(), 10);
    assert_eq!(
        events.iter().filter(|o| **o == O::RefundRequired).count(),
        1
    );
    assert!(sys.order(&order.id).await.refund_required);
    assert_eq!(sys.counters(&mug).await, (1, 0));
}

async fn crash_before_flag(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 4).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    sys.adjust(&mug, -3).await;
    sys.faults.arm(FaultPoint::AfterRefundRelease, 1);

    assert_code(sys.pay(&order.id, PAID).await, Code::Unavailable);
    assert_eq!(sys.counters(&mug).await, (1, 0), "released in inventory");
    let half_done = sys.order(&order.id).await;
    assert_eq!(half_done.status(), pb::OrderStatus::AwaitingPayment);
    assert!(!half_done.refund_required);

    // The provider retries: the reservation is gone and the stock too, so the order is
    // flagged now.
    let retried = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(retried.outcome(), O::RefundRequired);
    let flagged = sys.order(&order.id).await;
    assert_eq!(flagged.status(), pb::OrderStatus::Cancelled);
    assert!(flagged.refund_required);
    assert_eq!(
        outcomes(&sys.events(&order.id).await),
        vec![O::RefundRequired]
    );
    assert_eq!(sys.counters(&mug).await, (1, 0));
}

async fn paid_after_cancel(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 3).await;
    let order = sys.create_order(&[(&mug, 3)]).await;
    sys.cancel(&order.id).await.unwrap();
    // Someone else buys the stock.
    let other = sys.create_order(&[(&mug, 3)]).await;
    sys.pay(&other.id, PAID).await.unwrap();
    assert_eq!(sys.counters(&mug).await, (0, 0));

    let paid = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(paid.outcome(), O::RefundRequired);
    let stored = sys.order(&order.id).await;
    assert_eq!(stored.status(), pb::OrderStatus::Cancelled);
    assert!(stored.refund_required);
    assert_eq!(
        stored.cancel_reason,
        "changed my mind; paid afterwards, and its stock was gone: the payment must be refunded"
    );

    // The provider retries, also after a restock: nothing more is taken or flagged.
    let again = join_all((0..3).map(|_| sys.pay(&order.id, PAID))).await;
    assert!(
        again
            .into_iter()
            .all(|r| r.unwrap().outcome() == O::Duplicate)
    );
    sys.adjust(&mug, 10).await;
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Duplicate
    );
    assert_eq!(sys.counters(&mug).await, (10, 0));
    let refunds = refund_events(&sys).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].order_id, order.id);
    assert!(refunds[0].detail.contains(&mug), "{:?}", refunds[0].detail);
    assert_eq!(sys.invoice_jobs().await.len(), 1, "only the other order's");
    assert!(metric(r#"shop_refunds_required_total{reason="paid_after_cancel"}"#) >= Some(1.0));
}

async fn paid_after_deadline(backend: Backend) {
    let settings = Settings {
        reservation_ttl: Duration::from_millis(600),
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    let mug = sys.create_product("MUG", 3).await;
    let order = sys.create_order(&[(&mug, 3)]).await;
    let expired = sys
        .wait_for_order(&order.id, |o| o.status() == pb::OrderStatus::Cancelled)
        .await;
    assert!(!expired.refund_required);
    sys.adjust(&mug, -3).await;

    let paid = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(paid.outcome(), O::RefundRequired);
    let flagged = sys.order(&order.id).await;
    assert!(flagged.refund_required);
    assert!(
        flagged
            .cancel_reason
            .starts_with("not paid before the payment deadline; paid afterwards"),
        "{:?}",
        flagged.cancel_reason
    );
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Duplicate
    );
    assert_eq!(
        outcomes(&sys.events(&order.id).await),
        vec![O::RefundRequired, O::Duplicate]
    );
}

async fn confirmed_replay(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 3).await;
    let order = sys.create_order(&[(&mug, 3)]).await;
    sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(sys.counters(&mug).await, (0, 0));

    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Duplicate
    );
    let confirmed = sys.order(&order.id).await;
    assert_eq!(confirmed.status(), pb::OrderStatus::Confirmed);
    assert!(!confirmed.refund_required);
    assert!(refund_events(&sys).await.is_empty());
}
