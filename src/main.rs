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
    shop_common::telemetry::init(cli.log_format);
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
    match runtime.block_on(run::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
