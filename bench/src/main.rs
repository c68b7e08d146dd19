//! `shop-bench`: webhook throughput, latency and memory of the shop, measured against the
//! database's own limit. See `BENCHMARKS.md` at the repository root.
//!
//! - `shop-bench [--mode serve-pg|serve-sqlite|split-pg|split-sqlite|split-pg-x2]
//!   [--orders N] [--concurrency C]`: one run against the launched release `shop` binary,
//!   its invoices received over SMTP by a sink inside this process;
//! - `shop-bench baseline`: the same database work per confirmation as raw SQL (pgbench);
//! - `shop-bench compare`: the shared reference (the judge), our baseline, `serve-pg`,
//!   `split-pg` and `split-pg-x2`, several rounds, medians, ratios, targets (exits non-zero
//!   when a target is not met).

mod baseline;
mod cli;
mod compare;
mod database;
mod grpc;
mod http;
mod launch;
mod mail;
mod procfs;
mod report;
mod run;
mod workload;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            let args = cli.run;
            let report = run::run(args.mode, args.workload, &args.common, &args.tuning).await?;
            print(args.common.json, &report, || report.print())?;
            // Errors, unconfirmed orders or an invoice not received exactly once make the run
            // fail, so a smoke run in CI means something.
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Baseline(args)) => {
            let report = baseline::run(
                args.workload,
                &args.common,
                args.pgbench_threads,
                args.script.as_deref(),
            )
            .await?;
            print(args.common.json, &report, || report.print())?;
            let ok = report.failed == 0 && report.confirmed == report.orders;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Compare(args)) => {
            let report = compare::compare(&args).await?;
            print(args.common.json, &report, || report.print())?;
            // A judged target not met fails the command, so a script can gate on it.
            Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn print<T: serde::Serialize>(json: bool, value: &T, table: impl FnOnce()) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        table();
    }
    Ok(())
}
