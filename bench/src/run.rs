//! One benchmark run: launch, seed, fire, wait for the invoices, verify, measure, stop.

use std::{sync::Arc, time::Instant};

use anyhow::Context;

use crate::{
    cli::{Common, Mode, Tuning, Workload},
    grpc, http,
    launch::System,
    mail::MailSink,
    procfs,
    report::{BenchCpu, Latency, ProcessStats, RunReport},
};

/// Runs the benchmark once and returns what it measured. The shop is stopped (and its
/// database dropped) whatever happens.
pub async fn run(
    mode: Mode,
    workload: Workload,
    common: &Common,
    tuning: &Tuning,
) -> anyhow::Result<RunReport> {
    anyhow::ensure!(
        workload.orders > 0 && workload.concurrency > 0,
        "--orders and --concurrency must be at least 1"
    );
    let sink = MailSink::start()?;
    let system = System::launch(mode, common, &tuning.env, &sink.url()).await?;
    let measured = measure(&system, &sink, mode, workload, tuning).await;
    let stopped = system.stop().await;
    let (mut report, order_ids) = measured?;
    stopped?;
    // Judged once the shop has stopped, so that a late second copy is counted too.
    report.invoices = sink.delivery(&order_ids)?;
    Ok(report)
}

async fn measure(
    system: &System,
    sink: &MailSink,
    mode: Mode,
    workload: Workload,
    tuning: &Tuning,
) -> anyhow::Result<(RunReport, Arc<Vec<String>>)> {
    let seeding = Instant::now();
    let order_ids = grpc::seed(
        system.inventory,
        system.orders,
        workload.products,
        workload.orders,
        tuning.seed_concurrency.max(1),
    )
    .await
    .context("seeding through gRPC")?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    eprintln!(
        "  seeded {} orders in {seed_seconds:.1} s; firing their webhooks",
        workload.orders
    );

    let mut seeding_peaks = Vec::new();
    let mut cpu_before = Vec::new();
    for process in system.processes() {
        seeding_peaks.push(procfs::peak_rss_kib(process.pid())?);
        procfs::reset_peak_rss(process.pid())?;
        cpu_before.push(procfs::cpu_seconds(process.pid())?);
    }
    let machine_before = procfs::machine_cpu_seconds()?;
    let (bench_before, sink_before) = (
        procfs::cpu_seconds(std::process::id())?,
        sink.cpu_seconds()?,
    );

    let order_ids = Arc::new(order_ids);
    let fired = http::fire_paid(
        &system.http,
        &system.key,
        order_ids.clone(),
        workload.concurrency,
    )
    .await
    .context("firing the webhooks")?;
    let fired_at = Instant::now();
    // CPU while firing only: the worker's draining afterwards is not webhook work.
    let machine_after = procfs::machine_cpu_seconds()?;
    let bench_cpu = procfs::cpu_seconds(std::process::id())? - bench_before;
    let sink_cpu = sink.cpu_seconds()? - sink_before;
    let mut cpu_fire = Vec::new();
    for (process, before) in system.processes().iter().zip(&cpu_before) {
        cpu_fire.push(procfs::cpu_seconds(process.pid())? - before);
    }
    // The invoices before anything else: reading the orders back would slow the drain.
    let (drain_seconds, mails) = match sink.wait_for(workload.orders, tuning.drain_timeout).await {
        Ok(arrived) => (
            Some(arrived.saturating_duration_since(fired_at).as_secs_f64()),
            workload.orders,
        ),
        Err(received) => (None, received),
    };
    let sink_drain_cpu = sink.cpu_seconds()? - sink_before;
    let confirmed = grpc::count_confirmed(system.orders, &order_ids, 16).await?;

    if let Some(path) = &tuning.latency_log {
        let lines: Vec<String> = fired
            .sent_at_us
            .iter()
            .zip(&fired.latencies_us)
            .map(|(at, latency)| format!("{at} {latency}"))
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let answered = fired.latencies_us.len();
    let per_webhook_ms = |cpu: f64| cpu * 1000.0 / answered.max(1) as f64;
    let mut processes = Vec::new();
    for ((process, seeding), cpu) in system.processes().iter().zip(seeding_peaks).zip(cpu_fire) {
        processes.push(ProcessStats {
            name: process.name.clone(),
            peak_rss_kib_seeding: seeding,
            peak_rss_kib_load: procfs::peak_rss_kib(process.pid())?,
            cpu_ms_per_webhook: per_webhook_ms(cpu),
        });
    }
    let (busy, total) = (
        machine_after.0 - machine_before.0,
        machine_after.1 - machine_before.1,
    );
    let report = RunReport {
        mode: mode.name().to_owned(),
        orders: workload.orders,
        concurrency: workload.concurrency,
        seed_seconds,
        seconds: fired.seconds,
        throughput: answered as f64 / fired.seconds,
        errors: fired.errors(),
        statuses: fired.statuses.clone(),
        latency_ms: Latency::from_micros(fired.latencies_us),
        unconfirmed: workload.orders - confirmed,
        // Filled in by `run` once the shop has stopped.
        invoices: Default::default(),
        drain_seconds,
        processes,
        bench_cpu: BenchCpu::new(
            bench_cpu,
            sink_cpu,
            fired.seconds,
            answered,
            sink_drain_cpu,
            mails,
        ),
        machine_cpu_ms_per_webhook: per_webhook_ms(busy),
        machine_busy: if total > 0.0 { busy / total } else { 0.0 },
    };
    Ok((report, order_ids))
}
