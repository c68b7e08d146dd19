//! The background task that cancels orders not paid by their deadline (and releases their
//! stock). The orders service owns this decision; see `domain::order`.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::OrdersApp;

const BATCH: u64 = 200;

/// Cancels overdue orders every `interval` until `shutdown`.
pub async fn run(app: OrdersApp, interval: Duration, shutdown: CancellationToken) {
    shop_common::periodic::every(interval, shutdown, "order expiry sweep", || async {
        // Whole batches mean there may be more overdue orders: go on at once.
        while app.expire_overdue(BATCH).await? as u64 == BATCH {}
        Ok::<_, crate::error::Error>(())
    })
    .await;
}
