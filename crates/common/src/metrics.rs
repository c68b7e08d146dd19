//! Prometheus metrics: one recorder per process, rendered at `GET /metrics` (on the facade's
//! HTTP port, and on `SHOP_METRICS_ADDR` for the gRPC components and the worker).
//!
//! Every metric of the shop starts with `shop_`:
//! - `shop_webhooks_total{outcome,status}`: webhooks answered, by outcome and HTTP status;
//! - `shop_webhook_duration_seconds{outcome}`: how long webhooks took, by outcome;
//! - `shop_grpc_server_requests_total{service,method,code}` and
//!   `shop_grpc_server_request_duration_seconds{service,method}`: every gRPC call served
//!   (`code` is the canonical name: `OK`, `UNAVAILABLE`, …);
//! - `shop_grpc_client_request_duration_seconds{service,method,code}`: every gRPC call made;
//! - `shop_payments_recorded_total{outcome}`: RecordPayment outcomes;
//! - `shop_reservations{state}`, `shop_stock_drift_products`: the inventory's state;
//! - `shop_invoice_jobs{state}`, `shop_outbox_oldest_due_seconds`,
//!   `shop_invoices_sent_total`, `shop_invoice_failures_total`,
//!   `shop_invoices_dead_total{reason}`: the outbox;
//! - `shop_refunds_required_total{reason}`: paid orders that cannot be filled;
//! - `shop_grpc_client_refused_total{target,code}`: calls another component refused for
//!   their credentials (a wrong `SHOP_GRPC_TOKEN` or client certificate);
//! - `shop_grpc_accept_errors_total`, `shop_http_accept_errors_total` and the
//!   `shop_http_connections*` family: accept errors and the facade's connection cap;
//! - `shop_db_pool_connections{state}`, `shop_db_pool_max_connections`: the database pool
//!   (see `db::export_pool_metrics`);
//! - the standard `process_*` metrics (CPU seconds, resident memory, open file descriptors,
//!   start time, threads), from `metrics-process`.
//!
//! Gauges that are cheap to read from memory (the pool, the process) are refreshed at each
//! render, by the functions registered with [`on_render`].

use std::{
    net::SocketAddr,
    sync::{Mutex, OnceLock},
};

use axum::{Router, http::StatusCode, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::liveness::Heartbeat;

/// Latency buckets (seconds) for every `*_duration_seconds` histogram.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Where the gRPC components and the worker serve `/metrics`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MetricsArgs {
    /// Address of a `GET /metrics` endpoint (Prometheus text format); none when unset. The
    /// facade always serves `/metrics` on its own HTTP port too.
    #[arg(
        long = "metrics-addr",
        env = "SHOP_METRICS_ADDR",
        value_name = "SHOP_METRICS_ADDR"
    )]
    pub metrics_addr: Option<SocketAddr>,
}

/// Installs the process's recorder (once; later calls return the same handle).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    LATENCY_BUCKETS,
                )
                .expect("the latency buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may exist already (a test harness); ours then renders nothing,
            // which is harmless.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A function refreshing some gauges before each render.
type Refresh = Box<dyn Fn() + Send + Sync>;

/// The functions [`render`] calls first, by name.
fn refreshers() -> &'static Mutex<Vec<(&'static str, Refresh)>> {
    static REFRESHERS: OnceLock<Mutex<Vec<(&'static str, Refresh)>>> = OnceLock::new();
    REFRESHERS.get_or_init(|| {
        let process = metrics_process::Collector::default();
        process.describe();
        let refresh: Refresh = Box::new(move || process.collect());
        Mutex::new(vec![("process", refresh)])
    })
}

/// Calls `refresh` before every render from now on, in place of an earlier one of the same
/// `name`.
pub fn on_render(name: &'static str, refresh: impl Fn() + Send + Sync + 'static) {
    let mut refreshers = refreshers().lock().unwrap_or_else(|e| e.into_inner());
    refreshers.retain(|(n, _)| *n != name);
    refreshers.push((name, Box::new(refresh)));
}

/// The metrics in Prometheus text format.
pub fn render() -> String {
    let handle = handle();
    for (_, refresh) in refreshers()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        refresh();
    }
    handle.render()
}

/// The `/metrics` route, to merge into an HTTP router.
pub fn router() -> Router {
    Router::new().route("/metrics", get(|| std::future::ready(render())))
}

/// Serves `/metrics` and `/healthz` on `listener` until `shutdown`. `/healthz` answers 200
/// while the process serves, and with `liveness` only while its last beat is recent (503
/// otherwise), for the liveness probe of a component that has no server of its own.
pub async fn serve(
    listener: TcpListener,
    liveness: Option<Heartbeat>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "metrics at /metrics, liveness at /healthz");
    let healthz = get(move || {
        let alive = liveness.as_ref().is_none_or(Heartbeat::is_alive);
        if !alive {
            tracing::warn!("liveness: the loop has not turned recently");
        }
        std::future::ready(if alive {
            (StatusCode::OK, "ok")
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "stalled")
        })
    });
    axum::serve(listener, router().route("/healthz", healthz))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Binds `args.metrics_addr`, if set.
pub async fn bind(args: &MetricsArgs) -> std::io::Result<Option<TcpListener>> {
    match args.metrics_addr {
        Some(addr) => TcpListener::bind(addr).await.map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get_healthz(liveness: Option<Heartbeat>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(listener, liveness, shutdown.clone()));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        shutdown.cancel();
        answer
    }

    #[tokio::test]
    async fn healthz_follows_the_heartbeat_when_there_is_one() {
        assert!(get_healthz(None).await.starts_with("HTTP/1.1 200"));
        let heartbeat = Heartbeat::new(Duration::from_millis(20));
        assert!(
            get_healthz(Some(heartbeat.clone()))
                .await
                .starts_with("HTTP/1.1 200")
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        let stalled = get_healthz(Some(heartbeat.clone())).await;
        assert!(stalled.starts_with("HTTP/1.1 503"), "{stalled}");
        heartbeat.beat();
        assert!(
            get_healthz(Some(heartbeat))
                .await
                .starts_with("HTTP/1.1 200")
        );
    }
}
