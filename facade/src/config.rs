//! The facade's settings: environment variables with matching flags.

use std::{net::SocketAddr, time::Duration};

use shop_common::config::parse_duration;

/// Settings of the webhook facade.
#[derive(clap::Args, Clone)]
pub struct FacadeConfig {
    /// Address the HTTP server listens on.
    #[arg(
        long = "http-addr",
        env = "SHOP_HTTP_ADDR",
        value_name = "SHOP_HTTP_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub http_addr: SocketAddr,

    /// URL of the orders gRPC service.
    #[arg(
        long = "orders-url",
        env = "SHOP_ORDERS_URL",
        value_name = "SHOP_ORDERS_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub orders_url: String,

    /// Secret the payment provider sends in `X-Webhook-Key`; several comma-separated keys are
    /// all accepted, so a key can be rotated without downtime. Required to start.
    #[arg(
        long = "webhook-key",
        env = "SHOP_WEBHOOK_KEY",
        value_name = "SHOP_WEBHOOK_KEY",
        hide_env_values = true
    )]
    pub webhook_key: Option<String>,

    /// Deadline of each call to the orders service, connecting included (e.g. 5s, 500ms).
    #[arg(
        long = "orders-timeout",
        env = "SHOP_ORDERS_TIMEOUT",
        value_name = "SHOP_ORDERS_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub orders_timeout: Duration,
}

/// The documented defaults, without a webhook key (`Facade::build` refuses to start until
/// one is set).
impl Default for FacadeConfig {
    fn default() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            orders_url: "http://127.0.0.1:50051".to_owned(),
            webhook_key: None,
            orders_timeout: Duration::from_secs(5),
        }
    }
}

// Hand-written so that the webhook keys never reach a log line or a panic message.
impl std::fmt::Debug for FacadeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let webhook_key = match &self.webhook_key {
            Some(_) => "<redacted>",
            None => "<not set>",
        };
        f.debug_struct("FacadeConfig")
            .field("http_addr", &self.http_addr)
            .field(
                "orders_url",
                &shop_common::config::redact_url(&self.orders_url),
            )
            .field("webhook_key", &webhook_key)
            .field("orders_timeout", &self.orders_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        facade: FacadeConfig,
    }

    #[test]
    fn debug_output_never_contains_the_webhook_key() {
        let config = FacadeConfig {
            webhook_key: Some("s3cret-one,s3cret-two".to_owned()),
            ..FacadeConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
    }

    #[test]
    fn flags_are_parsed_and_defaults_match_the_default_constructor() {
        let parsed = Cli::try_parse_from(["shop"]).unwrap().facade;
        let default = FacadeConfig::default();
        assert_eq!(parsed.http_addr, default.http_addr);
        assert_eq!(parsed.orders_url, default.orders_url);
        assert_eq!(parsed.orders_timeout, default.orders_timeout);

        let parsed = Cli::try_parse_from([
            "shop",
            "--http-addr",
            "0.0.0.0:9000",
            "--webhook-key",
            "k1,k2",
            "--orders-timeout",
            "250ms",
        ])
        .unwrap()
        .facade;
        assert_eq!(parsed.http_addr, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(parsed.webhook_key.as_deref(), Some("k1,k2"));
        assert_eq!(parsed.orders_timeout, Duration::from_millis(250));
    }

    #[test]
    fn a_bad_value_is_reported_under_the_variable_name() {
        let error = Cli::try_parse_from(["shop", "--orders-timeout", "5"])
            .err()
            .expect("a duration without a unit is refused")
            .to_string();
        assert!(error.contains("SHOP_ORDERS_TIMEOUT"), "{error}");
    }
}
