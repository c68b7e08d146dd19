//! The background task that cancels orders not paid by their deadline (and releases their
//! stock). The orders service owns this decision; see `domain::order`.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::OrdersApp;

const BATCH: u64 = 200;

/// Cancels overdue orders every `interval` until `shutdown`.
pub async fn run(app: OrdersApp, interval: Duration, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        loop {
            match app.expire_overdue(BATCH).await {
                Ok(n) if (n as u64) == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "order expiry sweep failed; retrying on the next tick");
                    break;
                }
            }
        }
    }
}
