//! The PDF's text, extracted with `pdf-extract` as a reader's tools would: every field an
//! invoice must carry is checked in it.

use shop_invoice::testing::sample_invoice;
use shop_invoice::{InvoiceLine, render_pdf};

fn text_of(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("the PDF's text can be extracted")
}

/// The extracted line holding `label`; the values printed beside it are on the same line.
fn row<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|line| line.contains(label))
        .unwrap_or_else(|| panic!("no line with {label:?}: {text}"))
}

#[track_caller]
fn assert_row(text: &str, label: &str, cells: &[&str]) {
    let line = row(text, label);
    for cell in cells {
        assert!(line.contains(cell), "{cell:?} missing in {line:?}");
    }
}

#[test]
fn the_pdf_names_seller_buyer_number_dates_order_every_line_and_the_tax() {
    let invoice = sample_invoice();
    let text = text_of(&render_pdf(&invoice).expect("render"));

    // The seller (EU VAT Directive art. 226: name, address, VAT number).
    for seller in [
        "Kaffeerösterei Müller GmbH",
        "Hauptstraße 1",
        "10115 Berlin",
        "VAT ID: DE123456789",
    ] {
        assert!(text.contains(seller), "{seller}: {text}");
    }
    // The invoice's identity and dates.
    assert_row(&text, "Invoice number", &["2026-000042"]);
    assert_row(&text, "Invoice date", &["2026-11-20"]);
    assert_row(&text, "Payment date", &["2026-11-20 10:30 UTC"]);
    assert_row(&text, "Order date", &["2026-11-20 09:30 UTC"]);
    assert_row(&text, "Order", &[&invoice.order_id.to_string()]);
    // The buyer.
    assert_row(&text, "Bill to", &["Jürgen Weiß-Éluard"]);
    for buyer in ["Rue de l'Église 7", "75001 Paris", "juergen@example.com"] {
        assert!(text.contains(buyer), "{buyer}: {text}");
    }
    // Every line: quantity, unit price, tax rate, amount (gross).
    assert_row(&text, "Blue mug", &["2", "12.50", "19%", "25.00"]);
    assert_row(&text, "Crème brûlée torch", &["1", "39.99", "7%", "39.99"]);
    // Per rate: net, tax, gross; 25.00 × 19/119 = 3.991… → 3.99; 39.99 × 7/107 = 2.616… → 2.62.
    assert_row(&text, "VAT 7%", &["37.37", "2.62", "39.99"]);
    assert_row(&text, "VAT 19%", &["21.01", "3.99", "25.00"]);
    assert_row(&text, "Total ", &["58.38", "6.61", "64.99"]);
    assert_row(&text, "Total paid", &["64.99 EUR"]);
}

#[test]
fn odd_cents_are_taxed_per_rate_rounding_half_up() {
    let mut invoice = sample_invoice();
    // 0.03 at 20 % holds exactly 0.005 tax: rounded up to 0.01. Three lines of 0.01 at 19 %
    // hold 0.0048 together: 0.00, though each line alone would hold 0.0016.
    invoice.lines = vec![
        InvoiceLine {
            name: "Sticker".to_owned(),
            quantity: 3,
            unit_price_minor: 1,
            line_total_minor: 3,
            tax_rate_bp: 2000,
        },
        InvoiceLine {
            name: "Pin".to_owned(),
            quantity: 3,
            unit_price_minor: 1,
            line_total_minor: 3,
            tax_rate_bp: 1900,
        },
        InvoiceLine {
            name: "Postcard".to_owned(),
            quantity: 1,
            unit_price_minor: 99,
            line_total_minor: 99,
            tax_rate_bp: 0,
        },
    ];
    invoice.total_minor = 105;
    let text = text_of(&render_pdf(&invoice).expect("render"));
    assert_row(&text, "VAT 0%", &["0.99", "0.00", "0.99"]);
    assert_row(&text, "VAT 19%", &["0.03", "0.00", "0.03"]);
    assert_row(&text, "VAT 20%", &["0.02", "0.01", "0.03"]);
    assert_row(&text, "Total ", &["1.04", "0.01", "1.05"]);
    assert_row(&text, "Total paid", &["1.05 EUR"]);
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
            tax_rate_bp: 1900,
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
