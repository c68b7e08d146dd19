//! From a confirmed order to the invoice printed for it.

use chrono::{DateTime, Utc};
use shop_invoice::{Invoice, InvoiceLine};

use crate::domain::{Order, OrderId};

/// The invoice number of an order confirmed at `confirmed_at`: `INV-YYYYMMDD-XXXXXXXXXXXX`,
/// the date and the random tail of the order id. Derived, not counted, so it needs no
/// sequence shared by replicas and a resend prints the same number.
pub fn invoice_number(order: OrderId, confirmed_at: DateTime<Utc>) -> String {
    let id = order.as_uuid().simple().to_string().to_ascii_uppercase();
    format!(
        "INV-{}-{}",
        confirmed_at.format("%Y%m%d"),
        &id[id.len() - 12..]
    )
}

/// The invoice of `order`, confirmed (its job queued) at `confirmed_at`.
pub fn invoice_for(order: &Order, confirmed_at: DateTime<Utc>) -> Invoice {
    Invoice {
        number: invoice_number(order.id, confirmed_at),
        order_id: order.id.as_uuid(),
        ordered_at: order.created_at,
        confirmed_at,
        customer_name: order.customer_name.clone(),
        customer_email: order.customer_email.clone(),
        currency: order.currency.clone(),
        lines: order
            .items
            .iter()
            .map(|item| InvoiceLine {
                name: item.name.clone(),
                quantity: i64::from(item.quantity),
                unit_price_minor: item.unit_price_minor,
                line_total_minor: item.line_total_minor(),
            })
            .collect(),
        total_minor: order.total_minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_carry_the_date_and_the_order_ids_tail() {
        let id = OrderId::parse("id", "01a21819-aba5-7137-b45c-de11bef108af").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-26T13:44:25Z")
            .unwrap()
            .to_utc();
        assert_eq!(invoice_number(id, at), "INV-20261126-DE11BEF108AF");
    }
}
