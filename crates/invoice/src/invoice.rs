//! The invoice as plain data, and what can go wrong turning it into a PDF and a mail.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::money::format_minor;
use crate::seller::Seller;
use crate::tax::{TaxBreakdown, TaxTotals, tax_breakdown, tax_totals};

/// Everything printed on an invoice. The caller (the orders service) fills it from a confirmed
/// order; this crate only formats it.
///
/// Amounts are integers in the currency's minor unit (cents for EUR, yen for JPY, fils for
/// KWD). The total is the caller's figure and is printed as given, never recomputed: the
/// order's record is the authority on what was charged. Prices are gross (tax included); the
/// per-rate net and tax are derived from the lines (see [`crate::tax`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// The invoice number printed on the document, e.g. `2026-000123` (chosen by the caller:
    /// sequential per year, allocated once per order).
    pub number: String,
    /// Who issues the invoice.
    pub seller: Seller,
    /// The order this invoice is for; also names the attachment and the Message-ID.
    pub order_id: Uuid,
    /// When the customer placed the order.
    pub ordered_at: DateTime<Utc>,
    /// When the payment was confirmed: the payment date, and the invoice date.
    pub confirmed_at: DateTime<Utc>,
    /// The customer's name as entered; may contain any Unicode (ü, ß, é, …).
    pub customer_name: String,
    /// The customer's e-mail address; the mail goes there.
    pub customer_email: String,
    /// The customer's postal address, one entry per printed line; empty when not given.
    pub customer_address: Vec<String>,
    /// ISO 4217 code, e.g. `EUR`, `USD`, `JPY`, `KWD`; decides how many decimals amounts get.
    pub currency: String,
    /// One entry per ordered product, in the order they are printed.
    pub lines: Vec<InvoiceLine>,
    /// What the customer paid in total, in minor units.
    pub total_minor: i64,
}

/// One line of an invoice: a product, how many, what it cost (gross) and its tax rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// The product's name as shown to the customer.
    pub name: String,
    /// How many units were ordered.
    pub quantity: i64,
    /// The price of one unit, in minor units.
    pub unit_price_minor: i64,
    /// What this line costs in total, in minor units (normally quantity × unit price).
    pub line_total_minor: i64,
    /// The tax rate included in its price, in basis points (`1900` = 19 %, `0` = no tax).
    pub tax_rate_bp: u32,
}

impl Invoice {
    /// Formats an amount of this invoice's currency, e.g. `1234` EUR → `12.34 EUR`.
    pub fn format_amount(&self, amount_minor: i64) -> String {
        format_minor(amount_minor, &self.currency)
    }

    /// The formatted order total, e.g. `42.00 EUR`.
    pub fn formatted_total(&self) -> String {
        self.format_amount(self.total_minor)
    }

    /// Net, tax and gross per tax rate, lowest rate first.
    pub fn tax_breakdown(&self) -> Vec<TaxBreakdown> {
        tax_breakdown(&self.lines)
    }

    /// Net, tax and gross over all rates.
    pub fn tax_totals(&self) -> TaxTotals {
        tax_totals(&self.tax_breakdown())
    }
}

/// Why an invoice could not be rendered or composed into a mail. None of these go away by
/// retrying with the same invoice.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    /// The PDF library refused the document.
    #[error("could not render the invoice PDF: {0}")]
    Pdf(String),
    /// The embedded font could not be read (a broken build, not bad input).
    #[error("the embedded invoice font could not be loaded")]
    Font,
    /// The customer's e-mail address is not an address.
    #[error("the customer e-mail address {email:?} is invalid: {source}")]
    CustomerEmail {
        /// The address as given.
        email: String,
        /// Why lettre refused it.
        #[source]
        source: lettre::address::AddressError,
    },
    /// The mail could not be assembled.
    #[error("could not build the invoice mail: {0}")]
    Message(#[from] lettre::error::Error),
    /// A MIME type of the mail could not be parsed (a bug, not bad input).
    #[error("invalid content type in the invoice mail: {0}")]
    ContentType(#[from] lettre::message::header::ContentTypeErr),
}

/// A small invoice with non-ASCII names, for tests here and in crates using `testing`.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn sample_invoice() -> Invoice {
    use chrono::TimeZone;
    let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 30, 0).single();
    Invoice {
        number: "2026-000042".to_owned(),
        seller: Seller {
            name: "Kaffeerösterei Müller GmbH".to_owned(),
            address: vec!["Hauptstraße 1".to_owned(), "10115 Berlin".to_owned()],
            tax_id: "DE123456789".to_owned(),
            logo: None,
        },
        order_id: Uuid::from_u128(0x0193_6c1e_5b2a_7c3d_9e4f_a1b2_c3d4_e5f6),
        ordered_at: at(20, 9).unwrap_or_default(),
        confirmed_at: at(20, 10).unwrap_or_default(),
        customer_name: "Jürgen Weiß-Éluard".to_owned(),
        customer_email: "juergen@example.com".to_owned(),
        customer_address: vec!["Rue de l'Église 7".to_owned(), "75001 Paris".to_owned()],
        currency: "EUR".to_owned(),
        lines: vec![
            InvoiceLine {
                name: "Blue mug".to_owned(),
                quantity: 2,
                unit_price_minor: 1250,
                line_total_minor: 2500,
                tax_rate_bp: 1900,
            },
            InvoiceLine {
                name: "Crème brûlée torch".to_owned(),
                quantity: 1,
                unit_price_minor: 3999,
                line_total_minor: 3999,
                tax_rate_bp: 700,
            },
        ],
        total_minor: 6499,
    }
}
