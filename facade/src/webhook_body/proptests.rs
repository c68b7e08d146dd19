//! Property tests (fuzzing) of the webhook body parser, in all three encodings: arbitrary
//! bytes never panic it and are refused with a clean 4xx; every valid webhook parses the same
//! whatever its encoding and whatever extra fields it carries.

use axum::{
    body::Body,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
    response::IntoResponse,
};
use proptest::prelude::*;
use shop_common::names::StoredName;
use uuid::Uuid;

use super::RawWebhookBody;
use crate::{
    error::ApiError,
    notification::{PaymentNotification, PaymentReport},
};

const BOUNDARY: &str = "proptest-boundary-7f3a";

fn parse(content_type: &str, body: Vec<u8>) -> Result<PaymentNotification, StatusCode> {
    let request = Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            RawWebhookBody::from_request(request, &())
                .await?
                .parse()
                .await
        })
        .map_err(|e: ApiError| e.into_response().status())
}

fn json(fields: &[(String, String)]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::to_vec(&map).unwrap()
}

fn form(fields: &[(String, String)]) -> Vec<u8> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        serializer.append_pair(k, v);
    }
    serializer.finish().into_bytes()
}

fn multipart(fields: &[(String, String)]) -> Vec<u8> {
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body.into_bytes()
}

/// Encodes fields as a body.
type Encoder = fn(&[(String, String)]) -> Vec<u8>;

fn encodings() -> [(String, Encoder); 3] {
    [
        ("application/json".to_owned(), json),
        ("application/x-www-form-urlencoded".to_owned(), form),
        (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart,
        ),
    ]
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just(format!("multipart/form-data; boundary={BOUNDARY}")),
        Just("multipart/form-data".to_owned()),
        "[a-z/+;= -]{0,40}",
    ]
}

/// Extra fields: any name but the two known ones, harmless values.
fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[a-z_]{1,12}", "[a-zA-Z0-9 .,]{0,24}"), 0..6).prop_map(|fields| {
        fields
            .into_iter()
            .filter(|(k, _)| k != "order_id" && k != "status")
            .collect()
    })
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic_and_are_refused_with_a_clean_4xx(
        content_type in content_type(),
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        if let Err(status) = parse(&content_type, body) {
            prop_assert!(
                matches!(status, StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE),
                "unexpected {status}"
            );
        }
    }

    #[test]
    fn valid_webhooks_parse_the_same_in_every_encoding_whatever_else_they_carry(
        id in any::<u128>(),
        paid in any::<bool>(),
        extras in extras(),
        position in 0usize..8,
    ) {
        let order_id = Uuid::from_u128(id);
        let status = if paid { PaymentReport::Paid } else { PaymentReport::Failed };
        let mut fields = extras;
        let at = position.min(fields.len());
        fields.insert(at, ("status".to_owned(), status.as_str().to_owned()));
        fields.insert(at / 2, ("order_id".to_owned(), order_id.to_string()));
        for (content_type, encode) in encodings() {
            prop_assert_eq!(
                parse(&content_type, encode(&fields)),
                Ok(PaymentNotification { order_id, status }),
                "{}", content_type
            );
        }
    }

    #[test]
    fn any_status_but_paid_or_failed_is_a_400(
        id in any::<u128>(),
        status in "[a-zA-Z0-9 ]{0,12}".prop_filter("not a valid status", |s| s != "paid" && s != "failed"),
    ) {
        let fields = vec![
            ("order_id".to_owned(), Uuid::from_u128(id).to_string()),
            ("status".to_owned(), status),
        ];
        for (content_type, encode) in encodings() {
            prop_assert_eq!(parse(&content_type, encode(&fields)), Err(StatusCode::BAD_REQUEST), "{}", content_type);
        }
    }

    #[test]
    fn any_order_id_that_is_not_a_uuid_is_a_400(
        order_id in "\\PC{0,40}".prop_filter("not a UUID", |s| Uuid::try_parse(s).is_err()),
    ) {
        let fields = vec![("order_id".to_owned(), order_id), ("status".to_owned(), "paid".to_owned())];
        prop_assert_eq!(parse("application/json", json(&fields)), Err(StatusCode::BAD_REQUEST));
        prop_assert_eq!(parse("application/x-www-form-urlencoded", form(&fields)), Err(StatusCode::BAD_REQUEST));
    }
}
