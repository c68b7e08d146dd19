//! `compare`: the raw-SQL baseline and `shop serve` on PostgreSQL, side by side, several
//! rounds; medians, ratios and the targets.

mod print;

use std::path::Path;

use serde::Serialize;

use crate::{
    baseline::{self, BaselineReport, SharedReport},
    cli::{Common, CompareArgs, Mode, Workload},
    database,
    report::{RunReport, median},
    run,
};

/// Service throughput must be at least this fraction of the baseline's.
const MIN_THROUGHPUT_RATIO: f64 = 0.5;
/// Service p99 must be at most this multiple of the baseline's.
const MAX_P99_RATIO: f64 = 2.0;
/// `shop serve` peak RSS under load, at most (MiB).
const MAX_SERVE_RSS_MIB: f64 = 64.0;

/// One round: every measurement once.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// Our pgbench baseline.
    pub baseline: BaselineReport,
    /// `shop serve` on PostgreSQL.
    pub service: RunReport,
    /// `shop serve` of the `--versus` binary on PostgreSQL.
    pub versus: Option<RunReport>,
    /// The baseline with `--versus-baseline-script`, the one `--versus` is judged against.
    pub versus_baseline: Option<BaselineReport>,
    /// The split processes on PostgreSQL, with `--with-split`.
    pub split: Option<RunReport>,
    /// The shared reference, unless skipped.
    pub shared: Option<SharedReport>,
}

/// A target and whether the medians meet it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is measured.
    pub name: &'static str,
    /// The measured value (median).
    pub value: f64,
    /// The limit.
    pub limit: f64,
    /// Whether the value is within the limit.
    pub met: bool,
}

/// Every round, the medians and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// Orders per run.
    pub orders: usize,
    /// Concurrency of every run.
    pub concurrency: usize,
    /// Each round.
    pub rounds: Vec<Round>,
    /// Median baseline throughput (confirmations/s).
    pub baseline_throughput: f64,
    /// Median baseline p99 (ms).
    pub baseline_p99_ms: f64,
    /// Median service throughput (webhooks/s).
    pub service_throughput: f64,
    /// Median service p99 (ms).
    pub service_p99_ms: f64,
    /// Median `shop serve` peak RSS under load (MiB).
    pub serve_rss_mib: f64,
    /// Service throughput / baseline throughput (of the medians).
    pub throughput_ratio: f64,
    /// Service p99 / baseline p99 (of the medians).
    pub p99_ratio: f64,
    /// The `--versus` binary, if any: median throughput, p99 (ms) and serve peak RSS (MiB),
    /// and its throughput and p99 over the baseline's.
    pub versus: Option<VersusMedians>,
    /// The targets.
    pub targets: Vec<Target>,
}

/// Medians of the `--versus` binary's runs.
#[derive(Debug, Clone, Serialize)]
pub struct VersusMedians {
    /// Webhooks/s.
    pub throughput: f64,
    /// p99, ms.
    pub p99_ms: f64,
    /// `shop serve` peak RSS under load, MiB.
    pub serve_rss_mib: f64,
    /// The median throughput of the baseline it is judged against.
    pub baseline_throughput: f64,
    /// The median p99 of that baseline, ms.
    pub baseline_p99_ms: f64,
    /// Throughput / baseline throughput.
    pub throughput_ratio: f64,
    /// p99 / baseline p99.
    pub p99_ratio: f64,
}

