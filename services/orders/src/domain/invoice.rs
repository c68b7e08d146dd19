//! Invoice jobs: the outbox row written with a confirmation, and when to try again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ids::OrderId;

/// Where an invoice job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceJobState {
    /// Waiting to be sent, or to be retried at `next_attempt_at`.
    Pending,
    /// Handed to the mail relay.
    Sent,
    /// Gave up after the maximum number of attempts.
    Dead,
}

impl InvoiceJobState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Sent, Self::Dead];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
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
}

/// How failed sends are retried: exponential backoff with full jitter, up to a number of
/// attempts, after which the job is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a job is dead.
    pub max_attempts: i32,
    /// Delay after the first failure (before jitter).
    pub base_delay: Duration,
    /// Longest delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10 * 60),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// Give up.
    Dead,
}

impl RetryPolicy {
    /// Decides after the `attempts`-th failed attempt. `jitter` in [0, 1) scales the delay
    /// between half and all of the exponential value, so that many failing jobs spread out.
    pub fn after_failure(&self, attempts: i32, jitter: f64) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::Dead;
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
    use super::*;

    #[test]
    fn failures_back_off_exponentially_until_the_job_is_dead() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(3),
        };
        assert_eq!(
            policy.after_failure(1, 1.0),
            AfterFailure::RetryIn(Duration::from_secs(1))
        );
        assert_eq!(
            policy.after_failure(2, 1.0),
            AfterFailure::RetryIn(Duration::from_secs(2))
        );
        assert_eq!(
            policy.after_failure(3, 1.0),
            AfterFailure::RetryIn(Duration::from_secs(3))
        );
        assert_eq!(
            policy.after_failure(3, 0.0),
            AfterFailure::RetryIn(Duration::from_millis(1500))
        );
        assert_eq!(policy.after_failure(4, 0.5), AfterFailure::Dead);
    }

    #[test]
    fn job_states_round_trip_through_their_stored_names() {
        for state in InvoiceJobState::ALL {
            assert_eq!(InvoiceJobState::parse(state.as_str()), Some(state));
        }
    }
}
