//! The router in-process (`oneshot`), against an orders URL where nothing listens: every
//! path up to the gRPC call, and the unavailable path itself.

mod logs;
mod signing;

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use axum::Router;
use shop_facade::{
    auth::WebhookKeys,
    error::MAX_BODY_BYTES,
    orders_client::OrdersClient,
    routes::{AppState, router},
    signature::WebhookSigning,
};

pub(super) const KEY: &str = "current-key";
const OLD_KEY: &str = "previous-key";
pub(super) const ORDER: &str = "0b9a3c1e-4f6d-4a8b-9c2d-1e2f3a4b5c6d";

/// A port nothing listens on: bound, then released.
pub(super) fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// The router with `keys` and `signing`, its orders service unreachable.
pub(super) fn app_with(keys: &str, signing: Option<WebhookSigning>) -> Router {
    router(AppState {
        orders: OrdersClient::connect_lazy(
            &shop_common::grpc::Upstream {
                urls: shop_common::config::GrpcUrls::parse(&closed_port_url()).unwrap(),
                security: Default::default(),
                in_process: None,
            },
            Duration::from_secs(2),
        )
        .unwrap(),
        keys: WebhookKeys::parse(keys).unwrap(),
        signing,
    })
}

fn app() -> Router {
    app_with(&format!("{OLD_KEY},{KEY}"), None)
}

