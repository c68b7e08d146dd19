use std::time::Duration;

use futures::future::join_all;
use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{PAID, Settings, assert_code, order_request, spawn_system, spawn_system_with};

test_on_both_databases! {
    creating_an_order_reserves_its_stock_and_reads_back => create_reads_back;
    bad_orders_are_invalid_argument_naming_the_field => bad_orders;
    an_order_short_of_stock_is_refused_and_leaves_nothing_behind => create_short;
    retrying_create_with_the_same_request_id_returns_the_same_order => request_id;
    cancelling_releases_the_stock_once_and_a_confirmed_order_cannot_be_cancelled => cancel;
    an_order_not_paid_by_its_deadline_is_cancelled_and_its_stock_released => expiry;
    orders_are_listed_by_status_a_page_at_a_time => listing;
    unknown_orders_are_not_found => unknown_orders;
    a_confirmed_orders_invoice_can_be_queued_again => resend_invoice;
}

async fn create_reads_back(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let created = sys.create_order(&[(&mug, 2)]).await;
    let read = sys.order(&created.id).await;
    assert_eq!(read, created);
    assert_eq!(read.customer_email, "ada@example.com");
    assert_eq!(read.currency, "EUR");
    assert_eq!(read.items.len(), 1);
    assert_eq!(read.items[0].line_total_minor, 2500);
    assert_eq!(read.total_minor, 2500);
    assert!(read.payment_deadline.unwrap().seconds > read.created_at.unwrap().seconds);
    assert_eq!(sys.counters(&mug).await, (10, 2));
}

async fn bad_orders(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    type Breaker = Box<dyn Fn(&mut pb::CreateOrderRequest)>;
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "customer_email",
            Box::new(|r| r.customer_email = "not-an-address".into()),
        ),
        ("customer_name", Box::new(|r| r.customer_name = "".into())),
        ("currency", Box::new(|r| r.currency = "EURO".into())),
        ("items", Box::new(|r| r.items.clear())),
        (
            "items[0].product_id",
            Box::new(|r| r.items[0].product_id = "mug".into()),
        ),
        ("items[0].quantity", Box::new(|r| r.items[0].quantity = 0)),
        (
            "items[0].unit_price_minor",
            Box::new(|r| r.items[0].unit_price_minor = -1),
        ),
    ];
    for (field, break_it) in cases {
        let mut request = order_request(&[(&mug, 1)]);
        break_it(&mut request);
        let status = assert_code(
            sys.orders.clone().create_order(request).await,
            Code::InvalidArgument,
        );
        assert!(
            status.message().starts_with(field),
            "names {field}: {status:?}"
        );
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, field);
    }
    let status = assert_code(
        sys.orders
            .clone()
            .record_payment(pb::RecordPaymentRequest {
                order_id: "nope".into(),
                status: PAID.into(),
            })
            .await,
        Code::InvalidArgument,
    );
    assert!(status.message().starts_with("order_id"));
    let order = sys.create_order(&[(&mug, 1)]).await;
    let status = assert_code(
        sys.orders
            .clone()
            .record_payment(pb::RecordPaymentRequest {
                order_id: order.id.clone(),
                status: 0,
            })
            .await,
        Code::InvalidArgument,
    );
    assert!(status.message().starts_with("status"));
    assert_eq!(
        sys.counters(&mug).await,
        (10, 1),
        "only the valid order reserved stock"
    );
}

async fn create_short(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 2).await;
    let tea = sys.create_product("TEA", 9).await;
    let status = assert_code(
        sys.try_create_order(&[(&tea, 1), (&mug, 3)]).await,
        Code::FailedPrecondition,
    );
    assert!(status.message().contains(&mug), "{status:?}");
    let ghost = uuid::Uuid::new_v4().to_string();
    assert_code(sys.try_create_order(&[(&ghost, 1)]).await, Code::NotFound);
    let listed = sys
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.orders.is_empty(), "no order remains");
    assert_eq!(sys.counters(&mug).await, (2, 0));
    assert_eq!(sys.counters(&tea).await, (9, 0));
}

async fn request_id(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let mut request = order_request(&[(&mug, 2)]);
    request.request_id = "checkout-42".into();
    let attempts = join_all((0..5).map(|_| {
        let request = request.clone();
        let mut client = sys.orders.clone();
        async move {
            client
                .create_order(request)
                .await
                .map(tonic::Response::into_inner)
        }
    }))
    .await;
    let first = attempts[0].as_ref().unwrap().id.clone();
    for attempt in &attempts {
        assert_eq!(attempt.as_ref().unwrap().id, first);
    }
    // Give losing attempts' releases a moment; then exactly one reservation holds stock.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sys.counters(&mug).await, (10, 2));

    // The same key with other contents (what the invoice would print included) is refused.
    type Change = fn(&mut pb::CreateOrderRequest);
    let changes: [Change; 3] = [
        |r| r.items[0].quantity = 3,
        |r| r.items[0].tax_rate_bp = 1900,
        |r| r.customer_address = "Elsewhere 1".into(),
    ];
    for change in changes {
        let mut changed = request.clone();
        change(&mut changed);
        assert_code(
            sys.orders.clone().create_order(changed).await,
            Code::AlreadyExists,
        );
    }
    assert_eq!(sys.counters(&mug).await, (10, 2));
}

