//! Products: search, counters, and adjusting stock with a reason.

use reqwest::StatusCode;
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{location, spawn_console};

test_on_both_databases! {
    products_are_found_by_sku_or_name_and_show_their_counters => search;
    stock_is_adjusted_with_a_reason_and_bad_fields_are_shown_beside_them => adjust;
}

async fn search(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG-1", "Blue mug", 10).await;
    app.create_product("TEA-1", "Earl Grey", 5).await;
    app.create_order(&mug.id, 3, "grace@example.com").await;
    app.sign_in().await;

    let (status, page) = app.get("/products?q=blue").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("MUG-1") && !page.contains("TEA-1"), "{page}");
    assert!(page.contains(r#"<label for="q">SKU or name</label>"#));
    let (_, page) = app.get("/products?q=tea").await;
    assert!(page.contains("Earl Grey") && !page.contains("MUG-1"));

    let (_, page) = app.get(&format!("/products/{}", mug.id)).await;
    assert!(page.contains(r#"<dd id="stock">10</dd>"#), "{page}");
    assert!(page.contains(r#"<dd id="reserved">3</dd>"#));
    assert!(page.contains(r#"<dd id="available">7</dd>"#));
    let (status, _) = app.get("/products/not-an-id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn adjust(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 10).await;
    let token = app.sign_in().await;
    let path = format!("/products/{}/adjust", mug.id);

    let response = app
        .post(
            &path,
            &[("delta", "-4"), ("reason", "broken"), ("csrf", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/products/{}?adjusted=1", mug.id)
    );
    let (_, page) = app.get(location(&response)).await;
    assert!(page.contains("Stock adjusted."));
    assert!(page.contains(r#"<dd id="stock">6</dd>"#), "{page}");
    assert_eq!(app.product(&mug.id).await.stock, 6);

    for (delta, reason, error) in [
        ("x", "count", "Enter a whole number"),
        ("0", "count", "Enter a whole number"),
        ("3", " ", "Say why"),
        ("-100", "count", "below 0"),
    ] {
        let response = app
            .post(
                &path,
                &[("delta", delta), ("reason", reason), ("csrf", &token)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{delta} {reason}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(error), "{error}: {page}");
        assert!(page.contains(r#"aria-invalid="true""#));
    }
    assert_eq!(app.product(&mug.id).await.stock, 6, "unchanged");
}
