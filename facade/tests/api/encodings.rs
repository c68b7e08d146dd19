//! JSON, URL-encoded and multipart bodies have the same effect; other content types, huge
//! bodies and repeated fields are refused before anything changes.

use reqwest::{RequestBuilder, StatusCode, multipart::Form};
use serde_json::json;
use shop_proto::orders::v1::{OrderStatus, PaymentOutcome};
use shop_testkit::db::Backend;

use crate::helpers::{KEY, TestApp, received, spawn_app, status_and_json};

shop_testkit::test_on_both_databases! {
    json_form_and_multipart_bodies_have_the_same_effect => same_effect;
    the_path_without_the_trailing_slash_works_too => without_slash;
    other_content_types_get_415_and_change_nothing => unsupported_media_type;
    bodies_over_64_kib_get_413_and_change_nothing => too_large;
    repeated_fields_get_400_naming_the_field => repeated_fields;
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Json,
    Form,
    Multipart,
}

const ENCODINGS: [Encoding; 3] = [Encoding::Json, Encoding::Form, Encoding::Multipart];

fn with_body(
    request: RequestBuilder,
    encoding: Encoding,
    order_id: &str,
    status: &str,
) -> RequestBuilder {
    let extra = "ignored by the facade";
    match encoding {
        Encoding::Json => {
            request.json(&json!({"order_id": order_id, "status": status, "note": extra}))
        }
        Encoding::Form => {
            request.form(&[("order_id", order_id), ("status", status), ("note", extra)])
        }
        Encoding::Multipart => request.multipart(
            Form::new()
                .text("note", extra)
                .text("order_id", order_id.to_owned())
                .text("status", status.to_owned()),
        ),
    }
}

async fn send(
    app: &TestApp,
    encoding: Encoding,
    order_id: &str,
    status: &str,
) -> (StatusCode, serde_json::Value) {
    let response = with_body(app.webhook(Some(KEY)), encoding, order_id, status)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

async fn same_effect(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    for encoding in ENCODINGS {
        let (product, order) = app.product_and_order(10, 2).await;

        assert_eq!(
            send(&app, encoding, &order, "failed").await,
            (StatusCode::OK, received()),
            "{encoding:?}"
        );
        assert_eq!(
            app.order_status(&order).await,
            OrderStatus::AwaitingPayment,
            "{encoding:?}"
        );
        assert_eq!(app.stock(&product).await, (10, 2), "{encoding:?}");

        assert_eq!(
            send(&app, encoding, &order, "paid").await,
            (StatusCode::OK, received()),
            "{encoding:?}"
        );
        assert_eq!(
            app.order_status(&order).await,
            OrderStatus::Confirmed,
            "{encoding:?}"
        );
        assert_eq!(app.stock(&product).await, (8, 0), "{encoding:?}");
        assert_eq!(
            app.payment_outcomes(&order).await,
            [PaymentOutcome::Ignored, PaymentOutcome::Confirmed],
            "{encoding:?}"
        );

        let unknown = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            send(&app, encoding, &unknown, "paid").await.0,
            StatusCode::NOT_FOUND,
            "{encoding:?}"
        );
        assert_eq!(
            send(&app, encoding, "nope", "paid").await.0,
            StatusCode::BAD_REQUEST,
            "{encoding:?}"
        );
    }
}

async fn without_slash(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, order) = app.product_and_order(10, 1).await;

    let response = app
        .http
        .post(format!("{}/api/webhooks/payment", app.base_url))
        .header("X-Webhook-Key", KEY)
        .form(&[("order_id", order.as_str()), ("status", "paid")])
        .send()
        .await
        .unwrap();

    assert_eq!(
        status_and_json(response).await,
        (StatusCode::OK, received())
    );
    assert_eq!(app.order_status(&order).await, OrderStatus::Confirmed);
}

async fn unsupported_media_type(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let body = json!({"order_id": order, "status": "paid"}).to_string();

    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let mut request = app.webhook(Some(KEY)).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let (status, reply) = status_and_json(request.send().await.unwrap()).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(reply["detail"].is_string(), "{reply}");
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
    assert_eq!(app.stock(&product).await, (10, 3));
}

async fn too_large(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (product, order) = app.product_and_order(10, 3).await;
    let padding = "x".repeat(64 * 1024);

    for encoding in ENCODINGS {
        let request = match encoding {
            Encoding::Json => app
                .webhook(Some(KEY))
                .json(&json!({"order_id": order, "status": "paid", "padding": padding})),
            Encoding::Form => app.webhook(Some(KEY)).form(&[
                ("order_id", order.as_str()),
                ("status", "paid"),
                ("padding", &padding),
            ]),
            Encoding::Multipart => app.webhook(Some(KEY)).multipart(
                Form::new()
                    .text("padding", padding.clone())
                    .text("order_id", order.clone())
                    .text("status", "paid"),
            ),
        };
        let (status, reply) = status_and_json(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{encoding:?}");
        assert!(reply["detail"].is_string(), "{reply}");
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
    assert_eq!(app.stock(&product).await, (10, 3));
}

async fn repeated_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (_, order) = app.product_and_order(10, 3).await;
    let expected =
        json!({"detail": "invalid request", "errors": {"status": "must be given only once"}});

    let form = app.webhook(Some(KEY)).form(&[
        ("order_id", order.as_str()),
        ("status", "failed"),
        ("status", "paid"),
    ]);
    let multipart = app.webhook(Some(KEY)).multipart(
        Form::new()
            .text("order_id", order.clone())
            .text("status", "failed")
            .text("status", "paid"),
    );
    let json = app
        .webhook(Some(KEY))
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"order_id": "{order}", "status": "failed", "status": "paid"}}"#
        ));
    for request in [form, multipart, json] {
        let (status, reply) = status_and_json(request.send().await.unwrap()).await;
        assert_eq!((status, reply), (StatusCode::BAD_REQUEST, expected.clone()));
    }
    assert_eq!(app.order_status(&order).await, OrderStatus::AwaitingPayment);
}
