//! Liveness of a loop that has no server of its own (the invoice worker): the loop beats a
//! [`Heartbeat`] on every turn, and `GET /healthz` on the metrics address answers 200 only
//! while the last beat is recent, so an orchestrator restarts a process whose loop is stuck.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// When a loop last turned. Cheap to clone and to beat.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    started: Instant,
    /// Milliseconds from `started` to the last beat.
    last_ms: Arc<AtomicU64>,
    stale_after: Duration,
}

impl Heartbeat {
    /// A heartbeat that counts as stale `stale_after` after its last beat (it beats now).
    pub fn new(stale_after: Duration) -> Self {
        Self {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
            stale_after,
        }
    }

    /// The loop turned.
    pub fn beat(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// How long ago the loop last turned.
    pub fn since_last_beat(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// Whether the loop turned recently enough.
    pub fn is_alive(&self) -> bool {
        self.since_last_beat() < self.stale_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_goes_stale_without_beats_and_recovers_with_one() {
        let heartbeat = Heartbeat::new(Duration::from_millis(50));
        assert!(heartbeat.is_alive());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!heartbeat.is_alive());
        heartbeat.clone().beat();
        assert!(heartbeat.is_alive(), "clones share the beat");
    }
}
