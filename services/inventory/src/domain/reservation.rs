//! Reservations: their states, and the one decision table for changing state.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{ids::ReservationId, lines::ReservationLines};

/// Where a reservation is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
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

impl fmt::Display for ReservationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str((*self).into())
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
    use shop_common::names::StoredName;
    use strum::VariantArray;

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
            3 * ReservationState::VARIANTS.len() * 2,
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
        for &state in ReservationState::VARIANTS {
            assert_eq!(ReservationState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ReservationState::parse("pending"), None);
    }

    #[test]
    fn an_active_reservation_past_its_expiry_reads_as_expired() {
        let now = Utc::now();
        let reservation = Reservation {
            id: ReservationId::generate(),
            state: Active,
            lines: ReservationLines::parse([("00000000-0000-7000-8000-00000000000a", 1)]).unwrap(),
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
