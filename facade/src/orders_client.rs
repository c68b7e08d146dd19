//! The facade's client of the orders service: one lazily connected channel, shared by every
//! request, with a deadline on each call.

use std::time::Duration;

use shop_common::grpc::{ClientError, ClientInterceptor, GrpcChannel, Upstream};
use shop_proto::orders::v1::{
    self as pb, order_service_client::OrderServiceClient, order_service_server::SERVICE_NAME,
};
use tonic::codegen::InterceptedService;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use uuid::Uuid;

use crate::notification::PaymentReport;

type Intercepted = InterceptedService<GrpcChannel, ClientInterceptor>;

/// Calls `shop.orders.v1.OrderService` and its standard health service.
#[derive(Debug, Clone)]
pub struct OrdersClient {
    orders: OrderServiceClient<Intercepted>,
    health: HealthClient<Intercepted>,
    timeout: Duration,
}

impl OrdersClient {
    /// A client of the orders service at `orders` (several replicas are balanced across).
    /// It does not connect yet: the facade starts (and answers 503) while the orders service
    /// is down, and the channel (re)connects on the first call after it comes up. `timeout`
    /// bounds each call. Calls carry the token and the current trace context; `https://`
    /// URLs use the TLS settings, whose files are read now.
    ///
    /// Must be called inside a Tokio runtime (the channel spawns its worker task).
    pub fn connect_lazy(orders: &Upstream, timeout: Duration) -> Result<Self, ClientError> {
        let channel = orders.connect_lazy(timeout)?;
        Ok(Self {
            orders: OrderServiceClient::new(channel.clone()),
            health: HealthClient::new(channel),
            timeout,
        })
    }

    /// `OrderService.RecordPayment`: what recording the payment did, or the gRPC error.
    pub async fn record_payment(
        &self,
        order_id: Uuid,
        report: PaymentReport,
    ) -> Result<pb::PaymentOutcome, tonic::Status> {
        let request = self.request(pb::RecordPaymentRequest {
            order_id: order_id.to_string(),
            status: pb::PaymentStatus::from(report).into(),
        });
        let response = self
            .orders
            .clone()
            .record_payment(request)
            .await
            .inspect_err(|status| {
                shop_common::grpc::report_refused_credentials(status, "orders")
            })?;
        // An outcome number this build does not know is reported as UNSPECIFIED.
        Ok(response.into_inner().outcome())
    }

    /// Whether the orders service reports itself SERVING on the standard health check and
    /// accepts this facade's credentials. The health service is open to anyone (probes send
    /// no token), so an authenticated call follows it: `GetOrder` of the nil id, whose
    /// NOT_FOUND is the answer of a server that let the call in. A wrong token or a refused
    /// client certificate keeps the facade out of service instead of failing every webhook.
    pub async fn is_serving(&self) -> Result<bool, tonic::Status> {
        let request = self.request(HealthCheckRequest {
            service: SERVICE_NAME.to_owned(),
        });
        let response = self.health.clone().check(request).await?;
        if response.into_inner().status() != ServingStatus::Serving {
            return Ok(false);
        }
        let request = self.request(pb::GetOrderRequest {
            id: Uuid::nil().to_string(),
        });
        match self.orders.clone().get_order(request).await {
            Ok(_) => Ok(true),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(true),
            Err(status) => {
                shop_common::grpc::report_refused_credentials(&status, "orders");
                Err(status)
            }
        }
    }

    /// A request carrying the deadline as `grpc-timeout`, so the server can give up too.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }
}

#[cfg(test)]
mod tests {
    use shop_common::{config::GrpcUrls, grpc::ClientSecurity};

    use super::*;

    fn upstream(urls: &str) -> Upstream {
        Upstream {
            urls: GrpcUrls::parse(urls).expect("a valid URL"),
            security: ClientSecurity::default(),
            in_process: None,
        }
    }

    #[tokio::test]
    async fn client_tls_settings_without_an_https_url_are_refused_naming_them() {
        let mut orders = upstream("http://127.0.0.1:50051");
        orders.security.tls.ca = Some("/etc/shop/tls/ca.crt".into());
        let error = OrdersClient::connect_lazy(&orders, Duration::from_secs(1))
            .expect_err("TLS settings that would be ignored")
            .to_string();
        assert!(error.contains("SHOP_GRPC_TLS_CA"), "{error}");
    }

    #[tokio::test]
    async fn an_unreadable_ca_file_is_refused_at_start_naming_its_variable() {
        let mut orders = upstream("https://orders:50051");
        orders.security.tls.ca = Some("/nonexistent/ca.crt".into());
        let error = OrdersClient::connect_lazy(&orders, Duration::from_secs(1))
            .expect_err("no such file")
            .to_string();
        assert!(
            error.contains("SHOP_GRPC_TLS_CA /nonexistent/ca.crt"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_service_is_an_error_not_a_hang() {
        let client =
            OrdersClient::connect_lazy(&upstream("http://127.0.0.1:1"), Duration::from_secs(2))
                .expect("a valid URL");
        let started = std::time::Instant::now();
        let error = client
            .record_payment(Uuid::new_v4(), PaymentReport::Paid)
            .await
            .expect_err("nothing listens on port 1");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(client.is_serving().await.is_err(), "{error:?}");
    }
}
