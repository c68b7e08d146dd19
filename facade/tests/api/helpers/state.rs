//! Arranging and checking state through the services' own gRPC APIs.

use shop_proto::{inventory::v1 as inv, orders::v1 as pb};

use super::TestApp;

impl TestApp {
    /// A product with `stock` units on hand.
    pub async fn create_product(&self, stock: i32) -> inv::Product {
        let sku = format!("SKU-{}", uuid::Uuid::new_v4().simple());
        self.inventory
            .clone()
            .create_product(inv::CreateProductRequest {
                sku,
                name: "Blue mug".into(),
                stock,
            })
            .await
            .expect("create product")
            .into_inner()
    }

    pub async fn product(&self, id: &str) -> inv::Product {
        self.inventory
            .clone()
            .get_product(inv::GetProductRequest { id: id.into() })
            .await
            .expect("get product")
            .into_inner()
    }

    /// (stock, stock_reserved) of a product, read back through inventory.
    pub async fn stock(&self, id: &str) -> (i32, i32) {
        let product = self.product(id).await;
        (product.stock, product.stock_reserved)
    }

    pub async fn adjust_stock(&self, product_id: &str, delta: i32) {
        self.inventory
            .clone()
            .adjust_stock(inv::AdjustStockRequest {
                product_id: product_id.into(),
                delta,
                reason: "stock count".into(),
                ..Default::default()
            })
            .await
            .expect("adjust stock");
    }

    /// An order (AWAITING_PAYMENT) of `quantity` units of `product_id`.
    pub async fn create_order(&self, product_id: &str, quantity: i32) -> pb::Order {
        self.orders
            .clone()
            .create_order(pb::CreateOrderRequest {
                customer_email: "ada@example.com".into(),
                customer_name: "Ada Lovelace".into(),
                currency: "EUR".into(),
                items: vec![pb::OrderItem {
                    product_id: product_id.into(),
                    name: "Blue mug".into(),
                    quantity,
                    unit_price_minor: 1250,
                    line_total_minor: 0,
                    tax_rate_bp: 0,
                }],
                request_id: String::new(),
                customer_address: String::new(),
            })
            .await
            .expect("create order")
            .into_inner()
    }

    /// A product with `stock` units and an order of `quantity` of them: (product id, order id).
    pub async fn product_and_order(&self, stock: i32, quantity: i32) -> (String, String) {
        let product = self.create_product(stock).await;
        let order = self.create_order(&product.id, quantity).await;
        (product.id, order.id)
    }

    pub async fn order(&self, id: &str) -> pb::Order {
        self.orders
            .clone()
            .get_order(pb::GetOrderRequest { id: id.into() })
            .await
            .expect("get order")
            .into_inner()
    }

    pub async fn order_status(&self, id: &str) -> pb::OrderStatus {
        self.order(id).await.status()
    }

    /// Cancels an order awaiting payment (its stock goes back).
    pub async fn cancel_order(&self, id: &str) {
        self.orders
            .clone()
            .cancel_order(pb::CancelOrderRequest {
                id: id.into(),
                reason: "customer changed their mind".into(),
            })
            .await
            .expect("cancel order");
    }

    /// The outcomes of the payment events recorded for an order, oldest first.
    pub async fn payment_outcomes(&self, order_id: &str) -> Vec<pb::PaymentOutcome> {
        self.orders
            .clone()
            .list_payment_events(pb::ListPaymentEventsRequest {
                order_id: order_id.into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list payment events")
            .into_inner()
            .events
            .iter()
            .map(pb::PaymentEvent::outcome)
            .collect()
    }

    /// The payment events flagged for refund, as operators list them.
    pub async fn refund_events(&self) -> Vec<pb::PaymentEvent> {
        self.orders
            .clone()
            .list_payment_events(pb::ListPaymentEventsRequest {
                outcome: pb::PaymentOutcome::RefundRequired.into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list payment events")
            .into_inner()
            .events
    }
}
