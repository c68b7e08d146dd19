//! The accounting after the storm, all through the two APIs: what every reservation and
//! order ended as, and whether the products' counters say exactly that.

use std::{collections::HashMap, time::Duration};

use futures::{StreamExt as _, stream};
use shop_proto::{inventory::v1 as inv, orders::v1 as pb};
use tonic::Code;
use uuid::Uuid;

use crate::storm::{Clients, with_deadline};

const PATIENT: Option<Duration> = Some(Duration::from_secs(10));

/// Units per product: taken out of stock, and held by active reservations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    pub taken: i32,
    pub reserved: i32,
}

/// What the reservations `ids` (made or not) hold and took, read back with GetReservation.
pub async fn reservations(clients: &Clients, ids: &[Uuid]) -> HashMap<String, Units> {
    let reads = stream::iter(ids.iter().copied())
        .map(|id| {
            let mut inventory = clients.inventory.clone();
            async move {
                let message = inv::GetReservationRequest {
                    reservation_id: id.to_string(),
                };
                match inventory
                    .get_reservation(with_deadline(message, PATIENT))
                    .await
                {
                    Ok(reservation) => Some(reservation.into_inner()),
                    Err(status) if status.code() == Code::NotFound => None,
                    Err(status) => panic!("GetReservation {id}: {status:?}"),
                }
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let mut units: HashMap<String, Units> = HashMap::new();
    for reservation in reads.into_iter().flatten() {
        for line in &reservation.lines {
            let product = units.entry(line.product_id.clone()).or_default();
            match reservation.state() {
                inv::ReservationState::Committed => product.taken += line.quantity,
                inv::ReservationState::Active => product.reserved += line.quantity,
                _ => {}
            }
        }
    }
    units
}

/// (stock, stock_reserved) of a product.
pub async fn counters(clients: &Clients, product_id: &str) -> (i32, i32) {
    let message = inv::GetProductRequest {
        id: product_id.into(),
    };
    let product = clients
        .inventory
        .clone()
        .get_product(with_deadline(message, PATIENT))
        .await
        .unwrap()
        .into_inner();
    (product.stock, product.stock_reserved)
}

/// Products whose stock_reserved is not the sum of their active reservations.
pub async fn drifts(clients: &Clients) -> Vec<inv::StockDrift> {
    let message = inv::CheckStockRequest {};
    let checked = clients
        .inventory
        .clone()
        .check_stock(with_deadline(message, PATIENT))
        .await
        .unwrap()
        .into_inner();
    checked.drifts
}

/// Every order there is, including those whose CreateOrder caller gave up.
pub async fn all_orders(clients: &Clients) -> Vec<pb::Order> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let message = pb::ListOrdersRequest {
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        let page = clients
            .orders
            .clone()
            .list_orders(with_deadline(message, PATIENT))
            .await
            .unwrap()
            .into_inner();
        all.extend(page.orders);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// How many invoice jobs there are.
pub async fn invoice_jobs(clients: &Clients) -> usize {
    let mut count = 0;
    let mut page_token = String::new();
    loop {
        let message = pb::ListInvoiceJobsRequest {
            page_size: 1000,
            page_token,
            ..Default::default()
        };
        let page = clients
            .orders
            .clone()
            .list_invoice_jobs(with_deadline(message, PATIENT))
            .await
            .unwrap()
            .into_inner();
        count += page.jobs.len();
        if page.next_page_token.is_empty() {
            return count;
        }
        page_token = page.next_page_token;
    }
}

/// Pays `order_id` with a patient caller: the answer, or why there was none.
pub async fn pay(clients: &Clients, order_id: &str) -> Result<pb::PaymentOutcome, tonic::Status> {
    let message = pb::RecordPaymentRequest {
        order_id: order_id.into(),
        status: pb::PaymentStatus::Paid.into(),
    };
    let paid = clients
        .orders
        .clone()
        .record_payment(with_deadline(message, PATIENT))
        .await?;
    Ok(paid.into_inner().outcome())
}

/// Creates an order with a patient caller.
pub async fn create_order(
    clients: &Clients,
    items: &[(String, i32)],
) -> Result<pb::Order, tonic::Status> {
    let message = crate::storm::order_request(items);
    let order = clients
        .orders
        .clone()
        .create_order(with_deadline(message, PATIENT))
        .await?;
    Ok(order.into_inner())
}
