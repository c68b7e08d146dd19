//! Orders and their items; every status change goes through the state machine while the
//! order's row is locked (`FOR UPDATE` on PostgreSQL, an `IMMEDIATE` transaction on SQLite),
//! and the update itself is a compare-and-set on the status it read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use super::{
    Store,
    entity::{invoice_job, order, order_item},
    payments::insert_event,
};
use crate::{
    domain::{
        InvoiceJobState, NewOrder, Order, OrderEvent, OrderId, OrderItem, OrderStatus,
        PaymentOutcome, PaymentStatus, ProductId, Step, transition,
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

/// Why a new order could not be stored.
#[derive(Debug)]
pub enum InsertOutcome {
    /// Stored.
    Inserted(Box<Order>),
    /// Another order already has this request id (a concurrent retry won).
    RequestIdTaken,
}

impl Store {
    /// Stores a new order awaiting payment, with its items, in one transaction.
    pub async fn insert_order(
        &self,
        id: OrderId,
        new: &NewOrder,
        reservation_id: Uuid,
        payment_deadline: DateTime<Utc>,
        request_id: Option<&str>,
    ) -> Result<InsertOutcome, Error> {
        self.retrying(|| async {
            let now = shop_common::db::now();
            let txn = self.begin_write().await?;
            let row = order::ActiveModel {
                id: Set(id.as_uuid()),
                status: Set(OrderStatus::AwaitingPayment.as_str().to_owned()),
                customer_email: Set(new.customer_email.as_str().to_owned()),
                customer_name: Set(new.customer_name.as_str().to_owned()),
                currency: Set(new.currency.as_str().to_owned()),
                total_minor: Set(new.total_minor),
                reservation_id: Set(reservation_id),
                payment_deadline: Set(payment_deadline),
                cancel_reason: Set(String::new()),
                refund_required: Set(false),
                request_id: Set(request_id.map(str::to_owned)),
                created_at: Set(now),
                updated_at: Set(now),
            };
            match order::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
            {
                Err(e) if request_id.is_some() && shop_common::db::is_unique_violation(&e) => {
                    return Ok(InsertOutcome::RequestIdTaken);
                }
                other => other?,
            };
            let items =
                new.items
                    .iter()
                    .enumerate()
                    .map(|(position, item)| order_item::ActiveModel {
                        order_id: Set(id.as_uuid()),
                        position: Set(position as i32),
                        product_id: Set(item.product_id.as_uuid()),
                        name: Set(item.name.as_str().to_owned()),
                        quantity: Set(item.quantity),
                        unit_price_minor: Set(item.unit_price_minor),
                    });
            order_item::Entity::insert_many(items)
                .exec_without_returning(&txn)
                .await?;
            let stored = load(&txn, id).await?.ok_or(Error::OrderNotFound(id))?;
            txn.commit().await?;
            Ok(InsertOutcome::Inserted(Box::new(stored)))
        })
        .await
    }

    /// One order.
    pub async fn order(&self, id: OrderId) -> Result<Order, Error> {
        load(&self.db, id).await?.ok_or(Error::OrderNotFound(id))
    }

    /// The order created with CreateOrder idempotency key `request_id`, if any.
    pub async fn order_by_request_id(&self, request_id: &str) -> Result<Option<Order>, Error> {
        let Some(row) = order::Entity::find()
            .filter(order::Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(with_items(&self.db, vec![row]).await?.remove(0)))
    }

    /// Up to `limit` orders after `after`, oldest first, optionally only in `status`.
    pub async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        after: Option<OrderId>,
        limit: u64,
    ) -> Result<Vec<Order>, Error> {
        let mut query = order::Entity::find()
            .order_by_asc(order::Column::Id)
            .limit(limit);
        if let Some(status) = status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(order::Column::Id.gt(after.as_uuid()));
        }
        let rows = query.all(&self.db).await?;
        with_items(&self.db, rows).await
    }

    /// Orders awaiting payment whose deadline has passed: `(order, reservation)` pairs.
    pub async fn overdue_orders(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(OrderId, Uuid)>, Error> {
        let rows: Vec<(Uuid, Uuid)> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::ReservationId)
            .filter(order::Column::Status.eq(OrderStatus::AwaitingPayment.as_str()))
            .filter(order::Column::PaymentDeadline.lte(now))
            .order_by_asc(order::Column::PaymentDeadline)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, r)| (OrderId::from_uuid(id), r))
            .collect())
    }

    /// Applies [`OrderEvent::StockCommitted`]: confirms the order (its stock held by
    /// `reservation_id` is committed) and queues its invoice, in one transaction with the
    /// payment event. A repeat records a DUPLICATE event and changes nothing.
    pub async fn confirm_paid(
        &self,
        id: OrderId,
        reservation_id: Uuid,
        detail: &str,
    ) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, OrderEvent::StockCommitted).await?;
            let now = shop_common::db::now();
            let applied = match step {
                Step::To(next) => {
                    let changes = vec![
                        (order::Column::ReservationId, Expr::value(reservation_id)),
                        (order::Column::RefundRequired, Expr::value(false)),
                    ];
                    set_status(&txn, &order, next, changes, now).await?;
                    enqueue_invoice(&txn, id, now).await?;
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
                    order.refund_required = false;
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

    /// Applies [`OrderEvent::PaidWithoutStock`]: the order is (or stays) cancelled and is
    /// flagged as needing a refund, with a REFUND_REQUIRED payment event, in one transaction.
    pub async fn flag_refund(&self, id: OrderId, detail: &str) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, OrderEvent::PaidWithoutStock).await?;
            let Step::To(next) = step else {
                return Ok(match step {
                    Step::Refuse => Applied::Refused(order),
                    _ => Applied::Unchanged(order),
                });
            };
            let now = shop_common::db::now();
            let reason = if order.cancel_reason.is_empty() {
                "paid after its reservation lapsed, and the stock was gone".to_owned()
            } else {
                order.cancel_reason.clone()
            };
            let changes = vec![
                (order::Column::RefundRequired, Expr::value(true)),
                (order::Column::CancelReason, Expr::value(reason.clone())),
            ];
            set_status(&txn, &order, next, changes, now).await?;
            insert_event(
                &txn,
                id.as_uuid(),
                PaymentStatus::Paid,
                PaymentOutcome::RefundRequired,
                detail,
                now,
            )
            .await?;
            txn.commit().await?;
            order.status = next;
            order.refund_required = true;
            order.cancel_reason = reason;
            order.updated_at = now;
            Ok(Applied::Moved(order))
        })
        .await
    }
}

