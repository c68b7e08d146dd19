//! Invoice jobs: the outbox row written with a confirmation, and when to try again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ids::OrderId;

/// Where an invoice job is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum InvoiceJobState {
    /// Waiting to be sent, or to be retried at `next_attempt_at`.
    Pending,
    /// Handed to the mail relay.
    Sent,
    /// Given up: failing for the whole retry window, or out of attempts (see
    /// [`RetryPolicy`]).
    Dead,
}

/// A sequential invoice number: the `number`-th invoice of `year`, printed `2026-000042`.
/// Allocated once per order by the invoice worker (see `store::numbering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceNumber {
    /// The UTC year of the confirmation (the invoice date).
    pub year: i32,
    /// 1 for the year's first invoice, then one more for each.
    pub number: i64,
}

impl std::fmt::Display for InvoiceNumber {
    /// `YYYY-NNNNNN`: six digits at least, more once a year has a million invoices.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:06}", self.year, self.number)
    }
}

/// Sending one confirmed order's invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceJob {
    /// The order (one job per order).
    pub order_id: OrderId,
    /// Where it is.
    pub state: InvoiceJobState,
    /// Attempts made.
    pub attempts: i32,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// Not tried again before this.
    pub next_attempt_at: DateTime<Utc>,
    /// The mail's Message-ID, stable per order.
    pub message_id: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Its invoice number, once a worker has taken the job.
    pub invoice_number: Option<InvoiceNumber>,
}

/// How failed sends are retried: exponential backoff with jitter up to a capped delay, for a
/// window of time counted from the job's first failure (since it was queued or re-queued),
/// and optionally up to a number of attempts. A job is dead when either limit is reached.
///
/// Counted from the first failure, not from the job's creation: invoices that waited in a
/// backlog (the worker down, a burst of orders) still get the whole window once sending them
/// starts to fail, and a job re-queued with ResendInvoice gets a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long after its first failure a job is retried: a failure this long after the
    /// first (or later) is its last.
    pub retry_for: Duration,
    /// Attempts before a job is dead, if limited.
    pub max_attempts: Option<i32>,
    /// Delay after the first failure (before jitter); doubles with each failure.
    pub base_delay: Duration,
    /// Longest delay: once the mail relay is back, every job goes out within this long.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// A relay down for hours loses nothing: retried for a day, at least every 10 minutes.
    fn default() -> Self {
        Self {
            retry_for: Duration::from_secs(24 * 60 * 60),
            max_attempts: None,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10 * 60),
        }
    }
}

/// Why a job was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum GaveUp {
    /// It kept failing for the whole retry window.
    RetryWindow,
    /// It used up the attempt limit.
    MaxAttempts,
    /// Retrying cannot help (the invoice itself cannot be built).
    Permanent,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// Give up: the job is dead.
    Dead(GaveUp),
}

impl RetryPolicy {
    /// Decides after the `attempts`-th failed attempt, `failing_for` after the job's first
    /// failure (zero at the first). `jitter` in [0, 1) scales the delay between half and all
    /// of the exponential value, so that many failing jobs spread out.
    pub fn after_failure(&self, attempts: i32, failing_for: Duration, jitter: f64) -> AfterFailure {
        if self.max_attempts.is_some_and(|max| attempts >= max) {
            return AfterFailure::Dead(GaveUp::MaxAttempts);
        }
        if failing_for >= self.retry_for {
            return AfterFailure::Dead(GaveUp::RetryWindow);
        }
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let full = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_delay);
        AfterFailure::RetryIn(full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use shop_common::names::StoredName;
    use strum::VariantArray;

    use super::*;

    #[test]
    fn failures_back_off_to_a_cap_and_the_job_dies_when_either_limit_is_reached() {
        let s = Duration::from_secs;
        let window = RetryPolicy {
            retry_for: s(100),
            max_attempts: None,
            base_delay: s(1),
            max_delay: s(3),
        };
        let limited = RetryPolicy {
            max_attempts: Some(4),
            ..window
        };
        let retry = AfterFailure::RetryIn;
        let dead = AfterFailure::Dead;
        // (policy, attempts, failing for, jitter, decision)
        let table = [
            (window, 1, s(0), 1.0, retry(s(1))),
            (window, 2, s(1), 1.0, retry(s(2))),
            (window, 3, s(3), 1.0, retry(s(3))),
            (window, 3, s(3), 0.0, retry(Duration::from_millis(1500))),
            (window, 40, s(90), 1.0, retry(s(3))),
            // Far past the old limit of 8 attempts, still inside the window.
            (window, 500, s(99), 0.5, retry(Duration::from_millis(2250))),
            (window, 41, s(100), 1.0, dead(GaveUp::RetryWindow)),
            (window, 2, s(1000), 1.0, dead(GaveUp::RetryWindow)),
            (limited, 3, s(3), 1.0, retry(s(3))),
            (limited, 4, s(5), 0.5, dead(GaveUp::MaxAttempts)),
            (limited, 4, s(500), 0.5, dead(GaveUp::MaxAttempts)),
        ];
        for (policy, attempts, failing_for, jitter, expected) in table {
            assert_eq!(
                policy.after_failure(attempts, failing_for, jitter),
                expected,
                "{attempts} attempts, failing for {failing_for:?}, {policy:?}"
            );
        }
    }

    #[test]
    fn by_default_a_day_long_outage_is_retried_at_least_every_ten_minutes() {
        let policy = RetryPolicy::default();
        let ten_minutes = Duration::from_secs(600);
        let mut failing_for = Duration::ZERO;
        let mut attempts = 1;
        while let AfterFailure::RetryIn(delay) = policy.after_failure(attempts, failing_for, 1.0) {
            assert!(delay <= ten_minutes, "{delay:?} after {attempts} attempts");
            failing_for += delay;
            attempts += 1;
        }
        assert!(failing_for >= Duration::from_secs(24 * 60 * 60));
        assert!(failing_for < Duration::from_secs(24 * 60 * 60) + ten_minutes);
        assert!(attempts > 8, "past the old limit: {attempts}");
    }

    #[test]
    fn invoice_numbers_print_as_the_year_and_six_digits() {
        let number = |year, number| InvoiceNumber { year, number }.to_string();
        assert_eq!(number(2026, 1), "2026-000001");
        assert_eq!(number(2026, 42), "2026-000042");
        assert_eq!(number(2027, 1_234_567), "2027-1234567");
    }

    #[test]
    fn job_states_round_trip_through_their_stored_names() {
        for &state in InvoiceJobState::VARIANTS {
            assert_eq!(InvoiceJobState::parse(state.as_str()), Some(state));
        }
    }
}