/// Runs `args.runs` rounds, alternating which goes first so that drift (autovacuum,
/// checkpoints, neighbours on a shared machine) does not favour one side.
pub async fn compare(args: &CompareArgs) -> anyhow::Result<CompareReport> {
    let workload = Workload {
        orders: args.orders,
        concurrency: args.concurrency,
        products: args.products,
    };
    let shared_script = (args.shared_sql_limit != "none")
        .then(|| Path::new(&args.shared_sql_limit))
        .filter(|p| p.is_file());
    let common = &args.common;
    let versus_common = args.versus.as_ref().map(|bin| Common {
        shop_bin: bin.clone(),
        ..common.clone()
    });
    let mut rounds = Vec::new();
    for round in 1..=args.runs.max(1) {
        eprintln!("round {round}/{}", args.runs);
        let (mut baseline, mut service, mut versus, mut versus_baseline) = (None, None, None, None);
        // Rotate which goes first, so that drift favours none of them.
        let mut steps = vec![0, 1];
        if versus_common.is_some() {
            steps.push(2);
        }
        if args.versus_baseline_script.is_some() {
            steps.push(3);
        }
        let first = round % steps.len();
        steps.rotate_left(first);
        for step in steps {
            match step {
                0 => {
                    let script = args.baseline_script.as_deref();
                    baseline = Some(measure_baseline(args, workload, script).await?);
                }
                1 => service = Some(measure_service(Mode::ServePg, workload, common, args).await?),
                2 => {
                    let other = versus_common.as_ref().expect("step 2 only with --versus");
                    versus = Some(measure_service(Mode::ServePg, workload, other, args).await?);
                }
                _ => {
                    let script = args.versus_baseline_script.as_deref();
                    versus_baseline = Some(measure_baseline(args, workload, script).await?);
                }
            }
        }
        let (baseline, service) = (
            baseline.expect("measured above"),
            service.expect("measured above"),
        );
        let split = match args.with_split {
            true => Some(measure_service(Mode::SplitPg, workload, common, args).await?),
            false => None,
        };
        let shared = match shared_script {
            Some(script) => {
                let r = baseline::run_shared(script, args.concurrency, args.shared_seconds, common)
                    .await?;
                eprintln!(
                    "  shared reference: {:.0}/s, p99 {:.2} ms",
                    r.throughput, r.p99
                );
                Some(r)
            }
            None => None,
        };
        rounds.push(Round {
            baseline,
            service,
            versus,
            versus_baseline,
            split,
            shared,
        });
    }

    let med = |f: &dyn Fn(&Round) -> f64| median(rounds.iter().map(f));
    let baseline_throughput = med(&|r| r.baseline.throughput);
    let baseline_p99_ms = med(&|r| r.baseline.latency_ms.p99);
    let service_throughput = med(&|r| r.service.throughput);
    let service_p99_ms = med(&|r| r.service.latency_ms.p99);
    let serve_rss_mib = med(&|r| r.service.peak_rss_mib_load());
    let throughput_ratio = service_throughput / baseline_throughput;
    let p99_ratio = service_p99_ms / baseline_p99_ms;
    let errors: usize = rounds
        .iter()
        .map(|r| r.service.errors + r.service.unconfirmed)
        .sum();
    let versus = rounds.iter().all(|r| r.versus.is_some()).then(|| {
        let v = |f: &dyn Fn(&RunReport) -> f64| med(&|r| f(r.versus.as_ref().expect("checked")));
        let (throughput, p99_ms) = (v(&|r| r.throughput), v(&|r| r.latency_ms.p99));
        // Against its own baseline when there is one, else against the baseline.
        let base = |f: &dyn Fn(&BaselineReport) -> f64| {
            med(&|r| f(r.versus_baseline.as_ref().unwrap_or(&r.baseline)))
        };
        let (base_throughput, base_p99) = (base(&|b| b.throughput), base(&|b| b.latency_ms.p99));
        VersusMedians {
            throughput,
            p99_ms,
            serve_rss_mib: v(&|r| r.peak_rss_mib_load()),
            baseline_throughput: base_throughput,
            baseline_p99_ms: base_p99,
            throughput_ratio: throughput / base_throughput,
            p99_ratio: p99_ms / base_p99,
        }
    });
    let targets = vec![
        Target {
            name: "throughput / baseline throughput, at least",
            value: throughput_ratio,
            limit: MIN_THROUGHPUT_RATIO,
            met: throughput_ratio >= MIN_THROUGHPUT_RATIO,
        },
        Target {
            name: "p99 / baseline p99, at most",
            value: p99_ratio,
            limit: MAX_P99_RATIO,
            met: p99_ratio <= MAX_P99_RATIO,
        },
        Target {
            name: "shop serve peak RSS under load (MiB), at most",
            value: serve_rss_mib,
            limit: MAX_SERVE_RSS_MIB,
            met: serve_rss_mib <= MAX_SERVE_RSS_MIB,
        },
        Target {
            name: "errors + unconfirmed orders (all rounds), at most",
            value: errors as f64,
            limit: 0.0,
            met: errors == 0,
        },
    ];
    Ok(CompareReport {
        orders: args.orders,
        concurrency: args.concurrency,
        rounds,
        baseline_throughput,
        baseline_p99_ms,
        service_throughput,
        service_p99_ms,
        serve_rss_mib,
        throughput_ratio,
        p99_ratio,
        versus,
        targets,
    })
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

async fn measure_service(
    mode: Mode,
    workload: Workload,
    common: &Common,
    args: &CompareArgs,
) -> anyhow::Result<RunReport> {
    database::checkpoint(&common.postgres_url).await?;
    let report = run::run(mode, workload, common, &args.tuning).await?;
    eprintln!(
        "  {} ({}): {:.0}/s, p99 {:.2} ms, {} errors, {:.1} MiB",
        report.mode,
        common.shop_bin.display(),
        report.throughput,
        report.latency_ms.p99,
        report.errors,
        report.peak_rss_mib_load()
    );
    Ok(report)
}
