//! Payments as the provider reports them, and what recording them did.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::OrderStatus;

/// What the payment provider reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum PaymentStatus {
    /// The money was taken.
    Paid,
    /// The payment failed.
    Failed,
}

/// What recording a payment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum PaymentOutcome {
    /// The order is now confirmed.
    Confirmed,
    /// It was confirmed already; nothing changed.
    Duplicate,
    /// A failed payment; nothing changed.
    Ignored,
    /// Paid, but the stock could not be taken: the money must be refunded.
    RefundRequired,
    /// Refused: stock could not be committed. (Recorded before paid orders that cannot be
    /// filled were flagged for refund; now such a payment is [`Self::RefundRequired`].)
    InsufficientStock,
    /// Refused: no such order.
    OrderNotFound,
}

/// Why a paid order's money must be refunded, by the status the order was in when the
/// payment could not be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RefundCause {
    /// Paid while awaiting payment, but its stock could not be taken (a stock count took it
    /// below what was reserved, or the reservation lapsed and the stock was sold).
    StockUnavailable,
    /// Paid after the order was cancelled (on request or at its deadline), and its stock was
    /// gone.
    PaidAfterCancel,
}

impl RefundCause {
    /// The cause for an order in `status` (the other statuses cannot be flagged).
    pub fn of(status: OrderStatus) -> Self {
        match status {
            OrderStatus::AwaitingPayment => Self::StockUnavailable,
            _ => Self::PaidAfterCancel,
        }
    }

    /// The order's cancel reason once flagged; `previous` is why it was cancelled before
    /// (kept: both facts are true).
    pub fn cancel_reason(self, previous: &str) -> String {
        const REFUND: &str = "the payment must be refunded";
        match self {
            Self::StockUnavailable => format!("paid, but its stock was unavailable: {REFUND}"),
            Self::PaidAfterCancel if previous.is_empty() => {
                format!("paid after it was cancelled, and its stock was gone: {REFUND}")
            }
            Self::PaidAfterCancel => {
                format!("{previous}; paid afterwards, and its stock was gone: {REFUND}")
            }
        }
    }
}

/// One recorded RecordPayment call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// The order it was for (which may not exist).
    pub order_id: Uuid,
    /// What the provider reported.
    pub status: PaymentStatus,
    /// What it did.
    pub outcome: PaymentOutcome,
    /// Detail for operators.
    pub detail: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use shop_common::names::StoredName;

    use super::*;

    #[test]
    fn outcomes_and_statuses_round_trip_through_their_stored_names() {
        for outcome in [
            PaymentOutcome::Confirmed,
            PaymentOutcome::Duplicate,
            PaymentOutcome::Ignored,
            PaymentOutcome::RefundRequired,
            PaymentOutcome::InsufficientStock,
            PaymentOutcome::OrderNotFound,
        ] {
            assert_eq!(PaymentOutcome::parse(outcome.as_str()), Some(outcome));
        }
        for status in [PaymentStatus::Paid, PaymentStatus::Failed] {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(PaymentOutcome::parse("maybe"), None);
    }

    #[test]
    fn a_refund_reason_says_the_order_was_paid_and_keeps_why_it_was_cancelled() {
        let cases = [
            (
                OrderStatus::AwaitingPayment,
                "",
                "paid, but its stock was unavailable: the payment must be refunded",
            ),
            (
                OrderStatus::Cancelled,
                "not paid before the payment deadline",
                "not paid before the payment deadline; paid afterwards, and its stock was gone: \
                 the payment must be refunded",
            ),
            (
                OrderStatus::Cancelled,
                "",
                "paid after it was cancelled, and its stock was gone: the payment must be refunded",
            ),
        ];
        for (status, previous, expected) in cases {
            assert_eq!(RefundCause::of(status).cancel_reason(previous), expected);
        }
    }
}
