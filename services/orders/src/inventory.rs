//! The orders service's view of the inventory service: a gRPC client with a deadline on
//! every call, whose answers are sorted into what the orders service acts on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shop_common::grpc::{ClientError, ClientInterceptor, GrpcChannel, Upstream};
use shop_proto::inventory::{
    reasons,
    v1::{self as pb, inventory_service_client::InventoryServiceClient},
};
use tonic::{Code, Status, codegen::InterceptedService};
use tonic_types::StatusExt;
use uuid::Uuid;

use crate::domain::OrderItem;

/// How the inventory answered, in the terms the orders service acts on.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// Not enough stock (the message names the products).
    #[error("{0}")]
    InsufficientStock(String),
    /// A product does not exist.
    #[error("{0}")]
    ProductNotFound(String),
    /// The reservation can no longer be committed: released, expired or unknown.
    #[error("reservation is {0}")]
    ReservationGone(&'static str),
    /// The reservation was committed, so it cannot be released.
    #[error("reservation is committed")]
    ReservationCommitted,
    /// Unreachable, overloaded or too slow: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else.
    #[error("unexpected answer: {0:?}")]
    Unexpected(Status),
}

/// A client of `shop.inventory.v1.InventoryService`.
#[derive(Debug, Clone)]
pub struct InventoryClient {
    client: InventoryServiceClient<InterceptedService<GrpcChannel, ClientInterceptor>>,
}

impl InventoryClient {
    /// A client of the service at `inventory` (several replicas are balanced across);
    /// connects lazily (and reconnects) as needed. Every call fails after `timeout`.
    pub fn new(inventory: &Upstream, timeout: Duration) -> Result<Self, ClientError> {
        Ok(Self {
            client: InventoryServiceClient::new(inventory.connect_lazy(timeout)?),
        })
    }

    /// Reserves the order's items under `reservation_id`; returns when it expires.
    pub async fn reserve(
        &self,
        reservation_id: Uuid,
        items: &[impl AsLine],
    ) -> Result<DateTime<Utc>, InventoryError> {
        let request = pb::ReserveStockRequest {
            reservation_id: reservation_id.to_string(),
            lines: items.iter().map(AsLine::line).collect(),
        };
        let reservation = self
            .client
            .clone()
            .reserve_stock(request)
            .await
            .map_err(|s| classify(s, Call::Reserve))?
            .into_inner();
        reservation
            .expires_at
            .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.try_into().unwrap_or(0)))
            .ok_or_else(|| {
                InventoryError::Unexpected(Status::internal("reservation without expires_at"))
            })
    }

    /// Commits a reservation (idempotent).
    pub async fn commit(&self, reservation_id: Uuid) -> Result<(), InventoryError> {
        let request = pb::CommitReservationRequest {
            reservation_id: reservation_id.to_string(),
        };
        self.client
            .clone()
            .commit_reservation(request)
            .await
            .map(drop)
            .map_err(|s| classify(s, Call::Settle))
    }

    /// Releases a reservation (idempotent; a released or expired one is fine).
    pub async fn release(&self, reservation_id: Uuid) -> Result<(), InventoryError> {
        let request = pb::ReleaseReservationRequest {
            reservation_id: reservation_id.to_string(),
        };
        self.client
            .clone()
            .release_reservation(request)
            .await
            .map(drop)
            .map_err(|s| classify(s, Call::Settle))
    }
}

/// Something that can be a reservation line.
pub trait AsLine {
    /// The line.
    fn line(&self) -> pb::ReservationLine;
}

impl AsLine for OrderItem {
    fn line(&self) -> pb::ReservationLine {
        pb::ReservationLine {
            product_id: self.product_id.to_string(),
            quantity: self.quantity,
        }
    }
}

impl AsLine for crate::domain::NewOrderItem {
    fn line(&self) -> pb::ReservationLine {
        pb::ReservationLine {
            product_id: self.product_id.to_string(),
            quantity: self.quantity,
        }
    }
}

#[derive(Clone, Copy)]
enum Call {
    Reserve,
    Settle,
}

fn classify(status: Status, call: Call) -> InventoryError {
    shop_common::grpc::report_refused_credentials(&status, "inventory");
    let reason = status.get_details_error_info().map(|info| info.reason);
    match (status.code(), reason.as_deref(), call) {
        (Code::FailedPrecondition, Some(reasons::INSUFFICIENT_STOCK), _) => {
            InventoryError::InsufficientStock(status.message().to_owned())
        }
        (Code::FailedPrecondition, Some(reasons::RESERVATION_RELEASED), _) => {
            InventoryError::ReservationGone("released")
        }
        (Code::FailedPrecondition, Some(reasons::RESERVATION_EXPIRED), _) => {
            InventoryError::ReservationGone("expired")
        }
        (Code::FailedPrecondition, Some(reasons::RESERVATION_COMMITTED), _) => {
            InventoryError::ReservationCommitted
        }
        (Code::NotFound, _, Call::Reserve) => {
            InventoryError::ProductNotFound(status.message().to_owned())
        }
        (Code::NotFound, _, Call::Settle) => InventoryError::ReservationGone("unknown"),
        (
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Unknown,
            _,
            _,
        ) => InventoryError::Unavailable(format!("{:?}: {}", status.code(), status.message())),
        _ => InventoryError::Unexpected(status),
    }
}
