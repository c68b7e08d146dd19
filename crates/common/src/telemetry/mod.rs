//! Logging and tracing set-up.
//!
//! Log lines go to stderr, filtered by `RUST_LOG`. Traces are exported over OTLP/gRPC only
//! when the standard OpenTelemetry variables ask for it (`OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; see `otel`); otherwise no exporter and no
//! OpenTelemetry layer exist, and the trace context still travels with every call (see
//! `propagation`), so log lines keep their `trace_id` and `span_id`.

mod otel;
mod propagation;

pub use otel::Telemetry;
pub use propagation::{
    REQUEST_ID, continue_trace, current_traceparent, inject_grpc, link_to_traceparent,
    sanitize_request_id, unsampled,
};

use tracing_subscriber::{EnvFilter, Layer as _, layer::SubscriberExt as _};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (with ANSI colours only on a terminal, and never with `NO_COLOR`).
    #[default]
    Text,
    /// One JSON object per line, with the fields of the current span (`trace_id`,
    /// `span_id`, `request_id`, …), for log pipelines.
    Json,
}

/// The log filter when `RUST_LOG` is unset: `info` for the shop, `warn` for libraries.
const DEFAULT_LOG_FILTER: &str =
    "warn,shop=info,shop_inventory=info,shop_orders=info,shop_facade=info,shop_common=info";

/// Installs a `tracing` subscriber writing to stderr, filtered by `RUST_LOG` (default:
/// `info` for the shop, `warn` for libraries), and, when the OpenTelemetry variables ask for
/// it, exporting spans as `service_name` (unless `OTEL_SERVICE_NAME` names the service;
/// never with `None`, for short-lived commands).
///
/// Call it inside a Tokio runtime (the OTLP exporter's channel runs on it), and keep the
/// returned [`Telemetry`] until the end: [`Telemetry::shutdown`] sends the last spans.
pub fn init(format: LogFormat, service_name: Option<&'static str>) -> Telemetry {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(colours(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .boxed(),
    };
    let (telemetry, otel_layer) = match service_name {
        Some(name) => otel::from_env(name),
        None => (Telemetry::default(), None),
    };
    let subscriber = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel_layer);
    // A second call (e.g. from tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    telemetry
}

/// Whether log lines get ANSI colours: only on a terminal, and not when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>). Log files and pipelines get plain
/// text.
fn colours(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colours;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some("".as_ref())));
        assert!(!colours(true, Some("1".as_ref())));
        assert!(!colours(false, None));
    }
}
