//! Invoices outlast outages: a mail relay down for longer than a few retries (delays
//! compressed from minutes to milliseconds), and the database going away right after the
//! relay accepted a mail.

use std::time::{Duration, Instant};

use shop_orders::{config::WorkerConfig, faults::FaultPoint};
use shop_proto::orders::v1 as pb;
use shop_testkit::SmtpSink;
use shop_testkit::{db::Backend, test_on_both_databases};

use crate::{
    helpers::{TestSystem, metric, spawn_system},
    invoices::{confirmed_order, smtp, wait_for_job},
};

test_on_both_databases! {
    an_invoice_is_retried_through_a_long_relay_outage_and_sent_once_soon_after_it_ends => relay_outage;
    an_invoice_failing_for_the_whole_retry_window_is_dead_and_counted => window_ends;
    a_sent_invoice_is_recorded_once_the_database_is_back_and_mailed_once => outcome_retried;
    a_job_claimed_again_while_its_outcome_was_unrecorded_is_not_mailed_twice => lease_ran_out;
}

/// Delays of 100 ms growing to at most 500 ms.
const MAX_DELAY: Duration = Duration::from_millis(500);

fn compressed(config: &mut WorkerConfig, retry_for: Duration) {
    config.retry_for = retry_for;
    config.retry_delay = Duration::from_millis(100);
    config.max_retry_delay = MAX_DELAY;
}

async fn job_of(sys: &TestSystem, order_id: &str) -> pb::InvoiceJob {
    let jobs = sys.invoice_jobs().await;
    jobs.into_iter()
        .find(|j| j.order_id == order_id)
        .expect("the order's job")
}

/// Waits until the order's job has been attempted at least `attempts` times.
async fn wait_for_attempts(sys: &TestSystem, order_id: &str, attempts: i32) -> pb::InvoiceJob {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = sys.invoice_jobs().await;
        let job = jobs.iter().find(|j| j.order_id == order_id);
        if let Some(job) = job.filter(|j| j.attempts >= attempts) {
            return job.clone();
        }
        assert!(
            Instant::now() < deadline,
            "not {attempts} attempts: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn relay_outage(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sink.stop().await;
    sys.spawn_worker(smtp(&sink), |c| compressed(c, Duration::from_secs(60)));
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    // Past the 8 attempts that used to make it dead, it is still being retried.
    let job = wait_for_attempts(&sys, &order.id, 10).await;
    assert_eq!(job.state(), pb::InvoiceJobState::Pending, "{job:?}");
    assert!(!job.last_error.is_empty());

    sink.restart().await.unwrap();
    // Whatever the attempt so far, the next one is due within one capped delay. (When it
    // then arrives depends on how loaded the machine is; the worker polls every 50 ms.)
    let back = chrono::Utc::now();
    let job = job_of(&sys, &order.id).await;
    let next = job.next_attempt_at.expect("a next attempt");
    let next = chrono::DateTime::from_timestamp(next.seconds, next.nanos as u32).unwrap();
    assert!(
        next <= back + MAX_DELAY,
        "next attempt at {next}, relay back at {back}"
    );
    sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    let sent = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert!(sent.attempts >= 10, "{sent:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
}

async fn window_ends(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sink.stop().await;
    let started = Instant::now();
    sys.spawn_worker(smtp(&sink), |c| compressed(c, Duration::from_secs(1)));
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    let dead = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Dead).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "not before the window ended"
    );
    assert!(dead.attempts >= 3, "retried meanwhile: {dead:?}");
    assert!(!dead.last_error.is_empty(), "the last error is kept");
    assert!(metric(r#"shop_invoices_dead_total{reason="retry_window"}"#) >= Some(1.0));

    tokio::time::sleep(MAX_DELAY + Duration::from_millis(200)).await;
    let later = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Dead).await;
    assert_eq!(later.attempts, dead.attempts, "no more attempts");
}

/// Armed this many times, every write of an outcome fails until the test disarms it: the
/// database is away as far as the worker's bookkeeping is concerned (the API still reads).
const AWAY: usize = usize::MAX;

/// Waits until the worker has tried to write an outcome at least `tries` times.
async fn wait_for_tries(sys: &TestSystem, tries: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while AWAY - sys.faults.remaining(FaultPoint::InvoiceOutcome) < tries {
        assert!(Instant::now() < deadline, "fewer than {tries} tries");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn outcome_retried(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    sys.faults.arm(FaultPoint::InvoiceOutcome, AWAY);
    sys.spawn_worker(smtp(&sink), |_| {});
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    // The relay accepted the mail; recording that fails, and is tried again and again.
    sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
    wait_for_tries(&sys, 4).await;
    let job = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Pending).await;
    assert_eq!(job.attempts, 1);

    sys.faults.arm(FaultPoint::InvoiceOutcome, 0);
    let sent = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert_eq!(
        sent.attempts, 1,
        "recorded within its lease, never claimed again"
    );
    assert!(sent.sent_at.is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "mailed exactly once");
}

async fn lease_ran_out(backend: Backend) {
    let Some(sys) = spawn_system(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await.unwrap();
    // Away for longer than the lease: the outcome is retried for 0.9 s, then the lease runs
    // out and the job is claimed again while the database is still away.
    sys.faults.arm(FaultPoint::InvoiceOutcome, AWAY);
    sys.spawn_worker(smtp(&sink), |c| c.lease = Duration::from_secs(1));
    let mug = sys.create_product("MUG", 10).await;
    let order = confirmed_order(&sys, &mug).await;

    let reclaimed = wait_for_attempts(&sys, &order.id, 2).await;
    assert_eq!(reclaimed.state(), pb::InvoiceJobState::Pending);
    assert_eq!(sink.messages().len(), 1, "not mailed again");
    sys.faults.arm(FaultPoint::InvoiceOutcome, 0);

    let sent = wait_for_job(&sys, &order.id, pb::InvoiceJobState::Sent).await;
    assert!(sent.attempts >= 2, "{sent:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "mailed exactly once");
    assert_eq!(
        mails[0].parse().unwrap().message_id,
        Some(format!("invoice-{}@shop.invoices", order.id))
    );
}
