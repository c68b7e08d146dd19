//! The embedded demo of `shop serve`: a generated webhook key, a small catalogue, an order
//! awaiting payment on every run (a new one when the last was paid), and the curl command
//! that pays it, ready to paste.

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

/// The name of the one-off console operator on the embedded defaults.
pub const CONSOLE_OPERATOR: &str = "admin";

/// Where the demo finds the running components.
pub struct Demo {
    pub inventory: SocketAddr,
    pub orders: SocketAddr,
    pub http: SocketAddr,
    /// The key generated for this run, if the user set none.
    pub generated_key: Option<String>,
    /// Where the operator console listens, when it runs.
    pub console: Option<SocketAddr>,
    /// The one-off console password of [`CONSOLE_OPERATOR`], when no operators are set.
    pub console_password: Option<String>,
    /// How to call the gRPC services: token and TLS.
    pub security: ClientSecurity,
    /// Whether the gRPC services speak TLS.
    pub tls: bool,
    /// Whether webhooks must be signed (SHOP_WEBHOOK_SIGNING_SECRETS).
    pub signed: bool,
}

impl Demo {
    /// Seeds the demo catalogue if it is missing, finds the demo order awaiting payment or
    /// creates one (so every run has something to pay), then prints how to pay it.
    pub async fn seed_and_announce(self) -> anyhow::Result<()> {
        let interceptor = ClientInterceptor::new(&self.security.token);
        let mut inventory = InventoryServiceClient::with_interceptor(
            self.channel(self.inventory)?,
            interceptor.clone(),
        );
        let mut orders =
            OrderServiceClient::with_interceptor(self.channel(self.orders)?, interceptor);
        let order = match awaiting_demo_order(&mut orders).await? {
            Some(order) => order,
            None => create_demo_order(&mut inventory, &mut orders).await?,
        };
        println!("{}", self.announcement(&order));
        Ok(())
    }

    fn channel(&self, addr: SocketAddr) -> anyhow::Result<Channel> {
        Ok(shop_common::grpc::connect_lazy(
            &GrpcUrls::local(addr, self.tls),
            std::time::Duration::from_secs(10),
            &self.security,
        )?)
    }

    fn announcement(&self, order: &ord::Order) -> String {
        let url = format!("http://{}/api/webhooks/payment/", self.http);
        // A generated key is printed as it is; one from the environment never is, so the
        // command reads it from the shell (double quotes, so the shell expands it) and says
        // so plainly if it is not set there, instead of sending an empty key and getting 403.
        let (key, key_note, key_header) = match &self.generated_key {
            Some(key) => (
                key.clone(),
                "generated for this run; set SHOP_WEBHOOK_KEY to choose one",
                format!("'X-Webhook-Key: {key}'"),
            ),
            None => (
                "$SHOP_WEBHOOK_KEY".to_owned(),
                "from SHOP_WEBHOOK_KEY",
                "\"X-Webhook-Key: ${SHOP_WEBHOOK_KEY:?export SHOP_WEBHOOK_KEY=<the key shop runs with> first}\"".to_owned(),
            ),
        };
        format!(
            "\nshop is running on the embedded database.\n  \
             payment webhook: POST {url}\n  \
             X-Webhook-Key:   {key}  ({key_note})\n  \
             inventory gRPC:  {inventory}   orders gRPC: {orders}\n\
             \nPay the demo order {id} ({total} minor units {currency}):\n\n  \
             curl -i -X POST {url} -H {key_header} -H 'Content-Type: application/json' \
             -d '{{\"order_id\": \"{id}\", \"status\": \"paid\"}}'\n\n\
             The invoice mail then appears under SHOP_MAIL_DIR (default data/mail/); the next \
             run offers a new order.\n{signing}{console}",
            inventory = self.inventory,
            orders = self.orders,
            id = order.id,
            total = order.total_minor,
            currency = order.currency,
            console = self.console_line(),
            signing = if self.signed {
                "Webhooks must also be signed (SHOP_WEBHOOK_SIGNING_SECRETS): add an \
                 X-Webhook-Signature header, see the README.\n"
            } else {
                ""
            },
        )
    }
}

