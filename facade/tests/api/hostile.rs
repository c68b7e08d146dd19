//! Hostile input, row by row: every bad request gets its documented answer and changes
//! nothing. `docs/hostile-input.md` is this table in prose; keep them together.

use reqwest::{Method, RequestBuilder, StatusCode};
use shop_common::testing::Backend;
use shop_proto::orders::v1::OrderStatus;

use crate::helpers::{KEY, TestApp, spawn_app};

shop_common::test_on_both_databases! {
    every_hostile_request_gets_its_documented_answer_and_changes_nothing => hostile_table;
}

/// A fresh connection per request: the facade closes a connection whose body it refused
/// to read, and a pooled one would then fail the next request.
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            url: format!("{}/api/webhooks/payment/", app.base_url),
        }
    }

    fn webhook(&self, key: Option<&str>) -> RequestBuilder {
        let request = self.http.post(&self.url);
        match key {
            Some(key) => request.header("X-Webhook-Key", key),
            None => request,
        }
    }
}

type Build = Box<dyn Fn(&Client, &str) -> RequestBuilder>;

fn json(app: &Client, body: impl Into<String>) -> RequestBuilder {
    app.webhook(Some(KEY))
        .header("Content-Type", "application/json")
        .body(body.into())
}

fn form(app: &Client, body: impl Into<reqwest::Body>) -> RequestBuilder {
    app.webhook(Some(KEY))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
}

