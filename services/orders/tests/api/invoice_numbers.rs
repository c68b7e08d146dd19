//! The invoice as a document: what the PDF says (read back from the mail that arrived), and
//! its sequential number, allocated once per order without gaps however many workers run.

use std::{collections::BTreeSet, time::Duration};

use chrono::{DateTime, Datelike, Utc};
use shop_orders::faults::FaultPoint;
use shop_proto::orders::v1 as pb;
use shop_testkit::{ReceivedMail, SmtpSink};
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{PAID, SELLER, assert_code, spawn_system};
use crate::invoices::{confirmed_order, smtp, wait_for_job};

test_on_both_databases! {
    the_invoice_names_seller_buyer_number_dates_and_tax_per_rate => whole_document;
    several_workers_number_invoices_without_gaps_each_exactly_once => several_workers;
    a_retried_resent_or_crash_reclaimed_invoice_keeps_its_number => number_kept;
    a_tax_rate_out_of_range_is_refused_naming_the_item => bad_tax_rate;
}

/// The text of the invoice PDF attached to `mail`, for order `order_id`.
fn pdf_text(mail: &ReceivedMail, order_id: &str) -> String {
    let parsed = mail.parse().expect("a mail");
    let pdf = parsed
        .attachment(&format!("invoice-{order_id}.pdf"))
        .expect("the PDF");
    pdf_extract::extract_text_from_mem(&pdf.bytes).expect("the PDF's text")
}

/// The order a mail's Message-ID names.
fn order_of(mail: &ReceivedMail) -> String {
    let id = mail.parse().unwrap().message_id.unwrap();
    id.strip_prefix("invoice-")
        .and_then(|rest| rest.strip_suffix("@shop.invoices"))
        .unwrap_or_else(|| panic!("unexpected Message-ID {id}"))
        .to_owned()
}

/// The extracted line holding `label`, checked to hold every one of `cells`.
#[track_caller]
fn assert_row(text: &str, label: &str, cells: &[&str]) {
    let line = text
        .lines()
        .find(|line| line.contains(label))
        .unwrap_or_else(|| panic!("no line with {label:?}: {text}"));
    for cell in cells {
        assert!(line.contains(cell), "{cell:?} missing in {line:?}");
    }
}

/// A protobuf timestamp's seconds as a UTC time (to the second: enough for dates and minutes).
fn utc(seconds: Option<i64>) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds.expect("a timestamp"), 0).unwrap()
}

/// When the job was queued: when its order was confirmed (the invoice and payment date).
fn confirmed_at(job: &pb::InvoiceJob) -> DateTime<Utc> {
    utc(job.created_at.as_ref().map(|t| t.seconds))
}

/// `(year, number)` of an invoice number such as `2026-000042`.
fn parse_number(number: &str) -> (i32, i64) {
    let (year, n) = number
        .split_once('-')
        .unwrap_or_else(|| panic!("not YYYY-NNNNNN: {number:?}"));
    assert_eq!(n.len(), 6, "{number}");
    (year.parse().unwrap(), n.parse().unwrap())
}

fn item(product_id: &str, name: &str, quantity: i32, unit: i64, rate: i32) -> pb::OrderItem {
    pb::OrderItem {
        product_id: product_id.into(),
        name: name.into(),
        quantity,
        unit_price_minor: unit,
        line_total_minor: 0,
        tax_rate_bp: rate,
    }
}

async fn whole_document(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sys.spawn_worker(smtp(&sink), |_| {});
    let mug = sys.create_product("MUG", 10).await;
    let tea = sys.create_product("TEA", 10).await;
    let request = pb::CreateOrderRequest {
        customer_email: "zoe@example.com".into(),
        customer_name: "Zoë Ångström".into(),
        currency: "EUR".into(),
        items: vec![
            item(&mug, "Blue mug", 2, 1250, 1900),
            item(&tea, "Green tea", 3, 333, 700),
        ],
        request_id: String::new(),
        customer_address: "Rue de l'Église 7; 75001 Paris".into(),
    };
    let order = sys
        .orders
        .clone()
        .create_order(request)
        .await
        .unwrap()
        .into_inner();
    let stored = sys.order(&order.id).await;
    let rates: Vec<i32> = stored.items.iter().map(|i| i.tax_rate_bp).collect();
    assert_eq!(rates, [1900, 700], "the rates are stored");
    assert_eq!(stored.customer_address, "Rue de l'Église 7; 75001 Paris");
    sys.pay(&order.id, PAID).await.unwrap();

    let mails = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let job = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    let confirmed = confirmed_at(&job);
    let number = format!("{}-000001", confirmed.year());
    assert_eq!(job.invoice_number, number, "the year's first invoice");
    let text = pdf_text(&mails[0], &order.id);

    let (seller_name, seller_address, seller_tax_id) = SELLER;
    assert!(text.contains(seller_name), "{text}");
    for line in seller_address.split(';') {
        assert!(text.contains(line.trim()), "{line}: {text}");
    }
    assert!(text.contains(&format!("VAT ID: {seller_tax_id}")), "{text}");
    assert_row(&text, "Invoice number", &[&number]);
    let date = confirmed.format("%Y-%m-%d").to_string();
    assert_row(&text, "Invoice date", &[&date]);
    let paid_at = confirmed.format("%Y-%m-%d %H:%M UTC").to_string();
    assert_row(&text, "Payment date", &[&paid_at]);
    let ordered_at = utc(stored.created_at.as_ref().map(|t| t.seconds))
        .format("%Y-%m-%d %H:%M UTC")
        .to_string();
    assert_row(&text, "Order date", &[&ordered_at]);
    assert_row(&text, "Order", &[&order.id]);
    assert_row(&text, "Bill to", &["Zoë Ångström"]);
    for buyer in ["Rue de l'Église 7", "75001 Paris", "zoe@example.com"] {
        assert!(text.contains(buyer), "{buyer}: {text}");
    }
    assert_row(&text, "Blue mug", &["2", "12.50", "19%", "25.00"]);
    assert_row(&text, "Green tea", &["3", "3.33", "7%", "9.99"]);
    // 9.99 × 7/107 = 0.6535… → 0.65; 25.00 × 19/119 = 3.9915… → 3.99.
    assert_row(&text, "VAT 7%", &["9.34", "0.65", "9.99"]);
    assert_row(&text, "VAT 19%", &["21.01", "3.99", "25.00"]);
    assert_row(&text, "Total ", &["30.35", "4.64", "34.99"]);
    assert_row(&text, "Total paid", &["34.99 EUR"]);
}

