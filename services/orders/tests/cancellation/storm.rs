//! The storm: callers that give up after 1–5 ms (a gRPC deadline, enforced by both ends),
//! drop their calls mid-flight, or hang up their whole connection, at inventory
//! (ReserveStock, CommitReservation, ReleaseReservation) and orders (CreateOrder,
//! RecordPayment). A few patient calls keep state building up, so that there are
//! reservations to commit and orders to pay.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use shop_proto::{
    inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient},
    orders::v1::{self as pb, order_service_client::OrderServiceClient},
};
use tokio::time::Instant;
use tonic::{Request, Status, transport::Channel};
use uuid::Uuid;

/// Where the storm goes and how hard.
#[derive(Clone)]
pub struct Plan {
    pub duration: Duration,
    pub callers: usize,
    /// Each caller stops after this many calls, if the time is not up first.
    pub calls_per_caller: usize,
    /// Products only ReserveStock, CommitReservation and ReleaseReservation touch.
    pub inventory_products: Vec<String>,
    /// Products only orders touch.
    pub order_products: Vec<String>,
}

/// What the storm sent, for the accounting afterwards.
#[derive(Default)]
pub struct Record {
    /// Every id a ReserveStock was sent with, whether or not the reservation got made.
    pub reservation_ids: Mutex<Vec<Uuid>>,
    /// Orders whose CreateOrder was answered.
    pub orders: Mutex<Vec<String>>,
    /// Calls by how they ended.
    pub endings: Mutex<BTreeMap<String, u64>>,
}

impl Record {
    pub fn calls(&self) -> u64 {
        self.endings.lock().unwrap().values().sum()
    }

    fn count(&self, ending: String) {
        *self.endings.lock().unwrap().entry(ending).or_default() += 1;
    }
}

/// Runs `plan` against the two servers; returns when every caller has stopped.
pub async fn run(inventory: SocketAddr, orders: SocketAddr, plan: &Plan, record: &Arc<Record>) {
    let until = Instant::now() + plan.duration;
    let callers = (0..plan.callers).map(|_| {
        let (plan, record) = (plan.clone(), record.clone());
        tokio::spawn(async move { caller(inventory, orders, &plan, &record, until).await })
    });
    for caller in futures::future::join_all(callers).await {
        caller.expect("a caller panicked");
    }
}

#[derive(Clone)]
pub struct Clients {
    pub inventory: InventoryServiceClient<Channel>,
    pub orders: OrderServiceClient<Channel>,
}

impl Clients {
    /// Clients on their own connections (one per service).
    pub async fn connect(inventory: SocketAddr, orders: SocketAddr) -> Self {
        let channel = |addr: SocketAddr| async move {
            Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap()
        };
        Self {
            inventory: InventoryServiceClient::new(channel(inventory).await),
            orders: OrderServiceClient::new(channel(orders).await),
        }
    }
}

enum Call {
    Reserve(Uuid, Vec<(String, i32)>),
    Commit(Uuid),
    Release(Uuid),
    CreateOrder(Vec<(String, i32)>),
    Pay(String),
}

async fn caller(
    inventory: SocketAddr,
    orders: SocketAddr,
    plan: &Plan,
    record: &Record,
    until: Instant,
) {
    let mut clients = Clients::connect(inventory, orders).await;
    for _ in 0..plan.calls_per_caller {
        if Instant::now() >= until {
            return;
        }
        let call = pick(plan, record);
        let roll = fastrand::u32(0..100);
        if roll < 3 {
            // Hang up: the call and its connection vanish mid-flight, as when a replica is
            // killed; both servers see the connection close.
            let send = send(&clients, &call, None, record);
            let _ = tokio::time::timeout(millis(1..=3), send).await;
            drop(clients);
            record.count("hung up with its connection".into());
            clients = Clients::connect(inventory, orders).await;
        } else if roll < 28 {
            // Give up without a deadline: the server sees only the stream reset.
            let ending = match tokio::time::timeout(
                millis(0..=5),
                send(&clients, &call, None, record),
            )
            .await
            {
                Ok(result) => ending(result),
                Err(_) => "dropped by the caller".into(),
            };
            record.count(ending);
        } else if roll < 90 {
            let result = send(&clients, &call, Some(millis(1..=5)), record).await;
            record.count(ending(result));
        } else {
            let result = send(&clients, &call, Some(Duration::from_secs(5)), record).await;
            record.count(ending(result));
        }
    }
}

