//! Where every piece of text goes, page by page, before anything is drawn.
//!
//! Laying out first and drawing second lets the footer say "page 1 of 3" and keeps the
//! pagination testable without parsing PDFs. The order on the page: the seller (name,
//! address, tax id), the invoice's details (number, dates, order), the buyer, one row per
//! line with its tax rate, the per-rate tax summary and the totals.

use chrono::{DateTime, Utc};

use super::measure::Measure;
use super::page::{Page, Rule, Text, place_logo};
use crate::invoice::{Invoice, InvoiceLine};
use crate::money::format_digits;
use crate::tax::Percent;

/// A4 in PDF points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
pub(super) const MARGIN: f32 = 56.0;
pub(super) const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// The last baseline content may use; below it is the footer.
const BOTTOM: f32 = PAGE_HEIGHT - 80.0;
const TITLE: f32 = 22.0;
const HEADING: f32 = 14.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.0;
const LEADING: f32 = 14.0;
/// Right edges of the number columns of the item table, and where the item names must stop.
const AMOUNT_RIGHT: f32 = RIGHT;
const RATE_RIGHT: f32 = RIGHT - 95.0;
const UNIT_RIGHT: f32 = RATE_RIGHT - 50.0;
const QTY_RIGHT: f32 = UNIT_RIGHT - 95.0;
const NAME_WIDTH: f32 = QTY_RIGHT - 40.0 - MARGIN;
/// Right edges of the tax summary's columns (rate, net, tax, gross).
const NET_RIGHT: f32 = RIGHT - 190.0;
const TAX_RIGHT: f32 = RIGHT - 95.0;
/// Where the values of the detail rows (number, dates, order) start.
const VALUE_X: f32 = MARGIN + 100.0;

/// Lays the invoice out on as many A4 pages as its lines need; `logo` is the pixel size of
/// the seller's logo, if it has one.
pub(crate) fn layout(
    invoice: &Invoice,
    measure: &Measure<'_>,
    logo: Option<(u32, u32)>,
) -> Vec<Page> {
    let mut builder = Builder {
        invoice,
        measure,
        pages: vec![Page::default()],
        y: MARGIN + HEADING,
        seller_right: RIGHT,
    };
    if let Some(size) = logo {
        let placed = place_logo(size);
        builder.seller_right = placed.x - 12.0;
        builder.page().logo = Some(placed);
    }
    builder.seller();
    builder.details();
    builder.buyer();
    builder.table_header();
    for line in &invoice.lines {
        builder.line(line);
    }
    builder.tax_summary();
    builder.footers();
    builder.pages
}

struct Builder<'a> {
    invoice: &'a Invoice,
    measure: &'a Measure<'a>,
    pages: Vec<Page>,
    /// The baseline of the next text.
    y: f32,
    /// Where the seller's lines must stop: left of the logo.
    seller_right: f32,
}

