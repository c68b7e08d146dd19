//! Recording payments: the exactly-once confirmation across the two services.
//!
//! PAID on an order awaiting payment commits its reservation in inventory (idempotent), then
//! confirms it in one orders transaction (compare-and-set of the status, the invoice job and
//! the payment event). Concurrent or repeated calls all commit the same reservation, which
//! inventory does once, and race for the compare-and-set, which one wins: one stock
//! decrement, one confirmation, one invoice. A crash between the two steps leaves the stock
//! committed and the order awaiting payment; the provider's retry commits again (a no-op)
//! and confirms.
//!
//! Money never vanishes: when the stock cannot be committed (a stock count took it below
//! what was reserved), the reservation is released in inventory (idempotent), then the order
//! is cancelled, flagged for refund and the REFUND_REQUIRED event written in one orders
//! transaction; the answer stays FAILED_PRECONDITION, the provider's contract. A crash
//! between the two steps leaves the order awaiting payment with its reservation released;
//! the provider's retry finds the reservation gone and completes the flag (or, restocked
//! meanwhile, confirms). A payment that arrives after the reservation lapsed takes the stock
//! again if it can, else flags the order the same way. An order is flagged once: a repeat
//! finds it flagged and records DUPLICATE.

use shop_common::names::StoredName;
use uuid::Uuid;

use super::OrdersApp;
use crate::{
    domain::{Order, OrderId, OrderStatus, PaymentOutcome, PaymentStatus, RefundCause},
    error::Error,
    faults::FaultPoint,
    inventory::InventoryError,
    store::Applied,
};

/// Namespace of the ids of second reservations (see [`retake_reservation_id`]).
const RETAKE_NAMESPACE: Uuid = Uuid::from_u128(0x5f1c_2a7e_8d4b_4c1e_9a3f_6b2d_0e7c_1a95);

/// The id of the reservation that tries to take an order's stock again when a payment
/// arrives after its first reservation lapsed. Derived from the order, so that concurrent
/// and repeated payments share it, and inventory takes the stock at most once.
pub fn retake_reservation_id(order: OrderId) -> Uuid {
    Uuid::new_v5(&RETAKE_NAMESPACE, order.as_uuid().as_bytes())
}

impl OrdersApp {
    /// Records what the provider reported for an order; see the module documentation.
    pub async fn record_payment(
        &self,
        id: OrderId,
        status: PaymentStatus,
    ) -> Result<(Order, PaymentOutcome), Error> {
        let result = self.record_payment_unmetered(id, status).await;
        let outcome = match &result {
            Ok((_, outcome)) => outcome.as_str(),
            Err(Error::OrderNotFound(_)) => PaymentOutcome::OrderNotFound.as_str(),
            Err(Error::InsufficientStock(_)) => PaymentOutcome::InsufficientStock.as_str(),
            Err(Error::PaidWithoutStock { .. }) => PaymentOutcome::RefundRequired.as_str(),
            Err(_) => "error",
        };
        metrics::counter!("shop_payments_recorded_total", "outcome" => outcome).increment(1);
        result
    }

    async fn record_payment_unmetered(
        &self,
        id: OrderId,
        status: PaymentStatus,
    ) -> Result<(Order, PaymentOutcome), Error> {
        let order = match self.store.order(id).await {
            Err(Error::OrderNotFound(_)) => {
                tracing::warn!(order_id = %id, status = status.as_str(), "payment for an unknown order");
                self.store
                    .record_payment_event(id.as_uuid(), status, PaymentOutcome::OrderNotFound, "")
                    .await?;
                return Err(Error::OrderNotFound(id));
            }
            other => other?,
        };
        match status {
            PaymentStatus::Failed => {
                self.store
                    .record_payment_event(id.as_uuid(), status, PaymentOutcome::Ignored, "")
                    .await?;
                Ok((order, PaymentOutcome::Ignored))
            }
            PaymentStatus::Paid => self.record_paid(order).await,
        }
    }

