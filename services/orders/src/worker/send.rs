//! One invoice job: composed, sent and recorded, in a span of the trace that queued it.

use std::time::{Duration, Instant};

use opentelemetry::context::FutureExt as _;
use shop_common::names::StoredName as _;
use tracing::Instrument as _;

use super::{
    Worker,
    invoice::invoice_for,
    outcome::{Outcome, Recorded},
};
use crate::{
    domain::{AfterFailure, GaveUp, Order},
    store::ClaimedJob,
};

impl Worker {
    /// Sends one job's invoice in a span of the trace that queued it (a child of the
    /// webhook's request, and linked to it), with the statements it makes.
    pub(super) async fn send(
        &self,
        job: ClaimedJob,
        order: Result<Order, String>,
        record_until: Instant,
    ) {
        let span = tracing::info_span!(
            "invoice",
            otel.name = "invoice.send",
            otel.kind = "consumer",
            order_id = %job.order_id,
            attempt = job.attempt,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        let context =
            shop_common::telemetry::link_to_traceparent(&span, job.trace_context.as_deref());
        self.send_and_record(job, order, record_until)
            .with_context(context)
            .instrument(span)
            .await;
    }

    /// Sends one job's invoice and records the outcome (retrying that until `record_until`).
    async fn send_and_record(
        &self,
        job: ClaimedJob,
        order: Result<Order, String>,
        record_until: Instant,
    ) {
        let id = job.order_id;
        if self.unrecorded.contains(id) {
            // This worker sent it, but could not record that before its lease ran out: record
            // it now rather than mail it again.
            tracing::info!(order_id = %id, attempt = job.attempt, "invoice sent already; recording it, not sending it again");
            self.record(&job, Outcome::Sent, record_until).await;
            return;
        }
        match self.deliver(&job, order).await {
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
        job: &ClaimedJob,
        order: Result<Order, String>,
    ) -> Result<shop_invoice::Delivery, Failure> {
        let order = order.map_err(Failure::Retryable)?;
        let invoice = invoice_for(&order, job, &self.seller);
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
