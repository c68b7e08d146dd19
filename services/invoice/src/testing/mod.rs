//! Test helpers (feature `testing`): a real SMTP server and mail parsing.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use shop_invoice::testing::SmtpSink;
//!
//! let sink = SmtpSink::start().await?;
//! let mailer = shop_invoice::Mailer::smtp(&sink.url())?;
//! // … send something with `mailer` …
//! let mails = sink.wait_for(1, Duration::from_secs(5)).await?;
//! let parsed = mails[0].parse().ok_or("not a mail")?;
//! assert!(parsed.attachment("invoice-….pdf").is_some());
//! # Ok(()) }
//! ```

mod parsed;
mod session;
mod smtp_sink;

pub use parsed::{ParsedAttachment, ParsedMail};
pub use smtp_sink::{ReceivedMail, SmtpSink, WaitTimeout};

/// A small EUR invoice with non-ASCII customer and product names (`Jürgen Weiß-Éluard`,
/// `Crème brûlée torch`), two lines and a total of `64.99 EUR`.
pub fn sample_invoice() -> crate::Invoice {
    crate::invoice::sample_invoice()
}