/// (what is sent, expected status, a word the body must contain)
fn table() -> Vec<(&'static str, StatusCode, &'static str, Build)> {
    use StatusCode as S;
    vec![
        (
            "no X-Webhook-Key",
            S::FORBIDDEN,
            "X-Webhook-Key",
            Box::new(|app, id| {
                app.webhook(None)
                    .json(&serde_json::json!({"order_id": id, "status": "paid"}))
            }),
        ),
        (
            "a wrong key",
            S::FORBIDDEN,
            "X-Webhook-Key",
            Box::new(|app, id| {
                app.webhook(Some("wrong"))
                    .json(&serde_json::json!({"order_id": id, "status": "paid"}))
            }),
        ),
        (
            "the key in another case",
            S::FORBIDDEN,
            "X-Webhook-Key",
            Box::new(|app, id| {
                app.webhook(Some(&KEY.to_uppercase()))
                    .json(&serde_json::json!({"order_id": id, "status": "paid"}))
            }),
        ),
        (
            "an empty key",
            S::FORBIDDEN,
            "X-Webhook-Key",
            Box::new(|app, id| {
                app.webhook(Some(""))
                    .json(&serde_json::json!({"order_id": id, "status": "paid"}))
            }),
        ),
        (
            "a wrong key and a 200 KB body",
            S::FORBIDDEN,
            "X-Webhook-Key",
            Box::new(|app, _| {
                app.webhook(Some("wrong"))
                    .header("Content-Type", "text/plain")
                    .body("x".repeat(200_000))
            }),
        ),
        (
            "a body over 64 KiB",
            S::PAYLOAD_TOO_LARGE,
            "",
            Box::new(|app, id| {
                json(
                    app,
                    format!(
                        r#"{{"order_id": "{id}", "status": "paid", "pad": "{}"}}"#,
                        "x".repeat(70_000)
                    ),
                )
            }),
        ),
        (
            "a 1 MB body",
            S::PAYLOAD_TOO_LARGE,
            "",
            Box::new(|app, _| json(app, "[".repeat(1 << 20))),
        ),
        (
            "Content-Type text/plain",
            S::UNSUPPORTED_MEDIA_TYPE,
            "",
            Box::new(|app, id| {
                app.webhook(Some(KEY))
                    .header("Content-Type", "text/plain")
                    .body(format!("order_id={id}&status=paid"))
            }),
        ),
        (
            "no Content-Type",
            S::UNSUPPORTED_MEDIA_TYPE,
            "",
            Box::new(|app, id| {
                app.webhook(Some(KEY))
                    .body(format!(r#"{{"order_id": "{id}", "status": "paid"}}"#))
            }),
        ),
        (
            "Content-Type application/xml",
            S::UNSUPPORTED_MEDIA_TYPE,
            "",
            Box::new(|app, id| {
                app.webhook(Some(KEY))
                    .header("Content-Type", "application/xml")
                    .body(format!("<order_id>{id}</order_id>"))
            }),
        ),
        (
            "order_id not a UUID",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| json(app, r#"{"order_id": "42", "status": "paid"}"#)),
        ),
        (
            "order_id with SQL in it",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| {
                json(
                    app,
                    r#"{"order_id": "' OR 1=1; DROP TABLE orders; --", "status": "paid"}"#,
                )
            }),
        ),
        (
            "order_id padded with spaces",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, id| {
                json(
                    app,
                    format!(r#"{{"order_id": " {id} ", "status": "paid"}}"#),
                )
            }),
        ),
        (
            "order_id as a number",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| json(app, r#"{"order_id": 12345, "status": "paid"}"#)),
        ),
        (
            "order_id null",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| json(app, r#"{"order_id": null, "status": "paid"}"#)),
        ),
        (
            "status PAID (upper case)",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| json(app, format!(r#"{{"order_id": "{id}", "status": "PAID"}}"#))),
        ),
        (
            "status refunded (unknown)",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| {
                json(
                    app,
                    format!(r#"{{"order_id": "{id}", "status": "refunded"}}"#),
                )
            }),
        ),
        (
            "status with a Cyrillic а",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| json(app, format!(r#"{{"order_id": "{id}", "status": "pаid"}}"#))),
        ),
        (
            "status empty",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| form(app, format!("order_id={id}&status="))),
        ),
        (
            "missing order_id",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| json(app, r#"{"status": "paid"}"#)),
        ),
        (
            "missing status",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| form(app, format!("order_id={id}"))),
        ),
        (
            "an empty JSON object",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, _| json(app, "{}")),
        ),
        (
            "an empty body",
            S::BAD_REQUEST,
            "",
            Box::new(|app, _| json(app, "")),
        ),
        (
            "order_id twice (JSON)",
            S::BAD_REQUEST,
            "order_id",
            Box::new(|app, id| {
                json(
                    app,
                    format!(r#"{{"order_id": "{id}", "order_id": "{id}", "status": "paid"}}"#),
                )
            }),
        ),
        (
            "status twice (form)",
            S::BAD_REQUEST,
            "status",
            Box::new(|app, id| form(app, format!("order_id={id}&status=paid&status=failed"))),
        ),
        (
            "non-UTF-8 JSON",
            S::BAD_REQUEST,
            "",
            Box::new(|app, _| {
                app.webhook(Some(KEY))
                    .header("Content-Type", "application/json")
                    .body(vec![b'{', 0xff, 0xfe, b'}'])
            }),
        ),
        (
            "non-UTF-8 form values",
            S::BAD_REQUEST,
            "",
            Box::new(|app, _| {
                form(
                    app,
                    vec![
                        b'o', b'r', b'd', b'e', b'r', b'_', b'i', b'd', b'=', 0xff, b'&', b's',
                        b't', b'a', b't', b'u', b's', b'=', 0xfe,
                    ],
                )
            }),
        ),
        (
            "JSON nested 30 000 levels deep",
            S::BAD_REQUEST,
            "",
            Box::new(|app, _| json(app, format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)))),
        ),
        (
            "a JSON array",
            S::BAD_REQUEST,
            "",
            Box::new(|app, id| {
                json(
                    app,
                    format!(r#"[{{"order_id": "{id}", "status": "paid"}}]"#),
                )
            }),
        ),
        (
            "trailing garbage after the JSON",
            S::BAD_REQUEST,
            "",
            Box::new(|app, id| {
                json(
                    app,
                    format!(r#"{{"order_id": "{id}", "status": "paid"}} garbage"#),
                )
            }),
        ),
        (
            "multipart without a boundary",
            S::BAD_REQUEST,
            "",
            Box::new(|app, id| {
                app.webhook(Some(KEY))
                    .header("Content-Type", "multipart/form-data")
                    .body(format!("order_id={id}&status=paid"))
            }),
        ),
        (
            "GET instead of POST",
            S::METHOD_NOT_ALLOWED,
            "",
            Box::new(|app, _| {
                app.http
                    .request(Method::GET, &app.url)
                    .header("X-Webhook-Key", KEY)
            }),
        ),
    ]
}

async fn hostile_table(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let client = Client::new(&app);
    let mut failures = Vec::new();
    for (what, expected, mentions, build) in table() {
        let response = match build(&client, &order).send().await {
            Ok(response) => response,
            Err(e) => {
                failures.push(format!("{what}: no answer: {e}"));
                continue;
            }
        };
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status != expected || !body.contains(mentions) {
            failures.push(format!(
                "{what}: expected {expected} mentioning {mentions:?}, got {status} {body}"
            ));
        }
        if status.is_server_error() {
            failures.push(format!("{what}: a server error"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        app.order_status(&order).await,
        OrderStatus::AwaitingPayment,
        "nothing changed"
    );
    assert!(
        app.payment_outcomes(&order).await.is_empty(),
        "no payment was recorded"
    );
    assert_eq!(app.stock(&product).await, (10, 3));

    // A 10 MB body: refused at 64 KiB, with a 413 or the connection closed under the sender;
    // never a hang, never a 5xx, and the facade carries on.
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        ten_megabytes(&app.base_url, &order),
    )
    .await
    .expect("no hang");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 413"),
        "{answer}"
    );

    // And the order can still be paid normally.
    assert_eq!(app.notify(&order, "paid").await.status(), StatusCode::OK);
}

/// Posts 10 MB over a raw connection, ignoring a write cut short; returns what came back.
async fn ten_megabytes(base_url: &str, order: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = format!(
        r#"{{"order_id": "{order}", "status": "paid", "pad": "{}"}}"#,
        "x".repeat(10 << 20)
    );
    let head = format!(
        "POST /api/webhooks/payment/ HTTP/1.1\r\nHost: {addr}\r\nX-Webhook-Key: {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}
