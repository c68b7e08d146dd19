//! Signed webhooks (`SHOP_WEBHOOK_SIGNING_SECRETS`): with signing on, only a webhook whose
//! `X-Webhook-Signature` matches its raw body and is at most 5 minutes off confirms an order;
//! anything else is 403 and changes nothing. With signing off, nothing changes.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::json;
use sha2::Sha256;
use shop_proto::orders::v1::{OrderStatus, PaymentOutcome};
use shop_testkit::db::Backend;

use crate::helpers::{KEY, TestApp, received, spawn_app, spawn_app_with_signing, status_and_json};

shop_testkit::test_on_both_databases! {
    a_correctly_signed_paid_webhook_confirms_the_order_in_every_encoding => signed_encodings;
    an_unsigned_webhook_gets_403_and_changes_nothing => unsigned;
    a_wrongly_signed_webhook_gets_403_and_changes_nothing => wrongly_signed;
    a_webhook_signed_six_minutes_ago_or_ahead_gets_403_and_changes_nothing => outside_tolerance;
    a_replayed_signed_webhook_within_the_tolerance_gets_200_and_confirms_once => replay;
    either_secret_of_a_rotation_confirms_orders => rotation;
    with_signing_off_unsigned_webhooks_work_as_before => signing_off;
}

const SECRET: &str = "whsec_current";
const OLD_SECRET: &str = "whsec_previous";
const SIX_MINUTES: u64 = 6 * 60;
const BOUNDARY: &str = "signed-webhook-boundary";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `t=<t>,v1=<hex HMAC-SHA256 of "t.body">`, as the provider computes it.
fn signature(secret: &str, t: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn signing_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_signing(backend, Some(&format!("{OLD_SECRET}, {SECRET}"))).await
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Json,
    Form,
    Multipart,
}

/// (content type, body) of a paid webhook, built by hand so that the exact bytes sent are
/// known and can be signed.
fn paid(encoding: Encoding, order_id: &str) -> (String, String) {
    match encoding {
        Encoding::Json => ("application/json".to_owned(), json_body(order_id)),
        Encoding::Form => (
            "application/x-www-form-urlencoded".to_owned(),
            format!("order_id={order_id}&status=paid"),
        ),
        Encoding::Multipart => (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"order_id\"\r\n\r\n\
                 {order_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; \
                 name=\"status\"\r\n\r\npaid\r\n--{BOUNDARY}--\r\n"
            ),
        ),
    }
}

fn json_body(order_id: &str) -> String {
    json!({"order_id": order_id, "status": "paid"}).to_string()
}

/// A webhook with the right key, `body` sent as JSON and `signature` (none when `None`).
fn webhook(app: &TestApp, body: &str, signature: Option<String>) -> RequestBuilder {
    let request = app
        .webhook(Some(KEY))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    match signature {
        Some(signature) => request.header("X-Webhook-Signature", signature),
        None => request,
    }
}

/// Sends `request`, expects 403 with `detail`, and checks the order did not move.
async fn assert_refused(app: &TestApp, request: RequestBuilder, detail: &str, order: &str) {
    let answer = status_and_json(request.send().await.unwrap()).await;
    assert_eq!(answer, (StatusCode::FORBIDDEN, json!({"detail": detail})));
    assert_eq!(app.order_status(order).await, OrderStatus::AwaitingPayment);
    assert!(app.payment_outcomes(order).await.is_empty(), "no event");
}

async fn signed_encodings(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    for encoding in [Encoding::Json, Encoding::Form, Encoding::Multipart] {
        let (product, order) = app.product_and_order(10, 2).await;
        let (content_type, body) = paid(encoding, &order);
        let response = app
            .webhook(Some(KEY))
            .header("Content-Type", &content_type)
            .header("X-Webhook-Signature", signature(SECRET, now(), &body))
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(
            status_and_json(response).await,
            (StatusCode::OK, received()),
            "{encoding:?}"
        );
        assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
        assert_eq!(app.stock(&product).await, (8, 0), "{encoding:?}");
        assert_eq!(
            app.payment_outcomes(&order).await,
            [PaymentOutcome::Confirmed]
        );
    }
}

async fn unsigned(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let body = json_body(&order);

    let request = webhook(&app, &body, None);
    assert_refused(&app, request, "missing X-Webhook-Signature", &order).await;
    assert_eq!(app.stock(&product).await, (10, 3));
}

async fn wrongly_signed(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let body = json_body(&order);
    let mismatch = "X-Webhook-Signature does not match";

    let wrong_secret = signature("whsec_someone_else", now(), &body);
    assert_refused(
        &app,
        webhook(&app, &body, Some(wrong_secret)),
        mismatch,
        &order,
    )
    .await;
    // Signed for a failed payment, sent as a paid one.
    let failed = json!({"order_id": order, "status": "failed"}).to_string();
    let tampered = signature(SECRET, now(), &failed);
    assert_refused(&app, webhook(&app, &body, Some(tampered)), mismatch, &order).await;
    let garbage = "t=soon,v1=xyz".to_owned();
    let request = webhook(&app, &body, Some(garbage));
    let answer = status_and_json(request.send().await.unwrap()).await;
    assert_eq!(answer.0, StatusCode::FORBIDDEN);
    assert!(
        answer.1["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed X-Webhook-Signature"),
        "{answer:?}"
    );
    assert_eq!(app.stock(&product).await, (10, 3));
}

async fn outside_tolerance(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let body = json_body(&order);
    let detail = "X-Webhook-Signature timestamp is outside the 5-minute tolerance";

    for signed_at in [now() - SIX_MINUTES, now() + SIX_MINUTES] {
        let request = webhook(&app, &body, Some(signature(SECRET, signed_at, &body)));
        assert_refused(&app, request, detail, &order).await;
    }
    assert_eq!(app.stock(&product).await, (10, 3));
}

async fn replay(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let body = json_body(&order);
    // One delivery captured and sent again, byte for byte, a few times.
    let captured = signature(SECRET, now() - 60, &body);

    for _ in 0..3 {
        let response = webhook(&app, &body, Some(captured.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_json(response).await,
            (StatusCode::OK, received())
        );
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
    assert_eq!(app.stock(&product).await, (7, 0), "stock taken once");
    assert_eq!(
        app.payment_outcomes(&order).await,
        [
            PaymentOutcome::Confirmed,
            PaymentOutcome::Duplicate,
            PaymentOutcome::Duplicate
        ]
    );
}

async fn rotation(backend: Backend) {
    let Some(app) = signing_app(backend).await else {
        return;
    };
    for secret in [OLD_SECRET, SECRET] {
        let (_, order) = app.product_and_order(10, 1).await;
        let body = json_body(&order);
        let response = webhook(&app, &body, Some(signature(secret, now(), &body)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_json(response).await,
            (StatusCode::OK, received()),
            "{secret}"
        );
        assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
    }
}

async fn signing_off(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, order) = app.product_and_order(10, 1).await;
    assert_eq!(
        status_and_json(app.notify(&order, "paid").await).await,
        (StatusCode::OK, received())
    );
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);

    // A signature is not required, and not looked at either.
    let (_, order) = app.product_and_order(10, 1).await;
    let body = json_body(&order);
    let request = webhook(&app, &body, Some("not a signature".to_owned()));
    let answer = status_and_json(request.send().await.unwrap()).await;
    assert_eq!(answer, (StatusCode::OK, received()));
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
}
