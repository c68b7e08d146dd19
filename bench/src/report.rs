//! Results: latency percentiles, what one run measured, and how it is printed.

use std::collections::BTreeMap;

use serde::Serialize;

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
    /// Invoice mails (`.eml`) the worker wrote.
    pub invoices: usize,
    /// Seconds after the last webhook until every invoice was written (none if the drain
    /// timeout passed first).
    pub invoices_drained_after: Option<f64>,
    /// Memory and CPU of each launched process.
    pub processes: Vec<ProcessStats>,
    /// CPU time the benchmark client used while firing, per webhook, ms.
    pub bench_cpu_ms_per_webhook: f64,
    /// CPU time the whole machine used while firing (PostgreSQL, shop, client, neighbours),
    /// per webhook, ms.
    pub machine_cpu_ms_per_webhook: f64,
    /// Fraction of the machine's CPU time that was busy while firing.
    pub machine_busy: f64,
}

impl RunReport {
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
        match self.invoices_drained_after {
            Some(s) => println!(
                "invoices written: {} (all, {s:.1} s after the last webhook)",
                self.invoices
            ),
            None => println!("invoices written: {} of {}", self.invoices, self.orders),
        }
        for p in &self.processes {
            println!(
                "shop {:<9} peak RSS {:>6.1} MiB under load ({:.1} MiB seeding), CPU {:.3} ms/webhook",
                p.name,
                p.peak_rss_kib_load as f64 / 1024.0,
                p.peak_rss_kib_seeding as f64 / 1024.0,
                p.cpu_ms_per_webhook
            );
        }
        println!(
            "CPU while firing: machine {:.0}% busy, {:.3} ms/webhook in all ({:.3} in this client)",
            self.machine_busy * 100.0,
            self.machine_cpu_ms_per_webhook,
            self.bench_cpu_ms_per_webhook
        );
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
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
