use super::layout::layout;
use super::measure::Measure;
use super::*;
use crate::invoice::{InvoiceLine, sample_invoice};

fn many_lines(count: usize) -> Invoice {
    let mut invoice = sample_invoice();
    invoice.lines = (1..=count)
        .map(|i| InvoiceLine {
            name: format!("Product number {i}"),
            quantity: 1,
            unit_price_minor: 100,
            line_total_minor: 100,
            tax_rate_bp: 1900,
        })
        .collect();
    invoice.total_minor = 100 * count as i64;
    invoice
}

fn measure() -> Measure<'static> {
    Measure::new(FONT).expect("the embedded font parses")
}

#[test]
fn a_short_invoice_fits_on_one_page() {
    let pages = layout(&sample_invoice(), &measure(), None);
    assert_eq!(pages.len(), 1);
    let footer = pages[0].texts.last().expect("footer");
    assert!(footer.text.ends_with("page 1 of 1"), "{}", footer.text);
}

#[test]
fn many_lines_continue_on_further_pages_with_the_table_header() {
    let pages = layout(&many_lines(150), &measure(), None);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let count = pages.len();
    for (index, page) in pages.iter().enumerate() {
        let texts: Vec<&str> = page.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(texts.contains(&"Item"), "page {index} has no table header");
        let footer = format!("page {} of {count}", index + 1);
        assert!(texts.iter().any(|t| t.ends_with(&footer)), "{texts:?}");
        assert!(
            page.texts.iter().all(|t| t.y <= PAGE_HEIGHT),
            "text below the page"
        );
    }
    let all: Vec<&str> = pages
        .iter()
        .flat_map(|p| &p.texts)
        .map(|t| t.text.as_str())
        .collect();
    assert!(all.contains(&"Product number 1"));
    assert!(all.contains(&"Product number 150"));
    assert!(all.contains(&"150.00 EUR"), "the total is printed");
}

#[test]
fn long_names_wrap_within_the_column_and_lose_no_words() {
    let measure = measure();
    let name = "A very long product name that certainly does not fit into the item column of the \
                invoice table and Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen";
    let lines = measure.wrap(name, 10.0, 150.0);
    assert!(lines.len() > 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| measure.width(l, 10.0) <= 150.0),
        "{lines:?}"
    );
    assert_eq!(lines.concat().replace(' ', ""), name.replace(' ', ""));
}

#[test]
fn whitespace_in_names_becomes_single_spaces() {
    assert_eq!(
        measure().wrap("Blue\tmug\n 2", 10.0, 500.0),
        vec!["Blue mug 2"]
    );
    assert_eq!(measure().wrap("", 10.0, 500.0), vec![""]);
}

#[test]
fn rendering_is_deterministic_and_small() {
    let invoice = sample_invoice();
    let first = render_pdf(&invoice).expect("render");
    let second = render_pdf(&invoice).expect("render");
    assert!(first.starts_with(b"%PDF-"));
    assert_eq!(first, second, "same invoice, same bytes");
    assert!(first.len() < 64 * 1024, "{} bytes", first.len());
}

#[test]
fn a_logo_is_embedded_as_an_image_scaled_into_its_box_at_the_top_right() {
    let mut invoice = sample_invoice();
    let plain = render_pdf(&invoice).expect("render");
    invoice.seller.logo =
        Some(crate::Logo::from_bytes(crate::logo::TINY_PNG.to_vec()).expect("PNG"));
    let with_logo = render_pdf(&invoice).expect("render");
    let marker = b"/Subtype/Image";
    let has_image = |pdf: &[u8]| pdf.windows(marker.len()).any(|w| w == marker);
    assert!(has_image(&with_logo), "the PDF holds an image XObject");
    assert!(!has_image(&plain));

    let pages = layout(&invoice, &measure(), Some((400, 100)));
    let logo = pages[0].logo.as_ref().expect("placed on the first page");
    assert_eq!(
        (logo.width, logo.height),
        (150.0, 37.5),
        "scaled, proportions kept"
    );
    assert!(
        (logo.x + logo.width - (PAGE_WIDTH - 56.0)).abs() < 0.01,
        "{logo:?}"
    );
    let seller = pages[0]
        .texts
        .iter()
        .find(|t| t.text.starts_with("Kaffee"))
        .expect("seller");
    assert!(
        seller.x + measure().width(&seller.text, seller.size) <= logo.x,
        "no overlap"
    );
}
