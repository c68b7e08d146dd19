//! Conversions between protobuf messages and domain types.

use chrono::{DateTime, Utc};
use shop_common::{grpc::timestamp, validation::InvalidField};
use shop_proto::orders::v1 as pb;

use crate::domain::{
    InvoiceJob, InvoiceJobState, ItemForm, Order, OrderFilter, OrderForm, OrderStatus,
    PaymentEvent, PaymentOutcome, PaymentStatus,
};

/// The unparsed order of a `CreateOrderRequest`.
pub fn order_form(request: &pb::CreateOrderRequest) -> OrderForm {
    OrderForm {
        customer_email: request.customer_email.clone(),
        customer_name: request.customer_name.clone(),
        customer_address: request.customer_address.clone(),
        currency: request.currency.clone(),
        items: request
            .items
            .iter()
            .map(|item| ItemForm {
                product_id: item.product_id.clone(),
                name: item.name.clone(),
                quantity: item.quantity,
                unit_price_minor: item.unit_price_minor,
                tax_rate_bp: item.tax_rate_bp,
            })
            .collect(),
    }
}

/// An order status filter: UNSPECIFIED means any.
pub fn status_filter(raw: i32) -> Result<Option<OrderStatus>, InvalidField> {
    match pb::OrderStatus::try_from(raw) {
        Ok(pb::OrderStatus::Unspecified) => Ok(None),
        Ok(pb::OrderStatus::AwaitingPayment) => Ok(Some(OrderStatus::AwaitingPayment)),
        Ok(pb::OrderStatus::Confirmed) => Ok(Some(OrderStatus::Confirmed)),
        Ok(pb::OrderStatus::Cancelled) => Ok(Some(OrderStatus::Cancelled)),
        Err(_) => Err(InvalidField::new(
            "status",
            format!("unknown order status {raw}"),
        )),
    }
}

/// The filters and order of a `ListOrdersRequest`.
pub fn order_filter(request: &pb::ListOrdersRequest) -> Result<OrderFilter, InvalidField> {
    let email = request.customer_email.trim();
    Ok(OrderFilter {
        status: status_filter(request.status)?,
        customer_email: (!email.is_empty()).then(|| email.to_owned()),
        created_after: request
            .created_after
            .map(|t| datetime("created_after", t))
            .transpose()?,
        created_before: request
            .created_before
            .map(|t| datetime("created_before", t))
            .transpose()?,
        newest_first: OrderFilter::parse_order_by(&request.order_by)?,
    })
}

