//! The chaos monkey: while the load runs, it SIGKILLs and restarts processes, cuts the
//! database connections and takes the mail server away.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_testkit::SmtpSink;

use crate::cluster::Cluster;

/// What the chaos monkey did.
#[derive(Default)]
pub struct Mayhem {
    pub orders_killed: AtomicUsize,
    pub inventory_killed: AtomicUsize,
    pub backends_terminated: AtomicUsize,
    pub smtp_outages: AtomicUsize,
}

/// Every 0.5–1.2 s, one of: SIGKILL and restart orders or inventory, terminate every database
/// connection of the run, or take the SMTP server away for a while.
pub async fn chaos(
    cluster: Arc<Mutex<Cluster>>,
    sink: Arc<SmtpSink>,
    db: sea_orm::DatabaseConnection,
    stop: Arc<AtomicBool>,
    mayhem: Arc<Mayhem>,
) {
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(500 + fastrand::u64(0..700))).await;
        match fastrand::u8(0..10) {
            0..3 => {
                cluster.lock().unwrap().orders.kill();
                mayhem.orders_killed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..300))).await;
                cluster.lock().unwrap().orders.start();
            }
            3..6 => {
                cluster.lock().unwrap().inventory.kill();
                mayhem.inventory_killed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..300))).await;
                cluster.lock().unwrap().inventory.start();
            }
            6..8 => {
                let terminated = db
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    ))
                    .await;
                if terminated.is_ok() {
                    mayhem.backends_terminated.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                if sink.is_running().await {
                    sink.stop().await;
                    mayhem.smtp_outages.fetch_add(1, Ordering::Relaxed);
                    let sink = sink.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(1000 + fastrand::u64(0..1000)))
                            .await;
                        let _ = sink.restart().await;
                    });
                }
            }
        }
    }
}
