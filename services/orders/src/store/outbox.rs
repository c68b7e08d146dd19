//! The invoice worker's side of the outbox: claiming due jobs under a lease, and recording
//! what sending them did.
//!
//! A claim sets `locked_until` (the lease) and counts the attempt, in one short transaction;
//! on PostgreSQL the due rows are picked with `FOR UPDATE SKIP LOCKED`, so any number of
//! workers on any number of machines claim disjoint jobs without waiting on each other (on
//! SQLite the `IMMEDIATE` transaction serialises claims). The mail is sent outside any
//! transaction; a worker that dies mid-send leaves the lease to run out, and the job is
//! claimed again — the mail keeps its Message-ID, so a resend is recognisable.
//!
//! A claim also gives every job it takes that has no invoice number yet its number, in the
//! same transaction (see `numbering`): allocated once, kept for every later attempt.
//!
//! Every claim counts an attempt, so the attempt number a worker holds is its claim's token:
//! recording a failure is a compare-and-set on it, and a worker whose lease ran out cannot
//! overwrite what the worker that claimed the job after it does.

use shop_common::db::Transactional as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType},
};
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{Store, entity::invoice_job, numbering::assign_invoice_numbers};
use crate::{
    domain::{AfterFailure, InvoiceJobState, InvoiceNumber, OrderId},
    error::Error,
};

/// A job this worker now holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The order whose invoice to send.
    pub order_id: OrderId,
    /// This attempt's number (1 for the first).
    pub attempt: i32,
    /// When the job was queued, i.e. when the order was confirmed.
    pub queued_at: DateTime<Utc>,
    /// When its current run of failures began, if the last attempt failed (see
    /// `domain::RetryPolicy`).
    pub failing_since: Option<DateTime<Utc>>,
    /// The invoice's number, allocated by the first claim and the same for every later one.
    pub invoice_number: InvoiceNumber,
    /// The W3C `traceparent` of the request that queued the job, if it ran in a trace.
    pub trace_context: Option<String>,
}

