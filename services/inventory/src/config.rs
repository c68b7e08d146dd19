//! The inventory service's settings: environment variables with matching flags.

use std::{net::SocketAddr, time::Duration};

use shop_common::config::parse_duration;

/// Settings of the inventory service.
#[derive(clap::Args, Debug, Clone)]
pub struct InventoryConfig {
    /// Address the inventory gRPC server listens on.
    #[arg(
        id = "inventory_addr",
        long = "inventory-addr",
        env = "SHOP_INVENTORY_ADDR",
        value_name = "SHOP_INVENTORY_ADDR",
        default_value = "127.0.0.1:50052"
    )]
    pub addr: SocketAddr,

    /// How long a reservation holds stock before it expires (e.g. 30m, 90s).
    #[arg(
        long = "reservation-ttl",
        env = "SHOP_RESERVATION_TTL",
        value_name = "SHOP_RESERVATION_TTL",
        default_value = "30m",
        value_parser = parse_duration
    )]
    pub reservation_ttl: Duration,

    /// How often the sweeper looks for expired reservations.
    #[arg(
        id = "inventory_sweep_interval",
        long = "sweep-interval",
        env = "SHOP_SWEEP_INTERVAL",
        value_name = "SHOP_SWEEP_INTERVAL",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub sweep_interval: Duration,

    /// How often the service reconciles every product's counters with its reservations
    /// (and refreshes the reservation gauges).
    #[arg(
        id = "inventory_check_interval",
        long = "check-interval",
        env = "SHOP_CHECK_INTERVAL",
        value_name = "SHOP_CHECK_INTERVAL",
        default_value = "60s",
        value_parser = parse_duration
    )]
    pub check_interval: Duration,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50052)),
            reservation_ttl: Duration::from_secs(30 * 60),
            sweep_interval: Duration::from_secs(5),
            check_interval: Duration::from_secs(60),
        }
    }
}
