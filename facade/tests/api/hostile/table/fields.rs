//! The rows of `docs/hostile-input.md` about the body's fields and its JSON: each a 400
//! naming what is wrong.

use reqwest::{StatusCode, multipart};

use super::{Row, form, json};
use crate::helpers::KEY;

/// The rows.
pub(super) fn rows() -> Vec<Row> {
    use StatusCode as S;
    vec![
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
    ]
}
