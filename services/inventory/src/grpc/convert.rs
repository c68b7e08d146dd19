//! Conversions between protobuf messages and domain types.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use shop_proto::inventory::v1 as pb;
use uuid::Uuid;

use crate::{
    domain::{
        InvalidField, NewProduct, Product, ProductName, Reservation, ReservationState, Sku,
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

/// Parses `page_size`: 0 means the default.
pub fn page_size(raw: i32, default: u64, max: u64) -> Result<u64, Error> {
    match raw {
        0 => Ok(default),
        n if n < 0 => {
            Err(InvalidField::new("page_size", format!("must be 0 or more, got {n}")).into())
        }
        n => Ok((n as u64).min(max)),
    }
}

/// An opaque continuation token: the last id of the previous page.
pub struct PageToken;

impl PageToken {
    /// Parses `page_token`; empty means the first page.
    pub fn parse(raw: &str) -> Result<Option<Uuid>, Error> {
        if raw.is_empty() {
            return Ok(None);
        }
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| {
                InvalidField::new("page_token", "is not a token this service issued").into()
            })
    }

    /// The token for the page after `id`.
    pub fn after(id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(id.as_bytes())
    }
}

/// A counter for the wire. Counters are capped at `MAX_UNITS`, well within 32 bits.
fn count(units: i64) -> i32 {
    i32::try_from(units).unwrap_or(i32::MAX)
}

/// A timestamp for the wire.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
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
