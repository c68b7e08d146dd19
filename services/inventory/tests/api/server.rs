use shop_testkit::{db::Backend, test_on_both_databases};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::{v1, v1alpha};

use crate::helpers::spawn_app;

test_on_both_databases! {
    the_health_service_reports_the_inventory_service_serving => health;
    reflection_lists_the_inventory_service_in_v1_and_v1alpha => reflection;
}

async fn channel(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn health(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut health = HealthClient::new(channel(app.addr).await);
    for service in ["", "shop.inventory.v1.InventoryService"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            response.status(),
            ServingStatus::Serving,
            "service {service:?}"
        );
    }
}

async fn reflection(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel(app.addr).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("unexpected reflection answer: {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"shop.inventory.v1.InventoryService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );

    let mut client =
        v1::server_reflection_client::ServerReflectionClient::new(channel(app.addr).await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                "shop.inventory.v1.InventoryService".into(),
            ),
        ),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    assert!(
        matches!(
            response.message_response,
            Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()
        ),
        "v1 reflection describes the service: {response:?}"
    );
}
