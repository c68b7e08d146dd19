//! Writes the sample invoice's PDF and mail into a directory, to look at them:
//! `cargo run -p shop-invoice --example sample_invoice -- /tmp/invoice`

use shop_invoice::testing::sample_invoice;
use shop_invoice::{DEFAULT_MAIL_FROM, Mailer, compose, render_pdf};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample-invoice".to_owned());
    let invoice = sample_invoice();
    let mailer = Mailer::dir(&dir)?;
    let pdf = std::path::Path::new(&dir).join(format!("invoice-{}.pdf", invoice.order_id));
    std::fs::write(&pdf, render_pdf(&invoice)?)?;
    println!("PDF: {}", pdf.display());
    let delivery = mailer
        .send(&compose(&invoice, &DEFAULT_MAIL_FROM.parse()?)?)
        .await?;
    println!("mail: {delivery}");
    Ok(())
}
