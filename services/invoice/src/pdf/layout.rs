//! Where every piece of text goes, page by page, before anything is drawn.
//!
//! Laying out first and drawing second lets the footer say "page 1 of 3" and keeps the
//! pagination testable without parsing PDFs.

use skrifa::prelude::{FontRef, LocationRef, MetadataProvider, Size};

use crate::invoice::{Invoice, InvoiceLine};
use crate::money::format_digits;

/// A4 in PDF points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// The last baseline content may use; below it is the footer.
const BOTTOM: f32 = PAGE_HEIGHT - 80.0;
const TITLE: f32 = 22.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.0;
const LEADING: f32 = 14.0;
/// Right edges of the number columns, and where the item names must stop.
const AMOUNT_RIGHT: f32 = RIGHT;
const UNIT_RIGHT: f32 = RIGHT - 100.0;
const QTY_RIGHT: f32 = UNIT_RIGHT - 100.0;
const NAME_WIDTH: f32 = QTY_RIGHT - 40.0 - MARGIN;
/// Where the values of the detail rows (order, dates, customer) start.
const VALUE_X: f32 = MARGIN + 100.0;

/// One run of text; `y` is its baseline, measured from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

/// A thin horizontal line from `x1` to `x2` at `y`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub x1: f32,
    pub x2: f32,
    pub y: f32,
}

/// Everything on one page.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub texts: Vec<Text>,
    pub rules: Vec<Rule>,
}

/// Text widths from the font's advance widths. Kerning is ignored, which is fine for
/// aligning digits (they are tabular in DejaVu Sans) and for deciding where to wrap.
pub(crate) struct Measure<'a> {
    font: FontRef<'a>,
}

impl<'a> Measure<'a> {
    /// `None` if the bytes are not a font.
    pub(crate) fn new(font: &'a [u8]) -> Option<Self> {
        FontRef::new(font).ok().map(|font| Self { font })
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let charmap = self.font.charmap();
        let metrics = self
            .font
            .glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .filter_map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
            })
            .sum()
    }

    /// Splits `text` into lines no wider than `max_width`, at spaces where possible and inside
    /// words that are too long on their own. Runs of whitespace (tabs, newlines) become one
    /// space: they have no glyph and would print as boxes.
    pub(crate) fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.width(&candidate, size) <= max_width {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            // The word alone may still be too wide: break it between characters.
            for c in word.chars() {
                current.push(c);
                if self.width(&current, size) > max_width && current.chars().count() > 1 {
                    current.pop();
                    lines.push(std::mem::replace(&mut current, c.to_string()));
                }
            }
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines
    }
}

/// Lays the invoice out on as many A4 pages as its lines need.
pub(crate) fn layout(invoice: &Invoice, measure: &Measure<'_>) -> Vec<Page> {
    let mut builder = Builder {
        invoice,
        measure,
        pages: vec![Page::default()],
        y: MARGIN + TITLE,
    };
    builder.heading();
    builder.table_header();
    for line in &invoice.lines {
        builder.line(line);
    }
    builder.total();
    builder.footers();
    builder.pages
}

struct Builder<'a> {
    invoice: &'a Invoice,
    measure: &'a Measure<'a>,
    pages: Vec<Page>,
    /// The baseline of the next text.
    y: f32,
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

    fn rule(&mut self) {
        let y = self.y;
        self.page().rules.push(Rule {
            x1: MARGIN,
            x2: RIGHT,
            y,
        });
    }

    /// Starts a new page if `height` more points would run into the footer.
    fn ensure_room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Page::default());
            self.y = MARGIN + BODY;
            let continued = format!("Invoice {} (continued)", self.invoice.number);
            self.text(MARGIN, BODY, continued);
            self.y += LEADING * 2.0;
            self.table_header();
        }
    }

    fn heading(&mut self) {
        let invoice = self.invoice;
        self.text(MARGIN, TITLE, "Invoice");
        self.y += TITLE + LEADING;
        let date = |at: &chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
        let rows = [
            ("Invoice number", invoice.number.clone()),
            ("Order", invoice.order_id.to_string()),
            ("Order date", date(&invoice.ordered_at)),
            ("Invoice date", date(&invoice.confirmed_at)),
            ("Customer", invoice.customer_name.clone()),
            ("E-mail", invoice.customer_email.clone()),
            ("Currency", invoice.currency.trim().to_ascii_uppercase()),
        ];
        for (label, value) in rows {
            self.text(MARGIN, BODY, label);
            for part in self.measure.wrap(&value, BODY, RIGHT - VALUE_X) {
                self.text(VALUE_X, BODY, part);
                self.y += LEADING;
            }
        }
        self.y += LEADING;
    }

    fn table_header(&mut self) {
        let code = self.invoice.currency.trim().to_ascii_uppercase();
        self.text(MARGIN, BODY, "Item");
        self.text_right(QTY_RIGHT, BODY, "Qty".to_owned());
        self.text_right(UNIT_RIGHT, BODY, format!("Unit price ({code})"));
        self.text_right(AMOUNT_RIGHT, BODY, format!("Amount ({code})"));
        self.y += LEADING * 0.5;
        self.rule();
        self.y += LEADING;
    }

    fn line(&mut self, line: &InvoiceLine) {
        let currency = self.invoice.currency.as_str();
        let name = self.measure.wrap(&line.name, BODY, NAME_WIDTH);
        self.ensure_room(LEADING * name.len() as f32);
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
        self.text_right(AMOUNT_RIGHT, BODY, total);
        self.y = next;
    }

    fn total(&mut self) {
        self.ensure_room(LEADING * 3.0);
        self.y -= LEADING * 0.5;
        self.rule();
        self.y += LEADING * 1.5;
        self.text(MARGIN, BODY + 2.0, "Total");
        let total = self.invoice.formatted_total();
        self.text_right(AMOUNT_RIGHT, BODY + 2.0, total);
    }

    fn footers(&mut self) {
        let count = self.pages.len();
        let number = self.invoice.number.clone();
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.texts.push(Text {
                x: MARGIN,
                y: PAGE_HEIGHT - MARGIN,
                size: SMALL,
                text: format!("Invoice {number} · page {} of {count}", index + 1),
            });
        }
    }
}
