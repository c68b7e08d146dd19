//! The inventory's rules, free of gRPC and database types.
//!
//! Inputs are parsed into these types at the edge (parse, don't validate): once a
//! `ReservationLines` exists it is non-empty, summed per product and ordered by product id,
//! which is also the order in which the store takes row locks.

mod ids;
mod lines;
mod product;
#[cfg(test)]
mod proptests;
mod reconciliation;
mod reservation;

pub use ids::{ProductId, ReservationId};
pub use lines::{MAX_LINES, MAX_QUANTITY, Quantity, ReservationLine, ReservationLines};
pub use product::{
    MAX_UNITS, NewProduct, Product, ProductName, Sku, StockAdjustment, StockDelta, StockLevel,
};
pub use reconciliation::ProductCounters;
pub use reservation::{Decision, Refusal, Reservation, ReservationState, Transition, decide};
pub use shop_common::validation::InvalidField;
