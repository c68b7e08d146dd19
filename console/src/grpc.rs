//! The console's clients of the inventory and orders services: lazily connected channels
//! shared by every request, each call with the configured deadline and the service token.

use std::time::Duration;

use shop_common::grpc::{ClientError, ClientInterceptor, GrpcChannel, Upstream};
use shop_proto::{
    inventory::v1::inventory_service_client::InventoryServiceClient,
    orders::v1::order_service_client::OrderServiceClient,
};
use tonic::codegen::InterceptedService;

type Intercepted = InterceptedService<GrpcChannel, ClientInterceptor>;

/// The services behind the console.
#[derive(Debug, Clone)]
pub struct Backends {
    /// `shop.inventory.v1.InventoryService`.
    pub inventory: InventoryServiceClient<Intercepted>,
    /// `shop.orders.v1.OrderService`.
    pub orders: OrderServiceClient<Intercepted>,
}

impl Backends {
    /// Clients of `inventory` and `orders`; nothing is contacted yet (the console starts,
    /// and shows "unavailable", while they are down). Must be called inside a Tokio runtime.
    pub fn connect_lazy(
        inventory: &Upstream,
        orders: &Upstream,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            inventory: InventoryServiceClient::new(inventory.connect_lazy(timeout)?),
            orders: OrderServiceClient::new(orders.connect_lazy(timeout)?),
        })
    }
}
