//! The reliability harness: the real `shop` processes against PostgreSQL and a real SMTP
//! sink, under duplicate and retried webhooks, SIGKILLs, cut database connections and mail
//! outages — then every invariant is checked.
//!
//! `cargo test --test chaos` runs the short version (CI); the long one is
//! `SHOP_CHAOS_ORDERS=2000 SHOP_CHAOS_PRODUCTS=20 cargo test --release --test chaos -- --ignored --nocapture`.
//! Those on PostgreSQL need `TEST_DATABASE_URL` and skip without it; the restart test also
//! needs the PostgreSQL server binaries (`initdb`, `pg_ctl`).

mod cluster;
mod invariants;
mod monkey;
mod outage;
mod pg_cluster;
mod provider;
mod proxy;
mod replicas;
mod restart;
mod scenario;
mod sqlite_crash;
#[path = "../support/mod.rs"]
mod support;

use scenario::Settings;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_chaos_run_keeps_every_invariant() {
    scenario::run(Settings::short()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "long: run explicitly (see the module documentation)"]
async fn a_long_chaos_run_keeps_every_invariant() {
    scenario::run(Settings::long()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn during_a_database_outage_webhooks_get_503_and_the_services_recover() {
    outage::run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_of_every_component_on_one_database_keep_every_invariant() {
    replicas::run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restarts_under_webhook_load_lose_nothing_and_mail_each_invoice_once() {
    restart::run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_9_of_serve_on_sqlite_under_webhook_load_loses_nothing() {
    sqlite_crash::run().await;
}