/// A request's timestamp field as a time, or an error naming the field.
fn datetime(field: &str, t: prost_types::Timestamp) -> Result<DateTime<Utc>, InvalidField> {
    u32::try_from(t.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
        .ok_or_else(|| InvalidField::new(field, "is not a valid timestamp"))
}

/// The reported payment status: PAID or FAILED.
pub fn payment_status(raw: i32) -> Result<PaymentStatus, InvalidField> {
    match pb::PaymentStatus::try_from(raw) {
        Ok(pb::PaymentStatus::Paid) => Ok(PaymentStatus::Paid),
        Ok(pb::PaymentStatus::Failed) => Ok(PaymentStatus::Failed),
        _ => Err(InvalidField::new(
            "status",
            "must be PAYMENT_STATUS_PAID or PAYMENT_STATUS_FAILED",
        )),
    }
}

/// A payment outcome filter: UNSPECIFIED means any.
pub fn outcome_filter(raw: i32) -> Result<Option<PaymentOutcome>, InvalidField> {
    use pb::PaymentOutcome as P;
    Ok(Some(match P::try_from(raw) {
        Ok(P::Unspecified) => return Ok(None),
        Ok(P::Confirmed) => PaymentOutcome::Confirmed,
        Ok(P::Duplicate) => PaymentOutcome::Duplicate,
        Ok(P::Ignored) => PaymentOutcome::Ignored,
        Ok(P::RefundRequired) => PaymentOutcome::RefundRequired,
        Ok(P::InsufficientStock) => PaymentOutcome::InsufficientStock,
        Ok(P::OrderNotFound) => PaymentOutcome::OrderNotFound,
        Err(_) => {
            return Err(InvalidField::new(
                "outcome",
                format!("unknown payment outcome {raw}"),
            ));
        }
    }))
}

/// An invoice job state filter: UNSPECIFIED means any.
pub fn job_state_filter(raw: i32) -> Result<Option<InvoiceJobState>, InvalidField> {
    use pb::InvoiceJobState as P;
    match P::try_from(raw) {
        Ok(P::Unspecified) => Ok(None),
        Ok(P::Pending) => Ok(Some(InvoiceJobState::Pending)),
        Ok(P::Sent) => Ok(Some(InvoiceJobState::Sent)),
        Ok(P::Dead) => Ok(Some(InvoiceJobState::Dead)),
        Err(_) => Err(InvalidField::new(
            "state",
            format!("unknown invoice job state {raw}"),
        )),
    }
}

pub fn outcome(o: PaymentOutcome) -> pb::PaymentOutcome {
    use pb::PaymentOutcome as P;
    match o {
        PaymentOutcome::Confirmed => P::Confirmed,
        PaymentOutcome::Duplicate => P::Duplicate,
        PaymentOutcome::Ignored => P::Ignored,
        PaymentOutcome::RefundRequired => P::RefundRequired,
        PaymentOutcome::InsufficientStock => P::InsufficientStock,
        PaymentOutcome::OrderNotFound => P::OrderNotFound,
    }
}

impl From<Order> for pb::Order {
    fn from(o: Order) -> Self {
        let status = match o.status {
            OrderStatus::AwaitingPayment => pb::OrderStatus::AwaitingPayment,
            OrderStatus::Confirmed => pb::OrderStatus::Confirmed,
            OrderStatus::Cancelled | OrderStatus::RefundRequired | OrderStatus::Refunded => {
                pb::OrderStatus::Cancelled
            }
        };
        Self {
            id: o.id.to_string(),
            status: status.into(),
            items: o
                .items
                .iter()
                .map(|item| pb::OrderItem {
                    product_id: item.product_id.to_string(),
                    name: item.name.clone(),
                    quantity: item.quantity,
                    unit_price_minor: item.unit_price_minor,
                    line_total_minor: item.line_total_minor(),
                    // At most 10 000: always fits.
                    tax_rate_bp: i32::try_from(item.tax_rate.basis_points()).unwrap_or(i32::MAX),
                })
                .collect(),
            customer_email: o.customer_email,
            customer_name: o.customer_name,
            customer_address: o.customer_address,
            currency: o.currency,
            total_minor: o.total_minor,
            created_at: Some(timestamp(o.created_at)),
            updated_at: Some(timestamp(o.updated_at)),
            payment_deadline: Some(timestamp(o.payment_deadline)),
            cancel_reason: o.cancel_reason,
            refund_required: o.status.refund_required(),
            refunded_at: o.refund.as_ref().map(|r| timestamp(r.at)),
            refunded_by: o.refund.as_ref().map(|r| r.by.clone()).unwrap_or_default(),
            refund_note: o.refund.map(|r| r.note).unwrap_or_default(),
            reservation_id: o.reservation_id.to_string(),
        }
    }
}

impl From<PaymentEvent> for pb::PaymentEvent {
    fn from(e: PaymentEvent) -> Self {
        let status = match e.status {
            PaymentStatus::Paid => pb::PaymentStatus::Paid,
            PaymentStatus::Failed => pb::PaymentStatus::Failed,
        };
        Self {
            id: e.id.to_string(),
            order_id: e.order_id.to_string(),
            status: status.into(),
            outcome: outcome(e.outcome).into(),
            detail: e.detail,
            created_at: Some(timestamp(e.created_at)),
        }
    }
}

impl From<InvoiceJob> for pb::InvoiceJob {
    fn from(j: InvoiceJob) -> Self {
        let state = match j.state {
            InvoiceJobState::Pending => pb::InvoiceJobState::Pending,
            InvoiceJobState::Sent => pb::InvoiceJobState::Sent,
            InvoiceJobState::Dead => pb::InvoiceJobState::Dead,
        };
        Self {
            order_id: j.order_id.to_string(),
            state: state.into(),
            attempts: j.attempts,
            last_error: j.last_error.unwrap_or_default(),
            next_attempt_at: Some(timestamp(j.next_attempt_at)),
            created_at: Some(timestamp(j.created_at)),
            updated_at: Some(timestamp(j.updated_at)),
            sent_at: j.sent_at.map(timestamp),
            message_id: j.message_id,
            invoice_number: j.invoice_number.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}
