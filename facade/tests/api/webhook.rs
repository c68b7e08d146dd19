//! Every row of the contract's response table, with the effect read back through the
//! services' own APIs.

use reqwest::StatusCode;
use serde_json::json;
use shop_proto::orders::v1::{OrderStatus, PaymentOutcome};
use shop_testkit::db::Backend;

use crate::helpers::{KEY, received, spawn_app, status_and_json};

shop_testkit::test_on_both_databases! {
    a_paid_webhook_confirms_the_order_and_takes_its_stock => paid_confirms;
    a_failed_webhook_answers_200_and_leaves_the_order_awaiting_payment => failed_is_ignored;
    a_webhook_for_an_unknown_order_gets_404 => unknown_order;
    a_paid_webhook_without_enough_stock_gets_400_and_the_order_is_flagged_for_refund => insufficient_stock;
    a_payment_that_cannot_be_honoured_gets_200_and_is_flagged_for_a_refund => refund_required;
    missing_or_invalid_fields_get_400_naming_each_field_and_change_nothing => invalid_fields;
    malformed_json_gets_400 => malformed_json;
}

async fn paid_confirms(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    assert_eq!(app.stock(&product).await, (10, 3));

    let (status, body) = status_and_json(app.notify(&order, "paid").await).await;

    assert_eq!((status, body), (StatusCode::OK, received()));
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
    assert_eq!(app.stock(&product).await, (7, 0));
    assert_eq!(
        app.payment_outcomes(&order).await,
        [PaymentOutcome::Confirmed]
    );
}

async fn failed_is_ignored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;

    let (status, body) = status_and_json(app.notify(&order, "failed").await).await;

    assert_eq!((status, body), (StatusCode::OK, received()));
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
    assert_eq!(app.stock(&product).await, (10, 3));
    assert_eq!(
        app.payment_outcomes(&order).await,
        [PaymentOutcome::Ignored]
    );

    // Still payable afterwards.
    let (status, _) = status_and_json(app.notify(&order, "paid").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
}

async fn unknown_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let unknown = uuid::Uuid::new_v4().to_string();

    for report in ["paid", "failed"] {
        let (status, body) = status_and_json(app.notify(&unknown, report).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{report}");
        assert_eq!(body, json!({"detail": "order not found"}));
    }
}

async fn insufficient_stock(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(5, 3).await;
    // A stock count finds only one unit: less than the three reserved for the order.
    app.adjust_stock(&product, -4).await;
    assert_eq!(app.stock(&product).await, (1, 3));

    let (status, body) = status_and_json(app.notify(&order, "paid").await).await;

    // The contract's answer; the money the provider took is not forgotten.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"detail": "insufficient stock to confirm the order"})
    );
    let flagged = app.order(&order).await;
    assert_eq!(flagged.status(), OrderStatus::Cancelled);
    assert!(flagged.refund_required);
    assert!(flagged.cancel_reason.contains("refunded"), "{flagged:?}");
    assert_eq!(
        app.stock(&product).await,
        (1, 0),
        "no stock taken, none held"
    );
    assert_eq!(
        app.payment_outcomes(&order).await,
        [PaymentOutcome::RefundRequired]
    );
    let refunds = app.refund_events().await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].order_id, order);
    assert!(
        app.metric(r#"shop_refunds_required_total{reason="stock_unavailable"}"#)
            .await
            >= Some(1.0)
    );

    // The provider retries: recorded as a repeat, the order flagged once.
    let (status, body) = status_and_json(app.notify(&order, "paid").await).await;
    assert_eq!((status, body), (StatusCode::OK, received()));
    assert_eq!(app.order(&order).await, flagged);
    assert_eq!(
        app.payment_outcomes(&order).await,
        [PaymentOutcome::RefundRequired, PaymentOutcome::Duplicate]
    );
    assert_eq!(app.refund_events().await.len(), 1);
}

async fn refund_required(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(3, 3).await;
    // The order lapses and its stock is sold elsewhere before the money arrives.
    app.cancel_order(&order).await;
    app.adjust_stock(&product, -3).await;

    // The payment is recorded; a non-200 would make the provider retry forever. The retry
    // is a repeat: the order is flagged once.
    for _ in 0..2 {
        let (status, body) = status_and_json(app.notify(&order, "paid").await).await;
        assert_eq!((status, body), (StatusCode::OK, received()));
    }
    let flagged = app.order(&order).await;
    assert_eq!(flagged.status(), OrderStatus::Cancelled);
    assert!(flagged.refund_required);
    assert_eq!(
        app.payment_outcomes(&order).await,
        [PaymentOutcome::RefundRequired, PaymentOutcome::Duplicate]
    );
}

async fn invalid_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let cases = [
        (
            json!({}),
            json!({"order_id": "this field is required", "status": "this field is required"}),
        ),
        (
            json!({"status": "paid"}),
            json!({"order_id": "this field is required"}),
        ),
        (
            json!({"order_id": order}),
            json!({"status": "this field is required"}),
        ),
        (
            json!({"order_id": "12345", "status": "PAID"}),
            json!({"order_id": "must be a UUID", "status": "must be \"paid\" or \"failed\""}),
        ),
        (
            json!({"order_id": order, "status": "refunded"}),
            json!({"status": "must be \"paid\" or \"failed\""}),
        ),
        (
            json!({"order_id": 42, "status": true}),
            json!({"order_id": "must be a UUID", "status": "must be \"paid\" or \"failed\""}),
        ),
    ];
    for (request, errors) in cases {
        let response = app.webhook(Some(KEY)).json(&request).send().await.unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}");
        assert_eq!(
            body,
            json!({"detail": "invalid request", "errors": errors}),
            "{request}"
        );
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
    assert_eq!(app.stock(&product).await, (10, 3));
    assert!(app.payment_outcomes(&order).await.is_empty());
}

async fn malformed_json(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, order) = app.product_and_order(10, 3).await;

    for body in [
        format!("{{\"order_id\": \"{order}\", \"status\": "),
        "[]".to_owned(),
    ] {
        let response = app
            .webhook(Some(KEY))
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, reply) = status_and_json(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            reply["detail"]
                .as_str()
                .unwrap()
                .starts_with("malformed JSON"),
            "{reply}"
        );
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
}