impl Store {
    /// Claims up to `limit` due jobs for `lease`.
    pub async fn claim_invoice_jobs(
        &self,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<ClaimedJob>, Error> {
        self.retrying(|| async {
            let now = shop_common::db::now();
            let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
            let txn = self.begin_write().await?;
            let due: Vec<Due> = invoice_job::Entity::find()
                .select_only()
                .column(invoice_job::Column::OrderId)
                .column(invoice_job::Column::Attempts)
                .column(invoice_job::Column::CreatedAt)
                .column(invoice_job::Column::FailingSince)
                .column(invoice_job::Column::TraceContext)
                .filter(invoice_job::Column::State.eq(InvoiceJobState::Pending.as_str()))
                .filter(invoice_job::Column::NextAttemptAt.lte(now))
                .filter(
                    Condition::any()
                        .add(invoice_job::Column::LockedUntil.is_null())
                        .add(invoice_job::Column::LockedUntil.lte(now)),
                )
                .order_by_asc(invoice_job::Column::NextAttemptAt)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .into_tuple()
                .all(&txn)
                .await?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            invoice_job::Entity::update_many()
                .col_expr(invoice_job::Column::LockedUntil, Expr::value(until))
                .col_expr(
                    invoice_job::Column::Attempts,
                    Expr::col(invoice_job::Column::Attempts).add(1),
                )
                .col_expr(invoice_job::Column::UpdatedAt, Expr::value(now))
                .filter(invoice_job::Column::OrderId.is_in(due.iter().map(|(id, ..)| *id)))
                .exec(&txn)
                .await?;
            // Last, so the year's counter row is locked only until the commit right after.
            let confirmed: Vec<(Uuid, DateTime<Utc>)> =
                due.iter().map(|(id, _, at, ..)| (*id, *at)).collect();
            let numbers = assign_invoice_numbers(&txn, &confirmed).await?;
            txn.commit().await?;
            due.into_iter()
                .map(|(id, attempts, queued_at, failing_since, trace_context)| {
                    let invoice_number = *numbers.get(&id).ok_or_else(|| {
                        Error::Database(sea_orm::DbErr::Custom(format!(
                            "order {id} was given no invoice number"
                        )))
                    })?;
                    Ok(ClaimedJob {
                        order_id: OrderId::from_uuid(id),
                        attempt: attempts + 1,
                        queued_at,
                        failing_since,
                        invoice_number,
                        trace_context,
                    })
                })
                .collect()
        })
        .await
    }

    /// Records a delivered invoice. Whoever holds the job now, it was sent: this is true
    /// even from a worker whose lease ran out (a job claimed again meanwhile stays sent).
    pub async fn mark_invoice_sent(&self, order_id: OrderId) -> Result<(), Error> {
        self.retrying(|| async {
            let now = shop_common::db::now();
            invoice_job::Entity::update_many()
                .col_expr(
                    invoice_job::Column::State,
                    Expr::value(InvoiceJobState::Sent.as_str()),
                )
                .col_expr(invoice_job::Column::SentAt, Expr::value(now))
                .col_expr(
                    invoice_job::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    invoice_job::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(invoice_job::Column::UpdatedAt, Expr::value(now))
                .filter(invoice_job::Column::OrderId.eq(order_id.as_uuid()))
                .exec(&self.db)
                .await?;
            Ok(())
        })
        .await
    }

    /// Records the failure of `job`'s attempt: retried later, or dead. False, and nothing
    /// changes, when the job was claimed again since (its lease ran out) or is no longer
    /// pending: that claim's worker decides now.
    pub async fn mark_invoice_failed(
        &self,
        job: &ClaimedJob,
        error: &str,
        after: AfterFailure,
    ) -> Result<bool, Error> {
        self.retrying(|| async {
            let now = shop_common::db::now();
            let mut update = invoice_job::Entity::update_many()
                .col_expr(
                    invoice_job::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(invoice_job::Column::LastError, Expr::value(error))
                .col_expr(
                    invoice_job::Column::FailingSince,
                    Expr::value(job.failing_since.unwrap_or(now)),
                )
                .col_expr(invoice_job::Column::UpdatedAt, Expr::value(now));
            update = match after {
                AfterFailure::RetryIn(delay) => update.col_expr(
                    invoice_job::Column::NextAttemptAt,
                    Expr::value(
                        now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
                    ),
                ),
                AfterFailure::Dead(_) => update.col_expr(
                    invoice_job::Column::State,
                    Expr::value(InvoiceJobState::Dead.as_str()),
                ),
            };
            let written = update
                .filter(invoice_job::Column::OrderId.eq(job.order_id.as_uuid()))
                .filter(invoice_job::Column::State.eq(InvoiceJobState::Pending.as_str()))
                .filter(invoice_job::Column::Attempts.eq(job.attempt))
                .exec(&self.db)
                .await?;
            Ok(written.rows_affected == 1)
        })
        .await
    }
}

/// A due job as the claim reads it: order, attempts so far, queued at, failing since, trace.
type Due = (
    Uuid,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

/// The outbox at a glance, for the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Jobs per state.
    pub by_state: Vec<(InvoiceJobState, i64)>,
    /// When the oldest due pending job became due, if any is due.
    pub oldest_due: Option<DateTime<Utc>>,
}

impl Store {
    /// Jobs per state, and the oldest due pending job.
    pub async fn outbox_stats(&self) -> Result<OutboxStats, Error> {
        use sea_orm::sea_query::Func;
        let counts: Vec<(String, i64)> = invoice_job::Entity::find()
            .select_only()
            .column(invoice_job::Column::State)
            .column_as(
                Expr::from(Func::count(Expr::col(invoice_job::Column::OrderId))),
                "count",
            )
            .group_by(invoice_job::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let oldest_due: Option<DateTime<Utc>> = invoice_job::Entity::find()
            .select_only()
            .column(invoice_job::Column::NextAttemptAt)
            .filter(invoice_job::Column::State.eq(InvoiceJobState::Pending.as_str()))
            .filter(invoice_job::Column::NextAttemptAt.lte(shop_common::db::now()))
            .order_by_asc(invoice_job::Column::NextAttemptAt)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(OutboxStats {
            by_state: counts
                .into_iter()
                .filter_map(|(state, n)| InvoiceJobState::parse(&state).map(|s| (s, n)))
                .collect(),
            oldest_due,
        })
    }
}
