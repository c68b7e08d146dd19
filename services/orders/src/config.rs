//! The orders service's settings: environment variables with matching flags.

use std::{net::SocketAddr, time::Duration};

use shop_common::config::parse_duration;

use crate::domain::RetryPolicy;

/// Settings of the orders service.
#[derive(clap::Args, Debug, Clone)]
pub struct OrdersConfig {
    /// Address the orders gRPC server listens on.
    #[arg(
        id = "orders_addr",
        long = "orders-addr",
        env = "SHOP_ORDERS_ADDR",
        value_name = "SHOP_ORDERS_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub addr: SocketAddr,

    /// Deadline of every call to the inventory service.
    #[arg(
        long = "inventory-timeout",
        env = "SHOP_INVENTORY_TIMEOUT",
        value_name = "SHOP_INVENTORY_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub inventory_timeout: Duration,

    /// How often orders past their payment deadline are cancelled.
    #[arg(
        id = "orders_sweep_interval",
        long = "orders-sweep-interval",
        env = "SHOP_ORDERS_SWEEP_INTERVAL",
        value_name = "SHOP_ORDERS_SWEEP_INTERVAL",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub sweep_interval: Duration,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            inventory_timeout: Duration::from_secs(5),
            sweep_interval: Duration::from_secs(5),
        }
    }
}

/// Settings of the invoice worker.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkerConfig {
    /// Where and how mails are sent.
    #[command(flatten)]
    pub mail: shop_invoice::MailConfig,

    /// Who issues the invoices.
    #[command(flatten)]
    pub seller: shop_invoice::SellerConfig,

    /// How often the worker looks for due invoice jobs when it is idle.
    #[arg(
        long = "worker-poll-interval",
        env = "SHOP_WORKER_POLL_INTERVAL",
        value_name = "SHOP_WORKER_POLL_INTERVAL",
        default_value = "500ms",
        value_parser = parse_duration
    )]
    pub poll_interval: Duration,

    /// Invoices sent at once by one worker. A delivery mostly waits on the relay's round
    /// trips (about 40 ms each on loopback, BENCHMARKS.md), so several are in flight.
    #[arg(
        long = "worker-concurrency",
        env = "SHOP_WORKER_CONCURRENCY",
        value_name = "SHOP_WORKER_CONCURRENCY",
        default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..=256)
    )]
    pub concurrency: u16,

    /// How long an invoice job is retried after its first failure before it is dead: long
    /// enough to outlast a mail relay's outage.
    #[arg(
        long = "invoice-retry-for",
        env = "SHOP_INVOICE_RETRY_FOR",
        value_name = "SHOP_INVOICE_RETRY_FOR",
        default_value = "24h",
        value_parser = parse_duration
    )]
    pub retry_for: Duration,

    /// An optional extra limit: attempts before an invoice job is dead, whichever of the two
    /// limits comes first.
    #[arg(
        long = "invoice-max-attempts",
        env = "SHOP_INVOICE_MAX_ATTEMPTS",
        value_name = "SHOP_INVOICE_MAX_ATTEMPTS",
        value_parser = clap::value_parser!(i32).range(1..=1_000_000)
    )]
    pub max_attempts: Option<i32>,

    /// Delay before the first retry; it doubles with each failure (with jitter), up to
    /// SHOP_INVOICE_MAX_RETRY_DELAY.
    #[arg(
        long = "invoice-retry-delay",
        env = "SHOP_INVOICE_RETRY_DELAY",
        value_name = "SHOP_INVOICE_RETRY_DELAY",
        default_value = "2s",
        value_parser = parse_duration
    )]
    pub retry_delay: Duration,

    /// Longest delay between retries: once the mail relay is back, every invoice goes out
    /// within this long.
    #[arg(
        long = "invoice-max-retry-delay",
        env = "SHOP_INVOICE_MAX_RETRY_DELAY",
        value_name = "SHOP_INVOICE_MAX_RETRY_DELAY",
        default_value = "10m",
        value_parser = parse_duration
    )]
    pub max_retry_delay: Duration,

    /// How long a worker holds a claimed job; a worker that dies mid-send releases it when
    /// this runs out. Longer than the slowest SMTP delivery. Recording a send's outcome is
    /// retried for up to 9/10 of it (the database may be away), so a database outage that
    /// ends within that sends no invoice twice.
    #[arg(
        long = "invoice-lease",
        env = "SHOP_INVOICE_LEASE",
        value_name = "SHOP_INVOICE_LEASE",
        default_value = "5m",
        value_parser = parse_duration
    )]
    pub lease: Duration,
}

impl WorkerConfig {
    /// Settings that send through `mail`, with the defaults for everything else (no seller:
    /// the demo seller on SQLite, an error on PostgreSQL).
    pub fn with_mail(mail: shop_invoice::MailConfig) -> Self {
        Self {
            mail,
            seller: shop_invoice::SellerConfig::default(),
            poll_interval: Duration::from_millis(500),
            concurrency: 16,
            retry_for: RetryPolicy::default().retry_for,
            max_attempts: None,
            retry_delay: RetryPolicy::default().base_delay,
            max_retry_delay: RetryPolicy::default().max_delay,
            lease: Duration::from_secs(300),
        }
    }

    /// How failed sends are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            retry_for: self.retry_for,
            max_attempts: self.max_attempts,
            base_delay: self.retry_delay,
            max_delay: self.max_retry_delay,
        }
    }
}