fn pick(plan: &Plan, record: &Record) -> Call {
    let known_reservation = || {
        let ids = record.reservation_ids.lock().unwrap();
        (!ids.is_empty()).then(|| ids[fastrand::usize(..ids.len())])
    };
    let known_order = || {
        let orders = record.orders.lock().unwrap();
        (!orders.is_empty()).then(|| orders[fastrand::usize(..orders.len())].clone())
    };
    match fastrand::u32(0..100) {
        0..30 => Call::Reserve(Uuid::new_v4(), lines(&plan.inventory_products)),
        30..45 => known_reservation().map_or_else(|| pick(plan, record), Call::Commit),
        45..55 => known_reservation().map_or_else(|| pick(plan, record), Call::Release),
        55..80 => Call::CreateOrder(lines(&plan.order_products)),
        _ => match known_order() {
            Some(order) => Call::Pay(order),
            None => Call::CreateOrder(lines(&plan.order_products)),
        },
    }
}

/// One or two of `products`, 1–3 units each.
fn lines(products: &[String]) -> Vec<(String, i32)> {
    let mut chosen = products.to_vec();
    fastrand::shuffle(&mut chosen);
    chosen.truncate(fastrand::usize(1..=2));
    chosen
        .into_iter()
        .map(|p| (p, fastrand::i32(1..=3)))
        .collect()
}

async fn send(
    clients: &Clients,
    call: &Call,
    deadline: Option<Duration>,
    record: &Record,
) -> Result<(), Status> {
    let (mut inventory, mut orders) = (clients.inventory.clone(), clients.orders.clone());
    match call {
        Call::Reserve(id, lines) => {
            record.reservation_ids.lock().unwrap().push(*id);
            let lines = lines
                .iter()
                .map(|(product_id, quantity)| inv::ReservationLine {
                    product_id: product_id.clone(),
                    quantity: *quantity,
                })
                .collect();
            let message = inv::ReserveStockRequest {
                reservation_id: id.to_string(),
                lines,
            };
            inventory
                .reserve_stock(with_deadline(message, deadline))
                .await?;
        }
        Call::Commit(id) => {
            let message = inv::CommitReservationRequest {
                reservation_id: id.to_string(),
            };
            inventory
                .commit_reservation(with_deadline(message, deadline))
                .await?;
        }
        Call::Release(id) => {
            let message = inv::ReleaseReservationRequest {
                reservation_id: id.to_string(),
            };
            inventory
                .release_reservation(with_deadline(message, deadline))
                .await?;
        }
        Call::CreateOrder(items) => {
            let message = order_request(items);
            let order = orders
                .create_order(with_deadline(message, deadline))
                .await?
                .into_inner();
            record.orders.lock().unwrap().push(order.id);
        }
        Call::Pay(order_id) => {
            let message = pb::RecordPaymentRequest {
                order_id: order_id.clone(),
                status: pb::PaymentStatus::Paid.into(),
            };
            orders
                .record_payment(with_deadline(message, deadline))
                .await?;
        }
    }
    Ok(())
}

/// A request with a gRPC deadline (`grpc-timeout`), if any.
pub fn with_deadline<T>(message: T, deadline: Option<Duration>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(deadline) = deadline {
        request.set_timeout(deadline);
    }
    request
}

/// A valid CreateOrder request: each item at 12.50 EUR.
pub fn order_request(items: &[(String, i32)]) -> pb::CreateOrderRequest {
    pb::CreateOrderRequest {
        customer_email: "ada@example.com".into(),
        customer_name: "Ada Lovelace".into(),
        currency: "EUR".into(),
        items: items
            .iter()
            .map(|(product_id, quantity)| pb::OrderItem {
                product_id: product_id.clone(),
                name: "Mug".into(),
                quantity: *quantity,
                unit_price_minor: 1250,
                line_total_minor: 0,
                tax_rate_bp: 0,
            })
            .collect(),
        request_id: String::new(),
        customer_address: String::new(),
    }
}

fn ending(result: Result<(), Status>) -> String {
    match result {
        Ok(()) => "answered".into(),
        Err(status) => format!("{:?}", status.code()),
    }
}

fn millis(range: std::ops::RangeInclusive<u64>) -> Duration {
    Duration::from_millis(fastrand::u64(range))
}
