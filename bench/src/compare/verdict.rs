//! The medians of the rounds, the ratios to the shared reference and the targets.

use serde::Serialize;

use super::Round;
use crate::{
    baseline::BaselineReport,
    report::{RunReport, median},
};

/// `shop serve` throughput must be at least this fraction of the shared reference's.
const MIN_THROUGHPUT_RATIO: f64 = 0.6;
/// The stretch goal for the same ratio: reported, not judged.
const STRETCH_THROUGHPUT_RATIO: f64 = 0.8;
/// `shop serve` p99 must be at most this multiple of the shared reference's.
const MAX_P99_RATIO: f64 = 2.0;
/// `shop serve` peak RSS under load, at most (MiB).
const MAX_SERVE_RSS_MIB: f64 = 64.0;

/// A target, its measured value and whether it is met.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is measured.
    pub name: &'static str,
    /// The measured value (of the medians, or a count over all rounds).
    pub value: f64,
    /// The limit.
    pub limit: f64,
    /// Whether the value is within the limit.
    pub met: bool,
    /// Whether it decides the verdict (a stretch goal, or anything without the shared
    /// reference, is only reported).
    pub judged: bool,
}

/// Medians of one system's runs over the rounds.
#[derive(Debug, Clone, Serialize)]
pub struct SystemMedians {
    /// `serve-pg`, `split-pg`, `split-pg-x2`, or `versus` for the `--versus` binary.
    pub system: String,
    /// Webhooks/s.
    pub throughput: f64,
    /// p99, ms.
    pub p99_ms: f64,
    /// CPU of all its processes while firing, ms per webhook.
    pub cpu_ms_per_webhook: f64,
    /// Sum of its processes' peak RSS under load, MiB.
    pub rss_mib: f64,
    /// Seconds from the last webhook answered to the last invoice received (none if some
    /// round's invoices did not all arrive).
    pub drain_seconds: Option<f64>,
    /// The load generator's CPU while firing, % of one core.
    pub generator_core_percent: f64,
    /// The SMTP sink's CPU while firing, % of one core.
    pub sink_core_percent: f64,
    /// Errors plus unconfirmed orders, summed over the rounds.
    pub errors_and_unconfirmed: usize,
    /// Invoices missing, duplicated or unexpected, summed over the rounds.
    pub invoice_faults: usize,
}

impl SystemMedians {
    fn of<'a>(system: &str, runs: impl Iterator<Item = &'a RunReport> + Clone) -> Self {
        let med = |f: fn(&RunReport) -> f64| median(runs.clone().map(f));
        let drains: Option<Vec<f64>> = runs.clone().map(|r| r.drain_seconds).collect();
        Self {
            system: system.to_owned(),
            throughput: med(|r| r.throughput),
            p99_ms: med(|r| r.latency_ms.p99),
            cpu_ms_per_webhook: med(RunReport::cpu_ms_per_webhook),
            rss_mib: med(RunReport::peak_rss_mib_load),
            drain_seconds: drains.map(median),
            generator_core_percent: med(|r| r.bench_cpu.generator_core_percent),
            sink_core_percent: med(|r| r.bench_cpu.sink_core_percent),
            errors_and_unconfirmed: runs.clone().map(|r| r.errors + r.unconfirmed).sum(),
            invoice_faults: runs
                .map(|r| r.invoices.missing + r.invoices.duplicates + r.invoices.unexpected)
                .sum(),
        }
    }
}

/// Medians of a raw-SQL measurement (the shared reference or a baseline).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SqlMedians {
    /// Confirmations/s.
    pub throughput: f64,
    /// p99, ms.
    pub p99_ms: f64,
}

/// Every round, the medians, the ratios and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// Orders per run.
    pub orders: usize,
    /// Concurrency of every run.
    pub concurrency: usize,
    /// Each round.
    pub rounds: Vec<Round>,
    /// The shared reference, the judge (none with `--shared-sql-limit none`).
    pub shared: Option<SqlMedians>,
    /// Our pgbench baseline.
    pub baseline: SqlMedians,
    /// `shop serve` (judged), then `split-pg`, `split-pg-x2` and `versus` when run.
    pub systems: Vec<SystemMedians>,
    /// `serve-pg` throughput / shared reference throughput.
    pub throughput_ratio: Option<f64>,
    /// `serve-pg` p99 / shared reference p99.
    pub p99_ratio: Option<f64>,
    /// `serve-pg` throughput / our baseline's (reported, not judged).
    pub baseline_throughput_ratio: f64,
    /// `serve-pg` p99 / our baseline's (reported, not judged).
    pub baseline_p99_ratio: f64,
    /// `versus` against its own baseline (`--versus-baseline-script`, else ours):
    /// throughput and p99 ratios (reported, not judged).
    pub versus_baseline_ratios: Option<(f64, f64)>,
    /// Whether anything is judged (there is a shared reference).
    pub judged: bool,
    /// The targets.
    pub targets: Vec<Target>,
}

