//! `shop`: one binary that runs any component of the shop, or all of them.
//!
//! `cargo run --release` with no arguments is `shop serve` on embedded defaults: SQLite under
//! `./data/`, every component in one process.

mod check;
mod cli;
mod demo;
mod password;
mod probe;
mod run;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if cli.print_config {
        println!("{cli:#?}");
        return ExitCode::SUCCESS;
    }
    if matches!(cli.command, cli::Command::Worker(_)) {
        // A background job runner: on a shared machine the requests come first. Set before
        // the runtime starts, so that every thread inherits it.
        shop_orders::worker::lower_priority();
    }
    // Metrics recorded before the recorder exists are lost, so install it first.
    shop_common::metrics::handle();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Inside the runtime: the trace exporter's channel runs on it.
    let telemetry = {
        let _runtime = runtime.enter();
        shop_common::telemetry::init(cli.log_format, cli.command.service_name())
    };
    let result = runtime.block_on(run::run(cli.command));
    // The last spans go out while the runtime still runs.
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
