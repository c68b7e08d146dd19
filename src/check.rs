//! `shop check`: the reconciliation report of the inventory service, with an exit status
//! for scripts and cron jobs.

use std::time::Duration;

use anyhow::Context;
use shop_common::grpc::Upstream;
use shop_proto::inventory::v1::{
    CheckStockRequest, inventory_service_client::InventoryServiceClient,
};

/// Prints the report; fails (exit status 1) when any product drifts.
pub async fn run(inventory: Upstream) -> anyhow::Result<()> {
    let inventory_url = inventory.urls.to_string();
    let channel = inventory
        .connect_lazy(Duration::from_secs(30))
        .context("SHOP_INVENTORY_URL")?;
    let mut inventory = InventoryServiceClient::new(channel);
    let report = inventory
        .check_stock(CheckStockRequest {})
        .await
        .with_context(|| {
            format!("cannot reach the inventory service at SHOP_INVENTORY_URL {inventory_url}")
        })?
        .into_inner();
    for drift in &report.drifts {
        println!(
            "DRIFT {} (sku {}): stock {}, stock_reserved {}, active reservations {}: {}",
            drift.product_id,
            drift.sku,
            drift.stock,
            drift.stock_reserved,
            drift.active_reserved,
            drift.problem
        );
    }
    println!(
        "checked {} products: {}",
        report.products_checked,
        match report.drifts.len() {
            0 => "no drift".to_owned(),
            n => format!("{n} drifting"),
        }
    );
    anyhow::ensure!(
        report.drifts.is_empty(),
        "{} products drift",
        report.drifts.len()
    );
    Ok(())
}
