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

    /// Secret the payment provider sends in `X-Webhook-Key`; several comma-separated keys are
    /// all accepted, so a key can be rotated without downtime. Required to start.
    #[arg(
        long = "webhook-key",
        env = "SHOP_WEBHOOK_KEY",
        value_name = "SHOP_WEBHOOK_KEY",
        hide_env_values = true
    )]
    pub webhook_key: Option<String>,

    /// Optional: secrets the payment provider signs webhooks with. When set, every webhook
    /// must also carry `X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// "t.body">` made with one of them, at most 5 minutes off. Several comma-separated
    /// secrets are all accepted, so a secret can be rotated without downtime.
    #[arg(
        long = "webhook-signing-secrets",
        env = "SHOP_WEBHOOK_SIGNING_SECRETS",
        value_name = "SHOP_WEBHOOK_SIGNING_SECRETS",
        hide_env_values = true
    )]
    pub webhook_signing_secrets: Option<String>,

    /// Deadline of each call to the orders service, connecting included (e.g. 5s, 500ms).
    #[arg(
        long = "orders-timeout",
        env = "SHOP_ORDERS_TIMEOUT",
        value_name = "SHOP_ORDERS_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub orders_timeout: Duration,

    /// Timeouts and the connection cap of the HTTP server.
    #[command(flatten)]
    pub http: shop_common::http_server::HttpLimits,
}

/// The documented defaults, without a webhook key (`Facade::build` refuses to start until
/// one is set).
impl Default for FacadeConfig {
    fn default() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            webhook_key: None,
            webhook_signing_secrets: None,
            orders_timeout: Duration::from_secs(5),
            http: shop_common::http_server::HttpLimits::default(),
        }
    }
}

// Hand-written so that the webhook keys and signing secrets never reach a log line or a
// panic message.
impl std::fmt::Debug for FacadeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| match secret {
            Some(_) => "<redacted>",
            None => "<not set>",
        };
        f.debug_struct("FacadeConfig")
            .field("http_addr", &self.http_addr)
            .field("webhook_key", &redacted(&self.webhook_key))
            .field(
                "webhook_signing_secrets",
                &redacted(&self.webhook_signing_secrets),
            )
            .field("orders_timeout", &self.orders_timeout)
            .field("http", &self.http)
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
    fn debug_output_never_contains_the_webhook_key_or_signing_secrets() {
        let config = FacadeConfig {
            webhook_key: Some("s3cret-one,s3cret-two".to_owned()),
            webhook_signing_secrets: Some("whsec_one,whsec_two".to_owned()),
            ..FacadeConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(!printed.contains("whsec"), "{printed}");
        assert!(
            printed.contains(r#"webhook_signing_secrets: "<redacted>""#),
            "{printed}"
        );

        let printed = format!("{:?}", FacadeConfig::default());
        assert!(
            printed.contains(r#"webhook_signing_secrets: "<not set>""#),
            "{printed}"
        );
    }

    #[test]
    fn flags_are_parsed_and_defaults_match_the_default_constructor() {
        let parsed = Cli::try_parse_from(["shop"]).unwrap().facade;
        let default = FacadeConfig::default();
        assert_eq!(parsed.http_addr, default.http_addr);
        assert_eq!(parsed.orders_timeout, default.orders_timeout);
        assert_eq!(parsed.webhook_signing_secrets, None, "signing is opt-in");

        let parsed = Cli::try_parse_from([
            "shop",
            "--http-addr",
            "0.0.0.0:9000",
            "--webhook-key",
            "k1,k2",
            "--orders-timeout",
            "250ms",
            "--webhook-signing-secrets",
            "whsec_new,whsec_old",
        ])
        .unwrap()
        .facade;
        assert_eq!(parsed.http_addr, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(parsed.webhook_key.as_deref(), Some("k1,k2"));
        assert_eq!(parsed.orders_timeout, Duration::from_millis(250));
        assert_eq!(
            parsed.webhook_signing_secrets.as_deref(),
            Some("whsec_new,whsec_old")
        );
    }

    #[test]
    fn secrets_are_never_shown_from_the_environment_in_help() {
        use clap::CommandFactory;
        let command = Cli::command();
        for id in ["webhook_key", "webhook_signing_secrets"] {
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_id() == id)
                .unwrap();
            assert!(arg.is_hide_env_values_set(), "{id}");
        }
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
