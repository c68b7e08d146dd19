//! Conversions between protobuf messages and domain types.

use chrono::Utc;
use shop_common::grpc::timestamp;
use shop_proto::inventory::v1 as pb;

use crate::{
    domain::{
        NewProduct, Product, ProductCounters, ProductName, Reservation, ReservationState, Sku,
        StockLevel,
    },
    error::Error,
};

/// Parses a `CreateProductRequest`.
pub fn new_product(request: pb::CreateProductRequest) -> Result<NewProduct, Error> {
    Ok(NewProduct {
        sku: Sku::parse(&request.sku)?,
        name: ProductName::parse(&request.name)?,
        stock: StockLevel::parse("stock", request.stock.into())?,
    })
}

/// A counter for the wire. Counters are capped at `MAX_UNITS`, well within 32 bits.
fn count(units: i64) -> i32 {
    i32::try_from(units).unwrap_or(i32::MAX)
}

impl From<Product> for pb::Product {
    fn from(p: Product) -> Self {
        Self {
            id: p.id.to_string(),
            available: count(p.available()),
            sku: p.sku,
            name: p.name,
            stock: count(p.stock),
            stock_reserved: count(p.stock_reserved),
            created_at: Some(timestamp(p.created_at)),
            updated_at: Some(timestamp(p.updated_at)),
        }
    }
}

fn state(s: ReservationState) -> pb::ReservationState {
    match s {
        ReservationState::Active => pb::ReservationState::Active,
        ReservationState::Committed => pb::ReservationState::Committed,
        ReservationState::Released => pb::ReservationState::Released,
        ReservationState::Expired => pb::ReservationState::Expired,
    }
}

/// A reservation for the wire, in the state clients see now (an active reservation past its
/// expiry reads as expired).
pub fn reservation(r: Reservation) -> pb::Reservation {
    pb::Reservation {
        reservation_id: r.id.to_string(),
        state: state(r.state_at(Utc::now())).into(),
        lines: r
            .lines
            .iter()
            .map(|l| pb::ReservationLine {
                product_id: l.product_id.to_string(),
                quantity: count(l.quantity.get()),
            })
            .collect(),
        expires_at: Some(timestamp(r.expires_at)),
        created_at: Some(timestamp(r.created_at)),
        updated_at: Some(timestamp(r.updated_at)),
    }
}

/// The answer of `CheckStock`: how many products were checked, and the ones that drift.
pub fn check_report(counters: &[ProductCounters]) -> pb::CheckStockResponse {
    pb::CheckStockResponse {
        products_checked: i32::try_from(counters.len()).unwrap_or(i32::MAX),
        drifts: counters
            .iter()
            .filter_map(|c| {
                c.problem().map(|problem| pb::StockDrift {
                    product_id: c.product_id.to_string(),
                    sku: c.sku.clone(),
                    stock: count(c.stock),
                    stock_reserved: count(c.stock_reserved),
                    active_reserved: count(c.active_reserved),
                    problem,
                })
            })
            .collect(),
        checked_at: Some(timestamp(Utc::now())),
    }
}
