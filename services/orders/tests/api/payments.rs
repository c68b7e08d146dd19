use futures::future::join_all;
use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{FAILED, PAID, assert_code, outcomes, spawn_system};

test_on_both_databases! {
    a_paid_order_is_confirmed_with_its_stock_taken_and_its_invoice_queued => paid_confirms;
    paying_twice_confirms_once => duplicate_pay;
    twenty_concurrent_payments_confirm_once => concurrent_pays;
    a_failed_payment_leaves_the_order_payable => failed_payment;
    a_payment_after_cancellation_confirms_when_stock_is_left => paid_after_cancel_with_stock;
    a_payment_for_an_unknown_order_is_not_found_and_recorded => unknown_order_payment;
}

async fn paid_confirms(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let tea = sys.create_product("TEA", 5).await;
    let order = sys.create_order(&[(&mug, 3), (&tea, 2)]).await;
    assert_eq!(order.status(), pb::OrderStatus::AwaitingPayment);
    assert_eq!(order.total_minor, 5 * 1250);
    assert_eq!(sys.counters(&mug).await, (10, 3));
    assert_eq!(sys.counters(&tea).await, (5, 2));

    let paid = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(paid.outcome(), O::Confirmed);
    assert_eq!(paid.order.unwrap().status(), pb::OrderStatus::Confirmed);
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (7, 0));
    assert_eq!(sys.counters(&tea).await, (3, 0));

    let jobs = sys.invoice_jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].order_id, order.id);
    assert_eq!(jobs[0].state(), pb::InvoiceJobState::Pending);
    assert_eq!(
        jobs[0].message_id,
        format!("<invoice-{}@shop.invoices>", order.id)
    );
    assert_eq!(outcomes(&sys.events(&order.id).await), vec![O::Confirmed]);
}

async fn duplicate_pay(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Confirmed
    );
    let again = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(again.outcome(), O::Duplicate);
    assert_eq!(again.order.unwrap().status(), pb::OrderStatus::Confirmed);
    assert_eq!(sys.counters(&mug).await, (6, 0));
    assert_eq!(sys.invoice_jobs().await.len(), 1);
    assert_eq!(
        outcomes(&sys.events(&order.id).await),
        vec![O::Confirmed, O::Duplicate]
    );
}

async fn concurrent_pays(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    let results = join_all((0..20).map(|_| sys.pay(&order.id, PAID))).await;
    let mut confirmed = 0;
    for result in results {
        match result.expect("every caller gets an answer").outcome() {
            O::Confirmed => confirmed += 1,
            O::Duplicate => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(confirmed, 1);
    assert_eq!(sys.counters(&mug).await, (6, 0), "one stock decrement");
    assert_eq!(sys.invoice_jobs().await.len(), 1, "one invoice job");
    let events = outcomes(&sys.events(&order.id).await);
    assert_eq!(events.len(), 20);
    assert_eq!(events.iter().filter(|o| **o == O::Confirmed).count(), 1);
}

async fn failed_payment(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    let failed = sys.pay(&order.id, FAILED).await.unwrap();
    assert_eq!(failed.outcome(), O::Ignored);
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::AwaitingPayment
    );
    assert_eq!(sys.counters(&mug).await, (10, 4), "still reserved");
    assert!(sys.invoice_jobs().await.is_empty());

    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Confirmed
    );
    // A failed report after confirmation touches nothing.
    assert_eq!(
        sys.pay(&order.id, FAILED).await.unwrap().outcome(),
        O::Ignored
    );
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (6, 0));
    assert_eq!(
        outcomes(&sys.events(&order.id).await),
        vec![O::Ignored, O::Confirmed, O::Ignored]
    );
}

async fn paid_after_cancel_with_stock(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 3)]).await;
    sys.cancel(&order.id).await.unwrap();
    assert_eq!(sys.counters(&mug).await, (10, 0));

    let paid = sys.pay(&order.id, PAID).await.unwrap();
    assert_eq!(paid.outcome(), O::Confirmed);
    assert_eq!(
        sys.order(&order.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (7, 0));
    assert_eq!(sys.invoice_jobs().await.len(), 1);
    // Repeats and concurrent repeats change nothing more.
    let again = join_all((0..5).map(|_| sys.pay(&order.id, PAID))).await;
    assert!(
        again
            .into_iter()
            .all(|r| r.unwrap().outcome() == O::Duplicate)
    );
    assert_eq!(sys.counters(&mug).await, (7, 0));
}

async fn unknown_order_payment(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let missing = uuid::Uuid::new_v4().to_string();
    assert_code(sys.pay(&missing, PAID).await, Code::NotFound);
    assert_code(sys.pay(&missing, FAILED).await, Code::NotFound);
    assert_eq!(
        outcomes(&sys.events(&missing).await),
        vec![O::OrderNotFound, O::OrderNotFound]
    );
}
