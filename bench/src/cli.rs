//! Command line: one benchmark run (the default), the raw-SQL baseline, or the comparison of
//! both. Every option has an environment variable.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Webhook throughput, latency and memory of the shop, measured against the database's own
/// limit. Launches the release `shop` binary on free ports and a fresh database, seeds orders
/// awaiting payment through gRPC, fires their paid webhooks over HTTP and reports.
#[derive(Debug, Parser)]
#[command(name = "shop-bench", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to run besides a single benchmark.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of a single benchmark run (when no subcommand is given).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The raw-SQL baseline: pgbench runs one confirmation's statements on our schema.
    Baseline(BaselineArgs),
    /// The shared reference (the judge), our baseline, `shop serve`, `split-pg` and
    /// `split-pg-x2` on PostgreSQL, several rounds, medians, ratios and targets.
    Compare(CompareArgs),
}

/// How the shop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// `shop serve` on a fresh SQLite file.
    ServeSqlite,
    /// `shop serve` on a fresh PostgreSQL database.
    ServePg,
    /// `shop inventory`, `shop orders`, `shop facade`, `shop worker` on PostgreSQL.
    SplitPg,
    /// The four processes on one SQLite file.
    SplitSqlite,
    /// Two of each of the four processes on PostgreSQL: each orders calls both inventories,
    /// each facade both orders; the webhooks are spread over both facades.
    SplitPgX2,
}

impl Mode {
    /// Whether it runs on PostgreSQL.
    pub fn postgres(self) -> bool {
        matches!(self, Mode::ServePg | Mode::SplitPg | Mode::SplitPgX2)
    }

    /// Whether every component runs in its own process.
    pub fn split(self) -> bool {
        matches!(self, Mode::SplitPg | Mode::SplitSqlite | Mode::SplitPgX2)
    }

    /// How many processes of each component run.
    pub fn replicas(self) -> usize {
        match self {
            Mode::SplitPgX2 => 2,
            _ => 1,
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::ServeSqlite => "serve-sqlite",
            Mode::ServePg => "serve-pg",
            Mode::SplitPg => "split-pg",
            Mode::SplitSqlite => "split-sqlite",
            Mode::SplitPgX2 => "split-pg-x2",
        }
    }
}

/// What every command shares.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The `shop` binary to launch (build it with `cargo build --release`).
    #[arg(
        long,
        env = "SHOP_BENCH_SHOP_BIN",
        default_value = "target/release/shop"
    )]
    pub shop_bin: PathBuf,
    /// PostgreSQL server on which fresh databases are created (and dropped after the run).
    #[arg(
        long,
        env = "SHOP_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Print the result as JSON instead of a table.
    #[arg(long, env = "SHOP_BENCH_JSON")]
    pub json: bool,
    /// Keep the temporary directory (logs, SQLite file) and the PostgreSQL database.
    #[arg(long, env = "SHOP_BENCH_KEEP")]
    pub keep: bool,
}

/// The workload: how many orders, over how many products, at what concurrency.
#[derive(Debug, Clone, Copy, Args)]
pub struct Workload {
    /// Orders seeded awaiting payment, then paid by one webhook each.
    #[arg(long, env = "SHOP_BENCH_ORDERS", default_value_t = 5000)]
    pub orders: usize,
    /// Webhooks (or pgbench clients) in flight at once, each on its own keep-alive connection.
    #[arg(long, env = "SHOP_BENCH_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Products the orders are spread over (two lines per order, on two distinct products).
    #[arg(long, env = "SHOP_BENCH_PRODUCTS", default_value_t = 200, value_parser = clap::value_parser!(u64).range(2..))]
    pub products: u64,
}

/// One benchmark run.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Which processes, on which database.
    #[arg(long, env = "SHOP_BENCH_MODE", value_enum, default_value_t = Mode::ServePg)]
    pub mode: Mode,
    #[command(flatten)]
    pub workload: Workload,
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub tuning: Tuning,
}

/// Knobs of the run that are not the workload.
#[derive(Debug, Clone, Args)]
pub struct Tuning {
    /// CreateOrder calls in flight while seeding.
    #[arg(long, env = "SHOP_BENCH_SEED_CONCURRENCY", default_value_t = 16)]
    pub seed_concurrency: usize,
    /// How long to wait after the last webhook for the SMTP sink to receive every invoice
    /// (a run whose invoices do not all arrive fails).
    #[arg(long, env = "SHOP_BENCH_DRAIN_TIMEOUT", default_value = "120s", value_parser = humantime::parse_duration)]
    pub drain_timeout: Duration,
    /// Write every webhook's send time and latency (µs, one `sent latency` pair a line) here.
    #[arg(long, env = "SHOP_BENCH_LATENCY_LOG")]
    pub latency_log: Option<PathBuf>,
    /// Extra `KEY=VALUE` environment for every launched shop process (repeatable), set last
    /// so it overrides the benchmark's own, e.g. `RUST_LOG=warn`.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
}

