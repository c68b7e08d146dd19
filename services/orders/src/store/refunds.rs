//! Marking a refund-required order's payment refunded: the order's row keeps who, when and
//! why, in the same compare-and-set as the status change.

use sea_orm::sea_query::Expr;
use shop_common::db::Transactional as _;

use super::{
    Store,
    entity::order,
    transitions::{Applied, lock_for, set_status},
};
use crate::{
    domain::{OrderEvent, OrderId, Refund, RefundMark, Step},
    error::Error,
};

impl Store {
    /// Applies [`OrderEvent::MarkRefunded`] with `mark`'s operator and note. Refunded
    /// already, it changes nothing (the first record stays).
    pub async fn mark_refunded(&self, id: OrderId, mark: &RefundMark) -> Result<Applied, Error> {
        let mark = mark.clone();
        self.to_completion(move |store| async move { store.mark_refunded_inner(id, &mark).await })
            .await
    }

    async fn mark_refunded_inner(&self, id: OrderId, mark: &RefundMark) -> Result<Applied, Error> {
        self.retrying(|| async {
            let txn = self.begin_write().await?;
            let (mut order, step) = lock_for(&txn, id, OrderEvent::MarkRefunded).await?;
            let next = match step {
                Step::To(next) => next,
                Step::Stay => return Ok(Applied::Unchanged(order)),
                Step::Refuse => return Ok(Applied::Refused(order)),
            };
            let now = shop_common::db::now();
            let changes = vec![
                (order::Column::RefundedAt, Expr::value(now)),
                (
                    order::Column::RefundedBy,
                    Expr::value(mark.operator.clone()),
                ),
                (order::Column::RefundNote, Expr::value(mark.note.clone())),
            ];
            set_status(&txn, &order, next, changes, now).await?;
            txn.commit().await?;
            order.status = next;
            order.updated_at = now;
            order.refund = Some(Refund {
                at: now,
                by: mark.operator.clone(),
                note: mark.note.clone(),
            });
            Ok(Applied::Moved(order))
        })
        .await
    }
}