async fn cancel(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 4)]).await;
    let cancelled = sys.cancel(&order.id).await.unwrap();
    assert_eq!(cancelled.status(), pb::OrderStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "changed my mind");
    assert_eq!(sys.counters(&mug).await, (10, 0));
    assert_eq!(
        sys.cancel(&order.id).await.unwrap().status(),
        pb::OrderStatus::Cancelled
    );
    assert_eq!(sys.counters(&mug).await, (10, 0));

    let paid = sys.create_order(&[(&mug, 1)]).await;
    sys.pay(&paid.id, PAID).await.unwrap();
    let status = assert_code(sys.cancel(&paid.id).await, Code::FailedPrecondition);
    assert!(status.message().contains("confirmed"), "{status:?}");
    assert_eq!(
        sys.order(&paid.id).await.status(),
        pb::OrderStatus::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (9, 0));
}

async fn expiry(backend: Backend) {
    let settings = Settings {
        reservation_ttl: Duration::from_millis(500),
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 6)]).await;
    assert_eq!(sys.counters(&mug).await, (10, 6));
    let cancelled = sys
        .wait_for_order(&order.id, |o| o.status() == pb::OrderStatus::Cancelled)
        .await;
    assert!(
        cancelled.cancel_reason.contains("deadline"),
        "{cancelled:?}"
    );
    assert_eq!(sys.counters(&mug).await, (10, 0));
    // The money arrives late; the stock is still there, so the order is confirmed after all.
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (4, 0));
}

async fn listing(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 100).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(sys.create_order(&[(&mug, 1)]).await.id);
    }
    sys.pay(&ids[1], PAID).await.unwrap();
    sys.pay(&ids[3], PAID).await.unwrap();
    sys.cancel(&ids[4]).await.unwrap();

    let list = |status: pb::OrderStatus| {
        let mut client = sys.orders.clone();
        async move {
            let mut seen = Vec::new();
            let mut token = String::new();
            loop {
                let page = client
                    .list_orders(pb::ListOrdersRequest {
                        status: status.into(),
                        page_size: 2,
                        page_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner();
                seen.extend(page.orders.into_iter().map(|o| o.id));
                if page.next_page_token.is_empty() {
                    return seen;
                }
                token = page.next_page_token;
            }
        }
    };
    assert_eq!(list(pb::OrderStatus::Unspecified).await, ids);
    assert_eq!(
        list(pb::OrderStatus::Confirmed).await,
        vec![ids[1].clone(), ids[3].clone()]
    );
    assert_eq!(
        list(pb::OrderStatus::AwaitingPayment).await,
        vec![ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(list(pb::OrderStatus::Cancelled).await, vec![ids[4].clone()]);
}

async fn unknown_orders(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let missing = uuid::Uuid::new_v4().to_string();
    let status = assert_code(
        sys.orders
            .clone()
            .get_order(pb::GetOrderRequest {
                id: missing.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert!(status.message().contains(&missing));
    assert_code(sys.cancel(&missing).await, Code::NotFound);
    assert_code(
        sys.orders
            .clone()
            .resend_invoice(pb::ResendInvoiceRequest { order_id: missing })
            .await,
        Code::NotFound,
    );
}

async fn resend_invoice(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let unpaid = sys.create_order(&[(&mug, 1)]).await;
    assert_code(
        sys.orders
            .clone()
            .resend_invoice(pb::ResendInvoiceRequest {
                order_id: unpaid.id.clone(),
            })
            .await,
        Code::FailedPrecondition,
    );
    let paid = sys.create_order(&[(&mug, 1)]).await;
    sys.pay(&paid.id, PAID).await.unwrap();
    let job = sys
        .orders
        .clone()
        .resend_invoice(pb::ResendInvoiceRequest {
            order_id: paid.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(job.order_id, paid.id);
    assert_eq!(job.state(), pb::InvoiceJobState::Pending);
    assert_eq!(job.attempts, 0);
    let pending = sys
        .orders
        .clone()
        .list_invoice_jobs(pb::ListInvoiceJobsRequest {
            state: pb::InvoiceJobState::Pending.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(pending.len(), 1);
}
