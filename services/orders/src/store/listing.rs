//! Listing orders for people: filters and keyset paging over the time-ordered ids.
//!
//! Order ids are UUIDv7, so id order is creation order and the page token (the last id of a
//! page) pages either way. Each filter has an index ending in `id` (see the migration
//! `m20261208_000006_operator_console`), so a page costs one short index range however many
//! orders there are.

use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};

use super::{Store, entity::order, orders::with_items};
use crate::{
    domain::{Order, OrderFilter, OrderId},
    error::Error,
};

impl Store {
    /// Up to `limit` orders matching `filter`, after `after` in the filter's direction.
    pub async fn list_orders(
        &self,
        filter: &OrderFilter,
        after: Option<OrderId>,
        limit: u64,
    ) -> Result<Vec<Order>, Error> {
        let mut query = order::Entity::find().limit(limit);
        query = if filter.newest_first {
            query.order_by_desc(order::Column::Id)
        } else {
            query.order_by_asc(order::Column::Id)
        };
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        if let Some(email) = &filter.customer_email {
            // The same expression as the index `idx_orders_email_id`.
            query = query.filter(
                Expr::expr(Func::lower(Expr::col(order::Column::CustomerEmail)))
                    .eq(email.to_lowercase()),
            );
        }
        if let Some(from) = filter.created_after {
            query = query.filter(order::Column::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_before {
            query = query.filter(order::Column::CreatedAt.lt(until));
        }
        if let Some(after) = after {
            query = query.filter(if filter.newest_first {
                order::Column::Id.lt(after.as_uuid())
            } else {
                order::Column::Id.gt(after.as_uuid())
            });
        }
        let rows = query.all(&self.db).await?;
        with_items(&self.db, rows).await
    }
}
