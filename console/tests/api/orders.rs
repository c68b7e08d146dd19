//! Orders, an order's detail and actions, payments to refund, and invoices.

use std::time::Duration;

use reqwest::StatusCode;
use shop_proto::{inventory::v1 as inv, orders::v1 as pb};
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{location, spawn_console};

test_on_both_databases! {
    orders_are_found_by_email_status_and_date_newest_first => find_orders;
    an_order_shows_its_items_events_reservation_and_invoice_and_can_be_cancelled => detail;
    a_dead_invoice_is_listed_first_resent_and_its_pdf_downloaded => invoices;
    a_payment_to_refund_is_marked_refunded_with_a_note => refunds;
}

async fn find_orders(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 100).await;
    let first = app.create_order(&mug.id, 1, "grace@example.com").await;
    let other = app.create_order(&mug.id, 1, "linus@example.com").await;
    let second = app.create_order(&mug.id, 2, "Grace@Example.com").await;
    app.pay(&second.id).await.unwrap();
    app.sign_in().await;

    let (status, page) = app.get("/orders?email=GRACE%40example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&first.id) && page.contains(&second.id),
        "{page}"
    );
    assert!(!page.contains(&other.id));
    let newest = page.find(&second.id).unwrap();
    assert!(newest < page.find(&first.id).unwrap(), "newest first");
    assert!(page.contains("25.00 EUR"), "totals: {page}");

    let (_, page) = app
        .get("/orders?email=grace%40example.com&status=confirmed")
        .await;
    assert!(page.contains(&second.id) && !page.contains(&first.id));
    let today = chrono::Utc::now().date_naive();
    let (_, page) = app.get(&format!("/orders?from={today}&to={today}")).await;
    assert!(page.contains(&first.id) && page.contains(&other.id));
    let tomorrow = today.succ_opt().unwrap();
    let (_, page) = app.get(&format!("/orders?from={tomorrow}")).await;
    assert!(page.contains("No order matches."), "{page}");

    let (status, page) = app.get("/orders?from=7.12.2026").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Enter a date as YYYY-MM-DD"), "{page}");
    assert!(page.contains(r#"aria-describedby="from-error""#));
}

async fn detail(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 10).await;
    let order = app.create_order(&mug.id, 2, "grace@example.com").await;
    let token = app.sign_in().await;

    let path = format!("/orders/{}", order.id);
    let (status, page) = app.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<td class="num" id="total">25.00 EUR</td>"#),
        "{page}"
    );
    assert!(page.contains("awaiting payment"));
    assert!(
        page.contains(&format!("{}: active", order.id)),
        "the reservation: {page}"
    );
    assert!(page.contains("None: the order was never confirmed."));

    let response = app
        .post(
            &format!("{path}/cancel"),
            &[("reason", "customer called"), ("csrf", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(location(&response)).await;
    assert!(page.contains("Order cancelled."));
    assert!(
        page.contains("customer called (cancelled by ada)"),
        "{page}"
    );
    assert!(page.contains(&format!("{}: released", order.id)));
    let stored = app.order(&order.id).await;
    assert_eq!(stored.status(), pb::OrderStatus::Cancelled);
    assert_eq!(app.product(&mug.id).await.stock_reserved, 0);

    let (status, _) = app.get(&format!("/orders/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn invoices(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 10).await;
    let order = app.create_order(&mug.id, 2, "grace@example.com").await;
    app.smtp.reject_next(1);
    app.pay(&order.id).await.unwrap();
    app.wait_for_job(&order.id, pb::InvoiceJobState::Dead).await;
    let sent = app.create_order(&mug.id, 1, "linus@example.com").await;
    app.pay(&sent.id).await.unwrap();
    app.wait_for_job(&sent.id, pb::InvoiceJobState::Sent).await;
    let token = app.sign_in().await;

    let (_, page) = app.get("/invoices").await;
    let dead_section = page.find("Dead: gave up").unwrap();
    let sent_section = page.find("<h2 id=\"h-sent\"").unwrap();
    let dead_row = page.find(&order.id).unwrap();
    assert!(
        dead_section < dead_row && dead_row < sent_section,
        "dead first: {page}"
    );
    assert!(page[sent_section..].contains(&sent.id));

    let before = app.smtp.messages().len();
    let response = app
        .post(
            &format!("/orders/{}/resend", order.id),
            &[("back", "invoices"), ("csrf", &token)],
        )
        .await;
    assert_eq!(location(&response), "/invoices?done=resent");
    app.wait_for_job(&order.id, pb::InvoiceJobState::Sent).await;
    let mails = app
        .smtp
        .wait_for(before + 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(mails.iter().any(|m| m.rcpt_to == ["grace@example.com"]));

    let response = app
        .http
        .get(app.url(&format!("/orders/{}/invoice.pdf", order.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("invoice-{}.pdf", order.id))
    );
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
}

async fn refunds(backend: Backend) {
    let Some(app) = spawn_console(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", "Blue mug", 10).await;
    let order = app.create_order(&mug.id, 8, "grace@example.com").await;
    app.inventory
        .clone()
        .adjust_stock(inv::AdjustStockRequest {
            product_id: mug.id.clone(),
            delta: -5,
            reason: "stocktake".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    app.pay(&order.id).await.unwrap_err();
    let token = app.sign_in().await;

    let (_, page) = app.get("/refunds").await;
    assert!(page.contains(&order.id), "{page}");
    assert!(page.contains("100.00 EUR"));
    let path = format!("/refunds/{}", order.id);
    let response = app.post(&path, &[("note", " "), ("csrf", &token)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Say how it was refunded"), "{page}");
    assert!(app.order(&order.id).await.refund_required, "unchanged");

    let response = app
        .post(&path, &[("note", "refund re_42"), ("csrf", &token)])
        .await;
    assert_eq!(location(&response), "/refunds?done=refunded");
    let (_, page) = app.get("/refunds?done=refunded").await;
    assert!(
        page.contains("No payment is waiting to be refunded."),
        "{page}"
    );
    let stored = app.order(&order.id).await;
    assert!(!stored.refund_required);
    assert_eq!(
        (stored.refunded_by.as_str(), stored.refund_note.as_str()),
        ("ada", "refund re_42")
    );
    let (_, page) = app.get(&format!("/orders/{}", order.id)).await;
    assert!(page.contains("cancelled, refunded") && page.contains("refund re_42"));
}
