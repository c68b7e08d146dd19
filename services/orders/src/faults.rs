//! Failure injection for tests: makes the orders service fail at a chosen point, the way a
//! crash there would, so tests can prove the system heals. Inert unless a test arms it.

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
}

impl FaultPoint {
    fn name(self) -> &'static str {
        match self {
            Self::AfterInventoryCommit => "after the inventory commit",
        }
    }
}

/// Armed failures, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    after_inventory_commit: Arc<AtomicUsize>,
}

impl Faults {
    /// Makes the next `times` passes through `point` fail.
    pub fn arm(&self, point: FaultPoint, times: usize) {
        match point {
            FaultPoint::AfterInventoryCommit => {
                self.after_inventory_commit.store(times, Ordering::SeqCst)
            }
        }
    }

    /// Fails if a failure is armed at `point` (and uses it up).
    pub fn check(&self, point: FaultPoint) -> Result<(), crate::error::Error> {
        let counter = match point {
            FaultPoint::AfterInventoryCommit => &self.after_inventory_commit,
        };
        let fired = counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fired {
            Err(crate::error::Error::Injected(point.name()))
        } else {
            Ok(())
        }
    }
}
