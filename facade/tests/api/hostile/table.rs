//! The rows of `docs/hostile-input.md`: what is sent, the answer expected, a word its body
//! must contain.

use reqwest::{Method, RequestBuilder, StatusCode};

use super::Client;
use crate::helpers::KEY;

mod fields;

pub(super) type Build = Box<dyn Fn(&Client, &str) -> RequestBuilder>;

pub(super) fn json(app: &Client, body: impl Into<String>) -> RequestBuilder {
    app.webhook(Some(KEY))
        .header("Content-Type", "application/json")
        .body(body.into())
}

pub(super) fn form(app: &Client, body: impl Into<reqwest::Body>) -> RequestBuilder {
    app.webhook(Some(KEY))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
}

/// A row: what is sent, the status expected, a word the body must contain, the request.
pub(super) type Row = (&'static str, StatusCode, &'static str, Build);

/// Every row: the envelope's (key, size, media type, method) here, the fields' in `fields`.
pub(super) fn table() -> Vec<Row> {
    use StatusCode as S;
    let mut rows = fields::rows();
    rows.extend::<Vec<Row>>(vec![
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
            "no Content-Type and an empty body",
            S::BAD_REQUEST,
            "this field is required",
            Box::new(|app, _| app.webhook(Some(KEY))),
        ),
        (
            "a gzip Content-Encoding",
            S::UNSUPPORTED_MEDIA_TYPE,
            "Content-Encoding",
            Box::new(|app, id| {
                json(app, format!(r#"{{"order_id": "{id}", "status": "paid"}}"#))
                    .header("Content-Encoding", "gzip")
            }),
        ),
        (
            "a charset other than UTF-8",
            S::UNSUPPORTED_MEDIA_TYPE,
            "charset",
            Box::new(|app, id| {
                app.webhook(Some(KEY))
                    .header(
                        "Content-Type",
                        "application/x-www-form-urlencoded; charset=iso-8859-1",
                    )
                    .body(format!("order_id={id}&status=paid"))
            }),
        ),
        (
            "GET instead of POST",
            S::METHOD_NOT_ALLOWED,
            "method not allowed",
            Box::new(|app, _| {
                app.http
                    .request(Method::GET, &app.url)
                    .header("X-Webhook-Key", KEY)
            }),
        ),
    ]);
    rows
}
