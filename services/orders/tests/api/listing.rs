//! ListOrders as staff use it: by customer e-mail (any case), by creation time, by status,
//! newest first, a page at a time.

use std::time::Duration;

use shop_proto::orders::v1 as pb;
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{PAID, TestSystem, assert_code, order_request, spawn_system};

test_on_both_databases! {
    orders_are_found_by_email_status_and_creation_time_newest_first_in_pages => filters;
    an_unknown_order_by_or_an_impossible_time_is_refused_naming_the_field => bad_filters;
}

/// Every page of a listing, concatenated: the ids.
async fn list_all(sys: &TestSystem, request: pb::ListOrdersRequest) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let page = sys
            .orders
            .clone()
            .list_orders(pb::ListOrdersRequest {
                page_size: 2,
                page_token: token,
                ..request.clone()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.orders.len() <= 2);
        ids.extend(page.orders.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        token = page.next_page_token;
    }
}

async fn order_for(sys: &TestSystem, product: &str, email: &str) -> String {
    let mut request = order_request(&[(product, 1)]);
    request.customer_email = email.into();
    sys.orders
        .clone()
        .create_order(request)
        .await
        .unwrap()
        .into_inner()
        .id
}

fn now() -> prost_types::Timestamp {
    shop_common::grpc::timestamp(chrono::Utc::now())
}

async fn filters(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 100).await;
    let a1 = order_for(&sys, &mug, "Grace@Example.com").await;
    let b1 = order_for(&sys, &mug, "linus@example.com").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let middle = now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let a2 = order_for(&sys, &mug, "grace@example.com").await;
    let a3 = order_for(&sys, &mug, "grace@example.com").await;
    let b2 = order_for(&sys, &mug, "linus@example.com").await;
    sys.pay(&a2, PAID).await.unwrap();

    let newest = |request: pb::ListOrdersRequest| pb::ListOrdersRequest {
        order_by: "created_at desc".into(),
        ..request
    };
    assert_eq!(
        list_all(&sys, newest(Default::default())).await,
        [
            b2.as_str(),
            a3.as_str(),
            a2.as_str(),
            b1.as_str(),
            a1.as_str()
        ],
        "newest first"
    );
    assert_eq!(
        list_all(&sys, Default::default()).await,
        [
            a1.as_str(),
            b1.as_str(),
            a2.as_str(),
            a3.as_str(),
            b2.as_str()
        ],
        "oldest first by default"
    );
    let by_email = pb::ListOrdersRequest {
        customer_email: " GRACE@example.COM ".into(),
        ..Default::default()
    };
    assert_eq!(
        list_all(&sys, newest(by_email.clone())).await,
        [a3.as_str(), a2.as_str(), a1.as_str()],
        "the whole address in any case"
    );
    assert!(
        list_all(
            &sys,
            pb::ListOrdersRequest {
                customer_email: "grace@".into(),
                ..Default::default()
            }
        )
        .await
        .is_empty(),
        "no partial match"
    );
    assert_eq!(
        list_all(
            &sys,
            newest(pb::ListOrdersRequest {
                created_after: Some(middle),
                ..by_email.clone()
            })
        )
        .await,
        [a3.as_str(), a2.as_str()]
    );
    assert_eq!(
        list_all(
            &sys,
            newest(pb::ListOrdersRequest {
                created_before: Some(middle),
                ..Default::default()
            })
        )
        .await,
        [b1.as_str(), a1.as_str()]
    );
    assert_eq!(
        list_all(
            &sys,
            newest(pb::ListOrdersRequest {
                status: pb::OrderStatus::AwaitingPayment.into(),
                ..by_email
            })
        )
        .await,
        [a3.as_str(), a1.as_str()]
    );
    let confirmed = sys
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest {
            status: pb::OrderStatus::Confirmed.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.orders.len(), 1);
    assert_eq!(confirmed.orders[0].id, a2);
    assert_eq!(confirmed.orders[0].items.len(), 1, "with its items");
    assert_eq!(
        confirmed.orders[0].reservation_id, a2,
        "reserved under its own id"
    );
}

async fn bad_filters(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    for (request, field) in [
        (
            pb::ListOrdersRequest {
                order_by: "total_minor desc".into(),
                ..Default::default()
            },
            "order_by",
        ),
        (
            pb::ListOrdersRequest {
                created_after: Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                ..Default::default()
            },
            "created_after",
        ),
    ] {
        let status = assert_code(
            sys.orders.clone().list_orders(request).await,
            Code::InvalidArgument,
        );
        assert!(status.message().contains(field), "{status:?}");
    }
}
