//! Hostile input, row by row: every bad request gets its documented answer and changes
//! nothing. `docs/hostile-input.md` is this table in prose; keep them together.

mod table;

use reqwest::{Method, RequestBuilder, StatusCode};
use shop_proto::orders::v1::OrderStatus;
use shop_testkit::db::Backend;

use crate::helpers::{KEY, TestApp, spawn_app};
use table::table;

shop_testkit::test_on_both_databases! {
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
    let not_post = client
        .http
        .request(Method::GET, &client.url)
        .header("X-Webhook-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        not_post.headers()["allow"],
        "POST",
        "405 says what is allowed"
    );
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
