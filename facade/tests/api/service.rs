//! The OpenAPI document and the health probes, over HTTP.

use reqwest::StatusCode;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::helpers::{closed_port_url, spawn_facade, status_and_json};

#[tokio::test]
async fn the_openapi_document_has_the_contract_path_header_and_responses() {
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let base_url = spawn_facade(&closed_port_url(), &shutdown);

    let response = reqwest::get(format!("{base_url}/api/openapi.json"))
        .await
        .unwrap();
    let (status, doc) = status_and_json(response).await;

    assert_eq!(status, StatusCode::OK);
    let operation = &doc["paths"]["/api/webhooks/payment/"]["post"];
    assert!(
        operation.is_object(),
        "no POST /api/webhooks/payment/ in {doc}"
    );
    let parameters = operation["parameters"].as_array().unwrap();
    assert!(
        parameters
            .iter()
            .any(|p| p["name"] == "X-Webhook-Key" && p["in"] == "header" && p["required"] == true),
        "{parameters:?}"
    );
    let content = &operation["requestBody"]["content"];
    for content_type in [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        assert!(content[content_type].is_object(), "{content_type} missing");
    }
    for code in ["200", "400", "403", "404"] {
        assert!(
            operation["responses"][code].is_object(),
            "response {code} missing"
        );
    }
}

#[tokio::test]
async fn liveness_answers_200_while_the_facade_runs() {
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let base_url = spawn_facade(&closed_port_url(), &shutdown);

    let (status, body) =
        status_and_json(reqwest::get(format!("{base_url}/healthz")).await.unwrap()).await;

    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
}
