//! compose.yaml + compose.tls.yaml, run as written: every shop service's command and
//! environment, its replicas as separate processes, its healthcheck; then orders paid through
//! both facades, as the payment provider would.

use std::{collections::BTreeMap, path::Path, time::Duration};

use sea_orm::{ConnectionTrait, Database};
use shop_proto::{inventory::v1 as inv, orders::v1 as ord};
use shop_testkit::SmtpSink;
use tonic::Code;

use crate::{
    client::{self, Credentials},
    compose::{self, SHOP_SERVICES, Service},
    interpolate::Vars,
    network::Network,
    pki,
    stack::Stack,
};

const ORDERS: usize = 4;

pub async fn run() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (the deployment runs on PostgreSQL)");
        return;
    };
    let services = compose::load(&["compose.yaml", "compose.tls.yaml"], &Vars::new());
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await.unwrap();
    let network = network(&services, &admin_url, &sink, dir.path()).await;
    let stack = Stack::up(&network, &services, dir.path()).await;

    // The test calls inventory as orders does, and orders as the facade does.
    let (orders_env, facade_env) = (
        &stack.replica("orders", 0).env,
        &stack.replica("facade", 0).env,
    );
    let as_facade = Credentials::of(facade_env);
    let inventory = Credentials::of(orders_env).inventory(&orders_env["SHOP_INVENTORY_URL"]);
    let orders = as_facade.orders(&facade_env["SHOP_ORDERS_URL"]);

    let ids = create_orders(inventory, orders.clone()).await;
    pay_through_both_facades(&stack, &ids).await;
    for id in &ids {
        let request = ord::GetOrderRequest { id: id.clone() };
        let order = orders
            .clone()
            .get_order(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(order.status(), ord::OrderStatus::Confirmed, "{id}");
    }
    one_invoice_per_order(&sink, &ids).await;
    refuses_calls_without_token_or_client_certificate(
        &as_facade,
        &facade_env["SHOP_ORDERS_URL"],
        &ids[0],
    )
    .await;
    healthchecks_pass_and_fail_where_nothing_listens(&stack, &network, &services);
}

/// Each order through one facade, then again through the other: every answer 200.
async fn pay_through_both_facades(stack: &Stack, ids: &[String]) {
    for (i, id) in ids.iter().enumerate() {
        for n in [i % 2, (i + 1) % 2] {
            let facade = &stack.replica("facade", n).env;
            let key = facade["SHOP_WEBHOOK_KEY"].split(',').next().unwrap();
            let status = client::pay(&facade["SHOP_HTTP_ADDR"], key, id).await;
            assert_eq!(
                status,
                200,
                "webhook for {id} through facade-{n}:\n{}",
                stack.logs()
            );
        }
    }
}

/// Every replica's healthcheck passes; aimed at a port where nothing listens, it fails.
fn healthchecks_pass_and_fail_where_nothing_listens(
    stack: &Stack,
    network: &Network,
    services: &BTreeMap<String, Service>,
) {
    for replica in stack.replicas() {
        replica.check_health().unwrap();
    }
    for name in ["inventory", "worker"] {
        let argv = services[name].healthcheck.as_ref().unwrap();
        let nowhere: Vec<String> = argv
            .iter()
            .map(|arg| network.rewrite(name, 99, arg))
            .collect();
        let failed = stack.replica(name, 0).exec(&nowhere);
        assert!(failed.is_err(), "{nowhere:?} passed");
    }
}

/// Replicas, database, SMTP sink and the TLS files in `dir`, mounted where compose mounts them.
async fn network(
    services: &BTreeMap<String, Service>,
    admin_url: &str,
    sink: &SmtpSink,
    dir: &Path,
) -> Network {
    // The facade publishes one host port, so compose runs one; it is scaled by publishing a
    // range (deploy/README.md, "Scaling in Compose"). Two here, like every other component.
    let replicas = SHOP_SERVICES[1..]
        .iter()
        .map(|name| match *name {
            "facade" => (name.to_string(), 2),
            _ => (name.to_string(), services[*name].replicas),
        })
        .collect();
    let mut network = Network::new(
        replicas,
        fresh_database(admin_url).await,
        sink.addr().to_string(),
    );
    let tls = dir.join("tls");
    std::fs::create_dir(&tls).unwrap();
    pki::write_tls_files(&tls);
    for volume in SHOP_SERVICES
        .iter()
        .flat_map(|name| &services[*name].volumes)
    {
        let parts: Vec<&str> = volume.split(':').collect();
        assert_eq!(parts.get(2), Some(&"ro"), "{volume}: mounted read-only");
        let mount = (parts[1].to_owned(), tls.clone());
        if !network.mounts.contains(&mount) {
            network.mounts.push(mount);
        }
    }
    assert!(
        !network.mounts.is_empty(),
        "compose.tls.yaml mounts the TLS files"
    );
    network
}

/// A new, empty database on TEST_DATABASE_URL's server (`shop migrate` makes the schema).
async fn fresh_database(admin_url: &str) -> String {
    let admin = Database::connect(admin_url).await.unwrap();
    let name = format!("shop_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.ok();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

async fn create_orders(
    mut inventory: client::Inventory,
    mut orders: client::Orders,
) -> Vec<String> {
    let product = inventory
        .create_product(inv::CreateProductRequest {
            sku: "DEPLOY-MUG".into(),
            name: "Deployed mug".into(),
            stock: 10,
        })
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    for n in 0..ORDERS {
        let order = orders
            .create_order(ord::CreateOrderRequest {
                customer_email: format!("deploy{n}@example.com"),
                customer_name: format!("Deploy {n}"),
                currency: "EUR".into(),
                items: vec![ord::OrderItem {
                    product_id: product.id.clone(),
                    name: "Deployed mug".into(),
                    quantity: 1,
                    unit_price_minor: 900,
                    line_total_minor: 0,
                    tax_rate_bp: 0,
                }],
                request_id: String::new(),
                customer_address: String::new(),
            })
            .await
            .unwrap();
        ids.push(order.into_inner().id);
    }
    ids
}

/// Exactly one mail per order, by Message-ID (a moment's wait lets a duplicate show).
async fn one_invoice_per_order(sink: &SmtpSink, ids: &[String]) {
    sink.wait_for(ids.len(), Duration::from_secs(20))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut message_ids: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m.parse().and_then(|p| p.message_id).unwrap_or_default())
        .collect();
    message_ids.sort();
    let mut expected: Vec<String> = ids
        .iter()
        .map(|id| format!("invoice-{id}@shop.invoices"))
        .collect();
    expected.sort();
    assert_eq!(message_ids, expected);
}

async fn refuses_calls_without_token_or_client_certificate(
    with: &Credentials,
    urls: &str,
    id: &str,
) {
    // One replica, so a refused connection fails the call instead of waiting for another.
    let url = urls.split(',').next().unwrap();
    let get = |credentials: Credentials| async move {
        let mut orders = credentials.orders(url);
        let call = orders.get_order(ord::GetOrderRequest { id: id.to_owned() });
        tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("an answer")
    };
    let no_token = Credentials {
        token: None,
        ..with.clone()
    };
    assert_eq!(
        get(no_token).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let no_certificate = Credentials {
        identity: None,
        ..with.clone()
    };
    // The handshake fails, or (TLS 1.3) the server closes the connection right after it: no
    // answer from the service itself.
    let refused = get(no_certificate)
        .await
        .expect_err("a call without a client certificate");
    assert!(
        matches!(
            refused.code(),
            Code::Unavailable | Code::Cancelled | Code::Unknown
        ),
        "{refused:?}"
    );
}