fn date(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn date_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Builder<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, size: f32, text: impl Into<String>) {
        let (y, text) = (self.y, text.into());
        self.page().texts.push(Text { x, y, size, text });
    }

    fn text_right(&mut self, right: f32, size: f32, text: String) {
        let x = right - self.measure.width(&text, size);
        self.text(x, size, text);
    }

    /// `text` wrapped to the page width from `x`, one baseline per wrapped line.
    fn paragraph(&mut self, x: f32, size: f32, text: &str) {
        self.paragraph_to(x, RIGHT, size, text);
    }

    /// `text` wrapped between `x` and `right`, one baseline per wrapped line.
    fn paragraph_to(&mut self, x: f32, right: f32, size: f32, text: &str) {
        for part in self.measure.wrap(text, size, right - x) {
            self.text(x, size, part);
            self.y += LEADING;
        }
    }

    fn rule(&mut self) {
        let y = self.y;
        self.page().rules.push(Rule {
            x1: MARGIN,
            x2: RIGHT,
            y,
        });
    }

    /// Starts a new page if `height` more points would run into the footer; `header` redraws
    /// the table header there.
    fn ensure_room(&mut self, height: f32, header: bool) {
        if self.y + height > BOTTOM {
            self.pages.push(Page::default());
            self.y = MARGIN + BODY;
            let continued = format!("Invoice {} (continued)", self.invoice.number);
            self.text(MARGIN, BODY, continued);
            self.y += LEADING * 2.0;
            if header {
                self.table_header();
            }
        }
    }

    /// Who issues the invoice: name, address lines and tax id (left of the logo, if any).
    fn seller(&mut self) {
        let (seller, right) = (&self.invoice.seller, self.seller_right);
        self.paragraph_to(MARGIN, right, HEADING, &seller.name);
        for line in &seller.address {
            self.paragraph_to(MARGIN, right, BODY, line);
        }
        let tax_id = format!("VAT ID: {}", seller.tax_id);
        self.paragraph_to(MARGIN, right, BODY, &tax_id);
        // Below the logo, however short the seller's lines.
        let logo_bottom = self.pages[0].logo.as_ref().map_or(0.0, |l| l.y + l.height);
        self.y = self.y.max(logo_bottom + LEADING);
        self.y += LEADING;
    }

    fn details(&mut self) {
        let invoice = self.invoice;
        self.y += TITLE - LEADING;
        self.text(MARGIN, TITLE, "Invoice");
        self.y += LEADING * 1.5;
        let rows = [
            ("Invoice number", invoice.number.clone()),
            ("Invoice date", date(&invoice.confirmed_at)),
            ("Payment date", date_time(&invoice.confirmed_at)),
            ("Order", invoice.order_id.to_string()),
            ("Order date", date_time(&invoice.ordered_at)),
            ("Currency", invoice.currency.trim().to_ascii_uppercase()),
        ];
        for (label, value) in rows {
            self.text(MARGIN, BODY, label);
            self.paragraph(VALUE_X, BODY, &value);
        }
        self.y += LEADING;
    }

    /// The buyer: name, postal address when given, e-mail.
    fn buyer(&mut self) {
        let invoice = self.invoice;
        self.text(MARGIN, BODY, "Bill to");
        self.paragraph(VALUE_X, BODY, &invoice.customer_name);
        for line in &invoice.customer_address {
            self.paragraph(VALUE_X, BODY, line);
        }
        self.paragraph(VALUE_X, BODY, &invoice.customer_email);
        self.y += LEADING;
    }

    fn table_header(&mut self) {
        let code = self.invoice.currency.trim().to_ascii_uppercase();
        self.text(MARGIN, BODY, "Item");
        self.text_right(QTY_RIGHT, BODY, "Qty".to_owned());
        self.text_right(UNIT_RIGHT, BODY, format!("Unit price ({code})"));
        self.text_right(RATE_RIGHT, BODY, "VAT".to_owned());
        self.text_right(AMOUNT_RIGHT, BODY, format!("Amount ({code})"));
        self.y += LEADING * 0.5;
        self.rule();
        self.y += LEADING;
    }

    fn line(&mut self, line: &InvoiceLine) {
        let currency = self.invoice.currency.as_str();
        let name = self.measure.wrap(&line.name, BODY, NAME_WIDTH);
        self.ensure_room(LEADING * name.len() as f32, true);
        // Name first, then the numbers: text extraction follows drawing order.
        let first_baseline = self.y;
        for part in name {
            self.text(MARGIN, BODY, part);
            self.y += LEADING;
        }
        let next = std::mem::replace(&mut self.y, first_baseline);
        let unit = format_digits(line.unit_price_minor, currency);
        let total = format_digits(line.line_total_minor, currency);
        self.text_right(QTY_RIGHT, BODY, line.quantity.to_string());
        self.text_right(UNIT_RIGHT, BODY, unit);
        self.text_right(RATE_RIGHT, BODY, Percent(line.tax_rate_bp).to_string());
        self.text_right(AMOUNT_RIGHT, BODY, total);
        self.y = next;
    }

    /// Net, tax and gross per rate, their totals, and what was paid.
    fn tax_summary(&mut self) {
        let invoice = self.invoice;
        let breakdown = invoice.tax_breakdown();
        let code = invoice.currency.trim().to_ascii_uppercase();
        let digits = |amount| format_digits(amount, &invoice.currency);
        self.ensure_room(LEADING * (breakdown.len() as f32 + 6.0), false);
        self.y -= LEADING * 0.5;
        self.rule();
        self.y += LEADING * 1.5;
        self.text(MARGIN, BODY, "VAT rate");
        self.text_right(NET_RIGHT, BODY, format!("Net ({code})"));
        self.text_right(TAX_RIGHT, BODY, format!("VAT ({code})"));
        self.text_right(AMOUNT_RIGHT, BODY, format!("Gross ({code})"));
        self.y += LEADING;
        let rows = breakdown.iter().map(|rate| {
            let label = format!("VAT {}", Percent(rate.rate_bp));
            (label, rate.net_minor, rate.tax_minor, rate.gross_minor)
        });
        let totals = invoice.tax_totals();
        let total = (
            "Total".to_owned(),
            totals.net_minor,
            totals.tax_minor,
            totals.gross_minor,
        );
        for (label, net, tax, gross) in rows.chain([total]) {
            self.text(MARGIN, BODY, label);
            self.text_right(NET_RIGHT, BODY, digits(net));
            self.text_right(TAX_RIGHT, BODY, digits(tax));
            self.text_right(AMOUNT_RIGHT, BODY, digits(gross));
            self.y += LEADING;
        }
        self.y -= LEADING * 0.5;
        self.rule();
        self.y += LEADING * 1.5;
        self.text(MARGIN, BODY + 2.0, "Total paid");
        let paid = invoice.formatted_total();
        self.text_right(AMOUNT_RIGHT, BODY + 2.0, paid);
    }

    fn footers(&mut self) {
        let count = self.pages.len();
        let number = self.invoice.number.clone();
        let seller = self.invoice.seller.name.clone();
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.texts.push(Text {
                x: MARGIN,
                y: PAGE_HEIGHT - MARGIN,
                size: SMALL,
                text: format!(
                    "{seller} · Invoice {number} · page {} of {count}",
                    index + 1
                ),
            });
        }
    }
}
