//! The order state machine: statuses, events, and the one transition function.
//!
//! Who decides expiry: the orders service. An order awaiting payment whose payment deadline
//! (the expiry of its inventory reservation) has passed is cancelled by the orders sweeper,
//! which first releases the reservation in inventory and only then cancels the order. The
//! inventory's own sweeper merely returns stock of reservations nobody looks after any more
//! (say, the process died between reserving and saving the order). Because inventory decides
//! a reservation's fate atomically (commit and release exclude each other), the order can
//! never end up cancelled with its stock committed, or confirmed without it.
//!
//! Money that arrives for an order whose goods cannot follow never vanishes: the order moves
//! to [`OrderStatus::RefundRequired`] (cancelled, its payment to be refunded), once: a
//! repeated or concurrent payment finds it there and changes nothing.

use strum::VariantArray;

/// Where an order is in its life. Its stored name is that of its `status` column: a
/// refund-required order is a cancelled one whose `refund_required` column is set, so that
/// filtering by "cancelled" finds it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum OrderStatus {
    /// Stock reserved; waiting for the payment provider.
    AwaitingPayment,
    /// Paid: stock committed, invoice queued.
    Confirmed,
    /// Cancelled or not paid in time; stock released.
    Cancelled,
    /// Cancelled, and paid although its stock could not be taken: the money must be
    /// refunded. Stored, and shown by the API, as cancelled with `refund_required` set.
    #[strum(serialize = "cancelled")]
    RefundRequired,
    /// Cancelled, and its payment refunded (marked by an operator). Stored, and shown by the
    /// API, as cancelled with `refunded_at` set.
    #[strum(serialize = "cancelled")]
    Refunded,
}

impl OrderStatus {
    /// The stored `status` column.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The stored `refund_required` column.
    pub fn refund_required(self) -> bool {
        self == Self::RefundRequired
    }

    /// Whether it was refunded (the stored `refunded_at` is set).
    pub fn refunded(self) -> bool {
        self == Self::Refunded
    }

    /// The status stored as `status`, `refund_required` and whether `refunded_at` is set.
    pub fn from_stored(status: &str, refund_required: bool, refunded: bool) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|s| {
            s.as_str() == status
                && s.refund_required() == refund_required
                && s.refunded() == refunded
        })
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// A paid payment's stock was committed in inventory.
    StockCommitted,
    /// A paid payment arrived, but its stock could not be taken (committed, or reserved again
    /// after the reservation lapsed): the money must be refunded.
    PaidWithoutStock,
    /// A customer or operator cancels the order.
    Cancel,
    /// The payment deadline passed without a payment.
    DeadlinePassed,
    /// The payment provider reported a failed payment.
    PaymentFailed,
    /// An operator refunded the payment of an order flagged for refund.
    MarkRefunded,
}

impl OrderEvent {
    /// Every event.
    pub const ALL: [Self; 6] = [
        Self::StockCommitted,
        Self::PaidWithoutStock,
        Self::Cancel,
        Self::DeadlinePassed,
        Self::PaymentFailed,
        Self::MarkRefunded,
    ];
}

/// What an event does to an order in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Move to this status (possibly the same one, with the event's side effects).
    To(OrderStatus),
    /// Nothing changes: the event is a repeat or does not apply (idempotent).
    Stay,
    /// The event is not allowed in this status.
    Refuse,
}

/// The order state machine: the one function every status change goes through.
pub fn transition(from: OrderStatus, event: OrderEvent) -> Step {
    use OrderEvent as E;
    use OrderStatus::{AwaitingPayment, Cancelled, Confirmed, RefundRequired, Refunded};
    match (from, event) {
        (AwaitingPayment, E::StockCommitted) => Step::To(Confirmed),
        // A late payment for a cancelled order whose stock could be taken after all; or a
        // concurrent payment that took it while another flagged the order for refund: the
        // goods follow, so nothing is to be refunded.
        (Cancelled | RefundRequired, E::StockCommitted) => Step::To(Confirmed),
        (Confirmed, E::StockCommitted) => Step::Stay,
        // Its money went back to the customer: the goods do not follow any more.
        (Refunded, E::StockCommitted) => Step::Refuse,

        (AwaitingPayment | Cancelled, E::PaidWithoutStock) => Step::To(RefundRequired),
        // Flagged once: a repeated or concurrent payment report changes nothing.
        (RefundRequired | Refunded, E::PaidWithoutStock) => Step::Stay,
        (Confirmed, E::PaidWithoutStock) => Step::Refuse,

        (AwaitingPayment, E::Cancel) => Step::To(Cancelled),
        (Cancelled | RefundRequired | Refunded, E::Cancel) => Step::Stay,
        (Confirmed, E::Cancel) => Step::Refuse,

        (AwaitingPayment, E::DeadlinePassed) => Step::To(Cancelled),
        (Cancelled | RefundRequired | Refunded | Confirmed, E::DeadlinePassed) => Step::Stay,

        // A failed payment leaves an order awaiting payment payable again, and touches no
        // other order.
        (_, E::PaymentFailed) => Step::Stay,

        (RefundRequired, E::MarkRefunded) => Step::To(Refunded),
        // Marked once: the first operator's record stays.
        (Refunded, E::MarkRefunded) => Step::Stay,
        (AwaitingPayment | Confirmed | Cancelled, E::MarkRefunded) => Step::Refuse,
    }
}

