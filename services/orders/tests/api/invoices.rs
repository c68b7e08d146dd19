use std::{collections::HashSet, time::Duration};

use shop_invoice::{DEFAULT_MAIL_FROM, MailConfig};
use shop_proto::orders::v1 as pb;
use shop_testkit::{ParsedMail, SmtpSink};
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::helpers::{PAID, TestSystem, spawn_system};

test_on_both_databases! {
    a_confirmed_order_is_mailed_once_with_its_pdf_invoice => mailed_with_pdf;
    an_smtp_refusal_is_retried_and_the_invoice_delivered_once => refused_then_accepted;
    an_invoice_that_fails_up_to_an_attempt_limit_is_dead_until_resent => dead_then_resent;
    two_workers_send_two_hundred_invoices_each_exactly_once => two_workers;
    without_smtp_the_invoice_is_written_as_an_eml_file => file_mode;
}

pub(crate) fn smtp(sink: &SmtpSink) -> MailConfig {
    MailConfig {
        smtp_url: Some(sink.url()),
        mail_from: DEFAULT_MAIL_FROM.parse().unwrap(),
        mail_dir: "unused".into(),
    }
}

pub(crate) async fn confirmed_order(sys: &TestSystem, product: &str) -> pb::Order {
    let order = sys.create_order(&[(product, 2)]).await;
    sys.pay(&order.id, PAID).await.unwrap();
    order
}

/// Waits until the order's invoice job is in `state`.
pub(crate) async fn wait_for_job(
    sys: &TestSystem,
    order_id: &str,
    state: pb::InvoiceJobState,
) -> pb::InvoiceJob {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let jobs = sys.invoice_jobs().await;
        if let Some(job) = jobs
            .iter()
            .find(|j| j.order_id == order_id && j.state() == state)
        {
            return job.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job never {state:?}: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn mailed_with_pdf(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sys.spawn_worker(smtp(&sink), |_| {});
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    let mails = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let job = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(job.attempts, 1);
    assert!(job.sent_at.is_some());
    assert_eq!(mails[0].rcpt_to, vec!["ada@example.com".to_string()]);
    let mail = mails[0].parse().unwrap();
    assert_eq!(
        mail.subject.as_deref(),
        Some(format!("Your invoice for order {}", order.id).as_str())
    );
    assert_eq!(
        mail.message_id,
        Some(format!("invoice-{}@shop.invoices", order.id))
    );
    assert!(mail.text.as_deref().unwrap().contains(&order.id));
    assert!(mail.html.as_deref().unwrap().contains(&order.id));
    let pdf = mail
        .attachment(&format!("invoice-{}.pdf", order.id))
        .expect("the PDF");
    assert_eq!(pdf.content_type, "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&pdf.bytes).unwrap();
    assert!(text.contains(&order.id), "PDF names the order: {text}");
    assert!(text.contains("25.00 EUR"), "PDF shows the total: {text}");
    assert!(
        text.contains("Ada Lovelace"),
        "PDF names the customer: {text}"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
}

async fn refused_then_accepted(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sink.refuse_next(1);
    sys.spawn_worker(smtp(&sink), |_| {});
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    let job = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(job.attempts, 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "delivered once");
    assert_eq!(
        mails[0].parse().unwrap().message_id,
        Some(format!("invoice-{}@shop.invoices", order.id))
    );
}

async fn dead_then_resent(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sink.stop().await;
    sys.spawn_worker(smtp(&sink), |c| c.max_attempts = Some(3));
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    let dead = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Dead).await;
    assert_eq!(dead.attempts, 3);
    assert!(!dead.last_error.is_empty(), "the last error is kept");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        wait_for_job(&sys, &order.id, pb::InvoiceJobState::Dead)
            .await
            .attempts,
        3,
        "no more attempts"
    );

    sink.restart().await.unwrap();
    let requeued = sys
        .orders
        .clone()
        .resend_invoice(pb::ResendInvoiceRequest {
            order_id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(requeued.state(), pb::InvoiceJobState::Pending);
    sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(sink.messages().len(), 1);
}

async fn two_workers(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    let mug = sys.create_product("MUG", 1000).await;
    let mut ids = HashSet::new();
    for _ in 0..200 {
        ids.insert(confirmed_order(&sys, &mug).await.id);
    }
    sys.spawn_worker(smtp(&sink), |_| {});
    sys.spawn_worker(smtp(&sink), |_| {});

    let mails = sink.wait_for(200, Duration::from_secs(60)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = if sink.messages().len() > mails.len() {
        sink.messages()
    } else {
        mails
    };
    let message_ids: Vec<String> = mails
        .iter()
        .map(|m| m.parse().unwrap().message_id.unwrap())
        .collect();
    let unique: HashSet<&String> = message_ids.iter().collect();
    assert_eq!(message_ids.len(), 200, "200 mails, none twice");
    assert_eq!(unique.len(), 200);
    for id in &ids {
        assert!(
            unique.contains(&format!("invoice-{id}@shop.invoices")),
            "order {id} was mailed"
        );
    }
    let sent = sys
        .orders
        .clone()
        .list_invoice_jobs(pb::ListInvoiceJobsRequest {
            state: pb::InvoiceJobState::Sent.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(sent.len(), 200);
    assert!(
        sent.iter().all(|j| j.attempts == 1),
        "no job was sent twice"
    );
}

async fn file_mode(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mail = MailConfig {
        smtp_url: None,
        mail_from: DEFAULT_MAIL_FROM.parse().unwrap(),
        mail_dir: dir.path().join("mail"),
    };
    sys.spawn_worker(mail, |_| {});
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;
    wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;

    let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let parsed = ParsedMail::parse(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(parsed.to, vec!["ada@example.com".to_string()]);
    assert!(
        parsed
            .attachment(&format!("invoice-{}.pdf", order.id))
            .is_some()
    );
}
