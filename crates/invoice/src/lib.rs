//! Invoices for confirmed orders: the PDF, the mail around it, and sending that mail.
//!
//! The orders service's invoice worker loads a confirmed order, builds an [`Invoice`], calls
//! [`compose`] (which calls [`render_pdf`]) and hands the message to a [`Mailer`] built from
//! [`MailConfig`]. This crate knows nothing about databases or gRPC.
//!
//! ```no_run
//! # async fn run(invoice: shop_invoice::Invoice, config: shop_invoice::MailConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let mailer = shop_invoice::Mailer::new(&config)?;
//! let message = shop_invoice::compose(&invoice, &config.mail_from)?;
//! let delivery = mailer.send(&message).await?;
//! tracing::info!(%delivery, "invoice sent");
//! # Ok(()) }
//! ```
//!
//! With the `testing` feature, [`testing::sample_invoice`] is a fixture for tests (the SMTP
//! server they send to is in the dev-only `shop-testkit` crate).

#![warn(missing_docs)]

mod config;
mod invoice;
mod logo;
mod mail;
mod money;
mod pdf;
mod seller;
mod send;
pub mod tax;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::{DEFAULT_MAIL_DIR, DEFAULT_MAIL_FROM, MailConfig, parse_mailbox};
pub use invoice::{Invoice, InvoiceError, InvoiceLine};
pub use logo::Logo;
pub use mail::{attachment_name, compose, compose_with_pdf, message_id, subject};
pub use money::{currency_exponent, format_minor};
pub use pdf::render_pdf;
pub use seller::{
    DEMO_SELLER_ADDRESS, DEMO_SELLER_NAME, DEMO_SELLER_TAX_ID, Seller, SellerConfig, SellerError,
    address_lines,
};
pub use send::{Delivery, Mailer, MailerError, SendError};

/// Re-exported so callers name the same `Mailbox` and `Message` types as this crate's API.
pub use lettre::{Message, message::Mailbox};