impl Demo {
    /// The console's address and, for a one-off operator, its password (printed once: it
    /// lives only as long as this run).
    fn console_line(&self) -> String {
        match (&self.console, &self.console_password) {
            (Some(addr), Some(password)) => format!(
                "\nOperator console: http://{addr}/  sign in as {CONSOLE_OPERATOR} with password \
                 {password}\n  (a one-off password for this run; set SHOP_CONSOLE_USERS for \
                 lasting accounts)\n"
            ),
            (Some(addr), None) => {
                format!("\nOperator console: http://{addr}/  (operators from SHOP_CONSOLE_USERS)\n")
            }
            (None, _) => String::new(),
        }
    }
}

type Intercepted = InterceptedService<Channel, ClientInterceptor>;

/// The demo products: SKU, name, stock on creation.
const CATALOGUE: [(&str, &str, i32); 3] = [
    ("DEMO-MUG", "Blue mug", 10),
    ("DEMO-TEA", "Earl Grey, 100 g", 25),
    ("DEMO-TOTE", "Tote bag", 5),
];

/// A demo order's lines: product (index in [`CATALOGUE`]), quantity, unit price in cents
/// (gross), tax rate in basis points: 19 % and 7 % VAT, so the demo invoice shows both rates.
const LINES: [(usize, i32, i64, i32); 2] = [(0, 2, 1250, 1900), (1, 1, 899, 700)];

/// The most recent demo order still awaiting payment, if any.
async fn awaiting_demo_order(
    orders: &mut OrderServiceClient<Intercepted>,
) -> anyhow::Result<Option<ord::Order>> {
    let mut page_token = String::new();
    let mut found = None;
    loop {
        let page = orders
            .list_orders(ord::ListOrdersRequest {
                status: ord::OrderStatus::AwaitingPayment.into(),
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await?
            .into_inner();
        found = page
            .orders
            .into_iter()
            .filter(|o| o.customer_email == DEMO_EMAIL)
            .chain(found)
            .max_by_key(|o| o.created_at.as_ref().map(|t| (t.seconds, t.nanos)));
        if page.next_page_token.is_empty() {
            return Ok(found);
        }
        page_token = page.next_page_token;
    }
}

/// Creates a demo order, first creating any demo product that is missing and restocking any
/// that has too little left for it (earlier runs' orders took it).
async fn create_demo_order(
    inventory: &mut InventoryServiceClient<Intercepted>,
    orders: &mut OrderServiceClient<Intercepted>,
) -> anyhow::Result<ord::Order> {
    let products = demo_products(inventory).await?;
    let mut items = Vec::new();
    for (index, quantity, price, tax_rate_bp) in LINES {
        let (product, (sku, name, _)) = (&products[index], CATALOGUE[index]);
        if product.available < quantity {
            inventory
                .adjust_stock(inv::AdjustStockRequest {
                    product_id: product.id.clone(),
                    delta: quantity - product.available,
                    reason: "demo restock".into(),
                    ..Default::default()
                })
                .await
                .with_context(|| format!("restocking {sku}"))?;
        }
        items.push(ord::OrderItem {
            product_id: product.id.clone(),
            name: name.into(),
            quantity,
            unit_price_minor: price,
            line_total_minor: 0,
            tax_rate_bp,
        });
    }
    let order = orders
        .create_order(ord::CreateOrderRequest {
            customer_email: DEMO_EMAIL.into(),
            customer_name: "Demo Customer".into(),
            currency: "EUR".into(),
            items,
            // A new order each time: the same request id would return the one already paid.
            request_id: format!("shop-demo-order-{}", uuid::Uuid::new_v4()),
            customer_address: "1 Demo Lane; 12345 Demo Town".into(),
        })
        .await
        .context("creating the demo order")?
        .into_inner();
    tracing::info!(order_id = %order.id, "demo order created");
    Ok(order)
}

/// The demo products in [`CATALOGUE`] order, created if missing.
async fn demo_products(
    inventory: &mut InventoryServiceClient<Intercepted>,
) -> anyhow::Result<Vec<inv::Product>> {
    let mut existing = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = inventory
            .list_products(inv::ListProductsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await?
            .into_inner();
        existing.extend(page.products);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut products = Vec::new();
    for (sku, name, stock) in CATALOGUE {
        let product = match existing.iter().find(|p| p.sku == sku) {
            Some(product) => product.clone(),
            None => inventory
                .create_product(inv::CreateProductRequest {
                    sku: sku.into(),
                    name: name.into(),
                    stock,
                })
                .await
                .with_context(|| format!("creating {sku}"))?
                .into_inner(),
        };
        products.push(product);
    }
    Ok(products)
}
