//! Reservations: their lines, their states, and the one decision table for changing state.

use std::{collections::BTreeMap, fmt};

use chrono::{DateTime, Utc};

use super::ids::{ProductId, ReservationId};
use shop_common::validation::InvalidField;

/// The largest quantity of one product in one reservation.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The most lines one reservation may have.
pub const MAX_LINES: usize = 1_000;

/// A number of units to reserve: 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    /// Parses a quantity from request field `field`.
    pub fn parse(field: &str, raw: i64) -> Result<Self, InvalidField> {
        if raw <= 0 {
            return Err(InvalidField::new(
                field,
                format!("must be more than 0, got {raw}"),
            ));
        }
        if raw > MAX_QUANTITY {
            return Err(InvalidField::new(
                field,
                format!("must be at most {MAX_QUANTITY}"),
            ));
        }
        Ok(Self(raw))
    }

    /// The number of units.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// One product's quantity in a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationLine {
    /// The product.
    pub product_id: ProductId,
    /// Units of it.
    pub quantity: Quantity,
}

/// The lines of a reservation: at least one, one per product (lines for the same product are
/// summed), ordered by product id — the order in which rows are locked, so that concurrent
/// reservations never deadlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationLines(Vec<ReservationLine>);

impl ReservationLines {
    /// Parses the `lines` field, given as `(product_id, quantity)` pairs.
    pub fn parse<'a>(raw: impl IntoIterator<Item = (&'a str, i64)>) -> Result<Self, InvalidField> {
        let mut summed: BTreeMap<ProductId, i64> = BTreeMap::new();
        for (index, (product_id, quantity)) in raw.into_iter().enumerate() {
            if index >= MAX_LINES {
                return Err(InvalidField::new(
                    "lines",
                    format!("must have at most {MAX_LINES} lines"),
                ));
            }
            let product_id = ProductId::parse(&format!("lines[{index}].product_id"), product_id)?;
            let field = format!("lines[{index}].quantity");
            let quantity = Quantity::parse(&field, quantity)?;
            let total = summed.entry(product_id).or_default();
            *total = Quantity::parse(&field, *total + quantity.get())
                .map_err(|_| {
                    InvalidField::new(
                        &field,
                        format!(
                            "the lines for product {product_id} add up to more than {MAX_QUANTITY}"
                        ),
                    )
                })?
                .get();
        }
        if summed.is_empty() {
            return Err(InvalidField::new("lines", "must have at least one line"));
        }
        Ok(Self(
            summed
                .into_iter()
                .map(|(product_id, quantity)| ReservationLine {
                    product_id,
                    quantity: Quantity(quantity),
                })
                .collect(),
        ))
    }

    /// Rebuilds lines read from storage, where they were stored already normalised.
    pub fn from_stored(lines: impl IntoIterator<Item = (ProductId, i64)>) -> Self {
        let mut lines: Vec<ReservationLine> = lines
            .into_iter()
            .map(|(product_id, quantity)| ReservationLine {
                product_id,
                quantity: Quantity(quantity),
            })
            .collect();
        lines.sort_by_key(|line| line.product_id);
        Self(lines)
    }

    /// The lines, ordered by product id.
    pub fn iter(&self) -> impl Iterator<Item = &ReservationLine> {
        self.0.iter()
    }
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationState {
    /// Holding stock.
    Active,
    /// Its quantities left stock.
    Committed,
    /// Released by a caller; its quantities are available again.
    Released,
    /// Not committed in time; its quantities are available again.
    Expired,
}

impl ReservationState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Active, Self::Committed, Self::Released, Self::Expired];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Committed => "committed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl fmt::Display for ReservationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reservation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Its id, chosen by the caller.
    pub id: ReservationId,
    /// Its stored state.
    pub state: ReservationState,
    /// What it holds.
    pub lines: ReservationLines,
    /// An active reservation not committed by then expires.
    pub expires_at: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When its state last changed.
    pub updated_at: DateTime<Utc>,
}

impl Reservation {
    /// True when it is past its expiry time (whatever its state).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// The state clients see: an active reservation past `expires_at` is already expired,
    /// even if the sweeper has not yet returned its stock.
    pub fn state_at(&self, now: DateTime<Utc>) -> ReservationState {
        match self.state {
            ReservationState::Active if self.is_due(now) => ReservationState::Expired,
            state => state,
        }
    }
}

/// A requested change of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Take the quantities out of stock (`CommitReservation`).
    Commit,
    /// Give the quantities back (`ReleaseReservation`).
    Release,
    /// Give the quantities back because time ran out (the sweeper).
    Expire,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It was released.
    Released,
    /// It expired.
    Expired,
    /// It was committed.
    Committed,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Released => "released",
            Self::Expired => "expired",
            Self::Committed => "committed",
        })
    }
}

/// What to do with a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Move to this state and apply the counter changes.
    Apply(ReservationState),
    /// Nothing to do: answer with the reservation as it is (idempotent repeat, or the sweeper
    /// finding nothing due).
    Unchanged,
    /// Refuse.
    Refuse(Refusal),
}

