//! The invoice PDF.
//!
//! Drawn with `krilla` and DejaVu Sans, embedded in the binary and subset into each PDF.
//! Why krilla: it writes a small file (about 20 KB, only the glyphs used) with a proper
//! ToUnicode map, so text is extractable and searchable and any Latin, Greek or Cyrillic name
//! prints correctly; with only its `simple-text` feature it builds faster than `printpdf`,
//! whose built-in Helvetica makes ~400 KB files and covers only WinAnsi characters.
//! `genpdf` is unmaintained. The cost is placing text by hand, done in [`layout`].

mod layout;
mod measure;
mod page;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime as PdfDateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use crate::invoice::{Invoice, InvoiceError};
use layout::{PAGE_HEIGHT, PAGE_WIDTH, layout};
use measure::Measure;
use page::Page;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`). Embedding
/// it means the PDF looks the same on every machine and nothing depends on system fonts.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Renders the invoice as an A4 PDF: the seller (name, address, tax id), number, dates,
/// order id, the buyer, one row per line (quantity, unit price, tax rate, line total), net,
/// tax and gross per tax rate with their totals, and the total paid with its currency. Long
/// item lists continue on further pages, each with the table header and a "page n of m"
/// footer.
///
/// The output depends only on the invoice (no clock, no randomness), so re-sending an
/// invoice attaches byte-identical PDFs.
pub fn render_pdf(invoice: &Invoice) -> Result<Vec<u8>, InvoiceError> {
    let measure = Measure::new(FONT).ok_or(InvoiceError::Font)?;
    let logo = match &invoice.seller.logo {
        Some(logo) => Some(logo.image().map_err(InvoiceError::Pdf)?),
        None => None,
    };
    let pages = layout(invoice, &measure, logo.as_ref().map(Image::size));
    let font = Font::new(FONT.into(), 0).ok_or(InvoiceError::Font)?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| InvoiceError::Pdf("invalid page size".to_owned()))?;

    let mut document = Document::new();
    document.set_metadata(metadata(invoice));
    for page in &pages {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        draw(&mut surface, page, &font, logo.as_ref());
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| InvoiceError::Pdf(format!("{e:?}")))
}

fn draw(
    surface: &mut krilla::surface::Surface<'_>,
    page: &Page,
    font: &Font,
    logo: Option<&Image>,
) {
    if let (Some(placed), Some(image)) = (&page.logo, logo)
        && let Some(size) = Size::from_wh(placed.width, placed.height)
    {
        surface.push_transform(&Transform::from_translate(placed.x, placed.y));
        surface.draw_image(image.clone(), size);
        surface.pop();
    }
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        width: 0.5,
        ..Stroke::default()
    }));
    for rule in &page.rules {
        let mut path = PathBuilder::new();
        path.move_to(rule.x1, rule.y);
        path.line_to(rule.x2, rule.y);
        if let Some(path) = path.finish() {
            surface.draw_path(&path);
        }
    }
    surface.set_stroke(None);
    surface.set_fill(Some(Fill::default()));
    for text in &page.texts {
        surface.draw_text(
            Point::from_xy(text.x, text.y),
            font.clone(),
            text.size,
            &text.text,
            false,
            TextDirection::Auto,
        );
    }
}

/// Title, author and a document id derived from the order, so viewers show something useful
/// and two renderings of the same invoice are the same file. The creation date is the
/// confirmation date, not "now", for the same reason.
fn metadata(invoice: &Invoice) -> Metadata {
    use chrono::{Datelike, Timelike};
    let at = invoice.confirmed_at;
    // krilla dates cover years 0-9999; anything else is left out rather than wrapped.
    let created = u16::try_from(at.year()).ok().map(|year| {
        // chrono's components fit in u8 (month ≤ 12, day ≤ 31, hour ≤ 23, …).
        let part = |value: u32| u8::try_from(value).unwrap_or(0);
        PdfDateTime::new(year)
            .month(part(at.month()))
            .day(part(at.day()))
            .hour(part(at.hour()))
            .minute(part(at.minute()))
            .second(part(at.second()))
            .utc_offset_hour(0)
            .utc_offset_minute(0)
    });
    let metadata = Metadata::new()
        .title(format!("Invoice {}", invoice.number))
        .creator("shop".to_owned())
        .document_id(format!("invoice-{}", invoice.order_id));
    match created {
        Some(date) => metadata.creation_date(date),
        None => metadata,
    }
}

#[cfg(test)]
mod tests;
