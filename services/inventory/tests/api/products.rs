use shop_proto::inventory::{reasons, v1 as pb};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{assert_code, bad_fields, new_id, reason, spawn_app};

test_on_both_databases! {
    a_created_product_reads_back_with_nothing_reserved => created_product_reads_back;
    a_duplicate_sku_is_refused_as_already_exists => duplicate_sku;
    bad_product_input_is_invalid_argument_naming_the_field => bad_product_input;
    unknown_product_ids_are_not_found => unknown_product;
    listing_pages_through_every_product_once => listing_pages;
    adjusting_stock_moves_it_but_never_below_zero => adjusting_stock;
}

async fn created_product_reads_back(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let created = app.create_product("MUG-1", 12).await;
    assert_eq!(
        (created.stock, created.stock_reserved, created.available),
        (12, 0, 12)
    );
    let read = app.product(&created.id).await;
    assert_eq!(read, created);
    assert_eq!(read.sku, "MUG-1");
    assert_eq!(read.name, "Product MUG-1");
}

async fn duplicate_sku(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_product("MUG-1", 1).await;
    let status = assert_code(
        app.client
            .clone()
            .create_product(pb::CreateProductRequest {
                sku: "MUG-1".into(),
                name: "Another".into(),
                stock: 5,
            })
            .await,
        Code::AlreadyExists,
    );
    assert!(status.message().contains("MUG-1"), "{status:?}");
    assert_eq!(reason(&status).as_deref(), Some(reasons::SKU_TAKEN));
    let page = app
        .client
        .clone()
        .list_products(pb::ListProductsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.products.len(), 1, "the duplicate was not stored");
}

async fn bad_product_input(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.create_product("OK-1", 1).await;
    let mut client = app.client.clone();
    let cases: Vec<(&str, Result<tonic::Response<pb::Product>, tonic::Status>)> = vec![
        (
            "sku",
            client
                .create_product(pb::CreateProductRequest {
                    sku: "".into(),
                    name: "x".into(),
                    stock: 1,
                })
                .await,
        ),
        (
            "sku",
            client
                .create_product(pb::CreateProductRequest {
                    sku: "A B".into(),
                    name: "x".into(),
                    stock: 1,
                })
                .await,
        ),
        (
            "name",
            client
                .create_product(pb::CreateProductRequest {
                    sku: "A".into(),
                    name: " ".into(),
                    stock: 1,
                })
                .await,
        ),
        (
            "stock",
            client
                .create_product(pb::CreateProductRequest {
                    sku: "A".into(),
                    name: "x".into(),
                    stock: -1,
                })
                .await,
        ),
        (
            "id",
            client
                .get_product(pb::GetProductRequest {
                    id: "not-a-uuid".into(),
                })
                .await,
        ),
        (
            "product_id",
            client
                .adjust_stock(pb::AdjustStockRequest {
                    product_id: "42".into(),
                    delta: 1,
                    reason: "".into(),
                    ..Default::default()
                })
                .await,
        ),
        (
            "delta",
            client
                .adjust_stock(pb::AdjustStockRequest {
                    product_id: product.id.clone(),
                    delta: 0,
                    reason: "".into(),
                    ..Default::default()
                })
                .await,
        ),
        (
            "page_size",
            client
                .list_products(pb::ListProductsRequest {
                    page_size: -1,
                    page_token: "".into(),
                    ..Default::default()
                })
                .await
                .map(|_| tonic::Response::new(pb::Product::default())),
        ),
        (
            "page_token",
            client
                .list_products(pb::ListProductsRequest {
                    page_size: 1,
                    page_token: "%%%".into(),
                    ..Default::default()
                })
                .await
                .map(|_| tonic::Response::new(pb::Product::default())),
        ),
    ];
    for (field, result) in cases {
        let status = assert_code(result, Code::InvalidArgument);
        assert!(
            status.message().starts_with(field),
            "message names {field}: {status:?}"
        );
        assert_eq!(bad_fields(&status), vec![field.to_string()]);
    }
    app.assert_counters(&product.id, 1, 0, 1).await;
}

async fn unknown_product(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = new_id();
    let status = assert_code(
        app.client
            .clone()
            .get_product(pb::GetProductRequest { id: id.clone() })
            .await,
        Code::NotFound,
    );
    assert!(status.message().contains(&id), "{status:?}");
    assert_code(app.adjust(&id, 5).await, Code::NotFound);
}

async fn listing_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(app.create_product(&format!("SKU-{i}"), i).await.id);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client
            .clone()
            .list_products(pb::ListProductsRequest {
                page_size: 3,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.products.len() <= 3);
        seen.extend(page.products.into_iter().map(|p| p.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, created, "every product once, in creation order");
}

async fn adjusting_stock(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.create_product("MUG-1", 5).await;
    let up = app.adjust(&product.id, 10).await.unwrap();
    assert_eq!(up.stock, 15);
    let down = app.adjust(&product.id, -15).await.unwrap();
    assert_eq!(down.stock, 0);
    let status = assert_code(app.adjust(&product.id, -1).await, Code::FailedPrecondition);
    assert_eq!(reason(&status).as_deref(), Some(reasons::STOCK_BELOW_ZERO));
    app.assert_counters(&product.id, 0, 0, 0).await;
}
