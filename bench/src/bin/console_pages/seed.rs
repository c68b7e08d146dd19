//! The orders the pages are asked about, created through gRPC as a shop would.

use std::net::SocketAddr;

use futures::{StreamExt, stream};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as pb, order_service_client::OrderServiceClient},
};
use tonic::transport::Channel;

/// What the pages are asked about.
pub struct Sample {
    pub product: String,
    pub order: String,
    pub email: String,
    pub second_page: String,
}

/// 100 products, `count` orders by 1,000 customers, every third paid.
pub async fn seed(
    inventory: SocketAddr,
    orders: SocketAddr,
    count: usize,
) -> anyhow::Result<Sample> {
    let inventory = InventoryServiceClient::new(channel(inventory).await?);
    let orders = OrderServiceClient::new(channel(orders).await?);
    let mut products = Vec::new();
    for n in 0..100 {
        let product = inventory
            .clone()
            .create_product(inv::CreateProductRequest {
                sku: format!("SKU-{n}"),
                name: format!("Product {n}"),
                stock: 1_000_000,
            })
            .await?
            .into_inner();
        products.push(product.id);
    }
    let created: Vec<anyhow::Result<String>> = stream::iter(0..count)
        .map(|n| {
            let (mut orders, product) = (orders.clone(), products[n % products.len()].clone());
            async move {
                let order = orders
                    .create_order(pb::CreateOrderRequest {
                        customer_email: format!("customer{}@example.com", n % 1000),
                        customer_name: format!("Customer {}", n % 1000),
                        currency: "EUR".into(),
                        items: vec![pb::OrderItem {
                            product_id: product,
                            name: "Item".into(),
                            quantity: 1 + (n % 3) as i32,
                            unit_price_minor: 1250,
                            tax_rate_bp: 1900,
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                if n % 3 == 0 {
                    orders
                        .record_payment(pb::RecordPaymentRequest {
                            order_id: order.id.clone(),
                            status: pb::PaymentStatus::Paid.into(),
                        })
                        .await?;
                }
                Ok(order.id)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let ids = created.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let first_page = orders
        .clone()
        .list_orders(pb::ListOrdersRequest {
            page_size: 50,
            order_by: "created_at desc".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(Sample {
        product: products[1].clone(),
        order: ids[ids.len() / 2].clone(),
        email: "customer7%40example.com".into(),
        second_page: first_page.next_page_token,
    })
}

async fn channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}