pub(super) fn webhook(
    key: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut request = Request::post("/api/webhooks/payment/");
    if let Some(key) = key {
        request = request.header("X-Webhook-Key", key);
    }
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

pub(super) fn paid_json() -> String {
    json!({"order_id": ORDER, "status": "paid"}).to_string()
}

async fn send(request: Request<Body>) -> (StatusCode, Response<()>, Value) {
    let response = app().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, Response::from_parts(parts, ()), json)
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_refused_before_the_body_is_looked_at() {
    for key in [None, Some("wrong"), Some(""), Some("current-key ")] {
        // Even a body that is not JSON at all gets 403, not 400 or 415.
        let (status, _, body) = send(webhook(key, Some("text/plain"), "garbage")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key:?}");
        assert_eq!(body, json!({"detail": "invalid or missing X-Webhook-Key"}));
    }
}

#[tokio::test]
async fn both_keys_of_a_rotation_are_accepted() {
    for key in [KEY, OLD_KEY] {
        let (status, _, _) = send(webhook(Some(key), Some("text/plain"), "x")).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{key}");
    }
}

#[tokio::test]
async fn other_or_missing_content_types_get_415() {
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let (status, _, body) = send(webhook(Some(KEY), content_type, paid_json())).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
}

#[tokio::test]
async fn bodies_over_64_kib_get_413_in_every_encoding() {
    let padding = "x".repeat(MAX_BODY_BYTES);
    let json_body = json!({"order_id": ORDER, "status": "paid", "padding": padding}).to_string();
    let form_body = format!("order_id={ORDER}&status=paid&padding={padding}");
    let multipart_body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"padding\"\r\n\r\n{padding}\r\n--b--\r\n"
    );
    for (content_type, body) in [
        ("application/json", json_body),
        ("application/x-www-form-urlencoded", form_body),
        ("multipart/form-data; boundary=b", multipart_body),
    ] {
        let (status, _, reply) = send(webhook(Some(KEY), Some(content_type), body)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{content_type}");
        assert!(reply["detail"].is_string(), "{reply}");
    }
}

#[tokio::test]
async fn invalid_fields_get_400_naming_each_field() {
    let body = json!({"order_id": "123", "status": "Paid"}).to_string();
    let (status, _, reply) = send(webhook(Some(KEY), Some("application/json"), body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply,
        json!({
            "detail": "invalid request",
            "errors": {"order_id": "must be a UUID", "status": "must be \"paid\" or \"failed\""}
        })
    );
}

#[tokio::test]
async fn malformed_json_gets_400_with_a_detail() {
    let (status, _, reply) = send(webhook(
        Some(KEY),
        Some("application/json"),
        "{\"order_id\"",
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reply["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_valid_webhook_gets_503_with_retry_after_when_orders_is_unreachable() {
    for path in ["/api/webhooks/payment/", "/api/webhooks/payment"] {
        let request = Request::post(path)
            .header("X-Webhook-Key", KEY)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("order_id={ORDER}&status=paid")))
            .unwrap();
        let (status, response, reply) = send(request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        assert_eq!(
            reply,
            json!({"detail": "the order service is temporarily unavailable; retry later"})
        );
    }
}

#[tokio::test]
async fn liveness_is_200_and_readiness_503_while_orders_is_unreachable() {
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (status, _, reply) = send(get("/healthz")).await;
    assert_eq!((status, reply), (StatusCode::OK, json!({"status": "ok"})));
    let (status, _, _) = send(get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let request = Request::get("/api/nothing-here")
        .body(Body::empty())
        .unwrap();
    let (status, _, reply) = send(request).await;
    assert_eq!(
        (status, reply),
        (StatusCode::NOT_FOUND, json!({"detail": "not found"}))
    );
}

#[tokio::test]
async fn other_methods_get_a_json_405_with_allow() {
    for (method, path, allow) in [
        ("GET", "/api/webhooks/payment/", "POST"),
        ("PUT", "/api/webhooks/payment", "POST"),
        ("POST", "/healthz", "GET,HEAD"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("X-Webhook-Key", KEY)
            .body(Body::empty())
            .unwrap();
        let (status, head, reply) = send(request).await;
        assert_eq!(
            (status, reply),
            (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"detail": "method not allowed"})
            ),
            "{method} {path}"
        );
        assert_eq!(head.headers()[header::ALLOW], allow, "{method} {path}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract() {
    let request = Request::get("/api/openapi.json")
        .body(Body::empty())
        .unwrap();
    let (status, _, doc) = send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let operation = &doc["paths"]["/api/webhooks/payment/"]["post"];
    assert_eq!(operation["operationId"], "paymentWebhook");
    let header = &operation["parameters"][0];
    assert_eq!(
        (&header["name"], &header["in"], &header["required"]),
        (&json!("X-Webhook-Key"), &json!("header"), &json!(true))
    );
    // Optional in the document: required only when signing is enabled.
    let header = &operation["parameters"][1];
    assert_eq!(
        (&header["name"], &header["in"], &header["required"]),
        (
            &json!("X-Webhook-Signature"),
            &json!("header"),
            &json!(false)
        )
    );
    let description = header["description"].as_str().unwrap();
    assert!(description.contains("HMAC-SHA256"), "{description}");
    let content = operation["requestBody"]["content"].as_object().unwrap();
    let mut types: Vec<&str> = content.keys().map(String::as_str).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data"
        ]
    );
    let responses = operation["responses"].as_object().unwrap();
    for code in ["200", "400", "403", "404", "413", "415", "503"] {
        assert!(responses.contains_key(code), "response {code} missing");
    }
    assert!(responses["503"]["headers"]["Retry-After"].is_object());
    let schema = &doc["components"]["schemas"]["PaymentWebhookRequest"];
    assert_eq!(schema["properties"]["order_id"]["format"], "uuid");
    assert_eq!(schema["required"], json!(["order_id", "status"]));
    assert_eq!(
        doc["components"]["schemas"]["PaymentReport"]["enum"],
        json!(["paid", "failed"])
    );
}

#[tokio::test]
async fn webhooks_are_logged_with_order_and_outcome_but_never_with_a_key() {
    let run = logs::Run::new();
    send(run.tag(webhook(
        Some("current-key-typo"),
        Some("application/json"),
        paid_json(),
    )))
    .await;
    send(run.tag(webhook(Some(KEY), Some("application/json"), "{}"))).await;
    send(run.tag(webhook(
        Some(OLD_KEY),
        Some("application/json"),
        paid_json(),
    )))
    .await;

    let logs = run.lines();
    assert!(
        logs.contains("webhook refused: invalid or missing X-Webhook-Key"),
        "{logs}"
    );
    assert!(logs.contains("webhook refused: invalid request"), "{logs}");
    assert!(logs.contains(&format!("order_id={ORDER}")), "{logs}");
    assert!(logs.contains("latency="), "{logs}");
    assert!(logs.contains("answering 503"), "{logs}");
    for secret in [KEY, OLD_KEY, "current-key-typo"] {
        assert!(!logs.contains(secret), "{secret} was logged:\n{logs}");
    }
}