impl CompareReport {
    /// Medians, ratios and targets of `rounds`.
    pub fn new(orders: usize, concurrency: usize, rounds: Vec<Round>) -> Self {
        let sql = |f: &dyn Fn(&Round) -> Option<&BaselineReport>| {
            let runs: Option<Vec<&BaselineReport>> = rounds.iter().map(f).collect();
            runs.map(|runs| SqlMedians {
                throughput: median(runs.iter().map(|b| b.throughput)),
                p99_ms: median(runs.iter().map(|b| b.latency_ms.p99)),
            })
        };
        let baseline = sql(&|r| Some(&r.baseline)).expect("every round has a baseline");
        let shared = rounds
            .iter()
            .map(|r| r.shared.as_ref())
            .collect::<Option<Vec<_>>>()
            .filter(|s| !s.is_empty())
            .map(|s| SqlMedians {
                throughput: median(s.iter().map(|s| s.throughput)),
                p99_ms: median(s.iter().map(|s| s.p99)),
            });
        let serve = SystemMedians::of("serve-pg", rounds.iter().map(|r| &r.service));
        let mut systems = vec![serve.clone()];
        for (name, pick) in [
            (
                "split-pg",
                (|r: &Round| r.split.as_ref()) as fn(&Round) -> Option<&RunReport>,
            ),
            ("split-pg-x2", |r| r.split_x2.as_ref()),
            ("versus", |r| r.versus.as_ref()),
        ] {
            if rounds.iter().all(|r| pick(r).is_some()) {
                systems.push(SystemMedians::of(name, rounds.iter().filter_map(pick)));
            }
        }
        let versus_baseline_ratios = systems.iter().find(|s| s.system == "versus").map(|v| {
            let base = sql(&|r| Some(r.versus_baseline.as_ref().unwrap_or(&r.baseline)))
                .expect("every round has a baseline");
            (v.throughput / base.throughput, v.p99_ms / base.p99_ms)
        });
        let throughput_ratio = shared.map(|s| serve.throughput / s.throughput);
        let p99_ratio = shared.map(|s| serve.p99_ms / s.p99_ms);
        let judged = shared.is_some();
        let target = |name, value: f64, limit, met: bool, judge: bool| Target {
            name,
            value,
            limit,
            met,
            judged: judged && judge,
        };
        let (tput, p99) = (
            throughput_ratio.unwrap_or(f64::NAN),
            p99_ratio.unwrap_or(f64::NAN),
        );
        let targets = vec![
            target(
                "serve throughput / shared reference's, at least",
                tput,
                MIN_THROUGHPUT_RATIO,
                tput >= MIN_THROUGHPUT_RATIO,
                true,
            ),
            target(
                "  stretch (reported, not judged), at least",
                tput,
                STRETCH_THROUGHPUT_RATIO,
                tput >= STRETCH_THROUGHPUT_RATIO,
                false,
            ),
            target(
                "serve p99 / shared reference's, at most",
                p99,
                MAX_P99_RATIO,
                p99 <= MAX_P99_RATIO,
                true,
            ),
            target(
                "serve peak RSS under load (MiB), at most",
                serve.rss_mib,
                MAX_SERVE_RSS_MIB,
                serve.rss_mib <= MAX_SERVE_RSS_MIB,
                true,
            ),
            target(
                "serve errors + unconfirmed orders (all rounds)",
                serve.errors_and_unconfirmed as f64,
                0.0,
                serve.errors_and_unconfirmed == 0,
                true,
            ),
            target(
                "serve invoices not received exactly once (all rounds)",
                serve.invoice_faults as f64,
                0.0,
                serve.invoice_faults == 0,
                true,
            ),
        ];
        Self {
            orders,
            concurrency,
            baseline_throughput_ratio: serve.throughput / baseline.throughput,
            baseline_p99_ratio: serve.p99_ms / baseline.p99_ms,
            rounds,
            shared,
            baseline,
            systems,
            throughput_ratio,
            p99_ratio,
            versus_baseline_ratios,
            judged,
            targets,
        }
    }

    /// Whether every judged target is met (true when nothing is judged).
    pub fn passed(&self) -> bool {
        self.targets.iter().filter(|t| t.judged).all(|t| t.met)
    }
}

#[cfg(test)]
mod tests;
