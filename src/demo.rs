//! The embedded demo of `shop serve`: a generated webhook key, a small catalogue and one
//! order awaiting payment, and the curl command that pays it.

use std::net::SocketAddr;

use anyhow::Context;
use shop_common::{
    config::GrpcUrls,
    grpc::{ClientInterceptor, ClientSecurity},
};
use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as ord, order_service_client::OrderServiceClient},
};
use tonic::{codegen::InterceptedService, transport::Channel};

/// The demo customer; the demo order is found again by this address.
const DEMO_EMAIL: &str = "demo@shop.localhost";

/// A random webhook key for this run.
pub fn generate_key() -> String {
    format!("demo-{}", uuid::Uuid::new_v4().simple())
}

/// Where the demo finds the running components.
pub struct Demo {
    pub inventory: SocketAddr,
    pub orders: SocketAddr,
    pub http: SocketAddr,
    /// The key generated for this run, if the user set none.
    pub generated_key: Option<String>,
    /// How to call the gRPC services: token and TLS.
    pub security: ClientSecurity,
    /// Whether the gRPC services speak TLS.
    pub tls: bool,
    /// Whether webhooks must be signed (SHOP_WEBHOOK_SIGNING_SECRETS).
    pub signed: bool,
}

impl Demo {
    /// Seeds the demo data into an empty database (idempotently), then prints how to pay the
    /// demo order.
    pub async fn seed_and_announce(self) -> anyhow::Result<()> {
        let interceptor = ClientInterceptor::new(&self.security.token);
        let mut inventory = InventoryServiceClient::with_interceptor(
            self.channel(self.inventory)?,
            interceptor.clone(),
        );
        let mut orders =
            OrderServiceClient::with_interceptor(self.channel(self.orders)?, interceptor);
        let empty = inventory
            .list_products(inv::ListProductsRequest {
                page_size: 1,
                page_token: String::new(),
            })
            .await?
            .into_inner()
            .products
            .is_empty();
        if empty {
            seed(&mut inventory, &mut orders).await?;
        }
        let awaiting = orders
            .list_orders(ord::ListOrdersRequest {
                status: ord::OrderStatus::AwaitingPayment.into(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await?
            .into_inner()
            .orders;
        let demo_order = awaiting
            .into_iter()
            .find(|o| o.customer_email == DEMO_EMAIL);
        println!("{}", self.announcement(demo_order.as_ref()));
        Ok(())
    }

    fn channel(&self, addr: SocketAddr) -> anyhow::Result<Channel> {
        Ok(shop_common::grpc::connect_lazy(
            &GrpcUrls::local(addr, self.tls),
            std::time::Duration::from_secs(10),
            &self.security,
        )?)
    }

    fn announcement(&self, order: Option<&ord::Order>) -> String {
        let url = format!("http://{}/api/webhooks/payment/", self.http);
        let (key, key_note) = match &self.generated_key {
            Some(key) => (
                key.clone(),
                "generated for this run; set SHOP_WEBHOOK_KEY to choose one",
            ),
            None => ("$SHOP_WEBHOOK_KEY".to_owned(), "from SHOP_WEBHOOK_KEY"),
        };
        let mut text = format!(
            "\nshop is running on the embedded database.\n  \
             payment webhook: POST {url}\n  \
             X-Webhook-Key:   {key}  ({key_note})\n  \
             inventory gRPC:  {}   orders gRPC: {}\n",
            self.inventory, self.orders
        );
        match order {
            Some(order) => text.push_str(&format!(
                "\nPay the demo order {id} ({total} minor units {currency}):\n\n  \
                 curl -i -X POST {url} -H 'X-Webhook-Key: {key}' -H 'Content-Type: application/json' \
                 -d '{{\"order_id\": \"{id}\", \"status\": \"paid\"}}'\n\n\
                 The invoice mail then appears under SHOP_MAIL_DIR (default data/mail/).\n{signing}",
                id = order.id,
                total = order.total_minor,
                currency = order.currency,
                signing = if self.signed {
                    "Webhooks must also be signed (SHOP_WEBHOOK_SIGNING_SECRETS): add an \
                     X-Webhook-Signature header, see the README.\n"
                } else {
                    ""
                },
            )),
            None => text.push_str(
                "\nThe demo order is no longer awaiting payment; create another with \
                 shop.orders.v1.OrderService/CreateOrder (see the README).\n",
            ),
        }
        text
    }
}

type Intercepted = InterceptedService<Channel, ClientInterceptor>;

async fn seed(
    inventory: &mut InventoryServiceClient<Intercepted>,
    orders: &mut OrderServiceClient<Intercepted>,
) -> anyhow::Result<()> {
    let catalogue = [
        ("DEMO-MUG", "Blue mug", 10),
        ("DEMO-TEA", "Earl Grey, 100 g", 25),
        ("DEMO-TOTE", "Tote bag", 5),
    ];
    let mut ids = Vec::new();
    for (sku, name, stock) in catalogue {
        let product = inventory
            .create_product(inv::CreateProductRequest {
                sku: sku.into(),
                name: name.into(),
                stock,
            })
            .await
            .with_context(|| format!("creating {sku}"))?
            .into_inner();
        ids.push((product.id, name));
    }
    // Gross prices with 19 % and 7 % VAT included, so the demo invoice shows both rates.
    let items = [(0, 2, 1250, 1900), (1, 1, 899, 700)]
        .into_iter()
        .map(
            |(i, quantity, unit_price_minor, tax_rate_bp)| ord::OrderItem {
                product_id: ids[i].0.clone(),
                name: ids[i].1.into(),
                quantity,
                unit_price_minor,
                line_total_minor: 0,
                tax_rate_bp,
            },
        )
        .collect();
    let order = orders
        .create_order(ord::CreateOrderRequest {
            customer_email: DEMO_EMAIL.into(),
            customer_name: "Demo Customer".into(),
            currency: "EUR".into(),
            items,
            request_id: "shop-demo-order".into(),
            customer_address: "1 Demo Lane; 12345 Demo Town".into(),
        })
        .await
        .context("creating the demo order")?
        .into_inner();
    tracing::info!(order_id = %order.id, "demo catalogue and order created");
    Ok(())
}
