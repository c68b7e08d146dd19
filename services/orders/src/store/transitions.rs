//! Status changes: every one goes through the state machine while the order's row is locked
//! (`FOR UPDATE` on PostgreSQL, an `IMMEDIATE` transaction on SQLite), and the update itself
//! is a compare-and-set on the status it read.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, SimpleExpr},
};
use shop_common::db::Transactional as _;
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{
    Store,
    entity::{invoice_job, order},
    orders::load_locked,
    payments::insert_event,
};
use crate::{
    domain::{
        InvoiceJobState, Order, OrderEvent, OrderId, OrderStatus, PaymentOutcome, PaymentStatus,
        RefundCause, Step, transition,
    },
    error::Error,
};

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The order moved; here it is after the change.
    Moved(Order),
    /// Nothing changed (a repeat, or the event does not apply).
    Unchanged(Order),
    /// The state machine refuses the event in the order's status.
    Refused(Order),
}

impl Store {
    /// Applies [`OrderEvent::StockCommitted`]: confirms the order (its stock held by
    /// `reservation_id` is committed) and queues its invoice, in one transaction with the
    /// payment event. A repeat records a DUPLICATE event and changes nothing.
    pub async fn confirm_paid(
        &self,
        id: OrderId,
        reservation_id: Uuid,
        detail: &str,
    ) -> Result<Applied, Error> {
        let detail = detail.to_owned();
        // The invoice job keeps the request's trace; taken here, in the request's context.
        let trace = shop_common::telemetry::current_traceparent();
        self.to_completion(move |store| async move {
            store
                .confirm_paid_inner(id, reservation_id, &detail, trace.as_deref())
                .await
        })
        .await
    }

    async fn confirm_paid_inner(
        &self,
        id: OrderId,
        reservation_id: Uuid,
        detail: &str,
        trace: Option<&str>,
    ) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, OrderEvent::StockCommitted).await?;
            let now = shop_common::db::now();
            let applied = match step {
                Step::To(next) => {
                    let changes = vec![(order::Column::ReservationId, Expr::value(reservation_id))];
                    set_status(&txn, &order, next, changes, now).await?;
                    enqueue_invoice(&txn, id, now, trace).await?;
                    insert_event(
                        &txn,
                        id.as_uuid(),
                        PaymentStatus::Paid,
                        PaymentOutcome::Confirmed,
                        detail,
                        now,
                    )
                    .await?;
                    order.status = next;
                    order.reservation_id = reservation_id;
                    order.updated_at = now;
                    Applied::Moved(order)
                }
                Step::Stay => {
                    insert_event(
                        &txn,
                        id.as_uuid(),
                        PaymentStatus::Paid,
                        PaymentOutcome::Duplicate,
                        detail,
                        now,
                    )
                    .await?;
                    Applied::Unchanged(order)
                }
                Step::Refuse => return Ok(Applied::Refused(order)),
            };
            txn.commit().await?;
            Ok(applied)
        })
        .await
    }

    /// Applies [`OrderEvent::Cancel`] or [`OrderEvent::DeadlinePassed`], keeping `reason`.
    /// Call it after the reservation was released.
    pub async fn cancel(
        &self,
        id: OrderId,
        event: OrderEvent,
        reason: &str,
    ) -> Result<Applied, Error> {
        let reason = reason.to_owned();
        self.to_completion(move |store| async move { store.cancel_inner(id, event, &reason).await })
            .await
    }

    async fn cancel_inner(
        &self,
        id: OrderId,
        event: OrderEvent,
        reason: &str,
    ) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, event).await?;
            let Step::To(next) = step else {
                return Ok(match step {
                    Step::Refuse => Applied::Refused(order),
                    _ => Applied::Unchanged(order),
                });
            };
            let now = shop_common::db::now();
            let changes = vec![(order::Column::CancelReason, Expr::value(reason))];
            set_status(&txn, &order, next, changes, now).await?;
            txn.commit().await?;
            order.status = next;
            order.cancel_reason = reason.to_owned();
            order.updated_at = now;
            Ok(Applied::Moved(order))
        })
        .await
    }

    /// Applies [`OrderEvent::PaidWithoutStock`]: the order is cancelled and flagged as
    /// needing a refund, with a REFUND_REQUIRED payment event, in one transaction. Its
    /// reservation must be released first. Flagged already, it records a DUPLICATE event and
    /// changes nothing, so repeated and concurrent calls flag it once.
    pub async fn flag_refund(&self, id: OrderId, detail: &str) -> Result<Applied, Error> {
        let detail = detail.to_owned();
        self.to_completion(move |store| async move { store.flag_refund_inner(id, &detail).await })
            .await
    }

    async fn flag_refund_inner(&self, id: OrderId, detail: &str) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, OrderEvent::PaidWithoutStock).await?;
            let now = shop_common::db::now();
            let (applied, outcome) = match step {
                Step::To(next) => {
                    let reason = RefundCause::of(order.status).cancel_reason(&order.cancel_reason);
                    let changes = vec![(order::Column::CancelReason, Expr::value(reason.clone()))];
                    set_status(&txn, &order, next, changes, now).await?;
                    order.status = next;
                    order.cancel_reason = reason;
                    order.updated_at = now;
                    (Applied::Moved(order), PaymentOutcome::RefundRequired)
                }
                Step::Stay => (Applied::Unchanged(order), PaymentOutcome::Duplicate),
                Step::Refuse => return Ok(Applied::Refused(order)),
            };
            insert_event(
                &txn,
                id.as_uuid(),
                PaymentStatus::Paid,
                outcome,
                detail,
                now,
            )
            .await?;
            txn.commit().await?;
            Ok(applied)
        })
        .await
    }
}

/// Loads and locks an order, and asks the state machine what `event` does to it.
pub(super) async fn lock_for(
    txn: &DatabaseTransaction,
    id: OrderId,
    event: OrderEvent,
) -> Result<(Order, Step), Error> {
    let order = load_locked(txn, id)
        .await?
        .ok_or(Error::OrderNotFound(id))?;
    let step = transition(order.status, event);
    Ok((order, step))
}

/// Compare-and-set of the status (its two columns, plus `changes`): fails unless the order
/// is still in the status it was read in.
pub(super) async fn set_status(
    txn: &DatabaseTransaction,
    order: &Order,
    next: OrderStatus,
    changes: Vec<(order::Column, SimpleExpr)>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next.as_str()))
        .col_expr(
            order::Column::RefundRequired,
            Expr::value(next.refund_required()),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(order::Column::Id.eq(order.id.as_uuid()))
        .filter(order::Column::Status.eq(order.status.as_str()))
        .filter(order::Column::RefundRequired.eq(order.status.refund_required()))
        .filter(if order.status.refunded() {
            order::Column::RefundedAt.is_not_null()
        } else {
            order::Column::RefundedAt.is_null()
        })
        .exec(txn)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(DbErr::RecordNotUpdated.into())
    }
}

/// Queues the order's invoice (at most one job per order), remembering the trace context of
/// the request that queued it.
async fn enqueue_invoice(
    txn: &DatabaseTransaction,
    id: OrderId,
    now: DateTime<Utc>,
    trace: Option<&str>,
) -> Result<(), Error> {
    let job = invoice_job::ActiveModel {
        order_id: Set(id.as_uuid()),
        state: Set(InvoiceJobState::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        message_id: Set(shop_invoice::message_id(id.as_uuid())),
        sent_at: Set(None),
        failing_since: Set(None),
        trace_context: Set(trace.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    invoice_job::Entity::insert(job)
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
