//! Payments as the provider reports them, and what recording them did.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What the payment provider reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The money was taken.
    Paid,
    /// The payment failed.
    Failed,
}

/// What recording a payment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// The order is now confirmed.
    Confirmed,
    /// It was confirmed already; nothing changed.
    Duplicate,
    /// A failed payment; nothing changed.
    Ignored,
    /// Paid, but the stock could not be taken: the money must be refunded.
    RefundRequired,
    /// Refused: stock could not be committed.
    InsufficientStock,
    /// Refused: no such order.
    OrderNotFound,
}

macro_rules! stored_names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }

            /// Parses a stored name.
            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($name => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

stored_names!(PaymentStatus { Paid => "paid", Failed => "failed" });
stored_names!(PaymentOutcome {
    Confirmed => "confirmed",
    Duplicate => "duplicate",
    Ignored => "ignored",
    RefundRequired => "refund_required",
    InsufficientStock => "insufficient_stock",
    OrderNotFound => "order_not_found",
});

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
}
