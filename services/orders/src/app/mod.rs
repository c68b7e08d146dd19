//! What the orders service does, coordinating its store with the inventory service. The
//! gRPC handlers are thin wrappers around these methods.
//!
//! Rule of every flow here: inventory is asked first, and the orders transaction follows.
//! Inventory decides a reservation's fate atomically (commit and release exclude each other)
//! and every inventory call is idempotent, so a crash or timeout between the two steps is
//! healed by simply doing the same thing again.

mod payment;

pub use payment::retake_reservation_id;

use tonic::Status;
use uuid::Uuid;

use crate::{
    domain::{NewOrder, Order, OrderEvent, OrderId, RefundMark},
    error::Error,
    faults::Faults,
    inventory::{InventoryClient, InventoryError},
    store::{Applied, InsertOutcome, Store},
};

/// The orders service's operations.
#[derive(Debug, Clone)]
pub struct OrdersApp {
    store: Store,
    inventory: InventoryClient,
    faults: Faults,
}

impl From<InventoryError> for Error {
    fn from(e: InventoryError) -> Self {
        match e {
            InventoryError::InsufficientStock(m) => Error::InsufficientStock(m),
            InventoryError::ProductNotFound(m) => Error::ProductNotFound(m),
            InventoryError::Unavailable(m) => Error::InventoryUnavailable(m),
            InventoryError::Unexpected(status) => Error::InventoryUnexpected(status),
            other => Error::InventoryUnexpected(Status::failed_precondition(other.to_string())),
        }
    }
}

impl OrdersApp {
    /// The service over `store`, talking to `inventory`; `faults` is the tests' hook.
    pub fn new(store: Store, inventory: InventoryClient, faults: Faults) -> Self {
        Self {
            store,
            inventory,
            faults,
        }
    }

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reserves the order's stock (reservation id = order id), then stores it awaiting
    /// payment. With a `request_id`, a retry returns the order the first call created.
    /// If storing fails, the reservation is released (or, if this process dies first,
    /// expires).
    pub async fn create_order(
        &self,
        new: NewOrder,
        request_id: Option<&str>,
    ) -> Result<Order, Error> {
        if let Some(key) = request_id
            && let Some(existing) = self.store.order_by_request_id(key).await?
        {
            return same_order(existing, &new, key);
        }
        let id = OrderId::generate();
        let deadline = self.inventory.reserve(id.as_uuid(), &new.items).await?;
        let stored = self
            .store
            .insert_order(id, &new, id.as_uuid(), deadline, request_id)
            .await;
        match stored {
            Ok(InsertOutcome::Inserted(order)) => {
                let order = *order;
                tracing::info!(order_id = %order.id, total_minor = order.total_minor, currency = %order.currency, "order created, awaiting payment");
                Ok(order)
            }
            Ok(InsertOutcome::RequestIdTaken) => {
                self.release_quietly(id.as_uuid()).await;
                let key = request_id.unwrap_or_default();
                let existing = self.store.order_by_request_id(key).await?.ok_or_else(|| {
                    Error::Database(sea_orm::DbErr::RecordNotFound(format!(
                        "order with request_id {key:?}"
                    )))
                })?;
                same_order(existing, &new, key)
            }
            Err(e) => {
                self.release_quietly(id.as_uuid()).await;
                Err(e)
            }
        }
    }

    /// Cancels an order awaiting payment: releases its reservation first, then marks it
    /// cancelled. Idempotent. If the release finds the stock committed, a payment got there
    /// first: the order is confirmed instead and the cancel refused.
    pub async fn cancel_order(&self, id: OrderId, reason: &str) -> Result<Order, Error> {
        let reason = if reason.trim().is_empty() {
            "cancelled on request"
        } else {
            reason.trim()
        };
        self.settle_unpaid(id, OrderEvent::Cancel, reason).await
    }

