//! The router in-process with signing enabled, against an orders URL where nothing
//! listens: a webhook that gets past every check reaches the gRPC call and answers 503, so
//! 503 here means "accepted by the facade".

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use axum::Router;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use shop_facade::signature::WebhookSigning;

use super::{KEY, ORDER, app_with, logs, paid_json, webhook};

const SECRET: &str = "whsec_in_process";

fn app() -> Router {
    app_with(KEY, WebhookSigning::parse(SECRET))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `t=<t>,v1=<HMAC-SHA256 of "t.body">`.
fn signature(secret: &str, t: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook with the right key, `body` as `content_type`, and `signature` if any.
fn signed(content_type: &str, body: &str, signature: Option<String>) -> Request<Body> {
    let mut request = webhook(Some(KEY), Some(content_type), body.to_owned());
    if let Some(signature) = signature {
        let value = signature.parse().unwrap();
        request.headers_mut().insert("X-Webhook-Signature", value);
    }
    request
}

async fn send(request: Request<Body>) -> (StatusCode, Value) {
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_correctly_signed_webhook_gets_past_the_check_in_every_encoding() {
    let multipart = format!(
        "--b\r\nContent-Disposition: form-data; name=\"order_id\"\r\n\r\n{ORDER}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\npaid\r\n--b--\r\n"
    );
    for (content_type, body) in [
        ("application/json", paid_json()),
        (
            "application/x-www-form-urlencoded",
            format!("order_id={ORDER}&status=paid"),
        ),
        ("multipart/form-data; boundary=b", multipart),
    ] {
        let signature = signature(SECRET, now(), body.as_bytes());
        let (status, _) = send(signed(content_type, &body, Some(signature))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{content_type}");
    }
}

#[tokio::test]
async fn each_signature_problem_gets_403_naming_it() {
    let body = paid_json();
    let t = now();
    for (signature, detail) in [
        (None, "missing X-Webhook-Signature"),
        (
            Some(format!("v1={}", "ab".repeat(32))),
            "malformed X-Webhook-Signature (no t timestamp): \
             expected t=<unix seconds>,v1=<hex HMAC-SHA256>",
        ),
        (
            Some(signature("whsec_wrong", t, body.as_bytes())),
            "X-Webhook-Signature does not match",
        ),
        (
            Some(signature(SECRET, t - 360, body.as_bytes())),
            "X-Webhook-Signature timestamp is outside the 5-minute tolerance",
        ),
        (
            Some(signature(SECRET, t + 360, body.as_bytes())),
            "X-Webhook-Signature timestamp is outside the 5-minute tolerance",
        ),
    ] {
        let reply = send(signed("application/json", &body, signature.clone())).await;
        assert_eq!(
            reply,
            (StatusCode::FORBIDDEN, json!({"detail": detail})),
            "{signature:?}"
        );
    }
}

#[tokio::test]
async fn the_signature_is_checked_over_the_raw_body_before_it_is_parsed() {
    let garbage = "{\"order_id\"";
    // Wrongly signed garbage is 403, not 400: nothing reads it.
    let wrong = signature(SECRET, now(), b"something else");
    let (status, _) = send(signed("application/json", garbage, Some(wrong))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Correctly signed garbage gets past the signature and is then refused as malformed.
    let right = signature(SECRET, now(), garbage.as_bytes());
    let (status, reply) = send(signed("application/json", garbage, Some(right))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    // A signature over a re-serialised body (other spacing) does not match the raw bytes.
    let reformatted = serde_json::to_string_pretty(&json!({"order_id": ORDER, "status": "paid"}));
    let other = signature(SECRET, now(), reformatted.unwrap().as_bytes());
    let (status, _) = send(signed("application/json", &paid_json(), Some(other))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_key_is_still_checked_first() {
    let body = paid_json();
    let mut request = signed(
        "application/json",
        &body,
        Some(signature(SECRET, now(), body.as_bytes())),
    );
    request
        .headers_mut()
        .insert("X-Webhook-Key", "wrong".parse().unwrap());
    let reply = send(request).await;
    assert_eq!(
        reply,
        (
            StatusCode::FORBIDDEN,
            json!({"detail": "invalid or missing X-Webhook-Key"})
        )
    );
}

#[tokio::test]
async fn the_body_limit_and_content_types_still_apply_before_the_signature() {
    let body = format!(
        "order_id={ORDER}&status=paid&padding={}",
        "x".repeat(64 * 1024)
    );
    let signature = signature(SECRET, now(), body.as_bytes());
    for sig in [None, Some(signature)] {
        let request = signed("application/x-www-form-urlencoded", &body, sig);
        assert_eq!(send(request).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    }
    let request = signed("text/plain", "x", None);
    assert_eq!(
        send(request).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "decided from the headers alone"
    );
}

#[tokio::test]
async fn signature_refusals_are_logged_as_warnings_without_secret_or_signature() {
    let run = logs::Run::new();
    let body = paid_json();
    let wrong = signature("whsec_typo", now(), body.as_bytes());
    let stale = signature(SECRET, now() - 3600, body.as_bytes());
    for sig in [None, Some(wrong.clone()), Some(stale.clone())] {
        send(run.tag(signed("application/json", &body, sig))).await;
    }

    let logs = run.lines();
    assert!(
        logs.contains("WARN") && logs.contains("webhook refused: missing X-Webhook-Signature"),
        "{logs}"
    );
    assert!(
        logs.contains("X-Webhook-Signature does not match"),
        "{logs}"
    );
    assert!(logs.contains("skew_secs: 3600"), "{logs}");
    let hex_of = |header: &str| header.split("v1=").nth(1).unwrap().to_owned();
    for secret in [
        SECRET.to_owned(),
        "whsec_typo".to_owned(),
        hex_of(&wrong),
        hex_of(&stale),
    ] {
        assert!(!logs.contains(&secret), "{secret} was logged:\n{logs}");
    }
    assert!(!logs.contains("whsec"), "{logs}");
}

#[tokio::test]
async fn the_path_without_the_trailing_slash_checks_the_signature_too() {
    let body = paid_json();
    for (signature, expected) in [
        (None, StatusCode::FORBIDDEN),
        (
            Some(signature(SECRET, now(), body.as_bytes())),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    ] {
        let mut request = Request::post("/api/webhooks/payment")
            .header("X-Webhook-Key", KEY)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(signature) = signature {
            request = request.header("X-Webhook-Signature", signature);
        }
        let request = request.body(Body::from(body.clone())).unwrap();
        assert_eq!(send(request).await.0, expected);
    }
}
