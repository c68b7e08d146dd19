//! Orders and their items: storing new ones and reading them (status changes are in
//! `transitions`).

use shop_common::db::Transactional as _;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationDef, sea_query::LockType,
};
use uuid::Uuid;

use super::{
    Store,
    entity::{order, order_item},
};
use crate::{
    domain::{NewOrder, Order, OrderId, OrderItem, OrderStatus, ProductId, Refund, TaxRate},
    error::Error,
};

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
        let (new, request_id) = (new.clone(), request_id.map(str::to_owned));
        self.to_completion(move |store| async move {
            let request_id = request_id.as_deref();
            store
                .insert_order_inner(id, &new, reservation_id, payment_deadline, request_id)
                .await
        })
        .await
    }

    async fn insert_order_inner(
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
                customer_address: Set(new
                    .customer_address
                    .as_ref()
                    .map_or_else(String::new, |a| a.as_str().to_owned())),
                currency: Set(new.currency.as_str().to_owned()),
                total_minor: Set(new.total_minor),
                reservation_id: Set(reservation_id),
                payment_deadline: Set(payment_deadline),
                cancel_reason: Set(String::new()),
                refund_required: Set(OrderStatus::AwaitingPayment.refund_required()),
                request_id: Set(request_id.map(str::to_owned)),
                created_at: Set(now),
                updated_at: Set(now),
                refunded_at: Set(None),
                refunded_by: Set(None),
                refund_note: Set(None),
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
                        tax_rate_bp: Set(
                            i32::try_from(item.tax_rate.basis_points()).unwrap_or(i32::MAX)
                        ),
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

    /// The orders among `ids` (in no particular order), with two queries for all of them.
    pub async fn orders(&self, ids: &[OrderId]) -> Result<Vec<Order>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = order::Entity::find()
            .filter(order::Column::Id.is_in(ids.iter().map(|id| id.as_uuid())))
            .all(&self.db)
            .await?;
        with_items(&self.db, rows).await
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
}

/// One order with its items.
pub(super) async fn load(conn: &impl ConnectionTrait, id: OrderId) -> Result<Option<Order>, Error> {
    load_joined(conn, id, false).await
}

/// One order with its items, its row locked until `txn` ends (`FOR UPDATE` on PostgreSQL;
/// on SQLite the `IMMEDIATE` transaction already holds the write lock).
pub(super) async fn load_locked(
    txn: &DatabaseTransaction,
    id: OrderId,
) -> Result<Option<Order>, Error> {
    load_joined(txn, id, true).await
}

/// The order and its items in one statement (a LEFT JOIN), not two: every round trip to the
/// database counts on the webhook path (BENCHMARKS.md). Only the order's row is locked, not
/// its items', which never change.
async fn load_joined(
    conn: &impl ConnectionTrait,
    id: OrderId,
    lock: bool,
) -> Result<Option<Order>, Error> {
    let items: RelationDef = order_item::Entity::belongs_to(order::Entity)
        .from(order_item::Column::OrderId)
        .to(order::Column::Id)
        .into();
    let mut select = order::Entity::find_by_id(id.as_uuid())
        .join(JoinType::LeftJoin, items.rev())
        .order_by_asc(order_item::Column::Position)
        .select_also(order_item::Entity);
    if lock {
        QueryTrait::query(&mut select).lock_with_tables(LockType::Update, [order::Entity]);
    }
    let mut rows = select.all(conn).await?.into_iter();
    let Some((row, first)) = rows.next() else {
        return Ok(None);
    };
    let items = first
        .into_iter()
        .chain(rows.filter_map(|(_, item)| item))
        .map(item_from)
        .collect();
    assemble(row, items).map(Some)
}

/// Attaches their items to order rows, with one query.
pub(super) async fn with_items(
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
        items
            .entry(item.order_id)
            .or_default()
            .push(item_from(item));
    }
    rows.into_iter()
        .map(|row| {
            let row_items = items.remove(&row.id).unwrap_or_default();
            assemble(row, row_items)
        })
        .collect()
}

fn item_from(item: order_item::Model) -> OrderItem {
    OrderItem {
        product_id: ProductId::from_uuid(item.product_id),
        name: item.name,
        quantity: item.quantity,
        unit_price_minor: item.unit_price_minor,
        tax_rate: TaxRate::from_stored(item.tax_rate_bp),
    }
}

/// An order from its row and its items (in position order).
fn assemble(row: order::Model, items: Vec<OrderItem>) -> Result<Order, Error> {
    let refund = match (row.refunded_at, row.refunded_by, row.refund_note) {
        (Some(at), by, note) => Some(Refund {
            at,
            by: by.unwrap_or_default(),
            note: note.unwrap_or_default(),
        }),
        _ => None,
    };
    let status = OrderStatus::from_stored(&row.status, row.refund_required, refund.is_some())
        .ok_or_else(|| {
            Error::Database(DbErr::Type(format!(
                "order {} has unknown status {:?} (refund_required {}, refunded {})",
                row.id,
                row.status,
                row.refund_required,
                refund.is_some()
            )))
        })?;
    Ok(Order {
        id: OrderId::from_uuid(row.id),
        status,
        items,
        customer_email: row.customer_email,
        customer_name: row.customer_name,
        customer_address: row.customer_address,
        currency: row.currency,
        total_minor: row.total_minor,
        reservation_id: row.reservation_id,
        payment_deadline: row.payment_deadline,
        cancel_reason: row.cancel_reason,
        request_id: row.request_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        refund,
    })
}