/// Loads and locks an order, and asks the state machine what `event` does to it.
async fn lock_for(
    txn: &DatabaseTransaction,
    id: OrderId,
    event: OrderEvent,
) -> Result<(Order, Step), Error> {
    let row = order::Entity::find_by_id(id.as_uuid())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(Error::OrderNotFound(id))?;
    let order = with_items(txn, vec![row]).await?.remove(0);
    let step = transition(order.status, event);
    Ok((order, step))
}

/// Compare-and-set of the status (plus `changes`): fails unless the order is still in the
/// status it was read in.
async fn set_status(
    txn: &DatabaseTransaction,
    order: &Order,
    next: OrderStatus,
    changes: Vec<(order::Column, SimpleExpr)>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(next.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(order::Column::Id.eq(order.id.as_uuid()))
        .filter(order::Column::Status.eq(order.status.as_str()))
        .exec(txn)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(DbErr::RecordNotUpdated.into())
    }
}

/// Queues the order's invoice (at most one job per order).
async fn enqueue_invoice(
    txn: &DatabaseTransaction,
    id: OrderId,
    now: DateTime<Utc>,
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
        created_at: Set(now),
        updated_at: Set(now),
    };
    invoice_job::Entity::insert(job)
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

pub(super) async fn load(conn: &impl ConnectionTrait, id: OrderId) -> Result<Option<Order>, Error> {
    let Some(row) = order::Entity::find_by_id(id.as_uuid()).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(with_items(conn, vec![row]).await?.remove(0)))
}

/// Attaches their items to order rows, with one query.
async fn with_items(
    conn: &impl ConnectionTrait,
    rows: Vec<order::Model>,
) -> Result<Vec<Order>, Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for item in order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(order_item::Column::OrderId)
        .order_by_asc(order_item::Column::Position)
        .all(conn)
        .await?
    {
        items.entry(item.order_id).or_default().push(OrderItem {
            product_id: ProductId::from_uuid(item.product_id),
            name: item.name,
            quantity: item.quantity,
            unit_price_minor: item.unit_price_minor,
        });
    }
    rows.into_iter()
        .map(|row| {
            let status = OrderStatus::parse(&row.status).ok_or_else(|| {
                Error::Database(DbErr::Type(format!(
                    "order {} has unknown status {:?}",
                    row.id, row.status
                )))
            })?;
            Ok(Order {
                id: OrderId::from_uuid(row.id),
                status,
                items: items.remove(&row.id).unwrap_or_default(),
                customer_email: row.customer_email,
                customer_name: row.customer_name,
                currency: row.currency,
                total_minor: row.total_minor,
                reservation_id: row.reservation_id,
                payment_deadline: row.payment_deadline,
                cancel_reason: row.cancel_reason,
                refund_required: row.refund_required,
                request_id: row.request_id,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}
