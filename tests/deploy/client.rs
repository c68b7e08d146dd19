//! The test's own clients: gRPC with the credentials a replica's environment gives its
//! clients (token, CA, client certificate), and the payment provider's webhook.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use shop_proto::{
    inventory::v1::inventory_service_client::InventoryServiceClient,
    orders::v1::order_service_client::OrderServiceClient,
};
use tonic::{
    Request, Status,
    codegen::InterceptedService,
    metadata::{AsciiMetadataValue, MetadataValue},
    service::Interceptor,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};

/// What a gRPC client presents.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Option<String>,
    pub ca: Option<PathBuf>,
    pub identity: Option<(PathBuf, PathBuf)>,
}

pub type Inventory = InventoryServiceClient<InterceptedService<Channel, Bearer>>;
pub type Orders = OrderServiceClient<InterceptedService<Channel, Bearer>>;

impl Credentials {
    /// Those a component's environment gives its clients.
    pub fn of(env: &BTreeMap<String, String>) -> Self {
        let path = |name: &str| env.get(name).map(PathBuf::from);
        Self {
            token: env.get("SHOP_GRPC_TOKEN").cloned(),
            ca: path("SHOP_GRPC_TLS_CA"),
            identity: path("SHOP_GRPC_TLS_CLIENT_CERT").zip(path("SHOP_GRPC_TLS_CLIENT_KEY")),
        }
    }

    /// A channel balanced across `urls` (comma-separated).
    pub fn channel(&self, urls: &str) -> Channel {
        let endpoints: Vec<Endpoint> = urls.split(',').map(|url| self.endpoint(url)).collect();
        Channel::balance_list(endpoints.into_iter())
    }

    fn endpoint(&self, url: &str) -> Endpoint {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .unwrap()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10));
        if !url.starts_with("https://") {
            return endpoint;
        }
        let read = |path: &PathBuf| std::fs::read(path).unwrap();
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &self.ca {
            tls = tls.ca_certificate(Certificate::from_pem(read(ca)));
        }
        if let Some((cert, key)) = &self.identity {
            tls = tls.identity(Identity::from_pem(read(cert), read(key)));
        }
        endpoint.tls_config(tls).unwrap()
    }

    fn bearer(&self) -> Bearer {
        Bearer(
            self.token
                .as_ref()
                .map(|t| MetadataValue::try_from(format!("Bearer {t}")).unwrap()),
        )
    }

    pub fn inventory(&self, urls: &str) -> Inventory {
        InventoryServiceClient::with_interceptor(self.channel(urls), self.bearer())
    }

    pub fn orders(&self, urls: &str) -> Orders {
        OrderServiceClient::with_interceptor(self.channel(urls), self.bearer())
    }
}

/// Sends `authorization: Bearer <token>` when there is a token.
#[derive(Clone)]
pub struct Bearer(Option<AsciiMetadataValue>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// `POST /api/webhooks/payment/` on the facade at `http_addr`: the answer's status.
pub async fn pay(http_addr: &str, key: &str, order_id: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://{http_addr}/api/webhooks/payment/"))
        .header("X-Webhook-Key", key)
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"order_id": "{order_id}", "status": "paid"}}"#))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .map_or(0, |answer| answer.status().as_u16())
}
