//! The invoice mail: a short text and HTML note with the PDF attached.

use std::fmt::Write as _;

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use uuid::Uuid;

use crate::invoice::{Invoice, InvoiceError};
use crate::pdf::render_pdf;

/// The Message-ID of the invoice mail for an order, angle brackets included:
/// `<invoice-<order id>@shop.invoices>`.
///
/// It depends on the order id only, so a mail re-sent after a crash (the worker may not know
/// whether the first attempt got through) carries the same id, and mail clients and servers
/// that deduplicate on Message-ID show it once.
pub fn message_id(order_id: Uuid) -> String {
    format!("<invoice-{order_id}@shop.invoices>")
}

/// The subject line: `Your invoice for order <order id>`.
pub fn subject(order_id: Uuid) -> String {
    format!("Your invoice for order {order_id}")
}

/// The attachment's file name: `invoice-<order id>.pdf`.
pub fn attachment_name(order_id: Uuid) -> String {
    format!("invoice-{order_id}.pdf")
}

/// Builds the invoice mail from `from` to the customer: multipart/mixed holding a
/// multipart/alternative (text/plain and text/html, both naming the order and the total) and
/// the PDF from [`render_pdf`] as `invoice-<order id>.pdf`. The Message-ID is
/// [`message_id`]; the Date is now.
pub fn compose(invoice: &Invoice, from: &Mailbox) -> Result<Message, InvoiceError> {
    compose_with_pdf(invoice, from, render_pdf(invoice)?)
}

/// [`compose`] with the PDF already rendered by [`render_pdf`] (for a caller that keeps the
/// document too).
pub fn compose_with_pdf(
    invoice: &Invoice,
    from: &Mailbox,
    pdf: Vec<u8>,
) -> Result<Message, InvoiceError> {
    let email =
        invoice
            .customer_email
            .trim()
            .parse()
            .map_err(|source| InvoiceError::CustomerEmail {
                email: invoice.customer_email.clone(),
                source,
            })?;
    let name = invoice.customer_name.trim();
    let to = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), email);

    let attachment = Attachment::new(attachment_name(invoice.order_id))
        .body(pdf, ContentType::parse("application/pdf")?);
    let body = MultiPart::mixed()
        .multipart(MultiPart::alternative_plain_html(
            plain_text(invoice),
            html(invoice),
        ))
        .singlepart(attachment);

    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(invoice.order_id))
        .message_id(Some(message_id(invoice.order_id)))
        .multipart(body)?)
}

fn greeting_name(invoice: &Invoice) -> &str {
    let name = invoice.customer_name.trim();
    if name.is_empty() { "customer" } else { name }
}

fn plain_text(invoice: &Invoice) -> String {
    let mut text = format!(
        "Hello {},\n\nthank you for your order {}. Your payment was confirmed on {}.\n\
         Your invoice {} is attached as a PDF.\n\n",
        greeting_name(invoice),
        invoice.order_id,
        invoice.confirmed_at.format("%Y-%m-%d %H:%M UTC"),
        invoice.number,
    );
    for line in &invoice.lines {
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "  {} x {}: {}",
            line.quantity,
            line.name,
            invoice.format_amount(line.line_total_minor)
        );
    }
    let _ = write!(
        text,
        "\nTotal: {} (VAT included: {})\n\n{}\n",
        invoice.formatted_total(),
        invoice.format_amount(invoice.tax_totals().tax_minor),
        invoice.seller.name,
    );
    text
}

fn html(invoice: &Invoice) -> String {
    let mut rows = String::new();
    for line in &invoice.lines {
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td>\
             <td align=\"right\">{}</td></tr>",
            escape_html(&line.name),
            line.quantity,
            escape_html(&invoice.format_amount(line.unit_price_minor)),
            escape_html(&invoice.format_amount(line.line_total_minor)),
        );
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Invoice {number}</title></head>\n\
         <body>\n<p>Hello {name},</p>\n\
         <p>thank you for your order <strong>{order}</strong>. Your payment was confirmed on \
         {confirmed}. Your invoice {number} is attached as a PDF.</p>\n\
         <table cellpadding=\"4\">\n\
         <tr><th align=\"left\">Item</th><th>Qty</th><th>Unit price</th><th>Amount</th></tr>\n\
         {rows}<tr><th align=\"left\" colspan=\"3\">Total</th><th align=\"right\">{total}</th></tr>\n\
         <tr><td colspan=\"3\">VAT included</td><td align=\"right\">{tax}</td></tr>\n\
         </table>\n<p>{seller}</p>\n</body></html>\n",
        number = escape_html(&invoice.number),
        name = escape_html(greeting_name(invoice)),
        order = invoice.order_id,
        confirmed = invoice.confirmed_at.format("%Y-%m-%d %H:%M UTC"),
        total = escape_html(&invoice.formatted_total()),
        tax = escape_html(&invoice.format_amount(invoice.tax_totals().tax_minor)),
        seller = escape_html(&invoice.seller.name),
    )
}

/// Escapes the five characters that matter in HTML text and attribute values. Names come from
/// customers and shop staff, so `<script>` in a product name must stay text.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::sample_invoice;

    #[test]
    fn message_id_depends_on_the_order_id_only() {
        let id = Uuid::from_u128(7);
        assert_eq!(
            message_id(id),
            "<invoice-00000000-0000-0000-0000-000000000007@shop.invoices>"
        );
        assert_eq!(message_id(id), message_id(id));
        assert_ne!(message_id(id), message_id(Uuid::from_u128(8)));
    }

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(escape_html("Jürgen"), "Jürgen");
    }

    #[test]
    fn customer_text_in_the_html_part_is_escaped() {
        let mut invoice = sample_invoice();
        invoice.customer_name = "<script>alert(1)</script>".to_owned();
        invoice.lines[0].name = "Mug & <b>bold</b>".to_owned();
        let html = html(&invoice);
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("Mug &amp; &lt;b&gt;bold&lt;/b&gt;"), "{html}");
    }

    #[test]
    fn both_bodies_name_the_order_and_the_total() {
        let invoice = sample_invoice();
        for body in [plain_text(&invoice), html(&invoice)] {
            assert!(body.contains(&invoice.order_id.to_string()), "{body}");
            assert!(body.contains("64.99 EUR"), "{body}");
            assert!(body.contains("Jürgen Weiß-Éluard"), "{body}");
        }
    }

    #[test]
    fn an_invalid_customer_email_is_an_error_naming_the_address() {
        let mut invoice = sample_invoice();
        invoice.customer_email = "not an address".to_owned();
        let from: Mailbox = "shop <invoices@shop.localhost>".parse().expect("mailbox");
        let err = compose(&invoice, &from).expect_err("must be refused");
        assert!(err.to_string().contains("not an address"), "{err}");
    }

    #[test]
    fn a_blank_customer_name_leaves_only_the_address() {
        let mut invoice = sample_invoice();
        invoice.customer_name = "  ".to_owned();
        let from: Mailbox = "invoices@shop.localhost".parse().expect("mailbox");
        let message = compose(&invoice, &from).expect("compose");
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(raw.contains("To: juergen@example.com"), "{raw}");
        assert!(plain_text(&invoice).starts_with("Hello customer,"));
    }
}
