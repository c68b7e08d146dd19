//! Seeding products and orders awaiting payment, and reading the orders back, through the
//! services' own gRPC APIs (the generated clients of `shop-proto`).

use std::net::SocketAddr;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use shop_proto::{
    inventory::v1::{CreateProductRequest, inventory_service_client::InventoryServiceClient},
    orders::v1::{
        CreateOrderRequest, GetOrderRequest, OrderItem, OrderStatus,
        order_service_client::OrderServiceClient,
    },
};
use tonic::transport::Channel;

use crate::workload::{self, PRODUCT_STOCK, UNIT_PRICE_MINOR};

async fn channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect()
        .await?)
}

/// Creates `products` products with plenty of stock, then `orders` orders awaiting payment
/// (lines from [`workload::lines`]), `concurrency` calls at a time. Returns the order ids in
/// order-number order.
pub async fn seed(
    inventory: SocketAddr,
    orders: SocketAddr,
    products: u64,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    let inventory = InventoryServiceClient::new(channel(inventory).await?);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let product_ids: Vec<String> = futures::stream::iter(0..products)
        .map(|p| {
            let mut client = inventory.clone();
            let request = CreateProductRequest {
                sku: format!("BENCH-{}-{p}", &run[..8]),
                name: format!("Bench product {p}"),
                stock: PRODUCT_STOCK,
            };
            async move {
                let product = client.create_product(request).await?.into_inner();
                anyhow::Ok(product.id)
            }
        })
        .buffered(concurrency)
        .try_collect()
        .await
        .context("CreateProduct")?;

    let client = OrderServiceClient::new(channel(orders).await?);
    futures::stream::iter(0..count as u64)
        .map(|n| {
            let mut client = client.clone();
            let items = workload::lines(n, products)
                .iter()
                .map(|line| OrderItem {
                    product_id: product_ids[line.product as usize].clone(),
                    name: format!("Bench product {}", line.product),
                    quantity: line.quantity,
                    unit_price_minor: UNIT_PRICE_MINOR,
                    line_total_minor: 0,
                    tax_rate_bp: 0,
                })
                .collect();
            let request = CreateOrderRequest {
                customer_email: format!("customer{n}@bench.example"),
                customer_name: format!("Customer {n}"),
                currency: "EUR".to_owned(),
                items,
                request_id: String::new(),
                customer_address: String::new(),
            };
            async move {
                let order = client.create_order(request).await?.into_inner();
                anyhow::Ok(order.id)
            }
        })
        .buffered(concurrency)
        .try_collect()
        .await
        .context("CreateOrder")
}

/// How many of `order_ids` are CONFIRMED, read back with GetOrder.
pub async fn count_confirmed(
    orders: SocketAddr,
    order_ids: &[String],
    concurrency: usize,
) -> anyhow::Result<usize> {
    let client = OrderServiceClient::new(channel(orders).await?);
    let statuses: Vec<OrderStatus> = futures::stream::iter(order_ids)
        .map(|id| {
            let mut client = client.clone();
            let request = GetOrderRequest { id: id.clone() };
            async move { anyhow::Ok(client.get_order(request).await?.into_inner().status()) }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await
        .context("GetOrder")?;
    Ok(statuses
        .into_iter()
        .filter(|s| *s == OrderStatus::Confirmed)
        .count())
}
