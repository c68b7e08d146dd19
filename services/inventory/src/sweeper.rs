//! The background task that expires reservations nobody committed or released in time
//! (for example because the orders service died between reserving and saving its order).

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::{error::Error, store::Store};

const BATCH: u64 = 200;

/// Expires due reservations every `interval` until `shutdown`.
pub async fn run(store: Store, interval: Duration, shutdown: CancellationToken) {
    shop_common::periodic::every(interval, shutdown, "reservation sweep", || async {
        sweep(&store).await.map(drop)
    })
    .await;
}

/// Expires every reservation that is due now; returns how many.
pub async fn sweep(store: &Store) -> Result<usize, Error> {
    let mut total = 0;
    loop {
        let expired = store.expire_due_reservations(Utc::now(), BATCH).await?;
        for id in &expired {
            tracing::info!(reservation_id = %id, "reservation expired; its stock is available again");
        }
        total += expired.len();
        if (expired.len() as u64) < BATCH {
            return Ok(total);
        }
    }
}
