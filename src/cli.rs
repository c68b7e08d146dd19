//! Command line: subcommands, and settings from `SHOP_*` variables or matching flags.

use std::{ffi::OsString, process::ExitCode};

use clap::{Parser, Subcommand};
use shop_common::{
    config::{DatabaseArgs, InventoryUrl, OrdersUrl},
    grpc::{ClientSecurity, ClientTls, GrpcToken, ServerSecurity, ServerTls},
    metrics::MetricsArgs,
    telemetry::LogFormat,
};
use shop_console::config::ConsoleConfig;
use shop_facade::config::FacadeConfig;
use shop_inventory::config::InventoryConfig;
use shop_orders::config::{OrdersConfig, WorkerConfig};

use crate::probe::ProbeArgs;

/// Confirms paid orders: inventory and orders gRPC services, the payment webhook facade and
/// the invoice worker. Every setting is an environment variable with a matching flag; each
/// subcommand's `--help` lists the ones it reads.
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

    /// Print the settings the command would run with (secrets redacted), then exit.
    #[arg(long = "print-config", global = true)]
    pub print_config: bool,

    /// What to run (default: serve).
    #[command(subcommand)]
    pub command: Command,
}

/// The components `shop` can run. Each variant holds everything its component uses, parsed
/// once: nothing is filled in afterwards.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every component in one process (the default). Components call each other in
    /// process (their gRPC ports stay open for other clients). On the embedded SQLite database it also generates a webhook key
    /// if none is set, and seeds a demo catalogue and order into an empty database.
    Serve(Box<ServeArgs>),
    /// Run only the inventory gRPC service.
    Inventory(InventoryArgs),
    /// Run only the orders gRPC service; it calls inventory at SHOP_INVENTORY_URL.
    Orders(Box<OrdersArgs>),
    /// Run only the payment webhook facade (HTTP); it calls orders at SHOP_ORDERS_URL.
    Facade(FacadeArgs),
    /// Run only the invoice worker.
    Worker(WorkerArgs),
    /// Run only the operator console (HTTP); it calls inventory and orders at
    /// SHOP_INVENTORY_URL and SHOP_ORDERS_URL. `shop console hash-password` makes an
    /// operator's password hash for SHOP_CONSOLE_USERS.
    Console(Box<ConsoleArgs>),
    /// Reconcile: check every product's counters against its reservations (through the
    /// inventory service); exits 1 when any drift.
    Check(CheckArgs),
    /// Check a running component, for container healthchecks: exits 0 only when it is
    /// healthy (gRPC: SERVING on grpc.health.v1; HTTP: status 200).
    Probe(ProbeArgs),
    /// Apply database migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

impl Command {
    /// The OpenTelemetry `service.name` of the process (unless `OTEL_SERVICE_NAME` says
    /// otherwise); `None` for the short-lived commands, which export no traces. `shop serve`
    /// runs every component in one process, hence one name; its spans say which component
    /// made them (the gRPC service, the webhook, the invoice delivery).
    pub fn service_name(&self) -> Option<&'static str> {
        match self {
            Command::Serve(_) => Some("shop"),
            Command::Inventory(_) => Some("shop-inventory"),
            Command::Orders(_) => Some("shop-orders"),
            Command::Facade(_) => Some("shop-facade"),
            Command::Worker(_) => Some("shop-worker"),
            Command::Console(args) if args.action.is_none() => Some("shop-console"),
            Command::Console(_)
            | Command::Check(_)
            | Command::Probe(_)
            | Command::Migrate { .. } => None,
        }
    }
}

/// Settings of `shop inventory`.
#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub inventory: InventoryConfig,
    #[command(flatten)]
    pub security: ServerSecurity,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Settings of `shop orders`: a server (token, server TLS) and a client of inventory (the
/// same token, client TLS).
#[derive(Debug, clap::Args)]
pub struct OrdersArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub orders: OrdersConfig,
    #[command(flatten)]
    pub inventory: InventoryUrl,
    #[command(flatten)]
    pub token: GrpcToken,
    #[command(flatten)]
    pub server_tls: ServerTls,
    #[command(flatten)]
    pub client_tls: ClientTls,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Settings of `shop facade`: HTTP, and how it calls orders.
#[derive(Debug, clap::Args)]
pub struct FacadeArgs {
    #[command(flatten)]
    pub facade: FacadeConfig,
    #[command(flatten)]
    pub orders: OrdersUrl,
    #[command(flatten)]
    pub security: ClientSecurity,
}

/// Settings of `shop worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub worker: WorkerConfig,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Settings of `shop console`: HTTP, sign-in, and how it calls the services.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConsoleArgs {
    /// A tool instead of the console.
    #[command(subcommand)]
    pub action: Option<ConsoleAction>,
    #[command(flatten)]
    pub console: ConsoleConfig,
    #[command(flatten)]
    pub inventory: InventoryUrl,
    #[command(flatten)]
    pub orders: OrdersUrl,
    #[command(flatten)]
    pub security: ClientSecurity,
}

/// `shop console` tools.
#[derive(Debug, Subcommand)]
pub enum ConsoleAction {
    /// Read a password (asked for on a terminal, otherwise the first line of standard input;
    /// never an argument, which `ps` would show) and print its argon2 hash, to put into
    /// SHOP_CONSOLE_USERS as `name:hash`.
    HashPassword,
}

/// Settings of `shop check`: how it calls inventory.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inventory: InventoryUrl,
    #[command(flatten)]
    pub security: ClientSecurity,
}

/// Settings of `shop serve`: those of every component, less the service URLs (the
/// components call each other where they are bound) and with one token for all.
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
    pub console: ConsoleConfig,
    #[command(flatten)]
    pub token: GrpcToken,
    #[command(flatten)]
    pub server_tls: ServerTls,
    /// With SHOP_GRPC_TLS_CERT, the components call each other over TLS, trusting
    /// SHOP_GRPC_TLS_CA (and presenting SHOP_GRPC_TLS_CLIENT_CERT under mutual TLS).
    #[command(flatten)]
    pub client_tls: ClientTls,
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
