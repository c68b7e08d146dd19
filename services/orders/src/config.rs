//! The orders service's settings: environment variables with matching flags.

use std::{net::SocketAddr, time::Duration};

use shop_common::config::parse_duration;

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

    /// Where the orders service reaches the inventory service.
    #[arg(
        long = "inventory-url",
        env = "SHOP_INVENTORY_URL",
        value_name = "SHOP_INVENTORY_URL",
        default_value = "http://127.0.0.1:50052",
        value_parser = parse_grpc_url
    )]
    pub inventory_url: String,

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
            inventory_url: "http://127.0.0.1:50052".to_owned(),
            inventory_timeout: Duration::from_secs(5),
            sweep_interval: Duration::from_secs(5),
        }
    }
}

/// Accepts `http://host:port` and `https://host:port`.
pub fn parse_grpc_url(raw: &str) -> Result<String, String> {
    let uri: tonic::transport::Uri = raw.parse().map_err(|e| format!("{e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(raw.to_owned()),
        _ => Err("expected http://host:port or https://host:port".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_urls_need_a_scheme_and_a_host() {
        assert!(parse_grpc_url("http://127.0.0.1:50052").is_ok());
        assert!(parse_grpc_url("https://inventory.internal").is_ok());
        assert!(parse_grpc_url("127.0.0.1:50052").is_err());
        assert!(parse_grpc_url("ftp://x").is_err());
    }
}
