//! The orders service's one error type, and its one mapping to `tonic::Status`.

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::{InvalidField, OrderId, OrderStatus};

/// `google.rpc.ErrorInfo` domain of orders errors.
pub const DOMAIN: &str = "orders.shop";
/// `ErrorInfo.reason` when stock cannot be reserved or committed.
pub const INSUFFICIENT_STOCK: &str = "INSUFFICIENT_STOCK";

/// Everything an orders operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field did not parse.
    #[error(transparent)]
    InvalidArgument(#[from] InvalidField),
    /// No order with this id.
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    /// A product of the order does not exist (inventory's message).
    #[error("{0}")]
    ProductNotFound(String),
    /// Stock could not be reserved or committed (inventory's message names the products).
    #[error("{0}")]
    InsufficientStock(String),
    /// Paid while awaiting payment, but its stock could not be committed: the order is now
    /// cancelled and its payment flagged for refund. Answered like [`Self::InsufficientStock`]
    /// (FAILED_PRECONDITION), the answer the payment provider's contract gives.
    #[error("{shortfall}; order {id} is cancelled and its payment must be refunded")]
    PaidWithoutStock {
        /// The order.
        id: OrderId,
        /// Inventory's message, naming the products short.
        shortfall: String,
    },
    /// The order's status forbids the request.
    #[error("order {id} is {}; {action}", .status.as_str().replace('_', " "))]
    WrongStatus {
        /// The order.
        id: OrderId,
        /// Its status.
        status: OrderStatus,
        /// What was refused.
        action: &'static str,
    },
    /// A CreateOrder idempotency key was reused for a different order.
    #[error("request_id {0:?} was already used for a different order")]
    RequestIdReused(String),
    /// The order has no invoice job (it was never confirmed).
    #[error("order {0} has no invoice: it was never confirmed")]
    NoInvoice(OrderId),
    /// The order's invoice PDF is not kept (not composed yet, or composed before PDFs were
    /// kept).
    #[error("order {0} has no invoice PDF yet: its invoice has not been composed")]
    NoInvoicePdf(OrderId),
    /// The inventory service cannot be reached or did not answer in time.
    #[error("inventory unavailable: {0}")]
    InventoryUnavailable(String),
    /// The inventory service answered something we cannot act on.
    #[error("unexpected answer from inventory: {0:?}")]
    InventoryUnexpected(Status),
    /// A failure injected by a test (see `faults`).
    #[cfg(feature = "faults")]
    #[error("injected failure at {0}")]
    Injected(&'static str),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl shop_common::db::Conflict for Error {
    fn is_conflict(&self) -> bool {
        matches!(self, Self::Database(e) if shop_common::db::is_retryable(e))
    }
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
            Error::OrderNotFound(_) | Error::ProductNotFound(_) | Error::NoInvoicePdf(_) => {
                Status::not_found(message)
            }
            Error::InsufficientStock(_) => Status::with_error_details(
                Code::FailedPrecondition,
                message,
                ErrorDetails::with_error_info(
                    INSUFFICIENT_STOCK,
                    DOMAIN,
                    std::collections::HashMap::new(),
                ),
            ),
            Error::PaidWithoutStock { .. } => Status::with_error_details(
                Code::FailedPrecondition,
                message,
                ErrorDetails::with_error_info(
                    INSUFFICIENT_STOCK,
                    DOMAIN,
                    std::collections::HashMap::from([(
                        "refund_required".to_owned(),
                        "true".to_owned(),
                    )]),
                ),
            ),
            Error::WrongStatus { .. } | Error::NoInvoice(_) => Status::failed_precondition(message),
            Error::RequestIdReused(_) => Status::already_exists(message),
            Error::InventoryUnavailable(detail) => {
                tracing::warn!(%detail, "inventory unavailable");
                Status::unavailable("inventory unavailable, try again")
            }
            #[cfg(feature = "faults")]
            Error::Injected(point) => {
                tracing::warn!(point, "injected failure");
                Status::unavailable("temporarily unavailable, try again")
            }
            Error::InventoryUnexpected(status) => {
                tracing::error!(?status, "unexpected answer from inventory");
                Status::internal("internal error")
            }
            Error::Database(e) => shop_common::db::status_for(&e),
        }
    }
}
