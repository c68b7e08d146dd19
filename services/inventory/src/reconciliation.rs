//! Periodic reconciliation: checks every product's counters against its reservations, logs
//! and exports any drift (`shop_stock_drift_products`), and refreshes the reservation gauges
//! (`shop_reservations{state}`).

use std::time::Duration;

use shop_common::names::StoredName;
use strum::VariantArray;
use tokio_util::sync::CancellationToken;

use crate::{domain::ReservationState, error::Error, store::Store};

/// Reconciles every `interval` until `shutdown`.
pub async fn run(store: Store, interval: Duration, shutdown: CancellationToken) {
    shop_common::periodic::every(interval, shutdown, "reconciliation", || async {
        reconcile(&store).await.map(drop)
    })
    .await;
}

/// One pass; returns how many products drift.
pub async fn reconcile(store: &Store) -> Result<usize, Error> {
    let counters = store.product_counters().await?;
    let mut drifting = 0;
    for product in &counters {
        if let Some(problem) = product.problem() {
            drifting += 1;
            tracing::error!(product_id = %product.product_id, sku = %product.sku, %problem, "stock counters drift");
        }
    }
    metrics::gauge!("shop_stock_drift_products").set(drifting as f64);
    let by_state = store.reservations_by_state().await?;
    for &state in ReservationState::VARIANTS {
        let count = by_state.get(&state).copied().unwrap_or(0);
        metrics::gauge!("shop_reservations", "state" => state.as_str()).set(count as f64);
    }
    Ok(drifting)
}