    /// Cancels every order whose payment deadline has passed; returns how many.
    pub async fn expire_overdue(&self, limit: u64) -> Result<usize, Error> {
        let overdue = self
            .store
            .overdue_orders(shop_common::db::now(), limit)
            .await?;
        let mut cancelled = 0;
        for (id, _) in overdue {
            match self
                .settle_unpaid(
                    id,
                    OrderEvent::DeadlinePassed,
                    "not paid before the payment deadline",
                )
                .await
            {
                Ok(order) if order.status == crate::domain::OrderStatus::Cancelled => {
                    tracing::info!(order_id = %id, "order cancelled: payment deadline passed");
                    cancelled += 1;
                }
                Ok(_) => {}
                Err(e @ (Error::InventoryUnavailable(_) | Error::Database(_))) => return Err(e),
                Err(e) => tracing::warn!(order_id = %id, error = %e, "cannot expire order"),
            }
        }
        Ok(cancelled)
    }

    /// Release, then cancel (`event` is Cancel or DeadlinePassed).
    async fn settle_unpaid(
        &self,
        id: OrderId,
        event: OrderEvent,
        reason: &str,
    ) -> Result<Order, Error> {
        let order = self.store.order(id).await?;
        if order.status != crate::domain::OrderStatus::AwaitingPayment {
            return match self.store.cancel(id, event, reason).await? {
                Applied::Refused(order) => Err(Error::WrongStatus {
                    id,
                    status: order.status,
                    action: "it cannot be cancelled",
                }),
                Applied::Moved(order) | Applied::Unchanged(order) => Ok(order),
            };
        }
        match self.inventory.release(order.reservation_id).await {
            Ok(()) | Err(InventoryError::ReservationGone(_)) => {}
            Err(InventoryError::ReservationCommitted) => {
                // Only RecordPayment commits, so a payment arrived and its confirmation was
                // interrupted: finish it.
                let detail =
                    "confirmed by reconciliation: stock was committed by an interrupted payment";
                tracing::warn!(order_id = %id, "{detail}");
                let confirmed = match self
                    .store
                    .confirm_paid(id, order.reservation_id, detail)
                    .await?
                {
                    Applied::Moved(o) | Applied::Unchanged(o) | Applied::Refused(o) => o,
                };
                return Err(Error::WrongStatus {
                    id,
                    status: confirmed.status,
                    action: "it was paid and cannot be cancelled",
                });
            }
            Err(e) => return Err(e.into()),
        }
        match self.store.cancel(id, event, reason).await? {
            Applied::Moved(order) | Applied::Unchanged(order) => Ok(order),
            Applied::Refused(order) => Err(Error::WrongStatus {
                id,
                status: order.status,
                action: "it cannot be cancelled",
            }),
        }
    }

    /// Records that an operator refunded the payment of an order flagged for refund.
    /// Idempotent: refunded already, the order is returned as it is.
    pub async fn mark_refunded(&self, id: OrderId, mark: &RefundMark) -> Result<Order, Error> {
        match self.store.mark_refunded(id, mark).await? {
            Applied::Moved(order) => {
                tracing::info!(order_id = %id, operator = %mark.operator, note = %mark.note, "payment marked refunded");
                Ok(order)
            }
            Applied::Unchanged(order) => Ok(order),
            Applied::Refused(order) => Err(Error::WrongStatus {
                id,
                status: order.status,
                action: "only an order whose payment must be refunded can be marked refunded",
            }),
        }
    }

    /// The invoice PDF of an order as it was attached to the mail, with its number.
    pub async fn invoice_pdf(&self, id: OrderId) -> Result<(Vec<u8>, String), Error> {
        let job = self.store.invoice_job(id).await?;
        let pdf = self
            .store
            .invoice_pdf(id)
            .await?
            .ok_or(Error::NoInvoicePdf(id))?;
        let number = job
            .invoice_number
            .map(|n| n.to_string())
            .unwrap_or_default();
        Ok((pdf, number))
    }

    async fn release_quietly(&self, reservation_id: Uuid) {
        if let Err(e) = self.inventory.release(reservation_id).await {
            tracing::warn!(%reservation_id, error = %e, "cannot release reservation; it will expire");
        }
    }
}

fn same_order(existing: Order, new: &NewOrder, key: &str) -> Result<Order, Error> {
    if existing.matches(new) {
        Ok(existing)
    } else {
        Err(Error::RequestIdReused(key.to_owned()))
    }
}
