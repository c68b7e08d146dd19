//! Background tasks that run on a timer until shutdown (sweepers, reconciliation).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `task` every `interval` (the first time at once) until `shutdown`. A failed run is
/// logged as `what` failed and retried on the next tick; runs never overlap.
pub async fn every<F, Fut, E>(
    interval: Duration,
    shutdown: CancellationToken,
    what: &'static str,
    mut task: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(e) = task().await {
            tracing::warn!(error = %e, "{what} failed; retrying on the next tick");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test]
    async fn runs_on_every_tick_through_failures_until_shutdown() {
        let runs = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(every(
            Duration::from_millis(10),
            shutdown.clone(),
            "test",
            {
                let runs = runs.clone();
                move || {
                    let n = runs.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n.is_multiple_of(2) {
                            Err("every other run fails")
                        } else {
                            Ok(())
                        }
                    }
                }
            },
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.cancel();
        task.await.unwrap();
        assert!(
            runs.load(Ordering::SeqCst) >= 3,
            "ran on several ticks despite failures"
        );
    }
}
