//! What the operator console asks of inventory: finding products by SKU or name, and stock
//! adjustments that keep the operator's name.

use sea_orm::{ConnectionTrait, Statement};
use shop_proto::inventory::v1 as pb;
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{TestApp, spawn_app};

test_on_both_databases! {
    products_are_found_by_sku_or_name_in_any_case_and_wildcards_are_literal => search;
    a_stock_adjustment_keeps_the_operator_and_the_reason => operator_recorded;
}

async fn skus(app: &TestApp, query: &str) -> Vec<String> {
    let mut token = String::new();
    let mut found = Vec::new();
    loop {
        let page = app
            .client
            .clone()
            .list_products(pb::ListProductsRequest {
                query: query.into(),
                page_size: 1,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        found.extend(page.products.into_iter().map(|p| p.sku));
        if page.next_page_token.is_empty() {
            return found;
        }
        token = page.next_page_token;
    }
}

async fn search(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for sku in ["MUG-RED", "MUG-BLUE", "TEA_50", "TEAPOT"] {
        app.create_product(sku, 1).await;
    }
    // Names are "Product <sku>".
    assert_eq!(skus(&app, "mug").await, ["MUG-RED", "MUG-BLUE"]);
    assert_eq!(skus(&app, "  Blue ").await, ["MUG-BLUE"]);
    assert_eq!(skus(&app, "product tea").await, ["TEA_50", "TEAPOT"]);
    assert_eq!(skus(&app, "TEA_").await, ["TEA_50"], "_ is no wildcard");
    assert!(skus(&app, "%").await.is_empty(), "% is no wildcard");
    assert_eq!(skus(&app, "").await.len(), 4);
}

async fn operator_recorded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 5).await;
    let adjusted = app
        .client
        .clone()
        .adjust_stock(pb::AdjustStockRequest {
            product_id: mug.id.clone(),
            delta: -2,
            reason: "broken in the warehouse".into(),
            operator: " grace ".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(adjusted.stock, 3);

    let rows = app
        .database
        .db
        .query_all_raw(Statement::from_string(
            app.database.db.get_database_backend(),
            "SELECT operator, reason, delta FROM stock_adjustments",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let operator: String = rows[0].try_get("", "operator").unwrap();
    let reason: String = rows[0].try_get("", "reason").unwrap();
    let delta: i64 = rows[0].try_get("", "delta").unwrap();
    assert_eq!(
        (operator.as_str(), reason.as_str(), delta),
        ("grace", "broken in the warehouse", -2)
    );

    let refused = app
        .client
        .clone()
        .adjust_stock(pb::AdjustStockRequest {
            product_id: mug.id.clone(),
            delta: 1,
            reason: "x".into(),
            operator: "a".repeat(101),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("operator"), "{refused:?}");
    assert_eq!(app.product(&mug.id).await.stock, 3, "nothing changed");
}
