//! Results: latency percentiles, what one run measured, and how it is printed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::mail::Delivery;

/// Above this share of one core, the load generator may be what limits the run.
pub const GENERATOR_CORE_LIMIT: f64 = 0.5;

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Latency {
    /// Percentiles of `samples` (microseconds), nearest-rank.
    pub fn from_micros(mut samples: Vec<u64>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let rank = |q: f64| {
            let i = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i] as f64 / 1000.0
        };
        let sum: u64 = samples.iter().sum();
        Self {
            mean: sum as f64 / samples.len() as f64 / 1000.0,
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: rank(1.0),
        }
    }
}

/// Memory and CPU of one launched process.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessStats {
    /// `serve`, `inventory`, `orders`, `facade` or `worker`.
    pub name: String,
    /// Peak RSS (VmHWM) from start until the webhooks were fired, KiB.
    pub peak_rss_kib_seeding: u64,
    /// Peak RSS (VmHWM, reset after seeding) while the webhooks were fired and the worker
    /// drained the invoices, KiB.
    pub peak_rss_kib_load: u64,
    /// CPU time it used while the webhooks were fired, per webhook, ms.
    pub cpu_ms_per_webhook: f64,
}

/// What one benchmark run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// How the shop ran.
    pub mode: String,
    /// Orders seeded and paid.
    pub orders: usize,
    /// Webhooks in flight at once.
    pub concurrency: usize,
    /// Seconds spent seeding (not part of the figures).
    pub seed_seconds: f64,
    /// Seconds from the first webhook to the last answer.
    pub seconds: f64,
    /// Answered webhooks per second.
    pub throughput: f64,
    /// Webhook latency.
    pub latency_ms: Latency,
    /// Non-200 answers plus unanswered requests.
    pub errors: usize,
    /// Answers per HTTP status.
    pub statuses: BTreeMap<u16, usize>,
    /// Orders not CONFIRMED when read back afterwards.
    pub unconfirmed: usize,
    /// The invoice mails the SMTP sink received, checked against the orders (read after
    /// the shop stopped, so late copies count too).
    pub invoices: Delivery,
    /// Seconds from the last webhook answered to the last invoice received (none if the
    /// drain timeout passed first).
    pub drain_seconds: Option<f64>,
    /// Memory and CPU of each launched process.
    pub processes: Vec<ProcessStats>,
    /// CPU of this benchmark process (load generator and SMTP sink).
    pub bench_cpu: BenchCpu,
    /// CPU time the whole machine used while firing (PostgreSQL, shop, client, neighbours),
    /// per webhook, ms.
    pub machine_cpu_ms_per_webhook: f64,
    /// Fraction of the machine's CPU time that was busy while firing.
    pub machine_busy: f64,
}

/// CPU time of the benchmark process itself, from `/proc/self` (whole process) and
/// `/proc/self/task/<sink thread>` (the SMTP sink, which runs on a thread of its own).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchCpu {
    /// Whole process while firing, % of one core.
    pub total_core_percent: f64,
    /// Whole process while firing, µs per webhook.
    pub total_us_per_webhook: f64,
    /// The load generator (the process minus the sink's thread) while firing, % of one core.
    pub generator_core_percent: f64,
    /// The load generator while firing, µs per webhook.
    pub generator_us_per_webhook: f64,
    /// The SMTP sink's thread while firing, % of one core.
    pub sink_core_percent: f64,
    /// The SMTP sink's thread from the first webhook to the last invoice, µs per mail
    /// received (its capacity on one core is about 10⁶ / this, mails/s).
    pub sink_us_per_mail: f64,
}

impl BenchCpu {
    /// From CPU seconds while firing (`total`, `sink`), over `seconds` of firing and
    /// `webhooks` answered, and the sink's CPU seconds until the last of `mails` arrived.
    pub fn new(
        total: f64,
        sink: f64,
        seconds: f64,
        webhooks: usize,
        sink_drain: f64,
        mails: usize,
    ) -> Self {
        let percent = |cpu: f64| {
            if seconds > 0.0 {
                cpu / seconds * 100.0
            } else {
                0.0
            }
        };
        let per = |cpu: f64, n: usize| cpu * 1e6 / n.max(1) as f64;
        let generator = (total - sink).max(0.0);
        Self {
            total_core_percent: percent(total),
            total_us_per_webhook: per(total, webhooks),
            generator_core_percent: percent(generator),
            generator_us_per_webhook: per(generator, webhooks),
            sink_core_percent: percent(sink),
            sink_us_per_mail: per(sink_drain, mails),
        }
    }

