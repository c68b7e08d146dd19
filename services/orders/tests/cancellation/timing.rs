//! What running every transaction on its own task costs on the webhook's path: sequential
//! RecordPayment calls, each a transaction in inventory (the commit) and one in orders (the
//! confirmation), timed. A timing for comparing builds, not a check; run it with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p shop-orders
//! --test cancellation -- --ignored --nocapture sequential` (`TIMED_PAYMENTS` sets how many,
//! 2,000 by default).

use futures::{StreamExt as _, stream};
use shop_proto::orders::v1 as pb;
use tokio::time::Instant;

use crate::{SERIAL, STOCK, create_product, ledger, notices, storm::Clients, system::System};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a timing, not a check; the module comment says how to run it"]
async fn sequential_payments_are_timed() {
    notices::install();
    let _serial = SERIAL.lock().await;
    let Some(system) = System::spawn().await else {
        return;
    };
    let clients = Clients::connect(system.inventory_addr, system.orders_addr).await;
    let mug = create_product(&clients, "MUG").await;
    let count: usize = std::env::var("TIMED_PAYMENTS").map_or(2000, |n| n.parse().unwrap());
    let orders: Vec<String> = stream::iter(0..count)
        .map(|_| {
            let (clients, items) = (&clients, vec![(mug.clone(), 1)]);
            async move { ledger::create_order(clients, &items).await.unwrap().id }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    let (started, cpu_before) = (Instant::now(), cpu_time());
    for id in &orders {
        let outcome = ledger::pay(&clients, id).await.unwrap();
        assert_eq!(outcome, pb::PaymentOutcome::Confirmed);
    }
    let (elapsed, cpu) = (started.elapsed(), cpu_time() - cpu_before);

    let per_call = elapsed / count as u32;
    let per_second = count as f64 / elapsed.as_secs_f64();
    let cpu_per_call = cpu / count as u32;
    eprintln!(
        "{count} sequential RecordPayment calls: {elapsed:?}, {per_call:?} each, \
         {per_second:.0}/s; CPU of this process (both servers, the client): {cpu_per_call:?} each"
    );
    assert_eq!(
        ledger::counters(&clients, &mug).await,
        (STOCK - count as i32, 0),
        "every payment took its unit"
    );
}

/// CPU time this process used so far (user and system): unlike the wall clock, hardly
/// moved by other processes on a shared machine.
fn cpu_time() -> std::time::Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    std::time::Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}
