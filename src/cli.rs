//! Command line: subcommands, and settings from `SHOP_*` variables or matching flags.

use std::{ffi::OsString, process::ExitCode};

use clap::{Parser, Subcommand};
use shop_common::{
    config::DatabaseArgs, grpc::GrpcSecurity, metrics::MetricsArgs, telemetry::LogFormat,
};
use shop_facade::config::FacadeConfig;
use shop_inventory::config::InventoryConfig;
use shop_orders::config::{OrdersConfig, WorkerConfig};

/// Confirms paid orders: inventory and orders gRPC services, the payment webhook facade and
/// the invoice worker. Every setting is an environment variable with a matching flag.
#[derive(Debug, Parser)]
#[command(name = "shop", version)]
pub struct Cli {
    /// Log lines as text (for people) or JSON (for log pipelines).
    #[arg(
        long = "log-format",
        env = "SHOP_LOG_FORMAT",
        value_name = "SHOP_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// What to run (default: serve).
    #[command(subcommand)]
    pub command: Command,
}

/// The components `shop` can run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every component in one process (the default). Components reach each other on
    /// their bound addresses (SHOP_INVENTORY_URL and SHOP_ORDERS_URL are not used). On the
    /// embedded SQLite database it also generates a webhook key if none is set, and seeds a
    /// demo catalogue and order into an empty database.
    Serve(Box<ServeArgs>),
    /// Run only the inventory gRPC service.
    Inventory {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        inventory: InventoryConfig,
        #[command(flatten)]
        security: GrpcSecurity,
        #[command(flatten)]
        metrics: MetricsArgs,
    },
    /// Run only the orders gRPC service.
    Orders {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        orders: OrdersConfig,
        #[command(flatten)]
        security: GrpcSecurity,
        #[command(flatten)]
        metrics: MetricsArgs,
    },
    /// Run only the payment webhook facade (HTTP); it reaches orders at SHOP_ORDERS_URL.
    Facade {
        #[command(flatten)]
        facade: FacadeConfig,
        #[command(flatten)]
        security: GrpcSecurity,
    },
    /// Run only the invoice worker.
    Worker {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        worker: WorkerConfig,
        #[command(flatten)]
        metrics: MetricsArgs,
    },
    /// Reconcile: check every product's counters against its reservations (through the
    /// inventory service); exits 1 when any drift.
    Check {
        /// Where the inventory service is (comma-separated replicas: any one answers).
        #[arg(
            id = "check_inventory_url",
            long = "inventory-url",
            env = "SHOP_INVENTORY_URL",
            value_name = "SHOP_INVENTORY_URL",
            default_value = "http://127.0.0.1:50052",
            value_parser = shop_orders::config::parse_grpc_url
        )]
        inventory_url: String,
        #[command(flatten)]
        security: GrpcSecurity,
    },
    /// Apply database migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Settings of `shop serve`: those of every component.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub inventory: InventoryConfig,
    #[command(flatten)]
    pub orders: OrdersConfig,
    #[command(flatten)]
    pub facade: FacadeConfig,
    #[command(flatten)]
    pub worker: WorkerConfig,
    #[command(flatten)]
    pub security: GrpcSecurity,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Parses the command line. With no arguments at all, runs `serve`. A bad setting prints
/// one line naming it and exits with status 2.
pub fn parse() -> Result<Cli, ExitCode> {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if args.len() == 1 {
        args.push("serve".into());
    }
    Cli::try_parse_from(args).map_err(|e| {
        use clap::error::ErrorKind;
        if matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        let rendered = e.render().to_string();
        let line = rendered
            .lines()
            .next()
            .unwrap_or("error: invalid arguments");
        eprintln!("{line}");
        ExitCode::from(2)
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