/// The one decision table for reservation state changes. `due` says whether the
/// reservation is past its expiry time: a due reservation can no longer be committed, even
/// before the sweeper has expired it.
pub fn decide(state: ReservationState, due: bool, transition: Transition) -> Decision {
    use Decision::{Apply, Refuse, Unchanged};
    use ReservationState::{Active, Committed, Expired, Released};
    match (transition, state, due) {
        (Transition::Commit, Active, false) => Apply(Committed),
        (Transition::Commit, Active, true) => Refuse(Refusal::Expired),
        (Transition::Commit, Committed, _) => Unchanged,
        (Transition::Commit, Released, _) => Refuse(Refusal::Released),
        (Transition::Commit, Expired, _) => Refuse(Refusal::Expired),

        (Transition::Release, Active, _) => Apply(Released),
        (Transition::Release, Released | Expired, _) => Unchanged,
        (Transition::Release, Committed, _) => Refuse(Refusal::Committed),

        (Transition::Expire, Active, true) => Apply(Expired),
        (Transition::Expire, Active, false) => Unchanged,
        (Transition::Expire, Committed | Released | Expired, _) => Unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Apply, Refuse, Unchanged};
    use ReservationState::{Active, Committed, Expired, Released};

    #[test]
    fn every_transition_from_every_state_is_decided_by_the_table() {
        let table = [
            (Transition::Commit, Active, false, Apply(Committed)),
            (Transition::Commit, Active, true, Refuse(Refusal::Expired)),
            (Transition::Commit, Committed, false, Unchanged),
            (Transition::Commit, Committed, true, Unchanged),
            (
                Transition::Commit,
                Released,
                false,
                Refuse(Refusal::Released),
            ),
            (
                Transition::Commit,
                Released,
                true,
                Refuse(Refusal::Released),
            ),
            (Transition::Commit, Expired, false, Refuse(Refusal::Expired)),
            (Transition::Commit, Expired, true, Refuse(Refusal::Expired)),
            (Transition::Release, Active, false, Apply(Released)),
            (Transition::Release, Active, true, Apply(Released)),
            (
                Transition::Release,
                Committed,
                false,
                Refuse(Refusal::Committed),
            ),
            (
                Transition::Release,
                Committed,
                true,
                Refuse(Refusal::Committed),
            ),
            (Transition::Release, Released, false, Unchanged),
            (Transition::Release, Released, true, Unchanged),
            (Transition::Release, Expired, false, Unchanged),
            (Transition::Release, Expired, true, Unchanged),
            (Transition::Expire, Active, false, Unchanged),
            (Transition::Expire, Active, true, Apply(Expired)),
            (Transition::Expire, Committed, false, Unchanged),
            (Transition::Expire, Committed, true, Unchanged),
            (Transition::Expire, Released, false, Unchanged),
            (Transition::Expire, Released, true, Unchanged),
            (Transition::Expire, Expired, false, Unchanged),
            (Transition::Expire, Expired, true, Unchanged),
        ];
        assert_eq!(
            table.len(),
            3 * ReservationState::ALL.len() * 2,
            "table covers every case"
        );
        for (transition, state, due, expected) in table {
            assert_eq!(
                decide(state, due, transition),
                expected,
                "{transition:?} from {state} (due: {due})"
            );
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for state in ReservationState::ALL {
            assert_eq!(ReservationState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ReservationState::parse("pending"), None);
    }

    const A: &str = "00000000-0000-7000-8000-00000000000a";
    const B: &str = "00000000-0000-7000-8000-00000000000b";

    #[test]
    fn lines_for_the_same_product_are_summed_and_ordered_by_product() {
        let lines = ReservationLines::parse([(B, 2), (A, 1), (B, 3)]).unwrap();
        let got: Vec<(String, i64)> = lines
            .iter()
            .map(|l| (l.product_id.to_string(), l.quantity.get()))
            .collect();
        assert_eq!(got, vec![(A.to_string(), 1), (B.to_string(), 5)]);
    }

    #[test]
    fn bad_lines_name_the_offending_field() {
        let err = ReservationLines::parse([]).unwrap_err();
        assert_eq!(err.field, "lines");
        let err = ReservationLines::parse([(A, 1), (B, 0)]).unwrap_err();
        assert_eq!(err.field, "lines[1].quantity");
        let err = ReservationLines::parse([(A, 1), ("x", 1)]).unwrap_err();
        assert_eq!(err.field, "lines[1].product_id");
        let err = ReservationLines::parse([(A, MAX_QUANTITY), (A, 1)]).unwrap_err();
        assert_eq!(err.field, "lines[1].quantity");
        assert!(err.reason.contains("add up"), "{err}");
    }

    #[test]
    fn an_active_reservation_past_its_expiry_reads_as_expired() {
        let now = Utc::now();
        let reservation = Reservation {
            id: ReservationId::generate(),
            state: Active,
            lines: ReservationLines::parse([(A, 1)]).unwrap(),
            expires_at: now,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(
            reservation.state_at(now - chrono::Duration::seconds(1)),
            Active
        );
        assert_eq!(reservation.state_at(now), Expired);
    }
}
