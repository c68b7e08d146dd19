//! Plumbing every shop component shares: database connections and migrations, the gRPC
//! server frame (reflection, health, graceful shutdown), retries of transient database
//! errors, configuration helpers and logging.
//!
//! Nothing here knows about products or orders.

pub mod config;
pub mod db;
pub mod foreground;
pub mod grpc;
pub mod http_server;
pub mod liveness;
pub mod metrics;
pub mod names;
pub mod paging;
pub mod periodic;
pub mod shutdown;
pub mod telemetry;
pub mod validation;
