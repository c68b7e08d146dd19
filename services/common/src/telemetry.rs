//! Logging set-up.

use tracing_subscriber::EnvFilter;

/// Installs a `tracing` subscriber writing to stderr, filtered by `RUST_LOG`
/// (default: `info` for the shop, `warn` for libraries).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "warn,shop=info,shop_inventory=info,shop_orders=info,shop_facade=info,shop_common=info",
        )
    });
    // A second call (e.g. from tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
