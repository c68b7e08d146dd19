//! The PDF's text, extracted with `pdf-extract` as a reader's tools would.

use shop_invoice::testing::sample_invoice;
use shop_invoice::{InvoiceLine, render_pdf};

fn text_of(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("the PDF's text can be extracted")
}

#[test]
fn the_pdf_names_the_order_the_customer_every_line_and_the_total() {
    let invoice = sample_invoice();
    let text = text_of(&render_pdf(&invoice).expect("render"));

    assert!(text.contains("INV-2026-000042"), "{text}");
    assert!(text.contains(&invoice.order_id.to_string()), "{text}");
    assert!(text.contains("Jürgen Weiß-Éluard"), "{text}");
    assert!(text.contains("juergen@example.com"), "{text}");
    assert!(text.contains("2026-11-20 09:30 UTC"), "order date: {text}");
    assert!(
        text.contains("2026-11-20 10:30 UTC"),
        "confirmation date: {text}"
    );
    for (name, quantity, unit, total) in [
        ("Blue mug", "2", "12.50", "25.00"),
        ("Crème brûlée torch", "1", "39.99", "39.99"),
    ] {
        let row = text
            .lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}: {text}"));
        for cell in [quantity, unit, total] {
            assert!(row.contains(cell), "{cell} missing in {row:?}");
        }
    }
    assert!(text.contains("64.99 EUR"), "{text}");
}

#[test]
fn amounts_in_the_pdf_use_the_currency_exponent() {
    let mut invoice = sample_invoice();
    invoice.currency = "JPY".to_owned();
    invoice.total_minor = 6499;
    let text = text_of(&render_pdf(&invoice).expect("render"));
    assert!(text.contains("6499 JPY"), "{text}");
    assert!(text.contains("1250"), "{text}");

    invoice.currency = "KWD".to_owned();
    let text = text_of(&render_pdf(&invoice).expect("render"));
    assert!(text.contains("6.499 KWD"), "{text}");
    assert!(text.contains("3.999"), "{text}");
}

#[test]
fn an_invoice_with_many_lines_spans_pages_and_keeps_every_line() {
    let mut invoice = sample_invoice();
    invoice.lines = (1..=120)
        .map(|i| InvoiceLine {
            name: format!("Widget Ä{i:03}"),
            quantity: i,
            unit_price_minor: 199,
            line_total_minor: 199 * i,
        })
        .collect();
    invoice.total_minor = invoice.lines.iter().map(|l| l.line_total_minor).sum();
    let pdf = render_pdf(&invoice).expect("render");
    let text = text_of(&pdf);

    for i in 1..=120 {
        assert!(
            text.contains(&format!("Widget Ä{i:03}")),
            "line {i} missing"
        );
    }
    assert!(
        text.contains("page 1 of 3") || text.contains("page 1 of 4"),
        "{text}"
    );
    assert!(
        text.contains("14447.40 EUR"),
        "199 × (1 + … + 120) = 1444740: {text}"
    );
    assert!(pdf.len() < 100 * 1024, "{} bytes", pdf.len());
}
