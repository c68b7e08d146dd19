//! Failure injection for tests: makes the orders service fail at a chosen point, the way a
//! crash (or a lost database) there would, so tests can prove the system heals. Inert unless
//! a test arms it, and compiled only with the `faults` feature (which the crate's own tests
//! turn on): without it [`Faults`] is empty and every [`Faults::check`] is `Ok(())`, which
//! the compiler removes.

#[cfg(feature = "faults")]
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

/// Points where a failure can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// After inventory committed a paid order's stock, before the orders transaction that
    /// confirms it.
    AfterInventoryCommit,
    /// After inventory released the reservation of a paid order that cannot be filled, before
    /// the orders transaction that flags it for refund.
    AfterRefundRelease,
    /// Recording an invoice job's outcome (sent, retry, dead) in the database, as if the
    /// database had gone away.
    InvoiceOutcome,
}

#[cfg(feature = "faults")]
impl FaultPoint {
    const ALL: [Self; 3] = [
        Self::AfterInventoryCommit,
        Self::AfterRefundRelease,
        Self::InvoiceOutcome,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::AfterInventoryCommit => "after the inventory commit",
            Self::AfterRefundRelease => "after the release of an order to refund",
            Self::InvoiceOutcome => "recording an invoice outcome",
        }
    }

    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|p| *p == self)
            .expect("every point is in ALL")
    }
}

/// Armed failures, shared by clones.
#[cfg(feature = "faults")]
#[derive(Debug, Clone, Default)]
pub struct Faults {
    armed: Arc<[AtomicUsize; FaultPoint::ALL.len()]>,
}

/// Without the `faults` feature: nothing to arm, nothing ever fails. (Handled like the real
/// one, `default()` and `clone()`, so callers read the same with and without the feature.)
#[cfg(not(feature = "faults"))]
#[derive(Debug, Clone, Default)]
pub struct Faults {
    _nothing: (),
}

#[cfg(not(feature = "faults"))]
impl Faults {
    /// Never fails: fault injection is compiled out.
    #[inline(always)]
    pub fn check(&self, _point: FaultPoint) -> Result<(), crate::error::Error> {
        Ok(())
    }
}

#[cfg(feature = "faults")]
impl Faults {
    /// Makes the next `times` passes through `point` fail.
    pub fn arm(&self, point: FaultPoint, times: usize) {
        self.armed[point.index()].store(times, Ordering::SeqCst);
    }

    /// How many armed failures at `point` are left.
    pub fn remaining(&self, point: FaultPoint) -> usize {
        self.armed[point.index()].load(Ordering::SeqCst)
    }

    /// Fails if a failure is armed at `point` (and uses it up).
    pub fn check(&self, point: FaultPoint) -> Result<(), crate::error::Error> {
        let fired = self.armed[point.index()]
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fired {
            Err(crate::error::Error::Injected(point.name()))
        } else {
            Ok(())
        }
    }
}
