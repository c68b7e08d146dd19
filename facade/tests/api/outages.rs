//! When the orders service is down the facade keeps running, answers 503 with Retry-After
//! (never a 200 for a confirmation that did not happen), and reports itself not ready.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header::RETRY_AFTER};
use serde_json::json;
use shop_testkit::db::Backend;
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    KEY, closed_port_url, received, spawn_app, spawn_facade, spawn_facade_with_timeout,
    status_and_json,
};

shop_testkit::test_on_both_databases! {
    a_paid_webhook_gets_503_with_retry_after_once_orders_has_stopped => orders_stopped;
    readiness_is_200_while_orders_serves_and_503_after_it_stops => readiness;
}

fn unavailable() -> serde_json::Value {
    json!({"detail": "the order service is temporarily unavailable; retry later"})
}

async fn orders_stopped(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };
    let (_, order) = app.product_and_order(10, 3).await;
    let (_, other) = app.product_and_order(10, 3).await;
    // The facade's channel is connected and in use before the outage.
    assert_eq!(
        status_and_json(app.notify(&other, "failed").await).await,
        (StatusCode::OK, received())
    );

    app.stop_orders().await;

    for report in ["paid", "failed"] {
        let response = app.notify(&order, report).await;
        assert_eq!(response.headers()[RETRY_AFTER], "5", "{report}");
        assert_eq!(
            status_and_json(response).await,
            (StatusCode::SERVICE_UNAVAILABLE, unavailable()),
            "{report}"
        );
    }
    // Liveness does not depend on orders.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

async fn readiness(backend: Backend) {
    let Some(mut app) = spawn_app(backend).await else {
        return;
    };

    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ready"})));

    app.stop_orders().await;

    let (status, _) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_facade_whose_orders_service_never_came_up_answers_503_and_is_not_ready() {
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let base_url = spawn_facade(&closed_port_url(), &shutdown);
    let http = reqwest::Client::new();

    let order = uuid::Uuid::new_v4().to_string();
    let response = http
        .post(format!("{base_url}/api/webhooks/payment/"))
        .header("X-Webhook-Key", KEY)
        .form(&[("order_id", order.as_str()), ("status", "paid")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    assert_eq!(
        status_and_json(response).await,
        (StatusCode::SERVICE_UNAVAILABLE, unavailable())
    );

    let ready = http.get(format!("{base_url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let live = http
        .get(format!("{base_url}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_orders_service_that_never_answers_gets_503_within_the_deadline() {
    // Accepts connections and then says nothing, like a hung process.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let orders_url = format!("http://{}", black_hole.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = black_hole.accept().await {
            connections.push(connection);
        }
    });
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let base_url = spawn_facade_with_timeout(&orders_url, Duration::from_millis(300), &shutdown);

    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{base_url}/api/webhooks/payment/"))
        .header("X-Webhook-Key", KEY)
        .json(&json!({"order_id": uuid::Uuid::new_v4(), "status": "paid"}))
        .send()
        .await
        .unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    assert_eq!(
        status_and_json(response).await,
        (StatusCode::SERVICE_UNAVAILABLE, unavailable())
    );
    held.abort();
}