    async fn record_paid(&self, order: Order) -> Result<(Order, PaymentOutcome), Error> {
        match order.status {
            // A repeat: the payment was recorded already (confirmed, or flagged for refund).
            OrderStatus::Confirmed | OrderStatus::RefundRequired | OrderStatus::Refunded => {
                self.duplicate_payment(order).await
            }
            OrderStatus::Cancelled => self.retake(order).await,
            OrderStatus::AwaitingPayment => match self.inventory.commit(order.reservation_id).await
            {
                Ok(()) => {
                    self.faults.check(FaultPoint::AfterInventoryCommit)?;
                    let reservation_id = order.reservation_id;
                    self.confirm(order, reservation_id).await
                }
                Err(InventoryError::InsufficientStock(shortfall)) => {
                    self.refund_unfillable(order, shortfall).await
                }
                Err(InventoryError::ReservationGone(_)) => self.retake(order).await,
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Paid, but the reserved stock cannot be committed: release the reservation, then cancel
    /// the order flagged for refund, and refuse the payment as the contract says
    /// ([`Error::PaidWithoutStock`], FAILED_PRECONDITION).
    async fn refund_unfillable(
        &self,
        order: Order,
        shortfall: String,
    ) -> Result<(Order, PaymentOutcome), Error> {
        match self.inventory.release(order.reservation_id).await {
            Ok(()) | Err(InventoryError::ReservationGone(_)) => {}
            // A concurrent payment committed it after a restock: the goods follow after all.
            Err(InventoryError::ReservationCommitted) => {
                let reservation_id = order.reservation_id;
                return self.confirm(order, reservation_id).await;
            }
            Err(e) => return Err(e.into()),
        }
        self.faults.check(FaultPoint::AfterRefundRelease)?;
        let detail = format!("paid, but the reserved stock could not be committed; {shortfall}");
        match self.flag_refund(order, &detail).await? {
            (order, PaymentOutcome::RefundRequired) => Err(Error::PaidWithoutStock {
                id: order.id,
                shortfall,
            }),
            other => Ok(other),
        }
    }

    async fn confirm(
        &self,
        order: Order,
        reservation_id: Uuid,
    ) -> Result<(Order, PaymentOutcome), Error> {
        let id = order.id;
        match self
            .store
            .confirm_paid_order(order, reservation_id, "")
            .await?
        {
            Applied::Moved(order) => {
                tracing::info!(order_id = %id, total_minor = order.total_minor, currency = %order.currency, "order confirmed; invoice queued");
                Ok((order, PaymentOutcome::Confirmed))
            }
            Applied::Unchanged(order) => Ok((order, PaymentOutcome::Duplicate)),
            Applied::Refused(order) => Err(Error::WrongStatus {
                id,
                status: order.status,
                action: "it cannot be confirmed",
            }),
        }
    }

    /// A payment for an order whose reservation is gone: take the stock again if there is
    /// any, else flag the payment for a refund. Money taken for an order we cannot fill must
    /// never vanish silently.
    async fn retake(&self, order: Order) -> Result<(Order, PaymentOutcome), Error> {
        let retake_id = retake_reservation_id(order.id);
        let shortfall = match self.inventory.reserve(retake_id, &order.items).await {
            Ok(_) => match self.inventory.commit(retake_id).await {
                Ok(()) => {
                    tracing::info!(order_id = %order.id, "late payment: stock taken again");
                    return self.confirm(order, retake_id).await;
                }
                Err(InventoryError::InsufficientStock(detail)) => {
                    self.release_quietly(retake_id).await;
                    detail
                }
                Err(InventoryError::ReservationGone(state)) => {
                    format!("the second reservation {retake_id} is {state}")
                }
                Err(e) => return Err(e.into()),
            },
            Err(InventoryError::InsufficientStock(detail)) => detail,
            Err(e) => return Err(e.into()),
        };
        // Gone: expired, released by a cancel, or released by an interrupted
        // `refund_unfillable` whose flag this call now completes.
        let detail = format!(
            "paid after the order's reservation was gone, and the stock could not be taken again; {shortfall}"
        );
        self.flag_refund(order, &detail).await
    }

    /// Cancels a paid order whose stock cannot be had and flags it for refund (once; a
    /// concurrent call that got there first makes this one a DUPLICATE). Its reservation is
    /// gone already.
    async fn flag_refund(
        &self,
        order: Order,
        detail: &str,
    ) -> Result<(Order, PaymentOutcome), Error> {
        // The status this call saw; a concurrent cancel may have moved it since, which only
        // changes the metric's label, not what is stored.
        let cause = RefundCause::of(order.status);
        match self.store.flag_refund(order.id, detail).await? {
            Applied::Moved(order) => {
                tracing::warn!(
                    order_id = %order.id, total_minor = order.total_minor,
                    currency = %order.currency, cause = cause.as_str(), %detail,
                    "REFUND REQUIRED: payment received for an order that cannot be filled; cancelled"
                );
                metrics::counter!("shop_refunds_required_total", "reason" => cause.as_str())
                    .increment(1);
                Ok((order, PaymentOutcome::RefundRequired))
            }
            Applied::Unchanged(order) => Ok((order, PaymentOutcome::Duplicate)),
            // Confirmed meanwhile by a concurrent call: the payment is not lost.
            Applied::Refused(order) => self.duplicate_payment(order).await,
        }
    }

    /// A repeated payment: recorded as an event, answered DUPLICATE, nothing else changes.
    async fn duplicate_payment(&self, order: Order) -> Result<(Order, PaymentOutcome), Error> {
        self.store
            .record_payment_event(
                order.id.as_uuid(),
                PaymentStatus::Paid,
                PaymentOutcome::Duplicate,
                "",
            )
            .await?;
        Ok((order, PaymentOutcome::Duplicate))
    }
}
