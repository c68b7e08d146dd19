//! Requests first, background work after: within one process (`shop serve`), the invoice
//! worker waits while webhooks are being served, so that under load the webhooks get the
//! CPU and the database, and the invoices, queued durably in the outbox, are sent once the
//! burst is over. Under sustained load the worker still takes a batch every `at_most`, so
//! invoices keep flowing.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Counts the requests in flight in this process, and when the last one ended.
#[derive(Debug, Clone)]
pub struct Foreground(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    started: Instant,
    in_flight: AtomicUsize,
    /// Microseconds after `started` when the last request ended.
    last_ended: AtomicU64,
}

impl Default for Foreground {
    fn default() -> Self {
        Self(Arc::new(Inner {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_ended: AtomicU64::new(0),
        }))
    }
}

/// A request in flight, until dropped.
#[derive(Debug)]
pub struct InFlight(Foreground);

impl Drop for InFlight {
    fn drop(&mut self) {
        let inner = &self.0.0;
        let now = inner.started.elapsed().as_micros() as u64;
        inner.last_ended.fetch_max(now, Ordering::Relaxed);
        inner.in_flight.fetch_sub(1, Ordering::Release);
    }
}

impl Foreground {
    /// Marks a request in flight until the returned guard is dropped.
    pub fn enter(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::Acquire);
        InFlight(self.clone())
    }

    /// How long no request has been in flight (zero while one is).
    pub fn idle_for(&self) -> Duration {
        let inner = &self.0;
        if inner.in_flight.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let last = Duration::from_micros(inner.last_ended.load(Ordering::Relaxed));
        inner.started.elapsed().saturating_sub(last)
    }

    /// Returns once no request has been in flight for `quiet`, or after `at_most`.
    pub async fn wait_for_quiet(&self, quiet: Duration, at_most: Duration) {
        let deadline = Instant::now() + at_most;
        loop {
            let idle = self.idle_for();
            if idle >= quiet || Instant::now() >= deadline {
                return;
            }
            let pause = (quiet - idle).min(deadline.saturating_duration_since(Instant::now()));
            tokio::time::sleep(pause.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_work_waits_for_quiet_but_never_longer_than_its_bound() {
        let foreground = Foreground::default();
        let started = Instant::now();
        foreground
            .wait_for_quiet(Duration::from_millis(20), Duration::from_secs(1))
            .await;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "idle from the start"
        );

        let request = foreground.enter();
        assert_eq!(foreground.idle_for(), Duration::ZERO);
        let started = Instant::now();
        foreground
            .wait_for_quiet(Duration::from_millis(20), Duration::from_millis(150))
            .await;
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "waited for the bound"
        );

        drop(request);
        let started = Instant::now();
        foreground
            .wait_for_quiet(Duration::from_millis(50), Duration::from_secs(5))
            .await;
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(45) && waited < Duration::from_secs(2),
            "waited {waited:?} for the quiet period after the request"
        );
    }
}
