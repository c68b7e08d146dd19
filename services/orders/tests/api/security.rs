use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
use shop_common::grpc::{ClientSecurity, ClientTls, GrpcToken, ServerSecurity, ServerTls};
use shop_proto::orders::v1::{self as pb, order_service_client::OrderServiceClient};
use shop_testkit::db::Backend;
use tonic::{Code, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::helpers::{PAID, Settings, assert_code, order_request, spawn_system_with};

shop_testkit::test_on_both_databases! {
    with_a_token_calls_without_it_are_unauthenticated_and_health_stays_open => token_required;
    orders_reaches_inventory_over_mutual_tls_and_is_refused_without_a_client_certificate => mutual_tls;
}

async fn token_required(backend: Backend) {
    let token = GrpcToken::new("s3cret");
    let server = ServerSecurity {
        token: token.clone(),
        ..ServerSecurity::default()
    };
    let settings = Settings {
        inventory_security: server.clone(),
        orders_security: server,
        orders_client: ClientSecurity {
            token,
            ..ClientSecurity::default()
        },
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    // The system's clients send the token: everything works, orders included.
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 2)]).await;
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        pb::PaymentOutcome::Confirmed
    );

    // A client without it is refused, and health probes need none.
    let uri = sys.orders_url.clone();
    let channel = Channel::from_shared(uri).unwrap().connect().await.unwrap();
    let status = assert_code(
        OrderServiceClient::new(channel.clone())
            .get_order(pb::GetOrderRequest {
                id: order.id.clone(),
            })
            .await,
        Code::Unauthenticated,
    );
    assert!(status.message().contains("token"), "{status:?}");
    assert_code(
        OrderServiceClient::new(channel.clone())
            .create_order(order_request(&[(&mug, 1)]))
            .await,
        Code::Unauthenticated,
    );
    let health = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "shop.orders.v1.OrderService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);
    assert_eq!(
        sys.counters(&mug).await,
        (8, 0),
        "the refused calls changed nothing"
    );
}

/// A CA, a certificate for 127.0.0.1 (the inventory server) and one for the orders client.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let issue = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = issue(vec!["127.0.0.1".into(), "localhost".into()]);
    let (client_cert, client_key) = issue(vec!["orders.shop.internal".into()]);
    Pki {
        ca: write("ca.pem", ca.pem()),
        server: (
            write("server.pem", server_cert),
            write("server.key", server_key),
        ),
        client: (
            write("client.pem", client_cert),
            write("client.key", client_key),
        ),
        _dir: dir,
    }
}

async fn mutual_tls(backend: Backend) {
    let pki = pki();
    let server = ServerSecurity {
        tls: ServerTls {
            cert: Some(pki.server.0.clone()),
            key: Some(pki.server.1.clone()),
            client_ca: Some(pki.ca.clone()),
        },
        ..ServerSecurity::default()
    };
    let with_certificate = ClientSecurity {
        tls: ClientTls {
            ca: Some(pki.ca.clone()),
            client_cert: Some(pki.client.0.clone()),
            client_key: Some(pki.client.1.clone()),
        },
        ..ClientSecurity::default()
    };
    let settings = Settings {
        inventory_security: server.clone(),
        orders_client: with_certificate,
        ..Settings::default()
    };
    let Some(sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    // The test makes products through a second, plain inventory server over the database.
    let mut sys = sys;
    sys.view_inventory_directly().await;
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 2)]).await;
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        pb::PaymentOutcome::Confirmed
    );
    assert_eq!(sys.counters(&mug).await, (8, 0));

    // The same system, but orders has no client certificate: the TLS inventory refuses it.
    let without_certificate = ClientSecurity {
        tls: ClientTls {
            ca: Some(pki.ca.clone()),
            ..ClientTls::default()
        },
        ..ClientSecurity::default()
    };
    let settings = Settings {
        inventory_security: server,
        orders_client: without_certificate,
        ..Settings::default()
    };
    let Some(mut sys) = spawn_system_with(backend, settings).await else {
        return;
    };
    sys.view_inventory_directly().await;
    let mug = sys.create_product("MUG", 10).await;
    assert_code(sys.try_create_order(&[(&mug, 2)]).await, Code::Unavailable);
    assert_eq!(sys.counters(&mug).await, (10, 0));
}
