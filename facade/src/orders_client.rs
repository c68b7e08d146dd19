//! The facade's client of the orders service: one lazily connected channel, shared by every
//! request, with a deadline on each call.

use std::time::Duration;

use shop_common::grpc::{ClientInterceptor, GrpcSecurity};
use shop_proto::orders::v1::{
    self as pb, order_service_client::OrderServiceClient, order_service_server::SERVICE_NAME,
};
use tonic::{codegen::InterceptedService, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use uuid::Uuid;

use crate::webhook_body::PaymentReport;

/// Why an orders URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "expected http:// or https:// URLs such as http://127.0.0.1:50051 (comma-separated for replicas): {0}"
)]
pub struct InvalidOrdersUrl(String);

type Intercepted = InterceptedService<Channel, ClientInterceptor>;

/// Calls `shop.orders.v1.OrderService` and its standard health service.
#[derive(Debug, Clone)]
pub struct OrdersClient {
    orders: OrderServiceClient<Intercepted>,
    health: HealthClient<Intercepted>,
    timeout: Duration,
}

impl OrdersClient {
    /// A client of the orders service at `urls` (comma-separated replicas are balanced
    /// across). It does not connect yet: the facade starts (and answers 503) while the
    /// orders service is down, and the channel (re)connects on the first call after it comes
    /// up. `timeout` bounds each call. Calls carry `security`'s token and the current trace
    /// context; `https://` URLs use its TLS settings.
    ///
    /// Must be called inside a Tokio runtime (the channel spawns its worker task).
    pub fn connect_lazy(
        urls: &str,
        timeout: Duration,
        security: &GrpcSecurity,
    ) -> Result<Self, InvalidOrdersUrl> {
        shop_common::config::parse_grpc_url(urls).map_err(InvalidOrdersUrl)?;
        let channel = shop_common::grpc::connect_lazy(urls, timeout, security)
            .map_err(|e| InvalidOrdersUrl(e.to_string()))?;
        let interceptor = ClientInterceptor::new(security);
        Ok(Self {
            orders: OrderServiceClient::with_interceptor(channel.clone(), interceptor.clone()),
            health: HealthClient::with_interceptor(channel, interceptor),
            timeout,
        })
    }

    /// `OrderService.RecordPayment`: what recording the payment did, or the gRPC error.
    pub async fn record_payment(
        &self,
        order_id: Uuid,
        report: PaymentReport,
    ) -> Result<pb::PaymentOutcome, tonic::Status> {
        let status = match report {
            PaymentReport::Paid => pb::PaymentStatus::Paid,
            PaymentReport::Failed => pb::PaymentStatus::Failed,
        };
        let request = self.request(pb::RecordPaymentRequest {
            order_id: order_id.to_string(),
            status: status.into(),
        });
        let response = self.orders.clone().record_payment(request).await?;
        // An outcome number this build does not know is reported as UNSPECIFIED.
        Ok(response.into_inner().outcome())
    }

    /// Whether the orders service reports itself SERVING on the standard health check.
    pub async fn is_serving(&self) -> Result<bool, tonic::Status> {
        let request = self.request(HealthCheckRequest {
            service: SERVICE_NAME.to_owned(),
        });
        let response = self.health.clone().check(request).await?;
        Ok(response.into_inner().status() == ServingStatus::Serving)
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
    use super::*;

    #[tokio::test]
    async fn only_http_and_https_urls_with_a_host_are_accepted() {
        let timeout = Duration::from_secs(1);
        let plain = GrpcSecurity::default();
        for good in [
            "http://127.0.0.1:50051",
            "http://orders.internal",
            "https://orders:443",
            "http://a:1,http://b:2",
        ] {
            assert!(
                OrdersClient::connect_lazy(good, timeout, &plain).is_ok(),
                "{good:?} was refused"
            );
        }
        for bad in ["127.0.0.1:50051", "ftp://orders", "not a url", ""] {
            assert!(
                OrdersClient::connect_lazy(bad, timeout, &plain).is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[tokio::test]
    async fn an_unreachable_service_is_an_error_not_a_hang() {
        let client = OrdersClient::connect_lazy(
            "http://127.0.0.1:1",
            Duration::from_secs(2),
            &GrpcSecurity::default(),
        )
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
