//! From a confirmed order to the invoice printed for it.

use shop_invoice::{Invoice, InvoiceLine, Seller, address_lines};

use crate::{domain::Order, store::ClaimedJob};

/// The invoice of `order`, whose job `job` was claimed (it carries the confirmation time and
/// the invoice number), issued by `seller`.
pub fn invoice_for(order: &Order, job: &ClaimedJob, seller: &Seller) -> Invoice {
    Invoice {
        number: job.invoice_number.to_string(),
        seller: seller.clone(),
        order_id: order.id.as_uuid(),
        ordered_at: order.created_at,
        confirmed_at: job.queued_at,
        customer_name: order.customer_name.clone(),
        customer_email: order.customer_email.clone(),
        customer_address: address_lines(&order.customer_address),
        currency: order.currency.clone(),
        lines: order
            .items
            .iter()
            .map(|item| InvoiceLine {
                name: item.name.clone(),
                quantity: i64::from(item.quantity),
                unit_price_minor: item.unit_price_minor,
                line_total_minor: item.line_total_minor(),
                tax_rate_bp: item.tax_rate.basis_points(),
            })
            .collect(),
        total_minor: order.total_minor,
    }
}
