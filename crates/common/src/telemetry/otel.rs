//! The OpenTelemetry pipeline: spans exported over OTLP/gRPC, configured by the standard
//! variables and present only when they ask for it.
//!
//! - On when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set,
//!   unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Off, there is no
//!   exporter and no layer: a span costs what it cost before.
//! - The SDK reads the rest itself: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//!   `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*` (batching), `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`,
//!   `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` and `…_COMPRESSION`.
//! - `service.name` is the component's (`shop-orders`, …; `shop` for `shop serve`, whose
//!   components share one process and so one provider) unless `OTEL_SERVICE_NAME` or a
//!   `service.name` in `OTEL_RESOURCE_ATTRIBUTES` says otherwise.
//! - Exported: the shop's own spans (webhook, gRPC server, invoice delivery) and the
//!   database statements run inside them (sea-orm's spans: the statement kind, never the
//!   SQL or its values). Statements outside any request (the worker's polling, sweepers)
//!   would be a trace a second of noise, so they are left out.

use opentelemetry::{Key, trace::TracerProvider as _};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::{
    Layer,
    filter::{DynFilterFn, FilterExt as _, Targets},
    registry::LookupSpan,
};

/// What the exported spans include: the shop's spans and events at INFO, sea-orm's statement
/// spans (filtered further to those inside a request), libraries' warnings.
const TRACE_FILTER: &str = "warn,shop=info,shop_inventory=info,shop_orders=info,\
                            shop_facade=info,shop_common=info,sea_orm=info";

/// The tracing pipeline of this process; keep it until the end and call
/// [`Telemetry::shutdown`] then.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still queued and stops the exporter. Call it outside the runtime's
    /// worker threads, while the runtime still runs (the export goes over its channel).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("warning: cannot send the last trace spans: {error}");
        }
    }
}

/// Whether the environment asks for traces to be exported.
fn wanted(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let no_exporter =
        var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled
        && !no_exporter
        && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The resource of this process: what the SDK detects (`OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`), with `service_name` when neither names the service.
fn resource(service_name: &'static str) -> Resource {
    let detected = Resource::builder().build();
    let named = detected
        .get(&Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    if named {
        detected
    } else {
        Resource::builder().with_service_name(service_name).build()
    }
}

/// The pipeline the environment asks for, and the layer that feeds it (none when off).
pub(super) fn from_env<S>(
    service_name: &'static str,
) -> (Telemetry, Option<Box<dyn Layer<S> + Send + Sync>>)
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    if !wanted(|name| std::env::var(name).ok()) {
        return (Telemetry::default(), None);
    }
    if let Ok(protocol) = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL")
        && protocol != "grpc"
    {
        eprintln!(
            "warning: OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported; traces go over \
             OTLP/gRPC (grpc)"
        );
    }
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
    {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("warning: traces are not exported: cannot set up the OTLP exporter: {error}");
            return (Telemetry::default(), None);
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(service_name))
        .with_batch_exporter(exporter)
        .build();
    let targets: Targets = TRACE_FILTER.parse().expect("the trace filter is valid");
    // A statement span only inside a span of ours: the request it belongs to.
    let in_request = DynFilterFn::new(|metadata, cx| {
        !metadata.target().starts_with("sea_orm") || cx.lookup_current().is_some()
    });
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("shop"))
        .with_filter(targets.and(in_request))
        .boxed();
    (
        Telemetry {
            provider: Some(provider),
        },
        Some(layer),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::wanted;

    fn with(vars: &[(&str, &str)]) -> bool {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wanted(|name| vars.get(name).cloned())
    }

    #[test]
    fn traces_are_exported_only_when_an_endpoint_is_set_and_nothing_turns_them_off() {
        assert!(!with(&[]));
        assert!(!with(&[("OTEL_SERVICE_NAME", "x")]));
        assert!(!with(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]));
        assert!(with(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317")]));
        assert!(with(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4317"
        )]));
        assert!(!with(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_SDK_DISABLED", "true")
        ]));
        assert!(!with(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_TRACES_EXPORTER", "none")
        ]));
    }
}
