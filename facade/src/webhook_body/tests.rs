//! The extractor on its own, fed hand-made requests.

use axum::{body::Body, extract::FromRequest, http::Request};

use super::*;
use crate::notification::PaymentReport;

const ORDER: &str = "0b9a3c1e-4f6d-4a8b-9c2d-1e2f3a4b5c6d";

async fn extract(
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Result<PaymentNotification, ApiError> {
    let headers: Vec<_> = content_type
        .map(|value| (header::CONTENT_TYPE.as_str(), value))
        .into_iter()
        .collect();
    extract_with(&headers, body).await
}

async fn extract_with(
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Result<PaymentNotification, ApiError> {
    let mut request = Request::post("/api/webhooks/payment/");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    RawWebhookBody::from_request(request.body(body.into()).unwrap(), &())
        .await?
        .parse()
        .await
}

fn expected(status: PaymentReport) -> PaymentNotification {
    PaymentNotification {
        order_id: ORDER.parse().unwrap(),
        status,
    }
}

#[track_caller]
fn assert_invalid(result: Result<PaymentNotification, ApiError>, fields: &[(&str, &str)]) {
    match result {
        Err(ApiError::InvalidFields(errors)) => {
            let errors: Vec<(&str, &str)> = errors.into_iter().collect();
            assert_eq!(errors, fields);
        }
        other => panic!("expected invalid fields {fields:?}, got {other:?}"),
    }
}

fn multipart(parts: &[(&str, &str)]) -> (String, String) {
    let boundary = "XyZb0undary";
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn json_bodies_are_parsed_and_unknown_fields_ignored() {
    let body =
        format!(r#"{{"order_id": "{ORDER}", "status": "paid", "amount": 12.5, "x": {{"y": []}}}}"#);
    let parsed = extract(Some("application/json; charset=utf-8"), body)
        .await
        .unwrap();
    assert_eq!(parsed, expected(PaymentReport::Paid));
}

#[tokio::test]
async fn form_bodies_are_parsed() {
    let body = format!("status=failed&order_id={ORDER}&extra=1");
    let parsed = extract(Some("application/x-www-form-urlencoded"), body)
        .await
        .unwrap();
    assert_eq!(parsed, expected(PaymentReport::Failed));
}

#[tokio::test]
async fn multipart_bodies_are_parsed() {
    let (content_type, body) =
        multipart(&[("note", "hi"), ("order_id", ORDER), ("status", "paid")]);
    let parsed = extract(Some(&content_type), body).await.unwrap();
    assert_eq!(parsed, expected(PaymentReport::Paid));
}

#[tokio::test]
async fn missing_fields_are_each_named() {
    assert_invalid(
        extract(Some("application/json"), "{}").await,
        &[("order_id", REQUIRED), ("status", REQUIRED)],
    );
    assert_invalid(
        extract(Some("application/x-www-form-urlencoded"), "").await,
        &[("order_id", REQUIRED), ("status", REQUIRED)],
    );
    let (content_type, body) = multipart(&[("status", "paid")]);
    assert_invalid(
        extract(Some(&content_type), body).await,
        &[("order_id", REQUIRED)],
    );
}

#[tokio::test]
async fn invalid_values_are_each_named() {
    let body = r#"{"order_id": "not-a-uuid", "status": "PAID"}"#;
    assert_invalid(
        extract(Some("application/json"), body).await,
        &[("order_id", NOT_A_UUID), ("status", NOT_A_STATUS)],
    );
    let body = r#"{"order_id": 42, "status": null}"#;
    assert_invalid(
        extract(Some("application/json"), body).await,
        &[("order_id", NOT_A_UUID), ("status", NOT_A_STATUS)],
    );
    let body = format!("order_id={ORDER}&status=refunded");
    assert_invalid(
        extract(Some("application/x-www-form-urlencoded"), body).await,
        &[("status", NOT_A_STATUS)],
    );
}

#[tokio::test]
async fn repeated_fields_are_refused_in_every_encoding() {
    let body = format!(r#"{{"order_id": "{ORDER}", "status": "failed", "status": "paid"}}"#);
    assert_invalid(
        extract(Some("application/json"), body).await,
        &[("status", REPEATED)],
    );
    let body = format!("order_id={ORDER}&order_id={ORDER}&status=paid");
    assert_invalid(
        extract(Some("application/x-www-form-urlencoded"), body).await,
        &[("order_id", REPEATED)],
    );
    let (content_type, body) =
        multipart(&[("order_id", ORDER), ("status", "paid"), ("status", "paid")]);
    assert_invalid(
        extract(Some(&content_type), body).await,
        &[("status", REPEATED)],
    );
}

#[tokio::test]
async fn malformed_json_is_a_malformed_body() {
    for body in ["{\"order_id\": ", "[1, 2]", "{} trailing", ""] {
        match extract(Some("application/json"), body).await {
            Err(ApiError::MalformedBody(detail)) => {
                assert!(detail.starts_with("malformed JSON"), "{detail}")
            }
            other => panic!("{body:?}: expected a malformed body, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_multipart_body_without_boundary_is_malformed() {
    let result = extract(Some("multipart/form-data"), "whatever").await;
    assert!(
        matches!(result, Err(ApiError::MalformedBody(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn other_or_missing_content_types_are_unsupported() {
    let body = format!(r#"{{"order_id": "{ORDER}", "status": "paid"}}"#);
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        Some("application/jsonx"),
        None,
    ] {
        let result = extract(content_type, body.clone()).await;
        assert!(
            matches!(result, Err(ApiError::UnsupportedMediaType)),
            "{content_type:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_empty_body_without_a_content_type_is_missing_both_fields() {
    assert_invalid(
        extract(None, "").await,
        &[("order_id", REQUIRED), ("status", REQUIRED)],
    );
}

#[tokio::test]
async fn a_compressed_body_is_unsupported_whatever_it_contains() {
    let body = format!(r#"{{"order_id": "{ORDER}", "status": "paid"}}"#);
    for coding in ["gzip", "br", "deflate", "identity, gzip", "x-unknown"] {
        let headers = [
            ("content-type", "application/json"),
            ("content-encoding", coding),
        ];
        let result = extract_with(&headers, body.clone()).await;
        assert!(
            matches!(result, Err(ApiError::UnsupportedContentEncoding)),
            "{coding}: {result:?}"
        );
    }
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "identity"),
    ];
    assert_eq!(
        extract_with(&headers, body).await.unwrap(),
        expected(PaymentReport::Paid)
    );
}

#[tokio::test]
async fn a_charset_other_than_utf_8_is_unsupported() {
    let body = format!("order_id={ORDER}&status=paid");
    for content_type in [
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; charset=\"windows-1252\"",
    ] {
        let result = extract(Some(content_type), body.clone()).await;
        assert!(
            matches!(result, Err(ApiError::UnsupportedCharset)),
            "{content_type}: {result:?}"
        );
    }
    let parsed = extract(
        Some("application/x-www-form-urlencoded; charset=\"UTF-8\""),
        body,
    )
    .await;
    assert_eq!(parsed.unwrap(), expected(PaymentReport::Paid));
}

#[tokio::test]
async fn a_file_given_for_a_field_is_refused_naming_it() {
    let boundary = "XyZb0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"order_id\"; filename=\"id.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{ORDER}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\npaid\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    assert_invalid(
        extract(Some(&content_type), body).await,
        &[("order_id", A_FILE)],
    );
}

#[tokio::test]
async fn json_nested_deep_inside_an_unknown_field_is_malformed() {
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let body = format!(r#"{{"order_id": "{ORDER}", "status": "paid", "extra": {deep}}}"#);
    let result = extract(Some("application/json"), body).await;
    assert!(
        matches!(&result, Err(ApiError::MalformedBody(detail)) if detail.contains("recursion")),
        "{result:?}"
    );
}
