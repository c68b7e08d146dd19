//! Composing invoices and sending them over real SMTP to the test sink.

use std::time::Duration;

use shop_invoice::testing::sample_invoice;
use shop_invoice::{Delivery, Mailbox, Mailer, compose, message_id};
use shop_testkit::SmtpSink;

const WAIT: Duration = Duration::from_secs(10);

fn sender() -> Mailbox {
    "shop <invoices@shop.localhost>".parse().expect("sender")
}

async fn sink_and_mailer() -> (SmtpSink, Mailer) {
    let sink = SmtpSink::start().await.expect("sink starts");
    let mailer = Mailer::smtp(&sink.url()).expect("mailer");
    (sink, mailer)
}

#[tokio::test]
async fn an_invoice_sent_over_smtp_arrives_complete() {
    let (sink, mailer) = sink_and_mailer().await;
    let invoice = sample_invoice();
    let order = invoice.order_id.to_string();
    let message = compose(&invoice, &sender()).expect("compose");

    let delivery = mailer.send(&message).await.expect("delivered");
    assert!(
        matches!(&delivery, Delivery::Smtp { response, .. } if response.starts_with("250")),
        "{delivery:?}"
    );

    let mails = sink.wait_for(1, WAIT).await.expect("one mail");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["juergen@example.com"]);
    assert_eq!(mails[0].mail_from, "invoices@shop.localhost");

    let mail = mails[0].parse().expect("a parseable mail");
    assert_eq!(mail.to, vec!["juergen@example.com"]);
    assert_eq!(mail.to_name.as_deref(), Some("Jürgen Weiß-Éluard"));
    assert_eq!(mail.from.as_deref(), Some("invoices@shop.localhost"));
    assert_eq!(
        mail.subject.as_deref(),
        Some(format!("Your invoice for order {order}").as_str())
    );
    let expected_id = message_id(invoice.order_id);
    assert_eq!(
        mail.message_id.as_deref(),
        Some(expected_id.trim_matches(['<', '>']))
    );
    assert_eq!(
        mail.content_types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "application/pdf"
        ]
    );
    for body in [&mail.text, &mail.html] {
        let body = body.as_deref().expect("text and html parts");
        assert!(body.contains(&order), "{body}");
        assert!(body.contains("64.99 EUR"), "{body}");
    }

    let name = format!("invoice-{order}.pdf");
    let pdf = mail.attachment(&name).expect("the PDF is attached");
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&pdf.bytes).expect("PDF text");
    assert!(text.contains(&order), "{text}");
}

#[tokio::test]
async fn a_resent_invoice_carries_the_same_message_id() {
    let (sink, mailer) = sink_and_mailer().await;
    let invoice = sample_invoice();
    for _ in 0..2 {
        let message = compose(&invoice, &sender()).expect("compose");
        mailer.send(&message).await.expect("delivered");
    }
    let mails = sink.wait_for(2, WAIT).await.expect("two mails");
    let ids: Vec<_> = mails
        .iter()
        .map(|m| m.parse().and_then(|p| p.message_id))
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert!(ids[0].is_some());
}

#[tokio::test]
async fn a_refused_mail_is_a_transient_error_and_the_retry_delivers_exactly_one() {
    let (sink, mailer) = sink_and_mailer().await;
    let message = compose(&sample_invoice(), &sender()).expect("compose");
    sink.refuse_next(1);

    let error = mailer.send(&message).await.expect_err("refused");
    assert!(error.is_transient(), "{error}");
    assert_eq!(error.smtp_code(), Some(451));

    mailer.send(&message).await.expect("the retry is delivered");
    assert_eq!(sink.wait_for(1, WAIT).await.expect("one mail").len(), 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sink.messages().len(), 1, "exactly one mail arrived");
}

#[tokio::test]
async fn a_rejected_mail_is_a_permanent_error() {
    let (sink, mailer) = sink_and_mailer().await;
    let message = compose(&sample_invoice(), &sender()).expect("compose");
    sink.reject_next(1);

    let error = mailer.send(&message).await.expect_err("rejected");
    assert!(error.is_permanent(), "{error}");
    assert_eq!(error.smtp_code(), Some(550));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_stopped_server_is_a_transient_error_and_a_restarted_one_delivers() {
    let (sink, mailer) = sink_and_mailer().await;
    let message = compose(&sample_invoice(), &sender()).expect("compose");
    // One delivery first, so the mailer holds a pooled connection that the outage breaks.
    mailer
        .send(&message)
        .await
        .expect("delivered before the outage");

    sink.stop().await;
    assert!(!sink.is_running().await);
    let error = mailer.send(&message).await.expect_err("server is down");
    assert!(error.is_transient(), "{error}");
    assert_eq!(error.smtp_code(), None, "no server, no reply code");

    sink.restart().await.expect("same port again");
    mailer
        .send(&message)
        .await
        .expect("delivered after the restart");
    assert_eq!(sink.wait_for(2, WAIT).await.expect("two mails").len(), 2);
}

#[tokio::test]
async fn waiting_for_mails_that_never_come_times_out() {
    let sink = SmtpSink::start().await.expect("sink");
    let error = sink
        .wait_for(1, Duration::from_millis(50))
        .await
        .expect_err("nothing was sent");
    assert_eq!((error.expected, error.received), (1, 0));
}
