//! `X-Webhook-Key`: refused without changing anything; either key of a rotation accepted.

use reqwest::StatusCode;
use serde_json::json;
use shop_proto::orders::v1::OrderStatus;
use shop_testkit::db::Backend;

use crate::helpers::{KEY, PREVIOUS_KEY, received, spawn_app, status_and_json};

shop_testkit::test_on_both_databases! {
    a_missing_or_wrong_key_gets_403_and_changes_nothing => refused;
    both_keys_of_a_rotation_confirm_orders => rotation;
}

async fn refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let paid = json!({"order_id": order, "status": "paid"});

    for key in [None, Some("wrong-key"), Some(""), Some("test-key")] {
        let response = app.webhook(key).json(&paid).send().await.unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key:?}");
        assert_eq!(body, json!({"detail": "invalid or missing X-Webhook-Key"}));
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
    assert_eq!(app.stock(&product).await, (10, 3));
    assert!(app.payment_outcomes(&order).await.is_empty());
}

async fn rotation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    for key in [PREVIOUS_KEY, KEY] {
        let (_, order) = app.product_and_order(10, 1).await;
        let response = app
            .webhook(Some(key))
            .json(&json!({"order_id": order, "status": "paid"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_json(response).await,
            (StatusCode::OK, received()),
            "{key}"
        );
        assert_eq!(
            app.order_status(&order).await,
            OrderStatus::Confirmed,
            "{key}"
        );
    }
}
