//! The invoice worker: sends the invoice of every confirmed order, from the outbox table
//! written in the confirming transaction.
//!
//! It claims due jobs under a lease (see `store::outbox`), composes each invoice and sends
//! it, then records the outcome: sent, retry later (exponential backoff with jitter, capped),
//! or dead once it has failed for the whole retry window (see `domain::RetryPolicy`).
//! Nothing is lost on restart: a job is only done once it is marked sent. Recording the
//! outcome outlasts a short database outage (see `outcome`). The claim also allocates each
//! new job's sequential invoice number (see `store::numbering`), so numbering costs the
//! worker one short statement per batch and the webhooks nothing.

mod invoice;
mod outcome;
mod render;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use futures::StreamExt;
use sea_orm::DatabaseConnection;
use shop_common::names::StoredName;
use shop_common::{foreground::Foreground, liveness::Heartbeat};
use shop_invoice::{Mailbox, Mailer, MailerError, Seller};
use strum::VariantArray;
use tokio_util::sync::CancellationToken;

pub use invoice::invoice_for;
pub use render::lower_priority;

use crate::{
    config::WorkerConfig,
    domain::{AfterFailure, GaveUp, InvoiceJobState, Order, OrderId, RetryPolicy},
    error::Error,
    faults::Faults,
    store::{ClaimedJob, Store},
};

use outcome::{Outcome, Recorded, Unrecorded};

/// How often the outbox gauges are refreshed.
const STATS_INTERVAL: Duration = Duration::from_secs(10);
/// With a [`Foreground`], a batch is claimed once no request has been in flight this long…
const FOREGROUND_QUIET: Duration = Duration::from_millis(100);
/// …or after this long under sustained load, so invoices keep flowing.
const FOREGROUND_MAX_DEFER: Duration = Duration::from_secs(1);

/// A worker sending invoice mails.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    mailer: Mailer,
    from: Mailbox,
    seller: Seller,
    policy: RetryPolicy,
    poll_interval: Duration,
    lease: Duration,
    concurrency: usize,
    renderer: render::Renderer,
    heartbeat: Heartbeat,
    unrecorded: Unrecorded,
    faults: Faults,
    foreground: Option<Foreground>,
}

impl Worker {
    /// A worker over a migrated database, issuing invoices as `seller` (see
    /// [`shop_invoice::SellerConfig::resolve`]); fails on an unusable `SHOP_SMTP_URL` or
    /// `SHOP_MAIL_DIR`.
    pub fn new(
        config: &WorkerConfig,
        seller: Seller,
        db: DatabaseConnection,
    ) -> Result<Self, MailerError> {
        Ok(Self {
            store: Store::new(db),
            mailer: Mailer::new(&config.mail)?,
            from: config.mail.mail_from.clone(),
            seller,
            policy: config.retry_policy(),
            poll_interval: config.poll_interval,
            lease: config.lease,
            concurrency: usize::from(config.concurrency),
            renderer: render::Renderer::start(),
            // A turn of the loop takes at most one batch, whose jobs are leased: a loop that
            // has not turned for a whole lease is stuck.
            heartbeat: Heartbeat::new(config.lease.max(Duration::from_secs(60))),
            unrecorded: Unrecorded::default(),
            faults: Faults::default(),
            foreground: None,
        })
    }

    /// The worker with `faults` armed by a test (see `faults`).
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The loop's heartbeat: beats on every turn, also while the database or the SMTP server
    /// is away (the loop is alive, retrying); stale only when the loop is stuck.
    /// Yields to the requests of this process (`shop serve`): claims a batch only after
    /// they have paused, or once a second under sustained load (see
    /// `shop_common::foreground`).
    pub fn with_foreground(mut self, foreground: Foreground) -> Self {
        self.foreground = Some(foreground);
        self
    }

    pub fn heartbeat(&self) -> Heartbeat {
        self.heartbeat.clone()
    }

