//! Test support for the shop's tests (a dev-dependency only, never part of a build that
//! ships): [`db::TestDatabase`], a fresh migrated database per test (SQLite, and PostgreSQL
//! when `TEST_DATABASE_URL` is set) with [`test_on_both_databases!`]; [`SmtpSink`], a real
//! SMTP server on 127.0.0.1 that keeps what it receives; and [`ParsedMail`], the parts of a
//! received mail (or an `.eml` file) tests look at.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use shop_testkit::SmtpSink;
//!
//! let sink = SmtpSink::start().await?;
//! // … send something to `sink.url()` …
//! let mails = sink.wait_for(1, Duration::from_secs(5)).await?;
//! let parsed = mails[0].parse().ok_or("not a mail")?;
//! assert!(parsed.attachment("invoice-….pdf").is_some());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod db;
mod parsed;
mod session;
mod smtp_sink;

pub use parsed::{ParsedAttachment, ParsedMail};
pub use smtp_sink::{ReceivedMail, SmtpSink, WaitTimeout};
