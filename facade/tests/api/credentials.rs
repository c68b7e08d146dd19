//! The facade's credentials towards orders: a wrong or missing `SHOP_GRPC_TOKEN` keeps the
//! facade out of service (`/readyz` 503), webhooks get 503 with Retry-After (the provider
//! retries; nothing is lost), and the refusal is counted; the right token makes it ready.

use reqwest::{StatusCode, header::RETRY_AFTER};
use shop_common::{
    config::GrpcUrls,
    grpc::{ClientSecurity, GrpcToken, ServerSecurity, Upstream},
};
use shop_facade::{config::FacadeConfig, startup::Facade};
use shop_orders::{config::OrdersConfig, startup::Orders};
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;

use crate::helpers::{KEY, closed_port_url};

const ORDERS_TOKEN: &str = "the-orders-token";

shop_testkit::test_on_both_databases! {
    readiness_needs_the_token_orders_accepts_and_a_wrong_one_is_counted => readiness_needs_token;
}

/// An orders service that requires [`ORDERS_TOKEN`]; its `http://` URL.
async fn orders_requiring_a_token(db: &TestDatabase, shutdown: &CancellationToken) -> String {
    let orders = Orders::build(
        OrdersConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..OrdersConfig::default()
        },
        ServerSecurity {
            token: GrpcToken::new(ORDERS_TOKEN),
            ..ServerSecurity::default()
        },
        Upstream {
            urls: GrpcUrls::parse(&closed_port_url()).unwrap(),
            security: ClientSecurity::default(),
            in_process: None,
        },
        db.db.clone(),
    )
    .await
    .expect("bind orders");
    let url = format!("http://{}", orders.local_addr());
    tokio::spawn(orders.run(shutdown.child_token()));
    url
}

/// A facade calling `orders_url` with `token`; its base URL.
fn facade(orders_url: &str, token: Option<&str>, shutdown: &CancellationToken) -> String {
    let facade = Facade::build(
        FacadeConfig {
            http_addr: "127.0.0.1:0".parse().unwrap(),
            webhook_key: Some(KEY.to_owned()),
            ..FacadeConfig::default()
        },
        Upstream {
            urls: GrpcUrls::parse(orders_url).unwrap(),
            security: ClientSecurity {
                token: token.map(GrpcToken::new).unwrap_or_default(),
                ..ClientSecurity::default()
            },
            in_process: None,
        },
    )
    .expect("build the facade");
    let base_url = format!("http://{}", facade.local_addr());
    tokio::spawn(facade.run(shutdown.child_token()));
    base_url
}

/// `shop_grpc_client_refused_total{target="orders",code="UNAUTHENTICATED"}` on `/metrics`.
async fn refused(http: &reqwest::Client, base_url: &str) -> f64 {
    let text = http
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| {
            l.starts_with("shop_grpc_client_refused_total")
                && l.contains(r#"target="orders""#)
                && l.contains(r#"code="UNAUTHENTICATED""#)
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

async fn readiness_needs_token(backend: Backend) {
    let Some(db) = TestDatabase::create(backend).await else {
        return;
    };
    let shutdown = CancellationToken::new();
    let orders_url = orders_requiring_a_token(&db, &shutdown).await;
    let http = reqwest::Client::new();
    let webhook = |base_url: &str| {
        http.post(format!("{base_url}/api/webhooks/payment/"))
            .header("X-Webhook-Key", KEY)
            .json(&serde_json::json!({"order_id": uuid::Uuid::new_v4(), "status": "paid"}))
            .send()
    };

    for token in [Some("a-wrong-token"), None] {
        let base_url = facade(&orders_url, token, &shutdown);
        let before = refused(&http, &base_url).await;
        let ready = http.get(format!("{base_url}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "{token:?}");
        let response = webhook(&base_url).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{token:?}"
        );
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        assert!(
            refused(&http, &base_url).await >= before + 2.0,
            "the readiness check and the webhook were both refused and counted ({token:?})"
        );
    }

    let base_url = facade(&orders_url, Some(ORDERS_TOKEN), &shutdown);
    let ready = http.get(format!("{base_url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // The call got through to orders, which knows no such order: the contract's 404.
    assert_eq!(
        webhook(&base_url).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    shutdown.cancel();
}
