//! `compare`: the shared reference (the judge), our raw-SQL baseline, `shop serve` and the
//! split topologies on PostgreSQL, side by side, several rounds; medians, ratios, targets.

mod print;
mod verdict;

use std::path::Path;

use anyhow::bail;
use serde::Serialize;

pub use verdict::CompareReport;

use crate::{
    baseline::{self, BaselineReport, SharedReport},
    cli::{Common, CompareArgs, Mode, Workload},
    database,
    report::RunReport,
    run,
};

/// One round: every measurement once.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// The shared reference (`run.sh`), the judge; none with `--shared-sql-limit none`.
    pub shared: Option<SharedReport>,
    /// Our pgbench baseline (reported beside the judge, not judged).
    pub baseline: BaselineReport,
    /// `shop serve` on PostgreSQL (judged).
    pub service: RunReport,
    /// The four processes on PostgreSQL (reported), unless `--skip-split`.
    pub split: Option<RunReport>,
    /// Two replicas of each of the four processes on PostgreSQL (reported), unless
    /// `--skip-split`.
    pub split_x2: Option<RunReport>,
    /// `shop serve` of the `--versus` binary on PostgreSQL.
    pub versus: Option<RunReport>,
    /// The baseline with `--versus-baseline-script`, the one `--versus` is judged against.
    pub versus_baseline: Option<BaselineReport>,
}

/// What a round measures, in the order it is measured (rotated each round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Shared,
    Baseline,
    Serve,
    Split,
    SplitX2,
    Versus,
    VersusBaseline,
}

/// Runs `args.runs` rounds, rotating which measurement goes first so that drift
/// (autovacuum, checkpoints, neighbours on a shared machine) favours none of them.
pub async fn compare(args: &CompareArgs) -> anyhow::Result<CompareReport> {
    let shared_script = shared_script(&args.shared_sql_limit)?;
    if shared_script.is_none() {
        eprintln!("--shared-sql-limit none: no shared reference, nothing is judged");
    }
    let workload = Workload {
        orders: args.orders,
        concurrency: args.concurrency,
        products: args.products,
    };
    let common = &args.common;
    let versus_common = args.versus.as_ref().map(|bin| Common {
        shop_bin: bin.clone(),
        ..common.clone()
    });
    let mut steps = Vec::new();
    if shared_script.is_some() {
        steps.push(Step::Shared);
    }
    steps.extend([Step::Baseline, Step::Serve]);
    if !args.skip_split {
        steps.extend([Step::Split, Step::SplitX2]);
    }
    if versus_common.is_some() {
        steps.push(Step::Versus);
    }
    if args.versus_baseline_script.is_some() {
        steps.push(Step::VersusBaseline);
    }
    let mut rounds = Vec::new();
    for round in 1..=args.runs.max(1) {
        eprintln!("round {round}/{}", args.runs.max(1));
        let (mut shared, mut baseline, mut service) = (None, None, None);
        let (mut split, mut split_x2, mut versus, mut versus_baseline) = (None, None, None, None);
        let mut order = steps.clone();
        order.rotate_left(round % steps.len());
        for step in order {
            match step {
                Step::Shared => {
                    let script = shared_script.expect("a Shared step only with a script");
                    shared = Some(measure_shared(script, args).await?);
                }
                Step::Baseline => {
                    let script = args.baseline_script.as_deref();
                    baseline = Some(measure_baseline(args, workload, script).await?);
                }
                Step::Serve => {
                    service = Some(measure(Mode::ServePg, workload, common, args).await?);
                }
                Step::Split => split = Some(measure(Mode::SplitPg, workload, common, args).await?),
                Step::SplitX2 => {
                    split_x2 = Some(measure(Mode::SplitPgX2, workload, common, args).await?);
                }
                Step::Versus => {
                    let other = versus_common
                        .as_ref()
                        .expect("a Versus step only with --versus");
                    versus = Some(measure(Mode::ServePg, workload, other, args).await?);
                }
                Step::VersusBaseline => {
                    let script = args.versus_baseline_script.as_deref();
                    versus_baseline = Some(measure_baseline(args, workload, script).await?);
                }
            }
        }
        rounds.push(Round {
            shared,
            baseline: baseline.expect("measured every round"),
            service: service.expect("measured every round"),
            split,
            split_x2,
            versus,
            versus_baseline,
        });
    }
    Ok(CompareReport::new(args.orders, args.concurrency, rounds))
}

/// The shared reference's `run.sh`; none only when `none` is given explicitly. A missing
/// script is an error: it is the judge.
fn shared_script(arg: &str) -> anyhow::Result<Option<&Path>> {
    if arg == "none" {
        return Ok(None);
    }
    let script = Path::new(arg);
    if !script.is_file() {
        bail!(
            "the shared reference {arg} is missing: it is what compare judges against \
             (pass --shared-sql-limit PATH, or --shared-sql-limit none to measure without judging)"
        );
    }
    Ok(Some(script))
}

async fn measure_shared(script: &Path, args: &CompareArgs) -> anyhow::Result<SharedReport> {
    database::checkpoint(&args.common.postgres_url).await?;
    let report =
        baseline::run_shared(script, args.concurrency, args.shared_seconds, &args.common).await?;
    eprintln!(
        "  shared reference: {:.0}/s, p99 {:.2} ms",
        report.throughput, report.p99
    );
    Ok(report)
}

async fn measure_baseline(
    args: &CompareArgs,
    workload: Workload,
    script: Option<&Path>,
) -> anyhow::Result<BaselineReport> {
    database::checkpoint(&args.common.postgres_url).await?;
    let report = baseline::run(workload, &args.common, args.pgbench_threads, script).await?;
    let name = script.map_or("sql/confirm.sql".into(), |p| p.display().to_string());
    eprintln!(
        "  baseline ({name}): {:.0}/s, p99 {:.2} ms",
        report.throughput, report.latency_ms.p99
    );
    Ok(report)
}

async fn measure(
    mode: Mode,
    workload: Workload,
    common: &Common,
    args: &CompareArgs,
) -> anyhow::Result<RunReport> {
    database::checkpoint(&common.postgres_url).await?;
    let report = run::run(mode, workload, common, &args.tuning).await?;
    eprintln!(
        "  {} ({}): {:.0}/s, p99 {:.2} ms, {} errors, {:.1} MiB, invoices {}",
        report.mode,
        common.shop_bin.display(),
        report.throughput,
        report.latency_ms.p99,
        report.errors,
        report.peak_rss_mib_load(),
        if report.invoices.ok() { "ok" } else { "FAILED" }
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_shared_reference_is_an_error_naming_the_way_out() {
        let err = shared_script("/nonexistent/run.sh")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/run.sh"), "{err}");
        assert!(err.contains("--shared-sql-limit none"), "{err}");
    }

    #[test]
    fn none_skips_the_shared_reference_and_a_present_script_is_used() {
        assert!(shared_script("none").unwrap().is_none());
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        assert_eq!(shared_script(path).unwrap(), Some(file.path()));
    }
}
