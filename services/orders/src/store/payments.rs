//! The payment events: one row per RecordPayment call.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use shop_common::db::Transactional as _;
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{
    Store,
    entity::{order, payment_event},
};
use crate::{
    domain::{PaymentEvent, PaymentOutcome, PaymentStatus},
    error::Error,
};

impl Store {
    /// How many orders were paid but cannot be filled, and wait for their refund.
    pub async fn count_refund_required(&self) -> Result<u64, Error> {
        use sea_orm::PaginatorTrait as _;
        Ok(order::Entity::find()
            .filter(order::Column::RefundRequired.eq(true))
            .count(&self.db)
            .await?)
    }

    /// Records a RecordPayment call that changed nothing (or was refused).
    pub async fn record_payment_event(
        &self,
        order_id: Uuid,
        status: PaymentStatus,
        outcome: PaymentOutcome,
        detail: &str,
    ) -> Result<(), Error> {
        self.retrying(|| async {
            insert_event(
                &self.db,
                order_id,
                status,
                outcome,
                detail,
                shop_common::db::now(),
            )
            .await
        })
        .await
    }

    /// Up to `limit` events after `after`, oldest first, optionally of one order and/or one
    /// outcome.
    pub async fn list_payment_events(
        &self,
        order_id: Option<Uuid>,
        outcome: Option<PaymentOutcome>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<PaymentEvent>, Error> {
        let mut query = payment_event::Entity::find()
            .order_by_asc(payment_event::Column::Id)
            .limit(limit);
        if let Some(order_id) = order_id {
            query = query.filter(payment_event::Column::OrderId.eq(order_id));
        }
        if let Some(outcome) = outcome {
            query = query.filter(payment_event::Column::Outcome.eq(outcome.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(payment_event::Column::Id.gt(after));
        }
        query
            .all(&self.db)
            .await?
            .into_iter()
            .map(event_from)
            .collect()
    }
}

/// Inserts one payment event (inside the caller's transaction when `conn` is one).
pub(super) async fn insert_event(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    status: PaymentStatus,
    outcome: PaymentOutcome,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    payment_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        status: Set(status.as_str().to_owned()),
        outcome: Set(outcome.as_str().to_owned()),
        detail: Set(detail.to_owned()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn event_from(m: payment_event::Model) -> Result<PaymentEvent, Error> {
    let corrupt = |what: &str, value: &str| {
        Error::Database(sea_orm::DbErr::Type(format!(
            "payment event {} has unknown {what} {value:?}",
            m.id
        )))
    };
    Ok(PaymentEvent {
        id: m.id,
        order_id: m.order_id,
        status: PaymentStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?,
        outcome: PaymentOutcome::parse(&m.outcome).ok_or_else(|| corrupt("outcome", &m.outcome))?,
        detail: m.detail.clone(),
        created_at: m.created_at,
    })
}
