//! Without an SMTP server, mails land as `.eml` files a person can open.

use shop_invoice::testing::sample_invoice;
use shop_invoice::{Delivery, Mailbox, Mailer, compose};
use shop_testkit::ParsedMail;

#[tokio::test]
async fn without_an_smtp_url_the_mail_is_written_as_a_parseable_eml_file() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("mail/outbox");
    let mailer = Mailer::dir(&dir).expect("mailer");
    assert!(dir.is_dir(), "the mail dir is created up front");

    let invoice = sample_invoice();
    let from: Mailbox = "shop <invoices@shop.localhost>".parse().expect("sender");
    let message = compose(&invoice, &from).expect("compose");
    let delivery = mailer.send(&message).await.expect("written");

    let Delivery::File(path) = delivery else {
        panic!("expected a file, got {delivery:?}");
    };
    assert_eq!(path.parent(), Some(dir.as_path()));
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read(&path).expect("the file exists");
    let mail = ParsedMail::parse(&raw).expect("a parseable mail");
    assert_eq!(mail.to, vec!["juergen@example.com"]);
    let name = format!("invoice-{}.pdf", invoice.order_id);
    let pdf = mail.attachment(&name).expect("the PDF is attached");
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    let entries: Vec<_> = std::fs::read_dir(&dir).expect("dir").collect();
    assert_eq!(entries.len(), 1, "no temporary files are left behind");
}

#[tokio::test]
async fn each_send_writes_its_own_file() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mailer = Mailer::dir(temp.path()).expect("mailer");
    let from: Mailbox = "invoices@shop.localhost".parse().expect("sender");
    let message = compose(&sample_invoice(), &from).expect("compose");
    let first = mailer.send(&message).await.expect("first");
    let second = mailer.send(&message).await.expect("second");
    assert_ne!(first, second);
}
