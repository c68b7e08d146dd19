//! The rows of `docs/hostile-input.md`: what is sent, the answer expected, a word its body
//! must contain.

use reqwest::{Method, RequestBuilder, StatusCode, multipart};

use super::Client;
use crate::helpers::KEY;

pub(super) type Build = Box<dyn Fn(&Client, &str) -> RequestBuilder>;

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
pub(super) fn table() -> Vec<(&'static str, StatusCode, &'static str, Build)> {
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
            "a file given for order_id (multipart)",
            S::BAD_REQUEST,
            "not a file",
            Box::new(|app, id| {
                let file = multipart::Part::text(id.to_owned()).file_name("order.txt");
                app.webhook(Some(KEY)).multipart(
                    multipart::Form::new()
                        .part("order_id", file)
                        .text("status", "paid"),
                )
            }),
        ),
        (
            "JSON nested 30 000 levels deep inside an unknown field",
            S::BAD_REQUEST,
            "recursion limit",
            Box::new(|app, id| {
                json(
                    app,
                    format!(
                        r#"{{"order_id": "{id}", "status": "paid", "x": {}{}}}"#,
                        "[".repeat(30_000),
                        "]".repeat(30_000)
                    ),
                )
            }),
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
            "method not allowed",
            Box::new(|app, _| {
                app.http
                    .request(Method::GET, &app.url)
                    .header("X-Webhook-Key", KEY)
            }),
        ),
    ]
}
