//! MarkRefunded, GetInvoiceJob and GetInvoicePdf: what operators do with a payment to refund
//! and with an invoice a customer asks about.

use std::time::Duration;

use shop_proto::orders::v1::{self as pb, PaymentOutcome as O};
use shop_testkit::SmtpSink;
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::{
    helpers::{PAID, TestSystem, assert_code, spawn_system},
    invoices::{confirmed_order, smtp, wait_for_job},
};

test_on_both_databases! {
    a_refund_required_order_is_marked_refunded_once_with_the_operator_and_note => marked_once;
    only_an_order_whose_payment_must_be_refunded_can_be_marked_refunded => refused;
    the_invoice_pdf_served_is_the_one_attached_to_the_mail => same_pdf;
}

async fn mark(
    sys: &TestSystem,
    order_id: &str,
    operator: &str,
    note: &str,
) -> Result<pb::Order, tonic::Status> {
    sys.orders
        .clone()
        .mark_refunded(pb::MarkRefundedRequest {
            order_id: order_id.into(),
            operator: operator.into(),
            note: note.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// An order paid after its stock was counted away: it must be refunded.
async fn refund_required_order(sys: &TestSystem) -> pb::Order {
    let mug = sys.create_product("MUG", 10).await;
    let order = sys.create_order(&[(&mug, 8)]).await;
    sys.adjust(&mug, -5).await;
    assert_code(sys.pay(&order.id, PAID).await, Code::FailedPrecondition);
    let flagged = sys.order(&order.id).await;
    assert!(flagged.refund_required);
    flagged
}

async fn marked_once(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let order = refund_required_order(&sys).await;

    let refunded = mark(&sys, &order.id, " ada ", "refund re_123 in the dashboard")
        .await
        .unwrap();
    assert_eq!(refunded.status(), pb::OrderStatus::Cancelled);
    assert!(!refunded.refund_required);
    assert!(refunded.refunded_at.is_some());
    assert_eq!(refunded.refunded_by, "ada");
    assert_eq!(refunded.refund_note, "refund re_123 in the dashboard");
    assert_eq!(sys.order(&order.id).await, refunded, "stored");

    // Again, by someone else: the first record stays.
    let again = mark(&sys, &order.id, "bob", "also refunded").await.unwrap();
    assert_eq!(again, refunded);
    // The provider repeats the payment: a duplicate; still refunded.
    assert_eq!(
        sys.pay(&order.id, PAID).await.unwrap().outcome(),
        O::Duplicate
    );
    assert_eq!(sys.order(&order.id).await, refunded);
    // Cancelled orders are listed with it.
    let cancelled = sys
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest {
            status: pb::OrderStatus::Cancelled.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(cancelled, vec![refunded]);
}

async fn refused(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let flagged = refund_required_order(&sys).await;
    let tea = sys.create_product("TEA", 10).await;
    let awaiting = sys.create_order(&[(&tea, 1)]).await;
    let status = assert_code(
        mark(&sys, &awaiting.id, "ada", "note").await,
        Code::FailedPrecondition,
    );
    assert!(status.message().contains("awaiting payment"), "{status:?}");
    assert_eq!(sys.order(&awaiting.id).await, awaiting, "unchanged");

    for (operator, note, field) in [("", "note", "operator"), ("ada", " ", "note")] {
        let status = assert_code(
            mark(&sys, &flagged.id, operator, note).await,
            Code::InvalidArgument,
        );
        assert!(status.message().contains(field), "{status:?}");
    }
    assert_eq!(sys.order(&flagged.id).await, flagged, "unchanged");
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(mark(&sys, &unknown, "ada", "note").await, Code::NotFound);
}

async fn same_pdf(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;
    let get = |id: String| {
        let mut client = sys.orders.clone();
        async move {
            client
                .get_invoice_pdf(pb::GetInvoicePdfRequest { order_id: id })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let job = |id: String| {
        let mut client = sys.orders.clone();
        async move {
            client
                .get_invoice_job(pb::GetInvoiceJobRequest { order_id: id })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    // Not composed yet: no worker runs.
    assert_code(get(order.id.clone()).await, Code::NotFound);
    assert_eq!(
        job(order.id.clone()).await.unwrap().state(),
        pb::InvoiceJobState::Pending
    );
    let unpaid = sys.create_order(&[(&mug, 1)]).await;
    assert_code(get(unpaid.id.clone()).await, Code::FailedPrecondition);
    assert_code(job(unpaid.id.clone()).await, Code::FailedPrecondition);
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_code(job(unknown).await, Code::NotFound);

    let sink = SmtpSink::start().await.unwrap();
    sys.spawn_worker(smtp(&sink), |_| {});
    let mails = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let sent = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(job(order.id.clone()).await.unwrap(), sent);
    let mail = mails[0].parse().unwrap();
    let file_name = format!("invoice-{}.pdf", order.id);
    let attached = mail.attachment(&file_name).expect("the PDF");

    let served = get(order.id.clone()).await.unwrap();
    assert_eq!(served.pdf, attached.bytes, "byte for byte");
    assert_eq!(served.file_name, file_name);
    assert!(!sent.invoice_number.is_empty());
    assert_eq!(served.invoice_number, sent.invoice_number);
    let text = pdf_extract::extract_text_from_mem(&served.pdf).unwrap();
    assert!(text.contains(&sent.invoice_number), "{text}");
}
