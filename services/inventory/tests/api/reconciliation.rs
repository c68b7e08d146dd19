use sea_orm::{ConnectionTrait, Statement};
use shop_inventory::reconciliation;
use shop_proto::inventory::v1 as pb;
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{new_id, spawn_app};

test_on_both_databases! {
    consistent_counters_are_reported_without_drift => no_drift;
    a_counter_out_of_step_with_its_reservations_is_reported_as_drift => drift;
}

async fn check(app: &crate::helpers::TestApp) -> pb::CheckStockResponse {
    app.client
        .clone()
        .check_stock(pb::CheckStockRequest {})
        .await
        .unwrap()
        .into_inner()
}

async fn no_drift(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 10).await;
    let tea = app.create_product("TEA", 5).await;
    app.reserve(&new_id(), &[(&mug.id, 3), (&tea.id, 1)])
        .await
        .unwrap();
    let committed = new_id();
    app.reserve(&committed, &[(&mug.id, 2)]).await.unwrap();
    app.commit(&committed).await.unwrap();
    let released = new_id();
    app.reserve(&released, &[(&tea.id, 4)]).await.unwrap();
    app.release(&released).await.unwrap();

    let report = check(&app).await;
    assert_eq!(report.products_checked, 2);
    assert!(report.drifts.is_empty(), "{report:?}");
}

async fn drift(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 10).await;
    app.create_product("TEA", 5).await;
    app.reserve(&new_id(), &[(&mug.id, 3)]).await.unwrap();
    // A bug (or a hand-edited row) moves the counter without a reservation.
    let db = &app.database.db;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE products SET stock_reserved = stock_reserved + 2 WHERE sku = 'MUG'",
    ))
    .await
    .unwrap();

    let report = check(&app).await;
    assert_eq!(report.products_checked, 2);
    assert_eq!(report.drifts.len(), 1, "{report:?}");
    let drift = &report.drifts[0];
    assert_eq!(
        (drift.product_id.as_str(), drift.sku.as_str()),
        (mug.id.as_str(), "MUG")
    );
    assert_eq!(
        (drift.stock, drift.stock_reserved, drift.active_reserved),
        (10, 5, 3)
    );
    assert!(
        drift
            .problem
            .contains("stock_reserved is 5 but its active reservations hold 3"),
        "{}",
        drift.problem
    );

    // The periodic reconciliation finds the same.
    let store = shop_inventory::store::Store::new(db.clone());
    assert_eq!(reconciliation::reconcile(&store).await.unwrap(), 1);
}