async fn several_workers(backend: Backend) {
    const ORDERS: usize = 40;
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    let mug = sys.create_product("MUG", 1000).await;
    for _ in 0..ORDERS / 2 {
        confirmed_order(&sys, &mug).await;
    }
    // Four workers on one database, claiming while more orders are confirmed.
    for _ in 0..4 {
        sys.spawn_worker(smtp(&sink), |c| c.concurrency = 2);
    }
    for _ in ORDERS / 2..ORDERS {
        confirmed_order(&sys, &mug).await;
    }

    sink.wait_for(ORDERS, Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.messages();
    assert_eq!(mails.len(), ORDERS, "each invoice mailed once");
    let jobs = sys.invoice_jobs().await;
    assert_eq!(jobs.len(), ORDERS);
    let years: BTreeSet<i32> = jobs.iter().map(|j| confirmed_at(j).year()).collect();
    let numbers: BTreeSet<(i32, i64)> = jobs
        .iter()
        .map(|j| parse_number(&j.invoice_number))
        .collect();
    let expected: BTreeSet<(i32, i64)> = years
        .iter()
        .flat_map(|&year| {
            let count = jobs
                .iter()
                .filter(|j| confirmed_at(j).year() == year)
                .count();
            (1..=count as i64).map(move |n| (year, n))
        })
        .collect();
    assert_eq!(
        numbers, expected,
        "1, 2, 3, … per year: none skipped, none twice"
    );
    for mail in &mails {
        let order = order_of(mail);
        let job = jobs.iter().find(|j| j.order_id == order).expect("its job");
        let text = pdf_text(mail, &order);
        assert_row(&text, "Invoice number", &[&job.invoice_number]);
    }
}

async fn number_kept(backend: Backend) {
    let Some(mut sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    let mug = sys.create_product("MUG", 10).await;

    // Refused once, then retried: one number.
    sink.refuse_next(1);
    sys.spawn_worker(smtp(&sink), |_| {});
    let first = confirmed_order(&sys, &mug).await;
    let sent = wait_for_job(&sys, &first.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(sent.attempts, 2);
    let (year, number) = parse_number(&sent.invoice_number);
    assert_eq!(number, 1);

    // Resent on request: the same number on the second mail.
    sys.orders
        .clone()
        .resend_invoice(pb::ResendInvoiceRequest {
            order_id: first.id.clone(),
        })
        .await
        .unwrap();
    let mails = sink.wait_for(2, Duration::from_secs(10)).await.unwrap();
    for mail in &mails {
        assert_row(
            &pdf_text(mail, &first.id),
            "Invoice number",
            &[&sent.invoice_number],
        );
    }

    // A worker that sends and dies before recording it: the job is claimed again by another
    // worker once the lease runs out, and mailed again under the same number.
    sys.stop_workers();
    sys.faults.arm(FaultPoint::InvoiceOutcome, usize::MAX);
    sys.spawn_worker(smtp(&sink), |c| c.lease = Duration::from_secs(1));
    let second = confirmed_order(&sys, &mug).await;
    sink.wait_for(3, Duration::from_secs(10)).await.unwrap();
    sys.stop_workers();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    sys.faults.arm(FaultPoint::InvoiceOutcome, 0);
    sys.spawn_worker(smtp(&sink), |_| {});
    let resent = wait_for_job(&sys, &second.id, pb::InvoiceJobState::Sent).await;
    assert!(resent.attempts >= 2, "claimed again: {resent:?}");
    assert_eq!(
        parse_number(&resent.invoice_number),
        (year, 2),
        "the next number, once"
    );
    let mails: Vec<ReceivedMail> = sink
        .messages()
        .into_iter()
        .filter(|m| order_of(m) == second.id)
        .collect();
    assert_eq!(mails.len(), 2, "mailed by the dead worker and again");
    for mail in &mails {
        assert_row(
            &pdf_text(mail, &second.id),
            "Invoice number",
            &[&resent.invoice_number],
        );
    }
    let first_again = wait_for_job(&sys, &first.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(first_again.invoice_number, sent.invoice_number);
}

async fn bad_tax_rate(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let mug = sys.create_product("MUG", 10).await;
    for rate in [-1, 10_001] {
        let request = pb::CreateOrderRequest {
            customer_email: "ada@example.com".into(),
            customer_name: "Ada".into(),
            currency: "EUR".into(),
            items: vec![
                item(&mug, "Mug", 1, 100, 0),
                item(&mug, "Mug", 1, 100, rate),
            ],
            request_id: String::new(),
            customer_address: String::new(),
        };
        let status = assert_code(
            sys.orders.clone().create_order(request).await,
            tonic::Code::InvalidArgument,
        );
        assert!(
            status.message().contains("items[1].tax_rate_bp"),
            "{status:?}"
        );
    }
    let listed = sys
        .orders
        .clone()
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.orders.is_empty(), "nothing stored: {listed:?}");
}