/// The statuses from which `event` moves an order: the compare-and-set condition of the
/// write that applies it.
pub fn sources(event: OrderEvent) -> Vec<OrderStatus> {
    OrderStatus::VARIANTS
        .iter()
        .copied()
        .filter(|from| matches!(transition(*from, event), Step::To(_)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEvent as E;
    use OrderStatus::{AwaitingPayment, Cancelled, Confirmed, RefundRequired, Refunded};

    #[test]
    fn every_event_in_every_status_is_decided_by_the_state_machine() {
        let table = [
            (AwaitingPayment, E::StockCommitted, Step::To(Confirmed)),
            (
                AwaitingPayment,
                E::PaidWithoutStock,
                Step::To(RefundRequired),
            ),
            (AwaitingPayment, E::Cancel, Step::To(Cancelled)),
            (AwaitingPayment, E::DeadlinePassed, Step::To(Cancelled)),
            (AwaitingPayment, E::PaymentFailed, Step::Stay),
            (Confirmed, E::StockCommitted, Step::Stay),
            (Confirmed, E::PaidWithoutStock, Step::Refuse),
            (Confirmed, E::Cancel, Step::Refuse),
            (Confirmed, E::DeadlinePassed, Step::Stay),
            (Confirmed, E::PaymentFailed, Step::Stay),
            (Cancelled, E::StockCommitted, Step::To(Confirmed)),
            (Cancelled, E::PaidWithoutStock, Step::To(RefundRequired)),
            (Cancelled, E::Cancel, Step::Stay),
            (Cancelled, E::DeadlinePassed, Step::Stay),
            (Cancelled, E::PaymentFailed, Step::Stay),
            (RefundRequired, E::StockCommitted, Step::To(Confirmed)),
            (RefundRequired, E::PaidWithoutStock, Step::Stay),
            (RefundRequired, E::Cancel, Step::Stay),
            (RefundRequired, E::DeadlinePassed, Step::Stay),
            (RefundRequired, E::PaymentFailed, Step::Stay),
            (RefundRequired, E::MarkRefunded, Step::To(Refunded)),
            (AwaitingPayment, E::MarkRefunded, Step::Refuse),
            (Confirmed, E::MarkRefunded, Step::Refuse),
            (Cancelled, E::MarkRefunded, Step::Refuse),
            (Refunded, E::StockCommitted, Step::Refuse),
            (Refunded, E::PaidWithoutStock, Step::Stay),
            (Refunded, E::Cancel, Step::Stay),
            (Refunded, E::DeadlinePassed, Step::Stay),
            (Refunded, E::PaymentFailed, Step::Stay),
            (Refunded, E::MarkRefunded, Step::Stay),
        ];
        assert_eq!(
            table.len(),
            OrderStatus::VARIANTS.len() * OrderEvent::ALL.len()
        );
        for (from, event, expected) in table {
            assert_eq!(transition(from, event), expected, "{event:?} in {from:?}");
        }
    }

    #[test]
    fn sources_are_the_statuses_an_event_moves_from() {
        assert_eq!(
            sources(E::StockCommitted),
            vec![AwaitingPayment, Cancelled, RefundRequired]
        );
        assert_eq!(sources(E::Cancel), vec![AwaitingPayment]);
        assert_eq!(sources(E::DeadlinePassed), vec![AwaitingPayment]);
        assert_eq!(
            sources(E::PaidWithoutStock),
            vec![AwaitingPayment, Cancelled]
        );
        assert!(sources(E::PaymentFailed).is_empty());
        assert_eq!(sources(E::MarkRefunded), vec![RefundRequired]);
    }

    #[test]
    fn statuses_round_trip_through_their_stored_columns() {
        for &status in OrderStatus::VARIANTS {
            assert_eq!(
                OrderStatus::from_stored(
                    status.as_str(),
                    status.refund_required(),
                    status.refunded()
                ),
                Some(status)
            );
        }
        assert_eq!(OrderStatus::from_stored("confirmed", true, false), None);
        assert_eq!(OrderStatus::from_stored("cancelled", true, true), None);
        assert_eq!(OrderStatus::from_stored("maybe", false, false), None);
    }
}
