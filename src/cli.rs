//! Command line: subcommands, and settings from `SHOP_*` variables or matching flags.

use std::{ffi::OsString, process::ExitCode};

use clap::{Parser, Subcommand};
use shop_common::config::DatabaseArgs;
use shop_facade::config::FacadeConfig;
use shop_inventory::config::InventoryConfig;
use shop_orders::config::{OrdersConfig, WorkerConfig};

/// Confirms paid orders: inventory and orders gRPC services, the payment webhook facade and
/// the invoice worker. Every setting is an environment variable with a matching flag.
#[derive(Debug, Parser)]
#[command(name = "shop", version)]
pub struct Cli {
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
    },
    /// Run only the orders gRPC service.
    Orders {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        orders: OrdersConfig,
    },
    /// Run only the payment webhook facade (HTTP); it reaches orders at SHOP_ORDERS_URL.
    Facade {
        #[command(flatten)]
        facade: FacadeConfig,
    },
    /// Run only the invoice worker.
    Worker {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        worker: WorkerConfig,
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
