//! Recording what sending an invoice did, also while the database is away.
//!
//! Once the relay has accepted a mail, failing to record that would leave the job to be
//! claimed again when its lease runs out, and the invoice would be mailed twice. So writing
//! an outcome (sent, retry, dead) is retried with back-off while the database is unreachable,
//! but only within the claim's lease: until 9/10 of it has passed since the claim (4.5 min of
//! the default 5), the last tenth left for clocks that differ between workers and for the
//! last write in flight. Within the lease no worker can claim the job, so a database outage
//! that ends before then costs nothing; a retry that went on past it could race a new claim.
//!
//! A sent invoice that still could not be recorded is remembered by this worker and recorded
//! on its next turns; if this worker claims the job again before that succeeds, it records it
//! sent instead of mailing it again. The bound: only a database outage longer than that
//! tenth-short lease, with another worker claiming the job first once it is over, mails an
//! invoice twice (with the same Message-ID).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use backon::{BackoffBuilder, ExponentialBuilder};

use super::Worker;
use crate::{
    domain::{AfterFailure, OrderId},
    error::Error,
    faults::FaultPoint,
    store::ClaimedJob,
};

/// How long the first write may take when the deadline is (nearly) over: a job whose send
/// took most of the lease still gets a fair try at being recorded. Later tries end by it.
const FIRST_TRY: Duration = Duration::from_secs(5);

/// How long after its claim a job's outcome may still be retried: 9/10 of the lease.
pub(super) fn record_within(lease: Duration) -> Duration {
    lease.mul_f64(0.9)
}

/// What an attempt came to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Outcome<'a> {
    /// The relay accepted the mail.
    Sent,
    /// It failed; `after` says what happens next.
    Failed {
        /// Why.
        error: &'a str,
        /// Retry or dead.
        after: AfterFailure,
    },
}

/// What became of recording an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    /// Written.
    Written,
    /// Not needed: the job was claimed again since (a failure is then the new claim's to
    /// record).
    Superseded,
    /// Still to be recorded: the database could not be reached in time (or refused the
    /// write).
    Pending,
}

/// Jobs this worker sent whose outcome it could not record yet.
#[derive(Debug, Clone, Default)]
pub(super) struct Unrecorded(Arc<Mutex<HashSet<OrderId>>>);

impl Unrecorded {
    pub(super) fn contains(&self, id: OrderId) -> bool {
        self.lock().contains(&id)
    }

    fn insert(&self, id: OrderId) {
        self.lock().insert(id);
    }

    fn remove(&self, id: OrderId) {
        self.lock().remove(&id);
    }

    fn all(&self) -> Vec<OrderId> {
        self.lock().iter().copied().collect()
    }

    /// The set stays usable even if a task panicked while holding the lock.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<OrderId>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// True when the write may succeed if tried again: the database was unreachable, a lock
/// conflict outlasted the store's own retries, or a test injected the failure.
fn is_transient(error: &Error) -> bool {
    match error {
        Error::Database(e) => shop_common::db::is_unavailable(e),
        #[cfg(feature = "faults")]
        Error::Injected(_) => true,
        _ => false,
    }
}

impl Worker {
    /// Records `outcome` of `job`, retrying while the database is unreachable, until
    /// `until`. A sent job that could not be recorded is remembered.
    pub(super) async fn record(
        &self,
        job: &ClaimedJob,
        outcome: Outcome<'_>,
        until: Instant,
    ) -> Recorded {
        let id = job.order_id;
        let mut delays = ExponentialBuilder::new()
            .with_jitter()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(Duration::from_secs(1))
            .without_max_times()
            .build();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let bound = if tries == 1 {
                until.max(Instant::now() + FIRST_TRY)
            } else {
                until
            };
            let result = match tokio::time::timeout_at(bound.into(), self.write(job, outcome)).await
            {
                Ok(result) => result,
                Err(_) => Err(Error::Database(sea_orm::DbErr::Custom(
                    "timed out recording the invoice outcome".to_owned(),
                ))),
            };
            let error = match result {
                Ok(recorded) => {
                    if tries > 1 {
                        tracing::info!(order_id = %id, tries, "invoice outcome recorded");
                    }
                    if matches!(outcome, Outcome::Sent) {
                        self.unrecorded.remove(id);
                    }
                    return recorded;
                }
                Err(error) => error,
            };
            let delay = delays.next().unwrap_or(Duration::from_secs(1));
            if !is_transient(&error) || Instant::now() + delay >= until {
                if matches!(outcome, Outcome::Sent) {
                    self.unrecorded.insert(id);
                }
                // The lease runs out and the job is claimed again: a failed attempt is tried
                // again; a sent one this worker records then (see the module documentation).
                tracing::error!(
                    order_id = %id, attempt = job.attempt, tries, error = %error,
                    "cannot record the invoice outcome; giving up before the lease ends"
                );
                return Recorded::Pending;
            }
            if tries == 1 {
                tracing::warn!(
                    order_id = %id, attempt = job.attempt, error = %error,
                    "cannot record the invoice outcome; retrying while the lease lasts"
                );
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One try at each sent invoice this worker could not record before.
    pub(super) async fn record_unrecorded(&self) {
        for id in self.unrecorded.all() {
            match self.write_sent(id).await {
                Ok(()) => {
                    tracing::info!(order_id = %id, "invoice outcome recorded late: sent");
                    self.unrecorded.remove(id);
                }
                Err(e) => {
                    tracing::debug!(order_id = %id, error = %e, "still cannot record the invoice outcome");
                }
            }
        }
    }

    async fn write(&self, job: &ClaimedJob, outcome: Outcome<'_>) -> Result<Recorded, Error> {
        match outcome {
            Outcome::Sent => {
                self.write_sent(job.order_id).await?;
                Ok(Recorded::Written)
            }
            Outcome::Failed { error, after } => {
                self.faults.check(FaultPoint::InvoiceOutcome)?;
                let written = self.store.mark_invoice_failed(job, error, after).await?;
                Ok(if written {
                    Recorded::Written
                } else {
                    Recorded::Superseded
                })
            }
        }
    }

    async fn write_sent(&self, id: OrderId) -> Result<(), Error> {
        self.faults.check(FaultPoint::InvoiceOutcome)?;
        self.store.mark_invoice_sent(id).await
    }
}