/// The raw-SQL baseline.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub workload: Workload,
    #[command(flatten)]
    pub common: Common,
    /// pgbench worker threads.
    #[arg(long, env = "SHOP_BENCH_PGBENCH_THREADS", default_value_t = 2)]
    pub pgbench_threads: usize,
    /// A pgbench script to run instead of the built-in `bench/sql/confirm.sql` (same
    /// variables), e.g. `bench/sql/confirm_before.sql`.
    #[arg(long, env = "SHOP_BENCH_BASELINE_SCRIPT")]
    pub script: Option<PathBuf>,
}

/// The side-by-side comparison on PostgreSQL.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Rounds; each runs every measurement once. Medians are reported.
    #[arg(long, env = "SHOP_BENCH_RUNS", default_value_t = 3)]
    pub runs: usize,
    /// Orders per round (the same for the baseline and the service).
    #[arg(long, env = "SHOP_BENCH_ORDERS", default_value_t = 10000)]
    pub orders: usize,
    /// Concurrency of both.
    #[arg(long, env = "SHOP_BENCH_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Products the orders are spread over.
    #[arg(long, env = "SHOP_BENCH_PRODUCTS", default_value_t = 200, value_parser = clap::value_parser!(u64).range(2..))]
    pub products: u64,
    /// The shared reference `run.sh` (its own schema and statements), run once per round:
    /// the judge of the throughput and p99 targets. A missing script fails the command;
    /// `none` runs without it, and then nothing is judged.
    #[arg(
        long,
        env = "SHOP_BENCH_SHARED_SQL_LIMIT",
        default_value = "/work/shared/bench/sql_limit/run.sh"
    )]
    pub shared_sql_limit: String,
    /// Seconds of each shared reference run.
    #[arg(long, env = "SHOP_BENCH_SHARED_SECONDS", default_value_t = 20)]
    pub shared_seconds: u64,
    /// Another `shop` binary (e.g. built before a change), also run each round and reported
    /// beside `--shop-bin` (not judged).
    #[arg(long, env = "SHOP_BENCH_VERSUS")]
    pub versus: Option<PathBuf>,
    /// A pgbench script for the baseline instead of the built-in `bench/sql/confirm.sql`.
    #[arg(long, env = "SHOP_BENCH_BASELINE_SCRIPT")]
    pub baseline_script: Option<PathBuf>,
    /// A second baseline script, run each round too, against which `--versus` is judged
    /// (e.g. `bench/sql/confirm_before.sql` for a build before the statement changes).
    #[arg(long, env = "SHOP_BENCH_VERSUS_BASELINE_SCRIPT")]
    pub versus_baseline_script: Option<PathBuf>,
    /// Skip `split-pg` and `split-pg-x2`, which otherwise run every round (reported, not
    /// judged), for a quicker look at `serve-pg` alone.
    #[arg(long, env = "SHOP_BENCH_SKIP_SPLIT")]
    pub skip_split: bool,
    /// Accepted for older scripts; the split topologies now run by default.
    #[arg(long, hide = true, conflicts_with = "skip_split")]
    pub with_split: bool,
    /// pgbench worker threads.
    #[arg(long, env = "SHOP_BENCH_PGBENCH_THREADS", default_value_t = 2)]
    pub pgbench_threads: usize,
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub tuning: Tuning,
}

fn parse_env(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_smoke_command_parses() {
        let cli = Cli::try_parse_from([
            "shop-bench",
            "--orders",
            "20",
            "--concurrency",
            "4",
            "--mode",
            "serve-sqlite",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.mode, Mode::ServeSqlite);
        assert_eq!(cli.run.workload.orders, 20);
    }

    #[test]
    fn two_replicas_of_each_component_is_a_mode_of_its_own() {
        let cli = Cli::try_parse_from(["shop-bench", "--mode", "split-pg-x2"]).unwrap();
        assert_eq!(cli.run.mode, Mode::SplitPgX2);
        assert_eq!(cli.run.mode.name(), "split-pg-x2");
        assert!(Mode::SplitPgX2.postgres() && Mode::SplitPgX2.split());
        assert_eq!(
            (Mode::SplitPgX2.replicas(), Mode::SplitPg.replicas()),
            (2, 1)
        );
    }

    #[test]
    fn compare_runs_the_split_topologies_unless_told_to_skip_them() {
        let parse = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
            Some(Command::Compare(args)) => args,
            other => panic!("not compare: {other:?}"),
        };
        assert!(!parse(&["shop-bench", "compare"]).skip_split);
        assert!(parse(&["shop-bench", "compare", "--skip-split"]).skip_split);
        // The old flag still parses (the split runs are the default now).
        assert!(!parse(&["shop-bench", "compare", "--with-split"]).skip_split);
    }
}
