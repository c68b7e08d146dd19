//! The inventory service's one error type, and its one mapping to `tonic::Status`.

use sea_orm::DbErr;
use shop_proto::inventory::reasons;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::{InvalidField, ProductId, Refusal, ReservationId};

/// Everything an inventory operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field did not parse.
    #[error(transparent)]
    InvalidArgument(#[from] InvalidField),
    /// No product with this id.
    #[error("product {0} not found")]
    ProductNotFound(ProductId),
    /// No reservation with this id.
    #[error("reservation {0} not found")]
    ReservationNotFound(ReservationId),
    /// The SKU is taken.
    #[error("a product with sku {0:?} already exists")]
    SkuTaken(String),
    /// The reservation id is taken by a reservation with other lines.
    #[error("reservation {0} already exists with different lines")]
    ReservationMismatch(ReservationId),
    /// Some products are short (reserve: of available stock; commit: of stock).
    #[error("insufficient stock: {}", describe(.0))]
    InsufficientStock(Vec<Shortage>),
    /// The reservation's state forbids the change.
    #[error("reservation {id} is {refusal}")]
    Refused {
        /// The reservation.
        id: ReservationId,
        /// Its state.
        refusal: Refusal,
    },
    /// An adjustment would take stock below 0.
    #[error("stock of product {id} is {stock}; removing {remove} would take it below 0")]
    StockBelowZero {
        /// The product.
        id: ProductId,
        /// Its stock.
        stock: i64,
        /// Units the adjustment tried to remove.
        remove: i64,
    },
    /// An adjustment would take stock above [`crate::domain::MAX_UNITS`].
    #[error("stock of product {id} is {stock}; adding {add} would take it above {max}", max = crate::domain::MAX_UNITS)]
    StockAboveMaximum {
        /// The product.
        id: ProductId,
        /// Its stock.
        stock: i64,
        /// Units the adjustment tried to add.
        add: i64,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// One product that cannot supply a requested quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    /// The product.
    pub product_id: ProductId,
    /// Its SKU.
    pub sku: String,
    /// Units asked for.
    pub requested: i64,
    /// Units it can supply.
    pub available: i64,
}

fn describe(shortages: &[Shortage]) -> String {
    shortages
        .iter()
        .map(|s| {
            format!(
                "product {} (sku {}) has {} available, {} requested",
                s.product_id, s.sku, s.available, s.requested
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl shop_common::db::Conflict for Error {
    fn is_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if shop_common::db::is_retryable(e))
    }
}

fn with_reason(code: Code, message: String, reason: &str, mut details: ErrorDetails) -> Status {
    details.set_error_info(reason, reasons::DOMAIN, std::collections::HashMap::new());
    Status::with_error_details(code, message, details)
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            Error::InvalidArgument(InvalidField { field, reason }) => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            Error::ProductNotFound(_) | Error::ReservationNotFound(_) => Status::not_found(message),
            Error::SkuTaken(_) => with_reason(
                Code::AlreadyExists,
                message,
                reasons::SKU_TAKEN,
                ErrorDetails::new(),
            ),
            Error::ReservationMismatch(_) => with_reason(
                Code::AlreadyExists,
                message,
                reasons::RESERVATION_MISMATCH,
                ErrorDetails::new(),
            ),
            Error::InsufficientStock(shortages) => {
                let mut details = ErrorDetails::new();
                for s in &shortages {
                    details.add_precondition_failure_violation(
                        reasons::INSUFFICIENT_STOCK,
                        s.product_id.to_string(),
                        format!("{} available, {} requested", s.available, s.requested),
                    );
                }
                with_reason(
                    Code::FailedPrecondition,
                    message,
                    reasons::INSUFFICIENT_STOCK,
                    details,
                )
            }
            Error::Refused { refusal, .. } => {
                let reason = match refusal {
                    Refusal::Released => reasons::RESERVATION_RELEASED,
                    Refusal::Expired => reasons::RESERVATION_EXPIRED,
                    Refusal::Committed => reasons::RESERVATION_COMMITTED,
                };
                with_reason(
                    Code::FailedPrecondition,
                    message,
                    reason,
                    ErrorDetails::new(),
                )
            }
            Error::StockAboveMaximum { .. } => Status::with_error_details(
                Code::InvalidArgument,
                message.clone(),
                ErrorDetails::with_bad_request_violation("delta", message),
            ),
            Error::StockBelowZero { .. } => with_reason(
                Code::FailedPrecondition,
                message,
                reasons::STOCK_BELOW_ZERO,
                ErrorDetails::new(),
            ),
            Error::Database(e) => shop_common::db::status_for(&e),
        }
    }
}
