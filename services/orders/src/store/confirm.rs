//! Confirming a paid order in one statement on PostgreSQL: the paid webhook's path.
//!
//! The general path ([`Store::confirm_paid`]) takes six round trips: BEGIN, the locking load,
//! the compare-and-set, the invoice job, the payment event, COMMIT. When the caller has just
//! read the order and the state machine moves it from the status read, the same three writes
//! are one statement, atomic on its own: the compare-and-set on that status, and the job and
//! the event inserted only if it matched. If it did not (a concurrent payment or cancel got
//! there first), nothing changed and the general path decides under the row lock.
//!
//! The job keeps the request's trace context (a bound value of the same statement), so the
//! invoice's delivery joins the webhook's trace.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_common::db::Transactional as _;
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{Applied, Store};
use crate::{
    domain::{InvoiceJobState, Order, OrderEvent, PaymentOutcome, PaymentStatus, Step, transition},
    error::Error,
};

const CONFIRM_AWAITING: &str = r#"
WITH moved AS (
    UPDATE orders
    SET status = $4, refund_required = $5, reservation_id = $6, updated_at = $7
    WHERE id = $1 AND status = $2 AND refund_required = $3
    RETURNING id
), job AS (
    INSERT INTO invoice_jobs
        (order_id, state, attempts, next_attempt_at, message_id, created_at, updated_at,
         trace_context)
    SELECT id, $8, 0, $7, $9, $7, $7, $14 FROM moved
    ON CONFLICT (order_id) DO NOTHING
), event AS (
    INSERT INTO payment_events (id, order_id, status, outcome, detail, created_at)
    SELECT $10, id, $11, $12, $13, $7 FROM moved
)
SELECT count(*) AS moved FROM moved"#;

impl Store {
    /// [`Store::confirm_paid`] for `order` as the caller just read it: on PostgreSQL, when the
    /// state machine confirms it from that status, one statement instead of a transaction.
    pub async fn confirm_paid_order(
        &self,
        order: Order,
        reservation_id: Uuid,
        detail: &str,
    ) -> Result<Applied, Error> {
        let moves = matches!(
            transition(order.status, OrderEvent::StockCommitted),
            Step::To(_)
        );
        if self.db.get_database_backend() == DbBackend::Postgres && moves {
            let detail_owned = detail.to_owned();
            let seen = order.clone();
            // Taken here, in the request's context, not in the task the work runs on.
            let trace = shop_common::telemetry::current_traceparent();
            let moved = self
                .to_completion(move |store| async move {
                    store
                        .retrying(|| {
                            store.confirm_in_one_statement(
                                &seen,
                                reservation_id,
                                &detail_owned,
                                trace.as_deref(),
                            )
                        })
                        .await
                })
                .await?;
            if let Some(order) = moved {
                return Ok(Applied::Moved(order));
            }
        }
        self.confirm_paid(order.id, reservation_id, detail).await
    }

    async fn confirm_in_one_statement(
        &self,
        seen: &Order,
        reservation_id: Uuid,
        detail: &str,
        trace: Option<&str>,
    ) -> Result<Option<Order>, Error> {
        let Step::To(next) = transition(seen.status, OrderEvent::StockCommitted) else {
            return Ok(None);
        };
        let now = shop_common::db::now();
        let id = seen.id.as_uuid();
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            CONFIRM_AWAITING,
            [
                id.into(),
                seen.status.as_str().into(),
                seen.status.refund_required().into(),
                next.as_str().into(),
                next.refund_required().into(),
                reservation_id.into(),
                now.into(),
                InvoiceJobState::Pending.as_str().into(),
                shop_invoice::message_id(id).into(),
                Uuid::now_v7().into(),
                PaymentStatus::Paid.as_str().into(),
                PaymentOutcome::Confirmed.as_str().into(),
                detail.into(),
                trace.map(str::to_owned).into(),
            ],
        );
        let row = self.db.query_one_raw(statement).await?;
        let moved: i64 = match row {
            Some(row) => row.try_get("", "moved")?,
            None => 0,
        };
        if moved != 1 {
            return Ok(None);
        }
        let mut order = seen.clone();
        order.status = next;
        order.reservation_id = reservation_id;
        order.updated_at = now;
        Ok(Some(order))
    }
}