    /// Whether the load generator used more than [`GENERATOR_CORE_LIMIT`] of a core.
    pub fn generator_may_limit(&self) -> bool {
        self.generator_core_percent > GENERATOR_CORE_LIMIT * 100.0
    }
}

impl RunReport {
    /// No errors, every order confirmed, every invoice received exactly once.
    pub fn ok(&self) -> bool {
        self.errors == 0 && self.unconfirmed == 0 && self.invoices.ok()
    }

    /// CPU time of all launched processes while firing, per webhook, ms.
    pub fn cpu_ms_per_webhook(&self) -> f64 {
        self.processes.iter().map(|p| p.cpu_ms_per_webhook).sum()
    }

    /// Sum of the processes' peak RSS under load, in MiB (the processes' peaks need not
    /// coincide, so this is an upper bound of the system's peak).
    pub fn peak_rss_mib_load(&self) -> f64 {
        self.processes
            .iter()
            .map(|p| p.peak_rss_kib_load)
            .sum::<u64>() as f64
            / 1024.0
    }

    /// Prints it as a table on stdout.
    pub fn print(&self) {
        println!(
            "mode {}  orders {}  concurrency {}  (seeded in {:.1} s)",
            self.mode, self.orders, self.concurrency, self.seed_seconds
        );
        println!(
            "{:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>11}",
            "webhook/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "unconfirmed"
        );
        let l = &self.latency_ms;
        println!(
            "{:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>11}",
            self.throughput, l.mean, l.p50, l.p95, l.p99, l.max, self.errors, self.unconfirmed
        );
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect();
        println!("HTTP statuses: {}", statuses.join(", "));
        let i = &self.invoices;
        let verdict = if i.ok() { "ok" } else { "FAILED" };
        println!(
            "invoices over SMTP: {} received, {} of {} orders exactly once, {} missing, {} duplicates, {} unexpected: {verdict}",
            i.received, i.exactly_once, self.orders, i.missing, i.duplicates, i.unexpected
        );
        match self.drain_seconds {
            Some(s) => {
                println!("drain: last invoice received {s:.2} s after the last webhook answered")
            }
            None => println!("drain: not every invoice arrived within the drain timeout"),
        }
        for p in &self.processes {
            println!(
                "shop {:<11} peak RSS {:>6.1} MiB under load ({:.1} MiB seeding), CPU {:.3} ms/webhook",
                p.name,
                p.peak_rss_kib_load as f64 / 1024.0,
                p.peak_rss_kib_seeding as f64 / 1024.0,
                p.cpu_ms_per_webhook
            );
        }
        println!(
            "CPU while firing: shop {:.3} ms/webhook; machine {:.0}% busy, {:.3} ms/webhook in all",
            self.cpu_ms_per_webhook(),
            self.machine_busy * 100.0,
            self.machine_cpu_ms_per_webhook,
        );
        let b = &self.bench_cpu;
        println!(
            "shop-bench CPU while firing: {:.0}% of a core, {:.0} µs/webhook; load generator {:.0}% ({:.0} µs/webhook), SMTP sink {:.0}% ({:.0} µs/mail)",
            b.total_core_percent,
            b.total_us_per_webhook,
            b.generator_core_percent,
            b.generator_us_per_webhook,
            b.sink_core_percent,
            b.sink_us_per_mail
        );
        if b.generator_may_limit() {
            println!(
                "WARNING: the load generator used more than {:.0}% of a core: it may be the bottleneck",
                GENERATOR_CORE_LIMIT * 100.0
            );
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::from_micros((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!((l.p50, l.p95, l.p99, l.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(l.mean, 50.5);
        assert_eq!(Latency::from_micros(vec![7000]).p99, 7.0);
    }

    #[test]
    fn the_load_generators_cpu_is_the_process_minus_the_sink() {
        // 0.6 s of CPU over 2 s of firing and 1000 webhooks, 0.2 s of it in the sink, which
        // used 0.5 s until the last of 1000 mails.
        let b = BenchCpu::new(0.6, 0.2, 2.0, 1000, 0.5, 1000);
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(near(b.total_core_percent, 30.0) && near(b.total_us_per_webhook, 600.0));
        assert!(near(b.generator_core_percent, 20.0) && near(b.generator_us_per_webhook, 400.0));
        assert!(near(b.sink_core_percent, 10.0) && near(b.sink_us_per_mail, 500.0));
        assert!(!b.generator_may_limit());
        assert!(BenchCpu::new(1.2, 0.1, 2.0, 1000, 0.1, 1000).generator_may_limit());
    }

    #[test]
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
