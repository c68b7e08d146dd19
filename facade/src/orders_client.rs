//! The facade's client of the orders service: one lazily connected channel, shared by every
//! request, with a deadline on each call.

use std::time::Duration;

use shop_proto::orders::v1::{
    self as pb, order_service_client::OrderServiceClient, order_service_server::SERVICE_NAME,
};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use uuid::Uuid;

use crate::webhook_body::PaymentReport;

/// Why an orders URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("expected an http:// URL such as http://127.0.0.1:50051")]
pub struct InvalidOrdersUrl;

/// Calls `shop.orders.v1.OrderService` and its standard health service.
#[derive(Debug, Clone)]
pub struct OrdersClient {
    orders: OrderServiceClient<Channel>,
    health: HealthClient<Channel>,
    timeout: Duration,
}

impl OrdersClient {
    /// A client of the orders service at `url`. It does not connect yet: the facade starts
    /// (and answers 503) while the orders service is down, and the channel (re)connects on
    /// the first call after it comes up. `timeout` bounds connecting and each call.
    ///
    /// Must be called inside a Tokio runtime (the channel spawns its worker task).
    pub fn connect_lazy(url: &str, timeout: Duration) -> Result<Self, InvalidOrdersUrl> {
        let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|_| InvalidOrdersUrl)?;
        // No TLS stack is compiled in, and a URL without a scheme would only fail later.
        if endpoint.uri().scheme_str() != Some("http") || endpoint.uri().host().is_none() {
            return Err(InvalidOrdersUrl);
        }
        let channel = endpoint
            .connect_timeout(timeout)
            .timeout(timeout)
            .connect_lazy();
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
    async fn only_http_urls_with_a_host_are_accepted() {
        let timeout = Duration::from_secs(1);
        assert!(OrdersClient::connect_lazy("http://127.0.0.1:50051", timeout).is_ok());
        assert!(OrdersClient::connect_lazy("http://orders.internal", timeout).is_ok());
        for bad in ["127.0.0.1:50051", "https://orders:443", "not a url", ""] {
            assert!(
                OrdersClient::connect_lazy(bad, timeout).is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[tokio::test]
    async fn an_unreachable_service_is_an_error_not_a_hang() {
        let client = OrdersClient::connect_lazy("http://127.0.0.1:1", Duration::from_secs(2))
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
