//! Invoice jobs as operators see them: listing and re-queueing. (The worker's claiming and
//! completion live with the worker.)

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{Store, entity::invoice_job, numbering::numbers_of, orders::load};
use crate::{
    domain::{InvoiceJob, InvoiceJobState, OrderId},
    error::Error,
};

impl Store {
    /// Up to `limit` jobs after order `after`, optionally only in `state`.
    pub async fn list_invoice_jobs(
        &self,
        state: Option<InvoiceJobState>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<InvoiceJob>, Error> {
        let mut query = invoice_job::Entity::find()
            .order_by_asc(invoice_job::Column::OrderId)
            .limit(limit);
        if let Some(state) = state {
            query = query.filter(invoice_job::Column::State.eq(state.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(invoice_job::Column::OrderId.gt(after));
        }
        let rows = query.all(&self.db).await?;
        with_numbers(&self.db, rows).await
    }

    /// One order's invoice job: [`Error::NoInvoice`] for an order that was never confirmed.
    pub async fn invoice_job(&self, order_id: OrderId) -> Result<InvoiceJob, Error> {
        match invoice_job::Entity::find_by_id(order_id.as_uuid())
            .one(&self.db)
            .await?
        {
            Some(row) => Ok(with_numbers(&self.db, vec![row]).await?.remove(0)),
            None if load(&self.db, order_id).await?.is_some() => Err(Error::NoInvoice(order_id)),
            None => Err(Error::OrderNotFound(order_id)),
        }
    }

    /// Queues an order's invoice to be sent again now, with a fresh attempt budget and retry
    /// window.
    pub async fn requeue_invoice(&self, order_id: OrderId) -> Result<InvoiceJob, Error> {
        let now = shop_common::db::now();
        invoice_job::Entity::update_many()
            .col_expr(
                invoice_job::Column::State,
                Expr::value(InvoiceJobState::Pending.as_str()),
            )
            .col_expr(invoice_job::Column::Attempts, Expr::value(0))
            .col_expr(
                invoice_job::Column::FailingSince,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(invoice_job::Column::NextAttemptAt, Expr::value(now))
            .col_expr(
                invoice_job::Column::LockedUntil,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(invoice_job::Column::UpdatedAt, Expr::value(now))
            .filter(invoice_job::Column::OrderId.eq(order_id.as_uuid()))
            .exec(&self.db)
            .await?;
        self.invoice_job(order_id).await
    }
}

/// Jobs from their rows, with the invoice numbers allocated so far (one query for all).
async fn with_numbers(
    conn: &impl sea_orm::ConnectionTrait,
    rows: Vec<invoice_job::Model>,
) -> Result<Vec<InvoiceJob>, Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let numbers = numbers_of(conn, rows.iter().map(|row| row.order_id)).await?;
    rows.into_iter()
        .map(|row| {
            let number = numbers.get(&row.order_id).copied();
            job_from(row).map(|job| InvoiceJob {
                invoice_number: number,
                ..job
            })
        })
        .collect()
}

fn job_from(m: invoice_job::Model) -> Result<InvoiceJob, Error> {
    let state = InvoiceJobState::parse(&m.state).ok_or_else(|| {
        Error::Database(sea_orm::DbErr::Type(format!(
            "invoice job {} has unknown state {:?}",
            m.order_id, m.state
        )))
    })?;
    Ok(InvoiceJob {
        order_id: OrderId::from_uuid(m.order_id),
        state,
        attempts: m.attempts,
        last_error: m.last_error,
        next_attempt_at: m.next_attempt_at,
        message_id: m.message_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        sent_at: m.sent_at,
        invoice_number: None,
    })
}