    /// Sends invoices until `shutdown`; a batch in progress is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(mailer = ?self.mailer, "invoice worker started");
        let mut last_stats: Option<std::time::Instant> = None;
        loop {
            self.heartbeat.beat();
            if last_stats.is_none_or(|at| at.elapsed() >= STATS_INTERVAL) {
                self.export_stats().await;
                last_stats = Some(std::time::Instant::now());
            }
            if let Some(foreground) = &self.foreground {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = foreground.wait_for_quiet(FOREGROUND_QUIET, FOREGROUND_MAX_DEFER) => {}
                }
            }
            let busy = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim invoice jobs; retrying");
                    false
                }
            };
            if shutdown.is_cancelled() {
                return;
            }
            // With a backlog, go straight on; otherwise poll.
            if !busy {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        }
    }

    /// Refreshes the outbox gauges: jobs per state, and how long the oldest due job waits.
    async fn export_stats(&self) {
        match self.store.outbox_stats().await {
            Ok(stats) => {
                for &state in InvoiceJobState::VARIANTS {
                    let n = stats
                        .by_state
                        .iter()
                        .find(|(s, _)| *s == state)
                        .map_or(0, |(_, n)| *n);
                    metrics::gauge!("shop_invoice_jobs", "state" => state.as_str()).set(n as f64);
                }
                let age = stats.oldest_due.map_or(0.0, |due| {
                    (shop_common::db::now() - due).num_milliseconds().max(0) as f64 / 1000.0
                });
                metrics::gauge!("shop_outbox_oldest_due_seconds").set(age);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the outbox statistics"),
        }
    }

    /// Claims one batch of due jobs and sends them; returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, Error> {
        self.record_unrecorded().await;
        let batch = (self.concurrency * 4) as u64;
        // Taken before the claim, so it is never later than the lease's start.
        let claimed_at = Instant::now();
        let jobs = self.store.claim_invoice_jobs(self.lease, batch).await?;
        let claimed = jobs.len();
        if jobs.is_empty() {
            return Ok(0);
        }
        // The batch's orders in one go, not a query per job: fewer round trips competing with
        // the webhooks for the database.
        let ids: Vec<OrderId> = jobs.iter().map(|job| job.order_id).collect();
        let mut orders = self.store.orders(&ids).await.map(|orders| {
            orders
                .into_iter()
                .map(|order| (order.id, order))
                .collect::<HashMap<_, _>>()
        });
        let work: Vec<(ClaimedJob, Result<Order, String>)> = jobs
            .into_iter()
            .map(|job| {
                let order = match &mut orders {
                    Ok(found) => found
                        .remove(&job.order_id)
                        .ok_or_else(|| Error::OrderNotFound(job.order_id).to_string()),
                    Err(e) => Err(e.to_string()),
                };
                (job, order)
            })
            .collect();
        let record_until = claimed_at + outcome::record_within(self.lease);
        futures::stream::iter(work)
            .for_each_concurrent(self.concurrency, |(job, order)| {
                self.send(job, order, record_until)
            })
            .await;
        Ok(claimed)
    }

    /// Sends one job's invoice and records the outcome (retrying that until `record_until`).
    async fn send(&self, job: ClaimedJob, order: Result<Order, String>, record_until: Instant) {
        let id = job.order_id;
        if self.unrecorded.contains(id) {
            // This worker sent it, but could not record that before its lease ran out: record
            // it now rather than mail it again.
            tracing::info!(order_id = %id, attempt = job.attempt, "invoice sent already; recording it, not sending it again");
            self.record(&job, Outcome::Sent, record_until).await;
            return;
        }
        match self.deliver(job, order).await {
            Ok(delivery) => {
                tracing::info!(order_id = %id, attempt = job.attempt, %delivery, "invoice sent");
                metrics::counter!("shop_invoices_sent_total").increment(1);
                self.record(&job, Outcome::Sent, record_until).await;
            }
            Err(failure) => {
                metrics::counter!("shop_invoice_failures_total").increment(1);
                let after = match failure {
                    Failure::Permanent(_) => AfterFailure::Dead(GaveUp::Permanent),
                    Failure::Retryable(_) => {
                        let failing_for = job.failing_since.map_or(Duration::ZERO, |since| {
                            (shop_common::db::now() - since)
                                .to_std()
                                .unwrap_or_default()
                        });
                        self.policy
                            .after_failure(job.attempt, failing_for, fastrand::f64())
                    }
                };
                if let AfterFailure::RetryIn(delay) = after {
                    tracing::warn!(
                        order_id = %id, attempt = job.attempt, error = %failure, retry_in = ?delay,
                        "invoice not sent; will retry"
                    );
                }
                let error = failure.to_string();
                let recorded = self
                    .record(
                        &job,
                        Outcome::Failed {
                            error: &error,
                            after,
                        },
                        record_until,
                    )
                    .await;
                if let (Recorded::Written, AfterFailure::Dead(why)) = (recorded, after) {
                    tracing::error!(
                        order_id = %id, attempt = job.attempt, error = %failure, reason = why.as_str(),
                        "invoice job dead; ResendInvoice re-queues it"
                    );
                    metrics::counter!("shop_invoices_dead_total", "reason" => why.as_str())
                        .increment(1);
                }
            }
        }
    }

    async fn deliver(
        &self,
        job: ClaimedJob,
        order: Result<Order, String>,
    ) -> Result<shop_invoice::Delivery, Failure> {
        let order = order.map_err(Failure::Retryable)?;
        let invoice = invoice_for(&order, &job, &self.seller);
        // On a thread of its own at a lower priority: see `render`.
        let (message, pdf) = self
            .renderer
            .compose(invoice, self.from.clone())
            .await
            .map_err(|e| Failure::Retryable(e.to_string()))?
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        // Kept before sending: what staff download (GetInvoicePdf) is what was mailed.
        self.store
            .keep_invoice_pdf(job.order_id, pdf)
            .await
            .map_err(|e| Failure::Retryable(e.to_string()))?;
        self.mailer
            .send(&message)
            .await
            .map_err(|e| Failure::Retryable(e.to_string()))
    }
}

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// Retrying cannot help (the invoice itself cannot be built).
    #[error("{0}")]
    Permanent(String),
    /// Sending failed; retried for the retry window (a 5xx may be a relay's passing
    /// misconfiguration, and an operator can fix it).
    #[error("{0}")]
    Retryable(String),
}
